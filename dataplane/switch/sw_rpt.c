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

/*
 * Failure REPORT to the sender (RFC 4975 §7.1.2; issue 5 "failure REPORTs per its
 * Failure-Report"), once per message, when the message is settled without a final report:
 * if the sender did not say Failure-Report: no and some recipient's outcome is not
 * delivered, Status 000 <code> of the first such recipient in conference order (its error
 * response or failure REPORT code, 408 timeout, 481 left / not connected, 413 / 415
 * not-sent). The switch is the sender's endpoint: the hop response said the switch took the
 * message; this says it did not reach everybody. Byte-Range: what the switch received.
 */
static void
sw_report_failure(struct sw_lcore *lc, const struct sw_msg *m)
{
	struct sw_leg *s = sw_leg_deref(lc->e, m->sender);
	const struct sw_rcpt *bad = NULL;
	uint8_t tid[MSRP_ID_LEN], end[MSRP_BUILD_END_MAX];
	const struct sw_leg_addr *sa;
	struct msrp_build_req req;
	const char *comment;
	ssize_t hl, el;

	if (!m->sender_fr || m->aborted || s == NULL || s->conn == SW_NONE ||
	    atomic_load_explicit(&s->lcore, memory_order_relaxed) != lc->id)
		return;
	for (uint32_t r = 0; r < m->n_rcpt && bad == NULL; r++)
		if (m->rcpt[r].outcome != FDR_OUTCOME_DELIVERED)
			bad = &m->rcpt[r];
	if (bad == NULL)
		return;
	sa = sw_leg_addr(s);
	comment = msrp_status_comment(bad->status);
	msrp_id_next(&lc->ids, tid, sizeof(tid));
	req = (struct msrp_build_req){
	        .method = {(const uint8_t *)"REPORT", 6},
	        .tid = {tid, sizeof(tid)},
	        .to_path = {(const uint8_t *)sa->path, sa->path_len},
	        .from_path = {(const uint8_t *)s->uri, s->uri_len},
	        .message_id = {m->msgid, m->msgid_len},
	        .has_byte_range = true,
	        .byte_range = {.start = 1,
	                       .end = m->received,
	                       .total = m->total,
	                       .end_known = true,
	                       .total_known = m->total != 0},
	        .has_status = true,
	        .status = {.ns = 0,
	                   .code = bad->status,
	                   .reason = {(const uint8_t *)comment, strlen(comment)}},
	        .flag = MSRP_FLAG_END,
	};
	hl = msrp_build_req_head(&req, lc->head, sizeof(lc->head));
	el = msrp_build_end(req.tid, false, MSRP_FLAG_END, end, sizeof(end));
	if (hl < 0 || el < 0)
		return;
	struct sw_seg segs[2] = {{lc->head, (uint32_t)hl, NULL}, {end, (uint32_t)el, NULL}};

	if (sw_send_frame(lc, s->conn, segs, 2) == 0)
		sw_cnt_add(lc, SW_CNT_TX_FAILURE_REPORT, 1);
}

/* Document buffer: one per lcore, the largest report the parser side accepts. */
static _Thread_local uint8_t sw_fr_doc[FDR_DOC_MAX];
#define SW_FR_BATCH 1024u
static _Thread_local struct fdr_recipient sw_fr_rcpt[SW_FR_BATCH];

/*
 * One document for recipients rc[0..*n): as many as fit the configured size (halving until
 * it fits); *n is set to how many it covers. Returns its length, or < 0 when even one
 * recipient cannot be written (never happens with SW_IDENT_MAX identities: skipped).
 */
static ssize_t
sw_fr_build_one(const struct sw_lcore *lc, const struct sw_msg *m, struct fdr_recipient *rc,
                uint32_t *n)
{
	uint32_t cap = lc->e->p.final_report_max_bytes != 0 ? lc->e->p.final_report_max_bytes
	                                                    : FDR_DOC_MAX;
	uint32_t take = *n;
	struct fdr_report rep;
	ssize_t len;

	for (;;) {
		rep = (struct fdr_report){
		        .message_id = {m->msgid, m->msgid_len}, .rcpt = rc, .n_rcpt = take};
		len = fdr_build(&rep, sw_fr_doc, cap);
		if (len != -ENOSPC)
			break;
		if (take == 1) {
			/* The limit is a split preference: one recipient always gets through. */
			len = fdr_build(&rep, sw_fr_doc, sizeof(sw_fr_doc));
			break;
		}
		take = (take + 1) / 2;
	}
	*n = take;
	return len;
}

