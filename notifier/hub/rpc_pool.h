/*
 * rpc_pool.h — the pool of database connections that runs client requests
 * (--rpc-pool N, default 4). Requests wait in rpc_queue.c, one FIFO per
 * tenant served round-robin; each idle connection takes the next one. The
 * pool also runs roomcast.maintain() at its first connect and every 10
 * minutes, so the LISTEN connection never waits for it.
 */
#ifndef RC_NOTIFIER_RPC_POOL_H
#define RC_NOTIFIER_RPC_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hub/rpc_queue.h"

typedef enum rpc_pool_status
{
	RPC_POOL_OK = 0,			/* queued; its answer comes from rpc_reply.c */
	RPC_POOL_UNAVAILABLE,		/* no connection is up */
	RPC_POOL_TENANT_FULL,		/* this tenant's queue is full */
	RPC_POOL_FULL,				/* the overall queue is full */
	RPC_POOL_NOMEM
} rpc_pool_status;

/* Start n connections to conninfo; queue bound total requests (rpc_queue.h) */
void		rpc_pool_start(uv_loop_t *loop, const char *conninfo, uint32_t n, uint32_t queue_total);

/*
 * Before rpc_pool_start: send every statement unnamed instead of preparing
 * them per connection, so the pool works through a transaction pooler
 * (pgbouncer 1.18 loses named statements between transactions)
 */
void		rpc_pool_set_unnamed(bool unnamed);

/*
 * Queue r for tenant (RPCQ_TENANT_KEY characters). On RPC_POOL_OK the pool
 * owns r; otherwise r is untouched and the caller answers and frees it.
 */
rpc_pool_status rpc_pool_submit(rpcq_req *r, const char *tenant);

/* Milliseconds a refused client should wait before trying again */
uint32_t	rpc_pool_retry_after_ms(void);

/* Close every connection (drain); what waits is answered UNAVAILABLE */
void		rpc_pool_stop(void);

/* --recovery-window: how far back roomcast.recover may go, in seconds */
void		rpc_pool_set_recovery_window(uint32_t seconds);

#endif
