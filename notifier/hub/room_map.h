/*
 * room_map.h — room membership: a hash map from room name to an intrusive
 * doubly-linked list of members, and for each socket the singly-linked list
 * of its own memberships, so that leaving every room on disconnect costs
 * O(rooms of that socket) and fan-out walks only the room's members.
 * Session logic: no I/O. Rooms are created on first join and freed when
 * their last member leaves.
 */
#ifndef RC_NOTIFIER_ROOM_MAP_H
#define RC_NOTIFIER_ROOM_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "session/sio_sess.h"

typedef struct room room;

/* One socket in one room; owned by the room map */
typedef struct room_member
{
	struct room_member *prev;	/* the room's members */
	struct room_member *next;
	struct room_member *snext;	/* the socket's memberships */
	room	   *room;
	sio_socket *sock;
} room_member;

/*
 * Add sock (whose membership list head is *socket_rooms) to the room called
 * name[0..len). Joining a room twice is a no-op. Returns 0, or -1 when out
 * of memory or the name is longer than ROOM_MAX_NAME (nothing changed).
 */
#define ROOM_MAX_NAME 512
int			room_join(room_member **socket_rooms, sio_socket *sock, const char *name, size_t len);

/* Remove the socket from the room name[0..len); true if it was a member */
bool		room_leave(room_member **socket_rooms, const char *name, size_t len);

/* Remove the socket from every room it is in; *socket_rooms becomes NULL */
void		room_leave_all(room_member **socket_rooms);

/* The room called name[0..len), or NULL when nobody is in it */
room	   *room_find(const char *name, size_t len);

/* The first member of r (follow ->next); NULL when r is NULL */
room_member *room_first(room *r);

/* Number of members of r; 0 when r is NULL */
size_t		room_size(const room *r);

/*
 * The room's name (NUL-terminated). For a user room (tenant:{t}:user:{u},
 * kept as bytes: room_map.c) the text is made in a static buffer that the
 * fourth call after this one reuses: copy it to keep it longer.
 */
const char *room_name(const room *r);

/* Number of non-empty rooms */
size_t		room_count(void);

#endif
