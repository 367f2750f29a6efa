/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-bench-dataplane: messages delivered per second and latency percentiles of the MSRP data
 * plane (msw-dataplane) over net_memif, measured end to end by MSRP participants that run on
 * this program's own DPDK lcore and userspace TCP (dataplane/port, net, tcp: the same code as
 * the data plane) with the common/msrp builders and parser.
 *
 * What it does (needs root: memif sockets in /run/msw, DPDK):
 *  1. Starts msw-dataplane as a child with a generated config: instance bench<pid>, one port
 *     { driver = "memif"; memif_socket = "/run/msw/bench<pid>.memif"; memif_role = "server";
 *     ipv4 = "10.90.0.2/24"; }, eal.lcores "0" (the data plane on CPU 0), eal.hugepages off,
 *     no tap vdev, dataplane.idle_sleep_us 0 (busy poll), every other key at its default.
 *     Our EAL runs on CPU 1 (-l 1, --no-huge -m 512 --no-pci, --file-prefix=msw-bench-<pid>)
 *     and hot-plugs net_memif<k>,role=client,socket=...,socket-abstract=no for each child
 *     (hot-plug rather than --vdev: each child has its own socket, started one after the
 *     other). Events the data plane posts (leg bound, message done) are consumed every ms.
 *  2. Per case, over the control channel (identity msw-bench.<pid>): CONF_CREATE, one LEG_ADD
 *     per participant (passive legs, path msrp://10.90.0.1:<port>/<id>;tcp; the switch's URI
 *     comes back in the reply). Each participant opens one TCP connection from
 *     10.90.0.1:<port> to 10.90.0.2:2855, binds its session with a bodiless SEND (RFC 4975
 *     §5.4), then every participant sends messages at full speed with a window of
 *     outstanding transactions (SENDs awaiting their 200) and answers every copy it receives
 *     with 200 OK (RFC 4975 §7.2). Each body ends with "@" and the sender's TSC in 16 hex
 *     digits, so the recipient measures send -> copy received (the CPIM envelope the switch
 *     adds in groups is a prefix, the stamp stays at the tail).
 *  3. After a warm-up, counts for --seconds: messages acknowledged (200) and deliveries
 *     (copies whose last chunk arrived at a recipient), with latency histograms of the 200
 *     (resp_*) and of the delivery (e2e_*). Then sending stops and the bench waits until every
 *     message reached every other participant: copies missing after that are reported as
 *     "lost" (and make the run fail), as are error responses. Data-plane counters over the
 *     case (slow-recipient drops, throttling, event drops, residence histogram) come along.
 *  4. Baseline: the same 100-byte / 4 KiB frames through msw-tcp-echo over its own memif
 *     (10.91.0.2): the floor of TCP + memif without the switch (one echo per message).
 *  5. Children are stopped with SIGTERM; a non-zero exit status fails the run.
 *
 * Output: only JSON lines on stdout, one per case, e.g.
 *   {"bench":"dataplane_memif","case":"group3_100B","legs":3,"body_bytes":100,"cpim":"wrap",
 *    "window":32,"dp_workers":1,"duration_s":5.00,"msgs_per_s":X,"deliveries_per_s":Y,
 *    "e2e_p50_us":..,"e2e_p90_us":..,"e2e_p99_us":..,"e2e_p999_us":..,"e2e_max_us":..,
 *    "resp_p50_us":..,...,"lost":0,"resp_errors":0,"gen_busy_pct":..,"dp_sw_slow_drop":..,...}
 * (every field: docs/bench.md). A case needing more CPUs than this machine has:
 * {"bench":..,"case":..,"skipped":"needs N cores"}; a case that could not run:
 * {"bench":..,"case":..,"error":"..."}; a case that ran but is incomplete has its numbers and
 * an "error" field. Progress and the children's logs (on failure) go to stderr. Exit status 0
 * when every case that ran was complete and the children exited 0; 77 (skipped) without root.
 *
 * Usage: msw-bench-dataplane [--seconds S] [--warmup S] [--window N] [--case NAME]...
 *        [--no-baseline] [--dataplane PATH] [--echo PATH] [--keep]
 *        [--impair drop=R,dup=R,reorder=R,corrupt=R] [--check-tx]
 * Paths default to $MSW_BUILD_ROOT/dataplane/msw-dataplane and .../echo/msw-tcp-echo, else
 * to the build tree this program sits in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench_dpdk_util.h"
#include "ctl/ctl_client.h"
#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "msw/msw_ctl_abi.h"
#include "net/net.h"
#include "port/port.h"
#include "switch/sw.h"
#include "tcp/tcp.h"

#define BD_BENCH       "dataplane_memif"
#define BD_PROG        "msw-bench-dataplane" /* prefix of messages on stderr */
#define BD_BURST       32
#define BD_WINDOW_MAX  1024u         /* power of two: slots of outstanding transactions */
#define BD_RXBUF       (64u * 1024u) /* each of the two receive buffers of a connection */
#define BD_SMALL_SEG   64u           /* TCP payloads below this are counted (SWS symptoms) */
#define BD_SHADOW      (1u << 20)    /* > tcp.sndbuf_bytes: what a retransmission can cover */
#define BD_HDR_CAP     16384         /* parser header buffer (msrp_limits_default) */
#define BD_TX_CAP      (1u << 20)
#define BD_TX_SEND_MAX (BD_TX_CAP / 4) /* queued for TCP above this: no new SENDs */
/*
 * Queued above this: we stop reading (receive window kept shut) until TCP takes our bytes,
 * so memory stays bounded; a client that reads while it can still buffer, like most.
 */
#define BD_TX_RX_DEFER (BD_TX_CAP - 128u * 1024u)
#define BD_SEND_MAX    (64u * 1024u) /* bytes per tcp_send call */
#define BD_STAMP_LEN   17            /* "@" + 16 hex digits of the sender's TSC */
#define BD_TID_LEN     12            /* hex sequence number = tid = Message-ID */
#define BD_MSRP_PORT   2855
#define BD_FIRST_LPORT 40000
#define BD_CALL_MS     5000
#define BD_MBUFS       32767

/* ---- options and cases ---- */

/* Command line. Immutable after bd_parse_opts(). */
struct bd_opts {
	double seconds, warmup;
	uint32_t window;
	const char *dataplane, *echo;
	const char *only[16];
	uint32_t n_only;
	bool baseline, keep;
	struct port_impair impair; /* on our memif port, both directions (diagnostics) */
	bool check_tx;             /* compare every TCP segment we send with our stream */
	const char *impair_arg;
};

enum bd_kind {
	BD_SWITCH, /* through msw-dataplane */
	BD_ECHO,   /* through msw-tcp-echo: the baseline */
};

struct bd_case {
	const char *name;
	enum bd_kind kind;
	uint32_t legs; /* participants (echo: connections) */
	uint32_t body;
	uint8_t cpim; /* enum msw_ctl_cpim_policy */
	uint32_t workers;
	uint32_t window; /* outstanding SENDs per sender; 0 = --window */
};

/*
 * 1:1 sessions pass bodies unchanged (OMA SIMPLE IM 1:1: cpim off); groups use the OMA
 * default, plain bodies wrapped in CPIM by the switch (docs/switch.md, SWX-04).
 */
static const struct bd_case bd_cases[] = {
        /* Window 1: the latency of one message at a time, without queueing. */
        {"one2one_100B_window1", BD_SWITCH, 2, 100, MSW_CTL_CPIM_OFF, 1, 1},
        {"one2one_100B", BD_SWITCH, 2, 100, MSW_CTL_CPIM_OFF, 1, 0},
        {"group3_100B", BD_SWITCH, 3, 100, MSW_CTL_CPIM_WRAP, 1, 0},
        {"group10_100B", BD_SWITCH, 10, 100, MSW_CTL_CPIM_WRAP, 1, 0},
        {"group3_4KiB", BD_SWITCH, 3, 4096, MSW_CTL_CPIM_WRAP, 1, 0},
        /* Two data-plane workers and the generator: three CPUs. */
        {"group10_100B_2workers", BD_SWITCH, 10, 100, MSW_CTL_CPIM_WRAP, 2, 0},
        {"echo_100B_window1", BD_ECHO, 2, 100, MSW_CTL_CPIM_OFF, 1, 1},
        {"echo_100B", BD_ECHO, 2, 100, MSW_CTL_CPIM_OFF, 1, 0},
        {"echo_4KiB", BD_ECHO, 2, 4096, MSW_CTL_CPIM_OFF, 1, 0},
};

/* ---- latency histogram: 64 sub-buckets per power of two (error < 1.6 %), in ns ---- */

#define BD_HIST_SUB     64u
#define BD_HIST_BUCKETS (BD_HIST_SUB * 40u)

/* Thread-safety: owned by its struct bd_run. */
struct bd_hist {
	uint64_t n, max;
	uint64_t b[BD_HIST_BUCKETS];
};

static unsigned int
bd_hist_idx(uint64_t v)
{
	unsigned int e, i;

	if (v < BD_HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v); /* >= 6 */
	i = (e - 5u) * BD_HIST_SUB + (unsigned int)((v >> (e - 6u)) & (BD_HIST_SUB - 1));
	return i < BD_HIST_BUCKETS ? i : BD_HIST_BUCKETS - 1;
}

/* Middle of bucket i. */
static double
bd_hist_value(unsigned int i)
{
	unsigned int e, sub;

	if (i < BD_HIST_SUB)
		return i;
	e = i / BD_HIST_SUB + 5u;
	sub = i % BD_HIST_SUB;
	return (double)((uint64_t)(BD_HIST_SUB + sub) << (e - 6u)) +
	       (double)((uint64_t)1 << (e - 6u)) / 2.0;
}

