/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_tag_io.h>

#include "ctl/ctl_client.h"
#include "focus/focus_pvt.h"
#include "log/log.h"
#include "utf8/utf8.h"

LOG_TYPE_DEFINE(focus_log, "msw.cp.focus")

/* Housekeeping period; replies and events do not wait for it (the waker thread). */
#define FOCUS_TICK_MS 100

static const char *const focus_cnt_names[FOCUS_CNT_MAX] = {
#define FOCUS_CNT_NAME(sym, name, doc) #name,
        FOCUS_CNT_LIST(FOCUS_CNT_NAME)
#undef FOCUS_CNT_NAME
};

uint64_t
focus_counter(const struct focus *f, enum focus_cnt id)
{
	return f->cnt[id];
}

const char *
focus_counter_name(enum focus_cnt id)
{
	return id < FOCUS_CNT_MAX ? focus_cnt_names[id] : NULL;
}

int
focus_done(const struct focus *f)
{
	return f->done;
}

uint64_t
focus_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
focus_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- conferences and legs ---- */

static struct focus_conf *
focus_conf_find(struct focus *f, const char *id, size_t len)
{
	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++)
		if (f->confs[i].in_use && strlen(f->confs[i].id) == len &&
		    memcmp(f->confs[i].id, id, len) == 0)
			return &f->confs[i];
	return NULL;
}

static struct focus_conf *
focus_conf_of_group(struct focus *f, int group)
{
	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++)
		if (f->confs[i].in_use && !f->confs[i].ending &&
		    f->confs[i].kind == FOCUS_CONF_GROUP && f->confs[i].group == group)
			return &f->confs[i];
	return NULL;
}

static int
focus_group_find(const struct focus *f, const char *name)
{
	const struct cfg_im_groups *g = &f->cfg->controlplane.groups;

	for (uint32_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

uint32_t
focus_conf_idx(const struct focus *f, const struct focus_conf *c)
{
	return (uint32_t)(c - f->confs);
}

/* True if u names this focus (host and port of its SIP address). */
static bool
focus_url_is_ours(const struct focus *f, const url_t *u)
{
	char hp[96];

	if (u == NULL || u->url_host == NULL)
		return false;
	snprintf(hp, sizeof(hp), "%s:%s", u->url_host, u->url_port != NULL ? u->url_port : "5060");
	return strcasecmp(hp, f->host) == 0;
}

/* The conference a request addresses: its IM Session Identity, or its group's session. */
struct focus_conf *
focus_conf_by_uri(struct focus *f, const url_t *u)
{
	const char *user = u != NULL && u->url_user != NULL ? u->url_user : "";
	struct focus_conf *c = focus_conf_find(f, user, strlen(user));
	int g;

	if (c != NULL)
		return c;
	g = focus_group_find(f, user);
	return g >= 0 ? focus_conf_of_group(f, g) : NULL;
}

static struct focus_conf *
focus_conf_new(struct focus *f, enum focus_conf_kind kind)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t rnd[16];
	char id[sizeof(rnd) + 2];

	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++) {
		struct focus_conf *c = &f->confs[i];

		if (c->in_use)
			continue;
		/* The conference URI must not be guessable by outsiders (OMA 5.6: IM Session
		 * Identity). */
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return NULL;
		memset(c, 0, sizeof(*c));
		id[0] = 'c';
		for (size_t k = 0; k < sizeof(rnd); k++)
			id[k + 1] = alnum[rnd[k] % (sizeof(alnum) - 1)];
		id[sizeof(rnd) + 1] = '\0';
		memcpy(c->id, id, sizeof(id));
		snprintf(c->uri, sizeof(c->uri), "sip:%s@%s", id, f->host);
		c->in_use = true;
		c->kind = kind;
		c->group = -1;
		c->lmm_sender = FOCUS_NONE;
		c->max_participants =
		        kind == FOCUS_CONF_1TO1 ? 2 : f->cfg->controlplane.max_participants;
		c->anonymity_allowed = true;
		c->start_ms = focus_now_ms();
		return c;
	}
	return NULL;
}

static struct focus_leg *
focus_leg_new(struct focus *f)
{
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (!f->legs[i].in_use) {
			memset(&f->legs[i], 0, sizeof(f->legs[i]));
			f->legs[i].obj.kind = FOCUS_OBJ_LEG;
			f->legs[i].in_use = true;
			f->legs[i].referrer = FOCUS_NONE;
			f->legs[i].start_ms = focus_now_ms();
			return &f->legs[i];
		}
	return NULL;
}

uint32_t
focus_leg_idx(const struct focus *f, const struct focus_leg *l)
{
	return (uint32_t)(l - f->legs);
}

/* FNV-1a of a session-id: the ids are random, any mix spreads them. */
static uint32_t
focus_sid_hash(const struct msw_ctl_leg_key *k)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < k->session_id_len; i++)
		h = (h ^ (uint8_t)k->session_id[i]) * 16777619u;
	return h & (FOCUS_LEG_HASH - 1);
}

static void
focus_leg_hash_put(struct focus *f, uint32_t idx)
{
	uint32_t i = focus_sid_hash(&f->legs[idx].key);

	while (f->leg_hash[i] != 0)
		i = (i + 1) & (FOCUS_LEG_HASH - 1);
	f->leg_hash[i] = idx + 1;
}

/* l leaves the table (before its key changes or it is freed). */
static void
focus_leg_hash_del(struct focus *f, const struct focus_leg *l)
{
	uint32_t idx = (uint32_t)(l - f->legs), i = focus_sid_hash(&l->key);

	while (f->leg_hash[i] != 0 && f->leg_hash[i] != idx + 1)
		i = (i + 1) & (FOCUS_LEG_HASH - 1);
	if (f->leg_hash[i] == 0)
		return;
	f->leg_hash[i] = 0;
	/* Backward shift: re-place the rest of the cluster so no lookup stops early. */
	for (i = (i + 1) & (FOCUS_LEG_HASH - 1); f->leg_hash[i] != 0;
	     i = (i + 1) & (FOCUS_LEG_HASH - 1)) {
		uint32_t e = f->leg_hash[i];

		f->leg_hash[i] = 0;
		focus_leg_hash_put(f, e - 1);
	}
}

static struct focus_leg *
focus_leg_by_key(struct focus *f, const struct msw_ctl_leg_key *k)
{
	for (uint32_t i = focus_sid_hash(k); f->leg_hash[i] != 0;
	     i = (i + 1) & (FOCUS_LEG_HASH - 1)) {
		struct focus_leg *l = &f->legs[f->leg_hash[i] - 1];

		if (l->in_use && l->added && l->key.session_id_len == k->session_id_len &&
		    memcmp(l->key.session_id, k->session_id, k->session_id_len) == 0)
			return l;
	}
	return NULL;
}

/* A participant of c by identity or (anonymous) alias URI; NULL if none. */
struct focus_leg *
focus_leg_by_identity(struct focus *f, struct focus_conf *c, const char *uri)
{
	uint32_t ci = focus_conf_idx(f, c);

	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (!l->in_use || l->conf != ci || l->status >= FOCUS_ST_DISCONNECTING)
			continue;
		if (l->anonymous ? strcasecmp(l->alias_uri, uri) == 0
		                 : strcasecmp(l->identity, uri) == 0)
			return l;
	}
	return NULL;
}

/*
 * A participant of c by its real identity, anonymous ones included (their own requests,
 * SUBSCRIBE or REFER, come from that identity), in a status in [min_status, DISCONNECTING).
 */
struct focus_leg *
focus_leg_by_real_identity(struct focus *f, struct focus_conf *c, const char *who,
                           enum focus_leg_status min_status)
{
	uint32_t ci = focus_conf_idx(f, c);

	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (l->in_use && l->conf == ci && l->status >= min_status &&
		    l->status < FOCUS_ST_DISCONNECTING && strcasecmp(l->identity, who) == 0)
			return l;
	}
	return NULL;
}

/* Participants of c that count against max participants (not leaving). */
uint32_t
focus_conf_active(const struct focus *f, const struct focus_conf *c)
{
	uint32_t ci = focus_conf_idx(f, c), n = 0;

	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (f->legs[i].in_use && f->legs[i].conf == ci &&
		    f->legs[i].status < FOCUS_ST_DISCONNECTING)
			n++;
	return n;
}

static uint32_t
focus_conf_connected(const struct focus *f, const struct focus_conf *c)
{
	uint32_t ci = focus_conf_idx(f, c), n = 0;

	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (f->legs[i].in_use && f->legs[i].conf == ci &&
		    f->legs[i].status == FOCUS_ST_CONNECTED)
			n++;
	return n;
}

const char *
focus_leg_shown_uri(const struct focus_leg *l)
{
	return l->anonymous ? l->alias_uri : l->identity;
}

static struct msw_ctl_conf_id
focus_conf_key(const struct focus_conf *c)
{
	struct msw_ctl_conf_id id;

	memset(&id, 0, sizeof(id));
	id.len = (uint8_t)strlen(c->id);
	memcpy(id.id, c->id, id.len);
	return id;
}

/* Setups in progress count against controlplane.max_pending_setups. */
static void
focus_setup_begin(struct focus *f, struct focus_leg *l)
{
	if (!l->counted_setup) {
		l->counted_setup = true;
		f->setups_pending++;
	}
}

static void
focus_setup_end(struct focus *f, struct focus_leg *l)
{
	if (l->counted_setup) {
		l->counted_setup = false;
		f->setups_pending--;
	}
}

/* ---- control channel (asynchronous) ---- */

static void focus_dp_restarted(struct focus *f);
static void focus_lmm_check(struct focus *f, struct focus_conf *c);

/* Nothing to replay: after a restart of either side the focus re-programs what it holds. */
static const struct ctl_client_resync_ops focus_no_replay = {.held = NULL, .replay = NULL};

