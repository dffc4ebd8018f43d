-- examples/demo/setup_cases.sql — the case page of the demo (included by
-- setup.sql, inside its transaction, as a superuser).
--
--   * casework.cases gets a notes column (free text shown on the case page);
--   * an AFTER UPDATE trigger emits, when the transaction commits,
--       case:updated {number, title, status, priority, notes, updatedAt, by,
--                     byEmail, editId, changed}  to tenant:{t}:case:{number}
--       case:changed {number, title, status, priority, updatedAt, by}
--                                                to tenant:{t} (the case list)
--     whoever made the change: the page (rpc case_update), a backend, or
--     psql (with no identity set, the trigger takes the row's tenant as the
--     service identity, so `UPDATE casework.cases …` in psql shows up live);
--   * rpc methods, registered for every tenant and run by roomcast.rpc with
--     the socket's identity as roomcast_demo_notifier (RLS applies):
--       case_get {number}                         → the case, or RC404
--       case_update {number, title?, status?, priority?, notes?, editId?}
--                                                 → the case after the change
--       session_refresh {refreshToken}            → {access_token,
--                                                    refresh_token, expires_at}
--     editId is the page's id for one save: the trigger copies it into
--     case:updated so the editing tab recognises its own change (no flicker).

ALTER TABLE casework.cases ADD COLUMN notes text NOT NULL DEFAULT ''
    CHECK (length(notes) <= 4000);

-- The case as the case page shows it (NULL when not visible: RLS).
CREATE FUNCTION demo.case_json(c casework.cases) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'number', c.number, 'title', c.title, 'status', c.status,
        'priority', c.priority, 'notes', c.notes, 'createdAt', c.created_at,
        'updatedAt', c.updated_at,
        'assignee', (SELECT jsonb_build_object('id', u.id, 'name', u.display_name, 'email', u.email)
                       FROM roomcast.users u
                      WHERE u.tenant_id = c.tenant_id AND u.id = c.assignee_id))
$$;

-- Trigger: announce a changed case to its room and to the tenant. Why an
-- identity may have to be set here: roomcast.emit only writes to rooms of
-- the transaction's tenant, and a psql session has none.
CREATE FUNCTION demo.case_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tenant  uuid;
    editor  uuid;
    email   text;
    changed text[] := '{}';
BEGIN
    IF NEW.title IS DISTINCT FROM OLD.title THEN changed := array_append(changed, 'title'); END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN changed := array_append(changed, 'status'); END IF;
    IF NEW.priority IS DISTINCT FROM OLD.priority THEN changed := array_append(changed, 'priority'); END IF;
    IF NEW.notes IS DISTINCT FROM OLD.notes THEN changed := array_append(changed, 'notes'); END IF;
    IF cardinality(changed) = 0 THEN
        RETURN NULL;
    END IF;
    BEGIN
        tenant := roomcast.current_tenant();
    EXCEPTION WHEN SQLSTATE 'RC401' THEN
        tenant := NULL;
    END;
    IF tenant IS DISTINCT FROM NEW.tenant_id THEN
        -- psql or a job: act as the row's tenant (roomcast_service members only)
        PERFORM roomcast.set_identity(NEW.tenant_id, NULL);
    END IF;
    editor := roomcast.current_user_id();
    SELECT u.email INTO email FROM roomcast.users u
     WHERE u.tenant_id = NEW.tenant_id AND u.id = editor;
    PERFORM roomcast.emit(roomcast.room('case', NEW.number::text), 'case:updated',
                          jsonb_build_object('number', NEW.number, 'title', NEW.title,
                                             'status', NEW.status, 'priority', NEW.priority,
                                             'notes', NEW.notes, 'updatedAt', NEW.updated_at,
                                             'by', editor, 'byEmail', email,
                                             'editId', nullif(current_setting('demo.edit_id', true), ''),
                                             'changed', to_jsonb(changed)));
    PERFORM roomcast.emit_to_tenant('case:changed',
                                    jsonb_build_object('number', NEW.number, 'title', NEW.title,
                                                       'status', NEW.status, 'priority', NEW.priority,
                                                       'updatedAt', NEW.updated_at, 'by', editor));
    RETURN NULL;
END $$;
CREATE TRIGGER case_changed AFTER UPDATE ON casework.cases
    FOR EACH ROW EXECUTE FUNCTION demo.case_changed();

