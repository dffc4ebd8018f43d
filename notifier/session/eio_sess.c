/*
 * eio_sess.c — Engine.IO v4 session logic (see eio_sess.h).
 *
 * Requests are verified in the order of the reference server (engine.io's
 * Server.verify): transport, then sid (unknown sid, transport mismatch), or
 * for a handshake the method and the protocol version; errors are HTTP 400
 * with the reference's JSON body {"code":N,"message":"..."}.
 *
 * Heartbeat as in the reference: pingInterval after the handshake (or the
 * last pong) the server sends PING; without PONG within pingTimeout the
 * session closes. Each session has one deadline at a time, the earliest of
 * heartbeat, pong, connect timeout, lingering close and slow-consumer close
 * (schedule); one timer serves all of them (eio_table.c). A request for a
 * session whose pong deadline has passed finds it closed even if the timer
 * has not fired yet.
 *
 * Bounds: at most --max-sessions sessions (further handshakes get 503); a
 * session's unsent packets (the polling queue, or the WebSocket's unsent
 * bytes) are counted at allocation cost and bounded by --max-buffered, past
 * which the session is a slow consumer, closed from its timer.
 *
 * Lifecycle (the rule in net.h): eio_send never closes a session under its
 * caller: a slow consumer is closed from its own timer, a failed transport
 * from net.c's deferred list (eio_conn_gone). A destroyed session's memory is
 * freed by eio_table.c's reaper when the loop is back at the top, never
 * under a caller that may still hold it.
 */
#include "session/eio_sess.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "rc_jwt.h"
#include "session/eio_table.h"
#include "session/sio_sess.h"
#include "codec/ws_codec.h"

/* Engine.IO error codes and messages of the reference server */
enum
{
	EIO_ERR_UNKNOWN_TRANSPORT = 0,
	EIO_ERR_UNKNOWN_SID = 1,
	EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
	EIO_ERR_BAD_REQUEST = 3,
	EIO_ERR_UNSUPPORTED_PROTOCOL = 5
};

static const char *const eio_err_msg[] = {
	"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request",
	"Forbidden", "Unsupported protocol version"
};

static uv_loop_t *eio_loop;
static const notifier_opts *eio_opts;
static void schedule(eio_session *s);
static void session_due(eio_session *s);

void
eio_init(uv_loop_t *loop, const notifier_opts *opts)
{
	eio_loop = loop;
	eio_opts = opts;
	eio_table_init(loop, session_due);
}

uv_loop_t *
eio_get_loop(void)
{
	return eio_loop;
}

/*---- responses ----*/

/* 400 with the reference's JSON body for an Engine.IO error code */
static void
respond_error(net_conn *c, int code)
{
	char		body[80];
	int			n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, eio_err_msg[code]);

	net_http_respond(c, 400, "application/json", body, (size_t) n);
}

/* 200 with an Engine.IO payload (or "ok") */
static void
respond_text(net_conn *c, const char *body, size_t len)
{
	net_http_respond(c, 200, "text/plain; charset=UTF-8", body, len);
}

/* Answer the held GET (if any) with a single packet, e.g. NOOP or CLOSE */
static void
answer_poll(eio_session *s, eio_type type)
{
	char		p = (char) ('0' + type);
	net_conn   *c = s->poll;

	if (c == NULL)
		return;
	s->poll = NULL;
	c->sess = NULL;
	respond_text(c, &p, 1);
}

/* What a queued packet costs: its block, and the whole shared frame it references */
static uint32_t
out_cost(eio_out *o)
{
	return (uint32_t) buf_alloc_cost(o) + (o->f ? o->f->cost : 0);
}

static void
out_free(eio_out *o)
{
	frame_unref(o->f);
	free(o);
}

