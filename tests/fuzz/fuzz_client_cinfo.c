/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: a NOTIFY body into msw-client's conference-info reader (cl_cinfo.c), then the
 * document into the participant list twice (the second time as the next version). Whatever
 * arrives, the reader must stay memory-safe and inside its bounds: every string NUL-terminated
 * within its cap, at most CL_CINFO_USERS_MAX users, the list never beyond its cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/cl_cinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cl_cinfo_doc doc;
static struct cl_cinfo_list list;
static unsigned int events;

static void
fz_check_user(const struct cl_cinfo_user *u)
{
	if (memchr(u->entity, '\0', sizeof(u->entity)) == NULL ||
	    memchr(u->display, '\0', sizeof(u->display)) == NULL ||
	    memchr(u->status, '\0', sizeof(u->status)) == NULL ||
	    memchr(u->disconnect, '\0', sizeof(u->disconnect)) == NULL)
		abort();
}

static void
fz_ev(void *ctx, const struct cl_cinfo_ev *ev)
{
	(void)ctx;
	fz_check_user(ev->user);
	if (ev->type == CL_CINFO_EV_RENAMED && ev->old_display == NULL)
		abort();
	if (ev->type == CL_CINFO_EV_LEFT && ev->method == NULL)
		abort();
	events++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: any read past the end is caught. */
	char *xml = malloc(size > 0 ? size : 1);
	enum cl_cinfo_rc rc;

	if (xml == NULL)
		return 0;
	memcpy(xml, data, size);
	rc = cl_cinfo_parse(xml, size, &doc);
	if (cl_cinfo_strerror(rc) == NULL)
		abort();
	if (rc == CL_CINFO_OK) {
		if (doc.n_users > CL_CINFO_USERS_MAX ||
		    memchr(doc.entity, '\0', sizeof(doc.entity)) == NULL)
			abort();
		for (uint32_t i = 0; i < doc.n_users; i++)
			fz_check_user(&doc.users[i]);
		memset(&list, 0, sizeof(list));
		cl_cinfo_apply(&list, &doc, fz_ev, NULL);
		doc.version++;
		cl_cinfo_apply(&list, &doc, fz_ev, NULL);
		if (list.n_users > CL_CINFO_USERS_MAX)
			abort();
		for (uint32_t i = 0; i < list.n_users; i++)
			fz_check_user(&list.users[i]);
	}
	free(xml);
	return 0;
}
