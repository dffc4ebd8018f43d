/*
 * metrics.c — Prometheus text rendering of metrics_g (see metrics.h): the
 * transport's counters, deliveries, the database listener, client requests,
 * the latency histograms, TLS handshake failures, the presence relay, and
 * whatever the registered extra renderer adds (the database connection
 * gauges of the hub).
 */
#include "base/metrics.h"

metrics		metrics_g;

static metrics_render_fn metrics_extra[METRICS_EXTRA_MAX];

static const char *const tls_fail_names[TLS_HS_FAIL__COUNT] = {
	"timeout", "protocol", "too_large", "plain_http"
};

void
metrics_add_renderer(metrics_render_fn fn)
{
	for (int i = 0; i < METRICS_EXTRA_MAX; i++)
	{
		if (metrics_extra[i] == fn)
			return;
		if (metrics_extra[i] == NULL)
		{
			metrics_extra[i] = fn;
			return;
		}
	}
}

static const char *const drop_names[DROP__COUNT] = {
	"malformed", "too_big", "invalid_utf8", "ws_protocol", "slow_consumer",
	"ping_timeout", "connect_timeout", "forbidden_origin", "max_conns", "max_sessions",
	"ws_close_invalid"
};

static const char *const auth_names[AUTH_FAIL__COUNT] = {
	"UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "TOO_MANY_CONNECTIONS"
};

const int	metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000};

void
metrics_observe_latency(int64_t latency_ms)
{
	if (latency_ms < 0)
		latency_ms = 0;			/* clocks of two machines */
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		if (latency_ms <= metrics_latency_bounds[i])
			metrics_g.latency_le[i]++;
	metrics_g.latency_sum_ms += (uint64_t) latency_ms;
	metrics_g.latency_count++;
}

void
metrics_observe_rpc_latency(int64_t latency_ms)
{
	if (latency_ms < 0)
		latency_ms = 0;
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		if (latency_ms <= metrics_latency_bounds[i])
			metrics_g.rpc_latency_le[i]++;
	metrics_g.rpc_latency_sum_ms += (uint64_t) latency_ms;
	metrics_g.rpc_latency_count++;
}

