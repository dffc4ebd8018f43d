-- examples/casework/schema.sql — a case-management domain on roomcast.
--
-- Cases reported by intake, investigated in steps with notes, discussed in
-- RCA (root-cause analysis) rooms, every change in a monthly-partitioned
-- audit log. Every table is keyed (tenant_id, …) and protected by
-- roomcast.protect(); people are roomcast.users.
--
--   psql -d app -c 'CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE EXTENSION IF NOT EXISTS roomcast'
--   psql -d app -f examples/casework/schema.sql
--   psql -d app -v cases=100000 -f examples/casework/generate.sql     (demo data)
--
-- Read examples/casework/README.md for the query patterns and their indexes.

\set ON_ERROR_STOP on
BEGIN;

CREATE SCHEMA casework;
COMMENT ON SCHEMA casework IS 'roomcast example: case management (cases, intake, investigations, RCA rooms, audit)';

-- The role an application backend uses (member of roomcast_service so that
-- it may call roomcast.set_identity; a browser-facing path would use
-- roomcast.authenticate(token) instead). Cluster-wide: create it once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'casework_app') THEN
        CREATE ROLE casework_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END $$;
GRANT roomcast_service TO casework_app;
GRANT USAGE ON SCHEMA casework TO casework_app;

-- ---- cases ----------------------------------------------------------------

CREATE TABLE casework.cases (
    tenant_id    uuid NOT NULL REFERENCES roomcast.tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    number       bigint NOT NULL,           -- per tenant, what people say: "case 1042"
    title        text NOT NULL,
    status       text NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'triage', 'investigating', 'resolved', 'closed')),
    priority     smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
    created_by   uuid NOT NULL,
    assignee_id  uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, created_by) REFERENCES roomcast.users (tenant_id, id),
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES roomcast.users (tenant_id, id)
);
-- The case list: newest first, all / by status / by assignee. The trailing
-- id makes (created_at, id) a total order, so pages are stable and need no sort.
CREATE INDEX cases_tenant_created  ON casework.cases (tenant_id, created_at DESC, id DESC);
CREATE INDEX cases_tenant_status   ON casework.cases (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX cases_tenant_assignee ON casework.cases (tenant_id, assignee_id, created_at DESC, id DESC);
CREATE INDEX cases_tenant_creator  ON casework.cases (tenant_id, created_by);

-- ---- intake reports (what came in, linked to the case it opened or joined) --

CREATE TABLE casework.intake_reports (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    case_id      uuid NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('web', 'email', 'phone', 'hotline')),
    reporter     text,                      -- may be anonymous
    body         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES casework.cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX intake_reports_case ON casework.intake_reports (tenant_id, case_id, received_at DESC);

-- ---- investigations, their steps and notes ---------------------------------

CREATE TABLE casework.investigations (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    case_id      uuid NOT NULL,
    title        text NOT NULL,
    status       text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'active', 'done')),
    lead_id      uuid NOT NULL,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES casework.cases (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, lead_id) REFERENCES roomcast.users (tenant_id, id)
);
CREATE INDEX investigations_case ON casework.investigations (tenant_id, case_id);
CREATE INDEX investigations_lead ON casework.investigations (tenant_id, lead_id);

CREATE TABLE casework.investigation_steps (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    investigation_id uuid NOT NULL,
    position         int NOT NULL,
    title            text NOT NULL,
    status           text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'doing', 'done')),
    assignee_id      uuid,
    due_at           timestamptz,
    done_at          timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, investigation_id, position),
    FOREIGN KEY (tenant_id, investigation_id)
        REFERENCES casework.investigations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES roomcast.users (tenant_id, id)
);
CREATE INDEX investigation_steps_assignee ON casework.investigation_steps (tenant_id, assignee_id);

CREATE TABLE casework.investigation_notes (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    investigation_id uuid NOT NULL,
    step_id          uuid,                  -- NULL: about the investigation as a whole
    author_id        uuid NOT NULL,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, investigation_id)
        REFERENCES casework.investigations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, step_id)
        REFERENCES casework.investigation_steps (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_id) REFERENCES roomcast.users (tenant_id, id)
);
CREATE INDEX investigation_notes_investigation
    ON casework.investigation_notes (tenant_id, investigation_id, created_at DESC);
