/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference event package (RFC 4575, RFC 6665; requirements CNF-01..CNF-10): a
 * SUBSCRIBE to a conference URI (or to a group's Group Identity while its session runs) from
 * a participant gets 200, then a full conference-info document; every join, leave and
 * display-name change goes to every subscriber as a partial document; the session's end
 * terminates the subscriptions (reason=noresource).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "confinfo/cinfo.h"
#include "focus/focus_pvt.h"
#include "log/log.h"

#define FOCUS_SUB_EXPIRES_DEF 600u  /* when the SUBSCRIBE has no Expires (RFC 4575 §4.2) */
#define FOCUS_SUB_EXPIRES_MAX 3600u /* we shorten longer requests (RFC 6665 §4.2.1.1) */
#define FOCUS_DOC_CAP         65536u

static struct focus_sub *
focus_sub_new(struct focus *f)
{
	for (uint32_t i = 0; i < FOCUS_MAX_SUBS; i++)
		if (!f->subs[i].in_use) {
			memset(&f->subs[i], 0, sizeof(f->subs[i]));
			f->subs[i].obj.kind = FOCUS_OBJ_SUB;
			f->subs[i].in_use = true;
			return &f->subs[i];
		}
	return NULL;
}

void
focus_sub_release(struct focus *f, struct focus_sub *s)
{
	(void)f;
	if (!s->in_use)
		return;
	if (s->nh != NULL) {
		nua_handle_bind(s->nh, NULL);
		nua_handle_destroy(s->nh);
	}
	s->nh = NULL;
	s->in_use = false;
}

static enum cinfo_status
focus_sub_status(enum focus_leg_status st)
{
	switch (st) {
	case FOCUS_ST_PENDING:
		return CINFO_STATUS_PENDING;
	case FOCUS_ST_DIALING_OUT:
		return CINFO_STATUS_DIALING_OUT;
	case FOCUS_ST_ALERTING:
		return CINFO_STATUS_ALERTING;
	case FOCUS_ST_CONNECTED:
		return CINFO_STATUS_CONNECTED;
	case FOCUS_ST_DISCONNECTING:
		return CINFO_STATUS_DISCONNECTING;
	default:
		return CINFO_STATUS_DISCONNECTED;
	}
}

static void
focus_sub_user(const struct focus_leg *l, struct cinfo_user *u, char *reason, size_t cap)
{
	memset(u, 0, sizeof(*u));
	/* CNF-06 / ALS-03: an anonymous participant is shown by its alias URI only. */
	u->entity = focus_leg_shown_uri(l);
	u->state = CINFO_STATE_FULL;
	u->display_text = l->alias[0] != '\0' ? l->alias : NULL;
	u->status = focus_sub_status(l->status);
	u->joining = l->outgoing ? CINFO_JOIN_DIALED_OUT : CINFO_JOIN_DIALED_IN;
	u->joined_ms = (int64_t)l->connect_ms;
	u->media_id = "1";
	if (l->status == FOCUS_ST_DISCONNECTED) {
		u->disconnected_ms = (int64_t)focus_now_ms();
		switch (l->end) {
		case FOCUS_END_BOOTED:
			u->disconnection = CINFO_DISC_BOOTED;
			break;
		case FOCUS_END_FAILED:
			u->disconnection =
			        l->end_status == 486 ? CINFO_DISC_BUSY : CINFO_DISC_FAILED;
			if (l->end_status != 0) {
				snprintf(reason, cap, "SIP %d", l->end_status);
				u->disconnection_reason = reason;
			}
			break;
		default:
			u->disconnection = CINFO_DISC_DEPARTED;
			break;
		}
	}
}

/* Writes the conference-info document for s: full, or partial with only changed. */
static ssize_t
focus_sub_doc(struct focus *f, struct focus_sub *s, const struct focus_leg *changed, char *buf,
              size_t cap)
{
	struct focus_conf *c = &f->confs[s->conf];
	static struct cinfo_user users[FOCUS_MAX_LEGS];
	static char reasons[FOCUS_MAX_LEGS][16];
	struct cinfo_doc d;
	size_t n = 0;

	memset(&d, 0, sizeof(d));
	d.entity = c->uri;
	d.version = s->version + 1;
	d.state = changed != NULL ? CINFO_STATE_PARTIAL : CINFO_STATE_FULL;
	if (c->group >= 0) {
		const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[c->group];

		d.display_text = g->display_name[0] != '\0' ? g->display_name : g->name;
	}
	d.max_user_count = c->max_participants;
	d.has_user_count = true;
	d.has_active = true;
	d.active = !c->ending;
	for (uint32_t i = 0; i < FOCUS_MAX_LEGS; i++) {
		const struct focus_leg *l = &f->legs[i];

		if (!l->in_use || l->conf != s->conf)
			continue;
		if (l->status == FOCUS_ST_CONNECTED)
			d.user_count++; /* CNF-10 */
		if (changed != NULL ? l == changed : l->status != FOCUS_ST_DISCONNECTED)
			focus_sub_user(l, &users[n++], reasons[i], sizeof(reasons[i]));
	}
	/* A leg that just ended was freed before the loop saw it: the caller passes it. */
	if (changed != NULL && n == 0)
		focus_sub_user(changed, &users[n++], reasons[0], sizeof(reasons[0]));
	d.users = users;
	d.n_users = n;
	return cinfo_build(&d, buf, cap);
}

/* NOTIFY of the current state (or of changed only) to s; terminated ends it. */
static void
focus_sub_notify(struct focus *f, struct focus_sub *s, const struct focus_leg *changed,
                 const char *terminated)
{
	static char doc[FOCUS_DOC_CAP];
	ssize_t n;

	if (s->terminated)
		return;
	if (s->busy) {
		s->pend_full = true;
		if (terminated != NULL)
			snprintf(s->pend_term, sizeof(s->pend_term), "%s", terminated);
		return;
	}
	n = s->conf != FOCUS_NONE ? focus_sub_doc(f, s, changed, doc, sizeof(doc)) : -1;
	if (n < 0 && s->conf != FOCUS_NONE) {
		LOG(focus_log, WARNING, "conference-info of %s: %s", f->confs[s->conf].id,
		    strerror((int)-n));
		return;
	}
	if (n >= 0)
		s->version++;
	f->cnt[FOCUS_CNT_NOTIFIES]++;
	if (terminated != NULL)
		s->terminated = true;
	s->busy = true;
	nua_notify(
	        s->nh, NUTAG_SUBSTATE(terminated ? nua_substate_terminated : nua_substate_active),
	        TAG_IF(terminated, SIPTAG_SUBSCRIPTION_STATE_STR(terminated)),
	        SIPTAG_EVENT_STR("conference"), TAG_IF(n >= 0, SIPTAG_CONTENT_TYPE_STR(CINFO_MIME)),
	        TAG_IF(n >= 0, SIPTAG_PAYLOAD_STR(doc)), SIPTAG_USER_AGENT_STR(FOCUS_SERVER),
	        TAG_END());
}

static void
focus_sub_refuse(struct focus *f, nua_handle_t *nh, int status, const char *phrase,
                 const char *warning)
{
	char w[256];

	f->cnt[FOCUS_CNT_SUB_REJECTED]++;
	if (warning != NULL)
		focus_warning(f, warning, w, sizeof(w));
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(f->nua),
	            TAG_IF(warning != NULL, SIPTAG_WARNING_STR(w)),
	            TAG_IF(status == 489, SIPTAG_ALLOW_EVENTS_STR("conference")),
	            TAG_IF(status == 406, SIPTAG_ACCEPT_STR(CINFO_MIME)),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
	focus_handle_doom(f, nh);
}

/* CNF-09: does the Accept header allow conference-info? (No Accept: RFC 4575 default.) */
static bool
focus_sub_accepts(const sip_t *sip)
{
	if (sip->sip_accept == NULL)
		return true;
	for (const sip_accept_t *a = sip->sip_accept; a != NULL; a = a->ac_next) {
		const char *t = a->ac_type;

		if (t == NULL || strcasecmp(t, CINFO_MIME) == 0 || strcmp(t, "*/*") == 0 ||
		    strcasecmp(t, "application/*") == 0)
			return true;
	}
	return false;
}

/* May who see the conference state? Its participants, and a group's members (CNF-03). */
static bool
focus_sub_allowed(struct focus *f, struct focus_conf *c, const char *who)
{
	/* An anonymous participant subscribes under its real identity. */
	if (focus_leg_by_identity(f, c, who) != NULL ||
	    focus_leg_by_real_identity(f, c, who, FOCUS_ST_PENDING) != NULL)
		return true;
	if (c->group >= 0) {
		const struct cfg_im_group *g = &f->cfg->controlplane.groups.v[c->group];

		for (uint32_t i = 0; i < g->members.n; i++)
			if (strcasecmp(g->members.v[i].uri, who) == 0)
				return true;
	}
	return false;
}

void
focus_sub_request(struct focus *f, nua_handle_t *nh, struct focus_sub *s, const sip_t *sip)
{
	const url_t *ru = sip->sip_request != NULL ? sip->sip_request->rq_url : NULL;
	uint32_t expires = sip->sip_expires != NULL ? (uint32_t)sip->sip_expires->ex_delta
	                                            : FOCUS_SUB_EXPIRES_DEF;
	char exp[16];
	struct focus_conf *c;

	if (expires > FOCUS_SUB_EXPIRES_MAX)
		expires = FOCUS_SUB_EXPIRES_MAX;
	snprintf(exp, sizeof(exp), "%u", expires);
	if (s != NULL) {
		s->expires_ms = focus_mono_ms() + expires * 1000ull;
		/* A refresh, or Expires: 0 to end it (CNF-07): 200, then the state. */
		nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(f->nua), SIPTAG_EXPIRES_STR(exp),
		            NUTAG_SUBSTATE(expires ? nua_substate_active : nua_substate_terminated),
		            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
		focus_sub_notify(f, s, NULL, expires ? NULL : "terminated;reason=timeout");
		return;
	}
	if (sip->sip_event == NULL || strcasecmp(sip->sip_event->o_type, "conference") != 0) {
		focus_sub_refuse(f, nh, 489, "Bad Event", NULL);
		return;
	}
	if (!focus_sub_accepts(sip)) {
		focus_sub_refuse(f, nh, 406, "Not Acceptable", NULL);
		return;
	}
	if (sip->sip_to != NULL && sip->sip_to->a_tag != NULL) {
		/* A SUBSCRIBE inside the INVITE dialog: we run subscriptions on dialogs of their
		 * own (RFC 6665 §4.5.2 allows refusing; the client retries out of dialog). */
		focus_sub_refuse(f, nh, 403, "Forbidden", "subscribe outside the session dialog");
		return;
	}
	c = focus_conf_by_uri(f, ru);
	if (c == NULL || c->ending) {
		focus_sub_refuse(f, nh, 404, "Not Found", "no such conference");
		return;
	}
	s = focus_sub_new(f);
	if (s == NULL) {
		f->cnt[FOCUS_CNT_SUB_REJECTED]++;
		nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(f->nua),
		            SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		focus_handle_doom(f, nh);
		return;
	}
	if (!focus_identity(f, f->nua, sip, s->identity, sizeof(s->identity))) {
		s->in_use = false;
		focus_sub_refuse(f, nh, 403, "Forbidden", FOCUS_WARN_NOT_AUTH);
		return;
	}
	if (!focus_sub_allowed(f, c, s->identity)) {
		s->in_use = false;
		focus_sub_refuse(f, nh, 403, "Forbidden", "only participants see the conference");
		return;
	}
	s->nh = nh;
	s->conf = focus_conf_idx(f, c);
	s->expires_ms = focus_mono_ms() + expires * 1000ull;
	nua_handle_bind(nh, (nua_hmagic_t *)s);
	f->cnt[FOCUS_CNT_SUBSCRIBES]++;
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(f->nua), SIPTAG_EXPIRES_STR(exp),
	            NUTAG_SUBSTATE(expires ? nua_substate_active : nua_substate_terminated),
	            SIPTAG_SERVER_STR(FOCUS_SERVER), TAG_END());
	/* CNF-02: the full state right after the 2xx (a fetch, Expires 0, gets it too). */
	focus_sub_notify(f, s, NULL, expires ? NULL : "terminated;reason=timeout");
	LOG(focus_log, INFO, "%s subscribed to conference %s", s->identity, c->id);
}