/* Answer the held GET with every queued packet */
static void
flush_poll(eio_session *s)
{
	buf			b = BUF_INIT;
	net_conn   *c = s->poll;

	if (c == NULL || s->out_head == NULL || s->upgrading || s->transport != EIO_T_POLLING)
		return;
	if (s->out_head->next == NULL && s->out_head->f)
	{
		/*
		 * The common case of a held GET: one shared frame is the whole
		 * payload. Its Engine.IO bytes are the body as they are; net.c
		 * copies them only if the kernel does not take them at once.
		 */
		eio_out    *o = s->out_head;
		frame	   *f = o->f;

		s->out_head = s->out_tail = NULL;
		s->out_bytes = 0;
		s->poll = NULL;
		c->sess = NULL;
		metrics_g.packets_sent++;
		respond_text(c, f->data + f->eio_off, f->len - f->eio_off);
		out_free(o);
		return;
	}
	while (s->out_head)
	{
		eio_out    *o = s->out_head;
		const char *data = o->f ? o->f->data + o->f->eio_off + 1 : o->data;

		if (eio_payload_append(&b, (eio_type) o->type, o->binary, data, o->len) < 0)
			break;
		s->out_head = o->next;
		s->out_bytes -= out_cost(o);
		out_free(o);
		metrics_g.packets_sent++;
	}
	if (s->out_head == NULL)
	{
		s->out_tail = NULL;
		s->out_bytes = 0;
	}
	s->poll = NULL;
	c->sess = NULL;
	respond_text(c, b.p, b.len);
	buf_free(&b);
}

/* Send the queued packets over the (new) WebSocket transport */
static void
flush_ws(eio_session *s)
{
	while (s->out_head && s->ws)
	{
		eio_out    *o = s->out_head;

		s->out_head = o->next;
		if (o->f)
			net_ws_send_frame(s->ws, o->f);
		else
			net_ws_send_eio(s->ws, (eio_type) o->type, o->binary, o->data, o->len);
		metrics_g.packets_sent++;
		out_free(o);
	}
	s->out_tail = NULL;
	s->out_bytes = 0;
}

/*---- lifecycle ----*/

/*
 * Remove the session from every table; its memory is freed by the reaper
 * when the loop is back at the top (the lifecycle rule in net.h).
 */
static void
session_destroy(eio_session *s)
{
	if (s->destroyed)
		return;
	if (s->transport == EIO_T_WEBSOCKET)
		metrics_g.sessions_websocket--;
	else
		metrics_g.sessions_polling--;
	eio_table_remove(s);
}

/* Mark closed, tell the Socket.IO layer, close the WebSockets (not the held GET) */
static void
session_shutdown(eio_session *s, const char *reason, uint16_t ws_code)
{
	s->closed = true;
	log_debug("engine.io session %s closed: %s", s->sid, reason);
	if (s->endpoint == EIO_ENDPOINT_SOCKETIO)
		sio_on_close(s, reason);
	if (s->probe)
	{
		net_ws_close(s->probe, ws_code);
		s->probe = NULL;
	}
	if (s->ws)
	{
		net_ws_close(s->ws, ws_code);
		s->ws = NULL;
	}
}

void
eio_close(eio_session *s, const char *reason, uint16_t ws_code)
{
	if (s->closed)
		return;
	session_shutdown(s, reason, ws_code);
	answer_poll(s, EIO_CLOSE);
	session_destroy(s);
}

/*
 * The client closed (CLOSE packet). A held GET gets NOOP, as the reference
 * does; over polling without a held GET the closed session lingers (at most
 * pingTimeout) so that the client's GET racing with its close POST still
 * gets its NOOP instead of a 400.
 */
static void
client_close(eio_session *s)
{
	if (s->transport != EIO_T_POLLING || s->poll)
	{
		answer_poll(s, EIO_NOOP);
		eio_close(s, "transport close", WS_CLOSE_NORMAL);
		return;
	}
	session_shutdown(s, "transport close", WS_CLOSE_NORMAL);
	eio_table_timer(s, uv_now(eio_loop) + eio_opts->ping_timeout);
}

/* Find a live session; one whose pong is overdue is closed on the spot */
static eio_session *
session_find(const char *sid, size_t len)
{
	eio_session *s = eio_table_find(sid, len);

	if (s && s->pong_deadline && uv_now(eio_loop) >= s->pong_deadline)
	{
		metrics_g.drops[DROP_PING_TIMEOUT]++;
		eio_close(s, "ping timeout", WS_CLOSE_NORMAL);
		return NULL;
	}
	return s;
}

/*---- heartbeat and timeouts ----*/

