/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>

#include "cfg/cfg.h"
#include "client/cl_app.h"
#include "client/cl_cinfo.h"
#include "client/cl_conn.h"
#include "client/cl_msrp.h"
#include "client/cl_print.h"
#include "client/cl_ua.h"
#include "log/log.h"
#include "msrp/msrp.h"
#include "msrp/msrp_id.h"
#include "sdp/msdp.h"

LOG_TYPE_DEFINE(cl_log, "msw.cl.client")

#define CL_TICK_MS       100
#define CL_LEAVE_WAIT_MS 5000 /* BYE/CANCEL answer, then nua shutdown */
#define CL_LINGER_MS     2000 /* after the focus's BYE: its last conference-info NOTIFYs */
#define CL_BYE_GRACE_MS  3000 /* MSRP closed by the data plane: the focus's BYE may follow */
#define CL_LINE_MAX      65536
#define CL_SID_LEN       20 /* session-id of our a=path: 119.9 random bits (RFC 4975 §14.1) */
/* We take anything (RFC 4975 §8.6): text is printed, the rest saved or summarised. */
#define CL_ACCEPT_TYPES   "message/cpim text/plain *"
#define CL_ACCEPT_WRAPPED "*"
#define CL_TEXT_TYPE      "text/plain;charset=UTF-8"

enum cl_state {
	CL_ST_INVITING = 0, /* INVITE sent, no final answer */
	CL_ST_WAITING,      /* --listen: no INVITE yet */
	CL_ST_CONNECTING,   /* 200 received: TCP connect/accept and MSRP binding */
	CL_ST_JOINED,       /* MSRP session bound */
	CL_ST_LEAVING,      /* BYE/CANCEL sent or the dialog is over: shutting down */
};

/* A --send-file, read before joining so a bad path fails early. */
struct cl_file {
	const char *name; /* basename, for Content-Disposition */
	const char *ctype;
	uint8_t *data;
	size_t len;
};

/* Thread-safety: owned by cl_app_run() on the su_root thread. */
struct cl_app {
	const struct cl_opts *o;
	volatile sig_atomic_t *stop;
	struct msw_cfg *cfg;
	su_root_t *root;
	su_timer_t *tick;
	struct cl_ua *ua;
	struct cl_conn *conn;
	struct cl_msrp *msrp;
	struct cl_printer pr;
	enum cl_state st;
	bool we_connect;
	bool joined; /* the session was bound at some point */
	struct in_addr local_ip;
	struct in_addr focus_ip;
	uint16_t focus_port;
	char focus_hostport[64];
	char from_uri[256];
	char from_hdr[640];
	char target[600];
	char local_path[256];
	char conf_uri[512];
	char conf_id[128];
	char remote_path[MSDP_PATH_MAX];
	/* 1:1 (--call, --listen): bodies come unwrapped (no CPIM), so the sender is the peer. */
	bool one_to_one;
	char peer_uri[600];
	char peer_display[CL_MSRP_DISPLAY_CAP];
	struct cl_msg_view peer_view;
	char proxy[96]; /* --call: the focus as outbound proxy */
	/* The participant list (--watch, /who; RFC 4575). */
	struct cl_cinfo_list *people;
	struct cl_cinfo_doc *doc;
	bool who_pending; /* print the list when the full state arrives */
	bool resyncing;   /* re-SUBSCRIBEd after a version gap, waiting for the full state */
	struct in_addr peer_ip;
	uint16_t peer_port;
	struct msdp_media offer_template; /* our media line (path, types, max-size) */
	uint64_t sdp_sess;                /* o= session id and version */
	struct cl_file *files;            /* per --send item (NULL data for texts) */
	bool queued;                      /* the --send items are queued */
	bool read_stdin;                  /* no --send items: lines of stdin are the messages */
	bool stdin_open;
	bool interactive; /* stdin is a terminal */
	int in_fd;
	bool in_fd_ours;   /* reopened: close it */
	bool in_flags_set; /* fd 0 itself was made non-blocking: restore in_flags */
	int in_flags;
	int in_reg;
	su_wait_t in_wait;
	char *line;
	size_t line_len;
	uint32_t received;
	bool send_failed;
	uint64_t deadline_ms;
	uint64_t idle_since_ms; /* everything sent and acknowledged since then (0: not) */
	uint64_t leave_deadline_ms;
	int exit_code;
	char leave_reason[256];
	bool left_printed;
	bool shutting_down;
	bool finished;
	bool ended_by_peer;    /* the focus sent BYE */
	uint64_t conn_lost_ms; /* the data plane closed MSRP: fail then unless a BYE came */
	char conn_lost_why[160];
	uint64_t linger_ms; /* waiting for the subscription's end until then (0: not) */
};

