/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * msw-gen kernel engine: epoll loops on N threads drive the scenario's legs over Linux TCP,
 * verify every copy and print the live progress (stderr) and the JSON summary (stdout).
 *
 * Legs are set up over the data plane's control channel (setup "ctl": CONF_CREATE, LEG_ADD of
 * passive legs, bind with a bodiless SEND, RFC 4975 §5.4) or through an RFC 4976 relay (setup
 * "relay": AUTH, then To-Path = the peer's Use-Path followed by the peer's URI), or by INVITE
 * through the conference focus (setup "sip", gen_sip.c through gen_opts.sip). Traffic
 * "idle" sets the legs up and holds them without messages (scale runs).
 *
 * Thread-safety: gen_run() owns everything it creates; see gen_engine.c for the split
 * between the main thread and the engine threads.
 */

#include <stdbool.h>
#include <stdio.h>

#include "gen_scenario.h"

struct gen_io_ops;
struct gen_sip_ops;

struct gen_opts {
	bool quiet;           /* no progress lines */
	const char *instance; /* overrides scenario "instance" when non-NULL */
	/* The DPDK engine (gen_dpdk.c, gen_io_dpdk) when msw-gen was built with DPDK, else NULL:
	 * gen_lib itself never links DPDK. */
	const struct gen_io_ops *dpdk_io;
	/* The SIP set-up (gen_sip.c, gen_sip_ops) when msw-gen was built with sofia-sip, else
	 * NULL: gen_lib itself never links sofia-sip. */
	const struct gen_sip_ops *sip;
};

/* The kernel engine's transport (Linux TCP sockets, epoll). */
extern const struct gen_io_ops gen_io_kernel;

/*
 * Runs s to the end. Writes one JSON object to json. Returns 0 when the run completed with
 * every expected copy delivered exactly once, in order, intact and no error; 1 when it ran but
 * found errors; 2 when it could not run (set-up failure; the reason is on stderr and in the
 * JSON "error" field).
 */
int gen_run(const struct gen_scenario *s, const struct gen_opts *o, FILE *json);
