/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mswctl command-line parser: turns argv into a struct mswctl_cmd, checking every value so that
 * a typo is a usage error (exit 2) naming the option, never a command refused later by the data
 * plane with a bare EINVAL. Syntax: docs/mswctl.md.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "msrp/msrp.h"
#include "mswctl.h"

enum mswctl_opt_id {
	O_INSTANCE,
	O_TIMEOUT,
	O_CALL_TIMEOUT,
	O_HELP,
	O_JSON,
	O_ALL,
	O_MAX_LEGS,
	O_MAX_SIZE,
	O_CPIM,
	O_PATH,
	O_IDENTITY,
	O_ALIAS,
	O_ANONYMOUS,
	O_ACCEPT_TYPES,
	O_SETUP,
	O_CONNECT,
	O_INTERVAL,
	O_COUNT,
	O_CANCEL,
	O_ACCEPT_WRAPPED,
	O_DIRECTION,
	O_HISTORY,
	O_NO_ANONYMOUS,
	O_ONE_MESSAGE,
	O_MAX
};

#define OPT(o) (1u << (o))
/* Options every verb takes. */
#define OPTS_COMMON (OPT(O_INSTANCE) | OPT(O_TIMEOUT) | OPT(O_CALL_TIMEOUT) | OPT(O_HELP))

struct mswctl_opt_def {
	const char *name; /* without the leading "--" */
	bool has_arg;
};

static const struct mswctl_opt_def mswctl_opts[O_MAX] = {
        [O_INSTANCE] = {"instance", true},
        [O_TIMEOUT] = {"timeout", true},
        [O_CALL_TIMEOUT] = {"call-timeout", true},
        [O_HELP] = {"help", false},
        [O_JSON] = {"json", false},
        [O_ALL] = {"all", false},
        [O_MAX_LEGS] = {"max-legs", true},
        [O_MAX_SIZE] = {"max-size", true},
        [O_CPIM] = {"cpim", true},
        [O_PATH] = {"path", true},
        [O_IDENTITY] = {"identity", true},
        [O_ALIAS] = {"alias", true},
        [O_ANONYMOUS] = {"anonymous", false},
        [O_ACCEPT_TYPES] = {"accept-types", true},
        [O_SETUP] = {"setup", true},
        [O_CONNECT] = {"connect", true},
        [O_INTERVAL] = {"interval", true},
        [O_COUNT] = {"count", true},
        [O_CANCEL] = {"cancel", false},
        [O_ACCEPT_WRAPPED] = {"accept-wrapped-types", true},
        [O_DIRECTION] = {"direction", true},
        [O_HISTORY] = {"history", false},
        [O_NO_ANONYMOUS] = {"no-anonymous", false},
        [O_ONE_MESSAGE] = {"one-message", false},
};

struct mswctl_verb_def {
	const char *word1;
	const char *word2; /* NULL: one-word verb */
	const char *alias2;
	unsigned int n_operands; /* 0, 1 (CONF_ID) or 2 (CONF_ID LOCAL_SESSION_ID) */
	uint32_t opts;           /* options besides OPTS_COMMON */
	const char *usage;       /* after "mswctl " */
};