static void
bd_hist_add(struct bd_hist *h, uint64_t ns)
{
	h->b[bd_hist_idx(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

/* The value below which a fraction q of the samples lies, in microseconds. */
static double
bd_hist_quantile_us(const struct bd_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->n + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned int i = 0; i < BD_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			double v = bd_hist_value(i);

			return (v > (double)h->max ? (double)h->max : v) / 1000.0;
		}
	}
	return (double)h->max / 1000.0;
}

/* ---- state ---- */

enum bd_pstate {
	BD_P_IDLE = 0,
	BD_P_CONNECTING,
	BD_P_BINDING, /* bodiless SEND out, waiting for its 200 */
	BD_P_READY,
	BD_P_CLOSING,
	BD_P_CLOSED,
	BD_P_FAILED,
};

struct bd_run;

/* One MSRP participant: one TCP connection. Thread-safety: the bench's lcore only. */
struct bd_part {
	struct bd_run *run;
	uint32_t idx;
	enum bd_pstate st;
	struct tcp_handle h;
	uint16_t lport;
	char path[128]; /* our URI (the leg's To-Path) */
	uint32_t path_len;
	char sw_uri[256]; /* the switch's URI for this leg (LEG_ADD reply) */
	uint32_t sw_uri_len;
	struct msrp_parser parser;
	uint8_t hdr_buf[BD_HDR_CAP];
	uint8_t *rxb[2]; /* received bytes, see bd_rx_bytes() */
	uint32_t rx_len[2];
	uint8_t rx_cur;
	uint8_t *tx; /* bytes queued for TCP: our SENDs and responses */
	uint32_t tx_off, tx_len;
	/* --check-tx: the last BD_SHADOW bytes handed to TCP, and our initial sequence number */
	uint8_t *shadow;
	uint64_t shadow_end;
	uint32_t iss;
	bool have_iss;
	uint32_t rx_deferred; /* consumed bytes whose window reopening waits for tx to drain */
	/* The SEND of this sender as a template: tid, Message-ID and stamp patched per message. */
	uint8_t *tmpl;
	uint32_t tmpl_len, off_tid1, off_mid, off_tid2, off_stamp;
	uint64_t seq_next;
	uint32_t outstanding;
	uint64_t slot_seq[BD_WINDOW_MAX];
	uint64_t slot_tsc[BD_WINDOW_MAX];
	uint8_t slot_busy[BD_WINDOW_MAX];
};

struct bd_target;

/* One case in progress. Thread-safety: the bench's lcore only. */
struct bd_run {
	struct bd_target *t;
	const struct bd_case *c;
	struct bd_part *p;
	uint32_t n, window;
	bool sending, measuring;
	uint64_t sent, acked, delivered; /* whole case */
	uint64_t msgs_win, deliv_win;    /* inside the measured window */
	uint64_t resp_errors, aborted, reports, unexpected, unmatched, bad_stamp, tx_overflow;
	uint64_t resp_codes[1000]; /* non-200 responses by code */
	uint64_t rx_deferrals;     /* receive windows kept shut because our own sends were stuck */
	uint64_t rx_segs, rx_small_segs;    /* TCP payload segments received, those < 64 bytes */
	uint64_t tx_checked, tx_small_segs; /* --check-tx: payload bytes compared, segments < 64 */
	uint64_t msg_done_events;
	uint64_t busy_cyc; /* TSC cycles of loop iterations that had work, in the window */
	struct bd_hist e2e, resp;
	double loadavg; /* 1-minute load average when the case started: the machine may be shared */
	char err[512];
};

/*
 * A child program (msw-dataplane or msw-tcp-echo) and our memif port to it.
 * Thread-safety: the bench's lcore only (the bench is single-threaded).
 */
struct bd_target {
	enum bd_kind kind;
	uint32_t workers;
	struct bench_child child; /* its log: <tmp>/<instance>.log */
	char instance[32];
	char sock[108];
	char cfg[PATH_MAX];
	char prefix[64]; /* the child's DPDK --file-prefix */
	uint32_t ip, peer_ip;
	struct bench_memif mi; /* our memif client port to it */
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct ctl_client *ctl;
	struct bd_run *run; /* case in progress, for event counting */
	uint64_t now_us;
	uint64_t next_ctl_tsc, next_child_tsc;
	uint32_t iter;
	uint16_t next_lport;
};

/* Process-wide state. Thread-safety: the main thread (the bench's only lcore). */
struct bd {
	struct bd_opts o;
	struct rte_mempool *pool;
	uint64_t hz;
	double ns_per_cyc;
	cpu_set_t cpus; /* affinity at start, before EAL pinned us */
	unsigned int bench_cpu;
	char tmp[64]; /* /tmp/msw-bench-dataplane.XXXXXX */
	char build_root[PATH_MAX];
	char runtime_base[PATH_MAX]; /* parent of the DPDK runtime directories */
	uint32_t n_dev;
	bool failed;
};

static struct bd bd;

static uint64_t
bd_now_us(void)
{
	uint64_t c = rte_get_tsc_cycles();

	return (c / bd.hz) * 1000000 + ((c % bd.hz) * 1000000) / bd.hz;
}

/* Records the first failure of a case; the case ends at its next check. */
#define BD_FAIL(run, ...) bench_fail((run)->err, sizeof((run)->err), __VA_ARGS__)

/* ---- children ---- */

/* ---- userspace TCP over our memif port ---- */

/*
 * --check-tx: the payload of a TCP segment we send must equal the bytes we handed to TCP at
 * that stream offset (first transmission or retransmission alike). Tells a corrupt stream
 * from our side apart from one corrupted on the receiving side.
 */
static void
bd_check_tx_pkt(struct bd_target *t, const struct rte_mbuf *m)
{
	uint8_t buf[RTE_MBUF_DEFAULT_BUF_SIZE];
	uint32_t len = rte_pktmbuf_pkt_len(m), ihl, doff, plen, seq, delta;
	const uint8_t *d, *ip, *th;
	struct bd_part *p = NULL;
	uint16_t sport;
	uint64_t off;

	if (t->run == NULL || len > sizeof(buf) || len < RTE_ETHER_HDR_LEN + 40)
		return;
	d = rte_pktmbuf_read(m, 0, len, buf);
	if (d == NULL || d[12] != 0x08 || d[13] != 0x00)
		return;
	ip = d + RTE_ETHER_HDR_LEN;
	ihl = (uint32_t)(ip[0] & 15) * 4;
	if (ip[9] != IPPROTO_TCP || RTE_ETHER_HDR_LEN + ihl + 20 > len)
		return;
	th = ip + ihl;
	doff = (uint32_t)(th[12] >> 4) * 4;
	plen = ((uint32_t)ip[2] << 8 | ip[3]) - ihl - doff;
	sport = (uint16_t)(th[0] << 8 | th[1]);
	seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	for (uint32_t i = 0; i < t->run->n; i++)
		if (t->run->p[i].lport == sport)
			p = &t->run->p[i];
	if (p == NULL || p->shadow == NULL)
		return;
	if (th[13] & 0x02) { /* SYN */
		p->iss = seq;
		p->have_iss = true;
		return;
	}
	if (plen == 0 || !p->have_iss)
		return;
	t->run->tx_small_segs += plen < BD_SMALL_SEG;
	t->run->tx_checked += plen;
	delta = p->iss + 1 + (uint32_t)p->shadow_end - seq; /* bytes from seq to our end */
	if (delta < plen || delta > BD_SHADOW) {
		BD_FAIL(t->run,
		        "participant %u: our TCP sent %u bytes at seq %u, outside the %lu bytes "
		        "handed to it",
		        p->idx, plen, seq, (unsigned long)p->shadow_end);
		return;
	}
	off = p->shadow_end - delta;
	for (uint32_t i = 0; i < plen; i++)
		if (th[doff + i] != p->shadow[(off + i) % BD_SHADOW]) {
			BD_FAIL(t->run,
			        "participant %u: our TCP sent other bytes than the stream at "
			        "offset "
			        "%lu (segment seq %u, %u bytes, first difference at +%u)",
			        p->idx, (unsigned long)off, seq, plen, i);
			return;
		}
}

static uint16_t
bd_port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct bd_target *t = ctx;

	if (bd.o.check_tx)
		for (uint16_t i = 0; i < n; i++)
			bd_check_tx_pkt(t, pkts[i]);
	return port_tx_burst(&t->mi.port.q[0], pkts, n);
}

static const struct net_port_ops bd_port_ops = {.tx_burst = bd_port_tx};

static bool
bd_target_alive(void *arg)
{
	struct bd_target *t = arg;

	return !bench_stop && bench_child_alive(&t->child);
}

/* Hot-plugs a memif client to the child's socket, waits for the link, builds net + TCP. */
static int
bd_target_attach(struct bd_target *t, char *err, size_t errlen)
{
	struct net_params np;
	struct tcp_params tp;

	if (bench_memif_attach(&t->mi, t->sock, &bd.n_dev, bd.pool, 1, 0, &bd.o.impair, 10.0,
	                       bd_target_alive, t, err, errlen) != 0)
		return -1;
	t->now_us = bd_now_us();
	net_params_default(&np);
	np.mac = t->mi.port.mac;
	np.ip = t->ip;
	np.prefix_len = 24;
	t->ifc = net_iface_create(&np, bd.pool, &bd_port_ops, t);
	tcp_params_default(&tp);
	tp.max_conns = 1024;
	tp.time_wait_ms = 1000; /* ports are never reused within a run */
	tp.mbuf_reserve = 256;
	t->tcp = t->ifc != NULL ? tcp_stack_create(&tp, t->ifc, bd.pool, t->now_us) : NULL;
	if (t->tcp == NULL) {
		snprintf(err, errlen, "net/tcp stack: %s", strerror(errno));
		return -1;
	}
	t->next_lport = BD_FIRST_LPORT;
	net_arp_announce(t->ifc);
	net_flush(t->ifc);
	return 0;
}

static void
bd_target_detach(struct bd_target *t)
{
	tcp_stack_destroy(t->tcp);
	t->tcp = NULL;
	net_iface_destroy(t->ifc);
	t->ifc = NULL;
	bench_memif_detach(&t->mi);
}

/* ---- transmit ---- */

static uint32_t
bd_tx_pending(const struct bd_part *p)
{
	return p->tx_len - p->tx_off;
}

/* Room for len more bytes at p->tx + p->tx_len, or NULL (counted: the case fails). */
static uint8_t *
bd_tx_room(struct bd_part *p, uint32_t len)
{
	if (p->tx_len + len > BD_TX_CAP && p->tx_off > 0) {
		memmove(p->tx, p->tx + p->tx_off, p->tx_len - p->tx_off);
		p->tx_len -= p->tx_off;
		p->tx_off = 0;
	}
	if (p->tx_len + len > BD_TX_CAP) {
		p->run->tx_overflow++;
		BD_FAIL(p->run, "participant %u: %u bytes queued for TCP, no room", p->idx,
		        p->tx_len);
		return NULL;
	}
	return p->tx + p->tx_len;
}

