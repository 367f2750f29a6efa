/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet input path: each input is a sequence of Ethernet frames
 * (2-byte big-endian length + bytes) fed through net_rx into a stack that listens on port 7
 * and has one established-looking flow of traffic driven by the frames themselves. The
 * stack must never crash, leak mbufs or corrupt its counters. EAL is initialised once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "echo/echo.h"
#include "sim/sim_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct rte_mempool *pool;
static struct echo echo;
static uint64_t now = 1000000;

static uint16_t
discard(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static const struct net_port_ops discard_ops = {.tx_burst = discard};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sim_eal_init("fuzztcp") != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                               SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_params np;
	struct tcp_params tp;
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	size_t off = 0;

	net_params_default(&np);
	np.mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, 0x02}};
	np.ip = 0x0a000002;
	np.prefix_len = 24;
	ifc = net_iface_create(&np, pool, &discard_ops, NULL);
	tcp_params_default(&tp);
	tp.max_conns = 64;
	tp.syn_backlog = 4;
	tp.mbuf_reserve = 64;
	tp.time_wait_ms = 10;
	tp.secret.k0 = 1; /* deterministic ISNs: inputs can contain matching ACKs */
	tcp = tcp_stack_create(&tp, ifc, pool, now);
	if (echo_init(&echo, tcp, &now, tp.max_conns) != 0 || echo_listen(&echo, 7) != 0)
		abort();
	while (off + 2 <= size) {
		size_t len = ((size_t)data[off] << 8) | data[off + 1];
		struct rte_mbuf *m;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > 2000)
			len = 2000;
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			break;
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data + off, len);
		off += len;
		now += 3000;
		net_rx(ifc, m, now);
		tcp_timers(tcp, now);
		tcp_flush(tcp);
	}
	/* Let every timer run out, then everything must be back in the pool. */
	for (int i = 0; i < 200 && tcp_conns_in_use(tcp) != 0; i++) {
		now += 1000000;
		tcp_timers(tcp, now);
		tcp_flush(tcp);
	}
	tcp_stack_destroy(tcp);
	net_iface_destroy(ifc);
	echo_fini(&echo); /* frees what the echo still held */
	if (rte_mempool_avail_count(pool) != 4095)
		abort(); /* mbuf leak */
	return 0;
}
