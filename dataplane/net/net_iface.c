/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet, ARP (RFC 826, RFC 5227 announcements), IPv4 (RFC 791, RFC 1122) and ICMP echo
 * (RFC 792) for one interface owned by one lcore.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "net/net.h"

#define NET_TX_STAGE    64 /* frames staged before a forced flush */
#define NET_ARP_WAYS    8  /* set-associative ARP cache: an address lives in 8 slots */
#define NET_ARP_PENDING 16 /* packets held per unresolved address (RFC 1122 §2.3.2.2: >= 1) */
#define NET_ARP_TICK_US 10000

const char *const net_cnt_names[NET_CNT_MAX] = {
#define NET_CNT(sym, name, doc) [NET_CNT_##sym] = #name,
#include "net/net_counters.def"
#undef NET_CNT
};

const char *const net_drop_names[NET_DROP_MAX] = {
#define NET_DROP(sym, name, doc) [NET_DROP_##sym] = #name,
#include "net/net_drops.def"
#undef NET_DROP
};

enum net_arp_state {
	NET_ARP_FREE = 0,
	NET_ARP_INCOMPLETE, /* request sent, packets may be pending */
	NET_ARP_REACHABLE,
	NET_ARP_STATIC,
};

struct net_arp_entry {
	uint32_t ip;
	uint8_t state;
	uint8_t tries;
	uint8_t npending;
	struct rte_ether_addr mac;
	uint64_t deadline_us; /* INCOMPLETE: next retry; REACHABLE: expiry */
	struct rte_mbuf *pending[NET_ARP_PENDING];
	uint8_t pending_proto[NET_ARP_PENDING];
};

/* Thread-safety: owned by one lcore (see net.h); stats readable anywhere. */
struct net_iface {
	struct net_stats stats;
	struct net_params p;
	uint32_t netmask;
	struct rte_mempool *pool;
	const struct net_port_ops *ops;
	void *port_ctx;
	net_l4_rx_fn *l4_fn[256];
	void *l4_ctx[256];
	uint16_t ip_id;
	uint16_t ntx;
	struct rte_mbuf *tx[NET_TX_STAGE];
	uint64_t next_tick_us;
	uint32_t arp_mask;
	struct net_arp_entry *arp;
};

static inline void
net_cnt(struct net_iface *ifc, enum net_cnt c)
{
	net_stat_add(&ifc->stats.cnt[c], 1);
}

static inline void
net_drop(struct net_iface *ifc, struct rte_mbuf *m, enum net_drop reason)
{
	net_stat_add(&ifc->stats.drop[reason], 1);
	rte_pktmbuf_free(m);
}

void
net_params_default(struct net_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mtu = 1500;
	p->arp_entries = 256;
	p->arp_timeout_ms = 300000;
	p->arp_retry_ms = 1000;
	p->arp_retries = 3;
	p->socket_id = SOCKET_ID_ANY;
}

