/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msw-gen setup "sip" (gen_sip.h): every leg is a dialog with the conference focus, so a run
 * measures the whole appliance (SIP control plane, control channel, data plane).
 *
 * Per conference (OMA SIMPLE IM 7.1.1.3, docs/controlplane.md): leg 0 INVITEs the
 * Conference-factory URI sip:<factory_user>@<focus>; the focus answers 200 with
 * Contact <sip:CONFID@focus>;isfocus (RFC 4579 §3) and an SDP answer whose a=path is the
 * switch's URI for the leg; the other legs INVITE that conference URI. Offers carry
 * m=message <port> TCP/MSRP *, a=path with the leg's own URI, a=accept-types and
 * a=setup:actpass (RFC 4975 §8.1, RFC 6135); the answer must say passive (or nothing): we
 * connect, to its c= address and m= port. At the end every dialog gets a BYE, except the last
 * of each conference: an ad-hoc conference ends when fewer than two participants remain, and
 * the focus BYEs that one itself (AHG-08); we wait for it (GEN_SIP_FOCUS_BYE_MS) and count
 * it missing otherwise.
 *
 * Threads: the SIP thread owns the su_root, nua and every struct gen_sip_leg; it writes the
 * legs' to_path/msrp_dst and g->sip_stats. The main thread starts it (setup), waits for
 * setup_done (acquire), asks for the teardown with teardown_req and joins it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include "sdp/msdp.h"

#include "gen_pvt.h"
#include "gen_sip.h"

#define GEN_SIP_TICK_MS      2    /* pacing of the INVITEs and teardown checks */
#define GEN_SIP_WINDOW       256  /* unanswered INVITEs at most (the focus has a limit too) */
#define GEN_SIP_FOCUS_BYE_MS 5000 /* how long a conference's last leg waits for the focus */
#define GEN_SIP_AGENT        "msw-gen/0.1"
#define GEN_SIP_FEATURE      "+g.oma.sip-im" /* OMA SIMPLE IM 5.2 feature tag */
#define GEN_SIP_ACCEPT       "message/cpim text/plain"
#define GEN_SIP_URI_CAP      320

enum gen_sip_leg_st {
	GEN_SIP_WAITING = 0, /* not invited yet (queued, or waiting for its conference URI) */
	GEN_SIP_INVITING,    /* INVITE sent, no final answer */
	GEN_SIP_UP,          /* 2xx with a usable answer: the leg can connect */
	GEN_SIP_ENDING,      /* BYE sent, or waiting for the focus's BYE */
	GEN_SIP_OVER,        /* failed or ended */
};

/* Thread-safety: SIP thread only. */
struct gen_sip_leg {
	nua_handle_t *nh;
	enum gen_sip_leg_st st;
	bool answered;   /* a 2xx arrived: a dialog exists */
	bool bye_sent;   /* we sent BYE */
	bool by_focus;   /* the focus sent BYE */
	bool bye_final;  /* our BYE has its final answer */
	bool focus_last; /* the last of its conference: the focus ends it */
	uint64_t t_invite_ns;
};

enum gen_sip_phase {
	GEN_SIP_PH_SETUP = 0,
	GEN_SIP_PH_HOLD, /* every INVITE answered: traffic runs */
	GEN_SIP_PH_TEARDOWN,
	GEN_SIP_PH_SHUTDOWN,
};

/*
 * Thread-safety: created by main in gen_sip_setup(); afterwards every member but the atomics
 * belongs to the SIP thread until main joins it (gen_sip_teardown); freed by main.
 */
