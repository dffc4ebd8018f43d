/*-------------------------------------------------------------------------
 *
 * sessions.c
 *	  Logins that last: create_tenant(), issue_tokens(), refresh() with
 *	  rotation, families and reuse detection, revoke_sessions(), and
 *	  refresh_from_sso().
 *
 *	  Refresh tokens are 256 random bits, base64url; only their SHA-256 is
 *	  stored. The functions read and write roomcast.refresh_tokens as the
 *	  extension owner (callers have no rights on it). A refused refresh
 *	  writes roomcast.security_events — and on reuse revokes the family and
 *	  kicks the user's sockets — through secworker.c, because the error we
 *	  raise rolls back everything done in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "identity.h"
#include "sessions.h"
#include "events.h"
#include "token.h"

#include <openssl/sha.h>

#include "commands/async.h"
#include "fmgr.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "rc_base64url.h"
#include "rc_jwt.h"

/*---- GUC variables ----*/
static int	rc_access_ttl = 900;	/* seconds */
static int	rc_refresh_ttl = 30 * 86400;	/* seconds */

#define REFRESH_TOKEN_BYTES 32

/* A user row as the session functions need it */
typedef struct SessionUser
{
	bool		found;
	bool		active;
	char	   *role;
	char	   *email;			/* NULL when none */
} SessionUser;

/* Copy s into the caller's memory context, so it outlives RcSpiFinish */
static char *
SpiStrdup(const char *s)
{
	size_t		len;
	char	   *copy;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	copy = SPI_palloc(len);
	memcpy(copy, s, len);
	return copy;
}

/* Raise 22004 when a required argument is NULL */
static void
CheckNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Look up a user; call inside SPI, as the owner */
static SessionUser
LookupUser(const pg_uuid_t *tenant, const pg_uuid_t *user)
{
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	SessionUser result = {0};

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(user);
	RcSpiExec("SELECT u.status OPERATOR(pg_catalog.=) 'active', u.role, u.email FROM roomcast.users u "
			  "WHERE u.tenant_id OPERATOR(pg_catalog.=) $1 AND u.id OPERATOR(pg_catalog.=) $2",
			  2, types, args, NULL, true, 1, SPI_OK_SELECT, "user lookup");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		result.found = true;
		result.active = DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull));
		result.role = SPI_getvalue(tup, desc, 2);
		result.email = SPI_getvalue(tup, desc, 3);
	}
	return result;
}

/* Raise RC401 for a user that is unknown or disabled */
static void
CheckSessionUser(const SessionUser *u)
{
	if (!u->found)
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg("unknown user"),
				 errdetail("The user does not exist in this tenant.")));
	if (!u->active)
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg("user is disabled"),
				 errdetail("The user's status is disabled; no tokens are issued for them.")));
}

/* Make a fresh refresh token; its SHA-256 goes to hash */
static char *
NewRefreshToken(uint8 hash[SHA256_DIGEST_LENGTH])
{
	uint8		raw[REFRESH_TOKEN_BYTES];
	char	   *token = palloc(RC_B64URL_ENCODED_LEN(REFRESH_TOKEN_BYTES) + 1);
	size_t		n;

	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random refresh token")));
	n = rc_b64url_encode(raw, sizeof(raw), token);
	token[n] = '\0';
	SHA256((const unsigned char *) token, n, hash);
	explicit_bzero(raw, sizeof(raw));
	return token;
}

