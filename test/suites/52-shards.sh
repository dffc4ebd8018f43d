# Suite: tenants sharded over two PostgreSQL clusters behind a PL/Proxy proxy
# database (SPEC §10, docs/scale-out-sharding.md). Three private clusters on
# loopback ports: a proxy (examples/shards/proxy.sql) and two shards with the
# extension. Checks:
#  - a tenant's whole workload (test/shards/workload.sql) through the proxy
#    passes with the OTHER shard stopped, and the shards' function statistics
#    (track_functions) count its calls only on its own shard;
#  - test/shards/proxy.test.mjs: the same SQL for tenants on both shards,
#    keys on every shard, the directory, workers, refresh, cross-tenant and
#    hostile-role attempts with the SQLSTATEs of direct calls;
#  - test/shards/notifier.test.mjs: one notifier with --db twice and
#    --rpc-db the proxy: delivery from both shards, recovery keyed by shard,
#    kick through shard 2's control log, the signing keys every shard
#    agrees on (a key retired on one shard only is refused);
#  - examples/shards/move-tenant.sh moves a tenant between shards.
# RC_SHARDS_PART=notifier (suite 42-scaleout-asan, with RC_NOTIFIER the
# sanitizer build) sets up the same clusters and runs only the notifier's
# part: test/shards/notifier.test.mjs.
. "$RC_ROOT/test/lib/servers.sh"
cd "$RC_ROOT/test" || exit 1
base="$RC_TMP/shards"
rm -rf "$base"
mkdir -p "$base"
[ "$(id -u)" = 0 ] && chown "${RC_PG_OSUSER:-postgres}" "$base"
RC_PG_OSUSER=${RC_PG_OSUSER:-postgres}

stop_all() {
	for n in proxy s1 s2; do rc_pg_stop_private "$base/$n" "$RC_PG_BIN"; done
}
trap stop_all EXIT

status=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; status=1; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

for n in proxy s1 s2; do
	port=$(rc_pg_start_private "$base/$n" "$RC_PG_BIN") || { notok "starting cluster $n"; exit 1; }
	eval "port_$n=$port"
done
export SHARD_PROXY_PORT=$port_proxy SHARD1_PORT=$port_s1 SHARD2_PORT=$port_s2
echo "proxy on $port_proxy, shards on $port_s1 and $port_s2" >&2
q() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres "${@:2}"; }

# Shards: the extension, the login roles the proxy maps to (same privileges
# on both sides), a stable shard id, a table for the loaders; function
# statistics for the isolation check.
for n in 1 2; do
	p=$(eval echo "\$port_s$n")
	q "$p" -d postgres >&2 <<-SQL || { notok "setting up shard $n"; exit 1; }
		ALTER SYSTEM SET track_functions = 'all';
		SELECT pg_reload_conf();
		CREATE ROLE rc_app LOGIN;
		CREATE ROLE rc_svc LOGIN;
		CREATE ROLE rc_notif LOGIN;
		CREATE ROLE rc_worker LOGIN;
		CREATE DATABASE roomcast;
		ALTER DATABASE roomcast SET roomcast_shard.id = 's$n';
	SQL
	q "$p" -d roomcast -f shards/shard-setup.sql >&2 || { notok "setting up shard $n"; exit 1; }
done
q "$port_proxy" -d postgres >&2 <<-SQL || { notok "setting up the proxy"; exit 1; }
	CREATE DATABASE proxy;
	CREATE ROLE rc_app LOGIN;
	CREATE ROLE rc_svc LOGIN;
	CREATE ROLE rc_notif LOGIN;
	CREATE ROLE rc_worker LOGIN;
	CREATE ROLE rc_nomap LOGIN;
SQL
q "$port_proxy" -d proxy -f "$RC_ROOT/examples/shards/proxy.sql" >&2 &&
	q "$port_proxy" -d proxy >&2 <<-SQL || { notok "installing the proxy"; exit 1; }
		GRANT roomcast_service TO rc_svc;
		GRANT roomcast_notifier TO rc_notif;
		GRANT roomcast_worker TO rc_worker;
		SELECT roomcast_proxy.configure_shards(ARRAY[
		    'host=127.0.0.1 port=$port_s1 dbname=roomcast',
		    'host=127.0.0.1 port=$port_s2 dbname=roomcast']);
		SELECT roomcast_proxy.map_role(r, r) FROM unnest(ARRAY['postgres', 'rc_app', 'rc_svc', 'rc_notif', 'rc_worker']) r;
		SELECT roomcast.add_signing_key('k1', decode(repeat('5a', 32), 'hex'));
	SQL
