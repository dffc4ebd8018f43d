/*
 * lifecycle.c — token expiry, refresh and grace (see lifecycle.h).
 *
 * A refreshed token must name the same user and tenant: otherwise one
 * socket could change identity while keeping rooms authorized for another
 * user. A refused token is never adopted: the new token travels in the
 * database request and replaces u->tok only in life_refresh_confirmed.
 */
#include "hub/lifecycle.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "rc_jwt.h"
#include "hub/auth.h"
#include "hub/recovery.h"
#include "hub/rpc_client.h"

static uv_timer_t life_timer;
static uint32_t life_warning;	/* --refresh-warning, s */
static uint32_t life_grace;		/* --grace, s */

/* What the sweep does to one socket */
typedef enum life_action
{
	LIFE_WARN = 1,
	LIFE_EXPIRE,
	LIFE_END,					/* grace over */
	LIFE_OVER					/* held events over --max-buffered */
} life_action;

typedef struct life_todo
{
	uint64_t	ref;
	uint8_t		action;
} life_todo;

typedef struct life_list
{
	life_todo  *v;
	size_t		n,
				cap;
	int64_t		now;
} life_list;

/* auth_each_user callback: note what is due, act later (acting may free sockets) */
static void
life_collect(auth_user *u, void *arg)
{
	life_list  *l = arg;
	uint8_t		a = 0;

	if (u->pending || u->exp == 0 || u->sock->state != SIO_S_CONNECTED)
		return;
	if (u->life == AUTH_LIFE_EXPIRED)
		a = auth_held_over(u) ? LIFE_OVER : l->now >= u->aside->grace_end ? LIFE_END : 0;
	else if (l->now >= u->exp)
		a = LIFE_EXPIRE;
	else if (u->life == AUTH_LIFE_LIVE && life_warning && l->now >= u->exp - life_warning)
		a = LIFE_WARN;
	if (a == 0)
		return;
	if (l->n == l->cap)
	{
		size_t		cap = l->cap ? 2 * l->cap : 64;
		life_todo  *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return;				/* the next sweep tries again */
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].ref = u->ref;
	l->v[l->n++].action = a;
}

/* Emit [name, obj] to sock */
static void
life_emit(sio_socket *sock, const char *json)
{
	sio_emit(sock, json, strlen(json));
}

static void
life_sweep(uv_timer_t *t)
{
	life_list	l = {.now = (int64_t) time(NULL)};
	char		ev[160];

	(void) t;
	auth_each_user(life_collect, &l);
	for (size_t i = 0; i < l.n; i++)
	{
		sio_socket *sock = auth_socket_by_ref(l.v[i].ref);
		auth_user  *u;

		if (sock == NULL)
			continue;
		u = sock->user;
		switch (l.v[i].action)
		{
			case LIFE_WARN:
				u->life = AUTH_LIFE_WARNED;
				snprintf(ev, sizeof(ev), "[\"auth:refresh-needed\",{\"expiresIn\":%lld,\"expiresAt\":%lld}]",
						 (long long) (u->exp - l.now), (long long) u->exp * 1000);
				life_emit(sock, ev);
				break;
			case LIFE_EXPIRE:
				/* from now on recov_gate holds its events, in the aside */
				if (auth_aside_get(u) == NULL)
				{
					log_error("out of memory: socket of user %s closed at its token's expiry", u->user);
					sio_close_client(sock, "out of memory");
					break;
				}
				u->life = AUTH_LIFE_EXPIRED;
				u->gate = true;
				u->aside->grace_end = l.now + life_grace;
				snprintf(ev, sizeof(ev), "[\"auth:expired\",{\"grace\":%u,\"disconnectAt\":%lld}]",
						 life_grace, (long long) u->aside->grace_end * 1000);
				life_emit(sock, ev);
				break;
			case LIFE_END:
				log_info("socket of user %s disconnected: token expired", u->user);
				life_emit(sock, "[\"error\",{\"code\":\"TOKEN_EXPIRED\",\"message\":\"token expired\"}]");
				if (auth_socket_by_ref(l.v[i].ref) == sock)
					sio_disconnect(sock);
				break;
			case LIFE_OVER:
				/* the client reconnects by itself and recovers once it has a valid token */
				log_warn("socket of user %s: events held during grace over --max-buffered; closed", u->user);
				sio_close_client(sock, "held events over --max-buffered");
				break;
		}
	}
	free(l.v);
}

void
life_start(uv_loop_t *loop, const notifier_opts *opts)
{
	life_warning = opts->refresh_warning;
	life_grace = opts->grace;
	uv_timer_init(loop, &life_timer);
	uv_unref((uv_handle_t *) &life_timer);
	uv_timer_start(&life_timer, life_sweep, LIFE_SWEEP_MS, LIFE_SWEEP_MS);
}

