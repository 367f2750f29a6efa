/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mswctl commands: each one attaches to the control channel of the instance (common/ctl),
 * sends its commands (docs/ctl-abi.md "Messages") or reads the counters block, prints the
 * result and detaches. Output formats and exit statuses: docs/mswctl.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "mswctl.h"

/* Pause between two attach attempts while a concurrent mswctl holds the identity. */
#define MSWCTL_ATTACH_SLEEP_MS 20u
/* Resyncs interrupted by yet another data-plane restart before we give up. */
#define MSWCTL_RESYNC_TRIES 3

struct mswctl_ctx {
	const struct mswctl_cmd *cmd;
	FILE *out;
	FILE *err;
	struct ctl_client *c;
	char what[MSW_CTL_CONF_ID_MAX + MSW_CTL_SESSION_MAX + 32]; /* "leg del c1 SID" */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
mswctl_err(struct mswctl_ctx *x, const char *fmt, ...)
{
	va_list ap;

	fprintf(x->err, "mswctl: %s: ", x->what);
	va_start(ap, fmt);
	vfprintf(x->err, fmt, ap);
	va_end(ap);
	fputc('\n', x->err);
	return MSWCTL_EXIT_RUNTIME;
}

static uint64_t
mswctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
mswctl_sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- errors ---- */

/* Symbolic errno name for the fallback message (strerrorname_np is glibc >= 2.32). */
static const char *
mswctl_errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n != NULL ? n : "?";
}

/*
 * What a -errno reply means for this command. Statuses come from the channel itself
 * (docs/ctl-abi.md "Error statuses") or from the conference engine's handlers (sw.h).
 */
static void
mswctl_err_status(struct mswctl_ctx *x, int rc)
{
	enum mswctl_verb v = x->cmd->verb;
	bool leg = v == MSWCTL_LEG_ADD || v == MSWCTL_LEG_SET || v == MSWCTL_LEG_DEL ||
	           v == MSWCTL_LEG_LIST;
	bool by_key = v == MSWCTL_LEG_SET || v == MSWCTL_LEG_DEL;

	switch (-rc) {
	case EEXIST:
		mswctl_err(x, leg ? "leg exists" : "conference exists");
		return;
	case ENOENT:
		mswctl_err(x, by_key ? "no such leg in conference %.*s" : "no such conference",
		           (int)x->cmd->conf.len, x->cmd->conf.id);
		return;
	case ENOSPC:
		mswctl_err(x, leg ? "conference full (max-legs reached) or the data plane has no "
		                    "free leg"
		                  : "the data plane has no room for another conference");
		return;
	case EINVAL:
		if (v == MSWCTL_CONF_CREATE)
			mswctl_err(x, "refused as invalid (is --max-legs above the data plane's "
			              "per-conference limit?)");
		else if (v == MSWCTL_LEG_ADD)
			mswctl_err(x, "refused as invalid (path, identity, alias, accept-types or "
			              "connect address)");
		else if (v == MSWCTL_LEG_SET)
			mswctl_err(x, "refused as invalid (path or connect address)");
		else
			mswctl_err(x, "refused as invalid");
		return;
	case EPERM:
	case EACCES:
		if (v == MSWCTL_LEG_ADD && x->cmd->anonymous && rc == -EPERM)
			mswctl_err(x, "not permitted (the conference does not allow anonymity, or "
			              "belongs to another control client)");
		else
			mswctl_err(x,
			           "not permitted (the object belongs to another control client)");
		return;
	case EBUSY:
	case ESHUTDOWN:
		mswctl_err(x, "refused: the data plane is draining (mswctl drain --cancel)");
		return;
	case ENOMEM:
		mswctl_err(x, "the data plane is out of memory");
		return;
	case ETIMEDOUT:
		mswctl_err(x, "no reply from the data plane within %u ms", x->cmd->call_ms);
		return;
	case EPIPE:
		mswctl_err(x, "the data plane of instance %s went down", x->cmd->instance);
		return;
	case ENOTCONN:
		mswctl_err(x, "lost the control-channel slot (reclaimed by the data plane)");
		return;
	case EOPNOTSUPP:
		mswctl_err(x, "not supported by this data plane (no handler for the command)");
		return;
	case EAGAIN:
		mswctl_err(x, "control channel busy (command ring full)");
		return;
	case ENOBUFS:
		mswctl_err(x, "the reply did not fit the control channel's blob space");
		return;
	case EMSGSIZE:
		mswctl_err(x, "the arguments do not fit the control channel's blob area");
		return;
	case EBADMSG:
		mswctl_err(x, "malformed reply or corrupt control channel");
		return;
	case ESTALE:
		mswctl_err(x, "the data plane kept restarting during the command");
		return;
	default:
		mswctl_err(x, "%s (%s)", strerror(-rc), mswctl_errno_name(-rc));
		return;
	}
}

/* ---- connection ---- */

static int
mswctl_resync(struct mswctl_ctx *x)
{
	static const struct ctl_client_resync_ops none = {.held = NULL, .replay = NULL};
	int rc = -ESTALE, i;

	/* KEEP_UNREPLAYED: mswctl replays nothing; it adopts its identity's objects (so it may
	 * delete them) and must not delete any (docs/ctl-abi.md "Resync protocol"). */
	for (i = 0; i < MSWCTL_RESYNC_TRIES && rc == -ESTALE; i++)
		rc = ctl_client_resync(x->c, &none, NULL, MSW_CTL_RESYNC_KEEP_UNREPLAYED,
		                       x->cmd->call_ms, NULL);
	return rc;
}

/*
 * Attaches and waits for the data plane. owner: the command creates or deletes objects, so it
 * uses the fixed identity MSWCTL_IDENTITY (objects belong to an identity and outlive the
 * process) and adopts that identity's objects; other commands use "mswctl.<pid>" so a long
 * "mswctl watch" never blocks them.
 */
