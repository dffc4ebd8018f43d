/*
 * rpc_client.h — client requests (data path 2): a Socket.IO EVENT from an
 * authenticated socket becomes SELECT roomcast.rpc(token, method, args) on
 * the rpc pool (rpc_pool.c), queued per tenant (rpc_queue.c), and the result
 * (or the error, as {code, message}) is the ack (rpc_reply.c). This file is
 * the entry: the event's name and argument, the per-socket --rate token
 * bucket, the built-ins answered locally (rooms, debug:rooms) or reshaped
 * (join-rca, leave-rca), and the CONNECT check. The database decides every
 * permission: the token travels with each call.
 */
#ifndef RC_NOTIFIER_RPC_CLIENT_H
#define RC_NOTIFIER_RPC_CLIENT_H

#include <uv.h>

#include "base/opts.h"
#include "session/sio_sess.h"

/* Start the pool (--rpc-pool connections to --db) and apply --rate */
void		rpc_start(uv_loop_t *loop, const notifier_opts *opts);

/* sio_hooks.event: handle one client event */
void		rpc_on_event(sio_socket *sock, const sio_packet *p);

/* Send sock notification:unread_count (asked of the database; no ack) */
void		rpc_push_unread_count(sio_socket *sock);

/*
 * Confirm sock's CONNECT with the database (the user and tenant exist and
 * the user is active): later auth_connect_confirmed(sock) or
 * auth_connect_refused(sock, code), never from inside this call... except
 * for refusals decided at once (queue full, no database), which call
 * auth_connect_refused before returning.
 */
void		rpc_check_connect(sio_socket *sock);

/*
 * Confirm a CONNECT with {pid, offset} (u->pid, u->offset) through
 * roomcast.recover; the answer goes to recov_result (or refuses the CONNECT).
 */
void		rpc_recover(sio_socket *sock);

/*
 * Ask the database whether token (already verified locally) may replace
 * sock's: the user still exists and is active. The answer goes to
 * life_refresh_confirmed or life_refresh_refused.
 */
void		rpc_check_refresh(sio_socket *sock, int64_t ack, const char *token);

/* Close the pool (drain) */
void		rpc_stop(void);

#endif
