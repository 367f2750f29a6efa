/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message completion and OMA final-report aggregation (OMA SIMPLE IM 5.7.3, FDR-01..13).
 *
 * A message's tracker lives on the sender's lcore until every recipient has an outcome
 * (delivered, failed, timeout, left, not-sent). Without a final report the outcomes are only
 * counted; with one, the originator gets documents (common/fdr composer) that together list
 * every recipient exactly once (FDR-06), as a REPORT when its SEND had Success-Report: yes
 * (FDR-07), else as a SEND (FDR-08).
 */
#include <errno.h>
#include <string.h>

#include "fdr/fdr.h"
#include "switch/sw_pvt.h"

/* Final-report timer FIFO: one timeout for all, so appending keeps it sorted. */
void
sw_fr_arm(struct sw_lcore *lc, uint32_t mi, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];

	if (m->fr_timer_armed)
		return;
	m->fr_timer_armed = true;
	m->fr_deadline = now_us + (uint64_t)lc->e->p.final_report_timeout_ms * 1000u;
	m->fr_next = SW_NONE;
	m->fr_prev = lc->fr_tail;
	if (lc->fr_tail != SW_NONE)
		lc->msgs[lc->fr_tail].fr_next = mi;
	else
		lc->fr_head = mi;
	lc->fr_tail = mi;
}

void
sw_fr_disarm(struct sw_lcore *lc, uint32_t mi)
{
	struct sw_msg *m = &lc->msgs[mi];

	if (!m->fr_timer_armed)
		return;
	m->fr_timer_armed = false;
	if (m->fr_prev != SW_NONE)
		lc->msgs[m->fr_prev].fr_next = m->fr_next;
	else
		lc->fr_head = m->fr_next;
	if (m->fr_next != SW_NONE)
		lc->msgs[m->fr_next].fr_prev = m->fr_prev;
	else
		lc->fr_tail = m->fr_prev;
}

/*
 * The recipient as the originator knows it (ALS-03): an anonymous participant is the
 * anonymous URI it appears as in CPIM From (sw_cpim.c), never its identity.
 */
static struct fdr_span
sw_rcpt_name(const struct sw_leg *q)
{
	if (q->anonymous)
		return (struct fdr_span){(const uint8_t *)SW_ANON_URI, sizeof(SW_ANON_URI) - 1};
	if (q->identity_len > 0)
		return (struct fdr_span){(const uint8_t *)q->identity, q->identity_len};
	return (struct fdr_span){(const uint8_t *)q->uri, q->uri_len};
}

