-- Identity: keys, sign, verify, authenticate, set_identity, current_*,
-- and every token rejection of SPEC §1 with its SQLSTATE.
\set VERBOSITY terse

-- An independent HS256/384/512 implementation on pgcrypto, for forging tokens.
CREATE OR REPLACE FUNCTION public.b64url(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT rtrim(translate(replace(encode(b, 'base64'), E'\n', ''), '+/', '-_'), '=')
$$;
CREATE OR REPLACE FUNCTION public.forge(header text, payload text, secret bytea,
                                        alg text DEFAULT 'sha256') RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT b64url(convert_to(header, 'UTF8')) || '.' || b64url(convert_to(payload, 'UTF8')) || '.' ||
           b64url(hmac(convert_to(b64url(convert_to(header, 'UTF8')) || '.' || b64url(convert_to(payload, 'UTF8')), 'UTF8'),
                       secret, alg))
$$;

-- Fixtures: a key per algorithm, two tenants, users.
SELECT roomcast.add_signing_key('k256', decode(repeat('a1', 32), 'hex'));
SELECT roomcast.add_signing_key('k384', decode(repeat('b2', 48), 'hex'), 'HS384');
SELECT roomcast.add_signing_key('k512', decode(repeat('c3', 64), 'hex'), 'HS512');
SELECT roomcast.create_tenant('acme', 'Acme', '11111111-1111-1111-1111-111111111111');
SELECT roomcast.create_tenant('globex', 'Globex', '22222222-2222-2222-2222-222222222222');
INSERT INTO roomcast.users (tenant_id, id, email, role, status) VALUES
    ('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-000000000001', 'ann@acme.test', 'admin', 'active'),
    ('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-000000000002', 'bob@acme.test', 'member', 'disabled'),
    ('22222222-2222-2222-2222-222222222222', 'bbbbbbbb-0000-0000-0000-000000000001', 'gil@globex.test', 'member', 'active');

-- Key validation.
SELECT err($$SELECT roomcast.add_signing_key('short', '\x0102')$$);
SELECT err($$SELECT roomcast.add_signing_key('rs', decode(repeat('aa', 32), 'hex'), 'RS256')$$);
SELECT err($$SELECT roomcast.add_signing_key('bad kid!', decode(repeat('aa', 32), 'hex'))$$);
SELECT err($$SELECT roomcast.retire_signing_key('nope')$$);
SELECT err($$SELECT roomcast.add_signing_key('long', decode(repeat('aa', 1025), 'hex'))$$) AS secret_over_1024;
SELECT err($$SELECT roomcast.add_signing_key('max', decode(repeat('ab', 1024), 'hex'))$$) AS secret_of_1024;
SELECT roomcast.retire_signing_key('max');   -- keep k512 the newest active key below
SELECT err($$SELECT roomcast.create_tenant('Bad Slug', 'x')::text$$) AS bad_slug;
SELECT err($$SELECT roomcast.create_tenant('acme', 'Acme again')::text$$) AS duplicate_slug;

-- No identity: RC401 everywhere.
SELECT err('SELECT roomcast.current_tenant()::text');
SELECT err('SELECT roomcast.current_user_id()::text');
SELECT err('SELECT roomcast.current_role()');
SELECT err('SELECT roomcast.current_claims()::text');

-- set_identity and current_* (transaction-local).
BEGIN;
SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-000000000001', 'admin');
SELECT roomcast.current_tenant(), roomcast.current_user_id(), roomcast.current_role();
SELECT roomcast.current_claims();
-- A rolled-back savepoint restores the previous identity.
SAVEPOINT s;
SELECT roomcast.set_identity('22222222-2222-2222-2222-222222222222');
SELECT roomcast.current_tenant(), roomcast.current_user_id() IS NULL AS no_user, roomcast.current_role();
ROLLBACK TO SAVEPOINT s;
SELECT roomcast.current_tenant();
COMMIT;
SELECT err('SELECT roomcast.current_tenant()::text') AS after_commit;
-- Unknown and disabled users are refused.
SELECT err($$SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-00000000dead')$$);
SELECT err($$SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-000000000002')$$);
SELECT err($$SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111', NULL, 'a/b')$$);
SELECT err(format('SELECT roomcast.set_identity(%L, NULL, %L)', '11111111-1111-1111-1111-111111111111', repeat('r', 65))) AS role_65_chars;
SELECT err($$SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111', NULL, '')$$) AS empty_role;
SELECT err($$SELECT roomcast.set_identity(NULL)$$) AS null_tenant;
-- The identity cannot be forged with SET by an ordinary role.
CREATE ROLE rc_plain LOGIN;
SET ROLE rc_plain;
SELECT err($$SELECT set_config('roomcast.identity', '11111111-1111-1111-1111-111111111111//admin', true)$$);
SELECT err($$SELECT roomcast.set_identity('11111111-1111-1111-1111-111111111111')$$);
SELECT err($$SELECT roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}')$$);
SELECT err($$SELECT roomcast.add_signing_key('x', decode(repeat('aa', 32), 'hex'))$$);
SELECT err('SELECT count(*)::text FROM roomcast.signing_keys');
RESET ROLE;

-- sign: iat and exp are added, kid names the newest key, verify round-trips.
SELECT roomcast.verify(roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","role":"admin"}'))
       - 'iat' - 'exp' AS claims;
SELECT (c->>'exp')::bigint - (c->>'iat')::bigint AS ttl_seconds
  FROM roomcast.verify(roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}', '1 hour')) c;
SELECT convert_from(decode(translate(split_part(roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}'), '.', 1), '-_', '+/') || '==', 'base64'), 'UTF8')::jsonb AS header;
SELECT err($$SELECT roomcast.sign('{"sub":"not-a-uuid","tenantId":"11111111-1111-1111-1111-111111111111"}')$$);
SELECT err($$SELECT roomcast.sign('{"tenantId":"11111111-1111-1111-1111-111111111111"}')$$);
SELECT err($$SELECT roomcast.sign('[1,2]')$$);
SELECT err($$SELECT roomcast.sign(jsonb_build_object('sub', 'aaaaaaaa-0000-0000-0000-000000000001',
    'tenantId', '11111111-1111-1111-1111-111111111111', 'pad', repeat('x', 7000)))$$) AS too_large;
-- A payload under the payload limit whose token would not fit what verify accepts.
SELECT err($$SELECT roomcast.sign(jsonb_build_object('sub', 'aaaaaaaa-0000-0000-0000-000000000001',
    'tenantId', '11111111-1111-1111-1111-111111111111', 'pad', repeat('x', 6000)))$$) AS token_too_large;
SELECT roomcast.verify(roomcast.sign(jsonb_build_object('sub', 'aaaaaaaa-0000-0000-0000-000000000001',
    'tenantId', '11111111-1111-1111-1111-111111111111', 'pad', repeat('x', 5700))))->>'sub' AS large_token_verifies;
SELECT err($$SELECT roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}', '-1 minute')$$);

-- A token made by pgcrypto (an independent implementation) verifies, for all three algorithms.
SELECT roomcast.verify(forge('{"alg":"HS256","typ":"JWT","kid":"k256"}',
    '{"sub":"AAAAAAAA-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800,"email":"ann@acme.test"}',
    decode(repeat('a1', 32), 'hex'))) AS pgcrypto_hs256;
SELECT roomcast.verify(forge('{"alg":"HS384","kid":"k384"}',
    '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800}',
    decode(repeat('b2', 48), 'hex'), 'sha384'))->>'sub' AS pgcrypto_hs384;
SELECT roomcast.verify(forge('{"alg":"HS512","kid":"k512"}',
    '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800}',
    decode(repeat('c3', 64), 'hex'), 'sha512'))->>'sub' AS pgcrypto_hs512;
-- Unicode and escapes in claims survive.
SELECT roomcast.verify(forge('{"alg":"HS256","kid":"k256"}',
    '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800,"name":"Zo\u00eb \"Z\" \u2603","nested":{"a":[1,2,{"b":null}]},"big":123456789012345678901234567890}',
    decode(repeat('a1', 32), 'hex'))) - 'exp' - 'sub' - 'tenantId' AS claims;

-- Every rejection of SPEC §1.
\set good_payload '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800}'
\set k256 '''\\xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'''
SELECT 'alg none' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    b64url('{"alg":"none"}') || '.' || b64url(convert_to(:'good_payload', 'UTF8')) || '.'));
SELECT 'alg none, signed' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"none","kid":"k256"}', :'good_payload', :k256)));
SELECT 'alg RS256' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"RS256","kid":"k256"}', :'good_payload', :k256)));
SELECT 'alg lowercase' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"hs256","kid":"k256"}', :'good_payload', :k256)));
SELECT 'alg missing' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"kid":"k256"}', :'good_payload', :k256)));
SELECT 'alg swapped' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS512","kid":"k256"}', :'good_payload', :k256, 'sha512')));
SELECT 'tampered payload' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    split_part(forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256), '.', 1) || '.' ||
    b64url(convert_to(replace(:'good_payload', '11111111-1111', '22222222-2222'), 'UTF8')) || '.' ||
    split_part(forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256), '.', 3)));
