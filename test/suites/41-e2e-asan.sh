# Suite: the whole notifier end-to-end suite (test/e2e/*.test.mjs) again, against a
# notifier built with AddressSanitizer and UBSan (make BUILD=build/asan SANITIZE=1),
# SPEC §7 "Bad input and faults". Every test file starts its notifier from
# RC_NOTIFIER, so pointing it at the sanitizer build runs every scenario under it,
# including the 1,000-socket fan-out reset. Any sanitizer report fails the suite:
# halt_on_error stops the notifier at the first one (its tests then fail too), and
# each report is written to a log file below $RC_TMP/asan-e2e that is checked at the end.
# Leak checking is off: tests kill the notifier with SIGKILL, and what a process
# holds at exit is not a fault; use-after-free, overflows and UB are.
cd "$RC_ROOT" || exit 1
asan_build="$RC_BUILD/asan"
logs="$RC_TMP/asan-e2e"
rm -rf "$logs"
mkdir -p "$logs"

if ! nice make -s -j2 BUILD="$asan_build" SANITIZE=1 "$asan_build/roomcast-notifier" >&2; then
	echo "not ok - asan-e2e: make SANITIZE=1 roomcast-notifier failed"
	exit 1
fi
echo "ok - asan-e2e: notifier built with -fsanitize=address,undefined"

export RC_NOTIFIER="$asan_build/roomcast-notifier"
export RC_SANITIZED=1
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:log_path=$logs/asan:quarantine_size_mb=64:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"

cd "$RC_ROOT/test" || exit 1
# RC_E2E_FILES: a subset while working on one area, e.g. RC_E2E_FILES=e2e/notifier-tls.test.mjs
files=${RC_E2E_FILES:-$(ls e2e/*.test.mjs 2>/dev/null)}
# node's TAP lines count as this suite's results (each e2e test, run under ASan)
node --test --test-reporter=tap --test-concurrency=1 $files | sed 's/^\(not ok\|ok\) \([0-9]*\) - /\1 \2 - asan: /'
node_status=${PIPESTATUS[0]}

reports=$(ls "$logs" 2>/dev/null)
if [ -n "$reports" ]; then
	echo "not ok - asan-e2e: sanitizer reports: $(echo $reports)"
	for f in "$logs"/*; do
		echo "---- $f" >&2
		cat "$f" >&2
	done
	exit 1
fi
echo "ok - asan-e2e: no AddressSanitizer or UBSan report from any notifier of the e2e suite"
exit "$node_status"
