/*
 * db.c — the LISTEN connection (see db.h), driven by an explicit state
 * machine (pg_cron style): each state has at most one query in flight, and
 * db_on_result() decides the next state from the finished query.
 *
 *   DOWN ──timer──► CONNECTING ──ok──► LISTEN ──► KEYS ──► ANCHOR ──► READY ◄──► READ
 *                                                   ▲                   │        │
 *                                                   └─ a "keys" entry ──┴────────┘
 *   any failure ──► DOWN (retry after 1, 2, 4 … 30 s)
 *
 * Authentic delivery (SPEC §3, docs/security-delivery.md): a notification
 * on channel roomcast is only a hint; its payload is never read. A hint
 * sets db_hint; in READY a set db_hint sends one roomcast.notifier_read
 * (control entries after db_last_ctl, events after db_last_pos). Hints that
 * arrive while a read is in flight only set the flag again, so a flood of
 * forged hints costs at most one query per round trip and no memory: every
 * notification is taken from libpq and freed as soon as it is read.
 *
 * Ordering: rows come in log order and the cursors advance over them, so
 * delivery follows pos order with no gap and no repeat (a reader that sees
 * pos N sees every committed pos below N: extension/events.c). A full page
 * reads again at once. After a reconnect the same read catches up.
 */
#include "hub/db.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/auth.h"
#include "hub/deliver.h"
#include "base/log.h"
#include "base/metrics.h"

#define DB_BACKOFF_MAX_MS 30000
/* rows of each log per read: bounds a result to 500 x roomcast.max_event_bytes */
#define DB_READ_PAGE 500
#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

typedef enum db_state
{
	DB_DOWN = 0,				/* no connection; the retry timer is armed */
	DB_CONNECTING,				/* PQconnectPoll in progress */
	DB_LISTEN,					/* LISTEN roomcast sent */
	DB_KEYS,					/* signing keys and verification settings query sent */
	DB_ANCHOR,					/* notifier_anchor sent: where the logs end */
	DB_READY,					/* idle, waiting for a hint */
	DB_READ						/* notifier_read sent */
} db_state;

static uv_loop_t *db_loop;
static char *db_conninfo;
static PGconn *db_conn;
static uv_poll_t *db_poll;		/* on PQsocket(db_conn); freed by its close callback */
static int	db_poll_fd = -1;
static int	db_poll_events;
static uv_timer_t db_timer;
static db_state db_st = DB_DOWN;
static bool db_busy;			/* a query is in flight */
static PGresult *db_res;		/* the last result of the query in flight */
static uint32_t db_backoff_ms;
static bool db_ready_once;		/* reached READY since the last connect */
static bool db_anchored;		/* the cursors are real log positions */
static int64_t db_last_pos;		/* highest event pos read from the log */
static int64_t db_last_ctl;		/* highest control_log id read */
static bool db_hint;			/* a hint came (or a page was full): read again */
static bool db_keys_due;		/* a "keys" entry was read: reload the keys */
static bool db_stopping;
static unsigned long db_connects;	/* successful connections so far */

static void db_connect(void);
static void db_on_poll(uv_poll_t *h, int status, int events);
static void db_drain(void);

bool
db_up(void)
{
	return db_ready_once && db_conn != NULL;	/* also while reloading keys */
}

/* Free a poll handle once libuv is done with it */
static void
db_poll_free(uv_handle_t *h)
{
	free(h);
}

/* Stop watching the current socket */
static void
db_unwatch(void)
{
	if (db_poll)
	{
		uv_poll_stop(db_poll);
		uv_close((uv_handle_t *) db_poll, db_poll_free);
		db_poll = NULL;
	}
	db_poll_fd = -1;
	db_poll_events = 0;
}

/* Watch PQsocket for events (UV_READABLE | UV_WRITABLE); 0 or -1 */
static int
db_watch(int events)
{
	int			fd = PQsocket(db_conn);

	if (fd < 0)
		return -1;
	if (fd != db_poll_fd)
	{
		db_unwatch();
		db_poll = malloc(sizeof(*db_poll));
		if (db_poll == NULL || uv_poll_init(db_loop, db_poll, fd) != 0)
		{
			free(db_poll);
			db_poll = NULL;
			return -1;
		}
		db_poll_fd = fd;
	}
	if (events != db_poll_events)
	{
		uv_poll_start(db_poll, events, db_on_poll);
		db_poll_events = events;
	}
	return 0;
}

