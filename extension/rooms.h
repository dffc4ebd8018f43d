/*-------------------------------------------------------------------------
 *
 * rooms.h
 *	  Room names (SPEC §2) for the extension: the checks that raise errors,
 *	  the builders, and authorize_join. The grammar (tenant:{t},
 *	  tenant:{t}:user:{u}, tenant:{t}:{kind}:{id}) is common/rc_room.h,
 *	  shared with the notifier.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_ROOMS_H
#define ROOMCAST_ROOMS_H

#include "postgres.h"
#include "utils/uuid.h"
#include "identity.h"
#include "rc_room.h"				/* the grammar itself: common/rc_room.c */

/*
 * Check that room (len bytes) is a well-formed room of tenant: raises RC413
 * when malformed, RC404 when it belongs to another tenant.
 */
extern void RcRoomCheck(const char *room, size_t len, const pg_uuid_t *tenant);

/* Raise RC413 unless event / nsp are well formed */
extern void RcEventNameCheck(const char *event, size_t len);
extern void RcNspCheck(const char *nsp, size_t len);

/* palloc'd room names */
extern char *RcRoomTenant(const pg_uuid_t *tenant);
extern char *RcRoomUser(const pg_uuid_t *tenant, const pg_uuid_t *user);

/*
 * Authorize the current user to join kind:id in the current tenant (kind
 * registered, policy passes); returns the palloc'd room name or raises
 * RC404 / RC413.
 */
extern char *RcRoomAuthorizeJoin(const char *kind, size_t kind_len,
								 const char *id, size_t id_len);

#endif							/* ROOMCAST_ROOMS_H */
