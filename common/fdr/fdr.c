/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Final-report document composer and strict parser (see fdr.h, docs/final-report.md).
 * XML 1.0 (Fifth Edition) is the reference for names, whitespace, quoting and references.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fdr/fdr.h"
#include "utf8/utf8.h"
#include "wbuf/wbuf.h"
#include "xml/xml_esc.h"

static const char *const fdr_outcome_names[FDR_OUTCOME_COUNT] = {
#define FDR_OUTCOME_NAME(sym, name, doc) [FDR_OUTCOME_##sym] = name,
        FDR_OUTCOME_LIST(FDR_OUTCOME_NAME)
#undef FDR_OUTCOME_NAME
};

static const char *const fdr_rc_names[FDR_RC_COUNT] = {
#define FDR_RC_NAME(sym, doc) [FDR_##sym] = "FDR_" #sym ": " doc,
        FDR_RC_LIST(FDR_RC_NAME)
#undef FDR_RC_NAME
};

const char *
fdr_outcome_name(enum fdr_outcome o)
{
	return (unsigned int)o < FDR_OUTCOME_COUNT ? fdr_outcome_names[o] : NULL;
}

int
fdr_outcome_parse(const uint8_t *p, uint32_t len)
{
	for (int i = 0; i < FDR_OUTCOME_COUNT; i++)
		if (strlen(fdr_outcome_names[i]) == len &&
		    memcmp(fdr_outcome_names[i], p, len) == 0)
			return i;
	return -1;
}

const char *
fdr_strerror(enum fdr_rc rc)
{
	return (unsigned int)rc < FDR_RC_COUNT ? fdr_rc_names[rc] : "FDR_ERR_?: unknown result";
}

