/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-chunk path: framing, session binding (RFC 4975 §7.3, SWX-13), hop responses
 * (RFC 4975 §7.2, SWX-02), fan-out with re-headering (SWX-03), re-chunking, aborts (SWX-09),
 * recipient responses (SWX-08, 413) and the slow-recipient policy (SWX-07).
 *
 * No malloc, no locks, no syscalls, no logging on this path: pools of the lcore, counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpim/cpim.h"
#include "fdr/fdr.h"
#include "switch/sw_pvt.h"

static const char sw_hex[] = "0123456789abcdef";

static struct msrp_span
sw_leg_uri(const struct sw_leg *l)
{
	return (struct msrp_span){(const uint8_t *)l->uri, l->uri_len};
}

static struct msrp_span
sw_leg_path(const struct sw_leg *l)
{
	const struct sw_leg_addr *a = sw_leg_addr(l);

	return (struct msrp_span){(const uint8_t *)a->path, a->path_len};
}

static void sw_conn_legs_gone(struct sw_lcore *lc, struct sw_conn *c, enum sw_close_reason why,
                              int err, uint64_t now_us);

int
sw_send_frame(struct sw_lcore *lc, uint32_t conn, const struct sw_seg *segs, unsigned int n)
{
	struct sw_engine *e = lc->e;

	if (conn >= e->p.max_conns || !lc->conns[conn].in_use)
		return -EPIPE;
	return e->tops.send(e->tctx, lc->conns[conn].tc, segs, n);
}

static int
sw_send_flat(struct sw_lcore *lc, uint32_t conn, const uint8_t *p, size_t len)
{
	struct sw_seg s = {.p = p, .len = (uint32_t)len, .buf = NULL};

	return sw_send_frame(lc, conn, &s, 1);
}

/*
 * Hop response to a request (RFC 4975 §7.2): Failure-Report "no" -> never, "partial" -> only
 * errors, "yes"/absent -> always. REPORTs are never answered (RFC 4975 §7.1.2).
 */
static void
sw_respond(struct sw_lcore *lc, uint32_t conn, const struct sw_leg *l, const struct msrp_frame *f,
           uint16_t code)
{
	struct msrp_span local = l != NULL ? sw_leg_uri(l) : (struct msrp_span){NULL, 0};
	ssize_t n;

	if (f->method == MSRP_METHOD_REPORT || f->failure_report == MSRP_REPORT_NO ||
	    (f->failure_report == MSRP_REPORT_PARTIAL && code == 200))
		return;
	n = msrp_build_response_to(f, code, NULL, local, lc->scratch, sizeof(lc->scratch));
	if (n > 0 && sw_send_flat(lc, conn, lc->scratch, (size_t)n) == 0)
		sw_cnt_add(lc, SW_CNT_TX_RESP, 1);
	else
		sw_cnt_add(lc, SW_CNT_DROP_RESP_TX, 1); /* the sender's own queue is full */
}

/* ---- outgoing transactions ---- */

static void
sw_tx_unlink(struct sw_lcore *lc, uint32_t ti)
{
	struct sw_tx *t = &lc->tx[ti];

	if (t->prev != SW_NONE)
		lc->tx[t->prev].next = t->next;
	else
		lc->tx_head = t->next;
	if (t->next != SW_NONE)
		lc->tx[t->next].prev = t->prev;
	else
		lc->tx_tail = t->prev;
}

static void
sw_tx_free(struct sw_lcore *lc, uint32_t ti)
{
	sw_tx_unlink(lc, ti);
	lc->tx[ti].in_use = false;
	lc->tx_free[lc->n_tx_free++] = ti;
}

/*
 * A transaction id: SW_TID_RAND random ident chars (unpredictable, MFR-18) then the slot
 * index in 8 hex digits, so a response finds its transaction with no hash: decode + memcmp.
 */
static uint32_t
sw_tx_alloc(struct sw_lcore *lc, uint32_t origin, uint32_t mi, uint32_t gen, uint32_t ri,
            uint32_t conn, uint64_t now_us)
{
	uint32_t ti;
	struct sw_tx *t;

	if (lc->n_tx_free == 0)
		return SW_NONE;
	ti = lc->tx_free[--lc->n_tx_free];
	t = &lc->tx[ti];
	t->in_use = true;
	msrp_id_next(&lc->ids, t->tid, SW_TID_RAND);
	for (unsigned int i = 0; i < 8; i++)
		t->tid[SW_TID_RAND + i] = (uint8_t)sw_hex[(ti >> (28 - 4 * i)) & 0xf];
	t->origin = (uint8_t)origin;
	t->msg = mi;
	t->msg_gen = gen;
	t->rcpt = ri;
	t->conn = conn;
	t->deadline = now_us + (uint64_t)lc->e->p.tx_timeout_ms * 1000u;
	/* Same timeout for all: appending keeps the list sorted by deadline. */
	t->next = SW_NONE;
	t->prev = lc->tx_tail;
	if (lc->tx_tail != SW_NONE)
		lc->tx[lc->tx_tail].next = ti;
	else
		lc->tx_head = ti;
	lc->tx_tail = ti;
	return ti;
}

/* Outcome of one copy for the sender's lcore: applied here or sent back over the ring. */
static void
sw_outcome_to(struct sw_lcore *lc, uint32_t origin, uint32_t mi, uint32_t gen, uint32_t ri,
              enum sw_ok kind, uint16_t status, uint64_t now_us)
{
	if (mi == SW_NONE)
		return; /* our bodiless binding SEND */
	if (origin == lc->id) {
		sw_apply_outcome(lc, mi, gen, ri, kind, status, now_us);
		return;
	}
	struct sw_tx t = {.origin = (uint8_t)origin, .msg = mi, .msg_gen = gen, .rcpt = ri};

	sw_xlc_outcome(lc, &t, kind, status);
}

static uint32_t
sw_tx_find(struct sw_lcore *lc, struct msrp_span tid, uint32_t conn)
{
	uint32_t ti = 0;

	if (tid.len != SW_TID_LEN)
		return SW_NONE;
	for (unsigned int i = 0; i < 8; i++) {
		uint8_t c = tid.p[SW_TID_RAND + i];
		uint32_t v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = (uint32_t)(c - 'a' + 10);
		else
			return SW_NONE;
		ti = (ti << 4) | v;
	}
	if (ti >= lc->e->p.max_tx || !lc->tx[ti].in_use || lc->tx[ti].conn != conn ||
	    memcmp(lc->tx[ti].tid, tid.p, SW_TID_LEN) != 0)
		return SW_NONE;
	return ti;
}

/* ---- binding ---- */

static bool
sw_conn_add_leg(struct sw_conn *c, struct sw_leg *l)
{
	if (c->n_legs == SW_CONN_LEGS)
		return false;
	c->legs[c->n_legs++] = sw_leg_ref_of(l);
	return true;
}

static void
sw_conn_del_leg(struct sw_conn *c, uint32_t idx)
{
	for (uint32_t i = 0; i < c->n_legs; i++) {
		if (c->legs[i].idx == idx) {
			c->legs[i] = c->legs[--c->n_legs];
			return;
		}
	}
}

