/*
 * redis_uv.h — hiredis async contexts on the notifier's libuv loop.
 *
 * Our own adapter instead of hiredis' <hiredis/adapters/libuv.h>: that one
 * (0.14.1) returns from its poll callback on any status < 0. libuv (1.44)
 * reports a socket error (epoll's POLLERR, e.g. Redis or a proxy resetting
 * the connection with data on the way) by stopping the poll handle for good
 * and calling back once with UV_EBADF, so with that adapter nobody watched
 * the socket again and nothing noticed the connection was gone: presence and
 * the relay stayed silently dead. This one lets hiredis read what came and
 * the error, so hiredis disconnects the context and its disconnect callback
 * (reconnect with back-off, local fallback) runs. Used by presence.c and
 * presence_relay.c.
 */
#ifndef RC_NOTIFIER_REDIS_UV_H
#define RC_NOTIFIER_REDIS_UV_H

#include <uv.h>
#include <hiredis/async.h>

/*
 * Attach ac (from redisAsyncConnect, not yet attached) to loop: hiredis then
 * asks for readability/writability through us. REDIS_OK, or REDIS_ERR (out of
 * memory, the fd refused by libuv, ac attached already): the caller still
 * owns ac and frees it. The adapter's state is freed by hiredis' cleanup
 * (redisAsyncFree, or a disconnect), through uv_close.
 */
int			redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
