/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp/msdp.h"

const char *
msdp_strerror(enum msdp_err e)
{
	switch (e) {
	case MSDP_OK:
		return "ok";
	case MSDP_E_SYNTAX:
		return "SDP syntax error";
	case MSDP_E_NO_MSRP:
		return "no MSRP media (m=message ... TCP/MSRP)";
	case MSDP_E_TLS:
		return "MSRP over TLS is not offered";
	case MSDP_E_PATH:
		return "MSRP media without a=path";
	case MSDP_E_TYPES:
		return "MSRP media without a=accept-types";
	case MSDP_E_TOO_LONG:
		return "SDP attribute too long";
	}
	return "?";
}

const char *
msdp_setup_name(enum msdp_setup s)
{
	switch (s) {
	case MSDP_SETUP_ACTIVE:
		return "active";
	case MSDP_SETUP_PASSIVE:
		return "passive";
	case MSDP_SETUP_ACTPASS:
		return "actpass";
	default:
		return "";
	}
}

enum msdp_setup
msdp_answer_setup(enum msdp_setup offer, bool prefer_passive)
{
	switch (offer) {
	case MSDP_SETUP_ACTIVE:
		return MSDP_SETUP_PASSIVE;
	case MSDP_SETUP_PASSIVE:
		return MSDP_SETUP_ACTIVE;
	case MSDP_SETUP_ACTPASS:
		return prefer_passive ? MSDP_SETUP_PASSIVE : MSDP_SETUP_ACTIVE;
	default:
		/* No a=setup: the offerer connects (RFC 4975 §8.5); we answer without one. */
		return MSDP_SETUP_NONE;
	}
}

/* One line of s[0..len) starting at *pos: [*b, *e) without the line end. */
static bool
msdp_line(const char *s, size_t len, size_t *pos, const char **b, const char **e)
{
	const char *p, *nl;

	if (*pos >= len)
		return false;
	p = s + *pos;
	nl = memchr(p, '\n', len - *pos);
	*b = p;
	*e = nl != NULL ? nl : s + len;
	*pos = nl != NULL ? (size_t)(nl - s) + 1 : len;
	if (*e > *b && (*e)[-1] == '\r')
		(*e)--;
	return true;
}

static bool
msdp_span_copy(char *dst, size_t cap, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);

	if (n >= cap)
		return false;
	memcpy(dst, b, n);
	dst[n] = '\0';
	return true;
}

static bool
msdp_starts(const char *b, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - b) >= n && strncasecmp(b, word, n) == 0;
}

/* "c=IN IP4 <addr>" -> addr (first token after the address type). */
static bool
msdp_conn(const char *b, const char *e, char *out, size_t cap)
{
	const char *p = b + 2, *t;

	for (int field = 0; field < 2; field++) {
		t = memchr(p, ' ', (size_t)(e - p));
		if (t == NULL)
			return false;
		p = t + 1;
	}
	t = memchr(p, ' ', (size_t)(e - p));
	return msdp_span_copy(out, cap, p, t != NULL ? t : e);
}

/*
 * The first MSRP media line and its attributes. A small line parser of our own (RFC 4566
 * lines "x=value"): only m=, c= and a= matter here, and it never allocates, whatever the
 * input (a general SDP library is more than a focus needs and more to trust with untrusted
 * bodies).
 */
