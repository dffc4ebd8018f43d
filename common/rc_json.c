/*
 * rc_json.c — a strict, allocation-free JSON tokenizer (RFC 8259) and the
 * accessors the JWT code and the notifier read tokens with.
 *
 * One recursive-descent pass over the input fills the caller's token array
 * and validates everything on the way: literal spelling, number grammar,
 * escapes (a \u high surrogate must be followed by a low one), UTF-8 (no
 * overlongs, no encoded surrogates, nothing above U+10FFFF, nothing
 * truncated), control characters in strings, nesting depth, and that one
 * value and only whitespace fill the input. Recursion depth is bounded by
 * RC_JSON_MAX_DEPTH. Nothing here allocates or keeps state between calls,
 * so every function is reentrant. Duplicate-key rejection compares each key
 * with the earlier keys of its object: quadratic in one object's keys, which
 * the caller bounds through the size of its token array.
 */
#include "rc_json.h"

#include <string.h>

/* State of one rc_json_parse call */
typedef struct rc_json_parser
{
	const unsigned char *js;
	size_t		len;
	size_t		pos;			/* next byte to read */
	rc_json_tok *toks;
	size_t		ntoks;			/* capacity */
	size_t		ntok;			/* tokens used */
	int			flags;
} rc_json_parser;

static int	rc_json_value(rc_json_parser *p, int depth);

