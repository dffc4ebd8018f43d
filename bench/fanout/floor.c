/*
 * floor.c — the floor of the fan-out benchmark (bench/fanout/run): the least
 * any server must do to take an event from PostgreSQL to these WebSocket
 * clients, so the others can be compared with what this machine allows.
 *
 * It accepts WebSocket upgrades on /socket.io/ (any path), sends the Engine.IO
 * open packet, answers the Socket.IO CONNECT with a CONNECT reply, and takes
 * the client's room from its auth payload ("room":"…") without verifying
 * anything. It LISTENs on one channel of the database (--channel):
 *   roomcast      a notification is a hint (docs/protocol.md): it reads what is
 *                 new with roomcast.notifier_read(pos, control, 500), as the
 *                 notifier does, one query at a time, again while pages are full
 *                 or hints came meanwhile;
 *   anything else the event is in the payload, {"p":…,"r":…,"e":…,…,"d":…} with
 *                 "d" last (the benchmark's hand-written outbox).
 * For each event it builds the frame 42["<e>",<d>,"<p>"] once and writes those
 * same bytes to every socket of the room (the tenant room is everyone): one
 * write() per socket, a copy only when the kernel does not take all of it. No
 * heartbeats, no JSON parsing beyond finding the keys, no authentication, no
 * per-socket state but the room; control entries are skipped.
 *
 *   floor --port P --db CONNINFO [--channel NAME]
 *
 * Loopback only; runs until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define FL_IN_CAP 4096			/* handshake and CONNECT: one small request each */
#define FL_HASH 65536			/* user-room table slots (power of two, > 2 x clients) */
#define FL_MAX_CONNS 20000
#define FL_FRAME_MAX 70000		/* event data is at most 64 KiB (roomcast.max_event_bytes) */

typedef enum fl_state
{
	FL_HTTP = 0,
	FL_WS,						/* upgraded, waiting for the Socket.IO CONNECT */
	FL_READY,
	FL_CLOSED
} fl_state;

typedef struct fl_conn
{
	uv_tcp_t	tcp;
	fl_state	state;
	int			slot;			/* position in `all` while ready, else -1 */
	int			room;			/* user-room table slot, or -1 */
	struct fl_conn *next_in_room;
	uint32_t	in_len;
	char	   *in;				/* freed once the socket is ready */
} fl_conn;

typedef struct fl_room
{
	char	   *name;
	fl_conn    *head;
} fl_room;

static uv_loop_t *loop;
static uv_tcp_t server;
static fl_conn **all;			/* every ready socket: the tenant room */
static int	nall;
static fl_room rooms[FL_HASH];
static PGconn *pg;
static uv_poll_t pg_poll;
static uv_signal_t sig_term, sig_int;
static uint64_t deliveries, events, copies;
static bool read_mode;			/* roomcast: notifications are hints, read the log */
static bool reading;			/* a notifier_read is in flight */
static bool read_again;			/* a hint (or a full page) came since it was sent */
static long long after_pos, after_control;	/* the read cursors */

static void
free_cb(uv_handle_t *h)
{
	fl_conn    *c = (fl_conn *) h;

	free(c->in);
	free(c);
}

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t) s[i]) * 16777619u;
	return h;
}

/* The slot of room name[0..n), created when `create` (linear probing) */
static int
room_slot(const char *name, size_t n, bool create)
{
	uint32_t	i = hash(name, n) & (FL_HASH - 1);

	for (int probe = 0; probe < FL_HASH; probe++, i = (i + 1) & (FL_HASH - 1))
	{
		if (rooms[i].name == NULL)
		{
			if (!create)
				return -1;
			rooms[i].name = strndup(name, n);
			return rooms[i].name ? (int) i : -1;
		}
		if (strlen(rooms[i].name) == n && memcmp(rooms[i].name, name, n) == 0)
			return (int) i;
	}
	return -1;
}

