/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Internals of the focus shared by its files: focus.c (lifecycle, the control channel,
 * INVITE, re-INVITE, dial-out, data-plane restart), focus_sub.c (the conference event
 * package, RFC 4575), focus_refer.c (REFER, RFC 3515 / RFC 4579), focus_acct.c (CDRs).
 *
 * Thread-safety: every object here is owned by the su_root thread; nothing is shared.
 */

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "focus/focus.h"
#include "log/log.h"
#include "msw/msw_ctl_abi.h"
#include "sdp/msdp.h"
#include "ulist/ulist.h"

#define FOCUS_MAX_CONFS   1024
#define FOCUS_MAX_LEGS    4096
#define FOCUS_MAX_PENDING 4096
#define FOCUS_MAX_SUBS    2048
#define FOCUS_MAX_REFERS  256
#define FOCUS_MAX_DOOMED  256
#define FOCUS_LEG_HASH    (FOCUS_MAX_LEGS * 2) /* power of two: at most half full */
#define FOCUS_NONE        UINT32_MAX
#define FOCUS_URI_CAP     192
#define FOCUS_NAME_CAP    128

/* OMA SIMPLE IM release token (VER-01): Server and User-Agent of the focus. */
#define FOCUS_SERVER "IM-serv/OMA1.0 msw/0.1"
#define FOCUS_ALLOW  "INVITE, ACK, BYE, CANCEL, OPTIONS, SUBSCRIBE, NOTIFY, REFER, UPDATE"
/* What the switch accepts from a participant: anything, CPIM first (RFC 4975 §8.6). */
#define FOCUS_ACCEPT "message/cpim text/plain *"

/* OMA warning texts (OMA SIMPLE IM 5.6, requirements §2.3): "<code> <text>" in Warning 399. */
#define FOCUS_WARN_TOO_MANY  "102 Too many participants"
#define FOCUS_WARN_ANONYMITY "119 Anonymity not allowed"
#define FOCUS_WARN_NOT_AUTH  "127 Service not authorised"

/* OMA SIMPLE IM feature tag of large message mode (LMM-02). */
#define FOCUS_LMM_TAG "+g.oma.sip-im.large-message"

/* hmagic of every nua handle the focus binds: the first member of leg, sub and refer. */
enum focus_obj_kind {
	FOCUS_OBJ_LEG = 1,
	FOCUS_OBJ_SUB,
	FOCUS_OBJ_REFER,
};

struct focus_obj {
	enum focus_obj_kind kind;
};

enum focus_conf_kind {
	FOCUS_CONF_ADHOC = 0, /* Conference-factory URI (OMA 7.1.1.3) */
	FOCUS_CONF_GROUP,     /* pre-defined group (OMA PDG) */
	FOCUS_CONF_1TO1,      /* an INVITE to a user through the focus (S11) */
	FOCUS_CONF_LARGE,     /* large message mode: one message, then BYE (OMA 4.2.1) */
};

/* A conference. Owner: the su_root thread. */
struct focus_conf {
	bool in_use;
	bool ready;  /* CONF_CREATE acknowledged by the data plane */
	bool ending; /* being torn down: no more joins */
	enum focus_conf_kind kind;
	char id[MSW_CTL_CONF_ID_MAX + 1];
	char uri[FOCUS_URI_CAP]; /* the IM Session Identity sip:<id>@<focus host> */
	int group;               /* index in controlplane.groups, -1 for none */
	uint32_t max_participants;
	bool anonymity_allowed;
	char owner[256]; /* identity of the initiator: may remove others (REF-06) */
	uint32_t n_legs; /* legs in use (any state) */
	uint32_t peak;   /* most legs connected at once: an ad-hoc session ends below 2 */
	uint32_t n_anon; /* anonymous aliases handed out (ALS-03) */
	uint64_t start_ms;
	uint64_t msgs, bytes; /* messages completed in the data plane (EV_MSG_DONE) */
	/* Large message mode: the sender's leg, answered once the recipients are bound. */
	uint32_t lmm_sender;
	bool lmm_answered;
	/* URI-list INVITE (RFC 5366) or group members: users to invite once answered. */
	char (*invitees)[ULIST_URI_CAP];
	int n_invitees;
};

/* Endpoint status of a participant (RFC 4575 §5.4.3). */
enum focus_leg_status {
	FOCUS_ST_PENDING = 0,
	FOCUS_ST_DIALING_OUT,
	FOCUS_ST_ALERTING,
	FOCUS_ST_CONNECTED,
	FOCUS_ST_DISCONNECTING,
	FOCUS_ST_DISCONNECTED,
};

