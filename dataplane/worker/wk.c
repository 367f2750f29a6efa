/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "worker/wk.h"

#define WK_NONE        UINT32_MAX
#define WK_BURST       32
#define WK_BLOCKED_MAX 8u  /* senders one congested recipient can pause */
#define WK_HOUSE_EVERY 8u  /* loop iterations between engine polls and timers */
#define WK_IDLE_SPIN   64u /* empty polls before the first sleep */

const char *const wk_cnt_names[WK_CNT_MAX] = {
#define WK_CNT(sym, name, doc) #name,
#include "worker/wk_counters.def"
#undef WK_CNT
};

/* A sender paused by a recipient, by handle (the sender may close meanwhile). */
struct wk_ref {
	uint32_t idx, gen;
	uint32_t lcore; /* the worker that owns the sender */
};

/* Cross-worker pause/resume of a sender (wk->xctl ring values): bit 63 = resume. */
#define WK_XCTL_RESUME (1ull << 63)

/* Glue state of one TCP connection. Owner: the worker's lcore. */
struct wk_conn {
	struct wk *w;
	struct tcp_handle h;
	uint32_t gen;
	uint32_t sw; /* engine connection index, WK_NONE until known */
	uint32_t next_free;
	uint32_t pending_done; /* consumed bytes whose window reopening is deferred */
	uint32_t throttles;    /* congested recipients currently pausing this sender */
	uint64_t closing_since, congested_since;
	struct rte_mbuf *co; /* large buffer the current long frame is copied into, or NULL */
	/*
	 * Frames TCP's send buffer could not take yet, in order, as one byte chain (frames are
	 * bytes to TCP): a received chunk larger than the send buffer is re-chunked into more
	 * pieces than fit at once. Bounded by ovf_max; drained on writable.
	 */
	struct rte_mbuf *ovf, *ovf_tail; /* ovf_tail: its last segment (O(1) appends) */
	uint32_t ovf_bytes;
	bool in_use, active, established, closing, congested, dead;
	bool dirty;         /* on w->dirty: its queue goes to TCP at the end of the iteration */
	bool close_pending; /* the engine closed it: FIN once the queue is in TCP */
	uint8_t n_blocked;
	struct wk_ref blocked[WK_BLOCKED_MAX];
};

struct wk {
	struct wk_params p;
	struct wk_set *set;
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct sw_lcore *lc;
	struct wk_conn *conns;
	uint32_t free_head, n_open, hiwat;
	uint32_t *dead; /* connections to hand to sw_conn_closed() outside engine calls */
	uint32_t n_dead;
	uint32_t cong_space; /* a recipient with less free send space is congested */
	uint32_t ovf_max;    /* bytes one connection may queue beyond TCP's buffer */
	uint32_t sndbuf;     /* TCP send buffer per connection */
	uint32_t *dirty;     /* connections whose queue got frames this iteration */
	uint32_t n_dirty;
	uint32_t cur_rx; /* connection whose bytes the engine is processing, or WK_NONE */
	uint64_t rx_tsc; /* TSC when that processing started (residence histogram) */
	uint64_t now_us, hz, tsc_per_us;
	uint64_t next_pub_us, next_scan_us;
	/* wk_scan() in slices: next slot, sums of the pass so far (gauges at its end). */
	uint32_t scan_pos;
	uint64_t scan_start_us, scan_queued, scan_throttled;
	uint32_t iter, idle_n, idle_cap_us;
	bool accepting;
	struct steer *steer;   /* flows of this worker, hand-off ring (dataplane/steer) */
	struct rte_ring *xctl; /* pause/resume of this worker's senders from others (MP/SC) */
	struct rte_ring *evt_ring;
	struct rte_mempool *evt_pool, *evt_big_pool;
	uint64_t cnt[WK_CNT_MAX];
};

static __thread struct wk *wk_self;

static void wk_after_flush(struct wk *w, struct wk_conn *c);

static inline void
wk_cnt_add(struct wk *w, enum wk_cnt id, uint64_t n)
{
	__atomic_store_n(&w->cnt[id], __atomic_load_n(&w->cnt[id], __ATOMIC_RELAXED) + n,
	                 __ATOMIC_RELAXED);
}

static inline void
wk_gauge(struct wk *w, enum wk_cnt id, uint64_t v)
{
	__atomic_store_n(&w->cnt[id], v, __ATOMIC_RELAXED);
}

uint64_t
wk_counter(const struct wk *w, enum wk_cnt id)
{
	/* The steering counters live in the steer library; published under wk_ names. */
	switch (id) {
	case WK_CNT_HANDOFF_TX:
		return steer_counter(w->steer, STEER_CNT_HANDOFF_TX);
	case WK_CNT_HANDOFF_RX:
		return steer_counter(w->steer, STEER_CNT_HANDOFF_RX);
	case WK_CNT_HANDOFF_DROP:
		return steer_counter(w->steer, STEER_CNT_HANDOFF_DROP);
	case WK_CNT_ARP_FANOUT:
		return steer_counter(w->steer, STEER_CNT_ARP_FANOUT);
	default:
		return __atomic_load_n(&w->cnt[id], __ATOMIC_RELAXED);
	}
}

static uint64_t
wk_clock_us(const struct wk *w)
{
	uint64_t c = rte_get_tsc_cycles();

	return (c / w->hz) * 1000000 + ((c % w->hz) * 1000000) / w->hz;
}

struct tcp_stack *
wk_tcp(struct wk *w)
{
	return w->tcp;
}

struct net_iface *
wk_net(struct wk *w)
{
	return w->ifc;
}

/* ---- connection slots ---- */

static struct wk_conn *
wk_conn_alloc(struct wk *w)
{
	struct wk_conn *c;
	uint32_t i = w->free_head;

	if (i == WK_NONE)
		return NULL;
	c = &w->conns[i];
	w->free_head = c->next_free;
	c->gen++;
	c->w = w;
	c->sw = WK_NONE;
	c->pending_done = 0;
	c->throttles = 0;
	c->closing_since = c->congested_since = 0;
	c->active = c->established = c->closing = c->congested = c->dead = false;
	c->dirty = c->close_pending = false;
	c->n_blocked = 0;
	c->co = NULL;
	c->ovf = NULL;
	c->ovf_bytes = 0;
	c->in_use = true;
	w->n_open++;
	if (i + 1 > w->hiwat)
		w->hiwat = i + 1;
	return c;
}

static uint32_t
wk_conn_idx(const struct wk *w, const struct wk_conn *c)
{
	return (uint32_t)(c - w->conns);
}