struct net_iface *
net_iface_create(const struct net_params *p, struct rte_mempool *pool,
                 const struct net_port_ops *ops, void *port_ctx)
{
	struct net_iface *ifc;
	uint32_t n;

	if (p == NULL || pool == NULL || ops == NULL || ops->tx_burst == NULL ||
	    p->prefix_len > 32 || p->mtu < 576 || p->ip == 0 || p->arp_retries == 0 ||
	    p->arp_retries > 255 || !rte_is_unicast_ether_addr(&p->mac)) {
		errno = EINVAL;
		return NULL;
	}
	ifc = rte_zmalloc_socket("net_iface", sizeof(*ifc), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (ifc == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n = rte_align32pow2(p->arp_entries < NET_ARP_WAYS ? NET_ARP_WAYS : p->arp_entries);
	ifc->arp = rte_zmalloc_socket("net_arp", n * sizeof(*ifc->arp), RTE_CACHE_LINE_SIZE,
	                              p->socket_id);
	if (ifc->arp == NULL) {
		rte_free(ifc);
		errno = ENOMEM;
		return NULL;
	}
	ifc->arp_mask = n - 1;
	ifc->p = *p;
	ifc->netmask = p->prefix_len == 0 ? 0 : ~0u << (32 - p->prefix_len);
	ifc->pool = pool;
	ifc->ops = ops;
	ifc->port_ctx = port_ctx;
	return ifc;
}

void
net_iface_destroy(struct net_iface *ifc)
{
	if (ifc == NULL)
		return;
	for (uint32_t i = 0; i <= ifc->arp_mask; i++)
		for (unsigned int k = 0; k < ifc->arp[i].npending; k++)
			rte_pktmbuf_free(ifc->arp[i].pending[k]);
	for (unsigned int i = 0; i < ifc->ntx; i++)
		rte_pktmbuf_free(ifc->tx[i]);
	rte_free(ifc->arp);
	rte_free(ifc);
}

void
net_iface_set_l4(struct net_iface *ifc, uint8_t proto, net_l4_rx_fn *fn, void *ctx)
{
	ifc->l4_fn[proto] = fn;
	ifc->l4_ctx[proto] = ctx;
}

const struct net_params *
net_iface_params(const struct net_iface *ifc)
{
	return &ifc->p;
}

struct net_stats *
net_iface_stats(struct net_iface *ifc)
{
	return &ifc->stats;
}

/* ---- checksums ---- */

uint32_t
net_pseudo_sum(uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint32_t l4_len)
{
	/* RFC 9293 §3.1: source, destination, zero + protocol, TCP length (16-bit words). */
	return (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff) + proto +
	       l4_len;
}

/*
 * rte_raw_cksum_mbuf() of DPDK 22.11 truncates each segment's unreduced 32-bit sum to 16 bits
 * before the odd-offset byte swap, losing carries on multi-segment packets (the zero-copy
 * transmit path always builds those). This version reduces first.
 */
static int
net_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	uint32_t sum = 0, done = 0;

	if (off + len > rte_pktmbuf_pkt_len(m))
		return -1;
	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (done < len && m != NULL) {
		uint32_t seglen = m->data_len - off;
		uint32_t tmp;

		if (seglen > len - done)
			seglen = len - done;
		tmp = __rte_raw_cksum_reduce(
		        __rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const char *, off), seglen, 0));
		if (done & 1)
			tmp = rte_bswap16((uint16_t)tmp);
		sum += tmp;
		done += seglen;
		off = 0;
		m = m->next;
	}
	*cksum = __rte_raw_cksum_reduce(sum);
	return done == len ? 0 : -1;
}

