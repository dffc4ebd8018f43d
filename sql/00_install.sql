-- The extension installs, its schema and roles exist.
SELECT extname, extversion FROM pg_extension WHERE extname = 'roomcast';
SELECT rolname, rolsuper, rolbypassrls FROM pg_roles
 WHERE rolname IN ('roomcast_service', 'roomcast_notifier') ORDER BY 1;

-- err(sql): run sql and return 'ok: <its first value>' ('ok: null' when it has
-- none), or 'SQLSTATE: message' when it fails. Every later script of this
-- suite (same database) uses it, so error codes are checked with the results.
CREATE OR REPLACE FUNCTION public.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE sql INTO r;
    RETURN 'ok: ' || coalesce(r, 'null');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
