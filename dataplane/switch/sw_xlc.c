/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-lcore fan-out. Legs of one conference live on different lcores and only the owning
 * lcore touches a connection. The sender's lcore builds each copy (head with a placeholder
 * transaction id, body segments it holds a reference to) and hands it to the recipient's
 * lcore over the batched SPSC ring of that pair; the recipient's lcore allocates the
 * transaction, sends, and returns the copy (DONE). Responses, timeouts, REPORTs and legs
 * leaving come back as records on the reverse ring, so final-report state stays on the
 * sender's lcore.
 *
 * Rings are published once per burst (sw_lcore_flush) and drained in sw_lcore_poll. They are
 * sized for every transaction and copy in flight, so DONE and OUTCOME records always fit;
 * REPORT and LEFT broadcasts that do not fit are counted (drop_ring_full).
 */
#include <errno.h>
#include <string.h>

#include "switch/sw_pvt.h"

void sw_lcore_ctl(struct sw_lcore *lc, const struct sw_ring_ent *ent, uint64_t now_us);

static void
sw_xlc_put(struct sw_lcore *lc, uint32_t dst, const struct sw_ring_ent *ent)
{
	if (!sw_ring_put(lc->to[dst], ent))
		sw_cnt_add(lc, SW_CNT_DROP_RING_FULL, 1);
}

bool
sw_xlc_fwd(struct sw_lcore *lc, uint32_t dst, uint32_t mi, uint32_t ri, struct sw_leg *q,
           const uint8_t *head, size_t hl, const struct sw_seg *body, unsigned int nb,
           uint64_t plen, bool has_body, enum msrp_flag flag)
{
	struct sw_engine *e = lc->e;
	uint32_t xi = lc->xfer_free;
	struct sw_xfer *x;
	struct sw_ring_ent ent = {{SW_XK_FWD}};

	if (xi == SW_NONE || hl > sizeof(x->head) || nb > SW_HELD_MAX || dst >= e->p.n_lcores)
		return false;
	x = &lc->xfer[xi];
	ent.w[1] = xi;
	if (!sw_ring_put(lc->to[dst], &ent))
		return false;
	lc->xfer_free = x->free_next;
	x->leg = sw_leg_ref_of(q);
	x->origin_tc = lc->cur_tc;
	x->msg = mi;
	x->msg_gen = lc->msgs[mi].gen;
	x->rcpt = ri;
	x->plen = plen;
	x->flag = (uint8_t)flag;
	x->has_body = has_body;
	x->head_len = (uint16_t)hl;
	memcpy(x->head, head, hl);
	x->n_segs = nb;
	for (unsigned int i = 0; i < nb; i++) {
		x->segs[i] = body[i];
		/* The body outlives this burst: the copy carries its own reference. */
		if (body[i].buf != NULL)
			e->bops.hold(e->bctx, body[i].buf);
	}
	sw_cnt_add(lc, SW_CNT_XFER_TX, 1);
	return true;
}

void
sw_xlc_outcome(struct sw_lcore *lc, const struct sw_tx *t, enum sw_ok kind, uint16_t status)
{
	struct sw_ring_ent ent = {{SW_XK_OUTCOME, t->msg, t->msg_gen, t->rcpt, kind, status}};

	sw_xlc_put(lc, t->origin, &ent);
}

void
sw_xlc_broadcast(struct sw_lcore *lc, const struct sw_ring_ent *ent)
{
	for (uint32_t d = 0; d < lc->e->p.n_lcores; d++)
		if (d != lc->id)
			sw_xlc_put(lc, d, ent);
}

