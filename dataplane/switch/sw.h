/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Conference switch engine (OMA SIMPLE IM 4.3.1 Controlling IM Function media side, 5.7
 * final report; RFC 4975; requirement ids SWX, FDR, MCH, MRP in shared/spec/requirements.md).
 *
 * The engine has no DPDK dependency. It sees the world through three ops tables:
 *  - struct sw_transport_ops: send a chain of segments on a connection, close it, open an
 *    active connection (glued to dataplane/tcp/tcp.h later, an in-memory wire in tests);
 *  - struct sw_buf_ops: hold/release a refcounted receive buffer, so fan-out copies share the
 *    received body bytes (rte_mbuf refcounts in the data plane, a heap buffer in tests);
 *  - struct sw_event_ops: events to the control plane, as the ABI records of
 *    include/msw/msw_ctl_abi.h (EV_LEG_BOUND, EV_LEG_CLOSED, EV_MSG_DONE, EV_FINAL_REPORT).
 * Time is a parameter (now_us), so tests drive a virtual clock.
 *
 * Objects:
 *  - struct sw_engine: the tables (conferences by id, legs by local session-id), liburcu
 *    lock-free hash tables read under QSBR, written only by the control thread.
 *  - struct sw_lcore: per data-plane lcore state (connections, message trackers, outgoing
 *    transactions, counters), preallocated at creation; no malloc on the chunk path.
 *
 * Thread-safety: sw_conf_* / sw_leg_* (control commands) run on the control thread, which
 * must be a registered QSBR reader (urcu_qsbr_register_thread); what they need from an lcore
 * (unbinding a deleted leg, dialling an active leg) goes to that lcore as a command on its
 * control ring. sw_conn_* and sw_lcore_* run on the thread that owns the sw_lcore, also a
 * registered QSBR reader that reports quiescent states between bursts. Lcores exchange
 * chunk references and outcomes over per-pair SPSC rings (sw_ring.h) drained by
 * sw_lcore_poll(). Event ops are called from the control thread (leg deleted) and from the
 * lcores (everything else).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msrp/msrp_types.h"
#include "msw/msw_ctl_abi.h"

/* A receive buffer owned by the transport; the engine only passes it to sw_buf_ops. */
struct sw_buf;

/*
 * Reference counting of receive buffers (zero-copy bodies).
 * Thread-safety: hold/release may be called from any lcore that received a reference.
 */
struct sw_buf_ops {
	void (*hold)(void *ctx, struct sw_buf *b);
	void (*release)(void *ctx, struct sw_buf *b);
};

/*
 * One segment of an outgoing frame. buf == NULL: the bytes are transient (headers written by
 * the engine) and valid only during the send() call; the transport copies them. buf != NULL:
 * the bytes live in that receive buffer; the transport takes a hold if it keeps them.
 */
struct sw_seg {
	const uint8_t *p;
	uint32_t len;
	struct sw_buf *buf;
};

/* Transport connection id (the TCP handle in the data plane). */
typedef uint64_t sw_tconn_t;
#define SW_TCONN_NONE UINT64_MAX

struct sw_transport_ops {
	/*
	 * Queue one whole frame (segs in order) on a connection; frames are never interleaved
	 * byte-wise. Returns 0, -ENOBUFS when the connection's send queue is over its limit
	 * (nothing queued: the slow-recipient policy applies), or -EPIPE (connection gone).
	 */
	int (*send)(void *ctx, sw_tconn_t c, const struct sw_seg *segs, unsigned int n_segs);
	/* Close a connection; the transport later calls sw_conn_closed(). */
	void (*close)(void *ctx, sw_tconn_t c);
	/*
	 * Active open toward uri (the first URI of a leg's path, RFC 4975 §5.4). Returns 0 and
	 * sets *c; frames sent before the connection is established are queued by the
	 * transport. The engine registers the new connection itself (no sw_conn_open()).
	 */
	int (*connect)(void *ctx, const struct msrp_uri *uri, sw_tconn_t *c);
};

