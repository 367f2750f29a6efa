/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conference CPIM policy (RFC 3862; SWX-04, SWX-05, SWX-06; ALS-03), decided once per
 * message on its first chunk:
 *  - wrap: a non-CPIM body is wrapped, From = the sender (its alias when anonymous),
 *    To = the conference URI; the envelope is a prefix chained before the body (no copy);
 *  - required: non-CPIM bodies were refused with 415 before we get here;
 *  - off: bodies are forwarded byte-exact.
 * With wrap or required, a CPIM From that is not the sender is overwritten and counted,
 * never rejected (SWX-04 "choose overwrite"); later chunks' Byte-Range shift by the change.
 * A CPIM To naming one participant (URI or alias) makes the message private (SWX-05); that
 * is also how IMDNs travel. A recipient that does not accept message/cpim gets the content
 * unwrapped (its Byte-Range shifted back).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cpim/cpim.h"
#include "switch/sw_pvt.h"

static const struct msrp_span sw_cpim_type = {(const uint8_t *)"message/cpim", 12};

static struct cpim_span
sw_cs(const void *p, size_t len)
{
	return (struct cpim_span){(const uint8_t *)p, (uint32_t)len};
}

/* The identity the sender may show: its URI, or the anonymous URI with its alias. */
static struct cpim_alias
sw_sender_alias(const struct sw_leg *l)
{
	struct cpim_alias a = {.display = sw_cs(l->alias, l->alias_len)};

	a.uri = l->anonymous || l->identity_len == 0 ? cpim_span_str(SW_ANON_URI)
	                                             : sw_cs(l->identity, l->identity_len);
	return a;
}

static void
sw_var_set(struct sw_var *v, int64_t shift, uint32_t skip, struct cpim_span ctype)
{
	v->used = true;
	v->shift = shift;
	v->skip = skip;
	v->ctype_len = (uint8_t)(ctype.len < sizeof(v->ctype) ? ctype.len : 0);
	memcpy(v->ctype, ctype.p, v->ctype_len);
}

/* Display name without its quotes (Formal-name as written, RFC 3862 §3.2). */
static struct cpim_span
sw_unquote(struct cpim_span d)
{
	if (d.len >= 2 && d.p[0] == '"' && d.p[d.len - 1] == '"')
		return sw_cs(d.p + 1, d.len - 2);
	return d;
}

/* SWX-05: the one participant a CPIM To names, by URI or alias; NULL if none. */
static struct sw_leg *
sw_private_target(struct sw_leg *sender, const struct cpim_addr *to)
{
	struct sw_members *mem = rcu_dereference(sender->conf->members);
	struct cpim_span disp = sw_unquote(to->display);

	for (uint32_t i = 0; mem != NULL && i < mem->n; i++) {
		struct sw_leg *q = mem->leg[i];

		if (q == sender)
			continue;
		if (!q->anonymous && q->identity_len == to->uri.len &&
		    memcmp(q->identity, to->uri.p, to->uri.len) == 0)
			return q;
		if (q->alias_len > 0 && q->alias_len == disp.len &&
		    memcmp(q->alias, disp.p, disp.len) == 0)
			return q;
		if (q->alias_len > 0 && q->alias_len == to->uri.len &&
		    memcmp(q->alias, to->uri.p, to->uri.len) == 0)
			return q;
	}
	return NULL;
}

/*
 * First chunk of a message: fill m->var[], lc->prefix (CPIM form prefix, valid during this
 * chunk), m->final_report, and *only_leg for a private message. Returns 0, or -1 with *code
 * (403: private message to nobody in the conference).
 */