static void
sw_ev_leg(struct sw_lcore *lc, const struct sw_leg *l, bool bound, enum sw_close_reason why,
          int err)
{
	struct sw_engine *e = lc->e;
	struct msw_ctl_ev_leg ev;

	if (bound ? e->eops.leg_bound == NULL : e->eops.leg_closed == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.leg.conf = l->conf->id;
	memcpy(ev.leg.session_id, l->sid, SW_SID_LEN);
	ev.leg.session_id_len = SW_SID_LEN;
	ev.error = err;
	ev.reason = bound ? 0 : (uint32_t)why;
	if (bound)
		e->eops.leg_bound(e->ectx, &ev);
	else
		e->eops.leg_closed(e->ectx, &ev);
}

static void
sw_bind(struct sw_lcore *lc, uint32_t conn, struct sw_leg *l)
{
	l->conn = conn;
	atomic_store_explicit(&l->lcore, lc->id, memory_order_release);
	atomic_store_explicit(&l->state, MSW_CTL_LEG_BOUND, memory_order_relaxed);
	sw_cnt_add(lc, SW_CNT_BIND, 1);
	sw_ev_leg(lc, l, true, 0, 0);
}

/*
 * Session-id of the first To-Path URI: "msrp[s]://authority/" session-id ";transport"
 * (RFC 4975 §9). Byte scan, no full URI validation on the per-chunk path: the session-id is
 * only compared with ours, which are well-formed.
 */
static bool
sw_first_sid(struct msrp_span to_path, const uint8_t **sid, size_t *len)
{
	const uint8_t *p = to_path.p, *end = to_path.p + to_path.len, *s;

	for (const uint8_t *q = p; q < end; q++)
		if (*q == ' ') {
			end = q;
			break;
		}
	s = memchr(p, ':', (size_t)(end - p));
	if (s == NULL || end - s < 3 || s[1] != '/' || s[2] != '/')
		return false;
	s = memchr(s + 3, '/', (size_t)(end - (s + 3)));
	if (s == NULL)
		return false;
	s++;
	*sid = s;
	for (const uint8_t *q = s; q < end; q++)
		if (*q == ';') {
			*len = (size_t)(q - s);
			return *len > 0;
		}
	return false;
}

/*
 * The leg a request is for. Connection's small array first (memcmp, RFC 4975 §5.4
 * connection reuse means usually one leg), then the table: unknown -> 481, bound to
 * another connection -> 506, else bind (SWX-13).
 */
static struct sw_leg *
sw_leg_for(struct sw_lcore *lc, uint32_t ci, const struct msrp_frame *f, uint16_t *code)
{
	struct sw_conn *c = &lc->conns[ci];
	const uint8_t *sid;
	size_t len;
	struct sw_leg *l;

	if (!sw_first_sid(f->to_path, &sid, &len)) {
		*code = 481;
		return NULL;
	}
	for (uint32_t i = 0; i < c->n_legs; i++) {
		l = sw_leg_deref(lc->e, c->legs[i]);
		if (l == NULL) { /* deleted meanwhile: forget it */
			c->legs[i--] = c->legs[--c->n_legs];
			continue;
		}
		if (len == SW_SID_LEN && memcmp(l->sid, sid, SW_SID_LEN) == 0) {
			sw_cnt_add(lc, SW_CNT_CONN_LEG_HIT, 1);
			return l;
		}
	}
	sw_cnt_add(lc, SW_CNT_TABLE_LOOKUP, 1);
	l = sw_leg_lookup_sid(lc->e, sid, len);
	if (l == NULL) {
		sw_cnt_add(lc, SW_CNT_DROP_481, 1);
		*code = 481;
		return NULL;
	}
	/* Claim the leg for this lcore; a leg bound elsewhere (any lcore) -> 506. */
	uint32_t none = SW_NONE;

	if (!atomic_compare_exchange_strong_explicit(&l->lcore, &none, lc->id, memory_order_acq_rel,
	                                             memory_order_acquire) &&
	    (none != lc->id || l->conn != ci)) {
		sw_cnt_add(lc, SW_CNT_DROP_506, 1);
		*code = 506;
		return NULL;
	}
	if (!sw_conn_add_leg(c, l)) {
		if (none == SW_NONE)
			atomic_store_explicit(&l->lcore, SW_NONE, memory_order_release);
		sw_cnt_add(lc, SW_CNT_DROP_506, 1);
		*code = 506;
		return NULL;
	}
	if (none == SW_NONE)
		sw_bind(lc, ci, l);
	return l;
}

/* ---- messages in flight ---- */

static uint32_t
sw_msg_bucket(struct sw_lcore *lc, const uint8_t *id, size_t len)
{
	return (uint32_t)(sw_span_hash(id, len, lc->e->hash_seed) & ((1u << SW_MSG_HASH_BITS) - 1));
}

static uint32_t
sw_msg_find(struct sw_lcore *lc, struct sw_leg_ref sender, struct msrp_span id)
{
	for (uint32_t mi = lc->msg_hash[sw_msg_bucket(lc, id.p, id.len)]; mi != SW_NONE;
	     mi = lc->msgs[mi].hash_next) {
		struct sw_msg *m = &lc->msgs[mi];

		if (m->sender.idx == sender.idx && m->sender.gen == sender.gen &&
		    m->msgid_len == id.len && memcmp(m->msgid, id.p, id.len) == 0)
			return mi;
	}
	return SW_NONE;
}

/* The message a recipient's REPORT is about: same Message-ID and that leg a recipient. */
static uint32_t
sw_msg_find_rcpt(struct sw_lcore *lc, struct sw_leg_ref leg, struct msrp_span id, uint32_t *ri)
{
	for (uint32_t mi = lc->msg_hash[sw_msg_bucket(lc, id.p, id.len)]; mi != SW_NONE;
	     mi = lc->msgs[mi].hash_next) {
		struct sw_msg *m = &lc->msgs[mi];

		if (m->msgid_len != id.len || memcmp(m->msgid, id.p, id.len) != 0)
			continue;
		for (uint32_t r = 0; r < m->n_rcpt; r++)
			if (m->rcpt[r].leg.idx == leg.idx && m->rcpt[r].leg.gen == leg.gen) {
				*ri = r;
				return mi;
			}
	}
	return SW_NONE;
}

void
sw_msg_free(struct sw_lcore *lc, uint32_t mi)
{
	struct sw_msg *m = &lc->msgs[mi];
	uint32_t *pp = &lc->msg_hash[sw_msg_bucket(lc, m->msgid, m->msgid_len)];

	while (*pp != mi)
		pp = &lc->msgs[*pp].hash_next;
	*pp = m->hash_next;
	sw_fr_disarm(lc, mi);
	m->in_use = false;
	m->gen++; /* transactions still out for it become stale */
	m->free_next = lc->msg_free;
	lc->msg_free = mi;
	lc->msgs_in_use--;
}

/* Media type of a Content-Type value, parameters and surrounding blanks removed. */
struct msrp_span
sw_media_type(struct msrp_span ct)
{
	uint32_t n = 0;

	while (n < ct.len && ct.p[n] != ';' && ct.p[n] != ' ')
		n++;
	return (struct msrp_span){ct.p, n};
}

bool
sw_span_caseeq(struct msrp_span a, struct msrp_span b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++) {
		uint8_t x = a.p[i], y = b.p[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* One media-type list entry of RFC 4975 §8.6 matched: exact type, "type/ *" or "*". */
static bool
sw_types_match(const struct msrp_span *types, unsigned int n, struct msrp_span mt)
{
	for (unsigned int i = 0; i < n; i++) {
		struct msrp_span a = types[i];

		if (a.len == 1 && a.p[0] == '*')
			return true;
		if (a.len >= 2 && a.p[a.len - 1] == '*' && a.p[a.len - 2] == '/' &&
		    mt.len > a.len - 1 &&
		    sw_span_caseeq((struct msrp_span){a.p, a.len - 1},
		                   (struct msrp_span){mt.p, a.len - 1}))
			return true;
		if (sw_span_caseeq(a, mt))
			return true;
	}
	return false;
}

/* RFC 4975 §8.6 accept-types. Empty list = anything. */
bool
sw_leg_accepts(const struct sw_leg *l, struct msrp_span mt)
{
	return l->n_accept == 0 || sw_types_match(l->accept_type, l->n_accept, mt);
}

/*
 * RFC 4975 §8.6: inside a wrapper (message/cpim) a recipient takes its accept-wrapped-types
 * and its accept-types. Not given (n_wrapped 0) = not checked: the control plane did not
 * pass the attribute (LEG_ADD v1), and refusing every wrapped message would be worse.
 */
bool
sw_leg_accepts_wrapped(const struct sw_leg *l, struct msrp_span mt)
{
	return l->n_wrapped == 0 || sw_types_match(l->wrapped_type, l->n_wrapped, mt) ||
	       sw_leg_accepts(l, mt);
}

static void
sw_set_outcome(struct sw_lcore *lc, struct sw_msg *m, struct sw_rcpt *r, uint8_t outcome,
               uint16_t status)
{
	static const enum sw_cnt cnt[FDR_OUTCOME_COUNT] = {
	        [FDR_OUTCOME_DELIVERED] = SW_CNT_RCPT_DELIVERED,
	        [FDR_OUTCOME_FAILED] = SW_CNT_RCPT_FAILED,
	        [FDR_OUTCOME_TIMEOUT] = SW_CNT_RCPT_TIMEOUT,
	        [FDR_OUTCOME_LEFT] = SW_CNT_RCPT_LEFT,
	        [FDR_OUTCOME_NOT_SENT] = SW_CNT_RCPT_NOT_SENT,
	};

	/* FDR-05: the first final outcome is kept. */
	if (r->outcome != SW_OUTCOME_NONE)
		return;
	r->outcome = outcome;
	r->status = status;
	r->state = SW_RCPT_STOPPED;
	m->n_open--;
	sw_cnt_add(lc, cnt[outcome], 1);
}

void
sw_msg_rcpt_outcome(struct sw_lcore *lc, uint32_t mi, uint32_t ri, uint8_t outcome, uint16_t status,
                    uint64_t now_us)
{
	sw_set_outcome(lc, &lc->msgs[mi], &lc->msgs[mi].rcpt[ri], outcome, status);
	sw_msg_check_done(lc, mi, now_us);
}

/*
 * New message from sender l (first chunk seen): conference policy, recipients snapshot from
 * the current member array (RCU), exclusions (SWX-11 max-size, RFC 4975 §8.6 accept-types),
 * Final-Report detection (OMA 5.7.2). Returns the message index, or SW_NONE with *code set.
 */
static uint32_t
sw_msg_new(struct sw_lcore *lc, struct sw_leg *l, const struct msrp_frame *f, uint16_t *code)
{
	struct sw_conf *conf = l->conf;
	struct sw_members *mem;
	struct msrp_span mt = sw_media_type(f->content_type);
	bool is_cpim = sw_span_caseeq(mt, (struct msrp_span){(const uint8_t *)"message/cpim", 12});
	uint64_t total = f->byte_range.total_known ? f->byte_range.total : 0;
	uint32_t mi, only = SW_NONE;
	struct sw_msg *m;

	if (total > conf->max_size) {
		sw_cnt_add(lc, SW_CNT_DROP_413, 1);
		*code = 413; /* SWX-11: larger than what we advertised */
		return SW_NONE;
	}
	if (conf->cpim_policy == MSW_CTL_CPIM_REQUIRED && !is_cpim) {
		*code = 415;
		return SW_NONE;
	}
	if (lc->msg_free == SW_NONE || f->message_id.len > SW_MSGID_MAX) {
		sw_cnt_add(lc, SW_CNT_DROP_NO_MSG, 1);
		*code = 413; /* no room for one more message in flight: try later / smaller */
		return SW_NONE;
	}
	mi = lc->msg_free;
	m = &lc->msgs[mi];
	lc->msg_free = m->free_next;
	lc->msgs_in_use++;
	m->in_use = true;
	m->sender = sw_leg_ref_of(l);
	memcpy(m->msgid, f->message_id.p, f->message_id.len);
	m->msgid_len = (uint8_t)f->message_id.len;
	m->sender_sr = f->success_report == MSRP_REPORT_YES;
	m->sender_fr = f->failure_report != MSRP_REPORT_NO;
	m->final_report = false;
	m->complete = m->aborted = m->fr_timer_armed = false;
	m->total = total;
	m->received = 0;
	m->fr_prev = m->fr_next = SW_NONE;
	m->hash_next = lc->msg_hash[sw_msg_bucket(lc, m->msgid, m->msgid_len)];
	lc->msg_hash[sw_msg_bucket(lc, m->msgid, m->msgid_len)] = mi;
	m->n_rcpt = 0;
	m->n_open = 0;
	m->inflight_total = 0;
	if (sw_cpim_msg_init(lc, m, l, f, &only, code) != 0) {
		sw_cnt_add(lc, SW_CNT_DROP_PRIVATE_UNKNOWN, 1);
		sw_msg_free(lc, mi);
		return SW_NONE;
	}
	mem = rcu_dereference(conf->members);
	for (uint32_t i = 0; mem != NULL && i < mem->n && m->n_rcpt < lc->e->p.max_conf_legs; i++) {
		struct sw_leg *q = mem->leg[i];
		struct sw_rcpt *r;

		/* Never back to the sender (SWX-03); a private message to its target only. */
		if (q == l || q->send_only || (only != SW_NONE && q->idx != only))
			continue;
		r = &m->rcpt[m->n_rcpt++];
		*r = (struct sw_rcpt){.leg = sw_leg_ref_of(q), .outcome = SW_OUTCOME_NONE};
		m->n_open++;
		r->variant = f->has_body ? sw_cpim_variant_for(m, q, mt) : SW_VAR_AS_SENT;
		if (q->max_size != 0 && total > q->max_size)
			sw_set_outcome(lc, m, r, FDR_OUTCOME_NOT_SENT, 413);
		else if (r->variant == SW_VAR_COUNT) /* RFC 4975 §8.6 accept-types */
			sw_set_outcome(lc, m, r, FDR_OUTCOME_NOT_SENT, 415);
		else if (atomic_load_explicit(&q->lcore, memory_order_acquire) == SW_NONE)
			/* not connected (yet): cannot be delivered */
			sw_set_outcome(lc, m, r, FDR_OUTCOME_FAILED, 481);
	}
	return mi;
}

/* Map a body span to the receive buffers it lies in and append zero-copy segments. */
static unsigned int
sw_body_segs(const struct sw_conn *c, const uint8_t *p, uint32_t len, struct sw_seg *out,
             unsigned int cap)
{
	unsigned int n = 0;

	while (len > 0 && n < cap) {
		const struct sw_held *h = NULL;

		if (p >= c->cur.p && p < c->cur.p + c->cur.len)
			h = &c->cur;
		for (uint32_t k = 0; h == NULL && k < c->n_held; k++)
			if (p >= c->held[k].p && p < c->held[k].p + c->held[k].len)
				h = &c->held[k];
		if (h == NULL)
			return 0; /* cannot happen: the parser only points into fed buffers */
		uint32_t take = (uint32_t)(h->p + h->len - p);

		if (take > len)
			take = len;
		out[n++] = (struct sw_seg){.p = p, .len = take, .buf = h->buf};
		p += take;
		len -= take;
	}
	return len == 0 ? n : 0;
}

/* Body range [off, off + len) of the frame as segments. */
static unsigned int
sw_piece_segs(const struct sw_conn *c, const struct msrp_frame *f, uint64_t off, uint64_t len,
              struct sw_seg *out, unsigned int cap)
{
	unsigned int n = 0;
	uint64_t pos = 0;

	for (uint32_t i = 0; i < f->n_body_segs && len > 0; i++) {
		struct msrp_span s = f->body_segs[i];

		if (pos + s.len <= off) {
			pos += s.len;
			continue;
		}
		uint64_t skip = off > pos ? off - pos : 0;
		uint64_t take = s.len - skip;

		if (take > len)
			take = len;
		unsigned int k = sw_body_segs(c, s.p + skip, (uint32_t)take, out + n, cap - n);

		if (k == 0)
			return UINT32_MAX;
		n += k;
		off += take;
		len -= take;
		pos += s.len;
	}
	return n;
}

/* SWX-07 on the recipient's lcore: its queue is over the limit. */
static void
sw_slow(struct sw_lcore *lc, struct sw_leg *q, uint64_t now_us)
{
	struct sw_engine *e = lc->e;

	if (e->p.slow_policy == SW_SLOW_DISCONNECT && q->conn != SW_NONE) {
		struct sw_conn *c = &lc->conns[q->conn];

		sw_cnt_add(lc, SW_CNT_SLOW_DISCONNECT, 1);
		/* Every session on that connection ends now, with the reason (EV_LEG_CLOSED). */
		sw_conn_legs_gone(lc, c, SW_CLOSE_SLOW, -ENOBUFS, now_us);
		e->tops.close(e->tctx, c->tc);
	} else {
		sw_cnt_add(lc, SW_CNT_SLOW_DROP, 1);
	}
}

/*
 * On the lcore owning q's connection: allocate a transaction for the copy, write its tid
 * over the placeholder at head + 5 ("MSRP " tid), add the end-line and send. Failures become
 * outcomes for the sender's lcore (origin).
 */
void
sw_tx_send_built(struct sw_lcore *lc, uint32_t origin, uint32_t mi, uint32_t gen, uint32_t ri,
                 struct sw_leg *q, uint8_t *head, size_t hl, const struct sw_seg *body,
                 unsigned int nb, uint64_t plen, bool has_body, enum msrp_flag flag,
                 uint64_t now_us)
{
	struct sw_seg segs[SW_HELD_MAX + 3];
	uint8_t end[MSRP_BUILD_END_MAX];
	uint32_t ti;
	size_t el;
	unsigned int n = 0;
	int rc;

	if (q->conn == SW_NONE || atomic_load_explicit(&q->lcore, memory_order_relaxed) != lc->id) {
		sw_outcome_to(lc, origin, mi, gen, ri, SW_OK_LEFT, 481, now_us);
		return;
	}
	ti = sw_tx_alloc(lc, origin, mi, gen, ri, q->conn, now_us);
	if (ti == SW_NONE) {
		sw_cnt_add(lc, SW_CNT_DROP_NO_TX, 1);
		sw_outcome_to(lc, origin, mi, gen, ri, SW_OK_SLOW, 503, now_us);
		return;
	}
	memcpy(head + 5, lc->tx[ti].tid, SW_TID_LEN);
	if (nb > SW_HELD_MAX) {
		sw_tx_free(lc, ti);
		sw_outcome_to(lc, origin, mi, gen, ri, SW_OK_RESPONSE, 400, now_us);
		return;
	}
	segs[n++] = (struct sw_seg){head, (uint32_t)hl, NULL};
	memcpy(&segs[n], body, nb * sizeof(segs[0]));
	n += nb;
	/* Our own tid and a flag the parser or the engine chose: no per-copy checks. */
	el = msrp_build_end_trusted((struct msrp_span){lc->tx[ti].tid, SW_TID_LEN}, has_body, flag,
	                            end);
	segs[n++] = (struct sw_seg){end, (uint32_t)el, NULL};
	rc = sw_send_frame(lc, q->conn, segs, n);
	if (rc != 0) {
		sw_tx_free(lc, ti);
		if (rc == -ENOBUFS) {
			/* 503 is not an RFC 4975 code: the final report's "queue overflow". */
			sw_outcome_to(lc, origin, mi, gen, ri, SW_OK_SLOW, 503, now_us);
			sw_slow(lc, q, now_us);
		} else {
			sw_outcome_to(lc, origin, mi, gen, ri, SW_OK_LEFT, 481, now_us);
		}
		return;
	}
	sw_cnt_add(lc, SW_CNT_TX_CHUNKS, 1);
	sw_cnt_add(lc, SW_CNT_TX_BYTES_BODY, plen);
}

/*
 * One built copy (head with the placeholder tid) to recipient ri: sent here when this lcore
 * owns the recipient's connection, else handed to that lcore over the pair's ring.
 */
static void
sw_emit(struct sw_lcore *lc, uint32_t mi, uint32_t ri, struct sw_leg *q, uint8_t *head, size_t hl,
        const struct sw_seg *body, unsigned int nb, uint64_t plen, bool has_body,
        enum msrp_flag flag, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];
	struct sw_rcpt *r = &m->rcpt[ri];
	uint32_t owner = atomic_load_explicit(&q->lcore, memory_order_acquire);
	bool past_max = false;

	if (owner == SW_NONE) {
		sw_set_outcome(lc, m, r, FDR_OUTCOME_LEFT, 481);
		return;
	}
	/*
	 * Size unknown up front ('*', RFC 4975 §7.1.1): the recipient's a=max-size (RFC 4975
	 * §8.6) cannot exclude it at the first chunk, so it is enforced on the bytes sent to it
	 * (its own form, envelope included). The piece that would go past it ends the open chunk
	 * with '#' instead (the recipient drops the partial message, §7.1.4) and nothing more is
	 * sent; outcome not-sent 413 (FDR). Nothing sent yet: it is simply not sent.
	 */
	if (m->total == 0 && q->max_size != 0 && r->sent_bytes + plen > q->max_size) {
		sw_cnt_add(lc, SW_CNT_RCPT_MAX_SIZE_STOP, 1);
		if (!r->got_part) {
			sw_set_outcome(lc, m, r, FDR_OUTCOME_NOT_SENT, 413);
			return;
		}
		flag = MSRP_FLAG_ABORT;
		past_max = true;
	}
	/* Counted in flight first: a failure below comes back as an outcome that subtracts. */
	sw_rcpt_inflight_add(m, r);
	r->got_part = true;
	r->sent_bytes += plen;
	if (owner == lc->id)
		sw_tx_send_built(lc, lc->id, mi, m->gen, ri, q, head, hl, body, nb, plen, has_body,
		                 flag, now_us);
	else if (!sw_xlc_fwd(lc, owner, mi, ri, q, head, hl, body, nb, plen, has_body, flag)) {
		sw_cnt_add(lc, SW_CNT_DROP_XFER, 1);
		sw_apply_outcome(lc, mi, m->gen, ri, SW_OK_SLOW, 503, now_us);
	}
	if (past_max) /* first outcome kept: a failure of the send above wins */
		sw_set_outcome(lc, m, r, FDR_OUTCOME_NOT_SENT, 413);
}

/* Head of a piece in a form other than as-sent: a new head, Content-Type of the form. */
static ssize_t
sw_var_head(struct sw_lcore *lc, const struct msrp_frame *f, const struct sw_var *v,
            const struct msrp_reheader *rh, uint64_t body_len, enum msrp_flag flag)
{
	struct msrp_build_req req = {
	        .method = {(const uint8_t *)"SEND", 4},
	        .tid = rh->tid,
	        .to_path = rh->to_path,
	        .from_path = rh->from_path,
	        .message_id = f->message_id,
	        .success_report = rh->success_report,
	        .failure_report = rh->failure_report,
	        .has_byte_range = true,
	        .byte_range = *rh->byte_range,
	        .content_type = {v->ctype, v->ctype_len},
	        .has_body = true,
	        .body_len = body_len,
	        .flag = flag,
	};

	return msrp_build_req_head(&req, lc->head, sizeof(lc->head));
}

/*
 * Forward one received chunk to recipient ri: re-chunked into pieces of at most
 * rechunk_bytes (a file transfer never holds a recipient's connection for long, so chat text
 * interleaves), each a new transaction with this leg's paths (SWX-03), Message-ID and the
 * rest of the headers byte-exact, Byte-Range of the piece, Failure-Report: yes, and
 * Success-Report: yes only when a final report was asked (FDR-04). A CPIM form (wrap, From
 * rewrite, unwrap) replaces the first skip bytes of the first chunk by its prefix and
 * shifts every later Byte-Range (RFC 4975 §7.1.1).
 */
static const uint8_t sw_ztid[SW_TID_LEN] = "0000000000000000000000"; /* placeholder */

static void
sw_fwd_rcpt(struct sw_lcore *lc, uint32_t ci, uint32_t mi, uint32_t ri, const struct msrp_frame *f,
            uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];
	struct sw_rcpt *r = &m->rcpt[ri];
	struct sw_leg *q = sw_leg_deref(lc->e, r->leg);
	const struct sw_var *v = &m->var[r->variant];
	bool as_sent = r->variant == SW_VAR_AS_SENT;
	bool first = f->byte_range.start == 1 && !as_sent;
	uint64_t body = f->has_body ? f->body_len : 0, rc_bytes = lc->e->p.rechunk_bytes;
	uint64_t off = first ? v->skip : 0;
	uint32_t prefix = first && r->variant == SW_VAR_CPIM ? lc->prefix_len : 0;
	struct sw_seg segs[SW_HELD_MAX + 1];

	if (q == NULL) {
		sw_set_outcome(lc, m, r, FDR_OUTCOME_LEFT, 481);
		return;
	}
	if (off > body)
		off = body;
	do {
		uint64_t plen = body - off < rc_bytes ? body - off : rc_bytes;
		bool last = off + plen == body;
		enum msrp_flag flag = last ? f->flag : MSRP_FLAG_MORE;
		int64_t shift = as_sent ? 0 : v->shift;
		uint64_t out_end =
		        (uint64_t)((int64_t)(f->byte_range.start + off + plen) + shift) - 1;
		struct msrp_byte_range br = {
		        .start = prefix > 0 ? 1 : out_end + 1 - plen,
		        .end = out_end,
		        .total = (uint64_t)((int64_t)f->byte_range.total + shift),
		        .end_known = true,
		        .total_known = f->byte_range.total_known,
		};
		/* A bodiless piece (an abort) in another form: where it stands, end unknown. */
		int64_t at = (int64_t)(f->byte_range.start + off) + shift;
		struct msrp_byte_range br0 = {
		        .start = at > 0 ? (uint64_t)at : 1,
		        .total = br.total,
		        .end_known = false,
		        .total_known = f->byte_range.total_known,
		};
		struct msrp_reheader rh = {
		        .tid = {sw_ztid, SW_TID_LEN},
		        .to_path = sw_leg_path(q),
		        .from_path = sw_leg_uri(q),
		        .success_report = m->final_report ? MSRP_REPORT_YES : MSRP_REPORT_NO,
		        .failure_report = MSRP_REPORT_YES,
		        .byte_range = plen + prefix > 0 ? &br : (as_sent ? NULL : &br0),
		        .body_len = plen,
		};
		ssize_t hl;
		unsigned int n = 0, nb;

		if (as_sent)
			hl = msrp_build_reheader(f, &rh, lc->head, sizeof(lc->head));
		else
			hl = sw_var_head(lc, f, v, &rh, plen + prefix, flag);
		nb = plen > 0 ? sw_piece_segs(&lc->conns[ci], f, off, plen, segs + 1, SW_HELD_MAX)
		              : 0;
		if (hl < 0 || nb == UINT32_MAX) {
			sw_set_outcome(lc, m, r, FDR_OUTCOME_FAILED, 400);
			return;
		}
		if (prefix > 0)
			segs[n++] = (struct sw_seg){lc->prefix, prefix, NULL};
		else
			memmove(&segs[0], &segs[1], nb * sizeof(segs[0]));
		n += nb;
		if (off > (first ? v->skip : 0) || f->body_skip > 0)
			sw_cnt_add(lc, SW_CNT_RECHUNK, 1);
		sw_emit(lc, mi, ri, q, lc->head, (size_t)hl, segs, n, plen + prefix, f->has_body,
		        flag, now_us);
		if (r->state != SW_RCPT_SENDING)
			return;
		prefix = 0;
		off += plen;
	} while (off < body);
}

/*
 * The sender's session ended in the middle of a message (its connection closed after a '+'
 * chunk): the recipients that got part of it get a bodiless chunk with the '#' flag (RFC 4975
 * §7.1: a sender aborting an incomplete message ends it with '#'), so they drop the partial
 * message instead of waiting for the rest. The chunk is parsed from text so that it takes
 * the same re-header path as a received abort.
 */
void
sw_msg_abort_partial(struct sw_lcore *lc, uint32_t mi, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];
	uint8_t raw[512], hdr[512];
	struct msrp_limits lim;
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used = 0;
	char total[24];
	int n;

	if (m->complete || m->aborted)
		return;
	if (m->total != 0)
		snprintf(total, sizeof(total), "%" PRIu64, m->total);
	else
		snprintf(total, sizeof(total), "*");
	n = snprintf((char *)raw, sizeof(raw),
	             "MSRP swabort00 SEND\r\nTo-Path: msrp://abort.invalid:1/s;tcp\r\n"
	             "From-Path: msrp://abort.invalid:1/s;tcp\r\nMessage-ID: %.*s\r\n"
	             "Byte-Range: %" PRIu64 "-*/%s\r\n-------swabort00#\r\n",
	             (int)m->msgid_len, (const char *)m->msgid, m->received + 1, total);
	msrp_limits_default(&lim);
	lim.max_header_bytes = sizeof(hdr);
	if (n < 0 || (size_t)n >= sizeof(raw) ||
	    msrp_parser_init(&p, &lim, hdr, sizeof(hdr)) != 0 ||
	    msrp_parser_feed(&p, raw, (size_t)n, &used, &f) != MSRP_OK)
		return;
	m->aborted = true;
	for (uint32_t r = 0; r < m->n_rcpt; r++)
		if (m->rcpt[r].got_part && m->rcpt[r].state == SW_RCPT_SENDING) {
			sw_fwd_rcpt(lc, 0, mi, r, &f, now_us);
			sw_cnt_add(lc, SW_CNT_ABORT_FWD, 1);
		}
}

