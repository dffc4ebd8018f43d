/*
 * rc_san_canary.c — two deliberately broken SQL functions for suite
 * 22-extension-asan, built with the same sanitizer flags as the extension
 * and installed only into that suite's private PostgreSQL. Calling one must
 * crash the backend and leave a sanitizer report where the suite looks for
 * reports; if it does not, the sanitizers are not active in the backends
 * (no preload, wrong log_path, flags lost) and a clean run of the
 * extension's tests would prove nothing.
 *
 *   rc_san_canary_heap(n int)   writes one byte past a malloc(n) block
 *   rc_san_canary_palloc(n int) writes one byte past a palloc(n) chunk
 *                               (caught only through rc_san_palloc.c)
 *   rc_san_canary_ub(n int)     overflows a signed int (n + INT_MAX)
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(rc_san_canary_heap);
PG_FUNCTION_INFO_V1(rc_san_canary_palloc);
PG_FUNCTION_INFO_V1(rc_san_canary_ub);

/* SQL function: rc_san_canary_heap(n int) returns int — heap-buffer-overflow */
Datum
rc_san_canary_heap(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile char *p = malloc((size_t) n);

	p[n] = 1;
	free((void *) p);
	PG_RETURN_INT32(n);
}

/* SQL function: rc_san_canary_palloc(n int) returns int — past a palloc chunk */
Datum
rc_san_canary_palloc(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile char *p = palloc(n);

	p[n] = 1;
	pfree((void *) p);
	PG_RETURN_INT32(n);
}

/* SQL function: rc_san_canary_ub(n int) returns int — signed overflow */
Datum
rc_san_canary_ub(PG_FUNCTION_ARGS)
{
	volatile int32 n = PG_GETARG_INT32(0);

	PG_RETURN_INT32(n + INT_MAX);
}
