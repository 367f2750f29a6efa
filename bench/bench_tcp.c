/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-bench-tcp: the userspace TCP stack (dataplane/port, net, tcp) end to end over net_memif,
 * both ends on it: this program is the client, on its own DPDK lcore and stack instance, and
 * msw-tcp-echo (started as a child, memif role=server) echoes. The same workloads then run
 * over Linux loopback TCP (a kernel client against a kernel echo server thread of this
 * program) as the baseline, in the same run, on the same CPUs.
 *
 * Workloads (docs/bench.md), in this order:
 *   rr_64B_window1     echo round trips per second, one connection, one 64-byte message
 *                      outstanding (latency percentiles too)
 *   rr_64B_window32    the same with 4 connections x 32 messages outstanding
 *   stream_64KiB       throughput: 4 connections sending 64 KiB writes as fast as the echo
 *                      returns them; MB/s of echoed bytes (each way), and per echo lcore
 *   conn_rate          connections opened and closed per second: --rate-conns in flight,
 *                      each connect -> established -> close -> peer's FIN (no data)
 * Every byte echoed is compared with what was sent (a repeating pseudo-random pattern), and
 * every connection must end with all its bytes back: otherwise the case fails.
 *
 * Stacks, one JSON line per stack and workload, "case" = <stack>_<workload>:
 *   msw1         msw-tcp-echo -l <CPU 0>: the echo on one lcore, the client on CPU 1
 *   msw2shared   msw-tcp-echo -l 0-1: two echo lcores (software steering over hand-off
 *                rings, memif has no RSS), the client sharing CPU 1 with echo lcore 1
 *   msw2         two echo lcores on CPUs of their own: needs 3 cores
 *   linux        kernel loopback: the echo thread on CPU 0, the client on CPU 1
 * On a machine with too few CPUs a case prints {"bench":"tcp","case":..,"skipped":"needs N
 * cores"}; one that could not run {"bench":..,"case":..,"error":".."}; 77 without root.
 *
 * Usage: msw-bench-tcp [--seconds S] [--warmup S] [--rate-conns N] [--stack NAME]...
 *        [--workload NAME]... [--echo PATH] [--keep]
 * msw-tcp-echo defaults to $MSW_BUILD_ROOT/dataplane/echo/msw-tcp-echo, else to the build
 * tree this program sits in. The memif socket is /run/msw/<instance>.memif
 * (socket-abstract=no, so it also works across network namespaces).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench_dpdk_util.h"
#include "net/net.h"
#include "port/port.h"
#include "tcp/tcp.h"

#define BT_BENCH               "tcp"
#define BT_PROG                "msw-bench-tcp" /* prefix of messages on stderr */
#define BT_BURST               32
#define BT_MBUFS               32767
#define BT_PATTERN             65536u /* period of the byte pattern; also the largest single send */
#define BT_WINDOW_MAX          64u
#define BT_CONNS_MAX           4096u
#define BT_ECHO_PORT           7
#define BT_SAMPLES             (1u << 21) /* round-trip samples kept for percentiles */
#define BT_CLIENT_TIME_WAIT_MS 200        /* our client closes first: its TIME-WAIT holds ports */
#define BT_MEMIF_LOG2_RING     12 /* 4096 slots a ring: a burst of segments of four windows fits */

/* ---- options, stacks, workloads ---- */

enum bt_work { BT_CONN_RATE, BT_RR, BT_STREAM };

struct bt_workload {
	const char *name;
	enum bt_work kind;
	uint32_t conns;  /* connections (conn_rate: in flight; 0 = --rate-conns) */
	uint32_t window; /* rr: messages outstanding per connection */
	uint32_t msg;    /* rr: message bytes; stream: bytes per write */
};

static const struct bt_workload bt_workloads[] = {
        {"rr_64B_window1", BT_RR, 1, 1, 64},
        {"rr_64B_window32", BT_RR, 4, 32, 64},
        {"stream_64KiB", BT_STREAM, 4, 0, 65536},
        /* Last: it leaves ~all ephemeral ports of our client in TIME-WAIT for a while. */
        {"conn_rate", BT_CONN_RATE, 0, 0, 0},
};

enum bt_kind { BT_MSW, BT_LINUX };

struct bt_stack {
	const char *name;
	enum bt_kind kind;
	uint32_t echo_lcores;
	bool shared; /* the client shares a CPU with an echo lcore */
	uint32_t cores_needed;
};

static const struct bt_stack bt_stacks[] = {
        {"msw1", BT_MSW, 1, false, 2},
        {"msw2shared", BT_MSW, 2, true, 2},
        {"msw2", BT_MSW, 2, false, 3},
        {"linux", BT_LINUX, 1, false, 2},
};

/* Command line. Immutable after bt_parse_opts(). */
struct bt_opts {
	double seconds, warmup;
	uint32_t rate_conns;
	const char *echo;
	const char *stacks[8], *works[8];
	uint32_t n_stacks, n_works;
	bool keep;
};

/* ---- one workload's flows, transport independent ---- */

/*
 * The byte stream of one connection: every connection sends the pattern from offset 0 and
 * must get exactly those bytes back. Thread-safety: the client thread only.
 */
struct bt_flow {
	uint64_t tx, rx;      /* stream bytes sent / echoed back and checked */
	uint32_t outstanding; /* rr: messages sent, not yet echoed */
	uint64_t sent_tsc[BT_WINDOW_MAX];
	uint32_t head, tail; /* rr: sent_tsc ring */
	bool bad;
};

/* Results of a workload in progress. Thread-safety: the client thread only. */
struct bt_run {
	const struct bt_workload *w;
	uint32_t conns, window;
	bool sending, measuring;
	uint64_t round_trips, bytes_rx, opened, closed, failed; /* inside the window */
	uint64_t t_start, t_end;                                /* TSC of the window */
	double loadavg; /* 1-minute load average at the start: the machine may be shared */
	/* Our client's stack over the window (msw stacks): losses show up here first. */
	uint64_t retrans[2], tx_full[2], ooo[2];
	uint64_t *samples;
	uint32_t n_samples;
	char err[256];
};

static struct {
	struct bt_opts o;
	struct rte_mempool *pool;
	uint64_t hz;
	cpu_set_t cpus; /* our affinity before EAL pinned us */
	unsigned int client_cpu;
	char tmp[64];
	char build_root[PATH_MAX];
	char runtime_base[PATH_MAX];
	uint32_t n_dev;
	bool failed;
	uint8_t pattern[2 * BT_PATTERN]; /* twice: any window of <= BT_PATTERN is contiguous */
} bt;

/* Records the first failure of a case; the case ends at its next check. */
#define BT_FAIL(run, ...) bench_fail((run)->err, sizeof((run)->err), __VA_ARGS__)

/* How many bytes the flow may send now (0: nothing), at most max. */
static uint32_t
bt_flow_want(const struct bt_run *r, const struct bt_flow *f, uint32_t max)
{
	uint32_t n;

	if (!r->sending || f->bad)
		return 0;
	if (r->w->kind == BT_RR && f->tx % r->w->msg != 0)
		n = r->w->msg - (uint32_t)(f->tx % r->w->msg); /* the rest of a partial write */
	else if (r->w->kind == BT_RR)
		n = f->outstanding < r->window ? r->w->msg : 0;
	else
		n = r->w->msg;
	return n <= max ? n : 0;
}

/* The bytes of the flow's stream at its send offset (n <= BT_PATTERN). */
static const uint8_t *
bt_flow_bytes(const struct bt_flow *f)
{
	return &bt.pattern[f->tx % BT_PATTERN];
}

static void
bt_flow_sent(struct bt_run *r, struct bt_flow *f, uint32_t n, uint64_t tsc)
{
	f->tx += n;
	/* A message is outstanding once its last byte is written (kernel writes may be short). */
	if (r->w->kind == BT_RR && f->tx % r->w->msg == 0) {
		f->sent_tsc[f->head++ % BT_WINDOW_MAX] = tsc;
		f->outstanding++;
	}
}

/* Echoed bytes: compared with the stream; completed messages are round trips. */
static void
bt_flow_recv(struct bt_run *r, struct bt_flow *f, const uint8_t *d, uint32_t len, uint64_t tsc)
{
	while (len > 0) {
		uint32_t off = (uint32_t)(f->rx % BT_PATTERN), k = len;

		if (k > BT_PATTERN - off)
			k = BT_PATTERN - off;
		if (f->rx + k > f->tx || memcmp(d, &bt.pattern[off], k) != 0) {
			if (!f->bad)
				BT_FAIL(r, "echoed bytes differ from the stream at offset %lu",
				        (unsigned long)f->rx);
			f->bad = true;
			return;
		}
		if (r->w->kind == BT_RR) {
			/* Messages that end inside this piece are complete round trips. */
			uint64_t msg = r->w->msg;
			uint64_t done = (f->rx + k) / msg - f->rx / msg;

			for (uint64_t i = 0; i < done; i++) {
				uint64_t t0 = f->sent_tsc[f->tail++ % BT_WINDOW_MAX];

				f->outstanding--;
				if (r->measuring) {
					r->round_trips++;
					if (r->n_samples < BT_SAMPLES)
						r->samples[r->n_samples++] = tsc - t0;
				}
			}
		}
		if (r->measuring)
			r->bytes_rx += k;
		f->rx += k;
		d += k;
		len -= k;
	}
}

/* ---- our stack: the client over the memif port ---- */

enum bt_cst { BT_C_FREE, BT_C_CONNECTING, BT_C_OPEN, BT_C_CLOSING };

struct bt_client;

/* One connection of the client. Thread-safety: the client thread only. */
struct bt_conn {
	struct bt_client *cl;
	enum bt_cst st;
	struct tcp_handle h;
	struct bt_flow f;
};

/* Our client stack on the memif port to one echo child. Thread-safety: the client thread. */
struct bt_client {
	struct bench_memif mi;
	struct bench_child child;
	char instance[32], sock[108], prefix[64];
	struct net_iface *ifc;
	struct tcp_stack *tcp;
	struct bt_run *run;
	struct bt_conn *c;
	uint32_t n_c, n_open;
	uint64_t now_us, next_child_tsc;
	uint32_t iter;
};

static uint64_t
bt_now_us(void)
{
	uint64_t c = rte_get_tsc_cycles();

	return (c / bt.hz) * 1000000 + ((c % bt.hz) * 1000000) / bt.hz;
}

static uint16_t
bt_port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	return port_tx_burst(ctx, pkts, n);
}