/* Events to the control plane (msw_ctl_msgs.def EVT), as their ABI payloads. */
struct sw_event_ops {
	void (*leg_bound)(void *ctx, const struct msw_ctl_ev_leg *ev);
	void (*leg_closed)(void *ctx, const struct msw_ctl_ev_leg *ev);
	void (*msg_done)(void *ctx, const struct msw_ctl_ev_msg *ev);
	/* detail: the same bytes as the final-report document sent to the originator. */
	void (*final_report)(void *ctx, const struct msw_ctl_ev_report *ev, const uint8_t *detail,
	                     uint32_t detail_len);
	/*
	 * EV_HISTORY: one received chunk of a message whose sender or conference keeps history
	 * (ev: sender, Message-ID, msg_len = Byte-Range total or 0, msg_flags = the chunk's
	 * continuation flag). offset: 0-based position of the chunk's first body byte. The body
	 * segments are valid during the call (hold their buffers to keep them: zero copy).
	 */
	void (*history)(void *ctx, const struct msw_ctl_ev_msg *ev, uint64_t offset,
	                struct msrp_span content_type, const struct sw_seg *body,
	                unsigned int n_segs);
};

/* Why a leg closed (EV_LEG_CLOSED reason). */
#define SW_CLOSE_REASON_LIST(X)                                                                    \
	X(DELETED, "deleted by the control plane")                                                 \
	X(CONN_CLOSED, "its connection closed")                                                    \
	X(PROTOCOL, "the peer broke MSRP framing on the connection")                               \
	X(SLOW, "disconnected by the slow-recipient policy")

enum sw_close_reason {
#define SW_CLOSE_ENUM(sym, doc) SW_CLOSE_##sym,
	SW_CLOSE_REASON_LIST(SW_CLOSE_ENUM)
#undef SW_CLOSE_ENUM
	        SW_CLOSE_COUNT
};
/* The values are ABI (msw_ctl_ev_leg.reason, docs/ctl-abi.md): append, never renumber. */
static_assert(SW_CLOSE_DELETED == 0 && SW_CLOSE_CONN_CLOSED == 1 && SW_CLOSE_PROTOCOL == 2 &&
                      SW_CLOSE_SLOW == 3,
              "ABI: msw_ctl_ev_leg.reason");

/* Counters and drop reasons of an lcore, declared once in sw_counters.def. */
enum sw_cnt {
#define SW_CNT(sym, name, doc) SW_CNT_##sym,
#include "switch/sw_counters.def"
#undef SW_CNT
	SW_CNT_MAX
};

enum sw_slow_policy {
	SW_SLOW_DROP = 0,   /* stop the message to that recipient, outcome failed 503 */
	SW_SLOW_DISCONNECT, /* close the recipient's connection */
};

/* Engine parameters (from the data-plane config). */
struct sw_params {
	uint32_t max_legs;      /* legs in the whole engine */
	uint32_t max_conf_legs; /* legs in one conference (recipient array of a message) */
	uint32_t max_conns;     /* connections per lcore */
	uint32_t max_msgs;      /* messages in flight per lcore */
	uint32_t max_tx;        /* outgoing transactions in flight per lcore */
	uint32_t rechunk_bytes; /* largest body forwarded in one outgoing chunk */
	uint64_t max_msg_bytes; /* default conference max-size */
	uint32_t tx_timeout_ms; /* transaction timeout: no response -> 408 */
	uint32_t final_report_timeout_ms; /* no success REPORT after the last ack -> 408 */
	/*
	 * FDR-06: a final-report document larger than this is split into several (together
	 * every recipient exactly once). 0 = FDR_DOC_MAX (64 KiB, what common/fdr and the client
	 * accept); otherwise 256..FDR_DOC_MAX. A single recipient that does not fit alone still
	 * gets a document of its own up to FDR_DOC_MAX.
	 */
	uint32_t final_report_max_bytes;
	enum sw_slow_policy slow_policy;
	uint32_t n_lcores;           /* data-plane lcores, 1..SW_LCORES_MAX */
	uint32_t max_xfer;           /* cross-lcore copies in flight per lcore */
	uint32_t max_header_bytes;   /* MSRP header block limit (msrp.max_header_bytes) */
	uint32_t max_chunk_bytes;    /* largest chunk body accepted (msrp.max_chunk_bytes) */
	const char *local_authority; /* "host:port" of our MSRP URIs */
	const uint8_t *id_seed;      /* 32 bytes: deterministic ids for tests; NULL = random */
};

