# Suite: the demo application in real Chromium (test/browser/*.test.mjs):
# Debian's chromium, headless, driven by playwright-core, against the demo
# started by its own run script (examples/demo/run). Screenshots of each
# state are kept in build/screenshots/ (docs/demo.md shows a few).
cd "$RC_ROOT/test" || exit 1
if [ ! -x "${RC_CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "not ok - browser: chromium is installed (test/lib/deps.sh installs it)"
	exit 0
fi
rm -rf "$RC_ROOT/build/screenshots"
node --test --test-reporter=tap --test-concurrency=1 browser/*.test.mjs
# the curated copies in docs/images stay small (issue 13: each < 150 KB)
for f in "$RC_ROOT"/docs/images/*.png; do
	[ -f "$f" ] || continue
	size=$(stat -c %s "$f")
	if [ "$size" -lt 153600 ]; then echo "ok - browser: docs/images/${f##*/} is ${size} bytes (< 150 KB)"
	else echo "not ok - browser: docs/images/${f##*/} is ${size} bytes (>= 150 KB)"; fi
done
