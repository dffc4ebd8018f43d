/*
 * held.h — events held back from one socket, in arrival (commit) order:
 * while its roomcast.recover call is in flight (recovery.c) and while its
 * token has expired and it waits for auth:refresh (lifecycle.c). Each entry
 * keeps the encoded packet, its position, room and namespace, so it can be
 * sent later without the database, or dropped by pos or room. Bounded by
 * the caller's byte limit (--max-buffered). No I/O.
 */
#ifndef RC_NOTIFIER_HELD_H
#define RC_NOTIFIER_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct held_event
{
	struct held_event *next;
	int64_t		pos;			/* roomcast.events.pos */
	uint16_t	nsp;			/* namespace index (sio_nsp_index) */
	uint16_t	room_len;
	size_t		len;			/* packet bytes, after the room name in data */
	char		data[];			/* room name, then the encoded packet */
} held_event;

typedef struct held_queue
{
	held_event *head,
			   *tail;
	size_t		bytes;			/* packet and room bytes held */
	bool		over;			/* a push went past the bound: something was dropped */
} held_queue;

/*
 * Append a copy of one event. Returns 0, or -1 when it would take q past
 * max_bytes (or out of memory): nothing is appended and q->over is set, so
 * the owner knows the queue is no longer complete.
 */
int			held_push(held_queue *q, int64_t pos, uint16_t nsp, const char *room, size_t room_len,
					  const char *pkt, size_t len, size_t max_bytes);

/* Take the oldest entry (the caller frees it), or NULL */
held_event *held_pop(held_queue *q);

/* Free everything and reset q */
void		held_clear(held_queue *q);

#endif
