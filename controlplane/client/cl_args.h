/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_args: the command line of msw-client (docs/client.md). Pure parsing and validation, no
 * I/O beyond writing the usage text, so tests run every option without a network.
 *
 * Thread-safety: cl_args_parse() uses getopt_long() (global optind/optarg): call it from one
 * thread at a time. A parsed struct cl_opts is immutable afterwards and points into argv.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CL_ERR_CAP          256
#define CL_DEFAULT_TIMEOUT  30000u              /* ms: SIP answer, bind, acks, --expect */
#define CL_DEFAULT_CHUNK    2048u               /* bytes of body per SEND chunk */
#define CL_DEFAULT_MAX_SIZE (16u * 1024 * 1024) /* a=max-size we offer and enforce (413) */
#define CL_MAX_SEND_SIZE    (64u * 1024 * 1024) /* largest file --send-file reads */
#define CL_DOMAIN           "example.com"       /* host part of sip:USER@... by default */
#define CL_NAME_MAX         128                 /* display name, bytes */
#define CL_USER_MAX         200                 /* --user text, bytes */

/* What to send once the session is bound, in command-line order. */
enum cl_item_kind {
	CL_ITEM_TEXT = 0, /* --send TEXT */
	CL_ITEM_FILE,     /* --send-file PATH */
};

struct cl_item {
	enum cl_item_kind kind;
	const char *value; /* points into argv */
};

/* Parsed options. Strings point into argv; items is allocated (cl_opts_fini frees it). */
struct cl_opts {
	const char *config; /* --config FILE (NULL: built-in defaults) */
	const char *focus;  /* --focus IP[:PORT] overrides the config's SIP address */
	struct in_addr focus_ip;
	uint16_t focus_port; /* 0 = from the config */
	bool has_focus;
	struct in_addr local_ip; /* --local-ip */
	bool has_local_ip;
	bool create;       /* --create (also the default when --join is absent) */
	const char *join;  /* --join URI-or-ID */
	const char *call;  /* --call URI: a 1:1 session with a user, via the focus (S11-01) */
	bool listen;       /* --listen: wait for an INVITE from the focus and answer it */
	uint16_t sip_port; /* --sip-port: our SIP port (0 = any; required with --listen) */
	bool watch;        /* --watch: subscribe to the conference (RFC 4575) once joined */
	const char *name;  /* --name DISPLAY (NULL: no display name) */
	const char *user;  /* --user USER or sip:URI (NULL: $SUDO_USER/$USER) */
	struct cl_item *items;
	uint32_t n_items;
	const char *file_type; /* --file-type MIME for --send-file (NULL: from the extension) */
	const char *save_dir;  /* --save-dir DIR: received non-text bodies are written there */
	bool final_report;     /* --final-report */
	bool has_expect;
	uint32_t expect;     /* --expect N */
	uint32_t timeout_ms; /* --timeout S */
	bool has_timeout;    /* --timeout given (--listen waits for a call without it) */
	bool has_hold;
	uint32_t hold_ms; /* --hold S */
	bool json;        /* --json */
	bool tcp;         /* --tcp: SIP over TCP instead of UDP */
	uint32_t chunk_size;
	uint64_t max_size;
	int verbose; /* -v (repeatable) */
	bool help;
	bool version;
};

/*
 * Parses argv into *o (zeroed first, defaults applied). Returns 0, or -EINVAL with a
 * one-line reason in err ("--expect: 'x' is not a number"), or -ENOMEM.
 */
int cl_args_parse(int argc, char **argv, struct cl_opts *o, char *err, size_t errlen);

/* Frees what cl_args_parse() allocated; o may be zeroed or partially filled. */
void cl_opts_fini(struct cl_opts *o);

/* Writes the usage text. */
void cl_args_usage(FILE *f);

/*
 * A --join value as a SIP URI: "sip:..."/"sips:..." as given, "ID" -> "sip:ID@HOSTPORT",
 * "user@host" -> "sip:user@host". Returns the length, or -EINVAL (characters that cannot
 * be in a SIP URI: space, control, '<', '>', '"') / -ENOSPC.
 */
int cl_join_uri(const char *join, const char *hostport, char *out, size_t cap);

/*
 * A --call value as a SIP URI: "sip:..." as given, "user@host[:port]" -> "sip:user@host...".
 * A user part is required (the focus routes by Request-URI). Same returns.
 */
int cl_call_uri(const char *call, char *out, size_t cap);

/* The From URI for --user: "sip:USER@example.com", or the URI as given. Same returns. */
int cl_user_uri(const char *user, char *out, size_t cap);

/* Parses "IP[:PORT]" (IPv4). Returns 0 or -EINVAL. port stays 0 when absent. */
int cl_parse_hostport(const char *s, struct in_addr *ip, uint16_t *port);
