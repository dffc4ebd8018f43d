/*
 * tls.c — OpenSSL on memory for the transport (see tls.h for the contract,
 * docs/tls.md for the policy and its costs).
 *
 * The BIO: one BIO object of our own method is shared by every SSL (each
 * holds a reference). It stores nothing: a read takes bytes from the input
 * that tls_conn_input is feeding right now (tls_in, owned by the caller,
 * empty at any other time, so no other connection can read it), a write
 * appends to tls_wbuf, which every entry point hands to its caller before
 * returning. Why not BIO_s_mem: a memory BIO keeps the capacity of its
 * largest read for the life of the connection (tens of KiB per idle
 * socket), and a BIO pair allocates both directions' buffers up front.
 *
 * Reload: the context is replaced, never changed in place. Each SSL holds a
 * reference to the context it was made from, so open connections keep the
 * certificate they were accepted with and the old context is freed with
 * its last connection.
 */
#include "transport/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/log.h"

/* TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only; TLS 1.3 keeps OpenSSL's (all AEAD) */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
/* Plaintext handed up per call of the sink: several records' worth */
#define TLS_PLAIN_CHUNK 65536
/* tls_wbuf above this is freed once empty (one big message must not pin it) */
#define TLS_WBUF_KEEP	(256 * 1024)

struct tls_conn
{
	SSL		   *ssl;
	uint32_t	hs_in;			/* ciphertext bytes received before the handshake completed */
	bool		broken;			/* a fatal error: OpenSSL must not be asked to send again */
};

static SSL_CTX *tls_ctx;		/* context for new connections */
static char *tls_cert_path;
static char *tls_key_path;
static char tls_summary[256];
static BIO_METHOD *tls_bio_method;
static BIO *tls_bio;			/* the one shared BIO (we keep a reference) */
static const char *tls_in;		/* ciphertext being fed (tls_conn_input only) */
static size_t tls_in_len;
static buf	tls_wbuf = BUF_INIT;	/* ciphertext produced by the current call */
static char tls_plain[TLS_PLAIN_CHUNK];
static char tls_join[16384];	/* a then b, to make one record of a header and its payload */

/*---- the BIO ----*/

/* Take from the input being fed; "retry" when it is used up (OpenSSL keeps a partial record) */
static int
tls_bio_read(BIO *b, char *out, int len)
{
	size_t		n = tls_in_len < (size_t) len ? tls_in_len : (size_t) len;

	BIO_clear_retry_flags(b);
	if (n == 0)
	{
		BIO_set_retry_read(b);
		return -1;
	}
	memcpy(out, tls_in, n);
	tls_in += n;
	tls_in_len -= n;
	return (int) n;
}

/* Append to tls_wbuf; never "retry", so SSL_write always completes */
static int
tls_bio_write(BIO *b, const char *data, int len)
{
	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (buf_append(&tls_wbuf, data, (size_t) len) < 0)
		return -1;
	return len;
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void) b;
	(void) num;
	(void) ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* Make the shared BIO once; 0 or -1 */
static int
tls_bio_setup(void)
{
	if (tls_bio)
		return 0;
	tls_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "roomcast-uv");
	if (tls_bio_method == NULL ||
		!BIO_meth_set_read(tls_bio_method, tls_bio_read) ||
		!BIO_meth_set_write(tls_bio_method, tls_bio_write) ||
		!BIO_meth_set_ctrl(tls_bio_method, tls_bio_ctrl) ||
		!BIO_meth_set_create(tls_bio_method, tls_bio_create))
		return -1;
	tls_bio = BIO_new(tls_bio_method);
	return tls_bio ? 0 : -1;
}

/* Start a call that produces ciphertext: tls_wbuf is empty, and not oversized */
static void
tls_wbuf_start(void)
{
	if (tls_wbuf.cap > TLS_WBUF_KEEP)
		buf_free(&tls_wbuf);
	tls_wbuf.len = 0;
}

/*---- the context ----*/

