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
node jobs/concurrency.mjs "$db" || status=1
bash jobs/assistant.sh "$db" || status=1
exit $status
