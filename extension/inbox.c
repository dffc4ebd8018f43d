/*-------------------------------------------------------------------------
 *
 * inbox.c
 *	  The in-app notification inbox (SPEC §4): roomcast.notifications and
 *	  the unread counters of roomcast.inbox_counters.
 *
 *	  Exact counters. A counter row changes only in the same statement
 *	  sequence that flips rows of notifications, by the number of rows
 *	  that statement actually flipped (UPDATE ... WHERE NOT is_read AND
 *	  archived_at IS NULL RETURNING): under READ COMMITTED a row flipped
 *	  concurrently by another session is re-checked and skipped, so every
 *	  unread -> read/archived transition is counted exactly once. Counters
 *	  are locked after the notification rows, and many users' counters in
 *	  uuid order, so concurrent senders do not deadlock. Tables are written
 *	  as the extension owner only (rcspi.h), so nothing else moves them.
 *
 *	  Ids are UUIDv7 (RFC 9562): time-ordered, so "newest first" and the
 *	  keyset pagination of recent() walk one index on (tenant, user, id).
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"
#include "inbox.h"
#include "events.h"
#include "rooms.h"
#include "rcspi.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#define RC_UNIX_EPOCH_MS INT64CONST(946684800000)

/* Make a time-ordered UUIDv7; *ms gets its millisecond timestamp */
static void
NewUuidV7(pg_uuid_t *u, int64 *ms_out)
{
	static int64 last_ms = 0;
	static uint16 seq = 0;
	int64		ms = GetCurrentTimestamp() / 1000 + RC_UNIX_EPOCH_MS;
	uint8		rnd[10];

	if (!pg_strong_random(rnd, sizeof(rnd)))
		elog(ERROR, "roomcast: could not generate random bytes");
	/* monotonic within this backend: a 12-bit counter inside one ms */
	if (ms <= last_ms)
	{
		ms = last_ms;
		if (++seq > 0xfff)
		{
			ms++;
			seq = 0;
		}
	}
	else
		seq = ((rnd[0] << 8) | rnd[1]) & 0x7ff;
	last_ms = ms;
	for (int i = 0; i < 6; i++)
		u->data[i] = (uint8) (ms >> (40 - 8 * i));
	u->data[6] = 0x70 | ((seq >> 8) & 0x0f);
	u->data[7] = seq & 0xff;
	u->data[8] = 0x80 | (rnd[2] & 0x3f);
	memcpy(&u->data[9], &rnd[3], 7);
	*ms_out = ms;
}

/* ISO 8601 UTC text of a Unix millisecond time, as JavaScript writes it */
static char *
IsoMs(int64 ms)
{
	struct pg_tm tm;
	fsec_t		fsec;
	TimestampTz ts = (ms - RC_UNIX_EPOCH_MS) * 1000;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "roomcast: timestamp out of range");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (fsec / 1000));
}

/* Append ,"key":value with value a JSON string or null */
static void
AppendJsonField(StringInfo buf, const char *key, text *value)
{
	appendStringInfo(buf, ",\"%s\":", key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, text_to_cstring(value));
}

/* Emit a small inbox event to the user's room in the notification namespace */
static void
EmitToUser(const pg_uuid_t *tenant, const pg_uuid_t *user, const char *event, const char *json)
{
	RcEmitText(tenant, RcRoomUser(tenant, user), rc_notification_nsp, event,
			   json, strlen(json), true);
}

/* Emit notification:unread_count {count} */
static void
EmitUnread(const pg_uuid_t *tenant, const pg_uuid_t *user, int32 unread)
{
	EmitToUser(tenant, user, "notification:unread_count", psprintf("{\"count\":%d}", unread));
}

static RcPlan send_plan = {
	"WITH n AS (INSERT INTO roomcast.notifications "
	"(tenant_id, id, user_id, type, title, body, entity_type, entity_id, created_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)) "
	"INSERT INTO roomcast.inbox_counters AS c (tenant_id, user_id, unread) VALUES ($1, $3, 1) "
	"ON CONFLICT (tenant_id, user_id) DO UPDATE SET unread = c.unread OPERATOR(pg_catalog.+) 1 "
	"RETURNING c.unread",
	9, {UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID}
};

