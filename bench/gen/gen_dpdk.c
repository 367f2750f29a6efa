/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-gen DPDK engine: the legs run over the project's own TCP stack (dataplane/tcp, net,
 * port: the data plane's code) in client mode, on a net_memif port hot-plugged to the data
 * plane's memif socket (bench_dpdk_util.h), so the generator is not limited by the kernel's
 * TCP. Everything MSRP is the shared code of gen_engine.c; this file only moves bytes.
 *
 * EAL: two lcores on the one CPU dpdk.lcore ("--lcores 0@N,1@N", --no-huge, --no-shconf,
 * --file-prefix msw-gen-<pid>): lcore 0 is the main thread (set-up, phases, progress; it
 * sleeps most of the time), lcore 1 runs the poll loop that owns the port, the stack and
 * every leg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench_dpdk_util.h"
#include "net/net.h"
#include "port/port.h"
#include "tcp/tcp.h"

#include "gen_dpdk.h"
#include "gen_pvt.h"

#define GEN_DPDK_MBUFS      65535
#define GEN_DPDK_BURST      32
#define GEN_DPDK_FIRST_PORT 40000
#define GEN_DPDK_SEND_MAX   (64u << 10) /* bytes per tcp_send() */
#define GEN_DPDK_LCORE      1
#define GEN_DPDK_PER_ADDR   (65536u - GEN_DPDK_FIRST_PORT) /* legs per source address */
#define GEN_DPDK_CONNECTING 128u /* legs connecting or binding at once (SYN bursts) */

/*
 * Thread-safety: built by the main thread in gen_dpdk_init(), then used only by the poll
 * loop on lcore 1 while it runs, destroyed by the main thread in gen_dpdk_fini() after it
 * ended.
 */
struct gen_dpdk {
	struct rte_mempool *pool;
	struct bench_memif mi;
	uint32_t dev_seq;
	/* One interface and TCP stack per source address (dpdk.addresses): leg i uses
	 * address i / GEN_DPDK_PER_ADDR, source port GEN_DPDK_FIRST_PORT + i % GEN_DPDK_PER_ADDR.
	 * Received frames go to the interface of their destination address. */
	uint32_t n_addr;
	uint32_t first_ip; /* host order */
	struct net_iface **ifc;
	struct tcp_stack **tcp;
	uint32_t next_connect; /* legs [0, next_connect) have been connected */
	uint32_t settled;      /* legs [0, settled) are bound or dead */
	uint64_t now_us;
	char runtime_base[PATH_MAX];
	char prefix[64];
};

static struct gen_dpdk *
gen_dpdk_of(const struct gen_leg *l)
{
	return l->th->g->io_ctx;
}

static struct tcp_handle
gen_dpdk_handle(const struct gen_leg *l)
{
	return (struct tcp_handle){.idx = l->io_idx, .gen = l->io_gen};
}

/* The TCP stack of the leg's source address. */
static struct tcp_stack *
gen_dpdk_tcp(const struct gen_dpdk *d, const struct gen_leg *l)
{
	return d->tcp[l->idx / GEN_DPDK_PER_ADDR];
}

/* Index of the interface a received frame is for (its IPv4 destination or ARP target),
 * 0 when it is none of ours (the interface then counts and drops it). */
static uint32_t
gen_dpdk_demux(const struct gen_dpdk *d, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off, ip, k;

	if (d->n_addr == 1 || m->data_len < 42)
		return 0;
	if (p[12] == 0x08 && p[13] == 0x00)
		off = 14 + 16; /* IPv4 destination */
	else if (p[12] == 0x08 && p[13] == 0x06)
		off = 14 + 24; /* ARP target protocol address (RFC 826) */
	else
		return 0;
	ip = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 | (uint32_t)p[off + 2] << 8 |
	     p[off + 3];
	k = ip - d->first_ip;
	return k < d->n_addr ? k : 0;
}

static uint16_t
gen_dpdk_port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct gen_dpdk *d = ctx;

	return port_tx_burst(&d->mi.port.q[0], pkts, n);
}

static const struct net_port_ops gen_dpdk_port_ops = {.tx_burst = gen_dpdk_port_tx};

/* rte_eal_init() succeeded (once per process): rte_eal_cleanup() is due. Main thread only. */
static bool gen_dpdk_eal_up;

/* ---- transport ops used by the shared code ---- */

