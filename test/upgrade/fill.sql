-- test/upgrade/fill.sql — fill a database through roomcast's public API, as
-- an application running on the old version would (suite 28-upgrade runs
-- it on 0.1.0, before ALTER EXTENSION roomcast UPDATE). Run as a superuser
-- with ON_ERROR_STOP; role rc_upg_worker must exist and be a member of
-- roomcast_worker.
--
-- Tenants A and B; users a1, a2 (active) and a3 (disabled) in A, b1 in B;
-- two signing keys (HS256, HS512) and a retired one; sessions: tokens of
-- a1 and b1, a session of a2 refreshed once (its first refresh token is
-- spent); an SSO session; inbox: 3 notifications for a1 (1 read), 2 for b1
-- (all read); room events in A and B; a room kind with an application
-- policy and an rpc method (both in schema upg); a protected application
-- table upg.cases; jobs: 4 enqueued in A, 2 claimed, 1 of them completed
-- with a result; a recovery session (rpc join with a pid). What later
-- checks need is kept in upg.tok (tokens) and upg.mark (positions, ids),
-- ordinary application tables that pg_dump also carries.
SET client_min_messages = warning;
\set TA '''a0000000-0000-4000-8000-00000000000a'''
\set TB '''b0000000-0000-4000-8000-00000000000b'''
\set A1 '''a0000000-0000-4000-8000-0000000000a1'''
\set A2 '''a0000000-0000-4000-8000-0000000000a2'''
\set A3 '''a0000000-0000-4000-8000-0000000000a3'''
\set B1 '''b0000000-0000-4000-8000-0000000000b1'''

CREATE SCHEMA upg;
CREATE TABLE upg.tok (name text PRIMARY KEY, v jsonb NOT NULL);
CREATE TABLE upg.mark (name text PRIMARY KEY, v text NOT NULL);
-- the application's table, isolated by roomcast.protect
CREATE TABLE upg.cases (tenant_id uuid NOT NULL, id int NOT NULL, title text NOT NULL,
                        PRIMARY KEY (tenant_id, id));
