/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-producer/single-consumer ring of fixed-size records in shared memory.
 *
 * Header-only so the data plane's control lcore, the control plane, mswctl, tests and benches
 * all run the same inline code. Layout is ABI (docs/ctl-abi.md, "Ring protocol"):
 *
 *   line 0  head        written by the producer only (release), read by the consumer (acquire)
 *           prod_tail   producer's cached copy of tail (only the producer reads/writes it)
 *   line 1  tail        written by the consumer only (release), read by the producer (acquire)
 *           cons_head   consumer's cached copy of head (only the consumer reads/writes it)
 *   line 2  geometry    immutable after msw_ctl_ring_init(): cap, mask, rec_size, data_off
 *
 * head and tail are free-running uint32_t counters: the slot of index i is (i & mask), the
 * number of used records is (head - tail) in modulo-2^32 arithmetic, so wrap-around of the
 * counters needs no special case (tested with indices near UINT32_MAX).
 *
 * Cached indices: the producer only re-reads the consumer's line when its cached tail says the
 * ring is full, and vice versa, so in steady state each side touches the other's cache line
 * once per burst instead of once per record.
 *
 * Thread-safety: exactly one producer process/thread and one consumer process/thread per ring.
 * Neither side takes a lock or makes a syscall; wake-ups are the caller's business (doorbells
 * in msw_ctl_abi.h). A side that sees (head - tail) > cap knows the peer corrupted the ring:
 * msw_ctl_ring_cons_count() and msw_ctl_ring_prod_free() then return UINT32_MAX.
 */
#pragma once

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MSW_CTL_CACHE_LINE 64u

/* Returned by the count helpers when (head - tail) > cap: the peer broke the protocol. */
#define MSW_CTL_RING_CORRUPT UINT32_MAX

struct msw_ctl_ring {
	/* line 0: producer */
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint32_t head;
	uint32_t prod_tail;
	uint8_t prod_pad_[MSW_CTL_CACHE_LINE - 8];
	/* line 1: consumer */
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint32_t tail;
	uint32_t cons_head;
	uint8_t cons_pad_[MSW_CTL_CACHE_LINE - 8];
	/* line 2: immutable geometry */
	alignas(MSW_CTL_CACHE_LINE) uint32_t cap; /* records, power of two */
	uint32_t mask;                            /* cap - 1 */
	uint32_t rec_size;                        /* bytes per record, multiple of 8 */
	uint32_t geo_rsv_;                        /* zero */
	uint64_t data_off;                        /* records start at (uint8_t *)ring + data_off */
	uint8_t geo_pad_[MSW_CTL_CACHE_LINE - 24];
};

static_assert(offsetof(struct msw_ctl_ring, head) == 0, "ABI: ring head");
static_assert(offsetof(struct msw_ctl_ring, prod_tail) == 4, "ABI: ring prod_tail");
static_assert(offsetof(struct msw_ctl_ring, tail) == 64, "ABI: ring tail");
static_assert(offsetof(struct msw_ctl_ring, cons_head) == 68, "ABI: ring cons_head");
static_assert(offsetof(struct msw_ctl_ring, cap) == 128, "ABI: ring cap");
static_assert(offsetof(struct msw_ctl_ring, mask) == 132, "ABI: ring mask");
static_assert(offsetof(struct msw_ctl_ring, rec_size) == 136, "ABI: ring rec_size");
static_assert(offsetof(struct msw_ctl_ring, data_off) == 144, "ABI: ring data_off");
static_assert(sizeof(struct msw_ctl_ring) == 192, "ABI: ring control block is 3 cache lines");

/*
 * Initialise a ring whose records live data_off bytes after the ring. start is the initial
 * value of both counters (0 in production; tests use values near UINT32_MAX to exercise the
 * wrap). Returns 0, or -1 if cap is not a power of two or rec_size is not a non-zero multiple
 * of 8. Only call while neither peer is using the ring.
 */
static inline int
msw_ctl_ring_init(struct msw_ctl_ring *r, uint32_t cap, uint32_t rec_size, uint64_t data_off,
                  uint32_t start)
{
	if (cap == 0 || (cap & (cap - 1)) != 0 || rec_size == 0 || (rec_size & 7u) != 0)
		return -1;
	r->cap = cap;
	r->mask = cap - 1;
	r->rec_size = rec_size;
	r->geo_rsv_ = 0;
	r->data_off = data_off;
	r->prod_tail = start;
	r->cons_head = start;
	atomic_store_explicit(&r->tail, start, memory_order_relaxed);
	atomic_store_explicit(&r->head, start, memory_order_release);
	return 0;
}

