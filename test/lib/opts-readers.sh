#!/usr/bin/env bash
# test/lib/opts-readers.sh — every option --help lists is either read by some
# code of the notifier or marked "not implemented yet" (issue 9: --help listed
# options no code read, so setting them silently did nothing).
#
# The options and their fields come from opt_defs in notifier/base/opts.c
# (`{"name", …, F(field), …}`), the unimplemented ones from its opt_not_yet
# table. A reader is a use of the field (`.field` or `->field`) in a notifier
# source other than base/opts.c, which only parses and stores. Prints one TAP
# line per option and exits 1 on any that is neither read nor marked.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root/notifier" || exit 1
opts_c=base/opts.c

# the names in opt_not_yet: between its opening line and the closing "};"
not_yet=$(awk '/opt_not_yet\[\] = \{/ {on=1; next} on && /^\};/ {on=0} on' "$opts_c" |
	sed -n 's/^[[:space:]]*{"\([a-z-]*\)",.*/\1/p')
grep -q "opt_not_yet\[\] = {" "$opts_c" || { echo "not ok - opts: no opt_not_yet table found in $opts_c"; exit 1; }

# name and field of each option; listen and log-* store through a switch, not F()
defs=$(awk '/opt_defs\[\] = \{/ {on=1; next} on && /^\};/ {on=0} on' "$opts_c" |
	sed -n 's/^[[:space:]]*{"\([a-z-]*\)",.*F(\([a-z_]*\)).*/\1 \2/p; s/^[[:space:]]*{"\(listen\)",.*/\1 listen_port/p;
		s/^[[:space:]]*{"\(log-level\)",.*/\1 log_level/p; s/^[[:space:]]*{"\(log-format\)",.*/\1 log_json/p')
[ "$(echo "$defs" | wc -l)" -ge 20 ] || { echo "not ok - opts: fewer than 20 options parsed from $opts_c"; exit 1; }

status=0
while read -r name field; do
	readers=$(grep -rlE "(\.|->)$field\b" --include='*.c' . | grep -v "^\./$opts_c$" | tr '\n' ' ')
	# --config is read by opts_reload (SIGHUP), in opts.c itself
	[ "$name" = config ] && readers="base/opts.c (opts_reload)"
	marked=no
	echo "$not_yet" | grep -qx -- "$name" && marked=yes
	if [ -n "$readers" ]; then
		echo "ok - opts: --$name is read by ${readers% }$([ $marked = yes ] && echo ' (and marked not implemented yet)')"
	elif [ $marked = yes ]; then
		echo "ok - opts: --$name is marked not implemented yet in --help"
	else
		echo "not ok - opts: --$name ($field) is listed by --help, but no code reads it and it is not marked not implemented yet"
		status=1
	fi
done <<<"$defs"
exit $status
