-- 30: tenant isolation for application tables.

CREATE FUNCTION roomcast.protect(rel regclass, tenant_column name DEFAULT 'tenant_id')
    RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_protect'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.protect(regclass, name) IS
    'Enable and force RLS with the policy tenant_column = current_tenant() (USING and WITH CHECK), and index the tenant column; idempotent';

CREATE FUNCTION roomcast.unprotect(rel regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_unprotect'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.unprotect(regclass) IS
    'Drop the roomcast isolation policy; RLS stays on if the table has other policies';

-- Tables with a tenant column (uuid tenant_id, or the column of a roomcast
-- policy) that are not fully isolated. Partitions are left out: they are
-- reached through their parent, whose policy applies.
CREATE FUNCTION roomcast.isolation_report()
    RETURNS TABLE (table_name regclass, tenant_column name, rls_enabled boolean,
                   rls_forced boolean, has_policy boolean, problem text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, a.attname, c.relrowsecurity, c.relforcerowsecurity,
           p.polname IS NOT NULL,
           concat_ws('; ',
               CASE WHEN NOT c.relrowsecurity THEN 'row level security is not enabled' END,
               CASE WHEN NOT c.relforcerowsecurity THEN 'row level security is not forced (the owner bypasses it)' END,
               CASE WHEN p.polname IS NULL THEN 'no policy compares the tenant column with roomcast.current_tenant()' END)
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN LATERAL (
           SELECT pol.polname FROM pg_policy pol
            WHERE pol.polrelid = c.oid
              AND pg_get_expr(pol.polqual, pol.polrelid) ~ ('\m' || a.attname || '\M.*roomcast\.current_tenant\(\)')
            LIMIT 1) p ON true
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND a.attname = 'tenant_id' AND a.atttypid = 'uuid'::regtype
       AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR p.polname IS NULL)
     ORDER BY c.oid::regclass::text
$$;
COMMENT ON FUNCTION roomcast.isolation_report() IS
    'Tables that have a tenant_id column but no complete roomcast isolation (RLS enabled, forced, policy)';
