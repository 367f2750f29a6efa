/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-gen kernel engine (gen_engine.h).
 *
 * Threads:
 *  - main: sets the legs up (control channel calls, socket creation), moves the run through
 *    its phases (warm-up, measure, drain), prints the progress line once a second, and after
 *    joining the engine threads computes the expectations and writes the JSON summary.
 *  - engine thread k: owns the legs with idx % threads == k (their sockets, buffers, parser,
 *    sender and receiver state) and runs one epoll loop over them.
 * Shared between them: the phase (atomic, release/acquire: main writes the legs' To-Path in
 * relay mode before publishing the warm-up phase), per-thread counters (single writer, relaxed
 * atomics), the legs' ready flag and sent count (single writer atomics), and each thread's
 * live histogram, handed over under a mutex once a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "msrp/msrp_id.h"
#include "msw/msw_ctl_abi.h"

#include "gen_pvt.h"
#include "gen_stamp.h"

static const char *const gen_cnt_names[] = {
#define GEN_CNT(sym, name, err, doc) #name,
#include "gen_counters.def"
#undef GEN_CNT
};

static const bool gen_cnt_is_error[] = {
#define GEN_CNT(sym, name, err, doc) err,
#include "gen_counters.def"
#undef GEN_CNT
};

static uint64_t
gen_cnt_sum(const struct gen *g, enum gen_cnt c)
{
	uint64_t v = 0;

	for (uint32_t i = 0; g->th != NULL && i < g->s->threads; i++)
		v += atomic_load_explicit(&g->th[i].cnt[c], memory_order_relaxed);
	return v;
}

static struct msrp_span
gen_span(const void *p, size_t len)
{
	return (struct msrp_span){.p = p, .len = (uint32_t)len};
}

/* ---- transmit ---- */

static int
gen_tx_reserve(struct gen_leg *l, size_t n)
{
	if (l->tx_off > 0 && l->tx_off == l->tx_len)
		l->tx_off = l->tx_len = 0;
	if (l->tx_cap - l->tx_len >= n)
		return 0;
	if (l->tx_off > 0) {
		memmove(l->tx, l->tx + l->tx_off, l->tx_len - l->tx_off);
		l->tx_len -= l->tx_off;
		l->tx_off = 0;
		if (l->tx_cap - l->tx_len >= n)
			return 0;
	}
	size_t ncap = l->tx_cap * 2 > l->tx_len + n ? l->tx_cap * 2 : l->tx_len + n;
	uint8_t *p = realloc(l->tx, ncap);

	if (p == NULL)
		return -ENOMEM;
	l->tx = p;
	l->tx_cap = ncap;
	return 0;
}

/* Kernel engine: writes what is queued; EAGAIN leaves the rest for the next EPOLLOUT edge. */
static void
gen_kernel_flush(struct gen_leg *l)
{
	while (l->st != GEN_LEG_DEAD && l->tx_off < l->tx_len) {
		ssize_t n = send(l->fd, l->tx + l->tx_off, l->tx_len - l->tx_off, MSG_NOSIGNAL);

		if (n > 0) {
			l->tx_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			gen_leg_fail(l, "send failed");
			return;
		}
	}
	if (l->tx_off == l->tx_len)
		l->tx_off = l->tx_len = 0;
}

static void
gen_tx_flush(struct gen_leg *l)
{
	l->th->g->io->flush(l);
}

/* A fresh transaction id: "t" + 16 random ident chars (RFC 4975 §7.1, unpredictable). */
static size_t
gen_tid(struct gen_leg *l, uint8_t *out)
{
	out[0] = 't';
	msrp_id_next(&l->th->ids, out + 1, MSRP_ID_LEN);
	l->txn++;
	return MSRP_ID_LEN + 1;
}

/* Queues one request: head built by msrp_build_req_head, body, end-line. */
static int
gen_tx_req(struct gen_leg *l, struct msrp_build_req *r, const uint8_t *body)
{
	size_t need = 1024 + l->to_path_len + l->path_len + (size_t)r->body_len;
	ssize_t h, e;

	if (gen_tx_reserve(l, need) != 0)
		return -ENOMEM;
	h = msrp_build_req_head(r, l->tx + l->tx_len, l->tx_cap - l->tx_len);
	if (h < 0)
		return (int)h;
	l->tx_len += (size_t)h;
	if (r->body_len > 0) {
		memcpy(l->tx + l->tx_len, body, (size_t)r->body_len);
		l->tx_len += (size_t)r->body_len;
	}
	e = msrp_build_end(r->tid, r->has_body, r->flag, l->tx + l->tx_len, l->tx_cap - l->tx_len);
	if (e < 0)
		return (int)e;
	l->tx_len += (size_t)e;
	return 0;
}

/* The bodiless SEND that binds our session at the switch (RFC 4975 §5.4), or an AUTH to the
 * relay (RFC 4976 §5). */
void
gen_leg_start(struct gen_leg *l)
{
	const struct gen_scenario *s = l->th->g->s;
	uint8_t tid[MSRP_ID_LEN + 1], mid[MSRP_ID_LEN];
	struct msrp_build_req r;
	size_t tl = gen_tid(l, tid);

	memset(&r, 0, sizeof(r));
	r.tid = gen_span(tid, tl);
	r.to_path = gen_span(l->to_path, l->to_path_len);
	r.from_path = gen_span(l->path, l->path_len);
	r.flag = MSRP_FLAG_END;
	if (s->setup == GEN_SETUP_RELAY) {
		r.method = gen_span("AUTH", 4);
	} else {
		msrp_id_next(&l->th->ids, mid, sizeof(mid));
		r.method = gen_span("SEND", 4);
		r.message_id = gen_span(mid, sizeof(mid));
	}
	if (gen_tx_req(l, &r, NULL) != 0) {
		gen_leg_fail(l, "cannot build the binding request");
		return;
	}
	l->st = GEN_LEG_BINDING;
	gen_tx_flush(l);
}

/* One message: body with the stamp (inside a CPIM envelope when a final report is asked),
 * cut into chunks of chunk_bytes, each a SEND transaction (RFC 4975 §7.1). */
static void
gen_send_message(struct gen_leg *l, uint64_t stamp_ns)
{
	struct gen_thread *th = l->th;
	const struct gen_scenario *s = th->g->s;
	uint32_t size = gen_scenario_draw_size(s, &l->rng);
	bool sr = gen_rng_pct(&l->rng, s->success_pct);
	bool fr = gen_rng_pct(&l->rng, s->failure_pct);
	bool final = gen_rng_pct(&l->rng, s->final_pct);
	struct gen_stamp st = {.sender = l->idx, .seq = l->seq, .sent_ns = stamp_ns};
	uint8_t mid[MSRP_ID_LEN];
	size_t env = 0, total, off;

	if (final) {
		char uri[96];

		snprintf(uri, sizeof(uri), th->g->conf_uri, (int)th->g->pid, l->conf);
		/* OMA SIMPLE IM 5.7: the CPIM Final-Report header asks the switch for the final
		 * report (docs/cpim.md); From is our identity, To the conference. */
		env = (size_t)snprintf((char *)th->scratch, GEN_ENVELOPE_CAP,
		                       "From: <sip:g%u@gen.invalid>\r\nTo: <%s>\r\n"
		                       "NS: FR <urn:oma:xml:poc:final-report>\r\n"
		                       "FR.Final-Report: yes\r\n\r\nContent-Type: " GEN_CT_TEXT
		                       "\r\n\r\n",
		                       l->idx, uri);
	}
	gen_stamp_write(&st, th->scratch + env, size);
	total = env + size;
	msrp_id_next(&th->ids, mid, sizeof(mid));
	for (off = 0; off < total;) {
		size_t n = total - off > s->chunk_bytes ? s->chunk_bytes : total - off;
		uint8_t tid[MSRP_ID_LEN + 1];
		size_t tl = gen_tid(l, tid);
		struct msrp_build_req r = {
		        .method = gen_span("SEND", 4),
		        .tid = gen_span(tid, tl),
		        .to_path = gen_span(l->to_path, l->to_path_len),
		        .from_path = gen_span(l->path, l->path_len),
		        .message_id = gen_span(mid, sizeof(mid)),
		        .success_report = sr ? MSRP_REPORT_YES : MSRP_REPORT_ABSENT,
		        /* Absent means yes (RFC 4975 §7.1.1); no: nobody answers the chunk. */
		        .failure_report = fr ? MSRP_REPORT_ABSENT : MSRP_REPORT_NO,
		        .has_byte_range = true,
		        .byte_range = {.start = off + 1,
		                       .end = off + n,
		                       .total = total,
		                       .end_known = true,
		                       .total_known = true},
		        .content_type = final ? gen_span(GEN_CT_CPIM, strlen(GEN_CT_CPIM))
		                              : gen_span(GEN_CT_TEXT, strlen(GEN_CT_TEXT)),
		        .has_body = true,
		        .body_len = n,
		        .flag = off + n == total ? MSRP_FLAG_END : MSRP_FLAG_MORE,
		};

		if (gen_tx_req(l, &r, th->scratch + off) != 0) {
			gen_leg_fail(l, "cannot build a SEND");
			return;
		}
		if (fr) {
			l->outstanding++;
			gen_cnt_add(th, GEN_CNT_RESP_EXPECTED, 1);
		}
		gen_cnt_add(th, GEN_CNT_CHUNKS_SENT, 1);
		off += n;
	}
	l->seq++;
	atomic_store_explicit(&l->sent, l->seq, memory_order_relaxed);
	gen_cnt_add(th, GEN_CNT_MSGS_SENT, 1);
	gen_cnt_add(th, GEN_CNT_BYTES_SENT, size);
	if (final)
		gen_cnt_add(th, GEN_CNT_FINAL_ASKED, 1);
	else if (sr)
		gen_cnt_add(th, GEN_CNT_SUCCESS_ASKED, 1);
}

