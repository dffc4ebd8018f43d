-- Loaders as an unprivileged application role: row-level security and
-- privileges apply (no SECURITY DEFINER), the cached plan follows the
-- identity of each call, and the key limit holds.
BEGIN;
SELECT plan(13);

CREATE ROLE rc_loader_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
GRANT roomcast_service TO rc_loader_app;
CREATE TABLE public.notes (
    tenant_id uuid NOT NULL,
    id int NOT NULL,
    case_id int,
    body text,
    PRIMARY KEY (tenant_id, id)
);
SELECT roomcast.protect('public.notes');
INSERT INTO public.notes VALUES
    ('a0000000-0000-4000-8000-000000000001', 1, 7, 'a1'),
    ('a0000000-0000-4000-8000-000000000001', 3, 7, 'a3'),
    ('a0000000-0000-4000-8000-000000000001', 4, 8, 'a4'),
    ('b0000000-0000-4000-8000-000000000002', 1, 7, 'b1'),
    ('b0000000-0000-4000-8000-000000000002', 2, 7, 'b2');
GRANT SELECT ON public.notes TO rc_loader_app;
CREATE TABLE public.secrets (id int PRIMARY KEY, v text);
INSERT INTO public.secrets VALUES (1, 'x');
SET LOCAL roomcast.max_loader_keys = 5;
SET LOCAL ROLE rc_loader_app;

SELECT ok(NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user),
          'tests run as a role that neither is superuser nor bypasses RLS');
SELECT throws_ok($$SELECT * FROM roomcast.load_many('public.notes', 'id', ARRAY[1])$$,
                 'RC401', NULL, 'without identity the tenant policy refuses (RC401)');

SELECT roomcast.set_identity('a0000000-0000-4000-8000-000000000001');
SELECT is((SELECT array_agg(r->>'body' ORDER BY n)
             FROM roomcast.load_many('public.notes', 'id', ARRAY[3, 1, 2, 1]) WITH ORDINALITY AS x(r, n)),
          ARRAY['a3', 'a1', NULL, 'a1'],
          'tenant A: its rows in key order, NULL for a key that only tenant B has');
SELECT is((SELECT array_agg(r ORDER BY n)
             FROM roomcast.load_grouped('public.notes', 'case_id', ARRAY[8, 7, 9], 'id DESC') WITH ORDINALITY AS x(r, n)),
          ARRAY['[{"id": 4, "body": "a4", "case_id": 8, "tenant_id": "a0000000-0000-4000-8000-000000000001"}]',
                '[{"id": 3, "body": "a3", "case_id": 7, "tenant_id": "a0000000-0000-4000-8000-000000000001"}, {"id": 1, "body": "a1", "case_id": 7, "tenant_id": "a0000000-0000-4000-8000-000000000001"}]',
                '[]']::jsonb[],
          'tenant A: grouped rows are its own only, ordered, [] for none');

SELECT roomcast.set_identity('b0000000-0000-4000-8000-000000000002');
SELECT is((SELECT array_agg(r->>'body' ORDER BY n)
             FROM roomcast.load_many('public.notes', 'id', ARRAY[3, 1, 2, 1]) WITH ORDINALITY AS x(r, n)),
          ARRAY[NULL, 'b1', 'b2', 'b1'],
          'tenant B with the same cached plan: its own rows');
SELECT is((SELECT array_agg(jsonb_array_length(r) ORDER BY n)
             FROM roomcast.load_grouped('public.notes', 'case_id', ARRAY[8, 7]) WITH ORDINALITY AS x(r, n)),
          ARRAY[0, 2], 'tenant B: grouped counts are its own');
SELECT is((SELECT prepares FROM roomcast.loader_plans()
            WHERE rel = 'public.notes'::regclass AND kind = 'many'),
          1::bigint, 'one plan prepared for both tenants');
SELECT is((SELECT calls FROM roomcast.loader_plans()
            WHERE rel = 'public.notes'::regclass AND kind = 'many'),
          2::bigint, 'one query per call');

SELECT throws_ok($$SELECT * FROM roomcast.load_many('public.notes', 'id', ARRAY[1, 2, 3, 4, 5, 6])$$,
                 'RC413', 'too many keys', 'more keys than roomcast.max_loader_keys: RC413');
SELECT lives_ok($$SELECT * FROM roomcast.load_many('public.notes', 'id', ARRAY[1, 2, 3, 4, 5])$$,
                'exactly roomcast.max_loader_keys keys are fine');
SELECT throws_ok($$SELECT * FROM roomcast.load_many('public.secrets', 'id', ARRAY[1])$$,
                 '42501', NULL, 'no SELECT privilege, no rows: the loader runs as the caller');
SELECT throws_ok($$SET roomcast.max_loader_keys = 100000$$,
                 '42501', NULL, 'the key limit cannot be raised by the application role');
SELECT is(roomcast.cache_key('notes', '1'),
          'tenant:b0000000-0000-4000-8000-000000000002:notes:1',
          'cache_key uses the current tenant');

SELECT * FROM finish();
ROLLBACK;
