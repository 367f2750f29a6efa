/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cl_msrp.h"
#include "cpim/cpim.h"
#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "msrp/msrp_id.h"

#define CL_NONE UINT32_MAX
/* Largest frame the parser accepts: header block, body, end-line (CRLF 7 dashes tid flag). */
#define CL_FRAME_MAX (MSRP_DEFAULT_MAX_HEADER_BYTES + MSRP_DEFAULT_MAX_BODY_BYTES + 64u)
/*
 * Receive buffer: a frame starts at most CL_FRAME_MAX before its end, so with twice that
 * (plus what the parser reads before it sees a frame is too large) a frame in progress
 * always fits; bytes after a frame boundary move to the front when less room remains.
 */
#define CL_RX_CAP  (2u * CL_FRAME_MAX + 1024u)
#define CL_HDR_CAP 2048u /* head of a chunk we build, responses, REPORTs */

/* A request of ours waiting for its response. Owned by its session, like the two below. */
struct cl_txn {
	bool in_use;
	uint8_t tid_len;
	char tid[CL_MSRP_ID_CAP];
	uint32_t msg; /* index in out[], CL_NONE = the binding SEND */
	uint64_t deadline_ms;
};

/* One outgoing message. */
struct cl_outmsg {
	char id[CL_MSRP_ID_CAP];
	char *ctype;
	char *disposition; /* Content-Disposition value, NULL for none */
	uint8_t *body;     /* freed once every chunk got its response */
	uint64_t len;
	uint64_t next; /* bytes already handed to tx */
	uint32_t inflight;
	bool failed;
	bool done; /* every chunk acknowledged */
	bool final_report;
	bool report_seen;
};

/* One incoming message being reassembled (RFC 4975 §7.1.1 Byte-Range). */
struct cl_in {
	bool in_use;
	uint8_t id_len;
	char id[CL_MSRP_ID_CAP];
	uint8_t *buf;
	uint64_t cap;
	uint64_t got;       /* body bytes received (chunks never overlap on one connection) */
	uint64_t final_end; /* end of the '$' chunk, valid once ended */
	bool ended;         /* the '$' chunk arrived */
	char *ctype;
	char *disposition;
	bool success_report;
	uint64_t last_ms;
};

/* Thread-safety: the session and everything in it belong to its owner's thread (su_root). */
struct cl_msrp {
	struct cl_msrp_ops ops;
	void *ctx;
	char *local_uri;
	char *remote_path;
	char *from_uri;
	char *from_display;
	char *conf_uri;
	struct msrp_uri local; /* spans into local_uri */
	uint32_t chunk_size;
	uint64_t max_size;
	uint32_t txn_timeout_ms;
	bool bound;
	bool dead;
	bool pump_held; /* no chunk production (inside the binding event) */
	struct msrp_id_gen ids;
	struct msrp_parser parser;
	uint8_t *hdr_buf;
	uint8_t *rx;
	size_t rx_len; /* bytes in rx */
	size_t rx_fed; /* bytes of rx given to the parser */
	struct cl_txn txn[CL_MSRP_WINDOW + 1];
	struct cl_outmsg *out;
	uint32_t n_out;
	uint32_t cap_out;
	uint32_t first_unsent; /* out[] before this index are fully handed to tx */
	struct cl_in in[CL_MSRP_REASM_MAX];
	struct fdr_recipient rcpt[CL_MSRP_RCPT_MAX];
	uint8_t hdr[CL_HDR_CAP];
};

static struct msrp_span
cl_span(const char *s)
{
	return (struct msrp_span){(const uint8_t *)s, s != NULL ? (uint32_t)strlen(s) : 0};
}

static bool
cl_span_caseeq(struct msrp_span a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && strncasecmp((const char *)a.p, s, n) == 0;
}

/* The media type of a Content-Type value: before ';', without surrounding blanks. */
static struct msrp_span
cl_media_type(struct msrp_span ct)
{
	uint32_t b = 0, e = 0;

	while (b < ct.len && (ct.p[b] == ' ' || ct.p[b] == '\t'))
		b++;
	e = b;
	while (e < ct.len && ct.p[e] != ';')
		e++;
	while (e > b && (ct.p[e - 1] == ' ' || ct.p[e - 1] == '\t'))
		e--;
	return (struct msrp_span){ct.p + b, e - b};
}

bool
cl_type_is_text(struct msrp_span content_type)
{
	struct msrp_span mt = cl_media_type(content_type);

	return mt.len > 5 && strncasecmp((const char *)mt.p, "text/", 5) == 0;
}

static void
cl_emit(struct cl_msrp *m, const struct cl_msrp_ev *ev)
{
	m->ops.event(m->ctx, ev);
}

