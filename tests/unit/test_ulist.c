/* SPDX-License-Identifier: BSD-3-Clause */
/* URI-list INVITE bodies (controlplane/ulist: RFC 5366, RFC 2046 multipart, RFC 4826 lists). */
#include <criterion/criterion.h>
#include <string.h>

#include "ulist/ulist.h"

static const char body[] =
        "preamble ignored\r\n"
        "--bnd42\r\n"
        "Content-Type: application/sdp\r\n"
        "\r\n"
        "v=0\r\n"
        "--bnd42\r\n"
        "Content-Type: application/resource-lists+xml\r\n"
        "Content-Disposition: recipient-list\r\n"
        "\r\n"
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
        "<rl:resource-lists xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\">\r\n"
        "<!-- the guests <entry uri=\"sip:not@me\"/> -->\r\n"
        "<rl:list name=\"x\"><rl:entry uri=\"sip:bill@example.com\"/>\r\n"
        "<rl:entry uri='sip:Joe@EXAMPLE.com;p=a&amp;b'/>\r\n"
        "<rl:list><rl:entry uri=\"SIP:bill@Example.COM\"/></rl:list>\r\n"
        "<rl:entry uri=\"sip:joe@example.com;p=a&amp;b\"/></rl:list>\r\n"
        "</rl:resource-lists>\r\n"
        "--bnd42--\r\n";

Test(ulist, multipart_and_entries)
{
	struct ulist_part parts[4];
	char uris[8][ULIST_URI_CAP];
	const char *b;
	size_t bl;
	int n;

	cr_assert_eq(ulist_boundary("multipart/mixed;boundary=\"bnd42\"", &b, &bl), 0);
	cr_assert_eq(bl, 5);
	cr_assert(memcmp(b, "bnd42", 5) == 0);
	cr_assert_eq(ulist_boundary("multipart/mixed; boundary=bnd42;x=y", &b, &bl), 0);
	cr_assert_eq(bl, 5);
	cr_assert_eq(ulist_boundary("multipart/mixed", &b, &bl), -1);
	n = ulist_multipart(body, strlen(body), "bnd42", 5, parts, 4);
	cr_assert_eq(n, 2);
	cr_assert_eq(parts[0].type_len, 15);
	cr_assert(memcmp(parts[0].type, "application/sdp", 15) == 0);
	/* RFC 2046 §5.1.1: the CRLF before a delimiter belongs to the delimiter. */
	cr_assert_eq(parts[0].body_len, 3);
	cr_assert(memcmp(parts[0].body, "v=0", 3) == 0);
	cr_assert_eq(parts[1].type_len, 30);
	/* Duplicates go (AHG-03): scheme and host compare case-insensitively, the user exactly;
	 * the commented-out entry is not one. */
	n = ulist_entries(parts[1].body, parts[1].body_len, uris, 8);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(uris[0], "sip:bill@example.com");
	cr_assert_str_eq(uris[1], "sip:Joe@EXAMPLE.com;p=a&b");
	cr_assert_str_eq(uris[2], "sip:joe@example.com;p=a&b");
}

Test(ulist, malformed)
{
	struct ulist_part parts[2];
	char uris[2][ULIST_URI_CAP];
	static const char no_close[] = "--b\r\nContent-Type: a/b\r\n\r\nx";
	static const char x1[] = "<list><entry uri=\"sip:a@b\"/></list>";
	static const char x2[] = "<resource-lists><list><entry uri=\"sip:a@b\"/></resource-lists>";
	static const char x3[] = "<resource-lists><list><entry uri=\"sip:a&bogus;b\"/></list>"
	                         "</resource-lists>";
	static const char x4[] =
	        "<resource-lists><list><entry name=\"x\"/></list></resource-lists>";
	static const char x5[] = "<resource-lists><!-- open";

	cr_assert_eq(ulist_multipart(no_close, strlen(no_close), "b", 1, parts, 2), -1);
	cr_assert_eq(ulist_multipart("no delimiter", 12, "b", 1, parts, 2), -1);
	cr_assert_eq(ulist_entries(x1, strlen(x1), uris, 2), -1); /* wrong root */
	cr_assert_eq(ulist_entries(x2, strlen(x2), uris, 2), -1); /* unbalanced */
	cr_assert_eq(ulist_entries(x3, strlen(x3), uris, 2), -1); /* unknown entity */
	cr_assert_eq(ulist_entries(x4, strlen(x4), uris, 2), -1); /* entry without uri */
	cr_assert_eq(ulist_entries(x5, strlen(x5), uris, 2), -1); /* open comment */
}
