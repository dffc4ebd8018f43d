-- The extension installs, its schema and roles exist.
SELECT extname, extversion FROM pg_extension WHERE extname = 'roomcast';
SELECT rolname, rolsuper, rolbypassrls FROM pg_roles
 WHERE rolname IN ('roomcast_service', 'roomcast_notifier') ORDER BY 1;