static int
mswctl_connect(struct mswctl_ctx *x, bool owner)
{
	const struct mswctl_cmd *cmd = x->cmd;
	uint64_t deadline = mswctl_now_ns() + MSWCTL_ATTACH_RETRY_MS * 1000000ull;
	char name[MSW_CTL_CLIENT_NAME];
	int rc;

	if (owner)
		snprintf(name, sizeof(name), "%s", MSWCTL_IDENTITY);
	else
		snprintf(name, sizeof(name), "%s.%d", MSWCTL_IDENTITY, (int)getpid());
	for (;;) {
		x->c = ctl_client_attach(cmd->instance, name);
		if (x->c != NULL)
			break;
		rc = errno;
		if (rc == EADDRINUSE && mswctl_now_ns() < deadline) {
			mswctl_sleep_ms(MSWCTL_ATTACH_SLEEP_MS);
			continue;
		}
		switch (rc) {
		case ENOENT:
			fprintf(x->err, "mswctl: no data plane for instance %s\n", cmd->instance);
			break;
		case EADDRINUSE:
			fprintf(x->err,
			        "mswctl: another mswctl is using the identity \"%s\" on instance "
			        "%s "
			        "(waited %u ms); try again\n",
			        name, cmd->instance, MSWCTL_ATTACH_RETRY_MS);
			break;
		case EBUSY:
			fprintf(x->err, "mswctl: no free control-channel slot on instance %s\n",
			        cmd->instance);
			break;
		case EPROTO:
			fprintf(x->err,
			        "mswctl: the control region of instance %s has another ABI version "
			        "(or is being created)\n",
			        cmd->instance);
			break;
		default:
			fprintf(x->err, "mswctl: cannot attach to instance %s: %s\n", cmd->instance,
			        strerror(rc));
			break;
		}
		return MSWCTL_EXIT_RUNTIME;
	}
	if (ctl_client_wait_dp(x->c, cmd->wait_dp_ms) != 0) {
		fprintf(x->err,
		        "mswctl: no data plane for instance %s (not running; waited %u ms)\n",
		        cmd->instance, cmd->wait_dp_ms);
		return MSWCTL_EXIT_RUNTIME;
	}
	/* A data plane that (re)started after our claim refuses our generation (-ESTALE). */
	if (owner || ctl_client_gen_changed(x->c)) {
		rc = mswctl_resync(x);
		if (rc != 0) {
			fprintf(x->err, "mswctl: resync with the data plane of instance %s: %s\n",
			        cmd->instance, strerror(-rc));
			return MSWCTL_EXIT_RUNTIME;
		}
	}
	return MSWCTL_EXIT_OK;
}

/*
 * One command and its reply. -ESTALE means the data plane refused it unexecuted because it
 * restarted: resync and send it again.
 */
static int
mswctl_call(struct mswctl_ctx *x, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
            const struct ctl_blob_src *blobs, unsigned int n_blobs, struct ctl_msg *reply)
{
	int rc = -ESTALE, i;

	for (i = 0; i < MSWCTL_RESYNC_TRIES && rc == -ESTALE; i++) {
		if (i > 0 && mswctl_resync(x) != 0)
			break;
		rc = ctl_client_call(x->c, type, ver, payload, len, blobs, n_blobs, reply,
		                     x->cmd->call_ms);
	}
	return rc;
}

/* ---- JSON and text helpers ---- */

/* A JSON string (RFC 8259 §7); bytes that are not UTF-8 become U+FFFD. */
static void
mswctl_json_str(FILE *f, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		size_t k = mswctl_utf8_seq(p + i, len - i);

		if (k == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (k == 1) {
			if (p[i] == '"' || p[i] == '\\')
				fprintf(f, "\\%c", p[i]);
			else if (p[i] < 0x20 || p[i] == 0x7f)
				fprintf(f, "\\u%04x", p[i]);
			else
				fputc(p[i], f);
		} else {
			fwrite(p + i, 1, k, f);
		}
		i += k;
	}
	fputc('"', f);
}

/* An SP-separated list as a JSON array of strings. */
static void
mswctl_json_list(FILE *f, const char *s, size_t len)
{
	size_t i = 0;
	bool first = true;

	fputc('[', f);
	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ' ')
			j++;
		if (j > i) {
			if (!first)
				fputc(',', f);
			mswctl_json_str(f, s + i, j - i);
			first = false;
		}
		i = j + 1;
	}
	fputc(']', f);
}

/* Text for a table cell: control bytes shown as '?', so a hostile name cannot move the cursor. */
static void
mswctl_text(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], f);
}

static const char *
mswctl_cpim_name(uint8_t p)
{
	switch (p) {
	case MSW_CTL_CPIM_WRAP:
		return "wrap";
	case MSW_CTL_CPIM_REQUIRED:
		return "required";
	case MSW_CTL_CPIM_OFF:
		return "off";
	default:
		return "unknown";
	}
}

static const char *
mswctl_state_name(uint8_t s)
{
	switch (s) {
	case MSW_CTL_LEG_WAITING:
		return "waiting";
	case MSW_CTL_LEG_BOUND:
		return "bound";
	case MSW_CTL_LEG_CLOSED:
		return "closed";
	default:
		return "unknown";
	}
}

static const char *
mswctl_direction_name(uint8_t d)
{
	return d == MSW_CTL_DIR_SENDONLY   ? "sendonly"
	       : d == MSW_CTL_DIR_RECVONLY ? "recvonly"
	       : d == MSW_CTL_DIR_SENDRECV ? "sendrecv"
	                                   : "?";
}

static const char *
mswctl_setup_name(uint8_t s)
{
	return s == MSW_CTL_SETUP_ACTIVE ? "active" : s == MSW_CTL_SETUP_PASSIVE ? "passive" : "?";
}

/* ---- conf create / delete ---- */

static int
mswctl_conf_create(struct mswctl_ctx *x)
{
	struct msw_ctl_conf_create q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.conf = x->cmd->conf;
	q.max_legs = x->cmd->max_legs;
	q.max_size = x->cmd->max_size;
	q.cpim_policy = x->cmd->cpim_policy;
	q.flags = (uint8_t)((x->cmd->history ? MSW_CTL_CONF_F_HISTORY : 0) |
	                    (x->cmd->no_anonymous ? MSW_CTL_CONF_F_NO_ANONYMOUS : 0) |
	                    (x->cmd->one_message ? MSW_CTL_CONF_F_ONE_MESSAGE : 0));
	rc = mswctl_call(x, MSW_CTL_CONF_CREATE, MSW_CTL_VER_CONF_CREATE, &q, sizeof(q), NULL, 0,
	                 NULL);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	return MSWCTL_EXIT_OK;
}