static const struct net_port_ops bt_port_ops = {.tx_burst = bt_port_tx};

static void bt_conn_pump(struct bt_conn *c);

static void
bt_tcp_connected(void *ctx, struct tcp_handle h)
{
	struct bt_conn *c = ctx;
	struct bt_run *r = c->cl->run;

	(void)h;
	c->st = BT_C_OPEN;
	if (r->w->kind == BT_CONN_RATE) {
		/* Open, then close at once: the peer's FIN ends it (closed callback). */
		c->st = BT_C_CLOSING;
		tcp_close(c->cl->tcp, c->h, c->cl->now_us);
		return;
	}
	bt_conn_pump(c);
}

static void
bt_tcp_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct bt_conn *c = ctx;
	uint64_t tsc = rte_rdtsc();
	uint32_t total = rte_pktmbuf_pkt_len(m);

	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		bt_flow_recv(c->cl->run, &c->f, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len,
		             tsc);
	rte_pktmbuf_free(m);
	tcp_recv_done(c->cl->tcp, h, total, c->cl->now_us);
	bt_conn_pump(c);
}

static void
bt_tcp_peer_closed(void *ctx, struct tcp_handle h)
{
	struct bt_conn *c = ctx;

	/* The echo closes only after our FIN; anything else is a failure of the case. */
	if (c->st != BT_C_CLOSING)
		BT_FAIL(c->cl->run, "the echo closed a connection we had not closed");
	(void)h;
}

static void
bt_tcp_writable(void *ctx, struct tcp_handle h)
{
	(void)h;
	bt_conn_pump(ctx);
}

