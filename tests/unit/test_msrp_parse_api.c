/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP parser API contract: zero copy (body spans point into the caller's buffers, only a
 * straddling header block is copied), typed headers, limits, sticky errors and offsets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "msrp/msrp.h"

#define TO   "msrp://bob.example.com:8888/9di4eae923wzd;tcp"
#define FROM "msrp://alicepc.example.com:7777/iau39soe2843z;tcp"

static const char send_frame[] = "MSRP a786hjs2 SEND\r\n"
                                 "To-Path: " TO "\r\n"
                                 "From-Path: " FROM "\r\n"
                                 "Message-ID: 87652491\r\n"
                                 "Byte-Range: 1-25/100\r\n"
                                 "Success-Report: yes\r\n"
                                 "Failure-Report: partial\r\n"
                                 "X-Extra: kept\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "Hey Bob, are you there?\r\n"
                                 "-------a786hjs2+\r\n";

static uint8_t hdr_buf[MSRP_DEFAULT_MAX_HEADER_BYTES];

static void
init_default(struct msrp_parser *p)
{
	cr_assert_eq(msrp_parser_init(p, NULL, hdr_buf, sizeof(hdr_buf)), 0);
}

static bool
inside(const void *p, const void *buf, size_t len)
{
	return (const uint8_t *)p >= (const uint8_t *)buf &&
	       (const uint8_t *)p < (const uint8_t *)buf + len;
}

Test(msrp_parse_api, typed_fields_and_zero_copy)
{
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used, len = strlen(send_frame);
	const struct msrp_header *h;
	int pos = -1;

	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (const uint8_t *)send_frame, len, &used, &f), MSRP_OK);
	cr_expect_eq(used, len);
	cr_expect_eq(f.wire_len, len);
	cr_expect_eq(f.offset, 0);
	cr_expect_eq(f.kind, MSRP_KIND_REQUEST);
	cr_expect_eq(f.method, MSRP_METHOD_SEND);
	cr_expect_eq(f.flag, MSRP_FLAG_MORE);
	cr_expect_eq(f.tid.len, 8);
	cr_expect(memcmp(f.tid.p, "a786hjs2", 8) == 0);
	cr_expect_eq(f.n_hdrs, 8);
	cr_expect_eq(f.hdr_index[MSRP_HDR_TO_PATH], 0);
	cr_expect_eq(f.hdr_index[MSRP_HDR_FROM_PATH], 1);
	cr_expect_eq(f.hdr_index[MSRP_HDR_CONTENT_TYPE], 7);
	cr_expect_eq(f.hdr_index[MSRP_HDR_STATUS], -1);
	cr_expect_eq(f.hdrs[6].id, MSRP_HDR_EXTENSION);
	cr_expect_eq(f.to_path_count, 1);
	cr_expect_eq(f.byte_range.start, 1);
	cr_expect_eq(f.byte_range.end, 25);
	cr_expect_eq(f.byte_range.total, 100);
	cr_expect(f.byte_range.end_known && f.byte_range.total_known);
	cr_expect_eq(f.success_report, MSRP_REPORT_YES);
	cr_expect_eq(f.failure_report, MSRP_REPORT_PARTIAL);
	cr_expect(f.has_body);
	cr_expect_eq(f.body_len, 23);
	cr_expect_eq(f.n_body_segs, 1);
	/* Zero copy: everything points into the caller's buffer. */
	cr_expect(inside(f.body_segs[0].p, send_frame, len));
	cr_expect(inside(f.hdrs[0].value.p, send_frame, len));
	cr_expect(memcmp(f.body_segs[0].p, "Hey Bob, are you there?", 23) == 0);
	cr_expect_eq(f.header_block.p, (const uint8_t *)send_frame);
	cr_expect_eq(f.header_block.len, strstr(send_frame, "\r\n\r\n") + 2 - send_frame);
	h = msrp_frame_find_header(&f, "x-extra", &pos);
	cr_assert_not_null(h);
	cr_expect_eq(pos, 6);
	cr_expect(memcmp(h->value.p, "kept", 4) == 0);
	cr_expect_null(msrp_frame_find_header(&f, "x-extra", &pos));
	cr_expect(msrp_parser_idle(&p));
	cr_expect_eq(msrp_parser_finish(&p), MSRP_OK);
}