/* Why a leg ended (CDR end reason). */
enum focus_end {
	FOCUS_END_NONE = 0,
	FOCUS_END_BYE,       /* the participant's BYE */
	FOCUS_END_CANCEL,    /* CANCEL before the answer */
	FOCUS_END_DP_CLOSED, /* the data plane closed the leg */
	FOCUS_END_TIMER,     /* session timer expired (RFC 4028) */
	FOCUS_END_BOOTED,    /* removed by REFER method=BYE */
	FOCUS_END_FOCUS,     /* the focus ended the conference (fewer than two, shutdown) */
	FOCUS_END_FAILED,    /* never connected: end_status says why */
};

/* One participant's dialog and its leg in the data plane. Owner: the su_root thread. */
struct focus_leg {
	struct focus_obj obj;
	bool in_use;
	bool added;    /* LEG_ADD acknowledged: the data plane holds it */
	bool answered; /* 200 OK sent (dial-in) or received (dial-out) */
	bool ending;   /* BYE sent by the focus */
	bool outgoing; /* the focus invited this participant (URI list, group, 1:1, REFER) */
	bool anonymous;
	bool reinvite_pending; /* a re-INVITE of the participant waits for LEG_SET */
	bool readding;         /* re-programmed after a data-plane restart */
	bool bound;            /* EV_LEG_BOUND: an MSRP connection carries the session */
	bool reinvite_out;     /* our re-INVITE with a new a=path is out (data-plane restart) */
	enum focus_leg_status status;
	enum focus_end end;
	int end_status; /* SIP status of a failed setup */
	nua_handle_t *nh;
	uint32_t conf;
	struct msw_ctl_leg_key key;
	struct msdp_media offer; /* the participant's media (offer or answer) */
	enum msdp_setup answer_setup;
	uint64_t sdp_id, sdp_ver;      /* o= of our SDP (RFC 4566 §5.2) */
	char identity[256];            /* the Authenticated Originator's IM Address */
	char alias[FOCUS_NAME_CAP];    /* display name shown to the others (ALS-04) */
	char alias_uri[FOCUS_URI_CAP]; /* an anonymous participant's URI (ALS-03) */
	char from_display[FOCUS_NAME_CAP];
	uint64_t start_ms, connect_ms;
	uint64_t msgs, bytes;             /* sent by this participant (EV_MSG_DONE) */
	uint64_t conf_msgs0, conf_bytes0; /* the conference's totals when it joined */
	uint32_t referrer;                /* FOCUS_NONE or the REFER whose INVITE this is */
	bool counted_setup;               /* counted in f->setups_pending */
};

/* A conference event package subscription (RFC 4575). Owner: the su_root thread. */
struct focus_sub {
	struct focus_obj obj;
	bool in_use;
	bool terminated;
	/*
	 * One NOTIFY at a time per subscription (nua refuses a second one while the first is
	 * in flight): what changes meanwhile goes out as one full-state NOTIFY afterwards.
	 */
	bool busy;
	bool pend_full;
	char pend_term[48]; /* a terminating Subscription-State waiting, "" if none */
	nua_handle_t *nh;
	uint32_t conf;
	uint32_t version;    /* of the last NOTIFY (CNF-04) */
	uint64_t expires_ms; /* monotonic: not refreshed by then -> terminated;reason=timeout */
	char identity[256];
};

/* A REFER being carried out (RFC 3515). Owner: the su_root thread. */
struct focus_refer {
	struct focus_obj obj;
	bool in_use;
	bool own_handle; /* out-of-dialog REFER: the handle is ours to destroy */
	bool done;       /* the final NOTIFY went out */
	/*
	 * nua sends the implicit subscription's own "100 Trying" NOTIFYs and refuses ours while
	 * one is in flight: a refused final NOTIFY is sent again (FOCUS_TICK_MS later).
	 */
	char final_frag[96];
	uint8_t final_tries;
	uint64_t retry_at_ms;
	char referred_by[512];
	nua_handle_t *nh;
	sip_event_t *event; /* Event of the implicit subscription, in nh's home */
};

/* A command sent to the data plane whose reply is awaited. */
struct focus_pending {
	bool in_use;
	uint32_t seq;
	uint16_t type;
	uint32_t leg; /* FOCUS_NONE for commands no dialog waits for */
};

struct cdr_writer;

