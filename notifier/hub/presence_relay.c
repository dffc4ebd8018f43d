/*
 * presence_relay.c — user-joined / user-left across instances (see presence_relay.h).
 *
 * Channel: rc:presence-ev:<room>, <room> a kind room's name
 * (tenant:<uuid>:<kind>:<id>), so the tenant is part of the channel.
 * Message: "<j|l>|<instance>|<namespace>|<userId>|<email>" (the email cut
 * at 320 bytes, as presence entries). One connection PSUBSCRIBEs
 * rc:presence-ev:tenant:* and tells each message to the local sockets of
 * the room its channel names — never of a room the message names: the
 * payload carries no room, so a message cannot reach another room or
 * tenant than its channel. A message is told only when the channel is a
 * valid kind room name, the payload is at most PRES_RELAY_MAX_MSG bytes,
 * the event is j or l, the instance is not this one (ours were told
 * locally), the namespace is configured here, the userId is a lowercase
 * UUID and the email has no control character; anything else is counted
 * in roomcast_presence_relay_dropped_total and dropped (every message
 * received, in roomcast_presence_relay_received_total). Only notifiers write to Redis;
 * whoever can PUBLISH there can forge presence events, as they can forge
 * presence entries (docs/scale-out.md: keep Redis private).
 *
 * Cost: every instance receives every tenant's joins and leaves (one
 * pattern subscription) and looks the room up in its room map: O(1) per
 * message when the room has no local socket, else one emit per local
 * member, as a local join.
 *
 * Faults: the connection is retried after 1, 2, 4 … 30 s; a subscription
 * not confirmed within PRES_RELAY_HANG_MS is dropped and retried (a Redis
 * that accepts but never answers); a socket error (a reset, also with data
 * on the way) disconnects it through redis_uv.c and it is retried. Joins
 * made while it is down are not told on this instance (the listing, presence:list, is
 * the source of truth); a slow subscriber is disconnected by Redis itself
 * (client-output-buffer-limit pubsub) and reconnects.
 */
#include "hub/presence_relay.h"

#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "base/log.h"
#include "base/metrics.h"
#include "rc_room.h"
#include "rc_uuid.h"
#include "hub/redis_uv.h"
#include "hub/rpc_reply.h"
#include "session/sio_sess.h"

#define PRES_RELAY_EMAIL_MAX 320
#define PRES_RELAY_HANG_MS 3000
#define PRES_RELAY_BACKOFF_MAX_MS 30000

static uv_loop_t *rel_loop;
static const char *rel_host;
static int	rel_port;
static const char *rel_instance;
static redisAsyncContext *rel_ac;
static bool rel_subscribed;
static bool rel_stopping;
static uint64_t rel_connect_start;
static uint64_t rel_backoff_ms;
static uv_timer_t rel_retry_timer,
			rel_watch_timer;

static void rel_connect(void);

void
presence_relay_message(const auth_user *u, char ev, const char *instance, buf *msg)
{
	size_t		elen = strlen(auth_email(u));

	buf_printf(msg, "%c|%s|%s|%s|%.*s", ev, instance, sio_nsp_name(u->sock), u->user,
			   (int) (elen > PRES_RELAY_EMAIL_MAX ? PRES_RELAY_EMAIL_MAX : elen), auth_email(u));
}

/* Try again later: 1, 2, 4 … 30 s */
static void
rel_schedule_retry(void)
{
	if (rel_stopping || uv_is_active((uv_handle_t *) &rel_retry_timer))
		return;
	rel_backoff_ms = rel_backoff_ms ? rel_backoff_ms * 2 : 1000;
	if (rel_backoff_ms > PRES_RELAY_BACKOFF_MAX_MS)
		rel_backoff_ms = PRES_RELAY_BACKOFF_MAX_MS;
	uv_timer_start(&rel_retry_timer, (uv_timer_cb) rel_connect, rel_backoff_ms, 0);
}

/* Drop the connection (unconfirmed, stopping); its callbacks get NULL */
static void
rel_drop(const char *why)
{
	redisAsyncContext *ac = rel_ac;

	if (ac == NULL)
		return;
	if (!rel_stopping)
		log_warn("redis %s:%d: presence relay %s; joins on other instances are not told here until it is back",
				 rel_host, rel_port, why);
	rel_ac = NULL;
	rel_subscribed = false;
	redisAsyncFree(ac);
	rel_schedule_retry();
}

/*
 * Tell one message of channel (the room after the prefix): false when it
 * does not satisfy the rules of the file comment.
 */
