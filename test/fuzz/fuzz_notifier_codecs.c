/*
 * fuzz_notifier_codecs.c — libFuzzer target for the notifier's codecs (no
 * I/O): the first byte picks the decoder, the rest is its input. Build and
 * run with `make fuzz-notifier` (clang), e.g.
 *
 *   make fuzz-notifier && build/fuzz/fuzz_notifier_codecs -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/eio_codec.h"
#include "codec/http_codec.h"
#include "codec/sio_codec.h"
#include "codec/sio_json.h"
#include "codec/ws_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *in;

	if (size < 1)
		return 0;
	in = malloc(size);			/* exact size, so ASan sees any overread */
	if (in == NULL)
		return 0;
	memcpy(in, data + 1, size - 1);
	size--;
	switch (data[0] % 5)
	{
		case 0:
			{
				sio_packet	p;
				buf			b = BUF_INIT;

				if (sio_decode(in, size, &p) == SIO_OK)
				{
					sio_encode(&b, p.type, p.nsp, p.nsp_len, p.id, p.attachments, p.data, p.data_len);
					buf_free(&b);
				}
				break;
			}
		case 1:
			{
				size_t		pos = 0;
				eio_packet	p;
				buf			b = BUF_INIT;

				while (eio_payload_next(in, size, &pos, &p) == 1)
					eio_payload_append(&b, p.type, p.binary, p.data, p.len);
				buf_free(&b);
				break;
			}
		case 2:
			{
				ws_frame	f;

				if (ws_frame_parse((const uint8_t *) in, size, true, &f) > 0 && f.hdr_len + f.len <= size)
					ws_unmask((uint8_t *) in + f.hdr_len, (size_t) f.len, f.mask, 0);
				ws_utf8_valid((const uint8_t *) in, size);
				break;
			}
		case 3:
			{
				http_request req;
				http_str	v;

				if (http_parse_request(in, size, &req) > 0)
				{
					http_query_get(req.query, "sid", &v);
					http_header_has_token(&req, "connection", "upgrade");
				}
				break;
			}
		case 4:
			{
				sjson_info	info;
				buf			b = BUF_INIT;

				if (sjson_validate(in, size, &info) == 0)
					sjson_compact(&b, in, size);
				buf_free(&b);
				break;
			}
	}
	free(in);
	return 0;
}
