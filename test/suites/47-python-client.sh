# Suite: another Socket.IO v4 client — python-socketio 5 (Debian python3-socketio,
# with python3-websocket and python3-requests for its two transports) against a
# notifier and the private PostgreSQL: tokens, join, events with offsets, rpc
# acks, refusals, the example of docs/clients.md, recovery across a restart
# (test/python/test_client.py says what each check asserts). Then the snippets
# docs/clients.md shows must be the files this suite runs, byte for byte.
cd "$RC_ROOT" || exit 1
# Debian's python3, where the python3-* packages are (not a pyenv/venv one first on PATH)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" test/python/test_client.py
status=$?

# docs/clients.md includes each file between "<!-- include: PATH -->" and the
# closing fence of the code block that follows; it must equal the file.
for f in test/python/example_client.py test/python/recovering_client.py; do
	shown=$(awk -v f="$f" '
		$0 == "<!-- include: " f " -->" { want = 1; next }
		want && /^```/ && !open { open = 1; next }
		open && /^```$/ { exit }
		open { print }' docs/clients.md)
	if [ -n "$shown" ] && [ "$shown" = "$(cat "$f")" ]; then
		echo "ok - docs/clients.md shows $f as it is tested"
	else
		echo "not ok - docs/clients.md shows $f as it is tested (missing or drifted)"
	fi
done
exit $status
