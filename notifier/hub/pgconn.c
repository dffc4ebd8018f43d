/*
 * pgconn.c — one asynchronous libpq connection (see pgconn.h), pg_cron
 * style: one state enum, one switch per event. Every libuv callback has its
 * own signature and finds its pgconn through handle->data, so no function is
 * ever called through a pointer of another type.
 */
#include "hub/pgconn.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"

static void pgconn_connect(pgconn *c);
static void pgconn_on_poll(uv_poll_t *h, int status, int events);
static void pgconn_on_timer(uv_timer_t *t);

/* Free a poll handle once libuv is done with it */
static void
pgconn_poll_free(uv_handle_t *h)
{
	free(h);
}

/* Stop watching the current socket */
static void
pgconn_unwatch(pgconn *c)
{
	if (c->poll)
	{
		uv_poll_stop(c->poll);
		uv_close((uv_handle_t *) c->poll, pgconn_poll_free);
		c->poll = NULL;
	}
	c->poll_fd = -1;
	c->poll_events = 0;
}

/* Watch PQsocket for events (UV_READABLE | UV_WRITABLE); 0 or -1 */
static int
pgconn_watch(pgconn *c, int events)
{
	int			fd = PQsocket(c->pg);

	if (fd < 0)
		return -1;
	if (fd != c->poll_fd)
	{
		pgconn_unwatch(c);
		c->poll = malloc(sizeof(*c->poll));
		if (c->poll == NULL || uv_poll_init(c->loop, c->poll, fd) != 0)
		{
			free(c->poll);
			c->poll = NULL;
			return -1;
		}
		c->poll->data = c;
		c->poll_fd = fd;
	}
	if (events != c->poll_events)
	{
		uv_poll_start(c->poll, events, pgconn_on_poll);
		c->poll_events = events;
	}
	return 0;
}

/*
 * Send what libpq holds after a PQsend*, watching for writability while some
 * is left. -1 when the connection failed: PQflush -1 may mean libpq closed
 * the socket under the poll handle, which then never reports again.
 */
static int
pgconn_flush(pgconn *c)
{
	int			f = PQflush(c->pg);

	if (f < 0)
		return -1;
	return f == 1 ? pgconn_watch(c, UV_READABLE | UV_WRITABLE) : 0;
}

const char *
pgconn_error(pgconn *c, char *buf, size_t size)
{
	const char *msg = c->pg ? PQerrorMessage(c->pg) : "";
	size_t		len = strlen(msg);

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	snprintf(buf, size, "%.*s", (int) len, msg);
	return buf;
}

/*
 * Drop the connection and arm the retry timer (unless stopping). A query in
 * flight is reported lost with result(c, NULL) after c is already DOWN, so
 * the hook cannot send on it.
 */
static void
pgconn_fail(pgconn *c, const char *what)
{
	bool		was_busy = c->st == PGCONN_BUSY;
	char		err[256];

	if (!c->stopping)
	{
		if (c->st >= PGCONN_IDLE || c->backoff_ms <= PGCONN_BACKOFF_FIRST_MS)
			log_warn("database (%s): %s: %s", c->app_name, what, pgconn_error(c, err, sizeof(err)));
		else
			log_debug("database (%s): %s: %s", c->app_name, what, pgconn_error(c, err, sizeof(err)));
	}
	pgconn_unwatch(c);
	if (c->res)
		PQclear(c->res);
	c->res = NULL;
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	c->st = PGCONN_DOWN;
	if (!c->stopping)
	{
		c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : PGCONN_BACKOFF_FIRST_MS;
		if (c->backoff_ms > PGCONN_BACKOFF_MAX_MS)
			c->backoff_ms = PGCONN_BACKOFF_MAX_MS;
		uv_timer_start(&c->timer, pgconn_on_timer, c->backoff_ms, 0);
	}
	if (was_busy)
		c->hooks->result(c, NULL);
	if (c->hooks->down)
		c->hooks->down(c);
}

