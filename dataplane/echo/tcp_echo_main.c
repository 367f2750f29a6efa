/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-tcp-echo: echoes every byte on one IPv4 address and TCP port, on the userspace stack.
 *
 *   msw-tcp-echo [EAL args] -- --ip A.B.C.D/NN --port P [--gateway A.B.C.D]
 *                [--impair drop=R,dup=R,reorder=R,corrupt=R] [--seed N] [--mbufs N]
 *                [--max-conns N] [--syn-backlog N] [--time-wait-ms N] [--rto-min-ms N]
 *                [--idle-us N]
 *
 * Runs one echo worker per EAL lcore (-l 0-1: two) over the first ethdev port, one queue per
 * lcore, share-nothing (dataplane/echo/echo_lcore.h): flows spread by RSS on a NIC, by
 * software steering over hand-off rings on net_tap/net_memif. --mbufs and --max-conns are per
 * lcore. It runs until SIGINT/SIGTERM, then prints one JSON object with its counters summed
 * over the lcores on stdout (SIGUSR1 prints one at run time; docs/tcp.md). Without
 * --file-prefix or --no-shconf in the EAL arguments it adds
 * --no-shconf --file-prefix=msw-tcp-echo-<pid> itself.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "echo/echo_lcore.h"
#include "net/net.h"
#include "port/port.h"
#include "steer/steer.h"
#include "tcp/tcp.h"

/* stop is read by every echo lcore (echo_lcore_run); dump only by the main lcore. */
static volatile int stop;
static volatile sig_atomic_t dump;

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

/* Set when eal_args_with_prefix() chose the file prefix: its runtime directory is ours. */
static bool own_prefix;

/* Removes our runtime directory and what EAL left in it (sockets). */
static void
remove_runtime_dir(const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
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
		own_prefix = true;
	}
	for (int i = eal_end; i < argc; i++)
		v[n++] = argv[i];
	*out_argc = n;
	return v;
}

/*
 * RSS only on a physical NIC that hashes TCP/IPv4: the virtual ports (net_tap, net_memif)
 * either have no RSS or, like tap, advertise one that does not decide which queue the kernel
 * uses, so their flows are steered in software (dataplane/steer).
 */
