/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Switch engine over an in-memory wire: binding (481/506), hop responses per Failure-Report,
 * fan-out re-headering (exact bytes), zero-copy bodies, re-chunking, interleaving, aborts,
 * a recipient's 413, max-size / accept-types exclusions, transaction timeouts, slow
 * recipients, membership changes, active legs.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol;

static void
three(void)
{
	tw_init(&w);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
}

static void
done(void)
{
	tw_fini(&w);
}

Test(sw_bind, unknown_session_481_exact)
{
	struct tw_frames fs;
	unsigned int tc;

	tw_init(&w);
	tc = tw_accept(&w);
	cr_assert_eq(tw_rx(&w, tc,
	                   "MSRP t0000001 SEND\r\n"
	                   "To-Path: msrp://sw.example:2855/nosuchsession0000000;tcp\r\n"
	                   "From-Path: msrp://a.example:7000/sa;tcp\r\n"
	                   "Message-ID: msg1\r\n"
	                   "Byte-Range: 1-2/2\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	                   "-------t0000001$\r\n"),
	             0);
	tw_take(&w, tc, &fs);
	cr_assert_eq(fs.n, 1);
	/* RFC 4975 §7.2: To-Path = previous hop, From-Path = the URI the peer addressed. */
	const char *want = "MSRP t0000001 481 Session Does Not Exist\r\n"
	                   "To-Path: msrp://a.example:7000/sa;tcp\r\n"
	                   "From-Path: msrp://sw.example:2855/nosuchsession0000000;tcp\r\n"
	                   "-------t0000001$\r\n";
	cr_assert_eq(fs.f[0]->len, strlen(want));
	cr_assert(memcmp(fs.f[0]->raw, want, strlen(want)) == 0, "%.*s", (int)fs.f[0]->len,
	          fs.f[0]->raw);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_481), 1);
	tw_frames_free(&fs);
	tw_fini(&w);
}

Test(sw_bind, other_connection_506_and_events, .init = three, .fini = done)
{
	struct tw_frames fs;
	char buf[1024];
	unsigned int tc2 = tw_accept(&w);
	size_t n = tw_chunk(buf, sizeof(buf), &bob, "tidx0001", "msg1", "", "text/plain", 1, 2,
	                    "hi", '$');

	cr_assert_eq(w.ev.bound, 3);
	cr_assert_eq(tw_rx_split(&w, tc2, buf, n, 0), 0);
	tw_take(&w, tc2, &fs);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0]->f.status_code, 506);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_506), 1);
	tw_frames_free(&fs);
	/* Nothing was forwarded for the refused chunk. */
	tw_take(&w, alice.tc, &fs);
	cr_assert_eq(fs.n, 0);
	/* The second chunk on the bound connection matches the connection's leg array. */
	uint64_t hits = tw_cnt(&w, SW_CNT_CONN_LEG_HIT);

	tw_send_msg(&w, &bob, "tidx0002", "msg2", "", "hello");
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_LEG_HIT), hits + 1);
}

