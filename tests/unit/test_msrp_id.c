/* SPDX-License-Identifier: BSD-3-Clause */
/* Transaction-id / Message-ID generator: ChaCha20 core, charset, length, uniqueness. */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/msrp.h"
#include "msrp/msrp_id.h"

/* RFC 8439 §2.3.2 block function test vector (key 00..1f, counter 1, nonce 0:4a:0). */
Test(msrp_id, chacha20_rfc8439_vector)
{
	static const uint8_t want[64] = {
	        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3,
	        0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22,
	        0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa,
	        0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1,
	        0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
	};
	uint32_t key[8], words[4] = {1, 0x09000000, 0x4a000000, 0};
	uint8_t out[64];

	for (int i = 0; i < 8; i++)
		key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 |
		         (uint32_t)(4 * i + 2) << 16 | (uint32_t)(4 * i + 3) << 24;
	msrp_chacha20_block(key, words, out);
	cr_assert_eq(memcmp(out, want, sizeof(want)), 0);
}

static bool
is_alnum(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, MSRP_ID_LEN);
}

/* 1e6 draws: every id is an RFC 4975 ident, none repeats, symbols are uniform. */
Test(msrp_id, charset_length_uniqueness_1e6, .timeout = 60)
{
	enum { N = 1000000 };
	struct msrp_id_gen g;
	uint8_t(*ids)[MSRP_ID_LEN] = malloc((size_t)N * MSRP_ID_LEN);
	unsigned long count[256] = {0}, first[256] = {0};

	cr_assert_not_null(ids);
	cr_assert_eq(msrp_id_gen_init(&g, 0), 0);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(msrp_id_next(&g, ids[i], MSRP_ID_LEN), MSRP_ID_LEN);
		if (!msrp_ident_valid(ids[i], MSRP_ID_LEN) || !is_alnum(ids[i][0]))
			cr_assert_fail("id %d '%.16s' is not an ident", i, ids[i]);
		first[ids[i][0]]++;
		for (int k = 1; k < MSRP_ID_LEN; k++)
			count[ids[i][k]]++;
	}
	qsort(ids, N, MSRP_ID_LEN, cmp16);
	for (int i = 1; i < N; i++)
		if (memcmp(ids[i - 1], ids[i], MSRP_ID_LEN) == 0)
			cr_assert_fail("duplicate id '%.16s'", ids[i]);
	free(ids);

	/* 15e6 symbols over 64 values: mean 234375, sd ~480; +-1.5% is 7 sd (no flakes). */
	int used = 0;

	for (int c = 0; c < 256; c++) {
		if (count[c] == 0)
			continue;
		used++;
		cr_assert(c == '-' || c == '.' || is_alnum((uint8_t)c), "char 0x%02x", c);
		cr_assert(count[c] > 234375 * 985 / 1000 && count[c] < 234375 * 1015 / 1000,
		          "char '%c' drawn %lu times", c, count[c]);
	}
	cr_assert_eq(used, 64);
	/* First char: 62 alphanumerics, mean 16129, sd ~125. */
	used = 0;
	for (int c = 0; c < 256; c++) {
		if (first[c] == 0)
			continue;
		used++;
		cr_assert(is_alnum((uint8_t)c));
		cr_assert(first[c] > 16129 - 1000 && first[c] < 16129 + 1000, "first '%c': %lu", c,
		          first[c]);
	}
	cr_assert_eq(used, 62);
}

Test(msrp_id, lengths_and_errors)
{
	struct msrp_id_gen g;
	uint8_t out[MSRP_ID_MAX_LEN + 1];

	cr_assert_eq(msrp_id_gen_init(&g, 3), 0);
	for (size_t len = MSRP_ID_MIN_LEN; len <= MSRP_ID_MAX_LEN; len++) {
		memset(out, 0xAA, sizeof(out));
		cr_assert_eq(msrp_id_next(&g, out, len), (ssize_t)len);
		cr_assert(msrp_ident_valid(out, len));
		cr_assert_eq(out[len], 0xAA, "wrote past len %zu", len);
	}
	cr_assert_eq(msrp_id_next(&g, out, MSRP_ID_MIN_LEN - 1), -EINVAL);
	cr_assert_eq(msrp_id_next(&g, out, MSRP_ID_MAX_LEN + 1), -EINVAL);
	cr_assert_eq(msrp_id_next(&g, out, 0), -EINVAL);
}

Test(msrp_id, seeded_is_deterministic_streams_and_os_seed_differ)
{
	static const uint8_t seed[32] = {1, 2, 3};
	struct msrp_id_gen a, b, c, d, e;
	uint8_t x[MSRP_ID_LEN], y[MSRP_ID_LEN], z[MSRP_ID_LEN];

	msrp_id_gen_init_seed(&a, seed, 7);
	msrp_id_gen_init_seed(&b, seed, 7);
	msrp_id_gen_init_seed(&c, seed, 8);
	for (int i = 0; i < 100; i++) {
		msrp_id_next(&a, x, sizeof(x));
		msrp_id_next(&b, y, sizeof(y));
		msrp_id_next(&c, z, sizeof(z));
		cr_assert_eq(memcmp(x, y, sizeof(x)), 0);
		cr_assert_neq(memcmp(x, z, sizeof(x)), 0);
	}
	/* Two OS-seeded generators with the same stream number still differ (own keys). */
	cr_assert_eq(msrp_id_gen_init(&d, 1), 0);
	cr_assert_eq(msrp_id_gen_init(&e, 1), 0);
	msrp_id_next(&d, x, sizeof(x));
	msrp_id_next(&e, y, sizeof(y));
	cr_assert_neq(memcmp(x, y, sizeof(x)), 0);
	cr_assert_neq(memcmp(d.key, e.key, sizeof(d.key)), 0);
}