/* Resumes the senders a recipient paused (it drained or went away). */
/* One pause less on a local sender; the last one reopens its window. */
static void
wk_resume_local(struct wk *w, uint32_t idx, uint32_t gen)
{
	struct wk_conn *s = &w->conns[idx];

	if (idx >= w->p.max_conns || !s->in_use || s->gen != gen || s->throttles == 0)
		return;
	if (--s->throttles == 0) {
		wk_cnt_add(w, WK_CNT_THROTTLE_OFF, 1);
		if (s->pending_done > 0 && !s->closing)
			tcp_recv_done(w->tcp, s->h, s->pending_done, w->now_us);
		s->pending_done = 0;
	}
}

static void
wk_pause_local(struct wk *w, uint32_t idx, uint32_t gen)
{
	struct wk_conn *s = &w->conns[idx];

	if (idx >= w->p.max_conns || !s->in_use || s->gen != gen)
		return;
	if (s->throttles++ == 0)
		wk_cnt_add(w, WK_CNT_THROTTLE_ON, 1);
}

/* Pause or resume a sender owned by another worker (its xctl ring; full: counted). */
static bool
wk_xctl_post(struct wk *w, uint32_t lcore, uint32_t idx, uint32_t gen, bool resume)
{
	uint64_t v = ((uint64_t)(gen & 0x7fffffffu) << 32) | idx | (resume ? WK_XCTL_RESUME : 0);

	if (lcore >= w->set->n ||
	    rte_ring_mp_enqueue(w->set->w[lcore]->xctl, (void *)(uintptr_t)v) != 0) {
		wk_cnt_add(w, WK_CNT_XCTL_DROP, 1);
		return false;
	}
	return true;
}

/* Pause/resume requests from other workers for this worker's senders. */
static void
wk_xctl_drain(struct wk *w)
{
	void *v[32];
	unsigned int n = rte_ring_sc_dequeue_burst(w->xctl, v, RTE_DIM(v), NULL);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t x = (uint64_t)(uintptr_t)v[i];
		uint32_t idx = (uint32_t)x, gen = (uint32_t)(x >> 32) & 0x7fffffffu;

		/* The ring carries 31 bits of the generation: compare those. */
		if (idx >= w->p.max_conns || (w->conns[idx].gen & 0x7fffffffu) != gen)
			continue;
		if (x & WK_XCTL_RESUME)
			wk_resume_local(w, idx, w->conns[idx].gen);
		else
			wk_pause_local(w, idx, w->conns[idx].gen);
	}
}

/* Resumes the senders a recipient paused (it drained or went away). */
static void
wk_unblock(struct wk *w, struct wk_conn *r)
{
	for (uint8_t i = 0; i < r->n_blocked; i++) {
		const struct wk_ref *b = &r->blocked[i];

		if (b->lcore == w->p.id)
			wk_resume_local(w, b->idx, b->gen);
		else
			wk_xctl_post(w, b->lcore, b->idx, b->gen, true);
	}
	r->n_blocked = 0;
	r->congested = false;
	r->congested_since = 0;
}

static void
wk_conn_free(struct wk *w, struct wk_conn *c)
{
	wk_unblock(w, c);
	rte_pktmbuf_free(c->co); /* the engine keeps its own references */
	c->co = NULL;
	rte_pktmbuf_free(c->ovf);
	c->ovf = NULL;
	c->ovf_bytes = 0;
	c->in_use = false;
	c->next_free = w->free_head;
	w->free_head = wk_conn_idx(w, c);
	w->n_open--;
	wk_cnt_add(w, WK_CNT_CONNS_CLOSED, 1);
}

/* The engine's name for a connection: slot and generation (stale-safe). */
static sw_tconn_t
wk_tc(const struct wk *w, const struct wk_conn *c)
{
	return (uint64_t)c->gen << 32 | wk_conn_idx(w, c);
}

static struct wk_conn *
wk_conn_of(struct wk *w, sw_tconn_t tc)
{
	uint32_t idx = (uint32_t)tc;

	if (idx >= w->p.max_conns || !w->conns[idx].in_use || w->conns[idx].gen != tc >> 32)
		return NULL;
	return &w->conns[idx];
}

/* The engine index of a connection the engine opened itself (active legs). */
static uint32_t
wk_conn_sw(struct wk *w, struct wk_conn *c)
{
	uint32_t ci;

	if (c->sw == WK_NONE && sw_conn_lookup(w->lc, wk_tc(w, c), &ci) == 0)
		c->sw = ci;
	return c->sw;
}

/* ---- TCP callbacks ---- */

static int
wk_tcp_accept(void *lctx, struct tcp_handle h, void **cctx)
{
	struct wk *w = lctx;
	struct wk_conn *c;

	if (!w->accepting || (c = wk_conn_alloc(w)) == NULL) {
		wk_cnt_add(w, WK_CNT_CONNS_REFUSED, 1);
		return -1;
	}
	c->h = h;
	if (sw_conn_open(w->lc, wk_tc(w, c), &c->sw) != 0) {
		c->sw = WK_NONE;
		wk_conn_free(w, c);
		wk_cnt_add(w, WK_CNT_CONNS_REFUSED, 1);
		return -1;
	}
	wk_cnt_add(w, WK_CNT_CONNS_ACCEPTED, 1);
	*cctx = c;
	return 0;
}

static void
wk_tcp_connected(void *ctx, struct tcp_handle h)
{
	struct wk_conn *c = ctx;

	(void)h;
	c->established = true;
	wk_cnt_add(c->w, WK_CNT_CONNS_CONNECTED, 1);
	wk_conn_sw(c->w, c);
}

/*
 * One received segment to the engine: by reference, or copied into the connection's large
 * buffer when the frame in progress already holds WK_COALESCE_AT buffers (the engine counts
 * contiguous bytes of one buffer once, so a 1 MiB chunk holds ~40 buffers, not ~725).
 */
static void
wk_feed(struct wk *w, struct wk_conn *c, struct rte_mbuf *m, uint32_t len)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t *dst;

	if (w->p.big_pool == NULL || sw_conn_held(w->lc, c->sw) < WK_COALESCE_AT) {
		sw_conn_rx(w->lc, c->sw, p, len, (struct sw_buf *)m, w->now_us);
		return;
	}
	if (c->co == NULL || rte_pktmbuf_tailroom(c->co) < len) {
		rte_pktmbuf_free(c->co);
		c->co = rte_pktmbuf_alloc(w->p.big_pool);
		if (c->co == NULL) {
			wk_cnt_add(w, WK_CNT_RX_COALESCE_NO_BUF, 1);
			sw_conn_rx(w->lc, c->sw, p, len, (struct sw_buf *)m, w->now_us);
			return;
		}
	}
	dst = rte_pktmbuf_mtod_offset(c->co, uint8_t *, c->co->data_len);
	memcpy(dst, p, len);
	c->co->data_len = (uint16_t)(c->co->data_len + len);
	c->co->pkt_len += len;
	wk_cnt_add(w, WK_CNT_RX_COALESCED, len);
	sw_conn_rx(w->lc, c->sw, dst, len, (struct sw_buf *)c->co, w->now_us);
}

