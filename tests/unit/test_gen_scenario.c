/* SPDX-License-Identifier: BSD-3-Clause */
/* msw-gen scenario loader: every key, defaults, the shipped scenarios, FILE:LINE errors. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "gen_scenario.h"

static int
load(const char *text, struct gen_scenario *s, char *err)
{
	return gen_scenario_load_string(text, "t.conf", s, err, GEN_ERR_CAP);
}

Test(gen_scenario, every_key)
{
	static const char text[] =
	        "conferences = 3;\n"
	        "legs = 4;\n"
	        "threads = 2;\n"
	        "duration_ms = 2000;\n"
	        "warmup_ms = 500;\n"
	        "drain_ms = 3000;\n"
	        "window = 8;\n"
	        "chunk_bytes = 1024;\n"
	        "size = { dist = \"list\"; values = [100, 4096]; weights = [3, 1]; };\n"
	        "reports = { success_pct = 10; failure_pct = 50; final_pct = 5; };\n"
	        "target = { address = \"10.83.0.2\"; port = 2856; };\n"
	        "local_address = \"10.83.0.1\";\n"
	        "setup = \"ctl\";\n"
	        "instance = \"gen1\";\n"
	        "cpim = \"wrap\";\n"
	        "seed = 3000000000L;\n";
	static const char dpdk[] = "window = 1;\nengine = \"dpdk\";\n"
	                           "dpdk = { memif_socket = \"/run/msw/a.memif\"; address = "
	                           "\"10.90.0.1\"; prefix_len = 16; lcore = 3; ring_log2 = 11; "
	                           "};\n";
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";
	char ip[INET_ADDRSTRLEN];

	cr_assert_eq(load(text, &s, err), 0, "%s", err);
	cr_assert_eq(s.conferences, 3);
	cr_assert_eq(s.legs, 4);
	cr_assert_eq(s.threads, 2);
	cr_assert_eq(s.duration_ms, 2000);
	cr_assert_eq(s.warmup_ms, 500);
	cr_assert_eq(s.drain_ms, 3000);
	cr_assert_eq(s.window, 8);
	cr_assert_eq(s.rate, 0);
	cr_assert_eq(s.chunk_bytes, 1024);
	cr_assert_eq(s.size_dist, GEN_SIZE_DIST_LIST);
	cr_assert_eq(s.size_values.n, 2);
	cr_assert_eq(s.size_values.v[1], 4096);
	cr_assert_eq(s.weight_total, 4);
	cr_assert_eq(s.success_pct, 10);
	cr_assert_eq(s.failure_pct, 50);
	cr_assert_eq(s.final_pct, 5);
	inet_ntop(AF_INET, &s.target_address, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.83.0.2");
	cr_assert_eq(s.target_port, 2856);
	cr_assert(s.local_address_set);
	cr_assert_eq(s.setup, GEN_SETUP_CTL);
	cr_assert_str_eq(s.instance, "gen1");
	cr_assert_eq(s.cpim, GEN_CPIM_WRAP);
	cr_assert_eq(s.seed, 3000000000u);
	cr_assert_eq(gen_scenario_max_size(&s), 4096);
	cr_assert_eq(s.engine, GEN_ENGINE_KERNEL);
	cr_assert_eq(load(dpdk, &s, err), 0, "%s", err);
	cr_assert_eq(s.engine, GEN_ENGINE_DPDK);
	cr_assert_str_eq(s.dpdk_memif_socket, "/run/msw/a.memif");
	cr_assert(s.dpdk_address_set);
	cr_assert_eq(s.dpdk_prefix_len, 16);
	cr_assert_eq(s.dpdk_lcore, 3);
	cr_assert_eq(s.dpdk_ring_log2, 11);
	cr_assert_eq(s.dpdk_addresses, 1);
	cr_assert_eq(s.traffic, GEN_TRAFFIC_MESSAGES);
}

/* Traffic "idle" from many source addresses (the scale_idle mode). */
Test(gen_scenario, idle_many_addresses)
{
	static const char text[] = "conferences = 1000;\nlegs = 100;\ntraffic = \"idle\";\n"
	                           "engine = \"dpdk\";\n"
	                           "dpdk = { memif_socket = \"/run/a.memif\"; address = "
	                           "\"10.91.1.1\"; prefix_len = 16; addresses = 4; };\n";
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";

	cr_assert_eq(load(text, &s, err), 0, "%s", err);
	cr_assert_eq(s.traffic, GEN_TRAFFIC_IDLE);
	cr_assert_eq(s.rate, 0);
	cr_assert_eq(s.window, 0);
	cr_assert_eq(s.dpdk_addresses, 4);
	/* The last address of a /24 but one (.254) is the highest a run may use. */
	cr_assert_eq(load("window = 1;\nengine = \"dpdk\";\ndpdk = { memif_socket = \"/run/a\"; "
	                  "address = \"10.90.0.250\"; addresses = 5; };\n",
	                  &s, err),
	             0, "%s", err);
}

