/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the control-channel tests: a unique instance per test process, small server
 * geometry, and real handlers that keep conferences and legs in the server's ownership registry
 * (the conference engine comes later; these handlers store real entries, nothing is faked).
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_server.h"

static char test_instance[32];

static inline const char *
test_ctl_instance(void)
{
	if (test_instance[0] == '\0')
		snprintf(test_instance, sizeof(test_instance), "ctltest-%d", (int)getpid());
	return test_instance;
}

static inline void
test_ctl_unlink(void)
{
	char name[64];

	snprintf(name, sizeof(name), "/msw.%s", test_ctl_instance());
	shm_unlink(name);
}

static inline void
test_ctl_params(struct ctl_server_params *p)
{
	ctl_server_params_default(p);
	p->instance = test_ctl_instance();
	p->n_slots = 8;
	p->ring_cap = 16;
	p->blob_c2d = 4096;
	p->blob_d2c = 4096;
	p->blob_budget[MSW_CTL_BLOB_HISTORY] = 2048;
	p->blob_budget[MSW_CTL_BLOB_REPORT] = 1024;
	p->max_objects = 64;
	p->liveness_ms = 5;
}

static inline struct msw_ctl_conf_id
test_conf_id(const char *s)
{
	struct msw_ctl_conf_id id;

	memset(&id, 0, sizeof(id));
	id.len = (uint8_t)strlen(s);
	memcpy(id.id, s, id.len);
	return id;
}

static inline uint16_t
test_leg_key(const struct msw_ctl_leg_key *leg, char *key)
{
	memcpy(key, leg->conf.id, leg->conf.len);
	key[leg->conf.len] = '/';
	memcpy(key + leg->conf.len + 1, leg->session_id, leg->session_id_len);
	return (uint16_t)(leg->conf.len + 1 + leg->session_id_len);
}

/* ---- server side: handlers storing real registry entries ---- */

struct test_srv_state {
	unsigned int created;
	unsigned int confirmed;
	unsigned int deleted_by_resync;
	char last_deleted[MSW_CTL_OBJ_KEY_MAX + 1];
};

static inline int
test_h_conf_create(struct ctl_server_req *req, void *arg)
{
	struct test_srv_state *st = arg;
	struct msw_ctl_conf_create q;
	uint32_t len;
	const void *p = ctl_server_req_payload(req, &len);
	int rc;

	if (len < sizeof(q))
		return -EINVAL;
	memcpy(&q, p, sizeof(q));
	if (!msw_ctl_conf_id_valid(q.conf.id, q.conf.len) || q.cpim_policy > MSW_CTL_CPIM_OFF)
		return -EINVAL;
	rc = ctl_server_obj_add(req, MSW_CTL_OBJ_CONF, q.conf.id, q.conf.len, q.max_legs);
	if (rc == 0)
		st->created++;
	else if (rc == 1)
		st->confirmed++;
	return rc < 0 ? rc : 0;
}

static inline int
test_h_conf_del(struct ctl_server_req *req, void *arg)
{
	struct msw_ctl_conf_del q;
	uint32_t len;
	const void *p = ctl_server_req_payload(req, &len);
	struct ctl_server *s = ctl_server_req_server(req);
	struct ctl_server_obj o;

	(void)arg;
	if (len < sizeof(q))
		return -EINVAL;
	memcpy(&q, p, sizeof(q));
	if (ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, q.conf.id, q.conf.len, &o) != 0)
		return -ENOENT;
	if (strncmp(o.owner, ctl_server_req_client(req), MSW_CTL_CLIENT_NAME) != 0)
		return -EPERM; /* only the owner deletes */
	return ctl_server_obj_del(s, MSW_CTL_OBJ_CONF, q.conf.id, q.conf.len);
}

/* LEG_ADD: the conference must exist; path and identity blobs are read and echoed into the
 * reply's local URI so the test sees both blob directions. */
