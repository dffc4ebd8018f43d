/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  The transaction-local identity: set_identity(), current_tenant(),
 *	  current_user_id(), current_role(), current_claims(), and the C API of
 *	  identity.h used by every other subsystem.
 *
 *	  The identity lives in two hidden settings, roomcast.identity
 *	  ("tenant/user/role", user empty for a service identity) and
 *	  roomcast.claims (the verified claims as JSON text). They are
 *	  PGC_SUSET, so an unprivileged SET cannot forge them, and we set them
 *	  with GUC_ACTION_LOCAL, so they end with the transaction, are undone by
 *	  a rolled-back savepoint, and travel into parallel workers. Reading
 *	  them costs nothing: the GUC machinery keeps our C variables current,
 *	  which matters because RLS policies call current_tenant() per row.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "identity.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "rc_json.h"
#include "rc_jwt.h"
#include "token.h"
#include "jsonconv.h"

/*---- GUC variables ----*/
static char *rc_identity_setting = NULL;	/* "tenant/user/role" or "" */
static char *rc_claims_setting = NULL;	/* JSON object text or "" */

/* Format a uuid as canonical lowercase text into buf[37] (common/rc_uuid.c) */
void
RcUuidFormat(const pg_uuid_t *uuid, char *buf)
{
	rc_uuid_format(uuid->data, buf);
}

/* Parse canonical 8-4-4-4-12 uuid text (any case); false when not a uuid (common/rc_uuid.c) */
bool
RcUuidParse(const char *text, size_t len, pg_uuid_t *out)
{
	return rc_uuid_parse(text, len, false, out->data);
}

/*
 * Parse the roomcast.identity setting. Returns false when it is empty. The
 * role points into the setting's storage: valid until the setting changes.
 */
bool
RcIdentityGet(RcIdentity *out)
{
	const char *s = rc_identity_setting;
	const char *slash;

	if (s == NULL || s[0] == '\0')
		return false;

	/* "tenant/user/role": written only by RcIdentitySet, so well-formed */
	if (strlen(s) < RC_UUID_LEN + 2 ||
		!RcUuidParse(s, RC_UUID_LEN, &out->tenant) ||
		s[RC_UUID_LEN] != '/')
		elog(ERROR, "malformed roomcast.identity setting");
	s += RC_UUID_LEN + 1;
	slash = strchr(s, '/');
	if (slash == NULL)
		elog(ERROR, "malformed roomcast.identity setting");
	out->has_user = slash > s;
	if (out->has_user && !RcUuidParse(s, slash - s, &out->user))
		elog(ERROR, "malformed roomcast.identity setting");
	out->role = slash + 1;
	return true;
}

/* Raise RC401: this transaction has no identity */
static void
ReportNoIdentity(void)
{
	ereport(ERROR,
			(errcode(RC_ERRCODE_UNAUTHORIZED),
			 errmsg("no identity in this transaction"),
			 errdetail("No tenant identity has been set in the current transaction."),
			 errhint("Call roomcast.authenticate(token) or roomcast.set_identity(tenant, user) first.")));
}

/* Fill *out with the identity; RC401 when none is set */
void
RcIdentityRequire(RcIdentity *out)
{
	if (!RcIdentityGet(out))
		ReportNoIdentity();
}

/* Fill *out with an identity that has a user; RC401 otherwise */
void
RcIdentityRequireUser(RcIdentity *out)
{
	RcIdentityRequire(out);
	if (!out->has_user)
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg("no user in this transaction's identity"),
				 errdetail("The current identity is a service identity without a user, and this operation acts on behalf of a user."),
				 errhint("Pass the user to roomcast.set_identity(tenant, user_id) or authenticate with a user token.")));
}

/*
 * Set roomcast.identity and roomcast.claims for the rest of the transaction.
 * role must not contain '/'.
 */
void
RcIdentitySet(const pg_uuid_t *tenant, const pg_uuid_t *user, const char *role,
			  const char *claims_json)
{
	char		tenant_text[RC_UUID_LEN + 1];
	char		user_text[RC_UUID_LEN + 1] = "";
	char	   *value;

	RcUuidFormat(tenant, tenant_text);
	if (user != NULL)
		RcUuidFormat(user, user_text);
	value = psprintf("%s/%s/%s", tenant_text, user_text, role);
	(void) set_config_option("roomcast.identity", value, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("roomcast.claims", claims_json ? claims_json : "",
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	pfree(value);
}

/* Reject a role name that is empty, too long or would break the setting */
static void
CheckRoleName(const char *role)
{
	size_t		len = strlen(role);

	if (len == 0 || len > 64 || strchr(role, '/') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid role \"%s\"", role),
				 errdetail("A role is 1 to 64 characters and contains no \"/\".")));
}

/*
 * Raise RC401 unless user is an active user of the current tenant. Runs
 * under the identity just set, so RLS restricts the lookup to that tenant.
 */
