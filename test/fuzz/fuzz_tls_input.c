/*
 * fuzz_tls_input.c — libFuzzer target for notifier/transport/tls.c driven
 * the way net.c drives it: ciphertext from a client fed to tls_conn_input
 * in pieces (each piece in an exact-size heap copy, as a read lands), the
 * sink copying what comes out, tls_conn_encrypt and tls_conn_close_notify
 * called between reads, tls_reload in the middle of a connection.
 *
 * No key is committed: LLVMFuzzerInitialize makes a P-256 key and a
 * self-signed certificate in a private temporary directory (removed at
 * exit) and calls tls_init on them, as --tls-cert/--tls-key would.
 *
 * Input: byte 0 picks the scenario.
 *  - even: "raw". The rest is a stream of ciphertext from a hostile client
 *    (a ClientHello, garbage, a plain HTTP request …), cut into pieces by
 *    the first bytes (low 4 bits of byte 1 = how many piece lengths follow).
 *  - odd: "session". An in-process OpenSSL client (memory BIOs, TLS 1.2 or
 *    1.3 and the ALPN offer chosen by bits of byte 0) completes a real
 *    handshake with the server; the rest of the input is a script of
 *    operations: client writes, KeyUpdate requests, server encrypts (one
 *    and two-part, across the 16 KiB join buffer), flipped ciphertext
 *    bytes, injected raw bytes, close_notify either way, an upper layer
 *    that stops in the middle of input, a reload of the certificate.
 *
 * Properties checked (besides ASan/UBSan):
 *  - the sink's plain callback is never called before the handshake is
 *    complete (records authenticated before a failing one come after the
 *    failure, with the connection already refusing to send), and never
 *    with 0 bytes;
 *  - a connection still handshaking that has been fed more than
 *    TLS_HANDSHAKE_MAX_INPUT bytes has been refused (TLS_FAIL);
 *  - plaintext the server delivers is always a prefix of what the client
 *    sent (a flipped or injected byte never turns into plaintext), and when
 *    nothing was tampered with it is all of it, in order;
 *  - the client decrypts exactly what the server encrypted (a then b);
 *  - after TLS_FAIL tls_conn_encrypt and tls_conn_close_notify refuse
 *    (never send after a fatal error), and a healthy connection never
 *    refuses to encrypt;
 *  - a client close_notify is reported as TLS_CLOSE;
 *  - plaintext stops when the sink says the connection is closing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "transport/tls.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "property violated: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static SSL_CTX *cli_ctx;
static char key_dir[64];
static char cert_path[96];
static char key_path[96];

/* A growable byte string */
typedef struct bytes
{
	uint8_t    *p;
	size_t		len;
	size_t		cap;
} bytes;

