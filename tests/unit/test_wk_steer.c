/* SPDX-License-Identifier: BSD-3-Clause */
/* Software flow steering between workers: dataplane/steer as wk uses it (no RSS). */
#include <criterion/criterion.h>

#include "worker/wk.h"

Test(wk_steer, owner_is_stable_in_range_and_balanced)
{
	uint32_t hits[4] = {0};
	uint64_t x = 88172645463325252ull;

	cr_assert_eq(steer_flow_owner(0x0a000001, 40000, 2855, 1), 0);
	for (int i = 0; i < 40000; i++) {
		uint32_t ip, o;
		uint16_t port;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		ip = (uint32_t)x;
		port = (uint16_t)(x >> 40);
		o = steer_flow_owner(ip, port, 2855, 4);
		cr_assert_lt(o, 4);
		cr_assert_eq(steer_flow_owner(ip, port, 2855, 4), o);
		hits[o]++;
	}
	/* Every worker gets its share (10000 each, within 5%). */
	for (int k = 0; k < 4; k++)
		cr_assert(hits[k] > 9500 && hits[k] < 10500, "worker %d: %u", k, hits[k]);
	/* Sequential source ports from one client (the usual case) spread too. */
	uint32_t two[2] = {0};

	for (uint16_t p = 40000; p < 42000; p++)
		two[steer_flow_owner(0x0a4d0001, p, 2855, 2)]++;
	cr_assert(two[0] > 900 && two[1] > 900, "%u/%u", two[0], two[1]);
}
