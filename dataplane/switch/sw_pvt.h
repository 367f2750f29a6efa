/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/* Switch engine internals, shared by sw_table.c, sw_input.c and sw_rpt.c only. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "msrp/msrp_id.h"
#include "switch/sw.h"
#include "switch/sw_ring.h"

#define SW_NONE       UINT32_MAX
#define SW_SID_LEN    20u  /* session-id: 20 ident chars = 119.9 random bits (>= 80) */
#define SW_URI_MAX    128u /* our local URI */
#define SW_PATH_MAX   512u /* a leg's To-Path */
#define SW_IDENT_MAX  256u /* identity URI */
#define SW_ALIAS_MAX  128u
#define SW_ACCEPT_MAX 256u
#define SW_ACCEPT_N   16u /* media types in accept-types */
#define SW_CONN_LEGS  4u  /* legs bound to one connection (RFC 4975 connection reuse) */
#define SW_TID_RAND   14u /* random ident chars of an outgoing tid (83.9 bits) */
#define SW_TID_LEN    (SW_TID_RAND + 8u) /* + 8 hex chars: transaction slot index */
#define SW_MSGID_MAX  MSW_CTL_MSGID_MAX
#define SW_HEAD_MAX   2048u /* re-headered chunk head */
#define SW_HELD_MAX   (MSRP_BODY_SEGS_MAX + 2u)
/* What an anonymous participant is called in CPIM and in final reports (RFC 3323 style). */
#define SW_ANON_URI      "sip:anonymous@anonymous.invalid"
#define SW_OPEN_MSGS     8u /* messages of one sender interleaved at once (per leg) */
#define SW_MSG_HASH_BITS 12u

/*
 * A participant leg. Identity and addressing fields are immutable once the leg is
 * published in the table; gen is bumped (release) when the leg is deleted, so handles
 * {idx, gen} held by messages in flight detect the reuse. The slot returns to the free list
 * through call_rcu, after every reader has left the lfht node.
 * Thread-safety: immutable part read by any lcore under QSBR; lcore is claimed by CAS by the
 * lcore that binds the leg and read by every lcore (acquire) to route copies; conn and
 * connect_pending are touched only by that owning lcore; gen is written by the control
 * thread (release) and read by lcores (acquire); free_next belongs to the free list (control
 * thread pops, call_rcu thread pushes).
 */
/*
 * A leg's remote addressing (one slot of sw_leg.addr). Thread-safety: written only by the
 * control thread while the slot is not published; immutable while published and for a grace
 * period after it is replaced.
 */
struct sw_leg_addr {
	uint16_t path_len; /* 0: not known yet (an active leg waiting for LEG_SET) */
	uint16_t hdr_paths_len;
	uint16_t connect_len;
	char path[SW_PATH_MAX];
	/* "To-Path: <path>\r\nFrom-Path: <uri>\r\n", validated when the slot is filled. */
	char hdr_paths[SW_PATH_MAX + SW_URI_MAX + 32];
	/* "host:port" an active leg dials instead of its path's first hop; "" = the path's. */
	char connect[SW_URI_MAX];
};

