/*
 * rpc.c — client requests through roomcast.rpc (see rpc.h).
 *
 * One libpq connection, non-blocking on the loop (uv_poll), driven by an
 * explicit state enum: DOWN → CONNECTING → IDLE ⇄ BUSY. Requests wait in a
 * FIFO bounded by RPC_QUEUE_MAX; one is in flight at a time. While the
 * connection is down a request is answered UNAVAILABLE at once (the client
 * may retry) rather than queued without bound. A request whose socket went
 * away still runs (its effects are the database's) but is not answered.
 * The same connection runs roomcast.maintain() when it first connects and
 * every 10 minutes, so the LISTEN connection never waits for it.
 */
#include "rpc.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "auth.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "rc_json.h"
#include "rooms.h"
#include "sio_codec.h"

#define RPC_QUEUE_MAX 10000
#define RPC_BACKOFF_MAX_MS 30000
#define RPC_MAX_NAME 64
#define RPC_MAINTAIN_MS (10 * 60 * 1000)	/* docs/sql-events.md: every 10 minutes */

typedef enum rpc_state
{
	RPC_DOWN = 0,				/* no connection; the retry timer is armed */
	RPC_CONNECTING,				/* PQconnectPoll in progress */
	RPC_IDLE,					/* connected, nothing in flight */
	RPC_BUSY					/* the queue head is in flight */
} rpc_state;

typedef enum rpc_kind
{
	RPC_GENERIC = 0,			/* ack [result] */
	RPC_JOIN,					/* join the room of the result, room-joined, user-joined */
	RPC_LEAVE,					/* leave it, user-left */
	RPC_UNREAD,					/* also emit notification:unread_count */
	RPC_MAINTAIN				/* SELECT roomcast.maintain(): no socket, no token */
} rpc_kind;

typedef struct rpc_req
{
	struct rpc_req *next;
	sio_socket *sock;			/* NULL once the socket is gone */
	int64_t		ack;			/* -1: no ack wanted */
	rpc_kind	kind;
	char	   *method;			/* these three share one allocation */
	char	   *args;
	char	   *token;
} rpc_req;

static uv_loop_t *rpc_loop;
static char *rpc_conninfo;
static PGconn *rpc_conn;
static uv_poll_t *rpc_poll;
static int	rpc_poll_fd = -1;
static int	rpc_poll_events;
static uv_timer_t rpc_timer;
static uv_timer_t rpc_maint_timer;	/* roomcast.maintain() every RPC_MAINTAIN_MS */
static bool rpc_maint_started;
static rpc_state rpc_st = RPC_DOWN;
static uint32_t rpc_backoff_ms;
static rpc_req *rpc_head,
		   *rpc_tail;
static size_t rpc_queued;
static PGresult *rpc_res;
static bool rpc_stopping;

static void rpc_connect(void);
static void rpc_on_poll(uv_poll_t *h, int status, int events);
static void rpc_next(void);

/* Milliseconds since the Unix epoch */
static long long
rpc_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*---- answers ----*/

/* Ack with a JSON array text, if the socket is still there and wants one */
static void
rpc_ack(rpc_req *r, const char *json, size_t len)
{
	if (r->sock && r->ack >= 0)
		sio_ack(r->sock, r->ack, json, len);
}

/* Ack an error: [{"error":{…}}], or [{"success":false,"error":{…}}] for join/leave */
static void
rpc_ack_error(rpc_req *r, const char *code, const char *message)
{
	buf			b = BUF_INIT;
	size_t		mlen = strlen(message);
	char	   *esc = malloc(6 * mlen + 1);

	if (esc == NULL)
		return;
	esc[rc_json_escape(message, mlen, esc)] = '\0';
	buf_printf(&b, "[{%s\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}]",
			   r->kind == RPC_JOIN || r->kind == RPC_LEAVE ? "\"success\":false," : "", code, esc);
	if (b.p)
		rpc_ack(r, b.p, b.len);
	buf_free(&b);
	free(esc);
}

