/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net: Ethernet/ARP/IPv4/ICMP on real mbufs. Each test initialises EAL in its own process
 * (--no-huge --no-shconf) and captures what the interface transmits.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "net/net.h"
#include "sim/sim.h"

#define OUR_IP  0x0a010102u /* 10.1.1.2/24 */
#define PEER_IP 0x0a010101u
#define FAR_IP  0x08080808u
#define GW_IP   0x0a0101feu

static struct rte_mempool *pool;
static struct net_iface *ifc;
static struct rte_mbuf *txq[64];
static unsigned int ntx;
static const struct rte_ether_addr our_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static uint32_t l4_calls;

static uint16_t
capture(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	for (uint16_t i = 0; i < n; i++)
		txq[ntx++] = pkts[i];
	return n;
}

static const struct net_port_ops cap_ops = {.tx_burst = capture};

static void
l4_count(void *ctx, struct rte_mbuf *m, uint32_t src, uint32_t dst, uint64_t now)
{
	(void)ctx;
	(void)src;
	(void)dst;
	(void)now;
	l4_calls++;
	rte_pktmbuf_free(m);
}

static void
setup(void)
{
	struct net_params p;

	cr_assert_eq(sim_eal_init("nettest"), 0);
	pool = rte_pktmbuf_pool_create("net_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                               SOCKET_ID_ANY);
	cr_assert_not_null(pool);
	net_params_default(&p);
	p.mac = our_mac;
	p.ip = OUR_IP;
	p.prefix_len = 24;
	p.gateway = GW_IP;
	ifc = net_iface_create(&p, pool, &cap_ops, NULL);
	cr_assert_not_null(ifc);
	net_iface_set_l4(ifc, IPPROTO_UDP, l4_count, NULL);
}

static void
teardown(void)
{
	for (unsigned int i = 0; i < ntx; i++)
		rte_pktmbuf_free(txq[i]);
	ntx = 0;
	net_iface_destroy(ifc);
	cr_assert_eq(rte_mempool_avail_count(pool), 1023, "mbuf leak");
	rte_mempool_free(pool);
}

static uint64_t
drops(enum net_drop d)
{
	return net_iface_stats(ifc)->drop[d];
}

static struct rte_mbuf *
arp_frame(uint16_t op, uint32_t sip, const struct rte_ether_addr *sha, uint32_t tip,
          const struct rte_ether_addr *eth_dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(
	        m, sizeof(*eh) + sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);

	eh->dst_addr = *eth_dst;
	eh->src_addr = *sha;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	memset(&ah->arp_data.arp_tha, 0, 6);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* IPv4 frame from the peer with len bytes of proto payload (filled with 0xab). */
static struct rte_mbuf *
ip_frame(uint8_t proto, uint32_t src, uint32_t dst, uint16_t len, uint16_t frag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh =
	        (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + 20 + len);
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)(eh + 1);

	eh->dst_addr = our_mac;
	eh->src_addr = peer_mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ih, 0, 20);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16(20 + len);
	ih->fragment_offset = rte_cpu_to_be_16(frag);
	ih->time_to_live = 64;
	ih->next_proto_id = proto;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = rte_cpu_to_be_32(dst);
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	memset(ih + 1, 0xab, len);
	return m;
}

TestSuite(net, .init = setup, .fini = teardown);

Test(net, arp_request_gets_reply_and_learns)
{
	struct rte_arp_hdr *ah;
	struct rte_ether_addr mac;

	net_rx(ifc, arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, OUR_IP, &bcast), 0);
	net_flush(ifc);
	cr_assert_eq(ntx, 1);
	ah = rte_pktmbuf_mtod_offset(txq[0], struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	cr_assert_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REPLY);
	cr_assert(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &our_mac));
	cr_assert_eq(rte_be_to_cpu_32(ah->arp_data.arp_sip), OUR_IP);
	cr_assert(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &peer_mac));
	cr_assert_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), PEER_IP);
	cr_assert(rte_is_same_ether_addr(
	        &rte_pktmbuf_mtod(txq[0], struct rte_ether_hdr *)->dst_addr, &peer_mac));
	/* RFC 826: the requester was merged into the cache. */
	cr_assert(net_arp_lookup(ifc, PEER_IP, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &peer_mac));
}

Test(net, arp_for_other_host_not_cached)
{
	struct rte_ether_addr mac;

	net_rx(ifc, arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, 0x0a010109u, &bcast), 0);
	net_flush(ifc);
	cr_assert_eq(ntx, 0);
	cr_assert(!net_arp_lookup(ifc, PEER_IP, &mac));
	cr_assert_eq(drops(NET_DROP_ARP_NOT_FOR_US), 1);
}

Test(net, output_resolves_then_sends_queued)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_arp_hdr *ah;
	struct rte_ipv4_hdr *ih;

	memset(rte_pktmbuf_append(m, 8), 0, 8);
	cr_assert_eq(net_ipv4_output(ifc, m, PEER_IP, IPPROTO_UDP, 0), 0);
	net_flush(ifc);
	cr_assert_eq(ntx, 1); /* the ARP request; the packet waits */
	ah = rte_pktmbuf_mtod_offset(txq[0], struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	cr_assert_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REQUEST);
	cr_assert_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), PEER_IP);
	net_rx(ifc, arp_frame(RTE_ARP_OP_REPLY, PEER_IP, &peer_mac, OUR_IP, &our_mac), 1000);
	net_flush(ifc);
	cr_assert_eq(ntx, 2);
	ih = rte_pktmbuf_mtod_offset(txq[1], struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	cr_assert_eq(rte_be_to_cpu_32(ih->dst_addr), PEER_IP);
	cr_assert_eq(rte_raw_cksum(ih, 20), 0xffff);
	cr_assert(rte_is_same_ether_addr(
	        &rte_pktmbuf_mtod(txq[1], struct rte_ether_hdr *)->dst_addr, &peer_mac));
}

