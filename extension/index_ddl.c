/*-------------------------------------------------------------------------
 *
 * index_ddl.c
 *	  The DDL of index_advice() rows: index names chosen as CREATE INDEX
 *	  would, CREATE INDEX CONCURRENTLY for a table, and for a partitioned
 *	  table the ON ONLY / per-partition CONCURRENTLY / ATTACH PARTITION
 *	  sequence, one statement per row, in the order they must run; DROP
 *	  INDEX CONCURRENTLY (plain DROP for a partitioned index, which
 *	  PostgreSQL cannot drop concurrently).
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "index_advice.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* Column names of rel as a text[] Datum */
Datum
AdvColumnsArray(Oid relid, const int16 *cols, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(cols[i] ? get_attname(relid, cols[i], false) : "(expression)");
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, 'i'));
}

/* "a, b" with each name quoted */
char *
AdvColumnList(Oid relid, const int16 *cols, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "",
						 cols[i] ? quote_identifier(get_attname(relid, cols[i], false)) : "(expression)");
	return buf.data;
}

/* Emit one advice row */
static void
AdvEmit(AdvState *st, Oid relid, Datum columns, const char *reason, const char *ddl)
{
	Datum		values[4];
	bool		nulls[4] = {0};

	values[0] = ObjectIdGetDatum(relid);
	values[1] = columns;
	values[2] = CStringGetTextDatum(reason);
	values[3] = CStringGetTextDatum(ddl);
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
}

/*
 * Choose an index name for rel in namespace nspoid that no relation has
 * and that this call has not handed out yet, as CREATE INDEX would:
 * rel_col1_col2_idx, then …_idx1, …_idx2.
 */
static char *
AdvChooseName(AdvState *st, Oid nspoid, const char *relname, Oid relid,
			  const int16 *cols, int n)
{
	StringInfoData colnames;
	int			i;
	int			pass;

	initStringInfo(&colnames);
	for (i = 0; i < n && colnames.len < NAMEDATALEN; i++)
		appendStringInfo(&colnames, "%s%s", i ? "_" : "", get_attname(relid, cols[i], false));
	for (pass = 0;; pass++)
	{
		char		label[16];
		char	   *name;
		bool		taken = false;
		ListCell   *lc;

		if (pass == 0)
			strcpy(label, "idx");
		else
			snprintf(label, sizeof(label), "idx%d", pass);
		name = makeObjectName(relname, colnames.data, label);
		foreach(lc, st->chosen_names)
			if (strcmp(lfirst(lc), psprintf("%u.%s", nspoid, name)) == 0)
				taken = true;
		if (!taken && !OidIsValid(get_relname_relid(name, nspoid)))
		{
			st->chosen_names = lappend(st->chosen_names, psprintf("%u.%s", nspoid, name));
			return name;
		}
	}
}

/*
 * Emit the DDL creating an index on cols of relid (named in nspoid); a
 * partitioned table recurses into its partitions. Returns the index name.
 */
char *
AdvEmitCreateDdl(AdvState *st, Oid top, Datum columns, const char *reason,
				 Oid relid, const int16 *cols, int n)
{
	char	   *relname = get_rel_name(relid);
	Oid			nspoid = get_rel_namespace(relid);
	char	   *qualrel = quote_qualified_identifier(get_namespace_name(nspoid), relname);
	char	   *name = AdvChooseName(st, nspoid, relname, relid, cols, n);
	char	   *collist = AdvColumnList(relid, cols, n);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	Oid		   *children;
	int			nchildren;
	uint64		i;

	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
	{
		AdvEmit(st, top, columns, reason,
				psprintf("CREATE INDEX CONCURRENTLY %s ON %s (%s)",
						 quote_identifier(name), qualrel, collist));
		return name;
	}

	AdvEmit(st, top, columns, reason,
			psprintf("CREATE INDEX %s ON ONLY %s (%s)", quote_identifier(name), qualrel, collist));
	args[0] = ObjectIdGetDatum(relid);
	AdvQuery("SELECT i.inhrelid FROM pg_catalog.pg_inherits i"
			 " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
			 " WHERE i.inhparent = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname",
			 1, argtypes, args);
	nchildren = (int) SPI_processed;
	children = palloc(sizeof(Oid) * (nchildren + 1));
	for (i = 0; i < SPI_processed; i++)
		children[i] = AdvGetOid(SPI_tuptable->vals[i], 1);
	for (i = 0; i < (uint64) nchildren; i++)
	{
		Oid			child = children[i];
		int16	   *childcols = palloc(sizeof(int16) * (n + 1));
		int			j;
		char	   *childidx;

		/* a partition may number its columns differently */
		for (j = 0; j < n; j++)
			childcols[j] = get_attnum(child, get_attname(relid, cols[j], false));
		childidx = AdvEmitCreateDdl(st, top, columns, reason, child, childcols, n);
		AdvEmit(st, top, columns, reason,
				psprintf("ALTER INDEX %s ATTACH PARTITION %s",
						 quote_qualified_identifier(get_namespace_name(nspoid), name),
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(child)),
													childidx)));
	}
	return name;
}

/* Emit the DROP INDEX of index x of table t */
void
AdvEmitDrop(AdvState *st, const AdvTable *t, const AdvIndex *x, const char *reason)
{
	/* PostgreSQL cannot drop a partitioned index concurrently */
	AdvEmit(st, t->oid, AdvColumnsArray(t->oid, x->atts, x->nkey), reason,
			psprintf("DROP INDEX %s%s", x->partitioned ? "" : "CONCURRENTLY ",
					 quote_qualified_identifier(t->nspname, x->name)));
}
