/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP (RFC 4975, RFC 4976) protocol types: spans, frames, headers, URIs and parser
 * limits. Types only; the API is in msrp.h. No DPDK or sofia-sip dependency.
 *
 * Thread-safety: every struct here is plain data owned by one thread (the thread that owns
 * the parser or the buffers the spans point into); nothing is shared or locked.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A byte range inside a caller buffer (or inside the parser's header buffer). Never
 * NUL-terminated. p == NULL with len == 0 means "absent".
 */
struct msrp_span {
	const uint8_t *p;
	uint32_t len;
};

/*
 * Parser result codes, declared once: symbol, name printed by tools (msw-msrp-parse
 * "error" field), description.
 */
#define MSRP_RC_LIST(X)                                                                            \
	X(OK, "ok", "one complete frame was returned")                                             \
	X(AGAIN, "again", "all input consumed, the frame is incomplete: feed more bytes")          \
	X(ERR_START_LINE, "start_line", "start line is not MSRP SP tid SP method/status CRLF")     \
	X(ERR_BAD_TID, "bad_tid", "transaction id is not an ident, or the end-line's differs")     \
	X(ERR_HEADER_SYNTAX, "header_syntax", "a header line or a typed header value is invalid")  \
	X(ERR_HEADER_ORDER, "header_order", "first header is not To-Path or second not From-Path") \
	X(ERR_MISSING_HEADER, "missing_header",                                                    \
	  "SEND/REPORT without Message-ID, REPORT w/o Status")                                     \
	X(ERR_BAD_BYTE_RANGE, "bad_byte_range", "Byte-Range is malformed or inconsistent")         \
	X(ERR_NO_CONTENT_TYPE, "no_content_type", "a non-empty body without Content-Type")         \
	X(ERR_TOO_LARGE, "too_large", "header block, header count or body exceeds the limits")     \
	X(ERR_TOO_FRAGMENTED, "too_fragmented",                                                    \
	  "body spans more caller buffers than max_body_segs")                                     \
	X(ERR_TRUNCATED, "truncated", "the stream ended inside a frame")

enum msrp_rc {
#define MSRP_RC_ENUM(sym, name, doc) MSRP_##sym,
	MSRP_RC_LIST(MSRP_RC_ENUM)
#undef MSRP_RC_ENUM
	        MSRP_RC_COUNT
};

/*
 * Header fields the parser types (RFC 4975 §9, RFC 4976 §5/§8). symbol, wire name.
 * Names are matched case-insensitively (quoted strings in RFC 4234 ABNF).
 */
#define MSRP_HDR_LIST(X)                                                                           \
	X(TO_PATH, "To-Path")                                                                      \
	X(FROM_PATH, "From-Path")                                                                  \
	X(MESSAGE_ID, "Message-ID")                                                                \
	X(SUCCESS_REPORT, "Success-Report")                                                        \
	X(FAILURE_REPORT, "Failure-Report")                                                        \
	X(BYTE_RANGE, "Byte-Range")                                                                \
	X(STATUS, "Status")                                                                        \
	X(CONTENT_TYPE, "Content-Type")                                                            \
	X(USE_PATH, "Use-Path")                                                                    \
	X(EXPIRES, "Expires")                                                                      \
	X(MIN_EXPIRES, "Min-Expires")                                                              \
	X(MAX_EXPIRES, "Max-Expires")                                                              \
	X(WWW_AUTHENTICATE, "WWW-Authenticate")                                                    \
	X(AUTHORIZATION, "Authorization")                                                          \
	X(AUTHENTICATION_INFO, "Authentication-Info")

enum msrp_hdr_id {
#define MSRP_HDR_ENUM(sym, name) MSRP_HDR_##sym,
	MSRP_HDR_LIST(MSRP_HDR_ENUM)
#undef MSRP_HDR_ENUM
	        MSRP_HDR_TYPED_COUNT,
	/* Other-Mime-header (Content-ID, Content-Description, Content-Disposition, Content-*). */
	MSRP_HDR_MIME_OTHER = MSRP_HDR_TYPED_COUNT,
	/* ext-header: kept in order, value not interpreted. */
	MSRP_HDR_EXTENSION,
};

/* One header line "name: value" (value without the SP after the colon, without CRLF). */
struct msrp_header {
	struct msrp_span name;
	struct msrp_span value;
	enum msrp_hdr_id id;
};

enum msrp_kind {
	MSRP_KIND_REQUEST = 0,
	MSRP_KIND_RESPONSE,
};

/* Request methods; any other 1*UPALPHA method is MSRP_METHOD_OTHER (name in method_name). */
enum msrp_method {
	MSRP_METHOD_NONE = 0, /* responses */
	MSRP_METHOD_SEND,
	MSRP_METHOD_REPORT,
	MSRP_METHOD_AUTH, /* RFC 4976 §5 */
	MSRP_METHOD_OTHER,
};

/* End-line continuation flag (RFC 4975 §7.1). The values are the wire characters. */
enum msrp_flag {
	MSRP_FLAG_MORE = '+',  /* more chunks of this message follow */
	MSRP_FLAG_END = '$',   /* last chunk */
	MSRP_FLAG_ABORT = '#', /* message aborted */
};

/* Success-Report / Failure-Report values (RFC 4975 §7.2). */
enum msrp_report {
	MSRP_REPORT_ABSENT = 0,
	MSRP_REPORT_YES,
	MSRP_REPORT_NO,
	MSRP_REPORT_PARTIAL, /* Failure-Report only */
};

/* Byte-Range: range-start "-" range-end "/" total; "*" = unknown (RFC 4975 §7.1.1). */
struct msrp_byte_range {
	uint64_t start; /* 1-based */
	uint64_t end;   /* valid when end_known */
	uint64_t total; /* valid when total_known */
	bool end_known;
	bool total_known;
};

/* Status: namespace SP status-code [SP text-reason] (RFC 4975 §9). */
struct msrp_status {
	uint16_t ns;             /* 3 digits, "000" for RFC 4975 codes */
	uint16_t code;           /* 3 digits */
	struct msrp_span reason; /* absent when reason.p == NULL */
};

/*
 * One parsed MSRP frame (a request chunk or a response).
 *
 * Lifetime: every span points either into a buffer the caller fed or into the parser's
 * header buffer; hdrs and body_segs point into the parser. The frame is valid until the
 * next msrp_parser_feed()/msrp_parser_init() on the same parser, and only while the fed
 * buffers it refers to are unchanged (see msrp.h).
 */
struct msrp_frame {
	uint64_t offset;   /* stream offset of the first byte ("M" of MSRP) */
	uint64_t wire_len; /* bytes from the start line to the end-line's CRLF included */
	enum msrp_kind kind;
	struct msrp_span tid; /* transact-id (ident) */

	/* Requests. */
	enum msrp_method method;
	struct msrp_span method_name; /* the method as sent, e.g. "SEND" */

	/* Responses: status-code and optional comment (absent: comment.p == NULL). */
	uint16_t status_code;
	struct msrp_span comment;

	enum msrp_flag flag;

	/* Contiguous start line + header lines, up to and including the last header's CRLF. */
	struct msrp_span header_block;
	const struct msrp_header *hdrs; /* every header line in wire order */
	uint16_t n_hdrs;
	/* Position in hdrs of each typed header, -1 when absent. */
	int16_t hdr_index[MSRP_HDR_TYPED_COUNT];

	/* Typed values (valid when the matching hdr_index is >= 0). */
	struct msrp_span to_path;   /* value: 1*(SP-separated MSRP-URI), see msrp_path_next() */
	struct msrp_span from_path; /* idem */
	struct msrp_span use_path;  /* RFC 4976 §5 */
	uint16_t to_path_count;
	uint16_t from_path_count;
	struct msrp_span message_id;
	struct msrp_byte_range byte_range;
	enum msrp_report success_report;
	enum msrp_report failure_report;
	struct msrp_status status;
	struct msrp_span content_type;
	uint32_t expires, min_expires, max_expires; /* RFC 4976 §5 */

	/*
	 * Body (data of content-stuff, without the CRLF before the end-line), as a list of
	 * spans in order: one span per fed buffer it covers (adjacent buffers are merged).
	 * has_body is true when the header block ended with a blank line (content-stuff).
	 */
	bool has_body;
	const struct msrp_span *body_segs;
	uint32_t n_body_segs;
	uint64_t body_len;
	/*
	 * Body bytes before body_segs[0] that a streaming caller already consumed and dropped
	 * (msrp_parser_body_drop()); body_segs then cover [body_skip, body_len). 0 otherwise.
	 */
	uint64_t body_skip;
};

/* Host kinds of an MSRP URI authority (RFC 3986 §3.2.2). */
enum msrp_host_type {
	MSRP_HOST_NAME = 0,
	MSRP_HOST_IPV4,
	MSRP_HOST_IPV6, /* host span excludes the brackets */
};

/*
 * A parsed MSRP URI (RFC 4975 §6, §9):
 *   msrp[s]://[userinfo@]host[:port][/session-id];transport *(;param)
 * All spans point into the parsed text.
 */
struct msrp_uri {
	struct msrp_span raw;
	bool secure; /* msrps */
	struct msrp_span userinfo;
	struct msrp_span host;
	enum msrp_host_type host_type;
	uint8_t host_addr[16]; /* IPv4 (4 bytes) or IPv6 (16 bytes) in network order */
	bool has_port;
	uint16_t port;
	struct msrp_span session_id; /* may contain '/' */
	struct msrp_span transport;  /* "tcp" or another 1*ALPHANUM */
	struct msrp_span params;     /* the text after ";transport", starting with ';' or empty */
};

/* Parser limits (from config); msrp_limits_default() gives the defaults below. */
#define MSRP_DEFAULT_MAX_HEADER_BYTES (16u * 1024u)
#define MSRP_DEFAULT_MAX_BODY_BYTES   (1024u * 1024u)
#define MSRP_HEADERS_MAX              64u /* array size; max_headers <= this */
#define MSRP_DEFAULT_MAX_HEADERS      32u
#define MSRP_BODY_SEGS_MAX            64u /* array size; max_body_segs <= this */
#define MSRP_DEFAULT_MAX_BODY_SEGS    MSRP_BODY_SEGS_MAX
#define MSRP_PATH_CACHE_BYTES         256u /* longest To-/From-Path value cached */
/* Largest per-frame body limit msrp_parser_body_limit() accepts (32-bit body spans). */
#define MSRP_STREAM_BODY_MAX (UINT32_MAX - 1024u)

struct msrp_limits {
	uint32_t max_header_bytes; /* start line + header lines + blank line */
	uint32_t max_body_bytes;   /* data of one chunk */
	uint16_t max_headers;      /* header lines per frame (To-Path and From-Path included) */
	uint16_t max_body_segs;    /* caller buffers one body may span */
};

/*
 * Resumable MSRP stream parser: one per connection (byte stream).
 *
 * Thread-safety: owned by the thread that owns the connection; no internal locking. All
 * fields are private to msrp_parse.c; callers only allocate it and pass it to msrp_parser_*.
 */
struct msrp_parser {
	struct msrp_limits lim;
	uint8_t *hdr_buf; /* caller memory, hdr_cap >= lim.max_header_bytes */
	uint32_t hdr_cap;

	uint64_t stream_off; /* stream offset of the next byte fed */
	uint64_t frame_off;  /* stream offset of the current frame's first byte */
	enum msrp_rc error;  /* sticky once set (MSRP_OK while healthy) */
	uint64_t error_off;  /* stream offset of the byte where the error was detected */
	uint8_t state;       /* enum msrp_parse_state in msrp_parse.c */

	/* Header phase. */
	bool hdr_copied;         /* header block straddles buffers: lines live in hdr_buf */
	uint32_t hdr_len;        /* header-phase bytes seen so far in this frame */
	uint32_t line_start;     /* offset (from frame start) of the current incomplete line */
	const uint8_t *blk_base; /* where header-phase byte 0 is (caller buffer or hdr_buf) */
	uint16_t n_lines;        /* complete lines processed (start line included) */
	/*
	 * Header kinds seen in this frame: bit id for each typed header (each at most once)
	 * and MSRP_SEEN_MIME once a Content-* header was seen (RFC 4975 §9 content-stuff).
	 */
	uint32_t hdr_seen;

	/* Body phase: end-line matcher state (bytes of "\r\n-------" tid flag "\r\n" matched). */
	uint32_t match;
	uint32_t pat_len;        /* full end-line pattern length */
	uint8_t pat[2 + 7 + 32]; /* CRLF, seven dashes, tid; flag and CRLF checked apart */
	uint64_t region_len;     /* body-phase bytes consumed (body + CRLF + end-line so far) */
	uint64_t body_max;       /* body limit of this frame: lim.max_body_bytes unless raised */

	/*
	 * Last valid To-Path and From-Path values: every chunk of a session repeats them, so a
	 * byte compare replaces URI validation on the hot path (RFC 4975 §6 grammar applied
	 * once per distinct value).
	 */
	uint8_t path_cache[2][MSRP_PATH_CACHE_BYTES];
	uint16_t path_cache_len[2];
	uint16_t path_cache_count[2];

	struct msrp_frame frame; /* frame under construction */
	struct msrp_header hdrs[MSRP_HEADERS_MAX];
	struct msrp_span body_segs[MSRP_BODY_SEGS_MAX];
};
