/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Transaction ids and Message-IDs (RFC 4975 §9 ident, §14.1 / MFR-18: unpredictable, at
 * least 80 bits of randomness).
 *
 * One generator per lcore/thread: a ChaCha20 keystream (RFC 8439 §2.3 block function,
 * 20 rounds) keyed once from the OS CSPRNG (getrandom at init only), with a 64-bit block
 * counter and a 64-bit nonce made of the caller's stream number and random bits. The
 * keystream is produced MSRP_ID_BLOCKS blocks at a time (one SIMD lane per block, same bytes
 * as computing the blocks one by one), and an id packs 6 bits per char, so a 14-char
 * transaction id costs 11 keystream bytes; draws never make a syscall.
 *
 * Output alphabet: the first char is ALPHANUM (62 symbols, by rejection sampling), the rest
 * come from ALPHANUM "-" "." (64 symbols, 6 bits each), all legal ident-chars. A 16-char id
 * carries log2(62) + 15 * 6 = 95.9 bits; the minimum length MSRP_ID_MIN_LEN keeps >= 80.
 *
 * Thread-safety: a struct msrp_id_gen is owned by one thread; no locking. Generators on
 * different threads are independent (distinct keys from getrandom).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MSRP_ID_LEN     16 /* default id length: 95.9 bits */
#define MSRP_ID_MIN_LEN 14 /* 5.95 + 13 * 6 = 83.9 bits >= 80 (MFR-18) */
#define MSRP_ID_MAX_LEN 32 /* ident = ALPHANUM 3*31ident-char */

#define MSRP_ID_BLOCKS 4 /* ChaCha20 blocks computed per refill (SIMD lanes) */

struct msrp_id_gen {
	uint32_t key[8];                 /* ChaCha20 key, from getrandom() */
	uint32_t ctr_nonce[4];           /* words 12..15: 64-bit block counter, 64-bit nonce */
	uint32_t ks_pos;                 /* next unused byte of ks (sizeof(ks) = empty) */
	uint8_t ks[64 * MSRP_ID_BLOCKS]; /* keystream; used bytes are zeroed */
};

/*
 * Key a generator from getrandom(2) (blocks only until the kernel CSPRNG is seeded, at
 * boot). stream distinguishes generators sharing a key (never the case with this call,
 * but cheap). Returns 0 or -errno. Call at init, never on the hot path.
 */
int msrp_id_gen_init(struct msrp_id_gen *g, uint32_t stream);

/* Deterministic keying for tests and reproducible benches. NOT for production ids. */
void msrp_id_gen_init_seed(struct msrp_id_gen *g, const uint8_t seed[32], uint32_t stream);

/*
 * Write a len-char ident into out (no NUL). len must be in [MSRP_ID_MIN_LEN,
 * MSRP_ID_MAX_LEN]. Returns len or -EINVAL.
 */
ssize_t msrp_id_next(struct msrp_id_gen *g, uint8_t *out, size_t len);

/* Raw random bytes from the same keystream (e.g. session-ids, nonces). */
void msrp_id_bytes(struct msrp_id_gen *g, uint8_t *out, size_t len);

/*
 * The ChaCha20 block function (RFC 8439 §2.3): 64 keystream bytes for key and state words
 * 12..15 (counter/nonce). Exposed so tests can check it against the RFC test vector.
 */
void msrp_chacha20_block(const uint32_t key[8], const uint32_t words12_15[4], uint8_t out[64]);
