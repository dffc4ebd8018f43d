/*
 * rc_json.h — a strict, allocation-free JSON tokenizer (RFC 8259).
 *
 * Shared by the extension (JWT header and claims) and the notifier. Like
 * jsmn it fills a caller-supplied array of tokens that point into the input;
 * unlike jsmn it validates everything: literals, number grammar, string
 * escapes, UTF-8, nesting depth, exactly one top-level value with only
 * whitespace around it, and (optionally) no duplicate keys in an object.
 */
#ifndef RC_JSON_H
#define RC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rc_json_type
{
	RC_JSON_OBJECT = 1,
	RC_JSON_ARRAY,
	RC_JSON_STRING,				/* start/end exclude the quotes; may contain escapes */
	RC_JSON_NUMBER,
	RC_JSON_TRUE,
	RC_JSON_FALSE,
	RC_JSON_NULL
} rc_json_type;

typedef struct rc_json_tok
{
	rc_json_type type;
	uint32_t	start;			/* offset of the first byte */
	uint32_t	end;			/* offset one past the last byte */
	uint32_t	size;			/* object: number of keys; array: elements;
								 * string: 1 if it contains a backslash
								 * escape, else 0 (lets readers skip decoding) */
	uint32_t	next;			/* index of the token after this value and all its children */
} rc_json_tok;

typedef enum rc_json_status
{
	RC_JSON_OK = 0,
	RC_JSON_SYNTAX = -1,		/* not JSON, or trailing garbage */
	RC_JSON_TOO_MANY = -2,		/* more tokens than the array holds */
	RC_JSON_TOO_DEEP = -3,		/* nesting over RC_JSON_MAX_DEPTH */
	RC_JSON_BAD_UTF8 = -4,		/* invalid UTF-8, or a lone surrogate escape */
	RC_JSON_DUPLICATE_KEY = -5	/* same key twice in one object (when rejected) */
} rc_json_status;

#define RC_JSON_MAX_DEPTH 64

/* Parse flags */
#define RC_JSON_REJECT_DUPLICATES 0x1

/*
 * Tokenize len bytes of js into toks (capacity ntoks). An object's tokens
 * are: the object, then key (a STRING) and value alternately; a value's
 * children follow it, and tok.next skips them. On success returns the number
 * of tokens (>= 1); otherwise a negative rc_json_status.
 */
int			rc_json_parse(const char *js, size_t len, rc_json_tok *toks, size_t ntoks, int flags);

/* A short English description of a negative rc_json_parse result */
const char *rc_json_strerror(int status);

/*
 * Find key in the object at toks[obj]; returns the index of its value token
 * or -1. Compares the key's decoded text, so "\u0061" matches "a".
 */
int			rc_json_object_get(const char *js, const rc_json_tok *toks, int obj, const char *key);

/*
 * Decode the STRING token tok (escapes, surrogate pairs) into out, which
 * holds outsize bytes; NUL-terminates. Returns the decoded length, or -1 if
 * it does not fit. A decoded string never needs more bytes than the token.
 */
long		rc_json_string(const char *js, const rc_json_tok *tok, char *out, size_t outsize);

/* True if the STRING token tok decodes to exactly s */
bool		rc_json_string_eq(const char *js, const rc_json_tok *tok, const char *s);

/*
 * Read the NUMBER token tok as an integer. Accepts an integral value, also
 * written with a fraction or exponent (1.0, 1e3); false when it has a
 * non-zero fraction or does not fit in int64.
 */
bool		rc_json_int64(const char *js, const rc_json_tok *tok, int64_t *out);

/*
 * Read the NUMBER token tok as a NumericDate (RFC 7519 §2): seconds, possibly
 * fractional; the result is truncated toward negative infinity. False when
 * out of the int64 range.
 */
bool		rc_json_numeric_date(const char *js, const rc_json_tok *tok, int64_t *out);

/*
 * Append s (len bytes) to out as a JSON string body (no quotes), escaping
 * '"', '\\' and control characters. out must hold 6 * len bytes; returns the
 * bytes written.
 */
size_t		rc_json_escape(const char *s, size_t len, char *out);

#endif
