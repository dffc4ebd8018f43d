/*
 * rc_hmac.c — HMAC-SHA256/384/512 on OpenSSL's low-level SHA-2 functions.
 *
 * These functions are deprecated in OpenSSL 3 but present in every build
 * Debian and the other distributions ship (they back the EVP providers);
 * they run the same assembly as EVP without its per-call fetch and heap
 * context, which roughly doubles JWT verification throughput.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "rc_hmac.h"

#include <stdbool.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

size_t
rc_hmac_size(rc_hmac_hash hash)
{
	switch (hash)
	{
		case RC_HMAC_SHA256:
			return 32;
		case RC_HMAC_SHA384:
			return 48;
		case RC_HMAC_SHA512:
			return 64;
	}
	return 0;
}

/* SHA-256 HMAC: 64-byte blocks */
static void
rc_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t len,
			   uint8_t *out)
{
	uint8_t		k[64],
				pad[64],
				inner[32];
	SHA256_CTX	ctx;
	int			i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k))
		SHA256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&ctx);
	SHA256_Update(&ctx, pad, 64);
	SHA256_Update(&ctx, data, len);
	SHA256_Final(inner, &ctx);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&ctx);
	SHA256_Update(&ctx, pad, 64);
	SHA256_Update(&ctx, inner, 32);
	SHA256_Final(out, &ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
}

/* SHA-384 and SHA-512 HMAC: 128-byte blocks, same state type */
static void
rc_hmac_sha512(bool is384, const uint8_t *key, size_t keylen, const void *data,
			   size_t len, uint8_t *out)
{
	uint8_t		k[128],
				pad[128],
				inner[64];
	size_t		dlen = is384 ? 48 : 64;
	SHA512_CTX	ctx;
	int			i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k))
	{
		if (is384)
			SHA384(key, keylen, k);
		else
			SHA512(key, keylen, k);
	}
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < 128; i++)
		pad[i] = k[i] ^ 0x36;
	if (is384)
		SHA384_Init(&ctx);
	else
		SHA512_Init(&ctx);
	SHA512_Update(&ctx, pad, 128);
	SHA512_Update(&ctx, data, len);
	if (is384)
		SHA384_Final(inner, &ctx);
	else
		SHA512_Final(inner, &ctx);
	for (i = 0; i < 128; i++)
		pad[i] = k[i] ^ 0x5c;
	if (is384)
		SHA384_Init(&ctx);
	else
		SHA512_Init(&ctx);
	SHA512_Update(&ctx, pad, 128);
	SHA512_Update(&ctx, inner, dlen);
	if (is384)
		SHA384_Final(out, &ctx);
	else
		SHA512_Final(out, &ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
}

/* See rc_hmac.h; out receives rc_hmac_size(hash) bytes */
size_t
rc_hmac(rc_hmac_hash hash, const uint8_t *key, size_t keylen, const void *data,
		size_t len, uint8_t *out)
{
	switch (hash)
	{
		case RC_HMAC_SHA256:
			rc_hmac_sha256(key, keylen, data, len, out);
			return 32;
		case RC_HMAC_SHA384:
			rc_hmac_sha512(true, key, keylen, data, len, out);
			return 48;
		case RC_HMAC_SHA512:
			rc_hmac_sha512(false, key, keylen, data, len, out);
			return 64;
	}
	return 0;
}
