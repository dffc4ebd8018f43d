/*
 * fuzz_http_pipeline.c — libFuzzer target for notifier/http_codec.c fed the
 * way the transport feeds it: pipelined requests in one byte stream that
 * arrives in pieces.
 *
 * Input: byte 0 holds the number of piece lengths that follow (low 4 bits)
 * and the body limit (bits 4-5: 0, 16, 1000 or 1000000 bytes, the
 * --max-payload default); then one byte per piece length (1..256); the rest
 * is the byte stream, its last piece being whatever is left.
 *
 * The stream is parsed twice with a copy of net.c's stepping rules
 * (http_step/conn_feed: parse a head, wait for Content-Length bytes of body,
 * stop after an error, a chunked body, a body over the limit or a request
 * that does not keep the connection alive): once whole, once piece by
 * piece, each time in an exact-size heap buffer of the unconsumed tail plus
 * the new piece (as read_cb joins them), so ASan sees any read past what has
 * arrived. Properties checked:
 *  - both parses produce the same requests and errors at the same offsets:
 *    how the bytes are split never changes what is parsed;
 *  - what is kept waiting stays under HTTP_MAX_HEAD + the body limit, the
 *    bound conn_feed relies on;
 *  - every accepted head points only inside its own head_len bytes, has a
 *    token method, a target without controls or spaces that splits into
 *    path and query, at most HTTP_MAX_HEADERS headers, and a Content-Length
 *    that is -1 or what the digits say; http_header_get and
 *    http_query_get agree with a plain scan;
 *  - the same head alone in an exact-size buffer parses to the same length,
 *    and one byte less is HTTP_NEED_MORE (a partial head is never an error).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/http_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 64

/* What one step of the transport did, at which offset of the stream */
typedef struct hp_event
{
	size_t		off;
	int			rc;				/* head length, or HTTP_ERR_*, or one of below */
	size_t		consumed;
	size_t		method_len,
				path_len,
				query_len;
	int			nheaders;
	bool		keep_alive;
} hp_event;

#define HP_CHUNKED	(-10)		/* 411 */
#define HP_TOO_BIG	(-11)		/* 413 */

typedef struct hp_run
{
	hp_event	ev[MAX_EVENTS];
	int			nev;
	bool		stopped;		/* the connection would close: ignore the rest */
	size_t		base;			/* stream offset of the buffer being parsed */
} hp_run;

static size_t hp_max_payload;

static bool
hp_inside(const char *p, size_t n, http_str s)
{
	return s.p != NULL ? (s.p >= p && s.p + s.len <= p + n) : s.len == 0;
}

static bool
hp_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Abort unless the accepted head *req of p[0..rc) is consistent */
static void
hp_check_request(const char *p, int rc, const http_request *req)
{
	size_t		n = (size_t) rc;
	http_str	v;
	char	   *copy;

	if (n != req->head_len || n > HTTP_MAX_HEAD || n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0)
		abort();
	if (memmem(p, n - 2, "\r\n\r\n", 4) != NULL)
		abort();				/* the head ends at the first blank line */
	if (!hp_inside(p, n, req->method) || !hp_inside(p, n, req->target) ||
		!hp_inside(p, n, req->path) || !hp_inside(p, n, req->query))
		abort();
	if (req->method.len == 0 || req->method.p != p || (req->minor != 0 && req->minor != 1))
		abort();
	for (size_t i = 0; i < req->method.len; i++)
		if (!hp_tchar(req->method.p[i]))
			abort();
	for (size_t i = 0; i < req->target.len; i++)
		if ((unsigned char) req->target.p[i] <= 0x20 || req->target.p[i] == 0x7f)
			abort();
	if (req->path.p != req->target.p ||
		(req->query.p == NULL ? req->path.len != req->target.len
		 : req->path.len + 1 + req->query.len != req->target.len ||
		 req->query.p != req->path.p + req->path.len + 1 ||
		 memchr(req->path.p, '?', req->path.len) != NULL))
		abort();
	if (req->nheaders < 0 || req->nheaders > HTTP_MAX_HEADERS)
		abort();
	for (int i = 0; i < req->nheaders; i++)
	{
		const http_header *h = &req->headers[i];

		if (!hp_inside(p, n, h->name) || !hp_inside(p, n, h->value) || h->name.len == 0)
			abort();
		for (size_t k = 0; k < h->name.len; k++)
			if (!hp_tchar(h->name.p[k]))
				abort();
		if (memchr(h->value.p, '\r', h->value.len) || memchr(h->value.p, '\n', h->value.len))
			abort();
		/* lookup by this header's own name finds the first header of that name */
		copy = strndup(h->name.p, h->name.len);
		for (int k = 0; k <= i; k++)
			if (http_str_ieq(req->headers[k].name, copy))
			{
				if (http_header_get(req, copy) != &req->headers[k].value)
					abort();
				break;
			}
		if (strcasecmp(copy, "content-length") == 0)
		{
			int64_t		cl = 0;

			for (size_t k = 0; k < h->value.len; k++)
				cl = cl * 10 + (h->value.p[k] - '0');
			if (req->content_length != cl)
				abort();
		}
		free(copy);
	}
	if (req->content_length < -1 || req->content_length > 999999999999999LL)
		abort();
	if (req->content_length >= 0 && http_header_get(req, "content-length") == NULL)
		abort();
	if (req->chunked != (http_header_get(req, "transfer-encoding") != NULL))
		abort();
	if (http_query_get(req->query, "sid", &v) && !hp_inside(req->query.p, req->query.len, v))
		abort();
	if (http_query_get(req->query, "EIO", &v) && !hp_inside(req->query.p, req->query.len, v))
		abort();
	http_header_has_token(req, "connection", "upgrade");
	http_header_has_token(req, "upgrade", "websocket");
}

