# Suite: attacks on the scale-out surfaces (docs/security-scale-out.md).
# One private cluster holds a shard database (roomcast, the extension) and
# a PL/Proxy proxy database (examples/shards/proxy.sql) routing to it.
# A hostile application role of the shard (CREATE on the database, as the
# threat model allows) plants operators and functions in schemas on other
# roles' default search_path ("$user", public) and waits for the notifier's
# own SQL, or the proxy's remote SQL run as the notifier's shard role, to
# resolve a name through it. Checks:
#  - the notifier's shard-identity query (db.c, run on every --db
#    connection) calls nothing of the attacker's;
#  - recover() through the proxy (its shard expression runs on the shard
#    as the caller's mapped role) calls nothing of the attacker's;
#  - move-tenant.sh (run as a superuser) refuses app tables carrying the app
#    role's code (triggers, even ENABLE ALWAYS ones) and never resolves a
#    name through the superuser's search_path (a planted "=" for a domain);
#  - the proxy: tenant A's token with the routing setting forged to tenant
#    B's partition is authenticated there as A (unknown: nothing written);
#  - the app role cannot change the shard identity the notifier reads;
#  - TLS: a client that floods TLS 1.3 KeyUpdate requests and never reads
#    is paused by --max-buffered like any other client (test/tls/keyupdate_flood.c).
. "$RC_ROOT/test/lib/servers.sh"
cd "$RC_ROOT/test" || exit 1
base="$RC_TMP/attacks53"
rm -rf "$base"
mkdir -p "$base"
RC_PG_OSUSER=${RC_PG_OSUSER:-postgres}
[ "$(id -u)" = 0 ] && chown "$RC_PG_OSUSER" "$base"
npid=
stop_all() {
	[ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
	rc_pg_stop_private "$base/pg" "$RC_PG_BIN"
}
trap stop_all EXIT

status=0
ok() { echo "ok - attacks: $1"; }
notok() { echo "not ok - attacks: $1"; status=1; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

port=$(rc_pg_start_private "$base/pg" "$RC_PG_BIN") || { notok "starting the cluster"; exit 1; }
q() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" "$@"; }

# --- the shard: extension, roles, a tenant, a user, a key. roomcast_shard.id
# is NOT set: the md5 fallback is what a single-database deployment runs.
q -U postgres -d postgres >&2 <<-SQL || { notok "setting up the shard"; exit 1; }
	CREATE ROLE rc_app LOGIN;
	CREATE ROLE rc_notif LOGIN;
	CREATE DATABASE roomcast;
	CREATE DATABASE roomcast2;
	CREATE DATABASE proxy;
SQL
q -U postgres -d roomcast2 >&2 <<-SQL || { notok "setting up the second shard"; exit 1; }
	SET client_min_messages = warning;
	CREATE EXTENSION roomcast CASCADE;
	GRANT CREATE ON DATABASE roomcast2 TO rc_app;
	SELECT roomcast.add_signing_key('k1', decode(repeat('5a', 32), 'hex'));
SQL
q -U postgres -d roomcast >&2 <<-SQL || { notok "setting up the shard"; exit 1; }
	SET client_min_messages = warning;
	CREATE EXTENSION roomcast CASCADE;
	GRANT roomcast_notifier TO rc_notif;
	GRANT CREATE ON DATABASE roomcast TO rc_app;
	SELECT roomcast.add_signing_key('k1', decode(repeat('5a', 32), 'hex'));
	SELECT roomcast.create_tenant('t53', 'T', '53000000-0000-0000-0000-00000000000a');
	INSERT INTO roomcast.users (tenant_id, id, email)
	VALUES ('53000000-0000-0000-0000-00000000000a', '53000000-0000-0000-0000-0000000000a1', 'u@t53.test');
SQL

# --- the attack: rc_app makes schema "rc_notif" (the notifier role's "$user")
# and, in it, || for (text, name) and jsonb_build_object(text, text): an
# exact match for the argument types beats pg_catalog's implicit casts
# (CVE-2018-1058). Each records who ran it.
q -U rc_app -d roomcast >&2 <<-'SQL' || { notok "planting the hostile operators"; exit 1; }
	CREATE SCHEMA rc_notif;
	GRANT USAGE ON SCHEMA rc_notif TO PUBLIC;
	CREATE TABLE rc_notif.pwned (who text, what text);
	GRANT INSERT ON rc_notif.pwned TO PUBLIC;
	CREATE FUNCTION rc_notif.cat(a text, b name) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
	    INSERT INTO rc_notif.pwned VALUES (current_user, 'text || name');
	    RETURN pg_catalog.textcat(a, b::text);
	END $$;
	CREATE OPERATOR rc_notif.|| (LEFTARG = text, RIGHTARG = name, FUNCTION = rc_notif.cat);
	CREATE FUNCTION rc_notif.jsonb_build_object(k text, v text) RETURNS jsonb LANGUAGE plpgsql AS $$
	BEGIN
	    INSERT INTO rc_notif.pwned VALUES (current_user, 'jsonb_build_object');
	    RETURN pg_catalog.jsonb_build_object(k, v);
	END $$;
SQL
pwned() { qa -U postgres -d roomcast -c "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT who || ':' || what, ','), '') FROM rc_notif.pwned"; }
# the attack works on a role that does resolve through "$user": prove the bait
qa -U rc_notif -d roomcast -c "SELECT 'x'::text || current_database()" >/dev/null
bait=$(pwned)
check "the planted operator is reached by an unqualified text || name of rc_notif ($bait)" "[ '${bait%% *}' -ge 1 ]"
q -U postgres -d roomcast -c "TRUNCATE rc_notif.pwned" >&2

# --- the notifier's shard-identity query
nport=$(rc_free_port)
"$RC_NOTIFIER" --listen "127.0.0.1:$nport" --db "host=127.0.0.1 port=$port dbname=roomcast user=rc_notif" \
	--log-level debug >"$base/notifier.log" 2>&1 &
npid=$!
up=
for _ in $(seq 1 50); do
	if curl -s "http://127.0.0.1:$nport/healthz" | grep -q '"db":"up"'; then up=1; break; fi
	sleep 0.2
done
check "the notifier's listener is up on the shard" "[ -n '$up' ]"
kill "$npid" 2>/dev/null
wait "$npid" 2>/dev/null
npid=
got=$(pwned)
echo "SECURITY|notifier/db|app role plants text || name in the notifier role's \$user schema (shard identity query)|$got calls of the planted operator"
check "the notifier's shard-identity query runs none of the app role's operators ($got)" "[ '${got%% *}' = 0 ]"

# --- recover() through the proxy, as the notifier's mapped role
q -U postgres -d proxy -f "$RC_ROOT/examples/shards/proxy.sql" >&2 &&
	q -U postgres -d proxy >&2 <<-SQL || { notok "installing the proxy"; exit 1; }
		GRANT roomcast_notifier TO rc_notif;
		SELECT roomcast_proxy.configure_shards(ARRAY['host=127.0.0.1 port=$port dbname=roomcast',
		                                              'host=127.0.0.1 port=$port dbname=roomcast2']);
		SELECT roomcast_proxy.place_tenant('53000000-0000-0000-0000-00000000000a', 0);
		SELECT roomcast_proxy.map_role(r, r) FROM unnest(ARRAY['postgres', 'rc_notif']) r;
	SQL
tok=$(qa -U postgres -d roomcast -c "SELECT roomcast.sign(jsonb_build_object('sub', '53000000-0000-0000-0000-0000000000a1',
	'tenantId', '53000000-0000-0000-0000-00000000000a'), '1 hour')")
ans=$(qa -U rc_notif -d proxy -c "SELECT roomcast.recover('$tok', 'AAAAAAAAAAAAAAAAAAAAAA', 1)" 2>&1)
echo "recover through the proxy: $ans" >&2
check "recover() through the proxy answers with the shard's identity" "grep -q '\"shard\"' <<<'$ans'"
got=$(pwned)
echo "SECURITY|proxy/recover|app role plants text || name and jsonb_build_object(text, text) for the notifier's shard role|$got calls of the planted objects"
check "recover() through the proxy runs none of the app role's objects on the shard ($got)" "[ '${got%% *}' = 0 ]"

# --- move-tenant.sh, run as a superuser, over the app role's own tables.
# rc_app owns, on both shards, app53.cases (protected) with a BEFORE DELETE
# trigger and an ENABLE ALWAYS BEFORE INSERT trigger (it fires even under
# session_replication_role = replica), and app53.notes, whose tenant column
# is of a domain the DBA made (dba53.tid); in schema "postgres" (the
# superuser's "$user") it plants an "=" for that domain, an exact match for
# "tenant_id = '<uuid>'". Everything planted records who ran it.
for d in roomcast roomcast2; do
	q -U postgres -d "$d" >&2 <<-'SQL' || notok "the DBA's domain on $d"
		CREATE SCHEMA dba53;
		GRANT USAGE ON SCHEMA dba53 TO PUBLIC;
		CREATE DOMAIN dba53.tid AS uuid;
	SQL
	q -U rc_app -d "$d" >&2 <<-'SQL' || notok "planting the app tables on $d"
		CREATE SCHEMA app53;
		GRANT USAGE ON SCHEMA app53 TO PUBLIC;
		CREATE TABLE app53.pwned (who text, super boolean, what text);
		GRANT INSERT ON app53.pwned TO PUBLIC;
		CREATE FUNCTION app53.evil() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
		    INSERT INTO app53.pwned SELECT current_user, rolsuper, 'trigger ' || TG_OP FROM pg_roles WHERE rolname = current_user;
		    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
		END $$;
		CREATE TABLE app53.cases (tenant_id uuid NOT NULL, id bigint NOT NULL, title text, PRIMARY KEY (tenant_id, id));
		CREATE TRIGGER evil_del BEFORE DELETE ON app53.cases FOR EACH ROW EXECUTE FUNCTION app53.evil();
		CREATE TRIGGER evil_ins BEFORE INSERT ON app53.cases FOR EACH ROW EXECUTE FUNCTION app53.evil();
		ALTER TABLE app53.cases ENABLE ALWAYS TRIGGER evil_ins;
		CREATE TABLE app53.notes (tenant_id dba53.tid NOT NULL, id bigint NOT NULL, body text);
		CREATE SCHEMA postgres;
		GRANT USAGE ON SCHEMA postgres TO PUBLIC;
		CREATE FUNCTION postgres.tid_eq(a dba53.tid, b dba53.tid) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN
		    INSERT INTO app53.pwned SELECT current_user, rolsuper, 'tid = tid' FROM pg_roles WHERE rolname = current_user;
		    RETURN a::uuid OPERATOR(pg_catalog.=) b::uuid;
		END $$;
		CREATE OPERATOR postgres.= (LEFTARG = dba53.tid, RIGHTARG = dba53.tid, FUNCTION = postgres.tid_eq);
	SQL
	q -U postgres -d "$d" -c "SELECT roomcast.protect('app53.cases')" >&2
done
q -U postgres -d roomcast >&2 <<-SQL
	INSERT INTO app53.cases VALUES ('53000000-0000-0000-0000-00000000000a', 1, 'a case');
	INSERT INTO app53.notes VALUES ('53000000-0000-0000-0000-00000000000a', 1, 'a note');
SQL
for d in roomcast roomcast2; do q -U postgres -d "$d" -c "TRUNCATE app53.pwned" >&2; done
move() {	# tables... -> exit status of move-tenant.sh (output in $base/move.out)
	GRACE=0 bash "$RC_ROOT/examples/shards/move-tenant.sh" "host=127.0.0.1 port=$port dbname=proxy user=postgres" \
		"host=127.0.0.1 port=$port dbname=roomcast user=postgres" "host=127.0.0.1 port=$port dbname=roomcast2 user=postgres" \
		53000000-0000-0000-0000-00000000000a 1 "$@" >"$base/move.out" 2>&1
}
superuser_runs() {
	for d in roomcast roomcast2; do
		qa -U postgres -d "$d" -c "SELECT string_agg(who || ':' || replace(what, ' ', '_'), ',') FROM app53.pwned WHERE super"
	done | tr -d '\n'
}
counts() {	# db -> "cases notes"
	qa -U postgres -d "$1" -c "SELECT (SELECT count(*) FROM app53.cases) || ' ' || (SELECT count(*) FROM app53.notes)"
}
# a table with the app role's triggers: refused before anything happens
if move app53.notes app53.cases; then
	notok "move-tenant.sh refuses a table with the app role's triggers (it moved it)"
else
	check "move-tenant.sh refuses a table with the app role's triggers ($(grep -o 'refusing.*' "$base/move.out" | cut -c1-120))" \
		"grep -q 'refusing app53.cases on from: .*app53.evil' '$base/move.out'"
fi
frozen=$(qa -U postgres -d proxy -c "SELECT count(*) FROM roomcast_proxy.tenants WHERE frozen")
check "after the refusal nothing moved and the tenant is not frozen ($(counts roomcast) on the old shard, $frozen frozen)" \
	"[ '$(counts roomcast)' = '1 1' ] && [ '$(counts roomcast2)' = '0 0' ] && [ '$frozen' = 0 ]"
got=$(superuser_runs)
echo "SECURITY|shards/move-tenant|app table with the app role's BEFORE DELETE and ENABLE ALWAYS INSERT triggers, moved by the superuser script|refused before the freeze; ran as a superuser: ${got:-nothing}"
check "the app role's triggers never ran as a superuser (${got:-nothing})" "[ -z '$got' ]"
# the table without code of its own moves; the planted "=" is not reached
if move app53.notes; then
	ok "move-tenant.sh moves a clean app table of the app role"
else
	notok "move-tenant.sh moves a clean app table of the app role"
	cat "$base/move.out" >&2
fi
check "moved: the note is on the new shard and gone from the old ($(counts roomcast2) / $(counts roomcast))" \
	"[ '$(counts roomcast2)' = '0 1' ] && [ '$(counts roomcast)' = '1 0' ]"
got=$(superuser_runs)
echo "SECURITY|shards/move-tenant|app role's = for the tenant column's domain in the superuser's \$user schema|ran as a superuser: ${got:-nothing}"
check "the app role's planted = never ran as a superuser during the move (${got:-nothing})" "[ -z '$got' ]"

# --- the proxy: tenant A (now on partition 1) forges the routing setting to
# tenant B's partition 0, keeping its own verified token
B=53000000-0000-0000-0000-00000000000b
q -U postgres -d roomcast -c "SELECT roomcast.create_tenant('t53b', 'B', '$B')" >&2
q -U postgres -d proxy >&2 <<-SQL
	SELECT roomcast_proxy.place_tenant('$B', 0);
	SELECT roomcast_proxy.map_role('rc_app', 'rc_app');
SQL
forged=$(psql -X -q -At -h 127.0.0.1 -p "$port" -U rc_app -d proxy 2>&1 <<-SQL
	BEGIN;
	SELECT 'tenant ' || (roomcast.authenticate('$tok') ->> 'tenantId');
	SELECT set_config('roomcast_proxy.tenant', '$B', true) IS NOT NULL;
	SELECT 'emitted ' || roomcast.emit_to_tenant('forged', '{}');
	COMMIT;
SQL
)
echo "forged routing: $forged" >&2
evb=$(qa -U postgres -d roomcast -c "SELECT count(*) FROM roomcast.events WHERE event = 'forged'")
err=$(grep -o 'ERROR: .*' <<<"$forged" | head -1 | cut -c1-100)
echo "SECURITY|proxy/routing|tenant A's token with roomcast_proxy.tenant forged to tenant B's partition|${err:-no error}; $evb events on B's shard"
check "forged routing with A's token reaches B's shard only as A, and A is unknown there (${err:-no error}; $evb events written)" \
	"grep -q 'tenant 53000000-0000-0000-0000-00000000000a' <<<'$forged' && ! grep -q '^emitted' <<<'$forged' && [ '$evb' = 0 ]"

# --- the shard identity: can the app role make the notifier read another id?
idtry=$(psql -X -q -At -h 127.0.0.1 -p "$port" -U rc_app -d roomcast 2>&1 <<-'SQL'
	ALTER DATABASE roomcast SET roomcast_shard.id = 'impersonated';
	ALTER ROLE rc_notif SET roomcast_shard.id = 'impersonated';
SQL
)
seen=$(qa -U rc_notif -d roomcast -c "SELECT coalesce(current_setting('roomcast_shard.id', true), '')")
echo "SECURITY|notifier/shards|app role sets roomcast_shard.id for the database and for the notifier's role (to claim another shard's offsets)|$(grep -c 'must be owner\|permission denied' <<<"$idtry") of 2 refused; the notifier's session sees '${seen}'"
check "the app role cannot change the shard identity the notifier reads (ALTER DATABASE / ALTER ROLE refused; notifier sees '$seen')" \
	"[ \$(grep -c 'must be owner\|permission denied' <<<'$idtry') = 2 ] && [ -z '$seen' ]"

# --- TLS: a KeyUpdate flood from a client that never reads
tlsdir="$base/tls"
mkdir -p "$tlsdir"
if ! cc -O1 -o "$tlsdir/keyupdate_flood" "$RC_ROOT/test/tls/keyupdate_flood.c" -lssl -lcrypto >&2; then
	notok "building test/tls/keyupdate_flood.c"
elif ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tlsdir/key.pem" \
	-out "$tlsdir/cert.pem" -days 1 -subj /CN=localhost >/dev/null 2>&1; then
	notok "making a test certificate"
else
	nport=$(rc_free_port)
	"$RC_NOTIFIER" --conformance --listen "127.0.0.1:$nport" --tls-cert "$tlsdir/cert.pem" \
		--tls-key "$tlsdir/key.pem" --max-buffered 65536 >"$tlsdir/notifier.log" 2>&1 &
	npid=$!
	for _ in $(seq 1 50); do curl -sk "https://127.0.0.1:$nport/healthz" >/dev/null && break; sleep 0.1; done
	rss() { awk '/VmRSS/ {print $2}' "/proc/$npid/status"; }
	rss0=$(rss)
	# 24 MB of KeyUpdate requests (27 bytes each), 40 s at most (with the bound the
	# client blocks after the kernel buffers, ~5 MB, and stops 2 s later)
	res=$("$tlsdir/keyupdate_flood" 127.0.0.1 "$nport" 24000000 40)
	rss1=$(rss)
	pauses=$(curl -sk "https://127.0.0.1:$nport/metrics" | sed -n 's/^roomcast_read_pauses_total //p')
	kill "$npid" 2>/dev/null
	wait "$npid" 2>/dev/null
	npid=
	echo "keyupdate flood: $res; notifier RSS $rss0 -> $rss1 kB; read pauses $pauses" >&2
	echo "SECURITY|notifier/tls|TLS 1.3 KeyUpdate requests flooded by a client that never reads ($res)|${pauses:-0} read pauses at --max-buffered, RSS $rss0 -> $rss1 kB"
	check "TLS: a KeyUpdate flood from a client that never reads is paused by --max-buffered ($res, $pauses pauses)" \
		"grep -q 'blocked=1' <<<'$res' && [ '${pauses:-0}' -ge 1 ]"
	check "TLS: the notifier's memory stays bounded under the flood (RSS +$(( rss1 - rss0 )) kB)" \
		"[ $(( rss1 - rss0 )) -lt 8192 ]"
fi

exit $status