/* Open loop: messages due by now (stamped with their scheduled time, so queueing delay
 * shows in the latency instead of being omitted). Closed loop: keep the window full. */
void
gen_leg_generate(struct gen_leg *l, uint64_t now)
{
	const struct gen_scenario *s = l->th->g->s;
	int burst = 0;

	if (l->st != GEN_LEG_READY)
		return;
	while (burst++ < 64) {
		if (gen_tx_backlog(l) > GEN_TX_HIGH) {
			gen_cnt_add(l->th, GEN_CNT_TX_STALLS, 1);
			break;
		}
		if (l->th->g->interval_ns > 0) {
			if (now < l->next_send_ns)
				break;
			gen_send_message(l, l->next_send_ns);
			l->next_send_ns += l->th->g->interval_ns;
		} else {
			if (l->outstanding >= s->window)
				break;
			gen_send_message(l, gen_now_ns());
		}
		if (l->st == GEN_LEG_DEAD)
			return;
	}
	gen_tx_flush(l);
}

/* ---- receive ---- */

static struct gen_asm *
gen_asm_find(struct gen_leg *l, struct msrp_span mid, bool create)
{
	struct gen_asm *fr = NULL;

	for (uint32_t i = 0; i < l->n_asm; i++) {
		struct gen_asm *a = &l->asms[i];

		if (a->used && a->mid_len == mid.len && memcmp(a->mid, mid.p, mid.len) == 0)
			return a;
		if (!a->used && fr == NULL)
			fr = a;
	}
	if (!create || fr == NULL || mid.len > sizeof(fr->mid))
		return NULL;
	fr->used = true;
	fr->mid_len = (uint8_t)mid.len;
	memcpy(fr->mid, mid.p, mid.len);
	fr->len = 0;
	return fr;
}

static void
gen_respond(struct gen_leg *l, const struct msrp_frame *f, uint16_t code)
{
	ssize_t n;

	if (gen_tx_reserve(l, 512 + f->from_path.len + l->path_len) != 0)
		return;
	n = msrp_build_response_to(f, code, NULL, gen_span(l->path, l->path_len), l->tx + l->tx_len,
	                           l->tx_cap - l->tx_len);
	if (n > 0)
		l->tx_len += (size_t)n;
}

/* A whole copy arrived: stamp, conference, order (per sender), latency. */
static void
gen_deliver(struct gen_leg *l, const uint8_t *body, size_t len, uint64_t now)
{
	struct gen_thread *th = l->th;
	struct gen *g = th->g;
	struct gen_stamp st;
	struct gen_leg *from;
	enum gen_stamp_rc rc = gen_stamp_verify(body, len, &st);

	if (rc != GEN_STAMP_OK) {
		gen_cnt_add(th, GEN_CNT_CORRUPT, 1);
		return;
	}
	if (st.sender >= g->n_legs || (from = &g->legs[st.sender])->conf != l->conf || from == l) {
		gen_cnt_add(th, GEN_CNT_MISROUTED, 1);
		return;
	}
	/* The switch keeps per-sender order (each recipient connection is FIFO, docs/switch.md),
	 * so anything but the next sequence number is a fault: a gap, or a repeat. */
	uint64_t *next = &l->next_seq[from->pos];

	if (st.seq < *next) {
		gen_cnt_add(th, GEN_CNT_DUPLICATES, 1);
		return;
	}
	if (st.seq > *next)
		gen_cnt_add(th, GEN_CNT_OUT_OF_ORDER, 1);
	*next = st.seq + 1;
	l->received[from->pos]++;
	gen_cnt_add(th, GEN_CNT_DELIVERIES, 1);
	gen_cnt_add(th, GEN_CNT_DELIVERED_BYTES, len);
	if (atomic_load_explicit(&g->phase, memory_order_acquire) == GEN_PH_MEASURE &&
	    st.sent_ns >= g->t_measure_ns) {
		uint64_t lat = now > st.sent_ns ? now - st.sent_ns : 0;

		gen_cnt_add(th, GEN_CNT_DELIVERIES_MEASURED, 1);
		gen_hist_record(th->hist, lat);
		gen_hist_record(th->live, lat);
	}
}

static bool
gen_ct_is(const struct msrp_frame *f, const char *ct)
{
	size_t n = strlen(ct);

	return f->content_type.len >= n && strncasecmp((const char *)f->content_type.p, ct, n) == 0;
}

static void
gen_rx_send(struct gen_leg *l, const struct msrp_frame *f, uint64_t now)
{
	struct gen_thread *th = l->th;
	struct gen_asm *a;

	if (f->failure_report != MSRP_REPORT_NO)
		gen_respond(l, f, 200);
	if (!f->has_body || f->body_len == 0)
		return; /* a bodiless SEND (keep-alive or binding): nothing to deliver */
	if (gen_ct_is(f, GEN_CT_FDR)) {
		/* Final report sent as a SEND (the originator did not ask for REPORTs, FDR-08). */
		if (f->flag == MSRP_FLAG_END)
			gen_cnt_add(th, GEN_CNT_FINAL_REPORTS, 1);
		return;
	}
	uint64_t start = f->hdr_index[MSRP_HDR_BYTE_RANGE] >= 0 ? f->byte_range.start : 1;

	a = gen_asm_find(l, f->message_id, start == 1);
	if (a == NULL) {
		gen_cnt_add(th, GEN_CNT_PROTO_ERRORS, 1);
		return;
	}
	if (f->flag == MSRP_FLAG_ABORT) {
		gen_cnt_add(th, GEN_CNT_ABORTED, 1);
		a->used = false;
		return;
	}
	size_t need = (size_t)(start - 1 + f->body_len);

	if (need > a->cap) {
		size_t ncap = need > a->cap * 2 ? need : a->cap * 2;
		uint8_t *p = realloc(a->buf, ncap);

		if (p == NULL) {
			gen_leg_fail(l, "out of memory");
			return;
		}
		a->buf = p;
		a->cap = ncap;
	}
	msrp_frame_body_copy(f, a->buf + start - 1, (size_t)f->body_len);
	if (need > a->len)
		a->len = need;
	if (f->flag != MSRP_FLAG_END)
		return;
	gen_deliver(l, a->buf, a->len, now);
	a->used = false;
	/* The copy asked for a success report: we are its endpoint (RFC 4975 §7.1.2). */
	if (f->success_report == MSRP_REPORT_YES) {
		uint8_t tid[MSRP_ID_LEN + 1];
		size_t tl = gen_tid(l, tid);
		ssize_t n;

		if (gen_tx_reserve(l, 1024 + f->from_path.len) != 0)
			return;
		n = msrp_build_report_for(f, gen_span(tid, tl), gen_span(l->path, l->path_len), 200,
		                          NULL, NULL, l->tx + l->tx_len, l->tx_cap - l->tx_len);
		if (n > 0) {
			l->tx_len += (size_t)n;
			gen_cnt_add(th, GEN_CNT_REPORTS_TX, 1);
		} else {
			gen_cnt_add(th, GEN_CNT_PROTO_ERRORS, 1);
		}
	}
}