void sw_params_default(struct sw_params *p);

#define SW_LCORES_MAX 8u

struct sw_engine;
struct sw_lcore;

/*
 * Create the engine and the state of its p->n_lcores lcores. Ops tables are copied;
 * the ctx pointers are passed back to every call. Returns NULL with errno (EINVAL, ENOMEM).
 * Control thread; the caller must be a registered QSBR thread.
 */
struct sw_engine *sw_engine_create(const struct sw_params *p, const struct sw_transport_ops *tops,
                                   void *tctx, const struct sw_buf_ops *bops, void *bctx,
                                   const struct sw_event_ops *eops, void *ectx);
/*
 * Closes everything (no events), waits for RCU callbacks, frees. The lcore threads must
 * have stopped (their rings are drained here). Accepts NULL.
 */
void sw_engine_destroy(struct sw_engine *e);
struct sw_lcore *sw_engine_lcore(struct sw_engine *e, unsigned int i);

/* ---- control commands (control thread) ---- */

/* What CONF_CREATE carries in blobs (resolved by the glue), plus a direct history switch. */
struct sw_conf_opts {
	struct msrp_span uri; /* conference URI, CPIM To of group messages; empty = derived */
	bool history;         /* same as MSW_CTL_CONF_F_HISTORY in c->flags */
};

/*
 * CONF_CREATE. c->max_size 0 = params default. c->flags: MSW_CTL_CONF_F_SETTLED (EV_MSG_DONE
 * again once settled), MSW_CTL_CONF_F_HISTORY (every message to the history event),
 * MSW_CTL_CONF_F_NO_ANONYMOUS (anonymous LEG_ADD refused -EPERM). opts NULL = defaults: the
 * conference URI is "sip:<id>@<our host>", no history unless the flag says so.
 * Returns 0, -EEXIST, -EINVAL (bad id, policy, unknown flag, uri, max_legs > max_conf_legs)
 * or -ENOMEM.
 */
int sw_conf_create(struct sw_engine *e, const struct msw_ctl_conf_create *c,
                   const struct sw_conf_opts *opts);
/* CONF_DEL: deletes the legs too (each as LEG_DEL). Returns 0 or -ENOENT. */
int sw_conf_del(struct sw_engine *e, const struct msw_ctl_conf_id *id, uint64_t now_us);

/* What LEG_ADD carries once the blobs are resolved (msw_ctl_leg_add v2 + its blobs). */
struct sw_leg_params {
	struct msw_ctl_conf_id conf;
	struct msrp_span path;         /* remote To-Path: SP-separated MSRP URIs, relays first */
	struct msrp_span identity;     /* SIP URI of the participant */
	struct msrp_span alias;        /* display name / chat alias */
	struct msrp_span accept_types; /* SP-separated media types, "*" and "type/ *" allowed */
	/*
	 * a=accept-wrapped-types (RFC 4975 §8.6): the types it takes inside message/cpim, in
	 * addition to its accept-types. Empty = not given: the wrapped type is not checked.
	 */
	struct msrp_span accept_wrapped_types;
	uint64_t max_size; /* a=max-size, 0 = none */
	bool active;       /* a=setup:active: we connect (RFC 6135) */
	uint32_t lcore;    /* active legs: the lcore that dials */
	bool anonymous;
	bool recv_only; /* a=recvonly from the participant's view: its SENDs get 403 */
	bool send_only; /* a=sendonly: it receives nothing */
	bool history;   /* this participant's messages go to the history event */
	/*
	 * Session-id to use instead of drawing one: a control plane replaying its legs into a
	 * restarted data plane (the participants' SDP already carries it). Empty = draw.
	 */
	struct msrp_span session_id;
	/* "host:port" an active leg dials instead of its path's first hop (RFC 6714 CEMA). */
	struct msrp_span connect;
};