static void
cl_fatal(struct cl_msrp *m, uint16_t status, const char *reason)
{
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_FATAL, .status = status, .reason = reason};

	if (m->dead)
		return;
	m->dead = true;
	cl_emit(m, &ev);
}

static int
cl_tx(struct cl_msrp *m, const uint8_t *p, size_t len)
{
	int rc;

	if (m->dead)
		return -EPIPE;
	rc = m->ops.tx(m->ctx, p, len);
	if (rc != 0)
		cl_fatal(m, 0, "the connection refused data");
	return rc;
}

/* ---- message view (display) ---- */

/* Copies a display name without its quotes, quoted-pairs resolved (RFC 3862 §3.2). */
static void
cl_unquote(const uint8_t *p, uint32_t len, char *out, size_t cap)
{
	size_t o = 0;

	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	for (uint32_t i = 0; i < len && o + 1 < cap; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		out[o++] = (char)p[i];
	}
	out[o] = '\0';
}

/* filename="..." or filename=token of a Content-Disposition value (RFC 2183 §2). */
static void
cl_disposition_filename(struct msrp_span d, char *out, size_t cap)
{
	static const char key[] = "filename=";
	const size_t kl = sizeof(key) - 1;

	out[0] = '\0';
	for (uint32_t i = 0; i + kl <= d.len; i++) {
		const uint8_t *v;
		uint32_t n = 0, rest;

		if (strncasecmp((const char *)d.p + i, key, kl) != 0 ||
		    (i > 0 && d.p[i - 1] != ';' && d.p[i - 1] != ' ' && d.p[i - 1] != '\t'))
			continue;
		v = d.p + i + kl;
		rest = d.len - i - (uint32_t)kl;
		if (rest > 0 && v[0] == '"') {
			while (n + 1 < rest && v[n + 1] != '"')
				n++;
			cl_unquote(v, n + (n + 1 < rest ? 2 : 1), out, cap);
		} else {
			while (n < rest && v[n] != ';' && v[n] != ' ')
				n++;
			cl_unquote(v, n, out, cap);
		}
		return;
	}
}

void
cl_msg_view_build(struct msrp_span content_type, struct msrp_span disposition, const uint8_t *body,
                  uint32_t len, struct cl_msg_view *v)
{
	struct cpim_msg cm;
	enum cpim_rc rc;

	memset(v, 0, sizeof(*v));
	v->content_type = content_type;
	v->content = (struct msrp_span){body, len};
	cl_disposition_filename(disposition, v->filename, sizeof(v->filename));
	if (!cl_span_caseeq(cl_media_type(content_type), "message/cpim"))
		return;
	rc = cpim_parse(body, len, &cm);
	if (rc != CPIM_OK) {
		v->cpim_error = (int)rc;
		return;
	}
	v->cpim = true;
	v->from_uri = (struct msrp_span){cm.from.uri.p, cm.from.uri.len};
	cl_unquote(cm.from.display.p, cm.from.display.len, v->from_display,
	           sizeof(v->from_display));
	v->content_type = (struct msrp_span){cm.content_type.p, cm.content_type.len};
	v->content = (struct msrp_span){cm.content.p, cm.content.len};
	for (uint16_t i = 0; i < cm.n_mime; i++)
		if (cpim_span_caseeq(cm.mime[i].name, "Content-Disposition"))
			cl_disposition_filename(
			        (struct msrp_span){cm.mime[i].value.p, cm.mime[i].value.len},
			        v->filename, sizeof(v->filename));
}

/* ---- create / destroy ---- */

static char *
cl_strdup0(const char *s)
{
	return strdup(s != NULL ? s : "");
}

struct cl_msrp *
cl_msrp_create(const struct cl_msrp_cfg *cfg, const struct cl_msrp_ops *ops, void *ctx)
{
	struct cl_msrp *m = calloc(1, sizeof(*m));
	struct msrp_span rest, uri;
	struct msrp_uri tmp;

	if (m == NULL)
		return NULL;
	m->ops = *ops;
	m->ctx = ctx;
	m->chunk_size = cfg->chunk_size != 0 ? cfg->chunk_size : 2048;
	m->max_size = cfg->max_size;
	m->txn_timeout_ms = cfg->txn_timeout_ms != 0 ? cfg->txn_timeout_ms : CL_MSRP_TXN_TIMEOUT_MS;
	m->local_uri = cl_strdup0(cfg->local_uri);
	m->remote_path = cl_strdup0(cfg->remote_path);
	m->from_uri = cl_strdup0(cfg->from_uri);
	m->from_display = cl_strdup0(cfg->from_display);
	m->conf_uri = cl_strdup0(cfg->conf_uri);
	m->hdr_buf = malloc(MSRP_DEFAULT_MAX_HEADER_BYTES);
	m->rx = malloc(CL_RX_CAP);
	if (m->local_uri == NULL || m->remote_path == NULL || m->from_uri == NULL ||
	    m->from_display == NULL || m->conf_uri == NULL || m->hdr_buf == NULL || m->rx == NULL)
		goto nomem;
	/* Our URI must be one MSRP URI, the peer's path one or more (RFC 4975 §9). */
	if (msrp_uri_parse((const uint8_t *)m->local_uri, strlen(m->local_uri), &m->local) != 0)
		goto inval;
	rest = cl_span(m->remote_path);
	if (rest.len == 0)
		goto inval;
	while (msrp_path_next(&rest, &uri))
		if (msrp_uri_parse(uri.p, uri.len, &tmp) != 0)
			goto inval;
	if (msrp_parser_init(&m->parser, NULL, m->hdr_buf, MSRP_DEFAULT_MAX_HEADER_BYTES) != 0 ||
	    msrp_id_gen_init(&m->ids, 0) != 0)
		goto inval;
	return m;
inval:
	cl_msrp_destroy(m);
	errno = EINVAL;
	return NULL;
nomem:
	cl_msrp_destroy(m);
	errno = ENOMEM;
	return NULL;
}

