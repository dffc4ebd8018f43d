/*
 * auth.c — token verification and the CONNECT hook (see auth.h).
 *
 * Verification order, as roomcast.verify in the extension (docs/jwt.md):
 * parse the header; pick the key named by kid (unknown or retired: invalid),
 * or the newest active key for a token without kid; the algorithm must be
 * the key's; then the signature, the claims, and aud/iss/exp/nbf with the
 * clock skew. The keys and the policy (claim names, audience, issuer, skew)
 * come from the database, so the notifier and the extension agree.
 */
#include "hub/auth.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "rc_hmac.h"
#include "rc_json.h"
#include "rc_room.h"
#include "hub/presence.h"
#include "hub/recovery.h"
#include "hub/rpc_client.h"

static auth_key *auth_keys;
static size_t auth_nkeys;
static bool auth_loaded;
static rc_jwt_policy auth_policy;
static char *auth_policy_strings[4];	/* owned copies behind auth_policy */
static uint32_t auth_max_conns;

void
auth_init(uint32_t max_conns_per_user)
{
	auth_max_conns = max_conns_per_user;
}

/* Free a key array and its secrets */
static void
auth_free_keys(auth_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (keys[i].secret)
			memset(keys[i].secret, 0, keys[i].secret_len);
		free(keys[i].secret);
	}
	free(keys);
}

/* strdup that maps NULL and "" to NULL (not checked / default) */
static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

void
auth_set_keys(auth_key *keys, size_t n, const rc_jwt_policy *policy)
{
	auth_free_keys(auth_keys, auth_nkeys);
	auth_keys = keys;
	auth_nkeys = n;
	for (int i = 0; i < 4; i++)
		free(auth_policy_strings[i]);
	auth_policy_strings[0] = dup_or_null(policy->claim_user);
	auth_policy_strings[1] = dup_or_null(policy->claim_tenant);
	auth_policy_strings[2] = dup_or_null(policy->audience);
	auth_policy_strings[3] = dup_or_null(policy->issuer);
	auth_policy.claim_user = auth_policy_strings[0];
	auth_policy.claim_tenant = auth_policy_strings[1];
	auth_policy.audience = auth_policy_strings[2];
	auth_policy.issuer = auth_policy_strings[3];
	auth_policy.clock_skew = policy->clock_skew;
	auth_loaded = true;
}

bool
auth_keys_loaded(void)
{
	return auth_loaded;
}

/* The key for a parsed token: by kid, or the newest active one; NULL if none usable */
static const auth_key *
auth_key_for(const rc_jwt *jwt)
{
	for (size_t i = 0; i < auth_nkeys; i++)
	{
		const auth_key *k = &auth_keys[i];

		if (jwt->has_kid ? strcmp(k->kid, jwt->kid) == 0 : !k->retired)
			return k->retired ? NULL : k;
	}
	return NULL;
}

const char *
auth_verify(const char *token, size_t len, int64_t now, rc_jwt_claims *claims)
{
	rc_jwt		jwt;
	const auth_key *key;
	rc_jwt_status st;

	if (token == NULL || len == 0 || !auth_loaded)
		return "UNAUTHORIZED";
	if (rc_jwt_parse(token, len, &jwt) != RC_JWT_OK)
		return "INVALID_TOKEN";
	key = auth_key_for(&jwt);
	if (key == NULL || key->alg != jwt.alg)
		return "INVALID_TOKEN";
	if (rc_jwt_verify_signature(&jwt, key->secret, key->secret_len) != RC_JWT_OK)
		return "INVALID_TOKEN";
	if (rc_jwt_parse_claims(&jwt, &auth_policy, claims) != RC_JWT_OK)
		return "INVALID_TOKEN";
	st = rc_jwt_check(claims, &auth_policy, now);
	if (st == RC_JWT_EXPIRED)
		return "TOKEN_EXPIRED";
	return st == RC_JWT_OK ? NULL : "INVALID_TOKEN";
}

/*
 * The token of a CONNECT: the auth payload's "token" (decoded into out,
 * which holds RC_JWT_MAX_TOKEN + 1 bytes), else the handshake's. Returns the
 * length and sets *tok, or 0 when there is none; -1 when the payload's token
 * is not a string or too long (an invalid token, not a missing one).
 */
