/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-client's command line (controlplane/client/cl_args.c, docs/client.md): defaults, every
 * option's value check with its error text, order of --send/--send-file items, exclusions,
 * and the URI helpers (--join, --user) and the file type guess.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <criterion/criterion.h>

#include "client/cl_app.h"
#include "client/cl_args.h"

#define ARGS_MAX 64

/* Parses "msw-client" + the NULL-terminated arguments. */
static int
parse(struct cl_opts *o, char *err, ...)
{
	char *argv[ARGS_MAX];
	int argc = 0, rc;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"msw-client";
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL && argc < ARGS_MAX)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = cl_args_parse(argc, argv, o, err, CL_ERR_CAP);
	return rc;
}

/* The parse must fail with -EINVAL and an error containing want. */
static void
refused(const char *want, ...)
{
	char *argv[ARGS_MAX], err[CL_ERR_CAP];
	struct cl_opts o;
	int argc = 0, rc;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"msw-client";
	va_start(ap, want);
	while ((a = va_arg(ap, const char *)) != NULL && argc < ARGS_MAX)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = cl_args_parse(argc, argv, &o, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL, "argv[1]=%s accepted", argv[1]);
	cr_assert(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	cl_opts_fini(&o);
}

Test(client_args, defaults)
{
	struct cl_opts o;
	char err[CL_ERR_CAP];

	cr_assert_eq(parse(&o, err, NULL), 0);
	cr_assert(o.create, "without --join the client creates a conference");
	cr_assert_null(o.join);
	cr_assert_null(o.config);
	cr_assert_eq(o.timeout_ms, CL_DEFAULT_TIMEOUT);
	cr_assert_eq(o.chunk_size, CL_DEFAULT_CHUNK);
	cr_assert_eq(o.max_size, CL_DEFAULT_MAX_SIZE);
	cr_assert(!o.has_expect && !o.has_hold && !o.json && !o.final_report && !o.tcp);
	cr_assert_eq(o.n_items, 0);
	cl_opts_fini(&o);
}

Test(client_args, every_option)
{
	struct cl_opts o;
	char err[CL_ERR_CAP], ip[INET_ADDRSTRLEN];

	cr_assert_eq(parse(&o, err, "--config", "/etc/msw.conf", "--focus", "10.1.2.3:5070",
	                   "--local-ip", "10.1.2.4", "--join", "cabc", "--name", "Alice \"A\"",
	                   "--user", "alice", "--send", "one", "--send-file", "/tmp/f.png",
	                   "--send", "two", "--file-type", "image/png", "--save-dir", "/tmp/in",
	                   "--final-report", "--expect", "3", "--timeout", "2.5", "--hold", "0.25",
	                   "--json", "--tcp", "--chunk-size", "1024", "--max-size", "4096", "-v",
	                   "--verbose", NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.config, "/etc/msw.conf");
	cr_assert(o.has_focus);
	inet_ntop(AF_INET, &o.focus_ip, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.1.2.3");
	cr_assert_eq(o.focus_port, 5070);
	cr_assert(o.has_local_ip);
	inet_ntop(AF_INET, &o.local_ip, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.1.2.4");
	cr_assert(!o.create);
	cr_assert_str_eq(o.join, "cabc");
	cr_assert_str_eq(o.name, "Alice \"A\"");
	cr_assert_str_eq(o.user, "alice");
	/* Items keep the command-line order, texts and files mixed. */
	cr_assert_eq(o.n_items, 3);
	cr_assert_eq(o.items[0].kind, CL_ITEM_TEXT);
	cr_assert_str_eq(o.items[0].value, "one");
	cr_assert_eq(o.items[1].kind, CL_ITEM_FILE);
	cr_assert_str_eq(o.items[1].value, "/tmp/f.png");
	cr_assert_eq(o.items[2].kind, CL_ITEM_TEXT);
	cr_assert_str_eq(o.items[2].value, "two");
	cr_assert_str_eq(o.file_type, "image/png");
	cr_assert_str_eq(o.save_dir, "/tmp/in");
	cr_assert(o.final_report && o.json && o.tcp);
	cr_assert(o.has_expect);
	cr_assert_eq(o.expect, 3);
	cr_assert_eq(o.timeout_ms, 2500);
	cr_assert(o.has_hold);
	cr_assert_eq(o.hold_ms, 250);
	cr_assert_eq(o.chunk_size, 1024);
	cr_assert_eq(o.max_size, 4096);
	cr_assert_eq(o.verbose, 2);
	cl_opts_fini(&o);
}

Test(client_args, parses_twice)
{
	/* getopt state is reset on every call (tests and a future config reload need it). */
	struct cl_opts o;
	char err[CL_ERR_CAP];

	cr_assert_eq(parse(&o, err, "--create", "--expect", "1", NULL), 0);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "--join", "x1", "--hold", "0", NULL), 0);
	cr_assert_str_eq(o.join, "x1");
	cr_assert(o.has_hold && o.hold_ms == 0 && !o.has_expect);
	cl_opts_fini(&o);
}

Test(client_args, help_and_version)
{
	struct cl_opts o;
	char err[CL_ERR_CAP];

	cr_assert_eq(parse(&o, err, "--help", NULL), 0);
	cr_assert(o.help);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "-h", NULL), 0);
	cr_assert(o.help);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "--version", NULL), 0);
	cr_assert(o.version);
	cl_opts_fini(&o);
}

