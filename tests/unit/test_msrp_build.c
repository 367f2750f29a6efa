/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP builders: byte-exact SEND / response / REPORT / re-header outputs (modelled on the
 * RFC 4975 §7 examples), capacity and argument checks, and roundtrips through the parser.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "msrp/msrp.h"
#include "msrp/msrp_build.h"

#define ALICE "msrp://atlanta.example.com:7654/jshA7weztas;tcp"
#define BOB   "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"
#define RELAY "msrp://relay.example.com:2855/r9sk2;tcp"

static struct msrp_span
S(const char *s) {
	return (struct msrp_span){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static bool
span_is(struct msrp_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

static struct msrp_parser parser;
static uint8_t parser_hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];

/* Parse exactly one frame occupying all of buf[0, len), fed in two pieces at split. */
static void
parse_one(const uint8_t *buf, size_t len, size_t split, struct msrp_frame *f)
{
	size_t used = 0, used2 = 0;
	enum msrp_rc rc;

	cr_assert_eq(msrp_parser_init(&parser, NULL, parser_hdr, sizeof(parser_hdr)), 0);
	if (split > 0 && split < len) {
		rc = msrp_parser_feed(&parser, buf, split, &used, f);
		cr_assert_eq(rc, MSRP_AGAIN, "first piece: %s", msrp_rc_name(rc));
		cr_assert_eq(used, split);
	} else {
		split = 0;
	}
	rc = msrp_parser_feed(&parser, buf + split, len - split, &used2, f);
	cr_assert_eq(rc, MSRP_OK, "parse: %s at %llu\n%.*s", msrp_rc_name(rc),
	             (unsigned long long)msrp_parser_error_pos(&parser), (int)len, buf);
	cr_assert_eq(split + used2, len, "frame did not use the whole buffer");
}

static const char rfc_send[] = "MSRP a786hjs2 SEND\r\n"
                               "To-Path: " BOB "\r\n"
                               "From-Path: " ALICE "\r\n"
                               "Message-ID: 87652491\r\n"
                               "Byte-Range: 1-23/23\r\n"
                               "Content-Type: text/plain\r\n"
                               "\r\n"
                               "Hey Bob, are you there?\r\n"
                               "-------a786hjs2$\r\n";

static struct msrp_build_req
rfc_send_req(void)
{
	return (struct msrp_build_req){
	        .method = S("SEND"),
	        .tid = S("a786hjs2"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .message_id = S("87652491"),
	        .has_byte_range = true,
	        .byte_range = {.start = 1,
	                       .end = 23,
	                       .total = 23,
	                       .end_known = true,
	                       .total_known = true},
	        .content_type = S("text/plain"),
	        .has_body = true,
	        .body_len = 23,
	        .flag = MSRP_FLAG_END,
	};
}

/* RFC 4975 §7.1 example SEND (with the Byte-Range matching its 23-byte body). */
Test(msrp_build, send_rfc_example_exact_and_parsed)
{
	struct msrp_build_req r = rfc_send_req();
	uint8_t out[512];
	ssize_t n =
	        msrp_build_send(&r, (const uint8_t *)"Hey Bob, are you there?", out, sizeof(out));
	struct msrp_frame f;

	cr_assert_eq(n, (ssize_t)strlen(rfc_send), "%zd", n);
	cr_assert_eq(memcmp(out, rfc_send, (size_t)n), 0, "%.*s", (int)n, out);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_assert_eq(
		        msrp_build_send(&r, (const uint8_t *)"Hey Bob, are you there?", out, cap),
		        -ENOSPC, "cap %zu", cap);

	n = msrp_build_send(&r, (const uint8_t *)"Hey Bob, are you there?", out, sizeof(out));
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_eq(f.kind, MSRP_KIND_REQUEST);
	cr_assert_eq(f.method, MSRP_METHOD_SEND);
	cr_assert(span_is(f.tid, "a786hjs2"));
	cr_assert(span_is(f.message_id, "87652491"));
	cr_assert_eq(f.byte_range.start, 1);
	cr_assert_eq(f.byte_range.end, 23);
	cr_assert_eq(f.byte_range.total, 23);
	cr_assert_eq(f.flag, MSRP_FLAG_END);
	cr_assert_eq(f.body_len, 23);
	cr_assert(span_is(f.content_type, "text/plain"));
}

Test(msrp_build, head_and_end_split_for_zero_copy)
{
	struct msrp_build_req r = rfc_send_req();
	uint8_t head[256], end[MSRP_BUILD_END_MAX];
	ssize_t h = msrp_build_req_head(&r, head, sizeof(head));
	ssize_t e = msrp_build_end(r.tid, true, MSRP_FLAG_END, end, sizeof(end));
	size_t body_off = strlen(rfc_send) - 23 - strlen("\r\n-------a786hjs2$\r\n");

	cr_assert_eq(h, (ssize_t)body_off);
	cr_assert_eq(memcmp(head, rfc_send, (size_t)h), 0);
	cr_assert_eq(e, (ssize_t)strlen("\r\n-------a786hjs2$\r\n"));
	cr_assert_eq(memcmp(end, "\r\n-------a786hjs2$\r\n", (size_t)e), 0);
	for (size_t cap = 0; cap < (size_t)e; cap++)
		cr_assert_eq(msrp_build_end(r.tid, true, MSRP_FLAG_END, end, cap), -ENOSPC);
	/* A 32-char tid fills MSRP_BUILD_END_MAX exactly. */
	cr_assert_eq(msrp_build_end(S("abcdefghijklmnopqrstuvwxyz012345"), true, MSRP_FLAG_ABORT,
	                            end, sizeof(end)),
	             MSRP_BUILD_END_MAX);
	cr_assert_eq(end[MSRP_BUILD_END_MAX - 3], '#');
}

Test(msrp_build, interruptible_chunks_and_flags)
{
	static const char want1[] = "MSRP tid1abcd SEND\r\n"
	                            "To-Path: " RELAY " " BOB "\r\n"
	                            "From-Path: " ALICE "\r\n"
	                            "Message-ID: m.-+%=1\r\n"
	                            "Success-Report: yes\r\n"
	                            "Failure-Report: partial\r\n"
	                            "Byte-Range: 1-*/*\r\n"
	                            "X-Ext: 1\r\n"
	                            "Content-ID: <c1@x>\r\n"
	                            "Content-Type: message/cpim\r\n"
	                            "\r\n"
	                            "abcde\r\n"
	                            "-------tid1abcd+\r\n";
	static const char want2[] = "MSRP tid2abcd SEND\r\n"
	                            "To-Path: " RELAY " " BOB "\r\n"
	                            "From-Path: " ALICE "\r\n"
	                            "Message-ID: m.-+%=1\r\n"
	                            "Byte-Range: 6-8/8\r\n"
	                            "Content-Type: message/cpim\r\n"
	                            "\r\n"
	                            "fgh\r\n"
	                            "-------tid2abcd$\r\n";
	struct msrp_build_hdr ext = {S("X-Ext"), S("1")}, mime = {S("Content-ID"), S("<c1@x>")};
	struct msrp_build_req r = {
	        .method = S("SEND"),
	        .tid = S("tid1abcd"),
	        .to_path = S(RELAY " " BOB),
	        .from_path = S(ALICE),
	        .message_id = S("m.-+%=1"),
	        .success_report = MSRP_REPORT_YES,
	        .failure_report = MSRP_REPORT_PARTIAL,
	        .has_byte_range = true,
	        .byte_range = {.start = 1},
	        .ext = &ext,
	        .n_ext = 1,
	        .mime = &mime,
	        .n_mime = 1,
	        .content_type = S("message/cpim"),
	        .has_body = true,
	        .body_len = 5,
	        .flag = MSRP_FLAG_MORE,
	};
	uint8_t out[512];
	ssize_t n = msrp_build_send(&r, (const uint8_t *)"abcde", out, sizeof(out));
	struct msrp_frame f;

	cr_assert_eq(n, (ssize_t)strlen(want1), "%.*s", (int)(n > 0 ? n : 0), out);
	cr_assert_eq(memcmp(out, want1, (size_t)n), 0, "%.*s", (int)n, out);
	parse_one(out, (size_t)n, 40, &f);
	cr_assert_eq(f.flag, MSRP_FLAG_MORE);
	cr_assert_not(f.byte_range.end_known);
	cr_assert_eq(f.to_path_count, 2);
	cr_assert_eq(f.success_report, MSRP_REPORT_YES);
	cr_assert_eq(f.failure_report, MSRP_REPORT_PARTIAL);

	r = (struct msrp_build_req){
	        .method = S("SEND"),
	        .tid = S("tid2abcd"),
	        .to_path = S(RELAY " " BOB),
	        .from_path = S(ALICE),
	        .message_id = S("m.-+%=1"),
	        .has_byte_range = true,
	        .byte_range =
	                {.start = 6, .end = 8, .total = 8, .end_known = true, .total_known = true},
	        .content_type = S("message/cpim"),
	        .has_body = true,
	        .body_len = 3,
	        .flag = MSRP_FLAG_END,
	};
	n = msrp_build_send(&r, (const uint8_t *)"fgh", out, sizeof(out));
	cr_assert_eq(n, (ssize_t)strlen(want2));
	cr_assert_eq(memcmp(out, want2, (size_t)n), 0, "%.*s", (int)n, out);
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_eq(f.byte_range.start, 6);
}

/* A bodiless SEND binds the connection (MCN-03): no content-stuff, end-line after headers. */
Test(msrp_build, bodiless_send)
{
	static const char want[] = "MSRP bind0001 SEND\r\n"
	                           "To-Path: " BOB "\r\n"
	                           "From-Path: " ALICE "\r\n"
	                           "Message-ID: mbind0001\r\n"
	                           "Byte-Range: 1-0/0\r\n"
	                           "-------bind0001$\r\n";
	struct msrp_build_req r = {
	        .method = S("SEND"),
	        .tid = S("bind0001"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .message_id = S("mbind0001"),
	        .has_byte_range = true,
	        .byte_range =
	                {.start = 1, .end = 0, .total = 0, .end_known = true, .total_known = true},
	        .flag = MSRP_FLAG_END,
	};
	uint8_t out[256];
	ssize_t n = msrp_build_send(&r, NULL, out, sizeof(out));
	struct msrp_frame f;

	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "%.*s", (int)n, out);
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_not(f.has_body);
	cr_assert_eq(f.body_len, 0);
}

Test(msrp_build, invalid_arguments)
{
	struct msrp_build_req good = rfc_send_req(), r;
	uint8_t out[512];
	const uint8_t *body = (const uint8_t *)"Hey Bob, are you there?";

	cr_assert_gt(msrp_build_send(&good, body, out, sizeof(out)), 0);
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		r = good;                                                                          \
		stmt;                                                                              \
		cr_assert_eq(msrp_build_send(&r, body, out, sizeof(out)), -EINVAL, #stmt);         \
	} while (0)
	BAD(r.tid = S("abc"));                               /* 3 chars */
	BAD(r.tid = S("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 chars */
	BAD(r.tid = S("-abcd"));
	BAD(r.tid = S("ab cd"));
	BAD(r.method = S("send"));
	BAD(r.method = S(""));
	BAD(r.to_path = S(""));
	BAD(r.to_path = S(BOB "\r\nX: y"));
	BAD(r.from_path = S(" " ALICE));
	BAD(r.from_path = S(ALICE "  " BOB));
	BAD(r.message_id = S("")); /* SEND needs one */
	BAD(r.message_id = S("bad id"));
	BAD(r.success_report = MSRP_REPORT_PARTIAL);
	BAD(r.byte_range.start = 0);
	BAD(r.byte_range.end = 22);   /* inconsistent with 23 data bytes (MCH-03) */
	BAD(r.byte_range.total = 22); /* end beyond total */
	BAD(r.content_type = S(""));  /* data without Content-Type (MFR-06) */
	BAD(r.content_type = S("text/plain\r\n"));
	BAD(r.has_body = false); /* body_len without content-stuff */
	BAD(r.flag = (enum msrp_flag)'x');
	BAD((r.has_status = true, r.status.code = 20));
	BAD(r.method = S("REPORT")); /* a REPORT needs a Status */
	r = good;                    /* the same REPORT with a Status and a Message-ID is fine */
	r.method = S("REPORT");
	r.has_status = true;
	r.status.code = 200;
	cr_assert_gt(msrp_build_send(&r, body, out, sizeof(out)), 0);
	BAD((r.method = S("REPORT"), r.has_status = true, r.status.code = 200,
	     r.message_id = S("")));
#undef BAD
	cr_assert_eq(msrp_build_send(&good, NULL, out, sizeof(out)), -EINVAL);
	cr_assert_eq(msrp_build_end(S("ab"), true, MSRP_FLAG_END, out, sizeof(out)), -EINVAL);
	cr_assert_eq(msrp_build_end(S("abcd"), true, (enum msrp_flag)0, out, sizeof(out)), -EINVAL);
}

/* The straightforward reading of the To-Path/From-Path rule, one byte at a time. */
static bool
path_ok_reference(const uint8_t *p, size_t len)
{
	uint8_t prev = ' ';

	if (len == 0 || p[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == ' ' && prev == ' '))
			return false;
		prev = p[i];
	}
	return true;
}

/*
 * The path check works 8 bytes at a time: it must agree with the byte-wise rule for every
 * length and every position of a space pair (inside a word and across two words), of a
 * control, DEL and of the bytes next to them (0x1f/0x20, 0x7e/0x7f/0x80, 0xff).
 */
Test(msrp_build, path_check_matches_bytewise_rule)
{
	static const uint8_t alphabet[] = {'a',  ' ',  0x1f, 0x7f, 0x80,
	                                   0xff, 0x00, 0x7e, 0x21, '\r'};
	struct msrp_build_req r = rfc_send_req();
	const uint8_t *body = (const uint8_t *)"Hey Bob, are you there?";
	uint8_t path[40], out[512];
	uint32_t seed = 12345;
	unsigned int accepted = 0;

	for (int n = 0; n < 200000; n++) {
		size_t len = 1 + (size_t)n % sizeof(path);

		memset(path, 'u', len);
		/* 1..3 special bytes at random positions (xorshift32). */
		for (int k = 0, m = 1 + n % 3; k < m; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			path[seed % len] = alphabet[(seed >> 8) % sizeof(alphabet)];
		}
		r.to_path = (struct msrp_span){path, (uint32_t)len};
		bool want = path_ok_reference(path, len);
		ssize_t got = msrp_build_send(&r, body, out, sizeof(out));

		cr_assert_eq(got > 0, want, "len %zu: got %zd want %d", len, got, want);
		accepted += want;
	}
	/* Both outcomes were exercised many times. */
	cr_assert_gt(accepted, 20000);
	cr_assert_lt(accepted, 180000);
}

static const char rfc_ok[] = "MSRP a786hjs2 200 OK\r\n"
                             "To-Path: " ALICE "\r\n"
                             "From-Path: " BOB "\r\n"
                             "-------a786hjs2$\r\n";

/* RFC 4975 §7.1 example response. */
Test(msrp_build, response_rfc_example)
{
	uint8_t out[256];
	ssize_t n = msrp_build_response(S("a786hjs2"), 200, S("OK"), S(ALICE), S(BOB), out,
	                                sizeof(out));
	struct msrp_frame f;

	cr_assert_eq(n, (ssize_t)strlen(rfc_ok));
	cr_assert_eq(memcmp(out, rfc_ok, (size_t)n), 0, "%.*s", (int)n, out);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_assert_eq(msrp_build_response(S("a786hjs2"), 200, S("OK"), S(ALICE), S(BOB), out,
		                                 cap),
		             -ENOSPC);
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_eq(f.kind, MSRP_KIND_RESPONSE);
	cr_assert_eq(f.status_code, 200);
	cr_assert(span_is(f.comment, "OK"));

	/* Without a comment; multi-URI paths are refused (exactly one URI each). */
	n = msrp_build_response(S("a786hjs2"), 413, S(""), S(ALICE), S(BOB), out, sizeof(out));
	cr_assert_eq(memcmp(out, "MSRP a786hjs2 413\r\n", 19), 0);
	cr_assert_eq(msrp_build_response(S("a786hjs2"), 200, S("OK"), S(RELAY " " ALICE), S(BOB),
	                                 out, sizeof(out)),
	             -EINVAL);
	cr_assert_eq(
	        msrp_build_response(S("a786hjs2"), 99, S("OK"), S(ALICE), S(BOB), out, sizeof(out)),
	        -EINVAL);
	cr_assert_eq(msrp_build_response(S("a786hjs2"), 200, S("O\nK"), S(ALICE), S(BOB), out,
	                                 sizeof(out)),
	             -EINVAL);
}

/* §7.2: the response goes to the previous hop = first From-Path URI, even through a relay. */
Test(msrp_build, response_to_parsed_request)
{
	static const char via_relay[] = "MSRP x9s8d7f6 SEND\r\n"
	                                "To-Path: " BOB "\r\n"
	                                "From-Path: " RELAY " " ALICE "\r\n"
	                                "Message-ID: 4532\r\n"
	                                "Byte-Range: 1-2/2\r\n"
	                                "Content-Type: text/plain\r\n\r\nhi\r\n"
	                                "-------x9s8d7f6$\r\n";
	static const char want[] = "MSRP x9s8d7f6 481 Session Does Not Exist\r\n"
	                           "To-Path: " RELAY "\r\n"
	                           "From-Path: " BOB "\r\n"
	                           "-------x9s8d7f6$\r\n";
	struct msrp_frame f, resp;
	uint8_t out[256];
	ssize_t n;

	parse_one((const uint8_t *)rfc_send, strlen(rfc_send), 0, &f);
	n = msrp_build_response_to(&f, 200, NULL, (struct msrp_span){NULL, 0}, out, sizeof(out));
	cr_assert_eq(n, (ssize_t)strlen(rfc_ok));
	cr_assert_eq(memcmp(out, rfc_ok, (size_t)n), 0, "%.*s", (int)n, out);

	parse_one((const uint8_t *)via_relay, strlen(via_relay), 0, &f);
	n = msrp_build_response_to(&f, 481, NULL, S(BOB), out, sizeof(out));
	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "%.*s", (int)n, out);
	n = msrp_build_response_to(&f, 400, "Bad Byte-Range", S(BOB), out, sizeof(out));
	cr_assert_eq(memcmp(out, "MSRP x9s8d7f6 400 Bad Byte-Range\r\n", 34), 0);

	parse_one(out, (size_t)n, 0, &resp);
	cr_assert_eq(msrp_build_response_to(&resp, 200, NULL, S(BOB), out, sizeof(out)), -EINVAL);
}

/* §7.1.2 success and failure REPORTs: To-Path is the SEND's whole From-Path. */
Test(msrp_build, reports)
{
	static const char want_ok[] = "MSRP dkei38sd REPORT\r\n"
	                              "To-Path: " ALICE "\r\n"
	                              "From-Path: " BOB "\r\n"
	                              "Message-ID: 87652491\r\n"
	                              "Byte-Range: 1-23/23\r\n"
	                              "Status: 000 200 OK\r\n"
	                              "-------dkei38sd$\r\n";
	static const char want_fail[] = "MSRP dkei38se REPORT\r\n"
	                                "To-Path: " RELAY " " ALICE "\r\n"
	                                "From-Path: " BOB "\r\n"
	                                "Message-ID: 4532\r\n"
	                                "Byte-Range: 1-2/2\r\n"
	                                "Status: 000 408 Request Timeout\r\n"
	                                "-------dkei38se$\r\n";
	static const char relay_send[] = "MSRP x9s8d7f6 SEND\r\n"
	                                 "To-Path: " BOB "\r\n"
	                                 "From-Path: " RELAY " " ALICE "\r\n"
	                                 "Message-ID: 4532\r\n"
	                                 "Byte-Range: 1-*/*\r\n"
	                                 "Content-Type: text/plain\r\n\r\nhi\r\n"
	                                 "-------x9s8d7f6$\r\n";
	struct msrp_frame f, rep;
	uint8_t out[512];
	ssize_t n;

	parse_one((const uint8_t *)rfc_send, strlen(rfc_send), 0, &f);
	n = msrp_build_report_for(&f, S("dkei38sd"), S(BOB), 200, NULL, NULL, out, sizeof(out));
	cr_assert_eq(n, (ssize_t)strlen(want_ok), "%zd", n);
	cr_assert_eq(memcmp(out, want_ok, (size_t)n), 0, "%.*s", (int)n, out);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_assert_eq(
		        msrp_build_report_for(&f, S("dkei38sd"), S(BOB), 200, NULL, NULL, out, cap),
		        -ENOSPC);
	parse_one(out, (size_t)n, 0, &rep);
	cr_assert_eq(rep.method, MSRP_METHOD_REPORT);
	cr_assert_eq(rep.status.ns, 0);
	cr_assert_eq(rep.status.code, 200);
	cr_assert(span_is(rep.message_id, "87652491"));
	cr_assert_eq(msrp_build_report_for(&rep, S("dkei38sd"), S(BOB), 200, NULL, NULL, out,
	                                   sizeof(out)),
	             -EINVAL); /* never report on a REPORT */

	/* Unknown end and total: the report covers what this chunk ended at. */
	parse_one((const uint8_t *)relay_send, strlen(relay_send), 0, &f);
	n = msrp_build_report_for(&f, S("dkei38se"), S(BOB), 408, NULL, NULL, out, sizeof(out));
	cr_assert_eq(n, (ssize_t)strlen(want_fail));
	cr_assert_eq(memcmp(out, want_fail, (size_t)n), 0, "%.*s", (int)n, out);
	parse_one(out, (size_t)n, 0, &rep);
	cr_assert_eq(rep.status.code, 408);
	cr_assert_eq(rep.to_path_count, 2);

	struct msrp_byte_range part = {
	        .start = 1, .end = 1000, .total = 5000, .end_known = true, .total_known = true};

	n = msrp_build_report_for(&f, S("dkei38sf"), S(BOB), 413, "Too big", &part, out,
	                          sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_not_null(memmem(out, (size_t)n,
	                          "Byte-Range: 1-1000/5000\r\nStatus: 000 413 "
	                          "Too big\r\n",
	                          46));
	part.end = 6000;
	cr_assert_eq(msrp_build_report_for(&f, S("dkei38sf"), S(BOB), 413, NULL, &part, out,
	                                   sizeof(out)),
	             -EINVAL);
}

/* OMA final report (FDR-07, MRP-06): a REPORT with a body. */
Test(msrp_build, report_with_body)
{
	static const char doc[] = "<final-report/>";
	struct msrp_build_req r = {
	        .method = S("REPORT"),
	        .tid = S("fr000001"),
	        .to_path = S(ALICE),
	        .from_path = S(BOB),
	        .message_id = S("87652491"),
	        .has_byte_range = true,
	        .byte_range = {.start = 1,
	                       .end = 23,
	                       .total = 23,
	                       .end_known = true,
	                       .total_known = true},
	        .has_status = true,
	        .status = {.ns = 0, .code = 200, .reason = S("OK")},
	        .content_type = S("application/vnd.oma.poc.final-report+xml"),
	        .has_body = true,
	        .body_len = sizeof(doc) - 1,
	        .flag = MSRP_FLAG_END,
	};
	uint8_t out[512];
	ssize_t n = msrp_build_send(&r, (const uint8_t *)doc, out, sizeof(out));
	struct msrp_frame f;

	cr_assert_gt(n, 0);
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_eq(f.method, MSRP_METHOD_REPORT);
	cr_assert_eq(f.body_len, sizeof(doc) - 1);
	cr_assert_eq(f.byte_range.end, 23); /* the reported message's range, not the body's */
}

/* Switch forwarding (SWX-03): new tid and paths, forced reports (FDR-04), body untouched. */
Test(msrp_build, reheader_chains_original_body)
{
	static const char in[] = "MSRP a786hjs2 SEND\r\n"
	                         "To-Path: " BOB "\r\n"
	                         "From-Path: " ALICE "\r\n"
	                         "Message-ID: 87652491\r\n"
	                         "Failure-Report: no\r\n"
	                         "Byte-Range: 1-*/40\r\n"
	                         "X-Custom: keep me\r\n"
	                         "Content-Type: message/cpim\r\n"
	                         "\r\n"
	                         "0123456789-------a786hjs2$ not an end\r\n"
	                         "-------a786hjs2+\r\n";
	static const char want[] = "MSRP Zq9.x-2b8Ka1 SEND\r\n"
	                           "To-Path: " RELAY " msrp://carol.example.com:9/s3;tcp\r\n"
	                           "From-Path: msrp://switch.example.com:2855/leg7;tcp\r\n"
	                           "Success-Report: yes\r\n"
	                           "Message-ID: 87652491\r\n"
	                           "Failure-Report: yes\r\n"
	                           "Byte-Range: 1-*/40\r\n"
	                           "X-Custom: keep me\r\n"
	                           "Content-Type: message/cpim\r\n"
	                           "\r\n"
	                           "0123456789-------a786hjs2$ not an end\r\n"
	                           "-------Zq9.x-2b8Ka1+\r\n";
	struct msrp_reheader rh = {
	        .tid = S("Zq9.x-2b8Ka1"),
	        .to_path = S(RELAY " msrp://carol.example.com:9/s3;tcp"),
	        .from_path = S("msrp://switch.example.com:2855/leg7;tcp"),
	        .success_report = MSRP_REPORT_YES,
	        .failure_report = MSRP_REPORT_YES,
	};
	struct msrp_frame f, g;
	uint8_t wire[1024], head[512], end[MSRP_BUILD_END_MAX];
	size_t w = 0;
	ssize_t h, e;

	/* Two separate buffers, split inside the body: the body comes back as two spans that
	 * point into them (what a TCP segment chain gives the switch). */
	static uint8_t seg1[sizeof(in)], seg2[sizeof(in)];
	size_t split = strlen(in) - 30, used = 0;

	memcpy(seg1, in, split);
	memcpy(seg2, in + split, strlen(in) - split);
	cr_assert_eq(msrp_parser_init(&parser, NULL, parser_hdr, sizeof(parser_hdr)), 0);
	cr_assert_eq(msrp_parser_feed(&parser, seg1, split, &used, &f), MSRP_AGAIN);
	cr_assert_eq(msrp_parser_feed(&parser, seg2, strlen(in) - split, &used, &f), MSRP_OK);
	cr_assert_eq(f.n_body_segs, 2);
	h = msrp_build_reheader(&f, &rh, head, sizeof(head));
	cr_assert_gt(h, 0, "%zd", h);
	e = msrp_build_end(rh.tid, f.has_body, f.flag, end, sizeof(end));
	cr_assert_gt(e, 0);
	memcpy(wire, head, (size_t)h);
	w = (size_t)h;
	for (uint32_t i = 0; i < f.n_body_segs; i++) {
		/* Zero copy: the spans point into the input, not into a parser copy. */
		cr_assert((f.body_segs[i].p >= seg1 && f.body_segs[i].p < seg1 + sizeof(seg1)) ||
		          (f.body_segs[i].p >= seg2 && f.body_segs[i].p < seg2 + sizeof(seg2)));
		memcpy(wire + w, f.body_segs[i].p, f.body_segs[i].len);
		w += f.body_segs[i].len;
	}
	memcpy(wire + w, end, (size_t)e);
	w += (size_t)e;
	cr_assert_eq(w, strlen(want), "%zu\n%.*s", w, (int)w, wire);
	cr_assert_eq(memcmp(wire, want, w), 0, "%.*s", (int)w, wire);
	for (size_t cap = 0; cap < (size_t)h; cap++)
		cr_assert_eq(msrp_build_reheader(&f, &rh, head, cap), -ENOSPC);

	/* Keep reports, shift Byte-Range after a CPIM rewrite that grew the body by 12. */
	struct msrp_byte_range br = {.start = 1, .total = 49, .total_known = true};

	rh.success_report = MSRP_REPORT_ABSENT;
	rh.failure_report = MSRP_REPORT_ABSENT;
	rh.byte_range = &br;
	rh.body_len = 37 + 12;
	h = msrp_build_reheader(&f, &rh, head, sizeof(head));
	cr_assert_gt(h, 0);
	cr_assert_not_null(
	        memmem(head, (size_t)h, "Failure-Report: no\r\nByte-Range: 1-*/49\r\n", 40));
	cr_assert_null(memmem(head, (size_t)h, "Success-Report", 14));

	rh.tid = S("bad");
	cr_assert_eq(msrp_build_reheader(&f, &rh, head, sizeof(head)), -EINVAL);
	rh.tid = S("good1234");
	br.start = 0;
	cr_assert_eq(msrp_build_reheader(&f, &rh, head, sizeof(head)), -EINVAL);

	/* Last: parsing the output reuses the parser, which invalidates f's header table. */
	uint64_t in_body_len = f.body_len;

	parse_one(wire, w, 0, &g);
	cr_assert(span_is(g.tid, "Zq9.x-2b8Ka1"));
	cr_assert(span_is(g.message_id, "87652491"));
	cr_assert_eq(g.success_report, MSRP_REPORT_YES);
	cr_assert_eq(g.failure_report, MSRP_REPORT_YES);
	cr_assert_eq(g.body_len, in_body_len);
	cr_assert_eq(g.flag, MSRP_FLAG_MORE);
}

Test(msrp_build, status_comments)
{
	cr_assert_str_eq(msrp_status_comment(200), "OK");
	cr_assert_str_eq(msrp_status_comment(481), "Session Does Not Exist");
	cr_assert_str_eq(msrp_status_comment(506), "Session Already Bound");
	cr_assert_str_eq(msrp_status_comment(299), "");
}

/* Emitted header names: ALPHA *(ALPHANUM / "-" / "_"); '.', ':' and SP are refused. */
Test(msrp_build, ext_header_names)
{
	struct msrp_build_hdr ext = {S("X-Private_Hdr2"), S("anything: goes")};
	struct msrp_build_req r = {
	        .method = S("NICKNAME"),
	        .tid = S("n1ck0001"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .ext = &ext,
	        .n_ext = 1,
	        .flag = MSRP_FLAG_END,
	};
	uint8_t out[256];
	ssize_t n = msrp_build_send(&r, NULL, out, sizeof(out));
	struct msrp_frame f;

	cr_assert_gt(n, 0);
	cr_assert_not_null(memmem(out, (size_t)n, "\r\nX-Private_Hdr2: anything: goes\r\n", 34));
	parse_one(out, (size_t)n, 0, &f);
	cr_assert_eq(f.method, MSRP_METHOD_OTHER);
	ext.name = S("X.Bad");
	cr_assert_eq(msrp_build_send(&r, NULL, out, sizeof(out)), -EINVAL);
	ext.name = S("X Bad");
	cr_assert_eq(msrp_build_send(&r, NULL, out, sizeof(out)), -EINVAL);
	ext.name = S("X:Bad");
	cr_assert_eq(msrp_build_send(&r, NULL, out, sizeof(out)), -EINVAL);
	ext.name = S("9x");
	cr_assert_eq(msrp_build_send(&r, NULL, out, sizeof(out)), -EINVAL);
	ext.name = S("X-Ok");
	ext.value = S("a\r\nb");
	cr_assert_eq(msrp_build_send(&r, NULL, out, sizeof(out)), -EINVAL);
}

/* A chunk without Byte-Range re-headered with one: inserted after the paths, before MIME. */
Test(msrp_build, reheader_inserts_byte_range)
{
	static const char in[] = "MSRP a1b2c3d4 SEND\r\n"
	                         "To-Path: " BOB "\r\n"
	                         "From-Path: " ALICE "\r\n"
	                         "Message-ID: nobr0001\r\n"
	                         "Content-Type: text/plain\r\n"
	                         "\r\n"
	                         "hello\r\n"
	                         "-------a1b2c3d4$\r\n";
	static const char want[] = "MSRP e5f6g7h8 SEND\r\n"
	                           "To-Path: " BOB "\r\n"
	                           "From-Path: " ALICE "\r\n"
	                           "Byte-Range: 1-5/5\r\n"
	                           "Message-ID: nobr0001\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n";
	struct msrp_byte_range br = {
	        .start = 1, .end = 5, .total = 5, .end_known = true, .total_known = true};
	struct msrp_reheader rh = {
	        .tid = S("e5f6g7h8"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .byte_range = &br,
	        .body_len = 5,
	};
	struct msrp_frame f;
	uint8_t head[256];
	ssize_t h;

	parse_one((const uint8_t *)in, strlen(in), 0, &f);
	h = msrp_build_reheader(&f, &rh, head, sizeof(head));
	cr_assert_eq(h, (ssize_t)strlen(want), "%.*s", (int)(h > 0 ? h : 0), head);
	cr_assert_eq(memcmp(head, want, (size_t)h), 0, "%.*s", (int)h, head);
	br.end = 6; /* inconsistent with the 5 bytes the caller will chain */
	cr_assert_eq(msrp_build_reheader(&f, &rh, head, sizeof(head)), -EINVAL);
}

/* Content-stuff with zero data bytes: 2CRLF, empty data, CRLF, end-line (RFC 4975 §9). And a
 * REPORT for a SEND without Byte-Range covers the bytes that SEND carried (MCH-06). */
Test(msrp_build, empty_data_and_report_without_range)
{
	static const char want[] = "MSRP empty001 SEND\r\n"
	                           "To-Path: " BOB "\r\n"
	                           "From-Path: " ALICE "\r\n"
	                           "Message-ID: mempty01\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n"
	                           "\r\n"
	                           "-------empty001$\r\n";
	static const char nobr[] = "MSRP nobr0001 SEND\r\n"
	                           "To-Path: " BOB "\r\n"
	                           "From-Path: " ALICE "\r\n"
	                           "Message-ID: nobr0001\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n"
	                           "12345678\r\n"
	                           "-------nobr0001$\r\n";
	struct msrp_build_req r = {
	        .method = S("SEND"),
	        .tid = S("empty001"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .message_id = S("mempty01"),
	        .content_type = S("text/plain"),
	        .has_body = true,
	        .flag = MSRP_FLAG_END,
	};
	uint8_t out[512];
	ssize_t n = msrp_build_send(&r, NULL, out, sizeof(out));
	struct msrp_frame f;

	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "%.*s", (int)n, out);
	parse_one(out, (size_t)n, 0, &f);
	cr_assert(f.has_body);
	cr_assert_eq(f.body_len, 0);

	parse_one((const uint8_t *)nobr, strlen(nobr), 0, &f);
	n = msrp_build_report_for(&f, S("rep00001"), S(BOB), 200, NULL, NULL, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_not_null(
	        memmem(out, (size_t)n, "\r\nByte-Range: 1-8/8\r\nStatus: 000 200 OK\r\n", 40));
}
