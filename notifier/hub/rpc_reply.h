/*
 * rpc_reply.h — answering client requests: the ack (result or
 * {error:{code, message}}), the room effects of join / leave, the
 * notification:unread_count push, the outcome of a CONNECT check, and the
 * `error` event of a refused request.
 *
 * A request names its socket by reference (auth_socket_by_ref), never by
 * pointer: a socket that left while its request waited or ran is simply not
 * found, and nothing is sent. Fan-out to a room first copies the members'
 * references, so a socket closed by one write cannot pull the list from
 * under the walk.
 */
#ifndef RC_NOTIFIER_RPC_REPLY_H
#define RC_NOTIFIER_RPC_REPLY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "hub/rpc_queue.h"
#include "session/sio_sess.h"

/* True while r's socket is still there */
bool		rpc_reply_socket_alive(const rpcq_req *r);

/* Answer r from the result of its query */
void		rpc_reply_result(const rpcq_req *r, const PGresult *res);

/*
 * Answer r with an error: the ack {error:{code, message[, retryAfter]}}
 * ({success:false, error} for join / leave); with retry_after_ms > 0 also
 * the event error {code, message, retryAfter}. For a CONNECT check: the
 * CONNECT is refused with code.
 */
void		rpc_reply_error(const rpcq_req *r, const char *code, const char *message, uint32_t retry_after_ms);

/* The same for a request never queued: sock, ack id (-1: none), kind */
/*
 * Emit [name, {userId, email, room, timestamp}] (user-joined, user-left)
 * for sock's user to the other sockets of the room in sock's namespace
 */
void		rpc_reply_tell_room(sio_socket *sock, const char *name, const char *room_nm);

/*
 * The same for any user (user, email NUL-terminated; the email is escaped
 * here) to the sockets of the local room in namespace index nsp, except
 * except (may be NULL): presence_relay.c tells a join on another instance.
 */
void		rpc_reply_tell_room_as(const sio_socket *except, int nsp, const char *user, const char *email,
								   const char *name, const char *room_nm);

void		rpc_reply_error_to(sio_socket *sock, int64_t ack, rpcq_kind kind, const char *code,
							   const char *message, uint32_t retry_after_ms);

#endif