struct gen_sip {
	struct gen *g;
	pthread_t tid;
	bool started;
	su_root_t *root;
	nua_t *nua;
	su_timer_t *timer;
	struct gen_sip_leg *legs;
	char (*conf_uri)[GEN_SIP_URI_CAP]; /* per conference, from leg 0's Contact */
	uint32_t *queue;                   /* legs to invite, in order; each once */
	uint32_t q_head, q_tail;
	uint32_t outstanding; /* INVITEs without a final answer */
	uint32_t finals;      /* legs whose set-up ended (either way) */
	enum gen_sip_phase ph;
	uint64_t t0_ns, t_bye_ns;
	char src_ip[INET_ADDRSTRLEN];
	char focus[64]; /* host:port of the focus */
	int setup_rc;
	_Atomic bool setup_done;
	_Atomic bool teardown_req;
};

static uint32_t
gen_sip_idx(const struct gen_sip *gs, const struct gen_sip_leg *sl)
{
	return (uint32_t)(sl - gs->legs);
}

/* Keeps the first failure's story for the summary ("leg 3: INVITE answered 486 ..."). */
static void
gen_sip_error(struct gen_sip *gs, uint32_t idx, const char *what, const char *detail)
{
	struct gen_sip_stats *st = &gs->g->sip_stats;

	if (st->first_error[0] == '\0')
		snprintf(st->first_error, sizeof(st->first_error), "leg %u: %s%s", idx, what,
		         detail);
}

/* The leg's set-up ended (success or not): one final per leg. */
static void
gen_sip_final(struct gen_sip *gs)
{
	gs->finals++;
}

/* Leg 0 of a conference failed: its other legs have no conference to join. */
static void
gen_sip_conf_failed(struct gen_sip *gs, uint32_t conf)
{
	uint32_t per = gs->g->s->legs;

	for (uint32_t p = 1; p < per; p++) {
		struct gen_sip_leg *sl = &gs->legs[conf * per + p];

		sl->st = GEN_SIP_OVER;
		gs->g->sip_stats.setup_errors++;
		gen_sip_final(gs);
	}
}

