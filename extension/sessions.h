/*-------------------------------------------------------------------------
 *
 * sessions.h
 *	  Refresh-token sessions and the durable security-event recorder.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_SESSIONS_H
#define ROOMCAST_SESSIONS_H

#include "postgres.h"
#include "utils/uuid.h"

/* Why a refresh was refused; each becomes a roomcast.security_events.kind */
typedef enum RcSecurityKind
{
	RC_SEC_REFRESH_REUSE = 1,	/* "refresh_token_reuse" */
	RC_SEC_REFRESH_REVOKED,		/* "revoked_refresh_token" */
	RC_SEC_REFRESH_EXPIRED,		/* "expired_refresh_token" */
	RC_SEC_FINGERPRINT_MISMATCH,	/* "fingerprint_mismatch" */
	RC_SEC_DISABLED_USER		/* "disabled_user" */
} RcSecurityKind;

/* One security event and what to do with it; fits in bgw_extra */
typedef struct RcSecurityRecord
{
	uint8		kind;			/* RcSecurityKind */
	bool		revoke_family;	/* revoke every token of family */
	bool		kick;			/* disconnect user's sockets */
	pg_uuid_t	tenant;
	pg_uuid_t	user;
	pg_uuid_t	family;
	char		fingerprint[65];	/* presented fingerprint, truncated; "" if none */
} RcSecurityRecord;

/*
 * Write rec to roomcast.security_events (and apply its revocation and kick)
 * in a transaction of its own, committed before this returns, so that it
 * survives the error the caller raises next. Done by a short-lived
 * background worker; when none can be started the event is written to the
 * server log as a WARNING instead.
 */
extern void RcSecurityRecordDurably(const RcSecurityRecord *rec);

/* Queue {"c":"kick",...} on the roomcast channel for this transaction */
extern void RcNotifyKick(const pg_uuid_t *tenant, const pg_uuid_t *user, const char *reason);

#endif							/* ROOMCAST_SESSIONS_H */
