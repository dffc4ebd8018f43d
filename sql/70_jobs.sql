-- Jobs (SPEC §9): bad input, priority order, back-off and lease expiry on the
-- testing clock, dedupe, the cache, cancellation, per-tenant limits,
-- retention, tenant isolation, the events each step emits, and the rpc
-- methods. Concurrency (SKIP LOCKED) is tested by test/suites/27-jobs.sh.
-- Tenants 70000000-…-a (A) and -b (B); users …-1, …-2 in each.
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('70000000-0000-0000-0000-00000000000a', 'jobs-a', 'Jobs A'),
    ('70000000-0000-0000-0000-00000000000b', 'jobs-b', 'Jobs B');
INSERT INTO roomcast.users (tenant_id, id, email)
SELECT t::uuid, ('70000000-0000-0000-0000-00000000000' || n)::uuid, n || '@' || right(t, 1) || '.jobs.test'
  FROM unnest(ARRAY['70000000-0000-0000-0000-00000000000a', '70000000-0000-0000-0000-00000000000b']) t,
       generate_series(1, 2) n;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_test_worker') THEN
        CREATE ROLE rc_test_worker NOLOGIN;
        CREATE ROLE rc_test_worker2 NOLOGIN;
    END IF;
END $$;
GRANT roomcast_worker TO rc_test_worker, rc_test_worker2;
-- act as user n of tenant t ('a' or 'b') with role r until the end of the transaction
CREATE FUNCTION pg_temp.as_user(n int, t text DEFAULT 'a', r text DEFAULT 'member') RETURNS void LANGUAGE sql AS $$
    SELECT roomcast.set_identity(('70000000-0000-0000-0000-00000000000' || t)::uuid,
                                 ('70000000-0000-0000-0000-00000000000' || n)::uuid, r)
$$;
GRANT EXECUTE ON FUNCTION pg_temp.as_user(int, text, text) TO PUBLIC;
CREATE TABLE pg_temp.ids (k text PRIMARY KEY, id uuid);
GRANT ALL ON pg_temp.ids TO PUBLIC;
CREATE FUNCTION pg_temp.id(k text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM pg_temp.ids WHERE ids.k = $1 $$;
GRANT EXECUTE ON FUNCTION pg_temp.id(text) TO PUBLIC;
-- the job events of tenant t since pos p, without ids and timestamps
CREATE FUNCTION pg_temp.jobev(t text, p bigint) RETURNS TABLE (room text, event text, data jsonb)
LANGUAGE sql AS $$
    SELECT replace(room, '70000000-0000-0000-0000-00000000000', '…'), event, data - 'id' - 'timestamp'
      FROM roomcast.events
     WHERE tenant_id = ('70000000-0000-0000-0000-00000000000' || t)::uuid AND pos > p AND event LIKE 'job:%'
     ORDER BY pos
$$;
CREATE FUNCTION pg_temp.maxpos() RETURNS bigint LANGUAGE sql AS $$ SELECT coalesce(max(pos), 0) FROM roomcast.events $$;
CREATE TABLE pg_temp.mark (p bigint);
GRANT ALL ON pg_temp.mark TO PUBLIC;
-- err() with job ids in messages replaced by <id>
CREATE FUNCTION pg_temp.e(sql text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(err(sql), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.e(text) TO PUBLIC;
INSERT INTO pg_temp.mark VALUES (pg_temp.maxpos());
SET roomcast.clock_override = 2000000000;   -- T

-- ---- bad input gets a clear error and changes nothing
SET ROLE rc_test_app;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}')$$) AS no_identity;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'urgent')$$) AS unknown_priority;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '{"delay_ms": -1}')$$) AS negative_delay;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '{"max_attempts": 0}')$$) AS zero_attempts;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '{"retries": 2}')$$) AS unknown_option;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '{"dedupe_key": 7}')$$) AS dedupe_not_string;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '{"cache": "yes"}')$$) AS cache_not_bool;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', '{}', 'normal', '[]')$$) AS opts_not_object;
SELECT pg_temp.e($$SELECT roomcast.enqueue('Bad Kind', '{}')$$) AS bad_kind;
SELECT pg_temp.e($$SELECT roomcast.enqueue('assistant', NULL)$$) AS null_payload;
SELECT pg_temp.e(format($$SELECT roomcast.enqueue('assistant', %L)$$, jsonb_build_object('p', repeat('x', 70000)))) AS payload_over_limit;
SELECT pg_temp.e($$SELECT roomcast.set_job_limit('assistant', 5)$$) AS member_sets_limit;
COMMIT;
RESET ROLE;
SELECT count(*) AS jobs_after_bad_input FROM roomcast.jobs;
-- an application role cannot read or write the queue, nor claim
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT pg_temp.e($$SELECT count(*) FROM roomcast.jobs$$) AS app_reads_jobs;
COMMIT;
SELECT pg_temp.e($$SELECT roomcast.claim(ARRAY['assistant'])$$) AS app_claims;
SELECT pg_temp.e($$SELECT roomcast.complete('70000000-0000-0000-0000-000000000000', '{}')$$) AS app_completes;
RESET ROLE;

