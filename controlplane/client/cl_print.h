/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * cl_print: what msw-client writes on stdout, as text for a person (one line per event,
 * "<alias or from>: text" for messages; nothing a terminal would interpret: control
 * characters of remote text are replaced) or as one JSON object per line (--json) for
 * scripts and tests. Every line is flushed at once so tmux panes and pipes see it live.
 *
 * Thread-safety: call from one thread (the su_root thread); writes to the given FILE.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/cl_cinfo.h"
#include "client/cl_msrp.h"

/* JSON string (quotes included): escapes '"', '\\' and controls; invalid UTF-8 -> U+FFFD. */
void cl_json_str(FILE *f, const uint8_t *p, size_t len);

/* Remote text for a terminal: valid UTF-8 and '\t' kept, other controls and bad bytes '?'. */
void cl_term_str(FILE *f, const uint8_t *p, size_t len);

struct cl_printer {
	FILE *f;
	bool json;
};

void cl_print_joined(const struct cl_printer *p, const char *conf_uri, const char *conf_id,
                     bool created, const char *local_path, const char *remote_path);
/* saved: the file the body was written to (--save-dir), or NULL. */
void cl_print_message(const struct cl_printer *p, const char *message_id,
                      const struct cl_msg_view *v, const char *saved);
void cl_print_sent(const struct cl_printer *p, const char *message_id, uint64_t bytes);
void cl_print_send_failed(const struct cl_printer *p, const char *message_id, uint16_t status,
                          const char *reason);
void cl_print_report(const struct cl_printer *p, const struct cl_msrp_ev *ev);
void cl_print_aborted(const struct cl_printer *p, const char *message_id, uint16_t status,
                      const char *reason);
void cl_print_left(const struct cl_printer *p, const char *reason, uint32_t received);
/* An error that ends the client (SIP refusal, connection failure, timeout). */
void cl_print_error(const struct cl_printer *p, uint16_t status, const char *reason);
/* Informational text line (text mode only; JSON mode prints nothing). */
void cl_print_info(const struct cl_printer *p, const char *text);

/* Listen mode: the focus's INVITE (from = the caller's identity, conference = its Contact). */
void cl_print_invited(const struct cl_printer *p, const char *from, const char *display,
                      const char *conference);
/* The participant list (first full conference-info, and /who). */
void cl_print_participants(const struct cl_printer *p, const struct cl_cinfo_list *l);
/* One change of the list: joined, left, renamed, status. */
void cl_print_participant(const struct cl_printer *p, const struct cl_cinfo_ev *ev);
/* The conference subscription ended (reason: Subscription-State reason or SIP status). */
void cl_print_watch_ended(const struct cl_printer *p, const char *reason);
/* REFER progress: the REFER's response (notify false) or a NOTIFY's sipfrag status. */
void cl_print_refer(const struct cl_printer *p, const char *target, bool bye, bool notify,
                    int status, const char *text, bool final);
