-- index_advice: what is covered, what is not, duplicates, unused indexes,
-- the partitioned-table sequence, and applying it all with \gexec.
-- Other scripts share this database: only look at schema adv_t.
CREATE SCHEMA adv_t;
SET search_path = adv_t, public;
CREATE VIEW adv_t.advice AS
    SELECT a.table_name, a.columns, a.reason, a.ddl
      FROM roomcast.index_advice() a
      JOIN pg_class c ON c.oid = a.table_name
     WHERE c.relnamespace = 'adv_t'::regnamespace;

CREATE TABLE parent (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));
-- covered: the FK columns lead an index, even a wider one, in any order
CREATE TABLE fk_exact (id int PRIMARY KEY, pid int REFERENCES parent);
CREATE INDEX ON fk_exact (pid);
CREATE TABLE fk_wider (id int PRIMARY KEY, x int, pid int REFERENCES parent);
CREATE INDEX ON fk_wider (pid, x);
CREATE TABLE fk_multi (id int PRIMARY KEY, a int, b int, FOREIGN KEY (b, a) REFERENCES parent (b, a));
CREATE INDEX ON fk_multi (a, b, id);
CREATE TABLE fk_pk (pid int REFERENCES parent, n int, PRIMARY KEY (pid, n));
-- not covered: FK column second, partial index, expression index, no index
CREATE TABLE fk_second (id int PRIMARY KEY, x int, pid int REFERENCES parent);
CREATE INDEX ON fk_second (x, pid);
CREATE TABLE fk_partial (id int PRIMARY KEY, pid int REFERENCES parent);
CREATE INDEX ON fk_partial (pid) WHERE pid > 0;
CREATE TABLE fk_none (id int PRIMARY KEY, pid int REFERENCES parent,
                      qid int REFERENCES parent);
-- a partitioned table with an uncovered FK
CREATE TABLE events (id int, at date, pid int REFERENCES parent, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- two levels of partitions: the sequence recurses, attaching bottom-up
CREATE TABLE metrics (id int, at date, region text, pid int REFERENCES parent)
    PARTITION BY LIST (region);
CREATE TABLE metrics_eu PARTITION OF metrics FOR VALUES IN ('eu') PARTITION BY RANGE (at);
CREATE TABLE metrics_eu_2026 PARTITION OF metrics_eu FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE metrics_us PARTITION OF metrics FOR VALUES IN ('us');
-- a protected table whose tenant index was dropped
CREATE TABLE tenant_docs (tenant_id uuid NOT NULL, id int, body text, PRIMARY KEY (id));
SELECT roomcast.protect('tenant_docs');
SELECT indexrelid::regclass AS tenant_index FROM pg_index
 WHERE indrelid = 'tenant_docs'::regclass AND NOT indisprimary \gset
DROP INDEX :tenant_index;
-- hand-written tenant policies: reversed, and through a scalar subquery
CREATE TABLE tenant_rev (org uuid NOT NULL, id int PRIMARY KEY);
ALTER TABLE tenant_rev ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON tenant_rev USING (roomcast.current_tenant() = org);
CREATE TABLE tenant_sub (tid uuid NOT NULL, id int PRIMARY KEY);
ALTER TABLE tenant_sub ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON tenant_sub USING (tid = (SELECT roomcast.current_tenant()));
-- duplicates: a prefix of a wider index, an identical twin, a unique one
-- (kept: it enforces something), a DESC one (different order: kept)
CREATE TABLE dup (id int PRIMARY KEY, a int, b int, c int);
CREATE INDEX dup_a ON dup (a);
CREATE INDEX dup_a_b ON dup (a, b);
CREATE INDEX dup_a_b_twin ON dup (a, b);
CREATE UNIQUE INDEX dup_a_b_c_unique ON dup (a, b, c);
CREATE INDEX dup_b_desc ON dup (b DESC);
CREATE INDEX dup_b ON dup (b, c);
-- identical twins and nothing wider: the older one stays
CREATE TABLE twins (id int, a int);
CREATE INDEX twins_old ON twins (a);
CREATE INDEX twins_new ON twins (a);
-- unused: an index never scanned while another index of its table was
CREATE TABLE unused (id int PRIMARY KEY, pid int REFERENCES parent, x int, y int);
CREATE INDEX unused_pid ON unused (pid);     -- never scanned, but the FK's only index: kept
CREATE INDEX unused_x ON unused (x);         -- never scanned: drop
CREATE INDEX unused_y ON unused (y);         -- scanned: kept
INSERT INTO unused SELECT g, NULL, g, g FROM generate_series(1, 2000) g;
ANALYZE unused;
SET enable_seqscan = off;
SELECT count(*) FROM unused WHERE y = 5;
RESET enable_seqscan;
-- an unused index of a partitioned table: dropped without CONCURRENTLY
CREATE TABLE plog (id int, at date, x int, y int) PARTITION BY RANGE (at);
CREATE TABLE plog_2026 PARTITION OF plog FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX plog_x ON plog (x);
CREATE INDEX plog_y ON plog (y);
INSERT INTO plog SELECT g, '2026-03-01', g, g FROM generate_series(1, 2000) g;
ANALYZE plog;
SET enable_seqscan = off;
SELECT count(*) FROM plog WHERE y = 5;
RESET enable_seqscan;
-- only ever scanned sequentially: no evidence either way, kept
CREATE TABLE seq_only (id int PRIMARY KEY, x int);
CREATE INDEX seq_only_x ON seq_only (x);
SELECT count(*) FROM seq_only;
SELECT pg_stat_force_next_flush();

SELECT table_name, columns, regexp_replace(reason, '[0-9]+ times', 'N times') AS reason, ddl
  FROM advice;

-- Apply it without a transaction block (CONCURRENTLY), one statement a row.
SELECT ddl FROM advice \gexec

-- Nothing is left to advise, and the indexes are valid, the partitioned
-- one attached on every partition.
SELECT count(*) AS advice_left FROM advice;
SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) LIKE '%(pid)' AS on_pid
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid IN ('events'::regclass, 'events_2025'::regclass, 'events_2026'::regclass)
   AND NOT i.indisprimary
 ORDER BY 1;
SELECT inhrelid::regclass, inhparent::regclass FROM pg_inherits
 WHERE inhparent IN ('events_pid_idx'::regclass, 'metrics_pid_idx'::regclass,
                     'metrics_eu_pid_idx'::regclass) ORDER BY 2, 1;
SELECT indexrelid::regclass, indisvalid FROM pg_index
 WHERE indexrelid IN ('metrics_pid_idx'::regclass, 'metrics_eu_pid_idx'::regclass);
SELECT to_regclass('plog_x') AS plog_x_dropped, to_regclass('plog_y') AS plog_y_kept;
SELECT indexrelid::regclass FROM pg_index
 WHERE indrelid = 'dup'::regclass ORDER BY 1::text;

-- Tables of extensions and of the system are never advised on.
SELECT count(*) FROM roomcast.index_advice()
 WHERE table_name::text LIKE 'roomcast.%' OR table_name::text LIKE 'pg_%';

RESET search_path;
DROP SCHEMA adv_t CASCADE;
