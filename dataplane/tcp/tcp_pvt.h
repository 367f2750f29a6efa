/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/* Internals shared by tcp_stack.c, tcp_input.c and tcp_output.c. Not included elsewhere. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "tcp/tcp.h"
#include "tcp/tcp_rto.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_wheel.h"

#define TCP_NONE          UINT32_MAX
#define TCP_WHEEL_SLOTS   4096 /* 1 ms ticks: one revolution = 4.096 s */
#define TCP_WHEEL_TICK_US 1000
#define TCP_MAX_OPT_LEN   40
#define TCP_HDR_MAX       (20 + TCP_MAX_OPT_LEN)
#define TCP_TS_OPT_LEN    12  /* NOP NOP TS */
#define TCP_DEFAULT_MSS   536 /* RFC 9293 §3.7.1: when the peer sends no MSS option */
#define TCP_WSCALE_MAX    14  /* RFC 7323 §2.3 */
#define TCP_PAWS_IDLE_US  (24ULL * 86400 * 1000000) /* RFC 7323 §5.5 */

/* Header flags (RFC 9293 §3.1). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

/* Connection flags. */
#define TCPF_TS_OK         0x0001 /* both sides sent TS on SYN (RFC 7323 §3.2) */
#define TCPF_WS_OK         0x0002 /* both sides sent WS */
#define TCPF_FIN_QUEUED    0x0004 /* application closed: FIN follows the data */
#define TCPF_FIN_RCVD      0x0008 /* peer's FIN consumed (rcv_nxt covers it) */
#define TCPF_ACK_FLUSH     0x0010 /* ACK owed at the end of the burst */
#define TCPF_ACK_DELAYED   0x0020 /* delayed-ACK timer armed */
#define TCPF_WANT_WRITABLE 0x0040 /* tcp_send returned -EAGAIN */
#define TCPF_APP_GONE      0x0080 /* closed callback delivered or aborted: no more callbacks */
#define TCPF_IN_RECOVERY   0x0100 /* fast recovery: NewReno (RFC 6582) or SACK (below) */
#define TCPF_RTT_TIMING    0x0200 /* rtt_seq/rtt_start valid (Karn: not on retransmits) */
#define TCPF_FREE_PENDING  0x0400 /* released while a callback was running */
#define TCPF_PASSIVE       0x0800 /* from a listener (SYN-RECEIVED returns nothing to app) */
#define TCPF_COOKIE        0x1000 /* created from a SYN cookie */
#define TCPF_SACK_OK       0x2000 /* both sides sent SACK-permitted (RFC 2018 §2) */
#define TCPF_SACK_RECOVERY 0x4000 /* with TCPF_IN_RECOVERY: RFC 6675 SACK-based recovery */

/* Per-mbuf metadata in a dynamic field: the out-of-order queue. */
struct tcp_mbuf_meta {
	struct rte_mbuf *next_pkt;
	uint32_t seq;
	uint32_t fin; /* the segment carried FIN after its data */
};

/*
 * One connection. Thread-safety: owned by the stack's lcore; never touched elsewhere.
 * Sequence variables follow RFC 9293 §3.3.1. snd_max is the highest sequence sent (snd_nxt
 * goes back to snd_una on a retransmission timeout).
 */
struct tcp_conn {
	struct tcp_tuple t;
	uint32_t gen;
	uint32_t hash_next;
	uint32_t flush_next;
	uint16_t flags;
	uint8_t state;
	uint8_t listener; /* index + 1 of the listener (passive opens), 0 otherwise */
	const struct tcp_app_ops *ops;
	void *ctx;

	/* Send side. */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
	uint32_t sq_seq;                    /* sequence of the first byte in the send queue */
	uint32_t sq_bytes;                  /* bytes queued (sent-unacknowledged plus unsent) */
	struct rte_mbuf *sq_head, *sq_tail; /* raw segment list linked by ->next */
	struct rte_mbuf *sq_cur;            /* cursor: a segment inside the queue */
	uint32_t sq_cur_seq;                /* sequence of sq_cur's first byte */
	uint16_t mss;                       /* effective send MSS (RFC 9293 §3.7.1) */
	uint8_t snd_wscale, rcv_wscale;

	/* Receive side. */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge last advertised */
	uint32_t rcv_unread;            /* delivered, not yet tcp_recv_done() */
	uint32_t ooo_bytes;
	struct rte_mbuf *ooo_head; /* sorted by seq, linked through tcp_mbuf_meta */
	uint16_t segs_unacked;     /* full segments received since our last ACK */
	uint32_t sack_recent;      /* seq of the latest out-of-order arrival (RFC 2018 §4) */

	/* RFC 7323 timestamps. */
	uint32_t ts_offset, ts_recent, last_ack_sent;
	uint64_t ts_recent_us;

	/*
	 * Congestion control (RFC 5681, RFC 6582) and RTT (RFC 6298). recover is NewReno's
	 * "recover" and RFC 6675's RecoveryPoint + 1 (SND.MAX when recovery began).
	 */
	uint32_t cwnd, ssthresh, recover;
	uint16_t dupacks;
	uint8_t rtx_count, keep_probes;
	uint8_t persist_backoff;
	struct tcp_rto rto;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	struct tcp_sack_sb sack; /* the peer's SACK blocks (RFC 6675 §3); TCPF_SACK_OK only */

