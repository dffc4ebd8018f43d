-- Tenant isolation, tested as an application role that is neither superuser
-- nor BYPASSRLS: on every roomcast table that has a tenant_id (found from the
-- catalog, so tables added later are covered too) and on a protect()ed
-- application table, rows of another tenant cannot be seen, inserted,
-- updated, moved into or deleted; without an identity every access is RC401.
BEGIN;
SELECT * FROM no_plan();

-- ---- fixtures, as the superuser ----
SELECT roomcast.add_signing_key('tap', decode(repeat('7a', 32), 'hex'));
SELECT roomcast.maintain();    -- creates the event log's partitions
SELECT roomcast.create_tenant('tap-a', 'A', 'a0000000-0000-0000-0000-00000000000a');
SELECT roomcast.create_tenant('tap-b', 'B', 'b0000000-0000-0000-0000-00000000000b');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001', 'a1@a.test'),
    ('b0000000-0000-0000-0000-00000000000b', 'b1000000-0000-0000-0000-000000000001', 'b1@b.test');
SELECT roomcast.issue_tokens('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001');
SELECT roomcast.issue_tokens('b0000000-0000-0000-0000-00000000000b', 'b1000000-0000-0000-0000-000000000001');
INSERT INTO roomcast.sso_sessions (tenant_id, user_id, expires_at) VALUES
    ('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001', now() + interval '1 h'),
    ('b0000000-0000-0000-0000-00000000000b', 'b1000000-0000-0000-0000-000000000001', now() + interval '1 h');
INSERT INTO roomcast.security_events (tenant_id, user_id, kind, detail) VALUES
    ('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001', 'test', 'A fixture.'),
    ('b0000000-0000-0000-0000-00000000000b', 'b1000000-0000-0000-0000-000000000001', 'test', 'A fixture.');

CREATE TABLE public.docs (tenant_id uuid NOT NULL, id int NOT NULL, body text, PRIMARY KEY (tenant_id, id));
SELECT roomcast.protect('public.docs');
INSERT INTO public.docs VALUES ('a0000000-0000-0000-0000-00000000000a', 1, 'a doc'),
                               ('b0000000-0000-0000-0000-00000000000b', 1, 'b doc');

CREATE ROLE tap_app NOSUPERUSER NOBYPASSRLS;
GRANT roomcast_service TO tap_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.docs TO tap_app;

-- Rows of tenant B in every tenant-scoped table, counted before the attempts.
CREATE FUNCTION public.tenant_tables() RETURNS SETOF regclass LANGUAGE sql AS $$
    SELECT c.oid::regclass FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE a.attname = 'tenant_id' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND (c.relnamespace = 'roomcast'::regnamespace OR c.oid = 'public.docs'::regclass)
     ORDER BY 1::text
