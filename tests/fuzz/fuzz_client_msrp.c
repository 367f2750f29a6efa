/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: a byte stream from the peer into msw-client's MSRP session (cl_msrp.c), fed in
 * pieces whose size the first input byte picks. Whatever arrives, the session must stay
 * memory-safe, every byte it writes back must parse as MSRP, and no message it delivers may
 * exceed its max-size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/cl_msrp.h"
#include "msrp/msrp.h"

#define FZ_LOCAL  "msrp://10.0.0.1:40000/locSESSION01;tcp"
#define FZ_REMOTE "msrp://10.0.0.2:2855/remSESSION02;tcp"
#define FZ_MAX    4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_out {
	struct msrp_parser p;
	uint8_t hdr[MSRP_DEFAULT_MAX_HEADER_BYTES];
	/* The parser's zero-copy contract: what it was fed stays until a frame boundary. */
	uint8_t *held[64];
	unsigned int n_held;
};

static void
fz_release(struct fz_out *o)
{
	for (unsigned int i = 0; i < o->n_held; i++)
		free(o->held[i]);
	o->n_held = 0;
}

static int
fz_tx(void *ctx, const uint8_t *p, size_t len)
{
	struct fz_out *o = ctx;
	uint8_t *copy = malloc(len);
	size_t off = 0;

	if (copy == NULL || o->n_held == 64) {
		free(copy);
		return -1;
	}
	memcpy(copy, p, len);
	o->held[o->n_held++] = copy;
	/* A frame may span writes (head, body, end-line): feed and check what completes. */
	while (off < len) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc = msrp_parser_feed(&o->p, copy + off, len - off, &used, &f);

		if (rc != MSRP_OK && rc != MSRP_AGAIN)
			abort(); /* the client wrote invalid MSRP */
		off += used;
	}
	if (msrp_parser_idle(&o->p))
		fz_release(o);
	return 0;
}

static size_t
fz_pending(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
fz_event(void *ctx, const struct cl_msrp_ev *ev)
{
	(void)ctx;
	if (ev->type == CL_MSRP_EV_MESSAGE && ev->msg->content.len > FZ_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cl_msrp_ops ops = {
	        .tx = fz_tx, .tx_pending = fz_pending, .event = fz_event};
	struct cl_msrp_cfg cfg = {
	        .local_uri = FZ_LOCAL,
	        .remote_path = FZ_REMOTE,
	        .from_uri = "sip:alice@example.com",
	        .conf_uri = "sip:c1@10.0.0.1",
	        .chunk_size = 64,
	        .max_size = FZ_MAX,
	        .txn_timeout_ms = 1000,
	};
	struct fz_out *o = calloc(1, sizeof(*o));
	struct cl_msrp *m;
	size_t piece;

	if (o == NULL || size == 0) {
		free(o);
		return 0;
	}
	msrp_parser_init(&o->p, NULL, o->hdr, sizeof(o->hdr));
	m = cl_msrp_create(&cfg, &ops, o);
	if (m == NULL) {
		free(o);
		return 0;
	}
	piece = (size_t)data[0] + 1;
	data++;
	size--;
	/* Something of ours in flight, so responses and REPORTs have a message to match. */
	cl_msrp_send(m, "text/plain", (const uint8_t *)"0123456789", 10,
	             &(struct cl_send_opts){.final_report = true}, NULL, 0);
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (cl_msrp_rx(m, data + off, n, off) != 0)
			break;
		cl_msrp_tick(m, off);
	}
	cl_msrp_tick(m, 1u << 30); /* every transaction and partial message times out */
	cl_msrp_destroy(m);
	fz_release(o);
	free(o);
	return 0;
}
