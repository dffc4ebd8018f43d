/*
 * rc_room.h — room names and the names that travel with an event (SPEC §2),
 * defined once for the extension and the notifier (no PostgreSQL headers):
 *
 *   tenant:{t}                 every socket of tenant t
 *   tenant:{t}:user:{u}        every socket of user u of tenant t
 *   tenant:{t}:{kind}:{id}     joined through a registered kind's policy
 *
 * t and u are lowercase canonical UUIDs, kind matches [a-z][a-z0-9_-]{0,31}
 * and is not "user", id matches [A-Za-z0-9_.-]{1,128}. One room has one
 * name: nothing is case-folded or normalized.
 */
#ifndef RC_ROOM_H
#define RC_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "rc_uuid.h"

#define RC_ROOM_PREFIX "tenant:"
#define RC_ROOM_PREFIX_LEN 7
#define RC_ROOM_USER_KIND "user"
#define RC_ROOM_KIND_MAX 32
#define RC_ROOM_ID_MAX 128
#define RC_EVENT_NAME_MAX 64
#define RC_NSP_MAX 64
/* tenant:<36>:<kind 32>:<id 128>, the longest name */
#define RC_ROOM_MAX_LEN \
	(RC_ROOM_PREFIX_LEN + RC_UUID_TEXT_LEN + 1 + RC_ROOM_KIND_MAX + 1 + RC_ROOM_ID_MAX)

typedef enum rc_room_type
{
	RC_ROOM_TENANT,				/* tenant:{t} */
	RC_ROOM_USER,				/* tenant:{t}:user:{u} */
	RC_ROOM_KIND				/* tenant:{t}:{kind}:{id} */
} rc_room_type;

/* A parsed room name; every pointer points into the parsed name */
typedef struct rc_room
{
	rc_room_type type;
	const char *tenant;			/* RC_UUID_TEXT_LEN characters */
	const char *user;			/* RC_ROOM_USER: RC_UUID_TEXT_LEN characters; else NULL */
	const char *kind;			/* RC_ROOM_KIND; else NULL */
	size_t		kind_len;
	const char *id;				/* RC_ROOM_KIND; else NULL */
	size_t		id_len;
} rc_room;

/* Syntax checks: true when s[0..len) is well formed */
bool		rc_room_kind_valid(const char *s, size_t len);	/* [a-z][a-z0-9_-]{0,31} */
bool		rc_room_id_valid(const char *s, size_t len);	/* [A-Za-z0-9_.-]{1,128} */
bool		rc_event_name_valid(const char *s, size_t len);	/* [A-Za-z0-9:_.-]{1,64} */
bool		rc_nsp_valid(const char *s, size_t len);	/* /[A-Za-z0-9_.-]{0,63} */

/* Parse s[0..len) as a room name into out; false when it is not one */
bool		rc_room_parse(const char *s, size_t len, rc_room *out);

/*
 * True when s[0..len) is a room name of tenant (RC_UUID_TEXT_LEN characters
 * of lowercase UUID text), of any type.
 */
bool		rc_room_of_tenant(const char *s, size_t len, const char *tenant);

/*
 * Build a room name into out[size] (NUL-terminated); tenant and user are
 * RC_UUID_TEXT_LEN characters of UUID text. Returns the name's length, or
 * -1 when the result would not be a room name (bad UUID, kind or id; or
 * "user" as a kind) or does not fit.
 */
int			rc_room_tenant(char *out, size_t size, const char *tenant);
int			rc_room_user(char *out, size_t size, const char *tenant, const char *user);
int			rc_room_kind(char *out, size_t size, const char *tenant,
						 const char *kind, size_t kind_len, const char *id, size_t id_len);

#endif