static inline int
test_h_leg_add(struct ctl_server_req *req, void *arg)
{
	struct test_srv_state *st = arg;
	struct ctl_server *s = ctl_server_req_server(req);
	struct msw_ctl_leg_add q;
	struct msw_ctl_leg_add_r r;
	uint32_t len;
	const void *p = ctl_server_req_payload(req, &len);
	const void *path = NULL, *ident = NULL;
	int plen = 0, ilen = 0, rc;
	char key[MSW_CTL_OBJ_KEY_MAX];
	char uri[256];
	uint16_t klen;
	struct ctl_blob_src b;

	if (len < sizeof(q))
		return -EINVAL;
	memcpy(&q, p, sizeof(q));
	if (!msw_ctl_conf_id_valid(q.leg.conf.id, q.leg.conf.len) || q.leg.session_id_len == 0 ||
	    q.leg.session_id_len > MSW_CTL_SESSION_MAX)
		return -EINVAL;
	if (q.path.gen != 0) {
		plen = ctl_server_req_blob(req, &q.path, &path);
		if (plen < 0)
			return plen;
	}
	if (q.identity.gen != 0) {
		ilen = ctl_server_req_blob(req, &q.identity, &ident);
		if (ilen < 0)
			return ilen;
	}
	if (ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, q.leg.conf.id, q.leg.conf.len, NULL) != 0)
		return -ENOENT;
	klen = test_leg_key(&q.leg, key);
	rc = ctl_server_obj_add(req, MSW_CTL_OBJ_LEG, key, klen, 0);
	if (rc < 0)
		return rc;
	if (rc == 0)
		st->created++;
	else
		st->confirmed++;
	memset(&r, 0, sizeof(r));
	r.leg_handle = 1000 + st->created;
	snprintf(uri, sizeof(uri), "msrp://127.0.0.1:2855/%.*s;tcp peer=%.*s id=%.*s",
	         (int)q.leg.session_id_len, q.leg.session_id, plen, (const char *)path, ilen,
	         (const char *)ident);
	b = (struct ctl_blob_src){.data = uri,
	                          .len = (uint32_t)strlen(uri),
	                          .cls = MSW_CTL_BLOB_CTL,
	                          .ref_off = offsetof(struct msw_ctl_leg_add_r, local_uri)};
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, 1);
}

static inline void
test_obj_deleted(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len,
                 uint64_t user, void *arg)
{
	struct test_srv_state *st = arg;

	(void)s;
	(void)kind;
	(void)user;
	st->deleted_by_resync++;
	memcpy(st->last_deleted, key, key_len);
	st->last_deleted[key_len] = '\0';
}

static inline void
test_srv_register(struct ctl_server *s, struct test_srv_state *st)
{
	ctl_server_register(s, MSW_CTL_CONF_CREATE, test_h_conf_create, st);
	ctl_server_register(s, MSW_CTL_CONF_DEL, test_h_conf_del, st);
	ctl_server_register(s, MSW_CTL_LEG_ADD, test_h_leg_add, st);
	ctl_server_set_obj_del(s, MSW_CTL_OBJ_CONF, test_obj_deleted, st);
	ctl_server_set_obj_del(s, MSW_CTL_OBJ_LEG, test_obj_deleted, st);
}

/* Serves until every pid in pids has exited; stores their exit codes (-1: killed). */
static inline void
test_serve_until_exit(struct ctl_server *s, pid_t *pids, int *codes, int n)
{
	int left = n, i;

	for (i = 0; i < n; i++)
		codes[i] = -2;
	while (left > 0) {
		ctl_server_poll(s, 64);
		ctl_server_wait(s, 2);
		for (i = 0; i < n; i++) {
			int status;

			if (codes[i] != -2 || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			left--;
		}
	}
	ctl_server_poll(s, 64); /* notice the last deaths' effects promptly */
}

/* ---- client side ---- */

static inline int
test_conf_create(struct ctl_client *c, const char *id)
{
	struct msw_ctl_conf_create q;

	memset(&q, 0, sizeof(q));
	q.conf = test_conf_id(id);
	q.max_legs = 10;
	q.cpim_policy = MSW_CTL_CPIM_WRAP;
	return ctl_client_call(c, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &q, sizeof(q), NULL,
	                       0, NULL, 2000);
}

static inline int
test_leg_add(struct ctl_client *c, const char *conf, const char *session, struct ctl_msg *reply)
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
	q.leg.conf = test_conf_id(conf);
	q.leg.session_id_len = (uint8_t)strlen(session);
	memcpy(q.leg.session_id, session, q.leg.session_id_len);
	q.setup = MSW_CTL_SETUP_PASSIVE;
	return ctl_client_call(c, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &q, sizeof(q), b, 2, reply,
	                       2000);
}
