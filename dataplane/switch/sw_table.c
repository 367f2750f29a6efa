/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conference and leg tables (control thread side) and engine lifetime.
 *
 * Two liburcu lock-free hash tables (lfht, QSBR flavour): conferences by id, legs by local
 * session-id. Only the control thread adds and removes; lcores look up under QSBR without
 * locks. A membership change publishes a whole new immutable member array (RCU), so an lcore
 * fanning out a chunk sees either the old or the new membership, never a torn one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fdr/fdr.h"
#include "switch/sw_pvt.h"

void
sw_params_default(struct sw_params *p)
{
	*p = (struct sw_params){
	        .max_legs = 1024,
	        .max_conf_legs = 128,
	        .max_conns = 256,
	        .max_msgs = 256,
	        .max_tx = 4096,
	        .rechunk_bytes = 2048,
	        .max_msg_bytes = 16u * 1024u * 1024u,
	        .tx_timeout_ms = 30000,
	        .final_report_timeout_ms = 30000,
	        .final_report_max_bytes = 0, /* FDR_DOC_MAX */
	        .slow_policy = SW_SLOW_DROP,
	        .n_lcores = 1,
	        .max_xfer = 4096,
	        .max_header_bytes = MSRP_DEFAULT_MAX_HEADER_BYTES,
	        .max_chunk_bytes = MSRP_DEFAULT_MAX_BODY_BYTES,
	        .local_authority = "127.0.0.1:2855",
	        .id_seed = NULL,
	};
}

struct sw_key {
	const uint8_t *p;
	size_t len;
};

static int
sw_conf_match(struct cds_lfht_node *n, const void *key)
{
	const struct sw_conf *c = caa_container_of(n, struct sw_conf, node);
	const struct sw_key *k = key;

	return c->id.len == k->len && memcmp(c->id.id, k->p, k->len) == 0;
}

static int
sw_leg_match(struct cds_lfht_node *n, const void *key)
{
	const struct sw_leg *l = caa_container_of(n, struct sw_leg, node);
	const struct sw_key *k = key;

	return k->len == SW_SID_LEN && memcmp(l->sid, k->p, SW_SID_LEN) == 0;
}

static struct sw_conf *
sw_conf_lookup(struct sw_engine *e, const struct msw_ctl_conf_id *id)
{
	struct sw_key k = {.p = (const uint8_t *)id->id, .len = id->len};
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(e->confs, sw_span_hash(k.p, k.len, e->hash_seed), sw_conf_match, &k, &it);
	n = cds_lfht_iter_get_node(&it);
	return n != NULL ? caa_container_of(n, struct sw_conf, node) : NULL;
}

/* Caller: QSBR online (any lcore, or the control thread). */
struct sw_leg *
sw_leg_lookup_sid(struct sw_engine *e, const uint8_t *sid, size_t len)
{
	struct sw_key k = {.p = sid, .len = len};
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (len != SW_SID_LEN)
		return NULL;
	cds_lfht_lookup(e->legs_ht, sw_span_hash(sid, len, e->hash_seed), sw_leg_match, &k, &it);
	n = cds_lfht_iter_get_node(&it);
	return n != NULL ? caa_container_of(n, struct sw_leg, node) : NULL;
}

static void
sw_free_rcu_members(struct rcu_head *h)
{
	free(caa_container_of(h, struct sw_members, rcu));
}

static void
sw_free_rcu_conf(struct rcu_head *h)
{
	struct sw_conf *c = caa_container_of(h, struct sw_conf, rcu);

	free(c->members);
	free(c);
}

/* Leg slots return to the free list only after a grace period (lfht node reuse). */
static void
sw_free_rcu_leg(struct rcu_head *h)
{
	struct sw_leg *l = caa_container_of(h, struct sw_leg, rcu);

	/* call_rcu callbacks run on the call_rcu thread: the free list is a lock-free stack
	 * pushed here and popped by the control thread. */
	struct sw_engine *e = l->owner;
	uint32_t head = __atomic_load_n(&e->leg_free, __ATOMIC_ACQUIRE);

	do {
		l->free_next = head;
	} while (!__atomic_compare_exchange_n(&e->leg_free, &head, l->idx, true, __ATOMIC_RELEASE,
	                                      __ATOMIC_ACQUIRE));
}

static uint32_t
sw_leg_alloc(struct sw_engine *e)
{
	uint32_t head = __atomic_load_n(&e->leg_free, __ATOMIC_ACQUIRE);

	/* Single popper (control thread) and pushers that only push: no ABA on pop. */
	while (head != SW_NONE) {
		uint32_t next = e->legs[head].free_next;

		if (__atomic_compare_exchange_n(&e->leg_free, &head, next, true, __ATOMIC_ACQUIRE,
		                                __ATOMIC_ACQUIRE))
			return head;
	}
	/*
	 * Slots never used yet are taken in order and set up here, not at engine creation:
	 * the table is sized for max_legs, and untouched slots cost no memory (4 KiB each).
	 */
	if (e->legs_fresh < e->p.max_legs) {
		struct sw_leg *l = &e->legs[e->legs_fresh];

		l->idx = e->legs_fresh;
		l->owner = e;
		atomic_store_explicit(&l->lcore, SW_NONE, memory_order_relaxed);
		return e->legs_fresh++;
	}
	return SW_NONE;
}

