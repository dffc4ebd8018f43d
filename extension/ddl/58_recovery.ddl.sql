
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
