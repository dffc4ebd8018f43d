/*
 * fuzz_ws_stream.c — libFuzzer target for notifier/ws_codec.c fed the way
 * the transport feeds it: a stream of client frames (fragments, control
 * frames in between) that arrives in pieces.
 *
 * Input: byte 0 holds the number of piece lengths that follow (low 4 bits)
 * and the payload limit (bits 4-5: 0, 125, 1000 or 1000000 bytes, the
 * --max-payload default); then one byte per piece length (1..256); the rest
 * is the byte stream, its last piece being whatever is left.
 *
 * The stream is run twice through a copy of net.c's ws_step rules (parse a
 * header, refuse payloads over the limit, wait for the payload, unmask in
 * place, reassemble fragments, validate UTF-8 of text messages, stop at a
 * protocol error or a close frame): once whole, once piece by piece in
 * exact-size heap buffers of the unconsumed tail plus the new piece (as
 * read_cb joins them). Properties checked:
 *  - both runs deliver the same messages, pings and errors at the same
 *    offsets, with the same payload bytes: the split never matters;
 *  - what is kept waiting stays under the limit plus the largest header;
 *  - an accepted header is never accepted from fewer bytes (one byte less
 *    is WS_NEED_MORE), and ws_frame_header of its fin/opcode/length parses
 *    back to the same frame;
 *  - ws_unmask in two parts at an offset equals ws_unmask in one;
 *  - ws_utf8_valid agrees with a plain decoder (RFC 3629: no overlongs,
 *    no surrogates, nothing above U+10FFFF) on every message and on the
 *    raw stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/ws_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 64

enum
{
	WF_MESSAGE = 1,
	WF_PING,
	WF_CLOSE,
	WF_PROTOCOL,
	WF_TOO_BIG,
	WF_BAD_UTF8
};

/* What the transport did with one frame, at which offset of the stream */
typedef struct wf_event
{
	size_t		off;
	int			kind;
	uint8_t		opcode;
	uint64_t	len;
	uint64_t	hash;			/* FNV-1a of the (unmasked, reassembled) payload */
} wf_event;

typedef struct wf_run
{
	wf_event	ev[MAX_EVENTS];
	int			nev;
	bool		stopped;		/* the connection would close: ignore the rest */
	size_t		base;			/* stream offset of the buffer being parsed */
	uint8_t		frag_opcode;	/* opcode of the message being reassembled, or 0 */
	uint8_t    *msg;
	size_t		msg_len;
} wf_run;

static size_t wf_max_payload;

static uint64_t
wf_hash(const uint8_t *p, size_t n)
{
	uint64_t	h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* RFC 3629 by decoding code points: the reference for ws_utf8_valid */
static bool
wf_utf8_ref(const uint8_t *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint32_t	cp,
					min;
		int			more;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			more = 1, cp = p[i] & 0x1f, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			more = 2, cp = p[i] & 0x0f, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			more = 3, cp = p[i] & 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= (size_t) more)
			return false;
		for (int k = 1; k <= more; k++)
		{
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += (size_t) more + 1;
	}
	return true;
}

static void
wf_record(wf_run *r, size_t off, int kind, uint8_t opcode, const uint8_t *p, uint64_t len)
{
	wf_event   *e;

	if (r->nev == MAX_EVENTS)
		return;
	e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	e->off = r->base + off;
	e->kind = kind;
	e->opcode = opcode;
	e->len = len;
	e->hash = p ? wf_hash(p, (size_t) len) : 0;
}

/* Abort unless the header f accepted from p is consistent (see the file comment) */
static void
wf_check_header(const uint8_t *p, int rc, const ws_frame *f)
{
	uint8_t		out[10];
	size_t		hl;
	ws_frame	g;

	if (rc < 2 || rc > 14 || (uint32_t) rc != f->hdr_len || !f->masked)
		abort();
	if (ws_frame_parse(p, (size_t) rc - 1, true, &g) != WS_NEED_MORE)
		abort();
	hl = ws_frame_header(out, f->fin, f->opcode, f->len);
	if (ws_frame_parse(out, hl, false, &g) != (int) hl || g.fin != f->fin ||
		g.opcode != f->opcode || g.len != f->len || g.masked)
		abort();
	if (ws_frame_parse(out, hl, true, &g) != WS_ERR_PROTOCOL)
		abort();				/* a server frame is unmasked: refused from a client */
}

/* Deliver a complete message (net.c ws_message); false if it closes the connection */
static bool
wf_message(wf_run *r, size_t off, uint8_t opcode, const uint8_t *p, size_t len)
{
	bool		valid = ws_utf8_valid(p, len);

	if (valid != wf_utf8_ref(p, len))
		abort();
	if (opcode == WS_OP_TEXT && !valid)
	{
		wf_record(r, off, WF_BAD_UTF8, opcode, NULL, len);
		return false;
	}
	wf_record(r, off, WF_MESSAGE, opcode, p, len);
	return true;
}

