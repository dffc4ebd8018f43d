-- examples/casework/functions.sql — the page-shaped reads of the casework
-- example, each ONE round trip returning complete JSON. Included by
-- schema.sql. They run as the caller (RLS applies) and also filter on
-- tenant_id = roomcast.current_tenant() themselves: the same rows either
-- way, and the planner can use the (tenant_id, …) indexes even for a role
-- that bypasses RLS.

-- A person as the UI shows them.
CREATE FUNCTION casework.person(u roomcast.users) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN u.id IS NULL THEN NULL
                ELSE jsonb_build_object('id', u.id, 'displayName', u.display_name, 'email', u.email) END
$$;

-- case_list(filter, page): one page (50) of cases, newest first, each with
-- its creator, assignee, report and investigation counts.
--   filter keys (all optional): status (text or text[]), assignee (uuid,
--   "me", or null for unassigned), creator (uuid), priority (1-4),
--   createdAfter / createdBefore (timestamptz), and withTotal (boolean:
--   also count all matching cases, which costs a scan of them all — the
--   page itself only reads its 50 rows). Unknown keys are refused, so a typo
--   does not silently return everything.
-- Returns {page, pageSize, hasMore, cases: […]} (+ total, pages).
-- page counts from 1; at most 2000 (100,000 rows deep): beyond that use
-- filters. Errors: 22023 for a bad filter or page, RC413 for a page too deep.
CREATE FUNCTION casework.case_list(filter jsonb DEFAULT '{}', page int DEFAULT 1)
    RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    page_size  constant int := 50;
    tenant     uuid := roomcast.current_tenant();
    f          jsonb := coalesce(filter, '{}');
    statuses   text[];
    assignee   uuid;
    creator    uuid;
    prio       int;
    after_ts   timestamptz;
    before_ts  timestamptz;
    bad        text;
    preds      text := 'c.tenant_id = $1';
    total      bigint;
    ids        uuid[];
    result     jsonb;