/* The socket error code for a failed rpc call */
static const char *
rpc_code(const char *sqlstate, const char *message)
{
	if (sqlstate == NULL)
		return "INTERNAL_ERROR";
	if (strcmp(sqlstate, "RC401") == 0)
		return "UNAUTHORIZED";
	if (strcmp(sqlstate, "RC402") == 0)
		return "INVALID_TOKEN";
	if (strcmp(sqlstate, "RC403") == 0)
		return "TOKEN_EXPIRED";
	if (strcmp(sqlstate, "RC404") == 0)
		return message && strncmp(message, "unknown rpc method", 18) == 0 ? "UNKNOWN_EVENT" : "FORBIDDEN";
	if (strcmp(sqlstate, "RC413") == 0)
		return "LIMIT_EXCEEDED";
	if (strcmp(sqlstate, "RC429") == 0)
		return "RATE_LIMITED";
	if (strcmp(sqlstate, "22023") == 0 || strcmp(sqlstate, "22P02") == 0)
		return "INVALID_ARGUMENT";
	return "INTERNAL_ERROR";
}

/* Emit [name, {"userId","email","room","timestamp"}] to the room's other sockets in sock's namespace */
static void
rpc_tell_room(sio_socket *sock, const char *name, const char *room_nm)
{
	auth_user  *u = sock->user;
	room	   *r = room_find(room_nm, strlen(room_nm));
	buf			ev = BUF_INIT;
	size_t		elen = strlen(u->email);
	char	   *esc = malloc(6 * elen + 1);

	if (r == NULL || esc == NULL)
	{
		free(esc);
		return;
	}
	esc[rc_json_escape(u->email, elen, esc)] = '\0';
	buf_printf(&ev, "[\"%s\",{\"userId\":\"%s\",\"email\":\"%s\",\"room\":\"%s\",\"timestamp\":%lld}]",
			   name, u->user, esc, room_nm, rpc_now_ms());
	for (room_member *m = room_first(r); m && ev.p; m = m->next)
		if (m->sock != sock && m->sock->nsp == sock->nsp && m->sock->state == SIO_S_CONNECTED)
			sio_emit(m->sock, ev.p, ev.len);
	buf_free(&ev);
	free(esc);
}

/* The "room" string of a join/leave result, copied into out; false if absent */
static bool
rpc_result_room(const char *json, char *out, size_t outsize)
{
	rc_json_tok toks[64];
	int			v;

	if (rc_json_parse(json, strlen(json), toks, 64, 0) < 1 || toks[0].type != RC_JSON_OBJECT ||
		(v = rc_json_object_get(json, toks, 0, "room")) < 0 || toks[v].type != RC_JSON_STRING)
		return false;
	return rc_json_string(json, &toks[v], out, outsize) > 0;
}

/* A successful result (JSON text) for r */
static void
rpc_done(rpc_req *r, const char *json, size_t len)
{
	buf			b = BUF_INIT;
	char		room_nm[ROOM_MAX_NAME + 1];

	if (r->sock && (r->kind == RPC_JOIN || r->kind == RPC_LEAVE) &&
		rpc_result_room(json, room_nm, sizeof(room_nm)))
	{
		auth_user  *u = r->sock->user;
		buf			ev = BUF_INIT;

		/* the database names a room of the token's tenant; never join another */
		if (strncmp(room_nm, "tenant:", 7) != 0 || strncmp(room_nm + 7, u->tenant, 36) != 0 ||
			room_nm[43] != ':')
		{
			log_error("rpc %s returned room %s, not a room of tenant %s; ignored", r->method, room_nm, u->tenant);
			rpc_ack_error(r, "INTERNAL_ERROR", "internal error");
			return;
		}

		if (r->kind == RPC_JOIN)
		{
			if (room_join(&u->rooms, r->sock, room_nm, strlen(room_nm)) < 0)
			{
				rpc_ack_error(r, "INTERNAL_ERROR", "out of memory joining the room");
				return;
			}
			buf_printf(&ev, "[\"room-joined\",{\"room\":\"%s\",\"timestamp\":%lld}]", room_nm, rpc_now_ms());
			if (ev.p)
				sio_emit(r->sock, ev.p, ev.len);
			buf_free(&ev);
			rpc_tell_room(r->sock, "user-joined", room_nm);
		}
		else
		{
			rpc_tell_room(r->sock, "user-left", room_nm);
			room_leave(&u->rooms, room_nm, strlen(room_nm));
		}
	}
	if (r->sock && r->kind == RPC_UNREAD)
	{
		buf_append_str(&b, "[\"notification:unread_count\",");
		buf_append(&b, json, len);
		buf_append_char(&b, ']');
		if (b.p)
			sio_emit(r->sock, b.p, b.len);
		buf_reset(&b);
	}
	buf_append_char(&b, '[');
	buf_append(&b, json, len);
	buf_append_char(&b, ']');
	if (b.p)
		rpc_ack(r, b.p, b.len);
	buf_free(&b);
}

