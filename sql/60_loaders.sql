-- Batched loaders: the DataLoader contract, errors, the plan cache and DDL.
-- (RLS is tested as an unprivileged role in test/pgtap/60_loaders_rls.sql.)
CREATE SCHEMA loaders_t;
SET search_path = loaders_t, public;


CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors, title text,
                    year int, rating int);
INSERT INTO authors VALUES (1, 'Ada'), (2, 'Brian'), (3, 'Cleo'), (4, 'Dana');
INSERT INTO books VALUES
    (10, 1, 'Engines', 1843, 5), (11, 1, 'Notes', 1842, NULL), (12, 1, 'Letters', 1850, 3),
    (20, 2, 'C', 1978, 5), (21, 2, 'Unix', 1984, 4),
    (30, 3, 'Poems', 2001, 2);

-- One row per key, in key order; duplicates repeated; NULL for a missing
-- key and for a NULL key.
SELECT ord, r FROM roomcast.load_many('authors', 'id', ARRAY[3, 1, 99, 3, NULL, 2])
    WITH ORDINALITY AS x(r, ord);
-- The same through a view, with bigint keys for an int column (cross-type =).
CREATE VIEW author_names AS SELECT id, upper(name) AS name FROM authors;
SELECT roomcast.load_many('author_names', 'id', ARRAY[4, 2]::bigint[]);
-- A partitioned table and a materialized view.
CREATE TABLE events (id int, at date, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO events VALUES (1, '2025-05-01', 'a'), (2, '2026-05-01', 'b'), (3, '2026-06-01', 'c');
SELECT roomcast.load_many('events', 'id', ARRAY[3, 1]);
SELECT roomcast.load_grouped('events', 'at', ARRAY['2026-05-01', '2024-01-01']::date[]);
CREATE MATERIALIZED VIEW author_name_lengths AS SELECT id, length(name) AS len FROM authors;
SELECT roomcast.load_many('author_name_lengths', 'id', ARRAY[1, 4]);
-- Empty and NULL key arrays: no rows.
SELECT count(*) FROM roomcast.load_many('authors', 'id', '{}'::int[]);
SELECT count(*) FROM roomcast.load_many('authors', 'id', NULL::int[]);
-- Text keys for a uuid column must be cast; uuid keys work.
CREATE TABLE tags (id uuid PRIMARY KEY, label text);
INSERT INTO tags VALUES ('aaaaaaaa-0000-0000-0000-000000000001', 'red');
SELECT roomcast.load_many('tags', 'id', ARRAY['aaaaaaaa-0000-0000-0000-000000000001']::uuid[]);

-- Identifiers are quoted: odd names, keywords, names like the loader's own aliases.
CREATE TABLE "Weird Table" ("Key Col" int PRIMARY KEY, k int, key text, ord int, "select" text,
                            rc_row int, rc_keys int);
INSERT INTO "Weird Table" VALUES (1, 10, 'a', 3, 'x', 0, 0), (2, 10, 'b', 2, 'y', 0, 0),
                                 (3, 20, 'c', 1, 'z', 0, 0);
SELECT roomcast.load_many('"Weird Table"', 'Key Col', ARRAY[3, 1]);
SELECT roomcast.load_grouped('"Weird Table"', 'k', ARRAY[10, 20], '"select" DESC, ord', 5);

-- Errors name the problem, with standard SQLSTATEs.
SELECT err($$SELECT roomcast.load_many('authors', 'id', ARRAY['1'])$$);
SELECT err($$SELECT roomcast.load_many('authors', 'nope', ARRAY[1])$$);
SELECT err($$SELECT roomcast.load_many('no_such_table', 'id', ARRAY[1])$$);
SELECT err($$SELECT roomcast.load_many(4000000000::oid::regclass, 'id', ARRAY[1])$$);
SELECT err($$SELECT roomcast.load_many('books', 'ctid', ARRAY['(0,1)'::tid])$$);
SELECT err($$SELECT roomcast.load_many('books', 'author_id', ARRAY[1])$$);
SELECT err($$SELECT roomcast.load_many('authors', 'id', ARRAY[[1, 2], [3, 4]])$$);
SELECT err($$SELECT roomcast.load_many('authors_pkey', 'id', ARRAY[1])$$);

-- The key limit: RC413, never clipped.
SHOW roomcast.max_loader_keys;
SELECT count(*) FROM roomcast.load_many('authors', 'id', (SELECT array_agg(g) FROM generate_series(1, 1000) g));
SELECT err($$SELECT roomcast.load_many('authors', 'id', (SELECT array_agg(g) FROM generate_series(1, 1001) g))$$);
SET roomcast.max_loader_keys = 3;
SELECT err($$SELECT roomcast.load_many('authors', 'id', ARRAY[1, 2, 3, 4])$$);
SELECT count(*) FROM roomcast.load_many('authors', 'id', ARRAY[1, 2, 3]);
RESET roomcast.max_loader_keys;

-- load_grouped: one array per key in key order, [] for none, order_by and
-- per_key_limit inside each group.
SELECT ord, r FROM roomcast.load_grouped('books', 'author_id', ARRAY[2, 4, 1, 2], 'year DESC')
    WITH ORDINALITY AS x(r, ord);
SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1, 3], 'rating DESC NULLS LAST, id', 2);
SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'rating nulls first');
SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], ' "year"  asc ', 1);
SELECT jsonb_array_length(r) FROM roomcast.load_grouped('books', 'author_id', ARRAY[1, 2, 3, 4]) AS r;
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'year; DROP TABLE books')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'year DESC, (SELECT 1)')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'lower(title)')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'year NULLS')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], '')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'pages')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'id,id,id,id,id,id,id,id,id')$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], NULL, 0)$$);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY['x'])$$);

