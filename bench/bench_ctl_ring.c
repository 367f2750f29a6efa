/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-bench-ctl: control-channel performance between two processes, printed as JSON lines.
 *
 *   throughput       one-way SPSC ring, 256-byte records, zero-copy reserve/commit
 *   throughput_copy  one-way SPSC ring, full 256-byte record copies in bursts of 32
 *   rtt_spin         ping-pong over two rings, both sides polling (data-plane style)
 *   rtt_call         full channel: ctl_client_call(PING) to a ctl_server that sleeps on the
 *                    futex doorbell, client sleeping on its doorbell (control-plane style)
 *   rtt_call_dp_polling  the same with a server that polls without sleeping (a DPDK control
 *                    lcore): only the client side sleeps and is woken
 *   pipe_rtt         baseline: 256-byte ping-pong over two pipe(2)s
 *   pipe_throughput  baseline: 256-byte records one way through a pipe(2)
 *
 * The two processes are pinned to CPUs 0 and 1 when the machine has two or more.
 * Usage: msw-bench-ctl [records] [rtt_samples]
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_server.h"
#include "msw/msw_ctl_abi.h"
#include "msw/msw_ctl_ring.h"

#define BENCH_CAP   1024u
#define BENCH_BURST 32u

struct bench_ring_mem {
	alignas(64) uint8_t a[sizeof(struct msw_ctl_ring) + BENCH_CAP * MSW_CTL_REC_SIZE];
	alignas(64) uint8_t b[sizeof(struct msw_ctl_ring) + BENCH_CAP * MSW_CTL_REC_SIZE];
	_Atomic int start;
};

static int bench_cpus;

/* Spin-wait hint (like rte_pause()): an idle side must not hammer its peer's cache line. */
static inline void
bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (bench_cpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
print_rtt(const char *cas, uint64_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("{\"bench\":\"ctl_ring\",\"case\":\"%s\",\"samples\":%u,\"p50_ns\":%llu,"
	       "\"p99_ns\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,\"cpus\":\"%s\"}\n",
	       cas, n, (unsigned long long)v[n / 2], (unsigned long long)v[(uint64_t)n * 99 / 100],
	       (unsigned long long)v[0], (unsigned long long)v[n - 1],
	       bench_cpus >= 2 ? "0,1" : "shared");
	fflush(stdout);
}

static void
print_tput(const char *cas, uint64_t n, uint64_t ns)
{
	double secs = (double)ns / 1e9;

	printf("{\"bench\":\"ctl_ring\",\"case\":\"%s\",\"records\":%llu,\"rec_size\":%u,"
	       "\"records_per_sec\":%.0f,\"ns_per_record\":%.2f,\"mbytes_per_sec\":%.1f,"
	       "\"cpus\":\"%s\"}\n",
	       cas, (unsigned long long)n, MSW_CTL_REC_SIZE, (double)n / secs,
	       (double)ns / (double)n, (double)n * MSW_CTL_REC_SIZE / secs / 1e6,
	       bench_cpus >= 2 ? "0,1" : "shared");
	fflush(stdout);
}

static struct bench_ring_mem *
rings_new(void)
{
	struct bench_ring_mem *m =
	        mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	msw_ctl_ring_init((struct msw_ctl_ring *)m->a, BENCH_CAP, MSW_CTL_REC_SIZE,
	                  sizeof(struct msw_ctl_ring), 0);
	msw_ctl_ring_init((struct msw_ctl_ring *)m->b, BENCH_CAP, MSW_CTL_REC_SIZE,
	                  sizeof(struct msw_ctl_ring), 0);
	return m;
}

/* The consumer verifies order, so a broken ring cannot produce a good number. */
static int
consume(struct msw_ctl_ring *r, uint64_t n, bool copy)
{
	static struct msw_ctl_rec buf[BENCH_BURST];
	uint64_t got = 0;

	while (got < n) {
		if (copy) {
			uint32_t k = msw_ctl_ring_dequeue_burst(r, buf, BENCH_BURST), i;

			if (k == 0)
				bench_pause();
			for (i = 0; i < k; i++)
				if (buf[i].hdr.seq != (uint32_t)(got + i))
					return 2;
			got += k;
		} else {
			const struct msw_ctl_rec *p = msw_ctl_ring_cons_peek(r);

			if (p == NULL) {
				bench_pause();
				continue;
			}
			if (p->hdr.seq != (uint32_t)got)
				return 2;
			got++;
			msw_ctl_ring_cons_release(r, 1);
		}
	}
	return 0;
}

static void
bench_throughput(uint64_t n, bool copy)
{
	struct bench_ring_mem *m = rings_new();
	struct msw_ctl_ring *r = (struct msw_ctl_ring *)m->a;
	static struct msw_ctl_rec buf[BENCH_BURST];
	uint64_t sent = 0, t0;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		pin(1);
		atomic_store(&m->start, 1);
		_exit(consume(r, n, copy));
	}
	pin(0);
	while (!atomic_load(&m->start))
		;
	memset(buf, 0xab, sizeof(buf));
	t0 = now_ns();
	while (sent < n) {
		if (copy) {
			uint32_t want = n - sent < BENCH_BURST ? (uint32_t)(n - sent) : BENCH_BURST;
			uint32_t i;

			for (i = 0; i < want; i++)
				buf[i].hdr.seq = (uint32_t)(sent + i);
			sent += msw_ctl_ring_enqueue_burst(r, buf, want);
		} else {
			struct msw_ctl_rec *p = msw_ctl_ring_prod_reserve(r);

			if (p == NULL) {
				bench_pause();
				continue;
			}
			p->hdr.type = MSW_CTL_PING;
			p->hdr.seq = (uint32_t)sent;
			p->hdr.len = 16;
			sent++;
			msw_ctl_ring_prod_commit(r, 1);
		}
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "consumer saw loss or reordering\n");
		exit(1);
	}
	print_tput(copy ? "throughput_copy" : "throughput", n, now_ns() - t0);
	munmap(m, sizeof(*m));
}

