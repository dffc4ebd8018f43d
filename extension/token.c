/*-------------------------------------------------------------------------
 *
 * token.c
 *	  JWT in the database: sign(), verify(), authenticate(), the signing
 *	  keys (add_signing_key, retire_signing_key) and the settings that shape
 *	  verification. The token format itself lives in common/rc_jwt.c.
 *
 *	  Keys are cached per backend in TopMemoryContext, loaded on first use
 *	  as the owner of roomcast.signing_keys (callers cannot read the table).
 *	  Every change to the table fires a statement trigger that queues a
 *	  relcache invalidation of it: at commit every backend drops its cache,
 *	  and the notifiers hear {"c":"keys"} on the roomcast channel.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "identity.h"
#include "token.h"
#include "events.h"
#include "jsonconv.h"

#include "catalog/namespace.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rc_base64url.h"
#include "rc_json.h"

/*---- GUC variables ----*/
static int	rc_clock_skew = 0;
static int	rc_clock_override = 0;
static char *rc_claim_user = NULL;
static char *rc_claim_tenant = NULL;
static char *rc_audience = NULL;
static char *rc_issuer = NULL;

#define RC_MAX_SECRET 1024

/* One cached signing key */
typedef struct RcKey
{
	char		kid[RC_JWT_MAX_KID + 1];
	rc_jwt_alg	alg;
	int64		created;		/* epoch seconds */
	int64		retired;		/* epoch seconds; PG_INT64_MAX when active */
	size_t		secret_len;
	uint8		secret[RC_MAX_SECRET];
} RcKey;

static RcKey *rc_keys = NULL;	/* newest first */
static int	rc_nkeys = 0;
static bool rc_keys_valid = false;
static Oid	rc_keys_relid = InvalidOid;

/* Convert a timestamptz to seconds since the Unix epoch */
static int64
TimestampToEpoch(TimestampTz ts)
{
	return ts / USECS_PER_SEC +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/*
 * Seconds since the epoch by the verifier's clock. The same clock as
 * clock_timestamp(), which stamps retired_at: time(NULL) reads glibc's
 * coarse clock, which can lag a few milliseconds behind, so a key retired
 * just after a second boundary looked active for those milliseconds.
 */
int64
RcTokenNow(void)
{
	return rc_clock_override > 0 ? (int64) rc_clock_override :
		TimestampToEpoch(GetCurrentTimestamp());
}

const char *
RcClaimUserName(void)
{
	return rc_claim_user;
}

const char *
RcClaimTenantName(void)
{
	return rc_claim_tenant;
}

/* Fill the verification policy from the settings */
static void
CurrentPolicy(rc_jwt_policy *policy)
{
	policy->claim_user = rc_claim_user;
	policy->claim_tenant = rc_claim_tenant;
	policy->audience = rc_audience;
	policy->issuer = rc_issuer;
	policy->clock_skew = rc_clock_skew;
}

/* Relcache callback: drop the key cache when signing_keys changes */
static void
KeysInvalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rc_keys_relid || rc_keys_relid == InvalidOid)
		rc_keys_valid = false;
}

/*
 * Load every signing key into the cache, reading the table as its owner.
 * On error the cache stays invalid and the error propagates.
 */
static void
LoadKeys(void)
{
	Oid			nsp = get_namespace_oid("roomcast", false);
	RcSavedUser saved;
	RcSpiSection spi;
	uint64		i;
	RcKey	   *keys;
	int			nkeys;

	rc_keys_relid = get_relname_relid("signing_keys", nsp);
	if (!OidIsValid(rc_keys_relid))
		elog(ERROR, "roomcast.signing_keys is missing");

	RcSpiConnect(&spi);
	RcBecomeOwner(&saved);
	/* ORDER BY uses the types' default btree opclasses, not a name lookup */
	RcSpiExec("SELECT k.kid, k.alg, k.secret, k.created_at, k.retired_at "
			  "FROM roomcast.signing_keys k ORDER BY k.created_at DESC, k.kid",
			  0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT, "reading roomcast.signing_keys");

	nkeys = (int) SPI_processed;
	keys = MemoryContextAllocZero(TopMemoryContext, sizeof(RcKey) * Max(nkeys, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *kid = SPI_getvalue(tup, desc, 1);
		char	   *alg = SPI_getvalue(tup, desc, 2);
		bytea	   *secret = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
		Datum		retired;

		strlcpy(keys[i].kid, kid, sizeof(keys[i].kid));
		keys[i].alg = rc_jwt_alg_from_name(alg);
		keys[i].secret_len = Min(VARSIZE_ANY_EXHDR(secret), RC_MAX_SECRET);
		memcpy(keys[i].secret, VARDATA_ANY(secret), keys[i].secret_len);
		keys[i].created = TimestampToEpoch(DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull)));
		retired = SPI_getbinval(tup, desc, 5, &isnull);
		keys[i].retired = isnull ? PG_INT64_MAX : TimestampToEpoch(DatumGetTimestampTz(retired));
	}
	RcRestoreUser(&saved);
	RcSpiFinish(&spi);

	if (rc_keys != NULL)
	{
		explicit_bzero(rc_keys, sizeof(RcKey) * Max(rc_nkeys, 1));
		pfree(rc_keys);
	}
	rc_keys = keys;
	rc_nkeys = nkeys;
	rc_keys_valid = true;
}

