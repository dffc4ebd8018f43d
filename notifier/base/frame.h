/*
 * frame.h — a reference-counted, immutable block of bytes that many send
 * queues share: fan-out encodes an event once into one frame, and every
 * recipient's queue holds a reference instead of a copy (ARCHITECTURE.md,
 * data path 1). No I/O.
 *
 * A frame built for the transport is a whole WebSocket message: the
 * WebSocket header, then the Engine.IO packet ("4" + the Socket.IO packet).
 * eio_off says where the Engine.IO packet starts, so long-polling recipients
 * use the same bytes without the header.
 *
 * Single-threaded by design (one libuv loop): the count is a plain integer.
 */
#ifndef RC_NOTIFIER_FRAME_H
#define RC_NOTIFIER_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct frame
{
	uint32_t	refs;			/* holders; freed when it drops to 0 */
	uint32_t	len;			/* bytes in data */
	uint32_t	cost;			/* what the block costs the process (buf_alloc_cost) */
	uint32_t	eio_off;		/* the Engine.IO packet is data[eio_off..len) */
	char		data[];
} frame;

/*
 * A frame of len bytes (uninitialised, for the caller to fill before sharing
 * it) with one reference, or NULL when out of memory or len > UINT32_MAX.
 */
frame	   *frame_new(size_t len);

/* Take one more reference; returns f */
frame	   *frame_ref(frame *f);

/* Drop one reference; the last one frees f. NULL is ignored. */
void		frame_unref(frame *f);

/* Frames alive in the process (for tests and leak checks) */
size_t		frame_live(void);

#endif
