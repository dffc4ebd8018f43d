/*-------------------------------------------------------------------------
 *
 * events.c
 *	  Room events (SPEC §3): emit / emit_to_user / emit_to_tenant buffer
 *	  events in the transaction; at commit they get their positions and go
 *	  to the durable log roomcast.events, and one content-free hint goes
 *	  out on NOTIFY channel roomcast. The hint carries no tenant, room or
 *	  data: notifiers read what is new from the log (roomcast.notifier_read,
 *	  46_control.ddl.sql), which no application role can write, so a forged
 *	  NOTIFY delivers nothing and a LISTENing role learns nothing.
 *
 *	  Commit order. In the XACT_EVENT_PRE_COMMIT callback we take the lock
 *	  that PreCommit_Notify (commands/async.c) takes to serialize NOTIFYing
 *	  transactions - LockSharedObject(DatabaseRelationId, InvalidOid, 0,
 *	  AccessExclusiveLock), a heavyweight lock held until after the commit
 *	  record is written and the transaction is visible. Positions are drawn
 *	  from roomcast.events_pos_seq (CACHE 1) while holding it, so the order
 *	  of pos is the order of commits, and is the order of the NOTIFYs queued
 *	  in the same section. The lock is cluster-wide: committing transactions
 *	  that emitted events are serialized exactly like NOTIFYing ones.
 *
 *	  Why a reader never skips an event: the lock is released only after
 *	  the commit is visible (ProcArrayEndTransaction precedes the lock
 *	  release in CommitTransaction). If B draws pos q after A drew p < q,
 *	  B took the lock after A released it, so A was visible before B
 *	  committed. Hence any snapshot that sees pos q sees every committed
 *	  pos below q, and "pos > last delivered" read after a hint misses
 *	  nothing and repeats nothing (docs/security-delivery.md).
 *
 *	  Memory. Pending events live in TopTransactionContext; the pointers to
 *	  them are forgotten at transaction end. Events emitted in a
 *	  subtransaction are dropped when it rolls back (each carries its
 *	  nesting level). A transaction with nothing emitted costs nothing.
 *
 *	  PREPARE TRANSACTION with pending events is refused: the commit of a
 *	  prepared transaction runs no pre-commit callback, so its events could
 *	  be neither ordered nor delivered.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"
#include "events.h"
#include "rooms.h"
#include "rcspi.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "fmgr.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

/* Milliseconds between the Unix and the PostgreSQL epochs */
#define RC_UNIX_EPOCH_MS INT64CONST(946684800000)

/*---- GUC variables ----*/
int			rc_max_event_bytes = 65536;
int			rc_max_batch = 100;
int			rc_max_page = 100;
char	   *rc_notification_nsp = NULL;
char	   *rc_event_retention = NULL;

/* An event waiting for commit */
typedef struct RcPendingEvent
{
	int			level;			/* transaction nesting level that emitted it */
	pg_uuid_t	tenant;
	int64		id;
	char	   *room;
	char	   *nsp;
	char	   *event;
	char	   *data;			/* compact JSON */
	int			data_len;
	bool		add_ts;			/* object without "timestamp": add one */
} RcPendingEvent;

static RcPendingEvent *pending = NULL;	/* in TopTransactionContext */
static int	pending_n = 0;
static int	pending_cap = 0;

static Oid	id_seq_oid = InvalidOid;
static Oid	pos_seq_oid = InvalidOid;
static TimestampTz partitions_until = 0;	/* log partitions exist up to here */

/* Check hook: the notification namespace must be a valid namespace */
static bool
CheckNspGuc(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !rc_nsp_valid(*newval, strlen(*newval)))
	{
		GUC_check_errdetail("A namespace matches /[A-Za-z0-9_.-]{0,63}.");
		return false;
	}
	return true;
}

void
RcCheckBatch(int n)
{
	if (n > rc_max_batch)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("batch of %d items exceeds roomcast.max_batch (%d)", n, rc_max_batch),
				 errdetail("Split the request into batches of at most %d items.", rc_max_batch)));
}

/*
 * Append the compact JSON text of a jsonb container to out (no spaces, as
 * JSON.stringify writes it). A comma is due before a value unless it opens
 * a container or follows a key.
 */
