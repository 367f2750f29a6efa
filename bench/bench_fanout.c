/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-bench-fanout: conference fan-out rate of the switch engine (dataplane/switch).
 *
 * One sender, N-1 recipients; each message is one SEND chunk parsed by the engine, re-headered
 * and sent to every recipient, and every copy is answered with a 200 that the engine parses
 * and matches to its transaction (so the transaction pool stays in steady state). The bench
 * transport copies header bytes (what the data plane writes into a header mbuf) into a
 * 16 KiB ring per connection, reused the way header mbufs from a per-lcore mempool cache
 * are (a ring far larger than the cache would measure the bench's cache misses, not the
 * engine), and takes and drops a reference on body segments (an indirect mbuf), so bodies
 * are never copied. The recipients' 200s come from a per-connection template (only the tid
 * varies): the peer's work is not what is measured.
 * Re-chunking is on (2048-byte default): a 16 KiB body goes out as 8 chunks per recipient.
 *
 * With two lcores, each runs on its own thread: the sender and the even recipients on
 * lcore 0, the odd recipients on lcore 1 (copies and outcomes cross the per-pair rings).
 *
 * Output, one JSON line per case (sizes count body bytes, rates are totals):
 *   {"bench":"fanout","legs":N,"msg_bytes":N,"lcores":N,"deliveries_per_sec":X,
 *    "per_lcore":X,"memcpy_deliveries_per_sec":Y}
 * memcpy_deliveries_per_sec: a plain memcpy of the same output bytes per delivery, same run,
 * one thread. A case needing more lcores than the machine has cores: "skipped":"cores".
 * Usage: msw-bench-fanout [seconds per case, default 0.2] [legs bytes lcores]
 * The optional triple runs that one case only (e.g. "1 10 256 1" for the target case, best
 * used with taskset for profiling).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "msrp/msrp_types.h"
#include "switch/sw.h"

#define B_MAX_LEGS 100
#define B_TXBUF    (16u * 1024u) /* per connection: recycled like a TX mbuf pool, cache-hot */
#define B_INFLIGHT 8u            /* messages in flight on the sender's lcore (flow control) */

/* A receive buffer; references may be dropped on another lcore, hence atomic. */
struct b_buf {
	atomic_int refs;
	uint32_t len;
	uint8_t data[];
};

/* Thread-safety: used only by the thread of the lcore that owns the connection. */
struct b_conn {
	uint32_t lcore;
	uint32_t eng;
	bool is_sender;
	char path[96];
	char sw_uri[128];
	char resp_mid[256]; /* " 200 OK\r\nTo-Path: <sw_uri>\r\nFrom-Path: <path>\r\n-------" */
	size_t resp_mid_len;
	uint8_t *resp; /* responses to feed back */
	size_t resp_len, resp_cap;
	uint8_t *tx; /* header bytes "sent" */
	size_t tx_pos;
	uint64_t out_bytes;
};

struct bench {
	struct b_conn c[B_MAX_LEGS];
	struct sw_engine *e;
	unsigned int legs, lcores;
	atomic_bool feeding; /* lcore 0 still sends new messages */
	atomic_bool done;
};

static void
b_hold(void *ctx, struct sw_buf *b)
{
	(void)ctx;
	atomic_fetch_add_explicit(&((struct b_buf *)(void *)b)->refs, 1, memory_order_relaxed);
}

static void
b_release(void *ctx, struct sw_buf *b)
{
	struct b_buf *t = (struct b_buf *)(void *)b;

	(void)ctx;
	if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
		free(t);
}

static void
b_append(struct b_conn *c, const void *p, size_t n)
{
	if (c->resp_len + n > c->resp_cap) {
		c->resp_cap = (c->resp_len + n) * 2;
		c->resp = realloc(c->resp, c->resp_cap);
		if (c->resp == NULL) {
			fprintf(stderr, "bench: out of memory\n");
			exit(1);
		}
	}
	memcpy(c->resp + c->resp_len, p, n);
	c->resp_len += n;
}

