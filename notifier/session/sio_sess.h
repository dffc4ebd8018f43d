/*
 * sio_sess.h — Socket.IO v5 on top of an Engine.IO session: namespaces,
 * CONNECT (with the auth payload, through a pluggable hook), DISCONNECT,
 * events, acks, binary attachments and the connect timeout. What a CONNECT
 * or an event means is the hub's: it fills in sio_hooks (auth.c's
 * auth_hooks, or conformance.c's conf_hooks for the protocol test suites).
 */
#ifndef RC_NOTIFIER_SIO_SESS_H
#define RC_NOTIFIER_SIO_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/opts.h"
#include "codec/sio_codec.h"
#include "session/eio_sess.h"

typedef struct sio_client sio_client;

typedef enum sio_socket_state
{
	SIO_S_CONNECTING = 0,		/* CONNECT received, waiting for the hook */
	SIO_S_CONNECTED
} sio_socket_state;

/* One namespace of one client */
typedef struct sio_socket
{
	struct sio_socket *next;	/* the client's sockets */
	sio_client *client;
	void	   *user;			/* the hook module's (auth_user, conf_socket); never read here */
	uint16_t	nsp;			/* index into the configured namespaces */
	uint8_t		state;			/* sio_socket_state */
	/* no sid kept: sio_sess.c makes it from the session's when it is sent (socket_sid) */
} sio_socket;

/*
 * Called for every CONNECT to a configured namespace, with the auth payload
 * (JSON object text, or NULL). It must eventually call sio_connect_accept()
 * or sio_connect_reject() for sock (possibly later, from another callback);
 * if the client goes away first, sio_socket_gone is called instead.
 * Without a hook every CONNECT is accepted.
 */
typedef struct sio_hooks
{
	void		(*connect) (sio_socket *sock, const char *auth, size_t auth_len);
	/* sock is about to be freed: drop every reference to it, free sock->user */
	void		(*socket_gone) (sio_socket *sock);
	/* a (non-binary) EVENT on a connected socket; NULL: UNKNOWN_EVENT acks */
	void		(*event) (sio_socket *sock, const sio_packet *p);

	/*
	 * A BINARY_EVENT with its p->attachments attachments att[i] (att_len[i]
	 * bytes; NULL when there are none), valid during the call. NULL: as an
	 * event without a hook (UNKNOWN_EVENT when an ack is asked for).
	 */
	void		(*binary_event) (sio_socket *sock, const sio_packet *p, char **att, size_t *att_len);

	/*
	 * A CONNECT still pending when --connect-timeout ran out, just before its
	 * session closes: the hook answers it with sio_connect_reject(), so that
	 * the client learns why instead of seeing only the close. NULL: the
	 * socket goes with its session.
	 */
	void		(*connect_expired) (sio_socket *sock);
} sio_hooks;

/*
 * namespaces: the accepted namespaces, comma-separated, each starting with
 * '/' (--namespaces, or the conformance mode's). hooks NULL: accept every
 * CONNECT, answer acked events UNKNOWN_EVENT.
 */
void		sio_init(const notifier_opts *opts, const char *namespaces, const sio_hooks *hooks);

/* Engine.IO → Socket.IO: session opened, message, session closed */
void		sio_on_open(eio_session *s);
void		sio_on_message(eio_session *s, bool binary, const char *data, size_t len);
void		sio_on_close(eio_session *s, const char *reason);

/* The session's connect timeout ran out: each pending CONNECT to sio_hooks.connect_expired */
void		sio_on_connect_timeout(eio_session *s);

/* Finish a pending CONNECT */
void		sio_connect_accept(sio_socket *sock);

/*
 * Accept with a connection-state-recovery id: the reply is {sid, pid}, and
 * socket.io-client >= 4.6 sends {pid, offset} in the auth of its next
 * CONNECT. pid is [A-Za-z0-9_.-]{1,SIO_MAX_PID} (not escaped); NULL: {sid}.
 */
#define SIO_MAX_PID 64
void		sio_connect_accept_pid(sio_socket *sock, const char *pid);
void		sio_connect_reject(sio_socket *sock, const char *data_json);

/*
 * Emit an event to one socket: args_json is the JSON array of the event
 * name and arguments. Returns 0 or -1 (the client was closed as too slow).
 */
int			sio_emit(sio_socket *sock, const char *args_json, size_t len);

/* Acknowledge ack id of sock with args_json, the JSON array of the ack arguments */
int			sio_ack(sio_socket *sock, int64_t id, const char *args_json, size_t len);

/*
 * Send one packet of any type to sock's namespace: id -1 for none, data the
 * JSON text (or NULL), attachments the number of binary attachments that
 * the caller sends next with sio_send_attachment. 0 or -1, as sio_emit.
 */
int			sio_send(sio_socket *sock, sio_type type, int64_t id, uint32_t attachments,
					 const char *data, size_t len);

/* One binary attachment of the packet sent last to sock's client */
int			sio_send_attachment(sio_socket *sock, const char *data, size_t len);

/* The namespace name of a socket */
const char *sio_nsp_name(const sio_socket *sock);

/* Index of the configured namespace name[0..len) (as sio_socket.nsp), or -1 */
int			sio_nsp_index(const char *name, size_t len);

/*
 * Send an already encoded Socket.IO packet (from sio_encode) to one socket's
 * client, so a packet for many sockets is encoded once. 0, or -1 when the
 * client is closed or too slow (it is then closed from a timer, never from
 * under the caller).
 */
int			sio_send_packet(sio_socket *sock, const char *packet, size_t len);

/*
 * The encoded Socket.IO packet (from sio_encode) as one shared frame for
 * sio_send_frame to many sockets: fan-out encodes an event once and every
 * recipient's queue references the same bytes. One reference for the
 * caller (frame_unref when done); NULL when out of memory.
 */
frame	   *sio_packet_frame(const char *packet, size_t len);

/* Like sio_send_packet, for a frame from sio_packet_frame: no copy */
int			sio_send_frame(sio_socket *sock, frame *f);

/*
 * Disconnect one socket from the server side: the client gets a DISCONNECT
 * packet for its namespace (socket.io-client: "io server disconnect") and
 * sock is freed (socket_gone is called) before this returns.
 */
void		sio_disconnect(sio_socket *sock);

/*
 * Close sock's whole Engine.IO session (every namespace) without a
 * DISCONNECT packet: socket.io-client sees a transport close and reconnects
 * by itself (with {pid, offset}). Freed after the current callback.
 */
void		sio_close_client(sio_socket *sock, const char *reason);

/*
 * True while sock can still be sent to: connected, its session open and not
 * a slow consumer, its transport not failed. A module that keeps a socket
 * across callbacks (an rpc reply, a queued emit) still learns of its end
 * through sio_hooks.socket_gone, which is never called from inside a send
 * (the lifecycle rule in net.h); this says whether sending is worth it.
 */
bool		sio_socket_alive(const sio_socket *sock);

/* The token of the Engine.IO handshake (Bearer header or ?token=), or NULL */
const char *sio_handshake_token(const sio_socket *sock);

#endif
