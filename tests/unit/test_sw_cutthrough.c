/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cut-through inside one incoming chunk (issue 5): the body of a SEND is forwarded in
 * rechunk_bytes pieces ('+', Byte-Range of each piece) while it arrives, the receive buffers
 * it was in are released, and the remainder goes out with the real flag once the end-line
 * is in. Bytes held by the engine are checked through the buffer refcounts of the wire.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol;

#define CT_RECHUNK 2048u
#define CT_SPLIT   512u

static void
setup_on(uint8_t policy, uint64_t max_size, const struct tw_leg_opts *co, unsigned int lcores)
{
	struct sw_params p;

	tw_default_params(&p);
	p.rechunk_bytes = CT_RECHUNK;
	p.n_lcores = lcores;
	tw_init_params(&w, &p);
	tw_conf(&w, "conf1", policy, (uint32_t)max_size);
	tw_leg_add(&w, "conf1", "alice", &alice, NULL);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, co);
	tw_bind_on(&w, &alice, 0);
	tw_bind_on(&w, &bob, lcores - 1);
	tw_bind_on(&w, &carol, 0);
}

static void
setup(void)
{
	setup_on(MSW_CTL_CPIM_OFF, 0, NULL, 1);
}

static void
done(void)
{
	tw_fini(&w);
}

/* A body of n bytes with text, CRLFs and things that look like end-lines of other ids. */
static char *
ct_body(size_t n)
{
	static const char filler[] = "chunk text \r\n-------other01$\r\n -------tid \r\n--- ";
	char *b = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		b[i] = i % 997 < sizeof(filler) - 1 ? filler[i % 997] : (char)('a' + i % 26);
	b[n] = '\0';
	return b;
}

/*
 * Bytes from tc in pieces of split, checking after each piece (recipients' references given
 * back, as a transport does once it has sent) that the engine holds no more than
 * max_bufs receive buffers.
 */
static unsigned int
ct_feed(unsigned int tc, const char *p, size_t len, size_t split, unsigned int max_bufs)
{
	unsigned int peak = 0;

	for (size_t off = 0; off < len; off += split) {
		size_t n = len - off < split ? len - off : split;

		cr_assert_eq(tw_rx_split(&w, tc, p + off, n, 0), 0);
		for (unsigned int i = 0; i < TW_CONNS; i++)
			tw_drain_refs(&w, i);
		/* Only the engine holds buffers now. */
		cr_assert_eq((unsigned int)w.live_bufs,
		             sw_conn_held(sw_engine_lcore(w.e, w.c[tc].lcore), w.c[tc].eng));
		cr_assert_leq((unsigned int)w.live_bufs, max_bufs,
		              "engine holds %d buffers of %zu bytes after %zu bytes", w.live_bufs,
		              split, off + n);
		if ((unsigned int)w.live_bufs > peak)
			peak = (unsigned int)w.live_bufs;
	}
	return peak;
}

/*
 * Frames of one message: contiguous Byte-Ranges from 1, '+' on all but the last (flag
 * last), none empty; the bodies joined into out. Returns the length.
 */
static size_t
ct_join(const struct tw_frames *fs, char last, uint8_t *out, size_t cap)
{
	size_t len = 0;

	cr_assert_gt(fs->n, 0);
	for (unsigned int i = 0; i < fs->n; i++) {
		const struct msrp_frame *f = &fs->f[i]->f;

		cr_assert_eq(f->method, MSRP_METHOD_SEND);
		cr_assert_eq(f->byte_range.start, len + 1, "piece %u starts at %llu, want %zu", i,
		             (unsigned long long)f->byte_range.start, len + 1);
		cr_assert_eq(f->byte_range.end, len + fs->f[i]->body_len);
		cr_assert_gt(fs->f[i]->body_len, 0, "piece %u is empty", i);
		cr_assert_eq((int)f->flag, i + 1 == fs->n ? last : '+', "piece %u flag %c", i,
		             (int)f->flag);
		cr_assert_leq(len + fs->f[i]->body_len, cap);
		memcpy(out + len, fs->f[i]->body, fs->f[i]->body_len);
		len += fs->f[i]->body_len;
	}
	return len;
}