static void *
focus_waker(void *arg)
{
	struct focus *f = arg;
	uint64_t one = 1;

	while (!atomic_load_explicit(&f->waker_stop, memory_order_acquire)) {
		if (ctl_client_wait_event(f->ctl, 100) != 0)
			continue;
		if (write(f->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			continue;
		/* Until the loop received what is there: no second wake-up for the same. */
		while (sem_wait(&f->drained) != 0 && errno == EINTR)
			;
	}
	return NULL;
}

static bool
focus_ctl_ready(struct focus *f)
{
	if (f->ctl == NULL) {
		f->ctl = ctl_client_attach(f->instance, "msw-controlplane");
		if (f->ctl == NULL)
			return false;
		if (pthread_create(&f->waker, NULL, focus_waker, f) == 0)
			f->waker_on = true;
		else
			LOG(focus_log, WARNING, "no waker thread: replies wait for the %d ms tick",
			    FOCUS_TICK_MS);
		/*
		 * A previous control plane's conferences: their SIP dialogs died with it, so
		 * they are not replayed and the data plane deletes them (docs/ctl-abi.md).
		 */
		if (ctl_client_wait_dp(f->ctl, 0) == 0 &&
		    ctl_client_resync(f->ctl, &focus_no_replay, NULL, 0, 2000, NULL) != 0)
			LOG(focus_log, WARNING, "resync with the data plane failed");
	}
	if (!ctl_client_dp_alive(f->ctl))
		return false;
	if (ctl_client_gen_changed(f->ctl)) {
		/* The data plane restarted: it holds nothing of ours any more. */
		if (ctl_client_resync(f->ctl, &focus_no_replay, NULL, 0, 2000, NULL) != 0)
			return false;
		focus_dp_restarted(f);
	}
	return true;
}

static int
focus_send(struct focus *f, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
           const struct ctl_blob_src *blobs, unsigned int nb, uint32_t leg)
{
	uint32_t seq;
	int rc;

	if (!focus_ctl_ready(f))
		return -ENOTCONN;
	rc = ctl_client_send(f->ctl, type, ver, payload, len, blobs, nb, &seq);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < FOCUS_MAX_PENDING; i++)
		if (!f->pend[i].in_use) {
			f->pend[i] = (struct focus_pending){true, seq, type, leg};
			return 0;
		}
	return 0; /* nobody waits for it: the reply is dropped when it comes */
}

static int
focus_send_conf_create(struct focus *f, struct focus_conf *c, uint32_t leg)
{
	struct msw_ctl_conf_create cc;
	struct ctl_blob_src b;

	memset(&cc, 0, sizeof(cc));
	cc.conf = focus_conf_key(c);
	/*
	 * Groups: messages carry the sender (SWX-04). A 1:1 session forwards bodies as sent
	 * (the usual 1:1 choice, issue 5: CPIM policy off).
	 */
	cc.cpim_policy = c->kind == FOCUS_CONF_1TO1 || c->kind == FOCUS_CONF_LARGE
	                         ? MSW_CTL_CPIM_OFF
	                         : MSW_CTL_CPIM_WRAP;
	/* Large message mode (LMM-07): one message, and the session ends once it reached every
	 * recipient. */
	cc.flags = c->kind == FOCUS_CONF_LARGE ? MSW_CTL_CONF_F_SETTLED | MSW_CTL_CONF_F_ONE_MESSAGE
	                                       : 0;
	/* PDG-08: the data plane refuses an anonymous leg too, should one get past the focus. */
	if (!c->anonymity_allowed)
		cc.flags |= MSW_CTL_CONF_F_NO_ANONYMOUS;
	cc.max_legs = c->max_participants;
	/* The IM Session Identity: CPIM To of group messages, and what a final report names. */
	b = (struct ctl_blob_src){c->uri, (uint32_t)strlen(c->uri), 0,
	                          offsetof(struct msw_ctl_conf_create, uri)};
	return focus_send(f, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &cc, sizeof(cc), &b, 1,
	                  leg);
}

static int
focus_send_leg_add(struct focus *f, struct focus_leg *l)
{
	struct msw_ctl_leg_add la;
	struct ctl_blob_src b[4];
	unsigned int nb = 0;
	const char *path = l->offer.path;
	char types[MSDP_TYPES_MAX * 2 + 2];
	int tn;

	memset(&la, 0, sizeof(la));
	/*
	 * What the participant does (RFC 4566 §6, its own SDP): a sendonly participant gets no
	 * copies, a recvonly one may not send. A large-message recipient only receives.
	 */
	if (f->confs[l->conf].kind == FOCUS_CONF_LARGE && l->outgoing)
		la.direction = MSW_CTL_DIR_RECVONLY;
	else if (l->offer.dir == MSDP_SENDONLY)
		la.direction = MSW_CTL_DIR_SENDONLY;
	else if (l->offer.dir == MSDP_RECVONLY)
		la.direction = MSW_CTL_DIR_RECVONLY;
	/* RFC 4975 §8.6: accept-types, LF, accept-wrapped-types (LEG_ADD v2). */
	tn = snprintf(types, sizeof(types), "%s%s%s", l->offer.accept_types,
	              l->offer.accept_wrapped[0] != '\0' ? "\n" : "", l->offer.accept_wrapped);
	la.leg.conf = focus_conf_key(&f->confs[l->conf]);
	la.max_size = (uint32_t)(l->offer.max_size > UINT32_MAX ? 0 : l->offer.max_size);
	la.setup =
	        l->answer_setup == MSDP_SETUP_ACTIVE ? MSW_CTL_SETUP_ACTIVE : MSW_CTL_SETUP_PASSIVE;
	la.anonymous = l->anonymous ? 1 : 0;
	if (la.setup == MSW_CTL_SETUP_ACTIVE && l->offer.cema) {
		/* RFC 6714: connect to the SDP address, match by session-id only. */
		struct in_addr a;

		if (inet_pton(AF_INET, l->offer.addr, &a) == 1) {
			la.connect.family = AF_INET;
			la.connect.port = l->offer.port;
			memcpy(la.connect.addr, &a, 4);
		}
	}
	b[nb++] = (struct ctl_blob_src){path, (uint32_t)strlen(path), 0,
	                                offsetof(struct msw_ctl_leg_add, path)};
	b[nb++] = (struct ctl_blob_src){l->identity, (uint32_t)strlen(l->identity), 0,
	                                offsetof(struct msw_ctl_leg_add, identity)};
	if (l->alias[0] != '\0')
		b[nb++] = (struct ctl_blob_src){l->alias, (uint32_t)strlen(l->alias), 0,
		                                offsetof(struct msw_ctl_leg_add, alias)};
	b[nb++] = (struct ctl_blob_src){types, (uint32_t)tn, 0,
	                                offsetof(struct msw_ctl_leg_add, accept_types)};
	return focus_send(f, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &la, sizeof(la), b, nb,
	                  focus_leg_idx(f, l));
}

/* LEG_SET with the participant's path (and connect address, or passive): re-INVITE, answer. */
static int
focus_send_leg_set(struct focus *f, struct focus_leg *l, const struct msdp_media *m, bool passive,
                   uint32_t waiter)
{
	struct msw_ctl_leg_set ls;
	struct ctl_blob_src b;

	memset(&ls, 0, sizeof(ls));
	ls.leg = l->key;
	ls.what = MSW_CTL_LEG_SET_PATH | (passive ? MSW_CTL_LEG_SET_PASSIVE : 0);
	b = (struct ctl_blob_src){m->path, (uint32_t)strlen(m->path), 0,
	                          offsetof(struct msw_ctl_leg_set, path)};
	if (!passive && m->cema) {
		struct in_addr ia;

		if (inet_pton(AF_INET, m->addr, &ia) == 1) {
			ls.what |= MSW_CTL_LEG_SET_CONNECT;
			ls.connect.family = AF_INET;
			ls.connect.port = m->port;
			memcpy(ls.connect.addr, &ia, 4);
		}
	}
	return focus_send(f, MSW_CTL_LEG_SET, MSW_CTL_VER_LEG_SET, &ls, sizeof(ls), &b, 1, waiter);
}

static void
focus_send_leg_del(struct focus *f, struct focus_leg *l)
{
	struct msw_ctl_leg_del ld = {.leg = l->key};

	if (l->added)
		focus_send(f, MSW_CTL_LEG_DEL, MSW_CTL_VER_LEG_DEL, &ld, sizeof(ld), NULL, 0,
		           FOCUS_NONE);
}

static void
focus_conf_release(struct focus *f, struct focus_conf *c)
{
	struct msw_ctl_conf_del cd;

	if (c->n_legs > 0)
		return;
	/* The last participant left: the conference ends (its URI is gone, S11-04). */
	focus_sub_conf_ended(f, c);
	focus_acct_conf(f, c, c->ending ? "ended" : "empty");
	memset(&cd, 0, sizeof(cd));
	cd.conf = focus_conf_key(c);
	if (c->ready)
		focus_send(f, MSW_CTL_CONF_DEL, MSW_CTL_VER_CONF_DEL, &cd, sizeof(cd), NULL, 0,
		           FOCUS_NONE);
	free(c->invitees);
	c->invitees = NULL;
	c->n_invitees = 0;
	c->in_use = false;
}

/* The focus ends conference c: every dialog still up gets BYE (or CANCEL while ringing). */
static void
focus_conf_end(struct focus *f, struct focus_conf *c, enum focus_end why)
{
	c->ending = true;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (l->in_use && l->conf == focus_conf_idx(f, c) && !l->ending)
			focus_leg_bye(f, l, why);
	}
}

/*
 * An ad-hoc or 1:1 session ends when fewer than two remain once two were in it, or when no
 * one connected is left to wait for the invitees still ringing (OMA 7.1.1, AHG-08, S11-04);
 * a group's session when the last one leaves (PDG-09).
 */
static void
focus_conf_check_end(struct focus *f, struct focus_conf *c)
{
	if (!c->in_use || c->ending || c->kind == FOCUS_CONF_GROUP)
		return;
	if (c->kind == FOCUS_CONF_LARGE) {
		const struct focus_leg *s =
		        c->lmm_sender != FOCUS_NONE ? &f->legs[c->lmm_sender] : NULL;
		bool sender_on = s != NULL && s->in_use && s->conf == focus_conf_idx(f, c) &&
		                 s->status < FOCUS_ST_DISCONNECTING;

		/* Recipients may still be settling while the sender waits for its answer. */
		if (sender_on && !c->lmm_answered) {
			focus_lmm_check(f, c);
			return;
		}
		/* The sender and at least one recipient: the message may still go through. */
		if (sender_on && focus_conf_active(f, c) >= 2)
			return;
	} else if (!(c->peak >= 2 && focus_conf_active(f, c) < 2) &&
	           !(c->peak >= 1 && focus_conf_connected(f, c) == 0))
		return;
	focus_conf_end(f, c, FOCUS_END_FOCUS);
}

