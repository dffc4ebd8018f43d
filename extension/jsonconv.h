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
 * The jsonb of the JSON object js (len bytes). Text that is not a single
 * object, or has more than 512 tokens, goes through jsonb_in (which raises
 * the usual errors for invalid JSON).
 */
extern Datum RcJsonObjectToJsonb(const char *js, size_t len);

#endif							/* ROOMCAST_JSONCONV_H */