/*
 * Store one notification for user, count it, and emit notification:new and
 * notification:unread_count. Inside a pinned SPI section; text
 * arguments may be NULL except type and title.
 */
static void
SendOne(const pg_uuid_t *tenant, const pg_uuid_t *user, text *type, text *title,
		text *body, text *entity_type, text *entity_id, pg_uuid_t *id_out)
{
	int64		ms;
	Datum		values[9];
	char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	RcSavedUser sw;
	bool		isnull;
	int32		unread;
	StringInfoData buf;
	char		idtext[RC_UUID_LEN + 1];

	NewUuidV7(id_out, &ms);
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(id_out);
	values[2] = UUIDPGetDatum(user);
	values[3] = PointerGetDatum(type);
	values[4] = PointerGetDatum(title);
	values[5] = PointerGetDatum(body);
	values[6] = PointerGetDatum(entity_type);
	values[7] = PointerGetDatum(entity_id);
	values[8] = TimestampTzGetDatum((ms - RC_UNIX_EPOCH_MS) * 1000);
	for (int i = 5; i < 8; i++)
		if (values[i] == (Datum) 0)
			nulls[i] = 'n';

	RcBecomeOwner(&sw);
	RcPlanExec(&send_plan, values, nulls, false, 0);
	RcRestoreUser(&sw);
	unread = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	RcUuidFormat(id_out, idtext);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\":\"%s\"", idtext);
	AppendJsonField(&buf, "type", type);
	AppendJsonField(&buf, "title", title);
	AppendJsonField(&buf, "body", body);
	AppendJsonField(&buf, "entityType", entity_type);
	AppendJsonField(&buf, "entityId", entity_id);
	appendStringInfo(&buf, ",\"createdAt\":\"%s\"}", IsoMs(ms));
	EmitToUser(tenant, user, "notification:new", buf.data);
	EmitUnread(tenant, user, unread);
}

/* Check type (an event-like name) and title, the required arguments */
static void
CheckSendArgs(FunctionCallInfo fcinfo)
{
	text	   *type;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("notification type and title must not be null")));
	type = PG_GETARG_TEXT_PP(1);
	if (!rc_event_name_valid(VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type)))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed notification type \"%s\"", text_to_cstring(type)),
				 errdetail("A notification type matches [A-Za-z0-9:_.-]{1,64}.")));
}

#define OPT_TEXT(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))

/* SQL function: send_in_app(user_id uuid, type text, title text, body text, entity_type text, entity_id text) returns uuid */
PG_FUNCTION_INFO_V1(send_in_app);
Datum
send_in_app(PG_FUNCTION_ARGS)
{
	RcSpiSection spi;
	RcIdentity	ident;
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("user_id must not be null")));
	CheckSendArgs(fcinfo);
	RcSpiConnect(&spi);
	SendOne(&ident.tenant, PG_GETARG_UUID_P(0), PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(2),
			OPT_TEXT(3), OPT_TEXT(4), OPT_TEXT(5), id);
	RcSpiFinish(&spi);
	PG_RETURN_UUID_P(id);
}

static int
uuid_cmp_qsort(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t));
}

/*
 * Deconstruct a uuid[] argument into a sorted array without duplicates,
 * after checking roomcast.max_batch; NULL elements raise an error.
 */
static pg_uuid_t *
UuidSet(ArrayType *arr, int *n_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				m = 0;
	pg_uuid_t  *out;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("expected a one-dimensional uuid array")));
	RcCheckBatch(ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)));
	deconstruct_array(arr, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(pg_uuid_t));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls")));
		out[i] = *DatumGetUUIDP(elems[i]);
	}
	qsort(out, n, sizeof(pg_uuid_t), uuid_cmp_qsort);
	for (int i = 0; i < n; i++)
		if (m == 0 || memcmp(&out[m - 1], &out[i], sizeof(pg_uuid_t)) != 0)
			out[m++] = out[i];
	*n_out = m;
	return out;
}

