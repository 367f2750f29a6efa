/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The SACK scoreboard of one connection's sender and the RFC 6675 routines over it (IsLost,
 * SetPipe, NextSeg). Pure functions on a small fixed array: no allocation, no DPDK, so the
 * unit tests exercise them without EAL.
 *
 * Sequence numbers are the connection's own (modulo 2^32, tcp_seq.h). The RFC's inclusive
 * variables are kept as exclusive ends here: high_rxt = HighRxt + 1, rescue_rxt =
 * RescueRxt + 1, high_data = HighData + 1 = SND.MAX, una = HighACK + 1 = SND.UNA.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp_seq.h"

/* RFC 6675 §2 DupThresh. */
#define TCP_SACK_DUPTHRESH 3
/*
 * Ranges remembered per connection. An ACK carries at most 4 blocks (3 with timestamps);
 * the scoreboard accumulates them over ACKs. 8 ranges describe 8 holes in one window, more
 * than 2% random loss produces in a 256 KiB window on average; when full, the highest range
 * is forgotten, which only makes the sender more conservative (tcp_sack_sb_add).
 */
#define TCP_SACK_SB_MAX 8
/* Blocks parsed from one SACK option (RFC 2018 §3: at most 4 fit in 40 option bytes). */
#define TCP_SACK_OPT_MAX 4

/* A range [start, end) of sequence space. Thread-safety: a plain value, no ownership. */
struct tcp_sack_blk {
	uint32_t start, end;
};

/*
 * RFC 6675 §3 scoreboard plus the per-recovery variables of §2.
 *
 * Thread-safety: embedded in struct tcp_conn and, like it, read and written only by the lcore
 * that owns the connection's stack (no atomics, never shared).
 *
 * Invariant: blk[0..n) ascending, disjoint and not adjacent (touching ranges are merged),
 * every range strictly above SND.UNA and at most SND.MAX.
 */
struct tcp_sack_sb {
	struct tcp_sack_blk blk[TCP_SACK_SB_MAX];
	uint8_t n;
	uint32_t high_rxt;   /* HighRxt + 1: retransmissions of this recovery reached here */
	uint32_t rescue_rxt; /* RescueRxt + 1 (rule 4 of NextSeg allowed once SND.UNA passes) */
};

/* What NextSeg() chose (RFC 6675 §4, rules 1-4). */
enum tcp_sack_rule {
	TCP_SACK_NONE = 0, /* rule 5: nothing to send */
	TCP_SACK_LOST,     /* rule 1: retransmit a hole IsLost() declares lost */
	TCP_SACK_NEW,      /* rule 2: previously unsent data */
	TCP_SACK_UNSACKED, /* rule 3: retransmit a hole not (yet) declared lost */
	TCP_SACK_RESCUE,   /* rule 4: the one rescue retransmission of the recovery */
};

/* Forgets every range (RTO, reneging, connection reuse). */
void tcp_sack_sb_reset(struct tcp_sack_sb *sb);

/*
 * The cumulative acknowledgment moved to una: ranges at or below it are dropped, a range
 * it cuts is trimmed. Returns true when una stopped inside a SACKed range: the receiver
 * discarded data it had SACKed (reneging, RFC 2018 §8); the caller then resets the board.
 */
bool tcp_sack_sb_acked(struct tcp_sack_sb *sb, uint32_t una);

/*
 * Update() of RFC 6675 §4 for one block the caller validated (SND.UNA < start < end <=
 * SND.MAX). Merges it with the ranges it overlaps or touches. Returns the octets that were
 * not SACKed before (0 for a repeated block or a D-SACK inside a known range). When the
 * board is full the highest range is forgotten (*forgot = true): it then counts as in flight
 * and not lost, so the sender sends less, never more.
 */
uint32_t tcp_sack_sb_add(struct tcp_sack_sb *sb, uint32_t start, uint32_t end, bool *forgot);

/* Octets SACKed in [from, to). */
uint32_t tcp_sack_sb_sacked(const struct tcp_sack_sb *sb, uint32_t from, uint32_t to);

/*
 * IsLost(seq) of RFC 6675 §4: true when DupThresh discontiguous SACKed segments lie above
 * seq or more than (DupThresh - 1) * smss octets above seq are SACKed. Segments inside one
 * range are counted as ceil(len / smss), a lower bound of what arrived.
 */
bool tcp_sack_is_lost(const struct tcp_sack_sb *sb, uint32_t seq, uint32_t smss);

/*
 * SetPipe() of RFC 6675 §4: octets in [una, high_data) not SACKed, counting once those not
 * IsLost() and once those below HighRxt (retransmitted in this recovery).
 */
uint32_t tcp_sack_pipe(const struct tcp_sack_sb *sb, uint32_t una, uint32_t high_data,
                       uint32_t smss);

/*
 * The sender's state NextSeg() looks at, besides the scoreboard. Thread-safety: a value the
 * caller fills on its own stack for one call (no ownership, never shared).
 */
struct tcp_sack_snd {
	uint32_t una;            /* SND.UNA = HighACK + 1 */
	uint32_t high_data;      /* SND.MAX = HighData + 1 */
	uint32_t data_end;       /* after the last data octet: a FIN's octet there needs no room */
	uint32_t smss;           /* payload octets per segment */
	uint32_t new_avail;      /* unsent octets the receive window allows now (rule 2) */
	uint32_t recovery_point; /* RecoveryPoint + 1: HighData when recovery began */
};

/*
 * NextSeg() of RFC 6675 §4. On success *seq and *len give the segment (at most smss data
 * octets plus a FIN's, never covering SACKed octets). The caller updates high_rxt (rules 1
 * and 3) or rescue_rxt (rule 4, set to RecoveryPoint + 1) once the segment is sent.
 *
 * Rule 4 (the rescue retransmission, a SHOULD) is narrowed to what it is for, a loss at the
 * tail of the window that entered recovery: it resends the segment ending at RecoveryPoint
 * when octets below RecoveryPoint lie unSACKed above the highest SACKed one. By the time it
 * may run (SND.UNA past the first retransmission, a round trip later) those octets would
 * have been SACKed had they arrived. Data sent during recovery is not a candidate: an
 * application writing a segment at a time would otherwise see each new segment resent at
 * once, and an unSACKed octet below the highest SACKed one is IsLost() or was retransmitted
 * already (rules 1 and 3 went past it).
 */
enum tcp_sack_rule tcp_sack_next_seg(const struct tcp_sack_sb *sb, const struct tcp_sack_snd *in,
                                     uint32_t *seq, uint32_t *len);

/*
 * For retransmissions outside recovery (go-back-N after a timeout, RFC 6675 §5.1: "filling
 * in" what the receiver reports missing): returns seq moved past the SACKed range holding
 * it, and in *room the octets from there to the next SACKed range (UINT32_MAX: none).
 */
uint32_t tcp_sack_skip(const struct tcp_sack_sb *sb, uint32_t seq, uint32_t *room);
