/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stack lifetime, connection pool and table, listeners, timers and the application API
 * (RFC 9293 §3.10.1-§3.10.6 user calls).
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_random.h>

#include "tcp/tcp_pvt.h"

const char *const tcp_state_names[TCP_STATE_MAX] = {
#define TCP_STATE(sym, name) [TCP_STATE_##sym] = #name,
#include "tcp/tcp_states.def"
#undef TCP_STATE
};

const char *const tcp_cnt_names[TCP_CNT_MAX] = {
#define TCP_CNT(sym, name, doc) [TCP_CNT_##sym] = #name,
#include "tcp/tcp_counters.def"
#undef TCP_CNT
};

const char *const tcp_drop_names[TCP_DROP_MAX] = {
#define TCP_DROP(sym, name, doc) [TCP_DROP_##sym] = #name,
#include "tcp/tcp_drops.def"
#undef TCP_DROP
};

#define S(x) (1u << TCP_STATE_##x)
/* RFC 9293 Figure 5, plus "any state -> CLOSED" (RST, abort, timeouts). */
static const uint32_t tcp_legal_next[TCP_STATE_MAX] = {
        [TCP_STATE_CLOSED] = S(SYN_SENT) | S(SYN_RECEIVED) | S(ESTABLISHED), /* ESTAB: cookie */
        [TCP_STATE_LISTEN] = 0,
        [TCP_STATE_SYN_SENT] = S(SYN_RECEIVED) | S(ESTABLISHED) | S(CLOSED),
        [TCP_STATE_SYN_RECEIVED] = S(ESTABLISHED) | S(FIN_WAIT_1) | S(CLOSE_WAIT) | S(CLOSED),
        [TCP_STATE_ESTABLISHED] = S(FIN_WAIT_1) | S(CLOSE_WAIT) | S(CLOSED),
        [TCP_STATE_FIN_WAIT_1] = S(FIN_WAIT_2) | S(CLOSING) | S(TIME_WAIT) | S(CLOSED),
        [TCP_STATE_FIN_WAIT_2] = S(TIME_WAIT) | S(CLOSED),
        [TCP_STATE_CLOSE_WAIT] = S(LAST_ACK) | S(CLOSED),
        [TCP_STATE_CLOSING] = S(TIME_WAIT) | S(CLOSED),
        [TCP_STATE_LAST_ACK] = S(CLOSED),
        [TCP_STATE_TIME_WAIT] = S(CLOSED),
};
#undef S

static const struct rte_mbuf_dynfield tcp_meta_desc = {
        .name = "msw_tcp_meta",
        .size = sizeof(struct tcp_mbuf_meta),
        .align = __alignof__(struct tcp_mbuf_meta),
};

void
tcp_params_default(struct tcp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_conns = 65536;
	p->syn_backlog = 1024;
	p->sndbuf_bytes = 256 * 1024;
	p->rcvbuf_bytes = 256 * 1024;
	p->mbuf_reserve = 1024;
	p->rto_min_ms = 200;
	p->time_wait_ms = 60000;
	p->delack_ms = 40;
	p->syn_retries = 5;
	p->data_retries = 15;
	p->keepalive_idle_ms = 0;
	p->keepalive_intvl_ms = 75000;
	p->keepalive_probes = 9;
	p->challenge_ack_per_s = 1000;
	p->max_listeners = 16;
	p->ephemeral_lo = 32768;
	p->ephemeral_hi = 60999;
	p->timestamps = true;
	p->window_scaling = true;
	p->syn_cookies = true;
	p->sack = true;
	p->socket_id = SOCKET_ID_ANY;
}

static uint32_t
tcp_tuple_hash(const struct tcp_stack *st, const struct tcp_tuple *t)
{
	uint64_t w[2] = {((uint64_t)t->local_ip << 32) | t->remote_ip,
	                 ((uint64_t)t->local_port << 16) | t->remote_port};

	return (uint32_t)tcp_siphash(&st->p.secret, w, 2) & st->hash_mask;
}

