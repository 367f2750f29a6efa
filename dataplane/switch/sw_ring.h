/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Batched single-producer single-consumer ring for one ordered pair of lcores: the building
 * block of cross-lcore fan-out (chunk references from the sender's lcore to the recipient's)
 * and of outcomes routed back to the sender's lcore (docs/switch.md, "Multi-core").
 *
 * Entries are small fixed-size records of references (handles {lcore, index, generation}
 * and buffer pointers whose holds travel with them), never payload copies.
 * The producer writes entries with sw_ring_put() and makes them visible in one release store
 * with sw_ring_flush() (once per burst, not per entry); the consumer takes a burst with one
 * acquire load and hands the slots back with one release store.
 *
 * Thread-safety: exactly one producer thread and one consumer thread. prod_* fields are
 * private to the producer, cons_* to the consumer; tail is written by the producer only,
 * head by the consumer only. No locks, no syscalls, no allocation after create.
 */

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One reference record (64 bytes: one cache line). */
struct sw_ring_ent {
	uint64_t w[8];
};

struct sw_ring {
	alignas(64) _Atomic uint32_t tail; /* published by the producer */
	alignas(64) _Atomic uint32_t head; /* released by the consumer */
	alignas(64) uint32_t prod_tail;    /* producer: next slot to write (unpublished) */
	uint32_t prod_head;                /* producer: cached consumer head */
	alignas(64) uint32_t cons_tail;    /* consumer: cached producer tail */
	uint32_t mask;
	alignas(64) struct sw_ring_ent ent[];
};

/* cap: power of two >= 2. Returns NULL with errno EINVAL or ENOMEM. Slow path. */
static inline struct sw_ring *
sw_ring_create(uint32_t cap)
{
	struct sw_ring *r;

	if (cap < 2 || (cap & (cap - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(64, sizeof(*r) + (size_t)cap * sizeof(struct sw_ring_ent));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->mask = cap - 1;
	return r;
}

static inline void
sw_ring_destroy(struct sw_ring *r)
{
	free(r);
}

/* Producer: append one entry (not visible until sw_ring_flush). false when full. */
static inline bool
sw_ring_put(struct sw_ring *r, const struct sw_ring_ent *e)
{
	if (r->prod_tail - r->prod_head > r->mask) {
		r->prod_head = atomic_load_explicit(&r->head, memory_order_acquire);
		if (r->prod_tail - r->prod_head > r->mask)
			return false;
	}
	r->ent[r->prod_tail & r->mask] = *e;
	r->prod_tail++;
	return true;
}

/* Producer: publish every entry put so far (one release store per burst). */
static inline void
sw_ring_flush(struct sw_ring *r)
{
	atomic_store_explicit(&r->tail, r->prod_tail, memory_order_release);
}

/* Producer: entries put but not yet consumed (published or not). */
static inline uint32_t
sw_ring_prod_count(struct sw_ring *r)
{
	return r->prod_tail - atomic_load_explicit(&r->head, memory_order_acquire);
}

/* Consumer: entries published and not taken yet. */
static inline uint32_t
sw_ring_cons_count(struct sw_ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_acquire) -
	       atomic_load_explicit(&r->head, memory_order_relaxed);
}

/* Consumer: take up to n published entries in order. Returns the count. */
static inline uint32_t
sw_ring_get_burst(struct sw_ring *r, struct sw_ring_ent *out, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t avail = r->cons_tail - head;

	if (avail == 0) {
		r->cons_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		avail = r->cons_tail - head;
	}
	if (n > avail)
		n = avail;
	for (uint32_t i = 0; i < n; i++)
		out[i] = r->ent[(head + i) & r->mask];
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}
