/* SPDX-License-Identifier: BSD-3-Clause */
/* msw-config, run as a process: --check, --get, --dump, --docs and usage errors. */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

struct run {
	int status; /* exit status, or -1 when the tool did not exit normally */
	char *out;
	char *err;
};

static char *
slurp(FILE *f)
{
	char *buf;
	long len;

	fflush(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

/* Returns a new string for the caller to free. */
static char *
path_in(const char *env, const char *rel)
{
	const char *root = getenv(env);
	char *b;

	cr_assert_not_null(root, "%s not set (run through meson test)", env);
	cr_assert_geq(asprintf(&b, "%s/%s", root, rel), 0);
	return b;
}

/* Runs msw-config with up to three arguments (NULL-terminated). */
static struct run
tool(const char *a1, const char *a2, const char *a3)
{
	char *bin = path_in("MSW_BUILD_ROOT", "common/cfg/msw-config");
	FILE *out = tmpfile(), *err = tmpfile();
	struct run r;
	int st;
	pid_t pid;

	cr_assert(out != NULL && err != NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		execl(bin, "msw-config", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	free(bin);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static char *
write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/msw-tool-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(cfg_tool, check_shipped_files)
{
	static const char *const files[] = {"config/msw.conf", "config/examples/carrier.conf",
	                                    "config/examples/test.conf"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_in("MSW_SRC_ROOT", files[i]);
		struct run r = tool("--check", p, NULL);
		char want[4200];

		snprintf(want, sizeof(want), "%s: ok\n", p);
		cr_assert_eq(r.status, 0, "%s: %s", p, r.err);
		cr_assert_str_eq(r.out, want);
		cr_assert_str_eq(r.err, "");
		run_free(&r);
		free(p);
	}
}

Test(cfg_tool, check_reports_file_line_key_reason)
{
	char *p = write_tmp("# test\ndataplane = {\n\tworkers = 0;\n};\n");
	struct run r = tool("--check", p, NULL);
	char want[256];

	snprintf(want, sizeof(want), "%s:3: dataplane.workers: 0 is out of range 1..128\n", p);
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, want);
	run_free(&r);
	unlink(p);

	r = tool("--check", "/nonexistent.conf", NULL);
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "/nonexistent.conf: cannot open: No such file or directory\n");
	run_free(&r);
}

Test(cfg_tool, get_prints_effective_values)
{
	char *carrier = path_in("MSW_SRC_ROOT", "config/examples/carrier.conf");
	char *p = write_tmp("tcp = { rto_min_ms = 20; };\n");
	struct run r = tool("--get", "tcp.rto_min_ms", p);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "20\n");
	run_free(&r);
	/* Keys the file does not give print their defaults. */
	r = tool("--get", "netns.host_ipv4", p);
	cr_assert_str_eq(r.out, "10.77.0.1/24\n");
	run_free(&r);
	r = tool("--get", "eal.args", p);
	cr_assert_str_eq(r.out, "-m\n512\n--no-pci\n"
	                        "--vdev=net_tap0,iface=msw0,mac=02:6d:73:77:00:02\n");
	run_free(&r);
	r = tool("--get", "dataplane.ports.tap0.iface", p);
	cr_assert_str_eq(r.out, "msw0\n");
	run_free(&r);
	r = tool("--get", "dataplane.ports", carrier);
	cr_assert_str_eq(r.out, "core0\ncore1\n");
	run_free(&r);

	r = tool("--get", "tcp.rto", p);
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	char want[256];
	snprintf(want, sizeof(want), "%s: tcp.rto: unknown key\n", p);
	cr_assert_str_eq(r.err, want);
	run_free(&r);
	unlink(p);
	free(carrier);
}

Test(cfg_tool, dump_is_a_valid_equivalent_file)
{
	char *carrier = path_in("MSW_SRC_ROOT", "config/examples/carrier.conf");
	struct run a = tool("--dump", carrier, NULL), b;
	char *p;

	cr_assert_eq(a.status, 0, "%s", a.err);
	p = write_tmp(a.out);
	b = tool("--dump", p, NULL);
	cr_assert_eq(b.status, 0, "%s", b.err);
	cr_assert_str_eq(strchr(a.out, '\n'), strchr(b.out, '\n'));
	run_free(&a);
	run_free(&b);
	unlink(p);
	free(carrier);
}

Test(cfg_tool, docs_equal_committed_file)
{
	struct run r = tool("--docs", NULL, NULL);
	char *path = path_in("MSW_SRC_ROOT", "docs/config.md");
	FILE *f = fopen(path, "r");
	char *committed;

	free(path);
	cr_assert_not_null(f);
	committed = slurp(f);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, committed,
	                 "docs/config.md is stale: msw-config --docs > docs/config.md");
	cr_assert(strstr(r.out, "| `dataplane.msrp_port` | integer | 1..65535 | 2855 | port |") !=
	          NULL);
	cr_assert(strstr(r.out, "| `dataplane.ports[].driver` | enum | `pci`, `tap`, `memif`, "
	                        "`ring`, `null` | `tap` |") != NULL);
	free(committed);
	run_free(&r);
}

Test(cfg_tool, usage_errors_exit_2)
{
	struct run r = tool(NULL, NULL, NULL);

	cr_assert_eq(r.status, 2);
	cr_assert(strncmp(r.err, "usage: msw-config", 17) == 0, "%s", r.err);
	run_free(&r);
	r = tool("--check", NULL, NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = tool("--get", "tcp.rto_min_ms", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = tool("--frobnicate", "x", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = tool("--help", NULL, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "usage: msw-config", 17) == 0);
	run_free(&r);
}
