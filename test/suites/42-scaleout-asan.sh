# Suite: the notifier-starting parts of the later suites again, against the
# AddressSanitizer/UBSan notifier of suite 41 (make BUILD=build/asan SANITIZE=1):
#  - 50-cluster: test/cluster/*.test.mjs (two notifiers behind HAProxy, the
#    Redis presence relay, the rpc pool through pgbouncer, kill -9 + recovery);
#  - 52-shards: its clusters and test/shards/notifier.test.mjs only
#    (RC_SHARDS_PART=notifier: one notifier with --db twice);
#  - 28-upgrade: test/upgrade/truncate.test.mjs (a notifier on 0.1.0 while
#    the extension is upgraded under it);
#  - 47-python-client: test/python/test_client.py (python-socketio, restarts);
#  - 48-operations: test/python/check_operations.py (the systemd ExecStart,
#    SIGHUP reload and SIGTERM stop).
# Each starts its notifiers from RC_NOTIFIER. Every notifier a test stops
# without SIGKILL gets SIGTERM (RC_NOTIFIER_STOP_SIGNAL), so its drain and
# exit run under the sanitizers too, with LeakSanitizer at exit: memory lost
# by a normal shutdown is reported. (A notifier killed with -9 writes no
# report; one that hits a fault stops at once, halt_on_error, and its report
# is in $RC_TMP/asan-scaleout.) Any report fails the suite; the node/python
# TAP lines count as this suite's, prefixed "asan:".
cd "$RC_ROOT" || exit 1
asan_build="$RC_BUILD/asan"
logs="$RC_TMP/asan-scaleout"
rm -rf "$logs"
mkdir -p "$logs"
chmod 777 "$logs"	# the systemd-style run of 48 may run the notifier as another user

if ! nice make -s -j2 BUILD="$asan_build" SANITIZE=1 "$asan_build/roomcast-notifier" >&2; then
	echo "not ok - asan-scaleout: make SANITIZE=1 roomcast-notifier failed"
	exit 1
fi
echo "ok - asan-scaleout: notifier built with -fsanitize=address,undefined"

export RC_NOTIFIER="$asan_build/roomcast-notifier"
export RC_SANITIZED=1
export RC_NOTIFIER_STOP_SIGNAL=SIGTERM
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$logs/asan:quarantine_size_mb=64:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$RC_ROOT/test/asan/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
status=0
tag() { sed -u "s/^\(not ok\|ok\)\( [0-9]*\)\? - /\1\2 - asan: $1: /"; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

cd "$RC_ROOT/test" || exit 1
node --test --test-reporter=tap --test-concurrency=1 cluster/*.test.mjs upgrade/truncate.test.mjs | tag node
[ "${PIPESTATUS[0]}" = 0 ] || status=1
RC_SHARDS_PART=notifier bash "$RC_ROOT/test/suites/52-shards.sh" | tag shards
[ "${PIPESTATUS[0]}" = 0 ] || status=1
cd "$RC_ROOT" || exit 1
"$py" test/python/test_client.py | tag python
[ "${PIPESTATUS[0]}" = 0 ] || status=1
"$py" test/python/check_operations.py | tag operations
[ "${PIPESTATUS[0]}" = 0 ] || status=1

reports=$(ls "$logs" 2>/dev/null)
if [ -n "$reports" ]; then
	echo "not ok - asan-scaleout: sanitizer reports: $(echo $reports)"
	for f in "$logs"/*; do
		echo "---- $f" >&2
		cat "$f" >&2
	done
	exit 1
fi
echo "ok - asan-scaleout: no AddressSanitizer, LeakSanitizer or UBSan report from any notifier"
exit "$status"
