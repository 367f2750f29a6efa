/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * xml: escaping of XML 1.0 character data and attribute values into a wbuf, header-only,
 * shared by the writers of XML documents (final reports in common/fdr, conference-info in
 * controlplane/confinfo). Thread-safety: pure functions over the caller's cursor.
 */

#include <stddef.h>
#include <stdint.h>

#include "utf8/utf8.h"
#include "wbuf/wbuf.h"

/*
 * What becomes a reference besides '&', '<' and '>', which always do ('>' so that "]]>"
 * never appears in text, XML 1.0 §2.4).
 */
enum xml_esc_flag {
	XML_ESC_QUOT = 1u << 0, /* '"' as &quot;: values written inside double quotes */
	XML_ESC_APOS = 1u << 1, /* '\'' as &apos; */
	/*
	 * Tab and LF as &#9; &#10;: attribute-value normalisation (XML 1.0 §3.3.3) would turn
	 * the literal characters into spaces but leaves references alone.
	 */
	XML_ESC_TAB_LF = 1u << 2,
	/* CR as &#13;: end-of-line handling (XML 1.0 §2.11) would turn it into LF. */
	XML_ESC_CR = 1u << 3,
};

/* The reference for byte c under flags, or NULL when c is written as it is. */
static inline const char *
xml_esc_ref(uint8_t c, unsigned int flags)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return (flags & XML_ESC_QUOT) != 0 ? "&quot;" : NULL;
	case '\'':
		return (flags & XML_ESC_APOS) != 0 ? "&apos;" : NULL;
	case '\t':
		return (flags & XML_ESC_TAB_LF) != 0 ? "&#9;" : NULL;
	case '\n':
		return (flags & XML_ESC_TAB_LF) != 0 ? "&#10;" : NULL;
	case '\r':
		return (flags & XML_ESC_CR) != 0 ? "&#13;" : NULL;
	default:
		return NULL;
	}
}

/*
 * Appends len bytes of UTF-8 text at s, escaped per flags. XML 1.0 (§2.2) cannot carry C0
 * controls other than tab, LF and CR, not even as references, so such text, or text that
 * is not valid UTF-8 (RFC 3629), is refused rather than altered: wbuf_fail(w, -EINVAL).
 */
static inline void
xml_esc_put(struct wbuf *w, const void *s, size_t len, unsigned int flags)
{
	const uint8_t *p = s;
	size_t start = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);
		const char *rep;

		if (n == 0 || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')) {
			wbuf_fail(w, -EINVAL);
			return;
		}
		rep = xml_esc_ref(p[i], flags);
		if (rep != NULL) {
			wbuf_put(w, p + start, i - start);
			wbuf_put_str(w, rep);
			start = i + 1; /* every escaped character is one byte */
		}
		i += n;
	}
	wbuf_put(w, p + start, len - start);
}
