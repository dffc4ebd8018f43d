/*
 * recovery.c — connection state recovery through roomcast.recover (see
 * recovery.h).
 *
 * Why the pid is checked here and not only in the database: recover()
 * answers from rooms remembered for (tenant, pid, user), so a pid of
 * another user or one never issued could only yield the caller's own
 * tenant and user rooms, never another's events; but the client would be
 * told `recovered`, which it is not. The HMAC tag (auth_pid_make) lets any
 * notifier with the tenant's signing keys say no without a query.
 *
 * Shards (docs/scale-out-sharding.md): with several --db each shard has its
 * own event log, so an offset is "SHARD:POS" and recover() (through the
 * PL/Proxy proxy, --rpc-db) answers with the "shard" that answered. An
 * offset of another shard than the tenant's now (the tenant was moved) or
 * without a shard is not recoverable: a new session, never events of
 * another log's positions.
 */
#include "hub/recovery.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "codec/sio_codec.h"
#include "rc_json.h"
#include "rc_room.h"
#include "hub/db.h"
#include "hub/room_map.h"

#define RECOV_MAX_OFFSET (DB_SHARD_ID_MAX + 1 + 20)	/* [SHARD:] and the digits of an int64 */

static size_t recov_max_bytes = 1u << 20;
static auth_user *recov_list;	/* sockets whose recover call is in flight */

void
recov_init(const notifier_opts *opts)
{
	recov_max_bytes = opts->max_buffered ? opts->max_buffered : (1u << 20);
}

bool
recov_begin(auth_user *u, const char *auth, size_t auth_len)
{
	rc_json_tok toks[64];
	char		off[RECOV_MAX_OFFSET + 1];
	const char *digits = off;
	int			pv,
				ov;
	long		n;
	int64_t		offset = 0;
	char		shard[DB_SHARD_ID_MAX + 1] = "";
	auth_aside *x;

	if (auth == NULL || auth_len == 0 ||
		rc_json_parse(auth, auth_len, toks, 64, 0) < 1 || toks[0].type != RC_JSON_OBJECT ||
		(pv = rc_json_object_get(auth, toks, 0, "pid")) < 0)
		return false;
	if (toks[pv].type != RC_JSON_STRING || toks[pv].size ||
		!auth_pid_check(u, auth + toks[pv].start, toks[pv].end - toks[pv].start))
	{
		log_warn("CONNECT of user %s: pid not issued to this user; a new session", u->user);
		return false;
	}
	/* socket.io-client sends the last offset it saw; none yet: nothing to recover from */
	if ((ov = rc_json_object_get(auth, toks, 0, "offset")) < 0 || toks[ov].type != RC_JSON_STRING ||
		(n = rc_json_string(auth, &toks[ov], off, sizeof(off))) < 1)
		return false;
	if (db_multi())
	{
		/* "SHARD:POS": an offset without a shard is of no log we can name */
		const char *colon = memchr(off, ':', (size_t) n);

		if (colon == NULL || !db_shard_id_valid(off, (size_t) (colon - off)))
			return false;
		memcpy(shard, off, (size_t) (colon - off));
		shard[colon - off] = '\0';
		digits = colon + 1;
	}
	/* counted against n, not strlen: a \u0000 in the JSON string must not end the number early */
	if (digits == off + n || strspn(digits, "0123456789") != (size_t) (off + n - digits) ||
		(offset = strtoll(digits, NULL, 10)) <= 0)
		return false;
	if ((x = auth_aside_get(u)) == NULL)
		return false;			/* out of memory: a new session */
	memcpy(u->pid, auth + toks[pv].start, AUTH_PID_LEN);
	u->pid[AUTH_PID_LEN] = '\0';
	memcpy(x->offset_shard, shard, sizeof(shard));
	x->offset = offset;
	u->recovering = true;
	x->rec_next = recov_list;
	recov_list = u;
	return true;
}

/* Take u off the recovering list */
static void
recov_unlist(auth_user *u)
{
	if (!u->recovering)
		return;
	for (auth_user **pp = &recov_list; *pp; pp = &(*pp)->aside->rec_next)
		if (*pp == u)
		{
			*pp = u->aside->rec_next;
			break;
		}
	u->recovering = false;
	u->aside->rec_next = NULL;	/* the aside stays until auth_aside_done: recov_result reads it */
}

bool
recov_pending(void)
{
	return recov_list != NULL;
}

void
recov_forget(auth_user *u)
{
	recov_unlist(u);
	if (u->aside)
		held_clear(&u->aside->held);
}

