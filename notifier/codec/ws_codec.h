/*
 * ws_codec.h — RFC 6455 WebSocket framing for the server side: frame header
 * parsing (incremental), unmasking, header encoding, UTF-8 validation and the
 * Sec-WebSocket-Accept key. No I/O; unit-tested on byte strings.
 */
#ifndef RC_NOTIFIER_WS_CODEC_H
#define RC_NOTIFIER_WS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum
{
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA
};

/* Close status codes we send */
enum
{
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_INVALID_DATA = 1007,	/* invalid UTF-8 in a text message */
	WS_CLOSE_TOO_BIG = 1009
};

/* ws_frame_parse results besides a header length */
#define WS_NEED_MORE	0
#define WS_ERR_PROTOCOL (-1)	/* reserved bits, unknown opcode, bad control frame, unmasked */

typedef struct ws_frame
{
	bool		fin;
	uint8_t		opcode;
	bool		masked;
	uint8_t		mask[4];
	uint64_t	len;			/* payload length */
	uint32_t	hdr_len;		/* bytes of header, including the mask */
} ws_frame;

/*
 * Parse the frame header at p (n bytes available). Returns the header length
 * (> 0) and fills *f; WS_NEED_MORE if the header is incomplete; or
 * WS_ERR_PROTOCOL. A client frame must be masked (require_mask).
 */
int			ws_frame_parse(const uint8_t *p, size_t n, bool require_mask, ws_frame *f);

/* XOR-unmask n bytes in place; offset is the position within the payload */
void		ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset);

/*
 * Write an unmasked server frame header for a payload of len bytes into out
 * (at least 10 bytes). Returns the header length.
 */
size_t		ws_frame_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len);

/* True if p[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF) */
bool		ws_utf8_valid(const uint8_t *p, size_t n);

/*
 * Check the payload of a received close frame (RFC 6455 §5.5.1, §7.4):
 * empty, or a status code an endpoint may send followed by a UTF-8 reason.
 * Returns 0 with *reply the code to echo (WS_CLOSE_NORMAL when none was
 * given), or -1 with *reply WS_CLOSE_PROTOCOL (1-byte payload; a code below
 * 1000, 1004-1006, 1015-2999 or 5000 and up) or WS_CLOSE_INVALID_DATA (the
 * reason is not UTF-8).
 */
int			ws_close_check(const uint8_t *p, size_t n, uint16_t *reply);

/*
 * Compute Sec-WebSocket-Accept for the client's key into out (29 bytes with
 * the NUL). Returns 0, or -1 if the key is not 24 base64 characters.
 */
int			ws_accept_key(const char *key, size_t keylen, char out[29]);

#endif
