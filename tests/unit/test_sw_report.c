/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reports: the switch's own success REPORT (RFC 4975 §7.1.2, at most one per message) and the
 * OMA final report (OMA SIMPLE IM 5.7.3, FDR-04..13) with mixed outcomes, as a REPORT or a
 * SEND, documents parsed back with common/fdr.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol, dave, erin;

static const char cpim_fr[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
                              "From: <sip:alice@example.com>\r\n"
                              "To: <sip:conf1@sw.example>\r\n"
                              "FR.Final-Report: yes\r\n"
                              "\r\n"
                              "Content-Type: text/plain\r\n"
                              "\r\n"
                              "hello all";

static void
five(void)
{
	tw_init(&w);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, NULL);
	tw_leg_add(&w, "conf1", "dave", &dave, NULL);
	tw_leg_add(&w, "conf1", "erin", &erin, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);
	tw_bind(&w, &erin);
}

static void
done(void)
{
	tw_fini(&w);
}

static void
send_cpim(const char *extra)
{
	static char buf[4096];
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "tida0001", "msg-fr01", extra, "message/cpim",
	                    1, strlen(cpim_fr), cpim_fr, '$');

	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
}

static const struct fdr_recipient *
find_rcpt(const struct fdr_report *r, const char *uri)
{
	const struct fdr_recipient *found = NULL;

	for (uint32_t i = 0; i < r->n_rcpt; i++)
		if (r->rcpt[i].uri.len == strlen(uri) &&
		    memcmp(r->rcpt[i].uri.p, uri, strlen(uri)) == 0) {
			cr_assert_null(found, "%s listed twice (FDR-06: exactly once)", uri);
			found = &r->rcpt[i];
		}
	cr_assert_not_null(found, "%s missing from the final report", uri);
	return found;
}

/* Mixed outcomes: bob delivered, carol failed (REPORT 403), dave timeout, erin left. */
static void
mixed_outcomes(struct tw_frames *fa)
{
	struct tw_frames fb, fc, fd, fe;

	tw_take(&w, alice.tc, fa);
	cr_assert_eq(fa->n, 1);
	cr_assert_eq(fa->f[0]->f.status_code, 200);
	tw_frames_free(fa);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	tw_take(&w, erin.tc, &fe);
	/* FDR-04: every copy asks for both reports. */
	cr_assert(tw_span_is(tw_hdr(fb.f[0], "Success-Report"), "yes"));
	cr_assert(tw_span_is(tw_hdr(fb.f[0], "Failure-Report"), "yes"));
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_report(&w, bob.tc, fb.f[0], 200);
	tw_respond(&w, carol.tc, fc.f[0], 200);
	tw_report(&w, carol.tc, fc.f[0], 403);
	tw_respond(&w, dave.tc, fd.f[0], 200);
	cr_assert_eq(tw_leg_del(&w, &erin), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_REPORT_CONSUMED), 2);
	/* Recipient REPORTs are consumed, never forwarded raw; no switch REPORT yet. */
	tw_take(&w, alice.tc, fa);
	cr_assert_eq(fa->n, 0);
	tw_advance(&w, 29000000);
	cr_assert_eq(w.ev.final_report, 0);
	tw_advance(&w, 1000000); /* final_report_timeout after the last acknowledgement */
	cr_assert_eq(w.ev.final_report, 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_take(&w, alice.tc, fa);
	cr_assert_eq(fa->n, 1);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
	tw_frames_free(&fe);
}

