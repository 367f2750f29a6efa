/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPSC ring (include/msw/msw_ctl_ring.h): empty/full, wrap-around of the free-running indices
 * near UINT32_MAX, burst copies, corruption detection, and two processes passing 10 million
 * records each way through shared memory with no loss or reordering.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msw/msw_ctl_abi.h"
#include "msw/msw_ctl_ring.h"

struct test_rec {
	uint64_t seq;
	uint64_t check; /* ~seq: a torn or stale record fails the comparison */
};

static struct msw_ctl_ring *
ring_new(uint32_t cap, uint32_t rec_size, uint32_t start, void *mem)
{
	struct msw_ctl_ring *r = mem;

	cr_assert_eq(msw_ctl_ring_init(r, cap, rec_size, sizeof(*r), start), 0);
	return r;
}

static void *
ring_mem(uint32_t cap, uint32_t rec_size)
{
	void *m = aligned_alloc(64, sizeof(struct msw_ctl_ring) + (size_t)cap * rec_size);

	cr_assert_not_null(m);
	memset(m, 0, sizeof(struct msw_ctl_ring) + (size_t)cap * rec_size);
	return m;
}

Test(ctl_ring, init_rejects_bad_geometry)
{
	void *m = ring_mem(8, 16);

	cr_expect_eq(msw_ctl_ring_init(m, 0, 16, 192, 0), -1);
	cr_expect_eq(msw_ctl_ring_init(m, 6, 16, 192, 0), -1, "cap must be a power of two");
	cr_expect_eq(msw_ctl_ring_init(m, 8, 0, 192, 0), -1);
	cr_expect_eq(msw_ctl_ring_init(m, 8, 12, 192, 0), -1, "rec_size must be 8-aligned");
	cr_expect_eq(msw_ctl_ring_init(m, 8, 16, 192, 0), 0);
	free(m);
}

static void
check_empty_full(uint32_t start)
{
	void *m = ring_mem(8, sizeof(struct test_rec));
	struct msw_ctl_ring *r = ring_new(8, sizeof(struct test_rec), start, m);
	struct test_rec *p;
	uint64_t i;

	cr_assert_null(msw_ctl_ring_cons_peek(r), "new ring is empty");
	cr_assert_eq(msw_ctl_ring_cons_count(r), 0);
	cr_assert_eq(msw_ctl_ring_prod_free(r), 8);
	for (i = 0; i < 8; i++) {
		p = msw_ctl_ring_prod_reserve(r);
		cr_assert_not_null(p, "record %" PRIu64 " of 8 fits", i);
		*p = (struct test_rec){.seq = i, .check = ~i};
		msw_ctl_ring_prod_commit(r, 1);
	}
	cr_assert_null(msw_ctl_ring_prod_reserve(r), "ninth record: full");
	cr_assert_eq(msw_ctl_ring_prod_free(r), 0);
	cr_assert_eq(msw_ctl_ring_cons_count(r), 8);
	for (i = 0; i < 8; i++) {
		p = msw_ctl_ring_cons_peek(r);
		cr_assert_not_null(p);
		cr_assert_eq(p->seq, i, "FIFO order");
		cr_assert_eq(p->check, ~i);
		msw_ctl_ring_cons_release(r, 1);
	}
	cr_assert_null(msw_ctl_ring_cons_peek(r), "drained ring is empty");
	cr_assert_eq(msw_ctl_ring_prod_free(r), 8);
	free(m);
}

Test(ctl_ring, empty_and_full)
{
	check_empty_full(0);
}

Test(ctl_ring, empty_and_full_across_uint32_wrap)
{
	check_empty_full(UINT32_MAX - 3); /* head wraps to 4 while the ring is full */
}

Test(ctl_ring, wrap_around_near_uint32_max)
{
	void *m = ring_mem(4, sizeof(struct test_rec));
	struct msw_ctl_ring *r = ring_new(4, sizeof(struct test_rec), UINT32_MAX - 10, m);
	uint64_t sent = 0, got = 0;
	int round;

	/* 3 in, 2 out, repeatedly: the counters cross 2^32 and slots cross the array end. */
	for (round = 0; round < 50; round++) {
		int k;

		for (k = 0; k < 3; k++) {
			struct test_rec *p = msw_ctl_ring_prod_reserve(r);

			if (p == NULL)
				break;
			*p = (struct test_rec){.seq = sent, .check = ~sent};
			sent++;
			msw_ctl_ring_prod_commit(r, 1);
		}
		for (k = 0; k < 2; k++) {
			struct test_rec *p = msw_ctl_ring_cons_peek(r);

			cr_assert_not_null(p);
			cr_assert_eq(p->seq, got);
			cr_assert_eq(p->check, ~got);
			got++;
			msw_ctl_ring_cons_release(r, 1);
		}
		cr_assert_leq(msw_ctl_ring_cons_count(r), 4);
	}
	cr_assert_gt(atomic_load(&r->head), 0u, "head wrapped past UINT32_MAX");
	cr_assert_lt(atomic_load(&r->head), 1000u);
	while (msw_ctl_ring_cons_peek(r) != NULL) {
		struct test_rec *p = msw_ctl_ring_cons_peek(r);

		cr_assert_eq(p->seq, got++);
		msw_ctl_ring_cons_release(r, 1);
	}
	cr_assert_eq(got, sent);
	free(m);
}