/* Insert a refresh token of family for user; call inside SPI, as the owner */
static void
InsertRefreshToken(const pg_uuid_t *tenant, const pg_uuid_t *user,
				   const pg_uuid_t *family, const uint8 *hash, const char *fingerprint)
{
	Oid			types[6] = {UUIDOID, UUIDOID, UUIDOID, BYTEAOID, TEXTOID, INT4OID};
	Datum		args[6];
	char		nulls[6] = "      ";
	bytea	   *hash_bytea = palloc(VARHDRSZ + SHA256_DIGEST_LENGTH);

	SET_VARSIZE(hash_bytea, VARHDRSZ + SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(hash_bytea), hash, SHA256_DIGEST_LENGTH);
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(user);
	args[2] = UUIDPGetDatum(family);
	args[3] = PointerGetDatum(hash_bytea);
	if (fingerprint != NULL)
		args[4] = CStringGetTextDatum(fingerprint);
	else
		nulls[4] = 'n';
	args[5] = Int32GetDatum(rc_refresh_ttl);
	RcSpiExec("INSERT INTO roomcast.refresh_tokens "
			  "(tenant_id, user_id, family_id, token_hash, fingerprint, expires_at) "
			  "VALUES ($1, $2, $3, $4, $5, pg_catalog.now() OPERATOR(pg_catalog.+) "
			  "pg_catalog.make_interval(secs => $6))",
			  6, types, args, nulls, false, 0, SPI_OK_INSERT, "storing the refresh token");
}

/* Sign an access token for user; returns it and its expiry in *exp */
static char *
AccessToken(const pg_uuid_t *tenant, const pg_uuid_t *user, const SessionUser *u, int64 *exp)
{
	StringInfoData claims;
	char		tenant_text[37],
				user_text[37];
	uint8		jti[16];
	char		jti_text[RC_B64URL_ENCODED_LEN(16) + 1];

	RcUuidFormat(tenant, tenant_text);
	RcUuidFormat(user, user_text);
	if (!pg_strong_random(jti, sizeof(jti)))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a token id")));
	jti_text[rc_b64url_encode(jti, sizeof(jti), jti_text)] = '\0';

	*exp = RcTokenNow() + rc_access_ttl;
	initStringInfo(&claims);
	appendStringInfo(&claims, "{\"%s\":\"%s\",\"%s\":\"%s\",\"role\":",
					 RcClaimUserName(), user_text, RcClaimTenantName(), tenant_text);
	escape_json(&claims, u->role);
	if (u->email != NULL)
	{
		appendStringInfoString(&claims, ",\"email\":");
		escape_json(&claims, u->email);
	}
	appendStringInfo(&claims, ",\"jti\":\"%s\",\"exp\":" INT64_FORMAT "}", jti_text, *exp);
	return RcTokenSign(claims.data, claims.len, rc_access_ttl);
}

/* Append "key": <ISO timestamp of epoch seconds> to a JSON object being built */
static void
AppendTimestamp(StringInfo buf, const char *key, int64 epoch)
{
	TimestampTz ts = time_t_to_timestamptz((pg_time_t) epoch);

	appendStringInfo(buf, ",\"%s\":", key);
	escape_json(buf, timestamptz_to_str(ts));
}

/* Build the {access_token, refresh_token?, expires_at} result */
static Datum
TokensResult(const char *access, int64 access_exp, const char *refresh)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"access_token\":\"%s\"", access);
	if (refresh != NULL)
		appendStringInfo(&buf, ",\"refresh_token\":\"%s\"", refresh);
	AppendTimestamp(&buf, "expires_at", access_exp);
	appendStringInfo(&buf, ",\"expires_in\":%d}", rc_access_ttl);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* Queue the control message that disconnects a user's sockets on every notifier */
void
RcNotifyKick(const pg_uuid_t *tenant, const pg_uuid_t *user, const char *reason)
{
	char		tenant_text[37],
				user_text[37];

	RcUuidFormat(tenant, tenant_text);
	RcUuidFormat(user, user_text);
	/* reason is one of our fixed words: nothing to escape */
	RcNotifyControl("kick", psprintf("\"tenant\":\"%s\",\"user\":\"%s\",\"reason\":\"%s\"",
									  tenant_text, user_text, reason));
}

/* Compare two strings in time independent of where they differ */
static bool
SameText(const char *a, const char *b)
{
	size_t		len = strlen(a);

	return len == strlen(b) && rc_secure_equal(a, b, len);
}

