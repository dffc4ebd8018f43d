#!/usr/bin/env bash
# bench/jwt/instructions.sh — instructions per verify() and sign() call,
# counted by callgrind on a single-user backend: unlike calls per second,
# the count does not move with the load of a shared machine, so it compares
# two builds reliably. Each figure is (query over N rows - the same scan
# without the call) / N.
#
#   bash bench/jwt/instructions.sh [N]      (default 20000)
set -euo pipefail
RC_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export RC_ROOT
N=${1:-20000}
. "$RC_ROOT/test/lib/deps.sh"
. "$RC_ROOT/test/lib/servers.sh"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
make -C "$RC_ROOT" -s -j2 >/dev/null
RC_TMP=$(mktemp -d /tmp/roomcast-bench.XXXXXX); chmod 755 "$RC_TMP"; export RC_TMP
trap 'rc_servers_stop; rm -rf "$RC_TMP"' EXIT
rc_temp_install
rc_pg_start
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION roomcast;
SELECT roomcast.add_signing_key('bench', decode(repeat('42', 32), 'hex'));
CREATE TABLE claims AS
    SELECT jsonb_build_object('sub', gen_random_uuid(), 'tenantId', '11111111-1111-1111-1111-111111111111',
                              'role', 'member', 'email', 'user' || i || '@example.test') AS c
      FROM generate_series(1, $N) i;
CREATE TABLE toks AS SELECT roomcast.sign(c) AS t FROM claims;
SQL
rc_as_pg "$RC_PG_BIN/pg_ctl" -D "$RC_PGDATA" -w stop >/dev/null

# instructions SQL: callgrind's total for one statement in a single-user backend
instructions() {
	echo "$1" >"$RC_TMP/q.sql"
	chmod 644 "$RC_TMP/q.sql"
	rc_as_pg valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$RC_PG_BIN/postgres" --single -D "$RC_PGDATA" postgres <"$RC_TMP/q.sql" 2>&1 |
		sed -n 's/.*Collected : //p'
}
scan_t=$(instructions "SELECT count(length(t)) FROM toks")
verify=$(instructions "SELECT count(roomcast.verify(t)) FROM toks")
scan_c=$(instructions "SELECT count(length(c::text)) FROM claims")
sign=$(instructions "SELECT count(roomcast.sign(c)) FROM claims")
echo "verify: $(((verify - scan_t) / N)) instructions per call"
echo "sign:   $(((sign - scan_c) / N)) instructions per call"
