/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded output cursor for the protocol builders (MSRP, CPIM, final report): they write
 * into caller memory and never allocate. After the first append that does not fit, the
 * cursor is "full" and every later append is a no-op, so a builder appends unconditionally
 * and checks once at the end (wbuf_result()).
 *
 * Thread-safety: a cursor belongs to the caller's stack frame; no shared state.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool full;
};

static inline void
wbuf_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->len = 0;
	w->full = false;
}

static inline void
wbuf_put(struct wbuf *w, const void *src, size_t n)
{
	if (w->full || n > w->cap - w->len) {
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

/* Bytes written, or -ENOSPC when anything did not fit. */
static inline ssize_t
wbuf_result(const struct wbuf *w)
{
	return w->full ? -ENOSPC : (ssize_t)w->len;
}
