/*
 * eio_codec.h — Engine.IO v4 packets and HTTP long-polling payloads.
 *
 * A text packet is one type digit followed by its data ("4hello"); over
 * WebSocket a binary frame is a binary MESSAGE packet as is. A polling
 * payload joins packets with the record separator 0x1e; a binary packet in a
 * payload is "b" followed by its base64. No I/O; unit-tested on byte strings.
 */
#ifndef RC_NOTIFIER_EIO_CODEC_H
#define RC_NOTIFIER_EIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef enum eio_type
{
	EIO_OPEN = 0,
	EIO_CLOSE = 1,
	EIO_PING = 2,
	EIO_PONG = 3,
	EIO_MESSAGE = 4,
	EIO_UPGRADE = 5,
	EIO_NOOP = 6
} eio_type;

#define EIO_SEPARATOR '\x1e'

typedef struct eio_packet
{
	eio_type	type;
	bool		binary;			/* data is bytes (type is EIO_MESSAGE) */
	const char *data;			/* points into the decoded input */
	size_t		len;
} eio_packet;

/* Results of the decoders */
#define EIO_OK			0
#define EIO_ERR_FORMAT	(-1)	/* unknown type, empty packet, bad base64 */

/*
 * Decode one text packet (a WebSocket text frame, or one record of a polling
 * payload that is not binary). The data points into s. Returns EIO_OK or
 * EIO_ERR_FORMAT.
 */
int			eio_decode_text(const char *s, size_t n, eio_packet *p);

/*
 * Iterate over the packets of a polling payload held in s[0..n), which is
 * modified in place (base64 binary packets are decoded where they are).
 * *pos starts at 0. Returns 1 with *p filled, 0 at the end, or
 * EIO_ERR_FORMAT. An empty payload has no packets (and is an error to the
 * caller that expects at least one).
 */
int			eio_payload_next(char *s, size_t n, size_t *pos, eio_packet *p);

/*
 * Append one packet encoded for a polling payload to out: preceded by the
 * separator unless out is empty (first), binary data as "b"+base64.
 * Returns 0, or -1 on allocation failure.
 */
int			eio_payload_append(buf *out, eio_type type, bool binary, const void *data, size_t len);

/* Base64 (RFC 4648, with padding): encoded length and encoder */
size_t		eio_base64_len(size_t n);
void		eio_base64_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decode base64 (with padding, length a multiple of 4) from in[0..n) into out,
 * which may alias in. Returns the decoded length or -1 on malformed input.
 */
long		eio_base64_decode(uint8_t *out, const char *in, size_t n);

#endif
