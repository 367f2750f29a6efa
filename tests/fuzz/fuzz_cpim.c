/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: message/cpim parser. Beyond "no crash", checks invariants: every span
 * lies inside the input, and a successful parse survives a From rewrite (the rewritten body
 * parses again, with the alias as From and the same content).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpim/cpim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_span(const uint8_t *data, size_t size, struct cpim_span s)
{
	if (s.len > 0 && (s.p < data || s.p + s.len > data + size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpim_msg m, m2;
	static uint8_t out[65536 + 256];
	struct cpim_alias alias = {cpim_span_str("Anon \"1\""), cpim_span_str("sip:c-a1@x")};
	struct cpim_splice sp;
	struct cpim_span unk;
	uint8_t line[CPIM_LINE_MAX + 64];
	const uint8_t *repl[1] = {line};
	ssize_t n, total;

	if (size > 65536)
		return 0;
	if (cpim_parse(data, (uint32_t)size, &m) != CPIM_OK)
		return 0;
	for (int i = 0; i < m.n_hdr; i++) {
		check_span(data, size, m.hdr[i].line);
		check_span(data, size, m.hdr[i].value);
	}
	check_span(data, size, m.content);
	check_span(data, size, m.content_type);
	(void)cpim_require_check(&m, &unk);

	n = cpim_addr_rewrite(&m, m.from_hdr, &alias, line, sizeof(line), &sp);
	if (n < 0)
		abort();
	total = cpim_splice_apply(data, (uint32_t)size, &sp, repl, 1, out, sizeof(out));
	if (total != (ssize_t)size + sp.delta)
		abort();
	if (cpim_parse(out, (uint32_t)total, &m2) != CPIM_OK)
		abort();
	if (!cpim_span_eq(m2.from.uri, "sip:c-a1@x") || m2.content.len != m.content.len ||
	    memcmp(m2.content.p, m.content.p, m.content.len) != 0 ||
	    m2.final_report != m.final_report)
		abort();
	if (cpim_splice_shift(&sp, 1, size) != (uint64_t)total && size > sp.off + sp.old_len)
		abort();
	return 0;
}
