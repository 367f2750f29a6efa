/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-channel client (control plane, mswctl, tests). Protocol: docs/ctl-abi.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_pvt.h"

/* Longest single futex sleep: bounds how late a dead data plane is noticed. */
#define CTL_WAIT_SLICE_MS 100u

struct ctl_client {
	struct msw_ctl_region_hdr *h;
	uint8_t *base;
	size_t size;
	struct msw_ctl_slot *sl;
	uint32_t slot;
	uint32_t pid;
	uint64_t gen;
	uint32_t seq;
	uint32_t c2d_gen;
	bool replaying;
	bool release_pending; /* the last received message had blobs not yet released */
	uint32_t release_end;
	ctl_client_event_fn *ev_fn;
	void *ev_arg;
	struct ctl_client_stats st;
	char name[MSW_CTL_CLIENT_NAME];
};

static int
ctl_client_map(struct ctl_client *c, const char *instance)
{
	char shm_name[CTL_SHM_NAME_CAP];
	struct msw_ctl_region_hdr *h;
	struct stat st;
	int fd, rc;

	rc = ctl_shm_name(instance, shm_name, sizeof(shm_name));
	if (rc != 0)
		return rc;
	fd = shm_open(shm_name, O_RDWR, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		return -EPROTO; /* being created right now, or not ours */
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -errno;
	c->h = h;
	c->base = (uint8_t *)h;
	c->size = (size_t)st.st_size;
	/* Acquire pairs with the creator's release fence before the magic. */
	if (atomic_load_explicit((_Atomic uint64_t *)&h->magic, memory_order_acquire) !=
	            MSW_CTL_MAGIC ||
	    h->abi_version != MSW_CTL_ABI_VERSION || h->hdr_size != sizeof(*h) ||
	    h->region_size != c->size || h->rec_size != MSW_CTL_REC_SIZE ||
	    h->n_slots < MSW_CTL_SLOTS_MIN || h->n_slots > MSW_CTL_SLOTS_MAX ||
	    h->off_slots + (uint64_t)h->n_slots * h->slot_stride > c->size ||
	    msw_ctl_region_blob_off(h, h->n_slots) > c->size)
		return -EPROTO;
	return 0;
}

static bool
ctl_client_pid_alive(uint32_t pid)
{
	return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/*
 * Identity must be unique among live slots, or resync would mix two clients' objects. Both
 * claimers publish state = CLAIMED (seq_cst) before scanning, so at least one of two racing
 * claimers of the same name sees the other and backs off; both may, never neither.
 */
static bool
ctl_client_name_taken(struct ctl_client *c)
{
	uint32_t i;

	for (i = 0; i < c->h->n_slots; i++) {
		struct msw_ctl_slot *o = msw_ctl_region_slot(c->h, i);

		if (i == c->slot || atomic_load(&o->state) != MSW_CTL_SLOT_CLAIMED)
			continue;
		if (strncmp(o->name, c->name, MSW_CTL_CLIENT_NAME) == 0 &&
		    ctl_client_pid_alive(atomic_load(&o->owner_pid)))
			return true;
	}
	return false;
}

static int
ctl_client_claim(struct ctl_client *c)
{
	uint32_t i;

	for (i = 0; i < c->h->n_slots; i++) {
		struct msw_ctl_slot *sl = msw_ctl_region_slot(c->h, i);
		uint32_t zero = 0;

		if (atomic_load_explicit(&sl->owner_pid, memory_order_relaxed) != 0)
			continue;
		if (!atomic_compare_exchange_strong_explicit(&sl->owner_pid, &zero, c->pid,
		                                             memory_order_acquire,
		                                             memory_order_relaxed))
			continue;
		c->sl = sl;
		c->slot = i;
		atomic_store_explicit(&sl->state, MSW_CTL_SLOT_CLAIMING, memory_order_relaxed);
		memcpy(sl->name, c->name, MSW_CTL_CLIENT_NAME);
		c->gen = atomic_load_explicit(&c->h->generation, memory_order_acquire);
		sl->claimed_gen = c->gen;
		sl->claimed_ns = ctl_now_ns(CLOCK_REALTIME);
		atomic_store_explicit(&sl->state, MSW_CTL_SLOT_CLAIMED, memory_order_seq_cst);
		if (ctl_client_name_taken(c)) {
			/* Rings untouched, so we may hand the slot back ourselves. */
			memset(sl->name, 0, sizeof(sl->name));
			atomic_store_explicit(&sl->state, MSW_CTL_SLOT_FREE, memory_order_relaxed);
			atomic_store_explicit(&sl->owner_pid, 0, memory_order_release);
			ctl_bell_ring(&c->h->dp_bell, &c->h->dp_waiters);
			return -EADDRINUSE;
		}
		ctl_bell_ring(&c->h->dp_bell, &c->h->dp_waiters);
		return 0;
	}
	return -EBUSY;
}

struct ctl_client *
ctl_client_attach(const char *instance, const char *name)
{
	struct ctl_client *c;
	size_t nlen = name != NULL ? strlen(name) : 0;
	int rc;

	if (nlen == 0 || nlen >= MSW_CTL_CLIENT_NAME) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	memcpy(c->name, name, nlen);
	c->pid = (uint32_t)getpid();
	rc = ctl_client_map(c, instance);
	if (rc == 0)
		rc = ctl_client_claim(c);
	if (rc != 0) {
		if (c->h != NULL)
			munmap(c->h, c->size);
		free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void
ctl_client_detach(struct ctl_client *c)
{
	if (c == NULL)
		return;
	if (atomic_load_explicit(&c->sl->owner_pid, memory_order_relaxed) == c->pid) {
		atomic_store_explicit(&c->sl->state, MSW_CTL_SLOT_RELEASING, memory_order_release);
		ctl_bell_ring(&c->h->dp_bell, &c->h->dp_waiters);
	}
	munmap(c->h, c->size);
	free(c);
}

uint32_t
ctl_client_slot(const struct ctl_client *c)
{
	return c->slot;
}

uint64_t
ctl_client_generation(const struct ctl_client *c)
{
	return c->gen;
}

struct msw_ctl_region_hdr *
ctl_client_region(const struct ctl_client *c)
{
	return c->h;
}

bool
ctl_client_gen_changed(const struct ctl_client *c)
{
	return atomic_load_explicit(&c->h->generation, memory_order_acquire) != c->gen;
}

bool
ctl_client_dp_alive(const struct ctl_client *c)
{
	uint32_t st = atomic_load_explicit(&c->h->state, memory_order_acquire);

	return (st == MSW_CTL_DP_UP || st == MSW_CTL_DP_DRAINING) &&
	       ctl_client_pid_alive(atomic_load_explicit(&c->h->dp_pid, memory_order_relaxed));
}

static bool
ctl_client_own(const struct ctl_client *c)
{
	return atomic_load_explicit(&c->sl->owner_pid, memory_order_acquire) == c->pid &&
	       atomic_load_explicit(&c->sl->state, memory_order_relaxed) == MSW_CTL_SLOT_CLAIMED;
}

/*
 * Sleeps on the slot's doorbell until an event record is there or ms pass. Returns -ETIMEDOUT
 * if the whole time passed without a ring of the bell, else 0.
 */
static int
ctl_client_sleep(struct ctl_client *c, uint32_t ms)
{
	uint32_t v = atomic_load_explicit(&c->sl->evt_bell, memory_order_relaxed);
	int rc = 0;

	atomic_store_explicit(&c->sl->evt_waiters, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (msw_ctl_ring_cons_count(&c->sl->evt) == 0)
		rc = ctl_futex_wait(&c->sl->evt_bell, v, ms);
	atomic_store_explicit(&c->sl->evt_waiters, 0, memory_order_relaxed);
	return rc == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

int
ctl_client_wait_event(struct ctl_client *c, uint32_t timeout_ms)
{
	uint32_t v = atomic_load_explicit(&c->sl->evt_bell, memory_order_relaxed);
	int rc = 0;

	/*
	 * Not cleared afterwards: the owner's own sleeps may clear it, which only costs this
	 * thread a timeout's worth of latency, never a lost record (it rechecks the ring).
	 */
	atomic_store_explicit(&c->sl->evt_waiters, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (msw_ctl_ring_cons_count(&c->sl->evt) != 0)
		return 0;
	rc = ctl_futex_wait(&c->sl->evt_bell, v, timeout_ms);
	if (msw_ctl_ring_cons_count(&c->sl->evt) != 0)
		return 0;
	return rc == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

int
ctl_client_wait_dp(struct ctl_client *c, uint32_t timeout_ms)
{
	uint64_t deadline = ctl_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ull;

	while (!ctl_client_dp_alive(c)) {
		uint64_t now = ctl_now_ns(CLOCK_MONOTONIC);
		uint64_t left = now >= deadline ? 0 : (deadline - now) / 1000000ull;

		if (now >= deadline)
			return -ETIMEDOUT;
		/* The data plane rings every slot's bell when it comes up. */
		ctl_client_sleep(c, left < 10 ? (uint32_t)left + 1 : 10);
	}
	return 0;
}

int
ctl_client_send(struct ctl_client *c, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
                const struct ctl_blob_src *blobs, unsigned int n_blobs, uint32_t *seq)
{
	struct msw_ctl_ring *br = &c->sl->blob_c2d;
	struct msw_ctl_rec *rec;
	uint32_t lens[8];
	uint32_t head, used, plan;
	unsigned int i;

	if (len > MSW_CTL_PAYLOAD_MAX || n_blobs > CTL_ARRAY_LEN(lens))
		return -EMSGSIZE;
	if ((type >> 8) >= MSW_CTL_MOD_EVT)
		return -EINVAL;
	if (!ctl_client_own(c))
		return -ENOTCONN;
	for (i = 0; i < n_blobs; i++) {
		if (blobs[i].ref_off + sizeof(struct msw_ctl_blob_ref) > len)
			return -EINVAL;
		lens[i] = blobs[i].len;
	}
	rec = msw_ctl_ring_prod_reserve(&c->sl->cmd);
	if (rec == NULL)
		return -EAGAIN;
	head = atomic_load_explicit(&br->head, memory_order_relaxed);
	used = head - atomic_load_explicit(&br->tail, memory_order_acquire);
	plan = ctl_bring_plan(br, head, lens, n_blobs);
	if (n_blobs != 0 && plan == UINT32_MAX)
		return -EMSGSIZE;
	if (n_blobs != 0 && (used > br->cap || plan > br->cap - used))
		return -ENOBUFS;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = type;
	rec->hdr.ver = ver;
	rec->hdr.seq = ++c->seq;
	rec->hdr.len = len;
	rec->hdr.gen = c->gen;
	if (c->replaying)
		rec->hdr.flags |= MSW_CTL_F_REPLAY;
	if (len != 0)
		memcpy(rec->payload, payload, len);
	for (i = 0; i < n_blobs; i++) {
		struct msw_ctl_blob_ref ref;

		if (++c->c2d_gen == 0)
			c->c2d_gen = 1;
		ctl_bring_put(br, c->base, &head, c->c2d_gen, 0, blobs[i].data, blobs[i].len, &ref);
		memcpy(rec->payload + blobs[i].ref_off, &ref, sizeof(ref));
	}
	if (n_blobs != 0) {
		rec->hdr.flags |= MSW_CTL_F_BLOB;
		rec->hdr.blob_end = head;
		atomic_store_explicit(&br->head, head, memory_order_release);
	}
	msw_ctl_ring_prod_commit(&c->sl->cmd, 1);
	ctl_bell_ring(&c->h->dp_bell, &c->h->dp_waiters);
	if (seq != NULL)
		*seq = rec->hdr.seq;
	return 0;
}

static void
ctl_client_release(struct ctl_client *c)
{
	if (c->release_pending) {
		atomic_store_explicit(&c->sl->blob_d2c.tail, c->release_end, memory_order_release);
		c->release_pending = false;
	}
}

int
ctl_client_recv(struct ctl_client *c, struct ctl_msg *m, uint32_t timeout_ms)
{
	uint64_t deadline = ctl_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ull;

	bool probe_pid = false;

	ctl_client_release(c);
	for (;;) {
		const struct msw_ctl_rec *rec = msw_ctl_ring_cons_peek(&c->sl->evt);
		uint32_t st;
		uint64_t now;

		if (rec != NULL) {
			memcpy(&m->rec, rec, sizeof(m->rec));
			msw_ctl_ring_cons_release(&c->sl->evt, 1);
			if (m->rec.hdr.flags & MSW_CTL_F_BLOB) {
				if (!ctl_bring_end_valid(&c->sl->blob_d2c, m->rec.hdr.blob_end))
					return -EBADMSG;
				c->release_pending = true;
				c->release_end = m->rec.hdr.blob_end;
			}
			if (m->rec.hdr.len > MSW_CTL_PAYLOAD_MAX)
				return -EBADMSG;
			return 0;
		}
		if (msw_ctl_ring_cons_count(&c->sl->evt) == MSW_CTL_RING_CORRUPT)
			return -EBADMSG;
		if (!ctl_client_own(c))
			return -ENOTCONN;
		st = atomic_load_explicit(&c->h->state, memory_order_acquire);
		if (st != MSW_CTL_DP_UP && st != MSW_CTL_DP_DRAINING)
			return -EPIPE;
		/* A crashed data plane leaves state UP and rings no bell: probe its PID, but only
		 * after a silent slice, so that polling and busy clients make no extra syscall. */
		if (probe_pid && !ctl_client_dp_alive(c))
			return -EPIPE;
		now = ctl_now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -ETIMEDOUT;
		{
			uint64_t left = (deadline - now + 999999ull) / 1000000ull;

			probe_pid = ctl_client_sleep(c, left < CTL_WAIT_SLICE_MS
			                                        ? (uint32_t)left
			                                        : CTL_WAIT_SLICE_MS) == -ETIMEDOUT;
		}
	}
}

int
ctl_client_blob(struct ctl_client *c, const struct msw_ctl_blob_ref *ref, const void **data)
{
	const void *p = ctl_bring_resolve(&c->sl->blob_d2c, c->base, ref);

	if (p == NULL)
		return -EINVAL;
	*data = p;
	return (int)ref->len;
}

void
ctl_client_set_event_cb(struct ctl_client *c, ctl_client_event_fn *fn, void *arg)
{
	c->ev_fn = fn;
	c->ev_arg = arg;
}

int
ctl_client_call(struct ctl_client *c, uint16_t type, uint8_t ver, const void *payload, uint32_t len,
                const struct ctl_blob_src *blobs, unsigned int n_blobs, struct ctl_msg *reply,
                uint32_t timeout_ms)
{
	uint64_t deadline = ctl_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ull;
	struct ctl_msg local;
	struct ctl_msg *m = reply != NULL ? reply : &local;
	uint32_t seq;
	int rc;

	ctl_client_release(c);
	rc = ctl_client_send(c, type, ver, payload, len, blobs, n_blobs, &seq);
	if (rc != 0)
		return rc;
	for (;;) {
		uint64_t now = ctl_now_ns(CLOCK_MONOTONIC);

		rc = ctl_client_recv(
		        c, m, now >= deadline ? 0 : (uint32_t)((deadline - now) / 1000000ull));
		if (rc != 0)
			return rc;
		if ((m->rec.hdr.flags & MSW_CTL_F_REPLY) == 0) {
			if (c->ev_fn != NULL)
				c->ev_fn(c, m, c->ev_arg);
			else
				c->st.events_ignored++;
			continue;
		}
		if (m->rec.hdr.seq == seq)
			return m->rec.hdr.status;
		c->st.stale_replies++;
	}
}

static int
ctl_client_list_held(struct ctl_client *c, const struct ctl_client_resync_ops *ops, void *arg,
                     uint32_t timeout_ms)
{
	struct msw_ctl_obj_list q = {.filter = MSW_CTL_OBJ_MINE};
	struct ctl_msg m;

	for (;;) {
		struct msw_ctl_obj_list_r r;
		const void *data = NULL;
		uint32_t i;
		int rc = ctl_client_call(c, MSW_CTL_OBJ_LIST, MSW_CTL_VER_OBJ_LIST, &q, sizeof(q),
		                         NULL, 0, &m, timeout_ms);

		if (rc != 0)
			return rc;
		memcpy(&r, m.rec.payload, sizeof(r));
		if (r.count != 0) {
			rc = ctl_client_blob(c, &r.entries, &data);
			if (rc < 0 || (uint32_t)rc != r.count * sizeof(struct msw_ctl_obj_entry))
				return -EBADMSG;
		}
		for (i = 0; i < r.count && ops->held != NULL; i++) {
			struct msw_ctl_obj_entry e;

			memcpy(&e, (const uint8_t *)data + i * sizeof(e), sizeof(e));
			ops->held(c, &e, arg);
		}
		if (r.next_cursor == MSW_CTL_CURSOR_END)
			return 0;
		q.cursor = r.next_cursor;
	}
}

int
ctl_client_resync(struct ctl_client *c, const struct ctl_client_resync_ops *ops, void *arg,
                  uint32_t flags, uint32_t timeout_ms, struct msw_ctl_resync_end_r *out)
{
	struct msw_ctl_resync_end q = {.flags = flags};
	struct ctl_msg m;
	int rc;

	/* From here on our commands speak to the current data plane. */
	c->gen = atomic_load_explicit(&c->h->generation, memory_order_acquire);
	c->sl->claimed_gen = c->gen;
	rc = ctl_client_call(c, MSW_CTL_RESYNC_BEGIN, MSW_CTL_VER_RESYNC_BEGIN, NULL, 0, NULL, 0,
	                     &m, timeout_ms);
	if (rc != 0)
		return rc;
	rc = ctl_client_list_held(c, ops, arg, timeout_ms);
	if (rc != 0)
		return rc;
	if (ops->replay != NULL) {
		c->replaying = true;
		rc = ops->replay(c, arg);
		c->replaying = false;
		if (rc != 0)
			return rc;
	}
	rc = ctl_client_call(c, MSW_CTL_RESYNC_END, MSW_CTL_VER_RESYNC_END, &q, sizeof(q), NULL, 0,
	                     &m, timeout_ms);
	if (rc == 0 && out != NULL)
		memcpy(out, m.rec.payload, sizeof(*out));
	return rc;
}

void
ctl_client_get_stats(const struct ctl_client *c, struct ctl_client_stats *st)
{
	*st = c->st;
}

int
ctl_client_counter(const struct ctl_client *c, const char *name, uint64_t *val)
{
	const struct msw_ctl_counters *k = msw_ctl_region_counters(c->h);
	uint32_t n = atomic_load_explicit(&k->n_counters, memory_order_acquire);
	uint32_t lc = atomic_load_explicit(&k->n_lcores, memory_order_relaxed);
	uint32_t i, l;

	if (n > MSW_CTL_CTRS_MAX || lc > MSW_CTL_CTRS_LCORES_MAX)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (strncmp(k->names[i], name, MSW_CTL_CTRS_NAME) != 0)
			continue;
		*val = 0;
		for (l = 0; l < lc; l++)
			*val += atomic_load_explicit(&k->val[l][i], memory_order_relaxed);
		return 0;
	}
	return -ENOENT;
}
