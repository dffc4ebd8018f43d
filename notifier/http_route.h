/*
 * http_route.h — where an HTTP request enters: CORS / origin checks, the
 * Engine.IO endpoints, /healthz and /metrics.
 */
#ifndef RC_NOTIFIER_HTTP_ROUTE_H
#define RC_NOTIFIER_HTTP_ROUTE_H

#include "http_codec.h"
#include "net.h"
#include "opts.h"

void		http_route_init(const notifier_opts *opts);

/* Route one complete request on c; body (mutable) holds body_len bytes */
void		http_route(net_conn *c, const http_request *req, char *body, size_t body_len);

/* Extended response with extra header lines ("Name: value\r\n"...) */
void		net_http_respond_ex(net_conn *c, int status, const char *ctype, const char *extra,
								const char *body, size_t len);

#endif