Test(net, off_link_goes_to_gateway_and_unresolved_is_dropped)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_arp_hdr *ah;

	memset(rte_pktmbuf_append(m, 8), 0, 8);
	net_ipv4_output(ifc, m, FAR_IP, IPPROTO_UDP, 0);
	net_flush(ifc);
	ah = rte_pktmbuf_mtod_offset(txq[0], struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	cr_assert_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), GW_IP);
	/* Retries every second, then the waiting packet is dropped and counted. */
	for (uint64_t t = 0; t <= 5000000; t += 100000)
		net_tick(ifc, t);
	net_flush(ifc);
	cr_assert_eq(ntx, 3, "requests sent %u", ntx);
	cr_assert_eq(drops(NET_DROP_ARP_UNRESOLVED), 1);
}

Test(net, gratuitous_arp_updates_existing_entry)
{
	static const struct rte_ether_addr new_mac = {{0x02, 0, 0, 0, 0, 0x77}};
	struct rte_ether_addr mac;

	net_rx(ifc, arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, OUR_IP, &bcast), 0);
	net_rx(ifc, arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &new_mac, PEER_IP, &bcast), 0);
	cr_assert(net_arp_lookup(ifc, PEER_IP, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &new_mac));
	cr_assert_eq(net_iface_stats(ifc)->cnt[NET_CNT_ARP_GRATUITOUS_RX], 1);
	/* And we announce ourselves (RFC 5227 §3). */
	cr_assert_eq(net_arp_announce(ifc), 0);
	net_flush(ifc);
	cr_assert_eq(net_iface_stats(ifc)->cnt[NET_CNT_ARP_GRATUITOUS_TX], 1);
}

Test(net, icmp_echo_reply)
{
	struct rte_mbuf *m = ip_frame(IPPROTO_ICMP, PEER_IP, OUR_IP, 40, 0);
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, 14 + 20);
	struct rte_ipv4_hdr *ih;

	net_arp_add_static(ifc, PEER_IP, &peer_mac);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_ident = rte_cpu_to_be_16(0x1234);
	ic->icmp_seq_nb = rte_cpu_to_be_16(7);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 40);
	net_rx(ifc, m, 0);
	net_flush(ifc);
	cr_assert_eq(ntx, 1);
	ih = rte_pktmbuf_mtod_offset(txq[0], struct rte_ipv4_hdr *, 14);
	ic = (struct rte_icmp_hdr *)(ih + 1);
	cr_assert_eq(rte_be_to_cpu_32(ih->dst_addr), PEER_IP);
	cr_assert_eq(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	cr_assert_eq(rte_be_to_cpu_16(ic->icmp_ident), 0x1234);
	cr_assert_eq(rte_be_to_cpu_16(ic->icmp_seq_nb), 7);
	cr_assert_eq(rte_raw_cksum(ic, 40), 0xffff);
	cr_assert_eq(rte_pktmbuf_pkt_len(txq[0]), 14 + 20 + 40u);
}

Test(net, ipv4_validation_drops_are_counted)
{
	struct rte_mbuf *m;

	m = ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, 0);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->hdr_checksum ^= 1;
	net_rx(ifc, m, 0);
	cr_assert_eq(drops(NET_DROP_IP_CKSUM), 1);

	net_rx(ifc, ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, RTE_IPV4_HDR_MF_FLAG), 0);
	net_rx(ifc, ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, 100), 0);
	cr_assert_eq(drops(NET_DROP_IP_FRAGMENT), 2);

	net_rx(ifc, ip_frame(IPPROTO_UDP, PEER_IP, 0x0a010103u, 8, 0), 0);
	cr_assert_eq(drops(NET_DROP_IP_NOT_FOR_US), 1);

	net_rx(ifc, ip_frame(IPPROTO_UDP, 0x0a0101ffu, OUR_IP, 8, 0), 0);
	cr_assert_eq(drops(NET_DROP_IP_SRC_INVALID), 1);

	net_rx(ifc, ip_frame(IPPROTO_SCTP, PEER_IP, OUR_IP, 8, 0), 0);
	cr_assert_eq(drops(NET_DROP_IP_PROTO), 1);

	m = ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, 0);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->total_length = rte_cpu_to_be_16(200);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->hdr_checksum = 0;
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->hdr_checksum =
	        rte_ipv4_cksum(rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14));
	net_rx(ifc, m, 0);
	cr_assert_eq(drops(NET_DROP_IP_LEN), 1);

	m = ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, 0);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes[5] = 9;
	net_rx(ifc, m, 0);
	cr_assert_eq(drops(NET_DROP_ETH_NOT_FOR_US), 1);

	/* Ethernet padding is cut before the handler sees the packet. */
	m = ip_frame(IPPROTO_UDP, PEER_IP, OUR_IP, 8, 0);
	rte_pktmbuf_append(m, 18);
	net_rx(ifc, m, 0);
	cr_assert_eq(l4_calls, 1);
	cr_assert_eq(ntx, 0);
}
