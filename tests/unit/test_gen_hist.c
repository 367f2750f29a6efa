/* SPDX-License-Identifier: BSD-3-Clause */
/* msw-gen log-linear histogram: bucket bounds, precision, percentiles, merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gen_hist.h"

static struct gen_hist *
hist_new(void)
{
	struct gen_hist *h = malloc(sizeof(*h));

	cr_assert_not_null(h);
	gen_hist_init(h);
	return h;
}

Test(gen_hist, buckets_tile_the_range)
{
	/* Consecutive buckets touch, every value lands in the bucket whose bounds hold it. */
	for (uint32_t i = 0; i + 1 < GEN_HIST_BUCKETS; i++)
		cr_assert_eq(gen_hist_upper(i) + 1, gen_hist_lower(i + 1), "bucket %u", i);
	cr_assert_eq(gen_hist_index(0), 0);
	cr_assert_eq(gen_hist_index(UINT64_MAX), GEN_HIST_BUCKETS - 1);
	cr_assert_eq(gen_hist_upper(GEN_HIST_BUCKETS - 1), UINT64_MAX);
	for (uint64_t v = 1; v != 0 && v < (UINT64_MAX >> 1); v = v * 3 + 7) {
		uint32_t i = gen_hist_index(v);

		cr_assert(gen_hist_lower(i) <= v && v <= gen_hist_upper(i), "%llu in bucket %u",
		          (unsigned long long)v, i);
		/* Relative width below 1/128 above the exact range. */
		if (v >= GEN_HIST_SUB)
			cr_assert((gen_hist_upper(i) - gen_hist_lower(i)) * 128 <=
			                  gen_hist_lower(i),
			          "bucket %u too wide", i);
	}
	for (uint64_t v = 0; v < 5000; v++) {
		uint32_t i = gen_hist_index(v);

		cr_assert(gen_hist_lower(i) <= v && v <= gen_hist_upper(i));
	}
}

Test(gen_hist, percentiles_of_a_uniform_set)
{
	struct gen_hist *h = hist_new();

	/* 1..100000 ns: p50 ~ 50000, p99 ~ 99000, within the bucket precision. */
	for (uint64_t v = 1; v <= 100000; v++)
		gen_hist_record(h, v);
	cr_assert_eq(h->count, 100000);
	cr_assert_eq(h->min, 1);
	cr_assert_eq(h->max, 100000);
	struct {
		double p;
		double want;
	} c[] = {{50, 50000}, {90, 90000}, {99, 99000}, {99.9, 99900}, {100, 100000}};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double got = (double)gen_hist_percentile(h, c[i].p);

		cr_assert(got >= c[i].want && got <= c[i].want * 1.008, "p%g = %g, want ~%g",
		          c[i].p, got, c[i].want);
	}
	free(h);
}

Test(gen_hist, small_values_are_exact_and_empty_is_zero)
{
	struct gen_hist *h = hist_new();

	cr_assert_eq(gen_hist_percentile(h, 50), 0);
	gen_hist_record(h, 7);
	gen_hist_record(h, 7);
	gen_hist_record(h, 9);
	gen_hist_record(h, 100);
	cr_assert_eq(gen_hist_percentile(h, 50), 7);
	cr_assert_eq(gen_hist_percentile(h, 75), 9);
	cr_assert_eq(gen_hist_percentile(h, 99.9), 100);
	cr_assert_eq(h->sum, 123);
	free(h);
}

Test(gen_hist, merge_adds_counts)
{
	struct gen_hist *a = hist_new(), *b = hist_new();

	for (int i = 0; i < 1000; i++)
		gen_hist_record(a, 1000);
	for (int i = 0; i < 1000; i++)
		gen_hist_record(b, 1000000);
	gen_hist_merge(a, b);
	cr_assert_eq(a->count, 2000);
	cr_assert_eq(a->min, 1000);
	cr_assert_eq(a->max, 1000000);
	/* Reported values are the bucket's highest equivalent value, capped at the max. */
	cr_assert_eq(gen_hist_percentile(a, 50), gen_hist_upper(gen_hist_index(1000)));
	cr_assert_eq(gen_hist_percentile(a, 50), 1003);
	cr_assert_eq(gen_hist_percentile(a, 51), 1000000);
	free(a);
	free(b);
}

Test(gen_hist, json_lists_non_empty_buckets)
{
	struct gen_hist *h = hist_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gen_hist_record(h, 5000);
	gen_hist_record(h, 5000);
	gen_hist_record(h, 20);
	gen_hist_json_buckets(h, 1000.0, f);
	fclose(f);
	cr_assert_str_eq(buf, "[[0.020,1],[5.023,2]]");
	free(buf);
	free(h);
}
