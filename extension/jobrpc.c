/*-------------------------------------------------------------------------
 *
 * jobrpc.c
 *	  The job queue's rpc methods (SPEC §9), built into roomcast.rpc:
 *	  job:enqueue {kind, payload, priority?, opts?}, job:cancel {id},
 *	  job:status {id}. rpc_gateway.c calls RcJobRpc for a method it does not know.
 *
 *	  Sockets enqueue only the kinds listed in roomcast.rpc_job_kinds: a
 *	  worker trusts the payloads of its kinds, which otherwise only the
 *	  application's backend writes.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "jobs.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

/* The value of key in an args object, or NULL */
static JsonbValue *
Arg(Jsonb *args, const char *key)
{
	if (args == NULL || !JB_ROOT_IS_OBJECT(args) || JB_ROOT_IS_SCALAR(args))
		return NULL;
	return getKeyJsonValueFromContainer(&args->root, key, strlen(key), NULL);
}

/* A jsonb of one value taken from args */
static Jsonb *
ArgJsonb(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}

/* The job id of args {"id": "..."}, or 22023 */
static pg_uuid_t *
ArgJobId(Jsonb *args, const char *method)
{
	JsonbValue *v = Arg(args, "id");
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	if (v == NULL || v->type != jbvString || !RcUuidParse(v->val.string.val, v->val.string.len, id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rpc %s needs a job id", method),
				 errdetail("Pass {\"id\": \"<uuid>\"} in args.")));
	return id;
}

/* True when kind is in the comma-separated roomcast.rpc_job_kinds ("*": any) */
static bool
RpcKindAllowed(const char *kind)
{
	char	   *list = pstrdup(rc_rpc_job_kinds ? rc_rpc_job_kinds : "");
	char	   *save = NULL;

	for (char *tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if (strcmp(tok, "*") == 0 || strcmp(tok, kind) == 0)
			return true;
	return false;
}

/* Run job:enqueue / job:cancel / job:status for a socket; false for other methods */
bool
RcJobRpc(const char *method, Jsonb *args, Datum *result)
{
	RcIdentity	ident;

	if (strcmp(method, "job:enqueue") == 0)
	{
		JsonbValue *kind = Arg(args, "kind");
		JsonbValue *payload = Arg(args, "payload");
		JsonbValue *prio = Arg(args, "priority");
		JsonbValue *opts = Arg(args, "opts");
		char	   *k;
		pg_uuid_t  *id;
		char		idtext[RC_UUID_LEN + 1];

		RcIdentityRequireUser(&ident);
		if (kind == NULL || kind->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rpc job:enqueue needs a string \"kind\""),
					 errdetail("Pass {\"kind\": \"…\", \"payload\": {…}} in args.")));
		if (prio != NULL && prio->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rpc job:enqueue: \"priority\" must be a string")));
		k = pnstrdup(kind->val.string.val, kind->val.string.len);
		/* sockets enqueue only kinds the operator opened to them */
		if (!RpcKindAllowed(k))
			ereport(ERROR,
					(errcode(RC_ERRCODE_FORBIDDEN),
					 errmsg("job kind \"%.64s\" cannot be enqueued from a socket", k),
					 errdetail("roomcast.rpc_job_kinds lists the kinds sockets may enqueue.")));
		id = JobEnqueue(&ident, cstring_to_text(k),
						payload ? ArgJsonb(payload) : DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))),
						prio ? cstring_to_text_with_len(prio->val.string.val, prio->val.string.len) : NULL,
						opts ? ArgJsonb(opts) : NULL);
		RcUuidFormat(id, idtext);
		*result = DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"success\":true,\"id\":\"%s\"}", idtext)));
	}
	else if (strcmp(method, "job:cancel") == 0)
	{
		RcIdentityRequireUser(&ident);
		*result = DirectFunctionCall1(jsonb_in, CStringGetDatum(
															   psprintf("{\"success\":true,\"cancelled\":%s}",
																		JobCancel(&ident, ArgJobId(args, method)) ? "true" : "false")));
	}
	else if (strcmp(method, "job:status") == 0)
	{
		RcIdentityRequireUser(&ident);
		*result = JobStatus(&ident, ArgJobId(args, method));
	}
	else
		return false;
	return true;
}

