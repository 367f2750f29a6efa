/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mswctl (dataplane/mswctl, docs/mswctl.md).
 *  - parse: every syntax rule and value check of the parser (exit 2 cases and what a good
 *    command line turns into).
 *  - run: the commands over the real control channel (common/ctl server library in a thread
 *    of this process): what each command puts on the wire (payloads and blobs as the data
 *    plane receives them), how replies and list pages (msw_ctl_abi.h records) are printed, the
 *    error messages and exit statuses, the "mswctl" identity and the adoption of its orphans.
 *    The handlers here record requests and serve list pages built from fixed ABI records; the
 *    data plane's real handlers are tested with the data plane.
 *  - binary: the built mswctl against an instance that does not exist.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_server.h"
#include "mswctl.h"

/* ---- parser ---- */

#define ARGS_MAX 32

/* Parses "mswctl" + the NULL-terminated arguments. */
static int
parse(struct mswctl_cmd *cmd, char *err, size_t errlen, ...)
{
	char *argv[ARGS_MAX];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"mswctl";
	va_start(ap, errlen);
	while ((a = va_arg(ap, const char *)) != NULL && argc < ARGS_MAX)
		argv[argc++] = (char *)a;
	va_end(ap);
	return mswctl_parse(argc, argv, cmd, err, errlen);
}

#define PARSE_OK(cmd, ...)                                                                         \
	do {                                                                                       \
		char e_[256];                                                                      \
		int rc_ = parse((cmd), e_, sizeof(e_), __VA_ARGS__, (const char *)NULL);           \
		cr_assert_eq(rc_, 0, "parse failed: %s", e_);                                      \
	} while (0)

/* Expects exit status 2 and a message containing want. */
#define PARSE_BAD(want, ...)                                                                       \
	do {                                                                                       \
		struct mswctl_cmd c_;                                                              \
		char e_[256];                                                                      \
		int rc_ = parse(&c_, e_, sizeof(e_), __VA_ARGS__, (const char *)NULL);             \
		cr_assert_eq(rc_, MSWCTL_EXIT_USAGE, "accepted; wanted an error with '%s'", want); \
		cr_assert(strstr(e_, want) != NULL, "message '%s' lacks '%s'", e_, want);          \
	} while (0)

static void
no_env(void)
{
	unsetenv("MSW_INSTANCE");
}

TestSuite(parse, .init = no_env);

Test(parse, conf_create_defaults)
{
	struct mswctl_cmd c;

	PARSE_OK(&c, "conf", "create", "room-1.a_b");
	cr_assert_eq(c.verb, MSWCTL_CONF_CREATE);
	cr_assert_eq(c.conf.len, 10);
	cr_assert_eq(memcmp(c.conf.id, "room-1.a_b", 10), 0);
	cr_assert_eq(c.max_legs, 0, "0 = the data plane's per-conference limit");
	cr_assert_eq(c.max_size, 0);
	cr_assert_eq(c.cpim_policy, MSW_CTL_CPIM_WRAP);
	cr_assert_str_eq(c.instance, "default");
	cr_assert_eq(c.wait_dp_ms, MSWCTL_WAIT_DP_MS_DEFAULT);
	cr_assert_eq(c.call_ms, MSWCTL_CALL_MS_DEFAULT);
}

Test(parse, conf_create_options)
{
	struct mswctl_cmd c;

	PARSE_OK(&c, "conf", "create", "c1", "--max-legs", "10", "--max-size=64K", "--cpim",
	         "required");
	cr_assert_eq(c.max_legs, 10);
	cr_assert_eq(c.max_size, 65536);
	cr_assert_eq(c.cpim_policy, MSW_CTL_CPIM_REQUIRED);
	PARSE_OK(&c, "--cpim", "off", "conf", "create", "c1", "--max-size", "4294967295");
	cr_assert_eq(c.cpim_policy, MSW_CTL_CPIM_OFF, "options may precede the command");
	cr_assert_eq(c.max_size, UINT32_MAX);
	PARSE_OK(&c, "conf", "create", "c1", "--max-size", "3M");
	cr_assert_eq(c.max_size, 3u * 1024 * 1024);
	PARSE_BAD("--max-size", "conf", "create", "c1", "--max-size", "4G");
	PARSE_BAD("--max-size", "conf", "create", "c1", "--max-size", "4294967296");
	PARSE_BAD("--max-size", "conf", "create", "c1", "--max-size", "-1");
	PARSE_BAD("--max-size", "conf", "create", "c1", "--max-size", "1.5M");
	PARSE_BAD("--max-legs", "conf", "create", "c1", "--max-legs", "ten");
	PARSE_BAD("--max-legs", "conf", "create", "c1", "--max-legs", "");
	PARSE_BAD("--cpim", "conf", "create", "c1", "--cpim", "WRAP");
	PARSE_OK(&c, "conf", "create", "c1", "--history", "--no-anonymous");
	cr_assert(c.history);
	cr_assert(c.no_anonymous);
	cr_assert_not(c.one_message);
	PARSE_OK(&c, "conf", "create", "c1", "--one-message");
	cr_assert(c.one_message);
	cr_assert_not(c.history);
	PARSE_BAD("leg add: option --one-message does not apply", "leg", "add", "c1", "--identity",
	          "sip:a@example.com", "--one-message");
	PARSE_BAD("conf create: option --direction does not apply", "conf", "create", "c1",
	          "--direction", "sendonly");
}

