# Suite: upgrades and backups of the extension (issue 13, docs/upgrades.md).
#
#   1. The update path: 0.1.0 installs from its frozen script, and
#      ALTER EXTENSION roomcast UPDATE brings it to the current version.
#   2. The upgraded catalog equals a fresh install: test/upgrade/catalog.sql
#      describes every object of the extension (functions with their
#      definitions, owners, ACLs, tables, columns, constraints, indexes, RLS,
#      policies, triggers, sequences, config tables, roles); the description
#      of an upgraded database must equal a fresh one's. And the test can
#      fail: for each statement of the upgrade script, the script without it
#      (test/upgrade/mutants.py) must leave a catalog that differs.
#   3. Nothing lost, everything works: a 0.1.0 database filled through the
#      API (test/upgrade/fill.sql) has the same data after the update
#      (test/upgrade/snapshot.sql), and test/upgrade/works.sql checks that old
#      tokens, refresh tokens, the inbox, events, recovery, jobs, RLS and
#      grants still work.
#   4. Backups: pg_dump of the upgraded database restores with the same data
#      in every dumped table, and the tables pg_dump leaves out are exactly
#      the documented transient ones; a 0.1.0 dump restores into a server
#      whose default is the new version, directly and through 0.1.0 + UPDATE.
#   5. The change of 0.2.0: TRUNCATE of users/tenants logs kick_tenant, and
#      (test/upgrade/truncate.test.mjs, real notifier and socket.io-client)
#      disconnects the sockets, also in a database upgraded while the
#      notifier was connected.
cd "$RC_ROOT" || exit 1
U=test/upgrade
OLD=0.1.0
NEW=$(sed -n "s/^default_version = '\(.*\)'/\1/p" extension/roomcast.control)
PREFIX=upg_
EXTDIR="$("$RC_PG_BIN/pg_config" --sharedir)/extension"
W="$RC_TMP/upgrade"
mkdir -p "$W"
status=0
ok() { echo "ok - upgrade: $1"; }
notok() { echo "not ok - upgrade: $1"; status=1; }
# check DESCRIPTION GOT WANT
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi; }
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
# a fresh, empty database
newdb() { sql -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >&2; }
catalog() { sql -d "$1" -f $U/catalog.sql; }
snapshot() { sql -d "$1" -f $U/snapshot.sql; }
# the data of a snapshot without the column saying how pg_dump treats it
# (0.2.0 marks security_events_id_seq)
data() { awk -F'|' -v OFS='|' '{$3 = ""; print}'; }
version() { sql -d "$1" -c "SELECT extversion FROM pg_extension WHERE extname = 'roomcast'"; }
# works DB LABEL ROOMS_KEPT: test/upgrade/works.sql's TAP lines
works() {
	sql -d "$1" -v label="$2" -v rooms_kept="$3" -f $U/works.sql 2>&1 | sed 's/^psql/# psql/'
	[ "${PIPESTATUS[0]}" = 0 ] || notok "$2: test/upgrade/works.sql ran to the end"
}

