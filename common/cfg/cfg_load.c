/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loader: libconfig parses the syntax, then one walk over the setting tree checks every
 * setting against the parameter tables, so each error names the file and line libconfig
 * recorded for the offending setting (HAProxy/nginx style "FILE:LINE: KEY: reason").
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "cfg/cfg_libconfig.h"
#include "cfg/cfg_pvt.h"
#include "log/log.h"
#include "utf8/utf8.h"

#define CFG_TEXT_MAX (16u << 20) /* larger files are certainly not configuration */
#define CFG_SRC_MAX  16          /* files (main + @include) whose literals are checked */
#define CFG_KEY_CAP  160

/* An integer literal that libconfig silently truncates (see cfg_src_scan()). */
struct cfg_wide_literal {
	uint32_t line;
	char text[40];
};

struct cfg_src {
	char *file; /* libconfig's name for it; NULL = the main text */
	struct cfg_wide_literal *wide;
	size_t n_wide;
};

/* One load. Thread-safety: local to the calling thread. */
struct cfg_loader {
	const char *name;        /* FILE in messages for the main text */
	const char *include_dir; /* where @include looks, NULL = current directory */
	char *err;
	size_t errsz;
	struct msw_cfg *cfg;
	const config_setting_t *given[CFG_N_PARAMS_MAX]; /* by cfg_params index */
	struct cfg_src srcs[CFG_SRC_MAX];
	size_t n_srcs;
};

const char *
cfg_lc_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

/* File name for messages: included files are shown with the directory they came from. */
static void
cfg_display_file(const struct cfg_loader *ld, const char *file, char *buf, size_t cap)
{
	if (file == NULL)
		snprintf(buf, cap, "%s", ld->name);
	else if (file[0] != '/' && ld->include_dir != NULL)
		snprintf(buf, cap, "%s/%s", ld->include_dir, file);
	else
		snprintf(buf, cap, "%s", file);
}

__attribute__((format(printf, 4, 5))) static int
cfg_fail(struct cfg_loader *ld, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	char file[256];
	size_t off = 0;
	va_list ap;
	int n;

	cfg_display_file(ld, s != NULL ? config_setting_source_file(s) : NULL, file, sizeof(file));
	if (s != NULL && config_setting_source_line(s) > 0)
		n = snprintf(ld->err, ld->errsz, "%s:%u: ", file, config_setting_source_line(s));
	else
		n = snprintf(ld->err, ld->errsz, "%s: ", file);
	off = n > 0 ? (size_t)n : 0;
	if (key != NULL && off < ld->errsz) {
		n = snprintf(ld->err + off, ld->errsz - off, "%s: ", key);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < ld->errsz) {
		va_start(ap, fmt);
		vsnprintf(ld->err + off, ld->errsz - off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Builds a key for messages; keys longer than the buffer are cut, never overflowed. */
__attribute__((format(printf, 3, 4))) static void
cfg_key(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

/*
 * libconfig 1.5 reads a decimal or hex literal without an L suffix as a 32-bit int and
 * silently keeps the low bits (5000000000 becomes 705032704). A value that wraps to a
 * number inside a parameter's range would be accepted without notice, so the raw text is
 * scanned for such literals and the walk rejects any integer setting on their line.
 */
static void
cfg_src_scan(struct cfg_src *src, const char *text)
{
	uint32_t line = 1;
	const char *p = text;
	size_t cap = 0;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p != '\0')
				p += 2;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (*p == '\n')
					line++;
			}
			if (*p != '\0')
				p++;
		} else if (isalpha((unsigned char)*p) || *p == '_' || *p == '*') {
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '*' || *p == '-')
				p++;
		} else if (isdigit((unsigned char)*p) ||
		           ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
			const char *start = p;
			bool neg = *p == '-', hex, is_float = false, wide = false;
			unsigned long long mag;
			const char *digits;
			char *end;

			if (*p == '-' || *p == '+')
				p++;
			digits = p;
			hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
			while (isalnum((unsigned char)*p) || *p == '.' ||
			       ((*p == '-' || *p == '+') && !hex &&
			        (p[-1] == 'e' || p[-1] == 'E'))) {
				if (*p == '.' || (!hex && (*p == 'e' || *p == 'E')))
					is_float = true;
				p++;
			}
			if (is_float || p[-1] == 'L' || p[-1] == 'l')
				continue;
			errno = 0;
			mag = strtoull(digits, &end, hex ? 16 : 10);
			if (end != p)
				continue; /* not a number libconfig accepts; its parser says so */
			if (errno == ERANGE)
				wide = true;
			else if (hex)
				wide = mag > 0x7fffffffull;
			else
				wide = neg ? mag > 0x80000000ull : mag > 0x7fffffffull;
			if (wide) {
				struct cfg_wide_literal *w;

				if (src->n_wide == cap) {
					size_t ncap = cap == 0 ? 4 : cap * 2;

					w = realloc(src->wide, ncap * sizeof(*w));
					if (w == NULL)
						return; /* best effort: the range checks still apply
						         */
					src->wide = w;
					cap = ncap;
				}
				w = &src->wide[src->n_wide++];
				w->line = line;
				snprintf(w->text, sizeof(w->text), "%.*s", (int)(p - start), start);
			}
		} else {
			p++;
		}
	}
}

