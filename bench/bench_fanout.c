/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-bench-fanout: conference fan-out rate of the switch engine (dataplane/switch).
 *
 * One sender, N-1 recipients; each message is one SEND chunk parsed by the engine, re-headered
 * and sent to every recipient, and every copy is answered with a 200 that the engine parses
 * and matches to its transaction (so the transaction pool stays in steady state). The bench
 * transport copies header bytes (what the data plane writes into a header mbuf) and takes and
 * drops a reference on body segments (an indirect mbuf), so bodies are never copied.
 * Re-chunking is on (2048-byte default): a 16 KiB body goes out as 8 chunks per recipient.
 *
 * Output, one JSON line per case (sizes count body bytes, rates are totals):
 *   {"bench":"fanout","legs":N,"msg_bytes":N,"lcores":N,"deliveries_per_sec":X,
 *    "per_lcore":X,"memcpy_deliveries_per_sec":Y}
 * memcpy_deliveries_per_sec: a plain memcpy of the same output bytes per delivery, same run.
 * Two-lcore cases print "skipped":"cores" on a single-core machine, and
 * "skipped":"not-implemented" until the engine's per-lcore-pair rings exist.
 * Usage: msw-bench-fanout [seconds per case, default 0.2]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "msrp/msrp_types.h"
#include "switch/sw.h"

#define B_MAX_LEGS 100
#define B_TXBUF    (256u * 1024u)

struct b_buf {
	int refs;
	uint32_t len;
	uint8_t data[];
};

struct b_conn {
	uint32_t eng;
	bool is_sender;
	char path[96];
	char sw_uri[128];
	uint8_t *resp; /* responses to feed back */
	size_t resp_len, resp_cap;
	uint8_t *tx; /* header bytes "sent" */
	size_t tx_pos;
};

struct bench {
	struct b_conn c[B_MAX_LEGS];
	uint64_t out_bytes;
	uint64_t deliveries;
};

static void
b_hold(void *ctx, struct sw_buf *b)
{
	(void)ctx;
	((struct b_buf *)(void *)b)->refs++;
}

static void
b_release(void *ctx, struct sw_buf *b)
{
	struct b_buf *t = (struct b_buf *)(void *)b;

	(void)ctx;
	if (--t->refs == 0)
		free(t);
}

