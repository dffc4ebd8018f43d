-- bench/jwt/baseline.sql — the peer: HS256 JWT in plain SQL on pgcrypto, the
-- way pgjwt does it (base64 with translate, hmac(), json building in SQL).
-- Written for this benchmark; it is not shipped with roomcast.
CREATE SCHEMA IF NOT EXISTS sqljwt;

CREATE OR REPLACE FUNCTION sqljwt.url_encode(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(encode(data, 'base64'), E'+/=\n', '-_');
$$;

CREATE OR REPLACE FUNCTION sqljwt.url_decode(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    WITH t AS (SELECT translate(data, '-_', '+/') AS s),
         rem AS (SELECT length(s) % 4 AS r, s FROM t)
    SELECT decode(s || CASE WHEN r > 0 THEN repeat('=', 4 - r) ELSE '' END, 'base64') FROM rem;
$$;

CREATE OR REPLACE FUNCTION sqljwt.sign(payload json, secret bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    WITH header AS (SELECT sqljwt.url_encode(convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8')) AS data),
         body AS (SELECT sqljwt.url_encode(convert_to(payload::text, 'utf8')) AS data),
         signables AS (SELECT header.data || '.' || body.data AS data FROM header, body)
    SELECT signables.data || '.' || sqljwt.url_encode(hmac(convert_to(signables.data, 'utf8'), secret, 'sha256'))
      FROM signables;
$$;

CREATE OR REPLACE FUNCTION sqljwt.verify(token text, secret bytea)
RETURNS TABLE (header json, payload json, valid boolean)
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_from(sqljwt.url_decode(r[1]), 'utf8')::json,
           convert_from(sqljwt.url_decode(r[2]), 'utf8')::json,
           r[3] = sqljwt.url_encode(hmac(convert_to(r[1] || '.' || r[2], 'utf8'), secret, 'sha256'))
             AND (convert_from(sqljwt.url_decode(r[2]), 'utf8')::json->>'exp')::bigint > extract(epoch FROM now())
      FROM regexp_split_to_array(token, '\.') r;
$$;
