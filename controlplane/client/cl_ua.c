/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "client/cl_cinfo.h"
#include "client/cl_ua.h"

/* OMA SIMPLE IM 5.2: the IM feature tag, in Contact and Accept-Contact. */
#define CL_UA_FEATURE     "+g.oma.sip-im"
#define CL_UA_ALLOW       "INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY"
#define CL_UA_SUB_EXPIRES "600" /* RFC 4575 §4.2 default; nua refreshes before it */

/* One REFER of ours and its implicit subscription (RFC 3515 §2.4.4). */
struct cl_ua_refer {
	nua_handle_t *nh; /* NULL: free */
	char target[256];
	bool bye; /* Refer-To ;method=BYE */
	bool over;
};

/* Thread-safety: owned by the su_root thread; nua calls back on it. */
struct cl_ua {
	nua_t *nua;
	nua_handle_t *nh;
	const struct cl_ua_ops *ops;
	void *ctx;
	bool accept_calls; /* listen mode: incoming INVITEs are ours to answer */
	bool incoming;     /* nh is an incoming INVITE (listen mode) */
	bool answered;     /* 2xx received (or, incoming, sent) */
	bool over;         /* the INVITE dialog is gone (failed, cancelled or ended) */
	bool hung_up;      /* we asked for the end (CANCEL or BYE) */
	bool done;         /* nua shutdown completed */
	nua_handle_t *sub_nh;
	bool sub_active; /* SUBSCRIBE sent and not terminated */
	char *local_sdp; /* the SDP we sent in the INVITE or its answer (NULL: none) */
	struct cl_ua_refer refers[CL_UA_REFERS_MAX];
};

static void
cl_ua_on_invite_response(struct cl_ua *u, int status, const char *phrase, const sip_t *sip)
{
	char contact[512] = "", why[256];
	bool isfocus = false;

	if (status < 200 || u->over)
		return;
	if (status < 300) {
		if (u->answered)
			return; /* a 2xx retransmission: nua ACKs it again */
		u->answered = true;
		if (u->hung_up) {
			/* The 200 crossed our CANCEL (RFC 3261 §9.1): end the call with BYE. */
			nua_bye(u->nh, TAG_END());
			return;
		}
		if (sip != NULL && sip->sip_contact != NULL) {
			url_e(contact, (isize_t)sizeof(contact), sip->sip_contact->m_url);
			isfocus = msg_params_find(sip->sip_contact->m_params, "isfocus") != NULL;
		}
		u->ops->answered(
		        u->ctx, contact, isfocus,
		        sip != NULL && sip->sip_payload != NULL ? sip->sip_payload->pl_data : NULL,
		        sip != NULL && sip->sip_payload != NULL ? sip->sip_payload->pl_len : 0);
		return;
	}
	u->over = true;
	/* The focus explains its refusals in a Warning (docs/controlplane.md). */
	if (sip != NULL && sip->sip_warning != NULL && sip->sip_warning->w_text != NULL)
		snprintf(why, sizeof(why), "%d %s (%s)", status, phrase != NULL ? phrase : "",
		         sip->sip_warning->w_text);
	else
		snprintf(why, sizeof(why), "%d %s", status, phrase != NULL ? phrase : "");
	u->ops->failed(u->ctx, status, why);
}

static struct cl_ua_refer *
cl_ua_refer_of(struct cl_ua *u, nua_handle_t *nh)
{
	for (int i = 0; i < CL_UA_REFERS_MAX; i++)
		if (u->refers[i].nh != NULL && u->refers[i].nh == nh)
			return &u->refers[i];
	return NULL;
}

/* "SIP/2.0 200 OK" of a message/sipfrag body (RFC 3420) -> 200 and its line. */
static int
cl_ua_sipfrag_status(const sip_t *sip, char *line, size_t cap)
{
	const char *b, *eol;
	size_t n;
	int status = 0;

	line[0] = '\0';
	if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_data == NULL)
		return 0;
	b = sip->sip_payload->pl_data;
	n = sip->sip_payload->pl_len;
	eol = memchr(b, '\n', n);
	if (eol != NULL)
		n = (size_t)(eol - b);
	if (n > 0 && b[n - 1] == '\r')
		n--;
	snprintf(line, cap, "%.*s", (int)n, b);
	if (n > 8 && strncmp(line, "SIP/2.0 ", 8) == 0)
		status = atoi(line + 8);
	return status;
}

static bool
cl_ua_terminated(const sip_t *sip, tagi_t tags[], char *reason, size_t cap)
{
	int substate = nua_substate_active;

	reason[0] = '\0';
	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	if (sip != NULL && sip->sip_subscription_state != NULL) {
		const sip_subscription_state_t *ss = sip->sip_subscription_state;

		if (ss->ss_reason != NULL)
			snprintf(reason, cap, "%s", ss->ss_reason);
		if (ss->ss_substate != NULL && strcasecmp(ss->ss_substate, "terminated") == 0)
			return true;
	}
	return substate == nua_substate_terminated;
}

