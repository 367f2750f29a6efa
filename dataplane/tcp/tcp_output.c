/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment construction and transmission: options (RFC 9293 §3.2, RFC 7323), data from the
 * send queue as indirect mbufs (zero copy), retransmission (RFC 6298 §5, RFC 5681 §3.1),
 * SACK recovery transmissions (RFC 6675 §5 step C), control segments (RST, challenge ACK,
 * SYN cookies).
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp_pvt.h"

#define TCP_OPT_EOL       0
#define TCP_OPT_NOP       1
#define TCP_OPT_MSS       2
#define TCP_OPT_WS        3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_TS        8

uint32_t
tcp_data_end(const struct tcp_conn *c)
{
	return c->sq_seq + c->sq_bytes;
}

/* Options of a SYN or SYN-ACK (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2 WS, §3.2 TS). */
static uint8_t
tcp_syn_opts(uint8_t *o, uint16_t mss, int wscale, bool ts, uint32_t tsval, uint32_t tsecr,
             bool sack)
{
	uint8_t n = 0;

	o[n++] = TCP_OPT_MSS;
	o[n++] = 4;
	o[n++] = (uint8_t)(mss >> 8);
	o[n++] = (uint8_t)mss;
	if (sack) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK_PERM;
		o[n++] = 2;
	}
	if (wscale >= 0) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_WS;
		o[n++] = 3;
		o[n++] = (uint8_t)wscale;
	}
	if (ts) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_TS;
		o[n++] = 10;
		tsval = rte_cpu_to_be_32(tsval);
		tsecr = rte_cpu_to_be_32(tsecr);
		memcpy(&o[n], &tsval, 4);
		memcpy(&o[n + 4], &tsecr, 4);
		n += 8;
	}
	return n;
}

/*
 * Prepends the TCP header to m (whose data is the payload, possibly empty), computes the
 * checksum and hands it to IPv4. Consumes m.
 */
static int
tcp_xmit(struct tcp_stack *st, struct rte_mbuf *m, const struct tcp_tuple *t, uint32_t seq,
         uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts, uint8_t optlen,
         uint64_t now_us)
{
	uint16_t hlen = (uint16_t)(20 + ((optlen + 3) & ~3));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)rte_pktmbuf_prepend(m, hlen);

	if (th == NULL) {
		rte_pktmbuf_free(m);
		tcp_cnt(st, TCP_CNT_NO_MBUF_TX, 1);
		return -ENOSPC;
	}
	th->src_port = rte_cpu_to_be_16(t->local_port);
	th->dst_port = rte_cpu_to_be_16(t->remote_port);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (optlen != 0) {
		uint8_t *o = (uint8_t *)(th + 1);

		memcpy(o, opts, optlen);
		memset(o + optlen, TCP_OPT_EOL, hlen - 20 - optlen);
	}
	th->cksum =
	        net_l4_cksum(m, 0, rte_pktmbuf_pkt_len(m), st->local_ip, t->remote_ip, IPPROTO_TCP);
	tcp_cnt(st, TCP_CNT_SEGS_TX, 1);
	return net_ipv4_output(st->ifc, m, t->remote_ip, IPPROTO_TCP, now_us);
}

static struct rte_mbuf *
tcp_hdr_mbuf(struct tcp_stack *st)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->pool);

	if (m == NULL)
		tcp_cnt(st, TCP_CNT_NO_MBUF_TX, 1);
	return m;
}

