/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * message/cpim (RFC 3862) types. A parsed message is a set of spans into the caller's
 * buffer: nothing is copied, nothing is allocated, and every array is bounded.
 *
 * Thread-safety: plain values. A struct cpim_msg is owned by the thread that parsed it and
 * is valid only as long as the parsed buffer is.
 */

#include <stdint.h>

/* Limits (MFR-19 spirit): a CPIM header block is small; anything beyond these is hostile. */
#define CPIM_HDR_MAX      32   /* CPIM (metadata) headers per message */
#define CPIM_NS_MAX       8    /* NS declarations per message */
#define CPIM_MIME_HDR_MAX 16   /* MIME headers of the encapsulated object */
#define CPIM_LINE_MAX     1024 /* bytes per header line, CRLF included */
#define CPIM_TO_MAX       8    /* To headers remembered in cpim_msg.to[] */

/* Standard URNs the switch understands (RFC 3862 §3, OMA SIMPLE IM §5.7.1, RFC 5438 §9). */
#define CPIM_URN_FINAL_REPORT "urn:oma:xml:poc:final-report"
#define CPIM_URN_IMDN         "urn:ietf:params:imdn"

/* A byte span in the caller's buffer; p is NULL only when len is 0. */
struct cpim_span {
	const uint8_t *p;
	uint32_t len;
};

/* Parse results, declared once: symbol, description (cpim_strerror() prints both). */
#define CPIM_RC_LIST(X)                                                                            \
	X(OK, "message parsed")                                                                    \
	X(ERR_TRUNCATED, "header block not terminated by a blank line (need more bytes?)")         \
	X(ERR_LINE_END, "bare CR or LF: header lines end with CRLF (RFC 3862 §3.1)")               \
	X(ERR_LINE_TOO_LONG, "header line longer than CPIM_LINE_MAX")                              \
	X(ERR_TOO_MANY_HDRS, "more than CPIM_HDR_MAX CPIM or CPIM_MIME_HDR_MAX MIME headers")      \
	X(ERR_TOO_MANY_NS, "more than CPIM_NS_MAX NS declarations")                                \
	X(ERR_HDR_NAME, "header name is not [Name-prefix \".\"] Name")                             \
	X(ERR_HDR_SEP, "expected \":\" [;params] SP after the header name")                        \
	X(ERR_HDR_VALUE, "control character in a header value")                                    \
	X(ERR_NS_SYNTAX, "NS is not [prefix SP] <URI>")                                            \
	X(ERR_NS_DUP_PREFIX, "the same NS prefix declared twice")                                  \
	X(ERR_NS_UNDECLARED, "Prefix.Name used before an NS declared Prefix")                      \
	X(ERR_ADDR_SYNTAX, "From/To/cc is not [Formal-name] <URI>")                                \
	X(ERR_DUP_HDR, "header that must not repeat is repeated (only To/cc/NS/Subject may)")      \
	X(ERR_NO_FROM, "From header missing (RFC 3862 §4)")                                        \
	X(ERR_NO_TO, "To header missing (RFC 3862 §4)")                                            \
	X(ERR_DATETIME, "DateTime is not an RFC 3339 date-time")                                   \
	X(ERR_FINAL_REPORT, "Final-Report value is neither yes nor no")                            \
	X(ERR_MIME_HDR, "malformed MIME header in the encapsulated object")                        \
	X(ERR_NO_CONTENT_TYPE, "the encapsulated object has no Content-Type (CPM-01)")

enum cpim_rc {
#define CPIM_RC_ENUM(sym, doc) CPIM_##sym,
	CPIM_RC_LIST(CPIM_RC_ENUM)
#undef CPIM_RC_ENUM
	        CPIM_ERR_MAX
};

