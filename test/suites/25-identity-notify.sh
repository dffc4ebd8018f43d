# Suite: the identity control messages are written to roomcast.control_log and
# hinted on channel roomcast (an empty payload: notifiers read the log) —
# keys changed, kick on revoke_sessions, and kick on refresh-token reuse
# (written by the security-event worker although the refresh itself fails).
db=identity_notify
psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2 || exit 1
export PGDATABASE=$db
psql -X -q -v ON_ERROR_STOP=1 >&2 <<'SQL' || exit 1
CREATE EXTENSION roomcast;
SELECT roomcast.create_tenant('n', 'N', '44444444-4444-4444-4444-444444444444');
INSERT INTO roomcast.users (tenant_id, id) VALUES
    ('44444444-4444-4444-4444-444444444444', 'dddddddd-0000-0000-0000-000000000001');
SQL

# tap N DESCRIPTION OUTPUT PATTERN: ok if OUTPUT has a line matching PATTERN
check() {
	if grep -qE "$3" <<<"$2"; then echo "ok - identity-notify: $1"; else
		echo "not ok - identity-notify: $1"; echo "$2" | sed 's/^/# /' >&2; fi
}
# the hint: a notification on roomcast without a payload
hint='Asynchronous notification "roomcast" received from server process'
# "t" when the newest control-log entry is the JSON object $1
newest() {
	psql -X -q -t -A -c "SELECT data = '$1'::jsonb FROM roomcast.control_log ORDER BY id DESC LIMIT 1"
}

out=$(psql -X -q -t -A 2>&1 <<'SQL'
LISTEN roomcast;
SELECT roomcast.add_signing_key('n1', decode(repeat('11', 32), 'hex'));
SELECT 1;
SQL
)
check "add_signing_key hints on roomcast, with no payload" "$out" "$hint"
check "add_signing_key logs keys changed" "$(newest '{"c":"keys"}')" '^t$'

out=$(psql -X -q -t -A 2>&1 <<'SQL'
LISTEN roomcast;
SELECT roomcast.retire_signing_key('n1');
SELECT 1;
SQL
)
check "retire_signing_key hints on roomcast" "$out" "$hint"
check "retire_signing_key logs keys changed" "$(newest '{"c":"keys"}')" '^t$'
psql -X -q -c "SELECT roomcast.add_signing_key('n2', decode(repeat('22', 32), 'hex'))" >/dev/null

out=$(psql -X -q -t -A 2>&1 <<'SQL'
LISTEN roomcast;
BEGIN;
SELECT roomcast.set_identity('44444444-4444-4444-4444-444444444444');
SELECT roomcast.revoke_sessions('dddddddd-0000-0000-0000-000000000001');
COMMIT;
SELECT 1;
SQL
)
check "revoke_sessions hints on roomcast" "$out" "$hint"
check "revoke_sessions logs the kick of the user for every notifier" \
	"$(newest '{"c":"kick","tenant":"44444444-4444-4444-4444-444444444444","user":"dddddddd-0000-0000-0000-000000000001","reason":"revoked"}')" '^t$'

n_before=$(psql -X -q -t -A -c "SELECT count(*) FROM roomcast.control_log")
out=$(psql -X -q -t -A 2>&1 <<'SQL'
LISTEN roomcast;
BEGIN;
SELECT roomcast.set_identity('44444444-4444-4444-4444-444444444444');
SELECT roomcast.revoke_sessions('dddddddd-0000-0000-0000-000000000001');
ROLLBACK;
SELECT 1;
SQL
)
n_after=$(psql -X -q -t -A -c "SELECT count(*) FROM roomcast.control_log")
if grep -q "$hint" <<<"$out" || [ "$n_before" != "$n_after" ]; then echo "not ok - identity-notify: a rolled-back revoke sends and logs nothing"; else
	echo "ok - identity-notify: a rolled-back revoke sends and logs nothing"; fi

out=$(psql -X -q -t -A 2>&1 <<'SQL'
LISTEN roomcast;
CREATE TEMP TABLE s AS SELECT roomcast.issue_tokens('44444444-4444-4444-4444-444444444444', 'dddddddd-0000-0000-0000-000000000001') AS t;
SELECT roomcast.refresh((SELECT t->>'refresh_token' FROM s)) IS NOT NULL;
SELECT roomcast.refresh((SELECT t->>'refresh_token' FROM s));
SELECT pg_sleep(0.2);
SELECT 1;
SQL
)
check "refresh-token reuse fails with RC402" "$out" 'refresh token reused'
check "refresh-token reuse hints on roomcast although the call failed" "$out" "$hint"
check "refresh-token reuse logs the kick of the user" \
	"$(newest '{"c":"kick","tenant":"44444444-4444-4444-4444-444444444444","user":"dddddddd-0000-0000-0000-000000000001","reason":"refresh_token_reuse"}')" '^t$'
exit 0
