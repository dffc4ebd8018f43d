/*
 * sio_sess.c — Socket.IO v5 session logic (see sio_sess.h).
 *
 * A client is created when an Engine.IO session opens at /socket.io/. Its
 * packets are decoded by sio_codec; a malformed packet closes the whole
 * Engine.IO session, as the reference server does. A binary packet waits for
 * its attachments (binary Engine.IO messages) before it is dispatched.
 *
 * Lifecycle (the rule in net.h): a socket is freed (socket_gone first) only
 * when its client disconnects it, the server disconnects or rejects it, or
 * its Engine.IO session closes, and never from inside a send: sending to a
 * failed or slow client only marks it, so callers walking rooms or queues
 * of sockets may send freely.
 */
#include "session/sio_sess.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "codec/sio_codec.h"
#include "rc_hmac.h"

/* A binary packet waiting for its attachments: allocated only then (memory per idle client) */
typedef struct sio_binary
{
	char	   *pending;		/* the packet */
	size_t		pending_len;
	uint32_t	att_expected;
	uint32_t	att_count;
	size_t		att_bytes;
	char	  **att;			/* attachments received so far */
	size_t	   *att_len;
} sio_binary;

struct sio_client
{
	eio_session *eio;
	sio_socket *sockets;
	sio_binary *bin;			/* NULL unless attachments are awaited */
};

static const notifier_opts *sio_opts;
static sio_hooks sio_hooks_g;
static char **nsp_names;		/* configured namespaces */
static size_t nsp_count;

/* Split a comma-separated namespace list; names must start with '/' */
static void
parse_namespaces(const char *list)
{
	char	   *copy = strdup(list);
	char	   *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		while (*tok == ' ')
			tok++;
		if (*tok != '/')
		{
			log_warn("namespace \"%s\" ignored: a namespace starts with '/'", tok);
			continue;
		}
		nsp_names = realloc(nsp_names, (nsp_count + 1) * sizeof(char *));
		nsp_names[nsp_count++] = strdup(tok);
	}
	free(copy);
}

void
sio_init(const notifier_opts *opts, const char *namespaces, const sio_hooks *hooks)
{
	sio_opts = opts;
	if (hooks)
		sio_hooks_g = *hooks;
	parse_namespaces(namespaces);
}

const char *
sio_nsp_name(const sio_socket *sock)
{
	return nsp_names[sock->nsp];
}

/*
 * sock's Socket.IO sid, made when needed instead of kept (16 bytes less per
 * socket): 20 base64url characters of an HMAC, under a key random per
 * process, of its Engine.IO session's sid and its namespace. The same for
 * the socket's whole life (a repeated CONNECT gets the same one), different
 * per session and namespace, and as unpredictable as a random one.
 */
