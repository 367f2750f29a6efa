/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the MSRP parser. Each input is one connection's byte stream:
 *  1. parsed whole, then again split into separate heap buffers (sizes derived from the
 *     input, so header blocks straddle and bodies span buffers): both runs must yield the
 *     same frames and the same final result (split invariance);
 *  2. every frame is re-serialised and parsed again: the frame must not change
 *     (differential check);
 *  3. frame invariants: body length = sum of its spans, spans inside the fed bytes.
 * Any mismatch aborts (libFuzzer reports it as a crash).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/msrp.h"

#define FUZZ_MAX_FRAMES 256

struct fuzz_run {
	uint8_t *wire[FUZZ_MAX_FRAMES]; /* re-serialised frames */
	size_t wire_len[FUZZ_MAX_FRAMES];
	uint64_t offset[FUZZ_MAX_FRAMES];
	size_t n;
	enum msrp_rc end;
	uint64_t err_off;
};

static uint8_t fuzz_hdr_a[4096], fuzz_hdr_b[4096];

static struct msrp_limits
fuzz_limits(void)
{
	struct msrp_limits lim;

	msrp_limits_default(&lim);
	lim.max_header_bytes = sizeof(fuzz_hdr_a);
	lim.max_body_bytes = 64 * 1024;
	return lim;
}

static void
fuzz_check(bool ok)
{
	if (!ok)
		abort();
}

static void
fuzz_frame_invariants(const struct msrp_frame *f)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < f->n_body_segs; i++)
		sum += f->body_segs[i].len;
	fuzz_check(sum == f->body_len);
	fuzz_check(f->n_hdrs >= 2);
	fuzz_check(msrp_ident_valid(f->tid.p, f->tid.len));
	fuzz_check(f->flag == '+' || f->flag == '$' || f->flag == '#');
}

/* Re-serialise, parse again, compare by re-serialising the copy. */
static void
fuzz_reparse(const struct msrp_frame *f, const uint8_t *wire, size_t len)
{
	struct msrp_limits lim = fuzz_limits();
	struct msrp_parser p;
	struct msrp_frame g;
	size_t used, len2;
	uint8_t *wire2;

	fuzz_check(msrp_parser_init(&p, &lim, fuzz_hdr_b, sizeof(fuzz_hdr_b)) == 0);
	fuzz_check(msrp_parser_feed(&p, wire, len, &used, &g) == MSRP_OK);
	fuzz_check(used == len);
	fuzz_check(g.kind == f->kind && g.method == f->method && g.status_code == f->status_code);
	fuzz_check(g.flag == f->flag && g.n_hdrs == f->n_hdrs && g.body_len == f->body_len);
	fuzz_check(g.has_body == f->has_body);
	fuzz_check(memcmp(&g.byte_range, &f->byte_range, sizeof(g.byte_range)) == 0 ||
	           g.hdr_index[MSRP_HDR_BYTE_RANGE] < 0);
	fuzz_check(memcmp(g.hdr_index, f->hdr_index, sizeof(g.hdr_index)) == 0);
	len2 = msrp_frame_serialize(&g, NULL, 0);
	fuzz_check(len2 == len);
	wire2 = malloc(len2);
	fuzz_check(wire2 != NULL);
	msrp_frame_serialize(&g, wire2, len2);
	fuzz_check(memcmp(wire, wire2, len) == 0);
	free(wire2);
}

static void
fuzz_run(const uint8_t *data, size_t size, bool split, struct fuzz_run *r)
{
	struct msrp_limits lim = fuzz_limits();
	struct msrp_parser p;
	uint8_t **pieces = NULL;
	size_t n_pieces = 0, off = 0;
	uint32_t h = 2166136261u;
	enum msrp_rc rc = MSRP_AGAIN;

	memset(r, 0, sizeof(*r));
	fuzz_check(msrp_parser_init(&p, &lim, fuzz_hdr_a, sizeof(fuzz_hdr_a)) == 0);
	for (size_t i = 0; i < size && i < 64; i++)
		h = (h ^ data[i]) * 16777619u;
	while (off < size) {
		size_t len = size - off, pos = 0;
		const uint8_t *buf = data + off;

		if (split) {
			uint8_t *copy;

			h = h * 1103515245u + 12345u;
			len = 1 + (h >> 16) % 97;
			if (len > size - off)
				len = size - off;
			copy = malloc(len);
			pieces = realloc(pieces, (n_pieces + 1) * sizeof(*pieces));
			fuzz_check(copy != NULL && pieces != NULL);
			memcpy(copy, data + off, len);
			pieces[n_pieces++] = copy;
			buf = copy;
		}
		while (pos < len) {
			struct msrp_frame f;
			size_t used;

			rc = msrp_parser_feed(&p, buf + pos, len - pos, &used, &f);
			fuzz_check(used <= len - pos);
			pos += used;
			if (rc == MSRP_OK) {
				fuzz_frame_invariants(&f);
				if (r->n < FUZZ_MAX_FRAMES) {
					size_t wl = msrp_frame_serialize(&f, NULL, 0);

					r->wire[r->n] = malloc(wl);
					fuzz_check(r->wire[r->n] != NULL);
					msrp_frame_serialize(&f, r->wire[r->n], wl);
					r->wire_len[r->n] = wl;
					r->offset[r->n] = f.offset;
					fuzz_reparse(&f, r->wire[r->n], wl);
					r->n++;
				}
			} else if (rc != MSRP_AGAIN) {
				break;
			}
		}
		if (rc != MSRP_OK && rc != MSRP_AGAIN)
			break;
		off += len;
	}
	r->end = (rc == MSRP_OK || rc == MSRP_AGAIN) ? msrp_parser_finish(&p) : rc;
	r->err_off = msrp_parser_error_offset(&p);
	for (size_t i = 0; i < n_pieces; i++)
		free(pieces[i]);
	free(pieces);
}

static void
fuzz_free(struct fuzz_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->wire[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_run whole, split;

	fuzz_run(data, size, false, &whole);
	fuzz_run(data, size, true, &split);
	/*
	 * Split invariance. too_fragmented depends on the buffers by design; every other
	 * outcome must be identical.
	 */
	if (whole.end != MSRP_ERR_TOO_FRAGMENTED && split.end != MSRP_ERR_TOO_FRAGMENTED) {
		fuzz_check(whole.end == split.end);
		fuzz_check(whole.n == split.n);
		if (whole.end != MSRP_OK)
			fuzz_check(whole.err_off == split.err_off);
	}
	for (size_t i = 0; i < whole.n && i < split.n; i++) {
		fuzz_check(whole.wire_len[i] == split.wire_len[i]);
		fuzz_check(memcmp(whole.wire[i], split.wire[i], whole.wire_len[i]) == 0);
		fuzz_check(whole.offset[i] == split.offset[i]);
	}
	fuzz_free(&whole);
	fuzz_free(&split);
	return 0;
}