static void
ct_respond_all(unsigned int tc, const struct tw_frames *fs, uint16_t code)
{
	for (unsigned int i = 0; i < fs->n; i++)
		tw_respond(&w, tc, fs->f[i], code);
}

/* Responses on alice's connection: count, and every one has this code. */
static unsigned int
ct_alice_responses(uint16_t code)
{
	struct tw_frames fa;
	unsigned int n;

	tw_take(&w, alice.tc, &fa);
	n = fa.n;
	for (unsigned int i = 0; i < fa.n; i++) {
		cr_assert_eq(fa.f[i]->f.kind, MSRP_KIND_RESPONSE);
		cr_assert_eq(fa.f[i]->f.status_code, code);
	}
	tw_frames_free(&fa);
	return n;
}

static size_t
ct_end_len(const char *tid)
{
	return 2 + 7 + strlen(tid) + 3; /* CRLF "-------" tid flag CRLF */
}

Test(sw_cutthrough, chunk_64k_streams_before_end_line, .init = setup, .fini = done)
{
	const size_t blen = 65536;
	char *body = ct_body(blen);
	size_t cap = blen + 1024, n, tail = ct_end_len("tid64k01");
	char *buf = malloc(cap);
	struct tw_frames fb, fc;
	unsigned int peak;

	n = tw_chunk(buf, cap, &alice, "tid64k01", "msg64k", "", "text/plain", 1, blen, body, '$');
	/* Everything but the end-line, 512 bytes at a time. */
	peak = ct_feed(alice.tc, buf, n - tail, CT_SPLIT, (CT_RECHUNK + 400) / CT_SPLIT + 3);

	cr_assert_lt(peak, 16u, "held buffers must not grow with the chunk (peak %u)", peak);
	/* No hop response before the end-line (RFC 4975 §7.2: one per chunk, after it). */
	cr_assert_eq(ct_alice_responses(200), 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	/* 31 pieces of 2048: the last 2048 bytes wait (one byte at least is kept back). */
	cr_assert_eq(fb.n, 31);
	cr_assert_eq(fc.n, 31);
	for (unsigned int i = 0; i < fb.n; i++) {
		cr_assert_eq(fb.f[i]->body_len, CT_RECHUNK);
		cr_assert_eq(fb.f[i]->f.byte_range.total, blen);
		cr_assert(tw_span_is(fb.f[i]->f.message_id, "msg64k"));
		cr_assert(memcmp(fb.f[i]->body, body + i * CT_RECHUNK, CT_RECHUNK) == 0);
	}
	cr_assert_eq(tw_cnt(&w, SW_CNT_STREAM_CHUNK), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_STREAM_PIECE), 31);
	ct_respond_all(bob.tc, &fb, 200);
	ct_respond_all(carol.tc, &fc, 200);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 1);

	/* The end-line: the remainder with '$', then the 200. */
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf + n - tail, tail, 0), 0);
	cr_assert_eq(ct_alice_responses(200), 1);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->f.flag, MSRP_FLAG_END);
	cr_assert_eq(fb.f[0]->f.byte_range.start, 31 * CT_RECHUNK + 1);
	cr_assert_eq(fb.f[0]->body_len, CT_RECHUNK);
	cr_assert(memcmp(fb.f[0]->body, body + 31 * CT_RECHUNK, CT_RECHUNK) == 0);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fc.n, 1);
	ct_respond_all(carol.tc, &fc, 200);
	tw_frames_free(&fc);
	/* Same pieces as a whole chunk re-chunked: 31 extra chunks per recipient. */
	cr_assert_eq(tw_cnt(&w, SW_CNT_RECHUNK), 62);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	cr_assert_eq(sw_conn_held(w.lc, w.c[alice.tc].eng), 0);
	free(buf);
	free(body);
}

