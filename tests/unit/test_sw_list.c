/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Listings (CONF_LIST / LEG_LIST), leg state (waiting -> bound -> closed), sw_leg_get, a
 * requested session-id (the replay of a leg into a restarted data plane) and the connect
 * address given at LEG_ADD.
 */
#include "switch/sw_pvt.h"
#include "test_sw_wire.h"

static struct tw w;

struct seen {
	struct sw_leg_info li[8];
	struct sw_conf_info ci[8];
	char text[8][3][128];
	int n;
};

static int
see_conf(void *arg, const struct sw_conf_info *ci)
{
	struct seen *s = arg;

	s->ci[s->n++] = *ci;
	return 0;
}

static int
see_leg(void *arg, const struct sw_leg_info *li)
{
	struct seen *s = arg;

	s->li[s->n] = *li;
	/* The views are only valid during the call: copy what the test reads later. */
	snprintf(s->text[s->n][0], 128, "%.*s", (int)li->path.len, (const char *)li->path.p);
	snprintf(s->text[s->n][1], 128, "%.*s", (int)li->identity.len,
	         (const char *)li->identity.p);
	snprintf(s->text[s->n][2], 128, "%.*s", (int)li->accept_types.len,
	         (const char *)li->accept_types.p);
	s->n++;
	return 0;
}

static int
stop_first(void *arg, const struct sw_conf_info *ci)
{
	(void)ci;
	(*(int *)arg)++;
	return 1;
}

Test(sw_list, conferences_and_leg_states)
{
	struct tw_leg a, b;
	struct seen s = {0};
	struct msw_ctl_conf_id id = {.id = "room", .len = 4};
	struct sw_leg_info li;
	int stopped = 0;

	tw_init(&w);
	tw_conf(&w, "room", MSW_CTL_CPIM_OFF, 0);
	tw_conf(&w, "other", MSW_CTL_CPIM_WRAP, 4096);
	tw_leg_add(&w, "room", "alice", &a,
	           &(struct tw_leg_opts){.accept = "text/plain message/cpim"});
	tw_leg_add(&w, "room", "bob", &b, NULL);
	cr_assert_eq(sw_conf_foreach(w.e, see_conf, &s), 2);
	cr_assert_eq(s.n, 2);
	for (int i = 0; i < 2; i++) {
		if (s.ci[i].id.len == 4) {
			cr_assert_eq(s.ci[i].n_legs, 2);
			cr_assert_eq(s.ci[i].cpim_policy, MSW_CTL_CPIM_OFF);
		} else {
			cr_assert_eq(s.ci[i].n_legs, 0);
			cr_assert_eq(s.ci[i].max_size, 4096);
		}
	}
	uint64_t nc, nl;

	sw_engine_objects(w.e, &nc, &nl);
	cr_assert_eq(nc, 2);
	cr_assert_eq(nl, 2);
	cr_assert_eq(sw_conf_foreach(w.e, stop_first, &stopped), 1);
	cr_assert_eq(stopped, 1);

	memset(&s, 0, sizeof(s));
	cr_assert_eq(sw_leg_foreach(w.e, &id, see_leg, &s), 2);
	cr_assert_eq(s.li[0].state, MSW_CTL_LEG_WAITING);
	cr_assert_eq(s.li[0].lcore, UINT32_MAX);
	cr_assert_str_eq(s.text[0][0], a.path);
	cr_assert_str_eq(s.text[0][1], "sip:alice@example.com");
	cr_assert_str_eq(s.text[0][2], "text/plain message/cpim");
	cr_assert_str_eq(s.text[1][2], "*");
	cr_assert(memcmp(s.li[1].key.session_id, b.key.session_id, 20) == 0);

	tw_bind(&w, &a);
	cr_assert_eq(sw_leg_get(w.e, &a.key, &li), 0);
	cr_assert_eq(li.state, MSW_CTL_LEG_BOUND);
	cr_assert_eq(li.lcore, 0);
	cr_assert_eq(li.local_uri.len, strlen(a.uri));
	cr_assert(memcmp(li.local_uri.p, a.uri, li.local_uri.len) == 0);
	sw_conn_closed(w.lc, w.c[a.tc].eng, w.now_us);
	w.c[a.tc].open = false;
	tw_settle(&w);
	cr_assert_eq(sw_leg_get(w.e, &a.key, &li), 0);
	cr_assert_eq(li.state, MSW_CTL_LEG_CLOSED);
	cr_assert_eq(li.lcore, UINT32_MAX);

	/* The key names the conference too. */
	struct msw_ctl_leg_key k = a.key;

	k.conf.id[0] = 'x';
	cr_assert_eq(sw_leg_get(w.e, &k, &li), -ENOENT);
	struct msw_ctl_conf_id none = {.id = "nope", .len = 4};

	cr_assert_eq(sw_leg_foreach(w.e, &none, see_leg, &s), -ENOENT);
	cr_assert_eq(sw_conf_del(w.e, &id, w.now_us), 0);
	sw_engine_objects(w.e, &nc, &nl);
	cr_assert_eq(nc, 1);
	cr_assert_eq(nl, 0);
	tw_fini(&w);
}

