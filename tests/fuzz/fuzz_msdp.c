/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: SDP offers through msdp_parse() (sofia-sip's SDP parser plus ours); a parsed
 * MSRP media line is built back into an answer and parsed again: the attributes survive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/msdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msdp_media m, back;
	char *text = malloc(size + 1);
	char sdp[4096];
	int n;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (msdp_parse(text, size, &m) == MSDP_OK && m.addr[0] != '\0' &&
	    strpbrk(m.path, "\r\n") == NULL && strpbrk(m.accept_types, "\r\n") == NULL &&
	    strpbrk(m.addr, " \r\n") == NULL) {
		n = msdp_build(&m, 1, 1, sdp, sizeof(sdp));
		if (n > 0 && msdp_parse(sdp, (size_t)n, &back) == MSDP_OK &&
		    (strcmp(back.path, m.path) != 0 || back.setup != m.setup))
			abort();
	}
	free(text);
	return 0;
}
