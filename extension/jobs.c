/*-------------------------------------------------------------------------
 *
 * jobs.c
 *	  The job queue, requester side (SPEC §9): enqueue (with dedupe and the
 *	  result cache), cancel, job_status, set_job_limit, the jobs part of
 *	  maintain(), and the helpers jobworker.c and jobrpc.c share (jobs.h).
 *
 *	  Tenancy. A requester sees only jobs of its identity's tenant, and
 *	  within it only its own (or all, as the tenant's admin or a service).
 *	  Every other job id, whether it exists in another tenant or not at
 *	  all, gets the same RC404, so ids cannot be probed.
 *
 *	  Wake-up. enqueue NOTIFYs channel roomcast_jobs with the kind at
 *	  commit. Anyone can NOTIFY any channel, so workers treat it only as a
 *	  hint to call claim(); nothing is read from the payload.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "jobs.h"
#include "events.h"
#include "rooms.h"
#include "rcspi.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

#define EQ " OPERATOR(pg_catalog.=) "
#define LT " OPERATOR(pg_catalog.<) "
#define GT " OPERATOR(pg_catalog.>) "

/*---- GUC variables ----*/
int			rc_job_limit_default = 0;
char	   *rc_job_retention = NULL;
char	   *rc_rpc_job_kinds = NULL;

static const char *const priority_names[] = {"low", "normal", "high", "critical"};

/* Now by the testing clock; see jobs.h */
TimestampTz
JobNow(void)
{
	const char *o = GetConfigOption("roomcast.clock_override", true, false);
	long		secs = o ? strtol(o, NULL, 10) : 0;

	if (secs > 0)
		return (TimestampTz) (secs - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) *
			USECS_PER_SEC;
	return GetCurrentTimestamp();
}

const char *
JobPriorityName(int prio)
{
	return priority_names[Max(0, Min(prio, 3))];
}

/* 2000·2^(attempt-1) ms, 1000·… for high and critical; capped at 2^20 s */
int64
JobBackoffMs(int prio, int attempt)
{
	int64		base = prio >= RC_JOB_HIGH ? 1000 : 2000;

	return base << Min(Max(attempt - 1, 0), 20);
}

void
JobKindCheck(const char *kind, size_t len)
{
	bool		ok = len >= 1 && len <= 64 && kind[0] >= 'a' && kind[0] <= 'z';

	for (size_t i = 1; ok && i < len; i++)
		ok = (kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') ||
			strchr("_.:-", kind[i]) != NULL;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed job kind \"%.*s\"", (int) Min(len, 80), kind),
				 errdetail("A job kind matches [a-z][a-z0-9_.:-]{0,63}.")));
}

char *
JobJsonText(Jsonb *j)
{
	return JsonbToCString(NULL, &j->root, VARSIZE(j));
}

void
JobEmit(const pg_uuid_t *tenant, const pg_uuid_t *user, const char *event, const char *data)
{
	if (user == NULL)
		return;
	RcEmitText(tenant, RcRoomUser(tenant, user), "/", event, data, strlen(data), true);
}

/* Raise RC413 when JSON text of len bytes is over roomcast.max_event_bytes */
static void
CheckJsonSize(const char *what, size_t len)
{
	if (len > (size_t) rc_max_event_bytes)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("job %s of %zu bytes exceeds roomcast.max_event_bytes (%d)",
						what, len, rc_max_event_bytes),
				 errdetail("Keep large data in your own tables and pass its key.")));
}

/*---- enqueue ----*/

typedef struct JobOpts
{
	int			prio;
	int64		delay_ms;
	int			max_attempts;
	char	   *dedupe_key;		/* NULL for none */
	bool		cache;
} JobOpts;

/* A non-negative integer option, or 22023 naming it */
static int64
OptInt(JsonbValue *v, const char *key, int64 lo, int64 hi)
{
	int64		n;

	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job option \"%s\" must be a number", key)));
	n = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
	if (n < lo || n > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job option \"%s\" is %lld, outside %lld..%lld", key,
						(long long) n, (long long) lo, (long long) hi)));
	return n;
}

