/*
 * rc_jwt.c — JWT (RFC 7519 / RFC 7515 compact form) with HS256/384/512.
 *
 * Parsing, signature check, claims extraction and policy check are separate
 * steps (see rc_jwt.h) so the caller can pick the key between them. Every
 * step works on the stack and on the caller's structs: no heap, no global
 * state, reentrant. Decoding is strict: exactly three non-empty base64url
 * parts, a JSON object header with a known HMAC alg and no "crit", a JSON
 * object payload without duplicate keys or trailing bytes.
 */
#include "rc_jwt.h"

#include <string.h>

#include "rc_base64url.h"
#include "rc_hmac.h"
#include "rc_uuid.h"

/* Decoded header bytes we accept (a real header is well under 200) */
#define RC_JWT_MAX_HEADER	1024
/* JSON tokens in the header */
#define RC_JWT_MAX_HEADER_TOKENS 64

rc_jwt_alg
rc_jwt_alg_from_name(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "HS256") == 0)
		return RC_JWT_HS256;
	if (strcmp(name, "HS384") == 0)
		return RC_JWT_HS384;
	if (strcmp(name, "HS512") == 0)
		return RC_JWT_HS512;
	return 0;
}

const char *
rc_jwt_alg_name(rc_jwt_alg alg)
{
	switch (alg)
	{
		case RC_JWT_HS256:
			return "HS256";
		case RC_JWT_HS384:
			return "HS384";
		case RC_JWT_HS512:
			return "HS512";
	}
	return NULL;
}

const char *
rc_jwt_strerror(rc_jwt_status st)
{
	switch (st)
	{
		case RC_JWT_OK:
			return "ok";
		case RC_JWT_MALFORMED:
			return "malformed token";
		case RC_JWT_BAD_ALG:
			return "unsupported or missing alg";
		case RC_JWT_BAD_SIGNATURE:
			return "signature does not match";
		case RC_JWT_MISSING_EXP:
			return "token has no exp claim";
		case RC_JWT_EXPIRED:
			return "token has expired";
		case RC_JWT_NOT_YET_VALID:
			return "token is not valid yet";
		case RC_JWT_BAD_AUDIENCE:
			return "audience does not match";
		case RC_JWT_BAD_ISSUER:
			return "issuer does not match";
		case RC_JWT_BAD_CLAIM:
			return "missing or invalid claim";
	}
	return "unknown token error";
}

static rc_hmac_hash
rc_jwt_hash(rc_jwt_alg alg)
{
	switch (alg)
	{
		case RC_JWT_HS256:
			return RC_HMAC_SHA256;
		case RC_JWT_HS384:
			return RC_HMAC_SHA384;
		case RC_JWT_HS512:
			return RC_HMAC_SHA512;
	}
	return 0;
}