/* Parse the head alone, exact size; one byte less must be incomplete */
static void
hp_check_alone(const char *p, int rc)
{
	char	   *copy = malloc((size_t) rc);
	http_request req;

	memcpy(copy, p, (size_t) rc);
	if (http_parse_request(copy, (size_t) rc, &req) != rc)
		abort();
	if (http_parse_request(copy, (size_t) rc - 1, &req) != HTTP_NEED_MORE)
		abort();
	free(copy);
}

static void
hp_record(hp_run *r, size_t off, int rc, size_t consumed, const http_request *req, bool keep)
{
	hp_event   *e;

	if (r->nev == MAX_EVENTS)
		return;
	e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	e->off = r->base + off;
	e->rc = rc;
	e->consumed = consumed;
	e->keep_alive = keep;
	if (req)
	{
		e->method_len = req->method.len;
		e->path_len = req->path.len;
		e->query_len = req->query.len;
		e->nheaders = req->nheaders;
	}
}

/*
 * One transport step on p[0..n) (net.c http_step): returns the bytes
 * consumed, 0 if more must arrive first. Sets r->stopped when the connection
 * would be closed after the response.
 */
static size_t
hp_step(hp_run *r, const char *p, size_t n, size_t off)
{
	http_request req;
	int			rc = http_parse_request(p, n, &req);
	size_t		body;
	bool		keep;

	if (rc == HTTP_NEED_MORE)
		return 0;
	if (rc < 0)
	{
		if (rc != HTTP_ERR_BAD && rc != HTTP_ERR_TOO_LARGE)
			abort();
		hp_record(r, off, rc, 0, NULL, false);
		r->stopped = true;
		return n;
	}
	if ((size_t) rc > n)
		abort();
	hp_check_request(p, rc, &req);
	hp_check_alone(p, rc);
	keep = req.minor == 1 ? !http_header_has_token(&req, "connection", "close")
		: (http_header_get(&req, "connection") && http_header_has_token(&req, "connection", "keep-alive"));
	if (req.chunked)
	{
		hp_record(r, off, HP_CHUNKED, 0, &req, false);
		r->stopped = true;
		return n;
	}
	body = req.content_length > 0 ? (size_t) req.content_length : 0;
	if (body > hp_max_payload)
	{
		hp_record(r, off, HP_TOO_BIG, 0, &req, false);
		r->stopped = true;
		return n;
	}
	if (n - (size_t) rc < body)
		return 0;
	hp_record(r, off, rc, (size_t) rc + body, &req, keep);
	if (!keep)
		r->stopped = true;
	return (size_t) rc + body;
}

/* net.c conn_process: steps until nothing more is complete; returns consumed */
static size_t
hp_process(hp_run *r, const char *p, size_t n)
{
	size_t		off = 0;

	while (off < n && !r->stopped)
	{
		size_t		k = hp_step(r, p + off, n - off, off);

		if (k == 0)
			break;
		off += k;
	}
	return off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[4] = {0, 16, 1000, 1000000};
	static hp_run whole,
				pieces;
	size_t		npieces,
				len,
				pos,
				tail_len = 0;
	const uint8_t *lens;
	const char *stream;
	char	   *buf,
			   *tail = NULL;

	if (size < 1)
		return 0;
	npieces = data[0] & 0x0f;
	hp_max_payload = limits[(data[0] >> 4) & 3];
	if (size < 1 + npieces)
		return 0;
	lens = data + 1;
	stream = (const char *) data + 1 + npieces;
	len = size - 1 - npieces;

	memset(&whole, 0, sizeof(whole));
	memset(&pieces, 0, sizeof(pieces));

	buf = malloc(len ? len : 1);
	memcpy(buf, stream, len);
	hp_process(&whole, buf, len);
	free(buf);

	/* piece by piece: tail + piece in one exact-size buffer, as read_cb joins them */
	pos = 0;
	for (size_t i = 0; i <= npieces && pos < len && !pieces.stopped; i++)
	{
		size_t		plen = i < npieces ? (size_t) lens[i] + 1 : len - pos;
		size_t		total,
					used,
					rest;

		if (plen > len - pos)
			plen = len - pos;
		total = tail_len + plen;
		buf = malloc(total);
		if (tail_len)
			memcpy(buf, tail, tail_len);
		memcpy(buf + tail_len, stream + pos, plen);
		pos += plen;
		free(tail);
		tail = NULL;
		used = hp_process(&pieces, buf, total);
		rest = total - used;
		if (!pieces.stopped && rest > HTTP_MAX_HEAD + hp_max_payload)
			abort();			/* conn_feed's "cannot happen" */
		if (!pieces.stopped && rest)
		{
			tail = malloc(rest);
			memcpy(tail, buf + used, rest);
		}
		tail_len = pieces.stopped ? 0 : rest;
		pieces.base += used;
		free(buf);
	}
	free(tail);

	if (whole.nev != pieces.nev || memcmp(whole.ev, pieces.ev, sizeof(hp_event) * (size_t) whole.nev) != 0)
		abort();				/* the split changed what was parsed */
	return 0;
}
