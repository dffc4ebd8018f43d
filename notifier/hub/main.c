/*
 * main.c — roomcast-notifier: settings, the libuv loop, signals.
 *
 *   SIGTERM, SIGINT  drain: stop accepting, close every session (WebSocket
 *                    clients get close 1001, polling clients a CLOSE packet,
 *                    so socket.io-client reconnects elsewhere), exit when
 *                    all connections are gone or after 5 s at most.
 *   SIGHUP           re-read --config: log level, log format, CORS origins;
 *                    and the TLS certificate and key (tls.c): new
 *                    connections get the new ones, open ones stay; a bad
 *                    file is logged and the old certificate kept.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "hub/auth.h"
#include "hub/conformance.h"
#include "hub/db.h"
#include "session/eio_sess.h"
#include "hub/http_route.h"
#include "hub/lifecycle.h"
#include "hub/presence.h"
#include "hub/presence_api.h"
#include "hub/recovery.h"
#include "transport/http_static.h"
#include "base/log.h"
#include "transport/net.h"
#include "transport/tls.h"
#include "hub/rpc_client.h"
#include "base/opts.h"
#include "session/sio_sess.h"

#define DRAIN_MAX_MS 4500

static notifier_opts opts;
static uv_loop_t *loop;
static uv_signal_t sig_term,
			sig_int,
			sig_hup;
static uv_timer_t drain_timer;
static uint64_t drain_deadline;
static bool draining;

/* A connection going away: a held GET /presence's, else an Engine.IO session's */
static void
main_conn_gone(net_conn *c)
{
	if (!presence_http_conn_gone(c))
		eio_conn_gone(c);
}

/* The transport reports requests to the router, WebSocket traffic to Engine.IO */
static const net_handlers main_net_handlers = {http_route, eio_ws_message, main_conn_gone};

/* Raise the open-file limit to the hard limit: one fd per connection */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* While draining: stop the loop when every connection is gone, or at the deadline */
static void
drain_check(uv_timer_t *t)
{
	(void) t;
	if (net_conn_count() == 0 || uv_now(loop) >= drain_deadline)
	{
		log_info("drained (%ld connections left); exiting", net_conn_count());
		uv_stop(loop);
	}
}

/* While draining: close keep-alive connections that have no request in progress */
static void
close_idle_http(net_conn *c, void *arg)
{
	(void) arg;
	if (c->kind == NET_HTTP && !c->busy)
		net_shutdown(c);		/* lets a just-written CLOSE packet reach the client */
}

/* SIGTERM / SIGINT: start draining (once) */
static void
on_terminate(uv_signal_t *h, int signum)
{
	long		n;

	(void) h;
	if (draining)
		return;
	draining = true;
	log_info("received %s: draining", strsignal(signum));
	net_stop_listening();
	if (!opts.conformance)
	{
		db_stop();
		rpc_stop();
		presence_stop();
	}
	n = eio_close_all("server shutting down");
	net_foreach(close_idle_http, NULL);
	log_info("closed %ld sessions", n);
	drain_deadline = uv_now(loop) + DRAIN_MAX_MS;
	uv_timer_init(loop, &drain_timer);
	uv_timer_start(&drain_timer, drain_check, 0, 50);
}

/* SIGHUP: re-read the reloadable settings from --config */
static void
on_hup(uv_signal_t *h, int signum)
{
	char		err[512];

	(void) h;
	(void) signum;
	if (tls_enabled())
	{
		if (tls_reload(err, sizeof(err)) < 0)
			log_error("TLS reload failed, keeping the certificate in use (%s): %s", tls_cert_summary(), err);
		else
			log_info("TLS certificate reloaded: %s", tls_cert_summary());
	}
	if (opts_reload(&opts, err, sizeof(err)) < 0)
	{
		log_error("reload failed, settings unchanged: %s", err);
		return;
	}
	log_configure(opts.log_level, opts.log_json);
	log_info("reloaded: log level %d, CORS origins %s", (int) opts.log_level,
			 opts.cors_origin ? opts.cors_origin : "(same origin only)");
}

int
main(int argc, char **argv)
{
	int			rc = opts_parse(&opts, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	log_configure(opts.log_level, opts.log_json);
	if (opts.tls_cert || opts.tls_key)
	{
		char		err[512];

		if (!opts.tls_cert || !opts.tls_key)
		{
			log_error("--tls-cert and --tls-key go together: %s is missing", opts.tls_cert ? "--tls-key" : "--tls-cert");
			return 2;
		}
		if (tls_init(opts.tls_cert, opts.tls_key, err, sizeof(err)) < 0)
		{
			log_error("TLS: %s", err);
			return 2;
		}
		log_info("TLS: serving https/wss with %s", tls_cert_summary());
	}
	if (static_init(opts.static_dir) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	loop = uv_default_loop();
	eio_init(loop, &opts);
	/*
	 * Outside conformance mode every CONNECT is authenticated (auth.c) with
	 * the keys db.c loads; in it conformance.c answers as the reference
	 * servers of the protocol test suites do, without a database.
	 */
	if (opts.conformance)
	{
		conf_init(loop);
		sio_init(&opts, CONF_NAMESPACES, &conf_hooks);
	}
	else
	{
		sio_init(&opts, opts.namespaces, &auth_hooks);
		auth_init(opts.max_conns_per_user);
		recov_init(&opts);
		life_start(loop, &opts);
		db_start(loop, opts.dbs, opts.ndb);
		rpc_start(loop, &opts);
		presence_start(loop, &opts);
	}
	http_route_init(&opts);
	net_set_opts(&opts);
	net_set_handlers(&main_net_handlers);
	rc = net_listen(loop, opts.listen_host, opts.listen_port);
	if (rc != 0)
	{
		log_error("cannot listen on %s:%d: %s", opts.listen_host, opts.listen_port, uv_strerror(rc));
		return 1;
	}
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, on_terminate, SIGTERM);
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, on_terminate, SIGINT);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_hup, on_hup, SIGHUP);
	log_info("roomcast-notifier listening on %s:%d%s", opts.listen_host, opts.listen_port,
			 opts.conformance ? " (conformance mode)" : "");
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
