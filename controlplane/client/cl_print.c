/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "client/cl_print.h"
#include "utf8/utf8.h"

void
cl_json_str(FILE *f, const uint8_t *p, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\r') {
			fputs("\\r", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if ((n = utf8_seq_len(p + i, len - i)) == 0) {
			fputs("\\ufffd", f);
			i++;
		} else {
			fwrite(p + i, 1, n, f);
			i += n;
		}
	}
	fputc('"', f);
}

static void
cl_json_cstr(FILE *f, const char *s)
{
	cl_json_str(f, (const uint8_t *)(s != NULL ? s : ""), s != NULL ? strlen(s) : 0);
}

void
cl_term_str(FILE *f, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];
		size_t n;

		if (c == '\t') {
			fputc(c, f);
			i++;
		} else if (c == '\r' && i + 1 < len && p[i + 1] == '\n') {
			i++; /* CRLF: the newline below */
		} else if (c == '\n') {
			/* A multi-line message stays visibly one message. */
			fputs(i + 1 < len ? "\n  " : "", f);
			i++;
		} else if (c < 0x20 || c == 0x7f || (n = utf8_seq_len(p + i, len - i)) == 0) {
			/* ESC and friends would let a participant drive the terminal. */
			fputc('?', f);
			i++;
		} else if (n == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			fputc('?', f); /* C1 controls (U+0080..U+009F) */
			i += n;
		} else {
			fwrite(p + i, 1, n, f);
			i += n;
		}
	}
}

static void
cl_term_cstr(FILE *f, const char *s)
{
	cl_term_str(f, (const uint8_t *)s, strlen(s));
}

static void
cl_end(const struct cl_printer *p)
{
	fputc('\n', p->f);
	fflush(p->f);
}

void
cl_print_joined(const struct cl_printer *p, const char *conf_uri, const char *conf_id, bool created,
                const char *local_path, const char *remote_path)
{
	if (p->json) {
		fputs("{\"event\":\"joined\",\"conference\":", p->f);
		cl_json_cstr(p->f, conf_uri);
		fputs(",\"conf_id\":", p->f);
		cl_json_cstr(p->f, conf_id);
		fprintf(p->f, ",\"created\":%s,\"local_path\":", created ? "true" : "false");
		cl_json_cstr(p->f, local_path);
		fputs(",\"remote_path\":", p->f);
		cl_json_cstr(p->f, remote_path);
		fputc('}', p->f);
	} else {
		fputs("*** joined ", p->f);
		cl_term_cstr(p->f, conf_uri);
		if (created) {
			fputs(" (others join with --join ", p->f);
			cl_term_cstr(p->f, conf_id);
			fputc(')', p->f);
		}
	}
	cl_end(p);
}

void
cl_print_message(const struct cl_printer *p, const char *message_id, const struct cl_msg_view *v,
                 const char *saved)
{
	bool text = cl_type_is_text(v->content_type);

	if (p->json) {
		fputs("{\"event\":\"message\",\"from\":", p->f);
		cl_json_str(p->f, v->from_uri.p, v->from_uri.len);
		fputs(",\"alias\":", p->f);
		cl_json_cstr(p->f, v->from_display);
		fputs(",\"content_type\":", p->f);
		cl_json_str(p->f, v->content_type.p, v->content_type.len);
		if (text) {
			fputs(",\"text\":", p->f);
			cl_json_str(p->f, v->content.p, v->content.len);
		}
		fprintf(p->f, ",\"bytes\":%u,\"message_id\":", v->content.len);
		cl_json_cstr(p->f, message_id);
		if (v->filename[0] != '\0') {
			fputs(",\"filename\":", p->f);
			cl_json_cstr(p->f, v->filename);
		}
		if (saved != NULL) {
			fputs(",\"file\":", p->f);
			cl_json_cstr(p->f, saved);
		}
		fputc('}', p->f);
		cl_end(p);
		return;
	}
	/* "<alias or from>: text" */
	if (v->from_display[0] != '\0')
		cl_term_cstr(p->f, v->from_display);
	else if (v->from_uri.len > 0)
		cl_term_str(p->f, v->from_uri.p, v->from_uri.len);
	else
		fputs("?", p->f);
	fputs(": ", p->f);
	if (text) {
		cl_term_str(p->f, v->content.p, v->content.len);
	} else {
		fputs("[file", p->f);
		if (v->filename[0] != '\0') {
			fputs(" ", p->f);
			cl_term_cstr(p->f, v->filename);
		}
		fprintf(p->f, ", %u bytes, ", v->content.len);
		cl_term_str(p->f, v->content_type.p, v->content_type.len);
		if (saved != NULL) {
			fputs(", saved as ", p->f);
			cl_term_cstr(p->f, saved);
		}
		fputc(']', p->f);
	}
	cl_end(p);
}

