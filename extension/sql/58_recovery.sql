
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
RETURNS jsonb LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       uuid;
    u       uuid;
    rooms   text[];
    r       record;
    evs     jsonb;
    n       int;
    kind_id text;
BEGIN
    PERFORM roomcast.authenticate(token);
    t := roomcast.current_tenant();
    u := roomcast.current_user_id();
    IF lim < 1 OR lim > 10000 THEN
        RAISE EXCEPTION 'recovery of % events is outside 1..10000', lim
            USING ERRCODE = 'RC413', DETAIL = 'Recover at most 10000 missed events.';
    END IF;
    rooms := ARRAY['tenant:' || t, 'tenant:' || t || ':user:' || u];
    FOR r IN SELECT s.room FROM roomcast.socket_rooms s
              WHERE s.tenant_id = t AND s.pid = recover.pid AND s.user_id = u ORDER BY s.room LOOP
        -- tenant:{t}:{kind}:{id}: ask the room's policy again
        kind_id := substr(r.room, length('tenant:' || t || ':') + 1);
        BEGIN
            PERFORM roomcast.authorize_join(split_part(kind_id, ':', 1),
                                            substr(kind_id, strpos(kind_id, ':') + 1));
            rooms := rooms || r.room;
        EXCEPTION WHEN SQLSTATE 'RC404' OR SQLSTATE 'RC413' THEN
            NULL;       -- no longer allowed: not recovered
        END;
    END LOOP;
    IF after_pos IS NULL OR NOT EXISTS (
            SELECT 1 FROM roomcast.events e
             WHERE e.tenant_id = t AND e.pos = after_pos AND e.created_at >= now() - within) THEN
        RETURN jsonb_build_object('recovered', false, 'rooms', to_jsonb(rooms), 'events', '[]'::jsonb);
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object('p', x.pos, 'r', x.room, 'n', x.nsp, 'e', x.event, 'd', x.data)
                              ORDER BY x.pos), '[]'), count(*)
      INTO evs, n
      FROM (SELECT e.pos, e.room, e.nsp, e.event, e.data FROM roomcast.events e
             WHERE e.tenant_id = t AND e.pos > after_pos AND e.room = ANY (rooms)
             ORDER BY e.pos LIMIT lim + 1) x;
    IF n > lim THEN
        RETURN jsonb_build_object('recovered', false, 'rooms', to_jsonb(rooms), 'events', '[]'::jsonb);
    END IF;
    RETURN jsonb_build_object('recovered', true, 'rooms', to_jsonb(rooms), 'events', evs);
END
$$;
COMMENT ON FUNCTION roomcast.recover(text, text, bigint, interval, int) IS
    'roomcast (notifier): a reconnecting session''s rooms and missed events, {recovered, rooms, events:[{p,r,n,e,d}]}';