BEGIN
    IF jsonb_typeof(f) <> 'object' THEN
        RAISE EXCEPTION 'invalid case filter' USING ERRCODE = '22023',
            DETAIL = 'The filter must be a JSON object.';
    END IF;
    SELECT min(k) INTO bad FROM jsonb_object_keys(f) k
     WHERE k NOT IN ('status', 'assignee', 'creator', 'priority', 'createdAfter', 'createdBefore',
                     'withTotal');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown case filter "%"', bad USING ERRCODE = '22023',
            DETAIL = 'Filters are status, assignee, creator, priority, createdAfter, createdBefore and withTotal.';
    END IF;
    IF page IS NULL OR page < 1 THEN
        RAISE EXCEPTION 'invalid page %', page USING ERRCODE = '22023',
            DETAIL = 'Pages count from 1.';
    END IF;
    IF page > 2000 THEN
        RAISE EXCEPTION 'page too deep' USING ERRCODE = 'RC413',
            DETAIL = format('Page %s exceeds the deepest page (2000); narrow the filter instead.', page);
    END IF;

    -- Only fixed predicate texts are concatenated; values travel as parameters.
    IF f ? 'status' THEN
        statuses := CASE jsonb_typeof(f->'status')
                        WHEN 'string' THEN ARRAY[f->>'status']
                        WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(f->'status'))
                    END;
        IF statuses IS NULL THEN
            RAISE EXCEPTION 'invalid case filter "status"' USING ERRCODE = '22023',
                DETAIL = 'status must be a string or an array of strings.';
        END IF;
        preds := preds || CASE WHEN cardinality(statuses) = 1 THEN ' AND c.status = $2[1]'
                               ELSE ' AND c.status = ANY ($2)' END;
    END IF;
    IF f ? 'assignee' THEN
        IF jsonb_typeof(f->'assignee') = 'null' THEN
            preds := preds || ' AND c.assignee_id IS NULL';
        ELSE
            assignee := CASE WHEN f->>'assignee' = 'me' THEN roomcast.current_user_id()
                             ELSE (f->>'assignee')::uuid END;
            preds := preds || ' AND c.assignee_id = $3';
        END IF;
    END IF;
    IF f ? 'creator' THEN
        creator := (f->>'creator')::uuid;
        preds := preds || ' AND c.created_by = $4';
    END IF;
    IF f ? 'priority' THEN
        prio := (f->>'priority')::int;
        preds := preds || ' AND c.priority = $5';
    END IF;
    IF f ? 'createdAfter' THEN
        after_ts := (f->>'createdAfter')::timestamptz;
        preds := preds || ' AND c.created_at >= $6';
    END IF;
    IF f ? 'createdBefore' THEN
        before_ts := (f->>'createdBefore')::timestamptz;
        preds := preds || ' AND c.created_at < $7';
    END IF;

    -- Two steps, so that only the cheap part is planned per call: the
    -- filtered id list (dynamic SQL, planned for its filter's index) and
    -- the enrichment of those ids (static SQL, a plan cached by PL/pgSQL).
    -- One row more than a page tells whether there is a next page.
    EXECUTE 'SELECT array_agg(id ORDER BY created_at DESC, id DESC) FROM (
                 SELECT c.id, c.created_at FROM casework.cases c WHERE ' || preds || '
                  ORDER BY c.created_at DESC, c.id DESC LIMIT $8 + 1 OFFSET $9) p'
       INTO ids
      USING tenant, statuses, assignee, creator, prio, after_ts, before_ts,
            page_size, (page - 1) * page_size;
    ids := coalesce(ids, '{}');

    SELECT jsonb_build_object(
               'hasMore', cardinality(ids) > page_size,
               'cases', coalesce(jsonb_agg(jsonb_build_object(
                   'id', p.id, 'number', p.number, 'title', p.title,
                   'status', p.status, 'priority', p.priority,
                   'createdAt', p.created_at, 'updatedAt', p.updated_at,
                   'creator', casework.person(cu), 'assignee', casework.person(au),
                   'reportCount', rc.n, 'investigationCount', ic.n)
                   ORDER BY k.n), '[]'))
      INTO result
      FROM unnest(ids[1:page_size]) WITH ORDINALITY AS k(id, n)
      JOIN casework.cases p ON p.tenant_id = tenant AND p.id = k.id
      LEFT JOIN roomcast.users cu ON cu.tenant_id = p.tenant_id AND cu.id = p.created_by
      LEFT JOIN roomcast.users au ON au.tenant_id = p.tenant_id AND au.id = p.assignee_id
      CROSS JOIN LATERAL (SELECT count(*) AS n FROM casework.intake_reports r
                           WHERE r.tenant_id = p.tenant_id AND r.case_id = p.id) rc
      CROSS JOIN LATERAL (SELECT count(*) AS n FROM casework.investigations i
                           WHERE i.tenant_id = p.tenant_id AND i.case_id = p.id) ic;
    result := jsonb_build_object('page', page, 'pageSize', page_size) || result;

    IF coalesce((f->>'withTotal')::boolean, false) THEN
        EXECUTE 'SELECT count(*) FROM casework.cases c WHERE ' || preds
           INTO total
          USING tenant, statuses, assignee, creator, prio, after_ts, before_ts;
        result := result || jsonb_build_object('total', total,
                                               'pages', (total + page_size - 1) / page_size);
    END IF;
    RETURN result;
END $$;

-- investigation_detail(id): the investigation with its case, lead, steps
-- (with assignees and note counts), the latest 50 notes with authors, its
-- RCA rooms and counts. NULL when there is no such investigation for the
-- current tenant (another tenant's id looks exactly like a missing one).
CREATE FUNCTION casework.investigation_detail(investigation uuid)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', i.id, 'title', i.title, 'status', i.status,
        'openedAt', i.opened_at, 'closedAt', i.closed_at,
        'case', (SELECT jsonb_build_object('id', c.id, 'number', c.number, 'title', c.title,
                                           'status', c.status, 'priority', c.priority)
                   FROM casework.cases c WHERE c.tenant_id = i.tenant_id AND c.id = i.case_id),
        'lead', (SELECT casework.person(u) FROM roomcast.users u
                  WHERE u.tenant_id = i.tenant_id AND u.id = i.lead_id),
        'steps', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', s.id, 'position', s.position, 'title', s.title, 'status', s.status,
                       'dueAt', s.due_at, 'doneAt', s.done_at,
                       'assignee', casework.person(su),
                       'noteCount', (SELECT count(*) FROM casework.investigation_notes n
                                      WHERE n.tenant_id = s.tenant_id AND n.step_id = s.id))
                   ORDER BY s.position)
              FROM casework.investigation_steps s
              LEFT JOIN roomcast.users su ON su.tenant_id = s.tenant_id AND su.id = s.assignee_id
             WHERE s.tenant_id = i.tenant_id AND s.investigation_id = i.id), '[]'),
        'notes', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', n.id, 'stepId', n.step_id, 'body', n.body, 'createdAt', n.created_at,
                       'author', casework.person(nu))
                   ORDER BY n.created_at DESC, n.id DESC)
              FROM (SELECT * FROM casework.investigation_notes n
                     WHERE n.tenant_id = i.tenant_id AND n.investigation_id = i.id
                     ORDER BY n.created_at DESC, n.id DESC LIMIT 50) n
              LEFT JOIN roomcast.users nu ON nu.tenant_id = n.tenant_id AND nu.id = n.author_id), '[]'),
        'rcaRooms', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', r.id, 'name', r.name, 'openedAt', r.opened_at, 'closedAt', r.closed_at,
                       'room', format('tenant:%s:rca:%s', r.tenant_id, r.id))
                   ORDER BY r.opened_at)
              FROM casework.rca_rooms r
             WHERE r.tenant_id = i.tenant_id AND r.investigation_id = i.id), '[]'),
        'counts', jsonb_build_object(
            'steps', (SELECT count(*) FROM casework.investigation_steps s
                       WHERE s.tenant_id = i.tenant_id AND s.investigation_id = i.id),
            'stepsDone', (SELECT count(*) FROM casework.investigation_steps s
                           WHERE s.tenant_id = i.tenant_id AND s.investigation_id = i.id
                             AND s.status = 'done'),
            'notes', (SELECT count(*) FROM casework.investigation_notes n
                       WHERE n.tenant_id = i.tenant_id AND n.investigation_id = i.id)))
      FROM casework.investigations i
     WHERE i.tenant_id = roomcast.current_tenant() AND i.id = investigation
