#!/usr/bin/env bash
# bench/search_path.sh — what pinning search_path in every SPI section costs.
#
#   bash bench/search_path.sh [BASE-COMMIT]     (default: the commit before
#                                                the pinning, 755ace2)
#   RC_BENCH_ROUNDS=3 bash bench/search_path.sh
#
# Builds the extension of BASE-COMMIT (from git archive) and of the working
# tree, installs each in turn into one private cluster (test/lib/servers.sh
# settings), and runs the same scripts against both, alternating ROUNDS
# times, measuring the backend's CPU time per call (robust to other load on
# a shared machine; calls/s per core is its inverse):
#   unread_count()   1000 calls per transaction (one SPI section each)
#   unread1          one unread_count() per transaction, as a client calls it
#   authenticate()   100 calls per transaction (one SPI section each)
#   verify()         1000 calls per transaction (no SPI: the control)
#   emit()           1 event per transaction (one section at commit)
# Prints one line per round and script, then the best of each. Not part of
# make test.
set -uo pipefail
RC_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RC_ROOT
. "$RC_ROOT/test/lib/servers.sh"
base=${1:-755ace2}
rounds=${RC_BENCH_ROUNDS:-2}

RC_TMP=$(mktemp -d /tmp/roomcast-bench.XXXXXX)
chmod 755 "$RC_TMP"
export RC_TMP
trap 'rc_servers_stop; rm -rf "$RC_TMP"' EXIT
mkdir -p "$RC_TMP/base"
git -C "$RC_ROOT" archive "$base" | tar -x -C "$RC_TMP/base" || exit 1
make -C "$RC_TMP/base" -s all >/dev/null 2>&1 || { echo "build of $base failed"; exit 1; }
make -C "$RC_ROOT" -s all >/dev/null || exit 1
rc_temp_install || exit 1
rc_pg_start || exit 1
T=b0000000-0000-0000-0000-00000000000a
U=b0000000-0000-0000-0000-000000000001

# install the extension of tree $1 and restart, so the new library loads
use_build() {
	make -C "$1" -s install DESTDIR="$RC_INSTALL" NOTIFIER_NO_INSTALL=1 >/dev/null || exit 1
	chmod -R a+rX "$RC_INSTALL"
	rc_as_pg "$RC_PG_BIN/pg_ctl" -D "$RC_PGDATA" -w -m fast restart >/dev/null || exit 1
	psql -X -q -c "DROP DATABASE IF EXISTS rc_bench" -c "CREATE DATABASE rc_bench"
	psql -X -q -d rc_bench -v ON_ERROR_STOP=1 >/dev/null <<SQL || exit 1
CREATE EXTENSION roomcast;
INSERT INTO roomcast.tenants (id, slug, name) VALUES ('$T', 'bench', 'Bench');
INSERT INTO roomcast.users (tenant_id, id) VALUES ('$T', '$U');
SELECT roomcast.add_signing_key('b1', decode(repeat('42', 32), 'hex'));
BEGIN;
SELECT roomcast.set_identity('$T', '$U');
SELECT roomcast.send_in_app('$U', 'note', 'n' || i) FROM generate_series(1, 10) i;
COMMIT;
SQL
	tok=$(psql -X -q -t -A -d rc_bench -c "SELECT roomcast.sign('{\"sub\":\"$U\",\"tenantId\":\"$T\"}', '1 day')")
	cat >"$RC_TMP/unread.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T', '$U');
SELECT count(roomcast.unread_count()) FROM generate_series(1, 1000);
COMMIT;
SQL
	cat >"$RC_TMP/unread1.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T', '$U');
SELECT roomcast.unread_count();
COMMIT;
SQL
	cat >"$RC_TMP/auth.sql" <<SQL
BEGIN;
SELECT count(roomcast.authenticate('$tok')) FROM generate_series(1, 100);
COMMIT;
SQL
	cat >"$RC_TMP/verify.sql" <<SQL
SELECT count(roomcast.verify('$tok')) FROM generate_series(1, 1000);
SQL
	cat >"$RC_TMP/emit.sql" <<SQL
BEGIN;
SELECT roomcast.set_identity('$T');
SELECT roomcast.emit('tenant:$T:case:1', 'case:updated', '{"n":1}');
COMMIT;
SQL
}

# Backend CPU microseconds per call: script $1 ($2 calls) run $3 times in one
# session, the backend's utime+stime from /proc around it. CPU time, not wall
# time, so other load on a shared machine barely moves it.
cpu_per_call() {
	local f="$RC_TMP/$1.sql"
	{
		printf '\\pset tuples_only on\n\\pset format unaligned\n'
		printf 'SELECT pg_backend_pid() \\g %s\n' "$RC_TMP/pid"
		printf '\\o /dev/null\n'
		cat "$f"
		printf '\\! awk %s /proc/$(cat %s)/stat > %s\n' "'{print \$14 + \$15}'" "$RC_TMP/pid" "$RC_TMP/cpu0"
		for _ in $(seq "$3"); do cat "$f"; done
		printf '\\! awk %s /proc/$(cat %s)/stat > %s\n' "'{print \$14 + \$15}'" "$RC_TMP/pid" "$RC_TMP/cpu1"
	} | psql -X -q -d rc_bench >/dev/null
	awk -v a="$(cat "$RC_TMP/cpu0")" -v b="$(cat "$RC_TMP/cpu1")" -v n="$(($2 * $3))" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) * 1000000 / hz / n }'
}

declare -A best
for r in $(seq "$rounds"); do
	for build in base pinned; do
		if [ $build = base ]; then use_build "$RC_TMP/base"; else use_build "$RC_ROOT"; fi
		for s in unread:1000:100 unread1:1:5000 auth:100:300 verify:1000:100 emit:1:3000; do
			IFS=: read -r name calls reps <<<"$s"
			v=$(cpu_per_call "$name" "$calls" "$reps")
			echo "round $r $name $build: $v us CPU per call"
			k="$name $build"
			if [ -z "${best[$k]:-}" ] || awk -v v="$v" -v b="${best[$k]}" 'BEGIN { exit !(v < b) }'; then
				best[$k]=$v
			fi
		done
	done
done
echo "best of $rounds rounds, backend CPU per call (and calls/s per core):"
for s in unread unread1 auth verify emit; do
	b=${best[$s base]} p=${best[$s pinned]}
	awk -v s="$s" -v b="$b" -v p="$p" 'BEGIN {
		printf "%-8s base %8.2f us (%7.0f/s)   pinned %8.2f us (%7.0f/s)   %+.2f us per call\n",
			s, b, 1000000 / b, p, 1000000 / p, p - b }'
done
