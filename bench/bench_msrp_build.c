/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP builder and id generator costs on one core: msrp_id_next (16-char ident from the
 * ChaCha20 keystream), a SEND head + end for zero-copy forwarding, a 200 response and a
 * re-header of a parsed chunk for another leg (the switch's per-recipient work).
 * Prints one JSON line per case on stdout, nothing else:
 *   {"bench":"msrp_build","case":NAME,"ns_per_op":X,"ops":N}
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "msrp/msrp_id.h"

#include "bench_util.h"

#define BOB   "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"
#define ALICE "msrp://atlanta.example.com:7654/jshA7weztas;tcp"

static struct msrp_id_gen bench_gen;
static uint8_t bench_out[1024];

static struct msrp_span
S(const char *s) {
	return (struct msrp_span){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static long
bench_id(void)
{
	return msrp_id_next(&bench_gen, bench_out, MSRP_ID_LEN);
}

static long
bench_send_head(void)
{
	uint8_t tid[MSRP_ID_LEN];
	struct msrp_build_req r = {
	        .method = S("SEND"),
	        .to_path = S(BOB),
	        .from_path = S(ALICE),
	        .message_id = S("87652491"),
	        .has_byte_range = true,
	        .byte_range = {.start = 1,
	                       .end = 1024,
	                       .total = 1024,
	                       .end_known = true,
	                       .total_known = true},
	        .content_type = S("message/cpim"),
	        .has_body = true,
	        .body_len = 1024,
	        .flag = MSRP_FLAG_END,
	};
	ssize_t h;

	msrp_id_next(&bench_gen, tid, sizeof(tid));
	r.tid = (struct msrp_span){tid, sizeof(tid)};
	h = msrp_build_req_head(&r, bench_out, sizeof(bench_out));
	return h + msrp_build_end(r.tid, true, r.flag, bench_out + 512, 512);
}

static long
bench_response(void)
{
	return msrp_build_response(S("a786hjs2"), 200, S("OK"), S(ALICE), S(BOB), bench_out,
	                           sizeof(bench_out));
}

static struct msrp_parser bench_parser;
static uint8_t bench_hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
static struct msrp_frame bench_frame;

static long
bench_reheader(void)
{
	uint8_t tid[MSRP_ID_LEN];
	struct msrp_reheader rh = {
	        .to_path = S("msrp://carol.example.com:9/s3;tcp"),
	        .from_path = S("msrp://switch.example.com:2855/leg7;tcp"),
	        .success_report = MSRP_REPORT_YES,
	        .failure_report = MSRP_REPORT_YES,
	};

	msrp_id_next(&bench_gen, tid, sizeof(tid));
	rh.tid = (struct msrp_span){tid, sizeof(tid)};
	return msrp_build_reheader(&bench_frame, &rh, bench_out, sizeof(bench_out));
}

int
main(void)
{
	static const char in[] = "MSRP a786hjs2 SEND\r\n"
	                         "To-Path: " BOB "\r\n"
	                         "From-Path: " ALICE "\r\n"
	                         "Message-ID: 87652491\r\n"
	                         "Byte-Range: 1-23/23\r\n"
	                         "Content-Type: message/cpim\r\n"
	                         "\r\n"
	                         "Hey Bob, are you there?\r\n"
	                         "-------a786hjs2$\r\n";
	size_t used;

	if (msrp_id_gen_init(&bench_gen, 0) != 0 ||
	    msrp_parser_init(&bench_parser, NULL, bench_hdr, sizeof(bench_hdr)) != 0 ||
	    msrp_parser_feed(&bench_parser, (const uint8_t *)in, sizeof(in) - 1, &used,
	                     &bench_frame) != MSRP_OK ||
	    bench_reheader() <= 0 || bench_send_head() <= 0) {
		fprintf(stderr, "bench_msrp_build: self-check failed\n");
		return 1;
	}
	bench_run_ops("msrp_build", "id_next_16", bench_id);
	bench_run_ops("msrp_build", "send_head_and_end", bench_send_head);
	bench_run_ops("msrp_build", "response_200", bench_response);
	bench_run_ops("msrp_build", "reheader_chunk", bench_reheader);
	return 0;
}