static void
socket_sid(const sio_socket *sock, char out[EIO_SID_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static uint8_t key[32];
	static bool have_key;
	char		msg[EIO_SID_LEN + 16];
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	int			n;

	if (!have_key)
	{
		if (getrandom(key, sizeof(key), 0) != (ssize_t) sizeof(key))
			abort();			/* the kernel always has entropy after boot */
		have_key = true;
	}
	n = snprintf(msg, sizeof(msg), "%s:%u", sock->client->eio->sid, (unsigned) sock->nsp);
	rc_hmac(RC_HMAC_SHA256, key, sizeof(key), msg, (size_t) n, mac);
	for (int i = 0; i < EIO_SID_LEN; i++)
		out[i] = alphabet[mac[i] & 63];
	out[EIO_SID_LEN] = '\0';
}

/* Send one encoded Socket.IO packet as an Engine.IO message */
static int
send_packet(sio_client *cl, sio_type type, const char *nsp, int64_t id, uint32_t att,
			const char *data, size_t len)
{
	buf			b = BUF_INIT;
	int			rc;

	if (sio_encode(&b, type, nsp, strlen(nsp), id, att, data, len) < 0)
	{
		buf_free(&b);
		return -1;
	}
	rc = eio_send(cl->eio, EIO_MESSAGE, false, b.p, b.len);
	buf_free(&b);
	return rc;
}

static void
drop_pending(sio_client *cl)
{
	sio_binary *b = cl->bin;

	if (b == NULL)
		return;
	for (uint32_t i = 0; i < b->att_count; i++)
		free(b->att[i]);
	free(b->att);
	free(b->att_len);
	free(b->pending);
	free(b);
	cl->bin = NULL;
}

void
sio_on_open(eio_session *s)
{
	sio_client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
	{
		eio_close(s, "out of memory", 1011);
		return;
	}
	cl->eio = s;
	s->app = cl;
	eio_set_connect_timeout(s, sio_opts->connect_timeout);
}

static void
socket_free(sio_socket *sock)
{
	if (sock->state == SIO_S_CONNECTED)
		metrics_g.sockets--;
	if (sio_hooks_g.socket_gone)
		sio_hooks_g.socket_gone(sock);
	free(sock);
}

void
sio_on_close(eio_session *s, const char *reason)
{
	sio_client *cl = s->app;

	if (cl == NULL)
		return;
	log_debug("socket.io client %s closed: %s", s->sid, reason);
	while (cl->sockets)
	{
		sio_socket *next = cl->sockets->next;

		socket_free(cl->sockets);
		cl->sockets = next;
	}
	drop_pending(cl);
	free(cl);
	s->app = NULL;
}

void
sio_on_connect_timeout(eio_session *s)
{
	sio_client *cl = s->app;
	size_t		n = 0;

	if (cl == NULL || sio_hooks_g.connect_expired == NULL)
		return;
	for (sio_socket *sock = cl->sockets; sock; sock = sock->next)
		n++;
	/* the hook frees the socket it rejects: look again from the head, at most once per socket */
	while (n-- > 0)
	{
		sio_socket *sock = cl->sockets;

		while (sock && sock->state == SIO_S_CONNECTED)
			sock = sock->next;
		if (sock == NULL)
			return;
		sio_hooks_g.connect_expired(sock);
	}
}

static sio_socket *
find_socket(sio_client *cl, const char *nsp, size_t len)
{
	for (sio_socket *sock = cl->sockets; sock; sock = sock->next)
		if (sio_nsp_eq(nsp, len, nsp_names[sock->nsp]))
			return sock;
	return NULL;
}

void
sio_connect_accept(sio_socket *sock)
{
	sio_connect_accept_pid(sock, NULL);
}

void
sio_connect_accept_pid(sio_socket *sock, const char *pid)
{
	char		reply[48 + SIO_MAX_PID];
	char		sid[EIO_SID_LEN + 1];

	if (sock->state == SIO_S_CONNECTED)
		return;
	socket_sid(sock, sid);
	sock->state = SIO_S_CONNECTED;
	metrics_g.sockets++;
	eio_set_connect_timeout(sock->client->eio, 0);
	/* the pid's alphabet needs no JSON escape (sio_sess.h); a longer one is left out */
	if (pid && *pid && strlen(pid) <= SIO_MAX_PID)
		snprintf(reply, sizeof(reply), "{\"sid\":\"%s\",\"pid\":\"%s\"}", sid, pid);
	else
		snprintf(reply, sizeof(reply), "{\"sid\":\"%s\"}", sid);
	send_packet(sock->client, SIO_CONNECT, nsp_names[sock->nsp], -1, 0, reply, strlen(reply));
}

void
sio_connect_reject(sio_socket *sock, const char *data_json)
{
	sio_client *cl = sock->client;

	send_packet(cl, SIO_CONNECT_ERROR, nsp_names[sock->nsp], -1, 0, data_json, strlen(data_json));
	for (sio_socket **pp = &cl->sockets; *pp; pp = &(*pp)->next)
		if (*pp == sock)
		{
			*pp = sock->next;
			break;
		}
	socket_free(sock);
}

int
sio_emit(sio_socket *sock, const char *args_json, size_t len)
{
	return send_packet(sock->client, SIO_EVENT, nsp_names[sock->nsp], -1, 0, args_json, len);
}

int
sio_ack(sio_socket *sock, int64_t id, const char *args_json, size_t len)
{
	return send_packet(sock->client, SIO_ACK, nsp_names[sock->nsp], id, 0, args_json, len);
}

int
sio_send(sio_socket *sock, sio_type type, int64_t id, uint32_t attachments, const char *data, size_t len)
{
	return send_packet(sock->client, type, nsp_names[sock->nsp], id, attachments, data, len);
}

int
sio_send_attachment(sio_socket *sock, const char *data, size_t len)
{
	return eio_send(sock->client->eio, EIO_MESSAGE, true, data, len);
}

int
sio_nsp_index(const char *name, size_t len)
{
	for (size_t i = 0; i < nsp_count; i++)
		if (sio_nsp_eq(name, len, nsp_names[i]))
			return (int) i;
	return -1;
}

int
sio_send_packet(sio_socket *sock, const char *packet, size_t len)
{
	return eio_send(sock->client->eio, EIO_MESSAGE, false, packet, len);
}

frame *
sio_packet_frame(const char *packet, size_t len)
{
	return eio_message_frame(packet, len);
}

int
sio_send_frame(sio_socket *sock, frame *f)
{
	return eio_send_frame(sock->client->eio, f);
}

void
sio_disconnect(sio_socket *sock)
{
	sio_client *cl = sock->client;

	send_packet(cl, SIO_DISCONNECT, nsp_names[sock->nsp], -1, 0, NULL, 0);
	for (sio_socket **pp = &cl->sockets; *pp; pp = &(*pp)->next)
		if (*pp == sock)
		{
			*pp = sock->next;
			break;
		}
	socket_free(sock);
}

void
sio_close_client(sio_socket *sock, const char *reason)
{
	eio_close(sock->client->eio, reason, 1000);
}

bool
sio_socket_alive(const sio_socket *sock)
{
	const eio_session *s = sock->client->eio;

	if (sock->state != SIO_S_CONNECTED || s->closed || s->slow)
		return false;
	return s->transport != EIO_T_WEBSOCKET || net_conn_alive(s->ws);
}

const char *
sio_handshake_token(const sio_socket *sock)
{
	return sock->client->eio->hs_token;
}

/* CONNECT: refuse unknown namespaces; otherwise ask the hook */
static void
on_connect(sio_client *cl, const sio_packet *p)
{
	sio_socket *sock;
	size_t		idx;

	for (idx = 0; idx < nsp_count; idx++)
		if (sio_nsp_eq(p->nsp, p->nsp_len, nsp_names[idx]))
			break;
	if (idx == nsp_count)
	{
		buf			b = BUF_INIT;
		static const char err[] = "{\"message\":\"Invalid namespace\"}";

		if (sio_encode(&b, SIO_CONNECT_ERROR, p->nsp, p->nsp_len, -1, 0, err, sizeof(err) - 1) == 0)
			eio_send(cl->eio, EIO_MESSAGE, false, b.p, b.len);
		buf_free(&b);
		return;
	}
	if ((sock = find_socket(cl, p->nsp, p->nsp_len)) != NULL)
	{
		/* a second CONNECT to the same namespace: repeat the reply */
		if (sock->state == SIO_S_CONNECTED)
		{
			sock->state = SIO_S_CONNECTING;
			metrics_g.sockets--;
			sio_connect_accept(sock);
		}
		return;
	}
	sock = calloc(1, sizeof(*sock));
	if (sock == NULL)
	{
		eio_close(cl->eio, "out of memory", 1011);
		return;
	}
	sock->client = cl;
	sock->nsp = (uint16_t) idx;
	sock->next = cl->sockets;
	cl->sockets = sock;
	if (sio_hooks_g.connect)
		sio_hooks_g.connect(sock, p->data, p->data_len);
	else
		sio_connect_accept(sock);
}

static void
on_disconnect(sio_client *cl, const sio_packet *p)
{
	for (sio_socket **pp = &cl->sockets; *pp; pp = &(*pp)->next)
		if (sio_nsp_eq(p->nsp, p->nsp_len, nsp_names[(*pp)->nsp]))
		{
			sio_socket *sock = *pp;

			*pp = sock->next;
			socket_free(sock);
			return;
		}
}

/*
 * Dispatch an EVENT (with its attachments, if binary) to the hooks. An event
 * no hook takes gets an UNKNOWN_EVENT error when it asks for an ack.
 */
static void
on_event(sio_client *cl, sio_socket *sock, const sio_packet *p, char **att, size_t *att_len)
{
	static const char err[] =
	"[{\"error\":{\"code\":\"UNKNOWN_EVENT\",\"message\":\"no handler for this event\"}}]";

	metrics_g.events_received++;
	if (p->type == SIO_BINARY_EVENT && sio_hooks_g.binary_event)
	{
		sio_hooks_g.binary_event(sock, p, att, att_len);
		return;
	}
	if (p->type == SIO_EVENT && sio_hooks_g.event)
	{
		sio_hooks_g.event(sock, p);
		return;
	}
	if (p->id >= 0)
		send_packet(cl, SIO_ACK, nsp_names[sock->nsp], p->id, 0, err, sizeof(err) - 1);
}

/* Dispatch a complete packet; attachments only for binary packets */
static void
dispatch(sio_client *cl, const sio_packet *p, char **att, size_t *att_len)
{
	sio_socket *sock;

	if (p->type == SIO_CONNECT)
	{
		on_connect(cl, p);
		return;
	}
	sock = find_socket(cl, p->nsp, p->nsp_len);
	if (sock == NULL || sock->state != SIO_S_CONNECTED)
		return;					/* the reference ignores packets for other namespaces */
	switch (p->type)
	{
		case SIO_DISCONNECT:
			on_disconnect(cl, p);
			break;
		case SIO_EVENT:
		case SIO_BINARY_EVENT:
			on_event(cl, sock, p, att, att_len);
			break;
		default:
			break;				/* ACK (no server-side acks yet), CONNECT_ERROR: ignored */
	}
}

void
sio_on_message(eio_session *s, bool binary, const char *data, size_t len)
{
	sio_client *cl = s->app;
	sio_packet	p;
	int			rc;

	if (cl == NULL)
		return;
	if (binary)
	{
		sio_binary *b = cl->bin;

		if (b == NULL)
		{
			log_debug("client %s: binary data without a binary packet", s->sid);
			metrics_g.drops[DROP_MALFORMED]++;
			eio_close(s, "parse error", 1000);
			return;
		}
		if (b->att_bytes + len > sio_opts->max_payload)
		{
			metrics_g.drops[DROP_TOO_BIG]++;
			eio_close(s, "attachments over max-payload", 1009);
			return;
		}
		b->att[b->att_count] = malloc(len ? len : 1);
		if (b->att[b->att_count] == NULL)
		{
			eio_close(s, "out of memory", 1011);
			return;
		}
		memcpy(b->att[b->att_count], data, len);
		b->att_len[b->att_count++] = len;
		b->att_bytes += len;
		if (b->att_count < b->att_expected)
			return;
		/* complete: re-decode the held packet (it still points into pending) */
		sio_decode(b->pending, b->pending_len, &p);
		dispatch(cl, &p, b->att, b->att_len);
		if (s->app == cl)
			drop_pending(cl);
		return;
	}
	if (cl->bin)
	{
		/* a text packet while attachments are awaited: the reference errors */
		metrics_g.drops[DROP_MALFORMED]++;
		eio_close(s, "parse error", 1000);
		return;
	}
	rc = sio_decode(data, len, &p);
	if (rc != SIO_OK)
	{
		log_debug("client %s: malformed Socket.IO packet: %s", s->sid, sio_strerror(rc));
		metrics_g.drops[DROP_MALFORMED]++;
		eio_close(s, "parse error", 1000);
		return;
	}
	if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0)
	{
		sio_binary *b = cl->bin = calloc(1, sizeof(*b));

		if (b == NULL || (b->pending = malloc(len)) == NULL ||
			(b->att = calloc(p.attachments, sizeof(char *))) == NULL ||
			(b->att_len = calloc(p.attachments, sizeof(size_t))) == NULL)
		{
			eio_close(s, "out of memory", 1011);	/* sio_on_close frees what was allocated */
			return;
		}
		memcpy(b->pending, data, len);
		b->pending_len = len;
		b->att_expected = p.attachments;
		return;
	}
	dispatch(cl, &p, NULL, NULL);
}
