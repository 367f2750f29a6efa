/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_conn: msw-client's MSRP transport, one kernel TCP connection driven from the su_root
 * loop (su_wait on the socket, su_root_register/su_root_eventmask), never blocking.
 *
 * It starts as a listener on the local address (its port goes into our a=path), because an
 * a=setup:actpass offer lets the answerer choose (RFC 6135 §4): the answer's a=setup then
 * decides between cl_conn_connect() (we are active: the focus answered passive, or gave no
 * a=setup, RFC 4975 §8.5) and cl_conn_accept() (the data plane dials us). The listener is
 * closed as soon as the choice is made or the peer is accepted.
 *
 * Output is queued without limit (the MSRP layer stops producing above CL_MSRP_TX_HIGH) and
 * written when the socket is writable; input is read straight into the buffer the MSRP
 * layer offers (ops->rx_space) so nothing is copied twice.
 *
 * Thread-safety: owned by the su_root thread.
 */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

struct cl_conn_ops {
	void (*connected)(void *ctx);                         /* TCP established (either way) */
	uint8_t *(*rx_space)(void *ctx, size_t *cap);         /* where to read into */
	int (*rx_commit)(void *ctx, size_t n);                /* 0, or -errno: close */
	void (*drained)(void *ctx);                           /* the output queue emptied */
	void (*closed)(void *ctx, int err, const char *what); /* 0 = the peer closed */
};

struct cl_conn;

/* Listens on ip:0 (backlog 1). *port gets the port. NULL with errno on failure. */
struct cl_conn *cl_conn_listen(su_root_t *root, struct in_addr ip, const struct cl_conn_ops *ops,
                               void *ctx, uint16_t *port);
/* Active: closes the listener and connects (non-blocking) from ip to the peer. 0/-errno. */
int cl_conn_connect(struct cl_conn *c, struct in_addr to, uint16_t port);
/* Passive: waits for one connection on the listener. 0/-errno. */
int cl_conn_accept(struct cl_conn *c);
/* Queues bytes; written as the socket allows. 0, -ENOTCONN, -ENOMEM. */
int cl_conn_send(struct cl_conn *c, const uint8_t *p, size_t len);
/* Bytes queued, not yet written. */
size_t cl_conn_pending(const struct cl_conn *c);
/* Closes everything (pending output is dropped); c may be NULL. */
void cl_conn_destroy(struct cl_conn *c);
