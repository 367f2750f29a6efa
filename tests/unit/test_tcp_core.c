/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP building blocks that need no EAL: sequence arithmetic (RFC 9293 §3.4), the timer
 * wheel, RFC 6298 RTO computation, SipHash, RFC 6528 ISNs and SYN cookies, the RFC 6675 SACK
 * scoreboard (Update, IsLost, SetPipe, NextSeg).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "tcp/tcp.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_rto.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_wheel.h"

Test(tcp_seq, wraparound)
{
	cr_assert(tcp_seq_lt(0xfffffff0u, 0x10u));
	cr_assert(tcp_seq_gt(0x10u, 0xfffffff0u));
	cr_assert(tcp_seq_leq(5, 5) && tcp_seq_geq(5, 5));
	cr_assert(tcp_seq_in(0, 0xffffff00u, 0x100u));
	cr_assert(!tcp_seq_in(0x100u, 0xffffff00u, 0x100u));
	cr_assert_eq(tcp_seq_max(0xfffffff0u, 3), 3);
}

Test(tcp_seq, acceptability_four_cases)
{
	/* RFC 9293 §3.10.7.4 table: zero/non-zero length x zero/non-zero window. */
	cr_assert(tcp_seq_acceptable(100, 0, 100, 0));
	cr_assert(!tcp_seq_acceptable(101, 0, 100, 0));
	cr_assert(tcp_seq_acceptable(150, 0, 100, 100));
	cr_assert(!tcp_seq_acceptable(200, 0, 100, 100));
	cr_assert(!tcp_seq_acceptable(100, 10, 100, 0));
	cr_assert(tcp_seq_acceptable(90, 20, 100, 100)); /* overlaps the left edge */
	cr_assert(tcp_seq_acceptable(199, 20, 100, 100));
	cr_assert(!tcp_seq_acceptable(80, 20, 100, 100));      /* entirely old */
	cr_assert(tcp_seq_acceptable(0xfffffffeu, 4, 0, 100)); /* across the wrap */
}

#define NE 64
static struct tcp_wheel_entry ents[NE];
static uint32_t heads[16];
static uint64_t fired_at[NE];
static uint32_t nfired;

static void
on_fire(void *ctx, uint32_t idx, uint64_t now)
{
	(void)ctx;
	fired_at[idx] = now;
	nfired++;
}

static void
reset(struct tcp_wheel *w)
{
	tcp_wheel_init(w, ents, NE, heads, 16, 1000, 0);
	memset(fired_at, 0, sizeof(fired_at));
	nfired = 0;
}

Test(tcp_wheel, fires_not_before_deadline)
{
	struct tcp_wheel w;

	reset(&w);
	tcp_wheel_schedule(&w, 1, 2500);
	tcp_wheel_expire(&w, 2000, on_fire, NULL);
	cr_assert_eq(nfired, 0);
	tcp_wheel_expire(&w, 3000, on_fire, NULL);
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired_at[1], 3000);
	cr_assert(!tcp_wheel_pending(&w, 1));
}

Test(tcp_wheel, beyond_one_revolution)
{
	struct tcp_wheel w;

	reset(&w);                        /* 16 slots of 1 ms */
	tcp_wheel_schedule(&w, 2, 40000); /* 2.5 revolutions away, same slot as 8 ms */
	tcp_wheel_schedule(&w, 3, 8000);
	for (uint64_t t = 0; t <= 39000; t += 1000)
		tcp_wheel_expire(&w, t, on_fire, NULL);
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired_at[3], 8000);
	tcp_wheel_expire(&w, 40000, on_fire, NULL);
	cr_assert_eq(fired_at[2], 40000);
}

Test(tcp_wheel, long_idle_jump)
{
	struct tcp_wheel w;

	reset(&w);
	for (uint32_t i = 0; i < 20; i++)
		tcp_wheel_schedule(&w, i, 1000 * (i + 1) * 7);
	/* One call after a long pause fires everything due, once. */
	tcp_wheel_expire(&w, 100000, on_fire, NULL);
	cr_assert_eq(nfired, 14); /* 7, 14, ..., 98 ms */
	tcp_wheel_expire(&w, 1000000, on_fire, NULL);
	cr_assert_eq(nfired, 20);
}

