/*
 * rc_base64url.c — strict base64url (RFC 4648 §5, no padding) for JWT.
 *
 * Table driven, no allocation, no locale. Decoding accepts exactly one
 * spelling of every byte string: the url-safe alphabet only, no '=', no
 * length of 1 mod 4, and the unused low bits of the last character zero.
 */
#include "rc_base64url.h"

static const char rc_b64url_alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Character → 6-bit value; 0xff outside the alphabet, so OR-ing the values
 * of a block and testing bit 7 validates it without a branch per character.
 */
static const uint8_t rc_b64url_value[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 62, 0xff, 0xff,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 0xff, 0xff, 0xff, 0xff, 63,
	0xff, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/*
 * Encode len bytes of in into out (RC_B64URL_ENCODED_LEN(len) bytes, not
 * NUL-terminated). Returns the number of characters written. Cannot fail.
 */
size_t
rc_b64url_encode(const uint8_t *in, size_t len, char *out)
{
	char	   *o = out;
	size_t		i = 0;

	for (; i + 3 <= len; i += 3)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];

		*o++ = rc_b64url_alphabet[(v >> 18) & 63];
		*o++ = rc_b64url_alphabet[(v >> 12) & 63];
		*o++ = rc_b64url_alphabet[(v >> 6) & 63];
		*o++ = rc_b64url_alphabet[v & 63];
	}
	if (len - i == 1)
	{
		uint32_t	v = (uint32_t) in[i] << 16;

		*o++ = rc_b64url_alphabet[(v >> 18) & 63];
		*o++ = rc_b64url_alphabet[(v >> 12) & 63];
	}
	else if (len - i == 2)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);

		*o++ = rc_b64url_alphabet[(v >> 18) & 63];
		*o++ = rc_b64url_alphabet[(v >> 12) & 63];
		*o++ = rc_b64url_alphabet[(v >> 6) & 63];
	}
	return (size_t) (o - out);
}

/*
 * Decode len characters of in into out (RC_B64URL_DECODED_MAX(len) bytes).
 * Returns 0 and sets *outlen, or -1 on any character outside the alphabet
 * (including '=', '+', '/'), a length of 1 mod 4, or non-zero unused bits
 * in the last character. On error out may have been partly written.
 */
int
rc_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *) in;
	uint8_t    *o = out;
	size_t		i = 0;
	size_t		tail = len % 4;
	uint8_t		bad = 0;

	if (tail == 1)
		return -1;
	for (; i + 4 <= len; i += 4)
	{
		uint8_t		a = rc_b64url_value[p[i]],
					b = rc_b64url_value[p[i + 1]],
					c = rc_b64url_value[p[i + 2]],
					d = rc_b64url_value[p[i + 3]];
		uint32_t	v = ((uint32_t) a << 18) | ((uint32_t) b << 12) | ((uint32_t) c << 6) | d;

		bad |= a | b | c | d;
		*o++ = (uint8_t) (v >> 16);
		*o++ = (uint8_t) (v >> 8);
		*o++ = (uint8_t) v;
	}
	if (tail == 2)
	{
		/* 12 bits: one byte and 4 unused bits that must be zero */
		uint8_t		a = rc_b64url_value[p[i]],
					b = rc_b64url_value[p[i + 1]];

		if ((a | b) & 0x80 || (b & 0x0f) != 0)
			return -1;
		*o++ = (uint8_t) ((a << 2) | (b >> 4));
	}
	else if (tail == 3)
	{
		/* 18 bits: two bytes and 2 unused bits that must be zero */
		uint8_t		a = rc_b64url_value[p[i]],
					b = rc_b64url_value[p[i + 1]],
					c = rc_b64url_value[p[i + 2]];
		uint32_t	v = ((uint32_t) a << 12) | ((uint32_t) b << 6) | c;

		if ((a | b | c) & 0x80 || (c & 0x03) != 0)
			return -1;
		*o++ = (uint8_t) (v >> 10);
		*o++ = (uint8_t) (v >> 2);
	}
	if (bad & 0x80)
		return -1;
	*outlen = (size_t) (o - out);
	return 0;
}