static void
cl_ua_on_refer_event(struct cl_ua *u, struct cl_ua_refer *r, nua_event_t event, int status,
                     const char *phrase, const sip_t *sip, tagi_t tags[])
{
	char line[256], reason[64];
	bool term;
	int st;

	if (r->over)
		return;
	if (event == nua_r_refer) {
		if (status < 200)
			return;
		if (status >= 300)
			r->over = true;
		u->ops->refer_progress(u->ctx, r->target, r->bye, false, status,
		                       phrase != NULL ? phrase : "", r->over);
		return;
	}
	if (event != nua_i_notify)
		return;
	term = cl_ua_terminated(sip, tags, reason, sizeof(reason));
	st = cl_ua_sipfrag_status(sip, line, sizeof(line));
	if (term)
		r->over = true;
	u->ops->refer_progress(u->ctx, r->target, r->bye, true, st, line[0] != '\0' ? line : reason,
	                       r->over);
}

static void
cl_ua_on_sub_event(struct cl_ua *u, nua_event_t event, int status, const char *phrase,
                   const sip_t *sip, tagi_t tags[])
{
	char reason[64], why[256];

	if (event == nua_r_subscribe) {
		if (status < 300 || !u->sub_active)
			return;
		u->sub_active = false;
		if (sip != NULL && sip->sip_warning != NULL && sip->sip_warning->w_text != NULL)
			snprintf(why, sizeof(why), "%d %s (%s)", status,
			         phrase != NULL ? phrase : "", sip->sip_warning->w_text);
		else
			snprintf(why, sizeof(why), "%d %s", status, phrase != NULL ? phrase : "");
		u->ops->sub_failed(u->ctx, status, why);
		return;
	}
	if (event != nua_i_notify || !u->sub_active)
		return;
	if (cl_ua_terminated(sip, tags, reason, sizeof(reason)))
		u->sub_active = false;
	u->ops->notified(
	        u->ctx,
	        sip != NULL && sip->sip_content_type != NULL ? sip->sip_content_type->c_type : "",
	        sip != NULL && sip->sip_payload != NULL ? sip->sip_payload->pl_data : NULL,
	        sip != NULL && sip->sip_payload != NULL ? sip->sip_payload->pl_len : 0,
	        !u->sub_active, reason);
}

/*
 * A re-INVITE in our dialog. One that keeps the media (a session refresh, RFC 4028 §7, or no
 * offer at all) gets 200 with our SDP again; a changed a=path (e.g. after a data-plane
 * restart) is not supported: 488 keeps the session as it was (RFC 3261 §14.2).
 */
static void
cl_ua_on_reinvite(struct cl_ua *u, const sip_t *sip)
{
	bool has_offer = sip != NULL && sip->sip_payload != NULL && sip->sip_payload->pl_len > 0;

	if (u->local_sdp != NULL &&
	    (!has_offer ||
	     u->ops->same_media(u->ctx, sip->sip_payload->pl_data, sip->sip_payload->pl_len))) {
		nua_respond(u->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		            SIPTAG_PAYLOAD_STR(u->local_sdp), SIPTAG_ALLOW_STR(CL_UA_ALLOW),
		            TAG_END());
		return;
	}
	nua_respond(u->nh, SIP_488_NOT_ACCEPTABLE,
	            SIPTAG_WARNING_STR("399 msw-client \"a new MSRP path is not supported\""),
	            TAG_END());
}

/* Keeps the SDP we sent (offer or answer): a session refresh gets it again. */
static void
cl_ua_keep_sdp(struct cl_ua *u, const char *sdp)
{
	free(u->local_sdp);
	u->local_sdp = sdp != NULL ? strdup(sdp) : NULL;
}