Test(client_args, refusals)
{
	refused("unknown option '--bogus'", "--bogus", NULL);
	refused("unknown option '-x'", "-x", NULL);
	refused("needs a value", "--expect", NULL);
	refused("needs a value", "--join", NULL);
	refused("unexpected argument 'stray'", "stray", NULL);
	refused("exclude each other", "--create", "--join", "c1", NULL);
	refused("--expect: 'x' is not a count", "--expect", "x", NULL);
	refused("--expect: '0' is not a count", "--expect", "0", NULL);
	refused("--expect: '-1'", "--expect", "-1", NULL);
	refused("--expect: '5x'", "--expect", "5x", NULL);
	refused("--expect: '99999999999999999999'", "--expect", "99999999999999999999", NULL);
	refused("--timeout: '0' is not a duration", "--timeout", "0", NULL);
	refused("--timeout: '-3'", "--timeout", "-3", NULL);
	refused("--timeout: 'nan'", "--timeout", "nan", NULL);
	refused("--timeout: '1e9'", "--timeout", "1e9", NULL);
	refused("--hold: 'soon'", "--hold", "soon", NULL);
	refused("--hold: 'inf'", "--hold", "inf", NULL);
	refused("--local-ip: '10.0.0' is not an IPv4 address", "--local-ip", "10.0.0", NULL);
	refused("--local-ip: '::1'", "--local-ip", "::1", NULL);
	refused("--focus: 'host' is not IPv4[:PORT]", "--focus", "host", NULL);
	refused("--focus: '10.0.0.1:0'", "--focus", "10.0.0.1:0", NULL);
	refused("--focus: '10.0.0.1:65536'", "--focus", "10.0.0.1:65536", NULL);
	refused("--join: 'a b' is not a SIP URI", "--join", "a b", NULL);
	refused("--join: '<sip:x@y>'", "--join", "<sip:x@y>", NULL);
	refused("--join: ''", "--join", "", NULL);
	refused("--user: 'al\"ice'", "--user", "al\"ice", NULL);
	refused("--user: 'a\tb'", "--user", "a\tb", NULL);
	refused("--name: 'A\nB' has control characters", "--name", "A\nB", NULL);
	refused("--file-type: 'png'", "--file-type", "png", NULL);
	refused("--file-type: 'image/p ng'", "--file-type", "image/p ng", NULL);
	refused("--send-file: ''", "--send-file", "", NULL);
	refused("--chunk-size: '8'", "--chunk-size", "8", NULL);
	refused("--chunk-size: '2000000'", "--chunk-size", "2000000", NULL);
	refused("--max-size: '0'", "--max-size", "0", NULL);
}

Test(client_args, long_name_refused)
{
	char name[CL_NAME_MAX + 2];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	refused("--name", "--name", name, NULL);
}

