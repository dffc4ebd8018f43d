/*-------------------------------------------------------------------------
 *
 * events.h
 *	  Room events (SPEC §3): the transaction's buffer of emitted events,
 *	  flushed at commit in commit order to roomcast.events, and the control
 *	  log (control.c); both announced by a content-free hint on NOTIFY
 *	  channel roomcast.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_EVENTS_H
#define ROOMCAST_EVENTS_H

#include "postgres.h"
#include "rcspi.h"
#include "utils/uuid.h"

#define RC_NOTIFY_CHANNEL	"roomcast"

/* Settings (defined in events.c) */
extern int	rc_max_event_bytes;
extern int	rc_max_batch;
extern int	rc_max_page;
extern char *rc_notification_nsp;
extern char *rc_event_retention;

/*
 * Buffer one event for delivery at commit and return its id. room, nsp and
 * event must already be validated; data is compact JSON text (data_len
 * bytes, at most roomcast.max_event_bytes - checked here) and add_timestamp
 * says it is an object without a "timestamp" key, to which the commit time
 * is added. Everything is copied.
 */
extern int64 RcEmitText(const pg_uuid_t *tenant, const char *room,
						const char *nsp, const char *event,
						const char *data, size_t data_len, bool add_timestamp);

/*
 * Queue a control message {"c":kind,...} for roomcast.control_log, written
 * at commit as the owner with a commit-ordered id and announced by a hint
 * (control.c). fields is NULL or the JSON members to append after "c",
 * without braces (e.g. "\"tenant\":\"…\""); a "tenant" member sets the
 * entry's tenant. The lead's sessions.c sends kick
 * ({"c":"kick","tenant","user","reason"}), token.c keys ({"c":"keys"}),
 * the identity triggers kick and kick_tenant; docs/protocol.md lists every
 * kind. Raises RC413 over 7,900 bytes.
 */
extern void RcNotifyControl(const char *kind, const char *fields);

/*
 * Queue the hint on NOTIFY channel roomcast: an empty payload that only
 * says "read the logs"; several in one transaction fold into one.
 */
extern void RcNotifyHint(void);

/*
 * The commit path of an owner-written log (the event log, the control log),
 * in two steps around the caller's id assignment:
 *   RcCommitLockTake() takes the lock PreCommit_Notify takes, so ids drawn
 *   after it follow commit order across the cluster (events.c's header says
 *   why); RcCommitLogInsert() then runs plan with values as the owner, in a
 *   pinned SPI section with a snapshot of its own (no portal is left at
 *   pre-commit), after before(arg) when given, and queues the hint.
 * Both only at XACT_EVENT_PRE_COMMIT.
 */
extern void RcCommitLockTake(void);
extern void RcCommitLogInsert(RcPlan *plan, Datum *values,
							  void (*before) (void *arg), void *arg);

/* Register the control log's transaction callbacks (from RcEventsInit) */
extern void RcControlInit(void);

/* Raise RC413 "batch of N items exceeds roomcast.max_batch (M)" if n > max */
extern void RcCheckBatch(int n);

#endif							/* ROOMCAST_EVENTS_H */