SELECT 'bad signature' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', :'good_payload', decode(repeat('a2', 32), 'hex'))));
SELECT 'expired' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '4102444800', '1000000000'), :k256)));
SELECT 'exp missing' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', ',"exp":4102444800', ''), :k256)));
SELECT 'exp a string' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '4102444800', '"4102444800"'), :k256)));
SELECT 'nbf ahead' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '}', ',"nbf":4102440000}'), :k256)));
SELECT 'tenant missing' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","exp":4102444800}', :k256)));
SELECT 'user missing' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', '{"tenantId":"11111111-1111-1111-1111-111111111111","exp":4102444800}', :k256)));
SELECT 'user not a uuid' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', 'aaaaaaaa-0000-0000-0000-000000000001', 'ann'), :k256)));
SELECT 'tenant a number' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '"11111111-1111-1111-1111-111111111111"', '42'), :k256)));
SELECT 'unknown kid' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"nope"}', :'good_payload', :k256)));
SELECT 'bad base64url' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    replace(forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256), 'eyJ', 'ey!')));
SELECT 'padding' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256) || '='));
SELECT 'two parts' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    split_part(forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256), '.', 1) || '.' ||
    split_part(forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256), '.', 2)));
SELECT 'four parts' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256) || '.x'));
SELECT 'empty' AS case, err($$SELECT roomcast.verify('')$$);
SELECT 'duplicate keys' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '}', ',"sub":"aaaaaaaa-0000-0000-0000-000000000002"}'), :k256)));
SELECT 'escaped duplicate key' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', replace(:'good_payload', '}', E',"s\\u0075b":"aaaaaaaa-0000-0000-0000-000000000002"}'), :k256)));
SELECT 'trailing garbage' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', :'good_payload' || '{}', :k256)));
SELECT 'payload not an object' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","kid":"k256"}', '[1]', :k256)));
SELECT 'header duplicate alg' AS case, err(format($$SELECT roomcast.verify(%L)$$,
    forge('{"alg":"HS256","alg":"none","kid":"k256"}', :'good_payload', :k256)));

