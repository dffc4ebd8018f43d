/*
 * eio_codec.c — Engine.IO v4 packet and payload codec (see eio_codec.h).
 * No I/O.
 */
#include "codec/eio_codec.h"

#include <string.h>

static const char b64_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
eio_decode_text(const char *s, size_t n, eio_packet *p)
{
	if (n < 1 || s[0] < '0' || s[0] > '6')
		return EIO_ERR_FORMAT;
	p->type = (eio_type) (s[0] - '0');
	p->binary = false;
	p->data = s + 1;
	p->len = n - 1;
	return EIO_OK;
}

int
eio_payload_next(char *s, size_t n, size_t *pos, eio_packet *p)
{
	size_t		start = *pos;
	size_t		end;
	const char *sep;

	if (start >= n)
		return 0;
	sep = memchr(s + start, EIO_SEPARATOR, n - start);
	end = sep ? (size_t) (sep - s) : n;
	/* "a\x1e" (trailing separator) leaves an empty record: malformed */
	*pos = sep ? end + 1 : n;
	if (sep && *pos == n)
		return EIO_ERR_FORMAT;
	if (end > start && s[start] == 'b')
	{
		long		len = eio_base64_decode((uint8_t *) s + start, s + start + 1, end - start - 1);

		if (len < 0)
			return EIO_ERR_FORMAT;
		p->type = EIO_MESSAGE;
		p->binary = true;
		p->data = s + start;
		p->len = (size_t) len;
		return 1;
	}
	if (eio_decode_text(s + start, end - start, p) != EIO_OK)
		return EIO_ERR_FORMAT;
	return 1;
}

int
eio_payload_append(buf *out, eio_type type, bool binary, const void *data, size_t len)
{
	size_t		need = 2 + (binary ? eio_base64_len(len) : len);

	if (buf_reserve(out, need) < 0)
		return -1;
	if (out->len > 0)
		out->p[out->len++] = EIO_SEPARATOR;
	if (binary)
	{
		out->p[out->len++] = 'b';
		eio_base64_encode(out->p + out->len, data, len);
		out->len += eio_base64_len(len);
	}
	else
	{
		out->p[out->len++] = (char) ('0' + type);
		if (len)
			memcpy(out->p + out->len, data, len);
		out->len += len;
	}
	return 0;
}

size_t
eio_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
eio_base64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t		i = 0;

	for (; i + 3 <= n; i += 3)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = b64_alphabet[v & 63];
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) in[i] << 16;

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = '=';
	}
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Output never overtakes input (3 bytes out per 4 in), so in-place is safe */
long
eio_base64_decode(uint8_t *out, const char *in, size_t n)
{
	size_t		o = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4)
	{
		int			v[4];
		int			pad = 0;

		for (int k = 0; k < 4; k++)
		{
			if (in[i + k] == '=' && i + 4 == n && k >= 2)
			{
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -1;		/* data after padding */
			v[k] = b64_value(in[i + k]);
			if (v[k] < 0)
				return -1;
		}
		{
			uint32_t	w = ((uint32_t) v[0] << 18) | ((uint32_t) v[1] << 12) |
				((uint32_t) v[2] << 6) | (uint32_t) v[3];

			out[o++] = (uint8_t) (w >> 16);
			if (pad < 2)
				out[o++] = (uint8_t) (w >> 8);
			if (pad < 1)
				out[o++] = (uint8_t) w;
		}
	}
	return (long) o;
}
