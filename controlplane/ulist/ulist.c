/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "ulist/ulist.h"

static const char *
ulist_find(const char *h, size_t hl, const char *n, size_t nl)
{
	if (nl == 0 || hl < nl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

int
ulist_boundary(const char *ctype, const char **b, size_t *blen)
{
	const char *p = strcasestr(ctype, "boundary=");
	const char *e;

	if (p == NULL)
		return -1;
	p += 9;
	if (*p == '"') {
		p++;
		e = strchr(p, '"');
	} else {
		e = p + strcspn(p, "; \t\r\n");
	}
	if (e == NULL || e == p || e - p > 70) /* RFC 2046 §5.1.1: 1..70 characters */
		return -1;
	*b = p;
	*blen = (size_t)(e - p);
	return 0;
}

int
ulist_multipart(const char *body, size_t len, const char *boundary, size_t blen,
                struct ulist_part *parts, int max)
{
	char delim[80];
	const char *p, *end = body + len;
	int n = 0;

	if (blen == 0 || blen > 70)
		return -1;
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, boundary, blen);
	/* The first delimiter may start the body or follow a preamble. */
	p = ulist_find(body, len, delim, blen + 2);
	if (p == NULL)
		return -1;
	for (;;) {
		const char *q = p + blen + 2, *next, *hdr_end, *t;

		if (end - q >= 2 && q[0] == '-' && q[1] == '-')
			return n; /* close-delimiter */
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL)
			return -1;
		q++;
		next = ulist_find(q, (size_t)(end - q), delim, blen + 2);
		if (next == NULL || n == max)
			return -1;
		/* Headers end at the first empty line. */
		hdr_end = ulist_find(q, (size_t)(next - q), "\r\n\r\n", 4);
		t = hdr_end != NULL ? hdr_end + 4 : NULL;
		if (hdr_end == NULL) {
			hdr_end = ulist_find(q, (size_t)(next - q), "\n\n", 2);
			t = hdr_end != NULL ? hdr_end + 2 : NULL;
		}
		if (q[0] == '\r' || q[0] == '\n') { /* no headers: text/plain by default */
			hdr_end = q;
			t = q + (q[0] == '\r' ? 2 : 1);
		}
		if (hdr_end == NULL || t > next)
			return -1;
		parts[n].type = NULL;
		parts[n].type_len = 0;
		for (const char *h = q; h < hdr_end;) {
			const char *le = memchr(h, '\n', (size_t)(hdr_end - h));

			if (le == NULL)
				le = hdr_end;
			if ((size_t)(le - h) > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
				const char *v = h + 13, *ve;

				while (v < le && (*v == ' ' || *v == '\t'))
					v++;
				ve = v;
				while (ve < le && *ve != ';' && *ve != '\r' && *ve != '\n' &&
				       *ve != ' ')
					ve++;
				parts[n].type = v;
				parts[n].type_len = (size_t)(ve - v);
			}
			h = le + 1;
		}
		parts[n].body = t;
		/* The CRLF before the next delimiter belongs to the delimiter. */
		parts[n].body_len = (size_t)(next - t);
		if (parts[n].body_len >= 2 && next[-2] == '\r' && next[-1] == '\n')
			parts[n].body_len -= 2;
		else if (parts[n].body_len >= 1 && next[-1] == '\n')
			parts[n].body_len -= 1;
		n++;
		p = next;
	}
}

/* Decodes an attribute value's entities into out; false on an unknown one or overflow. */
static bool
ulist_decode(const char *v, size_t vl, char *out, size_t cap)
{
	static const struct {
		const char *e;
		char c;
	} ents[] = {
	        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t o = 0;

	for (size_t i = 0; i < vl;) {
		char c = v[i];

		if (c == '&') {
			size_t k;

			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].e);

				if (vl - i >= el && memcmp(v + i, ents[k].e, el) == 0) {
					c = ents[k].c;
					i += el;
					break;
				}
			}
			if (k == sizeof(ents) / sizeof(ents[0]))
				return false;
		} else {
			i++;
		}
		/* A URI has no control characters (RFC 3986 §2): refuse them, NUL included. */
		if ((unsigned char)c < 0x21 || c == 0x7f || o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0;
}

/* Same URI for AHG-03: scheme and host part case-insensitive, the user part exact. */
static bool
ulist_same(const char *a, const char *b)
{
	const char *ca = strchr(a, ':'), *cb = strchr(b, ':');
	const char *at_a, *at_b;

	if (ca == NULL || cb == NULL || ca - a != cb - b || strncasecmp(a, b, (size_t)(ca - a)))
		return strcmp(a, b) == 0;
	at_a = strchr(ca, '@'); /* the user part lies between the scheme and '@' */
	at_b = strchr(cb, '@');
	if ((at_a == NULL) != (at_b == NULL))
		return false;
	if (at_a != NULL && (at_a - ca != at_b - cb || memcmp(ca, cb, (size_t)(at_a - ca)) != 0))
		return false;
	return strcasecmp(at_a != NULL ? at_a : ca, at_b != NULL ? at_b : cb) == 0;
}

int
ulist_entries(const char *xml, size_t len, char (*uris)[ULIST_URI_CAP], int max)
{
	const char *p = xml, *end = xml + len;
	int n = 0, depth = 0;
	bool root = false;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p)), *gt, *name, *ne;
		bool close, self;

		if (lt == NULL)
			break;
		if (end - lt >= 4 && memcmp(lt, "<!--", 4) == 0) {
			const char *c = ulist_find(lt + 4, (size_t)(end - lt - 4), "-->", 3);

			if (c == NULL)
				return -1;
			p = c + 3;
			continue;
		}
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			return -1;
		if (lt[1] == '?' || lt[1] == '!') { /* XML declaration, DOCTYPE */
			p = gt + 1;
			continue;
		}
		close = lt[1] == '/';
		self = gt[-1] == '/';
		name = lt + 1 + close;
		ne = name;
		while (ne < gt && *ne != ' ' && *ne != '\t' && *ne != '\r' && *ne != '\n' &&
		       *ne != '/' && *ne != '>')
			ne++;
		/* The local name after an optional namespace prefix. */
		{
			const char *colon = memchr(name, ':', (size_t)(ne - name));

			if (colon != NULL)
				name = colon + 1;
		}
		if (!root) {
			if (close || (size_t)(ne - name) != 14 ||
			    memcmp(name, "resource-lists", 14) != 0)
				return -1;
			root = true;
		}
		if (close)
			depth--;
		else if (!self)
			depth++;
		if (depth < 0)
			return -1;
		if (!close && (size_t)(ne - name) == 5 && memcmp(name, "entry", 5) == 0) {
			const char *a = ulist_find(ne, (size_t)(gt - ne), "uri=", 4), *v, *ve;
			char uri[ULIST_URI_CAP];
			bool dup = false;

			if (a == NULL || (a[4] != '"' && a[4] != '\''))
				return -1;
			v = a + 5;
			ve = memchr(v, a[4], (size_t)(gt - v));
			if (ve == NULL || !ulist_decode(v, (size_t)(ve - v), uri, sizeof(uri)))
				return -1;
			for (int k = 0; k < n && !dup; k++)
				dup = ulist_same(uris[k], uri);
			if (!dup && n < max)
				memcpy(uris[n++], uri, strlen(uri) + 1);
		}
		p = gt + 1;
	}
	return root && depth == 0 ? n : -1;
}
