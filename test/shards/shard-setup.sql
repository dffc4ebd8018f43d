-- test/shards/shard-setup.sql — one shard of suite 52-shards: the extension,
-- the test roles' shard privileges and a tenant-isolated table for the
-- loaders. Runs as postgres in database roomcast of each shard (the roles
-- exist already: the suite creates them cluster-wide).
SET client_min_messages = warning;
CREATE EXTENSION roomcast CASCADE;
CREATE EXTENSION pgcrypto;
GRANT roomcast_service TO rc_svc;
GRANT roomcast_notifier TO rc_notif;
GRANT roomcast_worker TO rc_worker;

CREATE TABLE public.cases (tenant_id uuid NOT NULL, id bigint NOT NULL, title text, PRIMARY KEY (tenant_id, id));
CREATE TABLE public.notes (tenant_id uuid NOT NULL, id bigint NOT NULL, case_id bigint NOT NULL, body text,
                           PRIMARY KEY (tenant_id, id));
SELECT roomcast.protect('public.cases'), roomcast.protect('public.notes');
GRANT SELECT ON public.cases, public.notes TO PUBLIC;
