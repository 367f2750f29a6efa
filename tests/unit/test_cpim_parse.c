/* SPDX-License-Identifier: BSD-3-Clause */
/* message/cpim parser: valid envelopes, NS prefixes, Final-Report, IMDN, precise errors. */

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpim/cpim.h"

/* The requirements' §2.7 example envelope. */
static const char oma_example[] = "From: \"Alice\" <sip:alice@example.com>\r\n"
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

static enum cpim_rc
parse_str(const char *s, struct cpim_msg *m)
{
	return cpim_parse((const uint8_t *)s, (uint32_t)strlen(s), m);
}

#define assert_span(sp, str)                                                                       \
	cr_assert(cpim_span_eq((sp), (str)), "span '%.*s' != '%s'", (int)(sp).len,                 \
	          (const char *)(sp).p, (str))

Test(cpim_parse, oma_example)
{
	struct cpim_msg m;

	cr_assert_eq(parse_str(oma_example, &m), CPIM_OK, "%s", cpim_strerror(CPIM_OK));
	cr_assert_eq(m.n_hdr, 8);
	cr_assert_eq(m.n_ns, 2);
	assert_span(m.from.display, "\"Alice\"");
	assert_span(m.from.uri, "sip:alice@example.com");
	cr_assert_eq(m.n_to, 1);
	assert_span(m.to[0].uri, "sip:conf-8f3a@im.example.com");
	cr_assert_eq(m.to[0].display.len, 0);
	cr_assert(cpim_final_report_requested(&m));
	cr_assert_eq(m.final_report_ns, 0);
	assert_span(m.ns[1].prefix, "imdn");
	assert_span(m.ns[1].urn, "urn:ietf:params:imdn");
	cr_assert_eq(m.imdn.ns, 1);
	assert_span(m.imdn.message_id, "7Hq2kPz9");
	assert_span(m.imdn.disposition, "positive-delivery, display");
	assert_span(m.imdn.datetime, "2026-01-02T10:11:12.000Z");
	assert_span(m.content_type, "text/plain;charset=UTF-8");
	assert_span(m.content, "hello group");
	cr_assert_eq(m.n_mime, 1);
	cr_assert_eq(m.hdr[4].id, CPIM_H_FINAL_REPORT);
	assert_span(m.hdr[4].prefix, "FR");
	assert_span(m.hdr[4].name, "Final-Report");
	cr_assert_eq(m.hdr[6].id, CPIM_H_IMDN_MESSAGE_ID);
	cr_assert_eq(m.hdr[7].id, CPIM_H_IMDN_DISPOSITION);
	cr_assert_eq(cpim_hdr_find(&m, CPIM_H_DATETIME, 0), 2);
	cr_assert_eq(m.hdr_end, (uint32_t)(strstr(oma_example, "\r\n\r\n") - oma_example) + 4);
	cr_assert_eq(m.content.p - (const uint8_t *)oma_example, m.mime_end);
	/* Zero copy: spans point into the input. */
	cr_assert_eq((const char *)m.hdr[0].line.p, oma_example);
}

/* FDR-02: the prefix is arbitrary and resolved through NS, never hard-coded as FR. */
Test(cpim_parse, final_report_any_prefix)
{
	struct cpim_msg m;

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\n"
	                       "NS: oma <URN:OMA:xml:poc:final-report>\r\n"
	                       "oma.Final-Report: YES\r\n\r\nContent-Type: text/plain\r\n\r\nx",
	                       &m),
	             CPIM_OK);
	cr_assert(cpim_final_report_requested(&m));
	cr_assert_eq(m.final_report_ns, 0);
}

Test(cpim_parse, final_report_no_and_absent)
{
	struct cpim_msg m;

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\n"
	                       "NS: FR <urn:oma:xml:poc:final-report>\r\nFR.Final-Report: no\r\n"
	                       "\r\nContent-Type: text/plain\r\n\r\n",
	                       &m),
	             CPIM_OK);
	cr_assert_eq(m.final_report, CPIM_FR_NO);
	cr_assert_not(cpim_final_report_requested(&m));
	cr_assert_eq(m.content.len, 0);

	/* FR bound to another URN: an unrelated header that happens to be called the same. */
	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\nNS: FR <urn:example:other>\r\n"
	                       "FR.Final-Report: yes\r\n\r\nContent-Type: text/plain\r\n\r\n",
	                       &m),
	             CPIM_OK);
	cr_assert_eq(m.final_report, CPIM_FR_ABSENT);
	cr_assert_eq(m.hdr[3].id, CPIM_H_OTHER);
	cr_assert_eq(m.final_report_ns, -1);
}

