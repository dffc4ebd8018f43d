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

/* Acting as the owner of the extension's tables: RcBecomeOwner in roomcast.h */

/*
 * Write one registration (a room kind or an rpc method) with plan, as the
 * owner. values[0] is filled in here with the registration's tenant: the
 * identity's, or the nil uuid (a registration for every tenant) when there
 * is none; values[1..] and nulls are the caller's. When a row was written,
 * control message control_kind with that tenant tells every notifier to
 * reload. Returns the number of rows written.
 */
extern uint64 RcRegistrationWrite(RcPlan *plan, Datum *values, const char *nulls,
								  const char *control_kind);

/* The oid of relation roomcast.<name>, cached per backend */
extern Oid	RcRelid(const char *name, Oid *cache);

#endif							/* ROOMCAST_RCSPI_H */
