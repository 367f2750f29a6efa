/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * port: DPDK ethdev setup from a port description (a real NIC by PCI address with RSS over
 * N queues, net_tap, net_memif, net_ring, net_null) and a per-queue burst API with built-in,
 * seeded fault injection (drop, duplicate, reorder, corrupt) on receive and on transmit.
 *
 * Thread-safety: port_open/port_close run on the main lcore before/after the workers. A
 * struct port_queue belongs to the one lcore that polls it; its counters are single-writer
 * and may be read anywhere (port_stat_read).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

enum port_cnt {
#define PORT_CNT(sym, name, doc) PORT_CNT_##sym,
#include "port/port_counters.def"
#undef PORT_CNT
	PORT_CNT_MAX
};

extern const char *const port_cnt_names[PORT_CNT_MAX];

#define PORT_MAX_QUEUES 16

/* Rates in [0, 1], applied independently to every packet (corrupt flips one random bit). */
struct port_impair {
	double drop, dup, reorder, corrupt;
};

struct port_desc {
	/*
	 * Device: an ethdev name ("net_tap0", "net_memif0", "0000:03:00.0"). If no such port
	 * exists yet and devargs is set, the device is hot-plugged with rte_dev_probe(devargs),
	 * e.g. "net_tap0,iface=msw0" (EAL --vdev arguments work as well).
	 */
	const char *name;
	const char *devargs;
	uint16_t nb_queues; /* one per worker lcore */
	bool rss;           /* spread TCP flows over the queues by RSS (nb_queues > 1) */
	uint16_t nb_rxd, nb_txd;
	uint16_t mtu;                               /* 0: leave the device default */
	struct rte_mempool *pools[PORT_MAX_QUEUES]; /* RX pool per queue (the lcore's pool) */
	struct port_impair rx_impair, tx_impair;
	uint64_t seed; /* impairment PRNG seed (repeatable runs) */
	bool promiscuous;
};

struct port_queue {
	uint64_t cnt[PORT_CNT_MAX];
	uint16_t port_id, queue_id;
	struct rte_mempool *pool;
	struct port_impair rx_imp, tx_imp;
	bool rx_imp_on, tx_imp_on;
	uint64_t rng;
	struct rte_mbuf *rx_held, *tx_held; /* reorder: one packet held past the next */
	uint64_t tx_held_since;
} __rte_cache_aligned;

struct port {
	uint16_t port_id;
	uint16_t nb_queues;
	struct rte_ether_addr mac;
	bool rss;
	struct port_queue q[PORT_MAX_QUEUES];
};

/*
 * Configures and starts the device described by d. Returns 0 or -errno and writes a
 * reason into err. Slow path.
 */
int port_open(struct port *p, const struct port_desc *d, char *err, size_t errlen);
/* Stops and closes the device, freeing held packets. */
void port_close(struct port *p);

/* Receives up to n packets, impairments applied. Returns how many are in pkts. */
uint16_t port_rx_burst(struct port_queue *q, struct rte_mbuf **pkts, uint16_t n);
/*
 * Sends n packets, impairments applied; takes ownership of all of them (refused ones are
 * freed and counted as TX_FULL). Returns n. Call with n = 0 now and then to release a
 * packet held back for reordering.
 */
uint16_t port_tx_burst(struct port_queue *q, struct rte_mbuf **pkts, uint16_t n);

/* Parses "drop=R,dup=R,reorder=R,corrupt=R" (any subset). Returns 0 or -EINVAL. */
int port_impair_parse(const char *s, struct port_impair *imp);

/* True when the device's RSS would deliver this IPv4/TCP flow (as received) to queue. */
bool port_rss_lands_on(const struct port *p, uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
                       uint16_t dst_port, uint16_t queue);

static inline uint64_t
port_stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}
