/* SPDX-License-Identifier: BSD-3-Clause */
/* common/log: level filtering, per-type rules, line format, one write per line. */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "log/log.h"

LOG_TYPE_DEFINE(t_tcp, "msw.dp.tcp")
LOG_TYPE_DEFINE(t_msrp, "msw.dp.msrp")
LOG_TYPE_DEFINE(t_sip, "msw.cp.sip")

static FILE *out;

/* Captures log output in a temporary file; each Criterion test runs in its own process. */
static void
capture(void)
{
	out = tmpfile();
	cr_assert_not_null(out);
	log_set_output(fileno(out));
	log_set_timestamps(false);
}

static char *
captured(void)
{
	static char buf[65536];
	size_t n;

	fflush(out);
	rewind(out);
	n = fread(buf, 1, sizeof(buf) - 1, out);
	buf[n] = '\0';
	return buf;
}

static int evaluated;

static int
side_effect(void)
{
	evaluated++;
	return 42;
}

Test(log_filter, default_level_is_notice, .init = capture)
{
	cr_assert_eq(log_get_level(), LOG_LEVEL_NOTICE);
	LOG(t_tcp, NOTICE, "shown %d", 1);
	LOG(t_tcp, INFO, "hidden %d", 2);
	cr_assert_str_eq(captured(), "NOTICE  msw.dp.tcp: shown 1\n");
}

Test(log_filter, disabled_level_does_not_evaluate_arguments, .init = capture)
{
	log_set_level(LOG_LEVEL_WARNING);
	LOG(t_tcp, NOTICE, "x %d", side_effect());
	cr_assert_eq(evaluated, 0);
	LOG(t_tcp, ERROR, "x %d", side_effect());
	cr_assert_eq(evaluated, 1);
	cr_assert_str_eq(captured(), "ERROR   msw.dp.tcp: x 42\n");
}

Test(log_filter, every_level_filters_the_more_verbose_ones, .init = capture)
{
	for (int lvl = LOG_LEVEL_ERROR; lvl < LOG_LEVEL_COUNT; lvl++) {
		log_set_level((enum log_level)lvl);
		for (int m = LOG_LEVEL_ERROR; m < LOG_LEVEL_COUNT; m++)
			cr_expect_eq(log_enabled(&t_sip, (enum log_level)m), m <= lvl,
			             "global %d, message %d", lvl, m);
	}
}

Test(log_filter, glob_rule_overrides_global_level, .init = capture)
{
	static const char *const rules[] = {"msw.dp.*:debug"};
	struct log_settings s = {.level = LOG_LEVEL_WARNING, .rules = rules, .n_rules = 1};
	char err[128];

	cr_assert_eq(log_configure(&s, err, sizeof(err)), 0, "%s", err);
	LOG(t_tcp, DEBUG, "tcp debug");
	LOG(t_msrp, DEBUG, "msrp debug");
	LOG(t_sip, NOTICE, "sip notice");
	LOG(t_sip, WARNING, "sip warning");
	cr_assert_str_eq(captured(), "DEBUG   msw.dp.tcp: tcp debug\n"
	                             "DEBUG   msw.dp.msrp: msrp debug\n"
	                             "WARNING msw.cp.sip: sip warning\n");
}

Test(log_filter, last_matching_rule_wins, .init = capture)
{
	static const char *const rules[] = {"msw.dp.*:debug", "msw.dp.tcp:error", "msw.*:info"};
	struct log_settings s = {.level = LOG_LEVEL_NOTICE, .rules = rules, .n_rules = 2};
	char err[128];

	cr_assert_eq(log_configure(&s, err, sizeof(err)), 0, "%s", err);
	cr_assert(!log_enabled(&t_tcp, LOG_LEVEL_WARNING));
	cr_assert(log_enabled(&t_msrp, LOG_LEVEL_DEBUG));
	cr_assert(!log_enabled(&t_sip, LOG_LEVEL_INFO));
	s.n_rules = 3;
	cr_assert_eq(log_configure(&s, err, sizeof(err)), 0, "%s", err);
	cr_assert(log_enabled(&t_tcp, LOG_LEVEL_INFO));
	cr_assert(!log_enabled(&t_tcp, LOG_LEVEL_DEBUG));
	cr_assert(log_enabled(&t_sip, LOG_LEVEL_INFO));
}

