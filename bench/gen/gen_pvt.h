/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Internals of msw-gen shared by the run logic (gen_engine.c) and the transports: the kernel
 * engine (Linux sockets, epoll, in gen_engine.c) and the DPDK engine (our TCP stack over
 * net_memif, gen_dpdk.c). A transport moves the bytes of a leg; everything MSRP (framing,
 * messages, checks) is in gen_engine.c and the same for both.
 */

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "msrp/msrp.h"
#include "msrp/msrp_id.h"

#include "gen_engine.h"
#include "gen_hist.h"
#include "gen_scenario.h"

enum gen_cnt {
#define GEN_CNT(sym, name, err, doc) GEN_CNT_##sym,
#include "gen_counters.def"
#undef GEN_CNT
	GEN_CNT_MAX
};

enum gen_phase {
	GEN_PH_SETUP = 0,
	GEN_PH_WARMUP,
	GEN_PH_MEASURE,
	GEN_PH_DRAIN, /* no new messages; copies in flight still arrive */
	GEN_PH_STOP,
};

enum gen_leg_state {
	GEN_LEG_CONNECTING = 0,
	GEN_LEG_BINDING, /* bodiless SEND or AUTH sent, waiting for its 200 */
	GEN_LEG_READY,
	GEN_LEG_DEAD,
};

#define GEN_TX_HIGH      (256u << 10) /* queued bytes above which a leg stops generating */
#define GEN_RX_READ      (64u << 10)  /* bytes asked of one read() */
#define GEN_HDR_CAP      (16u << 10)
#define GEN_IDLE_BUF     2048u /* traffic "idle": the first size of a leg's buffers */
#define GEN_PATH_CAP     256
#define GEN_TO_PATH_CAP  600
#define GEN_CALL_MS      5000
#define GEN_CT_TEXT      "text/plain"
#define GEN_CT_CPIM      "message/cpim"
#define GEN_CT_FDR       "application/vnd.oma.poc.final-report+xml"
#define GEN_ENVELOPE_CAP 512

/* A message being reassembled by a receiver, keyed by Message-ID. Owned by its leg's thread. */
struct gen_asm {
	bool used;
	uint8_t mid_len;
	uint8_t mid[MSRP_ID_MAX_LEN];
	uint8_t *buf;
	size_t cap;
	size_t len; /* highest byte written + 1 */
};

struct gen_thread;
struct gen_io_ops;

/*
 * Thread-safety: owned by its engine thread once the thread runs, except: ready and sent are
 * single-writer atomics read by main; to_path is written by main before the warm-up phase is
 * published (relay mode) and read by the owner after it saw that phase; use_path is written by
 * the owner before it sets ready (release) and read by main after (acquire). With setup "sip",
 * to_path and msrp_dst are written by the SIP thread before it publishes the end of the
 * set-up (gen_sip.c, release) and read by main after it (acquire), before the engine threads
 * start.
 */
struct gen_leg {
	uint32_t idx;  /* global leg index, the stamp's sender */
	uint32_t conf; /* conference index */
	uint32_t pos;  /* position in the conference */
	struct gen_thread *th;
	int fd;                  /* kernel engine: the socket */
	uint32_t io_idx, io_gen; /* dpdk engine: the tcp_handle */
	enum gen_leg_state st;
	_Atomic bool ready;
	_Atomic bool dead;     /* set with st = GEN_LEG_DEAD, for main */
	_Atomic uint64_t sent; /* messages fully queued */

	char path[GEN_PATH_CAP]; /* our URI */
	uint32_t path_len;
	char to_path[GEN_TO_PATH_CAP]; /* To-Path of our SENDs */
	uint32_t to_path_len;
	char use_path[GEN_PATH_CAP]; /* relay: Use-Path of the AUTH 200 */
	struct sockaddr_in msrp_dst; /* setup "sip": the answer's c= address and m= port */
	struct sockaddr_in msrp_src; /* setup "sip": our bound address and port (the offer's) */
	uint32_t use_path_len;

	uint8_t *tx;
	size_t tx_len, tx_off, tx_cap;
	uint8_t *rx;
	size_t rx_cap, rx_start, rx_fed, rx_end;
	struct msrp_parser parser;
	uint8_t *hdr_buf;
	uint32_t hdr_cap;

	uint64_t seq, txn, outstanding, next_send_ns, rng;
	uint64_t *next_seq;   /* per sender position: next expected sequence number */
	uint64_t *received;   /* per sender position: copies accepted (first arrival) */
	struct gen_asm *asms; /* reassembly slots, one per other leg + 1 */
	uint32_t n_asm;
};

/*
 * Thread-safety: cnt[] single writer (the thread), relaxed; hist is the thread's own; live is
 * handed to main under live_lock (swap once a second).
 */
struct gen_thread {
	struct gen *g;
	uint32_t id;
	pthread_t tid;
	int epfd; /* kernel engine */
	struct gen_leg **legs;
	uint32_t n_legs;
	struct msrp_id_gen ids;
	_Atomic uint64_t cnt[GEN_CNT_MAX];
	_Atomic uint64_t resp_codes[1000]; /* responses by status code (single writer) */
	struct gen_hist *hist;             /* latency of deliveries in the measured interval */
	struct gen_hist *live;             /* this second's latencies, owner only */
	struct gen_hist *live_pub;         /* the last second's, under live_lock */
	pthread_mutex_t live_lock;
	uint64_t live_next_ns;
	uint8_t *scratch; /* one message body */
	size_t scratch_cap;
};

/*
 * Results of the SIP set-up and teardown (setup "sip"). Thread-safety: written by the SIP
 * thread (gen_sip.c) while it runs, read by main only after it published the end of the
 * set-up or of the teardown (release/acquire on its done flags).
 */