/* The keys of setup "sip" (legs through the conference focus). */
Test(gen_scenario, sip_keys)
{
	static const char text[] = "window = 2;\n"
	                           "setup = \"sip\";\n"
	                           "sip_focus = \"10.83.0.1:5070\";\n"
	                           "factory_user = \"my-factory.1\";\n"
	                           "setup_rate = 500;\n"
	                           "sip_transport = \"tcp\";\n";
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";
	char ip[INET_ADDRSTRLEN];

	cr_assert_eq(load(text, &s, err), 0, "%s", err);
	cr_assert_eq(s.setup, GEN_SETUP_SIP);
	cr_assert(s.sip_focus.set);
	inet_ntop(AF_INET, &s.sip_focus.addr, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.83.0.1");
	cr_assert_eq(s.sip_focus.port, 5070);
	cr_assert_str_eq(s.factory_user, "my-factory.1");
	cr_assert_eq(s.setup_rate, 500);
	cr_assert_eq(s.sip_transport, GEN_SIP_TRANSPORT_TCP);
	cr_assert_eq(s.cpim, GEN_CPIM_WRAP);
	/* Defaults: port 5060, the focus's default factory user, 200 INVITEs/s, UDP. */
	cr_assert_eq(load("window = 2;\nsetup = \"sip\";\nsip_focus = \"10.83.0.1\";\n", &s, err),
	             0, "%s", err);
	cr_assert_eq(s.sip_focus.port, 5060);
	cr_assert_str_eq(s.factory_user, "conf-factory");
	cr_assert_eq(s.setup_rate, 200);
	cr_assert_eq(s.sip_transport, GEN_SIP_TRANSPORT_UDP);
	/* A 63-character factory user (the focus's limit) fits. */
	cr_assert_eq(load("window = 2;\nsetup = \"sip\";\nsip_focus = \"10.83.0.1\";\n"
	                  "factory_user = "
	                  "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123\";\n",
	                  &s, err),
	             0, "%s", err);
	cr_assert_eq(strlen(s.factory_user), 63);
}

Test(gen_scenario, defaults)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";

	cr_assert_eq(load("rate = 10;\n", &s, err), 0, "%s", err);
	cr_assert_eq(s.conferences, 1);
	cr_assert_eq(s.legs, 2);
	cr_assert_eq(s.size_dist, GEN_SIZE_DIST_FIXED);
	cr_assert_eq(s.size_bytes, 256);
	cr_assert_eq(s.chunk_bytes, 2048);
	cr_assert_eq(s.failure_pct, 100);
	cr_assert_eq(s.target_port, 2855);
	cr_assert_not(s.local_address_set);
	cr_assert_eq(s.setup, GEN_SETUP_CTL);
	cr_assert_str_eq(s.instance, "");
	cr_assert_eq(s.rate_total, 0);
	cr_assert_eq(s.dpdk_ring_log2, 12); /* 4096 slots: room for fan-out bursts */
}

