/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conference-info+xml writer (RFC 4575 section 5). Elements are written in the order of the
 * schema's sequences (section 6), so a validating parser accepts the document:
 *   conference-info: conference-description, conference-state, users
 *   endpoint: display-text, status, joining-method, joining-info, disconnection-method,
 *             disconnection-info, media
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "confinfo/cinfo.h"
#include "wbuf/wbuf.h"
#include "xml/xml_esc.h"

#define CINFO_WORD(sym, word) word,
static const char *const cinfo_state_words[] = {CINFO_STATES(CINFO_WORD)};
static const char *const cinfo_status_words[] = {CINFO_STATUSES(CINFO_WORD)};
static const char *const cinfo_joining_words[] = {CINFO_JOININGS(CINFO_WORD)};
static const char *const cinfo_disc_words[] = {CINFO_DISCONNECTIONS(CINFO_WORD)};
#undef CINFO_WORD

/* words[v] of an X-macro word table of n entries, NULL when v is out of range. */
static const char *
cinfo_word(const char *const *words, unsigned int n, unsigned int v)
{
	return v < n ? words[v] : NULL;
}

const char *
cinfo_state_name(enum cinfo_state s)
{
	return cinfo_word(cinfo_state_words, CINFO_STATE_MAX, (unsigned int)s);
}

const char *
cinfo_status_name(enum cinfo_status s)
{
	return cinfo_word(cinfo_status_words, CINFO_STATUS_MAX, (unsigned int)s);
}

const char *
cinfo_joining_name(enum cinfo_joining j)
{
	return cinfo_word(cinfo_joining_words, CINFO_JOIN_MAX, (unsigned int)j);
}

const char *
cinfo_disconnection_name(enum cinfo_disconnection d)
{
	return cinfo_word(cinfo_disc_words, CINFO_DISC_MAX, (unsigned int)d);
}

/*
 * XML text and attribute values (see xml_esc_put()). In attribute values tab, LF and CR are
 * written as references, which attribute-value normalisation (XML 1.0 section 3.3.3) leaves
 * alone; in text only CR needs one (end-of-line handling, section 2.11, would turn it into LF).
 */
#define CINFO_ESC_TEXT XML_ESC_CR
#define CINFO_ESC_ATTR (XML_ESC_QUOT | XML_ESC_TAB_LF | XML_ESC_CR)

/* <name>escaped text</name>; NULL text writes nothing. */
static void
cinfo_elem(struct wbuf *o, const char *indent, const char *name, const char *text)
{
	if (text == NULL)
		return;
	wbuf_put_str(o, indent);
	wbuf_put_str(o, "<");
	wbuf_put_str(o, name);
	wbuf_put_str(o, ">");
	xml_esc_put(o, text, strlen(text), CINFO_ESC_TEXT);
	wbuf_put_str(o, "</");
	wbuf_put_str(o, name);
	wbuf_put_str(o, ">\n");
}

/* xs:dateTime in UTC with milliseconds (RFC 3339 profile), e.g. 2026-11-25T18:39:55.123Z. */
static void
cinfo_when(struct wbuf *o, const char *indent, int64_t ms)
{
	/* 253402300800000 ms = 10000-01-01T00:00:00Z: four-digit years only (RFC 3339). */
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || ms >= 253402300800000LL || gmtime_r(&sec, &tm) == NULL) {
		wbuf_fail(o, -EINVAL);
		return;
	}
	wbuf_printf(o, "%s<when>%04d-%02d-%02dT%02d:%02d:%02d.%03dZ</when>\n", indent,
	            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	            (int)(ms % 1000));
}

static void
cinfo_attr(struct wbuf *o, const char *name, const char *value)
{
	wbuf_put_str(o, " ");
	wbuf_put_str(o, name);
	wbuf_put_str(o, "=\"");
	xml_esc_put(o, value, strlen(value), CINFO_ESC_ATTR);
	wbuf_put_str(o, "\"");
}

