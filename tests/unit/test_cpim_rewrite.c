/* SPDX-License-Identifier: BSD-3-Clause */
/* CPIM From/To rewrite with byte delta, splice/shift arithmetic, and the wrap builder. */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpim/cpim.h"

static const char body[] = "From: \"Alice\" <sip:alice@example.com>\r\n"
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

#define assert_span(sp, str)                                                                       \
	cr_assert(cpim_span_eq((sp), (str)), "span '%.*s' != '%s'", (int)(sp).len,                 \
	          (const char *)(sp).p, (str))

static void
parse_ok(const void *p, size_t n, struct cpim_msg *m)
{
	enum cpim_rc rc = cpim_parse(p, (uint32_t)n, m);

	cr_assert_eq(rc, CPIM_OK, "%s", cpim_strerror(rc));
}

Test(cpim_rewrite, from_alias_exact_bytes_and_delta)
{
	static const char want[] = "From: \"Bob (2)\" <sip:conf-8f3a-a1@im.example.com>\r\n"
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
	struct cpim_alias alias = {cpim_span_str("Bob (2)"),
	                           cpim_span_str("sip:conf-8f3a-a1@im.example.com")};
	struct cpim_msg m, m2;
	struct cpim_splice sp;
	uint8_t line[128], out[1024];
	const uint8_t *repl[1] = {line};
	ssize_t n, total;

	parse_ok(body, strlen(body), &m);
	n = cpim_addr_rewrite(&m, m.from_hdr, &alias, line, sizeof(line), &sp);
	cr_assert_eq(n, (ssize_t)strlen("From: \"Bob (2)\" <sip:conf-8f3a-a1@im.example.com>\r\n"));
	cr_assert_eq(memcmp(line, want, (size_t)n), 0);
	cr_assert_eq(sp.off, 0);
	cr_assert_eq(sp.old_len, strlen("From: \"Alice\" <sip:alice@example.com>\r\n"));
	cr_assert_eq(sp.new_len, (uint32_t)n);
	cr_assert_eq(sp.delta, (int32_t)(strlen(want) - strlen(body)));
	cr_assert_eq(sp.delta, 12);

	total = cpim_splice_apply((const uint8_t *)body, (uint32_t)strlen(body), &sp, repl, 1, out,
	                          sizeof(out));
	cr_assert_eq(total, (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)total), 0);

	/* The rewritten body parses, and everything else (IMDN, Final-Report) is untouched. */
	parse_ok(out, (size_t)total, &m2);
	assert_span(m2.from.display, "\"Bob (2)\"");
	assert_span(m2.from.uri, "sip:conf-8f3a-a1@im.example.com");
	assert_span(m2.imdn.message_id, "7Hq2kPz9");
	assert_span(m2.imdn.disposition, "positive-delivery, display");
	cr_assert(cpim_final_report_requested(&m2));
	for (int i = 1; i < m.n_hdr; i++)
		cr_assert(m.hdr[i].line.len == m2.hdr[i].line.len &&
		                  memcmp(m.hdr[i].line.p, m2.hdr[i].line.p, m.hdr[i].line.len) == 0,
		          "header %d changed", i);

	/* Byte-Range shift: later bytes move by delta, total grows by delta. */
	cr_assert_eq(cpim_splice_shift(&sp, 1, 1), 1);
	cr_assert_eq(cpim_splice_shift(&sp, 1, sp.old_len), 1); /* inside the old From line */
	cr_assert_eq(cpim_splice_shift(&sp, 1, sp.old_len + 1), sp.old_len + 1 + 12);
	cr_assert_eq(cpim_splice_shift(&sp, 1, strlen(body)), strlen(want));
	cr_assert_eq(cpim_splice_delta(&sp, 1), 12);
	cr_assert_eq(cpim_splice_shift(&sp, 1, 0), 0);
}

