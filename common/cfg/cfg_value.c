/* SPDX-License-Identifier: BSD-3-Clause */
/* Text codecs of the parameter types: parse (defaults, string settings) and format. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/cfg_pvt.h"

const char *
cfg_type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_T_U32:
	case CFG_T_U64:
		return "integer";
	case CFG_T_BOOL:
		return "boolean";
	case CFG_T_STR:
		return "string";
	case CFG_T_NAME:
		return "name";
	case CFG_T_IPV4:
		return "IPv4 address";
	case CFG_T_IPV4_PREFIX:
		return "IPv4 prefix";
	case CFG_T_MAC:
		return "MAC address";
	case CFG_T_PCI:
		return "PCI address";
	case CFG_T_CPUSET:
		return "CPU list";
	case CFG_T_ENUM:
		return "enum";
	case CFG_T_STRLIST:
		return "string list";
	case CFG_T_PORTS:
		return "list of port groups";
	case CFG_T_GROUPS:
		return "list of IM groups";
	case CFG_T_MEMBERS:
		return "list of members";
	}
	return "?";
}

int
cfg_value_check_range(const struct cfg_param *p, long long v, char *why, size_t whysz)
{
	if (v < 0 || (uint64_t)v < p->min || (uint64_t)v > p->max) {
		snprintf(why, whysz, "%lld is out of range %" PRIu64 "..%" PRIu64, v, p->min,
		         p->max);
		return -EINVAL;
	}
	return 0;
}

static int
cfg_parse_uint(const struct cfg_param *p, const char *text, void *field, char *why, size_t whysz)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!isdigit((unsigned char)text[0])) {
		snprintf(why, whysz, "\"%s\" is not an unsigned integer", text);
		return -EINVAL;
	}
	v = strtoull(text, &end, 0);
	if (*end != '\0' || errno == ERANGE) {
		snprintf(why, whysz, "\"%s\" is not an unsigned integer", text);
		return -EINVAL;
	}
	if (v < p->min || v > p->max) {
		snprintf(why, whysz, "%llu is out of range %" PRIu64 "..%" PRIu64, v, p->min,
		         p->max);
		return -EINVAL;
	}
	if (p->type == CFG_T_U32)
		*(uint32_t *)field = (uint32_t)v;
	else
		*(uint64_t *)field = v;
	return 0;
}

static int
cfg_parse_string(const struct cfg_param *p, const char *text, void *field, char *why, size_t whysz)
{
	size_t len = strlen(text);

	if (len < p->min) {
		if (p->min == 1)
			snprintf(why, whysz, "must not be empty");
		else
			snprintf(why, whysz, "%zu bytes, at least %" PRIu64 " needed", len, p->min);
		return -EINVAL;
	}
	if (len > p->max) {
		snprintf(why, whysz, "%zu bytes long, at most %" PRIu64 " allowed", len, p->max);
		return -EINVAL;
	}
	if (p->type == CFG_T_NAME) {
		/* Names become file names (shm, netns) and interface names. */
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)text[i];

			if (!isalnum(c) && c != '_' && c != '-' && c != '.') {
				snprintf(why, whysz,
				         "invalid character '%c' in \"%s\" (allowed: letters, "
				         "digits, '_', '-', '.')",
				         isprint(c) ? c : '?', text);
				return -EINVAL;
			}
		}
		if (text[0] == '.' || text[0] == '-') {
			snprintf(why, whysz, "\"%s\" must not start with '%c'", text, text[0]);
			return -EINVAL;
		}
	}
	memcpy(field, text, len + 1);
	return 0;
}

static int
cfg_parse_ipv4(const char *text, struct in_addr *out, char *why, size_t whysz)
{
	if (inet_pton(AF_INET, text, out) != 1) {
		snprintf(why, whysz, "\"%s\" is not an IPv4 address (A.B.C.D)", text);
		return -EINVAL;
	}
	return 0;
}

static int
cfg_parse_prefix(const struct cfg_param *p, const char *text, struct cfg_ipv4_prefix *out,
                 char *why, size_t whysz)
{
	const char *slash = strchr(text, '/');
	char addr[INET_ADDRSTRLEN];
	char *end;
	unsigned long len;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr) || slash[1] == '\0' ||
	    !isdigit((unsigned char)slash[1])) {
		snprintf(why, whysz, "\"%s\" is not an IPv4 prefix (A.B.C.D/NN)", text);
		return -EINVAL;
	}
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET, addr, &out->addr) != 1) {
		snprintf(why, whysz, "\"%s\" is not an IPv4 prefix (A.B.C.D/NN)", text);
		return -EINVAL;
	}
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || end - (slash + 1) > 2 || len < p->min || len > p->max) {
		snprintf(why, whysz, "prefix length in \"%s\" must be %" PRIu64 "..%" PRIu64, text,
		         p->min, p->max);
		return -EINVAL;
	}
	out->len = (uint8_t)len;
	return 0;
}