Test(parse, bad_conf_id)
{
	struct mswctl_cmd c;
	char id64[65], id65[66];

	memset(id64, 'x', 64);
	id64[64] = '\0';
	memset(id65, 'x', 65);
	id65[65] = '\0';
	PARSE_OK(&c, "conf", "delete", id64);
	cr_assert_eq(c.conf.len, 64);
	PARSE_BAD("invalid CONF_ID", "conf", "create", id65);
	PARSE_BAD("invalid CONF_ID 'bad id'", "conf", "create", "bad id");
	PARSE_BAD("invalid CONF_ID", "conf", "create", "a/b");
	PARSE_BAD("invalid CONF_ID", "conf", "delete", "");
	PARSE_BAD("invalid CONF_ID", "leg", "add", "caf\xc3\xa9", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp");
	PARSE_BAD("invalid CONF_ID", "leg", "list", "c1;x");
	PARSE_BAD("missing CONF_ID", "conf", "create");
	PARSE_BAD("unexpected argument 'extra'", "conf", "delete", "c1", "extra");
	/* "--" ends the options, so an id may start with '-'. */
	PARSE_OK(&c, "conf", "create", "--", "-room");
	cr_assert_eq(memcmp(c.conf.id, "-room", 5), 0);
}

Test(parse, connect_address)
{
	struct mswctl_cmd c;
	uint8_t v4[4] = {10, 1, 2, 3}, v6[16];

	PARSE_OK(&c, "leg", "add", "c1", "--identity", "sip:a@example.com", "--setup", "active",
	         "--connect", "10.1.2.3:2855");
	cr_assert(c.connect_set);
	cr_assert_eq(c.connect.family, AF_INET);
	cr_assert_eq(c.connect.port, 2855, "host byte order");
	cr_assert_eq(memcmp(c.connect.addr, v4, 4), 0, "network byte order");
	cr_assert_eq(c.path_len, 0, "an active leg may get its path later");
	cr_assert_eq(c.setup, MSW_CTL_SETUP_ACTIVE);

	PARSE_OK(&c, "leg", "set", "c1", "sid1", "--connect=[2001:db8::7]:65535");
	cr_assert_eq(c.connect.family, AF_INET6);
	cr_assert_eq(c.connect.port, 65535);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::7", v6), 1);
	cr_assert_eq(memcmp(c.connect.addr, v6, 16), 0);

	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "10.1.2.3");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "10.1.2.3:0");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "10.1.2.3:65536");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "10.1.2:80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "256.1.2.3:80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "host.example:80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", ":80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "10.1.2.3:+80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "[::1]80");
	PARSE_BAD("--connect", "leg", "set", "c1", "sid1", "--connect", "::1:80");
	PARSE_BAD("--connect needs --setup active", "leg", "add", "c1", "--identity", "sip:a@b",
	          "--path", "msrp://h:1/s;tcp", "--connect", "10.1.2.3:80");
}

Test(parse, setup_values)
{
	struct mswctl_cmd c;

	PARSE_OK(&c, "leg", "add", "c1", "--identity", "sip:a@b", "--path", "msrp://h:1/s;tcp",
	         "--setup", "passive");
	cr_assert_eq(c.setup, MSW_CTL_SETUP_PASSIVE);
	PARSE_BAD("--setup: 'actpass' is not active or passive", "leg", "add", "c1", "--identity",
	          "sip:a@b", "--setup", "actpass");
	PARSE_BAD("--setup", "leg", "add", "c1", "--identity", "sip:a@b", "--setup", "");
	PARSE_BAD("--path is required for a passive leg", "leg", "add", "c1", "--identity",
	          "sip:a@b");
}

