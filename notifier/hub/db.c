/*
 * db.c — the LISTEN connection (see db.h): one pgconn (pgconn.c connects,
 * prepares the statements below, retries with backoff) driven by an explicit
 * state machine (pg_cron style): each state has at most one query in flight,
 * and db_on_result() decides the next state from the finished query.
 *
 *           pgconn: connect, prepare          ┌─ a "keys" entry ──┬────────┐
 *   DOWN ─────────────────────────► LISTEN ──► KEYS ──► ANCHOR ──► READY ◄──► READ
 *     ▲                                        (ANCHOR only on the first connect:
 *     │                                         a reconnect keeps its cursors)
 *   any failure or failed query (pgconn retries after 1, 2, 4 … 30 s)
 *
 * Authentic delivery (SPEC §3, docs/security-delivery.md): a notification
 * on channel roomcast is only a hint; its payload is never read (pgconn frees
 * every notification as soon as libpq has it and reports only how many came).
 * A hint sets db_hint; in READY a set db_hint sends one roomcast.notifier_read
 * (control entries after db_last_ctl, events after db_last_pos). Hints that
 * arrive while a read is in flight only set the flag again, so a flood of
 * forged hints costs at most one query per round trip and no memory.
 *
 * Ordering: rows come in log order and the cursors advance over them, so
 * delivery follows pos order with no gap and no repeat (a reader that sees
 * pos N sees every committed pos below N: extension/events.c). A full page
 * reads again at once. After a reconnect the same read catches up.
 */
#include "hub/db.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "hub/auth.h"
#include "hub/deliver.h"
#include "hub/pgconn.h"

/* rows of each log per read: bounds a result to 500 x roomcast.max_event_bytes */
#define DB_READ_PAGE 500
#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

typedef enum db_state
{
	DB_DOWN = 0,				/* pgconn is (re)connecting and preparing */
	DB_LISTEN,					/* LISTEN roomcast sent */
	DB_KEYS,					/* signing keys and verification settings query sent */
	DB_ANCHOR,					/* notifier_anchor sent: where the logs end */
	DB_READY,					/* idle, waiting for a hint */
	DB_READ						/* notifier_read sent */
} db_state;

/*
 * The row of roomcast.notifier_read (extension/ddl/46_control.ddl.sql, RETURNS
 * TABLE): its columns, named once here; db_read_sql selects them in this
 * order. A control row has room NULL and its message in data.
 */
enum
{
	DB_READ_POS = 0,			/* bigint: event pos or control_log id */
	DB_READ_TENANT,				/* uuid as text */
	DB_READ_ROOM,				/* NULL for a control row */
	DB_READ_NSP,
	DB_READ_EVENT,
	DB_READ_DATA,				/* the event's JSON, or the control message */
	DB_READ_TS					/* ms since the epoch */
};
static const char db_read_sql[] =
"SELECT pos, tenant_id::text, room, nsp, event, data, ts "
"FROM roomcast.notifier_read($1::bigint, $2::bigint, " DB_STR(DB_READ_PAGE) ")";

/* The columns of the keys query (db_keys_sql) */
enum
{
	DB_KEYS_SKEW = 0,
	DB_KEYS_CLAIM_USER,
	DB_KEYS_CLAIM_TENANT,
	DB_KEYS_AUDIENCE,
	DB_KEYS_ISSUER,
	DB_KEYS_KID,
	DB_KEYS_ALG,
	DB_KEYS_SECRET_HEX,
	DB_KEYS_RETIRED
};

/*
 * The keys query: one row per key, newest first, each with the settings;
 * a single row of NULL keys when there is none.
 */
static const char db_keys_sql[] =
"SELECT s.skew, s.cu, s.ct, s.aud, s.iss, k.kid, k.alg, encode(k.secret, 'hex'), "
"       k.retired_at IS NOT NULL "
"  FROM (SELECT current_setting('roomcast.clock_skew', true) AS skew, "
"               current_setting('roomcast.claim_user', true) AS cu, "
"               current_setting('roomcast.claim_tenant', true) AS ct, "
"               current_setting('roomcast.audience', true) AS aud, "
"               current_setting('roomcast.issuer', true) AS iss) s "
"  LEFT JOIN roomcast.signing_keys k ON true "
" ORDER BY k.created_at DESC NULLS LAST";