static uint64_t
cl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t
cl_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cl_local_addr_for(struct in_addr dst, struct in_addr *out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = dst, .sin_port = htons(9)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	/* A UDP connect() sends nothing: it only asks the routing table for the source. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		rc = -errno;
	else
		*out = sa.sin_addr;
	close(fd);
	return rc;
}

const char *
cl_file_type_guess(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	        {"txt", "text/plain"},      {"md", "text/markdown"},
	        {"html", "text/html"},      {"htm", "text/html"},
	        {"csv", "text/csv"},        {"json", "application/json"},
	        {"xml", "application/xml"}, {"pdf", "application/pdf"},
	        {"png", "image/png"},       {"jpg", "image/jpeg"},
	        {"jpeg", "image/jpeg"},     {"gif", "image/gif"},
	        {"webp", "image/webp"},     {"mp3", "audio/mpeg"},
	        {"mp4", "video/mp4"},       {"zip", "application/zip"},
	        {"gz", "application/gzip"}, {"vcf", "text/vcard"},
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (dot != NULL && (slash == NULL || dot > slash) && dot[1] != '\0')
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* ---- leaving ---- */

static void cl_stdin_stop(struct cl_app *a);

static void
cl_print_left_once(struct cl_app *a)
{
	if (a->left_printed || !a->joined)
		return;
	a->left_printed = true;
	cl_print_left(&a->pr, a->leave_reason[0] != '\0' ? a->leave_reason : "left", a->received);
}

/* The dialog is over (or never was): shut nua down; the loop ends when it is done. */
static void
cl_finish(struct cl_app *a)
{
	if (a->shutting_down)
		return;
	if (a->ended_by_peer && cl_ua_subscribed(a->ua) && a->linger_ms == 0) {
		/*
		 * The focus ended our session, likely because the conference ended (fewer than
		 * two left): its last NOTIFYs (who left, then terminated;reason=noresource,
		 * RFC 4575 §4.2) are on their way; take them before un-SUBSCRIBing.
		 */
		a->linger_ms = cl_now_ms() + CL_LINGER_MS;
		return;
	}
	cl_print_left_once(a);
	a->shutting_down = true;
	a->leave_deadline_ms = cl_now_ms() + CL_LEAVE_WAIT_MS;
	cl_ua_shutdown(a->ua);
}

static void
cl_leave(struct cl_app *a, const char *reason, int code)
{
	if (code > a->exit_code)
		a->exit_code = code;
	if (a->st == CL_ST_LEAVING)
		return;
	a->st = CL_ST_LEAVING;
	snprintf(a->leave_reason, sizeof(a->leave_reason), "%s", reason);
	a->leave_deadline_ms = cl_now_ms() + CL_LEAVE_WAIT_MS;
	cl_stdin_stop(a);
	LOG(cl_log, INFO, "leaving: %s", reason);
	if (cl_ua_in_call(a->ua))
		cl_ua_hangup(a->ua); /* BYE, or CANCEL while ringing; cl_finish() on its end */
	if (!cl_ua_in_call(a->ua))
		cl_finish(a);
}

static void
cl_fail(struct cl_app *a, uint16_t status, const char *reason)
{
	if (a->st == CL_ST_LEAVING)
		return;
	cl_print_error(&a->pr, status, reason);
	cl_leave(a, reason, CL_EXIT_FAIL);
}

/* Whether the client has done what it was asked (docs/client.md "When it leaves"). */
static void
cl_check(struct cl_app *a)
{
	const struct cl_opts *o = a->o;
	uint64_t now = cl_now_ms();
	bool sent, expect_ok, reports_ok, hold_ok;
	char why[128];

	if (a->st != CL_ST_JOINED)
		return;
	sent = a->queued && !a->stdin_open && cl_msrp_unacked(a->msrp) == 0;
	if (!sent)
		a->idle_since_ms = 0;
	else if (a->idle_since_ms == 0)
		a->idle_since_ms = now;
	expect_ok = !o->has_expect || a->received >= o->expect;
	reports_ok = !o->final_report || cl_msrp_reports_pending(a->msrp) == 0;
	hold_ok = !o->has_hold || (sent && now >= a->idle_since_ms + o->hold_ms);
	if (sent && expect_ok && reports_ok && hold_ok) {
		cl_leave(a, "done", a->send_failed ? CL_EXIT_FAIL : CL_EXIT_OK);
		return;
	}
	if (now >= a->deadline_ms && (!expect_ok || !reports_ok)) {
		if (!expect_ok)
			snprintf(why, sizeof(why), "timeout: %u of %u expected messages received",
			         a->received, o->expect);
		else
			snprintf(why, sizeof(why), "timeout: %u final report(s) missing",
			         cl_msrp_reports_pending(a->msrp));
		cl_fail(a, 408, why);
	}
}

/* ---- sending ---- */

/* A final report may take --timeout from its message, even one typed long after joining. */
static void
cl_report_deadline(struct cl_app *a)
{
	uint64_t d = cl_now_ms() + a->o->timeout_ms;

	if (a->o->final_report && d > a->deadline_ms)
		a->deadline_ms = d;
}

static int
cl_send_text(struct cl_app *a, const char *text, size_t len)
{
	struct cl_send_opts so = {.final_report = a->o->final_report, .now_unix_ms = cl_unix_ms()};
	char id[CL_MSRP_ID_CAP];
	int rc = cl_msrp_send(a->msrp, CL_TEXT_TYPE, (const uint8_t *)text, len, &so, id,
	                      cl_now_ms());

	if (rc != 0)
		cl_print_send_failed(&a->pr, "", 0,
		                     rc == -EINVAL ? "cannot send this text" : "out of memory");
	else
		cl_report_deadline(a);
	return rc;
}

static int
cl_send_file(struct cl_app *a, const struct cl_file *f)
{
	struct cl_send_opts so = {.final_report = a->o->final_report,
	                          .filename = f->name,
	                          .now_unix_ms = cl_unix_ms()};
	char id[CL_MSRP_ID_CAP];
	int rc = cl_msrp_send(a->msrp, f->ctype, f->data, f->len, &so, id, cl_now_ms());

	if (rc != 0)
		cl_print_send_failed(&a->pr, "", 0, "cannot send the file");
	else
		cl_report_deadline(a);
	return rc;
}

/* Reads a whole file (at most CL_MAX_SEND_SIZE) for --send-file and /file. */
static int
cl_file_load(const char *path, const char *type, struct cl_file *f, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const char *slash = strrchr(path, '/');
	size_t got = 0;

	memset(f, 0, sizeof(*f));
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CL_MAX_SEND_SIZE) {
		snprintf(err, errlen, "%s: not a regular file of 1..%u bytes", path,
		         CL_MAX_SEND_SIZE);
		close(fd);
		return -1;
	}
	f->data = malloc((size_t)st.st_size);
	if (f->data == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, f->data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: read failed", path);
			free(f->data);
			f->data = NULL;
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	f->len = got;
	f->name = slash != NULL ? slash + 1 : path;
	f->ctype = type != NULL ? type : cl_file_type_guess(path);
	return 0;
}

static void
cl_queue_items(struct cl_app *a)
{
	for (uint32_t i = 0; i < a->o->n_items; i++) {
		const struct cl_item *it = &a->o->items[i];

		if (it->kind == CL_ITEM_TEXT)
			cl_send_text(a, it->value, strlen(it->value));
		else
			cl_send_file(a, &a->files[i]);
	}
	a->queued = true;
}

/* ---- participants (RFC 4575) and REFER (RFC 3515, RFC 4579 §5.5/5.6) ---- */

/*
 * --watch and /who: SUBSCRIBE to the conference (out of the INVITE dialog: the focus runs
 * subscriptions on dialogs of their own). who: print the list when it is known.
 */
static void
cl_watch(struct cl_app *a, bool who)
{
	int rc;

	if (a->people == NULL) {
		a->people = calloc(1, sizeof(*a->people));
		a->doc = malloc(sizeof(*a->doc));
		if (a->people == NULL || a->doc == NULL) {
			free(a->people);
			free(a->doc);
			a->people = NULL;
			a->doc = NULL;
			cl_print_info(&a->pr, "participant list: out of memory");
			return;
		}
	}
	if (cl_ua_subscribed(a->ua)) {
		if (who && a->people->have)
			cl_print_participants(&a->pr, a->people);
		else if (who)
			a->who_pending = true;
		return;
	}
	a->who_pending = who || !a->people->have;
	cl_cinfo_restart(a->people);
	rc = cl_ua_subscribe(a->ua, a->conf_uri, a->o->tcp);
	if (rc != 0)
		cl_print_info(&a->pr, "cannot subscribe to the participant list");
	else
		LOG(cl_log, INFO, "SUBSCRIBE %s (Event: conference)", a->conf_uri);
}

static void
cl_on_people_event(void *ctx, const struct cl_cinfo_ev *ev)
{
	struct cl_app *a = ctx;

	cl_print_participant(&a->pr, ev);
}

static void
cl_ua_notified(void *ctx, const char *content_type, const char *body, size_t len, bool terminated,
               const char *reason)
{
	struct cl_app *a = ctx;
	enum cl_cinfo_rc rc;
	enum cl_cinfo_apply ap;
	char why[96];

	if (a->people == NULL)
		return;
	if (body != NULL && len > 0 && strcasecmp(content_type, CL_CINFO_MIME) == 0) {
		rc = cl_cinfo_parse(body, len, a->doc);
		if (rc != CL_CINFO_OK) {
			LOG(cl_log, WARNING, "conference-info NOTIFY ignored: %s",
			    cl_cinfo_strerror(rc));
		} else {
			ap = cl_cinfo_apply(a->people, a->doc, cl_on_people_event, a);
			if (ap == CL_CINFO_GAP && !terminated && !a->resyncing) {
				/* RFC 4575 §4.6: a lost NOTIFY; a refresh brings the full state. */
				LOG(cl_log, INFO,
				    "conference-info version %u after %u: re-SUBSCRIBE",
				    a->doc->version, a->people->version);
				a->resyncing = true;
				cl_ua_subscribe(a->ua, a->conf_uri, a->o->tcp);
			} else if (ap == CL_CINFO_APPLIED && a->doc->state == CL_CINFO_FULL) {
				a->resyncing = false;
			}
			if (ap == CL_CINFO_APPLIED && a->who_pending) {
				a->who_pending = false;
				cl_print_participants(&a->pr, a->people);
			}
		}
	}
	if (terminated) {
		snprintf(why, sizeof(why), "%s", reason[0] != '\0' ? reason : "terminated");
		a->resyncing = false;
		cl_print_watch_ended(&a->pr, why);
	}
}

static void
cl_ua_sub_failed(void *ctx, int status, const char *why)
{
	struct cl_app *a = ctx;

	(void)status;
	a->who_pending = false;
	a->resyncing = false;
	cl_print_watch_ended(&a->pr, why);
}

static void
cl_ua_refer_progress(void *ctx, const char *target, bool bye, bool notify, int status,
                     const char *text, bool final)
{
	struct cl_app *a = ctx;

	cl_print_refer(&a->pr, target, bye, notify, status, text, final);
}

/* /invite URI and /kick URI: REFER to the conference. */
static void
cl_refer(struct cl_app *a, const char *arg, bool bye)
{
	char uri[300];
	int rc;

	while (*arg == ' ')
		arg++;
	if (cl_call_uri(arg, uri, sizeof(uri)) < 0) {
		cl_print_info(&a->pr, "usage: /invite sip:user@host, /kick sip:user@host");
		return;
	}
	rc = cl_ua_refer(a->ua, a->conf_uri, a->o->tcp, uri, bye);
	if (rc != 0)
		cl_print_info(&a->pr, rc == -EBUSY ? "too many REFERs in progress"
		                                   : "cannot send the REFER");
}

/* ---- stdin ---- */

static void
cl_stdin_stop(struct cl_app *a)
{
	if (!a->stdin_open)
		return;
	a->stdin_open = false;
	if (a->in_reg > 0)
		su_root_deregister(a->root, a->in_reg);
	a->in_reg = 0;
	su_wait_destroy(&a->in_wait);
	if (a->in_fd_ours)
		close(a->in_fd);
	else if (a->in_flags_set)
		fcntl(a->in_fd, F_SETFL, a->in_flags); /* su_wait_create made it non-blocking */
	a->in_fd = -1;
}

static void
cl_line(struct cl_app *a, char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\r')
		s[--len] = '\0';
	if (len == 0)
		return;
	if (s[0] == '/' && (len < 2 || s[1] != '/')) {
		char err[256];
		struct cl_file f;

		if (strcmp(s, "/quit") == 0) {
			cl_leave(a, "quit", a->send_failed ? CL_EXIT_FAIL : CL_EXIT_OK);
		} else if (strncmp(s, "/file ", 6) == 0) {
			if (cl_file_load(s + 6, a->o->file_type, &f, err, sizeof(err)) != 0) {
				cl_print_info(&a->pr, err);
				return;
			}
			cl_send_file(a, &f);
			free(f.data); /* cl_msrp_send copied it */
		} else if (strcmp(s, "/who") == 0) {
			cl_watch(a, true);
		} else if (strncmp(s, "/invite ", 8) == 0) {
			cl_refer(a, s + 8, false);
		} else if (strncmp(s, "/kick ", 6) == 0) {
			cl_refer(a, s + 6, true);
		} else {
			cl_print_info(&a->pr, "commands: /file PATH, /who, /invite SIP-URI, /kick "
			                      "SIP-URI, /quit (Ctrl-D also leaves); //text sends "
			                      "\"/text\"");
		}
		return;
	}
	if (s[0] == '/')
		s++, len--; /* "//x" sends "/x" */
	cl_send_text(a, s, len);
}

/* Reads what stdin has (all of it for a file); each complete line is a message. */
static void
cl_stdin_read(struct cl_app *a)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(a->in_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* End of input: a last line without newline still counts. */
			if (a->line_len > 0) {
				a->line[a->line_len] = '\0';
				cl_line(a, a->line, a->line_len);
				a->line_len = 0;
			}
			cl_stdin_stop(a);
			break;
		}
		for (ssize_t i = 0; i < n && a->st == CL_ST_JOINED; i++) {
			if (buf[i] == '\n' || a->line_len == CL_LINE_MAX) {
				a->line[a->line_len] = '\0';
				cl_line(a, a->line, a->line_len);
				a->line_len = 0;
				if (buf[i] == '\n')
					continue;
			}
			a->line[a->line_len++] = buf[i];
		}
		if (a->st != CL_ST_JOINED)
			break;
	}
}

