/*
 * test_jwt.c — unit tests of common/rc_jwt.c: the RFC 7515 A.1 vector,
 * sign/verify round trips, and every rejection with the status it maps to.
 * Tokens with hand-written headers are built here with rc_b64url and
 * rc_hmac, so each test controls exactly one defect.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rc_base64url.h"
#include "rc_hmac.h"
#include "rc_jwt.h"
#include "rc_uuid.h"
#include "tap.h"

#define NOW		INT64_C(1700000000)
#define USER	"6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f60"
#define TENANT	"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define ID		"\"sub\":\"" USER "\",\"tenantId\":\"" TENANT "\""

static const uint8_t *KEY = (const uint8_t *) "test-secret-0123456789abcdef0123";
#define KEYLEN 32

static rc_jwt_policy policy;
static rc_jwt_claims claims;	/* large: keep it off the stack */

static void
reset_policy(void)
{
	memset(&policy, 0, sizeof(policy));
	policy.claim_user = "sub";
	policy.claim_tenant = "tenantId";
}

static void
b64(const char *s, size_t n, char *out)
{
	out[rc_b64url_encode((const uint8_t *) s, n, out)] = '\0';
}

/*
 * Build header.payload.signature from raw JSON texts, signed with hash h
 * and key (static buffer).
 */
static const char *
mk_with(const char *header, const char *payload, rc_hmac_hash h,
		const uint8_t *key, size_t keylen)
{
	static char tok[16384];
	uint8_t		mac[RC_HMAC_MAX_DIGEST];
	size_t		o,
				n;

	b64(header, strlen(header), tok);
	o = strlen(tok);
	tok[o++] = '.';
	b64(payload, strlen(payload), tok + o);
	o += strlen(tok + o);
	n = rc_hmac(h, key, keylen, tok, o, mac);
	tok[o++] = '.';
	b64((const char *) mac, n, tok + o);
	return tok;
}

static const char *
mk(const char *header, const char *payload)
{
	return mk_with(header, payload, RC_HMAC_SHA256, KEY, KEYLEN);
}

/* An HS256 token with the standard header and this payload */
static const char *
mkp(const char *payload)
{
	return mk("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload);
}

/* All four steps with KEY, policy and now; the first failure */
static rc_jwt_status
full(const char *tok, int64_t now)
{
	rc_jwt		jwt;
	rc_jwt_status st;

	if ((st = rc_jwt_parse(tok, strlen(tok), &jwt)) != RC_JWT_OK)
		return st;
	if ((st = rc_jwt_verify_signature(&jwt, KEY, KEYLEN)) != RC_JWT_OK)
		return st;
	if ((st = rc_jwt_parse_claims(&jwt, &policy, &claims)) != RC_JWT_OK)
		return st;
	return rc_jwt_check(&claims, &policy, now);
}

#define expect(tok, want, ...) \
	do { rc_jwt_status st_ = full((tok), NOW); \
		if (!is_int(st_, (want), __VA_ARGS__)) \
			printf("#   (%s)\n", rc_jwt_strerror(st_)); } while (0)

static void
test_rfc7515_a1(void)
{
	const char *tok =
		"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
		".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
		".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	const char *k64 = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	uint8_t		key[RC_B64URL_DECODED_MAX(86)];
	size_t		keylen = 0;
	rc_jwt		jwt;

	reset_policy();
	ok(rc_b64url_decode(k64, strlen(k64), key, &keylen) == 0 && keylen == 64,
	   "A.1: the published key decodes to 64 bytes");
	is_int(rc_jwt_parse(tok, strlen(tok), &jwt), RC_JWT_OK, "A.1: header parses");
	ok(jwt.alg == RC_JWT_HS256 && !jwt.has_kid && jwt.kid[0] == '\0', "A.1: HS256, no kid");
	is_int(jwt.signing_len, strchr(strchr(tok, '.') + 1, '.') - tok, "A.1: signing input length");
	is_int(rc_jwt_verify_signature(&jwt, key, keylen), RC_JWT_OK, "A.1: signature verifies");
	key[0] ^= 1;
	is_int(rc_jwt_verify_signature(&jwt, key, keylen), RC_JWT_BAD_SIGNATURE,
		   "A.1: one key bit off fails");
	key[0] ^= 1;
	is_int(rc_jwt_verify_signature(&jwt, key, keylen - 1), RC_JWT_BAD_SIGNATURE,
		   "A.1: a shorter key fails");
	/* the payload has no user or tenant claim; the others are still read */
	is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_BAD_CLAIM,
		   "A.1: no sub/tenantId claims -> BAD_CLAIM");
	ok(claims.has_exp && claims.exp == 1300819380 && !claims.has_nbf && !claims.has_iat,
	   "A.1: exp 1300819380 read");
	ok(claims.json_len == strlen(claims.json) && strstr(claims.json, "\"iss\":\"joe\"") != NULL &&
	   strstr(claims.json, "\r\n") != NULL, "A.1: payload decoded verbatim (with CRLF)");
	is_int(rc_jwt_check(&claims, &policy, 1300819370), RC_JWT_OK, "A.1: valid at 1300819370");
	is_int(rc_jwt_check(&claims, &policy, (int64_t) time(NULL)), RC_JWT_EXPIRED,
		   "A.1: expired now");
	policy.issuer = "joe";
	rc_jwt_parse_claims(&jwt, &policy, &claims);
	is_int(rc_jwt_check(&claims, &policy, 1300819370), RC_JWT_OK, "A.1: iss joe matches");
	policy.issuer = "Joe";
	rc_jwt_parse_claims(&jwt, &policy, &claims);
	is_int(rc_jwt_check(&claims, &policy, 1300819370), RC_JWT_BAD_ISSUER,
		   "A.1: iss is case-sensitive");
	reset_policy();
}

