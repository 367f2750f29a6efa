/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to common/msrp: character classes of the RFC 4975 §9 / RFC 3986 grammars as one
 * 256-entry table built at compile time, so the hot parsing loops do one load per byte
 * instead of chains of comparisons or strchr().
 *
 * Thread-safety: immutable data.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * SIMD byte scans: SSE2 is the x86-64 baseline (AVX2 used when the build targets it);
 * elsewhere, or with -DMSRP_NO_SIMD (to test the fallback), the parser uses memchr().
 */
#if defined(__SSE2__) && !defined(MSRP_NO_SIMD)
#define MSRP_SIMD 1
#include <immintrin.h>
#endif

#define MSRP_CC_ALPHA  0x0001u /* ALPHA */
#define MSRP_CC_DIGIT  0x0002u /* DIGIT */
#define MSRP_CC_IDENT  0x0004u /* ident-char: ALPHANUM . - + % = */
#define MSRP_CC_TEXT   0x0008u /* utf8text octet: HTAB, %x20-7E, %x80-FF */
#define MSRP_CC_HNAME  0x0010u /* hname tail: RFC 4975 §9 token */
#define MSRP_CC_MTOKEN 0x0020u /* RFC 2045 token char */
#define MSRP_CC_UNRES  0x0040u /* RFC 3986 unreserved */
#define MSRP_CC_SUBD   0x0080u /* RFC 3986 sub-delims except ';' (ends the authority) */
#define MSRP_CC_SESSID 0x0100u /* session-id: unreserved + = / */
#define MSRP_CC_UTOKEN 0x0200u /* RFC 4975 §9 token (URI-parameter) */
#define MSRP_CC_IPV4   0x0400u /* DIGIT or "." (IPv4address candidate) */

#define MSRP_CC_IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define MSRP_CC_IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define MSRP_CC_IS_ALNUM(c) (MSRP_CC_IS_ALPHA(c) || MSRP_CC_IS_DIGIT(c))
#define MSRP_CC_IS_UNRES(c)                                                                        \
	(MSRP_CC_IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~')
#define MSRP_CC_IS_SUBD(c)                                                                         \
	((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||      \
	 (c) == '*' || (c) == '+' || (c) == ',' || (c) == '=')
/* RFC 4975 §9: token = 1*(%x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E) */
#define MSRP_CC_IS_TOKEN(c)                                                                        \
	((c) == 0x21 || ((c) >= 0x23 && (c) <= 0x27) || (c) == 0x2a || (c) == 0x2b ||              \
	 (c) == 0x2d || (c) == 0x2e || MSRP_CC_IS_DIGIT(c) || ((c) >= 0x41 && (c) <= 0x5a) ||      \
	 ((c) >= 0x5e && (c) <= 0x7e))
#define MSRP_CC_IS_TSPECIAL(c)                                                                     \
	((c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || (c) == '@' || (c) == ',' ||       \
	 (c) == ';' || (c) == ':' || (c) == '\\' || (c) == '"' || (c) == '/' || (c) == '[' ||      \
	 (c) == ']' || (c) == '?' || (c) == '=')

#define MSRP_CC_ENTRY(c)                                                                           \
	(uint16_t)((MSRP_CC_IS_ALPHA(c) ? MSRP_CC_ALPHA : 0u) |                                    \
	           (MSRP_CC_IS_DIGIT(c) ? MSRP_CC_DIGIT | MSRP_CC_IPV4 : 0u) |                     \
	           ((c) == '.' ? MSRP_CC_IPV4 : 0u) |                                              \
	           (MSRP_CC_IS_ALNUM(c) || (c) == '.' || (c) == '-' || (c) == '+' || (c) == '%' || \
	                            (c) == '='                                                     \
	                    ? MSRP_CC_IDENT                                                        \
	                    : 0u) |                                                                \
	           ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f) ? MSRP_CC_TEXT : 0u) |             \
	           (MSRP_CC_IS_TOKEN(c) ? MSRP_CC_HNAME : 0u) |                                    \
	           ((c) > 0x20 && (c) < 0x7f && !MSRP_CC_IS_TSPECIAL(c) ? MSRP_CC_MTOKEN : 0u) |   \
	           (MSRP_CC_IS_UNRES(c) ? MSRP_CC_UNRES : 0u) |                                    \
	           (MSRP_CC_IS_SUBD(c) ? MSRP_CC_SUBD : 0u) |                                      \
	           (MSRP_CC_IS_UNRES(c) || (c) == '+' || (c) == '=' || (c) == '/' ? MSRP_CC_SESSID \
	                                                                          : 0u) |          \
	           (MSRP_CC_IS_TOKEN(c) ? MSRP_CC_UTOKEN : 0u))

extern const uint16_t msrp_cc[256];

static inline bool
msrp_cc_is(uint8_t c, uint16_t cls)
{
	return (msrp_cc[c] & cls) != 0;
}

/* True when every byte of s[0..len) is in class cls. */
static inline bool
msrp_cc_all(const uint8_t *s, size_t len, uint16_t cls)
{
	uint16_t acc = cls;

	for (size_t i = 0; i < len; i++)
		acc &= msrp_cc[s[i]];
	return acc == cls;
}

/* Case-insensitive (ASCII letters only) compare of s[0..n) against a lowercase literal. */
static inline bool
msrp_lc_eq(const uint8_t *s, const char *lower, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/*
 * Compare of a header name already checked as ALPHA *(ALPHANUM / "-" / "_") against a
 * lowercase literal of the same length, 8 bytes at a time. Setting bit 0x20 lowercases
 * letters and leaves digits and '-' unchanged; '_' becomes 0x7f, which no literal contains,
 * so the compare is exact for such names.
 */
static inline bool
msrp_hname_eq(const uint8_t *name, const char *lower, size_t len)
{
	const uint64_t lc = 0x2020202020202020ull;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t a, b;

		memcpy(&a, name + i, 8);
		memcpy(&b, lower + i, 8);
		if ((a | lc) != b)
			return false;
	}
	for (; i < len; i++)
		if ((uint8_t)(name[i] | 0x20) != (uint8_t)lower[i])
			return false;
	return true;
}

#ifdef MSRP_SIMD
/* Bit k set where s[k] == c, for the 64 readable octets s[0..64). */
static inline uint64_t
msrp_eq_mask64(const uint8_t *s, uint8_t c)
{
#ifdef __AVX2__
	const __m256i v = _mm256_set1_epi8((char)c);
	uint32_t lo = (uint32_t)_mm256_movemask_epi8(
	        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)s), v));
	uint32_t hi = (uint32_t)_mm256_movemask_epi8(
	        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(s + 32)), v));

	return (uint64_t)lo | (uint64_t)hi << 32;
