/*-------------------------------------------------------------------------
 *
 * index_advice.c
 *	  roomcast.index_advice() (SPEC §6): indexes to create and to drop,
 *	  each with its reason and the DDL that applies it without blocking
 *	  writes, so that
 *
 *		SELECT ddl FROM roomcast.index_advice() \gexec
 *
 *	  applies all of it. Every row's ddl is ONE statement (CONCURRENTLY
 *	  cannot run inside a transaction block, so statements cannot be
 *	  joined); a partitioned table gets several rows, in the order they
 *	  must run: CREATE INDEX … ON ONLY parent, then per partition CREATE
 *	  INDEX CONCURRENTLY and ALTER INDEX … ATTACH PARTITION.
 *
 *	  What is advised, in this order:
 *	  1. foreign keys whose columns are not the leading columns (in any
 *		 order) of a valid, non-partial btree index: deletes and key
 *		 updates of the referenced table scan the referencing one;
 *	  2. tables under a tenant policy (column = roomcast.current_tenant())
 *		 with no index leading with the tenant column;
 *	  3. duplicate indexes: a plain index whose key columns are a leading
 *		 prefix of another index's (same opclass, collation, order);
 *	  4. unused indexes: never scanned since statistics were reset while
 *		 other indexes of the table were (sequential scans are no evidence:
 *		 building an index counts as one, and a table only ever scanned
 *		 sequentially may be waiting for just this index), not unique or
 *		 constraint-backing, and not the last index covering a foreign key
 *		 or the tenant column.
 *
 *	  Only ordinary and partitioned tables outside the system schemas and
 *	  not belonging to an extension are looked at; a partition belongs to
 *	  an extension when its partition root does (partitions that an
 *	  extension creates at run time, like roomcast.events', are not
 *	  extension members themselves). The catalogs are read
 *	  with SPI (no table locks are taken); the decisions are made here,
 *	  the index names and DDL in index_ddl.c.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "index_advice.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* The tables advice is given about, as a CTE every catalog query starts with */
#define ADV_TABLES_CTE \
	"WITH adv_tables AS (" \
	" SELECT c.oid FROM pg_catalog.pg_class c" \
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'" \
	" AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'" \
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d" \
	"  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass" \
	"  AND d.objid = COALESCE(pg_catalog.pg_partition_root(c.oid)::pg_catalog.oid, c.oid)" \
	"  AND d.deptype = 'e')) "


/* Copy an int2[] / oid[] column of the current SPI row */
static void *
AdvGetArray(HeapTuple tuple, int col, Oid elemtype, int *n)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, SPI_tuptable->tupdesc, col, &isnull);
	ArrayType  *arr;
	Datum	   *elems;
	int			i;
	int16	   *i16;
	Oid		   *oids;

	*n = 0;
	if (isnull)
		return NULL;
	arr = DatumGetArrayTypeP(d);
	deconstruct_array(arr, elemtype, elemtype == INT2OID ? 2 : 4, true,
					  elemtype == INT2OID ? 's' : 'i', &elems, NULL, n);
	if (elemtype == INT2OID)
	{
		i16 = palloc(sizeof(int16) * (*n + 1));
		for (i = 0; i < *n; i++)
			i16[i] = DatumGetInt16(elems[i]);
		return i16;
	}
	oids = palloc(sizeof(Oid) * (*n + 1));
	for (i = 0; i < *n; i++)
		oids[i] = DatumGetObjectId(elems[i]);
	return oids;
}

static char *
AdvGetText(HeapTuple tuple, int col)
{
	return SPI_getvalue(tuple, SPI_tuptable->tupdesc, col);
}

