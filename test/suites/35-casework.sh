# Suite: the casework example (examples/casework) at 100,000 cases.
# Loads it into its own database with its generator, then checks, as the
# unprivileged casework_app role under a tenant identity: isolation, the
# JSON of case_list / investigation_detail, and — from the plans that
# auto_explain logs for the statements inside those functions and inside
# load_many / load_grouped — that every casework table is read through its
# indexes, never sequentially. TAP on stdout, details on stderr.
set -u
cd "$RC_ROOT" || exit 1
db=casework_suite
cw=examples/casework
cases=${RC_CASEWORK_CASES:-100000}
status=0

ok() { echo "ok - casework: $1"; }
notok() { echo "not ok - casework: $1"; status=1; }
check() { # check DESC EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "# $1: expected [$2], got [$3]" >&2; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# Run SQL as casework_app under tenant 1, user 3 (one transaction).
as_app() {
	q -c "SET ROLE casework_app" -c "BEGIN" \
		-c "SELECT roomcast.set_identity(md5('tenant-1')::uuid, md5('user-1-3')::uuid, 'member')" \
		-c "$1" -c "COMMIT" | tail -n +2
}

psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2 &&
	q -c "CREATE EXTENSION pgcrypto" -c "CREATE EXTENSION roomcast" >&2 ||
	{ notok "create database"; exit 1; }

if q -f $cw/schema.sql >&2; then ok "schema.sql installs"; else notok "schema.sql installs"; exit 1; fi

start=$(date +%s%N)
if q -v cases="$cases" -f $cw/generate.sql >&2; then ok "generate.sql loads $cases cases"; else notok "generate.sql loads"; exit 1; fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# generated $cases cases in $ms ms" >&2
[ "$ms" -lt 60000 ] && ok "the generator takes under a minute ($ms ms)" || notok "the generator takes under a minute ($ms ms)"
check "cases loaded" "$cases" "$(q -c 'SELECT count(*) FROM casework.cases')"

# Isolation: every table protected, nothing reported, a tenant sees its own.
check "every casework table has RLS enabled and forced" "0" \
	"$(q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'casework'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND NOT (relrowsecurity AND relforcerowsecurity)")"
check "isolation_report finds nothing in casework" "0" \
	"$(q -c "SELECT count(*) FROM roomcast.isolation_report() WHERE table_name::text LIKE 'casework.%'")"
check "index_advice has no index to create for casework" "0" \
	"$(q -c "SELECT count(*) FROM roomcast.index_advice() WHERE table_name::text LIKE 'casework.%' AND ddl LIKE 'CREATE%'")"
check "tenant 1 sees only its cases" "$((cases / 10))" "$(as_app 'SELECT count(*) FROM casework.cases')"
check "another tenant's rows are invisible" "0" \
	"$(as_app "SELECT count(*) FROM casework.cases WHERE tenant_id <> md5('tenant-1')::uuid")"

# case_list: one call, a complete page.
page=$(as_app "SELECT casework.case_list('{\"withTotal\": true}', 2)")
check "case_list page has 50 cases" "50" "$(as_app "SELECT jsonb_array_length('$page'::jsonb->'cases')")"
check "case_list total is the tenant's count" "$((cases / 10))" "$(as_app "SELECT '$page'::jsonb->>'total'")"
check "case_list says there is a next page, and not after the last" "true false" \
	"$(as_app "SELECT '$page'::jsonb->>'hasMore'") $(as_app "SELECT casework.case_list('{}', $((cases / 10 / 50)))->>'hasMore'")"
check "every case has a creator with a name, a report count and an investigation count" "50" \
	"$(as_app "SELECT count(*) FROM jsonb_array_elements('$page'::jsonb->'cases') c WHERE c->'creator'->>'displayName' LIKE 'User 1.%' AND (c->>'reportCount')::int >= 1 AND c ? 'investigationCount' AND c ? 'assignee'")"
check "case_list is newest first" "t" \
	"$(as_app "SELECT bool_and(a >= b) FROM (SELECT (c->>'createdAt')::timestamptz a, lead((c->>'createdAt')::timestamptz) OVER (ORDER BY n) b FROM jsonb_array_elements('$page'::jsonb->'cases') WITH ORDINALITY x(c, n)) s WHERE b IS NOT NULL")"
check "report counts match the table" "t" \
	"$(as_app "SELECT bool_and((c->>'reportCount')::int = (SELECT count(*) FROM casework.intake_reports r WHERE r.case_id = (c->>'id')::uuid)) FROM jsonb_array_elements('$page'::jsonb->'cases') c")"
