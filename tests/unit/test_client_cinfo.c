/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-client's conference-info reader and participant list (controlplane/client/cl_cinfo.c,
 * RFC 4575): documents written by the focus's own builder (controlplane/confinfo) read back;
 * hand-written documents with prefixes, comments, CDATA, references and unknown elements;
 * refusals (not well-formed, wrong root, no version, too deep); the bounds; and the tracker:
 * full state, partial updates by version, stale and gap (re-SUBSCRIBE), joins, leaves,
 * renames and status changes as events.
 */
#ifdef __clang__
/* Criterion's Test() macros define globals without extern declarations. */
#pragma clang diagnostic ignored "-Wmissing-variable-declarations"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "client/cl_cinfo.h"
#include "confinfo/cinfo.h"

#define CONF "sip:c1@10.0.0.1:5060"

static struct cl_cinfo_doc doc;

static enum cl_cinfo_rc
parse(const char *xml)
{
	return cl_cinfo_parse(xml, strlen(xml), &doc);
}

/* Events collected as "joined sip:x Name" lines. */
static char evlog[4096];

static void
on_ev(void *ctx, const struct cl_cinfo_ev *ev)
{
	static const char *const kind[] = {"joined", "left", "renamed", "status"};
	size_t n = strlen(evlog);

	(void)ctx;
	snprintf(evlog + n, sizeof(evlog) - n, "%s %s %s%s%s%s%s;", kind[ev->type],
	         ev->user->entity, ev->user->display, ev->type == CL_CINFO_EV_STATUS ? " " : "",
	         ev->type == CL_CINFO_EV_STATUS ? ev->user->status : "",
	         ev->type == CL_CINFO_EV_LEFT ? " " : "",
	         ev->type == CL_CINFO_EV_LEFT ? ev->method : "");
}

/* A document from the focus's builder. */
static const char *
built(uint32_t version, enum cinfo_state state, const struct cinfo_user *u, size_t n)
{
	static char buf[16384];
	struct cinfo_doc d = {.entity = CONF,
	                      .version = version,
	                      .state = state,
	                      .display_text = "The Team",
	                      .max_user_count = 10,
	                      .has_user_count = true,
	                      .user_count = (uint32_t)n,
	                      .has_active = true,
	                      .active = true,
	                      .users = u,
	                      .n_users = n};
	ssize_t len = cinfo_build(&d, buf, sizeof(buf));

	cr_assert_gt(len, 0, "cinfo_build: %zd", len);
	return buf;
}

static struct cinfo_user
user(const char *uri, const char *name, enum cinfo_status st, enum cinfo_disconnection disc)
{
	return (struct cinfo_user){.entity = uri,
	                           .state = CINFO_STATE_FULL,
	                           .display_text = name,
	                           .status = st,
	                           .joining = CINFO_JOIN_DIALED_IN,
	                           .joined_ms = 1700000000000,
	                           .disconnection = disc,
	                           .disconnected_ms = disc != CINFO_DISC_NONE ? 1700000001000 : 0,
	                           .media_id = "1"};
}

Test(client_cinfo, reads_the_focus_builder_full_document)
{
	struct cinfo_user u[2] = {
	        user("sip:alice@example.com", "Alice & \"A\" <x>", CINFO_STATUS_CONNECTED,
	             CINFO_DISC_NONE),
	        user("sip:bob@example.com", "Bøb", CINFO_STATUS_ALERTING, CINFO_DISC_NONE),
	};

	cr_assert_eq(parse(built(7, CINFO_STATE_FULL, u, 2)), CL_CINFO_OK);
	cr_assert_eq(doc.version, 7);
	cr_assert_eq(doc.state, CL_CINFO_FULL);
	cr_assert_str_eq(doc.entity, CONF);
	cr_assert_eq(doc.n_users, 2);
	/* The conference's own display-text (conference-description) is not a user's. */
	cr_assert_str_eq(doc.users[0].entity, "sip:alice@example.com");
	cr_assert_str_eq(doc.users[0].display, "Alice & \"A\" <x>");
	cr_assert_str_eq(doc.users[0].status, "connected");
	cr_assert(doc.users[0].has_status && doc.users[0].has_display);
	cr_assert(!doc.users[0].has_disconnect);
	cr_assert_str_eq(doc.users[1].display, "Bøb");
	cr_assert_str_eq(doc.users[1].status, "alerting");
}