struct tcp_stack *
tcp_stack_create(const struct tcp_params *p, struct net_iface *ifc, struct rte_mempool *pool,
                 uint64_t now_us)
{
	struct tcp_stack *st;
	uint32_t hsize, mtu_mss;
	int off;

	if (p == NULL || ifc == NULL || pool == NULL || p->max_conns == 0 ||
	    p->max_conns >= TCP_NONE || p->time_wait_ms == 0 || p->rto_min_ms == 0 ||
	    p->sndbuf_bytes == 0 || p->rcvbuf_bytes < 1024 || p->max_listeners == 0 ||
	    p->max_listeners > 255 || p->syn_backlog == 0 || p->ephemeral_lo == 0 ||
	    p->ephemeral_hi < p->ephemeral_lo || p->delack_ms == 0 || p->delack_ms >= 500 ||
	    (p->keepalive_idle_ms != 0 &&
	     (p->keepalive_intvl_ms == 0 || p->keepalive_probes == 0)) ||
	    (p->mss != 0 && p->mss < 88)) {
		errno = EINVAL;
		return NULL;
	}
	off = rte_mbuf_dynfield_register(&tcp_meta_desc);
	if (off < 0) {
		errno = rte_errno;
		return NULL;
	}
	st = rte_zmalloc_socket("tcp_stack", sizeof(*st), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (st == NULL)
		goto nomem;
	st->p = *p;
	if (st->p.secret.k0 == 0 && st->p.secret.k1 == 0) {
		st->p.secret.k0 = rte_rand();
		st->p.secret.k1 = rte_rand();
	}
	st->meta_off = off;
	st->ifc = ifc;
	st->pool = pool;
	st->local_ip = net_iface_params(ifc)->ip;
	mtu_mss = (uint32_t)net_iface_params(ifc)->mtu - 40;
	st->local_mss = (uint16_t)(p->mss != 0 && p->mss < mtu_mss ? p->mss : mtu_mss);
	/* RFC 7323 §2.2: the smallest shift that lets the window field cover the buffer. */
	while (p->window_scaling && st->rcv_wscale < TCP_WSCALE_MAX &&
	       (p->rcvbuf_bytes >> st->rcv_wscale) > 65535)
		st->rcv_wscale++;
	st->nconns = p->max_conns;
	st->busy = TCP_NONE;
	st->flush_head = TCP_NONE;
	st->next_ephemeral = p->ephemeral_lo;
	st->now_us = now_us;
	hsize = rte_align32pow2(p->max_conns * 2 < 64 ? 64 : p->max_conns * 2);
	st->hash_mask = hsize - 1;
	st->conns = rte_zmalloc_socket("tcp_conns", sizeof(*st->conns) * st->nconns,
	                               RTE_CACHE_LINE_SIZE, p->socket_id);
	st->hash = rte_malloc_socket("tcp_hash", sizeof(uint32_t) * hsize, 0, p->socket_id);
	st->listeners = rte_zmalloc_socket(
	        "tcp_listeners", sizeof(*st->listeners) * p->max_listeners, 0, p->socket_id);
	st->wheel_entries = rte_malloc_socket("tcp_wheel", sizeof(*st->wheel_entries) * st->nconns,
	                                      0, p->socket_id);
	st->wheel_heads = rte_malloc_socket("tcp_wheel_heads", sizeof(uint32_t) * TCP_WHEEL_SLOTS,
	                                    0, p->socket_id);
	if (st->conns == NULL || st->hash == NULL || st->listeners == NULL ||
	    st->wheel_entries == NULL || st->wheel_heads == NULL)
		goto nomem;
	for (uint32_t i = 0; i < hsize; i++)
		st->hash[i] = TCP_NONE;
	for (uint32_t i = 0; i < st->nconns; i++) {
		st->conns[i].hash_next = i + 1 < st->nconns ? i + 1 : TCP_NONE;
		st->conns[i].flush_next = TCP_NONE;
		st->conns[i].gen = 1;
	}
	st->free_head = 0;
	tcp_wheel_init(&st->wheel, st->wheel_entries, st->nconns, st->wheel_heads, TCP_WHEEL_SLOTS,
	               TCP_WHEEL_TICK_US, now_us);
	st->stats.conns[TCP_STATE_CLOSED] = 0;
	net_iface_set_l4(ifc, IPPROTO_TCP, tcp_input, st);
	return st;
nomem:
	tcp_stack_destroy(st);
	errno = ENOMEM;
	return NULL;
}

static void
tcp_conn_free_bufs(struct tcp_stack *st, struct tcp_conn *c)
{
	struct rte_mbuf *m = c->sq_head;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	c->sq_head = c->sq_tail = c->sq_cur = NULL;
	c->sq_bytes = 0;
	m = c->ooo_head;
	while (m != NULL) {
		struct rte_mbuf *next = tcp_meta(st, m)->next_pkt;

		rte_pktmbuf_free(m);
		m = next;
	}
	c->ooo_head = NULL;
	c->ooo_bytes = 0;
}

void
tcp_stack_destroy(struct tcp_stack *st)
{
	if (st == NULL)
		return;
	if (st->conns != NULL)
		for (uint32_t i = 0; i < st->nconns; i++)
			if (st->conns[i].state != TCP_STATE_CLOSED)
				tcp_conn_free_bufs(st, &st->conns[i]);
	if (st->ifc != NULL)
		net_iface_set_l4(st->ifc, IPPROTO_TCP, NULL, NULL);
	rte_free(st->conns);
	rte_free(st->hash);
	rte_free(st->listeners);
	rte_free(st->wheel_entries);
	rte_free(st->wheel_heads);
	rte_free(st);
}

struct tcp_stats *
tcp_stack_stats(struct tcp_stack *st)
{
	return &st->stats;
}

const struct tcp_params *
tcp_stack_params(const struct tcp_stack *st)
{
	return &st->p;
}

uint32_t
tcp_conns_in_use(const struct tcp_stack *st)
{
	return st->in_use;
}

/* ---- connection table ---- */

static inline bool
tcp_tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->local_ip == b->local_ip && a->remote_ip == b->remote_ip &&
	       a->local_port == b->local_port && a->remote_port == b->remote_port;
}