/* Hands queued bytes to TCP as far as its send buffer allows. */
static void
bd_flush(struct bd_part *p)
{
	struct bd_target *t = p->run->t;

	if (p->st != BD_P_BINDING && p->st != BD_P_READY)
		return;
	while (p->tx_off < p->tx_len) {
		uint32_t n = p->tx_len - p->tx_off, space = tcp_send_space(t->tcp, p->h);
		struct rte_mbuf *m;
		int rc;

		n = n < space ? n : space;
		n = n < BD_SEND_MAX ? n : BD_SEND_MAX;
		if (n == 0) {
			tcp_want_writable(t->tcp, p->h);
			return;
		}
		m = bench_mbuf_chain(bd.pool, p->tx + p->tx_off, n);
		if (m == NULL)
			return; /* pool empty for now: the next loop retries */
		if (p->shadow != NULL) {
			/* Before tcp_send: it may already put segments on the wire. */
			for (uint32_t i = 0; i < n; i++)
				p->shadow[(p->shadow_end + i) % BD_SHADOW] = p->tx[p->tx_off + i];
			p->shadow_end += n;
		}
		rc = tcp_send(t->tcp, p->h, m, t->now_us);
		if (rc != 0) {
			if (p->shadow != NULL)
				p->shadow_end -= n;
			rte_pktmbuf_free(m);
			if (rc == -EAGAIN) {
				tcp_want_writable(t->tcp, p->h);
				return;
			}
			BD_FAIL(p->run, "participant %u: tcp_send: %s", p->idx, strerror(-rc));
			p->st = BD_P_FAILED;
			return;
		}
		p->tx_off += n;
	}
	p->tx_off = p->tx_len = 0;
	if (p->rx_deferred > 0) {
		tcp_recv_done(t->tcp, p->h, p->rx_deferred, t->now_us);
		p->rx_deferred = 0;
	}
}

static void
bd_hex(uint8_t *out, uint64_t v, unsigned int digits)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned int i = digits; i-- > 0; v >>= 4)
		out[i] = (uint8_t)hx[v & 15];
}

static bool
bd_unhex(const uint8_t *s, unsigned int digits, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned int i = 0; i < digits; i++) {
		uint8_t ch = s[i];

		if (ch >= '0' && ch <= '9')
			x = x << 4 | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			x = x << 4 | (uint64_t)(ch - 'a' + 10);
		else
			return false;
	}
	*v = x;
	return true;
}

/*
 * Builds the participant's SEND template with the project's builder: To-Path = the switch's
 * URI for the leg, From-Path = ours, Byte-Range 1-N/N, text/plain, one chunk. The tid, the
 * Message-ID (the same 12 hex digits) and the stamp are patched per message.
 */
static int
bd_template(struct bd_part *p, uint32_t body_len, const char *to, uint32_t to_len)
{
	static const uint8_t ph[BD_TID_LEN] = "000000000000";
	struct msrp_build_req rq;
	uint8_t head[1024];
	ssize_t hn, en;
	const uint8_t *mid;

	memset(&rq, 0, sizeof(rq));
	rq.method = (struct msrp_span){(const uint8_t *)"SEND", 4};
	rq.tid = (struct msrp_span){ph, BD_TID_LEN};
	rq.to_path = (struct msrp_span){(const uint8_t *)to, to_len};
	rq.from_path = (struct msrp_span){(const uint8_t *)p->path, p->path_len};
	rq.message_id = (struct msrp_span){ph, BD_TID_LEN};
	rq.has_byte_range = true;
	rq.byte_range = (struct msrp_byte_range){1, body_len, body_len, true, true};
	rq.content_type = (struct msrp_span){(const uint8_t *)"text/plain", 10};
	rq.has_body = true;
	rq.body_len = body_len;
	rq.flag = MSRP_FLAG_END;
	hn = msrp_build_req_head(&rq, head, sizeof(head));
	if (hn < 0)
		return (int)hn;
	p->tmpl_len = (uint32_t)hn + body_len + MSRP_BUILD_END_MAX;
	p->tmpl = malloc(p->tmpl_len);
	if (p->tmpl == NULL)
		return -ENOMEM;
	memcpy(p->tmpl, head, (size_t)hn);
	for (uint32_t i = 0; i < body_len; i++)
		p->tmpl[hn + i] = (uint8_t)('a' + (i + p->idx) % 26);
	en = msrp_build_end(rq.tid, true, MSRP_FLAG_END, p->tmpl + hn + body_len,
	                    MSRP_BUILD_END_MAX);
	if (en < 0)
		return (int)en;
	p->tmpl_len = (uint32_t)(hn + body_len + en);
	p->off_tid1 = 5; /* "MSRP " tid */
	mid = memmem(head, (size_t)hn, "Message-ID: ", 12);
	if (mid == NULL)
		return -EINVAL;
	p->off_mid = (uint32_t)(mid - head) + 12;
	p->off_tid2 = (uint32_t)hn + body_len + 2 + 7; /* CRLF "-------" tid */
	p->off_stamp = (uint32_t)hn + body_len - BD_STAMP_LEN;
	p->tmpl[p->off_stamp] = '@';
	return 0;
}

/* Queues messages while the window and the queue allow (returns how many). */
static unsigned int
bd_send_more(struct bd_part *p)
{
	struct bd_run *r = p->run;
	unsigned int n = 0;

	while (p->st == BD_P_READY && p->outstanding < r->window &&
	       bd_tx_pending(p) < BD_TX_SEND_MAX) {
		uint64_t seq = p->seq_next;
		uint32_t slot = (uint32_t)(seq & (BD_WINDOW_MAX - 1));
		uint8_t *d;

		if (p->slot_busy[slot])
			break; /* an older transaction still holds the slot */
		d = bd_tx_room(p, p->tmpl_len);
		if (d == NULL)
			break;
		memcpy(d, p->tmpl, p->tmpl_len);
		bd_hex(d + p->off_tid1, seq, BD_TID_LEN);
		bd_hex(d + p->off_mid, seq, BD_TID_LEN);
		bd_hex(d + p->off_tid2, seq, BD_TID_LEN);
		p->slot_seq[slot] = seq;
		p->slot_busy[slot] = 1;
		p->slot_tsc[slot] = rte_rdtsc();
		bd_hex(d + p->off_stamp + 1, p->slot_tsc[slot], 16);
		p->tx_len += p->tmpl_len;
		p->seq_next++;
		p->outstanding++;
		r->sent++;
		n++;
	}
	return n;
}

/* The bodiless SEND that binds the session to this connection (RFC 4975 §5.4). */
static void
bd_bind(struct bd_part *p)
{
	struct msrp_build_req rq;
	char tid[16];
	uint8_t *d = bd_tx_room(p, 1024);
	ssize_t hn, en;

	if (d == NULL)
		return;
	snprintf(tid, sizeof(tid), "bind%04u", p->idx);
	memset(&rq, 0, sizeof(rq));
	rq.method = (struct msrp_span){(const uint8_t *)"SEND", 4};
	rq.tid = (struct msrp_span){(const uint8_t *)tid, (uint32_t)strlen(tid)};
	rq.to_path = (struct msrp_span){(const uint8_t *)p->sw_uri, p->sw_uri_len};
	rq.from_path = (struct msrp_span){(const uint8_t *)p->path, p->path_len};
	rq.message_id = rq.tid;
	rq.flag = MSRP_FLAG_END;
	hn = msrp_build_req_head(&rq, d, 1024);
	en = hn > 0 ? msrp_build_end(rq.tid, false, MSRP_FLAG_END, d + hn, (size_t)(1024 - hn))
	            : -1;
	if (hn < 0 || en < 0) {
		BD_FAIL(p->run, "participant %u: building the bodiless SEND failed", p->idx);
		return;
	}
	p->tx_len += (uint32_t)(hn + en);
	p->st = BD_P_BINDING;
}

/* ---- receive ---- */

/* 200 OK for a request from the switch (RFC 4975 §7.2), unless its Failure-Report says not. */
static void
bd_respond(struct bd_part *p, const struct msrp_frame *f)
{
	struct msrp_span rest = f->from_path, prev;
	uint8_t *d;
	ssize_t n;

	if (f->failure_report == MSRP_REPORT_NO || f->failure_report == MSRP_REPORT_PARTIAL)
		return;
	if (!msrp_path_next(&rest, &prev)) {
		BD_FAIL(p->run, "participant %u: SEND without From-Path", p->idx);
		return;
	}
	d = bd_tx_room(p, 1024);
	if (d == NULL)
		return;
	n = msrp_build_response(f->tid, 200, (struct msrp_span){(const uint8_t *)"OK", 2}, prev,
	                        (struct msrp_span){(const uint8_t *)p->path, p->path_len}, d, 1024);
	if (n < 0) {
		BD_FAIL(p->run, "participant %u: building a 200 failed (%zd)", p->idx, n);
		return;
	}
	p->tx_len += (uint32_t)n;
}

/* The sender's TSC from the last BD_STAMP_LEN body bytes; false if there is no stamp. */
static bool
bd_stamp(const struct msrp_frame *f, uint64_t *tsc)
{
	uint8_t tail[BD_STAMP_LEN];
	uint32_t need = BD_STAMP_LEN;

	if (f->body_len < BD_STAMP_LEN)
		return false;
	for (uint32_t i = f->n_body_segs; i-- > 0 && need > 0;) {
		const struct msrp_span *s = &f->body_segs[i];
		uint32_t k = s->len < need ? s->len : need;

		memcpy(tail + need - k, s->p + s->len - k, k);
		need -= k;
	}
	return need == 0 && tail[0] == '@' && bd_unhex(tail + 1, 16, tsc);
}

/* Releases the transaction slot named by a tid; false if it is not one of ours. */
static bool
bd_slot_done(struct bd_part *p, struct msrp_span tid, uint64_t *sent_tsc)
{
	uint64_t seq;
	uint32_t slot;

	if (tid.len != BD_TID_LEN || !bd_unhex(tid.p, BD_TID_LEN, &seq))
		return false;
	slot = (uint32_t)(seq & (BD_WINDOW_MAX - 1));
	if (!p->slot_busy[slot] || p->slot_seq[slot] != seq)
		return false;
	p->slot_busy[slot] = 0;
	p->outstanding--;
	*sent_tsc = p->slot_tsc[slot];
	return true;
}

static void
bd_on_response(struct bd_part *p, const struct msrp_frame *f, uint64_t now)
{
	struct bd_run *r = p->run;
	uint64_t sent;

	if (p->st == BD_P_BINDING) {
		if (f->status_code != 200) {
			BD_FAIL(r, "participant %u: the bodiless SEND got %u", p->idx,
			        f->status_code);
			p->st = BD_P_FAILED;
			return;
		}
		p->st = BD_P_READY;
		return;
	}
	if (!bd_slot_done(p, f->tid, &sent)) {
		r->unmatched++;
		return;
	}
	if (f->status_code != 200) {
		r->resp_errors++;
		if (f->status_code < RTE_DIM(r->resp_codes))
			r->resp_codes[f->status_code]++;
		return;
	}
	r->acked++;
	if (r->measuring) {
		r->msgs_win++;
		bd_hist_add(&r->resp, (uint64_t)((double)(now - sent) * bd.ns_per_cyc));
	}
}

