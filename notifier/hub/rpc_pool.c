/*
 * rpc_pool.c — N pgconn connections serving the per-tenant queues (see
 * rpc_pool.h).
 *
 * Each connection prepares the statements below once per (re)connect and
 * runs one request at a time. A request taken from the queue is owned by the
 * connection (rpc_pool_conn.req) until its result has been answered through
 * rpc_reply.c. Fairness is the queue's: whenever a connection is idle it
 * takes rpcq_pop(), the next tenant's turn. While no connection is up a new
 * request is refused at once (UNAVAILABLE) instead of waiting unboundedly;
 * when the last connection goes down, everything waiting is answered
 * UNAVAILABLE.
 */
#include "hub/rpc_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "hub/pgconn.h"
#include "hub/rpc_reply.h"

#define RPC_POOL_MAX 64
#define RPC_MAINTAIN_MS (10 * 60 * 1000)	/* docs/sql-events.md: every 10 minutes */

typedef struct rpc_pool_conn
{
	pgconn		pg;
	rpcq_req   *req;			/* in flight, or NULL */
} rpc_pool_conn;

static const pgconn_stmt rpc_pool_stmts[] = {
	{"rc_rpc", "SELECT roomcast.rpc($1, $2, $3::jsonb)::text", 3},
	{"rc_auth", "SELECT roomcast.authenticate($1) IS NOT NULL", 1},
	{"rc_recover", "SELECT roomcast.recover($1, $2, $3::bigint, "
	 "pg_catalog.make_interval(secs => $4::double precision), 1000)::text", 4},
};

static rpc_pool_conn *rpc_pool_conns;
static uint32_t rpc_pool_n;
static char *rpc_pool_conninfo;
static uv_loop_t *rpc_pool_loop;
static uv_timer_t rpc_pool_maint_timer;
static bool rpc_pool_maint_started;
static bool rpc_pool_stopping;
static char rpc_pool_window[16] = "120";	/* --recovery-window, seconds */
static bool rpc_pool_unnamed;	/* --rpc-db given: maybe a transaction pooler */

void
rpc_pool_set_unnamed(bool unnamed)
{
	rpc_pool_unnamed = unnamed;
}

void
rpc_pool_set_recovery_window(uint32_t seconds)
{
	snprintf(rpc_pool_window, sizeof(rpc_pool_window), "%u", seconds);
}

/* Connections IDLE or BUSY */
static uint32_t
rpc_pool_up_count(void)
{
	uint32_t	n = 0;

	for (uint32_t i = 0; i < rpc_pool_n; i++)
		n += rpc_pool_conns[i].pg.st >= PGCONN_IDLE;
	return n;
}

uint32_t
rpc_pool_retry_after_ms(void)
{
	/* about the time the pool needs to work through its queue at ~1 ms a call, at least 1 s */
	size_t		ms = rpcq_depth() / (rpc_pool_n ? rpc_pool_n : 1);

	return ms < 1000 ? 1000 : ms > 30000 ? 30000 : (uint32_t) ms;
}

/* Send r on idle connection pc; false when the connection failed (r not sent) */
static bool
rpc_pool_send(rpc_pool_conn *pc, rpcq_req *r)
{
	const char *params[4];

	if (r->kind == RPCQ_MAINTAIN)
		return pgconn_send_sql(&pc->pg, "SELECT roomcast.maintain()::text");
	if (r->kind == RPCQ_RECOVER)
	{
		params[0] = r->token;
		params[1] = r->method;	/* the pid */
		params[2] = r->args;	/* the offset */
		params[3] = rpc_pool_window;
		return pgconn_send(&pc->pg, "rc_recover", 4, params);
	}
	if (r->kind == RPCQ_CONNECT || r->kind == RPCQ_REFRESH)
	{
		params[0] = r->token;
		return pgconn_send(&pc->pg, "rc_auth", 1, params);
	}
	params[0] = r->token;
	params[1] = r->method;
	params[2] = r->args;
	return pgconn_send(&pc->pg, "rc_rpc", 3, params);
}

/* Answer everything waiting UNAVAILABLE (no connection left) */
static void
rpc_pool_fail_waiting(void)
{
	rpcq_req   *r;

	while ((r = rpcq_pop()) != NULL)
	{
		rpc_reply_error(r, "UNAVAILABLE", "the database is not reachable; try again", 0);
		free(r);
	}
	metrics_g.rpc_queue_depth = 0;
}

/*
 * Give idle connections work, from the queue in tenant turn. A request whose
 * socket left before its turn is dropped if it only answers that socket
 * (CONNECT, unread count); others run, since their effects are the database's.
 */
static void
rpc_pool_dispatch(void)
{
	for (uint32_t i = 0; i < rpc_pool_n && rpcq_depth(); i++)
	{
		rpc_pool_conn *pc = &rpc_pool_conns[i];

		while (pc->pg.st == PGCONN_IDLE && pc->req == NULL)
		{
			rpcq_req   *r = rpcq_pop();

			if (r == NULL)
				break;
			if ((r->kind == RPCQ_CONNECT || r->kind == RPCQ_RECOVER || r->kind == RPCQ_REFRESH ||
				 r->kind == RPCQ_UNREAD) && !rpc_reply_socket_alive(r))
			{
				free(r);
				continue;
			}
			if (!rpc_pool_send(pc, r))
			{
				rpc_reply_error(r, "UNAVAILABLE", "the database is not reachable; try again", 0);
				free(r);
				break;
			}
			pc->req = r;
		}
	}
	metrics_g.rpc_queue_depth = (int64_t) rpcq_depth();
	if (rpcq_depth() && rpc_pool_up_count() == 0)
		rpc_pool_fail_waiting();
}

