/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * message/cpim parser (RFC 3862). One pass over the header lines, spans only.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpim/cpim.h"

static const char *const cpim_rc_names[CPIM_ERR_MAX] = {
#define CPIM_RC_NAME(sym, doc) [CPIM_##sym] = "CPIM_" #sym ": " doc,
        CPIM_RC_LIST(CPIM_RC_NAME)
#undef CPIM_RC_NAME
};

const char *
cpim_strerror(enum cpim_rc rc)
{
	if ((unsigned int)rc >= CPIM_ERR_MAX)
		return "CPIM_ERR_?: unknown result";
	return cpim_rc_names[rc];
}

bool
cpim_span_eq(struct cpim_span a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

static inline uint8_t
cpim_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
cpim_span_caseeq_span(struct cpim_span a, struct cpim_span b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (cpim_lower(a.p[i]) != cpim_lower(b.p[i]))
			return false;
	return true;
}

bool
cpim_span_caseeq(struct cpim_span a, const char *s)
{
	return cpim_span_caseeq_span(a, cpim_span_str(s));
}

static bool
cpim_span_same(struct cpim_span a, struct cpim_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* RFC 3862 §3.2 NAMECHAR: %x21 / %x23-27 / %x2a-2b / %x2d / %x5e-60 / %x7c / %x7e / ALPHA /
 * DIGIT. Note that "." is not a NAMECHAR: it separates the prefix from the name. */
static inline bool
cpim_is_namechar(uint8_t c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
	       (c >= 0x5e && c <= 0x60) || c == 0x7c || c == 0x7e || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* TOKENCHAR = NAMECHAR / "." / UCS-high (any byte >= 0x80 of UTF-8). */
static inline bool
cpim_is_tokenchar(uint8_t c)
{
	return cpim_is_namechar(c) || c == '.' || c >= 0x80;
}

static inline bool
cpim_is_ctl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * Find the CRLF ending the line at buf[off]. Returns the line length without CRLF, or a
 * negative cpim_rc: a header line never contains a lone CR or LF (RFC 3862 §3.1).
 */
static int
cpim_line(const uint8_t *buf, uint32_t len, uint32_t off, uint32_t max)
{
	uint32_t lim = len - off < max ? len - off : max;

	for (uint32_t i = 0; i < lim; i++) {
		uint8_t c = buf[off + i];

		if (c == '\n')
			return -CPIM_ERR_LINE_END;
		if (c != '\r')
			continue;
		if (i + 1 >= len - off)
			return -CPIM_ERR_TRUNCATED;
		if (buf[off + i + 1] != '\n')
			return -CPIM_ERR_LINE_END;
		if (i + 2 > max)
			return -CPIM_ERR_LINE_TOO_LONG;
		return (int)i;
	}
	return lim == max ? -CPIM_ERR_LINE_TOO_LONG : -CPIM_ERR_TRUNCATED;
}

/* A URI between < and >: at least one byte, no SP, CTL, '<' or '>'. */
static bool
cpim_uri_ok(struct cpim_span u)
{
	if (u.len == 0)
		return false;
	for (uint32_t i = 0; i < u.len; i++) {
		uint8_t c = u.p[i];

		if (c == ' ' || c == '<' || c == '>' || cpim_is_ctl(c))
			return false;
	}
	return true;
}

/* RFC 3862 §5.3: From/To/cc value = [ Formal-name ] "<" URI ">". */
static bool
cpim_addr_parse(struct cpim_span v, struct cpim_addr *a)
{
	uint32_t i = 0;

	a->display = (struct cpim_span){NULL, 0};
	if (v.len > 0 && v.p[0] == '"') {
		/* String = DQUOTE *( Str-char / Escape ) DQUOTE */
		for (i = 1; i < v.len && v.p[i] != '"'; i++)
			if (v.p[i] == '\\')
				i++;
		if (i >= v.len)
			return false;
		a->display = (struct cpim_span){v.p, i + 1};
		i++;
		/* The ABNF has no SP here but every implementation writes one: accept one. */
		if (i < v.len && v.p[i] == ' ')
			i++;
	} else {
		/* 1*( Token SP ) */
		uint32_t start = 0;

		while (i < v.len && v.p[i] != '<') {
			uint32_t t = i;

			while (i < v.len && cpim_is_tokenchar(v.p[i]))
				i++;
			if (i == t || i >= v.len || v.p[i] != ' ')
				return false;
			i++;
		}
		if (i > start)
			a->display = (struct cpim_span){v.p, i - 1};
	}
	if (i >= v.len || v.p[i] != '<' || v.p[v.len - 1] != '>' || v.len - i < 2)
		return false;
	a->uri = (struct cpim_span){v.p + i + 1, v.len - i - 2};
	return cpim_uri_ok(a->uri);
}

/* RFC 3862 §5.1: NS value = [ Name-prefix SP ] "<" URI ">". */
static bool
cpim_ns_parse(struct cpim_span v, struct cpim_ns *ns)
{
	uint32_t i = 0;

	while (i < v.len && cpim_is_namechar(v.p[i]))
		i++;
	ns->prefix = (struct cpim_span){v.p, i};
	if (i > 0) {
		if (i >= v.len || v.p[i] != ' ')
			return false;
		i++;
	}
	if (i >= v.len || v.p[i] != '<' || v.p[v.len - 1] != '>' || v.len - i < 2)
		return false;
	ns->urn = (struct cpim_span){v.p + i + 1, v.len - i - 2};
	return cpim_uri_ok(ns->urn);
}

static bool
cpim_digits(const uint8_t *p, unsigned int n, unsigned int *out)
{
	unsigned int v = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* RFC 3339 §5.6 date-time, e.g. 2026-01-02T10:11:12.000Z or 2001-02-02T10:48:54-05:00. */
static bool
cpim_datetime_ok(struct cpim_span v)
{
	const uint8_t *p = v.p;
	unsigned int y, mo, d, h, mi, s, oh, om;
	uint32_t i;

	if (v.len < 20 || !cpim_digits(p, 4, &y) || p[4] != '-' || !cpim_digits(p + 5, 2, &mo) ||
	    p[7] != '-' || !cpim_digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != 't') ||
	    !cpim_digits(p + 11, 2, &h) || p[13] != ':' || !cpim_digits(p + 14, 2, &mi) ||
	    p[16] != ':' || !cpim_digits(p + 17, 2, &s))
		return false;
	(void)y;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return false;
	i = 19;
	if (p[i] == '.') {
		uint32_t f = ++i;

		while (i < v.len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i < v.len && (p[i] == 'Z' || p[i] == 'z'))
		return i + 1 == v.len;
	if (i + 6 != v.len || (p[i] != '+' && p[i] != '-') || !cpim_digits(p + i + 1, 2, &oh) ||
	    p[i + 3] != ':' || !cpim_digits(p + i + 4, 2, &om))
		return false;
	return oh <= 23 && om <= 59;
}

/* Resolve a prefixed name in the namespaces declared so far. */
static int
cpim_ns_lookup(const struct cpim_msg *m, struct cpim_span prefix)
{
	for (int i = 0; i < m->n_ns; i++)
		if (cpim_span_same(m->ns[i].prefix, prefix))
			return i;
	return -1;
}

static enum cpim_hdr_id
cpim_classify(const struct cpim_msg *m, const struct cpim_hdr *h)
{
	static const struct {
		const char *name;
		enum cpim_hdr_id id;
	} std[] =
	        {
	                {"From", CPIM_H_FROM},       {"To", CPIM_H_TO},
	                {"cc", CPIM_H_CC},           {"DateTime", CPIM_H_DATETIME},
	                {"Subject", CPIM_H_SUBJECT}, {"NS", CPIM_H_NS},
	                {"Require", CPIM_H_REQUIRE},
	        },
	  imdn[] = {
	          {"Message-ID", CPIM_H_IMDN_MESSAGE_ID},
	          {"Disposition-Notification", CPIM_H_IMDN_DISPOSITION},
	          {"Original-To", CPIM_H_IMDN_ORIGINAL_TO},
	          {"IMDN-Record-Route", CPIM_H_IMDN_RECORD_ROUTE},
	          {"IMDN-Route", CPIM_H_IMDN_ROUTE},
	  };

	if (h->ns < 0) {
		/* RFC 3862 §3.1: header names are case-sensitive. */
		for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
			if (cpim_span_eq(h->name, std[i].name))
				return std[i].id;
		return CPIM_H_OTHER;
	}
	/* URNs compare case-insensitively: the prefix is arbitrary (FDR-02), the URN is not. */
	if (cpim_span_caseeq(m->ns[h->ns].urn, CPIM_URN_FINAL_REPORT))
		return cpim_span_eq(h->name, "Final-Report") ? CPIM_H_FINAL_REPORT : CPIM_H_OTHER;
	if (cpim_span_caseeq(m->ns[h->ns].urn, CPIM_URN_IMDN)) {
		for (size_t i = 0; i < sizeof(imdn) / sizeof(imdn[0]); i++)
			if (cpim_span_eq(h->name, imdn[i].name))
				return imdn[i].id;
		return CPIM_H_IMDN_OTHER;
	}
	return CPIM_H_OTHER;
}

/* Split "prefix.name:;params SP value" of one CPIM header line (RFC 3862 §3.2). */
static enum cpim_rc
cpim_hdr_split(struct cpim_span line, struct cpim_hdr *h)
{
	const uint8_t *p = line.p;
	uint32_t n = line.len, i = 0, s;

	while (i < n && cpim_is_namechar(p[i]))
		i++;
	if (i == 0)
		return CPIM_ERR_HDR_NAME;
	h->prefix = (struct cpim_span){NULL, 0};
	h->name = (struct cpim_span){p, i};
	if (i < n && p[i] == '.') {
		s = ++i;
		while (i < n && cpim_is_namechar(p[i]))
			i++;
		if (i == s)
			return CPIM_ERR_HDR_NAME;
		h->prefix = h->name;
		h->name = (struct cpim_span){p + s, i - s};
	}
	if (i >= n || p[i] != ':')
		return i < n && (p[i] == '.' || p[i] == ' ') ? CPIM_ERR_HDR_NAME : CPIM_ERR_HDR_SEP;
	s = ++i;
	/* *( ";" Parameter ): a quoted Param-value may contain SP. */
	if (i < n && p[i] == ';') {
		bool q = false;

		while (i < n && (q || p[i] != ' ')) {
			if (cpim_is_ctl(p[i]))
				return CPIM_ERR_HDR_VALUE;
			if (p[i] == '"')
				q = !q;
			else if (q && p[i] == '\\')
				i++;
			i++;
		}
	}
	h->params = (struct cpim_span){p + s, i - s};
	if (i >= n || p[i] != ' ')
		return CPIM_ERR_HDR_SEP;
	i++;
	h->value = (struct cpim_span){p + i, n - i};
	for (; i < n; i++)
		if (cpim_is_ctl(p[i]))
			return CPIM_ERR_HDR_VALUE;
	return CPIM_OK;
}

/* Apply one classified header to the message summary. */
static enum cpim_rc
cpim_hdr_apply(struct cpim_msg *m, struct cpim_hdr *h, int idx)
{
	switch ((enum cpim_hdr_id)h->id) {
	case CPIM_H_FROM:
		if (m->from_hdr >= 0)
			return CPIM_ERR_DUP_HDR;
		if (!cpim_addr_parse(h->value, &m->from))
			return CPIM_ERR_ADDR_SYNTAX;
		m->from_hdr = (int8_t)idx;
		break;
	case CPIM_H_TO:
		if (m->n_to < CPIM_TO_MAX) {
			if (!cpim_addr_parse(h->value, &m->to[m->n_to]))
				return CPIM_ERR_ADDR_SYNTAX;
		} else {
			struct cpim_addr tmp;

			if (!cpim_addr_parse(h->value, &tmp))
				return CPIM_ERR_ADDR_SYNTAX;
		}
		if (m->to_hdr < 0)
			m->to_hdr = (int8_t)idx;
		if (m->n_to < UINT8_MAX)
			m->n_to++;
		break;
	case CPIM_H_CC: {
		struct cpim_addr tmp;

		if (!cpim_addr_parse(h->value, &tmp))
			return CPIM_ERR_ADDR_SYNTAX;
		break;
	}
	case CPIM_H_DATETIME:
		if (m->datetime_hdr >= 0)
			return CPIM_ERR_DUP_HDR;
		if (!cpim_datetime_ok(h->value))
			return CPIM_ERR_DATETIME;
		m->datetime_hdr = (int8_t)idx;
		m->imdn.datetime = h->value;
		break;
	case CPIM_H_NS: {
		struct cpim_ns ns;

		if (!cpim_ns_parse(h->value, &ns))
			return CPIM_ERR_NS_SYNTAX;
		if (cpim_ns_lookup(m, ns.prefix) >= 0)
			return CPIM_ERR_NS_DUP_PREFIX;
		if (m->n_ns >= CPIM_NS_MAX)
			return CPIM_ERR_TOO_MANY_NS;
		m->ns[m->n_ns] = ns;
		if (cpim_span_caseeq(ns.urn, CPIM_URN_FINAL_REPORT) && m->final_report_ns < 0)
			m->final_report_ns = (int8_t)m->n_ns;
		if (cpim_span_caseeq(ns.urn, CPIM_URN_IMDN) && m->imdn.ns < 0)
			m->imdn.ns = (int8_t)m->n_ns;
		m->n_ns++;
		break;
	}
	case CPIM_H_REQUIRE:
		if (cpim_hdr_find(m, CPIM_H_REQUIRE, 0) != idx)
			return CPIM_ERR_DUP_HDR;
		break;
	case CPIM_H_FINAL_REPORT:
		/* OMA SIMPLE IM §5.7.2: yes|no; the value is matched case-insensitively. */
		if (m->final_report != CPIM_FR_ABSENT)
			return CPIM_ERR_DUP_HDR;
		if (cpim_span_caseeq(h->value, "yes"))
			m->final_report = CPIM_FR_YES;
		else if (cpim_span_caseeq(h->value, "no"))
			m->final_report = CPIM_FR_NO;
		else
			return CPIM_ERR_FINAL_REPORT;
		break;
	case CPIM_H_IMDN_MESSAGE_ID:
		/* RFC 5438 §6.3: one imdn.Message-ID per message. */
		if (m->imdn.message_id.p != NULL)
			return CPIM_ERR_DUP_HDR;
		if (h->value.len == 0)
			return CPIM_ERR_HDR_VALUE;
		m->imdn.message_id = h->value;
		break;
	case CPIM_H_IMDN_DISPOSITION:
		if (m->imdn.disposition.p != NULL)
			return CPIM_ERR_DUP_HDR;
		m->imdn.disposition = h->value;
		break;
	case CPIM_H_IMDN_ORIGINAL_TO:
		if (m->imdn.original_to.p == NULL)
			m->imdn.original_to = h->value;
		break;
	default:
		break;
	}
	return CPIM_OK;
}

static bool
cpim_mime_namechar(uint8_t c)
{
	/* RFC 5322 §3.6.8 ftext: printable US-ASCII except ":". */
	return c >= 33 && c <= 126 && c != ':';
}

static void
cpim_trim(struct cpim_span *s)
{
	while (s->len > 0 && (s->p[0] == ' ' || s->p[0] == '\t')) {
		s->p++;
		s->len--;
	}
	while (s->len > 0 && (s->p[s->len - 1] == ' ' || s->p[s->len - 1] == '\t'))
		s->len--;
}

/*
 * MIME headers of the encapsulated object (RFC 3862 §3.3, RFC 2045): case-insensitive names,
 * optional folding (a continuation line starts with SP or HTAB). Content-Type is mandatory.
 */
static enum cpim_rc
cpim_mime_parse(const uint8_t *buf, uint32_t len, uint32_t *offp, struct cpim_msg *m)
{
	uint32_t off = *offp;
	int ct = -1;

	for (;;) {
		struct cpim_hdr *h;
		uint32_t start = off, i = 0, nlen;
		int l = cpim_line(buf, len, off, CPIM_LINE_MAX);

		m->err_off = off;
		if (l < 0)
			return (enum cpim_rc) - l;
		if (l == 0) {
			off += 2;
			break;
		}
		if (m->n_mime >= CPIM_MIME_HDR_MAX)
			return CPIM_ERR_TOO_MANY_HDRS;
		if (buf[off] == ' ' || buf[off] == '\t')
			return CPIM_ERR_MIME_HDR; /* continuation without a header */
		while (i < (uint32_t)l && cpim_mime_namechar(buf[off + i]))
			i++;
		nlen = i;
		while (i < (uint32_t)l && (buf[off + i] == ' ' || buf[off + i] == '\t'))
			i++;
		if (nlen == 0 || i >= (uint32_t)l || buf[off + i] != ':')
			return CPIM_ERR_MIME_HDR;
		h = &m->mime[m->n_mime];
		memset(h, 0, sizeof(*h));
		h->ns = -1;
		h->name = (struct cpim_span){buf + off, nlen};
		i++;
		h->value = (struct cpim_span){buf + off + i, (uint32_t)l - i};
		off += (uint32_t)l + 2;
		/* Folded continuation lines extend the value span (CRLF kept inside it). */
		while (off < len && (buf[off] == ' ' || buf[off] == '\t')) {
			l = cpim_line(buf, len, off, CPIM_LINE_MAX);
			m->err_off = off;
			if (l < 0)
				return (enum cpim_rc) - l;
			off += (uint32_t)l + 2;
			h->value.len = off - 2 - (uint32_t)(h->value.p - buf);
		}
		for (uint32_t k = 0; k < h->value.len; k++) {
			uint8_t c = h->value.p[k];

			if (cpim_is_ctl(c) && c != '\t' && c != '\r' && c != '\n')
				return CPIM_ERR_HDR_VALUE;
		}
		cpim_trim(&h->value);
		h->line = (struct cpim_span){buf + start, off - start};
		if (cpim_span_caseeq(h->name, "Content-Type")) {
			if (ct >= 0)
				return CPIM_ERR_DUP_HDR;
			if (h->value.len == 0)
				return CPIM_ERR_MIME_HDR;
			ct = m->n_mime;
			m->content_type = h->value;
		}
		m->n_mime++;
	}
	if (ct < 0) {
		m->err_off = *offp;
		return CPIM_ERR_NO_CONTENT_TYPE;
	}
	*offp = off;
	return CPIM_OK;
}

enum cpim_rc
cpim_parse(const uint8_t *buf, uint32_t len, struct cpim_msg *m)
{
	uint32_t off = 0;
	enum cpim_rc rc;

	m->n_hdr = 0;
	m->n_mime = 0;
	m->n_ns = 0;
	m->n_to = 0;
	m->from_hdr = -1;
	m->to_hdr = -1;
	m->datetime_hdr = -1;
	m->final_report_ns = -1;
	m->final_report = CPIM_FR_ABSENT;
	memset(&m->from, 0, sizeof(m->from));
	memset(&m->imdn, 0, sizeof(m->imdn));
	m->imdn.ns = -1;
	m->content_type = (struct cpim_span){NULL, 0};
	m->content = (struct cpim_span){NULL, 0};
	m->hdr_end = m->mime_end = m->err_off = 0;

	for (;;) {
		struct cpim_hdr *h;
		int l = cpim_line(buf, len, off, CPIM_LINE_MAX);

		m->err_off = off;
		if (l < 0)
			return (enum cpim_rc) - l;
		if (l == 0) {
			off += 2;
			break;
		}
		if (m->n_hdr >= CPIM_HDR_MAX)
			return CPIM_ERR_TOO_MANY_HDRS;
		h = &m->hdr[m->n_hdr];
		h->line = (struct cpim_span){buf + off, (uint32_t)l + 2};
		h->ns = -1;
		h->id = CPIM_H_OTHER;
		rc = cpim_hdr_split((struct cpim_span){buf + off, (uint32_t)l}, h);
		if (rc != CPIM_OK)
			return rc;
		if (h->prefix.len > 0) {
			/* RFC 3862 §5.1: a prefix is usable only after the NS that declares it. */
			int ns = cpim_ns_lookup(m, h->prefix);

			if (ns < 0)
				return CPIM_ERR_NS_UNDECLARED;
			h->ns = (int8_t)ns;
		}
		h->id = (uint8_t)cpim_classify(m, h);
		m->n_hdr++;
		rc = cpim_hdr_apply(m, h, m->n_hdr - 1);
		if (rc != CPIM_OK)
			return rc;
		off += (uint32_t)l + 2;
	}
	m->hdr_end = off;
	m->err_off = 0;
	/* RFC 3862 §4 / RFC 4975 §7.1: From and To are mandatory in MSRP use. */
	if (m->from_hdr < 0)
		return CPIM_ERR_NO_FROM;
	if (m->to_hdr < 0)
		return CPIM_ERR_NO_TO;
	rc = cpim_mime_parse(buf, len, &off, m);
	if (rc != CPIM_OK)
		return rc;
	m->mime_end = off;
	m->content = (struct cpim_span){buf + off, len - off};
	m->err_off = 0;
	return CPIM_OK;
}

int
cpim_hdr_find(const struct cpim_msg *m, enum cpim_hdr_id id, int from)
{
	for (int i = from < 0 ? 0 : from; i < m->n_hdr; i++)
		if (m->hdr[i].id == id)
			return i;
	return -1;
}

/* Is "prefix.name" (or "name") a header this implementation understands? */
static bool
cpim_name_understood(const struct cpim_msg *m, struct cpim_span n)
{
	struct cpim_hdr h = {.ns = -1};
	uint32_t dot = 0;

	while (dot < n.len && n.p[dot] != '.')
		dot++;
	if (dot < n.len) {
		int ns;

		h.prefix = (struct cpim_span){n.p, dot};
		h.name = (struct cpim_span){n.p + dot + 1, n.len - dot - 1};
		ns = cpim_ns_lookup(m, h.prefix);
		if (ns < 0)
			return false;
		h.ns = (int8_t)ns;
	} else {
		h.name = n;
	}
	switch (cpim_classify(m, &h)) {
	case CPIM_H_OTHER:
	case CPIM_H_IMDN_OTHER:
		return false;
	default:
		return true;
	}
}

int
cpim_require_check(const struct cpim_msg *m, struct cpim_span *unknown)
{
	for (int idx = cpim_hdr_find(m, CPIM_H_REQUIRE, 0); idx >= 0;
	     idx = cpim_hdr_find(m, CPIM_H_REQUIRE, idx + 1)) {
		struct cpim_span v = m->hdr[idx].value;
		uint32_t i = 0;

		/* RFC 3862 §4.7: Require = Header-name *( "," Header-name ) */
		for (;;) {
			uint32_t s = i;
			struct cpim_span n;

			while (i < v.len && (cpim_is_namechar(v.p[i]) || v.p[i] == '.'))
				i++;
			n = (struct cpim_span){v.p + s, i - s};
			if (n.len == 0 || n.p[0] == '.' || n.p[n.len - 1] == '.')
				return -EINVAL;
			if (!cpim_name_understood(m, n)) {
				if (unknown != NULL)
					*unknown = n;
				return -ENOTSUP;
			}
			if (i == v.len)
				break;
			if (v.p[i] != ',')
				return -EINVAL;
			i++;
			while (i < v.len && v.p[i] == ' ')
				i++;
		}
	}
	return 0;
}
