/* SPDX-License-Identifier: BSD-3-Clause */
/* Output forms of a configuration: --get values, --dump (libconfig) and --docs (markdown). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg_pvt.h"

#define CFG_VAL_CAP 256

/* Prints the items of a STRLIST, the names of the ports or groups, member URIs, one per line. */
static void
cfg_print_lines(const struct cfg_param *p, const void *field, FILE *out)
{
	if (p->type == CFG_T_STRLIST) {
		const struct cfg_strlist *l = field;

		for (uint32_t i = 0; i < l->n; i++)
			fprintf(out, "%s\n", l->v[i]);
	} else if (p->type == CFG_T_PORTS) {
		const struct cfg_ports *ports = field;

		for (uint32_t i = 0; i < ports->n; i++)
			fprintf(out, "%s\n", ports->v[i].name);
	} else if (p->type == CFG_T_GROUPS) {
		const struct cfg_im_groups *groups = field;

		for (uint32_t i = 0; i < groups->n; i++)
			fprintf(out, "%s\n", groups->v[i].name);
	} else if (p->type == CFG_T_MEMBERS) {
		const struct cfg_im_members *ms = field;

		for (uint32_t i = 0; i < ms->n; i++)
			fprintf(out, "%s\n", ms->v[i].uri);
	} else {
		char buf[CFG_VAL_CAP];

		cfg_value_format(p, field, buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
	}
}

/* "dataplane.ports[N].KEY" or "dataplane.ports.NAME.KEY". */
static int
cfg_get_port_key(const struct msw_cfg *cfg, const char *rest, FILE *out, char *err, size_t errsz,
                 const char *key)
{
	const struct cfg_ports *ports = &cfg->dataplane.ports;
	const struct cfg_port *port = NULL;
	const struct cfg_param *p;
	const char *dot;

	if (rest[0] == '[') {
		char *end;
		unsigned long idx = strtoul(rest + 1, &end, 10);

		if (end == rest + 1 || *end != ']' || end[1] != '.')
			goto unknown;
		if (idx >= ports->n) {
			snprintf(err, errsz, "%s: there are only %" PRIu32 " ports", key, ports->n);
			return -ENOENT;
		}
		port = &ports->v[idx];
		dot = end + 1;
	} else if (rest[0] == '.') {
		/* Names may contain dots: the longest name followed by ".KEY" wins. */
		for (uint32_t i = 0; i < ports->n; i++) {
			size_t len = strlen(ports->v[i].name);

			if (strncmp(rest + 1, ports->v[i].name, len) == 0 && rest[1 + len] == '.' &&
			    (port == NULL || len > strlen(port->name)))
				port = &ports->v[i];
		}
		if (port == NULL) {
			const char *end = strrchr(rest + 1, '.');

			snprintf(err, errsz, "%s: no port named \"%.*s\"", key,
			         (int)(end != NULL ? end - rest - 1 : (long)strlen(rest + 1)),
			         rest + 1);
			return -ENOENT;
		}
		dot = rest + 1 + strlen(port->name);
	} else {
		goto unknown;
	}
	p = cfg_port_param_find(dot + 1);
	if (p == NULL)
		goto unknown;
	cfg_print_lines(p, cfg_field_const(port, p), out);
	return 0;
unknown:
	snprintf(err, errsz, "%s: unknown key", key);
	return -ENOENT;
}

/* "[N]" at rest: stores N and the text after ']' ; false when rest is not that shape. */
static bool
cfg_get_index(const char *rest, unsigned long *idx, const char **after)
{
	char *end;

	if (rest[0] != '[' || rest[1] < '0' || rest[1] > '9')
		return false;
	*idx = strtoul(rest + 1, &end, 10);
	if (*end != ']')
		return false;
	*after = end + 1;
	return true;
}

/* "members", "members[M].KEY" or a group KEY, after "controlplane.groups[N]." */
static int
cfg_get_im_group_key(const struct cfg_im_group *g, const char *rest, FILE *out, char *err,
                     size_t errsz, const char *key)
{
	const struct cfg_param *p;
	unsigned long idx;
	const char *after;

	if (strncmp(rest, "members[", 8) == 0) {
		if (!cfg_get_index(rest + 7, &idx, &after) || after[0] != '.')
			goto unknown;
		if (idx >= g->members.n) {
			snprintf(err, errsz, "%s: group \"%s\" has only %" PRIu32 " members", key,
			         g->name, g->members.n);
			return -ENOENT;
		}
		p = cfg_im_member_param_find(after + 1);
		if (p == NULL)
			goto unknown;
		cfg_print_lines(p, cfg_field_const(&g->members.v[idx], p), out);
		return 0;
	}
	p = cfg_im_group_param_find(rest);
	if (p == NULL)
		goto unknown;
	cfg_print_lines(p, cfg_field_const(g, p), out);
	return 0;
unknown:
	snprintf(err, errsz, "%s: unknown key", key);
	return -ENOENT;
}

/* "controlplane.groups[N].KEY" or "controlplane.groups.NAME.KEY". */
static int
cfg_get_im_groups_key(const struct msw_cfg *cfg, const char *rest, FILE *out, char *err,
                      size_t errsz, const char *key)
{
	const struct cfg_im_groups *groups = &cfg->controlplane.groups;
	const struct cfg_im_group *g = NULL;
	unsigned long idx;
	const char *after;

	if (cfg_get_index(rest, &idx, &after)) {
		if (after[0] != '.')
			goto unknown;
		if (idx >= groups->n) {
			snprintf(err, errsz, "%s: there are only %" PRIu32 " groups", key,
			         groups->n);
			return -ENOENT;
		}
		g = &groups->v[idx];
	} else if (rest[0] == '.') {
		/* Names may contain dots: the longest name followed by ".KEY" wins. */
		for (uint32_t i = 0; i < groups->n; i++) {
			size_t len = strlen(groups->v[i].name);

			if (strncmp(rest + 1, groups->v[i].name, len) == 0 &&
			    rest[1 + len] == '.' && (g == NULL || len > strlen(g->name)))
				g = &groups->v[i];
		}
		if (g == NULL) {
			const char *end = strchr(rest + 1, '.');

			snprintf(err, errsz, "%s: no group named \"%.*s\"", key,
			         (int)(end != NULL ? end - rest - 1 : (long)strlen(rest + 1)),
			         rest + 1);
			return -ENOENT;
		}
		after = rest + 1 + strlen(g->name);
	} else {
		goto unknown;
	}
	return cfg_get_im_group_key(g, after + 1, out, err, errsz, key);
unknown:
	snprintf(err, errsz, "%s: unknown key", key);
	return -ENOENT;
}

int
cfg_get(const struct msw_cfg *cfg, const char *key, FILE *out, char *err, size_t errsz)
{
	static const char ports_key[] = "dataplane.ports";
	static const char groups_key[] = "controlplane.groups";
	const struct cfg_param *p = cfg_param_find(key);

	if (p != NULL) {
		cfg_print_lines(p, cfg_field_const(cfg, p), out);
		return 0;
	}
	if (strncmp(key, ports_key, sizeof(ports_key) - 1) == 0)
		return cfg_get_port_key(cfg, key + sizeof(ports_key) - 1, out, err, errsz, key);
	if (strncmp(key, groups_key, sizeof(groups_key) - 1) == 0)
		return cfg_get_im_groups_key(cfg, key + sizeof(groups_key) - 1, out, err, errsz,
		                             key);
	for (size_t i = 0; i < cfg_n_groups; i++) {
		if (strcmp(key, cfg_groups[i].name) == 0) {
			snprintf(err, errsz, "%s: is a group, ask for one of its keys", key);
			return -ENOENT;
		}
	}
	snprintf(err, errsz, "%s: unknown key", key);
	return -ENOENT;
}

/* A libconfig string literal. */
static void
cfg_dump_string(const char *s, FILE *out)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
cfg_dump_value(const struct cfg_param *p, const void *field, FILE *out)
{
	char buf[CFG_VAL_CAP];
	uint64_t v;

	switch (p->type) {
	case CFG_T_U32:
	case CFG_T_U64:
		v = p->type == CFG_T_U32 ? *(const uint32_t *)field : *(const uint64_t *)field;
		/* libconfig keeps only 32 bits of a literal without the L suffix. */
		fprintf(out, "%" PRIu64 "%s", v, v > INT32_MAX ? "L" : "");
		break;
	case CFG_T_BOOL:
		fputs(*(const bool *)field ? "true" : "false", out);
		break;
	case CFG_T_STRLIST: {
		const struct cfg_strlist *l = field;

		fputc('[', out);
		for (uint32_t i = 0; i < l->n; i++) {
			fputs(i == 0 ? " " : ", ", out);
			cfg_dump_string(l->v[i], out);
		}
		fputs(l->n > 0 ? " ]" : "]", out);
		break;
	}
	case CFG_T_PORTS:
	case CFG_T_GROUPS:
	case CFG_T_MEMBERS:
		break; /* cfg_dump_ports(), cfg_dump_im_groups() */
	default:
		cfg_value_format(p, field, buf, sizeof(buf));
		cfg_dump_string(buf, out);
		break;
	}
}

static void
cfg_dump_ports(const struct cfg_ports *ports, const char *indent, FILE *out)
{
	fputs("(", out);
	for (uint32_t i = 0; i < ports->n; i++) {
		const struct cfg_port *port = &ports->v[i];

		fprintf(out, "%s\n%s\t{\n", i == 0 ? "" : ",", indent);
		for (size_t j = 0; j < cfg_n_port_params; j++) {
			const struct cfg_param *p = &cfg_port_params[j];
			int owner = cfg_port_key_driver(p);

			if (owner >= 0 && owner != (int)port->driver)
				continue; /* the loader refuses other drivers' keys */
			fprintf(out, "%s\t\t%s = ", indent, p->member);
			cfg_dump_value(p, cfg_field_const(port, p), out);
			fputs(";\n", out);
		}
		fprintf(out, "%s\t}", indent);
	}
	fprintf(out, "\n%s)", indent);
}

/* One group or member entry: every key of its table, members as a nested list. */
static void
cfg_dump_entry(const void *base, const struct cfg_param *rows, size_t n_rows, const char *indent,
               FILE *out)
{
	for (size_t j = 0; j < n_rows; j++) {
		const struct cfg_param *p = &rows[j];

		fprintf(out, "%s%s = ", indent, p->member);
		if (p->type == CFG_T_MEMBERS) {
			const struct cfg_im_members *ms = cfg_field_const(base, p);
			char inner[32];

			snprintf(inner, sizeof(inner), "%s\t\t", indent);
			fputs("(", out);
			for (uint32_t i = 0; i < ms->n; i++) {
				fprintf(out, "%s\n%s\t{\n", i == 0 ? "" : ",", indent);
				cfg_dump_entry(&ms->v[i], cfg_im_member_params,
				               cfg_n_im_member_params, inner, out);
				fprintf(out, "%s\t}", indent);
			}
			if (ms->n > 0)
				fprintf(out, "\n%s", indent);
			fputs(")", out);
		} else {
			cfg_dump_value(p, cfg_field_const(base, p), out);
		}
		fputs(";\n", out);
	}
}

static void
cfg_dump_im_groups(const struct cfg_im_groups *groups, const char *indent, FILE *out)
{
	char inner[32];

	snprintf(inner, sizeof(inner), "%s\t\t", indent);
	fputs("(", out);
	for (uint32_t i = 0; i < groups->n; i++) {
		fprintf(out, "%s\n%s\t{\n", i == 0 ? "" : ",", indent);
		cfg_dump_entry(&groups->v[i], cfg_im_group_params, cfg_n_im_group_params, inner,
		               out);
		fprintf(out, "%s\t}", indent);
	}
	if (groups->n > 0)
		fprintf(out, "\n%s", indent);
	fputs(")", out);
}

void
cfg_dump(const struct msw_cfg *cfg, FILE *out)
{
	const char *group = NULL;

	fprintf(out, "# Effective configuration of %s (msw-config --dump).\n",
	        cfg->source != NULL ? cfg->source : "(unknown)");
	for (size_t i = 0; i < cfg_n_params; i++) {
		const struct cfg_param *p = &cfg_params[i];
		const char *indent = p->group != NULL ? "\t" : "";

		if (group != NULL && (p->group == NULL || strcmp(group, p->group) != 0)) {
			fputs("};\n", out);
			group = NULL;
		}
		if (p->group != NULL && group == NULL) {
			fprintf(out, "\n%s = {\n", p->group);
			group = p->group;
		}
		fprintf(out, "%s%s = ", indent, p->member);
		if (p->type == CFG_T_PORTS)
			cfg_dump_ports(cfg_field_const(cfg, p), indent, out);
		else if (p->type == CFG_T_GROUPS)
			cfg_dump_im_groups(cfg_field_const(cfg, p), indent, out);
		else
			cfg_dump_value(p, cfg_field_const(cfg, p), out);
		fputs(";\n", out);
	}
	if (group != NULL)
		fputs("};\n", out);
}

/* Markdown table cells must not contain a bare '|'. */
static void
cfg_md_cell(const char *s, FILE *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

static void
cfg_md_range(const struct cfg_param *p, FILE *out)
{
	switch (p->type) {
	case CFG_T_U32:
	case CFG_T_U64:
		fprintf(out, "%" PRIu64 "..%" PRIu64, p->min, p->max);
		break;
	case CFG_T_BOOL:
		fputs("true, false", out);
		break;
	case CFG_T_STR:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " bytes", p->min, p->max);
		break;
	case CFG_T_NAME:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " of `A-Za-z0-9_.-`", p->min, p->max);
		break;
	case CFG_T_IPV4:
		fputs("`A.B.C.D`", out);
		break;
	case CFG_T_IPV4_PREFIX:
		fprintf(out, "`A.B.C.D/NN`, NN %" PRIu64 "..%" PRIu64, p->min, p->max);
		break;
	case CFG_T_MAC:
		fputs("unicast `XX:XX:XX:XX:XX:XX` or empty", out);
		break;
	case CFG_T_PCI:
		fputs("`DDDD:BB:DD.F` or empty", out);
		break;
	case CFG_T_CPUSET:
		fprintf(out, "CPUs %" PRIu64 "..%" PRIu64 ", e.g. `0-3,6`", p->min, p->max);
		break;
	case CFG_T_ENUM:
		for (size_t i = 0; p->words[i] != NULL; i++)
			fprintf(out, "%s`%s`", i == 0 ? "" : ", ", p->words[i]);
		break;
	case CFG_T_STRLIST:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " items", p->min, p->max);
		break;
	case CFG_T_PORTS:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " ports", p->min, p->max);
		break;
	case CFG_T_GROUPS:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " groups", p->min, p->max);
		break;
	case CFG_T_MEMBERS:
		fprintf(out, "%" PRIu64 "..%" PRIu64 " members", p->min, p->max);
		break;
	}
}

