/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the msw-gen scenario loader (bench/gen/gen_scenario.c): libconfig syntax, the key
 * table, the literal read-back for 32-bit truncation and the cross-key rules. Any byte string
 * must load or fail with an error message, never crash or leak; a loaded scenario must draw
 * sizes inside its own bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_scenario s;
	char err[GEN_ERR_CAP];
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (gen_scenario_load_string(text, "fuzz.conf", &s, err, sizeof(err)) == 0) {
		uint64_t rng = 1;
		uint32_t max = gen_scenario_max_size(&s);

		for (int i = 0; i < 16; i++) {
			uint32_t v = gen_scenario_draw_size(&s, &rng);

			if (v < GEN_STAMP_LEN || v > max)
				abort();
		}
	} else if (strncmp(err, "fuzz.conf", 9) != 0) {
		abort(); /* every error names the file */
	}
	free(text);
	return 0;
}
