# Suite: room events and the inbox across sessions (SPEC §3-§4).
#  - test/events/multisession.mjs: commit order of pos and NOTIFY with two
#    sessions, rollback, 100 events per transaction, the 20 KB path, control
#    messages (node + pg, a LISTENing session)
#  - pgbench: concurrent senders, readers, markers and archivers; afterwards
#    every unread counter equals a full count; and a reader that follows the
#    hints of concurrent emitters (as the notifier does: notifier_read after
#    its cursor) gets every logged event once, in strictly increasing pos
#    order, with nothing skipped.
cd "$RC_ROOT/test" || exit 1
db=rc_events_mt
psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2 || exit 1
psql -X -q -d "$db" -v ON_ERROR_STOP=1 >&2 <<'SQL' || exit 1
CREATE EXTENSION pgcrypto;
CREATE EXTENSION roomcast;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_events_notifier') THEN
        CREATE ROLE rc_events_notifier NOLOGIN;
    END IF;
END $$;
GRANT roomcast_notifier TO rc_events_notifier;
INSERT INTO roomcast.tenants (id, slug, name) VALUES ('25000000-0000-0000-0000-00000000000a', 'mt', 'Multi-session');
INSERT INTO roomcast.users (tenant_id, id, email)
SELECT '25000000-0000-0000-0000-00000000000a', ('25000000-0000-0000-0000-00000000000' || n)::uuid, n || '@mt.test'
  FROM generate_series(1, 8) n;