static void
JsonbToCompact(StringInfo out, JsonbContainer *c)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			start = out->len;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		char		last = out->len > start ? out->data[out->len - 1] : '{';
		bool		comma = last != '{' && last != '[' && last != ':';

		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				if (v.val.array.rawScalar)
					break;
				if (comma)
					appendStringInfoChar(out, ',');
				appendStringInfoChar(out, '[');
				break;
			case WJB_END_ARRAY:
				if (!v.val.array.rawScalar)
					appendStringInfoChar(out, ']');
				break;
			case WJB_BEGIN_OBJECT:
				if (comma)
					appendStringInfoChar(out, ',');
				appendStringInfoChar(out, '{');
				break;
			case WJB_END_OBJECT:
				appendStringInfoChar(out, '}');
				break;
			case WJB_KEY:
				if (comma)
					appendStringInfoChar(out, ',');
				escape_json(out, pnstrdup(v.val.string.val, v.val.string.len));
				appendStringInfoChar(out, ':');
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				if (comma && tok == WJB_ELEM)
					appendStringInfoChar(out, ',');
				switch (v.type)
				{
					case jbvNull:
						appendStringInfoString(out, "null");
						break;
					case jbvBool:
						appendStringInfoString(out, v.val.boolean ? "true" : "false");
						break;
					case jbvString:
						escape_json(out, pnstrdup(v.val.string.val, v.val.string.len));
						break;
					case jbvNumeric:
						appendStringInfoString(out,
											   DatumGetCString(DirectFunctionCall1(numeric_out,
																				   NumericGetDatum(v.val.numeric))));
						break;
					default:
						elog(ERROR, "roomcast: unexpected jsonb value type %d", (int) v.type);
				}
				break;
			default:
				break;
		}
	}
}

int64
RcEmitText(const pg_uuid_t *tenant, const char *room, const char *nsp,
		   const char *event, const char *data, size_t data_len, bool add_timestamp)
{
	MemoryContext old;
	RcPendingEvent *e;

	if (data_len > (size_t) rc_max_event_bytes)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("event data of %zu bytes exceeds roomcast.max_event_bytes (%d)",
						data_len, rc_max_event_bytes),
				 errdetail("Event \"%s\" to room \"%s\" carries %zu bytes of JSON; store large content in a table and send its key.",
						   event, room, data_len)));
	if (IsParallelWorker())
		elog(ERROR, "roomcast: cannot emit events in a parallel worker");

	old = MemoryContextSwitchTo(TopTransactionContext);
	if (pending_n == pending_cap)
	{
		pending_cap = pending_cap ? pending_cap * 2 : 16;
		pending = pending ? repalloc(pending, pending_cap * sizeof(RcPendingEvent))
			: palloc(pending_cap * sizeof(RcPendingEvent));
	}
	e = &pending[pending_n];
	e->level = GetCurrentTransactionNestLevel();
	e->tenant = *tenant;
	e->room = pstrdup(room);
	e->nsp = pstrdup(nsp);
	e->event = pstrdup(event);
	e->data = pnstrdup(data, data_len);
	e->data_len = (int) data_len;
	e->add_ts = add_timestamp;
	MemoryContextSwitchTo(old);

	e->id = nextval_internal(RcRelid("events_id_seq", &id_seq_oid), false);
	pending_n++;
	return e->id;
}

/*
 * Make sure the log has a partition for now; cached per backend, so this
 * costs one SPI call per backend per day. Called under the commit lock.
 */
static void
EnsurePartition(TimestampTz now)
{
	static RcPlan plan = {"SELECT roomcast._events_partitions_until($1)", 1, {TIMESTAMPTZOID}};
	Datum		values[1];
	bool		isnull;

	if (now < partitions_until)
		return;
	values[0] = TimestampTzGetDatum(now);
	RcPlanExec(&plan, values, NULL, false, 1);
	partitions_until = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull || now >= partitions_until)
		elog(ERROR, "roomcast: no partition of roomcast.events for the current day");
}

/* EnsurePartition for RcCommitLogInsert: arg is the commit time */
static void
EnsurePartitionCb(void *arg)
{
	EnsurePartition(*(TimestampTz *) arg);
}

/* Take the commit-order lock; see events.h */
void
RcCommitLockTake(void)
{
	/* As PreCommit_Notify does: get the xid before taking the lock */
	(void) GetCurrentTransactionId();
	LockSharedObject(DatabaseRelationId, InvalidOid, 0, AccessExclusiveLock);
}

/* Write an owner log at pre-commit and queue the hint; see events.h */
void
RcCommitLogInsert(RcPlan *plan, Datum *values, void (*before) (void *arg), void *arg)
{
	RcSavedUser sw;
	RcSpiSection spi;

	PushActiveSnapshot(GetTransactionSnapshot());
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	if (before)
		before(arg);
	RcPlanExec(plan, values, NULL, false, 0);
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
	PopActiveSnapshot();
	RcNotifyHint();
}

static RcPlan insert_plan = {
	"INSERT INTO roomcast.events (tenant_id, id, pos, room, nsp, event, data, created_at) "
	"SELECT t, i, p, r, n, e, d::pg_catalog.jsonb, $8 "
	"FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.uuid[]), pg_catalog.unnest($2::pg_catalog.int8[]), "
	"pg_catalog.unnest($3::pg_catalog.int8[]), pg_catalog.unnest($4::pg_catalog.text[]), "
	"pg_catalog.unnest($5::pg_catalog.text[]), pg_catalog.unnest($6::pg_catalog.text[]), "
	"pg_catalog.unnest($7::pg_catalog.text[])) AS u(t, i, p, r, n, e, d)",
	8, {UUIDARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID}
};

