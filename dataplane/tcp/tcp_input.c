/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment arrival, RFC 9293 §3.10.7, step by step, with RFC 5961 (RST/SYN/ACK hardening),
 * RFC 7323 (timestamps, PAWS), RFC 6298 (RTT), RFC 5681/6582 (congestion control, NewReno),
 * RFC 2018/6675 (SACK scoreboard and SACK-based loss recovery) and RFC 4987 SYN cookies.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp_pvt.h"

static void
tcp_drop_seg(struct tcp_stack *st, struct rte_mbuf *m, enum tcp_drop why)
{
	tcp_drop_cnt(st, why);
	rte_pktmbuf_free(m);
}

/* Removes n bytes from the front of a chain (rte_pktmbuf_adj works on one segment only). */
static struct rte_mbuf *
tcp_mbuf_cut_front(struct rte_mbuf *m, uint32_t n)
{
	uint32_t total = rte_pktmbuf_pkt_len(m);

	while (m->next != NULL && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		total -= m->data_len;
		next->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len = total - n;
	return m;
}

/* Keeps the first keep bytes of a chain and frees the rest. */
static void
tcp_mbuf_keep(struct rte_mbuf *m, uint32_t keep)
{
	struct rte_mbuf *x = m;
	uint32_t left = keep;
	uint16_t segs = 1;

	while (x->next != NULL && left > x->data_len) {
		left -= x->data_len;
		x = x->next;
		segs++;
	}
	x->data_len = (uint16_t)left;
	if (x->next != NULL) {
		rte_pktmbuf_free(x->next);
		x->next = NULL;
	}
	m->pkt_len = keep;
	m->nb_segs = segs;
}

/* Parses header and options (RFC 9293 §3.1-§3.2). Malformed options end parsing. */
static int
tcp_parse(struct rte_mbuf *m, struct tcp_seg *s)
{
	const struct rte_tcp_hdr *th;
	const uint8_t *o, *end;

	if (rte_pktmbuf_data_len(m) < sizeof(*th))
		return TCP_DROP_SHORT;
	th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);
	memset(s, 0, sizeof(*s));
	s->hlen = (uint16_t)((th->data_off >> 4) * 4);
	if (s->hlen < 20 || s->hlen > rte_pktmbuf_data_len(m) || s->hlen > rte_pktmbuf_pkt_len(m))
		return TCP_DROP_HDR_LEN;
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	s->ack = rte_be_to_cpu_32(th->recv_ack);
	s->wnd = rte_be_to_cpu_16(th->rx_win);
	s->flags = th->tcp_flags & 0x3f;
	s->len = rte_pktmbuf_pkt_len(m) - s->hlen;
	o = (const uint8_t *)(th + 1);
	end = (const uint8_t *)th + s->hlen;
	while (o < end) {
		uint8_t kind = o[0], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end)
			break;
		len = o[1];
		if (len < 2 || o + len > end)
			break;
		switch (kind) {
		case 2:
			if (len == 4) {
				s->has_mss = true;
				s->mss = (uint16_t)((o[2] << 8) | o[3]);
			}
			break;
		case 3:
			if (len == 3) {
				s->has_ws = true;
				/* RFC 7323 §2.3: a shift above 14 is used as 14. */
				s->ws = o[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[2];
			}
			break;
		case 4:
			s->sack_perm = len == 2;
			break;
		case 5:
			/* RFC 2018 §3: 2 + 8n bytes; validated against the send space later. */
			s->has_sack = true;
			for (const uint8_t *b = o + 2;
			     b + 8 <= o + len && s->nsack < TCP_SACK_OPT_MAX; b += 8) {
				uint32_t l, r;

				memcpy(&l, b, 4);
				memcpy(&r, b + 4, 4);
				s->sack[s->nsack].start = rte_be_to_cpu_32(l);
				s->sack[s->nsack].end = rte_be_to_cpu_32(r);
				s->nsack++;
			}
			break;
		case 8:
			if (len == 10) {
				uint32_t v, e;

				memcpy(&v, o + 2, 4);
				memcpy(&e, o + 6, 4);
				s->has_ts = true;
				s->tsval = rte_be_to_cpu_32(v);
				s->tsecr = rte_be_to_cpu_32(e);
			}
			break;
		default:
			break;
		}
		o += len;
	}
	return -1;
}

/* RFC 9293 §3.10.7.1: reply to a segment for no connection. */
static void
tcp_reset_reply(struct tcp_stack *st, const struct tcp_tuple *t, const struct tcp_seg *s,
                uint64_t now_us)
{
	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK)
		tcp_send_ctl(st, t, s->ack, 0, TCP_RST, 0, now_us);
	else
		tcp_send_ctl(st, t, 0,
		             s->seq + s->len + ((s->flags & TCP_SYN) ? 1 : 0) +
		                     ((s->flags & TCP_FIN) ? 1 : 0),
		             TCP_RST | TCP_ACK, 0, now_us);
}

/* Negotiated options of a SYN (RFC 9293 §3.7.1, RFC 7323 §2.2, §3.2). */
static void
tcp_take_syn_opts(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s)
{
	uint16_t peer_mss = s->has_mss ? s->mss : TCP_DEFAULT_MSS;

	c->mss = peer_mss < st->local_mss ? peer_mss : st->local_mss;
	if (c->mss < 64)
		c->mss = 64;
	if (st->p.window_scaling && s->has_ws) {
		c->flags |= TCPF_WS_OK;
		c->snd_wscale = s->ws;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (st->p.timestamps && s->has_ts) {
		c->flags |= TCPF_TS_OK;
		c->ts_recent = s->tsval;
		c->ts_recent_us = c->last_rx_us;
	}
	if (st->p.sack && s->sack_perm)
		c->flags |= TCPF_SACK_OK;
}

static void
tcp_init_cwnd(struct tcp_conn *c)
{
	uint32_t p = tcp_seg_payload_max(c);

	/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)). */
	c->cwnd =
	        10 * p < (2 * p > 14600 ? 2 * p : 14600) ? 10 * p : (2 * p > 14600 ? 2 * p : 14600);
}

static void
tcp_established(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s)
{
	tcp_set_state(st, c, TCP_STATE_ESTABLISHED);
	c->snd_wnd = s->wnd << c->snd_wscale;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->rtx_count = 0;
	tcp_init_cwnd(c);
	if (st->p.keepalive_idle_ms != 0)
		c->t_keep = c->last_rx_us + (uint64_t)st->p.keepalive_idle_ms * 1000;
}

/* ---- LISTEN (RFC 9293 §3.10.7.2) ---- */