/*
 * Fan-out of one chunk to every recipient that gets it as sent (the common case). The
 * re-headered head is built once per piece with msrp_build_reheader() (paths of the sender's
 * leg and a placeholder tid); everything after the From-Path line does not depend on the
 * recipient, so each copy is "MSRP <tid> SEND" + the leg's pre-validated path lines + that
 * tail: memcpy only, byte-identical to msrp_build_reheader() for that leg.
 */
static void
sw_fanout_as_sent(struct sw_lcore *lc, uint32_t ci, uint32_t mi, const struct sw_leg *l,
                  const struct msrp_frame *f, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];
	uint64_t body = f->has_body ? f->body_len : 0, off = 0, rc_bytes = lc->e->p.rechunk_bytes;
	struct sw_seg bsegs[SW_HELD_MAX];
	const size_t start_len = 5 + SW_TID_LEN + 7; /* "MSRP " tid " SEND\r\n" */

	do {
		uint64_t plen = body - off < rc_bytes ? body - off : rc_bytes;
		enum msrp_flag flag = off + plen == body ? f->flag : MSRP_FLAG_MORE;
		struct msrp_byte_range br = {
		        .start = f->byte_range.start + off,
		        .end = f->byte_range.start + off + plen - 1,
		        .total = f->byte_range.total,
		        .end_known = true,
		        .total_known = f->byte_range.total_known,
		};
		const struct sw_leg_addr *la = sw_leg_addr(l);
		struct msrp_reheader rh = {
		        .tid = {sw_ztid, SW_TID_LEN},
		        .to_path = {(const uint8_t *)la->path, la->path_len},
		        .from_path = sw_leg_uri(l),
		        .success_report = m->final_report ? MSRP_REPORT_YES : MSRP_REPORT_NO,
		        .failure_report = MSRP_REPORT_YES,
		        .byte_range = plen > 0 ? &br : NULL,
		        .body_len = plen,
		};
		ssize_t tl = msrp_build_reheader(f, &rh, lc->tmpl, sizeof(lc->tmpl));
		size_t skip = start_len + la->hdr_paths_len;
		unsigned int nb =
		        plen > 0 ? sw_piece_segs(&lc->conns[ci], f, off, plen, bsegs, SW_HELD_MAX)
		                 : 0;
		bool ok = tl > 0 && (size_t)tl >= skip && nb != UINT32_MAX &&
		          memcmp(lc->tmpl + start_len, la->hdr_paths, la->hdr_paths_len) == 0;

		for (uint32_t ri = 0; ri < m->n_rcpt; ri++) {
			struct sw_rcpt *r = &m->rcpt[ri];
			struct sw_leg *q;
			const struct sw_leg_addr *qa;
			size_t hl;

			if (r->variant != SW_VAR_AS_SENT || r->state != SW_RCPT_SENDING)
				continue;
			q = sw_leg_deref(lc->e, r->leg);
			if (q == NULL) {
				sw_set_outcome(lc, m, r, FDR_OUTCOME_LEFT, 481);
				continue;
			}
			qa = sw_leg_addr(q);
			hl = start_len + qa->hdr_paths_len + ((size_t)tl - skip);
			if (!ok || hl > sizeof(lc->head)) {
				sw_set_outcome(lc, m, r, FDR_OUTCOME_FAILED, 400);
				continue;
			}
			memcpy(lc->head, lc->tmpl, start_len); /* "MSRP " placeholder " SEND\r\n" */
			memcpy(lc->head + start_len, qa->hdr_paths, qa->hdr_paths_len);
			memcpy(lc->head + start_len + qa->hdr_paths_len, lc->tmpl + skip,
			       (size_t)tl - skip);
			if (off > 0 || f->body_skip > 0)
				sw_cnt_add(lc, SW_CNT_RECHUNK, 1);
			sw_emit(lc, mi, ri, q, lc->head, hl, bsegs, nb, plen, f->has_body, flag,
			        now_us);
		}
		off += plen;
	} while (off < body);
}

