/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failure REPORTs toward the sender beyond hop responses (RFC 4975 §7.1.2, issue 5): without
 * a final report, a sender that did not say Failure-Report: no gets one REPORT per message
 * when some recipient did not get it, Status 000 <code> of the first such recipient; none
 * when everybody got it, none with Failure-Report: no, none for a final-report message.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol;

static void
three(void)
{
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_leg_add(&w, "c", "carol", &carol, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
}

static void
done(void)
{
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_fini(&w);
}

/* The one copy a recipient got, answered with code. */
static void
answer(struct tw_leg *l, uint16_t code)
{
	struct tw_frames fs;

	tw_take(&w, l->tc, &fs);
	cr_assert_eq(fs.n, 1);
	tw_respond(&w, l->tc, fs.f[0], code);
	tw_frames_free(&fs);
}

/* What alice got: n_resp responses and the REPORTs (returned in *rep, n of them). */
static unsigned int
alice_reports(struct tw_frames *fa, unsigned int want_resp)
{
	unsigned int resp = 0, rep = 0;

	tw_take(&w, alice.tc, fa);
	for (unsigned int i = 0; i < fa->n; i++) {
		if (fa->f[i]->f.method == MSRP_METHOD_REPORT)
			rep++;
		else
			resp += fa->f[i]->f.kind == MSRP_KIND_RESPONSE;
	}
	cr_assert_eq(resp, want_resp);
	return rep;
}

static const struct tw_frame *
first_report(const struct tw_frames *fa)
{
	for (unsigned int i = 0; i < fa->n; i++)
		if (fa->f[i]->f.method == MSRP_METHOD_REPORT)
			return fa->f[i];
	cr_assert_fail("no REPORT");
	return NULL;
}

/* Exact wire form: To-Path = alice's path, From-Path = our URI on her leg, Status 000. */
Test(sw_failure_report, one_recipient_fails, .init = three, .fini = done)
{
	struct tw_frames fa;
	char want[1024];

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-f001", "", "hello");
	cr_assert_eq(alice_reports(&fa, 1), 0, "the hop response only, so far");
	tw_frames_free(&fa);
	answer(&bob, 200);
	cr_assert_eq(alice_reports(&fa, 0), 0, "carol has not answered yet");
	tw_frames_free(&fa);
	answer(&carol, 403);
	cr_assert_eq(alice_reports(&fa, 0), 1);
	const struct tw_frame *t = first_report(&fa);
	int n = snprintf(want, sizeof(want),
	                 "MSRP %.*s REPORT\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
	                 "Message-ID: msg-f001\r\nByte-Range: 1-5/5\r\n"
	                 "Status: 000 403 %s\r\n-------%.*s$\r\n",
	                 (int)t->f.tid.len, t->f.tid.p, alice.path, alice.uri,
	                 msrp_status_comment(403), (int)t->f.tid.len, t->f.tid.p);

	cr_assert_eq(t->len, (size_t)n, "%.*s", (int)t->len, t->raw);
	cr_assert(memcmp(t->raw, want, t->len) == 0, "%.*s", (int)t->len, t->raw);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_FAILURE_REPORT), 1);
	tw_frames_free(&fa);
}

/* Two failures (413 from bob, then carol's timeout): still one REPORT, bob's code first. */
Test(sw_failure_report, once_per_message, .init = three, .fini = done)
{
	struct tw_frames fa, fc;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-f002", "Failure-Report: yes\r\n", "hello");
	answer(&bob, 413);
	tw_take(&w, carol.tc, &fc); /* carol never answers */
	cr_assert_eq(alice_reports(&fa, 1), 0);
	tw_frames_free(&fa);
	tw_advance(&w, 31000000);
	cr_assert_eq(alice_reports(&fa, 0), 1);
	cr_assert_eq(first_report(&fa)->f.status.code, 413, "the first failed recipient");
	tw_frames_free(&fa);
	tw_advance(&w, 31000000);
	cr_assert_eq(alice_reports(&fa, 0), 0, "never a second one");
	tw_frames_free(&fa);
	tw_frames_free(&fc);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_FAILURE_REPORT), 1);
}

/* partial (RFC 4975 §7.1.2: failures only): no 200 hop response, but the failure REPORT. */
Test(sw_failure_report, partial_and_no, .init = three, .fini = done)
{
	struct tw_frames fa;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-f003", "Failure-Report: partial\r\n", "one");
	answer(&bob, 200);
	answer(&carol, 403);
	cr_assert_eq(alice_reports(&fa, 0), 1);
	cr_assert_eq(first_report(&fa)->f.status.code, 403);
	tw_frames_free(&fa);

	tw_send_msg(&w, &alice, "t2aaaaaa", "msg-f004", "Failure-Report: no\r\n", "two");
	answer(&bob, 403);
	answer(&carol, 403);
	cr_assert_eq(alice_reports(&fa, 0), 0, "Failure-Report: no: nothing at all");
	tw_frames_free(&fa);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_FAILURE_REPORT), 1);
}

