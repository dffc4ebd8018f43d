-- 20: sessions — refresh-token families, SSO sessions, security events, helpers.

-- Refresh tokens are stored only as SHA-256 hashes. A family is one login:
-- each refresh rotates the token inside its family; presenting a rotated
-- token again revokes the whole family (reuse detection).
CREATE TABLE roomcast.refresh_tokens (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    token_hash   bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    fingerprint  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES roomcast.users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_hash ON roomcast.refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON roomcast.refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_user ON roomcast.refresh_tokens (tenant_id, user_id);
COMMENT ON TABLE roomcast.refresh_tokens IS
    'roomcast: refresh tokens (SHA-256 hashes only), grouped in families';

CREATE TABLE roomcast.sso_sessions (
    tenant_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES roomcast.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE roomcast.sso_sessions IS
    'roomcast: SSO sessions; refresh_from_sso issues access tokens while one is valid';

CREATE TABLE roomcast.security_events (
    tenant_id    uuid NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    user_id      uuid,
    kind         text NOT NULL,
    detail       text NOT NULL,
    fingerprint  text,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX security_events_user ON roomcast.security_events (tenant_id, user_id, created_at);
COMMENT ON TABLE roomcast.security_events IS
    'roomcast: refresh-token reuse, expired or mismatched refreshes, disabled users; written even when the call fails';

ALTER TABLE roomcast.refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.refresh_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE roomcast.sso_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.sso_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE roomcast.security_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.security_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roomcast.refresh_tokens
    USING (tenant_id = roomcast.current_tenant()) WITH CHECK (tenant_id = roomcast.current_tenant());
CREATE POLICY tenant_isolation ON roomcast.sso_sessions
    USING (tenant_id = roomcast.current_tenant()) WITH CHECK (tenant_id = roomcast.current_tenant());
CREATE POLICY tenant_isolation ON roomcast.security_events
    USING (tenant_id = roomcast.current_tenant()) WITH CHECK (tenant_id = roomcast.current_tenant());

-- The service manages SSO sessions and reads security events of its tenant;
-- refresh tokens are touched only through the functions below.
GRANT SELECT, INSERT, UPDATE, DELETE ON roomcast.sso_sessions TO roomcast_service;
GRANT SELECT ON roomcast.security_events TO roomcast_service;

SELECT pg_catalog.pg_extension_config_dump('roomcast.refresh_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.sso_sessions', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.security_events', '');

CREATE FUNCTION roomcast.create_tenant(slug text, name text, id uuid DEFAULT gen_random_uuid())
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'roomcast_create_tenant'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.create_tenant(text, text, uuid) IS
    'Create a tenant and return its id; roomcast_service only';
REVOKE ALL ON FUNCTION roomcast.create_tenant(text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.create_tenant(text, text, uuid) TO roomcast_service;

CREATE FUNCTION roomcast.issue_tokens(tenant uuid, user_id uuid, fingerprint text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_issue_tokens'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.issue_tokens(uuid, uuid, text) IS
    'Start a session: {access_token, refresh_token, expires_at}; roomcast_service only';
REVOKE ALL ON FUNCTION roomcast.issue_tokens(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.issue_tokens(uuid, uuid, text) TO roomcast_service;

CREATE FUNCTION roomcast.refresh(refresh_token text, fingerprint text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_refresh'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.refresh(text, text) IS
    'Rotate a refresh token: a new pair in the same family; reuse revokes the family';

CREATE FUNCTION roomcast.revoke_sessions(user_id uuid) RETURNS int
    AS 'MODULE_PATHNAME', 'roomcast_revoke_sessions'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.revoke_sessions(uuid) IS
    'Revoke every refresh token of a user in the current tenant and disconnect their sockets';

CREATE FUNCTION roomcast.refresh_from_sso(user_id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_refresh_from_sso'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.refresh_from_sso(uuid) IS
    'A new access token while the user''s SSO session is valid, else RC403';

CREATE FUNCTION roomcast.fingerprint(user_agent text, accept_language text, accept_encoding text)
    RETURNS text
    AS 'MODULE_PATHNAME', 'roomcast_fingerprint'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.fingerprint(text, text, text) IS
    'SHA-256 hex of the three request headers (NULL counts as empty)';

CREATE FUNCTION roomcast.csrf_token() RETURNS text
    AS 'MODULE_PATHNAME', 'roomcast_csrf_token'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.csrf_token() IS '32 random bytes as 64 hex characters';

CREATE FUNCTION roomcast.secure_compare(a text, b text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'roomcast_secure_compare'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.secure_compare(text, text) IS
    'Equality whose time does not depend on where the strings differ';