struct tcp_conn *
tcp_conn_lookup(struct tcp_stack *st, const struct tcp_tuple *t)
{
	for (uint32_t i = st->hash[tcp_tuple_hash(st, t)]; i != TCP_NONE;
	     i = st->conns[i].hash_next)
		if (tcp_tuple_eq(&st->conns[i].t, t))
			return &st->conns[i];
	return NULL;
}

bool
tcp_admission_ok(struct tcp_stack *st)
{
	if (st->free_head == TCP_NONE) {
		tcp_cnt(st, TCP_CNT_CONN_REFUSED_SLOTS, 1);
		return false;
	}
	if (rte_mempool_avail_count(st->pool) <= st->p.mbuf_reserve) {
		tcp_cnt(st, TCP_CNT_CONN_REFUSED_MBUFS, 1);
		return false;
	}
	return true;
}

struct tcp_conn *
tcp_conn_alloc(struct tcp_stack *st, const struct tcp_tuple *t, uint64_t now_us)
{
	uint32_t idx = st->free_head, b;
	struct tcp_conn *c;
	uint32_t gen;

	if (idx == TCP_NONE)
		return NULL;
	c = &st->conns[idx];
	st->free_head = c->hash_next;
	gen = c->gen;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->t = *t;
	c->flush_next = TCP_NONE;
	c->state = TCP_STATE_CLOSED;
	c->rcv_wscale = st->rcv_wscale;
	c->mss = TCP_DEFAULT_MSS;
	c->last_rx_us = now_us;
	{
		uint64_t w[2] = {((uint64_t)t->local_ip << 32) | t->remote_ip,
		                 0x7500000000000000ULL | ((uint64_t)t->local_port << 16) |
		                         t->remote_port};

		/* Stateless per-connection offset so SYN cookies can recompute it. */
		c->ts_offset = (uint32_t)tcp_siphash(&st->p.secret, w, 2);
	}
	tcp_rto_init(&c->rto, (uint64_t)st->p.rto_min_ms * 1000);
	b = tcp_tuple_hash(st, t);
	c->hash_next = st->hash[b];
	st->hash[b] = idx;
	st->in_use++;
	st->stats.conns[TCP_STATE_CLOSED]++;
	return c;
}

static void
tcp_conn_free_now(struct tcp_stack *st, struct tcp_conn *c)
{
	uint32_t idx = (uint32_t)(c - st->conns);
	uint32_t *pp = &st->hash[tcp_tuple_hash(st, &c->t)];

	while (*pp != idx)
		pp = &st->conns[*pp].hash_next;
	*pp = c->hash_next;
	tcp_wheel_cancel(&st->wheel, idx);
	tcp_conn_free_bufs(st, c);
	st->stats.conns[c->state]--;
	c->state = TCP_STATE_CLOSED;
	c->gen++; /* every handle to this slot is stale now */
	c->hash_next = st->free_head;
	st->free_head = idx;
	st->in_use--;
	tcp_cnt(st, TCP_CNT_CONN_CLOSED, 1);
}

