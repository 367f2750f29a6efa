/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel handlers of the data plane (docs/ctl-abi.md, docs/dataplane.md): conference
 * and leg commands applied to the switch engine, ownership recorded in the ctl registry so
 * resync works, and worker events posted to the slot that owns the leg.
 *
 * Thread-safety: everything here runs on the control thread (inside ctl_server_poll() or
 * the control step that drains the workers' event rings).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_server.h"
#include "daemon/dpd.h"
#include "log/log.h"
#include "switch/sw.h"
#include "worker/wk.h"

LOG_TYPE_DEFINE(dpd_ctl_log, "msw.dp.ctl")

/* Registry key of a leg: "<conference id>/<session-id>". */
static uint16_t
dpd_leg_obj_key(const struct msw_ctl_leg_key *k, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%.*s/%.*s", (int)k->conf.len, k->conf.id,
	                 (int)k->session_id_len, k->session_id);

	return n < 0 || (size_t)n >= cap ? 0 : (uint16_t)n;
}

static int
dpd_blob_span(struct ctl_server_req *req, const struct msw_ctl_blob_ref *ref, struct msrp_span *out)
{
	const void *data;
	int n;

	out->p = NULL;
	out->len = 0;
	if (ref->len == 0)
		return 0;
	n = ctl_server_req_blob(req, ref, &data);
	if (n < 0)
		return n;
	out->p = data;
	out->len = (size_t)n;
	return 0;
}

static bool
dpd_conf_id_ok(const struct msw_ctl_conf_id *id)
{
	return msw_ctl_conf_id_valid(id->id, id->len);
}

static bool
dpd_leg_key_ok(const struct msw_ctl_leg_key *k)
{
	return dpd_conf_id_ok(&k->conf) && k->session_id_len > 0 &&
	       k->session_id_len <= MSW_CTL_SESSION_MAX;
}

/* Wraps a handler's result into the counters and a log line for refusals. */
static int
dpd_done(struct dpd *d, const char *what, const struct msw_ctl_conf_id *id, int rc)
{
	if (rc < 0) {
		dpd_cnt_add(d, DPD_CNT_CMDS_FAILED, 1);
		LOG(dpd_ctl_log, INFO, "%s %.*s refused: %s", what, id != NULL ? (int)id->len : 0,
		    id != NULL ? id->id : "", strerror(-rc));
	} else {
		dpd_cnt_add(d, DPD_CNT_CMDS, 1);
	}
	return rc;
}

static int
dpd_conf_create(struct ctl_server_req *req, void *arg)
{
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_conf_create *cc = ctl_server_req_payload(req, &len);
	struct sw_conf_opts opts;
	int own, rc;

	if (len < MSW_CTL_CONF_CREATE_V1_LEN || !dpd_conf_id_ok(&cc->conf) ||
	    cc->cpim_policy > MSW_CTL_CPIM_OFF)
		return dpd_done(d, "CONF_CREATE", NULL, -EINVAL);
	memset(&opts, 0, sizeof(opts));
	/* v2: the focus names the conference URI (payloads are zero-filled past len). */
	if (len >= sizeof(*cc) && dpd_blob_span(req, &cc->uri, &opts.uri) != 0)
		return dpd_done(d, "CONF_CREATE", &cc->conf, -EINVAL);
	if (dpd_draining(d) && !ctl_server_req_is_replay(req))
		return dpd_done(d, "CONF_CREATE", &cc->conf, -ESHUTDOWN);
	own = ctl_server_obj_add(req, MSW_CTL_OBJ_CONF, cc->conf.id, cc->conf.len, 0);
	if (own < 0)
		return dpd_done(d, "CONF_CREATE", &cc->conf, own);
	rc = sw_conf_create(dpd_engine(d), cc, &opts);
	if (rc == -EEXIST && own == 1)
		rc = 0; /* a resync replay of what we still hold */
	if (rc != 0 && own == 0)
		ctl_server_obj_del(ctl_server_req_server(req), MSW_CTL_OBJ_CONF, cc->conf.id,
		                   cc->conf.len);
	return dpd_done(d, "CONF_CREATE", &cc->conf, rc);
}

