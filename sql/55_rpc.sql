-- The RPC gateway (SPEC §5): token checks, built-in methods, registered
-- methods running as the caller under RLS, unknown methods.
-- Tenants 55000000-…-a (A) and -b (B); users …-1, …-2.
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('55000000-0000-0000-0000-00000000000a', 'rpc-a', 'Rpc A'),
    ('55000000-0000-0000-0000-00000000000b', 'rpc-b', 'Rpc B');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('55000000-0000-0000-0000-00000000000a', '55000000-0000-0000-0000-000000000001', 'a1@rpc.test'),
    ('55000000-0000-0000-0000-00000000000a', '55000000-0000-0000-0000-000000000002', 'a2@rpc.test'),
    ('55000000-0000-0000-0000-00000000000b', '55000000-0000-0000-0000-000000000001', 'b1@rpc.test');
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_test_notifier') THEN
        CREATE ROLE rc_test_notifier NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END $$;
GRANT roomcast_notifier TO rc_test_notifier;

-- tokens, signed by the extension
SELECT roomcast.add_signing_key('rpc55', decode(repeat('55', 32), 'hex'));
CREATE TABLE pg_temp.tok (name text PRIMARY KEY, token text);
GRANT SELECT ON pg_temp.tok TO PUBLIC;
INSERT INTO pg_temp.tok VALUES
    ('a1', roomcast.sign('{"sub":"55000000-0000-0000-0000-000000000001","tenantId":"55000000-0000-0000-0000-00000000000a","role":"member"}')),
    ('a2', roomcast.sign('{"sub":"55000000-0000-0000-0000-000000000002","tenantId":"55000000-0000-0000-0000-00000000000a","role":"member"}')),
    ('b1', roomcast.sign('{"sub":"55000000-0000-0000-0000-000000000001","tenantId":"55000000-0000-0000-0000-00000000000b","role":"member"}')),
    ('expired', roomcast.sign('{"sub":"55000000-0000-0000-0000-000000000001","tenantId":"55000000-0000-0000-0000-00000000000a","exp":1000000000}'));
-- rpc(method) for token name: the result, or the error
CREATE FUNCTION pg_temp.rpc(who text, method text, args jsonb DEFAULT '{}') RETURNS text LANGUAGE sql AS $$
    SELECT err(format('SELECT roomcast.rpc(%L, %L, %L)::text',
                              (SELECT token FROM pg_temp.tok WHERE name = who), method, args))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.rpc(text, text, jsonb) TO PUBLIC;

-- an application table under RLS and a method reading it
CREATE TABLE public.rpc_cases (tenant_id uuid, id text, title text);
ALTER TABLE public.rpc_cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.rpc_cases FORCE ROW LEVEL SECURITY;
CREATE POLICY t ON public.rpc_cases USING (tenant_id = roomcast.current_tenant());
GRANT SELECT ON public.rpc_cases TO PUBLIC;
INSERT INTO public.rpc_cases VALUES
    ('55000000-0000-0000-0000-00000000000a', '7', 'Pump failure'),
    ('55000000-0000-0000-0000-00000000000b', '7', 'Other tenant''s case');
