/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Restart and resync (docs/ctl-abi.md "Resync"): a client that restarts learns what the data
 * plane holds for its identity, replays what it owns, and the rest is deleted; objects of other
 * identities are untouched. A data plane that restarts gets a new generation, live clients keep
 * their slots, learn the change (-ESTALE, gen_changed) and program it again.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "test_ctl_util.h"

static void
cleanup(void)
{
	test_ctl_unlink();
}

TestSuite(ctl_resync, .fini = cleanup);

static struct ctl_server *
server_new(struct test_srv_state *st)
{
	struct ctl_server_params p;
	struct ctl_server *s;

	test_ctl_params(&p);
	s = ctl_server_create(&p);
	if (s != NULL) {
		memset(st, 0, sizeof(*st));
		test_srv_register(s, st);
	}
	return s;
}

static int
obj_list_all(struct ctl_client *c, struct msw_ctl_obj_entry *out, uint32_t max, uint32_t *n)
{
	struct msw_ctl_obj_list q = {.filter = MSW_CTL_OBJ_ALL, .max = 2}; /* small pages */
	struct ctl_msg m;

	*n = 0;
	for (;;) {
		struct msw_ctl_obj_list_r r;
		const void *data;
		uint32_t i;
		int rc = ctl_client_call(c, MSW_CTL_OBJ_LIST, 1, &q, sizeof(q), NULL, 0, &m, 2000);

		if (rc != 0)
			return rc;
		memcpy(&r, m.rec.payload, sizeof(r));
		if (r.count != 0 && ctl_client_blob(c, &r.entries, &data) !=
		                            (int)(r.count * sizeof(struct msw_ctl_obj_entry)))
			return -EBADMSG;
		for (i = 0; i < r.count && *n < max; i++)
			memcpy(&out[(*n)++], (const uint8_t *)data + i * sizeof(*out),
			       sizeof(*out));
		if (r.next_cursor == MSW_CTL_CURSOR_END)
			return 0;
		q.cursor = r.next_cursor;
	}
}

static bool
has_entry(const struct msw_ctl_obj_entry *e, uint32_t n, uint16_t kind, const char *key)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].kind == kind && e[i].key_len == strlen(key) &&
		    memcmp(e[i].key, key, e[i].key_len) == 0)
			return true;
	return false;
}

/* ---- client restart ---- */

struct held_log {
	uint32_t n;
	struct msw_ctl_obj_entry e[16];
};

static void
on_held(struct ctl_client *c, const struct msw_ctl_obj_entry *e, void *arg)
{
	struct held_log *h = arg;

	(void)c;
	if (h->n < 16)
		h->e[h->n++] = *e;
}

/* The restarted client still has A and A/s1 and got C since; B is gone from its state. */
static int
replay_cp(struct ctl_client *c, void *arg)
{
	(void)arg;
	if (test_conf_create(c, "A") != 0)
		return -100;
	if (test_leg_add(c, "A", "s1", NULL) != 0)
		return -101;
	if (test_conf_create(c, "C") != 0)
		return -102;
	return 0;
}

static int
child_first_life(void)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "cp");

	if (c == NULL)
		return 1;
	if (test_conf_create(c, "A") != 0 || test_conf_create(c, "B") != 0 ||
	    test_leg_add(c, "A", "s1", NULL) != 0)
		return 2;
	_exit(0); /* crash: no detach */
}

static int
child_second_life(void)
{
	struct ctl_client *c;
	struct held_log held = {0};
	struct ctl_client_resync_ops ops = {.held = on_held, .replay = replay_cp};
	struct msw_ctl_resync_end_r r;
	int rc, tries;

	/* The old slot may not be reclaimed yet: the name is free once its PID is dead. */
	for (tries = 0; (c = ctl_client_attach(test_ctl_instance(), "cp")) == NULL; tries++) {
		if (tries > 1000)
			return 1;
		usleep(1000);
	}
	rc = ctl_client_resync(c, &ops, &held, 0, 2000, &r);
	if (rc != 0)
		return 2;
	/* What the data plane reported it held for "cp": exactly A, B and A/s1. */
	if (held.n != 3 || !has_entry(held.e, held.n, MSW_CTL_OBJ_CONF, "A") ||
	    !has_entry(held.e, held.n, MSW_CTL_OBJ_CONF, "B") ||
	    !has_entry(held.e, held.n, MSW_CTL_OBJ_LEG, "A/s1"))
		return 3;
	if (r.confirmed != 3 || r.deleted != 1 || r.kept != 0)
		return 4;
	/* Replays outside a resync are ordinary creates again. */
	if (test_conf_create(c, "A") != -EEXIST)
		return 5;
	ctl_client_detach(c);
	return 0;
}

