/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  Transaction-local identity; see identity.h. (Being written.)
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "identity.h"

/* Define the identity settings */
void
RcIdentityInit(void)
{
}
