/*-------------------------------------------------------------------------
 *
 * rooms.h
 *	  Room names (SPEC §2) and the name checks shared by events, inbox and
 *	  rpc: tenant:{t}, tenant:{t}:user:{u}, tenant:{t}:{kind}:{id}.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ROOMCAST_ROOMS_H
#define ROOMCAST_ROOMS_H

#include "postgres.h"
#include "utils/uuid.h"
#include "identity.h"

/* tenant:<36>:<kind 32>:<id 128> */
#define RC_ROOM_MAX_LEN		(7 + 36 + 1 + 32 + 1 + 128)

typedef enum RcRoomType
{
	RC_ROOM_TENANT,				/* tenant:{t} */
	RC_ROOM_USER,				/* tenant:{t}:user:{u} */
	RC_ROOM_KIND				/* tenant:{t}:{kind}:{id} */
} RcRoomType;

/* A parsed room name; kind and id point into the parsed string */
typedef struct RcRoom
{
	RcRoomType	type;
	pg_uuid_t	tenant;
	pg_uuid_t	user;			/* RC_ROOM_USER */
	const char *kind;			/* RC_ROOM_KIND */
	int			kind_len;
	const char *id;				/* RC_ROOM_KIND */
	int			id_len;
} RcRoom;

/* Syntax checks: true when s (len bytes) is well formed */
extern bool RcRoomKindValid(const char *s, size_t len);	/* [a-z][a-z0-9_-]{0,31} */
extern bool RcRoomIdValid(const char *s, size_t len);	/* [A-Za-z0-9_.-]{1,128} */
extern bool RcEventNameValid(const char *s, size_t len);	/* [A-Za-z0-9:_.-]{1,64} */
extern bool RcNspValid(const char *s, size_t len);	/* /[A-Za-z0-9_.-]{0,63} */

/* Parse a room name; false when it is not one (lowercase uuids only) */
extern bool RcRoomParse(const char *s, size_t len, RcRoom *out);

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
