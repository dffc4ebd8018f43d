/*
 * conformance.c — the reference servers' handlers for the official protocol
 * test suites (see conformance.h). sio_socket.user of a socket here is a
 * conf_socket (below), owned by this file from connect to socket_gone.
 */
#include "hub/conformance.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "codec/sio_codec.h"
#include "codec/sio_json.h"

/*
 * The reference server sends the CONNECT reply and the "auth" event in two
 * event-loop turns (engine.io flushes its write buffer after the previous
 * write completed), so a client reads them in two reads. The official test
 * suite depends on that: it attaches its next listener only after the first
 * message. We send "auth" CONF_AUTH_DELAY_MS after the reply, from a queue
 * served by one timer.
 */
#define CONF_AUTH_DELAY_MS 20

/* What a socket of conformance mode carries in sio_socket.user */
typedef struct conf_socket
{
	char	   *auth;			/* the compact auth payload, until "auth" is sent */
} conf_socket;

typedef struct conf_auth
{
	sio_socket *sock;			/* NULL once the socket is gone */
	uint64_t	due;
} conf_auth;

static uv_loop_t *conf_loop;
static uv_timer_t conf_timer;
static conf_auth *conf_queue;
static size_t conf_len;
static size_t conf_cap;

void
conf_init(uv_loop_t *loop)
{
	conf_loop = loop;
	uv_timer_init(loop, &conf_timer);
}

/* Emit ["auth", payload] to sock and forget the payload */
static void
conf_auth_send(sio_socket *sock)
{
	conf_socket *cs = sock->user;
	buf			ev = BUF_INIT;

	if (cs == NULL || cs->auth == NULL)
		return;
	buf_append_str(&ev, "[\"auth\",");
	buf_append_str(&ev, cs->auth);
	buf_append_char(&ev, ']');
	free(cs->auth);
	cs->auth = NULL;
	if (ev.p)
		sio_emit(sock, ev.p, ev.len);
	buf_free(&ev);
}

/* The queue's timer: send every "auth" that is due, rearm for the next */
static void
conf_timer_cb(uv_timer_t *t)
{
	uint64_t	now = uv_now(t->loop);
	size_t		done = 0;

	while (done < conf_len && conf_queue[done].due <= now)
	{
		sio_socket *sock = conf_queue[done++].sock;

		if (sock)
			conf_auth_send(sock);
	}
	memmove(conf_queue, conf_queue + done, (conf_len - done) * sizeof(conf_auth));
	conf_len -= done;
	if (conf_len)
		uv_timer_start(&conf_timer, conf_timer_cb, conf_queue[0].due - now, 0);
}

/* Send sock's "auth" CONF_AUTH_DELAY_MS from now (at once when out of memory) */
static void
conf_auth_queue(sio_socket *sock)
{
	if (conf_len == conf_cap)
	{
		size_t		cap = conf_cap ? conf_cap * 2 : 64;
		conf_auth  *q = realloc(conf_queue, cap * sizeof(*q));

		if (q == NULL)
		{
			conf_auth_send(sock);
			return;
		}
		conf_queue = q;
		conf_cap = cap;
	}
	conf_queue[conf_len++] = (conf_auth) {sock, uv_now(conf_loop) + CONF_AUTH_DELAY_MS};
	if (conf_len == 1)
		uv_timer_start(&conf_timer, conf_timer_cb, CONF_AUTH_DELAY_MS, 0);
}

/* sio_hooks.connect: accept, and answer with the auth payload a turn later */
static void
conf_connect(sio_socket *sock, const char *auth, size_t auth_len)
{
	conf_socket *cs = calloc(1, sizeof(*cs));
	buf			b = BUF_INIT;

	sio_connect_accept(sock);
	if (cs == NULL)
		return;					/* no "auth" event: the suite's test fails, the server goes on */
	if (auth)
		sjson_compact(&b, auth, auth_len);
	else
		buf_append_str(&b, "{}");
	cs->auth = buf_cstr(&b);
	sock->user = cs;
	conf_auth_queue(sock);
}

/* sio_hooks.socket_gone: the queue must not serve a freed socket */
static void
conf_socket_gone(sio_socket *sock)
{
	conf_socket *cs = sock->user;

	for (size_t i = 0; i < conf_len; i++)
		if (conf_queue[i].sock == sock)
			conf_queue[i].sock = NULL;
	if (cs)
		free(cs->auth);
	free(cs);
	sock->user = NULL;
}

/*
 * sio_hooks.binary_event (and, with no attachments, .event): the reference
 * handlers of the main namespace. "message" is echoed as "message-back",
 * "message-with-ack" is acknowledged with its arguments, binary attachments
 * are sent back as they came; anything else (and any event on /custom) is
 * ignored, with no UNKNOWN_EVENT ack.
 */
static void
conf_binary_event(sio_socket *sock, const sio_packet *p, char **att, size_t *att_len)
{
	bool		binary = p->type == SIO_BINARY_EVENT;
	buf			b = BUF_INIT;
	int			rc = -1;

	if (sock->nsp != 0)
		return;
	if (p->name_len == 9 && memcmp(p->name, "\"message\"", 9) == 0)
	{
		buf_append_str(&b, "[\"message-back\"");
		buf_append(&b, p->rest, p->rest_len);
		if (b.p)
			rc = sio_send(sock, binary ? SIO_BINARY_EVENT : SIO_EVENT, -1, p->attachments, b.p, b.len);
	}
	else if (p->name_len == 18 && memcmp(p->name, "\"message-with-ack\"", 18) == 0 && p->id >= 0)
	{
		buf_append_char(&b, '[');
		/* rest is `,a,b]` or `]` */
		buf_append(&b, p->rest[0] == ',' ? p->rest + 1 : p->rest, p->rest[0] == ',' ? p->rest_len - 1 : p->rest_len);
		if (b.p)
			rc = sio_send(sock, binary ? SIO_BINARY_ACK : SIO_ACK, p->id, p->attachments, b.p, b.len);
	}
	if (rc == 0 && binary)
		for (uint32_t i = 0; i < p->attachments; i++)
			sio_send_attachment(sock, att[i], att_len[i]);
	buf_free(&b);
}

/* sio_hooks.event: a text EVENT */
static void
conf_event(sio_socket *sock, const sio_packet *p)
{
	conf_binary_event(sock, p, NULL, NULL);
}

const sio_hooks conf_hooks = {
	.connect = conf_connect,
	.socket_gone = conf_socket_gone,
	.event = conf_event,
	.binary_event = conf_binary_event,
};
