/*
 * test_hmac.c — unit tests of common/rc_hmac.c against RFC 4231 vectors
 * (short key, empty key, and a key longer than the block, which is hashed),
 * and against OpenSSL's HMAC() for every key length around both block
 * sizes, alternating keys so the per-thread key cache is both hit and missed.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rc_hmac.h"
#include "tap.h"

static const char *
hex(const uint8_t *b, size_t n)
{
	static char buf[2 * RC_HMAC_MAX_DIGEST + 1];
	size_t		i;

	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	buf[2 * n] = '\0';
	return buf;
}

static void
check(rc_hmac_hash h, const uint8_t *key, size_t keylen, const char *data,
	  const char *want, const char *what)
{
	uint8_t		out[RC_HMAC_MAX_DIGEST];
	size_t		n = rc_hmac(h, key, keylen, data, strlen(data), out);
	const char *got = hex(out, n);

	is_str(got, want, "%s", what);
}

int
main(void)
{
	uint8_t		big[131];
	uint8_t		out[RC_HMAC_MAX_DIGEST];
	const char *jefe = "what do ya want for nothing?";
	const char *large = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(big, 0xaa, sizeof(big));
	check(RC_HMAC_SHA256, (const uint8_t *) "Jefe", 4, jefe,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "RFC 4231 case 2, SHA-256");
	check(RC_HMAC_SHA384, (const uint8_t *) "Jefe", 4, jefe,
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		  "8e2240ca5e69e2c78b3239ecfab21649", "RFC 4231 case 2, SHA-384");
	check(RC_HMAC_SHA512, (const uint8_t *) "Jefe", 4, jefe,
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		  "RFC 4231 case 2, SHA-512");
	check(RC_HMAC_SHA256, big, sizeof(big), large,
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "RFC 4231 case 6 (131-byte key), SHA-256");
	check(RC_HMAC_SHA384, big, sizeof(big), large,
		  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
		  "0c2ef6ab4030fe8296248df163f44952", "RFC 4231 case 6 (131-byte key), SHA-384");
	check(RC_HMAC_SHA512, big, sizeof(big), large,
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
		  "RFC 4231 case 6 (131-byte key), SHA-512");
	check(RC_HMAC_SHA256, (const uint8_t *) "", 0, "",
		  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
		  "empty key and message, SHA-256");
	{
		static const rc_hmac_hash hs[] = {RC_HMAC_SHA256, RC_HMAC_SHA384, RC_HMAC_SHA512};
		const EVP_MD *mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
		uint8_t		key[200],
					other[200],
					ref[EVP_MAX_MD_SIZE];
		unsigned int reflen;
		int			h,
					bad = 0,
					round;
		size_t		kl;

		for (kl = 0; kl < sizeof(key); kl++)
		{
			key[kl] = (uint8_t) (kl * 7 + 1);
			other[kl] = (uint8_t) (kl * 7 + 2);
		}
		for (h = 0; h < 3; h++)
			for (kl = 0; kl <= sizeof(key); kl++)
				for (round = 0; round < 3; round++)
				{
					/* round 1 uses another key of the same length: a cache miss */
					const uint8_t *k = round == 1 ? other : key;
					size_t		n = rc_hmac(hs[h], k, kl, large, strlen(large) - (size_t) round,
											out);

					HMAC(mds[h], k, (int) kl, (const unsigned char *) large,
						 strlen(large) - (size_t) round, ref, &reflen);
					if (n != reflen || memcmp(out, ref, n) != 0)
						bad++;
				}
		is_int(bad, 0, "matches OpenSSL HMAC() for keys of 0..200 bytes, all three hashes, "
			   "alternating keys");
		/* the same key bytes at another address hit the cache and still agree */
		memcpy(other, key, 32);
		rc_hmac(RC_HMAC_SHA256, key, 32, "abc", 3, out);
		memcpy(ref, out, 32);
		rc_hmac(RC_HMAC_SHA256, other, 32, "abc", 3, out);
		ok(memcmp(ref, out, 32) == 0, "equal keys at different addresses agree");
		other[31] ^= 0x80;
		rc_hmac(RC_HMAC_SHA256, other, 32, "abc", 3, out);
		ok(memcmp(ref, out, 32) != 0, "a key differing in its last bit misses the cache");
		rc_hmac(RC_HMAC_SHA256, key, 31, "abc", 3, out);
		ok(memcmp(ref, out, 32) != 0, "a prefix of the cached key misses the cache");
	}
	is_int(rc_hmac_size(RC_HMAC_SHA256), 32, "SHA-256 size");
	is_int(rc_hmac_size(RC_HMAC_SHA384), 48, "SHA-384 size");
	is_int(rc_hmac_size(RC_HMAC_SHA512), 64, "SHA-512 size");
	is_int(rc_hmac_size((rc_hmac_hash) 9), 0, "unknown hash size");
	is_int(rc_hmac((rc_hmac_hash) 9, big, 1, "x", 1, out), 0, "unknown hash computes nothing");
	return tap_done();
}
