/*
 * test_http_codec.c — HTTP request head parsing and query strings.
 */
#include <string.h>

#include "codec/http_codec.h"
#include "tap.h"

int
main(void)
{
	http_request req;
	const char *get = "GET /socket.io/?EIO=4&transport=polling&sid=abc&t=x HTTP/1.1\r\n"
		"Host: localhost:3000\r\nOrigin: http://a.test\r\nConnection: keep-alive, Upgrade\r\n\r\n";
	const char *post = "POST /x HTTP/1.1\r\nContent-Length: 6\r\n\r\n4hello";
	http_str	v;
	int			n;

	n = http_parse_request(get, strlen(get), &req);
	ok(n == (int) strlen(get), "GET head parses to its full length");
	ok(http_str_eq(req.method, "GET") && http_str_eq(req.path, "/socket.io/") && req.minor == 1, "method, path, version");
	ok(http_query_get(req.query, "EIO", &v) && http_str_eq(v, "4"), "query EIO");
	ok(http_query_get(req.query, "sid", &v) && http_str_eq(v, "abc"), "query sid");
	ok(!http_query_get(req.query, "transports", &v), "absent query parameter");
	ok(http_header_get(&req, "origin") && http_str_eq(*http_header_get(&req, "ORIGIN"), "http://a.test"), "header lookup ignores case");
	ok(http_header_has_token(&req, "connection", "upgrade"), "token in a header list");
	ok(req.content_length == -1, "no content length");
	for (size_t cut = 0; cut < strlen(get); cut += 7)
		if (http_parse_request(get, cut, &req) != HTTP_NEED_MORE)
			ok(0, "partial head of %zu bytes needs more", cut);
	ok(1, "every partial GET head needs more");

	n = http_parse_request(post, strlen(post), &req);
	ok(n == (int) strlen(post) - 6 && req.content_length == 6, "POST head and content length");
	ok(http_parse_request("GET / HTTP/2.0\r\n\r\n", 18, &req) == HTTP_ERR_BAD, "HTTP/2.0 request line rejected");
	ok(http_parse_request("GET /\r\n\r\n", 9, &req) == HTTP_ERR_BAD, "missing version rejected");
	ok(http_parse_request("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 33, &req) == HTTP_ERR_BAD, "space in header name rejected");
	ok(http_parse_request("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 40, &req) == HTTP_ERR_BAD, "negative content length rejected");
	ok(http_parse_request("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 57, &req) == HTTP_ERR_BAD,
	   "duplicate content length rejected");
	{
		static char big[HTTP_MAX_HEAD + 100];

		memset(big, 'a', sizeof(big));
		ok(http_parse_request(big, sizeof(big), &req) == HTTP_ERR_TOO_LARGE, "endless head is too large");
	}
	ok(http_query_get((http_str) {"a&b=", 4}, "b", &v) && v.len == 0, "empty query value");
	ok(http_query_get((http_str) {"a&b=", 4}, "a", &v) && v.len == 0, "query key without '='");
	return tap_done();
}
