/*
 * presence.c — presence entries, locally and in Redis (see presence.h).
 *
 * Redis keys (hiredis on the notifier's libuv loop, redis_uv.c):
 *   rc:presence:<room>   a sorted set per presence room, <room> the room's
 *                        name, which starts with tenant:<uuid>, so a tenant's
 *                        keys never name another's; the tenant's own room
 *                        tenant:<uuid> is the "everyone online" set.
 *   member               "<since ms>|<instance>:<ref>|<userId>|<email>", one
 *                        per connection (the email cut at 320 bytes);
 *   score                the entry's expiry, Unix ms (now + --presence-ttl).
 * Each write also sets the key's PEXPIRE to twice the TTL, so an abandoned
 * key disappears. A listing trims expired members (ZREMRANGEBYSCORE) and
 * reads at most PRESENCE_MAX_LIST live ones (ZRANGEBYSCORE … LIMIT): the
 * entries of an instance that died without removing them stop being listed
 * within the TTL. Every entry is written again every TTL/3 (the sweep), so
 * a live one never expires, and when Redis comes back (restarted empty).
 *
 * Joins and leaves of kind rooms are also PUBLISHed for the other instances
 * (presence_relay.c says the channel and who tells them).
 *
 * Commands: connect 2 (ZADD, PEXPIRE of the tenant set), join 3 (+ PUBLISH),
 * leave 2 (ZREM, PUBLISH), disconnect 1 + 2 per kind room + 1 per other room, sweep 2 × (1 + rooms) per socket
 * every TTL/3, listing 2; nothing per Engine.IO heartbeat.
 *
 * Faults: Redis down or refusing: listings answer from this instance, the
 * connection is retried after 1, 2, 4 … 30 s (each attempt given PRES_HANG_MS). Redis hung (no reply for
 * PRES_HANG_MS while commands wait): the connection is dropped (waiting
 * listings answer locally) and retried the same way, so a stalled Redis
 * never holds answers. At most PRES_MAX_PENDING commands wait; more are
 * skipped (the sweep writes the entries again), so it never holds memory.
 */
#include "hub/presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "rc_json.h"
#include "rc_room.h"
#include "hub/presence_relay.h"
#include "hub/redis_uv.h"
#include "hub/room_map.h"
#include "hub/rpc_reply.h"

#define PRES_KEY_PREFIX "rc:presence:"
#define PRES_EMAIL_MAX 320
#define PRES_MAX_PENDING 50000	/* commands waiting for Redis (~10 MB); more are skipped */
#define PRES_HANG_MS 3000		/* no reply this long while commands wait: Redis hung */
#define PRES_BACKOFF_MAX_MS 30000

unsigned long long presence_redis_commands;

static uv_loop_t *pres_loop;
static uint64_t pres_ttl_ms;
static char *pres_host;
static int	pres_port;
static redisAsyncContext *pres_ac;
static bool pres_up;			/* connected and usable */
static bool pres_stopping;
static uint32_t pres_pending;	/* commands sent, reply not yet seen */
static uint64_t pres_progress;	/* uv_now of the last reply (or first send after idle) */
static uint64_t pres_backoff_ms;
static uint64_t pres_connect_start;	/* uv_now of the connect attempt in progress */
static uv_timer_t pres_retry_timer,
			pres_watch_timer,
			pres_sweep_timer;
static char pres_instance[24];

/* Milliseconds since the Unix epoch */
static long long
pres_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Is room (a room name) a presence room: the tenant's or a kind room, not a user room */
static bool
pres_room_counts(const char *room)
{
	rc_room		r;

	return rc_room_parse(room, strlen(room), &r) && r.type != RC_ROOM_USER;
}

/* u's member string into b */
static void
pres_member(const auth_user *u, buf *b)
{
	size_t		elen = strlen(auth_email(u));

	buf_printf(b, "%lld|%s:%llu|%s|%.*s", u->since_ms, pres_instance, (unsigned long long) u->ref,
			   u->user, (int) (elen > PRES_EMAIL_MAX ? PRES_EMAIL_MAX : elen), auth_email(u));
}

