/*
 * fanclients.c — the load process of the fan-out benchmark (bench/fanout/run).
 *
 * Opens N authenticated Socket.IO clients over WebSocket to
 * 127.0.0.1:PORT/socket.io/ (Engine.IO v4 handshake, then a Socket.IO CONNECT
 * to "/" carrying line F+i of the --auth file as its auth payload, e.g.
 * {"token":"<JWT>","room":"tenant:…:user:…"}), answers every ping, and records
 * for every `bench` event the client's index, the event's "n" and the receive
 * time (CLOCK_REALTIME, one reading per read(): all processes of the run are
 * on one machine, so the emitter's clock is the same clock).
 *
 * Works against any of the three servers of the benchmark (roomcast-notifier,
 * the Node.js peer, the floor), which all speak the same wire format.
 * With --tls every client first does a full TLS handshake (OpenSSL, SNI
 * "localhost", ALPN http/1.1, no session resumption, the certificate not
 * verified: a loopback benchmark of the server's cost, bench/tls/run) and
 * speaks the same bytes inside it.
 *
 *   fanclients --port P --auth FILE --first F --clients N --out FILE
 *              [--concurrency K] [--max-seconds S] [--tls]
 *
 * stdout: {"phase":"connect",…} once every client is connected or refused
 * (the script waits for it), then {"phase":"done",…} at the end. SIGUSR1
 * starts the drain: the process ends once no event arrived for 500 ms
 * (at most 10 s later) and writes "index n pos recv_ns" lines to --out. Bounded:
 * at most 10,000 clients, 1 hour, 8 M records; only 127.0.0.1 is contacted.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define FC_IN_CAP 4096			/* bytes of unparsed input per client */
#define FC_MAX_CLIENTS 10000
#define FC_MAX_RECORDS (8u << 20)
#define FC_AUTH_MAX 2048		/* one auth payload */
#define FC_QUIET_NS 500000000ull	/* drain ends after this long without events */
#define FC_DRAIN_MAX_NS 10000000000ull

typedef enum fc_state
{
	FC_CONNECTING = 0,
	FC_UPGRADING,				/* waiting for 101 */
	FC_OPENING,					/* waiting for the Engine.IO open packet */
	FC_JOINING,					/* waiting for the CONNECT reply */
	FC_READY,
	FC_CLOSED
} fc_state;

typedef struct fc_client
{
	uv_tcp_t	tcp;
	uv_connect_t creq;
	fc_state	state;
	uint32_t	index;			/* global index: line of the auth file */
	uint32_t	in_len;
	char	   *auth;			/* the CONNECT auth payload */
	SSL		   *ssl;			/* --tls: the session (memory BIOs), else NULL */
	BIO		   *rbio;			/* ciphertext read, for OpenSSL */
	BIO		   *wbio;			/* ciphertext OpenSSL wrote, to send */
	char		in[FC_IN_CAP];
} fc_client;

typedef struct fc_record
{
	uint32_t	index;
	uint32_t	n;
	uint64_t	pos;			/* the last argument: the event's position */
	int64_t		recv_ns;
} fc_record;

static uv_loop_t *loop;
static fc_client *clients;
static int	nclients;
static int	first;
static int	port;
static int	concurrency = 200;
static double max_seconds = 600;
static const char *out_path;
static int	started, in_flight, ready, refused, closed_before, closed_after;
static uint64_t t_start;
static bool connect_reported;
static bool draining;
static uint64_t drain_start;
static uint64_t last_event;
static fc_record *records;
static size_t nrec, rec_cap;
static uint64_t dropped_records;
static uint64_t pings;
static uint64_t bad_events;
static int64_t read_now;		/* CLOCK_REALTIME of the current read */
static uv_timer_t tick;
static uv_signal_t usr1;
static SSL_CTX *tls_ctx;		/* --tls */
static int	tls_failures;
static char tls_rbuf[65536];	/* ciphertext reads land here */

static void start_more(void);
static void finish(void);
static void client_close(fc_client *c);

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
write_cb(uv_write_t *req, int status)
{
	(void) status;
	free(req);
}

