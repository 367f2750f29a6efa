/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread id generator: ChaCha20 keystream seeded once from getrandom(2).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "msrp/msrp_id.h"

static inline uint32_t
msrp_rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

/* RFC 8439 §2.1 quarter round, for scalar words or SIMD vectors of words (rotl). */
#define MSRP_QR(rotl, a, b, c, d)                                                                  \
	do {                                                                                       \
		a += b;                                                                            \
		d = rotl(d ^ a, 16);                                                               \
		c += d;                                                                            \
		b = rotl(b ^ c, 12);                                                               \
		a += b;                                                                            \
		d = rotl(d ^ a, 8);                                                                \
		c += d;                                                                            \
		b = rotl(b ^ c, 7);                                                                \
	} while (0)

/* RFC 8439 §2.3: 20 rounds, as 10 column + diagonal double rounds over state x[16]. */
#define MSRP_CHACHA20_ROUNDS(rotl, x)                                                              \
	for (int r_ = 0; r_ < 10; r_++) {                                                          \
		MSRP_QR(rotl, x[0], x[4], x[8], x[12]);                                            \
		MSRP_QR(rotl, x[1], x[5], x[9], x[13]);                                            \
		MSRP_QR(rotl, x[2], x[6], x[10], x[14]);                                           \
		MSRP_QR(rotl, x[3], x[7], x[11], x[15]);                                           \
		MSRP_QR(rotl, x[0], x[5], x[10], x[15]);                                           \
		MSRP_QR(rotl, x[1], x[6], x[11], x[12]);                                           \
		MSRP_QR(rotl, x[2], x[7], x[8], x[13]);                                            \
		MSRP_QR(rotl, x[3], x[4], x[9], x[14]);                                            \
	}

void
msrp_chacha20_block(const uint32_t key[8], const uint32_t words12_15[4], uint8_t out[64])
{
	/* RFC 8439 §2.3: "expand 32-byte k", key, counter/nonce. */
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	uint32_t x[16];

	memcpy(in + 4, key, 32);
	memcpy(in + 12, words12_15, 16);
	memcpy(x, in, sizeof(x));
	MSRP_CHACHA20_ROUNDS(msrp_rotl32, x)
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];

		/* Serialized little-endian whatever the host order (RFC 8439 §2.3). */
		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

/*
 * MSRP_ID_BLOCKS ChaCha20 blocks at once: lane b of every vector computes block counter + b,
 * so the keystream is byte-identical to calling msrp_chacha20_block() for each counter in
 * turn (test_msrp_id checks it). GCC vector extensions: SSE/AVX when the target has them,
 * plain scalar code otherwise.
 */
typedef uint32_t msrp_v4 __attribute__((vector_size(4 * MSRP_ID_BLOCKS)));

