/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared timing harness of the micro-benchmarks: a monotonic clock in nanoseconds, and a
 * loop that runs an operation in batches of 1000 until BENCH_MIN_NS have passed and prints
 * one JSON line {"bench":B,"case":C,"ns_per_op":X,"ops":N}.
 */
#pragma once

#include <stdio.h>
#include <time.h>

#define BENCH_MIN_NS 300000000.0 /* measure each case for at least 0.3 s */

static inline double
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Results are added here so the compiler cannot drop the measured work. */
static volatile long bench_sink;

typedef long bench_op_fn(void);

static inline void
bench_run_ops(const char *bench, const char *name, bench_op_fn *fn)
{
	double t0 = bench_now_ns(), t;
	long ops = 0;

	do {
		for (int i = 0; i < 1000; i++)
			bench_sink += fn();
		ops += 1000;
		t = bench_now_ns() - t0;
	} while (t < BENCH_MIN_NS);
	printf("{\"bench\":\"%s\",\"case\":\"%s\",\"ns_per_op\":%.1f,\"ops\":%ld}\n", bench, name,
	       t / (double)ops, ops);
}
