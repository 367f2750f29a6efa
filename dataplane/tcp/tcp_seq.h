/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4: "comparisons must use modular
 * arithmetic"). Pure functions, usable anywhere.
 */

#include <stdbool.h>
#include <stdint.h>

static inline bool
tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
tcp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool
tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool
tcp_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* lo <= x < hi in sequence space. */
static inline bool
tcp_seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return tcp_seq_leq(lo, x) && tcp_seq_lt(x, hi);
}

static inline uint32_t
tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_gt(a, b) ? a : b;
}

static inline uint32_t
tcp_seq_min(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? a : b;
}

/*
 * RFC 9293 §3.10.7.4 first check, the four acceptability cases of a segment of seg_len
 * sequence numbers starting at seq against a receive window [rcv_nxt, rcv_nxt + rcv_wnd).
 */
static inline bool
tcp_seq_acceptable(uint32_t seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
	if (seg_len == 0) {
		if (rcv_wnd == 0)
			return seq == rcv_nxt;
		return tcp_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd);
	}
	if (rcv_wnd == 0)
		return false;
	return tcp_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd) ||
	       tcp_seq_in(seq + seg_len - 1, rcv_nxt, rcv_nxt + rcv_wnd);
}
