/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_msrp: the participant's side of one MSRP session (RFC 4975) for msw-client, without
 * I/O: bytes come in through cl_msrp_rx_space()/cl_msrp_rx_commit() and go out through
 * ops->tx, so the same code runs over the kernel TCP socket (cl_conn) and in unit tests.
 *
 *  - Binding: the active side sends a bodiless SEND right after connecting (RFC 4975 §5.4);
 *    the session is bound on its 200, or (passive side) on the first request received.
 *  - Every incoming SEND chunk gets its response (RFC 4975 §7.2: To-Path = the previous
 *    hop, From-Path = us) as its Failure-Report allows: absent/yes all, partial errors
 *    only, no none. REPORTs are never answered (§7.1.2); other methods get 501 (§12).
 *    A request whose To-Path is not our URI gets 481 (§7.3).
 *  - Chunked messages (Byte-Range, '+' / '$' / '#', §7.1.1, §7.3.1) are reassembled per
 *    Message-ID, interleaved in any order; a message above max_size gets 413; an aborted
 *    one is dropped. A complete message is unwrapped (message/cpim, RFC 3862) for display,
 *    and a success REPORT goes back when the sender asked for one (§7.1.2: the switch
 *    builds the OMA final report from them).
 *  - Outgoing messages are cut into chunks of chunk_size, each its own transaction; no
 *    response within txn_timeout_ms counts as 408 (§7.1.1, MFR-15). With final_report the
 *    body is wrapped in CPIM with FR.Final-Report: yes (OMA SIMPLE IM 5.7.2) and the SEND
 *    carries Success-Report: yes, so the final report comes back as a REPORT.
 *  - Final reports (docs/final-report.md) arriving as REPORT or SEND are parsed (fdr) and
 *    reported as events, not counted as messages.
 *
 * Thread-safety: a struct cl_msrp is owned by one thread (msw-client's su_root thread).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdr/fdr.h"
#include "msrp/msrp_types.h"

#define CL_MSRP_ID_CAP         (32 + 1)      /* Message-ID / tid text + NUL */
#define CL_MSRP_TXN_TIMEOUT_MS 30000u        /* RFC 4975 §7.1.1 default (MFR-15) */
#define CL_MSRP_WINDOW         64u           /* chunk transactions in flight at most */
#define CL_MSRP_TX_HIGH        (256u * 1024) /* stop producing chunks above this queue */
#define CL_MSRP_RCPT_MAX       512u          /* recipients of one final report we list */
#define CL_MSRP_REASM_MAX      64u           /* incoming messages in progress at once */
#define CL_MSRP_DISPLAY_CAP    256           /* unquoted CPIM display name */
#define CL_MSRP_FILENAME_CAP   256           /* Content-Disposition filename */

/* What a received message looks like to a person: sender, type, content. */
struct cl_msg_view {
	bool cpim;                              /* the body was message/cpim */
	struct msrp_span from_uri;              /* CPIM From URI (empty without CPIM) */
	char from_display[CL_MSRP_DISPLAY_CAP]; /* CPIM From display name, unquoted */
	struct msrp_span content_type;          /* of the content (inner type for CPIM) */
	struct msrp_span content;               /* the content itself */
	char filename[CL_MSRP_FILENAME_CAP];    /* Content-Disposition filename, or "" */
	int cpim_error;                         /* enum cpim_rc when cpim_parse failed, 0 */
};

/*
 * Builds the view of a complete message body of type content_type. message/cpim is parsed
 * (RFC 3862): From display and URI, the encapsulated Content-Type and content; a body that
 * fails to parse is shown as it came (cpim_error set). disposition: the MSRP
 * Content-Disposition value or an empty span (RFC 2183 filename="..." is picked out; the
 * CPIM MIME headers win). The view points into body.
 */
void cl_msg_view_build(struct msrp_span content_type, struct msrp_span disposition,
                       const uint8_t *body, uint32_t len, struct cl_msg_view *v);

/* True when a media type is textual (text/...): printed, not saved as a file. */
bool cl_type_is_text(struct msrp_span content_type);

enum cl_msrp_ev_type {
	CL_MSRP_EV_BOUND = 0,   /* session bound (200 to our bodiless SEND, or the peer's SEND) */
	CL_MSRP_EV_MESSAGE,     /* a complete message from another participant */
	CL_MSRP_EV_SENT,        /* every chunk of one of ours got 200 */
	CL_MSRP_EV_SEND_FAILED, /* one of ours got an error response or timed out */
	CL_MSRP_EV_REPORT,      /* a REPORT (success/failure) or an OMA final report */
	CL_MSRP_EV_ABORTED,     /* an incoming message was aborted ('#') or too large (413) */
	CL_MSRP_EV_FATAL,       /* protocol error or binding refused: close the connection */
};

enum cl_report_kind {
	CL_REPORT_SUCCESS = 0, /* REPORT Status 000 200 without a body */
	CL_REPORT_FAILURE,     /* REPORT with another status */
	CL_REPORT_FINAL,       /* OMA final report document (fdr) */
};

struct cl_msrp_ev {
	enum cl_msrp_ev_type type;
	const char *message_id;         /* ours (SENT/FAILED/REPORT) or the sender's (MESSAGE) */
	uint16_t status;                /* SENT 200, FAILED/REPORT/ABORTED/FATAL: the code */
	const char *reason;             /* human text for FAILED/ABORTED/FATAL */
	uint64_t bytes;                 /* message size */
	const struct cl_msg_view *msg;  /* MESSAGE */
	enum cl_report_kind report;     /* REPORT */
	const struct fdr_report *final; /* REPORT of kind FINAL (uris escaped) */
};

struct cl_msrp_ops {
	/* Queues bytes on the connection. 0, or -errno (the session is then dead). */
	int (*tx)(void *ctx, const uint8_t *p, size_t len);
	/* Bytes queued and not yet written (back-pressure for chunk production). */
	size_t (*tx_pending)(void *ctx);
	void (*event)(void *ctx, const struct cl_msrp_ev *ev);
};

struct cl_msrp_cfg {
	const char *local_uri;    /* our a=path: one MSRP URI */
	const char *remote_path;  /* the peer's a=path: SP-separated URIs, first hop first */
	const char *from_uri;     /* our identity, CPIM From (final-report wrapping) */
	const char *from_display; /* CPIM From display name, may be NULL */
	const char *conf_uri;     /* the conference (IM Session Identity), CPIM To */
	uint32_t chunk_size;      /* body bytes per chunk */
	uint64_t max_size;        /* largest message accepted (our a=max-size) */
	uint32_t txn_timeout_ms;  /* 0 = CL_MSRP_TXN_TIMEOUT_MS */
};

struct cl_msrp;

/* Returns NULL with errno (EINVAL: bad URI or path; ENOMEM). Copies every string. */
struct cl_msrp *cl_msrp_create(const struct cl_msrp_cfg *cfg, const struct cl_msrp_ops *ops,
                               void *ctx);
void cl_msrp_destroy(struct cl_msrp *m);

/* Active side, right after connecting: the bodiless SEND (RFC 4975 §5.4). 0 or -errno. */
int cl_msrp_bind(struct cl_msrp *m, uint64_t now_ms);
bool cl_msrp_bound(const struct cl_msrp *m);

/* Receive buffer: where the caller may write up to *cap bytes read from the connection. */
uint8_t *cl_msrp_rx_space(struct cl_msrp *m, size_t *cap);
/*
 * n bytes were written at cl_msrp_rx_space(): parse and handle every complete frame.
 * Returns 0, or -EPROTO after a framing error (an EV_FATAL was emitted; close).
 */
int cl_msrp_rx_commit(struct cl_msrp *m, size_t n, uint64_t now_ms);
/* Copying variant for tests and small feeds. */
int cl_msrp_rx(struct cl_msrp *m, const uint8_t *p, size_t len, uint64_t now_ms);

struct cl_send_opts {
	bool final_report;    /* wrap in CPIM with FR.Final-Report: yes, Success-Report: yes */
	const char *filename; /* Content-Disposition: attachment; filename="..." (files) */
	int64_t now_unix_ms;  /* CPIM DateTime when wrapping (0: no DateTime) */
};

/*
 * Queues one message (body copied) and starts sending it once the session is bound.
 * id_out (CL_MSRP_ID_CAP) receives its Message-ID. Returns 0, -EINVAL (empty body or
 * content type, a display name or URI that cannot go into CPIM), -ENOMEM.
 */
int cl_msrp_send(struct cl_msrp *m, const char *content_type, const uint8_t *body, size_t len,
                 const struct cl_send_opts *so, char *id_out, uint64_t now_ms);

/* Produces more chunks if the window and the tx queue allow (call when the queue drains). */
void cl_msrp_pump(struct cl_msrp *m, uint64_t now_ms);

/* Timers: transactions without a response past their deadline fail with 408. */
void cl_msrp_tick(struct cl_msrp *m, uint64_t now_ms);

/* Messages queued or not yet acknowledged (0: everything we sent got its response). */
uint32_t cl_msrp_unacked(const struct cl_msrp *m);
/* Messages sent with final_report whose report has not arrived yet. */
uint32_t cl_msrp_reports_pending(const struct cl_msrp *m);
