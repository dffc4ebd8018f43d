/*
 * http_codec.c — HTTP/1.1 request head parser (see http_codec.h). No I/O.
 */
#include "codec/http_codec.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 token character */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Strip optional whitespace (SP, HTAB) at both ends */
static http_str
trim(const char *p, size_t len)
{
	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return (http_str)
	{
		p, len
	};
}

int
http_parse_request(const char *p, size_t n, http_request *req)
{
	const char *end = NULL;
	const char *line;
	const char *eol;
	const char *sp1;
	const char *sp2;

	/* find the blank line that ends the head */
	for (size_t i = 3; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
		{
			end = p + i + 1;
			break;
		}
	if (end == NULL)
		return n > HTTP_MAX_HEAD ? HTTP_ERR_TOO_LARGE : HTTP_NEED_MORE;
	if ((size_t) (end - p) > HTTP_MAX_HEAD)
		return HTTP_ERR_TOO_LARGE;

	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	req->head_len = (size_t) (end - p);

	/* request line: METHOD SP target SP HTTP/1.x CRLF */
	eol = memchr(p, '\r', (size_t) (end - p));
	sp1 = memchr(p, ' ', (size_t) (eol - p));
	if (sp1 == NULL || sp1 == p)
		return HTTP_ERR_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t) (eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return HTTP_ERR_BAD;
	for (const char *c = p; c < sp1; c++)
		if (!is_tchar(*c))
			return HTTP_ERR_BAD;
	req->method = (http_str) {p, (size_t) (sp1 - p)};
	req->target = (http_str) {sp1 + 1, (size_t) (sp2 - sp1 - 1)};
	if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
		(sp2[8] != '0' && sp2[8] != '1'))
		return HTTP_ERR_BAD;
	req->minor = sp2[8] - '0';
	for (size_t i = 0; i < req->target.len; i++)
		if ((unsigned char) req->target.p[i] <= 0x20 || req->target.p[i] == 0x7f)
			return HTTP_ERR_BAD;
	{
		const char *q = memchr(req->target.p, '?', req->target.len);

		req->path.p = req->target.p;
		req->path.len = q ? (size_t) (q - req->target.p) : req->target.len;
		if (q)
			req->query = (http_str) {q + 1, req->target.len - req->path.len - 1};
	}

	/* header lines */
	line = eol + 2;
	while (line < end - 2)
	{
		const char *colon;
		http_header *h;

		eol = memchr(line, '\r', (size_t) (end - line));
		if (eol == NULL || eol[1] != '\n')
			return HTTP_ERR_BAD;
		colon = memchr(line, ':', (size_t) (eol - line));
		if (colon == NULL || colon == line)
			return HTTP_ERR_BAD;
		for (const char *c = line; c < colon; c++)
			if (!is_tchar(*c))
				return HTTP_ERR_BAD;
		for (const char *c = colon + 1; c < eol; c++)
			if (*c == '\0' || *c == '\n')
				return HTTP_ERR_BAD;
		if (req->nheaders == HTTP_MAX_HEADERS)
			return HTTP_ERR_TOO_LARGE;
		h = &req->headers[req->nheaders++];
		h->name = (http_str) {line, (size_t) (colon - line)};
		h->value = trim(colon + 1, (size_t) (eol - colon - 1));
		if (http_str_ieq(h->name, "content-length"))
		{
			int64_t		v = 0;

			if (h->value.len == 0 || h->value.len > 15 || req->content_length >= 0)
				return HTTP_ERR_BAD;
			for (size_t i = 0; i < h->value.len; i++)
			{
				if (h->value.p[i] < '0' || h->value.p[i] > '9')
					return HTTP_ERR_BAD;
				v = v * 10 + (h->value.p[i] - '0');
			}
			req->content_length = v;
		}
		else if (http_str_ieq(h->name, "transfer-encoding"))
			req->chunked = true;
		line = eol + 2;
	}
	return (int) req->head_len;
}

const http_str *
http_header_get(const http_request *req, const char *name)
{
	for (int i = 0; i < req->nheaders; i++)
		if (http_str_ieq(req->headers[i].name, name))
			return &req->headers[i].value;
	return NULL;
}

bool
http_header_has_token(const http_request *req, const char *name, const char *token)
{
	size_t		tlen = strlen(token);

	for (int i = 0; i < req->nheaders; i++)
	{
		const char *p;
		const char *e;

		if (!http_str_ieq(req->headers[i].name, name))
			continue;
		p = req->headers[i].value.p;
		e = p + req->headers[i].value.len;
		while (p < e)
		{
			const char *comma = memchr(p, ',', (size_t) (e - p));
			http_str	item = trim(p, (size_t) ((comma ? comma : e) - p));

			if (item.len == tlen && strncasecmp(item.p, token, tlen) == 0)
				return true;
			p = comma ? comma + 1 : e;
		}
	}
	return false;
}

bool
http_query_get(http_str query, const char *name, http_str *value)
{
	size_t		nlen = strlen(name);
	const char *p = query.p;
	const char *e = query.p ? query.p + query.len : NULL;	/* no query: p is NULL, and NULL + 0 is UB */

	while (p && p < e)
	{
		const char *amp = memchr(p, '&', (size_t) (e - p));
		const char *end = amp ? amp : e;
		const char *eq = memchr(p, '=', (size_t) (end - p));
		size_t		klen = (size_t) ((eq ? eq : end) - p);

		if (klen == nlen && memcmp(p, name, nlen) == 0)
		{
			value->p = eq ? eq + 1 : end;
			value->len = (size_t) (end - value->p);
			return true;
		}
		p = amp ? amp + 1 : NULL;
	}
	return false;
}

bool
http_str_eq(http_str s, const char *lit)
{
	return strlen(lit) == s.len && memcmp(s.p, lit, s.len) == 0;
}

bool
http_str_ieq(http_str s, const char *lit)
{
	return strlen(lit) == s.len && strncasecmp(s.p, lit, s.len) == 0;
}

const char *
http_reason(int status)
{
	switch (status)
	{
		case 101:
			return "Switching Protocols";
		case 200:
			return "OK";
		case 204:
			return "No Content";
		case 400:
			return "Bad Request";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 411:
			return "Length Required";
		case 413:
			return "Payload Too Large";
		case 431:
			return "Request Header Fields Too Large";
		case 500:
			return "Internal Server Error";
		case 503:
			return "Service Unavailable";
	}
	return "Unknown";
}