/* The window field we send: RFC 7323 §2.3, never scaled on SYN segments. */
static uint16_t
tcp_wnd_field(struct tcp_stack *st, struct tcp_conn *c)
{
	uint32_t w = tcp_rcv_window(c, st);
	uint32_t f = w >> c->rcv_wscale;

	/* Rounding the scaled field down must not pull the right edge back (never shrink). */
	if (tcp_seq_lt(c->rcv_nxt + (f << c->rcv_wscale), c->rcv_adv))
		f = (w + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale;
	if (f > 65535)
		f = 65535;
	c->rcv_adv = c->rcv_nxt + (f << c->rcv_wscale);
	return (uint16_t)f;
}

/* Everything sent on a connection carries the current ACK: the owed ACK is paid. */
static void
tcp_ack_sent(struct tcp_conn *c)
{
	c->last_ack_sent = c->rcv_nxt;
	c->segs_unacked = 0;
	c->flags &= (uint16_t) ~(TCPF_ACK_FLUSH | TCPF_ACK_DELAYED);
	c->t_delack = 0;
}

static uint8_t
tcp_ts_opt(uint8_t *o, const struct tcp_conn *c, uint64_t now_us)
{
	uint32_t v = rte_cpu_to_be_32(tcp_ts_now(c, now_us));
	uint32_t e = rte_cpu_to_be_32(c->ts_recent);

	o[0] = TCP_OPT_NOP;
	o[1] = TCP_OPT_NOP;
	o[2] = TCP_OPT_TS;
	o[3] = 10;
	memcpy(&o[4], &v, 4);
	memcpy(&o[8], &e, 4);
	return TCP_TS_OPT_LEN;
}

int
tcp_send_syn(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	struct rte_mbuf *m = tcp_hdr_mbuf(st);
	uint8_t opts[TCP_MAX_OPT_LEN];
	bool synack = c->state == TCP_STATE_SYN_RECEIVED;
	bool ts = synack ? (c->flags & TCPF_TS_OK) != 0 : st->p.timestamps;
	int ws = synack ? ((c->flags & TCPF_WS_OK) ? c->rcv_wscale : -1)
	                : (st->p.window_scaling ? c->rcv_wscale : -1);
	uint8_t n;
	uint32_t wnd;

	if (m == NULL)
		return -ENOBUFS;
	n = tcp_syn_opts(opts, st->local_mss, ws, ts, tcp_ts_now(c, now_us),
	                 synack ? c->ts_recent : 0,
	                 synack ? (c->flags & TCPF_SACK_OK) != 0 : st->p.sack);
	/* RFC 7323 §2.2: the window in a SYN or SYN-ACK is never scaled. */
	wnd = st->p.rcvbuf_bytes > 65535 ? 65535 : st->p.rcvbuf_bytes;
	if (synack) {
		c->rcv_adv = c->rcv_nxt + wnd;
		tcp_ack_sent(c);
	}
	return tcp_xmit(st, m, &c->t, c->iss, synack ? c->rcv_nxt : 0,
	                synack ? (TCP_SYN | TCP_ACK) : TCP_SYN, (uint16_t)wnd, opts, n, now_us);
}

int
tcp_send_cookie_synack(struct tcp_stack *st, const struct tcp_tuple *t, const struct tcp_seg *syn,
                       uint64_t now_us)
{
	struct rte_mbuf *m = tcp_hdr_mbuf(st);
	uint8_t opts[TCP_MAX_OPT_LEN];
	uint16_t mss = syn->has_mss ? syn->mss : TCP_DEFAULT_MSS;
	uint32_t cookie, tsval = 0;
	bool ts = st->p.timestamps && syn->has_ts;
	bool sack = false;
	int ws = -1;
	uint8_t n;

	if (m == NULL)
		return -ENOBUFS;
	if (mss > st->local_mss)
		mss = st->local_mss;
	cookie = tcp_cookie_make(&st->p.secret, t, syn->seq, mss, now_us);
	if (ts) {
		/*
		 * Without state the peer's window scale survives only in our TSval, echoed
		 * back in TSecr (low 4 bits; 0xf = no scaling). So scaling is offered with a
		 * cookie only when the SYN carried timestamps.
		 */
		uint64_t w[2] = {((uint64_t)t->local_ip << 32) | t->remote_ip,
		                 0x7500000000000000ULL | ((uint64_t)t->local_port << 16) |
		                         t->remote_port};
		uint32_t off = (uint32_t)tcp_siphash(&st->p.secret, w, 2);
		uint32_t wsbits = (st->p.window_scaling && syn->has_ws) ? syn->ws : 0xf;
		uint32_t sackbit = (st->p.sack && syn->sack_perm) ? 0x10 : 0;

		/* Low 5 bits of TSval: window scale (0xf none) and SACK-permitted. */
		tsval = (((uint32_t)(now_us / 1000) + off) & ~0x1fu) | sackbit | wsbits;
		if (wsbits != 0xf)
			ws = st->rcv_wscale;
		sack = sackbit != 0;
	}
	n = tcp_syn_opts(opts, st->local_mss, ws, ts, tsval, syn->tsval, sack);
	tcp_cnt(st, TCP_CNT_SYN_COOKIES_SENT, 1);
	return tcp_xmit(st, m, t, cookie, syn->seq + 1, TCP_SYN | TCP_ACK,
	                (uint16_t)(st->p.rcvbuf_bytes > 65535 ? 65535 : st->p.rcvbuf_bytes), opts,
	                n, now_us);
}

int
tcp_send_ctl(struct tcp_stack *st, const struct tcp_tuple *t, uint32_t seq, uint32_t ack,
             uint8_t flags, uint16_t wnd, uint64_t now_us)
{
	struct rte_mbuf *m = tcp_hdr_mbuf(st);

	if (m == NULL)
		return -ENOBUFS;
	if (flags & TCP_RST)
		tcp_cnt(st, TCP_CNT_RST_TX, 1);
	return tcp_xmit(st, m, t, seq, ack, flags, wnd, NULL, 0, now_us);
}

/*
 * Sequence number for segments without data (ACK, RST). RFC 9293 says SND.NXT, but our
 * SND.NXT goes back to SND.UNA after a timeout (go-back-N) while the peer may already hold
 * data up to SND.MAX: an ACK numbered below its RCV.NXT fails its acceptability test and the
 * acknowledgment it carries is lost (both sides retransmitting then deadlock). So SND.MAX,
 * except against a zero window, where only SEG.SEQ = RCV.NXT is acceptable and the peer's
 * RCV.NXT is the SND.UNA it just announced (a zero-window probe byte beyond it is not
 * accepted).
 */
static uint32_t
tcp_ctl_seq(const struct tcp_conn *c)
{
	return c->snd_wnd == 0 ? c->snd_una : c->snd_max;
}

int
tcp_send_rst_conn(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	/* RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST> (see tcp_ctl_seq). */
	return tcp_send_ctl(st, &c->t, tcp_ctl_seq(c), c->rcv_nxt, TCP_RST | TCP_ACK, 0, now_us);
}

int
tcp_send_ack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	return tcp_send_data(st, c, tcp_ctl_seq(c), 0, 0, now_us);
}