/*---- the queue ----*/

/* Remove and free the queue head */
static void
rpc_pop(void)
{
	rpc_req    *r = rpc_head;

	rpc_head = r->next;
	if (rpc_head == NULL)
		rpc_tail = NULL;
	rpc_queued--;
	free(r);
}

void
rpc_socket_gone(sio_socket *sock)
{
	for (rpc_req *r = rpc_head; r; r = r->next)
		if (r->sock == sock)
			r->sock = NULL;
}

/* Queue SELECT roomcast.maintain() (partitions ahead, retention); no answer */
static void
rpc_maintain(uv_timer_t *t)
{
	rpc_req    *r;

	(void) t;
	if (rpc_st < RPC_IDLE || rpc_queued >= RPC_QUEUE_MAX || (r = calloc(1, sizeof(*r) + 3)) == NULL)
		return;					/* the next tick tries again */
	r->ack = -1;
	r->kind = RPC_MAINTAIN;
	r->method = r->args = r->token = (char *) (r + 1);
	if (rpc_tail)
		rpc_tail->next = r;
	else
		rpc_head = r;
	rpc_tail = r;
	rpc_queued++;
	rpc_next();
}

/*---- the connection ----*/

static void
rpc_poll_free(uv_handle_t *h)
{
	free(h);
}

static void
rpc_unwatch(void)
{
	if (rpc_poll)
	{
		uv_poll_stop(rpc_poll);
		uv_close((uv_handle_t *) rpc_poll, rpc_poll_free);
		rpc_poll = NULL;
	}
	rpc_poll_fd = -1;
	rpc_poll_events = 0;
}

/* Watch PQsocket for events; 0 or -1 */
static int
rpc_watch(int events)
{
	int			fd = PQsocket(rpc_conn);

	if (fd < 0)
		return -1;
	if (fd != rpc_poll_fd)
	{
		rpc_unwatch();
		rpc_poll = malloc(sizeof(*rpc_poll));
		if (rpc_poll == NULL || uv_poll_init(rpc_loop, rpc_poll, fd) != 0)
		{
			free(rpc_poll);
			rpc_poll = NULL;
			return -1;
		}
		rpc_poll_fd = fd;
	}
	if (events != rpc_poll_events)
	{
		uv_poll_start(rpc_poll, events, rpc_on_poll);
		rpc_poll_events = events;
	}
	return 0;
}

/* Drop the connection, answer everything queued UNAVAILABLE, retry later */
static void
rpc_fail(const char *what)
{
	if (rpc_conn && !rpc_stopping)
		log_warn("rpc connection: %s: %s", what, PQerrorMessage(rpc_conn));
	rpc_unwatch();
	if (rpc_res)
		PQclear(rpc_res);
	rpc_res = NULL;
	if (rpc_conn)
		PQfinish(rpc_conn);
	rpc_conn = NULL;
	rpc_st = RPC_DOWN;
	while (rpc_head)
	{
		rpc_ack_error(rpc_head, "UNAVAILABLE", "the database is not reachable; try again");
		rpc_pop();
	}
	if (rpc_stopping)
		return;
	rpc_backoff_ms = rpc_backoff_ms ? rpc_backoff_ms * 2 : 1000;
	if (rpc_backoff_ms > RPC_BACKOFF_MAX_MS)
		rpc_backoff_ms = RPC_BACKOFF_MAX_MS;
	uv_timer_start(&rpc_timer, (uv_timer_cb) rpc_connect, rpc_backoff_ms, 0);
}

