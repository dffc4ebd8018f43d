/*
 * rc_uuid.h — the one UUID text parser of roomcast, linked into the
 * extension and the notifier (no PostgreSQL headers). Accepts exactly the
 * canonical 8-4-4-4-12 form of 36 characters: no braces, no "urn:uuid:", no
 * missing hyphens (what the claims, room names and control messages carry).
 */
#ifndef RC_UUID_H
#define RC_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_UUID_TEXT_LEN 36		/* canonical text, without the NUL */
#define RC_UUID_BYTES 16

/*
 * Parse s[0..len) as canonical UUID text into out[16]. Hex digits of either
 * case, unless lower_only (room names are lowercase: one room, one name).
 * False, with out unspecified, for anything else.
 */
bool		rc_uuid_parse(const char *s, size_t len, bool lower_only, uint8_t out[RC_UUID_BYTES]);

/* Parse canonical UUID text (either case) into lowercase out[37], NUL-terminated */
bool		rc_uuid_normalize(const char *s, size_t len, char out[RC_UUID_TEXT_LEN + 1]);

/* Format 16 bytes as canonical lowercase text into out[37] */
void		rc_uuid_format(const uint8_t in[RC_UUID_BYTES], char out[RC_UUID_TEXT_LEN + 1]);

#endif
