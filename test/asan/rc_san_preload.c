/*
 * rc_san_preload.c — preloaded after libasan into the sanitizer suite's
 * PostgreSQL (22-extension-asan) so that ASan can start inside an
 * uninstrumented program.
 *
 * Why: with LD_PRELOAD, ASan initialises on the first intercepted malloc,
 * which in postgres happens inside a library constructor (libp11-kit calls
 * newlocale, libgpg-error bindtextdomain) while glibc holds its locale or
 * gettext rwlock. ASan's initialisation looks up swift_demangle with dlsym
 * and clears the failure with dlerror(), which translates the message and
 * takes the same rwlock: the lock word is corrupted and the process hangs in
 * setlocale or bindtextdomain (postgres, psql and initdb all hang; gcc 12,
 * glibc 2.36). When swift_demangle exists, dlsym succeeds, dlerror has
 * nothing to translate, and no lock is touched. ASan only calls it for Swift
 * symbol names, and NULL means "not demangled".
 */
#include <stddef.h>
#include <stdint.h>

char	   *swift_demangle(const char *mangled, size_t len, char *out, size_t *outlen, uint32_t flags);

/* Demangle nothing: NULL tells ASan to print the name as it is */
char *
swift_demangle(const char *mangled, size_t len, char *out, size_t *outlen, uint32_t flags)
{
	(void) mangled;
	(void) len;
	(void) out;
	(void) outlen;
	(void) flags;
	return NULL;
}
