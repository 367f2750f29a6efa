/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection slots of an lcore: opening takes a free slot in O(1) (a free stack, not a scan:
 * a million idle connections are opened one by one), a full table refuses with -ENOSPC and
 * counts it, closing returns the slot; LEG_DEL finds the connection the leg was bound to and
 * ends it when it was the last session on it (RFC 4975 §5.4), also with many connections open.
 */
#include "switch/sw_pvt.h"
#include "test_sw_wire.h"

static struct tw w;

Test(sw_conns, full_table_refused_and_slots_reused)
{
	struct sw_params p;
	uint32_t ci[TW_CONNS], extra;

	tw_default_params(&p);
	p.max_conns = 8;
	tw_init_params(&w, &p);
	for (unsigned int i = 0; i < 8; i++) {
		cr_assert_eq(sw_conn_open(w.lc, i, &ci[i]), 0);
		w.c[i].open = true;
		for (unsigned int k = 0; k < i; k++)
			cr_assert_neq(ci[i], ci[k], "slot %u handed out twice", ci[i]);
		cr_assert_lt(ci[i], 8);
	}
	/* The lowest slots first, as before (listings show connections in that order). */
	cr_assert_eq(ci[0], 0);
	cr_assert_eq(ci[7], 7);
	cr_assert_eq(sw_conn_open(w.lc, 8, &extra), -ENOSPC);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_CONN_FULL), 1);
	/* Closing two slots makes exactly those two available again. */
	sw_conn_closed(w.lc, ci[3], w.now_us);
	sw_conn_closed(w.lc, ci[5], w.now_us);
	sw_conn_closed(w.lc, ci[5], w.now_us); /* twice: ignored, not pushed twice */
	cr_assert_eq(sw_conn_open(w.lc, 9, &extra), 0);
	cr_assert(extra == ci[3] || extra == ci[5]);
	cr_assert_eq(sw_conn_open(w.lc, 10, &ci[8]), 0);
	cr_assert(ci[8] == ci[3] || ci[8] == ci[5]);
	cr_assert_neq(ci[8], extra);
	cr_assert_eq(sw_conn_open(w.lc, 11, &extra), -ENOSPC);
	cr_assert_eq(tw_cnt(&w, SW_CNT_DROP_CONN_FULL), 2);
	tw_fini(&w);
}

/*
 * Legs bound on different connections, deleted in another order: each LEG_DEL closes the
 * connection of that leg only, and a connection carrying two sessions (RFC 4975 connection
 * reuse) closes with the last of them.
 */
Test(sw_conns, leg_delete_closes_its_own_connection)
{
	struct tw_leg l[7];
	struct tw_frames fs;
	char name[8], buf[1024];

	tw_init(&w);
	tw_conf(&w, "c1", MSW_CTL_CPIM_OFF, 0);
	for (unsigned int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		tw_leg_add(&w, "c1", name, &l[i], NULL);
		if (i < 6)
			tw_bind(&w, &l[i]);
	}
	/* Leg 6 binds on leg 0's connection. */
	l[6].tc = l[0].tc;
	snprintf(buf, sizeof(buf),
	         "MSRP bind0002 SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: bind0002\r\n"
	         "-------bind0002$\r\n",
	         l[6].uri, l[6].path);
	cr_assert_eq(tw_rx(&w, l[0].tc, buf), 0);
	tw_take(&w, l[0].tc, &fs);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0]->f.status_code, 200);
	tw_frames_free(&fs);

	cr_assert_eq(tw_leg_del(&w, &l[4]), 0);
	cr_assert(w.c[l[4].tc].closed);
	for (unsigned int i = 0; i < 6; i++)
		if (i != 4)
			cr_assert_not(w.c[l[i].tc].closed, "leg %u's connection closed", i);
	cr_assert_eq(tw_leg_del(&w, &l[1]), 0);
	cr_assert(w.c[l[1].tc].closed);
	cr_assert_eq(tw_leg_del(&w, &l[0]), 0);
	cr_assert_not(w.c[l[0].tc].closed, "leg 6 still uses the connection");
	cr_assert_eq(tw_leg_del(&w, &l[6]), 0);
	cr_assert(w.c[l[0].tc].closed, "last session on the connection gone");
	for (unsigned int i = 2; i < 6; i++)
		if (i != 4)
			cr_assert_not(w.c[l[i].tc].closed, "leg %u's connection closed", i);
	/* Every leg left: its "left" outcome path ran on the owner lcore. */
	cr_assert_eq(w.ev.closed, 4);
	tw_fini(&w);
}

static void
active_leg(const char *path)
{
	struct sw_leg_params lp;
	char uri[128];

	memset(&lp, 0, sizeof(lp));
	lp.conf.len = 1;
	lp.conf.id[0] = 'c';
	lp.active = true;
	lp.path = (struct msrp_span){(const uint8_t *)path, (uint32_t)strlen(path)};
	cr_assert_eq(sw_leg_add(w.e, &lp, uri, sizeof(uri), NULL), 0);
	tw_settle(&w);
}

/*
 * Active legs find a connection to reuse by authority (RFC 4975 §5.4) through the lcore's
 * authority index: same host (any case) and port share, up to SW_CONN_LEGS sessions each;
 * another port or host dials anew; a closed connection is never reused.
 */
Test(sw_conns, active_reuse_by_authority_index)
{
	char path[160];
	uint32_t ci;

	tw_init(&w);
	tw_conf(&w, "c", MSW_CTL_CPIM_OFF, 0);
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "msrp://%s.example:2855/r%u;tcp",
		         i % 2 ? "RELAY" : "relay", i);
		active_leg(path);
	}
	/* Four sessions fill the first connection, the fifth needs a second one. */
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 2);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 3);
	active_leg("msrp://relay.example:2856/p;tcp");
	active_leg("msrp://relay2.example:2855/q;tcp");
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 4);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 3);
	/* The second relay.example:2855 connection (one session) takes the next leg. */
	active_leg("msrp://relay.example:2855/r5;tcp");
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 4);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 4);
	/* Once closed, neither relay.example:2855 connection is used again: a new dial. */
	for (unsigned int tc = 0; tc < 2; tc++) {
		cr_assert_str_eq(w.c[tc].dialled, tc == 0 ? "msrp://relay.example:2855/r0;tcp"
		                                          : "msrp://relay.example:2855/r4;tcp");
		cr_assert_eq(sw_conn_lookup(w.lc, tc, &ci), 0);
		sw_conn_closed(w.lc, ci, w.now_us);
		w.c[tc].closed = true;
	}
	active_leg("msrp://relay.example:2855/r6;tcp");
	cr_assert_eq(tw_cnt(&w, SW_CNT_ACTIVE_CONNECT), 5);
	cr_assert_eq(tw_cnt(&w, SW_CNT_CONN_REUSE), 4);
	cr_assert_str_eq(w.c[4].dialled, "msrp://relay.example:2855/r6;tcp");
	tw_fini(&w);
}
