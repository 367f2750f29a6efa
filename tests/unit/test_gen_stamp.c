/* SPDX-License-Identifier: BSD-3-Clause */
/* msw-gen body stamp: round trip, any prefix (CPIM envelope), every corruption caught. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gen_stamp.h"

Test(gen_stamp, round_trip_sizes)
{
	static uint8_t body[70000];

	for (size_t len = GEN_STAMP_LEN; len < sizeof(body); len = len * 2 + 1) {
		struct gen_stamp st = {.sender = 7, .seq = len, .sent_ns = 123456789012ull}, got;

		cr_assert_eq(gen_stamp_write(&st, body, len), (int)len);
		cr_assert_eq(st.filler_len, len - GEN_STAMP_LEN);
		cr_assert_eq(gen_stamp_verify(body, len, &got), GEN_STAMP_OK, "len %zu", len);
		cr_assert_eq(got.sender, 7);
		cr_assert_eq(got.seq, len);
		cr_assert_eq(got.sent_ns, 123456789012ull);
		cr_assert_eq(got.filler_len, len - GEN_STAMP_LEN);
	}
	struct gen_stamp st = {0};

	cr_assert_eq(gen_stamp_write(&st, body, GEN_STAMP_LEN - 1), -EINVAL);
}

Test(gen_stamp, prefix_is_ignored)
{
	static const char env[] = "From: <sip:a@x>\r\nTo: <sip:c@x>\r\n\r\nContent-Type: "
	                          "text/plain\r\n\r\n";
	uint8_t body[600];
	struct gen_stamp st = {.sender = 1, .seq = 99, .sent_ns = 5}, got;

	memcpy(body, env, sizeof(env) - 1);
	gen_stamp_write(&st, body + sizeof(env) - 1, 400);
	cr_assert_eq(gen_stamp_verify(body, sizeof(env) - 1 + 400, &got), GEN_STAMP_OK);
	cr_assert_eq(got.seq, 99);
}

Test(gen_stamp, every_flipped_byte_is_caught)
{
	uint8_t body[300];
	struct gen_stamp st = {.sender = 3, .seq = 1, .sent_ns = 77}, got;

	gen_stamp_write(&st, body, sizeof(body));
	for (size_t i = 0; i < sizeof(body); i++) {
		uint8_t save = body[i];

		body[i] ^= 0x01;
		cr_assert_neq(gen_stamp_verify(body, sizeof(body), &got), GEN_STAMP_OK,
		              "flip at %zu not caught", i);
		body[i] = save;
	}
	cr_assert_eq(gen_stamp_verify(body, sizeof(body), &got), GEN_STAMP_OK);
}

Test(gen_stamp, truncation_and_garbage)
{
	uint8_t body[300];
	struct gen_stamp st = {.sender = 3, .seq = 1, .sent_ns = 77}, got;

	gen_stamp_write(&st, body, sizeof(body));
	/* A body cut at the front is shorter than the stamp says. */
	cr_assert_eq(gen_stamp_verify(body + 250, 50, &got), GEN_STAMP_SYNTAX);
	cr_assert_eq(gen_stamp_verify(body + 100, 200, &got), GEN_STAMP_SHORT);
	/* A body cut at the end has no stamp. */
	cr_assert_eq(gen_stamp_verify(body, 299, &got), GEN_STAMP_SYNTAX);
	memset(body, 'x', sizeof(body));
	cr_assert_eq(gen_stamp_verify(body, sizeof(body), &got), GEN_STAMP_SYNTAX);
	cr_assert_str_eq(gen_stamp_rc_str(GEN_STAMP_CHECKSUM), "checksum mismatch: body altered");
}

Test(gen_stamp, filler_differs_per_message)
{
	uint8_t a[200], b[200];
	struct gen_stamp sa = {.sender = 1, .seq = 1}, sb = {.sender = 1, .seq = 2};

	gen_stamp_write(&sa, a, sizeof(a));
	gen_stamp_write(&sb, b, sizeof(b));
	cr_assert_neq(memcmp(a, b, sizeof(a) - GEN_STAMP_LEN), 0);
}
