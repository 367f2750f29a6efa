/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Keyed hashing for initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 §3.6).
 * Pure functions over a 128-bit secret; no DPDK dependency.
 */

#include <stdbool.h>
#include <stdint.h>

struct tcp_secret {
	uint64_t k0, k1;
};

/* The 4-tuple in host byte order. */
struct tcp_tuple {
	uint32_t local_ip, remote_ip;
	uint16_t local_port, remote_port;
};

/* SipHash-2-4 of up to four 64-bit words (Aumasson & Bernstein), our PRF. */
uint64_t tcp_siphash(const struct tcp_secret *k, const uint64_t *w, unsigned int nwords);

/*
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs
 * timer. now_us is the stack's clock.
 */
uint32_t tcp_isn(const struct tcp_secret *k, const struct tcp_tuple *t, uint64_t now_us);

/* The MSS values a cookie can carry (3 bits). */
#define TCP_COOKIE_MSS_N 8
extern const uint16_t tcp_cookie_mss[TCP_COOKIE_MSS_N];

/* Seconds per cookie time slot; a cookie is valid in its slot and the next (64-128 s). */
#define TCP_COOKIE_SLOT_S 64

/*
 * SYN cookie: our ISN encodes the time slot (5 bits), the MSS index (3 bits) and 24 bits of
 * PRF over tuple, slot and the peer's ISN. mss is clamped down to the nearest table value.
 */
uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_tuple *t, uint32_t peer_isn,
                         uint16_t mss, uint64_t now_us);
/*
 * Checks the ACK of a cookie SYN-ACK: cookie = SEG.ACK - 1, peer_isn = SEG.SEQ - 1.
 * Returns true and the MSS when valid and fresh.
 */
bool tcp_cookie_check(const struct tcp_secret *k, const struct tcp_tuple *t, uint32_t peer_isn,
                      uint32_t cookie, uint64_t now_us, uint16_t *mss);
