# Suite: the extension under AddressSanitizer and UndefinedBehaviorSanitizer
# inside a real PostgreSQL backend (issue 8, docs/security-sanitizers.md).
#
# Builds extension/ + common/ (the PGXS module) with SAN_FLAGS from a copy of
# the sources into a second temp install (rc_san_install), with every palloc
# of the extension given an ASan redzone (test/asan/rc_san_palloc.c), starts
# a second private cluster from it with gcc's ASan and UBSan runtimes
# preloaded (PostgreSQL forks without exec, so every backend inherits them),
# then runs the pg_regress scripts of sql/ and the pgTAP files of
# test/pgtap/ against it. Any sanitizer report (ASan's log files under
# $san/reports/, UBSan's lines in the server log) or backend crash fails the
# suite and is printed. Last, three canary functions
# (test/asan/rc_san_canary.c) that overflow a malloc block, a palloc chunk
# and a signed int must each produce a report: otherwise the sanitizers were
# not active and the clean result above proves nothing.
# Skipped when gcc's libasan is missing. About a minute on 2 cores.
cd "$RC_ROOT" || exit 1
. test/lib/servers.sh

SAN_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
if [ ! -e "$libasan" ] || [ ! -e "$libubsan" ]; then
	echo "ok - asan: # SKIP gcc has no libasan/libubsan"
	exit 0
fi
san="$RC_TMP/san"
mkdir -p "$san/reports"
[ "$(id -u)" = 0 ] && chown "$RC_PG_OSUSER" "$san/reports"
status=0

# ---- build and install ----
start=$SECONDS
# test/asan/rc_san_palloc.c gives each palloc of the extension an ASan redzone
wrap=palloc,palloc0,palloc_extended,MemoryContextAlloc,MemoryContextAllocZero
wrap=$wrap,MemoryContextAllocExtended,repalloc
if ! rc_san_install "$san/install" "$SAN_FLAGS" test/asan/rc_san_palloc.c \
	"$(echo ",$wrap" | sed "s/,/ -Wl,--wrap=/g")" >&2; then
	echo "not ok - asan: building the extension with $SAN_FLAGS"
	exit 1
fi
so="$("$RC_SAN_BIN/pg_config" --pkglibdir)/roomcast.so"
if nm -D "$so" 2>/dev/null | grep -q '__asan_report' &&
	nm -D "$so" | grep -q '__ubsan_handle' && nm -D "$so" | grep -q '__wrap_palloc'; then
	echo "ok - asan: roomcast.so built with ASan, UBSan and palloc redzones in $((SECONDS - start))s"
else
	echo "not ok - asan: $so has no ASan/UBSan instrumentation"
	exit 1
fi

# ---- a second cluster with the runtimes preloaded ----
# rc_san_preload.so defines swift_demangle so that ASan's start-up inside a
# libc-locked constructor does not hang (see the comment in the file).
shim="$san/rc_san_preload.so"
if ! gcc -shared -fPIC -O2 -Wall -Werror test/asan/rc_san_preload.c -o "$shim" >&2; then
	echo "not ok - asan: building test/asan/rc_san_preload.c"
	exit 1
fi
chmod a+rx "$san" "$shim"
# detect_leaks=0: backends exit without freeing what memory contexts own.
# abort_on_error=0/exitcode: a report ends the backend with exit code 1,
# which the postmaster logs and answers with a crash restart.
san_env=(
	"LD_PRELOAD=$libasan:$shim:$libubsan"
	"ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:log_path=$san/reports/asan:detect_stack_use_after_return=0"
	"UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$san/reports/ubsan"
)
if ! port=$(rc_pg_start_private "$san/pg" "$RC_SAN_BIN" "${san_env[@]}"); then
	echo "not ok - asan: starting PostgreSQL with the sanitizer runtimes preloaded"
	exit 1
fi
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
trap 'rc_pg_stop_private "$san/pg" "$RC_SAN_BIN"' EXIT

maps=$(psql -X -q -t -A -c "LOAD 'roomcast'" -c "SELECT pg_read_file('/proc/self/maps')" 2>&1)
if echo "$maps" | grep -q libasan && echo "$maps" | grep -q "$so"; then
	echo "ok - asan: a backend runs with libasan and the instrumented roomcast.so"
else
	echo "not ok - asan: the backend did not load libasan and $so"
	echo "$maps" | grep -E 'asan|roomcast|ERROR' >&2
	status=1
fi