Test(cpim_parse, final_report_bad_value)
{
	struct cpim_msg m;
	const char *s = "From: <sip:a@x>\r\nTo: <sip:c@x>\r\n"
	                "NS: FR <urn:oma:xml:poc:final-report>\r\nFR.Final-Report: maybe\r\n"
	                "\r\nContent-Type: text/plain\r\n\r\n";

	cr_assert_eq(parse_str(s, &m), CPIM_ERR_FINAL_REPORT);
	cr_assert_eq(m.err_off, (uint32_t)(strstr(s, "FR.Final") - s));
}

Test(cpim_parse, imdn_headers_all)
{
	struct cpim_msg m;

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\nDateTime: "
	                       "2001-02-02T10:48:54-05:00\r\n"
	                       "NS: i <urn:ietf:params:imdn>\r\ni.Message-ID: 34jk324j\r\n"
	                       "i.Disposition-Notification: positive-delivery\r\n"
	                       "i.Original-To: <sip:orig@x>\r\ni.IMDN-Record-Route: <sip:pgx@x>\r\n"
	                       "i.IMDN-Route: <sip:r@x>\r\ni.Future-Header: 1\r\n"
	                       "\r\nContent-Type: text/plain\r\n\r\nhi",
	                       &m),
	             CPIM_OK);
	assert_span(m.imdn.message_id, "34jk324j");
	assert_span(m.imdn.disposition, "positive-delivery");
	assert_span(m.imdn.original_to, "<sip:orig@x>");
	assert_span(m.imdn.datetime, "2001-02-02T10:48:54-05:00");
	cr_assert_eq(m.hdr[7].id, CPIM_H_IMDN_RECORD_ROUTE);
	cr_assert_eq(m.hdr[8].id, CPIM_H_IMDN_ROUTE);
	cr_assert_eq(m.hdr[9].id, CPIM_H_IMDN_OTHER);
}

Test(cpim_parse, formal_names_params_repeats)
{
	struct cpim_msg m;

	cr_assert_eq(
	        parse_str("From: Winnie the Pooh <im:pooh@100akerwood.com>\r\n"
	                  "To: \"Depressed \\\"Donkey\\\"\" <im:eeyore@100akerwood.com>\r\n"
	                  "To: <im:tigger@100akerwood.com>\r\n"
	                  "cc: <im:owl@100akerwood.com>\r\n"
	                  "Subject: the weather will be fine today\r\n"
	                  "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
	                  "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
	                  "Require: MyFeatures.VitalMessageOption\r\n"
	                  "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
	                  "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
	                  "\r\nContent-type: text/xml; charset=utf-8\r\n"
	                  "Content-ID: <1234567890@foo.com>\r\n\r\n<body>Here is the text</body>",
	                  &m),
	        CPIM_OK);
	assert_span(m.from.display, "Winnie the Pooh");
	assert_span(m.from.uri, "im:pooh@100akerwood.com");
	cr_assert_eq(m.n_to, 2);
	assert_span(m.to[0].display, "\"Depressed \\\"Donkey\\\"\"");
	assert_span(m.to[1].uri, "im:tigger@100akerwood.com");
	assert_span(m.hdr[5].params, ";lang=fr");
	assert_span(m.hdr[5].value, "beau temps prevu pour aujourd'hui");
	assert_span(m.content_type, "text/xml; charset=utf-8");
	cr_assert_eq(m.n_mime, 2);

	struct cpim_span unk;

	cr_assert_eq(cpim_require_check(&m, &unk), -ENOTSUP);
	assert_span(unk, "MyFeatures.VitalMessageOption");
}

