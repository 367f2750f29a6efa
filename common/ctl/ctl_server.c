/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-channel server (data-plane side). Protocol: docs/ctl-abi.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/ctl_obj.h"
#include "ctl/ctl_pvt.h"
#include "ctl/ctl_server.h"

#define CTL_MODS      3u  /* MSW_CTL_MOD_CHAN, CONF, EVT */
#define CTL_LIST_PAGE 64u /* OBJ_LIST entries per page at most (64 * 168 B) */

struct ctl_handler {
	ctl_server_handler *fn;
	void *arg;
};

/* Server-private view of a slot. Thread-safety: control lcore only. */
struct ctl_srv_slot {
	bool active;        /* we saw the claim and serve the slot */
	bool reply_pending; /* a command is being handled: keep one evt record for its reply */
	bool resync;        /* between RESYNC_BEGIN and RESYNC_END */
	uint32_t pid;
	int pidfd; /* pidfd of the owner while active, -1 if none (kernel without pidfd_open) */
	char name[MSW_CTL_CLIENT_NAME];
	uint32_t evt_seq;
	uint32_t d2c_gen;
	uint32_t d2c_acct; /* d2c position up to which released blobs were accounted */
	uint32_t cls_bytes[MSW_CTL_BLOB_CLASS_MAX];
};

struct ctl_server {
	struct msw_ctl_region_hdr *h;
	uint8_t *base;
	size_t size;
	int fd;
	char shm_name[CTL_SHM_NAME_CAP];
	uint64_t gen;
	struct ctl_server_params p;
	uint32_t budget[MSW_CTL_BLOB_CLASS_MAX];
	uint32_t rr;
	uint64_t next_liveness_ns;
	struct ctl_handler handlers[CTL_MODS][256];
	struct {
		ctl_server_obj_del_fn *fn;
		void *arg;
	} obj_del[8];
	struct ctl_obj_table objs;
	struct ctl_srv_slot slots[MSW_CTL_SLOTS_MAX];
};

struct ctl_server_req {
	struct ctl_server *s;
	uint32_t slot;
	bool replied;
	struct msw_ctl_rec cmd; /* private copy: the client cannot change it under us */
	uint32_t reply_len;
	alignas(8) uint8_t reply[MSW_CTL_PAYLOAD_MAX]; /* payload structs hold uint64_t */
};

void
ctl_server_params_default(struct ctl_server_params *p)
{
	memset(p, 0, sizeof(*p));
	p->n_slots = 16;
	p->ring_cap = 256;
	p->blob_c2d = 64 * 1024;
	p->blob_d2c = 256 * 1024;
	p->blob_budget[MSW_CTL_BLOB_HISTORY] = p->blob_d2c / 2;
	p->blob_budget[MSW_CTL_BLOB_REPORT] = p->blob_d2c / 4;
	p->max_objects = 65536;
	p->liveness_ms = 100;
}

static bool
ctl_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int
ctl_params_check(const struct ctl_server_params *p)
{
	unsigned int i;

	if (p->n_slots < MSW_CTL_SLOTS_MIN || p->n_slots > MSW_CTL_SLOTS_MAX)
		return -EINVAL;
	if (!ctl_pow2(p->ring_cap) || p->ring_cap < 8 || p->ring_cap > 65536)
		return -EINVAL;
	if (!ctl_pow2(p->blob_c2d) || p->blob_c2d < 4096 || !ctl_pow2(p->blob_d2c) ||
	    p->blob_d2c < 4096)
		return -EINVAL;
	for (i = 0; i < MSW_CTL_BLOB_CLASS_MAX; i++)
		if (p->blob_budget[i] > p->blob_d2c)
			return -EINVAL;
	if (p->max_objects == 0 || p->liveness_ms == 0)
		return -EINVAL;
	return 0;
}

static void
ctl_cnt_inc(struct ctl_server *s, uint32_t slot, enum msw_ctl_cnt id, uint64_t n)
{
	msw_ctl_cnt_add(&s->h->cnt[id], n);
	if (slot < s->p.n_slots)
		msw_ctl_cnt_add(&msw_ctl_region_slot(s->h, slot)->cnt[id], n);
}

static uint64_t
ctl_new_generation(uint64_t old)
{
	uint64_t g = 0;

	/* Unique across restarts so that a client can never mistake a new data plane for the old.
	 */
	while (g == 0 || g == old) {
		if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
			g = ctl_now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
	}
	return g;
}

static bool
ctl_pid_dead(uint32_t pid)
{
	/* EPERM means it exists (another uid); only ESRCH proves it is gone. */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/*
 * Watches the owner through a pidfd: unlike kill(pid, 0) it cannot be fooled by the PID being
 * reused by an unrelated process after the owner died.
 */
static void
ctl_srv_slot_start(struct ctl_srv_slot *ps, uint32_t pid)
{
	long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);

	ps->active = true;
	ps->pid = pid;
	ps->pidfd = fd >= 0 ? (int)fd : -1;
}

static void
ctl_srv_slot_clear(struct ctl_srv_slot *ps)
{
	if (ps->active && ps->pidfd >= 0)
		close(ps->pidfd);
	memset(ps, 0, sizeof(*ps));
	ps->pidfd = -1;
}

static bool
ctl_srv_slot_owner_dead(const struct ctl_srv_slot *ps, uint32_t pid)
{
	if (ps->active && ps->pid == pid && ps->pidfd >= 0) {
		struct pollfd pfd = {.fd = ps->pidfd, .events = POLLIN};

		return poll(&pfd, 1, 0) == 1; /* readable once the process has exited */
	}
	return ctl_pid_dead(pid);
}

/* ---- slot reset ---- */

static void
ctl_slot_init_rings(struct ctl_server *s, uint32_t i)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	uint64_t sl_off = (uint64_t)((uint8_t *)sl - s->base);
	uint64_t blob = msw_ctl_region_blob_off(s->h, i);
	uint64_t recs = sizeof(struct msw_ctl_slot);
	uint64_t ring_bytes = (uint64_t)s->p.ring_cap * MSW_CTL_REC_SIZE;

	msw_ctl_ring_init(&sl->cmd, s->p.ring_cap, MSW_CTL_REC_SIZE,
	                  recs - offsetof(struct msw_ctl_slot, cmd), 0);
	msw_ctl_ring_init(&sl->evt, s->p.ring_cap, MSW_CTL_REC_SIZE,
	                  recs + ring_bytes - offsetof(struct msw_ctl_slot, evt), 0);
	ctl_bring_init(&sl->blob_c2d, sl_off + offsetof(struct msw_ctl_slot, blob_c2d), blob,
	               s->p.blob_c2d);
	ctl_bring_init(&sl->blob_d2c, sl_off + offsetof(struct msw_ctl_slot, blob_d2c),
	               blob + s->p.blob_c2d, s->p.blob_d2c);
}

