/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the MSRP parser tests: loading tests/vectors/msrp/ (NAME.msrp raw stream,
 * NAME.json expected msw-msrp-parse lines, optional NAME.args tool options) and running the
 * library parser over a stream split into caller buffers, rendering the same JSON lines as
 * the tool.
 */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "msrp/msrp.h"
#include "msrp/msrp_json.h"

struct msrp_vec {
	char name[128];
	uint8_t *wire;
	size_t wire_len;
	char *expected; /* NUL-terminated JSON lines */
	struct msrp_limits lim;
};

static inline char *
msrp_vec_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static inline const char *
msrp_vec_dir(void)
{
	static char dir[4096];
	const char *root = getenv("MSW_SRC_ROOT");

	cr_assert_not_null(root, "MSW_SRC_ROOT must point at the source tree");
	snprintf(dir, sizeof(dir), "%s/tests/vectors/msrp", root);
	return dir;
}

/* Limits from NAME.args ("--max-chunk N", "--max-header N"), like the tool. */
static inline void
msrp_vec_args(const char *args, struct msrp_limits *lim)
{
	const char *s;

	msrp_limits_default(lim);
	if (args == NULL)
		return;
	if ((s = strstr(args, "--max-chunk ")) != NULL)
		lim->max_body_bytes = (uint32_t)strtoul(s + 12, NULL, 10);
	if ((s = strstr(args, "--max-header ")) != NULL)
		lim->max_header_bytes = (uint32_t)strtoul(s + 13, NULL, 10);
}

static inline int
msrp_vec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct msrp_vec *)a)->name, ((const struct msrp_vec *)b)->name);
}

/* Loads every vector; returns the count (asserts there are some). */
static inline size_t
msrp_vec_load_all(struct msrp_vec **out)
{
	const char *dir = msrp_vec_dir();
	DIR *d = opendir(dir);
	struct dirent *e;
	struct msrp_vec *v = NULL;
	size_t n = 0;

	cr_assert_not_null(d, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char path[4400];
		char *args;

		if (l < 6 || strcmp(e->d_name + l - 5, ".msrp") != 0)
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		cr_assert_not_null(v);
		snprintf(v[n].name, sizeof(v[n].name), "%.*s", (int)(l - 5), e->d_name);
		snprintf(path, sizeof(path), "%s/%s.msrp", dir, v[n].name);
		v[n].wire = (uint8_t *)msrp_vec_read(path, &v[n].wire_len);
		cr_assert_not_null(v[n].wire, "%s", path);
		snprintf(path, sizeof(path), "%s/%s.json", dir, v[n].name);
		v[n].expected = msrp_vec_read(path, NULL);
		cr_assert_not_null(v[n].expected, "%s", path);
		snprintf(path, sizeof(path), "%s/%s.args", dir, v[n].name);
		args = msrp_vec_read(path, NULL);
		msrp_vec_args(args, &v[n].lim);
		free(args);
		n++;
	}
	closedir(d);
	cr_assert_gt(n, 0, "no vectors in %s", dir);
	qsort(v, n, sizeof(*v), msrp_vec_cmp);
	*out = v;
	return n;
}

static inline void
msrp_vec_free_all(struct msrp_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].wire);
		free(v[i].expected);
	}
	free(v);
}

/*
 * Parses wire split at the given cut points (sorted, each in 1..len-1). When separate is
 * true every piece is copied into its own heap buffer (a real segment chain: header blocks
 * straddle, bodies span buffers); otherwise the pieces are slices of wire. Returns the JSON
 * lines the tool would print (caller frees).
 */
static inline char *
msrp_vec_run(const struct msrp_vec *v, const size_t *cuts, size_t n_cuts, bool separate)
{
	struct msrp_parser p;
	uint8_t *hdr_buf = malloc(v->lim.max_header_bytes);
	uint8_t **pieces = calloc(n_cuts + 1, sizeof(*pieces));
	char *out = NULL;
	size_t out_len = 0;
	FILE *js = open_memstream(&out, &out_len);
	enum msrp_rc rc = MSRP_AGAIN;
	bool failed = false;

	cr_assert_not_null(hdr_buf);
	cr_assert_not_null(js);
	cr_assert_eq(msrp_parser_init(&p, &v->lim, hdr_buf, v->lim.max_header_bytes), 0);
	for (size_t k = 0; k <= n_cuts && !failed; k++) {
		size_t a = k == 0 ? 0 : cuts[k - 1];
		size_t b = k == n_cuts ? v->wire_len : cuts[k];
		const uint8_t *buf = v->wire + a;
		size_t len = b - a, off = 0;

		if (separate) {
			pieces[k] = malloc(len ? len : 1);
			memcpy(pieces[k], v->wire + a, len);
			buf = pieces[k];
		}
		while (off < len) {
			struct msrp_frame f;
			size_t used;

			rc = msrp_parser_feed(&p, buf + off, len - off, &used, &f);
			off += used;
			if (rc == MSRP_OK) {
				msrp_json_write_frame(js, &f);
			} else if (rc != MSRP_AGAIN) {
				msrp_json_write_error(js, rc, msrp_parser_error_offset(&p));
				failed = true;
				break;
			}
		}
	}
	if (!failed) {
		rc = msrp_parser_finish(&p);
		if (rc != MSRP_OK)
			msrp_json_write_error(js, rc, msrp_parser_error_offset(&p));
	}
	fclose(js);
	for (size_t k = 0; k <= n_cuts; k++)
		free(pieces[k]);
	free(pieces);
	free(hdr_buf);
	return out;
}
