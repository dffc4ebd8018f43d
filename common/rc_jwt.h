/*
 * rc_jwt.h — JSON Web Tokens (RFC 7519) with HS256, HS384 and HS512.
 *
 * Shared by the extension (roomcast.sign / verify / authenticate) and the
 * notifier (verifying every CONNECT). No PostgreSQL or libwebsockets headers;
 * HMAC comes from OpenSSL's libcrypto. Verification is split in steps so the
 * caller can look up the key named by the header between parse and verify:
 *
 *     rc_jwt      jwt;
 *     rc_jwt_claims claims;
 *     if ((st = rc_jwt_parse(tok, len, &jwt)) != RC_JWT_OK) ...
 *     key = lookup(jwt.has_kid ? jwt.kid : newest, jwt.alg);   // caller's
 *     if ((st = rc_jwt_verify_signature(&jwt, key, keylen)) != RC_JWT_OK) ...
 *     if ((st = rc_jwt_parse_claims(&jwt, &policy, &claims)) != RC_JWT_OK) ...
 *     if ((st = rc_jwt_check(&claims, &policy, now)) != RC_JWT_OK) ...
 *
 * An rc_jwt holds copies of everything it needs (nothing points into the
 * token after rc_jwt_parse returns except `token`), has no heap memory, and
 * needs no cleanup.
 */
#ifndef RC_JWT_H
#define RC_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rc_json.h"

/* Limits: a token longer than this is malformed (it would not fit a header) */
#define RC_JWT_MAX_TOKEN	8192
#define RC_JWT_MAX_KID		64
#define RC_JWT_MAX_PAYLOAD	6144	/* decoded payload bytes */
#define RC_JWT_MAX_TOKENS	256		/* JSON tokens in the payload */
#define RC_JWT_MAX_CLAIM	256		/* decoded bytes of one string claim we keep */

typedef enum rc_jwt_alg
{
	RC_JWT_HS256 = 1,
	RC_JWT_HS384,
	RC_JWT_HS512
} rc_jwt_alg;

typedef enum rc_jwt_status
{
	RC_JWT_OK = 0,
	RC_JWT_MALFORMED,			/* not three base64url parts, bad JSON, too long */
	RC_JWT_BAD_ALG,				/* alg missing, "none", or not HS256/384/512 */
	RC_JWT_BAD_SIGNATURE,		/* HMAC does not match */
	RC_JWT_MISSING_EXP,			/* no exp claim */
	RC_JWT_EXPIRED,				/* exp + skew <= now */
	RC_JWT_NOT_YET_VALID,		/* nbf - skew > now */
	RC_JWT_BAD_AUDIENCE,		/* aud configured and not matched */
	RC_JWT_BAD_ISSUER,			/* iss configured and not matched */
	RC_JWT_BAD_CLAIM			/* user/tenant claim missing or not a UUID, or a
								 * registered claim of the wrong type */
} rc_jwt_status;

/* The parsed header and the location of the parts */
typedef struct rc_jwt
{
	const char *token;			/* the caller's token (not copied) */
	size_t		len;
	size_t		signing_len;	/* bytes of "header.payload" */
	rc_jwt_alg	alg;
	bool		has_kid;
	char		kid[RC_JWT_MAX_KID + 1];
} rc_jwt;

/* What the verifier checks besides the signature */
typedef struct rc_jwt_policy
{
	const char *claim_user;		/* name of the user claim, e.g. "sub" (NULL: "sub") */
	const char *claim_tenant;	/* name of the tenant claim, e.g. "tenantId"
								 * (NULL: "tenantId") */
	const char *audience;		/* NULL or "": not checked */
	const char *issuer;			/* NULL or "": not checked */
	int64_t		clock_skew;		/* seconds allowed on exp and nbf */
} rc_jwt_policy;

/* The decoded payload and the claims roomcast uses */
typedef struct rc_jwt_claims
{
	char		json[RC_JWT_MAX_PAYLOAD + 1];	/* the payload, NUL-terminated */
	size_t		json_len;
	char		user[37];		/* canonical lowercase UUID text */
	char		tenant[37];
	char		role[RC_JWT_MAX_CLAIM + 1];		/* "" when absent */
	char		email[RC_JWT_MAX_CLAIM + 1];	/* "" when absent */
	char		jti[RC_JWT_MAX_CLAIM + 1];		/* "" when absent */
	bool		has_exp, has_nbf, has_iat;
	int64_t		exp, nbf, iat;
	bool		audience_ok;	/* policy audience absent, or among aud */
	bool		issuer_ok;		/* policy issuer absent, or equal to iss */
} rc_jwt_claims;

/* "HS256" → RC_JWT_HS256; 0 when not one of the three */
rc_jwt_alg	rc_jwt_alg_from_name(const char *name);
const char *rc_jwt_alg_name(rc_jwt_alg alg);

/* A short lowercase description of a status, e.g. "signature does not match" */
const char *rc_jwt_strerror(rc_jwt_status st);

/* Split the token and parse its header (alg, kid) */
rc_jwt_status rc_jwt_parse(const char *token, size_t len, rc_jwt *jwt);

/* Check the HMAC of header.payload with key, in constant time */
rc_jwt_status rc_jwt_verify_signature(const rc_jwt *jwt, const uint8_t *key, size_t keylen);

/*
 * Decode and strictly parse the payload (an object; no duplicate keys, no
 * trailing garbage), and extract the claims. exp/nbf/iat must be numbers,
 * aud a string or array of strings, iss a string, when present. The user
 * and tenant claims must be UUID strings (any case; stored lowercase).
 * When the only fault is a missing user or tenant claim, BAD_CLAIM is
 * returned with every other claim already filled in; after any other
 * error the contents of *claims are unspecified. (docs/jwt.md has the
 * complete list of what each status means.)
 */
rc_jwt_status rc_jwt_parse_claims(const rc_jwt *jwt, const rc_jwt_policy *policy,
								  rc_jwt_claims *claims);

/*
 * Check aud and iss, then exp (required), then nbf against policy at time
 * now (seconds): a token for another audience or issuer is BAD_AUDIENCE /
 * BAD_ISSUER even when it has also expired.
 */
rc_jwt_status rc_jwt_check(const rc_jwt_claims *claims, const rc_jwt_policy *policy,
						   int64_t now);

/*
 * Sign payload_json (a JSON object, not validated here) with key into out,
 * which holds outsize bytes. kid may be NULL. Writes a NUL-terminated token
 * and returns its length, or -1 if outsize is too small.
 */
long		rc_jwt_sign(rc_jwt_alg alg, const char *kid, const char *payload_json,
						size_t payload_len, const uint8_t *key, size_t keylen,
						char *out, size_t outsize);

/*
 * Length of the token rc_jwt_sign would write for these arguments (without
 * the NUL), or -1 when it would refuse them. Lets a caller allocate exactly
 * and reject, before signing, a token over RC_JWT_MAX_TOKEN that
 * rc_jwt_parse would turn away. (Added after the first contract.)
 */
long		rc_jwt_sign_len(rc_jwt_alg alg, const char *kid, size_t payload_len);

/* True if the n bytes of a and b are equal; time independent of content */
bool		rc_secure_equal(const void *a, const void *b, size_t n);

#endif