static void
gen_sip_invite(struct gen_sip *gs, uint32_t idx)
{
	struct gen *g = gs->g;
	const struct gen_scenario *s = g->s;
	struct gen_leg *l = &g->legs[idx];
	struct gen_sip_leg *sl = &gs->legs[idx];
	char to[GEN_SIP_URI_CAP], req[GEN_SIP_URI_CAP + 16], from[128], sdp[2048];
	bool tcp = s->sip_transport == GEN_SIP_TRANSPORT_TCP;
	struct msdp_media m;

	if (l->pos == 0)
		snprintf(to, sizeof(to), "sip:%s@%s", s->factory_user, gs->focus);
	else
		snprintf(to, sizeof(to), "%s", gs->conf_uri[l->conf]);
	snprintf(req, sizeof(req), "%s%s", to,
	         tcp && strstr(to, ";transport=") == NULL ? ";transport=tcp" : "");
	snprintf(from, sizeof(from), "sip:g%dl%u@%s", (int)g->pid, idx, gs->src_ip);
	/* RFC 4975 §8.1 offer; actpass lets the focus choose, it prefers passive (RFC 6135). */
	memset(&m, 0, sizeof(m));
	snprintf(m.path, sizeof(m.path), "%.*s", (int)l->path_len, l->path);
	snprintf(m.accept_types, sizeof(m.accept_types), "%s", GEN_SIP_ACCEPT);
	snprintf(m.addr, sizeof(m.addr), "%s", gs->src_ip);
	m.port = ntohs(l->msrp_src.sin_port);
	m.setup = MSDP_SETUP_ACTPASS;
	m.dir = MSDP_SENDRECV;
	if (msdp_build(&m, ((uint64_t)g->pid << 24) | idx, 1, sdp, sizeof(sdp)) < 0)
		goto fail;
	sl->nh = nua_handle(gs->nua, (nua_hmagic_t *)sl, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
	                    TAG_END());
	if (sl->nh == NULL)
		goto fail;
	sl->st = GEN_SIP_INVITING;
	sl->t_invite_ns = gen_now_ns();
	gs->outstanding++;
	g->sip_stats.invites++;
	nua_invite(sl->nh, NUTAG_URL(req), SIPTAG_ACCEPT_CONTACT_STR("*;" GEN_SIP_FEATURE),
	           SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	return;
fail:
	sl->st = GEN_SIP_OVER;
	g->sip_stats.setup_errors++;
	gen_sip_error(gs, idx, "cannot build the INVITE", "");
	gen_sip_final(gs);
	if (l->pos == 0)
		gen_sip_conf_failed(gs, l->conf);
}

/* The answer of a 2xx: where to connect, and the switch's URI for the leg. NULL or why not. */
static const char *
gen_sip_take_answer(struct gen_sip *gs, struct gen_sip_leg *sl, const sip_t *sip)
{
	struct gen_leg *l = &gs->g->legs[gen_sip_idx(gs, sl)];
	struct msdp_media a;
	size_t plen;

	if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_data == NULL)
		return "2xx without an SDP answer";
	if (msdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &a) != MSDP_OK)
		return "2xx with an SDP answer without usable MSRP media";
	/* RFC 6135 §4.2: passive (or no a=setup, RFC 4975 §8.5: the offerer connects). */
	if (a.setup != MSDP_SETUP_PASSIVE && a.setup != MSDP_SETUP_NONE)
		return "the answer's a=setup is not passive (msw-gen only connects)";
	memset(&l->msrp_dst, 0, sizeof(l->msrp_dst));
	l->msrp_dst.sin_family = AF_INET;
	l->msrp_dst.sin_port = htons(a.port);
	if (a.port == 0 || inet_pton(AF_INET, a.addr, &l->msrp_dst.sin_addr) != 1)
		return "the answer's c=/m= is not an IPv4 address and port";
	plen = strlen(a.path);
	if (plen == 0 || plen >= sizeof(l->to_path))
		return "the answer's a=path is empty or too long";
	memcpy(l->to_path, a.path, plen);
	l->to_path_len = (uint32_t)plen;
	if (l->pos != 0)
		return NULL;
	/* Leg 0: the conference URI for the others (OMA 4.3.1, RFC 4579 §3: ;isfocus). */
	if (sip->sip_contact == NULL ||
	    msg_params_find(sip->sip_contact->m_params, "isfocus") == NULL)
		return "the factory's 2xx has no Contact with ;isfocus";
	url_e(gs->conf_uri[l->conf], (isize_t)sizeof(gs->conf_uri[l->conf]),
	      sip->sip_contact->m_url);
	return NULL;
}

static void
gen_sip_bye(struct gen_sip *gs, struct gen_sip_leg *sl)
{
	sl->st = GEN_SIP_ENDING;
	sl->bye_sent = true;
	gs->g->sip_stats.byes++;
	nua_bye(sl->nh, TAG_END());
}

static void
gen_sip_on_invite(struct gen_sip *gs, struct gen_sip_leg *sl, int status, const char *phrase,
                  const sip_t *sip)
{
	struct gen *g = gs->g;
	uint32_t idx = gen_sip_idx(gs, sl);
	struct gen_leg *l = &g->legs[idx];
	const char *why;

	if (status < 200 || sl->st != GEN_SIP_INVITING)
		return; /* provisional, or a 2xx retransmission (nua ACKs it again) */
	gs->outstanding--;
	gen_sip_final(gs);
	if (status >= 300) {
		char text[160];

		sl->st = GEN_SIP_OVER;
		g->sip_stats.setup_errors++;
		/* The focus explains its refusals in a Warning (docs/controlplane.md). */
		snprintf(text, sizeof(text), "%d %s%s%s", status, phrase != NULL ? phrase : "",
		         sip != NULL && sip->sip_warning != NULL && sip->sip_warning->w_text != NULL
		                 ? ": "
		                 : "",
		         sip != NULL && sip->sip_warning != NULL && sip->sip_warning->w_text != NULL
		                 ? sip->sip_warning->w_text
		                 : "");
		gen_sip_error(gs, idx, "INVITE answered ", text);
		if (l->pos == 0)
			gen_sip_conf_failed(gs, l->conf);
		return;
	}
	sl->answered = true;
	why = gen_sip_take_answer(gs, sl, sip);
	if (why != NULL) {
		g->sip_stats.setup_errors++;
		gen_sip_error(gs, idx, why, "");
		gen_sip_bye(gs, sl);
		if (l->pos == 0)
			gen_sip_conf_failed(gs, l->conf);
		return;
	}
	sl->st = GEN_SIP_UP;
	g->sip_stats.setups++;
	gen_hist_record(g->sip_stats.setup_hist, gen_now_ns() - sl->t_invite_ns);
	if (l->pos == 0)
		for (uint32_t p = 1; p < g->s->legs; p++)
			gs->queue[gs->q_tail++] = l->conf * g->s->legs + p;
}

