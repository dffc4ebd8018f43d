/*-------------------------------------------------------------------------
 *
 * identity.h
 *	  The transaction-local identity (tenant, user, role, claims) that
 *	  authenticate() and set_identity() establish and every RLS policy,
 *	  inbox function and event function reads.
 *
 *	  The identity is kept in hidden, superuser-only settings set with
 *	  SET LOCAL semantics: it ends with the transaction, is undone by a
 *	  rolled-back subtransaction, is copied into parallel workers, and
 *	  cannot be changed by an unprivileged SET.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_IDENTITY_H
#define ROOMCAST_IDENTITY_H

#include "postgres.h"
#include "utils/uuid.h"

#include "rc_uuid.h"

/* Characters of a uuid in canonical text form (8-4-4-4-12) */
#define RC_UUID_LEN RC_UUID_TEXT_LEN

typedef struct RcIdentity
{
	pg_uuid_t	tenant;			/* always set */
	pg_uuid_t	user;			/* valid when has_user */
	bool		has_user;
	const char *role;			/* e.g. "service", "admin", "member" */
} RcIdentity;

/*
 * Fill *out with the current identity. Returns false (and leaves *out
 * untouched) when no identity is set in this transaction.
 */
extern bool RcIdentityGet(RcIdentity *out);

/* Like RcIdentityGet, but raise RC401 when no identity is set */
extern void RcIdentityRequire(RcIdentity *out);

/* Like RcIdentityRequire, and also raise RC401 when there is no user */
extern void RcIdentityRequireUser(RcIdentity *out);

/*
 * Set the identity for the rest of the transaction. user may be NULL;
 * claims_json (may be NULL) is the verified claims object as JSON text.
 */
extern void RcIdentitySet(const pg_uuid_t *tenant, const pg_uuid_t *user,
						  const char *role, const char *claims_json);

/*
 * Verify token and set the identity from it, exactly as
 * roomcast.authenticate(token) does; raises RC401/RC402/RC403 on failure.
 * Returns the claims as a palloc'd JSON string.
 */
extern char *RcIdentityAuthenticate(const char *token, size_t len);

/* Format a uuid into buf (37 bytes) as the canonical lowercase text */
extern void RcUuidFormat(const pg_uuid_t *uuid, char *buf);

/* Parse canonical 8-4-4-4-12 uuid text; false when not a uuid */
extern bool RcUuidParse(const char *text, size_t len, pg_uuid_t *out);

#endif							/* ROOMCAST_IDENTITY_H */
