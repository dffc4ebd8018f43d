
-- 60: batched loaders (SPEC §6, extension/loader.c). They run as the caller:
-- privileges and row-level security apply; no SECURITY DEFINER.

CREATE FUNCTION roomcast.load_many(rel regclass, key_column name, keys anyarray)
    RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'load_many'
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION roomcast.load_many(regclass, name, anyarray) IS
    'roomcast: the rows of rel whose key_column equals each key, as jsonb, one per key in key order (NULL when missing), in one query';

CREATE FUNCTION roomcast.load_grouped(rel regclass, fk_column name, keys anyarray,
                                      order_by text DEFAULT NULL, per_key_limit int DEFAULT NULL)
    RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'load_grouped'
    LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION roomcast.load_grouped(regclass, name, anyarray, text, int) IS
    'roomcast: for each key, a jsonb array of the rows of rel whose fk_column equals it ([] when none), in key order, in one query';

CREATE FUNCTION roomcast.loader_plans(
        OUT rel regclass, OUT key_column name, OUT key_type regtype, OUT kind text,
        OUT order_by text, OUT prepares bigint, OUT calls bigint, OUT stale boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'loader_plans'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION roomcast.loader_plans() IS
    'roomcast: the loader plans cached in this session, with how often each was prepared and run';
