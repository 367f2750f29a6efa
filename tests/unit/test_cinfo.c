/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * controlplane/confinfo: conference-info+xml documents parsed back with libxml2 (a real XML
 * parser, so well-formedness, the namespace and the unescaped values are checked by it).
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "confinfo/cinfo.h"

static char buf[16384];

/* Parses text strictly (no recovery, no network); fails the test on any error. */
static xmlDocPtr
parse(const char *text, ssize_t len)
{
	xmlDocPtr d;

	cr_assert_gt(len, 0, "cinfo_build: %zd", len);
	cr_assert_eq(strlen(text), (size_t)len, "length and NUL disagree");
	d = xmlReadMemory(text, (int)len, "cinfo.xml", "UTF-8",
	                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	cr_assert_not_null(d, "not well-formed XML:\n%s", text);
	return d;
}

/* Builds doc into buf and parses it back (see parse()). */
static xmlDocPtr
build_parse(const struct cinfo_doc *doc)
{
	return parse(buf, cinfo_build(doc, buf, sizeof(buf)));
}

/* The string value of an XPath expression over the ci: namespace ("" when absent). */
static char *
xp(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr r;
	xmlChar *s;
	char *out;

	cr_assert_not_null(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "ci", BAD_CAST CINFO_NS);
	r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	cr_assert_not_null(r, "bad xpath %s", expr);
	s = xmlXPathCastToString(r);
	out = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return out;
}

static void
expect_xp(xmlDocPtr d, const char *expr, const char *want)
{
	char *got = xp(d, expr);

	cr_expect_str_eq(got, want, "%s", expr);
	free(got);
}

static const struct cinfo_user three[] = {
        {.entity = "sip:alice@example.com",
         .state = CINFO_STATE_FULL,
         .display_text = "Alice",
         .endpoint = "sip:alice@pc.example.com",
         .status = CINFO_STATUS_CONNECTED,
         .joining = CINFO_JOIN_DIALED_IN,
         .joined_ms = 1764095995123,
         .media_id = "1"},
        {.entity = "sip:conf1-a1@im.example.com",
         .state = CINFO_STATE_FULL,
         .display_text = "Anon 1",
         .status = CINFO_STATUS_ALERTING,
         .joining = CINFO_JOIN_DIALED_OUT},
        {.entity = "tel:+15555550100", .state = CINFO_STATE_FULL, .status = CINFO_STATUS_PENDING},
};

Test(cinfo, full_document)
{
	struct cinfo_doc doc = {.entity = "sip:friends@im.example.com",
	                        .version = 1,
	                        .state = CINFO_STATE_FULL,
	                        .display_text = "Friends",
	                        .max_user_count = 10,
	                        .has_user_count = true,
	                        .user_count = 3,
	                        .has_active = true,
	                        .active = true,
	                        .users = three,
	                        .n_users = 3};
	xmlDocPtr d = build_parse(&doc);
	xmlNodePtr root = xmlDocGetRootElement(d);

	cr_assert_str_eq((const char *)root->name, "conference-info");
	cr_assert_not_null(root->ns);
	cr_assert_str_eq((const char *)root->ns->href, CINFO_NS);
	expect_xp(d, "/ci:conference-info/@entity", "sip:friends@im.example.com");
	expect_xp(d, "/ci:conference-info/@state", "full");
	expect_xp(d, "/ci:conference-info/@version", "1");
	expect_xp(d, "/ci:conference-info/ci:conference-description/ci:display-text", "Friends");
	expect_xp(d, "/ci:conference-info/ci:conference-description/ci:maximum-user-count", "10");
	expect_xp(d, "/ci:conference-info/ci:conference-state/ci:user-count", "3");
	expect_xp(d, "/ci:conference-info/ci:conference-state/ci:active", "true");
	expect_xp(d, "count(//ci:user)", "3");
	expect_xp(d, "count(//ci:user[@state='full'])", "3");
	expect_xp(d, "/ci:conference-info/ci:users/@state", "full");
	expect_xp(d, "//ci:user[1]/@entity", "sip:alice@example.com");
	expect_xp(d, "//ci:user[1]/ci:display-text", "Alice");
	expect_xp(d, "//ci:user[1]/ci:endpoint/@entity", "sip:alice@pc.example.com");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:status", "connected");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:joining-method", "dialed-in");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:joining-info/ci:when",
	          "2025-11-25T18:39:55.123Z");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:media/@id", "1");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:media/ci:type", "message");
	expect_xp(d, "//ci:user[1]/ci:endpoint/ci:media/ci:status", "sendrecv");
	/* The anonymous participant is shown by its alias only; the endpoint defaults to it. */
	expect_xp(d, "//ci:user[2]/@entity", "sip:conf1-a1@im.example.com");
	expect_xp(d, "//ci:user[2]/ci:endpoint/@entity", "sip:conf1-a1@im.example.com");
	expect_xp(d, "//ci:user[2]/ci:endpoint/ci:status", "alerting");
	expect_xp(d, "//ci:user[2]/ci:endpoint/ci:joining-method", "dialed-out");
	expect_xp(d, "count(//ci:user[2]/ci:endpoint/ci:media)", "0");
	expect_xp(d, "count(//ci:user[3]/ci:display-text)", "0");
	expect_xp(d, "//ci:user[3]/ci:endpoint/ci:status", "pending");
	expect_xp(d, "count(//ci:user[3]/ci:endpoint/ci:joining-method)", "0");
	cr_assert_eq(strncmp(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39), 0);
	xmlFreeDoc(d);
}

