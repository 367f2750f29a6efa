/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * steer: which lcore owns a TCP flow, and getting its packets there (issue #4: flows belong
 * to the lcore RSS delivers them to; where a port cannot steer, the lcore that receives a
 * packet hands it to the owner over a ring; active opens pick a source port whose packets
 * land on the opening lcore). Used by the MSRP workers (dataplane/worker) and msw-tcp-echo.
 *
 *  - RSS (a NIC, struct port with rss): the NIC delivers each flow to one queue = one lcore;
 *    nothing moves between lcores. steer_port_filter() keeps active opens on the opener's
 *    queue (port_rss_lands_on).
 *  - Hand-off (net_tap, net_memif: no RSS): every lcore computes the owner of each received
 *    TCP segment with steer_flow_owner() and passes the packets of other lcores' flows to
 *    their hand-off rings; ARP is copied to every lcore (each keeps its own cache); anything
 *    else (ICMP, fragments, garbage) stays where it arrived and is answered or dropped there.
 *
 * Thread-safety: a struct steer belongs to its lcore (steer_rx, steer_handoff_rx). Its
 * hand-off ring is multi-producer (any lcore of the set enqueues) and single-consumer (the
 * owner). Counters: single writer, read anywhere with steer_counter(). The struct steer_set
 * is filled at init (steer_create) and immutable while the lcores run.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "port/port.h"
#include "tcp/tcp.h"

enum steer_cnt {
#define STEER_CNT(sym, name, doc) STEER_CNT_##sym,
#include "steer/steer_counters.def"
#undef STEER_CNT
	STEER_CNT_MAX
};

extern const char *const steer_cnt_names[STEER_CNT_MAX];

#define STEER_LCORES_MAX 16u
/* steer_pkt_owner(): every lcore (ARP). */
#define STEER_ALL UINT32_MAX

struct steer_params {
	uint32_t id;       /* this lcore's index in the set, 0..n_lcores-1 = its queue */
	uint32_t n_lcores; /* lcores sharing the port */
	/* Set when the NIC spreads flows by RSS (then no hand-off). */
	const struct port *rss_port;
	bool handoff;             /* software steering over hand-off rings (n_lcores > 1) */
	struct rte_mempool *pool; /* the copies of ARP frames for the other lcores */
	uint32_t ring_size;       /* hand-off ring slots, power of two; 0 = 4096 */
	const char *name;         /* ring name prefix, unique in the process ("wk", "echo") */
};

struct steer {
	struct steer_params p;
	struct steer_set *set;
	struct rte_ring *handoff; /* packets of this lcore's flows received elsewhere (MP/SC) */
	uint64_t cnt[STEER_CNT_MAX];
} __rte_cache_aligned;

/* Every lcore's steering state, by index; hand-offs find the owner's ring here. */
struct steer_set {
	struct steer *s[STEER_LCORES_MAX];
	uint32_t n;
};

/*
 * Creates the steering state of lcore p->id and registers it in set (slot p->id). Slow path,
 * before the lcores run. Returns NULL with errno (EINVAL, ENOMEM, or rte_ring's).
 */
struct steer *steer_create(const struct steer_params *p, struct steer_set *set);
/* Frees the ring and the packets still in it. NULL is accepted. Call after the lcores stop. */
void steer_destroy(struct steer *s);

/*
 * Steers a received burst in place: packets of other lcores' flows go to their rings (a full
 * ring drops and counts), ARP frames are copied to every other lcore and kept; pkts[0..ret)
 * are the packets this lcore processes, in arrival order. Without hand-off returns n.
 */
uint16_t steer_rx(struct steer *s, struct rte_mbuf **pkts, uint16_t n);
/* Up to cap packets other lcores handed to this one (0 without hand-off). */
uint16_t steer_handoff_rx(struct steer *s, struct rte_mbuf **pkts, uint16_t cap);

/*
 * tcp_port_filter_fn (ctx = the struct steer): true when the packets of an active open with
 * this tuple reach this lcore, so the stack picks such a source port. Installed by
 * steer_attach_tcp() when there is more than one lcore.
 */
bool steer_port_filter(void *ctx, const struct tcp_tuple *t);
void steer_attach_tcp(struct steer *s, struct tcp_stack *tcp);

/*
 * Owner lcore of a TCP flow under software steering (remote = the peer, local port = ours):
 * the same on every lcore, spread evenly, also over sequential source ports of one client.
 */
uint32_t steer_flow_owner(uint32_t remote_ip, uint16_t remote_port, uint16_t local_port,
                          uint32_t n_lcores);
/*
 * Owner of a received Ethernet frame: a TCP segment's flow owner, STEER_ALL for ARP, or self
 * for anything else (ICMP, fragments, non-IPv4, truncated frames).
 */
uint32_t steer_pkt_owner(const struct rte_mbuf *m, uint32_t self, uint32_t n_lcores);

static inline uint64_t
steer_counter(const struct steer *s, enum steer_cnt id)
{
	return s == NULL ? 0 : __atomic_load_n(&s->cnt[id], __ATOMIC_RELAXED);
}
