/*
 * auth_tok.c — compact token copies (see auth_tok.h).
 *
 * Why keep the token at all: roomcast.rpc, roomcast.recover and the refresh
 * check take the token and verify it again in the database, so a stolen or
 * forged notifier request can never act as a user it has no token of; the
 * notifier is not trusted to assert identity (docs/notifier.md, memory per
 * socket). Why this form: a 339-byte token was a 352-byte allocation per
 * socket, plus 32 each for role and email; stored as below it is one
 * 176-byte allocation with the email. Re-encoding costs ~1 µs per rpc call,
 * next to a database round trip.
 *
 * The payload also names the socket's user and tenant (sub, tenantId) as
 * UUID text the socket keeps anyway, and the email kept beside it: the first
 * occurrence of each is stored as one byte, AUTH_TOK_USER, AUTH_TOK_TENANT or
 * AUTH_TOK_EMAIL (72 bytes and the email's length less). A verified
 * payload is JSON, which has no such control bytes; a payload that does is
 * kept as text, so expanding them gives back exactly the bytes there were.
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
#define AUTH_TOK_USER '\001'
#define AUTH_TOK_TENANT '\002'
#define AUTH_TOK_EMAIL '\003'
#define AUTH_TOK_ID_LEN 36

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
	uint16_t	plen;			/* stored payload bytes; text form: the text's length */
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

/*
 * Copy payload p[0..len) into out with the first occurrence of user, of
 * tenant and of email (elen bytes; not when shorter than 2) each replaced by
 * its marker byte; returns the length, or 0 when p has a marker byte of its
 * own (then it cannot be stored so)
 */
static size_t
auth_tok_squeeze(const uint8_t *p, size_t len, const char *user, const char *tenant,
				 const char *email, size_t elen, uint8_t *out)
{
	bool		u_done = false,
				t_done = false,
				e_done = elen < 2;
	size_t		n = 0;

	if (memchr(p, AUTH_TOK_USER, len) || memchr(p, AUTH_TOK_TENANT, len) || memchr(p, AUTH_TOK_EMAIL, len))
		return 0;
	for (size_t i = 0; i < len;)
	{
		if (!e_done && len - i >= elen && memcmp(p + i, email, elen) == 0)
		{
			out[n++] = AUTH_TOK_EMAIL;
			i += elen;
			e_done = true;
		}
		else if (!u_done && len - i >= AUTH_TOK_ID_LEN && memcmp(p + i, user, AUTH_TOK_ID_LEN) == 0)
		{
			out[n++] = AUTH_TOK_USER;
			i += AUTH_TOK_ID_LEN;
			u_done = true;
		}
		else if (!t_done && len - i >= AUTH_TOK_ID_LEN && memcmp(p + i, tenant, AUTH_TOK_ID_LEN) == 0)
		{
			out[n++] = AUTH_TOK_TENANT;
			i += AUTH_TOK_ID_LEN;
			t_done = true;
		}
		else
			out[n++] = p[i++];
	}
	return n;
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
auth_tok_new(const char *token, size_t len, const char *email, const char *user, const char *tenant)
{
	static uint8_t raw[RC_B64URL_DECODED_MAX(RC_JWT_MAX_TOKEN) + 4];	/* three parts, each rounded up */
	static uint8_t pay[RC_B64URL_DECODED_MAX(RC_JWT_MAX_TOKEN)];	/* the squeezed payload */
	const char *d1,
			   *d2;
	size_t		hlen,
				plen,
				slen,
				squeezed = 0,
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
		(squeezed = auth_tok_squeeze(raw + hlen, plen, user, tenant, email, elen, pay)) == 0 ||
		(h = auth_tok_hdr_get(raw, hlen)) == NULL)
		t = auth_tok_new_text(token, len, email, elen);
	else if ((t = malloc(sizeof(*t) + squeezed + slen + elen + 1)) == NULL)
		auth_tok_hdr_put(h);
	else
	{
		t->hdr = h;
		t->plen = (uint16_t) squeezed;
		t->slen = (uint16_t) slen;
		memcpy(t->data, pay, squeezed);
		memcpy(t->data + squeezed, raw + hlen + plen, slen);
		memcpy(t->data + squeezed + slen, email, elen + 1);
	}
	memset(raw, 0, sizeof(raw));	/* no copy of a token outlives its owner's */
	memset(pay, 0, squeezed);
	return t;
}

size_t
auth_tok_text(const auth_tok *t, const char *user, const char *tenant, char *out, size_t cap)
{
	static uint8_t pay[RC_B64URL_DECODED_MAX(RC_JWT_MAX_TOKEN)];
	size_t		n,
				plen = 0;
	const char *email = auth_tok_email(t);
	size_t		elen = strlen(email);

	if (t->hdr == NULL)
	{
		n = t->plen < cap ? t->plen : cap - 1;
		memcpy(out, t->data, n);
		out[n] = '\0';
		return n;
	}
	/* the payload with its markers expanded: back to the decoded payload's length, bounded by pay */
	for (size_t i = 0; i < t->plen && plen + AUTH_TOK_ID_LEN + elen <= sizeof(pay); i++)
		if (t->data[i] == AUTH_TOK_USER || t->data[i] == AUTH_TOK_TENANT)
		{
			memcpy(pay + plen, t->data[i] == AUTH_TOK_USER ? user : tenant, AUTH_TOK_ID_LEN);
			plen += AUTH_TOK_ID_LEN;
		}
		else if (t->data[i] == AUTH_TOK_EMAIL)
		{
			memcpy(pay + plen, email, elen);
			plen += elen;
		}
		else
			pay[plen++] = t->data[i];
	if (RC_B64URL_ENCODED_LEN((size_t) t->hdr->len) + RC_B64URL_ENCODED_LEN(plen) +
		RC_B64URL_ENCODED_LEN((size_t) t->slen) + 3 > cap)
	{
		out[0] = '\0';			/* not reached: the text was at most RC_JWT_MAX_TOKEN */
		memset(pay, 0, plen);
		return 0;
	}
	n = rc_b64url_encode(t->hdr->bytes, t->hdr->len, out);
	out[n++] = '.';
	n += rc_b64url_encode(pay, plen, out + n);
	out[n++] = '.';
	n += rc_b64url_encode(t->data + t->plen, t->slen, out + n);
	out[n] = '\0';
	memset(pay, 0, plen);
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