Test(client_cinfo, reads_a_partial_document_with_a_departed_user)
{
	struct cinfo_user u =
	        user("sip:bob@example.com", "Bob", CINFO_STATUS_DISCONNECTED, CINFO_DISC_BOOTED);

	cr_assert_eq(parse(built(3, CINFO_STATE_PARTIAL, &u, 1)), CL_CINFO_OK);
	cr_assert_eq(doc.state, CL_CINFO_PARTIAL);
	cr_assert_eq(doc.n_users, 1);
	cr_assert_str_eq(doc.users[0].status, "disconnected");
	cr_assert_str_eq(doc.users[0].disconnect, "booted");
	cr_assert(!cl_cinfo_user_present(&doc.users[0]));
}

Test(client_cinfo, tolerates_prefixes_comments_cdata_and_unknown_elements)
{
	const char *xml =
	        "<?xml version='1.0' encoding='UTF-8'?>\n<!-- hi -->\n"
	        "<!DOCTYPE ci [ <!ENTITY x 'boom'> ]>"
	        "<ci:conference-info xmlns:ci='urn:ietf:params:xml:ns:conference-info' "
	        "entity = \"sip:c@h\" state='partial' version='42'>"
	        "<ci:conference-description><ci:display-text>Not a user</ci:display-text>"
	        "</ci:conference-description>"
	        "<ci:users><x:extension xmlns:x='urn:x'><ci:user entity='sip:no@h'/></x:extension>"
	        "<ci:user entity='sip:a@h' state='full'><ci:display-text> <![CDATA[A<b>]]>"
	        "&#x41;&#66;&amp;&unknown;&x; </ci:display-text><!-- c -->"
	        "<ci:endpoint entity='sip:a@h'><ci:status>\n connected \n</ci:status>"
	        "<ci:media id='1'><ci:type>message</ci:type><ci:status>sendrecv</ci:status>"
	        "</ci:media></ci:endpoint>"
	        "<ci:endpoint><ci:status>disconnected</ci:status></ci:endpoint></ci:user>"
	        "<ci:user entity='sip:b@h' state='deleted'/>"
	        "</ci:users></ci:conference-info>\n<!-- trailing -->\n";

	cr_assert_eq(parse(xml), CL_CINFO_OK);
	cr_assert_eq(doc.version, 42);
	cr_assert_eq(doc.state, CL_CINFO_PARTIAL);
	cr_assert_str_eq(doc.entity, "sip:c@h");
	cr_assert_eq(doc.n_users, 2, "only users/user counts: %u", doc.n_users);
	cr_assert_str_eq(doc.users[0].entity, "sip:a@h");
	/* CDATA raw, references decoded, unknown ones kept, no entity expansion. */
	cr_assert_str_eq(doc.users[0].display, "A<b>AB&&unknown;&x;");
	/* The first endpoint's status wins; media status is not the endpoint's. */
	cr_assert_str_eq(doc.users[0].status, "connected");
	cr_assert_eq(doc.users[1].state, CL_CINFO_DELETED);
	cr_assert(!cl_cinfo_user_present(&doc.users[1]));
}