static const struct mswctl_verb_def mswctl_verbs[MSWCTL_VERB_MAX] = {
        [MSWCTL_HELP] = {"help", NULL, NULL, 0, 0, "help | --help"},
        [MSWCTL_CONF_CREATE] = {"conf", "create", NULL, 1,
                                OPT(O_MAX_LEGS) | OPT(O_MAX_SIZE) | OPT(O_CPIM) | OPT(O_HISTORY) |
                                        OPT(O_NO_ANONYMOUS) | OPT(O_ONE_MESSAGE),
                                "conf create CONF_ID [--max-legs N] [--max-size BYTES] "
                                "[--cpim wrap|required|off] [--history] [--no-anonymous] "
                                "[--one-message]"},
        [MSWCTL_CONF_DELETE] = {"conf", "delete", "del", 1, 0, "conf delete CONF_ID"},
        [MSWCTL_CONF_LIST] = {"conf", "list", NULL, 0, OPT(O_JSON), "conf list [--json]"},
        [MSWCTL_LEG_ADD] = {"leg", "add", NULL, 1,
                            OPT(O_PATH) | OPT(O_IDENTITY) | OPT(O_ALIAS) | OPT(O_ANONYMOUS) |
                                    OPT(O_ACCEPT_TYPES) | OPT(O_MAX_SIZE) | OPT(O_SETUP) |
                                    OPT(O_CONNECT) | OPT(O_ACCEPT_WRAPPED) | OPT(O_DIRECTION) |
                                    OPT(O_HISTORY),
                            "leg add CONF_ID --identity URI [--path URI[,URI...]] "
                            "[--alias NAME] [--anonymous] [--accept-types \"T1 T2\"] "
                            "[--accept-wrapped-types \"T1 T2\"] "
                            "[--direction sendrecv|sendonly|recvonly] [--history] "
                            "[--max-size BYTES] [--setup active|passive] [--connect IP:PORT]"},
        [MSWCTL_LEG_SET] = {"leg", "set", NULL, 2, OPT(O_PATH) | OPT(O_CONNECT),
                            "leg set CONF_ID LOCAL_SESSION_ID|LOCAL_URI [--path URI[,URI...]] "
                            "[--connect IP:PORT]"},
        [MSWCTL_LEG_DEL] = {"leg", "del", "delete", 2, 0,
                            "leg del CONF_ID LOCAL_SESSION_ID|LOCAL_URI"},
        [MSWCTL_LEG_LIST] = {"leg", "list", NULL, 1, OPT(O_JSON), "leg list CONF_ID [--json]"},
        [MSWCTL_STATS] = {"stats", NULL, NULL, 0, OPT(O_JSON) | OPT(O_ALL),
                          "stats [--json] [--all]"},
        [MSWCTL_WATCH] = {"watch", NULL, NULL, 0, OPT(O_INTERVAL) | OPT(O_COUNT) | OPT(O_ALL),
                          "watch [--interval MS] [--count N] [--all]"},
        [MSWCTL_DRAIN] = {"drain", NULL, NULL, 0, OPT(O_CANCEL), "drain [--cancel]"},
        [MSWCTL_PING] = {"ping", NULL, NULL, 0, OPT(O_COUNT), "ping [--count N]"},
};

void
mswctl_usage(FILE *f, enum mswctl_verb verb)
{
	unsigned int v;

	if (verb > MSWCTL_HELP && verb < MSWCTL_VERB_MAX) {
		fprintf(f, "usage: mswctl %s [--instance NAME]\n", mswctl_verbs[verb].usage);
		return;
	}
	fputs("usage: mswctl COMMAND [--instance NAME] [--timeout MS] [--call-timeout MS]\n", f);
	for (v = MSWCTL_CONF_CREATE; v < MSWCTL_VERB_MAX; v++)
		fprintf(f, "       mswctl %s\n", mswctl_verbs[v].usage);
	fputs("       mswctl help\n"
	      "Instance: --instance, else $MSW_INSTANCE, else \"default\". Exit status: 0 ok,\n"
	      "1 runtime error (no data plane, command refused), 2 usage error. See "
	      "docs/mswctl.md.\n",
	      f);
}

