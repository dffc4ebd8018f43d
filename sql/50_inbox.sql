-- The notification inbox (SPEC §4): send, count, read, archive, pages,
-- limits, tenant isolation, and the events each step emits.
-- Tenants 50000000-…-a (A) and -b (B); users …-1, …-2, …-3.
SET client_min_messages = warning;
INSERT INTO roomcast.tenants (id, slug, name) VALUES
    ('50000000-0000-0000-0000-00000000000a', 'inbox-a', 'Inbox A'),
    ('50000000-0000-0000-0000-00000000000b', 'inbox-b', 'Inbox B');
INSERT INTO roomcast.users (tenant_id, id, email)
SELECT t::uuid, ('50000000-0000-0000-0000-00000000000' || n)::uuid, n || '@' || right(t, 1) || '.inbox.test'
  FROM unnest(ARRAY['50000000-0000-0000-0000-00000000000a', '50000000-0000-0000-0000-00000000000b']) t,
       generate_series(1, 3) n;
-- act as user n of tenant A (or B) for the rest of the transaction
CREATE FUNCTION pg_temp.as_user(n int, t text DEFAULT 'a') RETURNS void LANGUAGE sql AS $$
    SELECT roomcast.set_identity(('50000000-0000-0000-0000-00000000000' || t)::uuid,
                                 ('50000000-0000-0000-0000-00000000000' || n)::uuid, 'member')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.as_user(int, text) TO PUBLIC;
CREATE TABLE pg_temp.sent (k text, id uuid);
GRANT ALL ON pg_temp.sent TO PUBLIC;
SET ROLE rc_test_app;

-- a service sends three notifications to user 1, one to user 2
BEGIN;
SELECT roomcast.set_identity('50000000-0000-0000-0000-00000000000a');
INSERT INTO pg_temp.sent
SELECT 'n' || i, roomcast.send_in_app('50000000-0000-0000-0000-000000000001', 'case:assigned', 'Case ' || i,
                                      CASE WHEN i = 2 THEN 'second body' END, 'case', i::text)
  FROM generate_series(1, 3) i;
INSERT INTO pg_temp.sent SELECT 'u2', roomcast.send_in_app('50000000-0000-0000-0000-000000000002', 'mention', 'Hi');
-- ids are time-ordered UUIDv7
SELECT count(*) AS sent, bool_and(substr(id::text, 15, 1) = '7') AS v7 FROM pg_temp.sent;
SELECT err($$SELECT roomcast.send_in_app('50000000-0000-0000-0000-000000000001', 'bad type', 't')$$);
SELECT err($$SELECT roomcast.send_in_app('50000000-0000-0000-0000-000000000001', 'x', NULL)$$);
-- a service identity has no inbox of its own
SELECT err($$SELECT roomcast.unread_count()$$);
COMMIT;

BEGIN;
SELECT pg_temp.as_user(1);
SELECT roomcast.unread_count();
-- newest first, keyset pages with before
SELECT jsonb_path_query_array(roomcast.recent(2), '$[*].title') AS page1;
SELECT jsonb_path_query_array(roomcast.recent(2, NULL, (roomcast.recent(2)->1->>'id')::uuid), '$[*].title') AS page2;
SELECT (r->0) - 'id' - 'createdAt' AS newest FROM roomcast.recent(1) r;
SELECT (roomcast.recent(1)->0->>'createdAt') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS iso_created_at;
SELECT jsonb_array_length(roomcast.recent(10, now() - interval '1 hour')) AS since_hour_ago,
       jsonb_array_length(roomcast.recent(10, now() + interval '1 hour')) AS since_future;
-- mark two read; again changes nothing; user 2's notification is not user 1's to mark
SELECT roomcast.mark_read(ARRAY(SELECT id FROM pg_temp.sent WHERE k IN ('n1', 'n2')));
SELECT roomcast.mark_read(ARRAY(SELECT id FROM pg_temp.sent WHERE k IN ('n1', 'n2')));
SELECT roomcast.mark_read(ARRAY(SELECT id FROM pg_temp.sent WHERE k = 'u2'));
SELECT roomcast.unread_count();
-- archive: an unread one leaves the count, a read one does not change it
SELECT roomcast.archive(ARRAY(SELECT id FROM pg_temp.sent WHERE k IN ('n1', 'n3')));
SELECT roomcast.unread_count(), jsonb_path_query_array(roomcast.recent(10), '$[*].title') AS visible;
COMMIT;

