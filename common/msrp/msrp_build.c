/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP frame builders (RFC 4975 §7, §9). See msrp_build.h for the zero-copy layout.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "msrp/msrp.h"
#include "msrp/msrp_build.h"
#include "wbuf/wbuf.h"

static void
msrp_put_span(struct wbuf *o, struct msrp_span s)
{
	wbuf_put(o, s.p, s.len);
}

static void
msrp_put_hdr(struct wbuf *o, const char *name, struct msrp_span v)
{
	wbuf_put_str(o, name);
	wbuf_put_str(o, ": ");
	msrp_put_span(o, v);
	wbuf_put_str(o, "\r\n");
}

static bool
msrp_tid_ok(struct msrp_span s)
{
	return s.len > 0 && msrp_ident_valid(s.p, s.len);
}

/* Header value text: no CR, LF or other controls (they would break the framing). */
static bool
msrp_text_ok(struct msrp_span s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if (s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
	return true;
}

/*
 * Per-byte tests on 8 bytes at once (SWAR): each returns 0x80 in every byte that matches and
 * 0 elsewhere, exactly (the additions never carry from one byte into the next).
 */
#define MSRP_SWAR_LOW7   0x7f7f7f7f7f7f7f7full
#define MSRP_SWAR_HIGH   0x8080808080808080ull
#define MSRP_SWAR_REP(b) (0x0101010101010101ull * (uint8_t)(b))

static inline uint64_t
msrp_swar_eq0(uint64_t x)
{
	return ~(((x & MSRP_SWAR_LOW7) + MSRP_SWAR_LOW7) | x | MSRP_SWAR_LOW7);
}

/* Bytes < 0x20: high bit clear and (b & 0x7f) + 0x60 below 0x80. */
static inline uint64_t
msrp_swar_ctl(uint64_t x)
{
	return ~(((x & MSRP_SWAR_LOW7) + MSRP_SWAR_REP(0x60)) | x) & MSRP_SWAR_HIGH;
}

static inline uint64_t
msrp_load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * To-Path/From-Path value: non-empty, SP-separated, no leading/trailing/double SP, no
 * control characters (RFC 4975 §9 To-Path = "To-Path:" SP MSRP-URI *(SP MSRP-URI)). It runs
 * for every forwarded chunk, so 8 bytes per step: controls and DEL by SWAR masks, a double SP
 * as two adjacent space bytes (inside the word, or the last byte of the previous word and the
 * first of this one).
 */
static bool
msrp_path_ok(struct msrp_span s)
{
	uint64_t prev_sp = MSRP_SWAR_HIGH; /* "byte before the value is SP": refuses a leading SP */
	uint32_t i = 0;
	uint8_t prev;

	if (s.len == 0 || s.p[s.len - 1] == ' ')
		return false;
	for (; i + 8 <= s.len; i += 8) {
		uint64_t x = msrp_load_le64(s.p + i);
		uint64_t sp = msrp_swar_eq0(x ^ MSRP_SWAR_REP(' '));

		if ((msrp_swar_ctl(x) | msrp_swar_eq0(x ^ MSRP_SWAR_REP(0x7f)) | (sp & (sp >> 8)) |
		     (prev_sp & sp & 0x80)) != 0)
			return false;
		prev_sp = sp >> 56;
	}
	prev = (i == 0 || prev_sp != 0) ? ' ' : 'x';
	for (; i < s.len; i++) {
		uint8_t c = s.p[i];

		if (c < 0x20 || c == 0x7f || (c == ' ' && prev == ' '))
			return false;
		prev = c;
	}
	return true;
}

static bool
msrp_single_uri_ok(struct msrp_span s)
{
	return msrp_path_ok(s) && memchr(s.p, ' ', s.len) == NULL;
}

/*
 * Header names we emit: ALPHA *(ALPHANUM / "-" / "_"). That is the narrow reading of the
 * RFC 4975 §9 hname; a builder never emits a name a strict peer could refuse.
 */
static bool
msrp_hname_ok(struct msrp_span s)
{
	if (s.len == 0 || !((s.p[0] | 0x20) >= 'a' && (s.p[0] | 0x20) <= 'z'))
		return false;
	for (uint32_t i = 1; i < s.len; i++) {
		uint8_t c = s.p[i];

		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '-' && c != '_')
			return false;
	}
	return true;
}

