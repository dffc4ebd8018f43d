#!/usr/bin/env bash
# test/lib/security-table.sh — render the hostile inputs the suites tried into
# the markdown table of docs/security.md.
#
# Every test that tries a hostile input prints one line (anywhere in its
# output, after any prefix such as "# " or TAP indentation):
#     SECURITY|<area>|<hostile input>|<what it gets>
# test/run keeps each suite's output in build/test-logs/; this script reads
# them all and writes the table, sorted by area and deduplicated, to stdout.
#
#   test/lib/security-table.sh [LOGDIR]      (default: build/test-logs)
set -euo pipefail
logdir=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/build/test-logs"}

echo '| area | hostile input | what it gets |'
echo '|---|---|---|'
# The same test run against the notifier's ASan build (suite 41-e2e-asan)
# prints its own numbers; its rows are marked so that both can be told apart.
for f in "$logdir"/*; do
	[ -f "$f" ] || continue
	case "$(basename "$f")" in
	*-e2e-asan*) build=" (ASan build)" ;;
	*) build="" ;;
	esac
	{ grep -o 'SECURITY|[^|]*|[^|]*|.*$' "$f" || true; } |
		sed -e 's/[[:space:]]*$//' -e 's/^SECURITY|//' |
		awk -F'|' -v build="$build" 'NF >= 3 { printf "| %s | %s | %s%s |\n", $1, $2, $3, build }'
done | LC_ALL=C sort -u
