/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: final-report parser. A document that parses must survive
 * unescape -> compose -> parse with the same message-id, recipients, statuses and outcomes.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdr/fdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RCPT_MAX 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fdr_recipient r1[RCPT_MAX], r2[RCPT_MAX], raw[RCPT_MAX];
	static uint8_t text[FDR_DOC_MAX], doc[FDR_DOC_MAX * 6 + 4096];
	struct fdr_report a = {.rcpt = r1}, b = {.rcpt = r2}, c = {.rcpt = raw};
	size_t used = 0;
	ssize_t n;

	if (size > FDR_DOC_MAX)
		return 0;
	if (fdr_parse(data, (uint32_t)size, &a, RCPT_MAX) != FDR_OK)
		return 0;
	n = fdr_unescape(a.message_id, text, sizeof(text));
	if (n <= 0)
		abort();
	c.message_id = (struct fdr_span){text, (uint32_t)n};
	used = (size_t)n;
	for (uint32_t i = 0; i < a.n_rcpt; i++) {
		n = fdr_unescape(r1[i].uri, text + used, sizeof(text) - used);
		if (n <= 0)
			abort();
		raw[i] = r1[i];
		raw[i].uri = (struct fdr_span){text + used, (uint32_t)n};
		used += (size_t)n;
	}
	c.n_rcpt = a.n_rcpt;
	n = fdr_build(&c, doc, sizeof(doc));
	/* Character references may decode to controls the composer refuses: that is fine. */
	if (n == -EINVAL)
		return 0;
	if (n < 0 || fdr_parse(doc, (uint32_t)n, &b, RCPT_MAX) != FDR_OK || b.n_rcpt != a.n_rcpt)
		abort();
	for (uint32_t i = 0; i < a.n_rcpt; i++)
		if (r2[i].status != r1[i].status || r2[i].outcome != r1[i].outcome)
			abort();
	return 0;
}
