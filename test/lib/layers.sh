#!/usr/bin/env bash
# test/lib/layers.sh — check that the notifier's include graph is one-way.
#
# The layers, lowest first, are the folders of notifier/ (notifier.mk):
#   base < codec < transport < session < hub
# A file may include headers of its own layer and of lower layers only; a
# lower layer reports upward through a handler struct the upper layer fills
# in (net_handlers, eio_handlers, sio_hooks). Prints one TAP line per file
# and "# <file> includes <header>" for each violation; exits 1 on any.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root/notifier" || exit 1
rank() {
	case "$1" in
	base) echo 0 ;; codec) echo 1 ;; transport) echo 2 ;; session) echo 3 ;; hub) echo 4 ;;
	*) echo 99 ;;
	esac
}
status=0
for f in */*.[ch]; do
	layer=${f%%/*}
	mine=$(rank "$layer")
	bad=""
	while read -r inc; do
		[ -z "$inc" ] && continue
		case "$inc" in
		*/*) theirs=$(rank "${inc%%/*}") ;;
		*) [ -e "$layer/$inc" ] && theirs=$mine || theirs=-1 ;;	# common/ or system: allowed
		esac
		if [ "$theirs" = 99 ] || [ "$theirs" -gt "$mine" ]; then
			bad="$bad $inc"
		fi
	done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$f")
	if [ -n "$bad" ]; then
		echo "not ok - notifier/$f includes only its own or lower layers"
		for b in $bad; do echo "# notifier/$f ($layer) includes $b"; done
		status=1
	else
		echo "ok - notifier/$f includes only its own or lower layers"
	fi
done
exit $status
