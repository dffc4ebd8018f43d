/*-------------------------------------------------------------------------
 *
 * rpc_gateway.c
 *	  The RPC gateway (SPEC §5): roomcast.rpc(token, method, args) verifies
 *	  the token, sets the identity and runs a built-in or a registered
 *	  method; register_method / unregister_method manage the registry
 *	  roomcast.rpc_methods (tenant_id, method, fn).
 *
 *	  A method registered without an identity is stored under the nil tenant
 *	  and serves every tenant; a tenant's own registration wins. Registered
 *	  functions run as the calling role (the notifier's) with the token's
 *	  identity, so RLS and the function's own checks decide what happens.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"
#include "events.h"
#include "inbox.h"
#include "jobs.h"
#include "rooms.h"
#include "rcspi.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/regproc.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* Built-in methods; their names cannot be registered */
static const char *const builtin_methods[] = {
	"get_unread_count", "mark_read", "mark_all_read", "get_recent", "join", "leave",
	"job:enqueue", "job:cancel", "job:status", NULL
};

/* Raise RC413 unless method is a well-formed method name */
static void
CheckMethodName(const char *m, size_t len)
{
	if (!rc_event_name_valid(m, len))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed rpc method name \"%.*s\"", (int) Min(len, 256), m),
				 errdetail("A method name matches [A-Za-z0-9:_.-]{1,64}.")));
}

/* The value of key in the args object, or NULL (also when args is not an object) */
static JsonbValue *
ArgGet(Jsonb *args, const char *key)
{
	if (args == NULL || !JB_ROOT_IS_OBJECT(args) || JB_ROOT_IS_SCALAR(args))
		return NULL;
	return getKeyJsonValueFromContainer(&args->root, key, strlen(key), NULL);
}

