/*
 * test_auth_tok.c — unit tests of notifier/hub/auth_tok.c (the compact copy
 * of a socket's token): the text comes back byte for byte, the email is kept,
 * headers are shared and freed with their last token, a token whose
 * base64url is not canonical (or not base64url at all) is kept as text, and
 * past AUTH_TOK_MAX_HDRS distinct headers tokens are kept as text; the user
 * and tenant ids and the email in the payload are stored as one byte each. The
 * module does no I/O, so it is compiled in here whole.
 */
#include "hub/auth_tok.c"

#include <stdio.h>

#include "tap.h"

#define USER "f0000000-0000-4000-9000-000000000007"
#define TENANT "f0000000-0000-4000-8000-000000000001"

/* A token-shaped string: header {"alg":"HS256","kid":"<kid>"}, payload of sub, a 32-byte signature */
static size_t
make_token(char *out, const char *kid, const char *sub)
{
	char		json[256];
	uint8_t		sig[32];
	size_t		n;
	int			j;

	j = snprintf(json, sizeof(json), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}", kid);
	n = rc_b64url_encode((const uint8_t *) json, (size_t) j, out);
	out[n++] = '.';
	j = snprintf(json, sizeof(json), "{\"sub\":\"%s\",\"tenantId\":\"%s\",\"email\":\"%s@example.test\",\"exp\":1796018536}",
				 sub, TENANT, sub);
	n += rc_b64url_encode((const uint8_t *) json, (size_t) j, out + n);
	out[n++] = '.';
	for (int i = 0; i < 32; i++)
		sig[i] = (uint8_t) (i * 37 + sub[0]);
	n += rc_b64url_encode(sig, sizeof(sig), out + n);
	out[n] = '\0';
	return n;
}