static int
cl_on_stdin(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct cl_app *a = (struct cl_app *)arg;

	(void)magic;
	(void)w;
	cl_stdin_read(a);
	cl_check(a);
	return 0;
}

static void
cl_stdin_start(struct cl_app *a)
{
	struct stat st;

	if (!a->read_stdin)
		return;
	if (fstat(0, &st) == 0 && (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(0)))) {
		/* A file or /dev/null: reads never block, and epoll refuses such descriptors. */
		a->in_fd = 0;
		a->stdin_open = true;
		cl_stdin_read(a);
		return;
	}
	/*
	 * su_wait_create() makes the descriptor non-blocking, which would leak into the
	 * shell sharing the terminal: read through a descriptor of our own when possible.
	 */
	a->in_fd = open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC);
	a->in_fd_ours = a->in_fd >= 0;
	if (a->in_fd < 0) {
		a->in_fd = 0;
		a->in_flags = fcntl(0, F_GETFL);
		a->in_flags_set = a->in_flags >= 0;
	}
	if (su_wait_create(&a->in_wait, a->in_fd, SU_WAIT_IN) != 0 ||
	    (a->in_reg = su_root_register(a->root, &a->in_wait, cl_on_stdin, (su_wakeup_arg_t *)a,
	                                  0)) <= 0) {
		if (a->in_fd_ours)
			close(a->in_fd);
		cl_print_info(&a->pr, "cannot read stdin");
		return;
	}
	a->stdin_open = true;
	if (a->interactive)
		cl_print_info(&a->pr, "type a line to send it; /file PATH sends a file; /who lists "
		                      "the participants; /help; /quit or Ctrl-D leaves");
}