uint16_t
net_l4_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t src_ip, uint32_t dst_ip,
             uint8_t proto)
{
	uint16_t raw = 0;
	uint32_t sum;

	if (net_raw_cksum_mbuf(m, off, len, &raw) != 0)
		return 0xffff; /* range beyond the mbuf: never a valid checksum */
	/* rte_raw_cksum works on memory order words; the pseudo sum is in host order. */
	sum = (uint32_t)rte_be_to_cpu_16(raw) + net_pseudo_sum(src_ip, dst_ip, proto, len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

/* ---- transmit staging ---- */

void
net_flush(struct net_iface *ifc)
{
	uint16_t sent;

	if (ifc->ntx == 0)
		return;
	sent = ifc->ops->tx_burst(ifc->port_ctx, ifc->tx, ifc->ntx);
	net_stat_add(&ifc->stats.cnt[NET_CNT_TX_FRAMES], sent);
	for (uint16_t i = sent; i < ifc->ntx; i++)
		net_drop(ifc, ifc->tx[i], NET_DROP_TX_FULL);
	ifc->ntx = 0;
}

static void
net_stage(struct net_iface *ifc, struct rte_mbuf *m)
{
	if (ifc->ntx == NET_TX_STAGE)
		net_flush(ifc);
	ifc->tx[ifc->ntx++] = m;
}

/* ---- ARP cache ---- */

static inline uint32_t
net_arp_hash(const struct net_iface *ifc, uint32_t ip)
{
	return (ip * 2654435761u) & ifc->arp_mask;
}

static struct net_arp_entry *
net_arp_find(const struct net_iface *ifc, uint32_t ip)
{
	uint32_t h = net_arp_hash(ifc, ip);

	for (uint32_t k = 0; k < NET_ARP_WAYS; k++) {
		struct net_arp_entry *e = &ifc->arp[(h + k) & ifc->arp_mask];

		if (e->state != NET_ARP_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

static void
net_arp_flush_pending(struct net_iface *ifc, struct net_arp_entry *e, enum net_drop reason)
{
	for (unsigned int k = 0; k < e->npending; k++)
		net_drop(ifc, e->pending[k], reason);
	e->npending = 0;
}

/* Finds or makes room for ip; evicts the dynamic entry closest to expiry if the set is full. */
static struct net_arp_entry *
net_arp_slot(struct net_iface *ifc, uint32_t ip)
{
	uint32_t h = net_arp_hash(ifc, ip);
	struct net_arp_entry *victim = NULL;

	for (uint32_t k = 0; k < NET_ARP_WAYS; k++) {
		struct net_arp_entry *e = &ifc->arp[(h + k) & ifc->arp_mask];

		if (e->state != NET_ARP_FREE && e->ip == ip)
			return e;
	}
	for (uint32_t k = 0; k < NET_ARP_WAYS; k++) {
		struct net_arp_entry *e = &ifc->arp[(h + k) & ifc->arp_mask];

		if (e->state == NET_ARP_FREE)
			return e;
		if (e->state == NET_ARP_STATIC)
			continue;
		if (victim == NULL || e->deadline_us < victim->deadline_us)
			victim = e;
	}
	if (victim == NULL)
		return NULL;
	net_arp_flush_pending(ifc, victim, NET_DROP_ARP_EVICTED);
	victim->state = NET_ARP_FREE;
	net_cnt(ifc, NET_CNT_ARP_EVICT);
	return victim;
}

bool
net_arp_lookup(const struct net_iface *ifc, uint32_t ip, struct rte_ether_addr *mac)
{
	const struct net_arp_entry *e = net_arp_find(ifc, ip);

	if (e == NULL || (e->state != NET_ARP_REACHABLE && e->state != NET_ARP_STATIC))
		return false;
	*mac = e->mac;
	return true;
}

int
net_arp_add_static(struct net_iface *ifc, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct net_arp_entry *e = net_arp_slot(ifc, ip);

	if (e == NULL)
		return -ENOSPC;
	e->ip = ip;
	e->mac = *mac;
	e->state = NET_ARP_STATIC;
	return 0;
}

static void
net_eth_fill(struct net_iface *ifc, struct rte_ether_hdr *eh, const struct rte_ether_addr *dst,
             uint16_t type)
{
	eh->dst_addr = *dst;
	eh->src_addr = ifc->p.mac;
	eh->ether_type = rte_cpu_to_be_16(type);
}

/* Builds and stages an ARP packet (RFC 826 packet format). */
static int
net_arp_send(struct net_iface *ifc, uint16_t op, const struct rte_ether_addr *eth_dst,
             const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ifc->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL) {
		net_stat_add(&ifc->stats.drop[NET_DROP_NO_MBUF], 1);
		return -ENOBUFS;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	ah = (struct rte_arp_hdr *)(eh + 1);
	net_eth_fill(ifc, eh, eth_dst, RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = ifc->p.mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(ifc->p.ip);
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	net_stage(ifc, m);
	return 0;
}

static const struct rte_ether_addr net_bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr net_zero_mac;

int
net_arp_announce(struct net_iface *ifc)
{
	/*
	 * RFC 5227 §3 (ARP Announcement): a request with sender and target IP both set to our
	 * address, target hardware address zero, broadcast.
	 */
	int rc = net_arp_send(ifc, RTE_ARP_OP_REQUEST, &net_bcast, &net_zero_mac, ifc->p.ip);

	if (rc == 0)
		net_cnt(ifc, NET_CNT_ARP_GRATUITOUS_TX);
	return rc;
}

/* Prepends Ethernet to an IPv4 packet and stages it. */
static void
net_eth_output(struct net_iface *ifc, struct rte_mbuf *m, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh =
	        (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));

	if (eh == NULL) {
		net_drop(ifc, m, NET_DROP_NO_HEADROOM);
		return;
	}
	net_eth_fill(ifc, eh, dst, RTE_ETHER_TYPE_IPV4);
	net_stage(ifc, m);
}

/* RFC 826 "Packet Reception": merge the sender into the cache, release waiting packets. */
static void
net_arp_learn(struct net_iface *ifc, uint32_t ip, const struct rte_ether_addr *mac, bool create,
              uint64_t now_us)
{
	struct net_arp_entry *e = net_arp_find(ifc, ip);

	if (e == NULL) {
		if (!create)
			return;
		e = net_arp_slot(ifc, ip);
		if (e == NULL)
			return;
		e->ip = ip;
		e->npending = 0;
	}
	if (e->state == NET_ARP_STATIC)
		return;
	e->mac = *mac;
	e->state = NET_ARP_REACHABLE;
	e->tries = 0;
	e->deadline_us = now_us + (uint64_t)ifc->p.arp_timeout_ms * 1000;
	for (unsigned int k = 0; k < e->npending; k++)
		net_eth_output(ifc, e->pending[k], mac);
	e->npending = 0;
}

static void
net_arp_input(struct net_iface *ifc, struct rte_mbuf *m, uint64_t now_us)
{
	struct rte_arp_hdr *ah;
	uint32_t sip, tip;
	uint16_t op;
	bool for_us;

	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*ah)) {
		net_drop(ifc, m, NET_DROP_ARP_MALFORMED);
		return;
	}
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4) {
		net_drop(ifc, m, NET_DROP_ARP_MALFORMED);
		return;
	}
	op = rte_be_to_cpu_16(ah->arp_opcode);
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		net_drop(ifc, m, NET_DROP_ARP_OP);
		return;
	}
	if (op == RTE_ARP_OP_REQUEST)
		net_cnt(ifc, NET_CNT_ARP_REQ_RX);
	else
		net_cnt(ifc, NET_CNT_ARP_REPLY_RX);
	if (sip == tip)
		net_cnt(ifc, NET_CNT_ARP_GRATUITOUS_RX);
	/* A sender of 0.0.0.0 is an RFC 5227 probe: never cache it. */
	if (sip == 0 || sip == ifc->p.ip || !rte_is_unicast_ether_addr(&ah->arp_data.arp_sha)) {
		if (sip == 0 && tip == ifc->p.ip && op == RTE_ARP_OP_REQUEST)
			goto reply; /* answer probes for our address (RFC 5227 §2.1.1) */
		net_drop(ifc, m, NET_DROP_ARP_NOT_FOR_US);
		return;
	}
	for_us = tip == ifc->p.ip;
	/*
	 * RFC 826: update an existing entry whatever the target (this is how gratuitous ARP
	 * refreshes neighbours); create one only when we are the target.
	 */
	net_arp_learn(ifc, sip, &ah->arp_data.arp_sha, for_us, now_us);
	if (!for_us || op != RTE_ARP_OP_REQUEST) {
		if (!for_us && sip != tip)
			net_stat_add(&ifc->stats.drop[NET_DROP_ARP_NOT_FOR_US], 1);
		rte_pktmbuf_free(m);
		return;
	}
reply:
	/* RFC 826: swap fields, put our address in sender, opcode reply; reuse the mbuf. */
	{
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		struct rte_ether_addr req_mac = ah->arp_data.arp_sha;

		rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - sizeof(*eh) - sizeof(*ah));
		net_eth_fill(ifc, eh, &req_mac, RTE_ETHER_TYPE_ARP);
		ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		ah->arp_data.arp_tha = req_mac;
		ah->arp_data.arp_tip = ah->arp_data.arp_sip;
		ah->arp_data.arp_sha = ifc->p.mac;
		ah->arp_data.arp_sip = rte_cpu_to_be_32(ifc->p.ip);
		net_cnt(ifc, NET_CNT_ARP_REPLY_TX);
		net_stage(ifc, m);
	}
}