enum msdp_err
msdp_parse(const char *sdp, size_t len, struct msdp_media *out)
{
	char sess_addr[MSDP_ADDR_MAX] = "";
	enum msdp_err rc = MSDP_E_NO_MSRP;
	const char *b, *e;
	size_t pos = 0;
	bool in_msrp = false, seen_v = false, tls = false, done = false;

	memset(out, 0, sizeof(*out));
	while (!done && msdp_line(sdp, len, &pos, &b, &e)) {
		if (e - b < 2 || b[1] != '=') {
			if (e == b)
				continue; /* empty line */
			return MSDP_E_SYNTAX;
		}
		if (!seen_v) {
			if (b[0] != 'v')
				return MSDP_E_SYNTAX;
			seen_v = true;
			continue;
		}
		switch (b[0]) {
		case 'm': {
			char type[16], proto[32];
			unsigned long port;
			int n;
			char line[128];

			if (in_msrp) {
				done = true; /* the next media line ends ours */
				break;
			}
			if (!msdp_span_copy(line, sizeof(line), b + 2, e))
				continue;
			n = sscanf(line, "%15s %lu %31s", type, &port, proto);
			if (n != 3 || strcasecmp(type, "message") != 0 || port == 0 || port > 65535)
				continue;
			if (strcasecmp(proto, "TCP/TLS/MSRP") == 0) {
				tls = true;
				continue;
			}
			if (strcasecmp(proto, "TCP/MSRP") != 0)
				continue;
			in_msrp = true;
			out->port = (uint16_t)port;
			break;
		}
		case 'c':
			if (!msdp_conn(b, e, in_msrp ? out->addr : sess_addr,
			               in_msrp ? sizeof(out->addr) : sizeof(sess_addr)))
				return MSDP_E_SYNTAX;
			break;
		case 'a': {
			const char *v = memchr(b, ':', (size_t)(e - b));
			const char *ve = e;
			bool ok = true;

			if (!in_msrp)
				break;
			v = v != NULL ? v + 1 : e;
			if (msdp_starts(b + 2, e, "path:"))
				ok = msdp_span_copy(out->path, sizeof(out->path), v, ve);
			else if (msdp_starts(b + 2, e, "accept-types:"))
				ok = msdp_span_copy(out->accept_types, sizeof(out->accept_types), v,
				                    ve);
			else if (msdp_starts(b + 2, e, "accept-wrapped-types:"))
				ok = msdp_span_copy(out->accept_wrapped,
				                    sizeof(out->accept_wrapped), v, ve);
			else if (msdp_starts(b + 2, e, "max-size:"))
				out->max_size = strtoull(v, NULL, 10);
			else if (msdp_starts(b + 2, e, "msrp-cema"))
				out->cema = true;
			else if (msdp_starts(b + 2, e, "setup:"))
				out->setup = msdp_starts(v, ve, "actpass")   ? MSDP_SETUP_ACTPASS
				             : msdp_starts(v, ve, "active")  ? MSDP_SETUP_ACTIVE
				             : msdp_starts(v, ve, "passive") ? MSDP_SETUP_PASSIVE
				                                             : MSDP_SETUP_NONE;
			else if (msdp_starts(b + 2, e, "sendonly"))
				out->dir = MSDP_SENDONLY;
			else if (msdp_starts(b + 2, e, "recvonly"))
				out->dir = MSDP_RECVONLY;
			else if (msdp_starts(b + 2, e, "inactive"))
				out->dir = MSDP_INACTIVE;
			if (!ok)
				return MSDP_E_TOO_LONG;
			break;
		}
		default:
			break;
		}
	}
	if (!seen_v)
		return MSDP_E_SYNTAX;
	if (!in_msrp)
		return tls ? MSDP_E_TLS : MSDP_E_NO_MSRP;
	if (out->addr[0] == '\0')
		memcpy(out->addr, sess_addr, sizeof(out->addr));
	rc = out->path[0] == '\0'           ? MSDP_E_PATH
	     : out->accept_types[0] == '\0' ? MSDP_E_TYPES
	                                    : MSDP_OK;
	return rc;
}

int
msdp_build(const struct msdp_media *m, uint64_t sess_id, uint64_t version, char *out, size_t cap)
{
	int n = snprintf(out, cap,
	                 "v=0\r\n"
	                 "o=msw %" PRIu64 " %" PRIu64 " IN IP4 %s\r\n"
	                 "s=-\r\n"
	                 "c=IN IP4 %s\r\n"
	                 "t=0 0\r\n"
	                 "m=message %u TCP/MSRP *\r\n"
	                 "a=accept-types:%s\r\n"
	                 "%s%s%s"
	                 "a=path:%s\r\n",
	                 sess_id, version, m->addr, m->addr, m->port, m->accept_types,
	                 m->accept_wrapped[0] ? "a=accept-wrapped-types:" : "", m->accept_wrapped,
	                 m->accept_wrapped[0] ? "\r\n" : "", m->path);
	size_t used;

	if (n < 0 || (size_t)n >= cap)
		return -1;
	used = (size_t)n;
	if (m->max_size != 0) {
		n = snprintf(out + used, cap - used, "a=max-size:%" PRIu64 "\r\n", m->max_size);
		if (n < 0 || (size_t)n >= cap - used)
			return -1;
		used += (size_t)n;
	}
	if (m->setup != MSDP_SETUP_NONE) {
		n = snprintf(out + used, cap - used, "a=setup:%s\r\n", msdp_setup_name(m->setup));
		if (n < 0 || (size_t)n >= cap - used)
			return -1;
		used += (size_t)n;
	}
	if (m->dir != MSDP_SENDRECV) {
		/* RFC 4566 §6: sendrecv is the default and goes unsaid. */
		static const char *const dirs[] = {"", "sendonly", "recvonly", "inactive"};

		n = snprintf(out + used, cap - used, "a=%s\r\n",
		             (unsigned int)m->dir < 4 ? dirs[m->dir] : "inactive");
		if (n < 0 || (size_t)n >= cap - used)
			return -1;
		used += (size_t)n;
	}
	if (m->cema) {
		n = snprintf(out + used, cap - used, "a=msrp-cema\r\n");
		if (n < 0 || (size_t)n >= cap - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}