static bool
msrp_flag_ok(enum msrp_flag f)
{
	return f == MSRP_FLAG_MORE || f == MSRP_FLAG_END || f == MSRP_FLAG_ABORT;
}

/*
 * RFC 4975 §7.1.1 / MCH-01..04: start >= 1; in a SEND (tied) a numeric end is the last byte
 * of this chunk (start + len - 1, so 1-0/0 for an empty chunk); in a REPORT the range
 * describes the reported message, so only end >= start - 1 holds. No position exceeds a
 * numeric total.
 */
static bool
msrp_range_ok(const struct msrp_byte_range *br, uint64_t body_len, bool tied)
{
	if (br->start == 0)
		return false;
	if (!tied)
		body_len = 0;
	if (br->end_known && (tied ? br->end != br->start + body_len - 1 : br->end + 1 < br->start))
		return false;
	if (br->total_known && br->end_known && br->end > br->total)
		return false;
	if (br->total_known && !br->end_known && body_len > 0 &&
	    br->start + body_len - 1 > br->total)
		return false;
	return true;
}

static void
msrp_put_range(struct wbuf *o, const struct msrp_byte_range *br)
{
	wbuf_put_str(o, "Byte-Range: ");
	wbuf_put_u64(o, br->start);
	wbuf_put_str(o, "-");
	if (br->end_known)
		wbuf_put_u64(o, br->end);
	else
		wbuf_put_str(o, "*");
	wbuf_put_str(o, "/");
	if (br->total_known)
		wbuf_put_u64(o, br->total);
	else
		wbuf_put_str(o, "*");
	wbuf_put_str(o, "\r\n");
}

static const char *
msrp_report_value(enum msrp_report r)
{
	switch (r) {
	case MSRP_REPORT_YES:
		return "yes";
	case MSRP_REPORT_NO:
		return "no";
	case MSRP_REPORT_PARTIAL:
		return "partial";
	default:
		return NULL;
	}
}

/* "000 200 OK": namespace, code, optional comment (RFC 4975 §9 Status). */
static void
msrp_put_status(struct wbuf *o, const struct msrp_status *st)
{
	char num[8] = {(char)('0' + st->ns / 100),   (char)('0' + st->ns / 10 % 10),
	               (char)('0' + st->ns % 10),    ' ',
	               (char)('0' + st->code / 100), (char)('0' + st->code / 10 % 10),
	               (char)('0' + st->code % 10),  0};

	wbuf_put_str(o, "Status: ");
	wbuf_put_str(o, num);
	if (st->reason.len > 0) {
		wbuf_put_str(o, " ");
		msrp_put_span(o, st->reason);
	}
	wbuf_put_str(o, "\r\n");
}

static bool
msrp_upalpha_ok(struct msrp_span s)
{
	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++)
		if (s.p[i] < 'A' || s.p[i] > 'Z')
			return false;
	return true;
}

static bool
msrp_req_ok(const struct msrp_build_req *r)
{
	bool is_send = r->method.len == 4 && memcmp(r->method.p, "SEND", 4) == 0;
	bool is_report = r->method.len == 6 && memcmp(r->method.p, "REPORT", 6) == 0;

	if (!msrp_upalpha_ok(r->method) || !msrp_tid_ok(r->tid) || !msrp_path_ok(r->to_path) ||
	    !msrp_path_ok(r->from_path) || !msrp_flag_ok(r->flag))
		return false;
	/* RFC 4975 §7.1.1: SEND carries a Message-ID; it is an ident wherever it appears. */
	if (r->message_id.len > 0 ? !msrp_tid_ok(r->message_id) : is_send)
		return false;
	if (r->success_report == MSRP_REPORT_PARTIAL) /* Success-Report is yes / no only */
		return false;
	/* RFC 4975 §7.1.2: a REPORT carries the reported Message-ID and a Status. */
	if (is_report && (r->message_id.len == 0 || !r->has_status))
		return false;
	if (r->has_byte_range && !msrp_range_ok(&r->byte_range, r->body_len, is_send))
		return false;
	if (r->has_status && (r->status.ns > 999 || r->status.code < 100 || r->status.code > 999 ||
	                      !msrp_text_ok(r->status.reason)))
		return false;
	/* MFR-05/06: data needs a Content-Type; no data means no content-stuff at all. */
	if (r->has_body && (r->content_type.len == 0 || !msrp_text_ok(r->content_type)))
		return false;
	if (!r->has_body && (r->body_len != 0 || r->n_mime != 0))
		return false;
	for (unsigned int i = 0; i < r->n_ext; i++)
		if (!msrp_hname_ok(r->ext[i].name) || !msrp_text_ok(r->ext[i].value))
			return false;
	for (unsigned int i = 0; i < r->n_mime; i++)
		if (!msrp_hname_ok(r->mime[i].name) || !msrp_text_ok(r->mime[i].value))
			return false;
	return true;
}

