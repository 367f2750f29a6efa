/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting of the focus (issue 7): one CDR line per participant session and one per
 * conference, written through controlplane/cdr when the session or the conference ends.
 * Messages and bytes come from the data plane's EV_MSG_DONE events: what a participant sent
 * is counted on its leg; what it received is what the others sent while it was connected.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cdr/cdr.h"
#include "focus/focus_pvt.h"
#include "log/log.h"

int
focus_acct_open(struct focus *f, char *err, size_t errlen)
{
	char path[512];
	ssize_t n;

	if (f->cfg->controlplane.cdr_path[0] == '\0')
		return 0; /* accounting disabled */
	n = cdr_path_expand(f->cfg->controlplane.cdr_path, f->instance, path, sizeof(path));
	if (n < 0) {
		snprintf(err, errlen, "controlplane.cdr_path \"%s\": %s",
		         f->cfg->controlplane.cdr_path,
		         n == -ENOSPC ? "too long" : "only %i and %% may follow a %");
		return -1;
	}
	f->cdr = cdr_open(path, f->cfg->controlplane.cdr_rotate_bytes,
	                  f->cfg->controlplane.cdr_keep, err, errlen);
	return f->cdr != NULL ? 0 : -1;
}

void
focus_acct_close(struct focus *f)
{
	cdr_close(f->cdr);
	f->cdr = NULL;
}

void
focus_reopen_files(struct focus *f)
{
	focus_acct_reopen(f);
}

void
focus_acct_reopen(struct focus *f)
{
	if (f->cdr != NULL && cdr_reopen(f->cdr) != 0)
		LOG(focus_log, WARNING, "CDR file: reopen failed, writing on in the old one");
}

static void
focus_acct_write(struct focus *f, const struct cdr_record *r)
{
	int rc = cdr_write(f->cdr, r);

	if (rc == 0) {
		f->cnt[FOCUS_CNT_CDR_WRITTEN]++;
		return;
	}
	f->cnt[FOCUS_CNT_CDR_ERRORS]++;
	LOG(focus_log, WARNING, "CDR of conference %s lost: %s", r->conference_id, strerror(-rc));
}

static enum cdr_end_reason
focus_acct_reason(const struct focus *f, const struct focus_leg *l)
{
	switch (l->end) {
	case FOCUS_END_CANCEL:
		return CDR_END_CANCEL;
	case FOCUS_END_DP_CLOSED:
		return CDR_END_DP_CLOSED;
	case FOCUS_END_TIMER:
		return CDR_END_TIMER_EXPIRED;
	case FOCUS_END_BOOTED:
		return CDR_END_BOOTED;
	case FOCUS_END_FOCUS:
		return f->stopping ? CDR_END_SHUTDOWN : CDR_END_BYE;
	case FOCUS_END_FAILED:
		return l->answered ? CDR_END_BYE : CDR_END_FAILED;
	default:
		return CDR_END_BYE;
	}
}

void
focus_acct_leg(struct focus *f, const struct focus_leg *l)
{
	const struct focus_conf *c = &f->confs[l->conf];
	struct cdr_record r;

	if (f->cdr == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.type = CDR_TYPE_SESSION;
	r.conference_id = c->id;
	r.conference_uri = c->uri;
	/* An anonymous participant is accounted under its alias, as the others know it. */
	r.participant = focus_leg_shown_uri(l);
	r.anonymous = l->anonymous;
	r.start_ms = (int64_t)(l->connect_ms != 0 ? l->connect_ms : l->start_ms);
	r.end_ms = (int64_t)focus_now_ms();
	r.messages_sent = l->msgs;
	r.bytes_sent = l->bytes;
	if (l->connect_ms != 0) {
		r.messages_received = c->msgs - l->conf_msgs0 - l->msgs;
		r.bytes_received = c->bytes - l->conf_bytes0 - l->bytes;
	}
	r.end_reason = focus_acct_reason(f, l);
	if (r.end_reason == CDR_END_FAILED)
		r.failed_status =
		        (uint16_t)(l->end_status >= 100 && l->end_status < 700 ? l->end_status
		                                                               : 500);
	focus_acct_write(f, &r);
}

void
focus_acct_conf(struct focus *f, const struct focus_conf *c, const char *reason)
{
	struct cdr_record r;

	(void)reason;
	if (f->cdr == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.type = CDR_TYPE_CONFERENCE;
	r.conference_id = c->id;
	r.conference_uri = c->uri;
	r.start_ms = (int64_t)c->start_ms;
	r.end_ms = (int64_t)focus_now_ms();
	r.messages_sent = c->msgs;
	r.bytes_sent = c->bytes;
	r.end_reason = f->stopping ? CDR_END_SHUTDOWN : CDR_END_BYE;
	focus_acct_write(f, &r);
}
