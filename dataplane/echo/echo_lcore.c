/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "echo/echo_lcore.h"

#define ECHO_BURST 32

static uint16_t
echo_lcore_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	return port_tx_burst(ctx, pkts, n);
}

static const struct net_port_ops echo_lcore_port_ops = {.tx_burst = echo_lcore_tx};

static uint64_t
echo_lcore_clock_us(uint64_t hz)
{
	uint64_t c = rte_get_tsc_cycles();

	return (c / hz) * 1000000 + ((c % hz) * 1000000) / hz;
}

int
echo_lcore_init(struct echo_lcore *l, const struct echo_lcore_params *p, struct steer_set *set)
{
	struct steer_params sp = {
	        .id = p->id,
	        .n_lcores = p->n_lcores,
	        .rss_port = p->port->rss ? p->port : NULL,
	        .handoff = p->n_lcores > 1 && !p->port->rss,
	        .pool = p->pool,
	        .ring_size = 4096,
	        .name = "echo",
	};

	memset(l, 0, sizeof(*l));
	l->p = *p;
	if (p->id >= p->port->nb_queues)
		return -EINVAL;
	l->q = &p->port->q[p->id];
	l->hz = rte_get_tsc_hz();
	l->now_us = echo_lcore_clock_us(l->hz);
	l->steer = steer_create(&sp, set);
	if (l->steer == NULL)
		return -errno;
	l->ifc = net_iface_create(&p->net, p->pool, &echo_lcore_port_ops, l->q);
	if (l->ifc == NULL)
		return -errno;
	l->tcp = tcp_stack_create(&p->tcp, l->ifc, p->pool, l->now_us);
	if (l->tcp == NULL)
		return -errno;
	steer_attach_tcp(l->steer, l->tcp);
	if (echo_init(&l->echo, l->tcp, &l->now_us, p->tcp.max_conns) != 0)
		return -ENOMEM;
	l->echo_ready = true;
	return echo_listen(&l->echo, p->listen_port);
}

void
echo_lcore_fini(struct echo_lcore *l)
{
	if (l->echo_ready)
		echo_fini(&l->echo);
	l->echo_ready = false;
	tcp_stack_destroy(l->tcp);
	l->tcp = NULL;
	net_iface_destroy(l->ifc);
	l->ifc = NULL;
	steer_destroy(l->steer);
	l->steer = NULL;
}

unsigned int
echo_lcore_poll(struct echo_lcore *l)
{
	struct rte_mbuf *pkts[ECHO_BURST], *ring[ECHO_BURST];
	uint16_t got = port_rx_burst(l->q, pkts, ECHO_BURST), mine, h;

	l->now_us = echo_lcore_clock_us(l->hz);
	/*
	 * Packets other lcores handed over first: they left the wire before anything in this
	 * burst, and a flow's packets can arrive on both paths (the kernel side of a tap moves
	 * a flow to the queue we answer on), so this order keeps most of them in order.
	 */
	h = steer_handoff_rx(l->steer, ring, ECHO_BURST);
	for (uint16_t i = 0; i < h; i++)
		net_rx(l->ifc, ring[i], l->now_us);
	/* Own flows and ARP are processed here, other lcores' flows go to their rings. */
	mine = steer_rx(l->steer, pkts, got);
	for (uint16_t i = 0; i < mine; i++)
		net_rx(l->ifc, pkts[i], l->now_us);
	tcp_timers(l->tcp, l->now_us);
	net_tick(l->ifc, l->now_us);
	tcp_flush(l->tcp);
	port_tx_burst(l->q, NULL, 0); /* releases a packet held for reordering */
	return (unsigned int)got + h;
}

int
echo_lcore_run(struct echo_lcore *l, const volatile int *stop)
{
	net_arp_announce(l->ifc);
	net_flush(l->ifc);
	while (!__atomic_load_n(stop, __ATOMIC_RELAXED))
		if (echo_lcore_poll(l) == 0 && l->p.idle_us != 0)
			usleep(l->p.idle_us); /* shared test machines; production polls */
	return 0;
}