int
main(void)
{
	static char tok1[1024],
				tok2[1024],
				text[RC_JWT_MAX_TOKEN + 1];
	size_t		n1 = make_token(tok1, "k1", "alice"),
				n2 = make_token(tok2, "k1", "bob");
	auth_tok   *a = auth_tok_new(tok1, n1, "alice@example.test", USER, TENANT),	/* the email in the payload */
			   *b = auth_tok_new(tok2, n2, "", USER, TENANT);
	auth_tok   *many[AUTH_TOK_MAX_HDRS + 1];

	ok(a && b, "two tokens stored");
	ok(auth_tok_text(a, USER, TENANT, text, sizeof(text)) == n1 && strcmp(text, tok1) == 0, "the first token's text comes back exactly");
	ok(auth_tok_text(b, USER, TENANT, text, sizeof(text)) == n2 && strcmp(text, tok2) == 0, "the second token's text comes back exactly");
	is_str(auth_tok_email(a), "alice@example.test", "the email is kept");
	is_str(auth_tok_email(b), "", "no email: \"\"");
	ok(a->hdr != NULL && a->hdr == b->hdr && auth_tok_nhdrs == 1 && a->hdr->refs == 2,
	   "tokens with the same header share one copy of it");
	ok(auth_tok_size(a) < n1 * 3 / 4 + 19 + 16, "decoded: %zu bytes for a %zu-character token and its email",
	   auth_tok_size(a), n1);
	ok(b->plen == strlen("{\"sub\":\"bob\",\"tenantId\":\"\002\",\"email\":\"bob@example.test\",\"exp\":1796018536}"),
	   "the tenant id in the payload is stored as one byte, an email not given is not");
	ok(a->plen == strlen("{\"sub\":\"alice\",\"tenantId\":\"\002\",\"email\":\"\003\",\"exp\":1796018536}"),
	   "the email kept beside the payload is one byte in it");
	{
		char		t3[1024];
		size_t		n3 = make_token(t3, "k1", USER);
		auth_tok   *c = auth_tok_new(t3, n3, "", USER, TENANT);

		ok(c && c->plen == strlen("{\"sub\":\"\001\",\"tenantId\":\"\002\",\"email\":\"" USER "@example.test\",\"exp\":1796018536}") &&
		   auth_tok_text(c, USER, TENANT, text, sizeof(text)) == n3 && strcmp(text, t3) == 0,
		   "user and tenant ids each one byte, and the text comes back exactly");
		auth_tok_free(c);
	}
	auth_tok_free(a);
	ok(auth_tok_nhdrs == 1 && b->hdr->refs == 1, "freeing one token keeps the shared header");
	auth_tok_free(b);
	ok(auth_tok_nhdrs == 0 && auth_tok_hdrs == NULL, "the header goes with its last token");

	/* the signature's last character with bits base64url never sets (32 bytes: 43 characters, 2 spare
	 * bits): decodes, but not back to the same text */
	{
		char		last = tok1[n1 - 1];

		tok1[n1 - 1] = (char) (last + 1);	/* 'A'..'Y' and so on: the spare bits set */
		a = auth_tok_new(tok1, n1, "x@y", USER, TENANT);
		ok(a && a->hdr == NULL && auth_tok_text(a, USER, TENANT, text, sizeof(text)) == n1 && strcmp(text, tok1) == 0,
		   "a non-canonical signature is kept as text and comes back exactly");
		is_str(auth_tok_email(a), "x@y", "and its email too");
		auth_tok_free(a);
		tok1[n1 - 1] = last;
	}
	{
		/* a payload with a marker byte of its own (never valid JSON, but kept right anyway) */
		char		t4[256];
		size_t		n4 = rc_b64url_encode((const uint8_t *) "{}", 2, t4);

		t4[n4++] = '.';
		n4 += rc_b64url_encode((const uint8_t *) "\001" USER, 37, t4 + n4);
		t4[n4++] = '.';
		n4 += rc_b64url_encode((const uint8_t *) "sig", 3, t4 + n4);
		t4[n4] = '\0';
		a = auth_tok_new(t4, n4, "", USER, TENANT);
		ok(a && a->hdr == NULL && auth_tok_text(a, USER, TENANT, text, sizeof(text)) == n4 && strcmp(text, t4) == 0,
		   "a payload holding a marker byte itself is kept as text, exactly");
		auth_tok_free(a);
	}
	a = auth_tok_new("not*base64.e30.e30", 18, "", USER, TENANT);
	ok(a && a->hdr == NULL && auth_tok_text(a, USER, TENANT, text, sizeof(text)) == 18 && strcmp(text, "not*base64.e30.e30") == 0,
	   "a part that is not base64url: kept as text");
	auth_tok_free(a);
	a = auth_tok_new("e30.e30", 7, "", USER, TENANT);
	ok(a && a->hdr == NULL && strcmp((auth_tok_text(a, USER, TENANT, text, sizeof(text)), text), "e30.e30") == 0,
	   "two parts only: kept as text");
	auth_tok_free(a);
	ok(auth_tok_new(tok1, RC_JWT_MAX_TOKEN + 1, "", USER, TENANT) == NULL, "longer than RC_JWT_MAX_TOKEN: refused");

	/* the header list is bounded: distinct headers past AUTH_TOK_MAX_HDRS make text copies */
	for (int i = 0; i <= AUTH_TOK_MAX_HDRS; i++)
	{
		char		kid[16];
		size_t		n;

		snprintf(kid, sizeof(kid), "key%d", i);
		n = make_token(tok2, kid, "carol");
		many[i] = auth_tok_new(tok2, n, "", USER, TENANT);
	}
	ok(auth_tok_nhdrs == AUTH_TOK_MAX_HDRS && many[AUTH_TOK_MAX_HDRS]->hdr == NULL &&
	   strcmp((auth_tok_text(many[AUTH_TOK_MAX_HDRS], USER, TENANT, text, sizeof(text)), text), tok2) == 0,
	   "past %d distinct headers a token is kept as text, exactly", AUTH_TOK_MAX_HDRS);
	for (int i = 0; i <= AUTH_TOK_MAX_HDRS; i++)
		auth_tok_free(many[i]);
	ok(auth_tok_nhdrs == 0, "every header freed");
	return tap_done();
}