static void
CheckUserActive(const pg_uuid_t *tenant, const pg_uuid_t *user)
{
	static RcPlan plan = {
		"SELECT u.status OPERATOR(pg_catalog.=) 'active' FROM roomcast.users u "
		"WHERE u.tenant_id OPERATOR(pg_catalog.=) $1 AND u.id OPERATOR(pg_catalog.=) $2",
		2, {UUIDOID, UUIDOID}
	};
	Datum		args[2];
	char		user_text[RC_UUID_LEN + 1];
	bool		found,
				active = false;
	RcSpiSection spi;

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(user);
	RcSpiConnect(&spi);
	RcPlanExec(&plan, args, NULL, true, 1);
	found = SPI_processed == 1;
	if (found)
	{
		bool		isnull;

		active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	}
	RcSpiFinish(&spi);

	if (!found || !active)
	{
		RcUuidFormat(user, user_text);
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg(found ? "user is disabled" : "unknown user"),
				 errdetail(found ? "User %s is disabled in this tenant." :
						   "User %s does not exist in this tenant.", user_text)));
	}
}

/* Raise an error unless the current role may act as a trusted service */
void
RcRequireService(const char *what)
{
	Oid			service = get_role_oid("roomcast_service", true);

	if (superuser() || (OidIsValid(service) && has_privs_of_role(GetUserId(), service)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for %s", what),
			 errdetail("Only members of role roomcast_service may call %s.", what)));
}

/*
 * Verify token and set the identity from its claims; see identity.h.
 * Returns the claims as palloc'd JSON text.
 */
char *
RcIdentityAuthenticate(const char *token, size_t len)
{
	rc_jwt_claims *claims = palloc(sizeof(rc_jwt_claims));
	pg_uuid_t	tenant,
				user;
	const char *role;

	RcTokenVerify(token, len, claims);
	(void) RcUuidParse(claims->tenant, RC_UUID_LEN, &tenant);
	(void) RcUuidParse(claims->user, RC_UUID_LEN, &user);
	role = claims->role[0] && strchr(claims->role, '/') == NULL ? claims->role : "member";
	RcIdentitySet(&tenant, &user, role, claims->json);
	CheckUserActive(&tenant, &user);
	return claims->json;
}

/*---- SQL functions ----*/

/* SQL function: current_tenant() returns uuid */
PG_FUNCTION_INFO_V1(roomcast_current_tenant);
Datum
roomcast_current_tenant(PG_FUNCTION_ARGS)
{
	RcIdentity	id;
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	RcIdentityRequire(&id);
	*result = id.tenant;
	PG_RETURN_UUID_P(result);
}

/* SQL function: current_user_id() returns uuid */
PG_FUNCTION_INFO_V1(roomcast_current_user_id);
Datum
roomcast_current_user_id(PG_FUNCTION_ARGS)
{
	RcIdentity	id;
	pg_uuid_t  *result;

	RcIdentityRequire(&id);
	if (!id.has_user)
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = id.user;
	PG_RETURN_UUID_P(result);
}

/* SQL function: current_role() returns text */
PG_FUNCTION_INFO_V1(roomcast_current_role);
Datum
roomcast_current_role(PG_FUNCTION_ARGS)
{
	RcIdentity	id;

	RcIdentityRequire(&id);
	PG_RETURN_TEXT_P(cstring_to_text(id.role));
}

/* SQL function: current_claims() returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_current_claims);
Datum
roomcast_current_claims(PG_FUNCTION_ARGS)
{
	RcIdentity	id;

	RcIdentityRequire(&id);
	return RcClaimsToJsonb(rc_claims_setting, strlen(rc_claims_setting));
}

/* SQL function: set_identity(tenant uuid, user_id uuid, role text) returns void */
PG_FUNCTION_INFO_V1(roomcast_set_identity);
Datum
roomcast_set_identity(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant;
	pg_uuid_t  *user = PG_ARGISNULL(1) ? NULL : PG_GETARG_UUID_P(1);
	char	   *role = PG_ARGISNULL(2) ? "service" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char		tenant_text[RC_UUID_LEN + 1];
	char		user_text[RC_UUID_LEN + 1];
	StringInfoData claims;

	RcRequireService("roomcast.set_identity");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tenant must not be null")));
	tenant = PG_GETARG_UUID_P(0);
	CheckRoleName(role);

	/* Synthesise the claims a token for this identity would carry */
	RcUuidFormat(tenant, tenant_text);
	initStringInfo(&claims);
	appendStringInfo(&claims, "{\"%s\": \"%s\"", RcClaimTenantName(), tenant_text);
	if (user != NULL)
	{
		RcUuidFormat(user, user_text);
		appendStringInfo(&claims, ", \"%s\": \"%s\"", RcClaimUserName(), user_text);
	}
	appendStringInfoString(&claims, ", \"role\": ");
	escape_json(&claims, role);
	appendStringInfoChar(&claims, '}');

	RcIdentitySet(tenant, user, role, claims.data);
	if (user != NULL)
		CheckUserActive(tenant, user);
	PG_RETURN_VOID();
}

/* Define the identity settings */
void
RcIdentityInit(void)
{
	DefineCustomStringVariable("roomcast.identity",
							   "The identity of the current transaction (internal).",
							   "Set by roomcast.authenticate() and roomcast.set_identity(), never directly.",
							   &rc_identity_setting, "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.claims",
							   "The verified claims of the current transaction's identity (internal).",
							   NULL,
							   &rc_claims_setting, "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	RcTokenInit();
}
