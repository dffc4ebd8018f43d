/*
 * buf.c — growable byte buffer (see buf.h). No I/O.
 */
#include "base/buf.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grow geometrically so appends are amortised O(1) */
int
buf_reserve(buf *b, size_t n)
{
	size_t		need;
	size_t		cap;
	char	   *p;

	if (n > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + n + 1;		/* +1 keeps room for buf_cstr's NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_append(buf *b, const void *data, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

int
buf_append_str(buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_append_char(buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_append_u64(buf *b, uint64_t v)
{
	char		tmp[24];
	int			i = sizeof(tmp);

	do
	{
		tmp[--i] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	return buf_append(b, tmp + i, sizeof(tmp) - i);
}

int
buf_printf(buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t) n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
	return 0;
}

char *
buf_cstr(buf *b)
{
	if (buf_reserve(b, 0) < 0)
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

void
buf_reset(buf *b)
{
	b->len = 0;
}

void
buf_free(buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

size_t
buf_alloc_cost(void *p)
{
	/* glibc (and ASan's allocator) keep one size_t of header per chunk */
	return p ? malloc_usable_size(p) + sizeof(size_t) : 0;
}