Test(sw_cutthrough, end_line_split_at_every_position, .init = setup, .fini = done)
{
	const size_t blen = 5000;
	char *body = ct_body(blen);
	static char buf[8000];
	static uint8_t got[8000];
	struct tw_frames fb;

	/* The body ends with a near end-line: the matcher carries a partial match and drops it. */
	memcpy(body + blen - 8, "\r\n------", 8);
	for (size_t k = 0; k <= ct_end_len("tidsp000"); k++) {
		char tid[16], mid[16];
		size_t n, tail = ct_end_len("tidsp000"), cut;

		snprintf(tid, sizeof(tid), "tidsp%03zu", k);
		snprintf(mid, sizeof(mid), "msgsp%03zu", k);
		n = tw_chunk(buf, sizeof(buf), &alice, tid, mid, "", "text/plain", 1, blen, body,
		             '$');
		cut = n - tail + k;
		ct_feed(alice.tc, buf, cut, 700, (CT_RECHUNK + 400) / 700 + 4);
		if (cut < n) {
			cr_assert_eq(ct_alice_responses(200), 0,
			             "split %zu: response before the end-line", k);
			cr_assert_eq(tw_rx_split(&w, alice.tc, buf + cut, n - cut, 0), 0);
		}
		cr_assert_eq(ct_alice_responses(200), 1, "split %zu", k);
		tw_take(&w, bob.tc, &fb);
		cr_assert_eq(ct_join(&fb, '$', got, sizeof(got)), blen, "split %zu", k);
		cr_assert(memcmp(got, body, blen) == 0, "split %zu: body differs", k);
		cr_assert_eq(fb.n, 3);
		ct_respond_all(bob.tc, &fb, 200);
		tw_frames_free(&fb);
		tw_take(&w, carol.tc, &fb);
		cr_assert_eq(ct_join(&fb, '$', got, sizeof(got)), blen);
		ct_respond_all(carol.tc, &fb, 200);
		tw_frames_free(&fb);
		cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
		cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	}
	cr_assert_eq(tw_cnt(&w, SW_CNT_STREAM_CHUNK), ct_end_len("tidsp000") + 1);
	free(body);
}

Test(sw_cutthrough, abort_after_pieces_ends_with_hash, .init = setup, .fini = done)
{
	const size_t blen = 10000;
	char *body = ct_body(blen);
	static char buf[12000];
	static uint8_t got[12000];
	struct tw_frames fb;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "tidab001", "msgab1", "", "text/plain", 1, 0,
	                    body, '#');
	size_t tail = ct_end_len("tidab001");

	ct_feed(alice.tc, buf, n - tail, 1000, (CT_RECHUNK + 400) / 1000 + 4);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 4); /* 4 x 2048 out, 1808 kept */
	cr_assert_eq(fb.f[3]->f.flag, MSRP_FLAG_MORE);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf + n - tail, tail, 0), 0);
	cr_assert_eq(ct_alice_responses(200), 1);
	/* The open message ends with '#' carrying the rest. */
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->f.flag, MSRP_FLAG_ABORT);
	cr_assert_eq(fb.f[0]->f.byte_range.start, 4 * CT_RECHUNK + 1);
	cr_assert_eq(fb.f[0]->body_len, blen - 4 * CT_RECHUNK);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fb);
	cr_assert_eq(ct_join(&fb, '#', got, sizeof(got)), blen);
	ct_respond_all(carol.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ABORT_FWD), 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_TX_REPORT), 0);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	free(body);
}

Test(sw_cutthrough, recipient_413_mid_chunk, .init = setup, .fini = done)
{
	const size_t blen = 20000;
	char *body = ct_body(blen);
	static char buf[22000];
	static uint8_t got[22000];
	struct tw_frames fb, fc;
	size_t n = tw_chunk(buf, sizeof(buf), &alice, "tid41301", "msg413", "", "text/plain", 1,
	                    blen, body, '$');
	size_t first = 3000; /* header + enough body for one piece */

	ct_feed(alice.tc, buf, first, 1000, 8);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fc.n, 1);
	/* Carol refuses the message (SWX-08): nothing more of it goes to her. */
	tw_respond(&w, carol.tc, fc.f[0], 413);
	tw_frames_free(&fc);
	ct_feed(alice.tc, buf + first, n - first, 1000, (CT_RECHUNK + 400) / 1000 + 4);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fc.n, 0, "carol got %u more pieces after her 413", fc.n);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(ct_join(&fb, '$', got, sizeof(got)), blen);
	cr_assert(memcmp(got, body, blen) == 0);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	/* The hop 200, then one failure REPORT naming carol's 413 (RFC 4975 §7.1.2). */
	tw_take(&w, alice.tc, &fb);
	cr_assert_eq(fb.n, 2);
	cr_assert_eq(fb.f[0]->f.status_code, 200);
	cr_assert_eq(fb.f[1]->f.method, MSRP_METHOD_REPORT);
	cr_assert_eq(fb.f[1]->f.status.code, 413);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_413), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_NOT_SENT), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}

