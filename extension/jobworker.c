/*-------------------------------------------------------------------------
 *
 * jobworker.c
 *	  The job queue, worker side (SPEC §9): claim, progress, chunk,
 *	  complete, fail, act_for_job, and the lease expiry maintain() and
 *	  claim() share. Callable by members of roomcast_worker (grants in
 *	  70_jobs.ddl.sql).
 *
 *	  Claiming. One statement picks due queued jobs of the kinds in
 *	  "priority, then age" order from the partial index jobs_claim with
 *	  FOR UPDATE SKIP LOCKED, so concurrent claimers never get the same
 *	  job and never wait for each other's rows, and flips them to running
 *	  with a lease. Tenants whose claim counter for the current minute has
 *	  reached their limit are filtered out in the same statement (skipped,
 *	  not blocked). A claimed job of a limited tenant then bumps that
 *	  counter; a claim that would pass the limit (two claimers raced for
 *	  the last slot) is put back at once, so a limit is never exceeded.
 *
 *	  Holding. A job is held by the role that claimed it while it is
 *	  running and its lease lasts; progress and chunk renew the lease.
 *	  Each worker call locks the job row (FOR UPDATE), so a cancel and a
 *	  chunk are ordered: after the cancel commits, chunk and progress
 *	  return false and complete/fail do nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "jobs.h"
#include "events.h"
#include "rcspi.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

#define EQ " OPERATOR(pg_catalog.=) "
#define LT " OPERATOR(pg_catalog.<) "
#define GE " OPERATOR(pg_catalog.>=) "
#define LE " OPERATOR(pg_catalog.<=) "

/* A job as a worker call sees it, copied out of SPI */
typedef struct HeldJob
{
	pg_uuid_t	tenant;
	pg_uuid_t	id;
	pg_uuid_t	user;
	bool		has_user;
	char	   *kind;
	int			attempt;
	int			max_attempts;
	int			prio;
	int			last_seq;
	int			lease_ms;
	bool		cache;
} HeldJob;

/* The JSON start {"id":"…","kind":"…" of a job's event; the caller closes it */
static void
EventStart(StringInfo b, const HeldJob *j)
{
	char		idtext[RC_UUID_LEN + 1];

	RcUuidFormat(&j->id, idtext);
	initStringInfo(b);
	appendStringInfo(b, "{\"id\":\"%s\",\"kind\":", idtext);
	escape_json(b, j->kind);
}

static void
Emit(const HeldJob *j, const char *event, StringInfo b)
{
	appendStringInfoChar(b, '}');
	JobEmit(&j->tenant, j->has_user ? &j->user : NULL, event, b->data);
}

/*---- failing an attempt (fail() and expired leases) ----*/

static RcPlan retry_plan = {
	"UPDATE roomcast.jobs SET status = 'queued', run_at = $3, error = $4, lease_until = NULL, worker = NULL "
	"WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	4, {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID}
};

static RcPlan final_fail_plan = {
	"UPDATE roomcast.jobs SET status = 'failed', finished_at = $3, error = $4, lease_until = NULL, worker = NULL "
	"WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	4, {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID}
};

/*
 * End j's current attempt with error: back into the queue after the
 * back-off while attempts remain and retryable, else failed. Emits
 * job:queued {retry} or job:failed. Returns true when it was retried.
 */
static bool
FailAttempt(const HeldJob *j, const char *error, bool retryable, TimestampTz now)
{
	Datum		v[4] = {UUIDPGetDatum(&j->tenant), UUIDPGetDatum(&j->id), 0, CStringGetTextDatum(error)};
	StringInfoData b;

	EventStart(&b, j);
	if (retryable && j->attempt < j->max_attempts)
	{
		int64		ms = JobBackoffMs(j->prio, j->attempt);

		v[2] = TimestampTzGetDatum(now + ms * 1000);
		RcPlanExec(&retry_plan, v, NULL, false, 0);
		appendStringInfo(&b, ",\"retry\":true,\"attempt\":%d,\"maxAttempts\":%d,\"retryInMs\":%lld,\"error\":",
						 j->attempt, j->max_attempts, (long long) ms);
		escape_json(&b, error);
		Emit(j, "job:queued", &b);
		return true;
	}
	v[2] = TimestampTzGetDatum(now);
	RcPlanExec(&final_fail_plan, v, NULL, false, 0);
	appendStringInfo(&b, ",\"attempt\":%d,\"error\":", j->attempt);
	escape_json(&b, error);
	Emit(j, "job:failed", &b);
	return false;
}

