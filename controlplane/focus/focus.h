/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * focus: the conference focus of the Controlling IM Function (OMA SIMPLE IM 4.3, 5.1, 7.1)
 * on sofia-sip nua (docs/controlplane.md). This first part: conferences created through the
 * Conference-factory URI and joined through their own URI (dial-in), MSRP SDP offer/answer
 * (RFC 4975 §8, RFC 6135, RFC 6714), every leg programmed into the data plane before the
 * 200 OK, BYE/CANCEL teardown, a leg the data plane closes ends its dialog with BYE.
 *
 * The data plane is never waited for: commands go over the control channel with
 * ctl_client_send() and their replies are picked up by a 1 ms su_timer that also receives
 * the data plane's events; an INVITE is answered when its LEG_ADD reply arrives.
 *
 * Thread-safety: everything runs on the su_root thread.
 */

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "cfg/cfg.h"

/* Counters of the focus: FOCUS_CNT(symbol, name, description). */
#define FOCUS_CNT_LIST(X)                                                                          \
	X(INVITES, invites, "INVITE requests received (initial)")                                  \
	X(CONF_CREATED, conf_created, "conferences created (factory, group, 1:1)")                 \
	X(ONE_TO_ONE, one_to_one, "1:1 sessions through the focus (S11-01)")                       \
	X(LARGE_MSG, large_msg, "large message mode sessions (OMA 4.2.1)")                         \
	X(LARGE_MSG_DONE, large_msg_done, "large messages settled at every recipient, then BYE")   \
	X(JOINED, joined, "legs connected (200 sent or received, programmed in the data plane)")   \
	X(REJ_404, rej_404, "INVITEs to no conference (404) or to an unknown dialog (481)")        \
	X(REJ_400, rej_400, "INVITEs with a malformed URI list or multipart body (400)")           \
	X(REJ_403, rej_403, "INVITEs refused by identity, membership or anonymity policy (403)")   \
	X(REJ_488, rej_488, "offers or answers without acceptable MSRP media (488)")               \
	X(REJ_486, rej_486, "INVITEs to a full conference (486, Warning 102)")                     \
	X(REJ_503, rej_503, "INVITEs the data plane could not take (503)")                         \
	X(REJ_OVERLOAD, rej_overload, "INVITEs refused by the overload limits (503 Retry-After)")  \
	X(REINVITES, reinvites, "re-INVITEs received")                                             \
	X(REINVITES_SENT, reinvites_sent, "re-INVITEs sent after a data-plane restart")            \
	X(SESSION_EXPIRED, session_expired, "sessions ended by the session timer (RFC 4028)")      \
	X(DP_RESTARTS, dp_restarts, "data-plane restarts seen (generation changes)")               \
	X(BYE_DP, bye_dp, "dialogs ended because the data plane closed the leg")                   \
	X(LEFT, left, "dialogs ended (BYE, CANCEL, failure)")                                      \
	X(SUBSCRIBES, subscribes, "conference event package SUBSCRIBEs accepted (RFC 4575)")       \
	X(SUB_REJECTED, sub_rejected, "SUBSCRIBEs refused (403, 404, 406, 489)")                   \
	X(NOTIFIES, notifies, "conference-info NOTIFYs sent")                                      \
	X(REFERS, refers, "REFERs accepted (202)")                                                 \
	X(REFER_REJECTED, refer_rejected, "REFERs refused (400, 403, 404, 420, 501)")              \
	X(CDR_WRITTEN, cdr_written, "accounting records written")                                  \
	X(CDR_ERRORS, cdr_errors, "accounting records that could not be written")

enum focus_cnt {
#define FOCUS_CNT_ENUM(sym, name, doc) FOCUS_CNT_##sym,
	FOCUS_CNT_LIST(FOCUS_CNT_ENUM)
#undef FOCUS_CNT_ENUM
	        FOCUS_CNT_MAX
};

struct focus;

/*
 * Creates the focus on root: binds SIP (UDP and TCP) on controlplane.sip_address:sip_port,
 * attaches to the data plane's control channel of instance (it may start later). Returns NULL
 * and writes a reason into err.
 */
struct focus *focus_create(su_root_t *root, const struct msw_cfg *cfg, const char *instance,
                           char *err, size_t errlen);
/* Opens the CDR file afresh (SIGHUP after logrotate); on failure the old one stays in use. */
void focus_reopen_files(struct focus *f);
/* Ends every dialog (BYE), deletes the conferences from the data plane, shuts nua down. */
void focus_shutdown(struct focus *f);
/* True once the nua shutdown completed. */
int focus_done(const struct focus *f);
void focus_destroy(struct focus *f);
uint64_t focus_counter(const struct focus *f, enum focus_cnt id);
const char *focus_counter_name(enum focus_cnt id);
