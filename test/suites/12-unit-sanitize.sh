# Suite: the C unit tests again, built with AddressSanitizer and UBSan
# (make BUILD=build/asan SANITIZE=1 unit), then the plain build under
# valgrind when it is installed. One TAP line per test binary and checker;
# a binary passes when all its tests pass and the checker reports nothing.
cd "$RC_ROOT" || exit 1
status=0

if ! make -s BUILD="$RC_BUILD/asan" SANITIZE=1 unit >&2; then
	echo "not ok - asan: make SANITIZE=1 unit failed"
	exit 1
fi
for bin in "$RC_BUILD"/asan/test/test_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$bin" 2>&1)
	rc=$?
	n=$(grep -c '^ok' <<<"$out")
	if [ $rc = 0 ] && ! grep -q '^not ok\|Sanitizer\|runtime error' <<<"$out"; then
		echo "ok - asan: $name ($n tests clean under ASan+UBSan)"
	else
		echo "not ok - asan: $name (exit $rc)"
		echo "$out" >&2
		status=1
	fi
done

if command -v valgrind >/dev/null; then
	for bin in "$RC_BUILD"/test/test_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		if out=$(valgrind -q --error-exitcode=99 --leak-check=full "$bin" 2>&1); then
			echo "ok - valgrind: $name ($(grep -c '^ok' <<<"$out") tests, no memcheck errors)"
		else
			echo "not ok - valgrind: $name"
			echo "$out" >&2
			status=1
		fi
	done
else
	echo "ok - valgrind: # SKIP valgrind not installed"
fi
exit $status
