/*
 * rpc_reply.c — answers to client requests (see rpc_reply.h).
 */
#include "hub/rpc_reply.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "hub/auth.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "rc_json.h"
#include "rc_room.h"
#include "hub/lifecycle.h"
#include "hub/presence.h"
#include "hub/recovery.h"
#include "hub/room_map.h"

/* Milliseconds since the Unix epoch */
static long long
rpc_reply_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

bool
rpc_reply_socket_alive(const rpcq_req *r)
{
	return r->sock_ref && auth_socket_by_ref(r->sock_ref) != NULL;
}

/* The socket error code for a failed rpc call */
static const char *
rpc_reply_code(const char *sqlstate, const char *message)
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
	/* 22P05: a \u0000 (or another character jsonb cannot hold) in the arguments */
	if (strcmp(sqlstate, "22023") == 0 || strcmp(sqlstate, "22P02") == 0 || strcmp(sqlstate, "22P05") == 0)
		return "INVALID_ARGUMENT";
	return "INTERNAL_ERROR";
}

void
rpc_reply_error_to(sio_socket *sock, int64_t ack, rpcq_kind kind, const char *code,
				   const char *message, uint32_t retry_after_ms)
{
	buf			err = BUF_INIT,
				b = BUF_INIT;
	size_t		mlen = strlen(message);
	char	   *esc;

	if (sock == NULL)
		return;
	if (kind == RPCQ_CONNECT || kind == RPCQ_RECOVER)
	{
		auth_connect_refused(sock, code);
		return;
	}
	if (kind == RPCQ_REFRESH)
	{
		life_refresh_refused(sock, ack, code, message);
		return;
	}
	if ((esc = malloc(6 * mlen + 1)) == NULL)
		return;
	esc[rc_json_escape(message, mlen, esc)] = '\0';
	buf_printf(&err, "{\"code\":\"%s\",\"message\":\"%s\"", code, esc);
	if (retry_after_ms)
		buf_printf(&err, ",\"retryAfter\":%u", retry_after_ms);
	buf_append_char(&err, '}');
	if (err.p && retry_after_ms)
	{
		buf_printf(&b, "[\"error\",%.*s]", (int) err.len, err.p);
		if (b.p)
			sio_emit(sock, b.p, b.len);
		buf_reset(&b);
		/* the emit may have closed the socket: only its reference says */
	}
	if (err.p && ack >= 0)
	{
		buf_printf(&b, "[{%s\"error\":%.*s}]", kind == RPCQ_JOIN || kind == RPCQ_LEAVE ? "\"success\":false," : "",
				   (int) err.len, err.p);
		if (b.p)
			sio_ack(sock, ack, b.p, b.len);
	}
	buf_free(&b);
	buf_free(&err);
	free(esc);
}

void
rpc_reply_error(const rpcq_req *r, const char *code, const char *message, uint32_t retry_after_ms)
{
	sio_socket *sock = r->sock_ref ? auth_socket_by_ref(r->sock_ref) : NULL;

	if (sock)
		rpc_reply_error_to(sock, r->ack, r->kind, code, message, retry_after_ms);
}

/*
 * rpc_reply_tell_room_as: the recipients' references are copied first: a
 * write that closes a socket may change the room while we send.
 */
void
rpc_reply_tell_room_as(const sio_socket *except, int nsp, const char *user, const char *email,
					   const char *name, const char *room_nm)
{
	room	   *r = room_find(room_nm, strlen(room_nm));
	size_t		n = 0,
				cap = room_size(r);
	uint64_t   *refs;
	buf			ev = BUF_INIT;
	size_t		elen = strlen(email);
	char	   *esc;

	if (r == NULL || cap == 0)
		return;
	refs = malloc(cap * sizeof(*refs));
	esc = malloc(6 * elen + 1);
	if (refs == NULL || esc == NULL)
		goto done;
	esc[rc_json_escape(email, elen, esc)] = '\0';
	buf_printf(&ev, "[\"%s\",{\"userId\":\"%s\",\"email\":\"%s\",\"room\":\"%s\",\"timestamp\":%lld}]",
			   name, user, esc, room_nm, rpc_reply_now_ms());
	for (room_member *m = room_first(r); m && n < cap; m = m->next)
		if (m->sock != except && m->sock->nsp == nsp && m->sock->state == SIO_S_CONNECTED &&
			m->sock->user)
			refs[n++] = ((auth_user *) m->sock->user)->ref;
	for (size_t i = 0; i < n && ev.p; i++)
	{
		sio_socket *to = auth_socket_by_ref(refs[i]);

		if (to)
			sio_emit(to, ev.p, ev.len);
	}
done:
	buf_free(&ev);
	free(esc);
	free(refs);
}

void
rpc_reply_tell_room(sio_socket *sock, const char *name, const char *room_nm)
{
	const auth_user *u = sock->user;

	rpc_reply_tell_room_as(sock, sock->nsp, u->user, auth_email(u), name, room_nm);
}

/* The "room" string of a join/leave result, copied into out; false if absent */
static bool
rpc_reply_result_room(const char *json, char *out, size_t outsize)
{
	rc_json_tok toks[64];
	int			v;

	if (rc_json_parse(json, strlen(json), toks, 64, 0) < 1 || toks[0].type != RC_JSON_OBJECT ||
		(v = rc_json_object_get(json, toks, 0, "room")) < 0 || toks[v].type != RC_JSON_STRING)
		return false;
	return rc_json_string(json, &toks[v], out, outsize) > 0;
}

/*
 * The room effects of a successful join / leave; false (and r answered
 * with an error) when the database named a room outside the token's tenant.
 */
