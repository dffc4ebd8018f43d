/*
 * buf.h — a growable byte buffer used by the codecs to build outgoing
 * packets and payloads. No I/O. The buffer owns its memory (malloc); a
 * failed append leaves the buffer unchanged and returns -1.
 */
#ifndef RC_NOTIFIER_BUF_H
#define RC_NOTIFIER_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf
{
	char	   *p;				/* bytes, not NUL-terminated unless buf_cstr() */
	size_t		len;			/* bytes in use */
	size_t		cap;			/* bytes allocated */
} buf;

#define BUF_INIT {NULL, 0, 0}

/* Make room for n more bytes; 0 on success, -1 on allocation failure */
int			buf_reserve(buf *b, size_t n);
int			buf_append(buf *b, const void *data, size_t n);
int			buf_append_str(buf *b, const char *s);
int			buf_append_char(buf *b, char c);
/* Append a decimal unsigned integer */
int			buf_append_u64(buf *b, uint64_t v);
/* printf-style append */
int			buf_printf(buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* NUL-terminate (not counted in len) and return p, or NULL on failure */
char	   *buf_cstr(buf *b);
void		buf_reset(buf *b);

/*
 * What the malloc'd block p really costs the process: its usable size plus
 * the allocator's per-chunk header. Queues of unsent output count this, not
 * the payload length, so that many small packets cannot hide their overhead
 * from --max-buffered. 0 for NULL.
 */
size_t		buf_alloc_cost(void *p);
void		buf_free(buf *b);

#endif
