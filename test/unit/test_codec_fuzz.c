/*
 * test_codec_fuzz.c — feed every codec a large number of random and mutated
 * inputs (deterministic PRNG) and check the contracts that must hold for any
 * input: results are one of the documented values and every pointer a
 * decoder returns lies inside its input. Meant to run under `make
 * SANITIZE=1` too, where any out-of-bounds access aborts the test.
 */
#include <stdint.h>
#include <stdlib.h>

#include "codec/eio_codec.h"
#include "codec/http_codec.h"
#include "codec/sio_codec.h"
#include "codec/sio_json.h"
#include "tap.h"
#include "codec/ws_codec.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t) rng;
}

/* Random bytes biased towards the characters the grammars care about */
static size_t
random_input(char *out, size_t cap, const char *seed)
{
	static const char alphabet[] = "0123456789[]{}\",:-/\\ \x1e" "abtruefalsnl_plchodr=&?\r\n";
	size_t		n = next_rand() % cap;
	size_t		seedlen = strlen(seed);

	for (size_t i = 0; i < n; i++)
	{
		uint32_t	r = next_rand();

		if (i < seedlen && (r & 3) != 0)
			out[i] = seed[i];	/* mostly a mutated valid input */
		else if (r & 16)
			out[i] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		else
			out[i] = (char) (r >> 8);
	}
	return n;
}

#define INSIDE(p, len, base, n) ((p) >= (base) && (p) + (len) <= (base) + (n))

int
main(void)
{
	static const char *const seeds[] = {
		"452-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0}]",
		"2/admin,12[\"ev\",{\"a\":[1,2.5e3,null,true,\"x\\u0041\"]}]",
		"0/custom,{\"token\":\"abc\"}",
		"4hello\x1e" "bAQIDBA==\x1e" "3\x1e" "2probe",
		"GET /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
	};
	char		in[512];
	bool		sio_ok = true,
				eio_ok = true,
				ws_ok = true,
				http_ok = true,
				json_ok = true;
	int			sio_valid = 0;

	for (int iter = 0; iter < 200000; iter++)
	{
		const char *seed = seeds[next_rand() % 5];
		size_t		n = random_input(in, sizeof(in), seed);
		sio_packet	sp;
		int			rc = sio_decode(in, n, &sp);

		if (rc == SIO_OK)
		{
			sio_valid++;
			if (!INSIDE(sp.nsp, sp.nsp_len, in, n) && !(sp.nsp_len == 1 && sp.nsp[0] == '/'))
				sio_ok = false;
			if (sp.data && !INSIDE(sp.data, sp.data_len, in, n))
				sio_ok = false;
			if (sp.name && (!INSIDE(sp.name, sp.name_len, in, n) || !INSIDE(sp.rest, sp.rest_len, in, n)))
				sio_ok = false;
			if (sp.attachments > SIO_MAX_ATTACHMENTS || sp.id > (int64_t) SIO_MAX_ACK_ID)
				sio_ok = false;
		}
		else if (rc < SIO_ERR_UTF8 || rc > SIO_ERR_TYPE)
			sio_ok = false;

		{
			char		copy[512];
			size_t		pos = 0;
			eio_packet	ep;
			int			r;
			int			guard = 0;

			memcpy(copy, in, n);
			while ((r = eio_payload_next(copy, n, &pos, &ep)) == 1 && guard++ < 1000)
				if (!INSIDE(ep.data, ep.len, copy, n) || pos > n || (unsigned) ep.type > 6)
					eio_ok = false;
			if (r != 0 && r != 1 && r != EIO_ERR_FORMAT)
				eio_ok = false;
		}
		{
			ws_frame	f;
			int			r = ws_frame_parse((const uint8_t *) in, n, (next_rand() & 1) != 0, &f);

			if (r > 0 && ((size_t) r > n || r > 14 || f.opcode > 15))
				ws_ok = false;
			if (r < WS_ERR_PROTOCOL)
				ws_ok = false;
			(void) ws_utf8_valid((const uint8_t *) in, n);
		}
		{
			http_request req;
			int			r = http_parse_request(in, n, &req);

			if (r > 0)
			{
				if ((size_t) r > n || !INSIDE(req.path.p, req.path.len, in, n) ||
					(req.query.len && !INSIDE(req.query.p, req.query.len, in, n)))
					http_ok = false;
				for (int h = 0; h < req.nheaders; h++)
					if (!INSIDE(req.headers[h].value.p, req.headers[h].value.len, in, n))
						http_ok = false;
			}
			else if (r < HTTP_ERR_TOO_LARGE)
				http_ok = false;
		}
		{
			sjson_info	info;
			int			r = sjson_validate(in, n, &info);

			if (r == 0 && info.type == SJSON_ARRAY && info.count > 0 && info.first_end > n)
				json_ok = false;
			if (r != 0 && r != -1)
				json_ok = false;
		}
	}
	ok(sio_ok, "sio_decode: results and pointers stay within the input (200000 inputs)");
	ok(sio_valid > 100, "some mutated inputs are valid Socket.IO packets (%d), so both paths ran", sio_valid);
	ok(eio_ok, "eio_payload_next: packets stay within the payload");
	ok(ws_ok, "ws_frame_parse: header lengths and results in range");
	ok(http_ok, "http_parse_request: head, path, query and headers within the input");
	ok(json_ok, "sjson_validate: results in range");
	return tap_done();
}
