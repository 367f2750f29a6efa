/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recipients' responses (RFC 4975 §7.2): the plain "MSRP <tid> 200 OK" with the paths of a
 * bound leg is handled without the full parser (counter rx_resp_fast); every other shape goes
 * through the parser, with the same outcome as before the fast path existed.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob;

static void
two(void)
{
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
}

static void
done(void)
{
	tw_fini(&w);
}

/* Alice sends one message; bob's copy is returned in fs (one frame). */
static void
send_one(const char *tid, struct tw_frames *fs)
{
	struct tw_frames fa;

	tw_send_msg(&w, &alice, tid, tid, "", "hello");
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	tw_take(&w, bob.tc, fs);
	cr_assert_eq(fs->n, 1);
}

/* Bob answers with fmt, where the two %.*s are the copy's tid (start line, end-line). */
static void
answer(const struct tw_frame *t, const char *start_rest, const char *hdrs, size_t split)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "MSRP %.*s %s\r\n%s-------%.*s$\r\n", (int)t->f.tid.len,
	                 t->f.tid.p, start_rest, hdrs, (int)t->f.tid.len, t->f.tid.p);

	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	cr_assert_eq(tw_rx_split(&w, bob.tc, buf, (size_t)n, split), 0);
}

static void
paths(char *out, size_t cap, const char *from)
{
	snprintf(out, cap, "To-Path: %s\r\nFrom-Path: %s\r\n", bob.uri, from);
}

Test(sw_resp, builder_200_takes_fast_path, .init = two, .fini = done)
{
	struct tw_frames fb;

	send_one("tida0001", &fb);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP_FAST), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
}

Test(sw_resp, two_responses_in_one_buffer_and_split_ones, .init = two, .fini = done)
{
	struct tw_frames f1, f2, f3;
	char h[512], buf[2048];
	int n;

	send_one("tida0001", &f1);
	send_one("tida0002", &f2);
	paths(h, sizeof(h), bob.path);
	n = snprintf(buf, sizeof(buf),
	             "MSRP %.*s 200 OK\r\n%s-------%.*s$\r\nMSRP %.*s 200 OK\r\n%s-------%.*s$\r\n",
	             (int)f1.f[0]->f.tid.len, f1.f[0]->f.tid.p, h, (int)f1.f[0]->f.tid.len,
	             f1.f[0]->f.tid.p, (int)f2.f[0]->f.tid.len, f2.f[0]->f.tid.p, h,
	             (int)f2.f[0]->f.tid.len, f2.f[0]->f.tid.p);
	cr_assert_eq(tw_rx_split(&w, bob.tc, buf, (size_t)n, 0), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP_FAST), 2);
	/* Split across receive buffers: the parser takes it, same outcome. */
	send_one("tida0003", &f3);
	answer(f3.f[0], "200 OK", h, 7);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP), 3);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP_FAST), 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 3);
	tw_frames_free(&f1);
	tw_frames_free(&f2);
	tw_frames_free(&f3);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

Test(sw_resp, other_shapes_use_the_parser_with_same_outcome, .init = two, .fini = done)
{
	struct tw_frames fb;
	char h[512], h2[600];
	static const char *const starts[] = {"200", "200 fine", "200 OK"};

	paths(h, sizeof(h), bob.path);
	/* No comment, another comment. */
	for (unsigned int i = 0; i < 2; i++) {
		send_one(i == 0 ? "tida0001" : "tida0002", &fb);
		answer(fb.f[0], starts[i], h, 0);
		tw_frames_free(&fb);
	}
	/* Another (valid) From-Path, then an extra header. */
	send_one("tida0003", &fb);
	paths(h2, sizeof(h2), "msrp://relay.example:2855/r1;tcp");
	answer(fb.f[0], starts[2], h2, 0);
	tw_frames_free(&fb);
	send_one("tida0004", &fb);
	snprintf(h2, sizeof(h2), "%sX-Note: hi\r\n", h);
	answer(fb.f[0], starts[2], h2, 0);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP), 4);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP_FAST), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 4);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

Test(sw_resp, errors_and_unknown_tids_unchanged, .init = two, .fini = done)
{
	struct tw_frames fb;
	char h[512], buf[1024];
	int n;

	paths(h, sizeof(h), bob.path);
	/* An error code: the parser, outcome failed. */
	send_one("tida0001", &fb);
	answer(fb.f[0], "481 gone", h, 0);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_FAILED), 1);
	/* A 200 for a transaction we do not have: counted as unknown, as before. */
	n = snprintf(buf, sizeof(buf),
	             "MSRP zzzzzzzzzzzzzz00000001 200 OK\r\n%s"
	             "-------zzzzzzzzzzzzzz00000001$\r\n",
	             h);
	cr_assert_eq(tw_rx_split(&w, bob.tc, buf, (size_t)n, 0), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_RESP_UNKNOWN), 1);
	/* Bad framing that starts like the fast shape: the parser closes the connection. */
	send_one("tida0002", &fb);
	n = snprintf(buf, sizeof(buf), "MSRP %.*s 200 OK\r\n%s-------%.*s!\r\n",
	             (int)fb.f[0]->f.tid.len, fb.f[0]->f.tid.p, h, (int)fb.f[0]->f.tid.len,
	             fb.f[0]->f.tid.p);
	tw_frames_free(&fb);
	cr_assert_eq(tw_rx_split(&w, bob.tc, buf, (size_t)n, 0), -EPROTO);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RX_RESP_FAST), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_PROTO), 1);
	tw_advance(&w, 61000000);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}
