/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-tcp-echo: echoes every byte on one IPv4 address and TCP port, on the userspace stack.
 *
 *   msw-tcp-echo [EAL args] -- --ip A.B.C.D/NN --port P [--gateway A.B.C.D]
 *                [--impair drop=R,dup=R,reorder=R,corrupt=R] [--seed N] [--mbufs N]
 *                [--max-conns N] [--syn-backlog N] [--time-wait-ms N] [--rto-min-ms N]
 *                [--idle-us N]
 *
 * Runs on the main lcore over the first ethdev port until SIGINT/SIGTERM, then prints one
 * JSON object with its counters on stdout (SIGUSR1 prints one at run time). Without
 * --file-prefix or --no-shconf in the EAL arguments it adds
 * --no-shconf --file-prefix=msw-tcp-echo-<pid> itself.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "echo/echo.h"
#include "net/net.h"
#include "port/port.h"
#include "tcp/tcp.h"

#define BURST 32

static volatile sig_atomic_t stop, dump;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1; /* counters at run time: one JSON line now, keep running */
	else
		stop = 1;
}

struct opts {
	uint32_t ip, gateway;
	uint8_t prefix;
	uint16_t port;
	struct port_impair imp;
	uint64_t seed;
	uint32_t mbufs, max_conns, syn_backlog, time_wait_ms, rto_min_ms, idle_us;
};

static void
usage(void)
{
	fprintf(stderr, "usage: msw-tcp-echo [EAL args] -- --ip A.B.C.D/NN --port P "
	                "[--gateway A.B.C.D] [--impair drop=R,dup=R,reorder=R,corrupt=R] "
	                "[--seed N] [--mbufs N] [--max-conns N] [--syn-backlog N] "
	                "[--time-wait-ms N] [--rto-min-ms N] [--idle-us N]\n");
}

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "msw-tcp-echo: %s: '%s' is not a number in %u..%u\n", what, s, lo,
		        hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	        {"ip", required_argument, NULL, 'i'},
	        {"port", required_argument, NULL, 'p'},
	        {"gateway", required_argument, NULL, 'g'},
	        {"impair", required_argument, NULL, 'I'},
	        {"seed", required_argument, NULL, 's'},
	        {"mbufs", required_argument, NULL, 'm'},
	        {"max-conns", required_argument, NULL, 'c'},
	        {"syn-backlog", required_argument, NULL, 'b'},
	        {"time-wait-ms", required_argument, NULL, 't'},
	        {"rto-min-ms", required_argument, NULL, 'r'},
	        {"idle-us", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	bool have_ip = false, have_port = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->mbufs = 65535;
	o->max_conns = 65536;
	o->syn_backlog = 1024;
	o->time_wait_ms = 60000;
	o->rto_min_ms = 200;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		uint32_t v;

		switch (c) {
		case 'i': {
			char buf[32], *slash;
			struct in_addr a;

			snprintf(buf, sizeof(buf), "%s", optarg);
			slash = strchr(buf, '/');
			if (slash == NULL) {
				fprintf(stderr, "msw-tcp-echo: --ip: '%s' needs /prefix\n", optarg);
				return -1;
			}
			*slash = '\0';
			if (inet_pton(AF_INET, buf, &a) != 1 ||
			    parse_u32(slash + 1, 1, 32, &v, "--ip prefix") != 0) {
				fprintf(stderr, "msw-tcp-echo: --ip: bad address '%s'\n", optarg);
				return -1;
			}
			o->ip = ntohl(a.s_addr);
			o->prefix = (uint8_t)v;
			have_ip = true;
			break;
		}
		case 'g': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1) {
				fprintf(stderr, "msw-tcp-echo: --gateway: bad address '%s'\n",
				        optarg);
				return -1;
			}
			o->gateway = ntohl(a.s_addr);
			break;
		}
		case 'p':
			if (parse_u32(optarg, 1, 65535, &v, "--port") != 0)
				return -1;
			o->port = (uint16_t)v;
			have_port = true;
			break;
		case 'I':
			if (port_impair_parse(optarg, &o->imp) != 0) {
				fprintf(stderr,
				        "msw-tcp-echo: --impair: '%s': want drop=R,dup=R,reorder=R,"
				        "corrupt=R with each R in 0..1\n",
				        optarg);
				return -1;
			}
			break;
		case 's': {
			char *end;

			errno = 0;
			o->seed = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg) {
				fprintf(stderr, "msw-tcp-echo: --seed: '%s' is not a number\n",
				        optarg);
				return -1;
			}
			break;
		}
		case 'm':
			if (parse_u32(optarg, 1024, 16u << 20, &o->mbufs, "--mbufs") != 0)
				return -1;
			break;
		case 'c':
			if (parse_u32(optarg, 1, 1u << 22, &o->max_conns, "--max-conns") != 0)
				return -1;
			break;
		case 'b':
			if (parse_u32(optarg, 1, 1u << 22, &o->syn_backlog, "--syn-backlog") != 0)
				return -1;
			break;
		case 't':
			if (parse_u32(optarg, 1, 600000, &o->time_wait_ms, "--time-wait-ms") != 0)
				return -1;
			break;
		case 'r':
			if (parse_u32(optarg, 1, 60000, &o->rto_min_ms, "--rto-min-ms") != 0)
				return -1;
			break;
		case 'd':
			if (parse_u32(optarg, 0, 1000000, &o->idle_us, "--idle-us") != 0)
				return -1;
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind != argc || !have_ip || !have_port) {
		usage();
		return -1;
	}
	return 0;
}

