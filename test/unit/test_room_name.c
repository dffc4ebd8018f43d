/*
 * test_room_name.c — unit tests of common/rc_room.c and common/rc_uuid.c, the
 * room grammar (SPEC §2) and UUID text shared by the extension and the
 * notifier. Table-driven: each row is one name and what it must be, with
 * the boundaries of the grammar (kinds of 31/32/33 characters, ids of
 * 128/129, UUIDs one character off, uppercase where only lowercase goes).
 */
#include <stdio.h>
#include <string.h>

#include "rc_room.h"
#include "rc_uuid.h"
#include "tap.h"

#define T "6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f60"
#define U "0b8a2d1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d"

/* A string of n copies of c (n < 300), in a rotating static buffer */
static const char *
rep(char c, int n)
{
	static char bufs[4][300];
	static int	k;
	char	   *b = bufs[k++ % 4];

	memset(b, c, (size_t) n);
	b[n] = '\0';
	return b;
}

typedef struct room_case
{
	const char *name;
	int			want;			/* -1: not a room; else rc_room_type */
	const char *kind;			/* RC_ROOM_KIND */
	const char *id;
} room_case;

static void
test_parse(void)
{
	char		k31[128],
				k32[128],
				k33[128],
				i128[300],
				i129[300];

	snprintf(k31, sizeof(k31), "tenant:" T ":a%s:x", rep('b', 30));
	snprintf(k32, sizeof(k32), "tenant:" T ":a%s:x", rep('b', 31));
	snprintf(k33, sizeof(k33), "tenant:" T ":a%s:x", rep('b', 32));
	snprintf(i128, sizeof(i128), "tenant:" T ":doc:%s", rep('Z', 128));
	snprintf(i129, sizeof(i129), "tenant:" T ":doc:%s", rep('Z', 129));
	{
		const room_case cases[] = {
			{"tenant:" T, RC_ROOM_TENANT, NULL, NULL},
			{"tenant:" T ":user:" U, RC_ROOM_USER, NULL, NULL},
			{"tenant:" T ":doc:42", RC_ROOM_KIND, "doc", "42"},
			{"tenant:" T ":a:A", RC_ROOM_KIND, "a", "A"},
			{"tenant:" T ":my-kind_2:a.b-c_D", RC_ROOM_KIND, "my-kind_2", "a.b-c_D"},
			{k32, RC_ROOM_KIND, NULL, NULL},	/* kind of 32 characters */
			{k31, RC_ROOM_KIND, NULL, NULL},
			{k33, -1, NULL, NULL},	/* kind of 33 */
			{i128, RC_ROOM_KIND, NULL, NULL},	/* id of 128 */
			{i129, -1, NULL, NULL},	/* id of 129 */
			{"", -1, NULL, NULL},
			{"tenant:", -1, NULL, NULL},
			{"tenant:" T ":", -1, NULL, NULL},
			{"tenant:" T ":doc", -1, NULL, NULL},	/* no id */
			{"tenant:" T ":doc:", -1, NULL, NULL},	/* empty id */
			{"tenant:" T "::x", -1, NULL, NULL},	/* empty kind */
			{"tenant:" T ":Doc:1", -1, NULL, NULL},	/* kind uppercase */
			{"tenant:" T ":1doc:1", -1, NULL, NULL},	/* kind starts with a digit */
			{"tenant:" T ":_doc:1", -1, NULL, NULL},
			{"tenant:" T ":do.c:1", -1, NULL, NULL},	/* '.' only in ids */
			{"tenant:" T ":doc:a:b", -1, NULL, NULL},	/* ':' in the id */
			{"tenant:" T ":doc:a b", -1, NULL, NULL},
			{"tenant:" T ":doc:a/b", -1, NULL, NULL},
			{"tenant:" T ":doc:\xc3\xa9", -1, NULL, NULL},	/* 8-bit */
			{"tenant:" T ":user:x", -1, NULL, NULL},	/* "user" wants a UUID */
			{"tenant:" T ":user:" U "0", -1, NULL, NULL},
			{"tenant:" T ":user:0B8A2D1C-3E4F-4A5B-8C6D-7E8F9A0B1C2D", -1, NULL, NULL},
			{"tenant:6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F60", -1, NULL, NULL},	/* uppercase tenant */
			{"tenant:6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6", -1, NULL, NULL},	/* 35 */
			{"tenant:6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f600", -1, NULL, NULL},	/* 37 */
			{"tenant:6f1c3a528b0e-4c9d-9e2a-1b2c3d4e5f60-", -1, NULL, NULL},
			{"Tenant:" T, -1, NULL, NULL},
			{"tenant;" T, -1, NULL, NULL},
			{"room:" T, -1, NULL, NULL},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			const room_case *c = &cases[i];
			rc_room		r;
			bool		got = rc_room_parse(c->name, strlen(c->name), &r);

			if (c->want < 0)
			{
				ok(!got, "parse refuses \"%.60s\" (%zu bytes)", c->name, strlen(c->name));
				continue;
			}
			ok(got && (int) r.type == c->want && memcmp(r.tenant, T, 36) == 0,
			   "parse \"%.60s\" (%zu bytes) as type %d", c->name, strlen(c->name), c->want);
			if (got && c->kind)
				ok(r.kind_len == strlen(c->kind) && memcmp(r.kind, c->kind, r.kind_len) == 0 &&
				   r.id_len == strlen(c->id) && memcmp(r.id, c->id, r.id_len) == 0,
				   "kind %s id %s", c->kind, c->id);
			if (got && c->want == RC_ROOM_USER)
				ok(memcmp(r.user, U, 36) == 0, "user of the user room");
		}
	}
	/* a name is parsed by its length, not its NUL */
	{
		rc_room		r;

		ok(rc_room_parse("tenant:" T ":doc:42", 7 + 36, &r) && r.type == RC_ROOM_TENANT,
		   "prefix of a name parsed as its tenant room");
		ok(!rc_room_parse(NULL, 0, &r), "NULL refused");
	}
}