Test(cpim_rewrite, from_and_to_two_splices_negative_delta)
{
	static const char in[] = "From: \"A very long display name\" <sip:someone@example.com>\r\n"
	                         "To: \"Mallory\" <sip:mallory-alias@im.example.com>\r\n"
	                         "\r\nContent-Type: text/plain\r\n\r\nhi";
	static const char want[] = "From: <sip:a1@x>\r\n"
	                           "To: \"M \\\"q\\\" \\\\\" <sip:mallory@x>\r\n"
	                           "\r\nContent-Type: text/plain\r\n\r\nhi";
	struct cpim_alias from = {{NULL, 0}, cpim_span_str("sip:a1@x")};
	struct cpim_alias to = {cpim_span_str("M \"q\" \\"), cpim_span_str("sip:mallory@x")};
	struct cpim_msg m, m2;
	struct cpim_splice sp[2];
	uint8_t l0[64], l1[64], out[256];
	const uint8_t *repl[2] = {l0, l1};
	ssize_t total;

	parse_ok(in, strlen(in), &m);
	cr_assert_gt(cpim_addr_rewrite(&m, m.from_hdr, &from, l0, sizeof(l0), &sp[0]), 0);
	cr_assert_gt(cpim_addr_rewrite(&m, m.to_hdr, &to, l1, sizeof(l1), &sp[1]), 0);
	total = cpim_splice_apply((const uint8_t *)in, (uint32_t)strlen(in), sp, repl, 2, out,
	                          sizeof(out));
	cr_assert_eq(total, (ssize_t)strlen(want), "%zd", total);
	cr_assert_eq(memcmp(out, want, (size_t)total), 0, "%.*s", (int)total, out);
	cr_assert_eq(cpim_splice_delta(sp, 2), (int64_t)strlen(want) - (int64_t)strlen(in));
	cr_assert_lt(sp[0].delta, 0);
	cr_assert_eq(cpim_splice_shift(sp, 2, strlen(in)), strlen(want));
	parse_ok(out, (size_t)total, &m2);
	assert_span(m2.to[0].display, "\"M \\\"q\\\" \\\\\"");

	/* Splices out of order are refused. */
	struct cpim_splice rev[2] = {sp[1], sp[0]};

	cr_assert_eq(cpim_splice_apply((const uint8_t *)in, (uint32_t)strlen(in), rev, repl, 2, out,
	                               sizeof(out)),
	             -EINVAL);
}

Test(cpim_rewrite, params_kept_enospc_einval)
{
	static const char in[] = "From:;x=1 <sip:a@x>\r\nTo: <sip:c@x>\r\nSubject: s\r\n"
	                         "\r\nContent-Type: text/plain\r\n\r\n";
	struct cpim_alias a = {cpim_span_str("Z"), cpim_span_str("sip:z@x")};
	struct cpim_msg m;
	struct cpim_splice sp;
	uint8_t line[64];
	ssize_t n;

	parse_ok(in, strlen(in), &m);
	n = cpim_addr_rewrite(&m, m.from_hdr, &a, line, sizeof(line), &sp);
	cr_assert_eq(n, (ssize_t)strlen("From:;x=1 \"Z\" <sip:z@x>\r\n"));
	cr_assert_eq(memcmp(line, "From:;x=1 \"Z\" <sip:z@x>\r\n", (size_t)n), 0);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_assert_eq(cpim_addr_rewrite(&m, m.from_hdr, &a, line, cap, &sp), -ENOSPC);
	cr_assert_eq(cpim_addr_rewrite(&m, 2, &a, line, sizeof(line), &sp), -EINVAL);
	cr_assert_eq(cpim_addr_rewrite(&m, 7, &a, line, sizeof(line), &sp), -EINVAL);
	a.uri = cpim_span_str("sip:z@x> <evil");
	cr_assert_eq(cpim_addr_rewrite(&m, m.from_hdr, &a, line, sizeof(line), &sp), -EINVAL);
	a.uri = cpim_span_str("sip:z@x");
	a.display = cpim_span_str("Z\r\nTo: <sip:injected@x>");
	cr_assert_eq(cpim_addr_rewrite(&m, m.from_hdr, &a, line, sizeof(line), &sp), -EINVAL);

	uint8_t out[8];
	const uint8_t *repl[1] = {line};

	a.display = cpim_span_str("Z");
	n = cpim_addr_rewrite(&m, m.from_hdr, &a, line, sizeof(line), &sp);
	cr_assert_eq(cpim_splice_apply((const uint8_t *)in, (uint32_t)strlen(in), &sp, repl, 1, out,
	                               sizeof(out)),
	             -ENOSPC);
}

