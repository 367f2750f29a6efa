/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * In-memory wire, refcounted heap buffers and a virtual clock for the switch engine tests.
 * The transport appends every frame the engine sends to the connection's output; tests parse
 * that output with the common/msrp parser (tw_take) and check exact bytes where it matters.
 * Buffers count their references: every test ends with tw_fini(), which checks that no
 * buffer is leaked or released twice.
 *
 * Thread-safety: single-threaded test code.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "fdr/fdr.h"
#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "switch/sw.h"

#define TW_CONNS 16

/* A refcounted receive buffer (what an rte_mbuf is in the data plane). */
struct tw_buf {
	int refs;
	uint32_t len;
	uint8_t data[];
};

struct tw_conn {
	bool open, closed;
	uint32_t lcore; /* engine lcore that owns it */
	uint32_t eng;   /* engine connection index on that lcore */
	uint8_t *out;
	size_t out_len, out_cap;
	size_t queue_limit;        /* 0 = unlimited; else -ENOBUFS once out_len exceeds it */
	struct tw_buf *kept[4096]; /* buffer references the "transport" holds until drained */
	unsigned int n_kept;
	uint64_t zero_copy_bytes; /* body bytes sent by reference */
	char dialled[256];
	/* sw_lcore_send_origin() as seen by the last send on this connection */
	bool origin_known;
	uint32_t origin_lcore;
	sw_tconn_t origin_tc;
};

struct tw_ev {
	unsigned int bound, closed, msg_done, settled, final_report, history;
	uint8_t hist[4096]; /* history bytes, placed at their offsets */
	size_t hist_len;
	char hist_flags[16];
	uint32_t last_close_reason;
	struct msw_ctl_ev_report last_report;
	uint64_t report_bytes; /* detail bytes of every final_report event */
};

struct tw {
	struct tw_conn c[TW_CONNS];
	int live_bufs;
	int bad_release;
	uint64_t now_us;
	struct sw_engine *e;
	struct sw_lcore *lc; /* lcore 0 */
	unsigned int n_lcores;
	struct tw_ev ev;
};

static inline void
tw_hold(void *ctx, struct sw_buf *b)
{
	(void)ctx;
	((struct tw_buf *)(void *)b)->refs++;
}

static inline void
tw_release(void *ctx, struct sw_buf *b)
{
	struct tw *w = ctx;
	struct tw_buf *t = (struct tw_buf *)(void *)b;

	if (t->refs <= 0) {
		w->bad_release++;
		return;
	}
	if (--t->refs == 0) {
		w->live_bufs--;
		free(t);
	}
}

static inline int
tw_send(void *ctx, sw_tconn_t tc, const struct sw_seg *segs, unsigned int n)
{
	struct tw *w = ctx;
	struct tw_conn *c = &w->c[tc];
	size_t total = 0;

	if (!c->open || c->closed)
		return -EPIPE;
	c->origin_known = sw_lcore_send_origin(sw_engine_lcore(w->e, c->lcore), &c->origin_lcore,
	                                       &c->origin_tc);
	if (c->queue_limit != 0 && c->out_len > c->queue_limit)
		return -ENOBUFS;
	for (unsigned int i = 0; i < n; i++)
		total += segs[i].len;
	if (c->out_len + total > c->out_cap) {
		c->out_cap = (c->out_len + total) * 2 + 1024;
		c->out = realloc(c->out, c->out_cap);
	}
	for (unsigned int i = 0; i < n; i++) {
		memcpy(c->out + c->out_len, segs[i].p, segs[i].len);
		c->out_len += segs[i].len;
		if (segs[i].buf != NULL && c->n_kept < 4096) {
			tw_hold(w, segs[i].buf);
			c->kept[c->n_kept++] = (struct tw_buf *)(void *)segs[i].buf;
			c->zero_copy_bytes += segs[i].len;
		}
	}
	return 0;
}

static inline void
tw_close(void *ctx, sw_tconn_t tc)
{
	struct tw *w = ctx;

	w->c[tc].closed = true;
}

