/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * utf8: validation of UTF-8 text (RFC 3629), header-only, shared by the final-report composer
 * (common/fdr) and the chat client's printing. Thread-safety: pure functions.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at p (RFC 3629 §4), avail bytes readable, or 0 when it
 * is invalid: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static inline size_t
utf8_seq_len(const uint8_t *p, size_t avail)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}