/* Send the queue head if idle */
static void
rpc_next(void)
{
	const char *params[3];

	if (rpc_st != RPC_IDLE || rpc_head == NULL)
		return;
	params[0] = rpc_head->token;
	params[1] = rpc_head->method;
	params[2] = rpc_head->args;
	if (rpc_head->kind == RPC_MAINTAIN ?
		!PQsendQueryParams(rpc_conn, "SELECT roomcast.maintain()::text", 0, NULL, NULL, NULL, NULL, 0) :
		!PQsendQueryParams(rpc_conn, "SELECT roomcast.rpc($1, $2, $3::jsonb)::text", 3, NULL, params, NULL, NULL, 0))
	{
		rpc_fail("sending a query");
		return;
	}
	rpc_st = RPC_BUSY;
	if (PQflush(rpc_conn) == 1)
		rpc_watch(UV_READABLE | UV_WRITABLE);
}

/* The head's query finished with res */
static void
rpc_on_result(PGresult *res)
{
	rpc_req    *r = rpc_head;

	if (r->kind == RPC_MAINTAIN)
	{
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			log_info("maintain: %s", PQgetvalue(res, 0, 0));
		else
			log_warn("maintain failed: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(rpc_conn));
		if (res)
			PQclear(res);
		rpc_pop();
		rpc_st = RPC_IDLE;
		rpc_next();
		return;
	}
	metrics_g.rpc_calls++;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		if (PQgetisnull(res, 0, 0))
			rpc_done(r, "null", 4);
		else
			rpc_done(r, PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0));
	}
	else
	{
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		const char *code = rpc_code(state, msg);

		if (strcmp(code, "INTERNAL_ERROR") == 0)
			log_warn("rpc %s failed: %s %s", r->method, state ? state : "", msg ? msg : "");
		rpc_ack_error(r, code, strcmp(code, "INTERNAL_ERROR") == 0 ? "internal error" : msg ? msg : code);
	}
	if (res)
		PQclear(res);
	rpc_pop();
	rpc_st = RPC_IDLE;
	rpc_next();
}

static void
rpc_connect_step(void)
{
	switch (PQconnectPoll(rpc_conn))
	{
		case PGRES_POLLING_READING:
			if (rpc_watch(UV_READABLE) < 0)
				rpc_fail("watching the connection");
			return;
		case PGRES_POLLING_WRITING:
			if (rpc_watch(UV_WRITABLE) < 0)
				rpc_fail("watching the connection");
			return;
		case PGRES_POLLING_OK:
			PQsetnonblocking(rpc_conn, 1);
			rpc_backoff_ms = 0;
			rpc_st = RPC_IDLE;
			if (rpc_watch(UV_READABLE) < 0)
			{
				rpc_fail("watching the connection");
				return;
			}
			if (!rpc_maint_started)
			{
				/* the first run right away: the log's partitions for the coming days */
				rpc_maint_started = true;
				uv_timer_start(&rpc_maint_timer, rpc_maintain, 0, RPC_MAINTAIN_MS);
			}
			rpc_next();
			return;
		default:
			rpc_fail("connecting");
			return;
	}
}