/* Raise 42501 unless the identity may manage user's sessions (self, admin, service) */
static void
CheckMaySessionsOf(const RcIdentity *id, const pg_uuid_t *user, const char *what)
{
	if (id->has_user && memcmp(id->user.data, user->data, UUID_LEN) == 0)
		return;
	if (strcmp(id->role, "service") == 0 || strcmp(id->role, "admin") == 0)
		return;
	ereport(ERROR,
			(errcode(RC_ERRCODE_FORBIDDEN),
			 errmsg("forbidden"),
			 errdetail("Only the user themselves, an admin or the service may call %s for a user.", what)));
}

/*---- SQL functions ----*/

/* SQL function: create_tenant(slug text, name text, id uuid) returns uuid */
PG_FUNCTION_INFO_V1(roomcast_create_tenant);
Datum
roomcast_create_tenant(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {TEXTOID, TEXTOID, UUIDOID};
	Datum		args[3];
	RcSavedUser saved;
	RcSpiSection spi;

	RcRequireService("roomcast.create_tenant");
	CheckNotNull(fcinfo, 0, "slug");
	CheckNotNull(fcinfo, 1, "name");
	CheckNotNull(fcinfo, 2, "id");
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_GETARG_DATUM(2);
	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	RcSpiExec("INSERT INTO roomcast.tenants (slug, name, id) VALUES ($1, $2, $3)",
			  3, types, args, NULL, false, 0, SPI_OK_INSERT, "creating the tenant");
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);
	PG_RETURN_DATUM(args[2]);
}

/* SQL function: issue_tokens(tenant uuid, user_id uuid, fingerprint text) returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_issue_tokens);
Datum
roomcast_issue_tokens(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant;
	pg_uuid_t  *user;
	char	   *fingerprint = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	pg_uuid_t	family;
	uint8		hash[SHA256_DIGEST_LENGTH];
	char	   *refresh;
	char	   *access;
	int64		exp;
	SessionUser u;
	RcSavedUser saved;
	RcSpiSection spi;

	RcRequireService("roomcast.issue_tokens");
	CheckNotNull(fcinfo, 0, "tenant");
	CheckNotNull(fcinfo, 1, "user_id");
	tenant = PG_GETARG_UUID_P(0);
	user = PG_GETARG_UUID_P(1);
	if (!pg_strong_random(family.data, UUID_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a family id")));
	family.data[6] = (family.data[6] & 0x0f) | 0x40;	/* version 4 */
	family.data[8] = (family.data[8] & 0x3f) | 0x80;	/* RFC 4122 variant */

	refresh = NewRefreshToken(hash);
	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	u = LookupUser(tenant, user);
	CheckSessionUser(&u);
	InsertRefreshToken(tenant, user, &family, hash, fingerprint);
	u.role = SpiStrdup(u.role);
	u.email = SpiStrdup(u.email);
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);

	access = AccessToken(tenant, user, &u, &exp);
	PG_RETURN_DATUM(TokensResult(access, exp, refresh));
}

/*
 * Record a refused refresh (and apply its revocation) so that it survives
 * the error raised next; see secworker.c.
 */
static void
Refuse(RcSecurityKind kind, const pg_uuid_t *tenant, const pg_uuid_t *user,
	   const pg_uuid_t *family, const char *fingerprint)
{
	RcSecurityRecord rec = {0};

	rec.kind = kind;
	rec.tenant = *tenant;
	rec.user = *user;
	rec.family = *family;
	rec.revoke_family = (kind == RC_SEC_REFRESH_REUSE);
	rec.kick = (kind == RC_SEC_REFRESH_REUSE);
	if (fingerprint != NULL)
		strlcpy(rec.fingerprint, fingerprint, sizeof(rec.fingerprint));
	RcSecurityRecordDurably(&rec);
}

