/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mswctl: the operator CLI of the msw data plane (docs/mswctl.md). It speaks the shared-memory
 * control channel (docs/ctl-abi.md) through common/ctl's client library and needs no DPDK.
 *
 * The parser (mswctl_parse) is split from the execution (mswctl_run) so the unit test checks
 * every syntax rule without a data plane. main() only glues the two.
 *
 * Thread-safety: none needed; a struct mswctl_cmd is built and used by one thread. After a
 * successful parse it points into argv (identity, alias) and owns the rest by value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msw/msw_ctl_abi.h"

/* Exit statuses (docs/mswctl.md "Exit status"). */
#define MSWCTL_EXIT_OK      0
#define MSWCTL_EXIT_RUNTIME 1 /* no data plane, command refused, channel error */
#define MSWCTL_EXIT_USAGE   2 /* bad syntax or bad argument value */

/* Defaults. */
#define MSWCTL_WAIT_DP_MS_DEFAULT 3000u /* --timeout: wait for the data plane to be up */
#define MSWCTL_CALL_MS_DEFAULT    5000u /* --call-timeout: one command's reply */
#define MSWCTL_ATTACH_RETRY_MS    2000u /* identity "mswctl" held by a concurrent mswctl */
#define MSWCTL_INTERVAL_DEFAULT   1000u /* watch --interval, ms */
#define MSWCTL_PING_COUNT_DEFAULT 10u

/* Buffers holding normalised option values (the data plane has lower limits of its own). */
#define MSWCTL_PATH_CAP   4096u /* --path, SP-separated MSRP URIs */
#define MSWCTL_ACCEPT_CAP 1024u /* --accept-types, SP-separated media types */
#define MSWCTL_TEXT_MAX   1024u /* --identity, --alias */

/* Identity of the commands that create or delete objects (docs/mswctl.md "Ownership"). */
#define MSWCTL_IDENTITY "mswctl"

enum mswctl_verb {
	MSWCTL_NONE = 0, /* not parsed yet / unknown */
	MSWCTL_HELP,
	MSWCTL_CONF_CREATE,
	MSWCTL_CONF_DELETE,
	MSWCTL_CONF_LIST,
	MSWCTL_LEG_ADD,
	MSWCTL_LEG_SET,
	MSWCTL_LEG_DEL,
	MSWCTL_LEG_LIST,
	MSWCTL_STATS,
	MSWCTL_WATCH,
	MSWCTL_DRAIN,
	MSWCTL_PING,
	MSWCTL_VERB_MAX
};

/* A parsed command line. Fields not used by the verb stay zero. */
struct mswctl_cmd {
	enum mswctl_verb verb;
	enum mswctl_verb help_for; /* verb HELP: the command whose usage to print, or NONE */
	char instance[MSW_CTL_INSTANCE_MAX + 1]; /* resolved: --instance, $MSW_INSTANCE, default */
	uint32_t wait_dp_ms;                     /* --timeout */
	uint32_t call_ms;                        /* --call-timeout */

	/* operands */
	struct msw_ctl_conf_id conf;          /* CONF_ID */
	char session_id[MSW_CTL_SESSION_MAX]; /* LOCAL_SESSION_ID (or taken from a local URI) */
	uint8_t session_id_len;

	/* conf create */
	uint32_t max_legs; /* 0 = data-plane default (its max_conf_legs) */
	uint32_t max_size; /* conf: 0 = data-plane default; leg: 0 = none */
	uint8_t cpim_policy;

	/* leg add / leg set */
	char path[MSWCTL_PATH_CAP]; /* SP-separated, each URI checked (RFC 4975 §9) */
	uint32_t path_len;
	const char *identity; /* into argv; NULL when absent */
	const char *alias;    /* into argv; NULL when absent */
	char accept_types[MSWCTL_ACCEPT_CAP];
	uint32_t accept_types_len; /* 0 = absent: the data plane accepts anything */
	char accept_wrapped_types[MSWCTL_ACCEPT_CAP];
	uint32_t accept_wrapped_types_len; /* 0 = absent: wrapped types not checked */
	uint8_t direction;                 /* enum msw_ctl_direction */
	bool history;                      /* conf create / leg add: MSW_CTL_*_F_HISTORY */
	bool no_anonymous;                 /* conf create: MSW_CTL_CONF_F_NO_ANONYMOUS */
	bool one_message;                  /* conf create: MSW_CTL_CONF_F_ONE_MESSAGE */
	bool anonymous;
	uint8_t setup; /* enum msw_ctl_setup */
	bool connect_set;
	struct msw_ctl_addr connect; /* port host order, address network order */

	/* listings and counters */
	bool json;
	bool all;

	/* watch / ping / drain */
	uint32_t interval_ms;
	uint32_t count; /* watch: 0 = until interrupted */
	bool cancel;
};

/*
 * Parses argv[1..argc) into *out (argv[0] is the program name). Options may come before or
 * after the command words; "--" ends the options; --opt=value and --opt value are both
 * accepted. $MSW_INSTANCE is read when --instance is absent.
 * Returns MSWCTL_EXIT_OK, or MSWCTL_EXIT_USAGE with a one-line reason in err (errlen bytes,
 * NUL-terminated; no "mswctl: " prefix). out->verb tells which usage line applies, MSWCTL_NONE
 * when the command words themselves were wrong.
 */
int mswctl_parse(int argc, char **argv, struct mswctl_cmd *out, char *err, size_t errlen);

/* Writes the usage of one verb ("usage: mswctl conf create ..."), or of all (MSWCTL_NONE,
 * MSWCTL_HELP). */
void mswctl_usage(FILE *f, enum mswctl_verb verb);

/*
 * Runs a parsed command against the data plane of cmd->instance. Results go to out, errors to
 * err (one line each, "mswctl: <command>: <reason>"). Returns MSWCTL_EXIT_OK or
 * MSWCTL_EXIT_RUNTIME. watch returns early and cleanly on SIGINT/SIGTERM.
 */
int mswctl_run(const struct mswctl_cmd *cmd, FILE *out, FILE *err);

/* The command words of a verb ("conf create") into buf; returns buf. */
const char *mswctl_cmd_name(enum mswctl_verb verb, char *buf, size_t cap);

/* Full driver used by main(): parse, print usage errors, run. Returns the exit status. */
int mswctl_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * Helpers exposed for the unit test.
 * mswctl_session_id_from(): takes LOCAL_SESSION_ID or a whole local MSRP URI (the session-id
 * of its path part, RFC 4975 §9 "msrp://authority/session-id;transport") and checks it:
 * 1..48 of unreserved / "+" / "=" / "/". Returns the length written to sid (cap >= 48) or -1.
 */
int mswctl_session_id_from(const char *arg, char *sid, size_t cap);

/* Parses "A.B.C.D:PORT" or "[IPv6]:PORT" (port 1..65535). 0 or -1. */
int mswctl_addr_parse(const char *s, struct msw_ctl_addr *a);

/* Length of the well-formed UTF-8 sequence at p[0..n) (RFC 3629), or 0 if it is not one. */
size_t mswctl_utf8_seq(const uint8_t *p, size_t n);