static const char ct_cpim_head[] = "NS: FR <urn:oma:xml:poc:final-report>\r\n"
                                   "From: <sip:alice@example.com>\r\n"
                                   "To: <sip:conf1@sw.example>\r\n"
                                   "FR.Final-Report: yes\r\n"
                                   "\r\n"
                                   "Content-Type: text/plain\r\n"
                                   "\r\n";

Test(sw_cutthrough, final_report_of_streamed_chunk, .init = setup, .fini = done)
{
	const size_t tlen = 9000;
	char *text = ct_body(tlen);
	size_t blen = strlen(ct_cpim_head) + tlen;
	char *body = malloc(blen + 1);
	static char buf[12000];
	static uint8_t got[12000];
	struct tw_frames fb, fc, fa;
	size_t n, tail = ct_end_len("tidfr001");

	snprintf(body, blen + 1, "%s%s", ct_cpim_head, text);
	n = tw_chunk(buf, sizeof(buf), &alice, "tidfr001", "msgfr1", "Success-Report: yes\r\n",
	             "message/cpim", 1, blen, body, '$');
	/* A CPIM first chunk waits for its header block (4 KiB prefix) before anything. */
	ct_feed(alice.tc, buf, 3500, 500, 12);
	cr_assert_eq(w.c[bob.tc].out_len, 0);
	ct_feed(alice.tc, buf + 3500, n - tail - 3500, 500, 12);
	tw_take(&w, bob.tc, &fb);
	cr_assert_geq(fb.n, 2);
	/* Final report asked (FDR-04): every piece asks for a success REPORT. */
	cr_assert(tw_span_is(tw_hdr(fb.f[0], "Success-Report"), "yes"));
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fc);
	ct_respond_all(carol.tc, &fc, 200);
	tw_frames_free(&fc);
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf + n - tail, tail, 0), 0);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->f.flag, MSRP_FLAG_END);
	cr_assert_eq(fb.f[0]->f.byte_range.end, blen);
	ct_respond_all(bob.tc, &fb, 200);
	ct_respond_all(carol.tc, &fc, 200);
	cr_assert_eq(w.ev.final_report, 0);
	/* Both report every byte (the REPORT of the last piece covers 1-total/total). */
	tw_report(&w, bob.tc, fb.f[0], 200);
	tw_report(&w, carol.tc, fc.f[0], 200);
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	cr_assert_eq(w.ev.final_report, 1);
	cr_assert_eq(w.ev.last_report.delivered, 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 2); /* the hop 200, then the final report as a REPORT */
	cr_assert_eq(fa.f[0]->f.status_code, 200);
	cr_assert_eq(fa.f[1]->f.method, MSRP_METHOD_REPORT);
	cr_assert(tw_span_is(fa.f[1]->f.message_id, "msgfr1"));
	tw_frames_free(&fa);
	(void)got;
	free(body);
	free(text);
}

Test(sw_cutthrough, two_lcores, .fini = done)
{
	const size_t blen = 20000;
	char *body = ct_body(blen);
	static char buf[22000];
	static uint8_t got[22000];
	struct tw_frames fb, fc;
	size_t n, tail = ct_end_len("tid2lc01");

	setup_on(MSW_CTL_CPIM_OFF, 0, NULL, 2); /* bob on lcore 1 */
	n = tw_chunk(buf, sizeof(buf), &alice, "tid2lc01", "msg2lc", "", "text/plain", 1, blen,
	             body, '$');
	ct_feed(alice.tc, buf, n - tail, 800, (CT_RECHUNK + 400) / 800 + 4);
	/* Pieces crossed to lcore 1 before the end-line. */
	cr_assert_gt(tw_cnt(&w, SW_CNT_XFER_TX), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 9);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf + n - tail, tail, 0), 0);
	cr_assert_eq(ct_alice_responses(200), 1);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->f.byte_range.start, 9 * CT_RECHUNK + 1);
	cr_assert_eq(fb.f[0]->f.flag, MSRP_FLAG_END);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(ct_join(&fc, '$', got, sizeof(got)), blen);
	cr_assert(memcmp(got, body, blen) == 0);
	ct_respond_all(carol.tc, &fc, 200);
	tw_frames_free(&fc);
	cr_assert_eq(tw_cnt(&w, SW_CNT_RCPT_DELIVERED), 2);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}