static void
test_roundtrip(void)
{
	static const rc_jwt_alg algs[] = {RC_JWT_HS256, RC_JWT_HS384, RC_JWT_HS512};
	static const size_t siglen[] = {43, 64, 86};
	const char *payload = "{" ID ",\"role\":\"admin\",\"email\":\"a@b.example\","
		"\"jti\":\"j-1\",\"iat\":1699999990,\"nbf\":1699999990,\"exp\":1700000900}";
	char		tok[1024];
	rc_jwt		jwt;
	size_t		i;
	int			withkid;

	reset_policy();
	for (i = 0; i < 3; i++)
		for (withkid = 0; withkid < 2; withkid++)
		{
			const char *name = rc_jwt_alg_name(algs[i]);
			const char *kid = withkid ? "key-2026\"01" : NULL;
			long		n = rc_jwt_sign(algs[i], kid, payload, strlen(payload), KEY, KEYLEN,
										tok, sizeof(tok));
			uint8_t		hdr[256];
			size_t		hlen = 0;
			const char *want = withkid ?
				"{\"alg\":\"%s\",\"kid\":\"key-2026\\\"01\",\"typ\":\"JWT\"}" :
				"{\"alg\":\"%s\",\"typ\":\"JWT\"}";
			char		wanthdr[128];

			ok(n > 0 && (size_t) n == strlen(tok), "%s%s: sign returns the length", name,
			   withkid ? "+kid" : "");
			snprintf(wanthdr, sizeof(wanthdr), want, name);
			rc_b64url_decode(tok, (size_t) (strchr(tok, '.') - tok), hdr, &hlen);
			ok(hlen == strlen(wanthdr) && memcmp(hdr, wanthdr, hlen) == 0,
			   "%s%s: header is %s", name, withkid ? "+kid" : "", wanthdr);
			is_int(strlen(strrchr(tok, '.') + 1), siglen[i], "%s: signature length", name);
			is_int(rc_jwt_parse(tok, (size_t) n, &jwt), RC_JWT_OK, "%s%s: parses", name,
				   withkid ? "+kid" : "");
			ok(jwt.alg == algs[i] && jwt.has_kid == (withkid != 0) &&
			   strcmp(jwt.kid, withkid ? kid : "") == 0, "%s: alg and kid read back", name);
			is_int(rc_jwt_verify_signature(&jwt, KEY, KEYLEN), RC_JWT_OK, "%s: verifies", name);
			is_int(rc_jwt_verify_signature(&jwt, KEY, KEYLEN - 1), RC_JWT_BAD_SIGNATURE,
				   "%s: other key fails", name);
			is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_OK, "%s: claims", name);
			ok(strcmp(claims.user, USER) == 0 && strcmp(claims.tenant, TENANT) == 0 &&
			   strcmp(claims.role, "admin") == 0 && strcmp(claims.email, "a@b.example") == 0 &&
			   strcmp(claims.jti, "j-1") == 0 && claims.exp == 1700000900 &&
			   claims.iat == 1699999990 && claims.nbf == 1699999990 &&
			   strcmp(claims.json, payload) == 0, "%s: every claim read", name);
			is_int(rc_jwt_check(&claims, &policy, NOW), RC_JWT_OK, "%s: valid now", name);
		}
	/* HS384 token checked as HS256 by a confused caller cannot pass */
	{
		long		n = rc_jwt_sign(RC_JWT_HS384, NULL, payload, strlen(payload), KEY, KEYLEN,
									tok, sizeof(tok));

		rc_jwt_parse(tok, (size_t) n, &jwt);
		jwt.alg = RC_JWT_HS256;
		is_int(rc_jwt_verify_signature(&jwt, KEY, KEYLEN), RC_JWT_MALFORMED,
			   "signature of the wrong length for alg is MALFORMED");
	}
	/* sign: buffer sizes, bad arguments */
	{
		long		n = rc_jwt_sign(RC_JWT_HS256, NULL, payload, strlen(payload), KEY, KEYLEN,
									tok, sizeof(tok));
		char		exact[1024];

		is_int(rc_jwt_sign(RC_JWT_HS256, NULL, payload, strlen(payload), KEY, KEYLEN,
						   exact, (size_t) n + 1), n, "sign fits exactly length + 1");
		is_int(rc_jwt_sign(RC_JWT_HS256, NULL, payload, strlen(payload), KEY, KEYLEN,
						   exact, (size_t) n), -1, "sign without room for the NUL is -1");
		is_int(rc_jwt_sign_len(RC_JWT_HS256, NULL, strlen(payload)), n,
			   "sign_len predicts the length");
		{
			const char *odd = "k\"\\\n\x01\x1f\xc3\xa9/";
			long		m = rc_jwt_sign(RC_JWT_HS512, odd, payload, strlen(payload), KEY, KEYLEN,
										exact, sizeof(exact));

			ok(m > 0 && rc_jwt_sign_len(RC_JWT_HS512, odd, strlen(payload)) == m,
			   "sign_len predicts the length with a kid that needs escaping");
			ok(rc_jwt_parse(exact, (size_t) m, &jwt) == RC_JWT_OK && strcmp(jwt.kid, odd) == 0,
			   "a kid with quotes and control characters round-trips");
		}
		is_int(rc_jwt_sign_len(RC_JWT_HS256, NULL, 0), -1, "sign_len of an empty payload");
		is_int(rc_jwt_sign_len((rc_jwt_alg) 4, NULL, 10), -1, "sign_len of an unknown alg");
		is_int(rc_jwt_sign_len(RC_JWT_HS256, NULL, 6083), RC_JWT_MAX_TOKEN,
			   "the largest payload with no kid under HS256 is 6083 bytes");
		is_int(rc_jwt_sign(RC_JWT_HS256, NULL, "", 0, KEY, KEYLEN, exact, sizeof(exact)), -1,
			   "sign of an empty payload is -1 (it would be an empty part)");
		is_int(rc_jwt_sign((rc_jwt_alg) 0, NULL, payload, strlen(payload), KEY, KEYLEN,
						   exact, sizeof(exact)), -1, "sign with alg 0 is -1");
		is_int(rc_jwt_sign(RC_JWT_HS256,
						   "01234567890123456789012345678901234567890123456789012345678901234",
						   payload, strlen(payload), KEY, KEYLEN, exact, sizeof(exact)), -1,
			   "sign with a 65-byte kid is -1");
		ok(rc_jwt_sign(RC_JWT_HS256,
					   "0123456789012345678901234567890123456789012345678901234567890123",
					   payload, strlen(payload), KEY, KEYLEN, exact, sizeof(exact)) > 0 &&
		   rc_jwt_parse(exact, strlen(exact), &jwt) == RC_JWT_OK && strlen(jwt.kid) == 64,
		   "a 64-byte kid signs and parses");
		ok(rc_jwt_sign(RC_JWT_HS256, "", payload, strlen(payload), KEY, KEYLEN, exact,
					   sizeof(exact)) > 0 && rc_jwt_parse(exact, strlen(exact), &jwt) == RC_JWT_OK &&
		   jwt.has_kid && jwt.kid[0] == '\0', "an empty kid is kept as present");
		is_int(rc_jwt_sign(RC_JWT_HS512, NULL, "{}", 2, (const uint8_t *) "", 0, exact,
						   sizeof(exact)) > 0, 1, "empty key signs");
	}
}

