/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * ulist: the bodies of a URI-list INVITE (RFC 5366): a multipart/mixed body (RFC 2046 §5.1)
 * split into its parts, and the entry URIs of an application/resource-lists+xml document
 * (RFC 4826 §3.2) with duplicates removed (AHG-03).
 *
 * The XML reader is deliberately small: it accepts the documents RFC 4826 describes (lists of
 * <entry uri="..."/>, nested <list>, namespace prefixes, comments, entity references in
 * attribute values) and refuses what it does not understand as malformed (400, AHG-02).
 *
 * Thread-safety: pure functions over caller buffers; results point into the input.
 */

#include <stddef.h>
#include <stdint.h>

#define ULIST_PARTS_MAX 8
#define ULIST_URIS_MAX  64
#define ULIST_URI_CAP   256

struct ulist_part {
	const char *type; /* Content-Type value (up to ';' or end of line) */
	size_t type_len;
	const char *body;
	size_t body_len;
};

/*
 * Splits body[0..len) into the parts of a multipart body with the given boundary (the
 * Content-Type's boundary parameter). Returns the number of parts, or -1 when the body is not
 * a well-formed multipart (no opening or closing delimiter, a part without a blank line).
 */
int ulist_multipart(const char *body, size_t len, const char *boundary, size_t blen,
                    struct ulist_part *parts, int max);

/* The boundary parameter of a multipart Content-Type value: 0 (*b, *blen set) or -1. */
int ulist_boundary(const char *ctype, const char **b, size_t *blen);

/*
 * Entry URIs of a resource-lists document, in document order, duplicates removed (compared
 * case-insensitively on the scheme and host, exactly elsewhere: a simplification of RFC 3261
 * §19.1.4 that never merges two different users). Entities (&amp; &lt; &gt; &quot; &apos;)
 * are decoded. Returns the number of URIs (0..max), or -1 when the document is malformed or a
 * URI is longer than ULIST_URI_CAP - 1.
 */
int ulist_entries(const char *xml, size_t len, char (*uris)[ULIST_URI_CAP], int max);
