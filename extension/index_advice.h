/*-------------------------------------------------------------------------
 *
 * index_advice.h
 *	  What index_advice.c (the decisions) and index_ddl.c (index names and
 *	  the DDL of each advice row) share: the catalog facts about tables and
 *	  indexes, and the state of one index_advice() call.
 *
 *	  Everything is palloc'd in the SPI procedure context of the call and
 *	  lives until SPI_finish; advice rows go straight into the call's
 *	  tuplestore.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_INDEX_ADVICE_H
#define ROOMCAST_INDEX_ADVICE_H

#include "postgres.h"

#include "access/htup.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/pg_list.h"

typedef struct AdvIndex
{
	Oid			oid;
	Oid			relid;
	char	   *name;			/* unqualified index name */
	int			nkey;			/* key columns */
	int			natts;			/* key + INCLUDE columns */
	int16	   *atts;			/* natts attnums, 0 for an expression */
	Oid		   *opclass;		/* nkey opclasses */
	Oid		   *collation;		/* nkey collations */
	int16	   *option;			/* nkey indoption flags (DESC, NULLS FIRST) */
	bool		unique;
	bool		constraint;		/* backs a PK, UNIQUE or EXCLUDE constraint */
	bool		exprs;			/* has expression columns */
	char	   *pred;			/* partial index predicate, NULL if none */
	char	   *am;				/* access method name */
	bool		valid;
	bool		partition;		/* index of a partition, attached to a parent */
	bool		partitioned;	/* index on a partitioned table */
	int64		scans;			/* idx_scan, summed over partitions */
	int64		table_reads;	/* index scans of the table, all indexes */
	bool		dropped;		/* already advised to drop */
} AdvIndex;

typedef struct AdvTable
{
	Oid			oid;
	Oid			nspoid;
	char	   *nspname;
	char	   *relname;
	char		relkind;
	AttrNumber	tenant_att;		/* column of a current_tenant() policy, or 0 */
	List	   *indexes;		/* AdvIndex * */
	List	   *creates;		/* int16 * arrays (len-prefixed) advised here */
} AdvTable;

typedef struct AdvState
{
	ReturnSetInfo *rsinfo;
	AdvTable   *tables;
	int			ntables;
	List	   *chosen_names;	/* index names picked in this call */
} AdvState;

/* SPI helpers (index_advice.c) */
extern void AdvQuery(const char *sql, int nargs, Oid *argtypes, Datum *args);
extern Oid	AdvGetOid(HeapTuple tuple, int col);

/* DDL (index_ddl.c) */
extern Datum AdvColumnsArray(Oid relid, const int16 *cols, int n);
extern char *AdvColumnList(Oid relid, const int16 *cols, int n);
extern char *AdvEmitCreateDdl(AdvState *st, Oid top, Datum columns, const char *reason,
							  Oid relid, const int16 *cols, int n);
extern void AdvEmitDrop(AdvState *st, const AdvTable *t, const AdvIndex *x, const char *reason);

#endif							/* ROOMCAST_INDEX_ADVICE_H */