/* rate_total: the open-loop load of every leg together (bench/run's search steps on it). */
Test(gen_scenario, rate_total)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";

	cr_assert_eq(load("legs = 100;\nrate_total = 350;\n", &s, err), 0, "%s", err);
	cr_assert_eq(s.rate_total, 350);
	cr_assert_eq(s.rate, 0);
	cr_assert_eq(s.window, 0);
}

Test(gen_scenario, draws_stay_in_the_distribution)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";
	uint64_t rng = 42, n100 = 0;

	cr_assert_eq(
	        load("rate = 1; size = { dist = \"uniform\"; min = 100; max = 200; };", &s, err), 0,
	        "%s", err);
	for (int i = 0; i < 10000; i++) {
		uint32_t v = gen_scenario_draw_size(&s, &rng);

		cr_assert(v >= 100 && v <= 200, "%u", v);
	}
	cr_assert_eq(load("rate = 1; size = { dist = \"list\"; values = [100, 200]; weights = [9, "
	                  "1]; };",
	                  &s, err),
	             0, "%s", err);
	for (int i = 0; i < 10000; i++) {
		uint32_t v = gen_scenario_draw_size(&s, &rng);

		cr_assert(v == 100 || v == 200);
		n100 += v == 100;
	}
	cr_assert(n100 > 8700 && n100 < 9300, "%llu of 10000 drew the weight-9 size",
	          (unsigned long long)n100);
}

/* Inline arrays: Criterion re-executes the binary (PIE), so pointers would not survive. */
struct bad_case {
	char text[240];
	char want[120]; /* error prefix */
};