-- One prepared plan per (relation, column, key type, kind, ordering), and
-- ONE query per call whatever the number of keys (calls counts executions).
SELECT count(*) FROM roomcast.load_many('books', 'id', ARRAY[10]);
SELECT count(*) FROM roomcast.load_many('books', 'id', ARRAY[10, 11, 12]);
SELECT count(*) FROM roomcast.load_many('books', 'id', (SELECT array_agg(g) FROM generate_series(1, 500) g));
SELECT rel, key_column, key_type, kind, order_by, prepares, calls, stale
  FROM roomcast.loader_plans() WHERE rel = 'books'::regclass ORDER BY kind, order_by NULLS FIRST, key_column;

-- DDL invalidates the plans: results stay right after ADD, DROP and RENAME.
ALTER TABLE books ADD COLUMN isbn text DEFAULT 'n/a';
SELECT roomcast.load_many('books', 'id', ARRAY[21]);
ALTER TABLE books DROP COLUMN rating;
SELECT roomcast.load_many('books', 'id', ARRAY[21]);
SELECT err($$SELECT roomcast.load_grouped('books', 'author_id', ARRAY[1], 'rating DESC NULLS LAST, id', 2)$$);
ALTER TABLE books RENAME COLUMN title TO name;
ALTER TABLE books RENAME COLUMN id TO book_id;
SELECT err($$SELECT roomcast.load_many('books', 'id', ARRAY[21])$$);
SELECT roomcast.load_many('books', 'book_id', ARRAY[21]);
SELECT roomcast.load_grouped('books', 'author_id', ARRAY[2], 'year');
ALTER TABLE books RENAME TO volumes;
SELECT roomcast.load_many('volumes', 'book_id', ARRAY[30]);
ALTER TABLE volumes ALTER COLUMN book_id TYPE bigint;
SELECT roomcast.load_many('volumes', 'book_id', ARRAY[30]);
SELECT roomcast.load_many('volumes', 'book_id', ARRAY[30]::bigint[]);
SELECT rel, key_column, key_type, kind, prepares, calls, stale
  FROM roomcast.loader_plans() WHERE rel = 'volumes'::regclass AND kind = 'many'
 ORDER BY key_type::text, key_column;

-- The "=" is the key type's own (citext's, case-insensitive), found through the
-- type, not through search_path: citext lives in a schema that is not on it.
CREATE SCHEMA loaders_ext;
CREATE EXTENSION citext SCHEMA loaders_ext;
CREATE TABLE handles (h loaders_ext.citext PRIMARY KEY, n int);
INSERT INTO handles VALUES ('Alice', 1), ('bob', 2);
SELECT roomcast.load_many('handles', 'h', ARRAY['ALICE', 'Bob', 'carol']::loaders_ext.citext[]);
-- text keys against a citext column: pg_catalog's text "=", case-sensitive
SELECT roomcast.load_many('handles', 'h', ARRAY['ALICE', 'bob']::text[]);
DROP TABLE handles;
DROP EXTENSION citext;
DROP SCHEMA loaders_ext;

DROP SCHEMA loaders_t CASCADE;
RESET search_path;
