/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded output cursor for the protocol builders (MSRP, CPIM, final report): they write
 * into caller memory and never allocate. After the first append that does not fit, the
 * cursor is "full" and every later append is a no-op, so a builder appends unconditionally
 * and checks once at the end (wbuf_result()). A builder that meets bad input records it with
 * wbuf_fail(); that error wins over running out of room.
 *
 * Text builders that promise a NUL-terminated cut prefix on -ENOSPC (cdr, conference-info)
 * start with wbuf_init_cstr() and end with wbuf_result_cstr(): the append that does not fit
 * still stores what fits, so the buffer holds the longest prefix of the output.
 *
 * Thread-safety: a cursor belongs to the caller's stack frame; no shared state.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;  /* bytes of the appends that fit */
	bool full;   /* an append did not fit: later appends are no-ops */
	bool prefix; /* on overflow, store the part that fits (wbuf_init_cstr()) */
	int err;     /* first wbuf_fail() error, 0 if none */
};

static inline void
wbuf_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->len = 0;
	w->full = false;
	w->prefix = false;
	w->err = 0;
}

/* As wbuf_init(), for text whose cut prefix the caller keeps (see wbuf_result_cstr()). */
static inline void
wbuf_init_cstr(struct wbuf *w, char *p, size_t cap)
{
	wbuf_init(w, (uint8_t *)p, cap);
	w->prefix = true;
}

/* Records bad input (a negative errno, e.g. -EINVAL); the first error is kept. */
static inline void
wbuf_fail(struct wbuf *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

static inline void
wbuf_put(struct wbuf *w, const void *src, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		if (!w->full && w->prefix && w->cap > w->len)
			memcpy(w->p + w->len, src, w->cap - w->len);
		w->full = true;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void
wbuf_put_str(struct wbuf *w, const char *s)
{
	wbuf_put(w, s, strlen(s));
}

/* Decimal, no leading zeros. */
static inline void
wbuf_put_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	wbuf_put(w, tmp + i, sizeof(tmp) - i);
}

/*
 * printf-style append of a short item (numbers, times): one that formats to WBUF_FMT_MAX
 * bytes or more is a builder bug and records -EINVAL instead of being cut.
 */
#define WBUF_FMT_MAX 96

__attribute__((format(printf, 2, 3))) static inline void
wbuf_printf(struct wbuf *w, const char *fmt, ...)
{
	char tmp[WBUF_FMT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		wbuf_fail(w, -EINVAL);
		return;
	}
	wbuf_put(w, tmp, (size_t)n);
}

/* Bytes written; the wbuf_fail() error; or -ENOSPC when anything did not fit. */
static inline ssize_t
wbuf_result(const struct wbuf *w)
{
	if (w->err != 0)
		return w->err;
	return w->full ? -ENOSPC : (ssize_t)w->len;
}

/*
 * Ends a wbuf_init_cstr() text with its NUL. Returns the length without the NUL; the
 * wbuf_fail() error; or -ENOSPC when the text and its NUL do not fit, the buffer then
 * holding the longest prefix that does, NUL-terminated (when cap > 0).
 */
static inline ssize_t
wbuf_result_cstr(struct wbuf *w)
{
	if (w->err != 0)
		return w->err;
	wbuf_put(w, "", 1);
	if (w->full) {
		if (w->cap > 0)
			w->p[w->cap - 1] = '\0';
		return -ENOSPC;
	}
	return (ssize_t)w->len - 1;
}
