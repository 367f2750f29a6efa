/* SPDX-License-Identifier: BSD-3-Clause */
/* common/cfg: the group store controlplane.groups (OMA pre-defined groups) and its errors. */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "cfg/cfg.h"
#include "cfg/cfg_pvt.h"

#define CFG_TEST_FILE "g.conf"
#include "test_cfg_util.h"

static char *
get(const struct msw_cfg *cfg, const char *key, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = cfg_get(cfg, key, f, cfg_test_err, sizeof(cfg_test_err));
	fclose(f);
	return buf;
}

static const char two_groups[] =
        "controlplane = {\n"
        "  max_participants = 40;\n"
        "  groups = (\n"
        "    { name = \"friends\"; display_name = \"Friends \\\"&\\\" Co \xc3\xbc\";\n"
        "      max_participants = 10; anonymity_allowed = true; invite_members = false;\n"
        "      members = (\n"
        "        { uri = \"sip:alice@example.com\"; display_name = \"Alice\"; },\n"
        "        { uri = \"SIPS:bob@example.com\"; },\n"
        "        { uri = \"tel:+15555550100\"; display_name = \"Desk\"; } ); },\n"
        "    { name = \"a.b\"; }\n"
        "  );\n"
        "};\n";

Test(cfg_groups, defaults_are_empty)
{
	struct msw_cfg *c = cfg_test_load_ok("");

	cr_assert_eq(c->controlplane.groups.n, 0);
	cr_assert_null(c->controlplane.groups.v);
	cr_assert_eq(c->controlplane.max_participants, 100);
	cr_assert_null(cfg_im_group_find(c, "friends"));
	cfg_free(c);
}

Test(cfg_groups, every_key)
{
	struct msw_cfg *c = cfg_test_load_ok(two_groups);
	const struct cfg_im_groups *l = &c->controlplane.groups;
	const struct cfg_im_group *g;

	cr_assert_eq(c->controlplane.max_participants, 40);
	cr_assert_eq(l->n, 2);
	g = &l->v[0];
	cr_assert_str_eq(g->name, "friends");
	cr_assert_str_eq(g->display_name, "Friends \"&\" Co \xc3\xbc");
	cr_assert_eq(g->max_participants, 10);
	cr_assert(g->anonymity_allowed);
	cr_assert_not(g->invite_members);
	cr_assert_eq(g->line, 4);
	cr_assert_eq(g->members.n, 3);
	cr_assert_str_eq(g->members.v[0].uri, "sip:alice@example.com");
	cr_assert_str_eq(g->members.v[0].display_name, "Alice");
	cr_assert_eq(g->members.v[0].line, 7);
	cr_assert_str_eq(g->members.v[1].uri, "SIPS:bob@example.com");
	cr_assert_str_eq(g->members.v[1].display_name, "");
	cr_assert_str_eq(g->members.v[2].display_name, "Desk");

	/* The second group takes every default, max_participants from controlplane. */
	g = &l->v[1];
	cr_assert_str_eq(g->name, "a.b");
	cr_assert_str_eq(g->display_name, "");
	cr_assert_eq(g->max_participants, 40);
	cr_assert_not(g->anonymity_allowed);
	cr_assert(g->invite_members);
	cr_assert_eq(g->members.n, 0);
	cr_assert_eq(g->line, 10);
	cfg_free(c);
}

Test(cfg_groups, lookups)
{
	struct msw_cfg *c = cfg_test_load_ok(two_groups);
	const struct cfg_im_group *g = cfg_im_group_find(c, "friends");

	cr_assert_eq(g, &c->controlplane.groups.v[0]);
	cr_assert_eq(cfg_im_group_find(c, "a.b"), &c->controlplane.groups.v[1]);
	cr_assert_null(cfg_im_group_find(c, "Friends"), "user parts are case-sensitive");
	cr_assert_null(cfg_im_group_find(c, "friend"));
	cr_assert_eq(cfg_im_member_find(g, "sip:alice@example.com"), &g->members.v[0]);
	cr_assert_eq(cfg_im_member_find(g, "SIP:alice@example.com"), &g->members.v[0]);
	cr_assert_eq(cfg_im_member_find(g, "sips:bob@example.com"), &g->members.v[1]);
	cr_assert_null(cfg_im_member_find(g, "sip:Alice@example.com"));
	cr_assert_null(cfg_im_member_find(g, "sip:alice@example.co"));
	cr_assert_null(cfg_im_member_find(g, "alice"));
	cfg_free(c);
}

Test(cfg_groups, given_before_the_default_it_inherits)
{
	/* groups first, controlplane.max_participants later in the file: still inherited. */
	struct msw_cfg *c = cfg_test_load_ok("controlplane = { groups = ( { name = \"x\"; } );\n"
	                                     "  max_participants = 7; };\n");

	cr_assert_eq(c->controlplane.groups.v[0].max_participants, 7);
	cfg_free(c);
}