Test(sw_fanout, reheader_exact_bytes, .init = three, .fini = done)
{
	struct tw_frames fa, fb, fc;

	tw_send_msg(&w, &alice, "tida0001", "msg-0001", "", "hello");
	tw_take(&w, alice.tc, &fa);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	/* SWX-02: 200 to the sender; SWX-03: never echoed back. */
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 200);
	cr_assert(tw_span_is(fa.f[0]->f.tid, "tida0001"));
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fc.n, 1);

	struct tw_frame *b = fb.f[0];
	char want[1024];
	int n = snprintf(want, sizeof(want),
	                 "MSRP %.*s SEND\r\n"
	                 "To-Path: %s\r\n"
	                 "From-Path: %s\r\n"
	                 /* msrp_build_reheader() inserts missing report headers after
	                  * From-Path; the sender's other headers keep their order. */
	                 "Success-Report: no\r\n"
	                 "Failure-Report: yes\r\n"
	                 "Message-ID: msg-0001\r\n"
	                 "Byte-Range: 1-5/5\r\n"
	                 "Content-Type: text/plain\r\n\r\n"
	                 "hello\r\n"
	                 "-------%.*s$\r\n",
	                 (int)b->f.tid.len, b->f.tid.p, bob.path, bob.uri, (int)b->f.tid.len,
	                 b->f.tid.p);
	cr_assert_eq(b->len, (size_t)n, "%.*s", (int)b->len, b->raw);
	cr_assert(memcmp(b->raw, want, (size_t)n) == 0, "got\n%.*s\nwant\n%s", (int)b->len, b->raw,
	          want);
	/* New tids: unpredictable, distinct per copy, not the sender's. */
	cr_assert_eq(b->f.tid.len, 22);
	cr_assert(!tw_span_is(b->f.tid, "tida0001"));
	cr_assert(fc.f[0]->f.tid.len != b->f.tid.len ||
	          memcmp(fc.f[0]->f.tid.p, b->f.tid.p, b->f.tid.len) != 0);
	cr_assert(tw_span_is(fc.f[0]->f.to_path, carol.path));
	cr_assert(tw_span_is(fc.f[0]->f.from_path, carol.uri));
	tw_frames_free(&fa);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 1); /* waiting for the recipients' 200s */
}

Test(sw_fanout, body_by_reference, .init = three, .fini = done)
{
	tw_send_msg(&w, &alice, "tida0001", "msg-0001", "", "hello world");
	cr_assert_eq(w.c[bob.tc].zero_copy_bytes, 11);
	cr_assert_eq(w.c[carol.tc].zero_copy_bytes, 11);
	/* The transport still holds the received buffer (refcount), the engine does not. */
	cr_assert_eq(w.live_bufs, 1);
	tw_drain_refs(&w, bob.tc);
	tw_drain_refs(&w, carol.tc);
	cr_assert_eq(w.live_bufs, 0);
}

Test(sw_fanout, responses_complete_message, .init = three, .fini = done)
{
	struct tw_frames fb, fc;

	tw_send_msg(&w, &alice, "tida0001", "msg-0001", "", "hello");
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 1);
	tw_respond(&w, carol.tc, fc.f[0], 200);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 2);
	/* A response with an unknown tid is counted, not fatal. */
	tw_respond(&w, carol.tc, fc.f[0], 200);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_RESP_UNKNOWN), 1);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
}

Test(sw_fanout, failure_report_policy, .init = three, .fini = done)
{
	struct tw_frames fa;

	/* partial: no 200 (RFC 4975 §7.2), but the message is forwarded. */
	tw_send_msg(&w, &alice, "tida0001", "msg1", "Failure-Report: partial\r\n", "x");
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 0);
	/* no: no response at all. */
	tw_send_msg(&w, &alice, "tida0002", "msg2", "Failure-Report: no\r\n", "y");
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 0);
	struct tw_frames fb;

	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 2);
	/* Every copy asks for a response whatever the sender said (the switch needs it). */
	cr_assert(tw_span_is(tw_hdr(fb.f[0], "Failure-Report"), "yes"));
	tw_frames_free(&fb);
}