/* The first error on OpenSSL's queue as text (and clear the queue) */
static const char *
tls_ssl_error(void)
{
	static char msg[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(msg, sizeof(msg), "unknown OpenSSL error");
	else
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return msg;
}

/*
 * ALPN: the notifier speaks HTTP/1.1 only. A client that offers ALPN
 * without it (an h2-only client) is refused with no_application_protocol
 * rather than being answered in a protocol it did not ask for.
 */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
				const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char want[] = "\x08http/1.1";
	unsigned char *sel;

	(void) ssl;
	(void) arg;
	if (SSL_select_next_proto(&sel, outlen, want, sizeof(want) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* "CN=…, serial …, expires …" of the context's certificate */
static void
tls_summarize(SSL_CTX *ctx, char *out, size_t outlen)
{
	X509	   *x = SSL_CTX_get0_certificate(ctx);
	char		subject[128] = "?";
	char	   *serial = NULL;
	BIGNUM	   *bn;

	if (x == NULL)
	{
		snprintf(out, outlen, "(none)");
		return;
	}
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, subject, sizeof(subject));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn)
		serial = BN_bn2hex(bn);
	snprintf(out, outlen, "CN=%s serial %s%s", subject, serial ? serial : "?",
			 X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? " (EXPIRED)" : "");
	OPENSSL_free(serial);
	BN_free(bn);
}

/*
 * A server context for cert_file and key_file with the policy of tls.h.
 * Returns it, or NULL with a message naming the file and the reason in err.
 */
static SSL_CTX *
tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	SSL_CTX    *ctx;
	BIO		   *kb;
	EVP_PKEY   *pkey;

	/* say which file, and why, before OpenSSL's less direct messages */
	if (access(cert_file, R_OK) != 0)
	{
		snprintf(err, errlen, "cannot read --tls-cert %s: %s", cert_file, strerror(errno));
		return NULL;
	}
	if (access(key_file, R_OK) != 0)
	{
		snprintf(err, errlen, "cannot read --tls-key %s: %s", key_file, strerror(errno));
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
	{
		snprintf(err, errlen, "cannot create a TLS context: %s", tls_ssl_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* client-initiated renegotiation is off by default in OpenSSL 3 (no ALLOW option set) */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
						SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* tickets are stateless; a server-side cache would be memory per client */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
	{
		snprintf(err, errlen, "cannot set the TLS 1.2 cipher list: %s", tls_ssl_error());
		goto err;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
	{
		snprintf(err, errlen, "--tls-cert %s is not a PEM certificate chain: %s", cert_file, tls_ssl_error());
		goto err;
	}
	/* read the key apart from using it: "not a key" and "not this certificate's key" differ */
	kb = BIO_new_file(key_file, "r");
	pkey = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	BIO_free(kb);
	if (pkey == NULL)
	{
		snprintf(err, errlen, "--tls-key %s is not a PEM private key (without passphrase): %s", key_file, tls_ssl_error());
		goto err;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1)
	{
		snprintf(err, errlen, "--tls-key %s does not match the certificate of --tls-cert %s: %s",
				 key_file, cert_file, tls_ssl_error());
		EVP_PKEY_free(pkey);
		goto err;
	}
	EVP_PKEY_free(pkey);
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_init(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	SSL_CTX    *ctx;

	if (tls_bio_setup() < 0)
	{
		snprintf(err, errlen, "cannot create the TLS BIO: %s", tls_ssl_error());
		return -1;
	}
	ctx = tls_ctx_new(cert_file, key_file, err, errlen);
	if (ctx == NULL)
		return -1;
	tls_cert_path = strdup(cert_file);
	tls_key_path = strdup(key_file);
	if (tls_cert_path == NULL || tls_key_path == NULL)
	{
		snprintf(err, errlen, "out of memory");
		SSL_CTX_free(ctx);
		return -1;
	}
	tls_ctx = ctx;
	tls_summarize(ctx, tls_summary, sizeof(tls_summary));
	return 0;
}

int
tls_reload(char *err, size_t errlen)
{
	SSL_CTX    *ctx;

	if (tls_ctx == NULL)
		return 0;
	ctx = tls_ctx_new(tls_cert_path, tls_key_path, err, errlen);
	if (ctx == NULL)
		return -1;
	SSL_CTX_free(tls_ctx);		/* open connections hold their own reference */
	tls_ctx = ctx;
	tls_summarize(ctx, tls_summary, sizeof(tls_summary));
	return 0;
}

bool
tls_enabled(void)
{
	return tls_ctx != NULL;
}

const char *
tls_cert_summary(void)
{
	return tls_summary;
}

/*---- connections ----*/

tls_conn *
tls_conn_new(void)
{
	tls_conn   *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ssl = SSL_new(tls_ctx);
	if (t->ssl == NULL || !BIO_up_ref(tls_bio))
	{
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_bio(t->ssl, tls_bio, tls_bio);	/* one reference for both directions */
	SSL_set_accept_state(t->ssl);
	return t;
}

void
tls_conn_free(tls_conn *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

bool
tls_conn_ready(const tls_conn *t)
{
	return SSL_is_init_finished(t->ssl);
}

/* Hand what the last OpenSSL call wrote (handshake, alerts, tickets) to sink->out */
static void
tls_flush(const tls_sink *sink)
{
	if (tls_wbuf.len)
	{
		size_t		n = tls_wbuf.len;

		tls_wbuf.len = 0;		/* sink->out copies or writes it before returning */
		sink->out(sink->arg, tls_wbuf.p, n);
	}
}

/* Why SSL_read_ex stopped with rc 0: TLS_OK to wait for more input, else close */
static tls_result
tls_read_stopped(tls_conn *t, int rc)
{
	int			e = SSL_get_error(t->ssl, rc);
	unsigned long err;

	if (e == SSL_ERROR_WANT_READ)
		return TLS_OK;
	if (e == SSL_ERROR_ZERO_RETURN)
		return TLS_CLOSE;
	err = ERR_peek_error();
	if (!SSL_is_init_finished(t->ssl) && ERR_GET_LIB(err) == ERR_LIB_SSL &&
		(ERR_GET_REASON(err) == SSL_R_HTTP_REQUEST || ERR_GET_REASON(err) == SSL_R_HTTPS_PROXY_REQUEST))
	{
		ERR_clear_error();
		return TLS_PLAIN_HTTP;
	}
	log_debug("tls: connection failed: %s", err ? tls_ssl_error() : "I/O");
	ERR_clear_error();
	t->broken = true;
	return TLS_FAIL;
}

/*
 * Feed len bytes to OpenSSL and hand out what comes back (tls_conn_input).
 * *stopped is set when the sink said the connection is closing.
 */
static tls_result
tls_feed(tls_conn *t, const char *in, size_t len, const tls_sink *sink, bool *stopped)
{
	size_t		have = 0;
	tls_result	res = TLS_OK;

	tls_wbuf_start();
	tls_in = in;
	tls_in_len = len;
	for (;;)
	{
		size_t		got = 0;
		int			rc = SSL_read_ex(t->ssl, tls_plain + have, sizeof(tls_plain) - have, &got);

		have += got;
		if (rc != 1)
			res = tls_read_stopped(t, rc);
		if (rc == 1 && have < sizeof(tls_plain))
			continue;
		/* output first (it answers what came before), then the plaintext */
		tls_flush(sink);
		if (have)
		{
			const char *save = tls_in;
			size_t		save_len = tls_in_len;
			bool		go_on;

			/* the upper layer may encrypt for any connection: none can read our input */
			tls_in = NULL;
			tls_in_len = 0;
			go_on = sink->plain(sink->arg, tls_plain, have);
			tls_in = save;
			tls_in_len = save_len;
			have = 0;
			tls_wbuf_start();
			if (!go_on)
			{
				*stopped = true;
				break;
			}
		}
		if (rc != 1)
			break;
	}
	tls_in = NULL;
	tls_in_len = 0;
	return res;
}

tls_result
tls_conn_input(tls_conn *t, const char *in, size_t len, const tls_sink *sink)
{
	bool		stopped = false;
	size_t		room;
	tls_result	res;

	if (SSL_is_init_finished(t->ssl))
		return tls_feed(t, in, len, sink, &stopped);
	/*
	 * A handshake is small: whoever sends more before finishing it is
	 * hostile. Only what comes before the end of the handshake counts (a
	 * client's Finished often arrives with its first requests).
	 */
	room = TLS_HANDSHAKE_MAX_INPUT - t->hs_in;
	t->hs_in += (uint32_t) (len < room ? len : room);
	res = tls_feed(t, in, len < room ? len : room, sink, &stopped);
	if (res != TLS_OK || stopped || len <= room)
		return res;
	if (!SSL_is_init_finished(t->ssl))
	{
		log_debug("tls: more than %d bytes before the handshake completed", TLS_HANDSHAKE_MAX_INPUT);
		return TLS_TOO_BIG;
	}
	return tls_feed(t, in + room, len - room, sink, &stopped);
}

int
tls_conn_encrypt(tls_conn *t, const void *a, size_t alen, const void *b, size_t blen,
				 const char **out, size_t *outlen)
{
	size_t		done;

	if (t->broken || !SSL_is_init_finished(t->ssl))
		return -1;
	tls_wbuf_start();
	if (alen && blen && alen + blen <= sizeof(tls_join))
	{
		memcpy(tls_join, a, alen);
		memcpy(tls_join + alen, b, blen);
		a = tls_join;
		alen += blen;
		blen = 0;
	}
	if ((alen && SSL_write_ex(t->ssl, a, alen, &done) != 1) ||
		(blen && SSL_write_ex(t->ssl, b, blen, &done) != 1))
	{
		log_debug("tls: write failed: %s", tls_ssl_error());
		t->broken = true;
		return -1;
	}
	*out = tls_wbuf.p;
	*outlen = tls_wbuf.len;
	return 0;
}

int
tls_conn_close_notify(tls_conn *t, const char **out, size_t *outlen)
{
	if (t->broken || !SSL_is_init_finished(t->ssl))
		return -1;
	tls_wbuf_start();
	(void) SSL_shutdown(t->ssl);
	ERR_clear_error();
	if (tls_wbuf.len == 0)
		return -1;
	*out = tls_wbuf.p;
	*outlen = tls_wbuf.len;
	return 0;
}
