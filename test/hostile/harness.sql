-- test/hostile/harness.sql — run as the superuser after plant.sql. Builds,
-- from pg_proc, one call of EVERY function in schema roomcast with a
-- plausible argument per parameter, so a function added later is called
-- too (or the suite fails, naming the parameter it cannot fill).
--
--   harness.vals         the values calls use (tenant, user, tokens, ids)
--   harness.calls        (pass, n, sig, sql): the generated statements
--   harness.call_hostile(sql)  runs one statement with search_path
--                        evil, pg_catalog and returns 'ok' or its error
--
-- The generated statements name nothing the attacker could shadow: the
-- function is schema-qualified, every literal is cast to a pg_catalog type,
-- and they contain no operator.
SET search_path = pg_catalog;
CREATE SCHEMA harness;
GRANT USAGE ON SCHEMA harness TO PUBLIC;

CREATE TABLE harness.vals (k text PRIMARY KEY, v text NOT NULL);
GRANT SELECT ON harness.vals TO PUBLIC;

CREATE TABLE harness.calls (pass int, n int, sig text, sql text, PRIMARY KEY (pass, n));
GRANT SELECT ON harness.calls TO PUBLIC;

-- A safe room policy and rpc method for the hostile tenant (they run as the
-- caller with the caller's search_path, by design; these use none of it)
CREATE FUNCTION harness.policy_ok(u uuid, id text) RETURNS boolean
LANGUAGE sql SET search_path = pg_catalog AS 'SELECT true';
CREATE FUNCTION harness.method_ok(args jsonb) RETURNS jsonb
LANGUAGE sql SET search_path = pg_catalog AS 'SELECT ''{"ok":true}''::jsonb';

-- Run sql as if typed by a session whose search_path puts evil first
CREATE FUNCTION harness.call_hostile(sql text) RETURNS text
LANGUAGE plpgsql SET search_path = evil, pg_catalog AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN pg_catalog.concat(SQLSTATE, ' ', SQLERRM);
END
$$;

-- The calls of pass p in order, for a caller whose own path is hostile
CREATE FUNCTION harness.pass_calls(p int) RETURNS SETOF harness.calls
LANGUAGE sql STABLE SET search_path = pg_catalog AS
$$ SELECT * FROM harness.calls c WHERE c.pass = p ORDER BY c.n $$;

CREATE FUNCTION harness.val(key text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS
$$ SELECT v.v FROM harness.vals v WHERE v.k = key $$;

-- A literal of type typ cast to it, as text
CREATE FUNCTION harness.lit(val text, typ text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS
$$ SELECT CASE WHEN val IS NULL THEN 'NULL::' || typ ELSE quote_literal(val) || '::' || typ END $$;

-- A plausible argument for parameter arg (of type typ) of function fn in pass p
CREATE FUNCTION harness.plausible(fn text, arg text, typ regtype, p int) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
DECLARE
    t text := harness.val('tenant');
    u text := harness.val('user');
    r text;
BEGIN
    r := CASE typ
        WHEN 'text'::regtype THEN CASE
            WHEN arg = 'token' THEN harness.lit(harness.val('access'), 'pg_catalog.text')
            WHEN arg = 'refresh_token' THEN harness.lit(harness.val('refresh' || p), 'pg_catalog.text')
            WHEN arg = 'fingerprint' THEN 'NULL::pg_catalog.text'
            WHEN arg = 'kind' AND fn = 'notify_control' THEN harness.lit('hostile', 'pg_catalog.text')
            WHEN arg = 'kind' THEN harness.lit('doc', 'pg_catalog.text')
            WHEN arg = 'id' THEN harness.lit('d1', 'pg_catalog.text')
            WHEN arg = 'room' THEN harness.lit('tenant:' || t || ':doc:d1', 'pg_catalog.text')
            WHEN arg = 'event' AND fn LIKE '%register_method' THEN harness.lit('hostile_echo', 'pg_catalog.text')
            WHEN arg = 'event' THEN harness.lit('hostile:event', 'pg_catalog.text')
            WHEN arg = 'method' THEN harness.lit('hostile_echo', 'pg_catalog.text')
            WHEN arg = 'nsp' THEN harness.lit('/', 'pg_catalog.text')
            WHEN arg = 'slug' THEN harness.lit('hostile-' || p, 'pg_catalog.text')
            WHEN arg = 'name' AND fn = '_setting' THEN harness.lit('roomcast.max_page', 'pg_catalog.text')
            WHEN arg = 'name' THEN harness.lit('Hostile', 'pg_catalog.text')
            WHEN arg = 'kid' THEN harness.lit('hostile-k' || p, 'pg_catalog.text')
            WHEN arg = 'alg' THEN harness.lit('HS256', 'pg_catalog.text')
            WHEN arg = 'pid' THEN harness.lit('hostilepid', 'pg_catalog.text')
            WHEN arg = 'class' THEN harness.lit('short', 'pg_catalog.text')
            WHEN arg IN ('user_agent', 'accept_language', 'accept_encoding', 'a', 'b', 'body')
                THEN harness.lit('x', 'pg_catalog.text')
            WHEN arg = 'type' THEN harness.lit('note', 'pg_catalog.text')
            WHEN arg = 'title' THEN harness.lit('Hello', 'pg_catalog.text')
            WHEN arg = 'entity_type' THEN harness.lit('case', 'pg_catalog.text')
            WHEN arg = 'entity_id' THEN harness.lit('1', 'pg_catalog.text')
            WHEN arg = 'order_by' THEN harness.lit('id DESC', 'pg_catalog.text')
            WHEN arg = 'role' THEN harness.lit('service', 'pg_catalog.text')
            WHEN arg = 'priority' THEN harness.lit('high', 'pg_catalog.text')
            WHEN arg = 'error' THEN harness.lit('boom', 'pg_catalog.text')
            WHEN arg = 'text' THEN harness.lit('a chunk', 'pg_catalog.text')
            END
        WHEN 'name'::regtype THEN CASE
            WHEN arg = 'tenant_column' THEN harness.lit('tenant_id', 'pg_catalog.name')
            WHEN arg IN ('key_column', 'fk_column') THEN harness.lit('id', 'pg_catalog.name')
            END
        WHEN 'uuid'::regtype THEN CASE
            WHEN arg IN ('tenant') THEN harness.lit(t, 'pg_catalog.uuid')
            WHEN arg = 'user_id' THEN harness.lit(u, 'pg_catalog.uuid')
            WHEN arg = 'id' AND fn = 'create_tenant' THEN harness.lit(harness.val('new_tenant' || p), 'pg_catalog.uuid')
            WHEN arg = 'before' THEN 'NULL::pg_catalog.uuid'
            WHEN arg = 'id' AND fn IN ('cancel', 'job_status', 'progress', 'chunk', 'complete', 'fail', 'act_for_job')
                THEN harness.lit(harness.val('job'), 'pg_catalog.uuid')
            END
        WHEN 'uuid[]'::regtype THEN CASE
            WHEN arg = 'user_ids' THEN 'ARRAY[' || harness.lit(u, 'pg_catalog.uuid') || ']'
            WHEN arg = 'ids' THEN 'ARRAY[' || harness.lit(harness.val('notification'), 'pg_catalog.uuid') || ']'
            END
        WHEN 'text[]'::regtype THEN CASE
            WHEN arg = 'rooms' THEN 'ARRAY[' || harness.lit('tenant:' || t || ':doc:d1', 'pg_catalog.text') || ']'
            WHEN arg = 'kinds' THEN 'ARRAY[' || harness.lit('hostile', 'pg_catalog.text') || ']'
            WHEN arg = 'parts' THEN 'VARIADIC ARRAY[' || harness.lit('a', 'pg_catalog.text') || ', '
                                    || harness.lit('b:c', 'pg_catalog.text') || ']'
            END
        WHEN 'jsonb'::regtype THEN CASE
            WHEN arg = 'claims' THEN harness.lit(format('{"sub":"%s","tenantId":"%s","role":"member"}', u, t), 'pg_catalog.jsonb')
            WHEN arg IN ('data', 'payload', 'result') THEN harness.lit('{"a":1}', 'pg_catalog.jsonb')
            WHEN arg = 'opts' THEN harness.lit('{"dedupe_key":"h"}', 'pg_catalog.jsonb')
            WHEN arg = 'args' THEN harness.lit('{"kind":"doc","id":"d1","pid":"hostilepid"}', 'pg_catalog.jsonb')
            END
        WHEN 'anyarray'::regtype THEN 'ARRAY[1::pg_catalog.int4, 2::pg_catalog.int4]'
        WHEN 'regclass'::regtype THEN harness.lit('evil.docs', 'pg_catalog.regclass')
        WHEN 'regprocedure'::regtype THEN CASE
            WHEN arg = 'policy' THEN harness.lit('harness.policy_ok(pg_catalog.uuid,pg_catalog.text)', 'pg_catalog.regprocedure')
            WHEN arg = 'fn' THEN harness.lit('harness.method_ok(pg_catalog.jsonb)', 'pg_catalog.regprocedure')
            END
        WHEN 'interval'::regtype THEN harness.lit('1 hour', 'pg_catalog.interval')
        WHEN 'integer'::regtype THEN CASE
            WHEN arg IN ('lim', 'per_key_limit') THEN '10::pg_catalog.int4'
            WHEN arg = 'days' THEN '1::pg_catalog.int4'
            WHEN arg IN ('n', 'seq') THEN '1::pg_catalog.int4'
            WHEN arg = 'pct' THEN '50::pg_catalog.int4'
            WHEN arg = 'per_minute' THEN '30::pg_catalog.int4'
            END
        WHEN 'bigint'::regtype THEN CASE
            WHEN arg = 'after_pos' THEN '0::pg_catalog.int8'
            WHEN arg = 'pos' THEN '1::pg_catalog.int8'
            WHEN arg = 'after_control' THEN '0::pg_catalog.int8'
            END
        WHEN 'boolean'::regtype THEN 'true::pg_catalog.bool'
        WHEN 'timestamptz'::regtype THEN CASE
            WHEN arg = 'at' THEN harness.lit(now()::text, 'pg_catalog.timestamptz')
            WHEN arg = 'since' THEN 'NULL::pg_catalog.timestamptz'
            END
        WHEN 'bytea'::regtype THEN harness.lit('\x' || repeat('ab', 32), 'pg_catalog.bytea')
        END;
    IF r IS NULL THEN
        RAISE EXCEPTION 'no plausible value for parameter % (%) of roomcast.%', arg, typ, fn
            USING HINT = 'Teach harness.plausible in test/hostile/harness.sql about it.';
    END IF;
    RETURN r;
END
$$;

-- Write the calls of pass p: every function of schema roomcast, after the
-- statements in first (which set the identity of the pass)
CREATE FUNCTION harness.build(p int, first text[]) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    f record;
    n int := 0;
    args text;
BEGIN
    DELETE FROM harness.calls WHERE pass = p;
    FOR i IN 1 .. coalesce(array_length(first, 1), 0) LOOP
        INSERT INTO harness.calls VALUES (p, n, 'set-up: ' || first[i], first[i]);
        n := n + 1;
    END LOOP;
    -- destructive ones last, so the others see the registrations
    FOR f IN SELECT pr.oid, pr.proname::text AS name, pr.proargnames, pr.proargtypes, pr.provariadic
               FROM pg_proc pr
              WHERE pr.pronamespace = 'roomcast'::regnamespace
              ORDER BY pr.proname ~ '^(unregister|retire|revoke|unprotect|archive)', pr.proname, pr.oid LOOP
        SELECT string_agg(harness.plausible(f.name, f.proargnames[a.i], a.t::regtype, p), ', ' ORDER BY a.i)
          INTO args
          FROM unnest(f.proargtypes::oid[]) WITH ORDINALITY AS a(t, i);
        INSERT INTO harness.calls VALUES
            (p, n, f.oid::regprocedure::text, format('SELECT roomcast.%I(%s)', f.name, coalesce(args, '')));
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