static void
bt_tcp_closed(void *ctx, struct tcp_handle h, int err)
{
	struct bt_conn *c = ctx;
	struct bt_client *cl = c->cl;
	struct bt_run *r = cl->run;

	(void)h;
	if (err != 0) {
		r->failed++;
		BT_FAIL(r, "a connection ended with %s", strerror(-err));
	} else if (c->f.rx != c->f.tx) {
		BT_FAIL(r, "a connection closed with %lu of %lu bytes echoed",
		        (unsigned long)c->f.rx, (unsigned long)c->f.tx);
	} else if (r->measuring && r->w->kind == BT_CONN_RATE) {
		r->closed++;
	}
	c->st = BT_C_FREE;
	cl->n_open--;
}

static const struct tcp_app_ops bt_tcp_ops = {
        .connected = bt_tcp_connected,
        .recv = bt_tcp_recv,
        .peer_closed = bt_tcp_peer_closed,
        .writable = bt_tcp_writable,
        .closed = bt_tcp_closed,
};

/* Sends what the workload wants on an open connection, as far as TCP takes it. */
static void
bt_conn_pump(struct bt_conn *c)
{
	struct bt_client *cl = c->cl;
	struct bt_run *r = cl->run;

	while (c->st == BT_C_OPEN) {
		uint32_t space = tcp_send_space(cl->tcp, c->h);
		uint32_t n = bt_flow_want(r, &c->f, space);
		struct rte_mbuf *m;

		if (n == 0) {
			if (bt_flow_want(r, &c->f, UINT32_MAX) != 0)
				tcp_want_writable(cl->tcp, c->h);
			return;
		}
		m = bench_mbuf_chain(bt.pool, bt_flow_bytes(&c->f), n);
		if (m == NULL) {
			BT_FAIL(r, "client mbuf pool empty");
			return;
		}
		if (tcp_send(cl->tcp, c->h, m, cl->now_us) != 0) {
			rte_pktmbuf_free(m);
			tcp_want_writable(cl->tcp, c->h);
			return;
		}
		bt_flow_sent(r, &c->f, n, rte_rdtsc());
	}
}

static int
bt_conn_open(struct bt_client *cl, struct bt_conn *c)
{
	int rc;

	memset(&c->f, 0, sizeof(c->f));
	c->cl = cl;
	rc = tcp_connect(cl->tcp, RTE_IPV4(10, 93, 0, 2), BT_ECHO_PORT, 0, &bt_tcp_ops, c,
	                 cl->now_us, &c->h);
	if (rc != 0)
		return rc;
	c->st = BT_C_CONNECTING;
	cl->n_open++;
	if (cl->run->measuring)
		cl->run->opened++;
	return 0;
}

static bool
bt_client_alive(void *arg)
{
	struct bt_client *cl = arg;

	return !bench_stop && bench_child_alive(&cl->child);
}

/* One loop iteration of the client: receive, TCP, workload, transmit. */
static void
bt_client_poll(struct bt_client *cl)
{
	struct rte_mbuf *pkts[BT_BURST];
	struct bt_run *r = cl->run;

	cl->now_us = bt_now_us();
	for (uint16_t q = 0; q < cl->mi.port.nb_queues; q++) {
		uint16_t got = port_rx_burst(&cl->mi.port.q[q], pkts, BT_BURST);

		for (uint16_t i = 0; i < got; i++)
			net_rx(cl->ifc, pkts[i], cl->now_us);
	}
	if (r != NULL && r->sending && r->w->kind == BT_CONN_RATE)
		for (uint32_t i = 0; i < cl->n_c && cl->n_open < r->conns; i++)
			if (cl->c[i].st == BT_C_FREE && bt_conn_open(cl, &cl->c[i]) != 0)
				break; /* no port or slot now: again next iteration */
	if ((++cl->iter & 7) == 0) {
		tcp_timers(cl->tcp, cl->now_us);
		net_tick(cl->ifc, cl->now_us);
	}
	tcp_flush(cl->tcp);
	port_tx_burst(&cl->mi.port.q[0], NULL, 0);
	if (rte_rdtsc() >= cl->next_child_tsc) {
		cl->next_child_tsc = rte_rdtsc() + bt.hz / 10;
		if (!bench_child_alive(&cl->child) && r != NULL)
			BT_FAIL(r, "msw-tcp-echo exited (status %d)", cl->child.exit_status);
	}
}

/* ---- Linux loopback: kernel client and echo server thread ---- */

#define BT_KBUF (256u * 1024u)

/* The echo server thread's connection. Thread-safety: the server thread only. */
struct bt_kecho {
	int fd;
	uint8_t *buf;
	uint32_t off, len;
	bool eof;
};

/*
 * The kernel echo server: its thread owns the sockets and connections; stop is written by the
 * client thread (relaxed atomic), the rest is immutable after bt_kserver_start().
 */
struct bt_kserver {
	pthread_t th;
	int lfd, efd;
	uint16_t port;
	volatile int stop; /* set by the client thread */
	unsigned int cpu;
};

static void
bt_kecho_close(int efd, struct bt_kecho *e)
{
	epoll_ctl(efd, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	free(e->buf);
	free(e);
}

/* Reads and writes back until the socket blocks; closes after EOF once all is written. */
static void
bt_kecho_io(int efd, struct bt_kecho *e)
{
	for (;;) {
		ssize_t n;

		if (e->off < e->len) {
			n = send(e->fd, e->buf + e->off, e->len - e->off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN)
					return; /* EPOLLOUT follows */
				bt_kecho_close(efd, e);
				return;
			}
			e->off += (uint32_t)n;
			continue;
		}
		if (e->eof) {
			bt_kecho_close(efd, e);
			return;
		}
		e->off = e->len = 0;
		n = recv(e->fd, e->buf, BT_KBUF, 0);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			bt_kecho_close(efd, e);
			return;
		}
		if (n == 0)
			e->eof = true;
		e->len = (uint32_t)n;
	}
}

static void *
bt_kserver_main(void *arg)
{
	struct bt_kserver *s = arg;
	struct epoll_event ev[64];
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(s->cpu, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		int n = epoll_wait(s->efd, ev, 64, 50);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL) {
				int fd;

				while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct bt_kecho *e = calloc(1, sizeof(*e));
					struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT |
					                                   EPOLLET};
					int one_i = 1;

					if (e == NULL || (e->buf = malloc(BT_KBUF)) == NULL) {
						free(e);
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_i,
					           sizeof(one_i));
					e->fd = fd;
					ee.data.ptr = e;
					epoll_ctl(s->efd, EPOLL_CTL_ADD, fd, &ee);
					bt_kecho_io(s->efd, e);
				}
			} else {
				bt_kecho_io(s->efd, ev[i].data.ptr);
			}
		}
	}
	return NULL;
}

