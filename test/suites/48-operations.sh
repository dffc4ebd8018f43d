# Suite: the operations examples (examples/systemd, examples/prometheus,
# examples/grafana) and docs/operations.md against a real notifier and the
# private PostgreSQL: systemd-analyze verify of the unit, the unit's ExecStart
# run with the environment file, ExecReload and stop, and every metric the
# alert rules and the dashboard use checked against a live /metrics
# (test/python/check_operations.py says what each check asserts).
# promtool is not used: Debian's prometheus package is 19 MB and starts a
# server; the rules are checked with python3-yaml and a live /metrics instead.
cd "$RC_ROOT" || exit 1
py=/usr/bin/python3	# Debian's python3 with python3-yaml / -socketio / -psycopg
[ -x "$py" ] || py=python3
"$py" test/python/check_operations.py
