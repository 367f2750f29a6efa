/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-client's output (controlplane/client/cl_print.c): JSON lines that any JSON parser takes
 * (escapes, invalid UTF-8 replaced), and text for a terminal that a remote participant cannot
 * drive (escape sequences and C1 controls replaced), for every event kind.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "client/cl_print.h"

static char *buf;
static size_t buf_len;
static FILE *out;

static void
open_out(void)
{
	out = open_memstream(&buf, &buf_len);
	cr_assert_not_null(out);
}

static const char *
close_out(void)
{
	fclose(out);
	return buf;
}

static void
json_of(const char *in, size_t len, const char *want)
{
	open_out();
	cl_json_str(out, (const uint8_t *)in, len);
	cr_assert_str_eq(close_out(), want);
	free(buf);
}

static void
term_of(const char *in, const char *want)
{
	open_out();
	cl_term_str(out, (const uint8_t *)in, strlen(in));
	cr_assert_str_eq(close_out(), want);
	free(buf);
}

Test(client_print, json_escapes)
{
	json_of("plain", 5, "\"plain\"");
	json_of("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
	json_of("a\nb\r\tc", 6, "\"a\\nb\\r\\tc\"");
	json_of("\x01\x1b\x7f", 3, "\"\\u0001\\u001b\\u007f\"");
	json_of("nul\0x", 5, "\"nul\\u0000x\"");
	json_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Invalid UTF-8: stray continuation, overlong, surrogate, truncated, above U+10FFFF. */
	json_of("\x80", 1, "\"\\ufffd\"");
	json_of("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	json_of("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	json_of("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	json_of("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(client_print, terminal_is_safe)
{
	term_of("hello", "hello");
	term_of("\x1b[2J\x1b]0;pwned\x07", "?[2J?]0;pwned?");
	term_of("tab\tok", "tab\tok");
	term_of("line1\r\nline2\n", "line1\n  line2");
	term_of("\xc2\x9b"
	        "31m",
	        "?31m"); /* C1 CSI */
	term_of("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	term_of("bad\xff", "bad?");
}

static struct cl_msg_view
view(const char *display, const char *from, const char *ctype, const char *content)
{
	struct cl_msg_view v;

	memset(&v, 0, sizeof(v));
	snprintf(v.from_display, sizeof(v.from_display), "%s", display);
	v.from_uri = (struct msrp_span){(const uint8_t *)from, (uint32_t)strlen(from)};
	v.content_type = (struct msrp_span){(const uint8_t *)ctype, (uint32_t)strlen(ctype)};
	v.content = (struct msrp_span){(const uint8_t *)content, (uint32_t)strlen(content)};
	v.cpim = from[0] != '\0';
	return v;
}

Test(client_print, message_text_and_json)
{
	struct cl_msg_view v = view("Bob", "sip:bob@example.com", "text/plain", "hi \"all\"");
	struct cl_printer p;

	open_out();
	p = (struct cl_printer){.f = out, .json = false};
	cl_print_message(&p, "m1", &v, NULL);
	v.from_display[0] = '\0';
	cl_print_message(&p, "m2", &v, NULL);
	v = view("", "", "application/pdf", "%PDF");
	snprintf(v.filename, sizeof(v.filename), "doc.pdf");
	cl_print_message(&p, "m3", &v, "/tmp/in/doc.pdf");
	cr_assert_str_eq(close_out(), "Bob: hi \"all\"\n"
	                              "sip:bob@example.com: hi \"all\"\n"
	                              "?: [file doc.pdf, 4 bytes, application/pdf, saved as "
	                              "/tmp/in/doc.pdf]\n");
	free(buf);

	v = view("Bob", "sip:bob@example.com", "text/plain", "hi");
	open_out();
	p.f = out;
	p.json = true;
	cl_print_message(&p, "m1", &v, NULL);
	cr_assert_str_eq(
	        close_out(),
	        "{\"event\":\"message\",\"from\":\"sip:bob@example.com\",\"alias\":\"Bob\","
	        "\"content_type\":\"text/plain\",\"text\":\"hi\",\"bytes\":2,"
	        "\"message_id\":\"m1\"}\n");
	free(buf);
}

Test(client_print, other_events_json)
{
	struct cl_printer p;
	struct fdr_recipient rc[2] = {
	        {{(const uint8_t *)"sip:a&amp;b@x", 13}, 200, FDR_OUTCOME_DELIVERED},
	        {{(const uint8_t *)"sip:c@x", 7}, 408, FDR_OUTCOME_TIMEOUT},
	};
	struct fdr_report r = {.message_id = {(const uint8_t *)"mid", 3}, .rcpt = rc, .n_rcpt = 2};
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_REPORT,
	                        .message_id = "mid",
	                        .status = 200,
	                        .report = CL_REPORT_FINAL,
	                        .final = &r};

	open_out();
	p = (struct cl_printer){.f = out, .json = true};
	cl_print_joined(&p, "sip:c1@h:5060", "c1", true, "msrp://l", "msrp://r");
	cl_print_sent(&p, "mid", 12);
	cl_print_send_failed(&p, "mid", 403, "403 Forbidden");
	cl_print_report(&p, &ev);
	cl_print_aborted(&p, "x", 413, "too big");
	cl_print_left(&p, "done", 3);
	cl_print_info(&p, "not in JSON");
	cr_assert_str_eq(
	        close_out(),
	        "{\"event\":\"joined\",\"conference\":\"sip:c1@h:5060\",\"conf_id\":\"c1\","
	        "\"created\":true,\"local_path\":\"msrp://l\",\"remote_path\":\"msrp://r\"}\n"
	        "{\"event\":\"sent\",\"message_id\":\"mid\",\"bytes\":12}\n"
	        "{\"event\":\"send_failed\",\"message_id\":\"mid\",\"status\":403,"
	        "\"reason\":\"403 Forbidden\"}\n"
	        "{\"event\":\"report\",\"kind\":\"final\",\"message_id\":\"mid\",\"status\":200,"
	        "\"recipients\":[{\"uri\":\"sip:a&b@x\",\"status\":200,\"outcome\":\"delivered\"},"
	        "{\"uri\":\"sip:c@x\",\"status\":408,\"outcome\":\"timeout\"}]}\n"
	        "{\"event\":\"aborted\",\"message_id\":\"x\",\"status\":413,\"reason\":\"too "
	        "big\"}\n"
	        "{\"event\":\"left\",\"reason\":\"done\",\"received\":3}\n");
	free(buf);
}

Test(client_print, other_events_text)
{
	struct cl_printer p;
	struct fdr_recipient rc = {{(const uint8_t *)"sip:c@x", 7}, 481, FDR_OUTCOME_LEFT};
	struct fdr_report r = {.message_id = {(const uint8_t *)"mid", 3}, .rcpt = &rc, .n_rcpt = 1};
	struct cl_msrp_ev ev = {.type = CL_MSRP_EV_REPORT,
	                        .message_id = "mid",
	                        .status = 200,
	                        .report = CL_REPORT_FINAL,
	                        .final = &r};

	open_out();
	p = (struct cl_printer){.f = out, .json = false};
	cl_print_joined(&p, "sip:c1@h:5060", "c1", true, "msrp://l", "msrp://r");
	cl_print_joined(&p, "sip:c1@h:5060", "c1", false, "msrp://l", "msrp://r");
	cl_print_sent(&p, "mid", 12);
	cl_print_report(&p, &ev);
	cl_print_left(&p, "quit", 0);
	cl_print_info(&p, "hint\x1b");
	cr_assert_str_eq(close_out(), "*** joined sip:c1@h:5060 (others join with --join c1)\n"
	                              "*** joined sip:c1@h:5060\n"
	                              "*** final report for mid: sip:c@x left (481)\n"
	                              "*** left: quit\n"
	                              "*** hint?\n");
	free(buf);
}

Test(client_print, participants_refer_and_invited)
{
	struct cl_printer pj, pt;
	static struct cl_cinfo_list l;
	struct cl_cinfo_user u = {.entity = "sip:bob@h",
	                          .display = "Bob\x1b[2J",
	                          .status = "connected",
	                          .has_status = true,
	                          .has_display = true};
	struct cl_cinfo_ev ev = {.type = CL_CINFO_EV_LEFT, .user = &u, .method = "booted"};

	memset(&l, 0, sizeof(l));
	l.n_users = 2;
	l.users[0] = u;
	snprintf(l.users[1].entity, sizeof(l.users[1].entity), "sip:x@h");
	snprintf(l.users[1].status, sizeof(l.users[1].status), "alerting");
	l.users[1].has_status = true;
	open_out();
	pj = (struct cl_printer){.f = out, .json = true};
	cl_print_participants(&pj, &l);
	cl_print_participant(&pj, &ev);
	ev.type = CL_CINFO_EV_RENAMED;
	ev.old_display = "B";
	cl_print_participant(&pj, &ev);
	cl_print_refer(&pj, "sip:x@h", true, true, 200, "SIP/2.0 200 OK", true);
	cl_print_invited(&pj, "sip:leo@h", "Leo", "sip:c@f");
	cl_print_watch_ended(&pj, "noresource");
	cr_assert_str_eq(
	        close_out(),
	        "{\"event\":\"participants\",\"users\":[{\"uri\":\"sip:bob@h\",\"display\":"
	        "\"Bob\\u001b[2J\",\"status\":\"connected\"},{\"uri\":\"sip:x@h\",\"display\":\"\","
	        "\"status\":\"alerting\"}]}\n"
	        "{\"event\":\"participant\",\"change\":\"left\",\"uri\":\"sip:bob@h\",\"display\":"
	        "\"Bob\\u001b[2J\",\"status\":\"connected\",\"method\":\"booted\"}\n"
	        "{\"event\":\"participant\",\"change\":\"renamed\",\"uri\":\"sip:bob@h\","
	        "\"display\":\"Bob\\u001b[2J\",\"status\":\"connected\",\"old_display\":\"B\"}\n"
	        "{\"event\":\"refer\",\"target\":\"sip:x@h\",\"method\":\"BYE\",\"stage\":"
	        "\"notify\","
	        "\"status\":200,\"text\":\"SIP/2.0 200 OK\",\"final\":true}\n"
	        "{\"event\":\"invited\",\"from\":\"sip:leo@h\",\"display\":\"Leo\",\"conference\":"
	        "\"sip:c@f\"}\n"
	        "{\"event\":\"watch_ended\",\"reason\":\"noresource\"}\n");
	free(buf);
	open_out();
	pt = (struct cl_printer){.f = out, .json = false};
	cl_print_participants(&pt, &l);
	ev.type = CL_CINFO_EV_LEFT;
	cl_print_participant(&pt, &ev);
	ev.type = CL_CINFO_EV_JOINED;
	cl_print_participant(&pt, &ev);
	ev.type = CL_CINFO_EV_RENAMED;
	cl_print_participant(&pt, &ev);
	cl_print_refer(&pt, "sip:x@h", false, false, 202, "Accepted", false);
	cl_print_invited(&pt, "sip:leo@h", "Leo", "sip:c@f");
	cr_assert_str_eq(close_out(),
	                 "*** 2 participants: Bob?[2J <sip:bob@h>, sip:x@h (alerting)\n"
	                 "*** Bob?[2J left (booted)\n"
	                 "*** Bob?[2J joined (sip:bob@h)\n"
	                 "*** B is now Bob?[2J\n"
	                 "*** invite sip:x@h: REFER 202 Accepted\n"
	                 "*** call from Leo <sip:leo@h>\n");
	free(buf);
}
