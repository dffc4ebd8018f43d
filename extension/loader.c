/*-------------------------------------------------------------------------
 *
 * loader.c
 *	  Batched loaders (SPEC §6): load_many() and load_grouped() fetch the
 *	  rows of a whole batch of keys with ONE query, in the keys' order, as
 *	  the DataLoader contract wants (one result per key, NULL or [] when
 *	  nothing matches, duplicates allowed).
 *
 *	  The query runs as the caller through SPI (no SECURITY DEFINER), so
 *	  privileges and row-level security apply exactly as if the caller had
 *	  written it. Identifiers come from the catalogs, never from the
 *	  caller's text: the relation is a regclass, the key column is looked up
 *	  by name, and order_by is parsed into (column, direction, nulls) items
 *	  before any SQL is built; everything spliced is quote_identifier()'d.
 *
 *	  Plan cache: one SPI_keepplan'd plan per backend per (relation, key
 *	  column, key type, kind, ordering, per-key limit or not), kept in a
 *	  hash in CacheMemoryContext. A relcache invalidation of the relation (any DDL:
 *	  ADD/DROP/RENAME COLUMN, ALTER TYPE, rename, drop) marks its entries
 *	  stale; a stale plan is freed and prepared again on next use, because
 *	  the plan's SQL text names columns that may have changed.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_oper.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

/*---- GUC variables ----*/
static int	loader_max_keys = 1000;

/* At most this many columns in an order_by list */
#define LOADER_MAX_ORDER	8

#define LOADER_MANY		'm'
#define LOADER_GROUPED	'g'

/* One item of a parsed order_by list */
typedef struct LoaderOrderItem
{
	AttrNumber	attnum;			/* column of the loaded relation */
	bool		desc;			/* DESC rather than ASC */
	char		nulls;			/* 0 default, 'f' NULLS FIRST, 'l' NULLS LAST */
} LoaderOrderItem;

/* Hash key of a cached plan; zeroed before filling so it hashes as a blob */
typedef struct LoaderPlanKey
{
	Oid			relid;
	Oid			keytype;		/* element type of the keys array */
	AttrNumber	attnum;			/* key column */
	char		kind;			/* LOADER_MANY or LOADER_GROUPED */
	bool		limited;		/* grouped with a per-key limit */
	int			norder;
	LoaderOrderItem order[LOADER_MAX_ORDER];
} LoaderPlanKey;

typedef struct LoaderPlan
{
	LoaderPlanKey key;			/* hash key, must be first */
	SPIPlanPtr	plan;			/* kept plan, NULL until prepared */
	bool		stale;			/* relation changed since plan was prepared */
	int64		prepares;		/* times prepared in this backend */
	int64		calls;			/* times executed in this backend */
} LoaderPlan;

static HTAB *loader_plan_cache = NULL;

/* Mark the cached plans of a relation (all when relid is 0) stale */
static void
LoaderRelcacheCallback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	LoaderPlan *entry;

	if (loader_plan_cache == NULL)
		return;
	/* Only flag here: freeing a plan inside an invalidation is not safe */
	hash_seq_init(&status, loader_plan_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->key.relid == relid)
			entry->stale = true;
	}
}

/* Define roomcast.max_loader_keys and hook plan invalidation */
void
RcLoaderInit(void)
{
	DefineCustomIntVariable("roomcast.max_loader_keys",
							"Largest number of keys one load_many or load_grouped call accepts.",
							"Larger batches fail with RC413; they are never silently clipped.",
							&loader_max_keys,
							1000, 1, 100000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(LoaderRelcacheCallback, (Datum) 0);
}

/*
 * Check that relid is a relation rows can be read from; return its
 * schema-qualified, quoted name (palloc'd).
 */
static char *
LoaderCheckRelation(Oid relid)
{
	HeapTuple	tp;
	Form_pg_class form;
	char	   *result;

	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	form = (Form_pg_class) GETSTRUCT(tp);
	if (form->relkind != RELKIND_RELATION &&
		form->relkind != RELKIND_PARTITIONED_TABLE &&
		form->relkind != RELKIND_VIEW &&
		form->relkind != RELKIND_MATVIEW &&
		form->relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", NameStr(form->relname)),
				 errdetail("Loaders read tables, partitioned tables, views, materialized views and foreign tables.")));
	result = quote_qualified_identifier(get_namespace_name(form->relnamespace),
										NameStr(form->relname));
	ReleaseSysCache(tp);
	return result;
}