struct sw_leg {
	struct cds_lfht_node node; /* engine->legs, key = sid */
	struct rcu_head rcu;
	_Atomic uint32_t gen;
	uint32_t idx;
	struct sw_engine *owner; /* for the call_rcu callback */
	struct sw_conf *conf;
	uint8_t sid[SW_SID_LEN];
	char uri[SW_URI_MAX]; /* our URI on this leg (From-Path toward it) */
	uint16_t uri_len;
	/*
	 * Remote addressing, replaceable by LEG_SET (dial-out: the path is known only after
	 * the SDP answer). Two slots: the control thread fills the one not in use, publishes it
	 * (addr_cur, release) and waits a grace period before it may fill the other again, so
	 * a slot an lcore read (sw_leg_addr(), acquire) never changes under it within a burst.
	 */
	struct sw_leg_addr addr[2];
	uint32_t addr_cur;
	uint32_t dial_lcore; /* active legs: the lcore that connects */
	char identity[SW_IDENT_MAX];
	uint16_t identity_len;
	uint16_t alias_len;
	char alias[SW_ALIAS_MAX];
	char accept[SW_ACCEPT_MAX];
	struct msrp_span accept_type[SW_ACCEPT_N];
	uint8_t n_accept;
	uint8_t n_wrapped; /* 0: accept-wrapped-types not given, wrapped types not checked */
	struct msrp_span wrapped_type[SW_ACCEPT_N];
	char accept_wrapped[SW_ACCEPT_MAX];
	bool active, anonymous, recv_only, send_only, history;
	uint64_t max_size;
	/* Owner-lcore state. lcore is read by every lcore (relaxed/acquire) to route copies. */
	_Atomic uint32_t lcore; /* lcore of the bound connection, or SW_NONE */
	/* enum msw_ctl_leg_state, written by the owner lcore, read by listings (relaxed). */
	_Atomic uint8_t state;
	uint32_t conn;     /* index in that lcore's conns, or SW_NONE */
	bool sent_message; /* it started a message (MSW_CTL_CONF_F_ONE_MESSAGE) */
	bool connect_pending;
	bool in_use;
	uint32_t free_next;
};

/* Immutable member array, replaced as a whole on every membership change (RCU). */
struct sw_members {
	struct rcu_head rcu;
	uint32_t n;
	struct sw_leg *leg[];
};

/*
 * A conference. Thread-safety: id and policy immutable; members RCU-published by the control
 * thread (rcu_assign_pointer), read by lcores with rcu_dereference; freed via call_rcu.
 */
struct sw_conf {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	struct msw_ctl_conf_id id;
	uint32_t max_legs;
	uint64_t max_size;
	uint8_t cpim_policy;
	bool settled_events; /* MSW_CTL_CONF_F_SETTLED: post EV_MSG_DONE|SETTLED */
	bool one_message;    /* MSW_CTL_CONF_F_ONE_MESSAGE: a second Message-ID gets 403 */
	bool history;
	bool no_anonymous;      /* MSW_CTL_CONF_F_NO_ANONYMOUS: anonymity not allowed */
	uint8_t flags;          /* MSW_CTL_CONF_F_* as created (listings) */
	char uri[SW_IDENT_MAX]; /* conference URI: CPIM To of group messages */
	uint16_t uri_len;
	struct sw_members *members;
};

/* A leg handle that survives loop iterations (house style 11). */
struct sw_leg_ref {
	uint32_t idx;
	uint32_t gen;
};

/* Held receive buffer: where its bytes are, to map body spans back to it. */
struct sw_held {
	struct sw_buf *buf;
	const uint8_t *p;
	uint32_t len;
};

/*
 * Cut-through of the request being received on a connection (sw_stream_rx): what was
 * decided about its body once enough of it arrived before the end-line.
 */
enum sw_stream_state {
	SW_ST_NONE = 0, /* not decided: the chunk is handled whole if its end-line comes first */
	SW_ST_FWD,      /* SEND accepted: pieces go to the recipients as the body arrives */
	SW_ST_DISCARD,  /* SEND refused at its head: body dropped, st_code answered at the end */
	SW_ST_SKIP,     /* not a SEND: body dropped as it arrives, frame handled at the end */
};

