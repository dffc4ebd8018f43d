-- Durable connection-state recovery: rpc join/leave with a pid, recover().
-- Tenant 58000000-…-a; users …-1, …-2.
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES ('58000000-0000-0000-0000-00000000000a', 'recovery', 'Recovery');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('58000000-0000-0000-0000-00000000000a', '58000000-0000-0000-0000-000000000001', 'a1@recovery.test'),
    ('58000000-0000-0000-0000-00000000000a', '58000000-0000-0000-0000-000000000002', 'a2@recovery.test');
SELECT roomcast.add_signing_key('rec58', decode(repeat('58', 32), 'hex'));
CREATE TABLE pg_temp.tok (name text PRIMARY KEY, token text);
GRANT SELECT ON pg_temp.tok TO PUBLIC;
INSERT INTO pg_temp.tok VALUES
    ('a1', roomcast.sign('{"sub":"58000000-0000-0000-0000-000000000001","tenantId":"58000000-0000-0000-0000-00000000000a"}')),
    ('a2', roomcast.sign('{"sub":"58000000-0000-0000-0000-000000000002","tenantId":"58000000-0000-0000-0000-00000000000a"}'));
CREATE TABLE pg_temp.mark (pos bigint);
GRANT ALL ON pg_temp.mark TO PUBLIC;
-- recover for token name: a compact view of the result
CREATE FUNCTION pg_temp.rec(who text, pid text, after_pos bigint, within interval DEFAULT '120 seconds', lim int DEFAULT 1000)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    j := roomcast.recover((SELECT token FROM pg_temp.tok WHERE name = who), pid, after_pos, within, lim);
    RETURN format('recovered=%s rooms=%s events=%s', j->'recovered',
                  (SELECT string_agg(regexp_replace(x, '^tenant:[0-9a-f-]+', 'T'), ' ') FROM jsonb_array_elements_text(j->'rooms') x),
                  (SELECT coalesce(string_agg(e->>'e' || '@' || (e->>'n'), ' ' ORDER BY (e->>'p')::bigint), '-')
                     FROM jsonb_array_elements(j->'events') e));
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.rec(text, text, bigint, interval, int) TO PUBLIC;
-- rpc for token name
CREATE FUNCTION pg_temp.rpc(who text, method text, args jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT err(format('SELECT roomcast.rpc(%L, %L, %L)::text',
                              (SELECT token FROM pg_temp.tok WHERE name = who), method, args))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.rpc(text, text, jsonb) TO PUBLIC;
-- sheets have members
CREATE TABLE public.rec_sheet_members (tenant_id uuid, sheet text, user_id uuid);
ALTER TABLE public.rec_sheet_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON public.rec_sheet_members USING (tenant_id = roomcast.current_tenant());
GRANT SELECT ON public.rec_sheet_members TO PUBLIC;
CREATE FUNCTION public.rec_sheet_policy(user_id uuid, id text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM public.rec_sheet_members m WHERE m.user_id = $1 AND m.sheet = $2)
$$;
INSERT INTO public.rec_sheet_members VALUES
    ('58000000-0000-0000-0000-00000000000a', 's-1', '58000000-0000-0000-0000-000000000001'),
    ('58000000-0000-0000-0000-00000000000a', 's-2', '58000000-0000-0000-0000-000000000001');
BEGIN;
SELECT roomcast.set_identity('58000000-0000-0000-0000-00000000000a');
SELECT roomcast.register_room_kind('sheet', 'public.rec_sheet_policy(uuid,text)');
COMMIT;

-- the notifier joins user 1's session p1 to two sheets and leaves one
SET ROLE rc_test_notifier;
SELECT pg_temp.rpc('a1', 'join', '{"kind": "sheet", "id": "s-1", "pid": "p1"}');
SELECT pg_temp.rpc('a1', 'join', '{"kind": "sheet", "id": "s-2", "pid": "p1"}');
SELECT pg_temp.rpc('a1', 'leave', '{"kind": "sheet", "id": "s-2", "pid": "p1"}');
SELECT pg_temp.rpc('a1', 'join', '{"kind": "sheet", "id": "s-1", "pid": "bad pid!"}');
SELECT pg_temp.rpc('a2', 'join', '{"kind": "sheet", "id": "s-1", "pid": "p2"}');
RESET ROLE;

-- the last event the client saw, then what it misses while away
SET ROLE rc_test_app;
BEGIN;
SELECT roomcast.set_identity('58000000-0000-0000-0000-00000000000a');
SELECT roomcast.emit('tenant:58000000-0000-0000-0000-00000000000a', 'seen') IS NOT NULL;
COMMIT;
BEGIN;
SELECT roomcast.set_identity('58000000-0000-0000-0000-00000000000a');
INSERT INTO pg_temp.mark SELECT max(pos) FROM roomcast.events WHERE event = 'seen';
SELECT roomcast.emit('tenant:58000000-0000-0000-0000-00000000000a', 'e1') IS NOT NULL;
SELECT roomcast.emit_to_user('58000000-0000-0000-0000-000000000001', 'e2') IS NOT NULL;
SELECT roomcast.emit('tenant:58000000-0000-0000-0000-00000000000a:sheet:s-1', 'e3') IS NOT NULL;
SELECT roomcast.emit('tenant:58000000-0000-0000-0000-00000000000a:sheet:s-2', 'e4') IS NOT NULL;
SELECT roomcast.emit_to_user('58000000-0000-0000-0000-000000000002', 'e5') IS NOT NULL;
SELECT roomcast.emit('tenant:58000000-0000-0000-0000-00000000000a:sheet:s-1', 'e6', '{}', '/x') IS NOT NULL;
COMMIT;
RESET ROLE;

SET ROLE rc_test_notifier;
-- user 1's session: tenant, user and the joined sheet, events in pos order
SELECT pg_temp.rec('a1', 'p1', (SELECT pos FROM pg_temp.mark));
-- user 2 cannot take over user 1's session
SELECT pg_temp.rec('a2', 'p1', (SELECT pos FROM pg_temp.mark));
-- outside the window, without an offset, or too many missed events: not recovered
SELECT pg_temp.rec('a1', 'p1', (SELECT pos FROM pg_temp.mark), '0 seconds');
SELECT pg_temp.rec('a1', 'p1', NULL);
SELECT pg_temp.rec('a1', 'p1', (SELECT pos FROM pg_temp.mark), lim => 2);
SELECT pg_temp.rec('a1', 'p1', (SELECT pos FROM pg_temp.mark), lim => 0);
-- bad token
SELECT err($$SELECT roomcast.recover('x.y.z', 'p1', 1)$$);
RESET ROLE;
-- a membership revoked since the join is not recovered
DELETE FROM public.rec_sheet_members WHERE sheet = 's-1';
SET ROLE rc_test_notifier;
SELECT pg_temp.rec('a1', 'p1', (SELECT pos FROM pg_temp.mark));
RESET ROLE;