check "assignee 'me' filter returns only my cases" "t" \
	"$(as_app "SELECT bool_and((c->'assignee'->>'id')::uuid = md5('user-1-3')::uuid) AND count(*) > 0 FROM jsonb_array_elements(casework.case_list('{\"assignee\":\"me\"}', 1)->'cases') c")"
check "status filter" "t" \
	"$(as_app "SELECT bool_and(c->>'status' = 'open') FROM jsonb_array_elements(casework.case_list('{\"status\":\"open\"}', 1)->'cases') c")"
check "an unknown filter is refused" "22023" \
	"$(as_app "DO \$\$ BEGIN PERFORM casework.case_list('{\"stauts\":\"open\"}', 1); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | sed -n 's/.*NOTICE: *//p')"

# investigation_detail: one call, the whole investigation.
inv=$(as_app "SELECT id FROM casework.investigations ORDER BY opened_at LIMIT 1")
detail=$(as_app "SELECT casework.investigation_detail('$inv')")
check "investigation_detail has 4 steps in order" "1,2,3,4" \
	"$(as_app "SELECT string_agg(s->>'position', ',' ORDER BY n) FROM jsonb_array_elements('$detail'::jsonb->'steps') WITH ORDINALITY x(s, n)")"
check "investigation_detail names the lead, the case, step assignees and counts" "t" \
	"$(as_app "SELECT d->'lead'->>'displayName' LIKE 'User 1.%' AND d->'case'->>'number' IS NOT NULL AND (d->'steps'->0->'assignee'->>'email') LIKE '%@tenant1.example' AND (d->'counts'->>'steps')::int = 4 AND (d->'counts'->>'notes')::int = jsonb_array_length(d->'notes') FROM (SELECT '$detail'::jsonb d) s")"
other=$(q -c "SELECT id FROM casework.investigations WHERE tenant_id = md5('tenant-2')::uuid LIMIT 1")
check "another tenant's investigation is NULL" "t" "$(as_app "SELECT casework.investigation_detail('$other') IS NULL")"

# Plans: run each read with auto_explain reporting every nested statement.
explain() { # explain LABEL SQL CHECK-OPTIONS…
	local label=$1 sql=$2
	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null 2>"$RC_TMP/plans-$label.txt" <<-SQL
		LOAD 'auto_explain';
		SET auto_explain.log_min_duration = 0;
		SET auto_explain.log_nested_statements = on;
		SET auto_explain.log_format = json;
		SET auto_explain.log_level = notice;
		SET ROLE casework_app;
		BEGIN;
		SELECT roomcast.set_identity(md5('tenant-1')::uuid, md5('user-1-3')::uuid, 'member');
		$sql;
		COMMIT;
	SQL
	node "$RC_ROOT/test/lib/plancheck.mjs" "$RC_TMP/plans-$label.txt" "$label" \
		--tables cases,intake_reports,investigations,investigation_steps,investigation_notes,rca_rooms,audit_log_* "$@" ||
		{ status=1; cat "$RC_TMP/plans-$label.txt" >&2; }
}
explain case_list "SELECT casework.case_list('{\"withTotal\": true}', 3)" \
	--uses cases_tenant_created --uses intake_reports_case --uses investigations_case --min-plans 3
explain case_list_status "SELECT casework.case_list('{\"status\":\"investigating\"}', 2)" --uses cases_tenant_status
explain case_list_assignee "SELECT casework.case_list('{\"assignee\":\"me\"}', 1)" --uses cases_tenant_assignee
explain investigation_detail "SELECT casework.investigation_detail('$inv')" \
	--uses investigations_pkey --uses investigation_steps_tenant_id_investigation_id_position_key \
	--uses investigation_notes_investigation --uses investigation_notes_step --uses cases_pkey
explain entity_history "SELECT casework.entity_history('case', (SELECT id FROM casework.cases WHERE number = 77))" \
	--uses entity_type_entity_id
explain actor_activity "SELECT casework.actor_activity(md5('user-1-3')::uuid, now() - interval '60 days')" \
	--uses actor_id_at
ids="(SELECT array_agg(id) FROM (SELECT id FROM casework.cases ORDER BY created_at DESC LIMIT 50) s)"
explain load_many "SELECT count(*) FROM roomcast.load_many('casework.cases', 'id', $ids)" --uses cases_pkey
explain load_grouped "SELECT count(*) FROM roomcast.load_grouped('casework.intake_reports', 'case_id', $ids, 'received_at DESC')" \
	--uses intake_reports_case
explain load_grouped_limited "SELECT count(*) FROM roomcast.load_grouped('casework.intake_reports', 'case_id', $ids, 'received_at DESC', 1)" \
	--uses intake_reports_case

psql -X -q -c "DROP DATABASE IF EXISTS $db" >&2
exit $status
