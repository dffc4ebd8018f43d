-- The control log and the notifiers' read (SPEC §3 "Nothing on the channel
-- is trusted", SPEC §7 disconnect of disabled/deleted users and tenants).
-- Delivery end to end is tested by test/e2e/notifier-forged-notify.test.mjs.
-- Tenants 46000000-…-a (A) and -b (B).
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_test_notifier') THEN
        CREATE ROLE rc_test_notifier NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END $$;
GRANT roomcast_notifier TO rc_test_notifier;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('46000000-0000-0000-0000-00000000000a', 'control-a', 'Control A'),
    ('46000000-0000-0000-0000-00000000000b', 'control-b', 'Control B');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('46000000-0000-0000-0000-00000000000a', '46000000-0000-0000-0000-000000000001', 'a1@control.test'),
    ('46000000-0000-0000-0000-00000000000a', '46000000-0000-0000-0000-000000000002', 'a2@control.test'),
    ('46000000-0000-0000-0000-00000000000b', '46000000-0000-0000-0000-000000000003', 'b1@control.test');
-- entries written from here on, as (kind, message without "c")
CREATE TEMP TABLE mark AS SELECT (SELECT coalesce(max(id), 0) FROM roomcast.control_log) AS id;
GRANT SELECT ON mark TO PUBLIC;
CREATE FUNCTION pg_temp.since() RETURNS TABLE (kind text, msg jsonb)
LANGUAGE sql AS $$
    SELECT kind, data - 'c' FROM roomcast.control_log WHERE id > (SELECT id FROM mark) ORDER BY id
$$;
CREATE FUNCTION pg_temp.remark() RETURNS void LANGUAGE sql AS $$
    UPDATE mark SET id = (SELECT coalesce(max(id), 0) FROM roomcast.control_log)
$$;

-- nobody but the owner reads or writes the log, or reads it through the notifier's functions
SELECT r AS role, has_table_privilege(r, 'roomcast.control_log', 'SELECT') AS sel,
       has_table_privilege(r, 'roomcast.control_log', 'INSERT') AS ins,
       has_table_privilege(r, 'roomcast.events', 'INSERT') AS ins_events,
       has_function_privilege(r, 'roomcast.notifier_read(bigint, bigint, int)', 'EXECUTE') AS may_read,
       has_function_privilege(r, 'roomcast.notifier_anchor()', 'EXECUTE') AS may_anchor,
       has_function_privilege(r, 'roomcast.notify_control(text, jsonb)', 'EXECUTE') AS may_notify_control,
       has_function_privilege(r, 'roomcast._control_on_identity()', 'EXECUTE') AS may_trigger
  FROM unnest(ARRAY['rc_test_app', 'rc_test_plain', 'roomcast_service', 'roomcast_notifier']) r ORDER BY 1;
SET ROLE rc_test_app;
SELECT err($$INSERT INTO roomcast.control_log VALUES ('46000000-0000-0000-0000-00000000000a', 999999, 'kick', '{"c":"kick"}', now())$$);
SELECT err($$SELECT count(*) FROM roomcast.control_log$$);
SELECT err($$SELECT count(*) FROM roomcast.notifier_read(0, 0)$$);
SELECT err($$SELECT roomcast.notify_control('keys')$$);
SELECT err($$SELECT setval('roomcast.control_id_seq', 1000000)$$);
RESET ROLE;
-- a trigger of one's own on roomcast's trigger function is refused
CREATE TABLE public.ctl_own (tenant_id uuid, id uuid);
ALTER TABLE public.ctl_own OWNER TO rc_test_app;
SET ROLE rc_test_app;
SELECT err($$CREATE TRIGGER t AFTER DELETE ON public.ctl_own FOR EACH ROW EXECUTE FUNCTION roomcast._control_on_identity()$$);
RESET ROLE;
DROP TABLE public.ctl_own;

-- revoke_sessions logs a kick at commit; a rolled-back one logs nothing
SET ROLE rc_test_app;
BEGIN;
SELECT roomcast.set_identity('46000000-0000-0000-0000-00000000000a', '46000000-0000-0000-0000-000000000001', 'member');
SELECT roomcast.revoke_sessions('46000000-0000-0000-0000-000000000001');
ROLLBACK;
BEGIN;
SELECT roomcast.set_identity('46000000-0000-0000-0000-00000000000a', '46000000-0000-0000-0000-000000000001', 'member');
SELECT roomcast.revoke_sessions('46000000-0000-0000-0000-000000000001');
-- nothing is in the log before commit
SAVEPOINT s;
SELECT roomcast.revoke_sessions('46000000-0000-0000-0000-000000000001');
ROLLBACK TO SAVEPOINT s;
COMMIT;
RESET ROLE;
SELECT * FROM pg_temp.since();
SELECT pg_temp.remark();

