/*
 * tap.h — a minimal TAP producer for the C unit tests (header only).
 *
 * ok(cond, fmt, ...) prints "ok N - desc" or "not ok N - desc";
 * tap_done() prints the plan "1..N" and returns the exit status (1 if any
 * test failed), so a test's main ends with `return tap_done();`.
 */
#ifndef RC_TAP_H
#define RC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_count;
static int	tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int
ok(int cond, const char *fmt, ...)
{
	va_list		ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return cond;
}

/* Compare two strings; on mismatch print both as a TAP diagnostic */
#define is_str(got, want, ...) \
	(ok((got) != NULL && strcmp((got), (want)) == 0, __VA_ARGS__) ? 1 : \
	 (printf("#   got:  '%s'\n#   want: '%s'\n", (got) ? (got) : "(null)", (want)), 0))

/* Compare two integers; on mismatch print both as a TAP diagnostic */
#define is_int(got, want, ...) \
	(ok((long long) (got) == (long long) (want), __VA_ARGS__) ? 1 : \
	 (printf("#   got:  %lld\n#   want: %lld\n", (long long) (got), (long long) (want)), 0))

__attribute__((unused))
static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
