/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 6675 scoreboard and its routines (Update, IsLost, SetPipe, NextSeg) over a fixed array
 * of SACKed ranges. See tcp_sack.h for the conventions (exclusive ends).
 */

#include <string.h>

#include "tcp/tcp_sack.h"

void
tcp_sack_sb_reset(struct tcp_sack_sb *sb)
{
	sb->n = 0;
}

bool
tcp_sack_sb_acked(struct tcp_sack_sb *sb, uint32_t una)
{
	bool reneged = false;
	uint8_t k = 0;

	for (uint8_t i = 0; i < sb->n; i++) {
		struct tcp_sack_blk b = sb->blk[i];

		if (tcp_seq_leq(b.end, una))
			continue; /* cumulatively acknowledged now */
		if (tcp_seq_leq(b.start, una)) {
			/*
			 * RFC 2018 §8: the receiver held [start, end) and still acknowledges only
			 * up to una inside it, so it discarded SACKed data.
			 */
			reneged = true;
			continue;
		}
		sb->blk[k++] = b;
	}
	sb->n = k;
	return reneged;
}

uint32_t
tcp_sack_sb_sacked(const struct tcp_sack_sb *sb, uint32_t from, uint32_t to)
{
	uint32_t sum = 0;

	for (uint8_t i = 0; i < sb->n; i++) {
		uint32_t s = tcp_seq_max(sb->blk[i].start, from);
		uint32_t e = tcp_seq_min(sb->blk[i].end, to);

		if (tcp_seq_lt(s, e))
			sum += e - s;
	}
	return sum;
}

uint32_t
tcp_sack_sb_add(struct tcp_sack_sb *sb, uint32_t start, uint32_t end, bool *forgot)
{
	uint32_t newly = (end - start) - tcp_sack_sb_sacked(sb, start, end);
	uint8_t lo = 0, hi;

	*forgot = false;
	/* Ranges [lo, hi) overlap or touch [start, end): they collapse into one. */
	while (lo < sb->n && tcp_seq_lt(sb->blk[lo].end, start))
		lo++;
	hi = lo;
	while (hi < sb->n && tcp_seq_leq(sb->blk[hi].start, end))
		hi++;
	if (hi > lo) {
		sb->blk[lo].start = tcp_seq_min(start, sb->blk[lo].start);
		sb->blk[lo].end = tcp_seq_max(end, sb->blk[hi - 1].end);
		memmove(&sb->blk[lo + 1], &sb->blk[hi], (size_t)(sb->n - hi) * sizeof(sb->blk[0]));
		sb->n = (uint8_t)(sb->n - (hi - lo - 1));
		return newly;
	}
	if (sb->n == TCP_SACK_SB_MAX) {
		/*
		 * Full: keep the lowest ranges, which decide what is retransmitted next; the
		 * receiver reports the forgotten one again while it still holds it.
		 */
		*forgot = true;
		if (lo == sb->n)
			return newly;
		sb->n--;
	}
	memmove(&sb->blk[lo + 1], &sb->blk[lo], (size_t)(sb->n - lo) * sizeof(sb->blk[0]));
	sb->blk[lo].start = start;
	sb->blk[lo].end = end;
	sb->n++;
	return newly;
}

static uint32_t
tcp_sack_segs(uint32_t len, uint32_t smss)
{
	return (len + smss - 1) / smss;
}

static bool
tcp_sack_lost_above(uint32_t bytes, uint32_t segs, uint32_t smss)
{
	return segs >= TCP_SACK_DUPTHRESH || bytes > (TCP_SACK_DUPTHRESH - 1) * smss;
}

bool
tcp_sack_is_lost(const struct tcp_sack_sb *sb, uint32_t seq, uint32_t smss)
{
	uint32_t bytes = 0, segs = 0;

	if (smss == 0)
		smss = 1;
	/* Octets greater than seq, from the top down (the ranges are ascending). */
	for (int i = sb->n - 1; i >= 0; i--) {
		uint32_t s = tcp_seq_max(sb->blk[i].start, seq + 1);
		uint32_t len;

		if (!tcp_seq_lt(s, sb->blk[i].end))
			break;
		len = sb->blk[i].end - s;
		bytes += len;
		segs += tcp_sack_segs(len, smss);
		if (tcp_sack_lost_above(bytes, segs, smss))
			return true;
	}
	return false;
}

/* Octets of [a, b) below high_rxt: retransmitted during this recovery. */
static uint32_t
tcp_sack_rxt_part(uint32_t a, uint32_t b, uint32_t high_rxt)
{
	if (!tcp_seq_gt(high_rxt, a))
		return 0;
	return tcp_seq_min(high_rxt, b) - a;
}

