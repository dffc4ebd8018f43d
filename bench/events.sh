#!/usr/bin/env bash
# bench/events.sh — throughput and latency of room events and the inbox.
#
#   bash bench/events.sh            private cluster (as test/run makes one)
#   RC_BENCH_SECONDS=20 bash bench/events.sh
#
# Measures, with pgbench against a private PostgreSQL started from the
# system installation plus this tree's extension (settings of
# test/lib/servers.sh: fsync off, synchronous_commit off):
#   - emit events/s, one event per transaction and 100 per transaction,
#     with 1 and 8 clients
#   - send_in_app notifications/s (8 clients)
#   - unread_count() latency per call (1000 calls per transaction) for a
#     user with 10 and one with 1,000,000 notifications, and their ratio
#     (goal <= 1.2)
#   - NOTIFY payload bytes per event, as a LISTENing session receives them
# Prints one "name: value" line per number. Not part of make test.
set -uo pipefail
RC_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RC_ROOT
. "$RC_ROOT/test/lib/servers.sh"
secs=${RC_BENCH_SECONDS:-10}

make -C "$RC_ROOT" -s all >/dev/null || exit 1
RC_TMP=$(mktemp -d /tmp/roomcast-bench.XXXXXX)
chmod 755 "$RC_TMP"
export RC_TMP
trap 'rc_servers_stop; rm -rf "$RC_TMP"' EXIT
rc_temp_install || exit 1
rc_pg_start || exit 1
PGB="$RC_PG_BIN/pgbench"
db=rc_bench
T=b0000000-0000-0000-0000-00000000000a
psql -X -q -c "CREATE DATABASE $db"
psql -X -q -d $db -v ON_ERROR_STOP=1 <<SQL || exit 1
CREATE EXTENSION pgcrypto;
CREATE EXTENSION roomcast;
INSERT INTO roomcast.tenants (id, slug, name) VALUES ('$T', 'bench', 'Bench');
INSERT INTO roomcast.users (tenant_id, id, email)
SELECT '$T', ('b0000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, n || '@bench.test'
  FROM generate_series(1, 100) n;
SQL

# tps of a pgbench script: run_tps clients script
run_tps() {
	"$PGB" -n -c "$1" -j "$1" -T "$secs" -f "$2" $db 2>&1 |
		sed -nE 's/^tps = ([0-9.]+) \(without.*/\1/p'
}
# average latency (ms) of a pgbench script with one client
run_lat() {
	"$PGB" -n -c 1 -j 1 -T "$secs" -f "$1" $db 2>&1 |
		sed -nE 's/^latency average = ([0-9.]+) ms/\1/p'
}

cat >"$RC_TMP/emit1.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T');
SELECT roomcast.emit('tenant:$T:case:42', 'case:updated', '{"status":"open","n":1}');
COMMIT;
SQL
cat >"$RC_TMP/emit100.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T');
SELECT count(roomcast.emit('tenant:$T:case:42', 'case:updated', jsonb_build_object('n', i))) FROM generate_series(1, 100) i;
COMMIT;
SQL
cat >"$RC_TMP/send.sql" <<SQL
\set u random(1, 100)
BEGIN;
SELECT roomcast.set_identity('$T');
SELECT roomcast.send_in_app(('b0000000-0000-0000-0000-' || lpad(:u::text, 12, '0'))::uuid, 'case:assigned', 'You have a new case', 'Case 42 was assigned to you', 'case', '42');
COMMIT;
SQL
cat >"$RC_TMP/noop.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T');
COMMIT;
SQL

for c in 1 8; do
	tps=$(run_tps $c "$RC_TMP/emit1.sql")
	echo "emit, 1 event/txn, $c clients: $(printf '%.0f' "$tps") events/s"
	tps=$(run_tps $c "$RC_TMP/emit100.sql")
	echo "emit, 100 events/txn, $c clients: $(printf '%.0f' "$(echo "$tps * 100" | bc)") events/s ($(printf '%.0f' "$tps") txn/s)"
done
tps=$(run_tps 8 "$RC_TMP/noop.sql")
echo "baseline, set_identity only, 8 clients: $(printf '%.0f' "$tps") txn/s"
tps=$(run_tps 8 "$RC_TMP/send.sql")
echo "send_in_app, 8 clients, 100 users: $(printf '%.0f' "$tps") notifications/s"

# --- unread_count with 10 and 1,000,000 notifications
SMALL=b0000000-0000-0000-0000-000000000001
BIG=b0000000-0000-0000-0000-000000000002
psql -X -q -d $db -v ON_ERROR_STOP=1 <<SQL || exit 1
-- bulk-load as the superuser (what send_in_app would do, a million times), then
-- set the counters to the exact counts
DELETE FROM roomcast.notifications WHERE user_id IN ('$SMALL', '$BIG');
INSERT INTO roomcast.notifications (tenant_id, id, user_id, type, title, created_at)
SELECT '$T', gen_random_uuid(), CASE WHEN i <= 10 THEN '$SMALL'::uuid ELSE '$BIG'::uuid END, 'bulk', 'n' || i, now()
  FROM generate_series(1, 1000010) i;
INSERT INTO roomcast.inbox_counters AS c (tenant_id, user_id, unread)
SELECT '$T'::uuid, user_id, count(*) FROM roomcast.notifications WHERE user_id IN ('$SMALL', '$BIG') AND NOT is_read GROUP BY 1, 2
ON CONFLICT (tenant_id, user_id) DO UPDATE SET unread = excluded.unread;
VACUUM ANALYZE roomcast.notifications;
VACUUM ANALYZE roomcast.inbox_counters;
SQL
for who in SMALL BIG; do
	cat >"$RC_TMP/count_$who.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T', '${!who}', 'member');
SELECT sum(roomcast.unread_count()) FROM generate_series(1, 1000);
COMMIT;
SQL
done
counts=$(psql -X -t -A -d $db -c "BEGIN; SELECT roomcast.set_identity('$T', '$BIG', 'member'); SELECT roomcast.unread_count(); COMMIT;" | tail -2 | head -1)
# warm both paths (plans, buffers) before measuring
"$PGB" -n -c 1 -T 1 -f "$RC_TMP/count_SMALL.sql" -f "$RC_TMP/count_BIG.sql" $db >/dev/null 2>&1
# alternate the two, twice each, and keep each one's best run: the machine's
# noise is larger than the difference being measured
lat_small=999999
lat_big=999999
for round in 1 2; do
	l=$(run_lat "$RC_TMP/count_SMALL.sql")
	lat_small=$(echo "if ($l < $lat_small) $l else $lat_small" | bc)
	l=$(run_lat "$RC_TMP/count_BIG.sql")
	lat_big=$(echo "if ($l < $lat_big) $l else $lat_big" | bc)
done
# each transaction makes 1000 calls: ms per transaction = us per call
echo "unread_count latency, 10 notifications: $lat_small us per call"
echo "unread_count latency, 1,000,000 notifications: $lat_big us per call (count = $counts)"
echo "unread_count latency ratio (1M / 10): $(echo "scale=3; $lat_big / $lat_small" | bc)"

# --- NOTIFY payload bytes per event
psql -X -d $db >"$RC_TMP/listen.out" 2>&1 <<SQL
LISTEN roomcast;
BEGIN;
SELECT roomcast.set_identity('$T');
SELECT roomcast.emit('tenant:$T', 'tenant:announce', '{}');
SELECT roomcast.emit('tenant:$T:case:42', 'case:updated', '{"status":"open","n":1}');
SELECT roomcast.send_in_app('$SMALL', 'case:assigned', 'You have a new case', 'Case 42 was assigned to you', 'case', '42');
SELECT roomcast.emit('tenant:$T', 'big', jsonb_build_object('blob', repeat('x', 20000)));
COMMIT;
SELECT 1;
SQL
sed -nE 's/^Asynchronous notification "roomcast" with payload "(.*)" received from server process with PID [0-9]+\.$/\1/p' "$RC_TMP/listen.out" |
	while IFS= read -r p; do
		ev=$(echo "$p" | sed -nE 's/.*"e":"([^"]*)".*/\1/p')
		echo "NOTIFY bytes, $ev: ${#p}"
	done
