/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * echo_lcore: one echo worker of msw-tcp-echo, share-nothing per lcore: its own port queue,
 * mbuf pool, net interface (same address and MAC on every lcore), TCP stack and echo
 * application. With several lcores the flows are spread by the NIC's RSS, or by software
 * steering over hand-off rings where the port cannot steer (net_tap, net_memif): the lcore
 * that receives a segment hands it to the flow's owner (dataplane/steer).
 *
 * Thread-safety: a struct echo_lcore is used only by its lcore between echo_lcore_init() and
 * echo_lcore_fini() (both on the main lcore while it is not running). Its counters (port,
 * net, tcp, steer stats) are single-writer and may be read from any thread; the echo
 * application counters and tcp_conns_in_use() are exact only once the lcore has stopped.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>

#include "echo/echo.h"
#include "net/net.h"
#include "port/port.h"
#include "steer/steer.h"
#include "tcp/tcp.h"

struct echo_lcore_params {
	uint32_t id;       /* index = port queue = steering slot */
	uint32_t n_lcores; /* echo lcores sharing the port */
	struct port *port; /* opened with n_lcores queues */
	struct rte_mempool *pool;
	struct net_params net;
	struct tcp_params tcp;
	uint16_t listen_port;
	uint32_t idle_us; /* sleep after an empty poll (shared test machines); 0 = busy poll */
};

struct echo_lcore {
	struct echo_lcore_params p;
	struct port_queue *q;
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct steer *steer;
	struct echo echo;
	bool echo_ready;
	uint64_t now_us, hz;
};

/*
 * Builds the lcore's net interface, TCP stack, steering state (registered in set) and echo
 * listener. Returns 0 or -errno; on failure call echo_lcore_fini().
 */
int echo_lcore_init(struct echo_lcore *l, const struct echo_lcore_params *p, struct steer_set *set);
/* Frees everything echo_lcore_init() built (also after a partial init). */
void echo_lcore_fini(struct echo_lcore *l);

/* One loop iteration: receive, steer, TCP, timers, transmit. Returns packets processed. */
unsigned int echo_lcore_poll(struct echo_lcore *l);
/* Runs echo_lcore_poll() until *stop is set (non-zero); lcore entry for rte_eal_remote_launch. */
int echo_lcore_run(struct echo_lcore *l, const volatile int *stop);

/*
 * Writes the msw-tcp-echo JSON object (issue #4 schema: conns_open, conns_time_wait,
 * mbufs_in_use, syn_cookies_sent, segs_rx, segs_tx, retransmits, drops; then impair, tcp,
 * steer and per_lcore) summed over the n lcores, as one line on f.
 */
void echo_lcore_print_json(FILE *f, struct echo_lcore *const *ls, uint32_t n);
