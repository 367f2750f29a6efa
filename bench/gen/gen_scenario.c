/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario loader: libconfig parses the syntax (the appliance's configuration syntax, see
 * common/cfg), then one walk checks every setting against the table built from
 * gen_params.def, so each error names the file and line libconfig recorded for the setting
 * ("FILE:LINE: KEY: reason", house style 20). Cross-key rules come last and name the line
 * of the key that breaks them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "cfg/cfg_libconfig.h"
#include "gen_scenario.h"

enum gen_type {
	GEN_T_U32,
	GEN_T_ENUM,
	GEN_T_IPV4,
	GEN_T_NAME,
	GEN_T_PATH,
	GEN_T_U32LIST,
	GEN_T_HOSTPORT,
};

struct gen_param {
	const char *key;
	enum gen_type type;
	size_t offset;
	uint64_t min, max, def_num;
	const char *def_str;
	const char *const *words;
};

#define GEN_WORD(set, sym, word) word,
#define GEN_ROW_U32(m, key, lo, hi, def)                                                           \
	{key, GEN_T_U32, offsetof(struct gen_scenario, m), lo, hi, def, NULL, NULL},
#define GEN_ROW_ENUM(m, key, lo, hi, def)                                                          \
	{key, GEN_T_ENUM, offsetof(struct gen_scenario, m),        0, 0,                           \
	 0,   def,        (const char *const[]){lo(GEN_WORD) NULL}},
#define GEN_ROW_IPV4(m, key, lo, hi, def)                                                          \
	{key, GEN_T_IPV4, offsetof(struct gen_scenario, m), 0, 0, 0, def, NULL},
#define GEN_ROW_NAME(m, key, lo, hi, def)                                                          \
	{key, GEN_T_NAME, offsetof(struct gen_scenario, m), lo, hi, 0, def, NULL},
#define GEN_ROW_PATH(m, key, lo, hi, def)                                                          \
	{key, GEN_T_PATH, offsetof(struct gen_scenario, m), lo, hi, 0, def, NULL},
#define GEN_ROW_U32LIST(m, key, lo, hi, def)                                                       \
	{key, GEN_T_U32LIST, offsetof(struct gen_scenario, m), lo, hi, 0, NULL, NULL},
#define GEN_ROW_HOSTPORT(m, key, lo, hi, def)                                                      \
	{key, GEN_T_HOSTPORT, offsetof(struct gen_scenario, m), lo, hi, lo, def, NULL},

static const struct gen_param gen_params[] = {
#define GEN_PARAM(m, key, T, lo, hi, def, unit, doc) GEN_ROW_##T(m, key, lo, hi, def)
#include "gen_params.def"
#undef GEN_PARAM
};
#define GEN_N_PARAMS (sizeof(gen_params) / sizeof(gen_params[0]))

/* libconfig groups that hold keys (every other group is an error). */
static const char *const gen_groups[] = {"size", "reports", "target", "dpdk"};

/* One load. Thread-safety: local to the calling thread. */
struct gen_loader {
	const char *name;
	const char *text; /* main text, to see integer literals libconfig truncates */
	char *err;
	size_t errsz;
	struct gen_scenario *s;
	unsigned int line[GEN_N_PARAMS]; /* where each key was given, 0 = default */
};