void
echo_lcore_print_json(FILE *f, struct echo_lcore *const *ls, uint32_t n)
{
	uint64_t tcnt[TCP_CNT_MAX] = {0}, tdrop[TCP_DROP_MAX] = {0}, ndrop[NET_DROP_MAX] = {0};
	uint64_t pcnt[PORT_CNT_MAX] = {0}, scnt[STEER_CNT_MAX] = {0};
	uint64_t open = 0, tw = 0, mbufs = 0;

	for (uint32_t k = 0; k < n; k++) {
		const struct echo_lcore *l = ls[k];
		struct tcp_stats *ts = tcp_stack_stats(l->tcp);
		struct net_stats *ns = net_iface_stats(l->ifc);
		uint64_t ltw = tcp_stat_read(&ts->conns[TCP_STATE_TIME_WAIT]);

		tw += ltw;
		open += tcp_conns_in_use(l->tcp) - ltw;
		mbufs += l->p.pool->size - rte_mempool_avail_count(l->p.pool);
		for (int i = 0; i < TCP_CNT_MAX; i++)
			tcnt[i] += tcp_stat_read(&ts->cnt[i]);
		for (int i = 0; i < TCP_DROP_MAX; i++)
			tdrop[i] += tcp_stat_read(&ts->drop[i]);
		for (int i = 0; i < NET_DROP_MAX; i++)
			ndrop[i] += net_stat_read(&ns->drop[i]);
		for (int i = 0; i < PORT_CNT_MAX; i++)
			pcnt[i] += port_stat_read(&l->q->cnt[i]);
		for (int i = 0; i < STEER_CNT_MAX; i++)
			scnt[i] += steer_counter(l->steer, (enum steer_cnt)i);
	}
	fprintf(f,
	        "{\"conns_open\":%lu,\"conns_time_wait\":%lu,\"mbufs_in_use\":%lu,"
	        "\"syn_cookies_sent\":%lu,\"segs_rx\":%lu,\"segs_tx\":%lu,\"retransmits\":%lu,"
	        "\"drops\":{",
	        (unsigned long)open, (unsigned long)tw, (unsigned long)mbufs,
	        (unsigned long)tcnt[TCP_CNT_SYN_COOKIES_SENT], (unsigned long)tcnt[TCP_CNT_SEGS_RX],
	        (unsigned long)tcnt[TCP_CNT_SEGS_TX], (unsigned long)tcnt[TCP_CNT_RETRANSMITS]);
	for (int i = 0; i < TCP_DROP_MAX; i++)
		fprintf(f, "%s\"tcp_%s\":%lu", i ? "," : "", tcp_drop_names[i],
		        (unsigned long)tdrop[i]);
	for (int i = 0; i < NET_DROP_MAX; i++)
		fprintf(f, ",\"net_%s\":%lu", net_drop_names[i], (unsigned long)ndrop[i]);
	fprintf(f, ",\"port_tx_full\":%lu", (unsigned long)pcnt[PORT_CNT_TX_FULL]);
	fprintf(f, ",\"steer_handoff_drop\":%lu}", (unsigned long)scnt[STEER_CNT_HANDOFF_DROP]);
	fprintf(f, ",\"impair\":{");
	for (int i = PORT_CNT_IMP_RX_DROP; i < PORT_CNT_MAX; i++)
		fprintf(f, "%s\"%s\":%lu", i == PORT_CNT_IMP_RX_DROP ? "" : ",", port_cnt_names[i],
		        (unsigned long)pcnt[i]);
	fprintf(f, "},\"tcp\":{");
	for (int i = 0; i < TCP_CNT_MAX; i++)
		fprintf(f, "%s\"%s\":%lu", i ? "," : "", tcp_cnt_names[i], (unsigned long)tcnt[i]);
	fprintf(f, "},\"lcores\":%u,\"steer\":{", n);
	for (int i = 0; i < STEER_CNT_MAX; i++)
		fprintf(f, "%s\"%s\":%lu", i ? "," : "", steer_cnt_names[i],
		        (unsigned long)scnt[i]);
	/* Per lcore: how the flows were spread (accepted = connections this lcore owned). */
	fprintf(f, "},\"per_lcore\":[");
	for (uint32_t k = 0; k < n; k++) {
		const struct echo_lcore *l = ls[k];
		struct tcp_stats *ts = tcp_stack_stats(l->tcp);

		fprintf(f,
		        "%s{\"accepted\":%lu,\"refused\":%lu,\"segs_rx\":%lu,\"segs_tx\":%lu,"
		        "\"rx_pkts\":%lu,\"handoff_tx\":%lu,\"handoff_rx\":%lu}",
		        k ? "," : "", (unsigned long)l->echo.accepted,
		        (unsigned long)l->echo.refused,
		        (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_SEGS_RX]),
		        (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_SEGS_TX]),
		        (unsigned long)port_stat_read(&l->q->cnt[PORT_CNT_RX_PKTS]),
		        (unsigned long)steer_counter(l->steer, STEER_CNT_HANDOFF_TX),
		        (unsigned long)steer_counter(l->steer, STEER_CNT_HANDOFF_RX));
	}
	fprintf(f, "]}\n");
	fflush(f);
}
