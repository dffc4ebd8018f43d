-- roomcast install script, assembled from extension/ddl/NN_*.ddl.sql in name order.
\echo Use "CREATE EXTENSION roomcast" to load this file. \quit

-- 00: roles and the shared building blocks every other fragment relies on.

-- Roles are cluster-wide: create them only when missing, so the extension can
-- be installed in several databases of one cluster.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_service') THEN
        CREATE ROLE roomcast_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_notifier') THEN
        CREATE ROLE roomcast_notifier NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$roles$;

COMMENT ON ROLE roomcast_service IS
    'roomcast: trusted backends and jobs (set_identity, issue_tokens, sign)';
COMMENT ON ROLE roomcast_notifier IS
    'roomcast: the notifier daemon (LISTEN, roomcast.rpc, reading signing keys); grant it to a LOGIN role';

GRANT USAGE ON SCHEMA roomcast TO PUBLIC;