void
cl_print_sent(const struct cl_printer *p, const char *message_id, uint64_t bytes)
{
	if (!p->json)
		return; /* the person typed it: no echo */
	fputs("{\"event\":\"sent\",\"message_id\":", p->f);
	cl_json_cstr(p->f, message_id);
	fprintf(p->f, ",\"bytes\":%llu}", (unsigned long long)bytes);
	cl_end(p);
}

void
cl_print_send_failed(const struct cl_printer *p, const char *message_id, uint16_t status,
                     const char *reason)
{
	if (p->json) {
		fputs("{\"event\":\"send_failed\",\"message_id\":", p->f);
		cl_json_cstr(p->f, message_id);
		fprintf(p->f, ",\"status\":%u,\"reason\":", status);
		cl_json_cstr(p->f, reason);
		fputc('}', p->f);
	} else {
		fprintf(p->f, "*** message %s not delivered: ", message_id);
		cl_term_cstr(p->f, reason != NULL ? reason : "");
	}
	cl_end(p);
}

static const char *
cl_report_kind_name(enum cl_report_kind k)
{
	return k == CL_REPORT_FINAL ? "final" : k == CL_REPORT_SUCCESS ? "success" : "failure";
}

void
cl_print_report(const struct cl_printer *p, const struct cl_msrp_ev *ev)
{
	const struct fdr_report *r = ev->final;
	uint8_t uri[1024];

	if (p->json) {
		fprintf(p->f, "{\"event\":\"report\",\"kind\":\"%s\",\"message_id\":",
		        cl_report_kind_name(ev->report));
		cl_json_cstr(p->f, ev->message_id);
		fprintf(p->f, ",\"status\":%u", ev->status);
		if (r != NULL) {
			fputs(",\"recipients\":[", p->f);
			for (uint32_t i = 0; i < r->n_rcpt; i++) {
				ssize_t n = fdr_unescape(r->rcpt[i].uri, uri, sizeof(uri));

				fprintf(p->f, "%s{\"uri\":", i > 0 ? "," : "");
				cl_json_str(p->f, uri, n > 0 ? (size_t)n : 0);
				fprintf(p->f, ",\"status\":%u,\"outcome\":\"%s\"}",
				        r->rcpt[i].status,
				        fdr_outcome_name((enum fdr_outcome)r->rcpt[i].outcome));
			}
			fputc(']', p->f);
		}
		fputc('}', p->f);
		cl_end(p);
		return;
	}
	fprintf(p->f, "*** %s report for %s:", cl_report_kind_name(ev->report), ev->message_id);
	if (r == NULL)
		fprintf(p->f, " status %u", ev->status);
	for (uint32_t i = 0; r != NULL && i < r->n_rcpt; i++) {
		ssize_t n = fdr_unescape(r->rcpt[i].uri, uri, sizeof(uri));

		fputs(i > 0 ? ", " : " ", p->f);
		cl_term_str(p->f, uri, n > 0 ? (size_t)n : 0);
		fprintf(p->f, " %s (%u)", fdr_outcome_name((enum fdr_outcome)r->rcpt[i].outcome),
		        r->rcpt[i].status);
	}
	cl_end(p);
}