/* Thread-safety: owned by its lcore. */
struct sw_conn {
	bool in_use;
	sw_tconn_t tc;
	uint32_t n_legs;
	struct sw_leg_ref legs[SW_CONN_LEGS]; /* bound legs, matched by memcmp of the sid */
	struct msrp_uri authority;            /* active connections: the URI we dialled */
	char authority_buf[SW_URI_MAX];
	bool active;
	struct sw_held cur; /* buffer of the sw_conn_rx() call in progress */
	uint32_t n_held;
	struct sw_held held[SW_HELD_MAX]; /* buffers of the frame being parsed */
	/* Cut-through of the request in progress (enum sw_stream_state). */
	uint8_t st;
	uint16_t st_code;         /* SW_ST_DISCARD: the response at the end-line */
	struct sw_leg_ref st_leg; /* the sender's leg (SW_ST_FWD, SW_ST_DISCARD when known) */
	uint32_t st_mi, st_gen;   /* SW_ST_FWD: the message and its generation */
	struct msrp_parser parser;
	uint8_t *hdr_buf;
	uint32_t act_next; /* active connections: next in the authority hash bucket */
};

enum sw_rcpt_state {
	SW_RCPT_SENDING = 0, /* chunks flow to it */
	SW_RCPT_STOPPED,     /* nothing more is sent (outcome known or stop by 413/policy) */
};

/* Per-recipient state of a message. Thread-safety: sender's lcore. */
struct sw_rcpt {
	struct sw_leg_ref leg;
	uint8_t variant; /* enum sw_variant: which form of the message it gets */
	uint8_t state;
	uint8_t outcome; /* enum fdr_outcome, or SW_OUTCOME_NONE */
	uint16_t status;
	uint32_t inflight;   /* transactions without response */
	uint64_t sent_bytes; /* body bytes sent */
	bool got_part;       /* got at least one chunk (aborts go to it) */
	bool report_ok;      /* success REPORT covering all bytes seen */
};
#define SW_OUTCOME_NONE 0xff

/*
 * Forms of one message (SWX-04, SWX-06): as sent, as message/cpim (wrapped, or with its From
 * rewritten), or unwrapped for a recipient that does not accept message/cpim. A form other
 * than AS_SENT replaces the first skip body bytes of the first chunk by a prefix, so every
 * later byte moves by shift = prefix length - skip (Byte-Range of later chunks).
 */
enum sw_variant { SW_VAR_AS_SENT = 0, SW_VAR_CPIM, SW_VAR_PLAIN, SW_VAR_COUNT };

struct sw_var {
	bool used;
	int64_t shift;
	uint32_t skip;
	uint8_t ctype_len;
	uint8_t ctype[64];
};

/*
 * An incoming message being switched (one per sender Message-ID), on the sender's lcore.
 * Thread-safety: owned by its lcore.
 */
struct sw_msg {
	bool in_use;
	uint32_t gen;
	struct sw_leg_ref sender;
	uint8_t msgid[SW_MSGID_MAX];
	uint8_t msgid_len;
	bool final_report; /* CPIM Final-Report: yes (OMA 5.7.3) */
	bool sender_sr;    /* sender's Success-Report: yes */
	bool sender_fr;    /* sender's Failure-Report: absent, yes or partial (RFC 4975 §7.1.2) */
	bool complete;     /* last chunk ('$') received */
	bool aborted;      /* '#' received */
	bool fr_timer_armed;
	uint64_t total; /* Byte-Range total (0 = unknown) */
	struct sw_var var[SW_VAR_COUNT];
	uint64_t received; /* body bytes received */
	uint32_t n_rcpt;
	uint32_t n_open;         /* recipients without an outcome */
	uint32_t inflight_total; /* sum of rcpt[].inflight */
	struct sw_rcpt *rcpt;
	uint32_t hash_next;        /* chain in lc->msg_hash */
	uint32_t fr_prev, fr_next; /* final-report timer FIFO */
	uint64_t fr_deadline;
	uint32_t open_slot; /* index in sender conn's open list, unused */
	uint32_t free_next;
};

/*
 * An outgoing transaction (a chunk to one recipient), on the lcore that owns the recipient's
 * connection; msg/rcpt are on lcore origin (outcomes go back over the ring when it is
 * another lcore). Thread-safety: owned by its lcore.
 */
