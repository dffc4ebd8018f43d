# notifier/notifier.mk — builds roomcast-notifier (included by the top Makefile).
#
# Three layers (STYLE.md): codecs that do no I/O (NOTIFIER_CODEC_OBJS, also
# linked into the unit tests), session logic, and the transport glue on
# libuv. See docs/notifier.md.

NOTIFIER_CPPFLAGS = -Inotifier -I$(shell $(PG_CONFIG) --includedir)
NOTIFIER_CODEC_SRCS = notifier/buf.c notifier/eio_codec.c notifier/sio_codec.c \
	notifier/sio_json.c notifier/ws_codec.c notifier/http_codec.c
NOTIFIER_SRCS = $(sort $(wildcard notifier/*.c))
NOTIFIER_CODEC_OBJS = $(patsubst notifier/%.c,$(BUILD)/notifier/%.o,$(NOTIFIER_CODEC_SRCS))
NOTIFIER_OBJS = $(patsubst notifier/%.c,$(BUILD)/notifier/%.o,$(NOTIFIER_SRCS))
NOTIFIER_LIBS = -luv -lpq -lcrypto -lm

all: $(BUILD)/roomcast-notifier

$(BUILD)/notifier/%.o: notifier/%.c $(wildcard notifier/*.h) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(NOTIFIER_CPPFLAGS) -c $< -o $@

$(BUILD)/roomcast-notifier: $(NOTIFIER_OBJS) $(COMMON_HOST_OBJS)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LDFLAGS) $(NOTIFIER_LIBS)

.PHONY: install-notifier
install: install-notifier
install-notifier: $(BUILD)/roomcast-notifier
	install -d $(DESTDIR)/usr/local/bin
	install -m 755 $(BUILD)/roomcast-notifier $(DESTDIR)/usr/local/bin/roomcast-notifier

# A libFuzzer target for the codecs (clang; not part of `make test`):
#   make fuzz-notifier && build/fuzz/fuzz_notifier_codecs -max_total_time=60
.PHONY: fuzz-notifier
fuzz-notifier: $(BUILD)/fuzz/fuzz_notifier_codecs
$(BUILD)/fuzz/fuzz_notifier_codecs: test/fuzz/fuzz_notifier_codecs.c $(NOTIFIER_CODEC_SRCS) $(wildcard notifier/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
		$(NOTIFIER_CPPFLAGS) -Icommon $< $(NOTIFIER_CODEC_SRCS) -o $@ -lcrypto
