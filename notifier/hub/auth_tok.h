/*
 * auth_tok.h — the copy of a socket's verified token that the notifier must
 * keep (the database re-verifies it on every roomcast.rpc, roomcast.recover
 * and auth:refresh check: SPEC §5), stored compactly: the three base64url
 * parts decoded to their bytes (3/4 of the text), the header shared between
 * tokens that have the same one (one per signing key in practice), and the
 * email claim (presence) in the same allocation, the user and tenant ids in
 * the payload by reference. auth_tok_text gives back
 * the exact text: a token whose base64url is not canonical (text that does
 * not come back the same from its bytes) is kept as text. No I/O.
 */
#ifndef RC_NOTIFIER_AUTH_TOK_H
#define RC_NOTIFIER_AUTH_TOK_H

#include <stddef.h>

typedef struct auth_tok auth_tok;

/*
 * A copy of token[0..len) (a token auth_verify accepted: three parts) and
 * of email (NUL-terminated, "" when none). user and tenant are the socket's
 * ids (36 characters each, the claims' normalized text): the payload stores
 * them by reference, so auth_tok_text must be given the same two. NULL when
 * out of memory or len is over RC_JWT_MAX_TOKEN.
 */
auth_tok   *auth_tok_new(const char *token, size_t len, const char *email, const char *user,
						 const char *tenant);

/*
 * The token's text into out (cap bytes, at least RC_JWT_MAX_TOKEN + 1),
 * NUL-terminated; returns its length. user and tenant as given to
 * auth_tok_new. The caller wipes out when done.
 */
size_t		auth_tok_text(const auth_tok *t, const char *user, const char *tenant, char *out, size_t cap);

/* The email claim kept with the token ("" when the token had none) */
const char *auth_tok_email(const auth_tok *t);

/* Wipe and free t (NULL is fine); drops its reference to a shared header */
void		auth_tok_free(auth_tok *t);

/* Bytes allocated for t, malloc headers not counted (the memory tests) */
size_t		auth_tok_size(const auth_tok *t);

#endif
