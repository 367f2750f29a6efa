/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conference CPIM policy: wrap (SWX-06), required (415), off (byte-exact), From overwrite with
 * the chat alias and the Byte-Range shift of later chunks (SWX-04, ALS-03), unwrapped copies
 * for recipients without message/cpim, private messages by CPIM To (SWX-05).
 */
#include "cpim/cpim.h"
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob, carol;

static void
setup(uint8_t policy, const struct tw_leg_opts *ao)
{
	struct tw_leg_opts plain_only = {.accept = "text/plain"};

	tw_init(&w);
	tw_conf(&w, "conf1", policy, 0);
	tw_leg_add(&w, "conf1", "alice", &alice, ao);
	tw_leg_add(&w, "conf1", "bob", &bob, NULL);
	tw_leg_add(&w, "conf1", "carol", &carol, &plain_only);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	tw_bind(&w, &carol);
}

/* Concatenate the bodies of frames (one message) and check the Byte-Ranges are contiguous. */
static size_t
join(const struct tw_frames *fs, uint8_t *out, size_t cap)
{
	size_t len = 0;

	for (unsigned int i = 0; i < fs->n; i++) {
		const struct msrp_frame *f = &fs->f[i]->f;

		cr_assert_eq(f->byte_range.start, len + 1, "chunk %u starts at %llu, want %zu", i,
		             (unsigned long long)f->byte_range.start, len + 1);
		cr_assert_eq(f->byte_range.end, len + fs->f[i]->body_len);
		cr_assert_leq(len + fs->f[i]->body_len, cap);
		memcpy(out + len, fs->f[i]->body, fs->f[i]->body_len);
		len += fs->f[i]->body_len;
	}
	for (unsigned int i = 0; i < fs->n; i++)
		cr_assert_eq(fs->f[i]->f.byte_range.total, len);
	return len;
}

Test(sw_cpim, wrap_plain_exact)
{
	struct tw_frames fb, fc;

	setup(MSW_CTL_CPIM_WRAP, NULL);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-w001", "", "hello");
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 1);
	const char *env = "From: \"alice\" <sip:alice@example.com>\r\n"
	                  "To: <sip:conf1@sw.example>\r\n"
	                  "\r\n"
	                  "Content-Type: text/plain\r\n"
	                  "\r\n"
	                  "hello";
	size_t n = strlen(env);

	cr_assert(tw_span_is(fb.f[0]->f.content_type, "message/cpim"));
	cr_assert_eq(fb.f[0]->body_len, n, "%.*s", (int)fb.f[0]->body_len, fb.f[0]->body);
	cr_assert(memcmp(fb.f[0]->body, env, n) == 0, "%.*s", (int)fb.f[0]->body_len,
	          fb.f[0]->body);
	cr_assert_eq(fb.f[0]->f.byte_range.start, 1);
	cr_assert_eq(fb.f[0]->f.byte_range.end, n);
	cr_assert_eq(fb.f[0]->f.byte_range.total, n);
	cr_assert(tw_span_is(fb.f[0]->f.message_id, "msg-w001"));
	/* carol does not accept message/cpim: the plain body, byte-exact. */
	cr_assert_eq(fc.n, 1);
	cr_assert(tw_span_is(fc.f[0]->f.content_type, "text/plain"));
	cr_assert_eq(fc.f[0]->body_len, 5);
	cr_assert_eq(fc.f[0]->f.byte_range.total, 5);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CPIM_WRAP), 1);
	/* Delivered as the recipient's form: a REPORT covering the wrapped size counts. */
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_fini(&w);
}

/* RFC 2183: a file's Content-Disposition moves into the envelope when the switch wraps. */
Test(sw_cpim, wrap_keeps_content_disposition)
{
	struct tw_frames fb;

	char buf[512];

	setup(MSW_CTL_CPIM_WRAP, NULL);
	/* RFC 4975 §9: other MIME headers come with Content-Type, after Byte-Range. */
	snprintf(buf, sizeof(buf),
	         "MSRP t1aaaaaa SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: msg-w002\r\n"
	         "Byte-Range: 1-5/5\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n"
	         "Content-Type: text/plain\r\n\r\nhello\r\n-------t1aaaaaa$\r\n",
	         alice.uri, alice.path);
	cr_assert_eq(tw_rx(&w, alice.tc, buf), 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	const char *env = "From: \"alice\" <sip:alice@example.com>\r\n"
	                  "To: <sip:conf1@sw.example>\r\n"
	                  "\r\n"
	                  "Content-Type: text/plain\r\n"
	                  "Content-Disposition: attachment; filename=\"a.txt\"\r\n"
	                  "\r\n"
	                  "hello";

	cr_assert_eq(fb.f[0]->body_len, strlen(env), "%.*s", (int)fb.f[0]->body_len, fb.f[0]->body);
	cr_assert(memcmp(fb.f[0]->body, env, strlen(env)) == 0);
	cr_assert_eq(fb.f[0]->f.byte_range.total, strlen(env));
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_cpim, wrap_chunked_shifts_byte_range)
{
	char buf[1024];
	struct tw_frames fb;
	uint8_t all[1024];
	struct cpim_msg cm;
	size_t n;

	setup(MSW_CTL_CPIM_WRAP, NULL);
	n = tw_chunk(buf, sizeof(buf), &alice, "t1aaaaaa", "msg-w002", "", "text/plain", 1, 6,
	             "abc", '+');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2aaaaaa", "msg-w002", "", "text/plain", 4, 6,
	             "def", '$');
	tw_rx_split(&w, alice.tc, buf, n, 0);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 2);
	n = join(&fb, all, sizeof(all));
	cr_assert_eq(cpim_parse(all, (uint32_t)n, &cm), CPIM_OK);
	cr_assert(cm.content.len == 6 && memcmp(cm.content.p, "abcdef", 6) == 0);
	cr_assert(cpim_span_eq(cm.from.uri, "sip:alice@example.com"));
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_cpim, required_refuses_plain_415)
{
	struct tw_frames fa, fb;

	setup(MSW_CTL_CPIM_REQUIRED, NULL);
	tw_send_msg(&w, &alice, "t1aaaaaa", "msg-r001", "", "hello");
	tw_take(&w, alice.tc, &fa);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 415);
	cr_assert_eq(fb.n, 0);
	tw_frames_free(&fa);
	tw_fini(&w);
}