Test(ctl_resync, client_restart_replays_and_server_reports, .timeout = 60)
{
	struct test_srv_state st;
	struct ctl_server *s;
	struct ctl_client *other;
	struct ctl_server_obj o;
	pid_t pid;
	int code;
	uint32_t seq;
	struct ctl_msg m;
	struct msw_ctl_conf_create z = {.conf = test_conf_id("Z")};

	test_ctl_unlink();
	s = server_new(&st);
	cr_assert_not_null(s);

	/* Another identity owns Z and stays attached throughout. */
	other = ctl_client_attach(test_ctl_instance(), "other");
	cr_assert_not_null(other);
	cr_assert_eq(ctl_client_send(other, MSW_CTL_CONF_CREATE, 1, &z, sizeof(z), NULL, 0, &seq),
	             0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(other, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, 0);

	pid = fork();
	if (pid == 0)
		_exit(child_first_life());
	test_serve_until_exit(s, &pid, &code, 1);
	cr_assert_eq(code, 0, "first life: %d", code);
	cr_assert_eq(ctl_server_obj_count(s, 0, "cp"), 3u);

	pid = fork();
	if (pid == 0)
		_exit(child_second_life());
	test_serve_until_exit(s, &pid, &code, 1);
	cr_assert_eq(code, 0, "second life: %d", code);

	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, "A", 1, &o), 0);
	cr_assert_str_eq(o.owner, "cp");
	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_LEG, "A/s1", 4, NULL), 0);
	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, "C", 1, NULL), 0);
	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, "B", 1, NULL), -ENOENT,
	             "not replayed: deleted");
	cr_assert_eq(st.deleted_by_resync, 1u, "the engine was told to delete it");
	cr_assert_str_eq(st.last_deleted, "B");
	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, "Z", 1, &o), 0);
	cr_assert_str_eq(o.owner, "other", "other identities are untouched");
	cr_assert_eq(o.owner_slot, ctl_client_slot(other));
	cr_assert_eq(ctl_server_cnt(s, MSW_CTL_CNT_RESYNC), 1u);
	cr_assert_eq(ctl_server_cnt(s, MSW_CTL_CNT_RESYNC_DELETED), 1u);
	ctl_client_detach(other);
	ctl_server_destroy(s, true);
}

Test(ctl_resync, keep_unreplayed_and_protocol_errors)
{
	struct test_srv_state st;
	struct ctl_server *s;
	struct ctl_client *c;
	struct msw_ctl_resync_end end = {.flags = MSW_CTL_RESYNC_KEEP_UNREPLAYED};
	struct msw_ctl_resync_begin_r br;
	struct msw_ctl_resync_end_r er;
	struct ctl_msg m;
	uint32_t seq;

	test_ctl_unlink();
	s = server_new(&st);
	cr_assert_not_null(s);
	c = ctl_client_attach(test_ctl_instance(), "cp");
	cr_assert_not_null(c);
	/* RESYNC_END without RESYNC_BEGIN is a protocol error. */
	cr_assert_eq(ctl_client_send(c, MSW_CTL_RESYNC_END, 1, &end, sizeof(end), NULL, 0, &seq),
	             0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, -EPROTO);

	cr_assert_eq(ctl_client_send(c, MSW_CTL_CONF_CREATE, 1,
	                             &(struct msw_ctl_conf_create){.conf = test_conf_id("K")},
	                             sizeof(struct msw_ctl_conf_create), NULL, 0, &seq),
	             0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, 0);
	cr_assert_eq(ctl_client_send(c, MSW_CTL_RESYNC_BEGIN, 1, NULL, 0, NULL, 0, &seq), 0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	memcpy(&br, m.rec.payload, sizeof(br));
	cr_assert_eq(br.held, 1u);
	cr_assert_eq(br.generation, ctl_server_generation(s));
	cr_assert_eq(ctl_client_send(c, MSW_CTL_RESYNC_END, 1, &end, sizeof(end), NULL, 0, &seq),
	             0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, 0);
	memcpy(&er, m.rec.payload, sizeof(er));
	cr_assert_eq(er.kept, 1u);
	cr_assert_eq(er.deleted, 0u);
	cr_assert_eq(ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, "K", 1, NULL), 0);
	ctl_client_detach(c);
	ctl_server_destroy(s, true);
}