Test(sw_fanout, rechunk_large_chunk)
{
	struct sw_params p;
	struct tw_frames fb;
	static char body[5001];

	tw_default_params(&p);
	p.rechunk_bytes = 2048;
	tw_init_params(&w, &p);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	for (int i = 0; i < 5000; i++)
		body[i] = (char)('a' + i % 26);
	/* Fed in 700-byte pieces: the body spans several receive buffers. */
	static char buf[8000];
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "tida0001", "big1", "", "text/plain", 1, 5000,
	                    body, '$');

	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 700), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 3);
	static const uint64_t start[] = {1, 2049, 4097}, end[] = {2048, 4096, 5000};
	static const char flag[] = {'+', '+', '$'};
	size_t off = 0;

	for (unsigned int i = 0; i < 3; i++) {
		struct msrp_frame *f = &fb.f[i]->f;

		cr_assert_eq(f->byte_range.start, start[i]);
		cr_assert_eq(f->byte_range.end, end[i]);
		cr_assert_eq(f->byte_range.total, 5000);
		cr_assert_eq((int)f->flag, (int)flag[i]);
		cr_assert(tw_span_is(f->message_id, "big1"));
		cr_assert(memcmp(fb.f[i]->body, body + off, fb.f[i]->body_len) == 0);
		off += fb.f[i]->body_len;
	}
	cr_assert_eq(off, 5000);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RECHUNK), 2);
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_fanout, interleaving_and_sender_order, .init = three, .fini = done)
{
	char buf[1024];
	struct tw_frames fb;
	size_t n;

	/* Message A first chunk, then all of message B, then A's last chunk. */
	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 6, "abc",
	             '+');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_send_msg(&w, &alice, "t2bbbbbb", "msgB", "", "chat");
	n = tw_chunk(buf, sizeof(buf), &alice, "t3aaaaaa", "msgA", "", "text/plain", 4, 6, "def",
	             '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 3);
	cr_assert(tw_span_is(fb.f[0]->f.message_id, "msgA"));
	cr_assert_eq(fb.f[0]->f.flag, '+');
	cr_assert(tw_span_is(fb.f[1]->f.message_id, "msgB"));
	cr_assert(tw_span_is(fb.f[2]->f.message_id, "msgA"));
	cr_assert_eq(fb.f[2]->f.byte_range.start, 4);
	cr_assert_eq(fb.f[2]->f.flag, '$');
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 2);
	tw_frames_free(&fb);
}

Test(sw_fanout, abort_reaches_those_with_a_part)
{
	char buf[1024];
	struct tw_frames fb, fc;
	struct tw_leg_opts small = {.max_size = 4};

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_leg_add(&w, "c", "carol", &carol, &small); /* excluded: never got a part */
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 10,
	                    "abcde", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msgA", "", "text/plain", 6, 10, "fg",
	             '#');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fb.f[1]->f.flag, '#');
	cr_assert_eq(fc.n, 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ABORT_FWD), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	/* Late responses to an aborted message are harmless. */
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	tw_fini(&w);
}

/* RFC 4975 §7.1: the sender's connection closes after a '+' chunk: '#' to those with a part. */
Test(sw_fanout, sender_gone_mid_message_aborts_it, .init = three, .fini = done)
{
	char buf[1024];
	struct tw_frames fb, fc;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 10,
	                    "abcde", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	sw_conn_closed(w.lc, w.c[alice.tc].eng, w.now_us);
	w.c[alice.tc].open = false;
	tw_settle(&w);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fc.n, 2);
	for (struct tw_frames *fs = &fb; fs != NULL; fs = fs == &fb ? &fc : NULL) {
		const struct tw_frame *a = fs->f[1];

		cr_assert_eq(a->f.method, MSRP_METHOD_SEND);
		cr_assert_eq(a->f.flag, '#');
		cr_assert_eq(a->f.has_body, false);
		cr_assert(tw_span_is(a->f.message_id, "msgA"));
		cr_assert(tw_span_is(tw_hdr(a, "Byte-Range"), "6-*/10"));
	}
	cr_assert(tw_span_is(fb.f[1]->f.to_path, bob.path));
	cr_assert(tw_span_is(fb.f[1]->f.from_path, bob.uri));
	cr_assert_eq(tw_cnt(&w, SW_CNT_ABORT_FWD), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	/* A complete message is not aborted when its sender leaves afterwards. */
	tw_frames_free(&fb);
	tw_frames_free(&fc);
}

