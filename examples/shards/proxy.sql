-- examples/shards/proxy.sql — the roomcast proxy database: tenants sharded
-- over several PostgreSQL clusters with PL/Proxy (SPEC §10, design and
-- security argument in docs/scale-out-sharding.md).
--
-- Run once, as a superuser, in the (empty) proxy database:
--     psql -d proxy -f examples/shards/proxy.sql
--     SELECT roomcast_proxy.configure_shards(ARRAY['host=… dbname=…', 'host=… dbname=…']);
--     SELECT roomcast_proxy.map_role('app', 'app');         -- per application role
-- The shards run the roomcast extension as usual; nothing here is installed
-- on them. The application keeps its SQL and changes its connection string.
--
-- What is here:
--   * roomcast_proxy.tenants — the tenant directory (tenant -> partition,
--     frozen while it moves); a tenant not listed goes to
--     hashtext(tenant_id::text) modulo the number of shards (SPEC §10).
--   * roomcast.* — functions with the extension's names and arguments. Each
--     reads the identity the proxy session holds, and calls an internal
--     PL/Proxy function roomcast_proxy.<name> that runs, on the tenant's
--     shard and in ONE statement, "authenticate (or set_identity) + the call".
--     PL/Proxy runs every remote call in its own autocommit transaction on a
--     pooled connection, so no identity survives from one call to the next:
--     the shard verifies again on every call, under the caller's own mapped
--     shard role (the functions are SECURITY INVOKER on purpose: PL/Proxy
--     picks the user mapping of current_user).
--   * The proxy never trusts its own session state: the token or identity it
--     keeps is only used to pick a shard and is re-verified there. A caller
--     who forges it (set_config) only reaches a shard that refuses him.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plproxy;

