/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "sim/sim_app.h"

/* ---- stream client ---- */

uint8_t
sim_stream_byte(uint64_t seed, uint64_t i)
{
	struct sim_rng r = {.s = seed ^ ((i / 8) * 0x2545f4914f6cdd1dULL)};

	return (uint8_t)(sim_rng_next(&r) >> (8 * (i % 8)));
}

static void
sim_client_connected(void *ctx, struct tcp_handle h)
{
	struct sim_client_conn *c = ctx;

	(void)h;
	c->connected = true;
	sim_client_pump(c->cl);
}

static void
sim_client_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct sim_client_conn *c = ctx;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		for (uint32_t i = 0; i < s->data_len; i++, c->rx_off++)
			if (c->mismatch == 0 &&
			    (c->rx_off >= c->total || p[i] != sim_stream_byte(c->seed, c->rx_off)))
				c->mismatch = c->rx_off + 1;
	}
	rte_pktmbuf_free(m);
	tcp_recv_done(c->cl->tcp, h, len, *c->cl->now_us);
	if (c->rx_off >= c->total && !c->closing) {
		c->closing = true;
		tcp_close(c->cl->tcp, h, *c->cl->now_us);
	}
}

static void
sim_client_writable(void *ctx, struct tcp_handle h)
{
	struct sim_client_conn *c = ctx;

	(void)h;
	c->blocked = false;
}

static void
sim_client_closed(void *ctx, struct tcp_handle h, int err)
{
	struct sim_client_conn *c = ctx;

	(void)h;
	c->closed = true;
	c->err = err;
	c->cl->closed++;
	if (err != 0 || c->rx_off != c->total || c->mismatch != 0)
		c->cl->failed++;
}

static void
sim_client_peer_closed(void *ctx, struct tcp_handle h)
{
	struct sim_client_conn *c = ctx;

	/* The echo closes only after echoing everything; close our side too. */
	if (!c->closing) {
		c->closing = true;
		tcp_close(c->cl->tcp, h, *c->cl->now_us);
	}
}

const struct tcp_app_ops sim_client_ops = {
        .connected = sim_client_connected,
        .recv = sim_client_recv,
        .peer_closed = sim_client_peer_closed,
        .writable = sim_client_writable,
        .closed = sim_client_closed,
};

int
sim_client_open(struct sim_client *cl, uint32_t dst_ip, uint16_t port, uint64_t seed,
                uint64_t total)
{
	struct sim_client_conn *c;
	int rc;

	if (cl->n == SIM_APP_MAX_CONNS)
		return -ENOSPC;
	c = &cl->c[cl->n];
	memset(c, 0, sizeof(*c));
	c->cl = cl;
	c->seed = seed;
	c->total = total;
	rc = tcp_connect(cl->tcp, dst_ip, port, 0, &sim_client_ops, c, *cl->now_us, &c->h);
	if (rc != 0)
		return rc;
	return (int)cl->n++;
}

/* Builds a chunk of the stream as an mbuf chain; NULL when the pool is short. */
static struct rte_mbuf *
sim_client_chunk(struct sim_client *cl, struct sim_client_conn *c, uint32_t len)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint64_t off = c->tx_off;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(cl->pool);
		uint32_t room, n;
		uint8_t *p;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = rte_pktmbuf_tailroom(m);
		n = len < room ? len : room;
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (uint32_t i = 0; i < n; i++)
			p[i] = sim_stream_byte(c->seed, off + i);
		off += n;
		len -= n;
		if (head == NULL) {
			head = tail = m;
		} else {
			tail->next = m;
			tail = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
	}
	return head;
}

void
sim_client_pump(struct sim_client *cl)
{
	for (uint32_t i = 0; i < cl->n; i++) {
		struct sim_client_conn *c = &cl->c[i];

		while (c->connected && !c->closed && !c->blocked && c->tx_off < c->total) {
			uint32_t len = 1 + (uint32_t)(sim_rng_next(&cl->rng) % cl->max_chunk);
			struct rte_mbuf *m;
			int rc;

			if (len > c->total - c->tx_off)
				len = (uint32_t)(c->total - c->tx_off);
			m = sim_client_chunk(cl, c, len);
			if (m == NULL)
				break;
			rc = tcp_send(cl->tcp, c->h, m, *cl->now_us);
			if (rc != 0) {
				rte_pktmbuf_free(m);
				if (rc == -EAGAIN)
					c->blocked = true;
				break;
			}
			c->tx_off += len;
		}
	}
}
