# notifier/notifier.mk — builds roomcast-notifier (included by the top Makefile).
#
# Layers that call one way, one folder each (STYLE.md, docs/notifier.md):
#   base/       options, logs, metrics, byte buffers: used by every layer
#   codec/      Engine.IO, Socket.IO, WebSocket and HTTP codecs; no I/O
#               (NOTIFIER_CODEC_OBJS, also linked into the unit tests)
#   transport/  TCP, TLS (OpenSSL on memory), HTTP and WebSocket on libuv, static files
#   session/    Engine.IO and Socket.IO sessions
#   hub/        connect and auth, rooms, delivery, client requests, conformance
#               mode (the protocol test suites' handlers), the
#               database, HTTP routes, main()
# A file includes headers of its own layer and the layers below it, never
# above (test/suites/11-layers.sh checks). Includes name the folder:
# #include "codec/ws_codec.h".

NOTIFIER_LAYERS = base codec transport session hub
NOTIFIER_CPPFLAGS = -Inotifier -I$(shell $(PG_CONFIG) --includedir)
NOTIFIER_CODEC_SRCS = notifier/base/buf.c $(sort $(wildcard notifier/codec/*.c))
NOTIFIER_SRCS = $(sort $(foreach l,$(NOTIFIER_LAYERS),$(wildcard notifier/$(l)/*.c)))
NOTIFIER_HDRS = $(foreach l,$(NOTIFIER_LAYERS),$(wildcard notifier/$(l)/*.h))
NOTIFIER_CODEC_OBJS = $(patsubst notifier/%.c,$(BUILD)/notifier/%.o,$(NOTIFIER_CODEC_SRCS))
NOTIFIER_OBJS = $(patsubst notifier/%.c,$(BUILD)/notifier/%.o,$(NOTIFIER_SRCS))
NOTIFIER_LIBS = -luv -lpq -lssl -lcrypto -lhiredis -lm

all: $(BUILD)/roomcast-notifier

$(BUILD)/notifier/%.o: notifier/%.c $(NOTIFIER_HDRS) $(wildcard common/*.h)
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
$(BUILD)/fuzz/fuzz_notifier_codecs: test/fuzz/fuzz_notifier_codecs.c $(NOTIFIER_CODEC_SRCS) $(NOTIFIER_HDRS)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(NOTIFIER_CPPFLAGS) -Icommon $< $(NOTIFIER_CODEC_SRCS) -o $@ -lcrypto
