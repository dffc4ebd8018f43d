/*
 * rpc_queue.h — the waiting room of client requests: one FIFO per tenant,
 * served round-robin between tenants, so a tenant's burst waits behind its
 * own requests, never in front of another tenant's (SPEC §7). No I/O.
 *
 * Bounds (docs/notifier.md, "Client requests"):
 *   per tenant   at most per_tenant requests (--rpc-queue / 10, at least 16)
 *                and RPCQ_TENANT_BYTES bytes;
 *   overall      at most total requests (--rpc-queue) and RPCQ_TOTAL_BYTES
 *                bytes — except that a tenant with fewer than RPCQ_RESERVE
 *                requests waiting is always admitted, so a full queue made by
 *                others never refuses a quiet tenant. That reserve is bounded
 *                by the number of tenants with open sockets.
 */
#ifndef RC_NOTIFIER_RPC_QUEUE_H
#define RC_NOTIFIER_RPC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define RPCQ_RESERVE 4
#define RPCQ_TENANT_BYTES (16u << 20)
#define RPCQ_TOTAL_BYTES (128u << 20)
#define RPCQ_TENANT_KEY 36		/* a tenant id as text; "" for the notifier's own work */

typedef enum rpcq_kind
{
	RPCQ_GENERIC = 0,			/* ack [result] */
	RPCQ_JOIN,					/* join the room of the result, room-joined, user-joined */
	RPCQ_LEAVE,					/* leave it, user-left */
	RPCQ_UNREAD,				/* also emit notification:unread_count */
	RPCQ_CONNECT,				/* confirm a CONNECT: roomcast.authenticate(token) */
	RPCQ_RECOVER,				/* a CONNECT with {pid, offset}: roomcast.recover(token, pid=method, offset=args) */
	RPCQ_REFRESH,				/* auth:refresh: roomcast.authenticate(the new token) */
	RPCQ_MAINTAIN				/* roomcast.maintain(): no socket, no token */
} rpcq_kind;

typedef struct rpcq_tenant rpcq_tenant;

/* One request; method, args and token live in the same allocation */
typedef struct rpcq_req
{
	struct rpcq_req *next;
	rpcq_tenant *tenant;		/* set by rpcq_push */
	uint64_t	sock_ref;		/* auth_socket_by_ref() key; 0: no socket */
	int64_t		ack;			/* -1: no ack wanted */
	uint64_t	queued_ms;		/* uv_now at enqueue, for the latency metric */
	size_t		size;			/* bytes counted against the bounds */
	rpcq_kind	kind;
	char	   *method;
	char	   *args;
	char	   *token;
} rpcq_req;

typedef enum rpcq_status
{
	RPCQ_OK = 0,
	RPCQ_TENANT_FULL,			/* this tenant's bound */
	RPCQ_FULL,					/* the overall bound (the tenant is past its reserve) */
	RPCQ_NOMEM
} rpcq_status;

/* Set the bounds: total requests overall (per tenant: total / 10, at least 16) */
void		rpcq_init(uint32_t total);

/*
 * Allocate a request with copies of method, args[0..args_len) and token.
 * Returns NULL when out of memory. Free it with free() unless pushed.
 */
rpcq_req   *rpcq_new(rpcq_kind kind, uint64_t sock_ref, int64_t ack, const char *method,
					 const char *args, size_t args_len, const char *token);

/* Queue r for tenant[0..RPCQ_TENANT_KEY) or ""; on anything but RPCQ_OK r is not queued */
rpcq_status rpcq_push(rpcq_req *r, const char *tenant);

/* The next request, round-robin between tenants; NULL if none. Caller frees it */
rpcq_req   *rpcq_pop(void);

/* Requests waiting overall */
size_t		rpcq_depth(void);

/* Requests waiting for one tenant */
uint32_t	rpcq_tenant_depth(const char *tenant);

#endif
