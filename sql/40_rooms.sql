-- Rooms (SPEC §2): room kinds, authorize_join, name checks.
-- Tenants 40000000-…-a (A) and -b (B); users …-1, …-2.
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('40000000-0000-0000-0000-00000000000a', 'rooms-a', 'Rooms A'),
    ('40000000-0000-0000-0000-00000000000b', 'rooms-b', 'Rooms B');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('40000000-0000-0000-0000-00000000000a', '40000000-0000-0000-0000-000000000001', 'a1@rooms.test'),
    ('40000000-0000-0000-0000-00000000000b', '40000000-0000-0000-0000-000000000002', 'b2@rooms.test');
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_test_app') THEN
        CREATE ROLE rc_test_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_test_plain') THEN
        CREATE ROLE rc_test_plain NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END $$;
GRANT roomcast_service TO rc_test_app;

-- an application's membership table and a join policy reading it under RLS
CREATE TABLE public.rooms_case_members (tenant_id uuid, case_id text, user_id uuid);
ALTER TABLE public.rooms_case_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON public.rooms_case_members USING (tenant_id = roomcast.current_tenant());
GRANT SELECT ON public.rooms_case_members TO PUBLIC;
CREATE FUNCTION public.rooms_case_policy(user_id uuid, id text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM public.rooms_case_members m WHERE m.user_id = $1 AND m.case_id = $2)
$$;
CREATE FUNCTION public.rooms_bad_policy(id text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
INSERT INTO public.rooms_case_members VALUES
    ('40000000-0000-0000-0000-00000000000a', '42', '40000000-0000-0000-0000-000000000001'),
    ('40000000-0000-0000-0000-00000000000b', '42', '40000000-0000-0000-0000-000000000002');

SET ROLE rc_test_app;
-- without an identity: a kind for every tenant
SELECT roomcast.register_room_kind('doc');
-- with one: tenant A's own kind, with a policy
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000a');
SELECT roomcast.register_room_kind('case', 'public.rooms_case_policy(uuid,text)');
SELECT err($$SELECT roomcast.register_room_kind('bad', 'public.rooms_bad_policy(text)')$$);
SELECT err($$SELECT roomcast.register_room_kind('user')$$);
SELECT err($$SELECT roomcast.register_room_kind('Case')$$);
SELECT err($$SELECT roomcast.register_room_kind(repeat('k', 33))$$);
COMMIT;
-- registering needs roomcast_service
SET ROLE rc_test_plain;
SELECT err($$SELECT roomcast.register_room_kind('other')$$);
SET ROLE rc_test_app;

-- user 1 of tenant A
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000a', '40000000-0000-0000-0000-000000000001', 'member');
SELECT roomcast.authorize_join('doc', 'Spec_v1.2-final');
SELECT roomcast.authorize_join('case', '42');
SELECT err($$SELECT roomcast.authorize_join('case', '43')$$);
SELECT err($$SELECT roomcast.authorize_join('rca', '1')$$);
SELECT err($$SELECT roomcast.authorize_join('user', '40000000-0000-0000-0000-000000000002')$$);
SELECT err($$SELECT roomcast.authorize_join('doc', 'a b')$$);
SELECT err($$SELECT roomcast.authorize_join('doc', '')$$);
SELECT err($$SELECT roomcast.authorize_join('doc', repeat('x', 129))$$);
SELECT length(roomcast.authorize_join('doc', repeat('x', 128)));
SELECT roomcast.room('rca', 'R-7'), roomcast.user_room('40000000-0000-0000-0000-000000000002'), roomcast.tenant_room();
-- RLS: tenant A sees its own kinds and the global ones
SELECT tenant_id, kind, policy FROM roomcast.room_kinds ORDER BY kind;
COMMIT;

-- user 2 of tenant B: the global kind works, tenant A's kind is not B's
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000b', '40000000-0000-0000-0000-000000000002', 'member');
SELECT roomcast.authorize_join('doc', 'x');
SELECT err($$SELECT roomcast.authorize_join('case', '42')$$);
SELECT tenant_id, kind FROM roomcast.room_kinds ORDER BY kind;
-- writing the table directly is not allowed; only register_room_kind does
SELECT err($$INSERT INTO roomcast.room_kinds (tenant_id, kind) VALUES ('40000000-0000-0000-0000-00000000000b', 'x') RETURNING kind$$);
COMMIT;

-- unregistering a kind refuses further joins
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000a');
SELECT roomcast.unregister_room_kind('case'), roomcast.unregister_room_kind('case');
COMMIT;
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000a', '40000000-0000-0000-0000-000000000001', 'member');
SELECT err($$SELECT roomcast.authorize_join('case', '42')$$);
COMMIT;

-- no identity: RC401; a tenant without a user cannot join
SELECT err($$SELECT roomcast.authorize_join('doc', 'x')$$);
BEGIN;
SELECT roomcast.set_identity('40000000-0000-0000-0000-00000000000a');
SELECT err($$SELECT roomcast.authorize_join('doc', 'x')$$);
COMMIT;
RESET ROLE;