static void
cfg_md_default(const struct cfg_param *p, FILE *out)
{
	switch (p->type) {
	case CFG_T_U32:
	case CFG_T_U64:
		if (p == cfg_im_group_param_find("max_participants"))
			fputs("`controlplane.max_participants`", out);
		else
			fprintf(out, "%" PRIu64, p->def_num);
		break;
	case CFG_T_BOOL:
		fputs(p->def_num ? "true" : "false", out);
		break;
	case CFG_T_STRLIST:
	case CFG_T_PORTS:
	case CFG_T_GROUPS:
	case CFG_T_MEMBERS:
		if (p->def_list[0] == NULL) {
			fputs("empty", out);
			break;
		}
		for (size_t i = 0; p->def_list[i] != NULL; i++) {
			fputs(i == 0 ? "`" : "`, `", out);
			cfg_md_cell(p->def_list[i], out);
		}
		fputs("`", out);
		break;
	default:
		if (p->def_str == NULL)
			fputs("required", out);
		else if (p->def_str[0] == '\0')
			fputs("unset", out);
		else {
			fputs("`", out);
			cfg_md_cell(p->def_str, out);
			fputs("`", out);
		}
		break;
	}
}

static void
cfg_md_row(const struct cfg_param *p, const char *key, FILE *out)
{
	fprintf(out, "| `%s` | %s | ", key, cfg_type_name(p->type));
	cfg_md_range(p, out);
	fputs(" | ", out);
	cfg_md_default(p, out);
	fputs(" | ", out);
	cfg_md_cell(p->unit, out);
	fputs(" | ", out);
	cfg_md_cell(p->doc, out);
	fputs(" |\n", out);
}