static int
mswctl_conf_delete(struct mswctl_ctx *x)
{
	struct msw_ctl_conf_del q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.conf = x->cmd->conf;
	rc = mswctl_call(x, MSW_CTL_CONF_DEL, MSW_CTL_VER_CONF_DEL, &q, sizeof(q), NULL, 0, NULL);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	return MSWCTL_EXIT_OK;
}

/* ---- leg add / set / del ---- */

static void
mswctl_leg_key(const struct mswctl_cmd *cmd, struct msw_ctl_leg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->conf = cmd->conf;
	memcpy(k->session_id, cmd->session_id, cmd->session_id_len);
	k->session_id_len = cmd->session_id_len;
}

static int
mswctl_leg_add(struct mswctl_ctx *x)
{
	const struct mswctl_cmd *cmd = x->cmd;
	struct msw_ctl_leg_add q;
	struct msw_ctl_leg_add_r r;
	struct ctl_blob_src b[4];
	unsigned int n = 0;
	struct ctl_msg m;
	const void *uri;
	int rc, len;
	/* v2: "<accept-types>\n<accept-wrapped-types>" in the accept_types blob */
	char accept[2 * MSWCTL_ACCEPT_CAP + 1];
	uint32_t accept_len = 0;

	memset(&q, 0, sizeof(q));
	/* session_id_len 0: the data plane draws the session-id (RFC 4975 §14.1). */
	q.leg.conf = cmd->conf;
	q.max_size = cmd->max_size;
	q.setup = cmd->setup;
	q.anonymous = cmd->anonymous ? 1 : 0;
	q.direction = cmd->direction;
	q.flags = cmd->history ? MSW_CTL_LEG_F_HISTORY : 0;
	memcpy(accept, cmd->accept_types, cmd->accept_types_len);
	accept_len = cmd->accept_types_len;
	if (cmd->accept_wrapped_types_len != 0) {
		accept[accept_len++] = '\n';
		memcpy(accept + accept_len, cmd->accept_wrapped_types,
		       cmd->accept_wrapped_types_len);
		accept_len += cmd->accept_wrapped_types_len;
	}
	if (cmd->connect_set)
		q.connect = cmd->connect;
	/* Absent texts are sent as no blob at all (reference gen 0), never as empty blobs. */
	b[n++] = (struct ctl_blob_src){.data = cmd->identity,
	                               .len = (uint32_t)strlen(cmd->identity),
	                               .ref_off = offsetof(struct msw_ctl_leg_add, identity)};
	if (cmd->path_len != 0)
		b[n++] = (struct ctl_blob_src){.data = cmd->path,
		                               .len = cmd->path_len,
		                               .ref_off = offsetof(struct msw_ctl_leg_add, path)};
	if (cmd->alias != NULL)
		b[n++] = (struct ctl_blob_src){.data = cmd->alias,
		                               .len = (uint32_t)strlen(cmd->alias),
		                               .ref_off = offsetof(struct msw_ctl_leg_add, alias)};
	if (accept_len != 0)
		b[n++] = (struct ctl_blob_src){
		        .data = accept,
		        .len = accept_len,
		        .ref_off = offsetof(struct msw_ctl_leg_add, accept_types)};
	rc = mswctl_call(x, MSW_CTL_LEG_ADD, MSW_CTL_VER_LEG_ADD, &q, sizeof(q), b, n, &m);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	if (m.rec.hdr.len < sizeof(r.local_uri))
		return mswctl_err(x, "the reply carries no local URI (payload %u bytes)",
		                  m.rec.hdr.len);
	memset(&r, 0, sizeof(r));
	memcpy(&r, m.rec.payload, m.rec.hdr.len < sizeof(r) ? m.rec.hdr.len : sizeof(r));
	len = r.local_uri.gen != 0 ? ctl_client_blob(x->c, &r.local_uri, &uri) : -EINVAL;
	if (len <= 0)
		return mswctl_err(x, "the reply carries no valid local URI");
	/* The leg exists now; the URI is all the caller needs for its SDP a=path. */
	mswctl_text(x->out, uri, (size_t)len);
	fputc('\n', x->out);
	return MSWCTL_EXIT_OK;
}

static int
mswctl_leg_set(struct mswctl_ctx *x)
{
	const struct mswctl_cmd *cmd = x->cmd;
	struct msw_ctl_leg_set q;
	struct ctl_blob_src b;
	int rc;

	memset(&q, 0, sizeof(q));
	mswctl_leg_key(cmd, &q.leg);
	if (cmd->path_len != 0)
		q.what |= MSW_CTL_LEG_SET_PATH;
	if (cmd->connect_set) {
		q.what |= MSW_CTL_LEG_SET_CONNECT;
		q.connect = cmd->connect;
	}
	b = (struct ctl_blob_src){.data = cmd->path,
	                          .len = cmd->path_len,
	                          .ref_off = offsetof(struct msw_ctl_leg_set, path)};
	rc = mswctl_call(x, MSW_CTL_LEG_SET, MSW_CTL_VER_LEG_SET, &q, sizeof(q), &b,
	                 cmd->path_len != 0 ? 1 : 0, NULL);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	return MSWCTL_EXIT_OK;
}

static int
mswctl_leg_del(struct mswctl_ctx *x)
{
	struct msw_ctl_leg_del q;
	int rc;

	mswctl_leg_key(x->cmd, &q.leg);
	rc = mswctl_call(x, MSW_CTL_LEG_DEL, MSW_CTL_VER_LEG_DEL, &q, sizeof(q), NULL, 0, NULL);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	return MSWCTL_EXIT_OK;
}

/* ---- listings ---- */

/* One LEG_LIST record, copied out of the reply blob (which is released at the next call). */
struct mswctl_leg {
	struct msw_ctl_leg_entry e;
	char *text; /* the record's texts, in ABI order */
	const char *sid, *uri, *path, *identity, *alias, *accept, *wrapped;
};

struct mswctl_conf {
	struct msw_ctl_conf_entry e;
	struct mswctl_leg *legs;
	size_t n_legs;
	bool gone; /* deleted between CONF_LIST and LEG_LIST */
};