static void
test_checks(void)
{
	ok(rc_room_kind_valid("a", 1), "kind of 1");
	ok(rc_room_kind_valid(rep('a', 32), 32), "kind of 32");
	ok(!rc_room_kind_valid(rep('a', 33), 33), "kind of 33 refused");
	ok(!rc_room_kind_valid("", 0), "empty kind refused");
	ok(!rc_room_kind_valid("-a", 2), "kind starting with '-' refused");
	ok(rc_room_id_valid(rep('9', 128), 128), "id of 128");
	ok(!rc_room_id_valid(rep('9', 129), 129), "id of 129 refused");
	ok(!rc_room_id_valid("", 0), "empty id refused");
	ok(rc_event_name_valid("notification:new", 16), "event name with ':'");
	ok(rc_event_name_valid(rep('e', 64), 64), "event name of 64");
	ok(!rc_event_name_valid(rep('e', 65), 65), "event name of 65 refused");
	ok(!rc_event_name_valid("a b", 3), "event name with a space refused");
	ok(rc_nsp_valid("/", 1), "namespace /");
	ok(rc_nsp_valid("/notifications", 14), "namespace /notifications");
	ok(!rc_nsp_valid("notifications", 13), "namespace without '/' refused");
	ok(!rc_nsp_valid("/a/b", 4), "namespace with a second '/' refused");
	{
		char		n[80];

		snprintf(n, sizeof(n), "/%s", rep('n', 63));
		ok(rc_nsp_valid(n, 64), "namespace of 64");
		snprintf(n, sizeof(n), "/%s", rep('n', 64));
		ok(!rc_nsp_valid(n, 65), "namespace of 65 refused");
	}
}

