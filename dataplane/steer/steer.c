/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "steer/steer.h"

const char *const steer_cnt_names[STEER_CNT_MAX] = {
#define STEER_CNT(sym, name, doc) #name,
#include "steer/steer_counters.def"
#undef STEER_CNT
};

static inline void
steer_cnt_add(struct steer *s, enum steer_cnt id, uint64_t n)
{
	/* Single writer: load + store, no locked RMW; relaxed stores keep readers untorn. */
	__atomic_store_n(&s->cnt[id], __atomic_load_n(&s->cnt[id], __ATOMIC_RELAXED) + n,
	                 __ATOMIC_RELAXED);
}

uint32_t
steer_flow_owner(uint32_t remote_ip, uint16_t remote_port, uint16_t local_port, uint32_t n_lcores)
{
	/* A multiplicative mix of the tuple: cheap, and the same on every lcore. */
	uint64_t h = ((uint64_t)remote_ip << 32 | (uint32_t)remote_port << 16 | local_port) *
	             0x9e3779b97f4a7c15ull;

	return n_lcores <= 1 ? 0 : (uint32_t)((h >> 32) % n_lcores);
}

bool
steer_port_filter(void *ctx, const struct tcp_tuple *t)
{
	const struct steer *s = ctx;

	if (s->p.handoff)
		return steer_flow_owner(t->remote_ip, t->remote_port, t->local_port,
		                        s->p.n_lcores) == s->p.id;
	/* The returning packets as the NIC sees them: src = the peer. */
	return port_rss_lands_on(s->p.rss_port, t->remote_ip, t->local_ip, t->remote_port,
	                         t->local_port, (uint16_t)s->p.id);
}

void
steer_attach_tcp(struct steer *s, struct tcp_stack *tcp)
{
	if (s->p.n_lcores > 1)
		tcp_set_port_filter(tcp, steer_port_filter, s);
}

uint32_t
steer_pkt_owner(const struct rte_mbuf *m, uint32_t self, uint32_t n_lcores)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const uint16_t *ports;
	uint32_t l3 = sizeof(*eh), ihl;

	if (m->data_len < l3)
		return self;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return STEER_ALL;
	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    m->data_len < l3 + sizeof(*ip))
		return self;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	/* Fragments carry no (or not this) TCP header: net drops and counts them here. */
	if (ip->next_proto_id != IPPROTO_TCP || ihl < sizeof(*ip) || m->data_len < l3 + ihl + 4 ||
	    (ip->fragment_offset &
	     rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return self;
	ports = (const uint16_t *)((const uint8_t *)ip + ihl);
	return steer_flow_owner(rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_16(ports[0]),
	                        rte_be_to_cpu_16(ports[1]), n_lcores);
}

static void
steer_handoff_to(struct steer *s, uint32_t owner, struct rte_mbuf *m)
{
	struct steer *o = s->set->s[owner];

	if (o == NULL || rte_ring_mp_enqueue(o->handoff, m) != 0) {
		rte_pktmbuf_free(m);
		steer_cnt_add(s, STEER_CNT_HANDOFF_DROP, 1);
		return;
	}
	steer_cnt_add(s, STEER_CNT_HANDOFF_TX, 1);
}

uint16_t
steer_rx(struct steer *s, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t keep = 0;

	if (!s->p.handoff)
		return n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t owner = steer_pkt_owner(m, s->p.id, s->p.n_lcores);

		if (owner == STEER_ALL) {
			/*
			 * ARP: each lcore's cache learns it (each also answers a request: the
			 * duplicate replies are identical and harmless).
			 */
			for (uint32_t k = 0; k < s->p.n_lcores; k++) {
				struct rte_mbuf *c;

				if (k == s->p.id)
					continue;
				c = rte_pktmbuf_copy(m, s->p.pool, 0, UINT32_MAX);
				if (c == NULL) {
					steer_cnt_add(s, STEER_CNT_HANDOFF_DROP, 1);
					continue;
				}
				steer_handoff_to(s, k, c);
			}
			steer_cnt_add(s, STEER_CNT_ARP_FANOUT, 1);
			pkts[keep++] = m;
		} else if (owner != s->p.id) {
			steer_handoff_to(s, owner, m);
		} else {
			pkts[keep++] = m;
		}
	}
	return keep;
}

uint16_t
steer_handoff_rx(struct steer *s, struct rte_mbuf **pkts, uint16_t cap)
{
	unsigned int h;

	if (s->handoff == NULL)
		return 0;
	h = rte_ring_sc_dequeue_burst(s->handoff, (void **)pkts, cap, NULL);
	steer_cnt_add(s, STEER_CNT_HANDOFF_RX, h);
	return (uint16_t)h;
}

struct steer *
steer_create(const struct steer_params *p, struct steer_set *set)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t size = p->ring_size != 0 ? p->ring_size : 4096;
	struct steer *s;

	if (p->n_lcores == 0 || p->n_lcores > STEER_LCORES_MAX || p->id >= p->n_lcores ||
	    (p->handoff && p->pool == NULL) || (size & (size - 1)) != 0 || set->s[p->id] != NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc("steer", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	s->p = *p;
	s->p.handoff = p->handoff && p->n_lcores > 1;
	s->p.ring_size = size;
	s->set = set;
	if (s->p.handoff) {
		snprintf(name, sizeof(name), "%s_hand_%u", p->name != NULL ? p->name : "steer",
		         p->id);
		s->handoff = rte_ring_create(name, size, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (s->handoff == NULL) {
			errno = rte_errno != 0 ? rte_errno : ENOMEM;
			rte_free(s);
			return NULL;
		}
	}
	set->s[p->id] = s;
	if (p->id + 1 > set->n)
		set->n = p->id + 1;
	return s;
}

void
steer_destroy(struct steer *s)
{
	void *obj;

	if (s == NULL)
		return;
	if (s->handoff != NULL)
		while (rte_ring_sc_dequeue(s->handoff, &obj) == 0)
			rte_pktmbuf_free(obj);
	rte_ring_free(s->handoff);
	if (s->set->s[s->p.id] == s)
		s->set->s[s->p.id] = NULL;
	rte_free(s);
}