Test(cfg_groups, dump_round_trips)
{
	struct msw_cfg *a = cfg_test_load_ok(two_groups), *b;
	char *text = cfg_test_dump(a, true), *da, *db;

	b = cfg_test_load_ok(text);
	da = cfg_test_dump(a, false);
	db = cfg_test_dump(b, false);
	cr_assert_str_eq(da, db);
	cr_assert(strstr(da, "display_name = \"Friends \\\"&\\\" Co \xc3\xbc\";") != NULL, "%s",
	          da);
	/* The inherited value is written out, so the dump means the same on its own. */
	cr_assert(strstr(da, "\t\t\tname = \"a.b\";\n\t\t\tdisplay_name = \"\";\n"
	                     "\t\t\tmax_participants = 40;\n") != NULL,
	          "%s", da);
	cr_assert_eq(b->controlplane.groups.v[0].members.n, 3);
	free(text);
	free(da);
	free(db);
	cfg_free(a);
	cfg_free(b);
}

Test(cfg_groups, get_values)
{
	struct msw_cfg *c = cfg_test_load_ok(two_groups);
	static const struct {
		const char *key, *want;
	} ok[] = {
	        {"controlplane.groups", "friends\na.b\n"},
	        {"controlplane.max_participants", "40\n"},
	        {"controlplane.groups[0].name", "friends\n"},
	        {"controlplane.groups.friends.max_participants", "10\n"},
	        {"controlplane.groups.a.b.max_participants", "40\n"},
	        {"controlplane.groups.friends.members",
	         "sip:alice@example.com\nSIPS:bob@example.com\ntel:+15555550100\n"},
	        {"controlplane.groups[0].members[2].display_name", "Desk\n"},
	        {"controlplane.groups.friends.anonymity_allowed", "true\n"},
	        {"controlplane.groups[1].members", ""},
	};
	static const struct {
		const char *key, *want;
	} bad[] = {
	        {"controlplane.groups[2].name",
	         "controlplane.groups[2].name: there are only 2 groups"},
	        {"controlplane.groups.foes.name",
	         "controlplane.groups.foes.name: no group named \"foes\""},
	        {"controlplane.groups[0].colour", "controlplane.groups[0].colour: unknown key"},
	        {"controlplane.groups[0].members[3].uri",
	         "controlplane.groups[0].members[3].uri: group \"friends\" has only 3 members"},
	        {"controlplane.groups[0].members[0].colour",
	         "controlplane.groups[0].members[0].colour: unknown key"},
	        {"controlplane.groups[0]", "controlplane.groups[0]: unknown key"},
	        {"controlplane.groupsx", "controlplane.groupsx: unknown key"},
	};
	int rc;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *s = get(c, ok[i].key, &rc);

		cr_expect_eq(rc, 0, "%s: %s", ok[i].key, cfg_test_err);
		cr_expect_str_eq(s, ok[i].want, "%s", ok[i].key);
		free(s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = get(c, bad[i].key, &rc);

		cr_expect_eq(rc, -ENOENT, "%s", bad[i].key);
		cr_expect_str_eq(cfg_test_err, bad[i].want);
		free(s);
	}
	cfg_free(c);
}

Test(cfg_groups, carrier_example_has_a_group)
{
	struct msw_cfg *c = NULL;
	const struct cfg_im_group *g;

	c = cfg_test_load_file_ok("config/examples/carrier.conf");
	g = cfg_im_group_find(c, "noc");
	cr_assert_not_null(g);
	cr_assert_eq(g->members.n, 3);
	cr_assert_eq(g->max_participants, 50);
	cfg_free(c);
}

Test(cfg_groups, table_rows_are_consistent)
{
	for (size_t i = 0; i < cfg_n_im_group_params; i++) {
		const struct cfg_param *p = &cfg_im_group_params[i];

		cr_expect_eq(cfg_im_group_param_find(p->member), p);
		cr_expect_gt(strlen(p->doc), 20, "%s needs a real doc line", p->member);
	}
	for (size_t i = 0; i < cfg_n_im_member_params; i++) {
		const struct cfg_param *p = &cfg_im_member_params[i];

		cr_expect_eq(cfg_im_member_param_find(p->member), p);
		cr_expect_gt(strlen(p->doc), 20, "%s needs a real doc line", p->member);
	}
	/* Every row's default parses (cfg_im_group_set_defaults() relies on it). */
	{
		struct cfg_im_group g;
		struct cfg_im_member m;
		char why[256];

		for (size_t i = 0; i < cfg_n_im_group_params; i++)
			cr_expect_eq(cfg_param_set_default(&cfg_im_group_params[i],
			                                   cfg_field(&g, &cfg_im_group_params[i]),
			                                   why, sizeof(why)),
			             0, "%s: %s", cfg_im_group_params[i].member, why);
		for (size_t i = 0; i < cfg_n_im_member_params; i++)
			cr_expect_eq(cfg_param_set_default(&cfg_im_member_params[i],
			                                   cfg_field(&m, &cfg_im_member_params[i]),
			                                   why, sizeof(why)),
			             0, "%s: %s", cfg_im_member_params[i].member, why);
	}
	cr_assert(cfg_param_required(cfg_im_group_param_find("name")));
	cr_assert(cfg_param_required(cfg_im_member_param_find("uri")));
	cr_assert_eq(cfg_param_find("controlplane.groups")->max, CFG_IM_GROUPS_MAX);
	cr_assert_eq(cfg_im_group_param_find("members")->max, CFG_IM_MEMBERS_MAX);
}

