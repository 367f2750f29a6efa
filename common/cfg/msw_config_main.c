/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-config: validate, query and document configuration files.
 * Exit status: 0 success, 1 invalid file or unknown key, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cfg/cfg.h"
#include "msw_version.h"

static int
usage(FILE *out, int status)
{
	fputs("usage: msw-config --check FILE      validate FILE; prints \"FILE: ok\"\n"
	      "       msw-config --get KEY FILE    print the effective value of KEY\n"
	      "       msw-config --dump FILE       print the effective configuration\n"
	      "       msw-config --docs            print docs/config.md\n"
	      "       msw-config --version | --help\n",
	      out);
	return status;
}

static int
load(const char *path, struct msw_cfg **cfg)
{
	char err[CFG_ERR_CAP];

	if (cfg_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}

static int
finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("msw-config: stdout");
		return 1;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct msw_cfg *cfg;
	char err[CFG_ERR_CAP];
	int rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("msw-config %s\n", MSW_VERSION);
		return finish(0);
	}
	if (argc == 2 && strcmp(argv[1], "--docs") == 0) {
		cfg_docs(stdout);
		return finish(0);
	}
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		rc = load(argv[2], &cfg);
		if (rc == 0)
			printf("%s: ok\n", argv[2]);
		cfg_free(cfg);
		return finish(rc);
	}
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		rc = load(argv[2], &cfg);
		if (rc == 0)
			cfg_dump(cfg, stdout);
		cfg_free(cfg);
		return finish(rc);
	}
	if (argc == 4 && strcmp(argv[1], "--get") == 0) {
		rc = load(argv[3], &cfg);
		if (rc == 0 && cfg_get(cfg, argv[2], stdout, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", argv[3], err);
			rc = 1;
		}
		cfg_free(cfg);
		return finish(rc);
	}
	return usage(stderr, 2);
}
