/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_ua: msw-client's SIP user agent on sofia-sip nua: one INVITE dialog towards the focus
 * (OMA SIMPLE IM 7.1: the Conference-factory URI to create, the conference URI to join),
 * CANCEL while it is ringing, BYE once established, BYE from the focus reported.
 * SDP is ours (controlplane/sdp): nua's own offer/answer engine is off.
 *
 * Thread-safety: owned by the su_root thread; callbacks run on it.
 */

#include <stdbool.h>
#include <stddef.h>

#include <sofia-sip/su_wait.h>

#define CL_UA_AGENT "IM-client/OMA1.0 msw-client/0.1" /* OMA release token (User-Agent) */

struct cl_ua_ops {
	/*
	 * 2xx to the INVITE: contact = the Contact URI (the conference, IM Session Identity),
	 * isfocus = it had the ;isfocus parameter (RFC 4579 §3), sdp = the answer (may be NULL).
	 */
	void (*answered)(void *ctx, const char *contact, bool isfocus, const char *sdp,
	                 size_t sdp_len);
	/* The INVITE failed: final status (408 for a local timeout) and phrase/Warning text. */
	void (*failed)(void *ctx, int status, const char *why);
	/* The established dialog ended; by_peer: the focus sent BYE. */
	void (*ended)(void *ctx, bool by_peer);
};

struct cl_ua;

/*
 * Starts a UA bound to bind_url ("sip:IP:*"), From = from (a name-addr). NULL with a reason
 * in err when nua cannot bind.
 */
struct cl_ua *cl_ua_create(su_root_t *root, const char *bind_url, const char *from,
                           const struct cl_ua_ops *ops, void *ctx, char *err, size_t errlen);
/* INVITE target (a SIP URI, also the To) with the SDP offer, over TCP if tcp. 0 or -errno. */
int cl_ua_invite(struct cl_ua *u, const char *target, bool tcp, const char *sdp);
/* Ends the call: CANCEL while ringing, BYE once answered; nothing if already over. */
void cl_ua_hangup(struct cl_ua *u);
/* True while the INVITE dialog exists (ringing, established or ending). */
bool cl_ua_in_call(const struct cl_ua *u);
/* Shuts nua down; cl_ua_done() turns true when finished. */
void cl_ua_shutdown(struct cl_ua *u);
bool cl_ua_done(const struct cl_ua *u);
void cl_ua_destroy(struct cl_ua *u);