/* Schema order of the endpoint's children (RFC 4575 section 6). */
Test(cinfo, endpoint_children_in_schema_order)
{
	struct cinfo_user u = {.entity = "sip:bob@example.com",
	                       .state = CINFO_STATE_FULL,
	                       .display_text = "Bob",
	                       .status = CINFO_STATUS_DISCONNECTED,
	                       .joining = CINFO_JOIN_DIALED_IN,
	                       .joined_ms = 1000,
	                       .disconnection = CINFO_DISC_BOOTED,
	                       .disconnected_ms = 61001,
	                       .disconnection_reason = "removed by sip:alice@example.com",
	                       .media_id = "m"};
	struct cinfo_doc doc = {.entity = "sip:c@x",
	                        .version = 7,
	                        .state = CINFO_STATE_FULL,
	                        .users = &u,
	                        .n_users = 1};
	static const char *const order[] = {"status",
	                                    "joining-method",
	                                    "joining-info",
	                                    "disconnection-method",
	                                    "disconnection-info",
	                                    "media"};
	xmlDocPtr d = build_parse(&doc);
	char expr[128];

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(expr, sizeof(expr), "local-name(//ci:endpoint/*[%zu])", i + 1);
		expect_xp(d, expr, order[i]);
	}
	expect_xp(d, "//ci:disconnection-method", "booted");
	expect_xp(d, "//ci:disconnection-info/ci:when", "1970-01-01T00:01:01.001Z");
	expect_xp(d, "//ci:disconnection-info/ci:reason", "removed by sip:alice@example.com");
	expect_xp(d, "//ci:joining-info/ci:when", "1970-01-01T00:00:01.000Z");
	expect_xp(d, "count(//ci:media/ci:status)", "0");
	expect_xp(d, "count(/ci:conference-info/ci:conference-description)", "0");
	expect_xp(d, "count(/ci:conference-info/ci:conference-state)", "0");
	xmlFreeDoc(d);
}

