/*
 * fuzz_json.c — libFuzzer target for common/rc_json.c.
 *
 * The first input byte picks the token capacity and flags; the rest is the
 * JSON text. Properties checked on every accepted input: the token tree is
 * consistent (offsets in bounds, next/size agree), strings decode within
 * their raw length to valid text that string_eq and object_get agree with,
 * escaping a decoded string and parsing it back gives the same bytes,
 * numbers convert without crashing, and rejecting duplicates never accepts
 * what the plain parse rejects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_json.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXTOK 512

static rc_json_tok toks[MAXTOK];
static rc_json_tok toks2[MAXTOK];

/* Check toks[i] and its children; returns the index after them */
static uint32_t
check_tree(const char *js, size_t len, int n, uint32_t i)
{
	const rc_json_tok *t = &toks[i];
	uint32_t	j,
				k;

	if (t->start > t->end || t->end > len || t->next <= i || t->next > (uint32_t) n)
		abort();
	if (t->type == RC_JSON_OBJECT || t->type == RC_JSON_ARRAY)
	{
		j = i + 1;
		for (k = 0; k < t->size; k++)
		{
			if (t->type == RC_JSON_OBJECT)
			{
				if (toks[j].type != RC_JSON_STRING || toks[j].next != j + 1)
					abort();
				j++;
			}
			j = check_tree(js, len, n, j);
		}
		if (j != t->next)
			abort();
		return j;
	}
	if (t->next != i + 1)
		abort();
	return i + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *js;
	size_t		len,
				ntoks;
	int			flags,
				n,
				n2,
				i;
	char	   *buf,
			   *esc,
			   *js2;

	if (size < 1)
		return 0;
	ntoks = (data[0] & 0x7f) == 0x7f ? MAXTOK : (data[0] & 0x7f);
	flags = data[0] & 0x80 ? RC_JSON_REJECT_DUPLICATES : 0;
	js = (const char *) data + 1;
	len = size - 1;

	n = rc_json_parse(js, len, toks, ntoks, flags);
	if (n == 0 || n < RC_JSON_DUPLICATE_KEY || (n > 0 && (size_t) n > ntoks))
		abort();
	if (rc_json_strerror(n) == NULL)
		abort();
	/* with the other flag: duplicates only ever add a rejection */
	n2 = rc_json_parse(js, len, toks2, ntoks, flags ^ RC_JSON_REJECT_DUPLICATES);
	if (n > 0 && n2 < 0 && !(n2 == RC_JSON_DUPLICATE_KEY && !(flags & RC_JSON_REJECT_DUPLICATES)))
		abort();
	if (n2 > 0 && n < 0 && n != RC_JSON_DUPLICATE_KEY)
		abort();
	if (n2 > 0 && n > 0 && n != n2)
		abort();
	if (n < 0)
		return 0;

	if (check_tree(js, len, n, 0) != (uint32_t) n)
		abort();

	buf = malloc(len + 1);
	esc = malloc(6 * len + 3);
	js2 = malloc(6 * len + 3);
	for (i = 0; i < n; i++)
	{
		const rc_json_tok *t = &toks[i];

		if (t->type == RC_JSON_STRING)
		{
			long		d = rc_json_string(js, t, buf, t->end - t->start + 1);
			size_t		e;
			rc_json_tok one[1];

			if (d < 0 || (size_t) d > t->end - t->start || buf[d] != '\0')
				abort();
			if (memchr(buf, '\0', (size_t) d) == NULL && !rc_json_string_eq(js, t, buf))
				abort();
			if (d > 0 && rc_json_string(js, t, buf, (size_t) d) != -1)
				abort();		/* no room for the NUL must be reported */
			if (t->size > 1 || (t->size == 0 && memchr(js + t->start, '\\', t->end - t->start)))
				abort();
			/* escape and re-parse: same decoded bytes */
			rc_json_string(js, t, buf, t->end - t->start + 1);
			js2[0] = '"';
			e = rc_json_escape(buf, (size_t) d, js2 + 1);
			js2[e + 1] = '"';
			if (rc_json_parse(js2, e + 2, one, 1, 0) != 1)
				abort();
			if (rc_json_string(js2, &one[0], esc, (size_t) d + 1) != d ||
				memcmp(esc, buf, (size_t) d) != 0)
				abort();
		}
		else if (t->type == RC_JSON_NUMBER)
		{
			int64_t		a,
						b;
			bool		ia = rc_json_int64(js, t, &a),
						ib = rc_json_numeric_date(js, t, &b);

			if (ia && (!ib || a != b))
				abort();		/* an integer is its own NumericDate */
		}
		else if (t->type == RC_JSON_OBJECT && (flags & RC_JSON_REJECT_DUPLICATES))
		{
			uint32_t	k,
						j = (uint32_t) i + 1;

			for (k = 0; k < t->size; k++)
			{
				long		d = rc_json_string(js, &toks[j], buf, len + 1);

				if (memchr(buf, '\0', (size_t) d) == NULL &&
					rc_json_object_get(js, toks, i, buf) != (int) j + 1)
					abort();	/* each unique key finds its own value */
				j = toks[j + 1].next;
			}
		}
	}
	free(buf);
	free(esc);
	free(js2);
	return 0;
}