/* A bodiless '#' chunk to a recipient that gets another form (CPIM wrap): no Byte-Range end. */
Test(sw_fanout, bodiless_abort_to_wrapped_recipient)
{
	char buf[1024];
	struct tw_frames fb;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_WRAP, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 10,
	                    "abcde", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	snprintf(buf, sizeof(buf),
	         "MSRP t2aaaaaa SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: msgA\r\n"
	         "Byte-Range: 6-*/10\r\n-------t2aaaaaa#\r\n",
	         alice.uri, alice.path);
	cr_assert_eq(tw_rx(&w, alice.tc, buf), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fb.f[1]->f.flag, '#');
	cr_assert_eq(fb.f[1]->body_len, 0); /* an empty body in the wrapped form */
	cr_assert_neq(tw_hdr(fb.f[1], "Byte-Range").len, 0);
	cr_assert_eq(fb.f[1]->f.byte_range.end_known, false);
	cr_assert_gt(fb.f[1]->f.byte_range.start, 6); /* shifted by the envelope */
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_fanout, recipient_413_stops_that_recipient_only, .init = three, .fini = done)
{
	char buf[1024];
	struct tw_frames fb, fc;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 6,
	                    "abc", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	tw_respond(&w, bob.tc, fb.f[0], 413);
	tw_frames_free(&fb);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msgA", "", "text/plain", 4, 6, "def",
	             '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 0);
	cr_assert_eq(fc.n, 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_413), 1);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
}

Test(sw_fanout, max_size_and_accept_types_exclusion)
{
	struct tw_frames fb, fc, fd;
	struct tw_leg dave;
	struct tw_leg_opts small = {.max_size = 3}, cpim_only = {.accept = "message/cpim"},
	                   text_any = {.accept = "message/cpim text/*"};

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, &small);
	tw_leg_add(&w, "c", "carol", &carol, &cpim_only);
	tw_leg_add(&w, "c", "dave", &dave, &text_any);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
	tw_bind(&w, &dave);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msgA", "", "hello");
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	tw_take(&w, dave.tc, &fd);
	cr_assert_eq(fb.n, 0);
	cr_assert_eq(fc.n, 0);
	cr_assert_eq(fd.n, 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 2);
	tw_respond(&w, dave.tc, fd.f[0], 200);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_frames_free(&fd);
	tw_fini(&w);
}

Test(sw_fanout, conference_max_size_413_to_sender)
{
	struct tw_frames fa, fb;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 4);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msgA", "Failure-Report: partial\r\n", "hello");
	tw_take(&w, alice.tc, &fa);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 413);
	cr_assert_eq(fb.n, 0);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_frames_free(&fa);
	tw_fini(&w);
}

Test(sw_fanout, transaction_timeout_408, .init = three, .fini = done)
{
	struct tw_frames fb;

	tw_send_msg(&w, &alice, "t1aaaaaa", "msgA", "", "hello");
	tw_take(&w, bob.tc, &fb);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_advance(&w, 29999999);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 1);
	tw_advance(&w, 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_TIMEOUT), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 1);
	tw_frames_free(&fb);
}

Test(sw_fanout, slow_recipient_isolated, .init = three, .fini = done)
{
	struct tw_frames fa, fc;
	char body[200];

	memset(body, 'z', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	w.c[bob.tc].queue_limit = 300; /* bob never reads */
	for (int i = 0; i < 10; i++) {
		char tid[16], mid[16];

		snprintf(tid, sizeof(tid), "tid%05d", i);
		snprintf(mid, sizeof(mid), "msg%d", i);
		tw_send_msg(&w, &alice, tid, mid, "", body);
	}
	tw_take(&w, alice.tc, &fa);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fa.n, 10); /* the sender's hop responses never waited */
	cr_assert_eq(fc.n, 10); /* carol got everything */
	cr_assert_geq(tw_cnt(&w, SW_CNT_SLOW_DROP), 8);
	cr_assert_eq(w.c[bob.tc].closed, false);
	tw_frames_free(&fa);
	tw_frames_free(&fc);
}

