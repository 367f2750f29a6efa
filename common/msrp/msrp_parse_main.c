/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-msrp-parse: reads one MSRP connection's byte stream on stdin and writes one JSON
 * object per frame on stdout (format: docs/msrp.md).
 * Exit: 0 clean end, 1 first parse error (an error line is printed), 2 stream ended inside a
 * frame (error "truncated"), 64 bad usage, 71 out of memory or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msrp/msrp.h"
#include "msrp/msrp_json.h"

#define PARSE_EXIT_USAGE 64
#define PARSE_EXIT_OS    71

/*
 * Input is read into fixed blocks that stay put while a frame refers to them (the parser
 * is zero-copy: body spans point into them); blocks before the current one are freed each
 * time a frame completes, so memory stays bounded by one frame plus one block.
 */
struct parse_input {
	uint8_t **blocks;
	size_t n_blocks;
	size_t cap_blocks;
	size_t block_size;
};

static void
parse_usage(FILE *out)
{
	fputs("usage: msw-msrp-parse [--feed N] [--max-chunk BYTES] [--max-header BYTES]\n"
	      "  Reads one MSRP byte stream on stdin, writes one JSON line per frame.\n"
	      "  --feed N            feed the parser N bytes at a time (default: all at once)\n"
	      "  --max-chunk BYTES   largest body of one chunk (default 1048576)\n"
	      "  --max-header BYTES  largest header block (default 16384)\n",
	      out);
}

static int
parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static uint8_t *
parse_new_block(struct parse_input *in)
{
	uint8_t *b;

	if (in->n_blocks == in->cap_blocks) {
		size_t cap = in->cap_blocks ? in->cap_blocks * 2 : 8;
		uint8_t **nb = realloc(in->blocks, cap * sizeof(*nb));

		if (nb == NULL)
			return NULL;
		in->blocks = nb;
		in->cap_blocks = cap;
	}
	b = malloc(in->block_size);
	if (b != NULL)
		in->blocks[in->n_blocks++] = b;
	return b;
}

/* Frees every block but the last (the next frame starts in the last one). */
static void
parse_release_old(struct parse_input *in)
{
	if (in->n_blocks <= 1)
		return;
	for (size_t i = 0; i + 1 < in->n_blocks; i++)
		free(in->blocks[i]);
	in->blocks[0] = in->blocks[in->n_blocks - 1];
	in->n_blocks = 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"feed", required_argument, NULL, 'f'},
	        {"max-chunk", required_argument, NULL, 'c'},
	        {"max-header", required_argument, NULL, 'H'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct msrp_limits lim;
	struct parse_input in = {0};
	struct msrp_parser *p;
	uint8_t *hdr_buf, *block = NULL;
	uint64_t feed = 0, v;
	size_t block_len = 0;
	enum msrp_rc rc;
	int opt, status = 0;

	msrp_limits_default(&lim);
	while ((opt = getopt_long(argc, argv, "f:c:H:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (parse_number(optarg, 1, SIZE_MAX, &feed) != 0) {
				fprintf(stderr, "msw-msrp-parse: --feed: not a count: %s\n",
				        optarg);
				return PARSE_EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_number(optarg, 0, UINT32_MAX - 64, &v) != 0) {
				fprintf(stderr, "msw-msrp-parse: --max-chunk: bad size: %s\n",
				        optarg);
				return PARSE_EXIT_USAGE;
			}
			lim.max_body_bytes = (uint32_t)v;
			break;
		case 'H':
			if (parse_number(optarg, 16, 1u << 30, &v) != 0) {
				fprintf(stderr,
				        "msw-msrp-parse: --max-header: bad size (16.."
				        "1073741824): %s\n",
				        optarg);
				return PARSE_EXIT_USAGE;
			}
			lim.max_header_bytes = (uint32_t)v;
			break;
		case 'h':
			parse_usage(stdout);
			return 0;
		default:
			parse_usage(stderr);
			return PARSE_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		parse_usage(stderr);
		return PARSE_EXIT_USAGE;
	}

	/* One body may cover at most max_body_segs blocks (plus the end-line's). */
	in.block_size = 64 * 1024;
	if (lim.max_body_bytes / (MSRP_BODY_SEGS_MAX - 2) + 1 > in.block_size)
		in.block_size = lim.max_body_bytes / (MSRP_BODY_SEGS_MAX - 2) + 1;

	p = malloc(sizeof(*p));
	hdr_buf = malloc(lim.max_header_bytes);
	if (p == NULL || hdr_buf == NULL ||
	    msrp_parser_init(p, &lim, hdr_buf, lim.max_header_bytes) != 0) {
		fprintf(stderr, "msw-msrp-parse: cannot set up the parser: %s\n", strerror(errno));
		return PARSE_EXIT_OS;
	}

	for (;;) {
		ssize_t n;
		size_t off;

		if (block == NULL || block_len == in.block_size) {
			block = parse_new_block(&in);
			block_len = 0;
			if (block == NULL) {
				fprintf(stderr, "msw-msrp-parse: out of memory\n");
				status = PARSE_EXIT_OS;
				goto out;
			}
		}
		n = read(STDIN_FILENO, block + block_len, in.block_size - block_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "msw-msrp-parse: read: %s\n", strerror(errno));
			status = PARSE_EXIT_OS;
			goto out;
		}
		if (n == 0)
			break;
		off = block_len;
		block_len += (size_t)n;
		while (off < block_len) {
			struct msrp_frame frame;
			size_t piece = block_len - off, used;

			if (feed && piece > feed)
				piece = (size_t)feed;
			rc = msrp_parser_feed(p, block + off, piece, &used, &frame);
			off += used;
			if (rc == MSRP_OK) {
				msrp_json_write_frame(stdout, &frame);
				parse_release_old(&in);
			} else if (rc != MSRP_AGAIN) {
				msrp_json_write_error(stdout, rc, msrp_parser_error_offset(p));
				status = 1;
				goto out;
			}
		}
	}
	rc = msrp_parser_finish(p);
	if (rc != MSRP_OK) {
		msrp_json_write_error(stdout, rc, msrp_parser_error_offset(p));
		status = rc == MSRP_ERR_TRUNCATED ? 2 : 1;
	}
out:
	if (fflush(stdout) != 0 && status == 0)
		status = PARSE_EXIT_OS;
	for (size_t i = 0; i < in.n_blocks; i++)
		free(in.blocks[i]);
	free(in.blocks);
	free(hdr_buf);
	free(p);
	return status;
}