Test(parse, path_commas_become_spaces)
{
	struct mswctl_cmd c;

	PARSE_OK(&c, "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	         "msrp://relay.example:2855/r1;tcp,msrp://10.0.0.9:7777/peer;tcp");
	cr_assert_str_eq(c.path, "msrp://relay.example:2855/r1;tcp msrp://10.0.0.9:7777/peer;tcp");
	cr_assert_eq(c.path_len, strlen(c.path));
	/* Spaces, comma+space and repeated --path give the same SP-separated list. */
	PARSE_OK(&c, "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	         "msrp://relay.example:2855/r1;tcp,  msrp://10.0.0.9:7777/peer;tcp ");
	cr_assert_str_eq(c.path, "msrp://relay.example:2855/r1;tcp msrp://10.0.0.9:7777/peer;tcp");
	PARSE_OK(&c, "leg", "set", "c1", "sid", "--path", "msrps://relay.example:2855/r1;tcp",
	         "--path", "msrp://[2001:db8::1]:7777/peer;tcp");
	cr_assert_str_eq(c.path,
	                 "msrps://relay.example:2855/r1;tcp msrp://[2001:db8::1]:7777/peer;tcp");

	PARSE_BAD("--path: empty element", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://a:1/s;tcp,,msrp://b:2/t;tcp");
	PARSE_BAD("--path: empty element", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://a:1/s;tcp,");
	PARSE_BAD("--path: empty element", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "");
	PARSE_BAD("'http://a:1/s' is not an MSRP URI", "leg", "add", "c1", "--identity", "sip:a@b",
	          "--path", "msrp://a:1/s;tcp,http://a:1/s");
	PARSE_BAD("is not an MSRP URI", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://a:1/s");
	{
		static char longpath[MSWCTL_PATH_CAP + 64];
		size_t n = 0;

		while (n + 20 < sizeof(longpath) - 1) {
			memcpy(longpath + n, "msrp://h:1/abc;tcp,", 19);
			n += 19;
		}
		memcpy(longpath + n, "msrp://h:1/z;tcp", 17);
		PARSE_BAD("--path: longer than", "leg", "add", "c1", "--identity", "sip:a@b",
		          "--path", longpath);
	}
}

Test(parse, identity_alias_accept_types)
{
	struct mswctl_cmd c;

	PARSE_BAD("leg add: --identity is required", "leg", "add", "c1", "--path",
	          "msrp://h:1/s;tcp");
	PARSE_BAD("--identity", "leg", "add", "c1", "--path", "msrp://h:1/s;tcp", "--identity",
	          "alice");
	PARSE_BAD("--identity", "leg", "add", "c1", "--path", "msrp://h:1/s;tcp", "--identity",
	          "sip:alice @example.com");
	PARSE_BAD("--identity", "leg", "add", "c1", "--path", "msrp://h:1/s;tcp", "--identity",
	          "1sip:alice");
	PARSE_BAD("option --identity needs a value", "leg", "add", "c1", "--path",
	          "msrp://h:1/s;tcp", "--identity");

	PARSE_OK(&c, "leg", "add", "c1", "--identity", "sip:alice@example.com", "--path",
	         "msrp://h:1/s;tcp", "--alias", "Al \xc3\xa9", "--anonymous", "--accept-types",
	         "text/plain, message/cpim  image/*", "--max-size", "2K");
	cr_assert_str_eq(c.identity, "sip:alice@example.com");
	cr_assert_str_eq(c.alias, "Al \xc3\xa9");
	cr_assert(c.anonymous);
	cr_assert_str_eq(c.accept_types, "text/plain message/cpim image/*");
	cr_assert_eq(c.accept_types_len, strlen(c.accept_types));
	cr_assert_eq(c.max_size, 2048);
	PARSE_OK(&c, "leg", "add", "c1", "--identity", "tel:+15551234", "--path",
	         "msrp://h:1/s;tcp", "--accept-types", "*");
	cr_assert_str_eq(c.accept_types, "*");
	cr_assert_null(c.alias);
	cr_assert_not(c.anonymous);

	PARSE_BAD("--accept-types: 'text' is not a media type", "leg", "add", "c1", "--identity",
	          "sip:a@b", "--path", "msrp://h:1/s;tcp", "--accept-types", "text/plain text");
	PARSE_BAD("--accept-types", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--accept-types", "*/plain");
	PARSE_BAD("--accept-types", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--accept-types", "text/pl;ain");
	PARSE_BAD("--alias", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--alias", "bad\xc3");
	PARSE_BAD("--alias", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--alias", "overlong \xc0\xaf");
	PARSE_BAD("--alias", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--alias", "tab\there");
	PARSE_BAD("--alias", "leg", "add", "c1", "--identity", "sip:a@b", "--path",
	          "msrp://h:1/s;tcp", "--alias", "");
}

Test(parse, leg_session_id_or_uri)
{
	struct mswctl_cmd c;

	PARSE_OK(&c, "leg", "del", "c1", "u7Hq0a9ZbXc1dE3fG5hJ");
	cr_assert_eq(c.verb, MSWCTL_LEG_DEL);
	cr_assert_eq(c.session_id_len, 20);
	cr_assert_eq(memcmp(c.session_id, "u7Hq0a9ZbXc1dE3fG5hJ", 20), 0);
	/* A whole local URI: its session-id (RFC 4975 §9 grammar, which allows '/' in it). */
	PARSE_OK(&c, "leg", "delete", "c1", "msrp://10.0.0.1:2855/u7Hq0a9ZbXc1dE3fG5hJ;tcp");
	cr_assert_eq(c.session_id_len, 20);
	cr_assert_eq(memcmp(c.session_id, "u7Hq0a9ZbXc1dE3fG5hJ", 20), 0);
	PARSE_OK(&c, "leg", "set", "c1", "msrp://[2001:db8::1]:2855/ab/cd;tcp", "--path",
	         "msrp://h:1/s;tcp");
	cr_assert_eq(c.verb, MSWCTL_LEG_SET);
	cr_assert_eq(c.session_id_len, 5);
	cr_assert_eq(memcmp(c.session_id, "ab/cd", 5), 0);
	cr_assert_str_eq(c.path, "msrp://h:1/s;tcp");

	PARSE_BAD("invalid LOCAL_SESSION_ID", "leg", "del", "c1", "msrp://10.0.0.1:2855;tcp");
	PARSE_BAD("invalid LOCAL_SESSION_ID", "leg", "del", "c1", "msrp://10.0.0.1:2855/abc");
	PARSE_BAD("invalid LOCAL_SESSION_ID", "leg", "del", "c1", "ab;c");
	PARSE_BAD("invalid LOCAL_SESSION_ID", "leg", "del", "c1",
	          "0123456789012345678901234567890123456789012345678");
	PARSE_BAD("missing LOCAL_SESSION_ID", "leg", "del", "c1");
	PARSE_BAD("leg set: give --path and/or --connect", "leg", "set", "c1", "sid");
}

Test(parse, instance_resolution)
{
	struct mswctl_cmd c;

	setenv("MSW_INSTANCE", "from-env", 1);
	PARSE_OK(&c, "conf", "list");
	cr_assert_str_eq(c.instance, "from-env");
	PARSE_OK(&c, "conf", "list", "--instance", "explicit.1");
	cr_assert_str_eq(c.instance, "explicit.1", "--instance wins over the environment");
	PARSE_OK(&c, "--instance=x_2", "stats");
	cr_assert_str_eq(c.instance, "x_2");
	PARSE_BAD("--instance", "conf", "list", "--instance", "a/b");
	PARSE_BAD("--instance", "conf", "list", "--instance", "0123456789012345678901234567890123");
	setenv("MSW_INSTANCE", "bad name", 1);
	PARSE_BAD("$MSW_INSTANCE", "conf", "list");
	unsetenv("MSW_INSTANCE");
}

Test(parse, options_per_command_and_typos)
{
	struct mswctl_cmd c;
	char e[256];

	PARSE_BAD("conf delete: option --json does not apply", "conf", "delete", "c1", "--json");
	PARSE_BAD("unknown option '--bogus'", "--bogus", "conf", "list");
	PARSE_BAD("unknown option '-x'", "conf", "list", "-x");
	PARSE_BAD("option --json given twice", "conf", "list", "--json", "--json");
	PARSE_BAD("option --json takes no value", "conf", "list", "--json=1");
	PARSE_BAD("unknown command 'conf frob'", "conf", "frob");
	PARSE_BAD("unknown command 'stat'", "stat");
	PARSE_BAD("missing command", "--json");
	PARSE_BAD("--timeout", "ping", "--timeout", "1s");
	PARSE_BAD("--call-timeout", "ping", "--call-timeout", "0");
	PARSE_BAD("--interval", "watch", "--interval", "5");
	PARSE_BAD("--count", "ping", "--count", "0");
	PARSE_BAD("drain: option --count does not apply", "drain", "--count", "2");

	cr_assert_eq(parse(&c, e, sizeof(e), "leg", "add", "c1", "--setup", "x", (char *)NULL),
	             MSWCTL_EXIT_USAGE);
	cr_assert_eq(c.verb, MSWCTL_LEG_ADD, "the usage line of the command is printed");

	PARSE_OK(&c, "watch", "--interval", "250", "--count", "3", "--all", "--timeout", "0");
	cr_assert_eq(c.verb, MSWCTL_WATCH);
	cr_assert_eq(c.interval_ms, 250);
	cr_assert_eq(c.count, 3);
	cr_assert(c.all);
	cr_assert_eq(c.wait_dp_ms, 0);
	PARSE_OK(&c, "drain", "--cancel");
	cr_assert(c.cancel);
	PARSE_OK(&c, "stats", "--json");
	cr_assert(c.json);
	PARSE_OK(&c, "conf", "create", "c1", "--help");
	cr_assert_eq(c.verb, MSWCTL_HELP);
	cr_assert_eq(c.help_for, MSWCTL_CONF_CREATE);
	PARSE_OK(&c, "-h");
	cr_assert_eq(c.verb, MSWCTL_HELP);
	cr_assert_eq(c.help_for, MSWCTL_NONE);
}

Test(parse, session_id_and_addr_helpers)
{
	char sid[MSW_CTL_SESSION_MAX];
	struct msw_ctl_addr a;

	cr_assert_eq(mswctl_session_id_from("a+b=c~d_e.f-g/h", sid, sizeof(sid)), 15);
	cr_assert_eq(mswctl_session_id_from("", sid, sizeof(sid)), -1);
	cr_assert_eq(mswctl_session_id_from("msrps://h.example/x;tcp", sid, sizeof(sid)), 1);
	cr_assert_eq(sid[0], 'x');
	cr_assert_eq(mswctl_addr_parse("127.0.0.1:1", &a), 0);
	cr_assert_eq(a.port, 1);
	cr_assert_eq(a.addr[0], 127);
	cr_assert_eq(a.addr[3], 1);
	cr_assert_eq(mswctl_addr_parse("127.0.0.1:", &a), -1);
}

/* ---- commands over the real control channel ---- */

#define T_TEXT 512

/* What the handlers saw. Written by the server thread before it posts the reply, read by the
 * test after the reply arrived (the ring's release/acquire orders them). */
struct t_seen {
	char client[MSW_CTL_CLIENT_NAME + 1];
	struct msw_ctl_conf_create create;
	struct msw_ctl_leg_add add;
	struct msw_ctl_leg_set set;
	struct msw_ctl_leg_del del;
	char path[T_TEXT], identity[T_TEXT], alias[T_TEXT], accept[T_TEXT];
	unsigned int n_create, n_add, n_set, n_del, n_conf_del;
};

static struct ctl_server *srv;
static pthread_t srv_thread;
static atomic_bool srv_stop;
static struct t_seen seen;
static char inst[32];

static const char *const t_ctr_names[3] = {"rx_chunks", "tx_chunks", "drop_bad_syntax"};
static _Atomic uint64_t *t_rows[2];
static atomic_bool t_ticking; /* the "lcore 1" counter tx_chunks moves while the server runs */

static void *
srv_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv_stop)) {
		ctl_server_poll(srv, 64);
		ctl_server_wait(srv, 2);
		if (atomic_load(&t_ticking))
			atomic_store(&t_rows[1][1], atomic_load(&t_rows[1][1]) + 1);
	}
	return NULL;
}

/* Copies a client->dp blob into dst as a C string; "" and false when absent. */
static bool
t_blob(struct ctl_server_req *req, const struct msw_ctl_blob_ref *ref, char *dst)
{
	const void *p;
	int n;

	dst[0] = '\0';
	if (ref->gen == 0)
		return false;
	n = ctl_server_req_blob(req, ref, &p);
	cr_assert(n >= 0 && n < T_TEXT, "blob resolves");
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return true;
}

static void
t_client(struct ctl_server_req *req)
{
	snprintf(seen.client, sizeof(seen.client), "%s", ctl_server_req_client(req));
}

static int
h_conf_create(struct ctl_server_req *req, void *arg)
{
	uint32_t len;
	const void *p = ctl_server_req_payload(req, &len);
	int rc;

	(void)arg;
	t_client(req);
	cr_assert_eq(len, sizeof(seen.create));
	memcpy(&seen.create, p, sizeof(seen.create));
	seen.n_create++;
	rc = ctl_server_obj_add(req, MSW_CTL_OBJ_CONF, seen.create.conf.id, seen.create.conf.len,
	                        0);
	return rc < 0 ? rc : 0;
}

/* Only the owning identity, once it adopted the object (RESYNC_BEGIN), may delete it. */
static int
h_conf_del(struct ctl_server_req *req, void *arg)
{
	struct msw_ctl_conf_del q;
	struct ctl_server_obj o;
	uint32_t len;

	(void)arg;
	t_client(req);
	memcpy(&q, ctl_server_req_payload(req, &len), sizeof(q));
	if (ctl_server_obj_lookup(srv, MSW_CTL_OBJ_CONF, q.conf.id, q.conf.len, &o) != 0)
		return -ENOENT;
	if (strncmp(o.owner, ctl_server_req_client(req), MSW_CTL_CLIENT_NAME) != 0 ||
	    o.owner_slot != ctl_server_req_slot(req))
		return -EPERM;
	seen.n_conf_del++;
	return ctl_server_obj_del(srv, MSW_CTL_OBJ_CONF, q.conf.id, q.conf.len);
}

#define T_SID "u7Hq0a9ZbXc1dE3fG5hJ"

static int
h_leg_add(struct ctl_server_req *req, void *arg)
{
	static const char uri[] = "msrp://127.0.0.1:2855/" T_SID ";tcp";
	struct msw_ctl_leg_add_r r;
	struct ctl_blob_src b = {.data = uri,
	                         .len = sizeof(uri) - 1,
	                         .cls = MSW_CTL_BLOB_CTL,
	                         .ref_off = offsetof(struct msw_ctl_leg_add_r, local_uri)};
	uint32_t len;

	(void)arg;
	t_client(req);
	memcpy(&seen.add, ctl_server_req_payload(req, &len), sizeof(seen.add));
	cr_assert_eq(len, sizeof(seen.add));
	t_blob(req, &seen.add.path, seen.path);
	t_blob(req, &seen.add.identity, seen.identity);
	t_blob(req, &seen.add.alias, seen.alias);
	t_blob(req, &seen.add.accept_types, seen.accept);
	seen.n_add++;
	if (seen.add.leg.conf.len == 4 && memcmp(seen.add.leg.conf.id, "none", 4) == 0)
		return -ENOENT;
	memset(&r, 0, sizeof(r));
	r.leg_handle = 7;
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, 1);
}

static int
h_leg_set(struct ctl_server_req *req, void *arg)
{
	uint32_t len;

	(void)arg;
	t_client(req);
	memcpy(&seen.set, ctl_server_req_payload(req, &len), sizeof(seen.set));
	t_blob(req, &seen.set.path, seen.path);
	seen.n_set++;
	return 0;
}

static int
h_leg_del(struct ctl_server_req *req, void *arg)
{
	uint32_t len;

	(void)arg;
	t_client(req);
	memcpy(&seen.del, ctl_server_req_payload(req, &len), sizeof(seen.del));
	seen.n_del++;
	if (seen.del.leg.session_id_len != strlen(T_SID) ||
	    memcmp(seen.del.leg.session_id, T_SID, strlen(T_SID)) != 0)
		return -ENOENT;
	return 0;
}

/* List pages: one entry per page so that mswctl must follow the cursor. */
static const struct msw_ctl_conf_entry *
t_conf(uint32_t i)
{
	static struct msw_ctl_conf_entry e[3];
	static const char *const ids[3] = {"c1", "c2", "gone"};

	if (i >= 3)
		return NULL;
	memset(&e[i], 0, sizeof(e[i]));
	e[i].conf.len = (uint8_t)strlen(ids[i]);
	memcpy(e[i].conf.id, ids[i], e[i].conf.len);
	e[i].max_legs = i == 0 ? 128 : 4;
	e[i].n_legs = i == 0 ? 2 : 0;
	e[i].max_size = i == 0 ? 1048576 : 65536;
	e[i].cpim_policy = i == 0 ? MSW_CTL_CPIM_WRAP : MSW_CTL_CPIM_OFF;
	e[i].flags = i == 1 ? MSW_CTL_CONF_F_HISTORY | MSW_CTL_CONF_F_NO_ANONYMOUS : 0;
	return &e[i];
}

static bool t_bad_leg_record; /* serve a record whose rec_len is not a multiple of 8 */

static int
h_conf_list(struct ctl_server_req *req, void *arg)
{
	struct msw_ctl_list q;
	struct msw_ctl_list_r r;
	const struct msw_ctl_conf_entry *e;
	struct ctl_blob_src b = {.cls = MSW_CTL_BLOB_CTL,
	                         .ref_off = offsetof(struct msw_ctl_list_r, entries)};
	uint32_t len;

	(void)arg;
	memcpy(&q, ctl_server_req_payload(req, &len), sizeof(q));
	memset(&r, 0, sizeof(r));
	e = t_conf(q.cursor);
	r.count = e != NULL ? 1 : 0;
	r.next_cursor = t_conf(q.cursor + 1) != NULL ? q.cursor + 1 : MSW_CTL_CURSOR_END;
	b.data = e;
	b.len = sizeof(*e);
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, r.count);
}

/* One msw_ctl_leg_entry record and its texts (msw_ctl_abi.h "LEG_LIST entries"). */
static uint32_t
t_leg_rec(uint8_t *buf, uint8_t state, uint8_t setup, uint8_t anon, uint32_t lcore,
          uint64_t max_size, const char *const t[7], uint8_t direction, uint8_t flags)
{
	struct msw_ctl_leg_entry e;
	uint32_t off = sizeof(e);
	unsigned int i;

	memset(&e, 0, sizeof(e));
	e.state = state;
	e.setup = setup;
	e.anonymous = anon;
	e.direction = direction;
	e.flags = flags;
	e.lcore = lcore;
	e.max_size = max_size;
	e.session_id_len = (uint16_t)strlen(t[0]);
	e.local_uri_len = (uint16_t)strlen(t[1]);
	e.path_len = (uint16_t)strlen(t[2]);
	e.identity_len = (uint16_t)strlen(t[3]);
	e.alias_len = (uint16_t)strlen(t[4]);
	e.accept_types_len = (uint16_t)strlen(t[5]);
	e.accept_wrapped_types_len = (uint16_t)strlen(t[6]);
	for (i = 0; i < 7; i++) {
		memcpy(buf + off, t[i], strlen(t[i]));
		off += (uint32_t)strlen(t[i]);
	}
	while (off % 8 != 0)
		buf[off++] = 0;
	e.rec_len = (uint16_t)(t_bad_leg_record ? off - 4 : off);
	memcpy(buf, &e, sizeof(e));
	return off;
}

static const char *const t_leg_a[7] = {"aaaaaaaaaaaaaaaaaaa1",
                                       "msrp://10.0.0.1:2855/aaaaaaaaaaaaaaaaaaa1;tcp",
                                       "msrp://10.0.0.9:7777/p1;tcp msrp://10.0.0.8:7777/p2;tcp",
                                       "sip:alice@example.com",
                                       "Al \"the\" \\ice\x01",
                                       "text/plain message/cpim",
                                       ""};
static const char *const t_leg_b[7] = {"bbbbbbbbbbbbbbbbbbb2",
                                       "msrp://10.0.0.1:2855/bbbbbbbbbbbbbbbbbbb2;tcp",
                                       "",
                                       "sip:bob@example.com",
                                       "",
                                       "message/cpim",
                                       "text/plain image/*"};

static int
h_leg_list(struct ctl_server_req *req, void *arg)
{
	struct msw_ctl_list q;
	struct msw_ctl_list_r r;
	static uint8_t buf[1024];
	struct ctl_blob_src b = {.data = buf,
	                         .cls = MSW_CTL_BLOB_CTL,
	                         .ref_off = offsetof(struct msw_ctl_list_r, entries)};
	uint32_t len;

	(void)arg;
	memcpy(&q, ctl_server_req_payload(req, &len), sizeof(q));
	memset(&r, 0, sizeof(r));
	if (q.conf.len == 2 && memcmp(q.conf.id, "c1", 2) == 0) {
		/* Two legs, one per page. */
		if (q.cursor == 0)
			b.len = t_leg_rec(buf, MSW_CTL_LEG_BOUND, MSW_CTL_SETUP_PASSIVE, 0, 1, 0,
			                  t_leg_a, MSW_CTL_DIR_SENDRECV, 0);
		else
			b.len = t_leg_rec(buf, MSW_CTL_LEG_WAITING, MSW_CTL_SETUP_ACTIVE, 1,
			                  UINT32_MAX, 4096, t_leg_b, MSW_CTL_DIR_RECVONLY,
			                  MSW_CTL_LEG_F_HISTORY);
		r.count = 1;
		r.next_cursor = q.cursor == 0 ? 1 : MSW_CTL_CURSOR_END;
		return ctl_server_reply(req, 0, &r, sizeof(r), &b, 1);
	}
	if (q.conf.len == 2 && memcmp(q.conf.id, "c2", 2) == 0) {
		r.next_cursor = MSW_CTL_CURSOR_END;
		return ctl_server_reply(req, 0, &r, sizeof(r), NULL, 0);
	}
	return -ENOENT; /* "gone": deleted between the two listings */
}

static void
srv_up(void)
{
	struct ctl_server_params p;

	unsetenv("MSW_INSTANCE");
	snprintf(inst, sizeof(inst), "mswctl-t%d", (int)getpid());
	ctl_server_params_default(&p);
	p.instance = inst;
	p.n_slots = 8;
	p.ring_cap = 16;
	p.blob_c2d = 16384;
	p.blob_d2c = 16384;
	p.blob_budget[MSW_CTL_BLOB_HISTORY] = p.blob_d2c / 2;
	p.blob_budget[MSW_CTL_BLOB_REPORT] = p.blob_d2c / 4;
	p.max_objects = 64;
	p.liveness_ms = 5;
	srv = ctl_server_create(&p);
	cr_assert_not_null(srv, "ctl_server_create: %s", strerror(errno));
	ctl_server_register(srv, MSW_CTL_CONF_CREATE, h_conf_create, NULL);
	ctl_server_register(srv, MSW_CTL_CONF_DEL, h_conf_del, NULL);
	ctl_server_register(srv, MSW_CTL_CONF_LIST, h_conf_list, NULL);
	ctl_server_register(srv, MSW_CTL_LEG_ADD, h_leg_add, NULL);
	ctl_server_register(srv, MSW_CTL_LEG_SET, h_leg_set, NULL);
	ctl_server_register(srv, MSW_CTL_LEG_DEL, h_leg_del, NULL);
	ctl_server_register(srv, MSW_CTL_LEG_LIST, h_leg_list, NULL);
	cr_assert_eq(ctl_server_counters_define(srv, t_ctr_names, 3, 2), 0);
	t_rows[0] = ctl_server_counters_row(srv, 0);
	t_rows[1] = ctl_server_counters_row(srv, 1);
	atomic_store(&t_rows[0][0], 5);
	atomic_store(&t_rows[1][0], 7);
	atomic_store(&t_rows[1][1], 3);
	memset(&seen, 0, sizeof(seen));
	atomic_store(&t_ticking, false);
	atomic_store(&srv_stop, false);
	cr_assert_eq(pthread_create(&srv_thread, NULL, srv_main, NULL), 0);
}

static void
srv_down(void)
{
	char name[64];

	if (srv != NULL) {
		atomic_store(&srv_stop, true);
		pthread_join(srv_thread, NULL);
		ctl_server_destroy(srv, true);
		srv = NULL;
	}
	snprintf(name, sizeof(name), "/msw.%s", inst);
	shm_unlink(name);
}

struct t_run {
	int status;
	char out[8192];
	char err[2048];
};

static void
t_slurp(FILE *f, char *dst, size_t cap)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(dst, 1, cap - 1, f);
	dst[n] = '\0';
	fclose(f);
}

/* Runs mswctl in this process: "mswctl <args...> --instance <inst>". */
static void
t_mswctl(struct t_run *r, ...)
{
	char *argv[ARGS_MAX];
	int argc = 0;
	FILE *out = tmpfile(), *err = tmpfile();
	const char *a;
	va_list ap;

	cr_assert(out != NULL && err != NULL);
	argv[argc++] = (char *)"mswctl";
	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) != NULL && argc < ARGS_MAX - 2)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = (char *)"--instance";
	argv[argc++] = inst;
	r->status = mswctl_main(argc, argv, out, err);
	t_slurp(out, r->out, sizeof(r->out));
	t_slurp(err, r->err, sizeof(r->err));
}

#define RUN(r, ...) t_mswctl((r), __VA_ARGS__, (const char *)NULL)

TestSuite(run, .init = srv_up, .fini = srv_down, .timeout = 60);

Test(run, conf_create_and_exists)
{
	struct t_run r;

	RUN(&r, "conf", "create", "c1", "--max-legs", "10", "--max-size", "1M", "--cpim",
	    "required");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(seen.client, MSWCTL_IDENTITY, "objects belong to the fixed identity");
	cr_assert_eq(seen.create.conf.len, 2);
	cr_assert_eq(memcmp(seen.create.conf.id, "c1", 2), 0);
	cr_assert_eq(seen.create.max_legs, 10);
	cr_assert_eq(seen.create.max_size, 1048576);
	cr_assert_eq(seen.create.cpim_policy, MSW_CTL_CPIM_REQUIRED);
	cr_assert_eq(seen.create.flags, 0);

	RUN(&r, "conf", "create", "c2", "--history", "--no-anonymous");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.create.flags, MSW_CTL_CONF_F_HISTORY | MSW_CTL_CONF_F_NO_ANONYMOUS);
	RUN(&r, "conf", "create", "c3", "--one-message");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.create.flags, MSW_CTL_CONF_F_ONE_MESSAGE);

	RUN(&r, "conf", "create", "c1");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "mswctl: conf create c1: conference exists\n");
	cr_assert_eq(seen.create.max_legs, 0, "absent --max-legs: 0, the data plane's limit");
	cr_assert_eq(seen.create.max_size, 0);
	cr_assert_eq(seen.create.cpim_policy, MSW_CTL_CPIM_WRAP);
}