/* The keys of a conference's legs, collected before the engine deletes them (control path). */
struct dpd_leg_keys {
	struct msw_ctl_leg_key *k;
	uint32_t n, cap;
};

static int
dpd_collect_leg(void *arg, const struct sw_leg_info *li)
{
	struct dpd_leg_keys *ks = arg;

	if (ks->n == ks->cap) {
		uint32_t cap = ks->cap ? ks->cap * 2 : 16;
		struct msw_ctl_leg_key *k = realloc(ks->k, sizeof(*k) * cap);

		if (k == NULL)
			return 1;
		ks->k = k;
		ks->cap = cap;
	}
	ks->k[ks->n++] = li->key;
	return 0;
}

static void
dpd_collect_legs(struct dpd *d, const struct msw_ctl_conf_id *id, struct dpd_leg_keys *ks)
{
	memset(ks, 0, sizeof(*ks));
	sw_leg_foreach(dpd_engine(d), id, dpd_collect_leg, ks);
}

/* Forgets the registry entries of collected legs and frees the list. */
static void
dpd_forget_legs(struct ctl_server *s, struct dpd_leg_keys *ks)
{
	char key[MSW_CTL_OBJ_KEY_MAX];

	for (uint32_t i = 0; i < ks->n; i++) {
		uint16_t kl = dpd_leg_obj_key(&ks->k[i], key, sizeof(key));

		if (kl != 0)
			ctl_server_obj_del(s, MSW_CTL_OBJ_LEG, key, kl);
	}
	free(ks->k);
	ks->k = NULL;
	ks->n = ks->cap = 0;
}

/*
 * Deletes a conference: the engine first, then its events (EV_LEG_CLOSED) are posted while
 * the registry still names the legs' owner, then the registry entries go.
 */
static int
dpd_conf_remove(struct dpd *d, struct ctl_server *s, const struct msw_ctl_conf_id *id,
                bool forget_conf)
{
	struct dpd_leg_keys ks;
	int rc;

	dpd_collect_legs(d, id, &ks);
	rc = sw_conf_del(dpd_engine(d), id, 0);
	dpd_flush_events(d);
	dpd_forget_legs(s, &ks);
	if (forget_conf)
		ctl_server_obj_del(s, MSW_CTL_OBJ_CONF, id->id, id->len);
	return rc;
}

static int
dpd_conf_del(struct ctl_server_req *req, void *arg)
{
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_conf_del *cd = ctl_server_req_payload(req, &len);
	struct ctl_server *s = ctl_server_req_server(req);
	int rc;

	if (len < sizeof(*cd) || !dpd_conf_id_ok(&cd->conf))
		return dpd_done(d, "CONF_DEL", NULL, -EINVAL);
	rc = dpd_conf_remove(d, s, &cd->conf, true);
	return dpd_done(d, "CONF_DEL", &cd->conf, rc);
}

static void
dpd_addr_format(const struct msw_ctl_addr *a, char *buf, size_t cap, struct msrp_span *out)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	out->p = NULL;
	out->len = 0;
	if (a->family == AF_INET && inet_ntop(AF_INET, a->addr, ip, sizeof(ip)) != NULL)
		n = snprintf(buf, cap, "%s:%u", ip, a->port);
	else if (a->family == AF_INET6 && inet_ntop(AF_INET6, a->addr, ip, sizeof(ip)) != NULL)
		n = snprintf(buf, cap, "[%s]:%u", ip, a->port);
	else
		return;
	if (n > 0 && (size_t)n < cap) {
		out->p = (const uint8_t *)buf;
		out->len = (size_t)n;
	}
}

