-- test/shards/workload.sql — one tenant's calls through the proxy, the SQL an
-- application sends to a single database (suite 52-shards). psql variables:
-- token (an access token of user), tenant, user. Prints "workload done" when
-- every call succeeded (ON_ERROR_STOP).
\set ON_ERROR_STOP 1
BEGIN;
SELECT roomcast.authenticate(:'token') ->> 'tenantId' = :'tenant' AS authenticated;
SELECT roomcast.current_tenant() = :'tenant' AND roomcast.current_user_id() = :'user' AS identity_kept;
SELECT roomcast.emit(roomcast.tenant_room(), 'work', '{"n":1}') > 0 AS emitted;
SELECT roomcast.emit_to_user(:'user', 'work', '{"n":2}') > 0 AS emitted_to_user;
SELECT roomcast.emit_to_tenant('work', '{"n":3}') > 0 AS emitted_to_tenant;
SELECT roomcast.send_in_app(:'user', 'work', 'hello') IS NOT NULL AS sent;
SELECT roomcast.send_in_app_many(ARRAY[:'user']::uuid[], 'work', 'hello again') = 1 AS sent_many;
SELECT roomcast.unread_count() >= 2 AS unread;
SELECT roomcast.mark_read(ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements(roomcast.recent(1)) x)) = 1 AS marked;
SELECT roomcast.archive(ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements(roomcast.recent(1)) x)) = 1 AS archived;
SELECT roomcast.mark_all_read() >= 1 AS all_marked;
SELECT count(*) >= 0 AS loaded FROM roomcast.load_many('public.cases', 'id', ARRAY[1, 2]::bigint[]);
SELECT count(*) >= 0 AS grouped FROM roomcast.load_grouped('public.notes', 'case_id', ARRAY[1]::bigint[]);
SELECT roomcast.enqueue('report', '{"n":1}') AS job \gset
SELECT roomcast.job_status(:'job') ->> 'status' = 'queued' AS job_queued;
SELECT roomcast.cancel(:'job') AS job_cancelled;
SELECT roomcast.revoke_sessions(:'user') >= 0 AS revoked;
COMMIT;
SELECT roomcast.rpc(:'token', 'get_recent', '{"limit":2}') ? 'notifications' AS rpc_answered;
SELECT roomcast.verify(:'token') ->> 'sub' = :'user' AS verified;
\echo workload done
