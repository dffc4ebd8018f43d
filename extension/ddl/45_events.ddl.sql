
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