static void
wk_tcp_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct wk_conn *c = ctx;
	struct wk *w = c->w;
	uint32_t total = 0;

	(void)h;
	if (c->closing || wk_conn_sw(w, c) == WK_NONE) {
		/* Closing (protocol error already answered): bytes are discarded. */
		total = rte_pktmbuf_pkt_len(m);
		rte_pktmbuf_free(m);
		tcp_recv_done(w->tcp, c->h, total, w->now_us);
		return;
	}
	w->cur_rx = wk_conn_idx(w, c);
	w->rx_tsc = rte_rdtsc();
	/* One engine call per segment: the segment is the refcounted buffer (zero copy). */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;
		uint32_t len = m->data_len;

		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = len;
		total += len;
		if (len > 0 && !c->closing)
			wk_feed(w, c, m, len);
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	w->cur_rx = WK_NONE;
	w->rx_tsc = 0;
	wk_cnt_add(w, WK_CNT_RX_BYTES, total);
	if (c->throttles > 0)
		c->pending_done += total; /* window reopens when the recipients drain */
	else
		tcp_recv_done(w->tcp, c->h, total, w->now_us);
}

static void
wk_tcp_peer_closed(void *ctx, struct tcp_handle h)
{
	struct wk_conn *c = ctx;

	/* RFC 4975 §5.4: the peer ended its side; no more requests can arrive on it. */
	if (!c->closing) {
		c->closing = true;
		c->closing_since = c->w->now_us;
		tcp_close(c->w->tcp, h, c->w->now_us);
	}
}

/* Moves what fits of the overflow chain into TCP. Returns true when it is empty. */
static bool
wk_ovf_flush(struct wk *w, struct wk_conn *c)
{
	while (c->ovf != NULL) {
		uint32_t space = tcp_send_space(w->tcp, c->h);
		struct rte_mbuf *part = tcp_chain_split(&c->ovf, space);
		uint32_t n;

		if (part == NULL)
			break; /* not even the next segment fits: wait for writable */
		n = rte_pktmbuf_pkt_len(part);
		if (tcp_send(w->tcp, c->h, part, w->now_us) != 0) {
			/* Cannot happen (it fits); never lose bytes of a stream: put it back. */
			if (c->ovf != NULL) {
				rte_pktmbuf_lastseg(part)->next = c->ovf;
				part->nb_segs = (uint16_t)(part->nb_segs + c->ovf->nb_segs);
				part->pkt_len += c->ovf->pkt_len;
			} else {
				c->ovf_tail = rte_pktmbuf_lastseg(part);
			}
			c->ovf = part;
			break;
		}
		c->ovf_bytes -= n;
	}
	if (c->ovf == NULL)
		c->ovf_bytes = 0;
	return c->ovf == NULL;
}

static void
wk_tcp_writable(void *ctx, struct tcp_handle h)
{
	struct wk_conn *c = ctx;
	struct wk *w = c->w;

	if (!wk_ovf_flush(w, c) || (c->congested && tcp_send_space(w->tcp, h) < w->cong_space)) {
		tcp_want_writable(w->tcp, h);
		return;
	}
	wk_after_flush(w, c);
	if (c->congested)
		wk_unblock(w, c);
}

static void
wk_tcp_closed(void *ctx, struct tcp_handle h, int err)
{
	struct wk_conn *c = ctx;
	struct wk *w = c->w;

	(void)h;
	if (c->active && !c->established && err != 0)
		wk_cnt_add(w, WK_CNT_CONNECT_FAILED, 1);
	if (wk_conn_sw(w, c) != WK_NONE)
		sw_conn_closed(w->lc, c->sw, w->now_us);
	wk_conn_free(w, c);
}

static const struct tcp_app_ops wk_tcp_ops = {
        .accept = wk_tcp_accept,
        .connected = wk_tcp_connected,
        .recv = wk_tcp_recv,
        .peer_closed = wk_tcp_peer_closed,
        .writable = wk_tcp_writable,
        .closed = wk_tcp_closed,
};

/* ---- switch -> TCP ---- */

static void
wk_lat_record(struct wk *w)
{
	uint64_t us100 = (rte_rdtsc() - w->rx_tsc) * 100 / w->tsc_per_us; /* 1/100 us */
	enum wk_cnt b;

	if (us100 < 100)
		b = WK_CNT_LAT_LT_1US;
	else if (us100 < 200)
		b = WK_CNT_LAT_LT_2US;
	else if (us100 < 400)
		b = WK_CNT_LAT_LT_4US;
	else if (us100 < 800)
		b = WK_CNT_LAT_LT_8US;
	else if (us100 < 1600)
		b = WK_CNT_LAT_LT_16US;
	else if (us100 < 3200)
		b = WK_CNT_LAT_LT_32US;
	else if (us100 < 6400)
		b = WK_CNT_LAT_LT_64US;
	else if (us100 < 12800)
		b = WK_CNT_LAT_LT_128US;
	else if (us100 < 25600)
		b = WK_CNT_LAT_LT_256US;
	else if (us100 < 100000)
		b = WK_CNT_LAT_LT_1MS;
	else
		b = WK_CNT_LAT_GE_1MS;
	wk_cnt_add(w, b, 1);
}

/* Appends m to the chain [*head, *tail]. */
static void
wk_chain_add(struct rte_mbuf **head, struct rte_mbuf **tail, struct rte_mbuf *m)
{
	if (*head == NULL) {
		*head = m;
	} else {
		(*tail)->next = m;
		(*head)->nb_segs++;
		(*head)->pkt_len += m->data_len;
	}
	*tail = m;
}