static char *
cfg_read_text(FILE *fp, size_t *len, int *rc)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	*rc = 0;
	if (buf == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	for (;;) {
		size_t got;

		if (cap - n < 2) {
			char *nb;

			if (cap >= CFG_TEXT_MAX) {
				free(buf);
				*rc = -EFBIG;
				return NULL;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				*rc = -ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		*rc = -EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The scanned literals of file (NULL = main text), loading an included file on first use. */
static const struct cfg_src *
cfg_src_get(struct cfg_loader *ld, const char *file)
{
	char path[4096];
	struct cfg_src *src;
	char *text;
	size_t len;
	FILE *fp;
	int rc;

	for (size_t i = 0; i < ld->n_srcs; i++) {
		const char *f = ld->srcs[i].file;

		if ((f == NULL && file == NULL) || (f != NULL && file != NULL && !strcmp(f, file)))
			return &ld->srcs[i];
	}
	if (file == NULL || ld->n_srcs == CFG_SRC_MAX)
		return NULL;
	cfg_display_file(ld, file, path, sizeof(path));
	fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	text = cfg_read_text(fp, &len, &rc);
	fclose(fp);
	if (text == NULL)
		return NULL;
	src = &ld->srcs[ld->n_srcs];
	memset(src, 0, sizeof(*src));
	src->file = strdup(file);
	if (src->file == NULL) {
		free(text);
		return NULL;
	}
	ld->n_srcs++;
	cfg_src_scan(src, text);
	free(text);
	return src;
}

static int
cfg_get_int(struct cfg_loader *ld, const config_setting_t *s, const char *key, long long *v)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT64) {
		*v = config_setting_get_int64(s);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return cfg_fail(ld, s, key, "expected an integer, got %s", cfg_lc_type_name(s));
	const struct cfg_src *src = cfg_src_get(ld, config_setting_source_file(s));

	for (size_t i = 0; src != NULL && i < src->n_wide; i++)
		if (src->wide[i].line == config_setting_source_line(s))
			return cfg_fail(ld, s, key,
			                "%s does not fit in 32 bits; write 64-bit values with an L "
			                "suffix (%sL)",
			                src->wide[i].text, src->wide[i].text);
	*v = config_setting_get_int(s);
	return 0;
}

/* Sets any non-list parameter from its setting. */
static int
cfg_set_scalar(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
               void *field, const char *key)
{
	char why[256];
	long long v = 0;
	int rc;

	switch (p->type) {
	case CFG_T_U32:
	case CFG_T_U64:
		rc = cfg_get_int(ld, s, key, &v);
		if (rc < 0)
			return rc;
		if (cfg_value_check_range(p, v, why, sizeof(why)) < 0)
			return cfg_fail(ld, s, key, "%s", why);
		if (p->type == CFG_T_U32)
			*(uint32_t *)field = (uint32_t)v;
		else
			*(uint64_t *)field = (uint64_t)v;
		return 0;
	case CFG_T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return cfg_fail(ld, s, key, "expected true or false, got %s",
			                cfg_lc_type_name(s));
		*(bool *)field = config_setting_get_bool(s) != 0;
		return 0;
	default:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return cfg_fail(ld, s, key, "expected a string (%s), got %s",
			                cfg_type_name(p->type), cfg_lc_type_name(s));
		if (cfg_value_parse(p, config_setting_get_string(s), field, why, sizeof(why)) < 0)
			return cfg_fail(ld, s, key, "%s", why);
		return 0;
	}
}

/* Checks that apply to the items of one particular list. */
static int
cfg_check_item(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *e,
               const char *item, const char *key)
{
	char why[256], pattern[LOG_TYPE_NAME_CAP];
	enum log_level level;

	if (p->offset == offsetof(struct msw_cfg, log.types) &&
	    log_rule_parse(item, pattern, sizeof(pattern), &level, why, sizeof(why)) < 0)
		return cfg_fail(ld, e, key, "%s", why);
	return 0;
}

static int
cfg_set_strlist(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
                struct cfg_strlist *field, const char *key)
{
	char ekey[CFG_KEY_CAP];
	const char **items;
	int n, rc;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return cfg_fail(ld, s, key, "expected a list of strings [ \"...\", ... ], got %s",
		                cfg_lc_type_name(s));
	n = config_setting_length(s);
	if ((uint64_t)n < p->min || (uint64_t)n > p->max)
		return cfg_fail(ld, s, key, "%d items, must be %" PRIu64 "..%" PRIu64, n, p->min,
		                p->max);
	items = calloc((size_t)n + 1, sizeof(*items));
	if (items == NULL)
		return cfg_fail(ld, s, key, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		cfg_key(ekey, sizeof(ekey), "%s[%d]", key, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			free(items);
			return cfg_fail(ld, e, ekey, "expected a string, got %s",
			                cfg_lc_type_name(e));
		}
		items[i] = config_setting_get_string(e);
		if (items[i][0] == '\0') {
			free(items);
			return cfg_fail(ld, e, ekey, "empty item");
		}
		if (strlen(items[i]) > CFG_STRLIST_ITEM_MAX) {
			free(items);
			return cfg_fail(ld, e, ekey, "item longer than %d bytes",
			                CFG_STRLIST_ITEM_MAX);
		}
		rc = cfg_check_item(ld, p, e, items[i], ekey);
		if (rc < 0) {
			free(items);
			return rc;
		}
	}
	cfg_strlist_free(field); /* the file's list replaces the default one */
	rc = cfg_strlist_set(field, items, (uint32_t)n);
	free(items);
	if (rc < 0)
		return cfg_fail(ld, s, key, "out of memory");
	return 0;
}

/* Driver-specific keys: each driver needs its own and refuses the others' (a typo guard). */
static int
cfg_port_check(struct cfg_loader *ld, const struct cfg_port *port, const char *pkey,
               const config_setting_t *e, const config_setting_t *const *given)
{
	const struct cfg_param *drv = cfg_port_param_find("driver");
	char key[CFG_KEY_CAP];

	for (size_t j = 0; j < cfg_n_port_params; j++) {
		const struct cfg_param *p = &cfg_port_params[j];
		int owner = cfg_port_key_driver(p);

		if (owner < 0)
			continue;
		cfg_key(key, sizeof(key), "%s.%s", pkey, p->member);
		if (given[j] != NULL && (int)port->driver != owner)
			return cfg_fail(ld, given[j], key, "not allowed with driver %s",
			                drv->words[port->driver]);
		/* memif_role has a default; the others name the device and must be given. */
		if (given[j] == NULL && (int)port->driver == owner && p->def_str != NULL &&
		    p->def_str[0] == '\0')
			return cfg_fail(ld, e, key, "missing, driver %s needs it",
			                drv->words[port->driver]);
	}
	if (port->queues > 1 && !port->rss) {
		const struct cfg_param *q = cfg_port_param_find("queues");

		cfg_key(key, sizeof(key), "%s.queues", pkey);
		return cfg_fail(ld, given[q - cfg_port_params], key,
		                "%" PRIu32 " queues need rss = true to spread connections over "
		                "them",
		                port->queues);
	}
	return 0;
}

/*
 * Walks the keys of a port, group or member entry against its table (rows); given[] (one slot
 * per row) gets the settings. Scalars are set into base; lists of members are left to the
 * caller.
 */
static int
cfg_set_entry(struct cfg_loader *ld, const config_setting_t *e, void *base,
              const struct cfg_param *rows, size_t n_rows, const config_setting_t **given,
              const char *ekey, const char *shape)
{
	char key[CFG_KEY_CAP];
	int rc;

	if (!config_setting_is_group(e))
		return cfg_fail(ld, e, ekey, "expected a group { %s = ...; ... }, got %s", shape,
		                cfg_lc_type_name(e));
	for (int i = 0; i < config_setting_length(e); i++) {
		const config_setting_t *c = config_setting_get_elem(e, (unsigned int)i);
		const struct cfg_param *p = cfg_row_find(rows, n_rows, config_setting_name(c));

		cfg_key(key, sizeof(key), "%s.%s", ekey, config_setting_name(c));
		if (p == NULL)
			return cfg_fail(ld, c, key, "unknown key");
		given[p - rows] = c;
		if (p->type == CFG_T_MEMBERS)
			continue; /* the caller sets them once the scalars are known */
		rc = cfg_set_scalar(ld, p, c, cfg_field(base, p), key);
		if (rc < 0)
			return rc;
	}
	for (size_t j = 0; j < n_rows; j++) {
		if (cfg_param_required(&rows[j]) && given[j] == NULL) {
			cfg_key(key, sizeof(key), "%s.%s", ekey, rows[j].member);
			return cfg_fail(ld, e, key, "missing (required)");
		}
	}
	return 0;
}

static int
cfg_set_port(struct cfg_loader *ld, const config_setting_t *e, struct cfg_port *port,
             const char *pkey)
{
	const config_setting_t *given[32] = {NULL};
	int rc;

	cfg_port_set_defaults(port);
	port->line = config_setting_source_line(e);
	rc = cfg_set_entry(ld, e, port, cfg_port_params, cfg_n_port_params, given, pkey, "name");
	if (rc < 0)
		return rc;
	return cfg_port_check(ld, port, pkey, e, given);
}

/* Names, PCI addresses, tap interfaces and memif sockets each identify one port. */
static int
cfg_ports_unique(struct cfg_loader *ld, const struct cfg_ports *ports, const config_setting_t *list)
{
	static const char *const unique[] = {"name", "pci", "iface", "memif_socket"};
	char key[CFG_KEY_CAP];

	for (size_t u = 0; u < sizeof(unique) / sizeof(unique[0]); u++) {
		const struct cfg_param *p = cfg_port_param_find(unique[u]);

		for (uint32_t i = 0; i < ports->n; i++) {
			const char *a = cfg_field_const(&ports->v[i], p);

			if (a[0] == '\0')
				continue;
			for (uint32_t j = 0; j < i; j++) {
				if (strcmp(a, cfg_field_const(&ports->v[j], p)) != 0)
					continue;
				cfg_key(key, sizeof(key), "dataplane.ports[%u].%s", i, p->member);
				return cfg_fail(ld, config_setting_get_elem(list, i), key,
				                "duplicate %s \"%s\" (also dataplane.ports[%u])",
				                p->member, a, j);
			}
		}
	}
	return 0;
}

/*
 * A list of groups (ports, IM groups, members) with p->min..p->max entries; what names the
 * entries and shape shows one in the error. Returns the count or -EINVAL (message in ld).
 */
static int
cfg_list_len(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
             const char *key, const char *what, const char *shape)
{
	int n;

	if (!config_setting_is_list(s))
		return cfg_fail(ld, s, key, "expected a list of groups ( %s, ... ), got %s", shape,
		                cfg_lc_type_name(s));
	n = config_setting_length(s);
	if ((uint64_t)n < p->min || (uint64_t)n > p->max)
		return cfg_fail(ld, s, key, "%d %s, must be %" PRIu64 "..%" PRIu64, n, what, p->min,
		                p->max);
	return n;
}

static int
cfg_set_ports(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
              struct cfg_ports *ports, const char *key)
{
	char pkey[CFG_KEY_CAP];
	int n = cfg_list_len(ld, p, s, key, "ports", "{ ... }"), rc;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		cfg_key(pkey, sizeof(pkey), "%s[%d]", key, i);
		rc = cfg_set_port(ld, config_setting_get_elem(s, (unsigned int)i), &ports->v[i],
		                  pkey);
		if (rc < 0)
			return rc;
	}
	ports->n = (uint32_t)n;
	return cfg_ports_unique(ld, ports, s);
}

static int cfg_set_im_groups(struct cfg_loader *ld, const struct cfg_param *p,
                             const config_setting_t *s, struct cfg_im_groups *groups,
                             const char *key);

static int
cfg_set_param(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s)
{
	void *field = cfg_field(ld->cfg, p);

	ld->given[p - cfg_params] = s;
	if (p->type == CFG_T_STRLIST)
		return cfg_set_strlist(ld, p, s, field, p->key);
	if (p->type == CFG_T_PORTS)
		return cfg_set_ports(ld, p, s, field, p->key);
	if (p->type == CFG_T_GROUPS)
		return cfg_set_im_groups(ld, p, s, field, p->key);
	return cfg_set_scalar(ld, p, s, field, p->key);
}

static const struct cfg_group *
cfg_group_find(const char *name)
{
	for (size_t i = 0; i < cfg_n_groups; i++)
		if (strcmp(cfg_groups[i].name, name) == 0)
			return &cfg_groups[i];
	return NULL;
}

static int
cfg_walk(struct cfg_loader *ld, const config_setting_t *root)
{
	char key[CFG_KEY_CAP];
	int rc;

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned int)i);
		const char *name = config_setting_name(s);
		const struct cfg_param *p = cfg_param_find(name);
		const struct cfg_group *g;

		if (p != NULL && p->group == NULL) {
			rc = cfg_set_param(ld, p, s);
			if (rc < 0)
				return rc;
			continue;
		}
		g = cfg_group_find(name);
		if (g == NULL)
			return cfg_fail(ld, s, name, "unknown key");
		if (!config_setting_is_group(s))
			return cfg_fail(ld, s, name, "expected a group { ... }, got %s",
			                cfg_lc_type_name(s));
		for (int j = 0; j < config_setting_length(s); j++) {
			const config_setting_t *c = config_setting_get_elem(s, (unsigned int)j);

			cfg_key(key, sizeof(key), "%s.%s", name, config_setting_name(c));
			p = cfg_param_find(key);
			if (p == NULL)
				return cfg_fail(ld, c, key, "unknown key");
			rc = cfg_set_param(ld, p, c);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Where to point a cross-parameter error: the first of the keys the file gave. */
static const config_setting_t *
cfg_given(const struct cfg_loader *ld, const char *a, const char *b)
{
	const struct cfg_param *pa = cfg_param_find(a), *pb = cfg_param_find(b);

	if (ld->given[pa - cfg_params] != NULL)
		return ld->given[pa - cfg_params];
	return ld->given[pb - cfg_params];
}

/*
 * Display names end up in SIP headers, CPIM headers and conference-info XML (RFC 4575
 * display-text): they must be valid UTF-8 (RFC 3629) without control characters.
 */
static int
cfg_check_text(struct cfg_loader *ld, const config_setting_t *s, const char *key, const char *text)
{
	const uint8_t *p = (const uint8_t *)text;
	size_t len = strlen(text);

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n == 0)
			return cfg_fail(ld, s, key, "not valid UTF-8 at byte %zu", i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			return cfg_fail(ld, s, key, "control character 0x%02x at byte %zu", p[i],
			                i);
		i += n;
	}
	return 0;
}

/*
 * A member is addressed by a SIP, SIPS (RFC 3261 section 19.1) or tel (RFC 3966) URI. Only
 * the shape is checked: a known scheme, something after it, and no character that would
 * need quoting in a SIP header or break the XML documents the URI is copied into (URIs are
 * ASCII, RFC 3986 section 2: anything else must be percent-encoded).
 */
static int
cfg_check_member_uri(struct cfg_loader *ld, const config_setting_t *s, const char *key,
                     const char *uri)
{
	static const char *const schemes[] = {"sip:", "sips:", "tel:"};
	size_t skip = 0;

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(uri, schemes[i], strlen(schemes[i])) == 0)
			skip = strlen(schemes[i]);
	if (skip == 0)
		return cfg_fail(ld, s, key, "\"%s\" is not a sip:, sips: or tel: URI", uri);
	if (uri[skip] == '\0')
		return cfg_fail(ld, s, key, "\"%s\" has nothing after the scheme", uri);
	for (const char *c = uri; *c != '\0'; c++) {
		unsigned char b = (unsigned char)*c;

		if (b <= 0x20 || b >= 0x7f || b == '<' || b == '>' || b == '"')
			return cfg_fail(ld, s, key,
			                "\"%s\": character 0x%02x not allowed in a URI "
			                "(percent-encode it)",
			                uri, b);
	}
	return 0;
}