-- Clock skew applies to exp and nbf alike (roomcast.clock_override fakes the clock).
\set skew_payload '{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","exp":2000000000,"nbf":1999990000}'
SET roomcast.clock_override = 2000000010;   -- 10 s after exp
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'skew_payload', :k256))) AS exp_skew_0;
SET roomcast.clock_skew = '30s';
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'skew_payload', :k256))) AS exp_skew_30;
SET roomcast.clock_override = 2000000031;   -- 31 s after exp
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'skew_payload', :k256))) AS exp_past_skew_30;
SET roomcast.clock_override = 1999989980;   -- 20 s before nbf
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'skew_payload', :k256))) AS nbf_skew_30;
RESET roomcast.clock_skew;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'skew_payload', :k256))) AS nbf_skew_0;
RESET roomcast.clock_override;

-- Audience and issuer, when configured.
SET roomcast.audience = 'roomcast-app';
SET roomcast.issuer = 'https://auth.acme.test';
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256))) AS no_aud;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}',
    replace(:'good_payload', '}', ',"aud":"other","iss":"https://auth.acme.test"}'), :k256))) AS wrong_aud;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}',
    replace(:'good_payload', '}', ',"aud":["other","roomcast-app"],"iss":"https://evil.test"}'), :k256))) AS wrong_iss;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}',
    replace(:'good_payload', '}', ',"aud":["other","roomcast-app"],"iss":"https://auth.acme.test"}'), :k256))) AS aud_in_array;
RESET roomcast.audience;
RESET roomcast.issuer;

-- Claim names are settings.
SET roomcast.claim_user = 'uid';
SET roomcast.claim_tenant = 'org';
SELECT roomcast.verify(forge('{"alg":"HS256","kid":"k256"}',
    '{"uid":"aaaaaaaa-0000-0000-0000-000000000001","org":"11111111-1111-1111-1111-111111111111","exp":4102444800}', :k256))->>'org' AS renamed_claims;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256))) AS old_names;
RESET roomcast.claim_user;
RESET roomcast.claim_tenant;

