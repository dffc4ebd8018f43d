# Suite: C unit tests of common/ and the notifier codecs (test/unit/test_*.c).
# Each binary prints TAP; its test names are prefixed with the binary's name.
status=0
for bin in "$RC_BUILD"/test/test_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	"$bin" 2>&1 | sed -E "s/^(not ok|ok) [0-9]+( - )?/\1 - $name: /" || status=1
done
exit $status
