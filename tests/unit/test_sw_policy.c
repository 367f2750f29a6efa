/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leg and conference policy carried by LEG_ADD v2 / CONF_CREATE flags (docs/switch.md "LEG_ADD
 * and CONF_CREATE policy"): accept-wrapped-types (RFC 4975 §8.6) applied to the type inside
 * message/cpim, the conference's "anonymity allowed" policy, the conference history flag, and
 * the not-sent outcome of a wrapped-type exclusion in the final report.
 */
#include "fdr/fdr.h"
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol, dave, erin;

static void
done(void)
{
	tw_fini(&w);
}

/* Every copy the participant got is answered 200; returns how many there were. */
static unsigned int
take_answer(struct tw_leg *l, const char *want_ctype)
{
	struct tw_frames fs;
	unsigned int n;

	tw_take(&w, l->tc, &fs);
	n = fs.n;
	for (unsigned int i = 0; i < fs.n; i++) {
		cr_assert_eq(fs.f[i]->f.method, MSRP_METHOD_SEND);
		if (want_ctype != NULL)
			cr_assert(tw_span_is(fs.f[i]->f.content_type, want_ctype), "%.*s",
			          (int)fs.f[i]->f.content_type.len, fs.f[i]->f.content_type.p);
		tw_respond(&w, l->tc, fs.f[i], 200);
	}
	tw_frames_free(&fs);
	return n;
}

static void
drop_output(struct tw_leg *l)
{
	struct tw_frames fs;

	tw_take(&w, l->tc, &fs);
	tw_frames_free(&fs);
}

/*
 * Wrap policy: the switch wraps alice's text/plain and image/png in CPIM. bob takes only
 * text/plain inside CPIM, carol only image/ *, dave gave no accept-wrapped-types (not
 * checked), erin lists text/plain in its accept-types (RFC 4975 §8.6: also acceptable inside
 * the wrapper) and image/png as wrapped.
 */
Test(sw_policy, accept_wrapped_types_on_wrapped_messages, .fini = done)
{
	struct tw_leg_opts ob = {.accept = "message/cpim", .wrapped = "text/plain"},
	                   oc = {.accept = "message/cpim", .wrapped = "image/*"},
	                   od = {.accept = "message/cpim"},
	                   oe = {.accept = "message/cpim text/plain", .wrapped = "image/png"};
	char buf[1024];
	size_t n;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_WRAP, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, &ob);
	tw_leg_add(&w, "c", "carol", &carol, &oc);
	tw_leg_add(&w, "c", "dave", &dave, &od);
	tw_leg_add(&w, "c", "erin", &erin, &oe);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);
	tw_bind(&w, &erin);

	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-w001", "", "hello");
	drop_output(&alice);
	cr_assert_eq(take_answer(&bob, "message/cpim"), 1);
	cr_assert_eq(take_answer(&carol, NULL), 0, "text/plain is not in carol's wrapped types");
	cr_assert_eq(take_answer(&dave, "message/cpim"), 1);
	cr_assert_eq(take_answer(&erin, "message/cpim"), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);

	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-w002", "", "image/png", 1, 4,
	             "\x89PNG", '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	drop_output(&alice);
	cr_assert_eq(take_answer(&bob, NULL), 0, "image/png is not in bob's wrapped types");
	cr_assert_eq(take_answer(&carol, "message/cpim"), 1);
	cr_assert_eq(take_answer(&dave, "message/cpim"), 1);
	cr_assert_eq(take_answer(&erin, "message/cpim"), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

static const char cpim_img[] = "From: <sip:alice@example.com>\r\n"
                               "To: <sip:c@sw.example>\r\n"
                               "NS: FR <urn:oma:xml:poc:final-report>\r\n"
                               "FR.Final-Report: yes\r\n"
                               "\r\n"
                               "Content-Type: image/jpeg\r\n"
                               "\r\n"
                               "JFIF";

/*
 * CPIM sent by the participant (policy off: forwarded as sent): the encapsulated image/jpeg
 * decides. bob (wrapped text/plain only) and carol (no message/cpim at all, no image/jpeg)
 * get nothing; dave's image/ * takes it as sent; erin accepts image/jpeg plainly but not
 * message/cpim, so it gets the unwrapped form. The final report names the exclusions
 * not-sent 415.
 */
Test(sw_policy, accept_wrapped_types_on_cpim_from_sender, .fini = done)
{
	struct tw_leg_opts ob = {.accept = "message/cpim text/plain", .wrapped = "text/plain"},
	                   oc = {.accept = "text/plain"},
	                   od = {.accept = "message/cpim", .wrapped = "text/plain image/*"},
	                   oe = {.accept = "image/jpeg"};
	struct fdr_recipient rc[8];
	struct fdr_report r = {.rcpt = rc};
	struct tw_frames fa;
	char buf[2048];
	size_t n;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, &ob);
	tw_leg_add(&w, "c", "carol", &carol, &oc);
	tw_leg_add(&w, "c", "dave", &dave, &od);
	tw_leg_add(&w, "c", "erin", &erin, &oe);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);
	tw_bind(&w, &erin);

	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-w003", "Success-Report: yes\r\n",
	             "message/cpim", 1, strlen(cpim_img), cpim_img, '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	drop_output(&alice);
	cr_assert_eq(take_answer(&bob, NULL), 0);
	cr_assert_eq(take_answer(&carol, NULL), 0);
	cr_assert_eq(take_answer(&dave, "message/cpim"), 1);
	cr_assert_eq(take_answer(&erin, "image/jpeg"), 1);
	/* No success REPORTs from dave and erin: the final report waits for its timeout. */
	tw_advance(&w, 31000000);
	cr_assert_eq(w.ev.final_report, 1);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.method, MSRP_METHOD_REPORT);
	cr_assert_eq(fdr_parse(fa.f[0]->body, (uint32_t)fa.f[0]->body_len, &r, 8), FDR_OK);
	cr_assert_eq(r.n_rcpt, 4);
	for (uint32_t i = 0; i < r.n_rcpt; i++) {
		struct msrp_span u = {r.rcpt[i].uri.p, r.rcpt[i].uri.len};
		bool excluded = tw_span_is(u, "sip:bob@example.com") ||
		                tw_span_is(u, "sip:carol@example.com");

		cr_assert_eq(r.rcpt[i].outcome,
		             excluded ? FDR_OUTCOME_NOT_SENT : FDR_OUTCOME_TIMEOUT, "%.*s",
		             (int)r.rcpt[i].uri.len, r.rcpt[i].uri.p);
		cr_assert_eq(r.rcpt[i].status, excluded ? 415 : 408);
	}
	tw_frames_free(&fa);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