/* Objects of a slot that goes away stay with the identity (orphans) until it resyncs. */
static void
ctl_obj_orphan_slot(struct ctl_server *s, uint32_t slot)
{
	uint32_t i;

	for (i = 0; i < s->objs.cap; i++) {
		struct ctl_obj *o = &s->objs.objs[i];

		if (o->used && o->owner_slot == slot) {
			o->owner_slot = CTL_OBJ_NO_SLOT;
			o->confirmed = false;
		}
	}
}

static void
ctl_slot_reclaim(struct ctl_server *s, uint32_t i, enum msw_ctl_cnt why)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	unsigned int c;

	atomic_store_explicit(&sl->state, MSW_CTL_SLOT_RECLAIMING, memory_order_relaxed);
	ctl_obj_orphan_slot(s, i);
	/* The owner is gone (or detached), so we may reset its side of the rings too. */
	ctl_slot_init_rings(s, i);
	memset(sl->name, 0, sizeof(sl->name));
	sl->claimed_gen = 0;
	sl->claimed_ns = 0;
	for (c = 0; c < MSW_CTL_CNT_SLOTS; c++)
		atomic_store_explicit(&sl->cnt[c], 0, memory_order_relaxed);
	atomic_store_explicit(&sl->evt_waiters, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&sl->epoch, 1, memory_order_relaxed);
	ctl_srv_slot_clear(&s->slots[i]);
	ctl_cnt_inc(s, UINT32_MAX, why, 1);
	atomic_store_explicit(&sl->state, MSW_CTL_SLOT_FREE, memory_order_release);
	/* Release: a client that wins the CAS sees the reset rings. */
	atomic_store_explicit(&sl->owner_pid, 0, memory_order_release);
}

/* Accounts the dp->client blobs the client released since the last call. */
static void
ctl_slot_blob_acct(struct ctl_server *s, uint32_t i)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	struct ctl_srv_slot *ps = &s->slots[i];
	struct msw_ctl_ring *r = &sl->blob_d2c;
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t pos = ps->d2c_acct;

	if (tail - pos > head - pos) /* tail outside [acct, head]: the client broke it */
		return;
	while (pos != tail) {
		const struct msw_ctl_blob_hdr *bh =
		        (const struct msw_ctl_blob_hdr *)((uint8_t *)r + r->data_off +
		                                          (pos & r->mask));
		uint32_t step = bh->end - pos;

		if (step == 0 || step > r->cap || step > tail - pos)
			break; /* we wrote these headers; a mismatch means the tail is bogus */
		if ((bh->flags & MSW_CTL_BLOB_F_PAD) == 0 && bh->cls < MSW_CTL_BLOB_CLASS_MAX)
			ps->cls_bytes[bh->cls] -= step;
		pos = bh->end;
	}
	ps->d2c_acct = pos;
}

/* A slot that survived a data-plane restart: rebuild the private view from the rings. */
static void
ctl_slot_adopt(struct ctl_server *s, uint32_t i, uint32_t pid)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	struct ctl_srv_slot *ps = &s->slots[i];
	struct msw_ctl_ring *r = &sl->blob_d2c;
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t pos = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t max_gen = 0;

	ctl_srv_slot_clear(ps);
	ctl_srv_slot_start(ps, pid);
	memcpy(ps->name, sl->name, sizeof(ps->name));
	ps->name[MSW_CTL_CLIENT_NAME - 1] = '\0';
	ps->d2c_acct = pos;
	/* Blobs still in flight keep counting against the budgets; the walk also finds a gen
	 * counter value that cannot collide with a reference the client still holds. */
	while (pos != head) {
		const struct msw_ctl_blob_hdr *bh =
		        (const struct msw_ctl_blob_hdr *)((uint8_t *)r + r->data_off +
		                                          (pos & r->mask));
		uint32_t step = bh->end - pos;

		if (step == 0 || step > r->cap || step > head - pos)
			break;
		if ((bh->flags & MSW_CTL_BLOB_F_PAD) == 0 && bh->cls < MSW_CTL_BLOB_CLASS_MAX)
			ps->cls_bytes[bh->cls] += step;
		if (bh->gen > max_gen)
			max_gen = bh->gen;
		pos = bh->end;
	}
	ps->d2c_gen = max_gen;
}

/* ---- create / destroy ---- */

static void
ctl_region_init(struct ctl_server *s, const struct ctl_layout *lay)
{
	struct msw_ctl_region_hdr *h = s->h;
	uint32_t i;

	h->abi_version = MSW_CTL_ABI_VERSION;
	h->hdr_size = sizeof(*h);
	h->region_size = lay->size;
	h->n_slots = s->p.n_slots;
	h->ring_cap = s->p.ring_cap;
	h->rec_size = MSW_CTL_REC_SIZE;
	h->blob_c2d_size = s->p.blob_c2d;
	h->blob_d2c_size = s->p.blob_d2c;
	h->off_counters = lay->off_counters;
	h->off_slots = lay->off_slots;
	h->slot_stride = lay->slot_stride;
	h->off_blob = lay->off_blob;
	memcpy(h->blob_budget, s->budget, sizeof(h->blob_budget));
	for (i = 0; i < s->p.n_slots; i++)
		ctl_slot_init_rings(s, i);
	/* Release: a client that sees the magic sees a complete layout. */
	atomic_thread_fence(memory_order_release);
	h->magic = MSW_CTL_MAGIC;
}

static bool
ctl_region_matches(const struct msw_ctl_region_hdr *h, const struct ctl_server *s,
                   const struct ctl_layout *lay)
{
	return h->magic == MSW_CTL_MAGIC && h->abi_version == MSW_CTL_ABI_VERSION &&
	       h->hdr_size == sizeof(*h) && h->region_size == lay->size &&
	       h->n_slots == s->p.n_slots && h->ring_cap == s->p.ring_cap &&
	       h->rec_size == MSW_CTL_REC_SIZE && h->blob_c2d_size == s->p.blob_c2d &&
	       h->blob_d2c_size == s->p.blob_d2c && h->off_counters == lay->off_counters &&
	       h->off_slots == lay->off_slots && h->slot_stride == lay->slot_stride &&
	       h->off_blob == lay->off_blob &&
	       memcmp(h->blob_budget, s->budget, sizeof(h->blob_budget)) == 0;
}