uint32_t
tcp_sack_pipe(const struct tcp_sack_sb *sb, uint32_t una, uint32_t high_data, uint32_t smss)
{
	uint32_t top = sb->n > 0 ? sb->blk[sb->n - 1].end : una;
	uint32_t pipe = 0, bytes = 0, segs = 0;

	if (smss == 0)
		smss = 1;
	/* Above the highest SACKed octet nothing is IsLost(): all of it is in flight. */
	if (tcp_seq_lt(top, high_data))
		pipe += (high_data - top) + tcp_sack_rxt_part(top, high_data, sb->high_rxt);
	/*
	 * Each hole lies right below range i, so IsLost() of any of its octets sees exactly
	 * ranges i..n-1 above it: one pass from the top gives every hole's verdict.
	 */
	for (int i = sb->n - 1; i >= 0; i--) {
		uint32_t len = sb->blk[i].end - sb->blk[i].start;
		uint32_t hs = i > 0 ? sb->blk[i - 1].end : una, he = sb->blk[i].start;

		bytes += len;
		segs += tcp_sack_segs(len, smss);
		if (!tcp_seq_lt(hs, he))
			continue;
		if (!tcp_sack_lost_above(bytes, segs, smss))
			pipe += he - hs;
		pipe += tcp_sack_rxt_part(hs, he, sb->high_rxt);
	}
	return pipe;
}

/* Octets of a segment ending at end: smss of data, plus a FIN's octet at data_end. */
static uint32_t
tcp_sack_room(uint32_t end, uint32_t data_end, uint32_t smss)
{
	return tcp_seq_gt(end, data_end) ? smss + 1 : smss;
}

enum tcp_sack_rule
tcp_sack_next_seg(const struct tcp_sack_sb *sb, const struct tcp_sack_snd *in, uint32_t *seq,
                  uint32_t *len)
{
	uint32_t una = in->una, high_data = in->high_data;
	uint32_t smss = in->smss > 0 ? in->smss : 1;
	uint32_t cand = 0, cand_end = 0;
	bool have_cand = false;

	/*
	 * Rules 1 and 3 look at unSACKed octets above HighRxt (1.a) and below the highest
	 * SACKed octet (1.b), i.e. in the holes under the last range. The smallest one is the
	 * candidate; IsLost() only weakens going up, so if it is not lost no later one is.
	 */
	for (uint8_t i = 0; i < sb->n && !have_cand; i++) {
		uint32_t hs = i > 0 ? sb->blk[i - 1].end : una, he = sb->blk[i].start;

		if (tcp_seq_gt(sb->high_rxt, hs))
			hs = sb->high_rxt;
		if (!tcp_seq_lt(hs, he))
			continue;
		cand = hs;
		cand_end = he;
		have_cand = true;
	}
	if (have_cand && tcp_sack_is_lost(sb, cand, smss)) {
		*seq = cand;
		*len = cand_end - cand < smss ? cand_end - cand : smss;
		return TCP_SACK_LOST;
	}
	/* Rule 2: previously unsent data the receive window allows. */
	if (in->new_avail > 0) {
		*seq = high_data;
		*len = in->new_avail < smss ? in->new_avail : smss;
		return TCP_SACK_NEW;
	}
	/* Rule 3: the candidate hole even though it is not (yet) declared lost. */
	if (have_cand) {
		*seq = cand;
		*len = cand_end - cand < smss ? cand_end - cand : smss;
		return TCP_SACK_UNSACKED;
	}
	/*
	 * Rule 4: once per recovery (HighACK > RescueRxt), the segment holding the highest
	 * unSACKed octet of the loss window, so a loss at its tail does not wait for the RTO
	 * (narrowed as tcp_sack.h explains).
	 */
	if (tcp_seq_gt(una, sb->rescue_rxt)) {
		uint32_t top = sb->n > 0 ? sb->blk[sb->n - 1].end : una;
		uint32_t re = tcp_seq_min(in->recovery_point, high_data);
		uint32_t room = tcp_sack_room(re, in->data_end, smss);

		if (!tcp_seq_lt(top, re))
			return TCP_SACK_NONE;
		*seq = re - top > room ? re - room : top;
		*len = re - *seq;
		return TCP_SACK_RESCUE;
	}
	return TCP_SACK_NONE;
}

uint32_t
tcp_sack_skip(const struct tcp_sack_sb *sb, uint32_t seq, uint32_t *room)
{
	for (uint8_t i = 0; i < sb->n; i++) {
		if (tcp_seq_in(seq, sb->blk[i].start, sb->blk[i].end)) {
			seq = sb->blk[i].end;
			continue;
		}
		if (tcp_seq_lt(seq, sb->blk[i].start)) {
			*room = sb->blk[i].start - seq;
			return seq;
		}
	}
	*room = UINT32_MAX;
	return seq;
}
