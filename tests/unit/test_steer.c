/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow steering between lcores (dataplane/steer): the owner of a received frame, a burst
 * split between the lcore's own packets and the other lcores' hand-off rings, ARP copied to
 * every lcore, a full ring counted, and the active-open source-port filter agreeing with the
 * owner function. Real mbufs, EAL with --no-huge (sim_eal_init) in each forked test.
 */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "sim/sim.h"
#include "steer/steer.h"

#define OUR_IP  RTE_IPV4(10, 77, 0, 2)
#define PEER_IP RTE_IPV4(10, 77, 0, 1)

static struct rte_mempool *pool;

static void
setup(void)
{
	cr_assert_eq(sim_eal_init("steer"), 0);
	pool = rte_pktmbuf_pool_create("steer_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert_not_null(pool);
}

/* An Ethernet + IPv4 + TCP frame from the peer's sport to our dport (frag: MF set). */
static struct rte_mbuf *
tcp_frame(uint16_t sport, uint16_t dport, bool frag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	cr_assert_not_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ip) + sizeof(*th));
	memset(eh, 0, sizeof(*eh) + sizeof(*ip) + sizeof(*th));
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->fragment_offset = frag ? rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG) : 0;
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	return m;
}

static struct rte_mbuf *
eth_frame(uint16_t type, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;

	cr_assert_not_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	memset(eh, 0, len);
	if (len >= sizeof(*eh))
		eh->ether_type = rte_cpu_to_be_16(type);
	return m;
}

/* A source port of the peer whose flow to dport the owner function gives to lcore want. */
static uint16_t
port_owned_by(uint32_t want, uint32_t n, uint16_t dport, uint16_t from)
{
	for (uint16_t p = from;; p++)
		if (steer_flow_owner(PEER_IP, p, dport, n) == want)
			return p;
}

Test(steer, frame_owner, .init = setup)
{
	struct rte_mbuf *m;
	uint16_t p1 = port_owned_by(1, 2, 7, 40000);

	m = tcp_frame(p1, 7, false);
	cr_assert_eq(steer_pkt_owner(m, 0, 2), 1);
	cr_assert_eq(steer_pkt_owner(m, 1, 2), 1);
	/* One lcore owns everything. */
	cr_assert_eq(steer_pkt_owner(m, 0, 1), 0);
	rte_pktmbuf_free(m);
	/* A fragment stays where it arrived (net drops and counts it there). */
	m = tcp_frame(p1, 7, true);
	cr_assert_eq(steer_pkt_owner(m, 0, 2), 0);
	rte_pktmbuf_free(m);
	m = eth_frame(RTE_ETHER_TYPE_ARP, 60);
	cr_assert_eq(steer_pkt_owner(m, 0, 2), STEER_ALL);
	rte_pktmbuf_free(m);
	/* Truncated IPv4, other ethertypes and runts: the receiving lcore. */
	m = eth_frame(RTE_ETHER_TYPE_IPV4, 20);
	cr_assert_eq(steer_pkt_owner(m, 1, 2), 1);
	rte_pktmbuf_free(m);
	m = eth_frame(RTE_ETHER_TYPE_IPV6, 80);
	cr_assert_eq(steer_pkt_owner(m, 1, 2), 1);
	rte_pktmbuf_free(m);
	m = eth_frame(0, 6);
	cr_assert_eq(steer_pkt_owner(m, 1, 2), 1);
	rte_pktmbuf_free(m);
}

Test(steer, burst_split_handoff_and_arp, .init = setup)
{
	struct steer_set set = {0};
	struct steer_params sp = {.n_lcores = 2, .handoff = true, .pool = pool, .name = "t"};
	struct steer *s0, *s1;
	struct rte_mbuf *pkts[8], *got[8];
	uint16_t mine0 = port_owned_by(0, 2, 7, 40000), other = port_owned_by(1, 2, 7, 40000);
	uint16_t n, k;

	sp.id = 0;
	s0 = steer_create(&sp, &set);
	sp.id = 1;
	s1 = steer_create(&sp, &set);
	cr_assert(s0 != NULL && s1 != NULL);
	cr_assert_eq(set.n, 2);
	/* The same slot twice is refused. */
	cr_assert_null(steer_create(&sp, &set));

	pkts[0] = tcp_frame(mine0, 7, false);
	pkts[1] = tcp_frame(other, 7, false);
	pkts[2] = eth_frame(RTE_ETHER_TYPE_ARP, 60);
	pkts[3] = tcp_frame(mine0, 7, false);
	pkts[4] = tcp_frame(other, 7, false);
	struct rte_mbuf *want0[] = {pkts[0], pkts[2], pkts[3]}, *want1[] = {pkts[1], pkts[4]};

	n = steer_rx(s0, pkts, 5);
	cr_assert_eq(n, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pkts[i], want0[i], "own packets in arrival order");
	cr_assert_eq(steer_handoff_rx(s0, got, 8), 0);
	/* Lcore 1 gets its segments and a copy of the ARP frame, in arrival order. */
	k = steer_handoff_rx(s1, got, 8);
	cr_assert_eq(k, 3);
	cr_assert_eq(got[0], want1[0]);
	cr_assert_eq(got[2], want1[1]);
	cr_assert_neq(got[1], pkts[1]);
	cr_assert_eq(rte_pktmbuf_mtod(got[1], struct rte_ether_hdr *)->ether_type,
	             rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP), "the ARP copy");
	cr_assert_eq(steer_counter(s0, STEER_CNT_HANDOFF_TX), 3);
	cr_assert_eq(steer_counter(s0, STEER_CNT_ARP_FANOUT), 1);
	cr_assert_eq(steer_counter(s1, STEER_CNT_HANDOFF_RX), 3);
	cr_assert_eq(steer_counter(s0, STEER_CNT_HANDOFF_DROP), 0);
	for (int i = 0; i < 3; i++) {
		rte_pktmbuf_free(pkts[i]);
		rte_pktmbuf_free(got[i]);
	}
	steer_destroy(s0);
	steer_destroy(s1);
	cr_assert_eq(set.s[0], NULL);
	cr_assert_eq(rte_mempool_avail_count(pool), 1023, "no mbuf leaked");
}