/* The conference's "anonymity allowed" policy (CONF_CREATE flag NO_ANONYMOUS). */
Test(sw_policy, anonymity_not_allowed, .fini = done)
{
	struct sw_leg_params lp;
	struct tw_leg x;
	const char *path = "msrp://x.example:7000/sx;tcp";

	tw_init(&w);
	tw_conf_flags(&w, "strict", MSW_CTL_CPIM_WRAP, 0, MSW_CTL_CONF_F_NO_ANONYMOUS);
	tw_conf(&w, "open", MSW_CTL_CPIM_WRAP, 0);
	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 6;
	memcpy(lp.conf.id, "strict", 6);
	lp.path = (struct msrp_span){(const uint8_t *)path, (uint32_t)strlen(path)};
	lp.identity = (struct msrp_span){(const uint8_t *)"sip:x@example.com", 17};
	lp.anonymous = true;
	cr_assert_eq(sw_leg_add(w.e, &lp, x.uri, sizeof(x.uri), &x.key), -EPERM);
	lp.anonymous = false;
	cr_assert_eq(sw_leg_add(w.e, &lp, x.uri, sizeof(x.uri), &x.key), 0);
	/* The default (flag absent) allows it. */
	memcpy(lp.conf.id, "open", 4);
	lp.conf.len = 4;
	lp.anonymous = true;
	cr_assert_eq(sw_leg_add(w.e, &lp, x.uri, sizeof(x.uri), &x.key), 0);
	/* a=inactive is not a leg. */
	lp.anonymous = false;
	lp.recv_only = lp.send_only = true;
	cr_assert_eq(sw_leg_add(w.e, &lp, x.uri, sizeof(x.uri), &x.key), -EINVAL);
	/* Unknown CONF_CREATE flags are refused, not ignored. */
	struct msw_ctl_conf_create cc;

	memset(&cc, 0, sizeof(cc));
	cc.conf.len = 3;
	memcpy(cc.conf.id, "bad", 3);
	cc.flags = 0x80;
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), -EINVAL);
}

static int
conf_flags_of(void *arg, const struct sw_conf_info *ci)
{
	if (ci->id.len == 1 && ci->id.id[0] == 'h')
		*(uint8_t *)arg = ci->flags;
	return 0;
}

static int
leg_info_of(void *arg, const struct sw_leg_info *li)
{
	*(struct sw_leg_info *)arg = *li;
	return 1;
}

