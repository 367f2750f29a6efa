/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Re-header property over the parser's valid vectors (the .msrp files of tests/vectors/msrp):
 * every request frame, re-addressed for another leg with msrp_build_reheader() and its original
 * body spans chained, parses again with the new tid and paths, and the same method, flag,
 * other headers (in order, byte-exact) and body. This is the switch's forwarding step.
 */

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/msrp.h"
#include "msrp/msrp_build.h"

#define NEW_TID  "Zq9.x-2b8Ka1"
#define NEW_TO   "msrp://relay.example.com:2855/r9sk2;tcp msrp://carol.example.com:9/s3;tcp"
#define NEW_FROM "msrp://switch.example.com:2855/leg7;tcp"

static struct msrp_span
S(const char *s) {
	return (struct msrp_span){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static bool
span_same(struct msrp_span a, struct msrp_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static uint8_t *
load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct msrp_parser pa, pb;
static uint8_t hdr_a[MSRP_DEFAULT_MAX_HEADER_BYTES], hdr_b[MSRP_DEFAULT_MAX_HEADER_BYTES];
static uint8_t wire[2u << 20], body[1u << 20];

/* Re-header one request frame and check the result; returns 1 when checked. */
static int
check_frame(const char *name, const struct msrp_frame *f)
{
	struct msrp_reheader rh = {
	        .tid = S(NEW_TID), .to_path = S(NEW_TO), .from_path = S(NEW_FROM)};
	struct msrp_frame g;
	size_t w, used = 0;
	ssize_t n;
	uint64_t blen = 0;
	int k = 0;

	if (f->kind != MSRP_KIND_REQUEST)
		return 0;
	n = msrp_build_reheader(f, &rh, wire, sizeof(wire));
	cr_assert_gt(n, 0, "%s tid %.*s: reheader %zd", name, (int)f->tid.len, f->tid.p, n);
	w = (size_t)n;
	for (uint32_t i = 0; i < f->n_body_segs; i++) {
		memcpy(wire + w, f->body_segs[i].p, f->body_segs[i].len);
		memcpy(body + blen, f->body_segs[i].p, f->body_segs[i].len);
		w += f->body_segs[i].len;
		blen += f->body_segs[i].len;
	}
	n = msrp_build_end(rh.tid, f->has_body, f->flag, wire + w, sizeof(wire) - w);
	cr_assert_gt(n, 0);
	w += (size_t)n;

	cr_assert_eq(msrp_parser_init(&pb, NULL, hdr_b, sizeof(hdr_b)), 0);
	cr_assert_eq(msrp_parser_feed(&pb, wire, w, &used, &g), MSRP_OK, "%s: output: %.*s", name,
	             (int)w, wire);
	cr_assert_eq(used, w);
	cr_assert(span_same(g.tid, S(NEW_TID)));
	cr_assert(span_same(g.to_path, S(NEW_TO)));
	cr_assert(span_same(g.from_path, S(NEW_FROM)));
	cr_assert(span_same(g.method_name, f->method_name));
	cr_assert_eq(g.flag, f->flag);
	cr_assert_eq(g.has_body, f->has_body);
	cr_assert_eq(g.body_len, blen, "%s", name);
	cr_assert_eq(g.n_hdrs, f->n_hdrs, "%s", name);
	for (uint16_t i = 0; i < f->n_hdrs; i++) {
		if (f->hdrs[i].id == MSRP_HDR_TO_PATH || f->hdrs[i].id == MSRP_HDR_FROM_PATH)
			continue;
		cr_assert(span_same(g.hdrs[i].name, f->hdrs[i].name), "%s header %u", name, i);
		cr_assert(span_same(g.hdrs[i].value, f->hdrs[i].value), "%s header %u", name, i);
	}
	for (uint32_t i = 0, off = 0; i < g.n_body_segs; off += g.body_segs[i].len, i++)
		k |= memcmp(g.body_segs[i].p, body + off, g.body_segs[i].len);
	cr_assert_eq(k, 0, "%s: body changed", name);
	return 1;
}

Test(msrp_build_vectors, reheader_every_valid_request, .timeout = 60)
{
	const char *root = getenv("MSW_SRC_ROOT");
	char dir[4096], path[4096 + 256];
	struct dirent *de;
	DIR *d;
	int files = 0, frames = 0;

	cr_assert_not_null(root, "MSW_SRC_ROOT is not set");
	snprintf(dir, sizeof(dir), "%s/tests/vectors/msrp", root);
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name), len, off = 0;
		uint8_t *buf;

		if (nl < 6 || strcmp(de->d_name + nl - 5, ".msrp") != 0 ||
		    strncmp(de->d_name, "err_", 4) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		buf = load(path, &len);
		cr_assert_eq(msrp_parser_init(&pa, NULL, hdr_a, sizeof(hdr_a)), 0);
		while (off < len) {
			struct msrp_frame f;
			size_t used = 0;
			enum msrp_rc rc = msrp_parser_feed(&pa, buf + off, len - off, &used, &f);

			cr_assert_eq(rc, MSRP_OK, "%s at %zu: %s", de->d_name, off,
			             msrp_rc_name(rc));
			frames += check_frame(de->d_name, &f);
			off += used;
		}
		free(buf);
		files++;
	}
	closedir(d);
	cr_assert_geq(files, 10, "only %d vector files", files);
	cr_assert_geq(frames, 15, "only %d request frames", frames);
	cr_log_info("%d request frames of %d vector files re-headered", frames, files);
}
