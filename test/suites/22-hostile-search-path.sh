# Suite: a hostile application role cannot run its code through roomcast
# (issue 8, finding 1; SPEC §1 "The caller's search_path never reaches the
# extension's queries").
#
# rc_hostile is a plain LOGIN role that owns one schema, evil. It plants
# look-alikes there of every operator, function, aggregate and relation name
# the extension's SQL uses (test/hostile/plant.sql); each records that it
# ran, tries ALTER ROLE rc_hostile SUPERUSER and reads roomcast.signing_keys.
# Then, with search_path = evil, pg_catalog, it calls EVERY function of
# schema roomcast, generated from pg_proc (test/hostile/harness.sql), in
# three passes: without identity; after roomcast.authenticate() with a valid
# token; and as a member of roomcast_service and roomcast_notifier after
# set_identity(). Each pass commits, so the commit-time event flush runs
# under the hostile path too. Nothing planted may ever run, the role must
# stay a plain role, and every function must really have been called.
#
# Also here: application code the extension calls back (a room policy and an
# rpc method that name their table unqualified) still runs with the caller's
# search_path; the caller's search_path is back after each call, also after
# an error; every SQL-language function of the extension pins its own
# search_path; and no extension/*.c but rcspi.c runs SPI statements.
db=hostile_sp
T=22000000-0000-0000-0000-000000000001
U=22000000-0000-0000-0000-0000000000a1
psql -X -q -c "DROP DATABASE IF EXISTS $db" >&2
psql -X -q -c "DROP ROLE IF EXISTS rc_hostile" -c "DROP ROLE IF EXISTS rc_app" >&2
psql -X -q -c "CREATE DATABASE $db" -c "CREATE ROLE rc_hostile LOGIN" -c "CREATE ROLE rc_app LOGIN" >&2 ||
	{ echo "not ok - hostile: set-up"; exit 1; }
export PGDATABASE=$db
pass=0 fail=0
ok() { echo "ok - hostile: $1"; pass=$((pass + 1)); }
notok() { echo "not ok - hostile: $1"; fail=$((fail + 1)); }
# check DESCRIPTION GOT WANT
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "#   got:  $2" ; echo "#   want: $3"; fi; }
su() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# ---- the extension, a tenant, a user, keys, data in every table ----
su >&2 <<SQL || { echo "not ok - hostile: extension set-up"; exit 1; }
CREATE EXTENSION roomcast;
SELECT roomcast.create_tenant('hostile', 'Hostile', '$T');
INSERT INTO roomcast.users (tenant_id, id, email, role) VALUES
    ('$T', '$U', 'a@hostile.test', 'member'),
    ('$T', '22000000-0000-0000-0000-0000000000a2', 'b@hostile.test', 'member');
SELECT roomcast.add_signing_key('hk1', decode(repeat('5a', 32), 'hex'));
CREATE SCHEMA evil AUTHORIZATION rc_hostile;
SQL
psql -X -q -t -A -v ON_ERROR_STOP=1 -U rc_hostile -f "$RC_ROOT/test/hostile/plant.sql" >"$RC_TMP/hostile-plant.out" 2>&1 ||
	{ cat "$RC_TMP/hostile-plant.out" >&2; echo "not ok - hostile: planting"; exit 1; }
planted=$(tail -1 "$RC_TMP/hostile-plant.out")
su -f "$RC_ROOT/test/hostile/harness.sql" >&2 || { echo "not ok - hostile: harness"; exit 1; }
su >&2 <<SQL || { echo "not ok - hostile: data set-up"; exit 1; }
BEGIN;
SELECT roomcast.set_identity('$T', '$U');
SELECT roomcast.register_room_kind('doc', 'harness.policy_ok(uuid,text)');
SELECT roomcast.register_method('hostile_echo', 'harness.method_ok(jsonb)');
SELECT roomcast.send_in_app('$U', 'note', 'first');
SELECT roomcast.send_in_app('$U', 'note', 'second');
SELECT roomcast.emit('tenant:$T:doc:d1', 'seed', '{}');
SELECT roomcast.enqueue('hostile', '{"q":1}');
INSERT INTO roomcast.sso_sessions (tenant_id, user_id, expires_at) VALUES ('$T', '$U', now() + interval '1 day');
INSERT INTO roomcast.socket_rooms (tenant_id, pid, room, user_id) VALUES ('$T', 'hostilepid', 'tenant:$T:doc:d1', '$U');
COMMIT;
SELECT roomcast.issue_tokens('$T', '$U') IS NOT NULL;
INSERT INTO harness.vals VALUES
    ('tenant', '$T'), ('user', '$U'),
    ('access', roomcast.sign('{"sub":"$U","tenantId":"$T","role":"member"}', '1 hour')),
    ('notification', (SELECT id::text FROM roomcast.notifications ORDER BY id LIMIT 1)),
    ('job', (SELECT id::text FROM roomcast.jobs ORDER BY created_at LIMIT 1));