static RcPlan expired_plan = {
	"SELECT j.tenant_id, j.id, j.user_id, j.kind, j.attempt, j.max_attempts, j.priority "
	"FROM roomcast.jobs j WHERE j.status" EQ "'running' AND j.lease_until" LT "$1 "
	"ORDER BY j.lease_until LIMIT $2 FOR UPDATE SKIP LOCKED",
	2, {TIMESTAMPTZOID, INT4OID}
};

/* Requeue or fail jobs whose lease ran out; see jobs.h */
int
JobRequeueExpired(TimestampTz now, int limit, int *failed)
{
	HeldJob    *jobs;
	int			n;

	*failed = 0;
	RcPlanExec(&expired_plan, (Datum[]) {TimestampTzGetDatum(now), Int32GetDatum(limit)}, NULL, false, 0);
	n = (int) SPI_processed;
	if (n == 0)
		return 0;
	jobs = palloc0(n * sizeof(HeldJob));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		u;

		jobs[i].tenant = *DatumGetUUIDP(SPI_getbinval(t, d, 1, &isnull));
		jobs[i].id = *DatumGetUUIDP(SPI_getbinval(t, d, 2, &isnull));
		u = SPI_getbinval(t, d, 3, &isnull);
		jobs[i].has_user = !isnull;
		if (!isnull)
			jobs[i].user = *DatumGetUUIDP(u);
		jobs[i].kind = TextDatumGetCString(SPI_getbinval(t, d, 4, &isnull));
		jobs[i].attempt = DatumGetInt32(SPI_getbinval(t, d, 5, &isnull));
		jobs[i].max_attempts = DatumGetInt32(SPI_getbinval(t, d, 6, &isnull));
		jobs[i].prio = DatumGetInt16(SPI_getbinval(t, d, 7, &isnull));
	}
	for (int i = 0; i < n; i++)
		if (!FailAttempt(&jobs[i], "lease expired", true, now))
			(*failed)++;
	return n;
}

/*---- claim ----*/

static RcPlan claim_plan = {
	/*
	 * Per kind, an ordered scan of jobs_claim that stops after n rows (a
	 * "kind = ANY" scan could not return rows in index order in PG 15 and
	 * would sort every queued job); then the best n over the kinds.
	 */
	"WITH c AS ("
	"  SELECT x.tenant_id, x.id FROM (SELECT DISTINCT k FROM pg_catalog.unnest($1::pg_catalog.text[]) k) kinds"
	"  CROSS JOIN LATERAL ("
	"    SELECT j.tenant_id, j.id, j.priority, j.seq FROM roomcast.jobs j"
	"     WHERE j.status" EQ "'queued' AND j.kind" EQ "kinds.k AND j.run_at" LE "$2"
	"       AND NOT EXISTS (SELECT 1 FROM roomcast.job_rate r WHERE r.tenant_id" EQ "j.tenant_id"
	"                        AND r.kind" EQ "j.kind AND r.minute" EQ "$5 AND r.claimed" GE "r.per_minute"
	"                        AND r.per_minute OPERATOR(pg_catalog.>) 0)"
	"     ORDER BY j.priority DESC, j.seq LIMIT $3 FOR UPDATE OF j SKIP LOCKED) x"
	"  ORDER BY x.priority DESC, x.seq LIMIT $3) "
"UPDATE roomcast.jobs j SET status = 'running', attempt = j.attempt OPERATOR(pg_catalog.+) 1,"
	"  lease_ms = $4, lease_until = $6, worker = $7, last_seq = -1, progress = 0 "
	"  FROM c WHERE j.tenant_id" EQ "c.tenant_id AND j.id" EQ "c.id "
	"RETURNING j.tenant_id, j.id, j.user_id, j.kind, j.priority, j.seq, j.attempt,"
	"  COALESCE((SELECT l.per_minute FROM roomcast.job_limits l"
	"             WHERE l.tenant_id" EQ "j.tenant_id AND l.kind" EQ "j.kind), $8),"
	"  pg_catalog.jsonb_build_object('id', j.id, 'kind', j.kind, 'payload', j.payload,"
	"    'priority', (ARRAY['low', 'normal', 'high', 'critical'])[j.priority OPERATOR(pg_catalog.+) 1],"
	"    'attempt', j.attempt, 'max_attempts', j.max_attempts,"
	"    'tenant_id', j.tenant_id, 'user_id', j.user_id)",
	8, {TEXTARRAYOID, TIMESTAMPTZOID, INT4OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, OIDOID, INT4OID}
};

