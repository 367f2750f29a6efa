/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-controlplane [--config FILE] [--instance NAME]: the SIP control plane (conference focus,
 * docs/controlplane.md). Runs one su_root event loop until SIGINT/SIGTERM; SIGHUP reopens
 * the CDR file (after logrotate moved it), SIGUSR1 logs the counters (also logged at exit).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "cfg/cfg.h"
#include "focus/focus.h"
#include "log/log.h"

LOG_TYPE_DEFINE(cp_main_log, "msw.cp")

static volatile sig_atomic_t stop, reopen, dump;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1; /* logrotate moved the CDR file: open a new one (from the loop) */
	else if (sig == SIGUSR1)
		dump = 1; /* log the counters (from the loop) */
	else
		stop = 1;
}

/* Every focus counter on one log line: "name=value ..." (docs/operations.md). */
static void
log_counters(const struct focus *f)
{
	char line[2048];
	size_t o = 0;

	for (int i = 0; i < FOCUS_CNT_MAX && o < sizeof(line); i++) {
		int n = snprintf(line + o, sizeof(line) - o, "%s%s=%" PRIu64, i ? " " : "",
		                 focus_counter_name((enum focus_cnt)i),
		                 focus_counter(f, (enum focus_cnt)i));

		if (n < 0)
			break;
		o += (size_t)n;
	}
	LOG(cp_main_log, NOTICE, "counters: %s", line);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: msw-controlplane [--config FILE] [--instance NAME]\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"instance", required_argument, NULL, 'i'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *instance = NULL;
	char err[CFG_ERR_CAP];
	struct msw_cfg *cfg;
	struct focus *f;
	su_root_t *root;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (path != NULL ? cfg_load(path, &cfg, err, sizeof(err)) != 0
	                 : (cfg = cfg_create_default()) == NULL) {
		fprintf(stderr, "msw-controlplane: %s\n", path != NULL ? err : "out of memory");
		return 1;
	}
	if (cfg_log_apply(cfg, err, sizeof(err)) != 0)
		fprintf(stderr, "msw-controlplane: %s\n", err);
	if (instance == NULL)
		instance = getenv("MSW_INSTANCE");
	if (instance == NULL || *instance == '\0')
		instance = cfg->instance;
	su_init();
	root = su_root_create(NULL);
	f = root != NULL ? focus_create(root, cfg, instance, err, sizeof(err)) : NULL;
	if (f == NULL) {
		fprintf(stderr, "msw-controlplane: %s\n", root != NULL ? err : "su_root failed");
		if (root != NULL)
			su_root_destroy(root);
		su_deinit();
		cfg_free(cfg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGUSR1, on_signal);
	while (!stop) {
		su_root_step(root, 100);
		if (reopen) {
			reopen = 0;
			focus_reopen_files(f);
		}
		if (dump) {
			dump = 0;
			log_counters(f);
		}
	}
	log_counters(f);
	focus_shutdown(f);
	for (int i = 0; i < 50 && !focus_done(f); i++)
		su_root_step(root, 100);
	focus_destroy(f);
	su_root_destroy(root);
	su_deinit();
	cfg_free(cfg);
	return 0;
}