static int
bt_kserver_start(struct bt_kserver *s, unsigned int cpu)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ee = {.events = EPOLLIN, .data.ptr = NULL};
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->cpu = cpu;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	s->efd = epoll_create1(0);
	if (s->lfd < 0 || s->efd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->lfd, 4096) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0 ||
	    epoll_ctl(s->efd, EPOLL_CTL_ADD, s->lfd, &ee) != 0)
		return -errno;
	s->port = ntohs(a.sin_port);
	return -pthread_create(&s->th, NULL, bt_kserver_main, s);
}

static void
bt_kserver_stop(struct bt_kserver *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->efd);
}

/* A kernel client connection. Thread-safety: the client thread only. */
struct bt_kconn {
	int fd;
	enum bt_cst st;
	struct bt_flow f;
};

/* The kernel client. Thread-safety: the client thread only. */
struct bt_kclient {
	int efd;
	struct bt_kserver srv;
	struct bt_run *run;
	struct bt_kconn *c;
	uint32_t n_c, n_open;
};

static int
bt_kconn_open(struct bt_kclient *kc, struct bt_kconn *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(kc->srv.port)};
	struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
	int one = 1;

	memset(&c->f, 0, sizeof(c->f));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		int e = errno;

		close(c->fd);
		return -e;
	}
	epoll_ctl(kc->efd, EPOLL_CTL_ADD, c->fd, &ee);
	c->st = BT_C_CONNECTING;
	kc->n_open++;
	if (kc->run->measuring)
		kc->run->opened++;
	return 0;
}

static void
bt_kconn_end(struct bt_kclient *kc, struct bt_kconn *c, bool ok)
{
	struct bt_run *r = kc->run;

	if (!ok) {
		r->failed++;
		BT_FAIL(r, "a kernel connection failed: %s", strerror(errno));
	} else if (c->f.rx != c->f.tx) {
		BT_FAIL(r, "a connection closed with %lu of %lu bytes echoed",
		        (unsigned long)c->f.rx, (unsigned long)c->f.tx);
	} else if (r->measuring && r->w->kind == BT_CONN_RATE) {
		r->closed++;
	}
	epoll_ctl(kc->efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->st = BT_C_FREE;
	kc->n_open--;
}

/* Progress on one kernel connection until it blocks. */
static void
bt_kconn_io(struct bt_kclient *kc, struct bt_kconn *c)
{
	static uint8_t buf[BT_KBUF];
	struct bt_run *r = kc->run;

	if (c->st == BT_C_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e == EINPROGRESS || e == EALREADY)
			return;
		if (e != 0) {
			errno = e;
			bt_kconn_end(kc, c, false);
			return;
		}
		c->st = BT_C_OPEN;
		if (r->w->kind == BT_CONN_RATE) {
			c->st = BT_C_CLOSING;
			shutdown(c->fd, SHUT_WR);
		}
	}
	for (;;) {
		bool progress = false;
		ssize_t n;

		if (c->st == BT_C_OPEN) {
			uint32_t want = bt_flow_want(r, &c->f, BT_PATTERN);

			if (want > 0) {
				n = send(c->fd, bt_flow_bytes(&c->f), want, MSG_NOSIGNAL);
				if (n > 0) {
					bt_flow_sent(r, &c->f, (uint32_t)n, rte_rdtsc());
					progress = true;
				} else if (n < 0 && errno != EAGAIN) {
					bt_kconn_end(kc, c, false);
					return;
				}
			}
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			bt_flow_recv(r, &c->f, buf, (uint32_t)n, rte_rdtsc());
			progress = true;
		} else if (n == 0) {
			bt_kconn_end(kc, c, c->st == BT_C_CLOSING);
			return;
		} else if (errno != EAGAIN) {
			bt_kconn_end(kc, c, false);
			return;
		}
		if (!progress)
			return;
	}
}

static void
bt_kclient_poll(struct bt_kclient *kc)
{
	struct epoll_event ev[64];
	struct bt_run *r = kc->run;
	int n;

	if (r->sending && r->w->kind == BT_CONN_RATE)
		for (uint32_t i = 0; i < kc->n_c && kc->n_open < r->conns; i++)
			if (kc->c[i].st == BT_C_FREE && bt_kconn_open(kc, &kc->c[i]) != 0)
				break;
	n = epoll_wait(kc->efd, ev, 64, 1);
	/* Edge-triggered: bt_kconn_io() goes on until the socket blocks both ways. */
	for (int i = 0; i < n; i++) {
		struct bt_kconn *c = ev[i].data.ptr;

		if (c->st != BT_C_FREE)
			bt_kconn_io(kc, c);
	}
}

/* ---- running a workload on either client ---- */

/* The client side of a stack: ours or the kernel's. Thread-safety: the client thread only. */
struct bt_target {
	const struct bt_stack *s;
	struct bt_client *cl;  /* BT_MSW */
	struct bt_kclient *kc; /* BT_LINUX */
};

static void
bt_poll(struct bt_target *t)
{
	if (t->cl != NULL)
		bt_client_poll(t->cl);
	else
		bt_kclient_poll(t->kc);
}

static uint32_t
bt_n_open(const struct bt_target *t)
{
	return t->cl != NULL ? t->cl->n_open : t->kc->n_open;
}

/* Polls until done() or for seconds; false on timeout, failure or stop. */
static bool
bt_poll_until(struct bt_target *t, struct bt_run *r, double seconds,
              bool (*done)(const struct bt_target *))
{
	double end = bench_wall() + seconds;

	while (done == NULL || !done(t)) {
		if (r->err[0] != '\0' || bench_stop)
			return false;
		if (bench_wall() > end)
			return done == NULL;
		bt_poll(t);
	}
	return true;
}

static bool
bt_all_open(const struct bt_target *t)
{
	const struct bt_run *r = t->cl != NULL ? t->cl->run : t->kc->run;

	for (uint32_t i = 0; i < r->conns; i++)
		if ((t->cl != NULL ? t->cl->c[i].st : t->kc->c[i].st) != BT_C_OPEN)
			return false;
	return true;
}

