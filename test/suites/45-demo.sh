# Suite: `make demo` smoke test. The demo starts its own servers, prints the
# sign-in URL and one URL per demo user, serves the page and the
# socket.io-client bundle, answers /healthz with the database up, and with
# RC_DEMO_SECONDS stops by itself, leaving none of its processes behind and
# its ports free. The port it is asked for (RC_DEMO_PORT) is taken on purpose
# by a listener of ours: the probe-then-bind race of issue 13, which the run
# script must survive by retrying on another port.
cd "$RC_ROOT" || exit 1
. "$RC_ROOT/test/lib/servers.sh"	# rc_free_port
log="$RC_TMP/demo.log"
check() { if eval "$2"; then echo "ok - demo: $1"; else echo "not ok - demo: $1"; fi; }

# Take a port the way a racing process would: bound and listening.
taken=$(rc_free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("listening", flush=True); time.sleep(120)
' "$taken" >"$RC_TMP/squatter.log" 2>&1 &
squatter=$!
for _ in $(seq 50); do grep -q listening "$RC_TMP/squatter.log" && break; sleep 0.1; done

RC_DEMO_SECONDS=20 RC_DEMO_PORT=$taken bash examples/demo/run >"$log" 2>&1 &
demo=$!
url=
for _ in $(seq 240); do
	url=$(grep -m1 -oE 'sign in: +http://127\.0\.0\.1:[0-9]+/' "$log" 2>/dev/null | grep -oE 'http://[0-9.:]+/')
	[ -n "$url" ] && break
	kill -0 $demo 2>/dev/null || break
	sleep 0.5
done
port=${url##*:}
port=${port%/}
check "says the port it was given was taken, and retries" 'grep -q "port $taken was taken when the notifier bound it; trying another" "$log"'
check "serves on another port" '[ -n "$port" ] && [ "$port" != "$taken" ]'
echo "SECURITY|demo/run|the demo's notifier port taken by another process (probe-then-bind race)|the run retries on a new free port; the squatter gets no traffic"
check "prints the sign-in URL (sessions in the fragment)" 'grep -qE "sign in: +http://127\.0\.0\.1:[0-9]+/#signin=[A-Za-z0-9_-]{200,}$" "$log"'
check "prints a URL per demo user" '[ "$(grep -c "#token=.*&refresh=" "$log")" -ge 4 ]'
check "serves the page" 'curl -sf "$url" | grep -q "roomcast"'
check "serves the page's scripts" 'for f in util session inbox cases assistant app; do curl -sf "${url}$f.js" | grep -q "use strict" || exit 1; done'
check "serves the socket.io-client bundle" 'curl -sf "${url}socket.io.min.js" | head -c 200 | grep -q "Socket.IO v4"'
sleep 2
check "the notifier is healthy with its database" 'curl -s "${url}healthz" | grep -q "\"db\":\"up\""'
alog=$(grep -m1 -oE '/tmp/roomcast-demo\.[A-Za-z0-9]+/assistant\.log' "$log")
check "the assistant panel's worker listens on roomcast_jobs" '[ -n "$alog" ] && grep -q "listening on roomcast_jobs" "$alog"'
scratch=$(grep -m1 -oE '/tmp/roomcast-demo\.[A-Za-z0-9]+' "$log")
pgport=$(grep -m1 -oE 'psql -h 127\.0\.0\.1 -p [0-9]+' "$log" | grep -oE '[0-9]+$')
# the activity loop moves cases 1-5; the trigger of setup_cases.sql emits case:updated
check "the activity loop changes cases through the trigger" \
	'[ -n "$pgport" ] && [ "$(psql -X -t -A -h 127.0.0.1 -p "$pgport" -U postgres -d roomcast_demo -c "SELECT count(*) FROM roomcast.events WHERE event = '"'"'case:updated'"'"'")" -gt 0 ]'
wait $demo
status=$?
kill "$squatter" 2>/dev/null
wait "$squatter" 2>/dev/null
check "exits 0 after RC_DEMO_SECONDS" '[ $status = 0 ]'
check "leaves no process of its own behind" '[ -n "$scratch" ] && ! pgrep -f "$scratch" >/dev/null'
check "frees its ports (notifier, PostgreSQL)" \
	'[ -n "$port" ] && ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$pgport) 2>/dev/null'
check "removes its scratch directory" '[ -n "$scratch" ] && [ ! -e "$scratch" ]'
cat "$log" >&2
exit 0
