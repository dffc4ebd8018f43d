/*
 * rc_base64url.h — base64url (RFC 4648 §5) without padding, as JWT uses it.
 *
 * Shared by the extension and the notifier; no PostgreSQL or libwebsockets
 * headers. Decoding is strict: '=' padding, characters outside the url-safe
 * alphabet, a length of 1 mod 4, and non-zero unused trailing bits are all
 * rejected, so every token has exactly one encoding.
 */
#ifndef RC_BASE64URL_H
#define RC_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to encode n bytes (no padding, no terminator) */
#define RC_B64URL_ENCODED_LEN(n)	(((n) * 4 + 2) / 3)
/* Upper bound of the bytes a decode of n characters produces */
#define RC_B64URL_DECODED_MAX(n)	(((n) * 3) / 4 + 1)

/*
 * Encode len bytes of in into out, which must hold
 * RC_B64URL_ENCODED_LEN(len) bytes. Returns the number of characters written;
 * out is not NUL-terminated.
 */
size_t		rc_b64url_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decode len characters of in into out, which must hold
 * RC_B64URL_DECODED_MAX(len) bytes. On success returns 0 and sets *outlen;
 * on malformed input returns -1 and *outlen is undefined.
 */
int			rc_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *outlen);

#endif