/* A session's deadline came: slow consumer, lingering closed session, connect timeout, heartbeat */
static void
session_due(eio_session *s)
{
	uint64_t	now = uv_now(eio_loop);

	if (s->closed)
	{
		session_destroy(s);		/* nobody came for the final noop */
		return;
	}
	if (s->slow)
	{
		eio_close(s, "slow consumer", WS_CLOSE_GOING_AWAY);
		return;
	}
	if (s->connect_deadline && now >= s->connect_deadline)
	{
		metrics_g.drops[DROP_CONNECT_TIMEOUT]++;
		/* a CONNECT still waiting for its answer gets one before the close */
		if (s->endpoint == EIO_ENDPOINT_SOCKETIO)
			sio_on_connect_timeout(s);
		eio_close(s, "connect timeout", WS_CLOSE_NORMAL);
		return;
	}
	if (s->pong_deadline)
	{
		if (now >= s->pong_deadline)
		{
			metrics_g.drops[DROP_PING_TIMEOUT]++;
			eio_close(s, "ping timeout", WS_CLOSE_NORMAL);
			return;
		}
	}
	else if (now >= s->next_ping)
	{
		/*
		 * A ping that reaches the client at once (WebSocket, or a held GET)
		 * gets half a pingTimeout more to be answered: the pong may need a
		 * new HTTP request, and a busy client should not lose its session
		 * to scheduling. A ping still waiting for a GET gets exactly
		 * pingTimeout, so an absent polling client is dropped on time.
		 */
		bool		delivered = s->transport == EIO_T_WEBSOCKET || (s->poll && !s->upgrading);

		s->pong_deadline = now + eio_opts->ping_timeout + (delivered ? eio_opts->ping_timeout / 2 : 0);
		if (eio_send(s, EIO_PING, false, NULL, 0) < 0)
			return;
	}
	schedule(s);
}

/* (Re)start the timer for the earliest of pong deadline / next ping / connect timeout */
static void
schedule(eio_session *s)
{
	uint64_t	now = uv_now(eio_loop);
	uint64_t	due = s->pong_deadline ? s->pong_deadline : s->next_ping;

	if (s->connect_deadline && s->connect_deadline < due)
		due = s->connect_deadline;
	eio_table_timer(s, due > now ? due : now);
}

/* PONG: stop waiting and schedule the next ping */
static void
on_pong(eio_session *s)
{
	if (s->pong_deadline == 0)
		return;					/* unsolicited pong */
	s->pong_deadline = 0;
	s->next_ping = uv_now(eio_loop) + eio_opts->ping_interval;
	schedule(s);
}

void
eio_set_connect_timeout(eio_session *s, uint32_t ms)
{
	s->connect_deadline = ms ? uv_now(eio_loop) + ms : 0;
	schedule(s);
}

/*---- sending ----*/

/* Over the bound: close from the timer, not from under the caller's feet */
static int
slow_consumer(eio_session *s, size_t unsent)
{
	metrics_g.drops[DROP_SLOW_CONSUMER]++;
	log_info("engine.io session %s: slow consumer (%zu bytes unsent, --max-buffered %u)",
			 s->sid, unsent, eio_opts->max_buffered);
	s->slow = true;
	eio_table_timer(s, uv_now(eio_loop));
	return -1;
}

/* Append o (costing cost) to the polling queue and answer a held GET */
static void
out_push(eio_session *s, eio_out *o, size_t cost)
{
	if (s->out_tail)
		s->out_tail->next = o;
	else
		s->out_head = o;
	s->out_tail = o;
	s->out_bytes += (uint32_t) cost;
	flush_poll(s);
}

/*
 * Over WebSocket the frame goes to the connection at once if its unsent
 * output (at allocation cost, net_conn_unsent) plus this frame stays within
 * --max-buffered; a connection that failed takes nothing (its session is
 * closed from net.c's deferred list). Over polling the packet is queued at
 * its allocation cost, bounded the same way.
 */
