/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ownership registry: object (kind, key) -> owning slot and owning client identity. Kept by the
 * ctl server so that resync works for every object kind without knowing what the object is.
 *
 * Thread-safety: owned by the thread that runs ctl_server_poll() (the data plane's control
 * lcore); no internal locking. Memory is allocated once at creation (fixed capacity).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "msw/msw_ctl_abi.h"

#define CTL_OBJ_NO_SLOT UINT16_MAX

struct ctl_obj {
	uint16_t kind;
	uint16_t key_len;
	uint16_t owner_slot; /* CTL_OBJ_NO_SLOT when orphaned */
	bool used;
	bool confirmed; /* replayed (or created) during the owner's current resync */
	char owner[MSW_CTL_CLIENT_NAME];
	char key[MSW_CTL_OBJ_KEY_MAX];
	uint64_t user; /* the engine's handle for the object */
};

struct ctl_obj_table {
	struct ctl_obj *objs; /* cap entries; cursor order for listing */
	uint32_t *index;      /* open addressing: objs index + 1, 0 = empty */
	uint32_t *free_list;
	uint32_t cap;
	uint32_t index_mask;
	uint32_t n_free;
	uint32_t count;
};

/* Returns 0 or -ENOMEM. cap >= 1. */
int ctl_obj_table_init(struct ctl_obj_table *t, uint32_t cap);
void ctl_obj_table_fini(struct ctl_obj_table *t);

struct ctl_obj *ctl_obj_lookup(struct ctl_obj_table *t, uint16_t kind, const void *key,
                               uint16_t key_len);

/* Inserts a new entry (caller checked it is absent). NULL when the table is full. */
struct ctl_obj *ctl_obj_insert(struct ctl_obj_table *t, uint16_t kind, const void *key,
                               uint16_t key_len);

void ctl_obj_remove(struct ctl_obj_table *t, struct ctl_obj *o);