/*
 * Assign positions, write the log and queue the hint: the whole commit
 * path, run once per transaction that emitted something.
 */
static void
FlushEvents(void)
{
	int			n = pending_n;
	TimestampTz now;
	int64		now_ms;
	Datum	   *tenants,
			   *ids,
			   *poss,
			   *rooms,
			   *nsps,
			   *events,
			   *datas;
	Datum		values[8];
	Oid			pos_seq;

	RcCommitLockTake();

	now = GetCurrentTimestamp();
	now_ms = now / 1000 + RC_UNIX_EPOCH_MS;
	pos_seq = RcRelid("events_pos_seq", &pos_seq_oid);

	tenants = palloc(n * sizeof(Datum));
	ids = palloc(n * sizeof(Datum));
	poss = palloc(n * sizeof(Datum));
	rooms = palloc(n * sizeof(Datum));
	nsps = palloc(n * sizeof(Datum));
	events = palloc(n * sizeof(Datum));
	datas = palloc(n * sizeof(Datum));

	for (int i = 0; i < n; i++)
	{
		RcPendingEvent *e = &pending[i];
		int64		pos = nextval_internal(pos_seq, false);
		char	   *data = e->data;
		int			data_len = e->data_len;

		if (e->add_ts)
		{
			/* {"timestamp":<commit ms>, ...the rest of the object */
			bool		empty = data_len == 2;

			data = psprintf("{\"timestamp\":" INT64_FORMAT "%s%s", now_ms,
							empty ? "" : ",", e->data + 1);
			data_len = strlen(data);
		}
		tenants[i] = UUIDPGetDatum(&e->tenant);
		ids[i] = Int64GetDatum(e->id);
		poss[i] = Int64GetDatum(pos);
		rooms[i] = PointerGetDatum(cstring_to_text(e->room));
		nsps[i] = PointerGetDatum(cstring_to_text(e->nsp));
		events[i] = PointerGetDatum(cstring_to_text(e->event));
		datas[i] = PointerGetDatum(cstring_to_text_with_len(data, data_len));
	}

	values[0] = PointerGetDatum(construct_array(tenants, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	values[1] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(poss, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[3] = PointerGetDatum(construct_array(rooms, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(nsps, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[5] = PointerGetDatum(construct_array(events, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[6] = PointerGetDatum(construct_array(datas, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[7] = TimestampTzGetDatum(now);

	/* one hint for the whole transaction: the notifiers read the rest */
	RcCommitLogInsert(&insert_plan, values, EnsurePartitionCb, &now);

	pending = NULL;
	pending_n = pending_cap = 0;
}

/* Flush at pre-commit, refuse PREPARE, forget everything at the end */
static void
RcEventsXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (pending_n > 0)
				FlushEvents();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (pending_n > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that emitted room events"),
						 errdetail("The transaction emitted %d event(s); room events are ordered and delivered when the emitting transaction commits, which a prepared transaction does not do.", pending_n)));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending = NULL;
			pending_n = pending_cap = 0;
			break;
		default:
			break;
	}
}

/* Drop events of a rolled-back subtransaction; hand a committed one's to its parent */
static void
RcEventsSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			level;

	if (pending_n == 0)
		return;
	level = GetCurrentTransactionNestLevel();
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* events at this level or deeper are a suffix of the buffer */
		while (pending_n > 0 && pending[pending_n - 1].level >= level)
			pending_n--;
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (int i = pending_n - 1; i >= 0 && pending[i].level >= level; i--)
			pending[i].level = level - 1;
	}
}

/* Text argument i, or an error naming it when null */
static text *
RequiredText(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return PG_GETARG_TEXT_PP(i);
}

/*
 * Emit from SQL: check event, nsp and data, then buffer. room has been
 * checked by the caller; argument positions are those of emit() shifted by
 * argoff (emit_to_user / emit_to_tenant have no room argument).
 */
static int64
EmitFromSql(FunctionCallInfo fcinfo, const RcIdentity *ident, const char *room, int argoff)
{
	text	   *event = RequiredText(fcinfo, argoff, "event");
	text	   *nsp = RequiredText(fcinfo, argoff + 2, "namespace");
	StringInfoData data;
	bool		add_ts = false;
	char	   *event_c,
			   *nsp_c;

	RcEventNameCheck(VARDATA_ANY(event), VARSIZE_ANY_EXHDR(event));
	RcNspCheck(VARDATA_ANY(nsp), VARSIZE_ANY_EXHDR(nsp));
	event_c = text_to_cstring(event);
	nsp_c = text_to_cstring(nsp);

	initStringInfo(&data);
	if (PG_ARGISNULL(argoff + 1))
		appendStringInfoString(&data, "null");
	else
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(argoff + 1);

		JsonbToCompact(&data, &jb->root);
		if (JB_ROOT_IS_OBJECT(jb) && !JB_ROOT_IS_SCALAR(jb))
		{
			JsonbValue	key;

			key.type = jbvString;
			key.val.string.val = "timestamp";
			key.val.string.len = 9;
			add_ts = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &key) == NULL;
		}
	}
	return RcEmitText(&ident->tenant, room, nsp_c, event_c, data.data, data.len, add_ts);
}

/* SQL function: emit(room text, event text, data jsonb, nsp text) returns bigint */
PG_FUNCTION_INFO_V1(emit);
Datum
emit(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;
	text	   *room;

	RcIdentityRequire(&ident);
	room = RequiredText(fcinfo, 0, "room");
	RcRoomCheck(VARDATA_ANY(room), VARSIZE_ANY_EXHDR(room), &ident.tenant);
	PG_RETURN_INT64(EmitFromSql(fcinfo, &ident, text_to_cstring(room), 1));
}

/* SQL function: emit_to_user(user_id uuid, event text, data jsonb, nsp text) returns bigint */
PG_FUNCTION_INFO_V1(emit_to_user);
Datum
emit_to_user(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("user_id must not be null")));
	PG_RETURN_INT64(EmitFromSql(fcinfo, &ident, RcRoomUser(&ident.tenant, PG_GETARG_UUID_P(0)), 1));
}

/* SQL function: emit_to_tenant(event text, data jsonb, nsp text) returns bigint */
PG_FUNCTION_INFO_V1(emit_to_tenant);
Datum
emit_to_tenant(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	PG_RETURN_INT64(EmitFromSql(fcinfo, &ident, RcRoomTenant(&ident.tenant), 0));
}

/* SQL function: notify_control(kind text, payload jsonb) returns void */
PG_FUNCTION_INFO_V1(notify_control);
Datum
notify_control(PG_FUNCTION_ARGS)
{
	text	   *kind = RequiredText(fcinfo, 0, "kind");
	char	   *kind_c = text_to_cstring(kind);
	StringInfoData fields;
	size_t		len = strlen(kind_c);

	if (len < 1 || len > 32 || strspn(kind_c, "abcdefghijklmnopqrstuvwxyz_") != len)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed control kind \"%s\"", kind_c),
				 errdetail("A control kind matches [a-z_]{1,32}.")));
	initStringInfo(&fields);
	if (!PG_ARGISNULL(1))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(1);
		JsonbValue	key;

		if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("control payload must be a JSON object")));
		key.type = jbvString;
		key.val.string.val = "c";
		key.val.string.len = 1;
		if (findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &key) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("control payload must not have a key \"c\"")));
		JsonbToCompact(&fields, &jb->root);
		/* strip the braces: the members go after "c" */
		fields.data[fields.len - 1] = '\0';
		memmove(fields.data, fields.data + 1, fields.len - 1);
	}
	RcNotifyControl(kind_c, fields.data);
	PG_RETURN_VOID();
}