-- ---- priority order: critical, high, normal (oldest first), low once due
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
INSERT INTO pg_temp.ids
SELECT p.k, roomcast.enqueue('prio', jsonb_build_object('n', p.k), p.prio, '{"delay_ms": 0}')
  FROM (VALUES ('low', 'low'), ('normal1', 'normal'), ('high', 'high'), ('critical', 'critical'), ('normal2', 'normal')) p(k, prio);
COMMIT;
RESET ROLE;
SELECT * FROM pg_temp.jobev('a', (SELECT p FROM pg_temp.mark));
SET ROLE rc_test_worker;
SELECT pg_temp.e($$SELECT roomcast.claim(ARRAY['prio'], 0)$$) AS claim_zero;
SELECT pg_temp.e($$SELECT roomcast.claim(ARRAY['prio'], 101)$$) AS claim_over_batch;
SELECT pg_temp.e($$SELECT roomcast.claim(ARRAY['prio'], 1, '0.5 s')$$) AS short_lease;
SELECT pg_temp.e($$SELECT roomcast.claim(ARRAY['Prio'])$$) AS bad_kind;
SELECT c->'payload'->>'n' AS n, c->>'priority' AS priority, c->>'attempt' AS attempt,
       c->>'tenant_id' = '70000000-0000-0000-0000-00000000000a' AS tenant, c->>'user_id' = '70000000-0000-0000-0000-000000000001' AS user
  FROM roomcast.claim(ARRAY['prio'], 10) c;
SELECT count(*) AS nothing_left FROM roomcast.claim(ARRAY['prio'], 10);
RESET ROLE;
-- low priority waits 5 s by default
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
INSERT INTO pg_temp.ids VALUES ('lowdelay', roomcast.enqueue('lowq', '{}', 'low'));
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS low_before_5s FROM roomcast.claim(ARRAY['lowq']);
RESET ROLE;
SET roomcast.clock_override = 2000000005;
SET ROLE rc_test_worker;
SELECT count(*) AS low_at_5s FROM roomcast.claim(ARRAY['lowq']);
RESET ROLE;
SET roomcast.clock_override = 2000000000;

-- ---- progress, chunks, complete; errors for jobs not held
TRUNCATE pg_temp.mark;
INSERT INTO pg_temp.mark VALUES (pg_temp.maxpos());
SET ROLE rc_test_worker;
SELECT pg_temp.e($$SELECT roomcast.progress(pg_temp.id('critical'), 101)$$) AS progress_101;
SELECT pg_temp.e($$SELECT roomcast.progress(pg_temp.id('critical'), -1)$$) AS progress_negative;
SELECT roomcast.progress(pg_temp.id('critical'), 40, '{"stage": "thinking"}') AS progress;
SELECT roomcast.chunk(pg_temp.id('critical'), 0, 'Hello') AS chunk0,
       roomcast.chunk(pg_temp.id('critical'), 1, ' world') AS chunk1;