Test(run, delete_adopts_the_orphans_of_the_identity)
{
	struct t_run r;
	struct ctl_client *cp;
	struct msw_ctl_conf_create q;

	RUN(&r, "conf", "create", "c1");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	/* That mswctl is gone: c1 is an orphan of identity "mswctl" until a later run adopts it
	 * (the handler requires the owner slot to be the requester's). */
	RUN(&r, "conf", "delete", "c1");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.n_conf_del, 1);
	RUN(&r, "conf", "delete", "c1");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "mswctl: conf delete c1: no such conference\n");

	/* A conference of another client (the control plane) stays its own. */
	cp = ctl_client_attach(inst, "msw-cp");
	cr_assert_not_null(cp);
	memset(&q, 0, sizeof(q));
	q.conf.len = 4;
	memcpy(q.conf.id, "cpc1", 4);
	cr_assert_eq(ctl_client_call(cp, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &q,
	                             sizeof(q), NULL, 0, NULL, 2000),
	             0);
	RUN(&r, "conf", "del", "cpc1");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "mswctl: conf delete cpc1: not permitted") == r.err, "%s", r.err);
	ctl_client_detach(cp);
}

Test(run, leg_add_wire_format_and_output)
{
	struct t_run r;
	uint8_t v4[4] = {10, 0, 0, 9};

	RUN(&r, "leg", "add", "c1", "--identity", "sip:alice@example.com", "--path",
	    "msrp://relay.example:2855/r1;tcp,msrp://10.0.0.9:7777/peer;tcp", "--alias", "Alice",
	    "--anonymous", "--accept-types", "text/plain,message/cpim", "--max-size", "4096",
	    "--setup", "active", "--connect", "10.0.0.9:7777");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "msrp://127.0.0.1:2855/" T_SID ";tcp\n", "exactly one line");
	cr_assert_str_eq(seen.client, MSWCTL_IDENTITY);
	cr_assert_eq(seen.add.leg.conf.len, 2);
	cr_assert_eq(memcmp(seen.add.leg.conf.id, "c1", 2), 0);
	cr_assert_eq(seen.add.leg.session_id_len, 0, "the data plane draws the session-id");
	cr_assert_eq(seen.add.max_size, 4096);
	cr_assert_eq(seen.add.setup, MSW_CTL_SETUP_ACTIVE);
	cr_assert_eq(seen.add.anonymous, 1);
	cr_assert_eq(seen.add.connect.family, AF_INET);
	cr_assert_eq(seen.add.connect.port, 7777);
	cr_assert_eq(memcmp(seen.add.connect.addr, v4, 4), 0);
	cr_assert_str_eq(seen.path,
	                 "msrp://relay.example:2855/r1;tcp msrp://10.0.0.9:7777/peer;tcp");
	cr_assert_str_eq(seen.identity, "sip:alice@example.com");
	cr_assert_str_eq(seen.alias, "Alice");
	cr_assert_str_eq(seen.accept, "text/plain message/cpim");
	cr_assert_eq(seen.add.direction, MSW_CTL_DIR_SENDRECV);
	cr_assert_eq(seen.add.flags, 0);

	/* v2: direction, history flag, accept-wrapped-types as the blob's second line. */
	RUN(&r, "leg", "add", "c1", "--identity", "sip:carol@example.com", "--path",
	    "msrp://10.0.0.8:7777/peer;tcp", "--accept-types", "message/cpim",
	    "--accept-wrapped-types", "text/plain,image/*", "--direction", "recvonly", "--history");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(seen.accept, "message/cpim\ntext/plain image/*");
	cr_assert_eq(seen.add.direction, MSW_CTL_DIR_RECVONLY);
	cr_assert_eq(seen.add.flags, MSW_CTL_LEG_F_HISTORY);
	RUN(&r, "leg", "add", "c1", "--identity", "sip:carol@example.com", "--path",
	    "msrp://10.0.0.8:7777/peer;tcp", "--accept-wrapped-types", "text/plain", "--direction",
	    "sendonly");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(seen.accept, "\ntext/plain", "no accept-types: empty first line");
	cr_assert_eq(seen.add.direction, MSW_CTL_DIR_SENDONLY);
	RUN(&r, "leg", "add", "c1", "--identity", "sip:carol@example.com", "--direction", "both");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--direction: 'both' is not sendrecv, sendonly or recvonly") !=
	                  NULL,
	          "%s", r.err);

	/* Absent options: no blob at all (gen 0), zero fields, passive. */
	RUN(&r, "leg", "add", "c1", "--identity", "sip:bob@example.com", "--path",
	    "msrp://10.0.0.8:7777/peer;tcp");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.add.alias.gen, 0);
	cr_assert_eq(seen.add.accept_types.gen, 0);
	cr_assert_neq(seen.add.path.gen, 0);
	cr_assert_eq(seen.add.connect.family, 0);
	cr_assert_eq(seen.add.setup, MSW_CTL_SETUP_PASSIVE);
	cr_assert_eq(seen.add.anonymous, 0);
	cr_assert_eq(seen.add.max_size, 0);
	cr_assert_eq(seen.add.direction, 0);
	cr_assert_eq(seen.add.flags, 0);

	RUN(&r, "leg", "add", "none", "--identity", "sip:bob@example.com", "--path",
	    "msrp://10.0.0.8:7777/peer;tcp");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "mswctl: leg add none: no such conference\n");
}

