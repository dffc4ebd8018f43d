/*
 * presence_api.h — the two ways to ask who is online (SPEC §7 Presence):
 * the presence:list event of a socket and GET /presence with a Bearer
 * token. Checks who may see which room, then answers from presence.h.
 */
#ifndef RC_NOTIFIER_PRESENCE_API_H
#define RC_NOTIFIER_PRESENCE_API_H

#include <stdbool.h>
#include <stdint.h>

#include "rc_json.h"
#include "hub/auth.h"
#include "transport/net.h"

/*
 * presence:list {room?} of sock with ack id ack: arr[0..arr_len) is the JSON
 * array of the event's arguments, toks its ntoks tokens (toks[1] the first
 * argument). Acks [{userId, email, connections, since}] or an error
 * (INVALID_ARGUMENT, FORBIDDEN); without an ack id nothing is done.
 */
void		presence_on_list(sio_socket *sock, int64_t ack, const char *arr, size_t arr_len,
							 const rc_json_tok *toks, int ntoks);

/* GET /presence?room=…: 401 without a valid Bearer token, 403 for a room not of its tenant */
void		presence_http(net_conn *c, const http_request *req);

/*
 * The transport's conn_gone for c: true (and the held GET /presence
 * forgotten) when c was holding one, false when c is someone else's.
 */
bool		presence_http_conn_gone(net_conn *c);

#endif