$$;

-- entity_history(type, id, lim): an entity's audit trail, newest first.
CREATE FUNCTION casework.entity_history(entity_type text, entity_id uuid, lim int DEFAULT 50)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('at', a.at, 'actorId', a.actor_id,
                                                 'action', a.action, 'detail', a.detail)
                              ORDER BY a.at DESC, a.id DESC), '[]')
      FROM (SELECT * FROM casework.audit_log a
             WHERE a.tenant_id = roomcast.current_tenant()
               AND a.entity_type = entity_history.entity_type
               AND a.entity_id = entity_history.entity_id
             ORDER BY a.at DESC LIMIT least(greatest(lim, 1), 100)) a
$$;

-- actor_activity(actor, since, lim): what a person did since a time, newest first.
CREATE FUNCTION casework.actor_activity(actor uuid, since timestamptz, lim int DEFAULT 50)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('at', a.at, 'entityType', a.entity_type,
                                                 'entityId', a.entity_id, 'action', a.action)
                              ORDER BY a.at DESC, a.id DESC), '[]')
      FROM (SELECT * FROM casework.audit_log a
             WHERE a.tenant_id = roomcast.current_tenant() AND a.actor_id = actor
               AND a.at >= since
             ORDER BY a.at DESC LIMIT least(greatest(lim, 1), 100)) a
$$;

-- Join policy for the notifier's RCA rooms (kind "rca"): a user of the
-- tenant may join the room of an RCA room that is still open. RLS has
-- already limited the rows to the caller's tenant.
CREATE FUNCTION casework.can_join_rca(user_id uuid, id text) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM casework.rca_rooms r
                    WHERE r.tenant_id = roomcast.current_tenant()
                      AND r.id = CASE WHEN can_join_rca.id ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                                      THEN can_join_rca.id::uuid END
                      AND r.closed_at IS NULL)
$$;
-- Register it when the room subsystem is installed (SPEC §2).
DO $$
BEGIN
    IF to_regprocedure('roomcast.register_room_kind(text,regprocedure)') IS NOT NULL THEN
        EXECUTE $sql$SELECT roomcast.register_room_kind('rca', 'casework.can_join_rca(uuid,text)'::regprocedure)$sql$;
    END IF;
END $$;

-- The same reads for browsers, through the notifier's rpc gateway (SPEC §5):
-- socket.emit('case_list', {filter, page}, ack). Registered when the rpc
-- subsystem is installed; the database decides what the caller sees.
CREATE FUNCTION casework.rpc_case_list(args jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT casework.case_list(coalesce(args->'filter', '{}'), coalesce((args->>'page')::int, 1))
$$;
CREATE FUNCTION casework.rpc_investigation_detail(args jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT casework.investigation_detail((args->>'id')::uuid)
$$;
DO $$
BEGIN
    IF to_regprocedure('roomcast.register_method(text,regprocedure)') IS NOT NULL THEN
        EXECUTE $sql$SELECT roomcast.register_method('case_list', 'casework.rpc_case_list(jsonb)'::regprocedure)$sql$;
        EXECUTE $sql$SELECT roomcast.register_method('investigation_detail',
                                                     'casework.rpc_investigation_detail(jsonb)'::regprocedure)$sql$;
    END IF;
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA casework TO casework_app;