/* One transport step on p[0..n) (net.c ws_step): bytes consumed, 0 if incomplete */
static size_t
wf_step(wf_run *r, uint8_t *p, size_t n, size_t off)
{
	ws_frame	f;
	int			rc = ws_frame_parse(p, n, true, &f);
	uint8_t    *payload;

	if (rc == WS_NEED_MORE)
		return 0;
	if (rc < 0)
	{
		if (rc != WS_ERR_PROTOCOL)
			abort();
		wf_record(r, off, WF_PROTOCOL, 0, NULL, 0);
		r->stopped = true;
		return n;
	}
	if ((size_t) rc > n)
		abort();
	wf_check_header(p, rc, &f);
	if (f.len > wf_max_payload ||
		(f.opcode == WS_OP_CONT && r->msg_len + f.len > wf_max_payload))
	{
		wf_record(r, off, WF_TOO_BIG, f.opcode, NULL, f.len);
		r->stopped = true;
		return n;
	}
	if (n - (size_t) rc < f.len)
		return 0;
	payload = p + rc;
	{
		/* unmasking in two parts at an offset is the same as in one */
		size_t		k = (size_t) f.len / 3;
		uint8_t    *two = malloc((size_t) f.len + 1);

		memcpy(two, payload, (size_t) f.len);
		ws_unmask(two, k, f.mask, 0);
		ws_unmask(two + k, (size_t) f.len - k, f.mask, k);
		ws_unmask(payload, (size_t) f.len, f.mask, 0);
		if (memcmp(two, payload, (size_t) f.len) != 0)
			abort();
		free(two);
	}
	switch (f.opcode)
	{
		case WS_OP_TEXT:
		case WS_OP_BINARY:
			if (r->frag_opcode)
			{
				wf_record(r, off, WF_PROTOCOL, f.opcode, NULL, 0);
				r->stopped = true;
				return n;
			}
			if (f.fin)
			{
				if (!wf_message(r, off, f.opcode, payload, (size_t) f.len))
				{
					r->stopped = true;
					return n;
				}
			}
			else
			{
				r->msg = malloc(f.len ? (size_t) f.len : 1);
				memcpy(r->msg, payload, (size_t) f.len);
				r->msg_len = (size_t) f.len;
				r->frag_opcode = f.opcode;
			}
			break;
		case WS_OP_CONT:
			if (!r->frag_opcode)
			{
				wf_record(r, off, WF_PROTOCOL, f.opcode, NULL, 0);
				r->stopped = true;
				return n;
			}
			r->msg = realloc(r->msg, r->msg_len + (size_t) f.len + 1);
			memcpy(r->msg + r->msg_len, payload, (size_t) f.len);
			r->msg_len += (size_t) f.len;
			if (f.fin)
			{
				uint8_t		op = r->frag_opcode;
				bool		ok = wf_message(r, off, op, r->msg, r->msg_len);

				r->frag_opcode = 0;
				free(r->msg);
				r->msg = NULL;
				r->msg_len = 0;
				if (!ok)
				{
					r->stopped = true;
					return n;
				}
			}
			break;
		case WS_OP_PING:
			wf_record(r, off, WF_PING, f.opcode, payload, f.len);
			break;
		case WS_OP_PONG:
			break;
		case WS_OP_CLOSE:
			wf_record(r, off, WF_CLOSE, f.opcode, payload, f.len);
			r->stopped = true;
			break;
		default:
			abort();			/* ws_frame_parse let an unknown opcode through */
	}
	return (size_t) rc + (size_t) f.len;
}

/* net.c conn_process for a WebSocket: steps until nothing more is complete */
static size_t
wf_process(wf_run *r, uint8_t *p, size_t n)
{
	size_t		off = 0;

	while (off < n && !r->stopped)
	{
		size_t		k = wf_step(r, p + off, n - off, off);

		if (k == 0)
			break;
		off += k;
	}
	return off;
}

static void
wf_reset(wf_run *r)
{
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[4] = {0, 125, 1000, 1000000};
	static wf_run whole,
				pieces;
	size_t		npieces,
				len,
				pos,
				tail_len = 0;
	const uint8_t *lens;
	const uint8_t *stream;
	uint8_t    *buf,
			   *tail = NULL;

	if (size < 1)
		return 0;
	npieces = data[0] & 0x0f;
	wf_max_payload = limits[(data[0] >> 4) & 3];
	if (size < 1 + npieces)
		return 0;
	lens = data + 1;
	stream = data + 1 + npieces;
	len = size - 1 - npieces;
	if (ws_utf8_valid(stream, len) != wf_utf8_ref(stream, len))
		abort();

	wf_reset(&whole);
	wf_reset(&pieces);

	buf = malloc(len ? len : 1);
	memcpy(buf, stream, len);
	wf_process(&whole, buf, len);
	free(buf);

	pos = 0;
	for (size_t i = 0; i <= npieces && pos < len && !pieces.stopped; i++)
	{
		size_t		plen = i < npieces ? (size_t) lens[i] + 1 : len - pos;
		size_t		total,
					used,
					rest;

		if (plen > len - pos)
			plen = len - pos;
		total = tail_len + plen;
		buf = malloc(total);
		if (tail_len)
			memcpy(buf, tail, tail_len);
		memcpy(buf + tail_len, stream + pos, plen);
		pos += plen;
		free(tail);
		tail = NULL;
		used = wf_process(&pieces, buf, total);
		rest = total - used;
		if (!pieces.stopped && rest > 14 + wf_max_payload)
			abort();			/* conn_feed's "cannot happen" */
		if (!pieces.stopped && rest)
		{
			tail = malloc(rest);
			memcpy(tail, buf + used, rest);
		}
		tail_len = pieces.stopped ? 0 : rest;
		pieces.base += used;
		free(buf);
	}
	free(tail);

	if (whole.nev != pieces.nev || memcmp(whole.ev, pieces.ev, sizeof(wf_event) * (size_t) whole.nev) != 0)
		abort();				/* the split changed what was delivered */
	wf_reset(&whole);
	wf_reset(&pieces);
	return 0;
}
