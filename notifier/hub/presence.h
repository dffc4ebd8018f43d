/*
 * presence.h — who is online, per tenant and per room (SPEC §7 Presence).
 *
 * One entry per connected socket (an auth_user): in the tenant's room and in
 * every kind room it joined (user rooms are not presence rooms). With
 * --redis the entries live in Redis, shared by every notifier instance, as
 * one sorted set per room scored by expiry time (presence.c says the keys);
 * without it, or while Redis is unreachable, listings come from this
 * instance's own rooms (room_map.h). presence_api.c answers presence:list
 * and GET /presence from presence_list().
 */
#ifndef RC_NOTIFIER_PRESENCE_H
#define RC_NOTIFIER_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/opts.h"
#include "hub/auth.h"

/* At most this many connections are read for one listing (Redis LIMIT, local walk) */
#define PRESENCE_MAX_LIST 1000

/* Start: connect to opts->redis if set (never fails; retried with back-off) */
void		presence_start(uv_loop_t *loop, const notifier_opts *opts);

/* Stop: close the Redis connection (drain) */
void		presence_stop(void);

/* "up", "down" (--redis set, not connected) or "none" (no --redis), for /healthz */
const char *presence_redis_state(void);

/* u's CONNECT was confirmed: it is online in its tenant */
void		presence_connected(auth_user *u);

/* u joined / left the kind room room (a NUL-terminated room name) */
void		presence_joined(auth_user *u, const char *room);
void		presence_left(auth_user *u, const char *room);

/* u is going away: user-left to its kind rooms, entries removed; before it leaves its rooms */
void		presence_gone(auth_user *u);

/*
 * List who is online in room (a tenant room or a kind room name): calls
 * cb(arg, json, len) exactly once, with the JSON array
 * [{userId, email, connections, since}] sorted by userId: from Redis when it
 * answers, else from this instance. cb may run before presence_list returns.
 */
typedef void (*presence_list_cb) (void *arg, const char *json, size_t len);
void		presence_list(const char *room, presence_list_cb cb, void *arg);

/* Counters for the measurements (bench, /metrics): Redis commands sent */
extern unsigned long long presence_redis_commands;

#endif