void
recov_capture(const char *tenant, int nsp, const char *room, size_t room_len, int64_t pos,
			  const char *pkt, size_t len)
{
	for (auth_user *u = recov_list; u; u = u->aside->rec_next)
		if (u->sock->nsp == nsp && memcmp(u->tenant, tenant, 36) == 0)
			(void) held_push(&u->aside->held, pos, (uint16_t) nsp, room, room_len, pkt, len, recov_max_bytes);
}

bool
recov_gate(auth_user *u, int64_t pos, const char *room, size_t room_len, int nsp,
		   const char *pkt, size_t len)
{
	if (pos <= u->skip_upto)
		return false;			/* sent by the recovery already */
	if (u->life == AUTH_LIFE_EXPIRED && u->aside)	/* lifecycle.c allocated it (or closed the socket) */
	{
		(void) held_push(&u->aside->held, pos, (uint16_t) nsp, room, room_len, pkt, len, recov_max_bytes);
		return false;
	}
	return true;
}

/* True when u is in room[0..len) */
static bool
recov_in_room(const auth_user *u, const char *room_nm, size_t len)
{
	for (room_member *m = u->rooms; m; m = m->snext)
	{
		const char *n = room_name(m->room);

		if (strlen(n) == len && memcmp(n, room_nm, len) == 0)
			return true;
	}
	return false;
}

bool
recov_flush(sio_socket *sock)
{
	auth_user  *u = sock->user;
	held_event *e;
	bool		alive = true;

	while (u->aside && (e = held_pop(&u->aside->held)) != NULL)
	{
		if (alive && e->pos > u->skip_upto && e->nsp == sock->nsp && recov_in_room(u, e->data, e->room_len))
		{
			/* a failed send closes the client later (net.h), never under us */
			alive = sio_send_packet(sock, e->data + e->room_len, e->len) == 0;
			u->skip_upto = e->pos;
		}
		free(e);
	}
	u->gate = u->skip_upto > 0 || u->life == AUTH_LIFE_EXPIRED;
	return alive;
}

/* Join the rooms of the recover answer (array token at toks[a]) that are kind rooms of u's tenant */
static void
recov_join_rooms(sio_socket *sock, const char *js, const rc_json_tok *toks, int a)
{
	auth_user  *u = sock->user;
	char		nm[RC_ROOM_MAX_LEN + 1];
	rc_room		r;
	long		n;

	for (int i = a + 1, k = 0; k < (int) toks[a].size; k++, i = (int) toks[i].next)
	{
		if (toks[i].type != RC_JSON_STRING || (n = rc_json_string(js, &toks[i], nm, sizeof(nm))) < 1)
			continue;
		/* the database names the tenant and user rooms too: joined already */
		if (!rc_room_parse(nm, (size_t) n, &r) || r.type != RC_ROOM_KIND ||
			memcmp(r.tenant, u->tenant, RC_UUID_TEXT_LEN) != 0)
			continue;
		if (room_join(&u->rooms, sock, nm, (size_t) n) < 0)
			log_error("out of memory rejoining room %s", nm);
	}
}

/*
 * Send the missed events (array token at toks[a], each {p, r, n, e, d}) of
 * sock's namespace. Returns how many, or -1 when sock is closing.
 */
static long
recov_send_missed(sio_socket *sock, const char *js, const rc_json_tok *toks, int a)
{
	auth_user  *u = sock->user;
	const char *nsp = sio_nsp_name(sock);
	buf			args = BUF_INIT,
				pkt = BUF_INIT;
	long		sent = 0;

	for (int i = a + 1, k = 0; k < (int) toks[a].size; k++, i = (int) toks[i].next)
	{
		int			p = rc_json_object_get(js, toks, i, "p"),
					n = rc_json_object_get(js, toks, i, "n"),
					e = rc_json_object_get(js, toks, i, "e"),
					d = rc_json_object_get(js, toks, i, "d");
		int64_t		pos;

		if (toks[i].type != RC_JSON_OBJECT || p < 0 || n < 0 || e < 0 || d < 0 ||
			!rc_json_int64(js, &toks[p], &pos) || toks[e].type != RC_JSON_STRING || toks[e].size ||
			!rc_json_string_eq(js, &toks[n], nsp))
			continue;
		if (pos <= u->skip_upto)
			continue;
		buf_reset(&args);
		buf_reset(&pkt);
		buf_printf(&args, "[\"%.*s\",%.*s,\"%s%s%lld\"]", (int) (toks[e].end - toks[e].start), js + toks[e].start,
				   (int) (toks[d].end - toks[d].start), js + toks[d].start,
				   u->aside->offset_shard, u->aside->offset_shard[0] ? ":" : "", (long long) pos);
		if (args.p == NULL || sio_encode(&pkt, SIO_EVENT, nsp, strlen(nsp), -1, 0, args.p, args.len) < 0)
		{
			sent = -1;
			break;
		}
		u->skip_upto = pos;
		sent++;
		if (sio_send_packet(sock, pkt.p, pkt.len) < 0)
		{
			sent = -1;
			break;
		}
	}
	buf_free(&args);
	buf_free(&pkt);
	return sent;
}

