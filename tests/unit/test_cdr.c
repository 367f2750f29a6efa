/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * controlplane/cdr: record format (every line parsed back by a strict JSON checker below),
 * size rotation with N kept files, reopen, and the failures that must be counted, not fatal.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cdr/cdr.h"
#include "cfg/cfg.h"

/* --- a strict JSON checker for one flat object (RFC 8259), enough for CDR lines --- */

#define JV_MAX 24

struct jv {
	char key[32];
	char val[CDR_LINE_MAX]; /* strings decoded to UTF-8; numbers and literals as written */
	bool is_string;
};

struct jobj {
	size_t n;
	struct jv v[JV_MAX];
};

static void
utf8_put(char **o, unsigned cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | (cp >> 6));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | (cp >> 12));
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

/* Parses a JSON string at *p into out (cap bytes); false on any violation. */
static bool
j_string(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	char *o = out, *end = out + cap - 4;

	if (*s++ != '"')
		return false;
	while (*s != '"') {
		unsigned char c = (unsigned char)*s;

		if (c == '\0' || c < 0x20 || o >= end)
			return false; /* raw controls are not allowed in JSON strings */
		if (c != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s++) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 0; i < 4; i++, s++) {
				char h = *s;

				if (h >= '0' && h <= '9')
					cp = cp * 16 + (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f')
					cp = cp * 16 + (unsigned)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F')
					cp = cp * 16 + (unsigned)(h - 'A' + 10);
				else
					return false;
			}
			utf8_put(&o, cp);
			break;
		}
		default:
			return false;
		}
	}
	*o = '\0';
	*p = s + 1;
	return true;
}

/* One flat object followed by exactly "\n" and the end of the text. */
static bool
j_parse_line(const char *line, struct jobj *obj)
{
	const char *p = line;

	obj->n = 0;
	if (*p++ != '{')
		return false;
	for (;;) {
		struct jv *v;

		if (obj->n == JV_MAX)
			return false;
		v = &obj->v[obj->n];
		if (!j_string(&p, v->key, sizeof(v->key)) || *p++ != ':')
			return false;
		for (size_t i = 0; i < obj->n; i++)
			if (strcmp(obj->v[i].key, v->key) == 0)
				return false; /* duplicate key */
		if (*p == '"') {
			if (!j_string(&p, v->val, sizeof(v->val)))
				return false;
			v->is_string = true;
		} else {
			size_t n = strspn(p, "0123456789-");

			if (strncmp(p, "true", 4) == 0)
				n = 4;
			else if (strncmp(p, "false", 5) == 0)
				n = 5;
			else if (strncmp(p, "null", 4) == 0)
				n = 4;
			else if (n == 0 || (p[0] == '0' && n > 1) || (p[0] == '-' && n == 1))
				return false;
			memcpy(v->val, p, n);
			v->val[n] = '\0';
			v->is_string = false;
			p += n;
		}
		obj->n++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return false;
		return strcmp(p, "\n") == 0;
	}
}

static const struct jv *
j_get(const struct jobj *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].key, key) == 0)
			return &o->v[i];
	return NULL;
}

static void
expect_val(const struct jobj *o, const char *key, const char *want, bool is_string)
{
	const struct jv *v = j_get(o, key);

	cr_assert_not_null(v, "missing key %s", key);
	cr_expect_str_eq(v->val, want, "%s", key);
	cr_expect_eq(v->is_string, is_string, "%s string-ness", key);
}

Test(cdr, json_checker_rejects_bad_lines)
{
	struct jobj o;

	cr_assert(j_parse_line("{\"a\":\"x\",\"b\":1}\n", &o));
	cr_assert_not(j_parse_line("{\"a\":\"x\"}", &o), "no newline");
	cr_assert_not(j_parse_line("{\"a\":\"x\ty\"}\n", &o), "raw tab");
	cr_assert_not(j_parse_line("{\"a\":\"\\q\"}\n", &o), "bad escape");
	cr_assert_not(j_parse_line("{\"a\":1,\"a\":2}\n", &o), "duplicate");
	cr_assert_not(j_parse_line("{\"a\":01}\n", &o), "leading zero");
	cr_assert_not(j_parse_line("{\"a\":\"x}\n", &o), "unterminated");
}

/* --- format --- */

