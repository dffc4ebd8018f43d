/*-------------------------------------------------------------------------
 *
 * jsonconv.c
 *	  Build a jsonb straight from JSON text that common/rc_json has already
 *	  validated, instead of running it through jsonb_in again. verify() and
 *	  authenticate() return the token's claims this way: PostgreSQL's JSON
 *	  lexer was a fifth of verify's time.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "jsonconv.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "rc_json.h"
#include "rc_jwt.h"

/* Fill *v with the scalar at toks[i] */
static void
ScalarValue(const char *js, const rc_json_tok *t, JsonbValue *v)
{
	switch (t->type)
	{
		case RC_JSON_STRING:
			v->type = jbvString;
			if (t->size == 0)
			{
				/* no escapes: the bytes between the quotes are the string */
				v->val.string.val = (char *) js + t->start;
				v->val.string.len = t->end - t->start;
			}
			else
			{
				size_t		cap = t->end - t->start + 1;
				char	   *buf = palloc(cap);
				long		n = rc_json_string(js, t, buf, cap);

				if (n < 0)
					elog(ERROR, "could not decode a JSON string");
				v->val.string.val = buf;
				v->val.string.len = (int) n;
			}
			break;
		case RC_JSON_NUMBER:
			v->type = jbvNumeric;
			v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																 CStringGetDatum(pnstrdup(js + t->start, t->end - t->start)),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
			break;
		case RC_JSON_TRUE:
		case RC_JSON_FALSE:
			v->type = jbvBool;
			v->val.boolean = t->type == RC_JSON_TRUE;
			break;
		default:
			v->type = jbvNull;
			break;
	}
}

/*
 * Push the value at toks[i] (as WJB_VALUE or WJB_ELEM when a scalar, as a
 * nested container otherwise). Returns the last pushJsonbValue result.
 */
static JsonbValue *
PushValue(JsonbParseState **state, const char *js, const rc_json_tok *toks, int i,
		  JsonbIteratorToken scalar_kind)
{
	const rc_json_tok *t = &toks[i];
	JsonbValue	v;
	JsonbValue *res;
	int			j = i + 1;
	uint32		k;

	check_stack_depth();
	if (t->type == RC_JSON_OBJECT)
	{
		(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		for (k = 0; k < t->size; k++)
		{
			ScalarValue(js, &toks[j], &v);
			(void) pushJsonbValue(state, WJB_KEY, &v);
			(void) PushValue(state, js, toks, j + 1, WJB_VALUE);
			j = toks[j + 1].next;
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	if (t->type == RC_JSON_ARRAY)
	{
		(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		for (k = 0; k < t->size; k++)
		{
			(void) PushValue(state, js, toks, j, WJB_ELEM);
			j = toks[j].next;
		}
		return pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	ScalarValue(js, t, &v);
	res = pushJsonbValue(state, scalar_kind, &v);
	return res;
}

/* Convert validated claims text to jsonb; see jsonconv.h */
Datum
RcClaimsToJsonb(const char *js, size_t len)
{
	rc_json_tok *toks = palloc(sizeof(rc_json_tok) * RC_JWT_MAX_TOKENS);
	int			n = rc_json_parse(js, len, toks, RC_JWT_MAX_TOKENS, 0);
	Datum		result;

	/* rc_jwt accepted these claims, or we built them: cannot fail */
	if (n < 1 || toks[0].type != RC_JSON_OBJECT)
		elog(ERROR, "claims are not a JSON object of at most %d tokens", RC_JWT_MAX_TOKENS);
	{
		JsonbParseState *state = NULL;

		result = JsonbPGetDatum(JsonbValueToJsonb(PushValue(&state, js, toks, 0, WJB_VALUE)));
	}
	pfree(toks);
	return result;
}