void
recov_result(sio_socket *sock, const char *json, size_t len)
{
	auth_user  *u = sock->user;
	uint64_t	ref = u->ref;
	size_t		ntoks = len / 2 + 2;
	rc_json_tok *toks = malloc(ntoks * sizeof(*toks));
	int			rv = -1,
				ra = -1,
				ea = -1,
				sv = -1;
	bool		recovered;
	long		missed = 0;

	if (toks && rc_json_parse(json, len, toks, ntoks, 0) >= 1 && toks[0].type == RC_JSON_OBJECT)
	{
		rv = rc_json_object_get(json, toks, 0, "recovered");
		ra = rc_json_object_get(json, toks, 0, "rooms");
		ea = rc_json_object_get(json, toks, 0, "events");
		sv = rc_json_object_get(json, toks, 0, "shard");
	}
	recovered = rv >= 0 && toks[rv].type == RC_JSON_TRUE && ra >= 0 && toks[ra].type == RC_JSON_ARRAY &&
		ea >= 0 && toks[ea].type == RC_JSON_ARRAY;
	/* several shards: the answer must come from the shard whose pos the offset is */
	if (recovered && db_multi() &&
		(sv < 0 || toks[sv].type != RC_JSON_STRING || !rc_json_string_eq(json, &toks[sv], u->aside->offset_shard)))
	{
		log_info("CONNECT of user %s: offset of shard %s, the tenant is on another shard now", u->user,
				 u->aside->offset_shard);
		recovered = false;
	}
	recov_unlist(u);
	if (!recovered)
	{
		/* too old, too many missed, or an answer we cannot read: a new session with a new pid */
		log_info("CONNECT of user %s: offset %s%s%lld not recoverable; a new session", u->user,
				 u->aside->offset_shard, u->aside->offset_shard[0] ? ":" : "", (long long) u->aside->offset);
		auth_aside_done(u);
		u->pid[0] = '\0';
		auth_connect_confirmed(sock);
		free(toks);
		return;
	}
	auth_connect_confirmed(sock);	/* the tenant and user rooms, {sid, pid}, "connected" */
	if (auth_socket_by_ref(ref) != sock)
		goto done;
	recov_join_rooms(sock, json, toks, ra);
	u->skip_upto = u->aside->offset;
	if ((missed = recov_send_missed(sock, json, toks, ea)) >= 0 && recov_flush(sock) && auth_held_over(u))
	{
		/* live events came faster than --max-buffered holds: recover again from what it has */
		log_warn("socket of user %s: held events over --max-buffered during recovery; closed to recover again",
				 u->user);
		sio_close_client(sock, "recovery hold over --max-buffered");
		goto done;
	}
	auth_aside_done(u);
	u->gate = true;				/* live events at or below skip_upto were sent */
	log_info("CONNECT of user %s recovered pid %s: %ld missed events", u->user, u->pid, missed);
done:
	free(toks);
}

bool
recov_args_with_pid(const auth_user *u, const char *arg, size_t len, buf *out)
{
	size_t		end = len;
	bool		empty = true;

	while (end > 0 && (arg[end - 1] == ' ' || arg[end - 1] == '\n' || arg[end - 1] == '\t' || arg[end - 1] == '\r'))
		end--;
	if (len == 0 || arg[0] != '{' || end < 2 || arg[end - 1] != '}')
		return false;
	for (size_t i = 1; i < end - 1; i++)
		if (arg[i] != ' ' && arg[i] != '\n' && arg[i] != '\t' && arg[i] != '\r')
			empty = false;
	buf_append(out, arg, end - 1);
	buf_printf(out, "%s\"pid\":\"%s\"}", empty ? "" : ",", u->pid);
	return out->p != NULL;
}