static void
gen_sip_over(struct gen_sip *gs, struct gen_sip_leg *sl)
{
	if (sl->st == GEN_SIP_OVER)
		return;
	if (sl->by_focus && !sl->bye_sent)
		gs->g->sip_stats.ended_by_focus++;
	sl->st = GEN_SIP_OVER;
}

static void
gen_sip_event(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
              nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct gen_sip *gs = magic;
	struct gen_sip_leg *sl = hmagic;

	(void)nua;
	switch (event) {
	case nua_r_invite:
		if (sl != NULL)
			gen_sip_on_invite(gs, sl, status, phrase, sip);
		break;
	case nua_i_bye:
		/* nua answers 200 itself; the dialog ends with nua_i_state. */
		if (sl != NULL)
			sl->by_focus = true;
		break;
	case nua_r_bye:
		if (sl == NULL || status < 200 || sl->bye_final)
			break;
		sl->bye_final = true;
		if (status == 200) {
			gs->g->sip_stats.bye_ok++;
		} else {
			char text[96];

			snprintf(text, sizeof(text), "%d %s", status, phrase != NULL ? phrase : "");
			gs->g->sip_stats.bye_errors++;
			gen_sip_error(gs, gen_sip_idx(gs, sl), "BYE answered ", text);
		}
		gen_sip_over(gs, sl);
		break;
	case nua_i_state: {
		int state = nua_callstate_init;

		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (sl != NULL && state == nua_callstate_terminated &&
		    (sl->st != GEN_SIP_ENDING || !sl->bye_sent || sl->bye_final))
			gen_sip_over(gs, sl);
		break;
	}
	case nua_r_shutdown:
		if (status >= 200)
			su_root_break(gs->root);
		break;
	default:
		/* Requests out of our dialogs (OPTIONS, MESSAGE...): nua answered them. */
		if (sl == NULL && nh != NULL && nua_event_is_incoming_request(event))
			nua_handle_destroy(nh);
		break;
	}
}

/* Teardown of one conference: BYE all but its last established leg (the focus ends that). */
static void
gen_sip_conf_bye(struct gen_sip *gs, uint32_t conf)
{
	uint32_t per = gs->g->s->legs, up = 0, last = 0;

	for (uint32_t p = 0; p < per; p++)
		if (gs->legs[conf * per + p].st == GEN_SIP_UP) {
			up++;
			last = conf * per + p;
		}
	for (uint32_t p = 0; p < per; p++) {
		struct gen_sip_leg *sl = &gs->legs[conf * per + p];

		if (sl->st != GEN_SIP_UP)
			continue;
		if (up >= 2 && conf * per + p == last) {
			sl->st = GEN_SIP_ENDING;
			sl->focus_last = true;
			continue;
		}
		gen_sip_bye(gs, sl);
	}
}

