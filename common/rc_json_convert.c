/*
 * rc_json_convert.c — JSON tokens to C values and back: integers,
 * NumericDate (RFC 7519 §2) and string escaping.
 *
 * Number conversion works on the decimal digits of the token, never through
 * double, so "1e3" is exactly 1000 and out-of-range values are reported
 * instead of rounded or wrapped. Works on tokens from rc_json_parse (the
 * number grammar is trusted); no allocation, reentrant.
 */
#include "rc_json.h"

/*
 * A NUMBER token seen as decimal digits d[0..n) (integer then fraction
 * digits, no point) times 10^exp10: value = 0.d0d1... * 10^(point + exp10).
 */
typedef struct rc_json_decimal
{
	const char *js;
	bool		neg;
	size_t		int_start;		/* offset of the first integer digit */
	size_t		nint;			/* integer digits */
	size_t		frac_start;		/* offset of the first fraction digit */
	size_t		nfrac;
	int64_t		exp10;			/* exponent, saturated to +-2^40 */
} rc_json_decimal;

/* Digit k of the mantissa (integer digits first) */
static int
rc_json_digit(const rc_json_decimal *d, size_t k)
{
	if (k < d->nint)
		return d->js[d->int_start + k] - '0';
	return d->js[d->frac_start + (k - d->nint)] - '0';
}

static bool
rc_json_decimal_init(const char *js, const rc_json_tok *tok, rc_json_decimal *d)
{
	size_t		pos = tok->start,
				end = tok->end;
	bool		eneg = false;
	int64_t		e = 0;

	if (tok->type != RC_JSON_NUMBER)
		return false;
	d->js = js;
	d->neg = pos < end && js[pos] == '-';
	if (d->neg)
		pos++;
	d->int_start = pos;
	while (pos < end && js[pos] >= '0' && js[pos] <= '9')
		pos++;
	d->nint = pos - d->int_start;
	d->frac_start = pos;
	d->nfrac = 0;
	if (pos < end && js[pos] == '.')
	{
		d->frac_start = ++pos;
		while (pos < end && js[pos] >= '0' && js[pos] <= '9')
			pos++;
		d->nfrac = pos - d->frac_start;
	}
	if (pos < end && (js[pos] == 'e' || js[pos] == 'E'))
	{
		pos++;
		if (pos < end && (js[pos] == '+' || js[pos] == '-'))
			eneg = js[pos++] == '-';
		for (; pos < end; pos++)
			if (e < ((int64_t) 1 << 40))
				e = e * 10 + (js[pos] - '0');
	}
	d->exp10 = eneg ? -e : e;
	return d->nint > 0;
}

/*
 * The integer part of the token as a magnitude, floor-adjusted if floor is
 * set and the value is negative with a fraction; sets *frac when a non-zero
 * fraction exists. False when the result does not fit in int64.
 */
static bool
rc_json_to_int64(const char *js, const rc_json_tok *tok, bool floor, bool *frac,
				 int64_t *out)
{
	rc_json_decimal d;
	size_t		n,
				k;
	int64_t		first = -1,
				last = -1,
				top;
	uint64_t	acc = 0,
				limit;

	if (!rc_json_decimal_init(js, tok, &d))
		return false;
	n = d.nint + d.nfrac;
	for (k = 0; k < n; k++)
		if (rc_json_digit(&d, k) != 0)
		{
			if (first < 0)
				first = (int64_t) k;
			last = (int64_t) k;
		}
	*frac = false;
	if (first < 0)
	{
		*out = 0;
		return true;
	}
	/* index of the units digit, counting from digit 0 of the mantissa */
	top = (int64_t) d.nint - 1 + d.exp10;
	*frac = last > top;
	if (top >= first)
	{
		int64_t		i;

		if (top - first + 1 > 19)
			return false;
		for (i = first; i <= top; i++)
		{
			int			digit = i <= last ? rc_json_digit(&d, (size_t) i) : 0;

			acc = acc * 10 + (uint64_t) digit;
		}
	}
	if (floor && d.neg && *frac)
	{
		if (acc == UINT64_MAX)
			return false;
		acc++;
	}
	limit = d.neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	if (acc > limit)
		return false;
	if (d.neg)
		*out = acc == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) acc;
	else
		*out = (int64_t) acc;
	return true;
}

/* The NUMBER token as an integer; false if it has a fraction or overflows */
bool
rc_json_int64(const char *js, const rc_json_tok *tok, int64_t *out)
{
	bool		frac;
	int64_t		v;

	if (!rc_json_to_int64(js, tok, false, &frac, &v) || frac)
		return false;
	*out = v;
	return true;
}

/* The NUMBER token as seconds, floored; false when out of int64 range */
bool
rc_json_numeric_date(const char *js, const rc_json_tok *tok, int64_t *out)
{
	bool		frac;

	return rc_json_to_int64(js, tok, true, &frac, out);
}

/*
 * Write s (len bytes) as a JSON string body into out (6 * len bytes):
 * '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00XX.
 * Other bytes, UTF-8 included, are copied. Returns the bytes written.
 */
size_t
rc_json_escape(const char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char	   *o = out;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
		{
			*o++ = (char) c;
			continue;
		}
		*o++ = '\\';
		switch (c)
		{
			case '"':
				*o++ = '"';
				break;
			case '\\':
				*o++ = '\\';
				break;
			case '\b':
				*o++ = 'b';
				break;
			case '\f':
				*o++ = 'f';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\r':
				*o++ = 'r';
				break;
			case '\t':
				*o++ = 't';
				break;
			default:
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
				break;
		}
	}
	return (size_t) (o - out);
}