/*
 * LEG_ADD: allocates the leg, draws its session-id (>= 80 random bits), publishes it and a
 * new member array. Writes the local URI into uri (cap bytes, NUL-terminated) and the
 * session-id into key. For an active leg, lcore lp->lcore connects when its sw_lcore_poll()
 * runs next. Returns 0, -ENOENT (no conference), -ENOSPC (conference or engine full, or the
 * lcore's control ring), -EPERM (anonymous leg in a conference created with
 * MSW_CTL_CONF_F_NO_ANONYMOUS), -EINVAL (bad path/params/lcore, both recv_only and
 * send_only) or -ENOBUFS (uri too small).
 */
int sw_leg_add(struct sw_engine *e, const struct sw_leg_params *lp, char *uri, size_t cap,
               struct msw_ctl_leg_key *key);
/*
 * LEG_SET (msw_ctl_leg_set once its blobs are resolved): what = MSW_CTL_LEG_SET_PATH and/or
 * MSW_CTL_LEG_SET_CONNECT.
 */
struct sw_leg_set_params {
	uint32_t what;
	struct msrp_span path;    /* new remote To-Path (SP-separated MSRP URIs, relays first) */
	struct msrp_span connect; /* "host:port" an active leg dials instead of the path's first
	                           * hop (the glue formats msw_ctl_addr); empty = the path's */
};

/*
 * LEG_SET: replace a leg's remote path and/or connect address (dial-out: the path is known
 * only after the SDP answer; a re-INVITE may change it). Copies sent afterwards use the new
 * To-Path. An active leg that is not bound yet (added with an empty path) connects once it
 * has a path, at its lcore's next sw_lcore_poll(). Waits for an RCU grace period (control
 * thread, registered QSBR reader). Returns 0, -ENOENT (no such leg in that conference) or
 * -EINVAL (what empty or unknown, empty or invalid path, bad connect address); on error the
 * leg is unchanged.
 */
int sw_leg_set(struct sw_engine *e, const struct msw_ctl_leg_key *key,
               const struct sw_leg_set_params *sp);

/*
 * LEG_DEL: the leg leaves (outcome "left" for its pending messages, once its lcore has run
 * sw_lcore_poll()). Emits leg_closed (DELETED) at once. 0 or -ENOENT.
 */
int sw_leg_del(struct sw_engine *e, const struct msw_ctl_leg_key *key, uint64_t now_us);

/* ---- listings (control thread, registered QSBR reader: CONF_LIST, LEG_LIST) ---- */

struct sw_conf_info {
	struct msw_ctl_conf_id id;
	uint32_t max_legs, n_legs;
	uint64_t max_size;
	uint8_t cpim_policy;
	uint8_t flags; /* MSW_CTL_CONF_F_* */
};

/* Views into the leg, valid until the control thread's next command or quiescent state. */
struct sw_leg_info {
	struct msw_ctl_leg_key key;
	struct msrp_span local_uri, path, connect, identity, alias, accept_types;
	struct msrp_span accept_wrapped_types;
	uint64_t max_size;
	bool active, anonymous, recv_only, send_only, history;
	uint8_t state;  /* enum msw_ctl_leg_state */
	uint32_t lcore; /* owner lcore when bound, UINT32_MAX otherwise */
};

/* Visitors return non-zero to stop. */
typedef int sw_conf_visit_fn(void *arg, const struct sw_conf_info *ci);
typedef int sw_leg_visit_fn(void *arg, const struct sw_leg_info *li);

