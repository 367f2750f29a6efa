/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control-plane stand-in for test_dp_history.sh: programs a running msw-dataplane over the
 * real control channel (common/ctl) with conferences that do and do not keep conversation
 * history, then stays attached and writes down every event the data plane sends it,
 * EV_HISTORY (docs/ctl-abi.md) in full, so that dp_history_peers.py can check each received
 * chunk against what its MSRP peers sent.
 *
 *   dp_history_client INSTANCE PEER_HOST TIMEOUT_S EVENTS_FILE
 *
 * Conferences: "hist-on" (MSW_CTL_CONF_F_HISTORY) with legs a, b; "hist-off" (no flag) with
 * c, d; "hist-leg" (no flag) with e (MSW_CTL_LEG_F_HISTORY) and f. Every leg's path is
 * "msrp://PEER_HOST:2855/<name>01;tcp" (the peer's own URI; the peers connect to us).
 *
 * Output, one line each:
 *   ok - TEXT / not ok - TEXT       a check (the script numbers them)
 *   leg NAME CONF PATH LOCAL_URI    a leg added (LOCAL_URI: the data plane's URI for it)
 *   # ready                         legs added; the peers may connect
 *   events TOTAL HISTORY            after the line "stop" on standard input (the peers are
 *                                   done) and a quiet period, or after TIMEOUT_S
 * and in EVENTS_FILE one JSON object per event received, in arrival order
 * ({"type":"EV_HISTORY",...}), complete when the "events" line is printed.
 * Then it waits for its standard input to close (so that the script reads the data plane's
 * counters while this client still owns the legs) and detaches.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "dp_ctl_client.h"

#define NAME      "cp-history-test"
#define PEER_PORT 2855
/*
 * After "stop": how long to keep listening. The peers saw every message at its recipient,
 * and the worker emits EV_HISTORY before it forwards a chunk, so what is still to come is
 * only the control thread's hop from the worker's ring to our slot (well under this).
 */
#define QUIET_MS 500u
#define SLICE_MS 20u

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* LEG_ADD (passive: the peer connects) toward msrp://host:PEER_PORT/<who>01;tcp. */
static int
leg_add(struct ctl_client *c, const char *conf, const char *who, const char *host, uint8_t flags,
        char *path, size_t path_cap, char *uri, size_t cap)
{
	snprintf(path, path_cap, "msrp://%s:%d/%s01;tcp", host, PEER_PORT, who);
	return dpc_leg_add(c, conf, who, path, NULL, flags, uri, cap);
}

/* The flags CONF_LIST reports for conference id, or -1 when it is not listed. */
static int
conf_flags(struct ctl_client *c, const char *id)
{
	struct msw_ctl_list l;
	struct ctl_msg m;
	const void *data;

	memset(&l, 0, sizeof(l));
	if (ctl_client_call(c, MSW_CTL_CONF_LIST, MSW_CTL_VER_LIST, &l, sizeof(l), NULL, 0, &m,
	                    3000) != 0)
		return -1;
	const struct msw_ctl_list_r *r = (const void *)m.rec.payload;

	if (r->count == 0 || ctl_client_blob(c, &r->entries, &data) < 0)
		return -1;
	for (uint32_t i = 0; i < r->count; i++) {
		const struct msw_ctl_conf_entry *e = (const struct msw_ctl_conf_entry *)data + i;

		if (e->conf.len == strlen(id) && memcmp(e->conf.id, id, e->conf.len) == 0)
			return e->flags;
	}
	return -1;
}

/* Where the event lines go (a file: a slow reader must not slow down our draining). */
static FILE *evf;

/* A JSON string of bytes that are printable ASCII, escaped; others as \u00XX. */
static void
json_str(const char *s, size_t len)
{
	fputc('"', evf);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(evf, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(evf, "\\u%04x", ch);
		else
			fputc(ch, evf);
	}
	fputc('"', evf);
}

/*
 * Bytes as hex, a buffer at a time: drained at a per-byte fprintf's pace, a burst of history
 * copies outgrows the slot's HISTORY blob budget and the data plane drops the rest (it never
 * waits, docs/ctl-abi.md "Budgets"), which this test would report as lost events.
 */
static void
hex_out(const void *data, int len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	char buf[4096];
	size_t n = 0;

	for (int i = 0; i < len; i++) {
		buf[n++] = digits[p[i] >> 4];
		buf[n++] = digits[p[i] & 0xf];
		if (n == sizeof(buf)) {
			fwrite(buf, 1, n, evf);
			n = 0;
		}
	}
	fwrite(buf, 1, n, evf);
}

struct counts {
	uint32_t total;   /* every event received */
	uint32_t history; /* EV_HISTORY */
	uint32_t bad;     /* events whose payload or blobs could not be read */
};

/*
 * Writes one received event as a JSON line to evf. EV_HISTORY carries the body as hex
 * (binary bodies stay exact) and its content type; the other events what identifies them.
 */
static void
print_event(struct ctl_client *c, const struct ctl_msg *m, struct counts *n)
{
	const char *tname = ctl_type_name(m->rec.hdr.type);

	n->total++;
	if (m->rec.hdr.type == MSW_CTL_EV_LEG_BOUND || m->rec.hdr.type == MSW_CTL_EV_LEG_CLOSED) {
		const struct msw_ctl_ev_leg *e = (const void *)m->rec.payload;

		fprintf(evf, "{\"type\":\"%s\",\"conf\":", tname);
		json_str(e->leg.conf.id, e->leg.conf.len);
		fprintf(evf, ",\"sid\":");
		json_str(e->leg.session_id, e->leg.session_id_len);
		fprintf(evf, "}\n");
		return;
	}
	if (m->rec.hdr.type != MSW_CTL_EV_HISTORY && m->rec.hdr.type != MSW_CTL_EV_MSG_DONE) {
		fprintf(evf, "{\"type\":\"%s\"}\n", tname != NULL ? tname : "?");
		return;
	}
	const struct msw_ctl_ev_msg *e = (const void *)m->rec.payload;
	size_t mid_len = strnlen(e->message_id, sizeof(e->message_id));

	fprintf(evf, "{\"type\":\"%s\",\"ver\":%u,\"conf\":", tname, m->rec.hdr.ver);
	json_str(e->leg.conf.id, e->leg.conf.len);
	fprintf(evf, ",\"sid\":");
	json_str(e->leg.session_id, e->leg.session_id_len);
	fprintf(evf, ",\"message_id\":");
	json_str(e->message_id, mid_len);
	fprintf(evf, ",\"msg_len\":%llu", (unsigned long long)e->msg_len);
	if (m->rec.hdr.type == MSW_CTL_EV_MSG_DONE) {
		fprintf(evf, ",\"msg_flags\":%u}\n", e->msg_flags);
		return;
	}
	n->history++;
	/* A v1 record is shorter: chunk_offset is not there. */
	if (m->rec.hdr.ver < 2 ||
	    m->rec.hdr.len < offsetof(struct msw_ctl_ev_msg, chunk_offset) + sizeof(uint64_t)) {
		fprintf(evf, ",\"chunk_offset\":null");
		n->bad++;
	} else {
		fprintf(evf, ",\"chunk_offset\":%llu", (unsigned long long)e->chunk_offset);
	}
	fprintf(evf, ",\"flag\":");
	char flag = (char)e->msg_flags;

	json_str(&flag, e->msg_flags < 0x80 ? 1 : 0);
	const void *ct = NULL, *body = NULL;
	int ct_len = ctl_client_blob(c, &e->content_type, &ct);
	int body_len = ctl_client_blob(c, &e->body, &body);

	fprintf(evf, ",\"content_type\":");
	if (ct_len >= 0) {
		json_str(ct, (size_t)ct_len);
	} else {
		fprintf(evf, "null");
		n->bad++;
	}
	fprintf(evf, ",\"body_len\":%d,\"body_hex\":\"", body_len);
	hex_out(body, body_len);
	fprintf(evf, "\"}\n");
	if (body_len < 0)
		n->bad++;
}

static struct counts *cb_counts;

/* Events that arrive while a call waits for its reply (none are expected during setup). */
static void
on_event(struct ctl_client *c, const struct ctl_msg *m, void *arg)
{
	(void)arg;
	print_event(c, m, cb_counts);
}

static struct ctl_client *
attach(const char *inst)
{
	for (int i = 0; i < 100; i++) {
		struct ctl_client *c = ctl_client_attach(inst, NAME);

		if (c != NULL)
			return c;
		if (errno != EADDRINUSE && errno != EBUSY)
			break;
		usleep(50000);
	}
	return NULL;
}

static const struct {
	const char *name, *conf;
	uint8_t flags;
} legs[] = {
        {"a", "hist-on", 0},
        {"b", "hist-on", 0},
        {"c", "hist-off", 0},
        {"d", "hist-off", 0},
        {"e", "hist-leg", MSW_CTL_LEG_F_HISTORY},
        {"f", "hist-leg", 0},
};

/* true once standard input has the line "stop" (or closed: the script is gone). */
static bool
stop_requested(void)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	char line[16];

	if (poll(&p, 1, 0) <= 0)
		return false;
	return fgets(line, sizeof(line), stdin) == NULL || strncmp(line, "stop", 4) == 0;
}

int
main(int argc, char **argv)
{
	struct counts n = {0, 0, 0};
	struct ctl_client *c;
	char path[160], uri[256];
	uint64_t deadline, quiet_until = 0;
	int rc, ok;

	if (argc != 5) {
		fprintf(stderr,
		        "usage: dp_history_client INSTANCE PEER_HOST TIMEOUT_S EVENTS_FILE\n");
		return 2;
	}
	evf = fopen(argv[4], "w");
	if (evf == NULL) {
		fprintf(stderr, "dp_history_client: %s: %s\n", argv[4], strerror(errno));
		return 2;
	}
	cb_counts = &n;
	c = attach(argv[1]);
	check(c != NULL, "attach as %s", NAME);
	if (c == NULL)
		return 1;
	ctl_client_set_event_cb(c, on_event, NULL);
	check(ctl_client_wait_dp(c, 5000) == 0, "data plane up");

	/* Policy bits the data plane does not know are refused (docs/ctl-abi.md). */
	rc = dpc_conf_create(c, "hist-bad", 0x80);
	check(rc == -EINVAL, "CONF_CREATE with an unknown flag bit: -EINVAL (%d)", rc);
	rc = dpc_conf_create(c, "hist-on", MSW_CTL_CONF_F_HISTORY);
	ok = rc == 0;
	rc = dpc_conf_create(c, "hist-off", 0);
	ok = ok && rc == 0;
	rc = dpc_conf_create(c, "hist-leg", 0);
	check(ok && rc == 0, "conferences hist-on (HISTORY), hist-off, hist-leg created");
	rc = conf_flags(c, "hist-on");
	check(rc >= 0 && (rc & MSW_CTL_CONF_F_HISTORY) != 0 && conf_flags(c, "hist-off") == 0 &&
	              conf_flags(c, "hist-leg") == 0,
	      "CONF_LIST: HISTORY flag on hist-on only (hist-on flags %d)", rc);
	rc = leg_add(c, "hist-leg", "x", argv[2], 0x80, path, sizeof(path), uri, sizeof(uri));
	check(rc == -EINVAL, "LEG_ADD with an unknown flag bit: -EINVAL (%d)", rc);
	ok = 1;
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++) {
		rc = leg_add(c, legs[i].conf, legs[i].name, argv[2], legs[i].flags, path,
		             sizeof(path), uri, sizeof(uri));
		if (rc != 0) {
			check(0, "LEG_ADD %s to %s: %d", legs[i].name, legs[i].conf, rc);
			ok = 0;
			continue;
		}
		printf("leg %s %s %s %s\n", legs[i].name, legs[i].conf, path, uri);
	}
	check(ok, "legs a, b (hist-on), c, d (hist-off), e (LEG_F_HISTORY), f (hist-leg) added");
	printf("# ready\n");
	fflush(stdout);

	/* Events: until "stop" and a quiet period after it, or the timeout. */
	deadline = now_ms() + strtoul(argv[3], NULL, 10) * 1000u;
	for (;;) {
		uint64_t now = now_ms(), until;
		struct ctl_msg m;

		if (quiet_until == 0 && stop_requested())
			quiet_until = now + QUIET_MS;
		until = quiet_until != 0 && quiet_until < deadline ? quiet_until : deadline;
		if (now >= until)
			break;
		/* Short slices: standard input is looked at between them. */
		rc = ctl_client_recv(c, &m,
		                     until - now < SLICE_MS ? (uint32_t)(until - now) : SLICE_MS);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc != 0) {
			check(0, "receive: %d", rc);
			break;
		}
		if (m.rec.hdr.flags & MSW_CTL_F_REPLY)
			continue; /* a late reply to a timed-out call: not an event */
		print_event(c, &m, &n);
	}
	check(quiet_until != 0, "events received until the peers were done (not timed out)");
	check(n.bad == 0, "every event's payload and blobs readable (%u unreadable)", n.bad);
	rc = fclose(evf);
	check(rc == 0, "event lines written to the events file (fclose %d)", rc);
	printf("events %u %u\n", n.total, n.history);
	fflush(stdout);
	/* Stay the legs' owner until the script has read the counters. */
	while (getchar() != EOF)
		;
	ctl_client_detach(c);
	return failures ? 1 : 0;
}
