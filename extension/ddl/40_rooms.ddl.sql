
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
