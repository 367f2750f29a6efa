/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by ctl_server.c and ctl_client.c; not included from outside common/ctl. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ctl/ctl_types.h"

#define CTL_SHM_NAME_CAP 48u
#define CTL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct ctl_layout {
	uint64_t off_counters;
	uint64_t off_slots;
	uint64_t slot_stride;
	uint64_t off_blob;
	uint64_t size;
};

/* Computes the region layout for a geometry; -EINVAL if it does not fit 32-bit blob offsets. */
int ctl_layout_compute(uint32_t n_slots, uint32_t ring_cap, uint32_t c2d, uint32_t d2c,
                       struct ctl_layout *out);

uint64_t ctl_now_ns(clockid_t clk);

/* futex(2) on a shared (non-private) word. */
int ctl_futex_wait(_Atomic uint32_t *word, uint32_t val, uint32_t timeout_ms);
void ctl_futex_wake(_Atomic uint32_t *word);

/*
 * Doorbell (eventcount): the producer publishes, then rings; the waiter announces itself,
 * re-checks its condition, and sleeps only if the bell did not move. The seq_cst fences on
 * both sides make "producer missed the waiter" and "waiter missed the record" impossible at
 * the same time, so no wake-up is lost and no syscall is made while nobody sleeps.
 */
static inline void
ctl_bell_ring(_Atomic uint32_t *bell, _Atomic uint32_t *waiters)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(waiters, memory_order_relaxed) != 0) {
		atomic_fetch_add_explicit(bell, 1, memory_order_relaxed);
		ctl_futex_wake(bell);
	}
}

/* Unconditional ring (data-plane start/stop): every sleeper re-checks. */
static inline void
ctl_bell_ring_all(_Atomic uint32_t *bell)
{
	atomic_fetch_add_explicit(bell, 1, memory_order_seq_cst);
	ctl_futex_wake(bell);
}

/* ---- blob byte rings (struct msw_ctl_ring used with byte units) ---- */

static inline uint32_t
ctl_blob_need(uint32_t len)
{
	return (uint32_t)((sizeof(struct msw_ctl_blob_hdr) + len + MSW_CTL_BLOB_ALIGN - 1) &
	                  ~(uint64_t)(MSW_CTL_BLOB_ALIGN - 1));
}

/* Byte ring geometry: cap bytes (power of two, >= 64), data at region offset data_region_off. */
void ctl_bring_init(struct msw_ctl_ring *r, uint64_t ring_region_off, uint64_t data_region_off,
                    uint32_t cap);

/*
 * Producer: space a sequence of allocations would take starting at head, padding included;
 * UINT32_MAX if one of them can never fit.
 */
uint32_t ctl_bring_plan(const struct msw_ctl_ring *r, uint32_t head, const uint32_t *lens,
                        unsigned int n);

/*
 * Producer: writes one blob at *head (advancing it; the caller publishes head later) and fills
 * ref. The caller has checked the space with ctl_bring_plan(). base = region base.
 */
void ctl_bring_put(struct msw_ctl_ring *r, const uint8_t *base, uint32_t *head, uint32_t gen,
                   uint16_t cls, const void *data, uint32_t len, struct msw_ctl_blob_ref *ref);

/*
 * Consumer: validates ref against the ring (inside [tail, head), header len/gen match) and
 * returns a pointer to its bytes, or NULL.
 */
const void *ctl_bring_resolve(struct msw_ctl_ring *r, const uint8_t *base,
                              const struct msw_ctl_blob_ref *ref);

/* Consumer: true if end is a position in (tail, head]. */
bool ctl_bring_end_valid(struct msw_ctl_ring *r, uint32_t end);