struct mswctl_listing {
	struct mswctl_conf *confs;
	size_t n_confs;
};

static void
mswctl_listing_free(struct mswctl_listing *l)
{
	size_t i, j;

	for (i = 0; i < l->n_confs; i++) {
		for (j = 0; j < l->confs[i].n_legs; j++)
			free(l->confs[i].legs[j].text);
		free(l->confs[i].legs);
	}
	free(l->confs);
	memset(l, 0, sizeof(*l));
}

/* Grows *arr (elements of size sz) so that index n fits. 0 or -ENOMEM. */
static int
mswctl_grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 16 : *cap * 2;
	p = realloc(*arr, ncap * sz);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * One page request of CONF_LIST or LEG_LIST. On success *data and *len hold the reply blob (valid
 * until the next call), *count and *next the page's header.
 */
static int
mswctl_list_page(struct mswctl_ctx *x, uint16_t type, const struct msw_ctl_conf_id *conf,
                 uint32_t cursor, const uint8_t **data, uint32_t *len, uint32_t *count,
                 uint32_t *next)
{
	struct msw_ctl_list q;
	struct msw_ctl_list_r r;
	struct ctl_msg m;
	const void *p = NULL;
	int rc;

	memset(&q, 0, sizeof(q));
	if (conf != NULL)
		q.conf = *conf;
	q.cursor = cursor;
	q.max = 0; /* as many as fit the data plane's page */
	rc = mswctl_call(x, type, MSW_CTL_VER_LIST, &q, sizeof(q), NULL, 0, &m);
	if (rc != 0)
		return rc;
	if (m.rec.hdr.len < sizeof(r))
		return -EBADMSG;
	memcpy(&r, m.rec.payload, sizeof(r));
	/* A cursor that does not move would make us loop for ever. */
	if (r.next_cursor != MSW_CTL_CURSOR_END && r.next_cursor <= cursor)
		return -EBADMSG;
	*len = 0;
	if (r.count != 0) {
		rc = ctl_client_blob(x->c, &r.entries, &p);
		if (rc < 0)
			return -EBADMSG;
		*len = (uint32_t)rc;
	}
	*data = p;
	*count = r.count;
	*next = r.next_cursor;
	return 0;
}

static int
mswctl_conf_fetch(struct mswctl_ctx *x, struct mswctl_listing *l)
{
	uint32_t cursor = 0, count, next, len, i;
	size_t cap = 0;
	const uint8_t *data;
	int rc;

	for (;;) {
		rc = mswctl_list_page(x, MSW_CTL_CONF_LIST, NULL, cursor, &data, &len, &count,
		                      &next);
		if (rc != 0)
			return rc;
		if ((uint64_t)count * sizeof(struct msw_ctl_conf_entry) != len)
			return -EBADMSG;
		for (i = 0; i < count; i++) {
			struct mswctl_conf *c;

			if (mswctl_grow((void **)&l->confs, &cap, l->n_confs, sizeof(*c)) != 0)
				return -ENOMEM;
			c = &l->confs[l->n_confs];
			memset(c, 0, sizeof(*c));
			memcpy(&c->e, data + (size_t)i * sizeof(c->e), sizeof(c->e));
			if (!msw_ctl_conf_id_valid(c->e.conf.id, c->e.conf.len))
				return -EBADMSG;
			l->n_confs++;
		}
		if (next == MSW_CTL_CURSOR_END)
			return 0;
		cursor = next;
	}
}

/* Checks and copies one variable-size struct msw_ctl_leg_entry record (msw_ctl_abi.h). */
static int
mswctl_leg_copy(const uint8_t *p, uint32_t avail, struct mswctl_leg *g, uint32_t *used)
{
	const struct msw_ctl_leg_entry *e = &g->e;
	uint32_t texts;
	char *t;

	if (avail < sizeof(g->e))
		return -EBADMSG;
	memcpy(&g->e, p, sizeof(g->e));
	texts = (uint32_t)e->session_id_len + e->local_uri_len + e->path_len + e->identity_len +
	        e->alias_len + e->accept_types_len + e->accept_wrapped_types_len;
	if (e->rec_len < sizeof(g->e) || e->rec_len % 8 != 0 || e->rec_len > avail ||
	    texts > e->rec_len - sizeof(g->e))
		return -EBADMSG;
	g->text = malloc((size_t)texts + 1);
	if (g->text == NULL)
		return -ENOMEM;
	memcpy(g->text, p + sizeof(g->e), texts);
	g->text[texts] = '\0';
	t = g->text;
	g->sid = t;
	t += e->session_id_len;
	g->uri = t;
	t += e->local_uri_len;
	g->path = t;
	t += e->path_len;
	g->identity = t;
	t += e->identity_len;
	g->alias = t;
	t += e->alias_len;
	g->accept = t;
	t += e->accept_types_len;
	g->wrapped = t;
	*used = e->rec_len;
	return 0;
}

static int
mswctl_leg_fetch(struct mswctl_ctx *x, struct mswctl_conf *c)
{
	uint32_t cursor = 0, count, next, len, i, off, used;
	size_t cap = 0;
	const uint8_t *data;
	int rc;

	for (;;) {
		rc = mswctl_list_page(x, MSW_CTL_LEG_LIST, &c->e.conf, cursor, &data, &len, &count,
		                      &next);
		if (rc != 0)
			return rc;
		for (i = 0, off = 0; i < count; i++, off += used) {
			if (mswctl_grow((void **)&c->legs, &cap, c->n_legs, sizeof(*c->legs)) != 0)
				return -ENOMEM;
			memset(&c->legs[c->n_legs], 0, sizeof(c->legs[0]));
			rc = mswctl_leg_copy(data + off, len - off, &c->legs[c->n_legs], &used);
			if (rc != 0)
				return rc;
			c->n_legs++;
		}
		if (next == MSW_CTL_CURSOR_END)
			return 0;
		cursor = next;
	}
}

