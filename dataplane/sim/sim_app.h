/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The simulation's client application: a stream client that sends a deterministic
 * pseudo-random byte stream and checks that the echo returns exactly that stream. The server
 * side runs dataplane/echo, the application msw-tcp-echo runs.
 *
 * Thread-safety: single-threaded, like the simulation.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#define SIM_APP_MAX_CONNS 4096

/* Stream client connection. */
struct sim_client;

struct sim_client_conn {
	struct sim_client *cl;
	struct tcp_handle h;
	uint64_t seed;
	uint64_t total;    /* bytes to send */
	uint64_t tx_off;   /* bytes queued */
	uint64_t rx_off;   /* bytes echoed back and verified */
	uint64_t mismatch; /* first bad offset + 1, 0 = none */
	bool connected, blocked, closing, closed;
	int err;
};

struct sim_client {
	struct tcp_stack *tcp;
	struct rte_mempool *pool;
	uint64_t *now_us;
	struct sim_rng rng; /* chunk sizes */
	uint32_t max_chunk;
	uint32_t n;
	uint32_t closed, failed;
	struct sim_client_conn c[SIM_APP_MAX_CONNS];
};

extern const struct tcp_app_ops sim_client_ops;

/* Byte i of the stream identified by seed. */
uint8_t sim_stream_byte(uint64_t seed, uint64_t i);

/* Opens one connection sending total bytes; returns its index or -errno. */
int sim_client_open(struct sim_client *cl, uint32_t dst_ip, uint16_t port, uint64_t seed,
                    uint64_t total);
/* Queues as much as the send buffers allow on every connection. */
void sim_client_pump(struct sim_client *cl);
