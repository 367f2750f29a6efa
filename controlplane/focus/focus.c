/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_tag_io.h>

#include "ctl/ctl_client.h"
#include "focus/focus.h"
#include "log/log.h"
#include "sdp/msdp.h"
#include "ulist/ulist.h"

LOG_TYPE_DEFINE(focus_log, "msw.cp.focus")

#define FOCUS_MAX_CONFS   1024
#define FOCUS_MAX_LEGS    4096
#define FOCUS_MAX_PENDING 1024
#define FOCUS_NONE        UINT32_MAX
/* OMA SIMPLE IM release token (VER): Server and User-Agent of the focus. */
#define FOCUS_SERVER "IM-serv/OMA1.0 msw/0.1"
#define FOCUS_ALLOW  "INVITE, ACK, BYE, CANCEL, OPTIONS"
/* What the switch accepts from a participant: anything, CPIM first (RFC 4975 §8.6). */
#define FOCUS_ACCEPT "message/cpim text/plain *"

/* A conference. Owner: the su_root thread. */
struct focus_conf {
	bool in_use;
	bool ready; /* CONF_CREATE acknowledged by the data plane */
	char id[MSW_CTL_CONF_ID_MAX + 1];
	uint32_t n_legs;
	/* URI-list INVITE (RFC 5366): users to invite once the initiator is answered. */
	char (*invitees)[ULIST_URI_CAP];
	int n_invitees;
};

/* One participant's dialog and its leg in the data plane. Owner: the su_root thread. */
struct focus_leg {
	bool in_use;
	bool added;    /* LEG_ADD acknowledged: the data plane holds it */
	bool answered; /* 200 OK sent */
	bool ending;
	nua_handle_t *nh;
	uint32_t conf;
	struct msw_ctl_leg_key key;
	struct msdp_media offer;
	enum msdp_setup answer_setup;
	char identity[256];
	char alias[128];
	bool outgoing; /* the focus invited this participant (URI-list INVITE, dial-out) */
};

/* A command sent to the data plane whose reply is awaited. */
struct focus_pending {
	bool in_use;
	uint32_t seq;
	uint16_t type;
	uint32_t leg; /* FOCUS_NONE for commands no dialog waits for */
};

struct focus {
	su_root_t *root;
	const struct msw_cfg *cfg;
	char instance[32];
	nua_t *nua;
	su_timer_t *tick;
	struct ctl_client *ctl;
	struct focus_conf confs[FOCUS_MAX_CONFS];
	struct focus_leg legs[FOCUS_MAX_LEGS];
	struct focus_pending pend[FOCUS_MAX_PENDING];
	char host[64];    /* SIP host:port of the focus (conference URIs) */
	char dp_addr[64]; /* the data plane's MSRP address for c= */
	uint16_t dp_port;
	uint64_t cnt[FOCUS_CNT_MAX];
	int done;
};

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

static uint32_t
focus_conf_idx(const struct focus *f, const struct focus_conf *c)
{
	return (uint32_t)(c - f->confs);
}

static struct focus_conf *
focus_conf_new(struct focus *f)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t rnd[16];

	for (uint32_t i = 0; i < FOCUS_MAX_CONFS; i++) {
		struct focus_conf *c = &f->confs[i];

		if (c->in_use)
			continue;
		/* The conference URI must not be guessable by outsiders (OMA 5.6: IM Session
		 * Identity). */
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return NULL;
		memset(c, 0, sizeof(*c));
		c->id[0] = 'c';
		for (size_t k = 0; k < sizeof(rnd); k++)
			c->id[k + 1] = alnum[rnd[k] % (sizeof(alnum) - 1)];
		c->in_use = true;
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
			f->legs[i].in_use = true;
			return &f->legs[i];
		}
	return NULL;
}

static uint32_t
focus_leg_idx(const struct focus *f, const struct focus_leg *l)
{
	return (uint32_t)(l - f->legs);
}

static struct focus_leg *
focus_leg_by_key(struct focus *f, const struct msw_ctl_leg_key *k)
{
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (l->in_use && l->added && l->key.session_id_len == k->session_id_len &&
		    memcmp(l->key.session_id, k->session_id, k->session_id_len) == 0)
			return l;
	}
	return NULL;
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