/* SQL function: send_in_app_many(user_ids uuid[], type text, title text, body text, entity_type text, entity_id text) returns int */
PG_FUNCTION_INFO_V1(send_in_app_many);
Datum
send_in_app_many(PG_FUNCTION_ARGS)
{
	RcSpiSection spi;
	RcIdentity	ident;
	pg_uuid_t  *users;
	int			n;
	pg_uuid_t	id;

	RcIdentityRequire(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("user_ids must not be null")));
	CheckSendArgs(fcinfo);
	/* sorted: counters are locked in uuid order, so concurrent batches cannot deadlock */
	users = UuidSet(PG_GETARG_ARRAYTYPE_P(0), &n);
	RcSpiConnect(&spi);
	for (int i = 0; i < n; i++)
		SendOne(&ident.tenant, &users[i], PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(2),
				OPT_TEXT(3), OPT_TEXT(4), OPT_TEXT(5), &id);
	RcSpiFinish(&spi);
	PG_RETURN_INT32(n);
}

static RcPlan count_plan = {
	"SELECT c.unread FROM roomcast.inbox_counters c "
	"WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.user_id OPERATOR(pg_catalog.=) $2",
	2, {UUIDOID, UUIDOID}
};

/* The counter, inside a pinned SPI section */
static int32
ReadCounter(const RcIdentity *ident)
{
	Datum		values[2] = {UUIDPGetDatum(&ident->tenant), UUIDPGetDatum(&ident->user)};
	RcSavedUser sw;
	bool		isnull;

	RcBecomeOwner(&sw);
	RcPlanExec(&count_plan, values, NULL, true, 1);
	RcRestoreUser(&sw);
	if (SPI_processed == 0)
		return 0;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

int32
RcInboxUnreadCount(const RcIdentity *ident)
{
	RcSpiSection spi;
	int32		n;

	RcSpiConnect(&spi);
	n = ReadCounter(ident);
	RcSpiFinish(&spi);
	return n;
}

static RcPlan decrement_plan = {
	"UPDATE roomcast.inbox_counters SET unread = unread OPERATOR(pg_catalog.-) $3 "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 RETURNING unread",
	3, {UUIDOID, UUIDOID, INT4OID}
};

/* Subtract n from the counter and return the new value (inside a section) */
static int32
Decrement(const RcIdentity *ident, int n)
{
	Datum		values[3] = {UUIDPGetDatum(&ident->tenant), UUIDPGetDatum(&ident->user), Int32GetDatum(n)};
	RcSavedUser sw;
	bool		isnull;

	RcBecomeOwner(&sw);
	RcPlanExec(&decrement_plan, values, NULL, false, 0);
	RcRestoreUser(&sw);
	if (SPI_processed != 1)
		elog(ERROR, "roomcast: inbox counter missing for a user with unread notifications");
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

static RcPlan mark_plan = {
	"UPDATE roomcast.notifications SET is_read = true, read_at = pg_catalog.now() "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
	"AND id OPERATOR(pg_catalog.=) ANY ($3) AND NOT is_read AND archived_at IS NULL "
	"RETURNING id",
	3, {UUIDOID, UUIDOID, UUIDARRAYOID}
};

int
RcInboxMarkRead(const RcIdentity *ident, ArrayType *ids, int32 *unread)
{
	RcSpiSection spi;
	int			n;
	pg_uuid_t  *set = UuidSet(ids, &n);
	Datum	   *elems = palloc(Max(n, 1) * sizeof(Datum));
	Datum		values[3];
	RcSavedUser sw;
	int			changed;
	StringInfoData buf;

	for (int i = 0; i < n; i++)
		elems[i] = UUIDPGetDatum(&set[i]);
	initStringInfo(&buf);		/* outside SPI: used after RcSpiFinish */
	values[0] = UUIDPGetDatum(&ident->tenant);
	values[1] = UUIDPGetDatum(&ident->user);
	values[2] = PointerGetDatum(construct_array(elems, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&mark_plan, values, NULL, false, 0);
	RcRestoreUser(&sw);
	changed = (int) SPI_processed;
	if (changed == 0)
	{
		*unread = ReadCounter(ident);
		RcSpiFinish(&spi);
		return 0;
	}
	appendStringInfoString(&buf, "{\"ids\":[");
	for (int i = 0; i < changed; i++)
	{
		bool		isnull;
		char		t[RC_UUID_LEN + 1];

		RcUuidFormat(DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)), t);
		appendStringInfo(&buf, "%s\"%s\"", i ? "," : "", t);
	}
	appendStringInfoString(&buf, "]}");
	*unread = Decrement(ident, changed);
	RcSpiFinish(&spi);
	EmitToUser(&ident->tenant, &ident->user, "notification:marked_read", buf.data);
	EmitUnread(&ident->tenant, &ident->user, *unread);
	return changed;
}

static RcPlan mark_all_plan = {
	"WITH m AS (UPDATE roomcast.notifications SET is_read = true, read_at = pg_catalog.now() "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
	"AND NOT is_read AND archived_at IS NULL RETURNING 1) "
	"SELECT pg_catalog.count(*)::pg_catalog.int4 FROM m",
	2, {UUIDOID, UUIDOID}
};

int
RcInboxMarkAllRead(const RcIdentity *ident, int32 *unread)
{
	RcSpiSection spi;
	Datum		values[2] = {UUIDPGetDatum(&ident->tenant), UUIDPGetDatum(&ident->user)};
	RcSavedUser sw;
	bool		isnull;
	int			changed;

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&mark_all_plan, values, NULL, false, 0);
	RcRestoreUser(&sw);
	changed = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*unread = changed > 0 ? Decrement(ident, changed) : ReadCounter(ident);
	RcSpiFinish(&spi);
	if (changed > 0)
	{
		EmitToUser(&ident->tenant, &ident->user, "notification:marked_read", "{\"all\":true}");
		EmitUnread(&ident->tenant, &ident->user, *unread);
	}
	return changed;
}

