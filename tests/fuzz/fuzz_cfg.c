/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the configuration loader: libconfig syntax, the parameter table's type and range
 * checks, the port rules and the raw-number scan. Operators' files are untrusted input too:
 * any byte string must load or fail with an error message, never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msw_cfg *cfg = NULL;
	char err[512];
	char *text;

	/* The loader takes a NUL-terminated text; embedded NULs just end it early. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* @include reads other files (tests/unit/test_cfg_load.c covers it); a fuzzer that
	 * names /dev/zero would only measure the disk. */
	if (strstr(text, "@include") != NULL) {
		free(text);
		return 0;
	}
	err[0] = '\0';
	if (cfg_load_string(text, "fuzz.conf", &cfg, err, sizeof(err)) == 0) {
		/* A loaded config must dump without trouble. */
		FILE *null = fopen("/dev/null", "w");

		if (null != NULL) {
			cfg_dump(cfg, null);
			fclose(null);
		}
		cfg_free(cfg);
	} else if (err[0] == '\0') {
		abort(); /* every failure must say why */
	}
	free(text);
	return 0;
}
