/*
 * auth_tok.c — compact token copies (see auth_tok.h).
 *
 * Why keep the token at all: roomcast.rpc, roomcast.recover and the refresh
 * check take the token and verify it again in the database, so a stolen or
 * forged notifier request can never act as a user it has no token of; the
 * notifier is not trusted to assert identity (docs/security.md). Why this
 * form: a 339-byte token was a 352-byte allocation per socket, plus 32 each
 * for role and email; decoded bytes with a shared header take ~250 with the
 * email. Re-encoding costs ~1 µs per rpc call, next to a database round trip.
 */
#include "hub/auth_tok.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_base64url.h"
#include "rc_jwt.h"

/*
 * A decoded JWT header, shared by every token that has the same one. Few
 * exist (one per signing key and algorithm in practice); past
 * AUTH_TOK_MAX_HDRS distinct ones a token is kept as text instead, so the
 * list (searched linearly) stays short whatever the tokens are.
 */
#define AUTH_TOK_MAX_HDRS 64

typedef struct auth_tok_hdr
{
	struct auth_tok_hdr *next;
	uint32_t	refs;
	uint16_t	len;
	uint8_t		bytes[];
} auth_tok_hdr;

struct auth_tok
{
	auth_tok_hdr *hdr;			/* NULL: the token is kept as text */
	uint16_t	plen;			/* decoded payload bytes; text form: the text's length */
	uint16_t	slen;			/* decoded signature bytes */
	uint8_t		data[];			/* payload, signature (or the text and a NUL), then the email and a NUL */
};

static auth_tok_hdr *auth_tok_hdrs;
static size_t auth_tok_nhdrs;

/* The shared header of bytes[0..len), with one more reference; NULL when there is none to take */
static auth_tok_hdr *
auth_tok_hdr_get(const uint8_t *bytes, size_t len)
{
	auth_tok_hdr *h;

	for (h = auth_tok_hdrs; h; h = h->next)
		if (h->len == len && memcmp(h->bytes, bytes, len) == 0)
		{
			h->refs++;
			return h;
		}
	if (auth_tok_nhdrs >= AUTH_TOK_MAX_HDRS || (h = malloc(sizeof(*h) + len)) == NULL)
		return NULL;
	h->refs = 1;
	h->len = (uint16_t) len;
	memcpy(h->bytes, bytes, len);
	h->next = auth_tok_hdrs;
	auth_tok_hdrs = h;
	auth_tok_nhdrs++;
	return h;
}

static void
auth_tok_hdr_put(auth_tok_hdr *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	for (auth_tok_hdr **pp = &auth_tok_hdrs; *pp; pp = &(*pp)->next)
		if (*pp == h)
		{
			*pp = h->next;
			break;
		}
	auth_tok_nhdrs--;
	free(h);
}

/*
 * Decode part[0..len) into out (*outlen bytes); true only when encoding
 * them again gives the same text, so auth_tok_text is exact.
 */
static bool
auth_tok_decode(const char *part, size_t len, uint8_t *out, size_t *outlen)
{
	static char again[RC_JWT_MAX_TOKEN];

	if (rc_b64url_decode(part, len, out, outlen) < 0 || RC_B64URL_ENCODED_LEN(*outlen) != len)
		return false;
	return rc_b64url_encode(out, *outlen, again) == len && memcmp(again, part, len) == 0;
}

/* The text form: the token and the email, each NUL-terminated */
static auth_tok *
auth_tok_new_text(const char *token, size_t len, const char *email, size_t elen)
{
	auth_tok   *t = malloc(sizeof(*t) + len + 1 + elen + 1);

	if (t == NULL)
		return NULL;
	t->hdr = NULL;
	t->plen = (uint16_t) len;
	t->slen = 0;
	memcpy(t->data, token, len);
	t->data[len] = '\0';
	memcpy(t->data + len + 1, email, elen + 1);
	return t;
}

auth_tok *
auth_tok_new(const char *token, size_t len, const char *email)
{
	static uint8_t raw[RC_B64URL_DECODED_MAX(RC_JWT_MAX_TOKEN) + 4];	/* three parts, each rounded up */
	const char *d1,
			   *d2;
	size_t		hlen,
				plen,
				slen,
				elen = strlen(email);
	auth_tok_hdr *h = NULL;
	auth_tok   *t;

	if (len > RC_JWT_MAX_TOKEN)
		return NULL;
	d1 = memchr(token, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t) (d1 + 1 - token)) : NULL;
	/* header, payload and signature one after the other in raw */
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t) (d2 + 1 - token)) != NULL ||
		!auth_tok_decode(token, (size_t) (d1 - token), raw, &hlen) ||
		!auth_tok_decode(d1 + 1, (size_t) (d2 - d1 - 1), raw + hlen, &plen) ||
		!auth_tok_decode(d2 + 1, len - (size_t) (d2 + 1 - token), raw + hlen + plen, &slen) ||
		(h = auth_tok_hdr_get(raw, hlen)) == NULL)
		t = auth_tok_new_text(token, len, email, elen);
	else if ((t = malloc(sizeof(*t) + plen + slen + elen + 1)) == NULL)
		auth_tok_hdr_put(h);
	else
	{
		t->hdr = h;
		t->plen = (uint16_t) plen;
		t->slen = (uint16_t) slen;
		memcpy(t->data, raw + hlen, plen + slen);
		memcpy(t->data + plen + slen, email, elen + 1);
	}
	memset(raw, 0, sizeof(raw));	/* no copy of a token outlives its owner's */
	return t;
}

size_t
auth_tok_text(const auth_tok *t, char *out, size_t cap)
{
	size_t		n;

	if (t->hdr == NULL)
	{
		n = t->plen < cap ? t->plen : cap - 1;
		memcpy(out, t->data, n);
		out[n] = '\0';
		return n;
	}
	if (RC_B64URL_ENCODED_LEN((size_t) t->hdr->len) + RC_B64URL_ENCODED_LEN((size_t) t->plen) +
		RC_B64URL_ENCODED_LEN((size_t) t->slen) + 3 > cap)
	{
		out[0] = '\0';			/* not reached: the text was at most RC_JWT_MAX_TOKEN */
		return 0;
	}
	n = rc_b64url_encode(t->hdr->bytes, t->hdr->len, out);
	out[n++] = '.';
	n += rc_b64url_encode(t->data, t->plen, out + n);
	out[n++] = '.';
	n += rc_b64url_encode(t->data + t->plen, t->slen, out + n);
	out[n] = '\0';
	return n;
}

const char *
auth_tok_email(const auth_tok *t)
{
	return (const char *) t->data + (t->hdr ? (size_t) t->plen + t->slen : (size_t) t->plen + 1);
}

size_t
auth_tok_size(const auth_tok *t)
{
	return sizeof(*t) + (t->hdr ? (size_t) t->plen + t->slen : (size_t) t->plen + 1) + strlen(auth_tok_email(t)) + 1;
}

void
auth_tok_free(auth_tok *t)
{
	if (t == NULL)
		return;
	memset(t->data, 0, t->hdr ? (size_t) t->plen + t->slen : t->plen);
	auth_tok_hdr_put(t->hdr);
	free(t);
}