void
life_refresh_refused(sio_socket *sock, int64_t ack, const char *code, const char *message)
{
	auth_user  *u = sock->user;
	uint64_t	ref = u->ref;
	buf			b = BUF_INIT;
	size_t		mlen = strlen(message);
	char	   *esc = malloc(6 * mlen + 1);

	u->refreshing = false;
	log_warn("auth:refresh of user %s refused: %s (%s); disconnected", u->user, code, message);
	if (esc)
	{
		esc[rc_json_escape(message, mlen, esc)] = '\0';
		buf_printf(&b, "[{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}]", code, esc);
		free(esc);
	}
	if (ack >= 0 && b.p)
		sio_ack(sock, ack, b.p, b.len);
	buf_free(&b);
	if (auth_socket_by_ref(ref) == sock)
		sio_disconnect(sock);
}

void
life_on_refresh(sio_socket *sock, int64_t ack, const char *arr, const rc_json_tok *tok)
{
	auth_user  *u = sock->user;
	static char token[RC_JWT_MAX_TOKEN + 1];
	static rc_jwt_claims claims;
	rc_json_tok toks[16];
	const char *code;
	int			v;
	long		n = -1;

	if (u->refreshing)
	{
		life_refresh_refused(sock, ack, "INVALID_ARGUMENT", "a refresh is already being checked");
		return;
	}
	/* {token: string}: its own small parse, the token is at most RC_JWT_MAX_TOKEN */
	if (tok && tok->type == RC_JSON_OBJECT &&
		rc_json_parse(arr + tok->start, tok->end - tok->start, toks, 16, 0) >= 1 &&
		(v = rc_json_object_get(arr + tok->start, toks, 0, "token")) >= 0 && toks[v].type == RC_JSON_STRING)
		n = rc_json_string(arr + tok->start, &toks[v], token, sizeof(token));
	if (n <= 0)
	{
		life_refresh_refused(sock, ack, "INVALID_ARGUMENT", "auth:refresh needs {token}");
		return;
	}
	if ((code = auth_verify(token, (size_t) n, (int64_t) time(NULL), &claims)) != NULL)
	{
		life_refresh_refused(sock, ack, code, strcmp(code, "TOKEN_EXPIRED") == 0 ? "the new token has expired" :
							 "the new token is not valid");
		return;
	}
	if (strcmp(claims.user, u->user) != 0 || strcmp(claims.tenant, u->tenant) != 0)
	{
		life_refresh_refused(sock, ack, "UNAUTHORIZED", "the new token is for another user or tenant");
		return;
	}
	u->refreshing = true;
	rpc_check_refresh(sock, ack, token);	/* may refuse (and free sock) before returning */
}

void
life_refresh_confirmed(sio_socket *sock, int64_t ack, const char *token)
{
	auth_user  *u = sock->user;
	uint64_t	ref = u->ref;
	static rc_jwt_claims claims;
	const char *code = auth_verify(token, strlen(token), (int64_t) time(NULL), &claims);
	auth_tok   *copy;
	char		reply[96];

	u->refreshing = false;
	/* checked again: it may have expired, or the keys changed, while the database answered */
	if (code || strcmp(claims.user, u->user) != 0 || strcmp(claims.tenant, u->tenant) != 0)
	{
		life_refresh_refused(sock, ack, code ? code : "UNAUTHORIZED", "the new token is not valid");
		return;
	}
	if ((copy = auth_tok_new(token, strlen(token), auth_email(u), u->user, u->tenant)) == NULL)
	{
		life_refresh_refused(sock, ack, "INTERNAL_ERROR", "out of memory");
		return;
	}
	auth_tok_free(u->tok);
	u->tok = copy;
	u->exp = claims.has_exp ? claims.exp : 0;
	u->life = AUTH_LIFE_LIVE;
	snprintf(reply, sizeof(reply), "[{\"success\":true,\"expiresAt\":%lld}]", (long long) u->exp * 1000);
	if (ack >= 0)
		sio_ack(sock, ack, reply, strlen(reply));
	if (auth_socket_by_ref(ref) != sock)
		return;
	/* what arrived while it was expired, in order, before anything live */
	log_info("socket of user %s refreshed its token", u->user);
	if (recov_flush(sock) && auth_held_over(u))
		sio_close_client(sock, "held events over --max-buffered");	/* frees sock */
	else
		auth_aside_done(u);		/* live again: the aside goes (unless a recovery runs) */
}