/* Success REPORT from the switch as the sender's endpoint (RFC 4975 §7.1.2, SWX-12). */
static void
sw_report_success(struct sw_lcore *lc, uint32_t ci, const struct sw_leg *l,
                  const struct msrp_frame *f)
{
	uint8_t tid[MSRP_ID_LEN];
	ssize_t n;

	msrp_id_next(&lc->ids, tid, sizeof(tid));
	n = msrp_build_report_for(f, (struct msrp_span){tid, sizeof(tid)}, sw_leg_uri(l), 200, NULL,
	                          NULL, lc->scratch, sizeof(lc->scratch));
	if (n > 0 && sw_send_flat(lc, ci, lc->scratch, (size_t)n) == 0)
		sw_cnt_add(lc, SW_CNT_TX_REPORT, 1);
}

static void
sw_ev_msg_done(struct sw_lcore *lc, const struct sw_leg *l, const struct sw_msg *m)
{
	struct sw_engine *e = lc->e;
	struct msw_ctl_ev_msg ev;

	if (e->eops.msg_done == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.leg.conf = l->conf->id;
	memcpy(ev.leg.session_id, l->sid, SW_SID_LEN);
	ev.leg.session_id_len = SW_SID_LEN;
	memcpy(ev.message_id, m->msgid, m->msgid_len);
	ev.msg_len = m->received;
	e->eops.msg_done(e->ectx, &ev);
}

/* EV_HISTORY: the received chunk as it came, body by reference (valid during the call). */
static void
sw_ev_history(struct sw_lcore *lc, const struct sw_leg *l, const struct sw_msg *m,
              const struct msrp_frame *f)
{
	struct sw_engine *e = lc->e;
	struct sw_seg segs[SW_HELD_MAX];
	struct msw_ctl_ev_msg ev;
	unsigned int n;

	if (e->eops.history == NULL)
		return;
	n = sw_piece_segs(&lc->conns[l->conn], f, 0, f->body_len, segs, SW_HELD_MAX);
	if (n == UINT32_MAX)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.leg.conf = l->conf->id;
	memcpy(ev.leg.session_id, l->sid, SW_SID_LEN);
	ev.leg.session_id_len = SW_SID_LEN;
	memcpy(ev.message_id, m->msgid, m->msgid_len);
	ev.msg_len = m->total;
	ev.msg_flags = (uint32_t)f->flag;
	e->eops.history(e->ectx, &ev, f->byte_range.start > 0 ? f->byte_range.start - 1 : 0,
	                f->content_type, segs, n);
}

static void sw_send_tail(struct sw_lcore *lc, uint32_t ci, struct sw_leg *l, uint32_t mi,
                         const struct msrp_frame *f, const struct msrp_frame *pf, uint64_t now_us);

/*
 * LMM-07: a large-message session carries one message; a new Message-ID from a leg that
 * already started one is refused (403, counted). Whole and streamed chunks both ask here.
 */
static bool
sw_second_message(struct sw_lcore *lc, const struct sw_leg *l)
{
	if (!l->conf->one_message || !l->sent_message)
		return false;
	sw_cnt_add(lc, SW_CNT_DROP_SECOND_MESSAGE, 1);
	return true;
}

static void
sw_send_rx(struct sw_lcore *lc, uint32_t ci, struct sw_leg *l, const struct msrp_frame *f,
           uint64_t now_us)
{
	uint16_t code = 200;
	uint32_t mi;

	/* Bodiless SEND: binds the session at our end (RFC 4975 §5.4), nothing to forward. */
	if (!f->has_body && f->flag == MSRP_FLAG_END && f->byte_range.start <= 1) {
		sw_respond(lc, ci, l, f, 200);
		return;
	}
	/* A participant that only receives (its a=recvonly) may bind but not send messages. */
	if (l->recv_only) {
		sw_cnt_add(lc, SW_CNT_DROP_RECV_ONLY, 1);
		sw_respond(lc, ci, l, f, 403);
		return;
	}
	mi = sw_msg_find(lc, sw_leg_ref_of(l), f->message_id);
	if (mi == SW_NONE) {
		if (sw_second_message(lc, l)) {
			sw_respond(lc, ci, l, f, 403);
			return;
		}
		mi = sw_msg_new(lc, l, f, &code);
		if (mi == SW_NONE) {
			sw_respond(lc, ci, l, f, code);
			return;
		}
		l->sent_message = true;
	}
	sw_send_tail(lc, ci, l, mi, f, f, now_us);
}

/*
 * The end of one received chunk f of message mi: pf is what is left to forward, the whole
 * chunk, or for a chunk streamed while it arrived (sw_stream_rx) the bytes after the last
 * piece, at least one (a piece view: pf->body_skip = its offset in the chunk). Then the hop
 * response (RFC 4975 §7.2: one per received chunk, after its end-line), the abort, the
 * message's completion.
 */
static void
sw_send_tail(struct sw_lcore *lc, uint32_t ci, struct sw_leg *l, uint32_t mi,
             const struct msrp_frame *f, const struct msrp_frame *pf, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];
	uint64_t body = pf->has_body ? pf->body_len : 0;

	m->received += body;
	if ((l->history || l->conf->history) && pf->has_body)
		sw_ev_history(lc, l, m, pf);
	if ((m->total == 0 && m->received > l->conf->max_size)) {
		/* Size unknown up front ('*'): stop once it exceeds the limit (SWX-11). */
		sw_cnt_add(lc, SW_CNT_DROP_413, 1);
		sw_respond(lc, ci, l, f, 413);
		if (pf->body_skip > 0) {
			/* Pieces of this chunk went out: those recipients get '#'. */
			m->received -= body;
			sw_msg_abort_partial(lc, mi, now_us);
		}
		pf = NULL;
	} else {
		/* SWX-02: the hop response does not wait for the recipients. */
		sw_respond(lc, ci, l, f, 200);
	}
	if (pf == NULL || f->flag == MSRP_FLAG_ABORT) {
		/* SWX-09: the abort reaches every recipient that got part of the message. */
		m->aborted = true;
		if (pf != NULL)
			for (uint32_t r = 0; r < m->n_rcpt; r++)
				if (m->rcpt[r].got_part && m->rcpt[r].state == SW_RCPT_SENDING) {
					sw_fwd_rcpt(lc, ci, mi, r, pf, now_us);
					sw_cnt_add(lc, SW_CNT_ABORT_FWD, 1);
				}
		sw_msg_free(lc, mi); /* no report of any kind for an aborted message */
		return;
	}
	sw_fanout_as_sent(lc, ci, mi, l, pf, now_us);
	for (uint32_t r = 0; r < m->n_rcpt; r++)
		if (m->rcpt[r].state == SW_RCPT_SENDING && m->rcpt[r].variant != SW_VAR_AS_SENT)
			sw_fwd_rcpt(lc, ci, mi, r, pf, now_us);
	if (f->flag == MSRP_FLAG_END) {
		m->complete = true;
		sw_cnt_add(lc, SW_CNT_MSG_DONE, 1);
		sw_ev_msg_done(lc, l, m);
		/* Without a final report, at most one success REPORT, once all bytes are here. */
		if (!m->final_report && m->sender_sr && (m->total == 0 || m->received == m->total))
			sw_report_success(lc, ci, l, f);
	}
	sw_msg_check_done(lc, mi, now_us);
}