static void
check_doc(const struct tw_frame *t)
{
	struct fdr_recipient rc[8];
	struct fdr_report r = {.rcpt = rc};

	cr_assert(fdr_mime_type_match(t->f.content_type.p, t->f.content_type.len));
	cr_assert_eq(fdr_parse(t->body, (uint32_t)t->body_len, &r, 8), FDR_OK, "%.*s",
	             (int)t->body_len, t->body);
	cr_assert_eq(r.n_rcpt, 4);
	cr_assert(r.message_id.len == 8 && memcmp(r.message_id.p, "msg-fr01", 8) == 0);
	const struct fdr_recipient *b = find_rcpt(&r, "sip:bob@example.com"),
	                           *c = find_rcpt(&r, "sip:carol@example.com"),
	                           *d = find_rcpt(&r, "sip:dave@example.com"),
	                           *e = find_rcpt(&r, "sip:erin@example.com");

	cr_assert_eq(b->outcome, FDR_OUTCOME_DELIVERED);
	cr_assert_eq(b->status, 200);
	cr_assert_eq(c->outcome, FDR_OUTCOME_FAILED);
	cr_assert_eq(c->status, 403);
	cr_assert_eq(d->outcome, FDR_OUTCOME_TIMEOUT);
	cr_assert_eq(d->status, 408);
	cr_assert_eq(e->outcome, FDR_OUTCOME_LEFT);
	/* Exact document bytes (provisional schema, docs/final-report.md), recipients in
	 * conference order. */
	const char *want =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"msg-fr01\">\n"
	        "<recipient uri=\"sip:bob@example.com\" status=\"200\" outcome=\"delivered\"/>\n"
	        "<recipient uri=\"sip:carol@example.com\" status=\"403\" outcome=\"failed\"/>\n"
	        "<recipient uri=\"sip:dave@example.com\" status=\"408\" outcome=\"timeout\"/>\n"
	        "<recipient uri=\"sip:erin@example.com\" status=\"481\" outcome=\"left\"/>\n"
	        "</final-report>\n";

	cr_assert_eq(t->body_len, strlen(want), "%.*s", (int)t->body_len, t->body);
	cr_assert(memcmp(t->body, want, t->body_len) == 0, "%.*s", (int)t->body_len, t->body);
}

Test(sw_final_report, mixed_outcomes_as_report, .init = five, .fini = done)
{
	struct tw_frames fa;

	send_cpim("Success-Report: yes\r\n");
	mixed_outcomes(&fa);
	/*
	 * FDR-07: a REPORT with the original Message-ID, Status 000 200, and (RFC 4975 §7.1.2)
	 * the Byte-Range of the reported message, 1-N/N with N its size, not the document's.
	 */
	struct tw_frame *t = fa.f[0];

	cr_assert_eq(t->f.method, MSRP_METHOD_REPORT);
	cr_assert(tw_span_is(t->f.message_id, "msg-fr01"));
	cr_assert(tw_span_is(t->f.to_path, alice.path));
	cr_assert(tw_span_is(t->f.from_path, alice.uri));
	cr_assert_eq(t->f.status.code, 200);
	cr_assert_eq(t->f.byte_range.start, 1);
	cr_assert_eq(t->f.byte_range.end, strlen(cpim_fr));
	cr_assert_eq(t->f.byte_range.total, strlen(cpim_fr));
	cr_assert_neq(t->body_len, strlen(cpim_fr));
	check_doc(t);
	cr_assert_eq(w.ev.last_report.recipients, 4);
	cr_assert_eq(w.ev.last_report.delivered, 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_REPORT), 0); /* no success REPORT of its own */
	tw_frames_free(&fa);
}

Test(sw_final_report, mixed_outcomes_as_send, .init = five, .fini = done)
{
	struct tw_frames fa;

	send_cpim("");
	mixed_outcomes(&fa);
	/* FDR-08: the originator did not ask for REPORTs: a SEND carries the document. */
	struct tw_frame *t = fa.f[0];

	cr_assert_eq(t->f.method, MSRP_METHOD_SEND);
	cr_assert(!tw_span_is(t->f.message_id, "msg-fr01"));
	cr_assert(tw_span_is(tw_hdr(t, "Failure-Report"), "no"));
	check_doc(t);
	tw_frames_free(&fa);
}

