/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-client: the command-line chat client of the appliance (docs/client.md). Parses the
 * command line and runs the client until it leaves; SIGINT/SIGTERM make it leave (BYE).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "client/cl_app.h"
#include "client/cl_args.h"
#include "msw_version.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct cl_opts o;
	char err[CL_ERR_CAP];
	int rc;

	if (cl_args_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "msw-client: %s\n", err);
		cl_args_usage(stderr);
		cl_opts_fini(&o);
		return CL_EXIT_USAGE;
	}
	if (o.help || o.version) {
		if (o.help)
			cl_args_usage(stdout);
		else
			printf("msw-client %s\n", MSW_VERSION);
		cl_opts_fini(&o);
		return CL_EXIT_OK;
	}
	/* No SA_RESTART: the su_root poll returns at once and the loop sees the flag. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = cl_app_run(&o, &stop);
	cl_opts_fini(&o);
	return rc;
}
