/* SPDX-License-Identifier: BSD-3-Clause */
/* Accounting records: JSON line formatting, size rotation, reopen (see cdr.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdr/cdr.h"
#include "utf8/utf8.h"
#include "wbuf/wbuf.h"

/* Thread-safety: owned by one thread (see cdr.h). */
struct cdr_writer {
	char *path;
	int fd;
	uint64_t size; /* of the current file, as we wrote it */
	uint64_t rotate_bytes;
	uint32_t keep;
	struct cdr_stats st;
};

#define CDR_WORD(sym, word) word,
static const char *const cdr_reason_words[] = {CDR_END_REASONS(CDR_WORD)};
#undef CDR_WORD

const char *
cdr_end_reason_name(enum cdr_end_reason reason)
{
	return (unsigned)reason < CDR_END_MAX ? cdr_reason_words[reason] : NULL;
}

/*
 * A JSON string (RFC 8259 section 7): quote, backslash and C0 controls escaped. JSON text
 * must be UTF-8 (section 8.1), so an invalid byte becomes U+FFFD instead of losing the
 * whole record over one bad display name.
 */
static void
cdr_json_string(struct wbuf *o, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len, start = 0;

	if (s == NULL) {
		wbuf_put_str(o, "null");
		return;
	}
	len = strlen(s);
	wbuf_put_str(o, "\"");
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);
		const char *rep = NULL;
		char hex[8];

		if (n == 0) {
			rep = "\\ufffd";
			n = 1;
		} else if (p[i] == '"') {
			rep = "\\\"";
		} else if (p[i] == '\\') {
			rep = "\\\\";
		} else if (p[i] == '\n') {
			rep = "\\n";
		} else if (p[i] == '\r') {
			rep = "\\r";
		} else if (p[i] == '\t') {
			rep = "\\t";
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(hex, sizeof(hex), "\\u%04x", p[i]);
			rep = hex;
		}
		if (rep != NULL) {
			wbuf_put(o, s + start, i - start);
			wbuf_put_str(o, rep);
			start = i + n;
		}
		i += n;
	}
	wbuf_put(o, s + start, len - start);
	wbuf_put_str(o, "\"");
}

/* RFC 3339 UTC with milliseconds: "2026-11-25T18:39:55.123Z". */
static void
cdr_time(struct wbuf *o, int64_t ms)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	/* 253402300800000 ms is year 10000: RFC 3339 has four-digit years. */
	if (ms < 0 || ms >= 253402300800000LL || gmtime_r(&sec, &tm) == NULL) {
		wbuf_fail(o, -EINVAL);
		return;
	}
	wbuf_printf(o, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
	            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

ssize_t
cdr_format(const struct cdr_record *r, char *buf, size_t cap)
{
	const char *reason = cdr_end_reason_name(r->end_reason);
	struct wbuf o;

	if (reason == NULL || (r->type != CDR_TYPE_SESSION && r->type != CDR_TYPE_CONFERENCE) ||
	    (r->end_reason == CDR_END_FAILED && (r->failed_status < 100 || r->failed_status > 699)))
		return -EINVAL;
	wbuf_init_cstr(&o, buf, cap);
	wbuf_put_str(&o, r->type == CDR_TYPE_SESSION ? "{\"type\":\"session\""
	                                             : "{\"type\":\"conference\"");
	wbuf_put_str(&o, ",\"conference_id\":");
	cdr_json_string(&o, r->conference_id);
	wbuf_put_str(&o, ",\"conference_uri\":");
	cdr_json_string(&o, r->conference_uri);
	wbuf_put_str(&o, ",\"participant\":");
	cdr_json_string(&o, r->participant);
	wbuf_put_str(&o, r->anonymous ? ",\"anonymous\":true" : ",\"anonymous\":false");
	wbuf_put_str(&o, ",\"start\":");
	cdr_time(&o, r->start_ms);
	wbuf_put_str(&o, ",\"end\":");
	cdr_time(&o, r->end_ms);
	wbuf_printf(&o, ",\"duration_ms\":%" PRId64,
	            r->end_ms > r->start_ms ? r->end_ms - r->start_ms : 0);
	wbuf_printf(&o, ",\"messages_sent\":%" PRIu64 ",\"messages_received\":%" PRIu64,
	            r->messages_sent, r->messages_received);
	wbuf_printf(&o, ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64, r->bytes_sent,
	            r->bytes_received);
	if (r->end_reason == CDR_END_FAILED)
		wbuf_printf(&o, ",\"end_reason\":\"failed:%u\"}\n", r->failed_status);
	else
		wbuf_printf(&o, ",\"end_reason\":\"%s\"}\n", reason);
	return wbuf_result_cstr(&o);
}

ssize_t
cdr_path_expand(const char *tmpl, const char *instance, char *out, size_t cap)
{
	struct wbuf o;

	wbuf_init_cstr(&o, out, cap);
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			wbuf_put(&o, p, 1);
		} else if (p[1] == 'i') {
			wbuf_put_str(&o, instance);
			p++;
		} else if (p[1] == '%') {
			wbuf_put(&o, "%", 1);
			p++;
		} else {
			return -EINVAL;
		}
	}
	return wbuf_result_cstr(&o);
}