Test(msrp_id, bytes_follow_keystream_across_blocks)
{
	static const uint8_t seed[32] = {9};
	struct msrp_id_gen a, b;
	uint8_t one[700], parts[700], blk[64];
	uint32_t words[4] = {0, 0, 5, 0};

	msrp_id_gen_init_seed(&a, seed, 5);
	msrp_id_gen_init_seed(&b, seed, 5);
	msrp_id_bytes(&a, one, sizeof(one));
	msrp_id_bytes(&b, parts, 3);
	msrp_id_bytes(&b, parts + 3, 100);
	msrp_id_bytes(&b, parts + 103, 597);
	cr_assert_eq(memcmp(one, parts, sizeof(one)), 0);
	/* Blocks 0..9 of the keystream in order (64-bit counter in words 12..13), across the
	 * MSRP_ID_BLOCKS-wide refills. */
	for (uint32_t k = 0; k < 10; k++) {
		words[0] = k;
		msrp_chacha20_block(a.key, words, blk);
		cr_assert_eq(memcmp(one + 64 * k, blk, 64), 0, "block %u", k);
	}
}

/* The 64-bit block counter carries from word 12 into word 13 inside one refill. */
Test(msrp_id, counter_carry_inside_refill)
{
	static const uint8_t seed[32] = {4};
	struct msrp_id_gen g;
	uint8_t one[64 * MSRP_ID_BLOCKS], blk[64];
	uint32_t words[4] = {0, 0, 2, 0};

	msrp_id_gen_init_seed(&g, seed, 2);
	g.ctr_nonce[0] = 0xfffffffe;
	msrp_id_bytes(&g, one, sizeof(one));
	for (uint32_t k = 0; k < MSRP_ID_BLOCKS; k++) {
		uint64_t ctr = 0xfffffffeull + k;

		words[0] = (uint32_t)ctr;
		words[1] = (uint32_t)(ctr >> 32);
		msrp_chacha20_block(g.key, words, blk);
		cr_assert_eq(memcmp(one + 64 * k, blk, 64), 0, "block %u", k);
	}
	cr_assert_eq(g.ctr_nonce[0], 0xfffffffe + MSRP_ID_BLOCKS);
	cr_assert_eq(g.ctr_nonce[1], 1);
}

/*
 * An id is the first char from one keystream byte (rejection sampling), then 6 bits per char
 * from the next bytes, low bits first (3 bytes = 4 chars), and the bytes it used are zeroed.
 * Checked against the raw keystream of a twin generator, for every length and across refills.
 */
Test(msrp_id, packing_follows_keystream)
{
	static const char alpha[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.";
	static const uint8_t seed[32] = {7, 7};
	struct msrp_id_gen a, b;
	uint8_t id[MSRP_ID_MAX_LEN], ks[4];

	msrp_id_gen_init_seed(&a, seed, 1);
	msrp_id_gen_init_seed(&b, seed, 1);
	for (int n = 0; n < 3000; n++) {
		size_t len = MSRP_ID_MIN_LEN + (size_t)n % (MSRP_ID_MAX_LEN - MSRP_ID_MIN_LEN + 1);
		uint32_t before = a.ks_pos;

		cr_assert_eq(msrp_id_next(&a, id, len), (ssize_t)len);
		do
			msrp_id_bytes(&b, ks, 1);
		while ((ks[0] & 63) >= 62);
		cr_assert_eq(id[0], (uint8_t)alpha[ks[0] & 63]);
		if (a.ks_pos < before || before + ((len - 1) * 6 + 7) / 8 + 8 > sizeof(a.ks)) {
			/* Near a refill the generator may fall back to one byte per char: resync.
			 */
			b = a;
			continue;
		}
		for (size_t i = 1; i < len; i += 4) {
			size_t left = len - i < 4 ? len - i : 4, nb = (left * 6 + 7) / 8;
			uint32_t w = 0;

			memset(ks, 0, sizeof(ks));
			msrp_id_bytes(&b, ks, nb);
			w = (uint32_t)ks[0] | (uint32_t)ks[1] << 8 | (uint32_t)ks[2] << 16;
			for (size_t c = 0; c < left; c++, w >>= 6)
				cr_assert_eq(id[i + c], (uint8_t)alpha[w & 63], "len %zu char %zu",
				             len, i + c);
		}
		cr_assert_eq(a.ks_pos, b.ks_pos);
		for (uint32_t k = 0; k < a.ks_pos; k++)
			cr_assert_eq(a.ks[k], 0, "keystream byte %u not erased", k);
	}
}