/* The dialog is over (BYE, CANCEL, failure): the leg leaves the data plane. */
static void
focus_leg_end(struct focus *f, struct focus_leg *l)
{
	struct focus_conf *c = &f->confs[l->conf];
	bool was_shown = l->status != FOCUS_ST_PENDING || l->outgoing;

	focus_setup_end(f, l);
	focus_send_leg_del(f, l);
	for (uint32_t i = 0; i < FOCUS_MAX_PENDING; i++)
		if (f->pend[i].in_use && f->pend[i].leg == focus_leg_idx(f, l))
			f->pend[i].leg = FOCUS_NONE;
	if (l->referrer != FOCUS_NONE) {
		/* The INVITE a REFER asked for ended before an answer (RFC 3515 §2.4.5). */
		int st = l->end_status >= 300 && l->end_status < 700 ? l->end_status : 487;
		const char *phrase = sip_status_phrase(st);

		focus_refer_result(f, l->referrer, st, phrase != NULL ? phrase : "Failed");
		l->referrer = FOCUS_NONE;
	}
	if (l->end == FOCUS_END_NONE)
		l->end = l->answered ? FOCUS_END_BYE : FOCUS_END_FAILED;
	if (l->answered || l->outgoing)
		focus_acct_leg(f, l);
	l->status = FOCUS_ST_DISCONNECTED;
	if (c->in_use && was_shown)
		focus_sub_changed(f, c, l);
	if (l->nh != NULL) {
		nua_handle_bind(l->nh, NULL);
		nua_handle_destroy(l->nh);
		l->nh = NULL;
	}
	if (l->added)
		focus_leg_hash_del(f, l);
	l->in_use = false;
	if (c->in_use && c->n_legs > 0)
		c->n_legs--;
	if (c->in_use) {
		focus_conf_check_end(f, c);
		focus_conf_release(f, c);
	}
}

/* The focus ends l's dialog (BYE, or CANCEL of an INVITE still ringing). */
void
focus_leg_bye(struct focus *f, struct focus_leg *l, enum focus_end why)
{
	if (l->ending)
		return;
	l->ending = true;
	l->end = why;
	if (l->nh == NULL || (!l->answered && !l->outgoing)) {
		/* No dialog yet (waiting for the data plane): the INVITE gets 480 at once. */
		if (l->nh != NULL && !l->answered)
			nua_respond(l->nh, 480, "Temporarily Unavailable",
			            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		focus_leg_end(f, l);
		return;
	}
	l->status = FOCUS_ST_DISCONNECTING;
	if (l->answered)
		nua_bye(l->nh, SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
	else
		nua_cancel(l->nh, TAG_END());
}

/* ---- SIP answers ---- */

/* Warning: 399 <agent> "<text>" (OMA 5.6.1, WRN-01/04: agent = the focus host). */
void
focus_warning(struct focus *f, const char *text, char *out, size_t cap)
{
	size_t o;

	o = (size_t)snprintf(out, cap, "399 %s \"", f->host);
	for (; *text != '\0' && o + 3 < cap; text++) {
		if (*text == '"' || *text == '\\')
			out[o++] = '\\';
		out[o++] = *text;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void
focus_reject(struct focus *f, struct focus_leg *l, int status, const char *phrase,
             const char *warning)
{
	char w[256];

	if (warning != NULL)
		focus_warning(f, warning, w, sizeof(w));
	nua_respond(l->nh, status, phrase, TAG_IF(warning != NULL, SIPTAG_WARNING_STR(w)),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), SIPTAG_ALLOW_STR(FOCUS_ALLOW),
	            TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR("5")), TAG_END());
}

/* Our SDP for l: the switch's address, the leg's local URI, our role. */
static int
focus_leg_sdp(struct focus *f, struct focus_leg *l, const char *uri, size_t uri_len,
              enum msdp_setup setup, char *sdp, size_t cap)
{
	struct msdp_media a;

	memset(&a, 0, sizeof(a));
	snprintf(a.addr, sizeof(a.addr), "%s", f->dp_addr);
	a.port = f->dp_port;
	snprintf(a.accept_types, sizeof(a.accept_types), "%s", FOCUS_ACCEPT);
	snprintf(a.path, sizeof(a.path), "%.*s", (int)uri_len, uri);
	a.setup = setup;
	a.cema = l->offer.cema;
	if (f->confs[l->conf].kind == FOCUS_CONF_LARGE)
		/* LMM-06: one direction only; the switch sends to recipients, hears the sender. */
		a.dir = l->outgoing ? MSDP_SENDONLY : MSDP_RECVONLY;
	else if (l->offer.dir == MSDP_SENDONLY)
		a.dir = MSDP_RECVONLY; /* RFC 3264 §6.1: the answer mirrors a one-way offer */
	else if (l->offer.dir == MSDP_RECVONLY)
		a.dir = MSDP_SENDONLY;
	if (l->sdp_id == 0) {
		if (getrandom(&l->sdp_id, sizeof(l->sdp_id), 0) != (ssize_t)sizeof(l->sdp_id))
			l->sdp_id = focus_now_ms();
		l->sdp_id = (l->sdp_id >> 2) + 1; /* o= session id: a positive 63-bit number */
		l->sdp_ver = l->sdp_id;
	}
	return msdp_build(&a, l->sdp_id, l->sdp_ver, sdp, cap);
}

/* The local URI of l as the data plane gave it (reconstructed from the key). */
static int
focus_leg_local_uri(struct focus *f, const struct focus_leg *l, char *out, size_t cap)
{
	return snprintf(out, cap, "msrp://%s:%u/%.*s;tcp", f->dp_addr, f->dp_port,
	                (int)l->key.session_id_len, l->key.session_id);
}

static void
focus_leg_connected(struct focus *f, struct focus_leg *l)
{
	struct focus_conf *c = &f->confs[l->conf];
	uint32_t n;

	l->answered = true;
	l->status = FOCUS_ST_CONNECTED;
	l->connect_ms = focus_now_ms();
	l->conf_msgs0 = c->msgs;
	l->conf_bytes0 = c->bytes;
	focus_setup_end(f, l);
	f->cnt[FOCUS_CNT_JOINED]++;
	n = focus_conf_connected(f, c);
	if (n > c->peak)
		c->peak = n;
	focus_sub_changed(f, c, l);
}

static void
focus_answer(struct focus *f, struct focus_leg *l, const char *local_uri, size_t uri_len)
{
	struct focus_conf *c = &f->confs[l->conf];
	char sdp[2048], contact[FOCUS_URI_CAP + 16], st[64];

	if (focus_leg_sdp(f, l, local_uri, uri_len, l->answer_setup, sdp, sizeof(sdp)) < 0) {
		focus_reject(f, l, 500, "Server Internal Error", "SDP answer too long");
		focus_leg_end(f, l);
		return;
	}
	/* OMA 4.3.1: the Contact is the conference (IM Session Identity) with isfocus. */
	snprintf(contact, sizeof(contact), "<%s>;isfocus", c->uri);
	st[0] = '\0';
	nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTACT_STR(contact),
	            SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), SIPTAG_ALLOW_STR(FOCUS_ALLOW),
	            SIPTAG_ALLOW_EVENTS_STR("conference"), TAG_END());
	(void)st;
	focus_leg_connected(f, l);
	LOG(focus_log, INFO, "%s joined conference %s (leg %.*s)", focus_leg_shown_uri(l), c->id,
	    (int)l->key.session_id_len, l->key.session_id);
}

/* ---- display names and aliases (OMA 5.5, ALS-01..04) ---- */

static bool
focus_alias_taken(struct focus *f, const struct focus_leg *self, const char *name)
{
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		const struct focus_leg *l = &f->legs[i];

		if (l != self && l->in_use && l->conf == self->conf &&
		    l->status < FOCUS_ST_DISCONNECTING && strcasecmp(l->alias, name) == 0)
			return true;
	}
	return false;
}

/* Makes l->alias unique within its conference: a second "Bob" becomes "Bob (2)" (ALS-02). */
static void
focus_alias_unique(struct focus *f, struct focus_leg *l)
{
	char base[FOCUS_NAME_CAP - 16];
	size_t k = strnlen(l->alias, sizeof(base) - 1);

	if (l->alias[0] == '\0' || !focus_alias_taken(f, l, l->alias))
		return;
	/* The name, cut (at a UTF-8 character boundary) to leave room for " (n)". */
	if (l->alias[k] != '\0')
		while (k > 0 && ((unsigned char)l->alias[k] & 0xC0) == 0x80)
			k--;
	memcpy(base, l->alias, k);
	base[k] = '\0';
	for (unsigned int n = 2; n < 10000; n++) {
		snprintf(l->alias, sizeof(l->alias), "%s (%u)", base, n);
		if (!focus_alias_taken(f, l, l->alias))
			return;
	}
}

