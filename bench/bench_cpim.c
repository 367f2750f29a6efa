/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPIM and final-report costs on one core, as the switch pays them per message:
 * parse of the OMA example envelope, From rewrite to a chat alias (line build + splice
 * copy), text/plain wrap prefix, and final-report compose + parse for 10 recipients.
 * Prints one JSON line per case on stdout, nothing else:
 *   {"bench":"cpim","case":NAME,"ns_per_op":X,"ops":N}
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpim/cpim.h"
#include "fdr/fdr.h"

#include "bench_util.h"

static const char envelope[] = "From: \"Alice\" <sip:alice@example.com>\r\n"
                               "To: <sip:conf-8f3a@im.example.com>\r\n"
                               "DateTime: 2026-01-02T10:11:12.000Z\r\n"
                               "NS: FR <urn:oma:xml:poc:final-report>\r\n"
                               "FR.Final-Report: yes\r\n"
                               "NS: imdn <urn:ietf:params:imdn>\r\n"
                               "imdn.Message-ID: 7Hq2kPz9\r\n"
                               "imdn.Disposition-Notification: positive-delivery, display\r\n"
                               "\r\n"
                               "Content-Type: text/plain;charset=UTF-8\r\n"
                               "\r\n"
                               "hello group";

static struct cpim_msg bench_msg;

static long
bench_parse(void)
{
	return cpim_parse((const uint8_t *)envelope, sizeof(envelope) - 1, &bench_msg);
}

static long
bench_rewrite(void)
{
	static uint8_t line[128], out[512];
	const struct cpim_alias a = {cpim_span_str("Bob (2)"),
	                             cpim_span_str("sip:conf-8f3a-a1@im.example.com")};
	const uint8_t *repl[1] = {line};
	struct cpim_splice sp;

	if (cpim_addr_rewrite(&bench_msg, bench_msg.from_hdr, &a, line, sizeof(line), &sp) < 0)
		return -1;
	return cpim_splice_apply((const uint8_t *)envelope, sizeof(envelope) - 1, &sp, repl, 1, out,
	                         sizeof(out));
}

static long
bench_wrap(void)
{
	static uint8_t out[512];
	const struct cpim_wrap w = {
	        .from = {cpim_span_str("Alice"), cpim_span_str("sip:conf-8f3a-a1@im.example.com")},
	        .to = {{NULL, 0}, cpim_span_str("sip:conf-8f3a@im.example.com")},
	        .has_datetime = true,
	        .datetime_ms = 1767348672345LL,
	        .content_type = cpim_span_str("text/plain;charset=UTF-8"),
	};

	return cpim_wrap_prefix_build(&w, out, sizeof(out));
}

static uint8_t bench_doc[4096];
static long bench_doc_len;

static long
bench_fdr_build(void)
{
	static const char *const uris[10] = {
	        "sip:a@example.com",   "sip:b@example.com", "sip:c@example.com",
	        "sip:d@example.com",   "sip:e@example.com", "sip:f@example.com",
	        "sip:g@example.com",   "sip:h@example.com", "sip:i@example.com",
	        "sip:j&k@example.com",
	};
	struct fdr_recipient rc[10];
	struct fdr_report r = {
	        .message_id = {(const uint8_t *)"87652491", 8}, .rcpt = rc, .n_rcpt = 10};

	for (int i = 0; i < 10; i++)
		rc[i] = (struct fdr_recipient){
		        {(const uint8_t *)uris[i], (uint32_t)strlen(uris[i])},
		        i % 3 ? 200 : 408,
		        i % 3 ? FDR_OUTCOME_DELIVERED : FDR_OUTCOME_TIMEOUT};
	bench_doc_len = fdr_build(&r, bench_doc, sizeof(bench_doc));
	return bench_doc_len;
}

static long
bench_fdr_parse(void)
{
	struct fdr_recipient rc[16];
	struct fdr_report r = {.rcpt = rc};

	return fdr_parse(bench_doc, (uint32_t)bench_doc_len, &r, 16) == FDR_OK ? (long)r.n_rcpt
	                                                                       : -1;
}

int
main(void)
{
	if (bench_parse() != CPIM_OK || bench_rewrite() <= 0 || bench_fdr_build() <= 0 ||
	    bench_fdr_parse() != 10) {
		fprintf(stderr, "bench_cpim: self-check failed\n");
		return 1;
	}
	bench_run_ops("cpim", "parse_oma_envelope", bench_parse);
	bench_run_ops("cpim", "from_rewrite_and_splice", bench_rewrite);
	bench_run_ops("cpim", "wrap_prefix", bench_wrap);
	bench_run_ops("cpim", "fdr_build_10", bench_fdr_build);
	bench_run_ops("cpim", "fdr_parse_10", bench_fdr_parse);
	return 0;
}