/* The key named kid, or NULL */
static const RcKey *
FindKey(const char *kid)
{
	int			i;

	if (!rc_keys_valid)
		LoadKeys();
	for (i = 0; i < rc_nkeys; i++)
		if (strcmp(rc_keys[i].kid, kid) == 0)
			return &rc_keys[i];
	return NULL;
}

/* The newest key not retired at now, or NULL */
static const RcKey *
NewestActiveKey(int64 now)
{
	int			i;

	if (!rc_keys_valid)
		LoadKeys();
	for (i = 0; i < rc_nkeys; i++)
		if (rc_keys[i].retired > now)
			return &rc_keys[i];
	return NULL;
}

/* Raise the SQLSTATE and message of SPEC §1 for a failed verification */
static void
ReportTokenError(rc_jwt_status st)
{
	switch (st)
	{
		case RC_JWT_EXPIRED:
			ereport(ERROR,
					(errcode(RC_ERRCODE_TOKEN_EXPIRED),
					 errmsg("token expired"),
					 errdetail("The token's exp claim is in the past (allowed clock skew: %d s).",
							   rc_clock_skew)));
			break;
		case RC_JWT_MALFORMED:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("malformed token"),
					 errdetail("The token is not three base64url parts holding a JSON header and a JSON object payload.")));
			break;
		case RC_JWT_BAD_ALG:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("unsupported token algorithm"),
					 errdetail("The token header's alg must be HS256, HS384 or HS512.")));
			break;
		case RC_JWT_BAD_SIGNATURE:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token signature does not match"),
					 errdetail("The token was not signed with the key it names, or was altered after signing.")));
			break;
		case RC_JWT_MISSING_EXP:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token has no expiry"),
					 errdetail("Tokens must carry an exp claim.")));
			break;
		case RC_JWT_NOT_YET_VALID:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token not yet valid"),
					 errdetail("The token's nbf claim is in the future (allowed clock skew: %d s).",
							   rc_clock_skew)));
			break;
		case RC_JWT_BAD_AUDIENCE:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token audience does not match"),
					 errdetail("The token's aud claim does not contain \"%s\".", rc_audience)));
			break;
		case RC_JWT_BAD_ISSUER:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token issuer does not match"),
					 errdetail("The token's iss claim is not \"%s\".", rc_issuer)));
			break;
		case RC_JWT_BAD_CLAIM:
			ereport(ERROR,
					(errcode(RC_ERRCODE_INVALID_TOKEN),
					 errmsg("token claims are invalid"),
					 errdetail("The token needs the user claim \"%s\" and the tenant claim \"%s\" as UUIDs, and exp, nbf, iat, aud and iss of their registered types.",
							   rc_claim_user, rc_claim_tenant)));
			break;
		case RC_JWT_OK:
			break;
	}
}

/* Verify token completely into *claims; see token.h */
void
RcTokenVerify(const char *token, size_t len, rc_jwt_claims *claims)
{
	rc_jwt		jwt;
	rc_jwt_policy policy;
	const RcKey *key;
	rc_jwt_status st;
	int64		now = RcTokenNow();

	if ((st = rc_jwt_parse(token, len, &jwt)) != RC_JWT_OK)
		ReportTokenError(st);

	key = jwt.has_kid ? FindKey(jwt.kid) : NewestActiveKey(now);
	if (key == NULL)
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("unknown signing key"),
				 jwt.has_kid ?
				 errdetail("No signing key has kid \"%s\".", jwt.kid) :
				 errdetail("The token names no kid and there is no active signing key.")));
	if (key->retired <= now)
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("retired signing key"),
				 errdetail("Signing key \"%s\" has been retired; tokens it signed are no longer accepted.",
						   key->kid)));
	if (key->alg != jwt.alg)
		ereport(ERROR,
				(errcode(RC_ERRCODE_INVALID_TOKEN),
				 errmsg("token algorithm does not match its key"),
				 errdetail("The token says %s but key \"%s\" is an %s key.",
						   rc_jwt_alg_name(jwt.alg), key->kid, rc_jwt_alg_name(key->alg))));

	if ((st = rc_jwt_verify_signature(&jwt, key->secret, key->secret_len)) != RC_JWT_OK)
		ReportTokenError(st);
	CurrentPolicy(&policy);
	if ((st = rc_jwt_parse_claims(&jwt, &policy, claims)) != RC_JWT_OK)
		ReportTokenError(st);
	if ((st = rc_jwt_check(claims, &policy, now)) != RC_JWT_OK)
		ReportTokenError(st);
}

