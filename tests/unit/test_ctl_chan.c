/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control channel end to end (common/ctl): request/reply correlation, error statuses, blobs in
 * both directions with budgets and drop counters, slot claim race (fork), dead-client reclaim,
 * identity uniqueness, two clients at once, doorbell wake-ups.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "test_ctl_util.h"

static struct ctl_server *srv;
static struct test_srv_state srv_state;

static void
setup_server(void)
{
	struct ctl_server_params p;

	test_ctl_unlink();
	test_ctl_params(&p);
	srv = ctl_server_create(&p);
	cr_assert_not_null(srv, "ctl_server_create: %s", strerror(errno));
	memset(&srv_state, 0, sizeof(srv_state));
	test_srv_register(srv, &srv_state);
}

static void
teardown_server(void)
{
	ctl_server_destroy(srv, true);
	srv = NULL;
	test_ctl_unlink();
}

/* Client and server in one process: send, serve, receive. */
static int
inproc_call(struct ctl_client *c, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
            const struct ctl_blob_src *b, unsigned int nb, struct ctl_msg *m)
{
	uint32_t seq;
	int rc = ctl_client_send(c, type, ver, payload, len, b, nb, &seq);

	if (rc != 0)
		return rc;
	ctl_server_poll(srv, 64);
	rc = ctl_client_recv(c, m, 0);
	cr_assert_eq(rc, 0, "a reply is there: %d", rc);
	cr_assert(m->rec.hdr.flags & MSW_CTL_F_REPLY);
	cr_assert_eq(m->rec.hdr.seq, seq, "reply correlates by sequence number");
	cr_assert_eq(m->rec.hdr.type, type);
	return m->rec.hdr.status;
}

TestSuite(ctl_chan, .init = setup_server, .fini = teardown_server);

Test(ctl_chan, attach_needs_a_region)
{
	ctl_server_destroy(srv, true);
	srv = NULL;
	cr_assert_null(ctl_client_attach(test_ctl_instance(), "cp"));
	cr_assert_eq(errno, ENOENT);
	setup_server();
	cr_assert_null(ctl_client_attach(test_ctl_instance(), ""));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(
	        ctl_client_attach(test_ctl_instance(), "0123456789012345678901234567890123"));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(ctl_client_attach("bad/name", "cp"));
	cr_assert_eq(errno, EINVAL);
}

Test(ctl_chan, second_server_of_an_instance_is_refused)
{
	struct ctl_server_params p;

	test_ctl_params(&p);
	cr_assert_null(ctl_server_create(&p));
	cr_assert_eq(errno, EBUSY);
	p.n_slots = 7;
	cr_assert_null(ctl_server_create(&p));
	cr_assert_eq(errno, EINVAL, "fewer than 8 slots is a parameter error");
}

Test(ctl_chan, ping_sequence_and_errors)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	struct msw_ctl_ping ping = {.t_ns = 42, .cookie = 0xfeedu};
	struct msw_ctl_conf_create cc;
	struct ctl_msg m;
	struct msw_ctl_ping back;

	cr_assert_not_null(c);
	cr_assert(ctl_client_dp_alive(c));
	cr_assert_eq(ctl_client_generation(c), ctl_server_generation(srv));
	cr_assert_eq(
	        inproc_call(c, MSW_CTL_PING, MSW_CTL_VER_PING, &ping, sizeof(ping), NULL, 0, &m),
	        0);
	memcpy(&back, m.rec.payload, sizeof(back));
	cr_assert_eq(back.cookie, 0xfeedu);
	cr_assert_eq(m.rec.hdr.gen, ctl_server_generation(srv));

	/* No handler: -EOPNOTSUPP, counted. */
	cr_assert_eq(inproc_call(c, MSW_CTL_LEG_SET, MSW_CTL_VER_LEG_SET, NULL, 0, NULL, 0, &m),
	             -EOPNOTSUPP);
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_CMD_UNSUPPORTED), 1);
	/* Handler error travels back as -errno. */
	memset(&cc, 0, sizeof(cc));
	cc.conf = test_conf_id("bad id");
	cr_assert_eq(inproc_call(c, MSW_CTL_CONF_CREATE, 1, &cc, sizeof(cc), NULL, 0, &m), -EINVAL);
	cc.conf = test_conf_id("room1");
	cr_assert_eq(inproc_call(c, MSW_CTL_CONF_CREATE, 1, &cc, sizeof(cc), NULL, 0, &m), 0);
	cr_assert_eq(inproc_call(c, MSW_CTL_CONF_CREATE, 1, &cc, sizeof(cc), NULL, 0, &m), -EEXIST);
	/* Events cannot be sent by a client. */
	cr_assert_eq(ctl_client_send(c, MSW_CTL_EV_LEG_BOUND, 1, NULL, 0, NULL, 0, NULL), -EINVAL);
	cr_assert_eq(
	        ctl_client_send(c, MSW_CTL_PING, 1, NULL, MSW_CTL_PAYLOAD_MAX + 1, NULL, 0, NULL),
	        -EMSGSIZE);
	cr_assert_eq(ctl_client_recv(c, &m, 0), -ETIMEDOUT, "nothing else was sent");
	ctl_client_detach(c);
}