/* Return the attnum of a user column of relid, or raise 42703 */
static AttrNumber
LoaderCheckColumn(Oid relid, const char *colname)
{
	AttrNumber	attnum = get_attnum(relid, colname);

	/* get_attnum already hides dropped columns; system columns are not rows */
	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, get_rel_name(relid))));
	return attnum;
}

/*
 * Find the "=" operator between the key column and the key type and
 * return the quoted schema it lives in; raise 42804 when there is none.
 *
 * Never by the caller's search_path (SPEC §1): keys of the column's own
 * type use that type's equality (its default btree or hash opclass, as
 * GROUP BY would; e.g. citext's case-insensitive "="), other key types
 * only an "=" of pg_catalog (int4 column, int8 keys).
 */
static char *
LoaderCheckKeyType(Oid relid, AttrNumber attnum, Oid keytype)
{
	Oid			coltype = get_atttype(relid, attnum);
	Operator	op = NULL;
	Form_pg_operator form;
	char	   *nspname;

	if (getBaseType(coltype) == getBaseType(keytype))
	{
		TypeCacheEntry *tc = lookup_type_cache(coltype, TYPECACHE_EQ_OPR);

		if (OidIsValid(tc->eq_opr))
			op = SearchSysCache1(OPEROID, ObjectIdGetDatum(tc->eq_opr));
	}
	if (op == NULL)
		op = oper(NULL, list_make2(makeString("pg_catalog"), makeString("=")),
				  coltype, keytype, true, -1);
	if (op == NULL || ((Form_pg_operator) GETSTRUCT(op))->oprresult != BOOLOID)
	{
		char	   *coltypename = format_type_be(coltype);

		if (op != NULL)
			ReleaseSysCache(op);
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("keys of type %s do not match column \"%s\" of type %s",
						format_type_be(keytype), get_attname(relid, attnum, false),
						coltypename),
				 errdetail("There is no equality operator between %s and %s.",
						   coltypename, format_type_be(keytype)),
				 errhint("Pass the keys as %s[], for example $1::%s[].",
						 coltypename, coltypename)));
	}
	form = (Form_pg_operator) GETSTRUCT(op);
	nspname = pstrdup(quote_identifier(get_namespace_name(form->oprnamespace)));
	ReleaseSysCache(op);
	return nspname;
}

/* Raise 22023 for an order_by that is not a plain column list */
static void
LoaderBadOrderBy(const char *order_by, const char *at)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid order_by \"%s\"", order_by),
			 errdetail("Expected a comma-separated list of columns, each optionally followed by ASC or DESC and NULLS FIRST or NULLS LAST, at \"%s\".",
					   *at ? at : "end of text")));
}

/*
 * Read one identifier at *p: a double-quoted identifier ("" is a quote)
 * or a plain word, downcased as SQL does. Returns NULL when there is none.
 */
static char *
LoaderReadIdent(const char **p, bool *quoted)
{
	const char *s = *p;
	StringInfoData buf;

	initStringInfo(&buf);
	*quoted = (*s == '"');
	if (*quoted)
	{
		s++;
		for (;;)
		{
			if (*s == '\0')
				return NULL;
			if (*s == '"')
			{
				if (s[1] != '"')
					break;
				s++;
			}
			appendStringInfoChar(&buf, *s++);
		}
		s++;
		if (buf.len == 0)
			return NULL;
	}
	else
	{
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
			  IS_HIGHBIT_SET(*s)))
			return NULL;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '_' || *s == '$' || IS_HIGHBIT_SET(*s))
		{
			char		c = *s++;

			appendStringInfoChar(&buf, (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
		}
	}
	*p = s;
	return buf.data;
}