__attribute__((format(printf, 4, 5))) static int
gen_fail(struct gen_loader *ld, unsigned int line, const char *key, const char *fmt, ...)
{
	size_t off;
	va_list ap;
	int n;

	if (line > 0)
		n = snprintf(ld->err, ld->errsz, "%s:%u: %s: ", ld->name, line, key);
	else
		n = snprintf(ld->err, ld->errsz, "%s: %s: ", ld->name, key);
	off = n > 0 ? (size_t)n : 0;
	if (off < ld->errsz) {
		va_start(ap, fmt);
		vsnprintf(ld->err + off, ld->errsz - off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * libconfig 1.5 keeps only the low 32 bits of a literal above INT32_MAX written without the
 * L suffix. The literal on the setting's line is read back and compared, so such a value is
 * refused instead of silently wrapping into range (as common/cfg does).
 */
static bool
gen_literal_truncated(const struct gen_loader *ld, const config_setting_t *st, long long v)
{
	unsigned int line = config_setting_source_line(st), cur = 1;
	const char *p = ld->text, *name = config_setting_name(st), *q;
	size_t nlen;

	if (p == NULL || name == NULL || config_setting_source_file(st) != NULL)
		return false;
	while (cur < line && (p = strchr(p, '\n')) != NULL) {
		p++;
		cur++;
	}
	if (p == NULL)
		return false;
	nlen = strlen(name);
	for (q = strstr(p, name); q != NULL; q = strstr(q + 1, name)) {
		const char *e = strchr(p, '\n');
		char *end;

		if (e != NULL && q > e)
			break;
		q += nlen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		errno = 0;
		unsigned long long lit = strtoull(q, &end, 0);

		if (end == q)
			return false;
		return errno == ERANGE || (long long)lit != v;
	}
	return false;
}

static int
gen_get_u32(struct gen_loader *ld, const config_setting_t *st, const char *key, uint64_t lo,
            uint64_t hi, uint32_t *out)
{
	unsigned int line = config_setting_source_line(st);
	long long v;

	if (config_setting_type(st) == CONFIG_TYPE_INT64) {
		v = config_setting_get_int64(st);
	} else if (config_setting_type(st) == CONFIG_TYPE_INT) {
		v = config_setting_get_int(st);
		if (v >= 0 && gen_literal_truncated(ld, st, v))
			return gen_fail(ld, line, key,
			                "value does not fit in 32 bits as written; write values "
			                "above 2147483647 with an L suffix");
	} else {
		return gen_fail(ld, line, key, "expected an integer, got %s", cfg_lc_type_name(st));
	}
	if (v < (long long)lo || (unsigned long long)v > hi)
		return gen_fail(ld, line, key, "%lld is out of range %llu..%llu", v,
		                (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint32_t)v;
	return 0;
}

static int
gen_set(struct gen_loader *ld, const struct gen_param *p, const config_setting_t *st)
{
	unsigned int line = config_setting_source_line(st);
	void *field = (char *)ld->s + p->offset;
	const char *str;

	switch (p->type) {
	case GEN_T_U32:
		return gen_get_u32(ld, st, p->key, p->min, p->max, field);
	case GEN_T_U32LIST: {
		struct gen_u32list *l = field;
		int n;

		if (config_setting_type(st) != CONFIG_TYPE_ARRAY &&
		    config_setting_type(st) != CONFIG_TYPE_LIST)
			return gen_fail(ld, line, p->key, "expected an array of integers, got %s",
			                cfg_lc_type_name(st));
		n = config_setting_length(st);
		if (n < (int)p->min || n > (int)p->max)
			return gen_fail(ld, line, p->key, "%d items, expected %llu..%llu", n,
			                (unsigned long long)p->min, (unsigned long long)p->max);
		l->n = 0;
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(st, (unsigned int)i);
			char key[64];
			int rc;

			snprintf(key, sizeof(key), "%s[%d]", p->key, i);
			rc = gen_get_u32(ld, e, key, 1, UINT32_MAX, &l->v[l->n]);
			if (rc != 0)
				return rc;
			l->n++;
		}
		return 0;
	}
	default:
		break;
	}
	if (config_setting_type(st) != CONFIG_TYPE_STRING)
		return gen_fail(ld, line, p->key, "expected a string, got %s",
		                cfg_lc_type_name(st));
	str = config_setting_get_string(st);
	switch (p->type) {
	case GEN_T_ENUM:
		for (uint32_t i = 0; p->words[i] != NULL; i++) {
			if (strcmp(p->words[i], str) == 0) {
				*(uint32_t *)field = i;
				return 0;
			}
		}
		{
			char set[128];
			size_t off = 0;

			set[0] = '\0';
			for (uint32_t i = 0; p->words[i] != NULL && off < sizeof(set); i++)
				off += (size_t)snprintf(set + off, sizeof(set) - off, "%s\"%s\"",
				                        i == 0 ? "" : ", ", p->words[i]);
			return gen_fail(ld, line, p->key, "\"%s\" is not one of %s", str, set);
		}
	case GEN_T_IPV4:
		if (inet_pton(AF_INET, str, field) != 1)
			return gen_fail(ld, line, p->key, "\"%s\" is not an IPv4 address", str);
		if (p->offset == offsetof(struct gen_scenario, local_address))
			ld->s->local_address_set = true;
		if (p->offset == offsetof(struct gen_scenario, dpdk_address))
			ld->s->dpdk_address_set = true;
		return 0;
	case GEN_T_HOSTPORT: {
		struct gen_hostport *hp = field;
		const char *colon = strchr(str, ':');
		char ip[INET_ADDRSTRLEN];
		size_t iplen = colon != NULL ? (size_t)(colon - str) : strlen(str);
		unsigned long port = p->def_num;

		if (colon != NULL) {
			char *end;

			errno = 0;
			port = strtoul(colon + 1, &end, 10);
			if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
			    port < 1 || port > 65535)
				return gen_fail(ld, line, p->key,
				                "\"%s\": the port after ':' must be 1..65535", str);
		}
		if (iplen >= sizeof(ip))
			return gen_fail(ld, line, p->key, "\"%s\" is not A.B.C.D[:PORT]", str);
		memcpy(ip, str, iplen);
		ip[iplen] = '\0';
		if (inet_pton(AF_INET, ip, &hp->addr) != 1)
			return gen_fail(ld, line, p->key, "\"%s\" is not A.B.C.D[:PORT]", str);
		hp->port = (uint16_t)port;
		hp->set = true;
		return 0;
	}
	case GEN_T_NAME: {
		size_t len = strlen(str);

		if (len < p->min || len > p->max)
			return gen_fail(ld, line, p->key, "length %zu is out of range %llu..%llu",
			                len, (unsigned long long)p->min,
			                (unsigned long long)p->max);
		if (strspn(str,
		           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
		    len)
			return gen_fail(ld, line, p->key, "\"%s\": only A-Z a-z 0-9 _ . - allowed",
			                str);
		memcpy(field, str, len + 1);
		return 0;
	}
	case GEN_T_PATH: {
		size_t len = strlen(str);

		if (len < p->min || len > p->max || str[0] != '/')
			return gen_fail(ld, line, p->key,
			                "\"%s\" is not an absolute file name of %llu..%llu bytes",
			                str, (unsigned long long)p->min,
			                (unsigned long long)p->max);
		memcpy(field, str, len + 1);
		return 0;
	}
	default:
		return gen_fail(ld, line, p->key, "internal: unhandled type");
	}
}

static int
gen_set_defaults(struct gen_scenario *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < GEN_N_PARAMS; i++) {
		const struct gen_param *p = &gen_params[i];
		void *field = (char *)s + p->offset;

		switch (p->type) {
		case GEN_T_U32:
			*(uint32_t *)field = (uint32_t)p->def_num;
			break;
		case GEN_T_ENUM:
			for (uint32_t w = 0; p->words[w] != NULL; w++)
				if (strcmp(p->words[w], p->def_str) == 0)
					*(uint32_t *)field = w;
			break;
		case GEN_T_IPV4:
			if (p->def_str[0] != '\0' && inet_pton(AF_INET, p->def_str, field) != 1)
				return -EINVAL;
			break;
		case GEN_T_NAME:
			snprintf(field, 64, "%s", p->def_str);
			break;
		case GEN_T_PATH:
			snprintf(field, 108, "%s", p->def_str);
			break;
		case GEN_T_U32LIST:
			break;
		case GEN_T_HOSTPORT:
			((struct gen_hostport *)field)->port = (uint16_t)p->def_num;
			break;
		}
	}
	return 0;
}

static const struct gen_param *
gen_param_find(const char *key, size_t *idx)
{
	for (size_t i = 0; i < GEN_N_PARAMS; i++) {
		if (strcmp(gen_params[i].key, key) == 0) {
			*idx = i;
			return &gen_params[i];
		}
	}
	return NULL;
}

static int
gen_walk(struct gen_loader *ld, const config_setting_t *grp, const char *prefix)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *st = config_setting_get_elem(grp, (unsigned int)i);
		const char *name = config_setting_name(st);
		unsigned int line = config_setting_source_line(st);
		const struct gen_param *p;
		char key[128];
		size_t idx;
		int rc;

		snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", name);
		p = gen_param_find(key, &idx);
		if (p == NULL && prefix[0] == '\0' &&
		    config_setting_type(st) == CONFIG_TYPE_GROUP) {
			bool known = false;

			for (size_t g = 0; g < sizeof(gen_groups) / sizeof(gen_groups[0]); g++)
				known |= strcmp(gen_groups[g], name) == 0;
			if (known) {
				rc = gen_walk(ld, st, key);
				if (rc != 0)
					return rc;
				continue;
			}
		}
		if (p == NULL)
			return gen_fail(ld, line, key,
			                "unknown key (docs/benchmarking.md lists them)");
		rc = gen_set(ld, p, st);
		if (rc != 0)
			return rc;
		ld->line[idx] = line > 0 ? line : 1;
	}
	return 0;
}

