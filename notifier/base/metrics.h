/*
 * metrics.h — process-wide counters and gauges, rendered in the Prometheus
 * text format for GET /metrics. Single-threaded: plain integers.
 */
#ifndef RC_NOTIFIER_METRICS_H
#define RC_NOTIFIER_METRICS_H

#include <stdint.h>

#include "base/buf.h"

typedef enum metrics_drop
{
	DROP_MALFORMED = 0,			/* malformed Engine.IO / Socket.IO packet */
	DROP_TOO_BIG,				/* frame or body over --max-payload */
	DROP_BAD_UTF8,
	DROP_WS_PROTOCOL,			/* WebSocket framing error */
	DROP_SLOW_CONSUMER,
	DROP_PING_TIMEOUT,
	DROP_CONNECT_TIMEOUT,
	DROP_FORBIDDEN_ORIGIN,
	DROP_MAX_CONNS,				/* TCP connection refused at accept (--max-conns) */
	DROP_MAX_SESSIONS,			/* Engine.IO handshake refused (--max-sessions) */
	DROP_WS_CLOSE_INVALID,		/* close frame with a bad code, length or reason */
	DROP__COUNT
} metrics_drop;

typedef enum metrics_auth
{
	AUTH_FAIL_UNAUTHORIZED = 0,
	AUTH_FAIL_INVALID_TOKEN,
	AUTH_FAIL_TOKEN_EXPIRED,
	AUTH_FAIL_TOO_MANY_CONNECTIONS,
	AUTH_FAIL__COUNT
} metrics_auth;

/* Why a client request was answered RATE_LIMITED without running (rpc_client.c) */
typedef enum metrics_rpc_limit
{
	RPC_LIMIT_RATE = 0,			/* the socket is over --rate */
	RPC_LIMIT_QUEUE,			/* its tenant's queue, or the whole queue, is full */
	RPC_LIMIT__COUNT
} metrics_rpc_limit;

/*
 * Why a TLS handshake failed (net.c counts; tls.c tells protocol from too
 * large): bounded labels of roomcast_tls_handshake_failures_total.
 */
typedef enum metrics_tls_fail
{
	TLS_HS_FAIL_TIMEOUT = 0,	/* not finished within --http-idle-timeout */
	TLS_HS_FAIL_PROTOCOL,		/* garbage, an old protocol, no common cipher, a client alert */
	TLS_HS_FAIL_TOO_LARGE,		/* over TLS_HANDSHAKE_MAX_INPUT bytes before it finished */
	TLS_HS_FAIL_PLAIN_HTTP,		/* a plain HTTP request on the TLS port (answered 400) */
	TLS_HS_FAIL__COUNT
} metrics_tls_fail;

/*
 * Gauges that only a module above base knows (the database connections of
 * hub/db.c and hub/rpc_pool.c): each registers a renderer that
 * metrics_render calls at the end, so base never includes upward. At most
 * METRICS_EXTRA_MAX; registering one twice keeps one.
 */
#define METRICS_EXTRA_MAX 4
typedef void (*metrics_render_fn) (buf *out);
void		metrics_add_renderer(metrics_render_fn fn);

/* Upper bounds (ms) of the commit-to-socket latency histogram buckets */
#define METRICS_LATENCY_BUCKETS 10
extern const int metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

typedef struct metrics
{
	int64_t		tcp_connections;	/* gauge */
	int64_t		sessions_polling;	/* gauge: Engine.IO sessions by transport */
	int64_t		sessions_websocket;
	int64_t		sockets;		/* gauge: connected Socket.IO sockets (namespaces) */
	uint64_t	sessions_opened;
	uint64_t	http_requests;
	uint64_t	events_received;	/* Socket.IO EVENT/BINARY_EVENT from clients */
	uint64_t	packets_sent;	/* Engine.IO packets sent */
	uint64_t	bytes_received;
	uint64_t	bytes_sent;
	uint64_t	read_pauses;	/* reads stopped: unsent output over --max-buffered */
	uint64_t	drops[DROP__COUNT];
	uint64_t	auth_failures[AUTH_FAIL__COUNT];	/* CONNECTs refused, by code */
	uint64_t	db_events;		/* events read from the log */
	uint64_t	db_hints;		/* notifications on channel roomcast (hints, never trusted) */
	uint64_t	db_reads;		/* notifier_read queries sent */
	uint64_t	deliveries;		/* event packets queued to sockets */
	uint64_t	db_reconnects;	/* database listener connections lost */
	uint64_t	rpc_calls;		/* roomcast.rpc calls answered (ok or error) */
	/* commit-to-socket latency of live events, ms: cumulative buckets + sum + count */
	uint64_t	latency_le[METRICS_LATENCY_BUCKETS];
	uint64_t	latency_sum_ms;
	uint64_t	latency_count;
	/* client requests (rpc_pool.c): queue depth, refusals, enqueue-to-answer latency in ms */
	int64_t		rpc_queue_depth;	/* gauge */
	uint64_t	rpc_rate_limited[RPC_LIMIT__COUNT];
	uint64_t	rpc_latency_le[METRICS_LATENCY_BUCKETS];
	uint64_t	rpc_latency_sum_ms;
	uint64_t	rpc_latency_count;
	uint64_t	tls_handshake_failures[TLS_HS_FAIL__COUNT];
	/* presence relay (hub/presence.c publishes, hub/presence_relay.c receives) */
	uint64_t	relay_published;	/* PUBLISHes of joins and leaves sent */
	uint64_t	relay_received;	/* messages received on the pattern subscription */
	uint64_t	relay_dropped;	/* received and refused as malformed (presence_relay.c rules) */
} metrics;

/* Count one event delivered latency_ms after its commit */
void		metrics_observe_latency(int64_t latency_ms);

/* Count one client request answered latency_ms after it was queued */
void		metrics_observe_rpc_latency(int64_t latency_ms);

extern metrics metrics_g;

/* Append the Prometheus text exposition to out; 0 or -1 on allocation failure */
int			metrics_render(buf *out);

#endif
