/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conference and leg tables: control commands and their errors, session-ids, and lock-free
 * readers (QSBR) looking legs and member arrays up while the control thread adds and deletes
 * (run under ASan, a use-after-free of a node or a member array fails the test).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "switch/sw_pvt.h"
#include "test_sw_wire.h"

static struct tw w;

Test(sw_table, conf_errors)
{
	struct msw_ctl_conf_create cc;

	tw_init(&w);
	tw_conf(&w, "c1", MSW_CTL_CPIM_OFF, 0);
	memset(&cc, 0, sizeof(cc));
	memcpy(cc.conf.id, "c1", 2);
	cc.conf.len = 2;
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), -EEXIST);
	memcpy(cc.conf.id, "c 2", 3);
	cc.conf.len = 3;
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), -EINVAL);
	memcpy(cc.conf.id, "c2", 2);
	cc.conf.len = 2;
	cc.cpim_policy = 7;
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), -EINVAL);
	cc.cpim_policy = 0;
	cc.max_legs = 1000; /* above max_conf_legs */
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), -EINVAL);
	cr_assert_eq(sw_conf_del(w.e, &cc.conf, 0), -ENOENT);
	tw_fini(&w);
}

Test(sw_table, leg_errors_and_session_ids)
{
	struct sw_leg_params lp;
	char uri[128], uri2[128];
	struct msw_ctl_leg_key key, key2;
	struct msw_ctl_conf_create cc;

	tw_init(&w);
	memset(&cc, 0, sizeof(cc));
	memcpy(cc.conf.id, "c1", 2);
	cc.conf.len = 2;
	cc.max_legs = 2;
	cr_assert_eq(sw_conf_create(w.e, &cc, NULL), 0);
	memset(&lp, 0, sizeof(lp));
	lp.conf = cc.conf;
	lp.path = (struct msrp_span){(const uint8_t *)"http://x/y", 10};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri, sizeof(uri), &key), -EINVAL);
	lp.path = (struct msrp_span){(const uint8_t *)"msrp://a.example:1/s1;tcp", 25};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri, 10, &key), -ENOBUFS);
	cr_assert_eq(sw_leg_add(w.e, &lp, uri, sizeof(uri), &key), 0);
	cr_assert_eq(sw_leg_add(w.e, &lp, uri2, sizeof(uri2), &key2), 0);
	cr_assert_eq(sw_leg_add(w.e, &lp, uri2, sizeof(uri2), NULL), -ENOSPC);
	/* msrp://host:port/<20-char session-id>;tcp, >= 80 random bits, distinct. */
	cr_assert_eq(strlen(uri), strlen("msrp://sw.example:2855/;tcp") + 20);
	cr_assert(strncmp(uri, "msrp://sw.example:2855/", 23) == 0);
	cr_assert_eq(key.session_id_len, 20);
	cr_assert(msrp_ident_valid((const uint8_t *)key.session_id, 20));
	cr_assert(memcmp(key.session_id, key2.session_id, 20) != 0);
	struct msrp_uri u;

	cr_assert_eq(msrp_uri_parse((const uint8_t *)uri, strlen(uri), &u), 0);
	lp.conf.id[0] = 'x';
	cr_assert_eq(sw_leg_add(w.e, &lp, uri2, sizeof(uri2), NULL), -ENOENT);
	/* A key with the right session-id but another conference is not that leg. */
	key2.conf.id[0] = 'x';
	cr_assert_eq(sw_leg_del(w.e, &key2, 0), -ENOENT);
	cr_assert_eq(sw_leg_del(w.e, &key, 0), 0);
	cr_assert_eq(sw_leg_del(w.e, &key, 0), -ENOENT);
	tw_fini(&w);
}

/* ---- concurrent readers ---- */

#define R_LEGS 32

static struct msw_ctl_leg_key r_keys[R_LEGS];
/* Guards the test's key list only; the engine lookups below take no lock. */
static pthread_mutex_t r_keys_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool r_stop;
static atomic_ulong r_found;
static atomic_ulong r_rounds;

static void *
reader(void *arg)
{
	struct sw_engine *e = arg;
	unsigned long found = 0;

	urcu_qsbr_register_thread();
	while (!atomic_load(&r_stop)) {
		for (unsigned int i = 0; i < R_LEGS; i++) {
			struct msw_ctl_leg_key k;

			pthread_mutex_lock(&r_keys_lock);
			k = r_keys[i];
			pthread_mutex_unlock(&r_keys_lock);
			struct sw_leg *l =
			        sw_leg_lookup_sid(e, (const uint8_t *)k.session_id,
			                          k.session_id_len < 48 ? k.session_id_len : 0);

			if (l == NULL)
				continue;
			/* Every pointer reached from the table stays valid until we are quiescent.
			 */
			struct sw_members *m = rcu_dereference(l->conf->members);

			for (uint32_t j = 0; m != NULL && j < m->n; j++)
				found += sw_leg_addr(m->leg[j])->path_len > 0;
		}
		urcu_qsbr_quiescent_state();
		atomic_fetch_add(&r_rounds, 1);
		atomic_store(&r_found, found);
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

Test(sw_table, lock_free_readers_during_membership_churn, .timeout = 60)
{
	struct sw_params p;
	pthread_t th;
	char uri[128];
	unsigned long n_ok = 0;

	tw_default_params(&p);
	p.max_legs = 4 * R_LEGS;
	p.max_conf_legs = R_LEGS + 1;
	tw_init_params(&w, &p);
	tw_conf(&w, "churn", MSW_CTL_CPIM_OFF, 0);
	cr_assert_eq(pthread_create(&th, NULL, reader, w.e), 0);
	/*
	 * At least 300 rounds, until the reader has overlapped 200 of its own, and until slots
	 * have gone round the free list (grace periods completed) several times.
	 */
	for (unsigned int round = 0;
	     round < 300 || atomic_load(&r_rounds) < 200 || n_ok < 4 * p.max_legs; round++) {
		for (unsigned int i = 0; i < R_LEGS; i++) {
			struct sw_leg_params lp;
			struct msw_ctl_leg_key k;

			if (r_keys[i].session_id_len != 0 && (round + i) % 3 == 0) {
				cr_assert_eq(sw_leg_del(w.e, &r_keys[i], 0), 0);
				pthread_mutex_lock(&r_keys_lock);
				memset(&r_keys[i], 0, sizeof(r_keys[i]));
				pthread_mutex_unlock(&r_keys_lock);
			}
			if (r_keys[i].session_id_len == 0) {
				memset(&lp, 0, sizeof(lp));
				memcpy(lp.conf.id, "churn", 5);
				lp.conf.len = 5;
				lp.path = (struct msrp_span){
				        (const uint8_t *)"msrp://a.example:1/s;tcp", 24};
				int rc = sw_leg_add(w.e, &lp, uri, sizeof(uri), &k);

				/* Slots come back only after a grace period: -ENOSPC is legal. */
				cr_assert(rc == 0 || rc == -ENOSPC, "rc %d", rc);
				if (rc == 0)
					n_ok++;
				else
					sched_yield(); /* let call_rcu run */
				if (rc == 0) {
					pthread_mutex_lock(&r_keys_lock);
					r_keys[i] = k;
					pthread_mutex_unlock(&r_keys_lock);
				}
			}
		}
		urcu_qsbr_quiescent_state();
	}
	atomic_store(&r_stop, true);
	pthread_join(th, NULL);
	cr_assert_gt(atomic_load(&r_found), 0, "reader rounds %lu", atomic_load(&r_rounds));
	tw_fini(&w);
}
