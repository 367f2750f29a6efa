/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP parser, data-driven: every vector in tests/vectors/msrp/ (RFC 4975 and RFC 4976
 * examples, edge cases, one or more negative vectors per error code) is parsed whole, split
 * at every point into two separate buffers (a segment chain), one byte at a time, and in
 * random multi-way splits; every run must print exactly the expected JSON lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "msrp/msrp.h"
#include "msrp/msrp_json.h"
#include "test_msrp_parse_util.h"

static void
expect_output(const struct msrp_vec *v, const char *got, const char *how)
{
	cr_expect_str_eq(got, v->expected, "vector %s (%s)", v->name, how);
}

Test(msrp_parse_vectors, whole_stream)
{
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);

	cr_assert_geq(n, 60);
	for (size_t i = 0; i < n; i++) {
		char *got = msrp_vec_run(&v[i], NULL, 0, false);

		expect_output(&v[i], got, "whole");
		free(got);
	}
	msrp_vec_free_all(v, n);
}

Test(msrp_parse_vectors, every_split_point_separate_buffers, .timeout = 300)
{
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);

	for (size_t i = 0; i < n; i++) {
		for (size_t cut = 1; cut < v[i].wire_len; cut++) {
			char *got = msrp_vec_run(&v[i], &cut, 1, true);
			char how[64];

			snprintf(how, sizeof(how), "split at %zu", cut);
			expect_output(&v[i], got, how);
			free(got);
		}
	}
	msrp_vec_free_all(v, n);
}

Test(msrp_parse_vectors, one_byte_at_a_time)
{
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);

	for (size_t i = 0; i < n; i++) {
		size_t nc = v[i].wire_len ? v[i].wire_len - 1 : 0;
		size_t *cuts = malloc((nc + 1) * sizeof(*cuts));
		char *got;

		for (size_t k = 0; k < nc; k++)
			cuts[k] = k + 1;
		got = msrp_vec_run(&v[i], cuts, nc, false);
		expect_output(&v[i], got, "1 byte at a time");
		free(got);
		free(cuts);
	}
	msrp_vec_free_all(v, n);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

Test(msrp_parse_vectors, random_multi_splits_separate_buffers)
{
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);
	unsigned int seed = 4975;

	for (size_t i = 0; i < n; i++) {
		if (v[i].wire_len < 8)
			continue;
		for (int round = 0; round < 40; round++) {
			size_t cuts[6], nc = 0;
			char how[64];
			char *got;

			for (int k = 0; k < 6; k++) {
				size_t c = 1 + (size_t)rand_r(&seed) % (v[i].wire_len - 1);

				if (nc == 0 || c != cuts[nc - 1])
					cuts[nc++] = c;
			}
			qsort(cuts, nc, sizeof(cuts[0]), cmp_size);
			/* drop duplicates left by sorting */
			{
				size_t w = 1;

				for (size_t k = 1; k < nc; k++)
					if (cuts[k] != cuts[w - 1])
						cuts[w++] = cuts[k];
				nc = w;
			}
			got = msrp_vec_run(&v[i], cuts, nc, true);
			snprintf(how, sizeof(how), "random round %d", round);
			expect_output(&v[i], got, how);
			free(got);
		}
	}
	msrp_vec_free_all(v, n);
}

/*
 * Differential check: re-serialising each parsed frame and parsing the result again gives
 * the same frame (same JSON line).
 */
Test(msrp_parse_vectors, reserialise_and_reparse)
{
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);

	for (size_t i = 0; i < n; i++) {
		struct msrp_parser p1, p2;
		uint8_t *h1 = malloc(v[i].lim.max_header_bytes);
		uint8_t *h2 = malloc(v[i].lim.max_header_bytes);
		size_t off = 0;

		cr_assert_eq(msrp_parser_init(&p1, &v[i].lim, h1, v[i].lim.max_header_bytes), 0);
		while (off < v[i].wire_len) {
			struct msrp_frame f, g;
			size_t used, len, used2;
			uint8_t *wire;
			char *a = NULL, *b = NULL;
			size_t al, bl;
			FILE *fa, *fb;

			if (msrp_parser_feed(&p1, v[i].wire + off, v[i].wire_len - off, &used,
			                     &f) != MSRP_OK)
				break;
			off += used;
			len = msrp_frame_serialize(&f, NULL, 0);
			wire = malloc(len);
			cr_assert_eq(msrp_frame_serialize(&f, wire, len), len);
			cr_assert_eq(
			        msrp_parser_init(&p2, &v[i].lim, h2, v[i].lim.max_header_bytes), 0);
			cr_assert_eq(msrp_parser_feed(&p2, wire, len, &used2, &g), MSRP_OK,
			             "%s: reparse failed", v[i].name);
			cr_expect_eq(used2, len);
			fa = open_memstream(&a, &al);
			fb = open_memstream(&b, &bl);
			msrp_json_write_frame(fa, &f);
			msrp_json_write_frame(fb, &g);
			fclose(fa);
			fclose(fb);
			cr_expect_str_eq(a, b, "%s: frame changed by re-serialisation", v[i].name);
			free(a);
			free(b);
			free(wire);
		}
		free(h1);
		free(h2);
	}
	msrp_vec_free_all(v, n);
}
