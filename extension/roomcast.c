/*-------------------------------------------------------------------------
 *
 * roomcast.c
 *	  Module entry point: the magic block and _PG_init, which asks each
 *	  subsystem to define its settings. Nothing else lives here.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define every roomcast.* setting and reserve the prefix */
void
_PG_init(void)
{
	RcIdentityInit();
	RcEventsInit();
	RcLoaderInit();
	RcSessionsInit();
	RcJobsInit();

	MarkGUCPrefixReserved("roomcast");
}

/* The owner of the extension's tables: the owner of roomcast.signing_keys */
Oid
RcOwnerOid(void)
{
	static Oid	owner = InvalidOid;

	if (!OidIsValid(owner))
	{
		Oid			relid = get_relname_relid("signing_keys",
											  get_namespace_oid("roomcast", false));
		HeapTuple	tup;

		if (!OidIsValid(relid))
			elog(ERROR, "roomcast.signing_keys is missing");
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
		ReleaseSysCache(tup);
	}
	return owner;
}

/* Act as the owner until RcRestoreUser; see roomcast.h */
void
RcBecomeOwner(RcSavedUser *saved)
{
	Oid			owner = RcOwnerOid();

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* Return to the user saved by RcBecomeOwner */
void
RcRestoreUser(const RcSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}
