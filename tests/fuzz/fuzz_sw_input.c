/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the conference switch engine's input path (sw_conn_rx): framing,
 * binding, hop responses, fan-out, re-chunking, CPIM policy, aborts, reports and timers.
 *
 * Each input builds a fresh engine (deterministic ids) with one conference of three legs
 * (alice, bob, carol) over the in-memory wire of the unit tests (tests/unit/test_sw_wire.h),
 * bob and carol bound, then:
 *  - byte 0 selects the lcore count (1 or 2), the CPIM policy, how the stream is split into
 *    receive buffers and how bob/carol answer what they get;
 *  - the rest, up to an optional "%%\n" separator, is alice's connection byte stream;
 *    the tokens %A / %a expand to alice's leg URI (on the switch) / her path, %B/%b and
 *    %C/%c likewise, so seeds and mutations reach the bound-leg paths;
 *  - after the separator: raw bytes of bob's connection (his responses and REPORTs), where
 *    %T expands to the transaction id of the next request bob received.
 * Bob and carol also answer every request they get with a status chosen by byte 0 (and a
 * REPORT for last chunks), through the common/msrp builder.
 *
 * Oracles (any failure aborts, which libFuzzer reports): everything the switch writes on
 * every connection is valid MSRP; once connections close and every timer has run, no message
 * tracker or transaction is left on any lcore, and every receive buffer was released exactly
 * as often as it was held (no leak, no double release).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The wire harness asserts with Criterion; a fuzz target has no Criterion runner, so the
 * header is skipped (its include guard) and the few assertions it uses abort instead.
 */
#define CRITERION_H_
#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_sw_input: %s:%d: ", __FILE__, __LINE__);             \
			fprintf(stderr, "" __VA_ARGS__);                                           \
			fprintf(stderr, " (%s)\n", #cond);                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
#define cr_assert(c, ...)          FZ_CHECK((c), __VA_ARGS__)
#define cr_assert_eq(a, b, ...)    FZ_CHECK((a) == (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...)    FZ_CHECK((a) > (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...)    FZ_CHECK((a) < (b), __VA_ARGS__)
#define cr_assert_not_null(p, ...) FZ_CHECK((p) != NULL, __VA_ARGS__)
#define cr_assert_fail(...)        FZ_CHECK(0, __VA_ARGS__)

#include "../unit/test_sw_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_STREAM (64u * 1024u)
#define FZ_MAX_TIDS   64

static struct tw fz_w;

struct fz_tids {
	char tid[FZ_MAX_TIDS][40];
	unsigned int n, next;
};

/*
 * Expand the %X tokens of in[0..len) into out (cap bytes). Returns the expanded length.
 */
static size_t
fz_expand(const uint8_t *in, size_t len, uint8_t *out, size_t cap, struct tw_leg *const legs[3],
          struct fz_tids *tids)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < cap; i++) {
		const char *rep = NULL;

		if (in[i] == '%' && i + 1 < len) {
			switch (in[i + 1]) {
			case 'A':
				rep = legs[0]->uri;
				break;
			case 'a':
				rep = legs[0]->path;
				break;
			case 'B':
				rep = legs[1]->uri;
				break;
			case 'b':
				rep = legs[1]->path;
				break;
			case 'C':
				rep = legs[2]->uri;
				break;
			case 'c':
				rep = legs[2]->path;
				break;
			case 'T':
				if (tids != NULL && tids->n > 0)
					rep = tids->tid[tids->next++ % tids->n];
				break;
			default:
				break;
			}
		}
		if (rep == NULL) {
			out[o++] = in[i];
			continue;
		}
		size_t rl = strlen(rep);

		if (rl > cap - o)
			rl = cap - o;
		memcpy(out + o, rep, rl);
		o += rl;
		i++;
	}
	return o;
}

/* Bytes from a peer on test connection tc, in buffers of split bytes (0 = one buffer). */
static void
fz_rx(unsigned int tc, const uint8_t *bytes, size_t len, size_t split)
{
	if (!fz_w.c[tc].open || fz_w.c[tc].closed || len == 0)
		return;
	(void)tw_rx_split(&fz_w, tc, bytes, len, split);
}

/*
 * Check that what the switch wrote on tc is MSRP, remember the transaction ids of the
 * requests (for %T) and answer them with code (0 = no answer), plus a REPORT for last chunks
 * when report_code != 0. Clears the output.
 */