/*---- the Redis connection ----*/

static void pres_connect(void);

/* Try again later: 1, 2, 4 … 30 s */
static void
pres_schedule_retry(void)
{
	if (pres_stopping || uv_is_active((uv_handle_t *) &pres_retry_timer))
		return;
	pres_backoff_ms = pres_backoff_ms ? pres_backoff_ms * 2 : 1000;
	if (pres_backoff_ms > PRES_BACKOFF_MAX_MS)
		pres_backoff_ms = PRES_BACKOFF_MAX_MS;
	uv_timer_start(&pres_retry_timer, (uv_timer_cb) pres_connect, pres_backoff_ms, 0);
}

/* Drop the connection (hung, overloaded, stopping): waiting callbacks get NULL replies */
static void
pres_drop(const char *why)
{
	redisAsyncContext *ac = pres_ac;

	if (ac == NULL)
		return;
	log_warn("redis %s:%d: %s; presence answers from this instance until it is back", pres_host, pres_port, why);
	pres_up = false;
	pres_ac = NULL;
	redisAsyncFree(ac);			/* waiting callbacks get NULL; the disconnect callback sees ac is not ours */
	pres_pending = 0;
	pres_schedule_retry();
}

/* Every reply (or NULL when the connection is dropped) passes here */
static void
pres_note_reply(void)
{
	if (pres_pending)
		pres_pending--;
	pres_progress = uv_now(pres_loop);
}

/* Callback of a command whose reply only counts */
static void
pres_count_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	(void) ac;
	(void) priv;
	if (reply && ((redisReply *) reply)->type == REDIS_REPLY_ERROR)
		log_warn("redis: %s", ((redisReply *) reply)->str);
	pres_note_reply();
}

/* May a command be sent now? Counts it when it may */
static bool
pres_can_send(void)
{
	if (!pres_up || pres_ac == NULL)
		return false;
	/* skipped, not queued: the sweep writes entries again, ZREMs expire with the TTL */
	if (pres_pending >= PRES_MAX_PENDING)
		return false;
	if (pres_pending == 0)
		pres_progress = uv_now(pres_loop);
	pres_pending++;
	presence_redis_commands++;
	return true;
}

/* ZADD the entry of u to room's set and refresh the set's expiry */
static void
pres_redis_add(const auth_user *u, const char *room)
{
	buf			m = BUF_INIT;
	long long	exp = pres_now_ms() + (long long) pres_ttl_ms;

	pres_member(u, &m);
	if (m.p && pres_can_send())
		redisAsyncCommand(pres_ac, pres_count_cb, NULL, "ZADD " PRES_KEY_PREFIX "%s %lld %b", room, exp, m.p, m.len);
	if (m.p && pres_can_send())
		redisAsyncCommand(pres_ac, pres_count_cb, NULL, "PEXPIRE " PRES_KEY_PREFIX "%s %llu", room,
						  (unsigned long long) (2 * pres_ttl_ms));
	buf_free(&m);
}

/* ZREM the entry of u from room's set */
static void
pres_redis_del(const auth_user *u, const char *room)
{
	buf			m = BUF_INIT;

	pres_member(u, &m);
	if (m.p && pres_can_send())
		redisAsyncCommand(pres_ac, pres_count_cb, NULL, "ZREM " PRES_KEY_PREFIX "%s %b", room, m.p, m.len);
	buf_free(&m);
}

/* PUBLISH u's join ('j') or leave ('l') of kind room room for the other instances */
static void
pres_publish(const auth_user *u, char ev, const char *room)
{
	buf			m = BUF_INIT;
	rc_room		r;

	if (!rc_room_parse(room, strlen(room), &r) || r.type != RC_ROOM_KIND)
		return;
	presence_relay_message(u, ev, pres_instance, &m);
	if (m.p && pres_can_send() &&
		redisAsyncCommand(pres_ac, pres_count_cb, NULL, "PUBLISH " PRES_RELAY_PREFIX "%s %b", room, m.p, m.len) == REDIS_OK)
		metrics_g.relay_published++;
	buf_free(&m);
}

