/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REFER to a conference (RFC 3515, RFC 4579 §5.5/5.6; requirements REF-01..REF-10): a
 * participant adds a user (Refer-To <uri> or <uri;method=INVITE>: the focus INVITEs it) or,
 * as the conference's owner, removes one (<uri;method=BYE>: the focus BYEs it). The referrer
 * gets 202 and NOTIFYs with message/sipfrag progress; the final one carries the INVITE's
 * final status line and ends the implicit subscription.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "focus/focus_pvt.h"
#include "log/log.h"

#define FOCUS_SIPFRAG "message/sipfrag;version=2.0"

void
focus_refer_release(struct focus *f, struct focus_refer *r)
{
	(void)f;
	if (!r->in_use)
		return;
	if (r->own_handle && r->nh != NULL) {
		nua_handle_bind(r->nh, NULL);
		nua_handle_destroy(r->nh);
	}
	r->nh = NULL;
	r->in_use = false;
}

static void
focus_refer_refuse(struct focus *f, nua_handle_t *nh, bool own, int status, const char *phrase,
                   const char *warning)
{
	char w[256];

	f->cnt[FOCUS_CNT_REFER_REJECTED]++;
	if (warning != NULL)
		focus_warning(f, warning, w, sizeof(w));
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(f->nua),
	            TAG_IF(warning != NULL, SIPTAG_WARNING_STR(w)), SIPTAG_SERVER_STR(FOCUS_SERVER),
	            TAG_END());
	if (own)
		focus_handle_doom(f, nh);
}

static void
focus_refer_send_final(struct focus_refer *r)
{
	r->final_tries++;
	nua_notify(r->nh, NUTAG_SUBSTATE(nua_substate_terminated),
	           SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource"),
	           TAG_IF(r->event != NULL, SIPTAG_EVENT(r->event)),
	           TAG_IF(r->event == NULL, SIPTAG_EVENT_STR("refer")),
	           SIPTAG_CONTENT_TYPE_STR(FOCUS_SIPFRAG), SIPTAG_PAYLOAD_STR(r->final_frag),
	           SIPTAG_USER_AGENT_STR(FOCUS_SERVER), TAG_END());
}

/* The implicit subscription's last NOTIFY: the final status line (RFC 3515 §2.4.5). */
void
focus_refer_result(struct focus *f, uint32_t refer, int status, const char *phrase)
{
	struct focus_refer *r;

	if (refer >= FOCUS_MAX_REFERS || !f->refers[refer].in_use || f->refers[refer].done)
		return;
	r = &f->refers[refer];
	snprintf(r->final_frag, sizeof(r->final_frag), "SIP/2.0 %d %s\r\n", status, phrase);
	r->done = true;
	/*
	 * Not at once: nua's own "100 Trying" NOTIFYs for the 202 are still queued and would
	 * overtake (and void) a terminating one; the housekeeping tick sends it.
	 */
	r->retry_at_ms = focus_mono_ms();
}

/* A response to one of the subscription's NOTIFYs (nua's or ours). */
void
focus_refer_r_notify(struct focus *f, struct focus_refer *r, int status)
{
	/* Responses to nua's own NOTIFYs, or before ours went out, change nothing. */
	if (status < 200 || r->final_tries == 0 || r->retry_at_ms != 0)
		return;
	if (status < 300 || r->final_tries >= 5) {
		focus_refer_release(f, r);
		return;
	}
	/* Ours was refused (another NOTIFY in flight) or lost: again a little later. */
	r->retry_at_ms = focus_mono_ms() + 100;
}

void
focus_refer_tick(struct focus *f, uint64_t now_ms)
{
	for (uint32_t i = 0; i < FOCUS_MAX_REFERS; i++) {
		struct focus_refer *r = &f->refers[i];

		if (r->in_use && r->retry_at_ms != 0 && now_ms >= r->retry_at_ms) {
			r->retry_at_ms = 0;
			focus_refer_send_final(r);
			/* An in-dialog REFER rides the participant's dialog: nothing to wait for.
			 */
			if (!r->own_handle)
				focus_refer_release(f, r);
		}
	}
}

static struct focus_refer *
focus_refer_new(struct focus *f)
{
	for (uint32_t i = 0; i < FOCUS_MAX_REFERS; i++)
		if (!f->refers[i].in_use) {
			memset(&f->refers[i], 0, sizeof(f->refers[i]));
			f->refers[i].obj.kind = FOCUS_OBJ_REFER;
			f->refers[i].in_use = true;
			return &f->refers[i];
		}
	return NULL;
}

