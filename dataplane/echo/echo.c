/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "echo/echo.h"

#define ECHO_NONE UINT32_MAX

struct echo_conn {
	struct echo *e;
	struct tcp_handle h;
	struct rte_mbuf *pending; /* received, not yet accepted by tcp_send */
	uint32_t next_free;
	uint8_t peer_closed;
};

int
echo_init(struct echo *e, struct tcp_stack *tcp, const uint64_t *now_us, uint32_t max_conns)
{
	memset(e, 0, sizeof(*e));
	e->conns = rte_zmalloc("echo_conns", sizeof(*e->conns) * max_conns, 0);
	if (e->conns == NULL)
		return -ENOMEM;
	e->tcp = tcp;
	e->now_us = now_us;
	e->nconns = max_conns;
	for (uint32_t i = 0; i < max_conns; i++)
		e->conns[i].next_free = i + 1 < max_conns ? i + 1 : ECHO_NONE;
	e->free_head = 0;
	return 0;
}

void
echo_fini(struct echo *e)
{
	if (e->conns != NULL)
		for (uint32_t i = 0; i < e->nconns; i++)
			rte_pktmbuf_free(e->conns[i].pending);
	rte_free(e->conns);
	e->conns = NULL;
}

static int
echo_accept(void *lctx, struct tcp_handle h, void **cctx)
{
	struct echo *e = lctx;
	struct echo_conn *c;

	if (e->free_head == ECHO_NONE) {
		e->refused++;
		return -1;
	}
	c = &e->conns[e->free_head];
	e->free_head = c->next_free;
	c->e = e;
	c->h = h;
	c->pending = NULL;
	c->peer_closed = 0;
	*cctx = c;
	e->accepted++;
	return 0;
}

static void
echo_try(struct echo_conn *c)
{
	struct echo *e = c->e;

	/*
	 * Send as much as fits, cutting the pending chain between segments: the window may
	 * let in slightly more than one send buffer (scaled windows round up), so waiting
	 * for the whole chain to fit could wait forever.
	 */
	while (c->pending != NULL) {
		uint32_t space = tcp_send_space(e->tcp, c->h);
		struct rte_mbuf *part = tcp_chain_split(&c->pending, space);
		uint32_t len;

		if (part == NULL) {
			tcp_want_writable(e->tcp, c->h);
			return;
		}
		len = rte_pktmbuf_pkt_len(part);
		if (tcp_send(e->tcp, c->h, part, *e->now_us) != 0) {
			/* Cannot happen after tcp_send_space; keep the bytes, retry later. */
			if (c->pending != NULL)
				rte_pktmbuf_chain(part, c->pending);
			c->pending = part;
			tcp_want_writable(e->tcp, c->h);
			return;
		}
		tcp_recv_done(e->tcp, c->h, len, *e->now_us);
	}
	if (c->peer_closed)
		tcp_close(e->tcp, c->h, *e->now_us);
}

static void
echo_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct echo_conn *c = ctx;

	(void)h;
	if (c->pending == NULL) {
		c->pending = m;
	} else if (rte_pktmbuf_chain(c->pending, m) != 0) {
		/* Segment-count limit: the window (<= send buffer) keeps this from happening. */
		rte_pktmbuf_free(m);
	}
	echo_try(c);
}

static void
echo_peer_closed(void *ctx, struct tcp_handle h)
{
	struct echo_conn *c = ctx;

	(void)h;
	c->peer_closed = 1;
	echo_try(c);
}

static void
echo_writable(void *ctx, struct tcp_handle h)
{
	(void)h;
	echo_try(ctx);
}

static void
echo_closed(void *ctx, struct tcp_handle h, int err)
{
	struct echo_conn *c = ctx;
	struct echo *e = c->e;

	(void)h;
	e->closed++;
	if (err != 0)
		e->closed_err++;
	rte_pktmbuf_free(c->pending);
	c->pending = NULL;
	c->next_free = e->free_head;
	e->free_head = (uint32_t)(c - e->conns);
}

static const struct tcp_app_ops echo_ops = {
        .accept = echo_accept,
        .recv = echo_recv,
        .peer_closed = echo_peer_closed,
        .writable = echo_writable,
        .closed = echo_closed,
};

int
echo_listen(struct echo *e, uint16_t port)
{
	return tcp_listen(e->tcp, port, &echo_ops, e);
}