Test(run, leg_set_and_del)
{
	struct t_run r;

	RUN(&r, "leg", "set", "c1", "msrp://127.0.0.1:2855/" T_SID ";tcp", "--path",
	    "msrp://10.0.0.7:1234/new;tcp", "--connect", "10.0.0.7:1234");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.set.what, MSW_CTL_LEG_SET_PATH | MSW_CTL_LEG_SET_CONNECT);
	cr_assert_eq(seen.set.leg.session_id_len, strlen(T_SID));
	cr_assert_eq(memcmp(seen.set.leg.session_id, T_SID, strlen(T_SID)), 0);
	cr_assert_str_eq(seen.path, "msrp://10.0.0.7:1234/new;tcp");
	cr_assert_eq(seen.set.connect.port, 1234);

	RUN(&r, "leg", "set", "c1", T_SID, "--connect", "10.0.0.7:99");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.set.what, MSW_CTL_LEG_SET_CONNECT);
	cr_assert_eq(seen.set.path.gen, 0, "no path blob when only --connect is given");

	RUN(&r, "leg", "del", "c1", T_SID);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(seen.n_del, 1);
	RUN(&r, "leg", "del", "c1", "other");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "mswctl: leg del c1 other: no such leg in conference c1\n");
}

Test(run, conf_list_json_follows_cursors)
{
	struct t_run r;
	static const char want[] =
	        "{\"conferences\":["
	        "{\"id\":\"c1\",\"max_legs\":128,\"n_legs\":2,\"max_size\":1048576,"
	        "\"cpim\":\"wrap\",\"history\":false,\"anonymity\":true,\"one_message\":false,"
	        "\"legs\":["
	        "{\"session_id\":\"aaaaaaaaaaaaaaaaaaa1\","
	        "\"local_uri\":\"msrp://10.0.0.1:2855/aaaaaaaaaaaaaaaaaaa1;tcp\","
	        "\"path\":[\"msrp://10.0.0.9:7777/p1;tcp\",\"msrp://10.0.0.8:7777/p2;tcp\"],"
	        "\"identity\":\"sip:alice@example.com\",\"state\":\"bound\","
	        "\"alias\":\"Al \\\"the\\\" \\\\ice\\u0001\",\"anonymous\":false,"
	        "\"setup\":\"passive\",\"accept_types\":[\"text/plain\",\"message/cpim\"],"
	        "\"accept_wrapped_types\":[],\"direction\":\"sendrecv\",\"history\":false,"
	        "\"max_size\":0,\"lcore\":1},"
	        "{\"session_id\":\"bbbbbbbbbbbbbbbbbbb2\","
	        "\"local_uri\":\"msrp://10.0.0.1:2855/bbbbbbbbbbbbbbbbbbb2;tcp\","
	        "\"path\":[],\"identity\":\"sip:bob@example.com\",\"state\":\"waiting\","
	        "\"alias\":\"\",\"anonymous\":true,\"setup\":\"active\","
	        "\"accept_types\":[\"message/cpim\"],"
	        "\"accept_wrapped_types\":[\"text/plain\",\"image/*\"],\"direction\":\"recvonly\","
	        "\"history\":true,\"max_size\":4096,\"lcore\":null}]},"
	        "{\"id\":\"c2\",\"max_legs\":4,\"n_legs\":0,\"max_size\":65536,\"cpim\":\"off\","
	        "\"history\":true,\"anonymity\":false,\"one_message\":false,\"legs\":[]}]}\n";

	RUN(&r, "conf", "list", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, want, "\ngot  %s\nwant %s", r.out, want);
	cr_assert_str_eq(r.err, "");

	RUN(&r, "conf", "list");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "c1: legs 2/128, max-size 1048576, cpim wrap\n") != NULL, "%s",
	          r.out);
	cr_assert(strstr(r.out, "aaaaaaaaaaaaaaaaaaa1") != NULL);
	cr_assert(strstr(r.out, "\x01") == NULL, "control bytes are not printed raw");
	cr_assert(strstr(r.out, "c2: legs 0/4") != NULL);
	cr_assert(strstr(r.out, "gone") == NULL, "a conference deleted meanwhile is skipped");
}

