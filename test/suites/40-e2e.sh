# Suite: end-to-end tests with the real socket.io-client, node-postgres and
# Chromium (test/e2e/*.test.mjs), run by node's test runner with TAP output.
# Each file starts its own notifier against the private PostgreSQL/Redis.
cd "$RC_ROOT/test" || exit 1
files=$(ls e2e/*.test.mjs 2>/dev/null)
[ -z "$files" ] && exit 0
node --test --test-reporter=tap --test-concurrency=1 $files