static int
cfg_set_im_member(struct cfg_loader *ld, const config_setting_t *e, struct cfg_im_member *m,
                  const char *mkey)
{
	const config_setting_t *given[32] = {NULL};
	const struct cfg_param *uri = cfg_im_member_param_find("uri");
	const struct cfg_param *dn = cfg_im_member_param_find("display_name");
	char key[CFG_KEY_CAP];
	int rc;

	cfg_im_member_set_defaults(m);
	m->line = config_setting_source_line(e);
	rc = cfg_set_entry(ld, e, m, cfg_im_member_params, cfg_n_im_member_params, given, mkey,
	                   "uri");
	if (rc < 0)
		return rc;
	cfg_key(key, sizeof(key), "%s.uri", mkey);
	rc = cfg_check_member_uri(ld, given[uri - cfg_im_member_params], key, m->uri);
	if (rc < 0)
		return rc;
	cfg_key(key, sizeof(key), "%s.display_name", mkey);
	return cfg_check_text(ld, given[dn - cfg_im_member_params], key, m->display_name);
}

static int
cfg_set_im_members(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
                   struct cfg_im_members *ms, const char *key)
{
	char mkey[CFG_KEY_CAP];
	int n = cfg_list_len(ld, p, s, key, "members", "{ uri = ...; }"), rc;