static void
fz_peer(unsigned int tc, uint16_t code, uint16_t report_code, struct fz_tids *tids)
{
	struct tw_conn *c = &fz_w.c[tc];
	struct msrp_parser parser;
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
	static uint8_t answers[256 * 1024];
	size_t n_ans = 0, pos = 0;

	FZ_CHECK(msrp_parser_init(&parser, NULL, hdr, sizeof(hdr)) == 0);
	while (pos < c->out_len) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc =
		        msrp_parser_feed(&parser, c->out + pos, c->out_len - pos, &used, &f);

		FZ_CHECK(rc == MSRP_OK, "switch output on conn %u is not MSRP: %s at %zu", tc,
		         msrp_rc_name(rc), pos);
		pos += used;
		if (f.kind != MSRP_KIND_REQUEST)
			continue;
		if (tids != NULL && tids->n < FZ_MAX_TIDS && f.tid.len < sizeof(tids->tid[0]))
			snprintf(tids->tid[tids->n++], sizeof(tids->tid[0]), "%.*s", (int)f.tid.len,
			         (const char *)f.tid.p);
		if (code == 0 || sizeof(answers) - n_ans < 4096)
			continue;
		ssize_t n = msrp_build_response_to(&f, code, NULL, (struct msrp_span){NULL, 0},
		                                   answers + n_ans, sizeof(answers) - n_ans);

		if (n > 0)
			n_ans += (size_t)n;
		if (report_code != 0 && f.flag == '$' && f.method == MSRP_METHOD_SEND) {
			n = msrp_build_report_for(
			        &f, (struct msrp_span){(const uint8_t *)"rpt12345", 8}, f.to_path,
			        report_code, NULL, NULL, answers + n_ans, sizeof(answers) - n_ans);
			if (n > 0)
				n_ans += (size_t)n;
		}
	}
	c->out_len = 0;
	tw_drain_refs(&fz_w, tc);
	fz_rx(tc, answers, n_ans, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t stream[FZ_MAX_STREAM];
	static const uint16_t codes[8] = {200, 200, 200, 0, 413, 400, 481, 408};
	static const uint8_t policies[3] = {MSW_CTL_CPIM_WRAP, MSW_CTL_CPIM_REQUIRED,
	                                    MSW_CTL_CPIM_OFF};
	struct sw_params p;
	struct tw_leg alice, bob, carol;
	struct tw_leg *const legs[3] = {&alice, &bob, &carol};
	struct fz_tids tids = {.n = 0};

	if (size < 1 || size > FZ_MAX_STREAM / 4)
		return 0;
	uint8_t ctl = data[0];
	unsigned int lcores = (ctl & 1) + 1;
	size_t split = (ctl & 0x0e) ? (size_t)1 << ((ctl >> 1) & 7) : 0; /* 0 = one buffer */
	uint16_t code = codes[(ctl >> 4) & 7];
	uint16_t report_code = (ctl & 0x80) ? 200 : 0;

	data++;
	size--;
	const uint8_t *sep = memmem(data, size, "%%\n", 3);
	size_t a_len = sep != NULL ? (size_t)(sep - data) : size;

	tw_default_params(&p);
	p.n_lcores = lcores;
	p.rechunk_bytes = 64;
	tw_init_params(&fz_w, &p);
	tw_conf(&fz_w, "conf1", policies[a_len % 3], 4096);
	tw_leg_add(&fz_w, "conf1", "alice", &alice, NULL);
	/* bob takes CPIM only around text or PNG (accept-wrapped-types, RFC 4975 §8.6). */
	tw_leg_add(&fz_w, "conf1", "bob", &bob,
	           &(struct tw_leg_opts){.max_size = 2048,
	                                 .accept = "message/cpim text/plain",
	                                 .wrapped = "text/* image/png"});
	tw_leg_add(&fz_w, "conf1", "carol", &carol, &(struct tw_leg_opts){.accept = "text/plain"});
	tw_bind_on(&fz_w, &bob, lcores - 1);
	tw_bind_on(&fz_w, &carol, 0);
	alice.tc = tw_accept_on(&fz_w, 0);

	/* Alice's stream. */
	size_t n = fz_expand(data, a_len, stream, sizeof(stream), legs, NULL);

	fz_rx(alice.tc, stream, n, split);
	fz_peer(alice.tc, 0, 0, NULL);
	fz_peer(bob.tc, code, report_code, &tids);
	fz_peer(carol.tc, codes[(ctl >> 5) & 7], report_code, NULL);
	/* Bob's own bytes (responses and REPORTs crafted by the fuzzer). */
	if (sep != NULL) {
		n = fz_expand(sep + 3, size - a_len - 3, stream, sizeof(stream), legs, &tids);
		fz_rx(bob.tc, stream, n, split);
	}
	tw_advance(&fz_w, 1000);
	for (unsigned int i = 0; i < 3; i++)
		fz_peer(legs[i]->tc, code, 0, NULL);
	/* MSW_FUZZ_DEBUG=1: what an input reached (to check that seeds exercise fan-out). */
	if (getenv("MSW_FUZZ_DEBUG") != NULL)
		for (unsigned int i = 0; i < SW_CNT_MAX; i++)
			if (tw_cnt(&fz_w, (enum sw_cnt)i) != 0)
				fprintf(stderr, "%s=%llu\n", sw_counter_name((enum sw_cnt)i),
				        (unsigned long long)tw_cnt(&fz_w, (enum sw_cnt)i));

	/* Everything goes: connections close, every timer expires. */
	for (unsigned int i = 0; i < 3; i++) {
		struct tw_conn *c = &fz_w.c[legs[i]->tc];

		sw_conn_closed(sw_engine_lcore(fz_w.e, c->lcore), c->eng, fz_w.now_us);
		tw_settle(&fz_w);
	}
	tw_advance(&fz_w, 61000000);
	tw_advance(&fz_w, 61000000);
	for (unsigned int i = 0; i < lcores; i++) {
		FZ_CHECK(sw_lcore_msgs_in_use(sw_engine_lcore(fz_w.e, i)) == 0, "lcore %u", i);
		FZ_CHECK(sw_lcore_tx_in_use(sw_engine_lcore(fz_w.e, i)) == 0, "lcore %u", i);
	}
	for (unsigned int i = 0; i < TW_CONNS; i++)
		fz_w.c[i].out_len = 0;
	tw_fini(&fz_w); /* no buffer leaked or released twice */
	return 0;
}