/* An incompatible old region: tell its clients it is gone before replacing the name. */
static void
ctl_region_retire(int fd, size_t size)
{
	struct msw_ctl_region_hdr *h;
	uint32_t i;

	if (size < sizeof(*h))
		return;
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return;
	if (h->magic == MSW_CTL_MAGIC && h->hdr_size == sizeof(*h) && h->region_size == size) {
		atomic_store_explicit(&h->state, MSW_CTL_DP_DOWN, memory_order_release);
		atomic_store_explicit(&h->generation,
		                      ctl_new_generation(atomic_load(&h->generation)),
		                      memory_order_release);
		for (i = 0; i < h->n_slots && i < MSW_CTL_SLOTS_MAX; i++) {
			struct msw_ctl_slot *sl = msw_ctl_region_slot(h, i);

			if ((uint64_t)((uint8_t *)sl - (uint8_t *)h) + sizeof(*sl) <= size)
				ctl_bell_ring_all(&sl->evt_bell);
		}
	}
	munmap(h, size);
}

int
ctl_server_instance_busy(const char *instance)
{
	char name[64];
	int fd, rc;

	rc = ctl_shm_name(instance, name, sizeof(name));
	if (rc != 0)
		return rc;
	fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* The serving data plane holds LOCK_EX for its lifetime (ctl_server_open). */
	rc = flock(fd, LOCK_SH | LOCK_NB) == 0 ? 0 : (errno == EWOULDBLOCK ? 1 : -errno);
	close(fd);
	return rc;
}

static int
ctl_server_open(struct ctl_server *s, const struct ctl_layout *lay, bool *adopt)
{
	struct stat st;
	int fd;

	*adopt = false;
	fd = shm_open(s->shm_name, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno == EWOULDBLOCK ? EBUSY : errno;

		close(fd);
		return -e;
	}
	if (fstat(fd, &st) != 0)
		goto fail_errno;
	if ((uint64_t)st.st_size == lay->size) {
		struct msw_ctl_region_hdr *h =
		        mmap(NULL, lay->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (h == MAP_FAILED)
			goto fail_errno;
		if (ctl_region_matches(h, s, lay)) {
			s->fd = fd;
			s->h = h;
			*adopt = true;
			return 0;
		}
		munmap(h, lay->size);
	}
	if (st.st_size != 0) {
		/* Different ABI or geometry: clients mapping the old object must not SIGBUS, so
		 * leave it intact (marked down) and put a new object under the name. */
		ctl_region_retire(fd, (size_t)st.st_size);
		shm_unlink(s->shm_name);
		close(fd);
		fd = shm_open(s->shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			return errno == EEXIST ? -EBUSY : -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd);
			return -EBUSY;
		}
	}
	if (ftruncate(fd, (off_t)lay->size) != 0)
		goto fail_errno;
	s->h = mmap(NULL, lay->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->h == MAP_FAILED) {
		s->h = NULL;
		goto fail_errno;
	}
	s->fd = fd;
	return 0;
fail_errno : {
	int e = errno;

	close(fd);
	return -e;
}
}