Test(sw_cutthrough, cpim_wrap_on_streamed_chunk, .fini = done)
{
	struct tw_leg_opts plain_only = {.accept = "text/plain"};
	const size_t blen = 10000;
	char *body = ct_body(blen);
	static char buf[12000];
	static uint8_t got[14000];
	struct tw_frames fb, fc;
	size_t n, tail = ct_end_len("tidwr001"), gl;
	const char *env = "From: \"alice\" <sip:alice@example.com>\r\n"
	                  "To: <sip:conf1@sw.example>\r\n"
	                  "\r\n"
	                  "Content-Type: text/plain\r\n"
	                  "\r\n";
	size_t el = strlen(env);

	setup_on(MSW_CTL_CPIM_WRAP, 0, &plain_only, 1);
	n = tw_chunk(buf, sizeof(buf), &alice, "tidwr001", "msgwr1", "", "text/plain", 1, blen,
	             body, '$');
	ct_feed(alice.tc, buf, n - tail, 600, (CT_RECHUNK + 400) / 600 + 4);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 4);
	/* The first piece carries the envelope, later ones are shifted by it (SWX-06). */
	cr_assert(tw_span_is(fb.f[0]->f.content_type, "message/cpim"));
	cr_assert_eq(fb.f[0]->f.byte_range.total, blen + el);
	cr_assert_eq(fb.f[1]->f.byte_range.start, el + CT_RECHUNK + 1);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf + n - tail, tail, 0), 0);
	/* All of bob's frames together: the envelope, then the untouched body. */
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->f.byte_range.end, blen + el);
	cr_assert_eq(fb.f[0]->f.flag, MSRP_FLAG_END);
	cr_assert(memcmp(fb.f[0]->body, body + 4 * CT_RECHUNK, blen - 4 * CT_RECHUNK) == 0);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	/* Carol takes only text/plain: as sent. */
	tw_take(&w, carol.tc, &fc);
	gl = ct_join(&fc, '$', got, sizeof(got));
	cr_assert_eq(gl, blen);
	cr_assert(memcmp(got, body, blen) == 0);
	cr_assert(tw_span_is(fc.f[0]->f.content_type, "text/plain"));
	ct_respond_all(carol.tc, &fc, 200);
	tw_frames_free(&fc);
	cr_assert_eq(ct_alice_responses(200), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CPIM_WRAP), 1);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}

Test(sw_cutthrough, envelope_of_first_piece_exact, .fini = done)
{
	const size_t blen = 6000;
	char *body = ct_body(blen);
	static char buf[8000];
	static uint8_t got[9000];
	struct tw_frames fb;
	const char *env = "From: \"alice\" <sip:alice@example.com>\r\n"
	                  "To: <sip:conf1@sw.example>\r\n"
	                  "\r\n"
	                  "Content-Type: text/plain\r\n"
	                  "\r\n";
	size_t el = strlen(env), n, gl;

	setup_on(MSW_CTL_CPIM_WRAP, 0, NULL, 1);
	n = tw_chunk(buf, sizeof(buf), &alice, "tidwr002", "msgwr2", "", "text/plain", 1, blen,
	             body, '$');
	ct_feed(alice.tc, buf, n, 333, (CT_RECHUNK + 400) / 333 + 4);
	tw_take(&w, bob.tc, &fb);
	gl = ct_join(&fb, '$', got, sizeof(got));
	cr_assert_eq(gl, el + blen);
	cr_assert(memcmp(got, env, el) == 0);
	cr_assert(memcmp(got + el, body, blen) == 0);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fb);
	ct_respond_all(carol.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}