void
focus_refer_request(struct focus *f, nua_handle_t *nh, struct focus_leg *in_dialog,
                    const sip_t *sip, tagi_t tags[])
{
	const url_t *ru = sip->sip_request != NULL ? sip->sip_request->rq_url : NULL;
	const sip_refer_to_t *rt = sip->sip_refer_to;
	bool own = in_dialog == NULL;
	sip_event_t const *ev = NULL;
	char who[256], target[ULIST_URI_CAP], method[16] = "INVITE";
	struct focus_leg *referrer, *t;
	struct focus_conf *c;
	struct focus_refer *r;
	url_t tu;

	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), TAG_END());
	/* REF-04: exactly one Refer-To. */
	if (rt == NULL || rt->r_url->url_host == NULL ||
	    (sip->sip_error != NULL && strncasecmp(sip->sip_error->er_name, "Refer-To", 8) == 0)) {
		focus_refer_refuse(f, nh, own, 400, "Bad Request", "exactly one Refer-To needed");
		return;
	}
	c = in_dialog != NULL ? &f->confs[in_dialog->conf] : focus_conf_by_uri(f, ru);
	if (c == NULL || !c->in_use || c->ending) {
		focus_refer_refuse(f, nh, own, 404, "Not Found", "no such conference");
		return;
	}
	if (in_dialog != NULL)
		snprintf(who, sizeof(who), "%s", in_dialog->identity);
	else if (!focus_identity(f, f->nua, sip, who, sizeof(who))) {
		focus_refer_refuse(f, nh, own, 403, "Forbidden", FOCUS_WARN_NOT_AUTH);
		return;
	}
	/* REF-01/05: only a participant of the conference refers. */
	referrer = focus_leg_by_real_identity(f, c, who, FOCUS_ST_CONNECTED);
	if (referrer == NULL) {
		focus_refer_refuse(f, nh, own, 403, "Forbidden", "only participants may refer");
		return;
	}
	if (rt->r_url->url_params != NULL) {
		char m[sizeof(method)];

		/* RFC 4579 §5.5/5.6: Refer-To <uri;method=BYE> removes, INVITE (default) adds. */
		if (url_param(rt->r_url->url_params, "method", m, sizeof(m)) > 0)
			snprintf(method, sizeof(method), "%s", m);
	}
	tu = *rt->r_url;
	tu.url_params = NULL;
	tu.url_headers = NULL;
	url_e(target, sizeof(target), &tu);
	if (strcasecmp(method, "INVITE") != 0 && strcasecmp(method, "BYE") != 0) {
		/* REF-08: only adding and removing participants. */
		focus_refer_refuse(f, nh, own, 501, "Not Implemented",
		                   "Refer-To method must be INVITE or BYE");
		return;
	}
	if (strcasecmp(method, "BYE") == 0) {
		/* REF-06/07: the owner removes others; not in a 1:1 session. */
		if (c->kind == FOCUS_CONF_1TO1 || strcasecmp(c->owner, who) != 0) {
			focus_refer_refuse(f, nh, own, 403, "Forbidden",
			                   "only the conference owner removes participants");
			return;
		}
		t = focus_leg_by_identity(f, c, target);
		if (t == NULL) {
			focus_refer_refuse(f, nh, own, 404, "Not Found", "not a participant");
			return;
		}
	} else {
		t = focus_leg_by_identity(f, c, target);
		if (t == NULL && focus_conf_active(f, c) >= c->max_participants) {
			focus_refer_refuse(f, nh, own, 403, "Forbidden", FOCUS_WARN_TOO_MANY);
			return;
		}
	}
	r = focus_refer_new(f);
	if (r == NULL) {
		f->cnt[FOCUS_CNT_REFER_REJECTED]++;
		nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(f->nua),
		            SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		if (own)
			focus_handle_doom(f, nh);
		return;
	}
	r->nh = nh;
	r->own_handle = own;
	if (ev != NULL)
		r->event = sip_event_dup(nua_handle_home(nh), ev);
	/* REF-03: the invitee learns who referred it; an anonymous referrer by alias. */
	if (referrer->anonymous)
		snprintf(r->referred_by, sizeof(r->referred_by), "\"%s\" <%s>", referrer->alias,
		         referrer->alias_uri);
	else
		snprintf(r->referred_by, sizeof(r->referred_by), "<%s>", referrer->identity);
	if (own)
		nua_handle_bind(nh, (nua_hmagic_t *)r);
	f->cnt[FOCUS_CNT_REFERS]++;
	nua_respond(nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(f->nua), SIPTAG_SERVER_STR(FOCUS_SERVER),
	            TAG_END());
	LOG(focus_log, INFO, "%s refers %s to %s of conference %s", who, method, target, c->id);
	if (strcasecmp(method, "BYE") == 0) {
		focus_leg_bye(f, t, FOCUS_END_BOOTED);
		focus_refer_result(f, (uint32_t)(r - f->refers), 200, "OK");
		return;
	}
	if (t != NULL) {
		/* REF-05: already a participant: success without a second INVITE. */
		focus_refer_result(f, (uint32_t)(r - f->refers), 200, "OK");
		return;
	}
	if (c->kind == FOCUS_CONF_1TO1) {
		/* OMA 7.1.1.6: the 1:1 session becomes a conference of more. */
		c->kind = FOCUS_CONF_ADHOC;
		c->max_participants = f->cfg->controlplane.max_participants;
	}
	switch (focus_dial_out(f, c, target, (uint32_t)(r - f->refers))) {
	case -ENOSPC:
		focus_refer_result(f, (uint32_t)(r - f->refers), 486, "Busy Here");
		break;
	case -ENOMEM:
		focus_refer_result(f, (uint32_t)(r - f->refers), 503, "Service Unavailable");
		break;
	default:
		/* 0: the INVITE's outcome comes later; else the ended leg reported it. */
		break;
	}
}
