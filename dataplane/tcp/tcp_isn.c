/* SPDX-License-Identifier: BSD-3-Clause */
#include "tcp/tcp_isn.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

uint64_t
tcp_siphash(const struct tcp_secret *k, const uint64_t *w, unsigned int nwords)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k->k1;
	uint64_t b = (uint64_t)(nwords * 8) << 56;

	for (unsigned int i = 0; i < nwords; i++) {
		v3 ^= w[i];
		SIPROUND;
		SIPROUND;
		v0 ^= w[i];
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64_t
tcp_tuple_word(const struct tcp_tuple *t)
{
	return ((uint64_t)t->local_ip << 32) | t->remote_ip;
}

static inline uint64_t
tcp_ports_word(const struct tcp_tuple *t)
{
	return ((uint64_t)t->local_port << 16) | t->remote_port;
}

uint32_t
tcp_isn(const struct tcp_secret *k, const struct tcp_tuple *t, uint64_t now_us)
{
	uint64_t w[2] = {tcp_tuple_word(t), tcp_ports_word(t)};

	/* RFC 6528 §3: M ticks every 4 µs; F is a keyed PRF of the connection-id. */
	return (uint32_t)(now_us / 4) + (uint32_t)tcp_siphash(k, w, 2);
}

const uint16_t tcp_cookie_mss[TCP_COOKIE_MSS_N] = {536, 1200, 1360, 1400, 1440, 1452, 1460, 8960};

static uint32_t
tcp_cookie_hash(const struct tcp_secret *k, const struct tcp_tuple *t, uint32_t peer_isn,
                uint32_t slot)
{
	/* A second domain of the PRF: the ISN hash must not hand out cookie bits. */
	uint64_t w[3] = {tcp_tuple_word(t), tcp_ports_word(t) | ((uint64_t)peer_isn << 32),
	                 0xc00c1e0000000000ULL | slot};

	return (uint32_t)tcp_siphash(k, w, 3) & 0xffffff;
}

uint32_t
tcp_cookie_make(const struct tcp_secret *k, const struct tcp_tuple *t, uint32_t peer_isn,
                uint16_t mss, uint64_t now_us)
{
	uint32_t slot = (uint32_t)(now_us / 1000000 / TCP_COOKIE_SLOT_S);
	uint32_t idx = 0;

	for (uint32_t i = 0; i < TCP_COOKIE_MSS_N; i++)
		if (tcp_cookie_mss[i] <= mss)
			idx = i;
	return ((slot & 0x1f) << 27) | (idx << 24) | tcp_cookie_hash(k, t, peer_isn, slot);
}

bool
tcp_cookie_check(const struct tcp_secret *k, const struct tcp_tuple *t, uint32_t peer_isn,
                 uint32_t cookie, uint64_t now_us, uint16_t *mss)
{
	uint32_t now_slot = (uint32_t)(now_us / 1000000 / TCP_COOKIE_SLOT_S);
	uint32_t cslot = cookie >> 27;

	/* Valid in its own slot and the next one only; recover the full slot from 5 bits. */
	for (uint32_t age = 0; age < 2; age++) {
		uint32_t slot = now_slot - age;

		if (now_slot < age || (slot & 0x1f) != cslot)
			continue;
		if ((cookie & 0xffffff) != tcp_cookie_hash(k, t, peer_isn, slot))
			return false;
		*mss = tcp_cookie_mss[(cookie >> 24) & 7];
		return true;
	}
	return false;
}
