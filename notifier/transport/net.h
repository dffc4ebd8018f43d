/*
 * net.h — transport glue: TCP on libuv, HTTP/1.1 request framing, WebSocket
 * connections, bounded write queues, lingering close. It knows nothing of
 * Engine.IO; complete requests go to http_route.c, complete WebSocket
 * messages to the Engine.IO session the connection is attached to.
 *
 * Memory: one shared read buffer for the whole process; a connection keeps
 * input only while a request or frame is incomplete, so an idle WebSocket
 * costs its uv_tcp_t and this struct.
 *
 * Bounds (SPEC §7 "Bad input and faults"): every byte queued for a
 * connection (HTTP responses, WebSocket messages, pongs, close frames) is
 * counted in out_bytes at its real allocation size. Over --max-buffered the
 * connection is no longer read (back-pressure: pipelined requests and pings
 * wait in the kernel) until half of it has drained; the Engine.IO layer
 * closes a socket that cannot take an event (net_conn_unsent). At most
 * --max-conns connections are open; further ones get 503 and are closed.
 *
 * Lifecycle rule (ARCHITECTURE.md; it governs net.c, eio_sess.c,
 * sio_sess.c, room_map.c and every module that walks sockets):
 *   1. A connection that fails while the notifier is sending to it (a write
 *      error, out of memory) is only marked: net_conn_alive() turns false,
 *      later writes are dropped, and it goes on a list that an idle handle
 *      drains when the loop is back at the top. Only then is its session
 *      told (eio_conn_gone) and torn down, so no send ever frees a session,
 *      a Socket.IO socket or a room membership under a caller walking them
 *      (fan-out in deliver.c, rpc replies, kicks, the resume list).
 *   2. Memory of a connection or a session is released only in the close
 *      callback of its libuv handle, i.e. after every callback of the
 *      current loop turn has returned; a connection still on the deferred
 *      list is freed when the list reaches it.
 *   3. Explicit closes by the layer above (net_close, net_ws_close,
 *      net_shutdown) never call back up.
 */
#ifndef RC_NOTIFIER_NET_H
#define RC_NOTIFIER_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "codec/eio_codec.h"
#include "codec/http_codec.h"
#include "base/frame.h"
#include "base/opts.h"

struct eio_session;

typedef enum net_kind
{
	NET_HTTP = 0,
	NET_WS
} net_kind;

/*
 * One connection. Its size is most of the transport's memory per idle
 * socket: the uv_tcp_t (248 bytes) and 80 more, 336 with malloc's header
 * and rounding (under TLS add OpenSSL's SSL object: docs/tls.md has the
 * measured cost). Flags are bits; one deadline serves both states that need
 * one; msg (WebSocket only) and cors_origin (HTTP only, freed before the
 * upgrade) share their place.
 */
typedef struct net_conn
{
	uv_tcp_t	tcp;			/* first: the handle's data is unused, we cast */
	struct net_conn *prev;		/* all connections, for drain */
	struct net_conn *next;
	struct eio_session *sess;	/* WS: owning session; HTTP: session whose GET is held */
	char	   *in;				/* unconsumed input (incomplete request or frame); NULL when none */
	union
	{
		char	   *msg;		/* WS: fragmented message being assembled */
		char	   *cors_origin;	/* HTTP: allowed Origin of the request being answered */
	};
	struct tls_conn *tls;		/* under --tls-cert: the TLS state (tls.h); NULL on plain */
	struct net_conn *dnext;		/* deferred-work list (net.c) */
	uint64_t	deadline;		/* lingering: force close then; HTTP idle: close then */
	uint32_t	in_len;
	uint32_t	msg_len;
	uint32_t	out_bytes;		/* unsent output, real allocation sizes */
	uint8_t		kind;			/* net_kind */
	uint8_t		frag_opcode;	/* WS: opcode of the message in msg, 0 if none */
	bool		busy:1;			/* HTTP: a request is being answered (held poll) */
	bool		keep_alive:1;	/* HTTP: keep the connection after the response */
	bool		closing:1;		/* no more reads are processed */
	bool		closed:1;		/* uv_close called */
	bool		paused:1;		/* reading stopped: output over the bound, or a held request */
	bool		failed:1;		/* a write failed: destroy when the loop is back at the top */
	bool		queued:1;		/* on the deferred-work list */
	bool		want_resume:1;	/* deferred: process buffered input, restart reading */
	bool		free_on_dequeue:1;	/* handle closed while queued: the list frees it */
	bool		lingering:1;	/* on the lingering list, waiting for the peer */
} net_conn;