void
net_tick(struct net_iface *ifc, uint64_t now_us)
{
	if (now_us < ifc->next_tick_us)
		return;
	ifc->next_tick_us = now_us + NET_ARP_TICK_US;
	for (uint32_t i = 0; i <= ifc->arp_mask; i++) {
		struct net_arp_entry *e = &ifc->arp[i];

		if (e->state == NET_ARP_FREE || e->state == NET_ARP_STATIC ||
		    now_us < e->deadline_us)
			continue;
		if (e->state == NET_ARP_REACHABLE) {
			e->state = NET_ARP_FREE; /* expired: the next packet resolves again */
			continue;
		}
		if (e->tries >= ifc->p.arp_retries) {
			net_arp_flush_pending(ifc, e, NET_DROP_ARP_UNRESOLVED);
			e->state = NET_ARP_FREE;
			continue;
		}
		e->tries++;
		e->deadline_us = now_us + (uint64_t)ifc->p.arp_retry_ms * 1000;
		if (net_arp_send(ifc, RTE_ARP_OP_REQUEST, &net_bcast, &net_zero_mac, e->ip) == 0)
			net_cnt(ifc, NET_CNT_ARP_REQ_TX);
	}
}

/* ---- IPv4 ---- */

int
net_ipv4_output(struct net_iface *ifc, struct rte_mbuf *m, uint32_t dst_ip, uint8_t proto,
                uint64_t now_us)
{
	struct rte_ipv4_hdr *ih;
	struct net_arp_entry *e;
	uint32_t next_hop;

	ih = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ih));
	if (ih == NULL) {
		net_drop(ifc, m, NET_DROP_NO_HEADROOM);
		return -ENOSPC;
	}
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = 0;
	ih->total_length = rte_cpu_to_be_16((uint16_t)rte_pktmbuf_pkt_len(m));
	ih->packet_id = rte_cpu_to_be_16(ifc->ip_id++);
	/* RFC 9293 §3.7.1 leaves PMTUD to the host; DF lets a router tell us the path MTU. */
	ih->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = 64;
	ih->next_proto_id = proto;
	ih->src_addr = rte_cpu_to_be_32(ifc->p.ip);
	ih->dst_addr = rte_cpu_to_be_32(dst_ip);
	ih->hdr_checksum = 0;
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	net_cnt(ifc, NET_CNT_IP_TX);

	if (dst_ip == 0xffffffffu ||
	    (ifc->netmask != 0 && (dst_ip | ifc->netmask) == 0xffffffffu)) {
		net_eth_output(ifc, m, &net_bcast);
		return 0;
	}
	if ((dst_ip & ifc->netmask) == (ifc->p.ip & ifc->netmask))
		next_hop = dst_ip;
	else if (ifc->p.gateway != 0)
		next_hop = ifc->p.gateway;
	else {
		net_drop(ifc, m, NET_DROP_NO_ROUTE);
		return -EHOSTUNREACH;
	}
	e = net_arp_find(ifc, next_hop);
	if (e != NULL && (e->state == NET_ARP_REACHABLE || e->state == NET_ARP_STATIC)) {
		net_eth_output(ifc, m, &e->mac);
		return 0;
	}
	if (e == NULL) {
		e = net_arp_slot(ifc, next_hop);
		if (e == NULL) {
			net_drop(ifc, m, NET_DROP_ARP_QUEUE_FULL);
			return -ENOBUFS;
		}
		e->ip = next_hop;
		e->state = NET_ARP_INCOMPLETE;
		e->npending = 0;
		e->tries = 1;
		e->deadline_us = now_us + (uint64_t)ifc->p.arp_retry_ms * 1000;
		if (net_arp_send(ifc, RTE_ARP_OP_REQUEST, &net_bcast, &net_zero_mac, next_hop) == 0)
			net_cnt(ifc, NET_CNT_ARP_REQ_TX);
	}
	if (e->npending == NET_ARP_PENDING) {
		net_drop(ifc, m, NET_DROP_ARP_QUEUE_FULL);
		return -ENOBUFS;
	}
	e->pending_proto[e->npending] = proto;
	e->pending[e->npending++] = m;
	return 0;
}