-- one random inbox operation for user u (1-8), as pgbench runs it
CREATE FUNCTION public.inbox_op(u int, op int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    t constant uuid := '25000000-0000-0000-0000-00000000000a';
    uid uuid := ('25000000-0000-0000-0000-00000000000' || u)::uuid;
    ids uuid[];
BEGIN
    PERFORM roomcast.set_identity(t, uid, 'member');
    IF op <= 4 THEN
        PERFORM roomcast.send_in_app(uid, 'bench', 'n');
    ELSIF op = 5 THEN
        PERFORM roomcast.send_in_app_many(ARRAY[uid, ('25000000-0000-0000-0000-00000000000' || (u % 8 + 1))::uuid], 'bench', 'm');
    ELSIF op <= 7 THEN
        ids := ARRAY(SELECT id FROM roomcast.notifications WHERE tenant_id = t AND user_id = uid
                      ORDER BY random() LIMIT 3);
        PERFORM roomcast.mark_read(ids);
    ELSIF op = 8 THEN
        ids := ARRAY(SELECT id FROM roomcast.notifications WHERE tenant_id = t AND user_id = uid
                      ORDER BY random() LIMIT 2);
        PERFORM roomcast.archive(ids);
    ELSIF op = 9 THEN
        PERFORM roomcast.mark_all_read();
    ELSE
        RETURN roomcast.unread_count();
    END IF;
    RETURN 0;
END $$;
SQL

status=0
node events/multisession.mjs "$db" || status=1

# --- concurrent inbox operations
script="$RC_TMP/inbox_ops.sql"
cat >"$script" <<'PGB'
\set u random(1, 8)
\set op random(1, 10)
SELECT public.inbox_op(:u, :op);
PGB
out=$("$RC_PG_BIN/pgbench" -n -c 8 -j 4 -t 300 -f "$script" "$db" 2>&1)
echo "$out" >&2
done_tx=$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
if [ "$done_tx" = 2400 ]; then
	echo "ok - pgbench: 8 clients ran 2400 concurrent inbox operations without error"
else
	echo "not ok - pgbench: 8 clients ran 2400 concurrent inbox operations without error (got '$done_tx')"
	status=1
fi
res=$(psql -X -t -A -d "$db" -c "
SELECT count(*) FILTER (WHERE c.unread <> x.n) || ' ' || count(*) || ' ' || sum(x.n) || ' ' ||
       (SELECT count(*) FROM roomcast.notifications WHERE is_read) || ' ' ||
       (SELECT count(*) FROM roomcast.notifications WHERE archived_at IS NOT NULL)
  FROM roomcast.inbox_counters c
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM roomcast.notifications n
                       WHERE n.tenant_id = c.tenant_id AND n.user_id = c.user_id
                         AND NOT n.is_read AND n.archived_at IS NULL) x")
read -r wrong users unread read archived <<<"$res"
echo "# counters: $users users, $unread unread, $read read, $archived archived, $wrong wrong" >&2
if [ "$wrong" = 0 ] && [ "$users" = 8 ] && [ "$read" -gt 0 ] && [ "$archived" -gt 0 ]; then
	echo "ok - every unread counter equals a full count after concurrent send/read/archive ($unread unread, $read read, $archived archived)"
else
	echo "not ok - every unread counter equals a full count after concurrent send/read/archive ($res)"
	status=1
fi

# --- concurrent emitters: a hint-following reader gets every event once, in pos order
node --input-type=module - "$db" <<'JS' || status=1
import pg from 'pg';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const db = process.argv[2];
const l = new pg.Client({ database: db });
await l.connect();
const rd = new pg.Client({ database: db });
await rd.connect();
await rd.query('SET ROLE rc_events_notifier');
const pos = [];
let last = (await rd.query('SELECT pos FROM roomcast.notifier_anchor()')).rows[0].pos;
let reading = null, again = false, reads = 0;
async function read() {
	do {
		again = false;
		reads++;
		const r = await rd.query('SELECT pos, event FROM roomcast.notifier_read($1, 0, 500) WHERE room IS NOT NULL', [last]);
		for (const row of r.rows) { if (row.event === 'conc') pos.push(row.pos); last = row.pos; }
		if (r.rows.length >= 500) again = true;
	} while (again);
	reading = null;
}
l.on('notification', () => { if (reading) again = true; else reading = read(); });
await l.query('LISTEN roomcast');
const f = `${process.env.RC_TMP}/emit_conc.sql`;
writeFileSync(f, `BEGIN;
SELECT roomcast.set_identity('25000000-0000-0000-0000-00000000000a');
SELECT roomcast.emit('tenant:25000000-0000-0000-0000-00000000000a', 'conc', '{}');
SELECT roomcast.emit('tenant:25000000-0000-0000-0000-00000000000a', 'conc', '{}');
COMMIT;
`);
const code = await new Promise((r) => spawn(`${process.env.RC_PG_BIN}/pgbench`, ['-n', '-c', '8', '-j', '4', '-t', '200', '-f', f, db],
	{ stdio: ['ignore', 'ignore', 'inherit'] }).on('exit', r));
const end = Date.now() + 10000;
while (pos.length < 3200 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
let increasing = true;
for (let i = 1; i < pos.length; i++) if (!(Number(pos[i]) > Number(pos[i - 1]))) increasing = false;
const r = await l.query(`SELECT array_agg(pos ORDER BY pos)::text AS all FROM roomcast.events WHERE event = 'conc'`);
const logged = r.rows[0].all;
const ok = code === 0 && pos.length === 3200 && increasing && logged === `{${pos.join(',')}}`;
console.log(`${ok ? 'ok' : 'not ok'} - 8 concurrent emitters: a hint-following reader got all 3200 logged events once, in strictly increasing pos order (got ${pos.length} in ${reads} reads)`);
await Promise.all([l.end(), rd.end()]);
process.exit(ok ? 0 : 1);
JS
# --- pg_dump keeps the log (every partition), the inbox and the position sequence
r=rc_events_restore
psql -X -q -c "DROP DATABASE IF EXISTS $r" -c "CREATE DATABASE $r" >&2
before=$(psql -X -t -A -d "$db" -c "SELECT (SELECT count(*) FROM roomcast.events) || ' ' || (SELECT max(pos) FROM roomcast.events) || ' ' || (SELECT count(*) FROM roomcast.notifications) || ' ' || (SELECT sum(unread) FROM roomcast.inbox_counters)")
# The only errors allowed: the primary key of each event partition, which
# ATTACH PARTITION already created from the extension-owned parent's key.
"$RC_PG_BIN/pg_dump" -d "$db" -f "$RC_TMP/events_dump.sql" >&2
psql -X -q -d "$r" -f "$RC_TMP/events_dump.sql" >"$RC_TMP/restore.out" 2>&1
cat "$RC_TMP/restore.out" >&2
unexpected=$(grep 'ERROR' "$RC_TMP/restore.out" | grep -v 'multiple primary keys for table "events_[0-9]*" are not allowed')
if [ -z "$unexpected" ]; then
	after=$(psql -X -t -A -d "$r" -c "SELECT (SELECT count(*) FROM roomcast.events) || ' ' || (SELECT max(pos) FROM roomcast.events) || ' ' || (SELECT count(*) FROM roomcast.notifications) || ' ' || (SELECT sum(unread) FROM roomcast.inbox_counters)")
	next=$(psql -X -t -A -d "$r" -c "BEGIN" -c "SELECT roomcast.set_identity('25000000-0000-0000-0000-00000000000a')" \
		-c "SELECT roomcast.emit_to_tenant('after-restore')" -c "COMMIT" \
		-c "SELECT pos FROM roomcast.events WHERE event = 'after-restore'" | tail -1)
	maxpos=${before#* }; maxpos=${maxpos%% *}
	if [ "$before" = "$after" ] && [ -n "$next" ] && [ "$next" -gt "$maxpos" ]; then
		echo "ok - pg_dump and restore keep the event log, the inbox and counters; pos continues ($before; next pos $next)"
	else
		echo "not ok - pg_dump and restore keep the event log, the inbox and counters; pos continues (before '$before' after '$after' next '$next')"
		status=1
	fi
else
	echo "not ok - pg_dump output restores without unexpected errors: $unexpected"
	status=1
fi

exit $status
