-- Sessions: issue_tokens, refresh rotation and reuse detection, expiry,
-- disabled users, fingerprints, revoke_sessions, SSO — each refusal with its
-- SQLSTATE and a roomcast.security_events row that survives the error.
\set VERBOSITY terse

SELECT roomcast.add_signing_key('sess', decode(repeat('5e', 32), 'hex'));
SELECT roomcast.create_tenant('initech', 'Initech', '33333333-3333-3333-3333-333333333333');
INSERT INTO roomcast.users (tenant_id, id, email, role) VALUES
    ('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001', 'pam@initech.test', 'member'),
    ('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000002', 'sam@initech.test', 'admin');

CREATE TEMP TABLE t (name text PRIMARY KEY, tokens jsonb);

-- issue_tokens: an access token for the user and an opaque refresh token.
INSERT INTO t SELECT 'login1', roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001');
SELECT jsonb_object_keys(tokens) AS key FROM t WHERE name = 'login1' ORDER BY 1;
SELECT roomcast.verify(tokens->>'access_token') - 'exp' - 'iat' - 'jti' AS access_claims FROM t WHERE name = 'login1';
SELECT tokens->>'refresh_token' ~ '^[A-Za-z0-9_-]{43}$' AS refresh_is_256_bits,
       (tokens->>'expires_at')::timestamptz BETWEEN now() + '14 min' AND now() + '16 min' AS expires_in_15_min
  FROM t WHERE name = 'login1';
-- Only the hash is stored.
SELECT count(*) AS stored, bool_and(token_hash = sha256(convert_to(t.tokens->>'refresh_token', 'UTF8'))) AS hash_matches
  FROM roomcast.refresh_tokens r, t WHERE t.name = 'login1' AND r.user_id = 'cccccccc-0000-0000-0000-000000000001';
SELECT err($$SELECT roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-00000000dead')::text$$) AS unknown_user;
SELECT err($$SELECT roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', NULL)::text$$) AS null_user;
SELECT err($$SELECT roomcast.issue_tokens(NULL, 'cccccccc-0000-0000-0000-000000000001')::text$$) AS null_tenant;

-- refresh rotates: a new pair in the same family; the old token is spent.
INSERT INTO t SELECT 'rot1', roomcast.refresh((SELECT tokens->>'refresh_token' FROM t WHERE name = 'login1'));
SELECT (SELECT tokens->>'refresh_token' FROM t WHERE name = 'rot1') <> (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login1') AS new_token,
       roomcast.verify((SELECT tokens->>'access_token' FROM t WHERE name = 'rot1'))->>'sub' AS sub;
SELECT count(DISTINCT family_id) AS families, count(*) AS tokens, count(*) FILTER (WHERE rotated_at IS NOT NULL) AS rotated
  FROM roomcast.refresh_tokens WHERE user_id = 'cccccccc-0000-0000-0000-000000000001';
INSERT INTO t SELECT 'rot2', roomcast.refresh((SELECT tokens->>'refresh_token' FROM t WHERE name = 'rot1'));

-- Reuse: presenting a rotated token fails and revokes the whole family,
-- durably (the error does not undo it).
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login1'))) AS reuse;
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS still_valid FROM roomcast.refresh_tokens
 WHERE user_id = 'cccccccc-0000-0000-0000-000000000001';
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'rot2'))) AS newest_of_family;
SELECT kind, user_id, detail FROM roomcast.security_events ORDER BY id;

-- A second login is a separate family, unaffected.
INSERT INTO t SELECT 'login2', roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001');
SELECT roomcast.refresh((SELECT tokens->>'refresh_token' FROM t WHERE name = 'login2')) ? 'access_token' AS other_family_ok;

-- Expired refresh token: RC403 and an event.
INSERT INTO t SELECT 'login3', roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001');
UPDATE roomcast.refresh_tokens SET expires_at = now() - interval '1 s'
 WHERE token_hash = sha256(convert_to((SELECT tokens->>'refresh_token' FROM t WHERE name = 'login3'), 'UTF8'));
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login3'))) AS expired;