static void
test_tamper(void)
{
	const char *payload = "{" ID ",\"exp\":1700000900}";
	char		good[1024],
				bad[2048];
	char	   *dot1,
			   *dot2;
	char		p2[256];

	reset_policy();
	strcpy(good, mkp(payload));
	expect(good, RC_JWT_OK, "untampered token");
	dot1 = strchr(good, '.');
	dot2 = strchr(dot1 + 1, '.');

	/* payload swapped for another (valid) payload, old signature kept */
	b64("{" ID ",\"exp\":1800000900}", strlen("{" ID ",\"exp\":1800000900}"), p2);
	snprintf(bad, sizeof(bad), "%.*s.%s%s", (int) (dot1 - good), good, p2, dot2);
	expect(bad, RC_JWT_BAD_SIGNATURE, "tampered payload (exp extended)");
	/* header swapped: typ changed */
	b64("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", 27, p2);
	snprintf(bad, sizeof(bad), "%s%s", p2, dot1);
	expect(bad, RC_JWT_BAD_SIGNATURE, "tampered header");
	/* signature: first character changed */
	strcpy(bad, good);
	bad[dot2 - good + 1] = bad[dot2 - good + 1] == 'A' ? 'B' : 'A';
	expect(bad, RC_JWT_BAD_SIGNATURE, "tampered signature (first char)");
	/* signature: a middle character changed (every byte is compared) */
	strcpy(bad, good);
	bad[dot2 - good + 30] = bad[dot2 - good + 30] == 'A' ? 'B' : 'A';
	expect(bad, RC_JWT_BAD_SIGNATURE, "tampered signature (31st char)");
	/* signature: last character changed to a non-canonical one */
	strcpy(bad, good);
	bad[strlen(bad) - 1] = 'B';	/* canonical last chars have the low 2 bits 0 */
	expect(bad, RC_JWT_MALFORMED, "signature with non-canonical trailing bits");
	/* signature truncated or extended */
	strcpy(bad, good);
	bad[strlen(bad) - 1] = '\0';
	expect(bad, RC_JWT_MALFORMED, "signature one char short");
	snprintf(bad, sizeof(bad), "%sAAAA", good);
	expect(bad, RC_JWT_MALFORMED, "signature 4 chars long");
	/* HS256 token relabelled HS512 */
	expect(mk_with("{\"alg\":\"HS512\"}", payload, RC_HMAC_SHA256, KEY, KEYLEN),
		   RC_JWT_MALFORMED, "HS512 header with an HS256-sized signature");
	/* signed with HS512 but verified with the right alg and another key */
	expect(mk_with("{\"alg\":\"HS512\"}", payload, RC_HMAC_SHA512, (const uint8_t *) "x", 1),
		   RC_JWT_BAD_SIGNATURE, "HS512 signed with another key");
	expect(mk_with("{\"alg\":\"HS384\"}", payload, RC_HMAC_SHA384, KEY, KEYLEN),
		   RC_JWT_OK, "HS384 with a minimal header");
}