static void
cfg_md_table_head(FILE *out)
{
	fputs("| Key | Type | Range | Default | Unit | Meaning |\n", out);
	fputs("|-----|------|-------|---------|------|---------|\n", out);
}

void
cfg_docs(FILE *out)
{
	char key[128];

	fputs("# msw configuration reference\n"
	      "\n"
	      "<!-- Generated by `msw-config --docs` from common/cfg/cfg_params.def,\n"
	      "     cfg_port_params.def and cfg_group_params.def; a unit test fails when this\n"
	      "     file is stale.\n"
	      "     Regenerate: msw-config --docs > docs/config.md -->\n"
	      "\n"
	      "Every msw program reads one file in "
	      "[libconfig](https://hyperrealm.github.io/libconfig/)\n"
	      "syntax. `config/msw.conf` shows every key with its default;\n"
	      "`config/examples/` holds a carrier-hardware and a test configuration.\n"
	      "\n"
	      "- Every key is optional and an empty file is valid: missing keys take the defaults\n"
	      "  below. A list (`log.types`, `eal.args`, `dataplane.ports`, "
	      "`controlplane.groups`)\n"
	      "  given in the file\n"
	      "  replaces the default list as a whole.\n"
	      "- Unknown keys are errors, at any depth. So are wrong types, values out of range,\n"
	      "  malformed addresses and words outside an enum's set.\n"
	      "- Every error names the place: `FILE:LINE: KEY: reason`, e.g.\n"
	      "  `msw.conf:12: dataplane.workers: 0 is out of range 1..128`.\n"
	      "- Integers above 2147483647 need libconfig's `L` suffix (`4294967296L`);\n"
	      "  without it libconfig would keep only 32 bits, so the loader refuses such "
	      "literals.\n"
	      "- `@include \"FILE\"` works; relative names resolve against the directory of the\n"
	      "  main file (also inside included files).\n"
	      "- `msw-config --check FILE` validates a file, `msw-config --get KEY FILE` prints "
	      "one\n"
	      "  effective value (lists one item per line), `msw-config --dump FILE` prints the\n"
	      "  effective configuration.\n",
	      out);

	fputs("\n## Top level\n\n", out);
	cfg_md_table_head(out);
	for (size_t i = 0; i < cfg_n_params; i++)
		if (cfg_params[i].group == NULL)
			cfg_md_row(&cfg_params[i], cfg_params[i].key, out);

	for (size_t g = 0; g < cfg_n_groups; g++) {
		fprintf(out, "\n## %s\n\n%s\n\n", cfg_groups[g].name, cfg_groups[g].doc);
		cfg_md_table_head(out);
		for (size_t i = 0; i < cfg_n_params; i++)
			if (cfg_params[i].group != NULL &&
			    strcmp(cfg_params[i].group, cfg_groups[g].name) == 0)
				cfg_md_row(&cfg_params[i], cfg_params[i].key, out);
	}

	fputs("\n## dataplane.ports\n\n"
	      "Each entry of the `dataplane.ports` list is a group with these keys. `pci`,\n"
	      "`iface` and `memif_*` belong to one driver each: that driver needs them (except\n"
	      "`memif_role`, which has a default) and the others refuse them. Port names, PCI\n"
	      "addresses, tap interfaces and memif sockets must be unique. The default list's\n"
	      "entry is written as `key=value` pairs.\n\n",
	      out);
	cfg_md_table_head(out);
	for (size_t i = 0; i < cfg_n_port_params; i++) {
		snprintf(key, sizeof(key), "dataplane.ports[].%s", cfg_port_params[i].member);
		cfg_md_row(&cfg_port_params[i], key, out);
	}

	fputs("\n## controlplane.groups\n\n"
	      "Pre-defined groups (OMA SIMPLE IM group store; the config file stands in for the\n"
	      "Shared Group XDMS). Each entry of `controlplane.groups` is a group with these "
	      "keys;\n"
	      "its Group Identity is `sip:NAME@HOST` on the focus. Names must be unique (case\n"
	      "ignored) and differ from `controlplane.factory_user`; display names must be valid\n"
	      "UTF-8 without control characters. Example:\n\n"
	      "```\n"
	      "controlplane = {\n"
	      "\tgroups = (\n"
	      "\t\t{ name = \"friends\"; display_name = \"Friends\"; max_participants = 10;\n"
	      "\t\t  anonymity_allowed = false; invite_members = true;\n"
	      "\t\t  members = ( { uri = \"sip:alice@example.com\"; display_name = \"Alice\"; },\n"
	      "\t\t              { uri = \"tel:+15551234567\"; } ); }\n"
	      "\t);\n"
	      "};\n"
	      "```\n\n",
	      out);
	cfg_md_table_head(out);
	for (size_t i = 0; i < cfg_n_im_group_params; i++) {
		snprintf(key, sizeof(key), "controlplane.groups[].%s",
		         cfg_im_group_params[i].member);
		cfg_md_row(&cfg_im_group_params[i], key, out);
	}
	fputs("\n## controlplane.groups[].members\n\n"
	      "Each entry of a group's `members` list. Member URIs must be unique within the\n"
	      "group (the scheme compared without case, the rest exactly).\n\n",
	      out);
	cfg_md_table_head(out);
	for (size_t i = 0; i < cfg_n_im_member_params; i++) {
		snprintf(key, sizeof(key), "controlplane.groups[].members[].%s",
		         cfg_im_member_params[i].member);
		cfg_md_row(&cfg_im_member_params[i], key, out);
	}
}
