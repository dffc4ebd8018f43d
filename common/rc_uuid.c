/*
 * rc_uuid.c — UUID text parsing and formatting (see rc_uuid.h). Before this
 * file there were three parsers (JWT claims, the extension's identity, room
 * names) that differed in which case they accepted; now one function with
 * one flag says it.
 */
#include "rc_uuid.h"

/* Value of hex digit c, or -1; uppercase only when !lower_only */
static int
rc_uuid_hex(char c, bool lower_only)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (!lower_only && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* True at the offsets of the four hyphens of 8-4-4-4-12 */
static bool
rc_uuid_hyphen_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

bool
rc_uuid_parse(const char *s, size_t len, bool lower_only, uint8_t out[RC_UUID_BYTES])
{
	size_t		j = 0;

	if (s == NULL || len != RC_UUID_TEXT_LEN)
		return false;
	for (size_t i = 0; i < RC_UUID_TEXT_LEN; i++)
	{
		int			v;

		if (rc_uuid_hyphen_at(i))
		{
			if (s[i] != '-')
				return false;
			continue;
		}
		if ((v = rc_uuid_hex(s[i], lower_only)) < 0)
			return false;
		if (j % 2 == 0)
			out[j / 2] = (uint8_t) (v << 4);
		else
			out[j / 2] |= (uint8_t) v;
		j++;
	}
	return true;
}

void
rc_uuid_format(const uint8_t in[RC_UUID_BYTES], char out[RC_UUID_TEXT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t		j = 0;

	for (size_t i = 0; i < RC_UUID_BYTES; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[in[i] >> 4];
		out[j++] = hex[in[i] & 0xF];
	}
	out[j] = '\0';
}

bool
rc_uuid_normalize(const char *s, size_t len, char out[RC_UUID_TEXT_LEN + 1])
{
	uint8_t		b[RC_UUID_BYTES];

	if (!rc_uuid_parse(s, len, false, b))
		return false;
	rc_uuid_format(b, out);
	return true;
}