Test(ctl_ring, burst_partial_when_nearly_full)
{
	void *m = ring_mem(8, sizeof(struct test_rec));
	struct msw_ctl_ring *r = ring_new(8, sizeof(struct test_rec), UINT32_MAX - 2, m);
	struct test_rec in[12], out[12];
	uint32_t i;

	for (i = 0; i < 12; i++)
		in[i] = (struct test_rec){.seq = i, .check = ~(uint64_t)i};
	cr_assert_eq(msw_ctl_ring_enqueue_burst(r, in, 5), 5);
	cr_assert_eq(msw_ctl_ring_enqueue_burst(r, in + 5, 7), 3, "only 3 free");
	cr_assert_eq(msw_ctl_ring_enqueue_burst(r, in + 8, 4), 0, "full: 0, not an error");
	cr_assert_eq(msw_ctl_ring_dequeue_burst(r, out, 12), 8);
	for (i = 0; i < 8; i++)
		cr_assert_eq(out[i].seq, i);
	cr_assert_eq(msw_ctl_ring_dequeue_burst(r, out, 12), 0, "empty: 0");
	cr_assert_eq(msw_ctl_ring_enqueue_burst(r, in + 8, 4), 4);
	cr_assert_eq(msw_ctl_ring_dequeue_burst(r, out, 2), 2);
	cr_assert_eq(out[0].seq, 8);
	cr_assert_eq(out[1].seq, 9);
	free(m);
}

Test(ctl_ring, corrupt_indices_are_detected)
{
	void *m = ring_mem(8, sizeof(struct test_rec));
	struct msw_ctl_ring *r = ring_new(8, sizeof(struct test_rec), 0, m);

	/* A broken peer writes a head 9 records ahead of tail in an 8-record ring. */
	atomic_store(&r->head, 9);
	cr_assert_eq(msw_ctl_ring_cons_count(r), MSW_CTL_RING_CORRUPT);
	cr_assert_null(msw_ctl_ring_cons_peek(r));
	cr_assert_eq(msw_ctl_ring_prod_free(r), MSW_CTL_RING_CORRUPT);
	cr_assert_null(msw_ctl_ring_prod_reserve(r));
	free(m);
}

/* ---- two processes, 10 million records each way ---- */

#define XPROC_RECORDS 10000000ull
#define XPROC_CAP     1024u
#define XPROC_BURST   32u

struct xproc_shm {
	uint8_t ab[sizeof(struct msw_ctl_ring) + XPROC_CAP * MSW_CTL_REC_SIZE];
	uint8_t ba[sizeof(struct msw_ctl_ring) + XPROC_CAP * MSW_CTL_REC_SIZE];
};

/*
 * Each side produces on one ring and consumes from the other, interleaved in bursts, so both
 * directions run at the same time. Records are full-size channel records; the consumer checks
 * seq, a complement and the last payload word. Returns 0 or a failure code.
 */
static int
xproc_run(struct msw_ctl_ring *tx, struct msw_ctl_ring *rx)
{
	uint64_t sent = 0, got = 0;

	while (sent < XPROC_RECORDS || got < XPROC_RECORDS) {
		uint64_t before = sent + got;
		uint32_t k;

		for (k = 0; k < XPROC_BURST && sent < XPROC_RECORDS; k++) {
			struct msw_ctl_rec *p = msw_ctl_ring_prod_reserve(tx);

			if (p == NULL)
				break;
			p->hdr.seq = (uint32_t)sent;
			p->hdr.gen = ~sent;
			memcpy(p->payload + MSW_CTL_PAYLOAD_MAX - 8, &sent, 8);
			sent++;
			msw_ctl_ring_prod_commit(tx, 1);
		}
		for (k = 0; k < XPROC_BURST && got < XPROC_RECORDS; k++) {
			const struct msw_ctl_rec *p = msw_ctl_ring_cons_peek(rx);
			uint64_t tailword;

			if (p == NULL)
				break;
			memcpy(&tailword, p->payload + MSW_CTL_PAYLOAD_MAX - 8, 8);
			if (p->hdr.seq != (uint32_t)got || p->hdr.gen != ~got || tailword != got)
				return 2; /* lost, reordered or torn */
			got++;
			msw_ctl_ring_cons_release(rx, 1);
		}
		/* On a loaded 2-core machine the peer may not be running: let it. */
		if (sent + got == before)
			sched_yield();
	}
	return msw_ctl_ring_cons_peek(rx) == NULL ? 0 : 3; /* nothing extra arrived */
}

Test(ctl_ring, two_processes_10M_each_way, .timeout = 60)
{
	struct xproc_shm *shm =
	        mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct msw_ctl_ring *ab, *ba;
	int status;
	pid_t pid;

	cr_assert_neq(shm, MAP_FAILED);
	ab = (struct msw_ctl_ring *)shm->ab;
	ba = (struct msw_ctl_ring *)shm->ba;
	/* Start near the wrap so the 10M records cross it in both rings. */
	cr_assert_eq(
	        msw_ctl_ring_init(ab, XPROC_CAP, MSW_CTL_REC_SIZE, sizeof(*ab), UINT32_MAX - 5000),
	        0);
	cr_assert_eq(msw_ctl_ring_init(ba, XPROC_CAP, MSW_CTL_REC_SIZE, sizeof(*ba), 0), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(xproc_run(ba, ab));
	cr_assert_eq(xproc_run(ab, ba), 0, "parent received all records in order");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child received all records in order");
	cr_assert_eq(atomic_load(&ab->head) - (UINT32_MAX - 5000), (uint32_t)XPROC_RECORDS);
	cr_assert_eq(atomic_load(&ba->tail), (uint32_t)XPROC_RECORDS);
	munmap(shm, sizeof(*shm));
}