static void
test_alg(void)
{
	const char *payload = "{" ID ",\"exp\":1700000900}";
	char		tok[1024];
	char		p[256];

	reset_policy();
	expect(mk("{\"alg\":\"none\"}", payload), RC_JWT_BAD_ALG, "alg none");
	b64("{\"alg\":\"none\"}", 14, tok);
	b64(payload, strlen(payload), p);
	strcat(tok, ".");
	strcat(tok, p);
	strcat(tok, ".");
	expect(tok, RC_JWT_MALFORMED, "alg none with an empty signature");
	expect(mk("{\"alg\":\"hs256\"}", payload), RC_JWT_BAD_ALG, "alg hs256 (case)");
	expect(mk("{\"alg\":\"HS256 \"}", payload), RC_JWT_BAD_ALG, "alg with a trailing space");
	expect(mk("{\"alg\":\"RS256\"}", payload), RC_JWT_BAD_ALG, "alg RS256");
	expect(mk("{\"alg\":\"ES256\"}", payload), RC_JWT_BAD_ALG, "alg ES256");
	expect(mk("{\"alg\":\"\"}", payload), RC_JWT_BAD_ALG, "alg empty");
	expect(mk("{\"typ\":\"JWT\"}", payload), RC_JWT_BAD_ALG, "alg missing");
	expect(mk("{}", payload), RC_JWT_BAD_ALG, "empty header");
	expect(mk("{\"alg\":256}", payload), RC_JWT_BAD_ALG, "alg a number");
	expect(mk("{\"alg\":null}", payload), RC_JWT_BAD_ALG, "alg null");
	expect(mk("{\"alg\":[\"HS256\"]}", payload), RC_JWT_BAD_ALG, "alg an array");
	expect(mk("{\"alg\":\"HS\\u0032\\u0035\\u0036\"}", payload), RC_JWT_OK,
		   "alg written with escapes is still HS256");
	expect(mk("{\"alg\":\"HS256\",\"alg\":\"none\"}", payload), RC_JWT_MALFORMED,
		   "duplicate alg in the header");
	expect(mk("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", payload), RC_JWT_MALFORMED,
		   "crit present");
	expect(mk("{\"alg\":\"HS256\",\"crit\":[]}", payload), RC_JWT_MALFORMED, "empty crit");
	expect(mk("{\"alg\":\"HS256\",\"typ\":1}", payload), RC_JWT_MALFORMED, "typ a number");
	expect(mk("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"x5u\":{\"a\":[1]},\"zip\":null}", payload),
		   RC_JWT_OK, "unknown header fields and another typ allowed");
	expect(mk("{\"alg\":\"HS256\",\"kid\":7}", payload), RC_JWT_MALFORMED, "kid a number");
	expect(mk("{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}", payload), RC_JWT_MALFORMED,
		   "kid with an embedded NUL");
	expect(mk("{\"alg\":\"HS256\",\"kid\":"
			  "\"01234567890123456789012345678901234567890123456789012345678901234\"}", payload),
		   RC_JWT_MALFORMED, "kid of 65 bytes");
	{
		rc_jwt		jwt;
		const char *t = mk("{\"alg\":\"HS256\",\"kid\":\"k\\u00e9\\/1\"}", payload);

		ok(rc_jwt_parse(t, strlen(t), &jwt) == RC_JWT_OK && jwt.has_kid &&
		   strcmp(jwt.kid, "k\xc3\xa9/1") == 0, "kid escapes decoded");
	}
	{
		/* a header over 1024 decoded bytes, otherwise valid */
		char		h[1200];
		int			n = snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"x\":\"");

		memset(h + n, 'x', 1100 - (size_t) n);
		strcpy(h + 1100, "\"}");
		expect(mk(h, payload), RC_JWT_MALFORMED, "header over 1024 bytes");
		strcpy(h + 1022, "\"}");
		expect(mk(h, payload), RC_JWT_OK, "header of exactly 1024 bytes");
	}
	expect(mk("[\"HS256\"]", payload), RC_JWT_MALFORMED, "header an array");
	expect(mk("\"HS256\"", payload), RC_JWT_MALFORMED, "header a string");
	expect(mk("{\"alg\":\"HS256\"} ", payload), RC_JWT_OK, "header with trailing whitespace");
	expect(mk("{\"alg\":\"HS256\"}x", payload), RC_JWT_MALFORMED, "header with trailing garbage");
	expect(mk("{\"alg\":\"HS256\"", payload), RC_JWT_MALFORMED, "header JSON truncated");
	expect(mk("{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}", payload), RC_JWT_MALFORMED,
		   "header with invalid UTF-8");

	ok(rc_jwt_alg_from_name("HS256") == RC_JWT_HS256 && rc_jwt_alg_from_name("HS512") == RC_JWT_HS512 &&
	   rc_jwt_alg_from_name("HS384") == RC_JWT_HS384 && rc_jwt_alg_from_name("hs384") == 0 &&
	   rc_jwt_alg_from_name("none") == 0 && rc_jwt_alg_from_name(NULL) == 0,
	   "rc_jwt_alg_from_name");
	ok(strcmp(rc_jwt_alg_name(RC_JWT_HS512), "HS512") == 0 &&
	   rc_jwt_alg_name((rc_jwt_alg) 0) == NULL, "rc_jwt_alg_name");
}