Test(sw_cutthrough, conference_max_size_inside_one_chunk, .fini = done)
{
	const size_t blen = 30000;
	char *body = ct_body(blen);
	static char buf[32000];
	struct tw_frames fb;
	size_t n;

	/* 8000 bytes at most; the chunk's total is unknown ('*'). */
	setup_on(MSW_CTL_CPIM_OFF, 8000, NULL, 1);
	n = tw_chunk(buf, sizeof(buf), &alice, "tidmx001", "msgmx1", "", "text/plain", 1, 0, body,
	             '$');
	/* Past the limit the body is dropped as it comes: memory stays bounded. */
	ct_feed(alice.tc, buf, n, 1000, (CT_RECHUNK + 400) / 1000 + 4);
	tw_take(&w, bob.tc, &fb);
	/* 3 pieces (6144 bytes); the 4th would pass 8000: the open message gets '#'. */
	cr_assert_eq(fb.n, 4);
	cr_assert_eq(fb.f[2]->f.flag, MSRP_FLAG_MORE);
	cr_assert_eq(fb.f[3]->f.flag, MSRP_FLAG_ABORT);
	cr_assert_eq(fb.f[3]->body_len, 0);
	cr_assert_eq(fb.f[3]->f.byte_range.start, 3 * CT_RECHUNK + 1);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	tw_take(&w, carol.tc, &fb);
	ct_respond_all(carol.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(ct_alice_responses(413), 1);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_413), 1);
	cr_assert_gt(tw_cnt(&w, SW_CNT_STREAM_DROP), 20000);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}

Test(sw_cutthrough, unknown_session_body_dropped_then_481, .init = setup, .fini = done)
{
	const size_t blen = 40000;
	char *body = ct_body(blen);
	static char buf[42000];
	struct tw_leg ghost = alice;
	size_t n;
	struct tw_frames fa;

	/* A session-id nobody has: refused at its head, its body never held. */
	memcpy(strstr(ghost.uri, "sw.example:2855/") + 16, "XXXX", 4);
	n = tw_chunk(buf, sizeof(buf), &ghost, "tidgh001", "msggh1", "", "text/plain", 1, blen,
	             body, '$');
	ct_feed(alice.tc, buf, n, 1000, (CT_RECHUNK + 400) / 1000 + 4);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 481);
	tw_frames_free(&fa);
	cr_assert_eq(w.c[bob.tc].out_len, 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_481), 1);
	/* The connection is still usable. */
	tw_send_msg(&w, &alice, "tidok001", "msgok1", "", "after");
	tw_take(&w, bob.tc, &fa);
	cr_assert_eq(fa.n, 1);
	ct_respond_all(bob.tc, &fa, 200);
	tw_frames_free(&fa);
	tw_take(&w, carol.tc, &fa);
	ct_respond_all(carol.tc, &fa, 200);
	tw_frames_free(&fa);
	free(body);
}

/*
 * The parser side (msrp_parser_body_partial/drop): fed one byte per buffer, bytes reported
 * certain are exactly a prefix of the body (never part of the end-line, which straddles
 * feeds), a drop lets every buffer before the remaining spans be overwritten (the header
 * block was copied), and the completed frame has the whole body_len with the rest in spans.
 */