/* Parse priority and opts (SPEC §9 defaults); unknown keys are errors */
static void
ParseOpts(text *priority, Jsonb *opts, JobOpts *o)
{
	char	   *p = priority ? text_to_cstring(priority) : "normal";
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	o->prio = -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(p, priority_names[i]) == 0)
			o->prio = i;
	if (o->prio < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown job priority \"%s\"", p),
				 errdetail("A priority is low, normal, high or critical.")));
	o->delay_ms = o->prio == RC_JOB_LOW ? 5000 : 0;
	o->max_attempts = o->prio >= RC_JOB_HIGH ? 5 : 3;
	o->dedupe_key = NULL;
	o->cache = false;
	if (opts == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(opts) || JB_ROOT_IS_SCALAR(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job options must be a JSON object")));
	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "delay_ms") == 0)
			o->delay_ms = OptInt(&v, key, 0, INT64CONST(30) * 86400 * 1000);
		else if (strcmp(key, "max_attempts") == 0)
			o->max_attempts = (int) OptInt(&v, key, 1, 25);
		else if (strcmp(key, "dedupe_key") == 0)
		{
			if (v.type != jbvString || v.val.string.len < 1 || v.val.string.len > 200)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("job option \"dedupe_key\" must be a string of 1 to 200 bytes")));
			o->dedupe_key = pnstrdup(v.val.string.val, v.val.string.len);
		}
		else if (strcmp(key, "cache") == 0)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("job option \"cache\" must be true or false")));
			o->cache = v.val.boolean;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown job option \"%s\"", key),
					 errdetail("Job options are delay_ms, max_attempts, dedupe_key and cache.")));
	}
}

static RcPlan cache_get = {
	"SELECT c.result FROM roomcast.job_cache c WHERE c.tenant_id" EQ "$1 AND c.kind" EQ "$2 "
	"AND c.payload_hash" EQ "pg_catalog.sha256(pg_catalog.convert_to($3::pg_catalog.text, 'UTF8')) "
	"AND c.expires_at" GT "$4",
	4, {UUIDOID, TEXTOID, JSONBOID, TIMESTAMPTZOID}
};

static RcPlan job_insert = {
	"INSERT INTO roomcast.jobs (tenant_id, id, user_id, kind, payload, priority, seq, status, "
	"run_at, max_attempts, cache, dedupe_key, created_at, result, cached, finished_at) "
	"VALUES ($1, pg_catalog.gen_random_uuid(), $2, $3, $4, $5, pg_catalog.nextval('roomcast.jobs_seq'), "
	"$6, $7 OPERATOR(pg_catalog.+) ($8 OPERATOR(pg_catalog.*) interval '1 ms'), $9, $10, $11, $7, $12, "
	"$12 IS NOT NULL, CASE WHEN $12 IS NOT NULL THEN $7 END) "
	"ON CONFLICT (tenant_id, kind, dedupe_key) "
	"WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running') DO NOTHING "
	"RETURNING id, seq",
	12, {UUIDOID, UUIDOID, TEXTOID, JSONBOID, INT2OID, TEXTOID, TIMESTAMPTZOID, FLOAT8OID,
		INT4OID, BOOLOID, TEXTOID, JSONBOID}
};

static RcPlan dedupe_get = {
	"SELECT j.id FROM roomcast.jobs j WHERE j.tenant_id" EQ "$1 AND j.kind" EQ "$2 "
	"AND j.dedupe_key" EQ "$3 AND j.status IN ('queued', 'running')",
	3, {UUIDOID, TEXTOID, TEXTOID}
};