/* Releases a connection, deferred while the stack is inside one of its callbacks. */
void
tcp_conn_release(struct tcp_stack *st, struct tcp_conn *c)
{
	if (c->state != TCP_STATE_CLOSED)
		tcp_set_state(st, c, TCP_STATE_CLOSED);
	if (c->listener != 0 && (c->flags & TCPF_PASSIVE)) {
		st->listeners[c->listener - 1].syn_rcvd--;
		c->flags &= (uint16_t)~TCPF_PASSIVE;
	}
	if (st->busy == (uint32_t)(c - st->conns)) {
		c->flags |= TCPF_FREE_PENDING;
		return;
	}
	tcp_conn_free_now(st, c);
}

void
tcp_set_state(struct tcp_stack *st, struct tcp_conn *c, enum tcp_state s)
{
	if (!(tcp_legal_next[c->state] & (1u << s)))
		tcp_cnt(st, TCP_CNT_STATE_ILLEGAL, 1);
	/* A passive open leaves the SYN backlog as soon as it is synchronized. */
	if (c->state == TCP_STATE_SYN_RECEIVED && (c->flags & TCPF_PASSIVE)) {
		st->listeners[c->listener - 1].syn_rcvd--;
		c->flags &= (uint16_t)~TCPF_PASSIVE;
	}
	__atomic_store_n(&st->stats.conns[c->state], st->stats.conns[c->state] - 1,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&st->stats.conns[s], st->stats.conns[s] + 1, __ATOMIC_RELAXED);
	c->state = (uint8_t)s;
}

void
tcp_notify_closed(struct tcp_stack *st, struct tcp_conn *c, int err)
{
	if (c->flags & TCPF_APP_GONE)
		return;
	c->flags |= TCPF_APP_GONE;
	if (c->ops != NULL && c->ops->closed != NULL)
		c->ops->closed(c->ctx, tcp_handle_of(st, c), err);
}

void
tcp_enter_time_wait(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	tcp_set_state(st, c, TCP_STATE_TIME_WAIT);
	/* RFC 9293 §3.10.7.4: only the 2 MSL timer runs in TIME-WAIT; never zero (params). */
	c->t_rtx = c->t_persist = c->t_keep = c->t_delack = 0;
	c->flags &= (uint16_t)~TCPF_ACK_DELAYED;
	c->t_2msl = now_us + (uint64_t)st->p.time_wait_ms * 1000;
	tcp_conn_free_bufs(st, c);
	tcp_notify_closed(st, c, 0);
	tcp_timer_update(st, c);
}

void
tcp_conn_init_seq(struct tcp_stack *st, struct tcp_conn *c, uint64_t now_us)
{
	c->iss = tcp_isn(&st->p.secret, &c->t, now_us);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->sq_seq = c->iss + 1;
	c->recover = c->iss; /* RFC 6582 §3.2 step 1 */
	/* RFC 6928 initial window of 10 segments; RFC 5681 §3.1 initial ssthresh "arbitrarily
	 * high". */
	c->ssthresh = UINT32_MAX / 2;
}

uint32_t
tcp_rcv_window(const struct tcp_conn *c, const struct tcp_stack *st)
{
	uint32_t buf = st->p.rcvbuf_bytes;
	/*
	 * Only in-order bytes the application holds count: out-of-order data already lies
	 * inside the offered window, and counting it would close the window on the very
	 * segment that fills the hole (a deadlock seen against Linux under loss).
	 */
	uint32_t used = c->rcv_unread;
	uint32_t space = buf > used ? buf - used : 0;

	/* RFC 9293 §3.8.6.2.2 receiver SWS avoidance: no window below min(buf/2, MSS). */
	if (space < buf / 2 && space < c->mss)
		space = 0;
	/* Never shrink the window already offered (RFC 9293 §3.8.6). */
	if (tcp_seq_gt(c->rcv_adv, c->rcv_nxt + space))
		space = c->rcv_adv - c->rcv_nxt;
	return space;
}

/* ---- timers ---- */