static void
test_structure(void)
{
	const char *payload = "{" ID ",\"exp\":1700000900}";
	char		good[1024],
				bad[2048];
	char	   *dot1,
			   *dot2;
	rc_jwt		jwt;

	reset_policy();
	strcpy(good, mkp(payload));
	dot1 = strchr(good, '.');
	dot2 = strchr(dot1 + 1, '.');

	expect("", RC_JWT_MALFORMED, "empty token");
	expect("abc", RC_JWT_MALFORMED, "one part");
	expect("..", RC_JWT_MALFORMED, "three empty parts");
	snprintf(bad, sizeof(bad), "%.*s", (int) (dot2 - good), good);
	expect(bad, RC_JWT_MALFORMED, "two parts");
	snprintf(bad, sizeof(bad), "%s.", good);
	expect(bad, RC_JWT_MALFORMED, "four parts (trailing dot)");
	snprintf(bad, sizeof(bad), "%s.%s", good, dot2 + 1);
	expect(bad, RC_JWT_MALFORMED, "four parts");
	snprintf(bad, sizeof(bad), "%s", dot1);
	expect(bad, RC_JWT_MALFORMED, "empty header part");
	snprintf(bad, sizeof(bad), "%.*s.%s", (int) (dot1 - good), good, dot2);
	expect(bad, RC_JWT_MALFORMED, "empty payload part");
	snprintf(bad, sizeof(bad), "%.*s.", (int) (dot2 - good), good);
	expect(bad, RC_JWT_MALFORMED, "empty signature part");
	/* bad base64url in each part */
	snprintf(bad, sizeof(bad), "=%s", good);
	expect(bad, RC_JWT_MALFORMED, "'=' in the header");
	strcpy(bad, good);
	bad[1] = '+';
	expect(bad, RC_JWT_MALFORMED, "'+' in the header");
	strcpy(bad, good);
	bad[dot1 - good + 2] = '/';
	expect(bad, RC_JWT_BAD_SIGNATURE, "'/' in the payload (signature checked first)");
	ok(rc_jwt_parse(bad, strlen(bad), &jwt) == RC_JWT_OK &&
	   rc_jwt_parse_claims(&jwt, &policy, &claims) == RC_JWT_MALFORMED,
	   "'/' in the payload: parse_claims says MALFORMED");
	{
		/* a signed token whose payload is not base64url: MALFORMED after verify */
		char		t[1024];
		uint8_t		mac[32];
		size_t		o;

		snprintf(t, sizeof(t), "%.*s.e30=", (int) (dot1 - good), good);
		o = strlen(t);
		rc_hmac(RC_HMAC_SHA256, KEY, KEYLEN, t, o, mac);
		t[o++] = '.';
		b64((const char *) mac, 32, t + o);
		expect(t, RC_JWT_MALFORMED, "signed payload with '=' padding");
	}
	strcpy(bad, good);
	bad[strlen(bad) - 3] = '+';
	expect(bad, RC_JWT_MALFORMED, "'+' in the signature");
	snprintf(bad, sizeof(bad), "%s=", good);
	expect(bad, RC_JWT_MALFORMED, "'=' after the signature");
	snprintf(bad, sizeof(bad), " %s", good);
	expect(bad, RC_JWT_MALFORMED, "leading space");
	snprintf(bad, sizeof(bad), "%s\n", good);
	expect(bad, RC_JWT_MALFORMED, "trailing newline");
	ok(rc_jwt_parse(good, strlen(good) + 1, &jwt) == RC_JWT_MALFORMED,
	   "the NUL terminator inside len is MALFORMED");
	{
		/* Over RC_JWT_MAX_TOKEN: a long ignored claim */
		static char big[RC_JWT_MAX_TOKEN + 100];
		static char pl[RC_JWT_MAX_TOKEN];
		size_t		n;

		n = (size_t) snprintf(pl, sizeof(pl), "{" ID ",\"exp\":1700000900,\"pad\":\"");
		memset(pl + n, 'x', 6100 - n);
		strcpy(pl + 6100, "\"}");
		strcpy(big, mkp(pl));
		ok(strlen(big) > RC_JWT_MAX_TOKEN, "a %zu-byte token", strlen(big));
		expect(big, RC_JWT_MALFORMED, "token over RC_JWT_MAX_TOKEN");
		ok(rc_jwt_parse(big, RC_JWT_MAX_TOKEN + 1, &jwt) == RC_JWT_MALFORMED,
		   "length checked before anything else");

		/* the longest token: 36 + 1 + 8111 + 1 + 43 = 8192 characters */
		strcpy(pl + 6081, "\"}");
		strcpy(big, mkp(pl));
		is_int(strlen(big), RC_JWT_MAX_TOKEN, "a token of exactly RC_JWT_MAX_TOKEN");
		expect(big, RC_JWT_OK, "token of exactly RC_JWT_MAX_TOKEN accepted");

		/*
		 * The payload limit on its own (a full-size token cannot reach it
		 * with any header): call parse_claims on a hand-made rc_jwt.
		 */
		memset(pl + n, 'x', 6200 - n);
		strcpy(pl + 6142, "\"}");
		strcpy(big, mkp(pl));
		memset(&jwt, 0, sizeof(jwt));
		jwt.token = big;
		jwt.len = strlen(big);
		jwt.signing_len = (size_t) (strrchr(big, '.') - big);
		jwt.alg = RC_JWT_HS256;
		is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_OK,
			   "payload of exactly RC_JWT_MAX_PAYLOAD bytes accepted by parse_claims");
		is_int(claims.json_len, RC_JWT_MAX_PAYLOAD, "and kept whole");
		strcpy(pl + 6143, "\"}");
		strcpy(big, mkp(pl));
		jwt.len = strlen(big);
		jwt.signing_len = (size_t) (strrchr(big, '.') - big);
		is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_MALFORMED,
			   "payload of RC_JWT_MAX_PAYLOAD + 1 bytes is MALFORMED");
	}
	{
		/* more JSON tokens than RC_JWT_MAX_TOKENS */
		static char pl[4096];
		size_t		n = (size_t) snprintf(pl, sizeof(pl), "{" ID ",\"exp\":1700000900,\"a\":[");
		int			i;

		for (i = 0; i < 300; i++)
			n += (size_t) snprintf(pl + n, sizeof(pl) - n, "%s0", i ? "," : "");
		snprintf(pl + n, sizeof(pl) - n, "]}");
		expect(mkp(pl), RC_JWT_MALFORMED, "payload with over 256 JSON tokens");
	}
}

