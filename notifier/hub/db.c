/*
 * db.c — the LISTEN connection (see db.h): one pgconn (pgconn.c connects,
 * prepares the statements below, retries with backoff) driven by an explicit
 * state machine (pg_cron style): each state has at most one query in flight,
 * and db_on_result() decides the next state from the finished query.
 *
 *           pgconn: connect, prepare                    ┌─ a "keys" entry ──┬────────┐
 *   DOWN ─────────────────────────► LISTEN ──► SHARD ──► KEYS ──► ANCHOR ──► READY ◄──► READ
 *     ▲                                        (ANCHOR only on the first connect:
 *     │                                         a reconnect keeps its cursors)
 *   any failure or failed query (pgconn retries after 1, 2, 4 … 30 s)
 *
 * Authentic delivery (SPEC §3, docs/security-delivery.md): a notification
 * on channel roomcast is only a hint; its payload is never read (pgconn frees
 * every notification as soon as libpq has it and reports only how many came).
 * A hint sets the shard's hint flag; in READY a set flag sends one roomcast.notifier_read
 * (control entries after last_ctl, events after last_pos). Hints that
 * arrive while a read is in flight only set the flag again, so a flood of
 * forged hints costs at most one query per round trip and no memory.
 *
 * Ordering: rows come in log order and the cursors advance over them, so
 * delivery follows pos order with no gap and no repeat (a reader that sees
 * pos N sees every committed pos below N: extension/events.c). A full page
 * reads again at once. After a reconnect the same read catches up.
 *
 * Shards (SPEC §10, docs/scale-out-sharding.md): --db may be given more
 * than once, one per shard of a PL/Proxy setup. Each gets its own
 * connection, state machine and cursors (db_shard): each shard has its own
 * event log, so pos and control ids are only comparable within one shard.
 * After LISTEN each connection asks the shard's stable identity (SHARD
 * state); with several shards events carry "ID:POS" offsets, so that
 * recovery (recovery.c) can tell whose pos an offset is. A shard whose
 * identity changed across a reconnect is another log: its cursors are
 * anchored again.
 */
#include "hub/db.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "base/opts.h"
#include "hub/auth.h"
#include "hub/deliver.h"
#include "hub/keyset.h"
#include "hub/pgconn.h"

/* rows of each log per read: bounds a result to 500 x roomcast.max_event_bytes */
#define DB_READ_PAGE 500
#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