static void
mswctl_leg_json(FILE *f, const struct mswctl_leg *g)
{
	const struct msw_ctl_leg_entry *e = &g->e;

	fputs("{\"session_id\":", f);
	mswctl_json_str(f, g->sid, e->session_id_len);
	fputs(",\"local_uri\":", f);
	mswctl_json_str(f, g->uri, e->local_uri_len);
	fputs(",\"path\":", f);
	mswctl_json_list(f, g->path, e->path_len);
	fputs(",\"identity\":", f);
	mswctl_json_str(f, g->identity, e->identity_len);
	fprintf(f, ",\"state\":\"%s\"", mswctl_state_name(e->state));
	fputs(",\"alias\":", f);
	mswctl_json_str(f, g->alias, e->alias_len);
	fprintf(f, ",\"anonymous\":%s,\"setup\":\"%s\"", e->anonymous ? "true" : "false",
	        mswctl_setup_name(e->setup));
	fputs(",\"accept_types\":", f);
	mswctl_json_list(f, g->accept, e->accept_types_len);
	fputs(",\"accept_wrapped_types\":", f);
	mswctl_json_list(f, g->wrapped, e->accept_wrapped_types_len);
	fprintf(f, ",\"direction\":\"%s\",\"history\":%s", mswctl_direction_name(e->direction),
	        e->flags & MSW_CTL_LEG_F_HISTORY ? "true" : "false");
	fprintf(f, ",\"max_size\":%" PRIu64, e->max_size);
	if (e->lcore == UINT32_MAX)
		fputs(",\"lcore\":null}", f);
	else
		fprintf(f, ",\"lcore\":%" PRIu32 "}", e->lcore);
}

static void
mswctl_conf_json(FILE *f, const struct mswctl_conf *c)
{
	size_t j;

	fputs("{\"id\":", f);
	mswctl_json_str(f, c->e.conf.id, c->e.conf.len);
	fprintf(f,
	        ",\"max_legs\":%" PRIu32 ",\"n_legs\":%" PRIu32 ",\"max_size\":%" PRIu64
	        ",\"cpim\":\"%s\",\"history\":%s,\"anonymity\":%s,\"one_message\":%s,"
	        "\"legs\":[",
	        c->e.max_legs, c->e.n_legs, c->e.max_size, mswctl_cpim_name(c->e.cpim_policy),
	        c->e.flags & MSW_CTL_CONF_F_HISTORY ? "true" : "false",
	        c->e.flags & MSW_CTL_CONF_F_NO_ANONYMOUS ? "false" : "true",
	        c->e.flags & MSW_CTL_CONF_F_ONE_MESSAGE ? "true" : "false");
	for (j = 0; j < c->n_legs; j++) {
		if (j != 0)
			fputc(',', f);
		mswctl_leg_json(f, &c->legs[j]);
	}
	fputs("]}", f);
}

static void
mswctl_legs_table(FILE *f, const struct mswctl_conf *c)
{
	size_t j;

	if (c->n_legs == 0) {
		fputs("  (no legs)\n", f);
		return;
	}
	fprintf(f, "  %-24s %-8s %-8s %-6s %s\n", "SESSION_ID", "STATE", "SETUP", "LCORE",
	        "IDENTITY / PATH");
	for (j = 0; j < c->n_legs; j++) {
		const struct mswctl_leg *g = &c->legs[j];
		char lcore[12];

		if (g->e.lcore == UINT32_MAX)
			snprintf(lcore, sizeof(lcore), "-");
		else
			snprintf(lcore, sizeof(lcore), "%" PRIu32, g->e.lcore);
		fputs("  ", f);
		mswctl_text(f, g->sid, g->e.session_id_len);
		fprintf(f, "%*s %-8s %-8s %-6s ",
		        g->e.session_id_len < 24 ? 24 - (int)g->e.session_id_len : 0, "",
		        mswctl_state_name(g->e.state), mswctl_setup_name(g->e.setup), lcore);
		mswctl_text(f, g->identity, g->e.identity_len);
		if (g->e.alias_len != 0) {
			fputs(" \"", f);
			mswctl_text(f, g->alias, g->e.alias_len);
			fputc('"', f);
		}
		if (g->e.anonymous)
			fputs(" (anonymous)", f);
		fputs(" <- ", f);
		if (g->e.path_len != 0)
			mswctl_text(f, g->path, g->e.path_len);
		else
			fputs("(no path yet)", f);
		fputc('\n', f);
	}
}

static void
mswctl_conf_text(FILE *f, const struct mswctl_conf *c)
{
	mswctl_text(f, c->e.conf.id, c->e.conf.len);
	fprintf(f, ": legs %" PRIu32 "/%" PRIu32 ", max-size %" PRIu64 ", cpim %s\n", c->e.n_legs,
	        c->e.max_legs, c->e.max_size, mswctl_cpim_name(c->e.cpim_policy));
	mswctl_legs_table(f, c);
}

