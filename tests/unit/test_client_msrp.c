/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-client's MSRP session (controlplane/client/cl_msrp.c) driven byte by byte, without a
 * socket: what it writes is parsed back with the MSRP parser and checked header by header.
 *  - binding: the bodiless SEND (RFC 4975 §5.4), its 200 or refusal; the passive side bound
 *    by the peer's SEND.
 *  - receiving: responses with swapped paths (§7.2) and Failure-Report no/partial,
 *    reassembly of interleaved chunked messages fed one byte at a time, '#' aborts, 413
 *    above max-size, 481 for another session, 501 for an unknown method, REPORTs never
 *    answered, success REPORT when asked (§7.1.2), CPIM unwrapped with the display name,
 *    final reports as REPORT and as SEND, framing errors fatal.
 *  - sending: chunking with Byte-Range and flags, SENT after the last 200, error responses
 *    and the 408 timeout, the CPIM/FR.Final-Report wrapping with Success-Report: yes, the
 *    transaction window and tx back-pressure.
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

#include "client/cl_msrp.h"
#include "cpim/cpim.h"
#include "fdr/fdr.h"
#include "msrp/msrp.h"

#define LOCAL  "msrp://10.0.0.1:40000/locSESSION01;tcp"
#define RELAY  "msrp://10.0.0.9:2855/relaySess;tcp"
#define REMOTE "msrp://10.0.0.2:2855/remSESSION02;tcp"
#define PEER   "msrp://10.0.0.2:2855/peerSess99;tcp" /* the far end's From-Path */
#define CONF   "sip:c123@10.0.0.1:5060"

#define EV_MAX  64
#define TX_CAP  (1u << 20)
#define TXT_CAP 8192

struct ev_rec {
	enum cl_msrp_ev_type type;
	char message_id[CL_MSRP_ID_CAP];
	uint16_t status;
	uint64_t bytes;
	char text[TXT_CAP]; /* MESSAGE content */
	char ctype[128];
	char from[128];
	char display[CL_MSRP_DISPLAY_CAP];
	char filename[CL_MSRP_FILENAME_CAP];
	enum cl_report_kind report;
	uint32_t n_rcpt;
	uint16_t rcpt_status[8];
	uint8_t rcpt_outcome[8];
};

struct harness {
	struct cl_msrp *m;
	uint8_t *tx;
	size_t tx_len;
	size_t tx_read; /* frames already checked */
	size_t pending; /* what tx_pending() reports */
	struct ev_rec ev[EV_MAX];
	unsigned int n_ev;
	struct msrp_parser p;
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
};

static struct harness H;

static int
h_tx(void *ctx, const uint8_t *p, size_t len)
{
	struct harness *h = ctx;

	cr_assert_leq(h->tx_len + len, TX_CAP);
	memcpy(h->tx + h->tx_len, p, len);
	h->tx_len += len;
	return 0;
}

static size_t
h_pending(void *ctx)
{
	return ((struct harness *)ctx)->pending;
}

static void
h_event(void *ctx, const struct cl_msrp_ev *ev)
{
	struct harness *h = ctx;
	struct ev_rec *r;

	cr_assert_lt(h->n_ev, EV_MAX);
	r = &h->ev[h->n_ev++];
	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	snprintf(r->message_id, sizeof(r->message_id), "%s",
	         ev->message_id != NULL ? ev->message_id : "");
	r->status = ev->status;
	r->bytes = ev->bytes;
	r->report = ev->report;
	if (ev->msg != NULL) {
		const struct cl_msg_view *v = ev->msg;

		snprintf(r->text, sizeof(r->text), "%.*s", (int)v->content.len,
		         (const char *)v->content.p);
		snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)v->content_type.len,
		         (const char *)v->content_type.p);
		snprintf(r->from, sizeof(r->from), "%.*s", (int)v->from_uri.len,
		         (const char *)v->from_uri.p);
		snprintf(r->display, sizeof(r->display), "%s", v->from_display);
		snprintf(r->filename, sizeof(r->filename), "%s", v->filename);
	}
	if (ev->final != NULL) {
		r->n_rcpt = ev->final->n_rcpt;
		for (uint32_t i = 0; i < ev->final->n_rcpt && i < 8; i++) {
			r->rcpt_status[i] = ev->final->rcpt[i].status;
			r->rcpt_outcome[i] = ev->final->rcpt[i].outcome;
		}
	}
}

static const struct cl_msrp_ops h_ops = {.tx = h_tx, .tx_pending = h_pending, .event = h_event};