/* ---- received files ---- */

/* Writes a received body into --save-dir under a safe name; path gets the file name. */
static int
cl_save(struct cl_app *a, const char *message_id, const struct cl_msg_view *v, char *path,
        size_t cap)
{
	char name[CL_MSRP_FILENAME_CAP];
	const char *base = strrchr(v->filename, '/');
	size_t k = 0;

	/* Never a path from the sender: its base name, no leading dot, no controls. */
	base = base != NULL ? base + 1 : v->filename;
	for (const char *s = base; *s != '\0' && k + 1 < sizeof(name); s++) {
		bool bad = (unsigned char)*s < 0x20 || *s == '\\' || (*s == '.' && k == 0);

		name[k++] = bad ? '_' : *s;
	}
	name[k] = '\0';
	if (k == 0)
		snprintf(name, sizeof(name), "%s", message_id);
	for (int i = 0; i < 100; i++) {
		int fd;
		size_t off = 0;

		if (i == 0)
			snprintf(path, cap, "%s/%s", a->o->save_dir, name);
		else
			snprintf(path, cap, "%s/%s.%d", a->o->save_dir, name, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		while (off < v->content.len) {
			ssize_t n = write(fd, v->content.p + off, v->content.len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fd);
				return -EIO;
			}
			off += (size_t)n;
		}
		close(fd);
		return 0;
	}
	return -EEXIST;
}

/* ---- MSRP session events ---- */

static int
cl_msrp_tx(void *ctx, const uint8_t *p, size_t len)
{
	struct cl_app *a = ctx;

	return cl_conn_send(a->conn, p, len);
}

static size_t
cl_msrp_tx_pending(void *ctx)
{
	struct cl_app *a = ctx;

	return cl_conn_pending(a->conn);
}

static void
cl_on_message(struct cl_app *a, const struct cl_msrp_ev *ev)
{
	const struct cl_msg_view *v = ev->msg;
	char path[1024], err[1100];
	bool save = a->o->save_dir != NULL &&
	            (v->filename[0] != '\0' || !cl_type_is_text(v->content_type));
	int rc;

	a->received++;
	if (a->one_to_one && !v->cpim && v->from_uri.len == 0) {
		/* 1:1: the switch forwards bodies as sent (no CPIM): the sender is the peer. */
		struct cl_msg_view *pv = &a->peer_view;

		*pv = *v;
		pv->from_uri = (struct msrp_span){(const uint8_t *)a->peer_uri,
		                                  (uint32_t)strlen(a->peer_uri)};
		snprintf(pv->from_display, sizeof(pv->from_display), "%s", a->peer_display);
		v = pv;
	}
	if (save && (rc = cl_save(a, ev->message_id, v, path, sizeof(path))) != 0) {
		snprintf(err, sizeof(err), "cannot save into %s: %s", a->o->save_dir,
		         strerror(-rc));
		cl_print_info(&a->pr, err);
		save = false;
	}
	cl_print_message(&a->pr, ev->message_id, v, save ? path : NULL);
}

static void
cl_msrp_event(void *ctx, const struct cl_msrp_ev *ev)
{
	struct cl_app *a = ctx;

	switch (ev->type) {
	case CL_MSRP_EV_BOUND:
		if (a->st != CL_ST_CONNECTING)
			break;
		a->st = CL_ST_JOINED;
		a->joined = true;
		cl_print_joined(&a->pr, a->conf_uri, a->conf_id, a->o->create, a->local_path,
		                a->remote_path);
		cl_queue_items(a);
		cl_stdin_start(a);
		if (a->o->watch)
			cl_watch(a, false);
		break;
	case CL_MSRP_EV_MESSAGE:
		cl_on_message(a, ev);
		break;
	case CL_MSRP_EV_SENT:
		cl_print_sent(&a->pr, ev->message_id, ev->bytes);
		break;
	case CL_MSRP_EV_SEND_FAILED:
		a->send_failed = true;
		cl_print_send_failed(&a->pr, ev->message_id, ev->status, ev->reason);
		break;
	case CL_MSRP_EV_REPORT:
		cl_print_report(&a->pr, ev);
		break;
	case CL_MSRP_EV_ABORTED:
		cl_print_aborted(&a->pr, ev->message_id, ev->status, ev->reason);
		break;
	case CL_MSRP_EV_FATAL:
		cl_fail(a, ev->status, ev->reason);
		break;
	}
}