-- The roles whose grants the proxy mirrors (defence in depth: the shard
-- checks again under the mapped role).
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['roomcast_service', 'roomcast_notifier', 'roomcast_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;

CREATE SCHEMA roomcast;
CREATE SCHEMA roomcast_proxy;
GRANT USAGE ON SCHEMA roomcast, roomcast_proxy TO PUBLIC;

---------------------------------------------------------------------------
-- The tenant directory and routing
---------------------------------------------------------------------------

-- search_path: every function an application calls (roomcast.*) and every
-- SECURITY DEFINER function pins it. The small SECURITY INVOKER helpers
-- below do not: they run inside a pinned wrapper (or PL/Proxy's RUN ON of
-- one), and a caller who calls them directly with a hostile search_path
-- only misroutes himself to a shard that checks him. A SET clause costs
-- each call a GUC save and restore (bench/shards/run).

-- part: the PL/Proxy partition (0-based index of p0, p1, … of server
-- roomcast_shards). frozen: the tenant is being moved; its calls fail with
-- 55000 until the move ends (examples/shards/move-tenant.sh).
CREATE TABLE roomcast_proxy.tenants (
    tenant_id  uuid PRIMARY KEY,
    part       int NOT NULL CHECK (part >= 0),
    frozen     boolean NOT NULL DEFAULT false,
    placed_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON roomcast_proxy.tenants FROM PUBLIC;

-- Jobs claimed through the proxy: which partition a job id lives on, so a
-- worker's progress/chunk/complete/fail(id) reach it (a job id names no tenant).
CREATE UNLOGGED TABLE roomcast_proxy.job_routes (
    job_id     uuid PRIMARY KEY,
    part       int NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON roomcast_proxy.job_routes FROM PUBLIC;

-- How many partitions server roomcast_shards has (its p0 … pN options)
CREATE FUNCTION roomcast_proxy.shard_count() RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT count(*)::int FROM pg_foreign_server s, unnest(s.srvoptions) o
     WHERE s.srvname = 'roomcast_shards' AND o ~ '^p[0-9]+='
$$;

-- The partition of a tenant: the directory, else hashtext (PL/Proxy's
-- modular_mapping takes abs(hash % shards)); NULL (a token whose tenant
-- could not be read) goes to partition 0, whose shard then refuses the
-- token with the error a direct call gets. SECURITY DEFINER: callers may
-- route but not read the directory.
CREATE FUNCTION roomcast_proxy.partition(tenant uuid) RETURNS int
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d record;
BEGIN
    IF tenant IS NULL THEN
        RETURN 0;
    END IF;
    SELECT t.part, t.frozen INTO d FROM roomcast_proxy.tenants t WHERE t.tenant_id = tenant;
    IF NOT FOUND THEN
        RETURN hashtext(tenant::text);
    END IF;
    IF d.frozen THEN
        RAISE EXCEPTION 'tenant is being moved'
            USING ERRCODE = '55000',
                  DETAIL = format('Tenant %s is being moved to another shard; its calls are refused until the move ends.', tenant),
                  HINT = 'Retry in a few seconds.';
    END IF;
    RETURN d.part;
END $$;

-- The tenant claim of a JWT, read WITHOUT verifying it: only to pick the
-- shard, which verifies. NULL when it cannot be read. The claim name
-- follows the shards' roomcast.claim_tenant; set roomcast_proxy.claim_tenant
-- on the proxy database when you changed it there.
CREATE FUNCTION roomcast_proxy.token_tenant(token text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    p text := split_part(token, '.', 2);
    claim text := coalesce(nullif(current_setting('roomcast_proxy.claim_tenant', true), ''), 'tenantId');
    v text;
BEGIN
    IF p = '' OR length(p) > 16384 OR p !~ '^[A-Za-z0-9_-]+$' THEN
        RETURN NULL;
    END IF;
    p := translate(p, '-_', '+/') || repeat('=', (4 - length(p) % 4) % 4);
    v := convert_from(decode(p, 'base64'), 'UTF8')::jsonb ->> claim;
    IF v ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN v::uuid;
    END IF;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;				-- not base64 / UTF-8 / JSON: the shard says why
END $$;

CREATE FUNCTION roomcast_proxy.token_partition(token text) RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT roomcast_proxy.partition(roomcast_proxy.token_tenant(token))
$$;

-- A refresh token through the proxy is "<tenant uuid>.<the shard's token>":
-- the shard's token is opaque, so the proxy prefixes what it needs to route
-- the refresh. The prefix is routing only: the shard looks the token up.
CREATE FUNCTION roomcast_proxy.refresh_tenant(token text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN split_part(token, '.', 1) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN split_part(token, '.', 1)::uuid END
$$;
CREATE FUNCTION roomcast_proxy.refresh_partition(token text) RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT roomcast_proxy.partition(roomcast_proxy.refresh_tenant(token))
$$;

CREATE FUNCTION roomcast_proxy.job_partition(job uuid) RETURNS int
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT part FROM roomcast_proxy.job_routes WHERE job_id = job), 0)
$$;

-- Remember where claimed jobs live (workers only: a wrong route would send
-- a worker's calls to a shard that answers "unknown job").
CREATE FUNCTION roomcast_proxy.route_jobs(jobs jsonb[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DELETE FROM roomcast_proxy.job_routes WHERE claimed_at < now() - interval '2 days';
    INSERT INTO roomcast_proxy.job_routes (job_id, part)
    SELECT (j->>'id')::uuid, roomcast_proxy.partition((j->>'tenant_id')::uuid) FROM unnest(jobs) j
    ON CONFLICT (job_id) DO UPDATE SET part = EXCLUDED.part, claimed_at = now();
$$;
REVOKE ALL ON FUNCTION roomcast_proxy.route_jobs(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast_proxy.route_jobs(jsonb[]) TO roomcast_worker;

-- Put a tenant on a partition (before create_tenant, or to pin an existing
-- tenant). roomcast_service and the owner only: re-routing another tenant
-- is a denial of service.
CREATE FUNCTION roomcast_proxy.place_tenant(tenant uuid, part int) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF part < 0 OR part >= roomcast_proxy.shard_count() THEN
        RAISE EXCEPTION 'no partition %', part USING ERRCODE = '22023',
            DETAIL = format('Server roomcast_shards has %s partitions (0 … %s).',
                            roomcast_proxy.shard_count(), roomcast_proxy.shard_count() - 1);
    END IF;
    INSERT INTO roomcast_proxy.tenants (tenant_id, part) VALUES (tenant, part)
    ON CONFLICT (tenant_id) DO UPDATE SET part = EXCLUDED.part, placed_at = now();
END $$;
REVOKE ALL ON FUNCTION roomcast_proxy.place_tenant(uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast_proxy.place_tenant(uuid, int) TO roomcast_service;

-- Freeze (true) or thaw a tenant during a move; owner only.
CREATE FUNCTION roomcast_proxy.freeze_tenant(tenant uuid, frozen boolean) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO roomcast_proxy.tenants (tenant_id, part, frozen)
    VALUES (tenant, abs(hashtext(tenant::text) % roomcast_proxy.shard_count()), frozen)
    ON CONFLICT (tenant_id) DO UPDATE SET frozen = EXCLUDED.frozen;
$$;
REVOKE ALL ON FUNCTION roomcast_proxy.freeze_tenant(uuid, boolean) FROM PUBLIC;

---------------------------------------------------------------------------
-- Cluster configuration (owner only)
---------------------------------------------------------------------------

-- (Re)define server roomcast_shards with one partition per conninfo, in
-- order. modular_mapping: any number of shards, not only powers of two.
-- Adding a shard changes where hashed tenants go: pin every tenant first
-- (docs/scale-out-sharding.md, "Adding a shard").
CREATE FUNCTION roomcast_proxy.configure_shards(conninfos text[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    want jsonb := '{"modular_mapping": "1"}';
    have text[];
    changes text[] := '{}';
    k text;
BEGIN
    IF coalesce(array_length(conninfos, 1), 0) = 0 THEN
        RAISE EXCEPTION 'no shards given' USING ERRCODE = '22023';
    END IF;
    FOR i IN 1 .. array_length(conninfos, 1) LOOP
        want := want || jsonb_build_object('p' || (i - 1), conninfos[i]);
    END LOOP;
    SELECT s.srvoptions INTO have FROM pg_foreign_server s WHERE s.srvname = 'roomcast_shards';
    IF NOT FOUND THEN
        EXECUTE 'CREATE SERVER roomcast_shards FOREIGN DATA WRAPPER plproxy OPTIONS (' ||
                (SELECT string_agg(format('%I %L', key, value), ', ') FROM jsonb_each_text(want)) || ')';
        RETURN;
    END IF;
    -- one ALTER SERVER: PL/Proxy validates the options after each statement,
    -- and a cluster without partitions in between is refused
    FOREACH k IN ARRAY coalesce(have, '{}') LOOP
        k := split_part(k, '=', 1);
        changes := changes || CASE WHEN want ? k THEN format('SET %I %L', k, want ->> k) ELSE format('DROP %I', k) END;
        want := want - k;
    END LOOP;
    SELECT changes || coalesce(array_agg(format('ADD %I %L', key, value)), '{}') INTO changes FROM jsonb_each_text(want);
    EXECUTE 'ALTER SERVER roomcast_shards OPTIONS (' || array_to_string(changes, ', ') || ')';
END $$;
REVOKE ALL ON FUNCTION roomcast_proxy.configure_shards(text[]) FROM PUBLIC;

-- Let proxy role `proxy_role` use the shards as shard role `shard_user`.
-- Map each application role to a shard role with the SAME privileges: an
-- application role to a plain login, a service role to a member of
-- roomcast_service, the notifier to a member of roomcast_notifier. A role
-- with no mapping cannot use the proxy at all.
CREATE FUNCTION roomcast_proxy.map_role(proxy_role name, shard_user text, password text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('DROP USER MAPPING IF EXISTS FOR %I SERVER roomcast_shards', proxy_role);
    IF password IS NULL THEN
        EXECUTE format('CREATE USER MAPPING FOR %I SERVER roomcast_shards OPTIONS (user %L)',
                       proxy_role, shard_user);
    ELSE
        EXECUTE format('CREATE USER MAPPING FOR %I SERVER roomcast_shards OPTIONS (user %L, password %L)',
                       proxy_role, shard_user, password);
    END IF;
    EXECUTE format('GRANT USAGE ON FOREIGN SERVER roomcast_shards TO %I', proxy_role);
END $$;
REVOKE ALL ON FUNCTION roomcast_proxy.map_role(name, text, text) FROM PUBLIC;

---------------------------------------------------------------------------
-- The proxy session's identity
---------------------------------------------------------------------------

-- What the shard needs to re-establish the identity: the token (after
-- authenticate) or tenant/user/role (after set_identity), plus the tenant
-- to route by. Transaction-local settings, as the extension's identity.
-- RC401 with the extension's message when none is set.
CREATE FUNCTION roomcast_proxy.identity(OUT tok text, OUT tid uuid, OUT uid uuid, OUT rol text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    tok := nullif(current_setting('roomcast_proxy.token', true), '');
    tid := nullif(current_setting('roomcast_proxy.tenant', true), '')::uuid;
    IF tid IS NULL THEN
        RAISE EXCEPTION 'no identity in this transaction'
            USING ERRCODE = 'RC401',
                  DETAIL = 'This function needs a tenant identity, and none was set in this transaction.',
                  HINT = 'Call roomcast.authenticate(token) or roomcast.set_identity(tenant, user) first.';
    END IF;
    IF tok IS NULL THEN
        uid := nullif(current_setting('roomcast_proxy.user', true), '')::uuid;
        rol := nullif(current_setting('roomcast_proxy.role', true), '');
    END IF;
END $$;

CREATE FUNCTION roomcast_proxy.keep_identity(tok text, tid uuid, uid uuid, rol text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT set_config('roomcast_proxy.token', coalesce(tok, ''), true),
           set_config('roomcast_proxy.tenant', coalesce(tid::text, ''), true),
           set_config('roomcast_proxy.user', coalesce(uid::text, ''), true),
           set_config('roomcast_proxy.role', coalesce(rol, ''), true);
$$;

---------------------------------------------------------------------------
-- The proxied functions, defined from one table
---------------------------------------------------------------------------

-- Define roomcast_proxy.<internal> (LANGUAGE plproxy) and, unless wrapper
-- is false, roomcast.<name> (the function applications call).
--   params: the extension's arguments "name type [DEFAULT expr], …"
--           (no commas inside a default)
--   route:  identity   the session's identity; the shard runs
--                      authenticate(token) or set_identity(...) first
--           token:ARG  the tenant claim of token argument ARG
--           refresh:ARG the tenant prefix of refresh token ARG
--           tenant:ARG the uuid argument ARG
--           job:ARG    the partition the job id ARG was claimed on
--           all        every shard (the internal function returns SETOF)
--   call:   the shard-side expression, arguments as a_<name>
--           (default roomcast.<name>(a_p1, a_p2, …))
-- The internal function's arguments are i_tok, i_tid, i_uid, i_rol (identity
-- routes) then a_<name>: prefixed so that PL/Proxy's argument substitution
-- in the SELECT text cannot hit a type or column name.
CREATE FUNCTION roomcast_proxy.define(name text, internal text, params text, ret text, route text,
                                      vol text DEFAULT 'VOLATILE', call text DEFAULT NULL,
                                      wrapper boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p text;
    pname text;
    ptype text;
    inner_params text[] := '{}';
    outer_params text[] := '{}';
    call_args text[] := '{}';
    pass_args text[] := '{}';
    kind text := split_part(route, ':', 1);
    arg text := split_part(route, ':', 2);
    run text;
    sel text;
    is_set boolean := ret ILIKE 'SETOF %';
    inner_ret text := ret;
    n int := 0;
BEGIN
    -- PL/Proxy functions must be VOLATILE, and a wrapper that makes a
    -- remote call is no better than that: keep only STRICT from vol
    vol := CASE WHEN vol ILIKE '%STRICT%' THEN 'VOLATILE STRICT' ELSE 'VOLATILE' END;
    IF params <> '' THEN
        FOREACH p IN ARRAY string_to_array(params, ',') LOOP
            p := btrim(p);
            n := n + 1;
            pname := split_part(p, ' ', 1);
            ptype := regexp_replace(substr(p, length(pname) + 2), '\s+DEFAULT\s.*$', '', 'i');
            inner_params := inner_params || format('a_%s %s', pname, ptype);
            outer_params := outer_params || p;
            call_args := call_args || ('a_' || pname);
            pass_args := pass_args || ('$' || n);
        END LOOP;
    END IF;
    call := coalesce(call, format('roomcast.%s(%s)', name, array_to_string(call_args, ', ')));
    IF kind = 'identity' THEN
        inner_params := ARRAY['i_tok text', 'i_tid uuid', 'i_uid uuid', 'i_rol text'] || inner_params;
        run := 'RUN ON roomcast_proxy.partition(i_tid)';
        -- the CTE is materialized and the call reads its row: the identity
        -- is set before the call runs, in the same remote statement
        sel := 'SELECT s.r FROM (WITH a AS MATERIALIZED (SELECT CASE WHEN i_tok IS NOT NULL '
               'THEN roomcast.authenticate(i_tok)::text ELSE roomcast.set_identity(i_tid, i_uid, i_rol)::text '
               'END AS x) SELECT ' || call || ' AS r FROM a) s';
    ELSE
        sel := 'SELECT ' || call || ' AS r';
        run := CASE kind
                 WHEN 'token' THEN format('RUN ON roomcast_proxy.token_partition(a_%s)', arg)
                 WHEN 'refresh' THEN format('RUN ON roomcast_proxy.refresh_partition(a_%s)', arg)
                 WHEN 'tenant' THEN format('RUN ON roomcast_proxy.partition(a_%s)', arg)
                 WHEN 'job' THEN format('RUN ON roomcast_proxy.job_partition(a_%s)', arg)
                 WHEN 'all' THEN 'RUN ON ALL'
               END;
        IF kind = 'all' AND NOT is_set THEN
            inner_ret := 'SETOF ' || ret;
        END IF;
    END IF;
    IF run IS NULL THEN
        RAISE EXCEPTION 'unknown route %', route;
    END IF;
    EXECUTE format('CREATE FUNCTION roomcast_proxy.%I(%s) RETURNS %s LANGUAGE plproxy %s AS %L',
                   internal, array_to_string(inner_params, ', '), inner_ret, vol,
                   format(E'CLUSTER ''roomcast_shards'';\n%s;\n%s;\n', run, sel));
    IF NOT wrapper THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE FUNCTION roomcast.%I(%s) RETURNS %s LANGUAGE sql %s '
                   'SET search_path = pg_catalog, pg_temp AS %L',
                   name, array_to_string(outer_params, ', '), ret, vol,
                   CASE
                     WHEN kind = 'identity' THEN
                       format('SELECT roomcast_proxy.%I(%s) FROM roomcast_proxy.identity() i', internal,
                              array_to_string(ARRAY['i.tok', 'i.tid', 'i.uid', 'i.rol'] || pass_args, ', '))
                     WHEN kind = 'all' AND NOT is_set THEN
                       format('SELECT r FROM roomcast_proxy.%I(%s) r LIMIT 1', internal, array_to_string(pass_args, ', '))
                     ELSE
                       format('SELECT roomcast_proxy.%I(%s)', internal, array_to_string(pass_args, ', '))
                   END);
END $$;
REVOKE ALL ON FUNCTION roomcast_proxy.define(text, text, text, text, text, text, text, boolean) FROM PUBLIC;

SELECT count(roomcast_proxy.define(d.name, coalesce(d.internal, d.name), d.params, d.ret, d.route,
                                   coalesce(d.vol, 'VOLATILE'), d.call, coalesce(d.wrapper, true))) AS defined
  FROM (VALUES
    -- identity: authenticate/set_identity are below (they keep state)
    ('verify', NULL, 'token text', 'jsonb', 'token:token', 'STABLE STRICT', NULL, NULL),
    ('authenticate', NULL, 'token text', 'jsonb', 'token:token', 'VOLATILE STRICT', NULL, false),
    ('set_identity', NULL, 'tenant uuid, user_id uuid, role text', 'text', 'tenant:tenant', NULL,
     'roomcast.set_identity(a_tenant, a_user_id, a_role)::text', false),
    ('current_tenant', NULL, '', 'uuid', 'identity', 'STABLE', NULL, NULL),
    ('current_user_id', NULL, '', 'uuid', 'identity', 'STABLE', NULL, NULL),
    ('current_role', NULL, '', 'text', 'identity', 'STABLE', NULL, NULL),
    ('current_claims', NULL, '', 'jsonb', 'identity', 'STABLE', NULL, NULL),
    ('sign', NULL, 'claims jsonb, ttl interval, tenant uuid', 'text', 'tenant:tenant', 'VOLATILE',
     'roomcast.sign(a_claims, a_ttl)', false),
    ('add_signing_key', NULL, 'kid text, secret bytea, alg text DEFAULT ''HS256''', 'text', 'all', 'VOLATILE STRICT',
     'roomcast.add_signing_key(a_kid, a_secret, a_alg)::text', false),
    ('retire_signing_key', NULL, 'kid text', 'text', 'all', 'VOLATILE STRICT',
     'roomcast.retire_signing_key(a_kid)::text', false),
    -- sessions
    ('create_tenant', NULL, 'slug text, name text, id uuid', 'uuid', 'tenant:id', NULL, NULL, false),
    ('issue_tokens', NULL, 'tenant uuid, user_id uuid, fingerprint text DEFAULT NULL', 'jsonb', 'tenant:tenant',
     NULL, NULL, false),
    ('refresh', NULL, 'refresh_token text, fingerprint text DEFAULT NULL', 'jsonb', 'refresh:refresh_token', NULL,
     'roomcast.refresh(pg_catalog.substr(a_refresh_token, 38), a_fingerprint)', false),
    ('revoke_sessions', NULL, 'user_id uuid', 'int', 'identity', 'VOLATILE STRICT', NULL, NULL),
    -- events
    ('emit', NULL, 'room text, event text, data jsonb DEFAULT ''{}'', nsp text DEFAULT ''/''', 'bigint', 'identity', NULL, NULL, NULL),
    ('emit_to_user', NULL, 'user_id uuid, event text, data jsonb DEFAULT ''{}'', nsp text DEFAULT ''/''', 'bigint', 'identity', NULL, NULL, NULL),
    ('emit_to_tenant', NULL, 'event text, data jsonb DEFAULT ''{}'', nsp text DEFAULT ''/''', 'bigint', 'identity', NULL, NULL, NULL),
    ('room', NULL, 'kind text, id text', 'text', 'identity', 'STABLE STRICT', NULL, NULL),
    ('user_room', NULL, 'user_id uuid', 'text', 'identity', 'STABLE STRICT', NULL, NULL),
    ('tenant_room', NULL, '', 'text', 'identity', 'STABLE', NULL, NULL),
    ('authorize_join', NULL, 'kind text, id text', 'text', 'identity', 'VOLATILE STRICT', NULL, NULL),
    -- inbox
    ('send_in_app', NULL, 'user_id uuid, type text, title text, body text DEFAULT NULL, entity_type text DEFAULT NULL, entity_id text DEFAULT NULL',
     'uuid', 'identity', NULL, NULL, NULL),
    ('send_in_app_many', NULL, 'user_ids uuid[], type text, title text, body text DEFAULT NULL, entity_type text DEFAULT NULL, entity_id text DEFAULT NULL',
     'int', 'identity', NULL, NULL, NULL),
    ('unread_count', NULL, '', 'int', 'identity', 'STABLE', NULL, NULL),
    ('mark_read', NULL, 'ids uuid[]', 'int', 'identity', NULL, NULL, NULL),
    ('mark_all_read', NULL, '', 'int', 'identity', NULL, NULL, NULL),
    ('archive', NULL, 'ids uuid[]', 'int', 'identity', NULL, NULL, NULL),
    ('recent', NULL, 'lim int DEFAULT 20, since timestamptz DEFAULT NULL, before uuid DEFAULT NULL', 'jsonb', 'identity', 'STABLE', NULL, NULL),
    -- rpc and recovery (the notifier's rpc pool: --rpc-db)
    ('rpc', NULL, 'token text, method text, args jsonb DEFAULT ''{}''', 'jsonb', 'token:token', NULL, NULL, NULL),
    ('recover', NULL, 'token text, pid text, after_pos bigint, within interval DEFAULT ''120 seconds'', lim int DEFAULT 1000',
     'jsonb', 'token:token', NULL,
     -- plus the shard's stable identity, computed as the notifier does
     -- (notifier/hub/db.c): the roomcast_shard.id database setting, else 8
     -- hex of md5(system identifier/database). The notifier compares it with
     -- the shard named in the client's offset: an offset of another shard (a
     -- tenant moved since) is not recoverable. This runs on the shard under
     -- the caller's shard role and ITS search_path ("$user", public), where
     -- an application role with CREATE could plant an exact-match operator
     -- or function: every name is pg_catalog-qualified, current_database()
     -- cast to text (docs/security-scale-out.md, finding 1).
     'roomcast.recover(a_token, a_pid, a_after_pos, a_within, a_lim) OPERATOR(pg_catalog.||) '
     'pg_catalog.jsonb_build_object(''shard''::text, '
     '(SELECT coalesce(nullif(pg_catalog.current_setting(''roomcast_shard.id'', true), ''''), '
     'pg_catalog.left(pg_catalog.md5(c.system_identifier::text OPERATOR(pg_catalog.||) ''/'' '
     'OPERATOR(pg_catalog.||) pg_catalog.current_database()::text), 8)) FROM pg_catalog.pg_control_system() c))', NULL),
    ('maintain', NULL, '', 'jsonb', 'all', NULL, NULL, false),
    -- loaders: the relation by name (a regclass cannot be resolved on the
    -- proxy, which has no such table), keys of the common key types
    ('load_many', 'load_many_uuid', 'rel text, key_column text, keys uuid[]', 'SETOF jsonb', 'identity', 'STABLE',
     'roomcast.load_many(a_rel::regclass, a_key_column::name, a_keys)', NULL),
    ('load_many', 'load_many_bigint', 'rel text, key_column text, keys bigint[]', 'SETOF jsonb', 'identity', 'STABLE',
     'roomcast.load_many(a_rel::regclass, a_key_column::name, a_keys)', NULL),
    ('load_many', 'load_many_int', 'rel text, key_column text, keys int[]', 'SETOF jsonb', 'identity', 'STABLE',
     'roomcast.load_many(a_rel::regclass, a_key_column::name, a_keys)', NULL),
    ('load_many', 'load_many_text', 'rel text, key_column text, keys text[]', 'SETOF jsonb', 'identity', 'STABLE',
     'roomcast.load_many(a_rel::regclass, a_key_column::name, a_keys)', NULL),
    ('load_grouped', 'load_grouped_uuid', 'rel text, fk_column text, keys uuid[], order_by text DEFAULT NULL, per_key_limit int DEFAULT NULL',
     'SETOF jsonb', 'identity', 'STABLE', 'roomcast.load_grouped(a_rel::regclass, a_fk_column::name, a_keys, a_order_by, a_per_key_limit)', NULL),
    ('load_grouped', 'load_grouped_bigint', 'rel text, fk_column text, keys bigint[], order_by text DEFAULT NULL, per_key_limit int DEFAULT NULL',
     'SETOF jsonb', 'identity', 'STABLE', 'roomcast.load_grouped(a_rel::regclass, a_fk_column::name, a_keys, a_order_by, a_per_key_limit)', NULL),
    ('load_grouped', 'load_grouped_int', 'rel text, fk_column text, keys int[], order_by text DEFAULT NULL, per_key_limit int DEFAULT NULL',
     'SETOF jsonb', 'identity', 'STABLE', 'roomcast.load_grouped(a_rel::regclass, a_fk_column::name, a_keys, a_order_by, a_per_key_limit)', NULL),
    ('load_grouped', 'load_grouped_text', 'rel text, fk_column text, keys text[], order_by text DEFAULT NULL, per_key_limit int DEFAULT NULL',
     'SETOF jsonb', 'identity', 'STABLE', 'roomcast.load_grouped(a_rel::regclass, a_fk_column::name, a_keys, a_order_by, a_per_key_limit)', NULL),
    -- jobs: requesters by identity, workers by where the job was claimed
    ('enqueue', NULL, 'kind text, payload jsonb, priority text DEFAULT ''normal'', opts jsonb DEFAULT ''{}''', 'uuid', 'identity', NULL, NULL, NULL),
    ('cancel', NULL, 'id uuid', 'boolean', 'identity', NULL, NULL, NULL),
    ('job_status', NULL, 'id uuid', 'jsonb', 'identity', 'STABLE', NULL, NULL),
    ('set_job_limit', NULL, 'kind text, per_minute int', 'text', 'identity', NULL,
     'roomcast.set_job_limit(a_kind, a_per_minute)::text', NULL),
    ('claim', 'claim_all', 'kinds text[], n int DEFAULT 1, lease interval DEFAULT ''60 s''', 'SETOF jsonb', 'all', NULL, NULL, false),
    ('progress', NULL, 'id uuid, pct int, data jsonb DEFAULT NULL', 'boolean', 'job:id', NULL, NULL, NULL),
    ('chunk', NULL, 'id uuid, seq int, text text', 'boolean', 'job:id', NULL, NULL, NULL),
    ('complete', NULL, 'id uuid, result jsonb', 'boolean', 'job:id', NULL, NULL, NULL),
    ('fail', NULL, 'id uuid, error text, retryable boolean DEFAULT true', 'boolean', 'job:id', NULL, NULL, NULL)
  ) AS d(name, internal, params, ret, route, vol, call, wrapper);

---------------------------------------------------------------------------
-- The functions that keep proxy state or change the result
---------------------------------------------------------------------------

-- authenticate: verified on the token's shard (which also checks the user);
-- then the proxy session keeps the token for the rest of the transaction
-- and routes by the verified tenant claim.
CREATE FUNCTION roomcast.authenticate(token text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    claims jsonb := roomcast_proxy.authenticate(token);
    claim text := coalesce(nullif(current_setting('roomcast_proxy.claim_tenant', true), ''), 'tenantId');
BEGIN
    PERFORM roomcast_proxy.keep_identity(token, (claims ->> claim)::uuid, NULL, NULL);
    RETURN claims;
END $$;

-- set_identity: checked on the tenant's shard under the caller's mapped
-- role (roomcast_service membership, the user exists and is active), then
-- kept; every later call sets it again on the shard, which checks again.
CREATE FUNCTION roomcast.set_identity(tenant uuid, user_id uuid DEFAULT NULL, role text DEFAULT 'service')
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM roomcast_proxy.set_identity(tenant, user_id, role);
    PERFORM roomcast_proxy.keep_identity(NULL, tenant, user_id, role);
END $$;
REVOKE ALL ON FUNCTION roomcast.set_identity(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.set_identity(uuid, uuid, text) TO roomcast_service;

-- sign: routed by the tenant claim of the claims to sign (every shard has
-- the same keys, so any would do; routing keeps the call on one shard).
CREATE FUNCTION roomcast.sign(claims jsonb, ttl interval DEFAULT '15 min') RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT roomcast_proxy.sign(claims, ttl,
        CASE WHEN claims ->> coalesce(nullif(current_setting('roomcast_proxy.claim_tenant', true), ''), 'tenantId')
                  ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
             THEN (claims ->> coalesce(nullif(current_setting('roomcast_proxy.claim_tenant', true), ''), 'tenantId'))::uuid END)
$$;
REVOKE ALL ON FUNCTION roomcast.sign(jsonb, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.sign(jsonb, interval) TO roomcast_service;

-- Keys on every shard (the notifier verifies tokens locally with the keys
-- of the shard it listens on). A shard that fails leaves the others
-- changed: run it again on that shard directly (docs/scale-out-sharding.md).
CREATE FUNCTION roomcast.add_signing_key(kid text, secret bytea, alg text DEFAULT 'HS256') RETURNS void
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*) FROM roomcast_proxy.add_signing_key(kid, secret, alg);
$$;
CREATE FUNCTION roomcast.retire_signing_key(kid text) RETURNS void
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*) FROM roomcast_proxy.retire_signing_key(kid);
$$;
REVOKE ALL ON FUNCTION roomcast.add_signing_key(text, bytea, text), roomcast.retire_signing_key(text) FROM PUBLIC;

-- maintain: every shard; the answers as an array, in partition order.
CREATE FUNCTION roomcast.maintain() RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_agg(m) FROM roomcast_proxy.maintain() m;
$$;
REVOKE ALL ON FUNCTION roomcast.maintain() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.maintain() TO roomcast_service, roomcast_notifier;

-- create_tenant: the tenant lands where the directory says, else on its
-- hash partition, and is written into the directory so that adding a shard
-- later does not move it.
CREATE FUNCTION roomcast.create_tenant(slug text, name text, id uuid DEFAULT gen_random_uuid())
RETURNS uuid LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    made uuid := roomcast_proxy.create_tenant(slug, name, id);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM roomcast_proxy.tenant_placed(made)) THEN
        PERFORM roomcast_proxy.place_tenant(made, abs(hashtext(made::text) % roomcast_proxy.shard_count()));
    END IF;
    RETURN made;
END $$;
REVOKE ALL ON FUNCTION roomcast.create_tenant(text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.create_tenant(text, text, uuid) TO roomcast_service;

CREATE FUNCTION roomcast_proxy.tenant_placed(tenant uuid) RETURNS SETOF int
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT part FROM roomcast_proxy.tenants WHERE tenant_id = tenant
$$;

-- issue_tokens and refresh: the refresh token gets the tenant prefix that
-- routes a later refresh (roomcast_proxy.refresh_partition).
CREATE FUNCTION roomcast_proxy.prefix_refresh(tokens jsonb, tenant uuid) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN tokens ? 'refresh_token'
                THEN jsonb_set(tokens, '{refresh_token}', to_jsonb(tenant::text || '.' || (tokens ->> 'refresh_token')))
                ELSE tokens END
$$;
CREATE FUNCTION roomcast.issue_tokens(tenant uuid, user_id uuid, fingerprint text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT roomcast_proxy.prefix_refresh(roomcast_proxy.issue_tokens(tenant, user_id, fingerprint), tenant)
$$;
REVOKE ALL ON FUNCTION roomcast.issue_tokens(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.issue_tokens(uuid, uuid, text) TO roomcast_service;
CREATE FUNCTION roomcast.refresh(refresh_token text, fingerprint text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT roomcast_proxy.prefix_refresh(roomcast_proxy.refresh(refresh_token, fingerprint),
                                         roomcast_proxy.refresh_tenant(refresh_token))
$$;

-- claim (workers): every shard, n from each; the proxy remembers where each
-- job lives for the worker's later calls on it.
CREATE FUNCTION roomcast.claim(kinds text[], n int DEFAULT 1, lease interval DEFAULT '60 s')
RETURNS SETOF jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got jsonb[] := ARRAY(SELECT roomcast_proxy.claim_all(kinds, n, lease));
BEGIN
    IF cardinality(got) > 0 THEN
        PERFORM roomcast_proxy.route_jobs(got);
    END IF;
    RETURN QUERY SELECT unnest(got);
END $$;

-- The worker-only functions: the shard checks roomcast_worker again.
REVOKE ALL ON FUNCTION roomcast.claim(text[], int, interval), roomcast.progress(uuid, int, jsonb),
    roomcast.chunk(uuid, int, text), roomcast.complete(uuid, jsonb), roomcast.fail(uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roomcast.claim(text[], int, interval), roomcast.progress(uuid, int, jsonb),
    roomcast.chunk(uuid, int, text), roomcast.complete(uuid, jsonb), roomcast.fail(uuid, text, boolean) TO roomcast_worker;