void
tcp_ack_flush_mark(struct tcp_stack *st, struct tcp_conn *c)
{
	if (c->flags & TCPF_ACK_FLUSH)
		return;
	c->flags |= TCPF_ACK_FLUSH;
	if (c->flush_next == TCP_NONE) {
		c->flush_next = st->flush_head;
		st->flush_head = (uint32_t)(c - st->conns);
	}
}

int
tcp_send_challenge_ack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	/* RFC 5961 §7: a global per-second budget keeps challenge ACKs from amplifying. */
	if (now_us - st->chal_window_us >= 1000000) {
		st->chal_window_us = now_us;
		st->chal_count = 0;
	}
	if (st->chal_count >= st->p.challenge_ack_per_s) {
		tcp_cnt(st, TCP_CNT_CHALLENGE_ACKS_LIMITED, 1);
		return -EAGAIN;
	}
	st->chal_count++;
	tcp_cnt(st, TCP_CNT_CHALLENGE_ACKS, 1);
	return tcp_send_ack(st, c, now_us);
}

/*
 * RFC 2018 §3-§4: SACK blocks for the out-of-order queue on ACKs. The first block MUST hold
 * the most recent arrival (§4), whatever its place in the queue; the others follow in
 * sequence order, as many as fit.
 */
static uint8_t
tcp_sack_opt(struct tcp_stack *st, struct tcp_conn *c, uint8_t *o, uint8_t room)
{
	struct tcp_sack_blk b[TCP_SACK_OPT_MAX];
	unsigned int nb = 1, max;
	bool recent = false;
	uint8_t n;

	if (room < 12)
		return 0;
	max = (unsigned int)(room - 4) / 8;
	if (max > TCP_SACK_OPT_MAX)
		max = TCP_SACK_OPT_MAX;
	for (struct rte_mbuf *m = c->ooo_head; m != NULL;) {
		struct tcp_mbuf_meta *mm = tcp_meta(st, m);
		uint32_t l = mm->seq, r = mm->seq + rte_pktmbuf_pkt_len(m);

		m = mm->next_pkt;
		/* Contiguous queued segments form one block. */
		while (m != NULL && tcp_meta(st, m)->seq == r) {
			r += rte_pktmbuf_pkt_len(m);
			m = tcp_meta(st, m)->next_pkt;
		}
		if (r == l)
			continue; /* a bare FIN placeholder */
		if (!recent && tcp_seq_in(c->sack_recent, l, r)) {
			b[0] = (struct tcp_sack_blk){l, r};
			recent = true;
		} else if (nb < max) {
			b[nb++] = (struct tcp_sack_blk){l, r};
		}
		if (recent && nb >= max)
			break;
	}
	if (!recent) {
		/* The latest arrival was delivered since: lowest blocks only. */
		memmove(&b[0], &b[1], (nb - 1) * sizeof(b[0]));
		nb--;
	}
	if (nb == 0)
		return 0;
	o[0] = TCP_OPT_NOP;
	o[1] = TCP_OPT_NOP;
	o[2] = 5; /* SACK */
	o[3] = (uint8_t)(2 + 8 * nb);
	n = 4;
	for (unsigned int i = 0; i < nb; i++) {
		uint32_t l = rte_cpu_to_be_32(b[i].start), r = rte_cpu_to_be_32(b[i].end);

		memcpy(&o[n], &l, 4);
		memcpy(&o[n + 4], &r, 4);
		n += 8;
	}
	return n;
}