/* DPDK programs of msw add their own file prefix unless the EAL arguments choose one. */
static char **
eal_args_with_prefix(int argc, char **argv, int *out_argc)
{
	static char prefix[64];
	char **v;
	int n = 0, eal_end = argc;
	bool chosen = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_end = i;
			break;
		}
		if (strncmp(argv[i], "--file-prefix", 13) == 0 ||
		    strcmp(argv[i], "--no-shconf") == 0)
			chosen = true;
	}
	v = calloc((size_t)argc + 3, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (int i = 0; i < eal_end; i++)
		v[n++] = argv[i];
	if (!chosen) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=msw-tcp-echo-%d", (int)getpid());
		v[n++] = "--no-shconf";
		v[n++] = prefix;
	}
	for (int i = eal_end; i < argc; i++)
		v[n++] = argv[i];
	*out_argc = n;
	return v;
}

struct lcore_ctx {
	struct port_queue *q;
	uint64_t now_us;
};

static uint16_t
tx_to_port(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	return port_tx_burst(ctx, pkts, n);
}

static const struct net_port_ops port_ops = {.tx_burst = tx_to_port};

static uint64_t
clock_us(uint64_t hz)
{
	uint64_t c = rte_get_tsc_cycles();

	return (c / hz) * 1000000 + ((c % hz) * 1000000) / hz;
}