static void
net_icmp_input(struct net_iface *ifc, struct rte_mbuf *m, uint32_t src_ip, uint64_t now_us)
{
	struct rte_icmp_hdr *icmp;
	uint16_t raw = 0;

	if (rte_pktmbuf_pkt_len(m) < sizeof(*icmp) || rte_pktmbuf_data_len(m) < sizeof(*icmp)) {
		net_drop(ifc, m, NET_DROP_ICMP_SHORT);
		return;
	}
	if (net_raw_cksum_mbuf(m, 0, rte_pktmbuf_pkt_len(m), &raw) != 0 || raw != 0xffff) {
		net_drop(ifc, m, NET_DROP_ICMP_CKSUM);
		return;
	}
	icmp = rte_pktmbuf_mtod(m, struct rte_icmp_hdr *);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		net_drop(ifc, m, NET_DROP_ICMP_TYPE);
		return;
	}
	net_cnt(ifc, NET_CNT_ICMP_ECHO_RX);
	/* RFC 792 echo: same identifier, sequence and data, type 0, checksum recomputed. */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	raw = 0;
	net_raw_cksum_mbuf(m, 0, rte_pktmbuf_pkt_len(m), &raw);
	icmp->icmp_cksum = (uint16_t)~raw;
	if (net_ipv4_output(ifc, m, src_ip, IPPROTO_ICMP, now_us) == 0)
		net_cnt(ifc, NET_CNT_ICMP_ECHO_TX);
}

