/*-------------------------------------------------------------------------
 *
 * jobs.h
 *	  The job queue (SPEC §9): what jobs.c (requesters: enqueue, cancel,
 *	  status, limits, maintenance), jobworker.c (workers: claim, progress,
 *	  chunk, complete, fail) and jobrpc.c (the rpc methods) share.
 *
 *	  Every job table is read and written as the extension owner
 *	  (RcBecomeOwner) inside pinned SPI sections (rcspi.h), with explicit
 *	  tenant predicates; no role has privileges on them. Every state
 *	  change is an event to the requester's user room (tenant:{t}:user:{u},
 *	  namespace "/"), written to the durable log through RcEmitText, so
 *	  it is transactional and recoverable. Jobs enqueued without a user
 *	  (a service identity) emit no events; their status is pollable.
 *
 *	  Time: JobNow() is the real clock, or roomcast.clock_override when a
 *	  superuser set it (tests move time without sleeping).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_JOBS_H
#define ROOMCAST_JOBS_H

#include "postgres.h"
#include "fmgr.h"
#include "identity.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* The LISTEN channel workers wait on; the payload is the kind (a hint only) */
#define RC_JOBS_CHANNEL "roomcast_jobs"

/* Positions are counted up to this many jobs ahead (cost per enqueue) */
#define RC_JOB_POSITION_CAP 100

/* Priorities as stored: higher is claimed first */
#define RC_JOB_LOW		0
#define RC_JOB_NORMAL	1
#define RC_JOB_HIGH		2
#define RC_JOB_CRITICAL 3

/* Settings (defined in jobs.c) */
extern int	rc_job_limit_default;
extern char *rc_job_retention;
extern char *rc_rpc_job_kinds;

/* Now by the testing clock: roomcast.clock_override if set, else the real time */
extern TimestampTz JobNow(void);

/* The priority name of a stored priority */
extern const char *JobPriorityName(int prio);

/* Back-off before attempt+1 after attempt failed, in ms (SPEC §9) */
extern int64 JobBackoffMs(int prio, int attempt);

/* Raise 22023 unless kind matches [a-z][a-z0-9_.:-]{0,63} */
extern void JobKindCheck(const char *kind, size_t len);

/* Compact JSON text of a jsonb value */
extern char *JobJsonText(Jsonb *j);

/*
 * Emit event (data: JSON object text) to the requester's user room of
 * tenant; nothing when user is NULL. Transactional like every event.
 */
extern void JobEmit(const pg_uuid_t *tenant, const pg_uuid_t *user,
					const char *event, const char *data);

/*
 * Requeue (or fail, when no attempt remains) at most limit running jobs
 * whose lease ran out before now, emitting their events. Inside a pinned
 * section, acting as the owner. Returns how many; *failed how many failed.
 */
extern int	JobRequeueExpired(TimestampTz now, int limit, int *failed);

/*
 * Queue a job for ident (kind, payload; priority and opts may be NULL);
 * returns its id: new, the active job with the same dedupe key, or one
 * completed at once from the cache. Raises 22023 / RC413 on bad input.
 */
extern pg_uuid_t *JobEnqueue(const RcIdentity *ident, text *kind, Jsonb *payload,
							 text *priority, Jsonb *opts);

/* Cancel ident's job (RC404 unless visible to ident); false when already finished */
extern bool JobCancel(const RcIdentity *ident, pg_uuid_t *id);

/* The job_status object of ident's job as a jsonb datum (RC404 unless visible) */
extern Datum JobStatus(const RcIdentity *ident, pg_uuid_t *id);

/* The C side of the rpc methods job:enqueue, job:cancel, job:status */
extern bool RcJobRpc(const char *method, Jsonb *args, Datum *result);

extern void RcJobsInit(void);

#endif							/* ROOMCAST_JOBS_H */
