/*
 * http_route.c — HTTP request routing (see http_route.h).
 *
 *   /socket.io/...   Engine.IO (polling, WebSocket upgrade) for Socket.IO
 *   /engine.io/...   Engine.IO echo, only with --conformance
 *   /healthz         {"status","db","redis","connections"}
 *   /metrics         Prometheus text
 *   /presence        who is online (presence_api.c), with a Bearer token
 *   anything else    a file of --static DIR (http_static.c), else 404
 *
 * Origins: a request without Origin (not a browser) is allowed. A browser
 * origin is allowed if it is listed in --cors-origin (or the list is "*"),
 * or if it is the server's own origin (http(s)://<Host>). Otherwise
 * Engine.IO requests and WebSocket upgrades get 403.
 */
#include "hub/http_route.h"

#include <stdlib.h>
#include <string.h>

#include "hub/db.h"
#include "hub/presence.h"
#include "hub/presence_api.h"
#include "session/eio_sess.h"
#include "transport/http_static.h"
#include "base/metrics.h"

static const notifier_opts *route_opts;

void
http_route_init(const notifier_opts *opts)
{
	route_opts = opts;
}

/* True if the request path starts with prefix */
static bool
path_has_prefix(http_str path, const char *prefix)
{
	size_t		n = strlen(prefix);

	return path.len >= n && memcmp(path.p, prefix, n) == 0;
}

/* Is origin in the comma-separated list (or the list "*")? */
static bool
origin_listed(const char *list, http_str origin)
{
	const char *p = list;

	while (p && *p)
	{
		const char *comma = strchr(p, ',');
		size_t		len = comma ? (size_t) (comma - p) : strlen(p);

		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if ((len == 1 && *p == '*') || (len == origin.len && memcmp(p, origin.p, len) == 0))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Same origin: Origin is scheme://Host of this very request */
static bool
origin_same(const http_request *req, http_str origin)
{
	const http_str *host = http_header_get(req, "host");
	const char *scheme_end;

	if (host == NULL)
		return false;
	scheme_end = memchr(origin.p, ':', origin.len);
	if (scheme_end == NULL || (size_t) (origin.p + origin.len - scheme_end) < 3 || memcmp(scheme_end, "://", 3) != 0)
		return false;
	scheme_end += 3;
	return (size_t) (origin.p + origin.len - scheme_end) == host->len &&
		memcmp(scheme_end, host->p, host->len) == 0;
}

/*
 * Decide the request's origin. Returns false if it is not allowed; when it
 * is allowed and present, c->cors_origin is set for the response headers.
 */
static bool
check_origin(net_conn *c, const http_request *req)
{
	const http_str *origin = http_header_get(req, "origin");

	if (origin == NULL)
		return true;
	if (!(route_opts->cors_origin && origin_listed(route_opts->cors_origin, *origin)) &&
		!origin_same(req, *origin))
		return false;
	free(c->cors_origin);
	c->cors_origin = strndup(origin->p, origin->len);
	return true;
}

/*
 * GET /healthz: liveness and the numbers an orchestrator wants; 503 while
 * the database listener is down (db.c), except in conformance mode (no db)
 */
static void
respond_healthz(net_conn *c)
{
	char		body[200];
	bool		db_ok = route_opts->conformance || db_up();
	int			n = snprintf(body, sizeof(body),
							 "{\"status\":\"%s\",\"db\":\"%s\",\"redis\":\"%s\",\"connections\":%lld}",
							 db_ok ? "ok" : "degraded",
							 route_opts->conformance ? "disabled" : db_ok ? "up" : "down",
							 route_opts->conformance ? "none" : presence_redis_state(),
							 (long long) (metrics_g.sessions_polling + metrics_g.sessions_websocket));

	net_http_respond(c, db_ok ? 200 : 503, "application/json", body, (size_t) n);
}

void
http_route(net_conn *c, const http_request *req, char *body, size_t body_len)
{
	bool		upgrade = http_header_has_token(req, "upgrade", "websocket");
	eio_endpoint endpoint;

	if (path_has_prefix(req->path, "/socket.io/"))
		endpoint = EIO_ENDPOINT_SOCKETIO;
	else if (route_opts->conformance && path_has_prefix(req->path, "/engine.io/"))
		endpoint = EIO_ENDPOINT_ECHO;
	else
	{
		if (upgrade)
			c->keep_alive = false;
		if (http_str_eq(req->method, "GET"))
		{
			if (http_str_eq(req->path, "/healthz"))
			{
				respond_healthz(c);
				return;
			}
			if (http_str_eq(req->path, "/presence") && !route_opts->conformance)
			{
				presence_http(c, req);
				return;
			}
			if (http_str_eq(req->path, "/metrics"))
			{
				buf			b = BUF_INIT;

				metrics_render(&b);
				net_http_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
				buf_free(&b);
				return;
			}
		}
		if (static_enabled() && !upgrade)
		{
			static_respond(c, req);
			return;
		}
		net_http_respond(c, 404, "text/plain", "not found", 9);
		return;
	}

	if (!check_origin(c, req))
	{
		metrics_g.drops[DROP_FORBIDDEN_ORIGIN]++;
		if (upgrade)
			c->keep_alive = false;
		net_http_respond(c, 403, "application/json", "{\"code\":4,\"message\":\"Forbidden\"}", 32);
		return;
	}
	if (http_str_eq(req->method, "OPTIONS") && !upgrade)
	{
		/* CORS preflight */
		buf			extra = BUF_INIT;
		const http_str *rh = http_header_get(req, "access-control-request-headers");

		buf_append_str(&extra, "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n");
		if (rh && rh->len < 1024)
			buf_printf(&extra, "Access-Control-Allow-Headers: %.*s\r\n", (int) rh->len, rh->p);
		net_http_respond_ex(c, 204, NULL, extra.p, NULL, 0);
		buf_free(&extra);
		return;
	}
	if (upgrade)
		c->keep_alive = false;	/* for any error answer to the upgrade */
	eio_handle_request(c, req, upgrade, endpoint, body, body_len);
}
