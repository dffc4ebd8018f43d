/*
 * test_theap.c — unit tests of notifier/base/theap.c, the deadline heap that
 * serves every Engine.IO session's heartbeat from one timer: order of
 * extraction, moving a node earlier and later, removing from the middle,
 * removing a node twice, and a long random sequence checked against a
 * brute-force minimum.
 */
#include "base/theap.c"

#include <stdio.h>

#include "tap.h"

#define N 2000

static theap_node nodes[N];

/* The earliest due among the nodes in the heap, by brute force; UINT64_MAX if none */
static uint64_t
brute_min(void)
{
	uint64_t	m = UINT64_MAX;

	for (int i = 0; i < N; i++)
		if (theap_contains(&nodes[i]) && nodes[i].due < m)
			m = nodes[i].due;
	return m;
}

/* Every node's idx points back at it */
static bool
consistent(const theap *h)
{
	for (uint32_t i = 0; i < h->len; i++)
		if (h->v[i]->idx != i || (i > 0 && h->v[(i - 1) / 2]->due > h->v[i]->due))
			return false;
	return true;
}

int
main(void)
{
	theap		h = {0};
	theap_node	a = THEAP_NODE_INIT,
				b = THEAP_NODE_INIT,
				c = THEAP_NODE_INIT;
	uint64_t	last = 0;
	bool		sorted = true,
				agree = true;
	unsigned int seed = 12345;

	ok(theap_min(&h) == NULL, "empty heap: no minimum");
	ok(theap_reserve(&h, 3) == 0 && h.cap >= 3, "reserve");
	theap_set(&h, &a, 30);
	theap_set(&h, &b, 10);
	theap_set(&h, &c, 20);
	ok(theap_min(&h) == &b, "the earliest is the minimum");
	theap_set(&h, &a, 5);
	ok(theap_min(&h) == &a && h.len == 3, "moving a node earlier (no duplicate)");
	theap_set(&h, &a, 50);
	ok(theap_min(&h) == &b, "moving it later");
	theap_remove(&h, &c);
	ok(!theap_contains(&c) && h.len == 2 && consistent(&h), "remove from the middle");
	theap_remove(&h, &c);
	ok(h.len == 2, "removing twice is a no-op");
	theap_remove(&h, &b);
	theap_remove(&h, &a);
	ok(theap_min(&h) == NULL, "empty again");

	for (int i = 0; i < N; i++)
		nodes[i] = (theap_node) THEAP_NODE_INIT;
	ok(theap_reserve(&h, N) == 0, "reserve %d", N);
	for (int step = 0; step < 50000; step++)
	{
		int			k = rand_r(&seed) % N;
		int			op = rand_r(&seed) % 3;

		if (op < 2)
			theap_set(&h, &nodes[k], (uint64_t) (rand_r(&seed) % 100000));
		else
			theap_remove(&h, &nodes[k]);
		if (step % 97 == 0)
			agree = agree && consistent(&h) &&
				(theap_min(&h) ? theap_min(&h)->due : UINT64_MAX) == brute_min();
	}
	ok(agree, "50,000 random sets and removes: heap order, indexes and minimum stay right");
	while (theap_min(&h))
	{
		theap_node *n = theap_min(&h);

		sorted = sorted && n->due >= last;
		last = n->due;
		theap_remove(&h, n);
	}
	ok(sorted, "draining yields deadlines in order");
	theap_free(&h);
	return tap_done();
}