Test(run, leg_list)
{
	struct t_run r;

	RUN(&r, "leg", "list", "c2", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{\"id\":\"c2\",\"legs\":[]}\n");
	RUN(&r, "leg", "list", "c1");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "c1: 2 legs\n") == r.out, "%s", r.out);
	cr_assert(strstr(r.out, "bbbbbbbbbbbbbbbbbbb2") != NULL);
	cr_assert(strstr(r.out, "(no path yet)") != NULL);
	RUN(&r, "leg", "list", "gone");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "mswctl: leg list gone: no such conference\n");
}

Test(run, malformed_list_record_is_refused)
{
	struct t_run r;

	t_bad_leg_record = true;
	RUN(&r, "leg", "list", "c1", "--json");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err,
	                 "mswctl: leg list c1: malformed reply or corrupt control channel\n");
}

Test(run, stats_json_and_table)
{
	struct t_run r;

	RUN(&r, "stats", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out,
	                 "{\"total\":{\"rx_chunks\":12,\"tx_chunks\":3,\"drop_bad_syntax\":0},"
	                 "\"lcores\":[{\"rx_chunks\":5,\"tx_chunks\":0,\"drop_bad_syntax\":0},"
	                 "{\"rx_chunks\":7,\"tx_chunks\":3,\"drop_bad_syntax\":0}],"
	                 "\"channel\":{\"cmd_rx\":") == r.out,
	          "%s", r.out);

	RUN(&r, "stats");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "rx_chunks") != NULL);
	cr_assert(strstr(r.out, "drop_bad_syntax") == NULL, "zero rows hidden: %s", r.out);
	RUN(&r, "stats", "--all");
	cr_assert(strstr(r.out, "drop_bad_syntax") != NULL, "--all shows zero rows");
}

