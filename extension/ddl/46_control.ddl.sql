
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
