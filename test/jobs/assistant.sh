# The example worker examples/assistant/worker.py against a real database
# (run by test/suites/27-jobs.sh with the database in $1): it streams a
# reply whose chunks are in the log in order and add up to the result, it
# retries on the "[fail-once]" marker, and it stops when the job is cancelled.
# Prints TAP lines; exits non-zero on a failure.
db=$1
T=27000000-0000-0000-0000-00000000000a
U=27000000-0000-0000-0000-000000000001
status=0
n=0
ok() {	# ok <0|1 (passed)> <name>
	n=$((n + 1))
	if [ "$1" = 1 ]; then echo "ok $n - assistant: $2"; else echo "not ok $n - assistant: $2"; status=1; fi
}
q() { psql -X -q -t -A -d "$db" -c "$1"; }
# enqueue as the requester; prints the job id
enqueue() {
	psql -X -q -t -A -d "$db" -c "BEGIN" -c "SELECT roomcast.set_identity('$T', '$U', 'member')" \
		-c "SELECT roomcast.enqueue('assistant', '$1'::jsonb, '${2:-normal}')" -c "COMMIT" | grep -E '^[0-9a-f-]{36}$'
}
status_of() { q "SELECT status FROM roomcast.jobs WHERE id = '$1'"; }
# wait until job $1 has status $2 (at most $3 seconds)
wait_status() {
	local i
	for i in $(seq $((${3:-10} * 20))); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# Debian's python3 has python3-psycopg; a python3 earlier on PATH (pyenv) may not
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import psycopg' 2>/dev/null; then
	ok 0 "python3-psycopg is installed"
	exit 1
fi
"$py" "$RC_ROOT/examples/assistant/worker.py" --dsn "dbname=$db user=rc_jobs_worker" \
	--word-delay 0.02 --idle-exit 60 2>"$RC_TMP/assistant-worker.log" &
worker=$!
sleep 0.5

# --- a streamed reply: chunks in order, adding up to the result
id=$(enqueue '{"prompt": "why is the build red", "words": 15}')
wait_status "$id" completed 10 && r=1 || r=0
ok $r "the worker claims, streams and completes a job"
res=$(q "SELECT (SELECT string_agg(data->>'text', '' ORDER BY pos) FROM roomcast.events
                  WHERE event = 'job:chunk' AND data->>'id' = '$id')
              = (SELECT result->>'text' FROM roomcast.jobs WHERE id = '$id')
         AND (SELECT array_agg((data->>'seq')::int ORDER BY pos) FROM roomcast.events
               WHERE event = 'job:chunk' AND data->>'id' = '$id') = (SELECT array_agg(i) FROM generate_series(0, 14) i)")
ok $([ "$res" = t ] && echo 1 || echo 0) "15 chunks, seq 0..14 in log order, concatenated equal the result text"
order=$(q "SELECT string_agg(event, ',' ORDER BY pos) FROM (SELECT DISTINCT ON (event) event, pos FROM roomcast.events
           WHERE data->>'id' = '$id' AND event IN ('job:queued', 'job:started', 'job:chunk', 'job:completed')
           ORDER BY event, pos) e")
ok $([ "$order" = "job:queued,job:started,job:chunk,job:completed" ] && echo 1 || echo 0) \
	"events in order queued, started, chunks, completed ($order)"

# --- retry marker: attempt 1 fails retryably, attempt 2 completes after the back-off (1 s, high)
id=$(enqueue '{"prompt": "flaky [fail-once]", "words": 3}' high)
wait_status "$id" completed 10 && r=1 || r=0
ok $r "a job with the retry marker completes"
res=$(q "SELECT attempt || ' ' || (SELECT count(*) FROM roomcast.events WHERE event = 'job:queued'
            AND data->>'id' = '$id' AND (data->>'retry')::boolean) FROM roomcast.jobs WHERE id = '$id'")
ok $([ "$res" = "2 1" ] && echo 1 || echo 0) "on its second attempt, after one job:queued {retry: true} (got '$res')"

# --- fatal marker: failed at once, job:failed
id=$(enqueue '{"prompt": "[fail-fatal]"}')
wait_status "$id" failed 10 && r=1 || r=0
ok $r "a non-retryable failure ends the job (failed, attempt 1)"

# --- cancellation: the worker stops streaming
id=$(enqueue '{"prompt": "a long answer", "words": 400}')
for i in $(seq 100); do
	c=$(q "SELECT count(*) FROM roomcast.events WHERE event = 'job:chunk' AND data->>'id' = '$id'")
	[ "$c" -ge 3 ] && break
	sleep 0.05
done
psql -X -q -t -A -d "$db" -c "BEGIN" -c "SELECT roomcast.set_identity('$T', '$U', 'member')" \
	-c "SELECT roomcast.cancel('$id')" -c "COMMIT" >/dev/null
sleep 0.5
after=$(q "SELECT count(*) FROM roomcast.events WHERE event = 'job:chunk' AND data->>'id' = '$id'
           AND pos > (SELECT pos FROM roomcast.events WHERE event = 'job:cancelled' AND data->>'id' = '$id')")
total=$(q "SELECT count(*) FROM roomcast.events WHERE event = 'job:chunk' AND data->>'id' = '$id'")
st=$(status_of "$id")
grep -q "job $id attempt 1: cancelled" "$RC_TMP/assistant-worker.log"
logged=$?
ok $([ "$st" = cancelled ] && [ "$after" = 0 ] && [ "$total" -lt 400 ] && [ $logged = 0 ] && echo 1 || echo 0) \
	"cancel mid-stream: the worker stops ($total of 400 chunks, none after job:cancelled, status $st)"

kill "$worker" 2>/dev/null
wait "$worker" 2>/dev/null
cat "$RC_TMP/assistant-worker.log" >&2
exit $status