/* The backoff timer: try again */
static void
pgconn_on_timer(uv_timer_t *t)
{
	pgconn	   *c = t->data;

	if (c->st == PGCONN_DOWN && !c->stopping)
		pgconn_connect(c);
}

/* Prepare the next statement, or become IDLE when all are prepared */
static void
pgconn_prepare_next(pgconn *c)
{
	if (c->prepared < c->nstmts)
	{
		const pgconn_stmt *s = &c->stmts[c->prepared];

		if (!PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL))
		{
			pgconn_fail(c, "preparing a statement");
			return;
		}
		c->st = PGCONN_PREPARING;
		if (pgconn_flush(c) < 0)
			pgconn_fail(c, "sending a statement");
		return;
	}
	c->st = PGCONN_IDLE;
	c->backoff_ms = 0;
	c->hooks->ready(c);
}

/* One step of PQconnectPoll */
static void
pgconn_connect_step(pgconn *c)
{
	switch (PQconnectPoll(c->pg))
	{
		case PGRES_POLLING_READING:
			if (pgconn_watch(c, UV_READABLE) < 0)
				pgconn_fail(c, "watching the connection");
			return;
		case PGRES_POLLING_WRITING:
			if (pgconn_watch(c, UV_WRITABLE) < 0)
				pgconn_fail(c, "watching the connection");
			return;
		case PGRES_POLLING_OK:
			if (PQsetnonblocking(c->pg, 1) != 0 || pgconn_watch(c, UV_READABLE) < 0)
			{
				pgconn_fail(c, "watching the connection");
				return;
			}
			/* unnamed: nothing to prepare, so nothing a pooler could lose between transactions */
			c->prepared = c->unnamed ? c->nstmts : 0;
			pgconn_prepare_next(c);
			return;
		default:
			pgconn_fail(c, "connecting");
			return;
	}
}

/* A query (or a PREPARE) finished with c->res as its last result */
static void
pgconn_finished(pgconn *c)
{
	PGresult   *res = c->res;

	c->res = NULL;
	if (c->st == PGCONN_PREPARING)
	{
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			log_error("database (%s): cannot prepare %s: %s", c->app_name, c->stmts[c->prepared].name,
					  res ? PQresultErrorMessage(res) : "no result");
			PQclear(res);
			pgconn_fail(c, "preparing a statement");
			return;
		}
		PQclear(res);
		c->prepared++;
		pgconn_prepare_next(c);
		return;
	}
	c->st = PGCONN_IDLE;
	c->hooks->result(c, res);
	PQclear(res);
}

/* The socket is readable or writable */
static void
pgconn_on_poll(uv_poll_t *h, int status, int events)
{
	pgconn	   *c = h->data;

	if (c->pg == NULL)
		return;
	if (status < 0)
	{
		/*
		 * libuv saw POLLERR (e.g. the server reset the connection: a backend
		 * terminated with our query unread) and has stopped this handle for
		 * good. Forget its events, so that a later pgconn_watch starts it
		 * again, and let libpq read what came before the error.
		 */
		c->poll_events = 0;
		events = UV_READABLE;
	}
	if (c->st == PGCONN_CONNECTING)
	{
		pgconn_connect_step(c);
		return;
	}
	if (events & UV_WRITABLE)
	{
		int			f = PQflush(c->pg);

		if (f < 0)
		{
			pgconn_fail(c, "sending");
			return;
		}
		if (f == 0 && pgconn_watch(c, UV_READABLE) < 0)
		{
			pgconn_fail(c, "watching the connection");
			return;
		}
	}
	if (!(events & UV_READABLE))
		return;
	if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
	{
		pgconn_fail(c, "connection lost");
		return;
	}
	/* a hook may send the next query: the loop then waits for that one */
	while (c->pg && (c->st == PGCONN_BUSY || c->st == PGCONN_PREPARING) && !PQisBusy(c->pg))
	{
		PGresult   *r = PQgetResult(c->pg);

		if (r)
		{
			if (c->res)
				PQclear(c->res);
			c->res = r;
			continue;
		}
		pgconn_finished(c);
	}
	/* a notification is freed at once: the owner learns only how many came */
	{
		int			n = 0;

		for (PGnotify *note; c->pg && (note = PQnotifies(c->pg)) != NULL; n++)
			PQfreemem(note);
		if (n > 0 && c->hooks->notified)
			c->hooks->notified(c, n);
	}

	/*
	 * The socket has an error and nothing watches it any more: libpq may
	 * have read the server's last message (its FATAL) without seeing the
	 * reset yet, so the connection would wait forever, counted as up, with
	 * a query in flight. Drop it: that query is answered as lost, and the
	 * connection comes back after the backoff.
	 */
	if (status < 0 && c->pg)
		pgconn_fail(c, "connection reset");
}

