-- Room events (SPEC §3): emit checks and limits, the log, transactions,
-- maintain(). NOTIFY order and payloads are tested by test/suites/25-events.sh.
-- Tenants 45000000-…-a (A) and -b (B).
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('45000000-0000-0000-0000-00000000000a', 'events-a', 'Events A'),
    ('45000000-0000-0000-0000-00000000000b', 'events-b', 'Events B');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('45000000-0000-0000-0000-00000000000a', '45000000-0000-0000-0000-000000000001', 'a1@events.test');
-- the events of tenant A, as the log holds them (ids and pos vary by run)
CREATE FUNCTION pg_temp.log_a() RETURNS TABLE (room text, nsp text, event text, data jsonb, has_ts boolean)
LANGUAGE sql AS $$
    SELECT room, nsp, event, CASE WHEN jsonb_typeof(data) = 'object' THEN data - 'timestamp' ELSE data END,
           data ? 'timestamp' FROM roomcast.events
     WHERE tenant_id = '45000000-0000-0000-0000-00000000000a' ORDER BY pos
$$;
SET ROLE rc_test_app;

-- no identity: RC401
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'x')$$);

BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000a', '45000000-0000-0000-0000-000000000001', 'member');
-- each form of room, and the return value is the event id
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'tenant.hello', '{"n": 1}') > 0 AS has_id;
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a:case:42', 'case:updated', '{"n": 2, "timestamp": 5}', '/cases') IS NOT NULL;
SELECT roomcast.emit_to_user('45000000-0000-0000-0000-000000000002', 'dm', '["not", "an", "object"]') IS NOT NULL;
SELECT roomcast.emit_to_tenant('broadcast', '"scalar"') IS NOT NULL;
SELECT roomcast.emit_to_tenant('nodata') IS NOT NULL;
-- another tenant's room: RC404
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b:case:42', 'x')$$);
-- malformed rooms, events, namespaces: RC413
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000A', 'x')$$);
SELECT err($$SELECT roomcast.emit('case:42', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a:case:', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a:case:4 2', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a:Case:42', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a:user:bob', 'x')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'bad event')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', '')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', repeat('e', 65))$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', repeat('e', 64))::text IS NOT NULL$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'x', '{}', 'nsp')$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'x', '{}', '/a"b')$$);
-- data over roomcast.max_event_bytes: RC413; exactly at the limit passes.
-- {"s":"…"} is 8 bytes plus the string.
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'big', jsonb_build_object('s', repeat('x', 65529)))$$);
SELECT err($$SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000a', 'big', jsonb_build_object('s', repeat('x', 65528)))::text IS NOT NULL$$);
-- the limit is a setting only a superuser can change
SELECT err($$SELECT set_config('roomcast.max_event_bytes', '1000000', true)$$);
SELECT err($$SELECT roomcast.emit(NULL, 'x')$$);
-- nothing is in the log before commit
SELECT count(*) FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000a';
COMMIT;

BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000a', '45000000-0000-0000-0000-000000000001', 'member');
-- after commit: one row per event, in emit order, timestamp added to objects that lack one
SELECT room, nsp, event, CASE WHEN length(data::text) > 100 THEN left(data::text, 20) || '…' ELSE data::text END AS data, has_ts FROM pg_temp.log_a();
-- the explicit timestamp was kept
SELECT data->'timestamp' FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000a' AND event = 'case:updated';
-- positions strictly increase with ids within one transaction, created_at is one commit time
SELECT count(DISTINCT created_at) AS commit_times,
       bool_and(pos > 0) AS positive,
       (SELECT bool_and(d) FROM (SELECT (lag(id) OVER (ORDER BY pos)) < id AS d FROM roomcast.events
                                 WHERE tenant_id = '45000000-0000-0000-0000-00000000000a') s WHERE d IS NOT NULL) AS ids_follow_pos
  FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000a';
-- the added timestamp is the commit time, in ms
SELECT bool_and((data->>'timestamp')::bigint = floor(extract(epoch FROM created_at) * 1000)::bigint)
  FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000a' AND event = 'tenant.hello';
-- RLS: tenant A cannot read B's log and cannot write the log directly
SELECT err($$INSERT INTO roomcast.events VALUES ('45000000-0000-0000-0000-00000000000a', 1, 1, 'r', '/', 'e', '{}', now()) RETURNING 1$$);
COMMIT;

-- a rolled-back transaction leaves nothing in the log
BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000b');
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'rolled-back') IS NOT NULL;
ROLLBACK;
-- a rolled-back savepoint drops only its own events
BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000b');
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'kept-1') IS NOT NULL;
SAVEPOINT s1;
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'dropped-1') IS NOT NULL;
SAVEPOINT s2;
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'dropped-2') IS NOT NULL;
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s3;
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'kept-2') IS NOT NULL;
RELEASE SAVEPOINT s3;
-- an error caught in plpgsql is a rolled-back subtransaction too
DO $$ BEGIN
    PERFORM roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'dropped-3');
    PERFORM 1 / 0;