static RcPlan rate_bump = {
	"INSERT INTO roomcast.job_rate AS r (tenant_id, kind, minute, claimed, per_minute) "
	"VALUES ($1, $2, $3, 1, $4) ON CONFLICT (tenant_id, kind, minute) DO UPDATE "
	"SET claimed = r.claimed OPERATOR(pg_catalog.+) 1, per_minute = excluded.per_minute RETURNING r.claimed",
	4, {UUIDOID, TEXTOID, TIMESTAMPTZOID, INT4OID}
};

static RcPlan unclaim_plan = {
	"UPDATE roomcast.jobs SET status = 'queued', attempt = attempt OPERATOR(pg_catalog.-) 1, "
	"lease_until = NULL, worker = NULL WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	2, {UUIDOID, UUIDOID}
};

/* One claimed row, copied out of SPI */
typedef struct Claimed
{
	HeldJob		job;
	int64		seq;
	int			limit;
	Jsonb	   *out;
	bool		kept;
} Claimed;

static int
ClaimedCmp(const void *a, const void *b)
{
	const Claimed *x = a,
			   *y = b;

	if (x->job.prio != y->job.prio)
		return y->job.prio - x->job.prio;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Check claim's arguments: kinds, n and the lease (ms) */
static ArrayType *
ClaimArgs(FunctionCallInfo fcinfo, int *n, int *lease_ms)
{
	ArrayType  *kinds;
	Datum	   *elems;
	bool	   *nulls;
	int			nk;
	Interval   *lease;
	int64		us;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("kinds, n and lease must not be null")));
	kinds = PG_GETARG_ARRAYTYPE_P(0);
	*n = PG_GETARG_INT32(1);
	lease = PG_GETARG_INTERVAL_P(2);
	if (ARR_NDIM(kinds) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("expected a one-dimensional text array of kinds")));
	deconstruct_array(kinds, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nk);
	if (nk < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("claim needs at least one kind")));
	RcCheckBatch(nk);
	for (int i = 0; i < nk; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("kinds must not contain nulls")));
		JobKindCheck(VARDATA_ANY(DatumGetTextPP(elems[i])), VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])));
	}
	if (*n < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("claim of %d jobs: n must be at least 1", *n)));
	RcCheckBatch(*n);
	us = lease->time + (int64) lease->day * USECS_PER_DAY + (int64) lease->month * 30 * USECS_PER_DAY;
	if (us < USECS_PER_SEC || us > USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job lease must be between 1 second and 1 day"),
				 errdetail("Renew a long job's lease with progress() or chunk().")));
	*lease_ms = (int) (us / 1000);
	return kinds;
}

