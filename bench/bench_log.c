/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of logging and of loading the configuration, on one core:
 *   log_disabled   LOG() below the type's level (the check the data plane pays)
 *   log_enabled    LOG() formatted with a timestamp and written to /dev/null
 *   log_ratelimited LOG_RL() once its burst is used up (lock + clock, no output)
 *   cfg_load       cfg_load() of the file given as argv[1] (e.g. the carrier example)
 * Prints one JSON line per case on stdout, nothing else:
 *   {"bench":"log","case":"log_disabled","ns_per_op":X,"ops":N}
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "log/log.h"

#include "bench_util.h"


LOG_TYPE_DEFINE(bench_log_type, "msw.bench.log")

static void
bench_print(const char *name, double ns, unsigned long ops)
{
	printf("{\"bench\":\"log\",\"case\":\"%s\",\"ns_per_op\":%.2f,\"ops\":%lu}\n", name,
	       ns / (double)ops, ops);
}

/* Runs fn in growing batches until BENCH_MIN_NS have passed. */
static void
bench_run(const char *name, void (*fn)(unsigned long n))
{
	unsigned long n = 1000, total = 0;
	double t0 = bench_now_ns(), t;

	do {
		fn(n);
		total += n;
		n *= 2;
		t = bench_now_ns() - t0;
	} while (t < BENCH_MIN_NS);
	bench_print(name, t, total);
}

static void
bench_disabled(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		LOG(bench_log_type, DEBUG, "segment %lu outside the window", i);
}

static void
bench_enabled(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		LOG(bench_log_type, WARNING, "segment %lu outside the window", i);
}

static struct log_ratelimit bench_rl = LOG_RATELIMIT_INIT(1, 3600000);

static void
bench_ratelimited(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		LOG_RL(bench_log_type, WARNING, &bench_rl, "segment %lu outside the window", i);
}

static const char *bench_cfg_path;

static void
bench_cfg_load(unsigned long n)
{
	char err[CFG_ERR_CAP];

	for (unsigned long i = 0; i < n; i++) {
		struct msw_cfg *cfg;

		if (cfg_load(bench_cfg_path, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		cfg_free(cfg);
	}
}

int
main(int argc, char **argv)
{
	int devnull = open("/dev/null", O_WRONLY);

	if (devnull < 0) {
		perror("/dev/null");
		return 1;
	}
	log_set_output(devnull);
	log_set_level(LOG_LEVEL_NOTICE);
	log_set_timestamps(true);
	bench_run("log_disabled", bench_disabled);
	bench_run("log_enabled", bench_enabled);
	bench_run("log_ratelimited", bench_ratelimited);
	if (argc > 1) {
		bench_cfg_path = argv[1];
		bench_run("cfg_load", bench_cfg_load);
	}
	close(devnull);
	return 0;
}