struct ctl_server *
ctl_server_create(const struct ctl_server_params *p)
{
	struct ctl_layout lay;
	struct ctl_server *s;
	bool adopt;
	uint64_t old_gen;
	uint32_t i;
	int rc;

	if (p == NULL || ctl_params_check(p) != 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->p = *p;
	s->fd = -1;
	for (i = 0; i < MSW_CTL_SLOTS_MAX; i++)
		s->slots[i].pidfd = -1;
	for (i = 0; i < MSW_CTL_BLOB_CLASS_MAX; i++)
		s->budget[i] = p->blob_budget[i] != 0 ? p->blob_budget[i] : p->blob_d2c;
	rc = ctl_shm_name(p->instance, s->shm_name, sizeof(s->shm_name));
	if (rc == 0)
		rc = ctl_layout_compute(p->n_slots, p->ring_cap, p->blob_c2d, p->blob_d2c, &lay);
	if (rc == 0)
		rc = ctl_obj_table_init(&s->objs, p->max_objects);
	if (rc == 0)
		rc = ctl_server_open(s, &lay, &adopt);
	if (rc != 0) {
		ctl_obj_table_fini(&s->objs);
		free(s);
		errno = -rc;
		return NULL;
	}
	s->base = (uint8_t *)s->h;
	s->size = lay.size;

	/* Clients that look now see "down" until the new generation is in place. */
	atomic_store_explicit(&s->h->state, MSW_CTL_DP_DOWN, memory_order_release);
	old_gen = adopt ? atomic_load_explicit(&s->h->generation, memory_order_relaxed) : 0;
	if (!adopt)
		ctl_region_init(s, &lay);
	memcpy(s->h->instance, s->shm_name + strlen(MSW_CTL_SHM_PREFIX),
	       strlen(s->shm_name) - strlen(MSW_CTL_SHM_PREFIX) + 1);
	for (i = 0; i < p->n_slots; i++) {
		struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
		uint32_t pid = atomic_load_explicit(&sl->owner_pid, memory_order_acquire);
		uint32_t st = atomic_load_explicit(&sl->state, memory_order_acquire);

		if (pid == 0)
			continue;
		if (st == MSW_CTL_SLOT_CLAIMED && !ctl_pid_dead(pid))
			ctl_slot_adopt(s, i, pid);
		else if (st == MSW_CTL_SLOT_RELEASING)
			ctl_slot_reclaim(s, i, MSW_CTL_CNT_SLOT_RELEASED);
		else if (st != MSW_CTL_SLOT_CLAIMING || ctl_pid_dead(pid))
			ctl_slot_reclaim(s, i, MSW_CTL_CNT_SLOT_RECLAIMED_DEAD);
	}
	{
		struct msw_ctl_counters *c = msw_ctl_region_counters(s->h);

		atomic_store_explicit(&c->n_counters, 0, memory_order_relaxed);
		atomic_store_explicit(&c->n_lcores, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->layout_seq, 1, memory_order_release);
	}
	s->gen = ctl_new_generation(old_gen);
	atomic_store_explicit(&s->h->generation, s->gen, memory_order_release);
	atomic_store_explicit(&s->h->dp_pid, (uint32_t)getpid(), memory_order_release);
	atomic_store_explicit(&s->h->started_ns, ctl_now_ns(CLOCK_REALTIME), memory_order_relaxed);
	atomic_store_explicit(&s->h->heartbeat_ns, ctl_now_ns(CLOCK_MONOTONIC),
	                      memory_order_relaxed);
	atomic_store_explicit(&s->h->state, MSW_CTL_DP_UP, memory_order_release);
	/* Every sleeping client re-checks and learns the new generation. */
	for (i = 0; i < p->n_slots; i++)
		ctl_bell_ring_all(&msw_ctl_region_slot(s->h, i)->evt_bell);
	return s;
}

void
ctl_server_destroy(struct ctl_server *s, bool unlink)
{
	uint32_t i;

	if (s == NULL)
		return;
	atomic_store_explicit(&s->h->state, MSW_CTL_DP_DOWN, memory_order_release);
	atomic_store_explicit(&s->h->dp_pid, 0, memory_order_release);
	for (i = 0; i < s->p.n_slots; i++) {
		ctl_bell_ring_all(&msw_ctl_region_slot(s->h, i)->evt_bell);
		ctl_srv_slot_clear(&s->slots[i]);
	}
	munmap(s->h, s->size);
	if (unlink)
		shm_unlink(s->shm_name);
	close(s->fd); /* drops the flock: the next data plane may start */
	ctl_obj_table_fini(&s->objs);
	free(s);
}

int
ctl_server_register(struct ctl_server *s, uint16_t type, ctl_server_handler *fn, void *arg)
{
	uint32_t mod = type >> 8;

	if (mod == MSW_CTL_MOD_CHAN || mod >= MSW_CTL_MOD_EVT || ctl_type_name(type) == NULL)
		return -EINVAL;
	s->handlers[mod][type & 0xff] = (struct ctl_handler){.fn = fn, .arg = arg};
	return 0;
}

void
ctl_server_set_obj_del(struct ctl_server *s, uint16_t kind, ctl_server_obj_del_fn *fn, void *arg)
{
	if (kind < CTL_ARRAY_LEN(s->obj_del)) {
		s->obj_del[kind].fn = fn;
		s->obj_del[kind].arg = arg;
	}
}

/* ---- posting ---- */

static int
ctl_post(struct ctl_server *s, uint32_t slot, const struct msw_ctl_hdr *hdr, const void *payload,
         const struct ctl_blob_src *blobs, unsigned int nb, bool is_reply)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, slot);
	struct ctl_srv_slot *ps = &s->slots[slot];
	struct msw_ctl_ring *br = &sl->blob_d2c;
	uint32_t lens[8];
	uint32_t need_cls[MSW_CTL_BLOB_CLASS_MAX] = {0};
	struct msw_ctl_rec *rec;
	uint32_t head, room, plan, used;
	uint32_t free_recs = msw_ctl_ring_prod_free(&sl->evt);
	unsigned int i;

	/* A command being handled owns the last free record for its reply. */
	if (free_recs == MSW_CTL_RING_CORRUPT || free_recs < 1u + (!is_reply && ps->reply_pending))
		return -ENOBUFS;
	if (nb > CTL_ARRAY_LEN(lens) || hdr->len > MSW_CTL_PAYLOAD_MAX)
		return -EINVAL;
	for (i = 0; i < nb; i++) {
		if (blobs[i].cls >= MSW_CTL_BLOB_CLASS_MAX ||
		    blobs[i].ref_off + sizeof(struct msw_ctl_blob_ref) > hdr->len)
			return -EINVAL;
		lens[i] = blobs[i].len;
		need_cls[blobs[i].cls] += ctl_blob_need(blobs[i].len);
	}
	ctl_slot_blob_acct(s, slot);
	for (i = 0; i < MSW_CTL_BLOB_CLASS_MAX; i++)
		if (ps->cls_bytes[i] + (uint64_t)need_cls[i] > s->budget[i])
			return -EDQUOT;
	head = atomic_load_explicit(&br->head, memory_order_relaxed);
	used = head - atomic_load_explicit(&br->tail, memory_order_acquire);
	plan = ctl_bring_plan(br, head, lens, nb);
	room = used > br->cap ? 0 : br->cap - used;
	if (nb != 0 && (plan == UINT32_MAX || plan > room))
		return -ENOSPC;

	rec = msw_ctl_ring_prod_reserve(&sl->evt);
	rec->hdr = *hdr;
	rec->hdr.gen = s->gen;
	rec->hdr.hdr_rsv = 0;
	memcpy(rec->payload, payload, hdr->len);
	memset(rec->payload + hdr->len, 0, MSW_CTL_PAYLOAD_MAX - hdr->len);
	for (i = 0; i < nb; i++) {
		struct msw_ctl_blob_ref ref;

		if (++ps->d2c_gen == 0) /* 0 means "no blob" */
			ps->d2c_gen = 1;
		ctl_bring_put(br, s->base, &head, ps->d2c_gen, blobs[i].cls, blobs[i].data,
		              blobs[i].len, &ref);
		memcpy(rec->payload + blobs[i].ref_off, &ref, sizeof(ref));
		ps->cls_bytes[blobs[i].cls] += ctl_blob_need(blobs[i].len);
		ctl_cnt_inc(s, slot, MSW_CTL_CNT_BLOB_TX_BYTES, blobs[i].len);
	}
	if (nb != 0) {
		rec->hdr.flags |= MSW_CTL_F_BLOB;
		rec->hdr.blob_end = head;
		atomic_store_explicit(&br->head, head, memory_order_release);
	}
	msw_ctl_ring_prod_commit(&sl->evt, 1);
	ctl_bell_ring(&sl->evt_bell, &sl->evt_waiters);
	return 0;
}

