/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * message/cpim builders: address rewrite (chat alias), splicing, envelope (wrap).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cpim/cpim.h"
#include "wbuf/wbuf.h"

static void
cpim_put_span(struct wbuf *o, struct cpim_span s)
{
	wbuf_put(o, s.p, s.len);
}

static bool
cpim_has_ctl(struct cpim_span s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if (s.p[i] < 0x20 || s.p[i] == 0x7f)
			return true;
	return false;
}

static bool
cpim_uri_valid(struct cpim_span u)
{
	if (u.len == 0 || cpim_has_ctl(u))
		return false;
	for (uint32_t i = 0; i < u.len; i++)
		if (u.p[i] == ' ' || u.p[i] == '<' || u.p[i] == '>')
			return false;
	return true;
}

/* `"display" <uri>` with '"' and '\' escaped (RFC 3862 §3.2 String / Escape). */
static void
cpim_put_addr(struct wbuf *o, const struct cpim_alias *a)
{
	if (a->display.len > 0) {
		uint32_t s = 0;

		wbuf_put_str(o, "\"");
		for (uint32_t i = 0; i < a->display.len; i++) {
			uint8_t c = a->display.p[i];

			if (c != '"' && c != '\\')
				continue;
			wbuf_put(o, a->display.p + s, i - s);
			wbuf_put_str(o, "\\");
			s = i;
		}
		wbuf_put(o, a->display.p + s, a->display.len - s);
		wbuf_put_str(o, "\" ");
	}
	wbuf_put_str(o, "<");
	cpim_put_span(o, a->uri);
	wbuf_put_str(o, ">");
}

static bool
cpim_alias_valid(const struct cpim_alias *a)
{
	return !cpim_has_ctl(a->display) && cpim_uri_valid(a->uri);
}

ssize_t
cpim_addr_rewrite(const struct cpim_msg *m, int idx, const struct cpim_alias *a, uint8_t *line,
                  size_t cap, struct cpim_splice *sp)
{
	struct wbuf o = {.p = line, .cap = cap};
	const struct cpim_hdr *h;
	const uint8_t *base;

	if (idx < 0 || idx >= m->n_hdr || m->from_hdr < 0 || !cpim_alias_valid(a))
		return -EINVAL;
	h = &m->hdr[idx];
	if (h->id != CPIM_H_FROM && h->id != CPIM_H_TO && h->id != CPIM_H_CC)
		return -EINVAL;
	/* Everything up to the value (name, ":", params, SP) is kept as received. */
	wbuf_put(&o, h->line.p, (size_t)(h->value.p - h->line.p));
	cpim_put_addr(&o, a);
	wbuf_put_str(&o, "\r\n");
	if (o.full)
		return -ENOSPC;
	/* Offsets are relative to the parsed buffer, which starts at the first header line. */
	base = m->hdr[0].line.p;
	sp->off = (uint32_t)(h->line.p - base);
	sp->old_len = h->line.len;
	sp->new_len = (uint32_t)o.len;
	sp->delta = (int32_t)((int64_t)o.len - (int64_t)h->line.len);
	return (ssize_t)o.len;
}

ssize_t
cpim_splice_apply(const uint8_t *body, uint32_t len, const struct cpim_splice *sp,
                  const uint8_t *const *repl, unsigned int n, uint8_t *out, size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};
	uint64_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (sp[i].off < pos || (uint64_t)sp[i].off + sp[i].old_len > len)
			return -EINVAL;
		wbuf_put(&o, body + pos, sp[i].off - pos);
		wbuf_put(&o, repl[i], sp[i].new_len);
		pos = (uint64_t)sp[i].off + sp[i].old_len;
	}
	wbuf_put(&o, body + pos, len - pos);
	return wbuf_result(&o);
}

uint64_t
cpim_splice_shift(const struct cpim_splice *sp, unsigned int n, uint64_t pos)
{
	int64_t shift = 0;

	if (pos == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t end = (uint64_t)sp[i].off + sp[i].old_len; /* 0-based, exclusive */

		if (pos - 1 >= end)
			shift += sp[i].delta;
		else if (pos - 1 >= sp[i].off)
			return (uint64_t)((int64_t)sp[i].off + 1 + shift);
	}
	return (uint64_t)((int64_t)pos + shift);
}

int64_t
cpim_splice_delta(const struct cpim_splice *sp, unsigned int n)
{
	int64_t d = 0;

	for (unsigned int i = 0; i < n; i++)
		d += sp[i].delta;
	return d;
}