Test(sw_fanout, slow_recipient_disconnect_policy)
{
	struct sw_params p;
	char body[400];

	tw_default_params(&p);
	p.slow_policy = SW_SLOW_DISCONNECT;
	tw_init_params(&w, &p);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	memset(body, 'z', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	w.c[bob.tc].queue_limit = 100;
	tw_send_msg(&w, &alice, "tid00001", "msg1", "", body);
	tw_send_msg(&w, &alice, "tid00002", "msg2", "", body);
	cr_assert_eq(w.c[bob.tc].closed, true);
	cr_assert_eq(tw_cnt(&w, SW_CNT_SLOW_DISCONNECT), 1);
	cr_assert_eq(w.ev.closed, 1);
	cr_assert_eq(w.ev.last_close_reason, SW_CLOSE_SLOW);
	sw_conn_closed(w.lc, w.c[bob.tc].eng, w.now_us);
	tw_settle(&w);
	cr_assert_eq(w.ev.closed, 1); /* one event per leg */
	tw_fini(&w);
}

Test(sw_fanout, membership_change_during_transfer, .init = three, .fini = done)
{
	char buf[1024];
	struct tw_frames fb, fc, fd;
	struct tw_leg dave;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 6,
	                    "abc", '+');

	tw_rx_split(&w, alice.tc, buf, n, 0);
	/* dave joins mid-message: he gets the next messages, not the rest of this one. */
	tw_leg_add(&w, "conf1", "dave", &dave, NULL);
	tw_bind(&w, &dave);
	/* carol leaves mid-message: outcome left. */
	cr_assert_eq(tw_leg_del(&w, &carol), 0);
	cr_assert_eq(w.ev.closed, 1);
	cr_assert_eq(w.c[carol.tc].closed, true);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msgA", "", "text/plain", 4, 6, "def",
	             '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, dave.tc, &fd);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fd.n, 0);
	cr_assert_eq(fc.n, 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_LEFT), 1);
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_respond(&w, bob.tc, fb.f[1], 200);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_send_msg(&w, &alice, "t3aaaaaa", "msgB", "", "next");
	tw_take(&w, dave.tc, &fd);
	cr_assert_eq(fd.n, 1);
	/* The deleted leg's session is unknown now. */
	cr_assert_eq(tw_leg_del(&w, &carol), -ENOENT);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_frames_free(&fd);
}

Test(sw_fanout, active_leg_connects_and_binds)
{
	struct tw_frames f1;
	struct tw_leg_opts act = {.active = true};
	struct tw_leg dave;

	tw_init(&w);
	/* A clock far past the transaction timeout, as on a host that has run a while. */
	w.now_us = 3600ull * 1000000u;
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, &act);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	cr_assert_str_eq(w.c[0].dialled, alice.path);
	alice.tc = 0;
	tw_take(&w, 0, &f1);
	/* RFC 4975 §5.4: a bodiless SEND binds the session at the far end. */
	cr_assert_eq(f1.n, 1);
	cr_assert_eq(f1.f[0]->f.method, MSRP_METHOD_SEND);
	cr_assert_eq(f1.f[0]->f.has_body, false);
	cr_assert(tw_span_is(f1.f[0]->f.to_path, alice.path));
	cr_assert(tw_span_is(f1.f[0]->f.from_path, alice.uri));
	sw_lcore_poll(w.lc, w.now_us); /* the binding SEND is not timed out at once */
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_TIMEOUT), 0);
	tw_respond(&w, 0, f1.f[0], 200);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_RESP_UNKNOWN), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	tw_frames_free(&f1);
	/* Same authority (alice.example:7000 vs dave.example: different) -> a new connection. */
	tw_leg_add(&w, "c", "dave", &dave, &act);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 0);
	cr_assert_eq(w.ev.bound, 2);
	tw_fini(&w);
}