static int
b_send(void *ctx, sw_tconn_t tc, const struct sw_seg *segs, unsigned int n)
{
	struct bench *b = ctx;
	struct b_conn *c = &b->c[tc];
	const uint8_t *h = segs[0].p, *sp;
	size_t tid_len;

	for (unsigned int i = 0; i < n; i++) {
		if (segs[i].buf == NULL) {
			if (c->tx_pos + segs[i].len > B_TXBUF)
				c->tx_pos = 0;
			memcpy(c->tx + c->tx_pos, segs[i].p, segs[i].len);
			c->tx_pos += segs[i].len;
		} else {
			b_hold(b, segs[i].buf);
			b_release(b, segs[i].buf);
		}
	}
	if (c->is_sender)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		c->out_bytes += segs[i].len;
	/* The recipient answers 200 (RFC 4975 §7.2): To-Path = the switch, From-Path = itself.
	 * Only the tid varies: the rest is the per-connection template (the peer's cost is not
	 * what this bench measures). */
	sp = memchr(h + 5, ' ', segs[0].len - 5);
	tid_len = (size_t)(sp - (h + 5));
	b_append(c, "MSRP ", 5);
	b_append(c, h + 5, tid_len);
	b_append(c, c->resp_mid, c->resp_mid_len);
	b_append(c, h + 5, tid_len);
	b_append(c, "$\r\n", 3);
	return 0;
}

static void
b_close(void *ctx, sw_tconn_t tc)
{
	(void)ctx;
	(void)tc;
}

