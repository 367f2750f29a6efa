/* SPDX-License-Identifier: BSD-3-Clause */
/* MSRP URI parsing and RFC 4975 §6.1 comparison. */
#include <string.h>

#include <criterion/criterion.h>

#include "msrp/msrp.h"

static int
parse(const char *s, struct msrp_uri *u)
{
	return msrp_uri_parse((const uint8_t *)s, strlen(s), u);
}

static bool
span_is(struct msrp_span sp, const char *s)
{
	return sp.len == strlen(s) && memcmp(sp.p, s, sp.len) == 0;
}

static bool
equal(const char *a, const char *b)
{
	struct msrp_uri ua, ub;

	cr_assert_eq(parse(a, &ua), 0, "%s", a);
	cr_assert_eq(parse(b, &ub), 0, "%s", b);
	cr_assert_eq(msrp_uri_equal(&ua, &ub), msrp_uri_equal(&ub, &ua), "symmetry");
	return msrp_uri_equal(&ua, &ub);
}

Test(msrp_uri, components)
{
	struct msrp_uri u;

	cr_assert_eq(parse("msrps://alice:pw@atlanta.example.com:7654/jsh/A7w;tcp;a=b;c", &u), 0);
	cr_expect(u.secure);
	cr_expect(span_is(u.userinfo, "alice:pw"));
	cr_expect(span_is(u.host, "atlanta.example.com"));
	cr_expect_eq(u.host_type, MSRP_HOST_NAME);
	cr_expect(u.has_port);
	cr_expect_eq(u.port, 7654);
	cr_expect(span_is(u.session_id, "jsh/A7w"));
	cr_expect(span_is(u.transport, "tcp"));
	cr_expect(span_is(u.params, ";a=b;c"));
}

Test(msrp_uri, hosts)
{
	struct msrp_uri u;

	cr_assert_eq(parse("msrp://192.0.2.1:2855/s;tcp", &u), 0);
	cr_expect_eq(u.host_type, MSRP_HOST_IPV4);
	cr_expect_eq(u.host_addr[0], 192);
	cr_assert_eq(parse("msrp://[2001:db8::1]:2855/s;tcp", &u), 0);
	cr_expect_eq(u.host_type, MSRP_HOST_IPV6);
	cr_expect(span_is(u.host, "2001:db8::1"));
	cr_expect_eq(u.port, 2855);
	cr_assert_eq(parse("msrp://[::1]/s;tcp", &u), 0);
	cr_expect_not(u.has_port);
	cr_assert_eq(parse("msrps://alice@intra.example.com;tcp", &u), 0);
	cr_expect_eq(u.session_id.p, NULL);
	cr_assert_eq(parse("msrp://h%41st.example.com/s;ws", &u), 0);
	cr_expect(span_is(u.transport, "ws"));
}

Test(msrp_uri, rejects)
{
	static const char *const bad[] = {
	        "",
	        "msrp:",
	        "msrp://",
	        "http://a.example.com/s;tcp",
	        "msrp://a.example.com/s",
	        "msrp://a.example.com/s;",
	        "msrp://a.example.com:/s;tcp",
	        "msrp://a.example.com:65536/s;tcp",
	        "msrp://a.example.com:12a/s;tcp",
	        "msrp://a.example.com/;tcp",
	        "msrp://[::1/s;tcp",
	        "msrp://[zz::1]/s;tcp",
	        "msrp://a b/s;tcp",
	        "msrp://a.example.com/s;tcp;",
	        "msrp://a.example.com/s;tcp;=x",
	        "msrp://a.example.com/s;tcp;a=",
	        "msrp://a.example.com/s?x;tcp",
	        "msrp://a%4.example.com/s;tcp",
	        "msrp://a.example.com/s;t-cp",
	        "msrp://@/s;tcp",
	        "msrp://:80/s;tcp",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct msrp_uri u;

		cr_expect_eq(parse(bad[i], &u), -22, "accepted: %s", bad[i]);
	}
}

Test(msrp_uri, comparison_rfc4975_6_1)
{
	/* Scheme and host case-insensitive; transport case-insensitive. */
	cr_expect(equal("msrp://Atlanta.Example.COM:7654/jshA7we;tcp",
	                "MSRP://atlanta.example.com:7654/jshA7we;TCP"));
	/* Userinfo and other parameters are not compared. */
	cr_expect(equal("msrp://alice@a.example.com:1/s;tcp;x=1", "msrp://a.example.com:1/s;tcp"));
	/* Percent-encoding in the authority is decoded before comparison. */
	cr_expect(equal("msrp://%61.example.com:1/s;tcp", "msrp://A.example.com:1/s;tcp"));
	/* IP literals compare by address. */
	cr_expect(equal("msrp://[2001:db8:0::1]:1/s;tcp", "msrp://[2001:DB8::1]:1/s;tcp"));
	/* Session-id is case-sensitive. */
	cr_expect_not(equal("msrp://a.example.com:1/abc;tcp", "msrp://a.example.com:1/ABC;tcp"));
	/* Explicit port never equals an absent one. */
	cr_expect_not(equal("msrp://a.example.com:2855/s;tcp", "msrp://a.example.com/s;tcp"));
	cr_expect_not(equal("msrp://a.example.com:2855/s;tcp", "msrp://a.example.com:2856/s;tcp"));
	/* Absent session-id never equals a present one. */
	cr_expect_not(equal("msrp://a.example.com:1;tcp", "msrp://a.example.com:1/s;tcp"));
	/* Different schemes or transports never match. */
	cr_expect_not(equal("msrps://a.example.com:1/s;tcp", "msrp://a.example.com:1/s;tcp"));
	cr_expect_not(equal("msrp://a.example.com:1/s;tcp", "msrp://a.example.com:1/s;sctp"));
	/* A name never equals an address (no DNS). */
	cr_expect_not(equal("msrp://localhost:1/s;tcp", "msrp://127.0.0.1:1/s;tcp"));
	cr_expect_not(equal("msrp://a.example.com:1/s;tcp", "msrp://b.example.com:1/s;tcp"));
	cr_expect_not(equal("msrp://a.example.com:1/s;tcp", "msrp://a.example.co:1/s;tcp"));
}

Test(msrp_uri, path_iterator)
{
	const char *v = "msrp://a.example.com/1;tcp msrp://b.example.com/2;tcp";
	struct msrp_span rest = {(const uint8_t *)v, (uint32_t)strlen(v)}, uri;
	int n = 0;

	while (msrp_path_next(&rest, &uri)) {
		struct msrp_uri u;

		cr_expect_eq(msrp_uri_parse(uri.p, uri.len, &u), 0);
		n++;
	}
	cr_expect_eq(n, 2);
}