/*
 * SQL function: _setting(name text) returns text
 *
 * current_setting() for the extension's PL/pgSQL functions: calling a C
 * function loads the library first, so roomcast.* settings are defined even
 * when this is the backend's first use of the extension.
 */
PG_FUNCTION_INFO_V1(roomcast_setting);
Datum
roomcast_setting(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(GetConfigOptionByName(name, NULL, false)));
}

/* Define the event and inbox settings, register the transaction callbacks */
void
RcEventsInit(void)
{
	DefineCustomIntVariable("roomcast.max_event_bytes",
							"Largest event data, in bytes of JSON text.",
							"Larger events raise RC413; they are never truncated.",
							&rc_max_event_bytes, 65536, 2, 64 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.event_retention",
							   "How long roomcast.events keeps events (an interval).",
							   "roomcast.maintain() drops older events.",
							   &rc_event_retention, "7 days",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("roomcast.max_batch",
							"Most items in one array argument (send_in_app_many, mark_read, archive).",
							"Larger batches raise RC413; they are never clipped.",
							&rc_max_batch, 100, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("roomcast.max_page",
							"Most rows in one page of roomcast.recent().",
							"Larger pages raise RC413; they are never clipped.",
							&rc_max_page, 100, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.notification_nsp",
							   "Socket.IO namespace of the inbox events.",
							   NULL,
							   &rc_notification_nsp, "/notifications",
							   PGC_SUSET, 0, CheckNspGuc, NULL, NULL);

	RegisterXactCallback(RcEventsXactCallback, NULL);
	RegisterSubXactCallback(RcEventsSubXactCallback, NULL);
	RcControlInit();
}