int
eio_send(eio_session *s, eio_type type, bool binary, const char *data, size_t len)
{
	eio_out    *o;
	size_t		cost;

	if (s->closed || s->slow)
		return -1;
	if (s->transport == EIO_T_WEBSOCKET)
	{
		size_t		unsent;

		if (!net_conn_alive(s->ws))
			return -1;
		unsent = net_conn_unsent(s->ws);
		/* the frame, if the kernel does not take it: header, request, malloc chunk */
		if (s->out_head != NULL || unsent + len + 256 > eio_opts->max_buffered)
			return slow_consumer(s, unsent);
		net_ws_send_eio(s->ws, type, binary, data, len);
		metrics_g.packets_sent++;
		return 0;
	}
	o = malloc(sizeof(*o) + len);
	if (o == NULL)
		return -1;
	cost = buf_alloc_cost(o);
	if (s->out_bytes + cost > eio_opts->max_buffered)
	{
		free(o);
		return slow_consumer(s, s->out_bytes);
	}
	o->next = NULL;
	o->f = NULL;
	o->type = (uint8_t) type;
	o->binary = binary;
	o->len = (uint32_t) len;
	if (len)
		memcpy(o->data, data, len);
	out_push(s, o, cost);
	return 0;
}

frame *
eio_message_frame(const char *data, size_t len)
{
	return net_ws_frame_eio(EIO_MESSAGE, data, len);
}

int
eio_send_frame(eio_session *s, frame *f)
{
	eio_out    *o;
	size_t		cost;

	if (s->closed || s->slow)
		return -1;
	if (s->transport == EIO_T_WEBSOCKET)
	{
		size_t		unsent;

		if (!net_conn_alive(s->ws))
			return -1;
		unsent = net_conn_unsent(s->ws);
		if (s->out_head != NULL || unsent + net_frame_cost(f) > eio_opts->max_buffered)
			return slow_consumer(s, unsent);
		net_ws_send_frame(s->ws, f);
		metrics_g.packets_sent++;
		return 0;
	}
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -1;
	o->next = NULL;
	o->f = f;
	cost = out_cost(o);
	if (s->out_bytes + cost > eio_opts->max_buffered)
	{
		free(o);
		return slow_consumer(s, s->out_bytes);
	}
	frame_ref(f);
	o->type = EIO_MESSAGE;
	o->binary = false;
	o->len = f->len - f->eio_off - 1;
	out_push(s, o, cost);
	return 0;
}

/*---- incoming packets ----*/

/* Handle one packet from the client on the session's current transport */
static void
on_packet(eio_session *s, const eio_packet *p)
{
	switch (p->type)
	{
		case EIO_PONG:
			on_pong(s);
			break;
		case EIO_PING:
			/* clients of protocol v4 do not ping; answer like the reference */
			eio_send(s, EIO_PONG, false, p->data, p->len);
			break;
		case EIO_CLOSE:
			client_close(s);
			break;
		case EIO_MESSAGE:
			if (s->endpoint == EIO_ENDPOINT_ECHO)
				eio_send(s, EIO_MESSAGE, p->binary, p->data, p->len);
			else
				sio_on_message(s, p->binary, p->data, p->len);
			break;
		default:
			break;				/* OPEN, UPGRADE, NOOP from the client: ignored */
	}
}

/* A malformed Engine.IO packet closes the session, as the reference does */
static void
malformed(eio_session *s)
{
	metrics_g.drops[DROP_MALFORMED]++;
	eio_close(s, "parse error", WS_CLOSE_NORMAL);
}

/* A WebSocket message for the probe: "2probe", then "5" */
static void
on_probe_message(eio_session *s, net_conn *c, bool binary, const char *data, size_t len)
{
	if (!binary && len == 6 && memcmp(data, "2probe", 6) == 0)
	{
		net_ws_send_eio(c, EIO_PONG, false, "probe", 5);
		s->upgrading = true;
		answer_poll(s, EIO_NOOP);	/* end the pending GET so the client can pause polling */
		return;
	}
	if (!binary && len == 1 && data[0] == '5' && s->upgrading)
	{
		s->upgrading = false;
		s->transport = EIO_T_WEBSOCKET;
		metrics_g.sessions_polling--;
		metrics_g.sessions_websocket++;
		s->ws = c;
		s->probe = NULL;
		answer_poll(s, EIO_NOOP);
		flush_ws(s);
		return;
	}
	/* anything else on the probe: drop the probe, keep polling */
	s->probe = NULL;
	s->upgrading = false;
	net_ws_close(c, WS_CLOSE_PROTOCOL);
}

void
eio_ws_message(net_conn *c, bool binary, char *data, size_t len)
{
	eio_session *s = c->sess;
	eio_packet	p;

	if (s == NULL || s->closed)
		return;
	if (c == s->probe)
	{
		on_probe_message(s, c, binary, data, len);
		return;
	}
	if (binary)
	{
		p.type = EIO_MESSAGE;
		p.binary = true;
		p.data = data;
		p.len = len;
	}
	else if (eio_decode_text(data, len, &p) != EIO_OK)
	{
		malformed(s);
		return;
	}
	on_packet(s, &p);
}