Test(client_cinfo, refuses_what_is_not_a_document)
{
	cr_assert_eq(parse(""), CL_CINFO_ERR_NOT_CINFO);
	cr_assert_eq(parse("   <!-- only -->"), CL_CINFO_ERR_NOT_CINFO);
	cr_assert_eq(parse("<presence version='1'/>"), CL_CINFO_ERR_NOT_CINFO);
	cr_assert_eq(parse("<conference-info/>"), CL_CINFO_ERR_VERSION);
	cr_assert_eq(parse("<conference-info version='x1'/>"), CL_CINFO_ERR_VERSION);
	cr_assert_eq(parse("<conference-info version='99999999999'/>"), CL_CINFO_ERR_VERSION);
	cr_assert_eq(parse("<conference-info version='1'>"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'><users></user></conference-info>"),
	             CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1' entity=sip:x/>"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1' entity='a<b'/>"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'/><conference-info version='2'/>"),
	             CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'><!-- open"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'><![CDATA[x"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'/"), CL_CINFO_ERR_SYNTAX);
	cr_assert_eq(parse("<conference-info version='1'></ >"), CL_CINFO_ERR_SYNTAX);
	cr_assert_str_eq(cl_cinfo_strerror(CL_CINFO_ERR_DEPTH), "elements nested too deeply");
}

Test(client_cinfo, bounds_depth_users_and_strings)
{
	char *xml = malloc(200000);
	size_t n = 0;

	cr_assert_not_null(xml);
	/* Nesting: 32 levels read, 33 refused. */
	n = (size_t)sprintf(xml, "<conference-info version='1'>");
	for (int i = 1; i < (int)CL_CINFO_DEPTH_MAX; i++)
		n += (size_t)sprintf(xml + n, "<a>");
	for (int i = 1; i < (int)CL_CINFO_DEPTH_MAX; i++)
		n += (size_t)sprintf(xml + n, "</a>");
	n += (size_t)sprintf(xml + n, "</conference-info>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_OK);
	n = (size_t)sprintf(xml, "<conference-info version='1'>");
	for (int i = 0; i < (int)CL_CINFO_DEPTH_MAX; i++)
		n += (size_t)sprintf(xml + n, "<a>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_ERR_DEPTH);
	/* More users than fit: the first CL_CINFO_USERS_MAX, the rest counted. */
	n = (size_t)sprintf(xml, "<conference-info version='1'><users>");
	for (int i = 0; i < (int)CL_CINFO_USERS_MAX + 5; i++)
		n += (size_t)sprintf(xml + n,
		                     "<user entity='sip:u%d@h'><display-text>U%d"
		                     "</display-text></user>",
		                     i, i);
	n += (size_t)sprintf(xml + n, "</users></conference-info>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_OK);
	cr_assert_eq(doc.n_users, CL_CINFO_USERS_MAX);
	cr_assert_eq(doc.users_dropped, 5);
	cr_assert_str_eq(doc.users[CL_CINFO_USERS_MAX - 1].display, "U63");
	/* A long display name is cut at a character boundary (é is 2 bytes). */
	n = (size_t)sprintf(xml, "<conference-info version='1'><users><user entity='sip:l@h'>"
	                         "<display-text>x");
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(xml + n, "é");
	n += (size_t)sprintf(xml + n, "</display-text></user></users></conference-info>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_OK);
	cr_assert_eq(strlen(doc.users[0].display), 1 + 2 * 63, "%zu", strlen(doc.users[0].display));
	free(xml);
}

Test(client_cinfo, tracks_joins_leaves_renames_by_version)
{
	static struct cl_cinfo_list l;
	struct cinfo_user a = user("sip:a@h", "Alice", CINFO_STATUS_CONNECTED, CINFO_DISC_NONE);
	struct cinfo_user b = user("sip:b@h", "Bob", CINFO_STATUS_DIALING_OUT, CINFO_DISC_NONE);

	memset(&l, 0, sizeof(l));
	evlog[0] = '\0';
	/* A partial before any full: re-SUBSCRIBE. */
	cr_assert_eq(parse(built(1, CINFO_STATE_PARTIAL, &a, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_GAP);
	/* The first full document: the list, no events. */
	cr_assert_eq(parse(built(1, CINFO_STATE_FULL, &a, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_eq(l.n_users, 1);
	cr_assert_str_eq(evlog, "");
	/* Bob dialled out, then connected, then renamed. */
	cr_assert_eq(parse(built(2, CINFO_STATE_PARTIAL, &b, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	b.status = CINFO_STATUS_CONNECTED;
	cr_assert_eq(parse(built(3, CINFO_STATE_PARTIAL, &b, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	b.display_text = "Robert";
	cr_assert_eq(parse(built(4, CINFO_STATE_PARTIAL, &b, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_str_eq(evlog, "status sip:b@h Bob dialing-out;joined sip:b@h Bob;"
	                        "renamed sip:b@h Robert;");
	cr_assert_eq(l.n_users, 2);
	/* A repeated or older NOTIFY changes nothing. */
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_STALE);
	/* Version 6 after 4: a NOTIFY was lost. */
	b.status = CINFO_STATUS_DISCONNECTED;
	b.disconnection = CINFO_DISC_DEPARTED;
	cr_assert_eq(parse(built(6, CINFO_STATE_PARTIAL, &b, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_GAP);
	cr_assert_eq(l.version, 4);
	cr_assert_eq(l.n_users, 2);
	/* The refresh's full state: who is missing left. */
	evlog[0] = '\0';
	cr_assert_eq(parse(built(7, CINFO_STATE_FULL, &a, 1)), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_str_eq(evlog, "left sip:b@h Robert ;");
	cr_assert_eq(l.n_users, 1);
	cr_assert_eq(l.version, 7);
}

Test(client_cinfo, partial_user_states_and_disconnection_method)
{
	static struct cl_cinfo_list l;
	const char *full = "<conference-info version='1' state='full'><users>"
	                   "<user entity='sip:a@h'><display-text>A</display-text>"
	                   "<endpoint><status>connected</status></endpoint></user>"
	                   "<user entity='sip:b@h'><display-text>B</display-text>"
	                   "<endpoint><status>connected</status></endpoint></user>"
	                   "<user entity='sip:c@h'><display-text>C</display-text></user>"
	                   "</users></conference-info>";
	/* state=partial: only display-text changes; status stays. */
	const char *p2 = "<conference-info version='2' state='partial'><users>"
	                 "<user entity='sip:a@h' state='partial'><display-text>A2</display-text>"
	                 "</user></users></conference-info>";
	const char *p3 = "<conference-info version='3' state='partial'><users>"
	                 "<user entity='sip:b@h' state='partial'><endpoint>"
	                 "<status>disconnected</status>"
	                 "<disconnection-method>booted</disconnection-method></endpoint></user>"
	                 "<user entity='sip:c@h' state='deleted'/>"
	                 "<user entity='sip:zz@h' state='deleted'/>"
	                 "<user><display-text>no entity</display-text></user>"
	                 "</users></conference-info>";

	memset(&l, 0, sizeof(l));
	evlog[0] = '\0';
	cr_assert_eq(parse(full), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_eq(l.n_users, 3, "a user without status counts as there");
	cr_assert_eq(parse(p2), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_str_eq(l.users[0].status, "connected");
	cr_assert_eq(parse(p3), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_str_eq(evlog, "renamed sip:a@h A2;left sip:b@h B booted;left sip:c@h C ;");
	cr_assert_eq(l.n_users, 1);
	cr_assert_str_eq(l.users[0].display, "A2");
	/* A new subscription numbers from 1 again. */
	cl_cinfo_restart(&l);
	cr_assert_eq(parse(full), CL_CINFO_OK);
	evlog[0] = '\0';
	cr_assert_eq(cl_cinfo_apply(&l, &doc, on_ev, NULL), CL_CINFO_APPLIED);
	cr_assert_str_eq(evlog, "renamed sip:a@h A;joined sip:b@h B;joined sip:c@h C;");
}

Test(client_cinfo, list_stays_bounded)
{
	static struct cl_cinfo_list l;
	char *xml = malloc(100000);
	size_t n;

	cr_assert_not_null(xml);
	memset(&l, 0, sizeof(l));
	n = (size_t)sprintf(xml, "<conference-info version='1'><users>");
	for (int i = 0; i < (int)CL_CINFO_USERS_MAX; i++)
		n += (size_t)sprintf(xml + n, "<user entity='sip:u%d@h'/>", i);
	n += (size_t)sprintf(xml + n, "</users></conference-info>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, NULL, NULL), CL_CINFO_APPLIED);
	n = (size_t)sprintf(xml, "<conference-info version='2' state='partial'><users>"
	                         "<user entity='sip:extra@h'/></users></conference-info>");
	cr_assert_eq(cl_cinfo_parse(xml, n, &doc), CL_CINFO_OK);
	cr_assert_eq(cl_cinfo_apply(&l, &doc, NULL, NULL), CL_CINFO_APPLIED);
	cr_assert_eq(l.n_users, CL_CINFO_USERS_MAX);
	free(xml);
}