void
tcp_timer_update(struct tcp_stack *st, struct tcp_conn *c)
{
	uint64_t d = UINT64_MAX;
	uint64_t ts[5] = {c->t_rtx, c->t_delack, c->t_persist, c->t_keep, c->t_2msl};

	for (unsigned int i = 0; i < 5; i++)
		if (ts[i] != 0 && ts[i] < d)
			d = ts[i];
	if (d == UINT64_MAX)
		tcp_wheel_cancel(&st->wheel, (uint32_t)(c - st->conns));
	else
		tcp_wheel_schedule(&st->wheel, (uint32_t)(c - st->conns), d);
}

static void
tcp_timer_fire(void *arg, uint32_t idx, uint64_t now_us)
{
	struct tcp_stack *st = arg;
	struct tcp_conn *c = &st->conns[idx];

	if (c->state == TCP_STATE_CLOSED)
		return;
	st->busy = idx;
	if (c->t_2msl != 0 && now_us >= c->t_2msl) {
		c->t_2msl = 0;
		/* TIME-WAIT over, or FIN-WAIT-2 abandoned by its peer. */
		if (c->state != TCP_STATE_TIME_WAIT)
			tcp_notify_closed(st, c, -ETIMEDOUT);
		tcp_conn_release(st, c);
		goto out;
	}
	if (c->t_rtx != 0 && now_us >= c->t_rtx) {
		c->t_rtx = 0;
		tcp_retransmit_timeout(st, c, now_us);
		if (c->state == TCP_STATE_CLOSED)
			goto out;
	}
	if (c->t_persist != 0 && now_us >= c->t_persist) {
		uint32_t end = tcp_data_end(c);

		c->t_persist = 0;
		/*
		 * RFC 9293 §3.8.6.1: probe a zero window with one byte beyond it; the probe
		 * is retransmitted with backoff for as long as the receiver answers.
		 */
		if (c->snd_wnd == 0 && tcp_seq_lt(c->snd_nxt, end) && c->snd_nxt == c->snd_una) {
			tcp_cnt(st, TCP_CNT_ZERO_WINDOW_PROBES, 1);
			tcp_send_data(st, c, c->snd_nxt, 1, 0, now_us);
			if (c->persist_backoff < 12)
				c->persist_backoff++;
			c->t_persist = now_us +
			               tcp_rto_clamp(&c->rto, c->rto.rto_us << c->persist_backoff);
		}
	}
	if (c->t_delack != 0 && now_us >= c->t_delack) {
		c->t_delack = 0;
		if (c->flags & TCPF_ACK_DELAYED) {
			tcp_cnt(st, TCP_CNT_DELAYED_ACKS, 1);
			tcp_send_ack(st, c, now_us);
		}
	}
	if (c->t_keep != 0 && now_us >= c->t_keep) {
		uint64_t idle = now_us - c->last_rx_us;

		c->t_keep = 0;
		if (idle + 1000 < (uint64_t)st->p.keepalive_idle_ms * 1000) {
			c->keep_probes = 0;
			c->t_keep = c->last_rx_us + (uint64_t)st->p.keepalive_idle_ms * 1000;
		} else if (c->keep_probes >= st->p.keepalive_probes) {
			tcp_cnt(st, TCP_CNT_CONN_TIMEOUT, 1);
			tcp_send_rst_conn(st, c, now_us);
			tcp_notify_closed(st, c, -ETIMEDOUT);
			tcp_conn_release(st, c);
			goto out;
		} else {
			/* RFC 9293 §3.8.4: SEG.SEQ = SND.NXT - 1, no data, elicits an ACK. */
			c->keep_probes++;
			tcp_cnt(st, TCP_CNT_KEEPALIVE_PROBES, 1);
			tcp_send_ctl(st, &c->t, c->snd_una - 1, c->rcv_nxt, TCP_ACK,
			             (uint16_t)(tcp_rcv_window(c, st) >> c->rcv_wscale), now_us);
			c->t_keep = now_us + (uint64_t)st->p.keepalive_intvl_ms * 1000;
		}
	}
out:
	st->busy = TCP_NONE;
	if (c->flags & TCPF_FREE_PENDING)
		tcp_conn_release(st, c);
	else if (c->state != TCP_STATE_CLOSED)
		tcp_timer_update(st, c);
}

void
tcp_timers(struct tcp_stack *st, uint64_t now_us)
{
	st->now_us = now_us;
	tcp_wheel_expire(&st->wheel, now_us, tcp_timer_fire, st);
}

