/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * tcp: a userspace TCP (RFC 9293) for one lcore, share-nothing, on top of net/.
 *
 * Thread-safety: a struct tcp_stack and all its connections belong to one lcore: every
 * function here must be called from it. Counters (struct tcp_stats) are single-writer and
 * may be read from any thread with tcp_stat_read().
 *
 * Memory: everything is allocated by tcp_stack_create() (connection pool, hash table, timer
 * wheel). At run time the stack only takes mbufs from the lcore's mempool; when slots or
 * mbufs run short, new connections are refused (counted) and existing ones keep working.
 *
 * Time: every entry point takes now_us, a monotonic microsecond clock (the lcore's TSC in
 * the data plane, a virtual clock in the simulation).
 *
 * Zero copy: received payload is handed to the application as the received mbufs (headers
 * stripped); tcp_send() queues the application's mbufs and transmits indirect mbufs that
 * reference them, so payloads may be shared (refcounted) between connections.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "net/net.h"
#include "tcp/tcp_isn.h"

enum tcp_state {
#define TCP_STATE(sym, name) TCP_STATE_##sym,
#include "tcp/tcp_states.def"
#undef TCP_STATE
	TCP_STATE_MAX
};

enum tcp_cnt {
#define TCP_CNT(sym, name, doc) TCP_CNT_##sym,
#include "tcp/tcp_counters.def"
#undef TCP_CNT
	TCP_CNT_MAX
};

enum tcp_drop {
#define TCP_DROP(sym, name, doc) TCP_DROP_##sym,
#include "tcp/tcp_drops.def"
#undef TCP_DROP
	TCP_DROP_MAX
};

extern const char *const tcp_state_names[TCP_STATE_MAX];
extern const char *const tcp_cnt_names[TCP_CNT_MAX];
extern const char *const tcp_drop_names[TCP_DROP_MAX];

/* Single writer (the owner lcore). conns[s] = connections currently in state s. */
struct tcp_stats {
	uint64_t cnt[TCP_CNT_MAX];
	uint64_t drop[TCP_DROP_MAX];
	uint64_t conns[TCP_STATE_MAX];
} __rte_cache_aligned;

static inline uint64_t
tcp_stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * Stack parameters. The project config maps tcp.rto_min_ms, tcp.time_wait_ms,
 * tcp.max_conns_per_lcore, tcp.syn_backlog, tcp.sndbuf_bytes and tcp.mbufs_per_lcore onto
 * these; tcp_params_default() gives production defaults.
 */
struct tcp_params {
	uint32_t max_conns;         /* connection slots per lcore (incl. TIME-WAIT) */
	uint32_t syn_backlog;       /* SYN-RECEIVED connections per listener before cookies */
	uint32_t sndbuf_bytes;      /* per-connection send-queue limit (backpressure) */
	uint32_t rcvbuf_bytes;      /* per-connection receive window */
	uint32_t mbuf_reserve;      /* refuse new connections when fewer mbufs are free */
	uint32_t rto_min_ms;        /* RFC 6298 §2.4 lower bound (1000 by the RFC) */
	uint32_t time_wait_ms;      /* 2*MSL; must be > 0 (TIME-WAIT is never skipped) */
	uint32_t delack_ms;         /* delayed-ACK timeout (RFC 9293 §3.8.6.3: < 500 ms) */
	uint32_t syn_retries;       /* SYN / SYN-ACK retransmissions before giving up */
	uint32_t data_retries;      /* consecutive RTO expiries before aborting */
	uint32_t keepalive_idle_ms; /* 0: keepalive off */
	uint32_t keepalive_intvl_ms;
	uint32_t keepalive_probes;
	uint32_t challenge_ack_per_s; /* RFC 5961 §7 global rate limit */
	uint16_t mss;                 /* advertised MSS; 0: interface MTU - 40 */
	uint16_t max_listeners;
	uint16_t ephemeral_lo, ephemeral_hi; /* source ports for tcp_connect */
	bool timestamps;                     /* RFC 7323 timestamps + PAWS */
	bool window_scaling;                 /* RFC 7323 §2 */
	bool syn_cookies;         /* RFC 4987 §3.6, used only while the backlog is full */
	bool sack;                /* RFC 2018: offer SACK, report out-of-order data */
	struct tcp_secret secret; /* ISN/cookie key; all-zero: random at create */
	int socket_id;
};

void tcp_params_default(struct tcp_params *p);

/* A connection as seen by the application: a slot index plus a generation (stale-safe). */
struct tcp_handle {
	uint32_t idx;
	uint32_t gen;
};

/*
 * Application callbacks, one table per listener or per active open. They run on the owner
 * lcore from inside tcp_input/tcp_timers and may call tcp_send, tcp_recv_done, tcp_close and
 * tcp_abort on any connection (including the one being called back).
 */
struct tcp_app_ops {
	/*
	 * Passive open completed (RFC 9293 §3.10.7.4 SYN-RECEIVED -> ESTABLISHED). Return 0
	 * and set *conn_ctx to accept, or non-zero to refuse (the connection is reset).
	 */
	int (*accept)(void *listen_ctx, struct tcp_handle h, void **conn_ctx);
	/* Active open completed. */
	void (*connected)(void *ctx, struct tcp_handle h);
	/*
	 * In-order payload; the application owns m (an mbuf chain, headers stripped) and must
	 * report consumed bytes with tcp_recv_done() for the window to reopen.
	 */
	void (*recv)(void *ctx, struct tcp_handle h, struct rte_mbuf *m);
	/* The peer sent FIN: no more data will arrive. */
	void (*peer_closed)(void *ctx, struct tcp_handle h);
	/* Send space was freed after tcp_send() returned -EAGAIN. */
	void (*writable)(void *ctx, struct tcp_handle h);
	/*
	 * Last callback of a connection: err 0 after an orderly close, -ECONNRESET,
	 * -ETIMEDOUT or -ECONNREFUSED otherwise. Not called after tcp_abort(). The handle is
	 * stale afterwards (the slot may live on in TIME-WAIT).
	 */
	void (*closed)(void *ctx, struct tcp_handle h, int err);
};