struct sw_tx {
	bool in_use;
	uint8_t origin;
	uint8_t tid[SW_TID_LEN];
	uint32_t msg;
	uint32_t msg_gen;
	uint32_t rcpt;
	uint32_t conn;
	uint64_t deadline;
	uint32_t prev, next; /* timeout FIFO (same timeout for all: append at tail) */
};

/*
 * A copy handed to another lcore: built by the sender's lcore (head with a placeholder tid,
 * body segments each with a hold), sent by the recipient's lcore, then returned (XFER_DONE).
 * Thread-safety: owned by the producer until put on the ring, then by the consumer until it
 * is returned on the reverse ring.
 */
struct sw_xfer {
	struct sw_leg_ref leg;
	sw_tconn_t origin_tc; /* the sender's transport connection on the producer lcore */
	uint32_t msg, msg_gen, rcpt;
	uint32_t free_next;
	uint64_t plen;
	uint8_t flag;
	bool has_body;
	uint16_t head_len;
	uint32_t n_segs;
	struct sw_seg segs[SW_HELD_MAX];
	uint8_t head[SW_HEAD_MAX];
};

/* Ring records (struct sw_ring_ent.w[0] low byte). */
enum sw_xk {
	SW_XK_FWD = 1,  /* w1: xfer index on the producer */
	SW_XK_DONE,     /* w1: xfer index on the consumer (return to its pool) */
	SW_XK_OUTCOME,  /* w1: msg, w2: gen, w3: rcpt, w4: kind, w5: status */
	SW_XK_REPORT,   /* w1: leg idx, w2: gen, w3: status, w4: range end, w5..7: msg-id */
	SW_XK_LEFT,     /* w1: leg idx, w2: gen */
	SW_XK_LEG_GONE, /* control: w1 leg idx, w2 gen */
	SW_XK_CONNECT,  /* control: w1 leg idx, w2 gen */
};

/* What an OUTCOME tells the sender's lcore about one transaction. */
enum sw_ok {
	SW_OK_RESPONSE = 0, /* status = response code */
	SW_OK_TIMEOUT,      /* no response in time (408) */
	SW_OK_SLOW,         /* refused by the transport queue (503) */
	SW_OK_LEFT,         /* the recipient is gone (481) */
	SW_OK_DROPPED,      /* its connection closed: no response will come */
};

/* Per-lcore state. Thread-safety: owned by its lcore; counters read by anyone. */
struct sw_lcore {
	struct sw_engine *e;
	uint32_t id;
	struct msrp_limits limits; /* parser limits of every connection (immutable) */
	/* Transport connection whose bytes are being switched (sw_conn_rx), or SW_TCONN_NONE. */
	sw_tconn_t cur_tc;
	/* During the send of a copy switched on another lcore: that lcore and its sender. */
	uint32_t send_origin_lcore;
	sw_tconn_t send_origin_tc;
	struct sw_ring *to[SW_LCORES_MAX];   /* this lcore produces */
	struct sw_ring *from[SW_LCORES_MAX]; /* this lcore consumes */
	struct sw_ring *ctl;                 /* control thread -> this lcore */
	struct sw_xfer *xfer;
	uint32_t xfer_free;
	struct msrp_id_gen ids;
	struct sw_conn *conns;
	uint32_t *conn_free; /* free connection slots (stack): opening one is O(1) */
	uint32_t n_conn_free;
	/*
	 * The connections' header buffers, max_conns x max_header_bytes in one mapping with
	 * MAP_NORESERVE: a page costs memory only once a header block split over two reads was
	 * kept in it, so a million mostly idle connections do not cost 16 KiB each.
	 */
	uint8_t *hdr_area;
	size_t hdr_area_len;
	/*
	 * Active connections (ones this lcore dialled, a=setup:active legs) by authority, so a
	 * new active leg finds a connection to reuse (RFC 4975 §5.4) without scanning all.
	 */
	uint32_t *act_hash; /* bucket -> first connection index, SW_NONE when empty */
	uint32_t act_mask;  /* buckets - 1 (a power of two) */
	struct sw_msg *msgs;
	struct sw_rcpt *rcpt_pool;
	uint32_t msg_free;
	uint32_t msgs_in_use;
	uint32_t *msg_hash; /* Message-ID hash -> msg index chain */
	uint32_t fr_head, fr_tail;
	struct sw_tx *tx;
	uint32_t *tx_free;
	uint32_t n_tx_free;
	uint32_t tx_head, tx_tail;
	uint8_t head[SW_HEAD_MAX];
	uint8_t tmpl[SW_HEAD_MAX]; /* re-headered chunk, recipient-independent tail */
	uint8_t scratch[SW_HEAD_MAX];
	/* Prefix of the CPIM form, valid while the first chunk is being forwarded. */
	uint8_t prefix[SW_HEAD_MAX];
	uint32_t prefix_len;
	uint8_t body_peek[4096]; /* contiguous copy of a first chunk's CPIM headers */
	_Atomic uint64_t cnt[SW_CNT_MAX];
};