static void
gen_sip_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct gen_sip *gs = arg;
	struct gen *g = gs->g;
	uint64_t now = gen_now_ns();
	uint32_t live = 0;

	(void)magic;
	(void)t;
	switch (gs->ph) {
	case GEN_SIP_PH_SETUP: {
		/* Token bucket of one INVITE: setup_rate per second from the first. */
		uint64_t due = 1 + (now - gs->t0_ns) / 1000 * g->s->setup_rate / 1000000;

		while (g->sip_stats.invites < due && gs->outstanding < GEN_SIP_WINDOW &&
		       gs->q_head < gs->q_tail)
			gen_sip_invite(gs, gs->queue[gs->q_head++]);
		if (gs->finals < g->n_legs &&
		    !atomic_load_explicit(&gs->teardown_req, memory_order_acquire))
			break;
		g->sip_stats.setup_s = (double)(now - gs->t0_ns) / 1e9;
		gs->setup_rc = g->sip_stats.setup_errors == 0 ? 0 : -EPROTO;
		gs->ph = GEN_SIP_PH_HOLD;
		atomic_store_explicit(&gs->setup_done, true, memory_order_release);
		break;
	}
	case GEN_SIP_PH_HOLD:
		if (!atomic_load_explicit(&gs->teardown_req, memory_order_acquire))
			break;
		gs->t_bye_ns = now;
		for (uint32_t c = 0; c < g->s->conferences; c++)
			gen_sip_conf_bye(gs, c);
		gs->ph = GEN_SIP_PH_TEARDOWN;
		break;
	case GEN_SIP_PH_TEARDOWN:
		for (uint32_t i = 0; i < g->n_legs; i++) {
			struct gen_sip_leg *sl = &gs->legs[i];

			if (sl->focus_last && sl->st == GEN_SIP_ENDING && !sl->bye_sent &&
			    now - gs->t_bye_ns > GEN_SIP_FOCUS_BYE_MS * 1000000ull) {
				/* The focus kept a conference of one (AHG-08 says it ends it). */
				g->sip_stats.end_missing++;
				gen_sip_error(
				        gs, i,
				        "the focus did not end the conference after the others "
				        "left",
				        "");
				gen_sip_bye(gs, sl);
			}
			if (sl->st == GEN_SIP_UP)
				gen_sip_bye(gs, sl); /* answered after the teardown began */
			live += sl->st == GEN_SIP_UP || sl->st == GEN_SIP_ENDING ||
			        sl->st == GEN_SIP_INVITING;
		}
		if (live > 0)
			break;
		g->sip_stats.teardown_s = (double)(now - gs->t_bye_ns) / 1e9;
		gs->ph = GEN_SIP_PH_SHUTDOWN;
		nua_shutdown(gs->nua);
		break;
	case GEN_SIP_PH_SHUTDOWN:
		break;
	}
}

static void *
gen_sip_thread(void *arg)
{
	struct gen_sip *gs = arg;
	struct gen *g = gs->g;
	char bind_url[96];

	su_init();
	snprintf(bind_url, sizeof(bind_url), "sip:%s:*", gs->src_ip);
	gs->root = su_root_create(NULL);
	if (gs->root != NULL)
		gs->nua = nua_create(gs->root, gen_sip_event, (nua_magic_t *)gs,
		                     NUTAG_URL(bind_url), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOACK(1),
		                     NUTAG_M_FEATURES(GEN_SIP_FEATURE),
		                     SIPTAG_USER_AGENT_STR(GEN_SIP_AGENT), TAG_END());
	if (gs->nua != NULL)
		gs->timer = su_timer_create(su_root_task(gs->root), GEN_SIP_TICK_MS);
	if (gs->timer == NULL || su_timer_run(gs->timer, gen_sip_tick, gs) != 0) {
		snprintf(g->err, sizeof(g->err), "SIP user agent on %s: cannot start", bind_url);
		gs->setup_rc = -EADDRNOTAVAIL;
		atomic_store_explicit(&gs->setup_done, true, memory_order_release);
		goto out;
	}
	gs->t0_ns = gen_now_ns();
	su_root_run(gs->root); /* until nua_r_shutdown after the teardown */
out:
	su_timer_destroy(gs->timer);
	if (gs->nua != NULL)
		nua_destroy(gs->nua); /* frees every handle */
	if (gs->root != NULL)
		su_root_destroy(gs->root);
	su_deinit();
	return NULL;
}