ok "three clusters: a PL/Proxy proxy and two shards with roomcast"

if [ "${RC_SHARDS_PART:-}" = notifier ]; then
	node --test --test-reporter=tap --test-concurrency=1 shards/notifier.test.mjs || status=1
	exit $status
fi

# --- isolation: tenant A on partition 0 (s1), B on partition 1 (s2)
A=52000000-0000-0000-0000-00000000000a
B=52000000-0000-0000-0000-00000000000b
UA=52000000-0000-0000-0000-0000000000a1
UB=52000000-0000-0000-0000-0000000000b1
q "$port_proxy" -d proxy -U rc_svc >&2 <<-SQL || notok "creating tenants through the proxy"
	SELECT roomcast_proxy.place_tenant('$A', 0), roomcast_proxy.place_tenant('$B', 1);
	SELECT roomcast.create_tenant('iso-a', 'A', '$A'), roomcast.create_tenant('iso-b', 'B', '$B');
SQL
q "$port_s1" -d roomcast -c "INSERT INTO roomcast.users (tenant_id, id, email) VALUES ('$A', '$UA', 'a1@iso.test')" >&2
q "$port_s2" -d roomcast -c "INSERT INTO roomcast.users (tenant_id, id, email) VALUES ('$B', '$UB', 'b1@iso.test')" >&2
tok() { psql -X -At -h 127.0.0.1 -p "$port_proxy" -U rc_svc -d proxy -c \
	"SELECT roomcast.sign(jsonb_build_object('sub', '$2', 'tenantId', '$1'), '1 hour')"; }
TA=$(tok "$A" "$UA")
TB=$(tok "$B" "$UB")

# calls of roomcast functions per shard, as the statistics count them
# (flushed when a backend exits: every psql below is its own session, and
# PL/Proxy's pooled connections end with the proxy session)
calls() {
	sleep 0.5
	psql -X -At -h 127.0.0.1 -p "$1" -U postgres -d roomcast -c \
		"SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE schemaname = 'roomcast'"
}
workload() {	# port-of-proxy tenant user token -> exit status
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port_proxy" -U rc_app -d proxy \
		-v tenant="$1" -v user="$2" -v token="$3" -f shards/workload.sql
}
for run in "A $A $UA $TA s1 s2" "B $B $UB $TB s2 s1"; do
	set -- $run
	name=$1 tenant=$2 user=$3 token=$4 own=$5 other=$6
	own_port=$(eval echo "\$port_$own")
	other_port=$(eval echo "\$port_$other")
	own_before=$(calls "$own_port")
	other_before=$(calls "$other_port")
	if workload "$tenant" "$user" "$token" >"$base/work-$name.out" 2>&1 &&
		grep -q 'workload done' "$base/work-$name.out"; then
		ok "tenant $name: the same SQL through the proxy (emit, inbox, loaders, jobs, rpc, verify) runs on $own"
	else
		notok "tenant $name: the same SQL through the proxy runs on $own"
		cat "$base/work-$name.out" >&2
	fi
	own_after=$(calls "$own_port")
	other_after=$(calls "$other_port")
	echo "tenant $name: roomcast calls on $own $own_before -> $own_after, on $other $other_before -> $other_after" >&2
	check "tenant $name: its calls are counted on $own (pg_stat_user_functions +$((own_after - own_before)))" \
		"[ $((own_after - own_before)) -ge 20 ]"
	check "tenant $name: no roomcast function ran on $other (pg_stat_user_functions unchanged)" \
		"[ '$other_before' = '$other_after' ]"
	# and with the other shard stopped, the whole workload still runs
	rc_pg_stop_private "$base/$other" "$RC_PG_BIN"
	if workload "$tenant" "$user" "$token" >"$base/work-$name-stopped.out" 2>&1 &&
		grep -q 'workload done' "$base/work-$name-stopped.out"; then
		ok "tenant $name: the workload passes with $other stopped (no call needs it)"
	else
		notok "tenant $name: the workload passes with $other stopped"
		cat "$base/work-$name-stopped.out" >&2
	fi
	rc_as_pg "$RC_PG_BIN/pg_ctl" -D "$base/$other/data" -l "$base/$other/log/postgres.log" -w -t 60 start >/dev/null ||
		notok "restarting $other"