static void
h_open(uint32_t chunk, uint64_t max_size)
{
	struct cl_msrp_cfg cfg = {
	        .local_uri = LOCAL,
	        .remote_path = RELAY " " REMOTE,
	        .from_uri = "sip:alice@example.com",
	        .from_display = "Alice",
	        .conf_uri = CONF,
	        .chunk_size = chunk,
	        .max_size = max_size,
	        .txn_timeout_ms = 1000,
	};

	memset(&H, 0, sizeof(H));
	H.tx = malloc(TX_CAP);
	cr_assert_not_null(H.tx);
	H.m = cl_msrp_create(&cfg, &h_ops, &H);
	cr_assert_not_null(H.m);
	cr_assert_eq(msrp_parser_init(&H.p, NULL, H.hdr, sizeof(H.hdr)), 0);
}

static void
h_close(void)
{
	cl_msrp_destroy(H.m);
	free(H.tx);
	H.m = NULL;
	H.tx = NULL;
}

/* Feeds text one byte at a time (the worst split). */
static void
feed_bytewise(const char *s)
{
	for (size_t i = 0; s[i] != '\0'; i++)
		cr_assert_eq(cl_msrp_rx(H.m, (const uint8_t *)s + i, 1, 0), 0, "at byte %zu", i);
}

static void
feed(const char *s)
{
	cr_assert_eq(cl_msrp_rx(H.m, (const uint8_t *)s, strlen(s), 0), 0);
}

/* The next frame the session wrote; false when there is none. */
static bool
next_frame(struct msrp_frame *f)
{
	size_t used = 0;
	enum msrp_rc rc;

	if (H.tx_read >= H.tx_len)
		return false;
	rc = msrp_parser_feed(&H.p, H.tx + H.tx_read, H.tx_len - H.tx_read, &used, f);
	cr_assert_eq(rc, MSRP_OK, "the client wrote invalid MSRP (%s): %.*s", msrp_rc_name(rc),
	             (int)(H.tx_len - H.tx_read), (const char *)H.tx + H.tx_read);
	H.tx_read += used;
	return true;
}

static bool
span_is(struct msrp_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static char *
span_str(struct msrp_span s)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, 512, "%.*s", (int)s.len, (const char *)s.p);
	return b;
}

/* A request from the peer: headers as given, body optional. */
static void
send_chunk(char *out, size_t cap, const char *tid, const char *to, const char *mid,
           const char *extra, const char *ctype, const char *body, char flag)
{
	if (ctype != NULL)
		snprintf(out, cap,
		         "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: " PEER "\r\nMessage-ID: %s\r\n"
		         "%sContent-Type: %s\r\n\r\n%s\r\n-------%s%c\r\n",
		         tid, to, mid, extra, ctype, body, tid, flag);
	else
		snprintf(out, cap,
		         "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: " PEER "\r\nMessage-ID: %s\r\n"
		         "%s-------%s%c\r\n",
		         tid, to, mid, extra, tid, flag);
}

/* The response the client wrote for tid: RFC 4975 §7.2 paths. */
static void
expect_response(const char *tid, uint16_t code)
{
	struct msrp_frame f;

	cr_assert(next_frame(&f), "no response for %s", tid);
	cr_assert_eq(f.kind, MSRP_KIND_RESPONSE);
	cr_assert(span_is(f.tid, tid), "tid %s", span_str(f.tid));
	cr_assert_eq(f.status_code, code, "status %u for %s", f.status_code, tid);
	cr_assert(span_is(f.to_path, PEER), "To-Path %s", span_str(f.to_path));
	cr_assert(span_is(f.from_path, LOCAL), "From-Path %s", span_str(f.from_path));
}

/* Makes the session bound (as the passive side) without leaving output behind. */
static void
bind_passive(void)
{
	char buf[512];

	send_chunk(buf, sizeof(buf), "bind0001", LOCAL, "mid0", "", NULL, NULL, '$');
	feed(buf);
	expect_response("bind0001", 200);
	cr_assert(cl_msrp_bound(H.m));
	H.n_ev = 0;
}

