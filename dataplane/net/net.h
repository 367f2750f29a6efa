/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * net: Ethernet, ARP, IPv4 and ICMP echo for one interface on one lcore.
 *
 * Thread-safety: a struct net_iface belongs to exactly one lcore (the one that calls net_rx,
 * net_ipv4_output, net_tick and net_flush). Only the counters (struct net_stats) may be read
 * from other threads: single writer, relaxed 64-bit stores, readers see untorn values.
 *
 * Hot path: no allocation but from the caller's mempool, no locks, no syscalls, no logging.
 * All state (ARP cache, TX staging) is allocated by net_iface_create() at init.
 *
 * Addresses in this API are IPv4 in host byte order; MACs are struct rte_ether_addr.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

enum net_cnt {
#define NET_CNT(sym, name, doc) NET_CNT_##sym,
#include "net/net_counters.def"
#undef NET_CNT
	NET_CNT_MAX
};

enum net_drop {
#define NET_DROP(sym, name, doc) NET_DROP_##sym,
#include "net/net_drops.def"
#undef NET_DROP
	NET_DROP_MAX
};

/* Single writer (owner lcore); read anywhere with net_stats_read(). */
struct net_stats {
	uint64_t cnt[NET_CNT_MAX];
	uint64_t drop[NET_DROP_MAX];
} __rte_cache_aligned;

/* Names for counters and drop reasons (JSON keys), indexed by the enums. */
extern const char *const net_cnt_names[NET_CNT_MAX];
extern const char *const net_drop_names[NET_DROP_MAX];

/* The port below the stack: the port layer, a test wire, or the simulation. */
struct net_port_ops {
	/* Takes ownership of the frames it accepts; returns how many it accepted. */
	uint16_t (*tx_burst)(void *port_ctx, struct rte_mbuf **pkts, uint16_t n);
};

/*
 * Upper-layer handler for one IPv4 protocol. Receives ownership of m, whose data starts at
 * the L4 header and is trimmed to the IPv4 payload (Ethernet padding removed).
 */
typedef void net_l4_rx_fn(void *ctx, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip,
                          uint64_t now_us);

struct net_params {
	struct rte_ether_addr mac;
	uint32_t ip;             /* our address */
	uint8_t prefix_len;      /* netmask length, 0..32 */
	uint32_t gateway;        /* 0: no default route */
	uint16_t mtu;            /* IPv4 MTU (the TCP MSS is derived from it) */
	uint32_t arp_entries;    /* cache size, rounded up to a power of two, >= 8 */
	uint32_t arp_timeout_ms; /* lifetime of a resolved entry */
	uint32_t arp_retry_ms;   /* interval between requests while resolving */
	uint32_t arp_retries;    /* requests before the queued packets are dropped */
	int socket_id;           /* NUMA node for the iface memory */
};

/* Defaults: MTU 1500, 256 ARP entries, 5 min lifetime, 1 s retry, 3 tries. */
void net_params_default(struct net_params *p);

struct net_iface;

/*
 * Creates an interface. pool supplies the mbufs net allocates itself (ARP requests/replies,
 * ICMP replies). Returns NULL and sets errno (EINVAL, ENOMEM). Slow path.
 */
struct net_iface *net_iface_create(const struct net_params *p, struct rte_mempool *pool,
                                   const struct net_port_ops *ops, void *port_ctx);
/* Frees the iface and every packet still waiting for ARP. NULL is accepted. */
void net_iface_destroy(struct net_iface *ifc);

/* Registers the handler of IPv4 protocol proto (IPPROTO_TCP...). */
void net_iface_set_l4(struct net_iface *ifc, uint8_t proto, net_l4_rx_fn *fn, void *ctx);

const struct net_params *net_iface_params(const struct net_iface *ifc);
struct net_stats *net_iface_stats(struct net_iface *ifc);

/*
 * Processes one received Ethernet frame; takes ownership of m. Replies (ARP, ICMP) are
 * staged and go out at the next net_flush().
 */
void net_rx(struct net_iface *ifc, struct rte_mbuf *m, uint64_t now_us);

/*
 * Sends an IPv4 packet: m's data starts at the L4 header (its checksum already computed) and
 * needs RTE_ETHER_HDR_LEN + 20 bytes of headroom. Takes ownership of m in every case; a
 * failure is counted as a drop. The frame is staged (or queued behind ARP resolution).
 * Returns 0, or -EHOSTUNREACH/-ENOBUFS/-ENOSPC when the packet was dropped.
 */
int net_ipv4_output(struct net_iface *ifc, struct rte_mbuf *m, uint32_t dst_ip, uint8_t proto,
                    uint64_t now_us);

/* Hands every staged frame to the port; frames it refuses are dropped (TX_FULL). */
void net_flush(struct net_iface *ifc);

/* ARP retries and expiry; call every few milliseconds (cheap when nothing is due). */
void net_tick(struct net_iface *ifc, uint64_t now_us);

/* Sends a gratuitous ARP request announcing our address (RFC 5227 §3: ARP Announcement). */
int net_arp_announce(struct net_iface *ifc);

/*
 * Looks the cache up; true and *mac filled when ip is resolved. Does not send a request.
 * For tests and diagnostics.
 */
bool net_arp_lookup(const struct net_iface *ifc, uint32_t ip, struct rte_ether_addr *mac);

/* Adds a permanent entry (static neighbour); returns 0 or -ENOSPC. */
int net_arp_add_static(struct net_iface *ifc, uint32_t ip, const struct rte_ether_addr *mac);

/* The one's-complement sum of the IPv4 pseudo header (RFC 793 §3.1 / RFC 9293 §3.1). */
uint32_t net_pseudo_sum(uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint32_t l4_len);

/*
 * Internet checksum of the L4 segment [off, off+len) of m plus the pseudo header; returns the
 * folded, complemented value to store (or 0 on a valid received segment whose checksum field
 * is included). Works on multi-segment mbufs.
 */
uint16_t net_l4_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t src_ip,
                      uint32_t dst_ip, uint8_t proto);

static inline void
net_stat_add(uint64_t *c, uint64_t n)
{
	/* Single writer: load + store, no locked RMW; relaxed stores keep readers untorn. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t
net_stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}