/* ---- main thread ---- */

static int
gen_sip_setup(struct gen *g)
{
	const struct gen_scenario *s = g->s;
	struct gen_sip *gs = calloc(1, sizeof(*gs));
	uint64_t deadline;

	g->sip_ctx = gs;
	g->sip_stats.used = true;
	g->sip_stats.setup_hist = calloc(1, sizeof(*g->sip_stats.setup_hist));
	if (gs == NULL || g->sip_stats.setup_hist == NULL) {
		snprintf(g->err, sizeof(g->err), "out of memory");
		return -ENOMEM;
	}
	gs->g = g;
	gs->legs = calloc(g->n_legs, sizeof(*gs->legs));
	gs->conf_uri = calloc(s->conferences, sizeof(*gs->conf_uri));
	gs->queue = calloc(g->n_legs, sizeof(*gs->queue));
	if (gs->legs == NULL || gs->conf_uri == NULL || gs->queue == NULL) {
		snprintf(g->err, sizeof(g->err), "out of memory");
		return -ENOMEM;
	}
	inet_ntop(AF_INET, &g->src_addr, gs->src_ip, sizeof(gs->src_ip));
	{
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &s->sip_focus.addr, ip, sizeof(ip));
		snprintf(gs->focus, sizeof(gs->focus), "%s:%u", ip, s->sip_focus.port);
	}
	/* Leg 0 of every conference first; the others follow their leg 0's 200. */
	for (uint32_t c = 0; c < s->conferences; c++)
		gs->queue[gs->q_tail++] = c * s->legs;
	if (pthread_create(&gs->tid, NULL, gen_sip_thread, gs) != 0) {
		snprintf(g->err, sizeof(g->err), "cannot start the SIP thread");
		return -EAGAIN;
	}
	gs->started = true;
	/* Every INVITE ends within Timer B (64*T1 = 32 s, RFC 3261 §17.1.1.2) once sent; the
	 * pacing adds n/setup_rate. */
	deadline = gen_now_ns() + ((uint64_t)g->n_legs / s->setup_rate + 40) * 1000000000ull;
	while (!atomic_load_explicit(&gs->setup_done, memory_order_acquire)) {
		if (gen_now_ns() > deadline) {
			snprintf(g->err, sizeof(g->err), "SIP set-up did not finish in time");
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	if (gs->setup_rc != 0 && g->err[0] == '\0')
		snprintf(g->err, sizeof(g->err), "SIP set-up: %" PRIu64 " of %u legs failed; %s",
		         g->sip_stats.setup_errors, g->n_legs, g->sip_stats.first_error);
	return gs->setup_rc;
}

static void
gen_sip_teardown(struct gen *g)
{
	struct gen_sip *gs = g->sip_ctx;

	if (gs == NULL || !gs->started)
		return;
	atomic_store_explicit(&gs->teardown_req, true, memory_order_release);
	pthread_join(gs->tid, NULL);
	gs->started = false;
}

static void
gen_sip_fini(struct gen *g)
{
	struct gen_sip *gs = g->sip_ctx;

	gen_sip_teardown(g);
	if (gs != NULL) {
		free(gs->legs);
		free(gs->conf_uri);
		free(gs->queue);
		free(gs);
	}
	g->sip_ctx = NULL;
	free(g->sip_stats.setup_hist);
	g->sip_stats.setup_hist = NULL;
}

const struct gen_sip_ops gen_sip_ops = {
        .setup = gen_sip_setup,
        .teardown = gen_sip_teardown,
        .fini = gen_sip_fini,
};