static double
b_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
b_feed(struct sw_lcore *lc, struct b_conn *c, const uint8_t *p, size_t len)
{
	struct b_buf *buf;

	if (len == 0)
		return;
	buf = malloc(sizeof(*buf) + len);
	if (buf == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	atomic_init(&buf->refs, 1);
	buf->len = (uint32_t)len;
	memcpy(buf->data, p, len);
	sw_conn_rx(lc, c->eng, buf->data, (uint32_t)len, (struct sw_buf *)(void *)buf, 0);
	b_release(NULL, (struct sw_buf *)(void *)buf);
}

/* Feed back the responses of the recipients this lcore owns. */
static void
b_responses(struct bench *b, struct sw_lcore *lc, uint32_t id)
{
	for (unsigned int i = 1; i < b->legs; i++) {
		struct b_conn *c = &b->c[i];

		if (c->lcore != id || c->resp_len == 0)
			continue;
		b_feed(lc, c, c->resp, c->resp_len);
		c->resp_len = 0;
	}
}

/* lcore 1: send the copies handed over, answer them, return the outcomes. */
static void *
b_lcore1(void *arg)
{
	struct bench *b = arg;
	struct sw_lcore *lc = sw_engine_lcore(b->e, 1);

	urcu_qsbr_register_thread();
	while (!atomic_load_explicit(&b->done, memory_order_acquire)) {
		sw_lcore_poll(lc, 0);
		b_responses(b, lc, 1);
		sw_lcore_poll(lc, 0);
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

/* One case: returns deliveries/s, and the memcpy equivalent in *memcpy_rate. */
static double
b_case(unsigned int legs, unsigned int msg_bytes, unsigned int lcores, double seconds,
       double *memcpy_rate)
{
	static const struct sw_transport_ops tops = {b_send, b_close, NULL};
	static const struct sw_buf_ops bops = {b_hold, b_release};
	struct bench *b = calloc(1, sizeof(*b));
	struct sw_params p;
	struct sw_lcore *lc;
	struct msw_ctl_conf_create cc;
	char *send = malloc(msg_bytes + 1024);
	size_t send_len;
	double t0, t1, el;
	uint64_t msgs = 0, delivered = 0, out_bytes = 0;
	pthread_t th;

	if (b == NULL || send == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	b->legs = legs;
	b->lcores = lcores;
	sw_params_default(&p);
	p.max_conf_legs = 128;
	p.max_conns = B_MAX_LEGS + 4;
	p.max_legs = B_MAX_LEGS + 4;
	p.max_tx = 8192;
	p.max_msgs = 64;
	p.max_xfer = 8192;
	p.n_lcores = lcores;
	b->e = sw_engine_create(&p, &tops, b, &bops, b, NULL, NULL);
	if (b->e == NULL) {
		perror("sw_engine_create");
		exit(1);
	}
	lc = sw_engine_lcore(b->e, 0);
	memset(&cc, 0, sizeof(cc));
	memcpy(cc.conf.id, "bench", 5);
	cc.conf.len = 5;
	cc.cpim_policy = MSW_CTL_CPIM_OFF;
	if (sw_conf_create(b->e, &cc, NULL) != 0)
		exit(1);
	for (unsigned int i = 0; i < legs; i++) {
		struct b_conn *c = &b->c[i];
		struct sw_leg_params lp;
		struct sw_lcore *owner;
		char bind[512];

		memset(&lp, 0, sizeof(lp));
		lp.conf = cc.conf;
		snprintf(c->path, sizeof(c->path), "msrp://10.0.%u.%u:7000/p%06u;tcp", i / 250,
		         i % 250 + 1, i);
		lp.path = (struct msrp_span){(const uint8_t *)c->path, (uint32_t)strlen(c->path)};
		lp.identity = (struct msrp_span){(const uint8_t *)"sip:u@example.com", 17};
		c->lcore = lcores > 1 ? i % 2 : 0;
		owner = sw_engine_lcore(b->e, c->lcore);
		if (sw_leg_add(b->e, &lp, c->sw_uri, sizeof(c->sw_uri), NULL) != 0 ||
		    sw_conn_open(owner, i, &c->eng) != 0)
			exit(1);
		c->tx = malloc(B_TXBUF);
		c->is_sender = i == 0;
		c->resp_mid_len = (size_t)snprintf(
		        c->resp_mid, sizeof(c->resp_mid),
		        " 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------", c->sw_uri, c->path);
		int n = snprintf(bind, sizeof(bind),
		                 "MSRP bind0001 SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
		                 "Message-ID: bind0001\r\n-------bind0001$\r\n",
		                 c->sw_uri, c->path);
		b_feed(owner, c, (const uint8_t *)bind, (size_t)n);
	}
	/* The sender's message: one chunk, Failure-Report default, body of msg_bytes. */
	send_len = (size_t)snprintf(send, 1024,
	                            "MSRP sndtid01 SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
	                            "Message-ID: benchmsg\r\nByte-Range: 1-%u/%u\r\n"
	                            "Content-Type: text/plain\r\n\r\n",
	                            b->c[0].sw_uri, b->c[0].path, msg_bytes, msg_bytes);
	memset(send + send_len, 'x', msg_bytes);
	send_len += msg_bytes;
	send_len += (size_t)sprintf(send + send_len, "\r\n-------sndtid01$\r\n");

	char *mid = strstr(send, "benchmsg");

	if (lcores > 1 && pthread_create(&th, NULL, b_lcore1, b) != 0)
		exit(1);
	atomic_store(&b->feeding, true);
	t0 = b_now();
	t1 = t0;
	while (t1 - t0 < seconds || sw_lcore_msgs_in_use(lc) > 0) {
		for (int k = 0; k < 64; k++) {
			/* Message-IDs must differ while messages overlap: vary the last chars. */
			if (t1 - t0 < seconds && sw_lcore_msgs_in_use(lc) < B_INFLIGHT) {
				mid[6] = (char)('a' + (msgs % 26));
				mid[7] = (char)('a' + (msgs / 26) % 26);
				b_feed(lc, &b->c[0], (const uint8_t *)send, send_len);
				msgs++;
			}
			b_responses(b, lc, 0);
			sw_lcore_poll(lc, 0);
		}
		urcu_qsbr_quiescent_state();
		t1 = b_now();
	}
	el = t1 - t0;
	atomic_store_explicit(&b->done, true, memory_order_release);
	if (lcores > 1)
		pthread_join(th, NULL);
	for (unsigned int i = 0; i < lcores; i++)
		delivered += sw_lcore_counter(sw_engine_lcore(b->e, i), SW_CNT_RCPT_DELIVERED);
	if (delivered != msgs * (legs - 1)) {
		fprintf(stderr, "bench: %llu deliveries for %llu messages x %u recipients\n",
		        (unsigned long long)delivered, (unsigned long long)msgs, legs - 1);
		exit(1);
	}
	/* A delivery = one message to one recipient (several chunks when re-chunked). */
	double rate = (double)delivered / el;
	for (unsigned int i = 1; i < legs; i++)
		out_bytes += b->c[i].out_bytes;
	/* Same output bytes with memcpy: per delivery, what the recipients were sent. */
	size_t per = (size_t)(out_bytes / delivered);
	uint8_t *src = malloc(per + 64), *dst = malloc(B_TXBUF + per);
	uint64_t n = 0;
	size_t pos = 0;

	memset(src, 'y', per + 64);
	t0 = b_now();
	do {
		for (int k = 0; k < 4096; k++) {
			if (pos + per > B_TXBUF)
				pos = 0;
			memcpy(dst + pos, src, per);
			pos += per;
			n++;
		}
		__asm__ volatile("" : : "r"(dst) : "memory");
		t1 = b_now();
	} while (t1 - t0 < seconds / 2);
	*memcpy_rate = (double)n / (t1 - t0);
	free(src);
	free(dst);
	sw_engine_destroy(b->e);
	for (unsigned int i = 0; i < legs; i++) {
		free(b->c[i].resp);
		free(b->c[i].tx);
	}
	free(b);
	free(send);
	return rate;
}

int
main(int argc, char **argv)
{
	static const unsigned int legs[] = {2, 10, 100};
	static const unsigned int sizes[] = {100, 256, 1024, 16384};
	double seconds = argc > 1 ? atof(argv[1]) : 0.2;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int only_legs = argc > 4 ? (unsigned int)atoi(argv[2]) : 0;
	unsigned int only_bytes = argc > 4 ? (unsigned int)atoi(argv[3]) : 0;
	unsigned int only_lcores = argc > 4 ? (unsigned int)atoi(argv[4]) : 0;

	if (seconds <= 0 || seconds > 60 || (argc != 2 && argc != 5 && argc != 1)) {
		fprintf(stderr, "usage: %s [seconds per case, 0 < s <= 60] [legs bytes lcores]\n",
		        argv[0]);
		return 2;
	}
	urcu_qsbr_register_thread();
	for (unsigned int li = 0; li < 3; li++)
		for (unsigned int si = 0; si < 4; si++)
			for (unsigned int lcores = 1; lcores <= 2; lcores++) {
				double mrate, rate;

				if (only_legs != 0 &&
				    (legs[li] != only_legs || sizes[si] != only_bytes ||
				     lcores != only_lcores))
					continue;
				if ((long)lcores > cores) {
					printf("{\"bench\":\"fanout\",\"legs\":%u,\"msg_bytes\":%u,"
					       "\"lcores\":%u,\"skipped\":\"cores\"}\n",
					       legs[li], sizes[si], lcores);
					continue;
				}
				rate = b_case(legs[li], sizes[si], lcores, seconds, &mrate);
				printf("{\"bench\":\"fanout\",\"legs\":%u,\"msg_bytes\":%u,"
				       "\"lcores\":%u,"
				       "\"deliveries_per_sec\":%.0f,\"per_lcore\":%.0f,"
				       "\"memcpy_deliveries_per_sec\":%.0f}\n",
				       legs[li], sizes[si], lcores, rate, rate / lcores, mrate);
				fflush(stdout);
			}
	urcu_qsbr_unregister_thread();
	return 0;
}
