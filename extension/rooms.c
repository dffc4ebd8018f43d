/*-------------------------------------------------------------------------
 *
 * rooms.c
 *	  Room names and room kinds (SPEC §2): the errors for malformed names,
 *	  register_room_kind, authorize_join and the name builders. The
 *	  grammar itself is common/rc_room.c, which the notifier uses too.
 *
 *	  Room kinds live in roomcast.room_kinds, keyed (tenant_id, kind). A
 *	  kind registered without an identity (a migration, a job) is stored
 *	  under the nil tenant and applies to every tenant; a tenant's own
 *	  registration of the same kind takes precedence.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"
#include "rooms.h"
#include "events.h"
#include "rcspi.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/regproc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

void
RcRoomCheck(const char *room, size_t len, const pg_uuid_t *tenant)
{
	rc_room		r;
	char		t[RC_UUID_LEN + 1];

	if (!rc_room_parse(room, len, &r))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed room name \"%.*s\"", (int) Min(len, 256), room),
				 errdetail("A room is tenant:{tenantId}, tenant:{tenantId}:user:{userId} or tenant:{tenantId}:{kind}:{id}, with lowercase UUIDs, kind matching [a-z][a-z0-9_-]{0,31} and id matching [A-Za-z0-9_.-]{1,128}.")));
	RcUuidFormat(tenant, t);
	if (memcmp(r.tenant, t, RC_UUID_LEN) != 0)
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("room belongs to another tenant"),
				 errdetail("Room \"%.*s\" is not a room of the current tenant.", (int) len, room)));
}

void
RcEventNameCheck(const char *event, size_t len)
{
	if (!rc_event_name_valid(event, len))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed event name \"%.*s\"", (int) Min(len, 256), event),
				 errdetail("An event name matches [A-Za-z0-9:_.-]{1,64}.")));
}

void
RcNspCheck(const char *nsp, size_t len)
{
	if (!rc_nsp_valid(nsp, len))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed namespace \"%.*s\"", (int) Min(len, 256), nsp),
				 errdetail("A namespace matches /[A-Za-z0-9_.-]{0,63}.")));
}

/* Raise RC413 unless kind is a well-formed kind other than "user" */
static void
CheckKind(const char *kind, size_t len)
{
	if (!rc_room_kind_valid(kind, len) ||
		(len == sizeof(RC_ROOM_USER_KIND) - 1 && memcmp(kind, RC_ROOM_USER_KIND, len) == 0))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed room kind \"%.*s\"", (int) Min(len, 256), kind),
				 errdetail("A room kind matches [a-z][a-z0-9_-]{0,31} and is not \"user\".")));
}

/* Raise RC413 unless id is a well-formed room id */
static void
CheckRoomId(const char *id, size_t len)
{
	if (!rc_room_id_valid(id, len))
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("malformed room id \"%.*s\"", (int) Min(len, 256), id),
				 errdetail("A room id matches [A-Za-z0-9_.-]{1,128}.")));
}

char *
RcRoomTenant(const pg_uuid_t *tenant)
{
	char		t[RC_UUID_LEN + 1];
	char		room[RC_ROOM_MAX_LEN + 1];

	RcUuidFormat(tenant, t);
	if (rc_room_tenant(room, sizeof(room), t) < 0)
		elog(ERROR, "cannot build the room of tenant %s", t);	/* a formatted uuid always fits */
	return pstrdup(room);
}

char *
RcRoomUser(const pg_uuid_t *tenant, const pg_uuid_t *user)
{
	char		t[RC_UUID_LEN + 1],
				u[RC_UUID_LEN + 1];
	char		room[RC_ROOM_MAX_LEN + 1];

	RcUuidFormat(tenant, t);
	RcUuidFormat(user, u);
	if (rc_room_user(room, sizeof(room), t, u) < 0)
		elog(ERROR, "cannot build the room of user %s", u);
	return pstrdup(room);
}