Test(sw_fanout, protocol_error_closes)
{
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_bind(&w, &alice);
	cr_assert_eq(tw_rx(&w, alice.tc, "GET / HTTP/1.1\r\n\r\n"), -EPROTO);
	cr_assert_eq(w.c[alice.tc].closed, true);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_PROTO), 1);
	cr_assert_eq(w.ev.closed, 1);
	cr_assert_eq(w.ev.last_close_reason, SW_CLOSE_PROTOCOL);
	sw_conn_closed(w.lc, w.c[alice.tc].eng, w.now_us);
	cr_assert_eq(w.ev.closed, 1);
	tw_fini(&w);
}

Test(sw_fanout, split_feeds_hold_buffers)
{
	struct tw_frames fb;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	char buf[1024];
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msgA", "", "text/plain", 1, 26,
	                    "abcdefghijklmnopqrstuvwxyz", '$');

	/* Byte-at-a-time feeding of a small chunk: still one frame, same body. */
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 7), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->body_len, 26);
	cr_assert(memcmp(fb.f[0]->body, "abcdefghijklmnopqrstuvwxyz", 26) == 0);
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_events, history_copies_of_a_chunked_message)
{
	char buf[1024];
	struct tw_leg_opts hist = {.history = true};
	size_t n;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, &hist);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-h001", "", "text/plain", 1, 6,
	             "abc", '+');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-h001", "", "text/plain", 4, 6,
	             "def", '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	cr_assert_eq(w.ev.history, 2);
	cr_assert_str_eq(w.ev.hist_flags, "+$");
	cr_assert_eq(w.ev.hist_len, 6);
	cr_assert(memcmp(w.ev.hist, "abcdef", 6) == 0);
	cr_assert_eq(w.ev.msg_done, 1);
	/* bob keeps no history: his messages raise no history event. */
	tw_send_msg(&w, &bob, "t3bbbbbb", "msg-h002", "", "no");
	cr_assert_eq(w.ev.history, 2);
	tw_fini(&w);
}

/*
 * MSW_CTL_CONF_F_SETTLED (large message mode): EV_MSG_DONE comes once when the last chunk
 * arrives and once more, flagged SETTLED, when the last recipient answered; a conference
 * without the flag never posts the second one.
 */
Test(sw_fanout, settled_event_after_the_last_recipient_answers)
{
	struct tw_leg a = {0}, b = {0}, c = {0}, x = {0}, y = {0};
	struct tw_frames fa, fb, fc;

	tw_init(&w);
	tw_conf_flags(&w, "lmm", MSW_CTL_CPIM_OFF, 0, MSW_CTL_CONF_F_SETTLED);
	tw_conf(&w, "plain", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "lmm", "alice", &a, NULL);
	tw_leg_add(&w, "lmm", "bob", &b, NULL);
	tw_leg_add(&w, "lmm", "carol", &c, NULL);
	tw_leg_add(&w, "plain", "xavier", &x, NULL);
	tw_leg_add(&w, "plain", "yves", &y, NULL);
	tw_bind(&w, &a);
	tw_bind(&w, &b);
	tw_bind(&w, &c);
	tw_bind(&w, &x);
	tw_bind(&w, &y);
	tw_send_msg(&w, &a, "tlmm0001", "msg-lmm1", "", "the big file");
	tw_take(&w, a.tc, &fa);
	tw_frames_free(&fa);
	cr_assert_eq(w.ev.msg_done, 1);
	cr_assert_eq(w.ev.settled, 0);
	tw_take(&w, b.tc, &fb);
	tw_take(&w, c.tc, &fc);
	tw_respond(&w, b.tc, fb.f[0], 200);
	cr_assert_eq(w.ev.settled, 0); /* carol has not answered yet */
	tw_respond(&w, c.tc, fc.f[0], 200);
	cr_assert_eq(w.ev.settled, 1);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_send_msg(&w, &x, "tpln0001", "msg-pln1", "", "chat");
	tw_take(&w, x.tc, &fa);
	tw_frames_free(&fa);
	tw_take(&w, y.tc, &fb);
	tw_respond(&w, y.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	cr_assert_eq(w.ev.msg_done, 2);
	cr_assert_eq(w.ev.settled, 1);
	tw_fini(&w);
}

/* RFC 4975 §5.4 connection reuse: two active legs toward one relay share a connection. */
Test(sw_fanout, active_legs_reuse_connection_to_same_authority)
{
	struct sw_leg_params lp;
	char uri1[128], uri2[128];
	struct tw_frames fs;
	static const char *paths[] = {"msrp://relay.example:2855/r1;tcp msrp://a.example:1/a;tcp",
	                              "msrp://RELAY.example:2855/r2;tcp msrp://b.example:1/b;tcp"};

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 1;
	lp.conf.id[0] = 'c';
	lp.active = true;
	lp.path = (struct msrp_span){(const uint8_t *)paths[0], (uint32_t)strlen(paths[0])};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri1, sizeof(uri1), NULL), 0);
	tw_settle(&w);
	lp.path = (struct msrp_span){(const uint8_t *)paths[1], (uint32_t)strlen(paths[1])};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri2, sizeof(uri2), NULL), 0);
	tw_settle(&w);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 1);
	cr_assert_str_eq(w.c[0].dialled, "msrp://relay.example:2855/r1;tcp");
	cr_assert(!w.c[1].open);
	/* Both binding SENDs went on the one connection, each with its leg's whole path. */
	tw_take(&w, 0, &fs);
	cr_assert_eq(fs.n, 2);
	cr_assert(tw_span_is(fs.f[0]->f.to_path, paths[0]));
	cr_assert(tw_span_is(fs.f[1]->f.to_path, paths[1]));
	cr_assert(tw_span_is(fs.f[1]->f.from_path, uri2));
	tw_frames_free(&fs);
	tw_fini(&w);
}