static RcPlan position_plan = {
	"SELECT pg_catalog.count(*)::pg_catalog.int4 FROM (SELECT 1 FROM roomcast.jobs j "
	"WHERE j.status" EQ "'queued' AND j.kind" EQ "$1 AND (j.priority" GT "$2 "
	"OR (j.priority" EQ "$2 AND j.seq" LT "$3)) "
	/* the order of jobs_claim, so the scan stops after the cap */
	"ORDER BY j.priority DESC, j.seq LIMIT " CppAsString2(RC_JOB_POSITION_CAP) ") x",
	3, {TEXTOID, INT2OID, INT8OID}
};

/* 1 + queued jobs of kind claimed before (prio, seq), at most the cap + 1; in a section */
static int
Position(const char *kind, int prio, int64 seq)
{
	Datum		v[3] = {CStringGetTextDatum(kind), Int16GetDatum(prio), Int64GetDatum(seq)};
	bool		isnull;

	RcPlanExec(&position_plan, v, NULL, false, 1);
	return 1 + DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Queue a job for ident; returns its id (a new one, the active job with the
 * same dedupe key, or a job completed at once from the cache). Emits
 * job:queued (or job:completed for a cache hit) and wakes the workers.
 */
pg_uuid_t *
JobEnqueue(const RcIdentity *ident, text *kind_t, Jsonb *payload, text *priority, Jsonb *opts)
{
	char	   *kind = text_to_cstring(kind_t);
	char	   *ptext = JobJsonText(payload);
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));
	JobOpts		o;
	TimestampTz now = JobNow();
	RcSpiSection spi;
	RcSavedUser sw;
	Datum		v[12];
	char		nulls[12];
	Jsonb	   *cached = NULL;
	bool		isnull;
	int64		seq = 0;
	bool		fresh = false;
	char		idtext[RC_UUID_LEN + 1];

	JobKindCheck(kind, strlen(kind));
	CheckJsonSize("payload", strlen(ptext));
	ParseOpts(priority, opts, &o);

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	if (o.cache)
	{
		Datum		cv[4] = {UUIDPGetDatum(&ident->tenant), CStringGetTextDatum(kind),
		JsonbPGetDatum(payload), TimestampTzGetDatum(now)};

		RcPlanExec(&cache_get, cv, NULL, false, 1);
		if (SPI_processed == 1)
			cached = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	memset(nulls, ' ', sizeof(nulls));
	v[0] = UUIDPGetDatum(&ident->tenant);
	v[1] = ident->has_user ? UUIDPGetDatum(&ident->user) : (Datum) 0;
	nulls[1] = ident->has_user ? ' ' : 'n';
	v[2] = CStringGetTextDatum(kind);
	v[3] = JsonbPGetDatum(payload);
	v[4] = Int16GetDatum(o.prio);
	v[5] = CStringGetTextDatum(cached ? "completed" : "queued");
	v[6] = TimestampTzGetDatum(now);
	v[7] = Float8GetDatum((double) o.delay_ms);
	v[8] = Int32GetDatum(o.max_attempts);
	v[9] = BoolGetDatum(o.cache);
	v[10] = o.dedupe_key && !cached ? CStringGetTextDatum(o.dedupe_key) : (Datum) 0;
	nulls[10] = o.dedupe_key && !cached ? ' ' : 'n';
	v[11] = cached ? JsonbPGetDatum(cached) : (Datum) 0;
	nulls[11] = cached ? ' ' : 'n';

	/* a dedupe conflict with a job that finishes meanwhile: insert again */
	for (int tries = 0; tries < 3 && !fresh; tries++)
	{
		RcPlanExec(&job_insert, v, nulls, false, 0);
		if (SPI_processed == 1)
		{
			*id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
			fresh = true;
			break;
		}
		RcPlanExec(&dedupe_get, (Datum[]) {v[0], v[2], v[10]}, NULL, false, 1);
		if (SPI_processed == 1)
		{
			*id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			break;
		}
	}
	if (!fresh && SPI_processed != 1)
		elog(ERROR, "roomcast: dedupe key kept conflicting with finishing jobs");
	RcUuidFormat(id, idtext);
	if (fresh && cached)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfo(&b, "{\"id\":\"%s\",\"kind\":", idtext);
		escape_json(&b, kind);
		appendStringInfo(&b, ",\"result\":%s,\"cached\":true}", JobJsonText(cached));
		JobEmit(&ident->tenant, ident->has_user ? &ident->user : NULL, "job:completed", b.data);
	}
	else if (fresh)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfo(&b, "{\"id\":\"%s\",\"kind\":", idtext);
		escape_json(&b, kind);
		appendStringInfo(&b, ",\"priority\":\"%s\"", priority_names[o.prio]);
		/* the position costs a capped index scan: only when someone will see it */
		if (ident->has_user)
			appendStringInfo(&b, ",\"position\":%d", Position(kind, o.prio, seq));
		appendStringInfoChar(&b, '}');
		JobEmit(&ident->tenant, ident->has_user ? &ident->user : NULL, "job:queued", b.data);
		Async_Notify(RC_JOBS_CHANNEL, kind);
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	return id;
}