/* ---- control channel (asynchronous) ---- */

/* Nothing to replay: after a restart of either side the old SIP dialogs are gone. */
static const struct ctl_client_resync_ops focus_no_replay = {.held = NULL, .replay = NULL};

static bool
focus_ctl_ready(struct focus *f)
{
	if (f->ctl == NULL) {
		f->ctl = ctl_client_attach(f->instance, "msw-controlplane");
		if (f->ctl == NULL)
			return false;
		/*
		 * A previous control plane's conferences: their SIP dialogs died with it, so
		 * they are not replayed and the data plane deletes them (docs/ctl-abi.md).
		 */
		if (ctl_client_wait_dp(f->ctl, 0) == 0 &&
		    ctl_client_resync(f->ctl, &focus_no_replay, NULL, 0, 2000, NULL) != 0)
			LOG(focus_log, WARNING, "resync with the data plane failed");
	}
	return ctl_client_dp_alive(f->ctl);
}

static int
focus_send(struct focus *f, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
           const struct ctl_blob_src *blobs, unsigned int nb, uint32_t leg)
{
	uint32_t seq;
	int rc;

	if (!focus_ctl_ready(f))
		return -ENOTCONN;
	if (ctl_client_gen_changed(f->ctl))
		ctl_client_resync(f->ctl, &focus_no_replay, NULL, 0, 2000, NULL);
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
	char uri[160];
	int n;

	memset(&cc, 0, sizeof(cc));
	cc.conf = focus_conf_key(c);
	cc.cpim_policy = MSW_CTL_CPIM_WRAP; /* groups: messages carry the sender (SWX-04) */
	/* The IM Session Identity: CPIM To of group messages, and what a final report names. */
	n = snprintf(uri, sizeof(uri), "sip:%s@%s", c->id, f->host);
	b = (struct ctl_blob_src){uri, (uint32_t)n, 0, offsetof(struct msw_ctl_conf_create, uri)};
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

	memset(&la, 0, sizeof(la));
	la.leg.conf = focus_conf_key(&f->confs[l->conf]);
	la.max_size = (uint32_t)(l->offer.max_size > UINT32_MAX ? 0 : l->offer.max_size);
	la.setup =
	        l->answer_setup == MSDP_SETUP_ACTIVE ? MSW_CTL_SETUP_ACTIVE : MSW_CTL_SETUP_PASSIVE;
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
	b[nb++] = (struct ctl_blob_src){l->offer.accept_types,
	                                (uint32_t)strlen(l->offer.accept_types), 0,
	                                offsetof(struct msw_ctl_leg_add, accept_types)};
	return focus_send(f, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &la, sizeof(la), b, nb,
	                  focus_leg_idx(f, l));
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

/* The dialog is over (BYE, CANCEL, failure): the leg leaves the data plane. */
static void
focus_leg_end(struct focus *f, struct focus_leg *l)
{
	struct focus_conf *c = &f->confs[l->conf];

	focus_send_leg_del(f, l);
	for (uint32_t i = 0; i < FOCUS_MAX_PENDING; i++)
		if (f->pend[i].in_use && f->pend[i].leg == focus_leg_idx(f, l))
			f->pend[i].leg = FOCUS_NONE;
	if (l->nh != NULL) {
		nua_handle_bind(l->nh, NULL);
		nua_handle_destroy(l->nh);
	}
	l->in_use = false;
	if (c->in_use && c->n_legs > 0)
		c->n_legs--;
	if (c->in_use)
		focus_conf_release(f, c);
}

/* ---- SIP answers ---- */

static void
focus_reject(struct focus *f, struct focus_leg *l, int status, const char *phrase,
             const char *warning)
{
	char w[256];

	snprintf(w, sizeof(w), "399 %s \"%s\"", f->host, warning);
	nua_respond(l->nh, status, phrase, SIPTAG_WARNING_STR(warning != NULL ? w : NULL),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), SIPTAG_ALLOW_STR(FOCUS_ALLOW),
	            TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR("5")), TAG_END());
}

