/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Robustness: damaged MSRP from a participant (bytes flipped, cut short, split anywhere, on
 * one or two lcores) never crashes the engine, never leaks or over-releases a buffer, and
 * every message, transaction and copy is released once connections close and timers run.
 * Deterministic (seeded PRNG), so a failure replays.
 */
#include "test_sw_wire.h"

static struct tw w;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
run(unsigned int lcores)
{
	struct sw_params p;
	struct tw_leg alice, bob, carol;
	static const char cpim[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
	                           "From: <sip:mallory@example.com>\r\n"
	                           "To: <sip:conf1@sw.example>\r\n"
	                           "FR.Final-Report: yes\r\n\r\n"
	                           "Content-Type: text/plain\r\n\r\nhi there";

	tw_default_params(&p);
	p.n_lcores = lcores;
	p.rechunk_bytes = 16;
	tw_init_params(&w, &p);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_WRAP, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, NULL);
	tw_bind_on(&w, &bob, lcores - 1);
	tw_bind_on(&w, &carol, 0);
	for (unsigned int it = 0; it < 400; it++) {
		char msg[4096];
		size_t len = 0;
		unsigned int tc = tw_accept_on(&w, it % lcores);

		alice.tc = tc;
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
		                        "MSRP bind%04u SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
		                        "Message-ID: bind%04u\r\n-------bind%04u$\r\n",
		                        it, alice.uri, alice.path, it, it);
		len += tw_chunk(msg + len, sizeof(msg) - len, &alice, "tidaaaa1", "msgaaaa1",
		                "Success-Report: yes\r\n", "message/cpim", 1, strlen(cpim) + 3,
		                cpim, '+');
		len += tw_chunk(msg + len, sizeof(msg) - len, &alice, "tidaaaa2", "msgaaaa1", "",
		                "message/cpim", strlen(cpim) + 1, strlen(cpim) + 3, "end", '$');
		len += tw_chunk(msg + len, sizeof(msg) - len, &alice, "tidaaaa3", "msgbbbb2", "",
		                "text/plain", 1, 0, "plain text to wrap", it % 2 ? '$' : '#');
		/* Damage: flip a few bytes, or cut the stream short. */
		unsigned int flips = (unsigned int)(next_rand() % 4);

		for (unsigned int k = 0; k < flips; k++)
			msg[next_rand() % len] = (char)next_rand();
		if (next_rand() % 4 == 0)
			len = (size_t)(next_rand() % len) + 1;
		tw_rx_split(&w, tc, msg, len, (size_t)(next_rand() % 64) + 1);
		/* Recipients answer some of what they got, with assorted codes. */
		for (unsigned int r = 0; r < 2; r++) {
			struct tw_leg *q = r == 0 ? &bob : &carol;
			struct tw_frames fs;
			static const uint16_t codes[] = {200, 200, 413, 400, 481};

			tw_take(&w, q->tc, &fs);
			for (unsigned int i = 0; i < fs.n; i++) {
				if (fs.f[i]->f.kind != MSRP_KIND_REQUEST || next_rand() % 3 == 0)
					continue;
				tw_respond(&w, q->tc, fs.f[i], codes[next_rand() % 5]);
				if (fs.f[i]->f.flag == '$' && next_rand() % 2)
					tw_report(&w, q->tc, fs.f[i], next_rand() % 2 ? 200 : 415);
			}
			tw_frames_free(&fs);
		}
		/* The connection goes, closed by the engine (bad framing) or by the peer. */
		sw_conn_closed(sw_engine_lcore(w.e, w.c[tc].lcore), w.c[tc].eng, w.now_us);
		tw_settle(&w);
		w.c[tc].open = false;
		w.c[tc].closed = false;
		w.c[tc].out_len = 0;
		tw_drain_refs(&w, tc);
		tw_advance(&w, 1000);
	}
	tw_advance(&w, 61000000); /* every transaction and final-report timer expires */
	for (unsigned int i = 0; i < lcores; i++) {
		cr_assert_eq(sw_lcore_msgs_in_use(sw_engine_lcore(w.e, i)), 0, "lcore %u", i);
		cr_assert_eq(sw_lcore_tx_in_use(sw_engine_lcore(w.e, i)), 0, "lcore %u", i);
	}
	cr_assert_gt(tw_cnt(&w, SW_CNT_DROP_PROTO), 0);
	cr_assert_gt(tw_cnt(&w, SW_CNT_TX_CHUNKS), 0);
	cr_assert_gt(tw_cnt(&w, SW_CNT_TX_FINAL_REPORT), 0);
	cr_assert_gt(tw_cnt(&w, SW_CNT_CPIM_FROM_REWRITE), 0);
	tw_fini(&w);
}

Test(sw_robust, damaged_streams_one_lcore, .timeout = 60)
{
	run(1);
}

Test(sw_robust, damaged_streams_two_lcores, .timeout = 60)
{
	run(2);
}