static void
bd_on_frame(struct bd_part *p, const struct msrp_frame *f)
{
	struct bd_run *r = p->run;
	uint64_t now = rte_rdtsc(), stamp, sent;

	if (f->kind == MSRP_KIND_RESPONSE) {
		bd_on_response(p, f, now);
		return;
	}
	if (f->method == MSRP_METHOD_REPORT) {
		r->reports++; /* never answered (RFC 4975 §7.1.2); none is asked for */
		return;
	}
	if (f->method != MSRP_METHOD_SEND) {
		r->unexpected++;
		return;
	}
	if (r->c->kind == BD_ECHO) {
		/* Our own SEND came back: one delivery, and its transaction is done. */
		if (!bd_slot_done(p, f->tid, &sent)) {
			r->unmatched++;
			return;
		}
		r->delivered++;
		if (r->measuring) {
			r->msgs_win++;
			r->deliv_win++;
			bd_hist_add(&r->e2e, (uint64_t)((double)(now - sent) * bd.ns_per_cyc));
		}
		return;
	}
	bd_respond(p, f);
	if (f->flag == MSRP_FLAG_ABORT) {
		r->aborted++;
		return;
	}
	if (f->flag != MSRP_FLAG_END)
		return; /* a re-chunked message: delivered with its last chunk */
	r->delivered++;
	if (!r->measuring)
		return;
	r->deliv_win++;
	if (bd_stamp(f, &stamp) && stamp <= now)
		bd_hist_add(&r->e2e, (uint64_t)((double)(now - stamp) * bd.ns_per_cyc));
	else
		r->bad_stamp++;
}

/*
 * Appends received bytes to the connection's receive buffers and feeds them to the parser.
 * The parser is zero copy (msrp.h): the bytes of the frame in progress must stay in place
 * until it is returned. Two buffers: when the current one is full in the middle of a frame,
 * the frame continues in the other, which no unfinished frame references any more (every
 * frame completed since resets it). A copy, like a kernel socket buffer, so any segmentation
 * of the stream works.
 */
static void
bd_rx_bytes(struct bd_part *p, const uint8_t *d, uint32_t len)
{
	while (len > 0 && p->st != BD_P_FAILED) {
		uint8_t cur = p->rx_cur;
		uint32_t base = p->rx_len[cur], k = BD_RXBUF - base;
		size_t off = 0;

		if (k == 0) {
			if (msrp_parser_idle(&p->parser)) {
				p->rx_len[cur] = 0;
			} else if (p->rx_len[cur ^ 1] == 0) {
				p->rx_cur ^= 1;
			} else {
				BD_FAIL(p->run, "participant %u: a frame larger than %u bytes",
				        p->idx, BD_RXBUF);
				p->st = BD_P_FAILED;
			}
			continue;
		}
		k = k < len ? k : len;
		memcpy(p->rxb[cur] + base, d, k);
		p->rx_len[cur] += k;
		while (off < k) {
			struct msrp_frame f;
			size_t used = 0;
			enum msrp_rc rc = msrp_parser_feed(&p->parser, p->rxb[cur] + base + off,
			                                   k - off, &used, &f);

			off += used;
			if (rc == MSRP_AGAIN)
				break;
			if (rc != MSRP_OK) {
				BD_FAIL(p->run,
				        "participant %u: the data plane sent invalid MSRP (%s at "
				        "stream "
				        "offset %lu)",
				        p->idx, msrp_rc_name(rc),
				        (unsigned long)msrp_parser_error_pos(&p->parser));
				p->st = BD_P_FAILED;
				return;
			}
			bd_on_frame(p, &f);
			/* The next frame starts in this buffer: the other one is free. */
			p->rx_len[cur ^ 1] = 0;
		}
		if (msrp_parser_idle(&p->parser))
			p->rx_len[0] = p->rx_len[1] = 0;
		d += k;
		len -= k;
	}
}

static void
bd_tcp_connected(void *ctx, struct tcp_handle h)
{
	struct bd_part *p = ctx;

	(void)h;
	if (p->run->c->kind == BD_ECHO)
		p->st = BD_P_READY;
	else
		bd_bind(p);
	bd_flush(p);
}

static void
bd_tcp_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct bd_part *p = ctx;
	struct bd_target *t = p->run->t;
	uint32_t total = 0;

	(void)h;
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		total += s->data_len;
		p->run->rx_segs++;
		p->run->rx_small_segs += s->data_len < BD_SMALL_SEG;
		bd_rx_bytes(p, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
	}
	rte_pktmbuf_free(m);
	/* Responses owed pile up while TCP cannot take them: the peer waits with its data. */
	if (bd_tx_pending(p) > BD_TX_RX_DEFER) {
		p->run->rx_deferrals += p->rx_deferred == 0;
		p->rx_deferred += total;
	} else
		tcp_recv_done(t->tcp, p->h, total, t->now_us);
}

static void
bd_tcp_peer_closed(void *ctx, struct tcp_handle h)
{
	struct bd_part *p = ctx;
	struct bd_target *t = p->run->t;

	if (p->st == BD_P_CLOSING)
		return; /* our FIN went first; the closed callback follows */
	BD_FAIL(p->run, "participant %u: the peer closed the connection", p->idx);
	p->st = BD_P_CLOSING;
	tcp_close(t->tcp, h, t->now_us);
}

static void
bd_tcp_writable(void *ctx, struct tcp_handle h)
{
	(void)h;
	bd_flush(ctx);
}

static void
bd_tcp_closed(void *ctx, struct tcp_handle h, int err)
{
	struct bd_part *p = ctx;

	(void)h;
	if (p->st != BD_P_CLOSING)
		BD_FAIL(p->run, "participant %u: connection ended: %s", p->idx,
		        err != 0 ? strerror(-err) : "closed");
	else if (err != 0)
		BD_FAIL(p->run, "participant %u: close ended with %s", p->idx, strerror(-err));
	p->st = BD_P_CLOSED;
}

static const struct tcp_app_ops bd_tcp_ops = {
        .connected = bd_tcp_connected,
        .recv = bd_tcp_recv,
        .peer_closed = bd_tcp_peer_closed,
        .writable = bd_tcp_writable,
        .closed = bd_tcp_closed,
};

/* ---- control channel ---- */

static const char *const bd_close_reasons[SW_CLOSE_COUNT] = {
#define BD_CLOSE_DOC(sym, doc) doc,
        SW_CLOSE_REASON_LIST(BD_CLOSE_DOC)
#undef BD_CLOSE_DOC
};

static void
bd_ctl_event(struct ctl_client *c, const struct ctl_msg *m, void *arg)
{
	struct bd_target *t = arg;

	(void)c;
	if (t->run == NULL)
		return;
	if (m->rec.hdr.type == MSW_CTL_EV_MSG_DONE) {
		t->run->msg_done_events++;
	} else if (m->rec.hdr.type == MSW_CTL_EV_LEG_CLOSED) {
		/* A leg of a running case ended: say why (reason = enum sw_close_reason). */
		struct msw_ctl_ev_leg ev;

		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, m->rec.payload,
		       m->rec.hdr.len < sizeof(ev) ? m->rec.hdr.len : sizeof(ev));
		/* Our own closes at the end of a case end legs with CONN_CLOSED. */
		if (ev.reason == SW_CLOSE_CONN_CLOSED && !t->run->sending)
			return;
		bench_log(BD_PROG, "%s: the data plane closed leg %.*s: %s (error %d)",
		          t->run->c->name, (int)ev.leg.session_id_len, ev.leg.session_id,
		          ev.reason < SW_CLOSE_COUNT ? bd_close_reasons[ev.reason]
		                                     : "unknown reason",
		          ev.error);
		BD_FAIL(t->run, "the data plane closed leg %.*s: %s (error %d)",
		        (int)ev.leg.session_id_len, ev.leg.session_id,
		        ev.reason < SW_CLOSE_COUNT ? bd_close_reasons[ev.reason] : "unknown reason",
		        ev.error);
	}
}

/* Events the data plane posts (leg bound, message done) are consumed like a control plane. */
static void
bd_ctl_drain(struct bd_target *t)
{
	struct ctl_msg m;

	for (int i = 0; i < 65536 && ctl_client_recv(t->ctl, &m, 0) == 0; i++)
		if ((m.rec.hdr.flags & MSW_CTL_F_REPLY) == 0)
			bd_ctl_event(t->ctl, &m, t);
}

static void
bd_conf_id(const char *name, struct msw_ctl_conf_id *id)
{
	memset(id, 0, sizeof(*id));
	id->len = (uint8_t)snprintf(id->id, sizeof(id->id), "bench-%s", name);
}

static int
bd_leg_add(struct bd_target *t, const struct msw_ctl_conf_id *conf, struct bd_part *p,
           const char *identity)
{
	struct msw_ctl_leg_add q;
	struct msw_ctl_leg_add_r rr;
	struct ctl_blob_src b[2];
	struct ctl_msg m;
	const void *uri;
	int rc, len;

	memset(&q, 0, sizeof(q));
	q.leg.conf = *conf; /* session_id_len 0: the data plane draws it (RFC 4975 §14.1) */
	q.setup = MSW_CTL_SETUP_PASSIVE;
	b[0] = (struct ctl_blob_src){.data = identity,
	                             .len = (uint32_t)strlen(identity),
	                             .ref_off = offsetof(struct msw_ctl_leg_add, identity)};
	b[1] = (struct ctl_blob_src){.data = p->path,
	                             .len = p->path_len,
	                             .ref_off = offsetof(struct msw_ctl_leg_add, path)};
	rc = ctl_client_call(t->ctl, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &q, sizeof(q), b, 2, &m,
	                     BD_CALL_MS);
	if (rc != 0)
		return rc;
	memset(&rr, 0, sizeof(rr));
	memcpy(&rr, m.rec.payload, m.rec.hdr.len < sizeof(rr) ? m.rec.hdr.len : sizeof(rr));
	len = rr.local_uri.gen != 0 ? ctl_client_blob(t->ctl, &rr.local_uri, &uri) : -EINVAL;
	if (len <= 0 || (size_t)len >= sizeof(p->sw_uri))
		return -EBADMSG;
	memcpy(p->sw_uri, uri, (size_t)len);
	p->sw_uri[len] = '\0';
	p->sw_uri_len = (uint32_t)len;
	return 0;
}

