#!/usr/bin/env bash
# test/lib/update-security-doc.sh — `make security-doc`: replace the generated
# table of docs/security.md (between its BEGIN/END markers) with
# build/security-inputs.md, which the last full `make test` wrote.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
table="$root/build/security-inputs.md"
doc="$root/docs/security.md"
[ -s "$table" ] || { echo "no $table: run make test first" >&2; exit 1; }
[ "$(wc -l <"$table")" -gt 2 ] || { echo "$table has no rows: run the full make test" >&2; exit 1; }
awk -v table="$table" '
	/<!-- BEGIN generated: hostile inputs -->/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
	/<!-- END generated: hostile inputs -->/ { skip = 0 }
	!skip { print }
' "$doc" >"$doc.new"
mv "$doc.new" "$doc"
echo "docs/security.md: $(($(wc -l <"$table") - 2)) hostile inputs"