static inline void *
msw_ctl_ring_rec(const struct msw_ctl_ring *r, uint32_t idx)
{
	/* Integer arithmetic: the records lie outside struct msw_ctl_ring, and the compiler's
	 * object-size checks must not mistake them for an overflow of it. */
	return (void *)((uintptr_t)r + (uintptr_t)r->data_off +
	                (uintptr_t)(idx & r->mask) * r->rec_size);
}

/* Producer: free records, or MSW_CTL_RING_CORRUPT. Refreshes the cached tail. */
static inline uint32_t
msw_ctl_ring_prod_free(struct msw_ctl_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t used = head - tail;

	/* Only a sane value may enter the cache: the fast paths trust it. */
	if (used > r->cap)
		return MSW_CTL_RING_CORRUPT;
	r->prod_tail = tail;
	return r->cap - used;
}

/*
 * Producer: pointer to the next free record, or NULL when the ring is full (or corrupt). The
 * record is invisible to the consumer until msw_ctl_ring_prod_commit().
 */
static inline void *
msw_ctl_ring_prod_reserve(struct msw_ctl_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->prod_tail >= r->cap) {
		uint32_t n = msw_ctl_ring_prod_free(r);

		if (n == 0 || n == MSW_CTL_RING_CORRUPT)
			return NULL;
	}
	return msw_ctl_ring_rec(r, head);
}

/* Producer: publish n reserved records (release: their bytes are visible before head). */
static inline void
msw_ctl_ring_prod_commit(struct msw_ctl_ring *r, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + n, memory_order_release);
}

/*
 * Producer: copy up to n records of rec_size bytes from recs; returns how many were enqueued
 * (burst semantics: 0..n). One release store publishes them all.
 */
static inline uint32_t
msw_ctl_ring_enqueue_burst(struct msw_ctl_ring *r, const void *recs, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t room = r->cap - (head - r->prod_tail);
	const uint8_t *src = (const uint8_t *)recs;
	uint32_t i;

	if (room < n) {
		room = msw_ctl_ring_prod_free(r);
		if (room == MSW_CTL_RING_CORRUPT)
			return 0;
	}
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		memcpy(msw_ctl_ring_rec(r, head + i), src + (size_t)i * r->rec_size, r->rec_size);
	if (n != 0)
		atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

/* Consumer: records available, or MSW_CTL_RING_CORRUPT. Refreshes the cached head. */
static inline uint32_t
msw_ctl_ring_cons_count(struct msw_ctl_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t used = head - tail;

	if (used > r->cap)
		return MSW_CTL_RING_CORRUPT;
	r->cons_head = head;
	return used;
}

/*
 * Consumer: pointer to the oldest record, or NULL when empty (or corrupt). The record stays
 * owned by the consumer until msw_ctl_ring_cons_release(); the producer cannot overwrite it.
 */
static inline void *
msw_ctl_ring_cons_peek(struct msw_ctl_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (r->cons_head == tail) {
		uint32_t n = msw_ctl_ring_cons_count(r);

		if (n == 0 || n == MSW_CTL_RING_CORRUPT)
			return NULL;
	}
	return msw_ctl_ring_rec(r, tail);
}

/* Consumer: give n records back to the producer (release: reads finish before the slot reuse). */
static inline void
msw_ctl_ring_cons_release(struct msw_ctl_ring *r, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}

/* Consumer: copy out up to n records into recs; returns how many (burst semantics). */
static inline uint32_t
msw_ctl_ring_dequeue_burst(struct msw_ctl_ring *r, void *recs, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = r->cons_head - tail;
	uint8_t *dst = (uint8_t *)recs;
	uint32_t i;

	if (avail < n) {
		avail = msw_ctl_ring_cons_count(r);
		if (avail == MSW_CTL_RING_CORRUPT)
			return 0;
	}
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		memcpy(dst + (size_t)i * r->rec_size, msw_ctl_ring_rec(r, tail + i), r->rec_size);
	if (n != 0)
		atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}
