/* SPDX-License-Identifier: BSD-3-Clause */
/* Types shared by the ctl server and client libraries (common/ctl). */
#pragma once

#include <stdint.h>

#include "msw/msw_ctl_abi.h"

/*
 * One blob to send with a record: data/len are copied into the sender's blob area at post
 * time and a struct msw_ctl_blob_ref is written at byte offset ref_off of the payload.
 * Thread-safety: caller-owned, read only during the call.
 */
struct ctl_blob_src {
	const void *data;
	uint32_t len;
	uint16_t cls;     /* enum msw_ctl_blob_class (dp->client only; ignored client->dp) */
	uint16_t ref_off; /* offset of the struct msw_ctl_blob_ref in the payload */
};

/* A received record (copied out of the ring). Its blobs stay valid until the next receive. */
struct ctl_msg {
	struct msw_ctl_rec rec;
};

/* Returns the name of a message type ("LEG_ADD"), or NULL if unknown. */
const char *ctl_type_name(uint16_t type);

/* Returns the name of a counter ("evt_drop_ring_full"), or NULL if out of range. */
const char *ctl_cnt_name(unsigned int id);

/*
 * Resolves the instance name: explicit if non-NULL, else $MSW_INSTANCE, else "default".
 * Writes "/msw.<instance>" into shm_name (cap >= 40). Returns 0 or -EINVAL if the name is
 * not 1..31 of [A-Za-z0-9._-].
 */
int ctl_shm_name(const char *instance, char *shm_name, size_t cap);