static void
cl_in_drop(struct cl_in *e)
{
	free(e->buf);
	free(e->ctype);
	free(e->disposition);
	memset(e, 0, sizeof(*e));
}

void
cl_msrp_destroy(struct cl_msrp *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->n_out; i++) {
		free(m->out[i].ctype);
		free(m->out[i].disposition);
		free(m->out[i].body);
	}
	for (uint32_t i = 0; i < CL_MSRP_REASM_MAX; i++)
		cl_in_drop(&m->in[i]);
	free(m->out);
	free(m->local_uri);
	free(m->remote_path);
	free(m->from_uri);
	free(m->from_display);
	free(m->conf_uri);
	free(m->hdr_buf);
	free(m->rx);
	free(m);
}

bool
cl_msrp_bound(const struct cl_msrp *m)
{
	return m->bound;
}

/* ---- transactions ---- */

static struct cl_txn *
cl_txn_new(struct cl_msrp *m, uint32_t msg, uint64_t now_ms)
{
	for (uint32_t i = 0; i < CL_MSRP_WINDOW + 1; i++) {
		struct cl_txn *t = &m->txn[i];

		/* The last slot is kept for the binding SEND. */
		if (t->in_use || (msg != CL_NONE && i == CL_MSRP_WINDOW))
			continue;
		memset(t, 0, sizeof(*t));
		t->in_use = true;
		t->msg = msg;
		t->deadline_ms = now_ms + m->txn_timeout_ms;
		msrp_id_next(&m->ids, (uint8_t *)t->tid, MSRP_ID_LEN);
		t->tid_len = MSRP_ID_LEN;
		t->tid[MSRP_ID_LEN] = '\0';
		return t;
	}
	return NULL;
}

static uint32_t
cl_txn_free_slots(const struct cl_msrp *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < CL_MSRP_WINDOW; i++)
		n += !m->txn[i].in_use;
	return n;
}

static struct cl_txn *
cl_txn_find(struct cl_msrp *m, struct msrp_span tid)
{
	for (uint32_t i = 0; i < CL_MSRP_WINDOW + 1; i++) {
		struct cl_txn *t = &m->txn[i];

		if (t->in_use && t->tid_len == tid.len && memcmp(t->tid, tid.p, tid.len) == 0)
			return t;
	}
	return NULL;
}

int
cl_msrp_bind(struct cl_msrp *m, uint64_t now_ms)
{
	struct cl_txn *t = cl_txn_new(m, CL_NONE, now_ms);
	char mid[CL_MSRP_ID_CAP];
	struct msrp_build_req r;
	ssize_t n;

	if (t == NULL)
		return -EBUSY;
	msrp_id_next(&m->ids, (uint8_t *)mid, MSRP_ID_LEN);
	mid[MSRP_ID_LEN] = '\0';
	/* RFC 4975 §5.4: a SEND without a body binds the connection to the session. */
	r = (struct msrp_build_req){
	        .method = cl_span("SEND"),
	        .tid = {(const uint8_t *)t->tid, t->tid_len},
	        .to_path = cl_span(m->remote_path),
	        .from_path = cl_span(m->local_uri),
	        .message_id = cl_span(mid),
	        .flag = MSRP_FLAG_END,
	};
	n = msrp_build_send(&r, NULL, m->hdr, sizeof(m->hdr));
	if (n < 0) {
		t->in_use = false;
		return (int)n;
	}
	return cl_tx(m, m->hdr, (size_t)n);
}

/* ---- responses and reports we send ---- */