Test(cpim_parse, require_understood)
{
	struct cpim_msg m;
	struct cpim_span unk = {0};

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\n"
	                       "NS: FR <urn:oma:xml:poc:final-report>\r\n"
	                       "NS: imdn <urn:ietf:params:imdn>\r\n"
	                       "Require: FR.Final-Report, imdn.Message-ID,DateTime\r\n"
	                       "\r\nContent-Type: text/plain\r\n\r\n",
	                       &m),
	             CPIM_OK);
	cr_assert_eq(cpim_require_check(&m, &unk), 0);

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\nRequire: From,,To\r\n"
	                       "\r\nContent-Type: text/plain\r\n\r\n",
	                       &m),
	             CPIM_OK);
	cr_assert_eq(cpim_require_check(&m, &unk), -EINVAL);
	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\nRequire: Unknown.Hdr\r\n"
	                       "\r\nContent-Type: text/plain\r\n\r\n",
	                       &m),
	             CPIM_OK);
	cr_assert_eq(cpim_require_check(&m, &unk), -ENOTSUP);
}

Test(cpim_parse, mime_folding)
{
	struct cpim_msg m;

	cr_assert_eq(parse_str("From: <sip:a@x>\r\nTo: <sip:c@x>\r\n\r\n"
	                       "content-type: multipart/mixed;\r\n boundary=xyz\r\n\r\nbody",
	                       &m),
	             CPIM_OK);
	assert_span(m.content_type, "multipart/mixed;\r\n boundary=xyz");
	assert_span(m.content, "body");
}

/* A first chunk that ends inside the header blocks: the caller must wait for more bytes. */
Test(cpim_parse, truncated_everywhere)
{
	struct cpim_msg m;
	size_t full = strlen(oma_example);
	size_t content_off = full - strlen("hello group");

	for (size_t n = 0; n < content_off; n++)
		cr_assert_eq(
		        cpim_parse((const uint8_t *)oma_example, (uint32_t)n, &m),
		        CPIM_ERR_TRUNCATED, "len %zu -> %s", n,
		        cpim_strerror(cpim_parse((const uint8_t *)oma_example, (uint32_t)n, &m)));
	for (size_t n = content_off; n <= full; n++) {
		cr_assert_eq(cpim_parse((const uint8_t *)oma_example, (uint32_t)n, &m), CPIM_OK);
		cr_assert_eq(m.content.len, n - content_off);
	}
}

/* Inline arrays, not pointers: Criterion runs each test in a fresh process image, so
 * parameters must not point into the parent's memory. */
struct bad_case {
	char name[40];
	char text[256];
	enum cpim_rc want;
	char err_at[40]; /* substring where err_off must point, "" = do not check */
};

#define HDRS_OK "From: <sip:a@x>\r\nTo: <sip:c@x>\r\n"
#define MIME_OK "\r\nContent-Type: text/plain\r\n\r\nx"