Test(cpim_wrap, exact_bytes_and_roundtrip)
{
	static const char want_prefix[] =
	        "From: \"Anonymous 1\" <sip:conf-8f3a-a1@im.example.com>\r\n"
	        "To: <sip:conf-8f3a@im.example.com>\r\n"
	        "DateTime: 2026-01-02T10:11:12.345Z\r\n"
	        "NS: FR <urn:oma:xml:poc:final-report>\r\n"
	        "FR.Final-Report: yes\r\n"
	        "\r\n"
	        "Content-Type: text/plain;charset=UTF-8\r\n"
	        "\r\n";
	static const char text[] = "hello, world\r\n-------not an end line$\r\n";
	struct cpim_ns ns = {cpim_span_str("FR"), cpim_span_str(CPIM_URN_FINAL_REPORT)};
	struct cpim_field fr = {cpim_span_str("FR.Final-Report"), cpim_span_str("yes")};
	struct cpim_wrap w = {
	        .from = {cpim_span_str("Anonymous 1"),
	                 cpim_span_str("sip:conf-8f3a-a1@im.example.com")},
	        .to = {{NULL, 0}, cpim_span_str("sip:conf-8f3a@im.example.com")},
	        .has_datetime = true,
	        .datetime_ms = 1767348672345LL, /* 2026-01-02T10:11:12.345Z */
	        .ns = &ns,
	        .n_ns = 1,
	        .fields = &fr,
	        .n_fields = 1,
	        .content_type = cpim_span_str("text/plain;charset=UTF-8"),
	};
	uint8_t out[512];
	struct cpim_msg m;
	ssize_t n, p;

	p = cpim_wrap_prefix_build(&w, out, sizeof(out));
	cr_assert_eq(p, (ssize_t)strlen(want_prefix), "%zd", p);
	cr_assert_eq(memcmp(out, want_prefix, (size_t)p), 0, "%.*s", (int)p, out);
	for (size_t cap = 0; cap < (size_t)p; cap++)
		cr_assert_eq(cpim_wrap_prefix_build(&w, out, cap), -ENOSPC, "cap %zu", cap);

	n = cpim_wrap_build(&w, (const uint8_t *)text, (uint32_t)strlen(text), out, sizeof(out));
	cr_assert_eq(n, p + (ssize_t)strlen(text));
	cr_assert_eq(memcmp(out + p, text, strlen(text)), 0);
	cr_assert_eq(cpim_wrap_build(&w, (const uint8_t *)text, (uint32_t)strlen(text), out,
	                             (size_t)n - 1),
	             -ENOSPC);

	parse_ok(out, (size_t)n, &m);
	assert_span(m.from.display, "\"Anonymous 1\"");
	assert_span(m.to[0].uri, "sip:conf-8f3a@im.example.com");
	cr_assert(cpim_final_report_requested(&m));
	assert_span(m.content_type, "text/plain;charset=UTF-8");
	cr_assert_eq(m.content.len, strlen(text));
	cr_assert_eq(m.mime_end, (uint32_t)p);
}