/* Every conference in table order; returns how many were visited. */
int sw_conf_foreach(struct sw_engine *e, sw_conf_visit_fn *fn, void *arg);
/* The legs of one conference in join order; returns how many were visited, or -ENOENT. */
int sw_leg_foreach(struct sw_engine *e, const struct msw_ctl_conf_id *conf, sw_leg_visit_fn *fn,
                   void *arg);
/* One leg by key: 0 or -ENOENT. */
int sw_leg_get(struct sw_engine *e, const struct msw_ctl_leg_key *key, struct sw_leg_info *li);

/* Conferences and legs in the tables now (gauges; any thread). */
void sw_engine_objects(const struct sw_engine *e, uint64_t *confs, uint64_t *legs);

/* ---- data path (owning lcore) ---- */

/*
 * A transport connection appeared (accepted). *conn receives the engine's connection index,
 * which the transport passes to the calls below (its per-connection context). 0 or -ENOSPC.
 */
int sw_conn_open(struct sw_lcore *lc, sw_tconn_t c, uint32_t *conn);
/*
 * In-order bytes of connection conn. buf is the receive buffer holding them (valid during the
 * call; the engine takes holds for what it keeps). Returns 0, or -EPROTO when the stream is
 * not MSRP (the connection is closed through ops->close).
 */
int sw_conn_rx(struct sw_lcore *lc, uint32_t conn, const uint8_t *data, uint32_t len,
               struct sw_buf *buf, uint64_t now_us);
/*
 * The engine index of transport connection tc: how the transport learns the index of a
 * connection the engine opened itself (active legs, ops->connect). Slow path (a scan of the
 * lcore's connections): call it once per new connection. 0 or -ENOENT.
 */
int sw_conn_lookup(const struct sw_lcore *lc, sw_tconn_t tc, uint32_t *conn);
/*
 * Receive buffers the engine holds for connection conn's frame in progress. One chunk may
 * span at most MSRP_BODY_SEGS_MAX buffers: a transport that delivers small segments copies
 * the rest of a long frame into larger buffers once this grows (contiguous bytes of one
 * buffer count once). A SEND body forwarded while it arrives (cut-through) releases its
 * buffers as its pieces go out, so this stays near rechunk_bytes worth of buffers.
 */
uint32_t sw_conn_held(const struct sw_lcore *lc, uint32_t conn);
/*
 * For the transport, inside ops->send: true when the frame is a copy switched on another
 * lcore, with that lcore and the sender's transport connection there (so the transport can
 * pause that sender when this recipient congests). False for frames of this lcore's own
 * traffic (the sender is the connection passed to sw_conn_rx).
 */
bool sw_lcore_send_origin(const struct sw_lcore *lc, uint32_t *lcore, sw_tconn_t *tc);
/* The transport connection is gone (any reason). Its legs close. */
void sw_conn_closed(struct sw_lcore *lc, uint32_t conn, uint64_t now_us);
/*
 * Housekeeping of one lcore, once per loop iteration: control commands, the rings from the
 * other lcores (copies to send, outcomes of copies sent elsewhere), timers (transaction and
 * final-report timeouts), then publishes what it put on its outgoing rings.
 */
void sw_lcore_poll(struct sw_lcore *lc, uint64_t now_us);
/* Work pending on this lcore's incoming rings (tests and shutdown loop until it is 0). */
uint32_t sw_lcore_pending(struct sw_lcore *lc);

/* Counter value (single writer: the lcore; any thread may read). */
uint64_t sw_lcore_counter(const struct sw_lcore *lc, enum sw_cnt id);
const char *sw_counter_name(enum sw_cnt id);
/* Messages in flight (trackers in use): tests check that everything is released. */
uint32_t sw_lcore_msgs_in_use(const struct sw_lcore *lc);
uint32_t sw_lcore_tx_in_use(const struct sw_lcore *lc);