static inline int
tw_connect(void *ctx, const struct msrp_uri *uri, sw_tconn_t *tc)
{
	struct tw *w = ctx;

	for (unsigned int i = 0; i < TW_CONNS; i++)
		if (!w->c[i].open) {
			w->c[i].open = true;
			snprintf(w->c[i].dialled, sizeof(w->c[i].dialled), "%.*s",
			         (int)uri->raw.len, (const char *)uri->raw.p);
			*tc = i;
			return 0;
		}
	return -ENOSPC;
}

static inline void
tw_ev_bound(void *ctx, const struct msw_ctl_ev_leg *ev)
{
	(void)ev;
	((struct tw *)ctx)->ev.bound++;
}

static inline void
tw_ev_closed(void *ctx, const struct msw_ctl_ev_leg *ev)
{
	((struct tw *)ctx)->ev.closed++;
	((struct tw *)ctx)->ev.last_close_reason = ev->reason;
}

static inline void
tw_ev_msg(void *ctx, const struct msw_ctl_ev_msg *ev)
{
	if (ev->msg_flags & MSW_CTL_MSG_F_SETTLED)
		((struct tw *)ctx)->ev.settled++;
	else
		((struct tw *)ctx)->ev.msg_done++;
}

static inline void
tw_ev_report(void *ctx, const struct msw_ctl_ev_report *ev, const uint8_t *d, uint32_t n)
{
	(void)d;
	((struct tw *)ctx)->ev.report_bytes += n;
	((struct tw *)ctx)->ev.final_report++;
	((struct tw *)ctx)->ev.last_report = *ev;
}

static void
tw_ev_history(void *ctx, const struct msw_ctl_ev_msg *ev, uint64_t offset, struct msrp_span ct,
              const struct sw_seg *body, unsigned int n)
{
	struct tw *w = ctx;

	(void)ct;
	if (w->ev.history < sizeof(w->ev.hist_flags) - 1)
		w->ev.hist_flags[w->ev.history] = (char)ev->msg_flags;
	w->ev.history++;
	for (unsigned int i = 0; i < n; i++) {
		if (offset + body[i].len <= sizeof(w->ev.hist)) {
			memcpy(w->ev.hist + offset, body[i].p, body[i].len);
			if (offset + body[i].len > w->ev.hist_len)
				w->ev.hist_len = offset + body[i].len;
		}
		offset += body[i].len;
	}
}

