/*
 * net.c — TCP, HTTP/1.1 framing and WebSocket connections on libuv (see net.h).
 *
 * Why not libwebsockets: Engine.IO needs exact control of HTTP semantics
 * (held long-polling GETs, the reference's 400 bodies, a request answered
 * from another connection's event) and of per-connection memory (lws
 * allocates an rx buffer and a large wsi per connection). A small server on
 * libuv does both, keeps everything on the one loop that libpq and hiredis
 * will share, and is little code: framing is in ws_codec.c / http_codec.c.
 *
 * Input: all reads land in one static buffer; only the unconsumed tail of an
 * incomplete request or frame (or of requests waiting behind back-pressure)
 * is copied into the connection (c->in), at most NET_MAX_INPUT bytes.
 * Output: every write tries the socket first (uv_try_write, one writev, no
 * allocation). What the kernel does not take is queued in libuv as one
 * malloc'd request: responses and control frames copy their rest into it;
 * a shared fan-out frame (net_ws_send_frame) is referenced, not copied, and
 * the reference is dropped in the write callback. c->out_bytes counts each
 * request at its allocation size, plus the whole shared frame for each
 * reference (what the reference keeps alive). Over --max-buffered the connection stops being read
 * (conn_update_reading) until write callbacks bring it to half the bound;
 * requests and frames already read wait in c->in meanwhile. So a client that
 * never reads holds at most the bound plus one response and one read.
 * Close: WebSockets send a close frame, shut down the write side, and linger
 * until the peer closes or 2 s pass, so that the close frame is not lost to
 * a reset.
 * Lifecycle: see the rule in net.h. A failed write only marks the
 * connection; the deferred-work list (drained by one uv_idle handle) destroys
 * it, resumes connections whose held request was answered or whose output
 * drained, and frees connections closed while still on the list.
 * TLS (tls.c): ciphertext read is decrypted by tls_conn_input into the same
 * input path as plain bytes (conn_input); every write is encrypted by
 * conn_write2 and the ciphertext goes through the same bounded write path
 * (conn_write_raw), so the rules above hold unchanged; a shared fan-out
 * frame is encrypted once per connection (each has its own keys).
 */
#include "transport/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "codec/ws_codec.h"
#include "transport/tls.h"

#define NET_READ_BUF	65536
#define NET_LINGER_MS	2000
/* Refused connections (over --max-conns) that may linger to deliver their 503 */
#define NET_REFUSE_SLACK 64
/* Input a connection may hold: an incomplete frame or request plus one read */
#define NET_MAX_INPUT	((size_t) net_opts->max_payload + HTTP_MAX_HEAD + NET_READ_BUF)

/*
 * One queued write: either bytes copied into data (responses, control
 * frames), or a reference to a shared frame (fan-out), held until libuv's
 * write callback says the kernel has the bytes.
 */
typedef struct net_wreq
{
	uv_write_t	req;
	frame	   *f;				/* referenced frame, or NULL */
	uint32_t	cost;			/* added to the connection's out_bytes */
	uint32_t	len;			/* bytes copied into data */
	char		data[];
} net_wreq;

static uv_loop_t *net_loop;
static uv_tcp_t net_listener;
static bool net_listening;
/*
 * Open connections on two lists: the idle-timeout walk (linger_timer_cb)
 * only needs HTTP connections, and walking every WebSocket twice a second
 * cost 2 % of the CPU in a 10,000-socket fan-out (a cache miss each).
 */
static net_conn *net_conns;		/* open HTTP connections */
static net_conn *net_ws_conns;	/* open WebSocket connections */
static net_conn *net_lingering; /* closing connections waiting for the peer */
static long net_nconns;
static char net_read_buf[NET_READ_BUF];
static bool net_read_buf_busy;	/* a handler is still using it (re-entrancy guard) */
static uv_timer_t net_linger_timer;
static uv_idle_t net_deferred_idle;
static net_conn *net_deferred_head;	/* deferred-work list (FIFO, via dnext) */
static net_conn *net_deferred_tail;
static const notifier_opts *net_opts;
static const net_handlers *net_up;	/* the layer above (net_set_handlers) */

static size_t conn_process(net_conn *c, char *data, size_t len);
static void conn_feed(net_conn *c, char *data, size_t len);
static void conn_destroy(net_conn *c);
static void conn_tls_close_notify(net_conn *c);
static void conn_write_raw(net_conn *c, const void *a, size_t alen, const void *b, size_t blen);
static void deferred_idle_cb(uv_idle_t *h);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b);

void
net_set_opts(const notifier_opts *opts)
{
	net_opts = opts;
}

