-- roomcast upgrade script 0.1.0 -> 0.2.0 (ALTER EXTENSION roomcast UPDATE).
--
-- Hand-written: it holds, section by section, the DDL that 0.2.0's
-- fragments (extension/ddl/NN_*.ddl.sql) add to or change in the frozen
-- extension/roomcast--0.1.0.sql. A new fragment's statements are copied
-- here unchanged under a section header naming the fragment; a changed
-- object gets its CREATE OR REPLACE / ALTER. Append new sections at the
-- end. test/suites/28-upgrade.sh fails when the catalog this script leaves
-- differs from a fresh 0.2.0 install (a forgotten statement, grant or
-- comment), and when leaving out any one statement goes unnoticed; a
-- statement whose effect is not in the catalog (rows it inserts) is marked
-- by a comment line "-- upgrade-test: not in the catalog (why)" right above
-- it. See docs/upgrades.md.
\echo Use "ALTER EXTENSION roomcast UPDATE TO '0.2.0'" to load this file. \quit

-- ==== section: extension/ddl/47_control_truncate.ddl.sql (TRUNCATE kicks) ====
-- 47 (new in 0.2.0): TRUNCATE of roomcast.users or roomcast.tenants kicks.
--
-- The row triggers of 46_control.ddl.sql log a kick when a user is deleted
-- or disabled and a kick_tenant when a tenant is deleted. TRUNCATE fires no
-- row trigger, so in 0.1.0 the sockets of truncated users stayed connected.
-- These statement triggers run BEFORE the truncation, while the rows are
-- still there, and log one kick_tenant per tenant that has rows: every open
-- socket of a tenant belongs to one of its users, so that disconnects
-- exactly the sockets of the truncated users (for users) or tenants. The
-- notifiers already obey kick_tenant (notifier/hub/db.c), so a 0.1.0
-- notifier works with this unchanged. Like the row triggers, the entries are
-- written at commit as the owner (roomcast.notify_control), and a TRUNCATE
-- that rolls back logs nothing. TRUNCATE roomcast.tenants CASCADE fires both
-- triggers: a tenant is then kicked twice, which the notifier treats as once.
CREATE FUNCTION roomcast._control_on_truncate()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t      uuid;
    reason text;
BEGIN
    IF TG_OP <> 'TRUNCATE' OR TG_WHEN <> 'BEFORE' OR TG_TABLE_SCHEMA <> 'roomcast'
       OR TG_TABLE_NAME NOT IN ('users', 'tenants') THEN
        RAISE EXCEPTION 'roomcast._control_on_truncate must be a BEFORE TRUNCATE trigger on roomcast.users or roomcast.tenants'
            USING ERRCODE = 'triggered_action_exception', DETAIL = format('It fired %s %s on %I.%I.', TG_WHEN, TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    -- SECURITY DEFINER: the owner sees every tenant's rows, whatever the
    -- identity or row-level security of the role that truncates
    IF TG_TABLE_NAME = 'users' THEN
        reason := 'users_truncated';
        FOR t IN SELECT DISTINCT u.tenant_id FROM roomcast.users u ORDER BY 1 LOOP
            PERFORM roomcast.notify_control('kick_tenant', jsonb_build_object('tenant', t, 'reason', reason));
        END LOOP;
    ELSE
        reason := 'tenants_truncated';
        FOR t IN SELECT n.id FROM roomcast.tenants n ORDER BY 1 LOOP
            PERFORM roomcast.notify_control('kick_tenant', jsonb_build_object('tenant', t, 'reason', reason));
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION roomcast._control_on_truncate() IS
    'roomcast (internal): BEFORE TRUNCATE trigger of users and tenants; logs kick_tenant for every tenant with rows';
REVOKE ALL ON FUNCTION roomcast._control_on_truncate() FROM PUBLIC;

CREATE TRIGGER control_kick_truncated_users
    BEFORE TRUNCATE ON roomcast.users
    FOR EACH STATEMENT EXECUTE FUNCTION roomcast._control_on_truncate();
CREATE TRIGGER control_kick_truncated_tenants
    BEFORE TRUNCATE ON roomcast.tenants
    FOR EACH STATEMENT EXECUTE FUNCTION roomcast._control_on_truncate();

-- ==== section: extension/ddl/22_security_events_seq.ddl.sql (dump the security_events id sequence) ====
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