Test(run, watch_counts_and_rates)
{
	struct t_run r;
	const char *p, *q;

	atomic_store(&t_ticking, true);
	RUN(&r, "watch", "--interval", "50", "--count", "2");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "\033") == NULL, "no screen control when stdout is not a tty");
	p = strstr(r.out, "RATE/s");
	cr_assert_not_null(p);
	q = strstr(p + 1, "RATE/s");
	cr_assert_not_null(q, "two tables");
	cr_assert_null(strstr(q + 1, "RATE/s"), "only two");
	/* Only what moved: tx_chunks ticks, rx_chunks (12) stands still. */
	cr_assert(strstr(r.out, "\ntx_chunks ") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "\nrx_chunks ") == NULL, "%s", r.out);
	RUN(&r, "watch", "--interval", "10", "--count", "1", "--all");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "\nrx_chunks ") != NULL, "--all shows every row: %s", r.out);
	cr_assert(strstr(r.out, "\ndrop_bad_syntax ") != NULL, "%s", r.out);
}

Test(run, ping_and_drain)
{
	struct t_run r;
	struct msw_ctl_region_hdr *h = ctl_server_region(srv);

	RUN(&r, "ping", "--count", "20");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, ": 20 round trips, min ") != NULL, "%s", r.out);
	RUN(&r, "drain");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(atomic_load(&h->state), MSW_CTL_DP_DRAINING);
	RUN(&r, "drain", "--cancel");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(atomic_load(&h->state), MSW_CTL_DP_UP);
}

