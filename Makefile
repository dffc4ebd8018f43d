# roomcast — one Makefile for both programs.
#
#   make               build the extension (PGXS) and roomcast-notifier
#   make install       install the extension and /usr/local/bin/roomcast-notifier
#   make installcheck  pg_regress against a running server (PGHOST/PGPORT)
#   make unit          build the C unit tests of common/ and the codecs
#   make test          the whole test run (test/run): set-up, build, private
#                      PostgreSQL and Redis, every suite, "N passed, N failed"
#   make demo          the demo application (examples/demo)
#
# Layout (SPEC §8): extension/ is the PGXS module, common/ is linked into both
# programs, notifier/notifier.mk builds the daemon. The extension's install
# script is assembled from extension/ddl/NN_*.ddl.sql fragments, in name order, so
# each subsystem keeps its DDL next to its C file.

EXTVERSION   = 0.1.0

MODULE_big   = roomcast
MODULEDIR    = extension
EXT_SRCS     = $(sort $(wildcard extension/*.c))
COMMON_SRCS  = $(sort $(wildcard common/*.c))
OBJS         = $(EXT_SRCS:.c=.o) $(COMMON_SRCS:.c=.o)
DATA         = extension/roomcast.control $(wildcard extension/roomcast--*--*.sql)
DATA_built   = extension/roomcast--$(EXTVERSION).sql
SQL_PARTS    = $(sort $(wildcard extension/ddl/*.ddl.sql))
PG_CPPFLAGS  = -Icommon -Iextension
PG_CFLAGS    = -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror
SHLIB_LINK   = -lcrypto

REGRESS      = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=pgcrypto --load-extension=roomcast --dbname=roomcast_regress
EXTRA_CLEAN  = build results regression.diffs regression.out

# No LLVM bitcode: the JIT gains nothing from these functions, and it keeps clang out of the build.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

extension/roomcast--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $(SQL_PARTS) > $@

# ---- code built outside PGXS: common/ for the host, unit tests, notifier ----

BUILD       ?= build
HOST_CC     ?= cc
HOST_CFLAGS  = -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Icommon
ifdef SANITIZE
HOST_CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=address,undefined
endif

COMMON_HOST_OBJS = $(patsubst common/%.c,$(BUILD)/common/%.o,$(COMMON_SRCS))

$(BUILD)/common/%.o: common/%.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

-include notifier/notifier.mk
-include test/fuzz/fuzz.mk

UNIT_SRCS = $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS = $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRCS))

# A unit test links common/ and, when it tests a notifier codec, the codec
# objects the notifier makefile lists in NOTIFIER_CODEC_OBJS; a test of a
# notifier module with I/O compiles that module in (#include "x/y.c") and
# runs it on a real libuv loop, hence -luv and the notifier sources as
# prerequisites.
$(BUILD)/test/%: test/unit/%.c test/unit/tap.h $(COMMON_HOST_OBJS) $(NOTIFIER_CODEC_OBJS) $(NOTIFIER_SRCS) $(NOTIFIER_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(NOTIFIER_CPPFLAGS) -Itest/unit $< $(COMMON_HOST_OBJS) $(NOTIFIER_CODEC_OBJS) -o $@ $(HOST_LDFLAGS) -lssl -lcrypto -luv

.PHONY: unit test demo security-doc
unit: $(UNIT_BINS)

test:
	bash test/run

demo:
	bash examples/demo/run

# Put the table of hostile inputs that the last `make test` tried into docs/security.md.
security-doc:
	bash test/lib/update-security-doc.sh
