/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * msw-gen scenario: one file in the appliance's configuration syntax (libconfig, the syntax
 * of common/cfg), every key declared once in gen_params.def. Errors name the place as the
 * appliance's loader does: "FILE:LINE: KEY: reason".
 *
 * Thread-safety: a struct gen_scenario is immutable once gen_scenario_load() returns; the
 * engine's threads read it without locks.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_stamp.h"

#define GEN_SIZES_MAX 64  /* entries of size.values */
#define GEN_ERR_CAP   512 /* enough for any error gen_scenario_load() writes */

/* Word sets of the ENUM keys: W(SET, SYMBOL, "word"); the first word is value 0. */
#define GEN_WORDS_SETUP(W)                                                                         \
	W(SETUP, CTL, "ctl")                                                                       \
	W(SETUP, SIP, "sip")                                                                       \
	W(SETUP, RELAY, "relay")
#define GEN_WORDS_SIZE_DIST(W)                                                                     \
	W(SIZE_DIST, FIXED, "fixed")                                                               \
	W(SIZE_DIST, UNIFORM, "uniform")                                                           \
	W(SIZE_DIST, LIST, "list")
#define GEN_WORDS_ENGINE(W)                                                                        \
	W(ENGINE, KERNEL, "kernel")                                                                \
	W(ENGINE, DPDK, "dpdk")
#define GEN_WORDS_SIP_TRANSPORT(W)                                                                 \
	W(SIP_TRANSPORT, UDP, "udp")                                                               \
	W(SIP_TRANSPORT, TCP, "tcp")
#define GEN_WORDS_TRAFFIC(W)                                                                       \
	W(TRAFFIC, MESSAGES, "messages")                                                           \
	W(TRAFFIC, IDLE, "idle")
#define GEN_WORDS_CPIM(W)                                                                          \
	W(CPIM, WRAP, "wrap")                                                                      \
	W(CPIM, OFF, "off")

#define GEN_ENUM_SYM(set, sym, word) GEN_##set##_##sym,
enum gen_setup { GEN_WORDS_SETUP(GEN_ENUM_SYM) };
enum gen_size_dist { GEN_WORDS_SIZE_DIST(GEN_ENUM_SYM) };
enum gen_cpim { GEN_WORDS_CPIM(GEN_ENUM_SYM) };
enum gen_engine { GEN_WORDS_ENGINE(GEN_ENUM_SYM) };
enum gen_sip_transport { GEN_WORDS_SIP_TRANSPORT(GEN_ENUM_SYM) };
enum gen_traffic { GEN_WORDS_TRAFFIC(GEN_ENUM_SYM) };
#undef GEN_ENUM_SYM

/* An IPv4 address and port ("A.B.C.D:PORT"); set: given in the scenario. */
struct gen_hostport {
	struct in_addr addr;
	uint16_t port;
	bool set;
};

struct gen_u32list {
	uint32_t n;
	uint32_t v[GEN_SIZES_MAX];
};

#define GEN_FIELD_U32(m)      uint32_t m;
#define GEN_FIELD_ENUM(m)     uint32_t m;
#define GEN_FIELD_IPV4(m)     struct in_addr m;
#define GEN_FIELD_NAME(m)     char m[64];
#define GEN_FIELD_PATH(m)     char m[108];
#define GEN_FIELD_U32LIST(m)  struct gen_u32list m;
#define GEN_FIELD_HOSTPORT(m) struct gen_hostport m;

/* Thread-safety: immutable after gen_scenario_load(). */
struct gen_scenario {
#define GEN_PARAM(m, key, T, lo, hi, def, unit, doc) GEN_FIELD_##T(m)
#include "gen_params.def"
#undef GEN_PARAM
	bool local_address_set;
	bool dpdk_address_set;
	uint64_t weight_total; /* sum of size_weights (list distribution) */
	char source[256];      /* file it came from */
};

/*
 * Loads and validates a scenario. Returns 0, or -errno (-ENOENT/-EACCES: cannot read,
 * -EINVAL: invalid) with "FILE:LINE: KEY: reason" (or "FILE: reason") in err (GEN_ERR_CAP).
 */
int gen_scenario_load(const char *path, struct gen_scenario *out, char *err, size_t errsz);

/* The same for an in-memory text; name stands for FILE in errors. */
int gen_scenario_load_string(const char *text, const char *name, struct gen_scenario *out,
                             char *err, size_t errsz);

/* Key of the i-th row of gen_params.def ("size.dist"), NULL past the last (docs check). */
const char *gen_scenario_key(size_t i);

/* Body size of the next message, drawn with the caller's xorshift state *rng (non-zero). */
uint32_t gen_scenario_draw_size(const struct gen_scenario *s, uint64_t *rng);

/* Largest body size the scenario can draw. */
uint32_t gen_scenario_max_size(const struct gen_scenario *s);

/* xorshift64* step: a cheap, reproducible generator for the draws (not for ids). */
static inline uint64_t
gen_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* True with probability pct/100. */
static inline bool
gen_rng_pct(uint64_t *s, uint32_t pct)
{
	return pct >= 100 || (pct > 0 && gen_rng_next(s) % 100u < pct);
}