/* auth_each_user callback: write a confirmed socket's entries again */
static void
pres_refresh_one(auth_user *u, void *arg)
{
	(void) arg;
	if (!u->pres_listed || !pres_up)
		return;
	for (room_member *m = u->rooms; m; m = m->snext)
		if (pres_room_counts(room_name(m->room)))
			pres_redis_add(u, room_name(m->room));
}

/*
 * Write every entry of every local socket again (the sweep; Redis back).
 * The sockets are walked through auth.c's table, not a list of their own:
 * two pointers less per socket.
 */
static void
pres_refresh_all(void)
{
	auth_each_user(pres_refresh_one, NULL);
}

static void
pres_sweep(uv_timer_t *t)
{
	(void) t;
	pres_refresh_all();
}

static void
pres_on_connect(const redisAsyncContext *ac, int status)
{
	if (ac != pres_ac)
		return;
	if (status != REDIS_OK)
	{
		log_warn("redis %s:%d: cannot connect: %s; retrying", pres_host, pres_port, ac->errstr);
		pres_ac = NULL;			/* hiredis frees it after this callback */
		pres_up = false;
		pres_schedule_retry();
		return;
	}
	log_info("redis %s:%d: connected; presence is shared", pres_host, pres_port);
	pres_up = true;
	pres_backoff_ms = 0;
	pres_pending = 0;
	pres_refresh_all();			/* restore this instance's entries (Redis may have restarted empty) */
}

static void
pres_on_disconnect(const redisAsyncContext *ac, int status)
{
	(void) status;
	if (ac != pres_ac)
		return;					/* dropped by pres_drop: already handled */
	log_warn("redis %s:%d: connection lost: %s; presence answers from this instance", pres_host, pres_port,
			 ac->errstr[0] ? ac->errstr : "closed");
	pres_ac = NULL;
	pres_up = false;
	pres_pending = 0;
	pres_schedule_retry();
}