static void
gen_dpdk_flush(struct gen_leg *l)
{
	struct gen_dpdk *d = gen_dpdk_of(l);
	struct tcp_stack *tcp = gen_dpdk_tcp(d, l);
	struct tcp_handle h = gen_dpdk_handle(l);

	while (l->st != GEN_LEG_DEAD && gen_tx_backlog(l) > 0) {
		uint32_t space = tcp_send_space(tcp, h);
		size_t n = gen_tx_backlog(l);
		struct rte_mbuf *m;
		int rc;

		if (space == 0) {
			tcp_want_writable(tcp, h);
			return;
		}
		if (n > space)
			n = space;
		if (n > GEN_DPDK_SEND_MAX)
			n = GEN_DPDK_SEND_MAX;
		m = bench_mbuf_chain(d->pool, l->tx + l->tx_off, (uint32_t)n);
		if (m == NULL)
			return; /* pool empty for now: the loop retries */
		rc = tcp_send(tcp, h, m, d->now_us);
		if (rc == -EAGAIN) {
			rte_pktmbuf_free(m);
			tcp_want_writable(tcp, h);
			return;
		}
		if (rc != 0) {
			rte_pktmbuf_free(m);
			gen_leg_fail(l, "tcp_send refused");
			return;
		}
		l->tx_off += n;
	}
	if (l->tx_off == l->tx_len)
		l->tx_off = l->tx_len = 0;
}

static void
gen_dpdk_drop(struct gen_leg *l)
{
	struct gen_dpdk *d = gen_dpdk_of(l);

	tcp_abort(gen_dpdk_tcp(d, l), gen_dpdk_handle(l), d->now_us); /* harmless if closed */
}

/* ---- TCP callbacks (from tcp_input / tcp_timers on lcore 1) ---- */

static void
gen_dpdk_connected(void *ctx, struct tcp_handle h)
{
	struct gen_leg *l = ctx;

	(void)h;
	gen_leg_start(l);
}

static void
gen_dpdk_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct gen_leg *l = ctx;
	struct gen_dpdk *d = gen_dpdk_of(l);
	uint32_t n = m->pkt_len;
	uint8_t *dst = l->st != GEN_LEG_DEAD ? gen_rx_space(l, n) : NULL;

	/* A copy into the leg's buffer: the parser then sees one contiguous stream, exactly as
	 * with the kernel engine, and the window reopens at once. */
	if (dst != NULL) {
		for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
			memcpy(dst, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
			dst += s->data_len;
		}
		l->rx_end += n;
	}
	rte_pktmbuf_free(m);
	tcp_recv_done(gen_dpdk_tcp(d, l), h, n, d->now_us);
	if (dst == NULL) {
		if (l->st != GEN_LEG_DEAD)
			gen_leg_fail(l, "out of memory");
		return;
	}
	gen_leg_input(l, gen_now_ns());
	gen_dpdk_flush(l);
}

static void
gen_dpdk_peer_closed(void *ctx, struct tcp_handle h)
{
	(void)h;
	gen_leg_fail(ctx, "connection closed by the peer");
}

static void
gen_dpdk_writable(void *ctx, struct tcp_handle h)
{
	(void)h;
	gen_dpdk_flush(ctx);
}

static void
gen_dpdk_closed(void *ctx, struct tcp_handle h, int err)
{
	struct gen_leg *l = ctx;
	char why[96];

	(void)h;
	snprintf(why, sizeof(why), "connection ended: %s", err != 0 ? strerror(-err) : "closed");
	gen_leg_fail(l, why);
}

static const struct tcp_app_ops gen_dpdk_tcp_ops = {
        .connected = gen_dpdk_connected,
        .recv = gen_dpdk_recv,
        .peer_closed = gen_dpdk_peer_closed,
        .writable = gen_dpdk_writable,
        .closed = gen_dpdk_closed,
};

/* ---- the poll loop ---- */

/* Connects legs in order, at most GEN_DPDK_CONNECTING of them still connecting or binding,
 * so a big population does not send all its SYNs (and bind SENDs) in one burst. */
