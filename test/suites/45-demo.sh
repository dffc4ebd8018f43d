# Suite: `make demo` smoke test. The demo starts its own servers, prints the
# URLs, serves the page and the socket.io-client bundle, answers /healthz
# with the database up, and with RC_DEMO_SECONDS stops by itself, leaving
# none of its processes behind.
cd "$RC_ROOT" || exit 1
log="$RC_TMP/demo.log"
RC_DEMO_SECONDS=40 bash examples/demo/run >"$log" 2>&1 &
demo=$!
url=
for _ in $(seq 240); do
	url=$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+/' "$log" 2>/dev/null | head -1)
	[ -n "$url" ] && break
	sleep 0.5
done
check() { if eval "$2"; then echo "ok - demo: $1"; else echo "not ok - demo: $1"; fi; }
check "prints a URL per demo user" '[ "$(grep -c "#token=" "$log")" -ge 3 ]'
check "serves the page" 'curl -sf "$url" | grep -q "roomcast"'
check "serves the socket.io-client bundle" 'curl -sf "${url}socket.io.min.js" | head -c 200 | grep -q "Socket.IO v4"'
sleep 2
check "the notifier is healthy with its database" 'curl -s "${url}healthz" | grep -q "\"db\":\"up\""'
alog=$(grep -m1 -oE '/tmp/roomcast-demo\.[A-Za-z0-9]+/assistant\.log' "$log")
check "the assistant panel's worker listens on roomcast_jobs" '[ -n "$alog" ] && grep -q "listening on roomcast_jobs" "$alog"'
wait $demo
status=$?
check "exits 0 after RC_DEMO_SECONDS" '[ $status = 0 ]'
scratch=$(grep -m1 -oE '/tmp/roomcast-demo\.[A-Za-z0-9]+' "$log")
check "leaves no process of its own behind" '[ -n "$scratch" ] && ! pgrep -f "$scratch" >/dev/null'
cat "$log" >&2
exit 0
