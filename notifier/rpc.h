/*
 * rpc.h — client requests (data path 2): a Socket.IO EVENT from an
 * authenticated socket becomes SELECT roomcast.rpc(token, method, args) on
 * an async libpq connection of its own, and the result (or the error, as
 * {code, message}) is the ack. Built in: join / leave (and join-rca /
 * leave-rca) with their room effects, rooms (debug:rooms) answered locally,
 * get_unread_count with notification:unread_count. The database decides
 * every permission: the token travels with each call.
 */
#ifndef RC_NOTIFIER_RPC_H
#define RC_NOTIFIER_RPC_H

#include <uv.h>

#include "sio_sess.h"

/* Start the connection to conninfo (NULL or "": libpq defaults) */
void		rpc_start(uv_loop_t *loop, const char *conninfo);

/* sio_hooks.event: handle one client event */
void		rpc_on_event(sio_socket *sock, const sio_packet *p);

/* Send sock notification:unread_count (asked of the database; no ack) */
void		rpc_push_unread_count(sio_socket *sock);

/* A socket is going away: its queued requests will not be answered */
void		rpc_socket_gone(sio_socket *sock);

/* Close the connection (drain) */
void		rpc_stop(void);

#endif
