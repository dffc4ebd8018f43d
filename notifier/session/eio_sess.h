/*
 * eio_sess.h — Engine.IO v4 sessions: handshake, polling (held GET, POST),
 * WebSocket transport, upgrade (probe, noop, upgrade), heartbeat, close.
 * Session logic only: the bytes go through net.h; messages go up to the
 * Socket.IO layer (sio_sess.h) or, for /engine.io/ in conformance mode, are
 * echoed back.
 */
#ifndef RC_NOTIFIER_EIO_SESS_H
#define RC_NOTIFIER_EIO_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "codec/eio_codec.h"
#include "codec/http_codec.h"
#include "transport/net.h"
#include "base/opts.h"
#include "base/theap.h"

#define EIO_SID_LEN 20

typedef enum eio_endpoint
{
	EIO_ENDPOINT_SOCKETIO = 0,	/* /socket.io/: messages are Socket.IO packets */
	EIO_ENDPOINT_ECHO			/* /engine.io/ in conformance mode: echo */
} eio_endpoint;

typedef enum eio_transport
{
	EIO_T_POLLING = 0,
	EIO_T_WEBSOCKET
} eio_transport;

/* A packet waiting for a polling GET: its bytes in data, or in a shared frame */
typedef struct eio_out
{
	struct eio_out *next;
	frame	   *f;				/* shared: the packet is f's Engine.IO bytes; data unused */
	uint32_t	len;
	uint8_t		type;
	bool		binary;
	char		data[];
} eio_out;

/*
 * One Engine.IO session. Kept small (memory per idle socket): no libuv
 * handle of its own; its heartbeat and timeouts are a node in one deadline
 * heap served by a single timer (eio_sess.c).
 */
typedef struct eio_session
{
	struct eio_session *hnext;	/* sid hash chain; the reaper's list once destroyed */
	net_conn   *ws;				/* transport when websocket */
	net_conn   *probe;			/* websocket being upgraded to */
	net_conn   *poll;			/* held polling GET */
	eio_out    *out_head;		/* polling: packets waiting for a GET */
	eio_out    *out_tail;
	void	   *app;			/* the Socket.IO client (sio_sess.c) */
	char	   *hs_token;		/* token of the handshake (Bearer or ?token=), or NULL */
	uint64_t	next_ping;		/* loop ms when the next PING is due */
	uint64_t	pong_deadline;	/* loop ms; 0 while not waiting for a pong */
	uint64_t	connect_deadline;	/* loop ms; 0 when not armed */
	theap_node	tnode;			/* when the timer is due for this session */
	uint32_t	out_bytes;
	char		sid[EIO_SID_LEN + 1];
	uint8_t		endpoint;		/* eio_endpoint */
	uint8_t		transport;		/* eio_transport */
	bool		upgrading;		/* probe answered, waiting for "5" */
	bool		closed;			/* closed; may linger for one last GET (noop) */
	bool		slow;			/* over --max-buffered: the timer closes it */
	bool		destroyed;		/* out of every table; memory freed by the reaper */
} eio_session;

/* Initialise the session table and settings; opts must outlive the sessions */
void		eio_init(uv_loop_t *loop, const notifier_opts *opts);

/*
 * Handle an Engine.IO request on c (polling GET/POST, or a WebSocket upgrade
 * when upgrade is true) for the endpoint, after CORS was checked. body is the
 * POST body (mutable: decoded in place). Always answers or holds the request.
 */
void		eio_handle_request(net_conn *c, const http_request *req, bool upgrade,
							   eio_endpoint endpoint, char *body, size_t body_len);

/* A complete WebSocket message arrived on c (attached to c->sess) */
void		eio_ws_message(net_conn *c, bool binary, char *data, size_t len);

/* Connection c, attached to a session as ws, probe or held poll, went away */
void		eio_conn_gone(net_conn *c);

/*
 * Queue one packet to the client. Over WebSocket it is written at once; over
 * polling it waits for (or completes) a GET. Returns 0, or -1 if the session
 * was closed because the client is too slow (over --max-buffered).
 */
int			eio_send(eio_session *s, eio_type type, bool binary, const char *data, size_t len);

/*
 * A shared Engine.IO MESSAGE packet carrying data, for eio_send_frame to many
 * sessions (net_ws_frame_eio: WebSocket sessions write it whole, polling
 * sessions queue a reference to its Engine.IO bytes). One reference for the
 * caller (frame_unref when done); NULL when out of memory.
 */
frame	   *eio_message_frame(const char *data, size_t len);

/*
 * Like eio_send for a frame from eio_message_frame, without copying it: the
 * session's queue (WebSocket or polling) takes a reference. Counted against
 * --max-buffered at the whole frame plus the reference's overhead. Returns
 * 0, or -1 when the session is closed or was found too slow (then closed
 * from its timer, never under the caller).
 */
int			eio_send_frame(eio_session *s, frame *f);

/*
 * Close the session: over polling a held GET gets a CLOSE packet; over
 * WebSocket the socket is closed with ws_code. The Socket.IO layer is told.
 */
void		eio_close(eio_session *s, const char *reason, uint16_t ws_code);

/* Arm or disarm (0) the connect timeout of a session, in ms from now */
void		eio_set_connect_timeout(eio_session *s, uint32_t ms);

/* The loop the sessions run on (eio_init) */
uv_loop_t  *eio_get_loop(void);

/* Close every session (drain); returns how many were open */
long		eio_close_all(const char *reason);

#endif