static void
b_append(struct b_conn *c, const void *p, size_t n)
{
	if (c->resp_len + n > c->resp_cap) {
		c->resp_cap = (c->resp_len + n) * 2;
		c->resp = realloc(c->resp, c->resp_cap);
		if (c->resp == NULL)
			abort();
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
		b->out_bytes += segs[i].len;
	/* The recipient answers 200 (RFC 4975 §7.2): To-Path = the switch, From-Path = itself. */
	sp = memchr(h + 5, ' ', segs[0].len - 5);
	tid_len = (size_t)(sp - (h + 5));
	b_append(c, "MSRP ", 5);
	b_append(c, h + 5, tid_len);
	b_append(c, " 200 OK\r\nTo-Path: ", 18);
	b_append(c, c->sw_uri, strlen(c->sw_uri));
	b_append(c, "\r\nFrom-Path: ", 13);
	b_append(c, c->path, strlen(c->path));
	b_append(c, "\r\n-------", 9);
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
	struct b_buf *buf = malloc(sizeof(*buf) + len);

	if (buf == NULL)
		abort();
	buf->refs = 1;
	buf->len = (uint32_t)len;
	memcpy(buf->data, p, len);
	sw_conn_rx(lc, c->eng, buf->data, (uint32_t)len, (struct sw_buf *)(void *)buf, 0);
	b_release(NULL, (struct sw_buf *)(void *)buf);
}

/* One case: returns deliveries/s, and the memcpy equivalent in *memcpy_rate. */
static double
b_case(unsigned int legs, unsigned int msg_bytes, double seconds, double *memcpy_rate)
{
	static const struct sw_transport_ops tops = {b_send, b_close, NULL};
	static const struct sw_buf_ops bops = {b_hold, b_release};
	struct bench *b = calloc(1, sizeof(*b));
	struct sw_params p;
	struct sw_engine *e;
	struct sw_lcore *lc;
	struct msw_ctl_conf_create cc;
	char *send = malloc(msg_bytes + 1024);
	uint8_t *sendb;
	size_t send_len;
	double t0, t1, el;
	uint64_t msgs = 0;

	if (b == NULL || send == NULL)
		abort();
	sw_params_default(&p);
	p.max_conf_legs = 128;
	p.max_conns = B_MAX_LEGS + 4;
	p.max_legs = B_MAX_LEGS + 4;
	p.max_tx = 8192;
	e = sw_engine_create(&p, &tops, b, &bops, b, NULL, NULL);
	if (e == NULL)
		abort();
	lc = sw_engine_lcore(e, 0);
	memset(&cc, 0, sizeof(cc));
	memcpy(cc.conf.id, "bench", 5);
	cc.conf.len = 5;
	cc.cpim_policy = MSW_CTL_CPIM_OFF;
	if (sw_conf_create(e, &cc, (struct msrp_span){NULL, 0}) != 0)
		abort();
	for (unsigned int i = 0; i < legs; i++) {
		struct b_conn *c = &b->c[i];
		struct sw_leg_params lp;
		char bind[512];

		memset(&lp, 0, sizeof(lp));
		lp.conf = cc.conf;
		snprintf(c->path, sizeof(c->path), "msrp://10.0.%u.%u:7000/p%06u;tcp", i / 250,
		         i % 250 + 1, i);
		lp.path = (struct msrp_span){(const uint8_t *)c->path, (uint32_t)strlen(c->path)};
		lp.identity = (struct msrp_span){(const uint8_t *)"sip:u@example.com", 17};
		if (sw_leg_add(e, &lp, c->sw_uri, sizeof(c->sw_uri), NULL) != 0 ||
		    sw_conn_open(lc, i, &c->eng) != 0)
			abort();
		c->tx = malloc(B_TXBUF);
		c->is_sender = i == 0;
		int n = snprintf(bind, sizeof(bind),
		                 "MSRP bind0001 SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
		                 "Message-ID: bind0001\r\n-------bind0001$\r\n",
		                 c->sw_uri, c->path);
		b_feed(lc, c, (const uint8_t *)bind, (size_t)n);
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
	sendb = (uint8_t *)send;

	t0 = b_now();
	do {
		for (int k = 0; k < 64; k++) {
			b_feed(lc, &b->c[0], sendb, send_len);
			for (unsigned int i = 1; i < legs; i++) {
				struct b_conn *c = &b->c[i];

				b_feed(lc, c, c->resp, c->resp_len);
				c->resp_len = 0;
			}
			msgs++;
		}
		urcu_qsbr_quiescent_state();
		t1 = b_now();
	} while (t1 - t0 < seconds);
	el = t1 - t0;
	if (sw_lcore_msgs_in_use(lc) != 0 ||
	    sw_lcore_counter(lc, SW_CNT_RCPT_DELIVERED) != msgs * (legs - 1)) {
		fprintf(stderr, "bench: engine state inconsistent (in use %u)\n",
		        sw_lcore_msgs_in_use(lc));
		exit(1);
	}
	/* A delivery = one message to one recipient (several chunks when re-chunked). */
	b->deliveries = msgs * (legs - 1);
	double rate = (double)b->deliveries / el;
	/* Same output bytes with memcpy: per delivery, what the recipients were sent. */
	size_t per = (size_t)(b->out_bytes / b->deliveries);
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
	sw_engine_destroy(e);
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

	if (seconds <= 0 || seconds > 60) {
		fprintf(stderr, "usage: %s [seconds per case, 0 < s <= 60]\n", argv[0]);
		return 2;
	}
	urcu_qsbr_register_thread();
	for (unsigned int li = 0; li < 3; li++)
		for (unsigned int si = 0; si < 4; si++)
			for (unsigned int lcores = 1; lcores <= 2; lcores++) {
				double mrate, rate;

				if ((long)lcores > cores) {
					printf("{\"bench\":\"fanout\",\"legs\":%u,\"msg_bytes\":%u,"
					       "\"lcores\":%u,\"skipped\":\"cores\"}\n",
					       legs[li], sizes[si], lcores);
					continue;
				}
				if (lcores > 1) {
					printf("{\"bench\":\"fanout\",\"legs\":%u,\"msg_bytes\":%u,"
					       "\"lcores\":%u,\"skipped\":\"not-implemented\"}\n",
					       legs[li], sizes[si], lcores);
					continue;
				}
				rate = b_case(legs[li], sizes[si], seconds, &mrate);
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