GRANT SELECT, INSERT, UPDATE, DELETE ON upg.cases TO PUBLIC;
SELECT roomcast.protect('upg.cases');
-- a room policy: a case room may be joined when the case exists (RLS: in
-- the caller's tenant)
CREATE FUNCTION upg.may_join(u uuid, id text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$ SELECT EXISTS (SELECT 1 FROM upg.cases c WHERE c.id::text = $2) $$;
CREATE FUNCTION upg.echo(args jsonb) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$ SELECT jsonb_build_object('echo', args, 'cases', (SELECT count(*) FROM upg.cases)) $$;
GRANT USAGE ON SCHEMA upg TO PUBLIC;

-- identity
SELECT roomcast.add_signing_key('upg-old', decode(repeat('0a', 32), 'hex'));
SELECT roomcast.add_signing_key('upg-k512', decode(repeat('5b', 64), 'hex'), 'HS512');
-- signed while the HS512 key is the newest
INSERT INTO upg.mark SELECT 'hs512_token', roomcast.sign(jsonb_build_object('sub', :B1, 'tenantId', :TB), '1 day');
SELECT roomcast.add_signing_key('upg-k1', decode(repeat('a1', 32), 'hex'));
SELECT roomcast.retire_signing_key('upg-old');
SELECT roomcast.create_tenant('upg-a', 'Upgrade A', :TA);
SELECT roomcast.create_tenant('upg-b', 'Upgrade B', :TB);
INSERT INTO roomcast.users (tenant_id, id, email, display_name, role, status) VALUES
    (:TA, :A1, 'a1@upg.test', 'Ada One', 'member', 'active'),
    (:TA, :A2, 'a2@upg.test', 'Ada Two', 'admin', 'active'),
    (:TA, :A3, 'a3@upg.test', 'Ada Three', 'member', 'disabled'),
    (:TB, :B1, 'b1@upg.test', 'Bo One', 'member', 'active');

-- registrations for every tenant (no identity)
SELECT roomcast.register_room_kind('case', 'upg.may_join(uuid,text)');
SELECT roomcast.register_method('upg_echo', 'upg.echo(jsonb)');

-- sessions
INSERT INTO upg.tok VALUES
    ('a1', roomcast.issue_tokens(:TA, :A1)),
    ('b1', roomcast.issue_tokens(:TB, :B1)),
    ('a2_first', roomcast.issue_tokens(:TA, :A2));
INSERT INTO upg.tok SELECT 'a2', roomcast.refresh(v->>'refresh_token') FROM upg.tok WHERE name = 'a2_first';
INSERT INTO roomcast.sso_sessions (tenant_id, user_id, expires_at) VALUES (:TA, :A1, now() + interval '30 days');

-- application rows, inbox and events of tenant A
BEGIN;
SELECT roomcast.set_identity(:TA, :A2);
INSERT INTO upg.cases VALUES (:TA, 1, 'Pump failure'), (:TA, 2, 'Valve leak');
SELECT roomcast.send_in_app(:A1, 'case_assigned', 'Pump failure is yours', 'Please look', 'case', '1');
SELECT roomcast.send_in_app(:A1, 'comment', 'New comment on Valve leak', NULL, 'case', '2');
SELECT roomcast.send_in_app(:A1, 'mention', 'You were mentioned');
SELECT roomcast.emit(roomcast.room('case', '1'), 'case:edit', '{"field":"title","n":1}');
SELECT roomcast.emit(roomcast.room('case', '1'), 'case:edit', '{"field":"status","n":2}');
SELECT roomcast.emit_to_tenant('tenant:hello', '{"n":3}');
COMMIT;
BEGIN;
SELECT roomcast.set_identity(:TA, :A1);
SELECT roomcast.mark_read(ARRAY(SELECT id FROM roomcast.notifications WHERE type = 'case_assigned'));
COMMIT;
-- tenant B
BEGIN;
SELECT roomcast.set_identity(:TB, :B1);
INSERT INTO upg.cases VALUES (:TB, 1, 'B case');
SELECT roomcast.send_in_app(:B1, 'note', 'B one');
SELECT roomcast.send_in_app(:B1, 'note', 'B two');
SELECT roomcast.emit(roomcast.room('case', '1'), 'case:edit', '{"b":1}');
COMMIT;
BEGIN;
SELECT roomcast.set_identity(:TB, :B1);
SELECT roomcast.mark_all_read();
COMMIT;
INSERT INTO upg.mark SELECT 'first_pos_a', min(pos)::text FROM roomcast.events WHERE tenant_id = :TA;

-- a recovery session: a1 joined case 1 with pid upg-pid
SELECT roomcast.rpc((SELECT v->>'access_token' FROM upg.tok WHERE name = 'a1'), 'join',
                    '{"kind":"case","id":"1","pid":"upg-pid"}')->>'room' AS joined;

-- jobs: 4 enqueued by a1, 2 claimed by the worker, 1 completed
BEGIN;
SELECT roomcast.set_identity(:TA, :A1);
INSERT INTO upg.mark SELECT 'job' || n, roomcast.enqueue('upg', jsonb_build_object('q', n))::text
  FROM generate_series(1, 4) n;
COMMIT;
SET ROLE rc_upg_worker;
CREATE TEMP TABLE claimed AS SELECT c FROM roomcast.claim(ARRAY['upg'], 2) c;
SELECT roomcast.complete((SELECT (c->>'id')::uuid FROM claimed ORDER BY c->>'id' LIMIT 1), '{"answer":42}');
RESET ROLE;
INSERT INTO upg.mark SELECT 'claimed', string_agg(c->>'id', ',' ORDER BY c->>'id') FROM claimed;
-- where the log ended before the upgrade
INSERT INTO upg.mark SELECT 'max_pos', max(pos)::text FROM roomcast.events;
GRANT SELECT ON upg.mark, upg.tok TO PUBLIC;
