/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for MSRP URI parsing and comparison (RFC 4975 §6, §6.1): parse the
 * input; when it parses, every component must lie inside the input, equality must be
 * reflexive and symmetric with a re-parsed copy, and the path iterator must terminate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/msrp.h"

static void
fuzz_check(bool ok)
{
	if (!ok)
		abort();
}

static void
fuzz_inside(struct msrp_span s, const uint8_t *data, size_t size)
{
	if (s.p == NULL)
		return;
	fuzz_check(s.p >= data && s.p + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msrp_uri u, v;
	struct msrp_span rest = {data, (uint32_t)size}, one;
	size_t n = 0;

	if (size > 4096)
		return 0;
	if (msrp_uri_parse(data, size, &u) == 0) {
		uint8_t *copy = malloc(size ? size : 1);

		fuzz_check(copy != NULL);
		fuzz_inside(u.userinfo, data, size);
		fuzz_inside(u.host, data, size);
		fuzz_inside(u.session_id, data, size);
		fuzz_inside(u.transport, data, size);
		fuzz_inside(u.params, data, size);
		fuzz_check(u.transport.len > 0 && u.host.len > 0);
		fuzz_check(msrp_uri_equal(&u, &u));
		memcpy(copy, data, size);
		fuzz_check(msrp_uri_parse(copy, size, &v) == 0);
		fuzz_check(msrp_uri_equal(&u, &v) && msrp_uri_equal(&v, &u));
		free(copy);
	}
	/* The input as a path: pairwise comparisons must be symmetric. */
	while (msrp_path_next(&rest, &one) && n < 64) {
		struct msrp_uri a;

		n++;
		fuzz_inside(one, data, size);
		if (msrp_uri_parse(one.p, one.len, &a) == 0 && msrp_uri_parse(data, size, &u) == 0)
			fuzz_check(msrp_uri_equal(&a, &u) == msrp_uri_equal(&u, &a));
	}
	return 0;
}