/* Listen mode: an INVITE that is not ours yet (RFC 3261 §13.3). */
static void
cl_ua_on_incoming(struct cl_ua *u, nua_handle_t *nh, const sip_t *sip)
{
	char from[512] = "", display[256] = "", contact[512] = "";
	bool isfocus = false;

	if (!u->accept_calls || u->nh != NULL) {
		/* Without --listen, or already in a session (docs/client.md). */
		if (u->accept_calls)
			nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
		else
			nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	u->nh = nh;
	u->incoming = true;
	nua_handle_bind(nh, (nua_hmagic_t *)u);
	if (sip->sip_from != NULL) {
		url_e(from, (isize_t)sizeof(from), sip->sip_from->a_url);
		if (sip->sip_from->a_display != NULL) {
			const char *d = sip->sip_from->a_display;
			size_t k = 0;

			/* The quoted-string unquoted (RFC 3261 §25.1 quoted-pair). */
			for (; *d != '\0' && k + 1 < sizeof(display); d++) {
				if (*d == '"')
					continue;
				if (*d == '\\' && d[1] != '\0')
					d++;
				display[k++] = *d;
			}
			display[k] = '\0';
		}
	}
	if (sip->sip_contact != NULL) {
		url_e(contact, (isize_t)sizeof(contact), sip->sip_contact->m_url);
		isfocus = msg_params_find(sip->sip_contact->m_params, "isfocus") != NULL;
	}
	u->ops->invited(u->ctx, from, display, contact, isfocus,
	                sip->sip_payload != NULL ? sip->sip_payload->pl_data : NULL,
	                sip->sip_payload != NULL ? sip->sip_payload->pl_len : 0);
}

static void
cl_ua_event(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
            nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct cl_ua *u = (struct cl_ua *)magic;
	struct cl_ua_refer *r;

	(void)nua;
	if (nh != NULL && nh == u->sub_nh) {
		cl_ua_on_sub_event(u, event, status, phrase, sip, tags);
		return;
	}
	if (nh != NULL && (r = cl_ua_refer_of(u, nh)) != NULL) {
		cl_ua_on_refer_event(u, r, event, status, phrase, sip, tags);
		return;
	}
	switch (event) {
	case nua_r_invite:
		if (nh == u->nh)
			cl_ua_on_invite_response(u, status, phrase, sip);
		break;
	case nua_i_state: {
		int state = nua_callstate_init;

		if (nh != u->nh)
			break;
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (u->incoming && state == nua_callstate_ready && u->answered && !u->over) {
			u->ops->confirmed(u->ctx);
			break;
		}
		if (state != nua_callstate_terminated || (u->over && !u->answered))
			break;
		if (!u->answered) {
			/* Ended before any final response reached us (transport error). */
			u->over = true;
			u->ops->failed(u->ctx, status >= 300 ? status : 503,
			               phrase != NULL ? phrase : "call failed");
			break;
		}
		if (!u->over) {
			u->over = true;
			u->ops->ended(u->ctx, !u->hung_up);
		}
		break;
	}
	case nua_i_invite:
		if (nh != u->nh && sip != NULL)
			cl_ua_on_incoming(u, nh, sip);
		else if (nh == u->nh && u->answered && !u->over)
			cl_ua_on_reinvite(u, sip);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			u->done = true;
		break;
	default:
		/*
		 * Other incoming requests (MESSAGE, OPTIONS...) on a handle nua made for them
		 * (no hmagic): nua answers them itself, we free the handle. Never one of ours:
		 * a late event on a handle we already destroyed must not destroy it twice.
		 */
		if (nh != NULL && hmagic == NULL && nh != u->nh &&
		    nua_event_is_incoming_request(event))
			nua_handle_destroy(nh);
		break;
	}
}

struct cl_ua *
cl_ua_create(su_root_t *root, const char *bind_url, const char *from, const char *proxy,
             bool accept_calls, const struct cl_ua_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct cl_ua *u = calloc(1, sizeof(*u));

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->ops = ops;
	u->ctx = ctx;
	u->accept_calls = accept_calls;
	/* NUTAG_PROXY: requests keep their Request-URI and go to the proxy (RFC 3261 §8.1.2). */
	u->nua = nua_create(root, cl_ua_event, (nua_magic_t *)u, NUTAG_URL(bind_url),
	                    TAG_IF(proxy != NULL, NUTAG_PROXY(proxy)), SIPTAG_FROM_STR(from),
	                    NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOACK(1),
	                    NUTAG_M_FEATURES(CL_UA_FEATURE), SIPTAG_ALLOW_STR(CL_UA_ALLOW),
	                    SIPTAG_USER_AGENT_STR(CL_UA_AGENT), TAG_END());
	if (u->nua == NULL) {
		snprintf(err, errlen, "SIP on %s: cannot bind", bind_url);
		free(u);
		return NULL;
	}
	return u;
}

int
cl_ua_invite(struct cl_ua *u, const char *target, bool tcp, const char *sdp)
{
	char req[600];

	if (u->nh != NULL)
		return -EALREADY;
	if (snprintf(req, sizeof(req), "%s%s", target, tcp ? ";transport=tcp" : "") >=
	    (int)sizeof(req))
		return -ENAMETOOLONG;
	u->nh = nua_handle(u->nua, (nua_hmagic_t *)u, SIPTAG_TO_STR(target), TAG_END());
	if (u->nh == NULL)
		return -ENOMEM;
	cl_ua_keep_sdp(u, sdp);
	nua_invite(u->nh, NUTAG_URL(req), SIPTAG_ACCEPT_CONTACT_STR("*;" CL_UA_FEATURE),
	           SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	return 0;
}

void
cl_ua_answer(struct cl_ua *u, int status, const char *phrase, const char *sdp)
{
	if (u->nh == NULL || !u->incoming || u->answered || u->over)
		return;
	if (status < 300) {
		u->answered = true;
		cl_ua_keep_sdp(u, sdp);
		nua_respond(u->nh, status, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		            SIPTAG_PAYLOAD_STR(sdp), SIPTAG_ALLOW_STR(CL_UA_ALLOW), TAG_END());
		return;
	}
	u->over = true;
	nua_respond(u->nh, status, phrase, TAG_END());
}

int
cl_ua_subscribe(struct cl_ua *u, const char *conf_uri, bool tcp)
{
	char req[600];

	if (snprintf(req, sizeof(req), "%s%s", conf_uri, tcp ? ";transport=tcp" : "") >=
	    (int)sizeof(req))
		return -ENAMETOOLONG;
	if (u->sub_nh != NULL && !u->sub_active) {
		/* A terminated subscription: a new one on a new dialog (RFC 6665 §4.1.2.4). */
		nua_handle_destroy(u->sub_nh);
		u->sub_nh = NULL;
	}
	if (u->sub_nh == NULL) {
		u->sub_nh =
		        nua_handle(u->nua, (nua_hmagic_t *)u, SIPTAG_TO_STR(conf_uri), TAG_END());
		if (u->sub_nh == NULL)
			return -ENOMEM;
	}
	u->sub_active = true;
	nua_subscribe(u->sub_nh, NUTAG_URL(req), SIPTAG_EVENT_STR("conference"),
	              SIPTAG_ACCEPT_STR(CL_CINFO_MIME), SIPTAG_EXPIRES_STR(CL_UA_SUB_EXPIRES),
	              TAG_END());
	return 0;
}

bool
cl_ua_subscribed(const struct cl_ua *u)
{
	return u->sub_active;
}

int
cl_ua_refer(struct cl_ua *u, const char *conf_uri, bool tcp, const char *target, bool bye)
{
	char req[600], refer_to[300];
	struct cl_ua_refer *r = NULL;

	for (int i = 0; i < CL_UA_REFERS_MAX && r == NULL; i++) {
		if (u->refers[i].nh != NULL && u->refers[i].over) {
			nua_handle_destroy(u->refers[i].nh);
			u->refers[i].nh = NULL;
		}
		if (u->refers[i].nh == NULL)
			r = &u->refers[i];
	}
	if (r == NULL)
		return -EBUSY;
	if (snprintf(req, sizeof(req), "%s%s", conf_uri, tcp ? ";transport=tcp" : "") >=
	            (int)sizeof(req) ||
	    snprintf(refer_to, sizeof(refer_to), "<%s%s>", target, bye ? ";method=BYE" : "") >=
	            (int)sizeof(refer_to) ||
	    snprintf(r->target, sizeof(r->target), "%s", target) >= (int)sizeof(r->target))
		return -ENAMETOOLONG;
	r->nh = nua_handle(u->nua, (nua_hmagic_t *)u, SIPTAG_TO_STR(conf_uri), TAG_END());
	if (r->nh == NULL)
		return -ENOMEM;
	r->over = false;
	r->bye = bye;
	nua_refer(r->nh, NUTAG_URL(req), SIPTAG_REFER_TO_STR(refer_to), TAG_END());
	return 0;
}

void
cl_ua_hangup(struct cl_ua *u)
{
	if (u->nh == NULL || u->over || u->hung_up)
		return;
	u->hung_up = true;
	if (u->incoming && !u->answered) {
		/* Listen mode, not answered yet: refuse it; no dialog to wait for. */
		u->over = true;
		nua_respond(u->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
	} else if (u->answered) {
		nua_bye(u->nh, TAG_END());
	} else {
		nua_cancel(u->nh, TAG_END()); /* RFC 3261 §9.1: still ringing */
	}
}

bool
cl_ua_in_call(const struct cl_ua *u)
{
	return u->nh != NULL && !u->over;
}

void
cl_ua_shutdown(struct cl_ua *u)
{
	/* nua_shutdown() ends the subscription too (un-SUBSCRIBE, RFC 6665 §4.1.2.3). */
	nua_shutdown(u->nua);
}

bool
cl_ua_done(const struct cl_ua *u)
{
	return u->done;
}

void
cl_ua_destroy(struct cl_ua *u)
{
	if (u == NULL)
		return;
	if (u->nh != NULL)
		nua_handle_destroy(u->nh);
	if (u->sub_nh != NULL)
		nua_handle_destroy(u->sub_nh);
	for (int i = 0; i < CL_UA_REFERS_MAX; i++)
		if (u->refers[i].nh != NULL)
			nua_handle_destroy(u->refers[i].nh);
	nua_destroy(u->nua);
	free(u->local_sdp);
	free(u);
}
