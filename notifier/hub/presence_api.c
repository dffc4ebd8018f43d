/*
 * presence_api.c — presence:list and GET /presence (see presence_api.h).
 *
 * Who may list what: a socket lists its tenant (no room) or a room it is
 * in; an HTTP caller lists its token's tenant or any room of that tenant.
 * A room of another tenant, a room the socket is not in, or a name that is
 * not a room is FORBIDDEN (HTTP 403): nobody learns who is online
 * elsewhere. The room is checked here, before any Redis command, so a
 * client never chooses a key outside its tenant's.
 */
#include "hub/presence_api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "rc_room.h"
#include "hub/presence.h"
#include "hub/room_map.h"
#include "hub/rpc_reply.h"

#define PRES_MAX_HTTP 256		/* GET /presence requests waiting for Redis */

/* A socket's presence:list waiting for its answer */
typedef struct pres_sock_req
{
	uint64_t	ref;
	int64_t		ack;
} pres_sock_req;

/* A GET /presence waiting for its answer; conn NULL once the connection is gone */
typedef struct pres_http_req
{
	struct pres_http_req *next;
	net_conn   *conn;
} pres_http_req;

static pres_http_req *pres_http_waiting;
static uint32_t pres_http_n;
static char pres_http_marker;	/* net_conn.sess of a held GET /presence */

static void
pres_sock_answer(void *arg, const char *json, size_t len)
{
	pres_sock_req *q = arg;
	sio_socket *sock = auth_socket_by_ref(q->ref);
	buf			b = BUF_INIT;

	if (sock)
	{
		buf_append_char(&b, '[');
		buf_append(&b, json, len);
		buf_append_char(&b, ']');
		if (b.p)
			sio_ack(sock, q->ack, b.p, b.len);
		buf_free(&b);
	}
	free(q);
}

/* Is name[0..len) a presence room (the tenant's or a kind room, not a user room) of tenant? */
static bool
pres_room_of(const char *name, size_t len, const char *tenant)
{
	rc_room		r;

	return rc_room_parse(name, len, &r) && r.type != RC_ROOM_USER && rc_room_of_tenant(name, len, tenant);
}

/* Is sock in the room called name? */
static bool
pres_sock_in(const auth_user *u, const char *name)
{
	for (const room_member *m = u->rooms; m; m = m->snext)
		if (strcmp(room_name(m->room), name) == 0)
			return true;
	return false;
}

void
presence_on_list(sio_socket *sock, int64_t ack, const char *arr, size_t arr_len, const rc_json_tok *toks, int ntoks)
{
	auth_user  *u = sock->user;
	char		room[RC_ROOM_MAX_LEN + 1];
	pres_sock_req *q;
	int			v = -1;
	long		n;

	if (ack < 0)
		return;					/* nobody to answer */
	if (ntoks > 1 && toks[1].type != RC_JSON_OBJECT && toks[1].type != RC_JSON_NULL)
	{
		rpc_reply_error_to(sock, ack, RPCQ_GENERIC, "INVALID_ARGUMENT", "presence:list takes {room?}", 0);
		return;
	}
	if (ntoks > 1 && toks[1].type == RC_JSON_OBJECT)
		v = rc_json_object_get(arr, toks, 1, "room");
	if (v < 0 || toks[v].type == RC_JSON_NULL)
		rc_room_tenant(room, sizeof(room), u->tenant);
	else if (toks[v].type != RC_JSON_STRING ||
			 (n = rc_json_string(arr, &toks[v], room, sizeof(room))) <= 0 || (size_t) n >= sizeof(room) ||
			 !pres_room_of(room, (size_t) n, u->tenant) || !pres_sock_in(u, room))
	{
		rpc_reply_error_to(sock, ack, RPCQ_GENERIC, "FORBIDDEN",
						   "room must be your tenant's and one this socket is in", 0);
		return;
	}
	(void) arr_len;
	if ((q = malloc(sizeof(*q))) == NULL)
	{
		rpc_reply_error_to(sock, ack, RPCQ_GENERIC, "INTERNAL_ERROR", "out of memory", 0);
		return;
	}
	q->ref = u->ref;
	q->ack = ack;
	presence_list(room, pres_sock_answer, q);
}

/*---- GET /presence ----*/

static void
pres_http_answer(void *arg, const char *json, size_t len)
{
	pres_http_req *q = arg;

	for (pres_http_req **pp = &pres_http_waiting; *pp; pp = &(*pp)->next)
		if (*pp == q)
		{
			*pp = q->next;
			break;
		}
	pres_http_n--;
	if (q->conn)
	{
		q->conn->sess = NULL;
		net_http_respond(q->conn, 200, "application/json", json, len);
	}
	free(q);
}

bool
presence_http_conn_gone(net_conn *c)
{
	if (c->sess != (void *) &pres_http_marker)
		return false;
	c->sess = NULL;
	for (pres_http_req *q = pres_http_waiting; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
	return true;
}

/* Percent-decode the value of name= in the query into out[size]; its length, 0 if absent, -1 if bad */
static long
pres_query_param(http_str query, const char *name, char *out, size_t size)
{
	size_t		nl = strlen(name);
	const char *p = query.p,
			   *end = query.p + query.len;

	while (p < end)
	{
		const char *amp = memchr(p, '&', (size_t) (end - p));
		const char *stop = amp ? amp : end;

		if ((size_t) (stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
		{
			size_t		o = 0;

			for (p += nl + 1; p < stop; p++)
			{
				int			ch = (unsigned char) *p;

				if (ch == '%' && stop - p >= 3)
				{
					char		hex[3] = {p[1], p[2], 0};
					char	   *e;

					ch = (int) strtol(hex, &e, 16);
					if (*e || ch == 0)
						return -1;
					p += 2;
				}
				if (o + 1 >= size)
					return -1;
				out[o++] = (char) ch;
			}
			out[o] = '\0';
			return (long) o;
		}
		p = stop + 1;
	}
	return 0;
}

static void
pres_http_error(net_conn *c, int status, const char *code, const char *message)
{
	char		body[200];
	int			n = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);

	net_http_respond(c, status, "application/json", body, (size_t) n);
}

void
presence_http(net_conn *c, const http_request *req)
{
	const http_str *auth = http_header_get(req, "authorization");
	rc_jwt_claims claims;
	const char *code;
	char		room[RC_ROOM_MAX_LEN + 1];
	long		n;
	pres_http_req *q;

	if (auth == NULL || auth->len <= 7 || strncasecmp(auth->p, "Bearer ", 7) != 0 ||
		(code = auth_verify(auth->p + 7, auth->len - 7, (int64_t) time(NULL), &claims)) != NULL)
	{
		pres_http_error(c, 401, "UNAUTHORIZED", "a valid Bearer token is required");
		return;
	}
	n = pres_query_param(req->query, "room", room, sizeof(room));
	if (n == 0)
		rc_room_tenant(room, sizeof(room), claims.tenant);
	else if (n < 0 || !pres_room_of(room, (size_t) n, claims.tenant))
	{
		pres_http_error(c, 403, "FORBIDDEN", "room must be a room of your tenant");
		return;
	}
	if (pres_http_n >= PRES_MAX_HTTP || (q = malloc(sizeof(*q))) == NULL)
	{
		pres_http_error(c, 503, "UNAVAILABLE", "too many presence requests waiting; try again");
		return;
	}
	q->conn = c;
	q->next = pres_http_waiting;
	pres_http_waiting = q;
	pres_http_n++;
	c->sess = (void *) &pres_http_marker;	/* so net tells us (conn_gone) if it goes first */
	presence_list(room, pres_http_answer, q);
}
