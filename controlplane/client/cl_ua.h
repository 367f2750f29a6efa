/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_ua: msw-client's SIP user agent on sofia-sip nua: one INVITE dialog with the focus
 * (OMA SIMPLE IM 7.1: the Conference-factory URI to create, the conference URI to join, a
 * user elsewhere for a 1:1 session with the focus as outbound proxy, S11-01), or in listen
 * mode the focus's INVITE answered (a 1:1 session or a dial-out towards us); CANCEL while it
 * is ringing, BYE once established, BYE from the focus reported. Beside the call: a
 * subscription to the conference event package (RFC 4575) and REFERs to the conference
 * (RFC 3515, RFC 4579 §5.5/5.6), each on a handle of its own (out of the INVITE dialog).
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
	/*
	 * Listen mode: an INVITE arrived (from = its From URI, from_display its display name or
	 * "", contact = its Contact URI, isfocus its ;isfocus). Answer with cl_ua_answer().
	 */
	void (*invited)(void *ctx, const char *from, const char *from_display, const char *contact,
	                bool isfocus, const char *sdp, size_t sdp_len);
	/*
	 * A re-INVITE's offer: true when it keeps the media as negotiated (same a=path: a
	 * session refresh), so it is answered 200 with our SDP again; false gets 488.
	 */
	bool (*same_media)(void *ctx, const char *sdp, size_t sdp_len);
	/* Listen mode: our 200 was ACKed (RFC 3261 §13.3.1.4): the session is established. */
	void (*confirmed)(void *ctx);
	/*
	 * A NOTIFY of the conference subscription: body (may be NULL) of content_type;
	 * terminated with the Subscription-State reason ("" when none).
	 */
	void (*notified)(void *ctx, const char *content_type, const char *body, size_t len,
	                 bool terminated, const char *reason);
	/* The SUBSCRIBE got a final error (408 for a local timeout). */
	void (*sub_failed)(void *ctx, int status, const char *why);
	/*
	 * REFER progress for target: the REFER's own response (notify false), then the
	 * sipfrag status of each NOTIFY (RFC 3515 §2.4.5); final: nothing more comes.
	 */
	void (*refer_progress)(void *ctx, const char *target, bool bye, bool notify, int status,
	                       const char *text, bool final);
};

struct cl_ua;

/*
 * Starts a UA bound to bind_url ("sip:IP:*" or "sip:IP:PORT"), From = from (a name-addr).
 * proxy: the outbound proxy every request goes through (a 1:1 call via the focus), or NULL.
 * accept_calls: incoming INVITEs go to ops->invited (else 480). NULL with a reason in err
 * when nua cannot bind.
 */
struct cl_ua *cl_ua_create(su_root_t *root, const char *bind_url, const char *from,
                           const char *proxy, bool accept_calls, const struct cl_ua_ops *ops,
                           void *ctx, char *err, size_t errlen);
/* Answers the incoming INVITE: 2xx with the SDP answer, or an error status (sdp NULL). */
void cl_ua_answer(struct cl_ua *u, int status, const char *phrase, const char *sdp);
/*
 * SUBSCRIBE to the conference event package of conf_uri (Event: conference, Accept:
 * application/conference-info+xml, RFC 4575 §3); again on the same subscription to ask for
 * the full state (a refresh, RFC 6665 §4.1.2.1). nua refreshes it before it expires.
 * 0 or -errno.
 */
int cl_ua_subscribe(struct cl_ua *u, const char *conf_uri, bool tcp);
/* True while the subscription is active or being set up. */
bool cl_ua_subscribed(const struct cl_ua *u);
/*
 * REFER conf_uri with Refer-To <target> (bye: ;method=BYE, removal, RFC 4579 §5.6).
 * 0, -EBUSY (CL_UA_REFERS_MAX in progress), -ENAMETOOLONG, -ENOMEM.
 */
#define CL_UA_REFERS_MAX 8
int cl_ua_refer(struct cl_ua *u, const char *conf_uri, bool tcp, const char *target, bool bye);
/* INVITE target (a SIP URI, also the To) with the SDP offer, over TCP if tcp. 0 or -errno. */
int cl_ua_invite(struct cl_ua *u, const char *target, bool tcp, const char *sdp);
/*
 * Ends the call: CANCEL while ringing, BYE once answered, 480 to an incoming INVITE not
 * answered yet (then cl_ua_in_call() is false at once); nothing if already over.
 */
void cl_ua_hangup(struct cl_ua *u);
/* True while the INVITE dialog exists (ringing, established or ending). */
bool cl_ua_in_call(const struct cl_ua *u);
/* Shuts nua down; cl_ua_done() turns true when finished. */
void cl_ua_shutdown(struct cl_ua *u);
bool cl_ua_done(const struct cl_ua *u);
void cl_ua_destroy(struct cl_ua *u);