/* SQL function: refresh(refresh_token text, fingerprint text) returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_refresh);
Datum
roomcast_refresh(PG_FUNCTION_ARGS)
{
	text	   *token;
	char	   *fingerprint = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	uint8		hash[SHA256_DIGEST_LENGTH];
	bytea	   *hash_bytea;
	Oid			types[1] = {BYTEAOID};
	Datum		args[1];
	RcSavedUser saved;
	RcSpiSection spi;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	pg_uuid_t	tenant,
				id,
				family,
				user;
	char	   *stored_fp;
	bool		expired,
				rotated,
				revoked;
	SessionUser u;
	uint8		new_hash[SHA256_DIGEST_LENGTH];
	char	   *new_refresh;
	char	   *access;
	int64		exp;

	CheckNotNull(fcinfo, 0, "refresh_token");
	token = PG_GETARG_TEXT_PP(0);
	SHA256((const unsigned char *) VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), hash);
	hash_bytea = palloc(VARHDRSZ + SHA256_DIGEST_LENGTH);
	SET_VARSIZE(hash_bytea, VARHDRSZ + SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(hash_bytea), hash, SHA256_DIGEST_LENGTH);
	args[0] = PointerGetDatum(hash_bytea);
	new_refresh = NewRefreshToken(new_hash);	/* outside SPI: it must outlive it */

	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	RcSpiExec("SELECT r.tenant_id, r.id, r.family_id, r.user_id, r.fingerprint, "
			  "r.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now(), "
			  "r.rotated_at IS NOT NULL, r.revoked_at IS NOT NULL "
			  "FROM roomcast.refresh_tokens r WHERE r.token_hash OPERATOR(pg_catalog.=) $1 FOR UPDATE",
			  1, types, args, NULL, false, 1, SPI_OK_SELECT, "refresh token lookup");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("unknown refresh token"),
				 errdetail("No session has this refresh token.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	tenant = *DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
	id = *DatumGetUUIDP(SPI_getbinval(tup, desc, 2, &isnull));
	family = *DatumGetUUIDP(SPI_getbinval(tup, desc, 3, &isnull));
	user = *DatumGetUUIDP(SPI_getbinval(tup, desc, 4, &isnull));
	stored_fp = SPI_getvalue(tup, desc, 5);
	expired = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	rotated = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
	revoked = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));

	/* Checks in order of severity: reuse first, whatever else is wrong */
	if (rotated)
	{
		Refuse(RC_SEC_REFRESH_REUSE, &tenant, &user, &family, fingerprint);
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("refresh token reused"),
				 errdetail("This refresh token was already rotated; every session of its login has been revoked.")));
	}
	if (revoked)
	{
		Refuse(RC_SEC_REFRESH_REVOKED, &tenant, &user, &family, fingerprint);
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("refresh token revoked"),
				 errdetail("This session was revoked; log in again.")));
	}
	if (expired)
	{
		Refuse(RC_SEC_REFRESH_EXPIRED, &tenant, &user, &family, fingerprint);
		ereport(ERROR,
				(errcode(RC_ERRCODE_TOKEN_EXPIRED),
				 errmsg("refresh token expired"),
				 errdetail("The refresh token's lifetime (roomcast.refresh_ttl) has passed; log in again.")));
	}
	if (stored_fp != NULL && (fingerprint == NULL || !SameText(stored_fp, fingerprint)))
	{
		Refuse(RC_SEC_FINGERPRINT_MISMATCH, &tenant, &user, &family, fingerprint);
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("fingerprint mismatch"),
				 errdetail("The refresh token is bound to another client fingerprint.")));
	}
	u = LookupUser(&tenant, &user);
	if (!u.found || !u.active)
	{
		Refuse(RC_SEC_DISABLED_USER, &tenant, &user, &family, fingerprint);
		CheckSessionUser(&u);
	}

	/* Rotate: the presented token is spent, a new one joins the family */
	{
		Oid			rtypes[2] = {UUIDOID, UUIDOID};
		Datum		rargs[2];

		rargs[0] = UUIDPGetDatum(&tenant);
		rargs[1] = UUIDPGetDatum(&id);
		RcSpiExec("UPDATE roomcast.refresh_tokens "
				  "SET rotated_at = pg_catalog.now(), revoked_at = pg_catalog.now() "
				  "WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
				  2, rtypes, rargs, NULL, false, 0, SPI_OK_UPDATE, "rotating the refresh token");
	}
	InsertRefreshToken(&tenant, &user, &family, new_hash, stored_fp);
	u.role = SpiStrdup(u.role);
	u.email = SpiStrdup(u.email);
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);

	access = AccessToken(&tenant, &user, &u, &exp);
	PG_RETURN_DATUM(TokensResult(access, exp, new_refresh));
}

