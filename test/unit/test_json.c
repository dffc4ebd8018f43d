/*
 * test_json.c — unit tests of common/rc_json.c: every token type, the
 * token tree (size/next), escapes and UTF-8, numbers and their conversion,
 * depth and capacity limits, duplicate keys, trailing garbage, escaping.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc_json.h"
#include "tap.h"

#define NTOK 128
static rc_json_tok toks[NTOK];

/* Parse s (strlen) with flags and the full token array */
static int
parse(const char *s, int flags)
{
	return rc_json_parse(s, strlen(s), toks, NTOK, flags);
}

/* s with control and 8-bit bytes as \xNN, so a TAP line stays one line */
static const char *
printable(const char *s)
{
	static char buf[512];
	size_t		o = 0;

	for (; *s && o < sizeof(buf) - 5; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t) snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
		else
			buf[o++] = (char) c;
	}
	buf[o] = '\0';
	return buf;
}

static void
expect(const char *s, int want, const char *why)
{
	is_int(parse(s, 0), want, "%s: %s", why, printable(s));
}

/* Decode the string token i of js into a static buffer */
static const char *
str(const char *js, int i)
{
	static char buf[256];

	if (rc_json_string(js, &toks[i], buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

static void
test_tokens(void)
{
	const char *js = " {\"a\": [1, -2.5e3, \"x\"], \"b\": {\"c\": null}, \"d\": true, \"e\": false} ";
	const char *got;
	int			n = parse(js, 0);

	is_int(n, 14, "object with every token type: token count");
	ok(toks[0].type == RC_JSON_OBJECT && toks[0].size == 4 && toks[0].next == 14,
	   "root object: 4 keys, next past the end");
	ok(toks[0].start == 1 && toks[0].end == strlen(js) - 1, "root object spans the braces");
	ok(toks[1].type == RC_JSON_STRING && toks[1].end - toks[1].start == 1 &&
	   js[toks[1].start] == 'a', "key a excludes the quotes");
	ok(toks[2].type == RC_JSON_ARRAY && toks[2].size == 3 && toks[2].next == 6,
	   "array of 3, next skips its elements");
	ok(toks[3].type == RC_JSON_NUMBER && toks[4].type == RC_JSON_NUMBER &&
	   toks[4].end - toks[4].start == 6, "numbers 1 and -2.5e3");
	got = str(js, 5);
	is_str(got, "x", "string element");
	ok(toks[7].type == RC_JSON_OBJECT && toks[7].size == 1 && toks[7].next == 10,
	   "nested object b");
	ok(toks[9].type == RC_JSON_NULL, "null");
	ok(toks[11].type == RC_JSON_TRUE && toks[13].type == RC_JSON_FALSE, "booleans");
	is_int(rc_json_object_get(js, toks, 0, "e"), 13, "object_get finds the last key");
	is_int(rc_json_object_get(js, toks, 0, "b"), 7, "object_get finds a nested object");
	is_int(rc_json_object_get(js, toks, 7, "c"), 9, "object_get in a nested object");
	is_int(rc_json_object_get(js, toks, 0, "c"), -1, "object_get does not descend");
	is_int(rc_json_object_get(js, toks, 2, "a"), -1, "object_get on an array is -1");
	is_int(rc_json_object_get(js, toks, 0, ""), -1, "object_get of an absent empty key");

	expect("1", 1, "scalar top level");
	expect("\"s\"", 1, "string top level");
	expect("null", 1, "null top level");
	expect("[]", 1, "empty array");
	expect("{}", 1, "empty object");
	expect(" \t\r\n[ ] \n", 1, "all four whitespace characters");
	expect("[[[]],[]]", 4, "nested arrays");
	is_int(toks[0].next, 4, "nested arrays: root next");
	is_int(toks[1].next, 3, "nested arrays: first child next");
}

static void
test_syntax(void)
{
	expect("", RC_JSON_SYNTAX, "empty input");
	expect("   ", RC_JSON_SYNTAX, "whitespace only");
	expect("{", RC_JSON_SYNTAX, "unclosed object");
	expect("[1,]", RC_JSON_SYNTAX, "trailing comma in array");
	expect("{\"a\":1,}", RC_JSON_SYNTAX, "trailing comma in object");
	expect("{\"a\" 1}", RC_JSON_SYNTAX, "missing colon");
	expect("{a:1}", RC_JSON_SYNTAX, "unquoted key");
	expect("{1:1}", RC_JSON_SYNTAX, "number key");
	expect("['a']", RC_JSON_SYNTAX, "single quotes");
	expect("[1 2]", RC_JSON_SYNTAX, "missing comma");
	expect("{\"a\":1}}", RC_JSON_SYNTAX, "trailing brace");
	expect("{\"a\":1} x", RC_JSON_SYNTAX, "trailing garbage");
	expect("{} {}", RC_JSON_SYNTAX, "two top-level values");
	expect("1 2", RC_JSON_SYNTAX, "two numbers");
	expect("tru", RC_JSON_SYNTAX, "truncated literal");
	expect("truex", RC_JSON_SYNTAX, "literal with trailing letters");
	expect("True", RC_JSON_SYNTAX, "capitalised literal");
	expect("nul", RC_JSON_SYNTAX, "truncated null");
	expect("[1]\x0b", RC_JSON_SYNTAX, "vertical tab is not whitespace");
	expect("\xef\xbb\xbf{}", RC_JSON_SYNTAX, "byte order mark");
	expect("[1]\0", 2, "(strlen stops at NUL)");
	is_int(rc_json_parse("[1]\0", 4, toks, NTOK, 0), RC_JSON_SYNTAX, "NUL after the value");
	/* numbers */
	expect("0", 1, "zero");
	expect("-0", 1, "minus zero");
	expect("01", RC_JSON_SYNTAX, "leading zero");
	expect("-01", RC_JSON_SYNTAX, "leading zero after minus");
	expect("00", RC_JSON_SYNTAX, "double zero");
	expect("+1", RC_JSON_SYNTAX, "plus sign");
	expect("-", RC_JSON_SYNTAX, "lone minus");
	expect("1.", RC_JSON_SYNTAX, "no fraction digits");
	expect(".5", RC_JSON_SYNTAX, "no integer digits");
	expect("1e", RC_JSON_SYNTAX, "no exponent digits");
	expect("1e+", RC_JSON_SYNTAX, "signed exponent without digits");
	expect("1.5E-7", 1, "full number grammar");
	expect("1E+07", 1, "exponent with leading zero");
	expect("0x10", RC_JSON_SYNTAX, "hex");
	expect("NaN", RC_JSON_SYNTAX, "NaN");
	expect("Infinity", RC_JSON_SYNTAX, "Infinity");
	expect("123456789012345678901234567890e999999999999", 1,
		   "huge number is valid JSON");
}

static void
test_strings(void)
{
	const char *js;
	const char *got;
	char		small[4];

	js = "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"";
	is_int(parse(js, 0), 1, "every short escape");
	got = str(js, 0);
	is_str(got, "a\"b\\c/d\be\ff\ng\rh\ti", "short escapes decode");
	js = "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"";
	is_int(parse(js, 0), 1, "\\u escapes incl. a surrogate pair");
	got = str(js, 0);
	is_str(got, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\\u escapes decode to UTF-8");
	ok(rc_json_string_eq(js, &toks[0], "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	   "string_eq on escaped text");
	ok(!rc_json_string_eq(js, &toks[0], "A\xc3\xa9"), "string_eq rejects a prefix");
	ok(!rc_json_string_eq(js, &toks[0], "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!"),
	   "string_eq rejects a longer string");
	is_int(rc_json_string(js, &toks[0], small, sizeof(small)), -1,
		   "rc_json_string reports no room");
	js = "\"abc\"";
	parse(js, 0);
	is_int(rc_json_string(js, &toks[0], small, 3), -1, "no room for the NUL");
	is_int(rc_json_string(js, &toks[0], small, 4), 3, "exact room");
	js = "[\"plain\",\"esc\\n\"]";
	parse(js, 0);
	ok(toks[1].size == 0 && toks[2].size == 1, "string size flags a backslash escape");
	js = "\"a\\u0000b\"";
	is_int(parse(js, 0), 1, "\\u0000 is valid");
	is_int(rc_json_string(js, &toks[0], small, sizeof(small)), 3,
		   "\\u0000 decodes to a NUL byte, length counts it");
	ok(!rc_json_string_eq(js, &toks[0], "a"), "string_eq: embedded NUL is not the end");

	expect("\"\\ud83d\"", RC_JSON_BAD_UTF8, "lone high surrogate");
	expect("\"\\ud83dx\"", RC_JSON_BAD_UTF8, "high surrogate then a letter");
	expect("\"\\ud83d\\u0041\"", RC_JSON_BAD_UTF8, "high surrogate then a non-surrogate");
	expect("\"\\ud83d\\ud83d\"", RC_JSON_BAD_UTF8, "two high surrogates");
	expect("\"\\ude00\"", RC_JSON_BAD_UTF8, "lone low surrogate");
	expect("\"\\u12\"", RC_JSON_SYNTAX, "short \\u escape");
	expect("\"\\u12G4\"", RC_JSON_SYNTAX, "bad hex digit");
	expect("\"\\x41\"", RC_JSON_SYNTAX, "unknown escape");
	expect("\"\\'\"", RC_JSON_SYNTAX, "escaped single quote");
	expect("\"abc", RC_JSON_SYNTAX, "unterminated string");
	expect("\"abc\\", RC_JSON_SYNTAX, "unterminated escape");
	expect("\"a\tb\"", RC_JSON_SYNTAX, "raw tab in a string");
	expect("\"a\nb\"", RC_JSON_SYNTAX, "raw newline in a string");
	expect("\"\x1f\"", RC_JSON_SYNTAX, "raw 0x1f in a string");
	expect("\"\x7f\"", 1, "DEL is allowed");

	/* UTF-8 */
	expect("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"", 1,
		   "2-, 3-, 4-byte UTF-8 and U+10FFFF");
	expect("\"\xef\xbf\xbf\"", 1, "U+FFFF");
	expect("\"\xc0\xaf\"", RC_JSON_BAD_UTF8, "overlong 2-byte (C0)");
	expect("\"\xc1\xbf\"", RC_JSON_BAD_UTF8, "overlong 2-byte (C1)");
	expect("\"\xe0\x80\xaf\"", RC_JSON_BAD_UTF8, "overlong 3-byte");
	expect("\"\xf0\x80\x80\xaf\"", RC_JSON_BAD_UTF8, "overlong 4-byte");
	expect("\"\xed\xa0\x80\"", RC_JSON_BAD_UTF8, "UTF-8 encoded surrogate D800");
	expect("\"\xed\xbf\xbf\"", RC_JSON_BAD_UTF8, "UTF-8 encoded surrogate DFFF");
	expect("\"\xf4\x90\x80\x80\"", RC_JSON_BAD_UTF8, "above U+10FFFF");
	expect("\"\xf5\x80\x80\x80\"", RC_JSON_BAD_UTF8, "F5 lead byte");
	expect("\"\xff\"", RC_JSON_BAD_UTF8, "FF byte");
	expect("\"\x80\"", RC_JSON_BAD_UTF8, "lone continuation byte");
	expect("\"\xc3\"", RC_JSON_BAD_UTF8, "truncated 2-byte sequence");
	expect("\"\xe2\x82\"", RC_JSON_BAD_UTF8, "truncated 3-byte sequence");
	expect("\"\xf0\x9f\x98\"", RC_JSON_BAD_UTF8, "truncated 4-byte sequence");
	is_int(rc_json_parse("\"\xe2\x82", 3, toks, NTOK, 0), RC_JSON_BAD_UTF8,
		   "sequence cut by the end of input");
	expect("\"\xc3\x28\"", RC_JSON_BAD_UTF8, "bad continuation byte");
	expect("{\"\xc3\x28\":1}", RC_JSON_BAD_UTF8, "bad UTF-8 in a key");
}

static int
as_int(const char *js, int64_t *out)
{
	int			n = parse(js, 0);

	return n == 1 && rc_json_int64(js, &toks[0], out);
}

static int
as_date(const char *js, int64_t *out)
{
	int			n = parse(js, 0);

	return n == 1 && rc_json_numeric_date(js, &toks[0], out);
}

static void
test_numbers(void)
{
	int64_t		v;

	ok(as_int("0", &v) && v == 0, "int64 0");
	ok(as_int("-0", &v) && v == 0, "int64 -0");
	ok(as_int("1300819380", &v) && v == 1300819380, "int64 1300819380");
	ok(as_int("-42", &v) && v == -42, "int64 -42");
	ok(as_int("1.0", &v) && v == 1, "int64 1.0");
	ok(as_int("1e3", &v) && v == 1000, "int64 1e3");
	ok(as_int("1.5e1", &v) && v == 15, "int64 1.5e1");
	ok(as_int("1500e-2", &v) && v == 15, "int64 1500e-2");
	ok(as_int("0.000e5", &v) && v == 0, "int64 0.000e5");
	ok(!as_int("1.5", &v), "int64 rejects 1.5");
	ok(!as_int("15e-1", &v), "int64 rejects 15e-1");
	ok(as_int("9223372036854775807", &v) && v == INT64_MAX, "int64 max");
	ok(as_int("-9223372036854775808", &v) && v == INT64_MIN, "int64 min");
	ok(!as_int("9223372036854775808", &v), "int64 max + 1 out of range");
	ok(!as_int("-9223372036854775809", &v), "int64 min - 1 out of range");
	ok(!as_int("18446744073709551616", &v), "2^64 out of range (no wrap)");
	ok(!as_int("99999999999999999999999", &v), "23 digits out of range");
	ok(!as_int("1e19", &v), "1e19 out of range");
	ok(as_int("1e18", &v) && v == 1000000000000000000LL, "1e18 fits");
	ok(!as_int("1e999999999999999999", &v), "1e999999999999999999 out of range");
	ok(as_int("0e999999999999999999", &v) && v == 0, "0e999999999999999999 is 0");
	ok(as_int("00000", &v) == 0, "leading zeros are not a number");

	ok(as_date("1300819380", &v) && v == 1300819380, "NumericDate integer");
	ok(as_date("1300819380.75", &v) && v == 1300819380, "NumericDate fraction floors");
	ok(as_date("-1.5", &v) && v == -2, "negative NumericDate floors toward -inf");
	ok(as_date("-0.5", &v) && v == -1, "-0.5 floors to -1");
	ok(as_date("0.5", &v) && v == 0, "0.5 floors to 0");
	ok(as_date("1.3008193805e9", &v) && v == 1300819380, "NumericDate with exponent");
	ok(as_date("1e-9999999999999", &v) && v == 0, "tiny positive is 0");
	ok(as_date("-1e-9999999999999", &v) && v == -1, "tiny negative is -1");
	ok(as_date("9223372036854775807.5", &v) && v == INT64_MAX, "max with fraction floors to max");
	ok(!as_date("-9223372036854775808.5", &v), "min with fraction floors out of range");
	ok(!as_date("1e300", &v), "1e300 out of range");
	ok(!as_date("123456789012345678901234567890", &v), "30 digits out of range");
	ok(as_date("0.0000000000000000000000000000001e31", &v) && v == 1,
	   "long fraction with exponent");

	parse("\"1\"", 0);
	ok(!rc_json_int64("\"1\"", &toks[0], &v), "int64 of a string token is false");
	ok(!rc_json_numeric_date("\"1\"", &toks[0], &v), "NumericDate of a string token is false");
}

static void
test_depth_capacity(void)
{
	char		buf[512];
	rc_json_tok few[3];
	int			i;

	for (i = 0; i < RC_JSON_MAX_DEPTH; i++)
		buf[i] = '[';
	for (i = 0; i < RC_JSON_MAX_DEPTH; i++)
		buf[RC_JSON_MAX_DEPTH + i] = ']';
	buf[2 * RC_JSON_MAX_DEPTH] = '\0';
	is_int(parse(buf, 0), RC_JSON_MAX_DEPTH, "nesting at the depth limit (64) parses");
	for (i = 0; i <= RC_JSON_MAX_DEPTH; i++)
		buf[i] = '[';
	for (i = 0; i <= RC_JSON_MAX_DEPTH; i++)
		buf[RC_JSON_MAX_DEPTH + 1 + i] = ']';
	buf[2 * RC_JSON_MAX_DEPTH + 2] = '\0';
	is_int(parse(buf, 0), RC_JSON_TOO_DEEP, "nesting over the limit (65) is TOO_DEEP");
	{
		/* objects count too: 65 nested {"a": */
		size_t		o = 0;

		for (i = 0; i <= RC_JSON_MAX_DEPTH; i++)
			o += (size_t) snprintf(buf + o, sizeof(buf) - o, "{\"a\":");
		buf[o] = '\0';
		is_int(parse(buf, 0), RC_JSON_TOO_DEEP, "65 nested objects are TOO_DEEP");
	}
	is_int(rc_json_parse("[1,2]", 5, few, 3, 0), 3, "exactly enough tokens");
	is_int(rc_json_parse("[1,2,3]", 7, few, 3, 0), RC_JSON_TOO_MANY, "one token too many");
	is_int(rc_json_parse("{\"a\":1}", 7, few, 2, 0), RC_JSON_TOO_MANY, "no room for the value");
	is_int(rc_json_parse("1", 1, few, 0, 0), RC_JSON_TOO_MANY, "zero capacity");
}

static void
test_duplicates(void)
{
	is_int(parse("{\"a\":1,\"a\":2}", 0), 5, "duplicates allowed without the flag");
	is_int(rc_json_object_get("{\"a\":1,\"a\":2}", toks, 0, "a"), 2, "object_get returns the first");
	is_int(parse("{\"a\":1,\"a\":2}", RC_JSON_REJECT_DUPLICATES), RC_JSON_DUPLICATE_KEY,
		   "duplicate key rejected");
	is_int(parse("{\"a\":1,\"\\u0061\":2}", RC_JSON_REJECT_DUPLICATES), RC_JSON_DUPLICATE_KEY,
		   "\"a\" and \"\\u0061\" are the same key");
	is_int(parse("{\"\\u00e9\":1,\"\xc3\xa9\":2}", RC_JSON_REJECT_DUPLICATES),
		   RC_JSON_DUPLICATE_KEY, "escaped and raw UTF-8 are the same key");
	is_int(parse("{\"\\/\":1,\"/\":2}", RC_JSON_REJECT_DUPLICATES), RC_JSON_DUPLICATE_KEY,
		   "\"\\/\" and \"/\" are the same key");
	is_int(parse("{\"a\":{\"b\":1,\"c\":2},\"x\":[1,{\"y\":1}],\"a\":3}",
				 RC_JSON_REJECT_DUPLICATES), RC_JSON_DUPLICATE_KEY,
		   "duplicate after nested values");
	is_int(parse("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", RC_JSON_REJECT_DUPLICATES), 9,
		   "the same key in different objects is fine");
	is_int(parse("{\"ab\":1,\"a\":2,\"\\u0061b\\u0063\":3,\"\":4,\"\\u0000\":5}",
				 RC_JSON_REJECT_DUPLICATES), 11, "distinct keys incl. prefixes, empty, NUL");
	is_int(parse("{\"\":1,\"\":2}", RC_JSON_REJECT_DUPLICATES), RC_JSON_DUPLICATE_KEY,
		   "two empty keys");
	ok(rc_json_object_get("{\"\\u0061\":7}", (parse("{\"\\u0061\":7}", 0), toks), 0, "a") == 2,
	   "object_get compares decoded keys");
}

static void
test_escape(void)
{
	char		out[64];
	size_t		n;
	const char *in = "a\"b\\c\n\x01\x1f\xc3\xa9/";

	n = rc_json_escape(in, strlen(in), out);
	out[n] = '\0';
	{
		const char *got = out;

		is_str(got, "a\\\"b\\\\c\\n\\u0001\\u001f\xc3\xa9/", "escape quotes, backslash, controls");
	}
	{
		/* the escaped text parses back to the input */
		char		js[80];
		char		back[64];

		snprintf(js, sizeof(js), "\"%s\"", out);
		ok(parse(js, 0) == 1 && rc_json_string(js, &toks[0], back, sizeof(back)) ==
		   (long) strlen(in) && strcmp(back, in) == 0, "escaped text round-trips");
	}
	{
		/* worst case is 6 bytes per input byte */
		char		ctl[4] = {1, 2, 3, 4};

		is_int(rc_json_escape(ctl, 4, out), 24, "control characters take 6 bytes each");
	}
	is_int(rc_json_escape("", 0, out), 0, "empty input");
	ok(strcmp(rc_json_strerror(RC_JSON_TOO_DEEP), "JSON nested too deeply") == 0, "strerror");
}

int
main(void)
{
	test_tokens();
	test_syntax();
	test_strings();
	test_numbers();
	test_depth_capacity();
	test_duplicates();
	test_escape();
	return tap_done();
}