static const struct cl_msrp_ops cl_msrp_glue = {
        .tx = cl_msrp_tx,
        .tx_pending = cl_msrp_tx_pending,
        .event = cl_msrp_event,
};

/* ---- TCP connection events ---- */

static void
cl_conn_connected(void *ctx)
{
	struct cl_app *a = ctx;

	LOG(cl_log, INFO, "MSRP connection up (%s)", a->we_connect ? "we connected" : "accepted");
	if (a->we_connect && cl_msrp_bind(a->msrp, cl_now_ms()) != 0)
		cl_fail(a, 0, "cannot send the binding SEND");
}

static uint8_t *
cl_conn_rx_space(void *ctx, size_t *cap)
{
	struct cl_app *a = ctx;

	return cl_msrp_rx_space(a->msrp, cap);
}

static int
cl_conn_rx_commit(void *ctx, size_t n)
{
	struct cl_app *a = ctx;
	int rc = cl_msrp_rx_commit(a->msrp, n, cl_now_ms());

	cl_check(a);
	return rc;
}

static void
cl_conn_drained(void *ctx)
{
	struct cl_app *a = ctx;

	if (a->msrp != NULL)
		cl_msrp_pump(a->msrp, cl_now_ms());
}

static void
cl_conn_closed(void *ctx, int err, const char *what)
{
	struct cl_app *a = ctx;
	char why[160];

	if (a->st == CL_ST_LEAVING)
		return;
	snprintf(why, sizeof(why), "MSRP connection: %s%s%s", what, err != 0 ? ": " : "",
	         err != 0 ? strerror(err) : "");
	if (err == 0 && a->st == CL_ST_JOINED) {
		/*
		 * A clean close by the data plane: the focus removed our leg (kicked, or the
		 * conference ended) and its BYE may still be on its way. Wait for it a little
		 * before calling it a failure.
		 */
		snprintf(a->conn_lost_why, sizeof(a->conn_lost_why), "%s", why);
		a->conn_lost_ms = cl_now_ms() + CL_BYE_GRACE_MS;
		return;
	}
	cl_fail(a, 0, why);
}

static const struct cl_conn_ops cl_conn_glue = {
        .connected = cl_conn_connected,
        .rx_space = cl_conn_rx_space,
        .rx_commit = cl_conn_rx_commit,
        .drained = cl_conn_drained,
        .closed = cl_conn_closed,
};

/* ---- SIP dialog events ---- */

/* "sip:ID@host..." -> ID. */
static void
cl_conf_id_of(const char *uri, char *out, size_t cap)
{
	const char *u = strchr(uri, ':'), *at;

	out[0] = '\0';
	if (u == NULL || (at = strchr(u + 1, '@')) == NULL)
		return;
	snprintf(out, cap, "%.*s", (int)(at - u - 1), u + 1);
}

/* Where to connect: the first URI of the answer's a=path (RFC 4975 §8.5, no CEMA). */
static int
cl_first_hop(struct cl_app *a, char *err, size_t errlen)
{
	struct msrp_span rest = {(const uint8_t *)a->remote_path, (uint32_t)strlen(a->remote_path)};
	struct msrp_span uri;
	struct msrp_uri u;

	if (!msrp_path_next(&rest, &uri) || msrp_uri_parse(uri.p, uri.len, &u) != 0) {
		snprintf(err, errlen, "answer a=path '%s' is not an MSRP URI", a->remote_path);
		return -1;
	}
	if (u.host_type != MSRP_HOST_IPV4 || !u.has_port || u.secure) {
		snprintf(err, errlen,
		         "answer a=path '%.*s': only msrp://IPv4:port/...;tcp is supported",
		         (int)uri.len, (const char *)uri.p);
		return -1;
	}
	memcpy(&a->peer_ip, u.host_addr, 4);
	a->peer_port = u.port;
	return 0;
}

/* The MSRP session over the answer's (or offer's) a=path in a->remote_path. */
static int
cl_session_create(struct cl_app *a)
{
	struct cl_msrp_cfg mc = {
	        .local_uri = a->local_path,
	        .remote_path = a->remote_path,
	        .from_uri = a->from_uri,
	        .from_display = a->o->name,
	        .conf_uri = a->conf_uri,
	        .chunk_size = a->o->chunk_size,
	        .max_size = a->o->max_size,
	        .txn_timeout_ms = a->o->timeout_ms < CL_MSRP_TXN_TIMEOUT_MS
	                                  ? a->o->timeout_ms
	                                  : CL_MSRP_TXN_TIMEOUT_MS,
	};

	a->msrp = cl_msrp_create(&mc, &cl_msrp_glue, a);
	if (a->msrp == NULL) {
		cl_fail(a, 0, "MSRP session: bad path or out of memory");
		return -1;
	}
	return 0;
}

static void
cl_connect_or_accept(struct cl_app *a)
{
	char err[128];
	int rc = a->we_connect ? cl_conn_connect(a->conn, a->peer_ip, a->peer_port)
	                       : cl_conn_accept(a->conn);

	if (rc != 0) {
		snprintf(err, sizeof(err), "MSRP connection: %s", strerror(-rc));
		cl_fail(a, 0, err);
	}
}

static void
cl_ua_answered(void *ctx, const char *contact, bool isfocus, const char *sdp, size_t sdp_len)
{
	struct cl_app *a = ctx;
	struct msdp_media m;
	enum msdp_err e;
	char err[MSDP_PATH_MAX + 128];

	if (a->st != CL_ST_INVITING)
		return;
	snprintf(a->conf_uri, sizeof(a->conf_uri), "%s", contact);
	cl_conf_id_of(contact, a->conf_id, sizeof(a->conf_id));
	if (!isfocus)
		LOG(cl_log, WARNING, "the 200 OK Contact %s has no ;isfocus (RFC 4579 §3)",
		    contact);
	e = sdp != NULL ? msdp_parse(sdp, sdp_len, &m) : MSDP_E_NO_MSRP;
	if (e != MSDP_OK) {
		snprintf(err, sizeof(err), "SDP answer: %s", msdp_strerror(e));
		cl_fail(a, 488, err);
		return;
	}
	snprintf(a->remote_path, sizeof(a->remote_path), "%s", m.path);
	if (cl_first_hop(a, err, sizeof(err)) != 0) {
		cl_fail(a, 488, err);
		return;
	}
	/* RFC 6135 §4: the answerer picked; actpass in an answer is not allowed. */
	if (m.setup == MSDP_SETUP_ACTPASS) {
		cl_fail(a, 488, "SDP answer with a=setup:actpass");
		return;
	}
	a->we_connect = m.setup != MSDP_SETUP_ACTIVE;
	if (cl_session_create(a) != 0)
		return;
	a->st = CL_ST_CONNECTING;
	LOG(cl_log, INFO, "joined %s; MSRP %s %s", a->conf_uri,
	    a->we_connect ? "connecting to" : "waiting for", a->remote_path);
	cl_connect_or_accept(a);
}