ssize_t
msrp_build_req_head(const struct msrp_build_req *r, uint8_t *out, size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};
	const char *v;

	if (!msrp_req_ok(r))
		return -EINVAL;
	/* req-start = pMSRP SP transact-id SP method CRLF */
	wbuf_put_str(&o, "MSRP ");
	msrp_put_span(&o, r->tid);
	wbuf_put_str(&o, " ");
	msrp_put_span(&o, r->method);
	wbuf_put_str(&o, "\r\n");
	/* RFC 4975 §9: To-Path first, From-Path second. */
	msrp_put_hdr(&o, "To-Path", r->to_path);
	msrp_put_hdr(&o, "From-Path", r->from_path);
	if (r->message_id.len > 0)
		msrp_put_hdr(&o, "Message-ID", r->message_id);
	v = msrp_report_value(r->success_report);
	if (v != NULL) {
		wbuf_put_str(&o, "Success-Report: ");
		wbuf_put_str(&o, v);
		wbuf_put_str(&o, "\r\n");
	}
	v = msrp_report_value(r->failure_report);
	if (v != NULL) {
		wbuf_put_str(&o, "Failure-Report: ");
		wbuf_put_str(&o, v);
		wbuf_put_str(&o, "\r\n");
	}
	if (r->has_byte_range)
		msrp_put_range(&o, &r->byte_range);
	if (r->has_status)
		msrp_put_status(&o, &r->status);
	for (unsigned int i = 0; i < r->n_ext; i++) {
		msrp_put_span(&o, r->ext[i].name);
		wbuf_put_str(&o, ": ");
		msrp_put_span(&o, r->ext[i].value);
		wbuf_put_str(&o, "\r\n");
	}
	if (r->has_body) {
		/* content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF */
		for (unsigned int i = 0; i < r->n_mime; i++) {
			msrp_put_span(&o, r->mime[i].name);
			wbuf_put_str(&o, ": ");
			msrp_put_span(&o, r->mime[i].value);
			wbuf_put_str(&o, "\r\n");
		}
		msrp_put_hdr(&o, "Content-Type", r->content_type);
		wbuf_put_str(&o, "\r\n");
	}
	return wbuf_result(&o);
}

ssize_t
msrp_build_end(struct msrp_span tid, bool has_body, enum msrp_flag flag, uint8_t *out, size_t cap)
{
	if (!msrp_tid_ok(tid) || !msrp_flag_ok(flag))
		return -EINVAL;
	if (cap < (has_body ? 2u : 0u) + 7u + tid.len + 3u)
		return -ENOSPC;
	return (ssize_t)msrp_build_end_trusted(tid, has_body, flag, out);
}

ssize_t
msrp_build_send(const struct msrp_build_req *r, const uint8_t *body, uint8_t *out, size_t cap)
{
	ssize_t h = msrp_build_req_head(r, out, cap), e;

	if (h < 0)
		return h;
	if (r->body_len > 0 && body == NULL)
		return -EINVAL;
	if (r->body_len > cap - (size_t)h)
		return -ENOSPC;
	if (r->body_len > 0)
		memcpy(out + h, body, (size_t)r->body_len);
	h += (ssize_t)r->body_len;
	e = msrp_build_end(r->tid, r->has_body, r->flag, out + h, cap - (size_t)h);
	return e < 0 ? e : h + e;
}

