/*
 * sio_codec.h — Socket.IO v5 packets carried in Engine.IO MESSAGE packets.
 *
 *   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
 *
 * e.g. `2["ev",1]`, `0/admin,{"token":"x"}`, `3/admin,12[true]`,
 * `51-["ev",{"_placeholder":true,"num":0}]` followed by one binary Engine.IO
 * message. Decoding validates like the reference parser (socket.io-parser):
 * the packet type, the attachments count, the ack id, a strict JSON payload
 * of the right shape for the type, and UTF-8. No I/O.
 */
#ifndef RC_NOTIFIER_SIO_CODEC_H
#define RC_NOTIFIER_SIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef enum sio_type
{
	SIO_CONNECT = 0,
	SIO_DISCONNECT = 1,
	SIO_EVENT = 2,
	SIO_ACK = 3,
	SIO_CONNECT_ERROR = 4,
	SIO_BINARY_EVENT = 5,
	SIO_BINARY_ACK = 6
} sio_type;

/* Limits (the reference has none; ours keep memory bounded) */
#define SIO_MAX_ATTACHMENTS 64
#define SIO_MAX_NSP_LEN		256
#define SIO_MAX_ACK_ID		9007199254740991ULL	/* 2^53-1, a safe JS integer */

/* Decoder results */
typedef enum sio_error
{
	SIO_OK = 0,
	SIO_ERR_TYPE = -1,			/* unknown packet type */
	SIO_ERR_ATTACHMENTS = -2,	/* bad or too many attachments */
	SIO_ERR_NAMESPACE = -3,		/* namespace too long */
	SIO_ERR_ACK_ID = -4,		/* ack id out of range */
	SIO_ERR_PAYLOAD = -5,		/* not JSON, or wrong shape for the type */
	SIO_ERR_UTF8 = -6			/* invalid UTF-8 */
} sio_error;

typedef struct sio_packet
{
	sio_type	type;
	uint32_t	attachments;	/* binary types: number of attachments */
	const char *nsp;			/* namespace, "/" if absent (points into input) */
	size_t		nsp_len;
	int64_t		id;				/* ack id, -1 if absent */
	const char *data;			/* JSON payload, NULL if absent */
	size_t		data_len;
	/* EVENT / BINARY_EVENT: the first array element (the event name, a JSON
	 * string or number, as written) and the text after it up to the end of
	 * the array: `,1,"2"]` or `]` */
	const char *name;
	size_t		name_len;
	const char *rest;
	size_t		rest_len;
} sio_packet;

/* Decode s[0..n) into *p (pointers into s). Returns SIO_OK or a sio_error. */
int			sio_decode(const char *s, size_t n, sio_packet *p);

/* A short English description of a sio_error */
const char *sio_strerror(int err);

/*
 * Append an encoded packet to out: type, attachments (binary types), the
 * namespace unless "/", the ack id if id >= 0, then the JSON payload data
 * (may be NULL). Returns 0 or -1 on allocation failure.
 */
int			sio_encode(buf *out, sio_type type, const char *nsp, size_t nsp_len,
					   int64_t id, uint32_t attachments, const char *data, size_t data_len);

/* True if the namespace nsp[0..len) equals the NUL-terminated name */
bool		sio_nsp_eq(const char *nsp, size_t len, const char *name);

#endif