void
eio_conn_gone(net_conn *c)
{
	eio_session *s = c->sess;

	c->sess = NULL;
	if (s == NULL)
		return;
	if (c == s->poll)
		s->poll = NULL;
	else if (c == s->probe)
	{
		s->probe = NULL;
		s->upgrading = false;
	}
	else if (c == s->ws)
	{
		s->ws = NULL;
		eio_close(s, "transport close", 0);
	}
}

/*---- requests ----*/

/* The OPEN packet: sid, upgrades (websocket only from polling), timings, maxPayload */
static void
handshake_json(eio_session *s, char *out, size_t outlen, bool polling)
{
	snprintf(out, outlen,
			 "0{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%u,\"pingTimeout\":%u,\"maxPayload\":%u}",
			 s->sid, polling ? "[\"websocket\"]" : "[]", eio_opts->ping_interval,
			 eio_opts->ping_timeout, eio_opts->max_payload);
}

/*
 * The token a client may send with the handshake, for authentication at
 * CONNECT: "Authorization: Bearer <t>", else the query parameter token.
 * A copy (malloc), or NULL when absent, empty or longer than any JWT we
 * accept (RC_JWT_MAX_TOKEN): such a token fails authentication anyway.
 */
static char *
handshake_token(const http_request *req)
{
	const http_str *auth = http_header_get(req, "authorization");
	http_str	t = {NULL, 0};

	if (auth && auth->len > 7 && strncasecmp(auth->p, "Bearer ", 7) == 0)
	{
		t.p = auth->p + 7;
		t.len = auth->len - 7;
		while (t.len && *t.p == ' ')
			t.p++, t.len--;
	}
	else if (!http_query_get(req->query, "token", &t))
		return NULL;
	if (t.len == 0 || t.len > RC_JWT_MAX_TOKEN)
		return NULL;
	return strndup(t.p, t.len);
}

/* Create a session with a fresh sid, in the table; NULL on OOM */
static eio_session *
session_new(eio_endpoint endpoint, eio_transport transport)
{
	eio_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (eio_table_add(s) < 0)
	{
		free(s);
		return NULL;
	}
	s->endpoint = (uint8_t) endpoint;
	s->transport = (uint8_t) transport;
	metrics_g.sessions_opened++;
	if (transport == EIO_T_WEBSOCKET)
		metrics_g.sessions_websocket++;
	else
		metrics_g.sessions_polling++;
	return s;
}

/* Start the heartbeat and the upper layer of a new session */
static void
session_start(eio_session *s)
{
	s->next_ping = uv_now(eio_loop) + eio_opts->ping_interval;
	if (s->endpoint == EIO_ENDPOINT_SOCKETIO)
		sio_on_open(s);			/* arms the connect timeout */
	else
		schedule(s);
}

/* POST: decode the payload and handle every packet in order */
static void
handle_post(net_conn *c, eio_session *s, char *body, size_t len)
{
	size_t		pos = 0;
	eio_packet	p;
	int			rc;

	if (len > eio_opts->max_payload)
	{
		metrics_g.drops[DROP_TOO_BIG]++;
		net_http_respond(c, 413, "application/json", "{\"code\":3,\"message\":\"Bad request\"}", 35);
		eio_close(s, "payload too large", WS_CLOSE_TOO_BIG);
		return;
	}
	while ((rc = eio_payload_next(body, len, &pos, &p)) == 1)
	{
		on_packet(s, &p);
		if (s->closed)
			break;
	}
	if (rc < 0)
	{
		respond_error(c, EIO_ERR_BAD_REQUEST);
		malformed(s);
		return;
	}
	respond_text(c, "ok", 2);
}

