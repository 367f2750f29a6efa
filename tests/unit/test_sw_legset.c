/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LEG_SET: a leg's remote path and connect address change after LEG_ADD. Dial-out (the path
 * is known only after the SDP answer): an active leg added without a path does not dial,
 * then connects and binds once LEG_SET gives it one (RFC 4975 §5.4 bodiless SEND), through
 * the connect address when one is set. Copies sent after a LEG_SET carry the new To-Path;
 * a rejected LEG_SET changes nothing.
 */
#include "test_sw_wire.h"

static struct tw w;
static struct tw_leg alice, bob;

/* An active leg whose path is not known yet (dial-out before the SDP answer). */
static void
add_pathless_active(const char *conf, const char *name, struct tw_leg *l)
{
	struct sw_leg_params lp;
	char ident[64];

	memset(&lp, 0, sizeof(lp));
	lp.conf.len = (uint8_t)strlen(conf);
	memcpy(lp.conf.id, conf, lp.conf.len);
	snprintf(ident, sizeof(ident), "sip:%s@example.com", name);
	lp.identity = (struct msrp_span){(const uint8_t *)ident, (uint32_t)strlen(ident)};
	lp.alias = (struct msrp_span){(const uint8_t *)name, (uint32_t)strlen(name)};
	lp.accept_types = (struct msrp_span){(const uint8_t *)"*", 1};
	lp.active = true;
	cr_assert_eq(sw_leg_add(w.e, &lp, l->uri, sizeof(l->uri), &l->key), 0);
	l->path[0] = '\0';
	tw_settle(&w);
}

static int
leg_set(struct tw_leg *l, uint32_t what, const char *path, const char *connect)
{
	struct sw_leg_set_params sp = {
	        .what = what,
	        .path = {(const uint8_t *)path, path != NULL ? (uint32_t)strlen(path) : 0},
	        .connect = {(const uint8_t *)connect,
	                    connect != NULL ? (uint32_t)strlen(connect) : 0},
	};
	int rc = sw_leg_set(w.e, &l->key, &sp);

	if (rc == 0 && path != NULL)
		snprintf(l->path, sizeof(l->path), "%s", path);
	tw_settle(&w);
	return rc;
}

/* Alice sends a message; returns the copy bob got (exactly one frame) in fs. */
static void
alice_to_bob(const char *tid, struct tw_frames *fs)
{
	struct tw_frames fa;

	tw_send_msg(&w, &alice, tid, tid, "", "hello");
	tw_take(&w, alice.tc, &fa);
	tw_frames_free(&fa);
	tw_take(&w, bob.tc, fs);
	cr_assert_eq(fs->n, 1);
	cr_assert_eq(fs->f[0]->f.method, MSRP_METHOD_SEND);
}

/* Bob's leg is active and dials once its connection is known; returns bob's connection. */
static unsigned int
expect_dial(const char *dialled)
{
	struct tw_frames fs;
	unsigned int tc = TW_CONNS;

	for (unsigned int i = 0; i < TW_CONNS; i++)
		if (w.c[i].open && strcmp(w.c[i].dialled, dialled) == 0)
			tc = i;
	cr_assert_lt(tc, TW_CONNS, "nobody dialled %s", dialled);
	/* The engine opened that connection: the transport learns its index (lcore 0 dials). */
	w.c[tc].lcore = 0;
	cr_assert_eq(sw_conn_lookup(w.lc, tc, &w.c[tc].eng), 0);
	tw_take(&w, tc, &fs);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0]->f.method, MSRP_METHOD_SEND);
	cr_assert_eq(fs.f[0]->f.has_body, false);
	cr_assert(tw_span_is(fs.f[0]->f.to_path, bob.path));
	cr_assert(tw_span_is(fs.f[0]->f.from_path, bob.uri));
	tw_respond(&w, tc, fs.f[0], 200);
	tw_frames_free(&fs);
	return tc;
}

Test(sw_legset, dial_out_active_leg_connects_after_path_is_set)
{
	struct tw_frames fb;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_bind(&w, &alice);
	add_pathless_active("c", "bob", &bob);
	/* No path, no dial; a message meanwhile does not reach bob (not bound). */
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 0);
	cr_assert_eq(w.ev.bound, 1);
	/* The SDP answer arrives: LEG_SET path, bob's lcore dials the first hop. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH,
	                     "msrp://relay.example:2855/r1;tcp msrp://bob.example:7000/sb;tcp",
	                     NULL),
	             0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	cr_assert_eq(w.ev.bound, 2);
	bob.tc = expect_dial("msrp://relay.example:2855/r1;tcp");
	cr_assert_eq(sw_lcore_tx_in_use(w.lc), 0);
	/* Fan-out reaches bob with the full new To-Path. */
	alice_to_bob("tida0001", &fb);
	cr_assert(tw_span_is(fb.f[0]->f.to_path, bob.path));
	cr_assert(tw_span_is(fb.f[0]->f.from_path, bob.uri));
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	/* A second LEG_SET on the now bound leg does not dial again. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://bob.example:7000/sb;tcp", NULL),
	             0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	tw_fini(&w);
}

/*
 * A dial-out offered a=setup:actpass and the answer said active (RFC 6135 §4): LEG_SET
 * PATH|PASSIVE leaves the leg waiting for the participant's connection instead of dialling.
 */