static void
test_claims(void)
{
	reset_policy();
	/* payload shape */
	expect(mkp("[1]"), RC_JWT_MALFORMED, "payload an array");
	expect(mkp("null"), RC_JWT_MALFORMED, "payload null");
	expect(mkp("not json"), RC_JWT_MALFORMED, "payload not JSON");
	expect(mkp("{" ID ",\"exp\":1700000900}x"), RC_JWT_MALFORMED,
		   "trailing garbage after the payload");
	expect(mkp("{" ID ",\"exp\":1700000900}{}"), RC_JWT_MALFORMED, "two payload objects");
	expect(mkp("{" ID ",\"exp\":1700000900} \n"), RC_JWT_OK, "trailing whitespace is fine");
	expect(mkp("{" ID ",\"exp\":1700000900,\"exp\":1800000000}"), RC_JWT_MALFORMED,
		   "duplicate exp");
	expect(mkp("{" ID ",\"exp\":1700000900,\"\\u0073ub\":\"" USER "\"}"), RC_JWT_MALFORMED,
		   "duplicate sub spelled with an escape");
	expect(mkp("{" ID ",\"exp\":1700000900,\"x\":\"\\ud800\"}"), RC_JWT_MALFORMED,
		   "lone surrogate in an ignored claim");

	/* exp */
	expect(mkp("{" ID "}"), RC_JWT_MISSING_EXP, "exp missing");
	expect(mkp("{" ID ",\"exp\":null}"), RC_JWT_BAD_CLAIM, "exp null");
	expect(mkp("{" ID ",\"exp\":\"1700000900\"}"), RC_JWT_BAD_CLAIM, "exp a string");
	expect(mkp("{" ID ",\"exp\":1699999999}"), RC_JWT_EXPIRED, "exp past");
	expect(mkp("{" ID ",\"exp\":1700000000}"), RC_JWT_EXPIRED, "exp == now is expired");
	expect(mkp("{" ID ",\"exp\":1700000001}"), RC_JWT_OK, "exp one second ahead");
	expect(mkp("{" ID ",\"exp\":1700000000.9}"), RC_JWT_EXPIRED, "fractional exp floors");
	expect(mkp("{" ID ",\"exp\":1.7000000015e9}"), RC_JWT_OK, "exp with an exponent");
	expect(mkp("{" ID ",\"exp\":1e400}"), RC_JWT_BAD_CLAIM, "exp 1e400 out of range");
	expect(mkp("{" ID ",\"exp\":99999999999999999999}"), RC_JWT_BAD_CLAIM,
		   "exp 20 digits out of range (no wrap to the past)");
	expect(mkp("{" ID ",\"exp\":9223372036854775807}"), RC_JWT_OK, "exp INT64_MAX is valid");
	expect(mkp("{" ID ",\"exp\":-1}"), RC_JWT_EXPIRED, "negative exp");
	policy.clock_skew = 30;
	expect(mkp("{" ID ",\"exp\":1699999975}"), RC_JWT_OK, "exp 25 s past within 30 s skew");
	expect(mkp("{" ID ",\"exp\":1699999970}"), RC_JWT_EXPIRED, "exp 30 s past with 30 s skew");
	expect(mkp("{" ID ",\"exp\":9223372036854775807}"), RC_JWT_OK,
		   "exp INT64_MAX plus skew does not overflow");
	policy.clock_skew = -30;
	expect(mkp("{" ID ",\"exp\":1700000001}"), RC_JWT_OK, "negative skew counts as 0");
	policy.clock_skew = 0;

	/* nbf, iat */
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":1700000001}"), RC_JWT_NOT_YET_VALID,
		   "nbf in the future");
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":1700000000}"), RC_JWT_OK, "nbf == now");
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":\"x\"}"), RC_JWT_BAD_CLAIM, "nbf a string");
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":-9223372036854775808}"), RC_JWT_OK,
		   "nbf INT64_MIN");
	policy.clock_skew = 30;
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":1700000030}"), RC_JWT_OK,
		   "nbf 30 s ahead within 30 s skew");
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":1700000031}"), RC_JWT_NOT_YET_VALID,
		   "nbf 31 s ahead with 30 s skew");
	expect(mkp("{" ID ",\"exp\":1700000900,\"nbf\":-9223372036854775808}"), RC_JWT_OK,
		   "nbf INT64_MIN minus skew does not overflow");
	policy.clock_skew = 0;
	expect(mkp("{" ID ",\"exp\":1700000900,\"iat\":true}"), RC_JWT_BAD_CLAIM, "iat a boolean");
	expect(mkp("{" ID ",\"exp\":1700000900,\"iat\":1800000000}"), RC_JWT_OK,
		   "iat in the future is not checked");

	/* aud */
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"x\"}"), RC_JWT_OK,
		   "aud not checked when not configured");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":7}"), RC_JWT_BAD_CLAIM,
		   "aud a number is BAD_CLAIM even when not configured");
	policy.audience = "roomcast";
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"roomcast\"}"), RC_JWT_OK, "aud string match");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"roomcast2\"}"), RC_JWT_BAD_AUDIENCE,
		   "aud string mismatch");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"Roomcast\"}"), RC_JWT_BAD_AUDIENCE,
		   "aud is case-sensitive");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":[\"a\",\"roomcast\"]}"), RC_JWT_OK,
		   "aud array match");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":[\"a\",\"b\"]}"), RC_JWT_BAD_AUDIENCE,
		   "aud array mismatch");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":[]}"), RC_JWT_BAD_AUDIENCE, "aud empty array");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":[\"roomcast\",1]}"), RC_JWT_BAD_CLAIM,
		   "aud array with a number");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":[[\"roomcast\"]]}"), RC_JWT_BAD_CLAIM,
		   "aud nested array");
	expect(mkp("{" ID ",\"exp\":1700000900}"), RC_JWT_BAD_AUDIENCE, "aud missing when configured");
	expect(mkp("{" ID ",\"exp\":1699999999,\"aud\":\"other\"}"), RC_JWT_BAD_AUDIENCE,
		   "wrong aud reported before expiry");
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"room\\u0063ast\"}"), RC_JWT_OK,
		   "aud with an escape matches");
	policy.audience = "";
	expect(mkp("{" ID ",\"exp\":1700000900,\"aud\":\"other\"}"), RC_JWT_OK,
		   "empty policy audience is not checked");

	/* iss */
	policy.issuer = "https://auth.example";
	expect(mkp("{" ID ",\"exp\":1700000900,\"iss\":\"https://auth.example\"}"), RC_JWT_OK,
		   "iss match");
	expect(mkp("{" ID ",\"exp\":1700000900,\"iss\":\"https:\\/\\/auth.example\"}"), RC_JWT_OK,
		   "iss with escaped slashes matches");
	expect(mkp("{" ID ",\"exp\":1700000900,\"iss\":\"https://auth.example/\"}"),
		   RC_JWT_BAD_ISSUER, "iss mismatch");
	expect(mkp("{" ID ",\"exp\":1700000900}"), RC_JWT_BAD_ISSUER, "iss missing when configured");
	expect(mkp("{" ID ",\"exp\":1700000900,\"iss\":[\"https://auth.example\"]}"),
		   RC_JWT_BAD_CLAIM, "iss an array");
	reset_policy();

	/* user and tenant */
	expect(mkp("{\"tenantId\":\"" TENANT "\",\"exp\":1700000900}"), RC_JWT_BAD_CLAIM, "sub missing");
	expect(mkp("{\"sub\":\"" USER "\",\"exp\":1700000900}"), RC_JWT_BAD_CLAIM, "tenantId missing");
	expect(mkp("{\"sub\":\"alice\",\"tenantId\":\"" TENANT "\",\"exp\":1700000900}"),
		   RC_JWT_BAD_CLAIM, "sub not a UUID");
	expect(mkp("{\"sub\":\"{" USER "}\",\"tenantId\":\"" TENANT "\",\"exp\":1700000900}"),
		   RC_JWT_BAD_CLAIM, "sub UUID in braces");
	expect(mkp("{\"sub\":\"6f1c3a528b0e4c9d9e2a1b2c3d4e5f60\",\"tenantId\":\"" TENANT
			   "\",\"exp\":1700000900}"), RC_JWT_BAD_CLAIM, "sub UUID without hyphens");
	expect(mkp("{\"sub\":\"" USER "\",\"tenantId\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g\","
			   "\"exp\":1700000900}"), RC_JWT_BAD_CLAIM, "tenantId with a non-hex digit");
	expect(mkp("{\"sub\":7,\"tenantId\":\"" TENANT "\",\"exp\":1700000900}"), RC_JWT_BAD_CLAIM,
		   "sub a number");
	expect(mkp("{\"sub\":\"" USER "\",\"tenantId\":null,\"exp\":1700000900}"), RC_JWT_BAD_CLAIM,
		   "tenantId null");
	expect(mkp("{\"sub\":\"6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F60\",\"tenantId\":"
			   "\"0A1b2C3d-4E5f-4A6b-8C7d-9E0f1A2b3C4d\",\"exp\":1700000900}"), RC_JWT_OK,
		   "upper- and mixed-case UUIDs accepted");
	ok(strcmp(claims.user, USER) == 0 && strcmp(claims.tenant, TENANT) == 0,
	   "UUIDs normalised to lowercase");
	expect(mkp("{\"sub\":\"\\u0036f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f60\",\"tenantId\":\"" TENANT
			   "\",\"exp\":1700000900}"), RC_JWT_OK, "UUID written with an escape");
	ok(strcmp(claims.user, USER) == 0, "escaped UUID decoded");
	expect(mkp("{\"meta\":{\"sub\":\"" USER "\",\"tenantId\":\"" TENANT "\"},\"exp\":1700000900}"),
		   RC_JWT_BAD_CLAIM, "user and tenant in a nested object do not count");

	/* configurable claim names */
	policy.claim_user = "uid";
	policy.claim_tenant = "https://example.com/org";
	expect(mkp("{\"uid\":\"" USER "\",\"https://example.com/org\":\"" TENANT "\",\"exp\":1700000900}"),
		   RC_JWT_OK, "custom claim names");
	ok(strcmp(claims.user, USER) == 0 && strcmp(claims.tenant, TENANT) == 0,
	   "custom claims read");
	expect(mkp("{" ID ",\"exp\":1700000900}"), RC_JWT_BAD_CLAIM,
		   "sub/tenantId ignored under custom names");
	expect(mkp("{\"uid\":\"" USER "\",\"https:\\/\\/example.com\\/org\":\"" TENANT
			   "\",\"exp\":1700000900,\"sub\":\"not-a-uuid\"}"), RC_JWT_OK,
		   "escaped custom name matches; sub is then an ordinary claim");
	reset_policy();

	/* string claims, escapes, unicode, nesting */
	expect(mkp("{" ID ",\"exp\":1700000900,\"role\":\"r\\u00f4le \\\"admin\\\"\","
			   "\"email\":\"j\xc3\xa9r\xc3\xb4me@\\u00e9xample.com\",\"jti\":\"\\ud83d\\ude00\","
			   "\"meta\":{\"a\":[1,{\"b\":[true,false,null]}],\"exp\":\"ignored\"},"
			   "\"n\":123456789012345678901234567890e999}"), RC_JWT_OK,
		   "escapes, unicode, nested objects and a huge ignored number");
	ok(strcmp(claims.role, "r\xc3\xb4le \"admin\"") == 0, "role decoded");
	ok(strcmp(claims.email, "j\xc3\xa9r\xc3\xb4me@\xc3\xa9xample.com") == 0, "email decoded");
	ok(strcmp(claims.jti, "\xf0\x9f\x98\x80") == 0, "jti surrogate pair decoded");
	ok(claims.exp == 1700000900, "nested exp did not override the top-level exp");
	expect(mkp("{" ID ",\"exp\":1700000900,\"role\":1}"), RC_JWT_BAD_CLAIM, "role a number");
	expect(mkp("{" ID ",\"exp\":1700000900,\"email\":null}"), RC_JWT_BAD_CLAIM, "email null");
	expect(mkp("{" ID ",\"exp\":1700000900,\"jti\":\"a\\u0000b\"}"), RC_JWT_BAD_CLAIM,
		   "jti with an embedded NUL");
	{
		char		pl[1024];
		int			n = snprintf(pl, sizeof(pl), "{" ID ",\"exp\":1700000900,\"role\":\"");

		memset(pl + n, 'r', RC_JWT_MAX_CLAIM);
		strcpy(pl + n + RC_JWT_MAX_CLAIM, "\"}");
		expect(mkp(pl), RC_JWT_OK, "role of RC_JWT_MAX_CLAIM bytes");
		is_int(strlen(claims.role), RC_JWT_MAX_CLAIM, "role kept whole");
		memset(pl + n, 'r', RC_JWT_MAX_CLAIM + 1);
		strcpy(pl + n + RC_JWT_MAX_CLAIM + 1, "\"}");
		expect(mkp(pl), RC_JWT_BAD_CLAIM, "role over RC_JWT_MAX_CLAIM is rejected, not truncated");
	}
	expect(mkp("{" ID ",\"exp\":1700000900}"), RC_JWT_OK, "absent optional claims");
	ok(claims.role[0] == '\0' && claims.email[0] == '\0' && claims.jti[0] == '\0' &&
	   !claims.has_nbf && !claims.has_iat, "absent claims are empty");
}