static int
bd_ctl_counter(struct bd_target *t, const char *name, uint64_t *v)
{
	*v = 0;
	return t->ctl != NULL ? ctl_client_counter(t->ctl, name, v) : -ENOENT;
}

/*
 * Data-plane counters read over the control channel at the start and the end of a case:
 * BD_DPC(symbol, counter name). Printed as "dp_<name>" (deltas), except the residence
 * histogram (wk_lat_*), which gives dp_residence_p50/p99.
 */
#define BD_DPC_LIST(X)                                                                             \
	X(RCPT_DELIVERED, "sw_rcpt_delivered")                                                     \
	X(TX_CHUNKS, "sw_tx_chunks")                                                               \
	X(SLOW_DROP, "sw_slow_drop")                                                               \
	X(SLOW_DISCONNECT, "sw_slow_disconnect")                                                   \
	X(RCPT_TIMEOUT, "sw_rcpt_timeout")                                                         \
	X(DROP_PROTO, "sw_drop_proto")                                                             \
	X(DROP_NO_MSG, "sw_drop_no_msg")                                                           \
	X(RX_RESP, "sw_rx_resp")                                                                   \
	X(RX_RESP_FAST, "sw_rx_resp_fast")                                                         \
	X(RETRANSMITS, "tcp_retransmits")                                                          \
	X(ZERO_WINDOW_PROBES, "tcp_zero_window_probes")                                            \
	X(DROP_SEQ, "tcp_drop_seq_unacceptable")                                                   \
	X(DROP_NO_MBUF, "tcp_drop_no_mbuf")                                                        \
	X(PORT_TX_FULL, "port_tx_full")                                                            \
	X(TX_NO_MBUF, "wk_tx_no_mbuf")                                                             \
	X(TX_SNDBUF_FULL, "wk_tx_sndbuf_full")                                                     \
	X(THROTTLE_ON, "wk_throttle_on")                                                           \
	X(SLOW_ABORT, "wk_slow_abort")                                                             \
	X(EVT_RING_FULL, "wk_evt_ring_full")                                                       \
	X(EVT_POST_FAILED, "ctl_evt_post_failed")                                                  \
	X(LAT_1US, "wk_lat_lt_1us")                                                                \
	X(LAT_2US, "wk_lat_lt_2us")                                                                \
	X(LAT_4US, "wk_lat_lt_4us")                                                                \
	X(LAT_8US, "wk_lat_lt_8us")                                                                \
	X(LAT_16US, "wk_lat_lt_16us")                                                              \
	X(LAT_32US, "wk_lat_lt_32us")                                                              \
	X(LAT_64US, "wk_lat_lt_64us")                                                              \
	X(LAT_128US, "wk_lat_lt_128us")                                                            \
	X(LAT_256US, "wk_lat_lt_256us")                                                            \
	X(LAT_1MS, "wk_lat_lt_1ms")                                                                \
	X(LAT_INF, "wk_lat_ge_1ms")

enum bd_dpc {
#define BD_DPC_ENUM(sym, name) BD_DPC_##sym,
	BD_DPC_LIST(BD_DPC_ENUM)
#undef BD_DPC_ENUM
	        BD_DPC_N
};

static const char *const bd_dp_counters[BD_DPC_N] = {
#define BD_DPC_NAME(sym, name) name,
        BD_DPC_LIST(BD_DPC_NAME)
#undef BD_DPC_NAME
};

#define BD_DPC_LAT_N (BD_DPC_LAT_INF - BD_DPC_LAT_1US + 1)
static const double bd_lat_le_us[BD_DPC_LAT_N] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 1000, -1};

static void
bd_dp_snapshot(struct bd_target *t, uint64_t *v)
{
	for (size_t i = 0; i < BD_DPC_N; i++)
		bd_ctl_counter(t, bd_dp_counters[i], &v[i]);
}

/* The generator's own counters (its TCP stack and memif port), same snapshots. */
enum bd_gen { BD_GEN_RETRANSMITS, BD_GEN_TCP_DROPS, BD_GEN_PORT_TX_FULL, BD_GEN_N };

static void
bd_gen_snapshot(struct bd_target *t, uint64_t *v)
{
	struct tcp_stats *ts = tcp_stack_stats(t->tcp);

	v[BD_GEN_RETRANSMITS] = tcp_stat_read(&ts->cnt[TCP_CNT_RETRANSMITS]);
	v[BD_GEN_TCP_DROPS] = 0;
	for (int i = 0; i < TCP_DROP_MAX; i++)
		v[BD_GEN_TCP_DROPS] += tcp_stat_read(&ts->drop[i]);
	v[BD_GEN_PORT_TX_FULL] = port_stat_read(&t->mi.port.q[0].cnt[PORT_CNT_TX_FULL]);
}

/* Upper bound (us) of the switch residence bucket holding quantile q; -1 = above 1 ms. */
static double
bd_dp_residence(const uint64_t *d, double q)
{
	uint64_t n = 0, seen = 0, rank;

	for (int i = 0; i < BD_DPC_LAT_N; i++)
		n += d[BD_DPC_LAT_1US + i];
	if (n == 0)
		return 0;
	rank = (uint64_t)(q * (double)n + 0.999999);
	for (int i = 0; i < BD_DPC_LAT_N; i++) {
		seen += d[BD_DPC_LAT_1US + i];
		if (seen >= rank)
			return bd_lat_le_us[i];
	}
	return -1;
}

/* ---- one loop iteration ---- */

static unsigned int
bd_poll(struct bd_target *t, struct bd_run *r)
{
	struct rte_mbuf *pkts[BD_BURST];
	uint64_t start = rte_rdtsc(), tsc;
	uint16_t got = port_rx_burst(&t->mi.port.q[0], pkts, BD_BURST);
	unsigned int work = got;

	t->now_us = bd_now_us();
	for (uint16_t i = 0; i < got; i++)
		net_rx(t->ifc, pkts[i], t->now_us);
	if (r != NULL)
		for (uint32_t i = 0; i < r->n; i++) {
			if (r->sending)
				work += bd_send_more(&r->p[i]);
			if (bd_tx_pending(&r->p[i]) > 0)
				bd_flush(&r->p[i]);
		}
	if (got == 0 || (++t->iter & 7) == 0) {
		tcp_timers(t->tcp, t->now_us);
		net_tick(t->ifc, t->now_us);
	}
	tcp_flush(t->tcp);
	port_tx_burst(&t->mi.port.q[0], NULL, 0);
	tsc = rte_rdtsc();
	if (t->ctl != NULL && tsc >= t->next_ctl_tsc) {
		t->next_ctl_tsc = tsc + bd.hz / 1000;
		bd_ctl_drain(t);
	}
	if (tsc >= t->next_child_tsc) {
		t->next_child_tsc = tsc + bd.hz / 10;
		if (!bench_child_alive(&t->child) && r != NULL)
			BD_FAIL(r, "%s exited (status %d) during the case", t->child.log,
			        t->child.exit_status);
	}
	if (r != NULL && r->measuring && work > 0)
		r->busy_cyc += rte_rdtsc() - start;
	return work;
}

/*
 * Polls until done(r) or the deadline; false on timeout or failure, and on a stop signal
 * when stoppable (the teardown finishes its orderly close even after SIGINT).
 */
static bool
bd_poll_until(struct bd_target *t, struct bd_run *r, double seconds, bool (*done)(struct bd_run *),
              bool stoppable)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)bd.hz);

	while (!done(r)) {
		if (r->err[0] != '\0' || (stoppable && bench_stop) || rte_rdtsc() > end)
			return false;
		bd_poll(t, r);
	}
	return true;
}

static bool
bd_all_ready(struct bd_run *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->p[i].st != BD_P_READY)
			return false;
	return true;
}

static uint64_t
bd_expected(const struct bd_run *r)
{
	/* Messages the switch refused (error response) are not forwarded. */
	return r->c->kind == BD_ECHO ? r->sent : r->acked * (r->n - 1);
}

static bool
bd_drained(struct bd_run *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->p[i].outstanding > 0 || bd_tx_pending(&r->p[i]) > 0)
			return false;
	return r->delivered >= bd_expected(r);
}

static bool
bd_all_closed(struct bd_run *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->p[i].st != BD_P_CLOSED && r->p[i].st != BD_P_IDLE)
			return false;
	return true;
}

/* ---- one case ---- */