Test(msrp_parse_api, straddling_header_copied_body_not)
{
	size_t len = strlen(send_frame), cut = 40; /* inside To-Path */
	const char *body = strstr(send_frame, "Hey Bob");
	size_t body_off = (size_t)(body - send_frame), cut2 = body_off + 5;
	uint8_t *a = malloc(cut), *b = malloc(cut2 - cut), *c = malloc(len - cut2);
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used;

	memcpy(a, send_frame, cut);
	memcpy(b, send_frame + cut, cut2 - cut);
	memcpy(c, send_frame + cut2, len - cut2);
	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, a, cut, &used, &f), MSRP_AGAIN);
	cr_assert_eq(msrp_parser_feed(&p, b, cut2 - cut, &used, &f), MSRP_AGAIN);
	cr_assert_eq(msrp_parser_feed(&p, c, len - cut2, &used, &f), MSRP_OK);
	cr_expect_eq(used, len - cut2);
	/* Headers come from the parser's header buffer, contiguous. */
	cr_expect(inside(f.hdrs[0].value.p, hdr_buf, sizeof(hdr_buf)));
	cr_expect(inside(f.tid.p, hdr_buf, sizeof(hdr_buf)));
	cr_expect(memcmp(f.header_block.p, send_frame, f.header_block.len) == 0);
	/* The body is two spans in the caller's buffers b and c, never copied. */
	cr_assert_eq(f.n_body_segs, 2);
	cr_expect_eq(f.body_segs[0].p, b + (body_off - cut));
	cr_expect_eq(f.body_segs[0].len, 5);
	cr_expect_eq(f.body_segs[1].p, c);
	cr_expect_eq(f.body_segs[1].len, 18);
	{
		uint8_t out[64];

		cr_expect_eq(msrp_frame_body_copy(&f, out, sizeof(out)), 23);
		cr_expect(memcmp(out, "Hey Bob, are you there?", 23) == 0);
	}
	free(a);
	free(b);
	free(c);
}

Test(msrp_parse_api, end_line_split_across_buffers_trims_every_span)
{
	/* The CRLF + end-line are spread over 4 buffers; none of it may stay in the body. */
	size_t len = strlen(send_frame);
	size_t cuts[] = {len - 17, len - 15, len - 9, len - 2, len};
	uint8_t *bufs[5];
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used, prev = 0;
	enum msrp_rc rc = MSRP_AGAIN;

	init_default(&p);
	for (int k = 0; k < 5; k++) {
		bufs[k] = malloc(cuts[k] - prev);
		memcpy(bufs[k], send_frame + prev, cuts[k] - prev);
		rc = msrp_parser_feed(&p, bufs[k], cuts[k] - prev, &used, &f);
		cr_expect_eq(used, cuts[k] - prev);
		prev = cuts[k];
	}
	cr_assert_eq(rc, MSRP_OK);
	cr_expect_eq(f.body_len, 23);
	cr_assert_eq(f.n_body_segs, 1);
	cr_expect_eq(f.body_segs[0].len, 23);
	for (int k = 0; k < 5; k++)
		free(bufs[k]);
}

Test(msrp_parse_api, pipelined_frames_offsets)
{
	char two[2048];
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used, len, off;

	snprintf(two, sizeof(two), "%s%s", send_frame, send_frame);
	len = strlen(two);
	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)two, len, &used, &f), MSRP_OK);
	cr_expect_eq(used, len / 2);
	off = used;
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)two + off, len - off, &used, &f), MSRP_OK);
	cr_expect_eq(f.offset, len / 2);
	cr_expect_eq(used, len / 2);
}

