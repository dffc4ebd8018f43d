
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