static void
print_json(struct tcp_stack *tcp, struct net_iface *ifc, struct rte_mempool *pool, struct port *prt)
{
	struct tcp_stats *ts = tcp_stack_stats(tcp);
	struct net_stats *ns = net_iface_stats(ifc);
	uint64_t tw = tcp_stat_read(&ts->conns[TCP_STATE_TIME_WAIT]);
	bool first = true;

	printf("{\"conns_open\":%lu,\"conns_time_wait\":%lu,\"mbufs_in_use\":%u,"
	       "\"syn_cookies_sent\":%lu,\"segs_rx\":%lu,\"segs_tx\":%lu,\"retransmits\":%lu,"
	       "\"drops\":{",
	       (unsigned long)(tcp_conns_in_use(tcp) - tw), (unsigned long)tw,
	       pool->size - rte_mempool_avail_count(pool),
	       (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_SYN_COOKIES_SENT]),
	       (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_SEGS_RX]),
	       (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_SEGS_TX]),
	       (unsigned long)tcp_stat_read(&ts->cnt[TCP_CNT_RETRANSMITS]));
	for (int i = 0; i < TCP_DROP_MAX; i++) {
		printf("%s\"tcp_%s\":%lu", first ? "" : ",", tcp_drop_names[i],
		       (unsigned long)tcp_stat_read(&ts->drop[i]));
		first = false;
	}
	for (int i = 0; i < NET_DROP_MAX; i++)
		printf(",\"net_%s\":%lu", net_drop_names[i],
		       (unsigned long)net_stat_read(&ns->drop[i]));
	printf(",\"port_tx_full\":%lu}",
	       (unsigned long)port_stat_read(&prt->q[0].cnt[PORT_CNT_TX_FULL]));
	printf(",\"impair\":{");
	for (int i = PORT_CNT_IMP_RX_DROP; i < PORT_CNT_MAX; i++)
		printf("%s\"%s\":%lu", i == PORT_CNT_IMP_RX_DROP ? "" : ",", port_cnt_names[i],
		       (unsigned long)port_stat_read(&prt->q[0].cnt[i]));
	printf("},\"tcp\":{");
	for (int i = 0; i < TCP_CNT_MAX; i++)
		printf("%s\"%s\":%lu", i ? "," : "", tcp_cnt_names[i],
		       (unsigned long)tcp_stat_read(&ts->cnt[i]));
	printf("}}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct port_desc pd = {0};
	struct net_params np;
	struct tcp_params tp;
	struct rte_mempool *pool;
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct lcore_ctx lc;
	struct echo echo;
	struct port prt;
	struct opts o;
	char name[RTE_ETH_NAME_MAX_LEN], err[256];
	char **eargv, **eargv_mem;
	int eargc, n;
	uint64_t hz;

	eargv = eargv_mem = eal_args_with_prefix(argc, argv, &eargc);
	if (eargv == NULL)
		return 1;
	n = rte_eal_init(eargc, eargv);
	if (n < 0) {
		fprintf(stderr, "msw-tcp-echo: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	eargc -= n;
	eargv += n;
	eargv[0] = argv[0];
	if (parse_opts(eargc, eargv, &o) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	if (rte_eth_dev_count_avail() == 0 || rte_eth_dev_get_name_by_port(0, name) != 0) {
		fprintf(stderr, "msw-tcp-echo: no ethdev port (give --vdev=net_tap0,iface=NAME)\n");
		rte_eal_cleanup();
		return 1;
	}
	pool = rte_pktmbuf_pool_create("echo_pool", o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                               (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "msw-tcp-echo: mempool of %u mbufs: %s\n", o.mbufs,
		        rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	pd.name = name;
	pd.nb_queues = 1;
	pd.pools[0] = pool;
	pd.rx_impair = o.imp; /* the issue: applied independently on receive and on transmit */
	pd.tx_impair = o.imp;
	pd.seed = o.seed;
	if (port_open(&prt, &pd, err, sizeof(err)) != 0) {
		fprintf(stderr, "msw-tcp-echo: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	lc.q = &prt.q[0];
	hz = rte_get_tsc_hz();
	lc.now_us = clock_us(hz);

	net_params_default(&np);
	np.mac = prt.mac;
	np.ip = o.ip;
	np.prefix_len = o.prefix;
	np.gateway = o.gateway;
	ifc = net_iface_create(&np, pool, &port_ops, lc.q);
	tcp_params_default(&tp);
	tp.max_conns = o.max_conns;
	tp.syn_backlog = o.syn_backlog;
	tp.time_wait_ms = o.time_wait_ms;
	tp.rto_min_ms = o.rto_min_ms;
	tp.mbuf_reserve = o.mbufs / 16;
	tcp = ifc != NULL ? tcp_stack_create(&tp, ifc, pool, lc.now_us) : NULL;
	if (tcp == NULL || echo_init(&echo, tcp, &lc.now_us, o.max_conns) != 0 ||
	    echo_listen(&echo, o.port) != 0) {
		fprintf(stderr, "msw-tcp-echo: stack setup failed: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	net_arp_announce(ifc);
	net_flush(ifc);

	while (!stop) {
		struct rte_mbuf *pkts[BURST];
		uint16_t got = port_rx_burst(lc.q, pkts, BURST);

		lc.now_us = clock_us(hz);
		for (uint16_t i = 0; i < got; i++)
			net_rx(ifc, pkts[i], lc.now_us);
		tcp_timers(tcp, lc.now_us);
		net_tick(ifc, lc.now_us);
		tcp_flush(tcp);
		port_tx_burst(lc.q, NULL, 0); /* releases a packet held for reordering */
		if (dump) {
			dump = 0;
			print_json(tcp, ifc, pool, &prt);
			tcp_stack_dump(tcp, stderr, 16);
		}
		if (got == 0 && o.idle_us != 0)
			usleep(o.idle_us); /* shared test machines; production polls */
	}
	print_json(tcp, ifc, pool, &prt);
	echo_fini(&echo);
	tcp_stack_destroy(tcp);
	net_iface_destroy(ifc);
	port_close(&prt);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	free(eargv_mem);
	return 0;
}
