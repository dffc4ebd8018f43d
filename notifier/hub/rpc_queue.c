/*
 * rpc_queue.c — per-tenant FIFOs served round-robin (see rpc_queue.h).
 *
 * A tenant exists here only while it has requests waiting: it sits in a
 * hash table (found by id at push) and in a ring (served at pop). rpcq_pop
 * takes the head of the tenant at the ring's cursor and moves the cursor
 * on, so with T tenants waiting each is served once every T pops whatever
 * the length of the others' queues. A tenant whose queue empties is freed.
 */
#include "hub/rpc_queue.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RPCQ_BUCKETS 1024		/* power of two; chains hold only tenants with requests waiting */
#define RPCQ_TENANT_MIN 16

struct rpcq_tenant
{
	rpcq_tenant *hnext;			/* hash chain */
	rpcq_tenant *rnext,			/* the ring of tenants with requests waiting */
			   *rprev;
	rpcq_req   *head,
			   *tail;
	uint32_t	count;
	size_t		bytes;
	char		id[RPCQ_TENANT_KEY + 1];
};

static rpcq_tenant *rpcq_buckets[RPCQ_BUCKETS];
static rpcq_tenant *rpcq_cursor;	/* the tenant served next; NULL: nothing waits */
static size_t rpcq_total,
			rpcq_total_bytes;
static uint32_t rpcq_max_total = 10000,
			rpcq_max_tenant = 1000;

void
rpcq_init(uint32_t total)
{
	rpcq_max_total = total;
	rpcq_max_tenant = total / 10 > RPCQ_TENANT_MIN ? total / 10 : RPCQ_TENANT_MIN;
}

/* FNV-1a of a tenant key */
static uint32_t
rpcq_hash(const char *id)
{
	uint32_t	h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t) *id) * 16777619u;
	return h & (RPCQ_BUCKETS - 1);
}

/* The tenant with requests waiting named id, or NULL */
static rpcq_tenant *
rpcq_find(const char *id)
{
	for (rpcq_tenant *t = rpcq_buckets[rpcq_hash(id)]; t; t = t->hnext)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

rpcq_req *
rpcq_new(rpcq_kind kind, uint64_t sock_ref, int64_t ack, const char *method,
		 const char *args, size_t args_len, const char *token)
{
	size_t		mlen = strlen(method),
				tlen = strlen(token);
	size_t		size = sizeof(rpcq_req) + mlen + 1 + args_len + 1 + tlen + 1;
	rpcq_req   *r = malloc(size);

	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->sock_ref = sock_ref;
	r->ack = ack;
	r->size = size;
	r->method = (char *) (r + 1);
	memcpy(r->method, method, mlen + 1);
	r->args = r->method + mlen + 1;
	memcpy(r->args, args, args_len);
	r->args[args_len] = '\0';
	r->token = r->args + args_len + 1;
	memcpy(r->token, token, tlen + 1);
	return r;
}

rpcq_status
rpcq_push(rpcq_req *r, const char *tenant)
{
	rpcq_tenant *t = rpcq_find(tenant);
	uint32_t	count = t ? t->count : 0;
	size_t		bytes = t ? t->bytes : 0;

	if (count >= rpcq_max_tenant || bytes + r->size > RPCQ_TENANT_BYTES)
		return RPCQ_TENANT_FULL;
	if ((rpcq_total >= rpcq_max_total || rpcq_total_bytes + r->size > RPCQ_TOTAL_BYTES) &&
		count >= RPCQ_RESERVE)
		return RPCQ_FULL;
	if (t == NULL)
	{
		uint32_t	h = rpcq_hash(tenant);

		if ((t = calloc(1, sizeof(*t))) == NULL)
			return RPCQ_NOMEM;
		snprintf(t->id, sizeof(t->id), "%s", tenant);
		t->hnext = rpcq_buckets[h];
		rpcq_buckets[h] = t;
		/* join the ring just before the cursor: served after everyone waiting now */
		if (rpcq_cursor == NULL)
		{
			t->rnext = t->rprev = t;
			rpcq_cursor = t;
		}
		else
		{
			t->rnext = rpcq_cursor;
			t->rprev = rpcq_cursor->rprev;
			t->rprev->rnext = t;
			rpcq_cursor->rprev = t;
		}
	}
	r->next = NULL;
	r->tenant = t;
	if (t->tail)
		t->tail->next = r;
	else
		t->head = r;
	t->tail = r;
	t->count++;
	t->bytes += r->size;
	rpcq_total++;
	rpcq_total_bytes += r->size;
	return RPCQ_OK;
}

/* Unlink an empty tenant from the ring and the hash, and free it */
static void
rpcq_drop_tenant(rpcq_tenant *t)
{
	rpcq_tenant **pp = &rpcq_buckets[rpcq_hash(t->id)];

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	if (t->rnext == t)
		rpcq_cursor = NULL;
	else
	{
		t->rprev->rnext = t->rnext;
		t->rnext->rprev = t->rprev;
		if (rpcq_cursor == t)
			rpcq_cursor = t->rnext;
	}
	free(t);
}

rpcq_req *
rpcq_pop(void)
{
	rpcq_tenant *t = rpcq_cursor;
	rpcq_req   *r;

	if (t == NULL)
		return NULL;
	r = t->head;
	t->head = r->next;
	if (t->head == NULL)
		t->tail = NULL;
	t->count--;
	t->bytes -= r->size;
	rpcq_total--;
	rpcq_total_bytes -= r->size;
	r->next = NULL;
	r->tenant = NULL;
	rpcq_cursor = t->rnext;		/* the next tenant's turn */
	if (t->count == 0)
		rpcq_drop_tenant(t);
	return r;
}

size_t
rpcq_depth(void)
{
	return rpcq_total;
}

uint32_t
rpcq_tenant_depth(const char *tenant)
{
	rpcq_tenant *t = rpcq_find(tenant);

	return t ? t->count : 0;
}