static int
cfg_parse_mac(const char *text, struct cfg_mac *out, char *why, size_t whysz)
{
	unsigned int b[6];
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (text[0] == '\0')
		return 0;
	if (strlen(text) != 17 ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	           &n) != 6 ||
	    n != 17) {
		snprintf(why, whysz, "\"%s\" is not a MAC address (XX:XX:XX:XX:XX:XX)", text);
		return -EINVAL;
	}
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? text[i] != ':' : !isxdigit((unsigned char)text[i])) {
			snprintf(why, whysz, "\"%s\" is not a MAC address (XX:XX:XX:XX:XX:XX)",
			         text);
			return -EINVAL;
		}
	}
	/* IEEE 802: bit 0 of the first octet marks group (multicast) addresses. */
	if (b[0] & 1) {
		snprintf(why, whysz, "\"%s\" is a multicast address, a port needs a unicast one",
		         text);
		return -EINVAL;
	}
	if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0) {
		snprintf(why, whysz, "\"%s\" is the all-zero address", text);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		out->bytes[i] = (uint8_t)b[i];
	out->set = true;
	return 0;
}

/* Reads max_digits hex digits (1..max_digits when !exact) followed by stop. */
static bool
cfg_hex_field(const char **pp, size_t max_digits, bool exact, char stop, unsigned int *out)
{
	const char *p = *pp;
	size_t n = 0;

	*out = 0;
	while (isxdigit((unsigned char)p[n]) && n < max_digits) {
		unsigned char c = (unsigned char)p[n];

		*out = *out * 16 + (unsigned int)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		n++;
	}
	if (n == 0 || (exact && n != max_digits) || p[n] != stop)
		return false;
	*pp = p + n + (stop != '\0');
	return true;
}

