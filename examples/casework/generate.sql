-- examples/casework/generate.sql — demo data for the casework example.
--
--   psql -d app -v cases=100000 -v tenants=10 -f examples/casework/generate.sql
--
-- Defaults: 100,000 cases over 10 tenants of 50 users each; per case on
-- average 2 intake reports and 1.5 audit entries; an investigation for one
-- case in five, with 4 steps, a note per step and an RCA room for one in
-- four. Ids of tenants and users are derived from their numbers
-- (md5('tenant-1')::uuid, md5('user-1-7')::uuid) so scripts can name them.
-- Run it as a superuser (or a BYPASSRLS owner): it writes every tenant's
-- rows, which RLS forbids to everybody else. Set-based: no loops.

\set ON_ERROR_STOP on
\if :{?cases}
\else
\set cases 100000
\endif
\if :{?tenants}
\else
\set tenants 10
\endif
\set users_per_tenant 50

BEGIN;
SET LOCAL synchronous_commit = off;
SELECT setseed(0.42);

INSERT INTO roomcast.tenants (id, slug, name)
SELECT md5('tenant-' || t)::uuid, 'casework-' || t, 'Casework tenant ' || t
  FROM generate_series(1, :tenants) t
ON CONFLICT DO NOTHING;

INSERT INTO roomcast.users (tenant_id, id, email, display_name, role)
SELECT md5('tenant-' || t)::uuid, md5('user-' || t || '-' || u)::uuid,
       format('user%s@tenant%s.example', u, t), format('User %s.%s', t, u),
       CASE WHEN u = 1 THEN 'admin' ELSE 'member' END
  FROM generate_series(1, :tenants) t, generate_series(1, :users_per_tenant) u
ON CONFLICT DO NOTHING;

-- Case g belongs to tenant g % tenants + 1 and is its case number g / tenants + 1.
CREATE TEMP TABLE gen_cases ON COMMIT DROP AS
SELECT md5('tenant-' || (g % :tenants + 1))::uuid AS tenant_id,
       gen_random_uuid() AS id,
       g / :tenants + 1 AS number,
       g % :tenants + 1 AS t,
       now() - random() * interval '365 days' AS created_at
  FROM generate_series(0, :cases - 1) g;

INSERT INTO casework.cases (tenant_id, id, number, title, status, priority, created_by,
                            assignee_id, created_at, updated_at)
SELECT c.tenant_id, c.id, c.number,
       (ARRAY['Payment failed', 'Login loop', 'Data mismatch', 'Slow report', 'Harassment report',
              'Safety incident', 'Supplier complaint', 'Outage'])[1 + (c.number % 8)] || ' #' || c.number,
       (ARRAY['open', 'triage', 'investigating', 'resolved', 'closed', 'closed', 'resolved',
              'open'])[1 + floor(random() * 8)::int],
       1 + floor(random() * 4)::int,
       md5('user-' || c.t || '-' || (1 + floor(random() * :users_per_tenant)::int))::uuid,
       CASE WHEN random() < 0.2 THEN NULL
            ELSE md5('user-' || c.t || '-' || (1 + floor(random() * :users_per_tenant)::int))::uuid END,
       c.created_at, c.created_at + random() * interval '10 days'
  FROM gen_cases c;

INSERT INTO casework.intake_reports (tenant_id, case_id, channel, reporter, body, received_at)
SELECT c.tenant_id, c.id, (ARRAY['web', 'email', 'phone', 'hotline'])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.3 THEN NULL ELSE 'reporter' || floor(random() * 10000)::int END,
       'Report ' || n || ' about case ' || c.number,
       c.created_at + n * interval '1 hour'
  FROM gen_cases c, generate_series(1, 1 + floor(random() * 3)::int) n;

CREATE TEMP TABLE gen_inv ON COMMIT DROP AS
SELECT c.tenant_id, gen_random_uuid() AS id, c.id AS case_id, c.t, c.number, c.created_at
  FROM gen_cases c WHERE c.number % 5 = 0;

INSERT INTO casework.investigations (tenant_id, id, case_id, title, status, lead_id, opened_at, closed_at)
SELECT v.tenant_id, v.id, v.case_id, 'Investigation of case ' || v.number,
       (ARRAY['planned', 'active', 'done'])[1 + (v.number / 5) % 3],
       md5('user-' || v.t || '-' || (1 + floor(random() * :users_per_tenant)::int))::uuid,
       v.created_at + interval '1 day',
       CASE WHEN (v.number / 5) % 3 = 2 THEN v.created_at + interval '20 days' END
  FROM gen_inv v;

INSERT INTO casework.investigation_steps (tenant_id, investigation_id, position, title, status,
                                          assignee_id, due_at, done_at)
SELECT v.tenant_id, v.id, p,
       (ARRAY['Collect evidence', 'Interview', 'Analyse root cause', 'Remediate'])[p],
       CASE WHEN p <= (v.number / 5) % 5 THEN 'done' ELSE 'todo' END,
       md5('user-' || v.t || '-' || (1 + floor(random() * :users_per_tenant)::int))::uuid,
       v.created_at + p * interval '3 days',
       CASE WHEN p <= (v.number / 5) % 5 THEN v.created_at + p * interval '2 days' END
  FROM gen_inv v, generate_series(1, 4) p;

INSERT INTO casework.investigation_notes (tenant_id, investigation_id, step_id, author_id, body, created_at)
SELECT s.tenant_id, s.investigation_id, s.id, s.assignee_id, 'Note on step ' || s.position,
       s.due_at - interval '1 day'
  FROM casework.investigation_steps s;

INSERT INTO casework.rca_rooms (tenant_id, case_id, investigation_id, name, opened_by, opened_at)
SELECT v.tenant_id, v.case_id, v.id, 'RCA case ' || v.number,
       md5('user-' || v.t || '-1')::uuid, v.created_at + interval '2 days'
  FROM gen_inv v WHERE v.number % 20 = 0;

-- Audit: a "created" entry per case, a status change for every other one.
INSERT INTO casework.audit_log (tenant_id, at, actor_id, entity_type, entity_id, action, detail)
SELECT c.tenant_id, greatest(c.created_at, date_trunc('month', now() - interval '12 months')),
       md5('user-' || c.t || '-' || (1 + c.number % :users_per_tenant))::uuid,
       'case', c.id, 'created', '{}'
  FROM gen_cases c
UNION ALL
SELECT c.tenant_id, greatest(c.created_at, date_trunc('month', now() - interval '12 months')) + interval '1 hour',
       md5('user-' || c.t || '-' || (1 + (c.number + 7) % :users_per_tenant))::uuid,
       'case', c.id, 'status_changed', jsonb_build_object('to', 'triage')
  FROM gen_cases c WHERE c.number % 2 = 0;

COMMIT;

VACUUM ANALYZE roomcast.tenants, roomcast.users, casework.cases, casework.intake_reports,
    casework.investigations, casework.investigation_steps, casework.investigation_notes,
    casework.rca_rooms, casework.audit_log;
