/* SPDX-License-Identifier: BSD-3-Clause */
#include "tcp/tcp_wheel.h"

void
tcp_wheel_init(struct tcp_wheel *w, struct tcp_wheel_entry *entries, uint32_t nentries,
               uint32_t *heads, uint32_t nslots, uint64_t tick_us, uint64_t now_us)
{
	w->e = entries;
	w->heads = heads;
	w->nentries = nentries;
	w->slot_mask = nslots - 1;
	w->tick_us = tick_us;
	w->cur_tick = now_us / tick_us;
	w->nscheduled = 0;
	for (uint32_t i = 0; i < nslots; i++)
		heads[i] = TCP_WHEEL_NONE;
	for (uint32_t i = 0; i < nentries; i++) {
		entries[i].slot = TCP_WHEEL_NONE;
		entries[i].next = entries[i].prev = TCP_WHEEL_NONE;
	}
}

bool
tcp_wheel_pending(const struct tcp_wheel *w, uint32_t idx)
{
	return w->e[idx].slot != TCP_WHEEL_NONE;
}

void
tcp_wheel_cancel(struct tcp_wheel *w, uint32_t idx)
{
	struct tcp_wheel_entry *x = &w->e[idx];

	if (x->slot == TCP_WHEEL_NONE)
		return;
	if (x->prev == TCP_WHEEL_NONE)
		w->heads[x->slot] = x->next;
	else
		w->e[x->prev].next = x->next;
	if (x->next != TCP_WHEEL_NONE)
		w->e[x->next].prev = x->prev;
	x->slot = TCP_WHEEL_NONE;
	x->next = x->prev = TCP_WHEEL_NONE;
	w->nscheduled--;
}

void
tcp_wheel_schedule(struct tcp_wheel *w, uint32_t idx, uint64_t expire_us)
{
	struct tcp_wheel_entry *x = &w->e[idx];
	/* Round up: a timer never fires before its deadline. */
	uint64_t tick = (expire_us + w->tick_us - 1) / w->tick_us;
	uint32_t slot;

	tcp_wheel_cancel(w, idx);
	/* Never into a processed tick (or the one being processed): it would be missed. */
	if (tick < w->cur_tick)
		tick = w->cur_tick;
	slot = (uint32_t)(tick & w->slot_mask);
	x->expire_tick = tick;
	x->slot = slot;
	x->prev = TCP_WHEEL_NONE;
	x->next = w->heads[slot];
	if (x->next != TCP_WHEEL_NONE)
		w->e[x->next].prev = idx;
	w->heads[slot] = idx;
	w->nscheduled++;
}

uint32_t
tcp_wheel_expire(struct tcp_wheel *w, uint64_t now_us, tcp_wheel_fn *fn, void *ctx)
{
	uint64_t end = now_us / w->tick_us + 1;
	uint64_t nslots = (uint64_t)w->slot_mask + 1;
	uint64_t t = w->cur_tick;
	uint32_t fired = 0;

	/* Idle for more than a revolution: the last nslots ticks visit every slot once. */
	if (end > t && end - t > nslots)
		t = end - nslots;
	for (; t < end && w->nscheduled != 0; t++) {
		uint32_t slot = (uint32_t)(t & w->slot_mask);
		uint32_t i = w->heads[slot];

		w->cur_tick = t + 1; /* first unprocessed: a callback's reschedule lands there */
		while (i != TCP_WHEEL_NONE) {
			uint32_t next = w->e[i].next;

			if (w->e[i].expire_tick < end) {
				tcp_wheel_cancel(w, i);
				fired++;
				fn(ctx, i, now_us);
				/* The callback may have unlinked next: restart the slot. */
				next = w->heads[slot];
			}
			i = next;
		}
	}
	if (end > w->cur_tick)
		w->cur_tick = end;
	return fired;
}