/* SQL function: claim(kinds text[], n int, lease interval) returns setof jsonb */
PG_FUNCTION_INFO_V1(claim);
Datum
claim(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n,
				lease_ms,
				got,
				failed;
	ArrayType  *kinds = ClaimArgs(fcinfo, &n, &lease_ms);
	TimestampTz now = JobNow();
	TimestampTz minute = now - (now % (60 * USECS_PER_SEC));
	RcSpiSection spi;
	RcSavedUser sw;
	Claimed    *rows;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext per_query;
	TupleDesc	desc;
	Tuplestorestate *store;
	Datum		v[8];

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("claim() must be called where a set is accepted")));

	v[0] = PointerGetDatum(kinds);
	v[1] = TimestampTzGetDatum(now);
	v[2] = Int32GetDatum(n);
	v[3] = Int32GetDatum(lease_ms);
	v[4] = TimestampTzGetDatum(minute);
	v[5] = TimestampTzGetDatum(now + (int64) lease_ms * 1000);
	v[6] = ObjectIdGetDatum(GetUserId());
	v[7] = Int32GetDatum(rc_job_limit_default);

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	(void) JobRequeueExpired(now, 100, &failed);
	RcPlanExec(&claim_plan, v, NULL, false, 0);
	got = (int) SPI_processed;
	rows = MemoryContextAllocZero(outer, Max(got, 1) * sizeof(Claimed));
	for (int i = 0; i < got; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		u;
		MemoryContext old;

		rows[i].job.tenant = *DatumGetUUIDP(SPI_getbinval(t, d, 1, &isnull));
		rows[i].job.id = *DatumGetUUIDP(SPI_getbinval(t, d, 2, &isnull));
		u = SPI_getbinval(t, d, 3, &isnull);
		rows[i].job.has_user = !isnull;
		if (!isnull)
			rows[i].job.user = *DatumGetUUIDP(u);
		rows[i].job.prio = DatumGetInt16(SPI_getbinval(t, d, 5, &isnull));
		rows[i].seq = DatumGetInt64(SPI_getbinval(t, d, 6, &isnull));
		rows[i].job.attempt = DatumGetInt32(SPI_getbinval(t, d, 7, &isnull));
		rows[i].limit = DatumGetInt32(SPI_getbinval(t, d, 8, &isnull));
		old = MemoryContextSwitchTo(outer);
		rows[i].job.kind = TextDatumGetCString(SPI_getbinval(t, d, 4, &isnull));
		rows[i].out = DatumGetJsonbPCopy(SPI_getbinval(t, d, 9, &isnull));
		MemoryContextSwitchTo(old);
		rows[i].kept = true;
	}
	qsort(rows, got, sizeof(Claimed), ClaimedCmp);
	for (int i = 0; i < got; i++)
	{
		Claimed    *c = &rows[i];
		StringInfoData b;

		if (c->limit > 0)
		{
			bool		isnull;
			int			claimed;

			RcPlanExec(&rate_bump, (Datum[]) {UUIDPGetDatum(&c->job.tenant), CStringGetTextDatum(c->job.kind),
					   TimestampTzGetDatum(minute), Int32GetDatum(c->limit)}, NULL, false, 0);
			claimed = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (claimed > c->limit)
			{
				/* raced past the limit: put it back untouched */
				RcPlanExec(&unclaim_plan, (Datum[]) {UUIDPGetDatum(&c->job.tenant), UUIDPGetDatum(&c->job.id)},
						   NULL, false, 0);
				c->kept = false;
				continue;
			}
		}
		EventStart(&b, &c->job);
		appendStringInfo(&b, ",\"attempt\":%d", c->job.attempt);
		Emit(&c->job, "job:started", &b);
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);

	per_query = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, 1, "claim", JSONBOID, -1, 0);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(per_query);
	for (int i = 0; i < got; i++)
	{
		Datum		d = JsonbPGetDatum(rows[i].out);
		bool		isnull = false;

		if (rows[i].kept)
			tuplestore_putvalues(store, desc, &d, &isnull);
	}
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = desc;
	return (Datum) 0;
}