cleanup() {
	rm -f "$EXTDIR"/roomcast--$OLD--$NEW-m*.sql
	for db in $(sql -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'"); do
		sql -d postgres -c "ALTER DATABASE $db IS_TEMPLATE false" -c "DROP DATABASE $db WITH (FORCE)" >&2
	done
	sql -d postgres -c "DROP ROLE IF EXISTS rc_upg_worker" -c "DROP ROLE IF EXISTS rc_upg_app" \
		-c "DROP ROLE IF EXISTS rc_upg_notifier" >&2
}
trap cleanup EXIT
cleanup 2>/dev/null

# ---- 1. the update path ----
check "the control file's default version is the Makefile's EXTVERSION" \
	"$NEW" "$(sed -n 's/^EXTVERSION *= *//p' Makefile)"
check "$OLD's install script is the frozen file, installed as is" \
	"$(cmp -s extension/roomcast--$OLD.sql "$EXTDIR/roomcast--$OLD.sql" && echo same)" same
check "$OLD's frozen script has none of $NEW's changes" \
	"$(grep -c -e _control_on_truncate -e "config_dump('roomcast.security_events_id_seq'" extension/roomcast--$OLD.sql)" 0
newdb ${PREFIX}fresh
sql -d ${PREFIX}fresh -c "CREATE EXTENSION roomcast" >&2
sql -d postgres -c "CREATE ROLE rc_upg_worker NOLOGIN" -c "GRANT roomcast_worker TO rc_upg_worker" \
	-c "CREATE ROLE rc_upg_app NOLOGIN" >&2
check "CREATE EXTENSION roomcast installs $NEW" "$(version ${PREFIX}fresh)" "$NEW"
check "the update path $OLD -> $NEW is one script" \
	"$(sql -d ${PREFIX}fresh -c "SELECT path FROM pg_extension_update_paths('roomcast') WHERE source = '$OLD' AND target = '$NEW'")" \
	"$OLD--$NEW"
# an empty 0.1.0, kept as the template of the mutants below
newdb ${PREFIX}tmpl
sql -d ${PREFIX}tmpl -c "CREATE EXTENSION roomcast VERSION '$OLD'" >&2
check "CREATE EXTENSION roomcast VERSION '$OLD' installs $OLD" "$(version ${PREFIX}tmpl)" "$OLD"
catalog ${PREFIX}tmpl >"$W/old.cat"
sql -d postgres -c "ALTER DATABASE ${PREFIX}tmpl IS_TEMPLATE true" >&2
sql -d postgres -c "CREATE DATABASE ${PREFIX}empty TEMPLATE ${PREFIX}tmpl" >&2
out=$(sql -d ${PREFIX}empty -c "ALTER EXTENSION roomcast UPDATE" 2>&1)
check "ALTER EXTENSION roomcast UPDATE runs without error or notice" "$out" ""
check "after UPDATE the version is $NEW" "$(version ${PREFIX}empty)" "$NEW"

# ---- 2. the upgraded catalog equals a fresh install ----
catalog ${PREFIX}fresh >"$W/fresh.cat"
catalog ${PREFIX}empty >"$W/empty.cat"
echo "# catalog of a fresh $NEW: $(wc -l <"$W/fresh.cat") lines ($(cut -d'|' -f2 "$W/fresh.cat" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}'))" >&2
if [ "$(wc -l <"$W/fresh.cat")" -gt 300 ] && diff "$W/fresh.cat" "$W/empty.cat" >"$W/catalog.diff"; then
	ok "the catalog after $OLD + UPDATE equals a fresh $NEW ($(wc -l <"$W/fresh.cat") facts: functions, ACLs, tables, RLS, policies, triggers, config tables, ...)"
else
	notok "the catalog after $OLD + UPDATE equals a fresh $NEW"
	sed 's/^/#   /' "$W/catalog.diff" | cut -c1-300 | head -40
fi
if diff -q "$W/old.cat" "$W/fresh.cat" >/dev/null; then
	notok "the catalog of $OLD differs from $NEW's (else the comparison proves nothing)"
else
	ok "the catalog of $OLD differs from $NEW's in $(diff "$W/old.cat" "$W/fresh.cat" | grep -c '^[<>]') lines (the comparison sees the change)"
fi
# the interface an old notifier uses is unchanged (docs/upgrades.md, compatibility)
iface='\|(function\|roomcast\.(notifier_read|notifier_anchor|rpc|recover|maintain|authenticate|verify)\(|(relation|column|policy)\|roomcast\.(signing_keys|events|control_log)\|)'
check "what the notifier calls (notifier_read, notifier_anchor, rpc, recover, maintain, authenticate, verify, signing_keys, events, control_log) is the same in $OLD and $NEW" \
	"$(diff <(grep -E "$iface" "$W/old.cat") <(grep -E "$iface" "$W/fresh.cat") | head -5)" ""

# each statement of the upgrade script is needed: without it the catalog differs
python3 $U/mutants.py extension/roomcast--$OLD--$NEW.sql "$W/mutants" >"$W/mutants.list" ||
	notok "splitting the upgrade script into statements"
nmut=0 caught=0
while IFS=$'\t' read -r n first; do
	nmut=$((nmut + 1))
	cp "$W/mutants/$n.sql" "$EXTDIR/roomcast--$OLD--$NEW-m$n.sql"
	chmod a+r "$EXTDIR/roomcast--$OLD--$NEW-m$n.sql"
	sql -d postgres -c "CREATE DATABASE ${PREFIX}m$n TEMPLATE ${PREFIX}tmpl" >&2
	if sql -d ${PREFIX}m$n -c "ALTER EXTENSION roomcast UPDATE TO '$NEW-m$n'" >/dev/null 2>"$W/m$n.err"; then
		if diff -q "$W/fresh.cat" <(catalog ${PREFIX}m$n) >/dev/null; then
			notok "the upgrade script without statement $n ($first) leaves the same catalog: the comparison misses it"
		else
			caught=$((caught + 1))
		fi
	else
		caught=$((caught + 1))	# the update itself fails
	fi
	sql -d postgres -c "DROP DATABASE ${PREFIX}m$n" >&2
	rm -f "$EXTDIR/roomcast--$OLD--$NEW-m$n.sql"
done <"$W/mutants.list"
if [ "$nmut" -gt 0 ] && [ "$caught" = "$nmut" ]; then
	ok "each of the $nmut statements of the upgrade script, left out, makes the catalog comparison fail"
else
	notok "left-out statements of the upgrade script are noticed ($caught of $nmut)"
fi

# ---- 3. a filled 0.1.0: nothing lost, everything works ----
sql -d postgres -c "CREATE DATABASE ${PREFIX}filled TEMPLATE ${PREFIX}tmpl" >&2
if ! sql -d ${PREFIX}filled -f $U/fill.sql >"$W/fill.out" 2>&1; then
	notok "filling $OLD through the API (test/upgrade/fill.sql)"
	sed 's/^/#   /' "$W/fill.out" | tail -5
	exit 1
fi
ok "$OLD filled through the API: $(sql -d ${PREFIX}filled -c "SELECT format('%s tenants, %s users, %s keys, %s refresh tokens, %s notifications, %s events, %s jobs, %s cases',
	(SELECT count(*) FROM roomcast.tenants), (SELECT count(*) FROM roomcast.users), (SELECT count(*) FROM roomcast.signing_keys),
	(SELECT count(*) FROM roomcast.refresh_tokens), (SELECT count(*) FROM roomcast.notifications),
	(SELECT count(*) FROM roomcast.events), (SELECT count(*) FROM roomcast.jobs), (SELECT count(*) FROM upg.cases))")"
snapshot ${PREFIX}filled >"$W/before.snap"
"$RC_PG_BIN/pg_dump" -Fc -d ${PREFIX}filled -f "$W/old.dump" 2>&2 || notok "pg_dump of the filled $OLD database"
out=$(sql -d ${PREFIX}filled -c "ALTER EXTENSION roomcast UPDATE" 2>&1)
check "ALTER EXTENSION roomcast UPDATE of the filled database" "$out$(version ${PREFIX}filled)" "$NEW"
snapshot ${PREFIX}filled >"$W/after.snap"
if [ "$(grep -c . "$W/before.snap")" -gt 20 ] && diff <(data <"$W/before.snap") <(data <"$W/after.snap") >"$W/snap.diff"; then
	ok "every table and sequence has the same rows after the update ($(grep -c '^table' "$W/after.snap") tables, $(grep -c '^sequence' "$W/after.snap") sequences: counts and md5 of the content)"
else
	notok "every table and sequence has the same rows after the update"
	sed 's/^/#   /' "$W/snap.diff" | head -20
fi
check "the filled, upgraded database's extension objects equal a fresh install's" \
	"$(diff <(grep '^m' "$W/fresh.cat") <(catalog ${PREFIX}filled | grep '^m') | head -5)" ""
"$RC_PG_BIN/pg_dump" -Fc -d ${PREFIX}filled -f "$W/new.dump" 2>&2 || notok "pg_dump of the upgraded database"
works ${PREFIX}filled upgrade true

# ---- 4. backups ----
# What pg_dump leaves out: extension tables not marked by pg_extension_config_dump.
# They must be the transient ones docs/upgrades.md names, and no sequence.
transient="roomcast.control_log roomcast.job_cache roomcast.job_rate roomcast.socket_rooms"
check "the extension tables pg_dump leaves out are exactly the transient ones ($transient)" \
	"$(awk -F'|' '$3 == "member" {print $2}' "$W/after.snap" | sort | xargs)" "$transient"
check "every roomcast sequence is dumped (marked as configuration)" \
	"$(awk -F'|' '$1 == "sequence" && $3 != "config" {print $2}' "$W/after.snap" | xargs)" ""
# the signing keys are in a dump (docs/upgrades.md: a dump is as secret as the
# keys), and --exclude-table-data leaves them out
check "a pg_dump holds the signing keys' secrets (config table roomcast.signing_keys)" \
	"$("$RC_PG_BIN/pg_restore" -f - -a -t signing_keys "$W/new.dump" | grep -c '\\\\xa1a1a1a1')" 1
check "pg_dump --exclude-table-data=roomcast.signing_keys leaves them out" \
	"$("$RC_PG_BIN/pg_dump" -d ${PREFIX}filled --exclude-table-data=roomcast.signing_keys | grep -c 'COPY roomcast.signing_keys')" 0
echo "# SECURITY|backups|pg_dump of a roomcast database|holds the HMAC signing keys (anyone with the dump can sign tokens); --exclude-table-data=roomcast.signing_keys leaves them out"
# restore(DUMP, DB, [pre-SQL]): a new database, pg_restore. With pre-SQL (which
# creates the extension), the dump's own CREATE SCHEMA and CREATE EXTENSION
# of roomcast are left out of the restore list (pg_restore -L), as
# docs/upgrades.md says to do.
restore() {
	newdb "$2"
	if [ -n "${3:-}" ]; then
		sql -d "$2" -c "$3" >&2
		"$RC_PG_BIN/pg_restore" -l "$1" | grep -v -E '^[0-9]+; [0-9]+ [0-9]+ (SCHEMA|EXTENSION) - roomcast ' >"$W/$2.list"
		"$RC_PG_BIN/pg_restore" --exit-on-error -L "$W/$2.list" -d "$2" "$1" 2>"$W/$2.restore.err"
	else
		"$RC_PG_BIN/pg_restore" --exit-on-error -d "$2" "$1" 2>"$W/$2.restore.err"
	fi
}
# dumped DB SNAP LABEL: the dumped tables' lines of SNAP equal DB's; of the
# transient tables, the restore leaves only the "keys" entries its own
# COPY into signing_keys logs
dumped() {
	local now
	now=$(snapshot "$1")
	check "$3: every dumped table and sequence has the same rows (config tables, event partitions, application tables)" \
		"$(diff <(grep -v '|member|' "$2" | data) <(grep -v '|member|' <<<"$now" | data) | head -6)" ""
	check "$3: the transient tables hold none of the dumped database's rows" \
		"$(awk -F'|' '$3 == "member" && $4 != 0 && $2 != "roomcast.control_log" {print $2 " " $4}' <<<"$now" | xargs)$(
			sql -d "$1" -c "SELECT string_agg(DISTINCT kind, ',') FROM roomcast.control_log WHERE kind <> 'keys'")" ""
}
if restore "$W/new.dump" ${PREFIX}restored; then
	ok "pg_restore --exit-on-error of the upgraded database"
	check "restored: version $NEW" "$(version ${PREFIX}restored)" "$NEW"
	dumped ${PREFIX}restored "$W/after.snap" restored
	check "restored: the extension's objects equal a fresh install's" \
		"$(diff <(grep '^m' "$W/fresh.cat") <(catalog ${PREFIX}restored | grep '^m') | head -5)" ""
	works ${PREFIX}restored restored false
else
	notok "pg_restore --exit-on-error of the upgraded database"
	sed 's/^/#   /' "$W/${PREFIX}restored.restore.err" | head -10
fi
# a 0.1.0 dump into a server whose default is the new version: pg_dump does not
# record the version, so a plain restore installs the default one ...
if restore "$W/old.dump" ${PREFIX}old_plain; then
	check "$OLD dump restored: CREATE EXTENSION in the dump installs the default $NEW" "$(version ${PREFIX}old_plain)" "$NEW"
	dumped ${PREFIX}old_plain "$W/before.snap" "$OLD dump restored as $NEW"
	works ${PREFIX}old_plain "$OLD dump restored as $NEW" false
else
	notok "pg_restore of a $OLD dump into a server whose default is $NEW"
	sed 's/^/#   /' "$W/${PREFIX}old_plain.restore.err" | head -10
fi
# ... or, to go through the upgrade script, create 0.1.0 first, restore, UPDATE
if restore "$W/old.dump" ${PREFIX}old_pinned "CREATE EXTENSION roomcast VERSION '$OLD'"; then
	check "$OLD dump restored into a pre-created $OLD: still $OLD" "$(version ${PREFIX}old_pinned)" "$OLD"
	sql -d ${PREFIX}old_pinned -c "ALTER EXTENSION roomcast UPDATE" >&2
	dumped ${PREFIX}old_pinned "$W/before.snap" "$OLD dump restored into $OLD, then UPDATE"
	works ${PREFIX}old_pinned "$OLD dump restored into $OLD, then UPDATE" false
else
	notok "pg_restore of a $OLD dump into a pre-created $OLD"
	sed 's/^/#   /' "$W/${PREFIX}old_pinned.restore.err" | head -10
fi

# ---- 5. TRUNCATE kicks (the change of 0.2.0) ----
kicks() { sql -d ${PREFIX}filled -c "SELECT coalesce(string_agg(data->>'reason' || ' ' || (data->>'tenant'), ', ' ORDER BY id), '')
	FROM roomcast.control_log WHERE kind = 'kick_tenant' AND data->>'reason' LIKE '%truncated'"; }
sql -d ${PREFIX}filled -c "BEGIN" -c "TRUNCATE roomcast.users CASCADE" -c "ROLLBACK" >&2
check "a TRUNCATE of users that rolls back logs no kick" "$(kicks)" ""
sql -d ${PREFIX}filled -c "SET client_min_messages = warning" -c "TRUNCATE roomcast.users CASCADE" >&2
TA=a0000000-0000-4000-8000-00000000000a TB=b0000000-0000-4000-8000-00000000000b
check "TRUNCATE roomcast.users logs kick_tenant for each tenant that had users" "$(kicks)" \
	"users_truncated $TA, users_truncated $TB"
sql -d ${PREFIX}filled -c "SET client_min_messages = warning" -c "TRUNCATE roomcast.tenants CASCADE" >&2
check "TRUNCATE roomcast.tenants logs kick_tenant for each tenant" "$(kicks)" \
	"users_truncated $TA, users_truncated $TB, tenants_truncated $TA, tenants_truncated $TB"
echo "# SECURITY|extension/control|TRUNCATE roomcast.users or roomcast.tenants (bypasses the row triggers)|kick_tenant logged per tenant at commit; nothing on rollback"

# the same with a real notifier and socket.io-client, across an online upgrade
(cd test && node --test --test-reporter=tap upgrade/truncate.test.mjs) >"$W/truncate.tap" 2>&1
rc=$?
grep -E '^# SECURITY' "$W/truncate.tap"
grep -E '^(not )?ok [0-9]+ - ' "$W/truncate.tap" | sed -E 's/^(not )?ok [0-9]+ - (.*)/\1ok - upgrade notifier: \2/'
if [ $rc != 0 ]; then
	notok "test/upgrade/truncate.test.mjs"
	tail -40 "$W/truncate.tap" | sed 's/^/#   /'
fi
exit $status