struct focus {
	su_root_t *root;
	const struct msw_cfg *cfg;
	char instance[32];
	nua_t *nua;
	su_timer_t *tick; /* housekeeping every FOCUS_TICK_MS: attach, expiries, reaping */
	struct ctl_client *ctl;
	/*
	 * Replies and events wake the loop without polling: a waker thread sleeps on the
	 * control channel's doorbell (ctl_client_wait_event, the one call it makes), writes
	 * wake_fd (an eventfd registered with su_root) and waits on drained until the loop has
	 * received what was there. Thread-safety: waker_stop and the semaphore are shared, the
	 * rest belongs to the su_root thread.
	 */
	int wake_fd;
	su_wait_t wake_wait[1];
	int wake_reg;
	pthread_t waker;
	bool waker_on;
	atomic_bool waker_stop;
	sem_t drained;
	struct cdr_writer *cdr;
	struct focus_conf confs[FOCUS_MAX_CONFS];
	struct focus_leg legs[FOCUS_MAX_LEGS];
	struct focus_sub subs[FOCUS_MAX_SUBS];
	struct focus_refer refers[FOCUS_MAX_REFERS];
	struct focus_pending pend[FOCUS_MAX_PENDING];
	/*
	 * Legs the data plane holds, by session-id: every data-plane event names a leg this way
	 * (EV_MSG_DONE comes once per message). Open addressing, linear probing, entries are
	 * leg index + 1 (0 = empty), backward-shift deletion.
	 */
	uint32_t leg_hash[FOCUS_LEG_HASH];
	char host[64];    /* SIP host:port of the focus (conference URIs) */
	char dp_addr[64]; /* the data plane's MSRP address for c= */
	uint16_t dp_port;
	uint32_t setups_pending; /* INVITEs not answered yet (overload limit) */
	double tokens;           /* setups-per-second bucket */
	uint64_t tokens_ms;
	uint64_t cnt[FOCUS_CNT_MAX];
	uint64_t ticks;
	/* Handles of refused SUBSCRIBE/REFER requests, destroyed a little later: destroying a
	 * handle at once would drop the response nua has not sent yet. */
	struct {
		nua_handle_t *nh;
		uint64_t at_ms;
	} doomed[FOCUS_MAX_DOOMED];
	uint32_t n_doomed;
	bool stopping; /* focus_shutdown() ran */
	int done;
};

/* focus.c */
extern struct log_type focus_log; /* "msw.cp.focus", defined in focus.c */
uint64_t focus_now_ms(void);
uint64_t focus_mono_ms(void);
struct focus_leg *focus_leg_by_identity(struct focus *f, struct focus_conf *c, const char *uri);
struct focus_leg *focus_leg_by_real_identity(struct focus *f, struct focus_conf *c, const char *who,
                                             enum focus_leg_status min_status);
uint32_t focus_conf_idx(const struct focus *f, const struct focus_conf *c);
uint32_t focus_leg_idx(const struct focus *f, const struct focus_leg *l);
uint32_t focus_conf_active(const struct focus *f, const struct focus_conf *c);
struct focus_conf *focus_conf_by_uri(struct focus *f, const url_t *u);
bool focus_identity(struct focus *f, nua_t *nua, const sip_t *sip, char *out, size_t cap);
void focus_warning(struct focus *f, const char *text, char *out, size_t cap);
int focus_dial_out(struct focus *f, struct focus_conf *c, const char *target, uint32_t referrer);
void focus_leg_bye(struct focus *f, struct focus_leg *l, enum focus_end why);
void focus_handle_doom(struct focus *f, nua_handle_t *nh);
/* The name others see for l: its alias URI when anonymous, else its identity. */
const char *focus_leg_shown_uri(const struct focus_leg *l);

/* focus_sub.c */
void focus_sub_request(struct focus *f, nua_handle_t *nh, struct focus_sub *s, const sip_t *sip);
void focus_sub_changed(struct focus *f, struct focus_conf *c, struct focus_leg *l);
void focus_sub_conf_ended(struct focus *f, struct focus_conf *c);
void focus_sub_r_notify(struct focus *f, struct focus_sub *s, int status);
void focus_sub_release(struct focus *f, struct focus_sub *s);
void focus_sub_tick(struct focus *f, uint64_t now_ms);

/* focus_refer.c */
void focus_refer_request(struct focus *f, nua_handle_t *nh, struct focus_leg *in_dialog,
                         const sip_t *sip, tagi_t tags[]);
void focus_refer_result(struct focus *f, uint32_t refer, int status, const char *phrase);
void focus_refer_release(struct focus *f, struct focus_refer *r);
void focus_refer_r_notify(struct focus *f, struct focus_refer *r, int status);
void focus_refer_tick(struct focus *f, uint64_t now_ms);

/* focus_acct.c */
int focus_acct_open(struct focus *f, char *err, size_t errlen);
void focus_acct_leg(struct focus *f, const struct focus_leg *l);
void focus_acct_conf(struct focus *f, const struct focus_conf *c, const char *reason);
void focus_acct_close(struct focus *f);
void focus_acct_reopen(struct focus *f);
