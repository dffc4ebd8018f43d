#!/usr/bin/env bash
# bench/jwt/run.sh — JWT sign and verify per second inside PostgreSQL:
# roomcast's C functions against a pure-SQL HS256 on pgcrypto (pgjwt's
# approach, bench/jwt/baseline.sql), and a bare pgcrypto hmac() call as the
# ceiling of a SQL-callable function, all in the same run on a private
# PostgreSQL. Each figure is the best of 3 runs of one statement over N rows.
#
#   bash bench/jwt/run.sh [N]        (default N = 200000)
set -euo pipefail
RC_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export RC_ROOT
N=${1:-200000}
. "$RC_ROOT/test/lib/deps.sh"
. "$RC_ROOT/test/lib/servers.sh"
rc_deps_apt
make -C "$RC_ROOT" -s -j2 >/dev/null
RC_TMP=$(mktemp -d /tmp/roomcast-bench.XXXXXX); chmod 755 "$RC_TMP"; export RC_TMP
trap 'rc_servers_stop; rm -rf "$RC_TMP"' EXIT
rc_temp_install
rc_pg_start

q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
q -f - >/dev/null <<SQL
CREATE EXTENSION pgcrypto;
CREATE EXTENSION roomcast;
\i $RC_ROOT/bench/jwt/baseline.sql
SELECT roomcast.add_signing_key('bench', decode(repeat('42', 32), 'hex'));
CREATE TABLE claims AS
    SELECT jsonb_build_object('sub', gen_random_uuid(), 'tenantId', '11111111-1111-1111-1111-111111111111',
                              'role', 'member', 'email', 'user' || i || '@example.test') AS c
      FROM generate_series(1, $N) i;
CREATE TABLE rc_tokens AS SELECT roomcast.sign(c) AS t FROM claims;
CREATE TABLE sql_tokens AS
    SELECT sqljwt.sign((c || jsonb_build_object('exp', extract(epoch FROM now())::bigint + 900))::json,
                       decode(repeat('42', 32), 'hex')) AS t FROM claims;
CREATE TABLE msgs AS SELECT convert_to(split_part(t, '.', 1) || '.' || split_part(t, '.', 2), 'utf8') AS m FROM rc_tokens;
VACUUM ANALYZE;
SQL

# rate LABEL SQL: best of 3 of N rows / seconds
rate() {
	local best=0 i ms r
	for i in 1 2 3; do
		ms=$(q -c '\timing on' -c "$2" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -1)
		r=$(awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%d", n / (ms / 1000) }')
		[ "$r" -gt "$best" ] && best=$r
	done
	printf '%-44s %10d /s\n' "$1" "$best" >&2
	echo "$best"
}

echo "N = $N tokens, PostgreSQL $(q -c 'SHOW server_version'), one backend" >&2
rc_verify=$(rate "roomcast.verify (C)" "SELECT count(roomcast.verify(t)) FROM rc_tokens")
sql_verify=$(rate "pure-SQL verify on pgcrypto (pgjwt style)" \
	"SELECT count(*) FROM sql_tokens, sqljwt.verify(t, decode(repeat('42', 32), 'hex')) v WHERE v.valid")
rc_sign=$(rate "roomcast.sign (C)" "SELECT count(roomcast.sign(c)) FROM claims")
sql_sign=$(rate "pure-SQL sign on pgcrypto (pgjwt style)" \
	"SELECT count(sqljwt.sign(c::json, decode(repeat('42', 32), 'hex'))) FROM claims")
ceiling=$(rate "bare pgcrypto hmac() (ceiling)" \
	"SELECT count(hmac(m, decode(repeat('42', 32), 'hex'), 'sha256')) FROM msgs")
awk -v a="$rc_verify" -v b="$sql_verify" -v c="$rc_sign" -v d="$sql_sign" -v e="$ceiling" 'BEGIN {
	printf "verify: roomcast / pure-SQL = %.1fx   (%.0f%% of the hmac() ceiling)\n", a / b, 100 * a / e
	printf "sign:   roomcast / pure-SQL = %.1fx   (%.0f%% of the hmac() ceiling)\n", c / d, 100 * c / e
}'