typedef enum db_state
{
	DB_DOWN = 0,				/* pgconn is (re)connecting and preparing */
	DB_LISTEN,					/* LISTEN roomcast sent */
	DB_SHARD,					/* the shard's identity asked */
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
 * a single row of NULL keys when there is none. Functions are
 * pg_catalog-qualified: this runs under the notifier role's own
 * search_path (see db_shard_sql).
 */
static const char db_keys_sql[] =
"SELECT s.skew, s.cu, s.ct, s.aud, s.iss, k.kid, k.alg, pg_catalog.encode(k.secret, 'hex'), "
"       k.retired_at IS NOT NULL "
"  FROM (SELECT pg_catalog.current_setting('roomcast.clock_skew', true) AS skew, "
"               pg_catalog.current_setting('roomcast.claim_user', true) AS cu, "
"               pg_catalog.current_setting('roomcast.claim_tenant', true) AS ct, "
"               pg_catalog.current_setting('roomcast.audience', true) AS aud, "
"               pg_catalog.current_setting('roomcast.issuer', true) AS iss) s "
"  LEFT JOIN roomcast.signing_keys k ON true "
" ORDER BY k.created_at DESC NULLS LAST";

/*
 * The shard's stable identity: the roomcast_shard.id database setting (set
 * by the operator, docs/scale-out-sharding.md), else 8 hex digits of
 * md5(system identifier/database name). examples/shards/proxy.sql adds the
 * same expression to recover()'s answer: keep the two equal.
 * Every name is pg_catalog-qualified and current_database() (a name) cast
 * to text: this runs under the notifier role's own search_path ("$user",
 * public), where an application role that can create a schema could put
 * an exact-match `text || name` operator and run it as the notifier
 * (docs/security-scale-out.md, finding 1).
 */
static const char db_shard_sql[] =
"SELECT coalesce(nullif(pg_catalog.current_setting('roomcast_shard.id', true), ''), "
"pg_catalog.left(pg_catalog.md5(c.system_identifier::text OPERATOR(pg_catalog.||) '/' "
"OPERATOR(pg_catalog.||) pg_catalog.current_database()::text), 8)) FROM pg_catalog.pg_control_system() c";

/* Prepared by pgconn on every (re)connect */
static const pgconn_stmt db_stmts[] = {
	{"rc_shard", db_shard_sql, 0},
	{"rc_keys", db_keys_sql, 0},
	{"rc_anchor", "SELECT pos, control_id FROM roomcast.notifier_anchor()", 0},
	{"rc_read", db_read_sql, 2},
};

/* One listened database (a shard): its connection, state and cursors */
typedef struct db_shard
{
	pgconn		conn;
	char	   *conninfo;
	db_state	st;
	bool		ready_once;		/* reached READY since the last connect */
	bool		anchored;		/* the cursors are real log positions */
	int64_t		last_pos;		/* highest event pos read from the log */
	int64_t		last_ctl;		/* highest control_log id read */
	bool		hint;			/* a hint came (or a page was full): read again */
	bool		keys_due;		/* a "keys" entry was read: reload the keys */
	keyset		keys;			/* its last loaded keys; kept while down (keyset.c) */
	char		id[DB_SHARD_ID_MAX + 1];	/* stable identity; "" until asked */
} db_shard;

static db_shard *db_shards;
static size_t db_nshards;

bool
db_up(void)
{
	if (db_nshards == 0)
		return false;
	/* every shard, also while reloading keys */
	for (size_t i = 0; i < db_nshards; i++)
		if (!db_shards[i].ready_once || db_shards[i].conn.st < PGCONN_IDLE)
			return false;
	return true;
}

/*
 * /metrics: roomcast_db_up per listened database, 1 while it is connected
 * and LISTENing with the keys loaded (READY or reading), as /healthz sees
 * it. With several --db the label shard is the position of its --db (1,
 * 2, …): known before the first connect and stable across an identity
 * change, so the series count is the number of --db.
 */
static void
db_render_metrics(buf *out)
{
	buf_printf(out, "# HELP roomcast_db_up Database listener connected and LISTENing (1) or not (0), per --db.\n"
			   "# TYPE roomcast_db_up gauge\n");
	for (size_t i = 0; i < db_nshards; i++)
	{
		int			up = db_shards[i].ready_once && db_shards[i].conn.st >= PGCONN_IDLE;

		if (db_nshards > 1)
			buf_printf(out, "roomcast_db_up{shard=\"%zu\"} %d\n", i + 1, up);
		else
			buf_printf(out, "roomcast_db_up %d\n", up);
	}
}

bool
db_multi(void)
{
	return db_nshards > 1;
}

bool
db_shard_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > DB_SHARD_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
			  (id[i] >= '0' && id[i] <= '9') || id[i] == '_' || id[i] == '-'))
			return false;
	return true;
}

/* Send prepared statement stmt and switch to state st; false when the connection failed */
static bool
db_send(db_shard *sh, db_state st, const char *stmt, int nparams, const char *const *params)
{
	if (!pgconn_send(&sh->conn, stmt, nparams, params))
		return false;			/* pgconn is DOWN and retrying; db_on_down reset the state */
	sh->st = st;
	return true;
}

/* Read what is new in both logs after the cursors */
static void
db_send_read(db_shard *sh)
{
	char		pos[24],
				ctl[24];
	const char *params[2];

	snprintf(pos, sizeof(pos), "%lld", (long long) sh->last_pos);
	snprintf(ctl, sizeof(ctl), "%lld", (long long) sh->last_ctl);
	params[0] = pos;
	params[1] = ctl;
	sh->hint = false;			/* hints from now on need another read */
	metrics_g.db_reads++;
	db_send(sh, DB_READ, "rc_read", 2, params);
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

/* A copy of a setting; NULL for NULL or "" (not set) */
static char *
db_setting(const PGresult *res, int col)
{
	const char *v = PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);

	return v && *v ? strdup(v) : NULL;
}

/*
 * Take sh's keys from the keys query's result, then install what every
 * shard agrees on (keyset_install; with one --db: these keys as they are)
 */
