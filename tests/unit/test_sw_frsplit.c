/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FDR-06: a final report too large for one document is split into several, each a valid
 * document (common/fdr parser), together naming every recipient exactly once. Forced both with
 * a small configured limit (sw_params.final_report_max_bytes) and with the real 64 KiB limit
 * (240 recipients with long identity URIs).
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice;

static const char cpim_fr[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
                              "From: <sip:alice@example.com>\r\n"
                              "To: <sip:big@sw.example>\r\n"
                              "FR.Final-Report: yes\r\n"
                              "\r\n"
                              "Content-Type: text/plain\r\n"
                              "\r\n"
                              "hello all";

static void
done(void)
{
	tw_fini(&w);
}

/* Leg "r<i>" with identity sip:<pad><i>@example.com (pad makes the URI long). */
static void
add_rcpt(unsigned int i, unsigned int pad, struct tw_leg *l)
{
	struct sw_leg_params lp;
	char ident[300];
	int n;

	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 3;
	memcpy(lp.conf.id, "big", 3);
	snprintf(l->path, sizeof(l->path), "msrp://r%u.example:7000/s%u;tcp", i, i);
	n = snprintf(
	        ident, sizeof(ident), "sip:%.*s%04u@example.com", (int)pad,
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	        i);
	lp.path = (struct msrp_span){(const uint8_t *)l->path, (uint32_t)strlen(l->path)};
	lp.identity = (struct msrp_span){(const uint8_t *)ident, (uint32_t)n};
	lp.accept_types = (struct msrp_span){(const uint8_t *)"*", 1};
	cr_assert_eq(sw_leg_add(w.e, &lp, l->uri, sizeof(l->uri), &l->key), 0);
}

/*
 * Checks the documents alice got for msg-fr01: each parses, names the message, is at most
 * max_doc bytes; every recipient r0000..r<n-1> appears in exactly one of them. Returns the
 * number of documents.
 */
static unsigned int
check_split(unsigned int n_rcpt, unsigned int pad, size_t max_doc, uint16_t want_status)
{
	static struct fdr_recipient rc[1024];
	unsigned int seen[256] = {0}, n_docs = 0;
	uint64_t bytes = 0;
	struct tw_frames fa;

	tw_take(&w, alice.tc, &fa);
	for (unsigned int d = 0; d < fa.n; d++) {
		struct tw_frame *t = fa.f[d];
		struct fdr_report r = {.rcpt = rc};

		if (t->f.method != MSRP_METHOD_REPORT)
			continue; /* the 200 of alice's SEND */
		n_docs++;
		bytes += t->body_len;
		cr_assert(tw_span_is(t->f.message_id, "msg-fr01"));
		cr_assert_eq(t->f.status.code, 200);
		cr_assert_leq(t->body_len, max_doc);
		cr_assert_eq(fdr_parse(t->body, (uint32_t)t->body_len, &r, 1024), FDR_OK, "%.*s",
		             (int)t->body_len, t->body);
		cr_assert(r.message_id.len == 8 && memcmp(r.message_id.p, "msg-fr01", 8) == 0);
		cr_assert_gt(r.n_rcpt, 0, "no empty document");
		for (uint32_t i = 0; i < r.n_rcpt; i++) {
			unsigned int k;

			/* "sip:" + pad x's + 4 digits + "@example.com" */
			cr_assert_eq(r.rcpt[i].uri.len, 4 + pad + 4 + 12);
			cr_assert_eq(sscanf((const char *)r.rcpt[i].uri.p + 4 + pad, "%4u", &k), 1);
			cr_assert_lt(k, n_rcpt);
			seen[k]++;
			cr_assert_eq(r.rcpt[i].status, want_status);
		}
	}
	for (unsigned int k = 0; k < n_rcpt; k++)
		cr_assert_eq(seen[k], 1, "recipient %u in %u documents (FDR-06: exactly once)", k,
		             seen[k]);
	/* The control-plane events carry the same documents, and the message's totals. */
	cr_assert_eq(w.ev.final_report, n_docs);
	cr_assert_eq(w.ev.report_bytes, bytes);
	cr_assert_eq(w.ev.last_report.recipients, n_rcpt);
	tw_frames_free(&fa);
	return n_docs;
}

static void
send_fr(void)
{
	static char buf[4096];
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "tida0001", "msg-fr01",
	                    "Success-Report: yes\r\n", "message/cpim", 1, strlen(cpim_fr), cpim_fr,
	                    '$');

	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
}

/*
 * A small configured limit: 12 recipients, 4 of them bound and delivering, 8 never connected
 * (failed 481 at once); the 512-byte limit forces several documents.
 */