static void
tcp_listen_input(struct tcp_stack *st, struct tcp_listener *l, const struct tcp_tuple *t,
                 const struct tcp_seg *s, struct rte_mbuf *m, uint64_t now_us)
{
	struct tcp_conn *c;

	/* First: an RST is ignored. */
	if (s->flags & TCP_RST) {
		tcp_drop_seg(st, m, TCP_DROP_LISTEN_FLAGS);
		return;
	}
	/* Second: an ACK is bad unless it completes a SYN cookie exchange. */
	if (s->flags & TCP_ACK) {
		uint16_t mss;

		if ((s->flags & TCP_SYN) || !st->p.syn_cookies ||
		    !tcp_cookie_check(&st->p.secret, t, s->seq - 1, s->ack - 1, now_us, &mss)) {
			tcp_drop_seg(st, m,
			             st->p.syn_cookies && !(s->flags & TCP_SYN)
			                     ? TCP_DROP_COOKIE_BAD
			                     : TCP_DROP_LISTEN_FLAGS);
			tcp_reset_reply(st, t, s, now_us);
			return;
		}
		if (!tcp_admission_ok(st)) {
			tcp_drop_seg(st, m, TCP_DROP_NO_SLOT);
			tcp_reset_reply(st, t, s, now_us);
			return;
		}
		/* RFC 4987 §3.6: rebuild the TCB from the cookie and enter ESTABLISHED. */
		c = tcp_conn_alloc(st, t, now_us);
		c->iss = s->ack - 1;
		c->snd_una = c->snd_nxt = c->snd_max = s->ack;
		c->sq_seq = s->ack;
		c->irs = s->seq - 1;
		c->rcv_nxt = s->seq;
		c->ssthresh = UINT32_MAX / 2;
		c->recover = c->iss;
		c->mss = mss;
		c->listener = (uint8_t)(l - st->listeners + 1);
		c->flags |= TCPF_COOKIE | TCPF_APP_GONE;
		c->ops = l->ops;
		if (s->has_ts && st->p.timestamps) {
			uint8_t wsbits = s->tsecr & 0xf;

			if ((s->tsecr & 0x10) && st->p.sack)
				c->flags |= TCPF_SACK_OK;
			c->flags |= TCPF_TS_OK;
			c->ts_recent = s->tsval;
			if (wsbits != 0xf) {
				c->flags |= TCPF_WS_OK;
				c->snd_wscale = wsbits > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : wsbits;
			} else {
				c->rcv_wscale = 0;
			}
		} else {
			c->rcv_wscale = 0;
		}
		c->rcv_adv = c->rcv_nxt;
		tcp_cnt(st, TCP_CNT_SYN_COOKIES_OK, 1);
		tcp_established(st, c, s);
		tcp_cnt(st, TCP_CNT_CONN_PASSIVE, 1);
		st->busy = (uint32_t)(c - st->conns);
		if (l->ops->accept(l->ctx, tcp_handle_of(st, c), &c->ctx) != 0) {
			tcp_cnt(st, TCP_CNT_CONN_REFUSED_APP, 1);
			c->flags |= TCPF_APP_GONE;
			tcp_send_rst_conn(st, c, now_us);
			st->busy = TCP_NONE;
			tcp_conn_release(st, c);
			rte_pktmbuf_free(m);
			return;
		}
		c->flags &= (uint16_t)~TCPF_APP_GONE;
		st->busy = TCP_NONE;
		if (c->flags & TCPF_FREE_PENDING) {
			tcp_conn_release(st, c);
			rte_pktmbuf_free(m);
			return;
		}
		/* The cookie ACK may carry data: process it as in ESTABLISHED. */
		if (s->len > 0 || (s->flags & TCP_FIN)) {
			tcp_input(st, m, t->remote_ip, t->local_ip, now_us);
			return;
		}
		tcp_timer_update(st, c);
		rte_pktmbuf_free(m);
		return;
	}
	/* Third: SYN. */
	if (!(s->flags & TCP_SYN)) {
		tcp_drop_seg(st, m, TCP_DROP_LISTEN_FLAGS);
		return;
	}
	if (l->syn_rcvd >= st->p.syn_backlog) {
		/* Backlog full: answer statelessly with a cookie (RFC 4987 §3.6). */
		if (st->p.syn_cookies)
			tcp_send_cookie_synack(st, t, s, now_us);
		tcp_drop_seg(st, m,
		             st->p.syn_cookies ? TCP_DROP_BACKLOG_FULL : TCP_DROP_BACKLOG_FULL);
		return;
	}
	if (!tcp_admission_ok(st)) {
		/* Budget exhausted: refuse with RST (counted), existing connections unharmed. */
		tcp_drop_seg(st, m,
		             st->free_head == TCP_NONE ? TCP_DROP_NO_SLOT : TCP_DROP_NO_MBUF);
		tcp_reset_reply(st, t, s, now_us);
		return;
	}
	c = tcp_conn_alloc(st, t, now_us);
	c->ops = l->ops;
	c->listener = (uint8_t)(l - st->listeners + 1);
	/* No application callback before accept: it has no context for this connection. */
	c->flags |= TCPF_PASSIVE | TCPF_APP_GONE;
	l->syn_rcvd++;
	tcp_take_syn_opts(st, c, s);
	/* RCV.NXT = SEG.SEQ + 1, IRS = SEG.SEQ; ISS per RFC 6528; send <SYN,ACK>. */
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	tcp_conn_init_seq(st, c, now_us);
	c->snd_wnd = s->wnd; /* never scaled in a SYN */
	tcp_set_state(st, c, TCP_STATE_SYN_RECEIVED);
	tcp_send_syn(st, c, now_us);
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rtt_start_us = now_us;
	c->t_rtx = now_us + tcp_rto_current(&c->rto);
	tcp_timer_update(st, c);
	rte_pktmbuf_free(m); /* data on a SYN is not queued (allowed by §3.10.7.2) */
}

/* ---- SYN-SENT (RFC 9293 §3.10.7.3) ---- */

static void
tcp_syn_sent_input(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s,
                   struct rte_mbuf *m, uint64_t now_us)
{
	bool ack_ok = false;