-- disabling a user, deleting a user, deleting a tenant: each logs its kick,
-- whoever makes the change (here the service role, under RLS)
SET ROLE rc_test_app;
BEGIN;
SELECT roomcast.set_identity('46000000-0000-0000-0000-00000000000a');
UPDATE roomcast.users SET status = 'disabled' WHERE id = '46000000-0000-0000-0000-000000000001';
-- an update that leaves the user active logs nothing
UPDATE roomcast.users SET display_name = 'A2' WHERE id = '46000000-0000-0000-0000-000000000002';
DELETE FROM roomcast.users WHERE id = '46000000-0000-0000-0000-000000000002';
COMMIT;
RESET ROLE;
DELETE FROM roomcast.tenants WHERE id = '46000000-0000-0000-0000-00000000000b';
SELECT * FROM pg_temp.since();
-- the entries carry their tenant (the nil uuid for keys) and commit-ordered ids
SELECT tenant_id, kind FROM roomcast.control_log WHERE id > (SELECT id FROM mark) ORDER BY id;
SELECT roomcast.add_signing_key('ctl46', decode(repeat('46', 32), 'hex'));
SELECT tenant_id, kind, data FROM roomcast.control_log ORDER BY id DESC LIMIT 1;

-- notifier_read: control entries after the control cursor first, then events
-- after the pos cursor, each in log order, at most lim of each
BEGIN;
SELECT roomcast.set_identity('46000000-0000-0000-0000-00000000000a');
SELECT roomcast.emit_to_tenant('ctl-e1', '{"n": 1}') > 0 AS emitted;
SELECT roomcast.emit_to_tenant('ctl-e2', '[1, "two"]') > 0 AS emitted;
SELECT roomcast.revoke_sessions('46000000-0000-0000-0000-000000000001') >= 0 AS revoked;
COMMIT;
CREATE TEMP TABLE cur AS
SELECT (SELECT coalesce(max(pos), 0) FROM roomcast.events WHERE event NOT LIKE 'ctl-%') AS pos,
       (SELECT max(id) FROM roomcast.control_log WHERE kind = 'keys') AS ctl;
GRANT SELECT ON cur TO PUBLIC;
SET ROLE rc_test_notifier;
SELECT (r.pos > 0) AS has_pos, r.tenant_id, r.room, r.nsp, r.event,
       CASE WHEN r.room IS NULL THEN (r.data::jsonb - 'reason')::text ELSE (r.data::jsonb - 'timestamp')::text END AS data,
       r.ts BETWEEN (extract(epoch FROM now() - interval '1 minute') * 1000)::bigint
                AND (extract(epoch FROM now() + interval '1 minute') * 1000)::bigint AS ts_is_commit_ms
  FROM roomcast.notifier_read((SELECT pos FROM cur), (SELECT ctl FROM cur)) r;
SELECT count(*) FROM roomcast.notifier_read((SELECT pos FROM cur), (SELECT ctl FROM cur), 1);
SELECT err($$SELECT count(*) FROM roomcast.notifier_read(0, 0, 0)$$);
SELECT err($$SELECT count(*) FROM roomcast.notifier_read(0, 0, 10001)$$);
-- the anchor is where the logs end
SELECT a.pos = (SELECT max(e.pos) FROM roomcast.notifier_read((SELECT pos FROM cur), 0) e WHERE e.room IS NOT NULL) AS anchor_is_last_pos,
       a.control_id = (SELECT max(e.pos) FROM roomcast.notifier_read(0, (SELECT ctl FROM cur)) e WHERE e.room IS NULL) AS anchor_is_last_control
  FROM roomcast.notifier_anchor() a;
SELECT count(*) FROM roomcast.notifier_read((SELECT pos FROM roomcast.notifier_anchor()), (SELECT control_id FROM roomcast.notifier_anchor()));
RESET ROLE;

-- a NOTIFY on channel roomcast by any role writes nothing to either log
SET ROLE rc_test_plain;
SELECT pg_notify('roomcast', '{"c":"kick","tenant":"46000000-0000-0000-0000-00000000000a","user":"46000000-0000-0000-0000-000000000001"}');
NOTIFY roomcast, '{"p":9000000000000000,"t":"46000000-0000-0000-0000-00000000000a","r":"tenant:46000000-0000-0000-0000-00000000000a","n":"/","e":"forged","d":{}}';
RESET ROLE;
SELECT count(*) AS forged_entries FROM roomcast.control_log WHERE data::text LIKE '%forged%' OR id > 1000000;
SELECT count(*) AS forged_events FROM roomcast.events WHERE event = 'forged';

-- maintain() keeps control entries as long as events
INSERT INTO roomcast.control_log (tenant_id, id, kind, data, created_at)
VALUES ('46000000-0000-0000-0000-00000000000a', -1, 'kick', '{"c":"kick"}', now() - interval '8 days');
SET roomcast.event_retention = '7 days';
SELECT r->'control_deleted' AS control_deleted FROM roomcast._maintain(now()) r;
SELECT count(*) FROM roomcast.control_log WHERE id = -1;
RESET roomcast.event_retention;
SELECT cardinality(roomcast._events_create_partitions(now(), 4)) >= 0 AS partitions_ok;

-- a control message over 7,900 bytes is refused
SELECT err($$SELECT roomcast.notify_control('kinds', jsonb_build_object('x', repeat('x', 8000)))$$);