static void
bd_print_result(const struct bd_run *r, double secs, const uint64_t *d, const uint64_t *g)
{
	const struct bd_case *c = r->c;
	printf("{\"bench\":\"%s\",\"case\":\"%s\",\"legs\":%u,\"senders\":%u,\"body_bytes\":%u,"
	       "\"cpim\":\"%s\",\"window\":%u,\"dp_workers\":%u,\"via\":\"%s\","
	       "\"duration_s\":%.2f,\"msgs\":%lu,\"msgs_per_s\":%.0f,\"deliveries\":%lu,"
	       "\"deliveries_per_s\":%.0f",
	       BD_BENCH, c->name, c->legs, r->n, c->body,
	       c->cpim == MSW_CTL_CPIM_WRAP  ? "wrap"
	       : c->cpim == MSW_CTL_CPIM_OFF ? "off"
	                                     : "required",
	       r->window, c->workers, c->kind == BD_ECHO ? "msw-tcp-echo" : "msw-dataplane", secs,
	       (unsigned long)r->msgs_win, (double)r->msgs_win / secs, (unsigned long)r->deliv_win,
	       (double)r->deliv_win / secs);
	printf(",\"e2e_p50_us\":%.2f,\"e2e_p90_us\":%.2f,\"e2e_p99_us\":%.2f,"
	       "\"e2e_p999_us\":%.2f,\"e2e_max_us\":%.2f",
	       bd_hist_quantile_us(&r->e2e, 0.5), bd_hist_quantile_us(&r->e2e, 0.9),
	       bd_hist_quantile_us(&r->e2e, 0.99), bd_hist_quantile_us(&r->e2e, 0.999),
	       (double)r->e2e.max / 1000.0);
	if (c->kind == BD_SWITCH)
		printf(",\"resp_p50_us\":%.2f,\"resp_p90_us\":%.2f,\"resp_p99_us\":%.2f,"
		       "\"resp_p999_us\":%.2f,\"resp_max_us\":%.2f",
		       bd_hist_quantile_us(&r->resp, 0.5), bd_hist_quantile_us(&r->resp, 0.9),
		       bd_hist_quantile_us(&r->resp, 0.99), bd_hist_quantile_us(&r->resp, 0.999),
		       (double)r->resp.max / 1000.0);
	printf(",\"sent\":%lu,\"lost\":%lu,\"resp_errors\":%lu,\"aborted\":%lu,\"reports\":%lu,"
	       "\"unmatched\":%lu,\"bad_stamp\":%lu,\"gen_rx_deferrals\":%lu,"
	       "\"gen_rx_segs\":%lu,\"gen_rx_small_segs\":%lu,\"gen_busy_pct\":%.1f",
	       (unsigned long)r->sent,
	       (unsigned long)(bd_expected(r) > r->delivered ? bd_expected(r) - r->delivered : 0),
	       (unsigned long)r->resp_errors, (unsigned long)r->aborted, (unsigned long)r->reports,
	       (unsigned long)r->unmatched, (unsigned long)r->bad_stamp,
	       (unsigned long)r->rx_deferrals, (unsigned long)r->rx_segs,
	       (unsigned long)r->rx_small_segs,
	       secs > 0 ? 100.0 * (double)r->busy_cyc / (secs * (double)bd.hz) : 0.0);
	if (r->resp_errors > 0) {
		bool first = true;

		printf(",\"resp_codes\":{");
		for (unsigned int i = 0; i < RTE_DIM(r->resp_codes); i++)
			if (r->resp_codes[i] > 0) {
				printf("%s\"%u\":%lu", first ? "" : ",", i,
				       (unsigned long)r->resp_codes[i]);
				first = false;
			}
		printf("}");
	}
	printf(",\"gen_tcp_retransmits\":%lu,\"gen_tcp_drops\":%lu,\"gen_port_tx_full\":%lu",
	       (unsigned long)g[BD_GEN_RETRANSMITS], (unsigned long)g[BD_GEN_TCP_DROPS],
	       (unsigned long)g[BD_GEN_PORT_TX_FULL]);
	if (c->kind == BD_SWITCH) {
		printf(",\"dp_residence_p50_le_us\":%.0f,\"dp_residence_p99_le_us\":%.0f,"
		       "\"dp_resp_fast_pct\":%.1f,\"msg_done_events\":%lu",
		       bd_dp_residence(d, 0.5), bd_dp_residence(d, 0.99),
		       d[BD_DPC_RX_RESP]
		               ? 100.0 * (double)d[BD_DPC_RX_RESP_FAST] / (double)d[BD_DPC_RX_RESP]
		               : 0.0,
		       (unsigned long)r->msg_done_events);
		for (int i = 0; i < BD_DPC_LAT_1US; i++)
			printf(",\"dp_%s\":%lu", bd_dp_counters[i], (unsigned long)d[i]);
	}
	printf(",\"bench_cpu\":%u,\"loadavg_1m\":%.2f", bd.bench_cpu, r->loadavg);
	if (bd.o.check_tx)
		printf(",\"gen_tx_checked_bytes\":%lu,\"gen_tx_small_segs\":%lu",
		       (unsigned long)r->tx_checked, (unsigned long)r->tx_small_segs);
	if (bd.o.impair_arg != NULL) {
		printf(",\"impair\":");
		bench_json_str(stdout, bd.o.impair_arg);
	}
	bench_json_end(r->err);
}

/* Sets up the participants of a case (conference, legs, TCP, binding). */
static int
bd_case_setup(struct bd_target *t, struct bd_run *r, const struct msw_ctl_conf_id *conf)
{
	const struct bd_case *c = r->c;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(t->ip)};
	int rc;

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (c->kind == BD_SWITCH) {
		struct msw_ctl_conf_create q;

		memset(&q, 0, sizeof(q));
		q.conf = *conf;
		q.max_legs = c->legs;
		q.cpim_policy = c->cpim;
		rc = ctl_client_call(t->ctl, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &q,
		                     sizeof(q), NULL, 0, NULL, BD_CALL_MS);
		if (rc != 0) {
			BD_FAIL(r, "CONF_CREATE %.*s: %s", conf->len, conf->id, strerror(-rc));
			return -1;
		}
	}
	for (uint32_t i = 0; i < r->n; i++) {
		struct bd_part *p = &r->p[i];
		char identity[64];

		p->run = r;
		p->idx = i;
		p->lport = t->next_lport++;
		p->path_len =
		        (uint32_t)snprintf(p->path, sizeof(p->path), "msrp://%s:%u/b%dp%u;tcp", ip,
		                           p->lport, (int)getpid(), p->lport);
		p->tx = malloc(BD_TX_CAP);
		p->rxb[0] = malloc(BD_RXBUF);
		p->rxb[1] = malloc(BD_RXBUF);
		if (bd.o.check_tx && (p->shadow = malloc(BD_SHADOW)) == NULL) {
			BD_FAIL(r, "out of memory");
			return -1;
		}
		if (p->tx == NULL || p->rxb[0] == NULL || p->rxb[1] == NULL ||
		    msrp_parser_init(&p->parser, NULL, p->hdr_buf, BD_HDR_CAP) != 0) {
			BD_FAIL(r, "out of memory");
			return -1;
		}
		if (c->kind == BD_SWITCH) {
			snprintf(identity, sizeof(identity), "sip:p%u@bench.invalid", i);
			rc = bd_leg_add(t, conf, p, identity);
			if (rc != 0) {
				BD_FAIL(r, "LEG_ADD %u: %s", i, strerror(-rc));
				return -1;
			}
		} else {
			/* The echo returns our frames: To-Path is just a well-formed URI. */
			p->sw_uri_len =
			        (uint32_t)snprintf(p->sw_uri, sizeof(p->sw_uri),
			                           "msrp://10.91.0.2:%u/echo;tcp", BD_MSRP_PORT);
		}
		rc = bd_template(p, c->body, p->sw_uri, p->sw_uri_len);
		if (rc != 0) {
			BD_FAIL(r, "participant %u: SEND template: %s", i, strerror(-rc));
			return -1;
		}
		rc = tcp_connect(t->tcp, t->peer_ip, BD_MSRP_PORT, p->lport, &bd_tcp_ops, p,
		                 t->now_us, &p->h);
		if (rc != 0) {
			BD_FAIL(r, "participant %u: tcp_connect: %s", i, strerror(-rc));
			return -1;
		}
		p->st = BD_P_CONNECTING;
	}
	if (!bd_poll_until(t, r, 5.0, bd_all_ready, true)) {
		BD_FAIL(r, "participants not connected and bound within 5 s");
		return -1;
	}
	return 0;
}

static void
bd_case_teardown(struct bd_target *t, struct bd_run *r, const struct msw_ctl_conf_id *conf)
{
	char err[sizeof(r->err)];

	/* Orderly close first: the switch sees the connections end, then the conference goes. */
	snprintf(err, sizeof(err), "%s", r->err);
	for (uint32_t i = 0; i < r->n; i++) {
		struct bd_part *p = &r->p[i];

		if (p->st == BD_P_CONNECTING || p->st == BD_P_BINDING || p->st == BD_P_READY ||
		    p->st == BD_P_FAILED) {
			p->st = BD_P_CLOSING;
			if (tcp_close(t->tcp, p->h, t->now_us) != 0)
				p->st = BD_P_CLOSED;
		}
	}
	r->err[0] = '\0';
	if (!bd_poll_until(t, r, 3.0, bd_all_closed, false) && err[0] == '\0')
		snprintf(err, sizeof(err), "connections not closed within 3 s: %.400s",
		         r->err[0] != '\0' ? r->err : "timeout");
	for (uint32_t i = 0; i < r->n; i++) {
		struct bd_part *p = &r->p[i];

		if (p->st != BD_P_CLOSED && p->st != BD_P_IDLE)
			tcp_abort(t->tcp, p->h, t->now_us);
		free(p->rxb[0]);
		free(p->rxb[1]);
		free(p->shadow);
		free(p->tx);
		free(p->tmpl);
	}
	if (r->c->kind == BD_SWITCH && t->ctl != NULL) {
		struct msw_ctl_conf_del q;
		int rc;

		memset(&q, 0, sizeof(q));
		q.conf = *conf;
		rc = ctl_client_call(t->ctl, MSW_CTL_CONF_DEL, MSW_CTL_VER_CONF_DEL, &q, sizeof(q),
		                     NULL, 0, NULL, BD_CALL_MS);
		if (rc != 0 && err[0] == '\0')
			snprintf(err, sizeof(err), "CONF_DEL: %s", strerror(-rc));
	}
	snprintf(r->err, sizeof(r->err), "%s", err);
}

