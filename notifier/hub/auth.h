/*
 * auth.h — authentication at every Socket.IO CONNECT (SPEC §7): the token
 * from the CONNECT auth payload, else the handshake (Bearer header, ?token=),
 * verified locally with common/rc_jwt.h against the signing keys the
 * database listener (db.c) loads. A socket that passes carries an auth_user
 * and is in its tenant and user rooms. Session logic: no I/O of its own.
 */
#ifndef RC_NOTIFIER_AUTH_H
#define RC_NOTIFIER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rc_jwt.h"
#include "hub/auth_tok.h"
#include "hub/db.h"
#include "hub/held.h"
#include "hub/room_map.h"
#include "session/sio_sess.h"

/*
 * A recovery id: 16 random base64url characters, then 22 of HMAC tag
 * (auth_pid_make); the alphabet roomcast.rpc join accepts for a pid.
 */
#define AUTH_PID_LEN 38

/* Where a socket's token is in its life (lifecycle.c) */
typedef enum auth_life
{
	AUTH_LIFE_LIVE = 0,
	AUTH_LIFE_WARNED,			/* auth:refresh-needed sent */
	AUTH_LIFE_EXPIRED			/* auth:expired sent: events are held until refresh or grace end */
} auth_life;

/*
 * What a socket needs only while it recovers (recovery.c) or while its token
 * has expired (lifecycle.c): allocated then (auth_aside_get), freed when
 * neither holds any more (auth_aside_done), so an idle socket does not carry
 * it (docs/notifier.md, memory per socket).
 */
typedef struct auth_aside
{
	held_queue	held;			/* events held back, in order */
	int64_t		offset;			/* recovering: the client's offset (its pos) */
	int64_t		grace_end;		/* expired: disconnect at this Unix time */
	struct auth_user *rec_next; /* recovery.c's list of recovering sockets */
	char		offset_shard[DB_SHARD_ID_MAX + 1];	/* with several --db: the shard the offset names */
} auth_aside;

/*
 * What an authenticated socket carries (sio_socket.user); owned by auth.c.
 * Fields ordered by size: no padding holes (the struct is one per socket).
 */
typedef struct auth_user
{
	room_member *rooms;			/* this socket's memberships (room_map.h) */
	auth_tok   *tok;			/* the token (for roomcast.rpc: rpc_client.c) and the email claim */
	uint64_t	ref;			/* this socket's reference (auth_socket_by_ref) */
	struct auth_user *ref_next; /* the reference table's chain */
	sio_socket *sock;
	double		rl_tokens;		/* --rate token bucket (rpc_client.c) */
	uint64_t	rl_ms;			/* its last refill, uv_now; 0: full */
	long long	since_ms;		/* presence (presence.c): online since, Unix ms */
	int64_t		exp;			/* the token's exp, Unix seconds (lifecycle.c) */
	int64_t		skip_upto;		/* events at or below this pos were sent by the recovery */
	auth_aside *aside;			/* recovering or expired only; else NULL */
	const char *tenant;			/* lowercase UUID, shared by the tenant's sockets (auth.c) */
	char		user[37];		/* lowercase UUID */
	char		pid[AUTH_PID_LEN + 1];	/* this session's recovery id; "" until accepted */
	bool		pending;		/* CONNECT waits for the database's confirmation */
	bool		pres_listed;	/* confirmed: presence.c writes its entries */
	uint8_t		life;			/* auth_life */
	bool		recovering;		/* roomcast.recover in flight: its tenant's live events are held */
	bool		gate;			/* deliver.c asks recov_gate: expired, or skip_upto set */
	bool		refreshing;		/* an auth:refresh is being checked by the database */
} auth_user;

/* u's aside, allocated when missing; NULL when out of memory */
auth_aside *auth_aside_get(auth_user *u);

/*
 * Clear u's held events and free its aside unless it still recovers or its
 * token is expired (then only the held events are cleared)
 */
void		auth_aside_done(auth_user *u);

/* True when events held for u went past the bound (something was dropped) */
bool		auth_held_over(const auth_user *u);

/* u's email claim ("" when its token had none) */
const char *auth_email(const auth_user *u);

/* One signing key as read from roomcast.signing_keys */
typedef struct auth_key
{
	char		kid[RC_JWT_MAX_KID + 1];
	rc_jwt_alg	alg;
	bool		retired;
	size_t		secret_len;
	uint8_t    *secret;
} auth_key;

/* Settings: at most max_conns_per_user sockets per user (0: no limit) */
void		auth_init(uint32_t max_conns_per_user);

/* The hooks for sio_init (connect, socket_gone, event) */
extern const sio_hooks auth_hooks;

/*
 * Replace the key set. keys[] is newest first (created_at descending); the
 * array and the secrets become owned by auth.c. policy strings are copied.
 * Until the first call every CONNECT is refused with UNAUTHORIZED.
 */
void		auth_set_keys(auth_key *keys, size_t n, const rc_jwt_policy *policy);

/* True once keys have been loaded (even an empty set) */
bool		auth_keys_loaded(void);

/*
 * Verify token[0..len) at time now (Unix seconds). On success returns NULL
 * and fills *claims; otherwise returns the socket error code:
 * "UNAUTHORIZED" (no token, no keys loaded), "INVALID_TOKEN" or
 * "TOKEN_EXPIRED".
 */
const char *auth_verify(const char *token, size_t len, int64_t now, rc_jwt_claims *claims);

/*
 * The socket of reference ref, or NULL once it is gone. A reference is
 * never reused, so anything that outlives a callback (a queued request, a
 * fan-out list) keeps the reference, not the pointer.
 */
sio_socket *auth_socket_by_ref(uint64_t ref);

/* The database confirmed sock's pending CONNECT: join its rooms, accept, greet */
void		auth_connect_confirmed(sio_socket *sock);

/*
 * A new recovery id for u (in u->pid): random, tagged with an HMAC of the
 * tenant, the user and the random part under the newest signing key, so
 * any notifier with the same keys can tell a pid it issued to this user
 * (auth_pid_check) from an unknown or another user's one, without state.
 */
void		auth_pid_make(auth_user *u);
bool		auth_pid_check(const auth_user *u, const char *pid, size_t len);

/* Call fn for every authenticated socket (the lifecycle sweep); fn may not free sockets */
void		auth_each_user(void (*fn) (auth_user *u, void *arg), void *arg);

/* Refuse sock's pending CONNECT with code (frees sock) */
void		auth_connect_refused(sio_socket *sock, const char *code);

#endif