/* Write bytes: try the kernel first, queue a copy of what it did not take */
static void
send_tcp(fc_client *c, const void *data, size_t len)
{
	uv_write_t *req;
	uv_buf_t	b;
	int			n = 0;

	if (c->state == FC_CLOSED)
		return;
	if (uv_stream_get_write_queue_size((uv_stream_t *) &c->tcp) == 0)
	{
		b = uv_buf_init((char *) data, (unsigned int) len);
		n = uv_try_write((uv_stream_t *) &c->tcp, &b, 1);
		if (n == (int) len)
			return;
		if (n < 0)
			n = 0;
	}
	data = (const char *) data + n;
	len -= (size_t) n;
	req = malloc(sizeof(*req) + len);
	if (req == NULL)
		return;
	memcpy(req + 1, data, len);
	b = uv_buf_init((char *) (req + 1), (unsigned int) len);
	if (uv_write(req, (uv_stream_t *) &c->tcp, &b, 1, write_cb) != 0)
		free(req);
}

/* --tls: send what OpenSSL wrote to the memory BIO */
static void
tls_flush(fc_client *c)
{
	char		b[16384];
	int			n;

	while (c->ssl && (n = BIO_read(c->wbio, b, sizeof(b))) > 0)
		send_tcp(c, b, (size_t) n);
}

/* Write plaintext: through TLS with --tls */
static void
send_raw(fc_client *c, const void *data, size_t len)
{
	if (c->ssl == NULL)
	{
		send_tcp(c, data, len);
		return;
	}
	if (c->state == FC_CLOSED)
		return;
	if (SSL_write(c->ssl, data, (int) len) <= 0)
	{
		client_close(c);
		return;
	}
	tls_flush(c);
}

/* Send a masked text frame of prefix + body (together under 64 KiB) */
static void
send_text2(fc_client *c, const char *prefix, const char *body)
{
	uint8_t		f[FC_AUTH_MAX + 16];
	size_t		lp = strlen(prefix),
				lb = body ? strlen(body) : 0,
				n = lp + lb,
				h;
	uint32_t	r = (uint32_t) rand();
	uint8_t		mask[4] = {(uint8_t) r, (uint8_t) (r >> 8), (uint8_t) (r >> 16), (uint8_t) (r >> 24)};

	if (n > FC_AUTH_MAX)
		return;
	f[0] = 0x81;
	if (n < 126)
	{
		f[1] = (uint8_t) (0x80 | n);
		h = 2;
	}
	else
	{
		f[1] = 0x80 | 126;
		f[2] = (uint8_t) (n >> 8);
		f[3] = (uint8_t) n;
		h = 4;
	}
	memcpy(f + h, mask, 4);
	h += 4;
	memcpy(f + h, prefix, lp);
	if (lb)
		memcpy(f + h + lp, body, lb);
	for (size_t i = 0; i < n; i++)
		f[h + i] ^= mask[i & 3];
	send_raw(c, f, h + n);
}

static void
close_cb(uv_handle_t *h)
{
	(void) h;
}

static void
client_close(fc_client *c)
{
	if (c->state == FC_CLOSED)
		return;
	if (c->state < FC_READY)
	{
		in_flight--;
		closed_before++;
	}
	else
	{
		ready--;
		closed_after++;
	}
	c->state = FC_CLOSED;
	SSL_free(c->ssl);			/* frees both BIOs */
	c->ssl = NULL;
	uv_close((uv_handle_t *) &c->tcp, close_cb);
	start_more();
}

static void
record(fc_client *c, uint32_t n, uint64_t pos)
{
	if (nrec == rec_cap)
	{
		size_t		cap = rec_cap ? rec_cap * 2 : 1 << 16;
		fc_record  *r;

		if (cap > FC_MAX_RECORDS || (r = realloc(records, cap * sizeof(*r))) == NULL)
		{
			dropped_records++;
			return;
		}
		records = r;
		rec_cap = cap;
	}
	records[nrec].index = c->index;
	records[nrec].n = n;
	records[nrec].pos = pos;
	records[nrec].recv_ns = read_now;
	nrec++;
}