/* Drop the connection and retry after the backoff */
static void
db_fail(const char *what)
{
	const char *msg = db_conn ? PQerrorMessage(db_conn) : "";
	size_t		len = strlen(msg);

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	if (db_ready_once || db_backoff_ms <= 1000)
		log_warn("database listener: %s: %.*s", what, (int) len, msg);
	else
		log_debug("database listener: %s: %.*s", what, (int) len, msg);
	if (db_ready_once)
		metrics_g.db_reconnects++;
	db_unwatch();
	if (db_res)
		PQclear(db_res);
	db_res = NULL;
	if (db_conn)
		PQfinish(db_conn);
	db_conn = NULL;
	db_busy = false;
	db_st = DB_DOWN;
	db_ready_once = false;
	if (db_stopping)
		return;
	db_backoff_ms = db_backoff_ms ? db_backoff_ms * 2 : 1000;
	if (db_backoff_ms > DB_BACKOFF_MAX_MS)
		db_backoff_ms = DB_BACKOFF_MAX_MS;
	log_info("database listener: reconnecting in %u s", db_backoff_ms / 1000);
	uv_timer_start(&db_timer, (uv_timer_cb) db_connect, db_backoff_ms, 0);
}

/* Send a query with text parameters and switch to state st; false on failure */
static bool
db_send(db_state st, const char *sql, int nparams, const char *const *params)
{
	if (!PQsendQueryParams(db_conn, sql, nparams, NULL, params, NULL, NULL, 0))
	{
		db_fail("sending a query");
		return false;
	}
	db_st = st;
	db_busy = true;
	if (PQflush(db_conn) == 1)
		db_watch(UV_READABLE | UV_WRITABLE);
	return true;
}

/* Read what is new in both logs after the cursors */
static void
db_send_read(void)
{
	char		pos[24],
				ctl[24];
	const char *params[2];

	snprintf(pos, sizeof(pos), "%lld", (long long) db_last_pos);
	snprintf(ctl, sizeof(ctl), "%lld", (long long) db_last_ctl);
	params[0] = pos;
	params[1] = ctl;
	db_hint = false;			/* hints from now on need another read */
	metrics_g.db_reads++;
	db_send(DB_READ,
			"SELECT pos, tenant_id::text, room, nsp, event, data, ts "
			"FROM roomcast.notifier_read($1::bigint, $2::bigint, " DB_STR(DB_READ_PAGE) ")", 2, params);
}

/* Parse a GUC in seconds as current_setting shows it ("0", "5s", "2min", "1h") */
static int64_t
db_parse_seconds(const char *s)
{
	char	   *end;
	long long	v = strtoll(s ? s : "0", &end, 10);

	if (strcmp(end, "ms") == 0)
		return v / 1000;
	if (strcmp(end, "min") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	return v;
}

/* Hex text to bytes; the length, or -1 */
static long
db_unhex(const char *hex, uint8_t **out)
{
	size_t		n = strlen(hex) / 2;
	uint8_t    *b = malloc(n ? n : 1);

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
	{
		unsigned	x;

		if (sscanf(hex + 2 * i, "%2x", &x) != 1)
		{
			free(b);
			return -1;
		}
		b[i] = (uint8_t) x;
	}
	*out = b;
	return (long) n;
}

/*
 * The keys query: one row per key, newest first, each with the settings;
 * a single row of NULL keys when there is none.
 */
static const char db_keys_sql[] =
"SELECT s.skew, s.cu, s.ct, s.aud, s.iss, NULL, k.kid, k.alg, encode(k.secret, 'hex'), "
"       k.retired_at IS NOT NULL "
"  FROM (SELECT current_setting('roomcast.clock_skew', true) AS skew, "
"               current_setting('roomcast.claim_user', true) AS cu, "
"               current_setting('roomcast.claim_tenant', true) AS ct, "
"               current_setting('roomcast.audience', true) AS aud, "
"               current_setting('roomcast.issuer', true) AS iss) s "
"  LEFT JOIN roomcast.signing_keys k ON true "
" ORDER BY k.created_at DESC NULLS LAST";

/* Install the keys from the keys query's result */
static void
db_load_keys(PGresult *res)
{
	int			rows = PQntuples(res);
	auth_key   *keys = calloc(rows ? rows : 1, sizeof(auth_key));
	size_t		n = 0;
	rc_jwt_policy policy = {0};

	if (keys == NULL)
	{
		log_error("out of memory loading signing keys; keeping the old ones");
		return;
	}
	for (int i = 0; i < rows; i++)
	{
		long		len;

		if (PQgetisnull(res, i, 6))
			continue;
		snprintf(keys[n].kid, sizeof(keys[n].kid), "%s", PQgetvalue(res, i, 6));
		keys[n].alg = rc_jwt_alg_from_name(PQgetvalue(res, i, 7));
		keys[n].retired = PQgetvalue(res, i, 9)[0] == 't';
		if ((len = db_unhex(PQgetvalue(res, i, 8), &keys[n].secret)) < 0)
			continue;
		keys[n].secret_len = (size_t) len;
		n++;
	}
	if (rows > 0)
	{
		policy.clock_skew = db_parse_seconds(PQgetisnull(res, 0, 0) ? "0" : PQgetvalue(res, 0, 0));
		policy.claim_user = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
		policy.claim_tenant = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
		policy.audience = PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3);
		policy.issuer = PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4);
	}
	auth_set_keys(keys, n, &policy);
	log_info("database listener: %zu signing keys loaded", n);
}