/* Skip blanks */
static const char *
LoaderSkipSpace(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Read an unquoted keyword at *p if it is kw (case-insensitive) */
static bool
LoaderReadKeyword(const char **p, const char *kw)
{
	const char *s = LoaderSkipSpace(*p);
	bool		quoted;
	const char *t = s;
	char	   *word = LoaderReadIdent(&t, &quoted);

	if (word == NULL || quoted || strcmp(word, kw) != 0)
		return false;
	*p = t;
	return true;
}

/*
 * Parse order_by into items[]: column [ASC|DESC] [NULLS FIRST|LAST], ...
 * Every column must exist in relid. Returns the number of items. Nothing
 * of the text ever reaches the SQL: only the attnums and flags do.
 */
static int
LoaderParseOrderBy(const char *order_by, Oid relid, LoaderOrderItem *items)
{
	const char *p = order_by;
	int			n = 0;

	for (;;)
	{
		bool		quoted;
		char	   *col;

		p = LoaderSkipSpace(p);
		col = LoaderReadIdent(&p, &quoted);
		if (col == NULL)
			LoaderBadOrderBy(order_by, p);
		if (n == LOADER_MAX_ORDER)
			ereport(ERROR,
					(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
					 errmsg("order_by has too many columns"),
					 errdetail("An order_by list may name at most %d columns.",
							   LOADER_MAX_ORDER)));
		items[n].attnum = LoaderCheckColumn(relid, col);
		items[n].desc = false;
		items[n].nulls = 0;
		if (LoaderReadKeyword(&p, "desc"))
			items[n].desc = true;
		else
			(void) LoaderReadKeyword(&p, "asc");
		if (LoaderReadKeyword(&p, "nulls"))
		{
			if (LoaderReadKeyword(&p, "first"))
				items[n].nulls = 'f';
			else if (LoaderReadKeyword(&p, "last"))
				items[n].nulls = 'l';
			else
				LoaderBadOrderBy(order_by, LoaderSkipSpace(p));
		}
		n++;
		p = LoaderSkipSpace(p);
		if (*p == '\0')
			return n;
		if (*p != ',')
			LoaderBadOrderBy(order_by, p);
		p++;
	}
}

/*
 * Append "alias.col [DESC] [NULLS …], …" for the key's ordering; with a
 * NULL alias (for display) columns are unqualified and may be gone.
 */
static void
LoaderAppendOrder(StringInfo sql, const LoaderPlanKey *key, const char *alias)
{
	int			i;

	for (i = 0; i < key->norder; i++)
	{
		const LoaderOrderItem *item = &key->order[i];

		char	   *attname = get_attname(key->relid, item->attnum, alias == NULL);

		appendStringInfo(sql, "%s%s%s%s%s%s", i ? ", " : "",
						 alias ? alias : "", alias ? "." : "",
						 attname ? quote_identifier(attname) : "?",
						 item->desc ? " DESC" : "",
						 item->nulls == 'f' ? " NULLS FIRST" :
						 item->nulls == 'l' ? " NULLS LAST" : "");
	}
}

/*
 * Build the one query of a loader. $1 is the keys array; for grouped
 * loads $2 is the per-key limit (NULL: no limit). Each result row is
 * (ordinal of the key, jsonb), ordered by the ordinal.
 */
static char *
LoaderBuildSql(const LoaderPlanKey *key, const char *relname, const char *opnsp)
{
	StringInfoData sql;
	const char *col = quote_identifier(get_attname(key->relid, key->attnum, false));

	initStringInfo(&sql);
	if (key->kind == LOADER_MANY)
	{
		appendStringInfo(&sql,
						 "SELECT rc_keys.rc_ord, pg_catalog.to_jsonb(rc_row.*)"
						 " FROM pg_catalog.unnest($1) WITH ORDINALITY AS rc_keys(rc_key, rc_ord)"
						 " LEFT JOIN %s AS rc_row ON rc_row.%s OPERATOR(%s.=) rc_keys.rc_key"
						 " ORDER BY rc_keys.rc_ord",
						 relname, col, opnsp);
		return sql.data;
	}

	if (!key->limited)
	{
		/*
		 * All rows of every key: one scan for all keys (an index scan on
		 * col = ANY($1), or one sequential scan when there is no index),
		 * grouped, then joined back to the keys in their order.
		 */
		appendStringInfo(&sql,
						 "SELECT rc_keys.rc_ord, COALESCE(rc_grp.rc_rows, '[]'::pg_catalog.jsonb)"
						 " FROM pg_catalog.unnest($1) WITH ORDINALITY AS rc_keys(rc_key, rc_ord)"
						 " LEFT JOIN (SELECT rc_row.%s AS rc_key,"
						 " pg_catalog.jsonb_agg(pg_catalog.to_jsonb(rc_row.*)",
						 col);
		if (key->norder > 0)
		{
			appendStringInfoString(&sql, " ORDER BY ");
			LoaderAppendOrder(&sql, key, "rc_row");
		}
		appendStringInfo(&sql,
						 ") AS rc_rows FROM %s AS rc_row"
						 " WHERE rc_row.%s OPERATOR(%s.=) ANY ($1) GROUP BY rc_row.%s) AS rc_grp"
						 " ON rc_grp.rc_key OPERATOR(%s.=) rc_keys.rc_key"
						 " ORDER BY rc_keys.rc_ord",
						 relname, col, opnsp, col, opnsp);
		return sql.data;
	}

	/*
	 * The first $2 rows of each key: a LIMIT per key, which an index on
	 * the column turns into a few rows read per key however large the
	 * groups are.
	 */
	appendStringInfoString(&sql,
						   "SELECT rc_keys.rc_ord, (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(rc_grp.*)");
	if (key->norder > 0)
	{
		appendStringInfoString(&sql, " ORDER BY ");
		LoaderAppendOrder(&sql, key, "rc_grp");
	}
	appendStringInfo(&sql,
					 "), '[]'::pg_catalog.jsonb) FROM (SELECT rc_row.* FROM %s AS rc_row"
					 " WHERE rc_row.%s OPERATOR(%s.=) rc_keys.rc_key",
					 relname, col, opnsp);
	if (key->norder > 0)
	{
		appendStringInfoString(&sql, " ORDER BY ");
		LoaderAppendOrder(&sql, key, "rc_row");
	}
	appendStringInfoString(&sql,
						   " LIMIT $2) AS rc_grp)"
						   " FROM pg_catalog.unnest($1) WITH ORDINALITY AS rc_keys(rc_key, rc_ord)"
						   " ORDER BY rc_keys.rc_ord");
	return sql.data;
}

/*
 * Return the cached plan for key, preparing it when missing or stale.
 * Must be called inside a pinned SPI section (RcSpiConnect).
 */
static LoaderPlan *
LoaderGetPlan(const LoaderPlanKey *key, const char *relname, const char *opnsp)
{
	LoaderPlan *entry;
	bool		found;
	Oid			argtypes[2];
	SPIPlanPtr	plan;

	if (loader_plan_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(LoaderPlanKey);
		ctl.entrysize = sizeof(LoaderPlan);
		ctl.hcxt = CacheMemoryContext;
		loader_plan_cache = hash_create("roomcast loader plans", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(loader_plan_cache, key, HASH_ENTER, &found);
	if (!found)
	{
		entry->plan = NULL;
		entry->stale = false;
		entry->prepares = 0;
		entry->calls = 0;
	}
	if (entry->plan != NULL && !entry->stale)
		return entry;

	if (entry->plan != NULL)
	{
		SPI_freeplan(entry->plan);
		entry->plan = NULL;
	}
	/* An error below leaves plan NULL, so the next call prepares again */
	argtypes[0] = get_array_type(key->keytype);
	argtypes[1] = INT8OID;
	plan = RcSpiPrepareKeep(LoaderBuildSql(key, relname, opnsp), key->limited ? 2 : 1, argtypes);
	entry->plan = plan;
	entry->stale = false;
	entry->prepares++;
	return entry;
}

/*
 * Validate the arguments, run the loader's one query and return its rows
 * as a materialized set, one jsonb per key in key order.
 */
static Datum
LoaderRun(FunctionCallInfo fcinfo, char kind)
{
	Oid			relid = PG_GETARG_OID(0);
	Name		colname = PG_GETARG_NAME(1);
	ArrayType  *keys = PG_GETARG_ARRAYTYPE_P(2);
	LoaderPlanKey key;
	char	   *relname;
	char	   *opnsp;
	int			nkeys;
	LoaderPlan *entry;
	Datum		values[2];
	char		nulls[3] = "  ";
	ReturnSetInfo *rsinfo;
	int64		prev_ord = 0;
	uint64		i;
	RcSpiSection spi;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	/*
	 * Take the lock the query will take anyway, now: it processes pending
	 * invalidations, so the column lookup below and the stale flags of our
	 * plans reflect DDL committed by other sessions since this transaction
	 * last looked at the relation.
	 */
	LockRelationOid(relid, AccessShareLock);

	memset(&key, 0, sizeof(key));
	key.relid = relid;
	key.kind = kind;
	key.keytype = ARR_ELEMTYPE(keys);
	relname = LoaderCheckRelation(relid);
	key.attnum = LoaderCheckColumn(relid, NameStr(*colname));
	opnsp = LoaderCheckKeyType(relid, key.attnum, key.keytype);

	if (ARR_NDIM(keys) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("keys must be a one-dimensional array"),
				 errdetail("The keys array has %d dimensions.", ARR_NDIM(keys))));
	nkeys = ArrayGetNItems(ARR_NDIM(keys), ARR_DIMS(keys));
	if (nkeys > loader_max_keys)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("too many keys"),
				 errdetail("A batch of %d keys exceeds roomcast.max_loader_keys (%d).",
						   nkeys, loader_max_keys)));

	values[0] = PointerGetDatum(keys);
	if (kind == LOADER_GROUPED)
	{
		if (!PG_ARGISNULL(3))
		{
			char	   *order_by = text_to_cstring(PG_GETARG_TEXT_PP(3));

			key.norder = LoaderParseOrderBy(order_by, relid, key.order);
		}
		key.limited = !PG_ARGISNULL(4);
		if (PG_ARGISNULL(4))
			nulls[1] = 'n';
		else if (PG_GETARG_INT32(4) < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("per_key_limit must be positive"),
					 errdetail("per_key_limit was %d; pass NULL for no limit.",
							   PG_GETARG_INT32(4))));
		values[1] = Int64GetDatum((int64) PG_GETARG_INT32(4));
	}
	if (nkeys == 0)
		return (Datum) 0;

	RcSpiConnect(&spi);
	entry = LoaderGetPlan(&key, relname, opnsp);
	RcSpiExecPlan(entry->plan, values, nulls, true, 0, SPI_OK_SELECT, "loader query");
	entry->calls++;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		ord = DatumGetInt64(SPI_getbinval(tuple, tupdesc, 1, &isnull));
		Datum		row = SPI_getbinval(tuple, tupdesc, 2, &isnull);

		if (ord == prev_ord)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("key column \"%s\" is not unique", NameStr(*colname)),
					 errdetail("Key number %lld matches more than one row of %s.",
							   (long long) ord, relname),
					 errhint("Use load_grouped for one-to-many relations.")));
		prev_ord = ord;
		/* tuplestore copies the value into its own memory before RcSpiFinish */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &row, &isnull);
	}
	RcSpiFinish(&spi);
	return (Datum) 0;
}