static bool
bt_drained(const struct bt_target *t)
{
	const struct bt_run *r = t->cl != NULL ? t->cl->run : t->kc->run;

	for (uint32_t i = 0; i < r->conns; i++) {
		const struct bt_flow *f = t->cl != NULL ? &t->cl->c[i].f : &t->kc->c[i].f;

		if (f->rx != f->tx)
			return false;
	}
	return true;
}

static bool
bt_all_closed(const struct bt_target *t)
{
	return bt_n_open(t) == 0;
}

static int
bt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
bt_quantile_us(struct bt_run *r, double q)
{
	uint32_t i;

	if (r->n_samples == 0)
		return 0;
	i = (uint32_t)(q * (double)(r->n_samples - 1));
	return (double)r->samples[i] * 1e6 / (double)bt.hz;
}

static void
bt_print_result(const struct bt_target *t, struct bt_run *r)
{
	const struct bt_stack *s = t->s;
	double secs = (double)(r->t_end - r->t_start) / (double)bt.hz;
	char name[96];

	snprintf(name, sizeof(name), "%s_%s", s->name, r->w->name);
	printf("{\"bench\":\"%s\",\"case\":\"%s\",\"stack\":\"%s\",\"workload\":\"%s\","
	       "\"echo_lcores\":%u,\"client_shares_cpu\":%s,\"conns\":%u,",
	       BT_BENCH, name, s->kind == BT_MSW ? "msw" : "linux", r->w->name, s->echo_lcores,
	       s->shared ? "true" : "false", r->conns);
	if (r->w->kind == BT_RR)
		printf("\"window\":%u,\"msg_bytes\":%u,", r->window, r->w->msg);
	if (r->w->kind == BT_STREAM)
		printf("\"write_bytes\":%u,", r->w->msg);
	printf("\"duration_s\":%.2f,\"loadavg\":%.2f,", secs, r->loadavg);
	switch (r->w->kind) {
	case BT_CONN_RATE:
		printf("\"conns_per_s\":%.0f,\"conns_per_s_per_lcore\":%.0f,\"opened\":%lu,"
		       "\"closed\":%lu",
		       (double)r->closed / secs, (double)r->closed / secs / s->echo_lcores,
		       (unsigned long)r->opened, (unsigned long)r->closed);
		break;
	case BT_RR:
		qsort(r->samples, r->n_samples, sizeof(r->samples[0]), bt_cmp_u64);
		printf("\"round_trips_per_s\":%.0f,\"round_trips_per_s_per_lcore\":%.0f,"
		       "\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f,\"rtt_p999_us\":%.1f",
		       (double)r->round_trips / secs,
		       (double)r->round_trips / secs / s->echo_lcores, bt_quantile_us(r, 0.5),
		       bt_quantile_us(r, 0.99), bt_quantile_us(r, 0.999));
		break;
	case BT_STREAM:
		printf("\"mb_per_s\":%.1f,\"mb_per_s_per_lcore\":%.1f",
		       (double)r->bytes_rx / secs / 1e6,
		       (double)r->bytes_rx / secs / 1e6 / s->echo_lcores);
		break;
	}
	printf(",\"bytes_checked\":%lu", (unsigned long)r->bytes_rx);
	if (s->kind == BT_MSW)
		printf(",\"client_retransmits\":%lu,\"client_ooo_queued\":%lu,"
		       "\"client_port_tx_full\":%lu",
		       (unsigned long)(r->retrans[1] - r->retrans[0]),
		       (unsigned long)(r->ooo[1] - r->ooo[0]),
		       (unsigned long)(r->tx_full[1] - r->tx_full[0]));
	bench_json_end(r->err);
}

static void
bt_close_all(struct bt_target *t, struct bt_run *r)
{
	for (uint32_t i = 0; i < r->conns; i++) {
		if (t->cl != NULL) {
			struct bt_conn *c = &t->cl->c[i];

			if (c->st == BT_C_OPEN) {
				c->st = BT_C_CLOSING;
				tcp_close(t->cl->tcp, c->h, t->cl->now_us);
			}
		} else {
			struct bt_kconn *c = &t->kc->c[i];

			if (c->st == BT_C_OPEN) {
				c->st = BT_C_CLOSING;
				shutdown(c->fd, SHUT_WR);
			}
		}
	}
}

/* Retransmissions, refused transmits and out-of-order arrivals of our client: [at] 0/1. */
static void
bt_client_snapshot(const struct bt_target *t, struct bt_run *r, int at)
{
	struct tcp_stats *ts;

	if (t->cl == NULL)
		return;
	ts = tcp_stack_stats(t->cl->tcp);
	r->retrans[at] = tcp_stat_read(&ts->cnt[TCP_CNT_RETRANSMITS]);
	r->ooo[at] = tcp_stat_read(&ts->cnt[TCP_CNT_OOO_QUEUED]);
	r->tx_full[at] = 0;
	for (uint16_t q = 0; q < t->cl->mi.port.nb_queues; q++)
		r->tx_full[at] += port_stat_read(&t->cl->mi.port.q[q].cnt[PORT_CNT_TX_FULL]);
}