static int
mswctl_conf_list(struct mswctl_ctx *x)
{
	struct mswctl_listing l = {0};
	size_t i, shown = 0;
	int rc;

	rc = mswctl_conf_fetch(x, &l);
	for (i = 0; rc == 0 && i < l.n_confs; i++) {
		rc = mswctl_leg_fetch(x, &l.confs[i]);
		if (rc == -ENOENT) {
			/* Deleted since the CONF_LIST page: it is simply not there any more. */
			l.confs[i].gone = true;
			rc = 0;
		}
	}
	if (rc != 0) {
		mswctl_listing_free(&l);
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	if (x->cmd->json)
		fputs("{\"conferences\":[", x->out);
	for (i = 0; i < l.n_confs; i++) {
		if (l.confs[i].gone)
			continue;
		if (x->cmd->json) {
			if (shown != 0)
				fputc(',', x->out);
			mswctl_conf_json(x->out, &l.confs[i]);
		} else {
			mswctl_conf_text(x->out, &l.confs[i]);
		}
		shown++;
	}
	if (x->cmd->json)
		fputs("]}\n", x->out);
	else if (shown == 0)
		fputs("(no conferences)\n", x->out);
	mswctl_listing_free(&l);
	return MSWCTL_EXIT_OK;
}

static int
mswctl_leg_list(struct mswctl_ctx *x)
{
	struct mswctl_conf c;
	size_t j;
	int rc;

	memset(&c, 0, sizeof(c));
	c.e.conf = x->cmd->conf;
	rc = mswctl_leg_fetch(x, &c);
	if (rc != 0) {
		for (j = 0; j < c.n_legs; j++)
			free(c.legs[j].text);
		free(c.legs);
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	if (x->cmd->json) {
		fputs("{\"id\":", x->out);
		mswctl_json_str(x->out, c.e.conf.id, c.e.conf.len);
		fputs(",\"legs\":[", x->out);
		for (j = 0; j < c.n_legs; j++) {
			if (j != 0)
				fputc(',', x->out);
			mswctl_leg_json(x->out, &c.legs[j]);
		}
		fputs("]}\n", x->out);
	} else {
		mswctl_text(x->out, c.e.conf.id, c.e.conf.len);
		fprintf(x->out, ": %zu legs\n", c.n_legs);
		mswctl_legs_table(x->out, &c);
	}
	for (j = 0; j < c.n_legs; j++)
		free(c.legs[j].text);
	free(c.legs);
	return MSWCTL_EXIT_OK;
}

/* ---- counters ---- */

/* A consistent copy of the counters block (msw_ctl_counters) and of the channel counters. */
struct mswctl_snap {
	uint64_t gen;
	uint32_t layout_seq;
	uint32_t n;        /* data-plane counters */
	uint32_t n_lcores; /* rows */
	char names[MSW_CTL_CTRS_MAX][MSW_CTL_CTRS_NAME + 1];
	uint64_t total[MSW_CTL_CTRS_MAX];
	uint64_t val[MSW_CTL_CTRS_LCORES_MAX][MSW_CTL_CTRS_MAX];
	uint64_t chan[MSW_CTL_CNT_MAX]; /* region-wide channel counters */
	uint64_t t_ns;                  /* CLOCK_MONOTONIC of the copy */
};

/*
 * Copies the block. The names are re-read whenever layout_seq moved (the data plane bumps it
 * after changing names or counts); a layout change during the copy makes us copy again.
 */
static int
mswctl_snap_take(struct ctl_client *c, struct mswctl_snap *s, bool have_names)
{
	const struct msw_ctl_region_hdr *h = ctl_client_region(c);
	const struct msw_ctl_counters *k = msw_ctl_region_counters(h);
	int tries;

	for (tries = 0; tries < 100; tries++) {
		uint32_t seq = atomic_load_explicit(&k->layout_seq, memory_order_acquire);
		uint32_t n = atomic_load_explicit(&k->n_counters, memory_order_acquire);
		uint32_t lc = atomic_load_explicit(&k->n_lcores, memory_order_acquire);
		uint32_t i, l;

		if (n > MSW_CTL_CTRS_MAX || lc > MSW_CTL_CTRS_LCORES_MAX)
			return -EBADMSG;
		if (!have_names || seq != s->layout_seq) {
			for (i = 0; i < n; i++) {
				memcpy(s->names[i], k->names[i], MSW_CTL_CTRS_NAME);
				s->names[i][MSW_CTL_CTRS_NAME] = '\0';
			}
		}
		s->n = n;
		s->n_lcores = lc;
		for (i = 0; i < n; i++) {
			s->total[i] = 0;
			for (l = 0; l < lc; l++) {
				s->val[l][i] =
				        atomic_load_explicit(&k->val[l][i], memory_order_relaxed);
				s->total[i] += s->val[l][i];
			}
		}
		for (i = 0; i < MSW_CTL_CNT_MAX; i++)
			s->chan[i] = atomic_load_explicit(&h->cnt[i], memory_order_relaxed);
		s->gen = atomic_load_explicit(&((struct msw_ctl_region_hdr *)h)->generation,
		                              memory_order_acquire);
		s->t_ns = mswctl_now_ns();
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&k->layout_seq, memory_order_relaxed) == seq) {
			s->layout_seq = seq;
			return 0;
		}
		have_names = false;
	}
	return -EAGAIN;
}

static void
mswctl_json_counters(FILE *f, const struct mswctl_snap *s, const uint64_t *v)
{
	uint32_t i;

	fputc('{', f);
	for (i = 0; i < s->n; i++) {
		if (i != 0)
			fputc(',', f);
		mswctl_json_str(f, s->names[i], strlen(s->names[i]));
		fprintf(f, ":%" PRIu64, v[i]);
	}
	fputc('}', f);
}