SQL
nfuncs=$(su -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'roomcast'::regnamespace")
echo "# planted $planted hostile objects in schema evil; $nfuncs functions in schema roomcast" >&2

# ---- three passes of every function, with the hostile search_path ----
declare -A pass_first=(
	[1]=""
	[2]="'SELECT roomcast.authenticate(' || quote_literal(harness.val('access')) || '::pg_catalog.text)'"
	[3]="'SELECT roomcast.set_identity(' || quote_literal('$T') || '::pg_catalog.uuid, ' || quote_literal('$U') || '::pg_catalog.uuid, ''service''::pg_catalog.text)'"
)
pass_roles=(
	[1]=""
	[2]=""
	[3]="GRANT roomcast_service, roomcast_notifier, roomcast_worker TO rc_hostile;"
)
# the session's own path is hostile at COMMIT too (the commit-time event flush)
for p in 1 2 3; do
	first=${pass_first[$p]}
	[ -z "$first" ] && first="NULL::text"
	su >&2 <<SQL
INSERT INTO harness.vals VALUES ('refresh$p', roomcast.issue_tokens('$T', '$U')->>'refresh_token'),
                                ('new_tenant$p', gen_random_uuid()::text);
SELECT harness.build($p, array_remove(ARRAY[$first]::text[], NULL));
${pass_roles[$p]}
SQL
	psql -X -q -t -A -F '|' -U rc_hostile >"$RC_TMP/hostile-pass$p.out" 2>"$RC_TMP/hostile-pass$p.err" <<SQL
SET search_path = evil, pg_catalog;
BEGIN;
SELECT c.n, c.sig, harness.call_hostile(c.sql) FROM harness.pass_calls($p) c;
COMMIT;
SQL
	out=$(cat "$RC_TMP/hostile-pass$p.out")
	calls=$(grep -c '^[0-9]*|roomcast\.' <<<"$out")
	# an error from the parser or function lookup means the call never happened
	notcalled=$(grep -E '^[0-9]+\|roomcast\.' <<<"$out" | grep -E '\|(42883|42601|42725|42P01|22P02) ' || true)
	okcalls=$(grep -cE '^[0-9]+\|roomcast\.[^|]*\|ok$' <<<"$out")
	setup_bad=$(grep -E '^[0-9]+\|set-up' <<<"$out" | grep -v '|ok$' || true)
	echo "# pass $p: called $calls of $nfuncs functions: $okcalls returned, $((calls - okcalls)) raised" >&2
	grep -vE '\|ok$' <<<"$out" | sed 's/^/#   /' >&2
	grep -E 'ERROR|FATAL' "$RC_TMP/hostile-pass$p.err" | sed 's/^/#   psql: /' >&2
	check "pass $p calls every roomcast function ($nfuncs)" "$calls" "$nfuncs"
	check "pass $p: every call reached its function (no lookup or syntax error)" "$notcalled" ""
	check "pass $p: the identity set-up succeeded" "$setup_bad" ""
	if grep -qE '^(ERROR|FATAL)' "$RC_TMP/hostile-pass$p.err"; then
		notok "pass $p: the pass and its commit ran without error"
	else
		ok "pass $p: the pass and its commit ran without error"
	fi
done
echo "# pass 3 returned for: $(grep -cE '\|ok$' "$RC_TMP/hostile-pass3.out") calls" >&2
su -c "REVOKE roomcast_service, roomcast_notifier, roomcast_worker FROM rc_hostile" >&2

# ---- what ran ----
ran=$(su -c "SELECT coalesce(string_agg(o.what || ' x' || s.last_value, '; ' ORDER BY o.n), '')
               FROM evil.objects o JOIN pg_sequences s ON s.schemaname = 'evil' AND s.sequencename = 'h' || o.n
              WHERE s.last_value IS NOT NULL")
priv=$(su -c "SELECT coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'evil' AND sequencename = 'hits_priv'")
keys=$(su -c "SELECT coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'evil' AND sequencename = 'keys_read'")
super=$(su -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'rc_hostile'")
check "no planted object ever ran" "$ran" ""
check "no planted object ran as another role (the extension owner)" "$priv" "0"
check "no planted object read roomcast.signing_keys" "$keys" "0"
check "rc_hostile is still not a superuser" "$super" "f"
grep -h 'HOSTILE object' "$RC_TMP"/hostile-pass*.err | sort | uniq -c | sed 's/^/# /' >&2
# one SECURITY line per planted object
su -F $'\t' -c "SELECT o.what, coalesce(s.last_value, 0) FROM evil.objects o
                JOIN pg_sequences s ON s.schemaname = 'evil' AND s.sequencename = 'h' || o.n ORDER BY o.n" |
	while IFS=$'\t' read -r what times; do
		what=${what//|/¦}	# the fields of a SECURITY line hold no '|'
		if [ "$times" = 0 ]; then got="never ran"; else got="ran $times times"; fi
		echo "# SECURITY|extension/search_path|$what first on search_path; every roomcast function called in 3 passes|$got"
	done
if [ "$super" = t ]; then
	echo "# SECURITY|extension/search_path|planted objects try ALTER ROLE SUPERUSER and read signing_keys|attacker became superuser; $keys key reads"
else
	echo "# SECURITY|extension/search_path|planted objects try ALTER ROLE SUPERUSER and read signing_keys|attacker stays a plain role; 0 key reads"
fi

# ---- application callbacks keep the caller's search_path ----
su >&2 <<SQL || notok "app set-up"
CREATE SCHEMA app AUTHORIZATION rc_app;
SET ROLE rc_app;
SET search_path = app;
CREATE TABLE app.members (user_id uuid, doc text);
INSERT INTO app.members VALUES ('$U', 'd1');
-- unqualified: resolved by the caller's search_path (app) when they run
CREATE FUNCTION app.may_join(u uuid, id text) RETURNS boolean LANGUAGE sql
    AS 'SELECT EXISTS (SELECT 1 FROM members m WHERE m.user_id = u AND m.doc = id)';
CREATE FUNCTION app.echo(args jsonb) RETURNS jsonb LANGUAGE sql
    AS 'SELECT jsonb_build_object(''members'', count(*)) FROM members';
RESET ROLE;
RESET search_path;
SELECT roomcast.register_room_kind('appdoc', 'app.may_join(uuid,text)');
SELECT roomcast.register_method('app_echo', 'app.echo(jsonb)');
SQL
tok=$(su -c "SELECT v FROM harness.vals WHERE k = 'access'")
out=$(psql -X -q -t -A -U rc_app 2>&1 <<SQL
SET search_path = app, public;
BEGIN;
SELECT roomcast.authenticate('$tok') IS NOT NULL;
SELECT roomcast.authorize_join('appdoc', 'd1');
SELECT roomcast.rpc('$tok', 'app_echo', '{}');
SELECT roomcast.rpc('$tok', 'join', '{"kind":"appdoc","id":"d1","pid":"apppid"}')->>'room';
SELECT roomcast.unread_count() >= 0;
SELECT roomcast.recover('$tok', 'apppid', NULL)->'rooms' ? 'tenant:$T:appdoc:d1';
SELECT current_setting('search_path');
SAVEPOINT s;
SELECT roomcast.refresh('no such token');
ROLLBACK TO SAVEPOINT s;
SELECT current_setting('search_path');
COMMIT;
SQL
)
echo "$out" | sed 's/^/# app: /' >&2
check "a room policy naming its table unqualified runs with the caller's search_path" \
	"$(sed -n 2p <<<"$out")" "tenant:$T:appdoc:d1"
check "an rpc method naming its table unqualified runs with the caller's search_path" \
	"$(sed -n 3p <<<"$out")" '{"members": 1}'
check "rpc join through an app policy works" "$(sed -n 4p <<<"$out")" "tenant:$T:appdoc:d1"
check "recover() asks the app policy again with the caller's search_path" "$(sed -n 6p <<<"$out")" "t"
check "the caller's search_path is back after the calls" "$(sed -n 7p <<<"$out")" "app, public"
check "the caller's search_path is back after an error inside a pinned section" \
	"$(tail -1 <<<"$out")" "app, public"

# ---- every SQL-language function of the extension pins its search_path ----
unpinned=$(su -c "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '')
                    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                   WHERE p.pronamespace = 'roomcast'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
                     AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')")
check "every sql/plpgsql function of roomcast has SET search_path" "$unpinned" ""
definer=$(su -c "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '')
                   FROM pg_proc p WHERE p.pronamespace = 'roomcast'::regnamespace AND p.prosecdef
                    AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=pg_catalog%')")
check "every SECURITY DEFINER function of roomcast pins search_path to pg_catalog first" "$definer" ""

# ---- only rcspi.c runs SPI statements ----
spi=$(grep -nE '\bSPI_(connect|connect_ext|finish|execute[a-z_]*|exec|execp|prepare[a-z_]*|cursor_open[a-z_]*|cursor_parse_open)\b' \
	"$RC_ROOT"/extension/*.c | grep -v '^[^:]*/rcspi\.c:' | grep -vE ':[0-9]+:\s*(/?\*|//)' || true)
check "no extension/*.c but rcspi.c calls SPI_connect, SPI_finish, SPI_execute* or SPI_prepare*" "$spi" ""

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS rc_hostile" -c "DROP ROLE IF EXISTS rc_app" >&2
[ "$fail" = 0 ]
