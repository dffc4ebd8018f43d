/*
 * room_map.c — room name → members (see room_map.h).
 *
 * Open hashing with chains; the table doubles when it holds more rooms than
 * buckets, so lookups stay O(1) on average. A room is one allocation (the
 * struct with its name); a membership is one allocation.
 */
#include "hub/room_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct room
{
	struct room *hnext;			/* hash chain */
	room_member *members;		/* head of the members list */
	size_t		size;			/* number of members */
	uint32_t	hash;
	uint32_t	len;
	char		name[];			/* NUL-terminated */
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

room *
room_find(const char *name, size_t len)
{
	uint32_t	h;

	if (room_buckets == 0)
		return NULL;
	h = room_hash(name, len);
	for (room *r = room_table[h & (room_buckets - 1)]; r; r = r->hnext)
		if (r->hash == h && r->len == len && memcmp(r->name, name, len) == 0)
			return r;
	return NULL;
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

	if (len > ROOM_MAX_NAME)
		return -1;
	for (m = *socket_rooms; m; m = m->snext)
		if (m->room->len == len && memcmp(m->room->name, name, len) == 0)
			return 0;
	if (room_n + 1 > room_buckets)
		room_table_grow();
	if (room_buckets == 0)
		return -1;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	r = room_find(name, len);
	if (r == NULL)
	{
		r = calloc(1, sizeof(*r) + len + 1);
		if (r == NULL)
		{
			free(m);
			return -1;
		}
		r->hash = room_hash(name, len);
		r->len = (uint32_t) len;
		memcpy(r->name, name, len);
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
	for (room_member **pp = socket_rooms; *pp; pp = &(*pp)->snext)
	{
		room_member *m = *pp;

		if (m->room->len == len && memcmp(m->room->name, name, len) == 0)
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
	return r->name;
}

size_t
room_count(void)
{
	return room_n;
}
