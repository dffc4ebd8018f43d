-- 10: identity — tenants, users, signing keys, tokens and the transaction identity.

-- Tenants. Not tenant-scoped itself (it is the list of tenants), so readable
-- only through current_tenant's own row.
CREATE TABLE roomcast.tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE roomcast.tenants IS 'roomcast: one row per tenant';

CREATE TABLE roomcast.users (
    tenant_id    uuid NOT NULL REFERENCES roomcast.tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    email        text,
    display_name text,
    role         text NOT NULL DEFAULT 'member',
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_tenant_email ON roomcast.users (tenant_id, lower(email));
COMMENT ON TABLE roomcast.users IS 'roomcast: users per tenant; applications may mirror theirs here';

-- Signing keys: secrets, readable by the extension owner only (no grants).
CREATE TABLE roomcast.signing_keys (
    kid         text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9._-]{1,64}$'),
    alg         text NOT NULL DEFAULT 'HS256' CHECK (alg IN ('HS256', 'HS384', 'HS512')),
    secret      bytea NOT NULL CHECK (octet_length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    retired_at  timestamptz
);
COMMENT ON TABLE roomcast.signing_keys IS
    'roomcast: HMAC keys; a token''s kid picks one, tokens without kid use the newest active key';

-- Every change to the keys invalidates every backend's key cache and tells the notifiers.
CREATE FUNCTION roomcast._keys_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'roomcast_keys_changed' LANGUAGE C;
CREATE TRIGGER signing_keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roomcast.signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION roomcast._keys_changed();

-- Row-level security on the tenant-scoped tables. tenants is keyed by id.
ALTER TABLE roomcast.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE roomcast.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.users FORCE ROW LEVEL SECURITY;
ALTER TABLE roomcast.signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.signing_keys FORCE ROW LEVEL SECURITY;

-- ---- identity functions ----

CREATE FUNCTION roomcast.current_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'roomcast_current_tenant'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.current_tenant() IS
    'The tenant of this transaction''s identity; RC401 when none is set';

CREATE FUNCTION roomcast.current_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'roomcast_current_user_id'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.current_user_id() IS
    'The user of this transaction''s identity (NULL for a service identity); RC401 when none is set';

CREATE FUNCTION roomcast.current_role() RETURNS text
    AS 'MODULE_PATHNAME', 'roomcast_current_role'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.current_role() IS
    'The role claim of this transaction''s identity; RC401 when none is set';

CREATE FUNCTION roomcast.current_claims() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_current_claims'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION roomcast.current_claims() IS
    'The verified claims of this transaction''s identity; RC401 when none is set';

CREATE FUNCTION roomcast.set_identity(tenant uuid, user_id uuid DEFAULT NULL,
                                      role text DEFAULT 'service') RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_set_identity'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.set_identity(uuid, uuid, text) IS
    'Set the identity for this transaction; members of roomcast_service only';

-- ---- tokens ----

CREATE FUNCTION roomcast.sign(claims jsonb, ttl interval DEFAULT '15 min') RETURNS text
    AS 'MODULE_PATHNAME', 'roomcast_sign'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.sign(jsonb, interval) IS
    'Sign claims with the newest active key; sets iat and exp unless present; roomcast_service only';

CREATE FUNCTION roomcast.verify(token text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_verify'
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION roomcast.verify(text) IS
    'The verified claims of token, or RC402 (invalid) / RC403 (expired)';

CREATE FUNCTION roomcast.authenticate(token text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'roomcast_authenticate'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.authenticate(text) IS
    'Verify token and set the identity (tenant, user, role, claims) until the end of the transaction';

CREATE FUNCTION roomcast.add_signing_key(kid text, secret bytea, alg text DEFAULT 'HS256')
    RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_add_signing_key'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.add_signing_key(text, bytea, text) IS
    'Add an HMAC signing key (at least 32 bytes); extension owner only';

CREATE FUNCTION roomcast.retire_signing_key(kid text) RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_retire_signing_key'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.retire_signing_key(text) IS
    'Retire a key: tokens naming it are rejected from now on; extension owner only';

-- Only the owner (and superusers) manage keys; the service signs.
REVOKE ALL ON FUNCTION roomcast.add_signing_key(text, bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION roomcast.retire_signing_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION roomcast.set_identity(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.set_identity(uuid, uuid, text) TO roomcast_service;
REVOKE ALL ON FUNCTION roomcast.sign(jsonb, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.sign(jsonb, interval) TO roomcast_service;

GRANT SELECT ON roomcast.signing_keys TO roomcast_notifier;
CREATE POLICY notifier_reads_keys ON roomcast.signing_keys FOR SELECT TO roomcast_notifier
    USING (true);

CREATE POLICY tenant_isolation ON roomcast.tenants
    USING (id = roomcast.current_tenant()) WITH CHECK (id = roomcast.current_tenant());
CREATE POLICY tenant_isolation ON roomcast.users
    USING (tenant_id = roomcast.current_tenant()) WITH CHECK (tenant_id = roomcast.current_tenant());

GRANT SELECT ON roomcast.tenants TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON roomcast.users TO roomcast_service;
GRANT SELECT ON roomcast.users TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON roomcast.tenants TO roomcast_service;

SELECT pg_catalog.pg_extension_config_dump('roomcast.tenants', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.users', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.signing_keys', '');