/* Bytes of a base64url text of n characters once decoded (valid lengths) */
static size_t
rc_jwt_decoded_len(size_t n)
{
	return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

/* alg from a header STRING token: case-sensitive, HMAC only */
static rc_jwt_alg
rc_jwt_alg_from_tok(const char *js, const rc_json_tok *t)
{
	if (t->type != RC_JSON_STRING)
		return 0;
	if (rc_json_string_eq(js, t, "HS256"))
		return RC_JWT_HS256;
	if (rc_json_string_eq(js, t, "HS384"))
		return RC_JWT_HS384;
	if (rc_json_string_eq(js, t, "HS512"))
		return RC_JWT_HS512;
	return 0;
}

/*
 * Split the token at its two dots and parse the header into *jwt. Returns
 * MALFORMED for a token longer than RC_JWT_MAX_TOKEN, not three non-empty
 * parts, a header or signature part that is not base64url, a header that is
 * not a JSON object (duplicates rejected), a "crit" member, a kid that is
 * not a string of at most RC_JWT_MAX_KID bytes without NUL, a typ that is
 * not a string, or a signature whose length is not the alg's digest length;
 * BAD_ALG when alg is missing, not a string, or not HS256/HS384/HS512.
 * The payload is only checked by rc_jwt_parse_claims. *jwt keeps a pointer
 * to token.
 */
rc_jwt_status
rc_jwt_parse(const char *token, size_t len, rc_jwt *jwt)
{
	const char *dot1,
			   *dot2;
	size_t		hlen,
				plen,
				slen,
				dlen;
	uint8_t		header[RC_JWT_MAX_HEADER + 1];
	uint8_t		sig[RC_B64URL_DECODED_MAX(86)];
	rc_json_tok toks[RC_JWT_MAX_HEADER_TOKENS];
	const char *hjs = (const char *) header;
	int			n,
				v;

	memset(jwt, 0, sizeof(*jwt));
	if (token == NULL || len == 0 || len > RC_JWT_MAX_TOKEN)
		return RC_JWT_MALFORMED;
	dot1 = memchr(token, '.', len);
	if (dot1 == NULL)
		return RC_JWT_MALFORMED;
	dot2 = memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token));
	if (dot2 == NULL ||
		memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)) != NULL)
		return RC_JWT_MALFORMED;
	hlen = (size_t) (dot1 - token);
	plen = (size_t) (dot2 - dot1 - 1);
	slen = len - (size_t) (dot2 + 1 - token);
	if (hlen == 0 || plen == 0 || slen == 0)
		return RC_JWT_MALFORMED;

	/* header: a JSON object */
	if (rc_jwt_decoded_len(hlen) > RC_JWT_MAX_HEADER ||
		rc_b64url_decode(token, hlen, header, &dlen) < 0)
		return RC_JWT_MALFORMED;
	n = rc_json_parse(hjs, dlen, toks, RC_JWT_MAX_HEADER_TOKENS,
					  RC_JSON_REJECT_DUPLICATES);
	if (n < 1 || toks[0].type != RC_JSON_OBJECT)
		return RC_JWT_MALFORMED;
	if (rc_json_object_get(hjs, toks, 0, "crit") >= 0)
		return RC_JWT_MALFORMED;	/* no extensions are understood */
	if ((v = rc_json_object_get(hjs, toks, 0, "typ")) >= 0 &&
		toks[v].type != RC_JSON_STRING)
		return RC_JWT_MALFORMED;
	if ((v = rc_json_object_get(hjs, toks, 0, "kid")) >= 0)
	{
		long		klen;

		if (toks[v].type != RC_JSON_STRING)
			return RC_JWT_MALFORMED;
		klen = rc_json_string(hjs, &toks[v], jwt->kid, sizeof(jwt->kid));
		if (klen < 0 || memchr(jwt->kid, '\0', (size_t) klen) != NULL)
			return RC_JWT_MALFORMED;
		jwt->has_kid = true;
	}
	if ((v = rc_json_object_get(hjs, toks, 0, "alg")) < 0 ||
		(jwt->alg = rc_jwt_alg_from_tok(hjs, &toks[v])) == 0)
	{
		jwt->has_kid = false;
		jwt->kid[0] = '\0';
		return RC_JWT_BAD_ALG;
	}

	/* signature: base64url of exactly one digest */
	if (slen != RC_B64URL_ENCODED_LEN(rc_hmac_size(rc_jwt_hash(jwt->alg))) ||
		rc_b64url_decode(dot2 + 1, slen, sig, &dlen) < 0)
		return RC_JWT_MALFORMED;

	jwt->token = token;
	jwt->len = len;
	jwt->signing_len = (size_t) (dot2 - token);
	return RC_JWT_OK;
}

/*
 * Compute the HMAC of header.payload with key and compare it with the
 * signature part in constant time. MALFORMED if jwt was not parsed
 * successfully or its signature is not base64url; BAD_SIGNATURE on mismatch.
 */
rc_jwt_status
rc_jwt_verify_signature(const rc_jwt *jwt, const uint8_t *key, size_t keylen)
{
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	uint8_t		sig[RC_B64URL_DECODED_MAX(86)];
	size_t		mlen,
				slen,
				dlen;
	const char *s;

	if (jwt->token == NULL || jwt->signing_len >= jwt->len)
		return RC_JWT_MALFORMED;
	mlen = rc_hmac_size(rc_jwt_hash(jwt->alg));
	s = jwt->token + jwt->signing_len + 1;
	slen = jwt->len - jwt->signing_len - 1;
	if (mlen == 0 || slen != RC_B64URL_ENCODED_LEN(mlen) ||
		rc_b64url_decode(s, slen, sig, &dlen) < 0 || dlen != mlen)
		return RC_JWT_MALFORMED;
	rc_hmac(rc_jwt_hash(jwt->alg), key, keylen, jwt->token, jwt->signing_len, mac);
	return rc_secure_equal(mac, sig, mlen) ? RC_JWT_OK : RC_JWT_BAD_SIGNATURE;
}

