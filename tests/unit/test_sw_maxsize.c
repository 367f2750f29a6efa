/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A recipient's a=max-size (RFC 4975 §8.6) for messages whose total is unknown
 * (Byte-Range total "*", §7.1.1): the switch stops sending to that recipient once the bytes it
 * sent would go past its max-size, ends the open chunk with '#' and records not-sent 413;
 * the other recipients get the whole message.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol;

static void
setup(uint32_t rechunk, uint64_t bob_max)
{
	struct sw_params p;
	struct tw_leg_opts small = {.max_size = bob_max};

	tw_default_params(&p);
	if (rechunk != 0)
		p.rechunk_bytes = rechunk;
	tw_init_params(&w, &p);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, &small);
	tw_leg_add(&w, "c", "carol", &carol, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
}

/* Alice sends one chunk of message msgid at start with an unknown total ('*' unless end). */
static void
chunk(const char *tid, uint64_t start, const char *body, char flag)
{
	char buf[4096];
	struct tw_frames fa;
	uint64_t total = flag == '$' ? start + strlen(body) - 1 : 0;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, tid, "msgunknown1", "", "text/plain", start,
	                    total, body, flag);

	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 200);
	tw_frames_free(&fa);
}

/* Takes what tc got, checks the flags and body sizes, answers 200 to each. */
static void
expect(unsigned int tc, const char *flags, const unsigned int *sizes)
{
	struct tw_frames fs;

	tw_take(&w, tc, &fs);
	cr_assert_eq(fs.n, strlen(flags), "got %u frames", fs.n);
	for (unsigned int i = 0; i < fs.n; i++) {
		cr_assert_eq(fs.f[i]->f.method, MSRP_METHOD_SEND);
		cr_assert_eq((int)fs.f[i]->f.flag, (int)flags[i], "frame %u flag %c", i, fs.f[i]->f.flag);
		cr_assert_eq(fs.f[i]->body_len, sizes[i], "frame %u", i);
		tw_respond(&w, tc, fs.f[i], 200);
	}
	tw_frames_free(&fs);
}

Test(sw_maxsize, unknown_total_stopped_past_max_size)
{
	setup(0, 10);
	chunk("tid00001", 1, "12345678", '+'); /* 8 bytes: within bob's 10 */
	expect(bob.tc, "+", (const unsigned int[]){8});
	expect(carol.tc, "+", (const unsigned int[]){8});
	chunk("tid00002", 9, "abcdef", '+'); /* 14 > 10: bob's open chunk ends with '#' */
	expect(bob.tc, "#", (const unsigned int[]){6});
	expect(carol.tc, "+", (const unsigned int[]){6});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_MAX_SIZE_STOP), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);
	chunk("tid00003", 15, "xyz", '$'); /* nothing more to bob */
	expect(bob.tc, "", NULL);
	expect(carol.tc, "$", (const unsigned int[]){3});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_MAX_SIZE_STOP), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 1); /* carol only */
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);  /* bob */
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	tw_fini(&w);
}

Test(sw_maxsize, first_chunk_over_max_size_not_sent_at_all)
{
	setup(0, 4);
	chunk("tid00001", 1, "12345678", '+');
	expect(bob.tc, "", NULL); /* nothing open toward bob: no '#' either */
	expect(carol.tc, "+", (const unsigned int[]){8});
	chunk("tid00002", 9, "ab", '$');
	expect(bob.tc, "", NULL);
	expect(carol.tc, "$", (const unsigned int[]){2});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ABORT_FWD), 0);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_fini(&w);
}

Test(sw_maxsize, exactly_max_size_is_delivered)
{
	setup(0, 10);
	chunk("tid00001", 1, "12345", '+');
	chunk("tid00002", 6, "67890", '$'); /* 10 bytes = max-size: allowed */
	expect(bob.tc, "+$", (const unsigned int[]){5, 5});
	expect(carol.tc, "+$", (const unsigned int[]){5, 5});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_MAX_SIZE_STOP), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_fini(&w);
}

Test(sw_maxsize, rechunked_piece_past_max_size_ends_with_abort)
{
	/* One 40-byte chunk of unknown total, re-chunked by 16: bob (max 20) gets 16 + '#'. */
	setup(16, 20);
	chunk("tid00001", 1, "0123456789abcdefghijklmnopqrstuvwxyzABCD", '+');
	expect(bob.tc, "+#", (const unsigned int[]){16, 16});
	expect(carol.tc, "+++", (const unsigned int[]){16, 16, 8});
	/* The sender aborts later: the '#' goes to carol only (bob's message already ended). */
	chunk("tid00002", 41, "zz", '#');
	expect(bob.tc, "", NULL);
	expect(carol.tc, "#", (const unsigned int[]){2});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_MAX_SIZE_STOP), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	tw_fini(&w);
}

Test(sw_maxsize, known_total_still_excluded_up_front)
{
	setup(0, 10);
	{
		char buf[1024];
		size_t n = tw_chunk(buf, sizeof(buf), &alice, "tid00001", "msgknown01", "",
		                    "text/plain", 1, 12, "123456789012", '$');

		cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	}
	expect(bob.tc, "", NULL);
	expect(carol.tc, "$", (const unsigned int[]){12});
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_MAX_SIZE_STOP), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_fini(&w);
}