static const uint8_t tw_seed[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static inline void
tw_init_params(struct tw *w, const struct sw_params *p)
{
	static const struct sw_transport_ops tops = {tw_send, tw_close, tw_connect};
	static const struct sw_buf_ops bops = {tw_hold, tw_release};
	static const struct sw_event_ops eops = {tw_ev_bound, tw_ev_closed, tw_ev_msg, tw_ev_report,
	                                         tw_ev_history};

	memset(w, 0, sizeof(*w));
	urcu_qsbr_register_thread();
	w->now_us = 1000000;
	w->e = sw_engine_create(p, &tops, w, &bops, w, &eops, w);
	cr_assert_not_null(w->e);
	w->lc = sw_engine_lcore(w->e, 0);
	w->n_lcores = p->n_lcores;
}

/*
 * Run every lcore's housekeeping (one thread plays all lcores, deterministically) until no
 * ring holds work: copies handed over, outcomes returned, control commands applied.
 */
static inline void
tw_settle(struct tw *w)
{
	for (int round = 0; round < 32; round++) {
		uint32_t pending = 0;

		for (unsigned int i = 0; i < w->n_lcores; i++)
			sw_lcore_poll(sw_engine_lcore(w->e, i), w->now_us);
		for (unsigned int i = 0; i < w->n_lcores; i++)
			pending += sw_lcore_pending(sw_engine_lcore(w->e, i));
		if (pending == 0)
			return;
	}
	cr_assert_fail("lcores did not settle");
}

static inline void
tw_default_params(struct sw_params *p)
{
	sw_params_default(p);
	p->local_authority = "sw.example:2855";
	p->id_seed = tw_seed;
	p->max_legs = 64;
	p->max_conf_legs = 16;
	p->max_conns = 16;
	p->max_msgs = 32;
	p->max_tx = 512;
}

static inline void
tw_init(struct tw *w)
{
	struct sw_params p;

	tw_default_params(&p);
	tw_init_params(w, &p);
}

static inline void
tw_drain_refs(struct tw *w, unsigned int tc)
{
	for (unsigned int i = 0; i < w->c[tc].n_kept; i++)
		tw_release(w, (struct sw_buf *)(void *)w->c[tc].kept[i]);
	w->c[tc].n_kept = 0;
}

static inline void
tw_fini(struct tw *w)
{
	sw_engine_destroy(w->e);
	for (unsigned int i = 0; i < TW_CONNS; i++) {
		tw_drain_refs(w, i);
		free(w->c[i].out);
	}
	urcu_qsbr_unregister_thread();
	cr_assert_eq(w->bad_release, 0, "buffer released more often than held");
	cr_assert_eq(w->live_bufs, 0, "%d receive buffers leaked", w->live_bufs);
}

/* A participant connects (passive side for the switch), served by lcore lcore. */
static inline unsigned int
tw_accept_on(struct tw *w, unsigned int lcore)
{
	for (unsigned int i = 0; i < TW_CONNS; i++)
		if (!w->c[i].open) {
			w->c[i].open = true;
			w->c[i].lcore = lcore;
			cr_assert_eq(sw_conn_open(sw_engine_lcore(w->e, lcore), i, &w->c[i].eng),
			             0);
			return i;
		}
	cr_assert_fail("no free test connection");
	return 0;
}

static inline unsigned int
tw_accept(struct tw *w)
{
	return tw_accept_on(w, 0);
}

/* Bytes from the participant on tc, fed in pieces of split bytes (0 = one buffer). */
static inline int
tw_rx_split(struct tw *w, unsigned int tc, const void *bytes, size_t len, size_t split)
{
	size_t off = 0;
	int rc = 0;

	if (split == 0)
		split = len;
	while (off < len && rc == 0) {
		size_t n = len - off < split ? len - off : split;
		struct tw_buf *b = malloc(sizeof(*b) + n);

		b->refs = 1;
		b->len = (uint32_t)n;
		memcpy(b->data, (const uint8_t *)bytes + off, n);
		w->live_bufs++;
		rc = sw_conn_rx(sw_engine_lcore(w->e, w->c[tc].lcore), w->c[tc].eng, b->data,
		                (uint32_t)n, (struct sw_buf *)(void *)b, w->now_us);
		tw_release(w, (struct sw_buf *)(void *)b);
		off += n;
	}
	tw_settle(w);
	urcu_qsbr_quiescent_state();
	return rc;
}

static inline int
tw_rx(struct tw *w, unsigned int tc, const char *s)
{
	return tw_rx_split(w, tc, s, strlen(s), 0);
}

static inline void
tw_advance(struct tw *w, uint64_t us)
{
	w->now_us += us;
	tw_settle(w);
	urcu_qsbr_quiescent_state();
}

/* One frame received by a participant: its own copy and a parse of it. */
struct tw_frame {
	uint8_t *raw;
	size_t len;
	struct msrp_parser p;
	struct msrp_frame f;
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
	uint8_t body[65536];
	size_t body_len;
};

#define TW_MAX_FRAMES 64

struct tw_frames {
	unsigned int n;
	struct tw_frame *f[TW_MAX_FRAMES];
};

static inline void
tw_frames_free(struct tw_frames *fs)
{
	for (unsigned int i = 0; i < fs->n; i++) {
		free(fs->f[i]->raw);
		free(fs->f[i]);
	}
	fs->n = 0;
}

/*
 * Everything the switch sent on tc since the last call, parsed with the common/msrp parser
 * (the wire must be valid MSRP: any parse error fails the test). Clears the output.
 */
static inline void
tw_take(struct tw *w, unsigned int tc, struct tw_frames *fs)
{
	struct tw_conn *c = &w->c[tc];
	struct msrp_parser all;
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
	size_t pos = 0;

	fs->n = 0;
	cr_assert_eq(msrp_parser_init(&all, NULL, hdr, sizeof(hdr)), 0);
	while (pos < c->out_len) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc = msrp_parser_feed(&all, c->out + pos, c->out_len - pos, &used, &f);
		struct tw_frame *t;

		cr_assert_eq(rc, MSRP_OK, "switch output on conn %u is not MSRP: %s at %zu", tc,
		             msrp_rc_name(rc), pos);
		cr_assert_lt(fs->n, TW_MAX_FRAMES);
		t = calloc(1, sizeof(*t));
		t->len = used;
		t->raw = malloc(used);
		memcpy(t->raw, c->out + pos, used);
		cr_assert_eq(msrp_parser_init(&t->p, NULL, t->hdr, sizeof(t->hdr)), 0);
		size_t u2 = 0;

		cr_assert_eq(msrp_parser_feed(&t->p, t->raw, t->len, &u2, &t->f), MSRP_OK);
		t->body_len = msrp_frame_body_copy(&t->f, t->body, sizeof(t->body));
		fs->f[fs->n++] = t;
		pos += used;
	}
	c->out_len = 0;
	tw_drain_refs(w, tc);
}