/* Raise 22023 for a claims object sign() cannot use */
static void
ReportBadClaims(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot sign these claims"),
			 errdetail("%s", why)));
}

/* True if the object at toks[0] has a string member key holding a uuid */
static bool
HasUuidClaim(const char *js, const rc_json_tok *toks, const char *key)
{
	int			v = rc_json_object_get(js, toks, 0, key);
	char		buf[64];
	char		norm[37];
	long		n;

	if (v < 0 || toks[v].type != RC_JSON_STRING)
		return false;
	n = rc_json_string(js, &toks[v], buf, sizeof(buf));
	return n > 0 && rc_uuid_normalize(buf, n, norm);
}

/* Sign claims_json with the newest active key; see token.h */
char *
RcTokenSign(const char *claims_json, size_t len, int64 ttl_seconds)
{
	rc_json_tok toks[RC_JWT_MAX_TOKENS];
	int			ntok;
	int64		now = RcTokenNow();
	const RcKey *key;
	StringInfoData payload;
	bool		need_iat,
				need_exp;
	long		toklen;
	char	   *out;

	ntok = rc_json_parse(claims_json, len, toks, RC_JWT_MAX_TOKENS, RC_JSON_REJECT_DUPLICATES);
	if (ntok < 0)
		ReportBadClaims(rc_json_strerror(ntok));
	if (toks[0].type != RC_JSON_OBJECT)
		ReportBadClaims("The claims must be a JSON object.");
	if (!HasUuidClaim(claims_json, toks, rc_claim_user) ||
		!HasUuidClaim(claims_json, toks, rc_claim_tenant))
		ReportBadClaims(psprintf("The claims must carry \"%s\" and \"%s\" as UUID strings.",
								 rc_claim_user, rc_claim_tenant));

	need_iat = rc_json_object_get(claims_json, toks, 0, "iat") < 0;
	need_exp = rc_json_object_get(claims_json, toks, 0, "exp") < 0;
	initStringInfo(&payload);
	appendStringInfoChar(&payload, '{');
	if (need_iat)
		appendStringInfo(&payload, "\"iat\":" INT64_FORMAT ",", now);
	if (need_exp)
		appendStringInfo(&payload, "\"exp\":" INT64_FORMAT ",", now + ttl_seconds);
	if (toks[0].size == 0)
		payload.data[--payload.len] = '\0'; /* drop the trailing comma of {} */
	appendBinaryStringInfo(&payload, claims_json + toks[0].start + 1,
						   toks[0].end - toks[0].start - 1);
	if (payload.len > RC_JWT_MAX_PAYLOAD)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("claims too large"),
				 errdetail("The claims take %d bytes; a token payload may take at most %d.",
						   payload.len, RC_JWT_MAX_PAYLOAD)));

	key = NewestActiveKey(now);
	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no active signing key"),
				 errdetail("Every signing key is retired, or none was added."),
				 errhint("Add one with roomcast.add_signing_key(kid, secret).")));

	/* The token must stay within what verify accepts, not just the payload */
	toklen = rc_jwt_sign_len(key->alg, key->kid, payload.len);
	if (toklen < 0 || toklen > RC_JWT_MAX_TOKEN)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("claims too large"),
				 errdetail("The signed token would take %ld bytes; tokens may take at most %d.",
						   toklen, RC_JWT_MAX_TOKEN)));
	out = palloc(toklen + 1);
	if (rc_jwt_sign(key->alg, key->kid, payload.data, payload.len,
					key->secret, key->secret_len, out, toklen + 1) != toklen)
		elog(ERROR, "token length differs from rc_jwt_sign_len");
	pfree(payload.data);
	return out;
}

/* Seconds in a (positive) interval, months counted as 30 days */
static int64
IntervalSeconds(const Interval *iv)
{
	return iv->time / USECS_PER_SEC +
		(int64) iv->day * SECS_PER_DAY +
		(int64) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
}

/*---- SQL functions ----*/

/* SQL function: sign(claims jsonb, ttl interval) returns text */
PG_FUNCTION_INFO_V1(roomcast_sign);
Datum
roomcast_sign(PG_FUNCTION_ARGS)
{
	Jsonb	   *claims = PG_GETARG_JSONB_P(0);
	int64		ttl = IntervalSeconds(PG_GETARG_INTERVAL_P(1));
	char	   *json;

	RcRequireService("roomcast.sign");
	if (ttl <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ttl must be positive"),
				 errdetail("A token's lifetime must be at least one second.")));
	json = JsonbToCString(NULL, &claims->root, VARSIZE(claims));
	PG_RETURN_TEXT_P(cstring_to_text(RcTokenSign(json, strlen(json), ttl)));
}