static void
sw_final_report(struct sw_lcore *lc, uint32_t mi)
{
	struct sw_engine *e = lc->e;
	struct sw_msg *m = &lc->msgs[mi];
	struct sw_leg *s = sw_leg_deref(e, m->sender);
	struct msw_ctl_ev_report ev;
	uint32_t r = 0;

	if (s == NULL || m->n_rcpt == 0)
		return; /* the originator left: nobody to tell */
	memset(&ev, 0, sizeof(ev));
	ev.leg.conf = s->conf->id;
	memcpy(ev.leg.session_id, s->sid, SW_SID_LEN);
	ev.leg.session_id_len = SW_SID_LEN;
	memcpy(ev.message_id, m->msgid, m->msgid_len);
	for (uint32_t i = 0; i < m->n_rcpt; i++) {
		ev.recipients++;
		ev.delivered += m->rcpt[i].outcome == FDR_OUTCOME_DELIVERED;
	}
	ev.failed = ev.recipients - ev.delivered;
	ev.status = ev.failed == 0 ? 200 : 0;
	/*
	 * FDR-06: as many documents as needed, each a run of recipients in conference order,
	 * together every recipient exactly once. Every event carries the message's totals and
	 * one document as its detail.
	 */
	while (r < m->n_rcpt) {
		uint32_t n = 0, done = 0;

		for (; r + n < m->n_rcpt && n < SW_FR_BATCH; n++) {
			const struct sw_rcpt *rc = &m->rcpt[r + n];
			const struct sw_leg *q = &e->legs[rc->leg.idx];

			/*
			 * A leg that left keeps its identity bytes until its slot is reused by a
			 * later LEG_ADD, which pops slots only after a grace period. Known limit:
			 * a message outliving that reuse would name the new leg (docs/switch.md).
			 */
			sw_fr_rcpt[n] = (struct fdr_recipient){.uri = sw_rcpt_name(q),
			                                       .status = rc->status,
			                                       .outcome = rc->outcome};
		}
		while (done < n) {
			uint32_t take = n - done;
			ssize_t len = sw_fr_build_one(lc, m, &sw_fr_rcpt[done], &take);

			done += take;
			if (len < 0)
				continue;
			if (s->conn != SW_NONE &&
			    atomic_load_explicit(&s->lcore, memory_order_relaxed) == lc->id)
				sw_fr_send_doc(lc, m, s, sw_fr_doc, (size_t)len);
			if (e->eops.final_report != NULL)
				e->eops.final_report(e->ectx, &ev, sw_fr_doc, (uint32_t)len);
		}
		r += n;
	}
}

/*
 * Called whenever something about the message changed. Done when the sender finished (or
 * aborted) and every recipient has an outcome; without a final report, a recipient whose
 * every chunk was answered 200 counts as delivered (its REPORTs are not asked for).
 */
/* MSW_CTL_CONF_F_SETTLED: tell the control plane every recipient is done with m. */
static void
sw_ev_msg_settled(struct sw_lcore *lc, const struct sw_msg *m)
{
	struct sw_engine *e = lc->e;
	const struct sw_leg *s = sw_leg_deref(e, m->sender);
	struct msw_ctl_ev_msg ev;

	if (e->eops.msg_done == NULL || s == NULL || !s->conf->settled_events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.leg.conf = s->conf->id;
	memcpy(ev.leg.session_id, s->sid, SW_SID_LEN);
	ev.leg.session_id_len = SW_SID_LEN;
	memcpy(ev.message_id, m->msgid, m->msgid_len);
	ev.msg_len = m->received;
	ev.msg_flags = MSW_CTL_MSG_F_SETTLED;
	e->eops.msg_done(e->ectx, &ev);
}

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
		sw_ev_msg_settled(lc, m);
		sw_msg_free(lc, mi);
		return;
	}
	if (m->inflight_total > 0)
		return;
	/* Every chunk was answered; 200s to all of them = delivered. */
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
	sw_report_failure(lc, m);
	sw_ev_msg_settled(lc, m);
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
