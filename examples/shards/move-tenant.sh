#!/usr/bin/env bash
# examples/shards/move-tenant.sh — move one tenant from one shard to another
# behind the PL/Proxy proxy (examples/shards/proxy.sql). The steps, their
# cost and why they are safe: docs/scale-out-sharding.md, "Moving a tenant".
#
#   move-tenant.sh PROXY FROM TO TENANT PART [TABLE ...]
#
# PROXY, FROM, TO: libpq conninfos of the proxy database and the two shard
# databases, as a superuser (the copy bypasses row-level security and the
# control triggers). TENANT: its uuid. PART: its partition on the proxy
# afterwards (the index of TO in roomcast_shards). TABLE: the application's
# own tenant tables (with a tenant_id column) to move along, schema-qualified.
# GRACE (seconds, default 2): how long calls already routed to FROM may take
# to finish after the freeze.
#
# 1. freeze: the proxy refuses the tenant's calls (55000 "tenant is being
#    moved", retryable); calls in flight get GRACE seconds to finish.
# 2. copy: every roomcast table holding tenant rows (not the event and
#    control logs: positions are per shard) and the given tables, FROM ->
#    TO, in one transaction on TO.
# 3. switch: the directory names PART and the tenant is thawed.
# 4. clean up FROM: the tenant's rows go, and deleting its tenant row logs a
#    kick_tenant there: every notifier disconnects the tenant's sockets, which
#    reconnect as new sessions (their offsets name FROM; docs/sessions.md).
# Any failure before step 3 thaws the tenant on FROM, which is unchanged.
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
proxy=$1 from=$2 to=$3 tenant=$4 part=$5
shift 5
grace=${GRACE:-2}
[[ $tenant =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]] ||
	{ echo "move-tenant: \"$tenant\" is not a uuid" >&2; exit 2; }
[[ $part =~ ^[0-9]+$ ]] || { echo "move-tenant: partition \"$part\" is not a number" >&2; exit 2; }
for t in "$@"; do
	[[ $t =~ ^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$ ]] ||
		{ echo "move-tenant: table \"$t\" is not schema.table" >&2; exit 2; }
done
# Every session of this script runs as a superuser: no name in its SQL may
# resolve through a schema another role can create in ("$user", public):
# an application role's "=" for its tenant column's type would run as us.
export PGOPTIONS="${PGOPTIONS:-} -c search_path=pg_catalog,pg_temp"

# The application's tables are written (copy, delete) by a superuser, so
# whatever code they carry would run as one: a trigger (even ENABLE ALWAYS
# ones fire under session_replication_role = replica), a rule, a CHECK or
# index expression, a default, a column type with code (a domain's CHECK).
# Refuse a table, or a partition of it, that uses a function, operator or
# type of a non-superuser; such a table is moved by its owner, by hand
# (docs/scale-out-sharding.md, "Moving a tenant"; docs/security-scale-out.md).
app_table_refusal() {	# conninfo table -> prints why it is refused, or nothing
	psql -X -At -v ON_ERROR_STOP=1 -v t="$2" "$1" <<-'SQL'
		WITH t AS (SELECT pg_catalog.to_regclass(:'t') AS oid),
		rels AS (SELECT t.oid FROM t UNION SELECT p.relid FROM t, pg_catalog.pg_partition_tree(t.oid) p),
		objs AS (
		    SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass AS cls, g.oid FROM pg_catalog.pg_trigger g JOIN rels ON g.tgrelid = rels.oid
		    UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, r.oid FROM pg_catalog.pg_rewrite r JOIN rels ON r.ev_class = rels.oid
		    UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid FROM pg_catalog.pg_constraint k JOIN rels ON k.conrelid = rels.oid
		    UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, a.oid FROM pg_catalog.pg_attrdef a JOIN rels ON a.adrelid = rels.oid
		    UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid FROM pg_catalog.pg_index i JOIN rels ON i.indrelid = rels.oid),
		why AS (
		    SELECT 'not a table' AS w FROM t LEFT JOIN pg_catalog.pg_class c ON c.oid = t.oid
		     WHERE c.oid IS NULL OR c.relkind NOT IN ('r', 'p')
		    UNION ALL
		    SELECT 'runs function ' || p.oid::pg_catalog.regprocedure::text || ' of ' || p.proowner::pg_catalog.regrole::text
		      FROM objs JOIN pg_catalog.pg_depend d ON d.classid = objs.cls AND d.objid = objs.oid
		      JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid
		      JOIN pg_catalog.pg_roles r ON r.oid = p.proowner WHERE NOT r.rolsuper
		    UNION ALL
		    SELECT 'runs operator ' || o.oid::pg_catalog.regoperator::text || ' of ' || o.oprowner::pg_catalog.regrole::text
		      FROM objs JOIN pg_catalog.pg_depend d ON d.classid = objs.cls AND d.objid = objs.oid
		      JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
		      JOIN pg_catalog.pg_roles r ON r.oid = o.oprowner WHERE NOT r.rolsuper
		    UNION ALL
		    SELECT 'column ' || a.attname::text || ' of type ' || a.atttypid::pg_catalog.regtype::text || ' of ' || y.typowner::pg_catalog.regrole::text
		      FROM rels JOIN pg_catalog.pg_attribute a ON a.attrelid = rels.oid AND a.attnum > 0 AND NOT a.attisdropped
		      JOIN pg_catalog.pg_type y ON y.oid = a.atttypid JOIN pg_catalog.pg_roles r ON r.oid = y.typowner WHERE NOT r.rolsuper)
		SELECT pg_catalog.string_agg(DISTINCT w, '; ') FROM why
	SQL
}
for t in "$@"; do
	for side in from to; do
		why=$(app_table_refusal "${!side}" "$t") || { echo "move-tenant: cannot inspect $t on $side" >&2; exit 2; }
		[ -z "$why" ] ||
			{ echo "move-tenant: refusing $t on $side: $why (it would run as a superuser; move it as its owner)" >&2; exit 2; }
	done