SELECT pg_temp.e($$SELECT roomcast.chunk(pg_temp.id('critical'), 1, 'again')$$) AS chunk_seq_repeated;
SELECT pg_temp.e($$SELECT roomcast.chunk(pg_temp.id('critical'), -1, 'x')$$) AS chunk_seq_negative;
SELECT pg_temp.e(format($$SELECT roomcast.chunk(pg_temp.id('critical'), 5, %L)$$, repeat('x', 70000))) AS chunk_over_limit;
SELECT pg_temp.e($$SELECT roomcast.chunk('70000000-0000-0000-0000-000000000000', 0, 'x')$$) AS chunk_unknown_job;
SELECT pg_temp.e($$SELECT roomcast.complete(pg_temp.id('critical'), jsonb_build_object('p', repeat('x', 70000)))$$) AS result_over_limit;
SELECT roomcast.complete(pg_temp.id('critical'), '{"text": "Hello world"}') AS completed;
SELECT pg_temp.e($$SELECT roomcast.complete(pg_temp.id('critical'), '{}')$$) AS second_complete;
SELECT pg_temp.e($$SELECT roomcast.chunk(pg_temp.id('critical'), 9, 'late')$$) AS chunk_after_complete;
RESET ROLE;
SET ROLE rc_test_worker2;
SELECT pg_temp.e($$SELECT roomcast.chunk(pg_temp.id('high'), 0, 'not mine')$$) AS chunk_other_workers_job;
SELECT pg_temp.e($$SELECT roomcast.complete(pg_temp.id('high'), '{}')$$) AS complete_other_workers_job;
RESET ROLE;
SELECT * FROM pg_temp.jobev('a', (SELECT p FROM pg_temp.mark));
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT roomcast.job_status(pg_temp.id('critical')) - 'id' AS status_completed;
SELECT roomcast.job_status(pg_temp.id('high')) - 'id' AS status_running;
COMMIT;

-- ---- back-off on the testing clock: 2 s, 4 s (normal); 1 s, 2 s … (high)
BEGIN;
SELECT pg_temp.as_user(1);
INSERT INTO pg_temp.ids VALUES ('retry', roomcast.enqueue('retry', '{}', 'normal', '{"max_attempts": 3}')),
                               ('retryhi', roomcast.enqueue('retryhi', '{}', 'high'));
COMMIT;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS attempt FROM roomcast.claim(ARRAY['retry']) c;
SELECT roomcast.fail(pg_temp.id('retry'), 'model timeout') AS failed_1;
SELECT count(*) AS at_1_9s FROM roomcast.claim(ARRAY['retry']);
RESET ROLE;
SET roomcast.clock_override = 2000000002;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS attempt_at_2s FROM roomcast.claim(ARRAY['retry']) c;
SELECT roomcast.fail(pg_temp.id('retry'), 'model timeout') AS failed_2;
RESET ROLE;
SET roomcast.clock_override = 2000000005;
SET ROLE rc_test_worker;
SELECT count(*) AS at_2s_plus_3s FROM roomcast.claim(ARRAY['retry']);
RESET ROLE;
SET roomcast.clock_override = 2000000006;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS attempt_at_2s_plus_4s FROM roomcast.claim(ARRAY['retry']) c;
SELECT roomcast.fail(pg_temp.id('retry'), 'model timeout') AS failed_3_final;
-- high priority: 1 s after the first failure; a non-retryable failure is final at once
SELECT c->>'attempt' AS hi_attempt FROM roomcast.claim(ARRAY['retryhi']) c;
SELECT roomcast.fail(pg_temp.id('retryhi'), 'busy') AS hi_failed_1;
RESET ROLE;
SET roomcast.clock_override = 2000000007;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS hi_attempt_at_1s FROM roomcast.claim(ARRAY['retryhi']) c;
SELECT roomcast.fail(pg_temp.id('retryhi'), 'bad request', false) AS hi_not_retryable;
RESET ROLE;
SELECT status, attempt, error FROM roomcast.jobs WHERE id IN (pg_temp.id('retry'), pg_temp.id('retryhi')) ORDER BY kind;
SELECT event, data - 'id' - 'timestamp' - 'kind' AS data FROM roomcast.events
 WHERE data->>'id' = pg_temp.id('retry')::text ORDER BY pos;