/* SQL function: enqueue(kind text, payload jsonb, priority text, opts jsonb) returns uuid */
PG_FUNCTION_INFO_V1(enqueue);
Datum
enqueue(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job kind and payload must not be null")));
	PG_RETURN_UUID_P(JobEnqueue(&ident, PG_GETARG_TEXT_PP(0), PG_GETARG_JSONB_P(1),
								PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
								PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3)));
}

/*---- cancel and status ----*/

static RcPlan own_job = {
	"SELECT j.user_id, j.kind, j.status, j.priority, j.seq, j.progress, j.attempt, j.max_attempts, "
	"j.result, j.error, j.cached, j.run_at FROM roomcast.jobs j "
	"WHERE j.tenant_id" EQ "$1 AND j.id" EQ "$2",
	2, {UUIDOID, UUIDOID}
};

static RcPlan own_job_lock = {
	"SELECT j.user_id, j.kind, j.status FROM roomcast.jobs j "
	"WHERE j.tenant_id" EQ "$1 AND j.id" EQ "$2 FOR UPDATE",
	2, {UUIDOID, UUIDOID}
};

/*
 * Look job id up in ident's tenant with plan (inside a section, as the
 * owner) and raise RC404 unless ident may see it: its requester, the
 * tenant's admin, or a service identity. One message for every refusal.
 */
static void
FindOwnJob(RcPlan *plan, const RcIdentity *ident, pg_uuid_t *id)
{
	Datum		v[2] = {UUIDPGetDatum(&ident->tenant), UUIDPGetDatum(id)};
	bool		allowed = false;
	char		idtext[RC_UUID_LEN + 1];

	RcPlanExec(plan, v, NULL, false, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		u = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		allowed = strcmp(ident->role, "admin") == 0 ||
			(!ident->has_user && strcmp(ident->role, "service") == 0) ||
			(!isnull && ident->has_user && memcmp(DatumGetUUIDP(u), &ident->user, sizeof(pg_uuid_t)) == 0);
	}
	if (!allowed)
	{
		RcUuidFormat(id, idtext);
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("unknown job %s", idtext),
				 errdetail("No job with this id was requested by you in this tenant.")));
	}
}

static RcPlan cancel_plan = {
	"UPDATE roomcast.jobs SET status = 'cancelled', finished_at = $3, lease_until = NULL "
	"WHERE tenant_id" EQ "$1 AND id" EQ "$2",
	3, {UUIDOID, UUIDOID, TIMESTAMPTZOID}
};

