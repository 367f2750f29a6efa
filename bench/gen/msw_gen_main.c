/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-gen: the bundled MSRP traffic generator (docs/benchmarking.md).
 *   msw-gen [--quiet] [--instance NAME] [--check] SCENARIO
 * Progress on stderr once a second, one JSON summary on stdout. Exit status: 0 every copy
 * delivered exactly once, in order, intact, no error; 1 the run found errors; 2 invalid
 * scenario or set-up failure (FILE:LINE: KEY: reason on stderr).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "gen_engine.h"
#include "gen_scenario.h"
#ifdef GEN_HAVE_DPDK
#include "gen_dpdk.h"
#endif
#ifdef GEN_HAVE_SIP
#include "gen_sip.h"
#endif

static void
usage(FILE *out)
{
	fprintf(out, "usage: msw-gen [--quiet] [--instance NAME] [--check] SCENARIO\n"
	             "  --check     validate the scenario file and exit\n"
	             "  --instance  control-channel instance (overrides the scenario's)\n"
	             "  --quiet     no progress lines on stderr\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"quiet", no_argument, NULL, 'q'},
	                                   {"instance", required_argument, NULL, 'i'},
	                                   {"check", no_argument, NULL, 'c'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	struct gen_opts o = {0};
	struct gen_scenario *s;
	char err[GEN_ERR_CAP];
	int check = 0, c, rc;

	while ((c = getopt_long(argc, argv, "qi:ch", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.quiet = true;
			break;
		case 'i':
			o.instance = optarg;
			break;
		case 'c':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	s = malloc(sizeof(*s));
	if (s == NULL)
		return 2;
	if (gen_scenario_load(argv[optind], s, err, sizeof(err)) != 0) {
		fprintf(stderr, "msw-gen: %s\n", err);
		free(s);
		return 2;
	}
	if (check) {
		printf("%s: ok\n", argv[optind]);
		free(s);
		return 0;
	}
#ifdef GEN_HAVE_DPDK
	o.dpdk_io = &gen_io_dpdk;
#endif
#ifdef GEN_HAVE_SIP
	o.sip = &gen_sip_ops;
#endif
	signal(SIGPIPE, SIG_IGN);
	rc = gen_run(s, &o, stdout);
	free(s);
	return rc;
}