static void
net_ipv4_input(struct net_iface *ifc, struct rte_mbuf *m, uint64_t now_us)
{
	struct rte_ipv4_hdr *ih;
	uint32_t hlen, tot, src, dst;

	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	if (rte_pktmbuf_data_len(m) < sizeof(*ih)) {
		net_drop(ifc, m, NET_DROP_IP_SHORT);
		return;
	}
	ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if ((ih->version_ihl >> 4) != 4) {
		net_drop(ifc, m, NET_DROP_IP_VERSION);
		return;
	}
	hlen = (uint32_t)(ih->version_ihl & 0xf) * 4;
	if (hlen < sizeof(*ih) || hlen > rte_pktmbuf_data_len(m)) {
		net_drop(ifc, m, NET_DROP_IP_HDR_LEN);
		return;
	}
	/* RFC 1122 §3.2.1.2: silently discard a datagram with a bad header checksum. */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    rte_raw_cksum(ih, hlen) != 0xffff) {
		net_drop(ifc, m, NET_DROP_IP_CKSUM);
		return;
	}
	tot = rte_be_to_cpu_16(ih->total_length);
	if (tot < hlen || tot > rte_pktmbuf_pkt_len(m)) {
		net_drop(ifc, m, NET_DROP_IP_LEN);
		return;
	}
	src = rte_be_to_cpu_32(ih->src_addr);
	dst = rte_be_to_cpu_32(ih->dst_addr);
	if (dst != ifc->p.ip) {
		net_drop(ifc, m, NET_DROP_IP_NOT_FOR_US);
		return;
	}
	/* RFC 1122 §3.2.1.3: a source that is broadcast, multicast or our own is discarded. */
	if (src == 0xffffffffu || (src & 0xf0000000u) == 0xe0000000u || src == ifc->p.ip ||
	    (ifc->netmask != 0 && ifc->netmask != 0xffffffffu &&
	     (src & ifc->netmask) == (ifc->p.ip & ifc->netmask) &&
	     (src | ifc->netmask) == 0xffffffffu)) {
		net_drop(ifc, m, NET_DROP_IP_SRC_INVALID);
		return;
	}
	/* Fragments: MF set or a non-zero offset. Reassembly is out of scope; count them. */
	if ((rte_be_to_cpu_16(ih->fragment_offset) &
	     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
		net_drop(ifc, m, NET_DROP_IP_FRAGMENT);
		return;
	}
	uint8_t proto = ih->next_proto_id;

	/* Ethernet pads short frames: cut the tail to the IPv4 total length, then the header. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - tot);
	rte_pktmbuf_adj(m, (uint16_t)hlen);
	net_cnt(ifc, NET_CNT_IP_RX);
	if (proto == IPPROTO_ICMP) {
		net_icmp_input(ifc, m, src, now_us);
		return;
	}
	if (ifc->l4_fn[proto] == NULL) {
		net_drop(ifc, m, NET_DROP_IP_PROTO);
		return;
	}
	ifc->l4_fn[proto](ifc->l4_ctx[proto], m, src, dst, now_us);
}

void
net_rx(struct net_iface *ifc, struct rte_mbuf *m, uint64_t now_us)
{
	const struct rte_ether_hdr *eh;

	net_cnt(ifc, NET_CNT_RX_FRAMES);
	if (rte_pktmbuf_data_len(m) < sizeof(*eh)) {
		net_drop(ifc, m, NET_DROP_ETH_SHORT);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eh->dst_addr, &ifc->p.mac) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		net_drop(ifc, m, NET_DROP_ETH_NOT_FOR_US);
		return;
	}
	switch (rte_be_to_cpu_16(eh->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		net_ipv4_input(ifc, m, now_us);
		break;
	case RTE_ETHER_TYPE_ARP:
		net_arp_input(ifc, m, now_us);
		break;
	default:
		net_drop(ifc, m, NET_DROP_ETH_TYPE);
	}
}
