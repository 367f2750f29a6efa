/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control-plane stand-in for test_dp_resync.sh: talks to a running msw-dataplane over the
 * real control channel (common/ctl) and checks resync against the real engine. One phase per
 * run; prints "ok - ..." / "not ok - ..." lines (the script numbers them) and keeps what it
 * needs between phases in a state file.
 *
 *   dp_resync_client INSTANCE STATE setup    conferences r1 {L1, L2} and r2 {L3}, then
 *                                            _exit() without detaching (a crash)
 *   dp_resync_client INSTANCE STATE restart  reattach under the same identity, resync
 *                                            replaying r1 and L1 only: r2, L2, L3 deleted
 *   dp_resync_client INSTANCE STATE survive  attach, resync, print "ready", wait for the
 *                                            data plane to restart (generation change),
 *                                            resync replaying r1 + L1 with its session-id:
 *                                            the same local URI comes back
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "dp_ctl_client.h"

#define NAME "cp-resync-test"

/* LEG_ADD toward a fixed peer path; sid may name the session-id (replay). */
static int
leg_add(struct ctl_client *c, const char *conf, const char *who, const char *sid, char *uri,
        size_t cap)
{
	char path[128];

	snprintf(path, sizeof(path), "msrp://10.81.0.1:4000/%s;tcp", who);
	return dpc_leg_add(c, conf, who, path, sid, 0, uri, cap);
}

/* Conferences and their leg counts, as "id:n id:n" (CONF_LIST). */
static void
conf_summary(struct ctl_client *c, char *out, size_t cap)
{
	struct msw_ctl_list l;
	struct ctl_msg m;
	const void *data;
	size_t off = 0;

	memset(&l, 0, sizeof(l));
	out[0] = '\0';
	if (ctl_client_call(c, MSW_CTL_CONF_LIST, MSW_CTL_VER_LIST, &l, sizeof(l), NULL, 0, &m,
	                    3000) != 0)
		return;
	const struct msw_ctl_list_r *r = (const void *)m.rec.payload;

	if (r->count == 0 || ctl_client_blob(c, &r->entries, &data) < 0)
		return;
	for (uint32_t i = 0; i < r->count && off < cap; i++) {
		const struct msw_ctl_conf_entry *e = (const struct msw_ctl_conf_entry *)data + i;
		int n = snprintf(out + off, cap - off, "%s%.*s:%u", off ? " " : "",
		                 (int)e->conf.len, e->conf.id, e->n_legs);

		if (n > 0)
			off += (size_t)n;
	}
}

static struct ctl_client *
attach(const char *inst)
{
	/* The previous process may have died a moment ago: its slot is reclaimed shortly. */
	for (int i = 0; i < 100; i++) {
		struct ctl_client *c = ctl_client_attach(inst, NAME);

		if (c != NULL)
			return c;
		if (errno != EADDRINUSE && errno != EBUSY)
			break;
		usleep(50000);
	}
	return NULL;
}

struct state {
	char sid1[64], uri1[256];
};

struct replay_ctx {
	struct state *st;
	int rc;
	char uri[256];
	uint32_t held;
};

static void
on_held(struct ctl_client *c, const struct msw_ctl_obj_entry *e, void *arg)
{
	struct replay_ctx *rc = arg;

	(void)c;
	(void)e;
	rc->held++;
}

/* Replays r1 and its leg L1 (with L1's session-id), nothing else. */
static int
replay_r1(struct ctl_client *c, void *arg)
{
	struct replay_ctx *rc = arg;
	int r = dpc_conf_create(c, "r1", 0);

	if (r != 0)
		return r;
	return leg_add(c, "r1", "l1", rc->st->sid1, rc->uri, sizeof(rc->uri));
}

static int
save(const char *path, const struct state *st)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "%s %s\n", st->sid1, st->uri1);
	return fclose(f);
}

static int
load(const char *path, struct state *st)
{
	FILE *f = fopen(path, "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%63s %255s", st->sid1, st->uri1);
	fclose(f);
	return n == 2 ? 0 : -1;
}

/* The session-id of "msrp://host:port/<sid>;tcp". */
static void
sid_of(const char *uri, char *sid, size_t cap)
{
	const char *s = strrchr(uri, '/'), *e = strchr(uri, ';');

	sid[0] = '\0';
	if (s != NULL && e != NULL && e > s && (size_t)(e - s) <= cap)
		snprintf(sid, cap, "%.*s", (int)(e - s - 1), s + 1);
}

