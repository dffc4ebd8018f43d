/*
 * rpc_client.c — where a client request enters (see rpc_client.h).
 *
 * Order for every EVENT of an authenticated socket: the --rate token bucket
 * first (a request over the rate is answered RATE_LIMITED with retryAfter
 * and never reaches the database or the queue), then the name and the first
 * argument, then either a local answer or a request for the pool. A request
 * the queue refuses (the tenant's queue or the whole queue is full) is
 * answered RATE_LIMITED with retryAfter as well; a request while no database
 * connection is up is answered UNAVAILABLE at once.
 */
#include "hub/rpc_client.h"

#include <stdlib.h>
#include <string.h>

#include "hub/auth.h"
#include "hub/lifecycle.h"
#include "hub/presence_api.h"
#include "hub/recovery.h"
#include "base/buf.h"
#include "base/metrics.h"
#include "rc_json.h"
#include "hub/room_map.h"
#include "codec/sio_codec.h"
#include "hub/rpc_pool.h"
#include "hub/rpc_queue.h"
#include "hub/rpc_reply.h"

#define RPC_MAX_NAME 64

static uv_loop_t *rpc_loop;
static uint32_t rpc_rate;		/* --rate: events per second per socket; 0: no limit */

void
rpc_start(uv_loop_t *loop, const notifier_opts *opts)
{
	rpc_loop = loop;
	rpc_rate = opts->rate;
	rpc_pool_set_recovery_window(opts->recovery_window);
	/*
	 * --rpc-db: the pool's own database — pgbouncer in transaction mode, or with
	 * several --db (shards) the PL/Proxy proxy that routes by tenant. Either may
	 * sit behind a transaction pooler, so its statements go unnamed; the
	 * listeners (db.c) always use --db.
	 */
	rpc_pool_set_unnamed(opts->rpc_db != NULL);
	rpc_pool_start(loop, opts->rpc_db ? opts->rpc_db : opts->db, opts->rpc_pool, opts->rpc_queue);
}

void
rpc_stop(void)
{
	rpc_pool_stop();
}

/*
 * Take one token from u's bucket (rate N per second, holding at most 2N).
 * Returns 0 when the event may go on, else the milliseconds until a token
 * is there again.
 */
static uint32_t
rpc_rate_take(auth_user *u)
{
	uint64_t	now = uv_now(rpc_loop);
	double		cap = 2.0 * rpc_rate;

	if (rpc_rate == 0)
		return 0;
	if (u->rl_ms == 0)
		u->rl_tokens = cap;		/* a new socket starts with the full burst */
	else if (now > u->rl_ms)
	{
		u->rl_tokens += (double) (now - u->rl_ms) * rpc_rate / 1000.0;
		if (u->rl_tokens > cap)
			u->rl_tokens = cap;
	}
	u->rl_ms = now;
	if (u->rl_tokens >= 1.0)
	{
		u->rl_tokens -= 1.0;
		return 0;
	}
	return (uint32_t) ((1.0 - u->rl_tokens) * 1000.0 / rpc_rate) + 1;
}

/* Queue a call for sock's tenant; answers at once when it cannot be queued */
static void
rpc_submit(sio_socket *sock, int64_t ack, rpcq_kind kind, const char *method,
		   const char *args, size_t args_len)
{
	static char token[RC_JWT_MAX_TOKEN + 1];	/* the token's text, for the request's own copy */
	auth_user  *u = sock->user;
	buf			a = BUF_INIT;
	rpcq_req   *r;
	rpc_pool_status st;
	size_t		tlen;

	/* rooms joined through join are remembered for this session's pid (roomcast.recover) */
	if ((kind == RPCQ_JOIN || kind == RPCQ_LEAVE) && u->pid[0] && recov_args_with_pid(u, args, args_len, &a))
	{
		args = a.p;
		args_len = a.len;
	}
	tlen = auth_tok_text(u->tok, u->user, u->tenant, token, sizeof(token));
	r = rpcq_new(kind, u->ref, ack, method, args, args_len, token);
	memset(token, 0, tlen);
	buf_free(&a);
	st = r ? rpc_pool_submit(r, u->tenant) : RPC_POOL_NOMEM;
	if (st == RPC_POOL_OK)
		return;
	free(r);
	switch (st)
	{
		case RPC_POOL_UNAVAILABLE:
			rpc_reply_error_to(sock, ack, kind, "UNAVAILABLE", "the database is not reachable; try again", 0);
			return;
		case RPC_POOL_TENANT_FULL:
		case RPC_POOL_FULL:
			metrics_g.rpc_rate_limited[RPC_LIMIT_QUEUE]++;
			rpc_reply_error_to(sock, ack, kind, "RATE_LIMITED",
							   st == RPC_POOL_TENANT_FULL ? "too many requests of this tenant waiting; try again later" :
							   "too many requests waiting; try again later", rpc_pool_retry_after_ms());
			return;
		default:
			rpc_reply_error_to(sock, ack, kind, "INTERNAL_ERROR", "out of memory queueing the request", 0);
			return;
	}
}

void
rpc_push_unread_count(sio_socket *sock)
{
	rpc_submit(sock, -1, RPCQ_UNREAD, "get_unread_count", "{}", 2);
}