/* One `bench` event: 42["bench",{"n":N,…},"POS"]. Anything else is ignored. */
static void
on_event(fc_client *c, const char *m, size_t len)
{
	static const char pre[] = "42[\"bench\",";
	const char *p,
			   *end = m + len;
	unsigned long n = 0;
	uint64_t	pos = 0;

	if (len < sizeof(pre) - 1 || memcmp(m, pre, sizeof(pre) - 1) != 0)
		return;
	p = memmem(m, len, "\"n\":", 4);
	if (p != NULL)				/* jsonb's text form has a space after the colon */
		for (p += 4; p < end && *p == ' '; p++)
			;
	if (p == NULL || p >= end || *p < '0' || *p > '9')
	{
		bad_events++;
		return;
	}
	while (p < end && *p >= '0' && *p <= '9' && n < 0xffffffffUL / 10)
		n = n * 10 + (unsigned long) (*p++ - '0');
	/* the position: the last argument, a string of digits */
	if (len > 4 && m[len - 1] == ']' && m[len - 2] == '"')
	{
		const char *q = end - 3;

		while (q > m && *q >= '0' && *q <= '9')
			q--;
		if (*q == '"')
			for (q++; q < end - 2; q++)
				pos = pos * 10 + (uint64_t) (*q - '0');
	}
	last_event = uv_hrtime();
	record(c, (uint32_t) n, pos);
}

/* Handle one text message from the server */
static void
on_message(fc_client *c, const char *m, size_t n)
{
	if (n == 1 && m[0] == '2')
	{
		send_text2(c, "3", NULL);
		pings++;
		return;
	}
	if (c->state == FC_OPENING && n > 0 && m[0] == '0')
	{
		c->state = FC_JOINING;
		send_text2(c, "40", c->auth);
		return;
	}
	if (c->state == FC_JOINING && n >= 2 && m[0] == '4' && m[1] == '0')
	{
		c->state = FC_READY;
		in_flight--;
		ready++;
		start_more();
		return;
	}
	if (c->state == FC_JOINING && n >= 2 && m[0] == '4' && m[1] == '4')
	{
		if (refused++ < 3)
			fprintf(stderr, "fanclients: client %u refused: %.*s\n", c->index, (int) (n > 300 ? 300 : n), m);
		client_close(c);
		return;
	}
	if (c->state == FC_READY && n > 2 && m[0] == '4' && m[1] == '2')
		on_event(c, m, n);
}

/* Parse the 101 response, then server frames (unmasked) */
static void
process(fc_client *c)
{
	uint32_t	off = 0;

	if (c->state == FC_UPGRADING)
	{
		char	   *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);

		if (end == NULL)
			return;
		if (c->in_len < 12 || memcmp(c->in + 9, "101", 3) != 0)
		{
			fprintf(stderr, "fanclients: upgrade refused: %.*s\n", (int) (c->in_len > 80 ? 80 : c->in_len), c->in);
			client_close(c);
			return;
		}
		off = (uint32_t) (end + 4 - c->in);
		c->state = FC_OPENING;
	}
	while (c->in_len - off >= 2)
	{
		uint8_t    *p = (uint8_t *) c->in + off;
		uint64_t	len = p[1] & 0x7f;
		uint32_t	hl = 2;

		if (len == 126)
		{
			if (c->in_len - off < 4)
				break;
			len = ((uint64_t) p[2] << 8) | p[3];
			hl = 4;
		}
		else if (len == 127 || len + 4 > FC_IN_CAP)
		{
			client_close(c);	/* no message of this benchmark is that large */
			return;
		}
		if (c->in_len - off < hl + len)
			break;
		if ((p[0] & 0x0f) == 0x8)
		{
			client_close(c);
			return;
		}
		if ((p[0] & 0x0f) == 0x1)
			on_message(c, (char *) p + hl, (size_t) len);
		off += hl + (uint32_t) len;
		if (c->state == FC_CLOSED)
			return;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void
alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	fc_client  *c = (fc_client *) h;

	(void) sz;
	if (c->ssl)
	{
		b->base = tls_rbuf;
		b->len = sizeof(tls_rbuf);
		return;
	}
	b->base = c->in + c->in_len;
	b->len = FC_IN_CAP - c->in_len;
}

/* Ask for the WebSocket upgrade (plain: once connected; --tls: once the handshake is done) */
static void
send_upgrade(fc_client *c)
{
	char		hs[512];

	c->state = FC_UPGRADING;
	snprintf(hs, sizeof(hs),
			 "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n", port);
	send_raw(c, hs, strlen(hs));
}