/*---- holding a job ----*/

static RcPlan held_plan = {
	"SELECT j.tenant_id, j.user_id, j.kind, j.status, j.worker, j.lease_until, j.attempt, "
	"j.max_attempts, j.priority, j.last_seq, j.lease_ms, j.cache FROM roomcast.jobs j "
	"WHERE j.id" EQ "$1 AND ($2::pg_catalog.uuid IS NULL OR j.tenant_id" EQ "$2) FOR UPDATE",
	2, {UUIDOID, UUIDOID}
};

/*
 * Lock job id and check the calling worker holds it (inside a section, as
 * the owner): RC404 when there is no such job (in the identity's tenant,
 * when the worker took one with act_for_job); 55000 when it is not running
 * under this role's lease. Returns false when the job was cancelled.
 */
static bool
HoldJob(pg_uuid_t *id, Oid worker, TimestampTz now, HeldJob *j)
{
	RcIdentity	ident;
	bool		has_ident = RcIdentityGet(&ident);
	Datum		v[2] = {UUIDPGetDatum(id), has_ident ? UUIDPGetDatum(&ident.tenant) : (Datum) 0};
	char		nulls[2] = {' ', has_ident ? ' ' : 'n'};
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;
	char	   *status;
	char		idtext[RC_UUID_LEN + 1];
	Datum		u,
				lease;

	RcUuidFormat(id, idtext);
	RcPlanExec(&held_plan, v, nulls, false, 1);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("unknown job %s", idtext),
				 errdetail("No job has this id%s.", has_ident ? " in the current identity's tenant" : "")));
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	status = TextDatumGetCString(SPI_getbinval(t, d, 4, &isnull));
	if (strcmp(status, "cancelled") == 0)
		return false;
	if (strcmp(status, "running") != 0 || DatumGetObjectId(SPI_getbinval(t, d, 5, &isnull)) != worker)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("job %s is not held by this worker", idtext),
				 errdetail("The job is %s; only the role that claimed a running job may report on it.", status)));
	lease = SPI_getbinval(t, d, 6, &isnull);
	if (isnull || DatumGetTimestampTz(lease) < now)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lease of job %s has expired", idtext),
				 errdetail("The job goes back to the queue; renew leases with progress() or chunk().")));
	j->id = *id;
	j->tenant = *DatumGetUUIDP(SPI_getbinval(t, d, 1, &isnull));
	u = SPI_getbinval(t, d, 2, &isnull);
	j->has_user = !isnull;
	if (!isnull)
		j->user = *DatumGetUUIDP(u);
	j->kind = TextDatumGetCString(SPI_getbinval(t, d, 3, &isnull));
	j->attempt = DatumGetInt32(SPI_getbinval(t, d, 7, &isnull));
	j->max_attempts = DatumGetInt32(SPI_getbinval(t, d, 8, &isnull));
	j->prio = DatumGetInt16(SPI_getbinval(t, d, 9, &isnull));
	j->last_seq = DatumGetInt32(SPI_getbinval(t, d, 10, &isnull));
	j->lease_ms = DatumGetInt32(SPI_getbinval(t, d, 11, &isnull));
	j->cache = DatumGetBool(SPI_getbinval(t, d, 12, &isnull));
	return true;
}

/* The job id argument, or 22004 */
static pg_uuid_t *
JobIdArg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job id must not be null")));
	return PG_GETARG_UUID_P(0);
}

static RcPlan progress_plan = {
	"UPDATE roomcast.jobs SET progress = $3, lease_until = $4 WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	4, {UUIDOID, UUIDOID, INT4OID, TIMESTAMPTZOID}
};