/* Line of key if given, else 0 (the message then names only the file). */
static unsigned int
gen_line(const struct gen_loader *ld, const char *key)
{
	size_t idx;

	return gen_param_find(key, &idx) != NULL ? ld->line[idx] : 0;
}

static int
gen_check_cross(struct gen_loader *ld)
{
	struct gen_scenario *s = ld->s;

	if (s->setup == GEN_SETUP_SIP) {
		if (!s->sip_focus.set)
			return gen_fail(ld, gen_line(ld, "setup"), "sip_focus",
			                "required with setup \"sip\" (the focus's "
			                "controlplane.sip_address:sip_port)");
		/* The focus creates its ad-hoc conferences with CPIM policy wrap (OMA SIMPLE IM
		 * 7.1.1.3, docs/controlplane.md); a scenario asking for off would be a lie. */
		if (s->cpim != GEN_CPIM_WRAP)
			return gen_fail(ld, gen_line(ld, "cpim"), "cpim",
			                "the focus's conferences always wrap in CPIM: with setup "
			                "\"sip\" only \"wrap\"");
	} else {
		static const char *const sip_keys[] = {"sip_focus", "factory_user", "setup_rate",
		                                       "sip_transport"};

		for (size_t i = 0; i < sizeof(sip_keys) / sizeof(sip_keys[0]); i++)
			if (gen_line(ld, sip_keys[i]) > 0)
				return gen_fail(ld, gen_line(ld, sip_keys[i]), sip_keys[i],
				                "only used with setup \"sip\"");
	}
	if (s->setup == GEN_SETUP_RELAY && s->legs != 2)
		return gen_fail(
		        ld, gen_line(ld, "legs"), "legs",
		        "%u: setup \"relay\" drives 1:1 sessions through an RFC 4976 relay, "
		        "legs must be 2",
		        s->legs);
	{
		/* The load: exactly one of the three keys (none with idle traffic). The error
		 * names the last of those given, or window when none is. */
		static const char *const load_keys[] = {"rate", "rate_total", "window"};
		const uint32_t load_vals[] = {s->rate, s->rate_total, s->window};
		unsigned int given = 0, last_line = 0;
		const char *last = "window";

		for (size_t i = 0; i < 3; i++) {
			if (load_vals[i] == 0)
				continue;
			given++;
			if (gen_line(ld, load_keys[i]) >= last_line) {
				last_line = gen_line(ld, load_keys[i]);
				last = load_keys[i];
			}
		}
		if (s->traffic == GEN_TRAFFIC_IDLE && given != 0)
			return gen_fail(ld, last_line, last,
			                "traffic \"idle\" sends no message: no rate, rate_total or "
			                "window");
		if (s->traffic != GEN_TRAFFIC_IDLE && given != 1)
			return gen_fail(
			        ld, last_line, last,
			        "give exactly one of rate (open loop, msgs/s per leg), "
			        "rate_total (open loop, msgs/s of all legs) and window (closed "
			        "loop, transactions per leg)");
	}
	if (s->size_dist == GEN_SIZE_DIST_UNIFORM && s->size_min > s->size_max)
		return gen_fail(ld, gen_line(ld, "size.max"), "size.max", "%u is below size.min %u",
		                s->size_max, s->size_min);
	if (s->size_dist == GEN_SIZE_DIST_LIST) {
		if (s->size_values.n == 0)
			return gen_fail(ld, gen_line(ld, "size.dist"), "size.values",
			                "size.dist \"list\" needs size.values");
		for (uint32_t i = 0; i < s->size_values.n; i++)
			if (s->size_values.v[i] < GEN_STAMP_LEN || s->size_values.v[i] > 16777216)
				return gen_fail(ld, gen_line(ld, "size.values"), "size.values",
				                "item %u: %u is out of range %u..16777216", i,
				                s->size_values.v[i], GEN_STAMP_LEN);
		if (s->size_weights.n != 0 && s->size_weights.n != s->size_values.n)
			return gen_fail(ld, gen_line(ld, "size.weights"), "size.weights",
			                "%u weights for %u values", s->size_weights.n,
			                s->size_values.n);
		s->weight_total = 0;
		for (uint32_t i = 0; i < s->size_values.n; i++)
			s->weight_total += s->size_weights.n != 0 ? s->size_weights.v[i] : 1;
	} else if (s->size_values.n != 0 || s->size_weights.n != 0) {
		return gen_fail(
		        ld, gen_line(ld, s->size_values.n != 0 ? "size.values" : "size.weights"),
		        s->size_values.n != 0 ? "size.values" : "size.weights",
		        "only used with size.dist \"list\"");
	}
	if (s->engine == GEN_ENGINE_DPDK) {
		unsigned int le = gen_line(ld, "engine");

		if (s->setup != GEN_SETUP_CTL)
			return gen_fail(
			        ld, le, "engine",
			        "\"dpdk\" drives the data plane's memif port: it needs setup "
			        "\"ctl\"");
		if (s->threads != 1)
			return gen_fail(
			        ld, gen_line(ld, "threads"), "threads",
			        "%u: engine \"dpdk\" runs on one lcore (dpdk.lcore), threads must "
			        "be 1",
			        s->threads);
		if (s->dpdk_memif_socket[0] == '\0')
			return gen_fail(ld, le, "dpdk.memif_socket",
			                "required with engine \"dpdk\"");
		if (!s->dpdk_address_set)
			return gen_fail(ld, le, "dpdk.address", "required with engine \"dpdk\"");
		if (s->local_address_set)
			return gen_fail(ld, gen_line(ld, "local_address"), "local_address",
			                "kernel engine only; the dpdk engine uses dpdk.address");
		if (s->dpdk_addresses > 1) {
			uint32_t first = ntohl(s->dpdk_address.s_addr);
			uint32_t last = first + s->dpdk_addresses - 1;
			uint32_t mask = ~0u << (32 - s->dpdk_prefix_len);

			/* Every address on the link, none its broadcast address. */
			if (last < first || (last & mask) != (first & mask) || (last | mask) == ~0u)
				return gen_fail(
				        ld, gen_line(ld, "dpdk.addresses"), "dpdk.addresses",
				        "%u addresses from dpdk.address leave its /%u subnet",
				        s->dpdk_addresses, s->dpdk_prefix_len);
		}
	} else if (s->dpdk_memif_socket[0] != '\0' || s->dpdk_address_set ||
	           gen_line(ld, "dpdk.addresses") > 0) {
		if (gen_line(ld, "dpdk.addresses") > 0 && !s->dpdk_address_set &&
		    s->dpdk_memif_socket[0] == '\0')
			return gen_fail(ld, gen_line(ld, "dpdk.addresses"), "dpdk.addresses",
			                "only used with engine \"dpdk\"");
		return gen_fail(
		        ld,
		        gen_line(ld, s->dpdk_address_set ? "dpdk.address" : "dpdk.memif_socket"),
		        s->dpdk_address_set ? "dpdk.address" : "dpdk.memif_socket",
		        "only used with engine \"dpdk\"");
	}
	if (s->final_pct > 0 && (s->cpim != GEN_CPIM_WRAP || s->setup != GEN_SETUP_CTL))
		return gen_fail(ld, gen_line(ld, "reports.final_pct"), "reports.final_pct",
		                "final reports come from the switch's CPIM handling: they need "
		                "setup \"ctl\" and cpim \"wrap\"");
	return 0;
}

