/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "client/cl_ua.h"

/* OMA SIMPLE IM 5.2: the IM feature tag, in Contact and Accept-Contact. */
#define CL_UA_FEATURE "+g.oma.sip-im"
#define CL_UA_ALLOW   "INVITE, ACK, BYE, CANCEL, OPTIONS"

/* Thread-safety: owned by the su_root thread; nua calls back on it. */
struct cl_ua {
	nua_t *nua;
	nua_handle_t *nh;
	const struct cl_ua_ops *ops;
	void *ctx;
	bool answered; /* 2xx received */
	bool over;     /* the INVITE dialog is gone (failed, cancelled or ended) */
	bool hung_up;  /* we asked for the end (CANCEL or BYE) */
	bool done;     /* nua shutdown completed */
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

static void
cl_ua_event(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
            nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct cl_ua *u = (struct cl_ua *)magic;

	(void)nua;
	(void)hmagic;
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
		if (nh != u->nh) {
			/* 1:1 sessions towards this client are not supported (docs/client.md). */
			nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
			nua_handle_destroy(nh);
		}
		break;
	case nua_r_shutdown:
		if (status >= 200)
			u->done = true;
		break;
	default:
		/* Other incoming requests (MESSAGE, SUBSCRIBE...): nua answers them itself. */
		if (nh != NULL && nh != u->nh && nua_event_is_incoming_request(event))
			nua_handle_destroy(nh);
		break;
	}
}

struct cl_ua *
cl_ua_create(su_root_t *root, const char *bind_url, const char *from, const struct cl_ua_ops *ops,
             void *ctx, char *err, size_t errlen)
{
	struct cl_ua *u = calloc(1, sizeof(*u));

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->ops = ops;
	u->ctx = ctx;
	u->nua = nua_create(root, cl_ua_event, (nua_magic_t *)u, NUTAG_URL(bind_url),
	                    SIPTAG_FROM_STR(from), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOACK(1),
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
	nua_invite(u->nh, NUTAG_URL(req), SIPTAG_ACCEPT_CONTACT_STR("*;" CL_UA_FEATURE),
	           SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	return 0;
}

void
cl_ua_hangup(struct cl_ua *u)
{
	if (u->nh == NULL || u->over || u->hung_up)
		return;
	u->hung_up = true;
	if (u->answered)
		nua_bye(u->nh, TAG_END());
	else
		nua_cancel(u->nh, TAG_END()); /* RFC 3261 §9.1: still ringing */
}

bool
cl_ua_in_call(const struct cl_ua *u)
{
	return u->nh != NULL && !u->over;
}

void
cl_ua_shutdown(struct cl_ua *u)
{
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
	nua_destroy(u->nua);
	free(u);
}