Test(ctl_chan, malformed_record_gets_ebadmsg)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "raw");
	struct msw_ctl_slot *sl;
	struct msw_ctl_rec *rec;
	struct ctl_msg m;

	cr_assert_not_null(c);
	sl = msw_ctl_region_slot(ctl_client_region(c), ctl_client_slot(c));
	/* Bypass the library like a buggy client would: payload length beyond the record. */
	rec = msw_ctl_ring_prod_reserve(&sl->cmd);
	cr_assert_not_null(rec);
	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = MSW_CTL_PING;
	rec->hdr.seq = 77;
	rec->hdr.len = 4000;
	rec->hdr.gen = ctl_client_generation(c);
	msw_ctl_ring_prod_commit(&sl->cmd, 1);
	ctl_server_poll(srv, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.seq, 77u);
	cr_assert_eq(m.rec.hdr.status, -EBADMSG);
	cr_assert_eq(ctl_server_slot_cnt(srv, ctl_client_slot(c), MSW_CTL_CNT_CMD_BAD), 1);

	/* A blob_end beyond what the client ever wrote is refused too, and moves nothing. */
	rec = msw_ctl_ring_prod_reserve(&sl->cmd);
	cr_assert_not_null(rec);
	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = MSW_CTL_PING;
	rec->hdr.seq = 78;
	rec->hdr.flags = MSW_CTL_F_BLOB;
	rec->hdr.blob_end = 4096;
	rec->hdr.gen = ctl_client_generation(c);
	msw_ctl_ring_prod_commit(&sl->cmd, 1);
	ctl_server_poll(srv, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.seq, 78u);
	cr_assert_eq(m.rec.hdr.status, -EBADMSG);
	cr_assert_eq(atomic_load(&sl->blob_c2d.tail), 0u);
	ctl_client_detach(c);
}

