/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "client/cl_cinfo.h"

/* What an open element is to the reader: a place in conference-info/users/user/... or not. */
enum cl_cx_kind {
	CL_CX_OTHER = 0,
	CL_CX_ROOT,     /* conference-info */
	CL_CX_USERS,    /* conference-info/users */
	CL_CX_USER,     /* .../users/user */
	CL_CX_DISPLAY,  /* .../user/display-text */
	CL_CX_ENDPOINT, /* .../user/endpoint */
	CL_CX_STATUS,   /* .../endpoint/status */
	CL_CX_DISC,     /* .../endpoint/disconnection-method */
};

/* Where text goes while an element we keep is open. */
struct cl_cx_text {
	char *buf;
	size_t cap, len;
	bool cut; /* something did not fit */
};

struct cl_cx {
	const char *p, *end;
	struct cl_cinfo_doc *d;
	struct cl_cinfo_user *user; /* the <user> being read (NULL: dropped or none) */
	uint32_t depth;
	bool root_done;
	const char *name[CL_CINFO_DEPTH_MAX]; /* qualified names of the open elements */
	size_t name_len[CL_CINFO_DEPTH_MAX];
	enum cl_cx_kind kind[CL_CINFO_DEPTH_MAX];
	struct cl_cx_text text; /* buf NULL: not capturing */
	uint32_t text_depth;    /* depth of the element whose text is captured */
};

static bool
cl_cx_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
cl_cx_name_char(char c)
{
	return !cl_cx_space(c) && c != '/' && c != '>' && c != '<' && c != '=' && c != '"' &&
	       c != '\'';
}

/* The local part of a qualified name (after the last ':'). */
static bool
cl_cx_local_is(const char *n, size_t len, const char *want)
{
	size_t wl = strlen(want);

	for (size_t i = len; i > 0; i--)
		if (n[i - 1] == ':') {
			n += i;
			len -= i;
			break;
		}
	return len == wl && memcmp(n, want, wl) == 0;
}

static void
cl_cx_put(struct cl_cx_text *t, const char *s, size_t n)
{
	if (t->buf == NULL || t->cut)
		return;
	if (t->len + n + 1 > t->cap) {
		/* What fits; cl_cx_text_finish() drops a sequence cut in the middle. */
		n = t->cap - 1 - t->len;
		t->cut = true;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void
cl_cx_put_cp(struct cl_cx_text *t, uint32_t cp)
{
	char u[4];
	size_t n;

	/* XML 1.0 §2.2: no NUL, no surrogates, nothing above U+10FFFF. */
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = '?';
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	cl_cx_put(t, u, n);
}

/*
 * Character data [s, e) with references decoded (XML 1.0 §4.1, §4.6). An unknown or
 * malformed reference is kept as written: the reader is tolerant, and nothing is expanded
 * beyond the five predefined entities and character references.
 */
static void
cl_cx_put_decoded(struct cl_cx_text *t, const char *s, const char *e)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};

	while (s < e) {
		const char *amp = memchr(s, '&', (size_t)(e - s)), *semi;
		bool done = false;

		if (amp == NULL) {
			cl_cx_put(t, s, (size_t)(e - s));
			return;
		}
		cl_cx_put(t, s, (size_t)(amp - s));
		semi = memchr(amp, ';', (size_t)(e - amp) < 12 ? (size_t)(e - amp) : 12);
		if (semi != NULL && amp[1] == '#') {
			const char *q = amp + 2;
			uint32_t cp = 0, base = 10;
			bool any = false;

			if (q < semi && (*q == 'x' || *q == 'X'))
				base = 16, q++;
			for (; q < semi && cp <= 0x10ffff; q++) {
				uint32_t v;

				if (*q >= '0' && *q <= '9')
					v = (uint32_t)(*q - '0');
				else if (base == 16 && *q >= 'a' && *q <= 'f')
					v = (uint32_t)(*q - 'a' + 10);
				else if (base == 16 && *q >= 'A' && *q <= 'F')
					v = (uint32_t)(*q - 'A' + 10);
				else
					break;
				cp = cp * base + v;
				any = true;
			}
			if (any && q == semi) {
				cl_cx_put_cp(t, cp);
				done = true;
			}
		} else if (semi != NULL) {
			for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
				if ((size_t)(semi - amp - 1) == strlen(ents[i].name) &&
				    memcmp(amp + 1, ents[i].name, strlen(ents[i].name)) == 0) {
					cl_cx_put(t, &ents[i].c, 1);
					done = true;
					break;
				}
		}
		if (done) {
			s = semi + 1;
		} else {
			cl_cx_put(t, "&", 1);
			s = amp + 1;
		}
	}
}