	if (n < 0)
		return n;
	if (n == 0)
		return 0;
	ms->v = calloc((size_t)n, sizeof(*ms->v));
	if (ms->v == NULL)
		return cfg_fail(ld, s, key, "out of memory");
	ms->n = (uint32_t)n; /* zeroed entries: cfg_free() copes with a half-filled list */
	for (int i = 0; i < n; i++) {
		cfg_key(mkey, sizeof(mkey), "%s[%d]", key, i);
		rc = cfg_set_im_member(ld, config_setting_get_elem(s, (unsigned int)i), &ms->v[i],
		                       mkey);
		if (rc < 0)
			return rc;
	}
	/* One entry per member: a second one would be invited twice (PDG-04). */
	for (uint32_t i = 0; i < ms->n; i++)
		for (uint32_t j = 0; j < i; j++) {
			if (!cfg_uri_same(ms->v[i].uri, ms->v[j].uri))
				continue;
			cfg_key(mkey, sizeof(mkey), "%s[%u].uri", key, i);
			return cfg_fail(ld, config_setting_get_elem(s, i), mkey,
			                "duplicate uri \"%s\" (also %s[%u])", ms->v[i].uri, key, j);
		}
	return 0;
}

static int
cfg_set_im_group(struct cfg_loader *ld, const config_setting_t *e, struct cfg_im_group *g,
                 const char *gkey)
{
	const config_setting_t *given[32] = {NULL};
	const struct cfg_param *dn = cfg_im_group_param_find("display_name");
	const struct cfg_param *mem = cfg_im_group_param_find("members");
	char key[CFG_KEY_CAP];
	int rc;

	cfg_im_group_set_defaults(g);
	g->line = config_setting_source_line(e);
	rc = cfg_set_entry(ld, e, g, cfg_im_group_params, cfg_n_im_group_params, given, gkey,
	                   "name");
	if (rc < 0)
		return rc;
	cfg_key(key, sizeof(key), "%s.display_name", gkey);
	rc = cfg_check_text(ld, given[dn - cfg_im_group_params], key, g->display_name);
	if (rc < 0)
		return rc;
	if (given[mem - cfg_im_group_params] == NULL)
		return 0;
	cfg_key(key, sizeof(key), "%s.members", gkey);
	return cfg_set_im_members(ld, mem, given[mem - cfg_im_group_params], &g->members, key);
}

