/*-------------------------------------------------------------------------
 *
 * roomcast.h
 *	  Declarations shared by every file of the roomcast extension: the
 *	  SQLSTATEs of SPEC §1, the error helper, and each subsystem's
 *	  initialisation entry point (called once from _PG_init).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_H
#define ROOMCAST_H

#include "postgres.h"

/*---- SQLSTATEs (SPEC §1); the notifier maps them to the codes in brackets ----*/
#define RC_ERRCODE_UNAUTHORIZED		MAKE_SQLSTATE('R','C','4','0','1')	/* UNAUTHORIZED */
#define RC_ERRCODE_INVALID_TOKEN	MAKE_SQLSTATE('R','C','4','0','2')	/* INVALID_TOKEN */
#define RC_ERRCODE_TOKEN_EXPIRED	MAKE_SQLSTATE('R','C','4','0','3')	/* TOKEN_EXPIRED */
#define RC_ERRCODE_FORBIDDEN		MAKE_SQLSTATE('R','C','4','0','4')	/* FORBIDDEN */
#define RC_ERRCODE_LIMIT_EXCEEDED	MAKE_SQLSTATE('R','C','4','1','3')	/* LIMIT_EXCEEDED */
#define RC_ERRCODE_RATE_LIMITED		MAKE_SQLSTATE('R','C','4','2','9')	/* RATE_LIMITED */

/*---- subsystem initialisation, each defines its own GUCs ----*/
extern void RcIdentityInit(void);
extern void RcEventsInit(void);
extern void RcLoaderInit(void);
extern void RcSessionsInit(void);
extern void RcJobsInit(void);

/* The caller's user and security context, saved while acting as the owner */
typedef struct RcSavedUser
{
	Oid			userid;
	int			sec_context;
} RcSavedUser;

/*
 * Act as the owner of the extension's tables (RcOwnerOid: the superuser
 * that created the extension), in a restricted security context, until
 * RcRestoreUser. Signing keys, refresh tokens, the event log and the inbox
 * are read and written only this way, so callers cannot touch them
 * directly and their invariants (exact counters, commit-ordered log) hold;
 * every statement run like this carries explicit tenant predicates. An
 * error in between is safe: (sub)transaction abort restores the user.
 */
extern void RcBecomeOwner(RcSavedUser *saved);
extern void RcRestoreUser(const RcSavedUser *saved);
extern Oid	RcOwnerOid(void);

/* Raise 42501 unless the current role is a member of roomcast_service (or superuser) */
extern void RcRequireService(const char *what);

#endif							/* ROOMCAST_H */