void
cl_print_aborted(const struct cl_printer *p, const char *message_id, uint16_t status,
                 const char *reason)
{
	if (p->json) {
		fputs("{\"event\":\"aborted\",\"message_id\":", p->f);
		cl_json_cstr(p->f, message_id);
		fprintf(p->f, ",\"status\":%u,\"reason\":", status);
		cl_json_cstr(p->f, reason);
		fputc('}', p->f);
	} else {
		fputs("*** incoming message dropped: ", p->f);
		cl_term_cstr(p->f, reason != NULL ? reason : "");
	}
	cl_end(p);
}

void
cl_print_left(const struct cl_printer *p, const char *reason, uint32_t received)
{
	if (p->json) {
		fputs("{\"event\":\"left\",\"reason\":", p->f);
		cl_json_cstr(p->f, reason);
		fprintf(p->f, ",\"received\":%u}", received);
	} else {
		fputs("*** left: ", p->f);
		cl_term_cstr(p->f, reason);
	}
	cl_end(p);
}

void
cl_print_error(const struct cl_printer *p, uint16_t status, const char *reason)
{
	if (p->json) {
		fprintf(p->f, "{\"event\":\"error\",\"status\":%u,\"reason\":", status);
		cl_json_cstr(p->f, reason);
		fputc('}', p->f);
		cl_end(p);
	}
	/* A person (or a script's log) always sees why the client gave up. */
	fprintf(stderr, "msw-client: %s\n", reason);
}

void
cl_print_info(const struct cl_printer *p, const char *text)
{
	if (p->json)
		return;
	fputs("*** ", p->f);
	cl_term_cstr(p->f, text);
	cl_end(p);
}

void
cl_print_invited(const struct cl_printer *p, const char *from, const char *display,
                 const char *conference)
{
	if (p->json) {
		fputs("{\"event\":\"invited\",\"from\":", p->f);
		cl_json_cstr(p->f, from);
		fputs(",\"display\":", p->f);
		cl_json_cstr(p->f, display);
		fputs(",\"conference\":", p->f);
		cl_json_cstr(p->f, conference);
		fputc('}', p->f);
	} else {
		fputs("*** call from ", p->f);
		if (display != NULL && display[0] != '\0') {
			cl_term_cstr(p->f, display);
			fputs(" <", p->f);
			cl_term_cstr(p->f, from);
			fputc('>', p->f);
		} else {
			cl_term_cstr(p->f, from);
		}
	}
	cl_end(p);
}

static void
cl_print_user_json(const struct cl_printer *p, const struct cl_cinfo_user *u)
{
	fputs("\"uri\":", p->f);
	cl_json_cstr(p->f, u->entity);
	fputs(",\"display\":", p->f);
	cl_json_cstr(p->f, u->display);
	fputs(",\"status\":", p->f);
	cl_json_cstr(p->f, u->has_status ? u->status : "");
}

/* A person's name for a user: its display-text, else its URI. */
static void
cl_print_user_name(const struct cl_printer *p, const struct cl_cinfo_user *u)
{
	cl_term_cstr(p->f, u->display[0] != '\0' ? u->display : u->entity);
}

void
cl_print_participants(const struct cl_printer *p, const struct cl_cinfo_list *l)
{
	if (p->json) {
		fputs("{\"event\":\"participants\",\"users\":[", p->f);
		for (uint32_t i = 0; i < l->n_users; i++) {
			fputs(i > 0 ? ",{" : "{", p->f);
			cl_print_user_json(p, &l->users[i]);
			fputc('}', p->f);
		}
		fputs("]}", p->f);
	} else {
		fprintf(p->f, "*** %u participant%s:", l->n_users, l->n_users == 1 ? "" : "s");
		for (uint32_t i = 0; i < l->n_users; i++) {
			const struct cl_cinfo_user *u = &l->users[i];

			fputs(i > 0 ? ", " : " ", p->f);
			if (u->display[0] != '\0') {
				cl_term_cstr(p->f, u->display);
				fputs(" <", p->f);
				cl_term_cstr(p->f, u->entity);
				fputc('>', p->f);
			} else {
				cl_term_cstr(p->f, u->entity);
			}
			if (u->has_status && strcmp(u->status, "connected") != 0) {
				fputs(" (", p->f);
				cl_term_cstr(p->f, u->status);
				fputc(')', p->f);
			}
		}
	}
	cl_end(p);
}