/* Cancel a queued or running job of ident's; false when already finished */
bool
JobCancel(const RcIdentity *ident, pg_uuid_t *id)
{
	RcSpiSection spi;
	RcSavedUser sw;
	bool		isnull,
				done = false;
	char	   *status;

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	FindOwnJob(&own_job_lock, ident, id);
	status = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0)
	{
		Datum		u = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		pg_uuid_t  *user = isnull ? NULL : DatumGetUUIDP(u);
		char	   *kind = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		StringInfoData b;
		char		idtext[RC_UUID_LEN + 1];

		RcPlanExec(&cancel_plan, (Datum[]) {UUIDPGetDatum(&ident->tenant), UUIDPGetDatum(id),
				   TimestampTzGetDatum(JobNow())}, NULL, false, 0);
		RcUuidFormat(id, idtext);
		initStringInfo(&b);
		appendStringInfo(&b, "{\"id\":\"%s\",\"kind\":", idtext);
		escape_json(&b, kind);
		appendStringInfoChar(&b, '}');
		JobEmit(&ident->tenant, user, "job:cancelled", b.data);
		done = true;
	}
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	return done;
}

/* SQL function: cancel(id uuid) returns boolean */
PG_FUNCTION_INFO_V1(job_cancel);
Datum
job_cancel(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job id must not be null")));
	PG_RETURN_BOOL(JobCancel(&ident, PG_GETARG_UUID_P(0)));
}

/* {id, kind, status, position, progress, attempt, maxAttempts, result | error, cached} as jsonb */
Datum
JobStatus(const RcIdentity *ident, pg_uuid_t *id)
{
	RcSpiSection spi;
	RcSavedUser sw;
	StringInfoData b;
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;
	char	   *status;
	char		idtext[RC_UUID_LEN + 1];
	Datum		result;

	initStringInfo(&b);
	RcUuidFormat(id, idtext);
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	FindOwnJob(&own_job, ident, id);
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	status = TextDatumGetCString(SPI_getbinval(t, d, 3, &isnull));
	appendStringInfo(&b, "{\"id\":\"%s\",\"kind\":", idtext);
	escape_json(&b, TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull)));
	appendStringInfo(&b, ",\"status\":\"%s\",\"priority\":\"%s\",\"progress\":%d,\"attempt\":%d,\"maxAttempts\":%d",
					 status, JobPriorityName(DatumGetInt16(SPI_getbinval(t, d, 4, &isnull))),
					 DatumGetInt32(SPI_getbinval(t, d, 6, &isnull)),
					 DatumGetInt32(SPI_getbinval(t, d, 7, &isnull)),
					 DatumGetInt32(SPI_getbinval(t, d, 8, &isnull)));
	if (strcmp(status, "completed") == 0)
		appendStringInfo(&b, ",\"result\":%s,\"cached\":%s",
						 JobJsonText(DatumGetJsonbP(SPI_getbinval(t, d, 9, &isnull))),
						 DatumGetBool(SPI_getbinval(t, d, 11, &isnull)) ? "true" : "false");
	else
	{
		Datum		e = SPI_getbinval(t, d, 10, &isnull);

		appendStringInfoString(&b, ",\"error\":");
		if (isnull)
			appendStringInfoString(&b, "null");
		else
			escape_json(&b, TextDatumGetCString(e));
	}
	if (strcmp(status, "queued") == 0)
	{
		int			prio = DatumGetInt16(SPI_getbinval(t, d, 4, &isnull));
		int64		seq = DatumGetInt64(SPI_getbinval(t, d, 5, &isnull));
		TimestampTz run_at = DatumGetTimestampTz(SPI_getbinval(t, d, 12, &isnull));
		char	   *kind = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));

		appendStringInfo(&b, ",\"runAt\":%lld",
						 (long long) (run_at / 1000 + INT64CONST(946684800000)));
		appendStringInfo(&b, ",\"position\":%d", Position(kind, prio, seq));
	}
	appendStringInfoChar(&b, '}');
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data));
	return result;
}

/* SQL function: job_status(id uuid) returns jsonb */
PG_FUNCTION_INFO_V1(job_status);
Datum
job_status(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job id must not be null")));
	PG_RETURN_DATUM(JobStatus(&ident, PG_GETARG_UUID_P(0)));
}

/*---- limits ----*/