static RcPlan recent_plan = {
	"SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
	"'id', id, 'type', type, 'title', title, 'body', body, 'entityType', entity_type, "
	"'entityId', entity_id, 'isRead', is_read, "
	"'readAt', pg_catalog.to_char(read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	"'createdAt', pg_catalog.to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) "
	"ORDER BY id DESC), '[]'::pg_catalog.jsonb) "
	"FROM (SELECT * FROM roomcast.notifications "
	"      WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
	"        AND archived_at IS NULL AND id OPERATOR(pg_catalog.<) $3 "
	"        AND id OPERATOR(pg_catalog.>=) $4 AND created_at OPERATOR(pg_catalog.>) $5 "
	"      ORDER BY id DESC LIMIT $6) n",
	6, {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, INT4OID}
};

Datum
RcInboxRecent(const RcIdentity *ident, int lim, TimestampTz since, const pg_uuid_t *before)
{
	RcSpiSection spi;
	pg_uuid_t	upper,
				lower;
	Datum		values[6];
	RcSavedUser sw;
	bool		isnull;
	Datum		result;

	if (lim > rc_max_page)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("page of %d items exceeds roomcast.max_page (%d)", lim, rc_max_page),
				 errdetail("Ask for at most %d notifications and page with before.", rc_max_page)));
	if (lim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("page size must be at least 1, not %d", lim)));

	/* Keyset bounds on the time-ordered id: [lower, upper) */
	memset(upper.data, 0xff, sizeof(upper.data));
	if (before)
		upper = *before;
	memset(lower.data, 0, sizeof(lower.data));
	if (since != DT_NOBEGIN)
	{
		int64		ms = since / 1000 + RC_UNIX_EPOCH_MS;

		ms = Max(ms, 0);
		for (int i = 0; i < 6; i++)
			lower.data[i] = (uint8) (ms >> (40 - 8 * i));
	}
	values[0] = UUIDPGetDatum(&ident->tenant);
	values[1] = UUIDPGetDatum(&ident->user);
	values[2] = UUIDPGetDatum(&upper);
	values[3] = UUIDPGetDatum(&lower);
	values[4] = TimestampTzGetDatum(since);
	values[5] = Int32GetDatum(lim);

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&recent_plan, values, NULL, true, 1);
	RcRestoreUser(&sw);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	result = SPI_datumTransfer(result, false, -1);
	RcSpiFinish(&spi);
	return result;
}