void
tcp_flush(struct tcp_stack *st)
{
	uint32_t i = st->flush_head;

	st->flush_head = TCP_NONE;
	while (i != TCP_NONE) {
		struct tcp_conn *c = &st->conns[i];
		uint32_t next = c->flush_next;

		c->flush_next = TCP_NONE;
		if (c->state != TCP_STATE_CLOSED && (c->flags & TCPF_ACK_FLUSH))
			tcp_send_ack(st, c, st->now_us);
		c->flags &= (uint16_t)~TCPF_ACK_FLUSH;
		i = next;
	}
	net_flush(st->ifc);
}

/* ---- application API ---- */

void
tcp_stack_dump(const struct tcp_stack *st, FILE *f, uint32_t max)
{
	for (uint32_t i = 0, n = 0; i < st->nconns && n < max; i++) {
		const struct tcp_conn *c = &st->conns[i];

		if (c->state == TCP_STATE_CLOSED)
			continue;
		n++;
		fprintf(f,
		        "conn %u %s %u->%u una=%u nxt=%u max=%u end=%u wnd=%u cwnd=%u ssthresh=%u "
		        "dup=%u rcv_nxt=%u adv=%u unread=%u ooo=%u rtx=%lu persist=%lu delack=%lu "
		        "keep=%lu 2msl=%lu rto=%lu backoff=%u rtx_count=%u flags=%#x sack=%u/%u "
		        "now=%lu\n",
		        i, tcp_state_names[c->state], c->t.local_port, c->t.remote_port,
		        c->snd_una - c->iss, c->snd_nxt - c->iss, c->snd_max - c->iss,
		        tcp_data_end(c) - c->iss, c->snd_wnd, c->cwnd, c->ssthresh, c->dupacks,
		        c->rcv_nxt - c->irs, c->rcv_adv - c->irs, c->rcv_unread, c->ooo_bytes,
		        (unsigned long)c->t_rtx, (unsigned long)c->t_persist,
		        (unsigned long)c->t_delack, (unsigned long)c->t_keep,
		        (unsigned long)c->t_2msl, (unsigned long)c->rto.rto_us, c->rto.backoff,
		        c->rtx_count, c->flags, c->sack.n,
		        tcp_sack_sb_sacked(&c->sack, c->snd_una, c->snd_max),
		        (unsigned long)st->now_us);
	}
}

void
tcp_set_port_filter(struct tcp_stack *st, tcp_port_filter_fn *fn, void *ctx)
{
	st->port_filter = fn;
	st->port_filter_ctx = ctx;
}

struct tcp_listener *
tcp_listener_find(struct tcp_stack *st, uint16_t port)
{
	for (uint32_t i = 0; i < st->p.max_listeners; i++)
		if (st->listeners[i].port == port)
			return &st->listeners[i];
	return NULL;
}

int
tcp_listen(struct tcp_stack *st, uint16_t port, const struct tcp_app_ops *ops, void *ctx)
{
	struct tcp_listener *l;

	if (port == 0 || ops == NULL || ops->accept == NULL)
		return -EINVAL;
	if (tcp_listener_find(st, port) != NULL)
		return -EADDRINUSE;
	l = tcp_listener_find(st, 0);
	if (l == NULL)
		return -ENOSPC;
	l->port = port;
	l->ops = ops;
	l->ctx = ctx;
	l->syn_rcvd = 0;
	return 0;
}

int
tcp_unlisten(struct tcp_stack *st, uint16_t port)
{
	struct tcp_listener *l = port != 0 ? tcp_listener_find(st, port) : NULL;
	uint8_t li;

	if (l == NULL)
		return -ENOENT;
	li = (uint8_t)(l - st->listeners + 1);
	/* Half-open connections of this listener have no one to accept them: drop them. */
	for (uint32_t i = 0; i < st->nconns; i++) {
		struct tcp_conn *c = &st->conns[i];

		if (c->state != TCP_STATE_CLOSED && c->listener == li) {
			if (c->state == TCP_STATE_SYN_RECEIVED) {
				tcp_send_rst_conn(st, c, st->now_us);
				tcp_conn_release(st, c);
			} else {
				c->listener = 0;
			}
		}
	}
	memset(l, 0, sizeof(*l));
	return 0;
}