static long
auth_token_of(sio_socket *sock, const char *auth, size_t auth_len, char *out, const char **tok)
{
	const char *hs;

	if (auth && auth_len)
	{
		size_t		ntoks = auth_len / 2 + 2;
		rc_json_tok *toks = malloc(ntoks * sizeof(*toks));
		long		n = 0;
		int			v;

		if (toks == NULL)
			return -1;
		if (rc_json_parse(auth, auth_len, toks, ntoks, 0) > 0 && toks[0].type == RC_JSON_OBJECT &&
			(v = rc_json_object_get(auth, toks, 0, "token")) >= 0)
		{
			if (toks[v].type != RC_JSON_STRING ||
				(n = rc_json_string(auth, &toks[v], out, RC_JWT_MAX_TOKEN + 1)) < 0)
				n = -1;
			else
				*tok = out;
		}
		free(toks);
		if (n != 0)
			return n;
	}
	hs = sio_handshake_token(sock);
	if (hs == NULL)
		return 0;
	*tok = hs;
	return (long) strlen(hs);
}

/* Milliseconds since the Unix epoch */
static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*---- recovery ids ----*/

#define AUTH_PID_RND 16
#define AUTH_PID_TAG 22			/* 16 bytes of HMAC-SHA256, base64url */

static const char auth_b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The tag of rnd for u under key, base64url, AUTH_PID_TAG characters into out */
static void
auth_pid_tag(const auth_user *u, const char *rnd, const auth_key *key, char *out)
{
	char		msg[16 + 2 * 37 + AUTH_PID_RND];
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	int			n = snprintf(msg, sizeof(msg), "rc-pid:%s:%s:%.*s", u->tenant, u->user, AUTH_PID_RND, rnd);

	rc_hmac(RC_HMAC_SHA256, key->secret, key->secret_len, msg, (size_t) n, mac);
	/* 16 bytes as 22 characters: 6 bits each, the last one of 2 bits */
	for (int i = 0; i < AUTH_PID_TAG; i++)
	{
		int			bit = i * 6,
					v = (mac[bit / 8] << 8 | (bit / 8 + 1 < 16 ? mac[bit / 8 + 1] : 0)) >> (10 - bit % 8);

		out[i] = auth_b64url[v & 63];
	}
}

void
auth_pid_make(auth_user *u)
{
	uint8_t		raw[AUTH_PID_RND];
	const auth_key *key = NULL;

	for (size_t i = 0; i < auth_nkeys && key == NULL; i++)
		if (!auth_keys[i].retired)
			key = &auth_keys[i];
	if (key == NULL || getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw))
	{
		u->pid[0] = '\0';		/* no key (never for a verified token): no recovery offered */
		return;
	}
	for (int i = 0; i < AUTH_PID_RND; i++)
		u->pid[i] = auth_b64url[raw[i] & 63];
	auth_pid_tag(u, u->pid, key, u->pid + AUTH_PID_RND);
	u->pid[AUTH_PID_LEN] = '\0';
}

bool
auth_pid_check(const auth_user *u, const char *pid, size_t len)
{
	char		tag[AUTH_PID_TAG];

	if (len != AUTH_PID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (pid[i] == '\0' || strchr(auth_b64url, pid[i]) == NULL)
			return false;
	/* a retired key still vouches for a pid it tagged: retiring stops new tokens, not sessions */
	for (size_t i = 0; i < auth_nkeys; i++)
	{
		auth_pid_tag(u, pid, &auth_keys[i], tag);
		if (memcmp(tag, pid + AUTH_PID_RND, AUTH_PID_TAG) == 0)
			return true;
	}
	return false;
}

/*---- socket references ----*/

static auth_user **auth_refs;	/* chained hash by ref; a power of two of buckets */
static size_t auth_refs_size,
			auth_refs_count;
static uint64_t auth_refs_next = 1;

/* Give u a new reference and enter it in the table; 0 or -1 (out of memory) */
static int
auth_ref_add(auth_user *u)
{
	if (auth_refs_count >= 2 * auth_refs_size)
	{
		size_t		size = auth_refs_size ? 2 * auth_refs_size : 1024;
		auth_user **t = calloc(size, sizeof(*t));

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < auth_refs_size; i++)
			for (auth_user *e = auth_refs[i], *next; e; e = next)
			{
				next = e->ref_next;
				e->ref_next = t[e->ref & (size - 1)];
				t[e->ref & (size - 1)] = e;
			}
		free(auth_refs);
		auth_refs = t;
		auth_refs_size = size;
	}
	u->ref = auth_refs_next++;
	u->ref_next = auth_refs[u->ref & (auth_refs_size - 1)];
	auth_refs[u->ref & (auth_refs_size - 1)] = u;
	auth_refs_count++;
	return 0;
}

