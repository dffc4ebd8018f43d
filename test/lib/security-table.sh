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
cat "$logdir"/* 2>/dev/null |
	grep -o 'SECURITY|[^|]*|[^|]*|.*$' |
	sed -e 's/[[:space:]]*$//' -e 's/^SECURITY|//' |
	awk -F'|' 'NF >= 3 { printf "| %s | %s | %s |\n", $1, $2, $3 }' |
	LC_ALL=C sort -u
