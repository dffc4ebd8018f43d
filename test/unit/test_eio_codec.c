/*
 * test_eio_codec.c — Engine.IO packet and polling payload codec on byte strings.
 */
#include <stdlib.h>

#include "codec/eio_codec.h"
#include "tap.h"

/* Decode a whole payload (copied, since decoding is in place) into a printable trace */
static char *
trace_payload(const char *in, size_t n, int *count, int *err)
{
	static char out[1024];
	char	   *copy = malloc(n + 1);
	size_t		pos = 0;
	eio_packet	p;
	int			rc;
	size_t		o = 0;

	memcpy(copy, in, n);
	*count = 0;
	*err = 0;
	out[0] = '\0';
	while ((rc = eio_payload_next(copy, n, &pos, &p)) == 1)
	{
		(*count)++;
		o += (size_t) snprintf(out + o, sizeof(out) - o, "%s%d%s:", o ? "|" : "", p.type, p.binary ? "b" : "");
		for (size_t i = 0; i < p.len; i++)
			o += (size_t) snprintf(out + o, sizeof(out) - o, p.binary ? "%02x" : "%c",
								   p.binary ? (unsigned char) p.data[i] : p.data[i]);
	}
	if (rc < 0)
		*err = rc;
	free(copy);
	return out;
}

int
main(void)
{
	eio_packet	p;
	int			count,
				err;
	buf			b = BUF_INIT;
	uint8_t		bin[4] = {1, 2, 3, 4};
	char		enc[16];
	uint8_t		dec[16];

	/* every packet type as text */
	for (int t = 0; t <= 6; t++)
	{
		char		s[16];

		snprintf(s, sizeof(s), "%dxy", t);
		ok(eio_decode_text(s, 3, &p) == EIO_OK && p.type == (eio_type) t && p.len == 2 &&
		   memcmp(p.data, "xy", 2) == 0 && !p.binary, "text packet type %d decodes", t);
	}
	ok(eio_decode_text("7", 1, &p) == EIO_ERR_FORMAT, "type 7 is rejected");
	ok(eio_decode_text("abc", 3, &p) == EIO_ERR_FORMAT, "'abc' is rejected");
	ok(eio_decode_text("", 0, &p) == EIO_ERR_FORMAT, "empty packet is rejected");
	ok(eio_decode_text("2probe", 6, &p) == EIO_OK && p.type == EIO_PING && p.len == 5, "2probe is a ping with data");

	/* polling payloads */
	is_str(trace_payload("4hello", 6, &count, &err), "4:hello", "one packet payload");
	is_int(count, 1, "one packet counted");
	is_str(trace_payload("4test1\x1e" "4test2\x1e" "4test3", 20, &count, &err),
		   "4:test1|4:test2|4:test3", "three packets split on 0x1e");
	is_str(trace_payload("4hello\x1e" "bAQIDBA==", 16, &count, &err), "4:hello|4b:01020304",
		   "text and base64 binary packet");
	is_str(trace_payload("bAQID", 5, &count, &err), "4b:010203", "binary without padding");
	trace_payload("abc", 3, &count, &err);
	ok(err == EIO_ERR_FORMAT, "payload 'abc' is malformed");
	trace_payload("4a\x1e", 3, &count, &err);
	ok(err == EIO_ERR_FORMAT, "trailing separator is malformed");
	trace_payload("4a\x1e\x1e" "4b", 6, &count, &err);
	ok(err == EIO_ERR_FORMAT, "empty record between separators is malformed");
	trace_payload("b!!!!", 5, &count, &err);
	ok(err == EIO_ERR_FORMAT, "bad base64 is malformed");
	trace_payload("bAQ=D", 5, &count, &err);
	ok(err == EIO_ERR_FORMAT, "data after base64 padding is malformed");
	trace_payload("", 0, &count, &err);
	ok(err == 0 && count == 0, "empty payload has no packets");
	is_str(trace_payload("3\x1e" "3\x1e" "4x", 6, &count, &err), "3:|3:|4:x", "empty-data packets (pong) in a payload");

	/* encoding */
	eio_payload_append(&b, EIO_MESSAGE, false, "hello", 5);
	eio_payload_append(&b, EIO_MESSAGE, true, bin, 4);
	eio_payload_append(&b, EIO_PING, false, NULL, 0);
	ok(b.len == 18 && memcmp(b.p, "4hello\x1e" "bAQIDBA==\x1e" "2", 18) == 0, "payload encodes text, binary, ping");
	buf_free(&b);

	/* base64 round trips of every length remainder */
	for (size_t n = 0; n <= 5; n++)
	{
		uint8_t		in[5] = {0xff, 0x00, 0x7f, 0x80, 0x01};
		long		got;

		eio_base64_encode(enc, in, n);
		got = eio_base64_decode(dec, enc, eio_base64_len(n));
		ok(got == (long) n && memcmp(dec, in, n) == 0, "base64 round trip of %zu bytes", n);
	}
	ok(eio_base64_decode(dec, "AQI", 3) == -1, "base64 of length not a multiple of 4 is rejected");
	ok(eio_base64_decode(dec, "=AAA", 4) == -1, "leading padding is rejected");
	return tap_done();
}