static int
cfg_set_im_groups(struct cfg_loader *ld, const struct cfg_param *p, const config_setting_t *s,
                  struct cfg_im_groups *groups, const char *key)
{
	char gkey[CFG_KEY_CAP];
	int n = cfg_list_len(ld, p, s, key, "groups", "{ ... }"), rc;

	if (n < 0)
		return n;
	cfg_im_groups_free(groups); /* the file's list replaces the default one */
	if (n == 0)
		return 0;
	groups->v = calloc((size_t)n, sizeof(*groups->v));
	if (groups->v == NULL)
		return cfg_fail(ld, s, key, "out of memory");
	groups->n = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		cfg_key(gkey, sizeof(gkey), "%s[%d]", key, i);
		rc = cfg_set_im_group(ld, config_setting_get_elem(s, (unsigned int)i),
		                      &groups->v[i], gkey);
		if (rc < 0)
			return rc;
	}
	/*
	 * Each name is one Group Identity. SIP user parts are case-sensitive (RFC 3261 section
	 * 19.1.4), but names differing only in case are refused: some proxies and clients fold
	 * case, and the two groups would then be indistinguishable.
	 */
	for (uint32_t i = 0; i < groups->n; i++)
		for (uint32_t j = 0; j < i; j++) {
			const config_setting_t *e = config_setting_get_elem(s, i);

			if (strcasecmp(groups->v[i].name, groups->v[j].name) != 0)
				continue;
			cfg_key(gkey, sizeof(gkey), "%s[%u].name", key, i);
			return cfg_fail(ld, config_setting_get_member(e, "name"), gkey,
			                "duplicate name \"%s\" (also %s[%u])", groups->v[i].name,
			                key, j);
		}
	return 0;
}

