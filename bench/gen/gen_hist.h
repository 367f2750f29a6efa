/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Log-linear latency histogram (HDR style): values below 2^GEN_HIST_SUB_BITS are counted
 * exactly; above, each power-of-two range is split into 2^GEN_HIST_SUB_BITS equal buckets,
 * so a bucket's width is at most 1/128 of its values (< 0.8 % relative error) over the
 * whole uint64_t range, in a fixed 58 KiB array: recording is a shift and an increment.
 *
 * Thread-safety: a histogram has one writer (its engine thread); gen_hist_merge() and the
 * readers run after the writer stopped, or on a copy.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GEN_HIST_SUB_BITS 7
#define GEN_HIST_SUB      (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_BUCKETS  ((64 - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t count;
	uint64_t min, max, sum;
	uint64_t b[GEN_HIST_BUCKETS];
};

void gen_hist_init(struct gen_hist *h);

/* Bucket of value v. */
uint32_t gen_hist_index(uint64_t v);

/* Smallest and largest value counted in bucket i. */
uint64_t gen_hist_lower(uint32_t i);
uint64_t gen_hist_upper(uint32_t i);

static inline void
gen_hist_record(struct gen_hist *h, uint64_t v)
{
	h->b[gen_hist_index(v)]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
}

/* Adds src into dst. */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

/*
 * Value at percentile p (0 < p <= 100): the upper bound of the bucket holding the
 * ceil(p/100 * count)-th smallest value, capped at the exact max. 0 for an empty histogram.
 */
uint64_t gen_hist_percentile(const struct gen_hist *h, double p);

/*
 * Writes the non-empty buckets as a JSON array of [upper_bound_scaled, count] pairs, values
 * divided by div (e.g. 1000 for ns -> us, fractional digits kept to 3).
 */
void gen_hist_json_buckets(const struct gen_hist *h, double div, FILE *out);