/* SQL function: revoke_sessions(user_id uuid) returns int */
PG_FUNCTION_INFO_V1(roomcast_revoke_sessions);
Datum
roomcast_revoke_sessions(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user = PG_GETARG_UUID_P(0);
	RcIdentity	id;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	RcSavedUser saved;
	RcSpiSection spi;
	uint64		revoked;

	RcIdentityRequire(&id);
	CheckMaySessionsOf(&id, user, "roomcast.revoke_sessions");
	args[0] = UUIDPGetDatum(&id.tenant);
	args[1] = UUIDPGetDatum(user);
	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	RcSpiExec("UPDATE roomcast.refresh_tokens SET revoked_at = pg_catalog.now() "
			  "WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
			  "AND revoked_at IS NULL",
			  2, types, args, NULL, false, 0, SPI_OK_UPDATE, "revoking the sessions");
	revoked = SPI_processed;
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);

	RcNotifyKick(&id.tenant, user, "revoked");
	PG_RETURN_INT32((int32) revoked);
}

/* SQL function: refresh_from_sso(user_id uuid) returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_refresh_from_sso);
Datum
roomcast_refresh_from_sso(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user = PG_GETARG_UUID_P(0);
	RcIdentity	id;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	RcSavedUser saved;
	RcSpiSection spi;
	bool		valid = false;
	SessionUser u;
	char	   *access;
	int64		exp;

	RcIdentityRequire(&id);
	CheckMaySessionsOf(&id, user, "roomcast.refresh_from_sso");
	args[0] = UUIDPGetDatum(&id.tenant);
	args[1] = UUIDPGetDatum(user);
	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	RcSpiExec("SELECT s.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() FROM roomcast.sso_sessions s "
			  "WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.user_id OPERATOR(pg_catalog.=) $2",
			  2, types, args, NULL, true, 1, SPI_OK_SELECT, "SSO session lookup");
	if (SPI_processed == 1)
	{
		bool		isnull;

		valid = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (!valid)
		ereport(ERROR,
				(errcode(RC_ERRCODE_TOKEN_EXPIRED),
				 errmsg("SSO session expired - please login again"),
				 errdetail("The user has no SSO session in this tenant, or it has expired.")));
	u = LookupUser(&id.tenant, user);
	CheckSessionUser(&u);
	u.role = SpiStrdup(u.role);
	u.email = SpiStrdup(u.email);
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);

	access = AccessToken(&id.tenant, user, &u, &exp);
	PG_RETURN_DATUM(TokensResult(access, exp, NULL));
}

/* Define the session settings */
void
RcSessionsInit(void)
{
	DefineCustomIntVariable("roomcast.access_ttl",
							"Lifetime of access tokens issued by issue_tokens, refresh and refresh_from_sso.",
							NULL, &rc_access_ttl, 900, 10, 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("roomcast.refresh_ttl",
							"Lifetime of refresh tokens.",
							NULL, &rc_refresh_ttl, 30 * 86400, 60, 365 * 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
}