/* CONF_CREATE history flag: every message of the conference goes to the history event. */
Test(sw_policy, conference_history_flag, .fini = done)
{
	struct tw_leg_opts ob = {.accept = "message/cpim", .wrapped = "text/plain image/*"};
	struct sw_leg_info li;
	uint8_t flags = 0;

	tw_init(&w);
	tw_conf_flags(&w, "h", MSW_CTL_CPIM_OFF, 0, MSW_CTL_CONF_F_HISTORY);
	tw_conf(&w, "n", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "h", "alice", &alice, NULL);
	tw_leg_add(&w, "h", "bob", &bob, &ob);
	tw_leg_add(&w, "n", "carol", &carol, NULL);
	tw_leg_add(&w, "n", "dave", &dave, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-h001", "", "kept");
	cr_assert_eq(w.ev.history, 1);
	cr_assert_eq(w.ev.hist_len, 4);
	cr_assert(memcmp(w.ev.hist, "kept", 4) == 0);
	tw_send_msg(&w, &carol, "t2cccccc", "msg-h002", "", "not kept");
	cr_assert_eq(w.ev.history, 1, "the other conference keeps no history");
	/* Listings show the flags and the wrapped types. */
	sw_conf_foreach(w.e, conf_flags_of, &flags);
	cr_assert_eq(flags, MSW_CTL_CONF_F_HISTORY);
	cr_assert_eq(sw_leg_get(w.e, &bob.key, &li), 0);
	cr_assert(tw_span_is(li.accept_wrapped_types, "text/plain image/*"));
	cr_assert_not(li.history);
	cr_assert_eq(sw_leg_foreach(w.e, &alice.key.conf, leg_info_of, &li), 1);
	cr_assert(tw_span_is(li.accept_wrapped_types, ""));
	drop_output(&alice);
	drop_output(&carol);
	take_answer(&bob, NULL);
	take_answer(&dave, NULL);
}

static int
lmm_flags_of(void *arg, const struct sw_conf_info *ci)
{
	if (ci->id.len == 3 && memcmp(ci->id.id, "lmm", 3) == 0)
		*(uint8_t *)arg = ci->flags;
	return 0;
}

/* The hop response the participant got last (the switch answers every chunk, RFC 4975 §7.2). */
static uint16_t
last_status(struct tw_leg *l)
{
	struct tw_frames fs;
	uint16_t code = 0;

	tw_take(&w, l->tc, &fs);
	for (unsigned int i = 0; i < fs.n; i++)
		if (fs.f[i]->f.kind == MSRP_KIND_RESPONSE)
			code = fs.f[i]->f.status_code;
	tw_frames_free(&fs);
	return code;
}

/*
 * CONF_CREATE one-message flag (large message mode, LMM-07): alice's message in two chunks
 * goes through; a second Message-ID from her is refused 403 and not forwarded, whole or
 * streamed while it arrives; bob still sends his own one message; a conference without the
 * flag takes any number.
 */
Test(sw_policy, one_message_conference_refuses_a_second_message, .fini = done)
{
	static char big[8192], buf[12000];
	uint8_t flags = 0;
	size_t n;

	tw_init(&w);
	tw_conf_flags(&w, "lmm", MSW_CTL_CPIM_OFF, 0, MSW_CTL_CONF_F_ONE_MESSAGE);
	tw_conf(&w, "n", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "lmm", "alice", &alice, NULL);
	tw_leg_add(&w, "lmm", "bob", &bob, NULL);
	tw_leg_add(&w, "n", "carol", &carol, NULL);
	tw_leg_add(&w, "n", "dave", &dave, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);

	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "lmm-m001", "", "text/plain", 1, 10,
	             "hello", '+');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "lmm-m001", "", "text/plain", 6, 10,
	             "world", '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	cr_assert_eq(last_status(&alice), 200);
	cr_assert_eq(take_answer(&bob, "text/plain"), 2);

	tw_send_msg(&w, &alice, "t3aaaaaa", "lmm-m002", "", "second");
	cr_assert_eq(last_status(&alice), 403);
	cr_assert_eq(take_answer(&bob, NULL), 0, "a refused message is not forwarded");
	/* The same, as a large chunk fed in small reads (streamed while it arrives). */
	memset(big, 'x', sizeof(big) - 1);
	n = tw_chunk(buf, sizeof(buf), &alice, "t4aaaaaa", "lmm-m003", "", "text/plain", 1,
	             sizeof(big) - 1, big, '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 500), 0);
	cr_assert_eq(last_status(&alice), 403);
	cr_assert_eq(take_answer(&bob, NULL), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_SECOND_MESSAGE), 2);

	/* One message per participant: bob's first one is fine. */
	tw_send_msg(&w, &bob, "t5bbbbbb", "lmm-m004", "", "reply");
	cr_assert_eq(last_status(&bob), 200);
	cr_assert_eq(take_answer(&alice, "text/plain"), 1);

	/* Without the flag, no such limit. */
	tw_send_msg(&w, &carol, "t6cccccc", "n-m001", "", "one");
	tw_send_msg(&w, &carol, "t7cccccc", "n-m002", "", "two");
	cr_assert_eq(take_answer(&dave, "text/plain"), 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_SECOND_MESSAGE), 2);
	/* The flag is listed with the conference. */
	sw_conf_foreach(w.e, lmm_flags_of, &flags);
	cr_assert_eq(flags, MSW_CTL_CONF_F_ONE_MESSAGE);
}
