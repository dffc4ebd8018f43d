-- examples/demo/setup.sql — what `make demo` adds to the casework example
-- (run by examples/demo/run as a superuser, after schema.sql and generate.sql).
--
--   * a signing key, so roomcast.issue_tokens can sign access tokens that
--     live 8 hours (the demo outlasts the default 15 minutes);
--   * three named users in casework tenant 1 (md5('tenant-1')::uuid):
--     ann@demo.example (admin), ben@demo.example, cat@demo.example;
--   * room kind 'case': a user may join tenant:{t}:case:{number} when the
--     case with that number exists in the user's tenant (RLS decides);
--   * the notifier's login role, a member of roomcast_notifier that may read
--     casework (under RLS) for the join policy and the casework rpc methods;
--   * the assistant panel: kind 'assistant' open to sockets, and the login
--     role of its worker (examples/assistant/worker.py);
--   * dan@demo.example in casework tenant 2, to show that a user of another
--     tenant sees none of tenant 1's cases or events;
--   * the case page: a notes column on casework.cases, an update trigger that
--     emits case:updated to the case's room and case:changed to the tenant
--     (so edits made with psql show up live too), and the rpc methods
--     case_get, case_update and session_refresh (docs/demo.md).
\set ON_ERROR_STOP on
BEGIN;

SELECT roomcast.add_signing_key('demo-1', gen_random_bytes(32));
ALTER DATABASE roomcast_demo SET roomcast.access_ttl = 28800;

INSERT INTO roomcast.users (tenant_id, id, email, display_name, role)
VALUES (md5('tenant-1')::uuid, md5('demo-ann')::uuid, 'ann@demo.example', 'Ann (demo admin)', 'admin'),
       (md5('tenant-1')::uuid, md5('demo-ben')::uuid, 'ben@demo.example', 'Ben (demo)', 'member'),
       (md5('tenant-1')::uuid, md5('demo-cat')::uuid, 'cat@demo.example', 'Cat (demo)', 'member'),
       (md5('tenant-2')::uuid, md5('demo-dan')::uuid, 'dan@demo.example', 'Dan (other tenant)', 'admin');

CREATE SCHEMA demo;

-- Join policy of room kind 'case': the id is a case number of the joining
-- user's tenant. Runs as the caller with the user's identity, so RLS applies.
CREATE FUNCTION demo.can_join_case(user_id uuid, id text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT $2 ~ '^[0-9]{1,9}$'
       AND EXISTS (SELECT 1 FROM casework.cases c
                    WHERE c.tenant_id = roomcast.current_tenant() AND c.number = $2::int)
$$;
SELECT roomcast.register_room_kind('case', 'demo.can_join_case(uuid,text)'::regprocedure);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_demo_notifier') THEN
        CREATE ROLE roomcast_demo_notifier LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE roomcast_notifier;
    END IF;
END $$;
GRANT USAGE ON SCHEMA casework, demo TO roomcast_demo_notifier;
GRANT SELECT ON ALL TABLES IN SCHEMA casework TO roomcast_demo_notifier;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA demo TO roomcast_demo_notifier;

-- The assistant panel: sockets may enqueue jobs of kind 'assistant' (and no
-- other), which examples/assistant/worker.py works as roomcast_demo_worker.
ALTER DATABASE roomcast_demo SET roomcast.rpc_job_kinds = 'assistant';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_demo_worker') THEN
        CREATE ROLE roomcast_demo_worker LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE roomcast_worker;
    END IF;
END $$;

\ir setup_cases.sql

COMMIT;