static int
add_with(const char *sid, const char *connect, bool active, struct msw_ctl_leg_key *key)
{
	struct sw_leg_params lp;
	char uri[128];

	memset(&lp, 0, sizeof(lp));
	lp.conf = (struct msw_ctl_conf_id){.id = "room", .len = 4};
	lp.path = (struct msrp_span){(const uint8_t *)"msrp://p.example:7000/sp;tcp", 28};
	lp.identity = (struct msrp_span){(const uint8_t *)"sip:p@example.com", 17};
	lp.accept_types = (struct msrp_span){(const uint8_t *)"*", 1};
	lp.session_id = (struct msrp_span){(const uint8_t *)sid, sid != NULL ? strlen(sid) : 0};
	if (connect != NULL)
		lp.connect = (struct msrp_span){(const uint8_t *)connect, strlen(connect)};
	lp.active = active;
	return sw_leg_add(w.e, &lp, uri, sizeof(uri), key);
}

Test(sw_list, requested_session_id_and_connect)
{
	struct msw_ctl_leg_key key;
	struct sw_leg_info li;

	tw_init(&w);
	tw_conf(&w, "room", MSW_CTL_CPIM_OFF, 0);
	/* A replayed session-id is kept (the participants' SDP names it). */
	cr_assert_eq(add_with("Ab3-x.yZ0123456789qw", NULL, false, &key), 0);
	cr_assert(memcmp(key.session_id, "Ab3-x.yZ0123456789qw", 20) == 0);
	cr_assert_eq(sw_leg_get(w.e, &key, &li), 0);
	cr_assert(li.local_uri.len > 20);
	cr_assert(memcmp(li.local_uri.p + li.local_uri.len - 24, "Ab3-x.yZ0123456789qw;tcp", 24) ==
	          0);
	/* Twice: exists. Wrong length, non-ident chars, non-ALPHANUM first: invalid. */
	cr_assert_eq(add_with("Ab3-x.yZ0123456789qw", NULL, false, NULL), -EEXIST);
	cr_assert_eq(add_with("short", NULL, false, NULL), -EINVAL);
	cr_assert_eq(add_with("Ab3-x.yZ0123456789q/", NULL, false, NULL), -EINVAL);
	cr_assert_eq(add_with("-b3-x.yZ0123456789qw", NULL, false, NULL), -EINVAL);
	/* Connect address at LEG_ADD (RFC 6714 CEMA): kept, validated. */
	cr_assert_eq(add_with(NULL, "192.0.2.7:2855", true, &key), 0);
	cr_assert_eq(sw_leg_get(w.e, &key, &li), 0);
	cr_assert_eq(li.connect.len, 14);
	cr_assert(memcmp(li.connect.p, "192.0.2.7:2855", 14) == 0);
	cr_assert(li.active);
	cr_assert_eq(add_with(NULL, "no port", true, NULL), -EINVAL);
	tw_fini(&w);
}