Test(msrp_parse_api, error_is_sticky_with_offsets)
{
	static const char bad[] = "MSRP abcd SEND\r\nFrom-Path: " FROM "\r\n";
	char buf[1024];
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used, first = strlen(send_frame);

	snprintf(buf, sizeof(buf), "%s%s", send_frame, bad);
	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)buf, strlen(buf), &used, &f), MSRP_OK);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)buf + used, strlen(buf) - used, &used, &f),
	             MSRP_ERR_HEADER_ORDER);
	cr_expect_eq(msrp_parser_error_offset(&p), first);
	/* Detected at the end of the offending line. */
	cr_expect_eq(msrp_parser_error_pos(&p), strlen(buf) - 1);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)"MSRP", 4, &used, &f), MSRP_ERR_HEADER_ORDER);
	cr_expect_eq(used, 0);
	cr_expect_eq(msrp_parser_finish(&p), MSRP_ERR_HEADER_ORDER);
	cr_expect_str_eq(msrp_rc_name(MSRP_ERR_HEADER_ORDER), "header_order");
}

Test(msrp_parse_api, init_rejects_bad_limits)
{
	struct msrp_parser p;
	struct msrp_limits lim;

	msrp_limits_default(&lim);
	cr_expect_eq(msrp_parser_init(&p, &lim, hdr_buf, 100), -EINVAL);
	cr_expect_eq(msrp_parser_init(&p, &lim, NULL, sizeof(hdr_buf)), -EINVAL);
	lim.max_headers = MSRP_HEADERS_MAX + 1;
	cr_expect_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), -EINVAL);
	msrp_limits_default(&lim);
	lim.max_body_segs = 0;
	cr_expect_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), -EINVAL);
	msrp_limits_default(&lim);
	lim.max_body_bytes = 0; /* empty bodies only: valid */
	cr_expect_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
}

Test(msrp_parse_api, header_count_limit)
{
	struct msrp_parser p;
	struct msrp_limits lim;
	struct msrp_frame f;
	size_t used;

	msrp_limits_default(&lim);
	lim.max_headers = 8;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_OK);
	lim.max_headers = 7;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_ERR_TOO_LARGE);
}

Test(msrp_parse_api, body_limit_exact_boundary)
{
	struct msrp_parser p;
	struct msrp_limits lim;
	struct msrp_frame f;
	size_t used;

	msrp_limits_default(&lim);
	lim.max_body_bytes = 23;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_OK);
	lim.max_body_bytes = 22;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_ERR_TOO_LARGE);
}

Test(msrp_parse_api, body_limit_bounds_the_scan)
{
	/* A body with no end-line: the parser stops one byte past the limit, not at len. */
	static uint8_t big[1 << 16];
	const char *hdr = "MSRP abcd SEND\r\nTo-Path: " TO "\r\nFrom-Path: " FROM
	                  "\r\nMessage-ID: m1234\r\nContent-Type: text/plain\r\n\r\n";
	size_t hl = strlen(hdr), used;
	struct msrp_parser p;
	struct msrp_limits lim;
	struct msrp_frame f;

	memset(big, 'x', sizeof(big));
	memcpy(big, hdr, hl);
	msrp_limits_default(&lim);
	lim.max_body_bytes = 1000;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	cr_expect_eq(msrp_parser_feed(&p, big, sizeof(big), &used, &f), MSRP_ERR_TOO_LARGE);
	cr_expect_lt(used, hl + 1000 + 64);
}

Test(msrp_parse_api, too_fragmented_when_body_spans_too_many_buffers)
{
	struct msrp_parser p;
	struct msrp_limits lim;
	struct msrp_frame f;
	size_t len = strlen(send_frame), used, off = 0;
	uint8_t *pieces[1024];
	enum msrp_rc rc = MSRP_AGAIN;
	int n = 0;

	msrp_limits_default(&lim);
	lim.max_body_segs = 4;
	cr_assert_eq(msrp_parser_init(&p, &lim, hdr_buf, sizeof(hdr_buf)), 0);
	while (off < len && rc == MSRP_AGAIN) {
		pieces[n] = malloc(1);
		pieces[n][0] = (uint8_t)send_frame[off++];
		rc = msrp_parser_feed(&p, pieces[n], 1, &used, &f);
		n++;
	}
	cr_expect_eq(rc, MSRP_ERR_TOO_FRAGMENTED);
	for (int k = 0; k < n; k++)
		free(pieces[k]);
}