done

# The roomcast tables with tenant rows, parents first; columns "*" unless a
# serial id must be left to the target (security_events.id).
tables=(
	"roomcast.tenants|*|id"
	"roomcast.users|*|tenant_id"
	"roomcast.refresh_tokens|*|tenant_id"
	"roomcast.sso_sessions|*|tenant_id"
	"roomcast.security_events|tenant_id, user_id, kind, detail, fingerprint, created_at|tenant_id"
	"roomcast.notifications|*|tenant_id"
	"roomcast.inbox_counters|*|tenant_id"
	"roomcast.room_kinds|*|tenant_id"
	"roomcast.rpc_methods|*|tenant_id"
	"roomcast.jobs|*|tenant_id"
	"roomcast.job_cache|*|tenant_id"
	"roomcast.job_limits|*|tenant_id"
)
for t in "$@"; do tables+=("$t|*|tenant_id"); done

work=$(mktemp -d)
switched=
cleanup() {
	rm -rf "$work"
	if [ -z "$switched" ]; then
		psql -X -q "$proxy" -c "SELECT roomcast_proxy.freeze_tenant('$tenant', false)" >/dev/null 2>&1 || true
		echo "move-tenant: failed before the switch; $tenant thawed on its old shard" >&2
	fi
}
trap cleanup EXIT

echo "move-tenant: 1. freeze $tenant"
psql -X -q -v ON_ERROR_STOP=1 "$proxy" -c "SELECT roomcast_proxy.freeze_tenant('$tenant', true)" >/dev/null
sleep "$grace"

echo "move-tenant: 2. copy"
load="$work/load.sql"
{
	echo '\set ON_ERROR_STOP 1'
	echo 'BEGIN;'
	echo 'SET LOCAL session_replication_role = replica;'	# no FK or control triggers on the copy
} >"$load"
i=0
for entry in "${tables[@]}"; do
	IFS='|' read -r table cols key <<<"$entry"
	i=$((i + 1))
	sel="SELECT $cols FROM $table WHERE $key = '$tenant'"
	psql -X -q -v ON_ERROR_STOP=1 "$from" -c "\\copy ($sel) TO '$work/$i.copy'"
	rows=$(wc -l <"$work/$i.copy")
	echo "   $table: $rows rows"
	if [ "$cols" = '*' ]; then
		echo "\\copy $table FROM '$work/$i.copy'" >>"$load"
	else
		echo "\\copy $table ($cols) FROM '$work/$i.copy'" >>"$load"
	fi
done
echo 'COMMIT;' >>"$load"
psql -X -q "$to" -f "$load" >/dev/null

echo "move-tenant: 3. switch the directory to partition $part"
psql -X -q -v ON_ERROR_STOP=1 "$proxy" >/dev/null <<SQL
BEGIN;
SELECT roomcast_proxy.place_tenant('$tenant', $part);
SELECT roomcast_proxy.freeze_tenant('$tenant', false);
COMMIT;
SQL
switched=1

echo "move-tenant: 4. remove $tenant from the old shard (kicks its sockets)"
{
	echo '\set ON_ERROR_STOP 1'
	echo 'BEGIN;'
	for ((k = ${#tables[@]} - 1; k >= 0; k--)); do
		IFS='|' read -r table cols key <<<"${tables[$k]}"
		echo "DELETE FROM $table WHERE $key = '$tenant';"
	done
	echo "DELETE FROM roomcast.socket_rooms WHERE tenant_id = '$tenant';"
	echo 'COMMIT;'
} | psql -X -q "$from" >/dev/null
echo "move-tenant: done"
