-- cache_key and cache_ttl.

-- Without identity: RC401.
SELECT err($$SELECT roomcast.cache_key('case', '1')$$);

BEGIN;
SELECT roomcast.set_identity('0b7d3c1e-0000-4000-8000-000000000001');
SELECT roomcast.cache_key('case', '42');
SELECT roomcast.cache_key('case', '42', 'reports');
-- ':' and '%' inside parts are percent-encoded, so parts cannot be confused
SELECT roomcast.cache_key('a:b'), roomcast.cache_key('a', 'b'), roomcast.cache_key('100%:x');
SELECT roomcast.cache_key(VARIADIC ARRAY[]::text[]);
SELECT roomcast.cache_key('');
SELECT err($$SELECT roomcast.cache_key('case', NULL)$$);
SELECT roomcast.cache_key(VARIADIC NULL::text[]) IS NULL AS null_array_gives_null;
-- another tenant, another prefix
SELECT roomcast.set_identity('0b7d3c1e-0000-4000-8000-000000000002');
SELECT roomcast.cache_key('case', '42');
ROLLBACK;

SELECT roomcast.cache_ttl('short') AS short, roomcast.cache_ttl('medium') AS medium,
       roomcast.cache_ttl('long') AS long, roomcast.cache_ttl('day') AS day,
       roomcast.cache_ttl('Short') AS case_insensitive;
SELECT err($$SELECT roomcast.cache_ttl('week')$$);
SELECT roomcast.cache_ttl(NULL) IS NULL AS null_gives_null;