/* A cut string must not end inside a UTF-8 sequence; then trims surrounding white space. */
static void
cl_cx_text_finish(struct cl_cx_text *t)
{
	size_t start = 0, k;

	if (t->buf == NULL)
		return;
	if (t->cut && t->len > 0) {
		k = t->len;
		while (k > 0 && ((unsigned char)t->buf[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)t->buf[k - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)t->buf[k - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

			if (t->len - (k - 1) < need)
				t->len = k - 1;
		}
	}
	while (t->len > 0 && cl_cx_space(t->buf[t->len - 1]))
		t->len--;
	while (start < t->len && cl_cx_space(t->buf[start]))
		start++;
	memmove(t->buf, t->buf + start, t->len - start);
	t->len -= start;
	t->buf[t->len] = '\0';
}

static enum cl_cinfo_state
cl_cx_state_of(const char *v)
{
	if (strcmp(v, "partial") == 0)
		return CL_CINFO_PARTIAL;
	if (strcmp(v, "deleted") == 0)
		return CL_CINFO_DELETED;
	return CL_CINFO_FULL; /* RFC 4575 §5.1: the default */
}

static bool
cl_cx_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Attributes of a start tag up to '>' or '/>'; *empty tells which. */
static enum cl_cinfo_rc
cl_cx_attrs(struct cl_cx *x, enum cl_cx_kind kind, bool *empty, bool *has_version)
{
	for (;;) {
		const char *an, *v;
		size_t al;
		char quote, val[CL_CINFO_ENTITY_CAP];
		struct cl_cx_text t = {.buf = val, .cap = sizeof(val)};

		while (x->p < x->end && cl_cx_space(*x->p))
			x->p++;
		if (x->p >= x->end)
			return CL_CINFO_ERR_SYNTAX;
		if (*x->p == '>') {
			x->p++;
			*empty = false;
			return CL_CINFO_OK;
		}
		if (*x->p == '/') {
			if (x->end - x->p < 2 || x->p[1] != '>')
				return CL_CINFO_ERR_SYNTAX;
			x->p += 2;
			*empty = true;
			return CL_CINFO_OK;
		}
		an = x->p;
		while (x->p < x->end && cl_cx_name_char(*x->p))
			x->p++;
		al = (size_t)(x->p - an);
		while (x->p < x->end && cl_cx_space(*x->p))
			x->p++;
		if (al == 0 || x->p >= x->end || *x->p != '=')
			return CL_CINFO_ERR_SYNTAX;
		x->p++;
		while (x->p < x->end && cl_cx_space(*x->p))
			x->p++;
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return CL_CINFO_ERR_SYNTAX;
		quote = *x->p++;
		v = x->p;
		while (x->p < x->end && *x->p != quote) {
			if (*x->p == '<')
				return CL_CINFO_ERR_SYNTAX; /* XML 1.0 §3.1 AttValue */
			x->p++;
		}
		if (x->p >= x->end)
			return CL_CINFO_ERR_SYNTAX;
		val[0] = '\0';
		cl_cx_put_decoded(&t, v, x->p);
		cl_cx_text_finish(&t);
		x->p++;
		if (kind == CL_CX_ROOT) {
			if (cl_cx_local_is(an, al, "version"))
				*has_version = cl_cx_u32(val, &x->d->version);
			else if (cl_cx_local_is(an, al, "state"))
				x->d->state = cl_cx_state_of(val);
			else if (cl_cx_local_is(an, al, "entity"))
				memcpy(x->d->entity, val, t.len + 1);
		} else if (kind == CL_CX_USER && x->user != NULL) {
			if (cl_cx_local_is(an, al, "entity"))
				memcpy(x->user->entity, val, t.len + 1);
			else if (cl_cx_local_is(an, al, "state"))
				x->user->state = cl_cx_state_of(val);
		}
	}
}

static enum cl_cx_kind
cl_cx_kind_of(const struct cl_cx *x, const char *n, size_t len)
{
	enum cl_cx_kind parent = x->depth > 0 ? x->kind[x->depth - 1] : CL_CX_OTHER;

	if (x->depth == 0)
		return cl_cx_local_is(n, len, "conference-info") ? CL_CX_ROOT : CL_CX_OTHER;
	switch (parent) {
	case CL_CX_ROOT:
		return cl_cx_local_is(n, len, "users") ? CL_CX_USERS : CL_CX_OTHER;
	case CL_CX_USERS:
		return cl_cx_local_is(n, len, "user") ? CL_CX_USER : CL_CX_OTHER;
	case CL_CX_USER:
		if (cl_cx_local_is(n, len, "display-text"))
			return CL_CX_DISPLAY;
		return cl_cx_local_is(n, len, "endpoint") ? CL_CX_ENDPOINT : CL_CX_OTHER;
	case CL_CX_ENDPOINT:
		if (cl_cx_local_is(n, len, "status"))
			return CL_CX_STATUS;
		return cl_cx_local_is(n, len, "disconnection-method") ? CL_CX_DISC : CL_CX_OTHER;
	default:
		return CL_CX_OTHER;
	}
}

/* Starts capturing the text of the element just opened, when it is one we keep. */
static void
cl_cx_capture(struct cl_cx *x, enum cl_cx_kind kind)
{
	struct cl_cinfo_user *u = x->user;
	char *buf = NULL;
	size_t cap = 0;

	if (u == NULL || x->text.buf != NULL)
		return;
	if (kind == CL_CX_DISPLAY && !u->has_display) {
		buf = u->display, cap = sizeof(u->display);
		u->has_display = true;
	} else if (kind == CL_CX_STATUS && !u->has_status) {
		buf = u->status, cap = sizeof(u->status);
		u->has_status = true;
	} else if (kind == CL_CX_DISC && !u->has_disconnect) {
		buf = u->disconnect, cap = sizeof(u->disconnect);
		u->has_disconnect = true;
	}
	if (buf == NULL)
		return;
	buf[0] = '\0';
	x->text = (struct cl_cx_text){.buf = buf, .cap = cap};
	x->text_depth = x->depth - 1; /* the element just opened */
}

static enum cl_cinfo_rc
cl_cx_start_tag(struct cl_cx *x)
{
	const char *n = x->p;
	enum cl_cx_kind kind;
	enum cl_cinfo_rc rc;
	bool empty = false, has_version = false;
	size_t len;

	while (x->p < x->end && cl_cx_name_char(*x->p))
		x->p++;
	len = (size_t)(x->p - n);
	if (len == 0)
		return CL_CINFO_ERR_SYNTAX;
	if (x->root_done)
		return CL_CINFO_ERR_SYNTAX; /* XML 1.0 §2.1: one root element */
	if (x->depth >= CL_CINFO_DEPTH_MAX)
		return CL_CINFO_ERR_DEPTH;
	kind = cl_cx_kind_of(x, n, len);
	if (x->depth == 0 && kind != CL_CX_ROOT)
		return CL_CINFO_ERR_NOT_CINFO;
	if (kind == CL_CX_USER) {
		if (x->d->n_users < CL_CINFO_USERS_MAX) {
			x->user = &x->d->users[x->d->n_users++];
			memset(x->user, 0, sizeof(*x->user));
		} else {
			x->user = NULL;
			x->d->users_dropped++;
		}
	}
	rc = cl_cx_attrs(x, kind, &empty, &has_version);
	if (rc != CL_CINFO_OK)
		return rc;
	if (kind == CL_CX_ROOT && !has_version)
		return CL_CINFO_ERR_VERSION; /* RFC 4575 §5.1: version is mandatory */
	if (empty) {
		if (kind == CL_CX_USER)
			x->user = NULL;
		if (x->depth == 0)
			x->root_done = true;
		return CL_CINFO_OK;
	}
	x->name[x->depth] = n;
	x->name_len[x->depth] = len;
	x->kind[x->depth] = kind;
	x->depth++;
	cl_cx_capture(x, kind);
	return CL_CINFO_OK;
}

static enum cl_cinfo_rc
cl_cx_end_tag(struct cl_cx *x)
{
	const char *n = x->p;
	size_t len;

	while (x->p < x->end && cl_cx_name_char(*x->p))
		x->p++;
	len = (size_t)(x->p - n);
	while (x->p < x->end && cl_cx_space(*x->p))
		x->p++;
	if (x->p >= x->end || *x->p != '>' || x->depth == 0 || len != x->name_len[x->depth - 1] ||
	    memcmp(n, x->name[x->depth - 1], len) != 0)
		return CL_CINFO_ERR_SYNTAX;
	x->p++;
	x->depth--;
	if (x->text.buf != NULL && x->text_depth == x->depth) {
		cl_cx_text_finish(&x->text);
		x->text.buf = NULL;
	}
	if (x->kind[x->depth] == CL_CX_USER)
		x->user = NULL;
	if (x->depth == 0)
		x->root_done = true;
	return CL_CINFO_OK;
}

/* Skips to just after the terminator; false when it is missing. */
static bool
cl_cx_skip_past(struct cl_cx *x, const char *term)
{
	size_t tl = strlen(term);

	for (const char *q = x->p; (size_t)(x->end - q) >= tl; q++)
		if (memcmp(q, term, tl) == 0) {
			x->p = q + tl;
			return true;
		}
	return false;
}

static bool
cl_cx_starts(const struct cl_cx *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* <!DOCTYPE ...> with an optional internal subset: skipped, nothing declared is used. */
static bool
cl_cx_skip_decl(struct cl_cx *x)
{
	int brackets = 0;
	char quote = 0;

	for (; x->p < x->end; x->p++) {
		char c = *x->p;

		if (quote != 0) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '[') {
			brackets++;
		} else if (c == ']') {
			brackets--;
		} else if (c == '>' && brackets <= 0) {
			x->p++;
			return true;
		}
	}
	return false;
}

enum cl_cinfo_rc
cl_cinfo_parse(const char *xml, size_t len, struct cl_cinfo_doc *d)
{
	struct cl_cx x;
	enum cl_cinfo_rc rc;

	memset(d, 0, sizeof(*d));
	memset(&x, 0, sizeof(x));
	x.p = xml;
	x.end = xml + len;
	x.d = d;
	while (x.p < x.end) {
		if (*x.p != '<') {
			const char *lt = memchr(x.p, '<', (size_t)(x.end - x.p));
			const char *e = lt != NULL ? lt : x.end;

			cl_cx_put_decoded(&x.text, x.p, e);
			x.p = e;
			continue;
		}
		if (cl_cx_starts(&x, "<!--")) {
			x.p += 4;
			if (!cl_cx_skip_past(&x, "-->"))
				return CL_CINFO_ERR_SYNTAX;
		} else if (cl_cx_starts(&x, "<![CDATA[")) {
			const char *s = x.p + 9;

			x.p = s;
			if (!cl_cx_skip_past(&x, "]]>"))
				return CL_CINFO_ERR_SYNTAX;
			cl_cx_put(&x.text, s, (size_t)(x.p - 3 - s));
		} else if (cl_cx_starts(&x, "<?")) {
			x.p += 2;
			if (!cl_cx_skip_past(&x, "?>"))
				return CL_CINFO_ERR_SYNTAX;
		} else if (cl_cx_starts(&x, "<!")) {
			x.p += 2;
			if (!cl_cx_skip_decl(&x))
				return CL_CINFO_ERR_SYNTAX;
		} else if (cl_cx_starts(&x, "</")) {
			x.p += 2;
			if ((rc = cl_cx_end_tag(&x)) != CL_CINFO_OK)
				return rc;
		} else {
			x.p++;
			if ((rc = cl_cx_start_tag(&x)) != CL_CINFO_OK)
				return rc;
		}
	}
	if (!x.root_done)
		return x.depth == 0 ? CL_CINFO_ERR_NOT_CINFO : CL_CINFO_ERR_SYNTAX;
	return CL_CINFO_OK;
}

const char *
cl_cinfo_strerror(enum cl_cinfo_rc rc)
{
	switch (rc) {
	case CL_CINFO_OK:
		return "ok";
	case CL_CINFO_ERR_SYNTAX:
		return "not well-formed XML";
	case CL_CINFO_ERR_DEPTH:
		return "elements nested too deeply";
	case CL_CINFO_ERR_NOT_CINFO:
		return "not a conference-info document";
	case CL_CINFO_ERR_VERSION:
		return "conference-info without a version";
	}
	return "?";
}

/* ---- the tracked state ---- */

static bool
cl_cinfo_connected(const struct cl_cinfo_user *u)
{
	/* A user without endpoint status is taken as there (RFC 4575 leaves it optional). */
	return !u->has_status || strcmp(u->status, "connected") == 0;
}

bool
cl_cinfo_user_present(const struct cl_cinfo_user *u)
{
	return u->state != CL_CINFO_DELETED &&
	       (!u->has_status || strcmp(u->status, "disconnected") != 0);
}

static struct cl_cinfo_user *
cl_cinfo_find(struct cl_cinfo_list *s, const char *entity)
{
	for (uint32_t i = 0; i < s->n_users; i++)
		if (strcmp(s->users[i].entity, entity) == 0)
			return &s->users[i];
	return NULL;
}

static void
cl_cinfo_emit(cl_cinfo_ev_fn *fn, void *ctx, enum cl_cinfo_ev_type type,
              const struct cl_cinfo_user *u, const char *old_display, const char *method)
{
	struct cl_cinfo_ev ev = {type, u, old_display, method};

	if (fn != NULL)
		fn(ctx, &ev);
}

static void
cl_cinfo_remove(struct cl_cinfo_list *s, struct cl_cinfo_user *u)
{
	size_t i = (size_t)(u - s->users);

	memmove(u, u + 1, (s->n_users - i - 1) * sizeof(*u));
	s->n_users--;
}

/*
 * One user of a document against the state. Only present users are kept: a user that is
 * disconnected or deleted leaves the state (and is reported when it was there).
 */
static void
cl_cinfo_apply_user(struct cl_cinfo_list *s, const struct cl_cinfo_user *in, bool quiet,
                    cl_cinfo_ev_fn *fn, void *ctx)
{
	struct cl_cinfo_user *cur = cl_cinfo_find(s, in->entity), next;
	char old_display[CL_CINFO_DISPLAY_CAP];

	if (in->entity[0] == '\0')
		return; /* RFC 4575 §5.6: entity is mandatory; nothing to key it on */
	if (cur != NULL && in->state == CL_CINFO_PARTIAL) {
		next = *cur; /* only what the document carries changes */
		if (in->has_display)
			memcpy(next.display, in->display, sizeof(next.display)),
			        next.has_display = true;
		if (in->has_status)
			memcpy(next.status, in->status, sizeof(next.status)),
			        next.has_status = true;
		if (in->has_disconnect) {
			memcpy(next.disconnect, in->disconnect, sizeof(next.disconnect));
			next.has_disconnect = true;
		}
	} else {
		next = *in;
	}
	next.state = in->state == CL_CINFO_DELETED ? CL_CINFO_DELETED : CL_CINFO_FULL;
	if (!cl_cinfo_user_present(&next)) {
		if (cur != NULL) {
			/* The report shows who left (the old record) and how. */
			next = *cur;
			if (in->has_disconnect)
				memcpy(next.disconnect, in->disconnect, sizeof(next.disconnect));
			cl_cinfo_remove(s, cur);
			if (!quiet)
				cl_cinfo_emit(fn, ctx, CL_CINFO_EV_LEFT, &next, NULL,
				              in->has_disconnect ? in->disconnect : "");
		}
		return;
	}
	if (cur == NULL) {
		if (s->n_users >= CL_CINFO_USERS_MAX)
			return; /* bounded: the list shows the first CL_CINFO_USERS_MAX */
		cur = &s->users[s->n_users++];
		*cur = next;
		if (!quiet)
			cl_cinfo_emit(fn, ctx,
			              cl_cinfo_connected(cur) ? CL_CINFO_EV_JOINED
			                                      : CL_CINFO_EV_STATUS,
			              cur, NULL, NULL);
		return;
	}
	memcpy(old_display, cur->display, sizeof(old_display));
	{
		bool was_conn = cl_cinfo_connected(cur), renamed, restat;

		renamed = strcmp(cur->display, next.display) != 0;
		restat =
		        strcmp(cur->status, next.status) != 0 || cur->has_status != next.has_status;
		*cur = next;
		if (quiet)
			return;
		if (restat)
			cl_cinfo_emit(fn, ctx,
			              cl_cinfo_connected(cur) && !was_conn ? CL_CINFO_EV_JOINED
			                                                   : CL_CINFO_EV_STATUS,
			              cur, NULL, NULL);
		if (renamed)
			cl_cinfo_emit(fn, ctx, CL_CINFO_EV_RENAMED, cur, old_display, NULL);
	}
}

enum cl_cinfo_apply
cl_cinfo_apply(struct cl_cinfo_list *s, const struct cl_cinfo_doc *d, cl_cinfo_ev_fn *fn, void *ctx)
{
	if (d->state != CL_CINFO_FULL) {
		/* RFC 4575 §4.6: a partial applies only on top of version - 1. */
		if (!s->have)
			return CL_CINFO_GAP;
		if (d->version <= s->version)
			return CL_CINFO_STALE;
		if (d->version != s->version + 1)
			return CL_CINFO_GAP;
		for (uint32_t i = 0; i < d->n_users; i++)
			cl_cinfo_apply_user(s, &d->users[i], false, fn, ctx);
	} else {
		bool quiet = !s->have;

		if (s->have && d->version <= s->version)
			return CL_CINFO_STALE;
		/* Who is not in a full document is gone. */
		for (uint32_t i = 0; i < s->n_users;) {
			bool found = false;

			for (uint32_t j = 0; j < d->n_users && !found; j++)
				found = strcmp(d->users[j].entity, s->users[i].entity) == 0;
			if (found) {
				i++;
				continue;
			}
			{
				struct cl_cinfo_user gone = s->users[i];

				cl_cinfo_remove(s, &s->users[i]);
				if (!quiet)
					cl_cinfo_emit(fn, ctx, CL_CINFO_EV_LEFT, &gone, NULL, "");
			}
		}
		for (uint32_t i = 0; i < d->n_users; i++)
			cl_cinfo_apply_user(s, &d->users[i], quiet, fn, ctx);
		s->have = true;
	}
	s->version = d->version;
	return CL_CINFO_APPLIED;
}

void
cl_cinfo_restart(struct cl_cinfo_list *s)
{
	s->version = 0;
}
