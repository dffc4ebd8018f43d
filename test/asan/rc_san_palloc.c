/*
 * rc_san_palloc.c — ASan redzones for the extension's palloc, linked only
 * into the sanitizer build of suite 22-extension-asan (with
 * -Wl,--wrap=palloc,... so that every call the extension makes comes here;
 * PostgreSQL's own calls are untouched).
 *
 * Why: ASan sees malloc, but an AllocSet carves small chunks out of shared
 * malloc'd blocks, so writing past a 16-byte palloc lands in the next chunk
 * and nobody notices. A request above the set's chunk limit (8 KB at most)
 * gets a malloc'd block of its own instead, and that block is freed with
 * free() by pfree, repalloc and context reset. So each request of size n
 * is made as at least RC_SAN_BLOCK bytes, and the bytes after n are
 * poisoned by hand: a read or write past n is a heap-buffer-overflow
 * report. The poison lives only in a block nobody else gets: ASan clears
 * it when the block is freed and reused, so uninstrumented PostgreSQL code
 * never trips over it.
 *
 * Only AllocSet contexts are padded (Generation and Slab contexts carve
 * differently); the cost is 8 KB per allocation, fine for tests only.
 */
#include "postgres.h"

#include <sanitizer/asan_interface.h>

#include "nodes/memnodes.h"
#include "utils/memutils.h"

/* Above any AllocSet's allocChunkLimit (at most 8 KB): a dedicated block */
#define RC_SAN_BLOCK (8192 + 64)

extern void *__real_palloc(Size size);
extern void *__real_palloc0(Size size);
extern void *__real_palloc_extended(Size size, int flags);
extern void *__real_MemoryContextAlloc(MemoryContext context, Size size);
extern void *__real_MemoryContextAllocZero(MemoryContext context, Size size);
extern void *__real_MemoryContextAllocExtended(MemoryContext context, Size size, int flags);
extern void *__real_repalloc(void *pointer, Size size);

extern void *__wrap_palloc(Size size);
extern void *__wrap_palloc0(Size size);
extern void *__wrap_palloc_extended(Size size, int flags);
extern void *__wrap_MemoryContextAlloc(MemoryContext context, Size size);
extern void *__wrap_MemoryContextAllocZero(MemoryContext context, Size size);
extern void *__wrap_MemoryContextAllocExtended(MemoryContext context, Size size, int flags);
extern void *__wrap_repalloc(void *pointer, Size size);

/* Whether requests of size in context get a padded, dedicated block */
static bool
RcSanPads(MemoryContext context, Size size)
{
	return context != NULL && IsA(context, AllocSetContext) && size < RC_SAN_BLOCK;
}

/* Poison p[size..RC_SAN_BLOCK) of a padded block; returns p */
static void *
RcSanGuard(void *p, Size size)
{
	if (p != NULL)
		ASAN_POISON_MEMORY_REGION((char *) p + size, RC_SAN_BLOCK - size);
	return p;
}

/* Allocate size bytes in context, padded when it pays; see the file comment */
static void *
RcSanAlloc(MemoryContext context, Size size, int flags)
{
	if (!RcSanPads(context, size) || size > MaxAllocSize)
		return __real_MemoryContextAllocExtended(context, size, flags);
	return RcSanGuard(__real_MemoryContextAllocExtended(context, RC_SAN_BLOCK, flags), size);
}

void *
__wrap_palloc(Size size)
{
	return RcSanAlloc(CurrentMemoryContext, size, 0);
}

void *
__wrap_palloc0(Size size)
{
	return RcSanAlloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void *
__wrap_palloc_extended(Size size, int flags)
{
	return RcSanAlloc(CurrentMemoryContext, size, flags);
}

void *
__wrap_MemoryContextAlloc(MemoryContext context, Size size)
{
	return RcSanAlloc(context, size, 0);
}

void *
__wrap_MemoryContextAllocZero(MemoryContext context, Size size)
{
	return RcSanAlloc(context, size, MCXT_ALLOC_ZERO);
}

void *
__wrap_MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return RcSanAlloc(context, size, flags);
}

/*
 * Resize: a padded block is realloc'd to a fresh malloc block (ASan's
 * realloc clears the old poison), then the new tail is poisoned.
 */
void *
__wrap_repalloc(void *pointer, Size size)
{
	MemoryContext context = GetMemoryChunkContext(pointer);

	if (!RcSanPads(context, size))
		return __real_repalloc(pointer, size);
	return RcSanGuard(__real_repalloc(pointer, RC_SAN_BLOCK), size);
}