Test(cpim_wrap, minimal_and_invalid)
{
	struct cpim_wrap w = {
	        .from = {{NULL, 0}, cpim_span_str("sip:a@x")},
	        .to = {{NULL, 0}, cpim_span_str("sip:c@x")},
	        .content_type = cpim_span_str("text/plain"),
	};
	static const char want[] = "From: <sip:a@x>\r\nTo: <sip:c@x>\r\n\r\n"
	                           "Content-Type: text/plain\r\n\r\n";
	uint8_t out[256];
	struct cpim_ns badns = {cpim_span_str("a.b"), cpim_span_str("urn:x")};
	struct cpim_field badf = {cpim_span_str("Bad Name"), cpim_span_str("v")};

	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, strlen(want)), 0);

	w.ns = &badns;
	w.n_ns = 1;
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
	w.n_ns = 0;
	w.fields = &badf;
	w.n_fields = 1;
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
	w.n_fields = 0;
	w.content_type = (struct cpim_span){NULL, 0};
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
	w.content_type = cpim_span_str("text/plain\r\nX: y");
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
	w.content_type = cpim_span_str("text/plain");
	w.to.uri = (struct cpim_span){NULL, 0};
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
}

Test(cpim_wrap, datetime_formatting)
{
	struct cpim_wrap w = {
	        .from = {{NULL, 0}, cpim_span_str("sip:a@x")},
	        .to = {{NULL, 0}, cpim_span_str("sip:c@x")},
	        .has_datetime = true,
	        .content_type = cpim_span_str("text/plain"),
	};
	struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	        {0, "1970-01-01T00:00:00.000Z"},
	        {951782400999LL, "2000-02-29T00:00:00.999Z"},
	        {-1, "1969-12-31T23:59:59.999Z"},
	        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
	        {4102444800000LL, "2100-01-01T00:00:00.000Z"},
	        {1709164800000LL, "2024-02-29T00:00:00.000Z"},
	        {-62135596800000LL, "0001-01-01T00:00:00.000Z"},
	        {946684799999LL, "1999-12-31T23:59:59.999Z"},
	        {1234567890123LL, "2009-02-13T23:31:30.123Z"},
	};
	uint8_t out[256];
	struct cpim_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ssize_t n;

		w.datetime_ms = cases[i].ms;
		n = cpim_wrap_prefix_build(&w, out, sizeof(out));
		cr_assert_gt(n, 0);
		parse_ok(out, (size_t)n, &m);
		assert_span(m.imdn.datetime, cases[i].want);
	}
}

/* The lock-free date arithmetic agrees with gmtime_r() on every day from 1900 to 2200. */
Test(cpim_wrap, datetime_matches_gmtime_every_day)
{
	struct cpim_wrap w = {
	        .from = {{NULL, 0}, cpim_span_str("sip:a@x")},
	        .to = {{NULL, 0}, cpim_span_str("sip:c@x")},
	        .has_datetime = true,
	        .content_type = cpim_span_str("text/plain"),
	};
	static const char prefix[] = "From: <sip:a@x>\r\nTo: <sip:c@x>\r\nDateTime: ";
	uint8_t out[256];

	for (int64_t day = -25567; day < 84006; day++) {
		/* A different time of day (and millisecond) for every day. */
		int64_t ms = day * 86400000LL + (day * 7919 * 1009) % 86400000LL;
		int64_t frac = ((ms % 1000) + 1000) % 1000;
		time_t t = (time_t)((ms - frac) / 1000);
		struct tm tm;
		char want[96];
		ssize_t n;

		cr_assert_not_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec, (int)frac);
		w.datetime_ms = ms;
		n = cpim_wrap_prefix_build(&w, out, sizeof(out));
		cr_assert_gt(n, 0);
		if (memcmp(out + sizeof(prefix) - 1, want, 24) != 0)
			cr_assert_fail("day %lld: %.24s != %s", (long long)day,
			               out + sizeof(prefix) - 1, want);
	}
	/* Year 10000 does not fit RFC 3339's four digits. */
	w.datetime_ms = 253402300800000LL;
	cr_assert_eq(cpim_wrap_prefix_build(&w, out, sizeof(out)), -EINVAL);
}
