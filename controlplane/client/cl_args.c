/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cl_args.h"

enum {
	OPT_CONFIG = 256,
	OPT_FOCUS,
	OPT_LOCAL_IP,
	OPT_CREATE,
	OPT_JOIN,
	OPT_NAME,
	OPT_USER,
	OPT_SEND,
	OPT_SEND_FILE,
	OPT_FILE_TYPE,
	OPT_SAVE_DIR,
	OPT_FINAL_REPORT,
	OPT_EXPECT,
	OPT_TIMEOUT,
	OPT_HOLD,
	OPT_JSON,
	OPT_TCP,
	OPT_CHUNK_SIZE,
	OPT_MAX_SIZE,
	OPT_VERSION,
	OPT_CALL,
	OPT_LISTEN,
	OPT_SIP_PORT,
	OPT_WATCH,
};

static const struct option cl_long_opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"focus", required_argument, NULL, OPT_FOCUS},
        {"local-ip", required_argument, NULL, OPT_LOCAL_IP},
        {"create", no_argument, NULL, OPT_CREATE},
        {"join", required_argument, NULL, OPT_JOIN},
        {"name", required_argument, NULL, OPT_NAME},
        {"user", required_argument, NULL, OPT_USER},
        {"send", required_argument, NULL, OPT_SEND},
        {"send-file", required_argument, NULL, OPT_SEND_FILE},
        {"file-type", required_argument, NULL, OPT_FILE_TYPE},
        {"save-dir", required_argument, NULL, OPT_SAVE_DIR},
        {"final-report", no_argument, NULL, OPT_FINAL_REPORT},
        {"expect", required_argument, NULL, OPT_EXPECT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"json", no_argument, NULL, OPT_JSON},
        {"tcp", no_argument, NULL, OPT_TCP},
        {"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"call", required_argument, NULL, OPT_CALL},
        {"listen", no_argument, NULL, OPT_LISTEN},
        {"accept-calls", no_argument, NULL, OPT_LISTEN},
        {"sip-port", required_argument, NULL, OPT_SIP_PORT},
        {"watch", no_argument, NULL, OPT_WATCH},
        {NULL, 0, NULL, 0},
};

void
cl_args_usage(FILE *f)
{
	fprintf(f,
	        "usage: msw-client [--config FILE] [--focus IP[:PORT]] [--local-ip IP]\n"
	        "                  [--create | --join URI-or-ID | --call URI | --listen]\n"
	        "                  [--sip-port PORT] [--watch] [--name DISPLAY] [--user USER]\n"
	        "                  [--send TEXT]... [--send-file PATH]... [--file-type MIME]\n"
	        "                  [--final-report] [--expect N] [--timeout S] [--hold S]\n"
	        "                  [--save-dir DIR] [--json] [--tcp] [--chunk-size BYTES]\n"
	        "                  [--max-size BYTES] [-v]... [--help] [--version]\n"
	        "Joins (or creates) an msw conference over SIP and chats over MSRP.\n"
	        "  --create          INVITE the Conference-factory URI (default without --join)\n"
	        "  --join X          INVITE conference X (sip: URI or conference id)\n"
	        "  --call URI        1:1 session with sip:user@host[:port] through the focus\n"
	        "  --listen          answer the focus's INVITE (1:1 or dial-out); needs "
	        "--sip-port\n"
	        "  --watch           subscribe to the participant list (joins, leaves)\n"
	        "  --send TEXT       send TEXT once joined (repeatable, in order)\n"
	        "  --send-file PATH  send a file as one message (chunked)\n"
	        "  --final-report    ask for an OMA final report (CPIM FR.Final-Report: yes)\n"
	        "  --expect N        exit 0 once N messages were received (1 on --timeout)\n"
	        "  --hold S          stay S seconds after the last send\n"
	        "  --json            one JSON object per event on stdout\n"
	        "Without --send/--send-file, lines read from stdin are sent (interactive on a\n"
	        "tty: /file PATH sends a file, /quit leaves). See docs/client.md.\n");
}

void
cl_opts_fini(struct cl_opts *o)
{
	free(o->items);
	o->items = NULL;
	o->n_items = 0;
}