Test(sw_cutthrough, parser_certain_bytes_and_drop)
{
	static const char head[] = "MSRP tidpc001 SEND\r\nTo-Path: msrp://a.example:1/s;tcp\r\n"
	                           "From-Path: msrp://b.example:1/t;tcp\r\nMessage-ID: msgpc001\r\n"
	                           "Content-Type: text/plain\r\n\r\n";
	static const char body[] = "ab\r\n-------tidpc00 \r\n------\r\n-------tidpc001x\r\n--";
	static const char end[] = "\r\n-------tidpc001$\r\n";
	char wire[512];
	size_t n = (size_t)snprintf(wire, sizeof(wire), "%s%s%s", head, body, end);
	size_t blen = strlen(body), got = 0;
	uint8_t *bufs[512];
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES], out[128];
	struct msrp_parser p;
	struct msrp_frame f;
	bool done = false, lagged = false;

	cr_assert_eq(msrp_parser_init(&p, NULL, hdr, sizeof(hdr)), 0);
	for (size_t i = 0; i < n; i++) {
		size_t used = 0;
		enum msrp_rc rc;
		uint64_t certain;
		const struct msrp_frame *pf;

		bufs[i] = malloc(1);
		bufs[i][0] = (uint8_t)wire[i];
		rc = msrp_parser_feed(&p, bufs[i], 1, &used, &f);
		if (rc == MSRP_OK) {
			cr_assert_eq(i, n - 1);
			done = true;
			break;
		}
		cr_assert_eq(rc, MSRP_AGAIN, "byte %zu: %s", i, msrp_rc_name(rc));
		pf = msrp_parser_body_partial(&p, &certain);
		if (i + 1 < strlen(head)) {
			cr_assert_null(pf);
			continue;
		}
		cr_assert_not_null(pf);
		cr_assert_leq(certain, blen, "byte %zu: %llu certain of a %zu-byte body", i,
		              (unsigned long long)certain, blen);
		cr_assert_eq(pf->body_skip, got);
		/* Bytes that may still be the end-line are held back (near lookalikes). */
		if (i + 1 - strlen(head) <= blen && certain < i + 1 - strlen(head))
			lagged = true;
		/* What is certain is body: consume it from the spans, then drop it. */
		for (uint32_t k = 0; k < pf->n_body_segs && got < certain; k++)
			for (uint32_t j = 0; j < pf->body_segs[k].len && got < certain; j++)
				out[got++] = pf->body_segs[k].p[j];
		msrp_parser_body_drop(&p, certain);
		cr_assert_eq(pf->body_skip, certain);
		/* Every buffer before the first listed byte may now be reused. */
		for (size_t k = 0; k <= i; k++)
			if (pf->n_body_segs == 0 || bufs[k] != pf->body_segs[0].p)
				bufs[k][0] = 'Z';
			else
				break;
	}
	cr_assert(done);
	cr_assert_eq(f.body_len, blen);
	cr_assert_eq(f.flag, MSRP_FLAG_END);
	cr_assert(tw_span_is(f.message_id, "msgpc001"), "header spans survive their buffers");
	cr_assert(tw_span_is(f.content_type, "text/plain"));
	cr_assert_eq(f.body_skip, got);
	/* The spans list exactly the bytes not dropped (none: all were certain before the
	 * last feed, which only completed the end-line). */
	uint64_t rest = 0;

	for (uint32_t k = 0; k < f.n_body_segs; k++)
		rest += f.body_segs[k].len;
	cr_assert_eq(rest, f.body_len - f.body_skip);
	cr_assert_eq(got, blen);
	cr_assert(memcmp(out, body, blen) == 0);
	cr_assert(lagged, "the end-line's lookalikes were never held back");
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
}

/* EV_HISTORY of a streamed chunk: one event per piece, at its offset, '+' then the flag. */
Test(sw_cutthrough, history_per_piece, .fini = done)
{
	struct tw_leg_opts hist = {.history = true};
	const size_t blen = 3000;
	char *body = ct_body(blen);
	static char buf[4000];
	struct tw_frames fb;
	struct sw_params p;
	size_t n;

	tw_default_params(&p);
	p.rechunk_bytes = CT_RECHUNK;
	tw_init_params(&w, &p);
	tw_conf(&w, "conf1", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, &hist);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	n = tw_chunk(buf, sizeof(buf), &alice, "tidhi001", "msghi1", "", "text/plain", 1, blen,
	             body, '$');
	ct_feed(alice.tc, buf, n, 400, (CT_RECHUNK + 400) / 400 + 4);
	cr_assert_eq(tw_cnt(&w, SW_CNT_STREAM_PIECE), 1);
	cr_assert_eq(w.ev.history, 2);
	cr_assert_str_eq(w.ev.hist_flags, "+$");
	cr_assert_eq(w.ev.hist_len, blen);
	cr_assert(memcmp(w.ev.hist, body, blen) == 0);
	tw_take(&w, bob.tc, &fb);
	ct_respond_all(bob.tc, &fb, 200);
	tw_frames_free(&fb);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	free(body);
}
