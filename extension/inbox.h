/*-------------------------------------------------------------------------
 *
 * inbox.h
 *	  The in-app notification inbox (SPEC §4), callable from C by the rpc
 *	  gateway. Every function acts for ident's user in ident's tenant and
 *	  emits the inbox events of SPEC §4.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_INBOX_H
#define ROOMCAST_INBOX_H

#include "postgres.h"
#include "identity.h"
#include "utils/array.h"
#include "utils/timestamp.h"

/* The user's unread count, O(1) */
extern int32 RcInboxUnreadCount(const RcIdentity *ident);

/* Mark the user's own ids (uuid[]) read; returns how many changed, *unread the new count */
extern int	RcInboxMarkRead(const RcIdentity *ident, ArrayType *ids, int32 *unread);

/* Mark every unread notification read; returns how many changed */
extern int	RcInboxMarkAllRead(const RcIdentity *ident, int32 *unread);

/*
 * A page of the user's notifications, newest first, as a jsonb array datum.
 * since: DT_NOBEGIN for none; before: NULL for none. Raises RC413 when lim
 * is over roomcast.max_page.
 */
extern Datum RcInboxRecent(const RcIdentity *ident, int lim, TimestampTz since,
						   const pg_uuid_t *before);

#endif							/* ROOMCAST_INBOX_H */