/* --tls: ciphertext read; finish the handshake, then process the plaintext as usual */
static void
tls_read(fc_client *c, const char *data, size_t n)
{
	BIO_write(c->rbio, data, (int) n);
	if (!SSL_is_init_finished(c->ssl))
	{
		int			rc = SSL_do_handshake(c->ssl);

		tls_flush(c);
		if (rc != 1)
		{
			if (SSL_get_error(c->ssl, rc) != SSL_ERROR_WANT_READ)
			{
				if (tls_failures++ < 3)
					fprintf(stderr, "fanclients: client %u: TLS handshake failed: %s\n", c->index,
							ERR_error_string(ERR_get_error(), NULL));
				client_close(c);
			}
			return;
		}
		send_upgrade(c);
		if (c->state == FC_CLOSED)
			return;
	}
	for (;;)
	{
		int			got = SSL_read(c->ssl, c->in + c->in_len, (int) (FC_IN_CAP - c->in_len));

		if (got <= 0)
		{
			if (SSL_get_error(c->ssl, got) != SSL_ERROR_WANT_READ)
				client_close(c);
			return;
		}
		c->in_len += (uint32_t) got;
		process(c);
		if (c->state == FC_CLOSED)
			return;
		if (c->in_len == FC_IN_CAP)
		{
			client_close(c);
			return;
		}
	}
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	fc_client  *c = (fc_client *) s;

	(void) b;
	if (n == 0)
		return;
	if (n < 0)
	{
		client_close(c);
		return;
	}
	read_now = realtime_ns();
	if (c->ssl)
	{
		tls_read(c, b->base, (size_t) n);
		return;
	}
	c->in_len += (uint32_t) n;
	process(c);
	if (c->state != FC_CLOSED && c->in_len == FC_IN_CAP)
		client_close(c);
}

static void
connect_cb(uv_connect_t *req, int status)
{
	fc_client  *c = req->data;

	if (status < 0)
	{
		client_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (tls_ctx == NULL)
		send_upgrade(c);
	else
	{
		c->ssl = SSL_new(tls_ctx);
		c->rbio = BIO_new(BIO_s_mem());
		c->wbio = BIO_new(BIO_s_mem());
		if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL)
		{
			BIO_free(c->rbio);
			BIO_free(c->wbio);
			client_close(c);
			return;
		}
		SSL_set_bio(c->ssl, c->rbio, c->wbio);
		SSL_set_connect_state(c->ssl);
		SSL_set_tlsext_host_name(c->ssl, "localhost");
		SSL_do_handshake(c->ssl);	/* the ClientHello */
		tls_flush(c);
	}
	uv_read_start((uv_stream_t *) &c->tcp, alloc_cb, read_cb);
}

/* Keep at most `concurrency` handshakes in flight */
static void
start_more(void)
{
	struct sockaddr_in addr;

	uv_ip4_addr("127.0.0.1", port, &addr);
	while (started < nclients && in_flight < concurrency)
	{
		fc_client  *c = &clients[started++];

		in_flight++;
		uv_tcp_init(loop, &c->tcp);
		c->creq.data = c;
		if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *) &addr, connect_cb) != 0)
		{
			c->state = FC_CLOSED;
			in_flight--;
			closed_before++;
		}
	}
}

/* Write the records and the summary, then stop the loop */
static void
finish(void)
{
	FILE	   *f = fopen(out_path, "w");

	if (f != NULL)
	{
		for (size_t i = 0; i < nrec; i++)
			fprintf(f, "%u %u %llu %lld\n", records[i].index, records[i].n,
					(unsigned long long) records[i].pos, (long long) records[i].recv_ns);
		fclose(f);
	}
	else
		perror(out_path);
	printf("{\"phase\":\"done\",\"first\":%d,\"clients\":%d,\"ready\":%d,\"closed_after_connect\":%d,"
		   "\"records\":%zu,\"dropped_records\":%llu,\"bad_events\":%llu,\"pings_answered\":%llu}\n",
		   first, nclients, ready, closed_after, nrec, (unsigned long long) dropped_records,
		   (unsigned long long) bad_events, (unsigned long long) pings);
	fflush(stdout);
	uv_stop(loop);
}