static bool
rpc_reply_room_effects(const rpcq_req *r, sio_socket *sock, const char *room_nm)
{
	auth_user  *u = sock->user;
	buf			ev = BUF_INIT;
	rc_room		parsed;

	/* the database names a room of the token's tenant, never the tenant room itself; never join another */
	if (!rc_room_parse(room_nm, strlen(room_nm), &parsed) || parsed.type == RC_ROOM_TENANT ||
		memcmp(parsed.tenant, u->tenant, RC_UUID_TEXT_LEN) != 0)
	{
		log_error("rpc %s returned room %s, not a room of tenant %s; ignored", r->method, room_nm, u->tenant);
		rpc_reply_error(r, "INTERNAL_ERROR", "internal error", 0);
		return false;
	}
	if (r->kind == RPCQ_LEAVE)
	{
		presence_left(u, room_nm);
		rpc_reply_tell_room(sock, "user-left", room_nm);
		if ((sock = auth_socket_by_ref(r->sock_ref)) != NULL)
			room_leave(&((auth_user *) sock->user)->rooms, room_nm, strlen(room_nm));
		return true;
	}
	if (room_join(&u->rooms, sock, room_nm, strlen(room_nm)) < 0)
	{
		rpc_reply_error(r, "INTERNAL_ERROR", "out of memory joining the room", 0);
		return false;
	}
	presence_joined(u, room_nm);
	buf_printf(&ev, "[\"room-joined\",{\"room\":\"%s\",\"timestamp\":%lld}]", room_nm, rpc_reply_now_ms());
	if (ev.p)
		sio_emit(sock, ev.p, ev.len);
	buf_free(&ev);
	if ((sock = auth_socket_by_ref(r->sock_ref)) != NULL)
		rpc_reply_tell_room(sock, "user-joined", room_nm);
	return true;
}

/* A successful result (JSON text) for r */
static void
rpc_reply_done(const rpcq_req *r, const char *json, size_t len)
{
	sio_socket *sock = auth_socket_by_ref(r->sock_ref);
	buf			b = BUF_INIT;
	char		room_nm[ROOM_MAX_NAME + 1];

	if (sock == NULL)
		return;
	if ((r->kind == RPCQ_JOIN || r->kind == RPCQ_LEAVE) && rpc_reply_result_room(json, room_nm, sizeof(room_nm)) &&
		!rpc_reply_room_effects(r, sock, room_nm))
		return;
	/* each send may close a socket: look ours up again before the next */
	if (r->kind == RPCQ_UNREAD && (sock = auth_socket_by_ref(r->sock_ref)) != NULL)
	{
		buf_append_str(&b, "[\"notification:unread_count\",");
		buf_append(&b, json, len);
		buf_append_char(&b, ']');
		if (b.p)
			sio_emit(sock, b.p, b.len);
		buf_reset(&b);
	}
	if (r->ack >= 0 && (sock = auth_socket_by_ref(r->sock_ref)) != NULL)
	{
		buf_append_char(&b, '[');
		buf_append(&b, json, len);
		buf_append_char(&b, ']');
		if (b.p)
			sio_ack(sock, r->ack, b.p, b.len);
	}
	buf_free(&b);
}

void
rpc_reply_result(const rpcq_req *r, const PGresult *res)
{
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	const char *state = ok ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = ok ? NULL : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *code = ok ? NULL : rpc_reply_code(state, msg);
	sio_socket *sock;

	metrics_g.rpc_calls++;
	if (r->kind == RPCQ_REFRESH)
	{
		if ((sock = auth_socket_by_ref(r->sock_ref)) == NULL)
			return;
		if (ok)
			life_refresh_confirmed(sock, r->ack, r->token);
		else
			life_refresh_refused(sock, r->ack, strcmp(code, "INTERNAL_ERROR") == 0 ? "UNAVAILABLE" : code,
								 strcmp(code, "INTERNAL_ERROR") == 0 ? "the database could not check the token" :
								 msg ? msg : code);
		return;
	}
	if (r->kind == RPCQ_CONNECT || r->kind == RPCQ_RECOVER)
	{
		if ((sock = auth_socket_by_ref(r->sock_ref)) == NULL)
			return;
		if (ok && r->kind == RPCQ_RECOVER)
			recov_result(sock, PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0),
						 PQgetisnull(res, 0, 0) ? 0 : (size_t) PQgetlength(res, 0, 0));
		else if (ok)
			auth_connect_confirmed(sock);
		else
		{
			/* a database that fails for another reason refuses too: fail closed */
			if (strcmp(code, "INTERNAL_ERROR") == 0)
				log_warn("CONNECT check failed: %s %s", state ? state : "", msg ? msg : "");
			auth_connect_refused(sock, strcmp(code, "INVALID_TOKEN") == 0 || strcmp(code, "TOKEN_EXPIRED") == 0 ?
								 code : strcmp(code, "INTERNAL_ERROR") == 0 ? "UNAVAILABLE" : "UNAUTHORIZED");
		}
		return;
	}
	if (ok)
	{
		if (PQgetisnull(res, 0, 0))
			rpc_reply_done(r, "null", 4);
		else
			rpc_reply_done(r, PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0));
		return;
	}
	if (strcmp(code, "INTERNAL_ERROR") == 0)
		log_warn("rpc %s failed: %s %s", r->method, state ? state : "", msg ? msg : "");
	rpc_reply_error(r, code, strcmp(code, "INTERNAL_ERROR") == 0 ? "internal error" : msg ? msg : code, 0);
}
