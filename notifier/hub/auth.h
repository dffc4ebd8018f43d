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
#include "hub/room_map.h"
#include "session/sio_sess.h"

/* What an authenticated socket carries (sio_socket.user); owned by auth.c */
typedef struct auth_user
{
	room_member *rooms;			/* this socket's memberships (room_map.h) */
	char		user[37];		/* lowercase UUIDs */
	char		tenant[37];
	char	   *role;			/* "" when the token has none */
	char	   *email;
	char	   *token;			/* for roomcast.rpc (rpc_client.c) */
	uint64_t	ref;			/* this socket's reference (auth_socket_by_ref) */
	struct auth_user *ref_next; /* the reference table's chain */
	sio_socket *sock;
	bool		pending;		/* CONNECT waits for the database's confirmation */
	double		rl_tokens;		/* --rate token bucket (rpc_client.c) */
	uint64_t	rl_ms;			/* its last refill, uv_now; 0: full */
	long long	since_ms;		/* presence (presence.c): online since, Unix ms */
	struct auth_user *pres_prev;	/* presence.c's list of confirmed sockets */
	struct auth_user *pres_next;
	bool		pres_listed;	/* on that list */
} auth_user;

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

/* Refuse sock's pending CONNECT with code (frees sock) */
void		auth_connect_refused(sio_socket *sock, const char *code);

#endif
