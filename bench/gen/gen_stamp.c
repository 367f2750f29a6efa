/* SPDX-License-Identifier: BSD-3-Clause */
/* Body stamp: write and verify (format in gen_stamp.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gen_stamp.h"

#define GEN_STAMP_SUM_OFF (GEN_STAMP_LEN - 17) /* trailer bytes covered by SUM */

uint64_t
gen_fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void
gen_hex(uint8_t *out, uint64_t v, unsigned int digits)
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned int i = digits; i > 0; i--) {
		out[i - 1] = (uint8_t)hex[v & 0xf];
		v >>= 4;
	}
}

static bool
gen_unhex(const uint8_t *in, unsigned int digits, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned int i = 0; i < digits; i++) {
		uint8_t c = in[i];

		if (c >= '0' && c <= '9')
			r = (r << 4) | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r = (r << 4) | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*v = r;
	return true;
}

int
gen_stamp_write(struct gen_stamp *st, uint8_t *out, size_t len)
{
	uint64_t x = ((uint64_t)st->sender << 32) ^ st->seq ^ 0x9e3779b97f4a7c15ull;
	uint8_t *t;
	uint64_t sum;
	size_t n;

	if (len < GEN_STAMP_LEN || len - GEN_STAMP_LEN > UINT32_MAX)
		return -EINVAL;
	n = len - GEN_STAMP_LEN;
	st->filler_len = (uint32_t)n;
	/* Printable filler that differs per message, so a misplaced copy fails the checksum. */
	for (size_t i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		out[i] = (uint8_t)('a' + (x * 0x2545f4914f6cdd1dull >> 59) % 26);
		if (i % 64 == 63)
			out[i] = '\n';
	}
	t = out + n;
	t[0] = '~';
	t[1] = 'g';
	gen_hex(t + 2, st->sender, 8);
	gen_hex(t + 10, st->seq, 16);
	gen_hex(t + 26, st->sent_ns, 16);
	gen_hex(t + 42, st->filler_len, 8);
	sum = gen_fnv1a(gen_fnv1a(GEN_FNV_OFFSET, out, n), t, GEN_STAMP_SUM_OFF);
	gen_hex(t + GEN_STAMP_SUM_OFF, sum, 16);
	t[GEN_STAMP_LEN - 1] = '\n';
	return (int)len;
}

enum gen_stamp_rc
gen_stamp_verify(const uint8_t *body, size_t len, struct gen_stamp *st)
{
	uint64_t sender, seq, ts, flen, sum;
	const uint8_t *t;

	if (len < GEN_STAMP_LEN)
		return GEN_STAMP_SYNTAX;
	t = body + len - GEN_STAMP_LEN;
	if (t[0] != '~' || t[1] != 'g' || t[GEN_STAMP_LEN - 1] != '\n' ||
	    !gen_unhex(t + 2, 8, &sender) || !gen_unhex(t + 10, 16, &seq) ||
	    !gen_unhex(t + 26, 16, &ts) || !gen_unhex(t + 42, 8, &flen) ||
	    !gen_unhex(t + GEN_STAMP_SUM_OFF, 16, &sum))
		return GEN_STAMP_SYNTAX;
	if (flen > len - GEN_STAMP_LEN)
		return GEN_STAMP_SHORT;
	if (gen_fnv1a(gen_fnv1a(GEN_FNV_OFFSET, t - flen, flen), t, GEN_STAMP_SUM_OFF) != sum)
		return GEN_STAMP_CHECKSUM;
	st->sender = (uint32_t)sender;
	st->seq = seq;
	st->sent_ns = ts;
	st->filler_len = (uint32_t)flen;
	return GEN_STAMP_OK;
}

const char *
gen_stamp_rc_str(enum gen_stamp_rc rc)
{
	static const char *const s[] = {
#define GEN_STAMP_RC_STR(sym, doc) doc,
	        GEN_STAMP_RC_LIST(GEN_STAMP_RC_STR)
#undef GEN_STAMP_RC_STR
	};

	return (size_t)rc < sizeof(s) / sizeof(s[0]) ? s[rc] : "unknown";
}