/* A concurrent mswctl holds the identity: retried for MSWCTL_ATTACH_RETRY_MS, then a clear
 * error. Read-only commands use their own identity and are not blocked. */
Test(run, identity_in_use)
{
	struct t_run r;
	struct ctl_client *other = ctl_client_attach(inst, MSWCTL_IDENTITY);
	struct timespec t0, t1;
	double dt;

	cr_assert_not_null(other);
	RUN(&r, "ping", "--count", "1");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	RUN(&r, "conf", "create", "c9");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "another mswctl is using the identity \"mswctl\"") != NULL, "%s",
	          r.err);
	cr_assert(dt >= MSWCTL_ATTACH_RETRY_MS / 1000.0, "retried before failing");
	cr_assert_eq(seen.n_create, 0);
	ctl_client_detach(other);
}

Test(run, region_without_a_running_data_plane)
{
	struct t_run r;

	/* A clean stop keeping the region (as across a restart): attach works, nobody serves. */
	atomic_store(&srv_stop, true);
	pthread_join(srv_thread, NULL);
	ctl_server_destroy(srv, false);
	srv = NULL;
	RUN(&r, "ping", "--timeout", "100");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "mswctl: no data plane for instance ") == r.err, "%s", r.err);
	cr_assert(strstr(r.err, inst) != NULL);
}

/* ---- the built binary ---- */

Test(binary, instance_that_does_not_exist)
{
	const char *root = getenv("MSW_BUILD_ROOT");
	char bin[4096], name[40], out[4096], err[4096], want[128];
	FILE *fo = tmpfile(), *fe = tmpfile();
	struct timespec ts;
	int st;
	pid_t pid;

	cr_assert_not_null(root, "MSW_BUILD_ROOT not set (run through meson test)");
	cr_assert(fo != NULL && fe != NULL);
	snprintf(bin, sizeof(bin), "%s/dataplane/mswctl/mswctl", root);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "nx-%d-%08lx", (int)getpid(),
	         (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 20)) & 0xffffffffu);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(fo), STDOUT_FILENO);
		dup2(fileno(fe), STDERR_FILENO);
		execl(bin, "mswctl", "conf", "create", "c1", "--instance", name, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	t_slurp(fo, out, sizeof(out));
	t_slurp(fe, err, sizeof(err));
	cr_assert_eq(WEXITSTATUS(st), 1, "exit status (stderr: %s)", err);
	snprintf(want, sizeof(want), "mswctl: no data plane for instance %s\n", name);
	cr_assert_str_eq(err, want);
	cr_assert_str_eq(out, "");

	/* A usage error of the binary: status 2 and the usage line. */
	fo = tmpfile();
	fe = tmpfile();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(fo), STDOUT_FILENO);
		dup2(fileno(fe), STDERR_FILENO);
		execl(bin, "mswctl", "leg", "add", "c1", "--path", "msrp://h:1/s;tcp",
		      (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	t_slurp(fo, out, sizeof(out));
	t_slurp(fe, err, sizeof(err));
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 2);
	cr_assert(strstr(err, "mswctl: leg add: --identity is required\nusage: mswctl leg add ") ==
	                  err,
	          "%s", err);
}