/* RFC 4975 §7.2: Failure-Report no -> never respond, partial -> only errors. */
static void
cl_respond(struct cl_msrp *m, const struct msrp_frame *f, uint16_t code)
{
	ssize_t n;

	if (f->failure_report == MSRP_REPORT_NO ||
	    (f->failure_report == MSRP_REPORT_PARTIAL && code == 200))
		return;
	n = msrp_build_response_to(f, code, NULL, cl_span(m->local_uri), m->hdr, sizeof(m->hdr));
	if (n > 0)
		cl_tx(m, m->hdr, (size_t)n);
}

/* RFC 4975 §7.1.2: the success REPORT for a whole message of len bytes. */
static void
cl_success_report(struct cl_msrp *m, const struct msrp_frame *last, uint64_t len)
{
	struct msrp_byte_range br = {
	        .start = 1, .end = len, .total = len, .end_known = true, .total_known = true};
	uint8_t tid[MSRP_ID_LEN];
	ssize_t n;

	msrp_id_next(&m->ids, tid, sizeof(tid));
	n = msrp_build_report_for(last, (struct msrp_span){tid, sizeof(tid)}, cl_span(m->local_uri),
	                          200, NULL, &br, m->hdr, sizeof(m->hdr));
	if (n > 0)
		cl_tx(m, m->hdr, (size_t)n);
}

/* ---- outgoing messages ---- */

static struct cl_outmsg *
cl_out_by_id(struct cl_msrp *m, const uint8_t *id, uint32_t len)
{
	for (uint32_t i = 0; i < m->n_out; i++)
		if (strlen(m->out[i].id) == len && memcmp(m->out[i].id, id, len) == 0)
			return &m->out[i];
	return NULL;
}

static void
cl_out_finish(struct cl_msrp *m, struct cl_outmsg *o)
{
	struct cl_msrp_ev ev = {
	        .type = CL_MSRP_EV_SENT, .message_id = o->id, .status = 200, .bytes = o->len};

	o->done = true;
	free(o->body);
	o->body = NULL;
	cl_emit(m, &ev);
}

static void
cl_out_fail(struct cl_msrp *m, struct cl_outmsg *o, uint16_t code, const char *reason)
{
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_SEND_FAILED,
	                        .message_id = o->id,
	                        .status = code,
	                        .reason = reason,
	                        .bytes = o->len};

	if (o->failed || o->done)
		return;
	/* RFC 4975 §7.1.1: after an error (413 in particular) no more chunks of it. */
	o->failed = true;
	o->next = o->len;
	free(o->body);
	o->body = NULL;
	cl_emit(m, &ev);
}

static int
cl_out_chunk(struct cl_msrp *m, uint32_t idx, uint64_t now_ms)
{
	struct cl_outmsg *o = &m->out[idx];
	uint64_t n = o->len - o->next;
	struct cl_txn *t;
	struct msrp_build_hdr disp;
	struct msrp_build_req r;
	ssize_t hl, el;
	uint8_t end[MSRP_BUILD_END_MAX];

	if (n > m->chunk_size)
		n = m->chunk_size;
	t = cl_txn_new(m, idx, now_ms);
	if (t == NULL)
		return -EBUSY;
	disp = (struct msrp_build_hdr){cl_span("Content-Disposition"), cl_span(o->disposition)};
	r = (struct msrp_build_req){
	        .method = cl_span("SEND"),
	        .tid = {(const uint8_t *)t->tid, t->tid_len},
	        .to_path = cl_span(m->remote_path),
	        .from_path = cl_span(m->local_uri),
	        .message_id = cl_span(o->id),
	        /* OMA SIMPLE IM 5.7.2: the final report comes back as a REPORT. */
	        .success_report = o->final_report ? MSRP_REPORT_YES : MSRP_REPORT_ABSENT,
	        .has_byte_range = true,
	        .byte_range = {.start = o->next + 1,
	                       .end = o->next + n,
	                       .total = o->len,
	                       .end_known = true,
	                       .total_known = true},
	        .mime = o->disposition != NULL ? &disp : NULL,
	        .n_mime = o->disposition != NULL ? 1 : 0,
	        .content_type = cl_span(o->ctype),
	        .has_body = true,
	        .body_len = n,
	        .flag = o->next + n == o->len ? MSRP_FLAG_END : MSRP_FLAG_MORE,
	};
	hl = msrp_build_req_head(&r, m->hdr, sizeof(m->hdr));
	el = msrp_build_end(r.tid, true, r.flag, end, sizeof(end));
	if (hl < 0 || el < 0) {
		t->in_use = false;
		cl_out_fail(m, o, 400, "cannot build the SEND (content type or file name)");
		return 0;
	}
	if (cl_tx(m, m->hdr, (size_t)hl) != 0 || cl_tx(m, o->body + o->next, n) != 0 ||
	    cl_tx(m, end, (size_t)el) != 0)
		return -EPIPE;
	o->next += n;
	o->inflight++;
	return 0;
}