static void
bench_rtt_spin(uint32_t n)
{
	struct bench_ring_mem *m = rings_new();
	struct msw_ctl_ring *ab = (struct msw_ctl_ring *)m->a, *ba = (struct msw_ctl_ring *)m->b;
	uint64_t *v = calloc(n, sizeof(*v));
	uint32_t i;
	pid_t pid = fork();

	if (pid == 0) {
		pin(1);
		for (i = 0; i < n; i++) {
			const struct msw_ctl_rec *p;
			struct msw_ctl_rec *q;

			while ((p = msw_ctl_ring_cons_peek(ab)) == NULL)
				bench_pause();
			while ((q = msw_ctl_ring_prod_reserve(ba)) == NULL)
				bench_pause();
			q->hdr = p->hdr;
			q->hdr.flags = MSW_CTL_F_REPLY;
			msw_ctl_ring_cons_release(ab, 1);
			msw_ctl_ring_prod_commit(ba, 1);
		}
		_exit(0);
	}
	pin(0);
	for (i = 0; i < n; i++) {
		struct msw_ctl_rec *q;
		const struct msw_ctl_rec *p;
		uint64_t t0 = now_ns();

		while ((q = msw_ctl_ring_prod_reserve(ab)) == NULL)
			bench_pause();
		q->hdr.seq = i;
		msw_ctl_ring_prod_commit(ab, 1);
		while ((p = msw_ctl_ring_cons_peek(ba)) == NULL)
			bench_pause();
		if (p->hdr.seq != i) {
			fprintf(stderr, "rtt_spin: reply out of order\n");
			exit(1);
		}
		msw_ctl_ring_cons_release(ba, 1);
		v[i] = now_ns() - t0;
	}
	waitpid(pid, NULL, 0);
	print_rtt("rtt_spin", v, n);
	free(v);
	munmap(m, sizeof(*m));
}

