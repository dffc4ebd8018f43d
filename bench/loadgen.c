/*
 * loadgen.c — a Socket.IO load generator for the benchmarks (bench/run).
 *
 * Opens N WebSocket connections to 127.0.0.1:PORT/socket.io/, does the
 * Engine.IO handshake and the Socket.IO CONNECT to "/", answers every ping,
 * and then either holds the connections (idle) or runs closed-loop echo
 * round trips (echo: send 42["message",n], wait for 42["message-back",n]).
 * Works against any server with the conformance handlers (roomcast-notifier
 * --conformance, or the Node.js reference in bench/peers/). One process holds
 * at most a few thousand connections; bench/run starts several.
 *
 *   loadgen --port P --mode idle --clients N [--hold S] [--concurrency K]
 *   loadgen --port P --mode echo --clients N [--duration S]
 *
 * Prints one JSON object per phase on stdout. Loops are bounded by the
 * client count and the duration; only 127.0.0.1 is ever contacted.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define IN_CAP 8192

typedef enum lg_state
{
	LG_CONNECTING = 0,
	LG_UPGRADING,				/* waiting for 101 */
	LG_OPENING,					/* waiting for Engine.IO open */
	LG_JOINING,					/* waiting for the CONNECT reply */
	LG_READY,
	LG_CLOSED
} lg_state;

typedef struct lg_client
{
	uv_tcp_t	tcp;
	uv_connect_t creq;
	lg_state	state;
	uint32_t	in_len;
	uint64_t	sent_at;		/* echo: ns when the pending message was sent */
	uint32_t	seq;
	char		in[IN_CAP];
} lg_client;

static uv_loop_t *loop;
static lg_client *clients;
static int	nclients = 1000;
static int	port;
static int	concurrency = 200;
static double hold_s = 10;
static double duration_s = 10;
static bool echo_mode;
static int	started;
static int	in_flight;
static int	ready;
static int	closed_count;
static uint64_t t_start;
static uint64_t t_ready;
static uint64_t echo_end;
static uint64_t pings;
static uint32_t *rtts;			/* echo: round trips in microseconds */
static size_t nrtt;
static size_t rtt_cap;
static uv_timer_t phase_timer;

static void start_more(void);

static void
write_cb(uv_write_t *req, int status)
{
	(void) status;
	free(req);
}

/* Write bytes (copied) */
static void
send_raw(lg_client *c, const void *data, size_t len)
{
	uv_write_t *req;
	uv_buf_t	b;
	int			n = 0;

	if (c->state == LG_CLOSED)
		return;
	/* the kernel usually takes it all: no request, no allocation */
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

/* Send a masked text frame (payload < 126 bytes here) */
static void
send_text(lg_client *c, const char *text)
{
	uint8_t		f[140];
	size_t		n = strlen(text);
	uint32_t	r = (uint32_t) rand();
	uint8_t		mask[4] = {(uint8_t) r, (uint8_t) (r >> 8), (uint8_t) (r >> 16), (uint8_t) (r >> 24)};

	if (n > 125)
		return;
	f[0] = 0x81;
	f[1] = (uint8_t) (0x80 | n);
	memcpy(f + 2, mask, 4);
	for (size_t i = 0; i < n; i++)
		f[6 + i] = (uint8_t) text[i] ^ mask[i & 3];
	send_raw(c, f, 6 + n);
}

static void
close_cb(uv_handle_t *h)
{
	(void) h;
}

static void
client_close(lg_client *c)
{
	if (c->state == LG_CLOSED)
		return;
	if (c->state < LG_READY)
		in_flight--;
	else
		ready--;
	c->state = LG_CLOSED;
	closed_count++;
	uv_close((uv_handle_t *) &c->tcp, close_cb);
	start_more();
}

static void
send_echo(lg_client *c)
{
	char		msg[64];

	snprintf(msg, sizeof(msg), "42[\"message\",%u]", ++c->seq);
	c->sent_at = uv_hrtime();
	send_text(c, msg);
}

static void
record_rtt(uint64_t ns)
{
	if (nrtt == rtt_cap)
	{
		size_t		cap = rtt_cap ? rtt_cap * 2 : 1 << 16;
		uint32_t   *r = realloc(rtts, cap * sizeof(*r));

		if (r == NULL)
			return;
		rtts = r;
		rtt_cap = cap;
	}
	rtts[nrtt++] = (uint32_t) (ns / 1000);
}

/* Handle one text message from the server */
static void
on_message(lg_client *c, const char *m, size_t n)
{
	if (n == 1 && m[0] == '2')
	{
		send_text(c, "3");
		pings++;
		return;
	}
	if (c->state == LG_OPENING && n > 0 && m[0] == '0')
	{
		c->state = LG_JOINING;
		send_text(c, "40");
		return;
	}
	if (c->state == LG_JOINING && n > 2 && m[0] == '4' && m[1] == '0')
	{
		c->state = LG_READY;
		in_flight--;
		ready++;
		if (ready + closed_count == nclients && t_ready == 0)
			t_ready = uv_hrtime();
		start_more();
		return;
	}
	if (c->state == LG_READY && echo_mode && n > 16 && memcmp(m, "42[\"message-back\"", 17) == 0)
	{
		uint64_t	now = uv_hrtime();

		if (c->sent_at)
			record_rtt(now - c->sent_at);
		c->sent_at = 0;
		if (now < echo_end)
			send_echo(c);
	}
}

/* Parse the 101 response, then server frames (unmasked) */
static void
process(lg_client *c)
{
	uint32_t	off = 0;

	if (c->state == LG_UPGRADING)
	{
		char	   *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);

		if (end == NULL)
			return;
		if (c->in_len < 12 || memcmp(c->in + 9, "101", 3) != 0)
		{
			client_close(c);
			return;
		}
		off = (uint32_t) (end + 4 - c->in);
		c->state = LG_OPENING;
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
		else if (len == 127)
		{
			client_close(c);	/* no message here is that large */
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
		if (c->state == LG_CLOSED)
			return;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void
alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	lg_client  *c = (lg_client *) h;

	(void) sz;
	b->base = c->in + c->in_len;
	b->len = IN_CAP - c->in_len;
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	lg_client  *c = (lg_client *) s;

	(void) b;
	if (n < 0)
	{
		client_close(c);
		return;
	}
	c->in_len += (uint32_t) n;
	process(c);
	if (c->state != LG_CLOSED && c->in_len == IN_CAP)
		client_close(c);
}

static void
connect_cb(uv_connect_t *req, int status)
{
	lg_client  *c = req->data;
	char		hs[512];

	if (status < 0)
	{
		client_close(c);
		return;
	}
	c->state = LG_UPGRADING;
	uv_tcp_nodelay(&c->tcp, 1);	/* no Nagle delay on small frames, for either server */
	snprintf(hs, sizeof(hs),
			 "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n", port);
	send_raw(c, hs, strlen(hs));
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
		lg_client  *c = &clients[started++];

		in_flight++;
		uv_tcp_init(loop, &c->tcp);
		c->creq.data = c;
		if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *) &addr, connect_cb) != 0)
		{
			c->state = LG_CLOSED;
			in_flight--;
			closed_count++;
		}
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a,
				y = *(const uint32_t *) b;

	return x < y ? -1 : x > y;
}

