/* SPDX-License-Identifier: BSD-3-Clause */
/* common/log: rate-limited slow-path messages. */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "log/log.h"

LOG_TYPE_DEFINE(t_rl, "msw.dp.rl")

#define MS 1000000ull

Test(log_ratelimit, burst_then_suppress_then_report)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(3, 1000);
	uint32_t dropped;
	uint64_t t0 = 5000 * MS;

	for (int i = 0; i < 3; i++) {
		cr_assert(log_ratelimit_allow(&rl, t0 + (uint64_t)i * MS, &dropped));
		cr_assert_eq(dropped, 0);
	}
	for (int i = 0; i < 7; i++)
		cr_assert_not(log_ratelimit_allow(&rl, t0 + 500 * MS, &dropped));
	/* Still inside the 1 s window. */
	cr_assert_not(log_ratelimit_allow(&rl, t0 + 999 * MS, &dropped));
	/* New window: allowed, and told how many were dropped (8). */
	cr_assert(log_ratelimit_allow(&rl, t0 + 1000 * MS, &dropped));
	cr_assert_eq(dropped, 8);
	cr_assert(log_ratelimit_allow(&rl, t0 + 1001 * MS, &dropped));
	cr_assert_eq(dropped, 0);
}

Test(log_ratelimit, window_starts_at_first_message)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1, 100);
	uint32_t dropped;

	/* A clock near zero must not look like an expired window. */
	cr_assert(log_ratelimit_allow(&rl, 10, &dropped));
	cr_assert_not(log_ratelimit_allow(&rl, 11, &dropped));
	cr_assert(log_ratelimit_allow(&rl, 10 + 100 * MS, &dropped));
	cr_assert_eq(dropped, 1);
}

Test(log_ratelimit, macro_emits_suppressed_count_and_checks_level_first)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 60000);
	FILE *out = tmpfile();
	char buf[4096];
	size_t n;

	cr_assert_not_null(out);
	log_set_output(fileno(out));
	log_set_timestamps(false);
	/* Disabled level: consumes no token. */
	for (int i = 0; i < 5; i++)
		LOG_RL(t_rl, DEBUG, &rl, "debug %d", i);
	for (int i = 0; i < 5; i++)
		LOG_RL(t_rl, WARNING, &rl, "drop %d", i);
	/* The window is one minute: force the next one by rewinding its start. */
	rl.window_start_ns -= 60000 * MS;
	LOG_RL(t_rl, WARNING, &rl, "drop %d", 5);
	fflush(out);
	rewind(out);
	n = fread(buf, 1, sizeof(buf) - 1, out);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "WARNING msw.dp.rl: drop 0\n"
	                      "WARNING msw.dp.rl: drop 1\n"
	                      "WARNING msw.dp.rl: 3 messages suppressed by rate limit\n"
	                      "WARNING msw.dp.rl: drop 5\n");
	fclose(out);
}