int
ctl_server_evt_post(struct ctl_server *s, uint32_t slot, uint16_t type, uint8_t ver,
                    const void *payload, uint32_t len, const struct ctl_blob_src *blobs,
                    unsigned int n_blobs)
{
	struct msw_ctl_hdr hdr = {.type = type, .ver = ver, .len = len};
	int rc;

	if (slot >= s->p.n_slots || !s->slots[slot].active) {
		ctl_cnt_inc(s, UINT32_MAX, MSW_CTL_CNT_EVT_DROP_NO_CLIENT, 1);
		return -ENOTCONN;
	}
	if ((type >> 8) != MSW_CTL_MOD_EVT)
		return -EINVAL;
	hdr.seq = ++s->slots[slot].evt_seq;
	rc = ctl_post(s, slot, &hdr, payload, blobs, n_blobs, false);
	switch (rc) {
	case 0:
		ctl_cnt_inc(s, slot, MSW_CTL_CNT_EVT_TX, 1);
		return 0;
	case -ENOBUFS:
		ctl_cnt_inc(s, slot, MSW_CTL_CNT_EVT_DROP_RING_FULL, 1);
		break;
	case -EDQUOT:
		ctl_cnt_inc(s, slot, MSW_CTL_CNT_EVT_DROP_BLOB_BUDGET, 1);
		break;
	case -ENOSPC:
		ctl_cnt_inc(s, slot, MSW_CTL_CNT_EVT_DROP_BLOB_SPACE, 1);
		break;
	default:
		return rc;
	}
	s->slots[slot].evt_seq--; /* event sequence numbers count delivered events */
	return -ENOBUFS;
}

int
ctl_server_reply(struct ctl_server_req *req, int status, const void *payload, uint32_t len,
                 const struct ctl_blob_src *blobs, unsigned int n_blobs)
{
	struct msw_ctl_hdr hdr = {
	        .type = req->cmd.hdr.type,
	        .ver = req->cmd.hdr.ver,
	        .flags = MSW_CTL_F_REPLY,
	        .seq = req->cmd.hdr.seq,
	        .len = len,
	        .status = status,
	};
	int rc;

	if (req->replied)
		return -EALREADY;
	req->replied = true;
	rc = ctl_post(req->s, req->slot, &hdr, payload, blobs, n_blobs, true);
	if (rc == -EDQUOT || rc == -ENOSPC || rc == -EINVAL) {
		/* The record is guaranteed, the blobs are not: say so instead of going silent. */
		ctl_cnt_inc(req->s, req->slot, MSW_CTL_CNT_REPLY_BLOB_NOSPACE, 1);
		hdr.status = rc == -EINVAL ? -EINVAL : -ENOBUFS;
		hdr.len = 0;
		rc = ctl_post(req->s, req->slot, &hdr, NULL, NULL, 0, true);
	}
	if (rc == 0)
		ctl_cnt_inc(req->s, req->slot, MSW_CTL_CNT_REPLY_TX, 1);
	return rc == 0 ? hdr.status : rc;
}

/* ---- request accessors ---- */

struct ctl_server *
ctl_server_req_server(const struct ctl_server_req *req)
{
	return req->s;
}

uint32_t
ctl_server_req_slot(const struct ctl_server_req *req)
{
	return req->slot;
}

const struct msw_ctl_hdr *
ctl_server_req_hdr(const struct ctl_server_req *req)
{
	return &req->cmd.hdr;
}

const void *
ctl_server_req_payload(const struct ctl_server_req *req, uint32_t *len)
{
	if (len != NULL)
		*len = req->cmd.hdr.len;
	return req->cmd.payload;
}

const char *
ctl_server_req_client(const struct ctl_server_req *req)
{
	return req->s->slots[req->slot].name;
}

bool
ctl_server_req_is_replay(const struct ctl_server_req *req)
{
	return (req->cmd.hdr.flags & MSW_CTL_F_REPLAY) != 0;
}

int
ctl_server_req_blob(const struct ctl_server_req *req, const struct msw_ctl_blob_ref *ref,
                    const void **data)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(req->s->h, req->slot);
	const void *p;

	/* Only blobs this command declared (before its blob_end) are its own. */
	if ((req->cmd.hdr.flags & MSW_CTL_F_BLOB) == 0)
		return -EINVAL;
	p = ctl_bring_resolve(&sl->blob_c2d, req->s->base, ref);
	if (p == NULL)
		return -EINVAL;
	*data = p;
	return (int)ref->len;
}

void *
ctl_server_req_reply_buf(struct ctl_server_req *req)
{
	return req->reply;
}

void
ctl_server_req_reply_len(struct ctl_server_req *req, uint32_t len)
{
	req->reply_len = len <= MSW_CTL_PAYLOAD_MAX ? len : MSW_CTL_PAYLOAD_MAX;
}

/* ---- ownership registry ---- */

int
ctl_server_obj_add(struct ctl_server_req *req, uint16_t kind, const void *key, uint16_t key_len,
                   uint64_t user)
{
	struct ctl_server *s = req->s;
	struct ctl_srv_slot *ps = &s->slots[req->slot];
	struct ctl_obj *o;

	if (kind == MSW_CTL_OBJ_ANY || key_len == 0 || key_len > MSW_CTL_OBJ_KEY_MAX)
		return -EINVAL;
	o = ctl_obj_lookup(&s->objs, kind, key, key_len);
	if (o != NULL) {
		if (ctl_server_req_is_replay(req) && ps->resync &&
		    strncmp(o->owner, ps->name, MSW_CTL_CLIENT_NAME) == 0) {
			o->owner_slot = (uint16_t)req->slot;
			o->confirmed = true;
			return 1;
		}
		return -EEXIST;
	}
	o = ctl_obj_insert(&s->objs, kind, key, key_len);
	if (o == NULL)
		return -ENOSPC;
	o->owner_slot = (uint16_t)req->slot;
	memcpy(o->owner, ps->name, MSW_CTL_CLIENT_NAME);
	o->confirmed = true;
	o->user = user;
	return 0;
}

int
ctl_server_obj_del(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len)
{
	struct ctl_obj *o = ctl_obj_lookup(&s->objs, kind, key, key_len);

	if (o == NULL)
		return -ENOENT;
	ctl_obj_remove(&s->objs, o);
	return 0;
}

int
ctl_server_obj_lookup(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len,
                      struct ctl_server_obj *out)
{
	struct ctl_obj *o = ctl_obj_lookup(&s->objs, kind, key, key_len);

	if (o == NULL)
		return -ENOENT;
	if (out != NULL) {
		out->owner_slot = o->owner_slot;
		memcpy(out->owner, o->owner, sizeof(out->owner));
		out->user = o->user;
	}
	return 0;
}