void
rpc_check_connect(sio_socket *sock)
{
	rpc_submit(sock, -1, RPCQ_CONNECT, "", "", 0);
}

void
rpc_recover(sio_socket *sock)
{
	auth_user  *u = sock->user;
	char		off[24];
	int			n = snprintf(off, sizeof(off), "%lld", (long long) u->aside->offset);	/* recovering: recov_begin made it */

	rpc_submit(sock, -1, RPCQ_RECOVER, u->pid, off, (size_t) n);
}

void
rpc_check_refresh(sio_socket *sock, int64_t ack, const char *token)
{
	auth_user  *u = sock->user;
	rpcq_req   *r = rpcq_new(RPCQ_REFRESH, u->ref, ack, "", "", 0, token);
	rpc_pool_status st = r ? rpc_pool_submit(r, u->tenant) : RPC_POOL_NOMEM;

	if (st == RPC_POOL_OK)
		return;
	free(r);
	life_refresh_refused(sock, ack, "UNAVAILABLE", "the database could not check the token");
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

/*
 * join-rca / leave-rca: the argument must be a JSON string, the rca id;
 * it is decoded and encoded again into {"kind":"rca","id":…}, so no value
 * of the client's is ever pasted into JSON text. Anything else (a number,
 * an object, nothing) is refused with INVALID_ARGUMENT.
 */
static void
rpc_rca(sio_socket *sock, int64_t ack, bool join, const char *arg, size_t arg_len, const rc_json_tok *tok)
{
	rpcq_kind	kind = join ? RPCQ_JOIN : RPCQ_LEAVE;
	char	   *id = NULL,
			   *esc = NULL;
	long		n;
	buf			a = BUF_INIT;

	if (tok == NULL || tok->type != RC_JSON_STRING)
	{
		rpc_reply_error_to(sock, ack, kind, "INVALID_ARGUMENT", "rcaId must be a string", 0);
		return;
	}
	/* the decoded string is never longer than its JSON text */
	if ((id = malloc(arg_len + 1)) == NULL ||
		(n = rc_json_string(arg, tok, id, arg_len + 1)) < 0 ||
		(esc = malloc(6 * (size_t) n + 1)) == NULL)
	{
		rpc_reply_error_to(sock, ack, kind, "INVALID_ARGUMENT", "rcaId is not a valid string", 0);
		goto done;
	}
	esc[rc_json_escape(id, (size_t) n, esc)] = '\0';
	buf_printf(&a, "{\"kind\":\"rca\",\"id\":\"%s\"}", esc);
	if (a.p)
		rpc_submit(sock, ack, kind, join ? "join" : "leave", a.p, a.len);
	else
		rpc_reply_error_to(sock, ack, kind, "INTERNAL_ERROR", "out of memory", 0);
done:
	buf_free(&a);
	free(id);
	free(esc);
}

void
rpc_on_event(sio_socket *sock, const sio_packet *p)
{
	auth_user  *u = sock->user;
	char		name[RPC_MAX_NAME + 1];
	buf			arr = BUF_INIT;
	rc_json_tok *toks = NULL;
	const rc_json_tok *tok = NULL;
	const char *arg = "{}";
	size_t		arg_len = 2;
	uint32_t	wait_ms;
	int			n = 0;

	if (u == NULL || u->pending)
		return;
	if ((wait_ms = rpc_rate_take(u)) != 0)
	{
		metrics_g.rpc_rate_limited[RPC_LIMIT_RATE]++;
		rpc_reply_error_to(sock, p->id, RPCQ_GENERIC, "RATE_LIMITED",
						   "more events than --rate allows on this socket; slow down", wait_ms);
		return;
	}
	/* the name: a JSON string without escapes, of the method-name pattern's length */
	if (p->name_len < 3 || p->name_len > RPC_MAX_NAME + 2 || p->name[0] != '"' ||
		memchr(p->name, '\\', p->name_len))
	{
		rpc_reply_error_to(sock, p->id, RPCQ_GENERIC, "UNKNOWN_EVENT", "no handler for this event", 0);
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
		size_t		q;

		tok = &toks[1];
		q = tok->type == RC_JSON_STRING ? 1 : 0;
		arg = arr.p + tok->start - q;
		arg_len = tok->end - tok->start + 2 * q;
	}
	if (strcmp(name, "auth:refresh") == 0)
		life_on_refresh(sock, p->id, arr.p, tok);
	else if (strcmp(name, "rooms") == 0 || strcmp(name, "debug:rooms") == 0)
		rpc_rooms(sock, p->id);
	else if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0)
		rpc_submit(sock, p->id, name[0] == 'j' ? RPCQ_JOIN : RPCQ_LEAVE, name, arg, arg_len);
	else if (strcmp(name, "join-rca") == 0 || strcmp(name, "leave-rca") == 0)
		rpc_rca(sock, p->id, name[0] == 'j', arr.p, arr.len, tok);
	else if (strcmp(name, "presence:list") == 0)
		presence_on_list(sock, p->id, arr.p, arr.len, toks, toks ? n : 0);
	else if (strcmp(name, "get_unread_count") == 0)
		rpc_submit(sock, p->id, RPCQ_UNREAD, name, "{}", 2);
	else
		rpc_submit(sock, p->id, RPCQ_GENERIC, name, arg, arg_len);
	free(toks);
	buf_free(&arr);
}