Test(tcp_wheel, cancel_and_reschedule)
{
	struct tcp_wheel w;

	reset(&w);
	tcp_wheel_schedule(&w, 5, 5000);
	tcp_wheel_schedule(&w, 6, 5000);
	tcp_wheel_schedule(&w, 7, 5000);
	tcp_wheel_cancel(&w, 6);
	tcp_wheel_schedule(&w, 7, 9000); /* moves, one entry per object */
	tcp_wheel_expire(&w, 6000, on_fire, NULL);
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired_at[5], 6000);
	cr_assert_eq(w.nscheduled, 1);
	tcp_wheel_expire(&w, 9000, on_fire, NULL);
	cr_assert_eq(fired_at[7], 9000);
	cr_assert_eq(w.nscheduled, 0);
}

static struct tcp_wheel *resched_w;

static void
on_fire_resched(void *ctx, uint32_t idx, uint64_t now)
{
	(void)ctx;
	nfired++;
	if (nfired < 5)
		tcp_wheel_schedule(resched_w, idx, now); /* "now" again: must not loop */
}

Test(tcp_wheel, callback_reschedules_itself)
{
	struct tcp_wheel w;

	reset(&w);
	resched_w = &w;
	tcp_wheel_schedule(&w, 1, 1000);
	tcp_wheel_expire(&w, 1000, on_fire_resched, NULL);
	cr_assert_eq(nfired, 1);
	tcp_wheel_expire(&w, 2000, on_fire_resched, NULL);
	cr_assert_eq(nfired, 2);
}

Test(tcp_wheel, randomized_against_reference)
{
	struct tcp_wheel w;
	uint64_t due[NE] = {0};
	uint64_t now = 0;

	reset(&w);
	srand(7);
	for (int step = 0; step < 20000; step++) {
		uint32_t i = (uint32_t)rand() % NE;

		if (rand() % 3 == 0) {
			tcp_wheel_cancel(&w, i);
			due[i] = 0;
		} else {
			due[i] = now + 1 + (uint64_t)(rand() % 50000);
			tcp_wheel_schedule(&w, i, due[i]);
		}
		now += (uint64_t)(rand() % 3000);
		memset(fired_at, 0, sizeof(fired_at));
		tcp_wheel_expire(&w, now, on_fire, NULL);
		for (uint32_t k = 0; k < NE; k++) {
			if (due[k] != 0 && due[k] <= (now / 1000) * 1000) {
				cr_assert_neq(fired_at[k], 0, "entry %u due %lu not fired at %lu",
				              k, due[k], now);
				due[k] = 0;
			} else {
				cr_assert_eq(fired_at[k], 0, "entry %u due %lu fired early at %lu",
				             k, due[k], now);
			}
		}
	}
}

Test(tcp_rto, rfc6298_computation)
{
	struct tcp_rto r;

	tcp_rto_init(&r, 200000);
	cr_assert_eq(tcp_rto_current(&r), 1000000); /* §2.1 */
	tcp_rto_sample(&r, 100000);
	/* §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 300 ms. */
	cr_assert_eq(r.srtt_us, 100000);
	cr_assert_eq(r.rttvar_us, 50000);
	cr_assert_eq(tcp_rto_current(&r), 300000);
	tcp_rto_sample(&r, 100000);
	/* §2.3: RTTVAR = 3/4 * 50 + 1/4 * 0 = 37.5 ms; RTO = 100 + 150 = 250 ms. */
	cr_assert_eq(r.rttvar_us, 37500);
	cr_assert_eq(tcp_rto_current(&r), 250000);
	tcp_rto_backoff(&r);
	cr_assert_eq(tcp_rto_current(&r), 500000); /* §5.5 */
	for (int i = 0; i < 40; i++)
		tcp_rto_backoff(&r);
	cr_assert_eq(tcp_rto_current(&r), TCP_RTO_MAX_US);
	tcp_rto_init(&r, 200000);
	tcp_rto_sample(&r, 10); /* a LAN: the configured minimum applies */
	cr_assert_eq(tcp_rto_current(&r), 200000);
}