/* Copies bytes into the chain, filling the last direct mbuf first. */
static int
wk_chain_copy(struct wk *w, struct rte_mbuf **head, struct rte_mbuf **tail, bool *tail_direct,
              const uint8_t *p, uint32_t len)
{
	while (len > 0) {
		uint32_t room, n;

		if (!*tail_direct || rte_pktmbuf_tailroom(*tail) == 0) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(w->p.pool);

			if (m == NULL)
				return -ENOBUFS;
			wk_chain_add(head, tail, m);
			*tail_direct = true;
		}
		room = rte_pktmbuf_tailroom(*tail);
		n = len < room ? len : room;
		memcpy(rte_pktmbuf_mtod_offset(*tail, uint8_t *, (*tail)->data_len), p, n);
		(*tail)->data_len = (uint16_t)((*tail)->data_len + n);
		(*head)->pkt_len += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* A recipient's queue is high: pause the sender being processed until it drains. */
static void
wk_congest(struct wk *w, struct wk_conn *r)
{
	struct wk_ref ref;
	sw_tconn_t otc;

	if (!r->congested) {
		r->congested = true;
		r->congested_since = w->now_us;
		tcp_want_writable(w->tcp, r->h);
	}
	if (w->cur_rx != WK_NONE) {
		if (w->cur_rx == wk_conn_idx(w, r))
			return;
		ref = (struct wk_ref){w->cur_rx, w->conns[w->cur_rx].gen, w->p.id};
	} else if (sw_lcore_send_origin(w->lc, &ref.lcore, &otc) && ref.lcore != w->p.id &&
	           otc != SW_TCONN_NONE) {
		/* A copy switched on another worker: pause its sender over that worker's ring. */
		ref.idx = (uint32_t)otc;
		ref.gen = (uint32_t)(otc >> 32);
	} else {
		return;
	}
	for (uint8_t i = 0; i < r->n_blocked; i++)
		if (r->blocked[i].idx == ref.idx && r->blocked[i].gen == ref.gen &&
		    r->blocked[i].lcore == ref.lcore)
			return;
	if (r->n_blocked == WK_BLOCKED_MAX)
		return;
	if (ref.lcore == w->p.id)
		wk_pause_local(w, ref.idx, ref.gen);
	else if (!wk_xctl_post(w, ref.lcore, ref.idx, ref.gen, false))
		return;
	r->blocked[r->n_blocked++] = ref;
}

/*
 * Appends a built frame [head..tail] to the connection's queue. A first mbuf that fits in the
 * queue's last direct mbuf is copied there (a 100-byte message's copy is ~250 bytes: packing
 * them saves mbufs and gives TCP full segments). The queue goes to TCP at the end of the
 * loop iteration (wk_flush_dirty), or when it drains (writable).
 */
static void
wk_ovf_append(struct wk *w, struct wk_conn *c, struct rte_mbuf *head, struct rte_mbuf *tail,
              uint32_t len)
{
	struct rte_mbuf *t = c->ovf_tail;

	if (c->ovf != NULL && RTE_MBUF_DIRECT(t) && rte_mbuf_refcnt_read(t) == 1 &&
	    RTE_MBUF_DIRECT(head) && rte_pktmbuf_tailroom(t) >= head->data_len) {
		struct rte_mbuf *rest = head->next;

		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len),
		       rte_pktmbuf_mtod(head, const uint8_t *), head->data_len);
		t->data_len = (uint16_t)(t->data_len + head->data_len);
		c->ovf->pkt_len += head->data_len;
		if (rest != NULL) {
			rest->nb_segs = (uint16_t)(head->nb_segs - 1);
			rest->pkt_len = head->pkt_len - head->data_len;
		}
		head->next = NULL;
		head->nb_segs = 1;
		rte_pktmbuf_free_seg(head);
		if (rest == NULL)
			goto queued;
		head = rest;
	}
	if (c->ovf == NULL) {
		c->ovf = head;
	} else {
		c->ovf_tail->next = head;
		c->ovf->nb_segs = (uint16_t)(c->ovf->nb_segs + head->nb_segs);
		c->ovf->pkt_len += head->pkt_len;
	}
	c->ovf_tail = tail;
queued:
	c->ovf_bytes += len;
	if (!c->dirty) {
		c->dirty = true;
		w->dirty[w->n_dirty++] = wk_conn_idx(w, c);
	}
}

/* After the queue drained: the close the engine asked for, once nothing is left to send. */
static void
wk_after_flush(struct wk *w, struct wk_conn *c)
{
	if (c->ovf != NULL) {
		tcp_want_writable(w->tcp, c->h);
		return;
	}
	if (c->close_pending) {
		c->close_pending = false;
		if (tcp_close(w->tcp, c->h, w->now_us) != 0 && !c->dead) {
			c->dead = true;
			w->dead[w->n_dead++] = wk_conn_idx(w, c);
		}
	}
}

/* End of an iteration: every queue that got frames goes to TCP (as much as fits). */
static void
wk_flush_dirty(struct wk *w)
{
	for (uint32_t i = 0; i < w->n_dirty; i++) {
		struct wk_conn *c = &w->conns[w->dirty[i]];

		c->dirty = false;
		if (!c->in_use || c->dead)
			continue;
		wk_ovf_flush(w, c);
		wk_after_flush(w, c);
	}
	w->n_dirty = 0;
}

static int
wk_send(void *ctx, sw_tconn_t tc, const struct sw_seg *segs, unsigned int n_segs)
{
	struct wk *w = wk_self;
	struct rte_mbuf *head = NULL, *tail = NULL;
	bool tail_direct = false;
	struct wk_conn *c;
	uint32_t copied = 0, zc = 0, len;

	(void)ctx;
	c = w != NULL ? wk_conn_of(w, tc) : NULL;
	if (c == NULL || c->closing) {
		if (w == NULL)
			return -EPIPE;
		wk_cnt_add(w, WK_CNT_TX_CONN_GONE, 1);
		return -EPIPE;
	}
	for (unsigned int i = 0; i < n_segs; i++) {
		const struct sw_seg *s = &segs[i];

		if (s->len == 0)
			continue;
		if (s->buf == NULL || s->len <= w->p.copy_max) {
			/* Headers, end-lines and small bodies: one memcpy beats an mbuf each. */
			if (wk_chain_copy(w, &head, &tail, &tail_direct, s->p, s->len) != 0)
				goto nombuf;
			copied += s->len;
		} else {
			struct rte_mbuf *src = (struct rte_mbuf *)s->buf;
			struct rte_mbuf *mi = rte_pktmbuf_alloc(w->p.pool);

			if (mi == NULL)
				goto nombuf;
			rte_pktmbuf_attach(mi, src);
			mi->data_off = (uint16_t)(s->p - (const uint8_t *)mi->buf_addr);
			mi->data_len = (uint16_t)s->len;
			mi->pkt_len = s->len;
			wk_chain_add(&head, &tail, mi);
			tail_direct = false;
			zc += s->len;
		}
	}
	if (head == NULL)
		return 0;
	len = rte_pktmbuf_pkt_len(head);
	if (c->ovf_bytes + len > w->ovf_max ||
	    (c->ovf != NULL && c->ovf->nb_segs + head->nb_segs > UINT16_MAX)) {
		rte_pktmbuf_free(head);
		wk_cnt_add(w, WK_CNT_TX_SNDBUF_FULL, 1);
		wk_congest(w, c);
		return -ENOBUFS;
	}
	wk_ovf_append(w, c, head, tail, len);
	wk_cnt_add(w, WK_CNT_TX_FRAMES, 1);
	wk_cnt_add(w, WK_CNT_TX_BYTES, copied + zc);
	wk_cnt_add(w, WK_CNT_TX_COPY_BYTES, copied);
	wk_cnt_add(w, WK_CNT_TX_ZC_BYTES, zc);
	if (w->rx_tsc != 0)
		wk_lat_record(w);
	/* What TCP holds plus what waits here: high -> pause the sender being switched. */
	if (w->sndbuf - tcp_send_space(w->tcp, c->h) + c->ovf_bytes > w->sndbuf - w->cong_space)
		wk_congest(w, c);
	return 0;
nombuf:
	rte_pktmbuf_free(head);
	wk_cnt_add(w, WK_CNT_TX_NO_MBUF, 1);
	return -ENOBUFS;
}

