# roomcast — one Makefile for both programs.
#
#   make               build the extension (PGXS) and roomcast-notifier
#   make install       install the extension and /usr/local/bin/roomcast-notifier
#   make installcheck  pg_regress against a running server (PGHOST/PGPORT)
#   make unit          build the C unit tests of common/ and the codecs
#   make test          the whole test run (test/run): set-up, build, private
#                      PostgreSQL and Redis, every suite, "N passed, N failed"
#   make demo          the demo application (examples/demo)
#   make dist          the PGXN release archive build/roomcast-$(EXTVERSION).zip
#
# Layout (SPEC §8): extension/ is the PGXS module, common/ is linked into both
# programs, notifier/notifier.mk builds the daemon. The install script of the
# version in development, extension/roomcast--$(EXTVERSION).sql, is assembled
# from extension/ddl/NN_*.ddl.sql fragments, in name order, so each subsystem
# keeps its DDL next to its C file.
#
# Versions (docs/upgrades.md). A released version's install script is frozen:
# extension/roomcast--0.1.0.sql is committed as 0.1.0 shipped and never edited.
# Each later version X ships the assembled roomcast--X.sql plus a hand-written
# upgrade script roomcast--PREV--X.sql that holds exactly the DDL of the new or
# changed fragments. Making the release after 0.2.0:
#   1. freeze: `make extension/roomcast--0.2.0.sql`, commit that file (and add a
#      "!/extension/roomcast--0.2.0.sql" line to .gitignore);
#   2. bump EXTVERSION here, default_version in extension/roomcast.control and
#      "version" in META.json to 0.3.0;
#   3. new DDL goes in a NEW fragment extension/ddl/NN_name.ddl.sql, and the same
#      statements (or the CREATE OR REPLACE / ALTER of a changed object) in
#      extension/roomcast--0.2.0--0.3.0.sql;
#   4. test/suites/28-upgrade.sh: point it at the new pair; it fails if the
#      upgraded catalog differs from a fresh install.

EXTVERSION   = 0.2.0

MODULE_big   = roomcast
MODULEDIR    = extension
EXT_SRCS     = $(sort $(wildcard extension/*.c))
COMMON_SRCS  = $(sort $(wildcard common/*.c))
OBJS         = $(EXT_SRCS:.c=.o) $(COMMON_SRCS:.c=.o)
# every committed script: the frozen install scripts of released versions and
# the upgrade scripts (not the assembled one of $(EXTVERSION), which is DATA_built)
DATA         = extension/roomcast.control \
               $(filter-out extension/roomcast--$(EXTVERSION).sql,$(wildcard extension/roomcast--*.sql))
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

.PHONY: unit test demo security-doc cluster docs-images
unit: $(UNIT_BINS)

test:
	bash test/run

demo:
	bash examples/demo/run

# HAProxy + two notifiers + pgbouncer + Redis + PostgreSQL on loopback ports (docs/scale-out.md)
cluster:
	bash examples/cluster/run

# docs/*.dot -> docs/*.svg (graphviz; not needed by make test)
docs-images:
	dot -Tsvg docs/scale-out.dot -o docs/scale-out.svg

# Put the table of hostile inputs that the last `make test` tried into docs/security.md.
security-doc:
	bash test/lib/update-security-doc.sh

# ---- the release archive (PGXN): make dist ----
# build/roomcast-$(EXTVERSION).zip with one top directory roomcast-$(EXTVERSION)/,
# made by `git archive` of HEAD, so only committed files go in (no build
# output, node_modules or generated keys), plus the install script of
# $(EXTVERSION) assembled from HEAD's fragments (META.json's "provides" file).
# Commit first: uncommitted changes are not in the archive.
DIST_NAME = roomcast-$(EXTVERSION)
.PHONY: dist
dist:
	@mkdir -p $(BUILD)/dist
	git ls-tree --name-only HEAD extension/ddl/ | grep '\.ddl\.sql$$' | LC_ALL=C sort | \
		while read -r f; do git show "HEAD:$$f" || exit 1; done >$(BUILD)/dist/roomcast--$(EXTVERSION).sql
	git archive --format=zip -o $(BUILD)/$(DIST_NAME).zip \
		--prefix=$(DIST_NAME)/extension/ --add-file=$(BUILD)/dist/roomcast--$(EXTVERSION).sql \
		--prefix=$(DIST_NAME)/ HEAD
	@echo "$(BUILD)/$(DIST_NAME).zip"