Test(client_msrp, bind_active)
{
	struct msrp_frame f;
	char resp[512], tid[64];

	h_open(2048, 1 << 20);
	cr_assert(!cl_msrp_bound(H.m));
	cr_assert_eq(cl_msrp_bind(H.m, 0), 0);
	cr_assert(next_frame(&f));
	cr_assert_eq(f.kind, MSRP_KIND_REQUEST);
	cr_assert_eq(f.method, MSRP_METHOD_SEND);
	cr_assert(!f.has_body, "RFC 4975 §5.4: the binding SEND has no body");
	cr_assert(span_is(f.to_path, RELAY " " REMOTE), "whole path: %s", span_str(f.to_path));
	cr_assert(span_is(f.from_path, LOCAL));
	cr_assert_gt(f.message_id.len, 0);
	cr_assert_eq(f.hdr_index[MSRP_HDR_CONTENT_TYPE], -1);
	cr_assert(!next_frame(&f));
	snprintf(tid, sizeof(tid), "%s", span_str(f.tid));
	snprintf(resp, sizeof(resp),
	         "MSRP %s 200 OK\r\nTo-Path: " LOCAL "\r\nFrom-Path: " RELAY "\r\n-------%s$\r\n",
	         tid, tid);
	feed_bytewise(resp);
	cr_assert(cl_msrp_bound(H.m));
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_BOUND);
	/* A repeated response changes nothing. */
	feed(resp);
	cr_assert_eq(H.n_ev, 1);
	h_close();
}

Test(client_msrp, bind_refused)
{
	struct msrp_frame f;
	char resp[512], tid[64];

	h_open(2048, 1 << 20);
	cr_assert_eq(cl_msrp_bind(H.m, 0), 0);
	cr_assert(next_frame(&f));
	snprintf(tid, sizeof(tid), "%s", span_str(f.tid));
	snprintf(resp, sizeof(resp),
	         "MSRP %s 481 Session Does Not Exist\r\nTo-Path: " LOCAL "\r\nFrom-Path: " RELAY
	         "\r\n-------%s$\r\n",
	         tid, tid);
	cr_assert_eq(cl_msrp_rx(H.m, (const uint8_t *)resp, strlen(resp), 0), -EPROTO);
	cr_assert(!cl_msrp_bound(H.m));
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_FATAL);
	cr_assert_eq(H.ev[0].status, 481);
	h_close();
}

Test(client_msrp, bind_timeout)
{
	h_open(2048, 1 << 20);
	cr_assert_eq(cl_msrp_bind(H.m, 0), 0);
	cl_msrp_tick(H.m, 999);
	cr_assert_eq(H.n_ev, 0);
	cl_msrp_tick(H.m, 1000);
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_FATAL);
	cr_assert_eq(H.ev[0].status, 408);
	h_close();
}

Test(client_msrp, passive_bound_by_peer)
{
	char buf[512];

	h_open(2048, 1 << 20);
	send_chunk(buf, sizeof(buf), "bind0001", LOCAL, "mid0", "Byte-Range: 1-0/0\r\n", NULL, NULL,
	           '$');
	feed_bytewise(buf);
	expect_response("bind0001", 200);
	cr_assert(cl_msrp_bound(H.m));
	cr_assert_eq(H.n_ev, 1, "bound only, a bodiless SEND is not a message");
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_BOUND);
	h_close();
}

Test(client_msrp, interleaved_chunks_bytewise)
{
	static const char cpim1[] = "From: \"Bob \\\"B\\\"\" <sip:bob@example.com>\r\n"
	                            "To: <" CONF ">\r\n"
	                            "\r\n"
	                            "Content-Type: text/plain;charset=UTF-8\r\n"
	                            "\r\n"
	                            "hello everyone, this is a longer text";
	size_t l1 = strlen(cpim1), a = 30, b = 70;
	char part[3][128], buf[1024], br[64];

	h_open(2048, 1 << 20);
	bind_passive();
	snprintf(part[0], sizeof(part[0]), "%.*s", (int)a, cpim1);
	snprintf(part[1], sizeof(part[1]), "%.*s", (int)(b - a), cpim1 + a);
	snprintf(part[2], sizeof(part[2]), "%s", cpim1 + b);
	/* M1 chunk 1, M2 chunk 1, M1 chunk 2, M2 chunk 2 ($), M1 chunk 3 ($). */
	snprintf(br, sizeof(br), "Byte-Range: 1-%zu/%zu\r\n", a, l1);
	send_chunk(buf, sizeof(buf), "t1ax", LOCAL, "M1id", br, "message/cpim", part[0], '+');
	feed_bytewise(buf);
	send_chunk(buf, sizeof(buf), "t2ax", LOCAL, "M2id", "Byte-Range: 1-6/11\r\n", "text/plain",
	           "hello ", '+');
	feed_bytewise(buf);
	snprintf(br, sizeof(br), "Byte-Range: %zu-%zu/%zu\r\n", a + 1, b, l1);
	send_chunk(buf, sizeof(buf), "t1bx", LOCAL, "M1id", br, "message/cpim", part[1], '+');
	feed_bytewise(buf);
	send_chunk(buf, sizeof(buf), "t2bx", LOCAL, "M2id", "Byte-Range: 7-11/11\r\n", "text/plain",
	           "world", '$');
	feed_bytewise(buf);
	cr_assert_eq(H.n_ev, 1, "M2 complete first");
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_MESSAGE);
	cr_assert_str_eq(H.ev[0].message_id, "M2id");
	cr_assert_str_eq(H.ev[0].text, "hello world");
	cr_assert_str_eq(H.ev[0].ctype, "text/plain");
	cr_assert_str_eq(H.ev[0].from, "", "no CPIM: no sender");
	/* The last chunk with an unknown total ('*'). */
	snprintf(br, sizeof(br), "Byte-Range: %zu-%zu/*\r\n", b + 1, l1);
	send_chunk(buf, sizeof(buf), "t1cx", LOCAL, "M1id", br, "message/cpim", part[2], '$');
	feed_bytewise(buf);
	cr_assert_eq(H.n_ev, 2);
	cr_assert_eq(H.ev[1].type, CL_MSRP_EV_MESSAGE);
	cr_assert_str_eq(H.ev[1].message_id, "M1id");
	cr_assert_str_eq(H.ev[1].text, "hello everyone, this is a longer text");
	cr_assert_str_eq(H.ev[1].ctype, "text/plain;charset=UTF-8");
	cr_assert_str_eq(H.ev[1].from, "sip:bob@example.com");
	cr_assert_str_eq(H.ev[1].display, "Bob \"B\"", "quoted-pairs resolved");
	/* Every chunk got its 200, in order, paths swapped. */
	expect_response("t1ax", 200);
	expect_response("t2ax", 200);
	expect_response("t1bx", 200);
	expect_response("t2bx", 200);
	expect_response("t1cx", 200);
	cr_assert(!next_frame(&(struct msrp_frame){0}));
	h_close();
}