static void
gen_dpdk_connect_more(struct gen_thread *th, struct gen_dpdk *d)
{
	const struct gen_scenario *s = th->g->s;

	while (d->settled < d->next_connect) {
		const struct gen_leg *l = th->legs[d->settled];

		if (l->st != GEN_LEG_READY && l->st != GEN_LEG_DEAD)
			break;
		d->settled++;
	}
	while (d->next_connect < th->n_legs && d->next_connect - d->settled < GEN_DPDK_CONNECTING) {
		struct gen_leg *l = th->legs[d->next_connect];
		struct rte_ether_addr mac;
		struct tcp_handle h;
		int rc;

		/* Until the target's address is resolved on this leg's interface, one leg at a
		 * time: net holds only a few packets per unresolved address, so a burst of SYNs
		 * would lose all but those and wait out the initial RTO (1 s, RFC 6298 §2.1). */
		if (d->next_connect > d->settled &&
		    !net_arp_lookup(d->ifc[l->idx / GEN_DPDK_PER_ADDR],
		                    ntohl(s->target_address.s_addr), &mac))
			break;
		d->next_connect++;
		rc = tcp_connect(gen_dpdk_tcp(d, l), ntohl(s->target_address.s_addr),
		                 (uint16_t)s->target_port,
		                 (uint16_t)(GEN_DPDK_FIRST_PORT + l->idx % GEN_DPDK_PER_ADDR),
		                 &gen_dpdk_tcp_ops, l, d->now_us, &h);

		if (rc != 0) {
			gen_leg_fail(l, "tcp_connect refused");
			continue;
		}
		l->io_idx = h.idx;
		l->io_gen = h.gen;
	}
}

static bool
gen_dpdk_poll(struct gen_thread *th, struct gen_dpdk *d, unsigned int *iter, bool sending)
{
	struct rte_mbuf *pkts[GEN_DPDK_BURST];
	uint64_t now = gen_now_ns();
	uint16_t got;

	d->now_us = now / 1000;
	got = port_rx_burst(&d->mi.port.q[0], pkts, GEN_DPDK_BURST);
	for (uint16_t i = 0; i < got; i++)
		net_rx(d->ifc[gen_dpdk_demux(d, pkts[i])], pkts[i], d->now_us);
	gen_dpdk_connect_more(th, d);
	/* Idle legs have nothing to generate; their binding SEND and answers are flushed where
	 * they are queued, so a million of them cost nothing per poll. */
	for (uint32_t i = 0; th->g->s->traffic != GEN_TRAFFIC_IDLE && i < th->n_legs; i++) {
		struct gen_leg *l = th->legs[i];

		if (sending)
			gen_leg_generate(l, now);
		else if (gen_tx_backlog(l) > 0)
			gen_dpdk_flush(l);
	}
	if (got == 0 || (++*iter & 7) == 0) {
		for (uint32_t a = 0; a < d->n_addr; a++) {
			tcp_timers(d->tcp[a], d->now_us);
			net_tick(d->ifc[a], d->now_us);
		}
	}
	for (uint32_t a = 0; a < d->n_addr; a++)
		tcp_flush(d->tcp[a]);
	port_tx_burst(&d->mi.port.q[0], NULL, 0);
	gen_live_publish(th, now);
	return got > 0;
}

static int
gen_dpdk_lcore(void *arg)
{
	struct gen_thread *th = arg;
	struct gen *g = th->g;
	struct gen_dpdk *d = g->io_ctx;
	unsigned int iter = 0;
	uint64_t end;

	d->now_us = gen_now_ns() / 1000;
	for (;;) {
		int ph = gen_phase_get(g);

		if (ph == GEN_PH_STOP)
			break;
		gen_dpdk_poll(th, d, &iter, ph == GEN_PH_WARMUP || ph == GEN_PH_MEASURE);
	}
	/* Orderly closes (FIN), then a short while for the handshakes to finish. */
	for (uint32_t i = 0; i < th->n_legs; i++) {
		struct gen_leg *l = th->legs[i];

		if (l->st != GEN_LEG_DEAD && i < d->next_connect) {
			l->st = GEN_LEG_DEAD;
			tcp_close(gen_dpdk_tcp(d, l), gen_dpdk_handle(l), d->now_us);
		}
	}
	end = gen_now_ns() + 200000000ull;
	while (gen_now_ns() < end)
		gen_dpdk_poll(th, d, &iter, false);
	return 0;
}

static int
gen_dpdk_start(struct gen_thread *th)
{
	return rte_eal_remote_launch(gen_dpdk_lcore, th, GEN_DPDK_LCORE);
}

static void
gen_dpdk_join(struct gen_thread *th)
{
	(void)th;
	rte_eal_wait_lcore(GEN_DPDK_LCORE);
}

/* ---- set-up and teardown (main thread) ---- */

