/*
 * keyupdate_flood.c — a hostile TLS 1.3 client for suite 53: after the
 * handshake it sends KeyUpdate requests (update_requested: each makes the
 * server send a KeyUpdate of its own) as fast as the socket takes them and
 * NEVER reads, with small socket buffers. A server that does not apply its
 * output bound to these answers queues them without limit; one that does
 * stops reading and the client's sends block.
 *
 *   keyupdate_flood HOST PORT MAX_BYTES SECONDS
 * Prints "sent=<bytes> blocked=<0|1> updates=<n>" and exits 0; blocked=1
 * when no byte could be sent for 2 s (the server stopped reading).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Count what goes to the socket */
static long long sent;
static long
count_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret, size_t *processed)
{
	(void) b; (void) argp; (void) len; (void) argi; (void) argl;
	if (oper == (BIO_CB_WRITE | BIO_CB_RETURN) && ret > 0 && processed)
		sent += (long long) *processed;
	return ret;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {0};
	int			fd,
				small = 8192;
	SSL_CTX    *ctx;
	SSL		   *ssl;
	long long	max;
	double		end,
				last_progress;
	long		updates = 0;
	int			blocked = 0;

	if (argc != 5)
		return 2;
	max = atoll(argv[3]);
	end = now() + atof(argv[4]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short) atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
	{
		perror("connect");
		return 1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
	{
		ERR_print_errors_fp(stderr);
		return 1;
	}
	BIO_set_callback_ex(SSL_get_wbio(ssl), count_cb);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	last_progress = now();
	while (sent < max && now() < end)
	{
		int			rc;
		long long	before = sent;

		if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) == 1)
			updates++;
		ERR_clear_error();
		rc = SSL_do_handshake(ssl);
		if (rc != 1)
		{
			int			e = SSL_get_error(ssl, rc);

			ERR_clear_error();
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			{
				struct pollfd p = {fd, POLLOUT, 0};

				poll(&p, 1, 100);
			}
			else
			{
				fprintf(stderr, "connection failed (SSL error %d) after %lld bytes\n", e, sent);
				break;
			}
		}
		if (sent > before)
			last_progress = now();
		else if (now() - last_progress > 2.0)
		{
			blocked = 1;
			break;
		}
	}
	printf("sent=%lld blocked=%d updates=%ld\n", sent, blocked, updates);
	close(fd);
	return 0;
}