/* Settings (max_buffered, max_conns, max_payload, http_idle_timeout); must outlive the loop */
void		net_set_opts(const notifier_opts *opts);

/*
 * What the transport reports upward; the layer above fills it in before
 * net_listen (main.c: the HTTP router and the Engine.IO sessions). The
 * transport includes no header of a higher layer. Each callback runs inside
 * a read callback of c: it may send on c or mark c closed (the lifecycle
 * rule above), never free it.
 */
typedef struct net_handlers
{
	/* One complete HTTP request on c; body (mutable) holds body_len bytes */
	void		(*request) (net_conn *c, const http_request *req, char *body, size_t body_len);
	/* One complete WebSocket message on c (an upgraded connection) */
	void		(*ws_message) (net_conn *c, bool binary, char *data, size_t len);
	/* c is going away: detach whatever the upper layer attached to c->sess */
	void		(*conn_gone) (net_conn *c);
} net_handlers;

/* Set the handlers; h must outlive the loop */
void		net_set_handlers(const net_handlers *h);

/* Extended response with extra header lines ("Name: value\r\n"...) */
void		net_http_respond_ex(net_conn *c, int status, const char *ctype, const char *extra,
								const char *body, size_t len);

/* Start listening; 0 or a libuv error code (negative) */
int			net_listen(uv_loop_t *loop, const char *host, int port);

/* Stop accepting (drain) */
void		net_stop_listening(void);

/* Number of open connections */
long		net_conn_count(void);

/* Call fn for every open connection (fn may close it) */
void		net_foreach(void (*fn) (net_conn *c, void *arg), void *arg);

/*
 * Send an HTTP response on c and finish the request: status, content type
 * (may be NULL when there is no body), body. Adds the security headers and,
 * if c->cors_origin is set, the CORS headers. Then closes or keeps the
 * connection and resumes reading further requests.
 */
void		net_http_respond(net_conn *c, int status, const char *ctype, const char *body, size_t len);

/*
 * Like net_http_respond, for pages: csp replaces the API Content-Security-Policy
 * (NULL keeps it), extra adds header lines ("Name: value\r\n"...), and
 * head_only sends the headers of body (its Content-Length) without the body.
 */
void		net_http_respond_page(net_conn *c, int status, const char *ctype, const char *csp,
								  const char *extra, const char *body, size_t len, bool head_only);

/*
 * Answer a WebSocket upgrade request with 101 and switch c to WebSocket
 * framing; req is the upgrade request. Returns 0 or -1 (bad key: a 400 was sent).
 */
int			net_ws_accept(net_conn *c, const http_request *req);

/* Send one Engine.IO packet as a WebSocket message (text "<type><data>" or binary) */
void		net_ws_send_eio(net_conn *c, eio_type type, bool binary, const char *data, size_t len);

/*
 * A shared WebSocket text message carrying one Engine.IO packet ("<type><data>"),
 * built once for many connections: the WebSocket header, then the packet,
 * which starts at f->eio_off (long polling sends those bytes). One
 * reference for the caller; NULL when out of memory.
 */
frame	   *net_ws_frame_eio(eio_type type, const char *data, size_t len);

/*
 * Send a frame from net_ws_frame_eio on WebSocket c without copying it: the
 * kernel takes it at once (one writev), or c's write queue keeps a
 * reference until it is written (libuv's write callback). Costs c
 * net_frame_cost(f) of its --max-buffered while queued.
 */
void		net_ws_send_frame(net_conn *c, frame *f);

/* What c is charged while a reference to f waits in its queue */
size_t		net_frame_cost(const frame *f);

/*
 * Close a WebSocket with a close frame carrying code (0: no code), detaching
 * it from its session first (the session is not called back).
 */
void		net_ws_close(net_conn *c, uint16_t code);

/*
 * False once c is closing or failed: sending to it does nothing. Callers
 * that queue work for a connection check this instead of its pointer.
 */
bool		net_conn_alive(const net_conn *c);

/* Bytes queued for c and not yet taken by the kernel, at allocation cost */
size_t		net_conn_unsent(const net_conn *c);

/* Close any connection at once, detaching it from its session without callback */
void		net_close(net_conn *c);

/* Close gracefully: let queued writes finish, send FIN, wait for the peer (bounded) */
void		net_shutdown(net_conn *c);

#endif