Test(client_args, join_uri)
{
	char out[128];

	cr_assert_eq(cl_join_uri("cabc123", "10.77.0.1:5060", out, sizeof(out)),
	             (int)strlen("sip:cabc123@10.77.0.1:5060"));
	cr_assert_str_eq(out, "sip:cabc123@10.77.0.1:5060");
	cr_assert_gt(cl_join_uri("sip:cX@10.77.0.1:5060", "ignored", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip:cX@10.77.0.1:5060");
	cr_assert_gt(cl_join_uri("SIPS:cX@h", "ignored", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "SIPS:cX@h");
	cr_assert_gt(cl_join_uri("conf@im.example.com", "ignored", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip:conf@im.example.com");
	cr_assert_eq(cl_join_uri("a>b", "h", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cl_join_uri("abc", "10.77.0.1:5060", out, 10), -ENOSPC);
}

Test(client_args, user_uri)
{
	char out[128];

	cr_assert_gt(cl_user_uri("bob", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip:bob@" CL_DOMAIN);
	cr_assert_gt(cl_user_uri("bob@example.org", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip:bob@example.org");
	cr_assert_gt(cl_user_uri("sip:+15551234@ims.example", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip:+15551234@ims.example");
	cr_assert_eq(cl_user_uri("", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cl_user_uri("bob", out, 8), -ENOSPC);
}

Test(client_args, hostport)
{
	struct in_addr ip;
	uint16_t port = 99;

	cr_assert_eq(cl_parse_hostport("127.0.0.1", &ip, &port), 0);
	cr_assert_eq(port, 0);
	cr_assert_eq(ip.s_addr, htonl(INADDR_LOOPBACK));
	cr_assert_eq(cl_parse_hostport("127.0.0.1:5061", &ip, &port), 0);
	cr_assert_eq(port, 5061);
	cr_assert_eq(cl_parse_hostport(":5060", &ip, &port), -EINVAL);
	cr_assert_eq(cl_parse_hostport("127.0.0.1:", &ip, &port), -EINVAL);
	cr_assert_eq(cl_parse_hostport("1.2.3.4.5", &ip, &port), -EINVAL);
}

Test(client_args, file_type_guess)
{
	cr_assert_str_eq(cl_file_type_guess("/tmp/a.txt"), "text/plain");
	cr_assert_str_eq(cl_file_type_guess("photo.JPG"), "image/jpeg");
	cr_assert_str_eq(cl_file_type_guess("doc.pdf"), "application/pdf");
	cr_assert_str_eq(cl_file_type_guess("/x.d/noext"), "application/octet-stream");
	cr_assert_str_eq(cl_file_type_guess("trailingdot."), "application/octet-stream");
	cr_assert_str_eq(cl_file_type_guess("archive.tar.gz"), "application/gzip");
}

Test(client_args, call_listen_and_watch)
{
	struct cl_opts o;
	char err[CL_ERR_CAP], uri[128];

	cr_assert_eq(parse(&o, err, "--call", "kim@10.0.0.1:5097", "--watch", NULL), 0, "%s", err);
	cr_assert_str_eq(o.call, "kim@10.0.0.1:5097");
	cr_assert(o.watch && !o.create && !o.listen && o.join == NULL);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "--listen", "--sip-port", "5097", "--timeout", "9", NULL), 0,
	             "%s", err);
	cr_assert(o.listen && !o.create && o.has_timeout);
	cr_assert_eq(o.sip_port, 5097);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "--accept-calls", "--sip-port", "1", NULL), 0, "%s", err);
	cr_assert(o.listen && !o.has_timeout);
	cl_opts_fini(&o);
	cr_assert_eq(parse(&o, err, "--sip-port", "6000", NULL), 0, "%s", err);
	cr_assert(o.create && o.sip_port == 6000);
	cl_opts_fini(&o);
	refused("--listen needs --sip-port", "--listen", NULL);
	refused("exclude each other", "--listen", "--sip-port", "5", "--join", "c1", NULL);
	refused("exclude each other", "--call", "a@b", "--create", NULL);
	refused("exclude each other", "--call", "a@b", "--listen", "--sip-port", "5", NULL);
	refused("--call: 'kim' is not a SIP URI with a user", "--call", "kim", NULL);
	refused("--call: 'sip:10.0.0.1'", "--call", "sip:10.0.0.1", NULL);
	refused("--call: '@h'", "--call", "@h", NULL);
	refused("--call: 'a@'", "--call", "a@", NULL);
	refused("--call: 'a b@h'", "--call", "a b@h", NULL);
	refused("--sip-port: '0' is not a port", "--sip-port", "0", NULL);
	refused("--sip-port: '65536'", "--sip-port", "65536", NULL);
	/* URIs: as given with a scheme, else sip: in front; a user part is required. */
	cr_assert_eq(cl_call_uri("sips:kim@h:5", uri, sizeof(uri)), 12);
	cr_assert_str_eq(uri, "sips:kim@h:5");
	cr_assert_gt(cl_call_uri("kim@10.0.0.1:5097;transport=tcp", uri, sizeof(uri)), 0);
	cr_assert_str_eq(uri, "sip:kim@10.0.0.1:5097;transport=tcp");
	cr_assert_eq(cl_call_uri("kim@h", uri, 6), -ENOSPC);
	cr_assert_eq(cl_call_uri("sip:@h", uri, sizeof(uri)), -EINVAL);
}
