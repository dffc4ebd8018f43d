# Suite: scale-out (issue 12, SPEC §10, docs/scale-out.md). Two notifiers behind
# HAProxy with the rpc pool through pgbouncer in transaction mode
# (test/cluster/*.test.mjs, node's test runner, TAP), then `examples/cluster/run`
# as a user starts it: prints the URL, HAProxy answers /healthz with both
# notifiers UP, it stops by itself (RC_CLUSTER_SECONDS) leaving nothing behind.
cd "$RC_ROOT/test" || exit 1
node --test --test-reporter=tap --test-concurrency=1 cluster/*.test.mjs

cd "$RC_ROOT" || exit 1
log="$RC_TMP/cluster-example.log"
st="$RC_TMP/cluster-example.state"
RC_CLUSTER_SECONDS=12 RC_CLUSTER_STATE="$st" bash examples/cluster/run >"$log" 2>&1 &
run=$!
for _ in $(seq 240); do [ -s "$st" ] && break; kill -0 $run 2>/dev/null || break; sleep 0.5; done
check() { if eval "$2"; then echo "ok - cluster example: $1"; else echo "not ok - cluster example: $1"; fi; }
front= stats= tmp=
[ -s "$st" ] && . "$st"
check "prints a URL per demo user, through HAProxy" '[ -n "$front" ] && [ "$(grep -c "127.0.0.1:$front/#token=" "$log")" -ge 3 ]'
check "HAProxy answers /healthz and sets the SERVERID cookie" \
	'curl -s -D - "http://127.0.0.1:$front/healthz" | grep -qi "^set-cookie: SERVERID=n[12]"'
check "both notifiers UP in HAProxy's health checks" \
	'[ "$(curl -s "http://127.0.0.1:$stats/;csv" | grep -cE "^notifiers,n[12],.*,UP,")" = 2 ]'
check "serves the demo page through HAProxy" 'curl -sf "http://127.0.0.1:$front/" | grep -q roomcast'
wait $run
status=$?
check "exits 0 after RC_CLUSTER_SECONDS" '[ $status = 0 ]'
check "leaves no process of its own behind" '[ -n "$tmp" ] && ! pgrep -f "$tmp" >/dev/null'
cat "$log" >&2
exit 0