Test(msrp_parse_api, ident_rules)
{
	cr_expect(msrp_ident_valid((const uint8_t *)"a1b2", 4));
	cr_expect(msrp_ident_valid((const uint8_t *)"9.-+%=", 6));
	cr_expect_not(msrp_ident_valid((const uint8_t *)"abc", 3));
	cr_expect_not(msrp_ident_valid((const uint8_t *)".abc", 4));
	cr_expect_not(msrp_ident_valid((const uint8_t *)"ab_c", 4));
	cr_expect(msrp_ident_valid((const uint8_t *)"abcdefghijklmnopqrstuvwxyz012345", 32));
	cr_expect_not(msrp_ident_valid((const uint8_t *)"abcdefghijklmnopqrstuvwxyz0123456", 33));
}

Test(msrp_parse_api, names)
{
	cr_expect_str_eq(msrp_hdr_name(MSRP_HDR_BYTE_RANGE), "Byte-Range");
	cr_expect_null(msrp_hdr_name(MSRP_HDR_EXTENSION));
	cr_expect_str_eq(msrp_rc_name(MSRP_ERR_TRUNCATED), "truncated");
	cr_expect_str_eq(msrp_rc_name((enum msrp_rc)999), "unknown");
}

Test(msrp_parse_api, response_status_and_comment)
{
	static const char r[] = "MSRP d93kswow 413 Stop sending\r\nTo-Path: " FROM
	                        "\r\nFrom-Path: " TO "\r\n-------d93kswow$\r\n";
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used;

	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)r, strlen(r), &used, &f), MSRP_OK);
	cr_expect_eq(f.kind, MSRP_KIND_RESPONSE);
	cr_expect_eq(f.status_code, 413);
	cr_expect_eq(f.comment.len, 12);
	cr_expect_not(f.has_body);
	cr_expect_eq(f.n_body_segs, 0);
	cr_expect_eq(f.flag, MSRP_FLAG_END);
}

Test(msrp_parse_api, every_typed_header_is_recognised_case_insensitively)
{
	static const char r[] = "MSRP 49fi AUTH\r\n"
	                        "to-path: " TO "\r\n"
	                        "FROM-PATH: " FROM "\r\n"
	                        "message-ID: abcd1234\r\n"
	                        "success-report: no\r\n"
	                        "FAILURE-REPORT: yes\r\n"
	                        "byte-range: 1-*/*\r\n"
	                        "STATUS: 000 200\r\n"
	                        "use-path: " TO "\r\n"
	                        "expires: 900\r\n"
	                        "MIN-EXPIRES: 300\r\n"
	                        "max-expires: 4294967295\r\n"
	                        "www-authenticate: Digest realm=\"x\"\r\n"
	                        "authorization: Digest username=\"a\"\r\n"
	                        "authentication-INFO: nextnonce=\"1\"\r\n"
	                        "Content-Length-Ish: 1\r\n"
	                        "content-id: <a@b>\r\n"
	                        "Content-Foo: x\r\n"
	                        "CONTENT-TYPE: text/plain\r\n"
	                        "\r\n"
	                        "hi\r\n"
	                        "-------49fi$\r\n";
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used;

	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)r, strlen(r), &used, &f), MSRP_OK);
	cr_expect_eq(f.method, MSRP_METHOD_AUTH);
	for (int id = 0; id < MSRP_HDR_TYPED_COUNT; id++)
		cr_expect_geq(f.hdr_index[id], 0, "%s not recognised", msrp_hdr_name(id));
	cr_expect_eq(f.hdrs[14].id, MSRP_HDR_MIME_OTHER);
	cr_expect_eq(f.hdrs[15].id, MSRP_HDR_MIME_OTHER);
	cr_expect_eq(f.hdrs[16].id, MSRP_HDR_MIME_OTHER);
	cr_expect_eq(f.hdrs[17].id, MSRP_HDR_CONTENT_TYPE);
	cr_expect_eq(f.expires, 900);
	cr_expect_eq(f.min_expires, 300);
	cr_expect_eq(f.max_expires, 4294967295u);
	cr_expect_eq(f.status.code, 200);
	cr_expect_null(f.status.reason.p);
	cr_expect_eq(f.success_report, MSRP_REPORT_NO);
	cr_expect_eq(f.failure_report, MSRP_REPORT_YES);
	cr_expect_not(f.byte_range.end_known);
	cr_expect_eq(f.body_len, 2);
}