void
cl_msrp_pump(struct cl_msrp *m, uint64_t now_ms)
{
	while (m->bound && !m->dead && !m->pump_held && m->first_unsent < m->n_out) {
		struct cl_outmsg *o = &m->out[m->first_unsent];

		if (o->next >= o->len) {
			m->first_unsent++;
			continue;
		}
		if (cl_txn_free_slots(m) == 0 || m->ops.tx_pending(m->ctx) >= CL_MSRP_TX_HIGH)
			return;
		if (cl_out_chunk(m, m->first_unsent, now_ms) != 0)
			return;
	}
}

int
cl_msrp_send(struct cl_msrp *m, const char *content_type, const uint8_t *body, size_t len,
             const struct cl_send_opts *so, char *id_out, uint64_t now_ms)
{
	struct cl_outmsg *o;
	uint8_t *copy;
	size_t n = len;
	const char *ctype = content_type;

	if (len == 0 || content_type == NULL || *content_type == '\0')
		return -EINVAL;
	if (m->n_out == m->cap_out) {
		uint32_t cap = m->cap_out != 0 ? 2 * m->cap_out : 16;
		struct cl_outmsg *a = realloc(m->out, cap * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		m->out = a;
		m->cap_out = cap;
	}
	if (so != NULL && so->final_report) {
		/*
		 * OMA SIMPLE IM 5.7.2 (FDR-02): the request for a final report is a CPIM header,
		 * so we wrap ourselves: From = us, To = the conference, FR.Final-Report: yes.
		 */
		static const struct cpim_ns fr_ns = {{(const uint8_t *)"FR", 2},
		                                     {(const uint8_t *)CPIM_URN_FINAL_REPORT,
		                                      sizeof(CPIM_URN_FINAL_REPORT) - 1}};
		static const struct cpim_field fr = {{(const uint8_t *)"FR.Final-Report", 15},
		                                     {(const uint8_t *)"yes", 3}};
		struct cpim_wrap w = {
		        .from = {cpim_span_str(m->from_display), cpim_span_str(m->from_uri)},
		        .to = {{NULL, 0}, cpim_span_str(m->conf_uri)},
		        .has_datetime = so->now_unix_ms > 0,
		        .datetime_ms = so->now_unix_ms,
		        .ns = &fr_ns,
		        .n_ns = 1,
		        .fields = &fr,
		        .n_fields = 1,
		        .content_type = cpim_span_str(content_type),
		};
		ssize_t wl;

		if (len > UINT32_MAX - 8192)
			return -EINVAL;
		copy = malloc(len + 8192);
		if (copy == NULL)
			return -ENOMEM;
		wl = cpim_wrap_build(&w, body, (uint32_t)len, copy, len + 8192);
		if (wl < 0) {
			free(copy);
			return -EINVAL;
		}
		n = (size_t)wl;
		ctype = "message/cpim";
	} else {
		copy = malloc(len);
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, body, len);
	}
	o = &m->out[m->n_out];
	memset(o, 0, sizeof(*o));
	o->ctype = strdup(ctype);
	if (so != NULL && so->filename != NULL) {
		/* RFC 2183: attachment; filename="..." with '"' and '\' escaped. */
		size_t fl = strlen(so->filename), k = 0;

		o->disposition = malloc(2 * fl + 32);
		if (o->disposition != NULL) {
			k = (size_t)sprintf(o->disposition, "attachment; filename=\"");
			for (size_t i = 0; i < fl; i++) {
				if (so->filename[i] == '"' || so->filename[i] == '\\')
					o->disposition[k++] = '\\';
				o->disposition[k++] = so->filename[i];
			}
			o->disposition[k++] = '"';
			o->disposition[k] = '\0';
		}
	}
	if (o->ctype == NULL || (so != NULL && so->filename != NULL && o->disposition == NULL)) {
		free(o->ctype);
		free(o->disposition);
		free(copy);
		return -ENOMEM;
	}
	o->body = copy;
	o->len = n;
	o->final_report = so != NULL && so->final_report;
	msrp_id_next(&m->ids, (uint8_t *)o->id, MSRP_ID_LEN);
	o->id[MSRP_ID_LEN] = '\0';
	m->n_out++;
	if (id_out != NULL)
		memcpy(id_out, o->id, MSRP_ID_LEN + 1);
	cl_msrp_pump(m, now_ms);
	return 0;
}

uint32_t
cl_msrp_unacked(const struct cl_msrp *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->n_out; i++)
		n += !m->out[i].failed && !m->out[i].done;
	return n;
}

uint32_t
cl_msrp_reports_pending(const struct cl_msrp *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->n_out; i++)
		n += m->out[i].final_report && !m->out[i].failed && !m->out[i].report_seen;
	return n;
}