static void
wk_close(void *ctx, sw_tconn_t tc)
{
	struct wk *w = wk_self;
	struct wk_conn *c;

	(void)ctx;
	c = w != NULL ? wk_conn_of(w, tc) : NULL;
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	c->closing_since = w->now_us;
	/*
	 * Orderly close: what was queued (an error response) still goes out before the FIN,
	 * so the FIN waits until the queue is in TCP (wk_after_flush).
	 */
	c->close_pending = true;
	if (!c->dirty) {
		c->dirty = true;
		w->dirty[w->n_dirty++] = wk_conn_idx(w, c);
	}
}

static int
wk_connect(void *ctx, const struct msrp_uri *uri, sw_tconn_t *tc)
{
	struct wk *w = wk_self;
	struct wk_conn *c;
	uint32_t ip;
	int rc;

	(void)ctx;
	if (w == NULL)
		return -EINVAL;
	/* The data plane does not resolve names: paths and connect addresses carry IPv4. */
	if (uri->host_type != MSRP_HOST_IPV4) {
		wk_cnt_add(w, WK_CNT_CONNECT_FAILED, 1);
		return -EAFNOSUPPORT;
	}
	c = wk_conn_alloc(w);
	if (c == NULL) {
		wk_cnt_add(w, WK_CNT_CONNECT_FAILED, 1);
		return -ENOSPC;
	}
	memcpy(&ip, uri->host_addr, 4);
	rc = tcp_connect(w->tcp, rte_be_to_cpu_32(ip), uri->has_port ? uri->port : 2855, 0,
	                 &wk_tcp_ops, c, w->now_us, &c->h);
	if (rc != 0) {
		c->sw = WK_NONE;
		wk_conn_free(w, c);
		wk_cnt_add(w, WK_CNT_CONNECT_FAILED, 1);
		return rc;
	}
	c->active = true;
	*tc = wk_tc(w, c);
	return 0;
}

const struct sw_transport_ops wk_transport_ops = {
        .send = wk_send,
        .close = wk_close,
        .connect = wk_connect,
};

static void
wk_buf_hold(void *ctx, struct sw_buf *b)
{
	(void)ctx;
	rte_mbuf_refcnt_update((struct rte_mbuf *)b, 1);
}

static void
wk_buf_release(void *ctx, struct sw_buf *b)
{
	(void)ctx;
	rte_pktmbuf_free_seg((struct rte_mbuf *)b);
}

const struct sw_buf_ops wk_buf_ops = {.hold = wk_buf_hold, .release = wk_buf_release};

/* ---- events ---- */

static void
wk_evt_emit(struct wk_set *set, struct wk_evt *ev)
{
	struct wk *w = wk_self;

	if (w == NULL) {
		if (set->direct != NULL)
			set->direct(set->direct_arg, ev);
		return;
	}
	if (rte_ring_sp_enqueue(w->evt_ring, ev) != 0) {
		rte_mempool_put(ev->pool, ev);
		wk_cnt_add(w, WK_CNT_EVT_RING_FULL, 1);
		return;
	}
	wk_cnt_add(w, WK_CNT_EVT_POSTED, 1);
}

/* The control thread's record (LEG_DEL raises leg_closed there): large enough for any. */
static __thread union {
	struct wk_evt ev;
	uint8_t raw[sizeof(struct wk_evt) + WK_EVT_DETAIL_MAX];
} wk_evt_local;

/* A record to fill: from one of the worker's pools, or the control thread's buffer. */
static struct wk_evt *
wk_evt_get(bool big)
{
	struct wk *w = wk_self;
	struct rte_mempool *mp;
	void *obj;

	if (w == NULL) {
		wk_evt_local.ev.pool = NULL;
		return &wk_evt_local.ev;
	}
	mp = big ? w->evt_big_pool : w->evt_pool;
	if (rte_mempool_get(mp, &obj) != 0) {
		wk_cnt_add(w, WK_CNT_EVT_RING_FULL, 1);
		return NULL;
	}
	((struct wk_evt *)obj)->pool = mp;
	return obj;
}

static void
wk_ev_leg(void *ctx, uint16_t type, const struct msw_ctl_ev_leg *e)
{
	struct wk_evt *ev = wk_evt_get(false);

	if (ev == NULL)
		return;
	ev->type = type;
	ev->detail_len = ev->ct_len = 0;
	ev->u.leg = *e;
	wk_evt_emit(ctx, ev);
}

static void
wk_ev_leg_bound(void *ctx, const struct msw_ctl_ev_leg *e)
{
	wk_ev_leg(ctx, MSW_CTL_EV_LEG_BOUND, e);
}

static void
wk_ev_leg_closed(void *ctx, const struct msw_ctl_ev_leg *e)
{
	wk_ev_leg(ctx, MSW_CTL_EV_LEG_CLOSED, e);
}

static void
wk_ev_msg_done(void *ctx, const struct msw_ctl_ev_msg *e)
{
	struct wk_evt *ev = wk_evt_get(false);

	if (ev == NULL)
		return;
	ev->type = MSW_CTL_EV_MSG_DONE;
	ev->detail_len = ev->ct_len = 0;
	ev->u.msg = *e;
	wk_evt_emit(ctx, ev);
}

