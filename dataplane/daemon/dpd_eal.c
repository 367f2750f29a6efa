/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dpd.h"

/* Free hugepages of the default size, from /proc/meminfo. */
static long
dpd_free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int
dpd_push(char **v, int *n, int cap, const char *s)
{
	if (*n >= cap)
		return -ENOMEM;
	v[*n] = strdup(s);
	if (v[*n] == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

int
dpd_eal_argv(const struct msw_cfg *cfg, const char *argv0, const char *instance, char ***argv)
{
	int cap = (int)cfg->eal.args.n + 8, n = 0;
	char **v = calloc((size_t)cap + 1, sizeof(*v));
	char buf[128];
	bool huge;

	if (v == NULL)
		return -ENOMEM;
	if (dpd_push(v, &n, cap, argv0) != 0)
		goto nomem;
	for (uint32_t i = 0; i < cfg->eal.args.n; i++)
		if (dpd_push(v, &n, cap, cfg->eal.args.v[i]) != 0)
			goto nomem;
	if (dpd_push(v, &n, cap, "-l") != 0 || dpd_push(v, &n, cap, cfg->eal.lcores) != 0)
		goto nomem;
	switch (cfg->eal.hugepages) {
	case CFG_HUGEPAGES_ON:
		huge = true;
		break;
	case CFG_HUGEPAGES_OFF:
		huge = false;
		break;
	default:
		huge = dpd_free_hugepages() > 0;
		break;
	}
	/* --in-memory: no hugepage files left behind by a crash, and no shared config. */
	if (dpd_push(v, &n, cap, huge ? "--in-memory" : "--no-huge") != 0)
		goto nomem;
	snprintf(buf, sizeof(buf), "--file-prefix=msw-%s", instance);
	if (dpd_push(v, &n, cap, buf) != 0)
		goto nomem;
	*argv = v;
	return n;
nomem:
	dpd_eal_argv_free(n, v);
	return -ENOMEM;
}

void
dpd_eal_argv_free(int argc, char **argv)
{
	if (argv == NULL)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