static void
gen_rx_frame(struct gen_leg *l, const struct msrp_frame *f, uint64_t now)
{
	struct gen_thread *th = l->th;

	if (f->kind == MSRP_KIND_RESPONSE) {
		if (l->st == GEN_LEG_BINDING) {
			if (f->status_code != 200) {
				gen_cnt_add(th, GEN_CNT_RESP_ERR, 1);
				gen_leg_fail(l, "binding request refused");
				return;
			}
			/* RFC 4976 §5: the relay's 200 to AUTH carries our Use-Path. */
			if (th->g->s->setup == GEN_SETUP_RELAY) {
				if (f->hdr_index[MSRP_HDR_USE_PATH] < 0 ||
				    f->use_path.len >= sizeof(l->use_path)) {
					gen_leg_fail(l, "AUTH 200 without a usable Use-Path");
					return;
				}
				memcpy(l->use_path, f->use_path.p, f->use_path.len);
				l->use_path_len = f->use_path.len;
			}
			l->st = GEN_LEG_READY;
			atomic_store_explicit(&l->ready, true, memory_order_release);
			return;
		}
		if (l->outstanding > 0)
			l->outstanding--;
		gen_cnt_add(th, f->status_code == 200 ? GEN_CNT_RESP_OK : GEN_CNT_RESP_ERR, 1);
		if (f->status_code < 1000)
			atomic_store_explicit(&th->resp_codes[f->status_code],
			                      atomic_load_explicit(&th->resp_codes[f->status_code],
			                                           memory_order_relaxed) +
			                              1,
			                      memory_order_relaxed);
		return;
	}
	switch (f->method) {
	case MSRP_METHOD_SEND:
		gen_rx_send(l, f, now);
		return;
	case MSRP_METHOD_REPORT:
		/* REPORTs are never answered (RFC 4975 §7.1.2). */
		gen_cnt_add(th, GEN_CNT_REPORTS_RX, 1);
		if (gen_ct_is(f, GEN_CT_FDR))
			gen_cnt_add(th, GEN_CNT_FINAL_REPORTS, 1);
		else if (f->status.code == 200)
			gen_cnt_add(th, GEN_CNT_SUCCESS_REPORTS, 1);
		else
			gen_cnt_add(th, GEN_CNT_FAILURE_REPORTS, 1);
		return;
	default:
		gen_cnt_add(th, GEN_CNT_PROTO_ERRORS, 1);
		if (f->failure_report != MSRP_REPORT_NO)
			gen_respond(l, f, 501); /* RFC 4975 §12: unknown method */
		return;
	}
}

/* The leg's parser, its header block limited to the leg's header buffer (small when idle). */
static int
gen_parser_init(struct gen_leg *l)
{
	struct msrp_limits lim;

	msrp_limits_default(&lim);
	lim.max_header_bytes = l->hdr_cap;
	return msrp_parser_init(&l->parser, &lim, l->hdr_buf, l->hdr_cap);
}

/*
 * The parser keeps pointers into the bytes of the frame in progress, so the buffer is compacted
 * (or grown) only with a parser reset and a re-feed of that partial frame, which gives the
 * same state (the parser is a function of the bytes since the frame started).
 */
uint8_t *
gen_rx_space(struct gen_leg *l, size_t n)
{
	if (l->rx_cap - l->rx_end >= n)
		return l->rx + l->rx_end;
	size_t keep = l->rx_end - l->rx_start;

	if (l->rx_start > 0)
		memmove(l->rx, l->rx + l->rx_start, keep);
	l->rx_start = 0;
	l->rx_end = keep;
	l->rx_fed = 0;
	gen_parser_init(l);
	if (l->rx_cap - l->rx_end < n) {
		size_t ncap = l->rx_cap * 2 > keep + n ? l->rx_cap * 2 : keep + n;
		uint8_t *p = realloc(l->rx, ncap);

		if (p == NULL)
			return NULL;
		l->rx = p;
		l->rx_cap = ncap;
	}
	return l->rx + l->rx_end;
}

void
gen_leg_input(struct gen_leg *l, uint64_t now)
{
	while (l->rx_fed < l->rx_end && l->st != GEN_LEG_DEAD) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc = msrp_parser_feed(&l->parser, l->rx + l->rx_fed,
		                                   l->rx_end - l->rx_fed, &used, &f);

		l->rx_fed += used;
		if (rc == MSRP_AGAIN)
			break;
		if (rc != MSRP_OK) {
			gen_cnt_add(l->th, GEN_CNT_PROTO_ERRORS, 1);
			gen_leg_fail(l, msrp_rc_name(rc));
			return;
		}
		gen_rx_frame(l, &f, now);
		l->rx_start = l->rx_fed;
	}
	if (l->rx_start == l->rx_end)
		l->rx_start = l->rx_fed = l->rx_end = 0;
}

/* Kernel engine: reads everything available (edge-triggered epoll) and feeds the parser. */
static void
gen_kernel_rx(struct gen_leg *l)
{
	for (;;) {
		uint8_t *buf = gen_rx_space(l, GEN_RX_READ);

		if (buf == NULL) {
			gen_leg_fail(l, "out of memory");
			return;
		}
		ssize_t n = recv(l->fd, buf, l->rx_cap - l->rx_end, 0);

		if (n == 0) {
			gen_leg_fail(l, "connection closed by the peer");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				gen_leg_fail(l, "recv failed");
			break;
		}
		l->rx_end += (size_t)n;
		gen_leg_input(l, gen_now_ns());
		if (l->st == GEN_LEG_DEAD)
			return;
	}
	gen_tx_flush(l);
}

void
gen_leg_fail(struct gen_leg *l, const char *why)
{
	struct gen *g = l->th->g;
	int ph = atomic_load_explicit(&g->phase, memory_order_acquire);

	if (l->st == GEN_LEG_DEAD)
		return;
	l->st = GEN_LEG_DEAD;
	atomic_store_explicit(&l->dead, true, memory_order_relaxed);
	g->io->drop(l);
	if (ph != GEN_PH_STOP) {
		gen_cnt_add(l->th, GEN_CNT_CONN_ERRORS, 1);
		fprintf(stderr, "msw-gen: leg %u (conference %u): %s\n", l->idx, l->conf, why);
	}
}

static void
gen_leg_connected(struct gen_leg *l)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
		char why[128];

		snprintf(why, sizeof(why), "connect: %s", strerror(err != 0 ? err : errno));
		gen_leg_fail(l, why);
		return;
	}
	gen_leg_start(l);
}

/* ---- engine thread ---- */

void
gen_live_publish(struct gen_thread *th, uint64_t now)
{
	if (now < th->live_next_ns)
		return;
	th->live_next_ns = now + 1000000000ull;
	pthread_mutex_lock(&th->live_lock);
	gen_hist_merge(th->live_pub, th->live);
	pthread_mutex_unlock(&th->live_lock);
	gen_hist_init(th->live);
}

