/*
 * rc_room.c — room names (see rc_room.h): the grammar of SPEC §2 as code,
 * used by the extension (emit, join, leave, recovery) and the notifier
 * (delivery, join/leave results, auth's tenant and user rooms).
 */
#include "rc_room.h"

#include <stdio.h>
#include <string.h>

static bool
rc_room_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
rc_room_alnum(char c)
{
	return rc_room_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool
rc_room_kind_valid(const char *s, size_t len)
{
	if (len < 1 || len > RC_ROOM_KIND_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!rc_room_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool
rc_room_id_valid(const char *s, size_t len)
{
	if (len < 1 || len > RC_ROOM_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!rc_room_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool
rc_event_name_valid(const char *s, size_t len)
{
	if (len < 1 || len > RC_EVENT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!rc_room_alnum(s[i]) && s[i] != ':' && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool
rc_nsp_valid(const char *s, size_t len)
{
	if (len < 1 || len > RC_NSP_MAX || s[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!rc_room_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* True when s[0..RC_UUID_TEXT_LEN) is lowercase canonical UUID text */
static bool
rc_room_uuid_ok(const char *s)
{
	uint8_t		b[RC_UUID_BYTES];

	return rc_uuid_parse(s, RC_UUID_TEXT_LEN, true, b);
}

bool
rc_room_parse(const char *s, size_t len, rc_room *out)
{
	const size_t head = RC_ROOM_PREFIX_LEN + RC_UUID_TEXT_LEN;	/* tenant:{t} */
	const char *rest;
	const char *colon;
	size_t		rest_len;

	memset(out, 0, sizeof(*out));
	if (s == NULL || len < head || len > RC_ROOM_MAX_LEN ||
		memcmp(s, RC_ROOM_PREFIX, RC_ROOM_PREFIX_LEN) != 0 || !rc_room_uuid_ok(s + RC_ROOM_PREFIX_LEN))
		return false;
	out->tenant = s + RC_ROOM_PREFIX_LEN;
	if (len == head)
	{
		out->type = RC_ROOM_TENANT;
		return true;
	}
	if (s[head] != ':')
		return false;
	rest = s + head + 1;
	rest_len = len - head - 1;
	if ((colon = memchr(rest, ':', rest_len)) == NULL)
		return false;
	out->kind = rest;
	out->kind_len = (size_t) (colon - rest);
	out->id = colon + 1;
	out->id_len = rest_len - out->kind_len - 1;
	if (out->kind_len == sizeof(RC_ROOM_USER_KIND) - 1 &&
		memcmp(rest, RC_ROOM_USER_KIND, out->kind_len) == 0)
	{
		out->type = RC_ROOM_USER;
		out->user = out->id;
		out->kind = out->id = NULL;
		out->kind_len = out->id_len = 0;
		return rest_len - sizeof(RC_ROOM_USER_KIND) == RC_UUID_TEXT_LEN && rc_room_uuid_ok(out->user);
	}
	out->type = RC_ROOM_KIND;
	return rc_room_kind_valid(out->kind, out->kind_len) && rc_room_id_valid(out->id, out->id_len);
}

bool
rc_room_of_tenant(const char *s, size_t len, const char *tenant)
{
	rc_room		r;

	return tenant != NULL && rc_room_parse(s, len, &r) &&
		memcmp(r.tenant, tenant, RC_UUID_TEXT_LEN) == 0;
}

/* The length of out after snprintf, when it is a room name; else -1 */
static int
rc_room_checked(char *out, size_t size, int n)
{
	rc_room		r;

	if (n < 0 || (size_t) n >= size || !rc_room_parse(out, (size_t) n, &r))
	{
		if (size > 0)
			out[0] = '\0';
		return -1;
	}
	return n;
}

int
rc_room_tenant(char *out, size_t size, const char *tenant)
{
	return rc_room_checked(out, size, snprintf(out, size, RC_ROOM_PREFIX "%.*s",
											   RC_UUID_TEXT_LEN, tenant));
}

int
rc_room_user(char *out, size_t size, const char *tenant, const char *user)
{
	return rc_room_checked(out, size, snprintf(out, size, RC_ROOM_PREFIX "%.*s:" RC_ROOM_USER_KIND ":%.*s",
											   RC_UUID_TEXT_LEN, tenant, RC_UUID_TEXT_LEN, user));
}

int
rc_room_kind(char *out, size_t size, const char *tenant,
			 const char *kind, size_t kind_len, const char *id, size_t id_len)
{
	rc_room		r;
	int			n;

	if (kind_len > RC_ROOM_KIND_MAX || id_len > RC_ROOM_ID_MAX)
	{
		if (size > 0)
			out[0] = '\0';
		return -1;
	}
	n = snprintf(out, size, RC_ROOM_PREFIX "%.*s:%.*s:%.*s", RC_UUID_TEXT_LEN, tenant,
				 (int) kind_len, kind, (int) id_len, id);
	/* "user" is not a kind: tenant:{t}:user:{u} is built by rc_room_user */
	if ((n = rc_room_checked(out, size, n)) < 0 || !rc_room_parse(out, (size_t) n, &r) || r.type != RC_ROOM_KIND)
	{
		if (size > 0)
			out[0] = '\0';
		return -1;
	}
	return n;
}