/* Attaches [seq, seq+len) of the send queue to hdr as indirect mbufs. */
static int
tcp_attach_data(struct tcp_stack *st, struct tcp_conn *c, struct rte_mbuf *hdr, uint32_t seq,
                uint32_t len)
{
	struct rte_mbuf *s, *tail = hdr;
	uint32_t s_seq, off;

	if (c->sq_cur != NULL && tcp_seq_geq(seq, c->sq_cur_seq)) {
		s = c->sq_cur;
		s_seq = c->sq_cur_seq;
	} else {
		s = c->sq_head;
		s_seq = c->sq_seq;
	}
	while (s != NULL && tcp_seq_geq(seq, s_seq + s->data_len)) {
		s_seq += s->data_len;
		s = s->next;
	}
	off = seq - s_seq;
	while (len > 0 && s != NULL) {
		uint32_t take = s->data_len - off;
		struct rte_mbuf *mi;

		if (take > len)
			take = len;
		mi = rte_pktmbuf_alloc(st->pool);
		if (mi == NULL)
			return -ENOBUFS;
		rte_pktmbuf_attach(mi, s);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)take;
		mi->pkt_len = take;
		tail->next = mi;
		tail = mi;
		hdr->nb_segs++;
		hdr->pkt_len += take;
		len -= take;
		c->sq_cur = s;
		c->sq_cur_seq = s_seq;
		off = 0;
		s_seq += s->data_len;
		s = s->next;
	}
	return len == 0 ? 0 : -EINVAL;
}

/*
 * Sends one segment of the connection: payload [seq, seq+len) of the send queue, with ACK
 * and the current window; flags adds SYN/FIN/PSH. Returns 0 or -ENOBUFS.
 */
int
tcp_send_data(struct tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
              uint64_t now_us)
{
	struct rte_mbuf *m = tcp_hdr_mbuf(st);
	uint8_t opts[TCP_MAX_OPT_LEN];
	uint8_t n = 0;
	uint16_t wnd;

	if (m == NULL)
		return -ENOBUFS;
	if (len > 0 && tcp_attach_data(st, c, m, seq, len) != 0) {
		rte_pktmbuf_free(m);
		tcp_cnt(st, TCP_CNT_NO_MBUF_TX, 1);
		return -ENOBUFS;
	}
	if (c->flags & TCPF_TS_OK)
		n = tcp_ts_opt(opts, c, now_us);
	if (len == 0 && (c->flags & TCPF_SACK_OK) && c->ooo_head != NULL)
		n = (uint8_t)(n + tcp_sack_opt(st, c, opts + n, (uint8_t)(TCP_MAX_OPT_LEN - n)));
	wnd = tcp_wnd_field(st, c);
	tcp_ack_sent(c);
	if (len > 0 && tcp_seq_lt(seq, c->snd_max))
		tcp_cnt(st, TCP_CNT_RETRANSMIT_BYTES,
		        tcp_seq_lt(seq + len, c->snd_max) ? len : c->snd_max - seq);
	return tcp_xmit(st, m, &c->t, seq, c->rcv_nxt, (uint8_t)(flags | TCP_ACK), wnd, opts, n,
	                now_us);
}