Test(tcp_isn, siphash_reference_vectors)
{
	/* SipHash-2-4 paper, Appendix A: key 00..0f, messages 00..(n-1). */
	struct tcp_secret k = {.k0 = 0x0706050403020100ULL, .k1 = 0x0f0e0d0c0b0a0908ULL};
	uint64_t m[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

	cr_assert_eq(tcp_siphash(&k, m, 0), 0x726fdb47dd0e0e31ULL);
	cr_assert_eq(tcp_siphash(&k, m, 1), 0x93f5f5799a932462ULL);
	cr_assert_eq(tcp_siphash(&k, m, 2), 0x3f2acc7f57c29bdbULL);
}

Test(tcp_isn, rfc6528_properties)
{
	struct tcp_secret k = {.k0 = 11, .k1 = 22}, k2 = {.k0 = 11, .k1 = 23};
	struct tcp_tuple t = {.local_ip = 0x0a000002,
	                      .remote_ip = 0x0a000001,
	                      .local_port = 7,
	                      .remote_port = 40000};
	struct tcp_tuple u = t;
	uint32_t a = tcp_isn(&k, &t, 1000000);

	/* M advances 1 per 4 µs for the same connection-id. */
	cr_assert_eq(tcp_isn(&k, &t, 1000400) - a, 100);
	u.remote_port++;
	cr_assert_neq(tcp_isn(&k, &u, 1000000), a);
	cr_assert_neq(tcp_isn(&k2, &t, 1000000), a); /* keyed */
}

Test(tcp_isn, syn_cookie_roundtrip_and_expiry)
{
	struct tcp_secret k = {.k0 = 5, .k1 = 6};
	struct tcp_tuple t = {.local_ip = 1, .remote_ip = 2, .local_port = 7, .remote_port = 9};
	struct tcp_tuple u = t;
	uint64_t now = 1000ULL * 1000000;
	uint32_t c = tcp_cookie_make(&k, &t, 12345, 1460, now);
	uint16_t mss = 0;

	cr_assert(tcp_cookie_check(&k, &t, 12345, c, now + 1000, &mss));
	cr_assert_eq(mss, 1460);
	cr_assert(tcp_cookie_check(&k, &t, 12345, c, now + 64ULL * 1000000, &mss));
	cr_assert(!tcp_cookie_check(&k, &t, 12345, c, now + 200ULL * 1000000, &mss)); /* stale */
	cr_assert(!tcp_cookie_check(&k, &t, 12346, c, now, &mss)); /* other peer ISN */
	u.remote_port = 10;
	cr_assert(!tcp_cookie_check(&k, &u, 12345, c, now, &mss)); /* other tuple */
	cr_assert(!tcp_cookie_check(&k, &t, 12345, c ^ 1, now, &mss));
	/* MSS rounds down to a table value. */
	c = tcp_cookie_make(&k, &t, 1, 1300, now);
	cr_assert(tcp_cookie_check(&k, &t, 1, c, now, &mss));
	cr_assert_eq(mss, 1200);
}

/* A chain of three segments (100, 200, 300 bytes) built on the stack: the split only walks
 * and relinks headers, so no mempool (and no EAL) is needed. */
static void
chain3(struct rte_mbuf seg[3])
{
	static const uint16_t len[3] = {100, 200, 300};

	memset(seg, 0, 3 * sizeof(seg[0]));
	for (int i = 0; i < 3; i++) {
		seg[i].data_len = len[i];
		seg[i].next = i < 2 ? &seg[i + 1] : NULL;
	}
	seg[0].pkt_len = 600;
	seg[0].nb_segs = 3;
}

Test(tcp_chain, split_between_segments)
{
	struct rte_mbuf seg[3], *m, *part;

	chain3(seg);
	m = &seg[0];
	part = tcp_chain_split(&m, 350); /* 100 + 200 fit, the 300-byte segment does not */
	cr_assert_eq(part, &seg[0]);
	cr_assert_eq(part->pkt_len, 300);
	cr_assert_eq(part->nb_segs, 2);
	cr_assert_null(seg[1].next);
	cr_assert_eq(m, &seg[2]);
	cr_assert_eq(m->pkt_len, 300);
	cr_assert_eq(m->nb_segs, 1);

	chain3(seg);
	m = &seg[0];
	cr_assert_null(tcp_chain_split(&m, 99), "first segment larger than max");
	cr_assert_eq(m, &seg[0]);
	cr_assert_eq(m->pkt_len, 600);
	cr_assert_eq(m->nb_segs, 3);

	part = tcp_chain_split(&m, 600);
	cr_assert_eq(part, &seg[0]);
	cr_assert_null(m, "everything taken");
	cr_assert_eq(part->pkt_len, 600);
	cr_assert_eq(part->nb_segs, 3);
}

/* ---- RFC 6675 scoreboard ---- */

static void
sb_add(struct tcp_sack_sb *sb, uint32_t start, uint32_t end, uint32_t want_newly, bool want_forgot)
{
	bool forgot;

	cr_assert_eq(tcp_sack_sb_add(sb, start, end, &forgot), want_newly, "add [%u, %u)", start,
	             end);
	cr_assert_eq(forgot, want_forgot, "add [%u, %u)", start, end);
}

static void
sb_expect(const struct tcp_sack_sb *sb, const uint32_t *pairs, uint8_t n)
{
	cr_assert_eq(sb->n, n, "%u ranges, want %u", sb->n, n);
	for (uint8_t i = 0; i < n; i++) {
		cr_assert_eq(sb->blk[i].start, pairs[2 * i], "range %u start %u", i,
		             sb->blk[i].start);
		cr_assert_eq(sb->blk[i].end, pairs[2 * i + 1], "range %u end %u", i,
		             sb->blk[i].end);
	}
}

Test(tcp_sack, update_merges_and_counts_new_octets)
{
	struct tcp_sack_sb sb = {0};

	sb_add(&sb, 2000, 3000, 1000, false);
	sb_add(&sb, 4000, 5000, 1000, false);
	sb_add(&sb, 3000, 4000, 1000, false); /* touches both: one range */
	sb_expect(&sb, (const uint32_t[]){2000, 5000}, 1);
	sb_add(&sb, 2500, 3500, 0, false); /* repeated (or a D-SACK inside): nothing new */
	sb_add(&sb, 1500, 2500, 500, false);
	sb_add(&sb, 6000, 7000, 1000, false);
	sb_add(&sb, 8000, 9000, 1000, false);
	/* Spans two ranges and the gaps between: 3000 octets, 1500 of them new. */
	sb_add(&sb, 5500, 8500, 1500, false);
	sb_expect(&sb, (const uint32_t[]){1500, 5000, 5500, 9000}, 2);
	cr_assert_eq(tcp_sack_sb_sacked(&sb, 0, 10000), 7000);
	cr_assert_eq(tcp_sack_sb_sacked(&sb, 4500, 6000), 1000);
}

Test(tcp_sack, full_scoreboard_forgets_the_highest_range)
{
	struct tcp_sack_sb sb = {0};

	for (uint32_t k = 1; k <= TCP_SACK_SB_MAX; k++)
		sb_add(&sb, k * 1000 + 100, k * 1000 + 200, 100, false);
	/* A new highest range is not recorded, but it was news (a duplicate ACK). */
	sb_add(&sb, 9100, 9200, 100, true);
	cr_assert_eq(sb.n, TCP_SACK_SB_MAX);
	cr_assert_eq(sb.blk[TCP_SACK_SB_MAX - 1].start, 8100);
	/* A new lowest one pushes the highest out. */
	sb_add(&sb, 500, 600, 100, true);
	cr_assert_eq(sb.n, TCP_SACK_SB_MAX);
	cr_assert_eq(sb.blk[0].start, 500);
	cr_assert_eq(sb.blk[TCP_SACK_SB_MAX - 1].start, 7100);
	/* Merging needs no room: [1100, 1200) and [2100, 2200) join. */
	sb_add(&sb, 1200, 2100, 900, false);
	cr_assert_eq(sb.n, TCP_SACK_SB_MAX - 1);
	cr_assert_eq(sb.blk[1].start, 1100);
	cr_assert_eq(sb.blk[1].end, 2200);
}

Test(tcp_sack, cumulative_ack_trims_and_detects_reneging)
{
	struct tcp_sack_sb sb = {0};
	bool forgot;

	tcp_sack_sb_add(&sb, 2000, 3000, &forgot);
	tcp_sack_sb_add(&sb, 4000, 5000, &forgot);
	cr_assert(!tcp_sack_sb_acked(&sb, 1500));
	cr_assert_eq(sb.n, 2);
	cr_assert(!tcp_sack_sb_acked(&sb, 3000)); /* the hole was filled: range acknowledged */
	sb_expect(&sb, (const uint32_t[]){4000, 5000}, 1);
	/* RFC 2018 §8: the ACK stops at the start of SACKed data the receiver dropped. */
	cr_assert(tcp_sack_sb_acked(&sb, 4000));
	tcp_sack_sb_add(&sb, 6000, 7000, &forgot);
	cr_assert(tcp_sack_sb_acked(&sb, 6500)); /* or inside it */
	/* Across the sequence wrap. */
	tcp_sack_sb_reset(&sb);
	tcp_sack_sb_add(&sb, 0xfffffff0u, 0x10, &forgot);
	cr_assert(!tcp_sack_sb_acked(&sb, 0xffffff00u));
	cr_assert(tcp_sack_sb_acked(&sb, 0));
}

Test(tcp_sack, islost_three_segments_or_two_smss_of_bytes)
{
	struct tcp_sack_sb sb = {0};
	bool forgot;

	/* Three small segments SACKed above: DupThresh discontiguous sequences. */
	tcp_sack_sb_add(&sb, 1000, 1100, &forgot);
	tcp_sack_sb_add(&sb, 2000, 2100, &forgot);
	cr_assert(!tcp_sack_is_lost(&sb, 0, 1000));
	tcp_sack_sb_add(&sb, 3000, 3100, &forgot);
	cr_assert(tcp_sack_is_lost(&sb, 0, 1000));
	cr_assert(!tcp_sack_is_lost(&sb, 1500, 1000)); /* only two above */
	/* Bytes: exactly 2 SMSS is not more than (DupThresh - 1) * SMSS. */
	tcp_sack_sb_reset(&sb);
	tcp_sack_sb_add(&sb, 1000, 3000, &forgot);
	cr_assert(!tcp_sack_is_lost(&sb, 0, 1000));
	tcp_sack_sb_add(&sb, 3000, 3001, &forgot);
	cr_assert(tcp_sack_is_lost(&sb, 0, 1000));
	/* Octets above seq only: inside the range, part of it counts. */
	cr_assert(!tcp_sack_is_lost(&sb, 1500, 1000));
	cr_assert(!tcp_sack_is_lost(&sb, 5000, 1000));
}

/* SetPipe() octet by octet, as RFC 6675 §4 words it. */
static uint32_t
pipe_reference(const struct tcp_sack_sb *sb, uint32_t una, uint32_t high_data, uint32_t smss)
{
	uint32_t pipe = 0;

	for (uint32_t s = una; s != high_data; s++) {
		if (tcp_sack_sb_sacked(sb, s, s + 1) != 0)
			continue;
		if (!tcp_sack_is_lost(sb, s, smss))
			pipe++;
		if (tcp_seq_lt(s, sb->high_rxt))
			pipe++;
	}
	return pipe;
}

Test(tcp_sack, pipe_example_and_randomized_against_octet_walk)
{
	struct tcp_sack_sb sb = {0};
	bool forgot;

	/* Holes [0,1000) and [2000,3000) are lost (>= 3 ranges above), the rest in flight. */
	for (uint32_t k = 1; k <= 7; k += 2)
		tcp_sack_sb_add(&sb, k * 1000, k * 1000 + 1000, &forgot);
	sb.high_rxt = 0;
	cr_assert_eq(tcp_sack_pipe(&sb, 0, 10000, 1000), 1000 + 1000 + 2000);
	sb.high_rxt = 3000; /* both lost holes retransmitted */
	cr_assert_eq(tcp_sack_pipe(&sb, 0, 10000, 1000), 6000);

	srand(11);
	for (int round = 0; round < 2000; round++) {
		uint32_t base = (round & 1) ? 0xfffffe00u : 1000; /* half of them across the wrap */
		uint32_t smss = 10 + (uint32_t)rand() % 40;
		uint32_t high = base + 50 + (uint32_t)rand() % 400;

		tcp_sack_sb_reset(&sb);
		for (int k = rand() % 12; k > 0; k--) {
			uint32_t a = base + 1 + (uint32_t)rand() % (high - base - 1);
			uint32_t len = 1 + (uint32_t)rand() % 60;

			if (tcp_seq_gt(a + len, high))
				len = high - a;
			tcp_sack_sb_add(&sb, a, a + len, &forgot);
		}
		sb.high_rxt = base + (uint32_t)rand() % (high - base + 1);
		cr_assert_eq(tcp_sack_pipe(&sb, base, high, smss),
		             pipe_reference(&sb, base, high, smss), "round %d", round);
	}
}

Test(tcp_sack, nextseg_rules_in_order)
{
	struct tcp_sack_sb sb = {0};
	struct tcp_sack_snd in = {.una = 0,
	                          .high_data = 10000,
	                          .data_end = 10000,
	                          .smss = 1000,
	                          .recovery_point = 10000};
	uint32_t seq, len;
	bool forgot;

	for (uint32_t k = 1; k <= 7; k += 2)
		tcp_sack_sb_add(&sb, k * 1000, k * 1000 + 1000, &forgot);
	/* After (4.3): [0, 1000) resent, HighRxt = RescueRxt = its last octet. */
	sb.high_rxt = sb.rescue_rxt = 1000;
	/* Rule 1: [2000, 3000) has three ranges above it. */
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_LOST);
	cr_assert(seq == 2000 && len == 1000);
	sb.high_rxt = 3000;
	/* [4000, 5000) is not lost: new data first (rule 2), then that hole (rule 3). */
	in.new_avail = 500;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_NEW);
	cr_assert(seq == 10000 && len == 500);
	in.new_avail = 0;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_UNSACKED);
	cr_assert(seq == 4000 && len == 1000);
	sb.high_rxt = 7000;
	/* Every hole resent; rule 4 waits for HighACK > RescueRxt. */
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_NONE);
	/* Later: SND.UNA at 3000, [3000, 3500) resent, [3500, 4000) SACKed. */
	in.una = 3000;
	tcp_sack_sb_reset(&sb);
	tcp_sack_sb_add(&sb, 3500, 4000, &forgot);
	sb.high_rxt = 3500;
	/* Tail [4000, 10000) unSACKed below RecoveryPoint: the last segment of it. */
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_RESCUE);
	cr_assert(seq == 9000 && len == 1000);
	/* With the FIN as the last octet, the segment is the last 1000 bytes plus the FIN. */
	in.data_end = 9999;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_RESCUE);
	cr_assert(seq == 8999 && len == 1001);
	/* Data sent during recovery (above RecoveryPoint) is never rescued. */
	in.recovery_point = 4000;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_NONE);
	/* Once RescueRxt = RecoveryPoint, no second rescue in this recovery. */
	in.recovery_point = 10000;
	sb.rescue_rxt = in.recovery_point;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_NONE);
}