static bool
rel_tell(const char *channel, size_t chlen, const char *msg, size_t len)
{
	char		room[RC_ROOM_MAX_LEN + 1];
	char		copy[PRES_RELAY_MAX_MSG + 1];
	char	   *f[5],
			   *p;
	size_t		plen = strlen(PRES_RELAY_PREFIX),
				rlen;
	rc_room		r;
	uint8_t		uuid[RC_UUID_BYTES];
	int			nsp;

	if (chlen <= plen || memcmp(channel, PRES_RELAY_PREFIX, plen) != 0)
		return false;
	rlen = chlen - plen;
	if (rlen > RC_ROOM_MAX_LEN || len > PRES_RELAY_MAX_MSG || memchr(msg, '\0', len))
		return false;
	memcpy(room, channel + plen, rlen);
	room[rlen] = '\0';
	if (!rc_room_parse(room, rlen, &r) || r.type != RC_ROOM_KIND)
		return false;
	memcpy(copy, msg, len);
	copy[len] = '\0';
	p = copy;
	for (int i = 0; i < 4; i++)		/* the email, last, may contain '|' */
	{
		char	   *bar = strchr(p, '|');

		if (bar == NULL)
			return false;
		*bar = '\0';
		f[i] = p;
		p = bar + 1;
	}
	f[4] = p;
	if ((strcmp(f[0], "j") != 0 && strcmp(f[0], "l") != 0) || f[1][0] == '\0')
		return false;
	if (strcmp(f[1], rel_instance) == 0)
		return true;			/* ours: told locally already */
	if ((nsp = sio_nsp_index(f[2], strlen(f[2]))) < 0)
		return false;
	if (strlen(f[3]) != RC_UUID_TEXT_LEN || !rc_uuid_parse(f[3], RC_UUID_TEXT_LEN, true, uuid))
		return false;
	if (strlen(f[4]) > PRES_RELAY_EMAIL_MAX)
		return false;
	for (const unsigned char *c = (const unsigned char *) f[4]; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	rpc_reply_tell_room_as(NULL, nsp, f[3], f[4], f[0][0] == 'j' ? "user-joined" : "user-left", room);
	return true;
}

/* Every reply of the PSUBSCRIBE: its confirmation, then one per message */
static void
rel_on_message(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *rp = reply;

	(void) priv;
	if (rp == NULL || ac != rel_ac)
		return;					/* dropped or freed */
	if (rp->type != REDIS_REPLY_ARRAY || rp->elements < 3 || rp->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(rp->element[0]->str, "psubscribe") == 0)
	{
		rel_subscribed = true;
		rel_backoff_ms = 0;
		log_info("redis %s:%d: presence relay subscribed", rel_host, rel_port);
		return;
	}
	if (strcmp(rp->element[0]->str, "pmessage") != 0)
		return;
	metrics_g.relay_received++;
	if (rp->elements != 4 || rp->element[2]->type != REDIS_REPLY_STRING || rp->element[3]->type != REDIS_REPLY_STRING ||
		!rel_tell(rp->element[2]->str, rp->element[2]->len, rp->element[3]->str, rp->element[3]->len))
		metrics_g.relay_dropped++;
}

static void
rel_on_connect(const redisAsyncContext *ac, int status)
{
	if (ac != rel_ac || status == REDIS_OK)
		return;
	rel_ac = NULL;				/* hiredis frees it after this callback */
	rel_subscribed = false;
	rel_schedule_retry();
}

static void
rel_on_disconnect(const redisAsyncContext *ac, int status)
{
	(void) status;
	if (ac != rel_ac)
		return;					/* dropped by rel_drop */
	log_warn("redis %s:%d: presence relay lost: %s", rel_host, rel_port, ac->errstr[0] ? ac->errstr : "closed");
	rel_ac = NULL;
	rel_subscribed = false;
	rel_schedule_retry();
}

/* Open the connection and subscribe (at start and on every retry) */
static void
rel_connect(void)
{
	redisAsyncContext *ac;

	if (rel_stopping || rel_ac)
		return;
	ac = redisAsyncConnect(rel_host, rel_port);
	if (ac == NULL || ac->err || redis_uv_attach(ac, rel_loop) != REDIS_OK)
	{
		if (ac)
			redisAsyncFree(ac);
		rel_schedule_retry();
		return;
	}
	rel_ac = ac;
	rel_connect_start = uv_now(rel_loop);
	redisAsyncSetConnectCallback(ac, rel_on_connect);
	redisAsyncSetDisconnectCallback(ac, rel_on_disconnect);
	redisAsyncCommand(ac, rel_on_message, NULL, "PSUBSCRIBE " PRES_RELAY_PREFIX "tenant:*");
}

/* Every second: a subscription without confirmation after PRES_RELAY_HANG_MS is retried */
static void
rel_watch(uv_timer_t *t)
{
	(void) t;
	if (rel_ac && !rel_subscribed && uv_now(rel_loop) - rel_connect_start > PRES_RELAY_HANG_MS)
		rel_drop("not subscribed after 3 s");
}

void
presence_relay_start(uv_loop_t *loop, const char *host, int port, const char *instance)
{
	rel_loop = loop;
	rel_host = host;
	rel_port = port;
	rel_instance = instance;
	uv_timer_init(loop, &rel_retry_timer);
	uv_timer_init(loop, &rel_watch_timer);
	uv_timer_start(&rel_watch_timer, rel_watch, 1000, 1000);
	rel_connect();
}

void
presence_relay_stop(void)
{
	if (rel_loop == NULL)
		return;
	rel_stopping = true;
	uv_timer_stop(&rel_retry_timer);
	uv_timer_stop(&rel_watch_timer);
	rel_drop("stopping");
}
