/*
 * test_frame.c — unit tests of the shared fan-out frame (notifier/base/frame.c)
 * and of the transport's zero-copy write path for it (net_ws_frame_eio,
 * net_ws_send_frame in notifier/transport/net.c): reference counts, the
 * WebSocket and Engine.IO bytes of a frame, what a queued reference costs a
 * connection (--max-buffered), that the kernel gets every byte once and in
 * order after partial writes, and that a connection failing with references
 * queued releases them. net.c is compiled in whole, on a real libuv loop
 * over socket pairs; nothing is mocked.
 */
#include "base/frame.c"
#include "base/log.c"
#include "base/metrics.c"
#include "transport/net.c"
#include "transport/tls.c"			/* net.c calls it; plain connections never reach OpenSSL */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

#define NCONN 3
#define NFRAMES 40
#define FRAME_PAYLOAD 30000

static notifier_opts opts;

/* A WebSocket connection over one end of a socket pair; the other end in *peer */
static net_conn *
pair_conn(uv_loop_t *loop, int *peer)
{
	int			sv[2];
	int			small = 4096;
	net_conn   *c = calloc(1, sizeof(*c));

	if (c == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	/* small kernel buffers, so most of the stream has to be queued */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	uv_tcp_init(loop, &c->tcp);
	if (uv_tcp_open(&c->tcp, sv[0]) != 0)
		abort();
	c->kind = NET_WS;
	list_push(&net_ws_conns, c);
	net_nconns++;
	*peer = sv[1];
	return c;
}

/* Read what is there from fd into out (up to cap); returns bytes now held */
static size_t
drain_peer(int fd, char *out, size_t have, size_t cap)
{
	for (;;)
	{
		ssize_t		n = read(fd, out + have, cap - have);

		if (n <= 0)
			return have;
		have += (size_t) n;
	}
}

int
main(void)
{
	uv_loop_t  *loop = uv_default_loop();
	frame	   *f,
			   *fs[NFRAMES];
	net_conn   *c[NCONN];
	int			peer[NCONN];
	size_t		total = 0,
				queued_refs = 0;
	char	   *want,
			   *got[NCONN];
	size_t		have[NCONN] = {0};
	bool		all_same = true;

	signal(SIGPIPE, SIG_IGN);	/* as the notifier: a write to a closed peer is an error, not a signal */
	opts.max_buffered = 64u << 20;
	opts.max_payload = 1 << 20;
	opts.http_idle_timeout = 1000;
	net_set_opts(&opts);
	net_loop = loop;
	uv_idle_init(loop, &net_deferred_idle);

	/* reference counts */
	f = frame_new(10);
	ok(f != NULL && f->refs == 1 && f->len == 10 && frame_live() == 1, "a new frame: one reference");
	ok(f->cost >= sizeof(frame) + 10, "its cost is at least its allocation (%u)", f->cost);
	frame_ref(f);
	frame_ref(f);
	frame_unref(f);
	ok(f->refs == 2 && frame_live() == 1, "ref, ref, unref: two references, still alive");
	frame_unref(f);
	frame_unref(f);
	ok(frame_live() == 0, "the last unref frees it");
	frame_unref(NULL);
	ok(frame_new((size_t) UINT32_MAX) == NULL, "a frame over 4 GB is refused");

	/* the bytes of a frame: WebSocket header, Engine.IO type, packet */
	f = net_ws_frame_eio(EIO_MESSAGE, "2[\"e\",1]", 8);
	ok(f && f->eio_off == 2 && f->len == 11 && (uint8_t) f->data[0] == 0x81 && f->data[1] == 9 &&
	   memcmp(f->data + 2, "42[\"e\",1]", 9) == 0, "small frame: 2-byte header, then 42[...]");
	frame_unref(f);
	{
		char	   *big = malloc(70000);

		memset(big, 'x', 70000);
		f = net_ws_frame_eio(EIO_MESSAGE, big, 300);
		ok(f && f->eio_off == 4 && f->data[1] == 126 && ((uint8_t) f->data[2] << 8 | (uint8_t) f->data[3]) == 301 &&
		   f->data[4] == '4', "300-byte packet: 16-bit length header");
		frame_unref(f);
		f = net_ws_frame_eio(EIO_MESSAGE, big, 70000);
		ok(f && f->eio_off == 10 && f->data[1] == 127 && f->len == 70011, "70,000-byte packet: 64-bit length header");
		frame_unref(f);
		free(big);
	}

	/* fan-out of NFRAMES frames to NCONN connections whose peers do not read yet */
	for (int i = 0; i < NCONN; i++)
		c[i] = pair_conn(loop, &peer[i]);
	{
		char	   *payload = malloc(FRAME_PAYLOAD);

		for (int k = 0; k < NFRAMES; k++)
		{
			for (int j = 0; j < FRAME_PAYLOAD; j++)
				payload[j] = (char) ('a' + (k + j) % 26);
			fs[k] = net_ws_frame_eio(EIO_MESSAGE, payload, FRAME_PAYLOAD);
			total += fs[k]->len;
			for (int i = 0; i < NCONN; i++)
				net_ws_send_frame(c[i], fs[k]);
		}
		free(payload);
	}
	for (int k = 0; k < NFRAMES; k++)
		queued_refs += fs[k]->refs - 1;
	ok(queued_refs > NCONN * (NFRAMES - 5), "the kernel took a little, the queues hold %zu references", queued_refs);
	ok(frame_live() == NFRAMES, "one frame per event, however many recipients (%zu alive)", frame_live());
	{
		size_t		charged = 0;
		size_t		min_charge = 0;

		for (int i = 0; i < NCONN; i++)
			charged += net_conn_unsent(c[i]);
		for (int k = 0; k < NFRAMES; k++)
			min_charge += (size_t) (fs[k]->refs - 1) * (fs[k]->cost + sizeof(uv_write_t));
		ok(charged >= min_charge, "each queued reference is charged the whole frame plus its request (%zu >= %zu)",
		   charged, min_charge);
		ok(net_frame_cost(fs[0]) >= fs[0]->cost + sizeof(uv_write_t), "net_frame_cost covers frame and request");
	}
	/* the caller lets go: the queues keep the frames alive */
	for (int k = 0; k < NFRAMES; k++)
		frame_unref(fs[k]);
	ok(frame_live() > 0, "frames the queues reference outlive the sender's reference");

	/* the peers read everything: every byte once, in order */
	want = malloc(total);
	{
		size_t		off = 0;
		char	   *payload = malloc(FRAME_PAYLOAD);

		for (int k = 0; k < NFRAMES; k++)
		{
			f = NULL;
			for (int j = 0; j < FRAME_PAYLOAD; j++)
				payload[j] = (char) ('a' + (k + j) % 26);
			f = net_ws_frame_eio(EIO_MESSAGE, payload, FRAME_PAYLOAD);
			memcpy(want + off, f->data, f->len);
			off += f->len;
			frame_unref(f);
		}
		free(payload);
	}
	for (int i = 0; i < NCONN; i++)
		got[i] = malloc(total);
	for (int spin = 0; spin < 200000; spin++)
	{
		bool		done = true;

		for (int i = 0; i < NCONN; i++)
		{
			have[i] = drain_peer(peer[i], got[i], have[i], total);
			done = done && have[i] == total;
		}
		uv_run(loop, UV_RUN_NOWAIT);
		if (done && frame_live() == 0)
			break;
	}
	for (int i = 0; i < NCONN; i++)
		all_same = all_same && have[i] == total && memcmp(got[i], want, total) == 0;
	ok(all_same, "each peer read the %d frames exactly once, in order (%zu bytes each)", NFRAMES, total);
	ok(frame_live() == 0, "every write callback dropped its reference: no frame left");
	ok(net_conn_unsent(c[0]) == 0 && net_conn_unsent(c[1]) == 0 && net_conn_unsent(c[2]) == 0,
	   "nothing is charged to the connections any more");

	/* a connection that fails with references queued releases them */
	f = frame_new(200000);
	memset(f->data, 'z', f->len);
	net_ws_send_frame(c[0], f);
	net_ws_send_frame(c[1], f);
	ok(f->refs == 3, "two connections queue the 200 KB frame (refs %u)", f->refs);
	close(peer[0]);
	net_ws_send_frame(c[0], f); /* may fail at once: only marks the connection */
	frame_unref(f);
	/* (c[0] itself is freed once destroyed: watch the connection count instead) */
	for (int spin = 0; spin < 100000 && net_nconns == NCONN; spin++)
	{
		have[1] = drain_peer(peer[1], got[1], 0, total);
		uv_run(loop, UV_RUN_NOWAIT);
	}
	ok(net_nconns == NCONN - 1, "the connection whose peer went away is destroyed from the deferred list");
	for (int spin = 0; spin < 100000 && frame_live() != 0; spin++)
	{
		drain_peer(peer[1], got[1], 0, total);
		uv_run(loop, UV_RUN_NOWAIT);
	}
	ok(frame_live() == 0, "its queued references were released (cancelled writes), the other got its bytes");

	net_close(c[1]);
	net_close(c[2]);
	close(peer[1]);
	close(peer[2]);
	uv_close((uv_handle_t *) &net_deferred_idle, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	for (int i = 0; i < NCONN; i++)
		free(got[i]);
	free(want);
	return tap_done();
}
