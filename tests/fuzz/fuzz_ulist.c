/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: URI-list INVITE bodies through ulist_multipart() and ulist_entries(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ulist/ulist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char uris[ULIST_URIS_MAX][ULIST_URI_CAP];
	struct ulist_part parts[ULIST_PARTS_MAX];
	const char *text = (const char *)data;
	int n;

	/* The whole input as a resource list. */
	n = ulist_entries(text, size, uris, ULIST_URIS_MAX);
	for (int i = 0; i < n; i++)
		if (strlen(uris[i]) == 0 || strlen(uris[i]) >= ULIST_URI_CAP)
			abort();
	/* And as a multipart body with boundary "b"; every part lies inside the input. */
	n = ulist_multipart(text, size, "b", 1, parts, ULIST_PARTS_MAX);
	for (int i = 0; i < n; i++) {
		if (parts[i].body < text || parts[i].body + parts[i].body_len > text + size)
			abort();
		ulist_entries(parts[i].body, parts[i].body_len, uris, ULIST_URIS_MAX);
	}
	return 0;
}