/* A string argument, or an RC413 naming it when missing or not a string */
static char *
ArgString(Jsonb *args, const char *key, const char *method)
{
	JsonbValue *v = ArgGet(args, key);

	if (v == NULL || v->type != jbvString)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("rpc %s needs a string \"%s\"", method, key),
				 errdetail("Pass {\"%s\": \"…\"} in args.", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The uuid[] of a JSON array of uuid strings (notificationIds / ids) */
static ArrayType *
ArgUuidArray(Jsonb *args, const char *method)
{
	JsonbValue *v = ArgGet(args, "notificationIds");
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	Datum	   *elems;
	int			n = 0,
				cap;

	if (v == NULL)
		v = ArgGet(args, "ids");
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("rpc %s needs an array \"notificationIds\"", method),
				 errdetail("Pass {\"notificationIds\": [uuid, …]} in args.")));
	cap = JsonContainerSize(v->val.binary.data);
	RcCheckBatch(cap);
	elems = palloc(Max(cap, 1) * sizeof(Datum));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("notification ids must be uuid strings")));
		elems[n++] = DirectFunctionCall1(uuid_in,
										 CStringGetDatum(pnstrdup(elem.val.string.val, elem.val.string.len)));
	}
	return construct_array(elems, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

/* jsonb from JSON text */
static Datum
JsonbFromText(const char *s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

static RcPlan socket_join = {
	"INSERT INTO roomcast.socket_rooms (tenant_id, pid, room, user_id) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (tenant_id, pid, room) DO UPDATE SET user_id = excluded.user_id, "
	"joined_at = pg_catalog.now()",
	4, {UUIDOID, TEXTOID, TEXTOID, UUIDOID}
};

static RcPlan socket_leave = {
	"DELETE FROM roomcast.socket_rooms WHERE tenant_id OPERATOR(pg_catalog.=) $1 "
	"AND pid OPERATOR(pg_catalog.=) $2 AND room OPERATOR(pg_catalog.=) $3 "
	"AND user_id OPERATOR(pg_catalog.=) $4",
	4, {UUIDOID, TEXTOID, TEXTOID, UUIDOID}
};

/*
 * Remember (join) or forget (leave) that Socket.IO session pid is in room,
 * for roomcast.recover(); nothing when args has no "pid".
 */
static void
RecordSocketRoom(Jsonb *args, const char *room, bool join)
{
	JsonbValue *v = ArgGet(args, "pid");
	RcIdentity	ident;
	Datum		values[4];
	RcSavedUser sw;
	RcSpiSection spi;
	size_t		len;

	if (v == NULL)
		return;
	len = v->type == jbvString ? v->val.string.len : 0;
	if (len < 1 || len > 64 ||
		strspn(pnstrdup(v->val.string.val, len),
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed session id"),
				 errdetail("A pid is a string matching [A-Za-z0-9_-]{1,64}.")));
	RcIdentityRequireUser(&ident);
	values[0] = UUIDPGetDatum(&ident.tenant);
	values[1] = PointerGetDatum(cstring_to_text_with_len(v->val.string.val, len));
	values[2] = PointerGetDatum(cstring_to_text(room));
	values[3] = UUIDPGetDatum(&ident.user);
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(join ? &socket_join : &socket_leave, values, NULL, false, 0);
	RcRestoreUser(&sw);
	RcSpiFinish(&spi);
}

/* Run a built-in method; false when method is not one */
static bool
RunBuiltin(const char *method, Jsonb *args, Datum *result)
{
	RcIdentity	ident;
	int32		unread;

	if (strcmp(method, "get_unread_count") == 0)
	{
		RcIdentityRequireUser(&ident);
		*result = JsonbFromText(psprintf("{\"count\":%d}", RcInboxUnreadCount(&ident)));
	}
	else if (strcmp(method, "mark_read") == 0)
	{
		int			n;

		RcIdentityRequireUser(&ident);
		n = RcInboxMarkRead(&ident, ArgUuidArray(args, method), &unread);
		*result = JsonbFromText(psprintf("{\"success\":true,\"marked\":%d,\"unreadCount\":%d}", n, unread));
	}
	else if (strcmp(method, "mark_all_read") == 0)
	{
		int			n;

		RcIdentityRequireUser(&ident);
		n = RcInboxMarkAllRead(&ident, &unread);
		*result = JsonbFromText(psprintf("{\"success\":true,\"marked\":%d,\"unreadCount\":%d}", n, unread));
	}
	else if (strcmp(method, "get_recent") == 0)
	{
		JsonbValue *lim = ArgGet(args, "limit");
		JsonbValue *since = ArgGet(args, "since");
		JsonbValue *before = ArgGet(args, "before");
		int			lim_i = 20;
		TimestampTz since_t = DT_NOBEGIN;
		pg_uuid_t  *before_u = NULL;
		Jsonb	   *page;

		RcIdentityRequireUser(&ident);
		if (lim && lim->type == jbvNumeric)
			lim_i = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(lim->val.numeric)));
		if (since && since->type == jbvString)
			since_t = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															  CStringGetDatum(pnstrdup(since->val.string.val, since->val.string.len)),
															  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		else if (since && since->type == jbvNumeric)
		{
			/* ms since the epoch, as JavaScript's Date.now() */
			int64		ms = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(since->val.numeric)));

			since_t = (ms - INT64CONST(946684800000)) * 1000;
		}
		if (before && before->type == jbvString)
			before_u = DatumGetUUIDP(DirectFunctionCall1(uuid_in,
														 CStringGetDatum(pnstrdup(before->val.string.val, before->val.string.len))));
		page = DatumGetJsonbP(RcInboxRecent(&ident, lim_i, since_t, before_u));
		*result = JsonbFromText(psprintf("{\"notifications\":%s}",
										 JsonbToCString(NULL, &page->root, VARSIZE(page))));
	}
	else if (strcmp(method, "join") == 0 || strcmp(method, "leave") == 0)
	{
		char	   *kind = ArgString(args, "kind", method);
		char	   *id = ArgString(args, "id", method);
		char	   *room;
		StringInfoData buf;

		if (method[0] == 'j')
			room = RcRoomAuthorizeJoin(kind, strlen(kind), id, strlen(id));
		else
		{
			/* leaving needs no permission, only a well-formed room of this tenant */
			RcIdentityRequireUser(&ident);
			room = psprintf("%s:%s:%s", RcRoomTenant(&ident.tenant), kind, id);
			RcRoomCheck(room, strlen(room), &ident.tenant);
		}
		RecordSocketRoom(args, room, method[0] == 'j');
		initStringInfo(&buf);
		appendStringInfoString(&buf, "{\"success\":true,\"room\":");
		escape_json(&buf, room);
		appendStringInfoChar(&buf, '}');
		*result = JsonbFromText(buf.data);
	}
	else
		return RcJobRpc(method, args, result);	/* job:* (jobs.c), else false */
	return true;
}