struct tcp_stack;

/*
 * Creates the stack for one lcore over ifc (registers itself as the IPv4 TCP handler).
 * pool is the lcore's mbuf pool (the budget). Returns NULL with errno EINVAL or ENOMEM.
 * Slow path (EAL must be initialised).
 */
struct tcp_stack *tcp_stack_create(const struct tcp_params *p, struct net_iface *ifc,
                                   struct rte_mempool *pool, uint64_t now_us);
/* Frees every connection (no packets sent, no callbacks) and the stack. NULL accepted. */
void tcp_stack_destroy(struct tcp_stack *st);

struct tcp_stats *tcp_stack_stats(struct tcp_stack *st);
const struct tcp_params *tcp_stack_params(const struct tcp_stack *st);
/* Connections holding a slot, whatever their state. */
uint32_t tcp_conns_in_use(const struct tcp_stack *st);

/*
 * Source-port filter for active opens: return true when a connection with this tuple
 * (local = ours) would be delivered to this lcore, e.g. by the NIC's RSS hash of the
 * returning packets (port_rss_lands_on). NULL: any port.
 */
typedef bool tcp_port_filter_fn(void *ctx, const struct tcp_tuple *t);
void tcp_set_port_filter(struct tcp_stack *st, tcp_port_filter_fn *fn, void *ctx);

/* Listens on local port (our address). Returns 0, -EADDRINUSE or -ENOSPC. */
int tcp_listen(struct tcp_stack *st, uint16_t port, const struct tcp_app_ops *ops, void *ctx);
/* Stops listening; established connections are not affected. Returns 0 or -ENOENT. */
int tcp_unlisten(struct tcp_stack *st, uint16_t port);

/*
 * Active open to dst_ip:dst_port (RFC 9293 §3.10.1). src_port 0 picks an ephemeral port.
 * Returns 0 and *h, or -EADDRINUSE (no free port / tuple in use), -ENOBUFS (budget).
 * The outcome arrives as ops->connected or ops->closed(-ECONNREFUSED/-ETIMEDOUT).
 */
int tcp_connect(struct tcp_stack *st, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port,
                const struct tcp_app_ops *ops, void *ctx, uint64_t now_us, struct tcp_handle *h);

/*
 * Queues the mbuf chain m for sending (RFC 9293 §3.10.2). All or nothing: on success the
 * stack owns m; on error the caller keeps it. Returns 0, -EAGAIN (send buffer full:
 * ops->writable follows), -EMSGSIZE (m alone exceeds the send buffer), -EPIPE (closed for
 * sending), -ENOTCONN (stale handle).
 */
int tcp_send(struct tcp_stack *st, struct tcp_handle h, struct rte_mbuf *m, uint64_t now_us);
/* Free send-buffer space in bytes (0 for a stale handle). */
uint32_t tcp_send_space(const struct tcp_stack *st, struct tcp_handle h);

/*
 * For senders that meet backpressure (tcp_send_space()): splits off the longest prefix of
 * whole segments of *m holding at most max bytes, zero copy (the chain is cut between
 * segments). Returns the prefix and leaves the rest in *m (NULL when all was taken), or
 * returns NULL and leaves *m untouched when even the first segment is larger than max.
 */
struct rte_mbuf *tcp_chain_split(struct rte_mbuf **m, uint32_t max);
/* Asks for ops->writable once at least half the send buffer is free again. */
void tcp_want_writable(struct tcp_stack *st, struct tcp_handle h);

/* The application consumed n bytes handed to ops->recv; reopens the receive window. */
void tcp_recv_done(struct tcp_stack *st, struct tcp_handle h, uint32_t n, uint64_t now_us);

/*
 * Orderly close (RFC 9293 §3.10.4): FIN after the queued data. Receiving continues until
 * the peer's FIN (half-close). Returns 0 or -ENOTCONN.
 */
int tcp_close(struct tcp_stack *st, struct tcp_handle h, uint64_t now_us);
/* Abort (RFC 9293 §3.10.5): RST, queues freed, no closed callback. Returns 0 or -ENOTCONN. */
int tcp_abort(struct tcp_stack *st, struct tcp_handle h, uint64_t now_us);

/* State of a connection (TCP_STATE_CLOSED for a stale handle). */
enum tcp_state tcp_conn_state(const struct tcp_stack *st, struct tcp_handle h);

/*
 * Writes one line per connection (state, sequence variables relative to the ISNs, windows,
 * timers) to f, at most max lines. Diagnostics, slow path: only between bursts.
 */
void tcp_stack_dump(const struct tcp_stack *st, FILE *f, uint32_t max);

/* Runs due timers (retransmission, delayed ACK, persist, keepalive, TIME-WAIT). */
void tcp_timers(struct tcp_stack *st, uint64_t now_us);

/*
 * End of an RX burst: sends the ACKs deferred to the end of the burst, then flushes the
 * interface. Call after every burst and after application sends outside callbacks.
 */
void tcp_flush(struct tcp_stack *st);

/* The IPv4 handler registered on the interface (exposed for fuzzers and tests). */
void tcp_input(void *stack, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint64_t now_us);