static void
focus_answer(struct focus *f, struct focus_leg *l, const char *local_uri, size_t uri_len)
{
	struct focus_conf *c = &f->confs[l->conf];
	struct msdp_media a;
	char sdp[2048], contact[192];
	uint64_t sid;

	memset(&a, 0, sizeof(a));
	snprintf(a.addr, sizeof(a.addr), "%s", f->dp_addr);
	a.port = f->dp_port;
	snprintf(a.accept_types, sizeof(a.accept_types), "%s", FOCUS_ACCEPT);
	snprintf(a.path, sizeof(a.path), "%.*s", (int)uri_len, local_uri);
	a.setup = l->answer_setup;
	a.cema = l->offer.cema;
	if (getrandom(&sid, sizeof(sid), 0) != (ssize_t)sizeof(sid))
		sid = (uint64_t)focus_leg_idx(f, l);
	sid >>= 1; /* o= session id: a positive 63-bit number */
	if (msdp_build(&a, sid, sdp, sizeof(sdp)) < 0) {
		focus_reject(f, l, 500, "Server Internal Error", "SDP answer too long");
		return;
	}
	/* OMA 4.3.1: the Contact is the conference (IM Session Identity) with isfocus. */
	snprintf(contact, sizeof(contact), "<sip:%s@%s>;isfocus", c->id, f->host);
	nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTACT_STR(contact),
	            SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), SIPTAG_ALLOW_STR(FOCUS_ALLOW), TAG_END());
	l->answered = true;
	f->cnt[FOCUS_CNT_JOINED]++;
	LOG(focus_log, INFO, "%s joined conference %s (leg %.*s)", l->identity, c->id,
	    (int)l->key.session_id_len, l->key.session_id);
}

/* ---- dial-out (URI-list INVITE) ---- */

/* The focus invites target into conference c: the leg is programmed first (no path yet). */
static void
focus_dial_out(struct focus *f, struct focus_conf *c, const char *target)
{
	struct focus_leg *l = focus_leg_new(f);

	if (l == NULL)
		return;
	l->conf = focus_conf_idx(f, c);
	l->outgoing = true;
	/*
	 * We offer a=setup:active and connect ourselves once the answer gives the path: the
	 * data plane's leg is active from LEG_ADD on (an actpass offer would need the leg's role
	 * to change after the answer; docs/controlplane.md).
	 */
	l->answer_setup = MSDP_SETUP_ACTIVE;
	snprintf(l->identity, sizeof(l->identity), "%s", target);
	snprintf(l->offer.accept_types, sizeof(l->offer.accept_types), "%s", FOCUS_ACCEPT);
	c->n_legs++;
	if (focus_send_leg_add(f, l) != 0)
		focus_leg_end(f, l);
}

/* LEG_ADD of an outgoing leg acknowledged: INVITE the user with our offer. */
static void
focus_invite_out(struct focus *f, struct focus_leg *l, const char *local_uri, size_t uri_len)
{
	struct focus_conf *c = &f->confs[l->conf];
	struct msdp_media o;
	char sdp[2048], conf_uri[192], contact[208];
	uint64_t sid = ((uint64_t)focus_leg_idx(f, l) << 20) ^ (uint64_t)time(NULL);

	memset(&o, 0, sizeof(o));
	snprintf(o.addr, sizeof(o.addr), "%s", f->dp_addr);
	o.port = f->dp_port;
	snprintf(o.accept_types, sizeof(o.accept_types), "%s", FOCUS_ACCEPT);
	snprintf(o.path, sizeof(o.path), "%.*s", (int)uri_len, local_uri);
	o.setup = MSDP_SETUP_ACTIVE;
	if (msdp_build(&o, sid, sdp, sizeof(sdp)) < 0) {
		focus_leg_end(f, l);
		return;
	}
	snprintf(conf_uri, sizeof(conf_uri), "<sip:%s@%s>", c->id, f->host);
	snprintf(contact, sizeof(contact), "%s;isfocus", conf_uri);
	l->nh = nua_handle(f->nua, (nua_hmagic_t *)l, SIPTAG_TO_STR(l->identity), TAG_END());
	if (l->nh == NULL) {
		focus_leg_end(f, l);
		return;
	}
	nua_invite(l->nh, SIPTAG_FROM_STR(conf_uri), SIPTAG_CONTACT_STR(contact),
	           SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
	           SIPTAG_ACCEPT_CONTACT_STR("*;+g.oma.sip-im"), TAG_END());
}

