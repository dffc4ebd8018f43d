
-- 22 (new in 0.2.0): pg_dump carries the position of security_events' ids.
--
-- security_events.id is an identity column (20_sessions.ddl.sql); its
-- sequence is an extension member, and in 0.1.0 it was not marked as
-- configuration, so pg_dump restored the table's rows but not the
-- sequence's position: after a restore the sequence began again at 1, the
-- first new security event of a tenant collided with a restored id, and the
-- background worker that writes it failed on the primary key - the event
-- was lost. Marked, the dump ends with a setval() past the restored ids.
SELECT pg_catalog.pg_extension_config_dump('roomcast.security_events_id_seq', '');