/* SQL function: progress(id uuid, pct int, data jsonb) returns boolean */
PG_FUNCTION_INFO_V1(job_progress);
Datum
job_progress(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = JobIdArg(fcinfo);
	int32		pct;
	char	   *data = PG_ARGISNULL(2) ? NULL : JobJsonText(PG_GETARG_JSONB_P(2));
	TimestampTz now = JobNow();
	RcSpiSection spi;
	RcSavedUser sw;
	HeldJob		j;
	bool		held;

	if (PG_ARGISNULL(1) || (pct = PG_GETARG_INT32(1)) < 0 || pct > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job progress must be 0 to 100"),
				 errdetail("Progress is a percentage.")));
	if (data && strlen(data) > (size_t) rc_max_event_bytes)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("progress data of %zu bytes exceeds roomcast.max_event_bytes (%d)",
						strlen(data), rc_max_event_bytes)));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	held = HoldJob(id, sw.userid, now, &j);
	if (held)
	{
		StringInfoData b;

		RcPlanExec(&progress_plan, (Datum[]) {UUIDPGetDatum(&j.tenant), UUIDPGetDatum(id), Int32GetDatum(pct),
				   TimestampTzGetDatum(now + (int64) j.lease_ms * 1000)}, NULL, false, 0);
		EventStart(&b, &j);
		appendStringInfo(&b, ",\"progress\":%d", pct);
		if (data)
			appendStringInfo(&b, ",\"data\":%s", data);
		Emit(&j, "job:progress", &b);
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PG_RETURN_BOOL(held);
}

static RcPlan chunk_plan = {
	"UPDATE roomcast.jobs SET last_seq = $3, lease_until = $4 WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	4, {UUIDOID, UUIDOID, INT4OID, TIMESTAMPTZOID}
};

/* SQL function: chunk(id uuid, seq int, text text) returns boolean */
PG_FUNCTION_INFO_V1(job_chunk);
Datum
job_chunk(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = JobIdArg(fcinfo);
	int32		seq;
	text	   *piece;
	TimestampTz now = JobNow();
	RcSpiSection spi;
	RcSavedUser sw;
	HeldJob		j;
	bool		held;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("chunk seq and text must not be null")));
	seq = PG_GETARG_INT32(1);
	piece = PG_GETARG_TEXT_PP(2);
	if (seq < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("chunk seq %d is negative", seq)));
	if (VARSIZE_ANY_EXHDR(piece) > (size_t) rc_max_event_bytes)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("chunk of %zu bytes exceeds roomcast.max_event_bytes (%d)",
						VARSIZE_ANY_EXHDR(piece), rc_max_event_bytes),
				 errdetail("Stream a long reply in several chunks.")));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	held = HoldJob(id, sw.userid, now, &j);
	if (held)
	{
		StringInfoData b;

		if (seq <= j.last_seq)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("chunk seq %d is not after %d", seq, j.last_seq),
					 errdetail("Chunks of one attempt carry increasing seq numbers, starting at 0.")));
		RcPlanExec(&chunk_plan, (Datum[]) {UUIDPGetDatum(&j.tenant), UUIDPGetDatum(id), Int32GetDatum(seq),
				   TimestampTzGetDatum(now + (int64) j.lease_ms * 1000)}, NULL, false, 0);
		EventStart(&b, &j);
		appendStringInfo(&b, ",\"seq\":%d,\"attempt\":%d,\"text\":", seq, j.attempt);
		escape_json(&b, text_to_cstring(piece));
		Emit(&j, "job:chunk", &b);
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PG_RETURN_BOOL(held);
}

static RcPlan complete_plan = {
	"UPDATE roomcast.jobs SET status = 'completed', result = $3, finished_at = $4, progress = 100, "
	"lease_until = NULL, worker = NULL, error = NULL WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	4, {UUIDOID, UUIDOID, JSONBOID, TIMESTAMPTZOID}
};

static RcPlan cache_put = {
	"INSERT INTO roomcast.job_cache AS c (tenant_id, kind, payload_hash, result, expires_at) "
	"SELECT j.tenant_id, j.kind, pg_catalog.sha256(pg_catalog.convert_to(j.payload::pg_catalog.text, 'UTF8')), "
	"j.result, $3 FROM roomcast.jobs j WHERE j.tenant_id" EQ "$1 AND j.id" EQ "$2 "
	"ON CONFLICT (tenant_id, kind, payload_hash) DO UPDATE SET result = excluded.result, "
	"expires_at = excluded.expires_at",
	3, {UUIDOID, UUIDOID, TIMESTAMPTZOID}
};