/* Runs one workload on a target and prints its line. Returns 0 when complete. */
static int
bt_run_workload(struct bt_target *t, const struct bt_workload *w)
{
	struct bt_run r;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	if (getloadavg(&r.loadavg, 1) != 1)
		r.loadavg = -1;
	r.w = w;
	r.conns = w->conns != 0 ? w->conns : bt.o.rate_conns;
	r.window = w->window;
	r.samples = w->kind == BT_RR ? malloc(sizeof(uint64_t) * BT_SAMPLES) : NULL;
	if (w->kind == BT_RR && r.samples == NULL) {
		BT_FAIL(&r, "out of memory");
		goto out;
	}
	if (t->cl != NULL)
		t->cl->run = &r;
	else
		t->kc->run = &r;
	if (w->kind != BT_CONN_RATE) {
		for (uint32_t i = 0; i < r.conns; i++) {
			int e = t->cl != NULL ? bt_conn_open(t->cl, &t->cl->c[i])
			                      : bt_kconn_open(t->kc, &t->kc->c[i]);

			if (e != 0) {
				BT_FAIL(&r, "connect: %s", strerror(-e));
				goto out;
			}
		}
		if (!bt_poll_until(t, &r, 5.0, bt_all_open)) {
			BT_FAIL(&r, "connections not established within 5 s");
			goto out;
		}
	}
	r.sending = true;
	/* Kick the senders: afterwards receives and writable callbacks keep them going. */
	for (uint32_t i = 0; i < r.conns && w->kind != BT_CONN_RATE; i++) {
		if (t->cl != NULL)
			bt_conn_pump(&t->cl->c[i]);
		else
			bt_kconn_io(t->kc, &t->kc->c[i]);
	}
	bt_poll_until(t, &r, bt.o.warmup, NULL);
	r.measuring = true;
	bt_client_snapshot(t, &r, 0);
	r.t_start = rte_rdtsc();
	bt_poll_until(t, &r, bt.o.seconds, NULL);
	r.t_end = rte_rdtsc();
	bt_client_snapshot(t, &r, 1);
	r.measuring = false;
	r.sending = false;
	if (r.err[0] == '\0' && !bt_poll_until(t, &r, 10.0, bt_drained))
		BT_FAIL(&r, "echo not complete 10 s after sending stopped");
	bt_close_all(t, &r);
	if (r.err[0] == '\0' && !bt_poll_until(t, &r, 10.0, bt_all_closed))
		BT_FAIL(&r, "%u connections not closed 10 s after the end", bt_n_open(t));
out:
	if (r.t_end == 0)
		r.t_end = r.t_start = rte_rdtsc(), r.t_end += 1;
	if (r.err[0] != '\0')
		rc = -1;
	bt_print_result(t, &r);
	if (t->cl != NULL && bt_n_open(t) != 0) {
		/* Leftovers would call back into this run: abort them (no callbacks). */
		for (uint32_t i = 0; i < t->cl->n_c; i++)
			if (t->cl->c[i].st != BT_C_FREE) {
				tcp_abort(t->cl->tcp, t->cl->c[i].h, t->cl->now_us);
				t->cl->c[i].st = BT_C_FREE;
			}
		t->cl->n_open = 0;
	}
	if (t->kc != NULL && bt_n_open(t) != 0)
		for (uint32_t i = 0; i < t->kc->n_c; i++)
			if (t->kc->c[i].st != BT_C_FREE)
				bt_kconn_end(t->kc, &t->kc->c[i], true);
	/* TIME-WAIT of our closed connections ends (ports free again for the next workload). */
	if (r.err[0] == '\0')
		bt_poll_until(t, &r, (double)BT_CLIENT_TIME_WAIT_MS / 1000 + 0.1, NULL);
	if (t->cl != NULL)
		t->cl->run = NULL;
	else
		t->kc->run = NULL;
	free(r.samples);
	return rc;
}

/* ---- targets ---- */