Test(log_filter, exact_name_rule_and_global_change_keep_rules, .init = capture)
{
	cr_assert_eq(log_set_type_level("msw.cp.sip", LOG_LEVEL_DEBUG), 0);
	log_set_level(LOG_LEVEL_ERROR);
	cr_assert(log_enabled(&t_sip, LOG_LEVEL_DEBUG));
	cr_assert(!log_enabled(&t_tcp, LOG_LEVEL_WARNING));
	cr_assert_eq(log_set_type_level("bad pattern", LOG_LEVEL_DEBUG), -EINVAL);
	cr_assert_eq(log_set_type_level("", LOG_LEVEL_DEBUG), -EINVAL);
}

Test(log_filter, type_registered_later_gets_current_rules, .init = capture)
{
	static struct log_type late = {.name = "msw.dp.late", .level = LOG_LEVEL_DEFAULT};

	cr_assert_eq(log_set_type_level("msw.dp.*", LOG_LEVEL_DEBUG), 0);
	cr_assert_null(log_type_lookup("msw.dp.late"));
	log_type_register(&late);
	log_type_register(&late); /* idempotent */
	cr_assert_eq(log_type_lookup("msw.dp.late"), &late);
	cr_assert(log_enabled(&late, LOG_LEVEL_DEBUG));
}

static void
count_type(const struct log_type *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
}

Test(log_filter, static_types_are_registered_before_main)
{
	int n = 0;

	cr_assert_eq(log_type_lookup("msw.dp.tcp"), &t_tcp);
	cr_assert_eq(log_type_lookup("msw.dp.msrp"), &t_msrp);
	cr_assert_eq(log_type_lookup("msw.cp.sip"), &t_sip);
	log_type_foreach(count_type, &n);
	cr_assert_eq(n, 3);
}

