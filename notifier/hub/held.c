/*
 * held.c — a per-socket FIFO of held events (see held.h).
 */
#include "hub/held.h"

#include <stdlib.h>
#include <string.h>

int
held_push(held_queue *q, int64_t pos, uint16_t nsp, const char *room, size_t room_len,
		  const char *pkt, size_t len, size_t max_bytes)
{
	held_event *e;

	if (q->over || room_len > UINT16_MAX || q->bytes + room_len + len > max_bytes ||
		(e = malloc(sizeof(*e) + room_len + len)) == NULL)
	{
		q->over = true;
		return -1;
	}
	e->next = NULL;
	e->pos = pos;
	e->nsp = nsp;
	e->room_len = (uint16_t) room_len;
	e->len = len;
	memcpy(e->data, room, room_len);
	memcpy(e->data + room_len, pkt, len);
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->bytes += room_len + len;
	return 0;
}

held_event *
held_pop(held_queue *q)
{
	held_event *e = q->head;

	if (e == NULL)
		return NULL;
	q->head = e->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= e->room_len + e->len;
	return e;
}

void
held_clear(held_queue *q)
{
	held_event *e;

	while ((e = held_pop(q)) != NULL)
		free(e);
	q->bytes = 0;
	q->over = false;
}