static void
rc_json_skip_ws(rc_json_parser *p)
{
	while (p->pos < p->len)
	{
		unsigned char c = p->js[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Take the next token; -1 when the array is full */
static int
rc_json_alloc(rc_json_parser *p, rc_json_type type, size_t start)
{
	rc_json_tok *t;

	if (p->ntok >= p->ntoks)
		return -1;
	t = &p->toks[p->ntok];
	t->type = type;
	t->start = (uint32_t) start;
	t->end = (uint32_t) start;
	t->size = 0;
	t->next = (uint32_t) (p->ntok + 1);
	return (int) p->ntok++;
}

static int
rc_json_hex4(const unsigned char *s, uint32_t *out)
{
	uint32_t	v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t) (c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Length of the well-formed UTF-8 sequence starting at s (at most avail
 * bytes), or 0 if it is invalid (Unicode table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF, nothing truncated).
 */
static size_t
rc_json_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80,
				hi = 0xbf;
	size_t		n,
				i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
	{
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	}
	else if (c >= 0xf0 && c <= 0xf4)
	{
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	}
	else
		return 0;
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* 1 for bytes a string holds as themselves: printable ASCII but '"' and '\\' */
static const uint8_t rc_json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Parse a string at p->pos (on the opening quote) into a STRING token */
static int
rc_json_string_tok(rc_json_parser *p)
{
	const unsigned char *js = p->js;
	size_t		len = p->len;
	size_t		pos = p->pos + 1;
	int			t = rc_json_alloc(p, RC_JSON_STRING, pos);

	if (t < 0)
		return RC_JSON_TOO_MANY;
	for (;;)
	{
		unsigned char c;

		/* fast path: a run of plain ASCII */
		while (pos < len && rc_json_plain[js[pos]])
			pos++;
		if (pos >= len)
			return RC_JSON_SYNTAX;
		c = js[pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return RC_JSON_SYNTAX;
		if (c >= 0x80)
		{
			size_t		n = rc_json_utf8_len(js + pos, len - pos);

			if (n == 0)
				return RC_JSON_BAD_UTF8;
			pos += n;
			continue;
		}
		/* a backslash escape */
		p->toks[t].size = 1;
		if (pos + 1 >= len)
			return RC_JSON_SYNTAX;
		c = js[pos + 1];
		if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' ||
			c == 'n' || c == 'r' || c == 't')
		{
			pos += 2;
			continue;
		}
		if (c != 'u')
			return RC_JSON_SYNTAX;
		{
			uint32_t	u,
						u2;

			if (len - pos < 6 || rc_json_hex4(js + pos + 2, &u) < 0)
				return RC_JSON_SYNTAX;
			pos += 6;
			if (u >= 0xdc00 && u <= 0xdfff)
				return RC_JSON_BAD_UTF8;	/* lone low surrogate */
			if (u >= 0xd800 && u <= 0xdbff)
			{
				if (len - pos < 6 || js[pos] != '\\' || js[pos + 1] != 'u')
					return RC_JSON_BAD_UTF8;	/* lone high surrogate */
				if (rc_json_hex4(js + pos + 2, &u2) < 0)
					return RC_JSON_SYNTAX;
				if (u2 < 0xdc00 || u2 > 0xdfff)
					return RC_JSON_BAD_UTF8;
				pos += 6;
			}
		}
	}
	p->toks[t].end = (uint32_t) pos;
	p->pos = pos + 1;
	return t;
}

/* Parse a number at p->pos per the RFC 8259 grammar into a NUMBER token */
static int
rc_json_number_tok(rc_json_parser *p)
{
	const unsigned char *js = p->js;
	size_t		len = p->len;
	size_t		pos = p->pos;
	int			t = rc_json_alloc(p, RC_JSON_NUMBER, pos);

	if (t < 0)
		return RC_JSON_TOO_MANY;
	if (js[pos] == '-')
		pos++;
	if (pos >= len)
		return RC_JSON_SYNTAX;
	if (js[pos] == '0')
		pos++;					/* no leading zeros: "01" ends here */
	else if (js[pos] >= '1' && js[pos] <= '9')
		while (pos < len && js[pos] >= '0' && js[pos] <= '9')
			pos++;
	else
		return RC_JSON_SYNTAX;
	if (pos < len && js[pos] == '.')
	{
		pos++;
		if (pos >= len || js[pos] < '0' || js[pos] > '9')
			return RC_JSON_SYNTAX;
		while (pos < len && js[pos] >= '0' && js[pos] <= '9')
			pos++;
	}
	if (pos < len && (js[pos] == 'e' || js[pos] == 'E'))
	{
		pos++;
		if (pos < len && (js[pos] == '+' || js[pos] == '-'))
			pos++;
		if (pos >= len || js[pos] < '0' || js[pos] > '9')
			return RC_JSON_SYNTAX;
		while (pos < len && js[pos] >= '0' && js[pos] <= '9')
			pos++;
	}
	p->toks[t].end = (uint32_t) pos;
	p->pos = pos;
	return t;
}

static int
rc_json_literal_tok(rc_json_parser *p, const char *word, rc_json_type type)
{
	size_t		n = strlen(word);
	int			t;

	if (p->len - p->pos < n || memcmp(p->js + p->pos, word, n) != 0)
		return RC_JSON_SYNTAX;
	t = rc_json_alloc(p, type, p->pos);
	if (t < 0)
		return RC_JSON_TOO_MANY;
	p->pos += n;
	p->toks[t].end = (uint32_t) p->pos;
	return t;
}

/*
 * Decoded-text iterator over a STRING token: yields the bytes the string
 * stands for, one escape or raw byte at a time. The token must have come
 * from rc_json_parse (escapes are trusted to be well formed).
 */
typedef struct rc_json_iter
{
	const char *js;
	size_t		pos;
	size_t		end;
	unsigned char buf[4];
	int			bufpos;
	int			buflen;
} rc_json_iter;

static void
rc_json_iter_init(rc_json_iter *it, const char *js, const rc_json_tok *tok)
{
	it->js = js;
	it->pos = tok->start;
	it->end = tok->end;
	it->bufpos = 0;
	it->buflen = 0;
}

/* Encode code point u as UTF-8 into buf; returns the byte count */
static int
rc_json_put_utf8(uint32_t u, unsigned char *buf)
{
	if (u < 0x80)
	{
		buf[0] = (unsigned char) u;
		return 1;
	}
	if (u < 0x800)
	{
		buf[0] = (unsigned char) (0xc0 | (u >> 6));
		buf[1] = (unsigned char) (0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000)
	{
		buf[0] = (unsigned char) (0xe0 | (u >> 12));
		buf[1] = (unsigned char) (0x80 | ((u >> 6) & 0x3f));
		buf[2] = (unsigned char) (0x80 | (u & 0x3f));
		return 3;
	}
	buf[0] = (unsigned char) (0xf0 | (u >> 18));
	buf[1] = (unsigned char) (0x80 | ((u >> 12) & 0x3f));
	buf[2] = (unsigned char) (0x80 | ((u >> 6) & 0x3f));
	buf[3] = (unsigned char) (0x80 | (u & 0x3f));
	return 4;
}

/* Next decoded byte, or -1 at the end of the string */
static int
rc_json_iter_next(rc_json_iter *it)
{
	const unsigned char *s = (const unsigned char *) it->js;
	unsigned char c;
	uint32_t	u = 0,
				u2 = 0;

	if (it->bufpos < it->buflen)
		return it->buf[it->bufpos++];
	if (it->pos >= it->end)
		return -1;
	c = s[it->pos];
	if (c != '\\')
	{
		it->pos++;
		return c;
	}
	c = s[it->pos + 1];
	it->pos += 2;
	switch (c)
	{
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		case 'u':
			break;
		default:
			return c;			/* '"', '\\', '/' */
	}
	(void) rc_json_hex4(s + it->pos, &u);
	it->pos += 4;
	if (u >= 0xd800 && u <= 0xdbff && it->pos + 6 <= it->end &&
		rc_json_hex4(s + it->pos + 2, &u2) == 0)
	{
		u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
		it->pos += 6;
	}
	it->buflen = rc_json_put_utf8(u, it->buf);
	it->bufpos = 1;
	return it->buf[0];
}

/* True if the STRING tokens a and b decode to the same text */
static bool
rc_json_key_eq(const char *js, const rc_json_tok *a, const rc_json_tok *b)
{
	size_t		alen = a->end - a->start,
				blen = b->end - b->start;
	rc_json_iter ia,
				ib;
	int			ca,
				cb;

	if (a->size == 0 && b->size == 0)	/* neither has escapes: bytes decide */
		return alen == blen && memcmp(js + a->start, js + b->start, alen) == 0;
	rc_json_iter_init(&ia, js, a);
	rc_json_iter_init(&ib, js, b);
	do
	{
		ca = rc_json_iter_next(&ia);
		cb = rc_json_iter_next(&ib);
		if (ca != cb)
			return false;
	} while (ca >= 0);
	return true;
}

/* Reject key k of the object at toks[obj] if an earlier key equals it */
static int
rc_json_check_duplicate(rc_json_parser *p, int obj, int k)
{
	const char *js = (const char *) p->js;
	int			j = obj + 1;

	while (j < k)
	{
		if (rc_json_key_eq(js, &p->toks[j], &p->toks[k]))
			return RC_JSON_DUPLICATE_KEY;
		j = (int) p->toks[j + 1].next;
	}
	return 0;
}

/* Parse an object or array at p->pos; depth counts the open containers */
static int
rc_json_container(rc_json_parser *p, int depth, bool is_object)
{
	int			t,
				r;
	unsigned char close = is_object ? '}' : ']';

	if (depth + 1 > RC_JSON_MAX_DEPTH)
		return RC_JSON_TOO_DEEP;
	t = rc_json_alloc(p, is_object ? RC_JSON_OBJECT : RC_JSON_ARRAY, p->pos);
	if (t < 0)
		return RC_JSON_TOO_MANY;
	p->pos++;
	rc_json_skip_ws(p);
	if (p->pos < p->len && p->js[p->pos] == close)
		goto done;
	for (;;)
	{
		if (is_object)
		{
			int			k;

			rc_json_skip_ws(p);
			if (p->pos >= p->len || p->js[p->pos] != '"')
				return RC_JSON_SYNTAX;
			if ((k = rc_json_string_tok(p)) < 0)
				return k;
			if ((p->flags & RC_JSON_REJECT_DUPLICATES) &&
				(r = rc_json_check_duplicate(p, t, k)) < 0)
				return r;
			rc_json_skip_ws(p);
			if (p->pos >= p->len || p->js[p->pos] != ':')
				return RC_JSON_SYNTAX;
			p->pos++;
		}
		if ((r = rc_json_value(p, depth + 1)) < 0)
			return r;
		p->toks[t].size++;
		rc_json_skip_ws(p);
		if (p->pos >= p->len)
			return RC_JSON_SYNTAX;
		if (p->js[p->pos] == close)
			break;
		if (p->js[p->pos] != ',')
			return RC_JSON_SYNTAX;
		p->pos++;
	}
done:
	p->pos++;
	p->toks[t].end = (uint32_t) p->pos;
	p->toks[t].next = (uint32_t) p->ntok;
	return t;
}

/* Parse one value (after optional whitespace); returns its token index */
static int
rc_json_value(rc_json_parser *p, int depth)
{
	rc_json_skip_ws(p);
	if (p->pos >= p->len)
		return RC_JSON_SYNTAX;
	switch (p->js[p->pos])
	{
		case '{':
			return rc_json_container(p, depth, true);
		case '[':
			return rc_json_container(p, depth, false);
		case '"':
			return rc_json_string_tok(p);
		case 't':
			return rc_json_literal_tok(p, "true", RC_JSON_TRUE);
		case 'f':
			return rc_json_literal_tok(p, "false", RC_JSON_FALSE);
		case 'n':
			return rc_json_literal_tok(p, "null", RC_JSON_NULL);
		default:
			return rc_json_number_tok(p);
	}
}

/*
 * Tokenize len bytes of js into toks (capacity ntoks); see rc_json.h.
 * Returns the token count, or a negative rc_json_status; on error the
 * contents of toks are unspecified. Inputs of 4 GiB or more are SYNTAX
 * (token offsets are 32-bit).
 */
int
rc_json_parse(const char *js, size_t len, rc_json_tok *toks, size_t ntoks, int flags)
{
	rc_json_parser p;
	int			r;

	if (len >= UINT32_MAX)
		return RC_JSON_SYNTAX;
	if (ntoks > INT32_MAX)
		ntoks = INT32_MAX;		/* indexes are returned as int */
	p.js = (const unsigned char *) js;
	p.len = len;
	p.pos = 0;
	p.toks = toks;
	p.ntoks = ntoks;
	p.ntok = 0;
	p.flags = flags;
	if ((r = rc_json_value(&p, 0)) < 0)
		return r;
	rc_json_skip_ws(&p);
	if (p.pos != p.len)
		return RC_JSON_SYNTAX;
	return (int) p.ntok;
}

const char *
rc_json_strerror(int status)
{
	switch (status)
	{
		case RC_JSON_SYNTAX:
			return "invalid JSON syntax";
		case RC_JSON_TOO_MANY:
			return "too many JSON tokens";
		case RC_JSON_TOO_DEEP:
			return "JSON nested too deeply";
		case RC_JSON_BAD_UTF8:
			return "invalid UTF-8 or lone surrogate in JSON string";
		case RC_JSON_DUPLICATE_KEY:
			return "duplicate key in JSON object";
		default:
			return status >= 0 ? "no error" : "unknown JSON error";
	}
}

/*
 * Index of the value of key in the object toks[obj] (the first one, if
 * duplicates were allowed), or -1 when absent or toks[obj] is no object.
 */
int
rc_json_object_get(const char *js, const rc_json_tok *toks, int obj, const char *key)
{
	uint32_t	i;
	int			j;

	if (obj < 0 || toks[obj].type != RC_JSON_OBJECT)
		return -1;
	j = obj + 1;
	for (i = 0; i < toks[obj].size; i++)
	{
		if (rc_json_string_eq(js, &toks[j], key))
			return j + 1;
		j = (int) toks[j + 1].next;
	}
	return -1;
}

/*
 * Decode the STRING token into out (outsize bytes, NUL-terminated). Returns
 * the decoded length (which may include \u0000 bytes), or -1 when it does
 * not fit or tok is no STRING; out is then unspecified.
 */
long
rc_json_string(const char *js, const rc_json_tok *tok, char *out, size_t outsize)
{
	rc_json_iter it;
	size_t		n = 0;
	size_t		raw;
	int			c;

	if (tok->type != RC_JSON_STRING || outsize == 0)
		return -1;
	raw = tok->end - tok->start;
	if (tok->size == 0)
	{
		if (raw + 1 > outsize)
			return -1;
		memcpy(out, js + tok->start, raw);
		out[raw] = '\0';
		return (long) raw;
	}
	rc_json_iter_init(&it, js, tok);
	while ((c = rc_json_iter_next(&it)) >= 0)
	{
		if (n + 1 >= outsize)
			return -1;
		out[n++] = (char) c;
	}
	out[n] = '\0';
	return (long) n;
}

/* True if the STRING token decodes to exactly the C string s */
bool
rc_json_string_eq(const char *js, const rc_json_tok *tok, const char *s)
{
	rc_json_iter it;
	size_t		i = 0;
	int			c;

	if (tok->type != RC_JSON_STRING)
		return false;
	if (tok->size == 0)
	{
		/* raw text has no NUL, so a shorter s differs at its terminator */
		const char *r = js + tok->start;
		size_t		raw = tok->end - tok->start;

		for (i = 0; i < raw; i++)
			if (r[i] != s[i])
				return false;
		return s[raw] == '\0';
	}
	rc_json_iter_init(&it, js, tok);
	while ((c = rc_json_iter_next(&it)) >= 0)
	{
		if (s[i] == '\0' || (unsigned char) s[i] != c)
			return false;
		i++;
	}
	return s[i] == '\0';
}