static RcPlan limit_set = {
	"WITH l AS (INSERT INTO roomcast.job_limits AS l (tenant_id, kind, per_minute) VALUES ($1, $2, $3) "
	"ON CONFLICT (tenant_id, kind) DO UPDATE SET per_minute = excluded.per_minute) "
	"UPDATE roomcast.job_rate SET per_minute = $3 WHERE tenant_id" EQ "$1 AND kind" EQ "$2",
	3, {UUIDOID, TEXTOID, INT4OID}
};

/* SQL function: set_job_limit(kind text, per_minute int) returns void */
PG_FUNCTION_INFO_V1(set_job_limit);
Datum
set_job_limit(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;
	RcSpiSection spi;
	RcSavedUser sw;
	text	   *kind;
	int32		per_minute;

	RcIdentityRequire(&ident);
	if (strcmp(ident.role, "admin") != 0 && strcmp(ident.role, "service") != 0)
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("set_job_limit needs the tenant's admin or a service"),
				 errdetail("Your role \"%s\" may not change the tenant's job limits.", ident.role)));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("kind and per_minute must not be null")));
	kind = PG_GETARG_TEXT_PP(0);
	per_minute = PG_GETARG_INT32(1);
	JobKindCheck(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind));
	if (per_minute < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job limit %d per minute is negative", per_minute),
				 errdetail("Use 0 for no limit.")));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&limit_set, (Datum[]) {UUIDPGetDatum(&ident.tenant), PointerGetDatum(kind),
			   Int32GetDatum(per_minute)}, NULL, false, 0);
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PG_RETURN_VOID();
}

/*---- maintenance ----*/

static RcPlan retention_plan = {
	"WITH j AS (DELETE FROM roomcast.jobs WHERE finished_at" LT "$1 RETURNING 1), "
	"c AS (DELETE FROM roomcast.job_cache WHERE expires_at" LT "$2 RETURNING 1), "
	"r AS (DELETE FROM roomcast.job_rate WHERE minute" LT "($2 OPERATOR(pg_catalog.-) interval '1 hour') RETURNING 1) "
	"SELECT (SELECT pg_catalog.count(*) FROM j)::pg_catalog.int4, (SELECT pg_catalog.count(*) FROM c)::pg_catalog.int4",
	2, {TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/* SQL function: _jobs_maintain(at timestamptz) returns jsonb */
PG_FUNCTION_INFO_V1(jobs_maintain);
Datum
jobs_maintain(PG_FUNCTION_ARGS)
{
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(0);
	Interval   *keep = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(rc_job_retention),
															  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	TimestampTz cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
																 TimestampTzGetDatum(at), IntervalPGetDatum(keep)));
	RcSpiSection spi;
	RcSavedUser sw;
	int			requeued,
				failed,
				deleted,
				uncached;
	bool		isnull;
	char	   *out;

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	requeued = JobRequeueExpired(at, 100000, &failed);
	RcPlanExec(&retention_plan, (Datum[]) {TimestampTzGetDatum(cutoff), TimestampTzGetDatum(at)},
			   NULL, false, 0);
	deleted = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	uncached = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	out = psprintf("{\"requeued\":%d,\"failed\":%d,\"deleted\":%d,\"uncached\":%d}",
				   requeued - failed, failed, deleted, uncached);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out)));
}

/* Define the job settings */
void
RcJobsInit(void)
{
	DefineCustomIntVariable("roomcast.job_limit_default",
							"Job claims per minute per tenant and kind when the tenant set none (0 = unlimited).",
							"A tenant over its limit is skipped by claim(), never blocked.",
							&rc_job_limit_default, 0, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.job_retention",
							   "How long finished jobs are kept (an interval).",
							   "roomcast.maintain() removes older completed, failed and cancelled jobs.",
							   &rc_job_retention, "7 days",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.rpc_job_kinds",
							   "Job kinds sockets may enqueue through rpc job:enqueue (comma-separated, * for any).",
							   "Empty (the default): none; workers trust payloads of their kinds, so open only kinds meant for browsers.",
							   &rc_rpc_job_kinds, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
}