Test(sw_final_report, all_delivered_before_timer, .init = five, .fini = done)
{
	struct tw_frames fa, f[4];
	struct tw_leg *r[4] = {&bob, &carol, &dave, &erin};

	send_cpim("Success-Report: yes\r\n");
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	for (int i = 0; i < 4; i++) {
		tw_take(&w, r[i]->tc, &f[i]);
		/* Report first, response later: the first final outcome wins (FDR-05). */
		tw_report(&w, r[i]->tc, f[i].f[0], 200);
		tw_respond(&w, r[i]->tc, f[i].f[0], 200);
		tw_frames_free(&f[i]);
	}
	cr_assert_eq(w.ev.final_report, 1);
	cr_assert_eq(w.ev.last_report.delivered, 4);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.method, MSRP_METHOD_REPORT);
	tw_frames_free(&fa);
}

Test(sw_success_report, one_report_after_last_chunk, .init = five, .fini = done)
{
	char buf[1024];
	struct tw_frames fa;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-sr01",
	                    "Success-Report: yes\r\n", "text/plain", 1, 6, "abc", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1); /* just the 200 */
	tw_frames_free(&fa);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-sr01", "Success-Report: yes\r\n",
	             "text/plain", 4, 6, "def", '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 2);
	cr_assert_eq(fa.f[0]->f.status_code, 200);
	struct msrp_frame *r = &fa.f[1]->f;

	cr_assert_eq(r->method, MSRP_METHOD_REPORT);
	cr_assert(tw_span_is(r->message_id, "msg-sr01"));
	cr_assert_eq(r->status.code, 200);
	cr_assert_eq(r->byte_range.start, 1);
	cr_assert_eq(r->byte_range.end, 6);
	cr_assert_eq(r->byte_range.total, 6);
	cr_assert(tw_span_is(r->to_path, alice.path));
	cr_assert(tw_span_is(r->from_path, alice.uri));
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_REPORT), 1);
	cr_assert_eq(w.ev.msg_done, 1);
	tw_frames_free(&fa);
	/* Copies say Success-Report: no without a final report. */
	struct tw_frames fb;

	tw_take(&w, bob.tc, &fb);
	cr_assert(tw_span_is(tw_hdr(fb.f[0], "Success-Report"), "no"));
	tw_frames_free(&fb);
}

Test(sw_success_report, none_when_not_asked, .init = five, .fini = done)
{
	struct tw_frames fa;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-sr02", "", "hello");
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.kind, MSRP_KIND_RESPONSE);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_REPORT), 0);
	tw_frames_free(&fa);
}

/* ALS-03: an anonymous recipient is named as the others see it, never by its identity. */
Test(sw_final_report, anonymous_recipient_not_revealed, .fini = done)
{
	struct tw_leg_opts anon = {.anonymous = true, .alias = "Shadow"};
	struct tw_frames fa, fb, fc;
	struct fdr_recipient rc[4];
	struct fdr_report r = {.rcpt = rc};

	tw_init(&w);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, &anon);
	tw_leg_add(&w, "conf1", "carol", &carol, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	send_cpim("Success-Report: yes\r\n");
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_report(&w, bob.tc, fb.f[0], 200);
	tw_respond(&w, carol.tc, fc.f[0], 200);
	tw_report(&w, carol.tc, fc.f[0], 200);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fdr_parse(fa.f[0]->body, (uint32_t)fa.f[0]->body_len, &r, 4), FDR_OK);
	cr_assert_eq(r.n_rcpt, 2);
	find_rcpt(&r, "sip:anonymous@anonymous.invalid");
	find_rcpt(&r, "sip:carol@example.com");
	cr_assert_null(memmem(fa.f[0]->body, fa.f[0]->body_len, "bob", 3), "%.*s",
	               (int)fa.f[0]->body_len, fa.f[0]->body);
	tw_frames_free(&fa);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
}