/*
 * Obey and deliver one page of notifier_read: control rows (room NULL)
 * first, then events, each in log order. Returns true when either log
 * filled its page, so there may be more to read.
 */
static bool
db_read_page(PGresult *res)
{
	int			rows = PQntuples(res);
	int			ctl_rows = 0,
				ev_rows = 0;

	for (int i = 0; i < rows; i++)
	{
		int64_t		pos = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		if (PQgetisnull(res, i, 2))
		{
			char		t[37],
						u[37];

			ctl_rows++;
			if (pos > db_last_ctl)
				db_last_ctl = pos;
			switch (deliver_control_parse(PQgetvalue(res, i, 5), (size_t) PQgetlength(res, i, 5), t, u))
			{
				case DELIVER_KEYS:
					db_keys_due = true;	/* once, however many entries */
					break;
				case DELIVER_KICK:
					deliver_kick(t, u);
					break;
				case DELIVER_KICK_TENANT:
					deliver_kick_tenant(t);
					break;
				case DELIVER_IGNORE:
					break;
			}
			continue;
		}
		{
			deliver_event ev = {0};

			ev_rows++;
			ev.pos = pos;
			ev.tenant = PQgetvalue(res, i, 1);
			ev.room = PQgetvalue(res, i, 2);
			ev.room_len = (size_t) PQgetlength(res, i, 2);
			ev.nsp = PQgetvalue(res, i, 3);
			ev.nsp_len = (size_t) PQgetlength(res, i, 3);
			ev.event = PQgetvalue(res, i, 4);
			ev.event_len = (size_t) PQgetlength(res, i, 4);
			ev.data = PQgetvalue(res, i, 5);
			ev.data_len = (size_t) PQgetlength(res, i, 5);
			ev.ts = strtoll(PQgetvalue(res, i, 6), NULL, 10);
			if (pos > db_last_pos)
			{
				deliver_event_send(&ev);
				db_last_pos = pos;
			}
		}
	}
	return ctl_rows >= DB_READ_PAGE || ev_rows >= DB_READ_PAGE;
}