/* A display name as text: quotes removed, quoted-pairs resolved (RFC 3261 §25.1). */
static void
focus_unquote(const char *d, char *out, size_t cap)
{
	size_t n = strlen(d), o = 0;

	if (n >= 2 && d[0] == '"' && d[n - 1] == '"') {
		d++;
		n -= 2;
	}
	for (size_t i = 0; i < n && o + 1 < cap;) {
		size_t k;

		if (d[i] == '\\' && i + 1 < n)
			i++;
		/*
		 * The name goes into CPIM headers and conference-info XML: invalid UTF-8 and
		 * control characters become '?', a character never gets cut in two.
		 */
		k = utf8_seq_len((const uint8_t *)d + i, n - i);
		if (k == 0 || (k == 1 && ((unsigned char)d[i] < 0x20 || d[i] == 0x7f))) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k >= cap)
			break;
		memcpy(out + o, d + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

/*
 * The display name of l per OMA 5.5 (ALS-04): anonymous -> the client's own (From) or a
 * server-chosen one; otherwise the group entry's, then the asserted identity's, then From's.
 */
static void
focus_choose_alias(struct focus *f, struct focus_leg *l, const char *pai_display)
{
	struct focus_conf *c = &f->confs[l->conf];

	l->alias[0] = '\0';
	if (l->anonymous) {
		c->n_anon++;
		/* ALS-03: a routable alias URI of the conference stands for the participant. */
		snprintf(l->alias_uri, sizeof(l->alias_uri), "sip:%s-a%u@%s", c->id, c->n_anon,
		         f->host);
		if (l->from_display[0] != '\0' && !focus_alias_taken(f, l, l->from_display))
			snprintf(l->alias, sizeof(l->alias), "%s", l->from_display);
		else
			snprintf(l->alias, sizeof(l->alias), "Anonymous %u", c->n_anon);
		focus_alias_unique(f, l);
		return;
	}
	if (c->group >= 0) {
		const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[c->group];

		for (uint32_t i = 0; i < g->members.n; i++)
			if (strcasecmp(g->members.v[i].uri, l->identity) == 0 &&
			    g->members.v[i].display_name[0] != '\0') {
				snprintf(l->alias, sizeof(l->alias), "%s",
				         g->members.v[i].display_name);
				break;
			}
	}
	if (l->alias[0] == '\0' && pai_display != NULL && pai_display[0] != '\0')
		focus_unquote(pai_display, l->alias, sizeof(l->alias));
	if (l->alias[0] == '\0')
		snprintf(l->alias, sizeof(l->alias), "%s", l->from_display);
	focus_alias_unique(f, l);
}

/* Anonymity requested (ID-05): a Privacy header asking to hide the identity, or an
 * anonymous From URI. */
static bool
focus_wants_anonymity(const sip_t *sip)
{
	const sip_privacy_t *p = sip_privacy(sip);

	if (p != NULL && p->priv_values != NULL)
		for (int i = 0; p->priv_values[i] != NULL; i++)
			if (strcasecmp(p->priv_values[i], "id") == 0 ||
			    strcasecmp(p->priv_values[i], "user") == 0 ||
			    strcasecmp(p->priv_values[i], "header") == 0)
				return true;
	return sip->sip_from != NULL && sip->sip_from->a_url->url_host != NULL &&
	       strcasecmp(sip->sip_from->a_url->url_host, "anonymous.invalid") == 0;
}

/* ---- dial-out (URI list, group members, 1:1, REFER) ---- */

/*
 * The focus invites target into conference c: the leg is programmed first, active with no
 * path yet (it does not dial), and the offer says a=setup:actpass (RFC 6135); the answer
 * decides who connects (focus_out_answered).
 */
int
focus_dial_out(struct focus *f, struct focus_conf *c, const char *target, uint32_t referrer)
{
	struct focus_leg *l;

	if (focus_conf_active(f, c) >= c->max_participants)
		return -ENOSPC;
	l = focus_leg_new(f);
	if (l == NULL)
		return -ENOMEM;
	l->conf = focus_conf_idx(f, c);
	l->outgoing = true;
	l->referrer = referrer;
	l->status = FOCUS_ST_DIALING_OUT;
	l->answer_setup = MSDP_SETUP_ACTIVE;
	snprintf(l->identity, sizeof(l->identity), "%s", target);
	if (c->group >= 0)
		focus_choose_alias(f, l, NULL);
	snprintf(l->offer.accept_types, sizeof(l->offer.accept_types), "%s", FOCUS_ACCEPT);
	c->n_legs++;
	focus_setup_begin(f, l);
	if (focus_send_leg_add(f, l) != 0) {
		l->end_status = 503;
		focus_leg_end(f, l);
		return -EAGAIN;
	}
	focus_sub_changed(f, c, l);
	return 0;
}

/* Who the INVITE to an invitee comes from (AHG-05, PDG-06/ID-04, S11-02). */
static void
focus_invite_from(struct focus *f, struct focus_conf *c, char *out, size_t cap)
{
	const struct focus_leg *owner = NULL;

	if (c->kind == FOCUS_CONF_GROUP) {
		const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[c->group];

		snprintf(out, cap, "\"%s\" <sip:%s@%s>",
		         g->display_name[0] ? g->display_name : g->name, g->name, f->host);
		return;
	}
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (f->legs[i].in_use && f->legs[i].conf == focus_conf_idx(f, c) &&
		    !f->legs[i].outgoing && strcmp(f->legs[i].identity, c->owner) == 0) {
			owner = &f->legs[i];
			break;
		}
	if (owner != NULL && owner->anonymous)
		snprintf(out, cap, "\"%s\" <%s>", owner->alias, owner->alias_uri);
	else if (owner != NULL && owner->alias[0] != '\0')
		snprintf(out, cap, "\"%s\" <%s>", owner->alias, owner->identity);
	else
		snprintf(out, cap, "<%s>", c->owner[0] ? c->owner : c->uri);
}

/* LEG_ADD of an outgoing leg acknowledged: INVITE the user with our offer. */
static void
focus_invite_out(struct focus *f, struct focus_leg *l, const char *local_uri, size_t uri_len)
{
	struct focus_conf *c = &f->confs[l->conf];
	/* REF-03: the INVITE a REFER asked for names the referrer (TAG_IF evaluates both). */
	const char *referred_by =
	        l->referrer != FOCUS_NONE ? f->refers[l->referrer].referred_by : NULL;
	char sdp[2048], contact[FOCUS_URI_CAP + 48], from[512];

	if (focus_leg_sdp(f, l, local_uri, uri_len, MSDP_SETUP_ACTPASS, sdp, sizeof(sdp)) < 0) {
		LOG(focus_log, WARNING, "dial-out to %s: SDP offer too long", l->identity);
		l->end_status = 500;
		focus_leg_end(f, l);
		return;
	}
	focus_invite_from(f, c, from, sizeof(from));
	snprintf(contact, sizeof(contact), "<%s>;isfocus%s", c->uri,
	         c->kind == FOCUS_CONF_LARGE ? ";" FOCUS_LMM_TAG : "");
	l->nh = nua_handle(f->nua, (nua_hmagic_t *)l, SIPTAG_TO_STR(l->identity), TAG_END());
	if (l->nh == NULL) {
		LOG(focus_log, WARNING, "dial-out to %s: no SIP handle (bad URI?)", l->identity);
		l->end_status = 500;
		focus_leg_end(f, l);
		return;
	}
	l->status = FOCUS_ST_DIALING_OUT;
	nua_invite(l->nh, SIPTAG_FROM_STR(from), SIPTAG_CONTACT_STR(contact),
	           SIPTAG_P_ASSERTED_IDENTITY_STR(from), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	           SIPTAG_PAYLOAD_STR(sdp),
	           SIPTAG_ACCEPT_CONTACT_STR(c->kind == FOCUS_CONF_LARGE ? "*;" FOCUS_LMM_TAG
	                                                                 : "*;+g.oma.sip-im"),
	           SIPTAG_USER_AGENT_STR(FOCUS_SERVER),
	           TAG_IF(referred_by != NULL, SIPTAG_REFERRED_BY_STR(referred_by)), TAG_END());
}

/* The invited user answered: its path goes to the data plane, which connects or waits. */
static void
focus_out_answered(struct focus *f, struct focus_leg *l, const sip_t *sip)
{
	struct msdp_media a;
	bool passive;

	if (sip == NULL || sip->sip_payload == NULL ||
	    msdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &a) != MSDP_OK ||
	    a.setup == MSDP_SETUP_ACTPASS) {
		/* No usable answer (an answer must not say actpass, RFC 6135 §4.1). */
		f->cnt[FOCUS_CNT_REJ_488]++;
		l->answered = true;
		focus_leg_bye(f, l, FOCUS_END_FAILED);
		return;
	}
	/* The answerer connects if it says active; passive or no a=setup leaves it to us. */
	passive = a.setup == MSDP_SETUP_ACTIVE;
	l->offer = a;
	l->answer_setup = passive ? MSDP_SETUP_PASSIVE : MSDP_SETUP_ACTIVE;
	if (sip->sip_to != NULL && sip->sip_to->a_display != NULL && l->alias[0] == '\0') {
		/* ALS-05: a nick in the To display-name of the 200 OK (ALS-04 2c). */
		focus_unquote(sip->sip_to->a_display, l->alias, sizeof(l->alias));
		focus_alias_unique(f, l);
	}
	focus_send_leg_set(f, l, &a, passive, FOCUS_NONE);
	focus_leg_connected(f, l);
	if (l->referrer != FOCUS_NONE) {
		focus_refer_result(f, l->referrer, 200, "OK");
		l->referrer = FOCUS_NONE;
	}
	LOG(focus_log, INFO, "%s invited into conference %s answered (%s)", l->identity,
	    f->confs[l->conf].id, passive ? "it connects" : "the switch connects");
}

/* Dial out to everyone the conference has to invite (URI list, group members). */
static void
focus_invite_listed(struct focus *f, struct focus_conf *c)
{
	for (int i = 0; i < c->n_invitees; i++)
		if (focus_dial_out(f, c, c->invitees[i], FOCUS_NONE) == -ENOSPC)
			break;
	free(c->invitees);
	c->invitees = NULL;
	c->n_invitees = 0;
}

/* ---- large message mode (OMA 4.2.1, 6.1.1.4; LMM-01..08) ---- */

/*
 * The sender of a large message is answered once every recipient is settled: bound (its
 * MSRP session is up, so nothing the sender sends is lost) or failed. Nobody bound -> 480.
 */
static void
focus_lmm_check(struct focus *f, struct focus_conf *c)
{
	uint32_t ci = focus_conf_idx(f, c), pending = 0, bound = 0;
	struct focus_leg *s;
	char uri[256];
	int n;

	if (c->kind != FOCUS_CONF_LARGE || c->lmm_answered || c->n_invitees > 0 ||
	    c->lmm_sender == FOCUS_NONE)
		return;
	s = &f->legs[c->lmm_sender];
	if (!s->in_use || s->conf != ci || !s->added || s->ending)
		return;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		const struct focus_leg *l = &f->legs[i];

		if (!l->in_use || l->conf != ci || !l->outgoing ||
		    l->status >= FOCUS_ST_DISCONNECTING)
			continue;
		if (l->bound)
			bound++;
		else
			pending++;
	}
	if (pending > 0)
		return;
	c->lmm_answered = true;
	if (bound == 0) {
		f->cnt[FOCUS_CNT_REJ_503]++;
		s->end_status = 480;
		focus_reject(f, s, 480, "Temporarily Unavailable", "no recipient could be reached");
		focus_leg_end(f, s);
		return;
	}
	n = focus_leg_local_uri(f, s, uri, sizeof(uri));
	focus_answer(f, s, uri, (size_t)n);
}

/* The message reached every recipient (EV_MSG_DONE|SETTLED): the session is over (LMM-07). */
static void
focus_lmm_settled(struct focus *f, struct focus_conf *c)
{
	if (c->kind != FOCUS_CONF_LARGE || c->ending)
		return;
	f->cnt[FOCUS_CNT_LARGE_MSG_DONE]++;
	focus_conf_end(f, c, FOCUS_END_BYE);
}

/* LMM-02: the request asks for large message mode (feature tag in Contact or Accept-Contact). */
static bool
focus_wants_lmm(const sip_t *sip)
{
	size_t n = strlen(FOCUS_LMM_TAG);

	if (sip->sip_contact != NULL && sip->sip_contact->m_params != NULL)
		for (int i = 0; sip->sip_contact->m_params[i] != NULL; i++)
			if (strncasecmp(sip->sip_contact->m_params[i], FOCUS_LMM_TAG, n) == 0 &&
			    (sip->sip_contact->m_params[i][n] == '\0' ||
			     sip->sip_contact->m_params[i][n] == '='))
				return true;
	if (sip->sip_accept_contact != NULL && sip->sip_accept_contact->cp_params != NULL)
		for (int i = 0; sip->sip_accept_contact->cp_params[i] != NULL; i++)
			if (strncasecmp(sip->sip_accept_contact->cp_params[i], FOCUS_LMM_TAG, n) ==
			    0)
				return true;
	return false;
}

