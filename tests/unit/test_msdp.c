/* SPDX-License-Identifier: BSD-3-Clause */
/* MSRP media of SDP offers/answers (controlplane/sdp, RFC 4975 §8, RFC 6135, RFC 6714). */
#include <criterion/criterion.h>
#include <string.h>

#include "sdp/msdp.h"

static const char offer[] =
        "v=0\r\n"
        "o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n"
        "s=-\r\n"
        "c=IN IP4 192.0.2.10\r\n"
        "t=0 0\r\n"
        "m=audio 49170 RTP/AVP 0\r\n"
        "m=message 7654 TCP/MSRP *\r\n"
        "a=accept-types:message/cpim text/plain\r\n"
        "a=accept-wrapped-types:text/plain image/*\r\n"
        "a=max-size:131072\r\n"
        "a=path:msrp://192.0.2.99:2855/relay1;tcp msrp://192.0.2.10:7654/jshA7we;tcp\r\n"
        "a=setup:actpass\r\n"
        "a=msrp-cema\r\n"
        "a=sendonly\r\n";

Test(msdp, parse_offer)
{
	struct msdp_media m;

	cr_assert_eq(msdp_parse(offer, strlen(offer), &m), MSDP_OK);
	cr_assert_str_eq(m.path,
	                 "msrp://192.0.2.99:2855/relay1;tcp msrp://192.0.2.10:7654/jshA7we;tcp");
	cr_assert_str_eq(m.accept_types, "message/cpim text/plain");
	cr_assert_str_eq(m.accept_wrapped, "text/plain image/*");
	cr_assert_eq(m.max_size, 131072);
	cr_assert_eq(m.setup, MSDP_SETUP_ACTPASS);
	cr_assert(m.cema);
	cr_assert_eq(m.dir, MSDP_SENDONLY);
	cr_assert_str_eq(m.addr, "192.0.2.10");
	cr_assert_eq(m.port, 7654);
}

Test(msdp, refusals)
{
	struct msdp_media m;
	static const char audio[] = "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
	                            "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	static const char tls[] = "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
	                          "t=0 0\r\nm=message 4000 TCP/TLS/MSRP *\r\n"
	                          "a=accept-types:*\r\na=path:msrps://1.2.3.4:4000/x;tcp\r\n";
	static const char nopath[] = "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
	                             "t=0 0\r\nm=message 4000 TCP/MSRP *\r\na=accept-types:*\r\n";
	static const char notypes[] = "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
	                              "t=0 0\r\nm=message 4000 TCP/MSRP *\r\n"
	                              "a=path:msrp://1.2.3.4:4000/x;tcp\r\n";
	static const char rejected[] =
	        "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
	        "t=0 0\r\nm=message 0 TCP/MSRP *\r\na=accept-types:*\r\n"
	        "a=path:msrp://1.2.3.4:4000/x;tcp\r\n";

	cr_assert_eq(msdp_parse(audio, strlen(audio), &m), MSDP_E_NO_MSRP);
	cr_assert_eq(msdp_parse(tls, strlen(tls), &m), MSDP_E_TLS);
	cr_assert_eq(msdp_parse(nopath, strlen(nopath), &m), MSDP_E_PATH);
	cr_assert_eq(msdp_parse(notypes, strlen(notypes), &m), MSDP_E_TYPES);
	cr_assert_eq(msdp_parse(rejected, strlen(rejected), &m), MSDP_E_NO_MSRP);
	cr_assert_eq(msdp_parse("garbage", 7, &m), MSDP_E_SYNTAX);
	cr_assert_str_eq(msdp_strerror(MSDP_E_PATH), "MSRP media without a=path");
}

/* RFC 6135 §4.2 / RFC 4975 §8.5: who connects. */
Test(msdp, answer_setup)
{
	cr_assert_eq(msdp_answer_setup(MSDP_SETUP_ACTPASS, true), MSDP_SETUP_PASSIVE);
	cr_assert_eq(msdp_answer_setup(MSDP_SETUP_ACTPASS, false), MSDP_SETUP_ACTIVE);
	cr_assert_eq(msdp_answer_setup(MSDP_SETUP_ACTIVE, false), MSDP_SETUP_PASSIVE);
	cr_assert_eq(msdp_answer_setup(MSDP_SETUP_PASSIVE, true), MSDP_SETUP_ACTIVE);
	cr_assert_eq(msdp_answer_setup(MSDP_SETUP_NONE, true), MSDP_SETUP_NONE);
}

Test(msdp, build_answer_round_trip)
{
	struct msdp_media a = {0}, b;
	char sdp[1024];
	int n;

	strcpy(a.addr, "10.77.0.2");
	a.port = 2855;
	strcpy(a.accept_types, "message/cpim text/plain *");
	strcpy(a.path, "msrp://10.77.0.2:2855/AbCdEfGhIjKlMnOpQrSt;tcp");
	a.setup = MSDP_SETUP_PASSIVE;
	a.cema = true;
	a.max_size = 4096;
	n = msdp_build(&a, 42, 43, sdp, sizeof(sdp));
	cr_assert_gt(n, 0);
	cr_assert(strstr(sdp, "m=message 2855 TCP/MSRP *\r\n") != NULL);
	cr_assert(strstr(sdp, "c=IN IP4 10.77.0.2\r\n") != NULL);
	cr_assert(strstr(sdp, "o=msw 42 43 IN IP4 10.77.0.2\r\n") != NULL);
	cr_assert(strstr(sdp, "a=setup:passive\r\n") != NULL);
	cr_assert_eq(msdp_parse(sdp, (size_t)n, &b), MSDP_OK);
	cr_assert_str_eq(b.path, a.path);
	cr_assert_str_eq(b.accept_types, a.accept_types);
	cr_assert_eq(b.setup, MSDP_SETUP_PASSIVE);
	cr_assert(strstr(sdp, "a=sendonly") == NULL); /* sendrecv goes unsaid */
	a.dir = MSDP_RECVONLY;
	n = msdp_build(&a, 42, 44, sdp, sizeof(sdp));
	cr_assert_gt(n, 0);
	cr_assert(strstr(sdp, "a=recvonly\r\n") != NULL);
	cr_assert_eq(msdp_parse(sdp, (size_t)n, &b), MSDP_OK);
	cr_assert_eq(b.dir, MSDP_RECVONLY);
	cr_assert(b.cema);
	cr_assert_eq(b.max_size, 4096);
	cr_assert_eq(msdp_build(&a, 42, 42, sdp, 40), -1);
}