	/* Deadlines in µs, 0 = off; the wheel entry is at the earliest one. */
	uint64_t t_rtx, t_delack, t_persist, t_keep, t_2msl;
	uint64_t last_rx_us;
};

struct tcp_listener {
	uint16_t port; /* 0: free slot */
	uint32_t syn_rcvd;
	const struct tcp_app_ops *ops;
	void *ctx;
};

/* Thread-safety: owned by one lcore (see tcp.h). */
struct tcp_stack {
	struct tcp_stats stats;
	struct tcp_params p;
	struct net_iface *ifc;
	struct rte_mempool *pool;
	uint32_t local_ip;
	uint16_t local_mss;
	uint8_t rcv_wscale;
	uint16_t next_ephemeral;
	int meta_off; /* dynfield offset of struct tcp_mbuf_meta */

	struct tcp_conn *conns;
	uint32_t nconns, in_use;
	uint32_t free_head; /* free slots linked through hash_next */
	uint32_t *hash;
	uint32_t hash_mask;
	struct tcp_listener *listeners;

	struct tcp_wheel wheel;
	struct tcp_wheel_entry *wheel_entries;
	uint32_t *wheel_heads;

	uint32_t flush_head; /* connections owing an ACK at tcp_flush() */
	uint32_t busy;       /* connection being processed (deferred free), TCP_NONE */
	uint64_t now_us;

	uint64_t chal_window_us;
	uint32_t chal_count;

	tcp_port_filter_fn *port_filter;
	void *port_filter_ctx;
};

/* A parsed segment. */
struct tcp_seg {
	uint32_t seq, ack, wnd;
	uint32_t len; /* payload bytes */
	uint16_t hlen;
	uint8_t flags;
	bool has_mss, has_ws, has_ts, sack_perm;
	bool has_sack; /* a SACK option was present (even with no usable block) */
	uint8_t nsack;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	struct tcp_sack_blk sack[TCP_SACK_OPT_MAX]; /* as received, not validated */
};

static inline struct tcp_mbuf_meta *
tcp_meta(const struct tcp_stack *st, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, st->meta_off, struct tcp_mbuf_meta *);
}

static inline struct tcp_handle
tcp_handle_of(const struct tcp_stack *st, const struct tcp_conn *c)
{
	struct tcp_handle h = {.idx = (uint32_t)(c - st->conns), .gen = c->gen};

	return h;
}

static inline void
tcp_cnt(struct tcp_stack *st, enum tcp_cnt c, uint64_t n)
{
	uint64_t *v = &st->stats.cnt[c];

	__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void
tcp_drop_cnt(struct tcp_stack *st, enum tcp_drop d)
{
	uint64_t *v = &st->stats.drop[d];

	__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static inline uint32_t
tcp_ts_now(const struct tcp_conn *c, uint64_t now_us)
{
	/* RFC 7323 §5.4: a millisecond clock with a per-connection random offset. */
	return (uint32_t)(now_us / 1000) + c->ts_offset;
}

/* Largest payload of one segment, accounting for the timestamp option. */
static inline uint32_t
tcp_seg_payload_max(const struct tcp_conn *c)
{
	return c->mss - ((c->flags & TCPF_TS_OK) ? TCP_TS_OPT_LEN : 0);
}

static inline bool
tcp_state_synchronized(uint8_t s)
{
	return s >= TCP_STATE_ESTABLISHED;
}

/* tcp_stack.c */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *st, const struct tcp_tuple *t);
struct tcp_conn *tcp_conn_alloc(struct tcp_stack *st, const struct tcp_tuple *t, uint64_t now_us);
void tcp_conn_release(struct tcp_stack *st, struct tcp_conn *c);
void tcp_set_state(struct tcp_stack *st, struct tcp_conn *c, enum tcp_state s);
void tcp_timer_update(struct tcp_stack *st, struct tcp_conn *c);
void tcp_notify_closed(struct tcp_stack *st, struct tcp_conn *c, int err);
bool tcp_admission_ok(struct tcp_stack *st);
struct tcp_listener *tcp_listener_find(struct tcp_stack *st, uint16_t port);
void tcp_conn_init_seq(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
uint32_t tcp_rcv_window(const struct tcp_conn *c, const struct tcp_stack *st);
void tcp_enter_time_wait(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
void tcp_sq_free_acked(struct tcp_stack *st, struct tcp_conn *c, uint32_t ack);

/* tcp_output.c */
void tcp_output(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
int tcp_send_syn(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
int tcp_send_ack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
int tcp_send_rst_conn(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
int tcp_send_data(struct tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint32_t len,
                  uint8_t flags, uint64_t now_us);
/*
 * Sends [seq, seq+len) of sequence space: the data part from the send queue, plus the FIN
 * when the range covers the octet after the data. Returns 0 or -ENOBUFS.
 */
int tcp_send_range(struct tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint32_t len,
                   uint64_t now_us);
int tcp_send_ctl(struct tcp_stack *st, const struct tcp_tuple *t, uint32_t seq, uint32_t ack,
                 uint8_t flags, uint16_t wnd, uint64_t now_us);
int tcp_send_cookie_synack(struct tcp_stack *st, const struct tcp_tuple *t,
                           const struct tcp_seg *syn, uint64_t now_us);
void tcp_ack_flush_mark(struct tcp_stack *st, struct tcp_conn *c);
int tcp_send_challenge_ack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
void tcp_retransmit_timeout(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);
uint32_t tcp_data_end(const struct tcp_conn *c);