static bool
bt_selected(const char *const *list, uint32_t n, const char *name)
{
	if (n == 0)
		return true;
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* The echo's CPUs: lcores on CPUs other than the client's (shared: CPU 0 and the client's). */
static int
bt_echo_cpus(const struct bt_stack *s, char *out, size_t cap)
{
	size_t len = 0;
	uint32_t k = 0;

	out[0] = '\0';
	for (unsigned int cpu = 0; cpu < CPU_SETSIZE && k < s->echo_lcores; cpu++) {
		if (!CPU_ISSET(cpu, &bt.cpus) || (cpu == bt.client_cpu && !s->shared))
			continue;
		if (s->shared && k + 1 == s->echo_lcores && cpu != bt.client_cpu)
			continue; /* the last echo lcore is the client's CPU */
		len += (size_t)snprintf(out + len, cap - len, "%s%u", k ? "," : "", cpu);
		k++;
	}
	return k == s->echo_lcores ? 0 : -1;
}

static int
bt_client_start(struct bt_client *cl, const struct bt_stack *s, char *err, size_t errlen)
{
	char cpus[64], mbufs[16];
	struct bench_child_args args;
	struct net_params np;
	struct tcp_params tp;

	if (bt_echo_cpus(s, cpus, sizeof(cpus)) != 0) {
		snprintf(err, errlen, "not enough CPUs");
		return -1;
	}
	snprintf(cl->instance, sizeof(cl->instance), "benchtcp%d%s", (int)getpid(), s->name);
	snprintf(cl->sock, sizeof(cl->sock), "/run/msw/%s.memif", cl->instance);
	snprintf(cl->child.log, sizeof(cl->child.log), "%s/%s.log", bt.tmp, cl->instance);
	snprintf(cl->prefix, sizeof(cl->prefix), "msw-%s", cl->instance);
	/* The same total mbuf budget whatever the lcore count (--mbufs is per lcore). */
	snprintf(mbufs, sizeof(mbufs), "%u", 65535u / s->echo_lcores);
	unlink(cl->sock);
	bench_child_args_init(&args, bt.o.echo, cpus, "1024", cl->sock, cl->prefix);
	bench_child_args_add(&args, "--ip", "10.93.0.2/24", "--port", "7", "--time-wait-ms", "1000",
	                     "--mbufs", mbufs, NULL);
	/*
	 * An echo lcore busy-polling the client's CPU would take it for whole scheduler time
	 * slices: sleep when idle, as on shared test machines.
	 */
	if (s->shared)
		bench_child_args_add(&args, "--idle-us", "1", NULL);
	if (args.full || bench_child_start(&cl->child, args.argv, &bt.cpus) != 0) {
		snprintf(err, errlen, "cannot start %s", bt.o.echo);
		return -1;
	}
	bench_log(BT_PROG, "started %s (pid %d, lcores on CPU %s)", bt.o.echo, (int)cl->child.pid,
	          cpus);
	if (bench_child_wait_file(&cl->child, cl->sock, 20.0, "msw-tcp-echo", err, errlen) != 0)
		return -1;
	/*
	 * As many queue pairs as echo lcores: the memif server serves as many rings as the
	 * client asks for, and each echo lcore transmits on its own. We send on queue 0 only,
	 * so the echo's lcore 0 receives everything and hands other lcores' flows over.
	 */
	if (bench_memif_attach(&cl->mi, cl->sock, &bt.n_dev, bt.pool, (uint16_t)s->echo_lcores,
	                       BT_MEMIF_LOG2_RING, NULL, 10.0, bt_client_alive, cl, err,
	                       errlen) != 0)
		return -1;
	cl->now_us = bt_now_us();
	net_params_default(&np);
	np.mac = cl->mi.port.mac;
	np.ip = RTE_IPV4(10, 93, 0, 1);
	np.prefix_len = 24;
	cl->ifc = net_iface_create(&np, bt.pool, &bt_port_ops, &cl->mi.port.q[0]);
	tcp_params_default(&tp);
	tp.max_conns = 65536;
	/* conn_rate: our side closes first, so our TIME-WAIT holds the ports. */
	tp.time_wait_ms = BT_CLIENT_TIME_WAIT_MS;
	tp.mbuf_reserve = 256;
	cl->tcp = cl->ifc != NULL ? tcp_stack_create(&tp, cl->ifc, bt.pool, cl->now_us) : NULL;
	if (cl->tcp == NULL) {
		snprintf(err, errlen, "net/tcp stack: %s", strerror(errno));
		return -1;
	}
	cl->n_c = BT_CONNS_MAX;
	cl->c = calloc(cl->n_c, sizeof(*cl->c));
	if (cl->c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	net_arp_announce(cl->ifc);
	net_flush(cl->ifc);
	return 0;
}

/* Stops the echo (SIGTERM; its JSON must show no connection left), then our port. */
static int
bt_client_stop(struct bt_client *cl)
{
	double until = bench_wall() + 0.5;
	char last[256], buf[16384];
	const char *json = NULL;
	int st, rc = 0;
	size_t n;
	FILE *f;

	/* Our last ACKs (of the echo's FINs) reach it, or are retransmitted, meanwhile. */
	while (cl->tcp != NULL && bench_wall() < until && bench_child_alive(&cl->child))
		bt_client_poll(cl);
	st = bench_child_stop(&cl->child, 10.0);
	f = fopen(cl->child.log, "r");
	n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f != NULL)
		fclose(f);
	buf[n] = '\0';
	/* Its final JSON object: the last line that starts like one. */
	for (const char *p = strstr(buf, "{\"conns_open\":"); p != NULL;
	     p = strstr(p + 1, "{\"conns_open\":"))
		json = p;

	/* The child goes first: a memif peer vanishing under a poller can crash it. */
	tcp_stack_destroy(cl->tcp);
	net_iface_destroy(cl->ifc);
	bench_memif_detach(&cl->mi);
	free(cl->c);
	bench_log_last(cl->child.log, last, sizeof(last));
	if (st != 0 || json == NULL || strncmp(json, "{\"conns_open\":0,", 15) != 0) {
		bench_log(BT_PROG, "msw-tcp-echo exited with status %d, last line: %s", st, last);
		bench_log_tail("msw-bench-tcp", cl->child.log);
		rc = -1;
	} else {
		bench_log(BT_PROG, "msw-tcp-echo exited 0, no connection left open");
	}
	unlink(cl->sock);
	bench_rm_runtime_dir(bt.runtime_base, cl->prefix);
	return rc;
}

static void
bt_run_stack(const struct bt_stack *s)
{
	struct bt_client cl;
	struct bt_kclient kc;
	struct bt_target t = {.s = s};
	char err[512], why[64], name[96];
	unsigned int have = (unsigned int)CPU_COUNT(&bt.cpus);
	int rc = 0;

	if (!bt_selected(bt.o.stacks, bt.o.n_stacks, s->name))
		return;
	if (have < s->cores_needed) {
		snprintf(why, sizeof(why), "needs %u cores", s->cores_needed);
		for (size_t i = 0; i < RTE_DIM(bt_workloads); i++)
			if (bt_selected(bt.o.works, bt.o.n_works, bt_workloads[i].name)) {
				snprintf(name, sizeof(name), "%s_%s", s->name,
				         bt_workloads[i].name);
				bench_print_status(BT_BENCH, name, "skipped", why);
			}
		return;
	}
	memset(&cl, 0, sizeof(cl));
	memset(&kc, 0, sizeof(kc));
	if (s->kind == BT_MSW) {
		t.cl = &cl;
		rc = bt_client_start(&cl, s, err, sizeof(err));
	} else {
		unsigned int cpu = 0;

		/* The echo thread on the first CPU that is not the client's. */
		while (cpu < CPU_SETSIZE && (!CPU_ISSET(cpu, &bt.cpus) || cpu == bt.client_cpu))
			cpu++;
		t.kc = &kc;
		kc.efd = epoll_create1(0);
		kc.n_c = BT_CONNS_MAX;
		kc.c = calloc(kc.n_c, sizeof(*kc.c));
		rc = kc.efd < 0 || kc.c == NULL ? -ENOMEM : bt_kserver_start(&kc.srv, cpu);
		if (rc != 0)
			snprintf(err, sizeof(err), "kernel echo server: %s", strerror(-rc));
		else
			bench_log(BT_PROG, "kernel echo thread on CPU %u, port %u", cpu,
			          kc.srv.port);
	}
	if (rc != 0) {
		bench_log(BT_PROG, "%s: %s", s->name, err);
		if (s->kind == BT_MSW)
			bench_log_tail("msw-bench-tcp", cl.child.log);
		for (size_t i = 0; i < RTE_DIM(bt_workloads); i++)
			if (bt_selected(bt.o.works, bt.o.n_works, bt_workloads[i].name)) {
				snprintf(name, sizeof(name), "%s_%s", s->name,
				         bt_workloads[i].name);
				bench_print_status(BT_BENCH, name, "error", err);
			}
		bt.failed = true;
	} else {
		for (size_t i = 0; i < RTE_DIM(bt_workloads) && !bench_stop; i++)
			if (bt_selected(bt.o.works, bt.o.n_works, bt_workloads[i].name) &&
			    bt_run_workload(&t, &bt_workloads[i]) != 0)
				bt.failed = true;
	}
	if (s->kind == BT_MSW) {
		if (bt_client_stop(&cl) != 0)
			bt.failed = true;
	} else {
		if (rc == 0)
			bt_kserver_stop(&kc.srv);
		if (kc.efd >= 0)
			close(kc.efd);
		free(kc.c);
	}
}

/* ---- main ---- */

static void
bt_usage(FILE *f)
{
	fprintf(f, "usage: msw-bench-tcp [--seconds S] [--warmup S] [--rate-conns N] "
	           "[--stack NAME]... [--workload NAME]... [--echo PATH] [--keep]\nstacks:");
	for (size_t i = 0; i < RTE_DIM(bt_stacks); i++)
		fprintf(f, " %s", bt_stacks[i].name);
	fprintf(f, "\nworkloads:");
	for (size_t i = 0; i < RTE_DIM(bt_workloads); i++)
		fprintf(f, " %s", bt_workloads[i].name);
	fputc('\n', f);
}

static int
bt_add_name(const char **list, uint32_t *n, const char *name, bool stack)
{
	bool known = false;

	if (stack)
		for (size_t i = 0; i < RTE_DIM(bt_stacks); i++)
			known |= strcmp(bt_stacks[i].name, name) == 0;
	else
		for (size_t i = 0; i < RTE_DIM(bt_workloads); i++)
			known |= strcmp(bt_workloads[i].name, name) == 0;
	if (!known || *n == 8) {
		bench_log(BT_PROG, "--%s: unknown name '%s'", stack ? "stack" : "workload", name);
		bt_usage(stderr);
		return -1;
	}
	list[(*n)++] = name;
	return 0;
}

static int
bt_parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
	        {"seconds", required_argument, NULL, 's'},
	        {"warmup", required_argument, NULL, 'w'},
	        {"rate-conns", required_argument, NULL, 'r'},
	        {"stack", required_argument, NULL, 'S'},
	        {"workload", required_argument, NULL, 'W'},
	        {"echo", required_argument, NULL, 'e'},
	        {"keep", no_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static char echo[PATH_MAX + 64];
	const char *root = getenv("MSW_BUILD_ROOT");
	double v;
	int ch;

	bt.o.seconds = 3;
	bt.o.warmup = 0.5;
	bt.o.rate_conns = 64;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (bench_parse_double(BT_PROG, optarg, 0.1, 600, &bt.o.seconds,
			                       "--seconds") != 0)
				return -1;
			break;
		case 'w':
			if (bench_parse_double(BT_PROG, optarg, 0, 60, &bt.o.warmup, "--warmup") !=
			    0)
				return -1;
			break;
		case 'r':
			if (bench_parse_double(BT_PROG, optarg, 1, BT_CONNS_MAX, &v,
			                       "--rate-conns") != 0 ||
			    v != (double)(uint32_t)v) {
				bench_log(BT_PROG, "--rate-conns: want an integer in 1..%u",
				          BT_CONNS_MAX);
				return -1;
			}
			bt.o.rate_conns = (uint32_t)v;
			break;
		case 'S':
			if (bt_add_name(bt.o.stacks, &bt.o.n_stacks, optarg, true) != 0)
				return -1;
			break;
		case 'W':
			if (bt_add_name(bt.o.works, &bt.o.n_works, optarg, false) != 0)
				return -1;
			break;
		case 'e':
			bt.o.echo = optarg;
			break;
		case 'k':
			bt.o.keep = true;
			break;
		case 'h':
			bt_usage(stdout);
			exit(0);
		default:
			bt_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		bt_usage(stderr);
		return -1;
	}
	if (bench_build_root(BT_PROG, root, bt.build_root, sizeof(bt.build_root), "--echo") != 0)
		return -1;
	if (bt.o.echo == NULL) {
		snprintf(echo, sizeof(echo), "%s/dataplane/echo/msw-tcp-echo", bt.build_root);
		bt.o.echo = echo;
	}
	return 0;
}

static int
bt_eal_init(char *argv0)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (bench_eal_init(BT_PROG, argv0, bt.client_cpu, "msw-bench-tcp", bt.runtime_base,
	                   sizeof(bt.runtime_base)) != 0)
		return -1;
	bt.hz = rte_get_tsc_hz();
	bt.pool = bench_pool_create(BT_PROG, "bt_pool", BT_MBUFS);
	if (bt.pool == NULL)
		return -1;
	/* The stream every connection sends (xorshift64: no period inside BT_PATTERN). */
	for (uint32_t i = 0; i < BT_PATTERN; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		bt.pattern[i] = bt.pattern[i + BT_PATTERN] = (uint8_t)x;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char prefix[64];

	if (bt_parse_opts(argc, argv) != 0)
		return 2;
	if (geteuid() != 0) {
		/* DPDK and the memif sockets in /run/msw; 77 = skipped for meson. */
		fprintf(stderr, "msw-bench-tcp: needs root (DPDK, /run/msw)\n");
		return 77;
	}
	if (sched_getaffinity(0, sizeof(bt.cpus), &bt.cpus) != 0) {
		bench_log(BT_PROG, "sched_getaffinity: %s", strerror(errno));
		return 1;
	}
	/* The echo on CPU 0 (and up), the client on CPU 1 (docs/bench.md). */
	bt.client_cpu = 1;
	if (!CPU_ISSET(bt.client_cpu, &bt.cpus)) {
		bench_log(BT_PROG, "needs CPU %u for the client", bt.client_cpu);
		return 77;
	}
	if (access(bt.o.echo, X_OK) != 0) {
		bench_log(BT_PROG, "%s is not an executable (build it, or pass --echo)", bt.o.echo);
		return 2;
	}
	if (bench_dirs_init(BT_PROG, "/tmp/msw-bench-tcp.XXXXXX", bt.tmp, sizeof(bt.tmp)) != 0)
		return 1;
	if (bt_eal_init(argv[0]) != 0)
		return 1;
	bench_signals_init();

	for (size_t i = 0; i < RTE_DIM(bt_stacks) && !bench_stop; i++)
		bt_run_stack(&bt_stacks[i]);

	rte_mempool_free(bt.pool);
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "msw-bench-tcp-%d", (int)getpid());
	bench_rm_runtime_dir(bt.runtime_base, prefix);
	if (bt.failed || bt.o.keep)
		bench_log(BT_PROG, "logs kept in %s", bt.tmp);
	else
		bench_rm_tree(bt.tmp);
	return bt.failed || bench_stop ? 1 : 0;
}