-- rpc case_get {number}
CREATE FUNCTION demo.rpc_case_get(args jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    result jsonb;
BEGIN
    IF coalesce(args->>'number', '') !~ '^[0-9]{1,9}$' THEN
        RAISE EXCEPTION 'case_get needs a case number' USING ERRCODE = '22023',
            DETAIL = 'Pass {"number": N}.';
    END IF;
    SELECT demo.case_json(c) INTO result FROM casework.cases c
     WHERE c.tenant_id = roomcast.current_tenant() AND c.number = (args->>'number')::bigint;
    IF result IS NULL THEN
        RAISE EXCEPTION 'no case %', args->>'number' USING ERRCODE = 'RC404',
            DETAIL = 'There is no such case in your tenant.';
    END IF;
    RETURN result;
END $$;

-- rpc case_update {number, title?, status?, priority?, notes?, editId?}:
-- only the keys given change; the trigger tells everyone else.
CREATE FUNCTION demo.rpc_case_update(args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad    text;
    result jsonb;
BEGIN
    SELECT min(k) INTO bad FROM jsonb_object_keys(args) k
     WHERE k NOT IN ('number', 'title', 'status', 'priority', 'notes', 'editId');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'case_update: unknown key "%"', bad USING ERRCODE = '22023',
            DETAIL = 'Keys are number, title, status, priority, notes and editId.';
    END IF;
    IF coalesce(args->>'number', '') !~ '^[0-9]{1,9}$' THEN
        RAISE EXCEPTION 'case_update needs a case number' USING ERRCODE = '22023',
            DETAIL = 'Pass {"number": N, …}.';
    END IF;
    IF args ? 'title' AND (jsonb_typeof(args->'title') <> 'string'
                           OR length(btrim(args->>'title')) NOT BETWEEN 1 AND 200) THEN
        RAISE EXCEPTION 'case_update: title must be 1 to 200 characters' USING ERRCODE = '22023',
            DETAIL = 'A case needs a title of at most 200 characters.';
    END IF;
    IF args ? 'status' AND coalesce(args->>'status', '') NOT IN
            ('open', 'triage', 'investigating', 'resolved', 'closed') THEN
        RAISE EXCEPTION 'case_update: unknown status' USING ERRCODE = '22023',
            DETAIL = 'Status is open, triage, investigating, resolved or closed.';
    END IF;
    IF args ? 'priority' AND coalesce(args->>'priority', '') !~ '^[1-4]$' THEN
        RAISE EXCEPTION 'case_update: priority must be 1 to 4' USING ERRCODE = '22023',
            DETAIL = 'Priority 1 is the most urgent, 4 the least.';
    END IF;
    IF args ? 'notes' AND (jsonb_typeof(args->'notes') <> 'string' OR length(args->>'notes') > 4000) THEN
        RAISE EXCEPTION 'case_update: notes must be text of at most 4000 characters' USING ERRCODE = 'RC413',
            DETAIL = 'Notes are limited to 4000 characters.';
    END IF;
    IF args ? 'editId' AND coalesce(args->>'editId', '') !~ '^[A-Za-z0-9_-]{1,64}$' THEN
        RAISE EXCEPTION 'case_update: invalid editId' USING ERRCODE = '22023',
            DETAIL = 'editId is 1 to 64 characters of A-Z, a-z, 0-9, _ and -.';
    END IF;
    PERFORM set_config('demo.edit_id', coalesce(args->>'editId', ''), true);
    UPDATE casework.cases c
       SET title = CASE WHEN args ? 'title' THEN btrim(args->>'title') ELSE c.title END,
           status = coalesce(args->>'status', c.status),
           priority = coalesce((args->>'priority')::smallint, c.priority),
           notes = CASE WHEN args ? 'notes' THEN args->>'notes' ELSE c.notes END,
           updated_at = now()
     WHERE c.tenant_id = roomcast.current_tenant() AND c.number = (args->>'number')::bigint
    RETURNING demo.case_json(c) INTO result;
    PERFORM set_config('demo.edit_id', '', true);
    IF result IS NULL THEN
        RAISE EXCEPTION 'no case %', args->>'number' USING ERRCODE = 'RC404',
            DETAIL = 'There is no such case in your tenant.';
    END IF;
    RETURN result;
END $$;

-- rpc session_refresh {refreshToken}: rotate the tab's refresh token
-- (roomcast.refresh: reuse of a rotated one revokes the family) and hand
-- back the new pair. Only for the caller's own session: a refresh token of
-- another user is refused and, the transaction rolling back, not rotated.
CREATE FUNCTION demo.rpc_session_refresh(args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pair jsonb;
BEGIN
    IF jsonb_typeof(args->'refreshToken') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'session_refresh needs a refresh token' USING ERRCODE = '22023',
            DETAIL = 'Pass {"refreshToken": "…"}.';
    END IF;
    pair := roomcast.refresh(args->>'refreshToken');
    IF (roomcast.verify(pair->>'access_token')->>'sub') IS DISTINCT FROM roomcast.current_user_id()::text THEN
        RAISE EXCEPTION 'not your session' USING ERRCODE = 'RC404',
            DETAIL = 'The refresh token belongs to another user.';
    END IF;
    RETURN pair;
END $$;

GRANT UPDATE (title, status, priority, notes, updated_at) ON casework.cases TO roomcast_demo_notifier;
GRANT SELECT ON roomcast.users TO roomcast_demo_notifier;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA demo TO roomcast_demo_notifier;
SELECT roomcast.register_method('case_get', 'demo.rpc_case_get(jsonb)'::regprocedure);
SELECT roomcast.register_method('case_update', 'demo.rpc_case_update(jsonb)'::regprocedure);
SELECT roomcast.register_method('session_refresh', 'demo.rpc_session_refresh(jsonb)'::regprocedure);