const char *
msrp_status_comment(uint16_t code)
{
	/* RFC 4975 §10 (and RFC 4976 §5.2 for 401/423). */
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 408:
		return "Request Timeout";
	case 413:
		return "Message Too Large";
	case 415:
		return "Unsupported Media Type";
	case 423:
		return "Interval Out-of-Bounds";
	case 481:
		return "Session Does Not Exist";
	case 501:
		return "Unknown Method";
	case 506:
		return "Session Already Bound";
	default:
		return "";
	}
}

ssize_t
msrp_build_response(struct msrp_span tid, uint16_t code, struct msrp_span comment,
                    struct msrp_span to_uri, struct msrp_span from_uri, uint8_t *out, size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};
	char num[4] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
	               (char)('0' + code % 10), 0};
	ssize_t e;

	if (!msrp_tid_ok(tid) || code < 100 || code > 999 || !msrp_text_ok(comment) ||
	    !msrp_single_uri_ok(to_uri) || !msrp_single_uri_ok(from_uri))
		return -EINVAL;
	/* resp-start = pMSRP SP transact-id SP status-code [SP comment] CRLF */
	wbuf_put_str(&o, "MSRP ");
	msrp_put_span(&o, tid);
	wbuf_put_str(&o, " ");
	wbuf_put_str(&o, num);
	if (comment.len > 0) {
		wbuf_put_str(&o, " ");
		msrp_put_span(&o, comment);
	}
	wbuf_put_str(&o, "\r\n");
	msrp_put_hdr(&o, "To-Path", to_uri);
	msrp_put_hdr(&o, "From-Path", from_uri);
	if (o.full)
		return -ENOSPC;
	/* Responses carry no body and always end with '$' (RFC 4975 §7.2). */
	e = msrp_build_end(tid, false, MSRP_FLAG_END, out + o.len, cap - o.len);
	return e < 0 ? e : (ssize_t)o.len + e;
}

static struct msrp_span
msrp_first_uri(struct msrp_span path)
{
	struct msrp_span rest = path, uri = {NULL, 0};

	if (!msrp_path_next(&rest, &uri))
		return (struct msrp_span){NULL, 0};
	return uri;
}

ssize_t
msrp_build_response_to(const struct msrp_frame *req, uint16_t code, const char *comment,
                       struct msrp_span local_uri, uint8_t *out, size_t cap)
{
	struct msrp_span c;

	if (req->kind != MSRP_KIND_REQUEST)
		return -EINVAL;
	if (comment == NULL)
		comment = msrp_status_comment(code);
	c = (struct msrp_span){(const uint8_t *)comment, (uint32_t)strlen(comment)};
	/* RFC 4975 §7.2: To-Path is the previous hop only, i.e. the request's first From-Path
	 * URI; From-Path is the responder's URI. */
	if (local_uri.len == 0)
		local_uri = msrp_first_uri(req->to_path);
	return msrp_build_response(req->tid, code, c, msrp_first_uri(req->from_path), local_uri,
	                           out, cap);
}

ssize_t
msrp_build_report_for(const struct msrp_frame *send, struct msrp_span tid,
                      struct msrp_span local_uri, uint16_t code, const char *comment,
                      const struct msrp_byte_range *range, uint8_t *out, size_t cap)
{
	struct msrp_build_req r = {
	        .method = {(const uint8_t *)"REPORT", 6},
	        .tid = tid,
	        .to_path = send->from_path,
	        .from_path = local_uri,
	        .message_id = send->message_id,
	        .has_byte_range = true,
	        .has_status = true,
	        .flag = MSRP_FLAG_END,
	};

	if (send->kind != MSRP_KIND_REQUEST || send->method != MSRP_METHOD_SEND ||
	    send->message_id.len == 0)
		return -EINVAL;
	if (comment == NULL)
		comment = msrp_status_comment(code);
	r.status = (struct msrp_status){
	        .ns = 0,
	        .code = code,
	        .reason = {(const uint8_t *)comment, (uint32_t)strlen(comment)}};
	if (range != NULL) {
		r.byte_range = *range;
	} else {
		/* RFC 4975 §7.1.2: a success report covers bytes 1..N of the message. */
		const struct msrp_byte_range *br = &send->byte_range;
		uint64_t n;

		if (send->hdr_index[MSRP_HDR_BYTE_RANGE] < 0)
			n = send->body_len; /* MCH-06: absent means the chunk starts at 1 */
		else if (br->total_known)
			n = br->total;
		else if (br->end_known)
			n = br->end;
		else
			n = br->start + send->body_len - 1;
		r.byte_range = (struct msrp_byte_range){
		        .start = 1, .end = n, .total = n, .end_known = true, .total_known = true};
	}
	return msrp_build_send(&r, NULL, out, cap);
}