static void
wk_ev_final_report(void *ctx, const struct msw_ctl_ev_report *e, const uint8_t *detail,
                   uint32_t len)
{
	struct wk_evt *ev = wk_evt_get(true);

	if (ev == NULL)
		return;
	ev->type = MSW_CTL_EV_FINAL_REPORT;
	ev->ct_len = 0;
	ev->u.report = *e;
	if (len > WK_EVT_DETAIL_MAX) {
		len = WK_EVT_DETAIL_MAX;
		if (wk_self != NULL)
			wk_cnt_add(wk_self, WK_CNT_EVT_TRUNCATED, 1);
	}
	memcpy(ev->detail, detail, len);
	ev->detail_len = len;
	wk_evt_emit(ctx, ev);
}

static void
wk_ev_history(void *ctx, const struct msw_ctl_ev_msg *e, uint64_t offset,
              struct msrp_span content_type, const struct sw_seg *body, unsigned int n_segs)
{
	struct wk_evt *ev = wk_evt_get(true);
	uint32_t len = 0;

	if (ev == NULL)
		return;
	ev->type = MSW_CTL_EV_HISTORY;
	ev->u.msg = *e;
	ev->u.msg.chunk_offset = offset;
	ev->ct_len = (uint32_t)(content_type.len < 256 ? content_type.len : 256);
	if (content_type.len > 256 && wk_self != NULL)
		wk_cnt_add(wk_self, WK_CNT_EVT_TRUNCATED, 1);
	memcpy(ev->detail, content_type.p, ev->ct_len);
	len = ev->ct_len;
	for (unsigned int i = 0; i < n_segs; i++) {
		uint32_t n = body[i].len;

		if (len + n > WK_EVT_DETAIL_MAX) {
			n = WK_EVT_DETAIL_MAX - len;
			if (wk_self != NULL)
				wk_cnt_add(wk_self, WK_CNT_EVT_TRUNCATED, 1);
		}
		memcpy(ev->detail + len, body[i].p, n);
		len += n;
	}
	ev->detail_len = len;
	wk_evt_emit(ctx, ev);
}

const struct sw_event_ops wk_event_ops = {
        .leg_bound = wk_ev_leg_bound,
        .leg_closed = wk_ev_leg_closed,
        .msg_done = wk_ev_msg_done,
        .final_report = wk_ev_final_report,
        .history = wk_ev_history,
};

unsigned int
wk_evt_drain(struct wk *w, wk_evt_direct_fn *fn, void *arg, unsigned int max)
{
	void *objs[32];
	unsigned int done = 0;

	while (done < max) {
		unsigned int n = rte_ring_sc_dequeue_burst(w->evt_ring, objs, RTE_DIM(objs), NULL);

		if (n == 0)
			break;
		for (unsigned int i = 0; i < n; i++) {
			fn(arg, objs[i]);
			rte_mempool_put(((struct wk_evt *)objs[i])->pool, objs[i]);
		}
		done += n;
	}
	return done;
}

/* ---- counters ---- */

/* Row layout: port, net, net drops, tcp, tcp drops, tcp states, switch, worker. */
uint32_t
wk_counter_names(const char **names, char (*buf)[32], uint32_t cap)
{
	uint32_t n = 0;

#define WK_NAME(prefix, s)                                                                         \
	do {                                                                                       \
		if (n < cap) {                                                                     \
			snprintf(buf[n], 32, "%s%s", prefix, s);                                   \
			names[n] = buf[n];                                                         \
		}                                                                                  \
		n++;                                                                               \
	} while (0)
	for (int i = 0; i < PORT_CNT_MAX; i++)
		WK_NAME("port_", port_cnt_names[i]);
	for (int i = 0; i < NET_CNT_MAX; i++)
		WK_NAME("net_", net_cnt_names[i]);
	for (int i = 0; i < NET_DROP_MAX; i++)
		WK_NAME("net_drop_", net_drop_names[i]);
	for (int i = 0; i < TCP_CNT_MAX; i++)
		WK_NAME("tcp_", tcp_cnt_names[i]);
	for (int i = 0; i < TCP_DROP_MAX; i++)
		WK_NAME("tcp_drop_", tcp_drop_names[i]);
	for (int i = 0; i < TCP_STATE_MAX; i++)
		WK_NAME("tcp_state_", tcp_state_names[i]);
	for (int i = 0; i < SW_CNT_MAX; i++)
		WK_NAME("sw_", sw_counter_name((enum sw_cnt)i));
	for (int i = 0; i < WK_CNT_MAX; i++)
		WK_NAME("wk_", wk_cnt_names[i]);
#undef WK_NAME
	return n;
}

void
wk_publish(struct wk *w)
{
	_Atomic uint64_t *row = w->p.ctr_row;
	struct tcp_stats *ts = tcp_stack_stats(w->tcp);
	struct net_stats *ns = net_iface_stats(w->ifc);
	uint32_t k = 0;

	if (row == NULL)
		return;
#define WK_PUT(v) atomic_store_explicit(&row[k++], (v), memory_order_relaxed)
	for (int i = 0; i < PORT_CNT_MAX; i++)
		WK_PUT(port_stat_read(&w->p.q->cnt[i]));
	for (int i = 0; i < NET_CNT_MAX; i++)
		WK_PUT(net_stat_read(&ns->cnt[i]));
	for (int i = 0; i < NET_DROP_MAX; i++)
		WK_PUT(net_stat_read(&ns->drop[i]));
	for (int i = 0; i < TCP_CNT_MAX; i++)
		WK_PUT(tcp_stat_read(&ts->cnt[i]));
	for (int i = 0; i < TCP_DROP_MAX; i++)
		WK_PUT(tcp_stat_read(&ts->drop[i]));
	for (int i = 0; i < TCP_STATE_MAX; i++)
		WK_PUT(tcp_stat_read(&ts->conns[i]));
	for (int i = 0; i < SW_CNT_MAX; i++)
		WK_PUT(sw_lcore_counter(w->lc, (enum sw_cnt)i));
	for (int i = 0; i < WK_CNT_MAX; i++)
		WK_PUT(wk_counter(w, (enum wk_cnt)i));
#undef WK_PUT
}

/*
 * Gauges, slow-recipient and close-grace checks: a pass over the slots in use, one slice of
 * WK_SCAN_SLICE slots per call. A pass starts every 100 ms; with many connections it spans
 * several calls (one a millisecond), so a million connections cost a pass a second of about
 * 5 % of the lcore instead of the whole lcore (the checks are on timeouts of seconds).
 * Returns true when the pass is complete (gauges published).
 */