static bool
want_rss(uint16_t port_id, uint32_t n_lcores)
{
	struct rte_eth_dev_info info;
	const struct rte_bus *bus;

	if (n_lcores <= 1 || rte_eth_dev_info_get(port_id, &info) != 0 || info.device == NULL)
		return false;
	bus = rte_dev_bus(info.device);
	return (info.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0 && bus != NULL &&
	       strcmp(rte_bus_name(bus), "vdev") != 0;
}

static int
lcore_main(void *arg)
{
	return echo_lcore_run(arg, &stop);
}

int
main(int argc, char **argv)
{
	static struct echo_lcore lcs[STEER_LCORES_MAX];
	struct echo_lcore *ls[STEER_LCORES_MAX];
	struct rte_mempool *pools[STEER_LCORES_MAX] = {NULL};
	unsigned int lcore_of[STEER_LCORES_MAX];
	struct steer_set set = {0};
	struct port_desc pd = {0};
	struct echo_lcore_params ep;
	struct port prt;
	struct opts o;
	char name[RTE_ETH_NAME_MAX_LEN], err[256], rundir[PATH_MAX];
	char **eargv, **eargv_mem;
	int eargc, n, rc = 1;
	uint32_t nl = 0, ready = 0;
	unsigned int lc;
	bool port_up = false;

	eargv = eargv_mem = eal_args_with_prefix(argc, argv, &eargc);
	if (eargv == NULL)
		return 1;
	n = rte_eal_init(eargc, eargv);
	if (n < 0) {
		fprintf(stderr, "msw-tcp-echo: EAL init failed: %s\n", rte_strerror(rte_errno));
		free(eargv_mem);
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	eargc -= n;
	eargv += n;
	eargv[0] = argv[0];
	if (parse_opts(eargc, eargv, &o) != 0) {
		rc = 2;
		goto out;
	}
	/* One echo worker per EAL lcore (-l): the main lcore is worker 0. */
	lcore_of[nl++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (nl == STEER_LCORES_MAX) {
			fprintf(stderr, "msw-tcp-echo: at most %u lcores\n", STEER_LCORES_MAX);
			goto out;
		}
		lcore_of[nl++] = lc;
	}
	if (nl > PORT_MAX_QUEUES) {
		fprintf(stderr, "msw-tcp-echo: at most %u lcores (port queues)\n", PORT_MAX_QUEUES);
		goto out;
	}
	if (rte_eth_dev_count_avail() == 0 || rte_eth_dev_get_name_by_port(0, name) != 0) {
		fprintf(stderr, "msw-tcp-echo: no ethdev port (give --vdev=net_tap0,iface=NAME)\n");
		goto out;
	}
	/* Hard per-lcore budget: each lcore allocates from its own pool of --mbufs. */
	for (uint32_t i = 0; i < nl; i++) {
		char pname[RTE_MEMPOOL_NAMESIZE];

		snprintf(pname, sizeof(pname), "echo_pool_%u", i);
		pools[i] =
		        rte_pktmbuf_pool_create(pname, o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		                                (int)rte_lcore_to_socket_id(lcore_of[i]));
		if (pools[i] == NULL) {
			fprintf(stderr, "msw-tcp-echo: mempool of %u mbufs for lcore %u: %s\n",
			        o.mbufs, lcore_of[i], rte_strerror(rte_errno));
			goto out;
		}
		pd.pools[i] = pools[i];
	}
	pd.name = name;
	pd.nb_queues = (uint16_t)nl;
	pd.rss = want_rss(0, nl);
	pd.rx_impair = o.imp; /* the issue: applied independently on receive and on transmit */
	pd.tx_impair = o.imp;
	pd.seed = o.seed;
	if (port_open(&prt, &pd, err, sizeof(err)) != 0) {
		fprintf(stderr, "msw-tcp-echo: %s\n", err);
		goto out;
	}
	port_up = true;
	memset(&ep, 0, sizeof(ep));
	ep.n_lcores = nl;
	ep.port = &prt;
	ep.listen_port = o.port;
	ep.idle_us = o.idle_us;
	net_params_default(&ep.net);
	ep.net.mac = prt.mac;
	ep.net.ip = o.ip;
	ep.net.prefix_len = o.prefix;
	ep.net.gateway = o.gateway;
	tcp_params_default(&ep.tcp);
	ep.tcp.max_conns = o.max_conns;
	ep.tcp.syn_backlog = o.syn_backlog;
	ep.tcp.time_wait_ms = o.time_wait_ms;
	ep.tcp.rto_min_ms = o.rto_min_ms;
	ep.tcp.mbuf_reserve = o.mbufs / 16;
	for (uint32_t i = 0; i < nl; i++) {
		int e;

		ep.id = i;
		ep.pool = pools[i];
		ep.net.socket_id = (int)rte_lcore_to_socket_id(lcore_of[i]);
		ls[i] = &lcs[i];
		e = echo_lcore_init(&lcs[i], &ep, &set);
		ready = i + 1;
		if (e != 0) {
			fprintf(stderr, "msw-tcp-echo: stack setup of lcore %u failed: %s\n",
			        lcore_of[i], strerror(-e));
			goto out;
		}
	}
	fprintf(stderr, "msw-tcp-echo: %u lcore(s) on %s, %s\n", nl, name,
	        nl == 1   ? "no steering"
	        : prt.rss ? "RSS steering"
	                  : "software steering");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	for (uint32_t i = 1; i < nl; i++)
		if (rte_eal_remote_launch(lcore_main, &lcs[i], lcore_of[i]) != 0) {
			fprintf(stderr, "msw-tcp-echo: cannot launch lcore %u\n", lcore_of[i]);
			stop = 1;
			rte_eal_mp_wait_lcore();
			goto out;
		}
	net_arp_announce(lcs[0].ifc);
	net_flush(lcs[0].ifc);
	while (!stop) {
		if (echo_lcore_poll(&lcs[0]) == 0 && o.idle_us != 0)
			usleep(o.idle_us); /* shared test machines; production polls */
		if (dump) {
			/* Counters of running lcores: single-writer, read untorn. */
			dump = 0;
			echo_lcore_print_json(stdout, ls, nl);
			tcp_stack_dump(lcs[0].tcp, stderr, 16);
		}
	}
	rte_eal_mp_wait_lcore();
	echo_lcore_print_json(stdout, ls, nl);
	rc = 0;
out:
	for (uint32_t i = 0; i < ready; i++)
		echo_lcore_fini(&lcs[i]);
	if (port_up)
		port_close(&prt);
	for (uint32_t i = 0; i < nl; i++)
		rte_mempool_free(pools[i]);
	rte_eal_cleanup();
	/*
	 * With --no-shconf only the telemetry socket is left in it (removed at exit, after we
	 * could rmdir): one directory per run would pile up otherwise.
	 */
	if (own_prefix)
		remove_runtime_dir(rundir);
	free(eargv_mem);
	return rc;
}
