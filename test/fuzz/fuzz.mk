# test/fuzz/fuzz.mk — libFuzzer targets for common/ (included by the top
# Makefile). `make fuzz` builds build/fuzz/fuzz_{json,base64url,jwt} with
# clang, ASan and UBSan; common/ is compiled once, instrumented, into
# build/fuzz/common/. Run one with e.g.
#   build/fuzz/fuzz_jwt -max_total_time=60 build/fuzz/corpus-jwt test/fuzz/corpus/jwt
# (the first directory collects new inputs; the seeds stay untouched).

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