static void
test_build(void)
{
	char		out[RC_ROOM_MAX_LEN + 1];
	char		small[20];

	is_int(rc_room_tenant(out, sizeof(out), T), 43, "tenant room length");
	ok(strcmp(out, "tenant:" T) == 0, "tenant room");
	is_int(rc_room_user(out, sizeof(out), T, U), 85, "user room length");
	ok(strcmp(out, "tenant:" T ":user:" U) == 0, "user room");
	ok(rc_room_kind(out, sizeof(out), T, "doc", 3, "42", 2) > 0, "kind room built");
	ok(strcmp(out, "tenant:" T ":doc:42") == 0, "kind room");
	ok(rc_room_kind(out, sizeof(out), T, rep('k', 32), 32, rep('i', 128), 128) == RC_ROOM_MAX_LEN,
	   "the longest room name is RC_ROOM_MAX_LEN (%d)", RC_ROOM_MAX_LEN);
	ok(rc_room_kind(out, sizeof(out), T, rep('k', 33), 33, "1", 1) < 0 && out[0] == '\0', "kind of 33 not built");
	ok(rc_room_kind(out, sizeof(out), T, "doc", 3, rep('i', 129), 129) < 0, "id of 129 not built");
	ok(rc_room_kind(out, sizeof(out), T, "user", 4, U, 36) < 0, "\"user\" is not a kind");
	ok(rc_room_kind(out, sizeof(out), T, "doc", 3, "a:b", 3) < 0, "':' in an id not built");
	ok(rc_room_kind(out, sizeof(out), T, "a:b", 3, "c", 1) < 0, "':' in a kind not built");
	ok(rc_room_tenant(out, sizeof(out), "6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F60") < 0, "uppercase tenant not built");
	ok(rc_room_user(out, sizeof(out), T, "not-a-uuid") < 0, "bad user not built");
	ok(rc_room_tenant(small, sizeof(small), T) < 0 && small[0] == '\0', "too small a buffer: -1, empty");
	ok(rc_room_of_tenant("tenant:" T ":doc:42", 7 + 36 + 7, T), "room of its tenant");
	ok(!rc_room_of_tenant("tenant:" T ":doc:42", 7 + 36 + 7, U), "not a room of another tenant");
	ok(!rc_room_of_tenant("tenant:" T ":doc:", 7 + 36 + 5, T), "a malformed name is nobody's room");
}

typedef struct uuid_case
{
	const char *text;
	bool		any_case;		/* rc_uuid_parse(…, false) accepts */
	bool		lower;			/* rc_uuid_parse(…, true) accepts */
	const char *norm;			/* rc_uuid_normalize's output when accepted */
} uuid_case;

static void
test_uuid(void)
{
	static const uuid_case cases[] = {
		{T, true, true, T},
		{"6F1C3A52-8B0E-4C9D-9E2A-1B2C3D4E5F60", true, false, T},
		{"6f1C3a52-8B0e-4c9D-9e2A-1b2C3d4E5f60", true, false, T},
		{"00000000-0000-0000-0000-000000000000", true, true, "00000000-0000-0000-0000-000000000000"},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true, true, "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{"6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6", false, false, NULL},	/* 35 */
		{"6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f600", false, false, NULL},	/* 37 */
		{"6f1c3a528b0e4c9d9e2a1b2c3d4e5f60", false, false, NULL},	/* no hyphens */
		{"{6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6}", false, false, NULL},
		{"6f1c3a52+8b0e-4c9d-9e2a-1b2c3d4e5f60", false, false, NULL},
		{"6f1c3a5-28b0e-4c9d-9e2a-1b2c3d4e5f60", false, false, NULL},	/* hyphen moved */
		{"6g1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f60", false, false, NULL},
		{"6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6\xc3", false, false, NULL},
		{" 6f1c3a52-8b0e-4c9d-9e2a-1b2c3d4e5f6", false, false, NULL},
		{"------------------------------------", false, false, NULL},
		{"", false, false, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const uuid_case *c = &cases[i];
		uint8_t		b[RC_UUID_BYTES];
		char		norm[RC_UUID_TEXT_LEN + 1];
		size_t		len = strlen(c->text);

		ok(rc_uuid_parse(c->text, len, false, b) == c->any_case, "any case: \"%s\" %s", c->text,
		   c->any_case ? "accepted" : "refused");
		ok(rc_uuid_parse(c->text, len, true, b) == c->lower, "lowercase only: \"%s\" %s", c->text,
		   c->lower ? "accepted" : "refused");
		if (c->norm)
		{
			ok(rc_uuid_normalize(c->text, len, norm) && strcmp(norm, c->norm) == 0, "normalized to %s", c->norm);
			rc_uuid_parse(c->text, len, false, b);
			rc_uuid_format(b, norm);
			ok(strcmp(norm, c->norm) == 0, "parse then format round-trips");
		}
		else
			ok(!rc_uuid_normalize(c->text, len, norm), "normalize refuses it too");
	}
	{
		uint8_t		b[RC_UUID_BYTES];

		ok(rc_uuid_parse(T, 36, true, b) && b[0] == 0x6f && b[15] == 0x60, "bytes in order");
		ok(!rc_uuid_parse(NULL, 36, false, b), "NULL refused");
	}
}

int
main(void)
{
	test_parse();
	test_checks();
	test_build();
	test_uuid();
	return tap_done();
}
