# test/lib/servers.sh — private PostgreSQL and Redis for tests and the demo.
#
# Sourced by test/run and examples/demo/run. Everything lives under $RC_TMP
# (a fresh directory) and listens on 127.0.0.1 only, on ports found free at
# start. The PostgreSQL binaries come from a relocated copy of the system
# installation ("temp install", as PostgreSQL's own `make check` does) into
# which `make install DESTDIR=` puts the extension: tests never depend on, or
# disturb, what is installed system-wide.
#
# After rc_pg_start: PGHOST PGPORT PGUSER PGDATABASE are exported and
# RC_PG_BIN is the bin directory. After rc_redis_start: RC_REDIS_PORT and
# RC_REDIS_URL. rc_servers_stop stops whatever was started.

RC_PG_VERSION=15

# Print a TCP port on 127.0.0.1 that nothing listens on. It is taken below
# the kernel's ephemeral range (ip_local_port_range, 32768 up by default):
# a port in that range can be held by one of the thousands of client sockets
# a load test opens, which a connect probe does not see but bind does.
rc_free_port() {
	local port low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$low" -gt 21000 ] 2>/dev/null || low=32768
	while :; do
		port=$((20000 + RANDOM % (low - 20000)))
		(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "$port"; return; }
	done
}

# Run a command as the unprivileged owner of the cluster (postgres refuses root).
rc_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$RC_PG_OSUSER" -- "$@"
	else
		"$@"
	fi
}

# Build $RC_TMP/install: a copy of the system PostgreSQL with roomcast added.
rc_temp_install() {
	local sysbin sysshare
	sysbin=$(pg_config --bindir) || return 1
	sysshare=$(pg_config --sharedir)
	RC_INSTALL="$RC_TMP/install"
	mkdir -p "$RC_INSTALL$(dirname "$(dirname "$sysbin")")" "$RC_INSTALL$(dirname "$sysshare")"
	cp -a "$(dirname "$sysbin")" "$RC_INSTALL$(dirname "$(dirname "$sysbin")")/" &&
		cp -a "$sysshare" "$RC_INSTALL$(dirname "$sysshare")/" || return 1
	make -C "$RC_ROOT" -s install DESTDIR="$RC_INSTALL" NOTIFIER_NO_INSTALL=1 >/dev/null || return 1
	RC_PG_BIN="$RC_INSTALL$sysbin"
	chmod -R a+rX "$RC_TMP"
	export RC_PG_BIN RC_INSTALL
}

rc_pg_start() {
	RC_PG_OSUSER=${RC_PG_OSUSER:-postgres}
	if [ "$(id -u)" = 0 ] && ! id "$RC_PG_OSUSER" >/dev/null 2>&1; then
		useradd --system --no-create-home "$RC_PG_OSUSER" || return 1
	fi
	RC_PGDATA="$RC_TMP/pgdata"
	mkdir -p "$RC_PGDATA" "$RC_TMP/pgsock" "$RC_TMP/pglog"
	[ "$(id -u)" = 0 ] && chown "$RC_PG_OSUSER" "$RC_PGDATA" "$RC_TMP/pgsock" "$RC_TMP/pglog"
	rc_as_pg "$RC_PG_BIN/initdb" -D "$RC_PGDATA" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$RC_TMP/initdb.log" 2>&1 || { cat "$RC_TMP/initdb.log"; return 1; }
	cat >>"$RC_PGDATA/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$RC_TMP/pgsock'
		max_connections = 200
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 256MB
		log_min_messages = warning
		log_line_prefix = '%m [%p] %q%u@%d '
	EOF
	# A free port can be taken between the probe and the bind (parallel runs):
	# on "Address already in use", probe again, a few times.
	local try
	for try in 1 2 3 4 5; do
		PGPORT=$(rc_free_port)
		rc_as_pg "$RC_PG_BIN/pg_ctl" -D "$RC_PGDATA" -l "$RC_TMP/pglog/postgres.log" -w -t 60 \
			-o "-p $PGPORT" start >/dev/null && break
		grep -q 'Address already in use' "$RC_TMP/pglog/postgres.log" && [ "$try" -lt 5 ] &&
			{ : >"$RC_TMP/pglog/postgres.log"; continue; }
		tail -20 "$RC_TMP/pglog/postgres.log"
		return 1
	done
	echo "port = $PGPORT" >>"$RC_PGDATA/postgresql.conf"	# for any later restart
	export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
	export RC_PGDATA RC_PG_OSUSER
}