Test(ctl_chan, blobs_both_ways)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	struct msw_ctl_leg_add_r r;
	struct ctl_msg m;
	const void *uri;
	int len;

	cr_assert_not_null(c);
	cr_assert_eq(ctl_client_send(c, MSW_CTL_CONF_CREATE, 1,
	                             &(struct msw_ctl_conf_create){.conf = test_conf_id("r")},
	                             sizeof(struct msw_ctl_conf_create), NULL, 0, NULL),
	             0);
	ctl_server_poll(srv, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, 0);

	{
		static const char path[] = "msrp://10.0.0.9:7777/peer;tcp";
		static const char ident[] = "sip:alice@example.com";
		struct msw_ctl_leg_add q;
		struct ctl_blob_src b[2] = {
		        {.data = path,
		         .len = sizeof(path) - 1,
		         .ref_off = offsetof(struct msw_ctl_leg_add, path)},
		        {.data = ident,
		         .len = sizeof(ident) - 1,
		         .ref_off = offsetof(struct msw_ctl_leg_add, identity)},
		};

		memset(&q, 0, sizeof(q));
		q.leg.conf = test_conf_id("r");
		memcpy(q.leg.session_id, "abc", 3);
		q.leg.session_id_len = 3;
		cr_assert_eq(inproc_call(c, MSW_CTL_LEG_ADD, 1, &q, sizeof(q), b, 2, &m), 0);
	}
	memcpy(&r, m.rec.payload, sizeof(r));
	len = ctl_client_blob(c, &r.local_uri, &uri);
	cr_assert_gt(len, 0);
	cr_assert_eq(memcmp(uri,
	                    "msrp://127.0.0.1:2855/abc;tcp peer=msrp://10.0.0.9:7777/peer;tcp "
	                    "id=sip:alice@example.com",
	                    (size_t)len),
	             0, "got %.*s", len, (const char *)uri);
	/* The client->dp blobs were released by the server after the handler ran. */
	{
		struct msw_ctl_slot *sl =
		        msw_ctl_region_slot(ctl_client_region(c), ctl_client_slot(c));

		cr_assert_eq(atomic_load(&sl->blob_c2d.tail), atomic_load(&sl->blob_c2d.head));
	}
	/* A forged reference is refused by both sides. */
	{
		struct msw_ctl_blob_ref forged = r.local_uri;

		forged.gen++;
		cr_assert_eq(ctl_client_blob(c, &forged, &uri), -EINVAL);
		forged = r.local_uri;
		forged.off += 16;
		cr_assert_eq(ctl_client_blob(c, &forged, &uri), -EINVAL);
	}
	ctl_client_detach(c);
}

Test(ctl_chan, client_blob_area_full_is_enobufs)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	static char big[1500];
	struct msw_ctl_leg_add q;
	struct ctl_blob_src b = {
	        .data = big, .len = sizeof(big), .ref_off = offsetof(struct msw_ctl_leg_add, path)};
	struct ctl_msg m;
	int i, sent = 0;

	cr_assert_not_null(c);
	memset(&q, 0, sizeof(q));
	q.leg.conf = test_conf_id("nope");
	q.leg.session_id_len = 1;
	q.leg.session_id[0] = 'x';
	/* 4 KiB area, 1.5 KiB + header each: the third does not fit before the server runs. */
	for (i = 0; i < 3; i++) {
		int rc = ctl_client_send(c, MSW_CTL_LEG_ADD, 1, &q, sizeof(q), &b, 1, NULL);

		if (rc == 0)
			sent++;
		else
			cr_assert_eq(rc, -ENOBUFS);
	}
	cr_assert_eq(sent, 2);
	cr_assert_eq(ctl_client_send(c, MSW_CTL_LEG_ADD, 1, &q, sizeof(q), &b, 1, NULL), -ENOBUFS);
	b.len = 5000;
	cr_assert_eq(ctl_client_send(c, MSW_CTL_LEG_ADD, 1, &q, sizeof(q), &b, 1, NULL), -EMSGSIZE,
	             "larger than the whole area");
	b.len = sizeof(big);
	ctl_server_poll(srv, 8);
	for (i = 0; i < sent; i++) {
		cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
		cr_assert_eq(m.rec.hdr.status, -ENOENT, "the handler read the blob, then no conf");
	}
	cr_assert_eq(ctl_client_send(c, MSW_CTL_LEG_ADD, 1, &q, sizeof(q), &b, 1, NULL), 0,
	             "space is back once the server consumed the commands");
	ctl_client_detach(c);
}

