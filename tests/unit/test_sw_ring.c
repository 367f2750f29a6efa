/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batched SPSC ring of references between two lcores (dataplane/switch/sw_ring.h): batching
 * visibility, full ring, wrap-around, and two threads passing a numbered stream in order.
 */
#include <criterion/criterion.h>
#include <pthread.h>

#include "switch/sw_ring.h"

Test(sw_ring, create_rejects_bad_sizes)
{
	cr_assert_null(sw_ring_create(0));
	cr_assert_null(sw_ring_create(3));
	cr_assert_null(sw_ring_create(1));
	sw_ring_destroy(sw_ring_create(2));
}

Test(sw_ring, batch_visible_after_flush_full_and_wrap)
{
	struct sw_ring *r = sw_ring_create(8);
	struct sw_ring_ent e = {{0}}, out[16];

	cr_assert_not_null(r);
	for (uint64_t round = 0; round < 5; round++) {
		for (uint64_t i = 0; i < 8; i++) {
			e.w[0] = round * 100 + i;
			cr_assert(sw_ring_put(r, &e));
		}
		e.w[0] = 999;
		cr_assert(!sw_ring_put(r, &e), "put into a full ring");
		cr_assert_eq(sw_ring_get_burst(r, out, 16), 0, "visible before flush");
		sw_ring_flush(r);
		cr_assert_eq(sw_ring_get_burst(r, out, 3), 3);
		cr_assert_eq(out[0].w[0], round * 100);
		cr_assert_eq(sw_ring_get_burst(r, out, 16), 5);
		cr_assert_eq(out[4].w[0], round * 100 + 7);
		cr_assert_eq(sw_ring_prod_count(r), 0);
	}
	sw_ring_destroy(r);
}

#define N_MSGS 2000000u

static void *
consumer(void *arg)
{
	struct sw_ring *r = arg;
	struct sw_ring_ent out[32];
	uint64_t want = 0, bad = 0;

	while (want < N_MSGS) {
		uint32_t n = sw_ring_get_burst(r, out, 32);

		for (uint32_t i = 0; i < n; i++, want++)
			if (out[i].w[0] != want || out[i].w[3] != ~want)
				bad++;
	}
	return (void *)(uintptr_t)bad;
}

Test(sw_ring, two_threads_in_order, .timeout = 60)
{
	struct sw_ring *r = sw_ring_create(256);
	pthread_t th;
	void *bad;
	uint64_t i = 0;

	cr_assert_eq(pthread_create(&th, NULL, consumer, r), 0);
	while (i < N_MSGS) {
		/* Bursts of up to 16, published once each, as an lcore loop would. */
		for (unsigned int k = 0; k < 16 && i < N_MSGS; k++) {
			struct sw_ring_ent e = {{i, 0, 0, ~i}};

			if (!sw_ring_put(r, &e))
				break;
			i++;
		}
		sw_ring_flush(r);
	}
	pthread_join(th, &bad);
	cr_assert_eq((uintptr_t)bad, 0, "%zu entries out of order or torn", (size_t)(uintptr_t)bad);
	sw_ring_destroy(r);
}
