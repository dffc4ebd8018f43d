/*
 * fuzz_base64url.c — libFuzzer target for common/rc_base64url.c.
 *
 * Properties: decoding never writes past RC_B64URL_DECODED_MAX; whatever
 * decodes re-encodes to exactly the input (one spelling per byte string);
 * encoding any bytes yields text that decodes back to them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_base64url.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *dec = malloc(RC_B64URL_DECODED_MAX(size));
	char	   *enc = malloc(RC_B64URL_ENCODED_LEN(size) + 1);
	uint8_t    *back = malloc(RC_B64URL_DECODED_MAX(RC_B64URL_ENCODED_LEN(size)));
	size_t		dlen,
				elen,
				blen;

	if (rc_b64url_decode((const char *) data, size, dec, &dlen) == 0)
	{
		char	   *re = malloc(RC_B64URL_ENCODED_LEN(dlen) + 1);

		if (dlen > RC_B64URL_DECODED_MAX(size) ||
			rc_b64url_encode(dec, dlen, re) != size || memcmp(re, data, size) != 0)
			abort();			/* accepted a non-canonical spelling */
		free(re);
	}
	elen = rc_b64url_encode(data, size, enc);
	if (elen != RC_B64URL_ENCODED_LEN(size) ||
		rc_b64url_decode(enc, elen, back, &blen) != 0 || blen != size ||
		memcmp(back, data, size) != 0)
		abort();
	free(dec);
	free(enc);
	free(back);
	return 0;
}
