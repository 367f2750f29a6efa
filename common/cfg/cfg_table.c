/* SPDX-License-Identifier: BSD-3-Clause */
/* The parameter tables, expanded from cfg_params.def, cfg_port_params.def and
 * cfg_group_params.def. */
#include <string.h>

#include "cfg/cfg_pvt.h"

/* Items of a default list; the leading "" only absorbs the comma when the list is empty. */
#define CFG_LIST(...) (((const char *const[]){"", ##__VA_ARGS__, NULL}) + 1)

#define CFG_WORD_STR(set, sym, word) word,

#define CFG_BOUNDS_NUM(lo, hi)         .min = (lo), .max = (hi)
#define CFG_BOUNDS_U32(lo, hi)         CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_U64(lo, hi)         CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_BOOL(lo, hi)        CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_STR(lo, hi)         CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_NAME(lo, hi)        CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_IPV4(lo, hi)        CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_IPV4_PREFIX(lo, hi) CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_MAC(lo, hi)         CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_PCI(lo, hi)         CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_CPUSET(lo, hi)      CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_STRLIST(lo, hi)     CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_PORTS(lo, hi)       CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_GROUPS(lo, hi)      CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_MEMBERS(lo, hi)     CFG_BOUNDS_NUM(lo, hi)
#define CFG_BOUNDS_ENUM(words_, hi)                                                                \
	.words = (const char *const[]){words_(CFG_WORD_STR) NULL}, .min = 0, .max = (hi)

#define CFG_DEF_U32(d)         .def_num = (d)
#define CFG_DEF_U64(d)         .def_num = (d)
#define CFG_DEF_BOOL(d)        .def_num = (d)
#define CFG_DEF_STR(d)         .def_str = (d)
#define CFG_DEF_NAME(d)        .def_str = (d)
#define CFG_DEF_IPV4(d)        .def_str = (d)
#define CFG_DEF_IPV4_PREFIX(d) .def_str = (d)
#define CFG_DEF_MAC(d)         .def_str = (d)
#define CFG_DEF_PCI(d)         .def_str = (d)
#define CFG_DEF_CPUSET(d)      .def_str = (d)
#define CFG_DEF_ENUM(d)        .def_str = (d)
#define CFG_DEF_STRLIST(d)     .def_list = (d)
#define CFG_DEF_PORTS(d)       .def_list = (d)
#define CFG_DEF_GROUPS(d)      .def_list = (d)
#define CFG_DEF_MEMBERS(d)     .def_list = (d)

#define CFG_ROW(base, key_, grp, m, path, T, lo, hi, def, unit_, doc_)                             \
	{                                                                                          \
	        .key = key_,                                                                       \
	        .group = grp,                                                                      \
	        .member = #m,                                                                      \
	        .type = CFG_T_##T,                                                                 \
	        .offset = offsetof(base, path),                                                    \
	        .size = sizeof(((base *)0)->path),                                                 \
	        CFG_BOUNDS_##T(lo, hi),                                                            \
	        CFG_DEF_##T(def),                                                                  \
	        .unit = unit_,                                                                     \
	        .doc = doc_,                                                                       \
	},

