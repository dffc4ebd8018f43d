/*-------------------------------------------------------------------------
 *
 * isolation.c
 *	  Tenant isolation for application tables: protect() and unprotect().
 *	  (isolation_report() is a query over the catalogs, in
 *	  extension/ddl/30_isolation.ddl.sql.)
 *
 *	  protect() runs its DDL as the caller, so only the table's owner (or
 *	  a superuser) can protect or unprotect a table.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_index.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#define RC_POLICY_NAME "roomcast_tenant_isolation"

/* Raise unless relid is a table (plain or partitioned) */
static void
CheckTable(Oid relid)
{
	char		kind = get_rel_relkind(relid);

	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("Only tables and partitioned tables can be protected.")));
}

/* The attribute number of the uuid tenant column, or an error */
static AttrNumber
CheckTenantColumn(Oid relid, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, get_rel_name(relid)),
				 errdetail("protect() needs the column that holds the tenant id.")));
	if (get_atttype(relid, attnum) != UUIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("tenant column \"%s\" is of type %s, not uuid",
						column, format_type_be(get_atttype(relid, attnum))),
				 errdetail("roomcast.current_tenant() returns uuid, so the tenant column must be uuid.")));
	return attnum;
}

/* True if some index of relid has attnum as its first key column */
static bool
HasLeadingIndex(Oid relid, AttrNumber attnum)
{
	Relation	rel = table_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;

		if (!HeapTupleIsValid(tup))
			continue;
		index = (Form_pg_index) GETSTRUCT(tup);
		if (index->indnkeyatts > 0 && index->indkey.values[0] == attnum)
			found = true;
		ReleaseSysCache(tup);
		if (found)
			break;
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return found;
}

/* True if relid has a policy named name */
static bool
HasPolicy(Oid relid, const char *name)
{
	Relation	pol = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData skey[2];
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&skey[0], Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&skey[1], Anum_pg_policy_polname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(name));
	scan = systable_beginscan(pol, PolicyPolrelidPolnameIndexId, true, NULL, 2, skey);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(pol, AccessShareLock);
	return found;
}

/* True if relid has any policy at all */
static bool
HasAnyPolicy(Oid relid)
{
	Relation	pol = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData skey;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&skey, Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(pol, PolicyPolrelidPolnameIndexId, true, NULL, 1, &skey);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(pol, AccessShareLock);
	return found;
}

/* Run one DDL statement (inside a pinned SPI section) */
static void
RunDDL(const char *sql)
{
	RcSpiExec(sql, 0, NULL, NULL, NULL, false, 0, SPI_OK_UTILITY, sql);
}

/* SQL function: protect(rel regclass, tenant_column name) returns void */
PG_FUNCTION_INFO_V1(roomcast_protect);
Datum
roomcast_protect(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *column = NameStr(*PG_GETARG_NAME(1));
	char	   *qualified;
	const char *qcol = quote_identifier(column);
	AttrNumber	attnum;
	RcSpiSection spi;

	CheckTable(relid);
	attnum = CheckTenantColumn(relid, column);
	qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										   get_rel_name(relid));
	RcSpiConnect(&spi);
	RunDDL(psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", qualified));
	RunDDL(psprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY", qualified));
	/* Recreate the policy so a changed tenant column takes effect */
	if (HasPolicy(relid, RC_POLICY_NAME))
		RunDDL(psprintf("DROP POLICY %s ON %s", RC_POLICY_NAME, qualified));
	/* The policy's "=" is bound now, for good: name it explicitly */
	RunDDL(psprintf("CREATE POLICY %s ON %s USING (%s OPERATOR(pg_catalog.=) roomcast.current_tenant()) "
					"WITH CHECK (%s OPERATOR(pg_catalog.=) roomcast.current_tenant())",
					RC_POLICY_NAME, qualified, qcol, qcol));
	if (!HasLeadingIndex(relid, attnum))
		RunDDL(psprintf("CREATE INDEX ON %s (%s)", qualified, qcol));
	RcSpiFinish(&spi);
	PG_RETURN_VOID();
}

/* SQL function: unprotect(rel regclass) returns void */
PG_FUNCTION_INFO_V1(roomcast_unprotect);
Datum
roomcast_unprotect(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *qualified;
	bool		others;
	RcSpiSection spi;

	CheckTable(relid);
	qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										   get_rel_name(relid));
	RcSpiConnect(&spi);
	if (HasPolicy(relid, RC_POLICY_NAME))
		RunDDL(psprintf("DROP POLICY %s ON %s", RC_POLICY_NAME, qualified));
	/* Leave RLS on when the application has policies of its own */
	others = HasAnyPolicy(relid);
	if (!others)
	{
		RunDDL(psprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY", qualified));
		RunDDL(psprintf("ALTER TABLE %s DISABLE ROW LEVEL SECURITY", qualified));
	}
	RcSpiFinish(&spi);
	PG_RETURN_VOID();
}
