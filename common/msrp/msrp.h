/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP protocol library, parser side (RFC 4975 §9 ABNF, RFC 4976 additions).
 *
 * Incremental, zero-copy, non-allocating parser for one MSRP connection's byte stream.
 *
 * Contract of msrp_parser_feed():
 *  - Feed the stream in order, in any split (1 byte at a time up to megabytes): the same
 *    frames come out. Each call consumes bytes from buf until one frame completes
 *    (MSRP_OK, *used = bytes of buf consumed up to and including the end-line's CRLF), or
 *    until buf is exhausted (MSRP_AGAIN, *used == len), or an error is found.
 *  - Zero copy: body spans point into the buffers fed. A frame may straddle buffers (a
 *    segment chain): every buffer fed since the current frame's first byte MUST stay valid
 *    and unmodified until the frame is returned and the caller is done with it. The body
 *    comes back as frame.body_segs[0..n_body_segs) (adjacent buffers merged into one span).
 *  - Headers are typed from contiguous memory: when the header block (start line + header
 *    lines) straddles buffers, only the header block is copied into the parser's header
 *    buffer (bounded by max_header_bytes); body bytes are never copied.
 *  - The returned frame and all its spans are valid until the next msrp_parser_feed() or
 *    msrp_parser_init() call on this parser.
 *  - Errors are sticky: the connection must be closed (RFC 4975 §7.3 gives no way to
 *    resynchronise). msrp_parser_error_offset() gives the stream offset of the frame that
 *    failed; msrp_parser_error_pos() the offset of the byte where it was detected.
 *  - Never allocates, never logs, never aborts: safe on the data plane hot path.
 *
 * Thread-safety: a parser is owned by one thread (the connection's); functions on
 * different parsers may run concurrently. URI helpers are pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msrp/msrp_types.h"

/* Default limits: 16 KiB header block, 1 MiB body per chunk, 32 headers, 64 body segments. */
void msrp_limits_default(struct msrp_limits *lim);

/*
 * Initialise (or reset) a parser at stream offset 0.
 * lim: NULL for the defaults, or limits (start from msrp_limits_default()):
 *      max_header_bytes >= 16, 2 <= max_headers <= MSRP_HEADERS_MAX,
 *      1 <= max_body_segs <= MSRP_BODY_SEGS_MAX; max_body_bytes may be 0 (empty bodies only).
 * hdr_buf/hdr_cap: caller memory for header blocks that straddle buffers; hdr_cap must be
 *      >= the effective max_header_bytes. The parser keeps the pointer.
 * Returns 0, or -EINVAL for an inconsistent limit or a too small hdr_buf.
 */
int msrp_parser_init(struct msrp_parser *p, const struct msrp_limits *lim, uint8_t *hdr_buf,
                     uint32_t hdr_cap);

/*
 * Feed bytes (see the contract above). Returns MSRP_OK with *frame filled, MSRP_AGAIN, or
 * an MSRP_ERR_* code (sticky; *used tells how far the parser read).
 */
enum msrp_rc msrp_parser_feed(struct msrp_parser *p, const uint8_t *buf, size_t len, size_t *used,
                              struct msrp_frame *frame);

/*
 * End of stream: MSRP_OK when the stream ended on a frame boundary, MSRP_ERR_TRUNCATED when
 * it ended inside a frame, or the sticky error.
 */
enum msrp_rc msrp_parser_finish(const struct msrp_parser *p);

/* Stream offset of the frame that failed (its first byte). Valid after an error. */
uint64_t msrp_parser_error_offset(const struct msrp_parser *p);

/* Stream offset of the byte at which the error was detected. Valid after an error. */
uint64_t msrp_parser_error_pos(const struct msrp_parser *p);

/*
 * Streaming a request body while it arrives (a relay's cut-through). Call between feeds
 * (after MSRP_AGAIN); the frame returned by the next MSRP_OK is the same frame, complete.
 *
 * msrp_parser_body_partial(): when the parser is inside the body of a frame whose header
 * block is complete and valid, returns that frame (typed headers valid; body_segs: the body
 * bytes fed and not dropped yet, possibly followed by the start of the end-line; body_len
 * is 0 until the frame completes) and sets *certain to the number of body bytes, counted
 * from the first one, that are body for sure: bytes that can still turn out to be the
 * "
-------tid" end-line (split across feeds) are not. Otherwise returns NULL. The frame
 * is valid until the next feed, drop or init.
 *
 * msrp_parser_body_drop(): the caller consumed the first n body bytes not dropped yet
 * (clamped to *certain - body_skip) and will not read them again: they leave body_segs
 * (frame.body_skip grows), so the buffers that held only them (and the header block, which
 * is copied into hdr_buf the first time) need not stay valid any more. This also keeps the
 * span list short, so max_body_segs no longer limits a streamed body. The completed frame
 * has body_len = the whole body and body_segs = [body_skip, body_len).
 *
 * msrp_parser_body_limit(): replaces max_body_bytes for the frame in progress only (a caller
 * that streams the body does not hold it, so its memory no longer bounds the chunk);
 * clamped to MSRP_STREAM_BODY_MAX. No effect outside a body.
 */
const struct msrp_frame *msrp_parser_body_partial(const struct msrp_parser *p, uint64_t *certain);
void msrp_parser_body_drop(struct msrp_parser *p, uint64_t n);
void msrp_parser_body_limit(struct msrp_parser *p, uint64_t max_body_bytes);

/* True when the parser is between frames (no partial frame buffered). */
bool msrp_parser_idle(const struct msrp_parser *p);

/* Short stable name of a result code ("header_syntax"), never NULL. */
const char *msrp_rc_name(enum msrp_rc rc);

/* Wire name of a typed header ("Byte-Range"), or NULL for MIME_OTHER/EXTENSION. */
const char *msrp_hdr_name(enum msrp_hdr_id id);

/* True when s is an RFC 4975 ident: ALPHANUM then 3..31 of ALPHANUM . - + % = */
bool msrp_ident_valid(const uint8_t *s, size_t len);

/*
 * Find a header by name (case-insensitive) in frame order, starting after *pos (set *pos to
 * -1 to start). Returns the header and updates *pos, or NULL.
 */
const struct msrp_header *msrp_frame_find_header(const struct msrp_frame *f, const char *name,
                                                 int *pos);

/* Copies the body into dst (cap bytes) and returns body_len; copies at most cap bytes. */
uint64_t msrp_frame_body_copy(const struct msrp_frame *f, uint8_t *dst, size_t cap);

/*
 * MSRP URIs (RFC 4975 §6, §9). msrp_uri_parse() parses one URI from s[0..len) (the whole
 * range must be the URI). Returns 0 or -EINVAL.
 */
int msrp_uri_parse(const uint8_t *s, size_t len, struct msrp_uri *uri);

/*
 * URI equivalence per RFC 4975 §6.1: scheme, host (case-insensitive for names, by address
 * for IP literals, percent-decoding applied), port (explicit vs absent never match),
 * session-id (case-sensitive) and transport (case-insensitive) must match; userinfo and
 * other parameters are not compared.
 */
bool msrp_uri_equal(const struct msrp_uri *a, const struct msrp_uri *b);

/*
 * Path iterator over a To-Path/From-Path/Use-Path value (SP-separated URIs): stores the next
 * URI text in *uri and advances *rest. Returns false when *rest is empty.
 */
bool msrp_path_next(struct msrp_span *rest, struct msrp_span *uri);

/*
 * Writes the frame in canonical wire form (start line, headers in order, blank line + body +
 * CRLF when has_body, end-line) into dst[0..cap). Returns the full length; when it is > cap
 * only cap bytes were written (dst may be NULL with cap 0 to size the output).
 */
size_t msrp_frame_serialize(const struct msrp_frame *f, uint8_t *dst, size_t cap);
