# test/lib/deps.sh — install what the build, the tests and the demo need.
#
# Sourced by test/run and examples/demo/run. Idempotent: asks apt only for
# packages that are missing, and npm only when test/node_modules is missing or
# older than test/package-lock.json. Needs root on a machine that lacks a
# package; prints what it installs.

# Only what is used; README.md ("What gets installed, and why") says what each is for.
RC_APT_PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-contrib libuv1-dev
 libssl-dev libpq-dev postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
 redis-server libhiredis-dev nodejs npm build-essential pkg-config clang python3-psycopg curl
 python3-socketio python3-websocket python3-requests python3-yaml systemd
 haproxy pgbouncer openssl postgresql-15-plproxy
 chromium"

rc_deps_apt() {
	local missing="" p
	for p in $RC_APT_PACKAGES; do
		# nodejs may come from another repository that bundles npm: accept any
		# working node + npm instead of insisting on Debian's packages.
		case "$p" in
		nodejs) command -v node >/dev/null && continue ;;
		npm) command -v npm >/dev/null && continue ;;
		esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages and not root; run as root or install:$missing" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

rc_deps_npm() {
	local dir="$1"
	[ -f "$dir/package.json" ] || return 0
	if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
		echo "deps: npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
		touch "$dir/node_modules"
	fi
}

rc_deps() {
	rc_deps_apt || return 1
	rc_deps_npm "$RC_ROOT/test" || return 1
}
