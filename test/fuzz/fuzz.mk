# test/fuzz/fuzz.mk — libFuzzer targets (included by the top Makefile).
# `make fuzz` builds build/fuzz/fuzz_<target> for every test/fuzz/fuzz_*.c
# with clang, ASan and UBSan: the common/ targets link common/, compiled once,
# instrumented, into build/fuzz/common/; the notifier targets (rules below and
# fuzz_notifier_codecs in notifier/notifier.mk) compile the codec they test.
# Each target keeps its corpus in test/fuzz/corpus/<target>/. Run one with e.g.
#   build/fuzz/fuzz_jwt -max_total_time=60 build/fuzz/corpus-jwt test/fuzz/corpus/jwt
# (the first directory collects new inputs; the kept corpus stays untouched).
# docs/fuzzing.md says how the kept corpus is grown and minimized.

FUZZ_CC      ?= clang
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=c11 -g -O1 -D_GNU_SOURCE -Icommon $(FUZZ_SAN)
FUZZ_SRCS     = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS     = $(patsubst test/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_COMMON   = $(patsubst common/%.c,$(BUILD)/fuzz/common/%.o,$(COMMON_SRCS))

$(BUILD)/fuzz/common/%.o: common/%.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_COMMON)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_COMMON) -o $@ -lcrypto

.PHONY: fuzz
fuzz: $(FUZZ_BINS)

# Notifier transport codecs fed pipelined and partial input (no libuv, no I/O).
FUZZ_NOTIFIER_CFLAGS = $(FUZZ_CFLAGS) -Wall -Wextra -Werror -Inotifier

$(BUILD)/fuzz/fuzz_http_pipeline: test/fuzz/fuzz_http_pipeline.c notifier/codec/http_codec.c notifier/codec/http_codec.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_NOTIFIER_CFLAGS) -fsanitize=fuzzer $< notifier/codec/http_codec.c -o $@

$(BUILD)/fuzz/fuzz_ws_stream: test/fuzz/fuzz_ws_stream.c notifier/codec/ws_codec.c notifier/codec/ws_codec.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_NOTIFIER_CFLAGS) -fsanitize=fuzzer $< notifier/codec/ws_codec.c -o $@ -lcrypto

# TLS on memory (notifier/transport/tls.c) fed a client's ciphertext in
# pieces, with an in-process OpenSSL client for whole sessions.
$(BUILD)/fuzz/fuzz_tls_input: test/fuzz/fuzz_tls_input.c notifier/transport/tls.c notifier/transport/tls.h notifier/base/buf.c notifier/base/log.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_NOTIFIER_CFLAGS) -fsanitize=fuzzer $< notifier/transport/tls.c notifier/base/buf.c notifier/base/log.c -o $@ -lssl -lcrypto

# The presence relay's message parser (notifier/hub/presence_relay.c, included
# whole by the target) fed hiredis replies as the pattern subscription gets them.
$(BUILD)/fuzz/fuzz_presence_relay: test/fuzz/fuzz_presence_relay.c notifier/hub/presence_relay.c notifier/hub/presence_relay.h notifier/hub/redis_uv.c notifier/hub/redis_uv.h notifier/base/buf.c notifier/base/log.c notifier/base/metrics.c $(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_NOTIFIER_CFLAGS) -I$(shell $(PG_CONFIG) --includedir) -fsanitize=fuzzer $< notifier/hub/redis_uv.c notifier/base/buf.c notifier/base/log.c notifier/base/metrics.c \
		$(FUZZ_COMMON) -o $@ -lhiredis -luv -lcrypto