static int
dpd_reply_uri(struct ctl_server_req *req, const struct msrp_span uri)
{
	struct msw_ctl_leg_add_r r;
	struct ctl_blob_src b = {
	        .data = uri.p,
	        .len = (uint32_t)uri.len,
	        .cls = MSW_CTL_BLOB_CTL,
	        .ref_off = offsetof(struct msw_ctl_leg_add_r, local_uri),
	};

	memset(&r, 0, sizeof(r));
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, 1);
}

/*
 * LEG_ADD v2: the accept_types blob is "<accept-types>[\n<accept-wrapped-types>]" (the two
 * SDP attribute values; LF cannot occur in either, RFC 4975 §9 format-list).
 */
static void
dpd_accept_split(struct msrp_span *types, struct msrp_span *wrapped)
{
	const uint8_t *lf = types->len > 0 ? memchr(types->p, '\n', types->len) : NULL;

	wrapped->p = NULL;
	wrapped->len = 0;
	if (lf == NULL)
		return;
	wrapped->p = lf + 1;
	wrapped->len = types->len - (size_t)(lf + 1 - types->p);
	types->len = (size_t)(lf - types->p);
}

static int
dpd_leg_add(struct ctl_server_req *req, void *arg)
{
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_leg_add *la = ctl_server_req_payload(req, &len);
	struct sw_leg_params lp;
	struct msw_ctl_leg_key key;
	struct sw_leg_info li;
	char uri[256], connect[64], okey[MSW_CTL_OBJ_KEY_MAX];
	uint16_t kl;
	int rc;

	if (len < sizeof(*la) || !dpd_conf_id_ok(&la->leg.conf) ||
	    la->leg.session_id_len > MSW_CTL_SESSION_MAX || la->setup > MSW_CTL_SETUP_ACTIVE ||
	    la->direction > MSW_CTL_DIR_RECVONLY || (la->flags & ~MSW_CTL_LEG_F_ALL) != 0)
		return dpd_done(d, "LEG_ADD", NULL, -EINVAL);
	if (dpd_draining(d) && !ctl_server_req_is_replay(req))
		return dpd_done(d, "LEG_ADD", &la->leg.conf, -ESHUTDOWN);
	/* A replay of a leg we still hold: confirm it and give its URI back. */
	if (la->leg.session_id_len > 0 && sw_leg_get(dpd_engine(d), &la->leg, &li) == 0) {
		kl = dpd_leg_obj_key(&la->leg, okey, sizeof(okey));
		rc = ctl_server_obj_add(req, MSW_CTL_OBJ_LEG, okey, kl, 0);
		if (rc < 0)
			return dpd_done(d, "LEG_ADD", &la->leg.conf, rc == -EEXIST ? -EEXIST : rc);
		dpd_done(d, "LEG_ADD", &la->leg.conf, 0);
		return dpd_reply_uri(req, li.local_uri);
	}
	memset(&lp, 0, sizeof(lp));
	lp.conf = la->leg.conf;
	if (dpd_blob_span(req, &la->path, &lp.path) != 0 ||
	    dpd_blob_span(req, &la->identity, &lp.identity) != 0 ||
	    dpd_blob_span(req, &la->alias, &lp.alias) != 0 ||
	    dpd_blob_span(req, &la->accept_types, &lp.accept_types) != 0)
		return dpd_done(d, "LEG_ADD", &la->leg.conf, -EINVAL);
	if (lp.identity.len == 0)
		return dpd_done(d, "LEG_ADD", &la->leg.conf, -EINVAL);
	dpd_accept_split(&lp.accept_types, &lp.accept_wrapped_types);
	if (lp.accept_types.len == 0) /* RFC 4975 §8.6: a=accept-types is mandatory; "*" = any */
		lp.accept_types = (struct msrp_span){(const uint8_t *)"*", 1};
	lp.max_size = la->max_size;
	lp.anonymous = la->anonymous != 0;
	lp.send_only = la->direction == MSW_CTL_DIR_SENDONLY;
	lp.recv_only = la->direction == MSW_CTL_DIR_RECVONLY;
	lp.history = (la->flags & MSW_CTL_LEG_F_HISTORY) != 0;
	lp.active = la->setup == MSW_CTL_SETUP_ACTIVE;
	lp.lcore = lp.active ? dpd_next_dial_lcore(d) : 0;
	lp.session_id =
	        (struct msrp_span){(const uint8_t *)la->leg.session_id, la->leg.session_id_len};
	dpd_addr_format(&la->connect, connect, sizeof(connect), &lp.connect);
	if (la->connect.family != 0 && lp.connect.len == 0)
		return dpd_done(d, "LEG_ADD", &la->leg.conf, -EINVAL);
	rc = sw_leg_add(dpd_engine(d), &lp, uri, sizeof(uri), &key);
	if (rc != 0)
		return dpd_done(d, "LEG_ADD", &la->leg.conf, rc);
	kl = dpd_leg_obj_key(&key, okey, sizeof(okey));
	rc = kl == 0 ? -EINVAL : ctl_server_obj_add(req, MSW_CTL_OBJ_LEG, okey, kl, 0);
	if (rc < 0) {
		sw_leg_del(dpd_engine(d), &key, 0);
		return dpd_done(d, "LEG_ADD", &la->leg.conf, rc);
	}
	dpd_done(d, "LEG_ADD", &la->leg.conf, 0);
	return dpd_reply_uri(req, (struct msrp_span){(const uint8_t *)uri, strlen(uri)});
}