ParameterizedTestParameters(gen_scenario, errors)
{
	static struct bad_case cases[] = {
	        {"rate = 1;\nlegs = 1;\n", "t.conf:2: legs: 1 is out of range 2..1000"},
	        {"rate = 1;\n\nbogus = 3;\n", "t.conf:3: bogus: unknown key"},
	        {"rate = 1;\nsize = { dist = \"fixed\"; bites = 3; };\n",
	         "t.conf:2: size.bites: unknown key"},
	        {"rate = 1;\nsetup = \"sip\";\n", "t.conf:2: sip_focus: required with setup"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\ncpim = \"off\";\n",
	         "t.conf:4: cpim: the focus's conferences always wrap"},
	        {"rate = 1;\n\nsip_focus = \"10.1.1.1:5060\";\n",
	         "t.conf:3: sip_focus: only used with setup \"sip\""},
	        {"rate = 1;\nsetup_rate = 10;\n", "t.conf:2: setup_rate: only used with setup"},
	        {"rate = 1;\nfactory_user = \"f\";\n", "t.conf:2: factory_user: only used with"},
	        {"rate = 1;\nsip_transport = \"tcp\";\n", "t.conf:2: sip_transport: only used"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1\";\n",
	         "t.conf:3: sip_focus: \"10.1.1\" is not A.B.C.D[:PORT]"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1:70000\";\n",
	         "t.conf:3: sip_focus: \"10.1.1.1:70000\": the port after ':' must be 1..65535"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1:\";\n",
	         "t.conf:3: sip_focus: \"10.1.1.1:\": the port"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1:5x\";\n",
	         "t.conf:3: sip_focus: \"10.1.1.1:5x\": the port"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = 5060;\n",
	         "t.conf:3: sip_focus: expected a string, got an integer"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\nsetup_rate = 0;\n",
	         "t.conf:4: setup_rate: 0 is out of range 1..100000"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\nsip_transport = "
	         "\"sctp\";\n",
	         "t.conf:4: sip_transport: \"sctp\" is not one of \"udp\", \"tcp\""},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\nfactory_user = \"a "
	         "b\";\n",
	         "t.conf:4: factory_user: \"a b\": only"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\nengine = \"dpdk\";\n",
	         "t.conf:4: engine: \"dpdk\" drives"},
	        {"rate = 1;\nsetup = \"sip\";\nsip_focus = \"10.1.1.1\";\n"
	         "reports = { final_pct = 1; };\n",
	         "t.conf:4: reports.final_pct: final reports"},
	        {"rate = 1;\nsetup = \"carrier-pigeon\";\n",
	         "t.conf:2: setup: \"carrier-pigeon\" is not one of"},
	        {"rate = 1;\nwindow = 4;\n", "t.conf:2: window: give exactly one of rate"},
	        {"conferences = 2;\n", "t.conf: window: give exactly one of rate"},
	        {"rate = 1;\nrate_total = 300;\n", "t.conf:2: rate_total: give exactly one of"},
	        {"rate_total = 300;\n\nwindow = 2;\n", "t.conf:3: window: give exactly one of"},
	        {"rate = 1;\ndpdk = { ring_log2 = 15; };\n",
	         "t.conf:2: dpdk.ring_log2: 15 is out of range 9..14"},
	        {"rate_total = 100000001;\n",
	         "t.conf:1: rate_total: 100000001 is out of range 0..100000000"},
	        {"traffic = \"idle\";\nrate_total = 5;\n",
	         "t.conf:2: rate_total: traffic \"idle\" sends no message"},
	        {"rate = 1;\nlegs = \"three\";\n",
	         "t.conf:2: legs: expected an integer, got a string"},
	        {"rate = 1;\ntarget = { address = \"10.1.2\"; };\n",
	         "t.conf:2: target.address: \"10.1.2\" is not an IPv4 address"},
	        {"rate = 1;\nseed = 5000000000;\n",
	         "t.conf:2: seed: value does not fit in 32 bits"},
	        {"rate = 1;\nsize = { bytes = 10; };\n",
	         "t.conf:2: size.bytes: 10 is out of range 67.."},
	        {"rate = 1;\nsize = { dist = \"uniform\"; min = 500;\nmax = 100; };\n",
	         "t.conf:3: size.max: 100 is below size.min 500"},
	        {"rate = 1;\nsize = { dist = \"list\"; };\n",
	         "t.conf:2: size.values: size.dist \"list\" needs"},
	        {"rate = 1;\nsize = { dist = \"list\"; values = [100, 200];\n weights = [1]; };\n",
	         "t.conf:3: size.weights: 1 weights for 2 values"},
	        {"rate = 1;\nsize = { dist = \"list\"; values = [100, 20]; };\n",
	         "t.conf:2: size.values: item 1: 20 is out of range"},
	        {"rate = 1;\nsize = { values = [100]; };\n",
	         "t.conf:2: size.values: only used with size.dist \"list\""},
	        {"rate = 1;\nsetup = \"relay\";\nlegs = 3;\n",
	         "t.conf:3: legs: 3: setup \"relay\""},
	        {"rate = 1;\ncpim = \"off\";\nreports = { final_pct = 10; };\n",
	         "t.conf:3: reports.final_pct: final reports"},
	        {"rate = 1;\nreports = { success_pct = 101; };\n",
	         "t.conf:2: reports.success_pct: 101 is out of range 0..100"},
	        {"rate = 1;\ninstance = \"a b\";\n", "t.conf:2: instance: \"a b\": only"},
	        {"rate = 1;\n\nlegs = = 3;\n", "t.conf:3: syntax error"},
	        {"rate = 1;\nextra = { a = 1; };\n", "t.conf:2: extra: unknown key"},
	        {"rate = 1;\nengine = \"dpdk\";\n", "t.conf:2: dpdk.memif_socket: required"},
	        {"rate = 1;\nengine = \"dpdk\";\nthreads = 2;\n",
	         "t.conf:3: threads: 2: engine \"dpdk\""},
	        {"rate = 1;\nengine = \"dpdk\";\nsetup = \"relay\";\n",
	         "t.conf:2: engine: \"dpdk\""},
	        {"rate = 1;\ndpdk = { memif_socket = \"run/x\"; };\n",
	         "t.conf:2: dpdk.memif_socket: \"run/x\" is not an absolute"},
	        {"rate = 1;\ndpdk = { address = \"10.1.1.1\"; };\n",
	         "t.conf:2: dpdk.address: only used with engine"},
	        {"rate = 1;\n@include \"other.conf\"\n", "t.conf:2: @include is not supported"},
	        {"traffic = \"idle\";\n\nrate = 5;\n",
	         "t.conf:3: rate: traffic \"idle\" sends no message"},
	        {"traffic = \"idle\";\nwindow = 1;\n", "t.conf:2: window: traffic \"idle\""},
	        {"rate = 1;\ntraffic = \"busy\";\n",
	         "t.conf:2: traffic: \"busy\" is not one of \"messages\", \"idle\""},
	        {"rate = 1;\ndpdk = { addresses = 4; };\n",
	         "t.conf:2: dpdk.addresses: only used with engine \"dpdk\""},
	        {"rate = 1;\ndpdk = { addresses = 0; };\n",
	         "t.conf:2: dpdk.addresses: 0 is out of range 1..4096"},
	        {"rate = 1;\nengine = \"dpdk\";\ndpdk = { memif_socket = \"/run/a\"; address = "
	         "\"10.90.0.250\";\n addresses = 6; };\n",
	         "t.conf:4: dpdk.addresses: 6 addresses from dpdk.address leave its /24 subnet"},
	        {"rate = 1;\nengine = \"dpdk\";\ndpdk = { memif_socket = \"/run/a\"; address = "
	         "\"10.90.0.1\";\n addresses = 300; };\n",
	         "t.conf:4: dpdk.addresses: 300 addresses"},
	};
	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, gen_scenario, errors)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";

	cr_assert_eq(load(c->text, &s, err), -EINVAL, "accepted: %s", c->text);
	cr_assert(strncmp(err, c->want, strlen(c->want)) == 0, "got \"%s\", want \"%s...\"", err,
	          c->want);
}

