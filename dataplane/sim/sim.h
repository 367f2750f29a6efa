/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Deterministic two-node simulation: two net+tcp stacks (each with its own mempool, as two
 * lcores would have) joined by an in-memory Ethernet wire with a virtual microsecond clock
 * and seeded impairments (drop, duplicate, reorder, corrupt) applied per direction.
 *
 * Thread-safety: single-threaded; everything runs on the caller's thread.
 * Determinism: given the same seed, parameters and application behaviour, every run makes
 * the same decisions in the same order (no wall clock, no rte_rand in the path).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "net/net.h"
#include "tcp/tcp.h"

/*
 * Initialises EAL once per process for tests and benches: --no-huge --no-shconf
 * --file-prefix=msw-<tag>-<pid> -m 256 --no-pci -l 0. Returns 0 or -1 (message on stderr).
 */
int sim_eal_init(const char *tag);

/* Small deterministic PRNG (splitmix64). */
struct sim_rng {
	uint64_t s;
};

uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *r);

struct sim_impair {
	double drop, dup, reorder, corrupt; /* probabilities 0..1, independent */
};

/*
 * Deterministic loss rule for tests: called with every frame put on the wire in direction dir
 * (0: node 0 -> node 1); returning true drops it (counted in dropped). It sees the frame as
 * sent (Ethernet header first) and must not keep or modify it.
 */
typedef bool sim_drop_fn(void *ctx, unsigned int dir, const struct rte_mbuf *m);

struct sim_wire_stats {
	uint64_t sent, delivered, dropped, duplicated, reordered, corrupted, no_mbuf;
};

struct sim_node {
	struct rte_mempool *pool;
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct sim *sim;
	unsigned int side;
	unsigned int mbufs; /* pool size: the node's budget */
};

struct sim_pkt {
	uint64_t at_us;
	uint64_t order; /* tie-break: enqueue order */
	struct rte_mbuf *m;
};

struct sim {
	uint64_t now_us;
	uint64_t delay_us; /* one-way latency */
	uint64_t order;
	struct sim_rng rng;
	struct sim_impair imp[2]; /* per direction: [0] = node 0 -> node 1 */
	struct sim_wire_stats ws[2];
	struct sim_node node[2];
	struct sim_pkt *q; /* min-heap on (at_us, order) */
	uint32_t qlen, qcap;
	sim_drop_fn *drop_fn; /* optional, applied on top of imp[] */
	void *drop_ctx;
};

struct sim_node_conf {
	uint32_t ip;
	uint8_t prefix_len;
	uint8_t mac_last; /* MAC 02:00:00:00:00:<mac_last> */
	unsigned int mbufs;
	struct tcp_params tcp;
};

/*
 * Creates the simulation with two nodes. Returns 0 or -errno. The nodes' mempools are named
 * after tag, so several simulations may live in one process one after the other.
 */
int sim_create(struct sim *s, const char *tag, uint64_t seed, uint64_t delay_us,
               const struct sim_node_conf *c0, const struct sim_node_conf *c1);
/* Frees packets in flight, stacks, interfaces and pools. */
void sim_destroy(struct sim *s);

/*
 * One step: delivers due packets, runs timers, flushes, then advances the clock to the next
 * packet or by one millisecond. Returns the new time.
 */
uint64_t sim_step(struct sim *s);

/* Flushes both nodes (after the test's own calls into the stacks). */
void sim_flush(struct sim *s);

/* Mbufs of node i currently not in its pool. */
unsigned int sim_mbufs_in_use(const struct sim_node *n);