/* Build tenant:{t}:{kind}:{id} after checking kind and id */
static char *
RoomOfKind(const pg_uuid_t *tenant, const char *kind, size_t kind_len,
		   const char *id, size_t id_len)
{
	char		t[RC_UUID_LEN + 1];
	char		room[RC_ROOM_MAX_LEN + 1];

	CheckKind(kind, kind_len);
	CheckRoomId(id, id_len);
	RcUuidFormat(tenant, t);
	if (rc_room_kind(room, sizeof(room), t, kind, kind_len, id, id_len) < 0)
		elog(ERROR, "cannot build room %.*s:%.*s", (int) kind_len, kind, (int) id_len, id);
	return pstrdup(room);
}

static RcPlan kind_lookup = {
	"SELECT k.policy::pg_catalog.oid FROM roomcast.room_kinds k "
	"WHERE k.tenant_id OPERATOR(pg_catalog.=) "
	"      ANY (ARRAY[$1, '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid]) "
	"  AND k.kind OPERATOR(pg_catalog.=) $2 "
	"ORDER BY k.tenant_id OPERATOR(pg_catalog.=) '00000000-0000-0000-0000-000000000000' LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

/*
 * Look up kind for tenant: returns false when unregistered, else true with
 * *policy the policy function (InvalidOid for none).
 */
static bool
LookupKind(const pg_uuid_t *tenant, const char *kind, size_t kind_len, Oid *policy)
{
	RcSavedUser sw;
	RcSpiSection spi;
	Datum		values[2];
	bool		found = false;

	values[0] = UUIDPGetDatum(tenant);
	values[1] = PointerGetDatum(cstring_to_text_with_len(kind, kind_len));
	RcSpiConnect(&spi);
	RcBecomeOwner(&sw);
	RcPlanExec(&kind_lookup, values, NULL, true, 1);
	RcRestoreUser(&sw);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		*policy = isnull ? InvalidOid : DatumGetObjectId(d);
		found = true;
	}
	RcSpiFinish(&spi);
	return found;
}

char *
RcRoomAuthorizeJoin(const char *kind, size_t kind_len, const char *id, size_t id_len)
{
	RcIdentity	ident;
	Oid			policy;
	char	   *room;

	RcIdentityRequireUser(&ident);
	room = RoomOfKind(&ident.tenant, kind, kind_len, id, id_len);
	if (!LookupKind(&ident.tenant, kind, kind_len, &policy))
		ereport(ERROR,
				(errcode(RC_ERRCODE_FORBIDDEN),
				 errmsg("unknown room kind \"%.*s\"", (int) kind_len, kind),
				 errdetail("Room kind \"%.*s\" is not registered for this tenant; see roomcast.register_room_kind.", (int) kind_len, kind)));
	if (OidIsValid(policy))
	{
		LOCAL_FCINFO(fcinfo, 2);
		FmgrInfo	flinfo;
		Datum		result;
		pg_uuid_t  *user = palloc(sizeof(pg_uuid_t));

		/*
		 * The policy runs as the caller, with the joining user's identity
		 * and the caller's own search_path: outside any SPI section.
		 */
		if (pg_proc_aclcheck(policy, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(RC_ERRCODE_FORBIDDEN),
					 errmsg("join refused"),
					 errdetail("The current role may not execute the policy of room kind \"%.*s\".", (int) kind_len, kind)));
		*user = ident.user;
		fmgr_info(policy, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = UUIDPGetDatum(user);
		fcinfo->args[0].isnull = false;
		fcinfo->args[1].value = PointerGetDatum(cstring_to_text_with_len(id, id_len));
		fcinfo->args[1].isnull = false;
		result = FunctionCallInvoke(fcinfo);
		if (fcinfo->isnull || !DatumGetBool(result))
			ereport(ERROR,
					(errcode(RC_ERRCODE_FORBIDDEN),
					 errmsg("join refused"),
					 errdetail("The policy of room kind \"%.*s\" does not let this user join room \"%s\".", (int) kind_len, kind, room)));
	}
	return room;
}

/* Raise unless fn is (uuid, text) -> boolean */
static void
CheckPolicySignature(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	bool		ok;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "roomcast: cache lookup failed for function %u", fn);
	p = (Form_pg_proc) GETSTRUCT(tup);
	ok = p->pronargs == 2 && p->proargtypes.values[0] == UUIDOID &&
		p->proargtypes.values[1] == TEXTOID && p->prorettype == BOOLOID && !p->proretset;
	ReleaseSysCache(tup);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("room policy %s must take (uuid, text) and return boolean",
						format_procedure(fn))));
}