static inline uint8_t
fdr_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool
fdr_mime_type_match(const uint8_t *p, uint32_t len)
{
	static const char *const spellings[] = {
	        FDR_MIME_TYPE,
	        "application/vnd.oma.poc.final-report",
	        "application/vnd.oma.final-report+xml",
	};
	uint32_t n = 0;

	/* RFC 2045 §5.1: type/subtype are case-insensitive; parameters follow ";". */
	while (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		len--;
	}
	while (n < len && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
		n++;
	for (uint32_t k = n; k < len && p[k] != ';'; k++)
		if (p[k] != ' ' && p[k] != '\t')
			return false;
	for (size_t s = 0; s < sizeof(spellings) / sizeof(spellings[0]); s++) {
		size_t sl = strlen(spellings[s]);
		uint32_t i;

		if (sl != n)
			continue;
		for (i = 0; i < n && fdr_lower(p[i]) == (uint8_t)spellings[s][i]; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

/* Values the composer accepts: valid UTF-8 without C0 controls or DEL. */
static bool
fdr_text_ok(struct fdr_span s)
{
	for (uint32_t i = 0; i < s.len;) {
		uint32_t n = (uint32_t)utf8_seq_len(s.p + i, s.len - i);

		if (n == 0 || (n == 1 && (s.p[i] < 0x20 || s.p[i] == 0x7f)))
			return false;
		i += n;
	}
	return true;
}

/*
 * XML 1.0 §2.4: the five markup characters become references; values are always
 * double-quoted. fdr_text_ok() has vetted them, so the escaper never refuses one.
 */
static void
fdr_put_escaped(struct wbuf *o, struct fdr_span v)
{
	xml_esc_put(o, v.p, v.len, XML_ESC_QUOT | XML_ESC_APOS);
}

ssize_t
fdr_build(const struct fdr_report *r, uint8_t *out, size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};

	if (r->n_rcpt == 0 || r->message_id.len == 0 || !fdr_text_ok(r->message_id))
		return -EINVAL;
	for (uint32_t i = 0; i < r->n_rcpt; i++) {
		const struct fdr_recipient *x = &r->rcpt[i];

		if (x->uri.len == 0 || !fdr_text_ok(x->uri) || x->status < 100 || x->status > 699 ||
		    x->outcome >= FDR_OUTCOME_COUNT)
			return -EINVAL;
	}
	wbuf_put_str(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                 "<final-report xmlns=\"" FDR_XMLNS "\" message-id=\"");
	fdr_put_escaped(&o, r->message_id);
	wbuf_put_str(&o, "\">\n");
	for (uint32_t i = 0; i < r->n_rcpt; i++) {
		const struct fdr_recipient *x = &r->rcpt[i];
		char st[4] = {(char)('0' + x->status / 100), (char)('0' + x->status / 10 % 10),
		              (char)('0' + x->status % 10), 0};

		wbuf_put_str(&o, "<recipient uri=\"");
		fdr_put_escaped(&o, x->uri);
		wbuf_put_str(&o, "\" status=\"");
		wbuf_put_str(&o, st);
		wbuf_put_str(&o, "\" outcome=\"");
		wbuf_put_str(&o, fdr_outcome_names[x->outcome]);
		wbuf_put_str(&o, "\"/>\n");
	}
	wbuf_put_str(&o, "</final-report>\n");
	return wbuf_result(&o);
}

/* ---- parser ---- */

struct fdr_cur {
	const uint8_t *b;
	uint32_t len;
	uint32_t off;
};

static inline bool
fdr_is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'; /* XML 1.0 §2.3 S */
}

static void
fdr_skip_space(struct fdr_cur *c)
{
	while (c->off < c->len && fdr_is_space(c->b[c->off]))
		c->off++;
}

static bool
fdr_at(const struct fdr_cur *c, const char *s)
{
	size_t n = strlen(s);

	return c->len - c->off >= n && memcmp(c->b + c->off, s, n) == 0;
}

static inline bool
fdr_name_start(uint8_t ch)
{
	return ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_' || ch == ':';
}

/* ASCII subset of XML Name (XML 1.0 §2.3): NameStartChar then letters, digits, - _ . : */
static uint32_t
fdr_name(const struct fdr_cur *c)
{
	uint32_t i = c->off;

	if (i >= c->len || !fdr_name_start(c->b[i]))
		return 0;
	while (i < c->len && (fdr_name_start(c->b[i]) || (c->b[i] >= '0' && c->b[i] <= '9') ||
	                      c->b[i] == '-' || c->b[i] == '.'))
		i++;
	return i - c->off;
}

static bool
fdr_span_is(struct fdr_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

/*
 * Decode one reference at v[i] == '&'. Returns its length and the code point in *cp, or 0.
 * XML 1.0 §4.1, §4.6: &amp; &lt; &gt; &quot; &apos; &#N; &#xH; (Char range only).
 */
static uint32_t
fdr_ref(const uint8_t *v, uint32_t n, uint32_t *cp)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = {
	        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	uint32_t i, val = 0;
	bool hex;

	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		size_t l = strlen(named[k].name);

		if (n >= l && memcmp(v, named[k].name, l) == 0) {
			*cp = named[k].cp;
			return (uint32_t)l;
		}
	}
	if (n < 4 || v[1] != '#')
		return 0;
	hex = v[2] == 'x';
	for (i = hex ? 3 : 2; i < n && v[i] != ';'; i++) {
		uint8_t ch = v[i];
		uint32_t d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (hex && (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			d = (uint32_t)((ch | 0x20) - 'a' + 10);
		else
			return 0;
		val = val * (hex ? 16 : 10) + d;
		if (val > 0x10ffff)
			return 0; /* also bounds the loop: no overflow, at most 8 digits */
	}
	if (i >= n || v[i] != ';' || i == (hex ? 3u : 2u))
		return 0;
	/* XML 1.0 §2.2 Char */
	if (!(val == 0x9 || val == 0xa || val == 0xd || (val >= 0x20 && val <= 0xd7ff) ||
	      (val >= 0xe000 && val <= 0xfffd) || (val >= 0x10000 && val <= 0x10ffff)))
		return 0;
	*cp = val;
	return i + 1;
}

/* Attribute value between quotes: no '<', references well-formed, no raw control chars. */
static enum fdr_rc
fdr_attr_value(struct fdr_cur *c, struct fdr_span *v)
{
	uint8_t q;
	uint32_t s;

	if (c->off >= c->len || (c->b[c->off] != '"' && c->b[c->off] != '\''))
		return FDR_ERR_SYNTAX;
	q = c->b[c->off++];
	s = c->off;
	while (c->off < c->len && c->b[c->off] != q) {
		uint8_t ch = c->b[c->off];
		uint32_t cp;

		if (ch == '<')
			return FDR_ERR_SYNTAX;
		if (ch < 0x20)
			return FDR_ERR_UTF8;
		if (ch == '&') {
			uint32_t l = fdr_ref(c->b + c->off, c->len - c->off, &cp);

			if (l == 0)
				return FDR_ERR_ENTITY;
			c->off += l;
			continue;
		}
		c->off++;
	}
	if (c->off >= c->len)
		return FDR_ERR_SYNTAX;
	*v = (struct fdr_span){c->b + s, c->off - s};
	c->off++;
	return FDR_OK;
}

/* One name="value" pair; *name empty when a tag end ('>', '/>', '?>') comes next. */
static enum fdr_rc
fdr_attr(struct fdr_cur *c, struct fdr_span *name, struct fdr_span *val)
{
	uint32_t before = c->off, n;

	fdr_skip_space(c);
	name->len = 0;
	if (c->off < c->len && (c->b[c->off] == '>' || c->b[c->off] == '/' || c->b[c->off] == '?'))
		return FDR_OK; /* the caller checks which tag end it is */
	/* XML 1.0 §3.1: attributes are separated from the name and each other by S. */
	if (c->off == before)
		return FDR_ERR_SYNTAX;
	n = fdr_name(c);
	if (n == 0)
		return FDR_ERR_SYNTAX;
	*name = (struct fdr_span){c->b + c->off, n};
	c->off += n;
	fdr_skip_space(c);
	if (c->off >= c->len || c->b[c->off] != '=')
		return FDR_ERR_SYNTAX;
	c->off++;
	fdr_skip_space(c);
	return fdr_attr_value(c, val);
}

static enum fdr_rc
fdr_xml_decl(struct fdr_cur *c)
{
	struct fdr_span name, val;
	bool version = false;
	enum fdr_rc rc;

	c->off += 5; /* "<?xml" */
	for (;;) {
		rc = fdr_attr(c, &name, &val);
		if (rc != FDR_OK)
			return rc;
		if (name.len == 0)
			break;
		if (fdr_span_is(name, "version") && !version) {
			if (!fdr_span_is(val, "1.0"))
				return FDR_ERR_SYNTAX;
			version = true;
		} else if (fdr_span_is(name, "encoding") && version) {
			const char *u = "utf-8";
			uint32_t i;

			for (i = 0; i < val.len && i < 5 && fdr_lower(val.p[i]) == (uint8_t)u[i];
			     i++)
				;
			if (i != 5 || val.len != 5)
				return FDR_ERR_UTF8; /* only UTF-8 documents */
		} else if (!fdr_span_is(name, "standalone") || !version) {
			return FDR_ERR_SYNTAX;
		}
	}
	fdr_skip_space(c);
	if (!version || !fdr_at(c, "?>"))
		return FDR_ERR_SYNTAX;
	c->off += 2;
	return FDR_OK;
}

/* Skip S and reject markup the document never contains (no DTD, so no entity expansion). */
static enum fdr_rc
fdr_misc(struct fdr_cur *c)
{
	fdr_skip_space(c);
	if (fdr_at(c, "<!") || fdr_at(c, "<?"))
		return FDR_ERR_UNSUPPORTED;
	return FDR_OK;
}

static enum fdr_rc
fdr_recipient_parse(struct fdr_cur *c, struct fdr_recipient *x)
{
	struct fdr_span name, val;
	bool have_uri = false, have_status = false, have_outcome = false;
	enum fdr_rc rc;

	for (;;) {
		uint32_t at = c->off;

		rc = fdr_attr(c, &name, &val);
		if (rc != FDR_OK)
			return rc;
		if (name.len == 0)
			break;
		if (fdr_span_is(name, "uri")) {
			if (have_uri)
				return (c->off = at, FDR_ERR_ATTR_DUP);
			if (val.len == 0)
				return (c->off = at, FDR_ERR_URI);
			x->uri = val;
			have_uri = true;
		} else if (fdr_span_is(name, "status")) {
			if (have_status)
				return (c->off = at, FDR_ERR_ATTR_DUP);
			if (val.len != 3 || val.p[0] < '1' || val.p[0] > '6' || val.p[1] < '0' ||
			    val.p[1] > '9' || val.p[2] < '0' || val.p[2] > '9')
				return (c->off = at, FDR_ERR_STATUS);
			x->status = (uint16_t)((val.p[0] - '0') * 100 + (val.p[1] - '0') * 10 +
			                       (val.p[2] - '0'));
			have_status = true;
		} else if (fdr_span_is(name, "outcome")) {
			int o = fdr_outcome_parse(val.p, val.len);

			if (have_outcome)
				return (c->off = at, FDR_ERR_ATTR_DUP);
			if (o < 0)
				return (c->off = at, FDR_ERR_OUTCOME);
			x->outcome = (uint8_t)o;
			have_outcome = true;
		} else if (memchr(name.p, ':', name.len) == NULL) {
			/* Namespaced attributes (p:x) are extensions; plain unknown ones are not.
			 */
			return (c->off = at, FDR_ERR_ATTR_UNKNOWN);
		}
	}
	if (!have_uri)
		return FDR_ERR_URI;
	if (!have_status)
		return FDR_ERR_STATUS;
	if (!have_outcome)
		return FDR_ERR_OUTCOME;
	if (fdr_at(c, "/>")) {
		c->off += 2;
		return FDR_OK;
	}
	if (!fdr_at(c, ">"))
		return FDR_ERR_SYNTAX;
	/* <recipient ...></recipient> with only whitespace inside. */
	c->off++;
	fdr_skip_space(c);
	if (!fdr_at(c, "</recipient"))
		return FDR_ERR_ELEMENT;
	c->off += 11;
	fdr_skip_space(c);
	if (!fdr_at(c, ">"))
		return FDR_ERR_SYNTAX;
	c->off++;
	return FDR_OK;
}

static enum fdr_rc
fdr_parse_doc(struct fdr_cur *c, struct fdr_report *r, uint32_t rcpt_cap)
{
	struct fdr_span name, val;
	bool have_ns = false, have_mid = false;
	enum fdr_rc rc;

	/* The document is UTF-8 with no C0 controls except S (XML 1.0 §2.2). */
	for (uint32_t i = 0; i < c->len;) {
		uint32_t n = (uint32_t)utf8_seq_len(c->b + i, c->len - i);

		if (n == 0 || (c->b[i] < 0x20 && !fdr_is_space(c->b[i])) || c->b[i] == 0x7f) {
			c->off = i;
			return FDR_ERR_UTF8;
		}
		i += n;
	}
	if (fdr_at(c, "<?xml") && c->len - c->off > 5 && fdr_is_space(c->b[c->off + 5])) {
		rc = fdr_xml_decl(c);
		if (rc != FDR_OK)
			return rc;
	}
	rc = fdr_misc(c);
	if (rc != FDR_OK)
		return rc;
	if (!fdr_at(c, "<final-report") || c->len - c->off <= 13 ||
	    (!fdr_is_space(c->b[c->off + 13]) && c->b[c->off + 13] != '>' &&
	     c->b[c->off + 13] != '/'))
		return fdr_at(c, "<") ? FDR_ERR_ROOT : FDR_ERR_SYNTAX;
	c->off += 13;
	for (;;) {
		uint32_t at = c->off;

		rc = fdr_attr(c, &name, &val);
		if (rc != FDR_OK)
			return rc;
		if (name.len == 0)
			break;
		if (fdr_span_is(name, "xmlns")) {
			if (have_ns)
				return (c->off = at, FDR_ERR_ATTR_DUP);
			if (!fdr_span_is(val, FDR_XMLNS))
				return (c->off = at, FDR_ERR_NAMESPACE);
			have_ns = true;
		} else if (fdr_span_is(name, "message-id")) {
			if (have_mid)
				return (c->off = at, FDR_ERR_ATTR_DUP);
			if (val.len == 0)
				return (c->off = at, FDR_ERR_MESSAGE_ID);
			r->message_id = val;
			have_mid = true;
		} else if (memchr(name.p, ':', name.len) == NULL) {
			return (c->off = at, FDR_ERR_ATTR_UNKNOWN);
		}
	}
	if (!have_ns)
		return FDR_ERR_NAMESPACE;
	if (!have_mid)
		return FDR_ERR_MESSAGE_ID;
	if (fdr_at(c, "/>"))
		return FDR_ERR_NO_RECIPIENT;
	if (!fdr_at(c, ">"))
		return FDR_ERR_SYNTAX;
	c->off++;
	for (;;) {
		rc = fdr_misc(c);
		if (rc != FDR_OK)
			return rc;
		if (fdr_at(c, "</final-report")) {
			c->off += 14;
			fdr_skip_space(c);
			if (!fdr_at(c, ">"))
				return FDR_ERR_SYNTAX;
			c->off++;
			break;
		}
		if (!fdr_at(c, "<recipient") || c->len - c->off <= 10 ||
		    (!fdr_is_space(c->b[c->off + 10]) && c->b[c->off + 10] != '/' &&
		     c->b[c->off + 10] != '>'))
			return c->off >= c->len ? FDR_ERR_SYNTAX : FDR_ERR_ELEMENT;
		if (r->n_rcpt >= rcpt_cap)
			return FDR_ERR_TOO_MANY;
		c->off += 10;
		rc = fdr_recipient_parse(c, &r->rcpt[r->n_rcpt]);
		if (rc != FDR_OK)
			return rc;
		r->n_rcpt++;
	}
	if (r->n_rcpt == 0)
		return FDR_ERR_NO_RECIPIENT;
	rc = fdr_misc(c);
	if (rc != FDR_OK)
		return rc;
	return c->off == c->len ? FDR_OK : FDR_ERR_TRAILING;
}

enum fdr_rc
fdr_parse(const uint8_t *buf, uint32_t len, struct fdr_report *r, uint32_t rcpt_cap)
{
	struct fdr_cur c = {.b = buf, .len = len, .off = 0};
	enum fdr_rc rc;

	r->message_id = (struct fdr_span){NULL, 0};
	r->n_rcpt = 0;
	r->err_off = 0;
	if (len > FDR_DOC_MAX)
		return FDR_ERR_TOO_BIG;
	rc = fdr_parse_doc(&c, r, rcpt_cap);
	if (rc != FDR_OK) {
		r->err_off = c.off;
		r->n_rcpt = 0;
	}
	return rc;
}

ssize_t
fdr_unescape(struct fdr_span v, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (uint32_t i = 0; i < v.len;) {
		uint8_t enc[4];
		uint32_t cp, l, n;

		if (v.p[i] != '&') {
			if (o >= cap)
				return -ENOSPC;
			out[o++] = v.p[i++];
			continue;
		}
		l = fdr_ref(v.p + i, v.len - i, &cp);
		if (l == 0)
			return -EINVAL;
		i += l;
		/* RFC 3629 encoding of the referenced code point. */
		if (cp < 0x80) {
			enc[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			enc[0] = (uint8_t)(0xc0 | (cp >> 6));
			enc[1] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			enc[0] = (uint8_t)(0xe0 | (cp >> 12));
			enc[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[2] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			enc[0] = (uint8_t)(0xf0 | (cp >> 18));
			enc[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			enc[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[3] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (n > cap - o)
			return -ENOSPC;
		memcpy(out + o, enc, n);
		o += n;
	}
	return (ssize_t)o;
}
