# Suite: pg_dump carries the extension's configuration tables (tenants,
# users, keys, sessions) so a dump and restore keeps every login working.
src=dump_src; dst=dump_dst
psql -X -q -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
	-c "CREATE DATABASE $src" -c "CREATE DATABASE $dst" >&2 || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d $src >&2 <<'SQL' || exit 1
CREATE EXTENSION roomcast;
SELECT roomcast.add_signing_key('dump', decode(repeat('33', 32), 'hex'));
SELECT roomcast.create_tenant('dumped', 'Dumped', '55555555-5555-5555-5555-555555555555');
INSERT INTO roomcast.users (tenant_id, id, email) VALUES
    ('55555555-5555-5555-5555-555555555555', 'eeeeeeee-0000-0000-0000-000000000001', 'e@dump.test');
BEGIN;
SELECT roomcast.set_identity('55555555-5555-5555-5555-555555555555');
SELECT roomcast.emit_to_tenant('dump:test', '{"n":1}');
COMMIT;
CREATE TABLE tok AS SELECT roomcast.issue_tokens('55555555-5555-5555-5555-555555555555',
                                                 'eeeeeeee-0000-0000-0000-000000000001') AS t;
SQL
pg_dump -d $src >"$RC_TMP/dump.sql" 2>&2 || { echo "not ok - dump: pg_dump failed"; exit 0; }
psql -X -q -v ON_ERROR_STOP=1 -d $dst -f "$RC_TMP/dump.sql" >/dev/null 2>&2 ||
	{ echo "not ok - dump: restore failed"; exit 0; }
out=$(psql -X -t -A -d $dst -c "SELECT roomcast.verify((SELECT t->>'access_token' FROM tok))->>'sub'" 2>&1)
if [ "$out" = "eeeeeeee-0000-0000-0000-000000000001" ]; then
	echo "ok - dump: an access token verifies after restore (signing keys restored)"
else echo "not ok - dump: an access token verifies after restore"; echo "$out" >&2; fi
out=$(psql -X -t -A -d $dst -c "SELECT roomcast.refresh((SELECT t->>'refresh_token' FROM tok)) ? 'access_token'" 2>&1)
if [ "$out" = "t" ]; then
	echo "ok - dump: a refresh token works after restore (users, sessions restored)"
else echo "not ok - dump: a refresh token works after restore"; echo "$out" >&2; fi
exit 0
