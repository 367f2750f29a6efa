/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-msrp-parse end to end: the built tool runs on every vector in tests/vectors/msrp/
 * with several --feed values; stdout must be the expected JSON lines and the exit status
 * 0 (clean end), 1 (error) or 2 (truncated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "test_msrp_parse_util.h"

static int
expected_status(const char *expected)
{
	if (strstr(expected, "\"error\":\"truncated\"") != NULL)
		return 2;
	if (strstr(expected, "\"kind\":\"error\"") != NULL)
		return 1;
	return 0;
}

static char *
run_tool(const char *cmd, int *status)
{
	FILE *pipe = popen(cmd, "r");
	char *out = NULL;
	size_t out_len = 0, n;
	FILE *mem = open_memstream(&out, &out_len);
	char buf[4096];
	int st;

	cr_assert_not_null(pipe, "%s", cmd);
	while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
		fwrite(buf, 1, n, mem);
	st = pclose(pipe);
	fclose(mem);
	cr_assert(WIFEXITED(st), "%s: did not exit normally", cmd);
	*status = WEXITSTATUS(st);
	return out;
}

Test(msrp_parse_tool, vectors_with_feed_sizes, .timeout = 300)
{
	static const char *const feeds[] = {"", "--feed 1", "--feed 2", "--feed 7", "--feed 100"};
	const char *build = getenv("MSW_BUILD_ROOT");
	struct msrp_vec *v;
	size_t n = msrp_vec_load_all(&v);

	cr_assert_not_null(build, "MSW_BUILD_ROOT must point at the build tree");
	for (size_t i = 0; i < n; i++) {
		char args[256] = "";
		char path[4400];
		FILE *af;

		snprintf(path, sizeof(path), "%s/%s.args", msrp_vec_dir(), v[i].name);
		af = fopen(path, "r");
		if (af != NULL) {
			if (fgets(args, sizeof(args), af) == NULL)
				args[0] = '\0';
			args[strcspn(args, "\n")] = '\0';
			fclose(af);
		}
		for (size_t k = 0; k < sizeof(feeds) / sizeof(feeds[0]); k++) {
			char cmd[9000];
			int status;
			char *out;

			snprintf(cmd, sizeof(cmd),
			         "'%s/common/msrp/msw-msrp-parse' %s %s < '%s/%s.msrp'", build,
			         args, feeds[k], msrp_vec_dir(), v[i].name);
			out = run_tool(cmd, &status);
			cr_expect_str_eq(out, v[i].expected, "%s", cmd);
			cr_expect_eq(status, expected_status(v[i].expected), "%s: exit %d", cmd,
			             status);
			free(out);
		}
	}
	msrp_vec_free_all(v, n);
}

Test(msrp_parse_tool, bad_usage)
{
	const char *build = getenv("MSW_BUILD_ROOT");
	static const char *const bad[] = {"--feed 0",       "--feed x", "--max-chunk -1",
	                                  "--max-header 3", "--bogus",  "extra"};

	cr_assert_not_null(build);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char cmd[4400];
		int status;
		char *out;

		snprintf(cmd, sizeof(cmd),
		         "'%s/common/msrp/msw-msrp-parse' %s </dev/null 2>/dev/null", build,
		         bad[k]);
		out = run_tool(cmd, &status);
		cr_expect_eq(status, 64, "%s: exit %d", cmd, status);
		cr_expect_str_eq(out, "", "%s", cmd);
		free(out);
	}
}
