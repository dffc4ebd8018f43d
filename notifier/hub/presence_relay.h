/*
 * presence_relay.h — user-joined / user-left across notifier instances.
 *
 * With --redis, every instance PUBLISHes the joins and leaves of kind rooms
 * made by its own sockets (presence.c) on the room's channel, and receives
 * those of the other instances on one PSUBSCRIBE connection, which this
 * module owns; it tells them to its local sockets of that room
 * (rpc_reply_tell_room_as). presence_relay.c says the channel and message
 * format and what a message must satisfy to be told.
 */
#ifndef RC_NOTIFIER_PRESENCE_RELAY_H
#define RC_NOTIFIER_PRESENCE_RELAY_H

#include <stdbool.h>
#include <uv.h>

#include "base/buf.h"
#include "hub/auth.h"

/* Channels are this prefix + the room name (which starts with tenant:<uuid>) */
#define PRES_RELAY_PREFIX "rc:presence-ev:"

/* A message longer than this is not told (ours are at most ~450 bytes) */
#define PRES_RELAY_MAX_MSG 1024

/* Start subscribing to host:port (retried with back-off; never fails); instance is ours */
void		presence_relay_start(uv_loop_t *loop, const char *host, int port, const char *instance);

/* Stop: close the subscription (drain) */
void		presence_relay_stop(void);

/* The message for u's join ('j') or leave ('l') into msg (for PUBLISH by presence.c) */
void		presence_relay_message(const auth_user *u, char ev, const char *instance, buf *msg);

/* Counters: roomcast_presence_relay_*_total in base/metrics.h (metrics_g) */

#endif