/* Direction (a=recvonly / a=sendonly of the participant). */
Test(sw_fanout, direction_recv_only_and_send_only)
{
	struct sw_leg_params lp;
	struct tw_leg dave, erin;
	struct tw_frames fa, fd, fe;
	char buf[1024];

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 1;
	lp.conf.id[0] = 'c';
	snprintf(dave.path, sizeof(dave.path), "msrp://dave.example:7000/sdave;tcp");
	lp.path = (struct msrp_span){(const uint8_t *)dave.path, (uint32_t)strlen(dave.path)};
	lp.recv_only = true; /* dave only receives */
	cr_assert_eq(sw_leg_add(w.e, &lp, dave.uri, sizeof(dave.uri), &dave.key), 0);
	snprintf(erin.path, sizeof(erin.path), "msrp://erin.example:7000/serin;tcp");
	lp.path = (struct msrp_span){(const uint8_t *)erin.path, (uint32_t)strlen(erin.path)};
	lp.recv_only = false;
	lp.send_only = true; /* erin only sends */
	cr_assert_eq(sw_leg_add(w.e, &lp, erin.uri, sizeof(erin.uri), &erin.key), 0);
	tw_bind(&w, &alice);
	tw_bind(&w, &dave);
	tw_bind(&w, &erin);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-d001", "", "hi");
	tw_take(&w, dave.tc, &fd);
	tw_take(&w, erin.tc, &fe);
	cr_assert_eq(fd.n, 1);
	cr_assert_eq(fe.n, 0);
	tw_frames_free(&fd);
	size_t n = tw_chunk(buf, sizeof(buf), &dave, "t2dddddd", "msg-d002", "", "text/plain", 1, 2,
	                    "no", '$');

	tw_rx_split(&w, dave.tc, buf, n, 0);
	tw_take(&w, dave.tc, &fd);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fd.n, 1);
	cr_assert_eq(fd.f[0]->f.status_code, 403);
	cr_assert_eq(fa.n, 1); /* only the 200 of its own SEND */
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_RECV_ONLY), 1);
	tw_frames_free(&fd);
	tw_frames_free(&fa);
	tw_fini(&w);
}
