-- test/upgrade/works.sql — after an upgrade (or a restore), the data that
-- test/upgrade/fill.sql left is still usable through the public API. Prints
-- one TAP line per check: "ok - <label>: ..." or "not ok - <label>: ...".
-- Run as a superuser with psql -v label=... -v rooms_kept=true|false
-- (false after a dump and restore: roomcast.socket_rooms, the recovery
-- sessions' rooms, is transient and not dumped). Changes the data (a
-- refresh, an emit, a claim), so run it once per database.
SET client_min_messages = warning;
\set TA '''a0000000-0000-4000-8000-00000000000a'''
\set TB '''b0000000-0000-4000-8000-00000000000b'''
\set A1 '''a0000000-0000-4000-8000-0000000000a1'''
\set B1 '''b0000000-0000-4000-8000-0000000000b1'''
SELECT set_config('upg.label', :'label', false) IS NULL AS unset \gset
CREATE FUNCTION pg_temp.t(what text, good boolean, got text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN coalesce(good, false) THEN 'ok - ' ELSE 'not ok - ' END || current_setting('upg.label') || ': ' || what
           || CASE WHEN coalesce(good, false) OR got IS NULL THEN '' ELSE E'\n# got: ' || got END
$$;
-- the error of a statement, or 'ok'
CREATE FUNCTION pg_temp.e(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
-- the header of a JWT (base64url without padding)
CREATE FUNCTION pg_temp.jwt_header(tok text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(translate(h, '-_', '+/') || repeat('=', (4 - length(h) % 4) % 4), 'base64'), 'UTF8')::jsonb
      FROM split_part(tok, '.', 1) h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.t(text, boolean, text), pg_temp.e(text) TO PUBLIC;
CREATE TEMP TABLE tok AS SELECT name, v->>'access_token' AS access, v->>'refresh_token' AS refresh FROM upg.tok;
GRANT SELECT ON tok TO PUBLIC;

SELECT pg_temp.t('the extension is at version 0.2.0',
                 (SELECT extversion FROM pg_extension WHERE extname = 'roomcast') = '0.2.0',
                 (SELECT extversion FROM pg_extension WHERE extname = 'roomcast'));

-- ---- identity and sessions ----
SELECT pg_temp.t('an access token issued before verifies (signing keys kept)',
                 roomcast.verify((SELECT access FROM tok WHERE name = 'a1'))->>'sub' = :A1);
SELECT pg_temp.t('a token signed with the HS512 key before verifies',
                 roomcast.verify((SELECT v FROM upg.mark WHERE name = 'hs512_token'))->>'sub' = :B1);
SELECT pg_temp.t('the key retired before stays retired, sign() uses the newest key (upg-k1)',
                 (SELECT retired_at IS NOT NULL FROM roomcast.signing_keys WHERE kid = 'upg-old')
                 AND pg_temp.jwt_header(roomcast.sign(jsonb_build_object('sub', :A1, 'tenantId', :TA)))->>'kid' = 'upg-k1',
                 pg_temp.jwt_header(roomcast.sign(jsonb_build_object('sub', :A1, 'tenantId', :TA)))::text);
SET ROLE rc_upg_app;
BEGIN;
SELECT pg_temp.t('authenticate() with an old token gives its identity',
                 (roomcast.authenticate((SELECT access FROM tok WHERE name = 'b1'))->>'sub') = :B1
                 AND roomcast.current_tenant() = :TB);
SELECT pg_temp.t('row-level security still isolates: tenant B sees its 1 case, 2 notifications, no job',
                 (SELECT count(*) FROM upg.cases) = 1 AND (SELECT count(*) FROM roomcast.notifications) = 2
                 AND (SELECT count(*) FROM roomcast.users) = 1,
                 format('cases %s notifications %s users %s', (SELECT count(*) FROM upg.cases),
                        (SELECT count(*) FROM roomcast.notifications), (SELECT count(*) FROM roomcast.users)));
SELECT pg_temp.t('tenant B writes nothing into tenant A',
                 pg_temp.e(format('INSERT INTO upg.cases VALUES (%L, 9, %L)', :TA, 'x')) LIKE '42501 %',
                 pg_temp.e(format('INSERT INTO upg.cases VALUES (%L, 9, %L)', :TA, 'x')));
SELECT pg_temp.t('unread_count of b1 is 0 (mark_all_read kept)', roomcast.unread_count() = 0,
                 roomcast.unread_count()::text);
COMMIT;
BEGIN;
SELECT roomcast.authenticate((SELECT access FROM tok WHERE name = 'a1')) IS NOT NULL AS authenticated \gset
SELECT pg_temp.t('unread_count of a1 is 2 (3 sent, 1 read)', roomcast.unread_count() = 2, roomcast.unread_count()::text);
SELECT pg_temp.t('recent() lists a1''s 3 notifications, the read one marked',
                 jsonb_array_length(roomcast.recent(10)) = 3
                 AND (SELECT count(*) FROM jsonb_array_elements(roomcast.recent(10)) i
                       WHERE (i->>'isRead')::boolean) = 1,
                 roomcast.recent(10)::text);
SELECT pg_temp.t('the room kind''s application policy still decides joins',
                 roomcast.authorize_join('case', '1') = roomcast.room('case', '1')
                 AND pg_temp.e($$SELECT roomcast.authorize_join('case', '99')$$) <> 'ok');
COMMIT;
RESET ROLE;
SELECT pg_temp.t('a refresh token issued before refreshes', roomcast.refresh((SELECT refresh FROM tok WHERE name = 'a1')) ? 'access_token');
SELECT pg_temp.t('the refreshed session of a2 refreshes again', roomcast.refresh((SELECT refresh FROM tok WHERE name = 'a2')) ? 'access_token');
SELECT pg_temp.t('the refresh token a2 spent before is still refused as reused',
                 pg_temp.e(format('SELECT roomcast.refresh(%L)', (SELECT refresh FROM tok WHERE name = 'a2_first'))) LIKE 'RC402 refresh token reused%',
                 pg_temp.e(format('SELECT roomcast.refresh(%L)', (SELECT refresh FROM tok WHERE name = 'a2_first'))));
SELECT pg_temp.t('the disabled user stays refused',
                 pg_temp.e(format('SELECT roomcast.issue_tokens(%L, %L)', :TA, 'a0000000-0000-4000-8000-0000000000a3')) <> 'ok');
SELECT pg_temp.t('the rpc method registered before still runs',
                 roomcast.rpc((SELECT access FROM tok WHERE name = 'a1'), 'upg_echo', '{"x":1}')->'echo' = '{"x":1}',
                 roomcast.rpc((SELECT access FROM tok WHERE name = 'a1'), 'upg_echo', '{"x":1}')::text);

-- ---- events: positions continue after the old ones ----
BEGIN;
SELECT roomcast.set_identity(:TA, :A1) IS NULL AS set \gset
SELECT roomcast.emit(roomcast.room('case', '1'), 'case:edit', '{"after":"upgrade"}') > 0 AS emitted \gset
COMMIT;
SELECT pg_temp.t('a new event gets a position after every old one',
                 (SELECT pos FROM roomcast.events WHERE data->>'after' = 'upgrade')
                   > (SELECT v::bigint FROM upg.mark WHERE name = 'max_pos')
                 AND (SELECT pos FROM roomcast.events WHERE data->>'after' = 'upgrade') = (SELECT max(pos) FROM roomcast.events),
                 (SELECT string_agg(pos::text, ',' ORDER BY pos) FROM roomcast.events));
SELECT pg_temp.t('event positions are unique', (SELECT count(DISTINCT pos) = count(*) FROM roomcast.events));
SELECT roomcast.recover((SELECT access FROM tok WHERE name = 'a1'), 'upg-pid',
                        (SELECT v::bigint FROM upg.mark WHERE name = 'first_pos_a'), '1 day') AS rec \gset
SELECT pg_temp.t('recover() from an old position: recovered, the missed events in pos order',
                 (:'rec'::jsonb->>'recovered')::boolean
                 AND (SELECT array_agg((e->>'p')::bigint ORDER BY o) = array_agg((e->>'p')::bigint ORDER BY (e->>'p')::bigint)
                        FROM jsonb_array_elements(:'rec'::jsonb->'events') WITH ORDINALITY x(e, o))
                 AND :'rec'::jsonb->'events' @> '[{"e":"tenant:hello"}, {"e":"job:completed"}]',
                 :'rec');
SELECT pg_temp.t(CASE WHEN :'rooms_kept'::boolean
                      THEN 'recover() still knows the room joined with the pid, and its new event comes last'
                      ELSE 'recover() after a restore: the pid''s rooms are gone (socket_rooms is transient, not dumped)' END,
                 ((:'rec'::jsonb->'rooms') ? format('tenant:%s:case:1', :TA)) = :'rooms_kept'::boolean
                 AND ((:'rec'::jsonb->'events'->-1->'d'->>'after') IS NOT DISTINCT FROM
                      CASE WHEN :'rooms_kept'::boolean THEN 'upgrade' END),
                 :'rec');

-- ---- jobs ----
SET ROLE rc_upg_worker;
SELECT pg_temp.t('the 2 jobs still queued are claimed, not the 2 claimed before',
                 (SELECT count(*) FROM roomcast.claim(ARRAY['upg'], 10) c
                   WHERE c->>'id' <> ALL (string_to_array((SELECT v FROM upg.mark WHERE name = 'claimed'), ','))) = 2);
RESET ROLE;
SELECT pg_temp.t('the job completed before keeps its result',
                 (SELECT count(*) FROM roomcast.jobs WHERE status = 'completed' AND result = '{"answer":42}') = 1,
                 (SELECT string_agg(status || coalesce(' ' || result::text, ''), ', ') FROM roomcast.jobs));

-- ---- isolation and grants ----
SELECT pg_temp.t('every roomcast table with tenant_id has RLS enabled and forced, and isolation_report is empty',
                 NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                              WHERE c.relnamespace = 'roomcast'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                                AND NOT (c.relrowsecurity AND c.relforcerowsecurity))
                 AND NOT EXISTS (SELECT 1 FROM roomcast.isolation_report()),
                 (SELECT string_agg(table_name::text || ': ' || problem, '; ') FROM roomcast.isolation_report()));
SELECT pg_temp.t('grants: the notifier reads the logs and the keys and calls rpc, the service writes users, the worker claims; an application role does none of it',
                 has_function_privilege('roomcast_notifier', 'roomcast.notifier_read(bigint,bigint,int)', 'EXECUTE')
                 AND has_function_privilege('roomcast_notifier', 'roomcast.rpc(text,text,jsonb)', 'EXECUTE')
                 AND has_table_privilege('roomcast_service', 'roomcast.users', 'INSERT')
                 AND has_function_privilege('roomcast_worker', 'roomcast.claim(text[],int,interval)', 'EXECUTE')
                 AND NOT has_function_privilege('rc_upg_app', 'roomcast.claim(text[],int,interval)', 'EXECUTE')
                 AND has_table_privilege('roomcast_notifier', 'roomcast.signing_keys', 'SELECT')
                 AND NOT has_table_privilege('rc_upg_app', 'roomcast.signing_keys', 'SELECT')
                 AND NOT has_table_privilege('rc_upg_app', 'roomcast.control_log', 'SELECT')
                 AND NOT has_function_privilege('rc_upg_app', 'roomcast.notify_control(text,jsonb)', 'EXECUTE'));