Test(ctl_chan, event_blob_budget_ring_and_space_drops_are_counted)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	static char body[1500];
	struct msw_ctl_ev_msg ev;
	struct ctl_blob_src hist = {.data = body,
	                            .len = 1000,
	                            .cls = MSW_CTL_BLOB_HISTORY,
	                            .ref_off = offsetof(struct msw_ctl_ev_msg, body)};
	struct ctl_blob_src ctl = {.data = body,
	                           .len = 1500,
	                           .cls = MSW_CTL_BLOB_CTL,
	                           .ref_off = offsetof(struct msw_ctl_ev_msg, body)};
	struct ctl_msg m;
	uint32_t slot;
	int i, rc;

	cr_assert_not_null(c);
	slot = ctl_client_slot(c);
	ctl_server_poll(srv, 1); /* the server sees the claim */
	cr_assert(ctl_server_slot_active(srv, slot));
	memset(&ev, 0, sizeof(ev));
	memset(body, 'h', sizeof(body));

	/* HISTORY budget is 2048: two 1000-byte copies (1024 with header) fit, the third drops. */
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_HISTORY, 1, &ev, sizeof(ev), &hist, 1),
	        0);
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_HISTORY, 1, &ev, sizeof(ev), &hist, 1),
	        0);
	cr_assert_eq(ctl_server_slot_blob_inflight(srv, slot, MSW_CTL_BLOB_HISTORY), 2048u);
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_HISTORY, 1, &ev, sizeof(ev), &hist, 1),
	        -ENOBUFS);
	cr_assert_eq(ctl_server_slot_cnt(srv, slot, MSW_CTL_CNT_EVT_DROP_BLOB_BUDGET), 1);
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_EVT_DROP_BLOB_BUDGET), 1);

	/* Other classes have their own budget, but the 4 KiB area itself is shared. */
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_LEG_BOUND, 1, &ev, sizeof(ev), &ctl, 1),
	        0);
	rc = ctl_server_evt_post(srv, slot, MSW_CTL_EV_LEG_BOUND, 1, &ev, sizeof(ev), &ctl, 1);
	cr_assert_eq(rc, -ENOBUFS);
	cr_assert_eq(ctl_server_slot_cnt(srv, slot, MSW_CTL_CNT_EVT_DROP_BLOB_SPACE), 1);

	/* The client consumes: the first event's blob is released on the next receive. */
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.type, MSW_CTL_EV_HISTORY);
	cr_assert_eq(m.rec.hdr.seq, 1u, "event sequence numbers count delivered events");
	{
		struct msw_ctl_ev_msg got;
		const void *data;

		memcpy(&got, m.rec.payload, sizeof(got));
		cr_assert_eq(ctl_client_blob(c, &got.body, &data), 1000);
		cr_assert_eq(memcmp(data, body, 1000), 0);
	}
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.seq, 2u);
	cr_assert_eq(ctl_server_slot_blob_inflight(srv, slot, MSW_CTL_BLOB_HISTORY), 1024u,
	             "first copy released");
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_HISTORY, 1, &ev, sizeof(ev), &hist, 1), 0,
	        "budget available again");
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.type, MSW_CTL_EV_LEG_BOUND);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.seq, 4u);
	cr_assert_eq(ctl_client_recv(c, &m, 0), -ETIMEDOUT);
	cr_assert_eq(ctl_server_slot_blob_inflight(srv, slot, MSW_CTL_BLOB_HISTORY), 0u);

	/* Without blobs the ring itself is the limit: 16 records, then drops. */
	for (i = 0; i < 16; i++)
		cr_assert_eq(ctl_server_evt_post(srv, slot, MSW_CTL_EV_LEG_CLOSED, 1, &ev,
		                                 sizeof(ev), NULL, 0),
		             0);
	cr_assert_eq(
	        ctl_server_evt_post(srv, slot, MSW_CTL_EV_LEG_CLOSED, 1, &ev, sizeof(ev), NULL, 0),
	        -ENOBUFS);
	cr_assert_eq(ctl_server_slot_cnt(srv, slot, MSW_CTL_CNT_EVT_DROP_RING_FULL), 1);
	cr_assert_eq(
	        ctl_server_evt_post(srv, 7, MSW_CTL_EV_LEG_CLOSED, 1, &ev, sizeof(ev), NULL, 0),
	        -ENOTCONN, "unclaimed slot");
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_EVT_DROP_NO_CLIENT), 1);
	ctl_client_detach(c);
}