/* ---- incoming frames ---- */

static void
cl_on_response(struct cl_msrp *m, const struct msrp_frame *f)
{
	struct cl_txn *t = cl_txn_find(m, f->tid);
	struct cl_outmsg *o;
	char reason[64];

	if (t == NULL)
		return; /* late (after a timeout) or not ours: nothing waits for it */
	t->in_use = false;
	if (t->msg == CL_NONE) {
		struct cl_msrp_ev ev = {.type = CL_MSRP_EV_BOUND, .status = f->status_code};

		if (f->status_code != 200) {
			snprintf(reason, sizeof(reason), "binding SEND refused: %u %.*s",
			         f->status_code, (int)f->comment.len, (const char *)f->comment.p);
			cl_fatal(m, f->status_code, reason);
			return;
		}
		if (!m->bound) {
			m->bound = true;
			cl_emit(m, &ev);
		}
		return;
	}
	o = &m->out[t->msg];
	if (o->inflight > 0)
		o->inflight--;
	if (f->status_code != 200) {
		snprintf(reason, sizeof(reason), "%u %.*s", f->status_code, (int)f->comment.len,
		         (const char *)f->comment.p);
		cl_out_fail(m, o, f->status_code, reason);
		return;
	}
	if (!o->failed && !o->done && o->next == o->len && o->inflight == 0)
		cl_out_finish(m, o);
}

static struct cl_in *
cl_in_find(struct cl_msrp *m, struct msrp_span id)
{
	for (uint32_t i = 0; i < CL_MSRP_REASM_MAX; i++) {
		struct cl_in *e = &m->in[i];

		if (e->in_use && e->id_len == id.len && memcmp(e->id, id.p, id.len) == 0)
			return e;
	}
	return NULL;
}

static char *
cl_strndup_span(struct msrp_span s)
{
	return s.len > 0 ? strndup((const char *)s.p, s.len) : NULL;
}

static struct cl_in *
cl_in_new(struct cl_msrp *m, const struct msrp_frame *f, uint64_t now_ms)
{
	const struct msrp_header *d;
	int pos = -1;

	if (f->message_id.len >= CL_MSRP_ID_CAP)
		return NULL;
	for (uint32_t i = 0; i < CL_MSRP_REASM_MAX; i++) {
		struct cl_in *e = &m->in[i];

		if (e->in_use)
			continue;
		memset(e, 0, sizeof(*e));
		e->in_use = true;
		e->id_len = (uint8_t)f->message_id.len;
		memcpy(e->id, f->message_id.p, f->message_id.len);
		e->ctype = cl_strndup_span(f->content_type);
		d = msrp_frame_find_header(f, "Content-Disposition", &pos);
		e->disposition = d != NULL ? cl_strndup_span(d->value) : NULL;
		e->last_ms = now_ms;
		return e;
	}
	return NULL;
}

static void
cl_aborted(struct cl_msrp *m, struct cl_in *e, uint16_t status, const char *reason)
{
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_ABORTED,
	                        .message_id = e->id,
	                        .status = status,
	                        .reason = reason,
	                        .bytes = e->got};

	cl_emit(m, &ev);
	cl_in_drop(e);
}

/* A final report (docs/final-report.md) for one of our messages: event, mark it. */
static bool
cl_final_report(struct cl_msrp *m, const uint8_t *doc, uint32_t len, uint16_t status)
{
	struct fdr_report r = {0};
	struct cl_outmsg *o;
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_REPORT, .report = CL_REPORT_FINAL};
	char id[CL_MSRP_ID_CAP];

	r.rcpt = m->rcpt;
	if (fdr_parse(doc, len, &r, CL_MSRP_RCPT_MAX) != FDR_OK)
		return false;
	snprintf(id, sizeof(id), "%.*s", (int)r.message_id.len, (const char *)r.message_id.p);
	o = cl_out_by_id(m, r.message_id.p, r.message_id.len);
	if (o != NULL)
		o->report_seen = true;
	ev.message_id = id;
	ev.status = status;
	ev.final = &r;
	ev.bytes = o != NULL ? o->len : 0;
	cl_emit(m, &ev);
	return true;
}

/* A complete message: success REPORT if asked, then the event. */
static void
cl_in_complete(struct cl_msrp *m, struct cl_in *e, const struct msrp_frame *last)
{
	struct cl_msg_view v;
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_MESSAGE, .message_id = e->id, .status = 200};

	if (e->success_report)
		cl_success_report(m, last, e->final_end);
	cl_msg_view_build(cl_span(e->ctype), cl_span(e->disposition), e->buf,
	                  (uint32_t)e->final_end, &v);
	/* A final report sent as a SEND (docs/switch.md: when ours had no Success-Report). */
	if (fdr_mime_type_match(v.content_type.p, v.content_type.len) &&
	    cl_final_report(m, v.content.p, v.content.len, 200)) {
		cl_in_drop(e);
		return;
	}
	ev.msg = &v;
	ev.bytes = v.content.len;
	cl_emit(m, &ev);
	cl_in_drop(e);
}

