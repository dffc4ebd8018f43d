/*-------------------------------------------------------------------------
 *
 * cachekey.c
 *	  cache_key() and cache_ttl() (SPEC §6): tenant-scoped keys and TTL
 *	  classes for an application's cache (Redis, memcached, in-process).
 *
 *	  cache_key(VARIADIC parts) is "tenant:{current tenant}:p1:p2…". Parts
 *	  are escaped so that a key can always be split back into its parts and
 *	  no part can forge another tenant's prefix: '%' becomes "%25" and ':'
 *	  becomes "%3A" (percent-encoding of just those two bytes). So
 *	  cache_key('a:b') and cache_key('a', 'b') are different keys.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* Append part to buf with ':' and '%' percent-encoded */
static void
CacheKeyAppendPart(StringInfo buf, const char *part, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		if (part[i] == ':')
			appendStringInfoString(buf, "%3A");
		else if (part[i] == '%')
			appendStringInfoString(buf, "%25");
		else
			appendStringInfoChar(buf, part[i]);
	}
}

/* SQL function: cache_key(VARIADIC parts text[]) returns text */
PG_FUNCTION_INFO_V1(cache_key);
Datum
cache_key(PG_FUNCTION_ARGS)
{
	ArrayType  *parts = PG_GETARG_ARRAYTYPE_P(0);
	RcIdentity	id;
	char		tenant[37];
	StringInfoData buf;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	RcIdentityRequire(&id);
	RcUuidFormat(&id.tenant, tenant);

	if (ARR_NDIM(parts) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cache key parts must be a one-dimensional array")));
	deconstruct_array(parts, TEXTOID, -1, false, 'i', &elems, &nulls, &n);

	initStringInfo(&buf);
	appendStringInfo(&buf, "tenant:%s", tenant);
	for (i = 0; i < n; i++)
	{
		text	   *part;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("cache key part %d is null", i + 1),
					 errdetail("Every part of a cache key must be a string; a null part would make different keys collide.")));
		part = DatumGetTextPP(elems[i]);
		appendStringInfoChar(&buf, ':');
		CacheKeyAppendPart(&buf, VARDATA_ANY(part), VARSIZE_ANY_EXHDR(part));
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* The TTL classes, in seconds */
static const struct
{
	const char *name;
	int			seconds;
}			cache_ttl_classes[] =
{
	{"short", 60},
	{"medium", 300},
	{"long", 3600},
	{"day", 86400},
};

/* SQL function: cache_ttl(class text) returns int */
PG_FUNCTION_INFO_V1(cache_ttl);
Datum
cache_ttl(PG_FUNCTION_ARGS)
{
	char	   *class = text_to_cstring(PG_GETARG_TEXT_PP(0));
	size_t		i;

	for (i = 0; i < lengthof(cache_ttl_classes); i++)
		if (pg_strcasecmp(class, cache_ttl_classes[i].name) == 0)
			PG_RETURN_INT32(cache_ttl_classes[i].seconds);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown cache class \"%s\"", class),
			 errdetail("The cache classes are short (60 s), medium (300 s), long (3600 s) and day (86400 s).")));
	PG_RETURN_NULL();			/* not reached */
}