	/* First: check the ACK. */
	if (s->flags & TCP_ACK) {
		if (tcp_seq_leq(s->ack, c->iss) || tcp_seq_gt(s->ack, c->snd_max)) {
			if (!(s->flags & TCP_RST))
				tcp_send_ctl(st, &c->t, s->ack, 0, TCP_RST, 0, now_us);
			tcp_drop_seg(st, m, TCP_DROP_SYN_SENT_BAD);
			return;
		}
		ack_ok = true;
	}
	/* Second: RST. RFC 5961 §3.2 SYN-SENT: acceptable only with an acceptable ACK. */
	if (s->flags & TCP_RST) {
		if (ack_ok) {
			tcp_cnt(st, TCP_CNT_RST_RX, 1);
			tcp_notify_closed(st, c, -ECONNREFUSED);
			tcp_conn_release(st, c);
		}
		tcp_drop_seg(st, m, TCP_DROP_SYN_SENT_BAD);
		return;
	}
	/* Fourth: SYN. */
	if (!(s->flags & TCP_SYN)) {
		tcp_drop_seg(st, m, TCP_DROP_SYN_SENT_BAD);
		return;
	}
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	tcp_take_syn_opts(st, c, s);
	if (ack_ok) {
		/* Our SYN is acknowledged: ESTABLISHED, send <ACK>. */
		c->snd_una = s->ack;
		c->sq_seq = s->ack;
		c->flags &= (uint16_t)~TCPF_RTT_TIMING;
		if (c->rtx_count == 0) /* Karn: no sample from a retransmitted SYN */
			tcp_rto_sample(&c->rto, now_us - c->rtt_start_us);
		c->t_rtx = 0;
		tcp_established(st, c, s);
		c->snd_wnd = c->max_sndwnd = s->wnd; /* RFC 7323 §2.2: a SYN-ACK is unscaled */
		c->rcv_adv = c->rcv_nxt;
		tcp_send_ack(st, c, now_us);
		rte_pktmbuf_free(m);
		if (c->ops->connected != NULL)
			c->ops->connected(c->ctx, tcp_handle_of(st, c));
		if (c->state == TCP_STATE_ESTABLISHED && !(c->flags & TCPF_FREE_PENDING)) {
			if (c->flags & TCPF_FIN_QUEUED)
				tcp_set_state(st, c, TCP_STATE_FIN_WAIT_1);
			tcp_output(st, c, now_us);
		}
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	tcp_set_state(st, c, TCP_STATE_SYN_RECEIVED);
	c->snd_wnd = s->wnd;
	tcp_send_syn(st, c, now_us);
	tcp_timer_update(st, c);
	rte_pktmbuf_free(m);
}

/* ---- receive queue ---- */

/* Queues an out-of-order segment (data already trimmed to the window), sorted, no overlap. */
static void
tcp_ooo_insert(struct tcp_stack *st, struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
               uint32_t len, bool fin)
{
	struct rte_mbuf **pp = &c->ooo_head;
	struct tcp_mbuf_meta *mm;

	if (rte_mempool_avail_count(st->pool) <= st->p.mbuf_reserve / 2) {
		tcp_drop_seg(st, m, TCP_DROP_OOO_NO_MBUF);
		return;
	}
	while (*pp != NULL) {
		struct tcp_mbuf_meta *q = tcp_meta(st, *pp);
		uint32_t qend = q->seq + rte_pktmbuf_pkt_len(*pp);
		uint32_t cut;

		if (tcp_seq_leq(qend, seq) && !(qend == seq && len == 0 && fin)) {
			pp = &q->next_pkt;
			continue;
		}
		if (tcp_seq_geq(q->seq, seq + len) && !(q->seq == seq && len == 0))
			break;
		if (tcp_seq_lt(seq, q->seq)) {
			/* Our head is new: keep it up to q, q keeps the rest. */
			len = q->seq - seq;
			tcp_mbuf_keep(m, len);
			fin = false;
			break;
		}
		/* Our head is covered by q: cut it and look further. */
		cut = qend - seq;
		if (cut >= len) {
			if (fin && seq + len == qend)
				q->fin = 1;
			rte_pktmbuf_free(m);
			return;
		}
		m = tcp_mbuf_cut_front(m, cut);
		seq += cut;
		len -= cut;
		pp = &q->next_pkt;
	}
	if (len == 0 && !fin) {
		rte_pktmbuf_free(m);
		return;
	}
	if (len == 0)
		rte_pktmbuf_reset(m); /* a bare FIN: an empty placeholder carries it */
	mm = tcp_meta(st, m);
	mm->seq = seq;
	mm->fin = fin;
	c->sack_recent = seq;
	mm->next_pkt = *pp;
	*pp = m;
	c->ooo_bytes += len;
	tcp_cnt(st, TCP_CNT_OOO_QUEUED, 1);
}

static void tcp_fin_arrived(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us);

static void
tcp_deliver(struct tcp_stack *st, struct tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	c->rcv_nxt += len;
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	tcp_cnt(st, TCP_CNT_BYTES_RX, len);
	c->rcv_unread += len;
	if ((c->flags & TCPF_APP_GONE) || c->ops->recv == NULL) {
		/* Nobody reads any more: consume so the window stays open until FIN. */
		c->rcv_unread -= len;
		rte_pktmbuf_free(m);
		return;
	}
	m->nb_segs = 0;
	for (struct rte_mbuf *x = m; x != NULL; x = x->next)
		m->nb_segs++;
	m->pkt_len = len;
	c->ops->recv(c->ctx, tcp_handle_of(st, c), m);
}

/* Moves now-contiguous out-of-order segments to the application. */
static bool
tcp_ooo_drain(struct tcp_stack *st, struct tcp_conn *c)
{
	bool fin = false;

	while (c->ooo_head != NULL && c->state != TCP_STATE_CLOSED) {
		struct rte_mbuf *m = c->ooo_head;
		struct tcp_mbuf_meta *mm = tcp_meta(st, m);
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (tcp_seq_gt(mm->seq, c->rcv_nxt))
			break;
		c->ooo_head = mm->next_pkt;
		c->ooo_bytes -= len;
		if (tcp_seq_lt(mm->seq, c->rcv_nxt)) {
			uint32_t cut = c->rcv_nxt - mm->seq;

			if (cut >= len) {
				fin = fin || (mm->fin && mm->seq + len == c->rcv_nxt);
				rte_pktmbuf_free(m);
				continue;
			}
			m = tcp_mbuf_cut_front(m, cut);
			len -= cut;
		}
		fin = mm->fin;
		tcp_deliver(st, c, m, len);
		if (fin)
			break;
	}
	return fin;
}

/* RFC 9293 §3.10.7.4 eighth step: the FIN. */
static void
tcp_fin_arrived(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	bool our_fin_acked = (c->flags & TCPF_FIN_QUEUED) && c->snd_una == c->snd_max &&
	                     c->snd_max == tcp_data_end(c) + 1;

	c->rcv_nxt++;
	c->flags |= TCPF_FIN_RCVD;
	tcp_send_ack(st, c, now_us); /* a FIN is acknowledged at once */
	switch (c->state) {
	case TCP_STATE_SYN_RECEIVED:
	case TCP_STATE_ESTABLISHED:
		tcp_set_state(st, c, TCP_STATE_CLOSE_WAIT);
		break;
	case TCP_STATE_FIN_WAIT_1:
		if (our_fin_acked)
			tcp_enter_time_wait(st, c, now_us);
		else
			tcp_set_state(st, c, TCP_STATE_CLOSING);
		break;
	case TCP_STATE_FIN_WAIT_2:
		c->t_2msl = 0;
		tcp_enter_time_wait(st, c, now_us);
		return;
	default:
		return;
	}
	if (!(c->flags & TCPF_APP_GONE) && c->ops->peer_closed != NULL)
		c->ops->peer_closed(c->ctx, tcp_handle_of(st, c));
}

/* ---- ACK processing (fifth step) ---- */

/* Frees acknowledged bytes from the send queue. */
void
tcp_sq_free_acked(struct tcp_stack *st, struct tcp_conn *c, uint32_t ack)
{
	uint32_t end = tcp_data_end(c);
	uint32_t upto = tcp_seq_lt(ack, end) ? ack : end;
	uint32_t n = tcp_seq_gt(upto, c->sq_seq) ? upto - c->sq_seq : 0;

	(void)st;
	c->sq_seq += n;
	c->sq_bytes -= n;
	while (n > 0) {
		struct rte_mbuf *s = c->sq_head;

		if (s->data_len > n) {
			s->data_off = (uint16_t)(s->data_off + n);
			s->data_len = (uint16_t)(s->data_len - n);
			if (c->sq_cur == s)
				c->sq_cur_seq += n;
			break;
		}
		n -= s->data_len;
		c->sq_head = s->next;
		if (c->sq_cur == s)
			c->sq_cur = NULL;
		s->next = NULL;
		rte_pktmbuf_free_seg(s);
	}
	if (c->sq_head == NULL)
		c->sq_tail = NULL;
}

/* RFC 6582 §3.2 step 2 (RFC 5681 §3.2 step 2): fast retransmit of SND.UNA, NewReno recovery. */
static void
tcp_newreno_enter(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t pmax = tcp_seg_payload_max(c);
	uint32_t flight = c->snd_max - c->snd_una;
	/* Sequence space: the segment may be (or end with) the FIN. */
	uint32_t len = flight < pmax ? flight : pmax;

	c->ssthresh = flight / 2 > 2 * pmax ? flight / 2 : 2 * pmax;
	c->recover = c->snd_max;
	c->flags |= TCPF_IN_RECOVERY;
	c->flags &= (uint16_t)~TCPF_RTT_TIMING;
	if (len > 0 && tcp_send_range(st, c, c->snd_una, len, now_us) == 0) {
		tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
		tcp_cnt(st, TCP_CNT_FAST_RETRANSMITS, 1);
	}
	c->cwnd = c->ssthresh + 3 * pmax;
	c->t_rtx = now_us + tcp_rto_current(&c->rto);
}

/* The first hole's first segment, [SND.UNA, SND.UNA + *len), sent as a SACK retransmission. */
static void
tcp_sack_rxt_una(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us, uint32_t *len)
{
	uint32_t pmax = tcp_seg_payload_max(c);
	uint32_t hole_end = c->sack.n > 0 ? c->sack.blk[0].start : c->snd_max;

	*len = hole_end - c->snd_una < pmax ? hole_end - c->snd_una : pmax;
	if (*len > 0 && tcp_send_range(st, c, c->snd_una, *len, now_us) == 0) {
		tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
		tcp_cnt(st, TCP_CNT_SACK_RETRANSMITS, 1);
	}
}

/* RFC 6675 §5 step (4): enter SACK loss recovery. */
static void
tcp_sack_enter(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t pmax = tcp_seg_payload_max(c);
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t len;

	/* (4.1) RecoveryPoint = HighData. (4.2) ssthresh = cwnd = FlightSize / 2 (RFC 5681 (4)). */
	c->recover = c->snd_max;
	c->ssthresh = flight / 2 > 2 * pmax ? flight / 2 : 2 * pmax;
	c->cwnd = c->ssthresh;
	/* Holes are resent by the scoreboard; SND.NXT stays at HighData for new data. */
	c->snd_nxt = c->snd_max;
	c->flags |= TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY;
	c->flags &= (uint16_t)~TCPF_RTT_TIMING;
	tcp_cnt(st, TCP_CNT_FAST_RETRANSMITS, 1);
	tcp_cnt(st, TCP_CNT_SACK_RECOVERY, 1);
	/* (4.3) Retransmit HighACK + 1; HighRxt = RescueRxt = its last octet. */
	tcp_sack_rxt_una(st, c, now_us, &len);
	c->sack.high_rxt = c->sack.rescue_rxt = c->snd_una + len;
	c->t_rtx = now_us + tcp_rto_current(&c->rto);
	/* (4.4)-(4.5): SetPipe and step (C) run in tcp_output() once the segment is processed. */
}

/*
 * Update() of RFC 6675 §4 with the SACK blocks of an acceptable ACK. Blocks must lie in
 * (SND.UNA, SND.MAX]: a D-SACK (RFC 2883) below SND.UNA, an empty or inverted block, or one
 * beyond what was sent are ignored and counted. Returns the octets newly SACKed.
 */
static uint32_t
tcp_sack_take(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s)
{
	uint32_t newly = 0;

	for (uint8_t i = 0; i < s->nsack; i++) {
		const struct tcp_sack_blk *b = &s->sack[i];
		bool forgot;

		tcp_cnt(st, TCP_CNT_SACK_BLOCKS_RX, 1);
		if (!tcp_seq_lt(c->snd_una, b->start) || !tcp_seq_lt(b->start, b->end) ||
		    tcp_seq_gt(b->end, c->snd_max)) {
			tcp_cnt(st, TCP_CNT_SACK_BLOCKS_IGNORED, 1);
			continue;
		}
		newly += tcp_sack_sb_add(&c->sack, b->start, b->end, &forgot);
		if (forgot)
			tcp_cnt(st, TCP_CNT_SACK_SCOREBOARD_FULL, 1);
	}
	return newly;
}

/*
 * The cumulative ACK stopped inside SACKed data: the receiver discarded it (RFC 2018 §8).
 * The caller has reset the scoreboard (only this ACK's blocks are believed), so everything
 * else above SND.UNA counts as unSACKed again; the segment at SND.UNA, known missing and
 * never resent while it was SACKed, goes out at once instead of waiting for the timeout.
 */
static void
tcp_sack_reneged(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t len;

	if ((c->flags & (TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY)) == TCPF_IN_RECOVERY)
		return; /* NewReno recovery: the partial ACK resent SND.UNA already */
	if (tcp_seq_lt(c->snd_nxt, c->snd_max) && !(c->flags & TCPF_IN_RECOVERY)) {
		/* Go-back-N after a timeout may have skipped the reneged range: resume there. */
		c->snd_nxt = c->snd_una;
		return;
	}
	tcp_sack_rxt_una(st, c, now_us, &len);
	if (c->flags & TCPF_SACK_RECOVERY)
		c->sack.high_rxt = tcp_seq_max(c->sack.high_rxt, c->snd_una + len);
}

/*
 * RFC 6675 §5 step (1) for a duplicate ACK in the sense of §2 (it SACKs new data) outside
 * recovery: enter recovery on the DupThresh-th one (1.1) or as soon as IsLost(HighACK + 1)
 * (1.2); otherwise (1.3) limited transmit, which tcp_output() does by counting only
 * unSACKed octets in flight.
 */
static void
tcp_sack_dupack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t pmax = tcp_seg_payload_max(c);