Test(cinfo, partial_carries_only_the_changed_users)
{
	struct cinfo_user changed[] = {
	        {.entity = "sip:bob@example.com",
	         .state = CINFO_STATE_FULL,
	         .display_text = "Bob",
	         .status = CINFO_STATUS_CONNECTED,
	         .joining = CINFO_JOIN_DIALED_IN},
	        {.entity = "sip:carol@example.com", .state = CINFO_STATE_DELETED},
	        {.entity = "sip:alice@example.com",
	         .state = CINFO_STATE_PARTIAL,
	         .display_text = "Alice (2)",
	         .status = CINFO_STATUS_CONNECTED},
	};
	struct cinfo_doc doc = {.entity = "sip:c1@im.example.com",
	                        .version = 5,
	                        .state = CINFO_STATE_PARTIAL,
	                        .has_user_count = true,
	                        .user_count = 2,
	                        .users = changed,
	                        .n_users = 3};
	xmlDocPtr d = build_parse(&doc);

	expect_xp(d, "/ci:conference-info/@state", "partial");
	expect_xp(d, "/ci:conference-info/@version", "5");
	expect_xp(d, "/ci:conference-info/ci:users/@state", "partial");
	expect_xp(d, "count(//ci:user)", "3");
	expect_xp(d, "//ci:user[1]/@state", "full");
	expect_xp(d, "//ci:user[2]/@state", "deleted");
	expect_xp(d, "count(//ci:user[2]/*)", "0");
	expect_xp(d, "//ci:user[3]/@state", "partial");
	expect_xp(d, "//ci:user[3]/ci:display-text", "Alice (2)");
	expect_xp(d, "count(/ci:conference-info/ci:conference-description)", "0");
	xmlFreeDoc(d);

	/* Nothing changed among the users: no <users> at all (only the count moved). */
	doc.n_users = 0;
	doc.users = NULL;
	d = build_parse(&doc);
	expect_xp(d, "count(//ci:users)", "0");
	expect_xp(d, "//ci:user-count", "2");
	xmlFreeDoc(d);

	/* A full document of an empty conference still says its user list is empty. */
	doc.state = CINFO_STATE_FULL;
	d = build_parse(&doc);
	expect_xp(d, "count(/ci:conference-info/ci:users)", "1");
	expect_xp(d, "count(//ci:user)", "0");
	xmlFreeDoc(d);
}

Test(cinfo, escaping_survives_a_parser)
{
	static const char nasty[] =
	        "<b>\"Tom\" & 'Jerry'</b> ]]> \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const char lines[] = "a\tb\nc\rd";
	struct cinfo_user u = {.entity = "sip:a@x;p=\"q\"&r=<s>",
	                       .state = CINFO_STATE_FULL,
	                       .display_text = nasty,
	                       .endpoint = lines,
	                       .status = CINFO_STATUS_CONNECTED,
	                       .disconnection_reason = lines,
	                       .media_id = "&<>\""};
	struct cinfo_doc doc = {.entity = "sip:c@x?h=\"1\"&b=<2>",
	                        .version = 4294967295u,
	                        .state = CINFO_STATE_FULL,
	                        .display_text = nasty,
	                        .subject = "x]]>y",
	                        .users = &u,
	                        .n_users = 1};
	xmlDocPtr d = build_parse(&doc);

	expect_xp(d, "/ci:conference-info/@entity", "sip:c@x?h=\"1\"&b=<2>");
	expect_xp(d, "/ci:conference-info/@version", "4294967295");
	expect_xp(d, "//ci:conference-description/ci:display-text", nasty);
	expect_xp(d, "//ci:conference-description/ci:subject", "x]]>y");
	expect_xp(d, "//ci:user/@entity", "sip:a@x;p=\"q\"&r=<s>");
	expect_xp(d, "//ci:user/ci:display-text", nasty);
	/* Tab, LF and CR survive attribute normalisation and end-of-line handling. */
	expect_xp(d, "//ci:endpoint/@entity", lines);
	expect_xp(d, "//ci:disconnection-info/ci:reason", lines);
	expect_xp(d, "//ci:media/@id", "&<>\"");
	cr_assert_null(strstr(buf, "]]>"), "%s", buf);
	cr_assert_not_null(strstr(buf, "&lt;b&gt;\"Tom\" &amp; 'Jerry'&lt;/b&gt;"), "%s", buf);
	cr_assert_not_null(strstr(buf, "entity=\"a&#9;b&#10;c&#13;d\""), "%s", buf);
	xmlFreeDoc(d);
}