uint32_t
ctl_server_obj_count(struct ctl_server *s, uint16_t kind, const char *owner)
{
	uint32_t i, n = 0;

	for (i = 0; i < s->objs.cap; i++) {
		const struct ctl_obj *o = &s->objs.objs[i];

		if (o->used && (kind == 0 || o->kind == kind) &&
		    (owner == NULL || strncmp(o->owner, owner, MSW_CTL_CLIENT_NAME) == 0))
			n++;
	}
	return n;
}

/* ---- channel commands ---- */

static int
ctl_chan_ping(struct ctl_server_req *req)
{
	uint32_t len = req->cmd.hdr.len < sizeof(struct msw_ctl_ping) ? req->cmd.hdr.len
	                                                              : sizeof(struct msw_ctl_ping);

	memcpy(req->reply, req->cmd.payload, len);
	req->reply_len = len;
	return 0;
}

static int
ctl_chan_resync_begin(struct ctl_server_req *req)
{
	struct ctl_server *s = req->s;
	struct ctl_srv_slot *ps = &s->slots[req->slot];
	struct msw_ctl_resync_begin_r *r = (struct msw_ctl_resync_begin_r *)req->reply;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	/* Adopt everything this identity owns, from a dead slot or from a previous life. */
	for (i = 0; i < s->objs.cap; i++) {
		struct ctl_obj *o = &s->objs.objs[i];

		if (o->used && strncmp(o->owner, ps->name, MSW_CTL_CLIENT_NAME) == 0) {
			o->owner_slot = (uint16_t)req->slot;
			o->confirmed = false;
			r->held++;
		}
	}
	ps->resync = true;
	r->generation = s->gen;
	req->reply_len = sizeof(*r);
	return 0;
}

static int
ctl_chan_obj_list(struct ctl_server_req *req)
{
	struct ctl_server *s = req->s;
	struct msw_ctl_obj_list q = {0};
	struct msw_ctl_obj_list_r r = {0};
	static struct msw_ctl_obj_entry page[CTL_LIST_PAGE]; /* control lcore only */
	struct ctl_blob_src b = {.data = page,
	                         .cls = MSW_CTL_BLOB_CTL,
	                         .ref_off = offsetof(struct msw_ctl_obj_list_r, entries)};
	uint32_t max, fit, i;

	memcpy(&q, req->cmd.payload, req->cmd.hdr.len < sizeof(q) ? req->cmd.hdr.len : sizeof(q));
	if (q.filter > MSW_CTL_OBJ_MINE)
		return -EINVAL;
	/* A page takes at most a quarter of the blob area (and of the CTL budget), so it fits as
	 * soon as the client has released what it read before. */
	fit = (s->p.blob_d2c / 4 < s->budget[MSW_CTL_BLOB_CTL] ? s->p.blob_d2c / 4
	                                                       : s->budget[MSW_CTL_BLOB_CTL]);
	fit = (fit - (uint32_t)sizeof(struct msw_ctl_blob_hdr)) / (uint32_t)sizeof(page[0]);
	if (fit == 0)
		fit = 1;
	max = q.max == 0 || q.max > CTL_LIST_PAGE ? CTL_LIST_PAGE : q.max;
	if (max > fit)
		max = fit;
	for (i = q.cursor; i < s->objs.cap && r.count < max; i++) {
		const struct ctl_obj *o = &s->objs.objs[i];
		struct msw_ctl_obj_entry *e;

		if (!o->used || (q.kind != 0 && o->kind != q.kind) ||
		    (q.filter == MSW_CTL_OBJ_MINE &&
		     strncmp(o->owner, s->slots[req->slot].name, MSW_CTL_CLIENT_NAME) != 0))
			continue;
		e = &page[r.count++];
		memset(e, 0, sizeof(*e));
		e->kind = o->kind;
		e->key_len = o->key_len;
		e->owner_slot = o->owner_slot;
		e->flags = o->owner_slot == CTL_OBJ_NO_SLOT ? MSW_CTL_OBJ_F_ORPHAN : 0;
		memcpy(e->owner, o->owner, sizeof(e->owner));
		memcpy(e->key, o->key, o->key_len);
	}
	r.next_cursor = i >= s->objs.cap ? MSW_CTL_CURSOR_END : i;
	b.len = r.count * (uint32_t)sizeof(page[0]);
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, r.count != 0 ? 1 : 0);
}

static int
ctl_chan_resync_end(struct ctl_server_req *req)
{
	struct ctl_server *s = req->s;
	struct ctl_srv_slot *ps = &s->slots[req->slot];
	struct msw_ctl_resync_end q = {0};
	struct msw_ctl_resync_end_r *r = (struct msw_ctl_resync_end_r *)req->reply;
	uint32_t i;

	if (!ps->resync)
		return -EPROTO; /* RESYNC_END without RESYNC_BEGIN */
	memcpy(&q, req->cmd.payload, req->cmd.hdr.len < sizeof(q) ? req->cmd.hdr.len : sizeof(q));
	memset(r, 0, sizeof(*r));
	for (i = 0; i < s->objs.cap; i++) {
		struct ctl_obj *o = &s->objs.objs[i];

		if (!o->used || o->owner_slot != req->slot)
			continue;
		if (o->confirmed) {
			r->confirmed++;
		} else if (q.flags & MSW_CTL_RESYNC_KEEP_UNREPLAYED) {
			r->kept++;
		} else {
			/* The owner no longer wants it: the engine deletes the real object. */
			if (o->kind < CTL_ARRAY_LEN(s->obj_del) && s->obj_del[o->kind].fn != NULL)
				s->obj_del[o->kind].fn(s, o->kind, o->key, o->key_len, o->user,
				                       s->obj_del[o->kind].arg);
			ctl_obj_remove(&s->objs, o);
			r->deleted++;
		}
	}
	ps->resync = false;
	ctl_cnt_inc(s, req->slot, MSW_CTL_CNT_RESYNC, 1);
	ctl_cnt_inc(s, req->slot, MSW_CTL_CNT_RESYNC_DELETED, r->deleted);
	req->reply_len = sizeof(*r);
	return 0;
}