static RcPlan archive_plan = {
	"UPDATE roomcast.notifications SET archived_at = pg_catalog.now() "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
	"AND id OPERATOR(pg_catalog.=) ANY ($3) AND archived_at IS NULL "
	"RETURNING is_read",
	3, {UUIDOID, UUIDOID, UUIDARRAYOID}
};

/* SQL function: archive(ids uuid[]) returns int */
PG_FUNCTION_INFO_V1(archive);
Datum
archive(PG_FUNCTION_ARGS)
{
	RcSpiSection spi;
	RcIdentity	ident;
	int			n,
				archived,
				was_unread = 0;
	pg_uuid_t  *set;
	Datum	   *elems;
	Datum		values[3];
	RcSavedUser sw;
	int32		unread = 0;

	RcIdentityRequireUser(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("ids must not be null")));
	set = UuidSet(PG_GETARG_ARRAYTYPE_P(0), &n);
	elems = palloc(Max(n, 1) * sizeof(Datum));
	for (int i = 0; i < n; i++)
		elems[i] = UUIDPGetDatum(&set[i]);
	values[0] = UUIDPGetDatum(&ident.tenant);
	values[1] = UUIDPGetDatum(&ident.user);
	values[2] = PointerGetDatum(construct_array(elems, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));

	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&archive_plan, values, NULL, false, 0);
	RcRestoreUser(&sw);
	archived = (int) SPI_processed;
	for (int i = 0; i < archived; i++)
	{
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)))
			was_unread++;
	}
	if (was_unread > 0)
		unread = Decrement(&ident, was_unread);
	RcSpiFinish(&spi);
	if (was_unread > 0)
		EmitUnread(&ident.tenant, &ident.user, unread);
	PG_RETURN_INT32(archived);
}

/* SQL function: unread_count() returns int */
PG_FUNCTION_INFO_V1(unread_count);
Datum
unread_count(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequireUser(&ident);
	PG_RETURN_INT32(RcInboxUnreadCount(&ident));
}

/* SQL function: mark_read(ids uuid[]) returns int */
PG_FUNCTION_INFO_V1(mark_read);
Datum
mark_read(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;
	int32		unread;

	RcIdentityRequireUser(&ident);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("ids must not be null")));
	PG_RETURN_INT32(RcInboxMarkRead(&ident, PG_GETARG_ARRAYTYPE_P(0), &unread));
}

/* SQL function: mark_all_read() returns int */
PG_FUNCTION_INFO_V1(mark_all_read);
Datum
mark_all_read(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;
	int32		unread;

	RcIdentityRequireUser(&ident);
	PG_RETURN_INT32(RcInboxMarkAllRead(&ident, &unread));
}

/* SQL function: recent(lim int, since timestamptz, before uuid) returns jsonb */
PG_FUNCTION_INFO_V1(recent);
Datum
recent(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequireUser(&ident);
	PG_RETURN_DATUM(RcInboxRecent(&ident, PG_ARGISNULL(0) ? 20 : PG_GETARG_INT32(0),
								  PG_ARGISNULL(1) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(1),
								  PG_ARGISNULL(2) ? NULL : PG_GETARG_UUID_P(2)));
}