static const struct cdr_record alice = {
        .type = CDR_TYPE_SESSION,
        .conference_id = "c17",
        .conference_uri = "sip:friends@im.example.com",
        .participant = "sip:alice@example.com",
        .start_ms = 1764095995123,
        .end_ms = 1764096055000,
        .messages_sent = 3,
        .messages_received = 12,
        .bytes_sent = 4096,
        .bytes_received = 18446744073709551615ull,
        .end_reason = CDR_END_BYE,
};

Test(cdr, format_exact_line)
{
	char buf[1024];
	ssize_t n = cdr_format(&alice, buf, sizeof(buf));
	static const char want[] =
	        "{\"type\":\"session\",\"conference_id\":\"c17\",\"conference_uri\":"
	        "\"sip:friends@im.example.com\",\"participant\":\"sip:alice@example.com\","
	        "\"anonymous\":false,\"start\":\"2025-11-25T18:39:55.123Z\",\"end\":"
	        "\"2025-11-25T18:40:55.000Z\",\"duration_ms\":59877,\"messages_sent\":3,"
	        "\"messages_received\":12,\"bytes_sent\":4096,\"bytes_received\":"
	        "18446744073709551615,\"end_reason\":\"bye\"}\n";

	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(cdr, format_parses_back)
{
	struct cdr_record r = {
	        .type = CDR_TYPE_CONFERENCE,
	        .conference_id = "c\"1\\2",
	        .conference_uri = NULL,
	        .participant = "Bob \"the\" \\ one\n\t\r\x01\x7f \xc3\xa9 \xff end",
	        .anonymous = true,
	        .start_ms = 0,
	        .end_ms = 999,
	        .end_reason = CDR_END_FAILED,
	        .failed_status = 486,
	};
	char buf[2048];
	struct jobj o;

	cr_assert_gt(cdr_format(&r, buf, sizeof(buf)), 0);
	cr_assert(j_parse_line(buf, &o), "not JSON: %s", buf);
	cr_assert_eq(o.n, 13);
	expect_val(&o, "type", "conference", true);
	expect_val(&o, "conference_id", "c\"1\\2", true);
	expect_val(&o, "conference_uri", "null", false);
	/* Controls escaped, the invalid byte 0xff replaced by U+FFFD. */
	expect_val(&o, "participant", "Bob \"the\" \\ one\n\t\r\x01\x7f \xc3\xa9 \xef\xbf\xbd end",
	           true);
	expect_val(&o, "anonymous", "true", false);
	expect_val(&o, "start", "1970-01-01T00:00:00.000Z", true);
	expect_val(&o, "end", "1970-01-01T00:00:00.999Z", true);
	expect_val(&o, "duration_ms", "999", false);
	expect_val(&o, "messages_sent", "0", false);
	expect_val(&o, "end_reason", "failed:486", true);
}

Test(cdr, every_end_reason)
{
	static const char *const words[] = {"bye",    "cancel",   "dp_closed", "timer_expired",
	                                    "booted", "shutdown", "failed:503"};
	struct cdr_record r = alice;
	char buf[1024];
	struct jobj o;

	cr_assert_eq(CDR_END_MAX, sizeof(words) / sizeof(words[0]));
	for (int i = 0; i < CDR_END_MAX; i++) {
		r.end_reason = (enum cdr_end_reason)i;
		r.failed_status = 503;
		cr_assert_gt(cdr_format(&r, buf, sizeof(buf)), 0);
		cr_assert(j_parse_line(buf, &o));
		expect_val(&o, "end_reason", words[i], true);
	}
	cr_assert_str_eq(cdr_end_reason_name(CDR_END_DP_CLOSED), "dp_closed");
	cr_assert_null(cdr_end_reason_name(CDR_END_MAX));
}

Test(cdr, format_refuses_invalid_records)
{
	struct cdr_record r = alice;
	char buf[1024];

	r.end_reason = CDR_END_MAX;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	r = alice;
	r.type = (enum cdr_type)7;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	r = alice;
	r.end_reason = CDR_END_FAILED;
	r.failed_status = 0;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	r.failed_status = 700;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	r = alice;
	r.start_ms = -1;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	r = alice;
	r.end_ms = 253402300800000LL;
	cr_expect_eq(cdr_format(&r, buf, sizeof(buf)), -EINVAL);
	/* The clock stepped back: duration 0, not negative. */
	r = alice;
	r.end_ms = r.start_ms - 5000;
	cr_expect_gt(cdr_format(&r, buf, sizeof(buf)), 0);
	cr_expect_not_null(strstr(buf, "\"duration_ms\":0,"));
}

Test(cdr, every_short_capacity_is_enospc)
{
	char full[1024], small[1024];
	ssize_t n = cdr_format(&alice, full, sizeof(full));

	for (size_t cap = 0; cap <= (size_t)n; cap++) {
		memset(small, 'Z', sizeof(small));
		cr_assert_eq(cdr_format(&alice, small, cap), -ENOSPC, "cap %zu", cap);
		cr_assert_eq(small[cap], 'Z');
		if (cap > 0)
			cr_assert_eq(small[cap - 1], '\0');
	}
	cr_assert_eq(cdr_format(&alice, small, (size_t)n + 1), n);
}

Test(cdr, path_expand)
{
	char out[64];

	cr_assert_eq(cdr_path_expand("/var/log/msw/%i-cdr.jsonl", "edge1", out, sizeof(out)),
	             (ssize_t)strlen("/var/log/msw/edge1-cdr.jsonl"));
	cr_assert_str_eq(out, "/var/log/msw/edge1-cdr.jsonl");
	cr_assert_eq(cdr_path_expand("/x/100%%-%i%i", "a", out, sizeof(out)), 10);
	cr_assert_str_eq(out, "/x/100%-aa");
	cr_assert_eq(cdr_path_expand("/x/%d", "a", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cdr_path_expand("/x/%", "a", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cdr_path_expand("/x/%i", "abcdef", out, 9), -ENOSPC);
	cr_assert_eq(cdr_path_expand("/x/%i", "abcde", out, 9), 8);
}

/* --- the writer --- */

static char dir[64];

static void
mkdir_tmp(void)
{
	strcpy(dir, "/tmp/msw-cdr-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static const char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
pathf(const char *fmt, ...)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4], rel[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, 256, "%s/%s", dir, rel);
	return b;
}

/* Reads every line of path, checks each is one JSON record; returns the count. */
static int
read_records(const char *path, char ids[][16], int max, long *size)
{
	FILE *f = fopen(path, "r");
	char line[CDR_LINE_MAX + 2];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct jobj o;
		const struct jv *id;

		cr_assert(j_parse_line(line, &o), "%s: not a JSON line: %s", path, line);
		id = j_get(&o, "conference_id");
		cr_assert_not_null(id);
		if (n < max)
			snprintf(ids[n], 16, "%.15s", id->val);
		n++;
	}
	if (size != NULL)
		*size = ftell(f);
	fclose(f);
	return n;
}

static int
write_n(struct cdr_writer *w, int from, int n)
{
	struct cdr_record r = alice;
	char id[16];

	for (int i = from; i < from + n; i++) {
		snprintf(id, sizeof(id), "c%04d", i);
		r.conference_id = id;
		cr_assert_eq(cdr_write(w, &r), 0, "record %d", i);
	}
	return n;
}

Test(cdr, writes_whole_lines_and_appends, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[8][16];
	struct cdr_writer *w = cdr_open(pathf("a.jsonl"), 1 << 20, 3, err, sizeof(err));
	struct cdr_stats st;
	struct stat sb;
	long size;

	cr_assert_not_null(w, "%s", err);
	write_n(w, 0, 3);
	cr_assert_eq(read_records(pathf("a.jsonl"), ids, 8, &size), 3);
	cr_assert_str_eq(ids[2], "c0002");
	cdr_stats_get(w, &st);
	cr_assert_eq(st.records, 3);
	cr_assert_eq(st.bytes, (uint64_t)size);
	cr_assert_eq(st.errors, 0);
	cdr_close(w);
	cr_assert_eq(stat(pathf("a.jsonl"), &sb), 0);
	/* 0640 before the umask: never world-readable, never executable. */
	cr_assert_eq(sb.st_mode & 0137, 0, "mode %o", sb.st_mode & 0777);
	cr_assert_eq(sb.st_mode & 0600, 0600, "mode %o", sb.st_mode & 0777);

	/* Reopening an existing file appends, and its size counts toward rotation. */
	w = cdr_open(pathf("a.jsonl"), 1 << 20, 3, err, sizeof(err));
	write_n(w, 3, 2);
	cr_assert_eq(read_records(pathf("a.jsonl"), ids, 8, NULL), 5);
	cr_assert_str_eq(ids[0], "c0000");
	cr_assert_str_eq(ids[4], "c0004");
	cdr_close(w);
	cdr_close(NULL);
}

Test(cdr, rotates_at_the_size_and_keeps_n_files, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[64][16], line[1024];
	/* write_n()'s ids "c0000" are two bytes longer than alice's "c17". */
	ssize_t len = cdr_format(&alice, line, sizeof(line)) + 2;
	uint64_t limit = (uint64_t)len * 4 + 10; /* four records per file */
	struct cdr_writer *w = cdr_open(pathf("r.jsonl"), limit, 3, err, sizeof(err));
	struct cdr_stats st;
	int next = 0;

	cr_assert_not_null(w, "%s", err);

	next += write_n(w, next, 4);
	cr_assert_eq(read_records(pathf("r.jsonl"), ids, 64, NULL), 4);
	cr_assert_eq(access(pathf("r.jsonl.1"), F_OK), -1, "no rotation before the size");
	next += write_n(w, next, 1); /* the fifth would pass the limit */
	cr_assert_eq(read_records(pathf("r.jsonl"), ids, 64, NULL), 1);
	cr_assert_str_eq(ids[0], "c0004");
	cr_assert_eq(read_records(pathf("r.jsonl.1"), ids, 64, NULL), 4);
	cr_assert_str_eq(ids[0], "c0000");

	next += write_n(w, next, 4 * 6 - next); /* 24 records in all: 6 files' worth */
	cdr_stats_get(w, &st);
	cr_assert_eq(st.rotations, 5, "%llu rotations", (unsigned long long)st.rotations);
	cr_assert_eq(st.rotate_errors, 0);
	/* Current file plus three old ones, oldest highest, whole records in order. */
	for (int f = 0; f <= 3; f++) {
		const char *p = f == 0 ? pathf("r.jsonl") : pathf("r.jsonl.%d", f);
		long size;
		int n = read_records(p, ids, 64, &size);
		char want[16];

		cr_assert_eq(n, 4, "%s", p);
		cr_assert_leq((uint64_t)size, limit, "%s", p);
		for (int i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "c%04d", 20 - 4 * f + i);
			cr_assert_str_eq(ids[i], want, "%s line %d", p, i);
		}
	}
	cr_assert_eq(access(pathf("r.jsonl.4"), F_OK), -1, "only 3 old files are kept");
	cdr_close(w);
}

Test(cdr, keep_zero_and_oversized_records, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[8][16];
	/* Smaller than one record: each record gets a file of its own, none is lost. */
	struct cdr_writer *w = cdr_open(pathf("z.jsonl"), 4096, 0, err, sizeof(err));
	struct cdr_record r = alice;
	char big[3000];
	struct cdr_stats st;

	cr_assert_not_null(w, "%s", err);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r.participant = big;
	r.conference_id = "c0000";
	cr_assert_eq(cdr_write(w, &r), 0);
	r.conference_id = "c0001";
	cr_assert_eq(cdr_write(w, &r), 0);
	cr_assert_eq(read_records(pathf("z.jsonl"), ids, 8, NULL), 1);
	cr_assert_str_eq(ids[0], "c0001");
	cr_assert_eq(access(pathf("z.jsonl.1"), F_OK), -1);
	cdr_stats_get(w, &st);
	cr_assert_eq(st.rotations, 1);
	cdr_close(w);
}

Test(cdr, too_long_record_is_counted_not_written, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[8][16];
	struct cdr_writer *w = cdr_open(pathf("l.jsonl"), 1 << 20, 1, err, sizeof(err));
	struct cdr_record r = alice;
	static char huge[CDR_LINE_MAX];
	struct cdr_stats st;

	memset(huge, 'y', sizeof(huge) - 1);
	r.participant = huge;
	cr_assert_eq(cdr_write(w, &r), -EMSGSIZE);
	r.end_reason = CDR_END_MAX;
	r.participant = "x";
	cr_assert_eq(cdr_write(w, &r), -EINVAL);
	write_n(w, 0, 1);
	cdr_stats_get(w, &st);
	cr_assert_eq(st.errors, 2);
	cr_assert_eq(st.records, 1);
	cr_assert_eq(read_records(pathf("l.jsonl"), ids, 8, NULL), 1);
	cdr_close(w);
}

Test(cdr, reopen_after_logrotate_moved_the_file, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[8][16];
	struct cdr_writer *w = cdr_open(pathf("m.jsonl"), 1 << 20, 2, err, sizeof(err));
	struct cdr_stats st;

	write_n(w, 0, 2);
	cr_assert_eq(rename(pathf("m.jsonl"), pathf("m.jsonl-20261125")), 0);
	write_n(w, 2, 1); /* still into the moved file: nothing lost before the SIGHUP */
	cr_assert_eq(cdr_reopen(w), 0);
	write_n(w, 3, 2);
	cr_assert_eq(read_records(pathf("m.jsonl-20261125"), ids, 8, NULL), 3);
	cr_assert_str_eq(ids[2], "c0002");
	cr_assert_eq(read_records(pathf("m.jsonl"), ids, 8, NULL), 2);
	cr_assert_str_eq(ids[0], "c0003");
	cdr_stats_get(w, &st);
	cr_assert_eq(st.reopens, 1);

	/* A reopen that fails keeps the old descriptor working. */
	cr_assert_eq(rename(pathf("m.jsonl"), pathf("m.old")), 0);
	cr_assert_eq(mkdir(pathf("m.jsonl"), 0700), 0);
	cr_assert_eq(cdr_reopen(w), -EISDIR);
	write_n(w, 5, 1);
	cr_assert_eq(read_records(pathf("m.old"), ids, 8, NULL), 3);
	cdr_close(w);
}

Test(cdr, open_failures_explain_themselves, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], want[512];
	struct cdr_writer *w;

	w = cdr_open(pathf("no/such/dir/x.jsonl"), 1 << 20, 1, err, sizeof(err));
	cr_assert_null(w);
	cr_assert_eq(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
	         pathf("no/such/dir/x.jsonl"));
	cr_assert_str_eq(err, want);

	/* A directory, and a FIFO (which must not block the event loop in open()). */
	cr_assert_eq(mkdir(pathf("d"), 0700), 0);
	cr_assert_null(cdr_open(pathf("d"), 1 << 20, 1, err, sizeof(err)));
	cr_assert_eq(mkfifo(pathf("fifo"), 0600), 0);
	cr_assert_null(cdr_open(pathf("fifo"), 1 << 20, 1, err, sizeof(err)));
	cr_assert(strstr(err, "cannot open:") != NULL, "%s", err);

	cr_assert_null(cdr_open("", 1 << 20, 1, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, ": not a usable file name");

	/* The last directory level is created (/var/log/msw on a fresh host). */
	w = cdr_open(pathf("msw/x.jsonl"), 1 << 20, 1, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	cdr_close(w);
}

Test(cdr, parent_is_not_a_directory, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256];
	FILE *f = fopen(pathf("file"), "w");

	cr_assert_not_null(f);
	fclose(f);
	cr_assert_null(cdr_open(pathf("file/x.jsonl"), 1 << 20, 1, err, sizeof(err)));
	cr_assert_eq(errno, ENOTDIR);
	cr_assert(strstr(err, "cannot open: Not a directory") != NULL, "%s", err);
}

/* A rotation that cannot rename goes on writing into the current file, counted. */
Test(cdr, failed_rotation_loses_nothing, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[16][16], line[1024];
	ssize_t len = cdr_format(&alice, line, sizeof(line)) + 2;
	struct cdr_writer *w = cdr_open(pathf("q.jsonl"), (uint64_t)len * 2, 1, err, sizeof(err));
	struct cdr_stats st;

	cr_assert_not_null(w, "%s", err);
	/* A non-empty directory where q.jsonl.1 must go: rename(2) refuses. */
	cr_assert_eq(mkdir(pathf("q.jsonl.1"), 0700), 0);
	cr_assert_eq(mkdir(pathf("q.jsonl.1/keep"), 0700), 0);
	write_n(w, 0, 5);
	cdr_stats_get(w, &st);
	cr_assert_eq(st.rotations, 0);
	cr_assert_eq(st.rotate_errors, 3);
	cr_assert_eq(st.errors, 0);
	cr_assert_eq(read_records(pathf("q.jsonl"), ids, 16, NULL), 5);
	/* Once the way is clear, the next record rotates. */
	cr_assert_eq(rmdir(pathf("q.jsonl.1/keep")), 0);
	cr_assert_eq(rmdir(pathf("q.jsonl.1")), 0);
	write_n(w, 5, 1);
	cr_assert_eq(read_records(pathf("q.jsonl"), ids, 16, NULL), 1);
	cr_assert_str_eq(ids[0], "c0005");
	cr_assert_eq(read_records(pathf("q.jsonl.1"), ids, 16, NULL), 5);
	cdr_close(w);
}

/* Disk full mid-line (RLIMIT_FSIZE stands in): the partial line is cut back off. */
Test(cdr, short_write_leaves_whole_lines, .init = mkdir_tmp, .fini = rm_tmp)
{
	char err[256], ids[8][16], line[1024];
	struct cdr_writer *w = cdr_open(pathf("f.jsonl"), 1 << 20, 1, err, sizeof(err));
	ssize_t len = cdr_format(&alice, line, sizeof(line)) + 2;
	struct rlimit rl = {.rlim_cur = (rlim_t)len * 2 + 20, .rlim_max = RLIM_INFINITY};
	struct cdr_stats st;
	long size;

	cr_assert_not_null(w, "%s", err);
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	write_n(w, 0, 2);
	cr_assert_lt(cdr_write(w, &alice), 0, "the third line does not fit");
	cdr_stats_get(w, &st);
	cr_assert_eq(st.errors, 1);
	cr_assert_eq(read_records(pathf("f.jsonl"), ids, 8, &size), 2);
	cr_assert_eq(size, len * 2);
	/* Space again: writing goes on after the cut. */
	rl.rlim_cur = RLIM_INFINITY;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	write_n(w, 2, 1);
	cr_assert_eq(read_records(pathf("f.jsonl"), ids, 8, NULL), 3);
	cr_assert_str_eq(ids[2], "c0002");
	cdr_close(w);
}

/* --- configuration keys --- */

Test(cdr, config_keys)
{
	struct msw_cfg *c = cfg_create_default();
	char err[CFG_ERR_CAP], path[256];

	cr_assert_not_null(c);
	cr_assert_str_eq(c->controlplane.cdr_path, "/var/log/msw/%i-cdr.jsonl");
	cr_assert_eq(c->controlplane.cdr_rotate_bytes, 64ull << 20);
	cr_assert_eq(c->controlplane.cdr_keep, 10);
	cr_assert_eq(cdr_path_expand(c->controlplane.cdr_path, c->instance, path, sizeof(path)),
	             (ssize_t)strlen("/var/log/msw/default-cdr.jsonl"));
	cfg_free(c);

	cr_assert_eq(cfg_load_string("controlplane = { cdr_path = \"\"; cdr_keep = 0;\n"
	                             "  cdr_rotate_bytes = 1099511627776L; };\n",
	                             "c.conf", &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(c->controlplane.cdr_path, "");
	cr_assert_eq(c->controlplane.cdr_rotate_bytes, 1ull << 40);
	cfg_free(c);

	static const struct {
		const char *text, *want;
	} bad[] = {
	        {"controlplane = {\n cdr_path = \"cdr.jsonl\"; };\n",
	         "c.conf:2: controlplane.cdr_path: \"cdr.jsonl\" must be an absolute path (or "
	         "empty to disable)"},
	        {"controlplane = { cdr_path = \"/x/%h.jsonl\"; };\n",
	         "c.conf:1: controlplane.cdr_path: \"/x/%h.jsonl\": only %i (instance) and %% may "
	         "follow a '%'"},
	        {"controlplane = { cdr_path = \"/x/%\"; };\n",
	         "c.conf:1: controlplane.cdr_path: \"/x/%\": only %i (instance) and %% may "
	         "follow a '%'"},
	        {"controlplane = { cdr_rotate_bytes = 4095; };\n",
	         "c.conf:1: controlplane.cdr_rotate_bytes: 4095 is out of range "
	         "4096..1099511627776"},
	        {"controlplane = { cdr_keep = 1001; };\n",
	         "c.conf:1: controlplane.cdr_keep: 1001 is out of range 0..1000"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		cr_expect_eq(cfg_load_string(bad[i].text, "c.conf", &c, err, sizeof(err)), -EINVAL,
		             "%s", bad[i].text);
		cr_expect_str_eq(err, bad[i].want);
		cr_expect_null(c);
	}
}