/* CNF-05: a participant joined, changed or left: a partial document to every subscriber. */
void
focus_sub_changed(struct focus *f, struct focus_conf *c, struct focus_leg *l)
{
	uint32_t ci = focus_conf_idx(f, c);

	for (uint32_t i = 0; i < FOCUS_MAX_SUBS; i++) {
		struct focus_sub *s = &f->subs[i];

		if (s->in_use && !s->terminated && s->conf == ci)
			focus_sub_notify(f, s, l, NULL);
	}
}

/* CNF-08: the session ended: every subscription terminates with reason=noresource. */
void
focus_sub_conf_ended(struct focus *f, struct focus_conf *c)
{
	uint32_t ci = focus_conf_idx(f, c);

	for (uint32_t i = 0; i < FOCUS_MAX_SUBS; i++) {
		struct focus_sub *s = &f->subs[i];

		if (s->in_use && s->conf == ci) {
			c->ending = true;
			focus_sub_notify(f, s, NULL, "terminated;reason=noresource");
			s->conf = FOCUS_NONE;
		}
	}
}

/* Subscriptions nobody refreshed end (RFC 6665 §4.2.2: reason=timeout). */
void
focus_sub_tick(struct focus *f, uint64_t now_ms)
{
	for (uint32_t i = 0; i < FOCUS_MAX_SUBS; i++) {
		struct focus_sub *s = &f->subs[i];

		if (s->in_use && !s->terminated && now_ms >= s->expires_ms)
			focus_sub_notify(f, s, NULL, "terminated;reason=timeout");
	}
}

/* The subscriber answered a NOTIFY: a final one, or an error, ends the subscription. */
void
focus_sub_r_notify(struct focus *f, struct focus_sub *s, int status)
{
	if (status < 200)
		return;
	s->busy = false;
	if (s->terminated || status >= 300) {
		focus_sub_release(f, s);
		return;
	}
	if (s->pend_full) {
		char term[sizeof(s->pend_term)];

		snprintf(term, sizeof(term), "%s", s->pend_term);
		s->pend_full = false;
		s->pend_term[0] = '\0';
		focus_sub_notify(f, s, NULL, term[0] != '\0' ? term : NULL);
	}
}
