/*
 * pgconn.h — one asynchronous libpq connection on the libuv loop: connect
 * without blocking, prepare a fixed set of statements, send one query at a
 * time and hand its result to the owner, reconnect with backoff after a
 * failure. Knows nothing of what the queries mean: rpc_pool.c owns a pool of
 * these, and the listener (db.c) one that LISTENs.
 *
 *   DOWN ──timer──► CONNECTING ──ok──► PREPARING ──all prepared──► IDLE ⇄ BUSY
 *   any failure ──► DOWN (retry after 1, 2, 4 … 30 s; back to 1 s once IDLE)
 *
 * Callbacks come only from the loop (a poll or timer callback), never from
 * inside pgconn_send, so an owner may call pgconn_send from its hooks.
 */
#ifndef RC_NOTIFIER_PGCONN_H
#define RC_NOTIFIER_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define PGCONN_BACKOFF_FIRST_MS 1000
#define PGCONN_BACKOFF_MAX_MS 30000

typedef enum pgconn_state
{
	PGCONN_DOWN = 0,			/* no connection; the retry timer is armed */
	PGCONN_CONNECTING,			/* PQconnectPoll in progress */
	PGCONN_PREPARING,			/* PQsendPrepare of stmts[prepared] in flight */
	PGCONN_IDLE,				/* ready for pgconn_send */
	PGCONN_BUSY					/* one query in flight */
} pgconn_state;

/* A statement prepared on every (re)connect */
typedef struct pgconn_stmt
{
	const char *name;
	const char *sql;
	int			nparams;		/* all text parameters */
} pgconn_stmt;

typedef struct pgconn pgconn;

typedef struct pgconn_hooks
{
	/* the connection became IDLE after (re)connecting */
	void		(*ready) (pgconn *c);

	/*
	 * The query sent by pgconn_send finished. res is its last result (the
	 * hook must not PQclear it), or NULL when the connection was lost with the
	 * query in flight (c is then DOWN). On return from a non-NULL result the
	 * connection is IDLE unless the hook sent another query.
	 */
	void		(*result) (pgconn *c, const PGresult *res);

	/*
	 * Optional (NULL: notifications are dropped). n > 0 notifications came
	 * and were already freed; called after the results of the same read.
	 */
	void		(*notified) (pgconn *c, int n);

	/* Optional: the connection was lost or closed (c is DOWN) */
	void		(*down) (pgconn *c);
} pgconn_hooks;

struct pgconn
{
	/* set by the owner before pgconn_start */
	uv_loop_t  *loop;
	const char *conninfo;		/* NULL or "": libpq's PG* defaults */
	const char *app_name;		/* application_name */
	const pgconn_stmt *stmts;
	int			nstmts;
	bool		unnamed;		/* send stmts unnamed each time, never PREPARE (a transaction pooler) */
	const pgconn_hooks *hooks;
	void	   *data;			/* the owner's */
	/* private */
	pgconn_state st;
	PGconn	   *pg;
	uv_poll_t  *poll;			/* on PQsocket(pg); freed by its close callback */
	int			poll_fd;
	int			poll_events;
	uv_timer_t	timer;			/* reconnect after backoff_ms */
	uint32_t	backoff_ms;
	int			prepared;		/* statements prepared on this connection */
	PGresult   *res;			/* the last result of the query in flight */
	bool		stopping;
};

/* Start connecting; c's public fields must be set. Never fails (retries) */
void		pgconn_start(pgconn *c);

/*
 * Send statement stmt (by name) with text params: the statement prepared on
 * this connection, or with c->unnamed its SQL as an unnamed statement
 * (Parse/Bind/Execute in one round trip, nothing left on the server session). Only when IDLE: returns
 * true and c is BUSY, or false (nothing sent; c is DOWN if sending failed).
 */
bool		pgconn_send(pgconn *c, const char *stmt, int nparams, const char *const *params);

/* Send plain SQL without parameters (e.g. maintenance); as pgconn_send */
bool		pgconn_send_sql(pgconn *c, const char *sql);

/*
 * Drop the connection and reconnect after the backoff, e.g. when a query the
 * owner needs has failed. A query in flight gets result(c, NULL).
 */
void		pgconn_reset(pgconn *c, const char *why);

/* Close for good (drain); a query in flight gets result(c, NULL) */
void		pgconn_stop(pgconn *c);

/* The last libpq error of c, without the trailing newline, in buf */
const char *pgconn_error(pgconn *c, char *buf, size_t size);

#endif