void
eio_handle_request(net_conn *c, const http_request *req, bool upgrade,
				   eio_endpoint endpoint, char *body, size_t body_len)
{
	http_str	transport,
				sid,
				eio;
	bool		is_ws;
	eio_session *s;
	char		hs[200];

	if (!http_query_get(req->query, "transport", &transport) ||
		!(http_str_eq(transport, "polling") || http_str_eq(transport, "websocket")))
	{
		respond_error(c, EIO_ERR_UNKNOWN_TRANSPORT);
		return;
	}
	is_ws = http_str_eq(transport, "websocket");

	if (http_query_get(req->query, "sid", &sid))
	{
		s = session_find(sid.p, sid.len);
		if (s == NULL || (s->closed && !(!upgrade && !is_ws && http_str_eq(req->method, "GET"))))
		{
			respond_error(c, EIO_ERR_UNKNOWN_SID);
			return;
		}
		if (upgrade)
		{
			/* upgrade to websocket: only from polling, only once */
			if (!is_ws)
			{
				respond_error(c, EIO_ERR_BAD_REQUEST);
				return;
			}
			if (net_ws_accept(c, req) < 0)
				return;
			if (s->transport != EIO_T_POLLING || s->probe || s->closed)
			{
				/* the reference accepts the WebSocket, then closes it */
				net_ws_close(c, 0);
				return;
			}
			s->probe = c;
			c->sess = s;
			return;
		}
		if (is_ws || s->transport != EIO_T_POLLING)
		{
			respond_error(c, EIO_ERR_BAD_REQUEST);
			return;
		}
		if (http_str_eq(req->method, "GET"))
		{
			if (s->closed)
			{
				respond_text(c, "6", 1);	/* the lingering close (client_close) */
				session_destroy(s);
				return;
			}
			if (s->poll)
			{
				/* overlapping GETs: the reference closes the session */
				respond_error(c, EIO_ERR_BAD_REQUEST);
				metrics_g.drops[DROP_MALFORMED]++;
				eio_close(s, "overlapping polling requests", WS_CLOSE_NORMAL);
				return;
			}
			s->poll = c;
			c->sess = s;
			if (s->upgrading)
				answer_poll(s, EIO_NOOP);
			else
				flush_poll(s);
			return;
		}
		if (http_str_eq(req->method, "POST"))
		{
			handle_post(c, s, body, body_len);
			return;
		}
		respond_error(c, EIO_ERR_BAD_REQUEST);
		return;
	}

	/* handshake */
	if (!http_str_eq(req->method, "GET"))
	{
		respond_error(c, EIO_ERR_BAD_HANDSHAKE_METHOD);
		return;
	}
	if (!http_query_get(req->query, "EIO", &eio) || !http_str_eq(eio, "4"))
	{
		respond_error(c, EIO_ERR_UNSUPPORTED_PROTOCOL);
		return;
	}
	if (is_ws != upgrade)
	{
		respond_error(c, EIO_ERR_BAD_REQUEST);
		return;
	}
	if (eio_table_count() >= eio_opts->max_sessions)
	{
		static const char body[] = "too many sessions (--max-sessions)";

		metrics_g.drops[DROP_MAX_SESSIONS]++;
		log_debug("handshake refused: %zu sessions (--max-sessions %u)", eio_table_count(), eio_opts->max_sessions);
		net_http_respond(c, 503, "text/plain", body, sizeof(body) - 1);
		return;
	}
	if (is_ws && net_ws_accept(c, req) < 0)
		return;
	s = session_new(endpoint, is_ws ? EIO_T_WEBSOCKET : EIO_T_POLLING);
	if (s == NULL)
	{
		if (is_ws)
			net_ws_close(c, 1011);
		else
			net_http_respond(c, 503, "text/plain", "out of memory", 13);
		return;
	}
	s->hs_token = handshake_token(req);
	handshake_json(s, hs, sizeof(hs), !is_ws);
	if (is_ws)
	{
		s->ws = c;
		c->sess = s;
		net_ws_send_eio(c, EIO_OPEN, false, hs + 1, strlen(hs + 1));
	}
	else
		respond_text(c, hs, strlen(hs));
	session_start(s);
}

static const char *close_all_reason;
static long close_all_count;

/* eio_close_all, for one session: close it, which takes it out of the table */
static void
close_one(eio_session *s)
{
	if (s->closed)
		session_destroy(s);		/* lingering after a client close */
	else
		eio_close(s, close_all_reason, WS_CLOSE_GOING_AWAY);
	close_all_count++;
}

long
eio_close_all(const char *reason)
{
	close_all_reason = reason;
	close_all_count = 0;
	eio_table_drain(close_one);
	return close_all_count;
}
