/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the data plane's side of the control channel: command records written straight
 * into a slot's command ring, bypassing the client library, as a buggy or hostile client
 * could (docs/ctl-abi.md). The server must answer or drop every record with a status and
 * never crash, read outside the region, or trust a blob reference it did not validate.
 *
 * Input: a sequence of 256-byte records (the last one zero-padded). The low bit of each
 * record's first reserved byte chooses whether the fuzzer stamps the current generation
 * into the header, so records also get past the generation check into the handlers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_server.h"
#include "msw/msw_ctl_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_server *fz_srv;
static struct ctl_client *fz_cli;

/* A conference-module handler that exercises what real handlers do with untrusted input:
 * read the payload, resolve a blob reference from it, add or delete a registry entry. */
static int
fz_handler(struct ctl_server_req *req, void *arg)
{
	const struct msw_ctl_hdr *h = ctl_server_req_hdr(req);
	struct msw_ctl_blob_ref ref;
	const void *blob;
	uint32_t len;
	const uint8_t *pl = ctl_server_req_payload(req, &len);
	uint16_t klen = len > 64 ? 64 : (uint16_t)len;
	int rc = 0;

	(void)arg;
	if (len >= sizeof(ref)) {
		memcpy(&ref, pl, sizeof(ref));
		rc = ctl_server_req_blob(req, &ref, &blob);
		if (rc > 0 && ((const uint8_t *)blob)[rc - 1] == 0xff)
			rc = 0; /* touch the last byte: ASan checks the bounds */
	}
	if (klen > 0) {
		if (h->type == MSW_CTL_CONF_DEL || h->type == MSW_CTL_LEG_DEL)
			rc = ctl_server_obj_del(ctl_server_req_server(req), h->type, pl, klen);
		else
			rc = ctl_server_obj_add(req, h->type, pl, klen, len);
	}
	return rc < 0 ? rc : 0;
}

static void
fz_init(void)
{
	static const uint16_t types[] = {MSW_CTL_CONF_CREATE, MSW_CTL_CONF_DEL, MSW_CTL_CONF_LIST,
	                                 MSW_CTL_LEG_ADD,     MSW_CTL_LEG_SET,  MSW_CTL_LEG_DEL,
	                                 MSW_CTL_LEG_LIST};
	struct ctl_server_params p;
	char inst[32];

	snprintf(inst, sizeof(inst), "fuzz-ctl-%d", (int)getpid());
	ctl_server_params_default(&p);
	p.instance = inst;
	p.n_slots = 8;
	p.ring_cap = 64;
	fz_srv = ctl_server_create(&p);
	if (fz_srv == NULL)
		abort();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		ctl_server_register(fz_srv, types[i], fz_handler, NULL);
}

static struct msw_ctl_slot *
fz_slot(void)
{
	struct msw_ctl_region_hdr *r = ctl_client_region(fz_cli);

	return (struct msw_ctl_slot *)((uint8_t *)r + r->off_slots +
	                               (uint64_t)ctl_client_slot(fz_cli) * r->slot_stride);
}

static void
fz_fini(void)
{
	ctl_client_detach(fz_cli);
	ctl_server_destroy(fz_srv, true);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_msg m;

	if (fz_srv == NULL) {
		fz_init();
		atexit(fz_fini);
	}
	if (fz_cli == NULL) {
		fz_cli = ctl_client_attach(ctl_server_region(fz_srv)->instance, "fuzzer");
		if (fz_cli == NULL)
			return 0;
		ctl_server_poll(fz_srv, 1); /* let the server see the claim */
	}

	struct msw_ctl_slot *slot = fz_slot();
	uint64_t gen = ctl_server_generation(fz_srv);

	for (size_t off = 0; off < size; off += MSW_CTL_REC_SIZE) {
		uint8_t rec[MSW_CTL_REC_SIZE] = {0};
		size_t n = size - off < sizeof(rec) ? size - off : sizeof(rec);
		struct msw_ctl_hdr h;

		memcpy(rec, data + off, n);
		memcpy(&h, rec, sizeof(h));
		if (h.hdr_rsv & 1) {
			h.gen = gen;
			h.hdr_rsv = 0;
			memcpy(rec, &h, sizeof(h));
		}
		if (msw_ctl_ring_enqueue_burst(&slot->cmd, rec, 1) != 1)
			break;
	}
	ctl_server_poll(fz_srv, 64);
	/* Drain replies; a slot the server reclaimed as corrupt is claimed again next input. */
	for (;;) {
		int rc = ctl_client_recv(fz_cli, &m, 0);

		if (rc == 0)
			continue;
		if (rc != -ETIMEDOUT) {
			ctl_client_detach(fz_cli);
			fz_cli = NULL;
			ctl_server_poll(fz_srv, 1);
		}
		break;
	}
	return 0;
}
