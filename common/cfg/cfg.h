/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Configuration of every msw program: one libconfig file (docs/config.md), every parameter
 * declared once in cfg_params.def / cfg_port_params.def / cfg_group_params.def.
 *
 * Thread-safety: a struct msw_cfg is an immutable snapshot once cfg_load() returns it:
 * any thread may read it without locks. Reload (SIGHUP) builds a new snapshot and swaps a
 * pointer under RCU; the old one is freed with cfg_free() after a grace period.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_PORTS_MAX        16
#define CFG_IM_GROUPS_MAX    256  /* entries of controlplane.groups */
#define CFG_IM_MEMBERS_MAX   256  /* members of one group */
#define CFG_PCI_CAP          16   /* "DDDD:BB:DD.F" + NUL, rounded up */
#define CFG_CPUSET_CAP       128  /* "0-3,8-11" style lists */
#define CFG_STRLIST_ITEM_MAX 1023 /* longest item of a STRLIST, bytes */
#define CFG_ERR_CAP          512  /* enough for any error string cfg_load() writes */

/* Address with prefix length; addr in network byte order, host bits kept as written. */
struct cfg_ipv4_prefix {
	struct in_addr addr;
	uint8_t len;
};

struct cfg_mac {
	uint8_t bytes[6];
	bool set; /* false: not configured */
};

/* NULL-terminated, so v can be handed to argv-style APIs (rte_eal_init). */
struct cfg_strlist {
	uint32_t n;
	char **v;
};

/* Pull in the word sets (CFG_WORDS_*) without expanding any row. */
#define CFG_TOP(...)
#define CFG_GROUP(...)
#define CFG_GROUP_END(...)
#define CFG_PARAM(...)
#include "cfg/cfg_params.def"
#undef CFG_TOP
#undef CFG_GROUP
#undef CFG_GROUP_END
#undef CFG_PARAM

#define CFG_ENUM_SYM(set, sym, word) CFG_##set##_##sym,
enum cfg_log_level { CFG_WORDS_LOG_LEVEL(CFG_ENUM_SYM) };
enum cfg_hugepages { CFG_WORDS_HUGEPAGES(CFG_ENUM_SYM) };
enum cfg_port_driver { CFG_WORDS_PORT_DRIVER(CFG_ENUM_SYM) };
enum cfg_memif_role { CFG_WORDS_MEMIF_ROLE(CFG_ENUM_SYM) };
enum cfg_slow_policy { CFG_WORDS_SLOW_POLICY(CFG_ENUM_SYM) };
enum cfg_dp_restart { CFG_WORDS_DP_RESTART(CFG_ENUM_SYM) };
#undef CFG_ENUM_SYM

/* C type of a field, by TYPE column. */
#define CFG_FIELD_U32(m, lo, hi)         uint32_t m;
#define CFG_FIELD_U64(m, lo, hi)         uint64_t m;
#define CFG_FIELD_BOOL(m, lo, hi)        bool m;
#define CFG_FIELD_STR(m, lo, hi)         char m[(hi) + 1];
#define CFG_FIELD_NAME(m, lo, hi)        char m[(hi) + 1];
#define CFG_FIELD_IPV4(m, lo, hi)        struct in_addr m;
#define CFG_FIELD_IPV4_PREFIX(m, lo, hi) struct cfg_ipv4_prefix m;
#define CFG_FIELD_MAC(m, lo, hi)         struct cfg_mac m;
#define CFG_FIELD_PCI(m, lo, hi)         char m[CFG_PCI_CAP];
#define CFG_FIELD_CPUSET(m, lo, hi)      char m[CFG_CPUSET_CAP];
#define CFG_FIELD_ENUM(m, lo, hi)        uint32_t m;
#define CFG_FIELD_STRLIST(m, lo, hi)     struct cfg_strlist m;
#define CFG_FIELD_PORTS(m, lo, hi)       struct cfg_ports m;
#define CFG_FIELD_GROUPS(m, lo, hi)      struct cfg_im_groups m;
#define CFG_FIELD_MEMBERS(m, lo, hi)     struct cfg_im_members m;

/* One entry of dataplane.ports (cfg_port_params.def). Immutable like struct msw_cfg. */
struct cfg_port {
#define CFG_PORT(m, T, lo, hi, def, unit, doc) CFG_FIELD_##T(m, lo, hi)
#include "cfg/cfg_port_params.def"
#undef CFG_PORT
	uint32_t line; /* where the entry starts in its file, for later run-time errors */
};

struct cfg_ports {
	uint32_t n;
	struct cfg_port v[CFG_PORTS_MAX];
};