static struct tcp_conn *
tcp_conn_get(const struct tcp_stack *st, struct tcp_handle h)
{
	struct tcp_conn *c;

	if (h.idx >= st->nconns)
		return NULL;
	c = &st->conns[h.idx];
	if (c->gen != h.gen || c->state == TCP_STATE_CLOSED || (c->flags & TCPF_FREE_PENDING))
		return NULL;
	return c;
}

enum tcp_state
tcp_conn_state(const struct tcp_stack *st, struct tcp_handle h)
{
	struct tcp_conn *c = tcp_conn_get(st, h);

	return c == NULL ? TCP_STATE_CLOSED : (enum tcp_state)c->state;
}

int
tcp_connect(struct tcp_stack *st, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port,
            const struct tcp_app_ops *ops, void *ctx, uint64_t now_us, struct tcp_handle *h)
{
	struct tcp_tuple t = {
	        .local_ip = st->local_ip, .remote_ip = dst_ip, .remote_port = dst_port};
	struct tcp_conn *c;
	uint32_t span = (uint32_t)st->p.ephemeral_hi - st->p.ephemeral_lo + 1;

	if (dst_ip == 0 || dst_port == 0 || ops == NULL)
		return -EINVAL;
	st->now_us = now_us;
	if (src_port != 0) {
		t.local_port = src_port;
		if (tcp_conn_lookup(st, &t) != NULL)
			return -EADDRINUSE;
	} else {
		uint32_t i;

		for (i = 0; i < span; i++) {
			t.local_port = st->next_ephemeral;
			st->next_ephemeral = st->next_ephemeral == st->p.ephemeral_hi
			                             ? st->p.ephemeral_lo
			                             : st->next_ephemeral + 1;
			if (tcp_listener_find(st, t.local_port) == NULL &&
			    tcp_conn_lookup(st, &t) == NULL &&
			    (st->port_filter == NULL || st->port_filter(st->port_filter_ctx, &t)))
				break;
		}
		if (i == span)
			return -EADDRINUSE;
	}
	if (!tcp_admission_ok(st))
		return -ENOBUFS;
	c = tcp_conn_alloc(st, &t, now_us);
	c->ops = ops;
	c->ctx = ctx;
	tcp_conn_init_seq(st, c, now_us);
	tcp_set_state(st, c, TCP_STATE_SYN_SENT);
	tcp_cnt(st, TCP_CNT_CONN_ACTIVE, 1);
	*h = tcp_handle_of(st, c);
	/* RFC 9293 §3.10.1: send SYN, SND.UNA = ISS, SND.NXT = ISS + 1. */
	tcp_send_syn(st, c, now_us);
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rtt_start_us = now_us;
	c->t_rtx = now_us + tcp_rto_current(&c->rto);
	tcp_timer_update(st, c);
	return 0;
}

uint32_t
tcp_send_space(const struct tcp_stack *st, struct tcp_handle h)
{
	const struct tcp_conn *c = tcp_conn_get(st, h);

	if (c == NULL || c->sq_bytes >= st->p.sndbuf_bytes)
		return 0;
	return st->p.sndbuf_bytes - c->sq_bytes;
}

void
tcp_want_writable(struct tcp_stack *st, struct tcp_handle h)
{
	struct tcp_conn *c = tcp_conn_get(st, h);

	if (c != NULL)
		c->flags |= TCPF_WANT_WRITABLE;
}

int
tcp_send(struct tcp_stack *st, struct tcp_handle h, struct rte_mbuf *m, uint64_t now_us)
{
	struct tcp_conn *c = tcp_conn_get(st, h);
	uint32_t len;

	if (c == NULL)
		return -ENOTCONN;
	/* RFC 9293 §3.10.2: SEND is an error once the user has closed or the peer reset. */
	if ((c->flags & TCPF_FIN_QUEUED) || c->state == TCP_STATE_TIME_WAIT ||
	    c->state == TCP_STATE_LAST_ACK || c->state == TCP_STATE_CLOSING)
		return -EPIPE;
	len = rte_pktmbuf_pkt_len(m);
	if (len > st->p.sndbuf_bytes)
		return -EMSGSIZE;
	if (c->sq_bytes + len > st->p.sndbuf_bytes) {
		c->flags |= TCPF_WANT_WRITABLE;
		return -EAGAIN;
	}
	st->now_us = now_us;
	/* Append the chain's non-empty segments to the raw segment list. */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
		} else {
			if (c->sq_tail == NULL)
				c->sq_head = m;
			else
				c->sq_tail->next = m;
			c->sq_tail = m;
		}
		m = next;
	}
	c->sq_bytes += len;
	/* Queued data goes out once synchronized (RFC 9293 §3.10.2: queued in SYN states). */
	if (c->state == TCP_STATE_ESTABLISHED || c->state == TCP_STATE_CLOSE_WAIT ||
	    c->state == TCP_STATE_FIN_WAIT_1 || c->state == TCP_STATE_FIN_WAIT_2)
		tcp_output(st, c, now_us);
	return 0;
}