static RcPlan method_lookup = {
	"SELECT m.fn::pg_catalog.oid FROM roomcast.rpc_methods m "
	"WHERE m.tenant_id OPERATOR(pg_catalog.=) "
	"      ANY (ARRAY[$1, '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid]) "
	"  AND m.method OPERATOR(pg_catalog.=) $2 "
	"ORDER BY m.tenant_id OPERATOR(pg_catalog.=) '00000000-0000-0000-0000-000000000000' LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

/* The function registered for method in the current tenant, or InvalidOid */
static Oid
LookupMethod(const char *method)
{
	RcIdentity	ident;
	Datum		values[2];
	RcSavedUser sw;
	RcSpiSection spi;
	Oid			fn = InvalidOid;

	RcIdentityRequire(&ident);
	values[0] = UUIDPGetDatum(&ident.tenant);
	values[1] = PointerGetDatum(cstring_to_text(method));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&method_lookup, values, NULL, true, 1);
	RcRestoreUser(&sw);
	if (SPI_processed == 1)
	{
		bool		isnull;

		fn = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	RcSpiFinish(&spi);
	return fn;
}

/* SQL function: rpc(token text, method text, args jsonb) returns jsonb */
PG_FUNCTION_INFO_V1(rpc);
Datum
rpc(PG_FUNCTION_ARGS)
{
	text	   *token;
	char	   *method;
	Jsonb	   *args = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	Datum		result;
	Oid			fn;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg("no token"),
				 errdetail("roomcast.rpc needs the caller's access token.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("method must not be null")));
	token = PG_GETARG_TEXT_PP(0);
	RcIdentityAuthenticate(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));

	method = text_to_cstring(PG_GETARG_TEXT_PP(1));
	CheckMethodName(method, strlen(method));
	if (RunBuiltin(method, args, &result))
		PG_RETURN_DATUM(result);

	fn = LookupMethod(method);
	if (!OidIsValid(fn))
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("unknown rpc method \"%s\"", method),
				 errdetail("No method \"%s\" is registered for this tenant; see roomcast.register_method.", method)));
	if (pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("rpc method \"%s\" not allowed", method),
				 errdetail("The current role may not execute %s.", format_procedure(fn))));
	{
		/* Called as the caller, with its search_path: outside any SPI section */
		LOCAL_FCINFO(call, 1);
		FmgrInfo	flinfo;

		fmgr_info(fn, &flinfo);
		InitFunctionCallInfoData(*call, &flinfo, 1, InvalidOid, NULL, NULL);
		call->args[0].value = args ? PointerGetDatum(args) : (Datum) 0;
		call->args[0].isnull = args == NULL;
		if (args == NULL && flinfo.fn_strict)
			PG_RETURN_DATUM(JsonbFromText("null"));
		result = FunctionCallInvoke(call);
		if (call->isnull)
			PG_RETURN_DATUM(JsonbFromText("null"));
	}
	PG_RETURN_DATUM(result);
}

/* Raise unless fn is (jsonb) -> jsonb */
static void
CheckMethodSignature(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	bool		ok;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "roomcast: cache lookup failed for function %u", fn);
	p = (Form_pg_proc) GETSTRUCT(tup);
	ok = p->pronargs == 1 && p->proargtypes.values[0] == JSONBOID &&
		p->prorettype == JSONBOID && !p->proretset;
	ReleaseSysCache(tup);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("rpc method %s must take (jsonb) and return jsonb", format_procedure(fn))));
}

static RcPlan method_upsert = {
	"INSERT INTO roomcast.rpc_methods (tenant_id, method, fn) "
	"VALUES ($1, $2, $3::pg_catalog.oid::pg_catalog.regprocedure) "
	"ON CONFLICT (tenant_id, method) DO UPDATE SET fn = excluded.fn",
	3, {UUIDOID, TEXTOID, OIDOID}
};

static RcPlan method_delete = {
	"DELETE FROM roomcast.rpc_methods "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND method OPERATOR(pg_catalog.=) $2",
	2, {UUIDOID, TEXTOID}
};

/* SQL function: register_method(event text, fn regprocedure) returns void */
PG_FUNCTION_INFO_V1(register_method);
Datum
register_method(PG_FUNCTION_ARGS)
{
	text	   *name;
	char	   *method;
	Datum		values[3];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("method and function must not be null")));
	name = PG_GETARG_TEXT_PP(0);
	method = text_to_cstring(name);
	CheckMethodName(method, strlen(method));
	for (int i = 0; builtin_methods[i]; i++)
		if (strcmp(method, builtin_methods[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_FUNCTION),
					 errmsg("rpc method \"%s\" is built in", method)));
	CheckMethodSignature(PG_GETARG_OID(1));
	values[1] = PointerGetDatum(name);
	values[2] = PG_GETARG_DATUM(1);
	(void) RcRegistrationWrite(&method_upsert, values, NULL, "methods");
	PG_RETURN_VOID();
}

/* SQL function: unregister_method(event text) returns boolean */
PG_FUNCTION_INFO_V1(unregister_method);
Datum
unregister_method(PG_FUNCTION_ARGS)
{
	Datum		values[2];

	values[1] = PG_GETARG_DATUM(0);
	PG_RETURN_BOOL(RcRegistrationWrite(&method_delete, values, NULL, "methods") > 0);
}