const struct cfg_param cfg_params[] = {
#define CFG_TOP(m, T, lo, hi, def, unit, doc)                                                      \
	CFG_ROW(struct msw_cfg, #m, NULL, m, m, T, lo, hi, def, unit, doc)
#define CFG_GROUP(g, doc)
#define CFG_PARAM(g, m, T, lo, hi, def, unit, doc)                                                 \
	CFG_ROW(struct msw_cfg, #g "." #m, #g, m, g.m, T, lo, hi, def, unit, doc)
#define CFG_GROUP_END(g)
#include "cfg/cfg_params.def"
#undef CFG_TOP
#undef CFG_GROUP
#undef CFG_PARAM
#undef CFG_GROUP_END
};
const size_t cfg_n_params = sizeof(cfg_params) / sizeof(cfg_params[0]);

const struct cfg_param cfg_port_params[] = {
#define CFG_PORT(m, T, lo, hi, def, unit, doc)                                                     \
	CFG_ROW(struct cfg_port, #m, NULL, m, m, T, lo, hi, def, unit, doc)
#include "cfg/cfg_port_params.def"
#undef CFG_PORT
};
const size_t cfg_n_port_params = sizeof(cfg_port_params) / sizeof(cfg_port_params[0]);

const struct cfg_param cfg_im_group_params[] = {
#define CFG_IM_GROUP(m, T, lo, hi, def, unit, doc)                                                 \
	CFG_ROW(struct cfg_im_group, #m, NULL, m, m, T, lo, hi, def, unit, doc)
#include "cfg/cfg_group_params.def"
#undef CFG_IM_GROUP
};
const size_t cfg_n_im_group_params = sizeof(cfg_im_group_params) / sizeof(cfg_im_group_params[0]);

const struct cfg_param cfg_im_member_params[] = {
#define CFG_IM_MEMBER(m, T, lo, hi, def, unit, doc)                                                \
	CFG_ROW(struct cfg_im_member, #m, NULL, m, m, T, lo, hi, def, unit, doc)
#include "cfg/cfg_group_params.def"
#undef CFG_IM_MEMBER
};
const size_t cfg_n_im_member_params =
        sizeof(cfg_im_member_params) / sizeof(cfg_im_member_params[0]);

const struct cfg_group cfg_groups[] = {
#define CFG_TOP(...)
#define CFG_GROUP(g, doc_) {.name = #g, .doc = doc_},
#define CFG_PARAM(...)
#define CFG_GROUP_END(g)
#include "cfg/cfg_params.def"
#undef CFG_TOP
#undef CFG_GROUP
#undef CFG_PARAM
#undef CFG_GROUP_END
};
const size_t cfg_n_groups = sizeof(cfg_groups) / sizeof(cfg_groups[0]);

_Static_assert(sizeof(cfg_params) / sizeof(cfg_params[0]) <= CFG_N_PARAMS_MAX,
               "raise CFG_N_PARAMS_MAX");

/* The loader tracks which port keys were given in a 32-bit mask. */
_Static_assert(sizeof(cfg_port_params) / sizeof(cfg_port_params[0]) <= 32,
               "port keys must fit the loader's seen mask");
_Static_assert(sizeof(cfg_im_group_params) / sizeof(cfg_im_group_params[0]) <= 32 &&
                       sizeof(cfg_im_member_params) / sizeof(cfg_im_member_params[0]) <= 32,
               "group and member keys must fit the loader's given[] arrays");

const struct cfg_param *
cfg_param_find(const char *key)
{
	for (size_t i = 0; i < cfg_n_params; i++)
		if (strcmp(cfg_params[i].key, key) == 0)
			return &cfg_params[i];
	return NULL;
}

const struct cfg_param *
cfg_row_find(const struct cfg_param *rows, size_t n_rows, const char *member)
{
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].member, member) == 0)
			return &rows[i];
	return NULL;
}

const struct cfg_param *
cfg_port_param_find(const char *member)
{
	return cfg_row_find(cfg_port_params, cfg_n_port_params, member);
}

const struct cfg_param *
cfg_im_group_param_find(const char *member)
{
	return cfg_row_find(cfg_im_group_params, cfg_n_im_group_params, member);
}

const struct cfg_param *
cfg_im_member_param_find(const char *member)
{
	return cfg_row_find(cfg_im_member_params, cfg_n_im_member_params, member);
}

int
cfg_port_key_driver(const struct cfg_param *p)
{
	/* Keys that identify the device for one driver only; the rest apply to every port. */
	if (p->offset == offsetof(struct cfg_port, pci))
		return CFG_PORT_DRIVER_PCI;
	if (p->offset == offsetof(struct cfg_port, iface))
		return CFG_PORT_DRIVER_TAP;
	if (p->offset == offsetof(struct cfg_port, memif_socket) ||
	    p->offset == offsetof(struct cfg_port, memif_role))
		return CFG_PORT_DRIVER_MEMIF;
	return -1;
}
