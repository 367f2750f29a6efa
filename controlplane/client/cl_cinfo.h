/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_cinfo: msw-client's reader of the conference event package (RFC 4575): the
 * application/conference-info+xml documents of the focus's NOTIFYs, and the participant list
 * they describe, kept up to date from full and partial documents.
 *
 * The reader is a small tolerant XML scanner, not a validating parser: it knows elements by
 * their local name (any namespace prefix), follows only conference-info/users/user with its
 * display-text and endpoint/status, endpoint/disconnection-method, and skips everything
 * else (the XML declaration, comments, processing instructions, a DOCTYPE without expanding
 * anything, CDATA outside the text it keeps, unknown elements). Predefined and numeric
 * character references are decoded. It never allocates: the document is read into a fixed
 * struct (CL_CINFO_USERS_MAX users, strings truncated to their caps) and a nesting deeper
 * than CL_CINFO_DEPTH_MAX, an unterminated construct or mismatched end tag is an error.
 *
 * The tracker applies documents by version (RFC 4575 §4.6): a full document replaces the
 * state; a partial one with version = ours + 1 updates the users it names (state="full"
 * replaces one, "partial" changes the elements present, "deleted" removes it); an older or
 * equal version is ignored; a gap means a lost NOTIFY and asks the caller to re-SUBSCRIBE
 * for full state. Each change is reported as an event (joined, left, renamed, status).
 *
 * Thread-safety: pure functions over caller-owned memory; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_CINFO_MIME        "application/conference-info+xml"
#define CL_CINFO_USERS_MAX   64u  /* users in one document / in the tracked state */
#define CL_CINFO_DEPTH_MAX   32u  /* element nesting accepted */
#define CL_CINFO_ENTITY_CAP  256u /* user entity URI, bytes with NUL */
#define CL_CINFO_DISPLAY_CAP 128u /* display-text, bytes with NUL */
#define CL_CINFO_WORD_CAP    32u  /* status / disconnection-method word */

enum cl_cinfo_rc {
	CL_CINFO_OK = 0,
	CL_CINFO_ERR_SYNTAX,    /* not well-formed where the reader looked */
	CL_CINFO_ERR_DEPTH,     /* nesting beyond CL_CINFO_DEPTH_MAX */
	CL_CINFO_ERR_NOT_CINFO, /* the root element is not conference-info */
	CL_CINFO_ERR_VERSION,   /* the root has no usable version attribute */
};

/* RFC 4575 §5.1 state attribute of the document and of each <user>. */
enum cl_cinfo_state {
	CL_CINFO_FULL = 0,
	CL_CINFO_PARTIAL,
	CL_CINFO_DELETED,
};

/* One <user> as read; has_* tell which elements the document carried. */
struct cl_cinfo_user {
	char entity[CL_CINFO_ENTITY_CAP];
	char display[CL_CINFO_DISPLAY_CAP];
	char status[CL_CINFO_WORD_CAP];     /* endpoint status (first endpoint that has one) */
	char disconnect[CL_CINFO_WORD_CAP]; /* disconnection-method */
	enum cl_cinfo_state state;
	bool has_display;
	bool has_status;
	bool has_disconnect;
};

/* A document as read. Thread-safety: caller-owned. */
struct cl_cinfo_doc {
	uint32_t version;
	enum cl_cinfo_state state;
	char entity[CL_CINFO_ENTITY_CAP]; /* the conference URI */
	uint32_t n_users;
	uint32_t users_dropped; /* <user> elements beyond CL_CINFO_USERS_MAX */
	struct cl_cinfo_user users[CL_CINFO_USERS_MAX];
};

/* Reads len bytes (not NUL-terminated) into *d. Returns CL_CINFO_OK or an error. */
enum cl_cinfo_rc cl_cinfo_parse(const char *xml, size_t len, struct cl_cinfo_doc *d);
const char *cl_cinfo_strerror(enum cl_cinfo_rc rc);

enum cl_cinfo_ev_type {
	CL_CINFO_EV_JOINED = 0, /* a user is now connected (new, or was not connected) */
	CL_CINFO_EV_LEFT,       /* a connected/known user is disconnected or deleted */
	CL_CINFO_EV_RENAMED,    /* display-text changed */
	CL_CINFO_EV_STATUS,     /* another status change (dialing-out, alerting, on-hold...) */
};

struct cl_cinfo_ev {
	enum cl_cinfo_ev_type type;
	const struct cl_cinfo_user *user; /* the state after the change (before, for LEFT) */
	const char *old_display;          /* RENAMED: the previous display-text */
	const char *method;               /* LEFT: disconnection-method ("" if none given) */
};

/* The participant list. Thread-safety: caller-owned, one thread. */
struct cl_cinfo_list {
	bool have; /* a full document was applied */
	uint32_t version;
	uint32_t n_users;
	struct cl_cinfo_user users[CL_CINFO_USERS_MAX];
};

enum cl_cinfo_apply {
	CL_CINFO_APPLIED = 0, /* the state changed (events were emitted) */
	CL_CINFO_STALE,       /* version not newer: ignored (a reordered or repeated NOTIFY) */
	CL_CINFO_GAP,         /* partial with a version gap, or before any full: re-SUBSCRIBE */
};

typedef void cl_cinfo_ev_fn(void *ctx, const struct cl_cinfo_ev *ev);

/*
 * Applies d to s (RFC 4575 §4.6). For the first full document no events are emitted (the
 * caller shows the list); later full documents emit the differences. ev may be NULL.
 */
enum cl_cinfo_apply cl_cinfo_apply(struct cl_cinfo_list *s, const struct cl_cinfo_doc *d,
                                   cl_cinfo_ev_fn *ev, void *ctx);

/*
 * A new subscription (after a terminated one) numbers its documents from 1 again (RFC 4575
 * §4.6): keep the users, forget the version, so its first full document shows what changed.
 */
void cl_cinfo_restart(struct cl_cinfo_list *s);

/* True when a user counts as present: its endpoint status is not disconnected. */
bool cl_cinfo_user_present(const struct cl_cinfo_user *u);