int
main(int argc, char **argv)
{
	struct ctl_client_resync_ops ops = {.held = on_held, .replay = replay_r1};
	struct msw_ctl_resync_end_r end;
	struct replay_ctx rctx;
	struct ctl_client *c;
	struct state st;
	char sum[256], uri[256];
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: dp_resync_client INSTANCE STATE setup|restart|survive\n");
		return 2;
	}
	memset(&st, 0, sizeof(st));
	c = attach(argv[1]);
	check(c != NULL, "%s: attach as %s", argv[3], NAME);
	if (c == NULL)
		return 1;
	check(ctl_client_wait_dp(c, 5000) == 0, "%s: data plane up", argv[3]);

	if (strcmp(argv[3], "setup") == 0) {
		check(dpc_conf_create(c, "r1", 0) == 0 && dpc_conf_create(c, "r2", 0) == 0,
		      "setup: conferences r1, r2 created");
		rc = leg_add(c, "r1", "l1", NULL, st.uri1, sizeof(st.uri1));
		check(rc == 0 && leg_add(c, "r1", "l2", NULL, uri, sizeof(uri)) == 0 &&
		              leg_add(c, "r2", "l3", NULL, uri, sizeof(uri)) == 0,
		      "setup: legs added (%s)", st.uri1);
		sid_of(st.uri1, st.sid1, sizeof(st.sid1));
		conf_summary(c, sum, sizeof(sum));
		check(strstr(sum, "r1:2") != NULL && strstr(sum, "r2:1") != NULL,
		      "setup: CONF_LIST shows r1:2 r2:1 (%s)", sum);
		check(save(argv[2], &st) == 0, "setup: state saved");
		fflush(stdout);
		_exit(failures ? 1 : 0); /* a crash: the slot is never released */
	}
	if (load(argv[2], &st) != 0) {
		check(0, "%s: state file %s", argv[3], argv[2]);
		return 1;
	}
	memset(&rctx, 0, sizeof(rctx));
	rctx.st = &st;
	if (strcmp(argv[3], "restart") == 0) {
		rc = ctl_client_resync(c, &ops, &rctx, 0, 5000, &end);
		check(rc == 0, "restart: resync %d", rc);
		check(rctx.held == 5, "restart: the data plane held 5 objects for us (%u)",
		      rctx.held);
		/* r2's deletion takes L3's registry entry with it, so 2 or 3 are counted. */
		check(end.confirmed == 2 && (end.deleted == 2 || end.deleted == 3),
		      "restart: replayed r1 + L1 confirmed (%u), r2 and L2 deleted (%u)",
		      end.confirmed, end.deleted);
		check(strcmp(rctx.uri, st.uri1) == 0, "restart: L1 kept its URI (%s)", rctx.uri);
		conf_summary(c, sum, sizeof(sum));
		check(strcmp(sum, "r1:1") == 0, "restart: CONF_LIST is r1:1 (%s)", sum);
		ctl_client_detach(c);
		return failures ? 1 : 0;
	}
	if (strcmp(argv[3], "survive") == 0) {
		uint64_t gen;

		rc = ctl_client_resync(c, &ops, &rctx, 0, 5000, &end);
		check(rc == 0 && end.confirmed == 2, "survive: resync before the restart");
		gen = ctl_client_generation(c);
		printf("# ready\n");
		fflush(stdout);
		for (int i = 0; i < 600 && !ctl_client_gen_changed(c); i++)
			usleep(50000);
		check(ctl_client_gen_changed(c),
		      "survive: the channel reports the data-plane restart");
		check(ctl_client_wait_dp(c, 10000) == 0, "survive: the new data plane is up");
		memset(&rctx, 0, sizeof(rctx));
		rctx.st = &st;
		rc = ctl_client_resync(c, &ops, &rctx, 0, 5000, &end);
		check(rc == 0 && rctx.held == 0,
		      "survive: resync into the new data plane (held %u: it came back empty)",
		      rctx.held);
		check(ctl_client_generation(c) != gen,
		      "survive: client adopted the new generation");
		check(strcmp(rctx.uri, st.uri1) == 0,
		      "survive: L1 replayed with its session-id, same URI (%s)", rctx.uri);
		conf_summary(c, sum, sizeof(sum));
		check(strcmp(sum, "r1:1") == 0, "survive: CONF_LIST is r1:1 (%s)", sum);
		ctl_client_detach(c);
		return failures ? 1 : 0;
	}
	fprintf(stderr, "dp_resync_client: unknown phase %s\n", argv[3]);
	return 2;
}