/* SQL function: verify(token text) returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_verify);
Datum
roomcast_verify(PG_FUNCTION_ARGS)
{
	text	   *token = PG_GETARG_TEXT_PP(0);
	rc_jwt_claims *claims = palloc(sizeof(rc_jwt_claims));

	RcTokenVerify(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), claims);
	return RcClaimsToJsonb(claims->json, claims->json_len);
}

/* SQL function: authenticate(token text) returns jsonb */
PG_FUNCTION_INFO_V1(roomcast_authenticate);
Datum
roomcast_authenticate(PG_FUNCTION_ARGS)
{
	text	   *token = PG_GETARG_TEXT_PP(0);
	char	   *claims;

	claims = RcIdentityAuthenticate(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
	return RcClaimsToJsonb(claims, strlen(claims));
}

/* SQL function: add_signing_key(kid text, secret bytea, alg text) returns void */
PG_FUNCTION_INFO_V1(roomcast_add_signing_key);
Datum
roomcast_add_signing_key(PG_FUNCTION_ARGS)
{
	text	   *kid = PG_GETARG_TEXT_PP(0);
	bytea	   *secret = PG_GETARG_BYTEA_PP(1);
	char	   *alg = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		args[3];
	RcSpiSection spi;

	if (rc_jwt_alg_from_name(alg) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported algorithm \"%s\"", alg),
				 errdetail("Signing keys are HS256, HS384 or HS512.")));
	if (VARSIZE_ANY_EXHDR(secret) < 32 || VARSIZE_ANY_EXHDR(secret) > RC_MAX_SECRET)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("secret of %d bytes is out of range",
						(int) VARSIZE_ANY_EXHDR(secret)),
				 errdetail("An HMAC secret takes 32 to %d bytes; use 32 or more random bytes, e.g. gen_random_bytes(32).",
						   RC_MAX_SECRET)));
	args[0] = PointerGetDatum(kid);
	args[1] = PointerGetDatum(secret);
	args[2] = CStringGetTextDatum(alg);
	RcSpiConnect(&spi);
	RcSpiExec("INSERT INTO roomcast.signing_keys (kid, secret, alg) VALUES ($1, $2, $3)",
			  3, types, args, NULL, false, 0, SPI_OK_INSERT, "inserting the signing key");
	RcSpiFinish(&spi);
	PG_RETURN_VOID();
}

/* SQL function: retire_signing_key(kid text) returns void */
PG_FUNCTION_INFO_V1(roomcast_retire_signing_key);
Datum
roomcast_retire_signing_key(PG_FUNCTION_ARGS)
{
	text	   *kid = PG_GETARG_TEXT_PP(0);
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	uint64		found;
	RcSpiSection spi;

	args[0] = PointerGetDatum(kid);
	RcSpiConnect(&spi);
	RcSpiExec("UPDATE roomcast.signing_keys "
			  "SET retired_at = COALESCE(retired_at, pg_catalog.clock_timestamp()) "
			  "WHERE kid OPERATOR(pg_catalog.=) $1",
			  1, types, args, NULL, false, 0, SPI_OK_UPDATE, "retiring the signing key");
	found = SPI_processed;
	RcSpiFinish(&spi);
	if (found == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("signing key \"%s\" does not exist", text_to_cstring(kid)),
				 errdetail("roomcast.signing_keys has no row with this kid.")));
	PG_RETURN_VOID();
}

/* Trigger on signing_keys: invalidate every backend's cache, tell the notifiers */
PG_FUNCTION_INFO_V1(roomcast_keys_changed);
Datum
roomcast_keys_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "roomcast_keys_changed: not called by trigger manager");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	RcNotifyControl("keys", NULL);
	return PointerGetDatum(NULL);
}

/* Define the token settings and hook the key cache to relcache invalidation */
void
RcTokenInit(void)
{
	DefineCustomIntVariable("roomcast.clock_skew",
							"Seconds of clock skew allowed on exp and nbf.",
							NULL, &rc_clock_skew, 0, 0, 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.claim_user",
							   "Name of the JWT claim that holds the user UUID.",
							   NULL, &rc_claim_user, "sub",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.claim_tenant",
							   "Name of the JWT claim that holds the tenant UUID.",
							   NULL, &rc_claim_tenant, "tenantId",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.audience",
							   "When set, tokens must carry this value in aud.",
							   NULL, &rc_audience, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("roomcast.issuer",
							   "When set, tokens must carry this value as iss.",
							   NULL, &rc_issuer, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("roomcast.clock_override",
							"For tests: verify tokens as if it were this Unix time (0: the real clock).",
							NULL, &rc_clock_override, 0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(KeysInvalidate, (Datum) 0);
}