/* One member of a pre-defined group (cfg_group_params.def). Immutable like struct msw_cfg. */
struct cfg_im_member {
#define CFG_IM_MEMBER(m, T, lo, hi, def, unit, doc) CFG_FIELD_##T(m, lo, hi)
#include "cfg/cfg_group_params.def"
#undef CFG_IM_MEMBER
	uint32_t line; /* where the entry starts in its file */
};

/* Heap arrays (a full store is 256 groups of 256 members): freed by cfg_free(). */
struct cfg_im_members {
	uint32_t n;
	struct cfg_im_member *v;
};

/*
 * One pre-defined group of controlplane.groups (OMA SIMPLE IM group store, requirements
 * PDG-*): its Group Identity is sip:NAME@<focus host>. max_participants is always set (the
 * loader copies controlplane.max_participants into groups that do not give it). Immutable
 * like struct msw_cfg.
 */
struct cfg_im_group {
#define CFG_IM_GROUP(m, T, lo, hi, def, unit, doc) CFG_FIELD_##T(m, lo, hi)
#include "cfg/cfg_group_params.def"
#undef CFG_IM_GROUP
	uint32_t line; /* where the entry starts in its file */
};

struct cfg_im_groups {
	uint32_t n;
	struct cfg_im_group *v;
};

/* Thread-safety: immutable after cfg_load() (see the top of this file). */
/* clang-format off */
struct msw_cfg {
/* Each CFG_GROUP becomes a member of anonymous struct type named after the group. */
#define CFG_TOP(m, T, lo, hi, def, unit, doc)      CFG_FIELD_##T(m, lo, hi)
#define CFG_GROUP(g, doc)                          struct {
#define CFG_PARAM(g, m, T, lo, hi, def, unit, doc) CFG_FIELD_##T(m, lo, hi)
#define CFG_GROUP_END(g)                           } g;
#include "cfg/cfg_params.def"
#undef CFG_TOP
#undef CFG_GROUP
#undef CFG_PARAM
#undef CFG_GROUP_END
	char *source; /* file it was loaded from, "(defaults)" for cfg_create_default() */
};
/* clang-format on */

/*
 * Loads and validates path. Keys not given take their defaults; an empty file is valid.
 * On success returns 0 and stores a new snapshot in *out (free with cfg_free()). On failure
 * returns -errno (-ENOENT, -EACCES: cannot read; -EINVAL: invalid; -ENOMEM) and writes
 * "FILE:LINE: KEY: reason" (or "FILE: reason" when there is no line) into err, which
 * should hold CFG_ERR_CAP bytes. @include names resolve against path's directory.
 */
int cfg_load(const char *path, struct msw_cfg **out, char *err, size_t errsz);

/* Same as cfg_load() for an in-memory text; name stands for FILE in errors. */
int cfg_load_string(const char *text, const char *name, struct msw_cfg **out, char *err,
                    size_t errsz);

/* A snapshot holding every default, or NULL with errno = ENOMEM. */
struct msw_cfg *cfg_create_default(void);

/* Frees a snapshot; NULL is allowed. */
void cfg_free(struct msw_cfg *cfg);

/*
 * Prints the effective value of key on out, as msw-config --get does: scalars as text,
 * STRLIST one item per line, "dataplane.ports" one port name per line, a port's key as
 * "dataplane.ports[N].KEY" or "dataplane.ports.NAME.KEY". Groups alike: "controlplane.groups"
 * one group name per line, "controlplane.groups[N].KEY" or "controlplane.groups.NAME.KEY",
 * where KEY "members" prints one member URI per line and "members[M].KEY" one member's key.
 * Returns 0 or -ENOENT with the reason in err.
 */
int cfg_get(const struct msw_cfg *cfg, const char *key, FILE *out, char *err, size_t errsz);

/*
 * The group of controlplane.groups whose name (the user part of its Group Identity) is
 * name, compared exactly (SIP user parts are case-sensitive, RFC 3261 section 19.1.4), or
 * NULL.
 */
const struct cfg_im_group *cfg_im_group_find(const struct msw_cfg *cfg, const char *name);

/*
 * The member of g whose uri equals uri, the scheme compared without case (RFC 3986 section
 * 3.1) and the rest exactly, or NULL. Does not parse or normalise URIs further.
 */
const struct cfg_im_member *cfg_im_member_find(const struct cfg_im_group *g, const char *uri);

/* Writes every effective value in libconfig syntax; cfg_load() of it gives the same. */
void cfg_dump(const struct msw_cfg *cfg, FILE *out);

/* Writes docs/config.md: one markdown table per group, from the parameter tables. */
void cfg_docs(FILE *out);

/*
 * Applies log.level, log.types and log.timestamps to common/log. Returns 0 or -EINVAL
 * (only for a snapshot that did not come from cfg_load()).
 */
int cfg_log_apply(const struct msw_cfg *cfg, char *err, size_t errsz);
