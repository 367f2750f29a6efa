/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cdr: accounting records of the focus (issue 7 "Accounting"): one JSON object per line
 * (JSON Lines, RFC 8259 text) appended to a file that is rotated by size, keeping the
 * newest N old files as PATH.1 (newest) .. PATH.N (oldest). cdr_reopen() starts a new file
 * after an external logrotate moved the old one (SIGHUP).
 *
 * A record is written with one write(2) of one complete line on an O_APPEND descriptor: no
 * buffering, so nothing is lost in a crash and readers never see half a record. Failures
 * (disk full, rotation refused) are counted and returned, never fatal: the focus keeps
 * serving calls.
 *
 * Thread-safety: a struct cdr_writer belongs to one thread (the focus's su_root thread);
 * calls on the same writer must not run concurrently. cdr_format() is pure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* End reasons, declared once: symbol and the word written in "end_reason". */
#define CDR_END_REASONS(X)                                                                         \
	X(BYE, "bye")                     /* a BYE from the participant (or the last one left) */  \
	X(CANCEL, "cancel")               /* the INVITE was cancelled before it was answered */    \
	X(DP_CLOSED, "dp_closed")         /* the data plane closed the MSRP leg */                 \
	X(TIMER_EXPIRED, "timer_expired") /* session timer (RFC 4028) ran out */                   \
	X(BOOTED, "booted")               /* removed by REFER method=BYE (RFC 4579) */             \
	X(SHUTDOWN, "shutdown")           /* the focus stopped */                                  \
	X(FAILED, "failed")               /* setup failed: "failed:<SIP status>" */

#define CDR_ENUM_REASON(sym, word) CDR_END_##sym,
enum cdr_end_reason { CDR_END_REASONS(CDR_ENUM_REASON) CDR_END_MAX };
#undef CDR_ENUM_REASON

enum cdr_type {
	CDR_TYPE_SESSION,    /* one participant's leg in a conference (or a 1:1 via the focus) */
	CDR_TYPE_CONFERENCE, /* the conference as a whole, written when it ends */
};

/* Longest line cdr_write() accepts, newline included; longer records get -EMSGSIZE. */
#define CDR_LINE_MAX 16384

/*
 * One record. Strings are UTF-8 (invalid bytes are written as U+FFFD so the line stays
 * valid JSON), owned by the caller, NULL written as JSON null. Times are milliseconds since
 * the Unix epoch (UTC); duration_ms is end - start (0 when the clock stepped back).
 * Counters come from the data plane's per-leg counters (for a conference record: the sums).
 * Thread-safety: caller-owned, read only during the call.
 */
struct cdr_record {
	enum cdr_type type;
	const char *conference_id;  /* the focus's id of the conference */
	const char *conference_uri; /* conference URI or Group Identity */
	const char *participant;    /* session: identity, or the alias when anonymous */
	bool anonymous;             /* participant is an alias (OMA 7.2.3.2) */
	int64_t start_ms;           /* session: answered (or INVITE for failures); conf: created */
	int64_t end_ms;
	uint64_t messages_sent; /* by the participant into the conference */
	uint64_t messages_received;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	enum cdr_end_reason end_reason;
	uint16_t failed_status; /* end_reason FAILED: the SIP status, e.g. 486 */
};

/*
 * Formats r as one JSON line ending in '\n' into buf (cap bytes, NUL added). Returns the
 * length without the NUL, -ENOSPC when it does not fit, -EINVAL for an enum out of range, a
 * time before 1970 or after 9999, or FAILED without a status in 100..699. Keys, in order:
 * type, conference_id, conference_uri, participant, anonymous, start, end, duration_ms,
 * messages_sent, messages_received, bytes_sent, bytes_received, end_reason.
 */
ssize_t cdr_format(const struct cdr_record *r, char *buf, size_t cap);

/* Counters of a writer; monotonic over its life. */
struct cdr_stats {
	uint64_t records;       /* lines written completely */
	uint64_t bytes;         /* bytes of those lines */
	uint64_t errors;        /* records lost: write/format failures */
	uint64_t rotations;     /* files rotated by size */
	uint64_t rotate_errors; /* rotations that failed (writing went on in the old file) */
	uint64_t reopens;
};

struct cdr_writer;

/*
 * Opens (creating it 0640, and its directory 0750 when that is missing) path for appending.
 * A line that would take the file past rotate_bytes first rotates it (a file is never left
 * empty by rotation, so one record larger than rotate_bytes still gets written); keep old
 * files are kept, 0 keeps none. Returns the writer, or NULL with errno set and
 * "PATH: reason" in err (errsz bytes).
 */
struct cdr_writer *cdr_open(const char *path, uint64_t rotate_bytes, uint32_t keep, char *err,
                            size_t errsz);

/*
 * Appends one record. Returns 0, or -errno (the record is lost and counted in errors):
 * -EMSGSIZE longer than CDR_LINE_MAX, -EINVAL see cdr_format(), -EIO/-ENOSPC/... from
 * write(2). A short write is cut back with ftruncate() so the file holds whole lines only.
 */
int cdr_write(struct cdr_writer *w, const struct cdr_record *r);

/*
 * Closes the file and opens path again (after logrotate renamed it; call it from the loop
 * when SIGHUP was seen, never from the signal handler). On failure the old descriptor stays
 * in use and -errno is returned.
 */
int cdr_reopen(struct cdr_writer *w);

/* Copies the counters. */
void cdr_stats_get(const struct cdr_writer *w, struct cdr_stats *out);

/* Closes and frees; NULL is allowed. */
void cdr_close(struct cdr_writer *w);

/*
 * Expands the configured path template: "%i" becomes instance, "%%" a '%'. Returns the
 * length, -ENOSPC when it does not fit cap (with the NUL), -EINVAL for any other '%'.
 */
ssize_t cdr_path_expand(const char *tmpl, const char *instance, char *out, size_t cap);

/* The end_reason word of r ("bye"), or NULL when out of range. */
const char *cdr_end_reason_name(enum cdr_end_reason reason);