static void
sw_fr_send_doc(struct sw_lcore *lc, const struct sw_msg *m, const struct sw_leg *s,
               const uint8_t *doc, size_t doc_len)
{
	uint8_t tid[MSRP_ID_LEN], mid[MSRP_ID_LEN];
	struct msrp_build_req req;
	uint8_t end[MSRP_BUILD_END_MAX];
	ssize_t hl, el;
	const struct sw_leg_addr *sa = sw_leg_addr(s);

	msrp_id_next(&lc->ids, tid, sizeof(tid));
	req = (struct msrp_build_req){
	        .tid = {tid, sizeof(tid)},
	        .to_path = {(const uint8_t *)sa->path, sa->path_len},
	        .from_path = {(const uint8_t *)s->uri, s->uri_len},
	        .content_type = {(const uint8_t *)FDR_MIME_TYPE, sizeof(FDR_MIME_TYPE) - 1},
	        .has_body = true,
	        .body_len = doc_len,
	        .flag = MSRP_FLAG_END,
	        .has_byte_range = true,
	        .byte_range = {.start = 1,
	                       .end = doc_len,
	                       .total = doc_len,
	                       .end_known = true,
	                       .total_known = true},
	};
	if (m->sender_sr) {
		/* RFC 4975 §7.1.2: a REPORT's Byte-Range is the reported range of the message. */
		uint64_t n = m->total != 0 ? m->total : m->received;

		req.byte_range = (struct msrp_byte_range){
		        .start = 1, .end = n, .total = n, .end_known = true, .total_known = true};
		/* FDR-07: REPORT with the original Message-ID, Status 000 200 OK. */
		req.method = (struct msrp_span){(const uint8_t *)"REPORT", 6};
		req.message_id = (struct msrp_span){m->msgid, m->msgid_len};
		req.has_status = true;
		req.status = (struct msrp_status){
		        .ns = 0, .code = 200, .reason = {(const uint8_t *)"OK", 2}};
	} else {
		/* FDR-08: a SEND of its own; Failure-Report: no, as nobody waits for its answer. */
		msrp_id_next(&lc->ids, mid, sizeof(mid));
		req.method = (struct msrp_span){(const uint8_t *)"SEND", 4};
		req.message_id = (struct msrp_span){mid, sizeof(mid)};
		req.failure_report = MSRP_REPORT_NO;
		req.success_report = MSRP_REPORT_NO;
	}
	hl = msrp_build_req_head(&req, lc->head, sizeof(lc->head));
	el = msrp_build_end(req.tid, true, MSRP_FLAG_END, end, sizeof(end));
	if (hl < 0 || el < 0)
		return;
	struct sw_seg segs[3] = {
	        {lc->head, (uint32_t)hl, NULL},
	        {doc, (uint32_t)doc_len, NULL},
	        {end, (uint32_t)el, NULL},
	};
	if (sw_send_frame(lc, s->conn, segs, 3) == 0)
		sw_cnt_add(lc, SW_CNT_TX_FINAL_REPORT, 1);
}

/* Document buffer: one per lcore, the largest report the parser side accepts. */
static _Thread_local uint8_t sw_fr_doc[FDR_DOC_MAX];
static _Thread_local struct fdr_recipient sw_fr_rcpt[1024];

static void
sw_final_report(struct sw_lcore *lc, uint32_t mi)
{
	struct sw_engine *e = lc->e;
	struct sw_msg *m = &lc->msgs[mi];
	struct sw_leg *s = sw_leg_deref(e, m->sender);
	struct fdr_report rep;
	struct msw_ctl_ev_report ev;
	uint32_t n = 0, start = 0;
	ssize_t len = 0;

	if (s == NULL)
		return; /* the originator left: nobody to tell */
	memset(&ev, 0, sizeof(ev));
	for (uint32_t r = 0; r < m->n_rcpt && n < 1024; r++) {
		struct sw_rcpt *rc = &m->rcpt[r];
		struct sw_leg *q = &e->legs[rc->leg.idx];

		/*
		 * A leg that left keeps its identity bytes until its slot is reused by a later
		 * LEG_ADD, which pops slots only after a grace period. Known limit: a message
		 * outliving that reuse would name the new leg (docs/switch.md).
		 */
		sw_fr_rcpt[n++] = (struct fdr_recipient){
		        .uri = sw_rcpt_name(q), .status = rc->status, .outcome = rc->outcome};
		ev.recipients++;
		ev.delivered += rc->outcome == FDR_OUTCOME_DELIVERED;
		ev.failed += rc->outcome != FDR_OUTCOME_DELIVERED;
	}
	if (n == 0)
		return;
	/* FDR-06: split into several documents when one does not fit; each recipient once. */
	while (start < n) {
		uint32_t take = n - start;

		for (;;) {
			rep = (struct fdr_report){.message_id = {m->msgid, m->msgid_len},
			                          .rcpt = &sw_fr_rcpt[start],
			                          .n_rcpt = take};
			len = fdr_build(&rep, sw_fr_doc, sizeof(sw_fr_doc));
			if (len != -ENOSPC || take == 1)
				break;
			take = (take + 1) / 2;
		}
		if (len < 0)
			return;
		if (s->conn != SW_NONE &&
		    atomic_load_explicit(&s->lcore, memory_order_relaxed) == lc->id)
			sw_fr_send_doc(lc, m, s, sw_fr_doc, (size_t)len);
		if (e->eops.final_report != NULL) {
			ev.leg.conf = s->conf->id;
			memcpy(ev.leg.session_id, s->sid, SW_SID_LEN);
			ev.leg.session_id_len = SW_SID_LEN;
			memcpy(ev.message_id, m->msgid, m->msgid_len);
			ev.status = ev.failed == 0 ? 200 : 0;
			e->eops.final_report(e->ectx, &ev, sw_fr_doc, (uint32_t)len);
		}
		start += take;
	}
}