static void
bytes_add(bytes *b, const void *d, size_t n)
{
	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			abort();
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* The input being consumed */
typedef struct cursor
{
	const uint8_t *p;
	size_t		n;
} cursor;

static uint8_t
take(cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

/* One server-side connection and what net.c would have done with it */
typedef struct conn
{
	tls_conn   *t;
	bytes		to_client;		/* ciphertext handed to the sink's out */
	bytes		got_plain;		/* plaintext handed to the sink's plain */
	size_t		fed_before_ready;	/* ciphertext fed while not ready */
	bool		dead;			/* net.c would not feed it again (closing or closed) */
	bool		failed;			/* TLS_FAIL seen */
	bool		closed;			/* TLS_CLOSE seen */
	int			stop_in;		/* plain returns false on this call (0: never) */
	int			plain_calls;
	bool		plain_after_failure;	/* authenticated records handed up after a failure */
} conn;

static void
sink_out(void *arg, const char *data, size_t len)
{
	conn	   *c = arg;

	CHECK(len > 0);
	bytes_add(&c->to_client, data, len);
}

static bool
sink_plain(void *arg, char *data, size_t len)
{
	conn	   *c = arg;

	const char *o;
	size_t		olen;

	CHECK(!c->dead);
	CHECK(len > 0);
	/*
	 * Never before the handshake. Records authenticated before a later one
	 * failed are still handed up, in the same call, after the failure
	 * (OpenSSL then reports "in init" again): the connection is broken by
	 * then, and an encrypt of nothing (no output, no state) refuses.
	 */
	CHECK(tls_conn_ready(c->t) || tls_conn_encrypt(c->t, NULL, 0, NULL, 0, &o, &olen) < 0);
	if (!tls_conn_ready(c->t))
		c->plain_after_failure = true;
	bytes_add(&c->got_plain, data, len);
	c->plain_calls++;
	if (c->stop_in && c->plain_calls == c->stop_in)
	{
		c->dead = true;			/* the upper layer closed the connection */
		return false;
	}
	return true;
}

/*
 * Feed data to the server in pieces (lengths from the cursor, 0 = the
 * rest), each in an exact-size heap copy; stop as net.c does once the
 * connection is closing.
 */
static void
feed(conn *c, const uint8_t *data, size_t len, cursor *cut)
{
	tls_sink	sink = {sink_out, sink_plain, c};
	size_t		off = 0;

	while (off < len && !c->dead)
	{
		size_t		piece = take(cut);
		char	   *copy;
		tls_result	r;
		bool		was_ready = tls_conn_ready(c->t);

		piece = piece == 0 || piece > len - off ? len - off : piece * 7;
		if (piece > len - off)
			piece = len - off;
		copy = malloc(piece);
		if (copy == NULL)
			abort();
		memcpy(copy, data + off, piece);
		r = tls_conn_input(c->t, copy, piece, &sink);
		free(copy);
		if (!was_ready)
			c->fed_before_ready += piece;
		off += piece;
		/* plaintext handed up after a failure: the call reports the failure */
		CHECK(!c->plain_after_failure || r == TLS_FAIL || c->dead);
		if (r == TLS_FAIL)
			c->failed = true;
		if (r == TLS_CLOSE)
			c->closed = true;
		if (r != TLS_OK)
			c->dead = true;
		/* the handshake bound: whoever sent this much without finishing was refused */
		if (c->fed_before_ready > TLS_HANDSHAKE_MAX_INPUT)
			CHECK(c->dead || tls_conn_ready(c->t));
	}
	if (c->failed)
	{
		const char *out;
		size_t		outlen;

		/* never send after a fatal error */
		CHECK(tls_conn_encrypt(c->t, "x", 1, NULL, 0, &out, &outlen) < 0);
		CHECK(tls_conn_close_notify(c->t, &out, &outlen) < 0);
	}
}

static void
conn_free(conn *c)
{
	tls_conn_free(c->t);
	free(c->to_client.p);
	free(c->got_plain.p);
}

/*---- raw: a hostile client's bytes from the first one ----*/

static void
run_raw(cursor *in)
{
	conn		c = {0};
	uint8_t		npieces = take(in) & 15;
	cursor		cut = {in->p, in->n < npieces ? in->n : npieces};

	in->p += cut.n;
	in->n -= cut.n;
	c.t = tls_conn_new();
	if (c.t == NULL)
		abort();
	feed(&c, in->p, in->n, &cut);
	/* no plaintext without a handshake, and raw bytes cannot complete one */
	CHECK(c.got_plain.len == 0);
	if (!c.dead)
	{
		const char *out;
		size_t		outlen;

		CHECK(tls_conn_encrypt(c.t, "x", 1, NULL, 0, &out, &outlen) < 0 || tls_conn_ready(c.t));
	}
	conn_free(&c);
}

/*---- session: a real client, then a script ----*/

typedef struct client
{
	SSL		   *ssl;
	BIO		   *rbio;			/* what the server sent, for the client to read */
	BIO		   *wbio;			/* what the client wrote, for the server */
	bytes		sent;			/* plaintext the client wrote */
	bytes		got;			/* plaintext the client read */
	bool		got_close;		/* close_notify received */
} client;

/* Move the client's output to the server (optionally with one byte flipped) */
static void
to_server(client *cl, conn *c, cursor *cut, long flip_at, uint8_t flip)
{
	char	   *p;
	long		n = BIO_get_mem_data(cl->wbio, &p);
	uint8_t    *copy;

	if (n <= 0)
		return;
	copy = malloc((size_t) n);
	if (copy == NULL)
		abort();
	memcpy(copy, p, (size_t) n);
	(void) BIO_reset(cl->wbio);
	if (flip_at >= 0 && flip)
		copy[flip_at % n] ^= flip;
	feed(c, copy, (size_t) n, cut);
	free(copy);
}

/* Move the server's output to the client and read what it can */
static void
to_client(conn *c, client *cl)
{
	uint8_t		tmp[16384];
	size_t		got;

	if (c->to_client.len)
	{
		BIO_write(cl->rbio, c->to_client.p, (int) c->to_client.len);
		c->to_client.len = 0;
	}
	if (!SSL_is_init_finished(cl->ssl))
		return;
	for (;;)
	{
		int			rc = SSL_read_ex(cl->ssl, tmp, sizeof(tmp), &got);

		if (rc == 1)
		{
			bytes_add(&cl->got, tmp, got);
			continue;
		}
		if (SSL_get_error(cl->ssl, rc) == SSL_ERROR_ZERO_RETURN)
			cl->got_close = true;
		ERR_clear_error();
		break;
	}
}

static void
run_session(uint8_t mode, cursor *in)
{
	static const unsigned char alpn_http[] = "\x08http/1.1";
	static const unsigned char alpn_both[] = "\x02h2\x08http/1.1";
	static const unsigned char alpn_h2[] = "\x02h2";
	conn		c = {0};
	client		cl = {0};
	cursor		none = {NULL, 0};
	bytes		srv_sent = {0};
	bool		tampered = false;
	int			rounds;

	c.t = tls_conn_new();
	cl.ssl = SSL_new(cli_ctx);
	cl.rbio = BIO_new(BIO_s_mem());
	cl.wbio = BIO_new(BIO_s_mem());
	if (c.t == NULL || cl.ssl == NULL || cl.rbio == NULL || cl.wbio == NULL)
		abort();
	BIO_set_mem_eof_return(cl.rbio, -1);	/* empty is "retry", not EOF */
	SSL_set_bio(cl.ssl, cl.rbio, cl.wbio);
	SSL_set_connect_state(cl.ssl);
	SSL_set_max_proto_version(cl.ssl, (mode & 2) ? TLS1_2_VERSION : TLS1_3_VERSION);
	switch ((mode >> 2) & 3)
	{
		case 1:
			SSL_set_alpn_protos(cl.ssl, alpn_http, sizeof(alpn_http) - 1);
			break;
		case 2:
			SSL_set_alpn_protos(cl.ssl, alpn_both, sizeof(alpn_both) - 1);
			break;
		case 3:
			SSL_set_alpn_protos(cl.ssl, alpn_h2, sizeof(alpn_h2) - 1);
			break;
	}
	/* the handshake, whole reads */
	for (rounds = 0; rounds < 8 && !c.dead; rounds++)
	{
		int			rc = SSL_do_handshake(cl.ssl);
		/* ask now: writing into the read BIO below clears its retry flag */
		int			e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(cl.ssl, rc);

		to_server(&cl, &c, &none, -1, 0);
		to_client(&c, &cl);
		if (rc == 1 && tls_conn_ready(c.t))
			break;
		if (rc != 1 && e != SSL_ERROR_WANT_READ)
			break;
	}
	ERR_clear_error();
	if (((mode >> 2) & 3) == 3)
		CHECK(c.dead && !tls_conn_ready(c.t));	/* h2 only: refused by ALPN */
	if (!SSL_is_init_finished(cl.ssl) || !tls_conn_ready(c.t))
		goto done;

	while (in->n && !c.dead)
	{
		uint8_t		op = take(in);
		size_t		n;

		switch (op % 9)
		{
			case 0:				/* the client writes n bytes, delivered in pieces */
			case 3:				/* … with one ciphertext byte flipped */
				{
					long		at = -1;
					uint8_t		x = 0;
					size_t		done;

					n = (size_t) take(in) * ((op & 0x80) ? 131 : 1) + 1;
					if (op % 9 == 3)
					{
						at = take(in) | (take(in) << 8);
						x = take(in);
						tampered |= x != 0;
					}
					{
						uint8_t    *msg = malloc(n);

						if (msg == NULL)
							abort();
						for (size_t i = 0; i < n; i++)
							msg[i] = in->n ? take(in) : (uint8_t) i;
						if (SSL_write_ex(cl.ssl, msg, n, &done) == 1)
							bytes_add(&cl.sent, msg, n);
						free(msg);
					}
					to_server(&cl, &c, in, at, x);
					to_client(&c, &cl);
					break;
				}
			case 1:				/* a KeyUpdate (requested or not) from the client */
				if (SSL_version(cl.ssl) == TLS1_3_VERSION &&
					SSL_key_update(cl.ssl, (op & 0x10) ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) == 1)
					(void) SSL_do_handshake(cl.ssl);
				ERR_clear_error();
				to_server(&cl, &c, in, -1, 0);
				to_client(&c, &cl);
				break;
			case 2:				/* the server encrypts a then b (net.c's conn_write2) */
				{
					size_t		alen = (size_t) take(in) * ((op & 0x80) ? 97 : 1);
					size_t		blen = (size_t) take(in) * ((op & 0x40) ? 131 : 1);
					uint8_t    *ab = malloc(alen + blen + 1);
					const char *out;
					size_t		outlen;
					int			rc;

					if (ab == NULL)
						abort();
					for (size_t i = 0; i < alen + blen; i++)
						ab[i] = (uint8_t) (i * 31 + op);
					rc = tls_conn_encrypt(c.t, ab, alen, ab + alen, blen, &out, &outlen);
					CHECK(rc == 0 || c.failed);
					if (rc == 0)
					{
						bytes_add(&c.to_client, out, outlen);
						bytes_add(&srv_sent, ab, alen + blen);
					}
					free(ab);
					to_client(&c, &cl);
					break;
				}
			case 4:				/* raw bytes injected into the stream */
				n = take(in);
				n = n > in->n ? in->n : n;
				tampered |= n > 0;
				feed(&c, in->p, n, &none);
				in->p += n;
				in->n -= n;
				break;
			case 5:				/* the client closes (close_notify) */
				(void) SSL_shutdown(cl.ssl);
				ERR_clear_error();
				to_server(&cl, &c, in, -1, 0);
				if (!tampered)
					CHECK(c.closed);
				goto done;
			case 6:				/* the server closes (close_notify, as conn_linger) */
				{
					const char *out;
					size_t		outlen;

					if (tls_conn_close_notify(c.t, &out, &outlen) == 0)
					{
						bytes_add(&c.to_client, out, outlen);
						to_client(&c, &cl);
						CHECK(cl.got_close);
					}
					goto done;
				}
			case 7:				/* the upper layer closes at its next plaintext */
				c.stop_in = c.plain_calls + 1;
				tampered = true;
				break;
			case 8:				/* SIGHUP: reload; this connection keeps its context */
				{
					char		err[256];

					CHECK(tls_reload(err, sizeof(err)) == 0);
					break;
				}
		}
		/* what the server delivered is what the client sent, so far */
		CHECK(c.got_plain.len <= cl.sent.len);
		CHECK(c.got_plain.len == 0 || memcmp(c.got_plain.p, cl.sent.p, c.got_plain.len) == 0);
		/* what the client decrypted is what the server encrypted */
		CHECK(cl.got.len <= srv_sent.len);
		CHECK(cl.got.len == 0 || memcmp(cl.got.p, srv_sent.p, cl.got.len) == 0);
		if (!tampered && !c.dead)
			CHECK(c.got_plain.len == cl.sent.len);
		if (!c.dead)
			CHECK(cl.got.len == srv_sent.len);
	}
done:
	SSL_free(cl.ssl);
	free(cl.sent.p);
	free(cl.got.p);
	free(srv_sent.p);
	conn_free(&c);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cursor		in = {data, size};
	uint8_t		mode;

	if (size == 0)
		return 0;
	mode = take(&in);
	if (mode & 1)
		run_session(mode, &in);
	else
		run_raw(&in);
	return 0;
}

/*---- set-up: a throwaway key and certificate, never a committed one ----*/

static void
cleanup(void)
{
	unlink(cert_path);
	unlink(key_path);
	rmdir(key_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY   *pkey = EVP_EC_gen("P-256");
	X509	   *x = X509_new();
	X509_NAME  *name;
	FILE	   *f;
	char		err[512];

	(void) argc;
	(void) argv;
	snprintf(key_dir, sizeof(key_dir), "/tmp/rc-fuzz-tls.XXXXXX");
	if (pkey == NULL || x == NULL || mkdtemp(key_dir) == NULL)
		abort();
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", key_dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", key_dir);
	atexit(cleanup);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "fuzz.invalid", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		abort();
	f = fopen(cert_path, "w");
	if (f == NULL || PEM_write_X509(f, x) != 1 || fclose(f) != 0)
		abort();
	f = fopen(key_path, "w");
	if (f == NULL || PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1 || fclose(f) != 0)
		abort();
	X509_free(x);
	EVP_PKEY_free(pkey);
	if (tls_init(cert_path, key_path, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "tls_init: %s\n", err);
		abort();
	}
	cli_ctx = SSL_CTX_new(TLS_client_method());
	if (cli_ctx == NULL)
		abort();
	SSL_CTX_set_verify(cli_ctx, SSL_VERIFY_NONE, NULL);
	return 0;
}