static struct bad_case bad_cases[] = {
        {"no from", "To: <sip:c@x>" MIME_OK, CPIM_ERR_NO_FROM, ""},
        {"no to", "From: <sip:a@x>" MIME_OK, CPIM_ERR_NO_TO, ""},
        {"empty", "\r\n" MIME_OK, CPIM_ERR_NO_FROM, ""},
        {"bare lf", "From: <sip:a@x>\nTo: <sip:c@x>" MIME_OK, CPIM_ERR_LINE_END, "From"},
        {"bare cr", "From: <sip:a@x>\rTo: <sip:c@x>\r\n" MIME_OK, CPIM_ERR_LINE_END, "From"},
        {"dup from", HDRS_OK "From: <sip:b@x>\r\n" MIME_OK, CPIM_ERR_DUP_HDR, "From: <sip:b"},
        {"dup datetime",
         HDRS_OK "DateTime: 2026-01-02T10:11:12Z\r\nDateTime: 2026-01-02T10:11:12Z\r\n" MIME_OK,
         CPIM_ERR_DUP_HDR, ""},
        {"addr no brackets", "From: sip:a@x\r\nTo: <sip:c@x>\r\n" MIME_OK, CPIM_ERR_ADDR_SYNTAX,
         "From"},
        {"addr unterminated quote", "From: \"Al <sip:a@x>\r\nTo: <sip:c@x>\r\n" MIME_OK,
         CPIM_ERR_ADDR_SYNTAX, "From"},
        {"addr empty uri", "From: <>\r\nTo: <sip:c@x>\r\n" MIME_OK, CPIM_ERR_ADDR_SYNTAX, ""},
        {"addr trailing junk", "From: <sip:a@x> x\r\nTo: <sip:c@x>\r\n" MIME_OK,
         CPIM_ERR_ADDR_SYNTAX, ""},
        {"to bad", "From: <sip:a@x>\r\nTo: <sip:c@x\r\n" MIME_OK, CPIM_ERR_ADDR_SYNTAX, "To"},
        {"cc bad", HDRS_OK "cc: nobody\r\n" MIME_OK, CPIM_ERR_ADDR_SYNTAX, "cc"},
        {"no space after colon", "From:<sip:a@x>\r\nTo: <sip:c@x>\r\n" MIME_OK, CPIM_ERR_HDR_SEP,
         "From"},
        {"no colon", HDRS_OK "Subject hello\r\n" MIME_OK, CPIM_ERR_HDR_NAME, "Subject"},
        {"space in name", HDRS_OK "Sub ject: hello\r\n" MIME_OK, CPIM_ERR_HDR_NAME, "Sub"},
        {"empty name", HDRS_OK ": hello\r\n" MIME_OK, CPIM_ERR_HDR_NAME, ": hello"},
        {"two dots", HDRS_OK "NS: a <urn:x>\r\na.b.c: v\r\n" MIME_OK, CPIM_ERR_HDR_NAME, "a.b"},
        {"ctl in value", HDRS_OK "Subject: a\tb\r\n" MIME_OK, CPIM_ERR_HDR_VALUE, "Subject"},
        {"ns undeclared", HDRS_OK "FR.Final-Report: yes\r\n" MIME_OK, CPIM_ERR_NS_UNDECLARED,
         "FR."},
        {"ns after use",
         HDRS_OK "FR.Final-Report: yes\r\nNS: FR <urn:oma:xml:poc:final-report>\r\n" MIME_OK,
         CPIM_ERR_NS_UNDECLARED, "FR."},
        {"ns dup prefix", HDRS_OK "NS: a <urn:x>\r\nNS: a <urn:y>\r\n" MIME_OK,
         CPIM_ERR_NS_DUP_PREFIX, "NS: a <urn:y"},
        {"ns no brackets", HDRS_OK "NS: a urn:x\r\n" MIME_OK, CPIM_ERR_NS_SYNTAX, "NS"},
        {"ns empty urn", HDRS_OK "NS: a <>\r\n" MIME_OK, CPIM_ERR_NS_SYNTAX, "NS"},
        {"datetime bad month", HDRS_OK "DateTime: 2026-13-02T10:11:12Z\r\n" MIME_OK,
         CPIM_ERR_DATETIME, "DateTime"},
        {"datetime no zone", HDRS_OK "DateTime: 2026-01-02T10:11:12\r\n" MIME_OK, CPIM_ERR_DATETIME,
         ""},
        {"datetime empty fraction", HDRS_OK "DateTime: 2026-01-02T10:11:12.Z\r\n" MIME_OK,
         CPIM_ERR_DATETIME, ""},
        {"dup imdn message-id",
         HDRS_OK
         "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: a\r\nimdn.Message-ID: b\r\n" MIME_OK,
         CPIM_ERR_DUP_HDR, "imdn.Message-ID: b"},
        {"dup final report",
         HDRS_OK "NS: F <urn:oma:xml:poc:final-report>\r\nF.Final-Report: yes\r\nF.Final-Report: "
                 "no\r\n" MIME_OK,
         CPIM_ERR_DUP_HDR, "F.Final-Report: no"},
        {"no content type", HDRS_OK "\r\nContent-ID: <x>\r\n\r\nx", CPIM_ERR_NO_CONTENT_TYPE, ""},
        {"no mime headers", HDRS_OK "\r\n\r\nx", CPIM_ERR_NO_CONTENT_TYPE, ""},
        {"dup content type", HDRS_OK "\r\nContent-Type: a/b\r\nContent-Type: a/c\r\n\r\n",
         CPIM_ERR_DUP_HDR, "Content-Type: a/c"},
        {"mime no colon", HDRS_OK "\r\nContent-Type text/plain\r\n\r\n", CPIM_ERR_MIME_HDR,
         "Content-Type"},
        {"mime leading continuation", HDRS_OK "\r\n x: y\r\n\r\n", CPIM_ERR_MIME_HDR, ""},
        {"mime empty content type", HDRS_OK "\r\nContent-Type:   \r\n\r\n", CPIM_ERR_MIME_HDR, ""},
        {"mime bare lf", HDRS_OK "\r\nContent-Type: a/b\n\r\n", CPIM_ERR_LINE_END, ""},
        {"no blank line", HDRS_OK, CPIM_ERR_TRUNCATED, ""},
        {"no mime end", HDRS_OK "\r\nContent-Type: text/plain\r\n", CPIM_ERR_TRUNCATED, ""},
};

