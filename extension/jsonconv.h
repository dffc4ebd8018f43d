/*-------------------------------------------------------------------------
 *
 * jsonconv.h
 *	  JSON text already validated by common/rc_json → jsonb, without
 *	  PostgreSQL's JSON lexer.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_JSONCONV_H
#define ROOMCAST_JSONCONV_H

#include "postgres.h"

/*
 * The jsonb of claims text js (len bytes): a JSON object that common/rc_jwt
 * has accepted (so at most RC_JWT_MAX_TOKENS tokens), or that we built
 * ourselves (set_identity). Anything else is a bug: elog(ERROR).
 */
extern Datum RcClaimsToJsonb(const char *js, size_t len);

#endif							/* ROOMCAST_JSONCONV_H */
