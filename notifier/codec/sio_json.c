/*
 * sio_json.c — strict JSON validation and compaction (see sio_json.h).
 * A recursive-descent scanner over the bytes; recursion is bounded by
 * SJSON_MAX_DEPTH. No I/O, no allocation while validating.
 */
#include "codec/sio_json.h"

#include <stdbool.h>
#include <string.h>

typedef struct scan
{
	const char *s;
	size_t		n;
	size_t		i;
} scan;

static int	scan_value(scan *sc, int depth, sjson_info *info);

static void
skip_ws(scan *sc)
{
	while (sc->i < sc->n)
	{
		char		c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
scan_string(scan *sc)
{
	sc->i++;					/* opening quote */
	while (sc->i < sc->n)
	{
		unsigned char c = (unsigned char) sc->s[sc->i++];

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\')
		{
			if (sc->i >= sc->n)
				return -1;
			c = (unsigned char) sc->s[sc->i++];
			if (c == 'u')
			{
				if (sc->n - sc->i < 4)
					return -1;
				for (int k = 0; k < 4; k++)
					if (!is_hex(sc->s[sc->i + k]))
						return -1;
				sc->i += 4;
			}
			else if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return -1;
		}
	}
	return -1;
}

static int
scan_digits(scan *sc)
{
	size_t		start = sc->i;

	while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
		sc->i++;
	return sc->i > start ? 0 : -1;
}

static int
scan_number(scan *sc)
{
	if (sc->s[sc->i] == '-')
		sc->i++;
	if (sc->i >= sc->n)
		return -1;
	if (sc->s[sc->i] == '0')
		sc->i++;
	else if (scan_digits(sc) < 0)
		return -1;
	if (sc->i < sc->n && sc->s[sc->i] == '.')
	{
		sc->i++;
		if (scan_digits(sc) < 0)
			return -1;
	}
	if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E'))
	{
		sc->i++;
		if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
			sc->i++;
		if (scan_digits(sc) < 0)
			return -1;
	}
	return 0;
}

static int
scan_literal(scan *sc, const char *lit)
{
	size_t		len = strlen(lit);

	if (sc->n - sc->i < len || memcmp(sc->s + sc->i, lit, len) != 0)
		return -1;
	sc->i += len;
	return 0;
}

/* Scan an array or object; info (top level only) receives counts */
static int
scan_container(scan *sc, int depth, sjson_info *info)
{
	char		close = sc->s[sc->i] == '[' ? ']' : '}';
	size_t		count = 0;

	if (depth >= SJSON_MAX_DEPTH)
		return -1;
	sc->i++;
	skip_ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == close)
	{
		sc->i++;
		if (info)
			info->count = 0;
		return 0;
	}
	for (;;)
	{
		skip_ws(sc);
		if (close == '}')
		{
			if (sc->i >= sc->n || sc->s[sc->i] != '"' || scan_string(sc) < 0)
				return -1;
			skip_ws(sc);
			if (sc->i >= sc->n || sc->s[sc->i] != ':')
				return -1;
			sc->i++;
			skip_ws(sc);
		}
		if (info && close == ']' && count == 0)
		{
			sjson_info	first;

			info->first_start = sc->i;
			if (scan_value(sc, depth + 1, &first) < 0)
				return -1;
			info->first_type = first.type;
			info->first_end = sc->i;
		}
		else if (scan_value(sc, depth + 1, NULL) < 0)
			return -1;
		count++;
		skip_ws(sc);
		if (sc->i >= sc->n)
			return -1;
		if (sc->s[sc->i] == ',')
		{
			sc->i++;
			continue;
		}
		if (sc->s[sc->i] != close)
			return -1;
		sc->i++;
		if (info)
			info->count = count;
		return 0;
	}
}

/* Scan one value at sc->i; if info is given, record its type (and counts) */
static int
scan_value(scan *sc, int depth, sjson_info *info)
{
	sjson_type	type;
	int			rc;

	if (sc->i >= sc->n)
		return -1;
	switch (sc->s[sc->i])
	{
		case '{':
			type = SJSON_OBJECT;
			rc = scan_container(sc, depth, info && depth == 0 ? info : NULL);
			break;
		case '[':
			type = SJSON_ARRAY;
			rc = scan_container(sc, depth, info && depth == 0 ? info : NULL);
			break;
		case '"':
			type = SJSON_STRING;
			rc = scan_string(sc);
			break;
		case 't':
			type = SJSON_LITERAL;
			rc = scan_literal(sc, "true");
			break;
		case 'f':
			type = SJSON_LITERAL;
			rc = scan_literal(sc, "false");
			break;
		case 'n':
			type = SJSON_LITERAL;
			rc = scan_literal(sc, "null");
			break;
		default:
			type = SJSON_NUMBER;
			rc = scan_number(sc);
			break;
	}
	if (info)
		info->type = type;
	return rc;
}

int
sjson_validate(const char *s, size_t n, sjson_info *info)
{
	scan		sc = {s, n, 0};

	memset(info, 0, sizeof(*info));
	skip_ws(&sc);
	if (scan_value(&sc, 0, info) < 0)
	{
		info->type = SJSON_INVALID;
		return -1;
	}
	skip_ws(&sc);
	if (sc.i != n)
	{
		info->type = SJSON_INVALID;
		return -1;
	}
	return 0;
}

int
sjson_compact(buf *out, const char *s, size_t n)
{
	bool		in_string = false;
	size_t		run = 0;		/* start of the pending run of kept bytes */

	if (buf_reserve(out, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		{
			buf_append(out, s + run, i - run);
			run = i + 1;
		}
	}
	buf_append(out, s + run, n - run);
	return 0;
}
