/*-------------------------------------------------------------------------
 *
 * token.h
 *	  JWT glue between PostgreSQL and common/rc_jwt: the verification
 *	  policy settings, the per-backend signing-key cache and the errors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_TOKEN_H
#define ROOMCAST_TOKEN_H

#include "postgres.h"

#include "rc_jwt.h"

/*
 * Verify token completely (structure, key, signature, claims, times,
 * audience, issuer) into *claims; raises RC402 or RC403 on any failure.
 */
extern void RcTokenVerify(const char *token, size_t len, rc_jwt_claims *claims);

/*
 * Sign the JSON object claims_json (must carry user and tenant claims)
 * with the newest active key, adding iat and exp = now + ttl_seconds unless
 * present. Returns a palloc'd token.
 */
extern char *RcTokenSign(const char *claims_json, size_t len, int64 ttl_seconds);

/* Names of the user and tenant claims (roomcast.claim_user / claim_tenant) */
extern const char *RcClaimUserName(void);
extern const char *RcClaimTenantName(void);

/* Seconds since the epoch by the verifier's clock (roomcast.clock_override) */
extern int64 RcTokenNow(void);

extern void RcTokenInit(void);

#endif							/* ROOMCAST_TOKEN_H */
