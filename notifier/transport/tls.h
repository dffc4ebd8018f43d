/*
 * tls.h — TLS for the transport (--tls-cert/--tls-key): OpenSSL driven
 * through memory, never through the socket. net.c hands tls.c the
 * ciphertext it read and gets plaintext back; it hands tls.c plaintext to
 * send and gets ciphertext to write with its own bounded write path. So
 * HTTP, WebSocket, long polling, static files, /metrics and /healthz work
 * unchanged over TLS, and every byte queued still counts against
 * --max-buffered (as ciphertext, at its allocation size).
 *
 * Policy (docs/tls.md): TLS 1.2 and 1.3 only; in TLS 1.2 only ECDHE with
 * AES-GCM or CHACHA20-POLY1305, in TLS 1.3 OpenSSL's default suites (all
 * AEAD); no compression, no renegotiation; stateless session tickets, no
 * server-side session cache; ALPN "http/1.1" (a client offering only other
 * protocols, e.g. h2, gets a no_application_protocol alert).
 *
 * Memory: a tls_conn is OpenSSL's SSL object and nothing else. The BIO
 * under it keeps no bytes: reads take from the buffer net.c passes in, and
 * writes append to one process-wide output buffer that net.c empties
 * after every call; OpenSSL keeps an incomplete record itself and, with
 * SSL_MODE_RELEASE_BUFFERS, frees its record buffers while a connection
 * is idle.
 *
 * Single-threaded, like the rest of the notifier.
 */
#ifndef RC_NOTIFIER_TLS_H
#define RC_NOTIFIER_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* The header every response carries under TLS (SPEC §7 "HSTS under TLS") */
#define TLS_HSTS_HEADER "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"

/* Ciphertext a connection may send before its handshake completes (hostile input bound) */
#define TLS_HANDSHAKE_MAX_INPUT 65536

typedef struct tls_conn tls_conn;

/*
 * Load the certificate chain and key and build the server context. Returns
 * 0, or -1 with a message naming the file and the reason in err (the caller
 * exits 2). Call once, before tls_conn_new.
 */
int			tls_init(const char *cert_file, const char *key_file, char *err, size_t errlen);

/*
 * Re-read the files given to tls_init (SIGHUP). On success new connections
 * use the new certificate; open connections keep theirs. On failure
 * returns -1 with a message in err and the old certificate stays in use.
 */
int			tls_reload(char *err, size_t errlen);

/* True once tls_init succeeded: every accepted connection speaks TLS */
bool		tls_enabled(void);

/* Subject and serial of the certificate in use, for logs ("" before tls_init) */
const char *tls_cert_summary(void);

/* A server-side TLS connection on the current context; NULL when out of memory */
tls_conn   *tls_conn_new(void);

/* Free t (NULL is fine) */
void		tls_conn_free(tls_conn *t);

/* True once the handshake is complete */
bool		tls_conn_ready(const tls_conn *t);

typedef enum tls_result
{
	TLS_OK = 0,
	TLS_CLOSE,					/* the peer closed (close_notify): close quietly */
	TLS_FAIL,					/* handshake or record failure: close */
	TLS_PLAIN_HTTP,				/* a plain HTTP request instead of a ClientHello */
	TLS_TOO_BIG					/* over TLS_HANDSHAKE_MAX_INPUT before the handshake finished: close */
} tls_result;

/*
 * What tls_conn_input calls back: out with ciphertext to send now
 * (handshake messages, tickets, alerts), plain with decrypted bytes. plain
 * returns false to stop (the connection is closing); out and plain may be
 * called several times, always in the order the bytes must go.
 */
typedef struct tls_sink
{
	void		(*out) (void *arg, const char *data, size_t len);
	bool		(*plain) (void *arg, char *data, size_t len);
	void	   *arg;
} tls_sink;

/*
 * Feed len bytes of ciphertext read from the socket. Drives the handshake,
 * decrypts every complete record, and calls the sink. Returns TLS_OK or why
 * the connection must close (an alert, if any, was given to sink->out).
 */
tls_result	tls_conn_input(tls_conn *t, const char *in, size_t len, const tls_sink *sink);

/*
 * Encrypt a then b (either may be empty) as one record when they fit in
 * one. Returns 0 and the ciphertext in *out and *outlen (valid until the next
 * call of any tls_* function; the caller writes or copies it at once), or
 * -1 if the connection cannot send (no handshake yet, fatal error).
 */
int			tls_conn_encrypt(tls_conn *t, const void *a, size_t alen, const void *b, size_t blen,
							 const char **out, size_t *outlen);

/*
 * A close_notify alert to send before the FIN; 0 and the ciphertext as for
 * tls_conn_encrypt, or -1 when there is nothing to send.
 */
int			tls_conn_close_notify(tls_conn *t, const char **out, size_t *outlen);

#endif
