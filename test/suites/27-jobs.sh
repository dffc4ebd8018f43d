# Suite: the job queue across sessions (SPEC §9).
#  - test/jobs/concurrency.mjs: 8 concurrent claimers over 10,000 jobs
#    (SKIP LOCKED: each claimed exactly once), LISTEN roomcast_jobs wake-ups,
#    forged NOTIFYs, roles
#  - examples/assistant/worker.py (python3-psycopg): claims assistant jobs,
#    streams word by word, retries on the marker, honours cancellation
cd "$RC_ROOT/test" || exit 1
db=rc_jobs_mt
psql -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >&2 || exit 1
psql -X -q -d "$db" -v ON_ERROR_STOP=1 >&2 <<'SQL' || exit 1
CREATE EXTENSION pgcrypto;
CREATE EXTENSION roomcast;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_jobs_worker') THEN
        CREATE ROLE rc_jobs_worker LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_jobs_app') THEN
        CREATE ROLE rc_jobs_app LOGIN;
    END IF;
END $$;
GRANT roomcast_worker TO rc_jobs_worker;
GRANT roomcast_service TO rc_jobs_app;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('27000000-0000-0000-0000-00000000000a', 'jobs-mt-a', 'Jobs A'),
    ('27000000-0000-0000-0000-00000000000b', 'jobs-mt-b', 'Jobs B');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('27000000-0000-0000-0000-00000000000a', '27000000-0000-0000-0000-000000000001', 'a1@jobs.test'),
    ('27000000-0000-0000-0000-00000000000b', '27000000-0000-0000-0000-000000000002', 'b2@jobs.test');
SQL

status=0

# --- a hostile search_path: an application role owning a schema with its own
# "=", now(), count(), sha256(), gen_random_uuid() and nextval() first on its
# path runs none of them through the job functions (SPEC §1)
out=$(psql -X -q -t -A -d "$db" 2>&1 <<'SQL'
RESET ROLE;
DROP SCHEMA IF EXISTS evil CASCADE;
CREATE SCHEMA evil AUTHORIZATION rc_jobs_app;
CREATE TABLE public.evil_ran (what text);
GRANT INSERT ON public.evil_ran TO PUBLIC;
SET ROLE rc_jobs_app;
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('text =') RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.uuideq(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('uuid =') RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.uuideq);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('now') RETURNING pg_catalog.now() $$;
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('sha256') RETURNING '\x00'::bytea $$;
CREATE FUNCTION evil.gen_random_uuid() RETURNS uuid LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('uuid') RETURNING '00000000-0000-0000-0000-000000000000'::uuid $$;
CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('nextval') RETURNING 1::bigint $$;
CREATE FUNCTION evil.unnest(text[]) RETURNS SETOF text LANGUAGE sql AS $$ INSERT INTO public.evil_ran VALUES ('unnest') RETURNING 'evil' $$;
SET search_path = evil, pg_catalog, public;
-- control: the planted operator does catch the role's own queries
SELECT 'control:' || ('a'::text = 'b'::text);
RESET ROLE;
SELECT 'control-ran:' || count(*) FROM public.evil_ran;
TRUNCATE public.evil_ran;
SET ROLE rc_jobs_app;
SET search_path = evil, pg_catalog, public;
BEGIN;
SELECT roomcast.set_identity('27000000-0000-0000-0000-00000000000a', '27000000-0000-0000-0000-000000000001', 'admin');
SELECT roomcast.set_job_limit('evil', 100);
SELECT roomcast.enqueue('evil', '{"x": 1}', 'high', '{"cache": true, "dedupe_key": "k"}') IS NOT NULL;
SELECT roomcast.enqueue('evil', '{"x": 1}', 'high', '{"cache": true, "dedupe_key": "k"}') IS NOT NULL;
COMMIT;
RESET ROLE;
SET ROLE rc_jobs_worker;
SET search_path = evil, pg_catalog, public;
SELECT roomcast.chunk((c->>'id')::uuid, 0, 'x') AND roomcast.progress((c->>'id')::uuid, 50)
       AND roomcast.complete((c->>'id')::uuid, '{"ok": true}') FROM roomcast.claim(ARRAY['evil'], 5) c;
RESET ROLE;
SET ROLE rc_jobs_app;
SET search_path = evil, pg_catalog, public;
BEGIN;
SELECT roomcast.set_identity('27000000-0000-0000-0000-00000000000a', '27000000-0000-0000-0000-000000000001', 'admin');
SELECT roomcast.job_status(roomcast.enqueue('evil', '{"x": 1}', 'high', '{"cache": true}'))->>'cached';
SELECT roomcast.cancel(roomcast.enqueue('evil', '{"x": 2}'));
COMMIT;
RESET ROLE;
SELECT 'ran:' || count(*) FROM public.evil_ran;
SQL
)
echo "$out" >&2
if [ "$(echo "$out" | tail -1)" = "ran:0" ] && echo "$out" | grep -q '^control-ran:[1-9]' &&
	[ "$(echo "$out" | grep -c '^t$')" = 4 ] && echo "$out" | grep -q '^true$' && ! echo "$out" | grep -q ERROR; then
	echo "ok - hostile search_path (own =, now(), sha256(), gen_random_uuid(), nextval(), unnest() first): enqueue, cache, dedupe, limits, claim, chunk, progress, complete, cancel run none of them"
else
	echo "not ok - hostile search_path: the job functions ran a planted function or failed"
	status=1
fi
echo "# SECURITY|jobs/search_path|app role plants =, now(), sha256(), nextval(), unnest() first on search_path and calls every job function|none of them runs; results correct"

node jobs/concurrency.mjs "$db" || status=1
bash jobs/assistant.sh "$db" || status=1
exit $status