-- ---- lease expiry: maintain() requeues, as a failed attempt; the late worker is refused
SET roomcast.clock_override = 2000000100;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
INSERT INTO pg_temp.ids VALUES ('lease', roomcast.enqueue('lease', '{}', 'normal', '{"max_attempts": 2}'));
COMMIT;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS attempt FROM roomcast.claim(ARRAY['lease'], 1, '10 s') c;
RESET ROLE;
SET roomcast.clock_override = 2000000105;
SET ROLE rc_test_worker;
SELECT roomcast.chunk(pg_temp.id('lease'), 0, 'renews the lease until 115') AS chunk_at_105;
RESET ROLE;
SET roomcast.clock_override = 2000000114;
SELECT roomcast._jobs_maintain(to_timestamp(2000000114)) AS maintain_at_114;
SET roomcast.clock_override = 2000000116;
SELECT roomcast._jobs_maintain(to_timestamp(2000000116)) AS maintain_at_116;
-- maintain() runs the same step
SELECT roomcast.maintain()->'jobs' AS maintain_now;
SET ROLE rc_test_worker;
SELECT pg_temp.e($$SELECT roomcast.complete(pg_temp.id('lease'), '{}')$$) AS complete_after_expiry;
SELECT count(*) AS before_backoff FROM roomcast.claim(ARRAY['lease'], 1, '10 s');
RESET ROLE;
SET roomcast.clock_override = 2000000118;
SET ROLE rc_test_worker;
SELECT c->>'attempt' AS attempt_after_backoff FROM roomcast.claim(ARRAY['lease'], 1, '10 s') c;
RESET ROLE;
-- claim() itself also expires leases: the last attempt ran out, so the job fails
SET roomcast.clock_override = 2000000200;
SET ROLE rc_test_worker;
SELECT count(*) AS claimed FROM roomcast.claim(ARRAY['lease']);
RESET ROLE;
SELECT status, attempt, error FROM roomcast.jobs WHERE id = pg_temp.id('lease');

-- ---- dedupe: an active job with the same key is returned; a finished one is not
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
INSERT INTO pg_temp.ids VALUES ('d1', roomcast.enqueue('dd', '{"q": 1}', 'normal', '{"dedupe_key": "case-7"}')),
                               ('d2', roomcast.enqueue('dd', '{"q": 2}', 'normal', '{"dedupe_key": "case-7"}')),
                               ('d3', roomcast.enqueue('dd', '{"q": 3}', 'normal', '{"dedupe_key": "case-8"}'));
COMMIT;
BEGIN;
SELECT pg_temp.as_user(1, 'b');
INSERT INTO pg_temp.ids VALUES ('dB', roomcast.enqueue('dd', '{"q": 1}', 'normal', '{"dedupe_key": "case-7"}'));
COMMIT;
SELECT pg_temp.id('d1') = pg_temp.id('d2') AS same_key_same_job, pg_temp.id('d1') <> pg_temp.id('d3') AS other_key,
       pg_temp.id('d1') <> pg_temp.id('dB') AS other_tenant;
SET ROLE rc_test_worker;
SELECT c->'payload' AS payload FROM roomcast.claim(ARRAY['dd'], 10) c ORDER BY (c->'payload')::text;
SELECT roomcast.complete(pg_temp.id('d1'), '{}') AS completed;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT roomcast.enqueue('dd', '{"q": 4}', 'normal', '{"dedupe_key": "case-7"}') <> pg_temp.id('d1') AS new_after_finish;
COMMIT;