/* Runs one case on a target; prints its JSON line. Returns 0 when it was complete. */
static int
bd_case_run(struct bd_target *t, const struct bd_case *c)
{
	struct msw_ctl_conf_id conf;
	uint64_t d0[BD_DPC_N] = {0}, d1[BD_DPC_N] = {0}, d[BD_DPC_N], t0, t1;
	uint64_t g0[BD_GEN_N] = {0}, g1[BD_GEN_N] = {0}, g[BD_GEN_N];
	struct bd_run *r = calloc(1, sizeof(*r));
	double secs = 0;
	bool measured = false, started = false;
	int rc;

	if (r == NULL || (r->p = calloc(c->legs, sizeof(*r->p))) == NULL) {
		bench_print_status(BD_BENCH, c->name, "error", "out of memory");
		free(r);
		return -1;
	}
	r->t = t;
	r->c = c;
	r->n = c->legs;
	r->window = c->window != 0 ? c->window : bd.o.window;
	t->run = r;
	bd_conf_id(c->name, &conf);
	if (getloadavg(&r->loadavg, 1) != 1)
		r->loadavg = -1;
	bench_log(BD_PROG, "%s: %u participants, %u-byte messages, window %u", c->name, r->n,
	          c->body, r->window);
	if (bd_case_setup(t, r, &conf) == 0) {
		/* Data-plane counters cover the case from here (warm-up included). */
		bd_dp_snapshot(t, d0);
		bd_gen_snapshot(t, g0);
		started = true;
		/* Warm-up: TCP windows open, pools and caches in steady state. */
		r->sending = true;
		t1 = rte_rdtsc() + (uint64_t)(bd.o.warmup * (double)bd.hz);
		while (rte_rdtsc() < t1 && r->err[0] == '\0' && !bench_stop)
			bd_poll(t, r);
		r->measuring = true;
		t0 = rte_rdtsc();
		t1 = t0 + (uint64_t)(bd.o.seconds * (double)bd.hz);
		while (rte_rdtsc() < t1 && r->err[0] == '\0' && !bench_stop)
			bd_poll(t, r);
		r->measuring = false;
		measured = true;
		secs = (double)(rte_rdtsc() - t0) / (double)bd.hz;
		if (r->err[0] != '\0')
			usleep(20000); /* the data plane publishes its counters each ms */
		bd_dp_snapshot(t, d1);
		bd_gen_snapshot(t, g1);
		r->sending = false;
		/* Every message must reach every other participant. */
		if (r->err[0] == '\0' && !bd_poll_until(t, r, 5.0, bd_drained, true) &&
		    r->err[0] == '\0' && !bench_stop) {
			uint64_t owed = 0;
			char stuck[256];
			size_t k = 0;

			stuck[0] = '\0';
			for (uint32_t i = 0; i < r->n; i++) {
				struct bd_part *p = &r->p[i];

				owed += p->outstanding;
				if ((p->outstanding > 0 || bd_tx_pending(p) > 0) &&
				    k + 64 < sizeof(stuck))
					k += (size_t)snprintf(
					        stuck + k, sizeof(stuck) - k,
					        " p%u: %u unanswered, %u bytes unsent, TCP %s, "
					        "send space %u;",
					        i, p->outstanding, bd_tx_pending(p),
					        tcp_state_names[tcp_conn_state(t->tcp, p->h)],
					        tcp_send_space(t->tcp, p->h));
			}
			BD_FAIL(r,
			        "5 s after the last SEND: %lu of %lu deliveries and %lu of %lu "
			        "responses missing;%s",
			        (unsigned long)(bd_expected(r) > r->delivered
			                                ? bd_expected(r) - r->delivered
			                                : 0),
			        (unsigned long)bd_expected(r), (unsigned long)owed,
			        (unsigned long)r->sent, stuck);
		}
	}
	if (started && !measured) {
		/* Failed before the window ended: counters up to the failure (published each ms).
		 */
		usleep(20000);
		bd_dp_snapshot(t, d1);
		bd_gen_snapshot(t, g1);
	}
	bd_case_teardown(t, r, &conf);
	for (size_t i = 0; i < BD_DPC_N; i++)
		d[i] = d1[i] - d0[i];
	for (size_t i = 0; i < BD_GEN_N; i++)
		g[i] = g1[i] - g0[i];
	if (bench_stop && r->err[0] == '\0')
		BD_FAIL(r, "interrupted");
	if (r->err[0] == '\0' &&
	    (r->resp_errors > 0 || r->unmatched > 0 || r->bad_stamp > 0 || r->unexpected > 0))
		BD_FAIL(r,
		        "%lu error responses, %lu unmatched frames, %lu copies without a stamp, "
		        "%lu requests other than SEND/REPORT",
		        (unsigned long)r->resp_errors, (unsigned long)r->unmatched,
		        (unsigned long)r->bad_stamp, (unsigned long)r->unexpected);
	if (r->err[0] != '\0')
		bench_log(BD_PROG, "%s: %s", c->name, r->err);
	if (!started)
		bench_print_status(BD_BENCH, c->name, "error", r->err);
	else
		bd_print_result(r, secs, d, g);
	rc = r->err[0] == '\0' ? 0 : -1;
	t->run = NULL;
	free(r->p);
	free(r);
	return rc;
}

/* ---- targets ---- */

static bool
bd_case_selected(const struct bd_case *c)
{
	if (c->kind == BD_ECHO && !bd.o.baseline)
		return false;
	if (bd.o.n_only == 0)
		return true;
	for (uint32_t i = 0; i < bd.o.n_only; i++)
		if (strcmp(bd.o.only[i], c->name) == 0)
			return true;
	return false;
}

/* The data plane's CPUs: the first n allowed CPUs that are not the bench's. */
static int
bd_dp_cpus(uint32_t n, char *out, size_t cap)
{
	size_t len = 0;
	uint32_t k = 0;

	out[0] = '\0';
	for (unsigned int cpu = 0; cpu < CPU_SETSIZE && k < n; cpu++) {
		if (!CPU_ISSET(cpu, &bd.cpus) || cpu == bd.bench_cpu)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%u", k ? "," : "", cpu);
		k++;
	}
	return k == n ? 0 : -1;
}

static int
bd_write_dp_config(struct bd_target *t, const char *cpus)
{
	FILE *f = fopen(t->cfg, "w");

	if (f == NULL) {
		bench_log(BD_PROG, "%s: %s", t->cfg, strerror(errno));
		return -1;
	}
	/*
	 * Keys in docs/config.md; what is not here keeps its default. net_memif has no RSS:
	 * with several workers the data plane steers flows in software (docs/dataplane.md).
	 */
	fprintf(f,
	        "# Generated by msw-bench-dataplane.\n"
	        "instance = \"%s\";\n"
	        "log = { level = \"notice\"; };\n"
	        "eal = {\n"
	        "\targs = [ \"-m\", \"512\", \"--no-pci\" ];\n"
	        "\tlcores = \"%s\";\n"
	        "\thugepages = \"off\";\n"
	        "};\n"
	        "dataplane = {\n"
	        "\tworkers = %u;\n"
	        "\tmsrp_port = %u;\n"
	        "\tidle_sleep_us = 0;\n"
	        "\tports = ( {\n"
	        "\t\tname = \"memif0\";\n"
	        "\t\tdriver = \"memif\";\n"
	        "\t\tmemif_socket = \"%s\";\n"
	        "\t\tmemif_role = \"server\";\n"
	        "\t\tqueues = %u;\n"
	        "\t\trss = false;\n"
	        "\t\tipv4 = \"10.90.0.2/24\";\n"
	        "\t} );\n"
	        "};\n",
	        t->instance, cpus, t->workers, BD_MSRP_PORT, t->sock, t->workers);
	return fclose(f) == 0 ? 0 : -1;
}

/* Starts msw-dataplane and attaches to it (control channel, memif). */
static int
bd_dp_start(struct bd_target *t, char *err, size_t errlen)
{
	char cpus[64], shm[48], name[MSW_CTL_CLIENT_NAME];
	char *argv[] = {(char *)bd.o.dataplane, "--config", t->cfg, NULL};
	double deadline;

	if (bd_dp_cpus(t->workers, cpus, sizeof(cpus)) != 0) {
		snprintf(err, errlen, "not enough CPUs");
		return -1;
	}
	snprintf(t->instance, sizeof(t->instance), "bench%d%s", (int)getpid(),
	         t->workers > 1 ? "w" : "");
	snprintf(t->sock, sizeof(t->sock), "/run/msw/%s.memif", t->instance);
	snprintf(t->cfg, sizeof(t->cfg), "%s/%s.conf", bd.tmp, t->instance);
	snprintf(t->child.log, sizeof(t->child.log), "%s/%s.log", bd.tmp, t->instance);
	snprintf(t->prefix, sizeof(t->prefix), "msw-%s", t->instance);
	snprintf(shm, sizeof(shm), "/msw.%s", t->instance);
	shm_unlink(shm);
	unlink(t->sock);
	t->ip = RTE_IPV4(10, 90, 0, 1);
	t->peer_ip = RTE_IPV4(10, 90, 0, 2);
	if (bd_write_dp_config(t, cpus) != 0 || bench_child_start(&t->child, argv, &bd.cpus) != 0) {
		snprintf(err, errlen, "cannot start %s", bd.o.dataplane);
		return -1;
	}
	bench_log(BD_PROG, "started %s --config %s (pid %d, CPUs %s)", bd.o.dataplane, t->cfg,
	          (int)t->child.pid, cpus);
	/* The control region appears once the data plane is set up (ports included). */
	snprintf(name, sizeof(name), "msw-bench.%d", (int)getpid());
	deadline = bench_wall() + 20.0;
	while ((t->ctl = ctl_client_attach(t->instance, name)) == NULL) {
		if ((errno != ENOENT && errno != EPROTO) || !bench_child_alive(&t->child) ||
		    bench_wall() > deadline || bench_stop) {
			char last[256];

			bench_log_last(t->child.log, last, sizeof(last));
			snprintf(err, errlen, "data plane did not come up (%s): %s",
			         t->child.pid == 0 ? "it exited" : strerror(errno), last);
			return -1;
		}
		usleep(20000);
	}
	if (ctl_client_wait_dp(t->ctl, 10000) != 0) {
		snprintf(err, errlen, "control channel: data plane not up within 10 s");
		return -1;
	}
	ctl_client_set_event_cb(t->ctl, bd_ctl_event, t);
	/* A renamed counter would silently read 0 in every result. */
	for (size_t i = 0; i < BD_DPC_N; i++) {
		uint64_t v;

		if (bd_ctl_counter(t, bd_dp_counters[i], &v) != 0) {
			snprintf(err, errlen, "the data plane publishes no counter %s",
			         bd_dp_counters[i]);
			return -1;
		}
	}
	return bd_target_attach(t, err, errlen);
}

/* Starts msw-tcp-echo on its own memif socket (the baseline) and attaches to it. */
static int
bd_echo_start(struct bd_target *t, char *err, size_t errlen)
{
	char cpus[64];
	struct bench_child_args args;

	if (bd_dp_cpus(1, cpus, sizeof(cpus)) != 0) {
		snprintf(err, errlen, "not enough CPUs");
		return -1;
	}
	snprintf(t->instance, sizeof(t->instance), "bench%de", (int)getpid());
	snprintf(t->sock, sizeof(t->sock), "/run/msw/%s.memif", t->instance);
	snprintf(t->child.log, sizeof(t->child.log), "%s/%s.log", bd.tmp, t->instance);
	snprintf(t->prefix, sizeof(t->prefix), "msw-%s", t->instance);
	unlink(t->sock);
	t->ip = RTE_IPV4(10, 91, 0, 1);
	t->peer_ip = RTE_IPV4(10, 91, 0, 2);
	bench_child_args_init(&args, bd.o.echo, cpus, "512", t->sock, t->prefix);
	bench_child_args_add(&args, "--ip", "10.91.0.2/24", "--port", "2855", "--time-wait-ms",
	                     "1000", NULL);
	if (args.full || bench_child_start(&t->child, args.argv, &bd.cpus) != 0) {
		snprintf(err, errlen, "cannot start %s", bd.o.echo);
		return -1;
	}
	bench_log(BD_PROG, "started %s (pid %d, CPU %s)", bd.o.echo, (int)t->child.pid, cpus);
	if (bench_child_wait_file(&t->child, t->sock, 20.0, "msw-tcp-echo", err, errlen) != 0)
		return -1;
	return bd_target_attach(t, err, errlen);
}