/* Graceful data-plane restart in one process: adopt the region, bump the generation. */
Test(ctl_resync, server_restart_in_place_keeps_slots_and_blob_budgets)
{
	struct test_srv_state st;
	struct ctl_server *s;
	struct ctl_client *c;
	static char body[1000];
	struct msw_ctl_ev_msg ev = {0};
	struct ctl_blob_src hist = {.data = body,
	                            .len = sizeof(body),
	                            .cls = MSW_CTL_BLOB_HISTORY,
	                            .ref_off = offsetof(struct msw_ctl_ev_msg, body)};
	uint64_t g1;
	uint32_t slot, seq;
	struct ctl_msg m;

	test_ctl_unlink();
	s = server_new(&st);
	cr_assert_not_null(s);
	g1 = ctl_server_generation(s);
	c = ctl_client_attach(test_ctl_instance(), "cp");
	cr_assert_not_null(c);
	slot = ctl_client_slot(c);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_server_evt_post(s, slot, MSW_CTL_EV_HISTORY, 1, &ev, sizeof(ev), &hist, 1),
	             0);
	ctl_server_destroy(s, false);
	cr_assert_not(ctl_client_dp_alive(c), "down between the two lives");

	s = server_new(&st);
	cr_assert_not_null(s);
	cr_assert_neq(ctl_server_generation(s), g1);
	cr_assert(ctl_server_slot_active(s, slot), "the live client keeps its slot");
	cr_assert_eq(ctl_server_slot_blob_inflight(s, slot, MSW_CTL_BLOB_HISTORY), 1024u,
	             "unreleased blobs still count against the budget");
	cr_assert(ctl_client_gen_changed(c));
	cr_assert(ctl_client_dp_alive(c));

	/* The event of the previous life is still delivered, tagged with its generation. */
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.gen, g1);
	cr_assert_eq(ctl_client_send(c, MSW_CTL_PING, 1, NULL, 0, NULL, 0, &seq), 0);
	ctl_server_poll(s, 8);
	cr_assert_eq(ctl_client_recv(c, &m, 0), 0);
	cr_assert_eq(m.rec.hdr.status, -ESTALE, "commands of the old generation are refused");
	cr_assert_eq(ctl_server_cnt(s, MSW_CTL_CNT_CMD_STALE), 1u);
	cr_assert_eq(ctl_server_slot_blob_inflight(s, slot, MSW_CTL_BLOB_HISTORY), 0u,
	             "released by the receive that followed");
	ctl_client_detach(c);
	ctl_server_destroy(s, true);
}

/* ---- data-plane crash and restart, server in child processes ---- */

static int
server_child(void)
{
	struct test_srv_state st;
	struct ctl_server *s = server_new(&st);

	if (s == NULL)
		return 1;
	for (;;) { /* killed by the test */
		ctl_server_poll(s, 64);
		ctl_server_wait(s, 5);
	}
}

static pid_t
start_server_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(server_child());
	return pid;
}

static int
replay_abc(struct ctl_client *c, void *arg)
{
	(void)arg;
	if (test_conf_create(c, "A") != 0 || test_conf_create(c, "B") != 0 ||
	    test_leg_add(c, "A", "s1", NULL) != 0)
		return -100;
	return 0;
}