Test(sw_legset, answer_active_turns_the_leg_passive)
{
	struct tw_frames fb;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_bind(&w, &alice);
	add_pathless_active("c", "bob", &bob);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH | MSW_CTL_LEG_SET_PASSIVE,
	                     "msrp://bob.example:7000/sb;tcp", NULL),
	             0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 0);
	/* Bob connects and binds like any passive leg; copies reach him. */
	tw_bind(&w, &bob);
	alice_to_bob("tidp0001", &fb);
	cr_assert(tw_span_is(fb.f[0]->f.to_path, bob.path));
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	/* Already passive: a no-op; a leg that dialled already cannot turn passive. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PASSIVE, NULL, NULL), 0);
	tw_fini(&w);
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	add_pathless_active("c", "bob", &bob);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://bob.example:7000/sb;tcp", NULL),
	             0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PASSIVE, NULL, NULL), -EBUSY);
	tw_fini(&w);
}

Test(sw_legset, connect_address_overrides_first_hop)
{
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	add_pathless_active("c", "bob", &bob);
	/* Connect address first (no dial yet: still no path), then the path. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_CONNECT, NULL, "192.0.2.7:9000"), 0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 0);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://bob.example:7000/sb;tcp", NULL),
	             0);
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 1);
	/* Dialled the connect address; the SEND still carries the leg's path. */
	bob.tc = expect_dial("msrp://192.0.2.7:9000/c;tcp");
	cr_assert_eq(w.ev.bound, 1);
	tw_fini(&w);
}

Test(sw_legset, path_and_connect_in_one_command)
{
	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	add_pathless_active("c", "bob", &bob);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH | MSW_CTL_LEG_SET_CONNECT,
	                     "msrp://bob.example:7000/sb;tcp", "[2001:db8::1]:2855"),
	             0);
	bob.tc = expect_dial("msrp://[2001:db8::1]:2855/c;tcp");
	tw_fini(&w);
}

Test(sw_legset, new_path_used_by_later_copies)
{
	struct tw_frames fb;
	char old_path[128];

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	snprintf(old_path, sizeof(old_path), "%s", bob.path);
	/* A message in flight toward bob when his path changes (re-INVITE). */
	alice_to_bob("tida0001", &fb);
	cr_assert(tw_span_is(fb.f[0]->f.to_path, old_path));
	/* Several LEG_SETs in a row alternate the two slots; the last one wins. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://b1.example:1/x1;tcp", NULL), 0);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://b2.example:2/x2;tcp", NULL), 0);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH,
	                     "msrp://relay.example:2855/r1;tcp msrp://b3.example:3/x3;tcp", NULL),
	             0);
	/* The response to the copy sent before still completes it. */
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	alice_to_bob("tida0002", &fb);
	cr_assert(tw_span_is(fb.f[0]->f.to_path,
	                     "msrp://relay.example:2855/r1;tcp msrp://b3.example:3/x3;tcp"));
	cr_assert(tw_span_is(fb.f[0]->f.from_path, bob.uri));
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	/* A passive leg never dials because of a LEG_SET. */
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 0);
	cr_assert_eq(sw_lcore_msgs_in_use(w.lc), 0);
	tw_fini(&w);
}

Test(sw_legset, errors_leave_the_leg_unchanged)
{
	struct tw_frames fb;
	struct tw_leg ghost;
	struct sw_leg_params lp;
	char uri[128];
	struct msw_ctl_leg_key k;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	tw_conf(&w, "d", MSW_CTL_CPIM_OFF, 0);
	tw_leg_add(&w, "c", "alice", &alice, NULL);
	tw_leg_add(&w, "c", "bob", &bob, NULL);
	tw_bind(&w, &alice);
	tw_bind(&w, &bob);
	/* Unknown leg, or a known session-id in another conference. */
	ghost = bob;
	ghost.key.session_id[0] ^= 1;
	cr_assert_eq(leg_set(&ghost, MSW_CTL_LEG_SET_PATH, "msrp://x.example:1/x;tcp", NULL),
	             -ENOENT);
	ghost = bob;
	ghost.key.conf.id[0] = 'd';
	cr_assert_eq(leg_set(&ghost, MSW_CTL_LEG_SET_PATH, "msrp://x.example:1/x;tcp", NULL),
	             -ENOENT);
	/* Nothing to set, unknown bits, empty or invalid path, bad connect address. */
	cr_assert_eq(leg_set(&bob, 0, "msrp://x.example:1/x;tcp", NULL), -EINVAL);
	cr_assert_eq(leg_set(&bob, 0x8, "msrp://x.example:1/x;tcp", NULL), -EINVAL);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "", NULL), -EINVAL);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "http://x.example/x", NULL), -EINVAL);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, "msrp://x.example:1/x;tcp junk", NULL),
	             -EINVAL);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_CONNECT, NULL, "no-port.example"), -EINVAL);
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_CONNECT, NULL, "h.example:1/path"), -EINVAL);
	/* A path and a bad connect address in one command: neither is applied. */
	cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH | MSW_CTL_LEG_SET_CONNECT,
	                     "msrp://x.example:1/x;tcp", "bad"),
	             -EINVAL);
	{
		char longpath[1024];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		memcpy(longpath, "msrp://x.example:1/", 19);
		cr_assert_eq(leg_set(&bob, MSW_CTL_LEG_SET_PATH, longpath, NULL), -EINVAL);
	}
	alice_to_bob("tida0001", &fb);
	cr_assert(tw_span_is(fb.f[0]->f.to_path, bob.path));
	tw_respond(&w, bob.tc, fb.f[0], 200);
	tw_frames_free(&fb);
	/* Only an active leg may be added without a path. */
	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 1;
	lp.conf.id[0] = 'c';
	lp.accept_types = (struct msrp_span){(const uint8_t *)"*", 1};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri, sizeof(uri), &k), -EINVAL);
	tw_fini(&w);
}
