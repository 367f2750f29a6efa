/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ownership registry (common/ctl/ctl_obj.c): the hash table behind resync. Randomised
 * insert/lookup/remove against a plain array model, so backward-shift deletion is exercised
 * with long probe chains; capacity limits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_obj.h"

#define MODEL_KEYS 96u /* more keys than capacity: inserts also hit "full" */
#define TABLE_CAP  64u

struct model {
	bool present[MODEL_KEYS];
	uint32_t count;
};

static uint16_t
key_of(uint32_t i, char *buf)
{
	/* Kind alternates, so equal key bytes of different kinds must stay distinct objects. */
	return (uint16_t)snprintf(buf, 32, "conf-%u", i / 2);
}

static uint16_t
kind_of(uint32_t i)
{
	return (uint16_t)(i % 2 ? MSW_CTL_OBJ_LEG : MSW_CTL_OBJ_CONF);
}

Test(ctl_obj, random_ops_match_a_model)
{
	struct ctl_obj_table t;
	struct model m = {0};
	uint32_t seed = 12345, op;

	cr_assert_eq(ctl_obj_table_init(&t, TABLE_CAP), 0);
	for (op = 0; op < 200000; op++) {
		char key[32];
		uint32_t i, k;
		uint16_t len;
		struct ctl_obj *o;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % MODEL_KEYS;
		len = key_of(i, key);
		o = ctl_obj_lookup(&t, kind_of(i), key, len);
		cr_assert_eq(o != NULL, m.present[i], "op %u key %u: lookup agrees with the model",
		             op, i);
		if (o != NULL) {
			cr_assert_eq(o->user, i);
			ctl_obj_remove(&t, o);
			m.present[i] = false;
			m.count--;
		} else {
			o = ctl_obj_insert(&t, kind_of(i), key, len);
			if (m.count == TABLE_CAP) {
				cr_assert_null(o, "full table refuses");
				continue;
			}
			cr_assert_not_null(o);
			o->user = i;
			m.present[i] = true;
			m.count++;
		}
		cr_assert_eq(t.count, m.count);
		if (op % 997 == 0) /* full cross-check now and then */
			for (k = 0; k < MODEL_KEYS; k++) {
				len = key_of(k, key);
				cr_assert_eq(ctl_obj_lookup(&t, kind_of(k), key, len) != NULL,
				             m.present[k], "key %u after op %u", k, op);
			}
	}
	ctl_obj_table_fini(&t);
}

Test(ctl_obj, limits)
{
	struct ctl_obj_table t;
	char key[MSW_CTL_OBJ_KEY_MAX + 1];

	cr_assert_eq(ctl_obj_table_init(&t, 0), -EINVAL);
	cr_assert_eq(ctl_obj_table_init(&t, 2), 0);
	memset(key, 'k', sizeof(key));
	cr_assert_null(ctl_obj_insert(&t, MSW_CTL_OBJ_CONF, key, MSW_CTL_OBJ_KEY_MAX + 1));
	cr_assert_not_null(ctl_obj_insert(&t, MSW_CTL_OBJ_CONF, key, MSW_CTL_OBJ_KEY_MAX));
	cr_assert_not_null(ctl_obj_lookup(&t, MSW_CTL_OBJ_CONF, key, MSW_CTL_OBJ_KEY_MAX));
	cr_assert_null(ctl_obj_lookup(&t, MSW_CTL_OBJ_CONF, key, MSW_CTL_OBJ_KEY_MAX - 1),
	               "length is part of the key");
	cr_assert_null(ctl_obj_lookup(&t, MSW_CTL_OBJ_LEG, key, MSW_CTL_OBJ_KEY_MAX),
	               "kind is part of the key");
	ctl_obj_table_fini(&t);
}