static void
tcp_arm_rtx(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	(void)st;
	if (c->t_rtx == 0)
		c->t_rtx = now_us + tcp_rto_current(&c->rto);
}

int
tcp_send_range(struct tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint32_t len,
               uint64_t now_us)
{
	uint32_t end = tcp_data_end(c);
	uint32_t data = tcp_seq_lt(seq, end) ? tcp_seq_min(seq + len, end) - seq : 0;
	uint8_t flags = 0;

	/* The FIN occupies the octet right after the data (RFC 9293 §3.4). */
	if ((c->flags & TCPF_FIN_QUEUED) && tcp_seq_gt(seq + len, end))
		flags |= TCP_FIN;
	if (data > 0 && seq + data == end)
		flags |= TCP_PSH;
	return tcp_send_data(st, c, seq, data, flags, now_us);
}

/*
 * RFC 6675 §5 step (C), during SACK recovery: while cwnd - pipe >= 1 SMSS, send the segment
 * NextSeg() picks (lost holes first, then new data, then other holes, then the rescue).
 * SND.NXT = SND.MAX = HighData throughout.
 */
static void
tcp_sack_output(struct tcp_stack *st, struct tcp_conn *c, uint32_t end, bool fin_wanted,
                uint64_t now_us)
{
	uint32_t pmax = tcp_seg_payload_max(c);
	/* (B.2) SetPipe(). */
	uint32_t pipe = tcp_sack_pipe(&c->sack, c->snd_una, c->snd_max, pmax);

	while (c->cwnd >= pipe && c->cwnd - pipe >= pmax) {
		struct tcp_sack_snd in = {.una = c->snd_una,
		                          .high_data = c->snd_max,
		                          .data_end = end,
		                          .smss = pmax,
		                          .recovery_point = c->recover};
		enum tcp_sack_rule rule;
		uint32_t seq, len;

		if (tcp_seq_lt(c->snd_max, end) || (fin_wanted && c->snd_max == end)) {
			uint32_t right = c->snd_una + c->snd_wnd;
			uint32_t unsent = tcp_seq_lt(c->snd_max, end) ? end - c->snd_max : 0;
			uint32_t room = tcp_seq_gt(right, c->snd_max) ? right - c->snd_max : 0;

			in.new_avail = unsent < room ? unsent : room;
			if (fin_wanted && in.new_avail == unsent)
				in.new_avail++; /* the FIN's octet needs no window */
		}
		rule = tcp_sack_next_seg(&c->sack, &in, &seq, &len);
		if (rule == TCP_SACK_NONE)
			break;
		if (rule == TCP_SACK_NEW && fin_wanted && seq + len == end)
			len++; /* the FIN rides with the last data */
		if (tcp_send_range(st, c, seq, len, now_us) != 0)
			break; /* out of mbufs: the retransmission timer retries */
		if (rule == TCP_SACK_NEW) {
			uint32_t data =
			        tcp_seq_lt(seq, end) ? tcp_seq_min(seq + len, end) - seq : 0;

			tcp_cnt(st, TCP_CNT_BYTES_TX, data);
			if (!(c->flags & TCPF_RTT_TIMING) && data > 0) {
				c->flags |= TCPF_RTT_TIMING;
				c->rtt_seq = seq;
				c->rtt_start_us = now_us;
			}
			c->snd_nxt = c->snd_max = seq + len; /* (C.3) */
		} else {
			tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
			tcp_cnt(st, TCP_CNT_SACK_RETRANSMITS, 1);
			if (rule == TCP_SACK_RESCUE) {
				/* Rule 4: RescueRxt = RecoveryPoint; HighRxt is left alone. */
				c->sack.rescue_rxt = c->recover;
				tcp_cnt(st, TCP_CNT_SACK_RESCUE_RETRANSMITS, 1);
			} else {
				c->sack.high_rxt =
				        tcp_seq_max(c->sack.high_rxt, seq + len); /* (C.2) */
			}
		}
		pipe += len; /* (C.4) */
		tcp_arm_rtx(st, c, now_us);
	}
}

