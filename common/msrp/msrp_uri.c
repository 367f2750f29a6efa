/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSRP URI parsing and comparison (RFC 4975 §6, §6.1, §9; authority per RFC 3986 §3.2).
 *
 *   MSRP-URI   = msrp-scheme "://" authority ["/" session-id] ";" transport
 *                *( ";" URI-parameter )
 *   session-id = 1*( unreserved / "+" / "=" / "/" )
 *   transport  = "tcp" / 1*ALPHANUM
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "msrp/msrp.h"
#include "msrp/msrp_pvt.h"

static bool
uri_is_hex(uint8_t c)
{
	return msrp_cc_is(c, MSRP_CC_DIGIT) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int
uri_hex_val(uint8_t c)
{
	if (msrp_cc_is(c, MSRP_CC_DIGIT))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* *( unreserved / pct-encoded / sub-delims [/ ":"] ), pct-encoded checked for 2 HEXDIG. */
static bool
uri_valid_reg(const uint8_t *s, size_t len, bool colon_ok)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c == '%') {
			if (i + 2 >= len || !uri_is_hex(s[i + 1]) || !uri_is_hex(s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (msrp_cc_is(c, MSRP_CC_UNRES | MSRP_CC_SUBD) || (colon_ok && c == ':'))
			continue;
		return false;
	}
	return true;
}

static struct msrp_span
uri_span(const uint8_t *p, size_t len)
{
	struct msrp_span s = {p, (uint32_t)len};

	return s;
}

static int
uri_parse_host(const uint8_t *s, size_t len, struct msrp_uri *uri)
{
	char tmp[64];

	if (len == 0)
		return -EINVAL;
	if (s[0] == '[') {
		/* IP-literal; IPvFuture is not used by MSRP peers and is refused. */
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, uri->host_addr) != 1)
			return -EINVAL;
		uri->host = uri_span(s + 1, len - 2);
		uri->host_type = MSRP_HOST_IPV6;
		return 0;
	}
	if (!uri_valid_reg(s, len, false))
		return -EINVAL;
	uri->host = uri_span(s, len);
	uri->host_type = MSRP_HOST_NAME;
	if (len < sizeof(tmp) && msrp_cc_all(s, len, MSRP_CC_IPV4)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		/* A dotted quad is an IPv4address; anything else is a reg-name (RFC 3986 §3.2.2).
		 */
		if (inet_pton(AF_INET, tmp, uri->host_addr) == 1)
			uri->host_type = MSRP_HOST_IPV4;
	}
	return 0;
}

int
msrp_uri_parse(const uint8_t *s, size_t len, struct msrp_uri *uri)
{
	size_t i, auth_start, auth_end, at = SIZE_MAX, host_end;

	memset(uri, 0, sizeof(*uri));
	if (s == NULL || len > UINT32_MAX)
		return -EINVAL;
	uri->raw = uri_span(s, len);

	/* Scheme, case-insensitive (RFC 4975 §6.1). */
	if (len >= 7 && msrp_lc_eq(s, "msrp://", 7)) {
		i = 7;
	} else if (len >= 8 && msrp_lc_eq(s, "msrps://", 8)) {
		uri->secure = true;
		i = 8;
	} else {
		return -EINVAL;
	}

	/* authority ends at "/" (session-id) or ";" (transport). */
	auth_start = i;
	while (i < len && s[i] != '/' && s[i] != ';')
		i++;
	auth_end = i;
	for (size_t k = auth_start; k < auth_end; k++)
		if (s[k] == '@')
			at = k;
	host_end = auth_end;
	if (at != SIZE_MAX) {
		if (!uri_valid_reg(s + auth_start, at - auth_start, true))
			return -EINVAL;
		uri->userinfo = uri_span(s + auth_start, at - auth_start);
		auth_start = at + 1;
	}
	/* Port: the last ':' after any IP-literal. */
	{
		size_t k = auth_end;

		while (k > auth_start && s[k - 1] != ':' && s[k - 1] != ']')
			k--;
		if (k > auth_start && s[k - 1] == ':') {
			uint32_t port = 0;
			size_t digits = auth_end - k;

			if (digits == 0 || digits > 5)
				return -EINVAL;
			for (size_t d = k; d < auth_end; d++) {
				if (!msrp_cc_is(s[d], MSRP_CC_DIGIT))
					return -EINVAL;
				port = port * 10 + (uint32_t)(s[d] - '0');
			}
			if (port > 65535)
				return -EINVAL;
			uri->has_port = true;
			uri->port = (uint16_t)port;
			host_end = k - 1;
		}
	}
	if (uri_parse_host(s + auth_start, host_end - auth_start, uri) != 0)
		return -EINVAL;

	if (i < len && s[i] == '/') {
		size_t sid = ++i;

		while (i < len && s[i] != ';') {
			uint8_t c = s[i];

			if (!msrp_cc_is(c, MSRP_CC_SESSID))
				return -EINVAL;
			i++;
		}
		if (i == sid)
			return -EINVAL;
		uri->session_id = uri_span(s + sid, i - sid);
	}

	/* ";" transport is mandatory. */
	if (i >= len || s[i] != ';')
		return -EINVAL;
	{
		size_t t = ++i;

		while (i < len && msrp_cc_is(s[i], MSRP_CC_ALPHA | MSRP_CC_DIGIT))
			i++;
		if (i == t)
			return -EINVAL;
		uri->transport = uri_span(s + t, i - t);
	}
	uri->params = uri_span(s + i, len - i);
	/* *( ";" token ["=" token] ) */
	while (i < len) {
		size_t t;

		if (s[i] != ';')
			return -EINVAL;
		t = ++i;
		while (i < len && msrp_cc_is(s[i], MSRP_CC_UTOKEN))
			i++;
		if (i == t)
			return -EINVAL;
		if (i < len && s[i] == '=') {
			t = ++i;
			while (i < len && msrp_cc_is(s[i], MSRP_CC_UTOKEN))
				i++;
			if (i == t)
				return -EINVAL;
		}
	}
	return 0;
}