/* Take the end of the logs as the cursors (first connect), or fall back to it */
static void
db_anchor(PGresult *res)
{
	int64_t		pos = 0,
				ctl = 0;

	if (PQntuples(res) == 1)
	{
		pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		ctl = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	if (!db_anchored)
	{
		db_last_pos = pos;
		db_last_ctl = ctl;
		db_anchored = true;
		return;
	}
	/* a cursor beyond the end: the database was restored from an older copy */
	if (db_last_pos > pos || db_last_ctl > ctl)
	{
		log_warn("database listener: the logs end before what was delivered (pos %lld < %lld or "
				 "control %lld < %lld); continuing from their end",
				 (long long) pos, (long long) db_last_pos, (long long) ctl, (long long) db_last_ctl);
		if (db_last_pos > pos)
			db_last_pos = pos;
		if (db_last_ctl > ctl)
			db_last_ctl = ctl;
	}
}

/* Enter READY: reload keys or read when due, else wait for a hint */
static void
db_ready(void)
{
	if (!db_ready_once)
	{
		db_ready_once = true;
		db_backoff_ms = 0;
		log_info("database listener: listening on channel roomcast (after pos %lld, control %lld)",
				 (long long) db_last_pos, (long long) db_last_ctl);
	}
	db_st = DB_READY;
	if (db_keys_due)
	{
		db_keys_due = false;
		db_send(DB_KEYS, db_keys_sql, 0, NULL);
	}
	else if (db_hint)
		db_send_read();
}

/* A query finished with res (owned here); decide the next state */
static void
db_on_result(PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool		ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (ok)
	{
		switch (db_st)
		{
			case DB_LISTEN:
				db_send(DB_KEYS, db_keys_sql, 0, NULL);
				break;
			case DB_KEYS:
				db_load_keys(res);
				if (db_ready_once)
					db_ready();
				else
					db_send(DB_ANCHOR, "SELECT pos, control_id FROM roomcast.notifier_anchor()", 0, NULL);
				break;
			case DB_ANCHOR:
				db_anchor(res);
				db_hint = true;	/* catch up: hints may have been lost while away */
				db_ready();
				break;
			case DB_READ:
				if (db_read_page(res))
					db_hint = true;
				db_ready();
				break;
			default:
				ok = false;
				break;
		}
		if (ok)
		{
			PQclear(res);
			return;
		}
	}
	if (res)
	{
		log_error("database listener: query failed: %s", PQresultErrorMessage(res));
		PQclear(res);
	}
	db_fail("query failed");
}

/*
 * Take every pending notification from libpq and free it: each is only a
 * hint, whatever its payload. Read when idle.
 */
static void
db_drain(void)
{
	PGnotify   *n;

	while (db_conn && (n = PQnotifies(db_conn)) != NULL)
	{
		metrics_g.db_hints++;
		db_hint = true;
		PQfreemem(n);
	}
	if (db_conn && db_st == DB_READY && db_hint)
		db_ready();
}

/* Advance PQconnectPoll; on success send LISTEN */
static void
db_connect_step(void)
{
	switch (PQconnectPoll(db_conn))
	{
		case PGRES_POLLING_READING:
			if (db_watch(UV_READABLE) < 0)
				db_fail("watching the connection");
			return;
		case PGRES_POLLING_WRITING:
			if (db_watch(UV_WRITABLE) < 0)
				db_fail("watching the connection");
			return;
		case PGRES_POLLING_OK:
			db_connects++;
			PQsetnonblocking(db_conn, 1);
			if (db_watch(UV_READABLE) < 0)
			{
				db_fail("watching the connection");
				return;
			}
			db_send(DB_LISTEN, "LISTEN roomcast", 0, NULL);
			return;
		default:
			db_fail("connecting");
			return;
	}
}

/* Socket events: connect steps, flush, input, results, notifications */
static void
db_on_poll(uv_poll_t *h, int status, int events)
{
	(void) h;
	if (db_conn == NULL)
		return;
	if (db_st == DB_CONNECTING)
	{
		db_connect_step();
		return;
	}
	if (status < 0)
		events = UV_READABLE;	/* let libpq find the error */
	if (events & UV_WRITABLE)
	{
		int			f = PQflush(db_conn);

		if (f < 0)
		{
			db_fail("sending");
			return;
		}
		if (f == 0)
			db_watch(UV_READABLE);
	}
	if (!(events & UV_READABLE))
		return;
	if (!PQconsumeInput(db_conn) || PQstatus(db_conn) != CONNECTION_OK)
	{
		db_fail("connection lost");
		return;
	}
	while (db_conn && db_busy && !PQisBusy(db_conn))
	{
		PGresult   *r = PQgetResult(db_conn);

		if (r)
		{
			if (db_res)
				PQclear(db_res);
			db_res = r;
			continue;
		}
		db_busy = false;
		r = db_res;
		db_res = NULL;
		db_on_result(r);		/* may send the next query (db_busy again) */
	}
	db_drain();
}

/* libpq notices (e.g. from LISTEN) go to the debug log */
static void
db_notice(void *arg, const char *message)
{
	(void) arg;
	log_debug("database: %s", message);
}

/* Start a connection attempt (also the retry timer's callback) */
static void
db_connect(void)
{
	const char *const keys[] = {"application_name", "dbname", NULL};
	const char *const vals[] = {"roomcast-notifier", db_conninfo, NULL};

	db_conn = PQconnectStartParams(keys, vals, 1);
	if (db_conn == NULL || PQstatus(db_conn) == CONNECTION_BAD)
	{
		db_fail("connecting");
		return;
	}
	PQsetNoticeProcessor(db_conn, db_notice, NULL);
	db_st = DB_CONNECTING;
	if (db_watch(UV_WRITABLE) < 0)
		db_fail("watching the connection");
}

void
db_start(uv_loop_t *loop, const char *conninfo)
{
	db_loop = loop;
	db_conninfo = strdup(conninfo ? conninfo : "");
	uv_timer_init(loop, &db_timer);
	uv_unref((uv_handle_t *) &db_timer);
	db_connect();
}

void
db_stop(void)
{
	db_stopping = true;
	uv_timer_stop(&db_timer);
	if (db_conn)
		db_fail("shutting down");
}
