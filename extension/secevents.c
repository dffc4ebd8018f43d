/*-------------------------------------------------------------------------
 *
 * secevents.c
 *	  The durable security-event recorder: a dynamic background worker that
 *	  writes one roomcast.security_events row (and, for refresh-token reuse,
 *	  revokes the family and kicks the user) in its own transaction.
 *
 *	  Why a worker: refresh() must both record the event and fail with
 *	  RC402/RC403, and the failure rolls back everything in the caller's
 *	  transaction. The worker connects to the same database as the owner of
 *	  the extension's tables, commits, and exits; the caller waits for it.
 *
 *	  Locking: the caller holds a row lock on the presented token only. The
 *	  worker revokes rows "WHERE revoked_at IS NULL", and the presented
 *	  token of a reuse is already revoked, so the two never wait on each
 *	  other.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "identity.h"
#include "sessions.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void RcSecurityWorkerMain(Datum arg);

/* What the worker receives in bgw_extra */
typedef struct WorkerArgs
{
	Oid			owner;
	RcSecurityRecord rec;
} WorkerArgs;

StaticAssertDecl(sizeof(WorkerArgs) <= BGW_EXTRALEN, "security record must fit in bgw_extra");

/* The security_events.kind and detail of each kind */
static const struct
{
	const char *kind;
	const char *detail;
}			rc_security_kinds[] =
{
	[RC_SEC_REFRESH_REUSE] = {"refresh_token_reuse",
	"A rotated refresh token was presented again; its family was revoked and the user's sockets disconnected."},
	[RC_SEC_REFRESH_REVOKED] = {"revoked_refresh_token",
	"A refresh token of a revoked session was presented."},
	[RC_SEC_REFRESH_EXPIRED] = {"expired_refresh_token",
	"An expired refresh token was presented."},
	[RC_SEC_FINGERPRINT_MISMATCH] = {"fingerprint_mismatch",
	"A refresh token was presented with a client fingerprint other than the one it is bound to."},
	[RC_SEC_DISABLED_USER] = {"disabled_user",
	"A refresh was attempted for a user who is disabled or no longer exists."},
};

/* Apply rec inside the current transaction and pinned SPI section */
static void
ApplyRecord(const RcSecurityRecord *rec)
{
	Oid			types[5] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[5];
	char		nulls[5] = "     ";

	args[0] = UUIDPGetDatum(&rec->tenant);
	args[1] = UUIDPGetDatum(&rec->user);
	args[2] = CStringGetTextDatum(rc_security_kinds[rec->kind].kind);
	args[3] = CStringGetTextDatum(rc_security_kinds[rec->kind].detail);
	if (rec->fingerprint[0])
		args[4] = CStringGetTextDatum(rec->fingerprint);
	else
		nulls[4] = 'n';
	RcSpiExec("INSERT INTO roomcast.security_events "
			  "(tenant_id, user_id, kind, detail, fingerprint) "
			  "VALUES ($1, $2, $3, $4, $5)",
			  5, types, args, nulls, false, 0, SPI_OK_INSERT, "inserting the security event");

	if (rec->revoke_family)
	{
		Oid			rtypes[2] = {UUIDOID, UUIDOID};
		Datum		rargs[2];

		rargs[0] = UUIDPGetDatum(&rec->tenant);
		rargs[1] = UUIDPGetDatum(&rec->family);
		RcSpiExec("UPDATE roomcast.refresh_tokens SET revoked_at = pg_catalog.now() "
				  "WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND family_id OPERATOR(pg_catalog.=) $2 "
				  "AND revoked_at IS NULL",
				  2, rtypes, rargs, NULL, false, 0, SPI_OK_UPDATE, "revoking the token family");
	}
	if (rec->kick)
		RcNotifyKick(&rec->tenant, &rec->user, "refresh_token_reuse");
}

/* Background worker entry point: apply the record in bgw_extra and exit */
void
RcSecurityWorkerMain(Datum arg)
{
	WorkerArgs	wa;
	RcSpiSection spi;

	memcpy(&wa, MyBgworkerEntry->bgw_extra, sizeof(wa));
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(arg), wa.owner, 0);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/*
	 * The worker starts with the database's and the owner's default
	 * settings, which a database owner may have set: the section pins
	 * search_path whatever they say.
	 */
	RcSpiConnect(&spi);
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "roomcast: recording a security event");
	ApplyRecord(&wa.rec);
	RcSpiFinish(&spi);
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/* Write rec durably; see sessions.h */
void
RcSecurityRecordDurably(const RcSecurityRecord *rec)
{
	BackgroundWorker worker = {0};
	BackgroundWorkerHandle *handle;
	WorkerArgs	wa = {0};
	char		tenant[37],
				user[37];

	wa.owner = RcOwnerOid();
	wa.rec = *rec;
	snprintf(worker.bgw_name, BGW_MAXLEN, "roomcast security event recorder");
	snprintf(worker.bgw_type, BGW_MAXLEN, "roomcast security events");
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "roomcast");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "RcSecurityWorkerMain");
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	worker.bgw_notify_pid = MyProcPid;
	memcpy(worker.bgw_extra, &wa, sizeof(wa));

	if (RegisterDynamicBackgroundWorker(&worker, &handle) &&
		WaitForBackgroundWorkerShutdown(handle) == BGWH_STOPPED)
		return;

	/* No worker slot (max_worker_processes): keep the event in the log at least */
	RcUuidFormat(&rec->tenant, tenant);
	RcUuidFormat(&rec->user, user);
	ereport(WARNING,
			(errmsg("could not record security event \"%s\" for user %s of tenant %s",
					rc_security_kinds[rec->kind].kind, user, tenant),
			 errdetail("No background worker could be started to write roomcast.security_events%s.",
					   rec->revoke_family ? " or to revoke the token family" : ""),
			 errhint("Raise max_worker_processes.")));
}