/* Next octet of a reg-name with percent-encoding decoded; lower-cased (RFC 4975 §6.1). */
static uint8_t
uri_host_octet(const struct msrp_span *h, uint32_t *i)
{
	uint8_t c = h->p[*i];

	if (c == '%' && *i + 2 < h->len) {
		c = (uint8_t)(uri_hex_val(h->p[*i + 1]) * 16 + uri_hex_val(h->p[*i + 2]));
		*i += 3;
	} else {
		*i += 1;
	}
	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	return c;
}

static bool
uri_host_equal(const struct msrp_uri *a, const struct msrp_uri *b)
{
	uint32_t i = 0, j = 0;

	if (a->host_type != b->host_type)
		return false;
	if (a->host_type == MSRP_HOST_IPV4)
		return memcmp(a->host_addr, b->host_addr, 4) == 0;
	if (a->host_type == MSRP_HOST_IPV6)
		return memcmp(a->host_addr, b->host_addr, 16) == 0;
	while (i < a->host.len && j < b->host.len)
		if (uri_host_octet(&a->host, &i) != uri_host_octet(&b->host, &j))
			return false;
	return i == a->host.len && j == b->host.len;
}

bool
msrp_uri_equal(const struct msrp_uri *a, const struct msrp_uri *b)
{
	if (a->secure != b->secure)
		return false;
	if (!uri_host_equal(a, b))
		return false;
	/* "A URI with an explicit port is never equivalent to another with no port." */
	if (a->has_port != b->has_port || (a->has_port && a->port != b->port))
		return false;
	/* Session-id: case-sensitive; absent never matches present. */
	if ((a->session_id.p == NULL) != (b->session_id.p == NULL))
		return false;
	if (a->session_id.len != b->session_id.len ||
	    (a->session_id.len && memcmp(a->session_id.p, b->session_id.p, a->session_id.len)))
		return false;
	/* Transport: case-insensitive; different transports never match. */
	return a->transport.len == b->transport.len &&
	       strncasecmp((const char *)a->transport.p, (const char *)b->transport.p,
	                   a->transport.len) == 0;
}

bool
msrp_path_next(struct msrp_span *rest, struct msrp_span *uri)
{
	const uint8_t *sp;
	uint32_t i;

	if (rest->len == 0)
		return false;
	sp = memchr(rest->p, ' ', rest->len);
	i = sp != NULL ? (uint32_t)(sp - rest->p) : rest->len;
	uri->p = rest->p;
	uri->len = i;
	if (i < rest->len)
		i++;
	rest->p += i;
	rest->len -= i;
	return true;
}