static int
dpd_leg_set(struct ctl_server_req *req, void *arg)
{
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_leg_set *ls = ctl_server_req_payload(req, &len);
	struct sw_leg_set_params sp;
	char connect[64];

	if (len < sizeof(*ls) || !dpd_leg_key_ok(&ls->leg))
		return dpd_done(d, "LEG_SET", NULL, -EINVAL);
	memset(&sp, 0, sizeof(sp));
	sp.what = ls->what;
	if (dpd_blob_span(req, &ls->path, &sp.path) != 0)
		return dpd_done(d, "LEG_SET", &ls->leg.conf, -EINVAL);
	if (ls->what & MSW_CTL_LEG_SET_CONNECT) {
		dpd_addr_format(&ls->connect, connect, sizeof(connect), &sp.connect);
		if (ls->connect.family != 0 && sp.connect.len == 0)
			return dpd_done(d, "LEG_SET", &ls->leg.conf, -EINVAL);
	}
	return dpd_done(d, "LEG_SET", &ls->leg.conf, sw_leg_set(dpd_engine(d), &ls->leg, &sp));
}

static int
dpd_leg_del(struct ctl_server_req *req, void *arg)
{
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_leg_del *ld = ctl_server_req_payload(req, &len);
	char okey[MSW_CTL_OBJ_KEY_MAX];
	uint16_t kl;
	int rc;

	if (len < sizeof(*ld) || !dpd_leg_key_ok(&ld->leg))
		return dpd_done(d, "LEG_DEL", NULL, -EINVAL);
	rc = sw_leg_del(dpd_engine(d), &ld->leg, 0);
	dpd_flush_events(d); /* EV_LEG_CLOSED reaches the owner before it is forgotten */
	kl = dpd_leg_obj_key(&ld->leg, okey, sizeof(okey));
	if (kl != 0)
		ctl_server_obj_del(ctl_server_req_server(req), MSW_CTL_OBJ_LEG, okey, kl);
	return dpd_done(d, "LEG_DEL", &ld->leg.conf, rc);
}

/* ---- listings ---- */

#define DPD_PAGE_BYTES 16384u

struct dpd_page {
	uint8_t buf[DPD_PAGE_BYTES];
	uint32_t len, skip, max, count, seen;
	bool full;
};