/*
 * A recipient's REPORT about message msgid (on the lcore that tracks that message, which
 * may not be the one that received it). Status 000 200 covering every byte = delivered
 * (FDR-05); an error Status = failed. Returns true when a message matched.
 */
void
sw_report_apply(struct sw_lcore *lc, struct sw_leg_ref leg, struct msrp_span msgid, uint16_t code,
                bool has_range, uint64_t start, uint64_t end, uint64_t now_us)
{
	uint32_t ri, mi = sw_msg_find_rcpt(lc, leg, msgid, &ri);
	struct sw_msg *m;

	if (mi == SW_NONE)
		return;
	m = &lc->msgs[mi];
	if (code == 200) {
		const struct sw_rcpt *r = &m->rcpt[ri];
		int64_t shift = r->variant != SW_VAR_AS_SENT ? m->var[r->variant].shift : 0;
		/* Covers every byte of the form this recipient got (CPIM shifts it). */
		bool all = has_range && start == 1 && m->complete &&
		           (int64_t)end == (int64_t)m->received + shift;

		if (all)
			sw_msg_rcpt_outcome(lc, mi, ri, FDR_OUTCOME_DELIVERED, 200, now_us);
	} else {
		sw_msg_rcpt_outcome(lc, mi, ri, FDR_OUTCOME_FAILED, code, now_us);
	}
}

/* REPORT from a recipient: never answered, never forwarded raw (SWX-12). */
static void
sw_report_rx(struct sw_lcore *lc, struct sw_leg *l, const struct msrp_frame *f, uint64_t now_us)
{
	const struct msrp_byte_range *br = &f->byte_range;
	bool has_range = f->hdr_index[MSRP_HDR_BYTE_RANGE] >= 0 && br->end_known;
	struct sw_leg_ref ref = sw_leg_ref_of(l);

	sw_cnt_add(lc, SW_CNT_REPORT_CONSUMED, 1);
	if (f->hdr_index[MSRP_HDR_STATUS] < 0 || f->message_id.len > SW_MSGID_MAX) {
		sw_cnt_add(lc, SW_CNT_DROP_REPORT_UNKNOWN, 1);
		return;
	}
	sw_report_apply(lc, ref, f->message_id, f->status.code, has_range, br->start, br->end,
	                now_us);
	/* The message may be tracked by the sender's lcore: tell the others. */
	if (lc->e->p.n_lcores > 1) {
		struct sw_ring_ent ent = {{0}};

		ent.w[0] = SW_XK_REPORT | ((uint64_t)f->status.code << 8) |
		           ((uint64_t)f->message_id.len << 24) | ((uint64_t)has_range << 32);
		ent.w[1] = ref.idx | ((uint64_t)ref.gen << 32);
		ent.w[2] = br->start;
		ent.w[3] = br->end;
		memcpy(&ent.w[4], f->message_id.p, f->message_id.len);
		sw_xlc_broadcast(lc, &ent);
	}
}

/* Transaction ti answered with status: an outcome for the sender's lcore. */
static void
sw_resp_tx(struct sw_lcore *lc, uint32_t ti, uint16_t status, uint64_t now_us)
{
	struct sw_tx t = lc->tx[ti];

	sw_tx_free(lc, ti);
	sw_outcome_to(lc, t.origin, t.msg, t.msg_gen, t.rcpt, SW_OK_RESPONSE, status, now_us);
}

/* Response from a recipient to one of our copies: an outcome for the sender's lcore. */
static void
sw_resp_rx(struct sw_lcore *lc, uint32_t ci, const struct msrp_frame *f, uint64_t now_us)
{
	uint32_t ti = sw_tx_find(lc, f->tid, ci);

	sw_cnt_add(lc, SW_CNT_RX_RESP, 1);
	if (ti == SW_NONE) {
		sw_cnt_add(lc, SW_CNT_DROP_RESP_UNKNOWN, 1);
		return;
	}
	sw_resp_tx(lc, ti, f->status_code, now_us);
}