/* The client-request metrics (rpc_pool.c, rpc_client.c) */
static void
metrics_render_rpc(buf *out)
{
	const metrics *m = &metrics_g;
	static const char *const limit_names[RPC_LIMIT__COUNT] = {"rate", "queue"};

	buf_printf(out,
			   "# HELP roomcast_rpc_queue_depth Client requests waiting for an rpc connection.\n"
			   "# TYPE roomcast_rpc_queue_depth gauge\n"
			   "roomcast_rpc_queue_depth %lld\n"
			   "# HELP roomcast_rpc_rate_limited_total Client requests answered RATE_LIMITED without running, by reason.\n"
			   "# TYPE roomcast_rpc_rate_limited_total counter\n",
			   (long long) m->rpc_queue_depth);
	for (int i = 0; i < RPC_LIMIT__COUNT; i++)
		buf_printf(out, "roomcast_rpc_rate_limited_total{reason=\"%s\"} %llu\n", limit_names[i],
				   (unsigned long long) m->rpc_rate_limited[i]);
	buf_printf(out, "# HELP roomcast_rpc_latency_ms Milliseconds from a client request being queued to its answer.\n"
			   "# TYPE roomcast_rpc_latency_ms histogram\n");
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		buf_printf(out, "roomcast_rpc_latency_ms_bucket{le=\"%d\"} %llu\n", metrics_latency_bounds[i],
				   (unsigned long long) m->rpc_latency_le[i]);
	buf_printf(out, "roomcast_rpc_latency_ms_bucket{le=\"+Inf\"} %llu\n"
			   "roomcast_rpc_latency_ms_sum %llu\n"
			   "roomcast_rpc_latency_ms_count %llu\n",
			   (unsigned long long) m->rpc_latency_count, (unsigned long long) m->rpc_latency_sum_ms,
			   (unsigned long long) m->rpc_latency_count);
}

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
			   "# HELP roomcast_read_pauses_total Times a connection stopped being read because its unsent output was over --max-buffered.\n"
			   "# TYPE roomcast_read_pauses_total counter\n"
			   "roomcast_read_pauses_total %llu\n"
			   "# HELP roomcast_drops_total Connections closed or requests refused, by reason.\n"
			   "# TYPE roomcast_drops_total counter\n",
			   (long long) m->tcp_connections, (long long) m->sessions_polling,
			   (long long) m->sessions_websocket, (long long) m->sockets,
			   (unsigned long long) m->sessions_opened, (unsigned long long) m->http_requests,
			   (unsigned long long) m->events_received, (unsigned long long) m->packets_sent,
			   (unsigned long long) m->bytes_received, (unsigned long long) m->bytes_sent,
			   (unsigned long long) m->read_pauses);
	for (int i = 0; i < DROP__COUNT; i++)
		buf_printf(out, "roomcast_drops_total{reason=\"%s\"} %llu\n", drop_names[i],
				   (unsigned long long) m->drops[i]);
	buf_printf(out, "# HELP roomcast_auth_failures_total CONNECTs refused, by code.\n"
			   "# TYPE roomcast_auth_failures_total counter\n");
	for (int i = 0; i < AUTH_FAIL__COUNT; i++)
		buf_printf(out, "roomcast_auth_failures_total{code=\"%s\"} %llu\n", auth_names[i],
				   (unsigned long long) m->auth_failures[i]);
	buf_printf(out,
			   "# HELP roomcast_db_events_total Events read from the database's event log.\n"
			   "# TYPE roomcast_db_events_total counter\n"
			   "roomcast_db_events_total %llu\n"
			   "# HELP roomcast_db_hints_total Notifications on channel roomcast (hints; their payload is never read).\n"
			   "# TYPE roomcast_db_hints_total counter\n"
			   "roomcast_db_hints_total %llu\n"
			   "# HELP roomcast_db_reads_total Reads of the event and control logs (at most one in flight).\n"
			   "# TYPE roomcast_db_reads_total counter\n"
			   "roomcast_db_reads_total %llu\n"
			   "# HELP roomcast_deliveries_total Event packets queued to sockets.\n"
			   "# TYPE roomcast_deliveries_total counter\n"
			   "roomcast_deliveries_total %llu\n"
			   "# HELP roomcast_db_reconnects_total Database listener connections lost.\n"
			   "# TYPE roomcast_db_reconnects_total counter\n"
			   "roomcast_db_reconnects_total %llu\n"
			   "# HELP roomcast_rpc_calls_total roomcast.rpc calls answered.\n"
			   "# TYPE roomcast_rpc_calls_total counter\n"
			   "roomcast_rpc_calls_total %llu\n"
			   "# HELP roomcast_commit_to_socket_ms Milliseconds from commit to the packet being queued to the sockets (live events).\n"
			   "# TYPE roomcast_commit_to_socket_ms histogram\n",
			   (unsigned long long) m->db_events, (unsigned long long) m->db_hints,
			   (unsigned long long) m->db_reads, (unsigned long long) m->deliveries,
			   (unsigned long long) m->db_reconnects, (unsigned long long) m->rpc_calls);
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		buf_printf(out, "roomcast_commit_to_socket_ms_bucket{le=\"%d\"} %llu\n", metrics_latency_bounds[i],
				   (unsigned long long) m->latency_le[i]);
	buf_printf(out, "roomcast_commit_to_socket_ms_bucket{le=\"+Inf\"} %llu\n"
			   "roomcast_commit_to_socket_ms_sum %llu\n"
			   "roomcast_commit_to_socket_ms_count %llu\n",
			   (unsigned long long) m->latency_count, (unsigned long long) m->latency_sum_ms,
			   (unsigned long long) m->latency_count);
	metrics_render_rpc(out);
	buf_printf(out, "# HELP roomcast_tls_handshake_failures_total TLS handshakes that failed, by reason.\n"
			   "# TYPE roomcast_tls_handshake_failures_total counter\n");
	for (int i = 0; i < TLS_HS_FAIL__COUNT; i++)
		buf_printf(out, "roomcast_tls_handshake_failures_total{reason=\"%s\"} %llu\n", tls_fail_names[i],
				   (unsigned long long) m->tls_handshake_failures[i]);
	buf_printf(out,
			   "# HELP roomcast_presence_relay_published_total Presence joins and leaves published to Redis for the other instances.\n"
			   "# TYPE roomcast_presence_relay_published_total counter\n"
			   "roomcast_presence_relay_published_total %llu\n"
			   "# HELP roomcast_presence_relay_received_total Presence relay messages received from Redis (also this instance's own).\n"
			   "# TYPE roomcast_presence_relay_received_total counter\n"
			   "roomcast_presence_relay_received_total %llu\n"
			   "# HELP roomcast_presence_relay_dropped_total Presence relay messages received and dropped as malformed.\n"
			   "# TYPE roomcast_presence_relay_dropped_total counter\n"
			   "roomcast_presence_relay_dropped_total %llu\n",
			   (unsigned long long) m->relay_published, (unsigned long long) m->relay_received,
			   (unsigned long long) m->relay_dropped);
	for (int i = 0; i < METRICS_EXTRA_MAX && metrics_extra[i]; i++)
		metrics_extra[i] (out);
	return out->p ? 0 : -1;
}