/* Database notices go to the debug log */
static void
pgconn_notice(void *arg, const char *message)
{
	pgconn	   *c = arg;

	log_debug("database (%s): %s", c->app_name, message);
}

/* Start a non-blocking connect */
static void
pgconn_connect(pgconn *c)
{
	const char *const keys[] = {"application_name", "dbname", NULL};
	const char *const vals[] = {c->app_name, c->conninfo ? c->conninfo : "", NULL};

	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD)
	{
		pgconn_fail(c, "connecting");
		return;
	}
	PQsetNoticeProcessor(c->pg, pgconn_notice, c);
	c->st = PGCONN_CONNECTING;
	if (pgconn_watch(c, UV_WRITABLE) < 0)
		pgconn_fail(c, "watching the connection");
}

void
pgconn_start(pgconn *c)
{
	c->st = PGCONN_DOWN;
	c->pg = NULL;
	c->poll = NULL;
	c->poll_fd = -1;
	c->poll_events = 0;
	c->backoff_ms = 0;
	c->res = NULL;
	c->stopping = false;
	uv_timer_init(c->loop, &c->timer);
	c->timer.data = c;
	uv_unref((uv_handle_t *) &c->timer);
	pgconn_connect(c);
}

/* After PQsendQuery*: BUSY, and watch for writability if output is pending */
static bool
pgconn_sent(pgconn *c, int ok)
{
	if (!ok)
	{
		/* c is IDLE, so pgconn_fail reports nothing: the caller keeps the request */
		pgconn_fail(c, "sending a query");
		return false;
	}
	c->st = PGCONN_BUSY;
	if (pgconn_flush(c) < 0)
	{
		c->st = PGCONN_IDLE;
		pgconn_fail(c, "sending a query");
		return false;
	}
	return true;
}

bool
pgconn_send(pgconn *c, const char *stmt, int nparams, const char *const *params)
{
	if (c->st != PGCONN_IDLE)
		return false;
	if (c->unnamed)
	{
		for (int i = 0; i < c->nstmts; i++)
			if (strcmp(c->stmts[i].name, stmt) == 0)
				return pgconn_sent(c, PQsendQueryParams(c->pg, c->stmts[i].sql, nparams, NULL, params,
														NULL, NULL, 0));
		log_error("database (%s): no statement %s", c->app_name, stmt);
		return false;
	}
	return pgconn_sent(c, PQsendQueryPrepared(c->pg, stmt, nparams, params, NULL, NULL, 0));
}

bool
pgconn_send_sql(pgconn *c, const char *sql)
{
	if (c->st != PGCONN_IDLE)
		return false;
	return pgconn_sent(c, PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0));
}

void
pgconn_reset(pgconn *c, const char *why)
{
	if (c->pg)
		pgconn_fail(c, why);
}

void
pgconn_stop(pgconn *c)
{
	c->stopping = true;
	uv_timer_stop(&c->timer);
	if (c->pg)
		pgconn_fail(c, "shutting down");
}