	c->dupacks++;
	if (c->snd_max == c->snd_una)
		return;
	if (c->dupacks < TCP_SACK_DUPTHRESH && !tcp_sack_is_lost(&c->sack, c->snd_una, pmax))
		return;
	/* §5.1: after a timeout, no new recovery before HighACK reaches its RecoveryPoint. */
	if (!tcp_seq_geq(c->snd_una, c->recover))
		return;
	tcp_sack_enter(st, c, now_us);
}

/* New data acknowledged: RTT, scoreboard, congestion window, recovery, timers. */
static void
tcp_ack_advance(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s, uint64_t now_us)
{
	uint32_t acked = s->ack - c->snd_una;
	uint32_t pmax = tcp_seg_payload_max(c);
	uint32_t newly = 0;
	bool reneged = false, entered = false;

	if ((c->flags & TCPF_RTT_TIMING) && tcp_seq_gt(s->ack, c->rtt_seq)) {
		c->flags &= (uint16_t)~TCPF_RTT_TIMING;
		tcp_rto_sample(&c->rto, now_us - c->rtt_start_us);
	} else if ((c->flags & TCPF_TS_OK) && s->has_ts && s->tsecr != 0 &&
	           !(c->flags & TCPF_RTT_TIMING)) {
		/*
		 * RFC 7323 §4.2 (RTTM): TSecr echoes the TSval of the segment that triggered
		 * this ACK, retransmission or not, so Karn's ambiguity does not apply and a
		 * backed-off timer recovers as soon as a retransmission is acknowledged.
		 */
		uint32_t ms = tcp_ts_now(c, now_us) - s->tsecr;

		if (ms < 60000)
			tcp_rto_sample(&c->rto, (uint64_t)ms * 1000);
	}
	c->rtx_count = 0;
	c->snd_una = s->ack;
	if (tcp_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	tcp_sq_free_acked(st, c, s->ack);
	if (c->flags & TCPF_SACK_OK) {
		reneged = tcp_sack_sb_acked(&c->sack, c->snd_una);
		if (reneged)
			tcp_sack_sb_reset(&c->sack);
		newly = tcp_sack_take(st, c, s);
	}

	if (c->flags & TCPF_IN_RECOVERY) {
		if (tcp_seq_geq(s->ack, c->recover)) {
			/*
			 * Full ACK. RFC 6582 §3.2 step 3: deflate to min(ssthresh, FlightSize +
			 * SMSS) so no burst follows the inflated window. RFC 6675 §5 (A): cwnd was
			 * ssthresh all along (never inflated) and stays so; deflating it to the
			 * flight would cost a window-limited sender, whose flight is then empty,
			 * a slow start back to ssthresh. The scoreboard above SND.UNA is kept.
			 */
			uint32_t flight = c->snd_max - c->snd_una;

			if (!(c->flags & TCPF_SACK_RECOVERY))
				c->cwnd = c->ssthresh < (flight > pmax ? flight : pmax) + pmax
				                  ? c->ssthresh
				                  : (flight > pmax ? flight : pmax) + pmax;
			c->flags &= (uint16_t) ~(TCPF_IN_RECOVERY | TCPF_SACK_RECOVERY);
			c->dupacks = 0;
		} else if (c->flags & TCPF_SACK_RECOVERY) {
			/*
			 * RFC 6675 §5 (B): the scoreboard is updated; SetPipe and (C) run in
			 * tcp_output(). RFC 6298 §5.3: new data acknowledged restarts the timer.
			 */
			c->t_rtx = now_us + tcp_rto_current(&c->rto);
		} else {
			/* Partial ACK: retransmit the next hole, deflate by the amount acked. */
			uint32_t out = c->snd_max - c->snd_una;
			uint32_t len = out < pmax ? out : pmax;

			if (len > 0 && tcp_send_range(st, c, c->snd_una, len, now_us) == 0)
				tcp_cnt(st, TCP_CNT_RETRANSMITS, 1);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			if (acked >= pmax)
				c->cwnd += pmax;
			c->t_rtx = now_us + tcp_rto_current(&c->rto); /* step 3: first partial */
		}
	} else {
		c->dupacks = 0;
		/* RFC 5681 §3.1: slow start below ssthresh, else ~1 MSS per RTT. */
		if (c->cwnd < c->ssthresh)
			c->cwnd += acked < pmax ? acked : pmax;
		else
			c->cwnd += (pmax * pmax) / c->cwnd > 0 ? (pmax * pmax) / c->cwnd : 1;
		if (c->cwnd > (1u << 30))
			c->cwnd = 1u << 30;
	}
	if ((c->flags & (TCPF_SACK_OK | TCPF_IN_RECOVERY)) == TCPF_SACK_OK) {
		/*
		 * RFC 6675 §2: an ACK that SACKs new data is a duplicate acknowledgment even
		 * when it also moves SND.UNA (§5 step (1): DupAcks was reset above, then
		 * counts this one). A cumulative ACK that leaves SND.UNA below SACKed data
		 * it IsLost() for (data sent during the recovery that just ended, with all
		 * its SACKs already in) starts the next recovery at once: (1.2) with no
		 * duplicate ACK to wait for, which at the end of the data would never come.
		 */
		if (newly > 0)
			tcp_sack_dupack(st, c, now_us);
		else if (c->sack.n > 0 && tcp_seq_geq(c->snd_una, c->recover) &&
		         tcp_sack_is_lost(&c->sack, c->snd_una, pmax))
			tcp_sack_enter(st, c, now_us);
		entered = (c->flags & TCPF_IN_RECOVERY) != 0;
	}
	if (reneged) {
		tcp_cnt(st, TCP_CNT_SACK_RENEGING, 1);
		if (!entered) /* entering resent SND.UNA already */
			tcp_sack_reneged(st, c, now_us);
	}
	/* RFC 6298 §5.2-5.3: stop the timer when all is acked, else restart it. */
	if (c->snd_una == c->snd_max)
		c->t_rtx = 0;
	else if (!(c->flags & TCPF_IN_RECOVERY))
		c->t_rtx = now_us + tcp_rto_current(&c->rto);

	if ((c->flags & TCPF_WANT_WRITABLE) && c->sq_bytes <= st->p.sndbuf_bytes / 2 &&
	    !(c->flags & TCPF_APP_GONE)) {
		c->flags &= (uint16_t)~TCPF_WANT_WRITABLE;
		if (c->ops->writable != NULL)
			c->ops->writable(c->ctx, tcp_handle_of(st, c));
	}
}

/* RFC 5681 §3.2 / RFC 6582: duplicate ACKs, fast retransmit on the third. */
static void
tcp_dupack(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	c->dupacks++;
	if (c->flags & TCPF_IN_RECOVERY) {
		c->cwnd += tcp_seg_payload_max(c); /* inflate per additional dupack */
		return;
	}
	if (c->dupacks != 3)
		return;
	/* RFC 6582 §3.2 step 2: only if the cumulative ACK covers more than recover. */
	if (!tcp_seq_gt(c->snd_una, c->recover))
		return;
	tcp_newreno_enter(st, c, now_us);
}

/*
 * An acceptable ACK that does not move SND.UNA on a connection that negotiated SACK. It is
 * a duplicate ACK when it SACKs new data (RFC 6675 §2); a peer that negotiated SACK but
 * sends an RFC 5681 duplicate ACK without the option gets NewReno.
 */
static void
tcp_sack_ack_dup(struct tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *s, uint64_t now_us)
{
	uint32_t newly = tcp_sack_take(st, c, s);
	bool sack_rec = (c->flags & TCPF_SACK_RECOVERY) != 0;

	if (newly > 0) {
		if (!(c->flags & TCPF_IN_RECOVERY))
			tcp_sack_dupack(st, c, now_us);
		else if (!sack_rec)
			tcp_dupack(st, c, now_us); /* NewReno recovery: inflate */
		/* SACK recovery: (B) done, (C) in tcp_output(). */
	} else if (!s->has_sack && !sack_rec && s->ack == c->snd_una && s->len == 0 &&
	           !(s->flags & TCP_FIN) && c->snd_max != c->snd_una &&
	           (s->wnd << c->snd_wscale) == c->snd_wnd) {
		tcp_dupack(st, c, now_us);
	}
}

/* ---- synchronized states (RFC 9293 §3.10.7.4) ---- */

static void
tcp_conn_input(struct tcp_stack *st, struct tcp_conn *c, struct tcp_seg *s, struct rte_mbuf *m,
               uint64_t now_us)
{
	uint32_t rcv_wnd, seg_len;
	bool fin, acceptable;

	/* RFC 7323 §5.3 R1: PAWS before the sequence check. */
	if ((c->flags & TCPF_TS_OK) && s->has_ts && !(s->flags & TCP_RST) &&
	    (int32_t)(s->tsval - c->ts_recent) < 0 && now_us - c->ts_recent_us < TCP_PAWS_IDLE_US) {
		tcp_drop_seg(st, m, TCP_DROP_PAWS);
		tcp_send_ack(st, c, now_us);
		return;
	}

	/* TIME-WAIT: a new SYN above RCV.NXT may reuse the tuple (RFC 9293 §3.10.7.4, 6191). */
	if (c->state == TCP_STATE_TIME_WAIT && (s->flags & TCP_SYN) && !(s->flags & TCP_ACK) &&
	    !(s->flags & TCP_RST) &&
	    (tcp_seq_gt(s->seq, c->rcv_nxt) ||
	     ((c->flags & TCPF_TS_OK) && s->has_ts && (int32_t)(s->tsval - c->ts_recent) > 0))) {
		struct tcp_listener *l = tcp_listener_find(st, c->t.local_port);
		struct tcp_tuple t = c->t;

		if (l != NULL) {
			tcp_cnt(st, TCP_CNT_TIME_WAIT_REUSED, 1);
			tcp_conn_release(st, c);
			tcp_listen_input(st, l, &t, s, m, now_us);
			return;
		}
	}

	/* SYN-RECEIVED: a retransmitted SYN gets our SYN-ACK again. */
	if (c->state == TCP_STATE_SYN_RECEIVED && (s->flags & TCP_SYN) && !(s->flags & TCP_ACK) &&
	    s->seq == c->irs) {
		tcp_send_syn(st, c, now_us);
		rte_pktmbuf_free(m);
		return;
	}

	/* First: sequence number (four cases). */
	seg_len = s->len + ((s->flags & TCP_SYN) ? 1 : 0) + ((s->flags & TCP_FIN) ? 1 : 0);
	rcv_wnd = tcp_rcv_window(c, st);
	if (tcp_seq_lt(c->rcv_adv, c->rcv_nxt + rcv_wnd))
		c->rcv_adv = c->rcv_nxt + rcv_wnd;
	acceptable = tcp_seq_acceptable(s->seq, seg_len, c->rcv_nxt, rcv_wnd);
	if (!acceptable && rcv_wnd == 0 && (s->flags & TCP_ACK) &&
	    !(s->flags & (TCP_SYN | TCP_RST)) && tcp_seq_geq(s->seq, c->rcv_nxt) &&
	    c->state != TCP_STATE_TIME_WAIT) {
		/*
		 * RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable,
		 * but special allowance should be made to accept valid ACKs". A peer whose
		 * SND.NXT passed our right edge (a window probe) numbers its ACKs beyond
		 * RCV.NXT; ignoring them deadlocks when our window opens only once our own data
		 * is acknowledged. Take the ACK, drop the text, answer with our ACK.
		 */
		tcp_drop_cnt(st, TCP_DROP_SEQ_UNACCEPTABLE);
		tcp_ack_flush_mark(st, c);
		s->len = 0;
		s->flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		seg_len = 0;
		acceptable = true;
	}
	if (!acceptable) {
		if (!(s->flags & TCP_RST)) {
			tcp_send_ack(st, c, now_us);
			/* In TIME-WAIT a retransmitted FIN restarts the 2 MSL timeout. */
			if (c->state == TCP_STATE_TIME_WAIT && (s->flags & TCP_FIN)) {
				c->t_2msl = now_us + (uint64_t)st->p.time_wait_ms * 1000;
				tcp_timer_update(st, c);
			}
		}
		tcp_drop_seg(st, m, TCP_DROP_SEQ_UNACCEPTABLE);
		return;
	}

	/* Second: RST (RFC 5961 §3.2). */
	if (s->flags & TCP_RST) {
		if (c->state == TCP_STATE_TIME_WAIT) {
			/* RFC 1337 §3 (TIME-WAIT assassination): keep TIME-WAIT. */
			tcp_drop_seg(st, m, TCP_DROP_RST_TIME_WAIT);
			return;
		}
		if (s->seq != c->rcv_nxt) {
			tcp_send_challenge_ack(st, c, now_us);
			tcp_drop_seg(st, m, TCP_DROP_RST_CHALLENGED);
			return;
		}
		tcp_cnt(st, TCP_CNT_RST_RX, 1);
		if (c->state == TCP_STATE_SYN_RECEIVED && (c->flags & TCPF_PASSIVE)) {
			/* Passive open: back to LISTEN, i.e. forget the half-open connection. */
			c->flags |= TCPF_APP_GONE;
		} else {
			tcp_cnt(st, TCP_CNT_CONN_RESET_RX, 1);
			tcp_notify_closed(st, c,
			                  c->state == TCP_STATE_SYN_RECEIVED ? -ECONNREFUSED
			                                                     : -ECONNRESET);
		}
		tcp_conn_release(st, c);
		rte_pktmbuf_free(m);
		return;
	}

	/* Fourth: SYN in a synchronized state -> challenge ACK (RFC 5961 §4.2). */
	if (s->flags & TCP_SYN) {
		tcp_send_challenge_ack(st, c, now_us);
		tcp_drop_seg(st, m, TCP_DROP_SYN_CHALLENGED);
		return;
	}

	/* Fifth: ACK. */
	if (!(s->flags & TCP_ACK)) {
		tcp_drop_seg(st, m, TCP_DROP_NO_ACK);
		return;
	}
	/* RFC 5961 §5.2: acceptable ACKs are in [SND.UNA - MAX.SND.WND, SND.NXT]. */
	if (tcp_seq_gt(s->ack, c->snd_max) ||
	    tcp_seq_lt(s->ack, c->snd_una - (c->max_sndwnd > 0 ? c->max_sndwnd : 65535))) {
		tcp_send_ack(st, c, now_us);
		tcp_drop_seg(st, m, TCP_DROP_ACK_INVALID);
		return;
	}
	if (c->state == TCP_STATE_SYN_RECEIVED) {
		if (!tcp_seq_gt(s->ack, c->snd_una)) {
			tcp_send_ctl(st, &c->t, s->ack, 0, TCP_RST, 0, now_us);
			tcp_drop_seg(st, m, TCP_DROP_ACK_INVALID);
			return;
		}
		c->snd_una = s->ack;
		c->sq_seq = s->ack;
		if (c->rtx_count == 0)
			tcp_rto_sample(&c->rto, now_us - c->rtt_start_us);
		c->t_rtx = 0;
		tcp_established(st, c, s);
		if (c->flags & TCPF_TS_OK)
			c->ts_recent = s->tsval;
		if (c->listener != 0) {
			struct tcp_listener *l = &st->listeners[c->listener - 1];

			tcp_cnt(st, TCP_CNT_CONN_PASSIVE, 1);
			if (l->ops->accept(l->ctx, tcp_handle_of(st, c), &c->ctx) != 0) {
				tcp_cnt(st, TCP_CNT_CONN_REFUSED_APP, 1);
				tcp_send_rst_conn(st, c, now_us);
				tcp_conn_release(st, c);
				rte_pktmbuf_free(m);
				return;
			}
			c->flags &= (uint16_t)~TCPF_APP_GONE;
		} else if (c->ops->connected != NULL) {
			c->ops->connected(c->ctx, tcp_handle_of(st, c)); /* simultaneous open */
		}
		if (c->state != TCP_STATE_ESTABLISHED || (c->flags & TCPF_FREE_PENDING)) {
			rte_pktmbuf_free(m);
			return;
		}
		if (c->flags & TCPF_FIN_QUEUED)
			tcp_set_state(st, c, TCP_STATE_FIN_WAIT_1);
	} else if (tcp_seq_gt(s->ack, c->snd_una)) {
		tcp_ack_advance(st, c, s, now_us);
		if (c->state == TCP_STATE_CLOSED || (c->flags & TCPF_FREE_PENDING)) {
			rte_pktmbuf_free(m);
			return;
		}
	} else if (c->flags & TCPF_SACK_OK) {
		tcp_sack_ack_dup(st, c, s, now_us);
	} else if (s->ack == c->snd_una && s->len == 0 && !(s->flags & TCP_FIN) &&
	           c->snd_max != c->snd_una && (s->wnd << c->snd_wscale) == c->snd_wnd) {
		tcp_dupack(st, c, now_us);
	}
	/* Send window update (§3.10.7.4 fifth step, SND.WL1/SND.WL2). */
	if (tcp_seq_lt(c->snd_wl1, s->seq) ||
	    (c->snd_wl1 == s->seq && tcp_seq_leq(c->snd_wl2, s->ack))) {
		c->snd_wnd = s->wnd << c->snd_wscale;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (c->snd_wnd > c->max_sndwnd)
			c->max_sndwnd = c->snd_wnd;
	}
	/* RFC 7323 §4.3 (3): SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent. */
	if ((c->flags & TCPF_TS_OK) && s->has_ts && (int32_t)(s->tsval - c->ts_recent) >= 0 &&
	    tcp_seq_leq(s->seq, c->last_ack_sent)) {
		c->ts_recent = s->tsval;
		c->ts_recent_us = now_us;
	}
	{
		bool fin_acked = (c->flags & TCPF_FIN_QUEUED) &&
		                 c->snd_una == tcp_data_end(c) + 1 && c->snd_max == c->snd_una;

		switch (c->state) {
		case TCP_STATE_FIN_WAIT_1:
			if (fin_acked) {
				tcp_set_state(st, c, TCP_STATE_FIN_WAIT_2);
				/*
				 * Our side is done; do not wait forever for a peer that never
				 * sends FIN (time_wait_ms bounds the orphaned FIN-WAIT-2).
				 */
				if (c->flags & TCPF_APP_GONE)
					c->t_2msl = now_us + (uint64_t)st->p.time_wait_ms * 1000;
			}
			break;
		case TCP_STATE_CLOSING:
			if (fin_acked) {
				tcp_enter_time_wait(st, c, now_us);
				rte_pktmbuf_free(m);
				return;
			}
			break;
		case TCP_STATE_LAST_ACK:
			if (fin_acked) {
				tcp_notify_closed(st, c, 0);
				tcp_conn_release(st, c);
				rte_pktmbuf_free(m);
				return;
			}
			break;
		case TCP_STATE_TIME_WAIT:
			/* Only a retransmitted FIN can be acceptable here: ACK it, restart. */
			if (s->flags & TCP_FIN) {
				tcp_send_ack(st, c, now_us);
				c->t_2msl = now_us + (uint64_t)st->p.time_wait_ms * 1000;
				tcp_timer_update(st, c);
			}
			rte_pktmbuf_free(m);
			return;
		default:
			break;
		}
	}

	/* Seventh: segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2). */
	fin = (s->flags & TCP_FIN) != 0;
	m = tcp_mbuf_cut_front(m, s->hlen);
	if (s->len > 0 || fin) {
		uint32_t seq = s->seq, len = s->len;

		if (c->flags & TCPF_FIN_RCVD) {
			/* Anything after the peer's FIN is old or bogus: just re-ACK. */
			tcp_ack_flush_mark(st, c);
			tcp_drop_seg(st, m, TCP_DROP_DATA_AFTER_FIN);
			return;
		}
		/* Trim to the window: the left part already received, the right beyond it. */
		if (tcp_seq_lt(seq, c->rcv_nxt)) {
			uint32_t cut = c->rcv_nxt - seq;

			if (cut > len)
				cut = len;
			m = tcp_mbuf_cut_front(m, cut);
			seq += cut;
			len -= cut;
		}
		if (len > 0 && tcp_seq_gt(seq + len, c->rcv_nxt + rcv_wnd)) {
			uint32_t keep = c->rcv_nxt + rcv_wnd - seq;

			tcp_mbuf_keep(m, keep);
			len = keep;
			fin = false;
		}
		if (seq != c->rcv_nxt) {
			/* Out of order: queue and ACK at once (RFC 5681 §4.2 dup ACK). */
			tcp_ooo_insert(st, c, m, seq, len, fin);
			tcp_send_ack(st, c, now_us);
			/* The segment's ACK may have opened cwnd or started recovery. */
			tcp_output(st, c, now_us);
			return;
		}
		{
			bool had_ooo = c->ooo_head != NULL;
			bool full = len >= tcp_seg_payload_max(c);
			bool psh = (s->flags & TCP_PSH) != 0;

			tcp_deliver(st, c, m, len);
			if (!fin && had_ooo && c->state != TCP_STATE_CLOSED)
				fin = tcp_ooo_drain(st, c);
			if (c->state == TCP_STATE_CLOSED)
				return; /* the application aborted from its callback */
			if (fin) {
				tcp_fin_arrived(st, c, now_us);
				if (c->state == TCP_STATE_CLOSED)
					return;
			} else if (c->state != TCP_STATE_CLOSED) {
				/*
				 * ACK policy (RFC 9293 §3.8.6.3, RFC 5681 §4.2): at once when a
				 * gap was filled or two full segments are unacknowledged; at the
				 * end of the burst for a pushed segment, so a request/response
				 * exchange never waits on the delayed-ACK timer (a reply sent from
				 * the recv callback carries the ACK); otherwise delayed.
				 */
				if (full)
					c->segs_unacked++;
				if (had_ooo || c->segs_unacked >= 2) {
					tcp_send_ack(st, c, now_us);
				} else if (psh || !full) {
					if (c->last_ack_sent != c->rcv_nxt)
						tcp_ack_flush_mark(st, c);
				} else if (!(c->flags & TCPF_ACK_DELAYED)) {
					c->flags |= TCPF_ACK_DELAYED;
					c->t_delack = now_us + (uint64_t)st->p.delack_ms * 1000;
				}
			}
		}
	} else {
		rte_pktmbuf_free(m);
	}
	if (c->state == TCP_STATE_CLOSED)
		return;
	tcp_output(st, c, now_us);
}

void
tcp_input(void *stack, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint64_t now_us)
{
	struct tcp_stack *st = stack;
	const struct rte_tcp_hdr *th;
	struct tcp_tuple t;
	struct tcp_conn *c;
	struct tcp_seg s;
	int rc;

	st->now_us = now_us;
	rc = tcp_parse(m, &s);
	if (rc >= 0) {
		tcp_drop_seg(st, m, (enum tcp_drop)rc);
		return;
	}
	if (!(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
	    net_l4_cksum(m, 0, rte_pktmbuf_pkt_len(m), src_ip, dst_ip, IPPROTO_TCP) != 0) {
		tcp_drop_seg(st, m, TCP_DROP_CKSUM);
		return;
	}
	th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);
	t.local_ip = dst_ip;
	t.remote_ip = src_ip;
	t.local_port = rte_be_to_cpu_16(th->dst_port);
	t.remote_port = rte_be_to_cpu_16(th->src_port);
	if (t.local_port == 0 || t.remote_port == 0) {
		tcp_drop_seg(st, m, TCP_DROP_BAD_PORT);
		return;
	}
	tcp_cnt(st, TCP_CNT_SEGS_RX, 1);
	c = tcp_conn_lookup(st, &t);
	if (c == NULL) {
		struct tcp_listener *l = tcp_listener_find(st, t.local_port);

		if (l != NULL) {
			tcp_listen_input(st, l, &t, &s, m, now_us);
			return;
		}
		/* RFC 9293 §3.10.7.1: CLOSED. */
		tcp_reset_reply(st, &t, &s, now_us);
		tcp_drop_seg(st, m, TCP_DROP_NO_CONN);
		return;
	}
	c->last_rx_us = now_us;
	if (c->keep_probes != 0)
		c->keep_probes = 0;
	/* Frees requested from callbacks wait until this segment is processed. */
	st->busy = (uint32_t)(c - st->conns);
	if (c->state == TCP_STATE_SYN_SENT) {
		tcp_syn_sent_input(st, c, &s, m, now_us);
	} else {
		tcp_conn_input(st, c, &s, m, now_us);
	}
	st->busy = TCP_NONE;
	if (c->flags & TCPF_FREE_PENDING)
		tcp_conn_release(st, c);
	else if (c->state != TCP_STATE_CLOSED)
		tcp_timer_update(st, c);
}
