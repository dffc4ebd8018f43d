/*
 * http_static.c — the --static DIR file server (see http_static.h).
 *
 * Only what a demo page needs: GET and HEAD of regular files below DIR,
 * "/" and any path ending in "/" mean index.html, no listing.
 *
 * Safety: the path is percent-decoded once into a bounded buffer; NUL, "."
 * and ".." segments and hidden files (segments starting with '.') are refused
 * before touching the file system; the result is then resolved with
 * realpath() and must still lie under realpath(DIR), so a symlink that leaves
 * DIR is a 404 like a missing file. The file is opened O_NOFOLLOW and
 * O_NONBLOCK on the resolved path (so a FIFO or a device cannot block the
 * loop in open), and must then be a regular file (fstat) of at most
 * STATIC_MAX_FILE bytes; anything else is a 404.
 *
 * Reading: plain blocking open/fstat/read on the loop thread, not uv_fs. The
 * files are a few small local files (a page, a script, the socket.io bundle
 * of ~50 KB) read in well under a millisecond from the page cache; uv_fs
 * would need a request that outlives a connection closed mid-read, for no
 * gain at this size. Each response body is one malloc of the file's size,
 * bounded by STATIC_MAX_FILE, freed once handed to the socket.
 *
 * Headers: the common security headers (net.c), Cache-Control no-store, and
 * a page CSP that lets the page run its own scripts and styles and talk to
 * its own origin over HTTP and WebSocket, and nothing else (no inline script,
 * no CDN, no framing). Errors keep the API CSP.
 */
#include "transport/http_static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/*
 * 'self' in connect-src covers ws:/wss: to the same host in current browsers
 * (CSP Level 3); the demo page never connects anywhere else.
 */
#define STATIC_PAGE_CSP \
	"default-src 'self'; script-src 'self'; style-src 'self'; " \
	"connect-src 'self'; img-src 'self' data:; object-src 'none'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static char *static_root;		/* realpath of DIR, NULL when off */
static size_t static_root_len;

int
static_init(const char *dir)
{
	struct stat st;

	if (dir == NULL)
		return 0;
	static_root = realpath(dir, NULL);
	if (static_root == NULL || stat(static_root, &st) != 0 || !S_ISDIR(st.st_mode))
	{
		log_error("--static %s: not a directory (%s)", dir, static_root ? "not a directory" : strerror(errno));
		free(static_root);
		static_root = NULL;
		return -1;
	}
	static_root_len = strlen(static_root);
	log_info("serving static files from %s", static_root);
	return 0;
}

bool
static_enabled(void)
{
	return static_root != NULL;
}

/* The Content-Type for a file name, by extension */
static const char *
static_content_type(const char *name)
{
	static const struct
	{
		const char *ext;
		const char *type;
	}			types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".json", "application/json"},
		{".map", "application/json"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');

	if (dot && strchr(dot, '/') == NULL)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Value of hex digit ch, or -1 */
static int
static_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Percent-decode the request path into out (outlen bytes) as a path relative
 * to DIR, with "index.html" appended when it ends in '/'. Returns false if it
 * does not fit, is malformed, contains NUL, or has an empty-name, "." or ".."
 * segment or a hidden one (leading '.'), each checked after decoding.
 */
static bool
static_decode_path(http_str path, char *out, size_t outlen)
{
	size_t		n = 0;
	size_t		seg;

	if (path.len == 0 || path.p[0] != '/')
		return false;
	for (size_t i = 1; i < path.len; i++)
	{
		char		ch = path.p[i];

		if (ch == '%')
		{
			int			hi,
						lo;

			if (i + 2 >= path.len)
				return false;
			hi = static_hex(path.p[i + 1]);
			lo = static_hex(path.p[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			ch = (char) (hi * 16 + lo);
			i += 2;
		}
		if (ch == '\0' || ch == '\\' || n + 1 >= outlen)
			return false;
		out[n++] = ch;
	}
	if (n == 0 || out[n - 1] == '/')
	{
		static const char idx[] = "index.html";

		if (n + sizeof(idx) > outlen)
			return false;
		memcpy(out + n, idx, sizeof(idx));
		n += sizeof(idx) - 1;
	}
	out[n] = '\0';
	/* every segment: non-empty, not starting with '.' (covers ".", "..", hidden) */
	seg = 0;
	for (size_t i = 0; i <= n; i++)
	{
		if (i == n || out[i] == '/')
		{
			if (i == seg || out[seg] == '.')
				return false;
			seg = i + 1;
		}
	}
	return true;
}

/* Send a small plain-text error with the API CSP */
static void
static_error(net_conn *c, int status, const char *msg)
{
	net_http_respond_page(c, status, "text/plain", NULL, status == 405 ? "Allow: GET, HEAD\r\n" : NULL,
						  msg, strlen(msg), false);
}

/*
 * Open the file for rel below DIR: resolve it, check it is still under DIR
 * and a regular file. Returns an fd with *st filled, or -1 (treat as 404).
 */
static int
static_open(const char *rel, struct stat *st)
{
	char		joined[PATH_MAX];
	char	   *real;
	int			fd;

	if ((size_t) snprintf(joined, sizeof(joined), "%s/%s", static_root, rel) >= sizeof(joined))
		return -1;
	real = realpath(joined, NULL);
	if (real == NULL)
		return -1;
	if (strncmp(real, static_root, static_root_len) != 0 || real[static_root_len] != '/')
	{
		log_warn("static: %s resolves outside %s; refused", rel, static_root);
		free(real);
		return -1;
	}
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(real);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
	{
		log_warn("static: %s is not a regular file; refused", rel);
		close(fd);
		return -1;
	}
	return fd;
}

void
static_respond(net_conn *c, const http_request *req)
{
	bool		head = http_str_eq(req->method, "HEAD");
	char		rel[PATH_MAX];
	struct stat st;
	char	   *body;
	size_t		got = 0;
	int			fd;

	if (!head && !http_str_eq(req->method, "GET"))
	{
		static_error(c, 405, "method not allowed");
		return;
	}
	if (!static_decode_path(req->path, rel, sizeof(rel)) || (fd = static_open(rel, &st)) < 0)
	{
		static_error(c, 404, "not found");
		return;
	}
	if (st.st_size > STATIC_MAX_FILE)
	{
		log_warn("static: %s is %lld bytes, over the limit of %d; not served",
				 rel, (long long) st.st_size, STATIC_MAX_FILE);
		close(fd);
		static_error(c, 500, "file too large to serve");
		return;
	}
	if (head)
	{
		close(fd);
		net_http_respond_page(c, 200, static_content_type(rel), STATIC_PAGE_CSP, NULL,
							  NULL, (size_t) st.st_size, true);
		return;
	}
	body = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
	if (body == NULL)
	{
		close(fd);
		static_error(c, 500, "out of memory");
		return;
	}
	while (got < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, body + got, (size_t) st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	if (got != (size_t) st.st_size)
	{
		log_warn("static: short read of %s (%zu of %lld bytes)", rel, got, (long long) st.st_size);
		free(body);
		static_error(c, 500, "read error");
		return;
	}
	net_http_respond_page(c, 200, static_content_type(rel), STATIC_PAGE_CSP, NULL,
						  body, (size_t) st.st_size, false);
	free(body);
}
