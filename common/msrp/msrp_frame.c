/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Re-serialisation of a parsed frame (a relay forwarding a chunk as received, RFC 4976 §6.2,
 * and the parser's differential tests): start line, header lines in order, content-stuff,
 * end-line, in canonical RFC 4975 §9 form.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "msrp/msrp.h"

struct frame_out {
	uint8_t *dst;
	size_t cap;
	size_t len;
};

static void
frame_put(struct frame_out *o, const void *p, size_t n)
{
	if (o->len < o->cap) {
		size_t k = n < o->cap - o->len ? n : o->cap - o->len;

		memcpy(o->dst + o->len, p, k);
	}
	o->len += n;
}

static void
frame_put_span(struct frame_out *o, struct msrp_span s)
{
	frame_put(o, s.p, s.len);
}

size_t
msrp_frame_serialize(const struct msrp_frame *f, uint8_t *dst, size_t cap)
{
	struct frame_out o = {dst, dst == NULL ? 0 : cap, 0};

	frame_put(&o, "MSRP ", 5);
	frame_put_span(&o, f->tid);
	frame_put(&o, " ", 1);
	if (f->kind == MSRP_KIND_RESPONSE) {
		char code[4];

		snprintf(code, sizeof(code), "%03u", f->status_code % 1000u);
		frame_put(&o, code, 3);
		if (f->comment.p != NULL) {
			frame_put(&o, " ", 1);
			frame_put_span(&o, f->comment);
		}
	} else {
		frame_put_span(&o, f->method_name);
	}
	frame_put(&o, "\r\n", 2);
	for (uint16_t i = 0; i < f->n_hdrs; i++) {
		frame_put_span(&o, f->hdrs[i].name);
		frame_put(&o, ": ", 2);
		frame_put_span(&o, f->hdrs[i].value);
		frame_put(&o, "\r\n", 2);
	}
	if (f->has_body) {
		frame_put(&o, "\r\n", 2);
		for (uint32_t i = 0; i < f->n_body_segs; i++)
			frame_put_span(&o, f->body_segs[i]);
		frame_put(&o, "\r\n", 2);
	}
	frame_put(&o, "-------", 7);
	frame_put_span(&o, f->tid);
	{
		char end[3] = {(char)f->flag, '\r', '\n'};

		frame_put(&o, end, 3);
	}
	return o.len;
}