/* Headers the switch acts on; everything else is CPIM_H_OTHER and kept byte-exact. */
enum cpim_hdr_id {
	CPIM_H_OTHER = 0,
	CPIM_H_FROM,
	CPIM_H_TO,
	CPIM_H_CC,
	CPIM_H_DATETIME,
	CPIM_H_SUBJECT,
	CPIM_H_NS,
	CPIM_H_REQUIRE,
	CPIM_H_FINAL_REPORT,      /* <pfx>.Final-Report, pfx bound to CPIM_URN_FINAL_REPORT */
	CPIM_H_IMDN_MESSAGE_ID,   /* RFC 5438 §6.3 */
	CPIM_H_IMDN_DISPOSITION,  /* imdn.Disposition-Notification, RFC 5438 §6.3 */
	CPIM_H_IMDN_ORIGINAL_TO,  /* RFC 5438 §6.3 */
	CPIM_H_IMDN_RECORD_ROUTE, /* IMDN-Record-Route, RFC 5438 §6.3 */
	CPIM_H_IMDN_ROUTE,        /* IMDN-Route, RFC 5438 §6.3 */
	CPIM_H_IMDN_OTHER,        /* another header in the imdn namespace */
};

/* One header line: "name: value" or "prefix.name;params: value". */
struct cpim_hdr {
	struct cpim_span line;   /* the whole line, CRLF included: the unit of a rewrite */
	struct cpim_span prefix; /* empty when the name has no prefix */
	struct cpim_span name;   /* without prefix and "." */
	struct cpim_span params; /* ";..." between ":" and SP, empty when absent */
	struct cpim_span value;  /* after the single SP, CRLF excluded */
	uint8_t id;              /* enum cpim_hdr_id */
	int8_t ns;               /* index in cpim_msg.ns[] of the prefix, -1 if no prefix */
};

/* NS: [prefix SP] "<" urn ">" (RFC 3862 §5.1). An empty prefix is the default namespace. */
struct cpim_ns {
	struct cpim_span prefix;
	struct cpim_span urn;
};

/* From/To/cc value: [Formal-name] "<" URI ">" (RFC 3862 §5.3). */
struct cpim_addr {
	struct cpim_span display; /* Formal-name as written (quotes kept), empty if absent */
	struct cpim_span uri;     /* between < and > */
};

enum cpim_final_report {
	CPIM_FR_ABSENT = 0,
	CPIM_FR_NO,
	CPIM_FR_YES,
};

/* RFC 5438 headers, as spans of their values (empty when absent). */
struct cpim_imdn {
	struct cpim_span message_id;
	struct cpim_span disposition;
	struct cpim_span original_to;
	struct cpim_span datetime; /* the CPIM DateTime, which IMDN makes mandatory */
	int8_t ns;                 /* index of the imdn NS declaration, -1 if absent */
};

/* A parsed message/cpim body. Indexes refer to hdr[]; -1 means absent. */
struct cpim_msg {
	struct cpim_hdr hdr[CPIM_HDR_MAX];
	struct cpim_ns ns[CPIM_NS_MAX];
	struct cpim_hdr mime[CPIM_MIME_HDR_MAX]; /* encapsulated object's MIME headers */
	struct cpim_addr from;
	struct cpim_addr to[CPIM_TO_MAX]; /* first CPIM_TO_MAX To headers */
	struct cpim_imdn imdn;
	struct cpim_span content_type; /* value of the encapsulated Content-Type */
	struct cpim_span content;      /* encapsulated body, to the end of the input */
	uint32_t hdr_end;              /* offset just after the CPIM block's blank line */
	uint32_t mime_end;             /* offset where content starts */
	uint32_t err_off;              /* on error: offset of the offending line */
	uint16_t n_hdr;
	uint16_t n_mime;
	uint8_t n_ns;
	uint8_t n_to; /* To headers seen; only the first CPIM_TO_MAX kept in to[] */
	int8_t from_hdr;
	int8_t to_hdr; /* index of the first To */
	int8_t datetime_hdr;
	int8_t final_report_ns; /* NS index bound to CPIM_URN_FINAL_REPORT, -1 if none */
	uint8_t final_report;   /* enum cpim_final_report */
};

/*
 * One splice of a rewrite: bytes [off, off + old_len) of the original body are replaced by
 * new_len bytes. Every byte after the splice moves by delta = new_len - old_len, which is
 * what the switch adds to the Byte-Range of the chunks it forwards (RFC 4975 §7.1.1).
 */
struct cpim_splice {
	uint32_t off;
	uint32_t old_len;
	uint32_t new_len;
	int32_t delta;
};