/* The invited user answered: its path goes to the data plane, which connects. */
static void
focus_out_answered(struct focus *f, struct focus_leg *l, const sip_t *sip)
{
	struct msw_ctl_leg_set ls;
	struct ctl_blob_src b;
	struct msdp_media a;

	if (sip == NULL || sip->sip_payload == NULL ||
	    msdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &a) != MSDP_OK ||
	    a.setup == MSDP_SETUP_ACTIVE) {
		/* No usable answer (or it wants to connect too): end the call. */
		f->cnt[FOCUS_CNT_REJ_488]++;
		l->ending = true;
		nua_bye(l->nh, TAG_END());
		return;
	}
	l->offer = a;
	memset(&ls, 0, sizeof(ls));
	ls.leg = l->key;
	ls.what = MSW_CTL_LEG_SET_PATH;
	b = (struct ctl_blob_src){l->offer.path, (uint32_t)strlen(l->offer.path), 0,
	                          offsetof(struct msw_ctl_leg_set, path)};
	if (a.cema) {
		struct in_addr ia;

		if (inet_pton(AF_INET, a.addr, &ia) == 1) {
			ls.what |= MSW_CTL_LEG_SET_CONNECT;
			ls.connect.family = AF_INET;
			ls.connect.port = a.port;
			memcpy(ls.connect.addr, &ia, 4);
		}
	}
	focus_send(f, MSW_CTL_LEG_SET, MSW_CTL_VER_LEG_SET, &ls, sizeof(ls), &b, 1, FOCUS_NONE);
	l->answered = true;
	f->cnt[FOCUS_CNT_JOINED]++;
	LOG(focus_log, INFO, "%s invited into conference %s answered", l->identity,
	    f->confs[l->conf].id);
}

/* ---- replies and events from the data plane ---- */

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
	if (p->type == MSW_CTL_CONF_CREATE) {
		if (status == 0 || status == -EEXIST) {
			f->confs[l->conf].ready = true;
			if (focus_send_leg_add(f, l) == 0)
				return;
		}
		f->cnt[FOCUS_CNT_REJ_503]++;
		focus_reject(f, l, 503, "Service Unavailable", "conference not created");
		focus_leg_end(f, l);
		return;
	}
	if (p->type == MSW_CTL_LEG_ADD) {
		const struct msw_ctl_leg_add_r *r = (const void *)m->rec.payload;
		const void *uri = NULL;
		int n;

		if (status == -ENOSPC) {
			f->cnt[FOCUS_CNT_REJ_486]++;
			focus_reject(f, l, 486, "Busy Here", "102 Too many participants");
			focus_leg_end(f, l);
			return;
		}
		n = status == 0 ? ctl_client_blob(f->ctl, &r->local_uri, &uri) : -EINVAL;
		if (n <= 0 || memchr(uri, '/', (size_t)n) == NULL) {
			f->cnt[status == -EINVAL ? FOCUS_CNT_REJ_488 : FOCUS_CNT_REJ_503]++;
			if (status == -EINVAL)
				focus_reject(f, l, 488, "Not Acceptable Here",
				             "the MSRP path or media was refused");
			else
				focus_reject(f, l, 503, "Service Unavailable", strerror(-status));
			focus_leg_end(f, l);
			return;
		}
		/* The key of the leg: session-id = the last path segment of our URI. */
		{
			const char *u = uri, *s = memrchr(u, '/', (size_t)n), *e;

			e = memchr(s, ';', (size_t)(u + n - s));
			if (e == NULL)
				e = u + n;
			l->key.conf = focus_conf_key(&f->confs[l->conf]);
			l->key.session_id_len = (uint8_t)(e - s - 1);
			memcpy(l->key.session_id, s + 1, l->key.session_id_len);
		}
		l->added = true;
		if (l->outgoing) {
			focus_invite_out(f, l, uri, (size_t)n);
			return;
		}
		focus_answer(f, l, uri, (size_t)n);
		/* RFC 5366: the initiator is answered; now the users of its list. */
		{
			struct focus_conf *c = &f->confs[l->conf];

			for (int i = 0; i < c->n_invitees; i++)
				focus_dial_out(f, c, c->invitees[i]);
			free(c->invitees);
			c->invitees = NULL;
			c->n_invitees = 0;
		}
	}
}