static RcPlan kind_upsert = {
	"INSERT INTO roomcast.room_kinds (tenant_id, kind, policy) "
	"VALUES ($1, $2, $3::pg_catalog.oid::pg_catalog.regprocedure) "
	"ON CONFLICT (tenant_id, kind) DO UPDATE SET policy = excluded.policy",
	3, {UUIDOID, TEXTOID, OIDOID}
};

/* SQL function: register_room_kind(kind text, policy regprocedure) returns void */
PG_FUNCTION_INFO_V1(register_room_kind);
Datum
register_room_kind(PG_FUNCTION_ARGS)
{
	text	   *kind;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("room kind must not be null")));
	kind = PG_GETARG_TEXT_PP(0);
	CheckKind(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind));
	if (!PG_ARGISNULL(1))
		CheckPolicySignature(PG_GETARG_OID(1));

	values[1] = PointerGetDatum(kind);
	values[2] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	if (PG_ARGISNULL(1))
		nulls[2] = 'n';
	(void) RcRegistrationWrite(&kind_upsert, values, nulls, "kinds");
	PG_RETURN_VOID();
}

static RcPlan kind_delete = {
	"DELETE FROM roomcast.room_kinds "
	"WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND kind OPERATOR(pg_catalog.=) $2",
	2, {UUIDOID, TEXTOID}
};

/* SQL function: unregister_room_kind(kind text) returns boolean */
PG_FUNCTION_INFO_V1(unregister_room_kind);
Datum
unregister_room_kind(PG_FUNCTION_ARGS)
{
	Datum		values[2];

	values[1] = PG_GETARG_DATUM(0);
	PG_RETURN_BOOL(RcRegistrationWrite(&kind_delete, values, NULL, "kinds") > 0);
}

/* SQL function: authorize_join(kind text, id text) returns text */
PG_FUNCTION_INFO_V1(authorize_join);
Datum
authorize_join(PG_FUNCTION_ARGS)
{
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *id = PG_GETARG_TEXT_PP(1);

	PG_RETURN_TEXT_P(cstring_to_text(RcRoomAuthorizeJoin(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
														 VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id))));
}

/* SQL function: room(kind text, id text) returns text */
PG_FUNCTION_INFO_V1(room);
Datum
room(PG_FUNCTION_ARGS)
{
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *id = PG_GETARG_TEXT_PP(1);
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	PG_RETURN_TEXT_P(cstring_to_text(RoomOfKind(&ident.tenant, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
												VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id))));
}

/* SQL function: user_room(user_id uuid) returns text */
PG_FUNCTION_INFO_V1(user_room);
Datum
user_room(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	PG_RETURN_TEXT_P(cstring_to_text(RcRoomUser(&ident.tenant, PG_GETARG_UUID_P(0))));
}

/* SQL function: tenant_room() returns text */
PG_FUNCTION_INFO_V1(tenant_room);
Datum
tenant_room(PG_FUNCTION_ARGS)
{
	RcIdentity	ident;

	RcIdentityRequire(&ident);
	PG_RETURN_TEXT_P(cstring_to_text(RcRoomTenant(&ident.tenant)));
}
