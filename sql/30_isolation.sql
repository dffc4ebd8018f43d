-- Tenant isolation of application tables: protect, unprotect, isolation_report.
\set VERBOSITY terse

CREATE SCHEMA app;
CREATE TABLE app.cases (tenant_id uuid NOT NULL, id bigint, title text, PRIMARY KEY (id));
CREATE TABLE app.notes (org uuid NOT NULL, id bigint PRIMARY KEY, body text);
CREATE TABLE app.untouched (tenant_id uuid, id int);
CREATE TABLE app.text_tenant (tenant_id text, id int);
CREATE TABLE app.indexed (tenant_id uuid, id int, PRIMARY KEY (tenant_id, id));
CREATE TABLE app.parts (tenant_id uuid NOT NULL, day date NOT NULL, v int) PARTITION BY RANGE (day);
CREATE TABLE app.parts_2026 PARTITION OF app.parts FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

SELECT table_name, tenant_column, rls_enabled, rls_forced, has_policy, problem
  FROM roomcast.isolation_report() WHERE table_name::text LIKE 'app.%';

SELECT roomcast.protect('app.cases');
SELECT roomcast.protect('app.cases');      -- idempotent
SELECT roomcast.protect('app.notes', 'org');
SELECT roomcast.protect('app.indexed');
SELECT roomcast.protect('app.parts');

SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p WHERE p.polrelid = c.oid) AS using_expr,
       (SELECT pg_get_expr(p.polwithcheck, p.polrelid) FROM pg_policy p WHERE p.polrelid = c.oid) AS check_expr
  FROM pg_class c WHERE c.oid IN ('app.cases'::regclass, 'app.notes'::regclass, 'app.indexed'::regclass, 'app.parts'::regclass)
 ORDER BY 1;
-- An index leading with the tenant column exists exactly once per table.
SELECT indrelid::regclass AS table_name, count(*) AS leading_tenant_indexes
  FROM pg_index i
 WHERE indrelid IN ('app.cases'::regclass, 'app.notes'::regclass, 'app.indexed'::regclass, 'app.parts'::regclass)
   AND indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid
                     AND attname IN ('tenant_id', 'org'))
 GROUP BY 1 ORDER BY 1::text;

SELECT table_name, problem FROM roomcast.isolation_report() WHERE table_name::text LIKE 'app.%';

-- Errors.
SELECT err($$SELECT roomcast.protect('app.cases', 'nope')$$) AS missing_column;
SELECT err($$SELECT roomcast.protect('app.text_tenant')$$) AS text_column;
SELECT err($$SELECT roomcast.protect('app.nothere')$$) AS missing_table;
CREATE VIEW app.v AS SELECT 1 AS tenant_id;
SELECT err($$SELECT roomcast.protect('app.v')$$) AS view;
-- Only the owner may protect.
CREATE ROLE rc_stranger;
GRANT USAGE ON SCHEMA app TO rc_stranger;
SET ROLE rc_stranger;
SELECT err($$SELECT roomcast.protect('app.untouched')$$) AS not_owner;
RESET ROLE;

-- The policy works: rows of the current tenant only, and writes are checked.
INSERT INTO app.cases VALUES ('11111111-1111-1111-1111-111111111111', 1, 'acme case'),
                             ('22222222-2222-2222-2222-222222222222', 2, 'globex case');
CREATE ROLE rc_app;
GRANT USAGE ON SCHEMA app TO rc_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON app.cases TO rc_app;
GRANT roomcast_service TO rc_app;
SET ROLE rc_app;
SELECT err('SELECT count(*)::text FROM app.cases') AS no_identity;
BEGIN;
SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111');
SELECT id, title FROM app.cases ORDER BY id;
SELECT err($$INSERT INTO app.cases VALUES ('22222222-2222-2222-2222-222222222222', 3, 'smuggled') RETURNING 'inserted'$$) AS cross_insert;
UPDATE app.cases SET title = 'hijacked' WHERE id = 2;
DELETE FROM app.cases WHERE id = 2;
SELECT err($$UPDATE app.cases SET tenant_id = '22222222-2222-2222-2222-222222222222' WHERE id = 1 RETURNING 'moved'$$) AS move_out;
COMMIT;
RESET ROLE;
SELECT id, title FROM app.cases ORDER BY id;

-- unprotect removes the policy and RLS, leaves other policies alone.
SELECT roomcast.unprotect('app.cases');
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'app.cases'::regclass) AS policies
  FROM pg_class WHERE oid = 'app.cases'::regclass;
CREATE POLICY own_policy ON app.notes USING (true);
SELECT roomcast.unprotect('app.notes');
SELECT relrowsecurity, (SELECT array_agg(polname) FROM pg_policy WHERE polrelid = 'app.notes'::regclass) AS policies
  FROM pg_class WHERE oid = 'app.notes'::regclass;

DROP SCHEMA app CASCADE;
REVOKE roomcast_service FROM rc_app;
DROP ROLE rc_app;
DROP ROLE rc_stranger;
