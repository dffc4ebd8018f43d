# Suite: end-to-end tests with the real socket.io-client, node-postgres and
# Chromium (test/e2e/*.test.mjs), run by node's test runner with TAP output.
# Each file starts its own notifier against the private PostgreSQL/Redis.
cd "$RC_ROOT/test" || exit 1
# RC_E2E_FILES: a subset while working on one area, e.g. RC_E2E_FILES=e2e/notifier-tls.test.mjs
files=${RC_E2E_FILES:-$(ls e2e/*.test.mjs 2>/dev/null)}
[ -z "$files" ] && exit 0
node --test --test-reporter=tap --test-concurrency=1 $files