/* Everybody got it: no failure REPORT; with Success-Report: yes only the success one. */
Test(sw_failure_report, none_when_delivered, .init = three, .fini = done)
{
	struct tw_frames fa;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-f005", "Success-Report: yes\r\n", "ok");
	answer(&bob, 200);
	answer(&carol, 200);
	cr_assert_eq(alice_reports(&fa, 1), 1);
	cr_assert_eq(first_report(&fa)->f.status.code, 200);
	tw_frames_free(&fa);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_FAILURE_REPORT), 0);
}

/*
 * A recipient excluded up front (accept-types, not-sent 415) and a chunked message: the
 * REPORT comes once the whole message is settled, its Byte-Range covering every byte.
 */
Test(sw_failure_report, not_sent_and_chunked, .fini = done)
{
	struct tw_leg_opts oc = {.accept = "image/png"};
	struct tw_frames fa, fb;
	char buf[1024];
	size_t n;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_leg_add(&w, "c", "carol", &carol, &oc);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-f006", "", "text/plain", 1, 10,
	             "hello", '+');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	answer(&bob, 200);
	cr_assert_eq(alice_reports(&fa, 1), 0, "not before the last chunk");
	tw_frames_free(&fa);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-f006", "", "text/plain", 6, 10,
	             "world", '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	cr_assert_eq(alice_reports(&fa, 1), 1);
	const struct tw_frame *t = first_report(&fa);

	cr_assert_eq(t->f.status.code, 415);
	cr_assert_eq(t->f.byte_range.start, 1);
	cr_assert_eq(t->f.byte_range.end, 10);
	cr_assert_eq(t->f.byte_range.total, 10);
	tw_frames_free(&fa);
	tw_take(&w, carol.tc, &fb);
	cr_assert_eq(fb.n, 0);
	tw_frames_free(&fb);
}

/* A final-report message: the OMA document reports the failures, no failure REPORT. */
Test(sw_failure_report, none_with_final_report, .init = three, .fini = done)
{
	static const char cpim[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
	                           "From: <sip:alice@example.com>\r\n"
	                           "To: <sip:c@sw.example>\r\n"
	                           "FR.Final-Report: yes\r\n"
	                           "\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n"
	                           "hi";
	struct tw_frames fa, fb, fc;
	char buf[2048];
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-f007", "", "message/cpim", 1,
	                    strlen(cpim), cpim, '$');

	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_respond(&w, bob.tc, fb.f[0], 403);
	tw_respond(&w, carol.tc, fc.f[0], 200);
	tw_report(&w, carol.tc, fc.f[0], 200);
	cr_assert_eq(w.ev.final_report, 1);
	cr_assert_eq(alice_reports(&fa, 1), 0, "the document goes as a SEND (no Success-Report)");
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_FAILURE_REPORT), 0);
	tw_frames_free(&fa);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
}

/*
 * Two lcores: bob's connection lives on lcore 1, so his 403 comes back to alice's lcore as an
 * OUTCOME record; the REPORT still goes out once, from the lcore that owns alice.
 */
Test(sw_failure_report, outcome_from_another_lcore, .fini = done)
{
	struct sw_params p;
	struct tw_frames fa;

	tw_default_params(&p);
	p.n_lcores = 2;
	tw_init_params(&w, &p);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_leg_add(&w, "c", "carol", &carol, NULL);
	tw_bind_on(&w, &alice, 0);
	tw_bind_on(&w, &bob, 1);
	tw_bind_on(&w, &carol, 0);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-f008", "", "xl");
	tw_settle(&w);
	answer(&carol, 200);
	answer(&bob, 403);
	tw_settle(&w);
	cr_assert_eq(alice_reports(&fa, 1), 1);
	cr_assert_eq(first_report(&fa)->f.status.code, 403);
	cr_assert(tw_span_is(first_report(&fa)->f.message_id, "msg-f008"));
	tw_frames_free(&fa);
	cr_assert_eq(sw_lcore_counter(sw_engine_lcore(w.e, 0), SW_CNT_TX_FAILURE_REPORT), 1);
	cr_assert_eq(sw_lcore_counter(sw_engine_lcore(w.e, 1), SW_CNT_TX_FAILURE_REPORT), 0);
}
