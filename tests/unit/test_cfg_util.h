/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixtures of the config loader tests (test_cfg_load.c, test_cfg_groups.c): load a string,
 * expect an exact error, dump without the source line. The includer defines CFG_TEST_FILE,
 * the name its texts carry in error messages ("t.conf:3: ...").
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cfg/cfg.h"

#ifndef CFG_TEST_FILE
#error "define CFG_TEST_FILE before including test_cfg_util.h"
#endif

/* The message of the last failed load or get. */
static char cfg_test_err[CFG_ERR_CAP];

/* rel under MSW_SRC_ROOT; four rotating buffers so one assertion can name two paths. */
static inline const char *
cfg_test_src_path(const char *rel)
{
	static char buf[4][4096];
	static int next;
	const char *root = getenv("MSW_SRC_ROOT");
	char *b = buf[next++ % 4];

	cr_assert_not_null(root, "MSW_SRC_ROOT not set (run through meson test)");
	snprintf(b, 4096, "%s/%s", root, rel);
	return b;
}

/* Loads text as CFG_TEST_FILE; returns the snapshot or NULL with the message in cfg_test_err. */
static inline struct msw_cfg *
cfg_test_load(const char *text)
{
	struct msw_cfg *cfg = NULL;
	int rc = cfg_load_string(text, CFG_TEST_FILE, &cfg, cfg_test_err, sizeof(cfg_test_err));

	cr_assert_eq(rc == 0, cfg != NULL);
	return cfg;
}

static inline struct msw_cfg *
cfg_test_load_ok(const char *text)
{
	struct msw_cfg *cfg = cfg_test_load(text);

	cr_assert_not_null(cfg, "unexpected error: %s", cfg_test_err);
	return cfg;
}

/* Loads the file rel (under the source root), which must load. */
static inline struct msw_cfg *
cfg_test_load_file_ok(const char *rel)
{
	struct msw_cfg *cfg = NULL;

	cr_assert_eq(cfg_load(cfg_test_src_path(rel), &cfg, cfg_test_err, sizeof(cfg_test_err)), 0,
	             "%s: %s", rel, cfg_test_err);
	return cfg;
}

/* cfg_dump() output (malloc'd); without whole, minus its first line, which names the source. */
static inline char *
cfg_test_dump(const struct msw_cfg *cfg, bool whole)
{
	char *buf = NULL, *body;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cfg_dump(cfg, f);
	fclose(f);
	if (whole)
		return buf;
	body = strdup(strchr(buf, '\n') + 1);
	free(buf);
	return body;
}

/* Inline arrays: Criterion re-executes the binary (PIE), so pointers would not survive. */
struct cfg_bad_case {
	char text[400];
	char want[256];
};

/* The text is refused with -EINVAL, no snapshot, and exactly the message c->want. */
static inline void
cfg_test_expect_error(const struct cfg_bad_case *c)
{
	struct msw_cfg *cfg = NULL;

	memset(cfg_test_err, 0, sizeof(cfg_test_err));
	cr_assert_eq(
	        cfg_load_string(c->text, CFG_TEST_FILE, &cfg, cfg_test_err, sizeof(cfg_test_err)),
	        -EINVAL, "accepted:\n%s", c->text);
	cr_assert_null(cfg);
	cr_assert_str_eq(cfg_test_err, c->want, "for:\n%s", c->text);
}
