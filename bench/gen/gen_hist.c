/* SPDX-License-Identifier: BSD-3-Clause */
/* Log-linear histogram (layout in gen_hist.h). */
#include <math.h>
#include <string.h>

#include "gen_hist.h"

void
gen_hist_init(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
}

uint32_t
gen_hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < GEN_HIST_SUB)
		return (uint32_t)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - GEN_HIST_SUB_BITS;
	/* (v >> shift) is in [SUB, 2*SUB): the top SUB_BITS+1 bits of v. */
	return (shift + 1) * GEN_HIST_SUB + (uint32_t)((v >> shift) - GEN_HIST_SUB);
}

uint64_t
gen_hist_lower(uint32_t i)
{
	uint32_t shift;

	if (i < GEN_HIST_SUB)
		return i;
	shift = i / GEN_HIST_SUB - 1;
	return (uint64_t)(i % GEN_HIST_SUB + GEN_HIST_SUB) << shift;
}

uint64_t
gen_hist_upper(uint32_t i)
{
	uint32_t shift;

	if (i < GEN_HIST_SUB)
		return i;
	shift = i / GEN_HIST_SUB - 1;
	return gen_hist_lower(i) + ((1ull << shift) - 1);
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (uint32_t i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t
gen_hist_percentile(const struct gen_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (uint32_t i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t up = gen_hist_upper(i);

			if (up > h->max)
				up = h->max;
			if (up < h->min)
				up = h->min;
			return up;
		}
	}
	return h->max;
}

void
gen_hist_json_buckets(const struct gen_hist *h, double div, FILE *out)
{
	bool first = true;

	fputc('[', out);
	for (uint32_t i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (h->b[i] == 0)
			continue;
		fprintf(out, "%s[%.3f,%llu]", first ? "" : ",", (double)gen_hist_upper(i) / div,
		        (unsigned long long)h->b[i]);
		first = false;
	}
	fputc(']', out);
}