/*
 * --listen: the focus INVITEs us (a 1:1 session, or a dial-out into a conference). We
 * answer an actpass offer with passive (RFC 6135 §4.1, msdp_answer_setup): the data plane
 * connects to our a=path once the focus has programmed it from our answer, so there is no
 * race between our connection and the leg's path; active offer -> passive, passive offer
 * -> active (we connect once the ACK came), no a=setup -> the offerer connects.
 */
static void
cl_ua_invited(void *ctx, const char *from, const char *display, const char *contact, bool isfocus,
              const char *sdp, size_t sdp_len)
{
	struct cl_app *a = ctx;
	struct msdp_media offer, ans;
	enum msdp_err e;
	char err[MSDP_PATH_MAX + 128], out[4096];

	if (a->st != CL_ST_WAITING) {
		cl_ua_answer(a->ua, 486, "Busy Here", NULL);
		return;
	}
	snprintf(a->conf_uri, sizeof(a->conf_uri), "%s", contact);
	cl_conf_id_of(contact, a->conf_id, sizeof(a->conf_id));
	snprintf(a->peer_uri, sizeof(a->peer_uri), "%s", from);
	snprintf(a->peer_display, sizeof(a->peer_display), "%s", display);
	snprintf(a->target, sizeof(a->target), "%s", contact);
	cl_print_invited(&a->pr, from, display, contact);
	if (!isfocus)
		LOG(cl_log, WARNING, "the INVITE's Contact %s has no ;isfocus (RFC 4579 §3)",
		    contact);
	e = sdp != NULL ? msdp_parse(sdp, sdp_len, &offer) : MSDP_E_NO_MSRP;
	if (e != MSDP_OK)
		snprintf(err, sizeof(err), "SDP offer: %s", msdp_strerror(e));
	else
		snprintf(a->remote_path, sizeof(a->remote_path), "%s", offer.path);
	if (e != MSDP_OK || cl_first_hop(a, err, sizeof(err)) != 0) {
		cl_ua_answer(a->ua, 488, "Not Acceptable Here", NULL);
		cl_fail(a, 488, err);
		return;
	}
	ans = a->offer_template;
	ans.setup = msdp_answer_setup(offer.setup, true);
	a->we_connect = ans.setup == MSDP_SETUP_ACTIVE;
	if (cl_session_create(a) != 0) {
		cl_ua_answer(a->ua, 500, "Server Internal Error", NULL);
		return;
	}
	if (msdp_build(&ans, a->sdp_sess, a->sdp_sess, out, sizeof(out)) < 0) {
		cl_ua_answer(a->ua, 500, "Server Internal Error", NULL);
		cl_fail(a, 0, "SDP answer too long");
		return;
	}
	a->st = CL_ST_CONNECTING;
	a->deadline_ms = cl_now_ms() + a->o->timeout_ms;
	if (!a->we_connect)
		cl_connect_or_accept(a); /* listening before the 200 goes out */
	if (a->st != CL_ST_CONNECTING) {
		cl_ua_answer(a->ua, 500, "Server Internal Error", NULL);
		return;
	}
	cl_ua_answer(a->ua, 200, "OK", out);
	LOG(cl_log, INFO, "answered %s from %s (a=setup:%s); MSRP %s", contact, from,
	    msdp_setup_name(ans.setup), a->remote_path);
}

/* A re-INVITE keeps the session only with the a=path we use (a session refresh). */
static bool
cl_ua_same_media(void *ctx, const char *sdp, size_t sdp_len)
{
	struct cl_app *a = ctx;
	struct msdp_media m;

	return a->remote_path[0] != '\0' && msdp_parse(sdp, sdp_len, &m) == MSDP_OK &&
	       strcmp(m.path, a->remote_path) == 0;
}

/* --listen: the ACK came; an active answerer connects now (the focus has our path). */
static void
cl_ua_confirmed(void *ctx)
{
	struct cl_app *a = ctx;

	if (a->st == CL_ST_CONNECTING && a->we_connect)
		cl_connect_or_accept(a);
}

static void
cl_ua_failed(void *ctx, int status, const char *why)
{
	struct cl_app *a = ctx;
	char err[1024];

	if (a->st == CL_ST_LEAVING) {
		cl_finish(a); /* our CANCEL completed */
		return;
	}
	snprintf(err, sizeof(err), "INVITE %s: %s", a->target, why);
	cl_print_error(&a->pr, (uint16_t)status, err);
	a->exit_code = CL_EXIT_FAIL;
	a->st = CL_ST_LEAVING;
	snprintf(a->leave_reason, sizeof(a->leave_reason), "%s", why);
	cl_finish(a);
}

static void
cl_ua_ended(void *ctx, bool by_peer)
{
	struct cl_app *a = ctx;

	if (a->st != CL_ST_LEAVING) {
		/* The focus ended the session (BYE): what was asked may be incomplete. */
		bool expect_ok = !a->o->has_expect || a->received >= a->o->expect;

		snprintf(a->leave_reason, sizeof(a->leave_reason), "%s",
		         by_peer ? "ended by the focus (BYE)" : "ended");
		a->ended_by_peer = by_peer;
		a->st = CL_ST_LEAVING;
		cl_stdin_stop(a);
		if (!expect_ok || a->send_failed ||
		    (a->msrp != NULL && cl_msrp_unacked(a->msrp) > 0))
			a->exit_code = CL_EXIT_FAIL;
	}
	cl_finish(a);
}

static const struct cl_ua_ops cl_ua_glue = {
        .answered = cl_ua_answered,
        .failed = cl_ua_failed,
        .ended = cl_ua_ended,
        .invited = cl_ua_invited,
        .same_media = cl_ua_same_media,
        .confirmed = cl_ua_confirmed,
        .notified = cl_ua_notified,
        .sub_failed = cl_ua_sub_failed,
        .refer_progress = cl_ua_refer_progress,
};

