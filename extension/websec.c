/*-------------------------------------------------------------------------
 *
 * websec.c
 *	  Small web-security helpers for application backends:
 *	  fingerprint(), csrf_token() and secure_compare().
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"

#include <openssl/sha.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "port.h"
#include "utils/builtins.h"

#include "rc_jwt.h"

/* Write len bytes as lowercase hex into out (2 * len + 1 bytes) */
static void
HexEncode(const uint8 *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xF];
	}
	out[2 * len] = '\0';
}

/*
 * SQL function: fingerprint(user_agent text, accept_language text,
 * accept_encoding text) returns text
 *
 * SHA-256 of the three values joined by newlines (NULL is empty), as hex.
 */
PG_FUNCTION_INFO_V1(roomcast_fingerprint);
Datum
roomcast_fingerprint(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	uint8		digest[SHA256_DIGEST_LENGTH];
	char		hex[2 * SHA256_DIGEST_LENGTH + 1];
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < 3; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '\n');
		if (!PG_ARGISNULL(i))
		{
			text	   *t = PG_GETARG_TEXT_PP(i);

			appendBinaryStringInfo(&buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		}
	}
	SHA256((const unsigned char *) buf.data, buf.len, digest);
	HexEncode(digest, sizeof(digest), hex);
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}

/* SQL function: csrf_token() returns text — 32 random bytes as 64 hex chars */
PG_FUNCTION_INFO_V1(roomcast_csrf_token);
Datum
roomcast_csrf_token(PG_FUNCTION_ARGS)
{
	uint8		raw[32];
	char		hex[65];

	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	HexEncode(raw, sizeof(raw), hex);
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}

/*
 * SQL function: secure_compare(a text, b text) returns boolean
 *
 * Equal lengths are compared in constant time; the length itself is not
 * secret (a CSRF token or fingerprint has a fixed length).
 */
PG_FUNCTION_INFO_V1(roomcast_secure_compare);
Datum
roomcast_secure_compare(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	size_t		len = VARSIZE_ANY_EXHDR(a);

	if (len != VARSIZE_ANY_EXHDR(b))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(rc_secure_equal(VARDATA_ANY(a), VARDATA_ANY(b), len));
}