Test(ctl_resync, server_crash_bumps_generation_and_client_reprograms, .timeout = 60)
{
	struct ctl_client_resync_ops ops = {.held = on_held, .replay = replay_abc};
	struct held_log held = {0};
	struct msw_ctl_obj_entry e[8];
	struct msw_ctl_resync_end_r r;
	struct ctl_client_stats cst;
	struct ctl_client *c = NULL;
	uint64_t g1;
	uint32_t n, slot, i;
	pid_t s1, s2;
	struct ctl_msg m;

	test_ctl_unlink();
	s1 = start_server_child();
	cr_assert_gt(s1, 0);
	for (i = 0; i < 5000 && c == NULL; i++) {
		c = ctl_client_attach(test_ctl_instance(), "cp");
		if (c == NULL)
			usleep(1000);
	}
	cr_assert_not_null(c, "attach: %s", strerror(errno));
	cr_assert_eq(ctl_client_wait_dp(c, 5000), 0);
	if (ctl_client_gen_changed(c)) /* attached while the server was still starting */
		cr_assert_eq(ctl_client_resync(c, &ops, &held, 0, 2000, NULL), 0);
	else
		cr_assert_eq(replay_abc(c, NULL), 0);
	g1 = ctl_client_generation(c);
	slot = ctl_client_slot(c);
	cr_assert_eq(obj_list_all(c, e, 8, &n), 0);
	cr_assert_eq(n, 3u);

	kill(s1, SIGKILL);
	waitpid(s1, NULL, 0);
	cr_assert_not(ctl_client_dp_alive(c), "a dead data-plane PID is noticed");
	cr_assert_eq(ctl_client_call(c, MSW_CTL_PING, 1, NULL, 0, NULL, 0, &m, 1000), -EPIPE);

	s2 = start_server_child();
	cr_assert_gt(s2, 0);
	cr_assert_eq(ctl_client_wait_dp(c, 5000), 0);
	cr_assert(ctl_client_gen_changed(c), "every client learns the new generation");
	/* The queued PING is answered by the new data plane: -ESTALE. */
	cr_assert_eq(ctl_client_call(c, MSW_CTL_PING, 1, NULL, 0, NULL, 0, &m, 2000), -ESTALE);
	ctl_client_get_stats(c, &cst);
	cr_assert_eq(cst.stale_replies, 1u, "the reply to the abandoned call was skipped");

	held.n = 0;
	cr_assert_eq(ctl_client_resync(c, &ops, &held, 0, 2000, &r), 0);
	cr_assert_eq(held.n, 0u, "the new data plane holds nothing");
	cr_assert_eq(r.confirmed, 3u);
	cr_assert_eq(r.deleted, 0u);
	cr_assert_neq(ctl_client_generation(c), g1);
	cr_assert_not(ctl_client_gen_changed(c));
	cr_assert_eq(ctl_client_slot(c), slot, "the slot survived the data-plane restart");
	cr_assert_eq(obj_list_all(c, e, 8, &n), 0);
	cr_assert_eq(n, 3u, "re-programmed");
	cr_assert(has_entry(e, n, MSW_CTL_OBJ_CONF, "A"));
	cr_assert(has_entry(e, n, MSW_CTL_OBJ_CONF, "B"));
	cr_assert(has_entry(e, n, MSW_CTL_OBJ_LEG, "A/s1"));
	for (i = 0; i < n; i++) {
		cr_assert_str_eq(e[i].owner, "cp");
		cr_assert_eq(e[i].owner_slot, slot);
	}
	cr_assert_eq(ctl_client_call(c, MSW_CTL_PING, 1, NULL, 0, NULL, 0, &m, 2000), 0);
	kill(s2, SIGKILL);
	waitpid(s2, NULL, 0);
	ctl_client_detach(c);
}

/* ---- many held objects: OBJ_LIST pages (a page is at most a quarter of the 4 KiB area) ---- */

#define BULK_OBJS 40

static void
count_held(struct ctl_client *c, const struct msw_ctl_obj_entry *e, void *arg)
{
	uint32_t *n = arg;

	(void)c;
	if (e->kind == MSW_CTL_OBJ_CONF && e->key_len >= 5 && memcmp(e->key, "bulk-", 5) == 0 &&
	    strcmp(e->owner, "bulk") == 0)
		(*n)++;
}