/* ---- timer ---- */

static void
cl_on_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct cl_app *a = (struct cl_app *)arg;
	uint64_t now = cl_now_ms();

	(void)magic;
	(void)t;
	if (a->msrp != NULL && a->st != CL_ST_LEAVING)
		cl_msrp_tick(a->msrp, now);
	switch (a->st) {
	case CL_ST_WAITING:
		if (a->o->has_timeout && now >= a->deadline_ms)
			cl_fail(a, 408, "timeout: no call came");
		break;
	case CL_ST_INVITING:
	case CL_ST_CONNECTING:
		if (now >= a->deadline_ms)
			cl_fail(a, 408,
			        a->st == CL_ST_INVITING ? "timeout: no answer to the INVITE"
			                                : "timeout: MSRP session not bound");
		break;
	case CL_ST_JOINED:
		if (a->conn_lost_ms != 0 && now >= a->conn_lost_ms) {
			cl_fail(a, 0, a->conn_lost_why);
			break;
		}
		cl_check(a);
		break;
	case CL_ST_LEAVING:
		if (a->linger_ms != 0 && !a->shutting_down) {
			if (cl_ua_subscribed(a->ua) && now < a->linger_ms)
				break;
			cl_finish(a);
			break;
		}
		if (now < a->leave_deadline_ms)
			break;
		if (!a->shutting_down) {
			LOG(cl_log, WARNING, "no answer to BYE/CANCEL: shutting down");
			cl_finish(a);
		} else {
			a->finished = true; /* nua did not finish its shutdown in time */
		}
		break;
	}
	if (a->shutting_down && cl_ua_done(a->ua))
		a->finished = true;
}

/* ---- set-up ---- */