static bool
cinfo_present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static void
cinfo_endpoint(struct wbuf *o, const struct cinfo_user *u)
{
	const char *join = cinfo_joining_name(u->joining);
	const char *disc = cinfo_disconnection_name(u->disconnection);

	if ((unsigned)u->status >= CINFO_STATUS_MAX || (unsigned)u->joining >= CINFO_JOIN_MAX ||
	    (unsigned)u->disconnection >= CINFO_DISC_MAX) {
		wbuf_fail(o, -EINVAL);
		return;
	}
	wbuf_put_str(o, "      <endpoint");
	cinfo_attr(o, "entity", cinfo_present(u->endpoint) ? u->endpoint : u->entity);
	wbuf_put_str(o, ">\n");
	cinfo_elem(o, "        ", "status", cinfo_status_name(u->status));
	cinfo_elem(o, "        ", "joining-method", join);
	if (u->joined_ms != 0) {
		wbuf_put_str(o, "        <joining-info>\n");
		cinfo_when(o, "          ", u->joined_ms);
		wbuf_put_str(o, "        </joining-info>\n");
	}
	cinfo_elem(o, "        ", "disconnection-method", disc);
	if (u->disconnected_ms != 0 || u->disconnection_reason != NULL) {
		wbuf_put_str(o, "        <disconnection-info>\n");
		if (u->disconnected_ms != 0)
			cinfo_when(o, "          ", u->disconnected_ms);
		cinfo_elem(o, "          ", "reason", u->disconnection_reason);
		wbuf_put_str(o, "        </disconnection-info>\n");
	}
	if (u->media_id != NULL) {
		wbuf_put_str(o, "        <media");
		cinfo_attr(o, "id", u->media_id);
		wbuf_put_str(o, ">\n");
		/* MSRP is SDP media "message" (RFC 4975 section 8.1). */
		cinfo_elem(o, "          ", "type", "message");
		if (u->status == CINFO_STATUS_CONNECTED)
			cinfo_elem(o, "          ", "status", "sendrecv");
		wbuf_put_str(o, "        </media>\n");
	}
	wbuf_put_str(o, "      </endpoint>\n");
}

static void
cinfo_user(struct wbuf *o, const struct cinfo_doc *doc, const struct cinfo_user *u)
{
	if (!cinfo_present(u->entity) || (unsigned)u->state >= CINFO_STATE_MAX ||
	    (doc->state == CINFO_STATE_FULL && u->state != CINFO_STATE_FULL)) {
		wbuf_fail(o, -EINVAL);
		return;
	}
	wbuf_put_str(o, "    <user");
	cinfo_attr(o, "entity", u->entity);
	cinfo_attr(o, "state", cinfo_state_name(u->state));
	/* A deleted user is only its key (RFC 4575 section 4.6). */
	if (u->state == CINFO_STATE_DELETED) {
		wbuf_put_str(o, "/>\n");
		return;
	}
	wbuf_put_str(o, ">\n");
	cinfo_elem(o, "      ", "display-text", u->display_text);
	cinfo_endpoint(o, u);
	wbuf_put_str(o, "    </user>\n");
}

ssize_t
cinfo_build(const struct cinfo_doc *doc, char *buf, size_t cap)
{
	struct wbuf o;
	bool desc = doc->display_text != NULL || doc->subject != NULL || doc->max_user_count != 0;

	if (!cinfo_present(doc->entity) ||
	    (doc->state != CINFO_STATE_FULL && doc->state != CINFO_STATE_PARTIAL) ||
	    (doc->n_users > 0 && doc->users == NULL))
		return -EINVAL;
	wbuf_init_cstr(&o, buf, cap);
	wbuf_put_str(
	        &o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conference-info xmlns=\"" CINFO_NS
	            "\"");
	cinfo_attr(&o, "entity", doc->entity);
	cinfo_attr(&o, "state", cinfo_state_name(doc->state));
	wbuf_printf(&o, " version=\"%" PRIu32 "\">\n", doc->version);
	if (desc) {
		wbuf_put_str(&o, "  <conference-description>\n");
		cinfo_elem(&o, "    ", "display-text", doc->display_text);
		cinfo_elem(&o, "    ", "subject", doc->subject);
		if (doc->max_user_count != 0)
			wbuf_printf(&o,
			            "    <maximum-user-count>%" PRIu32 "</maximum-user-count>\n",
			            doc->max_user_count);
		wbuf_put_str(&o, "  </conference-description>\n");
	}
	if (doc->has_user_count || doc->has_active) {
		wbuf_put_str(&o, "  <conference-state>\n");
		if (doc->has_user_count)
			wbuf_printf(&o, "    <user-count>%" PRIu32 "</user-count>\n",
			            doc->user_count);
		if (doc->has_active)
			wbuf_printf(&o, "    <active>%s</active>\n",
			            doc->active ? "true" : "false");
		wbuf_put_str(&o, "  </conference-state>\n");
	}
	/*
	 * A full document always lists the users (none is a valid, empty conference); a partial
	 * one carries <users state="partial"> only when some user changed, and that state makes
	 * the subscriber merge the listed users into its copy instead of replacing the list.
	 */
	if (doc->state == CINFO_STATE_FULL || doc->n_users > 0) {
		wbuf_put_str(&o, "  <users");
		cinfo_attr(&o, "state", cinfo_state_name(doc->state));
		wbuf_put_str(&o, ">\n");
		for (size_t i = 0; i < doc->n_users && o.err == 0; i++)
			cinfo_user(&o, doc, &doc->users[i]);
		wbuf_put_str(&o, "  </users>\n");
	}
	wbuf_put_str(&o, "</conference-info>\n");
	return wbuf_result_cstr(&o);
}