static void
tick_cb(uv_timer_t *t)
{
	uint64_t	now = uv_hrtime();

	(void) t;
	if (!connect_reported && started == nclients && in_flight == 0)
	{
		connect_reported = true;
		printf("{\"phase\":\"connect\",\"first\":%d,\"clients\":%d,\"connected\":%d,\"refused\":%d,"
			   "\"failed\":%d,\"seconds\":%.3f}\n",
			   first, nclients, ready, refused, closed_before - refused, (double) (now - t_start) / 1e9);
		fflush(stdout);
	}
	if (draining && ((now - last_event > FC_QUIET_NS && now - drain_start > FC_QUIET_NS) ||
					 now - drain_start > FC_DRAIN_MAX_NS))
		finish();
	else if (now - t_start > (uint64_t) (max_seconds * 1e9))
	{
		fprintf(stderr, "fanclients: --max-seconds reached\n");
		finish();
	}
}

static void
usr1_cb(uv_signal_t *s, int sig)
{
	(void) s;
	(void) sig;
	if (!draining)
	{
		draining = true;
		drain_start = uv_hrtime();
	}
}

/* Read lines first..first+n-1 of the auth file (one JSON object per line) */
static int
load_auth(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	int			lineno = 0,
				got = 0;

	if (f == NULL)
	{
		perror(path);
		return -1;
	}
	while (got < nclients && (len = getline(&line, &cap, f)) > 0)
	{
		if (lineno++ < first)
			continue;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || len > FC_AUTH_MAX - 2)
			break;
		clients[got].auth = strdup(line);
		clients[got].index = (uint32_t) (first + got);
		if (clients[got].auth == NULL)
			break;
		got++;
	}
	free(line);
	fclose(f);
	if (got < nclients)
	{
		fprintf(stderr, "fanclients: %s has %d usable lines from %d, need %d\n", path, got, first, nclients);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"auth", required_argument, NULL, 'a'},
		{"first", required_argument, NULL, 'f'},
		{"clients", required_argument, NULL, 'n'},
		{"out", required_argument, NULL, 'o'},
		{"concurrency", required_argument, NULL, 'c'},
		{"max-seconds", required_argument, NULL, 'm'},
		{"tls", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0}
	};
	const char *auth_path = NULL;
	int			opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		switch (opt)
		{
			case 'p':
				port = atoi(optarg);
				break;
			case 'a':
				auth_path = optarg;
				break;
			case 'f':
				first = atoi(optarg);
				break;
			case 'n':
				nclients = atoi(optarg);
				break;
			case 'o':
				out_path = optarg;
				break;
			case 'c':
				concurrency = atoi(optarg);
				break;
			case 'm':
				max_seconds = atof(optarg);
				break;
			case 't':
				tls_ctx = SSL_CTX_new(TLS_client_method());
				if (tls_ctx == NULL)
					return 1;
				SSL_CTX_set_alpn_protos(tls_ctx, (const unsigned char *) "\x08http/1.1", 9);
				SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
				break;
			default:
				fprintf(stderr, "usage: fanclients --port P --auth FILE --first F --clients N --out FILE "
						"[--concurrency K] [--max-seconds S] [--tls]\n");
				return 2;
		}
	if (port <= 0 || port > 65535 || nclients <= 0 || nclients > FC_MAX_CLIENTS || first < 0 ||
		auth_path == NULL || out_path == NULL || concurrency <= 0 || max_seconds <= 0 || max_seconds > 3600)
	{
		fprintf(stderr, "fanclients: need --port, --auth, --out, 1..%d clients, max-seconds up to 3600\n",
				FC_MAX_CLIENTS);
		return 2;
	}
	clients = calloc((size_t) nclients, sizeof(*clients));
	if (clients == NULL || load_auth(auth_path) != 0)
		return 1;
	srand((unsigned) getpid());
	loop = uv_default_loop();
	uv_timer_init(loop, &tick);
	uv_signal_init(loop, &usr1);
	uv_signal_start(&usr1, usr1_cb, SIGUSR1);
	t_start = uv_hrtime();
	start_more();
	uv_timer_start(&tick, tick_cb, 20, 20);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
