/*
 * test_ws_codec.c — WebSocket framing, UTF-8 validation and the accept key.
 */
#include "codec/ws_codec.h"
#include "tap.h"

int
main(void)
{
	ws_frame	f;
	uint8_t		hdr[16];
	char		accept[29];

	/* RFC 6455 §5.7: masked "Hello" */
	{
		uint8_t		fr[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};

		ok(ws_frame_parse(fr, sizeof(fr), true, &f) == 6 && f.fin && f.opcode == WS_OP_TEXT &&
		   f.len == 5 && f.masked, "masked text frame header parses");
		ws_unmask(fr + 6, 5, f.mask, 0);
		ok(memcmp(fr + 6, "Hello", 5) == 0, "payload unmasks to Hello");
		/* unmasking in two pieces keeps the mask phase */
		ws_unmask(fr + 6, 5, f.mask, 0);
		ws_unmask(fr + 6, 2, f.mask, 0);
		ws_unmask(fr + 8, 3, f.mask, 2);
		ok(memcmp(fr + 6, "Hello", 5) == 0, "unmasking a partial payload at an offset");
		for (size_t n = 0; n < 6; n++)
			ok(ws_frame_parse(fr, n, true, &f) == WS_NEED_MORE, "partial header of %zu bytes needs more", n);
	}
	{
		uint8_t		fr[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};

		ok(ws_frame_parse(fr, sizeof(fr), true, &f) == WS_ERR_PROTOCOL, "unmasked client frame is a protocol error");
		ok(ws_frame_parse(fr, sizeof(fr), false, &f) == 2, "unmasked frame parses when mask not required");
	}
	{
		uint8_t		rsv[] = {0xc1, 0x80, 0, 0, 0, 0};
		uint8_t		op3[] = {0x83, 0x80, 0, 0, 0, 0};
		uint8_t		frag_ping[] = {0x09, 0x80, 0, 0, 0, 0};
		uint8_t		big_ping[] = {0x89, 0xfe, 0, 126, 0, 0, 0, 0};
		uint8_t		len64_msb[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

		ok(ws_frame_parse(rsv, 6, true, &f) == WS_ERR_PROTOCOL, "RSV1 without extension is an error");
		ok(ws_frame_parse(op3, 6, true, &f) == WS_ERR_PROTOCOL, "reserved opcode 3 is an error");
		ok(ws_frame_parse(frag_ping, 6, true, &f) == WS_ERR_PROTOCOL, "fragmented ping is an error");
		ok(ws_frame_parse(big_ping, 8, true, &f) == WS_ERR_PROTOCOL, "ping over 125 bytes is an error");
		ok(ws_frame_parse(len64_msb, 14, true, &f) == WS_ERR_PROTOCOL, "64-bit length with MSB set is an error");
	}
	{
		uint8_t		fr16[] = {0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4};
		uint8_t		fr64[] = {0x02, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4};

		ok(ws_frame_parse(fr16, 8, true, &f) == 8 && f.len == 256 && f.opcode == WS_OP_BINARY, "16-bit length");
		ok(ws_frame_parse(fr64, 14, true, &f) == 14 && f.len == 0x100000 && !f.fin, "64-bit length, not final");
	}

	/* server headers */
	ok(ws_frame_header(hdr, true, WS_OP_TEXT, 5) == 2 && hdr[0] == 0x81 && hdr[1] == 5, "short header");
	ok(ws_frame_header(hdr, true, WS_OP_BINARY, 300) == 4 && hdr[1] == 126 && hdr[2] == 1 && hdr[3] == 44, "16-bit header");
	ok(ws_frame_header(hdr, true, WS_OP_BINARY, 70000) == 10 && hdr[1] == 127 && hdr[7] == 1 && hdr[8] == 0x11 && hdr[9] == 0x70,
	   "64-bit header");

	/* UTF-8 */
	ok(ws_utf8_valid((const uint8_t *) "plain", 5), "ASCII is valid");
	ok(ws_utf8_valid((const uint8_t *) "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), "2-, 3-, 4-byte sequences are valid");
	ok(!ws_utf8_valid((const uint8_t *) "\xc3", 1), "truncated sequence is invalid");
	ok(!ws_utf8_valid((const uint8_t *) "\xc0\xaf", 2), "overlong '/' is invalid");
	ok(!ws_utf8_valid((const uint8_t *) "\xed\xa0\x80", 3), "UTF-16 surrogate is invalid");
	ok(!ws_utf8_valid((const uint8_t *) "\xf4\x90\x80\x80", 4), "code point above U+10FFFF is invalid");
	ok(!ws_utf8_valid((const uint8_t *) "\xff", 1), "byte 0xff is invalid");
	ok(!ws_utf8_valid((const uint8_t *) "a\x80", 2), "lone continuation byte is invalid");

	/* close frames (RFC 6455 §7.4) */
	{
		uint16_t	reply = 0;

		ok(ws_close_check(NULL, 0, &reply) == 0 && reply == 1000, "empty close: valid, answered 1000");
		ok(ws_close_check((const uint8_t *) "\x03", 1, &reply) < 0 && reply == 1002, "1-byte close payload: 1002");
		ok(ws_close_check((const uint8_t *) "\x03\xe8" "bye", 5, &reply) == 0 && reply == 1000, "1000 with a reason is echoed");
		ok(ws_close_check((const uint8_t *) "\x0f\xa0", 2, &reply) == 0 && reply == 4000, "4000 (private use) is echoed");
		ok(ws_close_check((const uint8_t *) "\x03\xed", 2, &reply) < 0 && reply == 1002, "1005 is never sent: 1002");
		ok(ws_close_check((const uint8_t *) "\x03\xee", 2, &reply) < 0 && reply == 1002, "1006 is never sent: 1002");
		ok(ws_close_check((const uint8_t *) "\x03\xe7", 2, &reply) < 0 && reply == 1002, "999: 1002");
		ok(ws_close_check((const uint8_t *) "\x03\xec", 2, &reply) < 0 && reply == 1002, "1004 (reserved): 1002");
		ok(ws_close_check((const uint8_t *) "\x07\xd0", 2, &reply) < 0 && reply == 1002, "2000: 1002");
		ok(ws_close_check((const uint8_t *) "\x13\x88", 2, &reply) < 0 && reply == 1002, "5000: 1002");
		ok(ws_close_check((const uint8_t *) "\x03\xe8\xff", 3, &reply) < 0 && reply == 1007, "reason not UTF-8: 1007");
	}

	/* RFC 6455 §1.3 example */
	ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, accept) == 0, "accept key computed");
	ok(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "accept key matches RFC 6455");
	ok(ws_accept_key("short", 5, accept) == -1, "malformed key is rejected");
	ok(ws_accept_key("dGhlIHNhbXBsZSBub25j!!==", 24, accept) == -1, "non-base64 key is rejected");
	return tap_done();
}
