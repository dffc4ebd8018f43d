# Suite: pg_regress scripts in sql/ with expected output in expected/.
# One TAP line per script; the diff of a failed one goes to the log.
cd "$RC_ROOT" || exit 1
make -s installcheck PG_CONFIG="$RC_PG_BIN/pg_config" >"$RC_TMP/regress.out" 2>&1
status=$?
cat "$RC_TMP/regress.out" >&2
sed -nE 's/^(test | +)?([a-z0-9_]+) +\.\.\. (ok|FAILED|failed).*/\3 \2/p' "$RC_TMP/regress.out" |
	while read -r result name; do
		case "$result" in
		ok) echo "ok - regress: $name" ;;
		*) echo "not ok - regress: $name" ;;
		esac
	done
[ -f regression.diffs ] && cat regression.diffs >&2
exit $status