static int
mswctl_u64_width(uint64_t v)
{
	int w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static int
mswctl_stats(struct mswctl_ctx *x)
{
	struct mswctl_snap *s = calloc(1, sizeof(*s));
	int rc, nw = 7, vw = 7, l;
	uint32_t i, shown = 0;
	FILE *f = x->out;

	if (s == NULL)
		return mswctl_err(x, "out of memory");
	rc = mswctl_snap_take(x->c, s, false);
	if (rc != 0) {
		free(s);
		return mswctl_err(x, "the counters block is %s",
		                  rc == -EBADMSG ? "corrupt" : "changing too fast to read");
	}
	if (x->cmd->json) {
		fputs("{\"total\":", f);
		mswctl_json_counters(f, s, s->total);
		fputs(",\"lcores\":[", f);
		for (l = 0; l < (int)s->n_lcores; l++) {
			if (l != 0)
				fputc(',', f);
			mswctl_json_counters(f, s, s->val[l]);
		}
		fputs("],\"channel\":{", f);
		for (i = 0; i < MSW_CTL_CNT_MAX; i++)
			fprintf(f, "%s\"%s\":%" PRIu64, i != 0 ? "," : "", ctl_cnt_name(i),
			        s->chan[i]);
		fputs("}}\n", f);
		free(s);
		return MSWCTL_EXIT_OK;
	}
	for (i = 0; i < s->n; i++) {
		if ((int)strlen(s->names[i]) > nw)
			nw = (int)strlen(s->names[i]);
		if (mswctl_u64_width(s->total[i]) > vw)
			vw = mswctl_u64_width(s->total[i]);
	}
	for (i = 0; i < MSW_CTL_CNT_MAX; i++)
		if ((int)strlen(ctl_cnt_name(i)) > nw)
			nw = (int)strlen(ctl_cnt_name(i));
	fprintf(f, "%-*s %*s", nw, "COUNTER", vw, "TOTAL");
	for (l = 0; l < (int)s->n_lcores; l++) {
		char col[16];

		snprintf(col, sizeof(col), "LCORE%d", l);
		fprintf(f, " %*s", vw, col);
	}
	fputc('\n', f);
	for (i = 0; i < s->n; i++) {
		if (s->total[i] == 0 && !x->cmd->all)
			continue;
		mswctl_text(f, s->names[i], strlen(s->names[i]));
		fprintf(f, "%*s %*" PRIu64, nw - (int)strlen(s->names[i]), "", vw, s->total[i]);
		for (l = 0; l < (int)s->n_lcores; l++)
			fprintf(f, " %*" PRIu64, vw, s->val[l][i]);
		fputc('\n', f);
		shown++;
	}
	if (s->n == 0)
		fputs("(the data plane publishes no counters)\n", f);
	else if (shown == 0)
		fputs("(all counters are zero; --all shows them)\n", f);
	fprintf(f, "\n%-*s %*s\n", nw, "CHANNEL", vw, "TOTAL");
	for (i = 0; i < MSW_CTL_CNT_MAX; i++) {
		if (s->chan[i] == 0 && !x->cmd->all)
			continue;
		fprintf(f, "%-*s %*" PRIu64 "\n", nw, ctl_cnt_name(i), vw, s->chan[i]);
	}
	free(s);
	return MSWCTL_EXIT_OK;
}

/* ---- watch ---- */

static volatile sig_atomic_t mswctl_stop;

static void
mswctl_on_signal(int sig)
{
	(void)sig;
	mswctl_stop = 1;
}

/* Sleeps ms, waking early when a stop signal arrives. */
static void
mswctl_sleep_interruptible(uint32_t ms)
{
	uint64_t end = mswctl_now_ns() + (uint64_t)ms * 1000000ull;

	while (!mswctl_stop) {
		uint64_t now = mswctl_now_ns();
		uint64_t left = now >= end ? 0 : end - now;
		struct timespec ts;

		if (left == 0)
			return;
		if (left > 100000000ull)
			left = 100000000ull;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
}

/* Signed: gauges (connections, buffers in use) go down as well as up. */
static double
mswctl_rate(uint64_t prev, uint64_t cur, double dt)
{
	return dt > 0 ? ((double)cur - (double)prev) / dt : 0.0;
}

/*
 * Rows of a watch table: the counters that moved during the interval (the point of watching),
 * or every non-zero one when there is no previous sample to compare with; --all: every row.
 */
static bool
mswctl_watch_row(const struct mswctl_ctx *x, bool rates, uint64_t total, double rate)
{
	if (x->cmd->all)
		return true;
	return rates ? rate != 0.0 : total != 0;
}

static void
mswctl_watch_print(struct mswctl_ctx *x, const struct mswctl_snap *prev,
                   const struct mswctl_snap *cur, bool rates, bool tty)
{
	FILE *f = x->out;
	double dt = (double)(cur->t_ns - prev->t_ns) / 1e9;
	uint32_t i, shown = 0;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	if (tty)
		fputs("\033[H\033[2J", f); /* home + clear: a live table, like top(1) */
	fprintf(f, "instance %s  %s  every %u ms%s\n", x->cmd->instance, stamp, x->cmd->interval_ms,
	        rates ? "" : "  (restarted: rates from the next sample)");
	fprintf(f, "%-32s %20s %14s\n", "COUNTER", "TOTAL", "RATE/s");
	for (i = 0; i < cur->n; i++) {
		double r = mswctl_rate(prev->total[i], cur->total[i], dt);

		if (!mswctl_watch_row(x, rates, cur->total[i], r))
			continue;
		mswctl_text(f, cur->names[i], strlen(cur->names[i]));
		fprintf(f, "%*s %20" PRIu64 " %14.1f\n",
		        32 - (int)strlen(cur->names[i]) > 0 ? 32 - (int)strlen(cur->names[i]) : 0,
		        "", cur->total[i], rates ? r : 0.0);
		shown++;
	}
	for (i = 0; i < MSW_CTL_CNT_MAX; i++) {
		double r = mswctl_rate(prev->chan[i], cur->chan[i], dt);

		if (!mswctl_watch_row(x, rates, cur->chan[i], r))
			continue;
		fprintf(f, "ctl.%-28s %20" PRIu64 " %14.1f\n", ctl_cnt_name(i), cur->chan[i],
		        rates ? r : 0.0);
		shown++;
	}
	if (shown == 0)
		fputs(rates ? "(no counter moved)\n" : "(all counters are zero)\n", f);
	if (!tty)
		fputc('\n', f);
	fflush(f);
}

static int
mswctl_watch(struct mswctl_ctx *x)
{
	struct mswctl_snap *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b)), *t;
	struct sigaction sa, old_int, old_term;
	bool tty = isatty(fileno(x->out)) == 1;
	uint32_t done = 0;
	int rc = MSWCTL_EXIT_OK;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return mswctl_err(x, "out of memory");
	}
	/* Ctrl-C ends the watch cleanly, so the slot is released by a detach, not reclaimed. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mswctl_on_signal;
	sigemptyset(&sa.sa_mask);
	mswctl_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (mswctl_snap_take(x->c, a, false) != 0) {
		rc = mswctl_err(x, "the counters block is corrupt or changing too fast to read");
		goto out;
	}
	while (!mswctl_stop && (x->cmd->count == 0 || done < x->cmd->count)) {
		bool same;

		mswctl_sleep_interruptible(x->cmd->interval_ms);
		if (mswctl_stop)
			break;
		if (!ctl_client_dp_alive(x->c)) {
			rc = mswctl_err(x, "the data plane of instance %s went down",
			                x->cmd->instance);
			goto out;
		}
		*b = *a; /* keeps the cached names */
		if (mswctl_snap_take(x->c, b, true) != 0) {
			rc = mswctl_err(x, "the counters block is corrupt or changing too fast to "
			                   "read");
			goto out;
		}
		/* Counters restart from zero with a new data plane or a new layout. */
		same = b->gen == a->gen && b->layout_seq == a->layout_seq && b->n == a->n;
		mswctl_watch_print(x, a, b, same, tty);
		if (ferror(x->out))
			break;
		t = a;
		a = b;
		b = t;
		done++;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(a);
	free(b);
	return rc;
}