static void
bench_rtt_call(uint32_t n, bool server_sleeps)
{
	struct ctl_server_params p;
	struct ctl_client *c = NULL;
	uint64_t *v = calloc(n, sizeof(*v));
	char inst[32];
	uint32_t i;
	pid_t pid;

	snprintf(inst, sizeof(inst), "bench-%d", (int)getpid());
	ctl_server_params_default(&p);
	p.instance = inst;
	p.n_slots = 8;
	pid = fork();
	if (pid == 0) {
		struct ctl_server *s = ctl_server_create(&p);

		pin(1);
		if (s == NULL)
			_exit(1);
		for (;;) {
			/* server_sleeps: an idle control thread (poll, then sleep on the bell);
			 * otherwise a DPDK control lcore that polls in its loop and never sleeps.
			 */
			if (ctl_server_poll(s, 64) == 0 && server_sleeps)
				ctl_server_wait(s, 100);
		}
	}
	pin(0);
	for (i = 0; i < 5000 && c == NULL; i++) {
		c = ctl_client_attach(inst, "bench");
		if (c == NULL)
			usleep(1000);
	}
	if (c == NULL || ctl_client_wait_dp(c, 5000) != 0) {
		fprintf(stderr, "rtt_call: no server\n");
		exit(1);
	}
	if (ctl_client_gen_changed(c) &&
	    ctl_client_resync(c, &(struct ctl_client_resync_ops){0}, NULL, 0, 2000, NULL) != 0) {
		fprintf(stderr, "rtt_call: resync failed\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		struct msw_ctl_ping ping = {.cookie = i};
		struct ctl_msg m;
		uint64_t t0 = now_ns();
		int rc = ctl_client_call(c, MSW_CTL_PING, MSW_CTL_VER_PING, &ping, sizeof(ping),
		                         NULL, 0, &m, 2000);

		v[i] = now_ns() - t0;
		if (rc != 0 || memcmp(m.rec.payload, &ping, sizeof(ping)) != 0) {
			fprintf(stderr, "rtt_call: call %u failed: %d\n", i, rc);
			exit(1);
		}
	}
	print_rtt(server_sleeps ? "rtt_call" : "rtt_call_dp_polling", v, n);
	ctl_client_detach(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	{
		char name[48];

		snprintf(name, sizeof(name), "/msw.%s", inst);
		shm_unlink(name);
	}
	free(v);
}

static int
full_read(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t k = read(fd, (uint8_t *)buf + got, len - got);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void
bench_pipe(uint32_t rtt_n, uint64_t tput_n)
{
	int ab[2], ba[2];
	uint64_t *v = calloc(rtt_n, sizeof(*v));
	struct msw_ctl_rec rec;
	uint64_t i, t0;
	pid_t pid;

	memset(&rec, 0, sizeof(rec));
	if (pipe(ab) != 0 || pipe(ba) != 0) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		pin(1);
		for (i = 0; i < rtt_n; i++) {
			if (full_read(ab[0], &rec, sizeof(rec)) != 0 ||
			    write(ba[1], &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
				_exit(1);
		}
		for (i = 0; i < tput_n; i++)
			if (full_read(ab[0], &rec, sizeof(rec)) != 0 || rec.hdr.seq != (uint32_t)i)
				_exit(2);
		_exit(0);
	}
	pin(0);
	for (i = 0; i < rtt_n; i++) {
		uint64_t s0 = now_ns();

		rec.hdr.seq = (uint32_t)i;
		if (write(ab[1], &rec, sizeof(rec)) != (ssize_t)sizeof(rec) ||
		    full_read(ba[0], &rec, sizeof(rec)) != 0 || rec.hdr.seq != (uint32_t)i) {
			fprintf(stderr, "pipe rtt failed\n");
			exit(1);
		}
		v[i] = now_ns() - s0;
	}
	print_rtt("pipe_rtt", v, rtt_n);
	t0 = now_ns();
	for (i = 0; i < tput_n; i++) {
		rec.hdr.seq = (uint32_t)i;
		if (write(ab[1], &rec, sizeof(rec)) != (ssize_t)sizeof(rec)) {
			fprintf(stderr, "pipe write failed\n");
			exit(1);
		}
	}
	{
		int status;

		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "pipe consumer failed\n");
			exit(1);
		}
	}
	print_tput("pipe_throughput", tput_n, now_ns() - t0);
	free(v);
}

int
main(int argc, char **argv)
{
	uint64_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
	uint32_t samples = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 200000u;

	if (records == 0 || samples == 0) {
		fprintf(stderr, "usage: %s [records>0] [rtt_samples>0]\n", argv[0]);
		return 2;
	}
	bench_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	bench_throughput(records, false);
	bench_throughput(records, true);
	bench_rtt_spin(samples);
	bench_rtt_call(samples / 4, true);
	bench_rtt_call(samples / 4, false);
	bench_pipe(samples, records / 10);
	return 0;
}