static void
send_cpim(const char *msgid, const char *from, const char *to, const char *content, bool split)
{
	char body[1024], buf[2048];
	size_t n;
	int bl = snprintf(body, sizeof(body),
	                  "From: %s\r\nTo: %s\r\n\r\nContent-Type: text/plain\r\n\r\n%s", from, to,
	                  content);

	if (!split) {
		n = tw_chunk(buf, sizeof(buf), &alice, "t1cpim00", msgid, "", "message/cpim", 1,
		             (uint64_t)bl, body, '$');
		cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
		return;
	}
	/* Two chunks: all but the last 3 bytes, then the last 3. */
	char first[1024];

	memcpy(first, body, (size_t)bl - 3);
	first[bl - 3] = '\0';
	n = tw_chunk(buf, sizeof(buf), &alice, "t1cpim00", msgid, "", "message/cpim", 1,
	             (uint64_t)bl, first, '+');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
	n = tw_chunk(buf, sizeof(buf), &alice, "t2cpim00", msgid, "", "message/cpim",
	             (uint64_t)bl - 2, (uint64_t)bl, body + bl - 3, '$');
	cr_assert_eq(tw_rx_split(&w, alice.tc, buf, n, 0), 0);
}

Test(sw_cpim, anonymous_alias_rewrite_shifts_later_chunks)
{
	struct tw_leg_opts anon = {.anonymous = true, .alias = "Wonder"};
	struct tw_frames fb, fc;
	uint8_t all[1024];
	struct cpim_msg cm;
	size_t n;

	setup(MSW_CTL_CPIM_WRAP, &anon);
	/* The sender shows its real identity: overwritten with its alias, never rejected. */
	send_cpim("msg-a001", "<sip:alice@example.com>", "<sip:conf1@sw.example>", "hello world",
	          true);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 2);
	n = join(&fb, all, sizeof(all));
	cr_assert_eq(cpim_parse(all, (uint32_t)n, &cm), CPIM_OK, "%.*s", (int)n, all);
	cr_assert(cpim_span_eq(cm.from.uri, "sip:anonymous@anonymous.invalid"));
	cr_assert(cpim_span_eq(cm.from.display, "\"Wonder\""));
	cr_assert(cm.content.len == 11 && memcmp(cm.content.p, "hello world", 11) == 0);
	cr_assert(memmem(all, n, "alice", 5) == NULL, "identity leaked: %.*s", (int)n, all);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CPIM_FROM_REWRITE), 1);
	/* carol (text/plain only) gets the content unwrapped, Byte-Range shifted back. */
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fc.n, 2);
	n = join(&fc, all, sizeof(all));
	cr_assert(n == 11 && memcmp(all, "hello world", 11) == 0, "%.*s", (int)n, all);
	cr_assert(tw_span_is(fc.f[0]->f.content_type, "text/plain"));
	tw_frames_free(&fb);
	tw_frames_free(&fc);
	tw_fini(&w);
}

Test(sw_cpim, off_is_byte_exact)
{
	struct tw_frames fb;
	const char *body = "From: <sip:mallory@example.com>\r\nTo: <sip:conf1@sw.example>\r\n\r\n"
	                   "Content-Type: text/plain\r\n\r\nhi";

	setup(MSW_CTL_CPIM_OFF, NULL);
	send_cpim("msg-o001", "<sip:mallory@example.com>", "<sip:conf1@sw.example>", "hi", false);
	tw_take(&w, bob.tc, &fb);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fb.f[0]->body_len, strlen(body));
	cr_assert(memcmp(fb.f[0]->body, body, strlen(body)) == 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CPIM_FROM_REWRITE), 0);
	tw_frames_free(&fb);
	tw_fini(&w);
}

Test(sw_cpim, private_message_by_uri_and_alias)
{
	struct tw_frames fa, fb, fc;

	setup(MSW_CTL_CPIM_WRAP, NULL);
	send_cpim("msg-p001", "<sip:alice@example.com>", "<sip:carol@example.com>", "psst", false);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 0);
	cr_assert_eq(fc.n, 1);
	tw_frames_free(&fc);
	/* By chat alias (display name). */
	send_cpim("msg-p002", "<sip:alice@example.com>", "\"bob\" <sip:unknown@example.com>", "yo",
	          false);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n, 1);
	cr_assert_eq(fc.n, 0);
	tw_frames_free(&fb);
	cr_assert_eq(tw_cnt(&w, SW_CNT_PRIVATE), 2);
	/* Nobody by that name: refused (SWX-05), nobody gets it. */
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	send_cpim("msg-p003", "<sip:alice@example.com>", "<sip:nobody@example.com>", "??", false);
	tw_take(&w, alice.tc, &fa);
	cr_assert_eq(fa.n, 1);
	cr_assert_eq(fa.f[0]->f.status_code, 403);
	tw_take(&w, bob.tc, &fb);
	tw_take(&w, carol.tc, &fc);
	cr_assert_eq(fb.n + fc.n, 0);
	tw_frames_free(&fa);
	tw_fini(&w);
}