/* Open the connection (at start and on every retry) */
static void
pres_connect(void)
{
	redisAsyncContext *ac;

	if (pres_stopping || pres_ac)
		return;
	ac = redisAsyncConnect(pres_host, pres_port);
	if (ac == NULL || ac->err)
	{
		log_warn("redis %s:%d: %s; retrying", pres_host, pres_port, ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		pres_schedule_retry();
		return;
	}
	if (redis_uv_attach(ac, pres_loop) != REDIS_OK)
	{
		redisAsyncFree(ac);
		pres_schedule_retry();
		return;
	}
	pres_ac = ac;
	pres_connect_start = uv_now(pres_loop);
	redisAsyncSetConnectCallback(ac, pres_on_connect);
	redisAsyncSetDisconnectCallback(ac, pres_on_disconnect);
	/* hiredis 0.14 learns the outcome of the connect at its first write */
	redisAsyncCommand(ac, pres_count_cb, NULL, "PING");
}

/*
 * Every second: a Redis that holds commands without answering is dropped,
 * and so is a connect attempt that has no outcome after PRES_HANG_MS (a
 * peer that never answers; a refused connect or a reset reports through
 * redis_uv.c as a lost connection).
 */
static void
pres_watch(uv_timer_t *t)
{
	uint64_t	now = uv_now(pres_loop);

	(void) t;
	if (pres_ac && !pres_up && now - pres_connect_start > PRES_HANG_MS)
		pres_drop("connect timed out or refused");
	else if (pres_ac && pres_pending && now - pres_progress > PRES_HANG_MS)
		pres_drop("no reply for 3 s");
}

/* Parse redis://host[:port][/db] (db ignored); false when it is not such a URL */
static bool
pres_parse_url(const char *url)
{
	const char *h = strncmp(url, "redis://", 8) == 0 ? url + 8 : NULL;
	size_t		hl;
	const char *colon;

	if (h == NULL || strchr(h, '@'))
		return false;			/* no passwords: they would sit in the process list */
	hl = strcspn(h, "/");
	colon = memchr(h, ':', hl);
	pres_port = colon ? atoi(colon + 1) : 6379;
	pres_host = strndup(h, colon ? (size_t) (colon - h) : hl);
	return pres_host && *pres_host && pres_port > 0 && pres_port < 65536;
}

void
presence_start(uv_loop_t *loop, const notifier_opts *opts)
{
	pres_loop = loop;
	/* at least 3 s: the sweep runs every TTL/3 */
	pres_ttl_ms = (uint64_t) (opts->presence_ttl < 3 ? 3 : opts->presence_ttl) * 1000;
	snprintf(pres_instance, sizeof(pres_instance), "%x%llx", (unsigned) getpid(),
			 (unsigned long long) (uv_hrtime() & 0xffffffffffULL));
	if (opts->redis == NULL)
		return;
	if (!pres_parse_url(opts->redis))
	{
		log_error("--redis %s: not a redis://host:port URL; presence is kept in memory", opts->redis);
		return;
	}
	uv_timer_init(loop, &pres_retry_timer);
	uv_timer_init(loop, &pres_watch_timer);
	uv_timer_init(loop, &pres_sweep_timer);
	uv_timer_start(&pres_watch_timer, pres_watch, 1000, 1000);
	uv_timer_start(&pres_sweep_timer, pres_sweep, pres_ttl_ms / 3, pres_ttl_ms / 3);
	presence_relay_start(loop, pres_host, pres_port, pres_instance);
	pres_connect();
}

void
presence_stop(void)
{
	if (pres_host == NULL)
		return;
	pres_stopping = true;
	uv_timer_stop(&pres_retry_timer);
	uv_timer_stop(&pres_watch_timer);
	uv_timer_stop(&pres_sweep_timer);
	presence_relay_stop();
	/* the entries of sockets still open expire within the TTL; disconnects ZREM as usual */
}

const char *
presence_redis_state(void)
{
	return pres_host == NULL ? "none" : pres_up ? "up" : "down";
}

/*---- entries ----*/

void
presence_connected(auth_user *u)
{
	char		room[RC_ROOM_MAX_LEN + 1];

	u->since_ms = pres_now_ms();
	u->pres_listed = true;
	if (rc_room_tenant(room, sizeof(room), u->tenant) > 0)
		pres_redis_add(u, room);
}

void
presence_joined(auth_user *u, const char *room)
{
	if (u->pres_listed && pres_room_counts(room))
	{
		pres_redis_add(u, room);
		pres_publish(u, 'j', room);
	}
}

void
presence_left(auth_user *u, const char *room)
{
	if (u->pres_listed && pres_room_counts(room))
	{
		pres_redis_del(u, room);
		pres_publish(u, 'l', room);
	}
}

void
presence_gone(auth_user *u)
{
	if (!u->pres_listed)
		return;
	u->pres_listed = false;
	for (room_member *m = u->rooms; m; m = m->snext)
	{
		const char *room = room_name(m->room);
		rc_room		r;

		if (!rc_room_parse(room, strlen(room), &r) || r.type == RC_ROOM_USER)
			continue;
		pres_redis_del(u, room);
		if (r.type == RC_ROOM_KIND)
		{
			pres_publish(u, 'l', room);
			rpc_reply_tell_room(u->sock, "user-left", room);
		}
	}
}

/*---- listing ----*/

typedef struct pres_entry
{
	const char *user;			/* 36 characters */
	const char *email;
	size_t		email_len;
	long long	since;
} pres_entry;

typedef struct pres_list_req
{
	presence_list_cb cb;
	void	   *arg;
	char		room[ROOM_MAX_NAME + 1];
} pres_list_req;

static int
pres_entry_cmp(const void *a, const void *b)
{
	const pres_entry *x = a,
			   *y = b;
	int			c = memcmp(x->user, y->user, 36);

	return c ? c : (x->since > y->since) - (x->since < y->since);
}

/* The JSON answer for n entries (sorted here), one object per user */
static void
pres_answer(pres_list_req *q, pres_entry *e, size_t n)
{
	buf			b = BUF_INIT;
	char	   *esc = malloc(6 * PRES_EMAIL_MAX + 1);

	qsort(e, n, sizeof(*e), pres_entry_cmp);
	buf_append_char(&b, '[');
	for (size_t i = 0, j; i < n && esc; i = j)
	{
		size_t		el = e[i].email_len > PRES_EMAIL_MAX ? PRES_EMAIL_MAX : e[i].email_len;

		for (j = i + 1; j < n && memcmp(e[j].user, e[i].user, 36) == 0; j++)
			;
		esc[rc_json_escape(e[i].email, el, esc)] = '\0';
		buf_printf(&b, "%s{\"userId\":\"%.36s\",\"email\":\"%s\",\"connections\":%zu,\"since\":%lld}",
				   i ? "," : "", e[i].user, esc, j - i, e[i].since);
	}
	buf_append_char(&b, ']');
	if (b.p && esc)
		q->cb(q->arg, b.p, b.len);
	else
		q->cb(q->arg, "[]", 2);
	buf_free(&b);
	free(esc);
	free(q);
}

/* Answer q from this instance's sockets in the room */
static void
pres_answer_local(pres_list_req *q)
{
	room	   *r = room_find(q->room, strlen(q->room));
	size_t		cap = room_size(r),
				n = 0;
	pres_entry *e;

	if (cap > PRESENCE_MAX_LIST)
		cap = PRESENCE_MAX_LIST;
	e = malloc((cap ? cap : 1) * sizeof(*e));
	for (room_member *m = room_first(r); e && m && n < cap; m = m->next)
	{
		auth_user  *u = m->sock->user;

		if (u == NULL || !u->pres_listed)
			continue;
		e[n++] = (pres_entry) {u->user, auth_email(u), strlen(auth_email(u)), u->since_ms};
	}
	pres_answer(q, e, e ? n : 0);
	free(e);
}

/* Parse one member string into e; false when malformed (not ours) */
static bool
pres_parse_member(const char *s, size_t len, pres_entry *e)
{
	const char *end = s + len,
			   *p1 = memchr(s, '|', len),
			   *p2 = p1 ? memchr(p1 + 1, '|', (size_t) (end - p1 - 1)) : NULL;

	if (p2 == NULL || end - p2 < 38 || p2[37] != '|')
		return false;
	e->since = strtoll(s, NULL, 10);
	e->user = p2 + 1;
	e->email = p2 + 38;
	e->email_len = (size_t) (end - e->email);
	return true;
}

static void
pres_list_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	pres_list_req *q = priv;
	pres_entry *e;
	size_t		n = 0;

	(void) ac;
	pres_note_reply();
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
	{
		pres_answer_local(q);
		return;
	}
	e = malloc((r->elements ? r->elements : 1) * sizeof(*e));
	for (size_t i = 0; e && i < r->elements && i < PRESENCE_MAX_LIST; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
			pres_parse_member(r->element[i]->str, r->element[i]->len, &e[n]))
			n++;
	if (e)
		pres_answer(q, e, n);
	else
		pres_answer_local(q);
	free(e);
}

void
presence_list(const char *room, presence_list_cb cb, void *arg)
{
	pres_list_req *q = malloc(sizeof(*q));
	long long	now = pres_now_ms();

	if (q == NULL)
	{
		cb(arg, "[]", 2);
		return;
	}
	q->cb = cb;
	q->arg = arg;
	snprintf(q->room, sizeof(q->room), "%s", room);
	if (!pres_can_send())
	{
		pres_answer_local(q);
		return;
	}
	redisAsyncCommand(pres_ac, pres_count_cb, NULL, "ZREMRANGEBYSCORE " PRES_KEY_PREFIX "%s -inf %lld", room, now);
	if (!pres_can_send())
	{
		pres_answer_local(q);
		return;
	}
	redisAsyncCommand(pres_ac, pres_list_reply, q, "ZRANGEBYSCORE " PRES_KEY_PREFIX "%s (%lld +inf LIMIT 0 %d",
					  room, now, PRESENCE_MAX_LIST);
}