/* Copy an optional string claim into out (RC_JWT_MAX_CLAIM + 1 bytes) */
static rc_jwt_status
rc_jwt_string_claim(const char *js, const rc_json_tok *t, char *out)
{
	long		n;

	if (t->type != RC_JSON_STRING)
		return RC_JWT_BAD_CLAIM;
	n = rc_json_string(js, t, out, RC_JWT_MAX_CLAIM + 1);
	if (n < 0 || memchr(out, '\0', (size_t) n) != NULL)
	{
		out[0] = '\0';
		return RC_JWT_BAD_CLAIM;	/* too long, or an embedded NUL */
	}
	return RC_JWT_OK;
}

/* A UUID claim: a STRING in 8-4-4-4-12 form (escapes allowed), lowercased */
static rc_jwt_status
rc_jwt_uuid_claim(const char *js, const rc_json_tok *t, char out[37])
{
	char		buf[40];
	long		n;

	if (t->type != RC_JSON_STRING)
		return RC_JWT_BAD_CLAIM;
	n = rc_json_string(js, t, buf, sizeof(buf));
	if (n < 0 || !rc_uuid_normalize(buf, (size_t) n, out))
		return RC_JWT_BAD_CLAIM;
	return RC_JWT_OK;
}

/* A NumericDate claim: a NUMBER within int64 seconds */
static rc_jwt_status
rc_jwt_date_claim(const char *js, const rc_json_tok *t, bool *has, int64_t *out)
{
	if (t->type != RC_JSON_NUMBER || !rc_json_numeric_date(js, t, out))
		return RC_JWT_BAD_CLAIM;
	*has = true;
	return RC_JWT_OK;
}