-- RFC 7515 appendix A.1 with its published key, verified at a time before its exp.
-- Its signature is valid, so verification gets as far as the claims, which
-- lack roomcast's user and tenant claims; a tampered copy fails on the signature.
SELECT roomcast.add_signing_key('rfc7515', decode(translate(
    'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', '-_', '+/') || '==', 'base64'));
SET roomcast.clock_override = 1300819370;
\set rfc 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
SELECT err(format($$SELECT roomcast.verify(%L)$$, :'rfc')) AS rfc7515_a1;
SELECT err(format($$SELECT roomcast.verify(%L)$$, replace(:'rfc', 'dBjft', 'dBjfu'))) AS rfc7515_a1_tampered;
SET roomcast.claim_user = 'iss';
SELECT err(format($$SELECT roomcast.verify(%L)$$, :'rfc')) AS rfc7515_a1_iss_as_user;
RESET roomcast.claim_user;
RESET roomcast.clock_override;
SELECT err(format($$SELECT roomcast.verify(%L)$$, :'rfc')) AS rfc7515_a1_today;
SELECT roomcast.retire_signing_key('rfc7515');

-- Key rotation: a retired key's tokens are rejected at once; without kid the newest active key is used.
SELECT roomcast.add_signing_key('k256b', decode(repeat('d4', 32), 'hex'));
SELECT roomcast.verify(forge('{"alg":"HS256"}', :'good_payload', decode(repeat('d4', 32), 'hex')))->>'sub' AS no_kid_newest;
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256"}', :'good_payload', :k256))) AS no_kid_older;
SELECT roomcast.retire_signing_key('k256');
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256","kid":"k256"}', :'good_payload', :k256))) AS retired_kid;
SELECT roomcast.retire_signing_key('k256b');
SELECT roomcast.retire_signing_key('k384');
SELECT roomcast.retire_signing_key('k512');
SELECT err(format($$SELECT roomcast.verify(%L)->>'sub'$$, forge('{"alg":"HS256"}', :'good_payload', decode(repeat('d4', 32), 'hex')))) AS no_active_key;
SELECT err($$SELECT roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}')$$) AS sign_without_key;
SELECT kid, alg, retired_at IS NOT NULL AS retired FROM roomcast.signing_keys ORDER BY created_at;
SELECT roomcast.add_signing_key('k256c', decode(repeat('e5', 32), 'hex'));

-- authenticate sets the identity from a token for the rest of the transaction.
BEGIN;
SELECT roomcast.authenticate(roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111","role":"admin","email":"ann@acme.test"}'))->>'email' AS email;
SELECT roomcast.current_tenant(), roomcast.current_user_id(), roomcast.current_role();
SELECT roomcast.current_claims()->>'email' AS claim_email;
COMMIT;
SELECT err('SELECT roomcast.current_tenant()::text') AS after_commit;
SELECT err($$SELECT roomcast.authenticate(roomcast.sign('{"sub":"aaaaaaaa-0000-0000-0000-000000000002","tenantId":"11111111-1111-1111-1111-111111111111"}'))::text$$) AS disabled_user;
SELECT err($$SELECT roomcast.authenticate(roomcast.sign('{"sub":"bbbbbbbb-0000-0000-0000-000000000001","tenantId":"11111111-1111-1111-1111-111111111111"}'))::text$$) AS user_of_other_tenant;
SELECT err($$SELECT roomcast.authenticate('garbage')::text$$) AS garbage;
-- A token without a role claim gets role member.
BEGIN;
SELECT roomcast.authenticate(roomcast.sign('{"sub":"bbbbbbbb-0000-0000-0000-000000000001","tenantId":"22222222-2222-2222-2222-222222222222"}')) IS NOT NULL AS ok;
SELECT roomcast.current_role();
COMMIT;

-- Web helpers.
SELECT roomcast.fingerprint('Mozilla/5.0', 'en', 'gzip') = encode(digest(E'Mozilla/5.0\nen\ngzip', 'sha256'), 'hex') AS fingerprint_is_sha256;
SELECT roomcast.fingerprint(NULL, NULL, NULL) = encode(digest(E'\n\n', 'sha256'), 'hex') AS fingerprint_nulls;
SELECT length(t) AS csrf_len, t ~ '^[0-9a-f]{64}$' AS csrf_hex, t <> roomcast.csrf_token() AS csrf_random
  FROM roomcast.csrf_token() t;
SELECT roomcast.secure_compare('abc', 'abc') AS same, roomcast.secure_compare('abc', 'abd') AS differ,
       roomcast.secure_compare('abc', 'abcd') AS longer, roomcast.secure_compare('', '') AS empty;

DROP ROLE rc_plain;