CREATE FUNCTION public.rpc_case_get(args jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('title', (SELECT title FROM public.rpc_cases WHERE id = args->>'id'),
                              'visible', (SELECT count(*) FROM public.rpc_cases),
                              'user', roomcast.current_user_id(), 'db_role', current_user)
$$;
CREATE FUNCTION public.rpc_echo_b(args jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('b', args) $$;
CREATE FUNCTION public.rpc_wrong(args text) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION public.rpc_private(args jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
REVOKE ALL ON FUNCTION public.rpc_private(jsonb) FROM PUBLIC;

-- registration: global without identity, a tenant's own with one
SELECT roomcast.register_method('case.get', 'public.rpc_case_get(jsonb)');
SELECT roomcast.register_method('private', 'public.rpc_private(jsonb)');
BEGIN;
SELECT roomcast.set_identity('55000000-0000-0000-0000-00000000000b');
SELECT roomcast.register_method('echo', 'public.rpc_echo_b(jsonb)');
COMMIT;
SELECT err($$SELECT roomcast.register_method('mark_read', 'public.rpc_case_get(jsonb)')$$);
SELECT err($$SELECT roomcast.register_method('x', 'public.rpc_wrong(text)')$$);
SELECT err($$SELECT roomcast.register_method('bad name', 'public.rpc_case_get(jsonb)')$$);
SET ROLE rc_test_notifier;
SELECT err($$SELECT roomcast.register_method('y', 'public.rpc_case_get(jsonb)')$$);

-- the notifier's role calls rpc with the user's token
-- bad tokens
SELECT err($$SELECT roomcast.rpc('not.a.token', 'get_unread_count', '{}')$$);
SELECT err($$SELECT roomcast.rpc('garbage', 'get_unread_count', '{}')$$);
SELECT err($$SELECT roomcast.rpc(NULL, 'get_unread_count', '{}')$$);
SELECT pg_temp.rpc('expired', 'get_unread_count');
-- a token with a flipped signature character
SELECT err(format('SELECT roomcast.rpc(%L, %L, %L)',
       (SELECT overlay(token PLACING CASE WHEN substr(token, length(token) - 4, 1) = 'A' THEN 'B' ELSE 'A' END
                       FROM length(token) - 4 FOR 1) FROM pg_temp.tok WHERE name = 'a1'),
       'get_unread_count', '{}'));
-- unknown and malformed methods
SELECT pg_temp.rpc('a1', 'no_such_method');
SELECT pg_temp.rpc('a1', 'bad method!');
SELECT pg_temp.rpc('a1', 'echo');
-- registered methods run as the calling role, with the token's identity, under RLS
SELECT pg_temp.rpc('a1', 'case.get', '{"id": "7"}');
SELECT pg_temp.rpc('b1', 'case.get', '{"id": "7"}');
SELECT pg_temp.rpc('b1', 'echo', '{"x": [1, 2]}');
-- a method the calling role may not execute
SELECT pg_temp.rpc('a1', 'private');
RESET ROLE;

-- built-ins
BEGIN;
SELECT roomcast.set_identity('55000000-0000-0000-0000-00000000000a');
SELECT roomcast.send_in_app_many(ARRAY['55000000-0000-0000-0000-000000000001', '55000000-0000-0000-0000-000000000002']::uuid[],
                                 'mention', 'Hello');
SELECT roomcast.send_in_app('55000000-0000-0000-0000-000000000001', 'mention', 'Again') IS NOT NULL;
SELECT roomcast.register_room_kind('doc');
COMMIT;
SET ROLE rc_test_notifier;
SELECT pg_temp.rpc('a1', 'get_unread_count');
SELECT jsonb_path_query_array(substr(pg_temp.rpc('a1', 'get_recent', '{"limit": 5}'), 5)::jsonb, '$.notifications[*].title') AS titles;
SELECT jsonb_array_length(substr(pg_temp.rpc('a1', 'get_recent', '{"limit": 5, "since": "2000-01-01T00:00:00Z"}'), 5)::jsonb->'notifications') AS since_2000,
       jsonb_array_length(substr(pg_temp.rpc('a1', 'get_recent', '{"since": 4102444800000}'), 5)::jsonb->'notifications') AS since_2100_ms;
SELECT pg_temp.rpc('a1', 'get_recent', '{"limit": 101}');
-- mark_read: the newest is read; user 2's notification is not user 1's
SELECT pg_temp.rpc('a1', 'mark_read',
       jsonb_build_object('notificationIds', substr(pg_temp.rpc('a1', 'get_recent', '{"limit": 1}'), 5)::jsonb #> '{notifications,0,id}' ||
                                             (substr(pg_temp.rpc('a2', 'get_recent', '{"limit": 1}'), 5)::jsonb #> '{notifications,0,id}')));
SELECT pg_temp.rpc('a1', 'mark_read', '{"notificationIds": "nope"}');
SELECT pg_temp.rpc('a1', 'mark_read', jsonb_build_object('notificationIds', (SELECT jsonb_agg(gen_random_uuid()) FROM generate_series(1, 101))));
SELECT pg_temp.rpc('a1', 'mark_all_read');
SELECT pg_temp.rpc('a2', 'get_unread_count');
-- join and leave
SELECT pg_temp.rpc('a1', 'join', '{"kind": "doc", "id": "d-1"}');
SELECT pg_temp.rpc('a1', 'join', '{"kind": "nokind", "id": "1"}');
SELECT pg_temp.rpc('a1', 'join', '{"kind": "doc", "id": "a b"}');
SELECT pg_temp.rpc('a1', 'join', '{"kind": "doc"}');
SELECT pg_temp.rpc('a1', 'leave', '{"kind": "doc", "id": "d-1"}');
RESET ROLE;

-- unregistering makes a method unknown again
SELECT roomcast.unregister_method('case.get'), roomcast.unregister_method('case.get');
SET ROLE rc_test_notifier;
SELECT pg_temp.rpc('a1', 'case.get', '{"id": "7"}');
RESET ROLE;
