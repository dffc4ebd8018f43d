/*
 * conformance.h — conformance mode (--conformance): the behaviour of the
 * reference servers that the official Socket.IO and Engine.IO protocol test
 * suites expect (docs/notifier.md says how they are run). No authentication,
 * no database: namespaces / and /custom, every CONNECT accepted, the
 * handshake's auth payload emitted back as "auth", "message" echoed as
 * "message-back" and "message-with-ack" acknowledged with its arguments.
 * A hook table for sio_sess.c, as auth.c's auth_hooks.
 */
#ifndef RC_NOTIFIER_CONFORMANCE_H
#define RC_NOTIFIER_CONFORMANCE_H

#include <uv.h>

#include "session/sio_sess.h"

/* The namespaces of the reference server, for sio_init */
#define CONF_NAMESPACES "/,/custom"

extern const sio_hooks conf_hooks;

/* Before the first CONNECT: the loop of the "auth" timer */
void		conf_init(uv_loop_t *loop);

#endif
