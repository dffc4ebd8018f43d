#!/usr/bin/env bash
# bench/delivery.sh — authentic delivery, measured (issue 8, SPEC §3): commit → socket
# latency (p50/p99/max) and events/s through one notifier, for main's notifier and
# extension (events carried in the NOTIFY payload) and for this tree's (a content-free
# hint; the notifier reads roomcast.notifier_read), in the same run, on the same machine.
#
#   bash bench/delivery.sh                         both builds, defaults below
#   BENCH_BASE=<git rev> bash bench/delivery.sh    compare against another revision
#   BENCH_RATE=1000 BENCH_SECONDS=5 BENCH_TOTAL=100000 bash bench/delivery.sh
#
# Each build gets its own private PostgreSQL (test/lib/servers.sh: fsync off,
# synchronous_commit off) with its own extension build, and its own notifier; the
# workload is bench/delivery.mjs (socket.io-client and node-postgres from test/).
# Prints one "name: value" line per number. Not part of make test.
set -uo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BENCH_BASE:-main}
ROUNDS=${BENCH_ROUNDS:-1}
WORK=$(mktemp -d /tmp/roomcast-delivery.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
export BENCH_NODE_ROOT="$HERE"
. "$HERE/test/lib/servers.sh"

[ -d "$HERE/test/node_modules/socket.io-client" ] || (cd "$HERE/test" && npm ci --silent --no-audit --no-fund >/dev/null) || exit 1
echo "== building $BASE (git archive) and this tree"
mkdir -p "$WORK/base"
git -C "$HERE" archive "$BASE" | tar -x -C "$WORK/base" || exit 1
nice make -C "$WORK/base" -s -j2 all >"$WORK/base-build.log" 2>&1 || { tail -20 "$WORK/base-build.log"; exit 1; }
nice make -C "$HERE" -s -j2 all >"$WORK/head-build.log" 2>&1 || { tail -20 "$WORK/head-build.log"; exit 1; }

# run_one SLUG NAME SRC: a cluster with SRC's extension, SRC's notifier, the workload
run_one() (
	name=$2
	RC_ROOT=$3
	RC_TMP="$WORK/run-$1"
	mkdir -p "$RC_TMP" && chmod 755 "$RC_TMP"
	export RC_ROOT RC_TMP
	trap 'kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; rc_servers_stop' EXIT
	rc_temp_install || exit 1
	rc_pg_start || exit 1
	db=rc_delivery
	T=d0000000-0000-0000-0000-00000000000a
	psql -X -q -c "CREATE DATABASE $db" || exit 1
	psql -X -q -d $db -v ON_ERROR_STOP=1 >/dev/null <<-SQL || exit 1
		CREATE EXTENSION pgcrypto;
		CREATE EXTENSION roomcast;
		DO \$\$ BEGIN
		    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_notifier') THEN
		        CREATE ROLE bench_notifier LOGIN;
		    END IF;
		END \$\$;
		GRANT roomcast_notifier TO bench_notifier;
		SELECT roomcast.add_signing_key('b1', gen_random_bytes(32));
		INSERT INTO roomcast.tenants (id, slug, name) VALUES ('$T', 'delivery', 'Delivery');
		INSERT INTO roomcast.users (tenant_id, id, email)
		SELECT '$T', ('d0000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, n || '@delivery.test'
		  FROM generate_series(1, 1000) n;
	SQL
	port=$(rc_free_port)
	"$RC_ROOT/build/roomcast-notifier" --listen "127.0.0.1:$port" --log-level warn \
		--db "host=$PGHOST port=$PGPORT dbname=$db user=bench_notifier" 2>"$RC_TMP/notifier.log" &
	npid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	out=$(node "$HERE/bench/delivery.mjs" "$db" "http://127.0.0.1:$port") || { tail "$RC_TMP/notifier.log"; exit 1; }
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$npid/stat")
	echo "$out" | node -e '
		const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
		const [name, cpu] = process.argv.slice(1);
		console.log(`${name}: commit->socket p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, max ${r.max_ms} ms (${r.latency_received}/${r.latency_events} events, one per transaction)`);
		console.log(`${name}: throughput ${r.events_per_s} events/s taken in by the notifier (${r.tput_received}/${r.tput_events}; the writers committed ${r.commit_events_per_s} events/s)`);
		console.log(`${name}: notifier CPU ${cpu} s for the whole run`);' "$name" "$cpu"
)

for round in $(seq "$ROUNDS"); do
	run_one "old$round" "old ($BASE)" "$WORK/base"
	run_one "new$round" "new (this tree)" "$HERE"
done
