/*
 * theap.c — binary min-heap of deadlines (see theap.h). O(log n) set and
 * remove; ties are served in no particular order.
 */
#include "base/theap.h"

#include <stdlib.h>

int
theap_reserve(theap *h, size_t n)
{
	size_t		cap;
	theap_node **v;

	if (n <= h->cap)
		return 0;
	if (n >= THEAP_NONE)
		return -1;
	cap = h->cap ? h->cap : 64;
	while (cap < n)
		cap *= 2;
	if (cap >= THEAP_NONE)
		cap = THEAP_NONE - 1;
	v = realloc(h->v, cap * sizeof(*v));
	if (v == NULL)
		return -1;
	h->v = v;
	h->cap = (uint32_t) cap;
	return 0;
}

static void
place(theap *h, theap_node *node, uint32_t i)
{
	h->v[i] = node;
	node->idx = i;
}

/* Move the node at i towards the root while it is earlier than its parent */
static void
sift_up(theap *h, uint32_t i)
{
	theap_node *node = h->v[i];

	while (i > 0)
	{
		uint32_t	parent = (i - 1) / 2;

		if (h->v[parent]->due <= node->due)
			break;
		place(h, h->v[parent], i);
		i = parent;
	}
	place(h, node, i);
}

/* Move the node at i towards the leaves while a child is earlier */
static void
sift_down(theap *h, uint32_t i)
{
	theap_node *node = h->v[i];

	for (;;)
	{
		uint32_t	child = 2 * i + 1;

		if (child >= h->len)
			break;
		if (child + 1 < h->len && h->v[child + 1]->due < h->v[child]->due)
			child++;
		if (node->due <= h->v[child]->due)
			break;
		place(h, h->v[child], i);
		i = child;
	}
	place(h, node, i);
}

void
theap_set(theap *h, theap_node *node, uint64_t due)
{
	if (node->idx != THEAP_NONE)
	{
		uint64_t	old = node->due;

		node->due = due;
		if (due < old)
			sift_up(h, node->idx);
		else
			sift_down(h, node->idx);
		return;
	}
	if (h->len == h->cap && theap_reserve(h, (size_t) h->len + 1) < 0)
		abort();				/* callers reserve (theap.h); this cannot happen then */
	node->due = due;
	h->v[h->len] = node;
	node->idx = h->len++;
	sift_up(h, node->idx);
}

void
theap_remove(theap *h, theap_node *node)
{
	uint32_t	i = node->idx;
	theap_node *last;

	if (i == THEAP_NONE)
		return;
	node->idx = THEAP_NONE;
	last = h->v[--h->len];
	if (i == h->len)
		return;
	place(h, last, i);
	if (i > 0 && h->v[(i - 1) / 2]->due > last->due)
		sift_up(h, i);
	else
		sift_down(h, i);
}

void
theap_free(theap *h)
{
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}
