/*
 * redis_uv.c — hiredis async contexts on libuv, reporting socket errors
 * (see redis_uv.h for why not hiredis' own adapter).
 *
 * Same shape as hiredis' adapter: one uv_poll_t per context, started with
 * the events hiredis asks for (addRead/delRead/addWrite/delWrite); hiredis'
 * cleanup closes it and the state is freed in the uv_close callback, since
 * libuv may still hold the handle until then. The context pointer is
 * cleared at cleanup: once hiredis has freed the context (on a disconnect
 * inside one of our calls, or redisAsyncFree by its owner), we never touch
 * it again.
 */
#include "hub/redis_uv.h"

#include <stdlib.h>

typedef struct redis_uv redis_uv;

struct redis_uv
{
	redisAsyncContext *ac;		/* NULL once hiredis cleaned up (freed or freeing it) */
	uv_poll_t	poll;
	int			events;			/* UV_READABLE | UV_WRITABLE hiredis asked for */
};

static void redis_uv_update(redis_uv *p);

/*
 * libuv: the socket is ready, or has an error (status < 0: libuv saw POLLERR
 * and has stopped the handle). On an error, let hiredis read: it reads what
 * came before the error (replies, a pub/sub message), then the error or EOF,
 * and disconnects the context, which runs its disconnect callback (or, while
 * connecting, its connect callback with the error). After a read that got
 * data the handle is started again, so the rest and the error come at the
 * next report: each report reads bytes or the pending error (a read clears
 * it, then EOF), so this ends in a disconnect. No write is tried on an
 * error: the read finds out first.
 */
static void
redis_uv_on_poll(uv_poll_t *h, int status, int events)
{
	redis_uv   *p = h->data;

	if (p->ac == NULL)
		return;
	if (status < 0)
	{
		redisAsyncHandleRead(p->ac);

		/*
		 * Still there (the read got data, or a connect in progress returned
		 * before reading): libuv stopped the handle, so start it again with
		 * what hiredis wants now, or nothing would report on this context.
		 */
		if (p->ac)
			redis_uv_update(p);
		return;
	}
	if (events & UV_READABLE)
		redisAsyncHandleRead(p->ac);
	if (p->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
}

/* Start (or restart with other events) or stop the handle per p->events */
static void
redis_uv_update(redis_uv *p)
{
	if (p->ac == NULL)
		return;					/* cleaned up: the handle is closing, never start or stop it again */
	if (p->events)
		uv_poll_start(&p->poll, p->events, redis_uv_on_poll);
	else
		uv_poll_stop(&p->poll);
}

static void
redis_uv_add_read(void *data)
{
	redis_uv   *p = data;

	p->events |= UV_READABLE;
	redis_uv_update(p);
}

static void
redis_uv_del_read(void *data)
{
	redis_uv   *p = data;

	p->events &= ~UV_READABLE;
	redis_uv_update(p);
}

static void
redis_uv_add_write(void *data)
{
	redis_uv   *p = data;

	p->events |= UV_WRITABLE;
	redis_uv_update(p);
}

static void
redis_uv_del_write(void *data)
{
	redis_uv   *p = data;

	p->events &= ~UV_WRITABLE;
	redis_uv_update(p);
}

static void
redis_uv_on_close(uv_handle_t *h)
{
	free(h->data);
}

/*
 * hiredis is freeing the context: forget it and close the handle. hiredis
 * 0.14 may call this more than once for one context (a disconnect, then the
 * free): the handle is closed once.
 */
static void
redis_uv_cleanup(void *data)
{
	redis_uv   *p = data;

	if (p->ac == NULL)
		return;
	p->ac = NULL;
	p->events = 0;
	uv_close((uv_handle_t *) &p->poll, redis_uv_on_close);
}

int
redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
	redis_uv   *p;

	if (ac->ev.data != NULL)
		return REDIS_ERR;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return REDIS_ERR;
	if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0)
	{
		free(p);				/* never a handle of the loop: no uv_close */
		return REDIS_ERR;
	}
	p->poll.data = p;
	p->ac = ac;
	ac->ev.addRead = redis_uv_add_read;
	ac->ev.delRead = redis_uv_del_read;
	ac->ev.addWrite = redis_uv_add_write;
	ac->ev.delWrite = redis_uv_del_write;
	ac->ev.cleanup = redis_uv_cleanup;
	ac->ev.data = p;
	return REDIS_OK;
}