/* Remove u from the table (if it was entered) */
static void
auth_ref_del(auth_user *u)
{
	if (u->ref == 0)
		return;
	for (auth_user **pp = &auth_refs[u->ref & (auth_refs_size - 1)]; *pp; pp = &(*pp)->ref_next)
		if (*pp == u)
		{
			*pp = u->ref_next;
			auth_refs_count--;
			break;
		}
	u->ref = 0;
}

void
auth_each_user(void (*fn) (auth_user *u, void *arg), void *arg)
{
	for (size_t i = 0; i < auth_refs_size; i++)
		for (auth_user *e = auth_refs[i]; e; e = e->ref_next)
			fn(e, arg);
}

sio_socket *
auth_socket_by_ref(uint64_t ref)
{
	if (ref == 0 || auth_refs_size == 0)
		return NULL;
	for (auth_user *e = auth_refs[ref & (auth_refs_size - 1)]; e; e = e->ref_next)
		if (e->ref == ref)
			return e->sock;
	return NULL;
}

/*---- what a socket keeps ----*/

/*
 * Tenant ids, one copy per tenant with sockets here (a chained hash on the
 * text, doubling when it holds more entries than buckets): every socket of
 * a tenant points to the same 37 bytes instead of carrying its own.
 */
typedef struct auth_tenant
{
	struct auth_tenant *next;
	uint32_t	refs;
	uint32_t	hash;
	char		id[37];
} auth_tenant;

static auth_tenant **auth_tenants;
static size_t auth_tenants_size,
			auth_tenants_count;

static uint32_t
auth_tenant_hash(const char *id)
{
	uint32_t	h = 2166136261u;

	for (int i = 0; i < 36; i++)
		h = (h ^ (uint8_t) id[i]) * 16777619u;
	return h;
}

/* The shared copy of tenant id (36 characters), with one more reference; NULL when out of memory */
static const char *
auth_tenant_get(const char *id)
{
	uint32_t	h = auth_tenant_hash(id);
	auth_tenant *t;

	if (auth_tenants_size)
		for (t = auth_tenants[h & (auth_tenants_size - 1)]; t; t = t->next)
			if (t->hash == h && memcmp(t->id, id, 36) == 0)
			{
				t->refs++;
				return t->id;
			}
	if (auth_tenants_count >= auth_tenants_size)
	{
		size_t		size = auth_tenants_size ? 2 * auth_tenants_size : 64;
		auth_tenant **nt = calloc(size, sizeof(*nt));

		if (nt == NULL)
			return NULL;
		for (size_t i = 0; i < auth_tenants_size; i++)
			for (auth_tenant *e = auth_tenants[i], *next; e; e = next)
			{
				next = e->next;
				e->next = nt[e->hash & (size - 1)];
				nt[e->hash & (size - 1)] = e;
			}
		free(auth_tenants);
		auth_tenants = nt;
		auth_tenants_size = size;
	}
	if ((t = malloc(sizeof(*t))) == NULL)
		return NULL;
	t->refs = 1;
	t->hash = h;
	memcpy(t->id, id, 36);
	t->id[36] = '\0';
	t->next = auth_tenants[h & (auth_tenants_size - 1)];
	auth_tenants[h & (auth_tenants_size - 1)] = t;
	auth_tenants_count++;
	return t->id;
}

