# Suite: loader plans across two sessions (test/loaders/sessions.mjs): DDL
# committed elsewhere reaches the next load_many, even inside an open
# transaction. TAP on stdout.
cd "$RC_ROOT/test" || exit 1
psql -X -q -c "DROP DATABASE IF EXISTS loaders_sessions" -c "CREATE DATABASE loaders_sessions" >&2 &&
	psql -X -q -d loaders_sessions -c "CREATE EXTENSION pgcrypto" -c "CREATE EXTENSION roomcast" >&2 ||
	{ echo "not ok - loaders across sessions: create database"; exit 1; }
PGDATABASE=loaders_sessions node loaders/sessions.mjs
status=$?
psql -X -q -c "DROP DATABASE IF EXISTS loaders_sessions" >&2
exit $status