#else
	const __m128i v = _mm_set1_epi8((char)c);
	uint64_t m = 0;

	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(s + 16 * k));

		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v)) << (16 * k);
	}
	return m;
#endif
}
#endif

/* a[0..len) == b[0..len), inline: the hot compares are 10..60 octets long. */
static inline bool
msrp_mem_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint64_t x, y, acc = 0;
	size_t i = 0;

	if (len < 8) {
		for (; i < len; i++)
			acc |= (uint64_t)(a[i] ^ b[i]);
		return acc == 0;
	}
#if defined(MSRP_SIMD) && defined(__AVX2__)
	if (len >= 32) {
		__m256i d = _mm256_setzero_si256();

		for (; i + 32 < len; i += 32)
			d = _mm256_or_si256(
			        d, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i)),
			                            _mm256_loadu_si256((const __m256i *)(b + i))));
		/* The last 32 octets, overlapping what was compared already. */
		d = _mm256_or_si256(
		        d, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + len - 32)),
		                            _mm256_loadu_si256((const __m256i *)(b + len - 32))));
		return _mm256_testz_si256(d, d) != 0;
	}
#endif
#ifdef MSRP_SIMD
	if (len >= 16) {
		__m128i d = _mm_setzero_si128();

		for (; i + 16 < len; i += 16)
			d = _mm_or_si128(d,
			                 _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + i)),
			                               _mm_loadu_si128((const __m128i *)(b + i))));
		/* The last 16 octets, overlapping what was compared already. */
		d = _mm_or_si128(d,
		                 _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + len - 16)),
		                               _mm_loadu_si128((const __m128i *)(b + len - 16))));
		return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff;
	}
#endif
	for (; i + 8 < len; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		acc |= x ^ y;
	}
	/* The last 8 octets, overlapping what was compared already. */
	memcpy(&x, a + len - 8, 8);
	memcpy(&y, b + len - 8, 8);
	return (acc | (x ^ y)) == 0;
}