static bool
sw_match(const uint8_t **p, const uint8_t *end, const void *s, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/*
 * Fast path for the common response to our copies (RFC 4975 §7.2), whole in p[0..n):
 *   "MSRP <tid> 200 OK\r\nTo-Path: <our URI>\r\nFrom-Path: <its path>\r\n-------<tid>$\r\n"
 * where tid is one of our transactions on this connection and the paths are byte-equal to
 * a leg bound to it (both validated when the leg was added or set). Everything the full
 * parser would do with such a frame is known (a valid response, code 200, no body), so it
 * is handled the same way (sw_resp_rx) without parsing. Any deviation (another code or
 * comment, other header, split frame, unknown tid, other paths) returns 0: the caller
 * feeds the bytes to the full parser. Returns the frame length when handled.
 */
static size_t
sw_resp200_fast(struct sw_lcore *lc, uint32_t ci, const uint8_t *p, size_t n, uint64_t now_us)
{
	static const char to[] = " 200 OK\r\nTo-Path: ", from[] = "\r\nFrom-Path: ",
	                  dash[] = "\r\n-------", fin[] = "$\r\n";
	const struct sw_conn *c = &lc->conns[ci];
	const uint8_t *q = p, *end = p + n, *tid;
	uint32_t ti;

	if (!sw_match(&q, end, "MSRP ", 5) || (size_t)(end - q) < SW_TID_LEN)
		return 0;
	tid = q;
	q += SW_TID_LEN;
	if (!sw_match(&q, end, to, sizeof(to) - 1))
		return 0;
	ti = sw_tx_find(lc, (struct msrp_span){tid, SW_TID_LEN}, ci);
	if (ti == SW_NONE)
		return 0;
	for (uint32_t k = 0; k < c->n_legs; k++) {
		const struct sw_leg *l = sw_leg_deref(lc->e, c->legs[k]);
		const struct sw_leg_addr *a;
		const uint8_t *r = q;

		if (l == NULL)
			continue;
		a = sw_leg_addr(l);
		if (a->path_len == 0 || !sw_match(&r, end, l->uri, l->uri_len) ||
		    !sw_match(&r, end, from, sizeof(from) - 1) ||
		    !sw_match(&r, end, a->path, a->path_len) ||
		    !sw_match(&r, end, dash, sizeof(dash) - 1) ||
		    !sw_match(&r, end, tid, SW_TID_LEN) || !sw_match(&r, end, fin, sizeof(fin) - 1))
			continue;
		sw_cnt_add(lc, SW_CNT_RX_RESP, 1);
		sw_cnt_add(lc, SW_CNT_RX_RESP_FAST, 1);
		sw_resp_tx(lc, ti, 200, now_us);
		return (size_t)(r - p);
	}
	return 0;
}

/* The sender's lcore learns what became of one copy. */
void
sw_apply_outcome(struct sw_lcore *lc, uint32_t mi, uint32_t gen, uint32_t ri, enum sw_ok kind,
                 uint16_t status, uint64_t now_us)
{
	struct sw_msg *m;
	struct sw_rcpt *r;

	if (mi >= lc->e->p.max_msgs)
		return;
	m = &lc->msgs[mi];
	if (!m->in_use || m->gen != gen || ri >= m->n_rcpt)
		return; /* late: the message is gone (aborted, sender left) */
	r = &m->rcpt[ri];
	sw_rcpt_inflight_sub(m, r);
	switch (kind) {
	case SW_OK_RESPONSE:
		if (status == 413) {
			/* SWX-08: stop this message toward this recipient only. */
			sw_cnt_add(lc, SW_CNT_RCPT_413, 1);
			sw_set_outcome(lc, m, r, FDR_OUTCOME_NOT_SENT, 413);
		} else if (status != 200) {
			sw_set_outcome(lc, m, r, FDR_OUTCOME_FAILED, status);
		}
		break;
	case SW_OK_TIMEOUT: /* no response within the transaction timeout: 408 */
		sw_set_outcome(lc, m, r, FDR_OUTCOME_TIMEOUT, 408);
		break;
	case SW_OK_SLOW:
		sw_set_outcome(lc, m, r, FDR_OUTCOME_FAILED, status);
		break;
	case SW_OK_LEFT:
		sw_set_outcome(lc, m, r, FDR_OUTCOME_LEFT, 481);
		break;
	case SW_OK_DROPPED:
		break;
	}
	sw_msg_check_done(lc, mi, now_us);
}

static void
sw_frame_rx(struct sw_lcore *lc, uint32_t ci, const struct msrp_frame *f, uint64_t now_us)
{
	struct sw_leg *l;
	uint16_t code = 0;

	if (f->kind == MSRP_KIND_RESPONSE) {
		sw_resp_rx(lc, ci, f, now_us);
		return;
	}
	sw_cnt_add(lc, SW_CNT_RX_REQ, 1);
	sw_cnt_add(lc,
	           f->method == MSRP_METHOD_SEND     ? SW_CNT_RX_SEND
	           : f->method == MSRP_METHOD_REPORT ? SW_CNT_RX_REPORT
	                                             : SW_CNT_RX_OTHER,
	           1);
	l = sw_leg_for(lc, ci, f, &code);
	if (l == NULL) {
		sw_respond(lc, ci, NULL, f, code);
		return;
	}
	switch (f->method) {
	case MSRP_METHOD_SEND:
		sw_send_rx(lc, ci, l, f, now_us);
		break;
	case MSRP_METHOD_REPORT:
		sw_report_rx(lc, l, f, now_us);
		break;
	default: /* RFC 4975 §12: unknown method -> 501 */
		sw_cnt_add(lc, SW_CNT_DROP_METHOD, 1);
		sw_respond(lc, ci, l, f, 501);
		break;
	}
}

static void
sw_conn_release_held(struct sw_lcore *lc, struct sw_conn *c)
{
	struct sw_engine *e = lc->e;

	for (uint32_t k = 0; k < c->n_held; k++)
		e->bops.release(e->bctx, c->held[k].buf);
	c->n_held = 0;
}

/* ---- cut-through inside one incoming chunk ---- */

/*
 * Receive buffers whose bytes are all consumed go back: everything held before the buffer
 * of the first body byte the parser still lists (the header block was copied into the
 * connection's header buffer by the first msrp_parser_body_drop()). Held buffers are in
 * stream order, so that is a prefix of c->held.
 */
static void
sw_conn_release_consumed(struct sw_lcore *lc, struct sw_conn *c)
{
	struct sw_engine *e = lc->e;
	uint64_t certain;
	const struct msrp_frame *f = msrp_parser_body_partial(&c->parser, &certain);
	const uint8_t *keep = f != NULL && f->n_body_segs > 0 ? f->body_segs[0].p : NULL;
	uint32_t k = 0;

	while (k < c->n_held && !(keep >= c->held[k].p && keep < c->held[k].p + c->held[k].len))
		k++;
	if (k == 0)
		return;
	for (uint32_t i = 0; i < k; i++)
		e->bops.release(e->bctx, c->held[i].buf);
	memmove(c->held, c->held + k, (c->n_held - k) * sizeof(c->held[0]));
	c->n_held -= k;
}

/*
 * A piece of the chunk f in progress, or its remainder at the end-line: len body bytes from
 * f->body_skip (where f's body spans begin), with flag. The view keeps body_skip as the
 * piece's offset in the chunk (re-chunk counting); its Byte-Range starts there.
 */
static void
sw_piece_view(const struct msrp_frame *f, uint64_t len, enum msrp_flag flag, struct msrp_frame *pf)
{
	/* No Byte-Range: the chunk is a whole message starting at 1 (RFC 4975 §7.1.1). */
	uint64_t start = f->byte_range.start > 0 ? f->byte_range.start : 1;

	*pf = *f;
	pf->byte_range.start = start + f->body_skip;
	pf->byte_range.end = pf->byte_range.start + len - 1;
	pf->byte_range.end_known = true;
	pf->body_len = len;
	pf->flag = flag;
}

/*
 * Decide what becomes of the body of request f once certain body bytes are here and the
 * end-line is not: the same checks as for a whole chunk (binding, recv-only, conference
 * max-size, message tracker, CPIM policy), made on the header block. Returns false while
 * it is too early: fewer than rechunk_bytes + 1 certain bytes (a chunk that ends before is
 * handled whole, as before), or for the first chunk of a CPIM message fewer than the prefix
 * the CPIM header block is read from (body_peek: its forms, private target and final-report
 * request are known before anything is sent).
 */
static bool
sw_stream_decide(struct sw_lcore *lc, uint32_t ci, const struct msrp_frame *f, uint64_t certain)
{
	static const struct msrp_span cpim = {(const uint8_t *)"message/cpim", 12};
	struct sw_conn *c = &lc->conns[ci];
	uint64_t need = lc->e->p.rechunk_bytes;
	struct msrp_frame vf;
	struct sw_leg *l;
	uint16_t code = 0;
	uint32_t mi;

	if (f->kind != MSRP_KIND_REQUEST)
		return false;
	if (f->method != MSRP_METHOD_SEND) {
		/* REPORTs and other methods never use their body: it is dropped as it comes. */
		if (certain <= need)
			return false;
		c->st = SW_ST_SKIP;
		return true;
	}
	if (f->byte_range.start == 1 && sw_span_caseeq(sw_media_type(f->content_type), cpim) &&
	    need < sizeof(lc->body_peek))
		need = sizeof(lc->body_peek);
	if (certain <= need)
		return false;
	sw_cnt_add(lc, SW_CNT_RX_REQ, 1);
	sw_cnt_add(lc, SW_CNT_RX_SEND, 1);
	c->st = SW_ST_DISCARD;
	c->st_leg = (struct sw_leg_ref){SW_NONE, 0};
	l = sw_leg_for(lc, ci, f, &code);
	if (l == NULL) {
		c->st_code = code;
		return true;
	}
	c->st_leg = sw_leg_ref_of(l);
	if (l->recv_only) {
		sw_cnt_add(lc, SW_CNT_DROP_RECV_ONLY, 1);
		c->st_code = 403;
		return true;
	}
	mi = sw_msg_find(lc, c->st_leg, f->message_id);
	if (mi == SW_NONE) {
		if (sw_second_message(lc, l)) {
			c->st_code = 403;
			return true;
		}
		/* The CPIM header block is read from the certain bytes but the last one. */
		vf = *f;
		vf.body_len = certain - 1;
		mi = sw_msg_new(lc, l, &vf, &code);
		if (mi == SW_NONE) {
			c->st_code = code;
			return true;
		}
		l->sent_message = true;
	}
	c->st = SW_ST_FWD;
	c->st_mi = mi;
	c->st_gen = lc->msgs[mi].gen;
	/*
	 * The body is no longer held, so the parser's chunk limit no longer bounds memory: a
	 * streamed chunk may be as large as the conference max-size (its message cannot be
	 * larger), plus max_chunk_bytes so that a '*' message running past the max-size inside
	 * one chunk still reaches its end-line and gets its 413 (SWX-11).
	 */
	msrp_parser_body_limit(&c->parser, l->conf->max_size > MSRP_STREAM_BODY_MAX
	                                           ? MSRP_STREAM_BODY_MAX
	                                           : l->conf->max_size + lc->limits.max_body_bytes);
	sw_cnt_add(lc, SW_CNT_STREAM_CHUNK, 1);
	return true;
}

/*
 * One piece of plen bytes (from f->body_skip) of the chunk being streamed to every
 * recipient still sending, with '+' (the real flag goes on the remainder at the end-line),
 * then dropped from the parser. Past the conference max-size of a '*' message (SWX-11) the
 * message stops: '#' to those that got part of it (they hold an open message), 413 to the
 * sender at the end-line, the rest of the chunk is dropped.
 */
static void
sw_stream_piece(struct sw_lcore *lc, uint32_t ci, struct sw_leg *l, const struct msrp_frame *f,
                uint64_t plen, uint64_t now_us)
{
	struct sw_conn *c = &lc->conns[ci];
	uint32_t mi = c->st_mi;
	struct sw_msg *m = &lc->msgs[mi];
	struct msrp_frame pf;

	if (m->total == 0 && m->received + plen > l->conf->max_size) {
		sw_cnt_add(lc, SW_CNT_DROP_413, 1);
		sw_msg_abort_partial(lc, mi, now_us);
		sw_msg_free(lc, mi);
		c->st = SW_ST_DISCARD;
		c->st_code = 413;
		return;
	}
	sw_piece_view(f, plen, MSRP_FLAG_MORE, &pf);
	m->received += plen;
	if (l->history || l->conf->history)
		sw_ev_history(lc, l, m, &pf);
	sw_fanout_as_sent(lc, ci, mi, l, &pf, now_us);
	for (uint32_t r = 0; r < m->n_rcpt; r++)
		if (m->rcpt[r].state == SW_RCPT_SENDING && m->rcpt[r].variant != SW_VAR_AS_SENT)
			sw_fwd_rcpt(lc, ci, mi, r, &pf, now_us);
	sw_cnt_add(lc, SW_CNT_STREAM_PIECE, 1);
	msrp_parser_body_drop(&c->parser, plen);
}

/*
 * Cut-through (issue 5): after a feed that left a request's body incomplete, forward what
 * is certainly body in pieces of rechunk_bytes, keeping at least one byte back so that the
 * remainder sent with the real flag at the end-line is never empty, and release the
 * receive buffers those bytes were in. What the engine holds for one chunk is then about
 * rechunk_bytes (plus the partial end-line and the receive buffers' granularity), the
 * header block in the connection's header buffer, whatever the chunk's size.
 */
static void
sw_stream_rx(struct sw_lcore *lc, uint32_t ci, uint64_t now_us)
{
	struct sw_conn *c = &lc->conns[ci];
	uint64_t certain, rc_bytes = lc->e->p.rechunk_bytes;
	const struct msrp_frame *f = msrp_parser_body_partial(&c->parser, &certain);

	if (f == NULL)
		return;
	if (c->st == SW_ST_NONE && !sw_stream_decide(lc, ci, f, certain))
		return;
	while (c->st == SW_ST_FWD && c->in_use) {
		struct sw_msg *m = &lc->msgs[c->st_mi];
		struct sw_leg *l = sw_leg_deref(lc->e, c->st_leg);
		uint64_t plen = rc_bytes;

		f = msrp_parser_body_partial(&c->parser, &certain);
		if (f == NULL || certain <= f->body_skip + 1)
			break;
		if (l == NULL || !m->in_use || m->gen != c->st_gen) {
			/* The sender's session ended meanwhile (its message was aborted). */
			c->st = SW_ST_DISCARD;
			c->st_code = 481;
			break;
		}
		/*
		 * The first piece of a first chunk carries what a CPIM form replaces (its skip
		 * bytes), so that every later piece only shifts (sw_fwd_rcpt).
		 */
		if (f->body_skip == 0 && f->byte_range.start == 1)
			for (unsigned int v = 0; v < SW_VAR_COUNT; v++)
				if (m->var[v].used && m->var[v].skip > plen)
					plen = m->var[v].skip;
		if (certain - 1 - f->body_skip < plen)
			break;
		sw_stream_piece(lc, ci, l, f, plen, now_us);
	}
	if (!c->in_use)
		return;
	if (c->st == SW_ST_DISCARD || c->st == SW_ST_SKIP) {
		f = msrp_parser_body_partial(&c->parser, &certain);
		if (f != NULL && certain > f->body_skip) {
			sw_cnt_add(lc, SW_CNT_STREAM_DROP, certain - f->body_skip);
			msrp_parser_body_drop(&c->parser, certain - f->body_skip);
		}
	}
	sw_conn_release_consumed(lc, c);
}

/* The end-line of a request whose body was streamed, dropped or refused at its head. */
static void
sw_stream_end(struct sw_lcore *lc, uint32_t ci, const struct msrp_frame *f, uint64_t now_us)
{
	struct sw_conn *c = &lc->conns[ci];
	uint8_t st = c->st;
	struct sw_leg *l = c->st_leg.idx != SW_NONE ? sw_leg_deref(lc->e, c->st_leg) : NULL;
	struct msrp_frame pf;

	c->st = SW_ST_NONE;
	if (st == SW_ST_SKIP) {
		sw_frame_rx(lc, ci, f, now_us);
		return;
	}
	if (st == SW_ST_FWD) {
		const struct sw_msg *m = &lc->msgs[c->st_mi];

		if (l != NULL && m->in_use && m->gen == c->st_gen) {
			sw_piece_view(f, f->body_len - f->body_skip, f->flag, &pf);
			sw_send_tail(lc, ci, l, c->st_mi, f, &pf, now_us);
			return;
		}
		c->st_code = 481; /* the sender's session ended meanwhile */
	}
	sw_respond(lc, ci, l, f, c->st_code);
}

int
sw_conn_open(struct sw_lcore *lc, sw_tconn_t tc, uint32_t *conn)
{
	uint32_t i;
	struct sw_conn *c;

	if (lc->n_conn_free == 0) {
		sw_cnt_add(lc, SW_CNT_DROP_CONN_FULL, 1);
		return -ENOSPC;
	}
	i = lc->conn_free[--lc->n_conn_free];
	c = &lc->conns[i];
	c->hdr_buf = lc->hdr_area + (size_t)i * lc->limits.max_header_bytes;
	c->in_use = true;
	c->tc = tc;
	c->n_legs = 0;
	c->n_held = 0;
	c->active = false;
	c->st = SW_ST_NONE;
	msrp_parser_init(&c->parser, &lc->limits, c->hdr_buf, lc->limits.max_header_bytes);
	*conn = i;
	return 0;
}

int
sw_conn_lookup(const struct sw_lcore *lc, sw_tconn_t tc, uint32_t *conn)
{
	for (uint32_t i = 0; i < lc->e->p.max_conns; i++)
		if (lc->conns[i].in_use && lc->conns[i].tc == tc) {
			*conn = i;
			return 0;
		}
	return -ENOENT;
}

static int
sw_conn_rx_one(struct sw_lcore *lc, uint32_t ci, const uint8_t *data, uint32_t len,
               struct sw_buf *buf, uint64_t now_us)
{
	struct sw_engine *e = lc->e;
	struct sw_conn *c;
	size_t pos = 0;

	if (ci >= e->p.max_conns || !lc->conns[ci].in_use)
		return -EINVAL;
	c = &lc->conns[ci];
	sw_cnt_add(lc, SW_CNT_RX_BYTES, len);
	lc->cur_tc = c->tc;
	/* The current buffer is only listed: the caller's reference covers the call. */
	c->cur = (struct sw_held){.buf = buf, .p = data, .len = len};
	while (pos < len) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc;

		/* A whole "200 OK" to one of our copies at a frame boundary: no parse. */
		if (c->n_held == 0 && msrp_parser_idle(&c->parser)) {
			size_t fl = sw_resp200_fast(lc, ci, data + pos, len - pos, now_us);

			if (fl > 0) {
				pos += fl;
				continue;
			}
		}
		rc = msrp_parser_feed(&c->parser, data + pos, len - pos, &used, &f);

		pos += used;
		if (rc == MSRP_OK) {
			if (c->st != SW_ST_NONE)
				sw_stream_end(lc, ci, &f, now_us);
			else
				sw_frame_rx(lc, ci, &f, now_us);
			if (!c->in_use)
				return 0; /* closed while handling the frame */
			/* Frame done: only the current buffer can hold the next frame's bytes. */
			sw_conn_release_held(lc, c);
			continue;
		}
		if (rc == MSRP_AGAIN) {
			/* Inside a body: forward what is certainly body (cut-through). */
			sw_stream_rx(lc, ci, now_us);
			if (!c->in_use)
				return 0;
			break;
		}
		goto proto;
	}
	c->cur = (struct sw_held){0};
	/* A partial frame keeps its buffers (msrp.h contract): hold the current one. */
	if (!msrp_parser_idle(&c->parser)) {
		struct sw_held *last = c->n_held > 0 ? &c->held[c->n_held - 1] : NULL;

		if (last != NULL && last->buf == buf && last->p + last->len == data) {
			/* More bytes of a buffer already held (a transport's coalescing buffer). */
			last->len += len;
			return 0;
		}
		if (c->n_held == SW_HELD_MAX)
			goto proto; /* more buffers than one chunk may span (max_body_segs) */
		e->bops.hold(e->bctx, buf);
		c->held[c->n_held++] = (struct sw_held){.buf = buf, .p = data, .len = len};
	}
	return 0;
proto:
	c->cur = (struct sw_held){0};
	sw_cnt_add(lc, SW_CNT_DROP_PROTO, 1);
	/* RFC 4975 §7.3: no way to resynchronise: the sessions end, the connection closes. */
	sw_conn_legs_gone(lc, c, SW_CLOSE_PROTOCOL, -EPROTO, now_us);
	e->tops.close(e->tctx, c->tc);
	return -EPROTO;
}