static bool
AdvGetBool(HeapTuple tuple, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, SPI_tuptable->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

static int64
AdvGetInt64(HeapTuple tuple, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

Oid
AdvGetOid(HeapTuple tuple, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/* Run a catalog query inside the pinned section; elog on failure (the SQL is ours) */
void
AdvQuery(const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	RcSpiExec(sql, nargs, argtypes, args, NULL, true, 0, SPI_OK_SELECT,
			  "index_advice catalog query");
}

static int
AdvTableCmp(const void *a, const void *b)
{
	Oid			x = ((const AdvTable *) a)->oid;
	Oid			y = ((const AdvTable *) b)->oid;

	return x < y ? -1 : x > y ? 1 : 0;
}

static AdvTable *
AdvFindTable(AdvState *st, Oid relid)
{
	AdvTable	key;

	key.oid = relid;
	return bsearch(&key, st->tables, st->ntables, sizeof(AdvTable), AdvTableCmp);
}

typedef struct TenantWalk
{
	Oid			fn;				/* roomcast.current_tenant() */
	AttrNumber	att;			/* found column */
} TenantWalk;

/*
 * Strip implicit casts around an expression, and look inside a scalar
 * subquery of one column: (SELECT roomcast.current_tenant()) is the usual
 * way to have a policy call the function once per query.
 */
static Node *
AdvStrip(Node *n)
{
	for (;;)
	{
		if (n && IsA(n, RelabelType))
			n = (Node *) ((RelabelType *) n)->arg;
		else if (n && IsA(n, SubLink) && ((SubLink *) n)->subLinkType == EXPR_SUBLINK &&
				 IsA(((SubLink *) n)->subselect, Query) &&
				 list_length(((Query *) ((SubLink *) n)->subselect)->targetList) == 1 &&
				 ((Query *) ((SubLink *) n)->subselect)->rtable == NIL)
			n = (Node *) ((TargetEntry *) linitial(((Query *) ((SubLink *) n)->subselect)->targetList))->expr;
		else
			return n;
	}
}

/* Find "column = roomcast.current_tenant()" anywhere in a policy expression */
static bool
AdvTenantWalker(Node *node, TenantWalk *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		Node	   *l = AdvStrip(linitial(((OpExpr *) node)->args));
		Node	   *r = AdvStrip(lsecond(((OpExpr *) node)->args));
		int			i;

		for (i = 0; i < 2; i++)
		{
			if (IsA(l, Var) && ((Var *) l)->varattno > 0 && IsA(r, FuncExpr) &&
				((FuncExpr *) r)->funcid == w->fn)
			{
				w->att = ((Var *) l)->varattno;
				return true;
			}
			{
				Node	   *t = l;

				l = r;
				r = t;
			}
		}
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, AdvTenantWalker, (void *) w, 0);
	return expression_tree_walker(node, AdvTenantWalker, (void *) w);
}

/* Load the tables, their indexes and their tenant policies into st */
static void
AdvLoadCatalog(AdvState *st)
{
	uint64		i;
	Oid			tenant_fn;

	AdvQuery(ADV_TABLES_CTE
			 "SELECT c.oid, c.relnamespace, n.nspname, c.relname, c.relkind"
			 " FROM adv_tables t JOIN pg_catalog.pg_class c ON c.oid = t.oid"
			 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ORDER BY c.oid",
			 0, NULL, NULL);
	st->ntables = (int) SPI_processed;
	st->tables = palloc0(sizeof(AdvTable) * (st->ntables + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		AdvTable   *t = &st->tables[i];

		t->oid = AdvGetOid(tup, 1);
		t->nspoid = AdvGetOid(tup, 2);
		t->nspname = AdvGetText(tup, 3);
		t->relname = AdvGetText(tup, 4);
		t->relkind = AdvGetText(tup, 5)[0];
	}

	AdvQuery(ADV_TABLES_CTE
			 "SELECT i.indexrelid, i.indrelid, ic.relname, i.indnkeyatts, i.indkey::pg_catalog.int2[],"
			 " i.indclass::pg_catalog.oid[], i.indcollation::pg_catalog.oid[], i.indoption::pg_catalog.int2[],"
			 " i.indisunique, i.indisprimary OR i.indisexclusion OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
			 "  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')),"
			 " i.indexprs IS NOT NULL, pg_catalog.pg_get_expr(i.indpred, i.indrelid), am.amname,"
			 " i.indisvalid, ic.relispartition, ic.relkind = 'I',"
			 /* pg_partition_tree() is empty for a table that is not partitioned */
			 " (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_numscans(p.relid)) FROM"
			 "  (SELECT i.indexrelid AS relid UNION SELECT relid"
			 "   FROM pg_catalog.pg_partition_tree(i.indexrelid) WHERE isleaf) p)::int8,"
			 " (SELECT pg_catalog.sum((SELECT pg_catalog.sum(pg_catalog.pg_stat_get_numscans(x.indexrelid))"
			 "    FROM pg_catalog.pg_index x WHERE x.indrelid = p.relid)) FROM"
			 "  (SELECT i.indrelid AS relid UNION SELECT relid"
			 "   FROM pg_catalog.pg_partition_tree(i.indrelid) WHERE isleaf) p)::int8"
			 " FROM adv_tables t JOIN pg_catalog.pg_index i ON i.indrelid = t.oid"
			 " JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
			 " JOIN pg_catalog.pg_am am ON am.oid = ic.relam ORDER BY i.indexrelid",
			 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		AdvIndex   *x = palloc0(sizeof(AdvIndex));
		AdvTable   *t;
		int			n;

		x->oid = AdvGetOid(tup, 1);
		x->relid = AdvGetOid(tup, 2);
		x->name = AdvGetText(tup, 3);
		x->nkey = (int) AdvGetInt64(tup, 4);
		x->atts = AdvGetArray(tup, 5, INT2OID, &x->natts);
		x->opclass = AdvGetArray(tup, 6, OIDOID, &n);
		x->collation = AdvGetArray(tup, 7, OIDOID, &n);
		x->option = AdvGetArray(tup, 8, INT2OID, &n);
		x->unique = AdvGetBool(tup, 9);
		x->constraint = AdvGetBool(tup, 10);
		x->exprs = AdvGetBool(tup, 11);
		x->pred = AdvGetText(tup, 12);
		x->am = AdvGetText(tup, 13);
		x->valid = AdvGetBool(tup, 14);
		x->partition = AdvGetBool(tup, 15);
		x->partitioned = AdvGetBool(tup, 16);
		x->scans = AdvGetInt64(tup, 17);
		x->table_reads = AdvGetInt64(tup, 18);
		t = AdvFindTable(st, x->relid);
		if (t != NULL)
			t->indexes = lappend(t->indexes, x);
	}

	AdvQuery("SELECT pg_catalog.to_regprocedure('roomcast.current_tenant()')::pg_catalog.oid",
			 0, NULL, NULL);
	tenant_fn = AdvGetOid(SPI_tuptable->vals[0], 1);
	if (!OidIsValid(tenant_fn))
		return;
	AdvQuery(ADV_TABLES_CTE
			 "SELECT p.polrelid, COALESCE(p.polqual, p.polwithcheck)::pg_catalog.text"
			 " FROM adv_tables t JOIN pg_catalog.pg_class c ON c.oid = t.oid"
			 " JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid"
			 " WHERE c.relrowsecurity ORDER BY p.polrelid, p.polname",
			 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		AdvTable   *t = AdvFindTable(st, AdvGetOid(tup, 1));
		char	   *expr = AdvGetText(tup, 2);
		TenantWalk	w;

		if (t == NULL || expr == NULL || t->tenant_att != 0)
			continue;
		w.fn = tenant_fn;
		w.att = 0;
		if (AdvTenantWalker((Node *) stringToNode(expr), &w))
			t->tenant_att = w.att;
	}
}

/*
 * Does index x serve equality lookups on exactly the columns cols[0..n-1]
 * (in any order) as its leading key columns?
 */
static bool
AdvCovers(const AdvIndex *x, const int16 *cols, int n)
{
	int			i,
				j;

	if (!x->valid || x->pred != NULL || x->dropped || x->nkey < n)
		return false;
	if (strcmp(x->am, "btree") != 0 &&
		!(strcmp(x->am, "hash") == 0 && n == 1 && x->nkey == 1))
		return false;
	for (i = 0; i < n; i++)
	{
		bool		found = false;

		for (j = 0; j < n; j++)
			if (x->atts[i] == cols[j])
				found = true;
		if (!found)
			return false;
	}
	return true;
}

/* Is any index of t, or an index advised in this call, covering cols? */
static bool
AdvTableCovers(const AdvTable *t, const int16 *cols, int n, const AdvIndex *except)
{
	ListCell   *lc;

	foreach(lc, t->indexes)
	{
		AdvIndex   *x = lfirst(lc);

		if (x != except && AdvCovers(x, cols, n))
			return true;
	}
	foreach(lc, t->creates)
	{
		const int16 *c = lfirst(lc);
		AdvIndex	fake = {0};

		fake.valid = true;
		fake.am = "btree";
		fake.nkey = c[0];
		fake.atts = (int16 *) c + 1;
		if (AdvCovers(&fake, cols, n))
			return true;
	}
	return false;
}

/* Advise creating an index on cols of table t, unless one is advised already */
static void
AdvCreate(AdvState *st, AdvTable *t, const int16 *cols, int n, const char *reason)
{
	int16	   *rec;

	if (AdvTableCovers(t, cols, n, NULL))
		return;
	rec = palloc(sizeof(int16) * (n + 1));
	rec[0] = (int16) n;
	memcpy(rec + 1, cols, sizeof(int16) * n);
	t->creates = lappend(t->creates, rec);
	AdvEmitCreateDdl(st, t->oid, AdvColumnsArray(t->oid, cols, n), reason, t->oid, cols, n);
}

/* Advise dropping index x of table t */
static void
AdvDrop(AdvState *st, AdvTable *t, AdvIndex *x, const char *reason)
{
	AdvEmitDrop(st, t, x, reason);
	x->dropped = true;
}

/* 1. Foreign keys without an index leading with their columns */
static void
AdvForeignKeys(AdvState *st)
{
	uint64		i;
	int			nfk;
	struct
	{
		Oid			relid;
		char	   *conname;
		char	   *target;
		char	   *self;
		int16	   *cols;
		int			n;
	}		   *fks;

	AdvQuery(ADV_TABLES_CTE
			 "SELECT k.conrelid, k.conname, k.confrelid::pg_catalog.regclass::pg_catalog.text,"
			 " k.conkey::pg_catalog.int2[], k.conrelid::pg_catalog.regclass::pg_catalog.text"
			 " FROM adv_tables t JOIN pg_catalog.pg_constraint k ON k.conrelid = t.oid"
			 " WHERE k.contype = 'f' AND k.conparentid = 0"
			 " ORDER BY k.conrelid::pg_catalog.regclass::pg_catalog.text, k.conname",
			 0, NULL, NULL);
	nfk = (int) SPI_processed;
	fks = palloc(sizeof(*fks) * (nfk + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		fks[i].relid = AdvGetOid(tup, 1);
		fks[i].conname = AdvGetText(tup, 2);
		fks[i].target = AdvGetText(tup, 3);
		fks[i].cols = AdvGetArray(tup, 4, INT2OID, &fks[i].n);
		fks[i].self = AdvGetText(tup, 5);
	}
	for (i = 0; i < (uint64) nfk; i++)
	{
		AdvTable   *t = AdvFindTable(st, fks[i].relid);

		if (t == NULL)
			continue;
		AdvCreate(st, t, fks[i].cols, fks[i].n,
				  psprintf("foreign key %s to %s has no index leading with its columns (%s), so deletes and key updates in %s scan %s",
						   quote_identifier(fks[i].conname), fks[i].target,
						   AdvColumnList(t->oid, fks[i].cols, fks[i].n), fks[i].target, fks[i].self));
	}
}

/* 2. Tenant-protected tables without an index leading with the tenant column */
static void
AdvTenants(AdvState *st, AdvTable **order, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		AdvTable   *t = order[i];
		ListCell   *lc;
		bool		led = false;

		if (t->tenant_att == 0)
			continue;
		foreach(lc, t->indexes)
		{
			AdvIndex   *x = lfirst(lc);

			if (x->valid && x->pred == NULL && x->atts[0] == t->tenant_att)
				led = true;
		}
		foreach(lc, t->creates)
			if (((int16 *) lfirst(lc))[1] == t->tenant_att)
				led = true;
		if (!led)
			AdvCreate(st, t, &t->tenant_att, 1,
					  psprintf("table is isolated by a tenant policy on %s but no index leads with it, and every query filters on it",
							   quote_identifier(get_attname(t->oid, t->tenant_att, false))));
	}
}

/*
 * Is a (plain, droppable) index made redundant by b: its key columns are
 * a leading prefix of b's with the same opclass, collation and order, its
 * INCLUDE columns are in b, and both have the same predicate?
 */
static bool
AdvRedundant(const AdvIndex *a, const AdvIndex *b)
{
	int			i,
				j;

	if (a == b || b->dropped || !b->valid || b->exprs || a->exprs ||
		strcmp(a->am, "btree") != 0 || strcmp(b->am, "btree") != 0 ||
		a->nkey > b->nkey || (a->pred == NULL) != (b->pred == NULL) ||
		(a->pred != NULL && strcmp(a->pred, b->pred) != 0))
		return false;
	for (i = 0; i < a->nkey; i++)
		if (a->atts[i] != b->atts[i] || a->opclass[i] != b->opclass[i] ||
			a->collation[i] != b->collation[i] || a->option[i] != b->option[i])
			return false;
	for (i = a->nkey; i < a->natts; i++)
	{
		bool		found = false;

		for (j = 0; j < b->natts; j++)
			if (a->atts[i] == b->atts[j])
				found = true;
		if (!found)
			return false;
	}
	/* a unique index is only redundant next to an identical unique one */
	if (a->unique && !(b->unique && b->nkey == a->nkey))
		return false;
	/* of two identical indexes, keep the constraint's, else the older */
	if (a->nkey == b->nkey && a->natts == b->natts && (b->unique == a->unique) &&
		!b->constraint && a->oid < b->oid)
		return false;
	return true;
}

/* 3. Duplicate (prefix-redundant) indexes */
static void
AdvDuplicates(AdvState *st, AdvTable **order, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		AdvTable   *t = order[i];
		ListCell   *la;

		foreach(la, t->indexes)
		{
			AdvIndex   *a = lfirst(la);
			ListCell   *lb;
			AdvIndex   *keeper = NULL;

			if (a->constraint || a->partition || !a->valid || a->dropped)
				continue;
			/* name the widest index that makes a redundant: it stays */
			foreach(lb, t->indexes)
			{
				AdvIndex   *b = lfirst(lb);

				if (AdvRedundant(a, b) &&
					(keeper == NULL || b->nkey > keeper->nkey ||
					 (b->nkey == keeper->nkey && b->constraint && !keeper->constraint)))
					keeper = b;
			}
			if (keeper != NULL)
				AdvDrop(st, t, a,
						psprintf("index %s is redundant: its columns lead index %s (%s)",
								 quote_identifier(a->name), quote_identifier(keeper->name),
								 AdvColumnList(t->oid, keeper->atts, keeper->nkey)));
		}
	}
}

/* Would dropping x leave a foreign key or the tenant column without an index? */
static bool
AdvLastCover(AdvState *st, AdvTable *t, AdvIndex *x, List *fkcols)
{
	ListCell   *lc;

	if (t->tenant_att != 0 && x->atts[0] == t->tenant_att)
	{
		bool		other = false;

		foreach(lc, t->indexes)
		{
			AdvIndex   *y = lfirst(lc);

			if (y != x && !y->dropped && y->valid && y->pred == NULL &&
				y->atts[0] == t->tenant_att)
				other = true;
		}
		if (!other)
			return true;
	}
	foreach(lc, fkcols)
	{
		int16	   *c = lfirst(lc);

		if (AdvCovers(x, c + 1, c[0]) && !AdvTableCovers(t, c + 1, c[0], x))
			return true;
	}
	return false;
}

/* 4. Indexes never scanned although their table is read */
static void
AdvUnused(AdvState *st, AdvTable **order, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		AdvTable   *t = order[i];
		ListCell   *lc;
		List	   *fkcols = NIL;
		Oid			argtypes[1] = {OIDOID};
		Datum		args[1];
		uint64		r;

		args[0] = ObjectIdGetDatum(t->oid);
		AdvQuery("SELECT conkey::pg_catalog.int2[] FROM pg_catalog.pg_constraint"
				 " WHERE contype = 'f' AND conrelid = $1", 1, argtypes, args);
		for (r = 0; r < SPI_processed; r++)
		{
			int			nc;
			int16	   *cols = AdvGetArray(SPI_tuptable->vals[r], 1, INT2OID, &nc);
			int16	   *rec = palloc(sizeof(int16) * (nc + 1));

			rec[0] = (int16) nc;
			memcpy(rec + 1, cols, sizeof(int16) * nc);
			fkcols = lappend(fkcols, rec);
		}
		foreach(lc, t->indexes)
		{
			AdvIndex   *x = lfirst(lc);

			if (x->scans != 0 || x->unique || x->constraint || x->partition ||
				!x->valid || x->dropped || x->table_reads == 0 ||
				AdvLastCover(st, t, x, fkcols))
				continue;
			AdvDrop(st, t, x,
					psprintf("index %s has not been scanned since statistics were reset, while other indexes of the table were scanned %lld times",
							 quote_identifier(x->name), (long long) x->table_reads));
		}
	}
}

static int
AdvTableNameCmp(const void *a, const void *b)
{
	const AdvTable *x = *(AdvTable *const *) a;
	const AdvTable *y = *(AdvTable *const *) b;
	int			c = strcmp(x->nspname, y->nspname);

	return c ? c : strcmp(x->relname, y->relname);
}

/*
 * SQL function: index_advice() returns table (table_name regclass,
 * columns text[], reason text, ddl text)
 */
PG_FUNCTION_INFO_V1(index_advice);
Datum
index_advice(PG_FUNCTION_ARGS)
{
	AdvState	st = {0};
	AdvTable  **order;
	int			i;
	RcSpiSection spi;

	InitMaterializedSRF(fcinfo, 0);
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	RcSpiConnect(&spi);
	AdvLoadCatalog(&st);
	qsort(st.tables, st.ntables, sizeof(AdvTable), AdvTableCmp);
	order = palloc(sizeof(AdvTable *) * (st.ntables + 1));
	for (i = 0; i < st.ntables; i++)
		order[i] = &st.tables[i];
	qsort(order, st.ntables, sizeof(AdvTable *), AdvTableNameCmp);

	AdvForeignKeys(&st);
	AdvTenants(&st, order, st.ntables);
	AdvDuplicates(&st, order, st.ntables);
	AdvUnused(&st, order, st.ntables);
	RcSpiFinish(&spi);
	return (Datum) 0;
}
