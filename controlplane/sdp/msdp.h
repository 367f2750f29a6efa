/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * msdp: the MSRP media line of SDP offers and answers (RFC 4975 §8, RFC 6135 a=setup,
 * RFC 6714 a=msrp-cema), parsed by a small line parser of our own (no allocation: sofia-sip's
 * sdp_parse() allocated 2 GB for a 140-byte body under the fuzzer) and built as text.
 *
 * Thread-safety: pure functions over caller-owned structs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum msdp_setup {
	MSDP_SETUP_NONE = 0, /* no a=setup: the offerer connects (RFC 4975 §8.5 / RFC 6135) */
	MSDP_SETUP_ACTIVE,
	MSDP_SETUP_PASSIVE,
	MSDP_SETUP_ACTPASS,
};

enum msdp_dir {
	MSDP_SENDRECV = 0,
	MSDP_SENDONLY,
	MSDP_RECVONLY,
	MSDP_INACTIVE,
};

#define MSDP_PATH_MAX  1024
#define MSDP_TYPES_MAX 512
#define MSDP_ADDR_MAX  64

/* The MSRP media of an offer (or answer). */
struct msdp_media {
	char path[MSDP_PATH_MAX];            /* a=path: SP-separated MSRP URIs */
	char accept_types[MSDP_TYPES_MAX];   /* a=accept-types */
	char accept_wrapped[MSDP_TYPES_MAX]; /* a=accept-wrapped-types ("" = none) */
	uint64_t max_size;                   /* a=max-size, 0 = none */
	enum msdp_setup setup;
	enum msdp_dir dir;
	bool cema;                /* a=msrp-cema (RFC 6714) */
	char addr[MSDP_ADDR_MAX]; /* c= address (media or session level) */
	uint16_t port;            /* m= port */
};

enum msdp_err {
	MSDP_OK = 0,
	MSDP_E_SYNTAX,   /* not SDP */
	MSDP_E_NO_MSRP,  /* no m=message ... TCP/MSRP line (488) */
	MSDP_E_TLS,      /* TCP/TLS/MSRP only: not offered by this switch (488) */
	MSDP_E_PATH,     /* a=path missing or empty (RFC 4975 §8.1: mandatory) */
	MSDP_E_TYPES,    /* a=accept-types missing (RFC 4975 §8.1: mandatory) */
	MSDP_E_TOO_LONG, /* an attribute exceeds its buffer */
};

/* Human text for an error (for Warning headers and logs). */
const char *msdp_strerror(enum msdp_err e);

/* Parses the first MSRP media line of sdp[0..len). */
enum msdp_err msdp_parse(const char *sdp, size_t len, struct msdp_media *out);

/* The answer's a=setup for an offer's (RFC 6135 §4.2): prefer_passive = the focus listens. */
enum msdp_setup msdp_answer_setup(enum msdp_setup offer, bool prefer_passive);
const char *msdp_setup_name(enum msdp_setup s);

/*
 * Writes an SDP answer/offer for one MSRP media line: o= session id and version (the
 * version goes up by one with every changed SDP of a session, RFC 3264 §8), our address
 * (c=, o=), m=message PORT TCP/MSRP *, a=accept-types, a=accept-wrapped-types (when set),
 * a=max-size (when set), a=path, a=setup (unless NONE), a=sendonly/recvonly/inactive (unless
 * sendrecv), a=msrp-cema (when set).
 * Returns the length written (NUL-terminated) or -1 if cap is too small.
 */
int msdp_build(const struct msdp_media *m, uint64_t sess_id, uint64_t version, char *out,
               size_t cap);