static void
test_helpers(void)
{
	char		out[37];

	ok(rc_secure_equal("abc", "abc", 3), "secure_equal equal");
	ok(!rc_secure_equal("abc", "abd", 3), "secure_equal last byte differs");
	ok(!rc_secure_equal("xbc", "abc", 3), "secure_equal first byte differs");
	ok(rc_secure_equal("a", "b", 0), "secure_equal of nothing");
	ok(rc_uuid_normalize("6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F60", 36, out) &&
	   strcmp(out, USER) == 0, "uuid_normalize lowercases");
	ok(!rc_uuid_normalize("6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F6", 35, out), "uuid 35 chars");
	ok(!rc_uuid_normalize("6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F600", 37, out), "uuid 37 chars");
	ok(!rc_uuid_normalize("6F1C3A52+8B0E-4C9D-9E2A-1B2C3D4E5F60", 36, out), "uuid bad separator");
	ok(!rc_uuid_normalize("6F1C3A5-28B0E-4C9D-9E2A-1B2C3D4E5F60", 36, out), "uuid misplaced hyphen");
	ok(!rc_uuid_normalize(" 6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F6", 36, out), "uuid with a space");
	ok(rc_uuid_normalize("00000000-0000-0000-0000-000000000000", 36, out), "nil uuid accepted");
	ok(!rc_uuid_normalize("6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F-0", 36, out), "uuid extra hyphen");
	ok(!rc_uuid_normalize("6F1C3A5288B0E-4C9D-9E2A-1B2C3D4E5F60", 36, out), "uuid hyphen missing");
	ok(!rc_uuid_normalize("------------------------------------", 36, out), "uuid all hyphens");
	ok(!rc_uuid_normalize("6g1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f60", 36, out), "uuid non-hex g");
	ok(!rc_uuid_normalize("6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6\xc3", 36, out), "uuid 8-bit byte");
	ok(rc_uuid_normalize("ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEF09", 36, out) &&
	   strcmp(out, "abcdefab-cdef-abcd-efab-cdefabcdef09") == 0, "every upper-case hex digit lowered");
	{
		/* every status has its own lowercase message */
		int			st,
					st2,
					distinct = 1;

		for (st = RC_JWT_OK; st <= RC_JWT_BAD_CLAIM; st++)
		{
			const char *m = rc_jwt_strerror((rc_jwt_status) st);

			if (m[0] < 'a' || m[0] > 'z' || strcmp(m, "unknown token error") == 0)
				distinct = 0;
			for (st2 = RC_JWT_OK; st2 < st; st2++)
				if (strcmp(m, rc_jwt_strerror((rc_jwt_status) st2)) == 0)
					distinct = 0;
		}
		ok(distinct, "every status has a distinct lowercase message");
	}
	ok(strcmp(rc_jwt_strerror(RC_JWT_BAD_SIGNATURE), "signature does not match") == 0 &&
	   strcmp(rc_jwt_strerror(RC_JWT_EXPIRED), "token has expired") == 0 &&
	   strcmp(rc_jwt_strerror((rc_jwt_status) 99), "unknown token error") == 0, "strerror");
	{
		rc_jwt		jwt;

		memset(&jwt, 0, sizeof(jwt));
		reset_policy();
		is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_MALFORMED,
			   "parse_claims of an unparsed rc_jwt is MALFORMED");
		is_int(rc_jwt_verify_signature(&jwt, KEY, KEYLEN), RC_JWT_MALFORMED,
			   "verify of an unparsed rc_jwt is MALFORMED");
		jwt.token = "nodots";
		jwt.len = 6;
		jwt.signing_len = 3;
		is_int(rc_jwt_parse_claims(&jwt, &policy, &claims), RC_JWT_MALFORMED,
			   "parse_claims of a token without a dot is MALFORMED");
	}
}

int
main(void)
{
	test_rfc7515_a1();
	test_roundtrip();
	test_tamper();
	test_alg();
	test_structure();
	test_claims();
	test_helpers();
	return tap_done();
}