static inline msrp_v4
msrp_v4_rotl(msrp_v4 v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void
msrp_id_refill(struct msrp_id_gen *g)
{
	static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	msrp_v4 in[16], x[16];

	for (int i = 0; i < 4; i++)
		in[i] = (msrp_v4){0} + sigma[i];
	for (int i = 0; i < 8; i++)
		in[4 + i] = (msrp_v4){0} + g->key[i];
	/* 64-bit block counter in words 12..13, carried per lane. */
	for (int b = 0; b < MSRP_ID_BLOCKS; b++) {
		uint64_t ctr = ((uint64_t)g->ctr_nonce[1] << 32 | g->ctr_nonce[0]) + (uint64_t)b;

		in[12][b] = (uint32_t)ctr;
		in[13][b] = (uint32_t)(ctr >> 32);
	}
	in[14] = (msrp_v4){0} + g->ctr_nonce[2];
	in[15] = (msrp_v4){0} + g->ctr_nonce[3];
	memcpy(x, in, sizeof(x));
	MSRP_CHACHA20_ROUNDS(msrp_v4_rotl, x)
	for (int i = 0; i < 16; i++) {
		msrp_v4 v = x[i] + in[i];

		for (int b = 0; b < MSRP_ID_BLOCKS; b++) {
			uint8_t *o = g->ks + 64 * b + 4 * i;

			/* Little-endian whatever the host order (RFC 8439 §2.3). */
			o[0] = (uint8_t)v[b];
			o[1] = (uint8_t)(v[b] >> 8);
			o[2] = (uint8_t)(v[b] >> 16);
			o[3] = (uint8_t)(v[b] >> 24);
		}
	}
	/* Never repeats a block under one key (2^64 blocks). */
	uint64_t next = ((uint64_t)g->ctr_nonce[1] << 32 | g->ctr_nonce[0]) + MSRP_ID_BLOCKS;

	g->ctr_nonce[0] = (uint32_t)next;
	g->ctr_nonce[1] = (uint32_t)(next >> 32);
	g->ks_pos = 0;
}

static void
msrp_id_key(struct msrp_id_gen *g, const uint8_t seed[32], uint32_t stream, uint32_t salt)
{
	for (int i = 0; i < 8; i++)
		g->key[i] = (uint32_t)seed[4 * i] | (uint32_t)seed[4 * i + 1] << 8 |
		            (uint32_t)seed[4 * i + 2] << 16 | (uint32_t)seed[4 * i + 3] << 24;
	g->ctr_nonce[0] = 0;
	g->ctr_nonce[1] = 0;
	g->ctr_nonce[2] = stream;
	g->ctr_nonce[3] = salt;
	g->ks_pos = sizeof(g->ks);
}

int
msrp_id_gen_init(struct msrp_id_gen *g, uint32_t stream)
{
	uint8_t seed[36];
	size_t got = 0;
	uint32_t salt;

	while (got < sizeof(seed)) {
		ssize_t n = getrandom(seed + got, sizeof(seed) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	memcpy(&salt, seed + 32, sizeof(salt));
	msrp_id_key(g, seed, stream, salt);
	/* The key must not linger on the stack. */
	explicit_bzero(seed, sizeof(seed));
	return 0;
}

void
msrp_id_gen_init_seed(struct msrp_id_gen *g, const uint8_t seed[32], uint32_t stream)
{
	msrp_id_key(g, seed, stream, 0);
}

void
msrp_id_bytes(struct msrp_id_gen *g, uint8_t *out, size_t len)
{
	while (len > 0) {
		size_t n;

		if (g->ks_pos >= sizeof(g->ks))
			msrp_id_refill(g);
		n = sizeof(g->ks) - g->ks_pos;
		if (n > len)
			n = len;
		memcpy(out, g->ks + g->ks_pos, n);
		/* Used keystream is erased: a later memory disclosure cannot replay past ids. */
		memset(g->ks + g->ks_pos, 0, n);
		g->ks_pos += (uint32_t)n;
		out += n;
		len -= n;
	}
}

static inline uint8_t
msrp_id_byte(struct msrp_id_gen *g)
{
	uint8_t b;

	if (g->ks_pos >= sizeof(g->ks))
		msrp_id_refill(g);
	b = g->ks[g->ks_pos];
	g->ks[g->ks_pos++] = 0;
	return b;
}

/* 62 ALPHANUM first, then "-" and "." : indexes 0..61 are ALPHANUM, 0..63 ident-chars. */
static const char msrp_id_alphabet[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.";

/* Slow path: one keystream byte per char, crossing refills (rare: near the buffer end). */
static void
msrp_id_next_bytewise(struct msrp_id_gen *g, uint8_t *out, size_t len)
{
	for (size_t i = 1; i < len; i++)
		out[i] = (uint8_t)msrp_id_alphabet[msrp_id_byte(g) & 63];
}

ssize_t
msrp_id_next(struct msrp_id_gen *g, uint8_t *out, size_t len)
{
	uint8_t b;
	size_t need, i, k;
	const uint8_t *ks;
	uint32_t pos;

	if (len < MSRP_ID_MIN_LEN || len > MSRP_ID_MAX_LEN)
		return -EINVAL;
	/* The other len - 1 chars take 6 bits each: 3 keystream bytes make 4 chars. */
	need = ((len - 1) * 6 + 7) / 8;
	pos = g->ks_pos;
	/* RFC 4975 §9 ident starts with ALPHANUM: rejection sampling keeps it uniform. */
	for (;;) {
		if (pos + 1 + need > sizeof(g->ks)) {
			/* Near the end of the keystream: one byte per char, across the refill. */
			memset(g->ks + g->ks_pos, 0, pos - g->ks_pos);
			g->ks_pos = pos;
			do
				b = msrp_id_byte(g) & 63;
			while (b >= 62);
			out[0] = (uint8_t)msrp_id_alphabet[b];
			msrp_id_next_bytewise(g, out, len);
			return (ssize_t)len;
		}
		b = g->ks[pos++] & 63;
		if (b < 62)
			break;
	}
	out[0] = (uint8_t)msrp_id_alphabet[b];
	ks = g->ks + pos;
	for (i = 1, k = 0; i + 4 <= len; i += 4, k += 3) {
		uint32_t w = (uint32_t)ks[k] | (uint32_t)ks[k + 1] << 8 | (uint32_t)ks[k + 2] << 16;

		out[i] = (uint8_t)msrp_id_alphabet[w & 63];
		out[i + 1] = (uint8_t)msrp_id_alphabet[(w >> 6) & 63];
		out[i + 2] = (uint8_t)msrp_id_alphabet[(w >> 12) & 63];
		out[i + 3] = (uint8_t)msrp_id_alphabet[w >> 18];
	}
	if (i < len) {
		/* 1..3 chars left: 1, 2 or 3 more bytes (6, 12 or 18 bits). */
		uint32_t w = (uint32_t)ks[k];

		if (k + 1 < need)
			w |= (uint32_t)ks[k + 1] << 8;
		if (k + 2 < need)
			w |= (uint32_t)ks[k + 2] << 16;
		for (; i < len; i++, w >>= 6)
			out[i] = (uint8_t)msrp_id_alphabet[w & 63];
	}
	/* Used keystream is erased: a later memory disclosure cannot replay past ids. */
	pos += (uint32_t)need;
	memset(g->ks + g->ks_pos, 0, pos - g->ks_pos);
	g->ks_pos = pos;
	return (ssize_t)len;
}