void
cl_print_participant(const struct cl_printer *p, const struct cl_cinfo_ev *ev)
{
	static const char *const change[] = {
	        [CL_CINFO_EV_JOINED] = "joined",
	        [CL_CINFO_EV_LEFT] = "left",
	        [CL_CINFO_EV_RENAMED] = "renamed",
	        [CL_CINFO_EV_STATUS] = "status",
	};
	const struct cl_cinfo_user *u = ev->user;

	if (p->json) {
		fprintf(p->f, "{\"event\":\"participant\",\"change\":\"%s\",", change[ev->type]);
		cl_print_user_json(p, u);
		if (ev->type == CL_CINFO_EV_LEFT) {
			fputs(",\"method\":", p->f);
			cl_json_cstr(p->f, ev->method);
		}
		if (ev->type == CL_CINFO_EV_RENAMED) {
			fputs(",\"old_display\":", p->f);
			cl_json_cstr(p->f, ev->old_display);
		}
		fputc('}', p->f);
		cl_end(p);
		return;
	}
	fputs("*** ", p->f);
	switch (ev->type) {
	case CL_CINFO_EV_JOINED:
		cl_print_user_name(p, u);
		fputs(" joined", p->f);
		if (u->display[0] != '\0') {
			fputs(" (", p->f);
			cl_term_cstr(p->f, u->entity);
			fputc(')', p->f);
		}
		break;
	case CL_CINFO_EV_LEFT:
		cl_print_user_name(p, u);
		fputs(" left", p->f);
		if (ev->method != NULL && ev->method[0] != '\0') {
			fputs(" (", p->f);
			cl_term_cstr(p->f, ev->method);
			fputc(')', p->f);
		}
		break;
	case CL_CINFO_EV_RENAMED:
		cl_term_cstr(p->f, ev->old_display[0] != '\0' ? ev->old_display : u->entity);
		fputs(" is now ", p->f);
		cl_print_user_name(p, u);
		break;
	case CL_CINFO_EV_STATUS:
		cl_print_user_name(p, u);
		fputs(": ", p->f);
		cl_term_cstr(p->f, u->has_status ? u->status : "?");
		break;
	}
	cl_end(p);
}

void
cl_print_watch_ended(const struct cl_printer *p, const char *reason)
{
	if (p->json) {
		fputs("{\"event\":\"watch_ended\",\"reason\":", p->f);
		cl_json_cstr(p->f, reason);
		fputc('}', p->f);
	} else {
		fputs("*** participant list closed: ", p->f);
		cl_term_cstr(p->f, reason);
	}
	cl_end(p);
}

void
cl_print_refer(const struct cl_printer *p, const char *target, bool bye, bool notify, int status,
               const char *text, bool final)
{
	if (p->json) {
		fputs("{\"event\":\"refer\",\"target\":", p->f);
		cl_json_cstr(p->f, target);
		fprintf(p->f, ",\"method\":\"%s\",\"stage\":\"%s\",\"status\":%d,\"text\":",
		        bye ? "BYE" : "INVITE", notify ? "notify" : "response", status);
		cl_json_cstr(p->f, text);
		fprintf(p->f, ",\"final\":%s}", final ? "true" : "false");
	} else {
		fputs(bye ? "*** remove " : "*** invite ", p->f);
		cl_term_cstr(p->f, target);
		fputs(notify ? ": " : ": REFER ", p->f);
		if (!notify)
			fprintf(p->f, "%d ", status);
		cl_term_cstr(p->f, text);
	}
	cl_end(p);
}