/* SQL function: load_many(rel regclass, key_column name, keys anyarray) returns setof jsonb */
PG_FUNCTION_INFO_V1(load_many);
Datum
load_many(PG_FUNCTION_ARGS)
{
	return LoaderRun(fcinfo, LOADER_MANY);
}

/*
 * SQL function: load_grouped(rel regclass, fk_column name, keys anyarray,
 * order_by text, per_key_limit int) returns setof jsonb
 */
PG_FUNCTION_INFO_V1(load_grouped);
Datum
load_grouped(PG_FUNCTION_ARGS)
{
	/* NULL relation, column or keys: no keys, no rows */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	return LoaderRun(fcinfo, LOADER_GROUPED);
}

/*
 * SQL function: loader_plans() returns table (rel regclass, key_column name,
 * key_type regtype, kind text, order_by text, prepares bigint, calls bigint,
 * stale boolean): this backend's cached loader plans
 */
PG_FUNCTION_INFO_V1(loader_plans);
Datum
loader_plans(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	HASH_SEQ_STATUS status;
	LoaderPlan *entry;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (loader_plan_cache == NULL)
		return (Datum) 0;

	hash_seq_init(&status, loader_plan_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		Datum		values[8];
		bool		nulls[8] = {0};
		char	   *attname = get_attname(entry->key.relid, entry->key.attnum, true);

		values[0] = ObjectIdGetDatum(entry->key.relid);
		if (attname != NULL)
			values[1] = DirectFunctionCall1(namein, CStringGetDatum(attname));
		else
			nulls[1] = true;
		values[2] = ObjectIdGetDatum(entry->key.keytype);
		values[3] = CStringGetTextDatum(entry->key.kind == LOADER_MANY ? "many" :
										entry->key.limited ? "grouped, limited" : "grouped");
		if (entry->key.norder > 0)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			LoaderAppendOrder(&buf, &entry->key, NULL);
			values[4] = CStringGetTextDatum(buf.data);
		}
		else
			nulls[4] = true;
		values[5] = Int64GetDatum(entry->prepares);
		values[6] = Int64GetDatum(entry->calls);
		values[7] = BoolGetDatum(entry->stale || entry->plan == NULL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
