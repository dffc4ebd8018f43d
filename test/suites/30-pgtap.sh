# Suite: pgTAP tests in test/pgtap/*.sql, each run in a fresh database with the
# extension installed. Raw TAP from psql; a file that dies before running its
# whole plan reports the missing tests as failures, and a file that stops
# on an error (or never prints its plan) is a failure too.
status=0
for f in "$RC_ROOT"/test/pgtap/*.sql; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .sql)
	db="tap_$name"
	psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2 &&
		psql -X -q -d "$db" -c "CREATE EXTENSION pgtap; CREATE EXTENSION pgcrypto; CREATE EXTENSION roomcast" >&2 ||
		{ echo "not ok - pgtap: $name: could not create database"; status=1; continue; }
	out=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$db" -f "$f" 2>&1)
	rc=$?
	echo "$out" >&2
	planned=$(echo "$out" | sed -nE 's/^1\.\.([0-9]+)$/\1/p' | head -1)
	ran=$(echo "$out" | grep -cE '^(ok|not ok)')
	echo "$out" | grep -E '^(ok|not ok)' | sed -E "s/^(not ok|ok) [0-9]+( - )?/\1 - pgtap: $name: /"
	if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
		echo "not ok - pgtap: $name: planned $planned tests but ran $ran"
	elif [ -z "$planned" ]; then
		echo "not ok - pgtap: $name: no plan line (the file stopped before finish())"
	fi
	if [ "$rc" != 0 ]; then
		echo "not ok - pgtap: $name: psql exited with status $rc"
		echo "$out" | grep -m3 'ERROR' | sed 's/^/# /'
	fi
done
exit $status
