/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup over ethdev and the fault-injection stage. The impairment PRNG is per queue and
 * seeded from the description, so a run with the same seed and the same traffic order makes
 * the same decisions.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "port/port.h"

const char *const port_cnt_names[PORT_CNT_MAX] = {
#define PORT_CNT(sym, name, doc) [PORT_CNT_##sym] = #name,
#include "port/port_counters.def"
#undef PORT_CNT
};

/* The RSS key we program (Microsoft's default Toeplitz key): port_rss_lands_on needs it. */
static uint8_t port_rss_key[40] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
        0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
        0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static inline void
port_cnt_add(struct port_queue *q, enum port_cnt c, uint64_t n)
{
	__atomic_store_n(&q->cnt[c], __atomic_load_n(&q->cnt[c], __ATOMIC_RELAXED) + n,
	                 __ATOMIC_RELAXED);
}

static inline uint64_t
port_rand(struct port_queue *q)
{
	/* splitmix64: tiny, seedable, good enough for impairment decisions. */
	uint64_t z = (q->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline bool
port_chance(struct port_queue *q, double rate)
{
	return rate > 0 && (double)(port_rand(q) >> 11) / (double)(1ULL << 53) < rate;
}

int
port_impair_parse(const char *s, struct port_impair *imp)
{
	char buf[256], *save = NULL, *tok;

	memset(imp, 0, sizeof(*imp));
	if (s == NULL || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double v;

		if (eq == NULL)
			return -EINVAL;
		*eq = '\0';
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end != '\0' || !(v >= 0 && v <= 1))
			return -EINVAL;
		if (strcmp(tok, "drop") == 0)
			imp->drop = v;
		else if (strcmp(tok, "dup") == 0)
			imp->dup = v;
		else if (strcmp(tok, "reorder") == 0)
			imp->reorder = v;
		else if (strcmp(tok, "corrupt") == 0)
			imp->corrupt = v;
		else
			return -EINVAL;
	}
	return 0;
}

static bool
port_impair_on(const struct port_impair *i)
{
	return i->drop > 0 || i->dup > 0 || i->reorder > 0 || i->corrupt > 0;
}

int
port_open(struct port *p, const struct port_desc *d, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t pid;
	int rc;

	memset(p, 0, sizeof(*p));
	if (d->name == NULL || d->nb_queues == 0 || d->nb_queues > PORT_MAX_QUEUES) {
		snprintf(err, errlen, "port: need a device name and 1..%d queues", PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (rte_eth_dev_get_port_by_name(d->name, &pid) != 0) {
		if (d->devargs == NULL) {
			snprintf(err, errlen, "port %s: no such device", d->name);
			return -ENODEV;
		}
		rc = rte_dev_probe(d->devargs);
		if (rc != 0 || rte_eth_dev_get_port_by_name(d->name, &pid) != 0) {
			snprintf(err, errlen, "port %s: probing '%s' failed: %s", d->name,
			         d->devargs, rte_strerror(-rc));
			return rc != 0 ? rc : -ENODEV;
		}
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: info: %s", d->name, rte_strerror(-rc));
		return rc;
	}
	if (d->nb_queues > info.max_rx_queues || d->nb_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %s: %u queues requested, device has %u rx / %u tx",
		         d->name, d->nb_queues, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (d->nb_queues > 1 && d->rss) {
		if ((info.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0) {
			/* e.g. tap: the workers steer flows themselves (rss = false). */
			snprintf(err, errlen, "port %s: no TCP/IPv4 RSS (set rss = false)", d->name);
			return -ENOTSUP;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = port_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(port_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
		p->rss = true;
	}
	rc = rte_eth_dev_configure(pid, d->nb_queues, d->nb_queues, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure: %s", d->name, rte_strerror(-rc));
		return rc;
	}
	if (d->mtu != 0 && (rc = rte_eth_dev_set_mtu(pid, d->mtu)) != 0) {
		snprintf(err, errlen, "port %s: mtu %u: %s", d->name, d->mtu, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t i = 0; i < d->nb_queues; i++) {
		struct port_queue *q = &p->q[i];
		int sock = rte_eth_dev_socket_id(pid);

		if (d->pools[i] == NULL) {
			snprintf(err, errlen, "port %s: queue %u has no mempool", d->name, i);
			return -EINVAL;
		}
		rc = rte_eth_rx_queue_setup(pid, i, d->nb_rxd ? d->nb_rxd : 1024, (unsigned)sock,
		                            NULL, d->pools[i]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, i, d->nb_txd ? d->nb_txd : 1024,
			                            (unsigned)sock, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u setup: %s", d->name, i,
			         rte_strerror(-rc));
			return rc;
		}
		q->port_id = pid;
		q->queue_id = i;
		q->pool = d->pools[i];
		q->rx_imp = d->rx_impair;
		q->tx_imp = d->tx_impair;
		q->rx_imp_on = port_impair_on(&d->rx_impair);
		q->tx_imp_on = port_impair_on(&d->tx_impair);
		q->rng = d->seed * 0x100000001b3ULL + i;
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start: %s", d->name, rte_strerror(-rc));
		return rc;
	}
	if (d->promiscuous)
		rte_eth_promiscuous_enable(pid);
	rte_eth_macaddr_get(pid, &p->mac);
	p->port_id = pid;
	p->nb_queues = d->nb_queues;
	return 0;
}

void
port_close(struct port *p)
{
	for (uint16_t i = 0; i < p->nb_queues; i++) {
		rte_pktmbuf_free(p->q[i].rx_held);
		rte_pktmbuf_free(p->q[i].tx_held);
		p->q[i].rx_held = p->q[i].tx_held = NULL;
	}
	if (p->nb_queues != 0) {
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
	}
	p->nb_queues = 0;
}

static void
port_flip_bit(struct port_queue *q, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t bit, off;
	struct rte_mbuf *s = m;

	if (len == 0)
		return;
	bit = (uint32_t)(port_rand(q) % ((uint64_t)len * 8));
	off = bit / 8;
	while (off >= s->data_len) {
		off -= s->data_len;
		s = s->next;
	}
	rte_pktmbuf_mtod(s, uint8_t *)[off] ^= (uint8_t)(1u << (bit % 8));
}

/*
 * Applies imp to pkts[0..n) into out (capacity cap >= 2n + 1). The mbufs of a transmit burst
 * may share payload with the sender's retransmission queue, so anything modified is a copy.
 */
static uint16_t
port_impair_apply(struct port_queue *q, const struct port_impair *imp, bool tx,
                  struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out, struct rte_mbuf **held)
{
	uint16_t k = 0;
	enum port_cnt c_drop = tx ? PORT_CNT_IMP_TX_DROP : PORT_CNT_IMP_RX_DROP;
	enum port_cnt c_dup = tx ? PORT_CNT_IMP_TX_DUP : PORT_CNT_IMP_RX_DUP;
	enum port_cnt c_re = tx ? PORT_CNT_IMP_TX_REORDER : PORT_CNT_IMP_RX_REORDER;
	enum port_cnt c_cor = tx ? PORT_CNT_IMP_TX_CORRUPT : PORT_CNT_IMP_RX_CORRUPT;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		/* Draw all four decisions each time: rates stay independent of each other. */
		bool drop = port_chance(q, imp->drop), dup = port_chance(q, imp->dup);
		bool reorder = port_chance(q, imp->reorder), corrupt = port_chance(q, imp->corrupt);

		if (drop) {
			port_cnt_add(q, c_drop, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		if (corrupt) {
			struct rte_mbuf *c = tx ? rte_pktmbuf_copy(m, q->pool, 0, UINT32_MAX) : m;

			if (c == NULL) {
				port_cnt_add(q, PORT_CNT_IMP_NO_MBUF, 1);
			} else {
				if (c != m)
					rte_pktmbuf_free(m);
				m = c;
				port_flip_bit(q, m);
				port_cnt_add(q, c_cor, 1);
			}
		}
		if (dup) {
			struct rte_mbuf *d = rte_pktmbuf_copy(m, q->pool, 0, UINT32_MAX);

			if (d == NULL) {
				port_cnt_add(q, PORT_CNT_IMP_NO_MBUF, 1);
			} else {
				out[k++] = d;
				port_cnt_add(q, c_dup, 1);
			}
		}
		if (reorder && *held == NULL) {
			/* Held back until after the next packet (or the next burst). */
			*held = m;
			port_cnt_add(q, c_re, 1);
			continue;
		}
		out[k++] = m;
		if (*held != NULL) {
			out[k++] = *held;
			*held = NULL;
		}
	}
	return k;
}

uint16_t
port_rx_burst(struct port_queue *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *raw[64], *out[2 * 64 + 1];
	uint16_t got, k;

	if (!q->rx_imp_on) {
		got = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, n);
		port_cnt_add(q, PORT_CNT_RX_PKTS, got);
		return got;
	}
	/* Impairment may double a burst: receive at most n/2, at most 64. */
	if (n > 2 * 64)
		n = 2 * 64;
	got = rte_eth_rx_burst(q->port_id, q->queue_id, raw, (uint16_t)(n / 2 ? n / 2 : 1));
	port_cnt_add(q, PORT_CNT_RX_PKTS, got);
	k = port_impair_apply(q, &q->rx_imp, false, raw, got, out, &q->rx_held);
	if (got == 0 && q->rx_held != NULL) {
		out[k++] = q->rx_held; /* an idle link releases the held packet */
		q->rx_held = NULL;
	}
	for (uint16_t i = 0; i < k && i < n; i++)
		pkts[i] = out[i];
	for (uint16_t i = n; i < k; i++)
		rte_pktmbuf_free(out[i]); /* cannot happen with n/2 received */
	return k < n ? k : n;
}

static void
port_tx_raw(struct port_queue *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	/* A few retries absorb a momentarily full ring; then the rest is dropped. */
	for (int tries = 0; sent < n && tries < 4; tries++)
		sent += rte_eth_tx_burst(q->port_id, q->queue_id, pkts + sent, n - sent);
	port_cnt_add(q, PORT_CNT_TX_PKTS, sent);
	if (sent < n) {
		port_cnt_add(q, PORT_CNT_TX_FULL, n - sent);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

uint16_t
port_tx_burst(struct port_queue *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *out[2 * 64 + 1];
	uint16_t done = 0;

	if (!q->tx_imp_on) {
		if (n > 0)
			port_tx_raw(q, pkts, n);
		return n;
	}
	if (n == 0 && q->tx_held != NULL) {
		out[0] = q->tx_held;
		q->tx_held = NULL;
		port_tx_raw(q, out, 1);
	}
	while (done < n) {
		uint16_t chunk = n - done > 64 ? 64 : n - done;
		uint16_t k = port_impair_apply(q, &q->tx_imp, true, pkts + done, chunk, out,
		                               &q->tx_held);

		if (k > 0)
			port_tx_raw(q, out, k);
		done += chunk;
	}
	return n;
}

bool
port_rss_lands_on(const struct port *p, uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
                  uint16_t dst_port, uint16_t queue)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	uint32_t tuple[3], h;
	uint16_t size, idx;

	if (!p->rss || p->nb_queues <= 1)
		return queue == 0;
	if (rte_eth_dev_info_get(p->port_id, &info) != 0 || info.reta_size == 0 ||
	    info.reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return queue == 0;
	size = info.reta_size;
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < size / RTE_ETH_RETA_GROUP_SIZE; i++)
		reta[i].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(p->port_id, reta, size) != 0)
		return queue == 0;
	/* Toeplitz over (src, dst, sport, dport) as the NIC sees the incoming packet. */
	tuple[0] = src_ip;
	tuple[1] = dst_ip;
	tuple[2] = ((uint32_t)src_port << 16) | dst_port;
	h = rte_softrss(tuple, 3, port_rss_key);
	idx = (uint16_t)(h % size);
	return reta[idx / RTE_ETH_RETA_GROUP_SIZE].reta[idx % RTE_ETH_RETA_GROUP_SIZE] == queue;
}