static void *
gen_kernel_thread(void *arg)
{
	struct gen_thread *th = arg;
	struct gen *g = th->g;
	struct epoll_event ev[64];

	for (;;) {
		int ph = atomic_load_explicit(&g->phase, memory_order_acquire);
		bool sending = ph == GEN_PH_WARMUP || ph == GEN_PH_MEASURE;
		uint64_t now;
		int n;

		if (ph == GEN_PH_STOP)
			break;
		n = epoll_wait(th->epfd, ev, 64, sending ? 1 : 20);
		for (int i = 0; i < n; i++) {
			struct gen_leg *l = ev[i].data.ptr;

			if (l->st == GEN_LEG_DEAD)
				continue;
			if (l->st == GEN_LEG_CONNECTING) {
				if (ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
					gen_leg_connected(l);
				if (l->st == GEN_LEG_DEAD)
					continue;
			}
			if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				gen_kernel_rx(l);
			if ((ev[i].events & EPOLLOUT) && l->st != GEN_LEG_DEAD)
				gen_kernel_flush(l);
		}
		now = gen_now_ns();
		if (sending) {
			for (uint32_t i = 0; i < th->n_legs; i++)
				gen_leg_generate(th->legs[i], now);
		}
		gen_live_publish(th, now);
	}
	return NULL;
}

/* ---- kernel engine: the rest of its ops ---- */

static int
gen_kernel_init(struct gen *g)
{
	for (uint32_t i = 0; i < g->s->threads; i++) {
		g->th[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		if (g->th[i].epfd < 0) {
			snprintf(g->err, sizeof(g->err), "epoll_create1: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void
gen_kernel_drop(struct gen_leg *l)
{
	epoll_ctl(l->th->epfd, EPOLL_CTL_DEL, l->fd, NULL);
}

static int
gen_kernel_start(struct gen_thread *th)
{
	return pthread_create(&th->tid, NULL, gen_kernel_thread, th) == 0 ? 0 : -EAGAIN;
}

static void
gen_kernel_join(struct gen_thread *th)
{
	pthread_join(th->tid, NULL);
}

static void
gen_kernel_fini(struct gen *g)
{
	(void)g; /* sockets and epoll descriptors go with the legs and threads (gen_free) */
}

static int gen_kernel_leg_open(struct gen *g, struct gen_leg *l);
static int gen_kernel_leg_connect(struct gen *g, struct gen_leg *l);

const struct gen_io_ops gen_io_kernel = {
        .name = "kernel",
        .max_threads = 64,
        .init = gen_kernel_init,
        .leg_open = gen_kernel_leg_open,
        .start = gen_kernel_start,
        .join = gen_kernel_join,
        .flush = gen_kernel_flush,
        .drop = gen_kernel_drop,
        .leg_connect = gen_kernel_leg_connect,
        .fini = gen_kernel_fini,
};

/* ---- set-up ---- */

static void
gen_conf_id(const struct gen *g, uint32_t c, struct msw_ctl_conf_id *id)
{
	memset(id, 0, sizeof(*id));
	id->len = (uint8_t)snprintf(id->id, sizeof(id->id), "gen%d-c%u", (int)g->pid, c);
}

static int
gen_ctl_conf_create(struct gen *g, uint32_t c)
{
	struct msw_ctl_conf_create q;
	struct ctl_blob_src b;
	char uri[96];
	int rc;

	memset(&q, 0, sizeof(q));
	gen_conf_id(g, c, &q.conf);
	q.max_legs = g->s->legs;
	q.cpim_policy = g->s->cpim == GEN_CPIM_OFF ? MSW_CTL_CPIM_OFF : MSW_CTL_CPIM_WRAP;
	snprintf(uri, sizeof(uri), g->conf_uri, (int)g->pid, c);
	b = (struct ctl_blob_src){.data = uri,
	                          .len = (uint32_t)strlen(uri),
	                          .ref_off = offsetof(struct msw_ctl_conf_create, uri)};
	rc = ctl_client_call(g->ctl, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &q, sizeof(q),
	                     &b, 1, NULL, GEN_CALL_MS);
	if (rc != 0)
		snprintf(g->err, sizeof(g->err), "CONF_CREATE %.*s: %s", q.conf.len, q.conf.id,
		         strerror(-rc));
	return rc;
}

/* LEG_ADDs in flight at once: the data plane answers a batch per control-ring drain, so one
 * at a time would cost a drain interval per leg (minutes for 100,000 legs). */
#define GEN_CTL_WINDOW 64

/* Sends the LEG_ADD of a passive leg (we connect); *seq identifies its reply. */
static int
gen_ctl_leg_add_send(struct gen *g, const struct gen_leg *l, uint32_t *seq)
{
	struct msw_ctl_leg_add q;
	struct ctl_blob_src b[2];
	char identity[64];

	memset(&q, 0, sizeof(q));
	gen_conf_id(g, l->conf, &q.leg.conf); /* session_id_len 0: the data plane draws it */
	q.setup = MSW_CTL_SETUP_PASSIVE;
	snprintf(identity, sizeof(identity), "sip:g%u@gen.invalid", l->idx);
	b[0] = (struct ctl_blob_src){.data = identity,
	                             .len = (uint32_t)strlen(identity),
	                             .ref_off = offsetof(struct msw_ctl_leg_add, identity)};
	b[1] = (struct ctl_blob_src){.data = l->path,
	                             .len = l->path_len,
	                             .ref_off = offsetof(struct msw_ctl_leg_add, path)};
	return ctl_client_send(g->ctl, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &q, sizeof(q), b, 2,
	                       seq);
}

/* The LEG_ADD reply m of leg l: the switch's URI for the leg becomes our To-Path. */
static int
gen_ctl_leg_add_reply(struct gen *g, struct gen_leg *l, const struct ctl_msg *m)
{
	struct msw_ctl_leg_add_r rr;
	const void *uri;
	int len;

	if (m->rec.hdr.status != 0) {
		snprintf(g->err, sizeof(g->err), "LEG_ADD leg %u: %s", l->idx,
		         strerror(-m->rec.hdr.status));
		return m->rec.hdr.status;
	}
	memset(&rr, 0, sizeof(rr));
	memcpy(&rr, m->rec.payload, m->rec.hdr.len < sizeof(rr) ? m->rec.hdr.len : sizeof(rr));
	len = rr.local_uri.gen != 0 ? ctl_client_blob(g->ctl, &rr.local_uri, &uri) : -EINVAL;
	if (len <= 0 || (size_t)len >= sizeof(l->to_path)) {
		snprintf(g->err, sizeof(g->err), "LEG_ADD leg %u: no usable URI in the reply",
		         l->idx);
		return -EBADMSG;
	}
	memcpy(l->to_path, uri, (size_t)len);
	l->to_path_len = (uint32_t)len;
	return 0;
}

/* Every leg's LEG_ADD, GEN_CTL_WINDOW in flight; replies matched by sequence number. */
static int
gen_ctl_legs_add(struct gen *g)
{
	uint32_t seq[GEN_CTL_WINDOW], leg[GEN_CTL_WINDOW], n_fl = 0, next = 0;
	uint64_t deadline = 0;
	struct ctl_msg m;

	while (next < g->n_legs || n_fl > 0) {
		int rc = 0;

		while (next < g->n_legs && n_fl < GEN_CTL_WINDOW) {
			rc = gen_ctl_leg_add_send(g, &g->legs[next], &seq[n_fl]);
			if (rc == -EAGAIN || rc == -ENOBUFS)
				break; /* ring or blob area full: take replies first */
			if (rc != 0) {
				snprintf(g->err, sizeof(g->err), "LEG_ADD leg %u: %s", next,
				         strerror(-rc));
				return rc;
			}
			leg[n_fl++] = next++;
		}
		if (n_fl == 0) {
			snprintf(g->err, sizeof(g->err), "LEG_ADD leg %u: %s", next, strerror(-rc));
			return rc;
		}
		deadline = gen_now_ns() + (uint64_t)GEN_CALL_MS * 1000000ull;
		rc = ctl_client_recv(g->ctl, &m, GEN_CALL_MS);
		if (rc != 0 || gen_now_ns() > deadline) {
			snprintf(g->err, sizeof(g->err), "LEG_ADD: no reply: %s",
			         strerror(rc != 0 ? -rc : ETIMEDOUT));
			return rc != 0 ? rc : -ETIMEDOUT;
		}
		if ((m.rec.hdr.flags & MSW_CTL_F_REPLY) == 0)
			continue; /* an event (leg bound...): not needed here */
		for (uint32_t i = 0; i < n_fl; i++) {
			if (seq[i] != m.rec.hdr.seq)
				continue;
			rc = gen_ctl_leg_add_reply(g, &g->legs[leg[i]], &m);
			if (rc != 0)
				return rc;
			seq[i] = seq[n_fl - 1];
			leg[i] = leg[n_fl - 1];
			n_fl--;
			break;
		}
	}
	return 0;
}

/* Socket, non-blocking connect; our URI names the address and port the kernel picked. */
static int
gen_kernel_leg_open(struct gen *g, struct gen_leg *l)
{
	const struct gen_scenario *s = g->s;
	struct sockaddr_in dst = {.sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)s->target_port),
	                          .sin_addr = s->target_address};
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->setup == GEN_SETUP_SIP) {
		/* The SDP offer carries our URI before we know where to connect (RFC 4975 §8.1:
		 * a=path names us): bind now, so address and port in it are the connection's;
		 * gen_kernel_leg_connect() connects once the answer named the data plane. */
		struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr = g->src_addr};

		if (bind(l->fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
		    getsockname(l->fd, (struct sockaddr *)&me, &ml) != 0)
			goto fail;
		l->msrp_src = me;
		inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
		l->path_len =
		        (uint32_t)snprintf(l->path, sizeof(l->path), "msrp://%s:%u/g%dl%u;tcp", ip,
		                           ntohs(me.sin_port), (int)g->pid, l->idx);
		return 0;
	}
	if (s->local_address_set) {
		struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr = s->local_address};

		if (bind(l->fd, (struct sockaddr *)&src, sizeof(src)) != 0)
			goto fail;
	}
	if (connect(l->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS)
		goto fail;
	if (getsockname(l->fd, (struct sockaddr *)&me, &ml) != 0)
		goto fail;
	inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
	l->path_len = (uint32_t)snprintf(l->path, sizeof(l->path), "msrp://%s:%u/g%dl%u;tcp", ip,
	                                 ntohs(me.sin_port), (int)g->pid, l->idx);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = l};

	if (epoll_ctl(l->th->epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0)
		goto fail;
	if (s->setup == GEN_SETUP_RELAY) {
		char tip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &s->target_address, tip, sizeof(tip));
		l->to_path_len = (uint32_t)snprintf(l->to_path, sizeof(l->to_path),
		                                    "msrp://%s:%u;tcp", tip, s->target_port);
	}
	return 0;
fail:
	snprintf(g->err, sizeof(g->err), "leg %u: socket/connect to the target: %s", l->idx,
	         strerror(errno));
	return -errno;
}

/* Setup "sip": the bound socket connects where the SDP answer said (c=, m= port). */
static int
gen_kernel_leg_connect(struct gen *g, struct gen_leg *l)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = l};

	if (connect(l->fd, (struct sockaddr *)&l->msrp_dst, sizeof(l->msrp_dst)) != 0 &&
	    errno != EINPROGRESS)
		goto fail;
	if (epoll_ctl(l->th->epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0)
		goto fail;
	return 0;
fail:
	snprintf(g->err, sizeof(g->err), "leg %u: connect to the data plane: %s", l->idx,
	         strerror(errno));
	return -errno;
}

/* Setup "sip": the source of the legs and of our SIP: local_address, else the address the
 * kernel routes from towards the focus (a connected UDP socket sends nothing). */
static int
gen_sip_source(struct gen *g)
{
	const struct gen_scenario *s = g->s;
	struct sockaddr_in dst = {.sin_family = AF_INET,
	                          .sin_port = htons(s->sip_focus.port),
	                          .sin_addr = s->sip_focus.addr};
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	int fd, rc = 0;

	if (s->local_address_set) {
		g->src_addr = s->local_address;
		return 0;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) != 0) {
		rc = -errno;
		snprintf(g->err, sizeof(g->err), "no route to the focus: %s", strerror(errno));
	} else {
		g->src_addr = me.sin_addr;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
gen_leg_alloc(struct gen *g, struct gen_leg *l)
{
	uint32_t legs = g->s->legs;
	bool idle = g->s->traffic == GEN_TRAFFIC_IDLE;

	/* An idle leg only binds and answers keep-alives: small buffers (they grow on
	 * demand), no receiver state, so a million legs fit beside the data plane. */
	l->tx_cap = idle ? GEN_IDLE_BUF : 64u << 10;
	l->rx_cap = idle ? GEN_IDLE_BUF : 4 * GEN_RX_READ;
	l->hdr_cap = idle ? GEN_IDLE_BUF : GEN_HDR_CAP;
	l->tx = malloc(l->tx_cap);
	l->rx = malloc(l->rx_cap);
	l->hdr_buf = malloc(l->hdr_cap);
	if (!idle) {
		l->next_seq = calloc(legs, sizeof(*l->next_seq));
		l->received = calloc(legs, sizeof(*l->received));
		l->n_asm = legs + 1;
		l->asms = calloc(l->n_asm, sizeof(*l->asms));
		if (l->next_seq == NULL || l->received == NULL || l->asms == NULL)
			return -ENOMEM;
	}
	l->rng = ((uint64_t)g->s->seed << 32 | l->idx) * 0x9e3779b97f4a7c15ull | 1;
	if (l->tx == NULL || l->rx == NULL || l->hdr_buf == NULL)
		return -ENOMEM;
	return gen_parser_init(l);
}

static void
gen_leg_free(struct gen_leg *l)
{
	if (l->fd > 0)
		close(l->fd);
	free(l->tx);
	free(l->rx);
	free(l->hdr_buf);
	free(l->next_seq);
	free(l->received);
	for (uint32_t i = 0; l->asms != NULL && i < l->n_asm; i++)
		free(l->asms[i].buf);
	free(l->asms);
}

static int
gen_setup(struct gen *g, const struct gen_opts *o)
{
	const struct gen_scenario *s = g->s;
	int rc;

	if (s->setup == GEN_SETUP_CTL) {
		char name[32];
		const char *inst = o->instance != NULL      ? o->instance
		                   : s->instance[0] != '\0' ? s->instance
		                                            : NULL;

		snprintf(name, sizeof(name), "msw-gen.%d", (int)g->pid);
		g->ctl = ctl_client_attach(inst, name);
		if (g->ctl == NULL) {
			snprintf(g->err, sizeof(g->err),
			         "cannot attach to the control channel of instance %s: %s",
			         inst != NULL ? inst : "(default)", strerror(errno));
			return -errno;
		}
		if (ctl_client_wait_dp(g->ctl, GEN_CALL_MS) != 0) {
			snprintf(g->err, sizeof(g->err), "the data plane is not up");
			return -ETIMEDOUT;
		}
		for (uint32_t c = 0; c < s->conferences; c++) {
			rc = gen_ctl_conf_create(g, c);
			if (rc != 0)
				return rc;
		}
	}
	if (s->setup == GEN_SETUP_SIP) {
		if (g->io->leg_connect == NULL) {
			snprintf(g->err, sizeof(g->err), "engine %s: no setup \"sip\"",
			         g->io->name);
			return -ENOTSUP;
		}
		rc = gen_sip_source(g);
		if (rc != 0)
			return rc;
	}
	for (uint32_t i = 0; i < g->n_legs; i++) {
		struct gen_leg *l = &g->legs[i];

		rc = gen_leg_alloc(g, l);
		if (rc != 0) {
			snprintf(g->err, sizeof(g->err), "out of memory");
			return rc;
		}
		rc = g->io->leg_open(g, l);
		if (rc != 0)
			return rc;
	}
	return s->setup == GEN_SETUP_CTL ? gen_ctl_legs_add(g) : 0;
}

static void
gen_teardown_ctl(struct gen *g)
{
	uint32_t next = 0, n_fl = 0;
	struct ctl_msg m;

	if (g->ctl == NULL)
		return;
	/* GEN_CTL_WINDOW deletions in flight (replies counted, not matched: a failure only
	 * leaves a conference behind, which mswctl shows). */
	while (next < g->s->conferences || n_fl > 0) {
		while (next < g->s->conferences && n_fl < GEN_CTL_WINDOW) {
			struct msw_ctl_conf_del q;

			memset(&q, 0, sizeof(q));
			gen_conf_id(g, next, &q.conf);
			if (ctl_client_send(g->ctl, MSW_CTL_CONF_DEL, MSW_CTL_VER_CONF_DEL, &q,
			                    sizeof(q), NULL, 0, NULL) != 0)
				break;
			next++;
			n_fl++;
		}
		if (n_fl == 0 || ctl_client_recv(g->ctl, &m, GEN_CALL_MS) != 0)
			break;
		if (m.rec.hdr.flags & MSW_CTL_F_REPLY)
			n_fl--;
	}
	ctl_client_detach(g->ctl);
	g->ctl = NULL;
}

/* Events the data plane posts to us (leg bound, message done...) are read and dropped so
 * our event ring never fills. */
static void
gen_ctl_drain(struct gen *g)
{
	struct ctl_msg m;

	for (int i = 0; g->ctl != NULL && i < 65536 && ctl_client_recv(g->ctl, &m, 0) == 0; i++)
		;
}

/* ---- main-thread loop: phases, progress ---- */

static uint32_t
gen_ready_count(const struct gen *g, uint32_t *dead)
{
	uint32_t n = 0;

	*dead = 0;
	for (uint32_t i = 0; i < g->n_legs; i++) {
		n += atomic_load_explicit(&g->legs[i].ready, memory_order_acquire);
		*dead += atomic_load_explicit(&g->legs[i].dead, memory_order_relaxed);
	}
	return n;
}

/* Copies every leg must receive from its conference peers, from the senders' counts. */
static uint64_t
gen_expected(const struct gen *g)
{
	uint64_t e = 0;

	for (uint32_t i = 0; g->legs != NULL && i < g->n_legs; i++)
		e += atomic_load_explicit(&g->legs[i].sent, memory_order_relaxed) *
		     (g->s->legs - 1);
	return e;
}

static const char *gen_phase_names[] = {"setup", "warmup", "measure", "drain", "stop"};

static void
gen_progress(struct gen *g, uint64_t now, uint64_t t0, uint64_t *last_del, uint64_t *last_sent,
             uint64_t *last_ns)
{
	struct gen_hist *h = calloc(1, sizeof(*h));
	uint64_t del = gen_cnt_sum(g, GEN_CNT_DELIVERIES), sent = gen_cnt_sum(g, GEN_CNT_MSGS_SENT);
	uint64_t errs = 0;
	double dt = (double)(now - *last_ns) / 1e9;

	if (h == NULL)
		return;
	for (uint32_t i = 0; i < g->s->threads; i++) {
		pthread_mutex_lock(&g->th[i].live_lock);
		gen_hist_merge(h, g->th[i].live_pub);
		gen_hist_init(g->th[i].live_pub);
		pthread_mutex_unlock(&g->th[i].live_lock);
	}
	for (int c = 0; c < GEN_CNT_MAX; c++)
		if (gen_cnt_is_error[c])
			errs += gen_cnt_sum(g, (enum gen_cnt)c);
	fprintf(stderr,
	        "msw-gen: %6.1fs %-7s sent %9.0f/s  deliveries %9.0f/s (total %" PRIu64
	        ")  p50 %7.1f us  p99 %7.1f us  errors %" PRIu64 "\n",
	        (double)(now - t0) / 1e9,
	        gen_phase_names[atomic_load_explicit(&g->phase, memory_order_relaxed)],
	        dt > 0 ? (double)(sent - *last_sent) / dt : 0.0,
	        dt > 0 ? (double)(del - *last_del) / dt : 0.0, del,
	        (double)gen_hist_percentile(h, 50) / 1e3, (double)gen_hist_percentile(h, 99) / 1e3,
	        errs);
	*last_del = del;
	*last_sent = sent;
	*last_ns = now;
	free(h);
}

static void
gen_set_phase(struct gen *g, enum gen_phase ph)
{
	atomic_store_explicit(&g->phase, ph, memory_order_release);
}

/* ---- summary ---- */

static void
gen_json_latency(FILE *out, const struct gen_hist *h)
{
	fprintf(out,
	        "{\"unit\":\"us\",\"count\":%" PRIu64 ",\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,"
	        "\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"buckets\":",
	        h->count, (double)h->min / 1e3,
	        h->count != 0 ? (double)h->sum / (double)h->count / 1e3 : 0.0,
	        (double)gen_hist_percentile(h, 50) / 1e3, (double)gen_hist_percentile(h, 90) / 1e3,
	        (double)gen_hist_percentile(h, 99) / 1e3,
	        (double)gen_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3);
	gen_hist_json_buckets(h, 1e3, out);
	fputc('}', out);
}

static void
gen_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* Setup "sip": the dialogs' counts and the INVITE-to-200 times (docs/benchmarking.md). */
static void
gen_json_sip(FILE *out, const struct gen_sip_stats *st)
{
	const struct gen_hist *h = st->setup_hist;
	uint64_t n = h != NULL ? h->count : 0;

	fprintf(out,
	        ",\"sip_invites\":%" PRIu64 ",\"sip_setups\":%" PRIu64
	        ",\"sip_setup_errors\":%" PRIu64 ",\"sip_setup_s\":%.3f"
	        ",\"sip_setups_per_sec\":%.1f",
	        st->invites, st->setups, st->setup_errors, st->setup_s,
	        st->setup_s > 0 ? (double)st->setups / st->setup_s : 0.0);
	fprintf(out,
	        ",\"sip_setup_p50_ms\":%.3f,\"sip_setup_p90_ms\":%.3f,\"sip_setup_p99_ms\":%.3f,"
	        "\"sip_setup_max_ms\":%.3f",
	        n ? (double)gen_hist_percentile(h, 50) / 1e6 : 0.0,
	        n ? (double)gen_hist_percentile(h, 90) / 1e6 : 0.0,
	        n ? (double)gen_hist_percentile(h, 99) / 1e6 : 0.0, n ? (double)h->max / 1e6 : 0.0);
	fprintf(out,
	        ",\"sip_byes\":%" PRIu64 ",\"sip_bye_ok\":%" PRIu64 ",\"sip_bye_errors\":%" PRIu64
	        ",\"sip_ended_by_focus\":%" PRIu64 ",\"sip_focus_end_missing\":%" PRIu64
	        ",\"sip_teardown_s\":%.3f",
	        st->byes, st->bye_ok, st->bye_errors, st->ended_by_focus, st->end_missing,
	        st->teardown_s);
	if (st->first_error[0] != '\0') {
		fprintf(out, ",\"sip_first_error\":");
		gen_json_str(out, st->first_error);
	}
}

static int
gen_summary(struct gen *g, FILE *out, bool setup_failed, double measured_s)
{
	const struct gen_scenario *s = g->s;
	uint64_t c[GEN_CNT_MAX], expected = gen_expected(g), lost = 0, errors = 0;
	uint64_t missing_reports, missing_final, missing_resp = 0, backlog = 0;
	struct gen_hist *h = calloc(1, sizeof(*h));
	char ip[INET_ADDRSTRLEN];

	if (h == NULL)
		return 2;
	for (int i = 0; i < GEN_CNT_MAX; i++)
		c[i] = gen_cnt_sum(g, (enum gen_cnt)i);
	for (uint32_t i = 0; g->th != NULL && i < s->threads; i++)
		if (g->th[i].hist != NULL)
			gen_hist_merge(h, g->th[i].hist);
	/* Per receiver and sender: what the sender sent minus what arrived (first arrivals). */
	for (uint32_t r = 0; !setup_failed && s->traffic != GEN_TRAFFIC_IDLE && r < g->n_legs;
	     r++) {
		const struct gen_leg *rl = &g->legs[r];

		for (uint32_t p = 0; p < s->legs; p++) {
			const struct gen_leg *sl = &g->legs[rl->conf * s->legs + p];
			uint64_t sent = atomic_load_explicit(&sl->sent, memory_order_relaxed);

			if (sl != rl && sent > rl->received[p])
				lost += sent - rl->received[p];
		}
	}
	/* After the drain, with the engine threads gone (their legs' own fields are stable):
	 * SENDs never answered (RFC 4975 §7.1.1: absent Failure-Report means every chunk gets a
	 * response; a sender would time the transaction out), and in open loop the messages
	 * the schedule called for that were not sent when sending stopped (the offered load
	 * the run did not carry: the send queue stayed full, tx_stalls). */
	for (uint32_t i = 0; !setup_failed && g->legs != NULL && i < g->n_legs; i++) {
		const struct gen_leg *l = &g->legs[i];

		missing_resp += l->outstanding;
		if (g->interval_ns > 0 && g->t_sent_end_ns >= l->next_send_ns)
			backlog += (g->t_sent_end_ns - l->next_send_ns) / g->interval_ns + 1;
	}
	/* Reports: every Success-Report: yes message gets one success REPORT (from the switch,
	 * or from the far endpoint through a relay); every final-report request one report. */
	missing_reports = c[GEN_CNT_SUCCESS_ASKED] > c[GEN_CNT_SUCCESS_REPORTS]
	                          ? c[GEN_CNT_SUCCESS_ASKED] - c[GEN_CNT_SUCCESS_REPORTS]
	                          : 0;
	missing_final = c[GEN_CNT_FINAL_ASKED] > c[GEN_CNT_FINAL_REPORTS]
	                        ? c[GEN_CNT_FINAL_ASKED] - c[GEN_CNT_FINAL_REPORTS]
	                        : 0;
	for (int i = 0; i < GEN_CNT_MAX; i++)
		if (gen_cnt_is_error[i])
			errors += c[i];
	errors += lost + missing_reports + missing_final + missing_resp;
	if (g->sip_stats.used)
		errors += g->sip_stats.setup_errors + g->sip_stats.bye_errors +
		          g->sip_stats.end_missing;
	if (setup_failed)
		errors++;

	inet_ntop(AF_INET, &s->target_address, ip, sizeof(ip));
	fprintf(out, "{\"tool\":\"msw-gen\",\"engine\":\"%s\",\"scenario\":", g->io->name);
	gen_json_str(out, s->source);
	fprintf(out,
	        ",\"setup\":\"%s\",\"target\":\"%s:%u\",\"conferences\":%u,\"legs_per_conf\":%u,"
	        "\"legs\":%u,\"threads\":%u,\"load\":\"%s\",\"rate\":%u,\"window\":%u,"
	        "\"chunk_bytes\":%u,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"traffic\":\"%s\","
	        "\"ready_s\":%.3f",
	        s->setup == GEN_SETUP_RELAY ? "relay"
	        : s->setup == GEN_SETUP_SIP ? "sip"
	                                    : "ctl",
	        ip, s->target_port, s->conferences, s->legs, g->n_legs, s->threads,
	        g->interval_ns > 0 ? "open" : "closed", s->rate, s->window, s->chunk_bytes,
	        measured_s, (double)s->warmup_ms / 1e3,
	        s->traffic == GEN_TRAFFIC_IDLE ? "idle" : "messages", g->ready_s);
	if (g->interval_ns > 0)
		fprintf(out,
		        ",\"rate_total\":%u,\"offered_msgs_per_sec\":%.1f,\"msgs_offered\":%" PRIu64
		        ",\"msgs_backlog\":%" PRIu64,
		        s->rate_total,
		        s->rate > 0 ? (double)s->rate * g->n_legs : (double)s->rate_total,
		        c[GEN_CNT_MSGS_SENT] + backlog, backlog);
	if (setup_failed) {
		fprintf(out, ",\"error\":");
		gen_json_str(out, g->err);
	}
	for (int i = 0; i < GEN_CNT_MAX; i++)
		fprintf(out, ",\"%s\":%" PRIu64, gen_cnt_names[i], c[i]);
	fprintf(out,
	        ",\"deliveries_expected\":%" PRIu64 ",\"lost\":%" PRIu64
	        ",\"success_reports_missing\":%" PRIu64 ",\"final_reports_missing\":%" PRIu64
	        ",\"responses_missing\":%" PRIu64
	        ",\"msgs_per_sec\":%.1f,\"deliveries_per_sec\":%.1f,\"errors\":%" PRIu64
	        ",\"ok\":%s,\"latency\":",
	        expected, lost, missing_reports, missing_final, missing_resp,
	        measured_s > 0 ? (double)c[GEN_CNT_DELIVERIES_MEASURED] / (s->legs - 1) / measured_s
	                       : 0.0,
	        measured_s > 0 ? (double)c[GEN_CNT_DELIVERIES_MEASURED] / measured_s : 0.0, errors,
	        errors == 0 ? "true" : "false");
	gen_json_latency(out, h);
	if (g->sip_stats.used)
		gen_json_sip(out, &g->sip_stats);
	if (g->io->json != NULL && g->io_ctx != NULL)
		g->io->json(g, out);
	/* Responses by status code: why sends failed (e.g. 503 from an overloaded switch). */
	fprintf(out, ",\"resp_codes\":{");
	for (uint32_t code = 0, first = 1; g->th != NULL && code < 1000; code++) {
		uint64_t n = 0;

		for (uint32_t i = 0; i < s->threads; i++)
			n += atomic_load_explicit(&g->th[i].resp_codes[code], memory_order_relaxed);
		if (n == 0)
			continue;
		fprintf(out, "%s\"%u\":%" PRIu64, first ? "" : ",", code, n);
		first = 0;
	}
	/* The generator's own peak memory (an idle population's cost on this side). */
	{
		struct rusage ru;

		fprintf(out, "},\"max_rss_kib\":%ld}\n",
		        getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0L);
	}
	fflush(out);
	free(h);
	return setup_failed ? 2 : errors == 0 ? 0 : 1;
}

/* ---- run ---- */

static int
gen_threads_init(struct gen *g)
{
	const struct gen_scenario *s = g->s;
	size_t scratch = (size_t)gen_scenario_max_size(s) + GEN_ENVELOPE_CAP;

	g->th = calloc(s->threads, sizeof(*g->th));
	if (g->th == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->threads; i++) {
		struct gen_thread *th = &g->th[i];

		th->g = g;
		th->id = i;
		th->epfd = -1;
		th->legs = calloc(g->n_legs / s->threads + 1, sizeof(*th->legs));
		th->hist = calloc(1, sizeof(*th->hist));
		th->live = calloc(1, sizeof(*th->live));
		th->live_pub = calloc(1, sizeof(*th->live_pub));
		th->scratch = malloc(scratch);
		th->scratch_cap = scratch;
		pthread_mutex_init(&th->live_lock, NULL);
		if (th->legs == NULL || th->hist == NULL || th->live == NULL ||
		    th->live_pub == NULL || th->scratch == NULL ||
		    msrp_id_gen_init(&th->ids, i) != 0)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < g->n_legs; i++) {
		struct gen_leg *l = &g->legs[i];
		struct gen_thread *th = &g->th[i % s->threads];

		l->idx = i;
		l->conf = i / s->legs;
		l->pos = i % s->legs;
		l->fd = -1;
		l->th = th;
		th->legs[th->n_legs++] = l;
	}
	return 0;
}

static void
gen_free(struct gen *g)
{
	for (uint32_t i = 0; g->legs != NULL && i < g->n_legs; i++)
		gen_leg_free(&g->legs[i]);
	free(g->legs);
	for (uint32_t i = 0; g->th != NULL && i < g->s->threads; i++) {
		struct gen_thread *th = &g->th[i];

		if (th->epfd > 0)
			close(th->epfd);
		free(th->legs);
		free(th->hist);
		free(th->live);
		free(th->live_pub);
		free(th->scratch);
		pthread_mutex_destroy(&th->live_lock);
	}
	free(g->th);
}

/* Relay mode: each leg sends to its peer through the relay (RFC 4976 §6: the peer's Use-Path
 * first, then the peer's own URI). */
static int
gen_relay_paths(struct gen *g)
{
	for (uint32_t i = 0; i < g->n_legs; i++) {
		struct gen_leg *l = &g->legs[i];
		struct gen_leg *peer = &g->legs[l->conf * 2 + (1 - l->pos)];
		int n = snprintf(l->to_path, sizeof(l->to_path), "%.*s %.*s",
		                 (int)peer->use_path_len, peer->use_path, (int)peer->path_len,
		                 peer->path);

		if (n < 0 || (size_t)n >= sizeof(l->to_path)) {
			snprintf(g->err, sizeof(g->err), "leg %u: To-Path too long", i);
			return -ENAMETOOLONG;
		}
		l->to_path_len = (uint32_t)n;
	}
	return 0;
}

int
gen_run(const struct gen_scenario *s, const struct gen_opts *o, FILE *json)
{
	struct gen g;
	uint64_t t0, now, last_del = 0, last_sent = 0, last_ns, next_progress, deadline;
	uint32_t started = 0, dead, ready_upto;
	uint64_t full_check_ns;
	double measured_s = 0;
	bool failed = false, io_ready = false;
	int rc;

	memset(&g, 0, sizeof(g));
	g.s = s;
	g.pid = getpid();
	g.n_legs = s->conferences * s->legs;
	/* Open loop: rate per leg, or rate_total spread over every leg (1 s × legs / total). */
	g.interval_ns = s->rate > 0         ? 1000000000ull / s->rate
	                : s->rate_total > 0 ? 1000000000ull * g.n_legs / s->rate_total
	                                    : 0;
	snprintf(g.conf_uri, sizeof(g.conf_uri), "sip:gen%%d-c%%u@gen.invalid");
	atomic_init(&g.phase, GEN_PH_SETUP);
	g.io = s->engine == GEN_ENGINE_DPDK ? o->dpdk_io : &gen_io_kernel;
	if (g.io == NULL) {
		g.io = &gen_io_kernel; /* for the summary's "engine" */
		snprintf(g.err, sizeof(g.err), "engine \"dpdk\": msw-gen was built without DPDK");
		failed = true;
		goto out;
	}
	if (s->setup == GEN_SETUP_SIP && o->sip == NULL) {
		snprintf(g.err, sizeof(g.err),
		         "setup \"sip\": msw-gen was built without sofia-sip");
		failed = true;
		goto out;
	}
	g.legs = calloc(g.n_legs, sizeof(*g.legs));
	if (g.legs == NULL || gen_threads_init(&g) != 0) {
		snprintf(g.err, sizeof(g.err), "out of memory");
		failed = true;
		goto out;
	}
	io_ready = true; /* fini undoes a partial init too */
	if (g.io->init(&g) != 0) {
		failed = true;
		goto out;
	}
	t0 = gen_now_ns();
	if (gen_setup(&g, o) != 0) {
		failed = true;
		goto out;
	}
	if (s->setup == GEN_SETUP_SIP) {
		/* Every dialog first (the SIP thread, at setup_rate), then the MSRP connections to
		 * where the answers point; the bind and the traffic are as with setup "ctl". */
		g.sip = o->sip;
		if (g.sip->setup(&g) != 0) {
			failed = true;
			goto out;
		}
		for (uint32_t i = 0; i < g.n_legs; i++) {
			if (g.io->leg_connect(&g, &g.legs[i]) != 0) {
				failed = true;
				goto out;
			}
		}
	}
	for (; started < s->threads; started++) {
		if (g.io->start(&g.th[started]) != 0) {
			snprintf(g.err, sizeof(g.err), "cannot start engine thread %u", started);
			failed = true;
			goto out;
		}
	}
	/* Every leg connected and bound (or authenticated) before anyone sends: 10 s, plus
	 * 4 ms per leg for the big idle populations (a loaded 2-core machine binds ~1,000/s). */
	deadline = gen_now_ns() + 10000000000ull + (uint64_t)g.n_legs * 4000000ull;
	/*
	 * Legs [0, ready_upto) are known ready (legs connect roughly in order), so each check
	 * looks at a few legs, not all of them (a full count every millisecond over a million
	 * legs would take a core of its own); a full count once a second catches legs that died.
	 */
	ready_upto = 0;
	full_check_ns = 0;
	dead = 0;
	for (;;) {
		while (ready_upto < g.n_legs &&
		       atomic_load_explicit(&g.legs[ready_upto].ready, memory_order_acquire))
			ready_upto++;
		if (ready_upto < g.n_legs &&
		    atomic_load_explicit(&g.legs[ready_upto].dead, memory_order_relaxed))
			dead = 1;
		if (gen_now_ns() >= full_check_ns) {
			if (gen_ready_count(&g, &dead) == g.n_legs && dead == 0)
				break;
			full_check_ns = gen_now_ns() + 1000000000ull;
		}
		if (ready_upto == g.n_legs && gen_ready_count(&g, &dead) == g.n_legs && dead == 0)
			break;
		gen_ctl_drain(&g);
		if (dead > 0 || gen_now_ns() > deadline) {
			snprintf(g.err, sizeof(g.err),
			         "%u of %u legs connected and bound within %.0f s",
			         gen_ready_count(&g, &dead), g.n_legs,
			         10.0 + (double)g.n_legs / 250.0);
			failed = true;
			goto out;
		}
		/* Every millisecond: the data plane posts an event per bound leg and a full event
		 * ring holds up its binds, so draining it is what paces big populations. */
		usleep(1000);
	}
	if (s->setup == GEN_SETUP_RELAY && gen_relay_paths(&g) != 0) {
		failed = true;
		goto out;
	}
	g.ready_s = (double)(gen_now_ns() - t0) / 1e9;
	if (!o->quiet)
		fprintf(stderr, "msw-gen: %u legs in %u conferences ready after %.2f s\n", g.n_legs,
		        s->conferences, g.ready_s);
	now = gen_now_ns();
	for (uint32_t i = 0; i < g.n_legs; i++)
		g.legs[i].next_send_ns = now + g.interval_ns * i / g.n_legs;
	t0 = now;
	last_ns = now;
	next_progress = now + 1000000000ull;
	g.t_measure_ns = now + (uint64_t)s->warmup_ms * 1000000ull;
	g.t_drain_ns = g.t_measure_ns + (uint64_t)s->duration_ms * 1000000ull;
	gen_set_phase(&g, s->warmup_ms > 0 ? GEN_PH_WARMUP : GEN_PH_MEASURE);
	for (;;) {
		int ph = atomic_load_explicit(&g.phase, memory_order_relaxed);

		usleep(2000);
		gen_ctl_drain(&g);
		now = gen_now_ns();
		if (ph == GEN_PH_WARMUP && now >= g.t_measure_ns)
			gen_set_phase(&g, GEN_PH_MEASURE);
		if (ph == GEN_PH_MEASURE && now >= g.t_drain_ns) {
			measured_s = (double)(now - g.t_measure_ns) / 1e9;
			g.t_sent_end_ns = now;
			gen_set_phase(&g, GEN_PH_DRAIN);
			deadline = now + (uint64_t)s->drain_ms * 1000000ull;
		}
		if (ph == GEN_PH_DRAIN) {
			/* Give the threads one loop to stop sending, then wait for the copies and
			 * for the responses to our SENDs. */
			bool done = gen_cnt_sum(&g, GEN_CNT_RESP_OK) +
			                            gen_cnt_sum(&g, GEN_CNT_RESP_ERR) >=
			                    gen_cnt_sum(&g, GEN_CNT_RESP_EXPECTED) &&
			            gen_cnt_sum(&g, GEN_CNT_DELIVERIES) +
			                            gen_cnt_sum(&g, GEN_CNT_DUPLICATES) >=
			                    gen_expected(&g) &&
			            gen_cnt_sum(&g, GEN_CNT_SUCCESS_REPORTS) >=
			                    gen_cnt_sum(&g, GEN_CNT_SUCCESS_ASKED) &&
			            gen_cnt_sum(&g, GEN_CNT_FINAL_REPORTS) >=
			                    gen_cnt_sum(&g, GEN_CNT_FINAL_ASKED);

			if ((done && now > g.t_drain_ns + 20000000ull) || now >= deadline)
				break;
		}
		if (!o->quiet && now >= next_progress) {
			gen_progress(&g, now, t0, &last_del, &last_sent, &last_ns);
			next_progress += 1000000000ull;
		}
	}
	if (!o->quiet)
		gen_progress(&g, gen_now_ns(), t0, &last_del, &last_sent, &last_ns);
out:
	gen_set_phase(&g, GEN_PH_STOP);
	for (uint32_t i = 0; i < started; i++)
		g.io->join(&g.th[i]);
	/* The dialogs end after the traffic (the focus removes a leg, and closes its
	 * connection, on BYE): the engine threads are gone, so those closes are not errors. */
	if (g.sip != NULL)
		g.sip->teardown(&g);
	if (failed)
		fprintf(stderr, "msw-gen: %s\n", g.err);
	rc = gen_summary(&g, json, failed, measured_s);
	gen_teardown_ctl(&g);
	if (g.sip != NULL)
		g.sip->fini(&g);
	gen_free(&g);
	if (io_ready)
		g.io->fini(&g);
	return rc;
}
