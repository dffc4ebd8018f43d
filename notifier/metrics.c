/*
 * metrics.c — Prometheus text rendering of metrics_g (see metrics.h).
 * Later issues add deliveries, latency histograms and auth failures here.
 */
#include "metrics.h"

metrics		metrics_g;

static const char *const drop_names[DROP__COUNT] = {
	"malformed", "too_big", "invalid_utf8", "ws_protocol", "slow_consumer",
	"ping_timeout", "connect_timeout", "forbidden_origin"
};

int
metrics_render(buf *out)
{
	const metrics *m = &metrics_g;

	buf_printf(out,
			   "# HELP roomcast_tcp_connections Open TCP connections.\n"
			   "# TYPE roomcast_tcp_connections gauge\n"
			   "roomcast_tcp_connections %lld\n"
			   "# HELP roomcast_connections Engine.IO sessions by transport.\n"
			   "# TYPE roomcast_connections gauge\n"
			   "roomcast_connections{transport=\"polling\"} %lld\n"
			   "roomcast_connections{transport=\"websocket\"} %lld\n"
			   "# HELP roomcast_sockets Connected Socket.IO sockets (one per namespace).\n"
			   "# TYPE roomcast_sockets gauge\n"
			   "roomcast_sockets %lld\n"
			   "# HELP roomcast_sessions_opened_total Engine.IO sessions opened.\n"
			   "# TYPE roomcast_sessions_opened_total counter\n"
			   "roomcast_sessions_opened_total %llu\n"
			   "# HELP roomcast_http_requests_total HTTP requests received.\n"
			   "# TYPE roomcast_http_requests_total counter\n"
			   "roomcast_http_requests_total %llu\n"
			   "# HELP roomcast_events_received_total Socket.IO events received from clients.\n"
			   "# TYPE roomcast_events_received_total counter\n"
			   "roomcast_events_received_total %llu\n"
			   "# HELP roomcast_packets_sent_total Engine.IO packets sent to clients.\n"
			   "# TYPE roomcast_packets_sent_total counter\n"
			   "roomcast_packets_sent_total %llu\n"
			   "# HELP roomcast_bytes_received_total Bytes read from client sockets.\n"
			   "# TYPE roomcast_bytes_received_total counter\n"
			   "roomcast_bytes_received_total %llu\n"
			   "# HELP roomcast_bytes_sent_total Bytes written to client sockets.\n"
			   "# TYPE roomcast_bytes_sent_total counter\n"
			   "roomcast_bytes_sent_total %llu\n"
			   "# HELP roomcast_drops_total Connections closed or requests refused, by reason.\n"
			   "# TYPE roomcast_drops_total counter\n",
			   (long long) m->tcp_connections, (long long) m->sessions_polling,
			   (long long) m->sessions_websocket, (long long) m->sockets,
			   (unsigned long long) m->sessions_opened, (unsigned long long) m->http_requests,
			   (unsigned long long) m->events_received, (unsigned long long) m->packets_sent,
			   (unsigned long long) m->bytes_received, (unsigned long long) m->bytes_sent);
	for (int i = 0; i < DROP__COUNT; i++)
		buf_printf(out, "roomcast_drops_total{reason=\"%s\"} %llu\n", drop_names[i],
				   (unsigned long long) m->drops[i]);
	return out->p ? 0 : -1;
}