static int
dpd_page_conf(void *arg, const struct sw_conf_info *ci)
{
	struct dpd_page *pg = arg;
	struct msw_ctl_conf_entry e;

	if (pg->seen++ < pg->skip)
		return 0;
	if (pg->count == pg->max || pg->len + sizeof(e) > sizeof(pg->buf)) {
		pg->full = true;
		return 1;
	}
	memset(&e, 0, sizeof(e));
	e.conf = ci->id;
	e.max_legs = ci->max_legs;
	e.n_legs = ci->n_legs;
	e.max_size = ci->max_size;
	e.cpim_policy = ci->cpim_policy;
	e.flags = ci->flags;
	memcpy(pg->buf + pg->len, &e, sizeof(e));
	pg->len += sizeof(e);
	pg->count++;
	return 0;
}

static int
dpd_page_leg(void *arg, const struct sw_leg_info *li)
{
	struct dpd_page *pg = arg;
	struct msw_ctl_leg_entry e;
	const struct msrp_span t[] = {
	        {(const uint8_t *)li->key.session_id, li->key.session_id_len},
	        li->local_uri,
	        li->path,
	        li->identity,
	        li->alias,
	        li->accept_types,
	        li->accept_wrapped_types,
	};
	uint32_t rec = sizeof(e);

	if (pg->seen++ < pg->skip)
		return 0;
	for (size_t i = 0; i < RTE_DIM(t); i++)
		rec += (uint32_t)t[i].len;
	rec = (rec + 7u) & ~7u;
	if (pg->count == pg->max || pg->len + rec > sizeof(pg->buf) || rec > UINT16_MAX) {
		pg->full = true;
		return 1;
	}
	memset(&e, 0, sizeof(e));
	e.rec_len = (uint16_t)rec;
	e.state = li->state;
	e.setup = li->active ? MSW_CTL_SETUP_ACTIVE : MSW_CTL_SETUP_PASSIVE;
	e.anonymous = li->anonymous;
	e.direction = li->send_only   ? MSW_CTL_DIR_SENDONLY
	              : li->recv_only ? MSW_CTL_DIR_RECVONLY
	                              : MSW_CTL_DIR_SENDRECV;
	e.flags = li->history ? MSW_CTL_LEG_F_HISTORY : 0;
	e.lcore = li->lcore;
	e.max_size = li->max_size;
	e.session_id_len = (uint16_t)t[0].len;
	e.local_uri_len = (uint16_t)t[1].len;
	e.path_len = (uint16_t)t[2].len;
	e.identity_len = (uint16_t)t[3].len;
	e.alias_len = (uint16_t)t[4].len;
	e.accept_types_len = (uint16_t)t[5].len;
	e.accept_wrapped_types_len = (uint16_t)t[6].len;
	memset(pg->buf + pg->len, 0, rec);
	memcpy(pg->buf + pg->len, &e, sizeof(e));
	{
		uint32_t off = pg->len + sizeof(e);

		for (size_t i = 0; i < RTE_DIM(t); i++) {
			if (t[i].len > 0)
				memcpy(pg->buf + off, t[i].p, t[i].len);
			off += (uint32_t)t[i].len;
		}
	}
	pg->len += rec;
	pg->count++;
	return 0;
}

static int
dpd_list_reply(struct ctl_server_req *req, struct dpd_page *pg)
{
	struct msw_ctl_list_r r;
	struct ctl_blob_src b = {
	        .data = pg->buf,
	        .len = pg->len,
	        .cls = MSW_CTL_BLOB_CTL,
	        .ref_off = offsetof(struct msw_ctl_list_r, entries),
	};

	memset(&r, 0, sizeof(r));
	r.count = pg->count;
	r.next_cursor = pg->full ? pg->skip + pg->count : MSW_CTL_CURSOR_END;
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, pg->len > 0 ? 1 : 0);
}