-- ---- cache: an identical request completes at once with cached: true
RESET ROLE;
TRUNCATE pg_temp.mark;
INSERT INTO pg_temp.mark VALUES (pg_temp.maxpos());
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(2);
INSERT INTO pg_temp.ids VALUES ('c1', roomcast.enqueue('cq', '{"prompt": "hi", "n": 1}', 'normal', '{"cache": true}'));
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS claimed FROM roomcast.claim(ARRAY['cq']);
SELECT roomcast.complete(pg_temp.id('c1'), '{"answer": 42}') AS completed;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(2);
INSERT INTO pg_temp.ids VALUES ('c2', roomcast.enqueue('cq', '{"n": 1, "prompt": "hi"}', 'normal', '{"cache": true}'));
SELECT roomcast.job_status(pg_temp.id('c2')) - 'id' AS cache_hit;
INSERT INTO pg_temp.ids VALUES ('c3', roomcast.enqueue('cq', '{"n": 2, "prompt": "hi"}', 'normal', '{"cache": true}'));
SELECT roomcast.job_status(pg_temp.id('c3'))->>'status' AS other_payload_misses;
COMMIT;
BEGIN;
SELECT pg_temp.as_user(1, 'b');
SELECT roomcast.job_status(roomcast.enqueue('cq', '{"n": 1, "prompt": "hi"}', 'normal', '{"cache": true}'))->>'status' AS other_tenant_misses;
COMMIT;
RESET ROLE;
SET roomcast.clock_override = 2000002001;   -- normal: kept 1800 s
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(2);
SELECT roomcast.job_status(roomcast.enqueue('cq', '{"n": 1, "prompt": "hi"}', 'normal', '{"cache": true}'))->>'status' AS after_1800s;
COMMIT;
RESET ROLE;
SELECT * FROM pg_temp.jobev('a', (SELECT p FROM pg_temp.mark)) WHERE room LIKE '%:…2';

-- ---- cancellation is seen by progress and chunk; complete does nothing after it
TRUNCATE pg_temp.mark;
INSERT INTO pg_temp.mark VALUES (pg_temp.maxpos());
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(2);
INSERT INTO pg_temp.ids VALUES ('x', roomcast.enqueue('xq', '{}'));
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS claimed FROM roomcast.claim(ARRAY['xq']);
SELECT roomcast.chunk(pg_temp.id('x'), 0, 'one') AS chunk_before_cancel;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT pg_temp.e($$SELECT roomcast.cancel(pg_temp.id('x'))$$) AS other_user_cancels;
COMMIT;
BEGIN;
SELECT pg_temp.as_user(2);
SELECT roomcast.cancel(pg_temp.id('x')) AS requester_cancels;
SELECT roomcast.cancel(pg_temp.id('x')) AS cancel_again;
COMMIT;
SET ROLE rc_test_worker;
SELECT roomcast.progress(pg_temp.id('x'), 50) AS progress_after_cancel,
       roomcast.chunk(pg_temp.id('x'), 1, 'two') AS chunk_after_cancel,
       roomcast.complete(pg_temp.id('x'), '{}') AS complete_after_cancel,
       roomcast.fail(pg_temp.id('x'), 'x') AS fail_after_cancel;
RESET ROLE;
SELECT * FROM pg_temp.jobev('a', (SELECT p FROM pg_temp.mark)) WHERE data->>'kind' = 'xq';
-- the tenant's admin may cancel anyone's job
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(2);
INSERT INTO pg_temp.ids VALUES ('x2', roomcast.enqueue('xq', '{}'));
COMMIT;
BEGIN;
SELECT pg_temp.as_user(1, 'a', 'admin');
SELECT roomcast.cancel(pg_temp.id('x2')) AS admin_cancels;
COMMIT;

