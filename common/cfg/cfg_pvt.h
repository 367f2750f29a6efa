/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/* Internals of common/cfg shared by its .c files: the parameter tables and value codecs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"

enum cfg_type {
	CFG_T_U32,
	CFG_T_U64,
	CFG_T_BOOL,
	CFG_T_STR,
	CFG_T_NAME,
	CFG_T_IPV4,
	CFG_T_IPV4_PREFIX,
	CFG_T_MAC,
	CFG_T_PCI,
	CFG_T_CPUSET,
	CFG_T_ENUM,
	CFG_T_STRLIST,
	CFG_T_PORTS,
	CFG_T_GROUPS,  /* controlplane.groups: list of struct cfg_im_group */
	CFG_T_MEMBERS, /* a group's members: list of struct cfg_im_member */
};

/* One row of cfg_params.def, cfg_port_params.def or cfg_group_params.def. Immutable. */
struct cfg_param {
	const char *key;    /* "group.member", "member" at top level or in a port */
	const char *group;  /* NULL at top level and in a port */
	const char *member; /* libconfig setting name */
	enum cfg_type type;
	size_t offset; /* of the field in struct msw_cfg or struct cfg_port */
	size_t size;   /* of the field */
	uint64_t min, max;
	const char *const *words;    /* ENUM: NULL-terminated word set */
	uint64_t def_num;            /* U32, U64, BOOL */
	const char *def_str;         /* string-like types; NULL = required */
	const char *const *def_list; /* STRLIST, PORTS: NULL-terminated */
	const char *unit;
	const char *doc;
};

/* Upper bound on rows of cfg_params.def (the loader keeps one slot per row). */
#define CFG_N_PARAMS_MAX 128

/* A key the file must give: a string-like row whose default is NULL. */
static inline bool
cfg_param_required(const struct cfg_param *p)
{
	return p->def_str == NULL && p->type != CFG_T_U32 && p->type != CFG_T_U64 &&
	       p->type != CFG_T_BOOL && p->type != CFG_T_STRLIST && p->type != CFG_T_PORTS &&
	       p->type != CFG_T_GROUPS && p->type != CFG_T_MEMBERS;
}

struct cfg_group {
	const char *name;
	const char *doc;
};

extern const struct cfg_param cfg_params[];
extern const size_t cfg_n_params;
extern const struct cfg_param cfg_port_params[];
extern const size_t cfg_n_port_params;
extern const struct cfg_param cfg_im_group_params[];
extern const size_t cfg_n_im_group_params;
extern const struct cfg_param cfg_im_member_params[];
extern const size_t cfg_n_im_member_params;
extern const struct cfg_group cfg_groups[];
extern const size_t cfg_n_groups;

/* Row whose key is key (top-level table only), or NULL. */
const struct cfg_param *cfg_param_find(const char *key);

/* Row of rows[0..n_rows) whose member is member, or NULL (port, group, member tables). */
const struct cfg_param *cfg_row_find(const struct cfg_param *rows, size_t n_rows,
                                     const char *member);

/* Row of the port table whose member is member, or NULL. */
const struct cfg_param *cfg_port_param_find(const char *member);

/* Row of the group (member) table whose member is member, or NULL. */
const struct cfg_param *cfg_im_group_param_find(const char *member);
const struct cfg_param *cfg_im_member_param_find(const char *member);

/*
 * The only driver a port key is allowed with (pci, iface, memif_*), or -1 for keys every
 * driver takes. p must be a row of cfg_port_params.
 */
int cfg_port_key_driver(const struct cfg_param *p);

static inline void *
cfg_field(void *base, const struct cfg_param *p)
{
	return (char *)base + p->offset;
}

static inline const void *
cfg_field_const(const void *base, const struct cfg_param *p)
{
	return (const char *)base + p->offset;
}

/* Type word shown in docs and errors ("integer", "IPv4 prefix"). */
const char *cfg_type_name(enum cfg_type t);

/*
 * Parses text as a value of p into field (any scalar type, including U32/U64/BOOL written
 * as text). Returns 0, or -EINVAL with the reason in why (no key, no position).
 */
int cfg_value_parse(const struct cfg_param *p, const char *text, void *field, char *why,
                    size_t whysz);

/* Checks an integer against p's range; -EINVAL with the reason in why. */
int cfg_value_check_range(const struct cfg_param *p, long long v, char *why, size_t whysz);

/* Formats a scalar field as plain text (the --get form). Returns the length. */
size_t cfg_value_format(const struct cfg_param *p, const void *field, char *buf, size_t cap);

/* Number of CPUs in a CPUSET string that cfg_value_parse() accepted. */
uint32_t cfg_cpuset_count(const char *cpuset);

/*
 * Sets field to p's default (STRLIST: allocates a copy). Not for PORTS. Returns 0, -ENOMEM,
 * or -EINVAL with why for a default that does not parse (a bug caught by the unit tests).
 */
int cfg_param_set_default(const struct cfg_param *p, void *field, char *why, size_t whysz);

/* Fills every field of a port with its default (required keys stay empty). */
void cfg_port_set_defaults(struct cfg_port *port);

/* Fills every field of a group (member) with its default (required keys stay empty). */
void cfg_im_group_set_defaults(struct cfg_im_group *g);
void cfg_im_member_set_defaults(struct cfg_im_member *m);

/* Same URI text, the scheme compared without case (RFC 3986 section 3.1). */
bool cfg_uri_same(const char *a, const char *b);

/* Frees the groups with their members and empties the list. */
void cfg_im_groups_free(struct cfg_im_groups *l);

/* Frees the items and empties the list. */
void cfg_strlist_free(struct cfg_strlist *l);

/* Frees what the STRLIST and GROUPS fields of cfg own (not cfg itself). */
void cfg_strlists_free(struct msw_cfg *cfg);

/* Sets dst to a copy of the NULL-terminated items; -ENOMEM leaves dst empty. */
int cfg_strlist_set(struct cfg_strlist *dst, const char *const *items, uint32_t n);
