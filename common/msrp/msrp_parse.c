/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental zero-copy MSRP parser (RFC 4975 §9 ABNF, RFC 4976 §5/§8 headers).
 *
 *   msrp-req-or-resp = msrp-request / msrp-response
 *   msrp-request  = req-start headers [content-stuff] end-line
 *   msrp-response = resp-start headers end-line
 *   req-start     = pMSRP SP transact-id SP method CRLF
 *   resp-start    = pMSRP SP transact-id SP status-code [SP comment] CRLF
 *   headers       = To-Path CRLF From-Path CRLF 1*( header CRLF )
 *   content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
 *   end-line      = "-------" transact-id continuation-flag CRLF
 *
 * Two phases per frame:
 *  1. header phase: lines are found with memchr('\n') and processed as soon as each is
 *     complete (so a bad start line fails at once); a block that straddles buffers is copied
 *     into the caller-provided header buffer (the only copy the parser ever makes);
 *  2. body phase: a memchr('\r') scan plus a small KMP-style matcher for the frame's own
 *     "\r\n-------TID" followed by + $ # and CRLF, with the match state carried over between
 *     feeds. Body bytes are never copied: the frame gets the list of spans they occupy.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "msrp/msrp.h"
#include "msrp/msrp_pvt.h"

enum msrp_parse_state {
	MSRP_PS_HEADERS = 0,
	MSRP_PS_BODY,
};

/* Internal outcome of one header line. */
enum msrp_line_rc {
	MSRP_LINE_MORE = -1,   /* line accepted, the header block goes on */
	MSRP_LINE_BODY = -2,   /* blank line: content-stuff data follows */
	MSRP_LINE_NOBODY = -3, /* end-line right after the headers: frame complete */
};

static const char *const msrp_rc_names[] = {
#define MSRP_RC_NAME(sym, name, doc) name,
        MSRP_RC_LIST(MSRP_RC_NAME)
#undef MSRP_RC_NAME
};

static const struct {
	const char *name;
	const char *lower; /* for msrp_hname_eq() */
	uint32_t len;
} msrp_hdr_names[] = {
        [MSRP_HDR_TO_PATH] = {"To-Path", "to-path", 7},
        [MSRP_HDR_FROM_PATH] = {"From-Path", "from-path", 9},
        [MSRP_HDR_MESSAGE_ID] = {"Message-ID", "message-id", 10},
        [MSRP_HDR_SUCCESS_REPORT] = {"Success-Report", "success-report", 14},
        [MSRP_HDR_FAILURE_REPORT] = {"Failure-Report", "failure-report", 14},
        [MSRP_HDR_BYTE_RANGE] = {"Byte-Range", "byte-range", 10},
        [MSRP_HDR_STATUS] = {"Status", "status", 6},
        [MSRP_HDR_CONTENT_TYPE] = {"Content-Type", "content-type", 12},
        [MSRP_HDR_USE_PATH] = {"Use-Path", "use-path", 8},
        [MSRP_HDR_EXPIRES] = {"Expires", "expires", 7},
        [MSRP_HDR_MIN_EXPIRES] = {"Min-Expires", "min-expires", 11},
        [MSRP_HDR_MAX_EXPIRES] = {"Max-Expires", "max-expires", 11},
        [MSRP_HDR_WWW_AUTHENTICATE] = {"WWW-Authenticate", "www-authenticate", 16},
        [MSRP_HDR_AUTHORIZATION] = {"Authorization", "authorization", 13},
        [MSRP_HDR_AUTHENTICATION_INFO] = {"Authentication-Info", "authentication-info", 19},
};

_Static_assert(MSRP_HDR_TO_PATH == 0 && MSRP_HDR_FROM_PATH == 1,
               "msrp_parse_header() checks the header order with these values");

/* The table above must list every header of MSRP_HDR_LIST, with its wire name. */
#define MSRP_HDR_CHECK(sym, name) +1
_Static_assert(sizeof(msrp_hdr_names) / sizeof(msrp_hdr_names[0]) ==
                       0 MSRP_HDR_LIST(MSRP_HDR_CHECK),
               "msrp_hdr_names out of sync with MSRP_HDR_LIST");
#undef MSRP_HDR_CHECK

const char *
msrp_rc_name(enum msrp_rc rc)
{
	if ((unsigned int)rc >= MSRP_RC_COUNT)
		return "unknown";
	return msrp_rc_names[rc];
}

const char *
msrp_hdr_name(enum msrp_hdr_id id)
{
	if ((unsigned int)id >= MSRP_HDR_TYPED_COUNT)
		return NULL;
	return msrp_hdr_names[id].name;
}

void
msrp_limits_default(struct msrp_limits *lim)
{
	lim->max_header_bytes = MSRP_DEFAULT_MAX_HEADER_BYTES;
	lim->max_body_bytes = MSRP_DEFAULT_MAX_BODY_BYTES;
	lim->max_headers = MSRP_DEFAULT_MAX_HEADERS;
	lim->max_body_segs = MSRP_DEFAULT_MAX_BODY_SEGS;
}

static bool
msrp_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool
msrp_ident_ok(const uint8_t *s, size_t len)
{
	/* RFC 4975 §9: ident = ALPHANUM 3*31ident-char; ident-char = ALPHANUM . - + % = */
	if (len < 4 || len > 32 || !msrp_cc_is(s[0], MSRP_CC_ALPHA | MSRP_CC_DIGIT))
		return false;
	return msrp_cc_all(s + 1, len - 1, MSRP_CC_IDENT);
}

bool
msrp_ident_valid(const uint8_t *s, size_t len)
{
	return msrp_ident_ok(s, len);
}

/*
 * utf8text = *(HTAB / %x20-7E / UTF8-NONASCII) (RFC 4975 §9). Octets >= 0x80 are accepted
 * without checking UTF-8 sequence structure: the value is passed through, never decoded.
 */
static bool
msrp_utf8text_valid(const uint8_t *s, size_t len)
{
	return msrp_cc_all(s, len, MSRP_CC_TEXT);
}

static struct msrp_span
msrp_mkspan(const uint8_t *p, size_t len)
{
	struct msrp_span s = {p, (uint32_t)len};

	return s;
}

static bool
msrp_span_ieq(const uint8_t *p, size_t len, const char *lit, size_t lit_len)
{
	return len == lit_len && strncasecmp((const char *)p, lit, len) == 0;
}

int
msrp_parser_init(struct msrp_parser *p, const struct msrp_limits *lim, uint8_t *hdr_buf,
                 uint32_t hdr_cap)
{
	struct msrp_limits l;

	if (lim != NULL)
		l = *lim;
	else
		msrp_limits_default(&l);
	/* A header block holds at least a start line; a frame at least To-Path and From-Path. */
	if (l.max_header_bytes < 16 || l.max_headers < 2 || l.max_headers > MSRP_HEADERS_MAX ||
	    l.max_body_segs < 1 || l.max_body_segs > MSRP_BODY_SEGS_MAX || hdr_buf == NULL ||
	    hdr_cap < l.max_header_bytes)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->lim = l;
	p->hdr_buf = hdr_buf;
	p->hdr_cap = hdr_cap;
	p->state = MSRP_PS_HEADERS;
	p->error = MSRP_OK;
	return 0;
}