static int
cfg_parse_pci(const char *text, char *field, char *why, size_t whysz)
{
	unsigned int domain = 0, bus, dev, fn;
	const char *p = text;
	const char *colon2;

	if (text[0] == '\0') {
		field[0] = '\0';
		return 0;
	}
	/* DDDD:BB:DD.F or BB:DD.F, the forms DPDK's -a option and lspci -D print. */
	colon2 = strchr(text, ':') != NULL ? strchr(strchr(text, ':') + 1, ':') : NULL;
	if ((colon2 != NULL && !cfg_hex_field(&p, 4, true, ':', &domain)) ||
	    !cfg_hex_field(&p, 2, true, ':', &bus) || !cfg_hex_field(&p, 2, true, '.', &dev) ||
	    !cfg_hex_field(&p, 1, true, '\0', &fn)) {
		snprintf(why, whysz, "\"%s\" is not a PCI address (DDDD:BB:DD.F)", text);
		return -EINVAL;
	}
	if (dev > 0x1f || fn > 7) {
		snprintf(why, whysz, "\"%s\": PCI device must be 00..1f and function 0..7", text);
		return -EINVAL;
	}
	snprintf(field, CFG_PCI_CAP, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
	return 0;
}

/* Walks "0-3,6": calls back per range; returns 0 or -EINVAL with why. */
static int
cfg_cpuset_walk(const char *text, uint64_t max_cpu, uint32_t *count, char *why, size_t whysz)
{
	uint8_t seen[(1024 + 7) / 8] = {0};
	const char *p = text;

	*count = 0;
	if (strlen(text) >= CFG_CPUSET_CAP) {
		snprintf(why, whysz, "CPU list longer than %d characters", CFG_CPUSET_CAP - 1);
		return -EINVAL;
	}
	if (max_cpu > 1023)
		max_cpu = 1023;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (lo > hi) {
			snprintf(why, whysz, "range %lu-%lu in \"%s\" is backwards", lo, hi, text);
			return -EINVAL;
		}
		if (hi > max_cpu) {
			snprintf(why, whysz, "CPU %lu in \"%s\" is above %" PRIu64, hi, text,
			         max_cpu);
			return -EINVAL;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if (seen[c / 8] & (1u << (c % 8))) {
				snprintf(why, whysz, "CPU %lu appears twice in \"%s\"", c, text);
				return -EINVAL;
			}
			seen[c / 8] |= (uint8_t)(1u << (c % 8));
			(*count)++;
		}
		if (*p == '\0')
			return 0;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	snprintf(why, whysz, "\"%s\" is not a CPU list (e.g. \"0-3,6\")", text);
	return -EINVAL;
}

uint32_t
cfg_cpuset_count(const char *cpuset)
{
	char why[128];
	uint32_t n;

	return cfg_cpuset_walk(cpuset, 1023, &n, why, sizeof(why)) == 0 ? n : 0;
}

static int
cfg_parse_enum(const struct cfg_param *p, const char *text, uint32_t *out, char *why, size_t whysz)
{
	size_t off;

	for (uint32_t i = 0; p->words[i] != NULL; i++) {
		if (strcasecmp(text, p->words[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	off = (size_t)snprintf(why, whysz, "\"%s\" is not one of", text);
	for (uint32_t i = 0; p->words[i] != NULL && off < whysz; i++)
		off += (size_t)snprintf(why + off, whysz - off, "%s %s", i == 0 ? "" : ",",
		                        p->words[i]);
	return -EINVAL;
}

int
cfg_value_parse(const struct cfg_param *p, const char *text, void *field, char *why, size_t whysz)
{
	uint32_t n;

	switch (p->type) {
	case CFG_T_U32:
	case CFG_T_U64:
		return cfg_parse_uint(p, text, field, why, whysz);
	case CFG_T_BOOL:
		if (strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0) {
			*(bool *)field = strcasecmp(text, "true") == 0;
			return 0;
		}
		snprintf(why, whysz, "\"%s\" is not true or false", text);
		return -EINVAL;
	case CFG_T_STR:
	case CFG_T_NAME:
		return cfg_parse_string(p, text, field, why, whysz);
	case CFG_T_IPV4:
		return cfg_parse_ipv4(text, field, why, whysz);
	case CFG_T_IPV4_PREFIX:
		return cfg_parse_prefix(p, text, field, why, whysz);
	case CFG_T_MAC:
		return cfg_parse_mac(text, field, why, whysz);
	case CFG_T_PCI:
		return cfg_parse_pci(text, field, why, whysz);
	case CFG_T_CPUSET:
		if (cfg_cpuset_walk(text, p->max, &n, why, whysz) < 0)
			return -EINVAL;
		memcpy(field, text, strlen(text) + 1);
		return 0;
	case CFG_T_ENUM:
		return cfg_parse_enum(p, text, field, why, whysz);
	case CFG_T_STRLIST:
	case CFG_T_PORTS:
	case CFG_T_GROUPS:
	case CFG_T_MEMBERS:
		break;
	}
	snprintf(why, whysz, "a %s has no single-text form", cfg_type_name(p->type));
	return -EINVAL;
}

size_t
cfg_value_format(const struct cfg_param *p, const void *field, char *buf, size_t cap)
{
	const struct cfg_ipv4_prefix *pfx;
	const struct cfg_mac *mac;
	char addr[INET_ADDRSTRLEN];
	int n = 0;

	switch (p->type) {
	case CFG_T_U32:
		n = snprintf(buf, cap, "%" PRIu32, *(const uint32_t *)field);
		break;
	case CFG_T_U64:
		n = snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)field);
		break;
	case CFG_T_BOOL:
		n = snprintf(buf, cap, "%s", *(const bool *)field ? "true" : "false");
		break;
	case CFG_T_STR:
	case CFG_T_NAME:
	case CFG_T_PCI:
	case CFG_T_CPUSET:
		n = snprintf(buf, cap, "%s", (const char *)field);
		break;
	case CFG_T_IPV4:
		inet_ntop(AF_INET, field, addr, sizeof(addr));
		n = snprintf(buf, cap, "%s", addr);
		break;
	case CFG_T_IPV4_PREFIX:
		pfx = field;
		inet_ntop(AF_INET, &pfx->addr, addr, sizeof(addr));
		n = snprintf(buf, cap, "%s/%u", addr, pfx->len);
		break;
	case CFG_T_MAC:
		mac = field;
		if (mac->set)
			n = snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", mac->bytes[0],
			             mac->bytes[1], mac->bytes[2], mac->bytes[3], mac->bytes[4],
			             mac->bytes[5]);
		else if (cap > 0)
			buf[0] = '\0';
		break;
	case CFG_T_ENUM:
		n = snprintf(buf, cap, "%s", p->words[*(const uint32_t *)field]);
		break;
	case CFG_T_STRLIST:
	case CFG_T_PORTS:
	case CFG_T_GROUPS:
	case CFG_T_MEMBERS:
		if (cap > 0)
			buf[0] = '\0';
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : (cap > 0 ? cap - 1 : 0);
}

int
cfg_strlist_set(struct cfg_strlist *dst, const char *const *items, uint32_t n)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));

	dst->n = 0;
	dst->v = NULL;
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		v[i] = strdup(items[i]);
		if (v[i] == NULL) {
			for (uint32_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	}
	dst->n = n;
	dst->v = v;
	return 0;
}

void
cfg_strlist_free(struct cfg_strlist *l)
{
	if (l->v != NULL)
		for (uint32_t i = 0; i < l->n; i++)
			free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
cfg_im_groups_free(struct cfg_im_groups *l)
{
	if (l->v != NULL)
		for (uint32_t i = 0; i < l->n; i++)
			free(l->v[i].members.v);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
cfg_strlists_free(struct msw_cfg *cfg)
{
	for (size_t i = 0; i < cfg_n_params; i++) {
		if (cfg_params[i].type == CFG_T_STRLIST)
			cfg_strlist_free(cfg_field(cfg, &cfg_params[i]));
		else if (cfg_params[i].type == CFG_T_GROUPS)
			cfg_im_groups_free(cfg_field(cfg, &cfg_params[i]));
	}
}

int
cfg_param_set_default(const struct cfg_param *p, void *field, char *why, size_t whysz)
{
	uint32_t n = 0;

	switch (p->type) {
	case CFG_T_U32:
		*(uint32_t *)field = (uint32_t)p->def_num;
		return 0;
	case CFG_T_U64:
		*(uint64_t *)field = p->def_num;
		return 0;
	case CFG_T_BOOL:
		*(bool *)field = p->def_num != 0;
		return 0;
	case CFG_T_STRLIST:
		while (p->def_list[n] != NULL)
			n++;
		return cfg_strlist_set(field, p->def_list, n);
	case CFG_T_PORTS:
		snprintf(why, whysz, "port lists have no single default value");
		return -EINVAL;
	case CFG_T_GROUPS:
	case CFG_T_MEMBERS:
		/* Only the empty list is a valid default: groups name real users. */
		if (p->def_list[0] != NULL) {
			snprintf(why, whysz, "%s can only default to an empty list", p->key);
			return -EINVAL;
		}
		memset(field, 0, p->size);
		return 0;
	default:
		if (p->def_str == NULL) { /* required key: stays empty until given */
			memset(field, 0, p->size);
			return 0;
		}
		return cfg_value_parse(p, p->def_str, field, why, whysz);
	}
}

void
cfg_port_set_defaults(struct cfg_port *port)
{
	char why[256];

	memset(port, 0, sizeof(*port));
	/* Port rows are scalars whose defaults the unit tests check; this cannot fail. */
	for (size_t i = 0; i < cfg_n_port_params; i++)
		(void)cfg_param_set_default(&cfg_port_params[i],
		                            cfg_field(port, &cfg_port_params[i]), why, sizeof(why));
}

void
cfg_im_member_set_defaults(struct cfg_im_member *m)
{
	char why[256];

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < cfg_n_im_member_params; i++)
		(void)cfg_param_set_default(&cfg_im_member_params[i],
		                            cfg_field(m, &cfg_im_member_params[i]), why,
		                            sizeof(why));
}

void
cfg_im_group_set_defaults(struct cfg_im_group *g)
{
	char why[256];

	memset(g, 0, sizeof(*g));
	/* Scalars and an empty members list; the unit tests check these defaults parse. */
	for (size_t i = 0; i < cfg_n_im_group_params; i++)
		(void)cfg_param_set_default(&cfg_im_group_params[i],
		                            cfg_field(g, &cfg_im_group_params[i]), why,
		                            sizeof(why));
}

bool
cfg_uri_same(const char *a, const char *b)
{
	const char *ca = strchr(a, ':'), *cb = strchr(b, ':');

	if (ca == NULL || cb == NULL)
		return strcmp(a, b) == 0;
	return ca - a == cb - b && strncasecmp(a, b, (size_t)(ca - a)) == 0 && strcmp(ca, cb) == 0;
}

const struct cfg_im_group *
cfg_im_group_find(const struct msw_cfg *cfg, const char *name)
{
	const struct cfg_im_groups *l = &cfg->controlplane.groups;

	for (uint32_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

const struct cfg_im_member *
cfg_im_member_find(const struct cfg_im_group *g, const char *uri)
{
	for (uint32_t i = 0; i < g->members.n; i++)
		if (cfg_uri_same(g->members.v[i].uri, uri))
			return &g->members.v[i];
	return NULL;
}
