/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL argument vector of msw-dataplane, built from the config (docs/dataplane.md). */
#include <criterion/criterion.h>
#include <string.h>

#include "cfg/cfg.h"
#include "daemon/dpd.h"

static bool
has(int argc, char **argv, const char *s)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], s) == 0)
			return true;
	return false;
}

Test(dpd_eal, argv_from_config)
{
	struct msw_cfg *cfg;
	char err[CFG_ERR_CAP];
	char **v;
	int n;

	cr_assert_eq(cfg_load_string("eal = { args = [\"-m\", \"256\", \"--no-pci\"]; lcores = "
	                             "\"1-2\"; hugepages = \"off\"; };\n"
	                             "dataplane = { workers = 2; ports = ({ name = \"tap0\"; "
	                             "iface = \"x0\"; ipv4 = \"10.0.0.2/24\"; queues = 2; rss = "
	                             "true; }); };\n",
	                             "t.conf", &cfg, err, sizeof(err)),
	             0, "%s", err);
	n = dpd_eal_argv(cfg, "msw-dataplane", "inst1", &v);
	cr_assert_eq(n, 8);
	cr_assert_str_eq(v[0], "msw-dataplane");
	cr_assert_str_eq(v[1], "-m");
	cr_assert_str_eq(v[2], "256");
	cr_assert_str_eq(v[3], "--no-pci");
	cr_assert_str_eq(v[4], "-l");
	cr_assert_str_eq(v[5], "1-2");
	cr_assert_str_eq(v[6], "--no-huge");
	cr_assert_str_eq(v[7], "--file-prefix=msw-inst1");
	cr_assert_null(v[8]);
	dpd_eal_argv_free(n, v);
	cfg_free(cfg);

	cr_assert_eq(cfg_load_string("eal = { hugepages = \"on\"; };", "t.conf", &cfg, err,
	                             sizeof(err)),
	             0, "%s", err);
	n = dpd_eal_argv(cfg, "dp", "default", &v);
	cr_assert(has(n, v, "--in-memory"));
	cr_assert(!has(n, v, "--no-huge"));
	/* The embedded default's tap comes from eal.args. */
	cr_assert(has(n, v, "--vdev=net_tap0,iface=msw0,mac=02:6d:73:77:00:02"));
	dpd_eal_argv_free(n, v);
	cfg_free(cfg);
}