static void
rpc_on_poll(uv_poll_t *h, int status, int events)
{
	(void) h;
	if (rpc_conn == NULL)
		return;
	if (rpc_st == RPC_CONNECTING)
	{
		rpc_connect_step();
		return;
	}
	if (status < 0)
		events = UV_READABLE;
	if (events & UV_WRITABLE)
	{
		int			f = PQflush(rpc_conn);

		if (f < 0)
		{
			rpc_fail("sending");
			return;
		}
		if (f == 0)
			rpc_watch(UV_READABLE);
	}
	if (!(events & UV_READABLE))
		return;
	if (!PQconsumeInput(rpc_conn) || PQstatus(rpc_conn) != CONNECTION_OK)
	{
		rpc_fail("connection lost");
		return;
	}
	while (rpc_conn && rpc_st == RPC_BUSY && !PQisBusy(rpc_conn))
	{
		PGresult   *r = PQgetResult(rpc_conn);

		if (r)
		{
			if (rpc_res)
				PQclear(rpc_res);
			rpc_res = r;
			continue;
		}
		r = rpc_res;
		rpc_res = NULL;
		rpc_on_result(r);
	}
	/* this connection LISTENs to nothing; drop stray notifications */
	for (PGnotify *n; rpc_conn && (n = PQnotifies(rpc_conn)) != NULL;)
		PQfreemem(n);
}

static void
rpc_notice(void *arg, const char *message)
{
	(void) arg;
	log_debug("database (rpc): %s", message);
}

static void
rpc_connect(void)
{
	const char *const keys[] = {"application_name", "dbname", NULL};
	const char *const vals[] = {"roomcast-notifier-rpc", rpc_conninfo, NULL};

	rpc_conn = PQconnectStartParams(keys, vals, 1);
	if (rpc_conn == NULL || PQstatus(rpc_conn) == CONNECTION_BAD)
	{
		rpc_fail("connecting");
		return;
	}
	PQsetNoticeProcessor(rpc_conn, rpc_notice, NULL);
	rpc_st = RPC_CONNECTING;
	if (rpc_watch(UV_WRITABLE) < 0)
		rpc_fail("watching the connection");
}

void
rpc_start(uv_loop_t *loop, const char *conninfo)
{
	rpc_loop = loop;
	rpc_conninfo = strdup(conninfo ? conninfo : "");
	uv_timer_init(loop, &rpc_timer);
	uv_unref((uv_handle_t *) &rpc_timer);
	uv_timer_init(loop, &rpc_maint_timer);
	uv_unref((uv_handle_t *) &rpc_maint_timer);
	rpc_connect();
}

void
rpc_stop(void)
{
	rpc_stopping = true;
	uv_timer_stop(&rpc_timer);
	uv_timer_stop(&rpc_maint_timer);
	if (rpc_conn)
		rpc_fail("shutting down");
}

/*---- events from clients ----*/

/* Queue a call; answers at once when it cannot be queued */
static void
rpc_enqueue(sio_socket *sock, int64_t ack, rpc_kind kind, const char *method,
			const char *args, size_t args_len)
{
	auth_user  *u = sock->user;
	size_t		mlen = strlen(method),
				tlen = strlen(u->token);
	rpc_req    *r;

	if (rpc_st < RPC_IDLE || rpc_queued >= RPC_QUEUE_MAX)
	{
		rpc_req		tmp = {.sock = sock, .ack = ack, .kind = kind};

		rpc_ack_error(&tmp, rpc_st < RPC_IDLE ? "UNAVAILABLE" : "RATE_LIMITED",
					  rpc_st < RPC_IDLE ? "the database is not reachable; try again" : "too many requests in flight; try again");
		return;
	}
	r = malloc(sizeof(*r) + mlen + 1 + args_len + 1 + tlen + 1);
	if (r == NULL)
		return;
	r->next = NULL;
	r->sock = sock;
	r->ack = ack;
	r->kind = kind;
	r->method = (char *) (r + 1);
	memcpy(r->method, method, mlen + 1);
	r->args = r->method + mlen + 1;
	memcpy(r->args, args, args_len);
	r->args[args_len] = '\0';
	r->token = r->args + args_len + 1;
	memcpy(r->token, u->token, tlen + 1);
	if (rpc_tail)
		rpc_tail->next = r;
	else
		rpc_head = r;
	rpc_tail = r;
	rpc_queued++;
	rpc_next();
}