static void
conn_close(fl_conn *c)
{
	if (c->state == FL_CLOSED)
		return;
	if (c->slot >= 0)
	{
		all[c->slot] = all[--nall];
		all[c->slot]->slot = c->slot;
	}
	if (c->room >= 0)
	{
		fl_conn   **pp = &rooms[c->room].head;

		while (*pp && *pp != c)
			pp = &(*pp)->next_in_room;
		if (*pp)
			*pp = c->next_in_room;
	}
	c->state = FL_CLOSED;
	uv_close((uv_handle_t *) &c->tcp, free_cb);
}

static void
write_cb(uv_write_t *req, int status)
{
	(void) status;
	free(req);
}

/* Write bytes to c: the kernel takes them whole almost always; copy the rest */
static void
conn_write(fl_conn *c, const char *data, size_t len)
{
	uv_buf_t	b = uv_buf_init((char *) data, (unsigned int) len);
	uv_write_t *req;
	int			n = 0;

	if (uv_stream_get_write_queue_size((uv_stream_t *) &c->tcp) == 0)
	{
		n = uv_try_write((uv_stream_t *) &c->tcp, &b, 1);
		if (n == (int) len)
			return;
		if (n < 0 && n != UV_EAGAIN)
		{
			conn_close(c);
			return;
		}
		if (n < 0)
			n = 0;
	}
	copies++;
	req = malloc(sizeof(*req) + len - (size_t) n);
	if (req == NULL)
		return;
	memcpy(req + 1, data + n, len - (size_t) n);
	b = uv_buf_init((char *) (req + 1), (unsigned int) (len - (size_t) n));
	if (uv_write(req, (uv_stream_t *) &c->tcp, &b, 1, write_cb) != 0)
		free(req);
}