Test(ctl_chan, replies_are_never_dropped_commands_wait)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	struct msw_ctl_ping ping = {0};
	struct msw_ctl_ev_leg ev;
	struct ctl_msg m;
	uint32_t slot;
	int i;

	cr_assert_not_null(c);
	slot = ctl_client_slot(c);
	ctl_server_poll(srv, 1);
	memset(&ev, 0, sizeof(ev));
	/* Fill the event ring completely, then queue commands. */
	for (i = 0; i < 16; i++)
		cr_assert_eq(ctl_server_evt_post(srv, slot, MSW_CTL_EV_LEG_BOUND, 1, &ev,
		                                 sizeof(ev), NULL, 0),
		             0);
	for (i = 0; i < 16; i++) {
		ping.cookie = (uint64_t)i;
		cr_assert_eq(
		        ctl_client_send(c, MSW_CTL_PING, 1, &ping, sizeof(ping), NULL, 0, NULL), 0);
	}
	cr_assert_eq(ctl_client_send(c, MSW_CTL_PING, 1, &ping, sizeof(ping), NULL, 0, NULL),
	             -EAGAIN, "command ring full");
	cr_assert_eq(ctl_server_poll(srv, 64), 0u, "no room for replies: commands wait");
	for (i = 0; i < 16; i++) {
		cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
		cr_assert_eq(m.rec.hdr.type, MSW_CTL_EV_LEG_BOUND);
	}
	cr_assert_eq(ctl_server_poll(srv, 64), 16u);
	for (i = 0; i < 16; i++) {
		struct msw_ctl_ping back;

		cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
		cr_assert(m.rec.hdr.flags & MSW_CTL_F_REPLY);
		memcpy(&back, m.rec.payload, sizeof(back));
		cr_assert_eq(back.cookie, (uint64_t)i, "replies in command order");
	}
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_EVT_DROP_RING_FULL), 0);
	ctl_client_detach(c);
}

Test(ctl_chan, stats_and_drain)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");
	struct msw_ctl_stats_r r;
	struct msw_ctl_drain d = {.draining = 1};
	struct ctl_msg m;
	const void *vals;

	cr_assert_not_null(c);
	cr_assert_eq(inproc_call(c, MSW_CTL_DRAIN, 1, &d, sizeof(d), NULL, 0, &m), 0);
	cr_assert_eq(atomic_load(&ctl_client_region(c)->state), MSW_CTL_DP_DRAINING);
	cr_assert(ctl_client_dp_alive(c), "draining still serves");
	d.draining = 5;
	cr_assert_eq(inproc_call(c, MSW_CTL_DRAIN, 1, &d, sizeof(d), NULL, 0, &m), -EINVAL);
	cr_assert_eq(inproc_call(c, MSW_CTL_STATS, 1, NULL, 0, NULL, 0, &m), 0);
	memcpy(&r, m.rec.payload, sizeof(r));
	cr_assert_eq(r.n, MSW_CTL_CNT_MAX);
	cr_assert_eq(r.state, MSW_CTL_DP_DRAINING);
	cr_assert_eq(ctl_client_blob(c, &r.values, &vals), (int)(r.n * 16));
	{
		uint64_t slot_rx, region_rx;

		memcpy(&slot_rx, (const uint8_t *)vals + 16 * MSW_CTL_CNT_CMD_RX, 8);
		memcpy(&region_rx, (const uint8_t *)vals + 16 * MSW_CTL_CNT_CMD_RX + 8, 8);
		cr_assert_eq(slot_rx, 3u, "DRAIN, DRAIN, STATS");
		cr_assert_eq(region_rx, 3u);
	}
	ctl_client_detach(c);
}

Test(ctl_chan, data_plane_counters_block)
{
	static const char *const names[] = {"rx_chunks", "drop_bad_syntax"};
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "mswctl");
	_Atomic uint64_t *row0, *row1;
	uint64_t v = 0;

	cr_assert_not_null(c);
	cr_assert_eq(ctl_server_counters_define(srv, names, 2, 2), 0);
	row0 = ctl_server_counters_row(srv, 0);
	row1 = ctl_server_counters_row(srv, 1);
	msw_ctl_cnt_add(&row0[0], 5);
	msw_ctl_cnt_add(&row1[0], 7);
	msw_ctl_cnt_add(&row1[1], 1);
	cr_assert_eq(ctl_client_counter(c, "rx_chunks", &v), 0);
	cr_assert_eq(v, 12u, "summed over lcores");
	cr_assert_eq(ctl_client_counter(c, "drop_bad_syntax", &v), 0);
	cr_assert_eq(v, 1u);
	cr_assert_eq(ctl_client_counter(c, "nope", &v), -ENOENT);
	cr_assert_null(ctl_server_counters_row(srv, MSW_CTL_CTRS_LCORES_MAX));
	cr_assert_eq(ctl_server_counters_define(srv, names, MSW_CTL_CTRS_MAX + 1, 1), -EINVAL);
	ctl_client_detach(c);
}