-- ---- tenant isolation: B sees nothing of A's jobs; same answer as for no job at all
BEGIN;
SELECT pg_temp.as_user(1, 'b', 'admin');
SELECT pg_temp.e($$SELECT roomcast.job_status(pg_temp.id('critical'))$$) AS status_of_other_tenant;
SELECT pg_temp.e($$SELECT roomcast.job_status('70000000-0000-0000-0000-000000000000')$$) AS status_of_no_job;
SELECT pg_temp.e($$SELECT roomcast.cancel(pg_temp.id('high'))$$) AS cancel_other_tenant;
SELECT count(*) AS a_events_seen_by_b FROM roomcast.events WHERE event LIKE 'job:%' AND tenant_id <> roomcast.current_tenant();
COMMIT;
RESET ROLE;
SELECT status FROM roomcast.jobs WHERE id = pg_temp.id('high');
-- a worker acts for the requester of a job it holds, never as admin; having
-- taken tenant B's identity it cannot touch tenant A's job
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1, 'a', 'admin');
INSERT INTO pg_temp.ids VALUES ('act', roomcast.enqueue('act', '{}'));
COMMIT;
BEGIN;
SELECT pg_temp.as_user(2, 'b');
INSERT INTO pg_temp.ids VALUES ('actb', roomcast.enqueue('actb', '{}'));
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS claimed FROM roomcast.claim(ARRAY['act', 'actb'], 2);
BEGIN;
SELECT roomcast.act_for_job(pg_temp.id('act')) = '{"tenant_id": "70000000-0000-0000-0000-00000000000a", "user_id": "70000000-0000-0000-0000-000000000001"}' AS acts_for_requester,
       roomcast.current_role() AS role;
COMMIT;
BEGIN;
SELECT roomcast.act_for_job(pg_temp.id('actb'))->>'user_id' AS acting_for;
SELECT pg_temp.e($$SELECT roomcast.chunk(pg_temp.id('act'), 0, 'cross')$$) AS chunk_other_tenant;
SELECT pg_temp.e($$SELECT roomcast.act_for_job(pg_temp.id('act'))$$) AS act_for_other_tenant;
COMMIT;
RESET ROLE;

-- ---- per-tenant limits: A at 2 a minute is skipped, B proceeds
RESET ROLE;
SET roomcast.clock_override = 2000003000;   -- 50 minutes in: minute 2000002980
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1, 'a', 'admin');
SELECT roomcast.set_job_limit('lim', 2);
SELECT pg_temp.e($$SELECT roomcast.set_job_limit('lim', -1)$$) AS negative_limit;
SELECT roomcast.enqueue('lim', jsonb_build_object('t', 'a', 'i', i)) IS NOT NULL FROM generate_series(1, 4) i;
COMMIT;
BEGIN;
SELECT pg_temp.as_user(1, 'b');
SELECT roomcast.enqueue('lim', jsonb_build_object('t', 'b', 'i', i)) IS NOT NULL FROM generate_series(1, 3) i;
COMMIT;
SET ROLE rc_test_worker;
SELECT c->'payload'->>'t' AS tenant, count(*) FROM roomcast.claim(ARRAY['lim'], 3) c GROUP BY 1 ORDER BY 1;
SELECT c->'payload'->>'t' AS tenant, count(*) FROM roomcast.claim(ARRAY['lim'], 3) c GROUP BY 1 ORDER BY 1;
SELECT count(*) AS nothing_for_a_this_minute FROM roomcast.claim(ARRAY['lim'], 3);
RESET ROLE;
SET roomcast.clock_override = 2000003040;   -- the next minute
SET ROLE rc_test_worker;
SELECT c->'payload'->>'t' AS tenant, count(*) AS next_minute FROM roomcast.claim(ARRAY['lim'], 3) c GROUP BY 1;
RESET ROLE;
-- raising the limit applies within the minute
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1, 'a', 'admin');
SELECT roomcast.set_job_limit('lim', 10);
SELECT roomcast.enqueue('lim', '{"t": "a"}') IS NOT NULL;
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS after_raise FROM roomcast.claim(ARRAY['lim'], 3);
RESET ROLE;
-- roomcast.job_limit_default applies to tenants without a limit
SET roomcast.job_limit_default = 1;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1, 'b');
SELECT roomcast.enqueue('deflim', jsonb_build_object('i', i)) IS NOT NULL FROM generate_series(1, 2) i;
COMMIT;
SET ROLE rc_test_worker;
SELECT count(*) AS default_limit_1 FROM roomcast.claim(ARRAY['deflim'], 5);
RESET ROLE;
RESET roomcast.job_limit_default;

