/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * worker: one data-plane lcore's MSRP loop, gluing port -> net -> tcp -> switch engine
 * (docs/dataplane.md). It owns, for its lcore: a port queue, a net interface, a TCP stack,
 * the engine's struct sw_lcore, the per-connection glue state and a ring of events to the
 * control thread.
 *
 *  - TCP -> switch: received mbuf chains are fed to sw_conn_rx() segment by segment, each
 *    segment being the engine's struct sw_buf (hold/release = mbuf refcount), so bodies are
 *    forwarded by reference (zero copy).
 *  - switch -> TCP (struct sw_transport_ops): a frame becomes one mbuf chain: headers and
 *    small bodies copied into direct mbufs, larger body pieces attached as indirect mbufs to
 *    the received ones. A full send buffer is reported as -ENOBUFS (slow-recipient policy).
 *  - Backpressure: when a recipient's send queue gets high the senders whose chunks filled it
 *    stop getting their receive window reopened (tcp_recv_done deferred) until it drains, so
 *    a fast sender is paced by its slowest recipient instead of losing copies; a recipient
 *    congested for longer than the slow timeout is reset (the sessions on it end).
 *  - Events (struct sw_event_ops) are copied into records on an SPSC ring that the control
 *    thread drains (wk_evt_drain) and posts on the control channel.
 *
 * Thread-safety: struct wk and everything it points to belong to its lcore, except: the
 * event ring (single producer = this lcore, single consumer = the control thread), the
 * counters (single writer, read anywhere) and the shm counters row (written only here).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "msw/msw_ctl_abi.h"
#include "net/net.h"
#include "port/port.h"
#include "steer/steer.h"
#include "switch/sw.h"
#include "tcp/tcp.h"

enum wk_cnt {
#define WK_CNT(sym, name, doc) WK_CNT_##sym,
#include "worker/wk_counters.def"
#undef WK_CNT
	WK_CNT_MAX
};

extern const char *const wk_cnt_names[WK_CNT_MAX];

/* Held buffers of one frame after which its next bytes are copied into a large buffer. */
#define WK_COALESCE_AT 8u
/* Data room of the large buffers (an mbuf's data_len is 16 bits). */
#define WK_BIG_BUF_BYTES (32u * 1024u)

/* Largest event detail (final-report document, history chunk) carried in one record. */
#define WK_EVT_DETAIL_MAX (32u * 1024u)

/*
 * An event on its way to the control thread. Leg and message events come from a pool of
 * small records (no detail); final reports and history copies from a pool of records with
 * WK_EVT_DETAIL_MAX bytes of detail, so a high message rate does not cost 32 KiB per event.
 */
struct wk_evt {
	struct rte_mempool *pool; /* where it returns; NULL: the caller's buffer */
	uint16_t type;            /* MSW_CTL_EV_* */
	uint32_t detail_len;
	uint32_t ct_len; /* EV_HISTORY: Content-Type length, at the start of detail */
	union {
		struct msw_ctl_ev_leg leg;
		struct msw_ctl_ev_msg msg;
		struct msw_ctl_ev_report report;
	} u;
	uint8_t detail[]; /* WK_EVT_DETAIL_MAX bytes in records of the large pool */
};

/* Delivers an event raised on a thread that is not a worker (LEG_DEL on the control thread). */
typedef void wk_evt_direct_fn(void *arg, const struct wk_evt *ev);