static inline bool
tw_span_is(struct msrp_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

static inline struct msrp_span
tw_hdr(const struct tw_frame *t, const char *name)
{
	int pos = -1;
	const struct msrp_header *h = msrp_frame_find_header(&t->f, name, &pos);

	return h != NULL ? h->value : (struct msrp_span){NULL, 0};
}

/* The participant answers one request it received (RFC 4975 §7.2). */
static inline void
tw_respond(struct tw *w, unsigned int tc, const struct tw_frame *t, uint16_t code)
{
	uint8_t buf[2048];
	ssize_t n = msrp_build_response_to(&t->f, code, NULL, (struct msrp_span){NULL, 0}, buf,
	                                   sizeof(buf));

	cr_assert_gt(n, 0);
	cr_assert_eq(tw_rx_split(w, tc, buf, (size_t)n, 0), 0);
}

/* The participant sends a REPORT for a SEND it received (range 1..total). */
static inline void
tw_report(struct tw *w, unsigned int tc, const struct tw_frame *t, uint16_t code)
{
	uint8_t buf[2048];
	/* From-Path = the participant's own URI (the copy's To-Path). */
	ssize_t n = msrp_build_report_for(&t->f, (struct msrp_span){(const uint8_t *)"rpt12345", 8},
	                                  t->f.to_path, code, NULL, NULL, buf, sizeof(buf));

	cr_assert_gt(n, 0, "report build %zd", n);
	cr_assert_eq(tw_rx_split(w, tc, buf, (size_t)n, 0), 0);
}

/* A participant's leg. */
struct tw_leg {
	char uri[128]; /* the switch's URI on this leg */
	char path[128];
	struct msw_ctl_leg_key key;
	unsigned int tc;
};

static inline void
tw_conf_flags(struct tw *w, const char *id, uint8_t policy, uint32_t max_size, uint8_t flags)
{
	struct msw_ctl_conf_create cc;

	memset(&cc, 0, sizeof(cc));
	cc.conf.len = (uint8_t)strlen(id);
	memcpy(cc.conf.id, id, cc.conf.len);
	cc.cpim_policy = policy;
	cc.max_size = max_size;
	cc.flags = flags;
	cr_assert_eq(sw_conf_create(w->e, &cc, NULL), 0);
}

static inline void
tw_conf(struct tw *w, const char *id, uint8_t policy, uint32_t max_size)
{
	tw_conf_flags(w, id, policy, max_size, 0);
}

struct tw_leg_opts {
	const char *accept;
	uint64_t max_size;
	bool anonymous;
	const char *alias;
	bool active;
	bool history;
	const char *wrapped; /* accept-wrapped-types, NULL = not given */
};

static inline void
tw_leg_add(struct tw *w, const char *conf, const char *name, struct tw_leg *l,
           const struct tw_leg_opts *o)
{
	struct sw_leg_params lp;
	char ident[64];
	static char alias_buf[64];

	memset(&lp, 0, sizeof(lp));
	lp.conf.len = (uint8_t)strlen(conf);
	memcpy(lp.conf.id, conf, lp.conf.len);
	snprintf(l->path, sizeof(l->path), "msrp://%s.example:7000/s%s;tcp", name, name);
	snprintf(ident, sizeof(ident), "sip:%s@example.com", name);
	lp.path = (struct msrp_span){(const uint8_t *)l->path, (uint32_t)strlen(l->path)};
	lp.identity = (struct msrp_span){(const uint8_t *)ident, (uint32_t)strlen(ident)};
	snprintf(alias_buf, sizeof(alias_buf), "%s", o != NULL && o->alias ? o->alias : name);
	lp.alias = (struct msrp_span){(const uint8_t *)alias_buf, (uint32_t)strlen(alias_buf)};
	const char *acc = o != NULL && o->accept != NULL ? o->accept : "*";
	lp.accept_types = (struct msrp_span){(const uint8_t *)acc, (uint32_t)strlen(acc)};
	lp.max_size = o != NULL ? o->max_size : 0;
	lp.anonymous = o != NULL && o->anonymous;
	lp.active = o != NULL && o->active;
	lp.history = o != NULL && o->history;
	if (o != NULL && o->wrapped != NULL)
		lp.accept_wrapped_types = (struct msrp_span){(const uint8_t *)o->wrapped,
		                                             (uint32_t)strlen(o->wrapped)};
	cr_assert_eq(sw_leg_add(w->e, &lp, l->uri, sizeof(l->uri), &l->key), 0);
	tw_settle(w);
}

/* LEG_DEL from the control plane, then the lcores apply it. */
static inline int
tw_leg_del(struct tw *w, const struct tw_leg *l)
{
	int rc = sw_leg_del(w->e, &l->key, w->now_us);

	tw_settle(w);
	return rc;
}

/* Build a SEND chunk from a participant to its leg. */
static inline size_t
tw_chunk(char *out, size_t cap, const struct tw_leg *l, const char *tid, const char *msgid,
         const char *extra_hdrs, const char *ctype, uint64_t start, uint64_t total,
         const char *body, char flag)
{
	size_t blen = strlen(body);
	int n;

	if (total)
		n = snprintf(out, cap,
		             "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n%s"
		             "Byte-Range: %llu-%llu/%llu\r\nContent-Type: "
		             "%s\r\n\r\n%s\r\n-------%s%c\r\n",
		             tid, l->uri, l->path, msgid, extra_hdrs, (unsigned long long)start,
		             (unsigned long long)(start + blen - 1), (unsigned long long)total,
		             ctype, body, tid, flag);
	else
		n = snprintf(
		        out, cap,
		        "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n%s"
		        "Byte-Range: %llu-%llu/*\r\nContent-Type: %s\r\n\r\n%s\r\n-------%s%c\r\n",
		        tid, l->uri, l->path, msgid, extra_hdrs, (unsigned long long)start,
		        (unsigned long long)(start + blen - 1), ctype, body, tid, flag);
	cr_assert(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static inline void
tw_send_msg(struct tw *w, const struct tw_leg *l, const char *tid, const char *msgid,
            const char *extra, const char *body)
{
	static char buf[70000];
	size_t n = tw_chunk(buf, sizeof(buf), l, tid, msgid, extra, "text/plain", 1, strlen(body),
	                    body, '$');

	cr_assert_eq(tw_rx_split(w, l->tc, buf, n, 0), 0);
}

/* Bind a leg: the participant connects and sends a bodiless SEND (RFC 4975 §5.4). */
static inline void
tw_bind_on(struct tw *w, struct tw_leg *l, unsigned int lcore)
{
	char buf[1024];
	struct tw_frames fs;

	l->tc = tw_accept_on(w, lcore);
	snprintf(buf, sizeof(buf),
	         "MSRP bind0001 SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: bind0001\r\n"
	         "-------bind0001$\r\n",
	         l->uri, l->path);
	cr_assert_eq(tw_rx(w, l->tc, buf), 0);
	tw_take(w, l->tc, &fs);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0]->f.status_code, 200);
	tw_frames_free(&fs);
}

static inline void
tw_bind(struct tw *w, struct tw_leg *l)
{
	tw_bind_on(w, l, 0);
}

/* Counter summed over the lcores. */
static inline uint64_t
tw_cnt(struct tw *w, enum sw_cnt id)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < w->n_lcores; i++)
		n += sw_lcore_counter(sw_engine_lcore(w->e, i), id);
	return n;
}