static void
cl_on_send_chunk(struct cl_msrp *m, const struct msrp_frame *f, uint64_t now_ms)
{
	bool has_range = f->hdr_index[MSRP_HDR_BYTE_RANGE] >= 0;
	uint64_t start = has_range ? f->byte_range.start : 1, end, off;
	struct cl_in *e = cl_in_find(m, f->message_id);

	if (!f->has_body) {
		/* Bodiless: binding or keep-alive, or the '#' that ends an aborted message. */
		cl_respond(m, f, 200);
		if (e != NULL && f->flag == MSRP_FLAG_ABORT)
			cl_aborted(m, e, 0, "aborted by the sender");
		return;
	}
	if (e == NULL) {
		e = cl_in_new(m, f, now_ms);
		if (e == NULL) {
			/* More messages in progress than we reassemble at once. */
			cl_respond(m, f, 413);
			return;
		}
		e->success_report = f->success_report == MSRP_REPORT_YES;
	}
	/* Compared without overflow: range-start may be any 20-digit number. */
	if (start - 1 > m->max_size || f->body_len > m->max_size - (start - 1) ||
	    (f->byte_range.total_known && f->byte_range.total > m->max_size)) {
		/* RFC 4975 §7.1.1 / §10.5: 413, the sender stops sending this message. */
		cl_respond(m, f, 413);
		cl_aborted(m, e, 413, "larger than our max-size");
		return;
	}
	end = start - 1 + f->body_len;
	if (end > e->cap) {
		uint64_t cap = f->byte_range.total_known && f->byte_range.total >= end
		                       ? f->byte_range.total
		                       : (end > 2 * e->cap ? end : 2 * e->cap);
		uint8_t *b = realloc(e->buf, cap);

		if (b == NULL) {
			cl_respond(m, f, 413);
			cl_aborted(m, e, 413, "out of memory");
			return;
		}
		e->buf = b;
		e->cap = cap;
	}
	off = start - 1;
	for (uint32_t i = 0; i < f->n_body_segs; i++) {
		memcpy(e->buf + off, f->body_segs[i].p, f->body_segs[i].len);
		off += f->body_segs[i].len;
	}
	e->got += f->body_len;
	e->last_ms = now_ms;
	cl_respond(m, f, 200);
	if (f->flag == MSRP_FLAG_ABORT) {
		/* RFC 4975 §7.3.1: the partial message is discarded. */
		cl_aborted(m, e, 0, "aborted by the sender");
		return;
	}
	if (f->flag == MSRP_FLAG_END) {
		e->final_end = end;
		e->ended = true;
	}
	if (e->ended && e->got >= e->final_end)
		cl_in_complete(m, e, f);
}

static void
cl_on_send(struct cl_msrp *m, const struct msrp_frame *f, uint64_t now_ms)
{
	bool binding = !m->bound;

	if (binding) {
		/* Passive side: the peer's first SEND binds the session (RFC 4975 §5.4). */
		struct cl_msrp_ev ev = {.type = CL_MSRP_EV_BOUND, .status = 200};

		m->bound = true;
		m->pump_held = true; /* what the owner queues now goes after our response */
		cl_emit(m, &ev);
		m->pump_held = false;
	}
	cl_on_send_chunk(m, f, now_ms);
	if (binding)
		cl_msrp_pump(m, now_ms);
}

static void
cl_on_report(struct cl_msrp *m, const struct msrp_frame *f)
{
	struct cl_outmsg *o = cl_out_by_id(m, f->message_id.p, f->message_id.len);
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_REPORT, .status = f->status.code};
	char id[CL_MSRP_ID_CAP], body[FDR_DOC_MAX];

	/* RFC 4975 §7.1.2: a REPORT is never answered. */
	if (f->has_body && f->body_len > 0 && f->body_len <= sizeof(body) &&
	    fdr_mime_type_match(f->content_type.p, f->content_type.len)) {
		uint64_t n = msrp_frame_body_copy(f, (uint8_t *)body, sizeof(body));

		if (cl_final_report(m, (const uint8_t *)body, (uint32_t)n, f->status.code))
			return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)f->message_id.len, (const char *)f->message_id.p);
	ev.message_id = id;
	ev.report = f->status.code == 200 ? CL_REPORT_SUCCESS : CL_REPORT_FAILURE;
	ev.bytes = o != NULL ? o->len : 0;
	ev.reason = NULL;
	cl_emit(m, &ev);
}