/*
 * Thread-safety: tables as described in sw.h; params and ops immutable after create; legs[]
 * as struct sw_leg says; leg_free is a lock-free stack (control pops, call_rcu pushes);
 * ctl_ids belongs to the control thread; lcs[i] to lcore i.
 */
struct sw_engine {
	struct sw_params p;
	char authority[SW_URI_MAX];
	struct sw_transport_ops tops;
	void *tctx;
	struct sw_buf_ops bops;
	void *bctx;
	struct sw_event_ops eops;
	void *ectx;
	struct cds_lfht *confs;
	struct cds_lfht *legs_ht;
	struct sw_leg *legs;
	uint32_t leg_free;   /* control thread only */
	uint32_t legs_fresh; /* slots [legs_fresh, max_legs) never used (control thread) */
	/* Objects in the tables: written by the control thread, read anywhere (relaxed). */
	_Atomic uint64_t n_confs, n_legs;
	uint32_t hash_seed;
	struct msrp_id_gen ctl_ids; /* control thread's generator (session-ids) */
	struct sw_lcore lcs[SW_LCORES_MAX];
};

static inline void
sw_cnt_add(struct sw_lcore *lc, enum sw_cnt id, uint64_t n)
{
	/* Single writer: load + store; atomics only stop torn reads. */
	atomic_store_explicit(&lc->cnt[id],
	                      atomic_load_explicit(&lc->cnt[id], memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static inline void
sw_rcpt_inflight_add(struct sw_msg *m, struct sw_rcpt *r)
{
	r->inflight++;
	m->inflight_total++;
}

static inline void
sw_rcpt_inflight_sub(struct sw_msg *m, struct sw_rcpt *r)
{
	if (r->inflight > 0) {
		r->inflight--;
		m->inflight_total--;
	}
}

static inline struct sw_leg *
sw_leg_deref(struct sw_engine *e, struct sw_leg_ref r)
{
	struct sw_leg *l;

	if (r.idx >= e->p.max_legs)
		return NULL;
	l = &e->legs[r.idx];
	return atomic_load_explicit(&l->gen, memory_order_acquire) == r.gen ? l : NULL;
}

static inline struct sw_leg_ref
sw_leg_ref_of(struct sw_leg *l)
{
	return (struct sw_leg_ref){.idx = l->idx,
	                           .gen = atomic_load_explicit(&l->gen, memory_order_relaxed)};
}

static inline uint64_t
sw_span_hash(const uint8_t *p, size_t len, uint32_t seed)
{
	uint64_t h = 1469598103934665603ull ^ seed; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* sw_table.c */
struct sw_leg *sw_leg_lookup_sid(struct sw_engine *e, const uint8_t *sid, size_t len);
/* sw_input.c */
void sw_leg_gone(struct sw_lcore *lc, struct sw_leg *l, enum sw_close_reason why, int err,
                 uint64_t now_us);
void sw_lcore_connect_leg(struct sw_lcore *lc, struct sw_leg *l, uint64_t now_us);
/* The sender left in the middle of message mi: '#' to the recipients that got part of it. */
void sw_msg_abort_partial(struct sw_lcore *lc, uint32_t mi, uint64_t now_us);
void sw_lcore_flush(struct sw_lcore *lc);
/* sw_xlc.c: cross-lcore copies and outcomes */
bool sw_xlc_fwd(struct sw_lcore *lc, uint32_t dst, uint32_t mi, uint32_t ri, struct sw_leg *q,
                const uint8_t *head, size_t hl, const struct sw_seg *body, unsigned int nb,
                uint64_t plen, bool has_body, enum msrp_flag flag);
void sw_xlc_outcome(struct sw_lcore *lc, const struct sw_tx *t, enum sw_ok kind, uint16_t status);
void sw_xlc_broadcast(struct sw_lcore *lc, const struct sw_ring_ent *ent);
void sw_xlc_drain(struct sw_lcore *lc, uint64_t now_us);
void sw_apply_outcome(struct sw_lcore *lc, uint32_t mi, uint32_t gen, uint32_t ri, enum sw_ok kind,
                      uint16_t status, uint64_t now_us);
void sw_report_apply(struct sw_lcore *lc, struct sw_leg_ref leg, struct msrp_span msgid,
                     uint16_t code, bool has_range, uint64_t start, uint64_t end, uint64_t now_us);
void sw_leg_left_ref(struct sw_lcore *lc, struct sw_leg_ref ref, uint64_t now_us);
void sw_tx_send_built(struct sw_lcore *lc, uint32_t origin, uint32_t mi, uint32_t gen, uint32_t ri,
                      struct sw_leg *q, uint8_t *head, size_t hl, const struct sw_seg *body,
                      unsigned int nb, uint64_t plen, bool has_body, enum msrp_flag flag,
                      uint64_t now_us);
int sw_send_frame(struct sw_lcore *lc, uint32_t conn, const struct sw_seg *segs, unsigned int n);
/* sw_cpim.c */
int sw_cpim_msg_init(struct sw_lcore *lc, struct sw_msg *m, struct sw_leg *sender,
                     const struct msrp_frame *f, uint32_t *only_leg, uint16_t *code);
uint8_t sw_cpim_variant_for(const struct sw_msg *m, const struct sw_leg *q,
                            struct msrp_span media_type);
/* sw_input.c helpers shared with sw_cpim.c */
struct msrp_span sw_media_type(struct msrp_span ct);
bool sw_span_caseeq(struct msrp_span a, struct msrp_span b);
bool sw_leg_accepts(const struct sw_leg *l, struct msrp_span mt);
bool sw_leg_accepts_wrapped(const struct sw_leg *l, struct msrp_span mt);
/* sw_rpt.c */
void sw_msg_rcpt_outcome(struct sw_lcore *lc, uint32_t mi, uint32_t ri, uint8_t outcome,
                         uint16_t status, uint64_t now_us);
void sw_msg_check_done(struct sw_lcore *lc, uint32_t mi, uint64_t now_us);
void sw_msg_leg_left(struct sw_lcore *lc, struct sw_leg_ref ref, uint64_t now_us);
void sw_rpt_timers(struct sw_lcore *lc, uint64_t now_us);
void sw_fr_arm(struct sw_lcore *lc, uint32_t mi, uint64_t now_us);
void sw_fr_disarm(struct sw_lcore *lc, uint32_t mi);
void sw_msg_free(struct sw_lcore *lc, uint32_t mi);

/* The published addressing of a leg (see sw_leg.addr). Any thread. */
static inline const struct sw_leg_addr *
sw_leg_addr(const struct sw_leg *l)
{
	return &l->addr[__atomic_load_n(&l->addr_cur, __ATOMIC_ACQUIRE) & 1u];
}
