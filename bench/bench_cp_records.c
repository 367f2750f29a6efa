/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Costs the focus pays per conference event, on one core: a full conference-info document
 * for 10 and 100 participants, a partial one for one change (controlplane/confinfo), one
 * CDR line formatted, and one CDR written to a file under /tmp with rotation every 1 MiB,
 * keeping 2 (controlplane/cdr). Prints one JSON line per case on stdout, nothing else:
 *   {"bench":"cp_records","case":NAME,"ns_per_op":X,"ops":N}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdr/cdr.h"
#include "confinfo/cinfo.h"

#include "bench_util.h"

#define BENCH_USERS_MAX 100

static struct cinfo_user users[BENCH_USERS_MAX];
static char entities[BENCH_USERS_MAX][48], names[BENCH_USERS_MAX][32];
static char docbuf[65536];
static struct cdr_writer *writer;

static const struct cdr_record rec = {
        .type = CDR_TYPE_SESSION,
        .conference_id = "c8f3aZq02LmN7xKp",
        .conference_uri = "sip:c8f3aZq02LmN7xKp@im.example.com",
        .participant = "sip:alice@example.com",
        .start_ms = 1764095995123,
        .end_ms = 1764096055000,
        .messages_sent = 31,
        .messages_received = 412,
        .bytes_sent = 40960,
        .bytes_received = 1234567,
        .end_reason = CDR_END_BYE,
};

static long
bench_full(size_t n)
{
	struct cinfo_doc doc = {.entity = "sip:friends@im.example.com",
	                        .version = 7,
	                        .state = CINFO_STATE_FULL,
	                        .display_text = "Friends",
	                        .has_user_count = true,
	                        .user_count = (uint32_t)n,
	                        .users = users,
	                        .n_users = n};

	return cinfo_build(&doc, docbuf, sizeof(docbuf));
}

static long
bench_full_10(void)
{
	return bench_full(10);
}

static long
bench_full_100(void)
{
	return bench_full(100);
}

static long
bench_partial_1(void)
{
	struct cinfo_doc doc = {.entity = "sip:friends@im.example.com",
	                        .version = 8,
	                        .state = CINFO_STATE_PARTIAL,
	                        .has_user_count = true,
	                        .user_count = 99,
	                        .users = &users[5],
	                        .n_users = 1};

	return cinfo_build(&doc, docbuf, sizeof(docbuf));
}

static long
bench_cdr_format(void)
{
	static char line[1024];

	return cdr_format(&rec, line, sizeof(line));
}

static long
bench_cdr_write(void)
{
	return cdr_write(writer, &rec);
}

int
main(void)
{
	char dir[] = "/tmp/msw-bench-cdr-XXXXXX", path[96], err[256];

	for (size_t i = 0; i < BENCH_USERS_MAX; i++) {
		snprintf(entities[i], sizeof(entities[i]), "sip:user%zu@example.com", i);
		snprintf(names[i], sizeof(names[i]), "User & %zu", i);
		users[i] = (struct cinfo_user){.entity = entities[i],
		                               .state = CINFO_STATE_FULL,
		                               .display_text = names[i],
		                               .status = CINFO_STATUS_CONNECTED,
		                               .joining = CINFO_JOIN_DIALED_IN,
		                               .joined_ms = 1764095995123,
		                               .media_id = "1"};
	}
	if (bench_full_100() < 0 || bench_cdr_format() < 0) {
		fprintf(stderr, "bench_cp_records: builders failed\n");
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		perror("bench_cp_records: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cdr.jsonl", dir);
	writer = cdr_open(path, 1 << 20, 2, err, sizeof(err));
	if (writer == NULL) {
		fprintf(stderr, "bench_cp_records: %s\n", err);
		return 1;
	}
	bench_run_ops("cp_records", "cinfo_full_10_users", bench_full_10);
	bench_run_ops("cp_records", "cinfo_full_100_users", bench_full_100);
	bench_run_ops("cp_records", "cinfo_partial_1_user", bench_partial_1);
	bench_run_ops("cp_records", "cdr_format", bench_cdr_format);
	bench_run_ops("cp_records", "cdr_write_rotating", bench_cdr_write);
	cdr_close(writer);
	snprintf(path, sizeof(path), "%s/cdr.jsonl", dir);
	unlink(path);
	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "%s/cdr.jsonl.%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
