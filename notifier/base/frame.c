/*
 * frame.c — reference-counted shared byte blocks (see frame.h). No I/O.
 */
#include "base/frame.h"

#include <stdlib.h>

#include "base/buf.h"

static size_t frames_alive;

frame *
frame_new(size_t len)
{
	frame	   *f;

	if (len > UINT32_MAX - sizeof(frame))
		return NULL;
	f = malloc(sizeof(*f) + len);
	if (f == NULL)
		return NULL;
	f->refs = 1;
	f->len = (uint32_t) len;
	f->cost = (uint32_t) buf_alloc_cost(f);
	f->eio_off = 0;
	frames_alive++;
	return f;
}

frame *
frame_ref(frame *f)
{
	f->refs++;
	return f;
}

void
frame_unref(frame *f)
{
	if (f == NULL)
		return;
	if (--f->refs == 0)
	{
		frames_alive--;
		free(f);
	}
}

size_t
frame_live(void)
{
	return frames_alive;
}
