/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * echo: a TCP application that sends every received byte back on the same connection,
 * zero copy (the received mbufs are queued for sending). Backpressure: bytes are reported
 * consumed (tcp_recv_done) only once TCP accepted them for sending, so a slow reader closes
 * our receive window instead of growing memory. Closes after the peer's FIN once all is sent.
 *
 * Thread-safety: one struct echo per lcore, used only from that lcore.
 */

#include <stdint.h>

#include "tcp/tcp.h"

struct echo_conn;

struct echo {
	struct tcp_stack *tcp;
	const uint64_t *now_us; /* the lcore's clock, read in callbacks */
	struct echo_conn *conns;
	uint32_t nconns, free_head;
	uint64_t accepted, refused;
	uint64_t closed, closed_err; /* connections ended, and those ended by an error */
};

/* Allocates per-connection state for max_conns connections. Returns 0 or -ENOMEM. */
int echo_init(struct echo *e, struct tcp_stack *tcp, const uint64_t *now_us, uint32_t max_conns);
void echo_fini(struct echo *e);

/* Listens on port with the echo behaviour. Returns tcp_listen()'s result. */
int echo_listen(struct echo *e, uint16_t port);
