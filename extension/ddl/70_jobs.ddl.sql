
-- 70: jobs, the AI request queue (SPEC §9, extension/jobs.c).
--
-- Every table here is written only by the C functions, as the extension
-- owner (rcspi.h); no role gets table privileges. Workers (members of
-- roomcast_worker) act through claim/progress/chunk/complete/fail; requesters
-- through enqueue/cancel/job_status under their identity.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roomcast_worker') THEN
        CREATE ROLE roomcast_worker NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$roles$;
COMMENT ON ROLE roomcast_worker IS
    'roomcast: job workers (claim, progress, chunk, complete, fail); grant it to a LOGIN role';

-- Age within a priority: a sequence, so ties never depend on the clock
CREATE SEQUENCE roomcast.jobs_seq;

CREATE TABLE roomcast.jobs (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    user_id      uuid,                    -- the requester; NULL for a service identity
    kind         text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
    payload      jsonb       NOT NULL,
    priority     smallint    NOT NULL CHECK (priority BETWEEN 0 AND 3),  -- 3 critical .. 0 low
    seq          bigint      NOT NULL,
    status       text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    run_at       timestamptz NOT NULL,    -- due time (delay, back-off)
    attempt      int         NOT NULL DEFAULT 0,
    max_attempts int         NOT NULL CHECK (max_attempts BETWEEN 1 AND 25),
    lease_ms     int         NOT NULL DEFAULT 60000,
    lease_until  timestamptz,
    worker       oid,                     -- the role holding the lease
    last_seq     int         NOT NULL DEFAULT -1,  -- highest chunk seq of this attempt
    progress     int         NOT NULL DEFAULT 0,
    result       jsonb,
    error        text,
    cached       boolean     NOT NULL DEFAULT false,
    cache        boolean     NOT NULL DEFAULT false,
    dedupe_key   text,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE roomcast.jobs IS
    'roomcast: the job queue (SPEC §9); written only through the roomcast job functions';
-- claim: "due, by priority, then age" for one kind, queued jobs only
CREATE INDEX jobs_claim ON roomcast.jobs (kind, priority DESC, seq) WHERE status = 'queued';
-- workers name jobs by id alone
CREATE UNIQUE INDEX jobs_id ON roomcast.jobs (id);
-- leases to expire
CREATE INDEX jobs_leases ON roomcast.jobs (lease_until) WHERE status = 'running';
-- dedupe: one active job per (tenant, kind, key)
CREATE UNIQUE INDEX jobs_dedupe ON roomcast.jobs (tenant_id, kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');
-- retention
CREATE INDEX jobs_finished ON roomcast.jobs (finished_at) WHERE finished_at IS NOT NULL;
ALTER TABLE roomcast.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant ON roomcast.jobs FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
SELECT pg_catalog.pg_extension_config_dump('roomcast.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('roomcast.jobs_seq', '');

-- Per tenant and kind: claims per minute (set_job_limit)
CREATE TABLE roomcast.job_limits (
    tenant_id  uuid NOT NULL,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
    per_minute int  NOT NULL CHECK (per_minute >= 0),
    PRIMARY KEY (tenant_id, kind)
);
COMMENT ON TABLE roomcast.job_limits IS 'roomcast: job claims per minute per tenant and kind (0 = unlimited)';
ALTER TABLE roomcast.job_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY job_limits_tenant ON roomcast.job_limits FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());
SELECT pg_catalog.pg_extension_config_dump('roomcast.job_limits', '');

-- Claims counted per tenant, kind and minute (fixed windows)
CREATE TABLE roomcast.job_rate (
    tenant_id  uuid        NOT NULL,
    kind       text        NOT NULL,
    minute     timestamptz NOT NULL,
    claimed    int         NOT NULL,
    per_minute int         NOT NULL,
    PRIMARY KEY (tenant_id, kind, minute)
);
COMMENT ON TABLE roomcast.job_rate IS 'roomcast: claims per tenant, kind and minute, for the job limits';
ALTER TABLE roomcast.job_rate ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_rate FORCE ROW LEVEL SECURITY;
CREATE POLICY job_rate_tenant ON roomcast.job_rate FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());

-- Cached results: (tenant, kind, sha-256 of the payload's jsonb text)
CREATE TABLE roomcast.job_cache (
    tenant_id    uuid        NOT NULL,
    kind         text        NOT NULL,
    payload_hash bytea       NOT NULL,
    result       jsonb       NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, payload_hash)
);
COMMENT ON TABLE roomcast.job_cache IS 'roomcast: cached job results, kept 300/600/1800/3600 s by priority';
ALTER TABLE roomcast.job_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE roomcast.job_cache FORCE ROW LEVEL SECURITY;
CREATE POLICY job_cache_tenant ON roomcast.job_cache FOR ALL
    USING (tenant_id = roomcast.current_tenant())
    WITH CHECK (tenant_id = roomcast.current_tenant());

-- ---- requester functions (any identity) ----

CREATE FUNCTION roomcast.enqueue(kind text, payload jsonb, priority text DEFAULT 'normal',
                                 opts jsonb DEFAULT '{}')
RETURNS uuid LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'enqueue';
COMMENT ON FUNCTION roomcast.enqueue(text, jsonb, text, jsonb) IS
    'roomcast: queue a job under the current identity; opts: delay_ms, max_attempts, dedupe_key, cache';

CREATE FUNCTION roomcast.cancel(id uuid)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_cancel';
COMMENT ON FUNCTION roomcast.cancel(uuid) IS
    'roomcast: cancel a queued or running job (its requester, the tenant''s admin or service); false when already finished';

CREATE FUNCTION roomcast.job_status(id uuid)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT STABLE
AS 'MODULE_PATHNAME', 'job_status';
COMMENT ON FUNCTION roomcast.job_status(uuid) IS
    'roomcast: {status, position, progress, attempt, result | error} of a job of the current tenant';

CREATE FUNCTION roomcast.set_job_limit(kind text, per_minute int)
RETURNS void LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'set_job_limit';
COMMENT ON FUNCTION roomcast.set_job_limit(text, int) IS
    'roomcast: claims per minute of kind for the current tenant (admin or service; 0 = unlimited)';

-- ---- worker functions (roomcast_worker) ----

CREATE FUNCTION roomcast.claim(kinds text[], n int DEFAULT 1, lease interval DEFAULT '60 s')
RETURNS SETOF jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE ROWS 1
AS 'MODULE_PATHNAME', 'claim';
COMMENT ON FUNCTION roomcast.claim(text[], int, interval) IS
    'roomcast (worker): up to n due jobs of kinds, highest priority then oldest, FOR UPDATE SKIP LOCKED';

CREATE FUNCTION roomcast.progress(id uuid, pct int, data jsonb DEFAULT NULL)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_progress';
COMMENT ON FUNCTION roomcast.progress(uuid, int, jsonb) IS
    'roomcast (worker): report 0-100 progress of a held job; false once it was cancelled';

CREATE FUNCTION roomcast.chunk(id uuid, seq int, text text)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_chunk';
COMMENT ON FUNCTION roomcast.chunk(uuid, int, text) IS
    'roomcast (worker): stream one piece of a held job''s reply (seq increasing); false once it was cancelled';

CREATE FUNCTION roomcast.complete(id uuid, result jsonb)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_complete';
COMMENT ON FUNCTION roomcast.complete(uuid, jsonb) IS
    'roomcast (worker): finish a held job with result; false when it was cancelled meanwhile';

CREATE FUNCTION roomcast.fail(id uuid, error text, retryable boolean DEFAULT true)
RETURNS boolean LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'job_fail';
COMMENT ON FUNCTION roomcast.fail(uuid, text, boolean) IS
    'roomcast (worker): fail the attempt; retried with exponential back-off while attempts remain';

CREATE FUNCTION roomcast.act_for_job(id uuid)
RETURNS jsonb LANGUAGE c CALLED ON NULL INPUT VOLATILE
AS 'MODULE_PATHNAME', 'act_for_job';
COMMENT ON FUNCTION roomcast.act_for_job(uuid) IS
    'roomcast (worker): take the identity (tenant, requester) of a held job for the rest of the transaction';

DO $grants$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['roomcast.claim(text[], int, interval)', 'roomcast.progress(uuid, int, jsonb)',
                             'roomcast.chunk(uuid, int, text)', 'roomcast.complete(uuid, jsonb)',
                             'roomcast.fail(uuid, text, boolean)', 'roomcast.act_for_job(uuid)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO roomcast_worker', f);
    END LOOP;
END
$grants$;

-- maintain(): expired leases back into the queue (or failed), finished jobs
-- past roomcast.job_retention, expired cache entries and old rate windows.
CREATE FUNCTION roomcast._jobs_maintain(at timestamptz)
RETURNS jsonb LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobs_maintain';
REVOKE ALL ON FUNCTION roomcast._jobs_maintain(timestamptz) FROM PUBLIC;