Test(tcp_sack, nextseg_large_hole_goes_segment_by_segment)
{
	struct tcp_sack_sb sb = {0};
	struct tcp_sack_snd in = {.una = 0,
	                          .high_data = 9000,
	                          .data_end = 9000,
	                          .smss = 1000,
	                          .recovery_point = 9000};
	uint32_t seq, len;
	bool forgot;

	tcp_sack_sb_add(&sb, 5000, 6000, &forgot);
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_UNSACKED);
	cr_assert(seq == 0 && len == 1000);
	tcp_sack_sb_add(&sb, 6500, 6600, &forgot);
	tcp_sack_sb_add(&sb, 7000, 7100, &forgot);
	sb.high_rxt = 1000;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_LOST);
	cr_assert(seq == 1000 && len == 1000);
	sb.high_rxt = 4500;
	cr_assert_eq(tcp_sack_next_seg(&sb, &in, &seq, &len), TCP_SACK_LOST);
	cr_assert(seq == 4500 && len == 500); /* never into SACKed octets */
}

Test(tcp_sack, skip_sacked_ranges_after_timeout)
{
	struct tcp_sack_sb sb = {0};
	uint32_t room;
	bool forgot;

	tcp_sack_sb_add(&sb, 1000, 2000, &forgot);
	tcp_sack_sb_add(&sb, 3000, 4000, &forgot);
	cr_assert_eq(tcp_sack_skip(&sb, 500, &room), 500);
	cr_assert_eq(room, 500);
	cr_assert_eq(tcp_sack_skip(&sb, 1000, &room), 2000);
	cr_assert_eq(room, 1000);
	cr_assert_eq(tcp_sack_skip(&sb, 1500, &room), 2000);
	cr_assert_eq(tcp_sack_skip(&sb, 3500, &room), 4000);
	cr_assert_eq(room, UINT32_MAX);
	cr_assert_eq(tcp_sack_skip(&sb, 4500, &room), 4500);
	cr_assert_eq(room, UINT32_MAX);
}
