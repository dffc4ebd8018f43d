/*-------------------------------------------------------------------------
 *
 * roomcast.c
 *	  Module entry point: the magic block and _PG_init, which asks each
 *	  subsystem to define its settings. Nothing else lives here.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define every roomcast.* setting and reserve the prefix */
void
_PG_init(void)
{
	RcIdentityInit();
	RcLoaderInit();

	MarkGUCPrefixReserved("roomcast");
}
