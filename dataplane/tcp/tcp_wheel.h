/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A single-level hashed timer wheel with one intrusive entry per object (per connection),
 * addressed by a uint32_t index. Deadlines beyond one revolution stay in their slot and are
 * skipped until their round comes (Varghese & Lauck scheme 6). No DPDK dependency; the
 * caller owns the entry array.
 *
 * Thread-safety: owned by one lcore; no internal locking.
 */

#include <stdbool.h>
#include <stdint.h>

#define TCP_WHEEL_NONE UINT32_MAX

struct tcp_wheel_entry {
	uint32_t next;        /* TCP_WHEEL_NONE terminates */
	uint32_t prev;        /* TCP_WHEEL_NONE: head of its slot */
	uint32_t slot;        /* TCP_WHEEL_NONE: not scheduled */
	uint64_t expire_tick; /* absolute tick */
};

struct tcp_wheel {
	struct tcp_wheel_entry *e;
	uint32_t *heads;
	uint32_t nentries;
	uint32_t slot_mask;
	uint64_t tick_us;
	uint64_t cur_tick; /* every tick < cur_tick has been processed */
	uint32_t nscheduled;
};

/* Called for each expired index; it may reschedule or cancel any entry. */
typedef void tcp_wheel_fn(void *ctx, uint32_t idx, uint64_t now_us);

/* nslots must be a power of two. entries/heads are caller memory (sized nentries/nslots). */
void tcp_wheel_init(struct tcp_wheel *w, struct tcp_wheel_entry *entries, uint32_t nentries,
                    uint32_t *heads, uint32_t nslots, uint64_t tick_us, uint64_t now_us);
/* (Re)schedules idx to fire at the first tick >= expire_us (never in the past tick). */
void tcp_wheel_schedule(struct tcp_wheel *w, uint32_t idx, uint64_t expire_us);
void tcp_wheel_cancel(struct tcp_wheel *w, uint32_t idx);
bool tcp_wheel_pending(const struct tcp_wheel *w, uint32_t idx);
/* Fires everything due at now_us; returns how many fired. */
uint32_t tcp_wheel_expire(struct tcp_wheel *w, uint64_t now_us, tcp_wheel_fn *fn, void *ctx);