/* Header name for the wrap builder: [NAMECHAR+ "."] NAMECHAR+ (RFC 3862 §3.2). */
static bool
cpim_field_name_valid(struct cpim_span n)
{
	uint32_t dots = 0;

	if (n.len == 0 || n.p[0] == '.' || n.p[n.len - 1] == '.')
		return false;
	for (uint32_t i = 0; i < n.len; i++) {
		uint8_t c = n.p[i];

		if (c == '.') {
			if (++dots > 1)
				return false;
			continue;
		}
		if (!(c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b ||
		      c == 0x2d || (c >= 0x5e && c <= 0x60) || c == 0x7c || c == 0x7e ||
		      (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void
cpim_put_digits(char *p, unsigned int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * RFC 3339 UTC with milliseconds: 2026-01-02T10:11:12.000Z. The proleptic Gregorian date is
 * computed from the day number (400-year eras of 146097 days, years starting in March) so
 * no gmtime_r(), which takes glibc's timezone lock, runs on the data plane.
 */
static int
cpim_put_datetime(struct wbuf *o, int64_t ms)
{
	char t[24];
	int64_t secs, days, era, doe, yoe, doy, mp, y, sod, frac;
	unsigned int m, d;

	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	secs = (ms - frac) / 1000;
	sod = secs % 86400;
	if (sod < 0)
		sod += 86400;
	days = (secs - sod) / 86400 + 719468; /* days since 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;                                   /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999)
		return -EINVAL;
	cpim_put_digits(t, (unsigned int)y, 4);
	t[4] = '-';
	cpim_put_digits(t + 5, m, 2);
	t[7] = '-';
	cpim_put_digits(t + 8, d, 2);
	t[10] = 'T';
	cpim_put_digits(t + 11, (unsigned int)(sod / 3600), 2);
	t[13] = ':';
	cpim_put_digits(t + 14, (unsigned int)(sod / 60 % 60), 2);
	t[16] = ':';
	cpim_put_digits(t + 17, (unsigned int)(sod % 60), 2);
	t[19] = '.';
	cpim_put_digits(t + 20, (unsigned int)frac, 3);
	t[23] = 'Z';
	wbuf_put(o, t, sizeof(t));
	return 0;
}

/* "Name: value" CRLF per field (CPIM headers or MIME headers); -EINVAL on a bad one. */
static int
cpim_put_fields(struct wbuf *o, const struct cpim_field *fields, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct cpim_field *f = &fields[i];

		if (!cpim_field_name_valid(f->name) || cpim_has_ctl(f->value))
			return -EINVAL;
		cpim_put_span(o, f->name);
		wbuf_put_str(o, ": ");
		cpim_put_span(o, f->value);
		wbuf_put_str(o, "\r\n");
	}
	return 0;
}

ssize_t
cpim_wrap_prefix_build(const struct cpim_wrap *w, uint8_t *out, size_t cap)
{
	struct wbuf o = {.p = out, .cap = cap};

	if (!cpim_alias_valid(&w->from) || !cpim_alias_valid(&w->to) || w->content_type.len == 0 ||
	    cpim_has_ctl(w->content_type))
		return -EINVAL;
	wbuf_put_str(&o, "From: ");
	cpim_put_addr(&o, &w->from);
	wbuf_put_str(&o, "\r\nTo: ");
	cpim_put_addr(&o, &w->to);
	wbuf_put_str(&o, "\r\n");
	if (w->has_datetime) {
		wbuf_put_str(&o, "DateTime: ");
		if (cpim_put_datetime(&o, w->datetime_ms) < 0)
			return -EINVAL;
		wbuf_put_str(&o, "\r\n");
	}
	for (unsigned int i = 0; i < w->n_ns; i++) {
		const struct cpim_ns *ns = &w->ns[i];

		if ((ns->prefix.len > 0 && !cpim_field_name_valid(ns->prefix)) ||
		    memchr(ns->prefix.p ? (const void *)ns->prefix.p : "", '.', ns->prefix.len) ||
		    !cpim_uri_valid(ns->urn))
			return -EINVAL;
		wbuf_put_str(&o, "NS: ");
		if (ns->prefix.len > 0) {
			cpim_put_span(&o, ns->prefix);
			wbuf_put_str(&o, " ");
		}
		wbuf_put_str(&o, "<");
		cpim_put_span(&o, ns->urn);
		wbuf_put_str(&o, ">\r\n");
	}
	if (cpim_put_fields(&o, w->fields, w->n_fields) != 0)
		return -EINVAL;
	/* RFC 3862 §3: blank line, MIME headers of the encapsulated object, blank line. */
	wbuf_put_str(&o, "\r\nContent-Type: ");
	cpim_put_span(&o, w->content_type);
	wbuf_put_str(&o, "\r\n");
	if (cpim_put_fields(&o, w->mime, w->n_mime) != 0)
		return -EINVAL;
	wbuf_put_str(&o, "\r\n");
	return wbuf_result(&o);
}

ssize_t
cpim_wrap_build(const struct cpim_wrap *w, const uint8_t *content, uint32_t len, uint8_t *out,
                size_t cap)
{
	ssize_t n = cpim_wrap_prefix_build(w, out, cap);

	if (n < 0)
		return n;
	if ((size_t)len > cap - (size_t)n)
		return -ENOSPC;
	if (len > 0)
		memcpy(out + n, content, len);
	return n + (ssize_t)len;
}
