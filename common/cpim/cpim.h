/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * message/cpim (RFC 3862): zero-copy parser, From/To rewriting for the MSRP switch (chat
 * alias, SWX-04, ALS-03), Final-Report detection (OMA SIMPLE IM §5.7.2, FDR-02), IMDN header
 * access (RFC 5438) and the envelope builder used to wrap text/plain (SWX-06).
 *
 * Nothing here allocates, locks or logs: every function may run on a dataplane lcore.
 * Builders write into caller buffers and return the length written or a negative errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "cpim/cpim_types.h"

static inline struct cpim_span
cpim_span_str(const char *s)
{
	return (struct cpim_span){.p = (const uint8_t *)s, .len = (uint32_t)strlen(s)};
}

/* Byte-exact comparison of a span with a NUL-terminated string. */
bool cpim_span_eq(struct cpim_span a, const char *s);
/* ASCII case-insensitive comparison (URNs, MIME header names, yes/no). */
bool cpim_span_caseeq(struct cpim_span a, const char *s);

/*
 * Parse the body of a message/cpim MIME entity (what follows the MSRP Content-Type block):
 * CPIM header block, blank line, MIME headers of the encapsulated object, blank line, content.
 * content is everything after the second blank line, so a first chunk of a longer message
 * parses as well as a whole message.
 *
 * Checks RFC 3862 header syntax (case-sensitive names, "Name:" [;params] SP value, CRLF),
 * NS declarations before their use, From/To presence and syntax, single From/DateTime,
 * RFC 3339 DateTime, the Final-Report value, and a Content-Type in the encapsulated object.
 *
 * Returns CPIM_OK, or an error with m->err_off at the start of the offending line.
 * CPIM_ERR_TRUNCATED means a header block did not end inside [buf, buf + len): with a
 * chunked MSRP message, the caller may retry with more bytes.
 */
enum cpim_rc cpim_parse(const uint8_t *buf, uint32_t len, struct cpim_msg *m);

/* Static, human-readable name of a result ("CPIM_ERR_NO_FROM: ..."). */
const char *cpim_strerror(enum cpim_rc rc);

/* Header of m by kind: the first one at index >= from, or -1. */
int cpim_hdr_find(const struct cpim_msg *m, enum cpim_hdr_id id, int from);

/* Final-Report requested: FR.Final-Report: yes with FR bound to the OMA URN (FDR-02). */
static inline bool
cpim_final_report_requested(const struct cpim_msg *m)
{
	return m->final_report == CPIM_FR_YES;
}

/*
 * RFC 3862 §4.7 Require: check that every header the sender requires is one we
 * understand (standard headers, Final-Report, the RFC 5438 imdn headers).
 * Returns 0, -ENOTSUP with *unknown set to the first unknown name (CPM-04), or -EINVAL when
 * a Require value is not a comma-separated list of header names.
 */
int cpim_require_check(const struct cpim_msg *m, struct cpim_span *unknown);

/* A chat alias or identity: display text (unquoted, may be empty) and URI. */
struct cpim_alias {
	struct cpim_span display;
	struct cpim_span uri;
};

/*
 * Build the replacement for address header m->hdr[idx] (From, To or cc) with identity a:
 * the same name and parameters, then `"display" <uri>` (or `<uri>`) and CRLF, written into
 * line. The display text is quoted and '"' and '\' are escaped (RFC 3862 §3.2 String).
 * *sp receives the splice relative to the parsed buffer: off = start of the old line.
 * Returns the length written, -ENOSPC if cap is too small, -EINVAL when idx is not an
 * address header or a has a control character, or a URI with SP, '<' or '>'.
 */
ssize_t cpim_addr_rewrite(const struct cpim_msg *m, int idx, const struct cpim_alias *a,
                          uint8_t *line, size_t cap, struct cpim_splice *sp);

/*
 * Copy body[0, len) into out, replacing the spliced ranges by repl[i] (new_len bytes each).
 * Splices must be sorted by off and must not overlap. Returns the new length, -ENOSPC, or
 * -EINVAL (unsorted, overlapping or out-of-range splices).
 */
ssize_t cpim_splice_apply(const uint8_t *body, uint32_t len, const struct cpim_splice *sp,
                          const uint8_t *const *repl, unsigned int n, uint8_t *out, size_t cap);

/*
 * Where byte pos (1-based, as in Byte-Range) of the original body lands after the splices:
 * pos plus the delta of every splice that ends before it. A position inside a replaced range
 * maps to the first byte of its replacement. Sum of deltas = change of the Byte-Range total.
 */
uint64_t cpim_splice_shift(const struct cpim_splice *sp, unsigned int n, uint64_t pos);

/* Total byte delta of n splices. */
int64_t cpim_splice_delta(const struct cpim_splice *sp, unsigned int n);

/* One extra CPIM header emitted by the wrap builder: "name: value" (name may be "pfx.X"). */
struct cpim_field {
	struct cpim_span name;
	struct cpim_span value;
};

/* What cpim_wrap_build() puts around a body (SWX-06). */
struct cpim_wrap {
	struct cpim_alias from;
	struct cpim_alias to;
	bool has_datetime;
	int64_t datetime_ms;      /* Unix time in ms, printed as RFC 3339 UTC with millis */
	const struct cpim_ns *ns; /* NS lines, emitted before any field */
	unsigned int n_ns;
	const struct cpim_field *fields; /* e.g. FR.Final-Report, imdn.Message-ID */
	unsigned int n_fields;
	struct cpim_span content_type; /* of the wrapped body, e.g. text/plain;charset=UTF-8 */
	/* More MIME headers of the encapsulated object after Content-Type (Content-Disposition). */
	const struct cpim_field *mime;
	unsigned int n_mime;
};

/*
 * Write the envelope (CPIM headers, blank line, Content-Type, blank line) that precedes the
 * wrapped content: the caller can chain the original body bytes after it without copying.
 * The Byte-Range shift of the wrapped message is the returned length (a splice at 0).
 * Returns the length, -ENOSPC, or -EINVAL (missing From/To URI or content type, control
 * characters, bad NS prefix or field name).
 */
ssize_t cpim_wrap_prefix_build(const struct cpim_wrap *w, uint8_t *out, size_t cap);

/* Envelope followed by a copy of content[0, len). Returns the length, -ENOSPC or -EINVAL. */
ssize_t cpim_wrap_build(const struct cpim_wrap *w, const uint8_t *content, uint32_t len,
                        uint8_t *out, size_t cap);
