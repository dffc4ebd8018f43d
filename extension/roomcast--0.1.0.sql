-- roomcast install script, assembled from extension/ddl/NN_*.ddl.sql in name order.
\echo Use "CREATE EXTENSION roomcast" to load this file. \quit

-- 00: roles and the shared building blocks every other fragment relies on.

-- Roles are cluster-wide: create them only when missing, so the extension can
-- be installed in several databases of one cluster.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_service') THEN
        CREATE ROLE roomcast_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_notifier') THEN
        CREATE ROLE roomcast_notifier NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$roles$;

COMMENT ON ROLE roomcast_service IS
    'roomcast: trusted backends and jobs (set_identity, issue_tokens, sign)';
COMMENT ON ROLE roomcast_notifier IS
    'roomcast: the notifier daemon (LISTEN, roomcast.rpc, reading signing keys); grant it to a LOGIN role';

GRANT USAGE ON SCHEMA roomcast TO PUBLIC;
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
-- 30: tenant isolation for application tables.

CREATE FUNCTION roomcast.protect(rel regclass, tenant_column name DEFAULT 'tenant_id')
    RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_protect'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.protect(regclass, name) IS
    'Enable and force RLS with the policy tenant_column = current_tenant() (USING and WITH CHECK), and index the tenant column; idempotent';

CREATE FUNCTION roomcast.unprotect(rel regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'roomcast_unprotect'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION roomcast.unprotect(regclass) IS
    'Drop the roomcast isolation policy; RLS stays on if the table has other policies';

-- Tables with a tenant column (uuid tenant_id, or the column of a roomcast
-- policy) that are not fully isolated. Partitions are left out: they are
-- reached through their parent, whose policy applies.
CREATE FUNCTION roomcast.isolation_report()
    RETURNS TABLE (table_name regclass, tenant_column name, rls_enabled boolean,
                   rls_forced boolean, has_policy boolean, problem text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, a.attname, c.relrowsecurity, c.relforcerowsecurity,
           p.polname IS NOT NULL,
           concat_ws('; ',
               CASE WHEN NOT c.relrowsecurity THEN 'row level security is not enabled' END,
               CASE WHEN NOT c.relforcerowsecurity THEN 'row level security is not forced (the owner bypasses it)' END,
               CASE WHEN p.polname IS NULL THEN 'no policy compares the tenant column with roomcast.current_tenant()' END)
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN LATERAL (
           SELECT pol.polname FROM pg_policy pol
            WHERE pol.polrelid = c.oid
              AND pg_get_expr(pol.polqual, pol.polrelid) ~ ('\m' || a.attname || '\M.*roomcast\.current_tenant\(\)')
            LIMIT 1) p ON true
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND a.attname = 'tenant_id' AND a.atttypid = 'uuid'::regtype
       AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR p.polname IS NULL)
     ORDER BY c.oid::regclass::text
$$;
COMMENT ON FUNCTION roomcast.isolation_report() IS
    'Tables that have a tenant_id column but no complete roomcast isolation (RLS enabled, forced, policy)';

-- 40: rooms (SPEC §2) - room kinds, join authorization, room name builders.
-- Kinds registered without an identity are stored under the nil tenant and
-- apply to every tenant; a tenant's own registration takes precedence.

CREATE TABLE roomcast.room_kinds (
    tenant_id  uuid NOT NULL,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,31}$' AND kind <> 'user'),
    policy     regprocedure,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);
COMMENT ON TABLE roomcast.room_kinds IS
    'roomcast: registered room kinds and their join policies (nil tenant = every tenant)';
ALTER TABLE roomcast.room_kinds ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.room_kinds FORCE ROW LEVEL SECURITY;
CREATE POLICY room_kinds_read ON roomcast.room_kinds FOR SELECT
    USING (tenant_id = roomcast.current_tenant()
           OR tenant_id = '00000000-0000-0000-0000-000000000000');
CREATE POLICY room_kinds_write ON roomcast.room_kinds FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.room_kinds TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('roomcast.room_kinds', '');

CREATE FUNCTION roomcast.register_room_kind(kind text, policy regprocedure DEFAULT NULL)
RETURNS void LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'register_room_kind';
COMMENT ON FUNCTION roomcast.register_room_kind(text, regprocedure) IS
    'roomcast: allow joining rooms tenant:{t}:{kind}:{id}; policy (user_id uuid, id text) -> boolean, NULL = any user of the tenant';
