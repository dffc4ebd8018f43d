/*
 * deliver.c — log rows to sockets (see deliver.h).
 *
 * The packet is `2[/nsp,]["event",data,"pos"]`, encoded once per event into
 * one shared frame (the whole WebSocket message; long polling uses its
 * Engine.IO part), and each member's queue takes a reference to it: per
 * recipient there is only the membership walk and one writev, no copy and
 * no allocation unless the kernel does not take the bytes at once.
 */
#include "hub/deliver.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "hub/auth.h"
#include "hub/recovery.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "rc_json.h"
#include "rc_room.h"
#include "rc_uuid.h"
#include "hub/room_map.h"
#include "codec/sio_codec.h"
#include "session/sio_sess.h"

#define DELIVER_MAX_CONTROL 8000	/* control messages are at most 7,900 bytes (control.c) */

/* Tokens for the largest message: a token takes at least two bytes but one */
static rc_json_tok deliver_toks[DELIVER_MAX_CONTROL / 2 + 2];

/* The STRING value of key in the top-level object, or false */
static bool
get_string(const char *js, int key_tok, const char **s, size_t *len)
{
	if (key_tok < 0 || deliver_toks[key_tok].type != RC_JSON_STRING || deliver_toks[key_tok].size)
		return false;			/* our names never need escapes (protocol.md) */
	*s = js + deliver_toks[key_tok].start;
	*len = deliver_toks[key_tok].end - deliver_toks[key_tok].start;
	return true;
}

/* A UUID string value of key, normalized into out */
static bool
get_uuid(const char *js, const char *key, char out[37])
{
	const char *s;
	size_t		len;

	return get_string(js, rc_json_object_get(js, deliver_toks, 0, key), &s, &len) &&
		rc_uuid_normalize(s, len, out);
}

deliver_kind
deliver_control_parse(const char *msg, size_t len, char kick_tenant[37], char kick_user[37])
{
	int			v;

	if (len > DELIVER_MAX_CONTROL ||
		rc_json_parse(msg, len, deliver_toks, sizeof(deliver_toks) / sizeof(deliver_toks[0]), 0) < 1 ||
		deliver_toks[0].type != RC_JSON_OBJECT ||
		(v = rc_json_object_get(msg, deliver_toks, 0, "c")) < 0)
	{
		log_warn("control log: ignored an entry that is not {\"c\":kind,...} (%zu bytes)", len);
		return DELIVER_IGNORE;
	}
	if (rc_json_string_eq(msg, &deliver_toks[v], "keys"))
		return DELIVER_KEYS;
	if (rc_json_string_eq(msg, &deliver_toks[v], "kick"))
	{
		if (get_uuid(msg, "tenant", kick_tenant) && get_uuid(msg, "user", kick_user))
			return DELIVER_KICK;
		log_warn("control log: kick without a tenant and user UUID ignored");
	}
	else if (rc_json_string_eq(msg, &deliver_toks[v], "kick_tenant"))
	{
		if (get_uuid(msg, "tenant", kick_tenant))
			return DELIVER_KICK_TENANT;
		log_warn("control log: kick_tenant without a tenant UUID ignored");
	}
	return DELIVER_IGNORE;		/* kinds, methods: nothing cached here yet */
}

size_t
deliver_event_send(const deliver_event *ev)
{
	room	   *r = room_find(ev->room, ev->room_len);
	int			nsp = sio_nsp_index(ev->nsp, ev->nsp_len);
	buf			args = BUF_INIT;
	buf			pkt = BUF_INIT;
	frame	   *f;
	size_t		sent = 0;

	metrics_g.db_events++;
	if ((r == NULL && !recov_pending()) || nsp < 0 || ev->data == NULL || ev->tenant == NULL)
		return 0;
	/* a room name always names its tenant (common/rc_room.h) */
	if (!rc_room_of_tenant(ev->room, ev->room_len, ev->tenant))
	{
		log_warn("event %lld: room %.*s is not a room of tenant %.36s; dropped",
				 (long long) ev->pos, (int) ev->room_len, ev->room, ev->tenant);
		return 0;
	}
	buf_append_str(&args, "[\"");
	buf_append(&args, ev->event, ev->event_len);
	buf_append_str(&args, "\",");
	buf_append(&args, ev->data, ev->data_len);
	/* the offset: "POS", or "SHARD:POS" with several --db (recovery.c) */
	buf_printf(&args, ",\"%s%s%lld\"]", ev->shard ? ev->shard : "", ev->shard ? ":" : "", (long long) ev->pos);
	if (args.p == NULL || sio_encode(&pkt, SIO_EVENT, ev->nsp, ev->nsp_len, -1, 0, args.p, args.len) < 0)
	{
		log_error("event %lld: out of memory encoding it; not delivered", (long long) ev->pos);
		buf_free(&args);
		buf_free(&pkt);
		return 0;
	}
	/* sockets whose recovery is in flight are in no room yet: they hold it (recovery.h) */
	recov_capture(ev->tenant, nsp, ev->room, ev->room_len, ev->pos, pkt.p, pkt.len);
	f = sio_packet_frame(pkt.p, pkt.len);
	if (f == NULL)
	{
		log_error("event %lld: out of memory framing it; not delivered", (long long) ev->pos);
		buf_free(&args);
		buf_free(&pkt);
		return 0;
	}
	for (room_member *m = room_first(r); m; m = m->next)
	{
		auth_user  *u = m->sock->user;

		if (m->sock->nsp != nsp || m->sock->state != SIO_S_CONNECTED || u == NULL ||
			memcmp(u->tenant, ev->tenant, 36) != 0)
			continue;
		/* recovered (sent already) or token expired (held, copied): recovery.h */
		if (u->gate && !recov_gate(u, ev->pos, ev->room, ev->room_len, nsp, pkt.p, pkt.len))
			continue;
		if (sio_send_frame(m->sock, f) == 0)
			sent++;
	}
	frame_unref(f);
	buf_free(&args);
	buf_free(&pkt);
	metrics_g.deliveries += sent;
	if (ev->ts > 0 && sent > 0)
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		metrics_observe_latency((int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000 - ev->ts);
	}
	return sent;
}

/* Disconnect every socket in room name; returns how many */
static size_t
deliver_kick_room(const char *name)
{
	room	   *r = room_find(name, strlen(name));
	size_t		n,
				i = 0;
	sio_socket **socks;

	if ((n = room_size(r)) == 0)
		return 0;
	/* collect first: each disconnect frees that socket's memberships */
	socks = malloc(n * sizeof(*socks));
	if (socks == NULL)
		return 0;
	for (room_member *m = room_first(r); m && i < n; m = m->next)
		socks[i++] = m->sock;
	for (size_t k = 0; k < i; k++)
		sio_disconnect(socks[k]);
	free(socks);
	return i;
}

size_t
deliver_kick(const char *tenant, const char *user)
{
	char		name[RC_ROOM_MAX_LEN + 1];
	size_t		n;

	if (rc_room_user(name, sizeof(name), tenant, user) < 0)
		return 0;				/* deliver_control_parse gives normalized UUIDs: never */
	n = deliver_kick_room(name);
	log_info("kicked %zu sockets of user %s in tenant %s", n, user, tenant);
	return n;
}

size_t
deliver_kick_tenant(const char *tenant)
{
	char		name[RC_ROOM_MAX_LEN + 1];
	size_t		n;

	if (rc_room_tenant(name, sizeof(name), tenant) < 0)
		return 0;
	n = deliver_kick_room(name);
	log_info("kicked %zu sockets of tenant %s", n, tenant);
	return n;
}