Test(sw_fr_split, configured_limit, .fini = done)
{
	struct sw_params p;
	struct tw_leg r[12];
	struct tw_frames f;

	tw_default_params(&p);
	p.final_report_max_bytes = 512;
	tw_init_params(&w, &p);
	tw_conf(&w, "big", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "big", "alice", &alice, NULL);
	for (unsigned int i = 0; i < 12; i++)
		add_rcpt(i, 8, &r[i]);
	tw_bind(&w, &alice);
	for (unsigned int i = 0; i < 4; i++)
		tw_bind(&w, &r[i]);
	send_fr();
	cr_assert_eq(w.ev.final_report, 0);
	for (unsigned int i = 0; i < 4; i++) {
		tw_take(&w, r[i].tc, &f);
		cr_assert_eq(f.n, 1);
		tw_respond(&w, r[i].tc, f.f[0], 200);
		tw_report(&w, r[i].tc, f.f[0], i < 2 ? 200 : 403);
		tw_frames_free(&f);
	}
	/* All 12 settled: the documents go out at once. */
	{
		static struct fdr_recipient rc[64];
		unsigned int docs = 0, seen[12] = {0};
		struct tw_frames fa;

		tw_take(&w, alice.tc, &fa);
		for (unsigned int d = 0; d < fa.n; d++) {
			struct fdr_report rep = {.rcpt = rc};

			if (fa.f[d]->f.method != MSRP_METHOD_REPORT)
				continue;
			docs++;
			cr_assert_leq(fa.f[d]->body_len, 512);
			cr_assert_eq(
			        fdr_parse(fa.f[d]->body, (uint32_t)fa.f[d]->body_len, &rep, 64),
			        FDR_OK);
			for (uint32_t i = 0; i < rep.n_rcpt; i++) {
				unsigned int k;

				cr_assert_eq(
				        sscanf((const char *)rep.rcpt[i].uri.p + 12, "%4u", &k), 1);
				cr_assert_lt(k, 12);
				seen[k]++;
				cr_assert_eq(rep.rcpt[i].outcome, k < 2   ? FDR_OUTCOME_DELIVERED
				                                  : k < 4 ? FDR_OUTCOME_FAILED
				                                          : FDR_OUTCOME_FAILED);
				cr_assert_eq(rep.rcpt[i].status, k < 2 ? 200 : k < 4 ? 403 : 481);
			}
		}
		cr_assert_gt(docs, 2, "12 recipients do not fit 512 bytes: split");
		for (unsigned int k = 0; k < 12; k++)
			cr_assert_eq(seen[k], 1, "recipient %u in %u documents", k, seen[k]);
		cr_assert_eq(w.ev.final_report, docs);
		cr_assert_eq(w.ev.last_report.recipients, 12);
		cr_assert_eq(w.ev.last_report.delivered, 2);
		tw_frames_free(&fa);
	}
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

/*
 * The real limit (FDR_DOC_MAX, 64 KiB): 240 recipients with 250-byte identity URIs, about
 * 300 bytes of XML each, 72 KiB in all: at least two documents.
 */
Test(sw_fr_split, past_64k_of_xml, .fini = done)
{
	struct sw_params p;
	static struct tw_leg r[240];

	tw_default_params(&p);
	p.max_legs = 256;
	p.max_conf_legs = 256;
	tw_init_params(&w, &p);
	tw_conf(&w, "big", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "big", "alice", &alice, NULL);
	for (unsigned int i = 0; i < 240; i++)
		add_rcpt(i, 230, &r[i]);
	tw_bind(&w, &alice);
	/* Nobody else is connected: every recipient fails 481 at once, the report follows. */
	send_fr();
	cr_assert_geq(check_split(240, 230, FDR_DOC_MAX, 481), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
}

/* Below the limit nothing is split: one document. */
Test(sw_fr_split, small_report_is_one_document, .fini = done)
{
	struct sw_params p;
	static struct tw_leg r[20];

	tw_default_params(&p);
	tw_init_params(&w, &p);
	tw_conf(&w, "big", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "big", "alice", &alice, NULL);
	for (unsigned int i = 0; i < 15; i++)
		add_rcpt(i, 200, &r[i]);
	tw_bind(&w, &alice);
	send_fr();
	cr_assert_eq(check_split(15, 200, FDR_DOC_MAX, 481), 1);
}

/* The limit is validated at engine creation. */
Test(sw_fr_split, limit_range)
{
	struct sw_params p;
	static const struct sw_transport_ops tops = {tw_send, tw_close, tw_connect};
	static const struct sw_buf_ops bops = {tw_hold, tw_release};

	tw_default_params(&p);
	urcu_qsbr_register_thread();
	p.final_report_max_bytes = 255;
	errno = 0;
	cr_assert_null(sw_engine_create(&p, &tops, &w, &bops, &w, NULL, NULL));
	cr_assert_eq(errno, EINVAL);
	p.final_report_max_bytes = FDR_DOC_MAX + 1;
	cr_assert_null(sw_engine_create(&p, &tops, &w, &bops, &w, NULL, NULL));
	urcu_qsbr_unregister_thread();
}