/*
 * The CDR path is opened by a daemon whose working directory means nothing, and its
 * template knows only %i (instance) and %% (controlplane/cdr, cdr_path_expand()).
 */
static int
cfg_check_cdr_path(struct cfg_loader *ld)
{
	const char *path = ld->cfg->controlplane.cdr_path;
	const config_setting_t *s = cfg_given(ld, "controlplane.cdr_path", "controlplane.cdr_path");

	if (path[0] == '\0')
		return 0;
	if (path[0] != '/')
		return cfg_fail(ld, s, "controlplane.cdr_path",
		                "\"%s\" must be an absolute path (or empty to disable)", path);
	for (const char *p = path; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (p[1] != 'i' && p[1] != '%')
			return cfg_fail(ld, s, "controlplane.cdr_path",
			                "\"%s\": only %%i (instance) and %%%% may follow a '%%'",
			                path);
		p++;
	}
	return 0;
}

/* After the walk: what a group's keys mean depends on controlplane keys given anywhere. */
static int
cfg_check_im_groups(struct cfg_loader *ld)
{
	struct msw_cfg *c = ld->cfg;
	const config_setting_t *list = cfg_given(ld, "controlplane.groups", "controlplane.groups");
	char key[CFG_KEY_CAP];

	for (uint32_t i = 0; i < c->controlplane.groups.n; i++) {
		struct cfg_im_group *g = &c->controlplane.groups.v[i];

		if (g->max_participants == 0) /* not given (the range refuses an explicit 0) */
			g->max_participants = c->controlplane.max_participants;
		/* A group's session is a data-plane conference: it cannot hold more legs. */
		if (g->max_participants > c->engine.max_conference_legs) {
			const config_setting_t *e = config_setting_get_elem(list, i);
			const config_setting_t *m =
			        config_setting_get_member(e, "max_participants");

			cfg_key(key, sizeof(key), "controlplane.groups[%u].max_participants", i);
			return cfg_fail(ld, m != NULL ? m : e, key,
			                "%" PRIu32
			                " is larger than engine.max_conference_legs (%" PRIu32 ")",
			                g->max_participants, c->engine.max_conference_legs);
		}
		/* The factory URI creates ad-hoc conferences; a group there would be unreachable.
		 */
		if (strcasecmp(g->name, c->controlplane.factory_user) == 0) {
			const config_setting_t *e = config_setting_get_elem(list, i);

			cfg_key(key, sizeof(key), "controlplane.groups[%u].name", i);
			return cfg_fail(ld, config_setting_get_member(e, "name"), key,
			                "\"%s\" is the conference factory "
			                "(controlplane.factory_user)",
			                g->name);
		}
	}
	return 0;
}

