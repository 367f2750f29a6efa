/* SPDX-License-Identifier: BSD-3-Clause */
/* Final-report document: compose/parse roundtrip, escaping, strict rejection, MIME types. */

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "fdr/fdr.h"

static struct fdr_span
S(const char *s) {
	return (struct fdr_span){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static void
assert_unescaped(struct fdr_span v, const char *want)
{
	uint8_t buf[512];
	ssize_t n = fdr_unescape(v, buf, sizeof(buf));

	cr_assert_eq(n, (ssize_t)strlen(want), "unescape len %zd for %s", n, want);
	cr_assert_eq(memcmp(buf, want, (size_t)n), 0, "%.*s != %s", (int)n, buf, want);
}

Test(fdr, compose_exact_with_escaping)
{
	struct fdr_recipient rc[2] = {
	        {S("sip:bob@example.com;x=\"a&b\""), 200, FDR_OUTCOME_DELIVERED},
	        {S("sip:<o'neil>@example.com"), 408, FDR_OUTCOME_TIMEOUT},
	};
	struct fdr_report r = {.message_id = S("m&<>\"'1"), .rcpt = rc, .n_rcpt = 2};
	static const char want[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<final-report xmlns=\"urn:x-msw:final-report:0\" "
	        "message-id=\"m&amp;&lt;&gt;&quot;&apos;1\">\n"
	        "<recipient uri=\"sip:bob@example.com;x=&quot;a&amp;b&quot;\" status=\"200\" "
	        "outcome=\"delivered\"/>\n"
	        "<recipient uri=\"sip:&lt;o&apos;neil&gt;@example.com\" status=\"408\" "
	        "outcome=\"timeout\"/>\n"
	        "</final-report>\n";
	uint8_t out[1024];
	ssize_t n = fdr_build(&r, out, sizeof(out));

	cr_assert_eq(n, (ssize_t)strlen(want), "%zd: %.*s", n, (int)(n > 0 ? n : 0), out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "%.*s", (int)n, out);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_assert_eq(fdr_build(&r, out, cap), -ENOSPC, "cap %zu", cap);

	/* Roundtrip: parse back and decode to the original raw values. */
	struct fdr_recipient back[4];
	struct fdr_report p = {.rcpt = back};
	enum fdr_rc rc2 = fdr_parse((const uint8_t *)want, (uint32_t)strlen(want), &p, 4);

	cr_assert_eq(rc2, FDR_OK, "%s at %u", fdr_strerror(rc2), p.err_off);
	cr_assert_eq(p.n_rcpt, 2);
	assert_unescaped(p.message_id, "m&<>\"'1");
	assert_unescaped(back[0].uri, "sip:bob@example.com;x=\"a&b\"");
	assert_unescaped(back[1].uri, "sip:<o'neil>@example.com");
	cr_assert_eq(back[0].status, 200);
	cr_assert_eq(back[1].status, 408);
	cr_assert_eq(back[0].outcome, FDR_OUTCOME_DELIVERED);
	cr_assert_eq(back[1].outcome, FDR_OUTCOME_TIMEOUT);
}

Test(fdr, mixed_outcomes_roundtrip)
{
	struct fdr_recipient rc[FDR_OUTCOME_COUNT + 1] = {
	        {S("sip:a@x"), 200, FDR_OUTCOME_DELIVERED},
	        {S("sip:b@x"), 403, FDR_OUTCOME_FAILED},
	        {S("sip:c@x"), 408, FDR_OUTCOME_TIMEOUT},
	        {S("sip:d@x"), 481, FDR_OUTCOME_LEFT},
	        {S("sip:e@x"), 413, FDR_OUTCOME_NOT_SENT},
	        {S("sip:ü-ñ@x"), 415, FDR_OUTCOME_FAILED}, /* UTF-8 passes unescaped */
	};
	struct fdr_report r = {.message_id = S("87652491"), .rcpt = rc, .n_rcpt = 6};
	uint8_t out[2048];
	ssize_t n = fdr_build(&r, out, sizeof(out));
	struct fdr_recipient back[6];
	struct fdr_report p = {.rcpt = back};

	cr_assert_gt(n, 0);
	cr_assert_eq(fdr_parse(out, (uint32_t)n, &p, 6), FDR_OK);
	cr_assert_eq(p.n_rcpt, 6);
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(back[i].uri.len, rc[i].uri.len);
		cr_assert_eq(memcmp(back[i].uri.p, rc[i].uri.p, rc[i].uri.len), 0);
		cr_assert_eq(back[i].status, rc[i].status);
		cr_assert_eq(back[i].outcome, rc[i].outcome);
	}
	/* One slot short: the parser refuses rather than dropping a recipient. */
	cr_assert_eq(fdr_parse(out, (uint32_t)n, &p, 5), FDR_ERR_TOO_MANY);
	cr_assert_eq(p.n_rcpt, 0);
}

Test(fdr, compose_invalid)
{
	struct fdr_recipient x = {S("sip:a@x"), 200, FDR_OUTCOME_DELIVERED};
	struct fdr_report r = {.message_id = S("m1"), .rcpt = &x, .n_rcpt = 1};
	uint8_t out[512];

	cr_assert_gt(fdr_build(&r, out, sizeof(out)), 0);
	r.n_rcpt = 0;
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	r.n_rcpt = 1;
	r.message_id = S("");
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	r.message_id = S("m\n1");
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	r.message_id = S("m1");
	x.status = 99;
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	x.status = 700;
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	x.status = 200;
	x.outcome = FDR_OUTCOME_COUNT;
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	x.outcome = FDR_OUTCOME_LEFT;
	x.uri = S("sip:\xff@x"); /* not UTF-8 */
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
	x.uri = S("");
	cr_assert_eq(fdr_build(&r, out, sizeof(out)), -EINVAL);
}

Test(fdr, lenient_where_xml_allows)
{
	static const char doc[] =
	        "  <final-report message-id='m1' xmlns='urn:x-msw:final-report:0' x:ext=\"1\" >\r\n"
	        "\t<recipient outcome = \"failed\" status='503' uri='sip:a@x&#38;&#x3C;'\n"
	        "    ></recipient >\n"
	        "<recipient uri=\"sip:b@x\" status=\"200\" outcome=\"delivered\" e:y=\"2\"/>"
	        "</final-report >\n\n";
	struct fdr_recipient back[2];
	struct fdr_report p = {.rcpt = back};
	enum fdr_rc rc = fdr_parse((const uint8_t *)doc, (uint32_t)strlen(doc), &p, 2);

	cr_assert_eq(rc, FDR_OK, "%s at %u", fdr_strerror(rc), p.err_off);
	cr_assert_eq(p.n_rcpt, 2);
	assert_unescaped(back[0].uri, "sip:a@x&<");
	cr_assert_eq(back[0].status, 503);
	cr_assert_eq(back[0].outcome, FDR_OUTCOME_FAILED);
}

/* Inline arrays: Criterion parameters cannot point into the parent process. */
struct bad_doc {
	char name[40];
	char doc[320];
	enum fdr_rc want;
};

#define HEAD "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"m1\">"
#define RCPT "<recipient uri=\"sip:a@x\" status=\"200\" outcome=\"delivered\"/>"
#define TAIL "</final-report>"

static struct bad_doc bad_docs[] = {
        {"empty", "", FDR_ERR_SYNTAX},
        {"text only", "hello", FDR_ERR_SYNTAX},
        {"wrong root", "<report/>", FDR_ERR_ROOT},
        {"root prefix", "<final-reportx/>", FDR_ERR_ROOT},
        {"no xmlns", "<final-report message-id=\"m\">" RCPT TAIL, FDR_ERR_NAMESPACE},
        {"wrong xmlns",
         "<final-report xmlns=\"urn:oma:xml:poc:final-report\" message-id=\"m\">" RCPT TAIL,
         FDR_ERR_NAMESPACE},
        {"no message-id", "<final-report xmlns=\"urn:x-msw:final-report:0\">" RCPT TAIL,
         FDR_ERR_MESSAGE_ID},
        {"empty message-id",
         "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"\">" RCPT TAIL,
         FDR_ERR_MESSAGE_ID},
        {"dup attr",
         "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"a\" message-id=\"b\">" RCPT
                 TAIL,
         FDR_ERR_ATTR_DUP},
        {"unknown root attr",
         "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"a\" foo=\"b\">" RCPT TAIL,
         FDR_ERR_ATTR_UNKNOWN},
        {"no recipients", HEAD TAIL, FDR_ERR_NO_RECIPIENT},
        {"self-closed root", "<final-report xmlns=\"urn:x-msw:final-report:0\" message-id=\"a\"/>",
         FDR_ERR_NO_RECIPIENT},
        {"unclosed root", HEAD RCPT, FDR_ERR_SYNTAX},
        {"unclosed recipient",
         HEAD "<recipient uri=\"sip:a@x\" status=\"200\" outcome=\"delivered\"", FDR_ERR_SYNTAX},
        {"unterminated quote", HEAD "<recipient uri=\"sip:a@x status=\"200\"/>" TAIL,
         FDR_ERR_SYNTAX},
        {"lt in value", HEAD "<recipient uri=\"sip:<a@x\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_SYNTAX},
        {"raw amp", HEAD "<recipient uri=\"sip:a&b\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_ENTITY},
        {"unknown entity",
         HEAD "<recipient uri=\"sip:a&nbsp;\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_ENTITY},
        {"bad char ref", HEAD "<recipient uri=\"sip:&#0;\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_ENTITY},
        {"huge char ref",
         HEAD "<recipient uri=\"&#x100000000041;\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_ENTITY},
        {"missing uri", HEAD "<recipient status=\"200\" outcome=\"left\"/>" TAIL, FDR_ERR_URI},
        {"empty uri", HEAD "<recipient uri=\"\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_URI},
        {"missing status", HEAD "<recipient uri=\"u\" outcome=\"left\"/>" TAIL, FDR_ERR_STATUS},
        {"status 2 digits", HEAD "<recipient uri=\"u\" status=\"20\" outcome=\"left\"/>" TAIL,
         FDR_ERR_STATUS},
        {"status 099", HEAD "<recipient uri=\"u\" status=\"099\" outcome=\"left\"/>" TAIL,
         FDR_ERR_STATUS},
        {"status 700", HEAD "<recipient uri=\"u\" status=\"700\" outcome=\"left\"/>" TAIL,
         FDR_ERR_STATUS},
        {"status alpha", HEAD "<recipient uri=\"u\" status=\"2x0\" outcome=\"left\"/>" TAIL,
         FDR_ERR_STATUS},
        {"missing outcome", HEAD "<recipient uri=\"u\" status=\"200\"/>" TAIL, FDR_ERR_OUTCOME},
        {"unknown outcome", HEAD "<recipient uri=\"u\" status=\"200\" outcome=\"Delivered\"/>" TAIL,
         FDR_ERR_OUTCOME},
        {"unknown recipient attr",
         HEAD "<recipient uri=\"u\" status=\"200\" outcome=\"left\" why=\"x\"/>" TAIL,
         FDR_ERR_ATTR_UNKNOWN},
        {"dup recipient attr", HEAD "<recipient uri=\"u\" uri=\"v\" status=\"200\"/>" TAIL,
         FDR_ERR_ATTR_DUP},
        {"attrs not separated", HEAD "<recipient uri=\"u\"status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_SYNTAX},
        {"unquoted attr", HEAD "<recipient uri=u status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_SYNTAX},
        {"other child", HEAD RCPT "<note/>" TAIL, FDR_ERR_ELEMENT},
        {"text child", HEAD RCPT "hello" TAIL, FDR_ERR_ELEMENT},
        {"recipient content",
         HEAD "<recipient uri=\"u\" status=\"200\" outcome=\"left\">x"
              "</recipient>" TAIL,
         FDR_ERR_ELEMENT},
        {"comment", HEAD "<!-- hi -->" RCPT TAIL, FDR_ERR_UNSUPPORTED},
        {"doctype", "<!DOCTYPE final-report [<!ENTITY a \"b\">]>" HEAD RCPT TAIL,
         FDR_ERR_UNSUPPORTED},
        {"pi", "<?xml-stylesheet href=\"x\"?>" HEAD RCPT TAIL, FDR_ERR_UNSUPPORTED},
        {"cdata", HEAD "<![CDATA[x]]>" RCPT TAIL, FDR_ERR_UNSUPPORTED},
        {"xml decl 1.1", "<?xml version=\"1.1\"?>" HEAD RCPT TAIL, FDR_ERR_SYNTAX},
        {"xml decl latin1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" HEAD RCPT TAIL,
         FDR_ERR_UTF8},
        {"xml decl no version", "<?xml encoding=\"UTF-8\"?>" HEAD RCPT TAIL, FDR_ERR_SYNTAX},
        {"trailing element", HEAD RCPT TAIL "<x/>", FDR_ERR_TRAILING},
        {"trailing text", HEAD RCPT TAIL "x", FDR_ERR_TRAILING},
        {"bad utf8", HEAD "<recipient uri=\"\xc0\xaf\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_UTF8},
        {"control char", HEAD "<recipient uri=\"a\x01\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_UTF8},
        {"tab in value", HEAD "<recipient uri=\"a\tb\" status=\"200\" outcome=\"left\"/>" TAIL,
         FDR_ERR_UTF8},
        {"slash not closing", HEAD "<recipient uri=\"u\" status=\"200\" outcome=\"left\"/ >" TAIL,
         FDR_ERR_SYNTAX},
};

ParameterizedTestParameters(fdr, malformed)
{
	return cr_make_param_array(struct bad_doc, bad_docs,
	                           sizeof(bad_docs) / sizeof(bad_docs[0]));
}

ParameterizedTest(struct bad_doc *d, fdr, malformed)
{
	struct fdr_recipient back[4];
	struct fdr_report p = {.rcpt = back};
	enum fdr_rc rc = fdr_parse((const uint8_t *)d->doc, (uint32_t)strlen(d->doc), &p, 4);

	cr_assert_eq(rc, d->want, "%s: got %s, want %s (at %u)", d->name, fdr_strerror(rc),
	             fdr_strerror(d->want), p.err_off);
	cr_assert_leq(p.err_off, strlen(d->doc));
}

Test(fdr, truncation_never_ok)
{
	static const char doc[] = HEAD RCPT TAIL;
	struct fdr_recipient back[2];
	struct fdr_report p = {.rcpt = back};

	cr_assert_eq(fdr_parse((const uint8_t *)doc, (uint32_t)strlen(doc), &p, 2), FDR_OK);
	for (size_t n = 0; n < strlen(doc); n++)
		cr_assert_neq(fdr_parse((const uint8_t *)doc, (uint32_t)n, &p, 2), FDR_OK, "%zu",
		              n);
}

Test(fdr, too_big)
{
	static uint8_t big[FDR_DOC_MAX + 1];
	struct fdr_recipient back[1];
	struct fdr_report p = {.rcpt = back};

	memset(big, ' ', sizeof(big));
	cr_assert_eq(fdr_parse(big, sizeof(big), &p, 1), FDR_ERR_TOO_BIG);
}

Test(fdr, mime_spellings)
{
	static const char *const yes[] = {
	        "application/vnd.oma.poc.final-report+xml",
	        "application/vnd.oma.poc.final-report",
	        "application/vnd.oma.final-report+xml",
	        "Application/VND.OMA.POC.Final-Report+XML",
	        "application/vnd.oma.poc.final-report+xml;charset=UTF-8",
	        " application/vnd.oma.final-report+xml ; charset=utf-8",
	};
	static const char *const no[] = {
	        "application/xml",
	        "application/vnd.oma.poc.final-report+xmlx",
	        "application/vnd.oma.final-report",
	        "application/vnd.oma.poc.final-report+xml x",
	        "",
	        "message/cpim",
	};

	cr_assert_str_eq(FDR_MIME_TYPE, "application/vnd.oma.poc.final-report+xml");
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_assert(fdr_mime_type_match((const uint8_t *)yes[i], (uint32_t)strlen(yes[i])),
		          "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_not(fdr_mime_type_match((const uint8_t *)no[i], (uint32_t)strlen(no[i])),
		              "%s", no[i]);
}

Test(fdr, names_and_unescape)
{
	uint8_t out[16];

	for (int o = 0; o < FDR_OUTCOME_COUNT; o++) {
		const char *n = fdr_outcome_name((enum fdr_outcome)o);

		cr_assert_not_null(n);
		cr_assert_eq(fdr_outcome_parse((const uint8_t *)n, (uint32_t)strlen(n)), o);
	}
	cr_assert_null(fdr_outcome_name(FDR_OUTCOME_COUNT));
	cr_assert_str_eq(fdr_outcome_name(FDR_OUTCOME_NOT_SENT), "not-sent");
	for (int rc = 0; rc < FDR_RC_COUNT; rc++)
		cr_assert_eq(strncmp(fdr_strerror((enum fdr_rc)rc), "FDR_", 4), 0);
	cr_assert_eq(fdr_unescape(S("&#x20AC;&#128512;"), out, sizeof(out)), 7);
	cr_assert_eq(memcmp(out, "\xe2\x82\xac\xf0\x9f\x98\x80", 7), 0);
	cr_assert_eq(fdr_unescape(S("&#x20AC;"), out, 2), -ENOSPC);
	cr_assert_eq(fdr_unescape(S("a&b"), out, sizeof(out)), -EINVAL);
}