rc_redis_start() {
	mkdir -p "$RC_TMP/redis"
	local i try
	for try in 1 2 3 4 5; do	# retried like rc_pg_start: the probed port may be taken
		RC_REDIS_PORT=$(rc_free_port)
		: >"$RC_TMP/redis/redis.log"
		redis-server --bind 127.0.0.1 --port "$RC_REDIS_PORT" --save "" --appendonly no \
			--dir "$RC_TMP/redis" --daemonize yes --pidfile "$RC_TMP/redis/redis.pid" \
			--logfile "$RC_TMP/redis/redis.log" >/dev/null || return 1
		for i in $(seq 50); do
			redis-cli -p "$RC_REDIS_PORT" ping >/dev/null 2>&1 && break 2
			grep -q 'Address already in use' "$RC_TMP/redis/redis.log" && break
			sleep 0.1
		done
	done
	RC_REDIS_URL="redis://127.0.0.1:$RC_REDIS_PORT"
	export RC_REDIS_PORT RC_REDIS_URL
}

rc_servers_stop() {
	if [ -n "${RC_REDIS_PORT:-}" ]; then
		redis-cli -p "$RC_REDIS_PORT" shutdown nosave >/dev/null 2>&1
		RC_REDIS_PORT=
	fi
	if [ -n "${RC_PGDATA:-}" ] && [ -f "$RC_PGDATA/postmaster.pid" ]; then
		rc_as_pg "$RC_PG_BIN/pg_ctl" -D "$RC_PGDATA" -m immediate -w stop >/dev/null 2>&1
	fi
}

#---- a second, instrumented PostgreSQL (suite 22-extension-asan) ----

# rc_san_install DEST CFLAGS [EXTRA_C [LDFLAGS_SL]]: build the extension
# with CFLAGS added (PGXS COPT, which also reaches the link) from a copy of
# the sources in DEST.src, so the normal build and its objects are not
# touched, and install it with `make install DESTDIR=DEST` into a fresh copy
# of the system PostgreSQL. EXTRA_C is one more C file linked into the
# module, LDFLAGS_SL more flags for its link. Only the extension is built
# (no notifier). Sets RC_SAN_BIN, RC_SAN_SRC.
rc_san_install() {
	local dest=$1 cflags=$2 extra=${3:-} ldflags=${4:-} sysbin sysshare src="$1.src"
	sysbin=$(pg_config --bindir) || return 1
	sysshare=$(pg_config --sharedir)
	mkdir -p "$dest$(dirname "$(dirname "$sysbin")")" "$dest$(dirname "$sysshare")" "$src" &&
		cp -a "$(dirname "$sysbin")" "$dest$(dirname "$(dirname "$sysbin")")/" &&
		cp -a "$sysshare" "$dest$(dirname "$sysshare")/" || return 1
	# what the PGXS build and pg_regress read; not build/ (objects), not notifier/
	(cd "$RC_ROOT" && cp -a Makefile extension common sql expected "$src/") || return 1
	find "$src" \( -name '*.o' -o -name '*.so' -o -name '*.bc' \) -delete
	[ -z "$extra" ] || cp "$extra" "$src/extension/" || return 1
	nice make -C "$src" -s -j2 COPT="$cflags" LDFLAGS_SL="$ldflags" >"$dest.build.log" 2>&1 &&
		make -C "$src" -s install DESTDIR="$dest" >>"$dest.build.log" 2>&1 ||
		{ tail -30 "$dest.build.log"; return 1; }
	RC_SAN_BIN="$dest$sysbin"
	RC_SAN_SRC="$src"
	chmod -R a+rX "$dest" "$src"
	export RC_SAN_BIN RC_SAN_SRC
}

# rc_pg_start_private DIR BIN [VAR=VALUE...]: initdb and start another
# private cluster under DIR (data/, sock/, log/postgres.log) from the binaries
# in BIN; the server (and every backend it forks) gets the VAR=VALUE
# environment, e.g. LD_PRELOAD of a sanitizer runtime. Prints the port.
rc_pg_start_private() {
	local dir=$1 bin=$2 port attempt
	shift 2
	mkdir -p "$dir/data" "$dir/sock" "$dir/log"
	[ "$(id -u)" = 0 ] && chown "$RC_PG_OSUSER" "$dir/data" "$dir/sock" "$dir/log"
	rc_as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
	cat >>"$dir/data/postgresql.conf" <<-CONF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$dir/sock'
		max_connections = 50
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 64MB
		log_min_messages = warning
		log_line_prefix = '%m [%p] %q%u@%d '
	CONF
	# a port found free can be taken before the server binds it (other test
	# runs on the machine): try a few
	for attempt in 1 2 3; do
		port=$(rc_free_port)
		echo "port = $port" >>"$dir/data/postgresql.conf"
		rc_as_pg env "$@" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log/postgres.log" -w -t 120 start \
			>/dev/null && break
		grep -q 'Address already in use' "$dir/log/postgres.log" && [ $attempt -lt 3 ] ||
			{ tail -20 "$dir/log/postgres.log" >&2; return 1; }
	done
	echo "$port"
}

# rc_pg_stop_private DIR BIN: stop a cluster started by rc_pg_start_private.
rc_pg_stop_private() {
	[ -f "$1/data/postmaster.pid" ] &&
		rc_as_pg "$2/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1
	return 0
}