int
sw_cpim_msg_init(struct sw_lcore *lc, struct sw_msg *m, struct sw_leg *l,
                 const struct msrp_frame *f, uint32_t *only_leg, uint16_t *code)
{
	struct sw_conf *c = l->conf;
	struct msrp_span mt = sw_media_type(f->content_type);
	bool is_cpim = sw_span_caseeq(mt, sw_cpim_type);
	struct cpim_alias me = sw_sender_alias(l);

	memset(m->var, 0, sizeof(m->var));
	m->var[SW_VAR_AS_SENT].used = true;
	lc->prefix_len = 0;
	if (!f->has_body || f->byte_range.start != 1)
		return 0;
	if (!is_cpim) {
		if (c->cpim_policy != MSW_CTL_CPIM_WRAP)
			return 0;
		/* SWX-06: wrap; the envelope is chained before the untouched body. */
		struct cpim_wrap w = {
		        .from = me,
		        .to = {.uri = sw_cs(c->uri, c->uri_len)},
		        .content_type = sw_cs(f->content_type.p, f->content_type.len),
		};
		struct cpim_field disp;

		/*
		 * The copies' MSRP heads carry only the new Content-Type, so the sender's
		 * Content-Disposition (a file's name, RFC 2183) moves into the envelope.
		 */
		for (uint16_t i = 0; i < f->n_hdrs; i++)
			if (f->hdrs[i].name.len == 19 &&
			    strncasecmp((const char *)f->hdrs[i].name.p, "Content-Disposition",
			                19) == 0) {
				disp = (struct cpim_field){
				        sw_cs(f->hdrs[i].name.p, f->hdrs[i].name.len),
				        sw_cs(f->hdrs[i].value.p, f->hdrs[i].value.len)};
				w.mime = &disp;
				w.n_mime = 1;
				break;
			}
		ssize_t n = cpim_wrap_prefix_build(&w, lc->prefix, sizeof(lc->prefix));

		if (n < 0)
			return 0; /* unwrappable (control characters in the alias): as sent */
		lc->prefix_len = (uint32_t)n;
		sw_var_set(&m->var[SW_VAR_CPIM], n, 0, cpim_span_str("message/cpim"));
		sw_cnt_add(lc, SW_CNT_CPIM_WRAP, 1);
		return 0;
	}

	struct msrp_span b =
	        f->n_body_segs == 1
	                ? f->body_segs[0]
	                : (struct msrp_span){lc->body_peek,
	                                     (uint32_t)msrp_frame_body_copy(f, lc->body_peek,
	                                                                    sizeof(lc->body_peek))};
	struct cpim_msg cm;

	/*
	 * Only body bytes: a span may run into the end-line of a chunk being streamed, and the
	 * copy holds at most sizeof(body_peek).
	 */
	if (b.len > f->body_len)
		b.len = (uint32_t)f->body_len;
	if (b.p == lc->body_peek && b.len > sizeof(lc->body_peek))
		b.len = sizeof(lc->body_peek);
	if (cpim_parse(b.p, b.len, &cm) != CPIM_OK) {
		sw_cnt_add(lc, SW_CNT_CPIM_BAD, 1);
		return 0; /* forwarded as sent: the recipients judge it */
	}
	m->final_report = cpim_final_report_requested(&cm);
	if (cm.n_to == 1 &&
	    !(cm.to[0].uri.len == c->uri_len && memcmp(cm.to[0].uri.p, c->uri, c->uri_len) == 0)) {
		struct sw_leg *q = sw_private_target(l, &cm.to[0]);

		if (q == NULL) {
			*code = 403;
			return -1;
		}
		*only_leg = q->idx;
		sw_cnt_add(lc, SW_CNT_PRIVATE, 1);
	}
	/* Unwrapped form for recipients that do not take message/cpim. */
	sw_var_set(&m->var[SW_VAR_PLAIN], -(int64_t)cm.mime_end, cm.mime_end, cm.content_type);
	if (c->cpim_policy == MSW_CTL_CPIM_OFF)
		return 0;
	if (cm.from.uri.len == me.uri.len && memcmp(cm.from.uri.p, me.uri.p, me.uri.len) == 0)
		return 0;
	/* SWX-04: a From that is not the sender is overwritten (counted), never rejected. */
	uint8_t line[CPIM_LINE_MAX];
	struct cpim_splice sp;
	ssize_t ll = cpim_addr_rewrite(&cm, cm.from_hdr, &me, line, sizeof(line), &sp);
	const uint8_t *repl[1] = {line};
	ssize_t n;

	if (ll < 0 || cm.hdr_end > b.len)
		return 0;
	n = cpim_splice_apply(b.p, cm.hdr_end, &sp, repl, 1, lc->prefix, sizeof(lc->prefix));
	if (n < 0)
		return 0;
	lc->prefix_len = (uint32_t)n;
	sw_var_set(&m->var[SW_VAR_CPIM], n - (int64_t)cm.hdr_end, cm.hdr_end,
	           cpim_span_str("message/cpim"));
	sw_cnt_add(lc, SW_CNT_CPIM_FROM_REWRITE, 1);
	return 0;
}

/*
 * The form recipient q gets, or SW_VAR_COUNT when it accepts none (not-sent, 415). A CPIM
 * form also needs the encapsulated type in q's accept-wrapped-types (RFC 4975 §8.6): the
 * sender's body type when we wrap, the CPIM Content-Type when the sender sent CPIM (unknown
 * when its header block did not parse: not checked, the recipient judges it).
 */
uint8_t
sw_cpim_variant_for(const struct sw_msg *m, const struct sw_leg *q, struct msrp_span mt)
{
	bool is_cpim = sw_span_caseeq(mt, sw_cpim_type);
	const struct sw_var *plain = &m->var[SW_VAR_PLAIN];
	struct msrp_span inner = is_cpim ? (plain->used ? sw_media_type((struct msrp_span){
	                                                          plain->ctype, plain->ctype_len})
	                                                : (struct msrp_span){NULL, 0})
	                                 : mt;
	bool inner_ok = inner.len == 0 || sw_leg_accepts_wrapped(q, inner);

	if (m->var[SW_VAR_CPIM].used && sw_leg_accepts(q, sw_cpim_type) && inner_ok)
		return SW_VAR_CPIM;
	if (!m->var[SW_VAR_CPIM].used || !is_cpim) {
		/* Plain sent as plain; CPIM whose From was fine goes as sent. */
		if (sw_leg_accepts(q, mt) && (!is_cpim || inner_ok))
			return SW_VAR_AS_SENT;
	}
	if (is_cpim && plain->used && sw_leg_accepts(q, inner))
		return SW_VAR_PLAIN;
	return SW_VAR_COUNT;
}
