/*
 * http_codec.h — parse an HTTP/1.1 request head (request line, headers) and
 * its query string; no I/O, no allocation: everything points into the
 * caller's bytes. Enough HTTP for Engine.IO polling, WebSocket upgrades and
 * the small endpoints (/healthz, /metrics); not a general-purpose server.
 */
#ifndef RC_NOTIFIER_HTTP_CODEC_H
#define RC_NOTIFIER_HTTP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 40
#define HTTP_MAX_HEAD	 16384	/* larger heads get 431 */

typedef struct http_str
{
	const char *p;
	size_t		len;
} http_str;

typedef struct http_header
{
	http_str	name;
	http_str	value;
} http_header;

typedef struct http_request
{
	http_str	method;
	http_str	target;			/* as sent: path?query */
	http_str	path;
	http_str	query;			/* without '?', may be empty */
	int			minor;			/* HTTP/1.<minor> */
	int			nheaders;
	http_header headers[HTTP_MAX_HEADERS];
	size_t		head_len;		/* bytes of the head including the blank line */
	int64_t		content_length; /* -1 if absent */
	bool		chunked;		/* Transfer-Encoding: chunked (we refuse it) */
} http_request;

/* Parser results besides a head length */
#define HTTP_NEED_MORE		0
#define HTTP_ERR_BAD		(-1)	/* malformed: 400 */
#define HTTP_ERR_TOO_LARGE	(-2)	/* head over HTTP_MAX_HEAD or too many headers: 431 */

/*
 * Parse the request head at p[0..n). Returns the head length (> 0) with *req
 * filled, HTTP_NEED_MORE, or a negative HTTP_ERR_*.
 */
int			http_parse_request(const char *p, size_t n, http_request *req);

/* The value of header name (case-insensitive), or NULL */
const http_str *http_header_get(const http_request *req, const char *name);

/* True if the comma-separated header value list contains token (case-insensitive) */
bool		http_header_has_token(const http_request *req, const char *name, const char *token);

/*
 * Find query parameter name in query; returns true with *value (raw, not
 * percent-decoded) if present, even when empty.
 */
bool		http_query_get(http_str query, const char *name, http_str *value);

/* True if s equals the NUL-terminated literal (case-sensitive / -insensitive) */
bool		http_str_eq(http_str s, const char *lit);
bool		http_str_ieq(http_str s, const char *lit);

/* The reason phrase for a status code we send */
const char *http_reason(int status);

#endif