Test(log_filter, invalid_rule_leaves_configuration_unchanged, .init = capture)
{
	static const char *const rules[] = {"msw.dp.*:debug", "msw.cp.sip:loud"};
	struct log_settings s = {.level = LOG_LEVEL_ERROR, .rules = rules, .n_rules = 2};
	char err[128];

	cr_assert_eq(log_configure(&s, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "rule 1 \"msw.cp.sip:loud\": unknown log level \"loud\" (expected "
	                      "error, warning, notice, info or debug)");
	cr_assert_eq(log_get_level(), LOG_LEVEL_NOTICE);
	cr_assert(!log_enabled(&t_tcp, LOG_LEVEL_DEBUG));

	s.n_rules = LOG_RULES_MAX + 1;
	cr_assert_eq(log_configure(&s, err, sizeof(err)), -E2BIG);
}

Test(log_filter, rule_parse_errors)
{
	char pat[LOG_TYPE_NAME_CAP], err[128];
	enum log_level lvl;

	cr_assert_eq(log_rule_parse("msw.dp.*:Debug", pat, sizeof(pat), &lvl, err, sizeof(err)), 0);
	cr_assert_str_eq(pat, "msw.dp.*");
	cr_assert_eq(lvl, LOG_LEVEL_DEBUG);
	cr_assert_eq(log_rule_parse("msw.dp", pat, sizeof(pat), &lvl, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "expected TYPE:LEVEL, e.g. \"msw.dp.*:debug\"");
	cr_assert_eq(log_rule_parse(":debug", pat, sizeof(pat), &lvl, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "empty log type pattern");
	cr_assert_eq(log_rule_parse("msw/dp:debug", pat, sizeof(pat), &lvl, err, sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "invalid character '/' in log type pattern");
	cr_assert_eq(log_rule_parse("msw.dp:", pat, sizeof(pat), &lvl, err, sizeof(err)), -EINVAL);
}

Test(log_filter, level_words)
{
	enum log_level lvl;

	for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
		cr_assert_eq(log_level_parse(log_level_name((enum log_level)i), &lvl), 0);
		cr_assert_eq(lvl, (enum log_level)i);
	}
	cr_assert_eq(log_level_parse("WARNING", &lvl), 0);
	cr_assert_eq(lvl, LOG_LEVEL_WARNING);
	cr_assert_eq(log_level_parse("warn", &lvl), -EINVAL);
	cr_assert_str_eq(log_level_name(LOG_LEVEL_COUNT), "?");
}

Test(log_filter, timestamp_format, .init = capture)
{
	char *line;

	log_set_timestamps(true);
	LOG(t_sip, ERROR, "boom");
	line = captured();
	/* 2026-11-25T13:23:43.123Z ERROR   msw.cp.sip: boom */
	cr_assert_eq(strlen(line), 25 + strlen("ERROR   msw.cp.sip: boom\n"), "%s", line);
	cr_assert_eq(line[4], '-');
	cr_assert_eq(line[10], 'T');
	cr_assert_eq(line[19], '.');
	cr_assert_eq(line[23], 'Z');
	cr_assert_str_eq(line + 25, "ERROR   msw.cp.sip: boom\n");
}

Test(log_filter, control_characters_cannot_forge_lines, .init = capture)
{
	LOG(t_sip, ERROR, "user said \"%s\"", "hi\nERROR   msw.cfg: fake\r\x1b[31m");
	cr_assert_str_eq(captured(),
	                 "ERROR   msw.cp.sip: user said \"hi ERROR   msw.cfg: fake  [31m\"\n");
}

Test(log_filter, trailing_newlines_are_dropped, .init = capture)
{
	LOG(t_sip, ERROR, "relayed line\r\n");
	LOG(t_sip, ERROR, "\n");
	cr_assert_str_eq(captured(), "ERROR   msw.cp.sip: relayed line\nERROR   msw.cp.sip: \n");
}

Test(log_filter, long_message_is_cut_to_one_line, .init = capture)
{
	char big[LOG_LINE_CAP * 2];
	char *line;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	LOG(t_sip, ERROR, "%s", big);
	line = captured();
	cr_assert_eq(strlen(line), LOG_LINE_CAP);
	cr_assert_str_eq(line + LOG_LINE_CAP - 4, "...\n");
	cr_assert_eq(strchr(line, '\n'), line + LOG_LINE_CAP - 1);
}

Test(log_filter, errno_is_preserved, .init = capture)
{
	errno = EAGAIN;
	LOG(t_sip, ERROR, "failed: %s", strerror(errno));
	cr_assert_eq(errno, EAGAIN);
}

#define THREADS    4
#define LINES_EACH 2000

static void *
writer(void *arg)
{
	for (int i = 0; i < LINES_EACH; i++)
		LOG(t_msrp, NOTICE, "thread %ld line %d payload %s", (long)(intptr_t)arg, i,
		    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
	return NULL;
}

/* Concurrent writers through one O_APPEND descriptor: every line must come out whole. */
Test(log_filter, concurrent_lines_do_not_interleave)
{
	char path[] = "/tmp/msw-log-XXXXXX";
	int fd = mkstemp(path);
	pthread_t th[THREADS];
	char line[512];
	int counts[THREADS] = {0}, total = 0;
	FILE *in;

	cr_assert_geq(fd, 0);
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	log_set_output(fd);
	log_set_timestamps(true);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	close(fd);
	in = fopen(path, "r");
	cr_assert_not_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		long t;
		int n;

		cr_assert_eq(sscanf(line + 25, "NOTICE  msw.dp.msrp: thread %ld line %d", &t, &n),
		             2, "mangled line: %s", line);
		cr_assert(strstr(line, "payload "
		                       "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvw"
		                       "xyz\n") != NULL,
		          "mangled line: %s", line);
		cr_assert_lt(t, THREADS);
		cr_assert_eq(n, counts[t], "thread %ld out of order", t);
		counts[t]++;
		total++;
	}
	fclose(in);
	unlink(path);
	cr_assert_eq(total, THREADS * LINES_EACH);
}