/* RFC 4975 §7.3: a request must be addressed to us (first To-Path URI = our URI). */
static bool
cl_to_us(const struct cl_msrp *m, const struct msrp_frame *f)
{
	struct msrp_span rest = f->to_path, uri;
	struct msrp_uri u;

	if (!msrp_path_next(&rest, &uri) || msrp_uri_parse(uri.p, uri.len, &u) != 0)
		return false;
	return msrp_uri_equal(&u, &m->local);
}

static void
cl_on_frame(struct cl_msrp *m, const struct msrp_frame *f, uint64_t now_ms)
{
	if (f->kind == MSRP_KIND_RESPONSE) {
		cl_on_response(m, f);
		return;
	}
	if (f->method == MSRP_METHOD_REPORT) {
		if (cl_to_us(m, f))
			cl_on_report(m, f);
		return;
	}
	if (!cl_to_us(m, f)) {
		cl_respond(m, f, 481);
		return;
	}
	if (f->method == MSRP_METHOD_SEND)
		cl_on_send(m, f, now_ms);
	else
		cl_respond(m, f, 501); /* RFC 4975 §12: unknown method (AUTH is for relays) */
}

uint8_t *
cl_msrp_rx_space(struct cl_msrp *m, size_t *cap)
{
	*cap = CL_RX_CAP - m->rx_len;
	return m->rx + m->rx_len;
}

int
cl_msrp_rx_commit(struct cl_msrp *m, size_t n, uint64_t now_ms)
{
	char reason[96];

	if (m->dead)
		return -EPROTO;
	m->rx_len += n;
	while (m->rx_fed < m->rx_len) {
		struct msrp_frame f;
		size_t used = 0;
		enum msrp_rc rc = msrp_parser_feed(&m->parser, m->rx + m->rx_fed,
		                                   m->rx_len - m->rx_fed, &used, &f);

		m->rx_fed += used;
		if (rc == MSRP_AGAIN)
			break;
		if (rc != MSRP_OK) {
			/* RFC 4975 §7.3 gives no way to resynchronise a byte stream: close. */
			snprintf(reason, sizeof(reason), "MSRP framing error (%s) at byte %llu",
			         msrp_rc_name(rc),
			         (unsigned long long)msrp_parser_error_pos(&m->parser));
			cl_fatal(m, 400, reason);
			return -EPROTO;
		}
		cl_on_frame(m, &f, now_ms);
		if (m->dead)
			return -EPROTO;
		/* At a frame boundary the parser holds nothing in rx: unfed bytes may move. */
		if (m->rx_fed > CL_RX_CAP - CL_FRAME_MAX - 1024u) {
			memmove(m->rx, m->rx + m->rx_fed, m->rx_len - m->rx_fed);
			m->rx_len -= m->rx_fed;
			m->rx_fed = 0;
		}
	}
	if (msrp_parser_idle(&m->parser) && m->rx_fed == m->rx_len)
		m->rx_fed = m->rx_len = 0;
	else if (m->rx_len == CL_RX_CAP) {
		cl_fatal(m, 400, "MSRP frame larger than the receive buffer");
		return -EPROTO;
	}
	return 0;
}

int
cl_msrp_rx(struct cl_msrp *m, const uint8_t *p, size_t len, uint64_t now_ms)
{
	while (len > 0) {
		size_t cap, n;
		uint8_t *dst = cl_msrp_rx_space(m, &cap);
		int rc;

		n = len < cap ? len : cap;
		if (n == 0)
			return -ENOBUFS;
		memcpy(dst, p, n);
		rc = cl_msrp_rx_commit(m, n, now_ms);
		if (rc != 0)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

void
cl_msrp_tick(struct cl_msrp *m, uint64_t now_ms)
{
	for (uint32_t i = 0; i < CL_MSRP_WINDOW + 1; i++) {
		struct cl_txn *t = &m->txn[i];

		if (!t->in_use || t->deadline_ms > now_ms)
			continue;
		t->in_use = false;
		/* RFC 4975 §7.1.1 (MFR-15): no response in time counts as 408. */
		if (t->msg == CL_NONE) {
			cl_fatal(m, 408, "no response to the binding SEND");
			return;
		}
		if (m->out[t->msg].inflight > 0)
			m->out[t->msg].inflight--;
		cl_out_fail(m, &m->out[t->msg], 408, "408 no response in time");
	}
	/* An incoming message whose next chunk never came (sender gone): drop it. */
	for (uint32_t i = 0; i < CL_MSRP_REASM_MAX; i++) {
		struct cl_in *e = &m->in[i];

		if (e->in_use && now_ms - e->last_ms > 2ull * m->txn_timeout_ms)
			cl_aborted(m, e, 408, "incomplete: no chunk for too long");
	}
	cl_msrp_pump(m, now_ms);
}
