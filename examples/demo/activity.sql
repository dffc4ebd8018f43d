-- examples/demo/activity.sql — one tick of the demo's live activity
-- (psql -v tick=N; run by examples/demo/run every ~1.5 s as a superuser).
--
-- In casework tenant 1, as the service identity:
--   * case number 1 + tick % 5 moves to its next status (the trigger of
--     setup_cases.sql sends case:updated to its room and case:changed to the
--     tenant: open one of cases 1-5 in the page to watch it move);
--   * 'activity' goes to the whole tenant (every connected demo user);
--   * every third tick, a notification to each demo user (roomcast.send_in_app:
--     notification:new and notification:unread_count in /notifications).
-- One transaction: nothing is delivered before COMMIT.
\set ON_ERROR_STOP on
BEGIN;
SELECT roomcast.set_identity(md5('tenant-1')::uuid, NULL);

WITH moved AS (
    UPDATE casework.cases c
       SET status = CASE c.status WHEN 'open' THEN 'triage' WHEN 'triage' THEN 'investigating'
                                  WHEN 'investigating' THEN 'resolved' WHEN 'resolved' THEN 'closed'
                                  ELSE 'open' END,
           updated_at = now()
     WHERE c.tenant_id = roomcast.current_tenant() AND c.number = 1 + :tick % 5
    RETURNING c.number, c.title, c.status
)
SELECT roomcast.emit_to_tenant('activity',
                               jsonb_build_object('tick', :tick,
                                                  'text', format('case #%s %s is now %s', m.number, m.title, m.status)))
  FROM moved m;

SELECT roomcast.send_in_app(u.id, 'case_update',
                            format('Case #%s needs a look', 1 + :tick % 5),
                            format('Tick %s of the demo activity', :tick),
                            'case', (1 + :tick % 5)::text)
  FROM roomcast.users u
 WHERE :tick % 3 = 0
   AND u.tenant_id = roomcast.current_tenant() AND u.email LIKE '%@demo.example';
COMMIT;
