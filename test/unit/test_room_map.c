/*
 * test_room_map.c — unit tests of notifier/hub/room_map.c (room name → members):
 * join, duplicate join, leave, leave-all, rooms freed when empty, table
 * growth, long names. room_map.c does no I/O, so it is compiled in here whole;
 * sockets are only addresses to it.
 */
#include "hub/room_map.c"

#include <stdio.h>

#include "tap.h"

/* Is sock a member of the room called name? */
static bool
has_member(const char *name, const sio_socket *sock)
{
	for (room_member *m = room_first(room_find(name, strlen(name))); m; m = m->next)
		if (m->sock == sock)
			return true;
	return false;
}

int
main(void)
{
	sio_socket	s1 = {0},
				s2 = {0};
	room_member *r1 = NULL,
			   *r2 = NULL;
	room_member *many = NULL;
	char		name[ROOM_MAX_NAME + 2];

	ok(room_find("tenant:a", 8) == NULL, "no room before the first join");
	ok(room_join(&r1, &s1, "tenant:a", 8) == 0, "join");
	ok(room_join(&r1, &s1, "tenant:a", 8) == 0 && room_size(room_find("tenant:a", 8)) == 1,
	   "joining twice is a no-op");
	ok(room_join(&r2, &s2, "tenant:a", 8) == 0 && room_size(room_find("tenant:a", 8)) == 2,
	   "a second socket in the same room");
	room_join(&r1, &s1, "tenant:a:user:1", 15);
	room_join(&r1, &s1, "tenant:a:doc:7", 14);
	ok(room_count() == 3, "three rooms");
	ok(has_member("tenant:a", &s1) && has_member("tenant:a", &s2), "both are members");
	ok(room_find("tenant:a:doc", 12) == NULL, "a prefix is another room");
	is_str(room_name(room_find("tenant:a:doc:7", 14)), "tenant:a:doc:7", "room_name");

	ok(room_leave(&r1, "tenant:a:doc:7", 14) && room_find("tenant:a:doc:7", 14) == NULL,
	   "leaving the last member frees the room");
	ok(!room_leave(&r1, "tenant:a:doc:7", 14), "leaving a room one is not in: false");
	room_leave_all(&r1);
	ok(r1 == NULL && !has_member("tenant:a", &s1) && has_member("tenant:a", &s2),
	   "leave_all removes only that socket");
	ok(room_find("tenant:a:user:1", 15) == NULL && room_count() == 1, "its own rooms are gone");
	room_leave_all(&r2);
	ok(room_count() == 0 && room_find("tenant:a", 8) == NULL, "all rooms freed");

	/* growth: 5000 rooms, all found, then all freed */
	for (int i = 0; i < 5000; i++)
	{
		int			n = snprintf(name, sizeof(name), "tenant:t:doc:%d", i);

		room_join(&many, &s1, name, (size_t) n);
	}
	{
		int			found = 0;

		for (int i = 0; i < 5000; i++)
		{
			int			n = snprintf(name, sizeof(name), "tenant:t:doc:%d", i);

			found += room_size(room_find(name, (size_t) n)) == 1;
		}
		ok(found == 5000 && room_count() == 5000, "5000 rooms after the table grew (%d found)", found);
	}
	room_leave_all(&many);
	ok(room_count() == 0 && many == NULL, "5000 rooms left");

	/* a user room in the form rc_room_user builds keeps its name as 32 bytes, and gives it back */
	{
		const char *un = "tenant:f0000000-0000-4000-8000-000000000001:user:f0000000-0000-4000-9000-00000000000a";
		const char *upper = "tenant:f0000000-0000-4000-8000-000000000001:user:F0000000-0000-4000-9000-00000000000A";
		room	   *r;

		ok(room_join(&many, &s1, un, strlen(un)) == 0 && (r = room_find(un, strlen(un))) != NULL && r->user_key,
		   "a user room is kept as its UUIDs' bytes");
		is_str(room_name(room_find(un, strlen(un))), un, "room_name gives the user room's text back");
		ok(room_join(&many, &s1, un, strlen(un)) == 0 && room_size(room_find(un, strlen(un))) == 1,
		   "joining the user room twice is a no-op");
		ok(room_join(&r2, &s2, upper, strlen(upper)) == 0 && (r = room_find(upper, strlen(upper))) != NULL &&
		   !r->user_key && r != room_find(un, strlen(un)) && room_count() == 2,
		   "the same UUIDs in upper case: another room, kept as text");
		is_str(room_name(room_find(upper, strlen(upper))), upper, "its name as given");
		ok(room_leave(&many, un, strlen(un)) && room_find(un, strlen(un)) == NULL && room_find(upper, strlen(upper)),
		   "leaving the user room frees it, not the other one");
		room_leave_all(&r2);
		ok(room_count() == 0, "all rooms freed");
	}

	memset(name, 'x', sizeof(name));
	ok(room_join(&many, &s1, name, ROOM_MAX_NAME + 1) == -1 && many == NULL,
	   "a name over ROOM_MAX_NAME is refused");
	ok(room_join(&many, &s1, name, ROOM_MAX_NAME) == 0, "a name of ROOM_MAX_NAME bytes is fine");
	room_leave_all(&many);
	free(room_table);
	return tap_done();
}