Test(client_msrp, failure_report_no_and_partial)
{
	char buf[512];

	h_open(2048, 1 << 20);
	bind_passive();
	send_chunk(buf, sizeof(buf), "tno1", LOCAL, "A1id", "Failure-Report: no\r\n", "text/plain",
	           "x", '$');
	feed(buf);
	send_chunk(buf, sizeof(buf), "tpa1", LOCAL, "A2id", "Failure-Report: partial\r\n",
	           "text/plain", "y", '$');
	feed(buf);
	cr_assert(!next_frame(&(struct msrp_frame){0}), "no 200 for no/partial (RFC 4975 §7.2)");
	cr_assert_eq(H.n_ev, 2, "both messages delivered");
	/* partial: errors are still sent. */
	send_chunk(buf, sizeof(buf), "tpa2", "msrp://10.0.0.1:40000/other;tcp", "A3id",
	           "Failure-Report: partial\r\n", "text/plain", "z", '$');
	feed(buf);
	expect_response("tpa2", 481);
	h_close();
}

Test(client_msrp, abort_drops_partial_message)
{
	char buf[512];

	h_open(2048, 1 << 20);
	bind_passive();
	send_chunk(buf, sizeof(buf), "ab01", LOCAL, "B1id", "Byte-Range: 1-3/10\r\n", "text/plain",
	           "abc", '+');
	feed(buf);
	send_chunk(buf, sizeof(buf), "ab02", LOCAL, "B1id", "Byte-Range: 4-5/10\r\n", "text/plain",
	           "de", '#');
	feed(buf);
	expect_response("ab01", 200);
	expect_response("ab02", 200);
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_ABORTED);
	cr_assert_str_eq(H.ev[0].message_id, "B1id");
	/* The switch's bodiless '#' (docs/switch.md aborts) ends a message too. */
	send_chunk(buf, sizeof(buf), "ab03", LOCAL, "B2id", "Byte-Range: 1-3/10\r\n", "text/plain",
	           "abc", '+');
	feed(buf);
	send_chunk(buf, sizeof(buf), "ab04", LOCAL, "B2id", "Byte-Range: 4-*/10\r\n", NULL, NULL,
	           '#');
	feed(buf);
	cr_assert_eq(H.n_ev, 2);
	cr_assert_eq(H.ev[1].type, CL_MSRP_EV_ABORTED);
	cr_assert_str_eq(H.ev[1].message_id, "B2id");
	h_close();
}

