-- test/upgrade/catalog.sql — a normalized description of everything the
-- roomcast extension put in this database, one sorted line per fact, with no
-- OIDs, so that two databases can be compared with diff (suite 28-upgrade:
-- an upgraded 0.1.0 against a fresh install of the current version).
--
-- Each line starts with "m" when the object (or the table it belongs to) is
-- a member of the extension, "x" when it only lives in schema roomcast (the
-- day partitions of roomcast.events, made at run time); compare "^m" lines
-- between databases with different data. Covered: the extension row
-- (schema, relocatable, config tables and their conditions), the member
-- list, the schema; functions (pg_get_functiondef: arguments, result,
-- language, volatility, strictness, SECURITY DEFINER, SET search_path,
-- body; plus kind, parallel safety, cost, owner, ACL, comment); relations
-- (kind, owner, ACL, RLS enabled/forced, options, partition key and bound,
-- comment), columns (position, type, NOT NULL, default, identity,
-- generated, collation, ACL, comment), constraints, indexes, triggers
-- (definition, enabled), policies, sequences (parameters, OWNED BY; not
-- their values), views, types, operators, casts, event triggers, and the
-- roles the extension creates (attributes, memberships, comments).
-- Run with: psql -X -q -t -A -f catalog.sql
SET search_path = pg_catalog;
WITH ext AS (
    SELECT e.oid FROM pg_extension e WHERE e.extname = 'roomcast'
), mem AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), ns AS (
    SELECT 'roomcast'::regnamespace AS oid
), rels AS (
    SELECT c.*, (c.oid IN (SELECT objid FROM mem WHERE classid = 'pg_class'::regclass)) AS member,
           format('%I.%I', n.nspname, c.relname) AS qname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
), procs AS (
    SELECT p.*, (p.oid IN (SELECT objid FROM mem WHERE classid = 'pg_proc'::regclass)) AS member
      FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
), lines(line) AS (
    -- the extension itself; config tables sorted (an upgrade appends them)
    SELECT concat_ws('|', 'm', 'extension', e.extname, e.extnamespace::regnamespace::text, e.extrelocatable,
                     e.extowner::regrole::text,
                     (SELECT string_agg(c.cfg::regclass::text || '=' || quote_literal(c.cond), ',' ORDER BY c.cfg::regclass::text)
                        FROM unnest(e.extconfig, e.extcondition) AS c(cfg, cond)))
      FROM pg_extension e WHERE e.extname = 'roomcast'
    UNION ALL
    SELECT concat_ws('|', 'm', 'member', pg_describe_object(classid, objid, objsubid)) FROM mem
    UNION ALL
    SELECT concat_ws('|', 'm', 'schema', n.nspname, n.nspowner::regrole::text, n.nspacl::text,
                     obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n WHERE n.oid = (SELECT oid FROM ns)
    UNION ALL
    -- functions, procedures, aggregates
    SELECT concat_ws('|', CASE WHEN p.member THEN 'm' ELSE 'x' END, 'function', p.oid::regprocedure::text,
                     p.prokind, p.proparallel, p.procost, p.prorows, p.proleakproof,
                     p.proowner::regrole::text, p.proacl::text, obj_description(p.oid, 'pg_proc'),
                     CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                          ELSE pg_get_function_result(p.oid) END)
      FROM procs p
    UNION ALL
    -- relations
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'relation', r.qname, r.relkind,
                     r.relowner::regrole::text, r.relacl::text, r.relrowsecurity, r.relforcerowsecurity,
                     r.relpersistence, r.relreplident, r.reloptions::text, r.relispartition,
                     pg_get_partkeydef(r.oid), pg_get_expr(r.relpartbound, r.oid),
                     obj_description(r.oid, 'pg_class'))
      FROM rels r
    UNION ALL
    -- columns, by their position among the live columns
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'column', r.qname,
                     row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum), a.attname,
                     format_type(a.atttypid, a.atttypmod), a.attnotnull,
                     pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                     CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END,
                     a.attacl::text, col_description(r.oid, a.attnum))
      FROM rels r
      JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'constraint', r.qname, co.conname,
                     co.contype, pg_get_constraintdef(co.oid), co.condeferrable, co.condeferred,
                     co.convalidated, obj_description(co.oid, 'pg_constraint'))
      FROM rels r JOIN pg_constraint co ON co.conrelid = r.oid
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'index', r.qname,
                     pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique, i.indisvalid,
                     obj_description(i.indexrelid, 'pg_class'))
      FROM rels r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'trigger', r.qname,
                     pg_get_triggerdef(t.oid), t.tgenabled, obj_description(t.oid, 'pg_trigger'))
      FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'policy', r.qname, p.polname,
                     p.polcmd, p.polpermissive,
                     (SELECT string_agg(CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END, ',' ORDER BY 1)
                        FROM unnest(p.polroles) x),
                     pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                     obj_description(p.oid, 'pg_policy'))
      FROM rels r JOIN pg_policy p ON p.polrelid = r.oid
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'sequence', r.qname,
                     format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin,
                     s.seqcache, s.seqcycle,
                     (SELECT d.refobjid::regclass::text || '.' || a.attname || ':' || d.deptype::text
                        FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
      FROM rels r JOIN pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    SELECT concat_ws('|', CASE WHEN r.member THEN 'm' ELSE 'x' END, 'view', r.qname, pg_get_viewdef(r.oid))
      FROM rels r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    -- types that are not a table's row type or an array
    SELECT concat_ws('|', CASE WHEN t.oid IN (SELECT objid FROM mem WHERE classid = 'pg_type'::regclass) THEN 'm' ELSE 'x' END,
                     'type', t.oid::regtype::text, t.typtype, t.typowner::regrole::text, t.typacl::text,
                     format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                     (SELECT string_agg(en.enumlabel, ',' ORDER BY en.enumsortorder) FROM pg_enum en WHERE en.enumtypid = t.oid),
                     (SELECT string_agg(pg_get_constraintdef(co.oid), ',' ORDER BY co.conname)
                        FROM pg_constraint co WHERE co.contypid = t.oid),
                     obj_description(t.oid, 'pg_type'))
      FROM pg_type t
     WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typelem = 0 AND t.typrelid = 0
           OR (t.typnamespace = (SELECT oid FROM ns) AND t.typtype = 'c'
               AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
    UNION ALL
    SELECT concat_ws('|', 'm', 'operator', o.oid::regoperator::text, o.oprcode::regproc::text,
                     o.oprowner::regrole::text)
      FROM pg_operator o WHERE o.oprnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws('|', 'm', 'cast', c.castsource::regtype::text, c.casttarget::regtype::text,
                     c.castfunc::regprocedure::text, c.castcontext, c.castmethod)
      FROM pg_cast c WHERE c.oid IN (SELECT objid FROM mem WHERE classid = 'pg_cast'::regclass)
    UNION ALL
    SELECT concat_ws('|', 'm', 'event trigger', ev.evtname, ev.evtevent, ev.evtfoid::regprocedure::text,
                     ev.evtenabled, ev.evttags::text)
      FROM pg_event_trigger ev WHERE ev.oid IN (SELECT objid FROM mem WHERE classid = 'pg_event_trigger'::regclass)
    UNION ALL
    -- the roles the extension creates (cluster-wide), their memberships and comments
    SELECT concat_ws('|', 'm', 'role', r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
                     r.rolcanlogin, r.rolbypassrls, r.rolconnlimit, shobj_description(r.oid, 'pg_authid'),
                     (SELECT string_agg(am.roleid::regrole::text || (CASE WHEN am.admin_option THEN '+admin' ELSE '' END),
                                        ',' ORDER BY am.roleid::regrole::text)
                        FROM pg_auth_members am WHERE am.member = r.oid))
      FROM pg_roles r WHERE r.rolname IN ('roomcast_service', 'roomcast_notifier', 'roomcast_worker')
    UNION ALL
    -- default privileges someone set in the schema (ALTER DEFAULT PRIVILEGES)
    SELECT concat_ws('|', 'm', 'default acl', da.defaclrole::regrole::text, da.defaclobjtype, da.defaclacl::text)
      FROM pg_default_acl da WHERE da.defaclnamespace = (SELECT oid FROM ns)
)
-- one line per fact: a function body's newlines are written as \n
SELECT l FROM (SELECT replace(line, E'\n', '\n') AS l FROM lines) s ORDER BY l COLLATE "C";