/* Drop one reference to the shared tenant id (from auth_tenant_get; NULL is fine) */
static void
auth_tenant_put(const char *id)
{
	uint32_t	h;

	if (id == NULL)
		return;
	h = auth_tenant_hash(id);
	for (auth_tenant **pp = &auth_tenants[h & (auth_tenants_size - 1)]; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
		{
			auth_tenant *t = *pp;

			if (--t->refs == 0)
			{
				*pp = t->next;
				auth_tenants_count--;
				free(t);
			}
			return;
		}
}

auth_aside *
auth_aside_get(auth_user *u)
{
	if (u->aside == NULL)
		u->aside = calloc(1, sizeof(*u->aside));
	return u->aside;
}

void
auth_aside_done(auth_user *u)
{
	if (u->aside == NULL)
		return;
	held_clear(&u->aside->held);
	if (u->recovering || u->life == AUTH_LIFE_EXPIRED)
		return;
	free(u->aside);
	u->aside = NULL;
}

bool
auth_held_over(const auth_user *u)
{
	return u->aside && u->aside->held.over;
}

const char *
auth_email(const auth_user *u)
{
	return u->tok ? auth_tok_email(u->tok) : "";
}

/*---- CONNECT ----*/

/* CONNECT_ERROR with message Unauthorized (or the limit's) and data.code */
static void
auth_reject(sio_socket *sock, const char *code)
{
	char		data[160];
	const char *message = "Unauthorized";

	if (strcmp(code, "TOO_MANY_CONNECTIONS") == 0)
	{
		message = "Too many connections";
		metrics_g.auth_failures[AUTH_FAIL_TOO_MANY_CONNECTIONS]++;
	}
	else if (strcmp(code, "UNAVAILABLE") == 0)
		message = "Service unavailable";	/* the database could not confirm: try again */
	else if (strcmp(code, "RATE_LIMITED") == 0)
		message = "Too many requests";
	else
		metrics_g.auth_failures[strcmp(code, "INVALID_TOKEN") == 0 ? AUTH_FAIL_INVALID_TOKEN :
								strcmp(code, "TOKEN_EXPIRED") == 0 ? AUTH_FAIL_TOKEN_EXPIRED :
								AUTH_FAIL_UNAUTHORIZED]++;
	snprintf(data, sizeof(data), "{\"message\":\"%s\",\"data\":{\"code\":\"%s\"}}", message, code);
	log_debug("CONNECT to %s refused: %s", sio_nsp_name(sock), code);
	sio_connect_reject(sock, data);
}

/* Sockets in namespace nsp of the user whose room is user_room */
static uint32_t
auth_user_sockets(const char *user_room, uint16_t nsp)
{
	uint32_t	n = 0;

	for (room_member *m = room_first(room_find(user_room, strlen(user_room))); m; m = m->next)
		n += m->sock->nsp == nsp;
	return n;
}

/*
 * sio_hooks.connect: verify the token locally (cheap refusals first), then
 * ask the database whether the user and tenant still exist and the user is
 * active (rpc_check_connect). The socket waits, pending, for that answer:
 * auth_connect_confirmed or auth_connect_refused, or at most until
 * --connect-timeout (auth_on_connect_expired).
 */
static void
auth_on_connect(sio_socket *sock, const char *auth, size_t auth_len)
{
	static char tokbuf[RC_JWT_MAX_TOKEN + 1];
	static rc_jwt_claims claims;
	const char *tok = NULL;
	const char *code;
	long		len = auth_token_of(sock, auth, auth_len, tokbuf, &tok);
	auth_user  *u;
	char		room[RC_ROOM_MAX_LEN + 1];

	if (len < 0)
		code = "INVALID_TOKEN";
	else
		code = auth_verify(tok, (size_t) len, (int64_t) time(NULL), &claims);
	if (code)
	{
		auth_reject(sock, code);
		return;
	}
	/* rc_jwt gives normalized lowercase UUIDs, so the user room always builds */
	if (rc_room_user(room, sizeof(room), claims.tenant, claims.user) < 0)
	{
		auth_reject(sock, "INVALID_TOKEN");
		return;
	}
	if (auth_max_conns && auth_user_sockets(room, sock->nsp) >= auth_max_conns)
	{
		auth_reject(sock, "TOO_MANY_CONNECTIONS");
		return;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		goto oom;
	sock->user = u;
	u->sock = sock;
	u->pending = true;
	/* the role claim is not kept: nothing in the notifier reads it, the database re-reads the token */
	if ((u->tok = auth_tok_new(tok, (size_t) len, claims.email, claims.user, claims.tenant)) == NULL ||
		(u->tenant = auth_tenant_get(claims.tenant)) == NULL || auth_ref_add(u) < 0)
		goto oom;
	memcpy(u->user, claims.user, sizeof(u->user));
	u->exp = claims.has_exp ? claims.exp : 0;
	/* {pid, offset} of a session this user had: roomcast.recover also confirms the user */
	if (recov_begin(u, auth, auth_len))
		rpc_recover(sock);
	else
		rpc_check_connect(sock);	/* may refuse (and free sock) before returning */
	return;

oom:
	log_error("out of memory accepting a CONNECT");
	auth_reject(sock, "UNAUTHORIZED");	/* socket_gone frees u */
}

void
auth_connect_confirmed(sio_socket *sock)
{
	auth_user  *u = sock->user;
	uint64_t	ref = u->ref;
	char		room[RC_ROOM_MAX_LEN + 1];
	buf			ev = BUF_INIT;

	u->pending = false;
	/* checked again: other CONNECTs of this user may have been confirmed meanwhile */
	if (rc_room_user(room, sizeof(room), u->tenant, u->user) < 0)
		goto oom;				/* not reached: checked at CONNECT */
	if (auth_max_conns && auth_user_sockets(room, sock->nsp) >= auth_max_conns)
	{
		auth_reject(sock, "TOO_MANY_CONNECTIONS");
		return;
	}
	if (rc_room_tenant(room, sizeof(room), u->tenant) < 0 || room_join(&u->rooms, sock, room, strlen(room)) < 0)
		goto oom;
	if (rc_room_user(room, sizeof(room), u->tenant, u->user) < 0 || room_join(&u->rooms, sock, room, strlen(room)) < 0)
		goto oom;
	presence_connected(u);
	if (u->pid[0] == '\0')
		auth_pid_make(u);
	sio_connect_accept_pid(sock, u->pid);
	/* each send may close the socket: go on only while its reference finds it */
	if (auth_socket_by_ref(ref) != sock)
		return;
	buf_printf(&ev, "[\"connected\",{\"message\":\"Connected to roomcast\",\"timestamp\":%lld}]",
			   (long long) now_ms());
	if (ev.p)
		sio_emit(sock, ev.p, ev.len);
	buf_free(&ev);
	/* the inbox namespace (roomcast.notification_nsp's default) starts with the count */
	if (auth_socket_by_ref(ref) == sock && strcmp(sio_nsp_name(sock), "/notifications") == 0)
		rpc_push_unread_count(sock);
	return;

oom:
	log_error("out of memory accepting a CONNECT");
	auth_reject(sock, "UNAUTHORIZED");
}

void
auth_connect_refused(sio_socket *sock, const char *code)
{
	auth_reject(sock, code);
}

/*
 * sio_hooks.connect_expired: the CONNECT was not confirmed within
 * --connect-timeout (its request still waits for the database, which
 * will find the socket gone): refuse it UNAVAILABLE, fail closed, so that
 * the client is told to try again rather than seeing a bare close.
 */
static void
auth_on_connect_expired(sio_socket *sock)
{
	log_warn("CONNECT to %s not confirmed by the database within --connect-timeout", sio_nsp_name(sock));
	auth_reject(sock, "UNAVAILABLE");
}

/* sio_hooks.socket_gone: leave every room, free the identity */
static void
auth_on_socket_gone(sio_socket *sock)
{
	auth_user  *u = sock->user;

	if (u == NULL)
		return;
	presence_gone(u);			/* user-left to its rooms: before it leaves them */
	auth_ref_del(u);
	recov_forget(u);
	room_leave_all(&u->rooms);
	auth_tok_free(u->tok);
	auth_tenant_put(u->tenant);
	if (u->aside)
		held_clear(&u->aside->held);
	free(u->aside);
	free(u);
	sock->user = NULL;
}

const sio_hooks auth_hooks = {
	.connect = auth_on_connect,
	.socket_gone = auth_on_socket_gone,
	.event = rpc_on_event,
	.connect_expired = auth_on_connect_expired,
};