static int
ctl_chan_stats(struct ctl_server_req *req)
{
	struct ctl_server *s = req->s;
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, req->slot);
	struct msw_ctl_stats_r r = {.n = MSW_CTL_CNT_MAX};
	uint64_t vals[2 * MSW_CTL_CNT_MAX];
	struct ctl_blob_src b = {.data = vals,
	                         .len = sizeof(vals),
	                         .cls = MSW_CTL_BLOB_CTL,
	                         .ref_off = offsetof(struct msw_ctl_stats_r, values)};
	unsigned int i;

	r.state = atomic_load_explicit(&s->h->state, memory_order_relaxed);
	for (i = 0; i < MSW_CTL_CNT_MAX; i++) {
		vals[2 * i] = atomic_load_explicit(&sl->cnt[i], memory_order_relaxed);
		vals[2 * i + 1] = atomic_load_explicit(&s->h->cnt[i], memory_order_relaxed);
	}
	return ctl_server_reply(req, 0, &r, sizeof(r), &b, 1);
}

static int
ctl_chan_drain(struct ctl_server_req *req)
{
	struct msw_ctl_drain q = {0};

	memcpy(&q, req->cmd.payload, req->cmd.hdr.len < sizeof(q) ? req->cmd.hdr.len : sizeof(q));
	if (q.draining > 1)
		return -EINVAL;
	atomic_store_explicit(&req->s->h->state, q.draining ? MSW_CTL_DP_DRAINING : MSW_CTL_DP_UP,
	                      memory_order_release);
	return 0;
}

static int
ctl_dispatch(struct ctl_server_req *req)
{
	struct ctl_server *s = req->s;
	uint16_t type = req->cmd.hdr.type;
	uint32_t mod = type >> 8;
	const struct ctl_handler *h;

	switch (type) {
	case MSW_CTL_PING:
		return ctl_chan_ping(req);
	case MSW_CTL_RESYNC_BEGIN:
		return ctl_chan_resync_begin(req);
	case MSW_CTL_OBJ_LIST:
		return ctl_chan_obj_list(req);
	case MSW_CTL_RESYNC_END:
		return ctl_chan_resync_end(req);
	case MSW_CTL_STATS:
		return ctl_chan_stats(req);
	case MSW_CTL_DRAIN:
		return ctl_chan_drain(req);
	default:
		break;
	}
	h = mod < MSW_CTL_MOD_EVT ? &s->handlers[mod][type & 0xff] : NULL;
	if (h == NULL || h->fn == NULL) {
		ctl_cnt_inc(s, req->slot, MSW_CTL_CNT_CMD_UNSUPPORTED, 1);
		return -EOPNOTSUPP;
	}
	return h->fn(req, h->arg);
}

/* Serves one command of slot i. Returns false if there was nothing to do. */
static bool
ctl_serve_one(struct ctl_server *s, uint32_t i)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	static struct ctl_server_req req; /* control lcore only; too big for a small stack */
	const struct msw_ctl_rec *rec;
	uint32_t free_recs = msw_ctl_ring_prod_free(&sl->evt);
	bool blobs_ok;
	int rc;

	/* Back-pressure: a command is taken only when its reply has room, so replies are never
	 * dropped; the client sees -EAGAIN from its own full command ring instead. */
	if (free_recs == 0)
		return false;
	rec = msw_ctl_ring_cons_peek(&sl->cmd);
	if (rec == NULL) {
		if (msw_ctl_ring_cons_count(&sl->cmd) == MSW_CTL_RING_CORRUPT ||
		    free_recs == MSW_CTL_RING_CORRUPT) {
			ctl_slot_reclaim(s, i, MSW_CTL_CNT_SLOT_CORRUPT);
		}
		return false;
	}
	memset(&req, 0, sizeof(req));
	req.s = s;
	req.slot = i;
	memcpy(&req.cmd, rec, sizeof(req.cmd));
	msw_ctl_ring_cons_release(&sl->cmd, 1);
	ctl_cnt_inc(s, i, MSW_CTL_CNT_CMD_RX, 1);

	blobs_ok = (req.cmd.hdr.flags & MSW_CTL_F_BLOB) == 0 ||
	           ctl_bring_end_valid(&sl->blob_c2d, req.cmd.hdr.blob_end);
	if (req.cmd.hdr.len > MSW_CTL_PAYLOAD_MAX || (req.cmd.hdr.flags & MSW_CTL_F_REPLY) != 0 ||
	    req.cmd.hdr.hdr_rsv != 0 || !blobs_ok) {
		ctl_cnt_inc(s, i, MSW_CTL_CNT_CMD_BAD, 1);
		rc = -EBADMSG;
	} else if (req.cmd.hdr.gen != s->gen) {
		/* Sent before the client learnt about our restart: it must resync first. */
		ctl_cnt_inc(s, i, MSW_CTL_CNT_CMD_STALE, 1);
		rc = -ESTALE;
	} else {
		memset(req.cmd.payload + req.cmd.hdr.len, 0, MSW_CTL_PAYLOAD_MAX - req.cmd.hdr.len);
		s->slots[i].reply_pending = true;
		rc = ctl_dispatch(&req);
		s->slots[i].reply_pending = false;
		if (rc < 0 && rc != -EOPNOTSUPP)
			ctl_cnt_inc(s, i, MSW_CTL_CNT_CMD_FAILED, 1);
	}
	if (blobs_ok && (req.cmd.hdr.flags & MSW_CTL_F_BLOB) != 0)
		atomic_store_explicit(&sl->blob_c2d.tail, req.cmd.hdr.blob_end,
		                      memory_order_release);
	if (!req.replied)
		ctl_server_reply(&req, rc > 0 ? 0 : rc, req.reply, rc < 0 ? 0 : req.reply_len, NULL,
		                 0);
	return true;
}

static void
ctl_slot_check(struct ctl_server *s, uint32_t i, bool liveness)
{
	struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
	struct ctl_srv_slot *ps = &s->slots[i];
	uint32_t pid = atomic_load_explicit(&sl->owner_pid, memory_order_acquire);
	uint32_t st = atomic_load_explicit(&sl->state, memory_order_acquire);

	if (pid == 0) {
		if (ps->active) /* the client backed out of its claim itself */
			ctl_srv_slot_clear(ps);
		return;
	}
	if (st == MSW_CTL_SLOT_RELEASING) {
		ctl_slot_reclaim(s, i, MSW_CTL_CNT_SLOT_RELEASED);
		return;
	}
	if (liveness && ctl_srv_slot_owner_dead(ps, pid)) {
		ctl_slot_reclaim(s, i, MSW_CTL_CNT_SLOT_RECLAIMED_DEAD);
		return;
	}
	if (st == MSW_CTL_SLOT_CLAIMED && (!ps->active || ps->pid != pid)) {
		ctl_srv_slot_clear(ps);
		ctl_srv_slot_start(ps, pid);
		memcpy(ps->name, sl->name, sizeof(ps->name));
		ps->name[MSW_CTL_CLIENT_NAME - 1] = '\0';
		ps->d2c_acct = atomic_load_explicit(&sl->blob_d2c.tail, memory_order_acquire);
		ctl_cnt_inc(s, i, MSW_CTL_CNT_SLOT_CLAIMED, 1);
	}
}