static int
cl_setup(struct cl_app *a, char *err, size_t errlen)
{
	const struct cl_opts *o = a->o;
	char ip[INET_ADDRSTRLEN], user[256];
	const char *u = o->user;
	int rc;

	/* The focus: --focus, else controlplane.sip_address:sip_port of the config. */
	if (o->config != NULL) {
		if (cfg_load(o->config, &a->cfg, err, errlen) != 0)
			return -1;
	} else if ((a->cfg = cfg_create_default()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->focus_ip = o->has_focus ? o->focus_ip : a->cfg->controlplane.sip_address;
	a->focus_port = o->has_focus && o->focus_port != 0
	                        ? o->focus_port
	                        : (uint16_t)a->cfg->controlplane.sip_port;
	if (a->focus_ip.s_addr == htonl(INADDR_ANY))
		a->focus_ip.s_addr = htonl(INADDR_LOOPBACK); /* a focus on every address */
	inet_ntop(AF_INET, &a->focus_ip, ip, sizeof(ip));
	snprintf(a->focus_hostport, sizeof(a->focus_hostport), "%s:%u", ip, a->focus_port);
	/* Our address: --local-ip, else the one the kernel routes the focus through. */
	if (o->has_local_ip) {
		a->local_ip = o->local_ip;
	} else if ((rc = cl_local_addr_for(a->focus_ip, &a->local_ip)) != 0) {
		snprintf(err, errlen, "no route to the focus %s: %s (use --local-ip)", ip,
		         strerror(-rc));
		return -1;
	}
	/* Identity: From sip:USER@example.com with the display name (the chat alias). */
	if (u == NULL)
		u = getenv("SUDO_USER");
	if (u == NULL || *u == '\0')
		u = getenv("USER");
	if (u == NULL || *u == '\0')
		u = "user";
	snprintf(user, sizeof(user), "%s", u);
	if (cl_user_uri(user, a->from_uri, sizeof(a->from_uri)) < 0) {
		snprintf(err, errlen, "user '%s' does not make a SIP URI (use --user)", user);
		return -1;
	}
	if (o->name != NULL) {
		size_t k = 0;

		/* RFC 3261 §25.1 quoted-string: '"' and '\' as quoted-pairs. */
		a->from_hdr[k++] = '"';
		for (const char *s = o->name; *s != '\0' && k + 4 < sizeof(a->from_hdr) / 2; s++) {
			if (*s == '"' || *s == '\\')
				a->from_hdr[k++] = '\\';
			a->from_hdr[k++] = *s;
		}
		snprintf(a->from_hdr + k, sizeof(a->from_hdr) - k, "\" <%s>", a->from_uri);
	} else {
		snprintf(a->from_hdr, sizeof(a->from_hdr), "<%s>", a->from_uri);
	}
	/* Whom to INVITE. */
	if (o->call != NULL) {
		/* S11-01: the callee's URI, sent to the focus as outbound proxy. */
		if (cl_call_uri(o->call, a->target, sizeof(a->target)) < 0) {
			snprintf(err, errlen, "--call '%s' is not a usable SIP URI", o->call);
			return -1;
		}
		snprintf(a->proxy, sizeof(a->proxy), "sip:%s%s", a->focus_hostport,
		         o->tcp ? ";transport=tcp" : "");
		snprintf(a->peer_uri, sizeof(a->peer_uri), "%s", a->target);
		a->one_to_one = true;
	} else if (o->listen) {
		a->one_to_one = true; /* until the INVITE says otherwise: the peer is its From */
	} else if (o->join != NULL) {
		if (cl_join_uri(o->join, a->focus_hostport, a->target, sizeof(a->target)) < 0) {
			snprintf(err, errlen, "--join '%s' is not a usable SIP URI", o->join);
			return -1;
		}
	} else {
		snprintf(a->target, sizeof(a->target), "sip:%s@%s",
		         a->cfg->controlplane.factory_user, a->focus_hostport);
	}
	/* Files first: a bad path fails before anyone sees us join. */
	a->files = calloc(o->n_items + 1, sizeof(*a->files));
	if (a->files == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < o->n_items; i++)
		if (o->items[i].kind == CL_ITEM_FILE &&
		    cl_file_load(o->items[i].value, o->file_type, &a->files[i], err, errlen) != 0)
			return -1;
	a->read_stdin = o->n_items == 0;
	a->interactive = a->read_stdin && isatty(0);
	a->line = malloc(CL_LINE_MAX + 1);
	if (a->line == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
cl_start(struct cl_app *a, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN], bind_url[64], sdp[4096];
	struct msrp_id_gen ids;
	uint8_t sid[CL_SID_LEN];
	struct msdp_media m;
	uint64_t sess;
	uint16_t port;
	int rc;

	inet_ntop(AF_INET, &a->local_ip, ip, sizeof(ip));
	a->tick = su_timer_create(su_root_task(a->root), CL_TICK_MS);
	if (a->tick == NULL ||
	    su_timer_set_for_ever(a->tick, cl_on_tick, (su_timer_arg_t *)a) != 0) {
		snprintf(err, errlen, "timer: out of memory");
		return -1;
	}
	/* Any free port unless --sip-port: the focus may run on this address (scripts/run). */
	if (a->o->sip_port != 0)
		snprintf(bind_url, sizeof(bind_url), "sip:%s:%u", ip, a->o->sip_port);
	else
		snprintf(bind_url, sizeof(bind_url), "sip:%s:*", ip);
	a->ua = cl_ua_create(a->root, bind_url, a->from_hdr, a->proxy[0] ? a->proxy : NULL,
	                     a->o->listen, &cl_ua_glue, a, err, errlen);
	if (a->ua == NULL)
		return -1;
	a->conn = cl_conn_listen(a->root, a->local_ip, &cl_conn_glue, a, &port);
	if (a->conn == NULL) {
		snprintf(err, errlen, "MSRP listener on %s: %s", ip, strerror(errno));
		return -1;
	}
	if (msrp_id_gen_init(&ids, 2) != 0) {
		snprintf(err, errlen, "getrandom failed");
		return -1;
	}
	msrp_id_next(&ids, sid, sizeof(sid));
	msrp_id_bytes(&ids, (uint8_t *)&sess, sizeof(sess));
	snprintf(a->local_path, sizeof(a->local_path), "msrp://%s:%u/%.*s;tcp", ip, port,
	         CL_SID_LEN, (const char *)sid);
	/* The offer (RFC 4975 §8, RFC 6135): actpass lets the focus pick who connects. */
	memset(&m, 0, sizeof(m));
	snprintf(m.path, sizeof(m.path), "%s", a->local_path);
	snprintf(m.accept_types, sizeof(m.accept_types), "%s", CL_ACCEPT_TYPES);
	snprintf(m.accept_wrapped, sizeof(m.accept_wrapped), "%s", CL_ACCEPT_WRAPPED);
	m.max_size = a->o->max_size;
	m.setup = MSDP_SETUP_ACTPASS;
	snprintf(m.addr, sizeof(m.addr), "%s", ip);
	m.port = port;
	a->offer_template = m;
	a->sdp_sess = sess >> 1;
	if (msdp_build(&m, sess >> 1, sess >> 1, sdp, sizeof(sdp)) < 0) {
		snprintf(err, errlen, "SDP offer too long");
		return -1;
	}
	if (a->o->listen) {
		char line[300];

		a->st = CL_ST_WAITING;
		a->deadline_ms = cl_now_ms() + a->o->timeout_ms;
		snprintf(line, sizeof(line), "waiting for a call to %.200s (sip:...@%s:%u)",
		         a->from_uri, ip, a->o->sip_port);
		cl_print_info(&a->pr, line);
		LOG(cl_log, INFO, "listening on %s", bind_url);
		return 0;
	}
	rc = cl_ua_invite(a->ua, a->target, a->o->tcp, sdp);
	if (rc != 0) {
		snprintf(err, errlen, "INVITE %s: %s", a->target, strerror(-rc));
		return -1;
	}
	LOG(cl_log, INFO, "INVITE %s from %s (MSRP %s)", a->target, a->from_hdr, a->local_path);
	a->st = CL_ST_INVITING;
	a->deadline_ms = cl_now_ms() + a->o->timeout_ms;
	return 0;
}

/*
 * sofia-sip's own diagnostics (transport errors and the like, in pieces without a level):
 * the client reports the outcome itself, so they are shown only with -vv.
 */
static void
cl_sofia_log(void *stream, char const *fmt, va_list ap)
{
	if (stream != NULL)
		vfprintf(stderr, fmt, ap);
}

int
cl_app_run(const struct cl_opts *o, volatile sig_atomic_t *stop)
{
	struct cl_app *a = calloc(1, sizeof(*a));
	char err[CFG_ERR_CAP + 256];
	int code;

	if (a == NULL) {
		fprintf(stderr, "msw-client: out of memory\n");
		return CL_EXIT_FAIL;
	}
	a->o = o;
	a->stop = stop;
	a->in_fd = -1;
	a->pr = (struct cl_printer){.f = stdout, .json = o->json};
	if (o->verbose > 0)
		log_set_type_level("msw.cl.*", o->verbose > 1 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	su_log_redirect(NULL, cl_sofia_log, o->verbose > 1 ? stderr : NULL);
	code = CL_EXIT_FAIL;
	if (cl_setup(a, err, sizeof(err)) != 0) {
		cl_print_error(&a->pr, 0, err);
		goto out;
	}
	su_init();
	a->root = su_root_create(NULL);
	if (a->root == NULL) {
		cl_print_error(&a->pr, 0, "su_root_create failed");
		su_deinit();
		goto out;
	}
	if (cl_start(a, err, sizeof(err)) != 0) {
		cl_print_error(&a->pr, 0, err);
		if (a->ua != NULL) {
			cl_ua_shutdown(a->ua);
			for (int i = 0; i < 30 && !cl_ua_done(a->ua); i++)
				su_root_step(a->root, 100);
		}
	} else {
		while (!a->finished) {
			su_root_step(a->root, CL_TICK_MS);
			if (*stop && a->st != CL_ST_LEAVING) {
				bool ok = !o->has_expect || a->received >= o->expect;

				cl_leave(a, "interrupted",
				         ok && !a->send_failed ? CL_EXIT_OK : CL_EXIT_FAIL);
			}
		}
		code = a->exit_code;
	}
	cl_stdin_stop(a);
	free(a->people);
	free(a->doc);
	cl_msrp_destroy(a->msrp);
	cl_conn_destroy(a->conn);
	cl_ua_destroy(a->ua);
	if (a->tick != NULL)
		su_timer_destroy(a->tick);
	su_root_destroy(a->root);
	su_deinit();
out:
	for (uint32_t i = 0; a->files != NULL && i < o->n_items; i++)
		free(a->files[i].data);
	free(a->files);
	free(a->line);
	cfg_free(a->cfg);
	free(a);
	return code;
}
