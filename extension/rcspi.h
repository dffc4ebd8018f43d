/*-------------------------------------------------------------------------
 *
 * rcspi.h
 *	  Cached SPI plans and the "run as the extension owner" switch used by
 *	  the rooms, events, inbox and rpc code.
 *
 *	  Plans are prepared on first use and kept for the life of the backend
 *	  (SPI_keepplan); the plan cache revalidates them after DDL. All SQL in
 *	  them is schema-qualified, so search_path never matters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_RCSPI_H
#define ROOMCAST_RCSPI_H

#include "postgres.h"
#include "executor/spi.h"

#define RC_PLAN_MAX_ARGS 10

typedef struct RcPlan
{
	const char *sql;			/* schema-qualified statement */
	int			nargs;
	Oid			argtypes[RC_PLAN_MAX_ARGS];
	SPIPlanPtr	plan;			/* NULL until first use */
} RcPlan;

/*
 * Execute p with values/nulls (nulls as SPI wants them: ' ' or 'n'; NULL
 * for none), preparing and keeping the plan on first use. Must be called
 * between SPI_connect and SPI_finish. Raises on any SPI failure; returns
 * the SPI_execute_plan result code.
 */
extern int	RcPlanExec(RcPlan *p, Datum *values, const char *nulls,
					   bool read_only, long count);

/* The saved user of RcAsOwnerBegin, restored by RcAsOwnerEnd */
typedef struct RcOwnerSwitch
{
	Oid			saved_user;
	int			saved_sec;
} RcOwnerSwitch;

/*
 * Run the following table access as the owner of the extension's tables
 * (RcOwnerOid: the superuser that created the extension), in a restricted
 * security context.
 * The extension's tables are written only this way, so their invariants
 * (exact counters, commit-ordered log) cannot be broken by direct DML;
 * every statement run like this carries explicit tenant predicates. An
 * error in between is fine: (sub)transaction abort restores the user.
 */
extern void RcAsOwnerBegin(RcOwnerSwitch *sw);
extern void RcAsOwnerEnd(const RcOwnerSwitch *sw);

/* The oid of relation roomcast.<name>, cached per backend */
extern Oid	RcRelid(const char *name, Oid *cache);

#endif							/* ROOMCAST_RCSPI_H */