Test(client_msrp, too_large_413)
{
	char buf[512];

	h_open(2048, 100);
	bind_passive();
	send_chunk(buf, sizeof(buf), "big1", LOCAL, "C1id", "Byte-Range: 1-5/500\r\n", "text/plain",
	           "12345", '+');
	feed(buf);
	expect_response("big1", 413);
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_ABORTED);
	cr_assert_eq(H.ev[0].status, 413);
	/* Unknown total: refused once the bytes pass max-size. */
	send_chunk(buf, sizeof(buf), "big2", LOCAL, "C2id", "Byte-Range: 99-103/*\r\n",
	           "text/plain", "12345", '+');
	feed(buf);
	expect_response("big2", 413);
	cr_assert_eq(H.ev[1].status, 413);
	/* A range-start near 2^64: no wrap-around into the buffer. */
	send_chunk(buf, sizeof(buf), "big3", LOCAL, "C3id",
	           "Byte-Range: 18446744073709551615-*/*\r\n", "text/plain", "12", '+');
	feed(buf);
	expect_response("big3", 413);
	cr_assert_eq(H.n_ev, 3);
	cr_assert_eq(H.ev[2].status, 413);
	h_close();
}

Test(client_msrp, wrong_session_unknown_method_report)
{
	char buf[512];
	struct msrp_frame f;

	h_open(2048, 1 << 20);
	bind_passive();
	send_chunk(buf, sizeof(buf), "ws01", "msrp://10.0.0.1:40000/locSESSION02;tcp", "D1id", "",
	           "text/plain", "x", '$');
	feed(buf);
	expect_response("ws01", 481);
	snprintf(buf, sizeof(buf),
	         "MSRP um01 FROB\r\nTo-Path: " LOCAL "\r\nFrom-Path: " PEER "\r\n-------um01$\r\n");
	feed(buf);
	expect_response("um01", 501);
	snprintf(buf, sizeof(buf),
	         "MSRP rp01 REPORT\r\nTo-Path: " LOCAL "\r\nFrom-Path: " PEER
	         "\r\nMessage-ID: unknown1\r\nStatus: 000 200 OK\r\n-------rp01$\r\n");
	feed(buf);
	cr_assert(!next_frame(&f), "RFC 4975 §7.1.2: REPORTs are never answered");
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_REPORT);
	cr_assert_eq(H.ev[0].report, CL_REPORT_SUCCESS);
	h_close();
}

Test(client_msrp, success_report_when_asked)
{
	char buf[512];
	struct msrp_frame f;

	h_open(2048, 1 << 20);
	bind_passive();
	send_chunk(buf, sizeof(buf), "sr01", LOCAL, "E1id",
	           "Success-Report: yes\r\nByte-Range: 1-5/5\r\n", "text/plain", "hello", '$');
	feed(buf);
	expect_response("sr01", 200);
	cr_assert(next_frame(&f), "a success REPORT follows");
	cr_assert_eq(f.method, MSRP_METHOD_REPORT);
	cr_assert(span_is(f.to_path, PEER), "to the sender's From-Path");
	cr_assert(span_is(f.from_path, LOCAL));
	cr_assert(span_is(f.message_id, "E1id"));
	cr_assert_eq(f.status.code, 200);
	cr_assert_eq(f.byte_range.start, 1);
	cr_assert_eq(f.byte_range.end, 5);
	cr_assert_eq(f.byte_range.total, 5);
	cr_assert(!f.has_body);
	h_close();
}

Test(client_msrp, framing_error_is_fatal)
{
	static const char junk[] = "MSRP x SEND\r\nFrom-Path: " PEER "\r\n-------x$\r\n";

	h_open(2048, 1 << 20);
	cr_assert_eq(cl_msrp_rx(H.m, (const uint8_t *)junk, sizeof(junk) - 1, 0), -EPROTO);
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_FATAL);
	cr_assert_eq(cl_msrp_rx(H.m, (const uint8_t *)"MSRP", 4, 0), -EPROTO, "stays dead");
	h_close();
}

/* The client's chunks of one message; returns how many and checks the common headers. */
static unsigned int
collect_chunks(struct msrp_frame *f, char tids[][64], uint64_t starts[], uint64_t ends[],
               char flags[], unsigned int max, size_t *body_total)
{
	unsigned int n = 0;

	*body_total = 0;
	while (n < max && next_frame(&f[0])) {
		cr_assert_eq(f[0].method, MSRP_METHOD_SEND);
		cr_assert(span_is(f[0].to_path, RELAY " " REMOTE));
		cr_assert(span_is(f[0].from_path, LOCAL));
		cr_assert(f[0].has_body);
		snprintf(tids[n], 64, "%s", span_str(f[0].tid));
		starts[n] = f[0].byte_range.start;
		ends[n] = f[0].byte_range.end;
		flags[n] = (char)f[0].flag;
		*body_total += f[0].body_len;
		n++;
	}
	return n;
}

static void
respond(const char *tid, const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
	         "MSRP %s %s\r\nTo-Path: " LOCAL "\r\nFrom-Path: " RELAY "\r\n-------%s$\r\n", tid,
	         status, tid);
	feed(buf);
}

