/*
 * eio_table.c — the Engine.IO session table, deadlines and reaper (see
 * eio_table.h).
 *
 * Deadlines: every session has at most one (heartbeat, pong, connect
 * timeout, lingering close, slow-consumer close; eio_sess.c picks the
 * earliest); they are nodes of one min-heap, and one uv_timer is armed for
 * the earliest. A pass serves at most the sessions due when it began, each
 * taken out of the heap first (one-shot, as a timer per session was), so a
 * session rescheduled for "now" waits for the next pass and the loop is
 * never held.
 */
#include "session/eio_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/frame.h"
#include "base/theap.h"

static uv_loop_t *tbl_loop;
static void (*tbl_due) (eio_session *s);
static eio_session **sid_table;	/* hash of sid → session (chained) */
static size_t sid_buckets;
static size_t sid_count;
static theap tbl_heap;			/* every session's next deadline */
static uv_timer_t tbl_timer;	/* armed for the earliest of tbl_heap */
static uint64_t tbl_armed = UINT64_MAX; /* when tbl_timer fires; UINT64_MAX: stopped */
static bool tbl_in_pass;		/* timers_cb is serving due sessions */
static uv_idle_t tbl_reaper;	/* frees removed sessions at the top of the loop */
static eio_session *tbl_graveyard;	/* removed sessions waiting for the reaper (via hnext) */

static void timers_cb(uv_timer_t *t);

/*---- sid hash ----*/

/* Bucket of a sid in a table of nbuckets (a power of two) */
static size_t
sid_hash(const char *sid, size_t len, size_t nbuckets)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t) sid[i]) * 1099511628211ULL;
	return (size_t) (h & (nbuckets - 1));
}

/* Double the table (rehashing every session); on failure keep the old one */
static void
sid_table_grow(void)
{
	size_t		nb = sid_buckets ? sid_buckets * 2 : 1024;
	eio_session **nt = calloc(nb, sizeof(*nt));

	if (nt == NULL)
		return;					/* longer chains, still correct */
	for (size_t i = 0; i < sid_buckets; i++)
		while (sid_table[i])
		{
			eio_session *s = sid_table[i];
			size_t		h = sid_hash(s->sid, EIO_SID_LEN, nb);

			sid_table[i] = s->hnext;
			s->hnext = nt[h];
			nt[h] = s;
		}
	free(sid_table);
	sid_table = nt;
	sid_buckets = nb;
}

eio_session *
eio_table_find(const char *sid, size_t len)
{
	if (len != EIO_SID_LEN)
		return NULL;
	for (eio_session *s = sid_table[sid_hash(sid, len, sid_buckets)]; s; s = s->hnext)
		if (memcmp(s->sid, sid, EIO_SID_LEN) == 0)
			return s;
	return NULL;
}

size_t
eio_table_count(void)
{
	return sid_count;
}

/* A random Engine.IO session id, 20 base64url characters (120 bits) */
static void
random_sid(char out[EIO_SID_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t		raw[EIO_SID_LEN];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw))
		abort();
	for (int i = 0; i < EIO_SID_LEN; i++)
		out[i] = alphabet[raw[i] & 63];
	out[EIO_SID_LEN] = '\0';
}

int
eio_table_add(eio_session *s)
{
	size_t		h;

	if (theap_reserve(&tbl_heap, sid_count + 1) < 0)
		return -1;
	s->tnode = (theap_node) THEAP_NODE_INIT;
	do
		random_sid(s->sid);
	while (eio_table_find(s->sid, EIO_SID_LEN));
	if (sid_count + 1 > sid_buckets)
		sid_table_grow();
	h = sid_hash(s->sid, EIO_SID_LEN, sid_buckets);
	s->hnext = sid_table[h];
	sid_table[h] = s;
	sid_count++;
	return 0;
}

void
eio_table_drain(void (*fn) (eio_session *s))
{
	for (size_t i = 0; i < sid_buckets; i++)
		while (sid_table[i])
			fn(sid_table[i]);
}

/*---- deadlines ----*/

/* Arm the timer for the earliest deadline (not while timers_cb serves them) */
static void
timer_arm(void)
{
	theap_node *n = theap_min(&tbl_heap);
	uint64_t	now;

	if (tbl_in_pass)
		return;
	if (n == NULL)
	{
		if (tbl_armed != UINT64_MAX)
			uv_timer_stop(&tbl_timer);
		tbl_armed = UINT64_MAX;
		return;
	}
	if (n->due == tbl_armed)
		return;
	now = uv_now(tbl_loop);
	uv_timer_start(&tbl_timer, timers_cb, n->due > now ? n->due - now : 0, 0);
	tbl_armed = n->due;
}

void
eio_table_timer(eio_session *s, uint64_t due)
{
	if (s->destroyed)
		return;
	theap_set(&tbl_heap, &s->tnode, due);
	timer_arm();
}

/* Serve the sessions whose deadline has come (see the top of this file) */
static void
timers_cb(uv_timer_t *t)
{
	uint64_t	now = uv_now(tbl_loop);
	uint32_t	budget = tbl_heap.len;
	theap_node *n;

	(void) t;
	tbl_in_pass = true;
	tbl_armed = UINT64_MAX;
	while (budget-- > 0 && (n = theap_min(&tbl_heap)) != NULL && n->due <= now)
	{
		eio_session *s = (eio_session *) ((char *) n - offsetof(eio_session, tnode));

		theap_remove(&tbl_heap, n);
		tbl_due(s);
	}
	tbl_in_pass = false;
	timer_arm();
}

/*---- removal and the reaper ----*/

/* The memory of a removed session and what it still holds */
static void
session_free(eio_session *s)
{
	while (s->out_head)
	{
		eio_out    *o = s->out_head;

		s->out_head = o->next;
		frame_unref(o->f);
		free(o);
	}
	free(s->hs_token);
	free(s);
}

/* The reaper: free the sessions removed since it last ran */
static void
reaper_cb(uv_idle_t *h)
{
	eio_session *s = tbl_graveyard;

	tbl_graveyard = NULL;
	while (s)
	{
		eio_session *next = s->hnext;

		session_free(s);
		s = next;
	}
	if (tbl_graveyard == NULL)
		uv_idle_stop(h);
}

void
eio_table_remove(eio_session *s)
{
	if (s->destroyed)
		return;
	s->destroyed = true;
	for (eio_session **pp = &sid_table[sid_hash(s->sid, EIO_SID_LEN, sid_buckets)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s)
		{
			*pp = s->hnext;
			sid_count--;
			break;
		}
	theap_remove(&tbl_heap, &s->tnode);
	s->hnext = tbl_graveyard;
	tbl_graveyard = s;
	uv_idle_start(&tbl_reaper, reaper_cb);
}

void
eio_table_init(uv_loop_t *loop, void (*due) (eio_session *s))
{
	tbl_loop = loop;
	tbl_due = due;
	sid_table_grow();
	uv_timer_init(loop, &tbl_timer);
	uv_idle_init(loop, &tbl_reaper);
}