/* Set what the transport reports upward; see net.h */
void
net_set_handlers(const net_handlers *h)
{
	net_up = h;
}

/*---- lists ----*/

static void
list_remove(net_conn **head, net_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (*head == c)
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
list_push(net_conn **head, net_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

long
net_conn_count(void)
{
	return net_nconns;
}

void
net_foreach(void (*fn) (net_conn *c, void *arg), void *arg)
{
	net_conn   *heads[2] = {net_conns, net_ws_conns};

	for (int i = 0; i < 2; i++)
	{
		net_conn   *c = heads[i];

		while (c)
		{
			net_conn   *next = c->next;

			fn(c, arg);
			c = next;
		}
	}
}

/* The list c is on */
static net_conn **
conn_list(const net_conn *c)
{
	if (c->lingering)
		return &net_lingering;
	return c->kind == NET_WS ? &net_ws_conns : &net_conns;
}

bool
net_conn_alive(const net_conn *c)
{
	return c != NULL && !c->closing;
}

size_t
net_conn_unsent(const net_conn *c)
{
	return c->out_bytes;
}

/*---- deferred work (the lifecycle rule of net.h) ----*/

/* Put c on the deferred-work list (once); the idle handle drains it this turn */
static void
conn_defer(net_conn *c)
{
	if (!c->queued)
	{
		c->queued = true;
		c->dnext = NULL;
		if (net_deferred_tail)
			net_deferred_tail->dnext = c;
		else
			net_deferred_head = c;
		net_deferred_tail = c;
	}
	uv_idle_start(&net_deferred_idle, deferred_idle_cb);
}

/*
 * c failed while something may be walking it (a write error in a fan-out,
 * out of memory): stop reading and writing it now, destroy it later.
 */
static void
conn_fail(net_conn *c)
{
	if (c->closed || c->failed)
		return;
	c->failed = true;
	c->closing = true;
	conn_defer(c);
}

/* Unsent output over the bound: stop reading c */
static bool
conn_over(const net_conn *c)
{
	return c->out_bytes > net_opts->max_buffered;
}

/*
 * Read c unless its output is over the bound, or a held HTTP request has
 * further requests waiting behind it (they stay in the kernel until the
 * held one is answered).
 */
static void
conn_update_reading(net_conn *c)
{
	bool		over = conn_over(c);
	bool		stop = over || (c->kind == NET_HTTP && c->busy && c->in_len);

	if (c->closing)
		return;
	if (stop && !c->paused)
	{
		uv_read_stop((uv_stream_t *) &c->tcp);
		c->paused = true;
		if (over)
			metrics_g.read_pauses++;
	}
	else if (!stop && c->paused)
	{
		c->paused = false;
		uv_read_start((uv_stream_t *) &c->tcp, alloc_cb, read_cb);
	}
}

/* Process the input c kept while it was paused or held, then read again */
static void
conn_resume(net_conn *c)
{
	if (c->closing)
		return;
	if (c->in_len && !c->busy && !conn_over(c))
	{
		char	   *in = c->in;
		size_t		len = c->in_len;

		c->in = NULL;
		c->in_len = 0;
		conn_feed(c, in, len);	/* ends with conn_update_reading */
		free(in);
		return;
	}
	conn_update_reading(c);
}

/* The memory of a connection; only once its handle is closed and it is off the list */
static void
conn_free(net_conn *c)
{
	free(c->in);
	free(c->msg);				/* or cors_origin: one place (net.h) */
	tls_conn_free(c->tls);
	free(c);
}

/*
 * Drain the deferred-work list at the top of the loop: destroy failed
 * connections (telling their sessions), resume the others, free the ones
 * closed meanwhile. Work queued while draining waits for the next turn, so
 * one busy connection cannot hold the loop.
 */
static void
deferred_idle_cb(uv_idle_t *h)
{
	net_conn   *c = net_deferred_head;

	net_deferred_head = net_deferred_tail = NULL;
	while (c)
	{
		net_conn   *next = c->dnext;

		c->queued = false;
		c->dnext = NULL;
		if (c->free_on_dequeue)
			conn_free(c);
		else if (c->failed)
			conn_destroy(c);
		else if (c->want_resume)
		{
			c->want_resume = false;
			conn_resume(c);
		}
		c = next;
	}
	if (net_deferred_head == NULL)
		uv_idle_stop(h);
}

/*---- closing ----*/

static void
close_cb(uv_handle_t *h)
{
	net_conn   *c = (net_conn *) h;

	if (c->queued)
		c->free_on_dequeue = true;	/* the list still points at it */
	else
		conn_free(c);
}

/* Detach from the session (telling it) and from the lists, then uv_close */
static void
conn_destroy(net_conn *c)
{
	if (c->closed)
		return;
	if (c->sess)
		net_up->conn_gone(c);
	c->closed = true;
	c->closing = true;
	list_remove(conn_list(c), c);
	net_nconns--;
	metrics_g.tcp_connections--;
	uv_close((uv_handle_t *) &c->tcp, close_cb);
}

void
net_close(net_conn *c)
{
	c->sess = NULL;
	conn_destroy(c);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
	(void) status;
	free(req);
}

/* Stop processing input, send FIN after queued writes, wait for the peer */
static void
conn_linger(net_conn *c)
{
	uv_shutdown_t *req;

	if (c->closing)
		return;
	c->closing = true;
	list_remove(conn_list(c), c);
	list_push(&net_lingering, c);
	c->lingering = true;
	c->deadline = uv_now(net_loop) + NET_LINGER_MS;
	conn_tls_close_notify(c);
	req = malloc(sizeof(*req));
	if (req == NULL || uv_shutdown(req, (uv_stream_t *) &c->tcp, shutdown_cb) != 0)
		free(req);
}

void
net_shutdown(net_conn *c)
{
	if (c->sess)
		net_up->conn_gone(c);
	conn_linger(c);
}

/*
 * Every 500 ms: force-close lingering connections past their time, and close
 * HTTP connections idle (no request in progress, or an incomplete one) for
 * --http-idle-timeout. Only HTTP connections are walked (WebSockets are on
 * their own list; their idleness is the heartbeat's business).
 */
static void
linger_timer_cb(uv_timer_t *t)
{
	uint64_t	now = uv_now(net_loop);
	net_conn   *c = net_lingering;
	net_conn   *next_conn;

	(void) t;
	while (c)
	{
		net_conn   *next = c->next;

		if (now >= c->deadline)
			conn_destroy(c);
		c = next;
	}
	for (c = net_conns; c; c = next_conn)
	{
		next_conn = c->next;	/* conn_linger moves c to the other list */
		if (c->kind == NET_HTTP && !c->busy && now >= c->deadline)
		{
			if (c->tls && !tls_conn_ready(c->tls))
				metrics_g.tls_handshake_failures[TLS_HS_FAIL_TIMEOUT]++;
			conn_linger(c);
		}
	}
}

/*---- writing ----*/

/*
 * A queued write finished (or was cancelled by the close). Its bytes leave
 * out_bytes; a connection paused for back-pressure resumes at half the
 * bound. A write error marks the connection failed: a paused connection is
 * not read, so this is how a reset peer is noticed.
 */
static void
write_cb(uv_write_t *req, int status)
{
	net_wreq   *w = (net_wreq *) req;
	net_conn   *c = (net_conn *) req->handle;

	c->out_bytes -= w->cost;
	frame_unref(w->f);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
	{
		conn_fail(c);
		return;
	}
	if (c->paused && !c->closing && c->out_bytes <= net_opts->max_buffered / 2)
	{
		c->want_resume = true;
		conn_defer(c);
	}
}

/*
 * Write a then b. When nothing is queued, try the socket directly
 * (uv_try_write): the common case costs one writev and no allocation; what
 * the kernel does not take is copied into one malloc'd request and queued.
 */
static void
conn_write_raw(net_conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
	net_wreq   *w;
	uv_buf_t	ub;
	size_t		done = 0;

	if (c->closed || c->failed)
		return;
	metrics_g.bytes_sent += alen + blen;
	if (uv_stream_get_write_queue_size((uv_stream_t *) &c->tcp) == 0)
	{
		uv_buf_t	bufs[2] = {uv_buf_init((char *) a, (unsigned int) alen),
		uv_buf_init((char *) b, (unsigned int) blen)};
		int			n = uv_try_write((uv_stream_t *) &c->tcp, bufs, blen ? 2 : 1);

		if (n == (int) (alen + blen))
			return;
		if (n < 0 && n != UV_EAGAIN)
		{
			conn_fail(c);		/* never destroy under the sender (net.h) */
			return;
		}
		done = n > 0 ? (size_t) n : 0;
	}
	w = malloc(sizeof(*w) + alen + blen - done);
	if (w == NULL)
	{
		log_error("out of memory writing %zu bytes; closing connection", alen + blen);
		conn_fail(c);
		return;
	}
	w->cost = (uint32_t) buf_alloc_cost(w);
	w->f = NULL;
	w->len = 0;
	if (done < alen)
	{
		memcpy(w->data, (const char *) a + done, alen - done);
		w->len = alen - done;
		done = 0;
	}
	else
		done -= alen;
	if (blen > done)
	{
		memcpy(w->data + w->len, (const char *) b + done, blen - done);
		w->len += blen - done;
	}
	ub = uv_buf_init(w->data, (unsigned int) w->len);
	if (uv_write(&w->req, (uv_stream_t *) &c->tcp, &ub, 1, write_cb) != 0)
	{
		free(w);
		conn_fail(c);
		return;
	}
	c->out_bytes += w->cost;
}

/*
 * Write a then b as the connection speaks: on plain TCP directly, under TLS
 * encrypted (one record when they fit in one) and the ciphertext written by
 * conn_write_raw, so it is queued and counted like any other output.
 */
static void
conn_write2(net_conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
	const char *ct;
	size_t		ctlen;

	if (c->tls == NULL)
	{
		conn_write_raw(c, a, alen, b, blen);
		return;
	}
	if (c->closed || c->failed)
		return;
	if (tls_conn_encrypt(c->tls, a, alen, b, blen, &ct, &ctlen) < 0)
	{
		conn_fail(c);			/* no handshake yet (a refusal), or a broken session */
		return;
	}
	conn_write_raw(c, ct, ctlen, NULL, 0);
}

/* Before the FIN of a TLS connection: a close_notify alert (nothing on plain TCP) */
static void
conn_tls_close_notify(net_conn *c)
{
	const char *ct;
	size_t		ctlen;

	if (c->tls && tls_conn_close_notify(c->tls, &ct, &ctlen) == 0)
		conn_write_raw(c, ct, ctlen, NULL, 0);
}

/* What a queued reference to f costs the connection holding it */
size_t
net_frame_cost(const frame *f)
{
	/* the request (uv_write_t and the reference) plus the whole frame */
	return sizeof(net_wreq) + 2 * sizeof(size_t) + f->cost;
}

/*
 * Write f->data[off..len) to c without copying it: uv_try_write first (one
 * writev, the common case, no allocation); what the kernel does not take is
 * queued as an iovec pointing into f, with a reference that the write
 * callback drops. The connection is charged the whole frame's cost plus
 * the request's, however little of it is left: that is what it keeps alive.
 */
static void
conn_write_frame(net_conn *c, frame *f, size_t off)
{
	net_wreq   *w;
	uv_buf_t	ub = uv_buf_init(f->data + off, (unsigned int) (f->len - off));

	if (c->tls)
	{
		/* each TLS connection encrypts its own copy: one record, one write */
		conn_write2(c, ub.base, ub.len, NULL, 0);
		return;
	}
	if (c->closed || c->failed)
		return;
	metrics_g.bytes_sent += ub.len;
	if (uv_stream_get_write_queue_size((uv_stream_t *) &c->tcp) == 0)
	{
		int			n = uv_try_write((uv_stream_t *) &c->tcp, &ub, 1);

		if (n == (int) ub.len)
			return;
		if (n < 0 && n != UV_EAGAIN)
		{
			conn_fail(c);		/* never destroy under the sender (net.h) */
			return;
		}
		if (n > 0)
		{
			ub.base += n;
			ub.len -= (size_t) n;
		}
	}
	w = malloc(sizeof(*w));
	if (w == NULL)
	{
		log_error("out of memory queueing %zu bytes; closing connection", (size_t) ub.len);
		conn_fail(c);
		return;
	}
	w->f = frame_ref(f);
	w->len = 0;
	w->cost = (uint32_t) (buf_alloc_cost(w) + f->cost);
	if (uv_write(&w->req, (uv_stream_t *) &c->tcp, &ub, 1, write_cb) != 0)
	{
		frame_unref(w->f);
		free(w);
		conn_fail(c);
		return;
	}
	c->out_bytes += w->cost;
}

/*---- HTTP ----*/

static const char security_headers[] =
"X-Content-Type-Options: nosniff\r\n"
"X-Frame-Options: DENY\r\n"
"Referrer-Policy: strict-origin-when-cross-origin\r\n";

/* The CSP of API responses: nothing they return may load or run anything */
static const char api_csp[] = "default-src 'none'; frame-ancestors 'none'";

void
net_http_respond_ex(net_conn *c, int status, const char *ctype, const char *extra,
					const char *body, size_t len)
{
	net_http_respond_page(c, status, ctype, NULL, extra, body, len, false);
}

void
net_http_respond_page(net_conn *c, int status, const char *ctype, const char *csp,
					  const char *extra, const char *body, size_t len, bool head_only)
{
	buf			h = BUF_INIT;

	if (c->closed || c->kind != NET_HTTP)
		return;
	buf_printf(&h, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	if (ctype)
		buf_printf(&h, "Content-Type: %s\r\n", ctype);
	buf_printf(&h, "Content-Length: %zu\r\nConnection: %s\r\nCache-Control: no-store\r\n%s"
			   "%sContent-Security-Policy: %s\r\n",
			   len, c->keep_alive ? "keep-alive" : "close", security_headers,
			   c->tls ? TLS_HSTS_HEADER : "", csp ? csp : api_csp);
	if (c->cors_origin)
		buf_printf(&h, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n",
				   c->cors_origin);
	if (extra)
		buf_append_str(&h, extra);
	buf_append(&h, "\r\n", 2);
	if (h.p)
		conn_write2(c, h.p, h.len, body, head_only ? 0 : len);
	buf_free(&h);
	free(c->cors_origin);
	c->cors_origin = NULL;
	c->busy = false;
	if (!c->lingering)			/* one deadline: a lingering one stays */
		c->deadline = uv_now(net_loop) + net_opts->http_idle_timeout;
	if (!c->keep_alive)
	{
		conn_linger(c);
		return;
	}
	if (c->in_len && !c->closing)
	{
		/* requests behind the answered one: from the top of the loop, not here */
		c->want_resume = true;
		conn_defer(c);
	}
}

void
net_http_respond(net_conn *c, int status, const char *ctype, const char *body, size_t len)
{
	net_http_respond_ex(c, status, ctype, NULL, body, len);
}

/* Parse and route one request; returns bytes consumed, 0 if incomplete */
static size_t
http_step(net_conn *c, char *p, size_t n)
{
	http_request req;
	int			rc = http_parse_request(p, n, &req);
	size_t		body_len;
	const http_str *conn_hdr;

	if (rc == HTTP_NEED_MORE)
		return 0;
	if (rc < 0)
	{
		c->keep_alive = false;
		c->busy = true;
		net_http_respond(c, rc == HTTP_ERR_TOO_LARGE ? 431 : 400, "text/plain", "bad request", 11);
		return n;
	}
	conn_hdr = http_header_get(&req, "connection");
	c->keep_alive = req.minor == 1 ? !http_header_has_token(&req, "connection", "close")
		: (conn_hdr && http_header_has_token(&req, "connection", "keep-alive"));
	c->busy = true;
	metrics_g.http_requests++;
	if (req.chunked)
	{
		c->keep_alive = false;
		net_http_respond(c, 411, "text/plain", "chunked bodies are not accepted", 31);
		return n;
	}
	body_len = req.content_length > 0 ? (size_t) req.content_length : 0;
	if (body_len > net_opts->max_payload)
	{
		c->keep_alive = false;
		metrics_g.drops[DROP_TOO_BIG]++;
		net_http_respond(c, 413, "text/plain", "payload too large", 17);
		return n;
	}
	if (n - (size_t) rc < body_len)
	{
		c->busy = false;
		return 0;
	}
	net_up->request(c, &req, p + rc, body_len);
	return (size_t) rc + body_len;
}

/*---- WebSocket ----*/

int
net_ws_accept(net_conn *c, const http_request *req)
{
	const http_str *key = http_header_get(req, "sec-websocket-key");
	const http_str *version = http_header_get(req, "sec-websocket-version");
	char		accept[29];
	buf			h = BUF_INIT;

	if (key == NULL || version == NULL || !http_str_eq(*version, "13") ||
		ws_accept_key(key->p, key->len, accept) < 0)
	{
		c->keep_alive = false;
		net_http_respond_ex(c, 400, "text/plain", "Sec-WebSocket-Version: 13\r\n", "bad websocket handshake", 23);
		return -1;
	}
	buf_printf(&h, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: %s\r\n%s%s\r\n", accept, security_headers,
			   c->tls ? TLS_HSTS_HEADER : "");
	if (h.p)
		conn_write2(c, h.p, h.len, NULL, 0);
	buf_free(&h);
	free(c->cors_origin);
	c->cors_origin = NULL;
	list_remove(&net_conns, c);
	c->kind = NET_WS;
	list_push(&net_ws_conns, c);
	c->busy = false;
	return 0;
}

static void
ws_send_frame(net_conn *c, uint8_t opcode, const void *prefix, size_t plen, const void *data, size_t len)
{
	uint8_t		hdr[10 + 1];
	size_t		hl = ws_frame_header(hdr, true, opcode, plen + len);

	if (plen == 1)
		hdr[hl++] = *(const uint8_t *) prefix;
	conn_write2(c, hdr, hl, data, len);
}

void
net_ws_send_eio(net_conn *c, eio_type type, bool binary, const char *data, size_t len)
{
	char		t = (char) ('0' + type);

	if (c->closing)
		return;
	if (binary)
		ws_send_frame(c, WS_OP_BINARY, NULL, 0, data, len);
	else
		ws_send_frame(c, WS_OP_TEXT, &t, 1, data, len);
}

frame *
net_ws_frame_eio(eio_type type, const char *data, size_t len)
{
	uint8_t		hdr[10];
	size_t		hl;
	frame	   *f;

	if (len >= UINT32_MAX - 16)
		return NULL;
	hl = ws_frame_header(hdr, true, WS_OP_TEXT, len + 1);
	f = frame_new(hl + 1 + len);
	if (f == NULL)
		return NULL;
	memcpy(f->data, hdr, hl);
	f->data[hl] = (char) ('0' + type);
	if (len)
		memcpy(f->data + hl + 1, data, len);
	f->eio_off = (uint32_t) hl;
	return f;
}

void
net_ws_send_frame(net_conn *c, frame *f)
{
	if (c->closing || c->kind != NET_WS)
		return;
	conn_write_frame(c, f, 0);
}

void
net_ws_close(net_conn *c, uint16_t code)
{
	uint8_t		payload[2] = {(uint8_t) (code >> 8), (uint8_t) code};

	c->sess = NULL;
	if (c->closing)
		return;
	ws_send_frame(c, WS_OP_CLOSE, NULL, 0, payload, code ? 2 : 0);
	conn_linger(c);
}

/* A WebSocket error found here: tell the session, then close with code */
static void
ws_fail(net_conn *c, uint16_t code, metrics_drop why)
{
	metrics_g.drops[why]++;
	log_debug("websocket closed with %u", code);
	if (c->sess)
		net_up->conn_gone(c);
	net_ws_close(c, code);
}

/* Deliver a complete message */
static void
ws_message(net_conn *c, uint8_t opcode, char *data, size_t len)
{
	if (opcode == WS_OP_TEXT && !ws_utf8_valid((const uint8_t *) data, len))
	{
		ws_fail(c, WS_CLOSE_INVALID_DATA, DROP_BAD_UTF8);
		return;
	}
	if (c->sess)
		net_up->ws_message(c, opcode == WS_OP_BINARY, data, len);
}

/* Parse and handle one frame; returns bytes consumed, 0 if incomplete */
static size_t
ws_step(net_conn *c, char *p, size_t n)
{
	ws_frame	f;
	int			rc = ws_frame_parse((const uint8_t *) p, n, true, &f);
	char	   *payload;

	if (rc == WS_NEED_MORE)
		return 0;
	if (rc < 0)
	{
		ws_fail(c, WS_CLOSE_PROTOCOL, DROP_WS_PROTOCOL);
		return n;
	}
	if (f.len > net_opts->max_payload ||
		(f.opcode == WS_OP_CONT && c->msg_len + f.len > net_opts->max_payload))
	{
		ws_fail(c, WS_CLOSE_TOO_BIG, DROP_TOO_BIG);
		return n;
	}
	if (n - (size_t) rc < f.len)
		return 0;
	payload = p + rc;
	ws_unmask((uint8_t *) payload, (size_t) f.len, f.mask, 0);
	switch (f.opcode)
	{
		case WS_OP_TEXT:
		case WS_OP_BINARY:
			if (c->frag_opcode)
			{
				ws_fail(c, WS_CLOSE_PROTOCOL, DROP_WS_PROTOCOL);
				return n;
			}
			if (f.fin)
				ws_message(c, f.opcode, payload, (size_t) f.len);
			else
			{
				c->msg = malloc(f.len ? f.len : 1);
				if (c->msg == NULL)
				{
					ws_fail(c, 1011, DROP_TOO_BIG);
					return n;
				}
				memcpy(c->msg, payload, f.len);
				c->msg_len = (uint32_t) f.len;
				c->frag_opcode = f.opcode;
			}
			break;
		case WS_OP_CONT:
			{
				char	   *m;

				if (!c->frag_opcode)
				{
					ws_fail(c, WS_CLOSE_PROTOCOL, DROP_WS_PROTOCOL);
					return n;
				}
				m = realloc(c->msg, c->msg_len + f.len + 1);
				if (m == NULL)
				{
					ws_fail(c, 1011, DROP_TOO_BIG);
					return n;
				}
				memcpy(m + c->msg_len, payload, f.len);
				c->msg = m;
				c->msg_len += (uint32_t) f.len;
				if (f.fin)
				{
					uint8_t		op = c->frag_opcode;

					c->frag_opcode = 0;
					c->msg = NULL;
					ws_message(c, op, m, c->msg_len);
					c->msg_len = 0;
					free(m);
				}
				break;
			}
		case WS_OP_PING:
			ws_send_frame(c, WS_OP_PONG, NULL, 0, payload, (size_t) f.len);
			break;
		case WS_OP_PONG:
			break;
		case WS_OP_CLOSE:
			{
				/* RFC 6455 §7.4: echo a valid code; 1002/1007 for a bad one */
				uint16_t	reply;

				if (ws_close_check((const uint8_t *) payload, (size_t) f.len, &reply) < 0)
				{
					metrics_g.drops[DROP_WS_CLOSE_INVALID]++;
					log_debug("websocket close frame invalid (%llu bytes); answered %u",
							  (unsigned long long) f.len, reply);
				}
				if (c->sess)
					net_up->conn_gone(c);
				net_ws_close(c, reply);
				break;
			}
	}
	return (size_t) rc + (size_t) f.len;
}

/*---- reading ----*/

/* Process as much of data as forms complete requests/frames */
static size_t
conn_process(net_conn *c, char *data, size_t len)
{
	size_t		off = 0;

	while (off < len && !c->closing)
	{
		size_t		n;

		if (conn_over(c))
			break;				/* back-pressure: the rest waits in c->in */
		if (c->kind == NET_HTTP)
		{
			if (c->busy)
				break;			/* a held request: later requests wait */
			n = http_step(c, data + off, len - off);
		}
		else
			n = ws_step(c, data + off, len - off);
		if (n == 0)
			break;
		off += n;
	}
	return off;
}

/*
 * Process data and keep its unconsumed tail in c->in (an incomplete request
 * or frame, or complete ones waiting behind back-pressure or a held
 * request), then decide whether to keep reading.
 */
static void
conn_feed(net_conn *c, char *data, size_t len)
{
	size_t		used = conn_process(c, data, len);
	size_t		rest = len - used;

	if (c->closing)
		return;
	if (rest > NET_MAX_INPUT)
	{
		conn_fail(c);			/* cannot happen: the steps bound what they wait for */
		return;
	}
	/* keep exactly the tail: an idle connection holds no input buffer */
	if (rest == 0)
	{
		free(c->in);
		c->in = NULL;
	}
	else
	{
		char	   *in = realloc(c->in, rest);

		if (in == NULL)
		{
			conn_fail(c);
			return;
		}
		c->in = in;
		memmove(c->in, data + used, rest);
	}
	c->in_len = (uint32_t) rest;
	conn_update_reading(c);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void) h;
	(void) suggested;
	if (net_read_buf_busy)
	{
		/* cannot happen on one thread; be safe rather than corrupt data */
		b->base = NULL;
		b->len = 0;
		return;
	}
	b->base = net_read_buf;
	b->len = sizeof(net_read_buf);
}

/*
 * Plain bytes read (or decrypted): process them after what c kept from
 * before. Runs inside a read callback, so it may destroy c.
 */
static void
conn_input(net_conn *c, char *data, size_t n)
{
	if (c->in_len == 0)
		conn_feed(c, data, n);
	else
	{
		/* join the stored tail and the new bytes, then process */
		size_t		total = c->in_len + n;
		char	   *joined;

		if (total > NET_MAX_INPUT)
		{
			conn_destroy(c);
			return;
		}
		joined = realloc(c->in, total);
		if (joined == NULL)
		{
			conn_destroy(c);
			return;
		}
		memcpy(joined + c->in_len, data, n);
		c->in = NULL;
		c->in_len = 0;
		conn_feed(c, joined, total);
		free(joined);
	}
}

/* tls_conn_input's sink: handshake output to the socket, plaintext to conn_input */
static void
tls_sink_out(void *arg, const char *data, size_t len)
{
	conn_write_raw(arg, data, len, NULL, 0);
}

static bool
tls_sink_plain(void *arg, char *data, size_t len)
{
	net_conn   *c = arg;

	conn_input(c, data, len);
	return !c->closing;
}

/*
 * Ciphertext read on a TLS connection. A failed handshake (garbage, an old
 * protocol, no common cipher, over TLS_HANDSHAKE_MAX_INPUT) lingers so that
 * the alert reaches the peer; a plain HTTP request gets a plain 400 first.
 * Each failed handshake counts in roomcast_tls_handshake_failures_total by
 * reason (the timeout one in linger_timer_cb).
 */
static void
conn_tls_input(net_conn *c, const char *data, size_t n)
{
	static const char plain_400[] =
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n"
		"Connection: close\r\n\r\nthis port speaks TLS only: use https:// or wss://\n";
	tls_sink	sink = {tls_sink_out, tls_sink_plain, c};
	tls_result	r = tls_conn_input(c->tls, data, n, &sink);

	if (c->closing)
		return;
	if (r == TLS_OK)
	{
		/*
		 * OpenSSL answers some input with output of its own and no
		 * plaintext (a KeyUpdate request is answered by a KeyUpdate,
		 * handshake messages by handshake messages): conn_input, which
		 * applies --max-buffered, never ran for it. Apply it here, or a
		 * client that sends only those and never reads grows our queue
		 * without limit (docs/security-scale-out.md, finding 2).
		 */
		conn_update_reading(c);
		return;
	}
	/* a failure after the handshake is a broken record, not a handshake failure */
	if (r == TLS_PLAIN_HTTP)
		metrics_g.tls_handshake_failures[TLS_HS_FAIL_PLAIN_HTTP]++;
	else if (r == TLS_TOO_BIG)
		metrics_g.tls_handshake_failures[TLS_HS_FAIL_TOO_LARGE]++;
	else if (r == TLS_FAIL && !tls_conn_ready(c->tls))
		metrics_g.tls_handshake_failures[TLS_HS_FAIL_PROTOCOL]++;
	if (c->sess)
		net_up->conn_gone(c);
	c->sess = NULL;
	if (r == TLS_PLAIN_HTTP)
		conn_write_raw(c, plain_400, sizeof(plain_400) - 1, NULL, 0);	/* counts bytes_sent */
	if (r == TLS_CLOSE)
		conn_destroy(c);
	else
		conn_linger(c);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	net_conn   *c = (net_conn *) st;

	if (n < 0)
	{
		conn_destroy(c);
		return;
	}
	if (n == 0 || c->closing)
		return;
	metrics_g.bytes_received += (uint64_t) n;
	net_read_buf_busy = true;
	if (c->tls)
		conn_tls_input(c, b->base, (size_t) n);
	else
		conn_input(c, b->base, (size_t) n);
	net_read_buf_busy = false;
}

/*
 * Accept a connection. Over --max-conns it is refused: it gets a 503 and
 * lingers like any closing connection (its input is read and dropped), so
 * the client sees the answer rather than a reset; past NET_REFUSE_SLACK
 * more it is closed at once, so refusals cannot pile up either.
 */
static void
on_connection(uv_stream_t *server, int status)
{
	static const char refused[] = "too many connections (--max-conns)\n";
	net_conn   *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	uv_tcp_init(net_loop, &c->tcp);
	if (uv_accept(server, (uv_stream_t *) &c->tcp) != 0)
	{
		uv_close((uv_handle_t *) &c->tcp, close_cb);
		return;
	}
	if ((uint64_t) net_nconns >= (uint64_t) net_opts->max_conns + NET_REFUSE_SLACK)
	{
		metrics_g.drops[DROP_MAX_CONNS]++;
		uv_close((uv_handle_t *) &c->tcp, close_cb);
		return;
	}
	if (tls_enabled() && (c->tls = tls_conn_new()) == NULL)
	{
		log_error("out of memory for a TLS connection; closed");
		uv_close((uv_handle_t *) &c->tcp, close_cb);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	/* also bounds a TLS handshake: until its first request a connection is idle HTTP */
	c->deadline = uv_now(net_loop) + net_opts->http_idle_timeout;
	list_push(&net_conns, c);
	net_nconns++;
	metrics_g.tcp_connections++;
	uv_read_start((uv_stream_t *) &c->tcp, alloc_cb, read_cb);
	if ((uint64_t) net_nconns > net_opts->max_conns)
	{
		metrics_g.drops[DROP_MAX_CONNS]++;
		log_debug("connection refused: %ld open (--max-conns %u)", net_nconns - 1, net_opts->max_conns);
		c->keep_alive = false;
		c->busy = true;
		net_http_respond(c, 503, "text/plain", refused, sizeof(refused) - 1);
	}
}

int
net_listen(uv_loop_t *loop, const char *host, int port)
{
	struct sockaddr_storage addr;
	int			rc;

	net_loop = loop;
	if (uv_ip4_addr(host, port, (struct sockaddr_in *) &addr) != 0 &&
		uv_ip6_addr(host, port, (struct sockaddr_in6 *) &addr) != 0)
		return UV_EINVAL;
	uv_tcp_init(loop, &net_listener);
	rc = uv_tcp_bind(&net_listener, (const struct sockaddr *) &addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *) &net_listener, 4096, on_connection);
	if (rc != 0)
		return rc;
	net_listening = true;
	uv_timer_init(loop, &net_linger_timer);
	uv_timer_start(&net_linger_timer, linger_timer_cb, 500, 500);
	uv_unref((uv_handle_t *) &net_linger_timer);
	uv_idle_init(loop, &net_deferred_idle);
	return 0;
}

void
net_stop_listening(void)
{
	if (net_listening)
		uv_close((uv_handle_t *) &net_listener, NULL);
	net_listening = false;
}