static void
db_load_keys(db_shard *sh, const PGresult *res)
{
	int			rows = PQntuples(res);
	keyset		ks = {0};
	const char *names[OPTS_MAX_DB];
	char		fallback[OPTS_MAX_DB][16];

	ks.keys = calloc(rows ? rows : 1, sizeof(auth_key));
	if (ks.keys == NULL)
	{
		log_error("out of memory loading signing keys; keeping the old ones");
		return;
	}
	for (int i = 0; i < rows; i++)
	{
		auth_key   *k = &ks.keys[ks.n];
		long		len;

		if (PQgetisnull(res, i, DB_KEYS_KID))
			continue;
		snprintf(k->kid, sizeof(k->kid), "%s", PQgetvalue(res, i, DB_KEYS_KID));
		k->alg = rc_jwt_alg_from_name(PQgetvalue(res, i, DB_KEYS_ALG));
		k->retired = PQgetvalue(res, i, DB_KEYS_RETIRED)[0] == 't';
		if ((len = db_unhex(PQgetvalue(res, i, DB_KEYS_SECRET_HEX), &k->secret)) < 0)
			continue;
		k->secret_len = (size_t) len;
		ks.n++;
	}
	if (rows > 0)
	{
		ks.clock_skew = db_parse_seconds(PQgetisnull(res, 0, DB_KEYS_SKEW) ? "0" : PQgetvalue(res, 0, DB_KEYS_SKEW));
		ks.claim_user = db_setting(res, DB_KEYS_CLAIM_USER);
		ks.claim_tenant = db_setting(res, DB_KEYS_CLAIM_TENANT);
		ks.audience = db_setting(res, DB_KEYS_AUDIENCE);
		ks.issuer = db_setting(res, DB_KEYS_ISSUER);
	}
	ks.loaded = true;
	keyset_clear(&sh->keys);
	sh->keys = ks;
	log_info("database listener %s: %zu signing keys loaded", sh->id, ks.n);

	/* every shard's set, named by identity (or --db position before it is known) */
	{
		keyset		sets[OPTS_MAX_DB];

		for (size_t i = 0; i < db_nshards && i < OPTS_MAX_DB; i++)
		{
			snprintf(fallback[i], sizeof(fallback[i]), "--db %zu", i + 1);
			names[i] = db_shards[i].id[0] ? db_shards[i].id : fallback[i];
			sets[i] = db_shards[i].keys;
		}
		keyset_install(sets, names, db_nshards < OPTS_MAX_DB ? db_nshards : OPTS_MAX_DB);
	}
}

/*
 * Obey and deliver one page of notifier_read: control rows (room NULL)
 * first, then events, each in log order. Returns true when either log
 * filled its page, so there may be more to read.
 */
static bool
db_read_page(db_shard *sh, const PGresult *res)
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
			if (pos > sh->last_ctl)
				sh->last_ctl = pos;
			switch (deliver_control_parse(PQgetvalue(res, i, DB_READ_DATA),
										  (size_t) PQgetlength(res, i, DB_READ_DATA), t, u))
			{
				case DELIVER_KEYS:
					sh->keys_due = true;	/* once, however many entries */
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
			ev.shard = db_nshards > 1 ? sh->id : NULL;	/* one database: offsets stay "POS" */
			if (pos > sh->last_pos)
			{
				deliver_event_send(&ev);
				sh->last_pos = pos;
			}
		}
	}
	return ctl_rows >= DB_READ_PAGE || ev_rows >= DB_READ_PAGE;
}