/* ---- re-INVITE (OMA 6.1.1.2.4, SMT-01..04) ---- */

static void
focus_reinvite_answer(struct focus *f, struct focus_leg *l, bool bump)
{
	char sdp[2048], uri[256];
	int n = focus_leg_local_uri(f, l, uri, sizeof(uri));

	if (bump)
		l->sdp_ver++;
	if (focus_leg_sdp(f, l, uri, (size_t)n, l->answer_setup, sdp, sizeof(sdp)) < 0) {
		nua_respond(l->nh, 500, "Server Internal Error", TAG_END());
		return;
	}
	nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	            SIPTAG_PAYLOAD_STR(sdp), SIPTAG_SERVER_STR(FOCUS_SERVER),
	            SIPTAG_ALLOW_STR(FOCUS_ALLOW), TAG_END());
}

static void
focus_reinvite(struct focus *f, struct focus_leg *l, const sip_t *sip)
{
	struct msdp_media m;
	enum msdp_err e;
	char w[256];

	f->cnt[FOCUS_CNT_REINVITES]++;
	if (l->reinvite_pending || !l->added) {
		nua_respond(l->nh, 491, "Request Pending", SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
		return;
	}
	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0) {
		/* A refresh without an offer (RFC 4028): our 200 offers the unchanged SDP. */
		focus_reinvite_answer(f, l, false);
		return;
	}
	e = msdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &m);
	if (e != MSDP_OK) {
		/* SMT-01: unacceptable; the session keeps its old parameters. */
		f->cnt[FOCUS_CNT_REJ_488]++;
		focus_warning(f, msdp_strerror(e), w, sizeof(w));
		nua_respond(l->nh, 488, "Not Acceptable Here", SIPTAG_WARNING_STR(w),
		            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		return;
	}
	if (strcmp(m.path, l->offer.path) == 0 &&
	    (!m.cema || (strcmp(m.addr, l->offer.addr) == 0 && m.port == l->offer.port))) {
		/* Nothing the data plane needs changed (e.g. a session refresh with SDP). */
		l->offer = m;
		focus_reinvite_answer(f, l, false);
		return;
	}
	/* SMT-03: the new path (and address) go to the data plane before the 200. */
	if (focus_send_leg_set(f, l, &m, false, focus_leg_idx(f, l)) != 0) {
		nua_respond(l->nh, 500, "Server Internal Error", SIPTAG_RETRY_AFTER_STR("5"),
		            TAG_END());
		return;
	}
	l->offer = m;
	l->reinvite_pending = true;
}

/* ---- replies and events from the data plane ---- */

static void
focus_on_leg_add_reply(struct focus *f, struct focus_leg *l, const struct ctl_msg *m, int status)
{
	const struct msw_ctl_leg_add_r *r = (const void *)m->rec.payload;
	struct focus_conf *c = &f->confs[l->conf];
	const void *uri = NULL;
	int n;

	if (status == -ENOSPC) {
		f->cnt[FOCUS_CNT_REJ_486]++;
		l->end_status = 486;
		if (!l->outgoing)
			focus_reject(f, l, 486, "Busy Here", FOCUS_WARN_TOO_MANY);
		focus_leg_end(f, l);
		return;
	}
	n = status == 0 ? ctl_client_blob(f->ctl, &r->local_uri, &uri) : -EINVAL;
	if (n <= 0 || memchr(uri, '/', (size_t)n) == NULL) {
		f->cnt[status == -EINVAL ? FOCUS_CNT_REJ_488 : FOCUS_CNT_REJ_503]++;
		l->end_status = status == -EINVAL ? 488 : 503;
		if (l->outgoing || l->readding)
			focus_leg_bye(f, l, FOCUS_END_FAILED);
		else if (status == -EINVAL)
			focus_reject(f, l, 488, "Not Acceptable Here",
			             "the MSRP path or media was refused");
		else
			focus_reject(f, l, 503, "Service Unavailable", strerror(-status));
		if (!l->outgoing && !l->readding)
			focus_leg_end(f, l);
		return;
	}
	/* The key of the leg: session-id = the last path segment of our URI. */
	{
		const char *u = uri, *s = memrchr(u, '/', (size_t)n), *e;

		e = memchr(s, ';', (size_t)(u + n - s));
		if (e == NULL)
			e = u + n;
		l->key.conf = focus_conf_key(c);
		l->key.session_id_len = (uint8_t)(e - s - 1);
		memcpy(l->key.session_id, s + 1, l->key.session_id_len);
	}
	l->added = true;
	focus_leg_hash_put(f, focus_leg_idx(f, l));
	if (l->readding) {
		/* After a data-plane restart: the participant learns its new a=path. */
		char sdp[2048];

		l->readding = false;
		l->sdp_ver++;
		if (focus_leg_sdp(f, l, uri, (size_t)n, l->answer_setup, sdp, sizeof(sdp)) < 0) {
			focus_leg_bye(f, l, FOCUS_END_FAILED);
			return;
		}
		f->cnt[FOCUS_CNT_REINVITES_SENT]++;
		l->reinvite_out = true;
		nua_invite(l->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		           SIPTAG_PAYLOAD_STR(sdp), SIPTAG_USER_AGENT_STR(FOCUS_SERVER), TAG_END());
		return;
	}
	if (l->outgoing) {
		focus_invite_out(f, l, uri, (size_t)n);
		return;
	}
	if (c->kind == FOCUS_CONF_LARGE) {
		/* The recipients first; the sender is answered once they are bound. */
		c->lmm_sender = focus_leg_idx(f, l);
		focus_invite_listed(f, c);
		focus_lmm_check(f, c);
		return;
	}
	focus_answer(f, l, uri, (size_t)n);
	/* RFC 5366 / PDG-04: the initiator is answered; now the users of its list. */
	focus_invite_listed(f, c);
}