static void
focus_on_event(struct focus *f, const struct ctl_msg *m)
{
	if (m->rec.hdr.type == MSW_CTL_EV_LEG_CLOSED) {
		const struct msw_ctl_ev_leg *ev = (const void *)m->rec.payload;
		struct focus_leg *l = focus_leg_by_key(f, &ev->leg);

		/* The participant's MSRP connection is gone: its session ends (BYE). */
		if (l != NULL && l->answered && !l->ending) {
			l->ending = true;
			f->cnt[FOCUS_CNT_BYE_DP]++;
			nua_bye(l->nh, SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		}
	}
}

static void
focus_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct focus *f = (struct focus *)arg;
	struct ctl_msg m;

	(void)magic;
	(void)t;
	if (!focus_ctl_ready(f))
		return;
	for (int i = 0; i < 256 && ctl_client_recv(f->ctl, &m, 0) == 0; i++) {
		if (m.rec.hdr.flags & MSW_CTL_F_REPLY)
			focus_on_reply(f, &m);
		else
			focus_on_event(f, &m);
	}
}

/* ---- INVITE ---- */

/* The Authenticated Originator's IM Address (OMA 5.1): trusted PAI, else From if allowed. */
static bool
focus_identity(struct focus *f, nua_t *nua, const sip_t *sip, char *out, size_t cap)
{
	msg_t *req = nua_current_request(nua);
	su_addrinfo_t *ai = req != NULL ? msg_addrinfo(req) : NULL;
	sip_p_asserted_identity_t *pai = sip_p_asserted_identity(sip);
	char src[INET6_ADDRSTRLEN] = "";

	if (ai != NULL && ai->ai_addr != NULL && ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, src,
		          sizeof(src));
	if (pai != NULL && src[0] != '\0') {
		for (uint32_t i = 0; i < f->cfg->controlplane.trusted_proxies.n; i++)
			if (strcmp(f->cfg->controlplane.trusted_proxies.v[i], src) == 0) {
				url_e(out, (isize_t)cap, pai->paid_url);
				return true;
			}
	}
	if (f->cfg->controlplane.trust_from && sip->sip_from != NULL) {
		url_e(out, (isize_t)cap, sip->sip_from->a_url);
		/* Only the address: no tag, no parameters of the From header. */
		return true;
	}
	return false;
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
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (d[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = d[i];
	}
	out[o] = '\0';
}

static void
focus_invite(struct focus *f, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	const url_t *ru = sip->sip_request != NULL ? sip->sip_request->rq_url : NULL;
	const char *user = ru != NULL && ru->url_user != NULL ? ru->url_user : "";
	const char *sdp, *ctype, *list = NULL;
	size_t sdp_len, list_len = 0;
	struct focus_conf *c;
	struct focus_leg *l;
	enum msdp_err e;

	f->cnt[FOCUS_CNT_INVITES]++;
	l = focus_leg_new(f);
	if (l == NULL) {
		nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	l->nh = nh;
	nua_handle_bind(nh, (nua_hmagic_t *)l);
	if (sip->sip_to != NULL && sip->sip_to->a_tag != NULL) {
		/* A re-INVITE is not supported yet: keep the session as it is. */
		nua_respond(nh, 488, "Not Acceptable Here", TAG_END());
		l->in_use = false;
		return;
	}
	if (!focus_identity(f, nua, sip, l->identity, sizeof(l->identity))) {
		f->cnt[FOCUS_CNT_REJ_403]++;
		focus_reject(f, l, 403, "Forbidden", "no asserted identity");
		nua_handle_destroy(nh);
		l->in_use = false;
		return;
	}
	if (sip->sip_from != NULL && sip->sip_from->a_display != NULL)
		focus_unquote(sip->sip_from->a_display, l->alias, sizeof(l->alias));
	sdp = sip->sip_payload != NULL ? sip->sip_payload->pl_data : NULL;
	sdp_len = sip->sip_payload != NULL ? sip->sip_payload->pl_len : 0;
	ctype = sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL
	                ? sip->sip_content_type->c_type
	                : "";
	if (strncasecmp(ctype, "multipart/mixed", 15) == 0) {
		/* RFC 5366: SDP + application/resource-lists+xml in a multipart/mixed body. */
		struct ulist_part parts[ULIST_PARTS_MAX];
		const char *bnd;
		size_t blen;
		int np = -1;

		char bparam[96];
		const char *bv = msg_params_find(sip->sip_content_type->c_params, "boundary=");

		snprintf(bparam, sizeof(bparam), "boundary=%s", bv != NULL ? bv : "");
		if (bv != NULL && ulist_boundary(bparam, &bnd, &blen) == 0)
			np = ulist_multipart(sdp, sdp_len, bnd, blen, parts, ULIST_PARTS_MAX);
		sdp = NULL;
		sdp_len = 0;
		for (int i = 0; i < np; i++) {
			if (parts[i].type_len == 15 &&
			    strncasecmp(parts[i].type, "application/sdp", 15) == 0) {
				sdp = parts[i].body;
				sdp_len = parts[i].body_len;
			} else if (parts[i].type_len == 30 &&
			           strncasecmp(parts[i].type, "application/resource-lists+xml",
			                       30) == 0) {
				list = parts[i].body;
				list_len = parts[i].body_len;
			}
		}
		if (np < 0 ||
		    (list != NULL && strcmp(user, f->cfg->controlplane.factory_user) != 0)) {
			f->cnt[FOCUS_CNT_REJ_400]++;
			focus_reject(
			        f, l, 400, "Bad Request",
			        np < 0 ? "malformed multipart body"
			               : "a URI list is taken by the Conference-factory URI only");
			nua_handle_destroy(nh);
			l->in_use = false;
			return;
		}
	}
	e = sdp != NULL ? msdp_parse(sdp, sdp_len, &l->offer) : MSDP_E_NO_MSRP;
	if (e != MSDP_OK) {
		f->cnt[FOCUS_CNT_REJ_488]++;
		focus_reject(f, l, 488, "Not Acceptable Here", msdp_strerror(e));
		nua_handle_destroy(nh);
		l->in_use = false;
		return;
	}
	l->answer_setup = msdp_answer_setup(l->offer.setup, f->cfg->controlplane.prefer_passive);
	if (strcmp(user, f->cfg->controlplane.factory_user) == 0) {
		c = focus_conf_new(f);
		if (c == NULL) {
			f->cnt[FOCUS_CNT_REJ_503]++;
			focus_reject(f, l, 503, "Service Unavailable", "no conference slot");
			nua_handle_destroy(nh);
			l->in_use = false;
			return;
		}
		if (list != NULL) {
			char(*uris)[ULIST_URI_CAP] = calloc(ULIST_URIS_MAX, ULIST_URI_CAP);
			int nu = uris != NULL ? ulist_entries(list, list_len, uris, ULIST_URIS_MAX)
			                      : -1;

			if (nu < 0) {
				free(uris);
				c->in_use = false;
				f->cnt[FOCUS_CNT_REJ_400]++;
				focus_reject(f, l, 400, "Bad Request", "malformed resource list");
				nua_handle_destroy(nh);
				l->in_use = false;
				return;
			}
			/* AHG-03: the initiator is not invited (it is joining already). */
			for (int i = 0; i < nu; i++)
				if (strcasecmp(uris[i], l->identity) == 0) {
					memmove(uris[i], uris[i + 1],
					        (size_t)(nu - i - 1) * ULIST_URI_CAP);
					nu--;
					i--;
				}
			c->invitees = uris;
			c->n_invitees = nu;
		}
		f->cnt[FOCUS_CNT_CONF_CREATED]++;
		l->conf = focus_conf_idx(f, c);
		c->n_legs++;
		if (focus_send_conf_create(f, c, focus_leg_idx(f, l)) != 0) {
			f->cnt[FOCUS_CNT_REJ_503]++;
			focus_reject(f, l, 503, "Service Unavailable", "data plane unavailable");
			focus_leg_end(f, l);
		}
		return;
	}
	c = focus_conf_find(f, user, strlen(user));
	if (c == NULL) {
		f->cnt[FOCUS_CNT_REJ_404]++;
		focus_reject(f, l, 404, "Not Found", "no such conference");
		nua_handle_destroy(nh);
		l->in_use = false;
		return;
	}
	l->conf = focus_conf_idx(f, c);
	c->n_legs++;
	if (!c->ready) {
		/* Created a moment ago; its CONF_CREATE reply has not come yet. */
		f->cnt[FOCUS_CNT_REJ_503]++;
		focus_reject(f, l, 503, "Service Unavailable", "conference being created");
		focus_leg_end(f, l);
		return;
	}
	if (focus_send_leg_add(f, l) != 0) {
		f->cnt[FOCUS_CNT_REJ_503]++;
		focus_reject(f, l, 503, "Service Unavailable", "data plane unavailable");
		focus_leg_end(f, l);
	}
}

static void
focus_event(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
            nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct focus *f = (struct focus *)magic;
	struct focus_leg *l = (struct focus_leg *)hmagic;

	(void)phrase;
	switch (event) {
	case nua_i_invite:
		if (l == NULL)
			focus_invite(f, nua, nh, sip);
		break;
	case nua_i_state: {
		int state = nua_callstate_init;

		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_terminated && l != NULL && l->in_use) {
			f->cnt[FOCUS_CNT_LEFT]++;
			focus_leg_end(f, l);
		}
		break;
	}
	case nua_r_invite:
		if (l != NULL && l->in_use && l->outgoing && !l->answered && status >= 200) {
			if (status < 300)
				focus_out_answered(f, l, sip);
			else
				focus_leg_end(f, l); /* declined: the leg leaves the data plane */
		}
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
		if (l == NULL && nh != NULL && event >= nua_i_chat && event <= nua_i_prack &&
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
	snprintf(f->instance, sizeof(f->instance), "%s", instance);
	inet_ntop(AF_INET, &cfg->controlplane.sip_address, ip, sizeof(ip));
	snprintf(f->host, sizeof(f->host), "%s:%u", ip, cfg->controlplane.sip_port);
	inet_ntop(AF_INET, &dp->ipv4.addr, f->dp_addr, sizeof(f->dp_addr));
	f->dp_port = (uint16_t)cfg->dataplane.msrp_port;
	snprintf(url, sizeof(url), "sip:%s:%u", ip, cfg->controlplane.sip_port);
	f->nua = nua_create(root, focus_event, (nua_magic_t *)f, NUTAG_URL(url),
	                    NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
	                    NUTAG_ENABLEINVITE(1), NUTAG_APPL_METHOD("OPTIONS"),
	                    SIPTAG_ALLOW_STR(FOCUS_ALLOW), SIPTAG_SERVER_STR(FOCUS_SERVER),
	                    SIPTAG_USER_AGENT_STR(FOCUS_SERVER),
	                    SIPTAG_SUPPORTED_STR("timer, recipient-list-invite"), TAG_END());
	if (f->nua == NULL) {
		snprintf(err, errlen, "SIP on %s: cannot bind (address in use or not local?)", url);
		free(f);
		return NULL;
	}
	f->tick = su_timer_create(su_root_task(root), 1);
	if (f->tick == NULL ||
	    su_timer_set_for_ever(f->tick, focus_tick, (su_timer_arg_t *)f) != 0) {
		snprintf(err, errlen, "timer: out of memory");
		focus_destroy(f);
		return NULL;
	}
	focus_ctl_ready(f);
	LOG(focus_log, NOTICE, "focus on sip:%s (factory sip:%s@%s), data plane instance %s",
	    f->host, cfg->controlplane.factory_user, f->host, instance);
	return f;
}

void
focus_shutdown(struct focus *f)
{
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		struct focus_leg *l = &f->legs[i];

		if (l->in_use && l->answered && !l->ending) {
			l->ending = true;
			nua_bye(l->nh, TAG_END());
		}
	}
	nua_shutdown(f->nua);
}

void
focus_destroy(struct focus *f)
{
	if (f == NULL)
		return;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++)
		if (f->legs[i].in_use)
			focus_leg_end(f, &f->legs[i]);
	if (f->tick != NULL)
		su_timer_destroy(f->tick);
	if (f->nua != NULL)
		nua_destroy(f->nua);
	ctl_client_detach(f->ctl);
	free(f);
}
