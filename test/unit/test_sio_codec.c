/*
 * test_sio_codec.c — Socket.IO packet codec and its JSON validator on byte strings.
 */
#include <string.h>

#include "codec/sio_codec.h"
#include "codec/sio_json.h"
#include "tap.h"

static int
dec(const char *s, sio_packet *p)
{
	return sio_decode(s, strlen(s), p);
}

static int
nsp_is(const sio_packet *p, const char *want)
{
	return p->nsp_len == strlen(want) && memcmp(p->nsp, want, p->nsp_len) == 0;
}

static int
data_is(const sio_packet *p, const char *want)
{
	if (want == NULL)
		return p->data == NULL;
	return p->data && p->data_len == strlen(want) && memcmp(p->data, want, p->data_len) == 0;
}

static char *
encode(sio_type type, const char *nsp, int64_t id, uint32_t att, const char *data)
{
	static buf	b = BUF_INIT;

	buf_reset(&b);
	sio_encode(&b, type, nsp, strlen(nsp), id, att, data, data ? strlen(data) : 0);
	return buf_cstr(&b);
}

int
main(void)
{
	sio_packet	p;
	sjson_info	info;
	buf			b = BUF_INIT;

	/* every packet type */
	ok(dec("0", &p) == SIO_OK && p.type == SIO_CONNECT && nsp_is(&p, "/") && p.id == -1 && data_is(&p, NULL),
	   "CONNECT to main namespace");
	ok(dec("0/custom,{\"token\":\"abc\"}", &p) == SIO_OK && nsp_is(&p, "/custom") && data_is(&p, "{\"token\":\"abc\"}"),
	   "CONNECT with namespace and auth");
	ok(dec("0/random", &p) == SIO_OK && nsp_is(&p, "/random"), "CONNECT namespace without trailing comma");
	ok(dec("1", &p) == SIO_OK && p.type == SIO_DISCONNECT, "DISCONNECT");
	ok(dec("1/custom,", &p) == SIO_OK && p.type == SIO_DISCONNECT && nsp_is(&p, "/custom"), "DISCONNECT from namespace");
	ok(dec("2[\"message\",1,\"2\",{\"3\":[true]}]", &p) == SIO_OK && p.type == SIO_EVENT &&
	   p.name_len == 9 && memcmp(p.name, "\"message\"", 9) == 0 &&
	   p.rest_len == 20 && memcmp(p.rest, ",1,\"2\",{\"3\":[true]}]", 20) == 0, "EVENT name and rest");
	ok(dec("2456[\"message-with-ack\",1]", &p) == SIO_OK && p.id == 456, "EVENT with ack id");
	ok(dec("2/admin,7[\"x\"]", &p) == SIO_OK && p.id == 7 && nsp_is(&p, "/admin") && p.rest_len == 1, "EVENT with namespace and ack id");
	ok(dec("2[42]", &p) == SIO_OK, "EVENT with numeric name");
	ok(dec("3456[1,\"2\"]", &p) == SIO_OK && p.type == SIO_ACK && p.id == 456, "ACK");
	ok(dec("4{\"message\":\"nope\"}", &p) == SIO_OK && p.type == SIO_CONNECT_ERROR, "CONNECT_ERROR");
	ok(dec("52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", &p) == SIO_OK &&
	   p.type == SIO_BINARY_EVENT && p.attachments == 2, "BINARY_EVENT with 2 placeholders");
	ok(dec("52-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0}]", &p) == SIO_OK && p.id == 789 && p.attachments == 2,
	   "BINARY_EVENT with ack id");
	ok(dec("61-/admin,3[{\"_placeholder\":true,\"num\":0}]", &p) == SIO_OK && p.type == SIO_BINARY_ACK &&
	   p.attachments == 1 && nsp_is(&p, "/admin") && p.id == 3, "BINARY_ACK with namespace");

	/* malformed */
	is_int(dec("", &p), SIO_ERR_TYPE, "empty packet");
	is_int(dec("abc", &p), SIO_ERR_TYPE, "unknown packet type 'a'");
	is_int(dec("7", &p), SIO_ERR_TYPE, "unknown packet type 7");
	is_int(dec("2{}", &p), SIO_ERR_PAYLOAD, "EVENT with object payload");
	is_int(dec("2[]", &p), SIO_ERR_PAYLOAD, "EVENT with empty array");
	is_int(dec("2[{}]", &p), SIO_ERR_PAYLOAD, "EVENT whose name is an object");
	is_int(dec("2", &p), SIO_ERR_PAYLOAD, "EVENT without payload");
	is_int(dec("2abc[\"message-with-ack\",1]", &p), SIO_ERR_PAYLOAD, "invalid ack id 'abc'");
	is_int(dec("2[\"a\",]", &p), SIO_ERR_PAYLOAD, "trailing comma");
	is_int(dec("2[\"a\"", &p), SIO_ERR_PAYLOAD, "unterminated array");
	is_int(dec("2[\"a\"]x", &p), SIO_ERR_PAYLOAD, "trailing garbage");
	is_int(dec("0[1]", &p), SIO_ERR_PAYLOAD, "CONNECT with array payload");
	is_int(dec("1{}", &p), SIO_ERR_PAYLOAD, "DISCONNECT with payload");
	is_int(dec("3{}", &p), SIO_ERR_PAYLOAD, "ACK with object payload");
	is_int(dec("5[\"a\"]", &p), SIO_ERR_ATTACHMENTS, "BINARY_EVENT without attachment count");
	is_int(dec("5x-[\"a\"]", &p), SIO_ERR_ATTACHMENTS, "non-numeric attachment count");
	is_int(dec("5999999999999999999999-[\"a\"]", &p), SIO_ERR_ATTACHMENTS, "huge attachment count");
	is_int(dec("299999999999999999999999[\"a\"]", &p), SIO_ERR_ACK_ID, "ack id beyond 2^53");
	ok(dec("29007199254740991[\"a\"]", &p) == SIO_OK && p.id == 9007199254740991LL, "ack id 2^53-1 accepted");
	is_int(dec("2[\"\xff\"]", &p), SIO_ERR_UTF8, "invalid UTF-8");
	is_int(dec("2[\"a\x01\"]", &p), SIO_ERR_PAYLOAD, "control character in a string");
	is_int(dec("2[\"\\x\"]", &p), SIO_ERR_PAYLOAD, "bad string escape");
	is_int(dec("2[\"a\",01]", &p), SIO_ERR_PAYLOAD, "number with leading zero");
	is_int(dec("2[\"a\",1.]", &p), SIO_ERR_PAYLOAD, "number without fraction digits");
	is_int(dec("2[\"a\",tru]", &p), SIO_ERR_PAYLOAD, "truncated literal");
	ok(dec("2[\"a\",123456789012345678901234567890e300,-0.5E-7]", &p) == SIO_OK, "huge and exponent numbers are valid JSON");
	{
		char		deep[200];

		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		ok(sio_decode(deep, 0, &p) == SIO_ERR_TYPE, "zero-length input");
		deep[0] = '2';
		deep[1] = '[';
		deep[2] = '"';
		deep[3] = 'a';
		deep[4] = '"';
		deep[5] = ',';
		/* 2["a",[[[[...]]]] nested 94 deep, over the limit of 64 */
		is_int(sio_decode(deep, 200 - 5, &p), SIO_ERR_PAYLOAD, "nesting deeper than the limit");
	}

	/* JSON helpers */
	ok(sjson_validate(" {\"a\" : [1, 2, {\"b\":null}]} ", 28, &info) == 0 && info.type == SJSON_OBJECT && info.count == 1,
	   "object with whitespace validates");
	ok(sjson_validate("[\"x\\u00e9\\\"\"]", 13, &info) == 0 && info.first_type == SJSON_STRING, "escapes validate");
	ok(sjson_validate("{\"a\" 1}", 7, &info) == -1, "missing colon");
	ok(sjson_validate("{1:2}", 5, &info) == -1, "non-string key");
	{
		const char *loose = "{ \"a b\" : [ 1 , \"\\\" x\" ] }";

		sjson_compact(&b, loose, strlen(loose));
	}
	ok(b.len == 18 && memcmp(b.p, "{\"a b\":[1,\"\\\" x\"]}", 18) == 0, "compaction keeps string whitespace");
	buf_free(&b);

	/* encoding */
	is_str(encode(SIO_CONNECT, "/", -1, 0, "{\"sid\":\"x\"}"), "0{\"sid\":\"x\"}", "encode CONNECT reply");
	is_str(encode(SIO_CONNECT, "/custom", -1, 0, "{\"sid\":\"x\"}"), "0/custom,{\"sid\":\"x\"}", "encode namespace");
	is_str(encode(SIO_CONNECT_ERROR, "/random", -1, 0, "{\"message\":\"Invalid namespace\"}"),
		   "4/random,{\"message\":\"Invalid namespace\"}", "encode CONNECT_ERROR");
	is_str(encode(SIO_ACK, "/", 456, 0, "[1]"), "3456[1]", "encode ACK");
	is_str(encode(SIO_BINARY_ACK, "/", 789, 2, "[]"), "62-789[]", "encode BINARY_ACK");
	is_str(encode(SIO_DISCONNECT, "/a", -1, 0, NULL), "1/a,", "encode DISCONNECT");
	return tap_done();
}