/* True if the policy wants a check of this string setting */
static bool
rc_jwt_configured(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* aud: a string or an array of strings; sets audience_ok */
static rc_jwt_status
rc_jwt_aud_claim(const char *js, const rc_json_tok *toks, int v,
				 const rc_jwt_policy *policy, rc_jwt_claims *claims)
{
	const char *want = policy->audience;
	uint32_t	i;
	int			e;

	if (toks[v].type == RC_JSON_STRING)
	{
		if (rc_jwt_configured(want) && rc_json_string_eq(js, &toks[v], want))
			claims->audience_ok = true;
		return RC_JWT_OK;
	}
	if (toks[v].type != RC_JSON_ARRAY)
		return RC_JWT_BAD_CLAIM;
	e = v + 1;
	for (i = 0; i < toks[v].size; i++)
	{
		if (toks[e].type != RC_JSON_STRING)
			return RC_JWT_BAD_CLAIM;
		if (rc_jwt_configured(want) && rc_json_string_eq(js, &toks[e], want))
			claims->audience_ok = true;
		e = (int) toks[e].next;
	}
	return RC_JWT_OK;
}

/* Whether a key token is name (namelen bytes); unescaped keys by length first */
static bool
rc_jwt_key_is(const char *js, const rc_json_tok *key, const char *name, size_t namelen)
{
	if (key->size == 0)
		return key->end - key->start == namelen &&
			memcmp(js + key->start, name, namelen) == 0;
	return rc_json_string_eq(js, key, name);
}

#define RC_JWT_KEY_IS(js, key, lit) rc_jwt_key_is((js), (key), (lit), sizeof(lit) - 1)

/*
 * Decode the payload into claims->json, parse it strictly and extract the
 * claims in one pass over the top-level keys. MALFORMED when the payload is
 * not base64url, longer than RC_JWT_MAX_PAYLOAD, not a JSON object, has
 * duplicate keys, trailing bytes or more than RC_JWT_MAX_TOKENS tokens.
 * BAD_CLAIM when exp/nbf/iat is not a number in int64 range, aud is not a
 * string or array of strings, iss/role/email/jti is not a string of at most
 * RC_JWT_MAX_CLAIM bytes, or the user or tenant claim is missing or not a
 * UUID string. Needs no signature check, but callers should verify first.
 */
rc_jwt_status
rc_jwt_parse_claims(const rc_jwt *jwt, const rc_jwt_policy *policy,
					rc_jwt_claims *claims)
{
	rc_json_tok toks[RC_JWT_MAX_TOKENS];
	const char *p,
			   *js = claims->json;
	const char *uname = policy->claim_user ? policy->claim_user : "sub";
	const char *tname = policy->claim_tenant ? policy->claim_tenant : "tenantId";
	size_t		ulen = strlen(uname),
				tlen = strlen(tname);
	bool		has_user = false,
				has_tenant = false;
	size_t		plen,
				dlen;
	uint32_t	i;
	int			n,
				k;
	rc_jwt_status st;

	claims->json[0] = '\0';
	claims->json_len = 0;
	claims->user[0] = claims->tenant[0] = '\0';
	claims->role[0] = claims->email[0] = claims->jti[0] = '\0';
	claims->has_exp = claims->has_nbf = claims->has_iat = false;
	claims->exp = claims->nbf = claims->iat = 0;
	claims->audience_ok = !rc_jwt_configured(policy->audience);
	claims->issuer_ok = !rc_jwt_configured(policy->issuer);

	if (jwt->token == NULL)
		return RC_JWT_MALFORMED;
	p = memchr(jwt->token, '.', jwt->signing_len);
	if (p == NULL)
		return RC_JWT_MALFORMED;
	p++;
	plen = jwt->signing_len - (size_t) (p - jwt->token);
	if (rc_jwt_decoded_len(plen) > RC_JWT_MAX_PAYLOAD ||
		rc_b64url_decode(p, plen, (uint8_t *) claims->json, &dlen) < 0)
	{
		claims->json[0] = '\0';
		return RC_JWT_MALFORMED;
	}
	claims->json[dlen] = '\0';
	claims->json_len = dlen;

	n = rc_json_parse(js, dlen, toks, RC_JWT_MAX_TOKENS, RC_JSON_REJECT_DUPLICATES);
	if (n < 1 || toks[0].type != RC_JSON_OBJECT)
		return RC_JWT_MALFORMED;

	k = 1;
	for (i = 0; i < toks[0].size; i++, k = (int) toks[k + 1].next)
	{
		const rc_json_tok *key = &toks[k];
		int			v = k + 1;

		st = RC_JWT_OK;
		if (rc_jwt_key_is(js, key, uname, ulen))
		{
			if ((st = rc_jwt_uuid_claim(js, &toks[v], claims->user)) != RC_JWT_OK)
				return st;
			has_user = true;
		}
		if (rc_jwt_key_is(js, key, tname, tlen))
		{
			if ((st = rc_jwt_uuid_claim(js, &toks[v], claims->tenant)) != RC_JWT_OK)
				return st;
			has_tenant = true;
		}
		if (RC_JWT_KEY_IS(js, key, "exp"))
			st = rc_jwt_date_claim(js, &toks[v], &claims->has_exp, &claims->exp);
		else if (RC_JWT_KEY_IS(js, key, "nbf"))
			st = rc_jwt_date_claim(js, &toks[v], &claims->has_nbf, &claims->nbf);
		else if (RC_JWT_KEY_IS(js, key, "iat"))
			st = rc_jwt_date_claim(js, &toks[v], &claims->has_iat, &claims->iat);
		else if (RC_JWT_KEY_IS(js, key, "aud"))
			st = rc_jwt_aud_claim(js, toks, v, policy, claims);
		else if (RC_JWT_KEY_IS(js, key, "iss"))
		{
			if (toks[v].type != RC_JSON_STRING)
				st = RC_JWT_BAD_CLAIM;
			else if (rc_jwt_configured(policy->issuer))
				claims->issuer_ok = rc_json_string_eq(js, &toks[v], policy->issuer);
		}
		else if (RC_JWT_KEY_IS(js, key, "role"))
			st = rc_jwt_string_claim(js, &toks[v], claims->role);
		else if (RC_JWT_KEY_IS(js, key, "email"))
			st = rc_jwt_string_claim(js, &toks[v], claims->email);
		else if (RC_JWT_KEY_IS(js, key, "jti"))
			st = rc_jwt_string_claim(js, &toks[v], claims->jti);
		if (st != RC_JWT_OK)
			return st;
	}
	if (!has_user || !has_tenant)
		return RC_JWT_BAD_CLAIM;
	return RC_JWT_OK;
}

/* a + b, clamped to the int64 range */
static int64_t
rc_jwt_sat_add(int64_t a, int64_t b)
{
	int64_t		r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/*
 * Check the claims against policy at time now. Order: BAD_AUDIENCE,
 * BAD_ISSUER (the token is not meant for us, whatever its age), then
 * MISSING_EXP, EXPIRED (exp + skew <= now), NOT_YET_VALID
 * (nbf - skew > now). A negative skew counts as 0. No overflow: sums are
 * clamped to the int64 range.
 */
rc_jwt_status
rc_jwt_check(const rc_jwt_claims *claims, const rc_jwt_policy *policy, int64_t now)
{
	int64_t		skew = policy->clock_skew > 0 ? policy->clock_skew : 0;

	if (rc_jwt_configured(policy->audience) && !claims->audience_ok)
		return RC_JWT_BAD_AUDIENCE;
	if (rc_jwt_configured(policy->issuer) && !claims->issuer_ok)
		return RC_JWT_BAD_ISSUER;
	if (!claims->has_exp)
		return RC_JWT_MISSING_EXP;
	if (rc_jwt_sat_add(claims->exp, skew) <= now)
		return RC_JWT_EXPIRED;
	if (claims->has_nbf && rc_jwt_sat_add(claims->nbf, -skew) > now)
		return RC_JWT_NOT_YET_VALID;
	return RC_JWT_OK;
}

/* Bytes rc_json_escape writes for s (len bytes) */
static size_t
rc_jwt_escaped_len(const char *s, size_t len)
{
	size_t		n = 0,
				i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			n += 1;
		else if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
				 c == '\r' || c == '\t')
			n += 2;
		else
			n += 6;
	}
	return n;
}