done
rows=$(psql -X -At -h 127.0.0.1 -p "$port_s1" -U postgres -d roomcast -c \
	"SELECT count(*) FILTER (WHERE tenant_id = '$A') || ' ' || count(*) FILTER (WHERE tenant_id = '$B') FROM roomcast.events")
rows2=$(psql -X -At -h 127.0.0.1 -p "$port_s2" -U postgres -d roomcast -c \
	"SELECT count(*) FILTER (WHERE tenant_id = '$A') || ' ' || count(*) FILTER (WHERE tenant_id = '$B') FROM roomcast.events")
echo "events on s1 (A B): $rows; on s2 (A B): $rows2" >&2
check "event logs: A's events only on s1, B's only on s2 ($rows / $rows2)" \
	"[ '${rows#* }' = 0 ] && [ '${rows2% *}' = 0 ] && [ '${rows% *}' -gt 0 ] && [ '${rows2#* }' -gt 0 ]"

# --- the function-level checks and the notifier (node)
node --test --test-reporter=tap --test-concurrency=1 shards/*.test.mjs || status=1

# --- moving tenant A from s1 (partition 0) to s2 (partition 1), with the
# application's tables; then its workload runs on s2
cnt() {	# port sql -> value
	psql -X -At -h 127.0.0.1 -p "$1" -U postgres -d roomcast -c "$2"
}
q "$port_s1" -d roomcast -c "INSERT INTO public.cases VALUES ('$A', 1, 'moved case'), ('$A', 2, 'another')" >&2
before_n=$(cnt "$port_s1" "SELECT count(*) FROM roomcast.notifications WHERE tenant_id = '$A'")
before_u=$(cnt "$port_s1" "SELECT count(*) FROM roomcast.users WHERE tenant_id = '$A'")
if GRACE=0.5 bash "$RC_ROOT/examples/shards/move-tenant.sh" \
	"host=127.0.0.1 port=$port_proxy dbname=proxy user=postgres" \
	"host=127.0.0.1 port=$port_s1 dbname=roomcast user=postgres" \
	"host=127.0.0.1 port=$port_s2 dbname=roomcast user=postgres" \
	"$A" 1 public.cases public.notes >&2; then
	ok "move-tenant.sh moved tenant A from s1 to s2"
else
	notok "move-tenant.sh moved tenant A from s1 to s2"
fi
after=$(cnt "$port_s2" "SELECT (SELECT count(*) FROM roomcast.notifications WHERE tenant_id = '$A') || ' ' ||
	(SELECT count(*) FROM roomcast.users WHERE tenant_id = '$A') || ' ' || (SELECT count(*) FROM public.cases WHERE tenant_id = '$A')")
left=$(cnt "$port_s1" "SELECT (SELECT count(*) FROM roomcast.tenants WHERE id = '$A') + (SELECT count(*) FROM roomcast.users WHERE tenant_id = '$A')
	+ (SELECT count(*) FROM roomcast.notifications WHERE tenant_id = '$A') + (SELECT count(*) FROM public.cases WHERE tenant_id = '$A')")
check "moved: A's notifications, users and cases are on s2 ($after; before $before_n notifications, $before_u users)" \
	"[ '$after' = '$before_n $before_u 2' ]"
check "moved: nothing of A is left on s1 ($left rows)" "[ '$left' = 0 ]"
kicks=$(cnt "$port_s1" "SELECT count(*) FROM roomcast.control_log WHERE tenant_id = '$A' AND kind = 'kick_tenant'")
check "moved: a kick_tenant for A is in s1's control log (its sockets reconnect as new sessions)" "[ '$kicks' -ge 1 ]"
ev_before=$(cnt "$port_s2" "SELECT count(*) FROM roomcast.events WHERE tenant_id = '$A'")
if workload "$A" "$UA" "$TA" >"$base/work-moved.out" 2>&1 && grep -q 'workload done' "$base/work-moved.out"; then
	ok "moved: tenant A's workload through the proxy runs on s2"
else
	notok "moved: tenant A's workload through the proxy runs on s2"
	cat "$base/work-moved.out" >&2
fi
ev_after=$(cnt "$port_s2" "SELECT count(*) FROM roomcast.events WHERE tenant_id = '$A'")
check "moved: A's new events are in s2's log ($ev_before -> $ev_after)" "[ $ev_after -gt $ev_before ]"

exit $status