-- user 2 still has one, then reads all
BEGIN;
SELECT pg_temp.as_user(2);
SELECT roomcast.unread_count();
SELECT roomcast.mark_all_read();
SELECT roomcast.unread_count();
SELECT roomcast.mark_all_read();
SELECT roomcast.recent(5)->0->'isRead' AS is_read, roomcast.recent(5)->0->>'readAt' IS NOT NULL AS has_read_at;
COMMIT;

-- many: duplicates count once
BEGIN;
SELECT roomcast.set_identity('50000000-0000-0000-0000-00000000000a');
SELECT roomcast.send_in_app_many(ARRAY['50000000-0000-0000-0000-000000000001', '50000000-0000-0000-0000-000000000003',
                                       '50000000-0000-0000-0000-000000000001']::uuid[], 'digest', 'Weekly');
COMMIT;

-- limits raise RC413 and change nothing
BEGIN;
SELECT pg_temp.as_user(3);
SELECT err($$SELECT roomcast.send_in_app_many(ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 250)), 'x', 'y')$$);
SELECT err($$SELECT roomcast.mark_read(ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 100)))$$);
SELECT err($$SELECT roomcast.mark_read(ARRAY(SELECT id FROM roomcast.notifications WHERE user_id = '50000000-0000-0000-0000-000000000003' UNION ALL SELECT gen_random_uuid() FROM generate_series(1, 100)))$$);
SELECT err($$SELECT roomcast.archive(ARRAY(SELECT id FROM roomcast.notifications WHERE user_id = '50000000-0000-0000-0000-000000000003' UNION ALL SELECT gen_random_uuid() FROM generate_series(1, 100)))$$);
SELECT err($$SELECT roomcast.recent(101)$$);
SELECT err($$SELECT jsonb_array_length(roomcast.recent(100))$$);
SELECT err($$SELECT roomcast.recent(0)$$);
-- user 3 still has exactly the one unread digest
SELECT roomcast.unread_count(), jsonb_path_query_array(roomcast.recent(10), '$[*].isRead') AS read_flags;
COMMIT;
RESET ROLE;
SET roomcast.max_batch = 2;
SET roomcast.max_page = 3;
SET ROLE rc_test_app;
BEGIN;
SELECT pg_temp.as_user(1);
SELECT err($$SELECT roomcast.mark_read(ARRAY(SELECT id FROM pg_temp.sent))$$);
SELECT err($$SELECT roomcast.recent(4)$$);
SELECT err($$SELECT jsonb_array_length(roomcast.recent(3))$$);
COMMIT;
RESET ROLE;
RESET roomcast.max_batch;
RESET roomcast.max_page;
SET ROLE rc_test_app;

-- tenant B cannot see or touch tenant A's notifications
BEGIN;
SELECT pg_temp.as_user(1, 'b');
SELECT roomcast.unread_count(), roomcast.recent(10);
SELECT roomcast.mark_read(ARRAY(SELECT id FROM pg_temp.sent));
SELECT roomcast.archive(ARRAY(SELECT id FROM pg_temp.sent));
SELECT count(*) AS visible_rows FROM roomcast.notifications;
COMMIT;

-- the tables are read-only to applications; RLS scopes reads
BEGIN;
SELECT pg_temp.as_user(1);
SELECT count(*) AS tenant_a_rows FROM roomcast.notifications;
SELECT err($$UPDATE roomcast.inbox_counters SET unread = 0 RETURNING unread$$);
SELECT err($$UPDATE roomcast.notifications SET is_read = true RETURNING 1$$);
-- what user 1's sockets received, in order
SELECT event, CASE event WHEN 'notification:new' THEN data->>'title'
                         WHEN 'notification:unread_count' THEN data->>'count'
                         WHEN 'notification:marked_read' THEN jsonb_array_length(data->'ids')::text END AS detail,
       nsp
  FROM roomcast.events
 WHERE room = 'tenant:50000000-0000-0000-0000-00000000000a:user:50000000-0000-0000-0000-000000000001'
 ORDER BY pos;
SELECT data - 'timestamp' - 'id' - 'createdAt' AS new_payload FROM roomcast.events
 WHERE room = 'tenant:50000000-0000-0000-0000-00000000000a:user:50000000-0000-0000-0000-000000000001'
   AND event = 'notification:new' ORDER BY pos LIMIT 1 OFFSET 1;
COMMIT;
RESET ROLE;

-- every counter equals a full count
SELECT c.user_id, c.unread,
       (SELECT count(*) FROM roomcast.notifications n
         WHERE n.tenant_id = c.tenant_id AND n.user_id = c.user_id AND NOT n.is_read AND n.archived_at IS NULL) AS counted
  FROM roomcast.inbox_counters c WHERE c.tenant_id = '50000000-0000-0000-0000-00000000000a' ORDER BY 1;