/* Unsigned decimal in [lo, hi]. */
static int
cl_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds (decimal fraction allowed) in [0, max_s] -> ms. */
static int
cl_parse_seconds(const char *s, double max_s, uint32_t *ms)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > max_s)
		return -EINVAL;
	*ms = (uint32_t)llround(v * 1000.0);
	return 0;
}

int
cl_parse_hostport(const char *s, struct in_addr *ip, uint16_t *port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	uint64_t p;

	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, ip) != 1)
		return -EINVAL;
	*port = 0;
	if (colon != NULL) {
		if (cl_parse_u64(colon + 1, 1, 65535, &p) != 0)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	return 0;
}

/* Characters that can never appear in a SIP URI we put in a header (RFC 3261 §25.1). */
static bool
cl_uri_text_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return false;
	}
	return true;
}

static bool
cl_has_scheme(const char *s)
{
	return strncasecmp(s, "sip:", 4) == 0 || strncasecmp(s, "sips:", 5) == 0;
}

int
cl_join_uri(const char *join, const char *hostport, char *out, size_t cap)
{
	int n;

	if (!cl_uri_text_ok(join))
		return -EINVAL;
	if (cl_has_scheme(join))
		n = snprintf(out, cap, "%s", join);
	else if (strchr(join, '@') != NULL)
		n = snprintf(out, cap, "sip:%s", join);
	else
		n = snprintf(out, cap, "sip:%s@%s", join, hostport);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int
cl_call_uri(const char *call, char *out, size_t cap)
{
	const char *at, *colon;
	int n;

	if (!cl_uri_text_ok(call))
		return -EINVAL;
	colon = cl_has_scheme(call) ? strchr(call, ':') + 1 : call;
	at = strchr(colon, '@');
	if (at == NULL || at == colon || at[1] == '\0')
		return -EINVAL;
	if (cl_has_scheme(call))
		n = snprintf(out, cap, "%s", call);
	else
		n = snprintf(out, cap, "sip:%s", call);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int
cl_user_uri(const char *user, char *out, size_t cap)
{
	int n;

	if (!cl_uri_text_ok(user))
		return -EINVAL;
	if (cl_has_scheme(user))
		n = snprintf(out, cap, "%s", user);
	else if (strchr(user, '@') != NULL)
		n = snprintf(out, cap, "sip:%s", user);
	else
		n = snprintf(out, cap, "sip:%s@%s", user, CL_DOMAIN);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* A display name goes into a quoted-string: any text but control characters. */
static bool
cl_display_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
cl_add_item(struct cl_opts *o, enum cl_item_kind kind, const char *value, uint32_t cap)
{
	if (o->items == NULL) {
		o->items = calloc(cap, sizeof(*o->items));
		if (o->items == NULL)
			return -ENOMEM;
	}
	o->items[o->n_items++] = (struct cl_item){kind, value};
	return 0;
}

static int
cl_bad(char *err, size_t errlen, const char *opt, const char *val, const char *why)
{
	snprintf(err, errlen, "--%s: '%s' %s", opt, val, why);
	return -EINVAL;
}

int
cl_args_parse(int argc, char **argv, struct cl_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = CL_DEFAULT_TIMEOUT;
	o->chunk_size = CL_DEFAULT_CHUNK;
	o->max_size = CL_DEFAULT_MAX_SIZE;
	err[0] = '\0';
	optind = 0; /* GNU: full re-initialisation, so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", cl_long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_FOCUS:
			if (cl_parse_hostport(optarg, &o->focus_ip, &o->focus_port) != 0)
				return cl_bad(err, errlen, "focus", optarg, "is not IPv4[:PORT]");
			o->focus = optarg;
			o->has_focus = true;
			break;
		case OPT_LOCAL_IP:
			if (inet_pton(AF_INET, optarg, &o->local_ip) != 1)
				return cl_bad(err, errlen, "local-ip", optarg,
				              "is not an IPv4 address");
			o->has_local_ip = true;
			break;
		case OPT_CREATE:
			o->create = true;
			break;
		case OPT_JOIN:
			if (!cl_uri_text_ok(optarg))
				return cl_bad(err, errlen, "join", optarg,
				              "is not a SIP URI or conference id");
			o->join = optarg;
			break;
		case OPT_NAME:
			if (!cl_display_ok(optarg) || strlen(optarg) > CL_NAME_MAX)
				return cl_bad(err, errlen, "name", optarg,
				              "has control characters or is too long");
			o->name = optarg;
			break;
		case OPT_USER:
			if (!cl_uri_text_ok(optarg) || strlen(optarg) > CL_USER_MAX)
				return cl_bad(err, errlen, "user", optarg,
				              "is not a user name or SIP URI");
			o->user = optarg;
			break;
		case OPT_SEND:
			if ((rc = cl_add_item(o, CL_ITEM_TEXT, optarg, (uint32_t)argc)) != 0)
				return rc;
			break;
		case OPT_SEND_FILE:
			if (*optarg == '\0')
				return cl_bad(err, errlen, "send-file", optarg, "is empty");
			if ((rc = cl_add_item(o, CL_ITEM_FILE, optarg, (uint32_t)argc)) != 0)
				return rc;
			break;
		case OPT_FILE_TYPE:
			/* RFC 2045 §5.1: type "/" subtype, no spaces or controls. */
			if (strchr(optarg, '/') == NULL || !cl_uri_text_ok(optarg))
				return cl_bad(err, errlen, "file-type", optarg,
				              "is not a MIME type/subtype");
			o->file_type = optarg;
			break;
		case OPT_SAVE_DIR:
			o->save_dir = optarg;
			break;
		case OPT_FINAL_REPORT:
			o->final_report = true;
			break;
		case OPT_EXPECT:
			if (cl_parse_u64(optarg, 1, 1000000, &v) != 0)
				return cl_bad(err, errlen, "expect", optarg,
				              "is not a count (1..1000000)");
			o->expect = (uint32_t)v;
			o->has_expect = true;
			break;
		case OPT_TIMEOUT:
			if (cl_parse_seconds(optarg, 86400, &o->timeout_ms) != 0 ||
			    o->timeout_ms == 0)
				return cl_bad(err, errlen, "timeout", optarg,
				              "is not a duration in seconds (0 < S <= 86400)");
			o->has_timeout = true;
			break;
		case OPT_HOLD:
			if (cl_parse_seconds(optarg, 86400, &o->hold_ms) != 0)
				return cl_bad(err, errlen, "hold", optarg,
				              "is not a duration in seconds (0..86400)");
			o->has_hold = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TCP:
			o->tcp = true;
			break;
		case OPT_CHUNK_SIZE:
			if (cl_parse_u64(optarg, 16, 1024 * 1024, &v) != 0)
				return cl_bad(err, errlen, "chunk-size", optarg,
				              "is not a size in bytes (16..1048576)");
			o->chunk_size = (uint32_t)v;
			break;
		case OPT_MAX_SIZE:
			if (cl_parse_u64(optarg, 1, UINT32_MAX, &v) != 0)
				return cl_bad(err, errlen, "max-size", optarg,
				              "is not a size in bytes (1..4294967295)");
			o->max_size = v;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = true;
			break;
		case OPT_VERSION:
			o->version = true;
			break;
		case OPT_CALL: {
			char tmp[600];

			if (cl_call_uri(optarg, tmp, sizeof(tmp)) < 0)
				return cl_bad(
				        err, errlen, "call", optarg,
				        "is not a SIP URI with a user (sip:user@host[:port])");
			o->call = optarg;
			break;
		}
		case OPT_LISTEN:
			o->listen = true;
			break;
		case OPT_SIP_PORT:
			if (cl_parse_u64(optarg, 1, 65535, &v) != 0)
				return cl_bad(err, errlen, "sip-port", optarg,
				              "is not a port (1..65535)");
			o->sip_port = (uint16_t)v;
			break;
		case OPT_WATCH:
			o->watch = true;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt != 0)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if ((o->create ? 1 : 0) + (o->join != NULL ? 1 : 0) + (o->call != NULL ? 1 : 0) +
	            (o->listen ? 1 : 0) >
	    1) {
		snprintf(err, errlen, "--create, --join, --call and --listen exclude each other");
		return -EINVAL;
	}
	if (o->listen && o->sip_port == 0) {
		snprintf(err, errlen, "--listen needs --sip-port (callers name it in their URI)");
		return -EINVAL;
	}
	if (o->join == NULL && o->call == NULL && !o->listen)
		o->create = true;
	return 0;
}