void
tcp_recv_done(struct tcp_stack *st, struct tcp_handle h, uint32_t n, uint64_t now_us)
{
	struct tcp_conn *c = tcp_conn_get(st, h);
	uint32_t before, after;

	if (c == NULL)
		return;
	if (n > c->rcv_unread)
		n = c->rcv_unread;
	before = c->rcv_adv - c->rcv_nxt;
	c->rcv_unread -= n;
	after = tcp_rcv_window(c, st);
	/*
	 * RFC 9293 §3.8.6.2.2: announce a window update once it grew by at least one MSS
	 * from a (nearly) closed window or by half the buffer; otherwise the next segment
	 * carries it.
	 */
	if (tcp_state_synchronized(c->state) && c->state != TCP_STATE_TIME_WAIT && after > before &&
	    ((before < c->mss && after >= c->mss) || after - before >= st->p.rcvbuf_bytes / 2)) {
		st->now_us = now_us;
		tcp_ack_flush_mark(st, c);
	}
}

int
tcp_close(struct tcp_stack *st, struct tcp_handle h, uint64_t now_us)
{
	struct tcp_conn *c = tcp_conn_get(st, h);

	if (c == NULL)
		return -ENOTCONN;
	if (c->flags & TCPF_FIN_QUEUED)
		return 0;
	st->now_us = now_us;
	switch (c->state) {
	case TCP_STATE_SYN_SENT:
		/* RFC 9293 §3.10.4: in SYN-SENT delete the TCB. */
		c->flags |= TCPF_APP_GONE;
		tcp_conn_release(st, c);
		return 0;
	case TCP_STATE_SYN_RECEIVED:
	case TCP_STATE_ESTABLISHED:
		c->flags |= TCPF_FIN_QUEUED;
		if (c->state == TCP_STATE_ESTABLISHED) {
			tcp_set_state(st, c, TCP_STATE_FIN_WAIT_1);
			tcp_output(st, c, now_us);
		}
		/* SYN-RECEIVED: FIN-WAIT-1 follows the ACK of our SYN (§3.10.4). */
		return 0;
	case TCP_STATE_CLOSE_WAIT:
		c->flags |= TCPF_FIN_QUEUED;
		tcp_set_state(st, c, TCP_STATE_LAST_ACK);
		tcp_output(st, c, now_us);
		return 0;
	default:
		c->flags |= TCPF_FIN_QUEUED;
		return 0;
	}
}

int
tcp_abort(struct tcp_stack *st, struct tcp_handle h, uint64_t now_us)
{
	struct tcp_conn *c = tcp_conn_get(st, h);

	if (c == NULL)
		return -ENOTCONN;
	st->now_us = now_us;
	/* RFC 9293 §3.10.5: a RST in the synchronized states, then delete the TCB. */
	if (c->state != TCP_STATE_SYN_SENT && c->state != TCP_STATE_TIME_WAIT)
		tcp_send_rst_conn(st, c, now_us);
	c->flags |= TCPF_APP_GONE;
	tcp_conn_release(st, c);
	return 0;
}

struct rte_mbuf *
tcp_chain_split(struct rte_mbuf **m, uint32_t max)
{
	struct rte_mbuf *head = *m, *s = head, *prev = NULL;
	uint32_t taken = 0, total = rte_pktmbuf_pkt_len(head);
	uint16_t segs = 0, nb = head->nb_segs;

	while (s != NULL && taken + s->data_len <= max) {
		taken += s->data_len;
		segs++;
		prev = s;
		s = s->next;
	}
	if (prev == NULL)
		return NULL;
	if (s == NULL) {
		*m = NULL;
		return head;
	}
	prev->next = NULL;
	s->pkt_len = total - taken;
	s->nb_segs = (uint16_t)(nb - segs);
	head->pkt_len = taken;
	head->nb_segs = segs;
	*m = s;
	return head;
}