#define WK_SCAN_SLICE 1024u

static bool
wk_scan(struct wk *w)
{
	uint64_t slow_us = (uint64_t)w->p.slow_timeout_ms * 1000;
	uint64_t grace_us = (uint64_t)w->p.close_grace_ms * 1000;
	uint32_t sndbuf = tcp_stack_params(w->tcp)->sndbuf_bytes;
	uint32_t end =
	        w->scan_pos + WK_SCAN_SLICE < w->hiwat ? w->scan_pos + WK_SCAN_SLICE : w->hiwat;

	for (uint32_t i = w->scan_pos; i < end; i++) {
		struct wk_conn *c = &w->conns[i];

		if (!c->in_use || c->dead)
			continue;
		w->scan_queued += sndbuf - tcp_send_space(w->tcp, c->h) + c->ovf_bytes;
		if (c->ovf != NULL)
			wk_ovf_flush(w, c);
		w->scan_throttled += c->throttles > 0;
		if (c->closing && w->now_us - c->closing_since > grace_us) {
			/* The peer never finished its side: reset, then finish the slot. */
			tcp_abort(w->tcp, c->h, w->now_us);
			wk_cnt_add(w, WK_CNT_CLOSE_FORCED, 1);
			c->dead = true;
			w->dead[w->n_dead++] = i;
		} else if (c->congested && !c->closing &&
		           w->now_us - c->congested_since > slow_us) {
			/* A recipient that stopped reading must not pause its senders forever. */
			tcp_abort(w->tcp, c->h, w->now_us);
			wk_cnt_add(w, WK_CNT_SLOW_ABORT, 1);
			c->dead = true;
			w->dead[w->n_dead++] = i;
		}
	}
	w->scan_pos = end;
	if (end < w->hiwat)
		return false;
	wk_gauge(w, WK_CNT_G_CONNS, w->n_open);
	wk_gauge(w, WK_CNT_G_MBUFS_IN_USE, w->p.pool->size - rte_mempool_avail_count(w->p.pool));
	wk_gauge(w, WK_CNT_G_BYTES_QUEUED, w->scan_queued);
	wk_gauge(w, WK_CNT_G_THROTTLED, w->scan_throttled);
	wk_gauge(w, WK_CNT_G_MSGS_IN_FLIGHT, sw_lcore_msgs_in_use(w->lc));
	wk_gauge(w, WK_CNT_G_TX_IN_FLIGHT, sw_lcore_tx_in_use(w->lc));
	w->scan_pos = 0;
	w->scan_queued = 0;
	w->scan_throttled = 0;
	return true;
}

/* Connections that ended outside a TCP callback (abort, failed close). */
static void
wk_reap(struct wk *w)
{
	while (w->n_dead > 0) {
		struct wk_conn *c = &w->conns[w->dead[--w->n_dead]];

		if (!c->in_use)
			continue;
		if (wk_conn_sw(w, c) != WK_NONE)
			sw_conn_closed(w->lc, c->sw, w->now_us);
		wk_conn_free(w, c);
	}
}

/* ---- loop ---- */

unsigned int
wk_poll(struct wk *w)
{
	struct rte_mbuf *pkts[WK_BURST];
	uint16_t got = port_rx_burst(w->p.q, pkts, WK_BURST);

	w->now_us = wk_clock_us(w);
	if (!w->p.handoff) {
		for (uint16_t i = 0; i < got; i++)
			net_rx(w->ifc, pkts[i], w->now_us);
	} else {
		/* Own flows and ARP here, the others' flows to their rings (dataplane/steer). */
		uint16_t mine = steer_rx(w->steer, pkts, got), h;

		for (uint16_t i = 0; i < mine; i++)
			net_rx(w->ifc, pkts[i], w->now_us);
		h = steer_handoff_rx(w->steer, pkts, WK_BURST);
		for (uint16_t i = 0; i < h; i++)
			net_rx(w->ifc, pkts[i], w->now_us);
		got = (uint16_t)(got + h);
	}
	if (got > 0)
		wk_cnt_add(w, WK_CNT_RX_BURSTS, 1);
	wk_cnt_add(w, WK_CNT_LOOPS, 1);
	if (got == 0 || ++w->iter % WK_HOUSE_EVERY == 0) {
		/* Engine housekeeping: control commands, other lcores' copies, timeouts. */
		wk_xctl_drain(w);
		sw_lcore_poll(w->lc, w->now_us);
		tcp_timers(w->tcp, w->now_us);
		net_tick(w->ifc, w->now_us);
		if (w->now_us >= w->next_scan_us) {
			if (w->scan_pos == 0)
				w->scan_start_us = w->now_us;
			/* The next slice in 1 ms, or the next pass 100 ms after this one began. */
			w->next_scan_us = wk_scan(w) ? w->scan_start_us + 100000 : w->now_us + 1000;
		}
		wk_reap(w);
		if (w->now_us >= w->next_pub_us) {
			wk_publish(w);
			w->next_pub_us = w->now_us + 1000;
		}
		urcu_qsbr_quiescent_state();
	}
	wk_flush_dirty(w);
	tcp_flush(w->tcp);
	port_tx_burst(w->p.q, NULL, 0);
	return got;
}

void
wk_idle(struct wk *w, unsigned int got)
{
	uint32_t us;

	if (got > 0 || w->idle_cap_us == 0) {
		w->idle_n = 0;
		return;
	}
	if (++w->idle_n < WK_IDLE_SPIN)
		return;
	/* Doubling back-off: 1, 2, 4 ... us up to the cap; the first packet resets it. */
	us = w->idle_n - WK_IDLE_SPIN < 16 ? 1u << (w->idle_n - WK_IDLE_SPIN) : w->idle_cap_us;
	if (us > w->idle_cap_us)
		us = w->idle_cap_us;
	wk_cnt_add(w, WK_CNT_IDLE_SLEEPS, 1);
	/* Offline while asleep: grace periods must not wait for a sleeping lcore. */
	urcu_qsbr_thread_offline();
	usleep(us);
	urcu_qsbr_thread_online();
}

void
wk_set_idle_sleep(struct wk *w, uint32_t us)
{
	w->idle_cap_us = us;
}

void
wk_set_accepting(struct wk *w, bool on)
{
	w->accepting = on;
}

uint32_t
wk_conns_open(const struct wk *w)
{
	return w->n_open;
}

