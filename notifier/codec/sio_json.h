/*
 * sio_json.h — the little JSON the Socket.IO codec needs: a strict validator
 * (RFC 8259 grammar, depth-limited, no allocation) that also reports the
 * top-level type and, for an array, where its first element lies; and a
 * whitespace compactor. Strings are checked for control characters and
 * escapes; UTF-8 is checked by the caller. No I/O.
 */
#ifndef RC_NOTIFIER_SIO_JSON_H
#define RC_NOTIFIER_SIO_JSON_H

#include <stddef.h>

#include "base/buf.h"

typedef enum sjson_type
{
	SJSON_INVALID = 0,
	SJSON_OBJECT,
	SJSON_ARRAY,
	SJSON_STRING,
	SJSON_NUMBER,
	SJSON_LITERAL				/* true, false, null */
} sjson_type;

#define SJSON_MAX_DEPTH 64

typedef struct sjson_info
{
	sjson_type	type;			/* of the top-level value */
	size_t		count;			/* array: elements; object: members */
	sjson_type	first_type;		/* array: type of the first element */
	size_t		first_start;	/* array: offset of the first element */
	size_t		first_end;		/* array: offset one past it */
} sjson_info;

/*
 * Validate that s[0..n) is exactly one JSON value with optional whitespace
 * around it. Returns 0 and fills *info, or -1 (syntax, or nesting deeper
 * than SJSON_MAX_DEPTH).
 */
int			sjson_validate(const char *s, size_t n, sjson_info *info);

/*
 * Append valid JSON s[0..n) to out without insignificant whitespace.
 * Returns 0, or -1 on allocation failure.
 */
int			sjson_compact(buf *out, const char *s, size_t n);

#endif