/*
 * Called whenever something about the message changed. Done when the sender finished (or
 * aborted) and every recipient has an outcome; without a final report, a recipient whose
 * every chunk was answered 200 counts as delivered (its REPORTs are not asked for).
 */
void
sw_msg_check_done(struct sw_lcore *lc, uint32_t mi, uint64_t now_us)
{
	struct sw_msg *m = &lc->msgs[mi];

	if (!m->in_use || !m->complete)
		return;
	if (m->final_report) {
		if (m->n_open > 0) {
			/* FDR-12: after the last chunk was acknowledged, wait for the REPORTs. */
			if (m->inflight_total == 0)
				sw_fr_arm(lc, mi, now_us);
			return;
		}
		sw_final_report(lc, mi);
		sw_msg_free(lc, mi);
		return;
	}
	if (m->inflight_total > 0)
		return;
	/* Counters only: every chunk was answered; 200s to all of them = delivered. */
	for (uint32_t r = 0; r < m->n_rcpt && m->n_open > 0; r++) {
		struct sw_rcpt *rc = &m->rcpt[r];

		if (rc->outcome != SW_OUTCOME_NONE)
			continue;
		rc->state = SW_RCPT_STOPPED;
		rc->outcome = FDR_OUTCOME_DELIVERED;
		rc->status = 200;
		m->n_open--;
		sw_cnt_add(lc, SW_CNT_RCPT_DELIVERED, 1);
	}
	sw_msg_free(lc, mi);
}

/* A leg left: its pending outcomes become "left"; messages it was sending are dropped. */
void
sw_msg_leg_left(struct sw_lcore *lc, struct sw_leg_ref ref, uint64_t now_us)
{
	for (uint32_t mi = 0; mi < lc->e->p.max_msgs; mi++) {
		struct sw_msg *m = &lc->msgs[mi];

		if (!m->in_use)
			continue;
		if (m->sender.idx == ref.idx && m->sender.gen == ref.gen) {
			sw_msg_abort_partial(lc, mi, now_us);
			sw_msg_free(lc, mi);
			continue;
		}
		for (uint32_t r = 0; r < m->n_rcpt; r++) {
			struct sw_rcpt *rc = &m->rcpt[r];

			if (rc->leg.idx == ref.idx && rc->leg.gen == ref.gen &&
			    rc->outcome == SW_OUTCOME_NONE) {
				while (rc->inflight > 0)
					sw_rcpt_inflight_sub(m, rc);
				sw_msg_rcpt_outcome(lc, mi, r, FDR_OUTCOME_LEFT, 481, now_us);
				break;
			}
		}
	}
}

void
sw_rpt_timers(struct sw_lcore *lc, uint64_t now_us)
{
	while (lc->fr_head != SW_NONE && lc->msgs[lc->fr_head].fr_deadline <= now_us) {
		uint32_t mi = lc->fr_head;
		struct sw_msg *m = &lc->msgs[mi];

		sw_fr_disarm(lc, mi);
		/* FDR-12: no success REPORT in time -> timeout (408) for the silent ones. */
		for (uint32_t r = 0; r < m->n_rcpt; r++)
			if (m->rcpt[r].outcome == SW_OUTCOME_NONE) {
				m->rcpt[r].outcome = FDR_OUTCOME_TIMEOUT;
				m->rcpt[r].status = 408;
				m->rcpt[r].state = SW_RCPT_STOPPED;
				m->n_open--;
				sw_cnt_add(lc, SW_CNT_RCPT_TIMEOUT, 1);
			}
		sw_msg_check_done(lc, mi, now_us);
	}
}