# Print sanitizer reports and backend crashes; status 1 if there is any.
# ASan writes to log_path; gcc's UBSan, next to ASan, writes to stderr, which
# is the server log: look in both.
san_reports() {
	local found=0 f
	for f in "$san"/reports/*; do
		[ -f "$f" ] || continue
		found=1
		echo "# sanitizer report $(basename "$f"):"
		sed 's/^/#   /' "$f" | head -60
	done
	if grep -E -A20 'runtime error:|AddressSanitizer|server process \(PID [0-9]+\) (exited with|was terminated)' \
		"$san/pg/log/postgres.log" | sed 's/^/# server log: /' | head -80 | grep .; then
		found=1
	fi
	return $found
}

# ---- pg_regress on sql/ ----
make -C "$RC_SAN_SRC" -s installcheck PG_CONFIG="$RC_SAN_BIN/pg_config" >"$san/regress.out" 2>&1
rc=$?
cat "$san/regress.out" >&2
[ -f "$RC_SAN_SRC/regression.diffs" ] && cat "$RC_SAN_SRC/regression.diffs" >&2
sed -nE 's/^(test | +)?([a-z0-9_]+) +\.\.\. (ok|FAILED|failed).*/\3 \2/p' "$san/regress.out" |
	while read -r result name; do
		case "$result" in
		ok) echo "ok - asan regress: $name" ;;
		*) echo "not ok - asan regress: $name" ;;
		esac
	done
if [ $rc != 0 ]; then
	echo "not ok - asan regress: make installcheck exited with $rc"
	status=1
fi

# ---- pgTAP (suite 30's runner, pointed at this cluster) ----
bash test/suites/30-pgtap.sh | sed -E 's/^(not ok|ok) - pgtap:/\1 - asan pgtap:/'
[ "${PIPESTATUS[0]}" = 0 ] || status=1

# ---- the verdict: no report, no crash ----
if out=$(san_reports); then
	echo "ok - asan: no ASan/UBSan report and no backend crash in pg_regress and pgTAP"
	echo "# SECURITY|extension|pg_regress and pgTAP suites in a backend under ASan+UBSan|no sanitizer report, no crash"
else
	echo "not ok - asan: sanitizer report or backend crash"
	echo "$out"
	status=1
fi

# ---- canaries: a real bug must be reported where we look ----
canary="$("$RC_SAN_BIN/pg_config" --pkglibdir)/rc_san_canary.so"
if gcc -shared -fPIC $SAN_FLAGS -I"$(pg_config --includedir-server)" \
	test/asan/rc_san_canary.c test/asan/rc_san_palloc.c \
	$(echo ",$wrap" | sed "s/,/ -Wl,--wrap=/g") -o "$canary" >&2; then
	# synchronous_commit: the cluster runs with it off, and the crash restart
	# that follows each canary would lose the functions' commit
	psql -X -q -c "SET synchronous_commit = on" \
		-c "CREATE FUNCTION rc_san_canary_heap(int) RETURNS int AS 'rc_san_canary' LANGUAGE C STRICT" \
		-c "CREATE FUNCTION rc_san_canary_palloc(int) RETURNS int AS 'rc_san_canary' LANGUAGE C STRICT" \
		-c "CREATE FUNCTION rc_san_canary_ub(int) RETURNS int AS 'rc_san_canary' LANGUAGE C STRICT" >&2
	for kind in heap:heap-buffer-overflow palloc:use-after-poison ub:'signed integer overflow'; do
		fn=rc_san_canary_${kind%%:*}
		want=${kind#*:}
		rm -f "$san"/reports/*
		: >"$san/pg/log/postgres.log"
		# call until the report appears: after the previous canary's crash the
		# server refuses connections until its restart has finished
		for _ in $(seq 60); do
			psql -X -q -c "SELECT $fn(24)" >/dev/null 2>&1
			cat "$san"/reports/* "$san/pg/log/postgres.log" 2>/dev/null | grep -q -- "$want" && break
			sleep 0.5
		done
		if cat "$san"/reports/* "$san/pg/log/postgres.log" 2>/dev/null | grep -q -- "$want"; then
			echo "ok - asan: canary $fn is reported as $want"
		else
			echo "not ok - asan: canary $fn left no '$want' report in $san/reports"
			status=1
		fi
	done
else
	echo "not ok - asan: building the canary"
	status=1
fi
echo "# suite took $((SECONDS - start))s"
exit $status
