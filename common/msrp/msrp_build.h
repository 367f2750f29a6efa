/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * MSRP frame builders (RFC 4975 §7, §9): SEND chunks, responses, REPORTs and re-headering
 * of a received chunk for another leg (switch: new tid and paths, body untouched).
 *
 * Zero copy: a request is written as a head (start line, headers, and for a body the
 * Content-Type line and blank line) and an end (CRLF before the end-line if there is a body,
 * then "-------" tid flag CRLF). The caller sends head, then the body spans it already holds
 * (e.g. a received frame's body_segs), then end. msrp_build_send() is the one-buffer variant.
 *
 * Every builder writes into caller memory, checks the capacity first-to-last and returns
 * the length written, -ENOSPC (nothing useful written) or -EINVAL (arguments that would
 * put an invalid frame on the wire). No allocation, no locks, no logging: hot-path safe.
 *
 * Thread-safety: pure functions over caller memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "msrp/msrp_types.h"

/* Longest end part: CRLF + 7 dashes + 32-char tid + flag + CRLF. */
#define MSRP_BUILD_END_MAX (2 + 7 + 32 + 1 + 2)

/* An extra header line "name: value" (ext-header or Other-Mime-header). */
struct msrp_build_hdr {
	struct msrp_span name;
	struct msrp_span value;
};

/*
 * A request to build. Header order on the wire (RFC 4975 §9): To-Path, From-Path,
 * Message-ID, Success-Report, Failure-Report, Byte-Range, Status, ext headers, then for a
 * body the MIME headers and Content-Type last.
 */
struct msrp_build_req {
	struct msrp_span method;         /* "SEND", "REPORT" (1*UPALPHA) */
	struct msrp_span tid;            /* ident, 4..32 chars */
	struct msrp_span to_path;        /* one or more SP-separated MSRP URIs */
	struct msrp_span from_path;      /* idem */
	struct msrp_span message_id;     /* ident; empty = omitted (only valid for other methods) */
	enum msrp_report success_report; /* ABSENT = header omitted */
	enum msrp_report failure_report; /* ABSENT = header omitted */
	bool has_byte_range;
	struct msrp_byte_range byte_range;
	bool has_status; /* REPORT: Status: 000 code [comment] */
	struct msrp_status status;
	const struct msrp_build_hdr *ext; /* ext-headers, before the MIME headers */
	unsigned int n_ext;
	const struct msrp_build_hdr *mime; /* Other-Mime-headers (Content-ID, ...) */
	unsigned int n_mime;
	struct msrp_span content_type; /* required when has_body */
	bool has_body;                 /* content-stuff present (even with 0 data bytes) */
	uint64_t body_len;             /* data bytes the caller sends between head and end */
	enum msrp_flag flag;           /* '+', '$' or '#' */
};

/*
 * Head of a request. Checks: tid and Message-ID are idents, paths non-empty without CR/LF,
 * Byte-Range start >= 1 and (when numeric) end == start + body_len - 1 <= total
 * (RFC 4975 §7.1.1, MCH-03), Content-Type present when has_body, SEND has a Message-ID,
 * status codes are 3 digits. Returns the length, -ENOSPC or -EINVAL.
 */
ssize_t msrp_build_req_head(const struct msrp_build_req *r, uint8_t *out, size_t cap);

/* End part: [CRLF] "-------" tid flag CRLF (the CRLF first only when has_body). */
ssize_t msrp_build_end(struct msrp_span tid, bool has_body, enum msrp_flag flag, uint8_t *out,
                       size_t cap);

/*
 * The same end part without its checks, for a caller that knows tid is an ident of at most
 * 32 chars and flag one of '$' '+' '#' (its own transaction ids: the switch writes one per
 * copy; inline, so a constant tid length makes plain stores). out holds
 * MSRP_BUILD_END_MAX bytes. Returns the length.
 */
static inline size_t
msrp_build_end_trusted(struct msrp_span tid, bool has_body, enum msrp_flag flag, uint8_t *out)
{
	size_t n = 0;

	/* The CRLF closing the data is not part of it (RFC 4975 §9 content-stuff). */
	if (has_body) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	memcpy(out + n, "-------", 7);
	n += 7;
	memcpy(out + n, tid.p, tid.len);
	n += tid.len;
	out[n++] = (uint8_t)flag;
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/* Whole request in one buffer: head, body[0, r->body_len), end. -EINVAL if body is NULL
 * while body_len > 0. */
ssize_t msrp_build_send(const struct msrp_build_req *r, const uint8_t *body, uint8_t *out,
                        size_t cap);

/*
 * Response (RFC 4975 §7.2): "MSRP tid code [comment]", To-Path = exactly one URI (the
 * previous hop), From-Path = exactly one URI (the responder), end-line with '$'. An empty
 * comment is omitted. Returns the length, -ENOSPC or -EINVAL (tid not an ident, code not
 * 100..999, a path with SP/CR/LF or empty).
 */
ssize_t msrp_build_response(struct msrp_span tid, uint16_t code, struct msrp_span comment,
                            struct msrp_span to_uri, struct msrp_span from_uri, uint8_t *out,
                            size_t cap);

/*
 * Response to a parsed request: tid from the request, To-Path = first From-Path URI of the
 * request (previous hop), From-Path = local_uri, or when local_uri is empty the first
 * To-Path URI of the request (the URI the peer addressed). comment NULL = the standard
 * phrase of msrp_status_comment(). Returns -EINVAL for a response frame (never answered).
 */
ssize_t msrp_build_response_to(const struct msrp_frame *req, uint16_t code, const char *comment,
                               struct msrp_span local_uri, uint8_t *out, size_t cap);

/* Standard comment of an RFC 4975 §10 status code ("OK", "Session Does Not Exist"), or "". */
const char *msrp_status_comment(uint16_t code);

/*
 * REPORT for a received SEND (RFC 4975 §7.1.2): To-Path = the SEND's whole From-Path,
 * From-Path = local_uri, same Message-ID, Byte-Range 1-N/N (or the given range), Status
 * 000 code comment, no body. comment NULL = msrp_status_comment(code). range NULL = bytes
 * 1..total received, where total comes from the SEND's Byte-Range (total when known, else
 * its end). Returns the length, -ENOSPC or -EINVAL (not a SEND, no Message-ID).
 */
ssize_t msrp_build_report_for(const struct msrp_frame *send, struct msrp_span tid,
                              struct msrp_span local_uri, uint16_t code, const char *comment,
                              const struct msrp_byte_range *range, uint8_t *out, size_t cap);

/* What changes when a received chunk goes out on another leg (SWX-03, FDR-10). */
struct msrp_reheader {
	struct msrp_span tid;            /* fresh transaction id for the outgoing hop */
	struct msrp_span to_path;        /* the far leg's a=path, relays first */
	struct msrp_span from_path;      /* our URI on that leg */
	enum msrp_report success_report; /* ABSENT = keep as received (FDR-04 forces yes) */
	enum msrp_report failure_report; /* ABSENT = keep as received */
	const struct msrp_byte_range *byte_range; /* NULL = keep (CPIM rewrite shifts it) */
	uint64_t body_len; /* bytes the caller will chain, used with byte_range */
};

/*
 * Head of a received request re-addressed for another leg: new tid, To-Path and From-Path;
 * every other header line kept in order and byte-exact (name ": " value), overridden
 * report headers or Byte-Range substituted in place (when the frame lacks them they are
 * inserted after From-Path), and the blank line when the frame had a body. The caller then sends
 * the original body spans and msrp_build_end(rh->tid, in->has_body, flag) (flag normally in->flag).
 * Returns the length, -ENOSPC or -EINVAL (response frame, bad tid or path).
 */
ssize_t msrp_build_reheader(const struct msrp_frame *in, const struct msrp_reheader *rh,
                            uint8_t *out, size_t cap);
