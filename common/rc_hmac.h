/*
 * rc_hmac.h — HMAC-SHA256/384/512 (RFC 2104) for the JWT code.
 *
 * Built on OpenSSL's one-block SHA-2 primitives rather than HMAC() or
 * EVP_MAC: in OpenSSL 3 those fetch an implementation and allocate a
 * context on every call, which costs more than hashing a whole token.
 * Stack only, reentrant, no cleanup.
 */
#ifndef RC_HMAC_H
#define RC_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define RC_HMAC_MAX_DIGEST 64

typedef enum rc_hmac_hash
{
	RC_HMAC_SHA256 = 1,
	RC_HMAC_SHA384,
	RC_HMAC_SHA512
} rc_hmac_hash;

/* Digest bytes of hash (32, 48, 64), or 0 for an unknown hash */
size_t		rc_hmac_size(rc_hmac_hash hash);

/*
 * HMAC of len bytes of data with key (any length, empty allowed) into out,
 * which holds RC_HMAC_MAX_DIGEST bytes. Returns the digest length, or 0 for
 * an unknown hash.
 */
size_t		rc_hmac(rc_hmac_hash hash, const uint8_t *key, size_t keylen,
					const void *data, size_t len, uint8_t *out);

#endif
