/*
 * http_route.h — where an HTTP request enters: CORS / origin checks, the
 * Engine.IO endpoints, /healthz and /metrics.
 */
#ifndef RC_NOTIFIER_HTTP_ROUTE_H
#define RC_NOTIFIER_HTTP_ROUTE_H

#include "codec/http_codec.h"
#include "transport/net.h"
#include "base/opts.h"

void		http_route_init(const notifier_opts *opts);

/* Route one complete request on c; body (mutable) holds body_len bytes */
void		http_route(net_conn *c, const http_request *req, char *body, size_t body_len);

#endif