int
sw_conn_rx(struct sw_lcore *lc, uint32_t ci, const uint8_t *data, uint32_t len, struct sw_buf *buf,
           uint64_t now_us)
{
	int rc = sw_conn_rx_one(lc, ci, data, len, buf, now_us);

	lc->cur_tc = SW_TCONN_NONE;

	/* Copies for other lcores are published once per received burst. */
	sw_lcore_flush(lc);
	return rc;
}

static void
sw_conn_unbind(struct sw_conn *c, struct sw_leg *l)
{
	sw_conn_del_leg(c, l->idx);
	l->conn = SW_NONE;
	atomic_store_explicit(&l->state, MSW_CTL_LEG_CLOSED, memory_order_relaxed);
	atomic_store_explicit(&l->lcore, SW_NONE, memory_order_release);
}

/* Outcomes "left" here and on every other lcore (messages of other senders). */
void
sw_leg_left_ref(struct sw_lcore *lc, struct sw_leg_ref ref, uint64_t now_us)
{
	sw_msg_leg_left(lc, ref, now_us);
	if (lc->e->p.n_lcores > 1) {
		struct sw_ring_ent ent = {{SW_XK_LEFT, ref.idx, ref.gen}};

		sw_xlc_broadcast(lc, &ent);
	}
}

/* A leg's connection went away (owner lcore; the leg itself stays in the table). */
void
sw_leg_gone(struct sw_lcore *lc, struct sw_leg *l, enum sw_close_reason why, int err,
            uint64_t now_us)
{
	if (l->conn != SW_NONE)
		sw_conn_unbind(&lc->conns[l->conn], l);
	sw_ev_leg(lc, l, false, why, err);
	sw_leg_left_ref(lc, sw_leg_ref_of(l), now_us);
}

/*
 * Every leg bound to connection c goes (the legs stay in the table: the control plane
 * deletes them, BYE, or they bind again on a new connection).
 */