Test(gen_scenario, missing_file)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP] = "";

	cr_assert_eq(gen_scenario_load("/nonexistent/x.conf", &s, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/x.conf: cannot open") != NULL, "%s", err);
}

/* docs/benchmarking.md documents every key (as `key` in its table). */
Test(gen_scenario, every_key_documented)
{
	const char *root = getenv("MSW_SRC_ROOT");
	char path[4096], *doc = NULL;
	size_t cap = 0;
	FILE *f;

	cr_assert_not_null(root, "MSW_SRC_ROOT not set");
	snprintf(path, sizeof(path), "%s/docs/benchmarking.md", root);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert(getdelim(&doc, &cap, '\0', f) > 0);
	fclose(f);
	for (size_t i = 0; gen_scenario_key(i) != NULL; i++) {
		char want[80];

		snprintf(want, sizeof(want), "| `%s` |", gen_scenario_key(i));
		cr_expect_not_null(strstr(doc, want), "%s lacks a row for %s", path, want);
	}
	free(doc);
}

/* Every scenario shipped in bench/scenarios/ loads. */
Test(gen_scenario, shipped_scenarios)
{
	const char *root = getenv("MSW_SRC_ROOT");
	char dir[4096], path[4200], err[GEN_ERR_CAP];
	struct gen_scenario s;
	struct dirent *e;
	int n = 0;
	DIR *d;

	cr_assert_not_null(root, "MSW_SRC_ROOT not set");
	snprintf(dir, sizeof(dir), "%s/bench/scenarios", root);
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cr_expect_eq(gen_scenario_load(path, &s, err, sizeof(err)), 0, "%s", err);
		n++;
	}
	closedir(d);
	cr_assert(n >= 3, "only %d scenarios in %s", n, dir);
}
