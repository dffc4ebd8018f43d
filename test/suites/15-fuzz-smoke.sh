# Suite: short libFuzzer runs of every fuzz target in test/fuzz/ (common/
# and the notifier codecs). Builds them with `make fuzz` (clang, ASan,
# UBSan), then runs each from its kept corpus (test/fuzz/corpus/<target>/,
# every input of which is replayed first, so an old finding that comes back
# fails here) into a scratch corpus for RC_FUZZ_SECONDS, by default 28 s
# shared among the targets (at least 3 s each), so the suite stays under
# ~45 s as targets are added. UBSAN_OPTIONS makes every UBSan report fatal,
# also in targets built with recoverable checks.
# One TAP line per target; skipped when clang is not installed. Longer runs
# and how the kept corpus is grown: docs/fuzzing.md.
cd "$RC_ROOT" || exit 1
targets=$(ls test/fuzz/fuzz_*.c | wc -l)
seconds=${RC_FUZZ_SECONDS:-$(( 28 / targets > 3 ? 28 / targets : 3 ))}

if ! command -v clang >/dev/null; then
	echo "ok - fuzz: # SKIP clang not installed"
	exit 0
fi
if ! make -s -j2 BUILD="$RC_BUILD" fuzz >&2; then
	echo "not ok - fuzz: make fuzz failed"
	exit 1
fi
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
work=$(mktemp -d "${RC_TMP:-/tmp}/fuzz.XXXXXX")
status=0
for src in test/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	mkdir -p "$work/$t"
	log="$work/$t.log"
	"$RC_BUILD/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$work/$t-" "$work/$t" "test/fuzz/corpus/${t#fuzz_}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ ! -d "test/fuzz/corpus/${t#fuzz_}" ]; then
		echo "not ok - fuzz: $t has no kept corpus test/fuzz/corpus/${t#fuzz_}/"
		status=1
	elif [ $rc = 0 ] && [ -n "$runs" ]; then
		echo "ok - fuzz: $t ran $runs inputs in ${seconds}s without a finding"
		case "$t" in
		fuzz_http_pipeline) what="pipelined and partial HTTP requests, split at random points" area=notifier/http ;;
		fuzz_ws_stream) what="WebSocket frame streams, fragments, split at random points" area=notifier/websocket ;;
		fuzz_notifier_codecs) what="Socket.IO, Engine.IO, WebSocket, HTTP and JSON codec input" area=notifier/codecs ;;
		fuzz_presence_relay) what="presence relay messages and channels as hiredis hands them" area=notifier/presence-relay ;;
		fuzz_tls_input) what="TLS client byte streams and sessions (KeyUpdates, flipped and injected records, close_notify, reload)" area=notifier/tls ;;
		*) what="${t#fuzz_} input" area=common/${t#fuzz_} ;;
		esac
		echo "# SECURITY|$area|$runs fuzzed $what (ASan+UBSan)|no crash, no property violated"
	else
		echo "not ok - fuzz: $t (exit $rc)"
		grep -A30 'ERROR\|SUMMARY' "$log" | head -60 >&2
		ls "$work"/"$t"-* >&2 2>/dev/null
		status=1
	fi
done
rm -rf "$work"
exit $status