Test(client_msrp, send_chunked)
{
	struct msrp_frame f[1];
	char tids[8][64], flags[8], id[CL_MSRP_ID_CAP];
	uint64_t starts[8], ends[8];
	uint8_t body[5000];
	size_t total;
	unsigned int n;

	h_open(2048, 1 << 20);
	bind_passive();
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)('a' + i % 26);
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", body, sizeof(body), NULL, id, 0), 0);
	cr_assert_eq(cl_msrp_unacked(H.m), 1);
	n = collect_chunks(f, tids, starts, ends, flags, 8, &total);
	cr_assert_eq(n, 3);
	cr_assert_eq(total, sizeof(body));
	cr_assert(starts[0] == 1 && ends[0] == 2048 && flags[0] == '+');
	cr_assert(starts[1] == 2049 && ends[1] == 4096 && flags[1] == '+');
	cr_assert(starts[2] == 4097 && ends[2] == 5000 && flags[2] == '$');
	respond(tids[0], "200 OK");
	respond(tids[1], "200 OK");
	cr_assert_eq(H.n_ev, 0, "not sent before the last 200");
	respond(tids[2], "200 OK");
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_SENT);
	cr_assert_str_eq(H.ev[0].message_id, id);
	cr_assert_eq(H.ev[0].bytes, sizeof(body));
	cr_assert_eq(cl_msrp_unacked(H.m), 0);
	cr_assert_eq(cl_msrp_reports_pending(H.m), 0);
	h_close();
}

Test(client_msrp, send_headers_plain)
{
	struct msrp_frame f;
	struct cl_send_opts so = {.filename = "my \"file\".bin"};
	const struct msrp_header *h;
	int pos = -1;

	h_open(2048, 1 << 20);
	bind_passive();
	cr_assert_eq(cl_msrp_send(H.m, "application/octet-stream", (const uint8_t *)"\x01\x02", 2,
	                          &so, NULL, 0),
	             0);
	cr_assert(next_frame(&f));
	cr_assert(span_is(f.content_type, "application/octet-stream"));
	cr_assert_eq(f.hdr_index[MSRP_HDR_SUCCESS_REPORT], -1, "no Success-Report unless asked");
	cr_assert_eq(f.hdr_index[MSRP_HDR_FAILURE_REPORT], -1, "Failure-Report: the default yes");
	h = msrp_frame_find_header(&f, "Content-Disposition", &pos);
	cr_assert_not_null(h);
	cr_assert(span_is(h->value, "attachment; filename=\"my \\\"file\\\".bin\""), "%s",
	          span_str(h->value));
	h_close();
}

Test(client_msrp, send_errors_and_timeout)
{
	struct msrp_frame f;
	char tid[64];

	h_open(2048, 1 << 20);
	bind_passive();
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", (const uint8_t *)"no", 2, NULL, NULL, 0), 0);
	cr_assert(next_frame(&f));
	snprintf(tid, sizeof(tid), "%s", span_str(f.tid));
	respond(tid, "403 Forbidden");
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_SEND_FAILED);
	cr_assert_eq(H.ev[0].status, 403);
	cr_assert_eq(cl_msrp_unacked(H.m), 0, "a failed message is finished");
	/* No response: 408 after the transaction timeout (RFC 4975 §7.1.1). */
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", (const uint8_t *)"lost", 4, NULL, NULL, 0), 0);
	cl_msrp_tick(H.m, 999);
	cr_assert_eq(H.n_ev, 1);
	cl_msrp_tick(H.m, 1000);
	cr_assert_eq(H.n_ev, 2);
	cr_assert_eq(H.ev[1].type, CL_MSRP_EV_SEND_FAILED);
	cr_assert_eq(H.ev[1].status, 408);
	/* Invalid input. */
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", (const uint8_t *)"", 0, NULL, NULL, 0),
	             -EINVAL);
	cr_assert_eq(cl_msrp_send(H.m, "", (const uint8_t *)"x", 1, NULL, NULL, 0), -EINVAL);
	h_close();
}

Test(client_msrp, nothing_sent_before_bound)
{
	struct msrp_frame f;

	h_open(2048, 1 << 20);
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", (const uint8_t *)"early", 5, NULL, NULL, 0),
	             0);
	cr_assert(!next_frame(&f), "queued until the session is bound");
	bind_passive();
	cr_assert(next_frame(&f));
	cr_assert_eq(f.method, MSRP_METHOD_SEND);
	cr_assert_eq(f.body_len, 5);
	h_close();
}