/* Take the end of the logs as the cursors (first connect), or fall back to it */
static void
db_anchor(db_shard *sh, const PGresult *res)
{
	int64_t		pos = 0,
				ctl = 0;

	if (PQntuples(res) == 1)
	{
		pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		ctl = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	if (!sh->anchored)
	{
		sh->last_pos = pos;
		sh->last_ctl = ctl;
		sh->anchored = true;
		return;
	}
	/* a cursor beyond the end: the database was restored from an older copy */
	if (sh->last_pos > pos || sh->last_ctl > ctl)
	{
		log_warn("database listener %s: the logs end before what was delivered (pos %lld < %lld or "
				 "control %lld < %lld); continuing from their end",
				 sh->id, (long long) pos, (long long) sh->last_pos, (long long) ctl, (long long) sh->last_ctl);
		if (sh->last_pos > pos)
			sh->last_pos = pos;
		if (sh->last_ctl > ctl)
			sh->last_ctl = ctl;
	}
}

/* Enter READY: reload keys or read when due, else wait for a hint */
static void
db_ready(db_shard *sh)
{
	if (!sh->ready_once)
	{
		sh->ready_once = true;
		log_info("database listener %s: listening on channel roomcast (after pos %lld, control %lld)",
				 sh->id, (long long) sh->last_pos, (long long) sh->last_ctl);
	}
	sh->st = DB_READY;
	if (sh->keys_due)
	{
		sh->keys_due = false;
		db_send(sh, DB_KEYS, "rc_keys", 0, NULL);
	}
	else if (sh->hint)
		db_send_read(sh);
}

/* pgconn_hooks.ready: connected and prepared; LISTEN first */
static void
db_on_ready(pgconn *c)
{
	db_shard   *sh = c->data;

	if (pgconn_send_sql(c, "LISTEN roomcast"))
		sh->st = DB_LISTEN;
}

/*
 * Take the shard's identity from the rc_shard query. False (the connection
 * is reset) when it is not a short token. Another identity than before:
 * another log, whose positions have nothing to do with the cursors.
 */
static bool
db_take_id(db_shard *sh, const PGresult *res)
{
	const char *id = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	size_t		len = strlen(id);

	if (!db_shard_id_valid(id, len))
	{
		log_error("database listener: shard identity \"%.40s\" is not 1-%d of [A-Za-z0-9_-] "
				  "(set roomcast_shard.id of the database)", id, DB_SHARD_ID_MAX);
		return false;
	}
	if (sh->id[0] && strcmp(sh->id, id) != 0)
	{
		log_warn("database listener: shard %s is now %s: another event log; reading from its end", sh->id, id);
		sh->anchored = false;
	}
	for (size_t i = 0; i < db_nshards; i++)
		if (&db_shards[i] != sh && strcmp(db_shards[i].id, id) == 0)
		{
			log_error("database listener: two --db name shard %s (the same database twice?)", id);
			return false;
		}
	memcpy(sh->id, id, len + 1);
	return true;
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
	db_shard   *sh = c->data;
	ExecStatusType st;

	if (res == NULL)
		return;
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
	{
		switch (sh->st)
		{
			case DB_LISTEN:
				db_send(sh, DB_SHARD, "rc_shard", 0, NULL);
				return;
			case DB_SHARD:
				if (!db_take_id(sh, res))
					break;
				db_send(sh, DB_KEYS, "rc_keys", 0, NULL);
				return;
			case DB_KEYS:
				db_load_keys(sh, res);
				if (sh->ready_once && sh->anchored)
					db_ready(sh);
				else
					db_send(sh, DB_ANCHOR, "rc_anchor", 0, NULL);
				return;
			case DB_ANCHOR:
				db_anchor(sh, res);
				sh->hint = true;	/* catch up: hints may have been lost while away */
				db_ready(sh);
				return;
			case DB_READ:
				if (db_read_page(sh, res))
					sh->hint = true;
				db_ready(sh);
				return;
			case DB_DOWN:
			case DB_READY:
				break;			/* no query of ours was in flight */
		}
		pgconn_reset(c, "shard identity refused");
		return;
	}
	log_error("database listener %s: query failed: %s", sh->id, PQresultErrorMessage(res));
	pgconn_reset(c, "query failed");
}

/*
 * pgconn_hooks.notified: n notifications on channel roomcast, each only a
 * hint whatever its payload (already freed). Read when idle.
 */
static void
db_on_notified(pgconn *c, int n)
{
	db_shard   *sh = c->data;

	metrics_g.db_hints += (uint64_t) n;
	sh->hint = true;
	if (sh->st == DB_READY)
		db_ready(sh);
}

/* pgconn_hooks.down: the connection is gone; pgconn retries after the backoff */
static void
db_on_down(pgconn *c)
{
	db_shard   *sh = c->data;

	if (sh->ready_once)
		metrics_g.db_reconnects++;
	sh->ready_once = false;
	sh->st = DB_DOWN;
}

static const pgconn_hooks db_hooks = {
	.ready = db_on_ready,
	.result = db_on_result,
	.notified = db_on_notified,
	.down = db_on_down,
};

void
db_start(uv_loop_t *loop, char *const *conninfos, size_t n)
{
	static char *const none[] = {NULL};

	if (n == 0)
	{
		conninfos = none;		/* libpq's PG* defaults */
		n = 1;
	}
	db_shards = calloc(n, sizeof(*db_shards));
	if (db_shards == NULL)
	{
		log_error("database listener: out of memory");
		return;
	}
	db_nshards = n;
	metrics_add_renderer(db_render_metrics);
	for (size_t i = 0; i < n; i++)
	{
		db_shard   *sh = &db_shards[i];

		sh->conninfo = strdup(conninfos[i] ? conninfos[i] : "");
		sh->conn.loop = loop;
		sh->conn.conninfo = sh->conninfo;
		sh->conn.app_name = "roomcast-notifier";
		sh->conn.stmts = db_stmts;
		sh->conn.nstmts = (int) (sizeof(db_stmts) / sizeof(db_stmts[0]));
		sh->conn.hooks = &db_hooks;
		sh->conn.data = sh;
		pgconn_start(&sh->conn);
	}
}

void
db_stop(void)
{
	for (size_t i = 0; i < db_nshards; i++)
		pgconn_stop(&db_shards[i].conn);
}