Test(cfg_groups, docs_describe_groups_and_members)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cfg_docs(f);
	fclose(f);
	cr_assert(strstr(buf, "\n## controlplane.groups\n") != NULL);
	cr_assert(strstr(buf, "| `controlplane.groups[].max_participants` | integer | 1..1000 | "
	                      "`controlplane.max_participants` |") != NULL);
	cr_assert(strstr(buf, "| `controlplane.groups[].members[].uri` | string | 1..255 bytes | "
	                      "required |") != NULL);
	cr_assert(strstr(buf, "| `controlplane.groups` | list of IM groups | 0..256 groups | "
	                      "empty |") != NULL);
	free(buf);
}

ParameterizedTestParameters(cfg_groups, errors)
{
	static struct cfg_bad_case cases[] = {
	        {"controlplane = { groups = { name = \"a\"; }; };\n",
	         "g.conf:1: controlplane.groups: expected a list of groups ( { ... }, ... ), got a "
	         "group"},
	        {"controlplane = { groups = ( \"a\" ); };\n",
	         "g.conf:1: controlplane.groups[0]: expected a group { name = ...; ... }, got a "
	         "string"},
	        {"controlplane = { groups = (\n  { display_name = \"A\"; } ); };\n",
	         "g.conf:2: controlplane.groups[0].name: missing (required)"},
	        {"controlplane = { groups = (\n  { name = \"a\";\n    colour = 1; } ); };\n",
	         "g.conf:3: controlplane.groups[0].colour: unknown key"},
	        {"controlplane = { groups = ( { name = \"a b\"; } ); };\n",
	         "g.conf:1: controlplane.groups[0].name: invalid character ' ' in \"a b\" "
	         "(allowed: letters, digits, '_', '-', '.')"},
	        {"controlplane = { groups = ( { name = \"a\"; max_participants = 0; } ); };\n",
	         "g.conf:1: controlplane.groups[0].max_participants: 0 is out of range 1..1000"},
	        {"controlplane = { groups = ( { name = \"a\"; max_participants = 1001; } ); };\n",
	         "g.conf:1: controlplane.groups[0].max_participants: 1001 is out of range 1..1000"},
	        {"controlplane = { max_participants = 1; };\n",
	         "g.conf:1: controlplane.max_participants: 1 is out of range 2..1000"},
	        {"controlplane = { groups = ( { name = \"a\"; invite_members = \"yes\"; } ); };\n",
	         "g.conf:1: controlplane.groups[0].invite_members: expected true or false, got a "
	         "string"},
	        {"controlplane = { groups = ( { name = \"a\";\n  display_name = \"x\\x01y\"; } ); "
	         "};\n",
	         "g.conf:2: controlplane.groups[0].display_name: control character 0x01 at byte "
	         "1"},
	        {"controlplane = { groups = ( { name = \"a\";\n  display_name = \"x\\xc3(\"; } ); "
	         "};\n",
	         "g.conf:2: controlplane.groups[0].display_name: not valid UTF-8 at byte 1"},
	        {"controlplane = { groups = (\n  { name = \"friends\"; },\n  { name = \"b\"; },\n"
	         "  { name = \"Friends\"; } ); };\n",
	         "g.conf:4: controlplane.groups[2].name: duplicate name \"Friends\" (also "
	         "controlplane.groups[0])"},
	        {"controlplane = { groups = (\n  { name = \"conf-factory\"; } ); };\n",
	         "g.conf:2: controlplane.groups[0].name: \"conf-factory\" is the conference "
	         "factory (controlplane.factory_user)"},
	        {"controlplane = { groups = (\n  { name = \"b\"; },\n  { name = \"room\"; } );\n"
	         "  factory_user = \"ROOM\"; };\n",
	         "g.conf:3: controlplane.groups[1].name: \"room\" is the conference factory "
	         "(controlplane.factory_user)"},
	        /* members */
	        {"controlplane = { groups = ( { name = \"a\"; members = \"sip:x@y\"; } ); };\n",
	         "g.conf:1: controlplane.groups[0].members: expected a list of groups ( { uri = "
	         "...; }, ... ), got a string"},
	        {"controlplane = { groups = ( { name = \"a\"; members = ( \"sip:x@y\" ); } ); };\n",
	         "g.conf:1: controlplane.groups[0].members[0]: expected a group { uri = ...; ... "
	         "}, got a string"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { display_name = \"X\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: missing (required)"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:x@y\"; role = \"chair\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].role: unknown key"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"http://example.com/x\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: \"http://example.com/x\" is not "
	         "a sip:, sips: or tel: URI"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"alice@example.com\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: \"alice@example.com\" is not a "
	         "sip:, sips: or tel: URI"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: \"sip:\" has nothing after the "
	         "scheme"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:al ice@example.com\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: \"sip:al ice@example.com\": "
	         "character 0x20 not allowed in a URI (percent-encode it)"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:x@y>\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: \"sip:x@y>\": character 0x3e "
	         "not allowed in a URI (percent-encode it)"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].uri: must not be empty"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:x@y\"; display_name = \"\\n\"; } ); } ); };\n",
	         "g.conf:2: controlplane.groups[0].members[0].display_name: control character "
	         "0x0a at byte 0"},
	        {"controlplane = { groups = ( { name = \"a\"; members = (\n"
	         "  { uri = \"sip:x@y\"; },\n  { uri = \"sip:z@y\"; },\n"
	         "  { uri = \"SIP:x@y\"; } ); } ); };\n",
	         "g.conf:4: controlplane.groups[0].members[2].uri: duplicate uri \"SIP:x@y\" "
	         "(also controlplane.groups[0].members[0])"},
	};
	return cr_make_param_array(struct cfg_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct cfg_bad_case *c, cfg_groups, errors)
{
	cfg_test_expect_error(c);
}

/* n groups of m members each; members differ per group only by index. */
static char *
store_text(int n, int m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fputs("controlplane = {\n groups = (\n", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s{ name = \"g%d\"; members = (", i ? "," : "", i);
		for (int j = 0; j < m; j++)
			fprintf(f, "%s{ uri = \"sip:u%d@example.com\"; }", j ? "," : "", j);
		fputs("); }\n", f);
	}
	fputs(");\n};\n", f);
	fclose(f);
	return buf;
}

Test(cfg_groups, limits)
{
	struct msw_cfg *c;
	char *t;

	t = store_text(CFG_IM_GROUPS_MAX + 1, 0);
	cr_assert_null(cfg_test_load(t));
	cr_assert_str_eq(cfg_test_err, "g.conf:2: controlplane.groups: 257 groups, must be 0..256");
	free(t);

	t = store_text(1, CFG_IM_MEMBERS_MAX + 1);
	cr_assert_null(cfg_test_load(t));
	cr_assert_str_eq(cfg_test_err,
	                 "g.conf:3: controlplane.groups[0].members: 257 members, must be "
	                 "0..256");
	free(t);

	/* A full store loads, dumps and reloads (and ASan sees every member freed). */
	t = store_text(CFG_IM_GROUPS_MAX, CFG_IM_MEMBERS_MAX);
	c = cfg_test_load_ok(t);
	cr_assert_eq(c->controlplane.groups.n, CFG_IM_GROUPS_MAX);
	cr_assert_eq(c->controlplane.groups.v[255].members.n, CFG_IM_MEMBERS_MAX);
	cr_assert_str_eq(c->controlplane.groups.v[255].members.v[255].uri, "sip:u255@example.com");
	free(t);
	t = cfg_test_dump(c, true);
	cfg_free(c);
	c = cfg_test_load_ok(t);
	cr_assert_eq(c->controlplane.groups.v[128].members.n, CFG_IM_MEMBERS_MAX);
	free(t);
	cfg_free(c);
}

Test(cfg_groups, error_after_groups_frees_them)
{
	/* A later error must not leak the groups already built (checked under ASan). */
	cr_assert_null(
	        cfg_test_load("controlplane = { groups = ( { name = \"a\"; members = (\n"
	                      "  { uri = \"sip:x@y\"; } ); },\n  { name = \"b\"; members = (\n"
	                      "  { uri = \"ftp:z\"; } ); } ); };\n"));
	cr_assert_str_eq(cfg_test_err,
	                 "g.conf:4: controlplane.groups[1].members[0].uri: \"ftp:z\" is not "
	                 "a sip:, sips: or tel: URI");
	cr_assert_null(
	        cfg_test_load("controlplane = { groups = ( { name = \"a\"; } ); };\nnope = 1;\n"));
	cr_assert_str_eq(cfg_test_err, "g.conf:2: nope: unknown key");
}
