
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
