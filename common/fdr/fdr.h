/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Final-report document (OMA SIMPLE IM §5.7, FDR-01..13): composer and strict parser.
 *
 * The OMA schema was not recovered (requirements §3 item 2), so the body is a provisional
 * document behind this one composer (docs/final-report.md):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <final-report xmlns="urn:x-msw:final-report:0" message-id="...">
 *   <recipient uri="..." status="NNN" outcome="delivered|failed|timeout|left|not-sent"/>
 *   </final-report>
 *
 * No allocation, no external XML library: the parser accepts exactly this shape (plus XML
 * whitespace, single or double quotes, character references) and rejects DOCTYPE, comments,
 * processing instructions other than the XML declaration, CDATA and unknown elements.
 *
 * Thread-safety: stateless functions over caller memory; safe on any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* FDR-09: the IANA spelling is emitted; fdr_mime_type_match() also accepts the others. */
#define FDR_MIME_TYPE "application/vnd.oma.poc.final-report+xml"
#define FDR_XMLNS     "urn:x-msw:final-report:0"

/* Hard bound on a document the parser looks at (a report for ~500 recipients fits). */
#define FDR_DOC_MAX (64u * 1024u)

/* Per-recipient outcome: symbol, wire name, meaning. */
#define FDR_OUTCOME_LIST(X)                                                                        \
	X(DELIVERED, "delivered", "success REPORT covering the whole message (FDR-05)")            \
	X(FAILED, "failed", "error response or failure REPORT from the recipient (FDR-05)")        \
	X(TIMEOUT, "timeout", "no REPORT within the final-report timer (FDR-12)")                  \
	X(LEFT, "left", "the recipient left the session before delivery completed")                \
	X(NOT_SENT, "not-sent", "never sent: larger than its max-size, or 413 earlier (SWX-11)")

enum fdr_outcome {
#define FDR_OUTCOME_ENUM(sym, name, doc) FDR_OUTCOME_##sym,
	FDR_OUTCOME_LIST(FDR_OUTCOME_ENUM)
#undef FDR_OUTCOME_ENUM
	        FDR_OUTCOME_COUNT
};

/* Parser results: symbol, description. */
#define FDR_RC_LIST(X)                                                                             \
	X(OK, "document parsed")                                                                   \
	X(ERR_TOO_BIG, "document larger than FDR_DOC_MAX")                                         \
	X(ERR_UTF8, "invalid UTF-8 or a control character")                                        \
	X(ERR_SYNTAX, "malformed XML (tags, attributes, quotes)")                                  \
	X(ERR_UNSUPPORTED, "DOCTYPE, comment, processing instruction or CDATA")                    \
	X(ERR_ENTITY, "unknown or malformed entity / character reference")                         \
	X(ERR_ROOT, "root element is not final-report")                                            \
	X(ERR_NAMESPACE, "final-report xmlns is missing or not " FDR_XMLNS)                        \
	X(ERR_ELEMENT, "unexpected element or text (only recipient children)")                     \
	X(ERR_ATTR_UNKNOWN, "unknown attribute")                                                   \
	X(ERR_ATTR_DUP, "attribute repeated")                                                      \
	X(ERR_MESSAGE_ID, "message-id missing or empty")                                           \
	X(ERR_URI, "recipient uri missing or empty")                                               \
	X(ERR_STATUS, "recipient status missing or not a 3-digit code 100..699")                   \
	X(ERR_OUTCOME, "recipient outcome missing or unknown")                                     \
	X(ERR_NO_RECIPIENT, "report lists no recipient (FDR-06 needs at least one)")               \
	X(ERR_TOO_MANY, "more recipients than the caller's array holds")                           \
	X(ERR_TRAILING, "content after the root element")

enum fdr_rc {
#define FDR_RC_ENUM(sym, doc) FDR_##sym,
	FDR_RC_LIST(FDR_RC_ENUM)
#undef FDR_RC_ENUM
	        FDR_RC_COUNT
};

struct fdr_span {
	const uint8_t *p;
	uint32_t len;
};

/*
 * One recipient line. For the composer, uri is raw text (escaped on output). For the
 * parser, uri is the attribute value as written (still escaped): fdr_unescape() decodes it.
 */
struct fdr_recipient {
	struct fdr_span uri;
	uint16_t status; /* MSRP status code: 200, 408, 413, 481, ... */
	uint8_t outcome; /* enum fdr_outcome */
};

/* A report: the originator's original Message-ID (FDR-13) and the recipients it covers. */
struct fdr_report {
	struct fdr_span message_id;
	struct fdr_recipient *rcpt;
	uint32_t n_rcpt;
	uint32_t err_off; /* parser: offset where the error was detected */
};

/* Wire name of an outcome ("delivered"), or NULL when out of range. */
const char *fdr_outcome_name(enum fdr_outcome o);
/* Parse an outcome name; returns -1 when unknown. */
int fdr_outcome_parse(const uint8_t *p, uint32_t len);
/* "FDR_ERR_STATUS: recipient status missing ..." */
const char *fdr_strerror(enum fdr_rc rc);

/*
 * FDR-09: true when a Content-Type value names the final-report body in any spelling seen
 * in the OMA text (application/vnd.oma.poc.final-report+xml, application/vnd.oma.poc.final-
 * report, application/vnd.oma.final-report+xml), case-insensitive, parameters ignored.
 */
bool fdr_mime_type_match(const uint8_t *p, uint32_t len);

/*
 * Compose r (message_id, rcpt[0..n_rcpt)) into out. Attribute values are XML-escaped
 * (& < > " '). Returns the length, -ENOSPC when cap is too small, -EINVAL when the report
 * has no recipient, an empty message-id or uri, a status outside 100..699, an unknown
 * outcome, or a control character / invalid UTF-8 in a value.
 */
ssize_t fdr_build(const struct fdr_report *r, uint8_t *out, size_t cap);

/*
 * Parse a final-report document. r->rcpt must point to rcpt_cap entries. On success
 * r->message_id and every uri are spans into buf (escaped form). On error r->err_off is
 * the offset where parsing stopped. Bounded: len > FDR_DOC_MAX is refused up front.
 */
enum fdr_rc fdr_parse(const uint8_t *buf, uint32_t len, struct fdr_report *r, uint32_t rcpt_cap);

/*
 * Decode the character references of an attribute value parsed by fdr_parse() (the five
 * predefined entities and &#N; / &#xH;) into out. Returns the length, -ENOSPC, or -EINVAL
 * for a malformed reference.
 */
ssize_t fdr_unescape(struct fdr_span v, uint8_t *out, size_t cap);