static void
sw_conn_legs_gone(struct sw_lcore *lc, struct sw_conn *c, enum sw_close_reason why, int err,
                  uint64_t now_us)
{
	while (c->n_legs > 0) {
		struct sw_leg *l = sw_leg_deref(lc->e, c->legs[c->n_legs - 1]);

		if (l == NULL) {
			c->n_legs--;
			continue;
		}
		sw_leg_gone(lc, l, why, err, now_us);
	}
}

/*
 * LEG_DEL reached the owner lcore. Only the handle is used: the slot may already be on its
 * way back to the free list. The last session on a connection ends it (RFC 4975 §5.4).
 */
static bool
sw_conn_drop_ref(struct sw_lcore *lc, struct sw_conn *c, struct sw_leg_ref ref)
{
	if (!c->in_use)
		return false;
	for (uint32_t i = 0; i < c->n_legs; i++)
		if (c->legs[i].idx == ref.idx && c->legs[i].gen == ref.gen) {
			c->legs[i] = c->legs[--c->n_legs];
			if (c->n_legs == 0)
				lc->e->tops.close(lc->e->tctx, c->tc);
			return true;
		}
	return false;
}

static void
sw_lcore_leg_deleted(struct sw_lcore *lc, struct sw_leg_ref ref, uint64_t now_us)
{
	struct sw_engine *e = lc->e;
	/*
	 * The slot's connection index is where the leg was bound, unless the slot was already
	 * reused; the connection's own list confirms the handle either way. Only a miss (never
	 * bound, or reused) scans every connection: deleting a million bound legs stays linear.
	 */
	uint32_t hint = ref.idx < e->p.max_legs
	                        ? __atomic_load_n(&e->legs[ref.idx].conn, __ATOMIC_RELAXED)
	                        : SW_NONE;

	if (hint >= e->p.max_conns || !sw_conn_drop_ref(lc, &lc->conns[hint], ref))
		for (uint32_t ci = 0; ci < e->p.max_conns; ci++)
			if (sw_conn_drop_ref(lc, &lc->conns[ci], ref))
				break;
	sw_leg_left_ref(lc, ref, now_us);
}

bool
sw_lcore_send_origin(const struct sw_lcore *lc, uint32_t *lcore, sw_tconn_t *tc)
{
	if (lc->send_origin_tc == SW_TCONN_NONE)
		return false;
	*lcore = lc->send_origin_lcore;
	*tc = lc->send_origin_tc;
	return true;
}

uint32_t
sw_conn_held(const struct sw_lcore *lc, uint32_t ci)
{
	return ci < lc->e->p.max_conns && lc->conns[ci].in_use ? lc->conns[ci].n_held : 0;
}

/* Bucket of an authority (host compared case-insensitively, RFC 3986 §6.2.2.1; port). */
static uint32_t
sw_act_bucket(const struct sw_lcore *lc, const struct msrp_uri *u)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (uint32_t i = 0; i < u->host.len; i++) {
		uint8_t c = u->host.p[i];

		h = (h ^ (c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c)) * 16777619u;
	}
	h = (h ^ u->port ^ (u->has_port ? 0x10000u : 0)) * 16777619u;
	return h & lc->act_mask;
}

/* An active connection closes: out of its authority bucket. */
static void
sw_act_unlink(struct sw_lcore *lc, uint32_t ci)
{
	uint32_t *p = &lc->act_hash[sw_act_bucket(lc, &lc->conns[ci].authority)];

	while (*p != SW_NONE && *p != ci)
		p = &lc->conns[*p].act_next;
	if (*p == ci)
		*p = lc->conns[ci].act_next;
}

void
sw_conn_closed(struct sw_lcore *lc, uint32_t ci, uint64_t now_us)
{
	struct sw_engine *e = lc->e;
	struct sw_conn *c;

	if (ci >= e->p.max_conns || !lc->conns[ci].in_use)
		return;
	c = &lc->conns[ci];
	sw_conn_legs_gone(lc, c, SW_CLOSE_CONN_CLOSED, 0, now_us);
	sw_conn_release_held(lc, c);
	/* Transactions on this connection can no longer be answered. */
	for (uint32_t ti = lc->tx_head; ti != SW_NONE;) {
		uint32_t next = lc->tx[ti].next;

		if (lc->tx[ti].conn == ci) {
			struct sw_tx t = lc->tx[ti];

			sw_tx_free(lc, ti);
			sw_outcome_to(lc, t.origin, t.msg, t.msg_gen, t.rcpt, SW_OK_DROPPED, 0,
			              now_us);
		}
		ti = next;
	}
	if (c->active) {
		sw_act_unlink(lc, ci);
		c->active = false;
	}
	c->in_use = false;
	lc->conn_free[lc->n_conn_free++] = ci;
	sw_lcore_flush(lc);
}

/*
 * Active leg (a=setup:active): connect to the first URI of its path, reusing an open
 * connection to the same authority, and send a bodiless SEND that binds the session at the
 * far end (RFC 4975 §5.4).
 */
void
sw_lcore_connect_leg(struct sw_lcore *lc, struct sw_leg *l, uint64_t now_us)
{
	struct sw_engine *e = lc->e;
	const struct sw_leg_addr *la = sw_leg_addr(l);
	struct msrp_span rest = {(const uint8_t *)la->path, la->path_len}, first;
	char dial[SW_URI_MAX + 16];
	struct msrp_uri u;
	uint32_t ci = SW_NONE;
	uint8_t mid[MSRP_ID_LEN];
	struct msrp_build_req req;
	uint32_t ti;
	ssize_t n;

	l->connect_pending = false;
	if (atomic_load_explicit(&l->lcore, memory_order_acquire) != SW_NONE)
		return; /* already bound */
	if (!msrp_path_next(&rest, &first))
		return; /* no path yet: LEG_SET posts CONNECT again */
	if (la->connect_len > 0) {
		/* LEG_SET connect address: dial it instead of the first hop (validated there). */
		static const char pre[] = "msrp://", post[] = "/c;tcp";
		size_t dl = 0;

		if (sizeof(pre) + la->connect_len + sizeof(post) > sizeof(dial))
			return;
		memcpy(dial, pre, sizeof(pre) - 1);
		dl += sizeof(pre) - 1;
		memcpy(dial + dl, la->connect, la->connect_len);
		dl += la->connect_len;
		memcpy(dial + dl, post, sizeof(post) - 1);
		dl += sizeof(post) - 1;
		first = (struct msrp_span){(const uint8_t *)dial, (uint32_t)dl};
	}
	if (msrp_uri_parse(first.p, first.len, &u) != 0)
		return;
	for (uint32_t i = lc->act_hash[sw_act_bucket(lc, &u)]; i != SW_NONE;
	     i = lc->conns[i].act_next) {
		struct sw_conn *c = &lc->conns[i];

		if (c->in_use && c->active && c->authority.port == u.port &&
		    c->authority.has_port == u.has_port &&
		    sw_span_caseeq(c->authority.host, u.host) && c->n_legs < SW_CONN_LEGS) {
			ci = i;
			sw_cnt_add(lc, SW_CNT_CONN_REUSE, 1);
			break;
		}
	}
	if (ci == SW_NONE) {
		sw_tconn_t tc;

		if (e->tops.connect == NULL || e->tops.connect(e->tctx, &u, &tc) != 0 ||
		    sw_conn_open(lc, tc, &ci) != 0)
			return;
		sw_cnt_add(lc, SW_CNT_ACTIVE_CONNECT, 1);
		struct sw_conn *c = &lc->conns[ci];

		size_t al = first.len < SW_URI_MAX ? first.len : SW_URI_MAX - 1;

		memcpy(c->authority_buf, first.p, al);
		if (msrp_uri_parse((const uint8_t *)c->authority_buf, al, &c->authority) == 0) {
			uint32_t *b = &lc->act_hash[sw_act_bucket(lc, &c->authority)];

			/* Findable for reuse only once its authority is known. */
			c->active = true;
			c->act_next = *b;
			*b = ci;
		}
	}
	sw_conn_add_leg(&lc->conns[ci], l);
	sw_bind(lc, ci, l);
	ti = sw_tx_alloc(lc, lc->id, SW_NONE, 0, 0, ci, now_us);
	if (ti == SW_NONE)
		return;
	msrp_id_next(&lc->ids, mid, sizeof(mid));
	req = (struct msrp_build_req){
	        .method = {(const uint8_t *)"SEND", 4},
	        .tid = {lc->tx[ti].tid, SW_TID_LEN},
	        .to_path = {(const uint8_t *)la->path, la->path_len},
	        .from_path = sw_leg_uri(l),
	        .message_id = {mid, sizeof(mid)},
	        .flag = MSRP_FLAG_END,
	};
	n = msrp_build_send(&req, NULL, lc->scratch, sizeof(lc->scratch));
	if (n < 0 || sw_send_flat(lc, ci, lc->scratch, (size_t)n) != 0)
		sw_tx_free(lc, ti);
}

static void
sw_tx_timers(struct sw_lcore *lc, uint64_t now_us)
{
	while (lc->tx_head != SW_NONE && lc->tx[lc->tx_head].deadline <= now_us) {
		uint32_t ti = lc->tx_head;
		struct sw_tx t = lc->tx[ti];

		sw_tx_free(lc, ti);
		/* No response within the transaction timeout counts as 408 for that recipient. */
		sw_outcome_to(lc, t.origin, t.msg, t.msg_gen, t.rcpt, SW_OK_TIMEOUT, 408, now_us);
	}
}

void
sw_lcore_flush(struct sw_lcore *lc)
{
	for (uint32_t d = 0; d < lc->e->p.n_lcores; d++)
		if (lc->to[d] != NULL)
			sw_ring_flush(lc->to[d]);
}

void
sw_lcore_poll(struct sw_lcore *lc, uint64_t now_us)
{
	sw_xlc_drain(lc, now_us);
	sw_tx_timers(lc, now_us);
	sw_rpt_timers(lc, now_us);
	sw_lcore_flush(lc);
}

/* Control ring commands (LEG_DEL, active connect), called from sw_xlc_drain(). */
void sw_lcore_ctl(struct sw_lcore *lc, const struct sw_ring_ent *ent, uint64_t now_us);

void
sw_lcore_ctl(struct sw_lcore *lc, const struct sw_ring_ent *ent, uint64_t now_us)
{
	struct sw_leg_ref ref = {.idx = (uint32_t)ent->w[1], .gen = (uint32_t)ent->w[2]};
	struct sw_leg *l;

	switch (ent->w[0] & 0xff) {
	case SW_XK_LEG_GONE:
		sw_lcore_leg_deleted(lc, ref, now_us);
		break;
	case SW_XK_CONNECT:
		l = sw_leg_deref(lc->e, ref);
		if (l != NULL)
			sw_lcore_connect_leg(lc, l, now_us);
		break;
	default:
		break;
	}
}