static int
sw_members_publish(struct sw_conf *c, struct sw_leg *add, const struct sw_leg *del)
{
	struct sw_members *old = c->members;
	uint32_t n = old != NULL ? old->n : 0, j = 0;
	struct sw_members *m = malloc(sizeof(*m) + (size_t)(n + 1) * sizeof(m->leg[0]));

	if (m == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (old->leg[i] != del)
			m->leg[j++] = old->leg[i];
	if (add != NULL)
		m->leg[j++] = add;
	m->n = j;
	rcu_assign_pointer(c->members, m);
	if (old != NULL)
		urcu_qsbr_call_rcu(&old->rcu, sw_free_rcu_members);
	return 0;
}

int
sw_conf_create(struct sw_engine *e, const struct msw_ctl_conf_create *cc,
               const struct sw_conf_opts *opts)
{
	struct msrp_span uri = opts != NULL ? opts->uri : (struct msrp_span){NULL, 0};
	struct sw_conf *c;
	struct cds_lfht_node *n;

	if (!msw_ctl_conf_id_valid(cc->conf.id, cc->conf.len) ||
	    cc->cpim_policy > MSW_CTL_CPIM_OFF || cc->max_legs > e->p.max_conf_legs ||
	    (cc->flags & ~MSW_CTL_CONF_F_ALL) != 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->id = cc->conf;
	c->max_legs = cc->max_legs != 0 ? cc->max_legs : e->p.max_conf_legs;
	c->max_size = cc->max_size != 0 ? cc->max_size : e->p.max_msg_bytes;
	c->cpim_policy = cc->cpim_policy;
	c->settled_events = (cc->flags & MSW_CTL_CONF_F_SETTLED) != 0;
	c->one_message = (cc->flags & MSW_CTL_CONF_F_ONE_MESSAGE) != 0;
	c->history = (opts != NULL && opts->history) || (cc->flags & MSW_CTL_CONF_F_HISTORY) != 0;
	c->no_anonymous = (cc->flags & MSW_CTL_CONF_F_NO_ANONYMOUS) != 0;
	c->flags = (uint8_t)(cc->flags | (c->history ? MSW_CTL_CONF_F_HISTORY : 0));
	if (uri.len > 0) {
		if (uri.len >= sizeof(c->uri) || memchr(uri.p, ' ', uri.len) != NULL ||
		    memchr(uri.p, '>', uri.len) != NULL) {
			free(c);
			return -EINVAL;
		}
		memcpy(c->uri, uri.p, uri.len);
		c->uri_len = (uint16_t)uri.len;
	} else {
		const char *colon = strrchr(e->authority, ':');
		int hl = colon != NULL ? (int)(colon - e->authority) : (int)strlen(e->authority);

		c->uri_len = (uint16_t)snprintf(c->uri, sizeof(c->uri), "sip:%.*s@%.*s",
		                                (int)c->id.len, c->id.id, hl, e->authority);
	}
	cds_lfht_node_init(&c->node);
	n = cds_lfht_add_unique(
	        e->confs, sw_span_hash((const uint8_t *)c->id.id, c->id.len, e->hash_seed),
	        sw_conf_match, &(struct sw_key){(const uint8_t *)c->id.id, c->id.len}, &c->node);
	if (n != &c->node) {
		free(c);
		return -EEXIST;
	}
	atomic_fetch_add_explicit(&e->n_confs, 1, memory_order_relaxed);
	return 0;
}

static int
sw_leg_del_one(struct sw_engine *e, struct sw_leg *l, uint64_t now_us)
{
	struct sw_conf *c = l->conf;

	if (cds_lfht_del(e->legs_ht, &l->node) != 0)
		return -ENOENT;
	atomic_fetch_sub_explicit(&e->n_legs, 1, memory_order_relaxed);
	if (sw_members_publish(c, NULL, l) != 0) {
		/* Out of memory on the control path: keep the member but it is dead (gen). */
	}
	struct sw_leg_ref ref = sw_leg_ref_of(l);
	(void)now_us; /* outcomes are stamped by the owner lcore's clock */
	uint32_t owner = atomic_load_explicit(&l->lcore, memory_order_acquire);
	struct sw_ring_ent cmd = {{SW_XK_LEG_GONE, ref.idx, ref.gen}};

	if (e->eops.leg_closed != NULL) {
		struct msw_ctl_ev_leg ev;

		memset(&ev, 0, sizeof(ev));
		ev.leg.conf = c->id;
		memcpy(ev.leg.session_id, l->sid, SW_SID_LEN);
		ev.leg.session_id_len = SW_SID_LEN;
		ev.reason = SW_CLOSE_DELETED;
		e->eops.leg_closed(e->ectx, &ev);
	}
	/* Invalidate every handle first: lcores stop routing copies to it. */
	atomic_store_explicit(&l->gen, ref.gen + 1, memory_order_release);
	/*
	 * The owner lcore unbinds it and turns pending outcomes into "left" (on every lcore).
	 * The command carries the handle by value: the slot may be reused after the grace
	 * period. The ring is sized so it cannot fill from LEG_DEL/LEG_ADD alone.
	 */
	struct sw_lcore *olc = &e->lcs[owner < e->p.n_lcores ? owner : 0];

	if (sw_ring_put(olc->ctl, &cmd))
		sw_ring_flush(olc->ctl);
	l->in_use = false;
	urcu_qsbr_call_rcu(&l->rcu, sw_free_rcu_leg);
	return 0;
}

int
sw_conf_del(struct sw_engine *e, const struct msw_ctl_conf_id *id, uint64_t now_us)
{
	struct sw_conf *c = sw_conf_lookup(e, id);

	if (c == NULL)
		return -ENOENT;
	while (c->members != NULL && c->members->n > 0)
		if (sw_leg_del_one(e, c->members->leg[c->members->n - 1], now_us) != 0)
			break;
	cds_lfht_del(e->confs, &c->node);
	atomic_fetch_sub_explicit(&e->n_confs, 1, memory_order_relaxed);
	urcu_qsbr_call_rcu(&c->rcu, sw_free_rcu_conf);
	return 0;
}

static bool
sw_copy_span(char *dst, size_t cap, uint16_t *len, struct msrp_span s)
{
	if (s.len >= cap)
		return false;
	if (s.len > 0)
		memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	*len = (uint16_t)s.len;
	return true;
}

/* Every URI of the path must be an MSRP URI (RFC 4975 §6); relays first (RFC 4976). */
static bool
sw_path_valid(struct msrp_span path)
{
	struct msrp_span rest = path, u;
	struct msrp_uri uri;
	unsigned int n = 0;

	while (msrp_path_next(&rest, &u)) {
		if (msrp_uri_parse(u.p, u.len, &uri) != 0)
			return false;
		n++;
	}
	return n > 0;
}

/*
 * Fill addressing slot a of leg l from prev (NULL = empty) with the path and/or connect
 * address replaced where set_path / set_connect. Returns 0 or -EINVAL (bad path, connect
 * address or too long); the slot is not published, so a failure changes nothing visible.
 */
static int
sw_leg_addr_fill(const struct sw_leg *l, struct sw_leg_addr *a, const struct sw_leg_addr *prev,
                 struct msrp_span path, bool set_path, struct msrp_span connect, bool set_connect)
{
	int rc;

	if (prev != NULL)
		*a = *prev;
	else
		memset(a, 0, sizeof(*a));
	if (set_path) {
		if (path.len > 0 && !sw_path_valid(path))
			return -EINVAL;
		if (!sw_copy_span(a->path, sizeof(a->path), &a->path_len, path))
			return -EINVAL;
	}
	if (set_connect) {
		char uri[SW_URI_MAX + 16];
		struct msrp_uri u;

		/* "host:port" (the glue formats msw_ctl_addr); checked as an MSRP authority. */
		if (connect.len > 0) {
			rc = snprintf(uri, sizeof(uri), "msrp://%.*s/c;tcp", (int)connect.len,
			              (const char *)connect.p);
			if (rc < 0 || (size_t)rc >= sizeof(uri) ||
			    msrp_uri_parse((const uint8_t *)uri, (size_t)rc, &u) != 0 ||
			    !u.has_port || memchr(connect.p, '/', connect.len) != NULL)
				return -EINVAL;
		}
		if (!sw_copy_span(a->connect, sizeof(a->connect), &a->connect_len, connect))
			return -EINVAL;
	}
	rc = snprintf(a->hdr_paths, sizeof(a->hdr_paths), "To-Path: %s\r\nFrom-Path: %s\r\n",
	              a->path, l->uri);
	if (rc < 0 || (size_t)rc >= sizeof(a->hdr_paths))
		return -EINVAL;
	a->hdr_paths_len = (uint16_t)rc;
	return 0;
}

/* RFC 4975 §5.4 / RFC 6135: the leg's dialling lcore connects and binds at its next poll. */
static void
sw_leg_post_connect(struct sw_engine *e, struct sw_leg *l)
{
	struct sw_ring_ent cmd = {{SW_XK_CONNECT, l->idx, atomic_load(&l->gen)}};

	if (sw_ring_put(e->lcs[l->dial_lcore].ctl, &cmd))
		sw_ring_flush(e->lcs[l->dial_lcore].ctl);
}

static bool
sw_alnum(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A session-id we could have drawn: SW_SID_LEN ident chars, ALPHANUM first (RFC 4975 §9). */
static bool
sw_sid_valid(struct msrp_span sid)
{
	if (sid.len != SW_SID_LEN || !sw_alnum(sid.p[0]))
		return false;
	for (size_t i = 1; i < sid.len; i++)
		if (!sw_alnum(sid.p[i]) && sid.p[i] != '-' && sid.p[i] != '.')
			return false;
	return true;
}

/*
 * Copy an SP-separated media-type list (RFC 4975 §8.6 accept-types / accept-wrapped-types)
 * into buf and point types[] at its entries. Returns false if it is too long or has more
 * than SW_ACCEPT_N entries.
 */
static bool
sw_types_copy(char *buf, size_t cap, struct msrp_span *types, uint8_t *n, struct msrp_span in)
{
	uint16_t len;
	struct msrp_span rest, t;

	*n = 0;
	if (!sw_copy_span(buf, cap, &len, in))
		return false;
	rest = (struct msrp_span){(const uint8_t *)buf, len};
	while (msrp_path_next(&rest, &t)) {
		if (*n == SW_ACCEPT_N)
			return false;
		types[(*n)++] = t;
	}
	return true;
}

int
sw_leg_add(struct sw_engine *e, const struct sw_leg_params *lp, char *uri, size_t cap,
           struct msw_ctl_leg_key *key)
{
	struct sw_conf *c = sw_conf_lookup(e, &lp->conf);
	struct sw_leg *l;
	uint32_t idx;
	int rc;

	if (c == NULL)
		return -ENOENT;
	/* OMA SIMPLE IM policy "anonymity allowed" = no: the focus must not admit it. */
	if (lp->anonymous && c->no_anonymous)
		return -EPERM;
	if (lp->recv_only && lp->send_only)
		return -EINVAL; /* a=inactive is not a participant of the message session */
	/* An active leg may be added before its path is known (dial-out, LEG_SET later). */
	if (!(lp->active && lp->path.len == 0) && !sw_path_valid(lp->path))
		return -EINVAL;
	if (c->members != NULL && c->members->n >= c->max_legs)
		return -ENOSPC;
	idx = sw_leg_alloc(e);
	if (idx == SW_NONE)
		return -ENOSPC;
	l = &e->legs[idx];
	l->conf = c;
	if (!sw_copy_span(l->identity, sizeof(l->identity), &l->identity_len, lp->identity) ||
	    !sw_copy_span(l->alias, sizeof(l->alias), &l->alias_len, lp->alias) ||
	    !sw_types_copy(l->accept, sizeof(l->accept), l->accept_type, &l->n_accept,
	                   lp->accept_types) ||
	    !sw_types_copy(l->accept_wrapped, sizeof(l->accept_wrapped), l->wrapped_type,
	                   &l->n_wrapped, lp->accept_wrapped_types)) {
		rc = -EINVAL;
		goto undo;
	}
	l->max_size = lp->max_size;
	l->active = lp->active;
	l->anonymous = lp->anonymous;
	l->recv_only = lp->recv_only;
	l->send_only = lp->send_only;
	l->history = lp->history;
	if (lp->active && lp->lcore >= e->p.n_lcores) {
		rc = -EINVAL;
		goto undo;
	}
	/* Read by a previous owner lcore that may still be handling the slot's old LEG_GONE. */
	__atomic_store_n(&l->conn, SW_NONE, __ATOMIC_RELAXED);
	l->sent_message = false;
	atomic_store_explicit(&l->lcore, SW_NONE, memory_order_relaxed);
	atomic_store_explicit(&l->state, MSW_CTL_LEG_WAITING, memory_order_relaxed);
	l->connect_pending = lp->active;
	if (lp->session_id.len != 0) {
		/* Replay after a data-plane restart: the participant's SDP already names it. */
		if (!sw_sid_valid(lp->session_id) ||
		    sw_leg_lookup_sid(e, lp->session_id.p, lp->session_id.len) != NULL) {
			rc = sw_sid_valid(lp->session_id) ? -EEXIST : -EINVAL;
			goto undo;
		}
		memcpy(l->sid, lp->session_id.p, SW_SID_LEN);
	} else {
		/* RFC 4975 §14.1: the session-id must be unguessable (>= 80 bits, MFR-18). */
		msrp_id_next(&e->ctl_ids, l->sid, SW_SID_LEN);
	}
	rc = snprintf(l->uri, sizeof(l->uri), "msrp://%s/%.*s;tcp", e->authority, (int)SW_SID_LEN,
	              (const char *)l->sid);
	if (rc < 0 || (size_t)rc >= sizeof(l->uri)) {
		rc = -EINVAL;
		goto undo;
	}
	l->uri_len = (uint16_t)rc;
	l->addr_cur = 0;
	l->dial_lcore = lp->lcore;
	memset(&l->addr[1], 0, sizeof(l->addr[1]));
	rc = sw_leg_addr_fill(l, &l->addr[0], NULL, lp->path, true, lp->connect, true);
	if (rc != 0)
		goto undo;
	if ((size_t)l->uri_len >= cap) {
		rc = -ENOBUFS;
		goto undo;
	}
	l->in_use = true;
	cds_lfht_node_init(&l->node);
	rc = sw_members_publish(c, l, NULL);
	if (rc != 0)
		goto undo;
	cds_lfht_add(e->legs_ht, sw_span_hash(l->sid, SW_SID_LEN, e->hash_seed), &l->node);
	atomic_fetch_add_explicit(&e->n_legs, 1, memory_order_relaxed);
	memcpy(uri, l->uri, (size_t)l->uri_len + 1);
	if (l->active && l->addr[0].path_len > 0)
		sw_leg_post_connect(e, l);
	if (key != NULL) {
		memset(key, 0, sizeof(*key));
		key->conf = c->id;
		memcpy(key->session_id, l->sid, SW_SID_LEN);
		key->session_id_len = SW_SID_LEN;
	}
	return 0;
undo:
	l->in_use = false;
	l->free_next = e->leg_free;
	__atomic_store_n(&e->leg_free, idx, __ATOMIC_RELEASE);
	return rc;
}

int
sw_leg_set(struct sw_engine *e, const struct msw_ctl_leg_key *key,
           const struct sw_leg_set_params *sp)
{
	struct sw_leg *l =
	        sw_leg_lookup_sid(e, (const uint8_t *)key->session_id, key->session_id_len);
	uint32_t cur, next;
	int rc;

	if (l == NULL || l->conf->id.len != key->conf.len ||
	    memcmp(l->conf->id.id, key->conf.id, key->conf.len) != 0)
		return -ENOENT;
	if (sp->what == 0 || (sp->what & ~(MSW_CTL_LEG_SET_PATH | MSW_CTL_LEG_SET_CONNECT |
	                                   MSW_CTL_LEG_SET_PASSIVE)) != 0)
		return -EINVAL;
	if (sp->what & MSW_CTL_LEG_SET_PASSIVE) {
		/*
		 * Only before the first connect: nothing was posted to an lcore yet (an active
		 * leg connects once it has a path), so no lcore reads these fields now.
		 */
		if (!l->active ||
		    atomic_load_explicit(&l->lcore, memory_order_acquire) != SW_NONE ||
		    l->addr[l->addr_cur & 1u].path_len > 0)
			return l->active ? -EBUSY : 0;
		l->active = false;
		l->connect_pending = false;
	}
	/* A leg must keep a path unless it is an active leg still waiting to dial. */
	if ((sp->what & MSW_CTL_LEG_SET_PATH) && sp->path.len == 0)
		return -EINVAL;
	cur = l->addr_cur & 1u;
	next = cur ^ 1u;
	rc = sw_leg_addr_fill(l, &l->addr[next], &l->addr[cur], sp->path,
	                      (sp->what & MSW_CTL_LEG_SET_PATH) != 0, sp->connect,
	                      (sp->what & MSW_CTL_LEG_SET_CONNECT) != 0);
	if (rc != 0)
		return rc;
	__atomic_store_n(&l->addr_cur, next, __ATOMIC_RELEASE);
	/*
	 * The slot just retired may still be read by an lcore in its current burst: wait for a
	 * grace period so the next LEG_SET can fill it (LEG_SET is rare: once per dial-out or
	 * re-INVITE). The control thread is a QSBR reader; synchronize_rcu takes it offline.
	 */
	urcu_qsbr_synchronize_rcu();
	/* Dial-out: an active leg not bound yet connects now that it has an address. */
	if (l->active && atomic_load_explicit(&l->lcore, memory_order_acquire) == SW_NONE &&
	    l->addr[next].path_len > 0)
		sw_leg_post_connect(e, l);
	return 0;
}

int
sw_leg_del(struct sw_engine *e, const struct msw_ctl_leg_key *key, uint64_t now_us)
{
	struct sw_leg *l =
	        sw_leg_lookup_sid(e, (const uint8_t *)key->session_id, key->session_id_len);

	if (l == NULL || l->conf->id.len != key->conf.len ||
	    memcmp(l->conf->id.id, key->conf.id, key->conf.len) != 0)
		return -ENOENT;
	return sw_leg_del_one(e, l, now_us);
}

static int
sw_lcore_init(struct sw_engine *e, struct sw_lcore *lc, uint32_t id)
{
	const struct sw_params *p = &e->p;
	struct msrp_limits lim;

	lc->e = e;
	lc->id = id;
	lc->cur_tc = lc->send_origin_tc = SW_TCONN_NONE;
	if (p->id_seed != NULL)
		msrp_id_gen_init_seed(&lc->ids, p->id_seed, 2 + id);
	else if (msrp_id_gen_init(&lc->ids, 2 + id) != 0)
		return -EIO;
	lc->ctl = sw_ring_create(1024);
	lc->xfer = calloc(p->max_xfer, sizeof(*lc->xfer));
	if (lc->ctl == NULL || lc->xfer == NULL)
		return -ENOMEM;
	lc->xfer_free = SW_NONE;
	for (uint32_t i = p->max_xfer; i-- > 0;) {
		lc->xfer[i].free_next = lc->xfer_free;
		lc->xfer_free = i;
	}
	lc->conns = calloc(p->max_conns, sizeof(*lc->conns));
	lc->msgs = calloc(p->max_msgs, sizeof(*lc->msgs));
	lc->rcpt_pool = calloc((size_t)p->max_msgs * p->max_conf_legs, sizeof(*lc->rcpt_pool));
	lc->msg_hash = malloc(sizeof(uint32_t) << SW_MSG_HASH_BITS);
	lc->tx = calloc(p->max_tx, sizeof(*lc->tx));
	lc->tx_free = calloc(p->max_tx, sizeof(*lc->tx_free));
	lc->conn_free = calloc(p->max_conns, sizeof(*lc->conn_free));
	if (lc->conns == NULL || lc->msgs == NULL || lc->rcpt_pool == NULL ||
	    lc->msg_hash == NULL || lc->tx == NULL || lc->tx_free == NULL || lc->conn_free == NULL)
		return -ENOMEM;
	msrp_limits_default(&lim);
	lim.max_header_bytes = p->max_header_bytes;
	lim.max_body_bytes = p->max_chunk_bytes;
	lc->limits = lim;
	lc->hdr_area_len = (size_t)p->max_conns * lim.max_header_bytes;
	lc->hdr_area = mmap(NULL, lc->hdr_area_len, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (lc->hdr_area == MAP_FAILED) {
		lc->hdr_area = NULL;
		return -ENOMEM;
	}
	/* Lowest slot first, like the scan this stack replaced. A slot itself (6.5 KiB, most
	 * of it parser state) is first touched when a connection takes it. */
	for (uint32_t i = 0; i < p->max_conns; i++)
		lc->conn_free[i] = p->max_conns - 1 - i;
	lc->n_conn_free = p->max_conns;
	lc->act_mask = 63;
	while (lc->act_mask < p->max_conns / 2 && lc->act_mask < (1u << 20) - 1)
		lc->act_mask = lc->act_mask * 2 + 1;
	lc->act_hash = malloc(((size_t)lc->act_mask + 1) * sizeof(*lc->act_hash));
	if (lc->act_hash == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i <= lc->act_mask; i++)
		lc->act_hash[i] = SW_NONE;
	for (uint32_t i = 0; i < (1u << SW_MSG_HASH_BITS); i++)
		lc->msg_hash[i] = SW_NONE;
	lc->msg_free = SW_NONE;
	for (uint32_t i = p->max_msgs; i-- > 0;) {
		lc->msgs[i].rcpt = &lc->rcpt_pool[(size_t)i * p->max_conf_legs];
		lc->msgs[i].free_next = lc->msg_free;
		lc->msg_free = i;
	}
	for (uint32_t i = 0; i < p->max_tx; i++)
		lc->tx_free[i] = p->max_tx - 1 - i;
	lc->n_tx_free = p->max_tx;
	lc->tx_head = lc->tx_tail = SW_NONE;
	lc->fr_head = lc->fr_tail = SW_NONE;
	return 0;
}

static void
sw_lcore_fini(struct sw_engine *e, struct sw_lcore *lc)
{
	if (lc->conns != NULL) {
		for (uint32_t i = 0; i < e->p.max_conns; i++) {
			struct sw_conn *c = &lc->conns[i];

			if (c->n_held == 0)
				continue; /* (and a slot never used stays untouched) */
			for (uint32_t k = 0; k < c->n_held; k++)
				e->bops.release(e->bctx, c->held[k].buf);
			c->n_held = 0;
		}
	}
	if (lc->hdr_area != NULL)
		munmap(lc->hdr_area, lc->hdr_area_len);
	free(lc->conn_free);
	free(lc->act_hash);
	for (uint32_t d = 0; d < SW_LCORES_MAX; d++)
		sw_ring_destroy(lc->to[d]);
	sw_ring_destroy(lc->ctl);
	free(lc->xfer);
	free(lc->conns);
	free(lc->msgs);
	free(lc->rcpt_pool);
	free(lc->msg_hash);
	free(lc->tx);
	free(lc->tx_free);
}

struct sw_engine *
sw_engine_create(const struct sw_params *p, const struct sw_transport_ops *tops, void *tctx,
                 const struct sw_buf_ops *bops, void *bctx, const struct sw_event_ops *eops,
                 void *ectx)
{
	struct sw_engine *e;
	int rc;

	if (p == NULL || tops == NULL || tops->send == NULL || tops->close == NULL ||
	    bops == NULL || bops->hold == NULL || bops->release == NULL || p->max_legs == 0 ||
	    p->max_conf_legs < 2 || p->max_conns == 0 || p->max_msgs == 0 || p->max_tx == 0 ||
	    p->rechunk_bytes < 16 || p->local_authority == NULL || p->n_lcores == 0 ||
	    p->max_header_bytes < 256 || p->max_chunk_bytes == 0 || p->n_lcores > SW_LCORES_MAX ||
	    p->max_xfer == 0 || strlen(p->local_authority) >= SW_URI_MAX - SW_SID_LEN - 16 ||
	    (p->final_report_max_bytes != 0 &&
	     (p->final_report_max_bytes < 256 || p->final_report_max_bytes > FDR_DOC_MAX))) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->p = *p;
	snprintf(e->authority, sizeof(e->authority), "%s", p->local_authority);
	e->p.local_authority = e->authority;
	e->tops = *tops;
	e->tctx = tctx;
	e->bops = *bops;
	e->bctx = bctx;
	if (eops != NULL)
		e->eops = *eops;
	e->ectx = ectx;
	e->legs = calloc(p->max_legs, sizeof(*e->legs));
	/*
	 * Buckets for the configured capacity from the start (about one node per bucket, 16
	 * bytes each): growing by auto-resize needs grace periods from a worker thread and lags
	 * far behind a fast fill (a million LEG_ADDs into 256 buckets made every bind walk
	 * thousands of nodes), and never shrinking below it keeps a mass delete cheap too.
	 */
	unsigned long leg_buckets = 256, conf_buckets = 64;

	while (leg_buckets < p->max_legs && leg_buckets < (1ul << 22))
		leg_buckets <<= 1;
	while (conf_buckets < p->max_legs / 4 && conf_buckets < (1ul << 20))
		conf_buckets <<= 1;
	e->confs = cds_lfht_new(conf_buckets, conf_buckets, 0,
	                        CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	e->legs_ht = cds_lfht_new(leg_buckets, leg_buckets, 0,
	                          CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	rc = (e->legs == NULL || e->confs == NULL || e->legs_ht == NULL) ? -ENOMEM : 0;
	if (rc == 0 && p->id_seed != NULL)
		msrp_id_gen_init_seed(&e->ctl_ids, p->id_seed, 1);
	else if (rc == 0 && msrp_id_gen_init(&e->ctl_ids, 1) != 0)
		rc = -EIO;
	for (uint32_t i = 0; rc == 0 && i < p->n_lcores; i++)
		rc = sw_lcore_init(e, &e->lcs[i], i);
	/* One ring per ordered lcore pair, big enough for every record in flight. */
	uint32_t cap = 1024;

	while (cap < 2u * (p->max_tx + p->max_xfer) + 1024u)
		cap <<= 1;
	for (uint32_t a = 0; rc == 0 && a < p->n_lcores; a++)
		for (uint32_t b = 0; rc == 0 && b < p->n_lcores; b++) {
			if (a == b)
				continue;
			e->lcs[a].to[b] = sw_ring_create(cap);
			e->lcs[b].from[a] = e->lcs[a].to[b];
			if (e->lcs[a].to[b] == NULL)
				rc = -ENOMEM;
		}
	if (rc != 0) {
		sw_engine_destroy(e);
		errno = -rc;
		return NULL;
	}
	e->leg_free = SW_NONE;
	e->legs_fresh = 0;
	msrp_id_bytes(&e->ctl_ids, (uint8_t *)&e->hash_seed, sizeof(e->hash_seed));
	return e;
}

void
sw_engine_destroy(struct sw_engine *e)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct sw_conf *c;

	if (e == NULL)
		return;
	if (e->confs != NULL) {
		/* No events at teardown: the owner is going away. */
		memset(&e->eops, 0, sizeof(e->eops));
		/*
		 * Not cds_lfht_for_each_entry: at the end of an empty table it applies
		 * container_of to NULL (undefined behaviour, reported by UBSan in the fuzzer).
		 */
		for (cds_lfht_first(e->confs, &it); (n = cds_lfht_iter_get_node(&it)) != NULL;
		     cds_lfht_next(e->confs, &it)) {
			c = caa_container_of(n, struct sw_conf, node);
			sw_conf_del(e, &c->id, 0);
		}
	}
	/* The lcore threads are stopped: run their queued work here until the rings are empty. */
	for (int round = 0; round < 16; round++) {
		uint32_t pending = 0;

		for (uint32_t i = 0; i < e->p.n_lcores; i++)
			if (e->lcs[i].e != NULL)
				sw_lcore_poll(&e->lcs[i], 0);
		for (uint32_t i = 0; i < e->p.n_lcores; i++)
			if (e->lcs[i].e != NULL)
				pending += sw_lcore_pending(&e->lcs[i]);
		if (pending == 0)
			break;
	}
	urcu_qsbr_barrier();
	if (e->confs != NULL)
		cds_lfht_destroy(e->confs, NULL);
	if (e->legs_ht != NULL)
		cds_lfht_destroy(e->legs_ht, NULL);
	for (uint32_t i = 0; i < SW_LCORES_MAX; i++)
		if (e->lcs[i].e != NULL)
			sw_lcore_fini(e, &e->lcs[i]);
	free(e->legs);
	free(e);
}

struct sw_lcore *
sw_engine_lcore(struct sw_engine *e, unsigned int i)
{
	return i < e->p.n_lcores ? &e->lcs[i] : NULL;
}

uint64_t
sw_lcore_counter(const struct sw_lcore *lc, enum sw_cnt id)
{
	return id < SW_CNT_MAX ? atomic_load_explicit(&lc->cnt[id], memory_order_relaxed) : 0;
}

const char *
sw_counter_name(enum sw_cnt id)
{
	static const char *const names[] = {
#define SW_CNT(sym, name, doc) #name,
#include "switch/sw_counters.def"
#undef SW_CNT
	};

	return id < SW_CNT_MAX ? names[id] : "?";
}

uint32_t
sw_lcore_msgs_in_use(const struct sw_lcore *lc)
{
	return lc->msgs_in_use;
}

uint32_t
sw_lcore_tx_in_use(const struct sw_lcore *lc)
{
	return lc->e->p.max_tx - lc->n_tx_free;
}

/* ---- listings (control thread) ---- */

static void
sw_conf_info_fill(const struct sw_conf *c, struct sw_conf_info *ci)
{
	const struct sw_members *m = rcu_dereference(c->members);

	memset(ci, 0, sizeof(*ci));
	ci->id = c->id;
	ci->max_legs = c->max_legs;
	ci->n_legs = m != NULL ? m->n : 0;
	ci->max_size = c->max_size;
	ci->cpim_policy = c->cpim_policy;
	ci->flags = c->flags;
}

int
sw_conf_foreach(struct sw_engine *e, sw_conf_visit_fn *fn, void *arg)
{
	struct cds_lfht_iter it;
	struct sw_conf *c;
	int n = 0;

	cds_lfht_for_each_entry(e->confs, &it, c, node)
	{
		struct sw_conf_info ci;

		sw_conf_info_fill(c, &ci);
		n++;
		if (fn(arg, &ci) != 0)
			break;
	}
	return n;
}

static void
sw_leg_info_fill(const struct sw_leg *l, struct sw_leg_info *li)
{
	const struct sw_leg_addr *a = &l->addr[__atomic_load_n(&l->addr_cur, __ATOMIC_ACQUIRE)];
	uint32_t lcore = atomic_load_explicit(&l->lcore, memory_order_acquire);

	memset(li, 0, sizeof(*li));
	li->key.conf = l->conf->id;
	memcpy(li->key.session_id, l->sid, SW_SID_LEN);
	li->key.session_id_len = SW_SID_LEN;
	li->local_uri = (struct msrp_span){(const uint8_t *)l->uri, l->uri_len};
	li->path = (struct msrp_span){(const uint8_t *)a->path, a->path_len};
	li->connect = (struct msrp_span){(const uint8_t *)a->connect, a->connect_len};
	li->identity = (struct msrp_span){(const uint8_t *)l->identity, l->identity_len};
	li->alias = (struct msrp_span){(const uint8_t *)l->alias, l->alias_len};
	li->accept_types = (struct msrp_span){(const uint8_t *)l->accept, 0};
	for (uint8_t i = 0; i < l->n_accept; i++)
		li->accept_types.len = (size_t)(l->accept_type[i].p + l->accept_type[i].len -
		                                (const uint8_t *)l->accept);
	li->accept_wrapped_types = (struct msrp_span){(const uint8_t *)l->accept_wrapped, 0};
	for (uint8_t i = 0; i < l->n_wrapped; i++)
		li->accept_wrapped_types.len =
		        (size_t)(l->wrapped_type[i].p + l->wrapped_type[i].len -
		                 (const uint8_t *)l->accept_wrapped);
	li->max_size = l->max_size;
	li->active = l->active;
	li->anonymous = l->anonymous;
	li->recv_only = l->recv_only;
	li->send_only = l->send_only;
	li->history = l->history;
	li->state = atomic_load_explicit(&l->state, memory_order_relaxed);
	li->lcore = lcore == SW_NONE ? UINT32_MAX : lcore;
}

int
sw_leg_foreach(struct sw_engine *e, const struct msw_ctl_conf_id *conf, sw_leg_visit_fn *fn,
               void *arg)
{
	struct sw_conf *c = sw_conf_lookup(e, conf);
	const struct sw_members *m;
	int n = 0;

	if (c == NULL)
		return -ENOENT;
	m = rcu_dereference(c->members);
	for (uint32_t i = 0; m != NULL && i < m->n; i++) {
		struct sw_leg_info li;

		sw_leg_info_fill(m->leg[i], &li);
		n++;
		if (fn(arg, &li) != 0)
			break;
	}
	return n;
}

int
sw_leg_get(struct sw_engine *e, const struct msw_ctl_leg_key *key, struct sw_leg_info *li)
{
	const struct sw_leg *l =
	        sw_leg_lookup_sid(e, (const uint8_t *)key->session_id, key->session_id_len);

	if (l == NULL || l->conf->id.len != key->conf.len ||
	    memcmp(l->conf->id.id, key->conf.id, key->conf.len) != 0)
		return -ENOENT;
	sw_leg_info_fill(l, li);
	return 0;
}

void
sw_engine_objects(const struct sw_engine *e, uint64_t *confs, uint64_t *legs)
{
	*confs = atomic_load_explicit(&e->n_confs, memory_order_relaxed);
	*legs = atomic_load_explicit(&e->n_legs, memory_order_relaxed);
}