REVOKE ALL ON FUNCTION roomcast.register_room_kind(text, regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.register_room_kind(text, regprocedure) TO roomcast_service;

CREATE FUNCTION roomcast.unregister_room_kind(kind text)
RETURNS boolean LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'unregister_room_kind';
COMMENT ON FUNCTION roomcast.unregister_room_kind(text) IS
    'roomcast: stop allowing joins of a kind (the current tenant''s, or the every-tenant one without identity)';
REVOKE ALL ON FUNCTION roomcast.unregister_room_kind(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.unregister_room_kind(text) TO roomcast_service;

CREATE FUNCTION roomcast.authorize_join(kind text, id text)
RETURNS text LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'authorize_join';
COMMENT ON FUNCTION roomcast.authorize_join(text, text) IS
    'roomcast: the room name tenant:{t}:{kind}:{id} if the current user may join it, else RC404';

CREATE FUNCTION roomcast.room(kind text, id text)
RETURNS text LANGUAGE c STRICT STABLE
AS 'MODULE_PATHNAME', 'room';
COMMENT ON FUNCTION roomcast.room(text, text) IS
    'roomcast: tenant:{current tenant}:{kind}:{id}, checked for syntax (RC413), not authorized';

CREATE FUNCTION roomcast.user_room(user_id uuid)
RETURNS text LANGUAGE c STRICT STABLE
AS 'MODULE_PATHNAME', 'user_room';
COMMENT ON FUNCTION roomcast.user_room(uuid) IS 'roomcast: tenant:{current tenant}:user:{user_id}';

CREATE FUNCTION roomcast.tenant_room()
RETURNS text LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'tenant_room';
COMMENT ON FUNCTION roomcast.tenant_room() IS 'roomcast: tenant:{current tenant}';

-- 45: room events (SPEC §3) - the durable, commit-ordered log and emit().
-- Positions come from events_pos_seq while the committing transaction holds
-- the NOTIFY lock (see extension/events.c); it must stay CACHE 1, or
-- backends would hand out pre-fetched, out-of-order values.

CREATE SEQUENCE roomcast.events_pos_seq CACHE 1;
CREATE SEQUENCE roomcast.events_id_seq CACHE 32;
SELECT pg_catalog.pg_extension_config_dump('roomcast.events_pos_seq', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.events_id_seq', '');

-- Partitioned by day (UTC) on commit time; partitions are created by
-- maintain() (and on demand at commit) and are not extension members, so
-- pg_dump dumps them and their rows like any table.
CREATE TABLE roomcast.events (
    tenant_id  uuid        NOT NULL,
    id         bigint      NOT NULL,
    pos        bigint      NOT NULL,
    room       text        NOT NULL,
    nsp        text        NOT NULL,
    event      text        NOT NULL,
    data       jsonb       NOT NULL,
    created_at timestamptz NOT NULL
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE roomcast.events IS
    'roomcast: durable room-event log; pos is commit-ordered; partitioned by day, kept roomcast.event_retention';
-- The primary key (tenant_id, pos, created_at) and the BRIN indexes are
-- per partition (see _events_create_partitions), not on this parent: an
-- extension-member parent's index is re-created by ATTACH PARTITION during
-- a restore, and pg_dump's own per-partition ADD CONSTRAINT / CREATE INDEX
-- then fails ("multiple primary keys"), which stops pg_restore
-- --exit-on-error. Uniqueness per partition is the same thing here, since
-- created_at, the partition key, is part of the key.
ALTER TABLE roomcast.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_tenant ON roomcast.events FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.events TO PUBLIC;

-- current_setting() that works before the library is loaded (see events.c)
CREATE FUNCTION roomcast._setting(name text)
RETURNS text LANGUAGE c STRICT STABLE
AS 'MODULE_PATHNAME', 'roomcast_setting';

-- Create the day partitions [day(at), day(at) + days) that are missing.
CREATE FUNCTION roomcast._events_create_partitions(at timestamptz, days int)
RETURNS text[] LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day0    timestamp := date_trunc('day', at AT TIME ZONE 'UTC');
    d       timestamp;
    name    text;
    created text[] := '{}';
BEGIN
    -- maintain() and a commit that finds no partition for its day may both
    -- get here: serialize them, and re-check under the lock
    PERFORM pg_advisory_xact_lock(hashtextextended('roomcast.events partitions', 0));
    FOR i IN 0 .. days - 1 LOOP
        d := day0 + make_interval(days => i);
        name := 'events_' || to_char(d, 'YYYYMMDD');
        IF to_regclass('roomcast.' || name) IS NULL THEN
            -- notifiers read "pos > last delivered" after every hint (the
            -- live path, 46_control.ddl.sql): a btree on pos makes that read,
            -- and max(pos), a probe per partition; created_at grows with
            -- insertion order, so a BRIN index serves retention
            EXECUTE format('CREATE TABLE roomcast.%I PARTITION OF roomcast.events FOR VALUES FROM (%L) TO (%L)',
                           name, (d AT TIME ZONE 'UTC'), ((d + interval '1 day') AT TIME ZONE 'UTC'));
            EXECUTE format('ALTER TABLE roomcast.%I ADD PRIMARY KEY (tenant_id, pos, created_at)', name);
            EXECUTE format('CREATE INDEX %I ON roomcast.%I (pos)', name || '_pos', name);
            EXECUTE format('CREATE INDEX %I ON roomcast.%I USING brin (created_at)', name || '_created_brin', name);
            created := created || name;
        END IF;
    END LOOP;
    RETURN created;
END
$$;
REVOKE ALL ON FUNCTION roomcast._events_create_partitions(timestamptz, int) FROM PUBLIC;

-- The partitions of roomcast.events with the day each holds.
CREATE FUNCTION roomcast._events_partitions()
RETURNS TABLE (name text, day date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.relname::text, to_date(substr(c.relname, 8), 'YYYYMMDD')
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'roomcast.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
     ORDER BY 2
$$;

-- Called at commit (as the owner) when this backend has not yet seen a
-- partition for the current day: create today's and two more, and return
-- where the partitions end.
CREATE FUNCTION roomcast._events_partitions_until(at timestamptz)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM roomcast._events_create_partitions(at, 3);
    RETURN (SELECT (max(day) + 1)::timestamp AT TIME ZONE 'UTC' FROM roomcast._events_partitions());
END
$$;
REVOKE ALL ON FUNCTION roomcast._events_partitions_until(timestamptz) FROM PUBLIC;

-- maintain() as of a given time: tests and tools move "now" with it.
CREATE FUNCTION roomcast._maintain(at timestamptz)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    retention interval := roomcast._setting('roomcast.event_retention')::interval;
    cutoff    timestamptz := at - retention;
    created   text[];
    dropped   text[] := '{}';
    deleted   bigint;
    control_deleted bigint;
    p         record;
BEGIN
    created := roomcast._events_create_partitions(at, 4);
    FOR p IN SELECT * FROM roomcast._events_partitions() LOOP
        -- a partition whose whole day is older than the cutoff goes at once
        IF (p.day + 1)::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
            EXECUTE format('DROP TABLE roomcast.%I', p.name);
            dropped := dropped || p.name;
        END IF;
    END LOOP;
    -- the partition straddling the cutoff loses its expired rows
    DELETE FROM roomcast.events WHERE created_at < cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    -- sessions' rooms are kept a day after the last join (recover() needs
    -- them only for a recovery window after a disconnect)
    DELETE FROM roomcast.socket_rooms WHERE joined_at < at - interval '1 day';
    -- the control log (46_control.ddl.sql) is kept as long as events: a
    -- notifier away for less than that still obeys every kick on its return
    DELETE FROM roomcast.control_log WHERE created_at < cutoff;
    GET DIAGNOSTICS control_deleted = ROW_COUNT;
    RETURN jsonb_build_object('created', to_jsonb(created), 'dropped', to_jsonb(dropped),
                              'deleted', deleted, 'cutoff', cutoff, 'control_deleted', control_deleted,
                              'jobs', roomcast._jobs_maintain(at));  -- 70_jobs.ddl.sql
END
$$;
REVOKE ALL ON FUNCTION roomcast._maintain(timestamptz) FROM PUBLIC;

CREATE FUNCTION roomcast.maintain()
RETURNS jsonb LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT roomcast._maintain(now()) $$;
COMMENT ON FUNCTION roomcast.maintain() IS
    'roomcast: create the event-log partitions of the next days, drop events older than roomcast.event_retention';
REVOKE ALL ON FUNCTION roomcast.maintain() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.maintain() TO roomcast_service, roomcast_notifier;

CREATE FUNCTION roomcast.emit(room text, event text, data jsonb DEFAULT '{}', nsp text DEFAULT '/')
RETURNS bigint LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'emit';
COMMENT ON FUNCTION roomcast.emit(text, text, jsonb, text) IS
    'roomcast: deliver event to a room of the current tenant when this transaction commits; returns the event id';

CREATE FUNCTION roomcast.emit_to_user(user_id uuid, event text, data jsonb DEFAULT '{}', nsp text DEFAULT '/')
RETURNS bigint LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'emit_to_user';
COMMENT ON FUNCTION roomcast.emit_to_user(uuid, text, jsonb, text) IS
    'roomcast: emit to tenant:{t}:user:{user_id}';

CREATE FUNCTION roomcast.emit_to_tenant(event text, data jsonb DEFAULT '{}', nsp text DEFAULT '/')
RETURNS bigint LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'emit_to_tenant';
COMMENT ON FUNCTION roomcast.emit_to_tenant(text, jsonb, text) IS
    'roomcast: emit to tenant:{t}, every connection of the tenant';

CREATE FUNCTION roomcast.notify_control(kind text, payload jsonb DEFAULT '{}')
RETURNS void LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'notify_control';
COMMENT ON FUNCTION roomcast.notify_control(text, jsonb) IS
    'roomcast (internal): log {"c":kind, ...payload} in roomcast.control_log at commit and hint on channel roomcast (kick, kick_tenant, keys, kinds, methods)';
REVOKE ALL ON FUNCTION roomcast.notify_control(text, jsonb) FROM PUBLIC;

-- The notifier reads the log with roomcast.notifier_read (46_control.ddl.sql).

-- The current tenant's events after pos, optionally only in rooms, in pos
-- order (connection-state recovery); RLS applies.
CREATE FUNCTION roomcast.read_log(after_pos bigint, rooms text[] DEFAULT NULL, lim int DEFAULT 100)
RETURNS TABLE (pos bigint, room text, nsp text, event text, data jsonb, created_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF lim > roomcast._setting('roomcast.max_page')::int THEN
        RAISE EXCEPTION 'page of % items exceeds roomcast.max_page (%)', lim, roomcast._setting('roomcast.max_page')
            USING ERRCODE = 'RC413', DETAIL = 'Read the log in pages and continue after the last pos.';
    END IF;
    RETURN QUERY
        SELECT e.pos, e.room, e.nsp, e.event, e.data, e.created_at
          FROM roomcast.events e
         WHERE e.tenant_id = roomcast.current_tenant() AND e.pos > after_pos
           AND (rooms IS NULL OR e.room = ANY (rooms))
         ORDER BY e.pos LIMIT lim;
END
$$;
COMMENT ON FUNCTION roomcast.read_log(bigint, text[], int) IS
    'roomcast: the current tenant''s events after pos (optionally in rooms), oldest first, at most roomcast.max_page';

-- 46: the control log and the notifiers' read of both logs (SPEC §3
-- "Nothing on the channel is trusted"; docs/security-delivery.md).
--
-- NOTIFY roomcast carries only a content-free hint. A notifier delivers an
-- event, or obeys a kick / keys / kinds / methods message, only when it
-- read it back with notifier_read() from roomcast.events or
-- roomcast.control_log: tables written only by the extension owner (at
-- commit, extension/events.c and extension/control.c), with no grant to
-- any other role. Ids, like event positions, are drawn under the NOTIFY
-- lock at pre-commit, so they are commit-ordered and a reader that sees id
-- N sees every committed id below N.

CREATE SEQUENCE roomcast.control_id_seq CACHE 1;
-- restored databases continue the ids, so a notifier's cursor stays valid
SELECT pg_catalog.pg_extension_config_dump('roomcast.control_id_seq', '');

CREATE TABLE roomcast.control_log (
    tenant_id  uuid        NOT NULL,	-- the nil uuid: every tenant (keys)
    id         bigint      NOT NULL,
    kind       text        NOT NULL,	-- kick, kick_tenant, keys, kinds, methods
    data       jsonb       NOT NULL,	-- the whole message, {"c": kind, ...}
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX control_log_id ON roomcast.control_log (id);
CREATE INDEX control_log_created ON roomcast.control_log USING brin (created_at);
COMMENT ON TABLE roomcast.control_log IS
    'roomcast: commit-ordered control messages for the notifiers (kick, kick_tenant, keys, kinds, methods); written by the extension owner only, kept roomcast.event_retention';
ALTER TABLE roomcast.control_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.control_log FORCE ROW LEVEL SECURITY;
CREATE POLICY control_log_tenant ON roomcast.control_log FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
-- no grants: only the owner writes it, notifiers read it through notifier_read()
REVOKE ALL ON roomcast.control_log FROM PUBLIC;

-- For the notifier, after a hint (and after every reconnect): what is new
-- in both logs. Control entries with id > after_control first (a kick is
-- obeyed before the events of the same read are delivered), then events
-- with pos > after_pos, each in log order, at most lim of each. A control
-- row has room, nsp and event NULL and its message in data. ts is the
-- commit time in ms since the Unix epoch.
CREATE FUNCTION roomcast.notifier_read(after_pos bigint, after_control bigint, lim int DEFAULT 500)
RETURNS TABLE (pos bigint, tenant_id uuid, room text, nsp text, event text, data text, ts bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 10000 THEN
        RAISE EXCEPTION 'page of % log rows is outside 1..10000', lim
            USING ERRCODE = 'RC413', DETAIL = 'Read the logs in pages of at most 10000 rows.';
    END IF;
    RETURN QUERY
        SELECT c.id, c.tenant_id, NULL::text, NULL::text, NULL::text, c.data::text,
               floor(extract(epoch FROM c.created_at) * 1000)::bigint
          FROM roomcast.control_log c
         WHERE c.id OPERATOR(pg_catalog.>) after_control
         ORDER BY c.id LIMIT lim;
    RETURN QUERY
        SELECT e.pos, e.tenant_id, e.room, e.nsp, e.event, e.data::text,
               floor(extract(epoch FROM e.created_at) * 1000)::bigint
          FROM roomcast.events e
         WHERE e.pos OPERATOR(pg_catalog.>) after_pos
         ORDER BY e.pos LIMIT lim;
END
$$;
COMMENT ON FUNCTION roomcast.notifier_read(bigint, bigint, int) IS
    'roomcast (notifier): control entries after after_control, then events after after_pos, in log order, at most lim of each';
REVOKE ALL ON FUNCTION roomcast.notifier_read(bigint, bigint, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.notifier_read(bigint, bigint, int) TO roomcast_notifier;

-- For the notifier at connect: where the logs end now (0 when empty). A
-- first connect starts delivering after these; a reconnect whose cursor is
-- beyond them (a restored database) falls back to them.
CREATE FUNCTION roomcast.notifier_anchor(OUT pos bigint, OUT control_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT max(e.pos) FROM roomcast.events e), 0),
           COALESCE((SELECT max(c.id) FROM roomcast.control_log c), 0)
$$;
COMMENT ON FUNCTION roomcast.notifier_anchor() IS
    'roomcast (notifier): the last event pos and control id committed so far';
REVOKE ALL ON FUNCTION roomcast.notifier_anchor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.notifier_anchor() TO roomcast_notifier;

-- Disabled or deleted users and deleted tenants lose their open sockets on
-- every notifier (SPEC §7): the trigger logs a kick (or kick_tenant) that
-- is written at commit as the owner, whoever made the change. Refusing
-- them at CONNECT is the notifier's authentication's job.
CREATE FUNCTION roomcast._control_on_identity()
RETURNS trigger LANGUAGE c
AS 'MODULE_PATHNAME', 'roomcast_control_on_identity';
REVOKE ALL ON FUNCTION roomcast._control_on_identity() FROM PUBLIC;

CREATE TRIGGER control_kick_deleted_user
    AFTER DELETE ON roomcast.users
    FOR EACH ROW EXECUTE FUNCTION roomcast._control_on_identity();
CREATE TRIGGER control_kick_disabled_user
    AFTER UPDATE OF status, tenant_id, id ON roomcast.users
    FOR EACH ROW
    WHEN (NEW.status <> 'active' OR OLD.tenant_id <> NEW.tenant_id OR OLD.id <> NEW.id)
    EXECUTE FUNCTION roomcast._control_on_identity();
CREATE TRIGGER control_kick_deleted_tenant
    AFTER DELETE ON roomcast.tenants
    FOR EACH ROW EXECUTE FUNCTION roomcast._control_on_identity();

-- 50: the in-app notification inbox (SPEC §4). Written only by the
-- extension's functions (as the extension owner), read by anyone under RLS.

CREATE TABLE roomcast.notifications (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL,      -- UUIDv7: time-ordered
    user_id     uuid        NOT NULL,
    type        text        NOT NULL,
    title       text        NOT NULL,
    body        text,
    entity_type text,
    entity_id   text,
    is_read     boolean     NOT NULL DEFAULT false,
    read_at     timestamptz,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE roomcast.notifications IS 'roomcast: in-app notifications (write through roomcast.send_in_app & co.)';
CREATE INDEX notifications_user_id ON roomcast.notifications (tenant_id, user_id, id);
ALTER TABLE roomcast.notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_tenant ON roomcast.notifications FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.notifications TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('roomcast.notifications', '');

-- unread = notifications of the user with NOT is_read AND archived_at IS NULL.
-- fillfactor leaves room for HOT updates of this hot row.
CREATE TABLE roomcast.inbox_counters (
    tenant_id uuid    NOT NULL,
    user_id   uuid    NOT NULL,
    unread    integer NOT NULL DEFAULT 0 CHECK (unread >= 0),
    PRIMARY KEY (tenant_id, user_id)
) WITH (fillfactor = 50);
COMMENT ON TABLE roomcast.inbox_counters IS 'roomcast: unread notifications per user, kept exact by the inbox functions';
ALTER TABLE roomcast.inbox_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.inbox_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY inbox_counters_tenant ON roomcast.inbox_counters FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.inbox_counters TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('roomcast.inbox_counters', '');

CREATE FUNCTION roomcast.send_in_app(user_id uuid, type text, title text, body text DEFAULT NULL,
                                     entity_type text DEFAULT NULL, entity_id text DEFAULT NULL)
RETURNS uuid LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'send_in_app';
COMMENT ON FUNCTION roomcast.send_in_app(uuid, text, text, text, text, text) IS
    'roomcast: store a notification for a user of the current tenant; emits notification:new and notification:unread_count';

CREATE FUNCTION roomcast.send_in_app_many(user_ids uuid[], type text, title text, body text DEFAULT NULL,
                                          entity_type text DEFAULT NULL, entity_id text DEFAULT NULL)
RETURNS int LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'send_in_app_many';
COMMENT ON FUNCTION roomcast.send_in_app_many(uuid[], text, text, text, text, text) IS
    'roomcast: send_in_app to each distinct user (at most roomcast.max_batch); returns the number of users';

CREATE FUNCTION roomcast.unread_count()
RETURNS int LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'unread_count';
COMMENT ON FUNCTION roomcast.unread_count() IS 'roomcast: the current user''s unread notifications, O(1)';

CREATE FUNCTION roomcast.mark_read(ids uuid[])
RETURNS int LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'mark_read';
COMMENT ON FUNCTION roomcast.mark_read(uuid[]) IS
    'roomcast: mark the current user''s own notifications read; returns how many changed';

CREATE FUNCTION roomcast.mark_all_read()
RETURNS int LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'mark_all_read';
COMMENT ON FUNCTION roomcast.mark_all_read() IS 'roomcast: mark all of the current user''s notifications read';

CREATE FUNCTION roomcast.archive(ids uuid[])
RETURNS int LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'archive';
COMMENT ON FUNCTION roomcast.archive(uuid[]) IS
    'roomcast: archive the current user''s own notifications (they leave recent() and the unread count)';

CREATE FUNCTION roomcast.recent(lim int DEFAULT 20, since timestamptz DEFAULT NULL, before uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT STABLE
AS 'MODULE_PATHNAME', 'recent';
COMMENT ON FUNCTION roomcast.recent(int, timestamptz, uuid) IS
    'roomcast: the current user''s notifications, newest first; page on with before = last id';

-- 55: the RPC gateway (SPEC §5).

CREATE TABLE roomcast.rpc_methods (
    tenant_id  uuid         NOT NULL,
    method     text         NOT NULL CHECK (method ~ '^[A-Za-z0-9:_.-]{1,64}$'),
    fn         regprocedure NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, method)
);
COMMENT ON TABLE roomcast.rpc_methods IS
    'roomcast: application rpc methods, fn(args jsonb) -> jsonb (nil tenant = every tenant)';
ALTER TABLE roomcast.rpc_methods ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.rpc_methods FORCE ROW LEVEL SECURITY;
CREATE POLICY rpc_methods_read ON roomcast.rpc_methods FOR SELECT
    USING (tenant_id = roomcast.current_tenant()
           OR tenant_id = '00000000-0000-0000-0000-000000000000');
CREATE POLICY rpc_methods_write ON roomcast.rpc_methods FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.rpc_methods TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('roomcast.rpc_methods', '');

CREATE FUNCTION roomcast.rpc(token text, method text, args jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'rpc';
COMMENT ON FUNCTION roomcast.rpc(text, text, jsonb) IS
    'roomcast: verify token, set the identity, run a built-in or registered method; unknown: RC404';

CREATE FUNCTION roomcast.register_method(event text, fn regprocedure)
RETURNS void LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'register_method';
COMMENT ON FUNCTION roomcast.register_method(text, regprocedure) IS
    'roomcast: make fn(args jsonb) -> jsonb callable as rpc method event (current tenant, or every tenant without identity)';
REVOKE ALL ON FUNCTION roomcast.register_method(text, regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.register_method(text, regprocedure) TO roomcast_service;

CREATE FUNCTION roomcast.unregister_method(event text)
RETURNS boolean LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'unregister_method';
COMMENT ON FUNCTION roomcast.unregister_method(text) IS 'roomcast: remove a registered rpc method';
REVOKE ALL ON FUNCTION roomcast.unregister_method(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.unregister_method(text) TO roomcast_service;

-- 58: durable connection-state recovery (ARCHITECTURE path 3). The database
-- decides every join, so it also remembers which rooms each Socket.IO
-- session (pid) joined; after a notifier restart, or on another instance,
-- recover() returns the session's rooms and the events it missed, in pos
-- order, re-checking every join.

CREATE TABLE roomcast.socket_rooms (
    tenant_id uuid        NOT NULL,
    pid       text        NOT NULL,
    room      text        NOT NULL,
    user_id   uuid        NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pid, room)
);
COMMENT ON TABLE roomcast.socket_rooms IS
    'roomcast: rooms joined by each Socket.IO session (pid), for recover(); written by rpc join/leave';
ALTER TABLE roomcast.socket_rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.socket_rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY socket_rooms_tenant ON roomcast.socket_rooms FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
GRANT SELECT ON roomcast.socket_rooms TO PUBLIC;

-- recover(token, pid, after_pos): verify the token; the session's rooms are
-- the tenant and user rooms plus those joined with this pid by the same user
-- that the user may still join; its missed events are those after after_pos
-- in those rooms. recovered is false (rooms still returned, no events) when
-- after_pos is NULL, is not an event of this tenant committed within
-- `within`, or more than lim events were missed: the client then starts a
-- fresh session, as Socket.IO does.
CREATE FUNCTION roomcast.recover(token text, pid text, after_pos bigint,
                                 within interval DEFAULT '120 seconds', lim int DEFAULT 1000)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'recover';
-- In C (extension/recovery.c), not PL/pgSQL: the room policies it asks again
-- run with the caller's search_path, which a SET clause here would replace.
COMMENT ON FUNCTION roomcast.recover(text, text, bigint, interval, int) IS
    'roomcast (notifier): a reconnecting session''s rooms and missed events, {recovered, rooms, events:[{p,r,n,e,d}]}';

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

-- 70: jobs, the AI request queue (SPEC §9, extension/jobs.c).
--
-- Every table here is written only by the C functions, as the extension
-- owner (rcspi.h); no role gets table privileges. Workers (members of
-- roomcast_worker) act through claim/progress/chunk/complete/fail; requesters
-- through enqueue/cancel/job_status under their identity.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_worker') THEN
        CREATE ROLE roomcast_worker NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$roles$;
COMMENT ON ROLE roomcast_worker IS
    'roomcast: job workers (claim, progress, chunk, complete, fail); grant it to a LOGIN role';

-- Age within a priority: a sequence, so ties never depend on the clock
CREATE SEQUENCE roomcast.jobs_seq;

CREATE TABLE roomcast.jobs (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    user_id      uuid,                    -- the requester; NULL for a service identity
    kind         text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
    payload      jsonb       NOT NULL,
    priority     smallint    NOT NULL CHECK (priority BETWEEN 0 AND 3),  -- 3 critical .. 0 low
    seq          bigint      NOT NULL,
    status       text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    run_at       timestamptz NOT NULL,    -- due time (delay, back-off)
    attempt      int         NOT NULL DEFAULT 0,
    max_attempts int         NOT NULL CHECK (max_attempts BETWEEN 1 AND 25),
    lease_ms     int         NOT NULL DEFAULT 60000,
    lease_until  timestamptz,
    worker       oid,                     -- the role holding the lease
    last_seq     int         NOT NULL DEFAULT -1,  -- highest chunk seq of this attempt
    progress     int         NOT NULL DEFAULT 0,
    result       jsonb,
    error        text,
    cached       boolean     NOT NULL DEFAULT false,
    cache        boolean     NOT NULL DEFAULT false,
    dedupe_key   text,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE roomcast.jobs IS
    'roomcast: the job queue (SPEC §9); written only through the roomcast job functions';
-- claim: "due, by priority, then age" for one kind, queued jobs only
CREATE INDEX jobs_claim ON roomcast.jobs (kind, priority DESC, seq) WHERE status = 'queued';
-- workers name jobs by id alone
CREATE UNIQUE INDEX jobs_id ON roomcast.jobs (id);
-- leases to expire
CREATE INDEX jobs_leases ON roomcast.jobs (lease_until) WHERE status = 'running';
-- dedupe: one active job per (tenant, kind, key)
CREATE UNIQUE INDEX jobs_dedupe ON roomcast.jobs (tenant_id, kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');
-- retention
CREATE INDEX jobs_finished ON roomcast.jobs (finished_at) WHERE finished_at IS NOT NULL;
ALTER TABLE roomcast.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant ON roomcast.jobs FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
SELECT pg_catalog.pg_extension_config_dump('roomcast.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.jobs_seq', '');

-- Per tenant and kind: claims per minute (set_job_limit)
CREATE TABLE roomcast.job_limits (
    tenant_id  uuid NOT NULL,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
    per_minute int  NOT NULL CHECK (per_minute >= 0),
    PRIMARY KEY (tenant_id, kind)
);
COMMENT ON TABLE roomcast.job_limits IS 'roomcast: job claims per minute per tenant and kind (0 = unlimited)';
ALTER TABLE roomcast.job_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY job_limits_tenant ON roomcast.job_limits FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
SELECT pg_catalog.pg_extension_config_dump('roomcast.job_limits', '');

-- Claims counted per tenant, kind and minute (fixed windows)
CREATE TABLE roomcast.job_rate (
    tenant_id  uuid        NOT NULL,
    kind       text        NOT NULL,
    minute     timestamptz NOT NULL,
    claimed    int         NOT NULL,
    per_minute int         NOT NULL,
    PRIMARY KEY (tenant_id, kind, minute)
);
COMMENT ON TABLE roomcast.job_rate IS 'roomcast: claims per tenant, kind and minute, for the job limits';
ALTER TABLE roomcast.job_rate ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_rate FORCE ROW LEVEL SECURITY;
CREATE POLICY job_rate_tenant ON roomcast.job_rate FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());

-- Cached results: (tenant, kind, sha-256 of the payload's jsonb text)
CREATE TABLE roomcast.job_cache (
    tenant_id    uuid        NOT NULL,
    kind         text        NOT NULL,
    payload_hash bytea       NOT NULL,
    result       jsonb       NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, payload_hash)
);
COMMENT ON TABLE roomcast.job_cache IS 'roomcast: cached job results, kept 300/600/1800/3600 s by priority';
ALTER TABLE roomcast.job_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_cache FORCE ROW LEVEL SECURITY;
CREATE POLICY job_cache_tenant ON roomcast.job_cache FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());

-- ---- requester functions (any identity) ----

CREATE FUNCTION roomcast.enqueue(kind text, payload jsonb, priority text DEFAULT 'normal',
                                 opts jsonb DEFAULT '{}')
RETURNS uuid LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'enqueue';
COMMENT ON FUNCTION roomcast.enqueue(text, jsonb, text, jsonb) IS
    'roomcast: queue a job under the current identity; opts: delay_ms, max_attempts, dedupe_key, cache';

CREATE FUNCTION roomcast.cancel(id uuid)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_cancel';
COMMENT ON FUNCTION roomcast.cancel(uuid) IS
    'roomcast: cancel a queued or running job (its requester, the tenant''s admin or service); false when already finished';

CREATE FUNCTION roomcast.job_status(id uuid)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT STABLE
AS 'MODULE_PATHNAME', 'job_status';
COMMENT ON FUNCTION roomcast.job_status(uuid) IS
    'roomcast: {status, position, progress, attempt, result | error} of a job of the current tenant';

CREATE FUNCTION roomcast.set_job_limit(kind text, per_minute int)
RETURNS void LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'set_job_limit';
COMMENT ON FUNCTION roomcast.set_job_limit(text, int) IS
    'roomcast: claims per minute of kind for the current tenant (admin or service; 0 = unlimited)';

-- ---- worker functions (roomcast_worker) ----

CREATE FUNCTION roomcast.claim(kinds text[], n int DEFAULT 1, lease interval DEFAULT '60 s')
RETURNS SETOF jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE ROWS 1
AS 'MODULE_PATHNAME', 'claim';
COMMENT ON FUNCTION roomcast.claim(text[], int, interval) IS
    'roomcast (worker): up to n due jobs of kinds, highest priority then oldest, FOR UPDATE SKIP LOCKED';

CREATE FUNCTION roomcast.progress(id uuid, pct int, data jsonb DEFAULT NULL)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_progress';
COMMENT ON FUNCTION roomcast.progress(uuid, int, jsonb) IS
    'roomcast (worker): report 0-100 progress of a held job; false once it was cancelled';

CREATE FUNCTION roomcast.chunk(id uuid, seq int, text text)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_chunk';
COMMENT ON FUNCTION roomcast.chunk(uuid, int, text) IS
    'roomcast (worker): stream one piece of a held job''s reply (seq increasing); false once it was cancelled';

CREATE FUNCTION roomcast.complete(id uuid, result jsonb)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_complete';
COMMENT ON FUNCTION roomcast.complete(uuid, jsonb) IS
    'roomcast (worker): finish a held job with result; false when it was cancelled meanwhile';

CREATE FUNCTION roomcast.fail(id uuid, error text, retryable boolean DEFAULT true)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_fail';
COMMENT ON FUNCTION roomcast.fail(uuid, text, boolean) IS
    'roomcast (worker): fail the attempt; retried with exponential back-off while attempts remain';

CREATE FUNCTION roomcast.act_for_job(id uuid)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'act_for_job';
COMMENT ON FUNCTION roomcast.act_for_job(uuid) IS
    'roomcast (worker): take the identity (tenant, requester) of a held job for the rest of the transaction';

DO $grants$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['roomcast.claim(text[], int, interval)', 'roomcast.progress(uuid, int, jsonb)',
                             'roomcast.chunk(uuid, int, text)', 'roomcast.complete(uuid, jsonb)',
                             'roomcast.fail(uuid, text, boolean)', 'roomcast.act_for_job(uuid)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO roomcast_worker', f);
    END LOOP;
END
$grants$;

-- maintain(): expired leases back into the queue (or failed), finished jobs
-- past roomcast.job_retention, expired cache entries and old rate windows.
CREATE FUNCTION roomcast._jobs_maintain(at timestamptz)
RETURNS jsonb LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobs_maintain';
REVOKE ALL ON FUNCTION roomcast._jobs_maintain(timestamptz) FROM PUBLIC;