int
gen_scenario_load_string(const char *text, const char *name, struct gen_scenario *out, char *err,
                         size_t errsz)
{
	struct gen_loader ld;
	config_t lc;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.name = name != NULL ? name : "(string)";
	ld.text = text;
	ld.err = err;
	ld.errsz = errsz;
	ld.s = out;
	if (gen_set_defaults(out) != 0) {
		snprintf(err, errsz, "%s: internal: a default does not parse", ld.name);
		return -EINVAL;
	}
	snprintf(out->source, sizeof(out->source), "%s", ld.name);
	/* A scenario is one self-contained file: errors name FILE:LINE of that file, and a
	 * result file records which scenario ran. libconfig would follow @include. */
	for (const char *p = text, *q; (q = strstr(p, "@include")) != NULL; p = q + 1) {
		unsigned int line = 1;

		for (const char *c = text; c < q; c++)
			line += *c == '\n';
		if (q == text || q[-1] == '\n' || q[-1] == ' ' || q[-1] == '\t') {
			snprintf(err, errsz, "%s:%u: @include is not supported in scenarios",
			         ld.name, line);
			return -EINVAL;
		}
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		snprintf(err, errsz, "%s:%d: %s", ld.name, config_error_line(&lc),
		         config_error_text(&lc));
		rc = -EINVAL;
	} else {
		rc = gen_walk(&ld, config_root_setting(&lc), "");
		if (rc == 0)
			rc = gen_check_cross(&ld);
	}
	config_destroy(&lc);
	return rc;
}

