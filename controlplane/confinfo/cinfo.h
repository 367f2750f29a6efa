/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * confinfo: builder of application/conference-info+xml documents (RFC 4575, the conference
 * event package) that the focus sends in NOTIFYs to SUBSCRIBE-rs of a conference URI
 * (requirements CNF-01..CNF-10). Full state and partial state (only the changed <user>
 * elements, RFC 4575 section 4.6), written into a caller buffer without allocating.
 *
 * What a participant looks like to others is the caller's choice: an anonymous participant
 * is passed with its alias URI as entity and its alias display name (ALS-03, CNF-06), and
 * bcc invitees are not passed at all (AHG-06).
 *
 * Thread-safety: pure functions over caller-owned memory; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CINFO_MIME "application/conference-info+xml"
#define CINFO_NS   "urn:ietf:params:xml:ns:conference-info"

/* RFC 4575 section 5.1 state-type: of the document and of each <users>/<user> element. */
#define CINFO_STATES(X)                                                                            \
	X(FULL, "full")                                                                            \
	X(PARTIAL, "partial")                                                                      \
	X(DELETED, "deleted")

/* RFC 4575 section 5.6.3 endpoint-status-type, in the schema's order. */
#define CINFO_STATUSES(X)                                                                          \
	X(PENDING, "pending")                                                                      \
	X(DIALING_OUT, "dialing-out")                                                              \
	X(DIALING_IN, "dialing-in")                                                                \
	X(ALERTING, "alerting")                                                                    \
	X(ON_HOLD, "on-hold")                                                                      \
	X(CONNECTED, "connected")                                                                  \
	X(MUTED_VIA_FOCUS, "muted-via-focus")                                                      \
	X(DISCONNECTING, "disconnecting")                                                          \
	X(DISCONNECTED, "disconnected")

/* RFC 4575 section 5.6.4 joining-type; NONE omits <joining-method>. */
#define CINFO_JOININGS(X)                                                                          \
	X(NONE, NULL)                                                                              \
	X(DIALED_IN, "dialed-in")                                                                  \
	X(DIALED_OUT, "dialed-out")                                                                \
	X(FOCUS_OWNER, "focus-owner")

/* RFC 4575 section 5.6.6 disconnection-type; NONE omits <disconnection-method>. */
#define CINFO_DISCONNECTIONS(X)                                                                    \
	X(NONE, NULL)                                                                              \
	X(DEPARTED, "departed")                                                                    \
	X(BOOTED, "booted")                                                                        \
	X(FAILED, "failed")                                                                        \
	X(BUSY, "busy")

#define CINFO_ENUM_STATE(sym, word)   CINFO_STATE_##sym,
#define CINFO_ENUM_STATUS(sym, word)  CINFO_STATUS_##sym,
#define CINFO_ENUM_JOINING(sym, word) CINFO_JOIN_##sym,
#define CINFO_ENUM_DISC(sym, word)    CINFO_DISC_##sym,
enum cinfo_state { CINFO_STATES(CINFO_ENUM_STATE) CINFO_STATE_MAX };
enum cinfo_status { CINFO_STATUSES(CINFO_ENUM_STATUS) CINFO_STATUS_MAX };
enum cinfo_joining { CINFO_JOININGS(CINFO_ENUM_JOINING) CINFO_JOIN_MAX };
enum cinfo_disconnection { CINFO_DISCONNECTIONS(CINFO_ENUM_DISC) CINFO_DISC_MAX };
#undef CINFO_ENUM_STATE
#undef CINFO_ENUM_STATUS
#undef CINFO_ENUM_JOINING
#undef CINFO_ENUM_DISC

/*
 * One participant: a <user> with one <endpoint> (an MSRP participant has one SIP dialog
 * with the focus) and, when media_id is set, one <media> of type "message".
 * Strings are UTF-8, NUL-terminated, owned by the caller; NULL omits an optional element.
 * Times are milliseconds since the Unix epoch (UTC); 0 omits the element.
 * Thread-safety: caller-owned, read only during cinfo_build().
 */
struct cinfo_user {
	const char *entity;       /* required: user URI, or the alias URI of an anonymous one */
	enum cinfo_state state;   /* FULL, PARTIAL (changed parts) or DELETED (left the list) */
	const char *display_text; /* <display-text>, the chosen display name (OMA 5.5) */
	const char *endpoint;     /* <endpoint entity>; NULL: same as entity */
	enum cinfo_status status;
	enum cinfo_joining joining;
	int64_t joined_ms; /* <joining-info><when> */
	enum cinfo_disconnection disconnection;
	int64_t disconnected_ms;          /* <disconnection-info><when> */
	const char *disconnection_reason; /* <disconnection-info><reason>, e.g. "SIP 486" */
	const char *media_id;             /* <media id>; NULL: no <media> */
};

/*
 * One document. state FULL: the complete conference (every user FULL); PARTIAL: only what
 * changed since the previous document of this subscription, users FULL, PARTIAL or DELETED.
 * version: the subscription's counter (RFC 4575 section 5.1: +1 per NOTIFY, CNF-04); the
 * caller keeps it. Thread-safety: caller-owned, read only during cinfo_build().
 */
struct cinfo_doc {
	const char *entity; /* required: the conference URI */
	uint32_t version;
	enum cinfo_state state; /* FULL or PARTIAL */
	/* <conference-description>: written when any of these is set. */
	const char *display_text; /* <display-text>, e.g. the group's display name */
	const char *subject;      /* <subject> */
	uint32_t max_user_count;  /* <maximum-user-count>; 0 omits it */
	/* <conference-state>: written when either is set. */
	bool has_user_count;
	uint32_t user_count; /* <user-count>: participants shown (CNF-10) */
	bool has_active;
	bool active; /* <active> */
	const struct cinfo_user *users;
	size_t n_users; /* 0: no <users> in a partial document, an empty one in a full one */
};

/*
 * Writes the XML document for doc into buf (cap bytes) followed by a NUL. Returns the length
 * without the NUL, or:
 *   -ENOSPC  the document and its NUL do not fit in cap (buf holds a cut prefix);
 *   -EINVAL  a required entity is NULL or empty, an enum is out of range, a full document
 *            has a user that is not FULL, a string is not valid UTF-8 (RFC 3629) or holds a
 *            character XML 1.0 cannot carry (C0 controls other than tab, LF, CR), or a time
 *            is negative or beyond year 9999.
 * Text and attribute values are escaped (&amp; &lt; &gt; &quot;; tab, LF and CR in
 * attributes as character references so attribute normalisation keeps them).
 */
ssize_t cinfo_build(const struct cinfo_doc *doc, char *buf, size_t cap);

/* The RFC 4575 word of a value, or NULL for NONE and values out of range. */
const char *cinfo_state_name(enum cinfo_state s);
const char *cinfo_status_name(enum cinfo_status s);
const char *cinfo_joining_name(enum cinfo_joining j);
const char *cinfo_disconnection_name(enum cinfo_disconnection d);
