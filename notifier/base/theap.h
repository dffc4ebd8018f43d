/*
 * theap.h — a binary min-heap of deadlines, so that one libuv timer can
 * serve every session's heartbeat and timeouts (a uv_timer_t per session
 * costs 152 bytes; a node here 12, plus one 8-byte slot in the array).
 * The node is embedded in the owner's struct; the heap only reorders
 * pointers to nodes. No I/O, no clock: callers pass loop times.
 */
#ifndef RC_NOTIFIER_THEAP_H
#define RC_NOTIFIER_THEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THEAP_NONE UINT32_MAX

typedef struct theap_node
{
	uint64_t	due;			/* the deadline (loop ms) */
	uint32_t	idx;			/* position in the heap, THEAP_NONE when not in it */
} theap_node;

typedef struct theap
{
	theap_node **v;
	uint32_t	len;
	uint32_t	cap;
} theap;

#define THEAP_NODE_INIT {0, THEAP_NONE}

/*
 * Make room for n nodes in all, so that theap_set never allocates for them:
 * reserve when an owner is created and theap_set cannot fail. 0 or -1
 * (out of memory; the heap is unchanged).
 */
int			theap_reserve(theap *h, size_t n);

/* Insert node with deadline due, or move it there if it is in the heap already */
void		theap_set(theap *h, theap_node *node, uint64_t due);

/* Take node out (no-op when it is not in the heap) */
void		theap_remove(theap *h, theap_node *node);

/* The earliest node, or NULL when empty */
static inline theap_node *
theap_min(const theap *h)
{
	return h->len ? h->v[0] : NULL;
}

static inline bool
theap_contains(const theap_node *node)
{
	return node->idx != THEAP_NONE;
}

/* Free the array (the nodes belong to their owners) */
void		theap_free(theap *h);

#endif