void
rpc_push_unread_count(sio_socket *sock)
{
	rpc_enqueue(sock, -1, RPC_UNREAD, "get_unread_count", "{}", 2);
}

/* Answer "rooms": the names of the rooms this socket is in */
static void
rpc_rooms(sio_socket *sock, int64_t ack)
{
	auth_user  *u = sock->user;
	buf			b = BUF_INIT;
	bool		first = true;

	if (ack < 0)
		return;
	buf_append_str(&b, "[[");
	for (room_member *m = u->rooms; m; m = m->snext)
	{
		buf_printf(&b, "%s\"%s\"", first ? "" : ",", room_name(m->room));
		first = false;
	}
	buf_append_str(&b, "]]");
	if (b.p)
		sio_ack(sock, ack, b.p, b.len);
	buf_free(&b);
}

void
rpc_on_event(sio_socket *sock, const sio_packet *p)
{
	char		name[RPC_MAX_NAME + 1];
	buf			arr = BUF_INIT;
	rc_json_tok *toks = NULL;
	const char *arg = "{}";
	size_t		arg_len = 2;
	rpc_req		err = {.sock = sock, .ack = p->id, .kind = RPC_GENERIC};
	int			n;

	if (sock->user == NULL)
		return;
	/* the name: a JSON string without escapes, of the method-name pattern's length */
	if (p->name_len < 3 || p->name_len > RPC_MAX_NAME + 2 || p->name[0] != '"' ||
		memchr(p->name, '\\', p->name_len))
	{
		rpc_ack_error(&err, "UNKNOWN_EVENT", "no handler for this event");
		return;
	}
	memcpy(name, p->name + 1, p->name_len - 2);
	name[p->name_len - 2] = '\0';
	/* the first argument, if any */
	buf_append_char(&arr, '[');
	buf_append(&arr, p->rest[0] == ',' ? p->rest + 1 : p->rest, p->rest[0] == ',' ? p->rest_len - 1 : p->rest_len);
	if (arr.p && (toks = malloc((arr.len / 2 + 2) * sizeof(*toks))) != NULL &&
		(n = rc_json_parse(arr.p, arr.len, toks, arr.len / 2 + 2, 0)) > 1)
	{
		const rc_json_tok *t = &toks[1];
		size_t		q = t->type == RC_JSON_STRING ? 1 : 0;

		arg = arr.p + t->start - q;
		arg_len = t->end - t->start + 2 * q;
	}
	if (strcmp(name, "rooms") == 0 || strcmp(name, "debug:rooms") == 0)
		rpc_rooms(sock, p->id);
	else if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0)
		rpc_enqueue(sock, p->id, name[0] == 'j' ? RPC_JOIN : RPC_LEAVE, name, arg, arg_len);
	else if (strcmp(name, "join-rca") == 0 || strcmp(name, "leave-rca") == 0)
	{
		buf			a = BUF_INIT;

		/* rcaId: a string or a number */
		buf_append_str(&a, "{\"kind\":\"rca\",\"id\":");
		if (arg_len && arg[0] == '"')
			buf_append(&a, arg, arg_len);
		else
		{
			buf_append_char(&a, '"');
			buf_append(&a, arg, arg_len);
			buf_append_char(&a, '"');
		}
		buf_append_char(&a, '}');
		if (a.p)
			rpc_enqueue(sock, p->id, name[0] == 'j' ? RPC_JOIN : RPC_LEAVE, name[0] == 'j' ? "join" : "leave", a.p, a.len);
		buf_free(&a);
	}
	else if (strcmp(name, "get_unread_count") == 0)
		rpc_enqueue(sock, p->id, RPC_UNREAD, name, "{}", 2);
	else
		rpc_enqueue(sock, p->id, RPC_GENERIC, name, arg, arg_len);
	free(toks);
	buf_free(&arr);
}