EXCEPTION WHEN division_by_zero THEN
    PERFORM roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'kept-3');
END $$;
COMMIT;
BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000b');
SELECT event FROM roomcast.events ORDER BY pos;
COMMIT;

-- PREPARE TRANSACTION with pending events is refused (and rolls back)
BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000b');
SELECT roomcast.emit('tenant:45000000-0000-0000-0000-00000000000b', 'prepared') IS NOT NULL;
PREPARE TRANSACTION 'rc_events_test';
BEGIN;
SELECT roomcast.set_identity('45000000-0000-0000-0000-00000000000b');
SELECT count(*) FROM roomcast.events WHERE event = 'prepared';
COMMIT;
RESET ROLE;

-- maintain(): partitions ahead, retention
SELECT has_function_privilege('roomcast_notifier', 'roomcast.maintain()', 'execute') AS notifier_may_maintain,
       has_function_privilege('rc_test_plain', 'roomcast.maintain()', 'execute') AS app_may_not;
SELECT (roomcast.maintain() ? 'created') AS ran;
-- today (UTC) and the next three days have partitions
SELECT count(*) FROM roomcast._events_partitions()
 WHERE day BETWEEN (now() AT TIME ZONE 'UTC')::date AND (now() AT TIME ZONE 'UTC')::date + 3;
-- old partitions and rows, written directly by the superuser
-- five days: the "fresh" row below (6 days 23 hours ago) is on day -6 after 23:00 UTC
SELECT cardinality(roomcast._events_create_partitions(now() - interval '10 days', 5));
INSERT INTO roomcast.events (tenant_id, id, pos, room, nsp, event, data, created_at)
SELECT '45000000-0000-0000-0000-00000000000c', -d, -d, 'tenant:45000000-0000-0000-0000-00000000000c', '/', 'old', '{}',
       now() - make_interval(days => d)
  FROM generate_series(7, 10) d;
INSERT INTO roomcast.events (tenant_id, id, pos, room, nsp, event, data, created_at)
VALUES ('45000000-0000-0000-0000-00000000000c', -100, -100, 'tenant:45000000-0000-0000-0000-00000000000c', '/', 'fresh', '{}',
        now() - interval '6 days 23 hours');
SET roomcast.event_retention = '7 days';
SELECT r->'created' AS created, jsonb_array_length(r->'dropped') >= 3 AS dropped_old_days, r->'deleted' AS deleted
  FROM roomcast._maintain(now()) r;
-- everything older than the retention is gone; the newer event stays
SELECT event, count(*) FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000c' GROUP BY 1;
SELECT count(*) AS expired_partitions FROM roomcast._events_partitions()
 WHERE day < (now() AT TIME ZONE 'UTC' - interval '7 days')::date;
-- a run in a later "now" drops the rest and creates partitions ahead of it
SELECT jsonb_array_length(r->'created') AS created, r->'deleted' AS deleted
  FROM roomcast._maintain(now() + interval '30 days') r;
SELECT count(*) FROM roomcast.events WHERE tenant_id = '45000000-0000-0000-0000-00000000000c';
RESET roomcast.event_retention;
-- put today's partitions back for the scripts that follow
SELECT cardinality(roomcast._events_create_partitions(now(), 4)) AS recreated;
