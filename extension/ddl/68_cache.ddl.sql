
-- 68: cache keys and TTL classes (SPEC §6, extension/cachekey.c).

CREATE FUNCTION roomcast.cache_key(VARIADIC parts text[]) RETURNS text
    AS 'MODULE_PATHNAME', 'cache_key'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION roomcast.cache_key(text[]) IS
    'roomcast: tenant:{current tenant}:part1:part2… with '':'' and ''%'' in parts percent-encoded; RC401 without identity';

CREATE FUNCTION roomcast.cache_ttl(class text) RETURNS int
    AS 'MODULE_PATHNAME', 'cache_ttl'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION roomcast.cache_ttl(text) IS
    'roomcast: seconds for a cache class: short 60, medium 300, long 3600, day 86400';
