/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sim/sim.h"

int
sim_eal_init(const char *tag)
{
	static bool done;
	char prefix[64];
	char *argv[] = {"msw-sim", "--no-huge", "--no-shconf", prefix, "-m",
	                "256",     "--no-pci",  "-l",          "0",    "--log-level=error",
	                NULL};

	if (done)
		return 0;
	snprintf(prefix, sizeof(prefix), "--file-prefix=msw-%s-%d", tag, (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0]) - 1), argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	done = true;
	return 0;
}

uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) / (double)(1ULL << 53);
}

static bool
sim_pkt_before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at_us < b->at_us || (a->at_us == b->at_us && a->order < b->order);
}

static void
sim_q_push(struct sim *s, uint64_t at_us, struct rte_mbuf *m)
{
	uint32_t i = s->qlen++;

	s->q[i].at_us = at_us;
	s->q[i].order = s->order++;
	s->q[i].m = m;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		struct sim_pkt tmp;

		if (!sim_pkt_before(&s->q[i], &s->q[p]))
			break;
		tmp = s->q[i];
		s->q[i] = s->q[p];
		s->q[p] = tmp;
		i = p;
	}
}

static struct sim_pkt
sim_q_pop(struct sim *s)
{
	struct sim_pkt top = s->q[0];
	uint32_t i = 0;

	s->q[0] = s->q[--s->qlen];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct sim_pkt tmp;

		if (l < s->qlen && sim_pkt_before(&s->q[l], &s->q[m]))
			m = l;
		if (r < s->qlen && sim_pkt_before(&s->q[r], &s->q[m]))
			m = r;
		if (m == i)
			break;
		tmp = s->q[i];
		s->q[i] = s->q[m];
		s->q[m] = tmp;
		i = m;
	}
	return top;
}

/* Copies the frame into the receiving node's pool, as a NIC DMA would. */
static struct rte_mbuf *
sim_copy(struct sim *s, unsigned int to, const struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, s->node[to].pool, 0, UINT32_MAX);

	if (c == NULL)
		s->ws[1 - to].no_mbuf++;
	return c;
}