static int
gen_dpdk_leg_open(struct gen *g, struct gen_leg *l)
{
	char ip[INET_ADDRSTRLEN];

	struct in_addr a;

	if (l->idx / GEN_DPDK_PER_ADDR >= g->s->dpdk_addresses) {
		snprintf(g->err, sizeof(g->err),
		         "engine \"dpdk\": at most %u legs per address (one port each); %u legs "
		         "need "
		         "dpdk.addresses = %u",
		         GEN_DPDK_PER_ADDR, g->n_legs,
		         (g->n_legs + GEN_DPDK_PER_ADDR - 1) / GEN_DPDK_PER_ADDR);
		return -ENOSPC;
	}
	a.s_addr = htonl(ntohl(g->s->dpdk_address.s_addr) + l->idx / GEN_DPDK_PER_ADDR);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	l->path_len = (uint32_t)snprintf(l->path, sizeof(l->path), "msrp://%s:%u/g%dl%u;tcp", ip,
	                                 GEN_DPDK_FIRST_PORT + l->idx % GEN_DPDK_PER_ADDR,
	                                 (int)g->pid, l->idx);
	return 0;
}

static int
gen_dpdk_init(struct gen *g)
{
	static char lcores[48], prefix[64], mem[16];
	char *eargv[] = {"msw-gen",  "--lcores",    lcores,           "--no-huge", "-m", mem,
	                 "--no-pci", "--no-shconf", "--no-telemetry", prefix,      NULL};
	const struct gen_scenario *s = g->s;
	struct port_impair none;
	struct net_params np;
	struct tcp_params tp;
	struct gen_dpdk *d;
	char err[256];

	snprintf(lcores, sizeof(lcores), "0@%u,%u@%u", s->dpdk_lcore, GEN_DPDK_LCORE,
	         s->dpdk_lcore);
	snprintf(prefix, sizeof(prefix), "--file-prefix=msw-gen-%d", (int)g->pid);
	/* The TCP stacks' connection tables come from EAL memory: 512 MB plus 4 KiB per leg
	 * (anonymous memory without hugepages: only what is touched is resident). */
	snprintf(mem, sizeof(mem), "%u", 512u + g->n_legs / 256u);
	if (rte_eal_init((int)(sizeof(eargv) / sizeof(eargv[0])) - 1, eargv) < 0) {
		snprintf(g->err, sizeof(g->err), "EAL init failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	gen_dpdk_eal_up = true;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(g->err, sizeof(g->err), "out of memory");
		return -ENOMEM;
	}
	g->io_ctx = d;
	snprintf(d->prefix, sizeof(d->prefix), "msw-gen-%d", (int)g->pid);
	bench_runtime_base(d->runtime_base, sizeof(d->runtime_base));
	d->pool = rte_pktmbuf_pool_create("gen_pool", GEN_DPDK_MBUFS, 256, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (d->pool == NULL) {
		snprintf(g->err, sizeof(g->err), "mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	memset(&none, 0, sizeof(none));
	if (bench_memif_attach(&d->mi, s->dpdk_memif_socket, &d->dev_seq, d->pool, 1,
	                       (uint8_t)s->dpdk_ring_log2, &none, 10.0, NULL, NULL, err,
	                       sizeof(err)) != 0) {
		snprintf(g->err, sizeof(g->err), "memif %s: %s", s->dpdk_memif_socket, err);
		return -EIO;
	}
	d->now_us = gen_now_ns() / 1000;
	d->n_addr = s->dpdk_addresses;
	d->first_ip = ntohl(s->dpdk_address.s_addr);
	d->ifc = calloc(d->n_addr, sizeof(*d->ifc));
	d->tcp = calloc(d->n_addr, sizeof(*d->tcp));
	if (d->ifc == NULL || d->tcp == NULL) {
		snprintf(g->err, sizeof(g->err), "out of memory");
		return -ENOMEM;
	}
	for (uint32_t a = 0; a < d->n_addr; a++) {
		uint32_t legs = g->n_legs - a * GEN_DPDK_PER_ADDR;

		net_params_default(&np);
		np.mac = d->mi.port.mac;
		np.ip = d->first_ip + a;
		np.prefix_len = (uint8_t)s->dpdk_prefix_len;
		d->ifc[a] = net_iface_create(&np, d->pool, &gen_dpdk_port_ops, d);
		tcp_params_default(&tp);
		tp.max_conns = (a * GEN_DPDK_PER_ADDR >= g->n_legs ? 0
		                : legs > GEN_DPDK_PER_ADDR         ? GEN_DPDK_PER_ADDR
		                                                   : legs) +
		               64;
		tp.time_wait_ms = 1000; /* each leg has its own port; none is reused within a run */
		tp.mbuf_reserve = 256;
		d->tcp[a] = d->ifc[a] != NULL ? tcp_stack_create(&tp, d->ifc[a], d->pool, d->now_us)
		                              : NULL;
		if (d->tcp[a] == NULL) {
			snprintf(g->err, sizeof(g->err), "net/tcp stack of address %u: %s", a,
			         strerror(errno));
			return -ENOMEM;
		}
		/* Gratuitous ARP (RFC 5227 §3): the data plane learns every address at once. */
		net_arp_announce(d->ifc[a]);
		net_flush(d->ifc[a]);
	}
	return 0;
}

static void
gen_dpdk_fini(struct gen *g)
{
	struct gen_dpdk *d = g->io_ctx;

	if (d != NULL) {
		for (uint32_t a = 0; a < d->n_addr && d->tcp != NULL && d->ifc != NULL; a++) {
			tcp_stack_destroy(d->tcp[a]);
			net_iface_destroy(d->ifc[a]);
		}
		free(d->tcp);
		free(d->ifc);
		if (d->mi.open)
			bench_memif_detach(&d->mi);
		rte_mempool_free(d->pool);
	}
	if (gen_dpdk_eal_up)
		rte_eal_cleanup();
	gen_dpdk_eal_up = false;
	/* EAL keeps a runtime directory per file prefix even with --no-shconf. */
	if (d != NULL && d->runtime_base[0] != '\0')
		bench_rm_runtime_dir(d->runtime_base, d->prefix);
	free(d);
	g->io_ctx = NULL;
}

/*
 * Our side of the link, for telling a limit of the generator from one of the switch: TCP
 * loss recovery and stalls of our stacks (summed over the source addresses) and frames our
 * memif port could not send. Main thread, after the poll loop ended (tcp_stat_read).
 */
static void
gen_dpdk_json(struct gen *g, FILE *out)
{
	static const struct {
		enum tcp_cnt c;
		const char *name;
	} cnts[] = {
	        {TCP_CNT_RETRANSMITS, "retransmits"},
	        {TCP_CNT_RTO_EXPIRED, "rto_expired"},
	        {TCP_CNT_FAST_RETRANSMITS, "fast_retransmits"},
	        {TCP_CNT_ZERO_WINDOW_PROBES, "zero_window_probes"},
	        {TCP_CNT_OOO_QUEUED, "ooo_queued"},
	        {TCP_CNT_NO_MBUF_TX, "no_mbuf_tx"},
	};
	struct gen_dpdk *d = g->io_ctx;
	uint64_t tx_full = 0;

	fprintf(out, ",\"gen_dpdk\":{");
	for (size_t i = 0; i < sizeof(cnts) / sizeof(cnts[0]); i++) {
		uint64_t v = 0;

		for (uint32_t a = 0; d->tcp != NULL && a < d->n_addr; a++)
			if (d->tcp[a] != NULL)
				v += tcp_stat_read(&tcp_stack_stats(d->tcp[a])->cnt[cnts[i].c]);
		fprintf(out, "%s\"tcp_%s\":%" PRIu64, i == 0 ? "" : ",", cnts[i].name, v);
	}
	/* Segments our stacks refused, by reason (tcp_drops.def), the non-zero ones. */
	fprintf(out, ",\"tcp_drops\":{");
	for (int r = 0, first = 1; r < TCP_DROP_MAX; r++) {
		uint64_t v = 0;

		for (uint32_t a = 0; d->tcp != NULL && a < d->n_addr; a++)
			if (d->tcp[a] != NULL)
				v += tcp_stat_read(&tcp_stack_stats(d->tcp[a])->drop[r]);
		if (v == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",", tcp_drop_names[r], v);
		first = 0;
	}
	fputc('}', out);
	if (d->mi.open) {
		struct rte_eth_stats es;

		for (uint16_t q = 0; q < d->mi.port.nb_queues; q++)
			tx_full += port_stat_read(&d->mi.port.q[q].cnt[PORT_CNT_TX_FULL]);
		/* Frames the driver could not receive (no mbuf, ring overrun). */
		if (rte_eth_stats_get(d->mi.port.port_id, &es) == 0)
			fprintf(out, ",\"port_rx_missed\":%" PRIu64 ",\"port_rx_nombuf\":%" PRIu64,
			        es.imissed, es.rx_nombuf);
	}
	fprintf(out, ",\"port_tx_full\":%" PRIu64 "}", tx_full);
}

const struct gen_io_ops gen_io_dpdk = {
        .name = "dpdk",
        .max_threads = 1,
        .init = gen_dpdk_init,
        .leg_open = gen_dpdk_leg_open,
        .start = gen_dpdk_start,
        .join = gen_dpdk_join,
        .flush = gen_dpdk_flush,
        .drop = gen_dpdk_drop,
        .json = gen_dpdk_json,
        .fini = gen_dpdk_fini,
};