/* ---- slots across processes ---- */

#define CLAIM_PENDING 99

struct claim_shm {
	_Atomic int ready;
	_Atomic int go_exit;
	_Atomic int slot_of[16];
};

Test(ctl_chan, slot_claim_race_via_fork)
{
	struct claim_shm *sh =
	        mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[12];
	int i, ok = 0, busy = 0;
	uint32_t seen = 0;

	cr_assert_neq(sh, MAP_FAILED);
	for (i = 0; i < 12; i++)
		atomic_store(&sh->slot_of[i], CLAIM_PENDING);
	for (i = 0; i < 12; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			char name[16];
			struct ctl_client *c;

			snprintf(name, sizeof(name), "c%d", i);
			atomic_fetch_add(&sh->ready, 1);
			while (atomic_load(&sh->ready) < 12) /* start together */
				;
			c = ctl_client_attach(test_ctl_instance(), name);
			atomic_store(&sh->slot_of[i], c != NULL ? (int)ctl_client_slot(c)
			                                        : (errno == EBUSY ? -1 : -2));
			while (!atomic_load(&sh->go_exit))
				usleep(1000);
			_exit(0);
		}
	}
	for (i = 0; i < 12; i++)
		while (atomic_load(&sh->slot_of[i]) == CLAIM_PENDING)
			usleep(1000);
	for (i = 0; i < 12; i++) {
		int s = atomic_load(&sh->slot_of[i]);

		cr_assert_neq(s, -2, "child %d failed with something other than EBUSY", i);
		if (s == -1) {
			busy++;
			continue;
		}
		cr_assert_eq(seen & (1u << s), 0u, "slot %d claimed twice", s);
		seen |= 1u << s;
		ok++;
	}
	cr_assert_eq(ok, 8, "exactly the 8 slots were claimed");
	cr_assert_eq(busy, 4, "the other 4 got EBUSY");
	atomic_store(&sh->go_exit, 1);
	for (i = 0; i < 12; i++)
		waitpid(pids[i], NULL, 0);
	munmap(sh, sizeof(*sh));
}

Test(ctl_chan, dead_client_slot_is_reclaimed)
{
	pid_t pid;
	int code;
	struct ctl_server_obj o;
	struct ctl_client *c;
	int i;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ctl_client *cc = ctl_client_attach(test_ctl_instance(), "crasher");

		if (cc == NULL || test_conf_create(cc, "orphan-me") != 0)
			_exit(1);
		if (ctl_client_slot(cc) != 0)
			_exit(2);
		_exit(0); /* no detach: a crash as far as the channel can tell */
	}
	test_serve_until_exit(srv, &pid, &code, 1);
	cr_assert_eq(code, 0);
	for (i = 0; i < 200 &&
	            atomic_load(&msw_ctl_region_slot(ctl_server_region(srv), 0)->owner_pid) != 0;
	     i++) {
		usleep(1000);
		ctl_server_poll(srv, 8);
	}
	cr_assert_eq(atomic_load(&msw_ctl_region_slot(ctl_server_region(srv), 0)->owner_pid), 0u,
	             "dead owner's slot is free again");
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_SLOT_RECLAIMED_DEAD), 1);
	cr_assert_not(ctl_server_slot_active(srv, 0));
	cr_assert_eq(ctl_server_obj_lookup(srv, MSW_CTL_OBJ_CONF, "orphan-me", 9, &o), 0,
	             "its objects stay with the identity");
	cr_assert_eq(o.owner_slot, UINT16_MAX, "orphaned");
	cr_assert_str_eq(o.owner, "crasher");
	c = ctl_client_attach(test_ctl_instance(), "next");
	cr_assert_not_null(c);
	cr_assert_eq(ctl_client_slot(c), 0u, "the reclaimed slot is usable");
	ctl_client_detach(c);
}

