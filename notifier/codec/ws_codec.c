/*
 * ws_codec.c — RFC 6455 framing helpers (see ws_codec.h). No I/O.
 */
#include "codec/ws_codec.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

int
ws_frame_parse(const uint8_t *p, size_t n, bool require_mask, ws_frame *f)
{
	size_t		need = 2;
	uint8_t		len7;

	if (n < 2)
		return WS_NEED_MORE;
	if (p[0] & 0x70)
		return WS_ERR_PROTOCOL;	/* no extension negotiated: RSV must be 0 */
	f->fin = (p[0] & 0x80) != 0;
	f->opcode = p[0] & 0x0f;
	f->masked = (p[1] & 0x80) != 0;
	len7 = p[1] & 0x7f;
	switch (f->opcode)
	{
		case WS_OP_CONT:
		case WS_OP_TEXT:
		case WS_OP_BINARY:
			break;
		case WS_OP_CLOSE:
		case WS_OP_PING:
		case WS_OP_PONG:
			/* control frames: never fragmented, payload at most 125 */
			if (!f->fin || len7 > 125)
				return WS_ERR_PROTOCOL;
			break;
		default:
			return WS_ERR_PROTOCOL;
	}
	if (require_mask && !f->masked)
		return WS_ERR_PROTOCOL;
	if (len7 == 126)
		need += 2;
	else if (len7 == 127)
		need += 8;
	if (f->masked)
		need += 4;
	if (n < need)
		return WS_NEED_MORE;
	if (len7 == 126)
		f->len = ((uint64_t) p[2] << 8) | p[3];
	else if (len7 == 127)
	{
		f->len = 0;
		for (int i = 0; i < 8; i++)
			f->len = (f->len << 8) | p[2 + i];
		if (f->len >> 63)
			return WS_ERR_PROTOCOL;
	}
	else
		f->len = len7;
	if (f->masked)
		memcpy(f->mask, p + need - 4, 4);
	f->hdr_len = (uint32_t) need;
	return (int) need;
}

void
ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(offset + i) & 3];
}

size_t
ws_frame_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len)
{
	out[0] = (uint8_t) ((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126)
	{
		out[1] = (uint8_t) len;
		return 2;
	}
	if (len <= 0xffff)
	{
		out[1] = 126;
		out[2] = (uint8_t) (len >> 8);
		out[3] = (uint8_t) len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t) (len >> (56 - 8 * i));
	return 10;
}

/* Validate UTF-8 by the table of RFC 3629 §4 (well-formed byte sequences) */
bool
ws_utf8_valid(const uint8_t *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint8_t		c = p[i];
		uint8_t		lo = 0x80,
					hi = 0xbf;
		int			more;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
		{
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;		/* overlong */
			else if (c == 0xed)
				hi = 0x9f;		/* surrogates */
		}
		else if (c >= 0xf0 && c <= 0xf4)
		{
			more = 3;
			if (c == 0xf0)
				lo = 0x90;		/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;		/* above U+10FFFF */
		}
		else
			return false;
		if (n - i <= (size_t) more)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (int k = 2; k <= more; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return false;
		i += (size_t) more + 1;
	}
	return true;
}

int
ws_accept_key(const char *key, size_t keylen, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char digest[SHA_DIGEST_LENGTH];
	char		tmp[24 + sizeof(guid)];

	/* a 16-byte nonce, base64: 22 characters and "==" */
	if (keylen != 24 || key[22] != '=' || key[23] != '=')
		return -1;
	for (size_t i = 0; i < 22; i++)
	{
		char		c = key[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	memcpy(tmp, key, 24);
	memcpy(tmp + 24, guid, sizeof(guid) - 1);
	SHA1((const unsigned char *) tmp, 24 + sizeof(guid) - 1, digest);
	EVP_EncodeBlock((unsigned char *) out, digest, SHA_DIGEST_LENGTH);
	return 0;
}

/* A status code a peer may put in a close frame (§7.4.1, the IANA registry, 3000-4999) */
static bool
ws_close_code_valid(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

int
ws_close_check(const uint8_t *p, size_t n, uint16_t *reply)
{
	uint16_t	code;

	if (n == 0)
	{
		*reply = WS_CLOSE_NORMAL;
		return 0;
	}
	if (n == 1)
	{
		*reply = WS_CLOSE_PROTOCOL;
		return -1;
	}
	code = (uint16_t) ((p[0] << 8) | p[1]);
	if (!ws_close_code_valid(code))
	{
		*reply = WS_CLOSE_PROTOCOL;
		return -1;
	}
	if (!ws_utf8_valid(p + 2, n - 2))
	{
		*reply = WS_CLOSE_INVALID_DATA;
		return -1;
	}
	*reply = code;
	return 0;
}