/*
 * Outside SACK recovery: sends from SND.NXT what cwnd and the receive window allow (RFC 9293
 * §3.8.6.2.1 with Nagle off, RFC 5681), the FIN once the data is out.
 */
static void
tcp_output_next(struct tcp_stack *st, struct tcp_conn *c, uint32_t end, bool fin_wanted,
                uint64_t now_us)
{
	uint32_t pmax = tcp_seg_payload_max(c);
	bool sacked = (c->flags & TCPF_SACK_OK) && c->sack.n > 0;

	for (;;) {
		/*
		 * RFC 3042 limited transmit: one new segment per each of the first two
		 * dupacks. With SACK information RFC 6675 §5 (1.3) replaces it: SACKed
		 * octets simply do not count as in flight.
		 */
		uint32_t lt = (c->flags & TCPF_IN_RECOVERY) || c->dupacks >= 3 || sacked
		                      ? 0
		                      : c->dupacks * pmax;
		uint32_t room = UINT32_MAX;
		uint32_t cw, flight, pipe, usable, avail, len;
		uint8_t flags = 0;
		bool rtx;

		/* RFC 6675 §5.1: after a timeout, resend only what the receiver misses. */
		if (sacked && tcp_seq_lt(c->snd_nxt, c->snd_max))
			c->snd_nxt = tcp_sack_skip(&c->sack, c->snd_nxt, &room);
		cw = c->cwnd + lt;
		flight = c->snd_nxt - c->snd_una;
		pipe = flight;
		if (sacked)
			pipe -= tcp_sack_sb_sacked(&c->sack, c->snd_una, c->snd_nxt);
		usable = cw > pipe ? cw - pipe : 0;
		if (c->snd_wnd < flight)
			usable = 0;
		else if (usable > c->snd_wnd - flight)
			usable = c->snd_wnd - flight;
		avail = tcp_seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
		len = avail < pmax ? avail : pmax;
		rtx = tcp_seq_lt(c->snd_nxt, c->snd_max);
		if (len > usable)
			len = usable;
		if (len > room)
			len = room;
		/* The FIN goes with (or right after) the last byte, once, window or not. */
		if (fin_wanted && c->snd_nxt + len == end && tcp_seq_leq(c->snd_nxt, end) &&
		    (avail == len))
			flags |= TCP_FIN;
		if (len == 0 && !(flags & TCP_FIN))
			break;
		if (len > 0 && c->snd_nxt + len == end)
			flags |= TCP_PSH;
		if (tcp_send_data(st, c, c->snd_nxt, len, flags, now_us) != 0)
			break; /* out of mbufs: the retransmission timer retries */
		if (rtx)
			tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
		if (tcp_seq_gt(c->snd_nxt + len, c->snd_max))
			tcp_cnt(st, TCP_CNT_BYTES_TX,
			        c->snd_nxt + len - tcp_seq_max(c->snd_nxt, c->snd_max));
		/* RFC 6298 §3 / Karn: time one fresh segment at a time. */
		if (!rtx && !(c->flags & TCPF_RTT_TIMING) && len > 0) {
			c->flags |= TCPF_RTT_TIMING;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start_us = now_us;
		}
		c->snd_nxt += len + ((flags & TCP_FIN) ? 1 : 0);
		if (tcp_seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		tcp_arm_rtx(st, c, now_us); /* RFC 6298 §5.1 */
		if (flags & TCP_FIN)
			break;
	}
}

/*
 * Sends what the windows allow (tcp_output_next, or the scoreboard during SACK recovery:
 * tcp_sack_output), arms the retransmission or persist timer.
 */
void
tcp_output(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t end = tcp_data_end(c);
	bool fin_wanted = (c->flags & TCPF_FIN_QUEUED) &&
	                  (c->state == TCP_STATE_FIN_WAIT_1 || c->state == TCP_STATE_CLOSING ||
	                   c->state == TCP_STATE_LAST_ACK);

	if (!tcp_state_synchronized(c->state) || c->state == TCP_STATE_TIME_WAIT)
		return;
	if ((c->flags & (TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY)) ==
	    (TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY))
		tcp_sack_output(st, c, end, fin_wanted, now_us);
	else
		tcp_output_next(st, c, end, fin_wanted, now_us);
	/* RFC 9293 §3.8.6.1: data waiting on a zero window and nothing in flight -> persist. */
	if (c->snd_wnd == 0 && tcp_seq_lt(c->snd_nxt, end) && c->snd_una == c->snd_max) {
		if (c->t_persist == 0) {
			c->t_rtx = 0;
			c->t_persist = now_us + tcp_rto_current(&c->rto);
		}
	} else {
		c->t_persist = 0;
		c->persist_backoff = 0;
	}
	tcp_timer_update(st, c);
}

void
tcp_retransmit_timeout(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t pmax;

	tcp_cnt(st, TCP_CNT_RTO_EXPIRED, 1);
	c->rtx_count++;
	if (c->state == TCP_STATE_SYN_SENT || c->state == TCP_STATE_SYN_RECEIVED) {
		if (c->rtx_count > st->p.syn_retries) {
			tcp_cnt(st, TCP_CNT_CONN_TIMEOUT, 1);
			tcp_notify_closed(st, c, -ETIMEDOUT);
			tcp_conn_release(st, c);
			return;
		}
		tcp_rto_backoff(&c->rto);
		tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
		tcp_send_syn(st, c, now_us);
		c->flags &= (uint16_t)~TCPF_RTT_TIMING;
		c->t_rtx = now_us + tcp_rto_current(&c->rto);
		return;
	}
	if (c->snd_una == c->snd_max)
		return; /* everything acknowledged meanwhile */
	if (c->rtx_count > st->p.data_retries) {
		tcp_cnt(st, TCP_CNT_CONN_TIMEOUT, 1);
		tcp_send_rst_conn(st, c, now_us);
		tcp_notify_closed(st, c, -ETIMEDOUT);
		tcp_conn_release(st, c);
		return;
	}
	/* RFC 6298 §5.5-5.6: back off, go back to SND.UNA; Karn: stop timing. */
	tcp_rto_backoff(&c->rto);
	c->flags &= (uint16_t) ~(TCPF_RTT_TIMING | TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY);
	/*
	 * RFC 6675 §5.1 leaves it to RFC 2018 §8, which says the SACK information SHOULD be
	 * expunged on a timeout (the receiver may have reneged). We do: the ACKs that follow the
	 * retransmission report again what the receiver still holds, and go-back-N skips that
	 * (tcp_output), so only the first retransmitted segment goes out blind.
	 */
	tcp_sack_sb_reset(&c->sack);
	/* RFC 5681 §3.1 eq. (4) and loss window; RFC 6582 §3.2 step 4: recover = highest sent. */
	pmax = tcp_seg_payload_max(c);
	c->ssthresh = flight / 2 > 2 * pmax ? flight / 2 : 2 * pmax;
	c->cwnd = pmax;
	c->recover = c->snd_max;
	c->dupacks = 0;
	c->snd_nxt = c->snd_una;
	c->t_rtx = 0;
	tcp_output(st, c, now_us);
	if (c->snd_nxt == c->snd_una && c->snd_wnd == 0 &&
	    tcp_seq_lt(c->snd_una, tcp_data_end(c))) {
		/*
		 * The window closed while data was in flight and the update that reopens it
		 * may be lost: the retransmission doubles as a one-byte zero-window probe
		 * (RFC 9293 §3.8.6.1), or the connection would wait forever.
		 */
		tcp_cnt(st, TCP_CNT_ZERO_WINDOW_PROBES, 1);
		if (tcp_send_data(st, c, c->snd_una, 1, 0, now_us) == 0)
			c->snd_nxt = c->snd_una + 1;
	}
	if (c->t_rtx == 0 && c->t_persist == 0 && c->snd_una != c->snd_max)
		c->t_rtx = now_us + tcp_rto_current(&c->rto);
}