/* A copy from lcore src: send it from here, give the holds back, return the slot. */
static void
sw_xlc_fwd_rx(struct sw_lcore *lc, uint32_t src, uint32_t xi, uint64_t now_us)
{
	struct sw_engine *e = lc->e;
	struct sw_xfer *x = &e->lcs[src].xfer[xi];
	struct sw_leg *q = sw_leg_deref(e, x->leg);
	struct sw_ring_ent done = {{SW_XK_DONE, xi}};

	sw_cnt_add(lc, SW_CNT_XFER_RX, 1);
	if (q == NULL) {
		struct sw_tx t = {.origin = (uint8_t)src,
		                  .msg = x->msg,
		                  .msg_gen = x->msg_gen,
		                  .rcpt = x->rcpt};

		sw_xlc_outcome(lc, &t, SW_OK_LEFT, 481);
	} else {
		lc->send_origin_lcore = src;
		lc->send_origin_tc = x->origin_tc;
		sw_tx_send_built(lc, src, x->msg, x->msg_gen, x->rcpt, q, x->head, x->head_len,
		                 x->segs, x->n_segs, x->plen, x->has_body, (enum msrp_flag)x->flag,
		                 now_us);
		lc->send_origin_tc = SW_TCONN_NONE;
	}
	for (uint32_t i = 0; i < x->n_segs; i++)
		if (x->segs[i].buf != NULL)
			e->bops.release(e->bctx, x->segs[i].buf);
	sw_xlc_put(lc, src, &done);
}

static void
sw_xlc_rx(struct sw_lcore *lc, uint32_t src, const struct sw_ring_ent *ent, uint64_t now_us)
{
	struct sw_leg_ref ref = {.idx = (uint32_t)ent->w[1], .gen = (uint32_t)(ent->w[1] >> 32)};

	switch (ent->w[0] & 0xff) {
	case SW_XK_FWD:
		sw_xlc_fwd_rx(lc, src, (uint32_t)ent->w[1], now_us);
		break;
	case SW_XK_DONE: {
		struct sw_xfer *x = &lc->xfer[ent->w[1]];

		x->free_next = lc->xfer_free;
		lc->xfer_free = (uint32_t)ent->w[1];
		break;
	}
	case SW_XK_OUTCOME:
		sw_apply_outcome(lc, (uint32_t)ent->w[1], (uint32_t)ent->w[2], (uint32_t)ent->w[3],
		                 (enum sw_ok)ent->w[4], (uint16_t)ent->w[5], now_us);
		break;
	case SW_XK_REPORT: {
		uint32_t len = (uint32_t)(ent->w[0] >> 24) & 0xff;
		struct msrp_span id = {(const uint8_t *)&ent->w[4], len};

		sw_report_apply(lc, ref, id, (uint16_t)(ent->w[0] >> 8), (ent->w[0] >> 32) & 1,
		                ent->w[2], ent->w[3], now_us);
		break;
	}
	case SW_XK_LEFT:
		ref.gen = (uint32_t)ent->w[2];
		sw_msg_leg_left(lc, ref, now_us);
		break;
	default:
		break;
	}
}

void
sw_xlc_drain(struct sw_lcore *lc, uint64_t now_us)
{
	struct sw_ring_ent burst[32];
	uint32_t n;

	if (lc->ctl != NULL)
		while ((n = sw_ring_get_burst(lc->ctl, burst, 32)) > 0)
			for (uint32_t i = 0; i < n; i++)
				sw_lcore_ctl(lc, &burst[i], now_us);
	for (uint32_t s = 0; s < lc->e->p.n_lcores; s++) {
		if (lc->from[s] == NULL)
			continue;
		while ((n = sw_ring_get_burst(lc->from[s], burst, 32)) > 0)
			for (uint32_t i = 0; i < n; i++)
				sw_xlc_rx(lc, s, &burst[i], now_us);
	}
}

uint32_t
sw_lcore_pending(struct sw_lcore *lc)
{
	uint32_t n = lc->ctl != NULL ? sw_ring_cons_count(lc->ctl) : 0;

	for (uint32_t s = 0; s < lc->e->p.n_lcores; s++)
		if (lc->from[s] != NULL)
			n += sw_ring_cons_count(lc->from[s]);
	return n;
}
