/*
 * sio_codec.c — Socket.IO v5 packet codec (see sio_codec.h). No I/O.
 */
#include "codec/sio_codec.h"

#include <string.h>

#include "codec/sio_json.h"
#include "codec/ws_codec.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Check that payload has the shape the reference parser accepts for type */
static int
check_payload(sio_packet *p)
{
	sjson_info	info;

	if (p->data == NULL)
	{
		/* CONNECT without payload is fine; events and acks need an array */
		if (p->type == SIO_CONNECT || p->type == SIO_DISCONNECT)
			return SIO_OK;
		return SIO_ERR_PAYLOAD;
	}
	if (sjson_validate(p->data, p->data_len, &info) < 0)
		return SIO_ERR_PAYLOAD;
	switch (p->type)
	{
		case SIO_CONNECT:
			return info.type == SJSON_OBJECT ? SIO_OK : SIO_ERR_PAYLOAD;
		case SIO_DISCONNECT:
			return SIO_ERR_PAYLOAD;
		case SIO_CONNECT_ERROR:
			return info.type == SJSON_OBJECT || info.type == SJSON_STRING ? SIO_OK : SIO_ERR_PAYLOAD;
		case SIO_EVENT:
		case SIO_BINARY_EVENT:
			if (info.type != SJSON_ARRAY || info.count < 1 ||
				(info.first_type != SJSON_STRING && info.first_type != SJSON_NUMBER))
				return SIO_ERR_PAYLOAD;
			p->name = p->data + info.first_start;
			p->name_len = info.first_end - info.first_start;
			p->rest = p->data + info.first_end;
			p->rest_len = p->data_len - info.first_end;
			/* trailing whitespace after ']' belongs to rest; trim it */
			while (p->rest_len && p->rest[p->rest_len - 1] != ']')
				p->rest_len--;
			return SIO_OK;
		case SIO_ACK:
		case SIO_BINARY_ACK:
			return info.type == SJSON_ARRAY ? SIO_OK : SIO_ERR_PAYLOAD;
	}
	return SIO_ERR_TYPE;
}

int
sio_decode(const char *s, size_t n, sio_packet *p)
{
	size_t		i = 0;

	memset(p, 0, sizeof(*p));
	p->id = -1;
	p->nsp = "/";
	p->nsp_len = 1;
	if (n < 1 || s[0] < '0' || s[0] > '6')
		return SIO_ERR_TYPE;
	if (!ws_utf8_valid((const uint8_t *) s, n))
		return SIO_ERR_UTF8;
	p->type = (sio_type) (s[i++] - '0');

	if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK)
	{
		uint64_t	count = 0;
		size_t		start = i;

		while (i < n && is_digit(s[i]))
		{
			count = count * 10 + (uint64_t) (s[i++] - '0');
			if (count > SIO_MAX_ATTACHMENTS)
				return SIO_ERR_ATTACHMENTS;
		}
		if (i == start || i >= n || s[i] != '-')
			return SIO_ERR_ATTACHMENTS;
		i++;
		p->attachments = (uint32_t) count;
	}

	if (i < n && s[i] == '/')
	{
		size_t		start = i;

		while (i < n && s[i] != ',')
			i++;
		p->nsp = s + start;
		p->nsp_len = i - start;
		if (p->nsp_len > SIO_MAX_NSP_LEN)
			return SIO_ERR_NAMESPACE;
		if (i < n)
			i++;				/* the comma */
	}

	if (i < n && is_digit(s[i]))
	{
		uint64_t	id = 0;

		while (i < n && is_digit(s[i]))
		{
			id = id * 10 + (uint64_t) (s[i++] - '0');
			if (id > SIO_MAX_ACK_ID)
				return SIO_ERR_ACK_ID;
		}
		p->id = (int64_t) id;
	}

	if (i < n)
	{
		p->data = s + i;
		p->data_len = n - i;
	}
	return check_payload(p);
}

const char *
sio_strerror(int err)
{
	switch (err)
	{
		case SIO_OK:
			return "ok";
		case SIO_ERR_TYPE:
			return "unknown packet type";
		case SIO_ERR_ATTACHMENTS:
			return "illegal attachments";
		case SIO_ERR_NAMESPACE:
			return "namespace too long";
		case SIO_ERR_ACK_ID:
			return "ack id out of range";
		case SIO_ERR_PAYLOAD:
			return "invalid payload";
		case SIO_ERR_UTF8:
			return "invalid UTF-8";
	}
	return "unknown error";
}

int
sio_encode(buf *out, sio_type type, const char *nsp, size_t nsp_len,
		   int64_t id, uint32_t attachments, const char *data, size_t data_len)
{
	if (buf_reserve(out, 48 + nsp_len + data_len) < 0)
		return -1;
	buf_append_char(out, (char) ('0' + type));
	if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK)
	{
		buf_append_u64(out, attachments);
		buf_append_char(out, '-');
	}
	if (nsp && !(nsp_len == 1 && nsp[0] == '/'))
	{
		buf_append(out, nsp, nsp_len);
		buf_append_char(out, ',');
	}
	if (id >= 0)
		buf_append_u64(out, (uint64_t) id);
	if (data)
		buf_append(out, data, data_len);
	return 0;
}

bool
sio_nsp_eq(const char *nsp, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(nsp, name, len) == 0;
}
