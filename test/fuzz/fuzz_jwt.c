/*
 * fuzz_jwt.c — libFuzzer target for common/rc_jwt.c.
 *
 * Three uses of each input: as a token, run through all four verification
 * steps (nothing may crash); as a payload, signed then verified, where the
 * claims parse must fail as MALFORMED exactly when the strict JSON parse
 * of the payload fails or is not an object; and, split at its first
 * newline, as header and payload JSON of a correctly signed token, where
 * a header that parses must verify and a header that is not a JSON object
 * must not parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_base64url.h"
#include "rc_hmac.h"
#include "rc_jwt.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "fuzz-key";
static rc_jwt_claims claims;
static char tok[RC_JWT_MAX_TOKEN * 2 + 512];
static rc_json_tok jtoks[RC_JWT_MAX_TOKENS];

/* Sign header.payload texts by hand (any header) and check parse/verify */
static void
fuzz_header(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t		hlen,
				plen,
				o;
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	rc_jwt		jwt;
	rc_jwt_status st;
	int			jn;

	if (nl == NULL)
		return;
	hlen = (size_t) (nl - data);
	plen = size - hlen - 1;
	if (RC_B64URL_ENCODED_LEN(hlen) + RC_B64URL_ENCODED_LEN(plen) + 100 > sizeof(tok))
		return;
	o = rc_b64url_encode(data, hlen, tok);
	tok[o++] = '.';
	o += rc_b64url_encode(nl + 1, plen, tok + o);
	rc_hmac(RC_HMAC_SHA256, key, sizeof(key) - 1, tok, o, mac);
	tok[o++] = '.';
	o += rc_b64url_encode(mac, 32, tok + o);
	st = rc_jwt_parse(tok, o, &jwt);
	jn = rc_json_parse((const char *) data, hlen, jtoks, RC_JWT_MAX_TOKENS,
					   RC_JSON_REJECT_DUPLICATES);
	if (st == RC_JWT_OK)
	{
		if (jwt.alg != RC_JWT_HS256 || jn < 1 || jtoks[0].type != RC_JSON_OBJECT ||
			rc_jwt_verify_signature(&jwt, key, sizeof(key) - 1) != RC_JWT_OK)
			abort();
		(void) rc_jwt_parse_claims(&jwt, &(rc_jwt_policy) {.claim_user = "sub",
					   .claim_tenant = "tenantId"}, &claims);
	}
	else if (st == RC_JWT_BAD_ALG && (jn < 1 || jtoks[0].type != RC_JSON_OBJECT))
		abort();				/* BAD_ALG only for a well-formed header */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rc_jwt_policy policy = {.claim_user = "sub", .claim_tenant = "tenantId",
	.audience = "aud1", .issuer = "iss1", .clock_skew = 5};
	rc_jwt		jwt;
	rc_jwt_status st;
	long		n;
	int			jn;

	/* 1: the input as a token */
	st = rc_jwt_parse((const char *) data, size, &jwt);
	if (st == RC_JWT_OK)
	{
		if (jwt.signing_len >= size || strlen(jwt.kid) > RC_JWT_MAX_KID)
			abort();
		(void) rc_jwt_verify_signature(&jwt, key, sizeof(key) - 1);
		if (rc_jwt_parse_claims(&jwt, &policy, &claims) == RC_JWT_OK)
		{
			if (strlen(claims.user) != 36 || strlen(claims.tenant) != 36 ||
				claims.json_len > RC_JWT_MAX_PAYLOAD)
				abort();
			(void) rc_jwt_check(&claims, &policy, 1700000000);
		}
	}

	fuzz_header(data, size);

	/* 2: the input as a payload, signed and verified */
	n = rc_jwt_sign(RC_JWT_HS256, size > 0 && data[0] & 1 ? "kid" : NULL,
					(const char *) data, size, key, sizeof(key) - 1, tok, sizeof(tok));
	if (n < 0)
		return 0;
	if ((size_t) n != strlen(tok))
		abort();
	st = rc_jwt_parse(tok, (size_t) n, &jwt);
	if ((size_t) n > RC_JWT_MAX_TOKEN)
	{
		if (st != RC_JWT_MALFORMED)
			abort();
		return 0;
	}
	if (st != RC_JWT_OK || rc_jwt_verify_signature(&jwt, key, sizeof(key) - 1) != RC_JWT_OK)
		abort();				/* our own token must verify */
	st = rc_jwt_parse_claims(&jwt, &policy, &claims);
	jn = rc_json_parse((const char *) data, size, jtoks, RC_JWT_MAX_TOKENS,
					   RC_JSON_REJECT_DUPLICATES);
	if ((st == RC_JWT_MALFORMED) != (jn < 1 || jtoks[0].type != RC_JSON_OBJECT))
		abort();
	if (st != RC_JWT_MALFORMED && (claims.json_len != size || memcmp(claims.json, data, size) != 0))
		abort();
	if (st == RC_JWT_OK)
		(void) rc_jwt_check(&claims, &policy, 1700000000);
	return 0;
}
