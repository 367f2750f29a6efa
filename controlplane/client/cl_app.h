/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_app: msw-client as a whole (docs/client.md): config and addresses, the SIP dialog
 * (cl_ua), the MSRP session (cl_msrp over cl_conn), stdin, output (cl_print) and the rules
 * for leaving (--expect, --hold, --timeout, SIGINT, the focus's BYE), all on one su_root.
 *
 * Thread-safety: cl_app_run() owns everything it creates; stop may be set from a signal
 * handler (it is only read).
 */

#include <signal.h>
#include <stdint.h>

#include "client/cl_args.h"

/* Exit codes: 0 done, 1 failed (refused, timeout, a message not delivered), 2 usage. */
#define CL_EXIT_OK    0
#define CL_EXIT_FAIL  1
#define CL_EXIT_USAGE 2

/* Picks the local IPv4 address the kernel would use to reach dst (a UDP connect()). */
int cl_local_addr_for(struct in_addr dst, struct in_addr *out);

/* Content type for a file by extension; "application/octet-stream" when unknown. */
const char *cl_file_type_guess(const char *path);

/* Runs the client until it leaves; returns the exit code. */
int cl_app_run(const struct cl_opts *o, volatile sig_atomic_t *stop);