struct mswctl_parser {
	char *err;
	size_t errlen;
	uint32_t seen; /* options given, to refuse repetitions */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
mswctl_fail(struct mswctl_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return MSWCTL_EXIT_USAGE;
}

/* Strict decimal: digits only, no sign, no blanks, no overflow. */
static bool
mswctl_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (x > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/* Bytes with an optional binary suffix K, M or G ("64K" = 65536), at most UINT32_MAX. */
static bool
mswctl_size(const char *s, uint32_t *v)
{
	char num[24];
	size_t n = strlen(s);
	uint64_t mult = 1, x;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[n - 1] = '\0';
	if (!mswctl_u64(num, UINT32_MAX, &x) || x > UINT32_MAX / mult)
		return false;
	*v = (uint32_t)(x * mult);
	return true;
}

static bool
mswctl_u32_range(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	uint64_t x;

	if (!mswctl_u64(s, UINT32_MAX, &x) || x < lo || x > hi)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool
mswctl_instance_valid(const char *s)
{
	size_t n = strlen(s);

	/* Same alphabet as a CONF_ID, shorter (MSW_CTL_INSTANCE_MAX): "/msw.<instance>". */
	return n >= 1 && n <= MSW_CTL_INSTANCE_MAX && msw_ctl_conf_id_valid(s, n);
}

/* RFC 4975 §9: session-id = 1*( unreserved / "+" / "=" / "/" ), RFC 3986 unreserved. */
static bool
mswctl_sid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '=' || c == '/';
}

int
mswctl_session_id_from(const char *arg, char *sid, size_t cap)
{
	const char *s = arg;
	size_t len = strlen(arg), i;
	struct msrp_uri uri;

	if (strstr(arg, "://") != NULL) {
		/* A whole local URI: msrp://authority/session-id;transport. The session-id may
		 * itself contain '/', so the URI parser, not a search for the last '/', finds it.
		 */
		if (msrp_uri_parse((const uint8_t *)arg, len, &uri) != 0)
			return -1;
		s = (const char *)uri.session_id.p;
		len = uri.session_id.len;
	}
	if (len == 0 || len > MSW_CTL_SESSION_MAX || len > cap)
		return -1;
	for (i = 0; i < len; i++)
		if (!mswctl_sid_char(s[i]))
			return -1;
	memcpy(sid, s, len);
	return (int)len;
}

static bool
mswctl_port(const char *s, uint16_t *port)
{
	uint64_t x;

	if (!mswctl_u64(s, 65535, &x) || x == 0)
		return false;
	*port = (uint16_t)x;
	return true;
}

int
mswctl_addr_parse(const char *s, struct msw_ctl_addr *a)
{
	char host[64];
	const char *colon;
	size_t hlen;
	int af = AF_INET;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		/* RFC 3986 §3.2.2: an IPv6 literal is bracketed so its colons are not the port's.
		 */
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hlen);
		colon = close + 1;
		af = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, s, hlen);
	}
	host[hlen] = '\0';
	if (!mswctl_port(colon + 1, &a->port) || inet_pton(af, host, a->addr) != 1)
		return -1;
	a->family = (uint16_t)af;
	return 0;
}

/*
 * Splits a list given as "a,b", "a b" or a mix into its elements (an empty element between
 * commas is an error) and calls fn for each. Returns 0, or -1 after fn failed or on an empty
 * element (*bad then points at it).
 */
typedef int mswctl_elem_fn(const char *s, size_t len, void *arg);

