/*
 * test_base64url.c — unit tests of common/rc_base64url.c: RFC 4648 vectors,
 * every tail length, and each way a strict decoder must say no.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_base64url.h"
#include "tap.h"

/* Encode s and compare with want; then decode want back to s */
static void
roundtrip(const char *s, size_t n, const char *want)
{
	char		enc[256];
	const char *got;
	uint8_t		dec[256];
	size_t		elen,
				dlen = 999;
	int			r;

	elen = rc_b64url_encode((const uint8_t *) s, n, enc);
	enc[elen] = '\0';
	got = enc;
	is_str(got, want, "encode %zu bytes -> '%s'", n, want);
	is_int(elen, RC_B64URL_ENCODED_LEN(n), "encoded length of %zu bytes is %zu", n,
		   (size_t) RC_B64URL_ENCODED_LEN(n));
	r = rc_b64url_decode(want, strlen(want), dec, &dlen);
	ok(r == 0 && dlen == n && memcmp(dec, s, n) == 0, "decode '%s' back to %zu bytes", want, n);
	ok(dlen <= RC_B64URL_DECODED_MAX(strlen(want)), "decoded length within DECODED_MAX");
}

static int
decode_fails(const char *s)
{
	uint8_t		dec[256];
	size_t		dlen;

	return rc_b64url_decode(s, strlen(s), dec, &dlen) == -1;
}

int
main(void)
{
	uint8_t		all[256],
				dec[400];
	char		enc[400];
	size_t		elen,
				dlen;
	int			i,
				bad;

	/* RFC 4648 §10 vectors, padding stripped */
	roundtrip("", 0, "");
	roundtrip("f", 1, "Zg");
	roundtrip("fo", 2, "Zm8");
	roundtrip("foo", 3, "Zm9v");
	roundtrip("foob", 4, "Zm9vYg");
	roundtrip("fooba", 5, "Zm9vYmE");
	roundtrip("foobar", 6, "Zm9vYmFy");
	/* the url-safe characters: 0xfb 0xff -> "-_8" */
	roundtrip("\xfb\xff", 2, "-_8");
	roundtrip("\xff\xff\xff", 3, "____");
	roundtrip("\xf8\x3e\x0f", 3, "-D4P");

	/* every byte value round-trips */
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t) i;
	elen = rc_b64url_encode(all, 256, enc);
	ok(elen == RC_B64URL_ENCODED_LEN(256) && memchr(enc, '=', elen) == NULL &&
	   memchr(enc, '+', elen) == NULL && memchr(enc, '/', elen) == NULL,
	   "256 byte values encode to %zu url-safe characters", elen);
	ok(rc_b64url_decode(enc, elen, dec, &dlen) == 0 && dlen == 256 &&
	   memcmp(dec, all, 256) == 0, "and decode back");

	/* every tail length of every prefix round-trips */
	bad = 0;
	for (i = 0; i <= 64; i++)
	{
		elen = rc_b64url_encode(all + 100, (size_t) i, enc);
		if (rc_b64url_decode(enc, elen, dec, &dlen) != 0 || dlen != (size_t) i ||
			memcmp(dec, all + 100, (size_t) i) != 0)
			bad++;
	}
	is_int(bad, 0, "lengths 0..64 round-trip");

	/* strictness */
	ok(decode_fails("Zg=="), "'=' padding rejected (Zg==)");
	ok(decode_fails("Zm8="), "'=' padding rejected (Zm8=)");
	ok(decode_fails("Zm9v===="), "padding-only block rejected");
	ok(decode_fails("Z"), "length 1 mod 4 rejected (1)");
	ok(decode_fails("Zm9vY"), "length 1 mod 4 rejected (5)");
	ok(decode_fails("+_8"), "'+' rejected");
	ok(decode_fails("-/8"), "'/' rejected");
	ok(decode_fails("Zm9v Yg"), "space rejected");
	ok(decode_fails("Zm9v\nYmFy"), "newline rejected");
	ok(decode_fails("Zm9\x80"), "8-bit byte rejected");
	ok(decode_fails("Zm.v"), "'.' rejected");
	ok(decode_fails("Zh"), "non-canonical trailing bits rejected (Zh, 2-char tail)");
	ok(decode_fails("Zm9"), "non-canonical trailing bits rejected (Zm9, 3-char tail)");
	ok(decode_fails("Zm9vYh"), "non-canonical bits after a full block rejected");
	ok(!decode_fails("Zm8"), "canonical 3-char tail accepted");
	{
		const char	s[4] = {'A', 'A', 'A', '\0'};

		ok(rc_b64url_decode(s, 4, dec, &dlen) == -1, "NUL inside a 4-char block rejected");
	}
	{
		/* an invalid character in an early full block is still caught */
		const char *s = "!AAAAAAAAAAAAAAA";

		ok(rc_b64url_decode(s, strlen(s), dec, &dlen) == -1, "bad first character of a long input rejected");
	}
	{
		/* NUL is data to the decoder, not a terminator */
		const char	s[4] = {'Z', 'g', '\0', 'A'};

		ok(rc_b64url_decode(s, 4, dec, &dlen) == -1, "embedded NUL rejected");
	}
	return tap_done();
}