/* The header text rc_jwt_sign writes; 0 if refused (see rc_jwt_sign) */
static size_t
rc_jwt_header(rc_jwt_alg alg, const char *kid, char *out)
{
	const char *name = rc_jwt_alg_name(alg);
	size_t		klen = kid ? strlen(kid) : 0,
				n;

	if (name == NULL || klen > RC_JWT_MAX_KID)
		return 0;
	memcpy(out, "{\"alg\":\"", 8);
	memcpy(out + 8, name, 5);
	n = 13;
	if (kid != NULL)
	{
		memcpy(out + n, "\",\"kid\":\"", 9);
		n += 9;
		n += rc_json_escape(kid, klen, out + n);
	}
	memcpy(out + n, "\",\"typ\":\"JWT\"}", 14);
	return n + 14;
}

/* Header bytes: {"alg":"HS256"  ,"kid":"…"  ,"typ":"JWT"} */
#define RC_JWT_HEADER_MAX	(13 + 9 + 6 * RC_JWT_MAX_KID + 14)

/* See rc_jwt.h: the length rc_jwt_sign would return */
long
rc_jwt_sign_len(rc_jwt_alg alg, const char *kid, size_t payload_len)
{
	size_t		klen = kid ? strlen(kid) : 0,
				hlen,
				mlen = rc_hmac_size(rc_jwt_hash(alg));

	if (mlen == 0 || klen > RC_JWT_MAX_KID || payload_len == 0 ||
		payload_len > SIZE_MAX / 4 - 1024)
		return -1;
	hlen = 13 + (kid ? 9 + rc_jwt_escaped_len(kid, klen) : 0) + 14;
	return (long) (RC_B64URL_ENCODED_LEN(hlen) + 1 + RC_B64URL_ENCODED_LEN(payload_len) + 1 +
				   RC_B64URL_ENCODED_LEN(mlen));
}

/*
 * Sign payload_json with key: writes base64url(header) "." base64url(payload)
 * "." base64url(HMAC) and a NUL into out. The header is
 * {"alg":"HS256","typ":"JWT"}, with "kid" between them when kid is given.
 * Returns the token length, or -1 when out is too small, alg is unknown,
 * the payload is empty, or kid is longer than RC_JWT_MAX_KID bytes (in
 * the last two cases rc_jwt_parse would reject the token). The result may
 * exceed RC_JWT_MAX_TOKEN; check rc_jwt_sign_len first to refuse that.
 */
long
rc_jwt_sign(rc_jwt_alg alg, const char *kid, const char *payload_json,
			size_t payload_len, const uint8_t *key, size_t keylen,
			char *out, size_t outsize)
{
	char		header[RC_JWT_HEADER_MAX];
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	long		need = rc_jwt_sign_len(alg, kid, payload_len);
	size_t		hlen,
				o;

	if (need < 0 || (size_t) need >= outsize)
		return -1;
	hlen = rc_jwt_header(alg, kid, header);
	o = rc_b64url_encode((const uint8_t *) header, hlen, out);
	out[o++] = '.';
	o += rc_b64url_encode((const uint8_t *) payload_json, payload_len, out + o);
	rc_hmac(rc_jwt_hash(alg), key, keylen, out, o, mac);
	out[o++] = '.';
	o += rc_b64url_encode(mac, rc_hmac_size(rc_jwt_hash(alg)), out + o);
	out[o] = '\0';
	return (long) o;
}

/* Constant-time equality: the loop never exits early */
bool
rc_secure_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a;
	const volatile unsigned char *y = b;
	unsigned char d = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