Test(client_msrp, window_and_backpressure)
{
	struct msrp_frame f;
	uint8_t *body = malloc(200 * 16);
	unsigned int n = 0;

	cr_assert_not_null(body);
	memset(body, 'q', 200 * 16);
	h_open(16, 1 << 20);
	bind_passive();
	H.pending = CL_MSRP_TX_HIGH;
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", body, 200 * 16, NULL, NULL, 0), 0);
	cr_assert(!next_frame(&f), "tx queue full: nothing produced");
	H.pending = 0;
	cl_msrp_pump(H.m, 0);
	while (next_frame(&f))
		n++;
	cr_assert_eq(n, CL_MSRP_WINDOW, "at most the window in flight");
	free(body);
	h_close();
}

Test(client_msrp, final_report_request_and_report)
{
	struct msrp_frame f;
	struct cpim_msg cm;
	uint8_t body[2048], doc[1024];
	char id[CL_MSRP_ID_CAP], tid[64], rep[4096];
	struct cl_send_opts so = {.final_report = true, .now_unix_ms = 1700000000123};
	struct fdr_recipient rc[2] = {
	        {{(const uint8_t *)"sip:bob@example.com", 19}, 200, FDR_OUTCOME_DELIVERED},
	        {{(const uint8_t *)"sip:carol@example.com", 21}, 408, FDR_OUTCOME_TIMEOUT},
	};
	struct fdr_report r = {.rcpt = rc, .n_rcpt = 2};
	ssize_t dl;
	uint64_t bl;

	h_open(2048, 1 << 20);
	bind_passive();
	cr_assert_eq(cl_msrp_send(H.m, "text/plain;charset=UTF-8", (const uint8_t *)"report me", 9,
	                          &so, id, 0),
	             0);
	cr_assert_eq(cl_msrp_reports_pending(H.m), 1);
	cr_assert(next_frame(&f));
	cr_assert_eq(f.success_report, MSRP_REPORT_YES, "OMA 5.7.2: Success-Report: yes");
	cr_assert(span_is(f.content_type, "message/cpim"));
	bl = msrp_frame_body_copy(&f, body, sizeof(body));
	cr_assert_eq(cpim_parse(body, (uint32_t)bl, &cm), CPIM_OK);
	cr_assert(cpim_final_report_requested(&cm), "FR.Final-Report: yes with the OMA URN");
	cr_assert(cpim_span_eq(cm.from.uri, "sip:alice@example.com"));
	cr_assert(cpim_span_eq(cm.from.display, "\"Alice\""));
	cr_assert(cpim_span_eq(cm.to[0].uri, CONF), "To = the conference");
	cr_assert(cpim_span_eq(cm.content_type, "text/plain;charset=UTF-8"));
	cr_assert(cpim_span_eq(cm.content, "report me"));
	cr_assert(cm.datetime_hdr >= 0);
	snprintf(tid, sizeof(tid), "%s", span_str(f.tid));
	respond(tid, "200 OK");
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_SENT);
	cr_assert_eq(cl_msrp_reports_pending(H.m), 1, "sent, report still awaited");
	/* The switch's final report as a REPORT (docs/switch.md, docs/final-report.md). */
	r.message_id = (struct fdr_span){(const uint8_t *)id, (uint32_t)strlen(id)};
	dl = fdr_build(&r, doc, sizeof(doc));
	cr_assert_gt(dl, 0);
	snprintf(rep, sizeof(rep),
	         "MSRP fr01 REPORT\r\nTo-Path: " LOCAL "\r\nFrom-Path: " RELAY
	         "\r\nMessage-ID: %s\r\nByte-Range: 1-%llu/%llu\r\nStatus: 000 200 OK\r\n"
	         "Content-Type: " FDR_MIME_TYPE "\r\n\r\n%.*s\r\n-------fr01$\r\n",
	         id, (unsigned long long)bl, (unsigned long long)bl, (int)dl, (const char *)doc);
	feed_bytewise(rep);
	cr_assert(!next_frame(&f), "no response to a REPORT");
	cr_assert_eq(H.n_ev, 2);
	cr_assert_eq(H.ev[1].type, CL_MSRP_EV_REPORT);
	cr_assert_eq(H.ev[1].report, CL_REPORT_FINAL);
	cr_assert_str_eq(H.ev[1].message_id, id);
	cr_assert_eq(H.ev[1].n_rcpt, 2);
	cr_assert_eq(H.ev[1].rcpt_status[0], 200);
	cr_assert_eq(H.ev[1].rcpt_outcome[0], FDR_OUTCOME_DELIVERED);
	cr_assert_eq(H.ev[1].rcpt_status[1], 408);
	cr_assert_eq(H.ev[1].rcpt_outcome[1], FDR_OUTCOME_TIMEOUT);
	cr_assert_eq(cl_msrp_reports_pending(H.m), 0);
	h_close();
}

