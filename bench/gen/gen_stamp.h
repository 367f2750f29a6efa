/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Body stamp of a generated message: filler, then a fixed-size ASCII trailer at the very end
 * of the body:
 *
 *   "~g" SENDER(8 hex) SEQ(16 hex) SENT_NS(16 hex) FILLER_LEN(8 hex) SUM(16 hex) "\n"
 *
 * SUM is FNV-1a 64 over the filler and then the trailer up to FILLER_LEN, so a corrupted
 * filler or stamp is caught. The stamp sits at the tail because the switch may put a CPIM
 * envelope in front of the body (docs/switch.md, wrap policy); the receiver only needs the
 * last GEN_STAMP_LEN + FILLER_LEN bytes. The filler is printable text (text/plain).
 *
 * Thread-safety: pure functions over caller memory.
 */

#include <stddef.h>
#include <stdint.h>

#define GEN_STAMP_LEN (2 + 8 + 16 + 16 + 8 + 16 + 1)

struct gen_stamp {
	uint32_t sender;     /* global leg index of the sender */
	uint64_t seq;        /* per-sender message sequence number, from 0 */
	uint64_t sent_ns;    /* CLOCK_MONOTONIC send time */
	uint32_t filler_len; /* bytes of filler before the trailer */
};

/* Verification results, declared once. */
#define GEN_STAMP_RC_LIST(X)                                                                       \
	X(OK, "ok")                                                                                \
	X(SHORT, "body shorter than its stamp says")                                               \
	X(SYNTAX, "no valid stamp at the end of the body")                                         \
	X(CHECKSUM, "checksum mismatch: body altered")

enum gen_stamp_rc {
#define GEN_STAMP_RC_ENUM(sym, doc) GEN_STAMP_##sym,
	GEN_STAMP_RC_LIST(GEN_STAMP_RC_ENUM)
#undef GEN_STAMP_RC_ENUM
};

/* FNV-1a 64 continued from h (start with GEN_FNV_OFFSET). */
#define GEN_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t gen_fnv1a(uint64_t h, const uint8_t *p, size_t len);

/*
 * Writes a body of exactly len bytes (len >= GEN_STAMP_LEN) into out: filler derived from
 * (sender, seq), then the trailer of st (st->filler_len is set to len - GEN_STAMP_LEN).
 * Returns len, or -EINVAL when len < GEN_STAMP_LEN.
 */
int gen_stamp_write(struct gen_stamp *st, uint8_t *out, size_t len);

/*
 * Checks the stamp at the end of body[0..len) (bytes before the filler, e.g. a CPIM
 * envelope, are ignored) and fills *st on GEN_STAMP_OK.
 */
enum gen_stamp_rc gen_stamp_verify(const uint8_t *body, size_t len, struct gen_stamp *st);

const char *gen_stamp_rc_str(enum gen_stamp_rc rc);
