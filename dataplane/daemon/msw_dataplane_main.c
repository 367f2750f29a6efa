/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-dataplane --config FILE: the DPDK MSRP data plane (docs/dataplane.md). Without
 * --config it runs the embedded default (a net_tap port, docs/config.md). The EAL arguments
 * come from the config (eal.*), not from the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "cfg/cfg.h"
#include "ctl/ctl_server.h"
#include "daemon/dpd.h"

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		dpd_request_reload();
	else
		dpd_request_stop();
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: msw-dataplane [--config FILE] [--instance NAME]\n"
	           "  --config FILE    configuration (docs/config.md); default: embedded\n"
	           "  --instance NAME  control-channel instance (default: the config's "
	           "instance, or $MSW_INSTANCE)\n");
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
	struct dpd *d;
	char **eargv;
	int c, eargc, rc;

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
	if (path != NULL) {
		rc = cfg_load(path, &cfg, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "msw-dataplane: %s\n", err);
			return 1;
		}
	} else if ((cfg = cfg_create_default()) == NULL) {
		fprintf(stderr, "msw-dataplane: out of memory\n");
		return 1;
	}
	if (cfg_log_apply(cfg, err, sizeof(err)) != 0)
		fprintf(stderr, "msw-dataplane: %s\n", err);
	if (instance == NULL)
		instance = getenv("MSW_INSTANCE");
	if (instance == NULL || *instance == '\0')
		instance = cfg->instance;
	rc = ctl_server_instance_busy(instance);
	if (rc != 0) {
		fprintf(stderr, "msw-dataplane: instance '%s': %s\n", instance,
		        rc == 1 ? "another data plane serves this instance" : strerror(-rc));
		cfg_free(cfg);
		return 1;
	}
	eargc = dpd_eal_argv(cfg, argv[0], instance, &eargv);
	if (eargc < 0) {
		fprintf(stderr, "msw-dataplane: out of memory\n");
		cfg_free(cfg);
		return 1;
	}
	{
		/* rte_eal_init() permutes its argv: keep our own copy of the pointers to free. */
		char **v = calloc((size_t)eargc + 1, sizeof(*v));

		if (v == NULL)
			return 1;
		memcpy(v, eargv, sizeof(*v) * (size_t)eargc);
		rc = rte_eal_init(eargc, v);
		free(v);
	}
	if (rc < 0) {
		fprintf(stderr,
		        "msw-dataplane: EAL init failed: %s (eal.* in %s; EAL's own "
		        "messages above)\n",
		        rte_errno != 0 ? rte_strerror(rte_errno) : "see above", cfg->source);
		dpd_eal_argv_free(eargc, eargv);
		cfg_free(cfg);
		return 1;
	}
	d = dpd_create(cfg, path, instance, err, sizeof(err));
	if (d == NULL) {
		fprintf(stderr, "msw-dataplane: %s\n", err);
		rte_eal_cleanup();
		dpd_eal_argv_free(eargc, eargv);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	rc = dpd_run(d);
	dpd_destroy(d);
	rte_eal_cleanup();
	dpd_eal_argv_free(eargc, eargv);
	return rc;
}