static int
mswctl_split(const char *list, mswctl_elem_fn *fn, void *arg)
{
	const char *p = list;

	for (;;) {
		const char *end = strchr(p, ',');
		const char *e = end != NULL ? end : p + strlen(p);
		bool any = false;

		while (p < e) {
			const char *t;

			while (p < e && *p == ' ')
				p++;
			t = p;
			while (p < e && *p != ' ')
				p++;
			if (p > t) {
				if (fn(t, (size_t)(p - t), arg) != 0)
					return -1;
				any = true;
			}
		}
		if (!any)
			return fn(NULL, 0, arg); /* empty element */
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

struct mswctl_join {
	char *buf;
	uint32_t *len;
	size_t cap;
	const char *bad; /* the element that failed, for the message */
	size_t bad_len;
	bool too_long;
	bool (*check)(const char *s, size_t len);
};

static int
mswctl_join_add(const char *s, size_t len, void *arg)
{
	struct mswctl_join *j = arg;
	size_t sep = *j->len != 0 ? 1 : 0;

	j->bad = s;
	j->bad_len = len;
	if (s == NULL || !j->check(s, len))
		return -1;
	if (*j->len + sep + len >= j->cap) {
		j->too_long = true;
		return -1;
	}
	if (sep)
		j->buf[(*j->len)++] = ' ';
	memcpy(j->buf + *j->len, s, len);
	*j->len += (uint32_t)len;
	j->buf[*j->len] = '\0';
	return 0;
}

/* RFC 4975 §9 MSRP-URI; relays (RFC 4976) have no session-id, so it is not required. */
static bool
mswctl_uri_ok(const char *s, size_t len)
{
	struct msrp_uri uri;

	return msrp_uri_parse((const uint8_t *)s, len, &uri) == 0;
}

/* RFC 2045 §5.1 token (type and subtype of a media type). */
static bool
mswctl_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return true;
}

/* RFC 4975 §8.6 / §9 format-entry: "*", type "/" subtype, or type "/" "*". */
static bool
mswctl_media_type_ok(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t tlen;

	if (len == 1 && s[0] == '*')
		return true;
	if (slash == NULL)
		return false;
	tlen = (size_t)(slash - s);
	/* "*" alone means anything; a wildcard type before a subtype is not a format-entry. */
	if (!mswctl_token(s, tlen) || (tlen == 1 && s[0] == '*'))
		return false;
	if (len - tlen - 1 == 1 && slash[1] == '*')
		return true;
	return mswctl_token(slash + 1, len - tlen - 1);
}

/* RFC 3986 §3.1: scheme ":" rest, printable ASCII without spaces (a SIP/SIPS/TEL URI). */
static bool
mswctl_identity_ok(const char *s)
{
	size_t i, n = strlen(s);
	const char *colon = strchr(s, ':');

	if (n == 0 || n > MSWCTL_TEXT_MAX || colon == NULL || colon == s || colon[1] == '\0')
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; s + i < colon; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return false;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

size_t
mswctl_utf8_seq(const uint8_t *p, size_t n)
{
	size_t more, k;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		more = 1;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		more = 2;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		more = 3;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (more >= n)
		return 0;
	for (k = 1; k <= more; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	/* Overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629 §3). */
	if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return more + 1;
}

/* Display alias: 1..MSWCTL_TEXT_MAX bytes of well-formed UTF-8 without control characters. */
static bool
mswctl_alias_ok(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), i = 0;

	if (n == 0 || n > MSWCTL_TEXT_MAX)
		return false;
	while (i < n) {
		size_t k = mswctl_utf8_seq(p + i, n - i);

		if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
			return false;
		i += k;
	}
	return true;
}

const char *
mswctl_cmd_name(enum mswctl_verb v, char *buf, size_t cap)
{
	const struct mswctl_verb_def *d = &mswctl_verbs[v];

	if (v <= MSWCTL_NONE || v >= MSWCTL_VERB_MAX)
		snprintf(buf, cap, "?");
	else
		snprintf(buf, cap, "%s%s%s", d->word1, d->word2 != NULL ? " " : "",
		         d->word2 != NULL ? d->word2 : "");
	return buf;
}

static int
mswctl_opt_lookup(const char *arg, size_t name_len)
{
	unsigned int i;

	for (i = 0; i < O_MAX; i++)
		if (strlen(mswctl_opts[i].name) == name_len &&
		    strncmp(mswctl_opts[i].name, arg, name_len) == 0)
			return (int)i;
	return -1;
}

static int
mswctl_list_opt(struct mswctl_parser *p, const char *opt, const char *val, char *buf, uint32_t *len,
                size_t cap, bool (*check)(const char *, size_t), const char *what)
{
	struct mswctl_join j = {
	        .buf = buf, .len = len, .cap = cap, .check = check, .bad = NULL, .bad_len = 0};

	if (mswctl_split(val, mswctl_join_add, &j) == 0)
		return MSWCTL_EXIT_OK;
	if (j.too_long)
		return mswctl_fail(p, "--%s: longer than %zu bytes", opt, cap - 1);
	if (j.bad == NULL)
		return mswctl_fail(p, "--%s: empty element in '%s'", opt, val);
	return mswctl_fail(p, "--%s: '%.*s' is not %s", opt, (int)j.bad_len, j.bad, what);
}

/* Applies one option to cmd; the verb is known. */
static int
mswctl_apply(struct mswctl_parser *p, struct mswctl_cmd *cmd, int id, const char *val)
{
	const char *name = mswctl_opts[id].name;

	switch (id) {
	case O_INSTANCE:
		if (!mswctl_instance_valid(val))
			return mswctl_fail(p, "--instance: '%s' is not 1 to %u of [A-Za-z0-9._-]",
			                   val, MSW_CTL_INSTANCE_MAX);
		snprintf(cmd->instance, sizeof(cmd->instance), "%s", val);
		return 0;
	case O_TIMEOUT:
		if (!mswctl_u32_range(val, 0, 3600000, &cmd->wait_dp_ms))
			return mswctl_fail(p, "--timeout: '%s' is not 0 to 3600000 (ms)", val);
		return 0;
	case O_CALL_TIMEOUT:
		if (!mswctl_u32_range(val, 1, 3600000, &cmd->call_ms))
			return mswctl_fail(p, "--call-timeout: '%s' is not 1 to 3600000 (ms)", val);
		return 0;
	case O_HELP:
	case O_JSON:
	case O_ALL:
	case O_ANONYMOUS:
	case O_CANCEL:
	case O_HISTORY:
	case O_NO_ANONYMOUS:
	case O_ONE_MESSAGE:
		cmd->json |= id == O_JSON;
		cmd->all |= id == O_ALL;
		cmd->anonymous |= id == O_ANONYMOUS;
		cmd->cancel |= id == O_CANCEL;
		cmd->history |= id == O_HISTORY;
		cmd->no_anonymous |= id == O_NO_ANONYMOUS;
		cmd->one_message |= id == O_ONE_MESSAGE;
		return 0;
	case O_MAX_LEGS:
		if (!mswctl_u32_range(val, 0, UINT32_MAX, &cmd->max_legs))
			return mswctl_fail(p,
			                   "--max-legs: '%s' is not a number (0 = data-plane "
			                   "default)",
			                   val);
		return 0;
	case O_MAX_SIZE:
		if (!mswctl_size(val, &cmd->max_size))
			return mswctl_fail(p,
			                   "--max-size: '%s' is not a byte count (N, NK, NM, NG; "
			                   "at most 4294967295)",
			                   val);
		return 0;
	case O_CPIM:
		if (strcmp(val, "wrap") == 0)
			cmd->cpim_policy = MSW_CTL_CPIM_WRAP;
		else if (strcmp(val, "required") == 0)
			cmd->cpim_policy = MSW_CTL_CPIM_REQUIRED;
		else if (strcmp(val, "off") == 0)
			cmd->cpim_policy = MSW_CTL_CPIM_OFF;
		else
			return mswctl_fail(p, "--cpim: '%s' is not wrap, required or off", val);
		return 0;
	case O_PATH:
		return mswctl_list_opt(p, name, val, cmd->path, &cmd->path_len, sizeof(cmd->path),
		                       mswctl_uri_ok, "an MSRP URI (RFC 4975 §9)");
	case O_IDENTITY:
		if (!mswctl_identity_ok(val))
			return mswctl_fail(p,
			                   "--identity: '%s' is not a URI such as "
			                   "sip:alice@example.com",
			                   val);
		cmd->identity = val;
		return 0;
	case O_ALIAS:
		if (!mswctl_alias_ok(val))
			return mswctl_fail(
			        p,
			        "--alias: must be 1 to %u bytes of UTF-8 without control "
			        "characters",
			        MSWCTL_TEXT_MAX);
		cmd->alias = val;
		return 0;
	case O_ACCEPT_TYPES:
		return mswctl_list_opt(p, name, val, cmd->accept_types, &cmd->accept_types_len,
		                       sizeof(cmd->accept_types), mswctl_media_type_ok,
		                       "a media type (*, type/*, type/subtype)");
	case O_ACCEPT_WRAPPED:
		return mswctl_list_opt(p, name, val, cmd->accept_wrapped_types,
		                       &cmd->accept_wrapped_types_len,
		                       sizeof(cmd->accept_wrapped_types), mswctl_media_type_ok,
		                       "a media type (*, type/*, type/subtype)");
	case O_DIRECTION:
		if (strcmp(val, "sendrecv") == 0)
			cmd->direction = MSW_CTL_DIR_SENDRECV;
		else if (strcmp(val, "sendonly") == 0)
			cmd->direction = MSW_CTL_DIR_SENDONLY;
		else if (strcmp(val, "recvonly") == 0)
			cmd->direction = MSW_CTL_DIR_RECVONLY;
		else
			return mswctl_fail(
			        p, "--direction: '%s' is not sendrecv, sendonly or recvonly", val);
		return 0;
	case O_SETUP:
		if (strcmp(val, "active") == 0)
			cmd->setup = MSW_CTL_SETUP_ACTIVE;
		else if (strcmp(val, "passive") == 0)
			cmd->setup = MSW_CTL_SETUP_PASSIVE;
		else
			return mswctl_fail(p, "--setup: '%s' is not active or passive", val);
		return 0;
	case O_CONNECT:
		if (mswctl_addr_parse(val, &cmd->connect) != 0)
			return mswctl_fail(p, "--connect: '%s' is not IPv4:PORT or [IPv6]:PORT",
			                   val);
		cmd->connect_set = true;
		return 0;
	case O_INTERVAL:
		if (!mswctl_u32_range(val, 10, 3600000, &cmd->interval_ms))
			return mswctl_fail(p, "--interval: '%s' is not 10 to 3600000 (ms)", val);
		return 0;
	case O_COUNT:
		if (!mswctl_u32_range(val, 1, 1000000, &cmd->count))
			return mswctl_fail(p, "--count: '%s' is not 1 to 1000000", val);
		return 0;
	default:
		return mswctl_fail(p, "internal: option %d", id);
	}
}

static bool
mswctl_is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

/* Finds the verb from the positional words; sets *n_words to how many it used. */
static enum mswctl_verb
mswctl_find_verb(char **pos, int n_pos, int *n_words)
{
	unsigned int v;

	for (v = MSWCTL_HELP; v < MSWCTL_VERB_MAX; v++) {
		const struct mswctl_verb_def *d = &mswctl_verbs[v];

		if (n_pos < 1 || strcmp(pos[0], d->word1) != 0)
			continue;
		if (d->word2 == NULL) {
			*n_words = 1;
			return (enum mswctl_verb)v;
		}
		if (n_pos >= 2 && (strcmp(pos[1], d->word2) == 0 ||
		                   (d->alias2 != NULL && strcmp(pos[1], d->alias2) == 0))) {
			*n_words = 2;
			return (enum mswctl_verb)v;
		}
	}
	return MSWCTL_NONE;
}

static int
mswctl_operands(struct mswctl_parser *p, struct mswctl_cmd *cmd, char **ops, int n)
{
	const struct mswctl_verb_def *d = &mswctl_verbs[cmd->verb];
	char vname[32];
	int sid_len;

	mswctl_cmd_name(cmd->verb, vname, sizeof(vname));
	if ((unsigned int)n < d->n_operands)
		return mswctl_fail(p, "%s: missing %s", vname,
		                   n == 0 ? "CONF_ID" : "LOCAL_SESSION_ID");
	if ((unsigned int)n > d->n_operands)
		return mswctl_fail(p, "%s: unexpected argument '%s'", vname, ops[d->n_operands]);
	if (n >= 1) {
		size_t len = strlen(ops[0]);

		if (!msw_ctl_conf_id_valid(ops[0], len))
			return mswctl_fail(p, "%s: invalid CONF_ID '%s': 1 to %u of [A-Za-z0-9._-]",
			                   vname, ops[0], MSW_CTL_CONF_ID_MAX);
		memcpy(cmd->conf.id, ops[0], len);
		cmd->conf.len = (uint8_t)len;
	}
	if (n >= 2) {
		sid_len = mswctl_session_id_from(ops[1], cmd->session_id, sizeof(cmd->session_id));
		if (sid_len < 0)
			return mswctl_fail(p,
			                   "%s: invalid LOCAL_SESSION_ID '%s': 1 to %u of "
			                   "[A-Za-z0-9-._~+=/], or a local msrp:// URI",
			                   vname, ops[1], MSW_CTL_SESSION_MAX);
		cmd->session_id_len = (uint8_t)sid_len;
	}
	return 0;
}

/* Rules linking options of one verb. */
static int
mswctl_check(struct mswctl_parser *p, struct mswctl_cmd *cmd)
{
	switch (cmd->verb) {
	case MSWCTL_LEG_ADD:
		if (cmd->identity == NULL)
			return mswctl_fail(p, "leg add: --identity is required");
		/* sw.h sw_leg_add: only an active leg may wait for its path (dial-out). */
		if (cmd->setup != MSW_CTL_SETUP_ACTIVE && cmd->path_len == 0)
			return mswctl_fail(p, "leg add: --path is required for a passive leg (an "
			                      "active leg may get it later with leg set)");
		if (cmd->connect_set && cmd->setup != MSW_CTL_SETUP_ACTIVE)
			return mswctl_fail(p, "leg add: --connect needs --setup active (a passive "
			                      "leg waits for the peer to connect)");
		return 0;
	case MSWCTL_LEG_SET:
		if (cmd->path_len == 0 && !cmd->connect_set)
			return mswctl_fail(p, "leg set: give --path and/or --connect");
		return 0;
	default:
		return 0;
	}
}

int
mswctl_parse(int argc, char **argv, struct mswctl_cmd *cmd, char *err, size_t errlen)
{
	struct mswctl_parser p = {.err = err, .errlen = errlen, .seen = 0};
	char *pos[16];
	int n_pos = 0, n_words = 0, i, rc;
	bool opts_done = false, help = false;
	const char *bad_opt = NULL;
	const char *env;
	char vname[32];

	memset(cmd, 0, sizeof(*cmd));
	if (errlen > 0)
		err[0] = '\0';
	cmd->wait_dp_ms = MSWCTL_WAIT_DP_MS_DEFAULT;
	cmd->call_ms = MSWCTL_CALL_MS_DEFAULT;
	cmd->interval_ms = MSWCTL_INTERVAL_DEFAULT;
	cmd->cpim_policy = MSW_CTL_CPIM_WRAP;
	cmd->setup = MSW_CTL_SETUP_PASSIVE;

	/* Pass 1: the positional words, so the verb is known before its options are checked. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (!opts_done && mswctl_is_option(a)) {
			const char *eq = strchr(a, '=');
			int id = a[1] == '-' ? mswctl_opt_lookup(a + 2,
			                                         eq != NULL ? (size_t)(eq - a - 2)
			                                                    : strlen(a + 2))
			                     : -1;

			if (strcmp(a, "-h") == 0 || id == O_HELP)
				help = true;
			else if (id < 0 && bad_opt == NULL)
				bad_opt = a;
			if (id >= 0 && mswctl_opts[id].has_arg && eq == NULL)
				i++; /* its value */
			continue;
		}
		if (n_pos == (int)(sizeof(pos) / sizeof(pos[0])))
			return mswctl_fail(&p, "too many arguments");
		pos[n_pos++] = argv[i];
	}
	cmd->verb = mswctl_find_verb(pos, n_pos, &n_words);
	if (bad_opt != NULL && !help)
		return mswctl_fail(&p, "unknown option '%.*s'", (int)strcspn(bad_opt, "="),
		                   bad_opt);
	if (cmd->verb == MSWCTL_NONE) {
		if (help && n_pos == 0) {
			cmd->verb = MSWCTL_HELP;
			return 0;
		}
		if (n_pos == 0)
			return mswctl_fail(&p, "missing command");
		if (n_pos >= 2 && (strcmp(pos[0], "conf") == 0 || strcmp(pos[0], "leg") == 0))
			return mswctl_fail(&p, "unknown command '%s %s'", pos[0], pos[1]);
		return mswctl_fail(&p, "unknown command '%s'", pos[0]);
	}
	if (help) {
		/* "mswctl conf create --help": the usage of that command, on stdout, exit 0. */
		cmd->help_for = cmd->verb == MSWCTL_HELP ? MSWCTL_NONE : cmd->verb;
		cmd->verb = MSWCTL_HELP;
		return 0;
	}
	if (cmd->verb == MSWCTL_HELP) {
		if (n_pos > 1)
			return mswctl_fail(&p, "help: unexpected argument '%s'", pos[1]);
		return 0;
	}
	mswctl_cmd_name(cmd->verb, vname, sizeof(vname));

	/* Pass 2: options, now that the verb is known. */
	opts_done = false;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		size_t name_len;
		int id;

		if (opts_done || !mswctl_is_option(a))
			continue;
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (a[1] != '-')
			return mswctl_fail(&p, "unknown option '%s'", a);
		eq = strchr(a, '=');
		name_len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
		id = mswctl_opt_lookup(a + 2, name_len);
		if (id < 0)
			return mswctl_fail(&p, "unknown option '--%.*s'", (int)name_len, a + 2);
		if (((OPTS_COMMON | mswctl_verbs[cmd->verb].opts) & OPT(id)) == 0)
			return mswctl_fail(&p, "%s: option --%s does not apply", vname,
			                   mswctl_opts[id].name);
		if (mswctl_opts[id].has_arg) {
			if (eq != NULL) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				return mswctl_fail(&p, "option --%s needs a value",
				                   mswctl_opts[id].name);
			}
		} else if (eq != NULL) {
			return mswctl_fail(&p, "option --%s takes no value", mswctl_opts[id].name);
		}
		/* --path may be repeated (the URIs are appended); any other repetition is a typo.
		 */
		if ((p.seen & OPT(id)) != 0 && id != O_PATH)
			return mswctl_fail(&p, "option --%s given twice", mswctl_opts[id].name);
		p.seen |= OPT(id);
		rc = mswctl_apply(&p, cmd, id, val);
		if (rc != 0)
			return rc;
	}
	if ((p.seen & OPT(O_INSTANCE)) == 0) {
		env = getenv(MSW_CTL_INSTANCE_ENV);
		if (env != NULL && env[0] != '\0') {
			if (!mswctl_instance_valid(env))
				return mswctl_fail(&p, "$%s: '%s' is not 1 to %u of [A-Za-z0-9._-]",
				                   MSW_CTL_INSTANCE_ENV, env, MSW_CTL_INSTANCE_MAX);
			snprintf(cmd->instance, sizeof(cmd->instance), "%s", env);
		} else {
			snprintf(cmd->instance, sizeof(cmd->instance), "%s",
			         MSW_CTL_INSTANCE_DEFAULT);
		}
	}
	rc = mswctl_operands(&p, cmd, pos + n_words, n_pos - n_words);
	if (rc != 0)
		return rc;
	return mswctl_check(&p, cmd);
}