static int
dpd_conf_list(struct ctl_server_req *req, void *arg)
{
	static struct dpd_page pg; /* control thread only; 16 KiB off the stack */
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_list *l = ctl_server_req_payload(req, &len);

	if (len < sizeof(*l) || l->cursor == MSW_CTL_CURSOR_END)
		return -EINVAL;
	memset(&pg, 0, offsetof(struct dpd_page, len));
	pg.len = pg.count = pg.seen = 0;
	pg.full = false;
	pg.skip = l->cursor;
	pg.max = l->max != 0 ? l->max : UINT32_MAX;
	sw_conf_foreach(dpd_engine(d), dpd_page_conf, &pg);
	return dpd_list_reply(req, &pg);
}

static int
dpd_leg_list(struct ctl_server_req *req, void *arg)
{
	static struct dpd_page pg;
	struct dpd *d = arg;
	uint32_t len;
	const struct msw_ctl_list *l = ctl_server_req_payload(req, &len);
	int rc;

	if (len < sizeof(*l) || l->cursor == MSW_CTL_CURSOR_END || !dpd_conf_id_ok(&l->conf))
		return -EINVAL;
	pg.len = pg.count = pg.seen = 0;
	pg.full = false;
	pg.skip = l->cursor;
	pg.max = l->max != 0 ? l->max : UINT32_MAX;
	rc = sw_leg_foreach(dpd_engine(d), &l->conf, dpd_page_leg, &pg);
	if (rc < 0)
		return rc;
	return dpd_list_reply(req, &pg);
}

/* ---- resync: objects the owner did not replay ---- */

static void
dpd_obj_gone(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len, uint64_t user,
             void *arg)
{
	struct dpd *d = arg;

	(void)user;
	if (kind == MSW_CTL_OBJ_CONF && key_len <= MSW_CTL_CONF_ID_MAX) {
		struct msw_ctl_conf_id id;

		memset(&id, 0, sizeof(id));
		memcpy(id.id, key, key_len);
		id.len = (uint8_t)key_len;
		/* The registry drops this conference's own entry itself (resync end). */
		if (dpd_conf_remove(d, s, &id, false) == 0)
			dpd_cnt_add(d, DPD_CNT_RESYNC_DELETED, 1);
	} else if (kind == MSW_CTL_OBJ_LEG) {
		const char *k = key, *slash = memchr(k, '/', key_len);
		struct msw_ctl_leg_key lk;
		size_t cl, sl;

		if (slash == NULL)
			return;
		cl = (size_t)(slash - k);
		sl = key_len - cl - 1;
		if (cl == 0 || cl > MSW_CTL_CONF_ID_MAX || sl == 0 || sl > MSW_CTL_SESSION_MAX)
			return;
		memset(&lk, 0, sizeof(lk));
		memcpy(lk.conf.id, k, cl);
		lk.conf.len = (uint8_t)cl;
		memcpy(lk.session_id, slash + 1, sl);
		lk.session_id_len = (uint8_t)sl;
		if (sw_leg_del(dpd_engine(d), &lk, 0) == 0)
			dpd_cnt_add(d, DPD_CNT_RESYNC_DELETED, 1);
	}
}

int
dpd_ctl_register(struct dpd *d, struct ctl_server *s)
{
	static const struct {
		uint16_t type;
		ctl_server_handler *fn;
	} h[] = {
	        {MSW_CTL_CONF_CREATE, dpd_conf_create}, {MSW_CTL_CONF_DEL, dpd_conf_del},
	        {MSW_CTL_CONF_LIST, dpd_conf_list},     {MSW_CTL_LEG_ADD, dpd_leg_add},
	        {MSW_CTL_LEG_SET, dpd_leg_set},         {MSW_CTL_LEG_DEL, dpd_leg_del},
	        {MSW_CTL_LEG_LIST, dpd_leg_list},
	};

	for (size_t i = 0; i < RTE_DIM(h); i++) {
		int rc = ctl_server_register(s, h[i].type, h[i].fn, d);

		if (rc != 0)
			return rc;
	}
	ctl_server_set_obj_del(s, MSW_CTL_OBJ_CONF, dpd_obj_gone, d);
	ctl_server_set_obj_del(s, MSW_CTL_OBJ_LEG, dpd_obj_gone, d);
	return 0;
}