/*
 * O_NONBLOCK only so a FIFO at path cannot block the event loop in open(); the file must
 * then be a regular file, where O_NONBLOCK has no effect on write(2).
 */
static int
cdr_open_fd(const char *path, uint64_t *size)
{
	struct stat st;
	int fd =
	        open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

struct cdr_writer *
cdr_open(const char *path, uint64_t rotate_bytes, uint32_t keep, char *err, size_t errsz)
{
	struct cdr_writer *w;
	char *dir_copy;
	int fd;

	if (path == NULL || path[0] == '\0' || strlen(path) + 12 >= PATH_MAX) {
		snprintf(err, errsz, "%s: not a usable file name", path != NULL ? path : "(null)");
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	dir_copy = strdup(path);
	if (w == NULL || dir_copy == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		free(dir_copy);
		snprintf(err, errsz, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * /var/log/msw may not exist on a fresh host; deeper trees are the packager's job. A
	 * failure here is left to open() below to report (ENOENT for a missing parent).
	 */
	(void)mkdir(dirname(dir_copy), 0750);
	free(dir_copy);
	fd = cdr_open_fd(path, &w->size);
	if (fd < 0) {
		snprintf(err, errsz, "%s: cannot open: %s", path,
		         fd == -EINVAL ? "not a regular file" : strerror(-fd));
		free(w->path);
		free(w);
		errno = -fd;
		return NULL;
	}
	w->fd = fd;
	w->rotate_bytes = rotate_bytes;
	w->keep = keep;
	return w;
}

/* PATH.1 .. PATH.keep shift up by one, PATH becomes PATH.1, a new PATH is opened. */
static int
cdr_rotate(struct cdr_writer *w)
{
	char from[PATH_MAX], to[PATH_MAX];
	uint64_t size;
	int fd;

	if (w->keep == 0) {
		if (unlink(w->path) < 0 && errno != ENOENT)
			return -errno;
	} else {
		for (uint32_t i = w->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%" PRIu32, w->path, i);
			snprintf(to, sizeof(to), "%s.%" PRIu32, w->path, i + 1);
			if (rename(from, to) < 0 && errno != ENOENT)
				return -errno;
		}
		snprintf(to, sizeof(to), "%s.1", w->path);
		if (rename(w->path, to) < 0 && errno != ENOENT)
			return -errno;
	}
	fd = cdr_open_fd(w->path, &size);
	if (fd < 0)
		return fd; /* keep appending to the renamed file: nothing is lost */
	close(w->fd);
	w->fd = fd;
	w->size = size;
	return 0;
}

int
cdr_write(struct cdr_writer *w, const struct cdr_record *r)
{
	char line[CDR_LINE_MAX + 1];
	ssize_t n = cdr_format(r, line, sizeof(line)), wr;

	if (n < 0) {
		w->st.errors++;
		return n == -ENOSPC ? -EMSGSIZE : (int)n;
	}
	if (w->size > 0 && w->size + (uint64_t)n > w->rotate_bytes) {
		if (cdr_rotate(w) == 0)
			w->st.rotations++;
		else
			w->st.rotate_errors++;
	}
	do
		wr = write(w->fd, line, (size_t)n);
	while (wr < 0 && errno == EINTR);
	if (wr == n) {
		w->size += (uint64_t)n;
		w->st.records++;
		w->st.bytes += (uint64_t)n;
		return 0;
	}
	w->st.errors++;
	if (wr < 0)
		return -errno;
	/* Disk full mid-line: drop the partial line so every line stays one whole record. */
	if (ftruncate(w->fd, (off_t)w->size) < 0)
		w->size += (uint64_t)wr;
	return -ENOSPC;
}

int
cdr_reopen(struct cdr_writer *w)
{
	uint64_t size;
	int fd = cdr_open_fd(w->path, &size);

	if (fd < 0)
		return fd;
	close(w->fd);
	w->fd = fd;
	w->size = size;
	w->st.reopens++;
	return 0;
}

void
cdr_stats_get(const struct cdr_writer *w, struct cdr_stats *out)
{
	*out = w->st;
}

void
cdr_close(struct cdr_writer *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w->path);
	free(w);
}