CREATE INDEX investigation_notes_step   ON casework.investigation_notes (tenant_id, step_id);
CREATE INDEX investigation_notes_author ON casework.investigation_notes (tenant_id, author_id);

-- ---- RCA rooms: live collaboration on a case (Socket.IO room rca:{id}) -----

CREATE TABLE casework.rca_rooms (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    case_id          uuid NOT NULL,
    investigation_id uuid,
    name             text NOT NULL,
    opened_by        uuid NOT NULL,
    opened_at        timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES casework.cases (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, investigation_id)
        REFERENCES casework.investigations (tenant_id, id) ON DELETE SET NULL (investigation_id),
    FOREIGN KEY (tenant_id, opened_by) REFERENCES roomcast.users (tenant_id, id)
);
CREATE INDEX rca_rooms_case          ON casework.rca_rooms (tenant_id, case_id);
CREATE INDEX rca_rooms_investigation ON casework.rca_rooms (tenant_id, investigation_id);
CREATE INDEX rca_rooms_opened_by     ON casework.rca_rooms (tenant_id, opened_by);

-- ---- audit log: partitioned by month, kept for a retention period ---------
-- No foreign keys: the log must outlive what it describes.

CREATE SEQUENCE casework.audit_log_id_seq;
CREATE TABLE casework.audit_log (
    tenant_id    uuid NOT NULL,
    id           bigint NOT NULL DEFAULT nextval('casework.audit_log_id_seq'),
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,                      -- NULL: the system
    entity_type  text NOT NULL,             -- 'case', 'investigation', 'step', 'rca_room', …
    entity_id    uuid NOT NULL,
    action       text NOT NULL,             -- 'created', 'status_changed', 'assigned', …
    detail       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, at, id)
) PARTITION BY RANGE (at);
ALTER SEQUENCE casework.audit_log_id_seq OWNED BY casework.audit_log.id;
CREATE INDEX audit_log_entity ON casework.audit_log (tenant_id, entity_type, entity_id, at DESC);
CREATE INDEX audit_log_actor  ON casework.audit_log (tenant_id, actor_id, at DESC);

-- Create the monthly partitions from the retention horizon to months_ahead
-- months from now, and drop those entirely older than keep. Idempotent; run
-- it daily (or from roomcast.maintain's schedule). Returns what it did.
CREATE FUNCTION casework.audit_maintain(keep interval DEFAULT '12 months', months_ahead int DEFAULT 2)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    horizon  timestamptz := date_trunc('month', now() - keep);
    m        timestamptz;
    part     text;
    created  text[] := '{}';
    dropped  text[] := '{}';
    r        record;
BEGIN
    IF keep < interval '1 month' OR months_ahead NOT BETWEEN 0 AND 24 THEN
        RAISE EXCEPTION 'invalid audit retention'
            USING ERRCODE = '22023',
                  DETAIL = format('keep must be at least 1 month and months_ahead 0 to 24; got %s and %s.',
                                  keep, months_ahead);
    END IF;
    m := horizon;
    WHILE m <= date_trunc('month', now()) + make_interval(months => months_ahead) LOOP
        part := format('audit_log_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass('casework.' || part) IS NULL THEN
            EXECUTE format('CREATE TABLE casework.%I PARTITION OF casework.audit_log FOR VALUES FROM (%L) TO (%L)',
                           part, m, m + interval '1 month');
            created := created || part;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    FOR r IN
        SELECT c.oid::regclass AS part, c.relname
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'casework.audit_log'::regclass
           AND c.relname ~ '^audit_log_\d{4}_\d{2}$'
           AND to_timestamp(substr(c.relname, 11), 'YYYY_MM') + interval '1 month' <= horizon
         ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE %s', r.part);
        dropped := dropped || r.relname::text;
    END LOOP;
    RETURN jsonb_build_object('created', to_jsonb(created), 'dropped', to_jsonb(dropped));
END $$;
SELECT casework.audit_maintain();

-- ---- isolation: every table, including the partitioned log --------------

SELECT roomcast.protect(t) FROM unnest(ARRAY[
    'casework.cases', 'casework.intake_reports', 'casework.investigations',
    'casework.investigation_steps', 'casework.investigation_notes', 'casework.rca_rooms',
    'casework.audit_log']::regclass[]) AS t;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA casework TO casework_app;
GRANT USAGE ON SEQUENCE casework.audit_log_id_seq TO casework_app;

\ir functions.sql

COMMIT;