int
gen_scenario_load(const char *path, struct gen_scenario *out, char *err, size_t errsz)
{
	struct stat stt;
	char *text;
	long len;
	FILE *fp;
	int rc;

	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = -errno;
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fileno(fp), &stt) != 0 || !S_ISREG(stt.st_mode) || stt.st_size > (1 << 20)) {
		fclose(fp);
		snprintf(err, errsz, "%s: not a regular file of at most 1 MiB", path);
		return -EINVAL;
	}
	len = (long)stt.st_size;
	text = malloc((size_t)len + 1);
	if (text == NULL) {
		fclose(fp);
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
		free(text);
		fclose(fp);
		snprintf(err, errsz, "%s: cannot read", path);
		return -EIO;
	}
	fclose(fp);
	text[len] = '\0';
	if (strlen(text) != (size_t)len) {
		free(text);
		snprintf(err, errsz, "%s: contains a NUL byte, not a text file", path);
		return -EINVAL;
	}
	rc = gen_scenario_load_string(text, path, out, err, errsz);
	free(text);
	return rc;
}

const char *
gen_scenario_key(size_t i)
{
	return i < GEN_N_PARAMS ? gen_params[i].key : NULL;
}

uint32_t
gen_scenario_draw_size(const struct gen_scenario *s, uint64_t *rng)
{
	switch (s->size_dist) {
	case GEN_SIZE_DIST_UNIFORM:
		return s->size_min +
		       (uint32_t)(gen_rng_next(rng) % ((uint64_t)s->size_max - s->size_min + 1));
	case GEN_SIZE_DIST_LIST: {
		uint64_t r = gen_rng_next(rng) % s->weight_total;

		for (uint32_t i = 0; i < s->size_values.n; i++) {
			uint64_t w = s->size_weights.n != 0 ? s->size_weights.v[i] : 1;

			if (r < w)
				return s->size_values.v[i];
			r -= w;
		}
		return s->size_values.v[s->size_values.n - 1];
	}
	default:
		return s->size_bytes;
	}
}

uint32_t
gen_scenario_max_size(const struct gen_scenario *s)
{
	uint32_t m = 0;

	switch (s->size_dist) {
	case GEN_SIZE_DIST_UNIFORM:
		return s->size_max;
	case GEN_SIZE_DIST_LIST:
		for (uint32_t i = 0; i < s->size_values.n; i++)
			if (s->size_values.v[i] > m)
				m = s->size_values.v[i];
		return m;
	default:
		return s->size_bytes;
	}
}
