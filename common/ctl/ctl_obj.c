/* SPDX-License-Identifier: BSD-3-Clause */
/* Ownership registry: fixed-capacity hash table with linear probing and backward-shift delete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_obj.h"

/* FNV-1a: keys are short control-plane strings; no adversary controls the table size. */
static uint32_t
ctl_obj_hash(uint16_t kind, const void *key, uint16_t key_len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u ^ kind;
	uint16_t i;

	for (i = 0; i < key_len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int
ctl_obj_table_init(struct ctl_obj_table *t, uint32_t cap)
{
	uint32_t isz = 2;
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > (1u << 24))
		return -EINVAL;
	while (isz < 2 * cap) /* load factor <= 0.5 keeps probe chains short */
		isz <<= 1;
	t->objs = calloc(cap, sizeof(*t->objs));
	t->index = calloc(isz, sizeof(*t->index));
	t->free_list = calloc(cap, sizeof(*t->free_list));
	if (t->objs == NULL || t->index == NULL || t->free_list == NULL) {
		ctl_obj_table_fini(t);
		return -ENOMEM;
	}
	t->cap = cap;
	t->index_mask = isz - 1;
	/* Lowest indexes first, so listing order follows creation order while nothing is freed. */
	for (i = 0; i < cap; i++)
		t->free_list[i] = cap - 1 - i;
	t->n_free = cap;
	return 0;
}

void
ctl_obj_table_fini(struct ctl_obj_table *t)
{
	free(t->objs);
	free(t->index);
	free(t->free_list);
	memset(t, 0, sizeof(*t));
}

static bool
ctl_obj_match(const struct ctl_obj *o, uint16_t kind, const void *key, uint16_t key_len)
{
	return o->kind == kind && o->key_len == key_len && memcmp(o->key, key, key_len) == 0;
}

struct ctl_obj *
ctl_obj_lookup(struct ctl_obj_table *t, uint16_t kind, const void *key, uint16_t key_len)
{
	uint32_t b = ctl_obj_hash(kind, key, key_len) & t->index_mask;

	while (t->index[b] != 0) {
		struct ctl_obj *o = &t->objs[t->index[b] - 1];

		if (ctl_obj_match(o, kind, key, key_len))
			return o;
		b = (b + 1) & t->index_mask;
	}
	return NULL;
}

struct ctl_obj *
ctl_obj_insert(struct ctl_obj_table *t, uint16_t kind, const void *key, uint16_t key_len)
{
	uint32_t b = ctl_obj_hash(kind, key, key_len) & t->index_mask;
	struct ctl_obj *o;
	uint32_t i;

	if (t->n_free == 0 || key_len > MSW_CTL_OBJ_KEY_MAX)
		return NULL;
	i = t->free_list[--t->n_free];
	o = &t->objs[i];
	memset(o, 0, sizeof(*o));
	o->used = true;
	o->kind = kind;
	o->key_len = key_len;
	memcpy(o->key, key, key_len);
	o->owner_slot = CTL_OBJ_NO_SLOT;
	while (t->index[b] != 0)
		b = (b + 1) & t->index_mask;
	t->index[b] = i + 1;
	t->count++;
	return o;
}

void
ctl_obj_remove(struct ctl_obj_table *t, struct ctl_obj *o)
{
	uint32_t idx = (uint32_t)(o - t->objs);
	uint32_t b = ctl_obj_hash(o->kind, o->key, o->key_len) & t->index_mask;
	uint32_t j;

	while (t->index[b] != idx + 1)
		b = (b + 1) & t->index_mask;
	/*
	 * Backward-shift deletion (Knuth 6.4 algorithm R): move later members of the probe chain
	 * into the hole when their home bucket does not lie cyclically in (hole, their bucket].
	 */
	j = b;
	for (;;) {
		uint32_t home;
		struct ctl_obj *m;

		t->index[b] = 0;
		for (;;) {
			j = (j + 1) & t->index_mask;
			if (t->index[j] == 0)
				goto done;
			m = &t->objs[t->index[j] - 1];
			home = ctl_obj_hash(m->kind, m->key, m->key_len) & t->index_mask;
			if (((j - home) & t->index_mask) >= ((j - b) & t->index_mask))
				break;
		}
		t->index[b] = t->index[j];
		b = j;
	}
done:
	o->used = false;
	t->free_list[t->n_free++] = idx;
	t->count--;
}