static int
cfg_check_cross(struct cfg_loader *ld)
{
	const struct msw_cfg *c = ld->cfg;
	uint32_t cpus = cfg_cpuset_count(c->eal.lcores);
	int rc;

	for (size_t i = 0; i < cfg_n_params; i++)
		if (cfg_param_required(&cfg_params[i]) && ld->given[i] == NULL)
			return cfg_fail(ld, NULL, cfg_params[i].key, "missing (required)");

	if (c->msrp.rechunk_bytes > c->msrp.max_chunk_bytes)
		return cfg_fail(ld, cfg_given(ld, "msrp.rechunk_bytes", "msrp.max_chunk_bytes"),
		                "msrp.rechunk_bytes",
		                "%" PRIu32 " is larger than msrp.max_chunk_bytes (%" PRIu32 ")",
		                c->msrp.rechunk_bytes, c->msrp.max_chunk_bytes);
	/* The data plane derives these from eal.lcores and eal.hugepages (docs/operations.md);
	 * a second source would silently disagree, and --no-huge with --in-memory makes EAL
	 * refuse to start. */
	static const char *const eal_owned[] = {"-l",        "--lcores",    "-c",
	                                        "--no-huge", "--in-memory", "--huge-unlink"};
	for (uint32_t i = 0; i < c->eal.args.n; i++)
		for (size_t j = 0; j < sizeof(eal_owned) / sizeof(eal_owned[0]); j++) {
			size_t n = strlen(eal_owned[j]);
			const char *a = c->eal.args.v[i];

			/* "-l", "-l0-3", "--lcores", "--lcores=0-3" */
			if (strncmp(a, eal_owned[j], n) == 0 &&
			    (a[n] == '\0' || (n == 2 ? true : a[n] == '=')))
				return cfg_fail(ld, cfg_given(ld, "eal.args", "eal.args"),
				                "eal.args", "\"%s\" is set by %s", a,
				                j < 3 ? "eal.lcores" : "eal.hugepages");
		}
	if (c->dataplane.workers > cpus)
		return cfg_fail(ld, cfg_given(ld, "dataplane.workers", "eal.lcores"),
		                "dataplane.workers",
		                "%" PRIu32
		                " workers need as many CPUs in eal.lcores (\"%s\" has %" PRIu32 ")",
		                c->dataplane.workers, c->eal.lcores, cpus);
	/* Every conference the focus makes is a data-plane conference of at most that many legs. */
	if (c->controlplane.max_participants > c->engine.max_conference_legs)
		return cfg_fail(ld,
		                cfg_given(ld, "controlplane.max_participants",
		                          "engine.max_conference_legs"),
		                "controlplane.max_participants",
		                "%" PRIu32 " is larger than engine.max_conference_legs (%" PRIu32
		                ")",
		                c->controlplane.max_participants, c->engine.max_conference_legs);
	rc = cfg_check_cdr_path(ld);
	if (rc < 0)
		return rc;
	return cfg_check_im_groups(ld);
}

static int
cfg_ports_set_default(const struct cfg_param *p, struct cfg_ports *ports, char *why, size_t whysz)
{
	ports->n = 0;
	for (uint32_t i = 0; p->def_list[i] != NULL; i++) {
		struct cfg_port *port = &ports->v[i];
		char spec[512], *save = NULL;

		cfg_port_set_defaults(port);
		snprintf(spec, sizeof(spec), "%s", p->def_list[i]);
		for (char *kv = strtok_r(spec, ",", &save); kv != NULL;
		     kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			const struct cfg_param *pp;

			if (eq == NULL)
				goto bad;
			*eq = '\0';
			pp = cfg_port_param_find(kv);
			if (pp == NULL ||
			    cfg_value_parse(pp, eq + 1, cfg_field(port, pp), why, whysz) < 0)
				goto bad;
		}
		ports->n++;
	}
	return 0;
bad:
	snprintf(why, whysz, "built-in default of %s is invalid", p->key);
	return -EINVAL;
}

