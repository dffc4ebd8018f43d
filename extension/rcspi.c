/*-------------------------------------------------------------------------
 *
 * rcspi.c
 *	  Cached SPI plans and the owner switch; see rcspi.h.
 *
 *	  Memory: kept plans live in their own contexts under CacheMemoryContext.
 *	  Cached relation oids are forgotten on any relcache/namespace
 *	  invalidation so a dropped and re-created extension is found again.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "events.h"
#include "identity.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

static uint64 rc_cache_epoch = 1;
static bool callbacks_registered = false;

/* Forget cached relation oids after namespace changes */
static void
RcCacheReset(Datum arg, int cacheid, uint32 hashvalue)
{
	rc_cache_epoch++;
}

/* Forget cached relation oids after relcache invalidation */
static void
RcRelcacheReset(Datum arg, Oid relid)
{
	rc_cache_epoch++;
}

/* Register the invalidation callbacks once per backend */
static void
RcCacheCallbacks(void)
{
	if (callbacks_registered)
		return;
	CacheRegisterSyscacheCallback(NAMESPACEOID, RcCacheReset, (Datum) 0);
	CacheRegisterRelcacheCallback(RcRelcacheReset, (Datum) 0);
	callbacks_registered = true;
}

int
RcPlanExec(RcPlan *p, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc;

	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(p->sql, p->nargs, p->argtypes);

		if (plan == NULL)
			elog(ERROR, "roomcast: SPI_prepare failed (%s): %s",
				 SPI_result_code_string(SPI_result), p->sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "roomcast: SPI_keepplan failed");
		p->plan = plan;
	}
	rc = SPI_execute_plan(p->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "roomcast: SPI_execute_plan failed (%s): %s",
			 SPI_result_code_string(rc), p->sql);
	return rc;
}

/*
 * Cache slot layout: cache[0] is the oid, and the epoch it was read in is
 * kept alongside in a small table keyed by the slot address.
 */
typedef struct RcRelSlot
{
	Oid		   *slot;
	uint64		epoch;
} RcRelSlot;

static RcRelSlot rel_slots[16];
static int	n_rel_slots = 0;

Oid
RcRelid(const char *name, Oid *cache)
{
	int			i;

	for (i = 0; i < n_rel_slots; i++)
		if (rel_slots[i].slot == cache)
			break;
	if (OidIsValid(*cache) && i < n_rel_slots && rel_slots[i].epoch == rc_cache_epoch)
		return *cache;

	RcCacheCallbacks();
	*cache = get_relname_relid(name, get_namespace_oid("roomcast", false));
	if (!OidIsValid(*cache))
		elog(ERROR, "roomcast: relation roomcast.%s does not exist", name);
	if (i == n_rel_slots)
	{
		if (n_rel_slots == lengthof(rel_slots))
			elog(ERROR, "roomcast: too many cached relations");
		rel_slots[n_rel_slots++].slot = cache;
	}
	rel_slots[i].epoch = rc_cache_epoch;
	return *cache;
}

/* Write a room-kind or rpc-method registration; see rcspi.h */
uint64
RcRegistrationWrite(RcPlan *plan, Datum *values, const char *nulls, const char *control_kind)
{
	static const pg_uuid_t every_tenant = {{0}};
	RcIdentity	ident;
	const pg_uuid_t *tenant = RcIdentityGet(&ident) ? &ident.tenant : &every_tenant;
	RcSavedUser saved;
	uint64		written;
	char		t[RC_UUID_LEN + 1];

	values[0] = UUIDPGetDatum(tenant);
	SPI_connect();
	RcBecomeOwner(&saved);
	RcPlanExec(plan, values, nulls, false, 0);
	RcRestoreUser(&saved);
	written = SPI_processed;
	SPI_finish();
	if (written > 0)
	{
		RcUuidFormat(tenant, t);
		RcNotifyControl(control_kind, psprintf("\"tenant\":\"%s\"", t));
	}
	return written;
}