-- ---- retention: finished jobs go after roomcast.job_retention (7 days); active ones stay
SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) AS finished,
       count(*) FILTER (WHERE finished_at IS NULL) AS active FROM roomcast.jobs;
SELECT roomcast._jobs_maintain(to_timestamp(2000003040) + interval '6 days')->'deleted' AS deleted_after_6_days;
SELECT roomcast._jobs_maintain(to_timestamp(2000003040) + interval '8 days')->'deleted' AS deleted_after_8_days;
SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) AS finished,
       count(*) FILTER (WHERE finished_at IS NULL AND status IN ('queued', 'running')) AS active FROM roomcast.jobs;
SELECT count(*) AS cache_rows_left FROM roomcast.job_cache;

-- ---- rpc: job:enqueue only for kinds in roomcast.rpc_job_kinds; job:status, job:cancel
SET roomcast.rpc_job_kinds = 'assistant, summarize';
CREATE TEMP TABLE tok AS
SELECT roomcast.sign(jsonb_build_object('sub', '70000000-0000-0000-0000-000000000001',
                                        'tenantId', '70000000-0000-0000-0000-00000000000a', 'role', 'member')) AS a1,
       roomcast.sign(jsonb_build_object('sub', '70000000-0000-0000-0000-000000000001',
                                        'tenantId', '70000000-0000-0000-0000-00000000000b', 'role', 'member')) AS b1;
GRANT SELECT ON tok TO PUBLIC;
SET ROLE rc_test_app;
SELECT pg_temp.e($$SELECT roomcast.rpc((SELECT a1 FROM tok), 'job:enqueue', '{"kind": "billing", "payload": {}}')$$) AS kind_not_open;
SELECT pg_temp.e($$SELECT roomcast.rpc((SELECT a1 FROM tok), 'job:enqueue', '{"payload": {}}')$$) AS kind_missing;
SELECT pg_temp.e($$SELECT roomcast.rpc((SELECT a1 FROM tok), 'job:status', '{"id": "nope"}')$$) AS bad_id;
INSERT INTO pg_temp.ids
SELECT 'rpc', (roomcast.rpc((SELECT a1 FROM tok), 'job:enqueue',
               '{"kind": "assistant", "payload": {"prompt": "hi"}, "priority": "high"}')->>'id')::uuid;
SELECT roomcast.rpc((SELECT a1 FROM tok), 'job:status', jsonb_build_object('id', pg_temp.id('rpc'))) - 'id' AS rpc_status;
SELECT pg_temp.e(format($$SELECT roomcast.rpc((SELECT b1 FROM tok), 'job:cancel', '{"id": "%s"}')$$, pg_temp.id('rpc'))) AS rpc_cancel_other_tenant;
SELECT roomcast.rpc((SELECT a1 FROM tok), 'job:cancel', jsonb_build_object('id', pg_temp.id('rpc'))) AS rpc_cancel;
RESET ROLE;
SELECT pg_temp.e($$SELECT roomcast.register_method('job:status', 'roomcast.job_status(uuid)')$$) AS builtin_name_taken;
RESET roomcast.rpc_job_kinds;
RESET roomcast.clock_override;
