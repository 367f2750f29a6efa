/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Control-channel calls shared by the integration tests' C clients (dp_resync_client,
 * dp_history_client): CONF_CREATE and a passive LEG_ADD through the real client library
 * (common/ctl/ctl_client.h), 3 s per call. Single-threaded test programs only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_client.h"

/* One check as a TAP line without its number ("ok - ..."; the driver script numbers them). */
static int failures;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void
check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !cond;
}

static inline struct msw_ctl_conf_id
dpc_conf_id(const char *s)
{
	struct msw_ctl_conf_id id;

	memset(&id, 0, sizeof(id));
	id.len = (uint8_t)strlen(s);
	memcpy(id.id, s, id.len);
	return id;
}

/* CONF_CREATE of an 8-leg conference without CPIM, with CONF_CREATE flags. */
static inline int
dpc_conf_create(struct ctl_client *c, const char *id, uint8_t flags)
{
	struct msw_ctl_conf_create cc;

	memset(&cc, 0, sizeof(cc));
	cc.conf = dpc_conf_id(id);
	cc.max_legs = 8;
	cc.cpim_policy = MSW_CTL_CPIM_OFF;
	cc.flags = flags;
	return ctl_client_call(c, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &cc, sizeof(cc),
	                       NULL, 0, NULL, 3000);
}

/*
 * LEG_ADD of a passive leg (the peer connects) with identity sip:<who>@example.com toward
 * path; sid (NULL: the data plane draws one) replays a session-id; flags are LEG_ADD flags.
 * Writes the data plane's local URI for the leg into uri.
 */
static inline int
dpc_leg_add(struct ctl_client *c, const char *conf, const char *who, const char *path,
            const char *sid, uint8_t flags, char *uri, size_t cap)
{
	struct msw_ctl_leg_add la;
	char ident[64];
	struct ctl_blob_src b[2];
	struct ctl_msg m;
	const void *data;
	int rc, n;

	memset(&la, 0, sizeof(la));
	la.leg.conf = dpc_conf_id(conf);
	la.flags = flags;
	if (sid != NULL) {
		la.leg.session_id_len = (uint8_t)strlen(sid);
		memcpy(la.leg.session_id, sid, la.leg.session_id_len);
	}
	snprintf(ident, sizeof(ident), "sip:%s@example.com", who);
	b[0] = (struct ctl_blob_src){path, (uint32_t)strlen(path), 0,
	                             offsetof(struct msw_ctl_leg_add, path)};
	b[1] = (struct ctl_blob_src){ident, (uint32_t)strlen(ident), 0,
	                             offsetof(struct msw_ctl_leg_add, identity)};
	rc = ctl_client_call(c, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &la, sizeof(la), b, 2, &m,
	                     3000);
	if (rc != 0)
		return rc;
	n = ctl_client_blob(c, &((const struct msw_ctl_leg_add_r *)m.rec.payload)->local_uri,
	                    &data);
	if (n <= 0 || (size_t)n >= cap)
		return -EPROTO;
	memcpy(uri, data, (size_t)n);
	uri[n] = '\0';
	return 0;
}