static void
sim_corrupt(struct sim *s, struct rte_mbuf *m)
{
	uint32_t bit = (uint32_t)(sim_rng_next(&s->rng) % ((uint64_t)rte_pktmbuf_pkt_len(m) * 8));
	struct rte_mbuf *seg = m;
	uint32_t off = bit / 8;

	while (off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	rte_pktmbuf_mtod(seg, uint8_t *)[off] ^= (uint8_t)(1u << (bit % 8));
}

static uint16_t
sim_tx_burst(struct sim_node *n, struct rte_mbuf **pkts, uint16_t cnt)
{
	struct sim *s = n->sim;
	unsigned int dir = n->side, to = 1 - n->side;
	const struct sim_impair *imp = &s->imp[dir];
	struct sim_wire_stats *ws = &s->ws[dir];

	for (uint16_t i = 0; i < cnt; i++) {
		struct rte_mbuf *m = pkts[i], *c;
		uint64_t at = s->now_us + s->delay_us;
		/* Draw every decision each time so one rate does not shift the others' stream. */
		double rd = sim_rng_unit(&s->rng), rdup = sim_rng_unit(&s->rng);
		double rro = sim_rng_unit(&s->rng), rc = sim_rng_unit(&s->rng);
		/* The rule sees every frame, whatever the random draws decide. */
		bool ruled = s->drop_fn != NULL && s->drop_fn(s->drop_ctx, dir, m);

		ws->sent++;
		if (s->qlen + 2 > s->qcap || rd < imp->drop || ruled) {
			ws->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		c = sim_copy(s, to, m);
		if (c != NULL && rdup < imp->dup) {
			struct rte_mbuf *d = sim_copy(s, to, m);

			if (d != NULL) {
				ws->duplicated++;
				sim_q_push(s, at + 1, d);
			}
		}
		rte_pktmbuf_free(m);
		if (c == NULL)
			continue;
		if (rc < imp->corrupt) {
			ws->corrupted++;
			sim_corrupt(s, c);
		}
		if (rro < imp->reorder) {
			/* Held back behind up to two later packets' worth of latency. */
			ws->reordered++;
			at += 1 + sim_rng_next(&s->rng) % (2 * s->delay_us + 1);
		}
		sim_q_push(s, at, c);
	}
	return cnt;
}

static uint16_t
sim_tx0(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	return sim_tx_burst(ctx, pkts, n);
}

static const struct net_port_ops sim_port_ops = {.tx_burst = sim_tx0};

static int
sim_node_init(struct sim *s, unsigned int side, const char *tag, const struct sim_node_conf *c,
              const struct rte_ether_addr *peer_mac, uint32_t peer_ip)
{
	struct sim_node *n = &s->node[side];
	struct net_params np;
	char name[RTE_MEMPOOL_NAMESIZE];

	n->sim = s;
	n->side = side;
	n->mbufs = c->mbufs;
	snprintf(name, sizeof(name), "sim%u_%s", side, tag);
	/* No per-lcore cache: the in-use count must be exact for leak checks. */
	n->pool = rte_pktmbuf_pool_create(name, c->mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	if (n->pool == NULL)
		return -rte_errno;
	net_params_default(&np);
	np.ip = c->ip;
	np.prefix_len = c->prefix_len;
	np.mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, c->mac_last}};
	n->ifc = net_iface_create(&np, n->pool, &sim_port_ops, n);
	if (n->ifc == NULL)
		return -errno;
	if (peer_mac != NULL)
		net_arp_add_static(n->ifc, peer_ip, peer_mac);
	n->tcp = tcp_stack_create(&c->tcp, n->ifc, n->pool, s->now_us);
	if (n->tcp == NULL)
		return -errno;
	return 0;
}

int
sim_create(struct sim *s, const char *tag, uint64_t seed, uint64_t delay_us,
           const struct sim_node_conf *c0, const struct sim_node_conf *c1)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->rng.s = seed;
	s->delay_us = delay_us;
	s->now_us = 1000000; /* non-zero: timestamps and deadlines start away from 0 */
	s->qcap = c0->mbufs + c1->mbufs + 16;
	s->q = calloc(s->qcap, sizeof(*s->q));
	if (s->q == NULL)
		return -ENOMEM;
	/* ARP is exercised by the net tests; here node 0 resolves, node 1 learns from it. */
	rc = sim_node_init(s, 0, tag, c0, NULL, 0);
	if (rc == 0)
		rc = sim_node_init(s, 1, tag, c1, NULL, 0);
	if (rc != 0)
		sim_destroy(s);
	return rc;
}

void
sim_destroy(struct sim *s)
{
	while (s->qlen > 0)
		rte_pktmbuf_free(sim_q_pop(s).m);
	for (unsigned int i = 0; i < 2; i++) {
		tcp_stack_destroy(s->node[i].tcp);
		net_iface_destroy(s->node[i].ifc);
		rte_mempool_free(s->node[i].pool);
		s->node[i].tcp = NULL;
		s->node[i].ifc = NULL;
		s->node[i].pool = NULL;
	}
	free(s->q);
	s->q = NULL;
}

void
sim_flush(struct sim *s)
{
	for (unsigned int i = 0; i < 2; i++)
		tcp_flush(s->node[i].tcp);
}

uint64_t
sim_step(struct sim *s)
{
	uint64_t next;

	while (s->qlen > 0 && s->q[0].at_us <= s->now_us) {
		struct sim_pkt p = sim_q_pop(s);
		/* The frame's destination is the node whose pool it was copied into. */
		unsigned int to = p.m->pool == s->node[0].pool ? 0 : 1;

		s->ws[1 - to].delivered++;
		net_rx(s->node[to].ifc, p.m, s->now_us);
		tcp_flush(s->node[to].tcp);
	}
	for (unsigned int i = 0; i < 2; i++) {
		tcp_timers(s->node[i].tcp, s->now_us);
		net_tick(s->node[i].ifc, s->now_us);
		tcp_flush(s->node[i].tcp);
	}
	next = s->now_us + 1000;
	if (s->qlen > 0 && s->q[0].at_us < next)
		next = s->q[0].at_us > s->now_us ? s->q[0].at_us : s->now_us + 1;
	s->now_us = next;
	return next;
}

unsigned int
sim_mbufs_in_use(const struct sim_node *n)
{
	return n->mbufs - rte_mempool_avail_count(n->pool);
}