static int
replay_first_30(struct ctl_client *c, void *arg)
{
	char id[16];
	int i;

	(void)arg;
	for (i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "bulk-%d", i);
		if (test_conf_create(c, id) != 0)
			return -100;
	}
	return 0;
}

static int
bulk_child(void)
{
	struct ctl_client *c = ctl_client_attach(test_ctl_instance(), "bulk");
	struct ctl_client_resync_ops ops = {.held = count_held, .replay = replay_first_30};
	struct msw_ctl_resync_end_r r;
	uint32_t held = 0;
	char id[16];
	int i;

	if (c == NULL)
		return 1;
	for (i = 0; i < BULK_OBJS; i++) {
		snprintf(id, sizeof(id), "bulk-%d", i);
		if (test_conf_create(c, id) != 0)
			return 2;
	}
	if (ctl_client_resync(c, &ops, &held, 0, 2000, &r) != 0)
		return 3;
	if (held != BULK_OBJS)
		return 4;
	if (r.confirmed != 30 || r.deleted != BULK_OBJS - 30)
		return 5;
	ctl_client_detach(c);
	return 0;
}

Test(ctl_resync, many_objects_are_reported_in_pages, .timeout = 60)
{
	struct test_srv_state st;
	struct ctl_server *s;
	pid_t pid;
	int code;

	test_ctl_unlink();
	s = server_new(&st);
	cr_assert_not_null(s);
	pid = fork();
	if (pid == 0)
		_exit(bulk_child());
	test_serve_until_exit(s, &pid, &code, 1);
	cr_assert_eq(code, 0, "child: %d", code);
	cr_assert_eq(ctl_server_obj_count(s, MSW_CTL_OBJ_CONF, "bulk"), 30u);
	cr_assert_eq(st.deleted_by_resync, BULK_OBJS - 30u);
	/* 40 creates, RESYNC_BEGIN, 7 OBJ_LIST pages of at most 6 entries, 30 replays, END. */
	cr_assert_eq(ctl_server_cnt(s, MSW_CTL_CNT_CMD_RX), 40u + 1 + 7 + 30 + 1);
	ctl_server_destroy(s, true);
}

/* A data plane with another geometry cannot adopt the region: it retires it and makes a new one. */
Test(ctl_resync, new_geometry_retires_the_old_region)
{
	struct test_srv_state st;
	struct ctl_server_params p;
	struct ctl_server *s;
	struct ctl_client *old_c, *new_c;
	uint64_t g1;

	test_ctl_unlink();
	s = server_new(&st);
	cr_assert_not_null(s);
	g1 = ctl_server_generation(s);
	old_c = ctl_client_attach(test_ctl_instance(), "cp");
	cr_assert_not_null(old_c);
	ctl_server_destroy(s, false);

	test_ctl_params(&p);
	p.ring_cap = 32;
	s = ctl_server_create(&p);
	cr_assert_not_null(s, "create: %s", strerror(errno));
	/* The old mapping stays valid (no SIGBUS), says down, and its generation moved. */
	cr_assert_not(ctl_client_dp_alive(old_c));
	cr_assert(ctl_client_gen_changed(old_c));
	cr_assert_eq(atomic_load(&ctl_client_region(old_c)->state), MSW_CTL_DP_DOWN);
	cr_assert_eq(ctl_client_region(old_c)->ring_cap, 16u);
	cr_assert_eq(ctl_client_call(old_c, MSW_CTL_PING, 1, NULL, 0, NULL, 0, NULL, 100), -EPIPE);

	new_c = ctl_client_attach(test_ctl_instance(), "cp2");
	cr_assert_not_null(new_c);
	cr_assert_eq(ctl_client_region(new_c)->ring_cap, 32u);
	cr_assert_neq(ctl_server_generation(s), g1);
	cr_assert(ctl_client_dp_alive(new_c));
	ctl_client_detach(old_c);
	ctl_client_detach(new_c);
	ctl_server_destroy(s, true);
}