/* ---- events ---- */

/* The slot that owns the leg, else its conference; UINT32_MAX if nobody. */
static uint32_t
dpd_owner_slot(struct ctl_server *s, const struct msw_ctl_leg_key *k)
{
	struct ctl_server_obj o;
	char okey[MSW_CTL_OBJ_KEY_MAX];
	uint16_t kl = dpd_leg_obj_key(k, okey, sizeof(okey));

	if (kl != 0 && ctl_server_obj_lookup(s, MSW_CTL_OBJ_LEG, okey, kl, &o) == 0 &&
	    o.owner_slot != UINT16_MAX)
		return o.owner_slot;
	if (ctl_server_obj_lookup(s, MSW_CTL_OBJ_CONF, k->conf.id, k->conf.len, &o) == 0 &&
	    o.owner_slot != UINT16_MAX)
		return o.owner_slot;
	return UINT32_MAX;
}

void
dpd_evt_forward(void *arg, const struct wk_evt *ev)
{
	struct dpd *d = arg;
	struct ctl_server *s = dpd_ctl(d);
	struct ctl_blob_src b[2];
	unsigned int nb = 0;
	const void *payload;
	uint32_t plen, slot;
	uint8_t ver;
	int rc;

	switch (ev->type) {
	case MSW_CTL_EV_LEG_BOUND:
	case MSW_CTL_EV_LEG_CLOSED:
		payload = &ev->u.leg;
		plen = sizeof(ev->u.leg);
		ver = MSW_CTL_VER_EV_LEG;
		slot = dpd_owner_slot(s, &ev->u.leg.leg);
		break;
	case MSW_CTL_EV_MSG_DONE:
	case MSW_CTL_EV_HISTORY:
		payload = &ev->u.msg;
		plen = sizeof(ev->u.msg);
		ver = MSW_CTL_VER_EV_MSG;
		slot = dpd_owner_slot(s, &ev->u.msg.leg);
		if (ev->type == MSW_CTL_EV_HISTORY) {
			b[nb++] = (struct ctl_blob_src){
			        ev->detail + ev->ct_len, ev->detail_len - ev->ct_len,
			        MSW_CTL_BLOB_HISTORY, offsetof(struct msw_ctl_ev_msg, body)};
			b[nb++] = (struct ctl_blob_src){
			        ev->detail, ev->ct_len, MSW_CTL_BLOB_HISTORY,
			        offsetof(struct msw_ctl_ev_msg, content_type)};
		}
		break;
	case MSW_CTL_EV_FINAL_REPORT:
		payload = &ev->u.report;
		plen = sizeof(ev->u.report);
		ver = MSW_CTL_VER_EV_REPORT;
		slot = dpd_owner_slot(s, &ev->u.report.leg);
		b[nb++] = (struct ctl_blob_src){ev->detail, ev->detail_len, MSW_CTL_BLOB_REPORT,
		                                offsetof(struct msw_ctl_ev_report, detail)};
		break;
	default:
		return;
	}
	if (slot == UINT32_MAX) {
		dpd_cnt_add(d, DPD_CNT_EVT_NO_OWNER, 1);
		return;
	}
	rc = ctl_server_evt_post(s, slot, ev->type, ver, payload, plen, b, nb);
	dpd_cnt_add(d, rc == 0 ? DPD_CNT_EVT_POSTED : DPD_CNT_EVT_POST_FAILED, 1);
}
