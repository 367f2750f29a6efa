/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two lcores: legs of one conference on different lcores. Copies go over the per-pair rings
 * (the recipient's lcore owns its connection), outcomes and REPORTs come back to the
 * sender's lcore, which keeps the final-report state. One test thread plays both lcores
 * (tw_settle polls them until the rings are empty), so every step is deterministic.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol, dave;

static void
two_lcores(void)
{
	struct sw_params p;

	tw_default_params(&p);
	p.n_lcores = 2;
	tw_init_params(&w, &p);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, NULL);
	tw_leg_add(&w, "conf1", "dave", &dave, NULL);
	tw_bind_on(&w, &alice, 0);
	tw_bind_on(&w, &bob, 1);
	tw_bind_on(&w, &carol, 0);
	tw_bind_on(&w, &dave, 1);
}

static void
done(void)
{
	tw_fini(&w);
}

static uint64_t
lc_cnt(unsigned int i, enum sw_cnt id)
{
	return sw_lcore_counter(sw_engine_lcore(w.e, i), id);
}

Test(sw_lcores, fanout_both_ways, .init = two_lcores, .fini = done)
{
	struct tw_frames fa, fb, fc, fd;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-l001", "", "hello");
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fc.n, 1);
	cr_assert_eq(fd.n, 1);
	/* bob and dave were served by lcore 1 from copies handed over by lcore 0. */
	cr_assert_eq(lc_cnt(0, SW_CNT_XFER_TX), 2);
	cr_assert_eq(lc_cnt(1, SW_CNT_XFER_RX), 2);
	cr_assert_eq(lc_cnt(1, SW_CNT_TX_CHUNKS), 2);
	/* The transport on lcore 1 learns whose copy it sends (cross-lcore backpressure). */
	cr_assert(w.c[bob.tc].origin_known);
	cr_assert_eq(w.c[bob.tc].origin_lcore, 0);
	cr_assert_eq(w.c[bob.tc].origin_tc, alice.tc);
	cr_assert_not(w.c[carol.tc].origin_known); /* same lcore: the sender is sw_conn_rx's */
	cr_assert(tw_span_is(fb.f[0]->f.to_path, bob.path));
	cr_assert(tw_span_is(fb.f[0]->f.from_path, bob.uri));
	cr_assert_eq(fb.f[0]->body_len, 5);
	cr_assert(memcmp(fb.f[0]->body, "hello", 5) == 0);
	/* Different tids, each a live transaction of the lcore that sent it. */
	cr_assert_eq(sw_lcore_tx_in_use(sw_engine_lcore(w.e, 1)), 2);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 1);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_respond(&w, carol.tc, fc.f[0], 200);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 1);
	tw_respond(&w, dave.tc, fd.f[0], 200);
	/* The outcomes came back to lcore 0, which completed the message. */
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(lc_cnt(0, SW_CNT_RCPT_DELIVERED), 3);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
	/* The other way: bob (lcore 1) sends, alice and carol (lcore 0) get it. */
	tw_send_msg(&w, &bob, "t2bbbbbb", "msg-l002", "", "back");
	tw_take(&w, alice.tc, &fa);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	cr_assert_eq(fa.n, 2); /* the 200 for its own SEND earlier + the copy */
	cr_assert_eq(fc.n, 1);
	cr_assert_eq(fd.n, 1);
	cr_assert_eq(lc_cnt(1, SW_CNT_XFER_TX), 2);
	tw_frames_free(&fa);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
}

Test(sw_lcores, timeout_and_slow_on_remote_lcore, .init = two_lcores, .fini = done)
{
	struct tw_frames fc;

	w.c[dave.tc].queue_limit = 1; /* dave's queue is full after one frame */
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-l003", "", "one");
	tw_send_msg(&w, &alice, "t2aaaaaa", "msg-l004", "", "two");
	cr_assert_eq(lc_cnt(1, SW_CNT_SLOW_DROP), 1);
	tw_take(&w, carol.tc, &fc);
	for (unsigned int i = 0; i < fc.n; i++)
		tw_respond(&w, carol.tc, fc.f[i], 200);
	tw_frames_free(&fc);
	/* bob (lcore 1) never answers: its transactions time out there, 408 comes back. */
	tw_advance(&w, 30000000);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(sw_engine_lcore(w.e, 1)), 0);
	cr_assert_eq(lc_cnt(0, SW_CNT_RCPT_TIMEOUT), 3); /* bob x2, dave's first copy */
	cr_assert_eq(lc_cnt(0, SW_CNT_RCPT_FAILED), 1);  /* dave's second: queue overflow */
	cr_assert_eq(lc_cnt(0, SW_CNT_RCPT_DELIVERED), 2);
}

Test(sw_lcores, final_report_with_outcomes_from_both_lcores, .init = two_lcores, .fini = done)
{
	static const char cpim[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
	                           "From: <sip:alice@example.com>\r\n"
	                           "To: <sip:conf1@sw.example>\r\n"
	                           "FR.Final-Report: yes\r\n"
	                           "\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n"
	                           "hi";
	char buf[2048];
	struct tw_frames fa, fb, fc, fd;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-fr02",
	                    "Success-Report: yes\r\n", "message/cpim", 1, strlen(cpim), cpim, '$');
	struct fdr_recipient rc[8];
	struct fdr_report r = {.rcpt = rc};

	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	/* bob (lcore 1): 200 + success REPORT, which lcore 1 relays to lcore 0. */
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_report(&w, bob.tc, fb.f[0], 200);
	/* carol (lcore 0): failure. */
	tw_respond(&w, carol.tc, fc.f[0], 480);
	/* dave (lcore 1): connection drops -> left. */
	w.c[dave.tc].closed = true;
	sw_conn_closed(sw_engine_lcore(w.e, 1), w.c[dave.tc].eng, w.now_us);
	tw_settle(&w);
	cr_assert_eq(w.ev.final_report, 1);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.method, MSRP_METHOD_REPORT);
	cr_assert_eq(fdr_parse(fa.f[0]->body, (uint32_t)fa.f[0]->body_len, &r, 8), FDR_OK);
	cr_assert_eq(r.n_rcpt, 3);
	cr_assert_eq(rc[0].outcome, FDR_OUTCOME_DELIVERED);
	cr_assert_eq(rc[1].outcome, FDR_OUTCOME_FAILED);
	cr_assert_eq(rc[1].status, 480);
	cr_assert_eq(rc[2].outcome, FDR_OUTCOME_LEFT);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_frames_free(&fa);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
}

Test(sw_lcores, leg_deleted_on_remote_lcore_mid_message, .init = two_lcores, .fini = done)
{
	char buf[1024];
	struct tw_frames fb, fc, fd;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-l005", "", "text/plain", 1,
	                    6, "abc", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	cr_assert_eq(tw_leg_del(&w, &dave), 0);
	cr_assert_eq(w.c[dave.tc].closed, true); /* its lcore closed its last session */
	cr_assert_eq(lc_cnt(0, SW_CNT_RCPT_LEFT), 1);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-l005", "", "text/plain", 4, 6,
	             "def", '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fd.n, 1);
	/* Per-sender order at a recipient on the other lcore. */
	cr_assert_eq(fb.f[0]->f.byte_range.start, 1);
	cr_assert_eq(fb.f[1]->f.byte_range.start, 4);
	for (unsigned int i = 0; i < 2; i++) {
		tw_respond(&w, bob.tc, fb.f[i], 200);
		tw_respond(&w, carol.tc, fc.f[i], 200);
	}
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
}