Test(cinfo, invalid_input_is_refused)
{
	struct cinfo_user u = {.entity = "sip:a@x", .state = CINFO_STATE_FULL};
	struct cinfo_doc doc = {.entity = "sip:c@x", .version = 1, .users = &u, .n_users = 1};
	static const char *const bad_text[] = {
	        "\xc3",             /* truncated sequence */
	        "\xc0\xaf",         /* overlong '/' */
	        "\xed\xa0\x80",     /* UTF-16 surrogate */
	        "\xf4\x90\x80\x80", /* above U+10FFFF */
	        "\xff",
	        "bell\x07", /* C0 control XML 1.0 cannot carry */
	        "\x1b[31m",
	};

	cr_assert_gt(cinfo_build(&doc, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		u.display_text = bad_text[i];
		cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL, "display-text #%zu", i);
		u.display_text = NULL;
		u.entity = bad_text[i];
		cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL, "entity #%zu", i);
		u.entity = "sip:a@x";
		doc.subject = bad_text[i];
		cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL, "subject #%zu", i);
		doc.subject = NULL;
	}
	doc.entity = "";
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	doc.entity = NULL;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	doc.entity = "sip:c@x";
	u.entity = NULL;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.entity = "sip:a@x";
	/* A full document cannot delete or patch users. */
	u.state = CINFO_STATE_DELETED;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.state = CINFO_STATE_PARTIAL;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	doc.state = CINFO_STATE_PARTIAL;
	cr_expect_gt(cinfo_build(&doc, buf, sizeof(buf)), 0);
	doc.state = CINFO_STATE_DELETED;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	doc.state = CINFO_STATE_FULL;
	u.state = CINFO_STATE_FULL;
	u.status = CINFO_STATUS_MAX;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.status = CINFO_STATUS_CONNECTED;
	u.joining = (enum cinfo_joining)99;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.joining = CINFO_JOIN_NONE;
	u.joined_ms = -1;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.joined_ms = 253402300800000LL; /* year 10000 */
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
	u.joined_ms = 253402300799999LL;
	cr_expect_gt(cinfo_build(&doc, buf, sizeof(buf)), 0);
	cr_expect_not_null(strstr(buf, "9999-12-31T23:59:59.999Z"), "%s", buf);
	doc.users = NULL;
	cr_expect_eq(cinfo_build(&doc, buf, sizeof(buf)), -EINVAL);
}

Test(cinfo, every_capacity_below_the_length_is_enospc)
{
	struct cinfo_doc doc = {.entity = "sip:friends@im.example.com",
	                        .version = 3,
	                        .state = CINFO_STATE_FULL,
	                        .display_text = "Fr&ends",
	                        .has_user_count = true,
	                        .user_count = 3,
	                        .users = three,
	                        .n_users = 3};
	char full[4096], small[4096];
	ssize_t n = cinfo_build(&doc, full, sizeof(full));

	cr_assert_gt(n, 100);
	for (size_t cap = 0; cap <= (size_t)n; cap++) {
		memset(small, 'Z', sizeof(small));
		cr_assert_eq(cinfo_build(&doc, small, cap), -ENOSPC, "cap %zu", cap);
		/* Nothing written past cap, and the cut prefix is NUL-terminated. */
		cr_assert_eq(small[cap], 'Z', "cap %zu", cap);
		if (cap > 0) {
			cr_assert_eq(small[cap - 1], '\0');
			cr_assert_eq(memcmp(small, full, cap - 1), 0);
		}
	}
	memset(small, 'Z', sizeof(small));
	cr_assert_eq(cinfo_build(&doc, small, (size_t)n + 1), n);
	cr_assert_str_eq(small, full);
}

Test(cinfo, names)
{
	cr_assert_str_eq(cinfo_status_name(CINFO_STATUS_DIALING_OUT), "dialing-out");
	cr_assert_str_eq(cinfo_status_name(CINFO_STATUS_DISCONNECTING), "disconnecting");
	cr_assert_null(cinfo_status_name(CINFO_STATUS_MAX));
	cr_assert_str_eq(cinfo_joining_name(CINFO_JOIN_DIALED_OUT), "dialed-out");
	cr_assert_null(cinfo_joining_name(CINFO_JOIN_NONE));
	cr_assert_str_eq(cinfo_disconnection_name(CINFO_DISC_FAILED), "failed");
	cr_assert_str_eq(cinfo_disconnection_name(CINFO_DISC_DEPARTED), "departed");
	cr_assert_null(cinfo_disconnection_name(CINFO_DISC_MAX));
	cr_assert_str_eq(cinfo_state_name(CINFO_STATE_DELETED), "deleted");
}