$$;
CREATE FUNCTION public.count_of(rel regclass, tenant uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id = $1', rel) INTO n USING tenant;
    RETURN n;
END $$;
CREATE TEMP TABLE b_rows AS
    SELECT rel, count_of(rel, 'b0000000-0000-0000-0000-00000000000b') AS n FROM tenant_tables() rel;
GRANT SELECT ON b_rows TO tap_app;

-- Run sql, return the number of rows it affected (for UPDATE/DELETE).
CREATE FUNCTION public.affected(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE sql;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- ---- catalog: every tenant-scoped table is isolated ----
SELECT is_empty($$
    SELECT rel FROM tenant_tables() rel JOIN pg_class c ON c.oid = rel
     WHERE NOT c.relrowsecurity OR NOT c.relforcerowsecurity$$,
    'every tenant-scoped table has row level security enabled and forced');
SELECT is_empty($$
    SELECT rel FROM tenant_tables() rel
     WHERE NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = rel
                        AND pg_get_expr(p.polqual, p.polrelid) LIKE '%tenant_id = roomcast.current_tenant()%'
                        AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%tenant_id = roomcast.current_tenant()%')$$,
    'every tenant-scoped table has a tenant policy with USING and WITH CHECK');
-- A partitioned table (the event log) keeps its key on each partition,
-- so that pg_dump output restores; every partition is checked instead.
CREATE FUNCTION public.keyed_tables() RETURNS SETOF regclass LANGUAGE sql AS $$
    SELECT rel FROM tenant_tables() rel WHERE rel::text LIKE 'roomcast.%'
       AND (SELECT relkind FROM pg_class WHERE oid = rel) = 'r'
    UNION ALL
    SELECT p.relid FROM tenant_tables() rel, pg_partition_tree(rel) p
     WHERE rel::text LIKE 'roomcast.%' AND p.isleaf
$$;
SELECT isnt_empty($$SELECT 1 FROM pg_partition_tree('roomcast.events') p WHERE p.isleaf$$,
    'the event log has partitions to check');
SELECT is_empty($$
    SELECT rel FROM keyed_tables() rel
     WHERE NOT EXISTS (
           SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = rel AND i.indisprimary AND a.attname = 'tenant_id')$$,
    'every roomcast table (every partition of a partitioned one) has tenant_id first in its primary key');
SELECT is_empty($$SELECT * FROM roomcast.isolation_report() WHERE table_name::text LIKE 'roomcast.%'
                   OR table_name = 'public.docs'::regclass$$,
    'isolation_report finds nothing missing');

-- ---- as the application role ----
SET ROLE tap_app;
SELECT ok(NOT rolsuper AND NOT rolbypassrls, 'the test role is neither superuser nor BYPASSRLS')
  FROM pg_roles WHERE rolname = current_user;

-- No identity: RC401.
SELECT throws_ok('SELECT count(*) FROM public.docs', 'RC401', 'no identity in this transaction',
                 'no identity: reading a protected table raises RC401');
SELECT throws_ok('SELECT count(*) FROM roomcast.users', 'RC401', 'no identity in this transaction',
                 'no identity: reading roomcast.users raises RC401');
SELECT throws_ok($$INSERT INTO public.docs VALUES ('a0000000-0000-0000-0000-00000000000a', 9, 'x')$$, 'RC401',
                 'no identity in this transaction', 'no identity: writing a protected table raises RC401');

SELECT roomcast.set_identity('a0000000-0000-0000-0000-00000000000a');

-- Secrets are not readable at all, even with an identity.
SELECT throws_ok('SELECT count(*) FROM roomcast.signing_keys', '42501', NULL, 'signing keys are not readable');
SELECT throws_ok('SELECT count(*) FROM roomcast.refresh_tokens', '42501', NULL, 'refresh tokens are not readable');

-- For every table the role can read: nothing of B is visible, and with
-- write rights, nothing of B can be written.
CREATE FUNCTION pg_temp.cross_tenant_checks() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    rel regclass;
    a uuid := 'a0000000-0000-0000-0000-00000000000a';
    b uuid := 'b0000000-0000-0000-0000-00000000000b';
    n bigint;
BEGIN
    FOR rel IN SELECT * FROM tenant_tables() LOOP
        CONTINUE WHEN NOT has_table_privilege(rel, 'SELECT');
        EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', rel) INTO n USING a;
        RETURN NEXT is(n, 0::bigint, rel || ': rows of another tenant are invisible');
        IF has_table_privilege(rel, 'INSERT') THEN
            RETURN NEXT throws_ok(format(
                'INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT (jsonb_populate_record(NULL::%s, to_jsonb(r) || %L)).* FROM %s r LIMIT 1',
                rel, rel, jsonb_build_object('tenant_id', b), rel),
                '42501', NULL, rel || ': inserting a row of another tenant is refused');
        END IF;
        IF has_table_privilege(rel, 'UPDATE') THEN
            RETURN NEXT is(affected(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = %L', rel, b)),
                           0::bigint, rel || ': updating rows of another tenant touches nothing');
            EXECUTE format('SELECT count(*) FROM %s', rel) INTO n;
            IF n > 0 THEN
                RETURN NEXT throws_ok(format('UPDATE %s SET tenant_id = %L', rel, b),
                    '42501', NULL, rel || ': moving a row into another tenant is refused');
            END IF;
        END IF;
        IF has_table_privilege(rel, 'DELETE') THEN
            RETURN NEXT is(affected(format('DELETE FROM %s WHERE tenant_id = %L', rel, b)),
                           0::bigint, rel || ': deleting rows of another tenant touches nothing');
        END IF;
    END LOOP;
END $$;
SELECT * FROM pg_temp.cross_tenant_checks();

SELECT results_eq('SELECT id, body FROM public.docs', $$VALUES (1, 'a doc')$$,
                  'the protected application table shows only the own tenant''s rows');
SELECT results_eq('SELECT slug FROM roomcast.tenants', $$VALUES ('tap-a')$$,
                  'roomcast.tenants shows only the own tenant');
SELECT is(affected($$UPDATE roomcast.tenants SET name = 'pwned' WHERE slug = 'tap-b'$$), 0::bigint,
          'another tenant''s row in roomcast.tenants cannot be updated');

-- Switching identity within the transaction switches what is visible.
SELECT roomcast.set_identity('b0000000-0000-0000-0000-00000000000b');
SELECT results_eq('SELECT body FROM public.docs', $$VALUES ('b doc')$$, 'after set_identity(B) only B''s rows');

RESET ROLE;
SELECT is_empty($$SELECT b.rel FROM b_rows b WHERE count_of(b.rel, 'b0000000-0000-0000-0000-00000000000b') <> b.n$$,
                'every row of tenant B is intact afterwards');

SELECT * FROM finish();
ROLLBACK;