ParameterizedTestParameters(cpim_parse, invalid)
{
	return cr_make_param_array(struct bad_case, bad_cases,
	                           sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(struct bad_case *c, cpim_parse, invalid)
{
	struct cpim_msg m;
	enum cpim_rc rc = parse_str(c->text, &m);

	cr_assert_eq(rc, c->want, "%s: got %s, want %s", c->name, cpim_strerror(rc),
	             cpim_strerror(c->want));
	if (c->err_at[0] != 0)
		cr_assert_eq(m.err_off, (uint32_t)(strstr(c->text, c->err_at) - c->text),
		             "%s: err_off %u", c->name, m.err_off);
}

Test(cpim_parse, limits)
{
	static char buf[CPIM_LINE_MAX * 4];
	struct cpim_msg m;
	int n;

	/* CPIM_HDR_MAX headers are fine, one more is not. */
	n = snprintf(buf, sizeof(buf), HDRS_OK);
	for (int i = 2; i < CPIM_HDR_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "X%d: v\r\n", i);
	strcpy(buf + n, MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_OK);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Y: v\r\n");
	strcpy(buf + n, MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_ERR_TOO_MANY_HDRS);

	/* A line of exactly CPIM_LINE_MAX bytes (CRLF included) passes; one byte more fails. */
	n = snprintf(buf, sizeof(buf), HDRS_OK "Subject: ");
	memset(buf + n, 'a', CPIM_LINE_MAX - 11);
	strcpy(buf + n + CPIM_LINE_MAX - 11, "\r\n" MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_OK);
	cr_assert_eq(m.hdr[2].line.len, CPIM_LINE_MAX);
	memset(buf + n, 'a', CPIM_LINE_MAX - 10);
	strcpy(buf + n + CPIM_LINE_MAX - 10, "\r\n" MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_ERR_LINE_TOO_LONG);

	/* NS table bound. */
	n = snprintf(buf, sizeof(buf), HDRS_OK);
	for (int i = 0; i <= CPIM_NS_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "NS: p%d <urn:x:%d>\r\n", i, i);
	strcpy(buf + n, MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_ERR_TOO_MANY_NS);

	/* More To headers than to[] holds: all are checked, the count keeps going. */
	n = snprintf(buf, sizeof(buf), "From: <sip:a@x>\r\n");
	for (int i = 0; i < CPIM_TO_MAX + 3; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "To: <sip:t%d@x>\r\n", i);
	strcpy(buf + n, MIME_OK);
	cr_assert_eq(parse_str(buf, &m), CPIM_OK);
	cr_assert_eq(m.n_to, CPIM_TO_MAX + 3);
}

Test(cpim_parse, strerror_names_every_code)
{
	for (int rc = 0; rc < CPIM_ERR_MAX; rc++) {
		const char *s = cpim_strerror((enum cpim_rc)rc);

		cr_assert_not_null(s);
		cr_assert_eq(strncmp(s, "CPIM_", 5), 0, "%d", rc);
	}
	cr_assert_str_eq(cpim_strerror(CPIM_ERR_MAX), "CPIM_ERR_?: unknown result");
}