unsigned int
ctl_server_poll(struct ctl_server *s, unsigned int max_cmds)
{
	uint64_t now = ctl_now_ns(CLOCK_MONOTONIC);
	bool liveness = now >= s->next_liveness_ns;
	unsigned int served = 0;
	uint32_t n = s->p.n_slots;
	uint32_t k;
	bool progress = true;

	atomic_store_explicit(&s->h->heartbeat_ns, now, memory_order_relaxed);
	if (liveness)
		s->next_liveness_ns = now + (uint64_t)s->p.liveness_ms * 1000000ull;
	for (k = 0; k < n; k++)
		ctl_slot_check(s, k, liveness);
	/* One command per slot per round: a chatty client cannot starve the others. */
	while (served < max_cmds && progress) {
		progress = false;
		for (k = 0; k < n && served < max_cmds; k++) {
			uint32_t i = (s->rr + k) % n;

			if (s->slots[i].active && ctl_serve_one(s, i)) {
				served++;
				progress = true;
			}
		}
		s->rr = (s->rr + 1) % n;
	}
	return served;
}

static bool
ctl_server_has_work(struct ctl_server *s)
{
	uint32_t i;

	for (i = 0; i < s->p.n_slots; i++) {
		struct msw_ctl_slot *sl = msw_ctl_region_slot(s->h, i);
		uint32_t st = atomic_load_explicit(&sl->state, memory_order_relaxed);
		uint32_t pid = atomic_load_explicit(&sl->owner_pid, memory_order_relaxed);

		if (st == MSW_CTL_SLOT_RELEASING || (pid == 0 && s->slots[i].active) ||
		    (st == MSW_CTL_SLOT_CLAIMED && (!s->slots[i].active || s->slots[i].pid != pid)))
			return true;
		if (s->slots[i].active && msw_ctl_ring_cons_count(&sl->cmd) != 0)
			return true;
	}
	return false;
}

int
ctl_server_wait(struct ctl_server *s, uint32_t timeout_ms)
{
	struct msw_ctl_region_hdr *h = s->h;
	uint32_t v = atomic_load_explicit(&h->dp_bell, memory_order_relaxed);
	int rc;

	atomic_store_explicit(&h->dp_waiters, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (ctl_server_has_work(s)) {
		atomic_store_explicit(&h->dp_waiters, 0, memory_order_relaxed);
		return 0;
	}
	/* Dead clients ring no bell: wake up in time for the next liveness probe. */
	if (timeout_ms > s->p.liveness_ms)
		timeout_ms = s->p.liveness_ms;
	rc = ctl_futex_wait(&h->dp_bell, v, timeout_ms);
	atomic_store_explicit(&h->dp_waiters, 0, memory_order_relaxed);
	return rc == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* ---- introspection ---- */

uint64_t
ctl_server_generation(const struct ctl_server *s)
{
	return s->gen;
}

struct msw_ctl_region_hdr *
ctl_server_region(const struct ctl_server *s)
{
	return s->h;
}

uint32_t
ctl_server_n_slots(const struct ctl_server *s)
{
	return s->p.n_slots;
}

bool
ctl_server_slot_active(const struct ctl_server *s, uint32_t slot)
{
	return slot < s->p.n_slots && s->slots[slot].active;
}

uint64_t
ctl_server_cnt(const struct ctl_server *s, enum msw_ctl_cnt id)
{
	return atomic_load_explicit(&s->h->cnt[id], memory_order_relaxed);
}

uint64_t
ctl_server_slot_cnt(const struct ctl_server *s, uint32_t slot, enum msw_ctl_cnt id)
{
	return atomic_load_explicit(&msw_ctl_region_slot(s->h, slot)->cnt[id],
	                            memory_order_relaxed);
}

uint32_t
ctl_server_slot_blob_inflight(const struct ctl_server *s, uint32_t slot, uint16_t cls)
{
	ctl_slot_blob_acct((struct ctl_server *)s, slot);
	return cls < MSW_CTL_BLOB_CLASS_MAX ? s->slots[slot].cls_bytes[cls] : 0;
}

int
ctl_server_counters_define(struct ctl_server *s, const char *const *names, uint32_t n,
                           uint32_t n_lcores)
{
	struct msw_ctl_counters *c = msw_ctl_region_counters(s->h);
	uint32_t i;

	if (n > MSW_CTL_CTRS_MAX || n_lcores > MSW_CTL_CTRS_LCORES_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (names[i] == NULL || strlen(names[i]) >= MSW_CTL_CTRS_NAME)
			return -EINVAL;
	atomic_store_explicit(&c->n_counters, 0, memory_order_release);
	for (i = 0; i < MSW_CTL_CTRS_MAX; i++) {
		memset(c->names[i], 0, MSW_CTL_CTRS_NAME);
		if (i < n)
			memcpy(c->names[i], names[i], strlen(names[i]));
	}
	for (i = 0; i < MSW_CTL_CTRS_LCORES_MAX; i++) {
		uint32_t j;

		for (j = 0; j < MSW_CTL_CTRS_MAX; j++)
			atomic_store_explicit(&c->val[i][j], 0, memory_order_relaxed);
	}
	atomic_store_explicit(&c->n_lcores, n_lcores, memory_order_relaxed);
	atomic_store_explicit(&c->n_counters, n, memory_order_release);
	atomic_fetch_add_explicit(&c->layout_seq, 1, memory_order_release);
	return 0;
}

_Atomic uint64_t *
ctl_server_counters_row(struct ctl_server *s, uint32_t lcore)
{
	struct msw_ctl_counters *c = msw_ctl_region_counters(s->h);

	return lcore < MSW_CTL_CTRS_LCORES_MAX ? c->val[lcore] : NULL;
}