-- Fingerprint binding.
INSERT INTO t SELECT 'login4', roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001',
    roomcast.fingerprint('Firefox', 'en', 'gzip'));
SELECT err(format('SELECT roomcast.refresh(%L, %L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login4'),
    roomcast.fingerprint('curl', 'en', 'gzip'))) AS fingerprint_mismatch;
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login4'))) AS fingerprint_missing;
SELECT roomcast.refresh((SELECT tokens->>'refresh_token' FROM t WHERE name = 'login4'),
    roomcast.fingerprint('Firefox', 'en', 'gzip')) ? 'refresh_token' AS fingerprint_match;

-- Disabled user.
INSERT INTO t SELECT 'login5', roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001');
UPDATE roomcast.users SET status = 'disabled' WHERE id = 'cccccccc-0000-0000-0000-000000000001';
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login5'))) AS disabled;
SELECT err($$SELECT roomcast.issue_tokens('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001')::text$$) AS issue_for_disabled;
UPDATE roomcast.users SET status = 'active' WHERE id = 'cccccccc-0000-0000-0000-000000000001';

SELECT err($$SELECT roomcast.refresh('not-a-token')::text$$) AS unknown;
SELECT err($$SELECT roomcast.refresh(NULL)::text$$) AS null_token;
SELECT kind, fingerprint IS NOT NULL AS has_fingerprint FROM roomcast.security_events ORDER BY id;

-- revoke_sessions: the user's refresh tokens in the current tenant; needs an identity.
SELECT err($$SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001')::text$$) AS no_identity;
BEGIN;
SELECT roomcast.set_identity('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000002', 'member');
SELECT err($$SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001')::text$$) AS member_for_other;
ROLLBACK;
-- The user themselves, and an admin, may.
BEGIN;
SELECT roomcast.set_identity('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000001', 'member');
SELECT err($$SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001')::text$$) AS self;
ROLLBACK;
BEGIN;
SELECT roomcast.set_identity('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000002', 'admin');
SELECT err($$SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001')::text$$) AS admin_for_other;
ROLLBACK;
BEGIN;
SELECT roomcast.set_identity('33333333-3333-3333-3333-333333333333');
SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001') > 0 AS revoked_some;
SELECT roomcast.revoke_sessions('cccccccc-0000-0000-0000-000000000001') AS revoked_again;
COMMIT;
SELECT err(format('SELECT roomcast.refresh(%L)::text', (SELECT tokens->>'refresh_token' FROM t WHERE name = 'login5'))) AS after_revoke;

-- SSO sessions.
BEGIN;
SELECT roomcast.set_identity('33333333-3333-3333-3333-333333333333');
SELECT err($$SELECT roomcast.refresh_from_sso('cccccccc-0000-0000-0000-000000000002')::text$$) AS no_sso_session;
INSERT INTO roomcast.sso_sessions (tenant_id, user_id, expires_at)
    VALUES ('33333333-3333-3333-3333-333333333333', 'cccccccc-0000-0000-0000-000000000002', now() + interval '1 hour');
SELECT roomcast.verify(roomcast.refresh_from_sso('cccccccc-0000-0000-0000-000000000002')->>'access_token')->>'role' AS sso_role;
SAVEPOINT disabled;
UPDATE roomcast.users SET status = 'disabled' WHERE id = 'cccccccc-0000-0000-0000-000000000002';
SELECT err($$SELECT roomcast.refresh_from_sso('cccccccc-0000-0000-0000-000000000002')::text$$) AS sso_disabled_user;
ROLLBACK TO SAVEPOINT disabled;
UPDATE roomcast.sso_sessions SET expires_at = now() - interval '1 s';
SELECT err($$SELECT roomcast.refresh_from_sso('cccccccc-0000-0000-0000-000000000002')::text$$) AS sso_expired;
COMMIT;
