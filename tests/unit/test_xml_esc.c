/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common/xml escaping (XML 1.0 §2.2, §2.4, §2.11, §3.3.3) and the wbuf text-cursor contract its
 * users rely on: first error wins, NUL-terminated longest prefix on -ENOSPC.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "wbuf/wbuf.h"
#include "xml/xml_esc.h"

static char out[256];

/* s escaped with flags into out; returns the length or the wbuf error. */
static ssize_t
esc(const char *s, size_t len, unsigned int flags)
{
	struct wbuf w;

	wbuf_init_cstr(&w, out, sizeof(out));
	xml_esc_put(&w, s, len, flags);
	return wbuf_result_cstr(&w);
}

Test(xml_esc, markup_always_escaped)
{
	const char *in = "a&b<c>d\"e'f";

	cr_assert_eq(esc(in, strlen(in), 0), 21);
	cr_assert_str_eq(out, "a&amp;b&lt;c&gt;d\"e'f");
	cr_assert_eq(esc("]]>", 3, 0), 6);
	cr_assert_str_eq(out, "]]&gt;");
}

Test(xml_esc, quotes_by_flag)
{
	const char *in = "\"'";

	esc(in, 2, XML_ESC_QUOT);
	cr_assert_str_eq(out, "&quot;'");
	esc(in, 2, XML_ESC_APOS);
	cr_assert_str_eq(out, "\"&apos;");
	esc(in, 2, XML_ESC_QUOT | XML_ESC_APOS);
	cr_assert_str_eq(out, "&quot;&apos;");
}

Test(xml_esc, whitespace_by_flag)
{
	const char *in = "a\tb\nc\rd";

	esc(in, strlen(in), 0);
	cr_assert_str_eq(out, "a\tb\nc\rd");
	esc(in, strlen(in), XML_ESC_CR);
	cr_assert_str_eq(out, "a\tb\nc&#13;d");
	esc(in, strlen(in), XML_ESC_TAB_LF | XML_ESC_CR);
	cr_assert_str_eq(out, "a&#9;b&#10;c&#13;d");
}

Test(xml_esc, utf8_kept_bad_text_refused)
{
	const char *ok = "\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\x7f";

	cr_assert_eq(esc(ok, strlen(ok), XML_ESC_QUOT), (ssize_t)strlen(ok));
	cr_assert_str_eq(out, ok);
	cr_assert_eq(esc("a\x01", 2, 0), -EINVAL, "C0 control");
	cr_assert_eq(esc("a\0b", 3, 0), -EINVAL, "NUL");
	cr_assert_eq(esc("\xc0\xaf", 2, 0), -EINVAL, "overlong");
	cr_assert_eq(esc("\xed\xa0\x80", 3, 0), -EINVAL, "surrogate");
	cr_assert_eq(esc("\xe2\x82", 2, 0), -EINVAL, "cut sequence");
}

Test(wbuf, cstr_keeps_the_longest_prefix)
{
	const char *text = "<a>x&amp;y</a>";
	char small[32];

	for (size_t cap = 0; cap <= strlen(text); cap++) {
		struct wbuf w;

		memset(small, 'Z', sizeof(small));
		wbuf_init_cstr(&w, small, cap);
		wbuf_put_str(&w, "<a>");
		xml_esc_put(&w, "x&y", 3, 0);
		wbuf_put_str(&w, "</a>");
		cr_assert_eq(wbuf_result_cstr(&w), -ENOSPC, "cap %zu", cap);
		cr_assert_eq(small[cap], 'Z', "cap %zu", cap);
		if (cap > 0) {
			cr_assert_eq(small[cap - 1], '\0');
			cr_assert_eq(memcmp(small, text, cap - 1), 0, "cap %zu", cap);
		}
	}
}

Test(wbuf, first_error_wins_over_room)
{
	char small[4];
	struct wbuf w;

	wbuf_init_cstr(&w, small, sizeof(small));
	wbuf_put_str(&w, "too long for it");
	wbuf_fail(&w, -EINVAL);
	wbuf_fail(&w, -ERANGE);
	cr_assert_eq(wbuf_result(&w), -EINVAL);
	cr_assert_eq(wbuf_result_cstr(&w), -EINVAL);
}

Test(wbuf, printf_items)
{
	char buf[WBUF_FMT_MAX + 8];
	char big[WBUF_FMT_MAX + 1];
	struct wbuf w;

	wbuf_init(&w, (uint8_t *)buf, sizeof(buf));
	wbuf_printf(&w, "<n>%u</n>", 42u);
	cr_assert_eq(wbuf_result(&w), 9);
	cr_assert_eq(memcmp(buf, "<n>42</n>", 9), 0);
	/* An item the scratch cannot hold is a builder bug, not a short buffer. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wbuf_printf(&w, "%s", big);
	cr_assert_eq(wbuf_result(&w), -EINVAL);
}

Test(wbuf, plain_cursor_stores_nothing_past_a_failed_put)
{
	uint8_t buf[8];
	struct wbuf w;

	memset(buf, 'Z', sizeof(buf));
	wbuf_init(&w, buf, 4);
	wbuf_put(&w, "ab", 2);
	wbuf_put(&w, "cdef", 4);
	wbuf_put(&w, "g", 1);
	cr_assert_eq(wbuf_result(&w), -ENOSPC);
	cr_assert_eq(memcmp(buf, "abZZ", 4), 0);
}
