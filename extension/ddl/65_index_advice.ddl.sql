
-- 65: index advice (SPEC §6, extension/index_advice.c). Reads the catalogs
-- and statistics only; applying the advice is up to the caller:
--     SELECT ddl FROM roomcast.index_advice() \gexec

CREATE FUNCTION roomcast.index_advice(
        OUT table_name regclass, OUT columns text[], OUT reason text, OUT ddl text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'index_advice'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION roomcast.index_advice() IS
    'roomcast: indexes to create (uncovered foreign keys, tenant columns) and to drop (duplicate, unused), one DDL statement per row, in the order to run them';