/* A server text frame (unmasked) around text[0..n) into out; its length */
static size_t
frame(char *out, const char *text, size_t n)
{
	size_t		h = 2;

	out[0] = (char) 0x81;
	if (n < 126)
		out[1] = (char) n;
	else if (n < 65536)
	{
		out[1] = 126;
		out[2] = (char) (n >> 8);
		out[3] = (char) n;
		h = 4;
	}
	else
	{
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (char) ((uint64_t) n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, text, n);
	return h + n;
}

static void
send_text(fl_conn *c, const char *text)
{
	char		f[512];

	conn_write(c, f, frame(f, text, strlen(text)));
}

/* The HTTP upgrade: 101 with the accept key, then the Engine.IO open packet */
static void
on_request(fl_conn *c, char *head)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char	   *k = strcasestr(head, "\r\nSec-WebSocket-Key:");
	char		key[128],
				resp[512];
	unsigned char digest[SHA_DIGEST_LENGTH];
	unsigned char accept[64];
	size_t		n;

	if (k == NULL)
	{
		conn_close(c);
		return;
	}
	k += 20;
	while (*k == ' ')
		k++;
	n = strcspn(k, " \r");
	if (n == 0 || n > 64)
	{
		conn_close(c);
		return;
	}
	memcpy(key, k, n);
	memcpy(key + n, guid, sizeof(guid));
	SHA1((unsigned char *) key, n + sizeof(guid) - 1, digest);
	EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
	n = (size_t) snprintf(resp, sizeof(resp),
						  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
						  "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	conn_write(c, resp, n);
	if (c->state == FL_CLOSED)
		return;
	c->state = FL_WS;
	send_text(c, "0{\"sid\":\"floor\",\"upgrades\":[],\"pingInterval\":600000,\"pingTimeout\":600000,"
			  "\"maxPayload\":1000000}");
}

/* A Socket.IO CONNECT "40{…}": join the room named in the auth payload */
static void
on_connect_packet(fl_conn *c, const char *m, size_t n)
{
	const char *r = memmem(m, n, "\"room\"", 6),
			   *end = m + n;

	if (r != NULL)
	{
		const char *e;

		/* "room" : "…" (json_build_object puts spaces around the colon) */
		for (r += 6; r < end && (*r == ' ' || *r == ':'); r++)
			;
		if (r < end && *r == '"')
			r++;
		e = memchr(r, '"', (size_t) (end - r));
		if (e != NULL)
		{
			c->room = room_slot(r, (size_t) (e - r), true);
			if (c->room >= 0)
			{
				c->next_in_room = rooms[c->room].head;
				rooms[c->room].head = c;
			}
		}
	}
	c->slot = nall;
	all[nall++] = c;
	c->state = FL_READY;
	send_text(c, "40{\"sid\":\"floor\"}");
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
}

/* Client frames (masked): only the CONNECT matters; a close frame closes */
static void
process(fl_conn *c)
{
	uint32_t	off = 0;

	if (c->state == FL_HTTP)
	{
		char	   *end;

		c->in[c->in_len] = '\0';
		end = strstr(c->in, "\r\n\r\n");
		if (end == NULL)
			return;
		*end = '\0';
		on_request(c, c->in);
		off = (uint32_t) (end + 4 - c->in);
		if (c->state == FL_CLOSED)
			return;
	}
	while (c->state == FL_WS && c->in_len - off >= 6)
	{
		uint8_t    *p = (uint8_t *) c->in + off;
		size_t		len = p[1] & 0x7f,
					hl = 6;

		if (len == 126)
		{
			if (c->in_len - off < 8)
				break;
			len = ((size_t) p[2] << 8) | p[3];
			hl = 8;
		}
		else if (len == 127)
		{
			conn_close(c);
			return;
		}
		if (hl + len > FL_IN_CAP - 1)
		{
			conn_close(c);
			return;
		}
		if (c->in_len - off < hl + len)
			break;
		for (size_t i = 0; i < len; i++)
			p[hl + i] ^= p[hl - 4 + (i & 3)];
		if ((p[0] & 0x0f) == 0x8)
		{
			conn_close(c);
			return;
		}
		off += (uint32_t) (hl + len);
		if ((p[0] & 0x0f) == 0x1 && len >= 2 && p[hl] == '4' && p[hl + 1] == '0')
		{
			on_connect_packet(c, (char *) p + hl, len);
			return;				/* input after the CONNECT is not needed */
		}
	}
	if (c->in != NULL)
	{
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

static void
alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	static char sink[4096];		/* a ready socket's input (pongs, close) */
	fl_conn    *c = (fl_conn *) h;

	(void) sz;
	if (c->in == NULL)
	{
		b->base = sink;
		b->len = sizeof(sink);
		return;
	}
	b->base = c->in + c->in_len;
	b->len = FL_IN_CAP - 1 - c->in_len;
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	fl_conn    *c = (fl_conn *) s;

	(void) b;
	if (n == 0)
		return;
	if (n < 0)
	{
		conn_close(c);
		return;
	}
	if (c->in == NULL)
		return;					/* ready: nothing more is read from clients */
	c->in_len += (uint32_t) n;
	process(c);
	if (c->state != FL_CLOSED && c->in != NULL && c->in_len >= FL_IN_CAP - 1)
		conn_close(c);
}

static void
on_accept(uv_stream_t *srv, int status)
{
	fl_conn    *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->slot = c->room = -1;
	c->in = malloc(FL_IN_CAP);
	uv_tcp_init(loop, &c->tcp);
	if (c->in == NULL || uv_accept(srv, (uv_stream_t *) &c->tcp) != 0 || nall >= FL_MAX_CONNS)
	{
		c->state = FL_READY;	/* not in any list */
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_read_start((uv_stream_t *) &c->tcp, alloc_cb, read_cb);
}

/* The value of "key": in payload: a string's bytes (no escapes in these keys) or a number's */
static bool
field(const char *payload, const char *key, const char **v, size_t *n)
{
	char		pat[16];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(payload, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	if (*p == '"')
	{
		const char *e = strchr(++p, '"');

		if (e == NULL)
			return false;
		*v = p;
		*n = (size_t) (e - p);
		return true;
	}
	*v = p;
	*n = strspn(p, "0123456789");
	return *n > 0;
}

/*
 * One event: encode 42["event",data,"pos"] once and write the same bytes to
 * every member of room (the tenant room is everyone). data is JSON text.
 */
static void
deliver(const char *room, size_t rn, const char *event, size_t en, const char *data, size_t dn,
		const char *pos, size_t pn)
{
	static char text[FL_FRAME_MAX],
				out[FL_FRAME_MAX + 10];
	size_t		tn,
				fn;
	int			slot;

	if (en + dn + pn + 16 > sizeof(text))
	{
		fprintf(stderr, "floor: event of %zu bytes over the %d-byte frame buffer, dropped\n", dn, FL_FRAME_MAX);
		return;
	}
	tn = (size_t) snprintf(text, sizeof(text), "42[\"%.*s\",%.*s,\"%.*s\"]", (int) en, event, (int) dn, data,
						   (int) pn, pos);
	fn = frame(out, text, tn);
	events++;
	if (memmem(room, rn, ":user:", 6) == NULL)
	{
		/* the tenant room: everyone (a close during the loop swaps in the last socket) */
		for (int i = 0; i < nall; i++)
		{
			fl_conn    *c = all[i];

			conn_write(c, out, fn);
			deliveries++;
			if (c->state == FL_CLOSED)
				i--;
		}
		return;
	}
	slot = room_slot(room, rn, false);
	if (slot < 0)
		return;
	for (fl_conn * c = rooms[slot].head, *next; c != NULL; c = next)
	{
		next = c->next_in_room;
		conn_write(c, out, fn);
		deliveries++;
	}
}

/* Payload mode (the outbox): the event is in the notification itself, "d" last */
static void
on_payload(const char *payload)
{
	const char *r,
			   *e,
			   *p,
			   *d;
	size_t		rn,
				en,
				pn;

	if (!field(payload, "r", &r, &rn) || !field(payload, "e", &e, &en) || !field(payload, "p", &p, &pn) ||
		(d = strstr(payload, "\"d\":")) == NULL)
	{
		fprintf(stderr, "floor: notification ignored: %.120s\n", payload);
		return;
	}
	d += 4;
	deliver(r, rn, e, en, d, strlen(d) - 1, p, pn);	/* up to the closing brace */
}

/* Read mode (roomcast): ask for what is new after the cursors */
static void
read_start(void)
{
	char		a[24],
				b[24];
	const char *params[2] = {a, b};

	snprintf(a, sizeof(a), "%lld", after_pos);
	snprintf(b, sizeof(b), "%lld", after_control);
	if (!PQsendQueryParams(pg, "SELECT pos, room, event, data FROM roomcast.notifier_read($1, $2, 500)",
						   2, NULL, params, NULL, NULL, 0))
	{
		fprintf(stderr, "floor: notifier_read: %s", PQerrorMessage(pg));
		uv_stop(loop);
		return;
	}
	reading = true;
	read_again = false;
}

/* Read mode: deliver the rows of a notifier_read page, advance the cursors */
static void
read_rows(PGresult *r)
{
	int			nev = 0,
				nctl = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "floor: notifier_read: %s", PQresultErrorMessage(r));
		return;
	}
	for (int i = 0; i < PQntuples(r); i++)
	{
		long long	pos = atoll(PQgetvalue(r, i, 0));

		if (PQgetisnull(r, i, 1))
		{
			after_control = pos;	/* a control entry (keys, kick…): not part of this benchmark */
			nctl++;
			continue;
		}
		deliver(PQgetvalue(r, i, 1), (size_t) PQgetlength(r, i, 1), PQgetvalue(r, i, 2),
				(size_t) PQgetlength(r, i, 2), PQgetvalue(r, i, 3), (size_t) PQgetlength(r, i, 3),
				PQgetvalue(r, i, 0), (size_t) PQgetlength(r, i, 0));
		after_pos = pos;
		nev++;
	}
	if (nev == 500 || nctl == 500)
		read_again = true;		/* a full page: there may be more */
}

static void
pg_cb(uv_poll_t *h, int status, int ev)
{
	PGnotify   *n;

	(void) h;
	(void) status;
	(void) ev;
	if (!PQconsumeInput(pg))
	{
		fprintf(stderr, "floor: database: %s", PQerrorMessage(pg));
		uv_stop(loop);
		return;
	}
	while (reading && !PQisBusy(pg))
	{
		PGresult   *r = PQgetResult(pg);

		if (r == NULL)
		{
			reading = false;
			break;
		}
		read_rows(r);
		PQclear(r);
	}
	/* after the results: parsing them may have queued notifications too */
	while ((n = PQnotifies(pg)) != NULL)
	{
		if (read_mode)
			read_again = true;	/* a hint: whatever it says, read what is new */
		else
			on_payload(n->extra);
		PQfreemem(n);
	}
	if (read_mode && !reading && read_again)
		read_start();
}

static void
stop_cb(uv_signal_t *s, int sig)
{
	(void) s;
	(void) sig;
	fprintf(stderr, "floor: %llu events, %llu deliveries, %llu partial writes\n",
			(unsigned long long) events, (unsigned long long) deliveries, (unsigned long long) copies);
	uv_stop(loop);
}

int
main(int argc, char **argv)
{
	static struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"db", required_argument, NULL, 'd'},
		{"channel", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}
	};
	const char *db = "",
			   *channel = "roomcast";
	char		sql[128];
	struct sockaddr_in addr;
	PGresult   *r;
	int			port = 0,
				opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		switch (opt)
		{
			case 'p':
				port = atoi(optarg);
				break;
			case 'd':
				db = optarg;
				break;
			case 'c':
				channel = optarg;
				break;
			default:
				return 2;
		}
	if (port <= 0 || port > 65535 || strspn(channel, "abcdefghijklmnopqrstuvwxyz_") != strlen(channel))
	{
		fprintf(stderr, "usage: floor --port P --db CONNINFO [--channel NAME]\n");
		return 2;
	}
	all = calloc(FL_MAX_CONNS, sizeof(*all));
	pg = PQconnectdb(db);
	if (all == NULL || PQstatus(pg) != CONNECTION_OK)
	{
		fprintf(stderr, "floor: connect: %s", PQerrorMessage(pg));
		return 1;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "floor: LISTEN: %s", PQerrorMessage(pg));
		return 1;
	}
	PQclear(r);
	read_mode = strcmp(channel, "roomcast") == 0;
	if (read_mode)
	{
		/* after LISTEN, so nothing committed in between is missed: start where the logs end */
		r = PQexec(pg, "SELECT pos, control_id FROM roomcast.notifier_anchor()");
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		{
			fprintf(stderr, "floor: notifier_anchor: %s", PQerrorMessage(pg));
			return 1;
		}
		after_pos = atoll(PQgetvalue(r, 0, 0));
		after_control = atoll(PQgetvalue(r, 0, 1));
		PQclear(r);
	}

	loop = uv_default_loop();
	uv_tcp_init(loop, &server);
	uv_ip4_addr("127.0.0.1", port, &addr);
	if (uv_tcp_bind(&server, (const struct sockaddr *) &addr, 0) != 0 ||
		uv_listen((uv_stream_t *) &server, 4096, on_accept) != 0)
	{
		fprintf(stderr, "floor: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	uv_poll_init(loop, &pg_poll, PQsocket(pg));
	uv_poll_start(&pg_poll, UV_READABLE, pg_cb);
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, stop_cb, SIGTERM);
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, stop_cb, SIGINT);
	uv_run(loop, UV_RUN_DEFAULT);
	PQfinish(pg);
	return 0;
}
