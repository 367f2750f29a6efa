/* SPDX-License-Identifier: BSD-3-Clause */
/* common/cfg loader: defaults, every type, every error path with its exact message. */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <libconfig.h>

#include "cfg/cfg.h"
#include "cfg/cfg_pvt.h"
#include "log/log.h"

#define CFG_TEST_FILE "t.conf"
#include "test_cfg_util.h"

static const char *
ip(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

Test(cfg_load, empty_file_gives_every_default)
{
	struct msw_cfg *c = cfg_test_load_ok("");
	const struct cfg_port *p = &c->dataplane.ports.v[0];

	cr_assert_str_eq(c->source, "t.conf");
	cr_assert_str_eq(c->instance, "default");
	cr_assert_eq(c->log.level, CFG_LOG_LEVEL_NOTICE);
	cr_assert_eq(c->log.types.n, 0);
	cr_assert_null(c->log.types.v[0]);
	cr_assert_eq(c->log.timestamps, true);
	cr_assert_eq(c->eal.args.n, 4);
	cr_assert_str_eq(c->eal.args.v[0], "-m");
	cr_assert_str_eq(c->eal.args.v[1], "512");
	cr_assert_str_eq(c->eal.args.v[2], "--no-pci");
	cr_assert_str_eq(c->eal.args.v[3], "--vdev=net_tap0,iface=msw0,mac=02:6d:73:77:00:02");
	cr_assert_null(c->eal.args.v[4], "argv-style NULL terminator");
	cr_assert_str_eq(c->eal.lcores, "0");
	cr_assert_eq(c->eal.hugepages, CFG_HUGEPAGES_AUTO);
	cr_assert_eq(c->dataplane.workers, 1);
	cr_assert_eq(c->dataplane.msrp_port, 2855);
	cr_assert_eq(c->dataplane.idle_sleep_us, 100);
	cr_assert_eq(c->dataplane.ports.n, 1);
	cr_assert_str_eq(p->name, "tap0");
	cr_assert_eq(p->driver, CFG_PORT_DRIVER_TAP);
	cr_assert_str_eq(p->iface, "msw0");
	cr_assert(p->mac.set);
	cr_assert_arr_eq(p->mac.bytes, ((uint8_t[]){0x02, 0x6d, 0x73, 0x77, 0x00, 0x02}), 6);
	cr_assert_str_eq(ip(p->ipv4.addr), "10.77.0.2");
	cr_assert_eq(p->ipv4.len, 24);
	cr_assert_eq(p->queues, 1);
	cr_assert_eq(p->rss, false);
	cr_assert_eq(p->gateway.s_addr, 0);
	cr_assert_str_eq(p->pci, "");
	cr_assert_eq(c->msrp.max_header_bytes, 16384);
	cr_assert_eq(c->msrp.max_chunk_bytes, 1048576);
	cr_assert_eq(c->msrp.rechunk_bytes, 2048);
	cr_assert_eq(c->msrp.transaction_timeout_ms, 30000);
	cr_assert_eq(c->msrp.final_report_timeout_ms, 30000);
	cr_assert_eq(c->msrp.final_report_max_bytes, 65536);
	cr_assert_eq(c->tcp.rto_min_ms, 200);
	cr_assert_eq(c->tcp.time_wait_ms, 60000);
	cr_assert_eq(c->tcp.max_conns_per_lcore, 65536);
	cr_assert_eq(c->tcp.syn_backlog, 1024);
	cr_assert_eq(c->tcp.sndbuf_bytes, 262144);
	cr_assert_eq(c->tcp.mbufs_per_lcore, 16384);
	cr_assert_eq(c->ctl.blob_bytes, 4u << 20);
	cr_assert_str_eq(ip(c->controlplane.sip_address), "10.77.0.1");
	cr_assert_eq(c->controlplane.sip_port, 5060);
	cr_assert_eq(c->controlplane.transaction_timeout_ms, 32000);
	cr_assert_str_eq(c->netns.name, "msw");
	cr_assert_str_eq(ip(c->netns.host_ipv4.addr), "10.77.0.1");
	cr_assert_eq(c->netns.host_ipv4.len, 24);
	cfg_free(c);
}

Test(cfg_load, create_default_equals_empty_file)
{
	struct msw_cfg *a = cfg_create_default(), *b = cfg_test_load_ok("");
	char *da = cfg_test_dump(a, false), *db = cfg_test_dump(b, false);

	cr_assert_str_eq(a->source, "(defaults)");
	cr_assert_str_eq(da, db);
	free(da);
	free(db);
	cfg_free(a);
	cfg_free(b);
	cfg_free(NULL);
}

Test(cfg_load, table_rows_are_consistent)
{
	for (size_t i = 0; i < cfg_n_params; i++) {
		const struct cfg_param *p = &cfg_params[i];
		char key[128];

		snprintf(key, sizeof(key), "%s%s%s", p->group ? p->group : "", p->group ? "." : "",
		         p->member);
		cr_expect_str_eq(p->key, key);
		cr_expect_eq(cfg_param_find(p->key), p, "duplicate key %s", p->key);
		cr_expect_gt(strlen(p->doc), 20, "%s needs a real doc line", p->key);
		cr_expect_leq(p->min, p->max, "%s", p->key);
		if (p->type == CFG_T_U32 || p->type == CFG_T_U64)
			cr_expect(p->def_num >= p->min && p->def_num <= p->max, "%s", p->key);
		if (p->type == CFG_T_U32)
			cr_expect_leq(p->max, UINT32_MAX, "%s", p->key);
	}
	for (size_t i = 0; i < cfg_n_port_params; i++) {
		cr_expect_eq(cfg_port_param_find(cfg_port_params[i].member), &cfg_port_params[i]);
		cr_expect_gt(strlen(cfg_port_params[i].doc), 20);
	}
}

/* config/msw.conf is the commented default: same values, and it spells out every key. */
Test(cfg_load, msw_conf_equals_defaults_and_shows_every_key)
{
	const char *path = cfg_test_src_path("config/msw.conf");
	struct msw_cfg *file = NULL, *def = cfg_create_default();
	char *a, *b;
	config_t lc;

	cr_assert_eq(cfg_load(path, &file, cfg_test_err, sizeof(cfg_test_err)), 0, "%s",
	             cfg_test_err);
	a = cfg_test_dump(file, false);
	b = cfg_test_dump(def, false);
	cr_assert_str_eq(a, b);
	config_init(&lc);
	cr_assert(config_read_file(&lc, path));
	for (size_t i = 0; i < cfg_n_params; i++)
		cr_expect_not_null(config_lookup(&lc, cfg_params[i].key), "msw.conf lacks %s",
		                   cfg_params[i].key);
	/* The default port shows every key its driver takes. */
	for (size_t i = 0; i < cfg_n_port_params; i++) {
		const struct cfg_param *p = &cfg_port_params[i];
		char key[128];

		snprintf(key, sizeof(key), "dataplane.ports.[0].%s", p->member);
		if (cfg_port_key_driver(p) < 0 || cfg_port_key_driver(p) == CFG_PORT_DRIVER_TAP)
			cr_expect_not_null(config_lookup(&lc, key), "msw.conf lacks %s", key);
	}
	config_destroy(&lc);
	free(a);
	free(b);
	cfg_free(file);
	cfg_free(def);
}

Test(cfg_load, carrier_example)
{
	struct msw_cfg *c = NULL;
	const struct cfg_port *p;

	c = cfg_test_load_file_ok("config/examples/carrier.conf");
	cr_assert_eq(c->dataplane.ports.n, 2);
	for (uint32_t i = 0; i < 2; i++) {
		p = &c->dataplane.ports.v[i];
		cr_assert_eq(p->driver, CFG_PORT_DRIVER_PCI);
		cr_assert_eq(p->queues, 4);
		cr_assert(p->rss);
	}
	cr_assert_str_eq(c->dataplane.ports.v[0].pci, "0000:3b:00.0");
	cr_assert_str_eq(c->dataplane.ports.v[1].pci, "0000:3b:00.1");
	cr_assert_eq(c->eal.hugepages, CFG_HUGEPAGES_ON);
	cr_assert_geq(cfg_cpuset_count(c->eal.lcores), 4);
	cr_assert_eq(c->dataplane.workers, 4);
	cfg_free(c);
}

Test(cfg_load, test_example_has_short_timers)
{
	struct msw_cfg *c = NULL;

	c = cfg_test_load_file_ok("config/examples/test.conf");
	cr_assert_eq(c->msrp.transaction_timeout_ms, 2000);
	cr_assert_eq(c->tcp.rto_min_ms, 20);
	cr_assert_eq(c->tcp.time_wait_ms, 1000);
	cfg_free(c);
}

Test(cfg_load, dump_round_trips)
{
	static const char *const files[] = {"config/msw.conf", "config/examples/carrier.conf",
	                                    "config/examples/test.conf"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct msw_cfg *a = NULL, *b;
		char *da, *db, *text;
		size_t len;
		FILE *f;

		a = cfg_test_load_file_ok(files[i]);
		f = open_memstream(&text, &len);
		cfg_dump(a, f);
		fclose(f);
		b = cfg_test_load_ok(text);
		da = cfg_test_dump(a, false);
		db = cfg_test_dump(b, false);
		cr_assert_str_eq(da, db, "%s", files[i]);
		free(text);
		free(da);
		free(db);
		cfg_free(a);
		cfg_free(b);
	}
}

Test(cfg_load, values_of_every_type)
{
	struct msw_cfg *c = cfg_test_load_ok(
	        "instance = \"edge-1.a_b\";\n"
	        "log = { level = \"DEBUG\"; types = [ \"msw.dp.*:debug\", \"msw.cfg:error\" ];\n"
	        "        timestamps = false; };\n"
	        "eal = { args = ( \"-a\", \"0000:3b:00.0\" ); lcores = \"0-3,8,10-11\";\n"
	        "        hugepages = \"off\"; };\n"
	        "dataplane = { workers = 7L; msrp_port = 0xb27; idle_sleep_us = 0;\n"
	        "  ports = ( { name = \"p0\"; driver = \"pci\"; pci = \"3B:00.1\";\n"
	        "              mac = \"02:AB:cd:00:00:01\"; queues = 8; rss = true;\n"
	        "              ipv4 = \"192.0.2.10/31\"; gateway = \"192.0.2.11\"; },\n"
	        "            { name = \"m0\"; driver = \"memif\"; memif_socket = \"/run/m.sock\";\n"
	        "              memif_role = \"client\"; ipv4 = \"10.0.0.1/8\"; },\n"
	        "            { name = \"r0\"; driver = \"ring\"; ipv4 = \"10.1.0.1/32\"; },\n"
	        "            { name = \"n0\"; driver = \"null\"; ipv4 = \"10.2.0.1/16\"; } ); };\n"
	        "ctl = { blob_bytes = 4294967296L; };\n"
	        "controlplane = { sip_address = \"0.0.0.0\"; };\n"
	        "netns = { host_ipv4 = \"172.16.0.1/12\"; };\n");
	const struct cfg_ports *ps = &c->dataplane.ports;

	cr_assert_str_eq(c->instance, "edge-1.a_b");
	cr_assert_eq(c->log.level, CFG_LOG_LEVEL_DEBUG);
	cr_assert_eq(c->log.types.n, 2);
	cr_assert_str_eq(c->log.types.v[1], "msw.cfg:error");
	cr_assert_eq(c->log.timestamps, false);
	cr_assert_eq(c->eal.args.n, 2, "the file's list replaces the default");
	cr_assert_str_eq(c->eal.lcores, "0-3,8,10-11");
	cr_assert_eq(cfg_cpuset_count(c->eal.lcores), 7);
	cr_assert_eq(c->eal.hugepages, CFG_HUGEPAGES_OFF);
	cr_assert_eq(c->dataplane.workers, 7);
	cr_assert_eq(c->dataplane.msrp_port, 2855);
	cr_assert_eq(c->dataplane.idle_sleep_us, 0);
	cr_assert_eq(ps->n, 4);
	cr_assert_str_eq(ps->v[0].pci, "0000:3b:00.1");
	cr_assert_arr_eq(ps->v[0].mac.bytes, ((uint8_t[]){0x02, 0xab, 0xcd, 0, 0, 1}), 6);
	cr_assert_eq(ps->v[0].queues, 8);
	cr_assert_str_eq(ip(ps->v[0].ipv4.addr), "192.0.2.10");
	cr_assert_eq(ps->v[0].ipv4.len, 31);
	cr_assert_str_eq(ip(ps->v[0].gateway), "192.0.2.11");
	cr_assert_eq(ps->v[0].line, 7);
	cr_assert_eq(ps->v[1].driver, CFG_PORT_DRIVER_MEMIF);
	cr_assert_str_eq(ps->v[1].memif_socket, "/run/m.sock");
	cr_assert_eq(ps->v[1].memif_role, CFG_MEMIF_ROLE_CLIENT);
	cr_assert_not(ps->v[1].mac.set);
	cr_assert_eq(ps->v[2].driver, CFG_PORT_DRIVER_RING);
	cr_assert_eq(ps->v[3].driver, CFG_PORT_DRIVER_NULL);
	cr_assert_eq(c->ctl.blob_bytes, 4294967296ull);
	cr_assert_eq(c->controlplane.sip_address.s_addr, 0);
	cr_assert_eq(c->netns.host_ipv4.len, 12);
	cfg_free(c);
}

ParameterizedTestParameters(cfg_load, errors)
{
	static struct cfg_bad_case cases[] = {
	        /* unknown keys at every depth */
	        {"colour = 1;\n", "t.conf:1: colour: unknown key"},
	        {"log = {\n  level = \"info\";\n  colour = true;\n};\n",
	         "t.conf:3: log.colour: unknown key"},
	        {"dataplane = {\n ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = "
	         "\"1.2.3.4/24\";\n"
	         "    speed = 10; }\n );\n};\n",
	         "t.conf:4: dataplane.ports[0].speed: unknown key"},
	        {"tcp = { rto_min_ms = 5; };\nctl = { blob = 1; };\n",
	         "t.conf:2: ctl.blob: unknown key"},
	        /* syntax, reported by libconfig */
	        {"a = ;\n", "t.conf:1: syntax error"},
	        {"log = {\n level = \"info\"\n", "t.conf:3: syntax error"},
	        {"instance = \"a\";\ninstance = \"b\";\n", "t.conf:2: duplicate setting name"},
	        /* shapes and types */
	        {"log = 5;\n", "t.conf:1: log: expected a group { ... }, got an integer"},
	        {"instance = { };\n", "t.conf:1: instance: expected a string (name), got a group"},
	        {"dataplane = { workers = \"2\"; };\n",
	         "t.conf:1: dataplane.workers: expected an integer, got a string"},
	        {"tcp = { rto_min_ms = 1.5; };\n",
	         "t.conf:1: tcp.rto_min_ms: expected an integer, got a float"},
	        {"log = { timestamps = \"yes\"; };\n",
	         "t.conf:1: log.timestamps: expected true or false, got a string"},
	        {"log = { timestamps = 1; };\n",
	         "t.conf:1: log.timestamps: expected true or false, got an integer"},
	        {"eal = { hugepages = true; };\n",
	         "t.conf:1: eal.hugepages: expected a string (enum), got a boolean"},
	        /* integer ranges */
	        {"dataplane = {\n  workers = 0;\n};\n",
	         "t.conf:2: dataplane.workers: 0 is out of range 1..128"},
	        {"dataplane = { msrp_port = 65536; };\n",
	         "t.conf:1: dataplane.msrp_port: 65536 is out of range 1..65535"},
	        {"tcp = { rto_min_ms = -1; };\n",
	         "t.conf:1: tcp.rto_min_ms: -1 is out of range 1..60000"},
	        {"tcp = { time_wait_ms = 0; };\n",
	         "t.conf:1: tcp.time_wait_ms: 0 is out of range 100..240000"},
	        {"msrp = { max_header_bytes = 511; };\n",
	         "t.conf:1: msrp.max_header_bytes: 511 is out of range 512..1048576"},
	        {"ctl = { blob_bytes = 4294967297L; };\n",
	         "t.conf:1: ctl.blob_bytes: 4294967297 is out of range 65536..4294967296"},
	        {"dataplane = { workers = 200L; };\n",
	         "t.conf:1: dataplane.workers: 200 is out of range 1..128"},
	        /* libconfig would silently keep 32 bits of these */
	        {"tcp = {\n  sndbuf_bytes = 4294971392;\n};\n",
	         "t.conf:2: tcp.sndbuf_bytes: 4294971392 does not fit in 32 bits; write 64-bit "
	         "values "
	         "with an L suffix (4294971392L)"},
	        {"ctl = { blob_bytes = 0x100010000; };\n",
	         "t.conf:1: ctl.blob_bytes: 0x100010000 does not fit in 32 bits; write 64-bit "
	         "values "
	         "with an L suffix (0x100010000L)"},
	        {"tcp = { syn_backlog = 99999999999999999999999; };\n",
	         "t.conf:1: tcp.syn_backlog: 99999999999999999999999 does not fit in 32 bits; "
	         "write "
	         "64-bit values with an L suffix (99999999999999999999999L)"},
	        /* strings and names */
	        {"instance = \"0123456789012345678901234567890123\";\n",
	         "t.conf:1: instance: 34 bytes long, at most 31 allowed"},
	        {"instance = \"\";\n", "t.conf:1: instance: must not be empty"},
	        {"netns = { name = \"a/b\"; };\n", "t.conf:1: netns.name: invalid character '/' in "
	                                           "\"a/b\" (allowed: letters, digits, "
	                                           "'_', '-', '.')"},
	        {"netns = { name = \"-x\"; };\n",
	         "t.conf:1: netns.name: \"-x\" must not start with '-'"},
	        /* enums */
	        {"log = { level = \"loud\"; };\n",
	         "t.conf:1: log.level: \"loud\" is not one of error, warning, notice, info, debug"},
	        {"eal = { hugepages = \"maybe\"; };\n",
	         "t.conf:1: eal.hugepages: \"maybe\" is not one of auto, on, off"},
	        /* addresses */
	        {"controlplane = { sip_address = \"10.0.0.256\"; };\n",
	         "t.conf:1: controlplane.sip_address: \"10.0.0.256\" is not an IPv4 address "
	         "(A.B.C.D)"},
	        {"controlplane = { sip_address = \"10.0.0.1/24\"; };\n",
	         "t.conf:1: controlplane.sip_address: \"10.0.0.1/24\" is not an IPv4 address "
	         "(A.B.C.D)"},
	        {"netns = { host_ipv4 = \"10.0.0.1\"; };\n",
	         "t.conf:1: netns.host_ipv4: \"10.0.0.1\" is not an IPv4 prefix (A.B.C.D/NN)"},
	        {"netns = { host_ipv4 = \"10.0.0.1/0\"; };\n",
	         "t.conf:1: netns.host_ipv4: prefix length in \"10.0.0.1/0\" must be 1..32"},
	        {"netns = { host_ipv4 = \"10.0.0.1/33\"; };\n",
	         "t.conf:1: netns.host_ipv4: prefix length in \"10.0.0.1/33\" must be 1..32"},
	        {"netns = { host_ipv4 = \"10.0.0/24\"; };\n",
	         "t.conf:1: netns.host_ipv4: \"10.0.0/24\" is not an IPv4 prefix (A.B.C.D/NN)"},
	        /* CPU lists */
	        {"eal = { lcores = \"3-1\"; };\n",
	         "t.conf:1: eal.lcores: range 3-1 in \"3-1\" is backwards"},
	        {"eal = { lcores = \"0-3,2\"; };\n",
	         "t.conf:1: eal.lcores: CPU 2 appears twice in \"0-3,2\""},
	        {"eal = { lcores = \"1024\"; };\n",
	         "t.conf:1: eal.lcores: CPU 1024 in \"1024\" is above 1023"},
	        {"eal = { lcores = \"0,\"; };\n",
	         "t.conf:1: eal.lcores: \"0,\" is not a CPU list (e.g. \"0-3,6\")"},
	        {"eal = { lcores = \"\"; };\n",
	         "t.conf:1: eal.lcores: \"\" is not a CPU list (e.g. \"0-3,6\")"},
	        /* string lists */
	        {"eal = { args = \"--no-huge\"; };\n",
	         "t.conf:1: eal.args: expected a list of strings [ \"...\", ... ], got a string"},
	        {"eal = {\n  args = ( \"a\",\n    1 );\n};\n",
	         "t.conf:3: eal.args[1]: expected a string, got an integer"},
	        {"eal = { args = [ \"\" ]; };\n", "t.conf:1: eal.args[0]: empty item"},
	        {"eal = {\n  args = [ \"-m\", \"64\", \"--no-huge\" ];\n};\n",
	         "t.conf:2: eal.args: \"--no-huge\" is set by eal.hugepages"},
	        {"eal = { args = [ \"--in-memory\" ]; };\n",
	         "t.conf:1: eal.args: \"--in-memory\" is set by eal.hugepages"},
	        {"eal = { args = [ \"-l0-3\" ]; };\n",
	         "t.conf:1: eal.args: \"-l0-3\" is set by eal.lcores"},
	        {"eal = { args = [ \"--lcores=1\" ]; };\n",
	         "t.conf:1: eal.args: \"--lcores=1\" is set by eal.lcores"},
	        {"log = {\n  types = [ \"msw.dp.*:debug\",\n    \"msw.cp:loud\" ];\n};\n",
	         "t.conf:3: log.types[1]: unknown log level \"loud\" (expected error, warning, "
	         "notice, "
	         "info or debug)"},
	        {"log = { types = [ \"msw.dp\" ]; };\n",
	         "t.conf:1: log.types[0]: expected TYPE:LEVEL, e.g. \"msw.dp.*:debug\""},
	        /* cross-parameter rules */
	        {"msrp = { max_chunk_bytes = 2048;\n  rechunk_bytes = 4096; };\n",
	         "t.conf:2: msrp.rechunk_bytes: 4096 is larger than msrp.max_chunk_bytes (2048)"},
	        {"engine = { max_conference_legs = 50; };\ncontrolplane = { max_participants = 60; "
	         "};\n",
	         "t.conf:2: controlplane.max_participants: 60 is larger than "
	         "engine.max_conference_legs (50)"},
	        {"engine = { max_conference_legs = 50; };\ncontrolplane = { groups = ( { name = "
	         "\"g\";\n  max_participants = 70; } ); max_participants = 40; };\n",
	         "t.conf:3: controlplane.groups[0].max_participants: 70 is larger than "
	         "engine.max_conference_legs (50)"},
	        {"eal = { lcores = \"0-1\"; };\ndataplane = { workers = 3; };\n",
	         "t.conf:2: dataplane.workers: 3 workers need as many CPUs in eal.lcores (\"0-1\" "
	         "has 2)"},
	        /* ports */
	        {"dataplane = { ports = { name = \"a\"; }; };\n",
	         "t.conf:1: dataplane.ports: expected a list of groups ( { ... }, ... ), got a "
	         "group"},
	        {"dataplane = { ports = (); };\n",
	         "t.conf:1: dataplane.ports: 0 ports, must be 1..16"},
	        {"dataplane = { ports = ( \"a\" ); };\n",
	         "t.conf:1: dataplane.ports[0]: expected a group { name = ...; ... }, got a "
	         "string"},
	        {"dataplane = { ports = (\n  { iface = \"x\"; ipv4 = \"1.2.3.4/24\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].name: missing (required)"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].ipv4: missing (required)"},
	        {"dataplane = { ports = (\n  { name = \"a\"; driver = \"pci\"; ipv4 = "
	         "\"1.2.3.4/24\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].pci: missing, driver pci needs it"},
	        {"dataplane = { ports = (\n  { name = \"a\"; ipv4 = \"1.2.3.4/24\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].iface: missing, driver tap needs it"},
	        {"dataplane = { ports = (\n  { name = \"a\"; driver = \"memif\"; ipv4 = "
	         "\"1.2.3.4/24\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].memif_socket: missing, driver memif needs it"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = "
	         "\"1.2.3.4/24\";\n"
	         "    pci = \"0000:3b:00.0\"; } ); };\n",
	         "t.conf:3: dataplane.ports[0].pci: not allowed with driver tap"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = "
	         "\"1.2.3.4/24\";\n"
	         "    memif_role = \"client\"; } ); };\n",
	         "t.conf:3: dataplane.ports[0].memif_role: not allowed with driver tap"},
	        {"dataplane = { ports = (\n  { name = \"a\"; driver = \"null\"; iface = \"x\"; "
	         "ipv4 = \"1.2.3.4/24\"; } ); };\n",
	         "t.conf:2: dataplane.ports[0].iface: not allowed with driver null"},
	        {"dataplane = { ports = ( { name = \"a\"; driver = \"virtio\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].driver: \"virtio\" is not one of pci, tap, memif, "
	         "ring, null"},
	        {"dataplane = { ports = ( { name = \"a\"; driver = \"pci\"; pci = \"3b:00\"; } ); "
	         "};\n",
	         "t.conf:1: dataplane.ports[0].pci: \"3b:00\" is not a PCI address (DDDD:BB:DD.F)"},
	        {"dataplane = { ports = ( { name = \"a\"; driver = \"pci\"; pci = "
	         "\"0000:3b:20.0\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].pci: \"0000:3b:20.0\": PCI device must be 00..1f "
	         "and "
	         "function 0..7"},
	        {"dataplane = { ports = ( { name = \"a\"; mac = \"01:00:5e:00:00:01\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].mac: \"01:00:5e:00:00:01\" is a multicast address, "
	         "a port "
	         "needs a unicast one"},
	        {"dataplane = { ports = ( { name = \"a\"; mac = \"02:00:00:00:00\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].mac: \"02:00:00:00:00\" is not a MAC address "
	         "(XX:XX:XX:XX:XX:XX)"},
	        {"dataplane = { ports = ( { name = \"a\"; mac = \"00:00:00:00:00:00\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].mac: \"00:00:00:00:00:00\" is the all-zero address"},
	        {"dataplane = { ports = ( { name = \"a\"; queues = 65; } ); };\n",
	         "t.conf:1: dataplane.ports[0].queues: 65 is out of range 1..64"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = "
	         "\"1.2.3.4/24\";\n"
	         "    queues = 4; } ); };\n",
	         "t.conf:3: dataplane.ports[0].queues: 4 queues need rss = true to spread "
	         "connections "
	         "over them"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = \"1.2.3.4/24\"; "
	         "},\n"
	         "  { name = \"a\"; iface = \"y\"; ipv4 = \"1.2.3.5/24\"; } ); };\n",
	         "t.conf:3: dataplane.ports[1].name: duplicate name \"a\" (also "
	         "dataplane.ports[0])"},
	        {"dataplane = { ports = (\n"
	         "  { name = \"a\"; driver = \"pci\"; pci = \"3b:00.0\"; ipv4 = \"1.2.3.4/24\"; "
	         "},\n"
	         "  { name = \"b\"; driver = \"pci\"; pci = \"0000:3B:00.0\"; ipv4 = "
	         "\"1.2.3.5/24\"; } ); };\n",
	         "t.conf:3: dataplane.ports[1].pci: duplicate pci \"0000:3b:00.0\" (also "
	         "dataplane.ports[0])"},
	        {"dataplane = { ports = (\n  { name = \"a\"; iface = \"x\"; ipv4 = \"1.2.3.4/24\"; "
	         "},\n"
	         "  { name = \"b\"; iface = \"x\"; ipv4 = \"1.2.3.5/24\"; } ); };\n",
	         "t.conf:3: dataplane.ports[1].iface: duplicate iface \"x\" (also "
	         "dataplane.ports[0])"},
	        {"dataplane = { ports = ( { name = \"a b\"; } ); };\n",
	         "t.conf:1: dataplane.ports[0].name: invalid character ' ' in \"a b\" (allowed: "
	         "letters, digits, '_', '-', '.')"},
	};
	return cr_make_param_array(struct cfg_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct cfg_bad_case *c, cfg_load, errors)
{
	cfg_test_expect_error(c);
}

static void
ports_text(char *text, size_t cap, int n)
{
	size_t off = (size_t)snprintf(text, cap, "dataplane = {\n ports = (\n");

	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(
		        text + off, cap - off,
		        "%s{ name = \"p%d\"; driver = \"null\"; ipv4 = \"10.0.%d.1/24\"; }\n",
		        i ? "," : "", i, i);
	snprintf(text + off, cap - off, ");\n};\n");
}

Test(cfg_load, port_count_limit)
{
	char text[8192];
	struct msw_cfg *c;

	ports_text(text, sizeof(text), CFG_PORTS_MAX + 1);
	cr_assert_null(cfg_test_load(text));
	cr_assert_str_eq(cfg_test_err, "t.conf:2: dataplane.ports: 17 ports, must be 1..16");
	ports_text(text, sizeof(text), CFG_PORTS_MAX);
	c = cfg_test_load_ok(text);
	cr_assert_eq(c->dataplane.ports.n, CFG_PORTS_MAX);
	cr_assert_str_eq(c->dataplane.ports.v[15].name, "p15");
	cr_assert_eq(c->dataplane.ports.v[15].line, 18);
	cfg_free(c);
}

Test(cfg_load, too_many_log_types)
{
	char text[8192];
	size_t off = (size_t)snprintf(text, sizeof(text), "log = { types = [");

	for (int i = 0; i < 65; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"msw.t%d:debug\"",
		                        i ? ", " : "", i);
	snprintf(text + off, sizeof(text) - off, "]; };\n");
	cr_assert_null(cfg_test_load(text));
	cr_assert_str_eq(cfg_test_err, "t.conf:1: log.types: 65 items, must be 0..64");
}

Test(cfg_load, small_error_buffer_is_cut_not_overflowed)
{
	struct msw_cfg *cfg = NULL;
	char small[12];

	memset(small, 'z', sizeof(small));
	cr_assert_eq(cfg_load_string("colour = 1;", "t.conf", &cfg, small, sizeof(small)), -EINVAL);
	cr_assert_str_eq(small, "t.conf:1: c");
}

Test(cfg_load, file_errors)
{
	struct msw_cfg *cfg = NULL;
	char dir[] = "/tmp/msw-cfg-XXXXXX", path[256];
	FILE *f;

	cr_assert_eq(cfg_load("/nonexistent/msw.conf", &cfg, cfg_test_err, sizeof(cfg_test_err)),
	             -ENOENT);
	cr_assert_str_eq(cfg_test_err,
	                 "/nonexistent/msw.conf: cannot open: No such file or directory");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(cfg_load(dir, &cfg, cfg_test_err, sizeof(cfg_test_err)), -EISDIR);
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	f = fopen(path, "w");
	fwrite("a = 1;\0b = 2;\n", 1, 14, f);
	fclose(f);
	cr_assert_eq(cfg_load(path, &cfg, cfg_test_err, sizeof(cfg_test_err)), -EINVAL);
	cr_assert(strstr(cfg_test_err, "nul.conf: contains a NUL byte, not a text file") != NULL,
	          "%s", cfg_test_err);
	unlink(path);
	/* The error names the file as the caller spelled it. */
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	f = fopen(path, "w");
	fputs("# comment\n\ntcp = {\n\trto_min_ms = 0;\n};\n", f);
	fclose(f);
	cr_assert_eq(cfg_load(path, &cfg, cfg_test_err, sizeof(cfg_test_err)), -EINVAL);
	char want[512];
	snprintf(want, sizeof(want), "%s:4: tcp.rto_min_ms: 0 is out of range 1..60000", path);
	cr_assert_str_eq(cfg_test_err, want);
	unlink(path);
	rmdir(dir);
	cr_assert_null(cfg);
}

Test(cfg_load, include_relative_to_the_file)
{
	struct msw_cfg *cfg = NULL;
	char want[4096];

	cfg = cfg_test_load_file_ok("tests/unit/cfg/include_main.conf");
	cr_assert_str_eq(cfg->instance, "inc");
	cr_assert_eq(cfg->tcp.rto_min_ms, 25);
	cfg_free(cfg);

	cr_assert_eq(cfg_load(cfg_test_src_path("tests/unit/cfg/include_bad_main.conf"), &cfg,
	                      cfg_test_err, sizeof(cfg_test_err)),
	             -EINVAL);
	snprintf(want, sizeof(want), "%s:6: tcp.time_wait_ms: 50 is out of range 100..240000",
	         cfg_test_src_path("tests/unit/cfg/include_bad_part.conf"));
	cr_assert_str_eq(cfg_test_err, want);

	cr_assert_eq(cfg_load(cfg_test_src_path("tests/unit/cfg/include_wide_main.conf"), &cfg,
	                      cfg_test_err, sizeof(cfg_test_err)),
	             -EINVAL);
	snprintf(want, sizeof(want),
	         "%s:4: tcp.sndbuf_bytes: 4294971392 does not fit in 32 bits; write 64-bit values "
	         "with an L suffix (4294971392L)",
	         cfg_test_src_path("tests/unit/cfg/include_wide_part.conf"));
	cr_assert_str_eq(cfg_test_err, want);

	cr_assert_eq(cfg_load(cfg_test_src_path("tests/unit/cfg/include_missing.conf"), &cfg,
	                      cfg_test_err, sizeof(cfg_test_err)),
	             -EINVAL);
	snprintf(want, sizeof(want), "%s:4: cannot open include file",
	         cfg_test_src_path("tests/unit/cfg/include_missing.conf"));
	cr_assert_str_eq(cfg_test_err, want);
}

Test(cfg_load, wide_literal_check_ignores_comments_strings_and_floats)
{
	struct msw_cfg *c = cfg_test_load_ok("# 99999999999 in a comment\n"
	                                     "/* 88888888888 */ // 77777777777\n"
	                                     "instance = \"x99999999999\";\n"
	                                     "eal = { args = [ \"-m\", \"99999999999\" ]; };\n"
	                                     "ctl = { blob_bytes = 4294967296L; };\n"
	                                     "tcp = { rto_min_ms = 250L; };\n");

	cfg_free(c);
	/* 2147483647 is the largest literal libconfig keeps as is. */
	cr_assert_null(cfg_test_load("tcp = { rto_min_ms = 2147483647; };\n"));
	cr_assert_str_eq(cfg_test_err,
	                 "t.conf:1: tcp.rto_min_ms: 2147483647 is out of range 1..60000");
	cr_assert_null(cfg_test_load("tcp = { rto_min_ms = 2147483648; };\n"));
	cr_assert_str_eq(cfg_test_err,
	                 "t.conf:1: tcp.rto_min_ms: 2147483648 does not fit in 32 bits; "
	                 "write 64-bit values with an L suffix (2147483648L)");
}

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

Test(cfg_load, get_values)
{
	struct msw_cfg *c = NULL;
	char *s;
	int rc;

	c = cfg_test_load_file_ok("config/examples/carrier.conf");
	s = get(c, "dataplane.workers", &rc);
	cr_assert_str_eq(s, "4\n");
	free(s);
	s = get(c, "eal.args", &rc);
	cr_assert_str_eq(s, "-a\n0000:3b:00.0\n-a\n0000:3b:00.1\n-n\n4\n");
	free(s);
	s = get(c, "dataplane.ports", &rc);
	cr_assert_str_eq(s, "core0\ncore1\n");
	free(s);
	s = get(c, "dataplane.ports[1].pci", &rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(s, "0000:3b:00.1\n");
	free(s);
	s = get(c, "dataplane.ports.core0.ipv4", &rc);
	cr_assert_str_eq(s, "192.0.2.10/24\n");
	free(s);
	s = get(c, "dataplane.ports.core0.rss", &rc);
	cr_assert_str_eq(s, "true\n");
	free(s);
	s = get(c, "eal.hugepages", &rc);
	cr_assert_str_eq(s, "on\n");
	free(s);
	s = get(c, "controlplane.sip_address", &rc);
	cr_assert_str_eq(s, "192.0.2.20\n");
	free(s);
	s = get(c, "log.types", &rc);
	cr_assert_str_eq(s, "msw.cfg:info\n");
	free(s);

	s = get(c, "dataplane.nope", &rc);
	cr_assert_eq(rc, -ENOENT);
	cr_assert_str_eq(cfg_test_err, "dataplane.nope: unknown key");
	free(s);
	s = get(c, "tcp", &rc);
	cr_assert_eq(rc, -ENOENT);
	cr_assert_str_eq(cfg_test_err, "tcp: is a group, ask for one of its keys");
	free(s);
	s = get(c, "dataplane.ports[2].name", &rc);
	cr_assert_str_eq(cfg_test_err, "dataplane.ports[2].name: there are only 2 ports");
	free(s);
	s = get(c, "dataplane.ports.core9.name", &rc);
	cr_assert_str_eq(cfg_test_err, "dataplane.ports.core9.name: no port named \"core9\"");
	free(s);
	s = get(c, "dataplane.ports.core1", &rc);
	cr_assert_eq(rc, -ENOENT);
	free(s);
	s = get(c, "dataplane.ports[0].colour", &rc);
	cr_assert_str_eq(cfg_test_err, "dataplane.ports[0].colour: unknown key");
	free(s);
	cfg_free(c);
}

Test(cfg_load, get_port_by_dotted_name)
{
	struct msw_cfg *c = cfg_test_load_ok(
	        "dataplane = { ports = (\n"
	        "  { name = \"a\"; driver = \"null\"; ipv4 = \"10.0.0.1/24\"; },\n"
	        "  { name = \"a.b\"; driver = \"null\"; ipv4 = \"10.0.1.1/24\"; } ); };\n");
	char *s;
	int rc;

	s = get(c, "dataplane.ports.a.b.ipv4", &rc);
	cr_assert_eq(rc, 0, "%s", cfg_test_err);
	cr_assert_str_eq(s, "10.0.1.1/24\n");
	free(s);
	s = get(c, "dataplane.ports.a.ipv4", &rc);
	cr_assert_str_eq(s, "10.0.0.1/24\n");
	free(s);
	cfg_free(c);
}

Test(cfg_load, dump_quotes_strings_and_marks_wide_integers)
{
	struct msw_cfg *c =
	        cfg_test_load_ok("eal = { args = [ \"a\\\"b\\\\c\", \"tab\\there\" ]; };\n"
	                         "ctl = { blob_bytes = 4294967296L; };\n");
	char *d = cfg_test_dump(c, false);

	cr_assert(strstr(d, "args = [ \"a\\\"b\\\\c\", \"tab\\there\" ];") != NULL, "%s", d);
	cr_assert(strstr(d, "blob_bytes = 4294967296L;") != NULL, "%s", d);
	free(d);
	cfg_free(c);
}

LOG_TYPE_DEFINE(t_dp, "msw.dp.tcp")
LOG_TYPE_DEFINE(t_cfg, "msw.cfg")

Test(cfg_load, log_apply)
{
	struct msw_cfg *c =
	        cfg_test_load_ok("log = { level = \"warning\"; types = [ \"msw.dp.*:debug\" ];"
	                         " timestamps = false; };");

	cr_assert_eq(cfg_log_apply(c, cfg_test_err, sizeof(cfg_test_err)), 0, "%s", cfg_test_err);
	cr_assert(log_enabled(&t_dp, LOG_LEVEL_DEBUG));
	cr_assert(log_enabled(&t_cfg, LOG_LEVEL_WARNING));
	cr_assert_not(log_enabled(&t_cfg, LOG_LEVEL_NOTICE));
	cr_assert_eq(log_get_level(), LOG_LEVEL_WARNING);
	cfg_free(c);
}
