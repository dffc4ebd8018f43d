/*-------------------------------------------------------------------------
 *
 * rcspi.h
 *	  The only way the extension runs SQL: pinned SPI sections, cached SPI
 *	  plans, and the registration writer used by rooms and rpc.
 *
 *	  Why one gate. The extension often runs SQL as its owner (RcBecomeOwner
 *	  in roomcast.h). If that SQL were parsed under the caller's
 *	  search_path, a role owning a schema could put its own "=" or now()
 *	  first and have it run as the owner (SPEC §1, last paragraph). So every
 *	  SPI section opens with RcSpiConnect(), which pins search_path to
 *	  RC_SPI_SEARCH_PATH for the section (as a function's SET clause
 *	  does), and closes with RcSpiFinish(), which restores the caller's.
 *	  Statements run only through RcPlanExec / RcSpiExec / RcSpiExecPlan,
 *	  which refuse to run outside a section. No other file calls
 *	  SPI_connect, SPI_finish, SPI_execute* or SPI_prepare* (test suite
 *	  22-hostile-search-path checks this). The SQL text is schema-qualified
 *	  as well, as a second line of defence.
 *
 *	  Application code the extension calls back (room-kind policies, rpc
 *	  methods) is called outside any section, so it keeps the caller's
 *	  search_path and runs as the caller.
 *
 *	  Errors: an error inside a section needs no cleanup here; the
 *	  (sub)transaction abort pops the GUC nest level and the SPI
 *	  connection, exactly as for a function with a SET clause.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_RCSPI_H
#define ROOMCAST_RCSPI_H

#include "postgres.h"
#include "executor/spi.h"

/* What every statement of the extension resolves its names in */
#define RC_SPI_SEARCH_PATH "pg_catalog, roomcast, pg_temp"

#define RC_PLAN_MAX_ARGS 12

/* A pinned SPI section, from RcSpiConnect to RcSpiFinish */
typedef struct RcSpiSection
{
	int			guc_level;		/* GUC nest level holding the pinned path */
} RcSpiSection;

/*
 * Open an SPI section: pin search_path to RC_SPI_SEARCH_PATH, then
 * SPI_connect. Must be paired with RcSpiFinish(s) on the success path;
 * sections nest. Raises on failure.
 */
extern void RcSpiConnect(RcSpiSection *s);

/* SPI_finish, then restore the search_path that RcSpiConnect saved */
extern void RcSpiFinish(RcSpiSection *s);

/* True while at least one section is open (for checks) */
extern bool RcSpiInSection(void);

typedef struct RcPlan
{
	const char *sql;			/* schema-qualified statement */
	int			nargs;
	Oid			argtypes[RC_PLAN_MAX_ARGS];
	SPIPlanPtr	plan;			/* NULL until first use */
} RcPlan;

/*
 * Execute p with values/nulls (nulls as SPI wants them: ' ' or 'n'; NULL
 * for none), preparing and keeping the plan on first use. Only inside a
 * section. Raises on any SPI failure; returns the SPI result code.
 */
extern int	RcPlanExec(RcPlan *p, Datum *values, const char *nulls,
					   bool read_only, long count);

/*
 * SPI_execute_with_args inside a section; raises unless the result code
 * is expected (e.g. SPI_OK_SELECT), naming what in the message.
 */
extern void RcSpiExec(const char *sql, int nargs, Oid *argtypes, Datum *values,
					  const char *nulls, bool read_only, long count,
					  int expected, const char *what);

/* SPI_prepare + SPI_keepplan inside a section, for plan caches of their own */
extern SPIPlanPtr RcSpiPrepareKeep(const char *sql, int nargs, Oid *argtypes);

/* SPI_execute_plan of a kept plan inside a section; raises unless expected */
extern void RcSpiExecPlan(SPIPlanPtr plan, Datum *values, const char *nulls,
						  bool read_only, long count, int expected, const char *what);

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