/* Cache lifetimes in seconds by priority: low, normal, high, critical */
static const int cache_ttl_s[] = {3600, 1800, 600, 300};

/* SQL function: complete(id uuid, result jsonb) returns boolean */
PG_FUNCTION_INFO_V1(job_complete);
Datum
job_complete(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = JobIdArg(fcinfo);
	Jsonb	   *result = PG_ARGISNULL(1) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("null")))
		: PG_GETARG_JSONB_P(1);
	char	   *rtext = JobJsonText(result);
	TimestampTz now = JobNow();
	RcSpiSection spi;
	RcSavedUser sw;
	HeldJob		j;
	bool		held;

	if (strlen(rtext) > (size_t) rc_max_event_bytes)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("job result of %zu bytes exceeds roomcast.max_event_bytes (%d)",
						strlen(rtext), rc_max_event_bytes),
				 errdetail("Keep large results in your own tables and return their key.")));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	held = HoldJob(id, sw.userid, now, &j);
	if (held)
	{
		StringInfoData b;

		RcPlanExec(&complete_plan, (Datum[]) {UUIDPGetDatum(&j.tenant), UUIDPGetDatum(id), JsonbPGetDatum(result),
				   TimestampTzGetDatum(now)}, NULL, false, 0);
		if (j.cache)
			RcPlanExec(&cache_put, (Datum[]) {UUIDPGetDatum(&j.tenant), UUIDPGetDatum(id),
					   TimestampTzGetDatum(now + (int64) cache_ttl_s[j.prio] * USECS_PER_SEC)}, NULL, false, 0);
		EventStart(&b, &j);
		appendStringInfo(&b, ",\"result\":%s", rtext);
		Emit(&j, "job:completed", &b);
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PG_RETURN_BOOL(held);
}

/* SQL function: fail(id uuid, error text, retryable boolean) returns boolean */
PG_FUNCTION_INFO_V1(job_fail);
Datum
job_fail(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = JobIdArg(fcinfo);
	char	   *error;
	bool		retryable = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	TimestampTz now = JobNow();
	RcSpiSection spi;
	RcSavedUser sw;
	HeldJob		j;
	bool		held;

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job error must not be null")));
	error = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strlen(error) > 8192)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("job error of %zu bytes exceeds 8192 bytes", strlen(error)),
				 errdetail("Report a short message; keep details in your logs.")));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	held = HoldJob(id, sw.userid, now, &j);
	if (held)
		(void) FailAttempt(&j, error, retryable, now);
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PG_RETURN_BOOL(held);
}

/* SQL function: act_for_job(id uuid) returns jsonb */
PG_FUNCTION_INFO_V1(act_for_job);
Datum
act_for_job(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = JobIdArg(fcinfo);
	RcSpiSection spi;
	RcSavedUser sw;
	HeldJob		j;
	bool		held;
	char		t[RC_UUID_LEN + 1],
				u[RC_UUID_LEN + 1];

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	held = HoldJob(id, sw.userid, JobNow(), &j);
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	if (!held)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("job was cancelled"),
				 errdetail("A worker acts for a job only while it runs.")));
	/* the requester's tenant and user, with the least role: never admin */
	RcIdentitySet(&j.tenant, j.has_user ? &j.user : NULL, "worker", NULL);
	RcUuidFormat(&j.tenant, t);
	if (j.has_user)
		RcUuidFormat(&j.user, u);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(
																psprintf("{\"tenant_id\":\"%s\",\"user_id\":%s%s%s}", t,
																		 j.has_user ? "\"" : "", j.has_user ? u : "null", j.has_user ? "\"" : ""))));
}
