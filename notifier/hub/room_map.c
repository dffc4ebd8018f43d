/*
 * room_map.c — room name → members (see room_map.h).
 *
 * Open hashing with chains; the table doubles when it holds more rooms than
 * buckets, so lookups stay O(1) on average. A room is one allocation (the
 * struct with its name); a membership is one allocation.
 *
 * Memory: every authenticated socket is in its user room tenant:{t}:user:{u}
 * (85 characters), usually alone, so such a room keeps its name as the two
 * UUIDs' 32 bytes (an 80-byte allocation instead of 128); room_name gives
 * the text back. Only a name that comes back exactly from those bytes is
 * kept so (lowercase canonical UUIDs: the names rc_room_user builds).
 */
#include "hub/room_map.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc_uuid.h"

#define ROOM_USER_LEN 85		/* "tenant:" UUID ":user:" UUID */
#define ROOM_USER_KEY 32		/* the two UUIDs' bytes */

struct room
{
	struct room *hnext;			/* hash chain */
	room_member *members;		/* head of the members list */
	uint32_t	size;			/* number of members */
	uint32_t	hash;			/* of the name's text */
	uint16_t	len;			/* the name's text length */
	uint8_t		user_key;		/* name holds the ROOM_USER_KEY bytes of a user room's UUIDs */
	char		name[];			/* NUL-terminated text, or those bytes */
};

static room **room_table;
static size_t room_buckets;
static size_t room_n;

/* FNV-1a over the name */
static uint32_t
room_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t) s[i]) * 16777619u;
	return h;
}

/*
 * True when name[0..len) is a user room in the form rc_room_user builds;
 * then key holds its two UUIDs' bytes, which give back exactly that text.
 */
static bool
room_user_key(const char *name, size_t len, uint8_t key[ROOM_USER_KEY])
{
	char		again[RC_UUID_TEXT_LEN + 1];

	if (len != ROOM_USER_LEN || memcmp(name, "tenant:", 7) != 0 || memcmp(name + 43, ":user:", 6) != 0 ||
		!rc_uuid_parse(name + 7, 36, true, key) || !rc_uuid_parse(name + 49, 36, true, key + 16))
		return false;
	rc_uuid_format(key, again);
	if (memcmp(again, name + 7, 36) != 0)
		return false;
	rc_uuid_format(key + 16, again);
	return memcmp(again, name + 49, 36) == 0;
}

/* A name looked for: its text, and its key when it is a user room's */
typedef struct room_key
{
	const char *name;
	size_t		len;
	bool		is_user;
	uint8_t		key[ROOM_USER_KEY];
} room_key;

static void
room_key_of(room_key *k, const char *name, size_t len)
{
	k->name = name;
	k->len = len;
	k->is_user = room_user_key(name, len, k->key);
}

/* True when r is the room k names */
static bool
room_is(const room *r, const room_key *k)
{
	if (r->len != k->len || (bool) r->user_key != k->is_user)
		return false;
	return memcmp(r->name, k->is_user ? (const char *) k->key : k->name, k->is_user ? ROOM_USER_KEY : k->len) == 0;
}

/* Double the table (or create it); on allocation failure keep the old one */
static void
room_table_grow(void)
{
	size_t		nb = room_buckets ? room_buckets * 2 : 256;
	room	  **nt = calloc(nb, sizeof(room *));

	if (nt == NULL)
		return;
	for (size_t i = 0; i < room_buckets; i++)
		while (room_table[i])
		{
			room	   *r = room_table[i];

			room_table[i] = r->hnext;
			r->hnext = nt[r->hash & (nb - 1)];
			nt[r->hash & (nb - 1)] = r;
		}
	free(room_table);
	room_table = nt;
	room_buckets = nb;
}

/* The room k names, or NULL */
static room *
room_find_key(const room_key *k)
{
	uint32_t	h;

	if (room_buckets == 0)
		return NULL;
	h = room_hash(k->name, k->len);
	for (room *r = room_table[h & (room_buckets - 1)]; r; r = r->hnext)
		if (r->hash == h && room_is(r, k))
			return r;
	return NULL;
}

room *
room_find(const char *name, size_t len)
{
	room_key	k;

	if (len > ROOM_MAX_NAME)
		return NULL;
	room_key_of(&k, name, len);
	return room_find_key(&k);
}

/* Unlink an empty room from the table and free it */
static void
room_free(room *r)
{
	room	  **pp = &room_table[r->hash & (room_buckets - 1)];

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	room_n--;
	free(r);
}

int
room_join(room_member **socket_rooms, sio_socket *sock, const char *name, size_t len)
{
	room	   *r;
	room_member *m;
	room_key	k;

	if (len > ROOM_MAX_NAME)
		return -1;
	room_key_of(&k, name, len);
	for (m = *socket_rooms; m; m = m->snext)
		if (room_is(m->room, &k))
			return 0;
	if (room_n + 1 > room_buckets)
		room_table_grow();
	if (room_buckets == 0)
		return -1;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	r = room_find_key(&k);
	if (r == NULL)
	{
		r = calloc(1, offsetof(room, name) + (k.is_user ? ROOM_USER_KEY : len + 1));
		if (r == NULL)
		{
			free(m);
			return -1;
		}
		r->hash = room_hash(name, len);
		r->len = (uint16_t) len;
		r->user_key = k.is_user;
		memcpy(r->name, k.is_user ? (const char *) k.key : name, k.is_user ? ROOM_USER_KEY : len);
		r->hnext = room_table[r->hash & (room_buckets - 1)];
		room_table[r->hash & (room_buckets - 1)] = r;
		room_n++;
	}
	m->room = r;
	m->sock = sock;
	m->next = r->members;
	if (r->members)
		r->members->prev = m;
	r->members = m;
	r->size++;
	m->snext = *socket_rooms;
	*socket_rooms = m;
	return 0;
}

/* Unlink m from its room (freeing the room when it empties) and free m */
static void
member_remove(room_member *m)
{
	room	   *r = m->room;

	if (m->prev)
		m->prev->next = m->next;
	else
		r->members = m->next;
	if (m->next)
		m->next->prev = m->prev;
	if (--r->size == 0)
		room_free(r);
	free(m);
}

bool
room_leave(room_member **socket_rooms, const char *name, size_t len)
{
	room_key	k;

	if (len > ROOM_MAX_NAME)
		return false;
	room_key_of(&k, name, len);
	for (room_member **pp = socket_rooms; *pp; pp = &(*pp)->snext)
	{
		room_member *m = *pp;

		if (room_is(m->room, &k))
		{
			*pp = m->snext;
			member_remove(m);
			return true;
		}
	}
	return false;
}

void
room_leave_all(room_member **socket_rooms)
{
	while (*socket_rooms)
	{
		room_member *m = *socket_rooms;

		*socket_rooms = m->snext;
		member_remove(m);
	}
}

room_member *
room_first(room *r)
{
	return r ? r->members : NULL;
}

size_t
room_size(const room *r)
{
	return r ? r->size : 0;
}

const char *
room_name(const room *r)
{
	/* a user room's text, made again in one of four buffers taken in turn (room_map.h) */
	static char texts[4][ROOM_USER_LEN + 1];
	static unsigned next;
	char	   *t;

	if (!r->user_key)
		return r->name;
	t = texts[next++ % 4];
	memcpy(t, "tenant:", 7);
	rc_uuid_format((const uint8_t *) r->name, t + 7);
	memcpy(t + 43, ":user:", 6);
	rc_uuid_format((const uint8_t *) r->name + 16, t + 49);
	return t;
}

size_t
room_count(void)
{
	return room_n;
}
