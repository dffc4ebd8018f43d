/*-------------------------------------------------------------------------
 *
 * rcspi.c
 *	  Pinned SPI sections, cached SPI plans and registrations; see rcspi.h
 *	  for why every statement of the extension goes through this file.
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
#include "utils/guc.h"
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

/* Open a section: pin search_path, then connect; see rcspi.h */
void
RcSpiConnect(RcSpiSection *s)
{
	s->guc_level = -1;
	/* Nested section: the path is already pinned, and stays so */
	if (namespace_search_path == NULL ||
		strcmp(namespace_search_path, RC_SPI_SEARCH_PATH) != 0)
	{
		/* As fmgr_security_definer applies a function's SET clause */
		s->guc_level = NewGUCNestLevel();
		(void) set_config_option("search_path", RC_SPI_SEARCH_PATH,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "roomcast: SPI_connect failed");
}

/* Close a section: disconnect, then give the caller its search_path back */
void
RcSpiFinish(RcSpiSection *s)
{
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "roomcast: SPI_finish failed");
	if (s->guc_level >= 0)
		AtEOXact_GUC(true, s->guc_level);
	s->guc_level = -1;
}

bool
RcSpiInSection(void)
{
	return namespace_search_path != NULL &&
		strcmp(namespace_search_path, RC_SPI_SEARCH_PATH) == 0;
}

/* Refuse to run a statement under any search_path but the pinned one */
static void
RcSpiCheckSection(const char *sql)
{
	if (!RcSpiInSection())
		elog(ERROR, "roomcast: statement run outside a pinned SPI section: %s", sql);
}

int
RcPlanExec(RcPlan *p, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc;

	RcSpiCheckSection(p->sql);
	if (p->plan == NULL)
		p->plan = RcSpiPrepareKeep(p->sql, p->nargs, p->argtypes);
	rc = SPI_execute_plan(p->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "roomcast: SPI_execute_plan failed (%s): %s",
			 SPI_result_code_string(rc), p->sql);
	return rc;
}

void
RcSpiExec(const char *sql, int nargs, Oid *argtypes, Datum *values,
		  const char *nulls, bool read_only, long count, int expected, const char *what)
{
	int			rc;

	RcSpiCheckSection(sql);
	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, read_only, count);
	if (rc != expected)
		elog(ERROR, "roomcast: %s failed (%s)", what, SPI_result_code_string(rc));
}

SPIPlanPtr
RcSpiPrepareKeep(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan;

	RcSpiCheckSection(sql);
	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "roomcast: SPI_prepare failed (%s): %s",
			 SPI_result_code_string(SPI_result), sql);
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "roomcast: SPI_keepplan failed");
	return plan;
}

void
RcSpiExecPlan(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only,
			  long count, int expected, const char *what)
{
	int			rc;

	RcSpiCheckSection(what);
	rc = SPI_execute_plan(plan, values, nulls, read_only, count);
	if (rc != expected)
		elog(ERROR, "roomcast: %s failed (%s)", what, SPI_result_code_string(rc));
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
	RcSpiSection spi;
	uint64		written;
	char		t[RC_UUID_LEN + 1];

	values[0] = UUIDPGetDatum(tenant);
	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	RcPlanExec(plan, values, nulls, false, 0);
	RcRestoreUser(&saved);
	written = SPI_processed;
	RcSpiFinish(&spi);
	if (written > 0)
	{
		RcUuidFormat(tenant, t);
		RcNotifyControl(control_kind, psprintf("\"tenant\":\"%s\"", t));
	}
	return written;
}