static void
focus_on_reply(struct focus *f, const struct ctl_msg *m)
{
	struct focus_pending *p = NULL;
	struct focus_leg *l;
	int status = m->rec.hdr.status;

	for (uint32_t i = 0; i < FOCUS_MAX_PENDING; i++)
		if (f->pend[i].in_use && f->pend[i].seq == m->rec.hdr.seq) {
			p = &f->pend[i];
			break;
		}
	if (p == NULL)
		return;
	p->in_use = false;
	if (p->leg == FOCUS_NONE)
		return;
	l = &f->legs[p->leg];
	if (!l->in_use)
		return;
	switch (p->type) {
	case MSW_CTL_CONF_CREATE:
		if (status == 0 || status == -EEXIST) {
			f->confs[l->conf].ready = true;
			if (focus_send_leg_add(f, l) == 0)
				return;
		}
		f->cnt[FOCUS_CNT_REJ_503]++;
		l->end_status = 503;
		if (l->readding) {
			focus_leg_bye(f, l, FOCUS_END_FAILED);
			return;
		}
		focus_reject(f, l, 503, "Service Unavailable", "conference not created");
		focus_leg_end(f, l);
		return;
	case MSW_CTL_LEG_ADD:
		focus_on_leg_add_reply(f, l, m, status);
		return;
	case MSW_CTL_LEG_SET:
		if (!l->reinvite_pending)
			return;
		l->reinvite_pending = false;
		if (status == 0) {
			focus_reinvite_answer(f, l, false);
		} else {
			char w[256];

			/* SMT-04: the data plane keeps the old parameters. */
			f->cnt[FOCUS_CNT_REJ_488]++;
			focus_warning(f, "the new MSRP path was refused", w, sizeof(w));
			nua_respond(l->nh, 488, "Not Acceptable Here", SIPTAG_WARNING_STR(w),
			            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		}
		return;
	default:
		return;
	}
}

static void
focus_on_event(struct focus *f, const struct ctl_msg *m)
{
	switch (m->rec.hdr.type) {
	case MSW_CTL_EV_LEG_CLOSED: {
		const struct msw_ctl_ev_leg *ev = (const void *)m->rec.payload;
		struct focus_leg *l = focus_leg_by_key(f, &ev->leg);

		/* The participant's MSRP connection is gone: its session ends (BYE). */
		if (l != NULL && l->answered && !l->ending && !l->readding) {
			f->cnt[FOCUS_CNT_BYE_DP]++;
			focus_leg_bye(f, l, FOCUS_END_DP_CLOSED);
		}
		break;
	}
	case MSW_CTL_EV_LEG_BOUND: {
		const struct msw_ctl_ev_leg *ev = (const void *)m->rec.payload;
		struct focus_leg *l = focus_leg_by_key(f, &ev->leg);

		if (l != NULL) {
			l->bound = true;
			focus_lmm_check(f, &f->confs[l->conf]);
		}
		break;
	}
	case MSW_CTL_EV_MSG_DONE: {
		/* Accounting: what each participant sent (CDR messages and bytes). */
		const struct msw_ctl_ev_msg *ev = (const void *)m->rec.payload;
		struct focus_leg *l = focus_leg_by_key(f, &ev->leg);

		if (l != NULL && (ev->msg_flags & MSW_CTL_MSG_F_SETTLED)) {
			focus_lmm_settled(f, &f->confs[l->conf]);
		} else if (l != NULL) {
			l->msgs++;
			l->bytes += ev->msg_len;
			f->confs[l->conf].msgs++;
			f->confs[l->conf].bytes += ev->msg_len;
		}
		break;
	}
	default:
		break;
	}
}

/* A handle whose request was refused: destroyed once the response surely went out. */
void
focus_handle_doom(struct focus *f, nua_handle_t *nh)
{
	if (f->n_doomed == FOCUS_MAX_DOOMED) {
		nua_handle_destroy(f->doomed[0].nh);
		memmove(&f->doomed[0], &f->doomed[1],
		        sizeof(f->doomed[0]) * (FOCUS_MAX_DOOMED - 1));
		f->n_doomed--;
	}
	nua_handle_bind(nh, NULL);
	f->doomed[f->n_doomed].nh = nh;
	f->doomed[f->n_doomed].at_ms = focus_mono_ms() + 1000;
	f->n_doomed++;
}

static void
focus_doomed_reap(struct focus *f, uint64_t now)
{
	uint32_t k = 0;

	while (k < f->n_doomed && f->doomed[k].at_ms <= now)
		nua_handle_destroy(f->doomed[k++].nh);
	if (k > 0) {
		memmove(&f->doomed[0], &f->doomed[k], sizeof(f->doomed[0]) * (f->n_doomed - k));
		f->n_doomed -= k;
	}
}

/* Receives every reply and event waiting on the control channel. */
static void
focus_drain(struct focus *f)
{
	struct ctl_msg m;

	if (!focus_ctl_ready(f))
		return;
	for (int i = 0; i < 4096 && ctl_client_recv(f->ctl, &m, 0) == 0; i++) {
		if (m.rec.hdr.flags & MSW_CTL_F_REPLY)
			focus_on_reply(f, &m);
		else
			focus_on_event(f, &m);
	}
}

static int
focus_on_wake(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct focus *f = (struct focus *)arg;
	uint64_t v;

	(void)magic;
	(void)w;
	if (read(f->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		LOG(focus_log, WARNING, "waker eventfd: %s", strerror(errno));
	focus_drain(f);
	sem_post(&f->drained);
	return 0;
}

static void
focus_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct focus *f = (struct focus *)arg;
	uint64_t now = focus_mono_ms();

	(void)magic;
	(void)t;
	f->ticks++;
	focus_doomed_reap(f, now);
	focus_refer_tick(f, now);
	if (f->ticks % (1000 / FOCUS_TICK_MS) == 0)
		focus_sub_tick(f, now);
	/* Attaches when the data plane comes, notices restarts, and drains if no waker runs. */
	focus_drain(f);
}

/*
 * The data plane restarted (its generation changed) and holds none of our conferences: each
 * is created again and each connected participant gets a new leg, then (dp_restart =
 * reinvite) a re-INVITE carrying its new a=path, or (bye) a BYE.
 */
static void
focus_dp_restarted(struct focus *f)
{
	bool bye = f->cfg->controlplane.dp_restart == CFG_DP_RESTART_BYE;

	f->cnt[FOCUS_CNT_DP_RESTARTS]++;
	LOG(focus_log, WARNING, "the data plane restarted: %s every session",
	    bye ? "ending" : "re-inviting");
	for (uint32_t i = 0; i < FOCUS_MAX_PENDING; i++)
		f->pend[i].in_use = false;
	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++)
		f->confs[i].ready = false;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (!l->in_use)
			continue;
		if (l->added)
			focus_leg_hash_del(f, l);
		l->added = false;
		if (bye || !l->answered || l->ending || l->reinvite_pending) {
			if (l->reinvite_pending)
				nua_respond(l->nh, 500, "Server Internal Error",
				            SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
			l->reinvite_pending = false;
			focus_leg_bye(f, l, FOCUS_END_FAILED);
			continue;
		}
		l->readding = true;
		/* Our role stays: an active leg dials the path it already knows. */
		if (!f->confs[l->conf].ready) {
			f->confs[l->conf].ready = true; /* one CONF_CREATE per conference */
			if (focus_send_conf_create(f, &f->confs[l->conf], i) != 0)
				focus_leg_bye(f, l, FOCUS_END_FAILED);
			f->confs[l->conf].ready = false;
			continue;
		}
		if (focus_send_leg_add(f, l) != 0)
			focus_leg_bye(f, l, FOCUS_END_FAILED);
	}
}

/* ---- INVITE ---- */

/* The Authenticated Originator's IM Address (OMA 5.1): trusted PAI, else From if allowed. */
/* The P-Asserted-Identity of the current request if a trusted core sent it (ID-02), or NULL. */
static const sip_p_asserted_identity_t *
focus_trusted_pai(struct focus *f, nua_t *nua, const sip_t *sip)
{
	msg_t *req = nua_current_request(nua);
	su_addrinfo_t *ai = req != NULL ? msg_addrinfo(req) : NULL;
	sip_p_asserted_identity_t *pai = sip_p_asserted_identity(sip);
	char src[INET6_ADDRSTRLEN] = "";

	if (ai != NULL && ai->ai_addr != NULL && ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, src,
		          sizeof(src));
	if (pai != NULL && src[0] != '\0')
		for (uint32_t i = 0; i < f->cfg->controlplane.trusted_proxies.n; i++)
			if (strcmp(f->cfg->controlplane.trusted_proxies.v[i], src) == 0)
				return pai;
	return NULL;
}

bool
focus_identity(struct focus *f, nua_t *nua, const sip_t *sip, char *out, size_t cap)
{
	const sip_p_asserted_identity_t *pai = focus_trusted_pai(f, nua, sip);

	if (pai != NULL) {
		url_e(out, (isize_t)cap, pai->paid_url);
		return true;
	}
	/* ID-07: P-Preferred-Identity is never believed; ID-03: From only if configured. */
	if (f->cfg->controlplane.trust_from && sip->sip_from != NULL) {
		url_e(out, (isize_t)cap, sip->sip_from->a_url);
		/* Only the address: no tag, no parameters of the From header. */
		return true;
	}
	return false;
}

/* Overload protection: pending setups and the setups-per-second bucket. */
static bool
focus_admit(struct focus *f)
{
	uint32_t rate = f->cfg->controlplane.max_setups_per_sec;

	if (f->setups_pending >= f->cfg->controlplane.max_pending_setups)
		return false;
	if (rate != 0) {
		uint64_t now = focus_mono_ms();

		f->tokens += (double)(now - f->tokens_ms) * rate / 1000.0;
		f->tokens_ms = now;
		if (f->tokens > rate)
			f->tokens = rate;
		if (f->tokens < 1.0)
			return false;
		f->tokens -= 1.0;
	}
	return true;
}

/* A refusal of a new INVITE (no leg to keep): answer, release. */
static void
focus_refuse(struct focus *f, struct focus_leg *l, enum focus_cnt cnt, int status,
             const char *phrase, const char *warning)
{
	f->cnt[cnt]++;
	focus_reject(f, l, status, phrase, warning);
	nua_handle_bind(l->nh, NULL);
	nua_handle_destroy(l->nh);
	l->nh = NULL;
	l->in_use = false;
}

/* Joins l to conference c: policy checks, display name, LEG_ADD. */
static void
focus_join(struct focus *f, struct focus_leg *l, struct focus_conf *c, const char *pai_display)
{
	l->conf = focus_conf_idx(f, c);
	if (c->ending) {
		focus_refuse(f, l, FOCUS_CNT_REJ_404, 404, "Not Found", "the conference is ending");
	} else if (l->anonymous && !c->anonymity_allowed) {
		/* PDG-08 / ACB-06: 403 with Warning 119, not 433 (requirements §2.3). */
		focus_refuse(f, l, FOCUS_CNT_REJ_403, 403, "Forbidden", FOCUS_WARN_ANONYMITY);
	} else if (focus_conf_active(f, c) >= c->max_participants) {
		/* PDG-05 / AHG-04: 486 with Warning 102. */
		focus_refuse(f, l, FOCUS_CNT_REJ_486, 486, "Busy Here", FOCUS_WARN_TOO_MANY);
	} else {
		focus_choose_alias(f, l, pai_display);
		c->n_legs++;
		focus_setup_begin(f, l);
		if (!c->ready ? focus_send_conf_create(f, c, focus_leg_idx(f, l)) == 0
		              : focus_send_leg_add(f, l) == 0)
			return;
		f->cnt[FOCUS_CNT_REJ_503]++;
		focus_reject(f, l, 503, "Service Unavailable", "data plane unavailable");
		focus_leg_end(f, l);
		return;
	}
	/* Refused: a conference made for this INVITE goes with it. */
	if (c->n_legs == 0)
		focus_conf_release(f, c);
}

/* RFC 5366: the SDP and the resource list of a multipart/mixed body. */
static int
focus_split_body(const sip_t *sip, const char **sdp, size_t *sdp_len, const char **list,
                 size_t *list_len)
{
	struct ulist_part parts[ULIST_PARTS_MAX];
	char bparam[96];
	const char *bnd, *bv = msg_params_find(sip->sip_content_type->c_params, "boundary=");
	size_t blen;
	int np = -1;

	snprintf(bparam, sizeof(bparam), "boundary=%s", bv != NULL ? bv : "");
	if (bv != NULL && ulist_boundary(bparam, &bnd, &blen) == 0)
		np = ulist_multipart(*sdp, *sdp_len, bnd, blen, parts, ULIST_PARTS_MAX);
	*sdp = NULL;
	*sdp_len = 0;
	for (int i = 0; i < np; i++) {
		if (parts[i].type_len == 15 &&
		    strncasecmp(parts[i].type, "application/sdp", 15) == 0) {
			*sdp = parts[i].body;
			*sdp_len = parts[i].body_len;
		} else if (parts[i].type_len == 30 &&
		           strncasecmp(parts[i].type, "application/resource-lists+xml", 30) == 0) {
			*list = parts[i].body;
			*list_len = parts[i].body_len;
		}
	}
	return np;
}

/* Users to invite from a resource list: de-duplicated, without the initiator (AHG-03). */
static int
focus_list_invitees(struct focus *f, struct focus_conf *c, const char *list, size_t len,
                    const char *initiator)
{
	char(*uris)[ULIST_URI_CAP] = calloc(ULIST_URIS_MAX, ULIST_URI_CAP);
	int nu = uris != NULL ? ulist_entries(list, len, uris, ULIST_URIS_MAX) : -1;

	(void)f;
	if (nu < 0) {
		free(uris);
		return -1;
	}
	for (int i = 0; i < nu; i++)
		if (strcasecmp(uris[i], initiator) == 0) {
			memmove(uris[i], uris[i + 1], (size_t)(nu - i - 1) * ULIST_URI_CAP);
			nu--;
			i--;
		}
	c->invitees = uris;
	c->n_invitees = nu;
	return nu;
}

/* PDG-04 (and LMM-08 to a group): the members of group g but the initiator, to invite. */
static void
focus_group_invitees(struct focus *f, struct focus_conf *c, int group, const char *initiator)
{
	const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[group];
	int n = 0;

	if (g->members.n == 0)
		return;
	c->invitees = calloc(g->members.n, ULIST_URI_CAP);
	if (c->invitees == NULL)
		return;
	for (uint32_t i = 0; i < g->members.n; i++)
		if (strcasecmp(g->members.v[i].uri, initiator) != 0)
			snprintf(c->invitees[n++], ULIST_URI_CAP, "%s", g->members.v[i].uri);
	c->n_invitees = n;
}

static bool
focus_group_member(const struct cfg_im_group *g, const char *uri)
{
	for (uint32_t i = 0; i < g->members.n; i++)
		if (strcasecmp(g->members.v[i].uri, uri) == 0)
			return true;
	return false;
}

/* A new conference of kind for l's INVITE, with l its owner; NULL once the INVITE got 503. */
static struct focus_conf *
focus_conf_for(struct focus *f, struct focus_leg *l, enum focus_conf_kind kind)
{
	struct focus_conf *c = focus_conf_new(f, kind);

	if (c == NULL) {
		focus_refuse(f, l, FOCUS_CNT_REJ_503, 503, "Service Unavailable",
		             "no conference slot");
		return NULL;
	}
	snprintf(c->owner, sizeof(c->owner), "%s", l->identity);
	return c;
}

/*
 * The users of l's URI list become c's invitees. False once the INVITE got 400 (malformed,
 * or empty where a recipient is needed) or 486 with Warning 102 (too many, AHG-04); c is
 * then given up.
 */
static bool
focus_take_list(struct focus *f, struct focus_leg *l, struct focus_conf *c, const char *list,
                size_t len, bool need_one)
{
	int nu = focus_list_invitees(f, c, list, len, l->identity);

	if (nu >= (need_one ? 1 : 0) && (uint32_t)nu + 1 <= c->max_participants)
		return true;
	free(c->invitees);
	c->invitees = NULL;
	c->n_invitees = 0;
	c->in_use = false;
	if (nu < 0 || nu == 0)
		focus_refuse(f, l, FOCUS_CNT_REJ_400, 400, "Bad Request",
		             nu < 0 ? "malformed resource list" : "no recipient");
	else
		focus_refuse(f, l, FOCUS_CNT_REJ_486, 486, "Busy Here", FOCUS_WARN_TOO_MANY);
	return false;
}

/* The one user a 1:1 or large-message INVITE through the focus is for: its Request-URI. */
static void
focus_take_target(struct focus_conf *c, const url_t *ru)
{
	c->invitees = calloc(1, ULIST_URI_CAP);
	if (c->invitees != NULL) {
		url_e(c->invitees[0], ULIST_URI_CAP, ru);
		c->n_invitees = 1;
	}
}

/*
 * Large message mode (OMA 4.2.1, 6.1.1.4; LMM-01..08): one message from the sender to the
 * users of its URI list (INVITE to the factory), to the other members of a pre-defined group
 * (INVITE to the Group Identity; only a member may send, PDG-02) or to one user elsewhere
 * (INVITE through the focus). A one-message conference: recipients are invited first, the
 * sender is answered once they are bound, and the data plane's "settled" event ends every
 * dialog with BYE. The group's own session, if any, is not involved.
 */
static void
focus_invite_lmm(struct focus *f, struct focus_leg *l, const sip_t *sip, const char *our_user,
                 const char *list, size_t list_len, const char *pai_display)
{
	uint64_t limit = f->cfg->engine.max_message_bytes;
	struct focus_conf *c;
	char w[128];

	/* LMM-05: a size above the operator's limit is refused with the permitted size. */
	if (limit != 0 && l->offer.max_size > limit) {
		snprintf(w, sizeof(w), "the message exceeds the %" PRIu64 " bytes permitted",
		         limit);
		focus_refuse(f, l, FOCUS_CNT_REJ_488, 488, "Not Acceptable Here", w);
		return;
	}
	int group = our_user != NULL && list == NULL ? focus_group_find(f, our_user) : -1;

	if (our_user != NULL && group < 0 &&
	    (list == NULL || strcmp(our_user, f->cfg->controlplane.factory_user) != 0)) {
		focus_refuse(f, l, FOCUS_CNT_REJ_403, 403, "Forbidden",
		             "large message mode needs a URI list, a group or a recipient");
		return;
	}
	if (group >= 0 && !focus_group_member(&f->cfg->controlplane.groups.v[group], l->identity)) {
		focus_refuse(f, l, FOCUS_CNT_REJ_403, 403, "Forbidden", FOCUS_WARN_NOT_AUTH);
		return;
	}
	c = focus_conf_for(f, l, FOCUS_CONF_LARGE);
	if (c == NULL)
		return;
	if (group >= 0) {
		focus_group_invitees(f, c, group, l->identity);
		if (c->n_invitees == 0) {
			free(c->invitees);
			c->invitees = NULL;
			c->in_use = false;
			focus_refuse(f, l, FOCUS_CNT_REJ_400, 400, "Bad Request", "no recipient");
			return;
		}
	} else if (list == NULL) {
		focus_take_target(c, sip->sip_request->rq_url);
	} else if (!focus_take_list(f, l, c, list, list_len, true)) {
		return;
	}
	f->cnt[FOCUS_CNT_CONF_CREATED]++;
	f->cnt[FOCUS_CNT_LARGE_MSG]++;
	focus_join(f, l, c, pai_display);
}

static void
focus_invite(struct focus *f, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	const url_t *ru = sip->sip_request != NULL ? sip->sip_request->rq_url : NULL;
	const char *user = ru != NULL && ru->url_user != NULL ? ru->url_user : "";
	const char *sdp, *ctype, *list = NULL, *pai_display = NULL;
	/* ALS-04 2b: the display name of an asserted identity, never of an untrusted one. */
	const sip_p_asserted_identity_t *pai = focus_trusted_pai(f, nua, sip);
	size_t sdp_len, list_len = 0;
	bool ours = focus_url_is_ours(f, ru);
	struct focus_conf *c;
	struct focus_leg *l;
	enum msdp_err e;
	int group;

	f->cnt[FOCUS_CNT_INVITES]++;
	l = focus_leg_new(f);
	if (l == NULL || !focus_admit(f)) {
		f->cnt[FOCUS_CNT_REJ_OVERLOAD]++;
		nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"),
		            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		nua_handle_destroy(nh);
		if (l != NULL)
			l->in_use = false;
		return;
	}
	l->nh = nh;
	l->status = FOCUS_ST_PENDING;
	nua_handle_bind(nh, (nua_hmagic_t *)l);
	/*
	 * RFC 4028 §9: a UAC without timer support gets no session timer (a UAS MAY add one,
	 * but the focus would then refresh with UPDATE a client may not implement); its MSRP
	 * connection closing still ends the session (EV_LEG_CLOSED).
	 */
	if (sip->sip_session_expires == NULL && !sip_has_feature(sip->sip_supported, "timer"))
		nua_set_hparams(nh, NUTAG_SESSION_TIMER(0), TAG_END());
	if (sip->sip_to != NULL && sip->sip_to->a_tag != NULL) {
		/* In-dialog request for a dialog we do not know (RFC 3261 §12.2.2). */
		focus_refuse(f, l, FOCUS_CNT_REJ_404, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	if (!focus_identity(f, nua, sip, l->identity, sizeof(l->identity))) {
		/* ID-01: 403 with a Warning. */
		focus_refuse(f, l, FOCUS_CNT_REJ_403, 403, "Forbidden", FOCUS_WARN_NOT_AUTH);
		return;
	}
	if (pai != NULL && pai->paid_display != NULL)
		pai_display = pai->paid_display;
	if (sip->sip_from != NULL && sip->sip_from->a_display != NULL)
		focus_unquote(sip->sip_from->a_display, l->from_display, sizeof(l->from_display));
	l->anonymous = focus_wants_anonymity(sip);
	sdp = sip->sip_payload != NULL ? sip->sip_payload->pl_data : NULL;
	sdp_len = sip->sip_payload != NULL ? sip->sip_payload->pl_len : 0;
	ctype = sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL
	                ? sip->sip_content_type->c_type
	                : "";
	if (strncasecmp(ctype, "multipart/mixed", 15) == 0) {
		int np = focus_split_body(sip, &sdp, &sdp_len, &list, &list_len);

		if (np < 0 || (list != NULL &&
		               (!ours || strcmp(user, f->cfg->controlplane.factory_user) != 0))) {
			focus_refuse(
			        f, l, FOCUS_CNT_REJ_400, 400, "Bad Request",
			        np < 0 ? "malformed multipart body"
			               : "a URI list is taken by the Conference-factory URI only");
			return;
		}
	}
	e = sdp != NULL ? msdp_parse(sdp, sdp_len, &l->offer) : MSDP_E_NO_MSRP;
	if (e != MSDP_OK) {
		focus_refuse(f, l, FOCUS_CNT_REJ_488, 488, "Not Acceptable Here", msdp_strerror(e));
		return;
	}
	l->answer_setup = msdp_answer_setup(l->offer.setup, f->cfg->controlplane.prefer_passive);
	if (focus_wants_lmm(sip)) {
		focus_invite_lmm(f, l, sip, ours ? user : NULL, list, list_len, pai_display);
		return;
	}
	if (ours && strcmp(user, f->cfg->controlplane.factory_user) == 0) {
		/* OMA 7.1.1.3: an ad-hoc conference, with the listed users if any. */
		c = focus_conf_for(f, l, FOCUS_CONF_ADHOC);
		if (c == NULL || (list != NULL && !focus_take_list(f, l, c, list, list_len, false)))
			return;
		f->cnt[FOCUS_CNT_CONF_CREATED]++;
		focus_join(f, l, c, pai_display);
		return;
	}
	group = ours ? focus_group_find(f, user) : -1;
	if (group >= 0) {
		const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[group];

		/* PDG-02: only members start or join the group's session. */
		if (!focus_group_member(g, l->identity)) {
			focus_refuse(f, l, FOCUS_CNT_REJ_403, 403, "Forbidden",
			             FOCUS_WARN_NOT_AUTH);
			return;
		}
		c = focus_conf_of_group(f, group);
		if (c == NULL) {
			c = focus_conf_for(f, l, FOCUS_CONF_GROUP);
			if (c == NULL)
				return;
			c->group = group;
			c->max_participants = g->max_participants;
			c->anonymity_allowed = g->anonymity_allowed;
			if (!(l->anonymous && !c->anonymity_allowed) && g->invite_members)
				focus_group_invitees(f, c, group, l->identity);
			f->cnt[FOCUS_CNT_CONF_CREATED]++;
		}
		focus_join(f, l, c, pai_display);
		return;
	}
	c = ours ? focus_conf_find(f, user, strlen(user)) : NULL;
	if (c != NULL) {
		focus_join(f, l, c, pai_display);
		return;
	}
	if (ours) {
		focus_refuse(f, l, FOCUS_CNT_REJ_404, 404, "Not Found", "no such conference");
		return;
	}
	/*
	 * S11-01: an INVITE to a user hosted elsewhere, routed through the focus, is a 1:1
	 * session: a conference of two, the invitee dialled out.
	 */
	c = focus_conf_for(f, l, FOCUS_CONF_1TO1);
	if (c == NULL)
		return;
	focus_take_target(c, ru);
	f->cnt[FOCUS_CNT_CONF_CREATED]++;
	f->cnt[FOCUS_CNT_ONE_TO_ONE]++;
	focus_join(f, l, c, pai_display);
}

static void
focus_leg_event(struct focus *f, nua_event_t event, int status, const char *phrase,
                struct focus_leg *l, const sip_t *sip, tagi_t tags[])
{
	switch (event) {
	case nua_i_invite:
		if (l->answered)
			focus_reinvite(f, l, sip);
		break;
	case nua_i_cancel:
		l->end = FOCUS_END_CANCEL;
		break;
	case nua_i_bye:
		if (l->end == FOCUS_END_NONE)
			l->end = FOCUS_END_BYE;
		break;
	case nua_r_bye:
		/* A BYE the focus did not ask for: nua's session timer expired (RFC 4028 §10). */
		if (!l->ending) {
			l->ending = true;
			l->end = FOCUS_END_TIMER;
			f->cnt[FOCUS_CNT_SESSION_EXPIRED]++;
		}
		break;
	case nua_i_state: {
		int state = nua_callstate_init;

		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_terminated) {
			f->cnt[FOCUS_CNT_LEFT]++;
			focus_leg_end(f, l);
		}
		break;
	}
	case nua_r_invite:
		if (l->reinvite_out && status >= 200) {
			/* The participant could not learn its new a=path: the session cannot go on.
			 */
			l->reinvite_out = false;
			if (status >= 300) {
				l->end_status = status;
				focus_leg_bye(f, l, FOCUS_END_FAILED);
			}
			break;
		}
		if (!l->outgoing)
			break;
		if (status >= 100 && status < 200 && status != 100 && !l->answered) {
			l->status = FOCUS_ST_ALERTING;
			focus_sub_changed(f, &f->confs[l->conf], l);
		} else if (status >= 200 && !l->answered) {
			if (status < 300) {
				focus_out_answered(f, l, sip);
			} else {
				/* Declined: the leg leaves the data plane; a REFER learns why. */
				LOG(focus_log, INFO, "%s declined the invitation: %d %s",
				    l->identity, status, phrase);
				l->end_status = status;
				l->end = FOCUS_END_FAILED;
			}
		}
		break;
	case nua_i_refer:
		focus_refer_request(f, l->nh, l, sip, tags);
		break;
	case nua_i_subscribe:
		focus_sub_request(f, l->nh, NULL, sip);
		break;
	default:
		break;
	}
}

static void
focus_event(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
            nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct focus *f = (struct focus *)magic;
	struct focus_obj *o = (struct focus_obj *)hmagic;

	if (o != NULL && o->kind == FOCUS_OBJ_LEG) {
		focus_leg_event(f, event, status, phrase, (struct focus_leg *)o, sip, tags);
		return;
	}
	if (o != NULL && o->kind == FOCUS_OBJ_SUB) {
		struct focus_sub *s = (struct focus_sub *)o;

		if (event == nua_i_subscribe)
			focus_sub_request(f, nh, s, sip);
		else if (event == nua_r_notify)
			focus_sub_r_notify(f, s, status);
		else if (event == nua_i_state || event == nua_i_terminated) {
			int state = nua_callstate_init;

			if (event == nua_i_terminated ||
			    (tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END()) > 0 &&
			     state == nua_callstate_terminated))
				focus_sub_release(f, s);
		}
		return;
	}
	if (o != NULL && o->kind == FOCUS_OBJ_REFER) {
		struct focus_refer *r = (struct focus_refer *)o;

		if (event == nua_r_notify)
			focus_refer_r_notify(f, r, status);
		return;
	}
	switch (event) {
	case nua_i_invite:
		focus_invite(f, nua, nh, sip);
		break;
	case nua_i_subscribe:
		focus_sub_request(f, nh, NULL, sip);
		break;
	case nua_i_refer:
		focus_refer_request(f, nh, NULL, sip, tags);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			f->done = 1;
		break;
	case nua_i_options:
		nua_respond(nh, SIP_200_OK, SIPTAG_ALLOW_STR(FOCUS_ALLOW),
		            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		nua_handle_destroy(nh);
		break;
	default:
		/* Requests nobody handles here: nua answers them (405/501) itself. */
		if (o == NULL && nh != NULL && event >= nua_i_chat && event <= nua_i_prack &&
		    event != nua_i_ack)
			nua_handle_destroy(nh);
		break;
	}
}

struct focus *
focus_create(su_root_t *root, const struct msw_cfg *cfg, const char *instance, char *err,
             size_t errlen)
{
	struct focus *f = calloc(1, sizeof(*f));
	const struct cfg_port *dp = &cfg->dataplane.ports.v[0];
	char url[128], ip[INET_ADDRSTRLEN];

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->root = root;
	f->cfg = cfg;
	f->wake_fd = -1;
	snprintf(f->instance, sizeof(f->instance), "%s", instance);
	inet_ntop(AF_INET, &cfg->controlplane.sip_address, ip, sizeof(ip));
	snprintf(f->host, sizeof(f->host), "%s:%u", ip, cfg->controlplane.sip_port);
	inet_ntop(AF_INET, &dp->ipv4.addr, f->dp_addr, sizeof(f->dp_addr));
	f->dp_port = (uint16_t)cfg->dataplane.msrp_port;
	f->tokens = cfg->controlplane.max_setups_per_sec;
	f->tokens_ms = focus_mono_ms();
	if (focus_acct_open(f, err, errlen) != 0) {
		free(f);
		return NULL;
	}
	snprintf(url, sizeof(url), "sip:%s:%u", ip, cfg->controlplane.sip_port);
	/*
	 * The parser knows P-Asserted-Identity and Privacy (RFC 3325/3323, sip_extra.h) only
	 * once the extended header classes are the default: without them the identity of a
	 * trusted core (ID-02) and anonymity requests (ID-05) would go unseen.
	 */
	if (sip_update_default_mclass(sip_extend_mclass(NULL)) < 0) {
		snprintf(err, errlen, "SIP parser: cannot register the extension headers");
		focus_acct_close(f);
		free(f);
		return NULL;
	}
	f->nua = nua_create(
	        root, focus_event, (nua_magic_t *)f, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
	        NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1), NUTAG_ENABLEINVITE(1),
	        NUTAG_APPL_METHOD("OPTIONS"), NUTAG_APPL_METHOD("SUBSCRIBE"),
	        NUTAG_APPL_METHOD("REFER"), NUTAG_ALLOW_EVENTS("conference"),
	        NUTAG_ALLOW("SUBSCRIBE, NOTIFY, REFER, UPDATE"),
	        /* RFC 4028 (SMT-10..12): nua runs the session timer and BYEs on expiry. */
	        NUTAG_SESSION_TIMER(cfg->controlplane.session_expires),
	        NUTAG_MIN_SE(cfg->controlplane.min_se),
	        NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
	        SIPTAG_ALLOW_STR(FOCUS_ALLOW), SIPTAG_SERVER_STR(FOCUS_SERVER),
	        SIPTAG_USER_AGENT_STR(FOCUS_SERVER),
	        SIPTAG_SUPPORTED_STR("timer, recipient-list-invite"), TAG_END());
	if (f->nua == NULL) {
		snprintf(err, errlen, "SIP on %s: cannot bind (address in use or not local?)", url);
		focus_acct_close(f);
		free(f);
		return NULL;
	}
	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->wake_fd < 0 || sem_init(&f->drained, 0, 0) != 0 ||
	    su_wait_create(f->wake_wait, f->wake_fd, SU_WAIT_IN) != 0 ||
	    (f->wake_reg = su_root_register(root, f->wake_wait, focus_on_wake, (su_wakeup_arg_t *)f,
	                                    0)) < 0) {
		snprintf(err, errlen, "waker eventfd: %s", strerror(errno));
		focus_destroy(f);
		return NULL;
	}
	f->tick = su_timer_create(su_root_task(root), FOCUS_TICK_MS);
	if (f->tick == NULL ||
	    su_timer_set_for_ever(f->tick, focus_tick, (su_timer_arg_t *)f) != 0) {
		snprintf(err, errlen, "timer: out of memory");
		focus_destroy(f);
		return NULL;
	}
	focus_ctl_ready(f);
	LOG(focus_log, NOTICE, "focus on sip:%s (factory sip:%s@%s, %u groups), data plane %s",
	    f->host, cfg->controlplane.factory_user, f->host, cfg->controlplane.groups.n, instance);
	return f;
}