Test(steer, full_ring_drops_and_counts, .init = setup)
{
	struct steer_set set = {0};
	struct steer_params sp = {
	        .n_lcores = 2, .handoff = true, .pool = pool, .ring_size = 8, .name = "f"};
	struct steer *s0, *s1;
	struct rte_mbuf *pkts[16];
	uint16_t other = port_owned_by(1, 2, 7, 40000);

	sp.id = 0;
	s0 = steer_create(&sp, &set);
	sp.id = 1;
	s1 = steer_create(&sp, &set);
	cr_assert(s0 != NULL && s1 != NULL);
	for (int i = 0; i < 16; i++)
		pkts[i] = tcp_frame(other, 7, false);
	cr_assert_eq(steer_rx(s0, pkts, 16), 0);
	/* A ring of 8 slots holds 7. */
	cr_assert_eq(steer_counter(s0, STEER_CNT_HANDOFF_TX), 7);
	cr_assert_eq(steer_counter(s0, STEER_CNT_HANDOFF_DROP), 9);
	/* Destroying the owner frees what is still on its ring. */
	steer_destroy(s1);
	steer_destroy(s0);
	cr_assert_eq(rte_mempool_avail_count(pool), 1023, "no mbuf leaked");
}

Test(steer, no_handoff_keeps_everything, .init = setup)
{
	struct steer_set set = {0};
	struct steer_params sp = {.n_lcores = 1, .handoff = true, .pool = pool, .name = "o"};
	struct steer *s = steer_create(&sp, &set);
	struct rte_mbuf *pkts[2];

	cr_assert_not_null(s);
	pkts[0] = tcp_frame(40000, 7, false);
	pkts[1] = eth_frame(RTE_ETHER_TYPE_ARP, 60);
	cr_assert_eq(steer_rx(s, pkts, 2), 2);
	cr_assert_eq(steer_handoff_rx(s, pkts, 2), 0);
	cr_assert_eq(steer_counter(s, STEER_CNT_ARP_FANOUT), 0);
	rte_pktmbuf_free(pkts[0]);
	rte_pktmbuf_free(pkts[1]);
	steer_destroy(s);
	/* Bad parameters. */
	sp.id = 2;
	sp.n_lcores = 2;
	cr_assert_null(steer_create(&sp, &set));
	sp.id = 0;
	sp.ring_size = 100;
	cr_assert_null(steer_create(&sp, &set));
}

Test(steer, port_filter_matches_owner, .init = setup)
{
	struct steer_set set = {0};
	struct steer_params sp = {.n_lcores = 3, .handoff = true, .pool = pool, .name = "p"};
	struct steer *s[3];

	for (uint32_t i = 0; i < 3; i++) {
		sp.id = i;
		s[i] = steer_create(&sp, &set);
		cr_assert_not_null(s[i]);
	}
	for (uint16_t p = 30000; p < 30300; p++) {
		/* Our active open from local port p to the peer's 2855. */
		struct tcp_tuple t = {.local_ip = OUR_IP,
		                      .remote_ip = PEER_IP,
		                      .local_port = p,
		                      .remote_port = 2855};
		uint32_t yes = 0;

		for (uint32_t i = 0; i < 3; i++)
			if (steer_port_filter(s[i], &t)) {
				yes++;
				cr_assert_eq(steer_flow_owner(PEER_IP, 2855, p, 3), i);
			}
		cr_assert_eq(yes, 1, "exactly one lcore may open from port %u", p);
	}
	for (uint32_t i = 0; i < 3; i++)
		steer_destroy(s[i]);
}