Test(client_msrp, final_report_as_send)
{
	uint8_t doc[1024];
	char id[CL_MSRP_ID_CAP], buf[1100];
	struct cl_send_opts so = {.final_report = true};
	struct fdr_recipient rc = {
	        {(const uint8_t *)"sip:bob@example.com", 19}, 481, FDR_OUTCOME_LEFT};
	struct fdr_report r = {.rcpt = &rc, .n_rcpt = 1};
	struct msrp_frame f;
	ssize_t dl;

	h_open(2048, 1 << 20);
	bind_passive();
	cr_assert_eq(cl_msrp_send(H.m, "text/plain", (const uint8_t *)"x", 1, &so, id, 0), 0);
	cr_assert(next_frame(&f));
	r.message_id = (struct fdr_span){(const uint8_t *)id, (uint32_t)strlen(id)};
	dl = fdr_build(&r, doc, sizeof(doc));
	cr_assert_gt(dl, 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)dl, (const char *)doc);
	{
		char frame[4096];

		send_chunk(frame, sizeof(frame), "frs1", LOCAL, "newmid01",
		           "Failure-Report: no\r\n", FDR_MIME_TYPE, buf, '$');
		feed(frame);
	}
	cr_assert_eq(H.n_ev, 1);
	cr_assert_eq(H.ev[0].type, CL_MSRP_EV_REPORT, "a report, not a chat message");
	cr_assert_eq(H.ev[0].report, CL_REPORT_FINAL);
	cr_assert_str_eq(H.ev[0].message_id, id, "matched by the document's message-id");
	cr_assert_eq(cl_msrp_reports_pending(H.m), 0);
	h_close();
}

Test(client_msrp, view_cpim_disposition_and_errors)
{
	static const char ok[] = "From: Bob <sip:bob@example.com>\r\n"
	                         "To: <" CONF ">\r\n"
	                         "\r\n"
	                         "Content-Type: image/png\r\n"
	                         "Content-Disposition: attachment; filename=\"../p.png\"\r\n"
	                         "\r\n"
	                         "PNGDATA";
	static const char bad[] = "From sip:bob\r\n\r\nhello";
	struct cl_msg_view v;
	const char *ct = "message/cpim";

	cl_msg_view_build((struct msrp_span){(const uint8_t *)ct, 12}, (struct msrp_span){0},
	                  (const uint8_t *)ok, sizeof(ok) - 1, &v);
	cr_assert(v.cpim);
	cr_assert_str_eq(v.from_display, "Bob", "token display name");
	cr_assert(span_is(v.from_uri, "sip:bob@example.com"));
	cr_assert(span_is(v.content_type, "image/png"));
	cr_assert(span_is(v.content, "PNGDATA"));
	cr_assert_str_eq(v.filename, "../p.png", "as sent: the saver keeps only the base name");
	cr_assert(!cl_type_is_text(v.content_type));
	/* The MSRP-level Content-Disposition when the CPIM has none. */
	cl_msg_view_build((struct msrp_span){(const uint8_t *)"text/plain", 10},
	                  (struct msrp_span){(const uint8_t *)"attachment; filename=notes.txt", 30},
	                  (const uint8_t *)"n", 1, &v);
	cr_assert(!v.cpim);
	cr_assert_str_eq(v.filename, "notes.txt");
	cr_assert(cl_type_is_text(v.content_type));
	/* Unparseable CPIM: shown as it came, with the reason. */
	cl_msg_view_build((struct msrp_span){(const uint8_t *)" Message/CPIM ; x=y", 19},
	                  (struct msrp_span){0}, (const uint8_t *)bad, sizeof(bad) - 1, &v);
	cr_assert(!v.cpim);
	cr_assert_neq(v.cpim_error, 0);
	cr_assert(span_is(v.content, bad));
}

Test(client_msrp, create_refuses_bad_uris)
{
	struct cl_msrp_cfg cfg = {.local_uri = "http://x/", .remote_path = REMOTE};

	cr_assert_null(cl_msrp_create(&cfg, &h_ops, &H));
	cr_assert_eq(errno, EINVAL);
	cfg.local_uri = LOCAL;
	cfg.remote_path = "";
	cr_assert_null(cl_msrp_create(&cfg, &h_ops, &H));
	cfg.remote_path = REMOTE " notauri";
	cr_assert_null(cl_msrp_create(&cfg, &h_ops, &H));
}
