-- test/upgrade/snapshot.sql — the data of a roomcast database, one line per
-- table or sequence: "kind|name|dump|rows|md5 of the rows in text form".
-- Run as a superuser (row-level security does not hide rows from it).
--
-- dump says what pg_dump does with the data:
--   config    an extension member marked with pg_extension_config_dump: dumped
--   table     not an extension member (the day partitions of roomcast.events,
--             application tables): dumped like any table
--   member    an extension member NOT marked: pg_dump leaves its rows out
-- Suite 28-upgrade compares snapshots before and after ALTER EXTENSION
-- UPDATE (everything equal) and before and after a dump and restore (equal
-- but for the "member" tables, which must be the documented transient ones).
SET search_path = pg_catalog;
CREATE FUNCTION pg_temp.rows_md5(rel regclass, OUT n bigint, OUT h text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text COLLATE "C"), %L)) FROM ONLY %s t',
                   E'\n', '', rel)
       INTO n, h;
END
$$;
WITH ext AS (
    SELECT e.oid, e.extconfig FROM pg_extension e WHERE e.extname = 'roomcast'
), rels AS (
    SELECT c.oid, c.relkind,
           CASE WHEN c.oid = ANY ((SELECT extconfig FROM ext)::oid[]) THEN 'config'
                WHEN EXISTS (SELECT 1 FROM pg_depend d, ext
                              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
                                AND d.deptype = 'e') THEN 'member'
                ELSE 'table' END AS dump
      FROM pg_class c
     WHERE c.relnamespace IN ('roomcast'::regnamespace, 'upg'::regnamespace)
       AND c.relkind IN ('r', 'S')
)
SELECT l FROM (SELECT concat_ws('|', CASE r.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, r.oid::regclass::text, r.dump,
                 CASE WHEN r.relkind = 'S' THEN (SELECT s.last_value::text FROM pg_sequences s
                                                 WHERE format('%I.%I', s.schemaname, s.sequencename) = r.oid::regclass::text)
                      ELSE (pg_temp.rows_md5(r.oid)).n::text END,
                 CASE WHEN r.relkind = 'r' THEN (pg_temp.rows_md5(r.oid)).h END)
         AS l
  FROM rels r) s
 ORDER BY l COLLATE "C";
