/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Retransmission timer computation, RFC 6298. Times in microseconds. Pure; no DPDK.
 */

#include <stdint.h>

#define TCP_RTO_INITIAL_US 1000000ULL  /* RFC 6298 §2.1 */
#define TCP_RTO_MAX_US     60000000ULL /* RFC 6298 §2.5: a maximum of at least 60 s */
#define TCP_RTO_G_US       1000ULL     /* clock granularity G: the wheel tick */

struct tcp_rto {
	uint64_t srtt_us; /* 0 until the first measurement */
	uint64_t rttvar_us;
	uint64_t rto_us; /* without backoff */
	uint64_t min_us; /* configured lower bound (RFC 6298 §2.4 says 1 s; configurable) */
	uint8_t backoff; /* exponent of the §5.5 doubling */
};

static inline void
tcp_rto_init(struct tcp_rto *r, uint64_t min_us)
{
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->min_us = min_us;
	r->rto_us = TCP_RTO_INITIAL_US < min_us ? min_us : TCP_RTO_INITIAL_US;
	r->backoff = 0;
}

static inline uint64_t
tcp_rto_clamp(const struct tcp_rto *r, uint64_t v)
{
	if (v < r->min_us)
		v = r->min_us;
	return v > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : v;
}

/* RFC 6298 §2.2 (first) and §2.3 (subsequent) measurements, alpha 1/8, beta 1/4, K 4. */
static inline void
tcp_rto_sample(struct tcp_rto *r, uint64_t rtt_us)
{
	uint64_t k_var;

	if (rtt_us == 0)
		rtt_us = 1;
	if (r->srtt_us == 0) {
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else {
		uint64_t err = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;

		r->rttvar_us = (3 * r->rttvar_us + err) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
	}
	k_var = 4 * r->rttvar_us;
	r->rto_us = tcp_rto_clamp(r, r->srtt_us + (k_var > TCP_RTO_G_US ? k_var : TCP_RTO_G_US));
	/* §5.7 allows keeping the backoff; a fresh sample means the path answers again. */
	r->backoff = 0;
}

/* The timeout to arm now, with the §5.5 exponential backoff applied. */
static inline uint64_t
tcp_rto_current(const struct tcp_rto *r)
{
	uint64_t v = r->rto_us << (r->backoff > 20 ? 20 : r->backoff);

	return tcp_rto_clamp(r, v);
}

/* RFC 6298 §5.5: double on each expiry. */
static inline void
tcp_rto_backoff(struct tcp_rto *r)
{
	if (r->backoff < 30)
		r->backoff++;
}