static void
finish_cb(uv_timer_t *t)
{
	double		elapsed = (double) (uv_hrtime() - t_ready) / 1e9;

	if (echo_mode)
	{
		/* let outstanding round trips land, then report */
		qsort(rtts, nrtt, sizeof(*rtts), cmp_u32);
		printf("{\"mode\":\"echo\",\"clients\":%d,\"ready\":%d,\"round_trips\":%zu,\"seconds\":%.3f,"
			   "\"throughput\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
			   nclients, ready, nrtt, duration_s, (double) nrtt / duration_s,
			   nrtt ? rtts[nrtt / 2] : 0, nrtt ? rtts[(size_t) ((double) nrtt * 0.99)] : 0,
			   nrtt ? rtts[nrtt - 1] : 0);
	}
	else
		printf("{\"mode\":\"idle\",\"clients\":%d,\"alive\":%d,\"held_seconds\":%.1f,\"pings_answered\":%llu}\n",
			   nclients, ready, elapsed, (unsigned long long) pings);
	fflush(stdout);
	uv_timer_stop(t);
	uv_stop(loop);
}

static void
check_ready_cb(uv_timer_t *t)
{
	if (ready + closed_count < nclients)
		return;
	if (t_ready == 0)
		t_ready = uv_hrtime();
	printf("{\"mode\":\"connect\",\"clients\":%d,\"connected\":%d,\"seconds\":%.3f,\"rate\":%.1f}\n",
		   nclients, ready, (double) (t_ready - t_start) / 1e9,
		   ready / ((double) (t_ready - t_start) / 1e9));
	fflush(stdout);
	uv_timer_stop(t);
	if (echo_mode)
	{
		echo_end = uv_hrtime() + (uint64_t) (duration_s * 1e9);
		t_ready = uv_hrtime();
		for (int i = 0; i < nclients; i++)
			if (clients[i].state == LG_READY)
				send_echo(&clients[i]);
		uv_timer_start(&phase_timer, finish_cb, (uint64_t) (duration_s * 1000) + 200, 0);
	}
	else
		uv_timer_start(&phase_timer, finish_cb, (uint64_t) (hold_s * 1000), 0);
}

int
main(int argc, char **argv)
{
	static struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"clients", required_argument, NULL, 'n'},
		{"hold", required_argument, NULL, 'h'},
		{"duration", required_argument, NULL, 'd'},
		{"concurrency", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}
	};
	uv_timer_t	ready_timer;
	int			opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		switch (opt)
		{
			case 'p':
				port = atoi(optarg);
				break;
			case 'm':
				echo_mode = strcmp(optarg, "echo") == 0;
				break;
			case 'n':
				nclients = atoi(optarg);
				break;
			case 'h':
				hold_s = atof(optarg);
				break;
			case 'd':
				duration_s = atof(optarg);
				break;
			case 'c':
				concurrency = atoi(optarg);
				break;
			default:
				fprintf(stderr, "usage: loadgen --port P --mode idle|echo --clients N [--hold S] [--duration S] [--concurrency K]\n");
				return 2;
		}
	if (port <= 0 || port > 65535 || nclients <= 0 || nclients > 15000 || hold_s > 3600 || duration_s > 3600)
	{
		fprintf(stderr, "loadgen: need --port, 1..15000 clients, hold/duration up to 3600 s\n");
		return 2;
	}
	clients = calloc((size_t) nclients, sizeof(*clients));
	if (clients == NULL)
		return 1;
	loop = uv_default_loop();
	uv_timer_init(loop, &ready_timer);
	uv_timer_init(loop, &phase_timer);
	t_start = uv_hrtime();
	start_more();
	uv_timer_start(&ready_timer, check_ready_cb, 5, 5);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