Test(ctl_chan, identity_is_unique_among_live_clients)
{
	struct ctl_client *a = ctl_client_attach(test_ctl_instance(), "cp");
	struct ctl_client *b;

	cr_assert_not_null(a);
	b = ctl_client_attach(test_ctl_instance(), "cp");
	cr_assert_null(b);
	cr_assert_eq(errno, EADDRINUSE);
	b = ctl_client_attach(test_ctl_instance(), "cp2");
	cr_assert_not_null(b);
	cr_assert_neq(ctl_client_slot(a), ctl_client_slot(b));
	ctl_client_detach(a);
	ctl_server_poll(srv, 8);
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_SLOT_RELEASED), 1, "clean detach");
	a = ctl_client_attach(test_ctl_instance(), "cp");
	cr_assert_not_null(a, "the name is free after detach");
	ctl_client_detach(a);
	ctl_client_detach(b);
}

#define TWO_CLIENTS_CALLS 3000

static int
two_clients_child(int idx)
{
	char name[8], conf[16];
	struct ctl_client *c;
	int i;

	snprintf(name, sizeof(name), "cli%d", idx);
	c = ctl_client_attach(test_ctl_instance(), name);
	if (c == NULL)
		return 10;
	for (i = 0; i < TWO_CLIENTS_CALLS; i++) {
		struct msw_ctl_ping p = {.cookie = ((uint64_t)idx << 32) | (uint64_t)i};
		struct msw_ctl_ping back;
		struct ctl_msg m;

		if (ctl_client_call(c, MSW_CTL_PING, 1, &p, sizeof(p), NULL, 0, &m, 5000) != 0)
			return 11;
		memcpy(&back, m.rec.payload, sizeof(back));
		if (back.cookie != p.cookie)
			return 12; /* a reply of the other client, or out of order */
		if (i % 100 == 0) {
			snprintf(conf, sizeof(conf), "c%d-%d", idx, i / 100);
			if (test_conf_create(c, conf) != 0)
				return 13;
		}
	}
	ctl_client_detach(c);
	return 0;
}

Test(ctl_chan, two_clients_at_once, .timeout = 60)
{
	pid_t pids[2];
	int codes[2], i;

	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0)
			_exit(two_clients_child(i));
	}
	test_serve_until_exit(srv, pids, codes, 2);
	cr_assert_eq(codes[0], 0, "client 0: %d", codes[0]);
	cr_assert_eq(codes[1], 0, "client 1: %d", codes[1]);
	cr_assert_eq(ctl_server_obj_count(srv, MSW_CTL_OBJ_CONF, "cli0"), TWO_CLIENTS_CALLS / 100);
	cr_assert_eq(ctl_server_obj_count(srv, MSW_CTL_OBJ_CONF, "cli1"), TWO_CLIENTS_CALLS / 100);
	cr_assert_eq(ctl_server_cnt(srv, MSW_CTL_CNT_CMD_RX),
	             2u * (TWO_CLIENTS_CALLS + TWO_CLIENTS_CALLS / 100));
}

Test(ctl_chan, event_wakes_a_sleeping_client)
{
	pid_t pid;
	int code;
	struct msw_ctl_ev_leg ev;
	uint32_t i;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "sleeper");
		struct ctl_msg m;
		uint64_t t0;
		int rc;

		if (c == NULL || ctl_client_slot(c) != 0)
			_exit(1);
		t0 = (uint64_t)time(NULL);
		rc = ctl_client_recv(c, &m, 10000); /* sleeps on the futex doorbell */
		if (rc != 0 || m.rec.hdr.type != MSW_CTL_EV_LEG_CLOSED)
			_exit(2);
		if ((uint64_t)time(NULL) - t0 > 5)
			_exit(3); /* woken by the bell, not by the timeout */
		_exit(0);
	}
	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < 2000 && !ctl_server_slot_active(srv, 0); i++) {
		ctl_server_poll(srv, 8);
		usleep(1000);
	}
	cr_assert(ctl_server_slot_active(srv, 0));
	usleep(50000);
	cr_assert_eq(
	        ctl_server_evt_post(srv, 0, MSW_CTL_EV_LEG_CLOSED, 1, &ev, sizeof(ev), NULL, 0), 0);
	test_serve_until_exit(srv, &pid, &code, 1);
	cr_assert_eq(code, 0, "child: %d", code);
}