/* Everything a worker needs; filled by the daemon before wk_create(). */
struct wk_params {
	uint32_t id; /* worker index = switch lcore index = counters row */
	struct port_queue *q;
	/*
	 * Steering of flows to workers (issue: flows belong to the lcore RSS delivers them to):
	 *  - rss_port set: the NIC spreads flows by RSS; active opens pick a source port whose
	 *    RSS hash lands on this worker (port_rss_lands_on);
	 *  - handoff (ports that cannot steer, e.g. net_tap): every worker computes the owner of
	 *    each received TCP packet with steer_flow_owner() and passes packets of other
	 *    workers' flows over their hand-off rings; ARP goes to every worker; active opens
	 *    pick a source port the same function gives to this worker (dataplane/steer).
	 */
	const struct port *rss_port;
	bool handoff;
	uint32_t n_workers;
	struct rte_mempool *pool;
	/*
	 * Large buffers a long frame's remaining bytes are copied into once the engine holds
	 * WK_COALESCE_AT receive buffers for it: a chunk may span only MSRP_BODY_SEGS_MAX
	 * buffers, and TCP delivers ~1448-byte segments. NULL: no coalescing.
	 */
	struct rte_mempool *big_pool;
	struct net_params net;
	struct tcp_params tcp;
	uint16_t msrp_port;
	uint32_t max_conns;
	uint32_t slow_timeout_ms;  /* congested this long -> reset */
	uint32_t close_grace_ms;   /* FIN sent, no close after this -> reset */
	uint32_t copy_max;         /* body pieces up to this size are copied, not referenced */
	uint32_t max_chunk_bytes;  /* msrp.max_chunk_bytes: sizes the per-connection overflow */
	uint32_t evt_ring_size;    /* power of two */
	uint32_t idle_sleep_us;    /* cap of the adaptive idle sleep, 0 = busy poll */
	_Atomic uint64_t *ctr_row; /* shm counters row (ctl_server_counters_row), may be NULL */
};

struct wk;

/*
 * The transport/buffer/event ops tables the engine is created with; their ctx is the
 * struct wk_set below. Register the workers in it before sw_engine_create().
 */
struct wk_set {
	struct wk *w[SW_LCORES_MAX];
	uint32_t n;
	struct steer_set steer; /* the workers' flow steering (hand-off rings) */
	wk_evt_direct_fn *direct;
	void *direct_arg;
};
extern const struct sw_transport_ops wk_transport_ops;
extern const struct sw_buf_ops wk_buf_ops;
extern const struct sw_event_ops wk_event_ops;

/*
 * Creates a worker (net interface, TCP stack listening on msrp_port, glue state, event
 * ring). Slow path, before the lcore runs. Returns NULL with errno.
 */
struct wk *wk_create(const struct wk_params *p, struct wk_set *set);
/* Binds the worker to its switch lcore (after sw_engine_create()). */
void wk_attach(struct wk *w, struct sw_lcore *lc);
void wk_destroy(struct wk *w);

/*
 * Call on the worker's own thread before its first wk_poll(): makes the thread the owner
 * (events raised on it go to its ring).
 */
void wk_thread_enter(struct wk *w);

/*
 * One loop iteration: receive burst -> TCP -> switch; every few iterations timers, engine
 * housekeeping and counters. Returns the number of packets received (0 = idle).
 */
unsigned int wk_poll(struct wk *w);
/* Sleeps after idle iterations (adaptive, capped by idle_sleep_us); returns at once if busy. */
void wk_idle(struct wk *w, unsigned int got);
void wk_set_idle_sleep(struct wk *w, uint32_t us);

/* Stop accepting MSRP connections (drain) or accept again. */
void wk_set_accepting(struct wk *w, bool on);
/* Orderly shutdown: close every connection; wk_poll() until wk_conns_open() is 0. */
void wk_close_all(struct wk *w);
uint32_t wk_conns_open(const struct wk *w);

/* Control thread: drains up to max events of this worker's ring into fn. */
unsigned int wk_evt_drain(struct wk *w, wk_evt_direct_fn *fn, void *arg, unsigned int max);

/* Counter names of a worker row, in publication order. Returns how many (<= cap). */
uint32_t wk_counter_names(const char **names, char (*buf)[32], uint32_t cap);
/* Writes the current values into the shm row (also done by wk_poll every millisecond). */
void wk_publish(struct wk *w);
uint64_t wk_counter(const struct wk *w, enum wk_cnt id);

/* Diagnostics for the JSON/telemetry views. */
struct tcp_stack *wk_tcp(struct wk *w);
struct net_iface *wk_net(struct wk *w);