/* Stops a target: SIGTERM, exit status, detach, leftovers. Returns 0 if it exited 0. */
static int
bd_target_stop(struct bd_target *t)
{
	char shm[48];
	int st;

	if (t->ctl != NULL) {
		ctl_client_detach(t->ctl);
		t->ctl = NULL;
	}
	/*
	 * The child goes first, our memif client after: a memif peer that disconnects while the
	 * other side polls its rings can crash it (seen once: SIGSEGV in librte_net_memif of
	 * the data plane when our port was removed first). Nobody polls our port meanwhile.
	 */
	st = bench_child_stop(&t->child, 10.0);
	bd_target_detach(t);
	if (st != 0) {
		bench_log(BD_PROG, "%s exited with status %d",
		          t->kind == BD_ECHO ? "msw-tcp-echo" : "msw-dataplane", st);
		bench_log_tail("msw-bench-dataplane", t->child.log);
	} else {
		bench_log(BD_PROG, "%s exited 0 after SIGTERM",
		          t->kind == BD_ECHO ? "msw-tcp-echo" : "msw-dataplane");
	}
	/* The control region outlives the data plane on purpose (docs/ctl-abi.md): ours goes. */
	if (t->kind == BD_SWITCH) {
		snprintf(shm, sizeof(shm), "/msw.%s", t->instance);
		shm_unlink(shm);
	}
	unlink(t->sock);
	bench_rm_runtime_dir(bd.runtime_base, t->prefix);
	return st == 0 ? 0 : -1;
}

/* Runs every selected case of one kind and worker count on a fresh child. */
static void
bd_run_group(enum bd_kind kind, uint32_t workers)
{
	struct bd_target t;
	char err[512], why[64];
	uint32_t n = 0;
	unsigned int need = workers + 1, have = (unsigned int)CPU_COUNT(&bd.cpus);
	int rc;

	for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
		n += bd_cases[i].kind == kind && bd_cases[i].workers == workers &&
		     bd_case_selected(&bd_cases[i]);
	if (n == 0)
		return;
	if (have < need) {
		/* One CPU per data-plane worker plus the generator's own. */
		snprintf(why, sizeof(why), "needs %u cores", need);
		for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
			if (bd_cases[i].kind == kind && bd_cases[i].workers == workers &&
			    bd_case_selected(&bd_cases[i]))
				bench_print_status(BD_BENCH, bd_cases[i].name, "skipped", why);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.workers = workers;
	rc = kind == BD_ECHO ? bd_echo_start(&t, err, sizeof(err))
	                     : bd_dp_start(&t, err, sizeof(err));
	if (rc != 0) {
		bench_log(BD_PROG, "%s", err);
		bench_log_tail("msw-bench-dataplane", t.child.log);
		for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
			if (bd_cases[i].kind == kind && bd_cases[i].workers == workers &&
			    bd_case_selected(&bd_cases[i]))
				bench_print_status(BD_BENCH, bd_cases[i].name, "error", err);
		bd.failed = true;
	} else {
		for (size_t i = 0; i < RTE_DIM(bd_cases) && !bench_stop; i++)
			if (bd_cases[i].kind == kind && bd_cases[i].workers == workers &&
			    bd_case_selected(&bd_cases[i]) && bd_case_run(&t, &bd_cases[i]) != 0)
				bd.failed = true;
	}
	if (bd_target_stop(&t) != 0)
		bd.failed = true;
}

/* ---- main ---- */

static void
bd_usage(FILE *f)
{
	fprintf(f, "usage: msw-bench-dataplane [--seconds S] [--warmup S] [--window N] "
	           "[--case NAME]... [--no-baseline] [--dataplane PATH] [--echo PATH] "
	           "[--keep] [--impair drop=R,dup=R,reorder=R,corrupt=R] [--check-tx]\ncases:");
	for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
		fprintf(f, " %s", bd_cases[i].name);
	fputc('\n', f);
}

static int
bd_parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
	        {"seconds", required_argument, NULL, 's'},
	        {"warmup", required_argument, NULL, 'w'},
	        {"window", required_argument, NULL, 'W'},
	        {"case", required_argument, NULL, 'c'},
	        {"no-baseline", no_argument, NULL, 'B'},
	        {"dataplane", required_argument, NULL, 'd'},
	        {"echo", required_argument, NULL, 'e'},
	        {"keep", no_argument, NULL, 'k'},
	        {"impair", required_argument, NULL, 'i'},
	        {"check-tx", no_argument, NULL, 'C'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static char dp[PATH_MAX + 64], echo[PATH_MAX + 64];
	const char *root = getenv("MSW_BUILD_ROOT");
	int ch;

	bd.o.seconds = 5;
	bd.o.warmup = 0.5;
	bd.o.window = 32;
	bd.o.baseline = true;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (bench_parse_double(BD_PROG, optarg, 0.1, 600, &bd.o.seconds,
			                       "--seconds") != 0)
				return -1;
			break;
		case 'w':
			if (bench_parse_double(BD_PROG, optarg, 0, 60, &bd.o.warmup, "--warmup") !=
			    0)
				return -1;
			break;
		case 'W': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 1 ||
			    v > BD_WINDOW_MAX) {
				bench_log(BD_PROG, "--window: '%s' is not an integer in 1..%u",
				          optarg, BD_WINDOW_MAX);
				return -1;
			}
			bd.o.window = (uint32_t)v;
			break;
		}
		case 'c': {
			bool known = false;

			for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
				known |= strcmp(bd_cases[i].name, optarg) == 0;
			if (!known || bd.o.n_only == RTE_DIM(bd.o.only)) {
				bench_log(BD_PROG, "--case: unknown case '%s'", optarg);
				bd_usage(stderr);
				return -1;
			}
			bd.o.only[bd.o.n_only++] = optarg;
			break;
		}
		case 'B':
			bd.o.baseline = false;
			break;
		case 'd':
			bd.o.dataplane = optarg;
			break;
		case 'e':
			bd.o.echo = optarg;
			break;
		case 'k':
			bd.o.keep = true;
			break;
		case 'C':
			bd.o.check_tx = true;
			break;
		case 'i':
			if (port_impair_parse(optarg, &bd.o.impair) != 0) {
				bench_log(BD_PROG,
				          "--impair: '%s': want drop=R,dup=R,reorder=R,corrupt=R "
				          "with each R in 0..1",
				          optarg);
				return -1;
			}
			bd.o.impair_arg = optarg;
			break;
		case 'h':
			bd_usage(stdout);
			exit(0);
		default:
			bd_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		bd_usage(stderr);
		return -1;
	}
	if (bench_build_root(BD_PROG, root, bd.build_root, sizeof(bd.build_root),
	                     "--dataplane and --echo") != 0)
		return -1;
	if (bd.o.dataplane == NULL) {
		snprintf(dp, sizeof(dp), "%s/dataplane/msw-dataplane", bd.build_root);
		bd.o.dataplane = dp;
	}
	if (bd.o.echo == NULL) {
		snprintf(echo, sizeof(echo), "%s/dataplane/echo/msw-tcp-echo", bd.build_root);
		bd.o.echo = echo;
	}
	return 0;
}

static int
bd_eal_init(char *argv0)
{
	if (bench_eal_init(BD_PROG, argv0, bd.bench_cpu, "msw-bench", bd.runtime_base,
	                   sizeof(bd.runtime_base)) != 0)
		return -1;
	bd.hz = rte_get_tsc_hz();
	bd.ns_per_cyc = 1e9 / (double)bd.hz;
	bd.pool = bench_pool_create(BD_PROG, "bd_pool", BD_MBUFS);
	if (bd.pool == NULL)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	bool any_runs = false;

	if (bd_parse_opts(argc, argv) != 0)
		return 2;
	if (geteuid() != 0) {
		/* DPDK and the memif sockets in /run/msw; 77 = skipped for meson. */
		for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
			if (bd_case_selected(&bd_cases[i]))
				bench_print_status(BD_BENCH, bd_cases[i].name, "skipped",
				                   "needs root");
		return 77;
	}
	if (sched_getaffinity(0, sizeof(bd.cpus), &bd.cpus) != 0) {
		bench_log(BD_PROG, "sched_getaffinity: %s", strerror(errno));
		return 1;
	}
	/* The data plane on CPU 0 (and up), the generator on CPU 1 (docs/bench.md). */
	bd.bench_cpu = 1;
	for (size_t i = 0; i < RTE_DIM(bd_cases); i++)
		any_runs |= bd_case_selected(&bd_cases[i]) &&
		            (unsigned int)CPU_COUNT(&bd.cpus) >= bd_cases[i].workers + 1;
	if (!any_runs || !CPU_ISSET(bd.bench_cpu, &bd.cpus)) {
		char why[64];

		for (size_t i = 0; i < RTE_DIM(bd_cases); i++) {
			if (!bd_case_selected(&bd_cases[i]))
				continue;
			if (!CPU_ISSET(bd.bench_cpu, &bd.cpus))
				snprintf(why, sizeof(why), "needs CPU %u for the generator",
				         bd.bench_cpu);
			else
				snprintf(why, sizeof(why), "needs %u cores",
				         bd_cases[i].workers + 1);
			bench_print_status(BD_BENCH, bd_cases[i].name, "skipped", why);
		}
		return 0;
	}
	if (access(bd.o.dataplane, X_OK) != 0 || (bd.o.baseline && access(bd.o.echo, X_OK) != 0)) {
		bench_log(BD_PROG,
		          "%s or %s is not an executable (build it, or pass --dataplane/--echo)",
		          bd.o.dataplane, bd.o.echo);
		return 2;
	}
	if (bench_dirs_init(BD_PROG, "/tmp/msw-bench-dataplane.XXXXXX", bd.tmp, sizeof(bd.tmp)) !=
	    0)
		return 1;
	if (bd_eal_init(argv[0]) != 0)
		return 1;
	bench_signals_init();

	bd_run_group(BD_SWITCH, 1);
	if (!bench_stop)
		bd_run_group(BD_SWITCH, 2);
	if (!bench_stop)
		bd_run_group(BD_ECHO, 1);

	rte_mempool_free(bd.pool);
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "msw-bench-%d", (int)getpid());
	bench_rm_runtime_dir(bd.runtime_base, prefix);
	if (bd.failed || bd.o.keep) {
		bench_log(BD_PROG, "configs and logs kept in %s", bd.tmp);
	} else {
		bench_rm_tree(bd.tmp);
	}
	return bd.failed || bench_stop ? 1 : 0;
}