struct gen_sip_stats {
	bool used;
	uint64_t invites;            /* initial INVITEs sent */
	uint64_t setups;             /* answered 2xx with a usable SDP answer */
	uint64_t setup_errors;       /* error responses, timeouts, unusable answers */
	uint64_t byes;               /* BYEs we sent */
	uint64_t bye_ok;             /* of them answered 200 */
	uint64_t bye_errors;         /* of them answered otherwise, or never */
	uint64_t ended_by_focus;     /* dialogs the focus ended with its BYE (AHG-08) */
	uint64_t end_missing;        /* last legs the focus should have BYEd and did not */
	double setup_s;              /* first INVITE to the last final answer */
	double teardown_s;           /* first BYE to the last dialog gone */
	struct gen_hist *setup_hist; /* INVITE to 2xx, ns */
	char first_error[200];
};

struct gen_sip_ops;

/* Thread-safety: immutable after set-up, except phase (atomic) and the members noted. */
struct gen {
	const struct gen_scenario *s;
	uint32_t n_legs;
	struct gen_leg *legs;
	struct gen_thread *th;
	_Atomic int phase;
	uint64_t t_measure_ns, t_drain_ns; /* written by main before publishing the phase */
	uint64_t t_sent_end_ns;            /* when main published the drain phase (main only) */
	uint64_t interval_ns;              /* open loop: ns between two messages of a leg */
	char conf_uri[64];                 /* printf pattern of the conferences' URIs */
	pid_t pid;
	struct ctl_client *ctl;
	const struct gen_io_ops *io;
	void *io_ctx;                  /* the engine's own state */
	const struct gen_sip_ops *sip; /* setup "sip" */
	void *sip_ctx;                 /* its own state */
	struct gen_sip_stats sip_stats;
	struct in_addr src_addr; /* setup "sip": the legs' (and our SIP) source address */
	double ready_s;          /* set-up start to every leg bound */
	char err[512];
};

/*
 * A transport. Thread-safety: init, leg_open, start, join and fini run on the main thread
 * (the first four before the engine threads run, fini after they ended); flush and drop run
 * on the leg's engine thread.
 */
struct gen_io_ops {
	const char *name;
	unsigned int max_threads;
	/* Transport-wide set-up (EAL, ports, stack); sets g->err on failure. */
	int (*init)(struct gen *g);
	/* Opens the leg's transport as far as the main thread can and writes our URI into
	 * l->path (and the relay's URI into l->to_path in relay mode). */
	int (*leg_open)(struct gen *g, struct gen_leg *l);
	/* Starts / waits for the engine thread th (a pthread, or an EAL lcore). */
	int (*start)(struct gen_thread *th);
	void (*join)(struct gen_thread *th);
	/* Pushes l->tx[tx_off, tx_len) to the transport as far as it takes it. */
	void (*flush)(struct gen_leg *l);
	/* The leg failed: forget its connection. */
	void (*drop)(struct gen_leg *l);
	/* Setup "sip" (NULL: not supported): leg_open only bound the socket and wrote our URI;
	 * this connects it to l->msrp_dst, once the SDP answer named it. */
	int (*leg_connect)(struct gen *g, struct gen_leg *l);
	/* Optional (NULL: nothing): the transport's own counters as JSON members, each
	 * starting with ','. Runs on the main thread after join, before fini. */
	void (*json)(struct gen *g, FILE *out);
	void (*fini)(struct gen *g);
};

static inline uint64_t
gen_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void
gen_cnt_add(struct gen_thread *th, enum gen_cnt c, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&th->cnt[c], memory_order_relaxed);

	atomic_store_explicit(&th->cnt[c], v + n, memory_order_relaxed);
}

static inline int
gen_phase_get(const struct gen *g)
{
	return atomic_load_explicit(&g->phase, memory_order_acquire);
}

static inline size_t
gen_tx_backlog(const struct gen_leg *l)
{
	return l->tx_len - l->tx_off;
}

/* ---- shared by the transports (gen_engine.c) ---- */

/* Sends the binding request (bodiless SEND, or AUTH to a relay) once connected. */
void gen_leg_start(struct gen_leg *l);
/* Queues what the load model allows at time now (ns) and flushes. */
void gen_leg_generate(struct gen_leg *l, uint64_t now);
/* Room for at least n more received bytes at l->rx + l->rx_end, or NULL (out of memory). */
uint8_t *gen_rx_space(struct gen_leg *l, size_t n);
/* Parses the received bytes l->rx[rx_fed, rx_end) and handles every complete frame. */
void gen_leg_input(struct gen_leg *l, uint64_t now);
/* Marks the leg failed (counted and logged unless the run is stopping). */
void gen_leg_fail(struct gen_leg *l, const char *why);
/* Hands this second's latencies to the progress line. */
void gen_live_publish(struct gen_thread *th, uint64_t now);

/*
 * The SIP set-up (gen_sip.c, gen_sip_ops), in its own library so gen_lib never links
 * sofia-sip; msw-gen hands it to gen_run() through gen_opts.sip. Thread-safety: every op runs
 * on the main thread; setup starts the SIP thread, fini joins it.
 */
struct gen_sip_ops {
	/* Sets up every leg's dialog with the focus at s->sip_focus (leg 0 of a conference
	 * through the Conference-factory URI, the others to the conference URI it answered)
	 * and fills each leg's to_path and msrp_dst. Blocks until every INVITE has its final
	 * answer. 0, or -errno with g->err set (the dialogs set up are still torn down). */
	int (*setup)(struct gen *g);
	/* BYEs every dialog and waits for the answers (and for the focus's own BYEs). */
	void (*teardown)(struct gen *g);
	void (*fini)(struct gen *g);
};