/* Every default, through the same parsers the file goes through. */
static int
cfg_set_defaults(struct msw_cfg *cfg, char *why, size_t whysz)
{
	for (size_t i = 0; i < cfg_n_params; i++) {
		const struct cfg_param *p = &cfg_params[i];
		int rc;

		if (p->type == CFG_T_PORTS)
			rc = cfg_ports_set_default(p, cfg_field(cfg, p), why, whysz);
		else
			rc = cfg_param_set_default(p, cfg_field(cfg, p), why, whysz);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct msw_cfg *
cfg_create_default(void)
{
	struct msw_cfg *cfg = calloc(1, sizeof(*cfg));
	char why[256];

	if (cfg == NULL)
		return NULL;
	if (cfg_set_defaults(cfg, why, sizeof(why)) < 0 ||
	    (cfg->source = strdup("(defaults)")) == NULL) {
		cfg_free(cfg);
		errno = ENOMEM;
		return NULL;
	}
	return cfg;
}

void
cfg_free(struct msw_cfg *cfg)
{
	if (cfg == NULL)
		return;
	cfg_strlists_free(cfg);
	free(cfg->source);
	free(cfg);
}

static int
cfg_load_text(const char *text, const char *name, const char *include_dir, struct msw_cfg **out,
              char *err, size_t errsz)
{
	struct cfg_loader *ld;
	config_t lc;
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "(string)";
	ld = calloc(1, sizeof(*ld));
	if (ld == NULL) {
		snprintf(err, errsz, "%s: out of memory", name);
		return -ENOMEM;
	}
	ld->name = name;
	ld->include_dir = include_dir;
	ld->err = err;
	ld->errsz = errsz;
	ld->cfg = cfg_create_default();
	if (ld->cfg == NULL) {
		free(ld);
		snprintf(err, errsz, "%s: out of memory", name);
		return -ENOMEM;
	}
	ld->n_srcs = 1; /* srcs[0]: the main text, file NULL */
	cfg_src_scan(&ld->srcs[0], text);

	config_init(&lc);
	if (include_dir != NULL)
		config_set_include_dir(&lc, include_dir);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		char file[256];

		cfg_display_file(ld, config_error_file(&lc), file, sizeof(file));
		snprintf(err, errsz, "%s:%d: %s", file, config_error_line(&lc),
		         config_error_text(&lc));
		rc = -EINVAL;
	} else {
		rc = cfg_walk(ld, config_root_setting(&lc));
		if (rc == 0)
			rc = cfg_check_cross(ld);
	}
	config_destroy(&lc);

	if (rc == 0) {
		free(ld->cfg->source);
		ld->cfg->source = strdup(name);
		if (ld->cfg->source == NULL) {
			snprintf(err, errsz, "%s: out of memory", name);
			rc = -ENOMEM;
		}
	}
	if (rc == 0)
		*out = ld->cfg;
	else
		cfg_free(ld->cfg);
	for (size_t i = 0; i < ld->n_srcs; i++) {
		free(ld->srcs[i].file);
		free(ld->srcs[i].wide);
	}
	free(ld);
	return rc;
}

int
cfg_load_string(const char *text, const char *name, struct msw_cfg **out, char *err, size_t errsz)
{
	return cfg_load_text(text, name, NULL, out, err, errsz);
}

int
cfg_load(const char *path, struct msw_cfg **out, char *err, size_t errsz)
{
	struct stat st;
	char *text, *dir_copy;
	size_t len = 0;
	FILE *fp;
	int rc;

	*out = NULL;
	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = -errno;
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		snprintf(err, errsz, "%s: is a directory", path);
		return -EISDIR;
	}
	text = cfg_read_text(fp, &len, &rc);
	fclose(fp);
	if (text == NULL) {
		snprintf(err, errsz, "%s: cannot read: %s", path,
		         rc == -EFBIG ? "larger than 16 MiB" : strerror(-rc));
		return rc;
	}
	if (strlen(text) != len) {
		free(text);
		snprintf(err, errsz, "%s: contains a NUL byte, not a text file", path);
		return -EINVAL;
	}
	dir_copy = strdup(path);
	if (dir_copy == NULL) {
		free(text);
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* @include names resolve against the main file's directory, not the cwd. */
	rc = cfg_load_text(text, path, dirname(dir_copy), out, err, errsz);
	free(dir_copy);
	free(text);
	return rc;
}