static bool
msrp_report_override(const struct msrp_header *h, const struct msrp_reheader *rh, const char **val)
{
	if (h->id == MSRP_HDR_SUCCESS_REPORT && rh->success_report != MSRP_REPORT_ABSENT) {
		*val = msrp_report_value(rh->success_report);
		return true;
	}
	if (h->id == MSRP_HDR_FAILURE_REPORT && rh->failure_report != MSRP_REPORT_ABSENT) {
		*val = msrp_report_value(rh->failure_report);
		return true;
	}
	return false;
}

ssize_t
msrp_build_reheader(const struct msrp_frame *in, const struct msrp_reheader *rh, uint8_t *out,
                    size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};
	const char *v;

	if (in->kind != MSRP_KIND_REQUEST || !msrp_tid_ok(rh->tid) || !msrp_path_ok(rh->to_path) ||
	    !msrp_path_ok(rh->from_path) || rh->success_report == MSRP_REPORT_PARTIAL ||
	    (rh->byte_range != NULL &&
	     !msrp_range_ok(rh->byte_range, rh->body_len, in->method == MSRP_METHOD_SEND)))
		return -EINVAL;
	wbuf_put_str(&o, "MSRP ");
	msrp_put_span(&o, rh->tid);
	wbuf_put_str(&o, " ");
	msrp_put_span(&o, in->method_name);
	wbuf_put_str(&o, "\r\n");
	msrp_put_hdr(&o, "To-Path", rh->to_path);
	msrp_put_hdr(&o, "From-Path", rh->from_path);
	/* FDR-04: forced report headers (and a Byte-Range) the sender did not send go right
	 * after the paths, so Content-Type stays last. */
	if (rh->success_report != MSRP_REPORT_ABSENT &&
	    in->hdr_index[MSRP_HDR_SUCCESS_REPORT] < 0) {
		wbuf_put_str(&o, "Success-Report: ");
		wbuf_put_str(&o, msrp_report_value(rh->success_report));
		wbuf_put_str(&o, "\r\n");
	}
	if (rh->failure_report != MSRP_REPORT_ABSENT &&
	    in->hdr_index[MSRP_HDR_FAILURE_REPORT] < 0) {
		wbuf_put_str(&o, "Failure-Report: ");
		wbuf_put_str(&o, msrp_report_value(rh->failure_report));
		wbuf_put_str(&o, "\r\n");
	}
	if (rh->byte_range != NULL && in->hdr_index[MSRP_HDR_BYTE_RANGE] < 0)
		msrp_put_range(&o, rh->byte_range);
	for (uint16_t i = 0; i < in->n_hdrs; i++) {
		const struct msrp_header *h = &in->hdrs[i];

		if (h->id == MSRP_HDR_TO_PATH || h->id == MSRP_HDR_FROM_PATH)
			continue;
		if (h->id == MSRP_HDR_BYTE_RANGE && rh->byte_range != NULL) {
			msrp_put_range(&o, rh->byte_range);
			continue;
		}
		msrp_put_span(&o, h->name);
		wbuf_put_str(&o, ": ");
		if (msrp_report_override(h, rh, &v))
			wbuf_put_str(&o, v);
		else
			msrp_put_span(&o, h->value);
		wbuf_put_str(&o, "\r\n");
	}
	if (in->has_body)
		wbuf_put_str(&o, "\r\n");
	return wbuf_result(&o);
}