/* ---- drain / ping ---- */

static int
mswctl_drain(struct mswctl_ctx *x)
{
	struct msw_ctl_drain q = {.draining = x->cmd->cancel ? 0 : 1, .dr_rsv = 0};
	int rc;

	rc = mswctl_call(x, MSW_CTL_DRAIN, MSW_CTL_VER_DRAIN, &q, sizeof(q), NULL, 0, NULL);
	if (rc != 0) {
		mswctl_err_status(x, rc);
		return MSWCTL_EXIT_RUNTIME;
	}
	fprintf(x->out, "instance %s: %s\n", x->cmd->instance,
	        q.draining ? "draining (new conferences and legs are refused)" : "up");
	return MSWCTL_EXIT_OK;
}

static int
mswctl_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
mswctl_ping(struct mswctl_ctx *x)
{
	uint32_t n = x->cmd->count != 0 ? x->cmd->count : MSWCTL_PING_COUNT_DEFAULT, i;
	uint64_t *rtt = calloc(n, sizeof(*rtt));
	uint64_t cookie = mswctl_now_ns() ^ ((uint64_t)getpid() << 32);
	struct ctl_msg m;
	int rc;

	if (rtt == NULL)
		return mswctl_err(x, "out of memory");
	for (i = 0; i < n; i++) {
		struct msw_ctl_ping q = {.t_ns = mswctl_now_ns(), .cookie = cookie + i}, r;

		rc = mswctl_call(x, MSW_CTL_PING, MSW_CTL_VER_PING, &q, sizeof(q), NULL, 0, &m);
		rtt[i] = mswctl_now_ns() - q.t_ns;
		if (rc != 0) {
			free(rtt);
			mswctl_err_status(x, rc);
			return MSWCTL_EXIT_RUNTIME;
		}
		memset(&r, 0, sizeof(r));
		memcpy(&r, m.rec.payload, m.rec.hdr.len < sizeof(r) ? m.rec.hdr.len : sizeof(r));
		if (r.cookie != q.cookie || r.t_ns != q.t_ns) {
			free(rtt);
			return mswctl_err(x, "round trip %u: the echo does not match the request",
			                  i);
		}
	}
	qsort(rtt, n, sizeof(*rtt), mswctl_cmp_u64);
	/* p50 by nearest rank: the ceil(n/2)-th smallest. */
	fprintf(x->out, "instance %s: %u round trip%s, min %.1f us, p50 %.1f us, max %.1f us\n",
	        x->cmd->instance, n, n == 1 ? "" : "s", (double)rtt[0] / 1e3,
	        (double)rtt[(n + 1) / 2 - 1] / 1e3, (double)rtt[n - 1] / 1e3);
	free(rtt);
	return MSWCTL_EXIT_OK;
}

/* ---- driver ---- */

int
mswctl_run(const struct mswctl_cmd *cmd, FILE *out, FILE *err)
{
	struct mswctl_ctx x = {.cmd = cmd, .out = out, .err = err, .c = NULL};
	bool owner;
	int rc;

	if (cmd->verb == MSWCTL_HELP) {
		mswctl_usage(out, cmd->help_for);
		return MSWCTL_EXIT_OK;
	}
	if (cmd->verb <= MSWCTL_HELP || cmd->verb >= MSWCTL_VERB_MAX) {
		fprintf(err, "mswctl: no command\n");
		return MSWCTL_EXIT_RUNTIME;
	}
	/* Messages name the command and its operands: "mswctl: conf create c1: ..." */
	mswctl_cmd_name(cmd->verb, x.what, sizeof(x.what));
	if (cmd->conf.len != 0)
		snprintf(x.what + strlen(x.what), sizeof(x.what) - strlen(x.what), " %.*s",
		         (int)cmd->conf.len, cmd->conf.id);
	if (cmd->session_id_len != 0)
		snprintf(x.what + strlen(x.what), sizeof(x.what) - strlen(x.what), " %.*s",
		         (int)cmd->session_id_len, cmd->session_id);
	owner = cmd->verb == MSWCTL_CONF_CREATE || cmd->verb == MSWCTL_CONF_DELETE ||
	        cmd->verb == MSWCTL_LEG_ADD || cmd->verb == MSWCTL_LEG_SET ||
	        cmd->verb == MSWCTL_LEG_DEL;
	rc = mswctl_connect(&x, owner);
	if (rc == MSWCTL_EXIT_OK) {
		switch (cmd->verb) {
		case MSWCTL_CONF_CREATE:
			rc = mswctl_conf_create(&x);
			break;
		case MSWCTL_CONF_DELETE:
			rc = mswctl_conf_delete(&x);
			break;
		case MSWCTL_CONF_LIST:
			rc = mswctl_conf_list(&x);
			break;
		case MSWCTL_LEG_ADD:
			rc = mswctl_leg_add(&x);
			break;
		case MSWCTL_LEG_SET:
			rc = mswctl_leg_set(&x);
			break;
		case MSWCTL_LEG_DEL:
			rc = mswctl_leg_del(&x);
			break;
		case MSWCTL_LEG_LIST:
			rc = mswctl_leg_list(&x);
			break;
		case MSWCTL_STATS:
			rc = mswctl_stats(&x);
			break;
		case MSWCTL_WATCH:
			rc = mswctl_watch(&x);
			break;
		case MSWCTL_DRAIN:
			rc = mswctl_drain(&x);
			break;
		default:
			rc = mswctl_ping(&x);
			break;
		}
	}
	ctl_client_detach(x.c);
	if (rc == MSWCTL_EXIT_OK && (fflush(out) != 0 || ferror(out))) {
		fprintf(err, "mswctl: %s: cannot write the output: %s\n", x.what, strerror(errno));
		rc = MSWCTL_EXIT_RUNTIME;
	}
	return rc;
}

int
mswctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct mswctl_cmd cmd;
	char msg[512];

	if (mswctl_parse(argc, argv, &cmd, msg, sizeof(msg)) != MSWCTL_EXIT_OK) {
		fprintf(err, "mswctl: %s\n", msg);
		mswctl_usage(err, cmd.verb);
		return MSWCTL_EXIT_USAGE;
	}
	return mswctl_run(&cmd, out, err);
}