void
focus_shutdown(struct focus *f)
{
	f->stopping = true;
	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++)
		if (f->confs[i].in_use)
			f->confs[i].ending = true;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (l->in_use && l->answered && !l->ending)
			focus_leg_bye(f, l, FOCUS_END_FOCUS);
	}
	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++)
		if (f->confs[i].in_use)
			focus_sub_conf_ended(f, &f->confs[i]);
	nua_shutdown(f->nua);
}

void
focus_destroy(struct focus *f)
{
	if (f == NULL)
		return;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (f->legs[i].in_use) {
			if (f->legs[i].end == FOCUS_END_NONE)
				f->legs[i].end = FOCUS_END_FOCUS;
			focus_leg_end(f, &f->legs[i]);
		}
	for (uint32_t i = 0; i < FOCUS_MAX_SUBS; i++)
		if (f->subs[i].in_use)
			focus_sub_release(f, &f->subs[i]);
	for (uint32_t i = 0; i < FOCUS_MAX_REFERS; i++)
		if (f->refers[i].in_use)
			focus_refer_release(f, &f->refers[i]);
	focus_doomed_reap(f, UINT64_MAX);
	if (f->waker_on) {
		atomic_store_explicit(&f->waker_stop, true, memory_order_release);
		sem_post(&f->drained);
		pthread_join(f->waker, NULL);
	}
	if (f->wake_reg > 0)
		su_root_unregister(f->root, f->wake_wait, focus_on_wake, (su_wakeup_arg_t *)f);
	if (f->wake_fd >= 0) {
		close(f->wake_fd);
		sem_destroy(&f->drained);
	}
	if (f->tick != NULL)
		su_timer_destroy(f->tick);
	/*
	 * nua_destroy() aborts unless nua_shutdown() completed; if a peer never answered our
	 * last requests in time the process is ending anyway: leave the stack to the exit.
	 */
	if (f->nua != NULL && f->done)
		nua_destroy(f->nua);
	else if (f->nua != NULL)
		LOG(focus_log, WARNING, "SIP shutdown incomplete: exiting without waiting");
	ctl_client_detach(f->ctl);
	focus_acct_close(f);
	free(f);
}