void
wk_close_all(struct wk *w)
{
	w->accepting = false;
	tcp_unlisten(w->tcp, w->p.msrp_port);
	for (uint32_t i = 0; i < w->hiwat; i++) {
		struct wk_conn *c = &w->conns[i];

		if (!c->in_use || c->closing || c->dead)
			continue;
		c->closing = true;
		c->closing_since = w->now_us;
		if (tcp_close(w->tcp, c->h, w->now_us) != 0) {
			c->dead = true;
			w->dead[w->n_dead++] = i;
		}
	}
}

void
wk_thread_enter(struct wk *w)
{
	wk_self = w;
}

/* ---- lifetime ---- */

static uint16_t
wk_port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	return port_tx_burst(ctx, pkts, n);
}

static const struct net_port_ops wk_port_ops = {.tx_burst = wk_port_tx};

struct wk *
wk_create(const struct wk_params *p, struct wk_set *set)
{
	char name[RTE_RING_NAMESIZE];
	struct wk *w;
	uint32_t rcv;

	if (p->max_conns == 0 || p->q == NULL || p->pool == NULL || set->n >= SW_LCORES_MAX ||
	    p->evt_ring_size < 8 || (p->evt_ring_size & (p->evt_ring_size - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc("wk", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->p = *p;
	w->set = set;
	w->hz = rte_get_tsc_hz();
	w->tsc_per_us = w->hz / 1000000 ? w->hz / 1000000 : 1;
	w->now_us = wk_clock_us(w);
	w->cur_rx = WK_NONE;
	w->accepting = true;
	w->idle_cap_us = p->idle_sleep_us;
	w->conns = rte_zmalloc("wk_conns", sizeof(*w->conns) * p->max_conns, RTE_CACHE_LINE_SIZE);
	w->dead = rte_zmalloc("wk_dead", sizeof(*w->dead) * p->max_conns, 0);
	w->dirty = rte_zmalloc("wk_dirty", sizeof(*w->dirty) * p->max_conns, 0);
	if (w->conns == NULL || w->dead == NULL || w->dirty == NULL)
		goto nomem;
	for (uint32_t i = 0; i < p->max_conns; i++)
		w->conns[i].next_free = i + 1 < p->max_conns ? i + 1 : WK_NONE;
	snprintf(name, sizeof(name), "wk_evt_%u", p->id);
	w->evt_ring = rte_ring_create(name, p->evt_ring_size, (int)rte_socket_id(),
	                              RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "wk_evp_%u", p->id);
	/* One record more than the ring holds: a full ring never starves the pool. */
	w->evt_pool = rte_mempool_create(name, p->evt_ring_size, sizeof(struct wk_evt), 0, 0, NULL,
	                                 NULL, NULL, NULL, (int)rte_socket_id(), 0);
	snprintf(name, sizeof(name), "wk_evb_%u", p->id);
	/* Final reports and history copies: far fewer than message events. */
	w->evt_big_pool = rte_mempool_create(name, 256, sizeof(struct wk_evt) + WK_EVT_DETAIL_MAX,
	                                     0, 0, NULL, NULL, NULL, NULL, (int)rte_socket_id(), 0);
	if (w->evt_ring == NULL || w->evt_pool == NULL || w->evt_big_pool == NULL)
		goto nomem;
	snprintf(name, sizeof(name), "wk_xctl_%u", p->id);
	w->xctl = rte_ring_create(name, 4096, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (w->xctl == NULL)
		goto nomem;
	if (p->handoff || p->rss_port != NULL) {
		struct steer_params sp = {
		        .id = p->id,
		        .n_lcores = p->n_workers,
		        .rss_port = p->rss_port,
		        .handoff = p->handoff,
		        .pool = p->pool,
		        .ring_size = 4096,
		        .name = "wk",
		};

		w->steer = steer_create(&sp, &set->steer);
		if (w->steer == NULL)
			goto fail;
	}
	/*
	 * A sender's unacknowledged window is what can still arrive after it is paused, and
	 * each of its bytes may be copied to a recipient: keep that much room in the send
	 * buffer (plus headers) so a paused sender never overflows a recipient.
	 */
	w->p.tcp.rcvbuf_bytes = p->tcp.sndbuf_bytes / 4 < p->tcp.rcvbuf_bytes
	                                ? p->tcp.sndbuf_bytes / 4
	                                : p->tcp.rcvbuf_bytes;
	if (w->p.tcp.rcvbuf_bytes < 4096)
		w->p.tcp.rcvbuf_bytes = 4096;
	rcv = w->p.tcp.rcvbuf_bytes;
	w->cong_space = rcv + rcv / 4 + 8192;
	if (w->cong_space > p->tcp.sndbuf_bytes / 2)
		w->cong_space = p->tcp.sndbuf_bytes / 2;
	/*
	 * One largest received chunk re-chunked (headers ~10%), plus room for the other
	 * senders' windows in flight when a recipient congests (each paused sender can still
	 * deliver its receive window, copies of small messages ~2.5x their size).
	 */
	w->ovf_max = p->max_chunk_bytes + p->max_chunk_bytes / 4 + 4u * 1024u * 1024u;
	w->sndbuf = p->tcp.sndbuf_bytes;
	w->ifc = net_iface_create(&p->net, p->pool, &wk_port_ops, p->q);
	if (w->ifc == NULL)
		goto fail;
	w->tcp = tcp_stack_create(&w->p.tcp, w->ifc, p->pool, w->now_us);
	if (w->tcp == NULL)
		goto fail;
	if (w->steer != NULL)
		steer_attach_tcp(w->steer, w->tcp);
	if (tcp_listen(w->tcp, p->msrp_port, &wk_tcp_ops, w) != 0) {
		errno = EADDRINUSE;
		goto fail;
	}
	set->w[set->n++] = w;
	return w;
nomem:
	errno = ENOMEM;
fail:
	wk_destroy(w);
	return NULL;
}

void
wk_attach(struct wk *w, struct sw_lcore *lc)
{
	w->lc = lc;
	net_arp_announce(w->ifc);
	net_flush(w->ifc);
}

void
wk_destroy(struct wk *w)
{
	void *obj;

	if (w == NULL)
		return;
	if (w->evt_ring != NULL)
		while (rte_ring_sc_dequeue(w->evt_ring, &obj) == 0)
			rte_mempool_put(((struct wk_evt *)obj)->pool, obj);
	steer_destroy(w->steer);
	rte_ring_free(w->xctl);
	tcp_stack_destroy(w->tcp);
	net_iface_destroy(w->ifc);
	rte_ring_free(w->evt_ring);
	rte_mempool_free(w->evt_pool);
	rte_mempool_free(w->evt_big_pool);
	rte_free(w->dead);
	rte_free(w->dirty);
	rte_free(w->conns);
	rte_free(w);
}
