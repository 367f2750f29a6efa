/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON lines for parsed MSRP frames (format in docs/msrp.md). */
#include <errno.h>
#include <inttypes.h>

#include "msrp/msrp.h"
#include "msrp/msrp_json.h"

static void
json_bytes_body(FILE *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];

		if (b == '"' || b == '\\') {
			fputc('\\', out);
			fputc(b, out);
		} else if (b < 0x20 || b == 0x7f) {
			fprintf(out, "\\u%04x", b);
		} else if (b < 0x80) {
			fputc(b, out);
		} else {
			/* Latin-1 code point U+0080..U+00FF, UTF-8 encoded. */
			fputc(0xc0 | (b >> 6), out);
			fputc(0x80 | (b & 0x3f), out);
		}
	}
}

void
msrp_json_write_bytes(FILE *out, const uint8_t *p, size_t len)
{
	fputc('"', out);
	json_bytes_body(out, p, len);
	fputc('"', out);
}

static void
json_span(FILE *out, struct msrp_span s)
{
	msrp_json_write_bytes(out, s.p, s.len);
}

static void
json_span_or_null(FILE *out, bool present, struct msrp_span s)
{
	if (present)
		json_span(out, s);
	else
		fputs("null", out);
}

static void
json_path(FILE *out, struct msrp_span path)
{
	struct msrp_span uri;
	bool first = true;

	fputc('[', out);
	while (msrp_path_next(&path, &uri)) {
		if (!first)
			fputc(',', out);
		json_span(out, uri);
		first = false;
	}
	fputc(']', out);
}

static void
json_headers(FILE *out, const struct msrp_frame *f)
{
	fputc('[', out);
	for (uint16_t i = 0; i < f->n_hdrs; i++) {
		if (i)
			fputc(',', out);
		fputc('[', out);
		json_span(out, f->hdrs[i].name);
		fputc(',', out);
		json_span(out, f->hdrs[i].value);
		fputc(']', out);
	}
	fputc(']', out);
}

static const char *
json_report(enum msrp_report r)
{
	switch (r) {
	case MSRP_REPORT_YES:
		return "\"yes\"";
	case MSRP_REPORT_NO:
		return "\"no\"";
	case MSRP_REPORT_PARTIAL:
		return "\"partial\"";
	default:
		return "null";
	}
}

int
msrp_json_write_frame(FILE *out, const struct msrp_frame *f)
{
	fputs("{\"kind\":", out);
	if (f->kind == MSRP_KIND_RESPONSE) {
		fputs("\"response\",\"tid\":", out);
		json_span(out, f->tid);
		fprintf(out, ",\"status_code\":%u,\"comment\":", f->status_code);
		json_span_or_null(out, f->comment.p != NULL, f->comment);
	} else {
		fputs("\"request\",\"tid\":", out);
		json_span(out, f->tid);
		fputs(",\"method\":", out);
		json_span(out, f->method_name);
	}
	fputs(",\"to_path\":", out);
	json_path(out, f->to_path);
	fputs(",\"from_path\":", out);
	json_path(out, f->from_path);
	if (f->kind == MSRP_KIND_REQUEST) {
		fputs(",\"message_id\":", out);
		json_span_or_null(out, f->hdr_index[MSRP_HDR_MESSAGE_ID] >= 0, f->message_id);
		fputs(",\"byte_range\":", out);
		if (f->hdr_index[MSRP_HDR_BYTE_RANGE] >= 0) {
			const struct msrp_byte_range *br = &f->byte_range;

			fprintf(out, "[%" PRIu64 ",", br->start);
			if (br->end_known)
				fprintf(out, "%" PRIu64 ",", br->end);
			else
				fputs("null,", out);
			if (br->total_known)
				fprintf(out, "%" PRIu64 "]", br->total);
			else
				fputs("null]", out);
		} else {
			fputs("null", out);
		}
	}
	fprintf(out, ",\"flag\":\"%c\"", (char)f->flag);
	if (f->kind == MSRP_KIND_REQUEST) {
		fputs(",\"content_type\":", out);
		json_span_or_null(out, f->hdr_index[MSRP_HDR_CONTENT_TYPE] >= 0, f->content_type);
		fprintf(out, ",\"success_report\":%s", json_report(f->success_report));
		fprintf(out, ",\"failure_report\":%s", json_report(f->failure_report));
		fputs(",\"status\":", out);
		if (f->hdr_index[MSRP_HDR_STATUS] >= 0) {
			fprintf(out, "[\"%03u\",%u,", f->status.ns, f->status.code);
			json_span_or_null(out, f->status.reason.p != NULL, f->status.reason);
			fputc(']', out);
		} else {
			fputs("null", out);
		}
	}
	fputs(",\"headers\":", out);
	json_headers(out, f);
	if (f->kind == MSRP_KIND_REQUEST) {
		fputs(",\"body\":\"", out);
		for (uint32_t i = 0; i < f->n_body_segs; i++)
			json_bytes_body(out, f->body_segs[i].p, f->body_segs[i].len);
		fputc('"', out);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}

int
msrp_json_write_error(FILE *out, enum msrp_rc rc, uint64_t offset)
{
	fprintf(out, "{\"kind\":\"error\",\"error\":\"%s\",\"offset\":%" PRIu64 "}\n",
	        msrp_rc_name(rc), offset);
	return ferror(out) ? -EIO : 0;
}