/* Queue roomcast.maintain() (partitions ahead, retention) on the notifier's own queue */
static void
rpc_pool_maintain(uv_timer_t *t)
{
	rpcq_req   *r;

	(void) t;
	if (rpc_pool_up_count() == 0 || (r = rpcq_new(RPCQ_MAINTAIN, 0, -1, "", "", 0, "")) == NULL)
		return;					/* the next tick tries again */
	if (rpcq_push(r, "") != RPCQ_OK)
	{
		free(r);
		return;
	}
	rpc_pool_dispatch();
}

/* pgconn_hooks.ready: a connection is up */
static void
rpc_pool_on_ready(pgconn *c)
{
	log_info("database (%s): connected", c->app_name);
	if (!rpc_pool_maint_started)
	{
		/* the first run right away: the log's partitions for the coming days */
		rpc_pool_maint_started = true;
		uv_timer_start(&rpc_pool_maint_timer, rpc_pool_maintain, 0, RPC_MAINTAIN_MS);
	}
	rpc_pool_dispatch();
}

/* pgconn_hooks.result: answer the request in flight, take the next */
static void
rpc_pool_on_result(pgconn *c, const PGresult *res)
{
	rpc_pool_conn *pc = c->data;
	rpcq_req   *r = pc->req;

	pc->req = NULL;
	if (r != NULL)
	{
		if (r->kind == RPCQ_MAINTAIN)
		{
			if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
				log_info("maintain: %s", PQgetvalue(res, 0, 0));
			else
				log_warn("maintain failed: %s", res ? PQresultErrorMessage(res) : "connection lost");
		}
		else
		{
			metrics_observe_rpc_latency((int64_t) (uv_now(rpc_pool_loop) - r->queued_ms));
			if (res == NULL)
				rpc_reply_error(r, "UNAVAILABLE", "the database connection was lost; try again", 0);
			else
				rpc_reply_result(r, res);
		}
		free(r);
	}
	if (!rpc_pool_stopping)
		rpc_pool_dispatch();
}

/*
 * /metrics: the pool's connections up (connected and prepared) and its size
 * (--rpc-pool). 0 up: every client request is answered UNAVAILABLE.
 */
static void
rpc_pool_render_metrics(buf *out)
{
	buf_printf(out, "# HELP roomcast_rpc_pool_up Rpc pool connections connected and prepared.\n"
			   "# TYPE roomcast_rpc_pool_up gauge\n"
			   "roomcast_rpc_pool_up %u\n"
			   "# HELP roomcast_rpc_pool_size Rpc pool connections configured (--rpc-pool).\n"
			   "# TYPE roomcast_rpc_pool_size gauge\n"
			   "roomcast_rpc_pool_size %u\n", rpc_pool_up_count(), rpc_pool_n);
}

static const pgconn_hooks rpc_pool_hooks = {.ready = rpc_pool_on_ready, .result = rpc_pool_on_result};

void
rpc_pool_start(uv_loop_t *loop, const char *conninfo, uint32_t n, uint32_t queue_total)
{
	rpc_pool_loop = loop;
	rpc_pool_n = n < 1 ? 1 : n > RPC_POOL_MAX ? RPC_POOL_MAX : n;
	rpc_pool_conninfo = strdup(conninfo ? conninfo : "");
	rpc_pool_conns = calloc(rpc_pool_n, sizeof(*rpc_pool_conns));
	if (rpc_pool_conns == NULL || rpc_pool_conninfo == NULL)
	{
		log_error("out of memory starting the rpc pool");
		exit(1);
	}
	rpcq_init(queue_total);
	metrics_add_renderer(rpc_pool_render_metrics);
	uv_timer_init(loop, &rpc_pool_maint_timer);
	uv_unref((uv_handle_t *) &rpc_pool_maint_timer);
	for (uint32_t i = 0; i < rpc_pool_n; i++)
	{
		pgconn	   *c = &rpc_pool_conns[i].pg;

		c->loop = loop;
		c->conninfo = rpc_pool_conninfo;
		c->app_name = "roomcast-notifier-rpc";
		c->stmts = rpc_pool_stmts;
		c->nstmts = (int) (sizeof(rpc_pool_stmts) / sizeof(rpc_pool_stmts[0]));
		/* unnamed statements: the pool may sit behind pgbouncer in transaction mode (docs/scale-out.md) */
		c->unnamed = rpc_pool_unnamed;
		c->hooks = &rpc_pool_hooks;
		c->data = &rpc_pool_conns[i];
		pgconn_start(c);
	}
}

rpc_pool_status
rpc_pool_submit(rpcq_req *r, const char *tenant)
{
	if (rpc_pool_stopping || rpc_pool_up_count() == 0)
		return RPC_POOL_UNAVAILABLE;
	r->queued_ms = uv_now(rpc_pool_loop);
	switch (rpcq_push(r, tenant))
	{
		case RPCQ_OK:
			break;
		case RPCQ_TENANT_FULL:
			return RPC_POOL_TENANT_FULL;
		case RPCQ_FULL:
			return RPC_POOL_FULL;
		case RPCQ_NOMEM:
			return RPC_POOL_NOMEM;
	}
	rpc_pool_dispatch();
	return RPC_POOL_OK;
}

void
rpc_pool_stop(void)
{
	rpc_pool_stopping = true;
	uv_timer_stop(&rpc_pool_maint_timer);
	for (uint32_t i = 0; i < rpc_pool_n; i++)
		pgconn_stop(&rpc_pool_conns[i].pg);
	rpc_pool_fail_waiting();
}