/* Start a new frame whose first byte is at stream offset off. */
static void
msrp_frame_begin(struct msrp_parser *p, const uint8_t *base, uint64_t off)
{
	memset(&p->frame, 0, sizeof(p->frame));
	memset(p->frame.hdr_index, 0xff, sizeof(p->frame.hdr_index)); /* all -1 */
	p->frame.offset = off;
	p->frame.hdrs = p->hdrs;
	p->frame.body_segs = p->body_segs;
	p->frame_off = off;
	p->blk_base = base;
	p->hdr_copied = false;
	p->hdr_len = 0;
	p->line_start = 0;
	p->n_lines = 0;
	p->hdr_seen = 0;
	p->match = 0;
	p->region_len = 0;
	p->body_max = p->lim.max_body_bytes;
}

/* ---- start line ---- */

static enum msrp_rc
msrp_parse_start_line(struct msrp_parser *p, const uint8_t *s, size_t len)
{
	struct msrp_frame *f = &p->frame;
	size_t i = 5, tid_start;

	if (len < 5 || memcmp(s, "MSRP ", 5) != 0)
		return MSRP_ERR_START_LINE;
	tid_start = i;
	/* One pass: ident-chars up to the SP (the common case), then the checks. */
	while (i < len && msrp_cc_is(s[i], MSRP_CC_IDENT))
		i++;
	if (i == len || s[i] != ' ') {
		/* No SP at all is a bad start line; a non-ident octet before it a bad tid. */
		if (i == len || memchr(s + i, ' ', len - i) == NULL)
			return MSRP_ERR_START_LINE;
		return MSRP_ERR_BAD_TID;
	}
	/* msrp_ident_valid() less the ident-char test the scan above made. */
	if (i - tid_start < 4 || i - tid_start > 32 ||
	    !msrp_cc_is(s[tid_start], MSRP_CC_ALPHA | MSRP_CC_DIGIT))
		return MSRP_ERR_BAD_TID;
	f->tid = msrp_mkspan(s + tid_start, i - tid_start);
	i++;
	if (i == len)
		return MSRP_ERR_START_LINE;

	if (msrp_is_digit(s[i])) {
		/* resp-start: status-code = 3DIGIT, then [SP comment] */
		if (len - i < 3 || !msrp_is_digit(s[i + 1]) || !msrp_is_digit(s[i + 2]))
			return MSRP_ERR_START_LINE;
		f->kind = MSRP_KIND_RESPONSE;
		f->method = MSRP_METHOD_NONE;
		f->status_code =
		        (uint16_t)((s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0'));
		i += 3;
		if (i == len)
			return MSRP_OK;
		if (s[i] != ' ' || !msrp_utf8text_valid(s + i + 1, len - i - 1))
			return MSRP_ERR_START_LINE;
		f->comment = msrp_mkspan(s + i + 1, len - i - 1);
		return MSRP_OK;
	}

	/* req-start: method = mSEND / mREPORT / other-method (1*UPALPHA) */
	f->kind = MSRP_KIND_REQUEST;
	if (len - i == 4 && memcmp(s + i, "SEND", 4) == 0) {
		f->method_name = msrp_mkspan(s + i, 4);
		f->method = MSRP_METHOD_SEND;
		return MSRP_OK;
	}
	for (size_t k = i; k < len; k++)
		if (s[k] < 'A' || s[k] > 'Z')
			return MSRP_ERR_START_LINE;
	f->method_name = msrp_mkspan(s + i, len - i);
	if (len - i == 4 && memcmp(s + i, "SEND", 4) == 0)
		f->method = MSRP_METHOD_SEND;
	else if (len - i == 6 && memcmp(s + i, "REPORT", 6) == 0)
		f->method = MSRP_METHOD_REPORT;
	else if (len - i == 4 && memcmp(s + i, "AUTH", 4) == 0)
		f->method = MSRP_METHOD_AUTH;
	else
		f->method = MSRP_METHOD_OTHER;
	return MSRP_OK;
}

/* ---- typed header values ---- */

/* 1*( MSRP-URI ) separated by single SP; every URI must parse (RFC 4975 §9). */
static bool
msrp_parse_path(const uint8_t *s, size_t len, uint16_t *count)
{
	struct msrp_span rest = msrp_mkspan(s, len), uri_text;
	struct msrp_uri uri;
	uint16_t n = 0;

	if (len == 0 || s[len - 1] == ' ')
		return false;
	while (msrp_path_next(&rest, &uri_text)) {
		if (msrp_uri_parse(uri_text.p, uri_text.len, &uri) != 0)
			return false;
		if (n < UINT16_MAX)
			n++;
	}
	*count = n;
	return true;
}

/* Validates a path that missed the cache and caches it (cold: once per distinct value). */
static __attribute__((noinline)) bool
msrp_parse_path_fill(struct msrp_parser *p, int slot, const uint8_t *s, size_t len, uint16_t *count)
{
	if (!msrp_parse_path(s, len, count))
		return false;
	if (len <= MSRP_PATH_CACHE_BYTES) {
		memcpy(p->path_cache[slot], s, len);
		p->path_cache_len[slot] = (uint16_t)len;
		p->path_cache_count[slot] = *count;
	}
	return true;
}

/* msrp_parse_path() with the parser's cache of the last valid value (slot 0 To, 1 From). */
static inline bool
msrp_parse_path_cached(struct msrp_parser *p, int slot, const uint8_t *s, size_t len,
                       uint16_t *count)
{
	if (p->path_cache_len[slot] == len && len > 0 && msrp_mem_eq(p->path_cache[slot], s, len)) {
		*count = p->path_cache_count[slot];
		return true;
	}
	return msrp_parse_path_fill(p, slot, s, len, count);
}

/* 1*DIGIT into a uint64; false on overflow or non-digit. */
static bool
msrp_parse_u64(const uint8_t *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	/* Up to 19 digits cannot overflow; only a 20th needs the checked multiply-add. */
	for (size_t i = 0; i < len && i < 19; i++) {
		if (!msrp_cc_is(s[i], MSRP_CC_DIGIT))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (len == 20) {
		if (!msrp_cc_is(s[19], MSRP_CC_DIGIT) || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[19] - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

static bool
msrp_parse_u32(const uint8_t *s, size_t len, uint32_t *out)
{
	uint64_t v;

	if (!msrp_parse_u64(s, len, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * Leading 1*20DIGIT of s[0..len) (stops at the first non-digit) into *out. Returns the
 * number of digits, 0 when there is none, SIZE_MAX on a 21st digit or a value past
 * UINT64_MAX: the same values msrp_parse_u64() accepts, in one pass.
 */
static inline size_t
msrp_scan_u64(const uint8_t *s, size_t len, uint64_t *out)
{
	const size_t n = len < 19 ? len : 19;
	uint64_t v = 0;
	size_t i;
	unsigned int d;

	/* Up to 19 digits cannot overflow: no check in the loop. */
	for (i = 0; i < n; i++) {
		d = (unsigned int)s[i] - '0';
		if (d > 9)
			break;
		v = v * 10 + d;
	}
	if (i == 19 && i < len && (d = (unsigned int)s[i] - '0') <= 9) {
		/* A 20th digit: checked; a 21st is too many. */
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)d, &v))
			return SIZE_MAX;
		if (++i < len && (unsigned int)s[i] - '0' <= 9)
			return SIZE_MAX;
	}
	*out = v;
	return i;
}

/*
 * Byte-Range = range-start "-" range-end "/" total; range-end and total may be "*"
 * (RFC 4975 §7.1.1, §9), each number 1*20DIGIT. One pass: the first "-" ends range-start
 * and the first "/" after it ends range-end, as digits cannot contain either. Semantic
 * checks: range-start >= 1, range-end >= range-start - 1 (an empty chunk),
 * range-end <= total, range-start <= total + 1.
 */
static bool
msrp_parse_byte_range(const uint8_t *s, size_t len, struct msrp_byte_range *br)
{
	size_t i, k;

	br->end = 0;
	br->total = 0;
	k = msrp_scan_u64(s, len, &br->start);
	if (k == 0 || k == SIZE_MAX || k == len || s[k] != '-' || br->start == 0)
		return false;
	i = k + 1;
	if (len - i >= 2 && s[i] == '*' && s[i + 1] == '/') {
		br->end_known = false;
		i += 2;
	} else {
		k = msrp_scan_u64(s + i, len - i, &br->end);
		if (k == 0 || k == SIZE_MAX || k == len - i || s[i + k] != '/')
			return false;
		br->end_known = true;
		i += k + 1;
	}
	if (len - i == 1 && s[i] == '*') {
		br->total_known = false;
	} else {
		k = msrp_scan_u64(s + i, len - i, &br->total);
		if (k == 0 || k != len - i)
			return false; /* also SIZE_MAX */
		br->total_known = true;
	}
	if (br->end_known && br->end < br->start - 1)
		return false;
	if (br->total_known && br->end_known && br->end > br->total)
		return false;
	if (br->total_known && br->start - 1 > br->total)
		return false;
	return true;
}

/* Status = namespace SP status-code [SP text-reason] (RFC 4975 §9). */
static bool
msrp_parse_status(const uint8_t *s, size_t len, struct msrp_status *st)
{
	if (len < 7 || s[3] != ' ')
		return false;
	for (int k = 0; k < 3; k++)
		if (!msrp_is_digit(s[k]) || !msrp_is_digit(s[4 + k]))
			return false;
	st->ns = (uint16_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	st->code = (uint16_t)((s[4] - '0') * 100 + (s[5] - '0') * 10 + (s[6] - '0'));
	st->reason = msrp_mkspan(NULL, 0);
	if (len == 7)
		return true;
	if (s[7] != ' ' || !msrp_utf8text_valid(s + 8, len - 8))
		return false;
	st->reason = msrp_mkspan(s + 8, len - 8);
	return true;
}

/* RFC 2045 token characters (type, subtype, parameter names). */
/* media-type = type "/" subtype *( ";" gen-param ) (RFC 4975 §9, RFC 2045 §5.1). */
static bool
msrp_parse_content_type(const uint8_t *s, size_t len)
{
	size_t i = 0, t;

	while (i < len && msrp_cc_is(s[i], MSRP_CC_MTOKEN))
		i++;
	if (i == 0 || i == len || s[i] != '/')
		return false;
	t = ++i;
	while (i < len && msrp_cc_is(s[i], MSRP_CC_MTOKEN))
		i++;
	if (i == t)
		return false;
	/* Parameters: ";" with optional whitespace, the value passed through as text. */
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == len || (s[i] == ';' && msrp_utf8text_valid(s + i, len - i));
}

static bool
msrp_hdr_is(const uint8_t *name, size_t len, enum msrp_hdr_id id)
{
	return msrp_hdr_names[id].len == len && msrp_hname_eq(name, msrp_hdr_names[id].lower, len);
}

/* Typed header id of a (syntactically valid) header name; names are case-insensitive. */
static enum msrp_hdr_id
msrp_hdr_lookup(const uint8_t *name, size_t len)
{
	/* Dispatch on length: at most two full compares per header line. */
	switch (len) {
	case 6:
		if (msrp_hdr_is(name, len, MSRP_HDR_STATUS))
			return MSRP_HDR_STATUS;
		break;
	case 7:
		if (msrp_hdr_is(name, len, MSRP_HDR_TO_PATH))
			return MSRP_HDR_TO_PATH;
		if (msrp_hdr_is(name, len, MSRP_HDR_EXPIRES))
			return MSRP_HDR_EXPIRES;
		break;
	case 8:
		if (msrp_hdr_is(name, len, MSRP_HDR_USE_PATH))
			return MSRP_HDR_USE_PATH;
		break;
	case 9:
		if (msrp_hdr_is(name, len, MSRP_HDR_FROM_PATH))
			return MSRP_HDR_FROM_PATH;
		break;
	case 10:
		if (msrp_hdr_is(name, len, MSRP_HDR_MESSAGE_ID))
			return MSRP_HDR_MESSAGE_ID;
		if (msrp_hdr_is(name, len, MSRP_HDR_BYTE_RANGE))
			return MSRP_HDR_BYTE_RANGE;
		break;
	case 11:
		if (msrp_hdr_is(name, len, MSRP_HDR_MIN_EXPIRES))
			return MSRP_HDR_MIN_EXPIRES;
		if (msrp_hdr_is(name, len, MSRP_HDR_MAX_EXPIRES))
			return MSRP_HDR_MAX_EXPIRES;
		break;
	case 12:
		if (msrp_hdr_is(name, len, MSRP_HDR_CONTENT_TYPE))
			return MSRP_HDR_CONTENT_TYPE;
		break;
	case 13:
		if (msrp_hdr_is(name, len, MSRP_HDR_AUTHORIZATION))
			return MSRP_HDR_AUTHORIZATION;
		break;
	case 14:
		if (msrp_hdr_is(name, len, MSRP_HDR_SUCCESS_REPORT))
			return MSRP_HDR_SUCCESS_REPORT;
		if (msrp_hdr_is(name, len, MSRP_HDR_FAILURE_REPORT))
			return MSRP_HDR_FAILURE_REPORT;
		break;
	case 16:
		if (msrp_hdr_is(name, len, MSRP_HDR_WWW_AUTHENTICATE))
			return MSRP_HDR_WWW_AUTHENTICATE;
		break;
	case 19:
		if (msrp_hdr_is(name, len, MSRP_HDR_AUTHENTICATION_INFO))
			return MSRP_HDR_AUTHENTICATION_INFO;
		break;
	default:
		break;
	}
	/* Other-Mime-header: Content-ID, Content-Description, Content-Disposition, ... */
	if (len > 8 && msrp_hname_eq(name, "content-", 8))
		return MSRP_HDR_MIME_OTHER;
	return MSRP_HDR_EXTENSION;
}

static enum msrp_rc
msrp_type_header(struct msrp_parser *p, enum msrp_hdr_id id, const uint8_t *v, size_t vlen)
{
	struct msrp_frame *f = &p->frame;

	switch (id) {
	case MSRP_HDR_TO_PATH:
		f->to_path = msrp_mkspan(v, vlen);
		return msrp_parse_path_cached(p, 0, v, vlen, &f->to_path_count)
		               ? MSRP_OK
		               : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_FROM_PATH:
		f->from_path = msrp_mkspan(v, vlen);
		return msrp_parse_path_cached(p, 1, v, vlen, &f->from_path_count)
		               ? MSRP_OK
		               : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_USE_PATH: {
		uint16_t n;

		f->use_path = msrp_mkspan(v, vlen);
		return msrp_parse_path(v, vlen, &n) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	}
	case MSRP_HDR_MESSAGE_ID:
		f->message_id = msrp_mkspan(v, vlen);
		return msrp_ident_ok(v, vlen) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_SUCCESS_REPORT:
		if (msrp_span_ieq(v, vlen, "yes", 3))
			f->success_report = MSRP_REPORT_YES;
		else if (msrp_span_ieq(v, vlen, "no", 2))
			f->success_report = MSRP_REPORT_NO;
		else
			return MSRP_ERR_HEADER_SYNTAX;
		return MSRP_OK;
	case MSRP_HDR_FAILURE_REPORT:
		if (msrp_span_ieq(v, vlen, "yes", 3))
			f->failure_report = MSRP_REPORT_YES;
		else if (msrp_span_ieq(v, vlen, "no", 2))
			f->failure_report = MSRP_REPORT_NO;
		else if (msrp_span_ieq(v, vlen, "partial", 7))
			f->failure_report = MSRP_REPORT_PARTIAL;
		else
			return MSRP_ERR_HEADER_SYNTAX;
		return MSRP_OK;
	case MSRP_HDR_BYTE_RANGE:
		return msrp_parse_byte_range(v, vlen, &f->byte_range) ? MSRP_OK
		                                                      : MSRP_ERR_BAD_BYTE_RANGE;
	case MSRP_HDR_STATUS:
		return msrp_parse_status(v, vlen, &f->status) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_CONTENT_TYPE:
		f->content_type = msrp_mkspan(v, vlen);
		return msrp_parse_content_type(v, vlen) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_EXPIRES:
		return msrp_parse_u32(v, vlen, &f->expires) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_MIN_EXPIRES:
		return msrp_parse_u32(v, vlen, &f->min_expires) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_MAX_EXPIRES:
		return msrp_parse_u32(v, vlen, &f->max_expires) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_WWW_AUTHENTICATE:
	case MSRP_HDR_AUTHORIZATION:
		/* RFC 4976 §8: "Digest" SP digest-param *("," SP digest-param) */
		return (vlen > 7 && strncasecmp((const char *)v, "Digest ", 7) == 0 &&
		        msrp_utf8text_valid(v, vlen))
		               ? MSRP_OK
		               : MSRP_ERR_HEADER_SYNTAX;
	case MSRP_HDR_AUTHENTICATION_INFO:
		return vlen > 0 && msrp_utf8text_valid(v, vlen) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	default:
		/* Other-Mime-header and ext-header: hval = utf8text. */
		return msrp_utf8text_valid(v, vlen) ? MSRP_OK : MSRP_ERR_HEADER_SYNTAX;
	}
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Line prefix (w0, w1: its first 16 octets) equals the literal (c0, c1: its octets, n <= 16
 * of them, in two little-endian words, built by MSRP_LIT_W from a string literal), made of
 * lowercase letters, '-' and ':'. Setting bit 0x20 only where the literal has a letter
 * (letters are the literal's only octets with bit 0x40) folds exactly that octet's two
 * cases onto it and compares every other octet as is. All masks fold to constants.
 */
#define MSRP_LIT_B(lit, k)                                                                         \
	((k) < sizeof(lit) - 1 ? (uint64_t)(uint8_t)(lit)[k] << (8 * ((k) % 8)) : 0)
#define MSRP_LIT_W(lit, o)                                                                         \
	(MSRP_LIT_B(lit, (o)) | MSRP_LIT_B(lit, (o) + 1) | MSRP_LIT_B(lit, (o) + 2) |              \
	 MSRP_LIT_B(lit, (o) + 3) | MSRP_LIT_B(lit, (o) + 4) | MSRP_LIT_B(lit, (o) + 5) |          \
	 MSRP_LIT_B(lit, (o) + 6) | MSRP_LIT_B(lit, (o) + 7))

static inline bool
msrp_name_eq(uint64_t w0, uint64_t w1, uint64_t c0, uint64_t c1, size_t n)
{
	uint64_t m0, m1, l0, l1;

	l0 = (c0 & 0x4040404040404040ull) >> 1;
	l1 = (c1 & 0x4040404040404040ull) >> 1;
	m0 = n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
	m1 = n <= 8 ? 0 : n >= 16 ? ~0ull : (1ull << (8 * (n - 8))) - 1;
	return ((w0 | l0) & m0) == c0 && ((w1 | l1) & m1) == c1;
}

/*
 * Hot path: the frequent typed header names, matched with their colon on the line's first
 * two 8-octet words after a dispatch on the first letter (the literal is a valid hname, so
 * a match also validates the name). line_len counts the octets readable at s (the line with
 * its CRLF). Returns the id and sets *nlen, or -1 (the caller then takes the general path).
 */
static int
msrp_hdr_fast(const uint8_t *s, size_t line_len, size_t *nlen)
{
	uint64_t w0, w1;

	if (line_len < 16)
		return -1;
	memcpy(&w0, s, 8);
	memcpy(&w1, s + 8, 8);
#define MSRP_HDR_FAST(lit, hid)                                                                    \
	do {                                                                                       \
		if (msrp_name_eq(w0, w1, MSRP_LIT_W(lit, 0), MSRP_LIT_W(lit, 8),                   \
		                 sizeof(lit) - 1)) {                                               \
			*nlen = sizeof(lit) - 2;                                                   \
			return hid;                                                                \
		}                                                                                  \
	} while (0)
	switch (s[0] | 0x20) {
	case 't':
		MSRP_HDR_FAST("to-path:", MSRP_HDR_TO_PATH);
		break;
	case 'f':
		MSRP_HDR_FAST("from-path:", MSRP_HDR_FROM_PATH);
		MSRP_HDR_FAST("failure-report:", MSRP_HDR_FAILURE_REPORT);
		break;
	case 'm':
		MSRP_HDR_FAST("message-id:", MSRP_HDR_MESSAGE_ID);
		break;
	case 'b':
		MSRP_HDR_FAST("byte-range:", MSRP_HDR_BYTE_RANGE);
		break;
	case 'c':
		MSRP_HDR_FAST("content-type:", MSRP_HDR_CONTENT_TYPE);
		break;
	case 's':
		MSRP_HDR_FAST("success-report:", MSRP_HDR_SUCCESS_REPORT);
		MSRP_HDR_FAST("status:", MSRP_HDR_STATUS);
		break;
	case 'u':
		MSRP_HDR_FAST("use-path:", MSRP_HDR_USE_PATH);
		break;
	default:
		break;
	}
#undef MSRP_HDR_FAST
	return -1;
}
#else
static int
msrp_hdr_fast(const uint8_t *s, size_t line_len, size_t *nlen)
{
	(void)s;
	(void)line_len;
	(void)nlen;
	return -1;
}
#endif

/*
 * Header sequence rules as bit masks over parser.hdr_seen (bit id per typed header):
 * msrp_seen_set[id] is what a header of kind id adds, msrp_seen_forbid[id] what must not
 * have been seen before it (its own bit; Content-Type, after which no header may follow;
 * and, for a non-MIME header, any Content-* header).
 */
#define MSRP_SEEN_MIME        (1u << 31)
#define MSRP_SEEN_IS_MIME(id) ((id) == MSRP_HDR_CONTENT_TYPE || (id) == MSRP_HDR_MIME_OTHER)
#define MSRP_SEEN_OWN(id)     ((id) < MSRP_HDR_TYPED_COUNT ? 1u << (id) : 0u)
#define MSRP_SEEN_BIT(id)     (MSRP_SEEN_OWN(id) | (MSRP_SEEN_IS_MIME(id) ? MSRP_SEEN_MIME : 0u))
#define MSRP_SEEN_FORBID(id)                                                                       \
	(MSRP_SEEN_OWN(id) | 1u << MSRP_HDR_CONTENT_TYPE |                                         \
	 (MSRP_SEEN_IS_MIME(id) ? 0u : MSRP_SEEN_MIME))
#define MSRP_SEEN_ROW(sym, name) [MSRP_HDR_##sym] = MSRP_SEEN_BIT(MSRP_HDR_##sym),
static const uint32_t msrp_seen_set[MSRP_HDR_EXTENSION + 1] = {
        MSRP_HDR_LIST(MSRP_SEEN_ROW) /* typed */
                [MSRP_HDR_MIME_OTHER] = MSRP_SEEN_BIT(MSRP_HDR_MIME_OTHER),
        [MSRP_HDR_EXTENSION] = MSRP_SEEN_BIT(MSRP_HDR_EXTENSION),
};
#undef MSRP_SEEN_ROW
#define MSRP_SEEN_ROW(sym, name) [MSRP_HDR_##sym] = MSRP_SEEN_FORBID(MSRP_HDR_##sym),
static const uint32_t msrp_seen_forbid[MSRP_HDR_EXTENSION + 1] = {
        MSRP_HDR_LIST(MSRP_SEEN_ROW) /* typed */
                [MSRP_HDR_MIME_OTHER] = MSRP_SEEN_FORBID(MSRP_HDR_MIME_OTHER),
        [MSRP_HDR_EXTENSION] = MSRP_SEEN_FORBID(MSRP_HDR_EXTENSION),
};
#undef MSRP_SEEN_ROW
_Static_assert(MSRP_HDR_TYPED_COUNT < 31, "hdr_seen: one bit per typed header + MIME");

/* header = hname ":" SP hval; hname = ALPHA *token (RFC 4975 §9). */
static enum msrp_rc
msrp_parse_header(struct msrp_parser *p, const uint8_t *s, size_t len)
{
	struct msrp_frame *f = &p->frame;
	size_t i, nlen;
	const uint8_t *v;
	size_t vlen;
	enum msrp_hdr_id id;
	enum msrp_rc rc;
	uint16_t n = f->n_hdrs;

	int fast = msrp_hdr_fast(s, len + 2, &nlen);

	if (fast >= 0) {
		id = (enum msrp_hdr_id)fast;
		i = nlen;
	} else {
		if (!msrp_cc_is(s[0], MSRP_CC_ALPHA))
			return MSRP_ERR_HEADER_SYNTAX;
		/* The line ends with CR (checked by the caller), which is not an hname octet. */
		i = 1;
		while (msrp_cc_is(s[i], MSRP_CC_HNAME))
			i++;
		nlen = i;
		id = msrp_hdr_lookup(s, nlen);
	}
	if (len - i < 2 || s[i] != ':' || s[i + 1] != ' ')
		return MSRP_ERR_HEADER_SYNTAX;
	v = s + i + 2;
	vlen = len - i - 2;
	/*
	 * The value is checked by its typed parser (each accepts a subset of utf8text) or as
	 * utf8text in msrp_type_header(): every byte is looked at once.
	 */

	/*
	 * RFC 4975 §9: To-Path first, From-Path second, neither again. Their ids are 0 and 1:
	 * header n < 2 must have id n, any later one an id >= 2.
	 */
	if (n < 2 ? (unsigned int)id != n : (unsigned int)id < 2)
		return MSRP_ERR_HEADER_ORDER;
	if (n >= p->lim.max_headers)
		return MSRP_ERR_TOO_LARGE;
	/*
	 * A typed header appears at most once; content-stuff is Other-Mime-headers, then
	 * Content-Type last of them (RFC 4975 §9): one test against what was seen.
	 */
	if (p->hdr_seen & msrp_seen_forbid[id])
		return MSRP_ERR_HEADER_SYNTAX;
	p->hdr_seen |= msrp_seen_set[id];

	rc = msrp_type_header(p, id, v, vlen);
	if (rc != MSRP_OK)
		return rc;
	p->hdrs[n].name = msrp_mkspan(s, nlen);
	p->hdrs[n].value = msrp_mkspan(v, vlen);
	p->hdrs[n].id = id;
	if (id < MSRP_HDR_TYPED_COUNT)
		f->hdr_index[id] = (int16_t)n;
	f->n_hdrs = (uint16_t)(n + 1);
	return MSRP_OK;
}

/*
 * Checks once the header block is complete (RFC 4975 §7.1, §7.1.2, §9); hdr_end: offset of
 * the blank line or end-line that ended it.
 */
static enum msrp_rc
msrp_headers_done(struct msrp_parser *p, bool has_body, uint32_t hdr_end)
{
	struct msrp_frame *f = &p->frame;

	if (f->n_hdrs < 2)
		return MSRP_ERR_HEADER_ORDER;
	if (f->kind == MSRP_KIND_RESPONSE && has_body)
		return MSRP_ERR_HEADER_SYNTAX; /* msrp-response has no content-stuff */
	if ((f->method == MSRP_METHOD_SEND || f->method == MSRP_METHOD_REPORT) &&
	    f->hdr_index[MSRP_HDR_MESSAGE_ID] < 0)
		return MSRP_ERR_MISSING_HEADER;
	if (f->method == MSRP_METHOD_REPORT && f->hdr_index[MSRP_HDR_STATUS] < 0)
		return MSRP_ERR_MISSING_HEADER;
	if ((p->hdr_seen & MSRP_SEEN_MIME) && f->hdr_index[MSRP_HDR_CONTENT_TYPE] < 0)
		return MSRP_ERR_NO_CONTENT_TYPE;
	f->has_body = has_body;
	f->header_block = msrp_mkspan(p->blk_base, hdr_end);
	return MSRP_OK;
}

/*
 * One complete line [s, s + len) including its CRLF. Returns an MSRP_ERR_* code or an
 * enum msrp_line_rc value.
 */
static int
msrp_process_line(struct msrp_parser *p, const uint8_t *s, size_t len)
{
	struct msrp_frame *f = &p->frame;
	enum msrp_rc rc;
	uint32_t tl;

	if (len < 2 || s[len - 2] != '\r') /* bare LF */
		return p->n_lines == 0 ? MSRP_ERR_START_LINE : MSRP_ERR_HEADER_SYNTAX;
	len -= 2;
	if (p->n_lines++ == 0) {
		rc = msrp_parse_start_line(p, s, len);
		return rc == MSRP_OK ? MSRP_LINE_MORE : (int)rc;
	}
	if (len == 0) {
		rc = msrp_headers_done(p, true, (uint32_t)(s - p->blk_base));
		if (rc != MSRP_OK)
			return rc;
		/*
		 * The end-line pattern; the blank line's CRLF counts as already matched so that
		 * "Content-Type: x CRLF CRLF -------tid$ CRLF" (empty data) also ends the frame.
		 */
		tl = f->tid.len;
		memcpy(p->pat, "\r\n-------", 9);
		memcpy(p->pat + 9, f->tid.p, tl);
		p->pat_len = 9 + tl + 3;
		p->match = 2;
		p->state = MSRP_PS_BODY;
		return MSRP_LINE_BODY;
	}
	if (len >= 7 && memcmp(s, "-------", 7) == 0) {
		tl = f->tid.len;
		if (len != 7 + tl + 1 || memcmp(s + 7, f->tid.p, tl) != 0)
			return MSRP_ERR_BAD_TID;
		if (s[len - 1] != '+' && s[len - 1] != '$' && s[len - 1] != '#')
			return MSRP_ERR_HEADER_SYNTAX;
		rc = msrp_headers_done(p, false, (uint32_t)(s - p->blk_base));
		if (rc != MSRP_OK)
			return rc;
		f->flag = (enum msrp_flag)s[len - 1];
		return MSRP_LINE_NOBODY;
	}
	rc = msrp_parse_header(p, s, len);
	return rc == MSRP_OK ? MSRP_LINE_MORE : (int)rc;
}

static void
msrp_rebase(struct msrp_span *s, const uint8_t *old, uint32_t len, const uint8_t *new)
{
	if (s->p != NULL && s->p >= old && s->p <= old + len)
		s->p = new + (s->p - old);
}

/*
 * The header block straddles buffers: copy what is in this buffer to hdr_buf and move the
 * spans already recorded there. Only header bytes are copied, bounded by max_header_bytes.
 */
static void
msrp_hdr_copy_out(struct msrp_parser *p)
{
	struct msrp_frame *f = &p->frame;
	const uint8_t *old = p->blk_base;
	uint32_t len = p->hdr_len;

	memcpy(p->hdr_buf, old, len);
	msrp_rebase(&f->tid, old, len, p->hdr_buf);
	msrp_rebase(&f->method_name, old, len, p->hdr_buf);
	msrp_rebase(&f->comment, old, len, p->hdr_buf);
	msrp_rebase(&f->to_path, old, len, p->hdr_buf);
	msrp_rebase(&f->from_path, old, len, p->hdr_buf);
	msrp_rebase(&f->use_path, old, len, p->hdr_buf);
	msrp_rebase(&f->message_id, old, len, p->hdr_buf);
	msrp_rebase(&f->status.reason, old, len, p->hdr_buf);
	msrp_rebase(&f->content_type, old, len, p->hdr_buf);
	for (uint16_t i = 0; i < f->n_hdrs; i++) {
		msrp_rebase(&p->hdrs[i].name, old, len, p->hdr_buf);
		msrp_rebase(&p->hdrs[i].value, old, len, p->hdr_buf);
	}
	p->blk_base = p->hdr_buf;
	p->hdr_copied = true;
}

/*
 * Finds the header lines' LFs in order. With SIMD, one compare per 64 octets yields a bit
 * mask of every LF in the block and each line then costs a count-trailing-zeros instead of
 * a memchr() call. Reads stay inside [lo, end): the last partial block is loaded as the 64
 * octets ending at end when the buffer has them, else found with memchr().
 */
struct msrp_lf_scan {
	const uint8_t *lo;      /* first readable octet of the buffer */
	const uint8_t *end;     /* scan end (exclusive) */
	const uint8_t *covered; /* every LF in [next line, covered) is in bits */
	const uint8_t *base;    /* bit k of bits stands for base[k] */
	uint64_t bits;
};

static inline void
msrp_lf_scan_init(struct msrp_lf_scan *sc, const uint8_t *lo, const uint8_t *cur,
                  const uint8_t *end)
{
	sc->lo = lo;
	sc->end = end;
	sc->covered = cur;
	sc->base = cur;
	sc->bits = 0;
}

/* The first LF at or after the end of the previous one returned, or NULL. */
static inline const uint8_t *
msrp_lf_next(struct msrp_lf_scan *sc)
{
	const uint8_t *nl;

#ifdef MSRP_SIMD
	while (sc->bits == 0) {
		size_t left = (size_t)(sc->end - sc->covered);

		if (left == 0)
			return NULL;
		if (left >= 64) {
			sc->base = sc->covered;
			sc->bits = msrp_eq_mask64(sc->base, '\n');
			sc->covered += 64;
		} else if ((size_t)(sc->end - sc->lo) >= 64) {
			/* The 64 octets ending at end; drop the bits before covered. */
			sc->base = sc->end - 64;
			sc->bits = msrp_eq_mask64(sc->base, '\n') >> (64 - left) << (64 - left);
			sc->covered = sc->end;
		} else {
			break;
		}
	}
	if (sc->bits != 0) {
		nl = sc->base + __builtin_ctzll(sc->bits);
		sc->bits &= sc->bits - 1;
		return nl;
	}
#endif
	if (sc->covered == sc->end)
		return NULL;
	nl = memchr(sc->covered, '\n', (size_t)(sc->end - sc->covered));
	sc->covered = nl != NULL ? nl + 1 : sc->end;
	return nl;
}

/*
 * Header phase over buf[*pos, len). Returns MSRP_AGAIN (buffer used up or the body phase
 * begins), MSRP_OK (frame without body complete) or an error.
 */
static enum msrp_rc
msrp_hdr_phase(struct msrp_parser *p, const uint8_t *buf, size_t len, size_t *posp)
{
	static const uint8_t pmsrp[5] = {'M', 'S', 'R', 'P', ' '};
	size_t pos = *posp;
	uint32_t max = p->lim.max_header_bytes;
	const uint8_t *cur, *end, *base;
	struct msrp_lf_scan sc;
	uint32_t hl, ls;
	bool hdr_copied;
	enum msrp_rc rc;

	if (p->hdr_len == 0)
		msrp_frame_begin(p, buf + pos, p->stream_off + pos);

	/* pMSRP: bytes that cannot begin "MSRP " fail at once, not as truncation. */
	if (p->hdr_len == 0 && len - pos >= 5) {
		if (memcmp(buf + pos, pmsrp, 5) != 0) {
			size_t k = 0;

			while (buf[pos + k] == pmsrp[k])
				k++;
			*posp = pos + k;
			return MSRP_ERR_START_LINE;
		}
	} else {
		for (uint32_t k = p->hdr_len; k < 5 && pos + (k - p->hdr_len) < len; k++) {
			if (buf[pos + (k - p->hdr_len)] != pmsrp[k]) {
				*posp = pos + (k - p->hdr_len);
				return MSRP_ERR_START_LINE;
			}
		}
	}

	/*
	 * Never look further than one byte past the header limit: hdr_len + (bytes left to
	 * scan) stays constant, so the scan end is computed once.
	 */
	{
		size_t room = (size_t)max - p->hdr_len;

		end = len - pos > room + 1 ? buf + pos + room + 1 : buf + len;
	}
	cur = buf + pos;
	base = p->blk_base;
	hdr_copied = p->hdr_copied;
	msrp_lf_scan_init(&sc, buf, cur, end);
	/*
	 * hdr_len and line_start live in locals in the loop (stores through the parser's
	 * octet pointers would otherwise force reloads) and are written back on every exit;
	 * msrp_process_line() derives the line's start from its pointer.
	 */
	hl = p->hdr_len;
	ls = p->line_start;
	while (cur < end) {
		const uint8_t *nl = msrp_lf_next(&sc);
		const uint8_t *stop = nl != NULL ? nl + 1 : end;
		size_t take = (size_t)(stop - cur);
		int lrc;

		if (take > (size_t)max - hl) {
			*posp = (size_t)(cur - buf) + ((size_t)max - hl);
			rc = MSRP_ERR_TOO_LARGE;
			goto out;
		}
		if (hdr_copied)
			memcpy(p->hdr_buf + hl, cur, take);
		hl += (uint32_t)take;
		cur = stop;
		if (nl == NULL)
			break;
		lrc = msrp_process_line(p, base + ls, hl - ls);
		ls = hl;
		if (lrc == MSRP_LINE_MORE)
			continue;
		*posp = (size_t)(cur - buf);
		if (lrc >= 0) {
			*posp -= 1;
			rc = (enum msrp_rc)lrc;
		} else if (lrc == MSRP_LINE_NOBODY) {
			p->frame.wire_len = hl;
			rc = MSRP_OK;
		} else {
			rc = MSRP_AGAIN; /* MSRP_LINE_BODY */
		}
		goto out;
	}
	p->hdr_len = hl;
	p->line_start = ls;
	if (!hdr_copied)
		msrp_hdr_copy_out(p);
	*posp = (size_t)(cur - buf);
	return MSRP_AGAIN;
out:
	p->hdr_len = hl;
	p->line_start = ls;
	return rc;
}

/* Adds buf[0, n) to the body span list, merging with the previous span when adjacent. */
static bool
msrp_body_add(struct msrp_parser *p, const uint8_t *s, size_t n)
{
	struct msrp_frame *f = &p->frame;

	if (f->n_body_segs > 0) {
		struct msrp_span *last = &p->body_segs[f->n_body_segs - 1];

		if (last->p + last->len == s) {
			last->len += (uint32_t)n;
			return true;
		}
	}
	if (f->n_body_segs >= p->lim.max_body_segs)
		return false;
	p->body_segs[f->n_body_segs++] = msrp_mkspan(s, n);
	return true;
}

/* Drops n bytes (the CRLF + end-line) from the tail of the body span list. */
static void
msrp_body_trim(struct msrp_parser *p, uint64_t n)
{
	struct msrp_frame *f = &p->frame;

	while (n > 0 && f->n_body_segs > 0) {
		struct msrp_span *last = &p->body_segs[f->n_body_segs - 1];

		if (last->len > n) {
			last->len -= (uint32_t)n;
			return;
		}
		n -= last->len;
		f->n_body_segs--;
	}
}

#ifdef MSRP_SIMD
/*
 * SIMD skip over body octets while no end-line is partly matched: an end-line starts with
 * CR and has its seventh dash 8 octets later, so one 64-octet block costs two compares and
 * only the positions with both (rare in text and binary bodies alike) get the full compare.
 * d[i..n) with n - i >= 72. Returns the position of a full end-line (*found set, *flag its
 * continuation flag), or where the scalar matcher must go on: a candidate whose end-line
 * would run past n, or n - 8 (the last 8 octets cannot be classified by the dash test).
 */
static size_t
msrp_body_skip(const struct msrp_parser *p, const uint8_t *d, size_t i, size_t n, bool *found,
               uint8_t *flag)
{
	const size_t lim = n - 8; /* candidates q < lim have d[q + 8] readable */
	const uint32_t tid_end = p->pat_len - 3;

	for (size_t j = i; j < lim; j += 64) {
		size_t b = lim - j >= 64 ? j : lim - 64; /* last block: overlap, drop q < j */
		uint64_t cand = msrp_eq_mask64(d + b, '\r') & msrp_eq_mask64(d + b + 8, '-');

		cand &= ~0ull << (j - b);
		while (cand != 0) {
			size_t q = b + (size_t)__builtin_ctzll(cand);
			const uint8_t *e = d + q;

			cand &= cand - 1;
			if (n - q < p->pat_len)
				return q;
			if (msrp_mem_eq(e, p->pat, tid_end) &&
			    (e[tid_end] == '+' || e[tid_end] == '$' || e[tid_end] == '#') &&
			    e[tid_end + 1] == '\r' && e[tid_end + 2] == '\n') {
				*flag = e[tid_end];
				*found = true;
				return q;
			}
		}
	}
	return lim;
}
#endif

/*
 * Body phase over buf[*pos, len): find "\r\n-------" tid flag "\r\n" (RFC 4975 §7.1: only
 * the frame's own transaction id ends it). Returns MSRP_AGAIN, MSRP_OK or an error.
 */
static enum msrp_rc
msrp_body_phase(struct msrp_parser *p, const uint8_t *buf, size_t len, size_t *posp)
{
	struct msrp_frame *f = &p->frame;
	const uint8_t *d = buf + *posp;
	size_t n = len - *posp, i = 0;
	uint32_t m = p->match, tid_end = p->pat_len - 3;
	bool found = false;
	uint64_t definite, cap;

	/*
	 * Never scan further than one byte past what the body limit allows (region_len <=
	 * body_max + pat_len holds until then): bounded work per chunk, and body spans
	 * always fit their 32-bit lengths.
	 */
	cap = p->body_max + p->pat_len + 1 - p->region_len;
	if (n > cap)
		n = (size_t)cap;

	while (i < n) {
		uint8_t c;

		if (m == 0) {
			const uint8_t *cr;

#ifdef MSRP_SIMD
			if (n - i >= 72) {
				uint8_t flag = 0;

				i = msrp_body_skip(p, d, i, n, &found, &flag);
				if (found) {
					f->flag = (enum msrp_flag)flag;
					i += p->pat_len;
					break;
				}
			}
#endif
			cr = memchr(d + i, '\r', n - i);

			if (cr == NULL) {
				i = n;
				break;
			}
			i = (size_t)(cr - d);
			/* Whole candidate end-line in this buffer: compare it at once. */
			if (n - i >= p->pat_len) {
				const uint8_t *q = d + i;

				/* Cheap reject first: text bodies have many CRLFs. */
				if (q[1] == '\n' && q[2] == '-' && q[8] == '-' &&
				    msrp_mem_eq(q, p->pat, tid_end) &&
				    (q[tid_end] == '+' || q[tid_end] == '$' || q[tid_end] == '#') &&
				    q[tid_end + 1] == '\r' && q[tid_end + 2] == '\n') {
					f->flag = (enum msrp_flag)q[tid_end];
					i += p->pat_len;
					found = true;
					break;
				}
				i++;
				continue;
			}
		}
		c = d[i++];
		if (m < tid_end) {
			m = c == p->pat[m] ? m + 1 : (c == '\r');
		} else if (m == tid_end) {
			if (c == '+' || c == '$' || c == '#') {
				f->flag = (enum msrp_flag)c;
				m++;
			} else {
				m = (c == '\r');
			}
		} else if (m == tid_end + 1) {
			m = c == '\r' ? m + 1 : 0;
		} else {
			if (c == '\n') {
				found = true;
				break;
			}
			m = (c == '\r');
		}
	}
	p->match = m;
	p->region_len += i;
	if (!msrp_body_add(p, d, i)) {
		*posp += i;
		return MSRP_ERR_TOO_FRAGMENTED;
	}
	if (!found) {
		/* Bytes not part of a possible end-line are body for sure. */
		definite = p->region_len > m ? p->region_len - m : 0;
		*posp += i;
		return definite > p->body_max ? MSRP_ERR_TOO_LARGE : MSRP_AGAIN;
	}
	*posp += i;
	/* A match that used the blank line's CRLF has region_len == pat_len - 2: empty data. */
	f->body_len = p->region_len >= p->pat_len ? p->region_len - p->pat_len : 0;
	msrp_body_trim(p, p->region_len - f->body_len);
	if (f->body_len > p->body_max)
		return MSRP_ERR_TOO_LARGE;
	/* RFC 4975 §7.1.1: a request carrying a body states its Content-Type. */
	if (f->body_len > 0 && f->hdr_index[MSRP_HDR_CONTENT_TYPE] < 0)
		return MSRP_ERR_NO_CONTENT_TYPE;
	f->wire_len = p->hdr_len + p->region_len;
	return MSRP_OK;
}

enum msrp_rc
msrp_parser_feed(struct msrp_parser *p, const uint8_t *buf, size_t len, size_t *used,
                 struct msrp_frame *frame)
{
	size_t pos = 0;
	enum msrp_rc rc = MSRP_AGAIN;

	if (p->error != MSRP_OK) {
		*used = 0;
		return p->error;
	}
	while (pos < len) {
		if (p->state == MSRP_PS_HEADERS)
			rc = msrp_hdr_phase(p, buf, len, &pos);
		else
			rc = msrp_body_phase(p, buf, len, &pos);
		if (rc != MSRP_AGAIN)
			break;
	}
	if (rc == MSRP_OK) {
		*frame = p->frame;
		p->state = MSRP_PS_HEADERS;
		p->hdr_len = 0;
	} else if (rc != MSRP_AGAIN) {
		p->error = rc;
		p->error_off = p->stream_off + pos;
	}
	p->stream_off += pos;
	*used = pos;
	return rc;
}

/*
 * Streaming (a relay forwarding a body while it arrives). Body bytes are certain once they
 * can no longer be part of the end-line: the matcher's m bytes at the end of the region
 * are a possible start of "\r\n-------" tid flag CRLF (the pattern's only CR is its first
 * octet, so a match can only start where the current partial one starts).
 */
const struct msrp_frame *
msrp_parser_body_partial(const struct msrp_parser *p, uint64_t *certain)
{
	if (p->error != MSRP_OK || p->state != MSRP_PS_BODY)
		return NULL;
	*certain = p->region_len > p->match ? p->region_len - p->match : 0;
	return &p->frame;
}

void
msrp_parser_body_drop(struct msrp_parser *p, uint64_t n)
{
	struct msrp_frame *f = &p->frame;
	uint64_t certain;
	uint32_t k = 0;

	if (msrp_parser_body_partial(p, &certain) == NULL || certain <= f->body_skip)
		return;
	if (n > certain - f->body_skip)
		n = certain - f->body_skip;
	if (n == 0)
		return;
	/* The caller may now release the buffer the header block lies in: keep it here. */
	if (!p->hdr_copied) {
		const uint8_t *old = p->blk_base;

		msrp_hdr_copy_out(p);
		msrp_rebase(&f->header_block, old, p->hdr_len, p->hdr_buf);
	}
	while (n > 0 && k < f->n_body_segs) {
		struct msrp_span *s = &p->body_segs[k];

		if (s->len > n) {
			s->p += n;
			s->len -= (uint32_t)n;
			f->body_skip += n;
			break;
		}
		n -= s->len;
		f->body_skip += s->len;
		k++;
	}
	if (k > 0) {
		memmove(p->body_segs, p->body_segs + k,
		        (f->n_body_segs - k) * sizeof(p->body_segs[0]));
		f->n_body_segs -= k;
	}
}

void
msrp_parser_body_limit(struct msrp_parser *p, uint64_t max_body_bytes)
{
	if (p->error != MSRP_OK || p->state != MSRP_PS_BODY)
		return;
	/* Body spans have 32-bit lengths; a frame never scans further than this. */
	if (max_body_bytes > MSRP_STREAM_BODY_MAX)
		max_body_bytes = MSRP_STREAM_BODY_MAX;
	p->body_max = max_body_bytes;
}

enum msrp_rc
msrp_parser_finish(const struct msrp_parser *p)
{
	if (p->error != MSRP_OK)
		return p->error;
	return msrp_parser_idle(p) ? MSRP_OK : MSRP_ERR_TRUNCATED;
}

bool
msrp_parser_idle(const struct msrp_parser *p)
{
	return p->error == MSRP_OK && p->state == MSRP_PS_HEADERS && p->hdr_len == 0;
}

uint64_t
msrp_parser_error_offset(const struct msrp_parser *p)
{
	return p->frame_off;
}

uint64_t
msrp_parser_error_pos(const struct msrp_parser *p)
{
	return p->error_off;
}

const struct msrp_header *
msrp_frame_find_header(const struct msrp_frame *f, const char *name, int *pos)
{
	size_t nlen = strlen(name);

	for (int i = *pos + 1; i < (int)f->n_hdrs; i++) {
		if (msrp_span_ieq(f->hdrs[i].name.p, f->hdrs[i].name.len, name, nlen)) {
			*pos = i;
			return &f->hdrs[i];
		}
	}
	return NULL;
}

uint64_t
msrp_frame_body_copy(const struct msrp_frame *f, uint8_t *dst, size_t cap)
{
	size_t off = 0;

	for (uint32_t i = 0; i < f->n_body_segs && off < cap; i++) {
		size_t n = f->body_segs[i].len;

		if (n > cap - off)
			n = cap - off;
		memcpy(dst + off, f->body_segs[i].p, n);
		off += n;
	}
	return f->body_len;
}