/* Prepared by pgconn on every (re)connect */
static const pgconn_stmt db_stmts[] = {
	{"rc_keys", db_keys_sql, 0},
	{"rc_anchor", "SELECT pos, control_id FROM roomcast.notifier_anchor()", 0},
	{"rc_read", db_read_sql, 2},
};

static pgconn db_conn;
static char *db_conninfo;
static db_state db_st = DB_DOWN;
static bool db_ready_once;		/* reached READY since the last connect */
static bool db_anchored;		/* the cursors are real log positions */
static int64_t db_last_pos;		/* highest event pos read from the log */
static int64_t db_last_ctl;		/* highest control_log id read */
static bool db_hint;			/* a hint came (or a page was full): read again */
static bool db_keys_due;		/* a "keys" entry was read: reload the keys */

bool
db_up(void)
{
	/* also while reloading keys */
	return db_ready_once && db_conn.st >= PGCONN_IDLE;
}

/* Send prepared statement stmt and switch to state st; false when the connection failed */
static bool
db_send(db_state st, const char *stmt, int nparams, const char *const *params)
{
	if (!pgconn_send(&db_conn, stmt, nparams, params))
		return false;			/* pgconn is DOWN and retrying; db_on_down reset the state */
	db_st = st;
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
	db_send(DB_READ, "rc_read", 2, params);
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

/* Install the keys from the keys query's result */
static void
db_load_keys(const PGresult *res)
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

		if (PQgetisnull(res, i, DB_KEYS_KID))
			continue;
		snprintf(keys[n].kid, sizeof(keys[n].kid), "%s", PQgetvalue(res, i, DB_KEYS_KID));
		keys[n].alg = rc_jwt_alg_from_name(PQgetvalue(res, i, DB_KEYS_ALG));
		keys[n].retired = PQgetvalue(res, i, DB_KEYS_RETIRED)[0] == 't';
		if ((len = db_unhex(PQgetvalue(res, i, DB_KEYS_SECRET_HEX), &keys[n].secret)) < 0)
			continue;
		keys[n].secret_len = (size_t) len;
		n++;
	}
	if (rows > 0)
	{
		policy.clock_skew = db_parse_seconds(PQgetisnull(res, 0, DB_KEYS_SKEW) ? "0" : PQgetvalue(res, 0, DB_KEYS_SKEW));
		policy.claim_user = PQgetisnull(res, 0, DB_KEYS_CLAIM_USER) ? NULL : PQgetvalue(res, 0, DB_KEYS_CLAIM_USER);
		policy.claim_tenant = PQgetisnull(res, 0, DB_KEYS_CLAIM_TENANT) ? NULL : PQgetvalue(res, 0, DB_KEYS_CLAIM_TENANT);
		policy.audience = PQgetisnull(res, 0, DB_KEYS_AUDIENCE) ? NULL : PQgetvalue(res, 0, DB_KEYS_AUDIENCE);
		policy.issuer = PQgetisnull(res, 0, DB_KEYS_ISSUER) ? NULL : PQgetvalue(res, 0, DB_KEYS_ISSUER);
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
db_read_page(const PGresult *res)
{
	int			rows = PQntuples(res);
	int			ctl_rows = 0,
				ev_rows = 0;

	for (int i = 0; i < rows; i++)
	{
		int64_t		pos = strtoll(PQgetvalue(res, i, DB_READ_POS), NULL, 10);

		if (PQgetisnull(res, i, DB_READ_ROOM))
		{
			char		t[37],
						u[37];

			ctl_rows++;
			if (pos > db_last_ctl)
				db_last_ctl = pos;
			switch (deliver_control_parse(PQgetvalue(res, i, DB_READ_DATA),
										  (size_t) PQgetlength(res, i, DB_READ_DATA), t, u))
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
			ev.tenant = PQgetvalue(res, i, DB_READ_TENANT);
			ev.room = PQgetvalue(res, i, DB_READ_ROOM);
			ev.room_len = (size_t) PQgetlength(res, i, DB_READ_ROOM);
			ev.nsp = PQgetvalue(res, i, DB_READ_NSP);
			ev.nsp_len = (size_t) PQgetlength(res, i, DB_READ_NSP);
			ev.event = PQgetvalue(res, i, DB_READ_EVENT);
			ev.event_len = (size_t) PQgetlength(res, i, DB_READ_EVENT);
			ev.data = PQgetvalue(res, i, DB_READ_DATA);
			ev.data_len = (size_t) PQgetlength(res, i, DB_READ_DATA);
			ev.ts = strtoll(PQgetvalue(res, i, DB_READ_TS), NULL, 10);
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
db_anchor(const PGresult *res)
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
		log_info("database listener: listening on channel roomcast (after pos %lld, control %lld)",
				 (long long) db_last_pos, (long long) db_last_ctl);
	}
	db_st = DB_READY;
	if (db_keys_due)
	{
		db_keys_due = false;
		db_send(DB_KEYS, "rc_keys", 0, NULL);
	}
	else if (db_hint)
		db_send_read();
}

/* pgconn_hooks.ready: connected and prepared; LISTEN first */
static void
db_on_ready(pgconn *c)
{
	if (pgconn_send_sql(c, "LISTEN roomcast"))
		db_st = DB_LISTEN;
}

/*
 * pgconn_hooks.result: a query finished with res (NULL: the connection was
 * lost, and db_on_down has already run); decide the next state. A failed
 * query drops the connection: pgconn reconnects and the machine starts over
 * at LISTEN, keeping its cursors.
 */
static void
db_on_result(pgconn *c, const PGresult *res)
{
	ExecStatusType st;

	if (res == NULL)
		return;
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
	{
		switch (db_st)
		{
			case DB_LISTEN:
				db_send(DB_KEYS, "rc_keys", 0, NULL);
				return;
			case DB_KEYS:
				db_load_keys(res);
				if (db_ready_once)
					db_ready();
				else
					db_send(DB_ANCHOR, "rc_anchor", 0, NULL);
				return;
			case DB_ANCHOR:
				db_anchor(res);
				db_hint = true;	/* catch up: hints may have been lost while away */
				db_ready();
				return;
			case DB_READ:
				if (db_read_page(res))
					db_hint = true;
				db_ready();
				return;
			case DB_DOWN:
			case DB_READY:
				break;			/* no query of ours was in flight */
		}
	}
	log_error("database listener: query failed: %s", PQresultErrorMessage(res));
	pgconn_reset(c, "query failed");
}

/*
 * pgconn_hooks.notified: n notifications on channel roomcast, each only a
 * hint whatever its payload (already freed). Read when idle.
 */
static void
db_on_notified(pgconn *c, int n)
{
	(void) c;
	metrics_g.db_hints += (uint64_t) n;
	db_hint = true;
	if (db_st == DB_READY)
		db_ready();
}

/* pgconn_hooks.down: the connection is gone; pgconn retries after the backoff */
static void
db_on_down(pgconn *c)
{
	(void) c;
	if (db_ready_once)
		metrics_g.db_reconnects++;
	db_ready_once = false;
	db_st = DB_DOWN;
}

static const pgconn_hooks db_hooks = {
	.ready = db_on_ready,
	.result = db_on_result,
	.notified = db_on_notified,
	.down = db_on_down,
};

void
db_start(uv_loop_t *loop, const char *conninfo)
{
	db_conninfo = strdup(conninfo ? conninfo : "");
	db_conn.loop = loop;
	db_conn.conninfo = db_conninfo;
	db_conn.app_name = "roomcast-notifier";
	db_conn.stmts = db_stmts;
	db_conn.nstmts = (int) (sizeof(db_stmts) / sizeof(db_stmts[0]));
	db_conn.hooks = &db_hooks;
	db_conn.data = NULL;
	pgconn_start(&db_conn);
}

void
db_stop(void)
{
	pgconn_stop(&db_conn);
}