Test(msrp_parse_api, numeric_limits)
{
	static const char *const cases[][2] = {
	        {"Expires: 4294967296", "header_syntax"},
	        {"Byte-Range: 1-18446744073709551615/18446744073709551615", "ok"},
	        {"Byte-Range: 1-18446744073709551616/*", "bad_byte_range"},
	        {"Byte-Range: 1-99999999999999999999/*", "bad_byte_range"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char r[1024];
		struct msrp_parser p;
		struct msrp_frame f;
		size_t used;
		enum msrp_rc rc;

		snprintf(r, sizeof(r),
		         "MSRP abcd SEND\r\nTo-Path: " TO "\r\nFrom-Path: " FROM
		         "\r\nMessage-ID: m1234\r\n%s\r\n-------abcd$\r\n",
		         cases[k][0]);
		init_default(&p);
		rc = msrp_parser_feed(&p, (uint8_t *)r, strlen(r), &used, &f);
		cr_expect_str_eq(msrp_rc_name(rc), cases[k][1], "%s", cases[k][0]);
	}
}

Test(msrp_parse_api, path_cache_never_accepts_a_different_value)
{
	/* Same length as TO but one octet changed into something invalid: must be refused. */
	char bad_to[] = TO;
	char r[2048];
	struct msrp_parser p;
	struct msrp_frame f;
	size_t used;

	bad_to[10] = '\x01';
	init_default(&p);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_OK);
	cr_assert_eq(msrp_parser_feed(&p, (uint8_t *)send_frame, strlen(send_frame), &used, &f),
	             MSRP_OK);
	snprintf(r, sizeof(r),
	         "MSRP abcd 200 OK\r\nTo-Path: %s\r\nFrom-Path: " FROM "\r\n-------abcd$\r\n",
	         bad_to);
	cr_expect_eq(msrp_parser_feed(&p, (uint8_t *)r, strlen(r), &used, &f),
	             MSRP_ERR_HEADER_SYNTAX);
}

Test(msrp_parse_api, header_name_folding_is_exact)
{
	/* Octets that become '-' / ':' / a letter under a blind | 0x20 must not match. */
	static const char *const names[] = {"To\rPath",    "To\x8dPath", "\xd4o-Path",
	                                    "To-Path\x1a", "to-path ",   "To_Path"};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char r[1024];
		struct msrp_parser p;
		struct msrp_frame f;
		size_t used;
		enum msrp_rc rc;

		snprintf(r, sizeof(r),
		         "MSRP abcd 200 OK\r\n%s: " TO "\r\nFrom-Path: " FROM
		         "\r\n-------abcd$\r\n",
		         names[k]);
		init_default(&p);
		rc = msrp_parser_feed(&p, (uint8_t *)r, strlen(r), &used, &f);
		cr_expect(rc == MSRP_ERR_HEADER_SYNTAX || rc == MSRP_ERR_HEADER_ORDER,
		          "name %zu accepted (%s)", k, msrp_rc_name(rc));
	}
}
