/* SPDX-License-Identifier: BSD-3-Clause */
/* Region naming, layout, futex doorbells and blob byte rings shared by server and client. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/ctl_pvt.h"

#define CTL_PAGE 4096u

static const char *const ctl_cnt_names[] = {
#define MSW_CTL_CNT(sym, name, doc) [MSW_CTL_CNT_##sym] = #name,
#include "msw/msw_ctl_counters.def"
#undef MSW_CTL_CNT
};

const char *
ctl_cnt_name(unsigned int id)
{
	return id < MSW_CTL_CNT_MAX ? ctl_cnt_names[id] : NULL;
}

const char *
ctl_type_name(uint16_t type)
{
	switch (type) {
#define MSW_CTL_MSG_DEF(sym, mod, id, dir, req, rep, doc)                                          \
	case MSW_CTL_##sym:                                                                        \
		return #sym;
#include "msw/msw_ctl_msgs.def"
#undef MSW_CTL_MSG_DEF
	default:
		return NULL;
	}
}

int
ctl_shm_name(const char *instance, char *shm_name, size_t cap)
{
	size_t len;

	if (instance == NULL)
		instance = getenv(MSW_CTL_INSTANCE_ENV);
	if (instance == NULL || instance[0] == '\0')
		instance = MSW_CTL_INSTANCE_DEFAULT;
	len = strlen(instance);
	/* Same alphabet as CONF_ID: safe in a file name, no '/' that shm_open would reject. */
	if (len > MSW_CTL_INSTANCE_MAX || !msw_ctl_conf_id_valid(instance, len))
		return -EINVAL;
	if ((size_t)snprintf(shm_name, cap, "%s%s", MSW_CTL_SHM_PREFIX, instance) >= cap)
		return -EINVAL;
	return 0;
}

static uint64_t
ctl_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int
ctl_layout_compute(uint32_t n_slots, uint32_t ring_cap, uint32_t c2d, uint32_t d2c,
                   struct ctl_layout *out)
{
	out->off_counters = sizeof(struct msw_ctl_region_hdr);
	out->off_slots = ctl_align(out->off_counters + sizeof(struct msw_ctl_counters), CTL_PAGE);
	out->slot_stride = ctl_align(
	        sizeof(struct msw_ctl_slot) + 2ull * ring_cap * MSW_CTL_REC_SIZE, CTL_PAGE);
	out->off_blob = out->off_slots + (uint64_t)n_slots * out->slot_stride;
	out->size = ctl_align(out->off_blob + (uint64_t)n_slots * ((uint64_t)c2d + d2c), CTL_PAGE);
	/* Blob references carry 32-bit region offsets. */
	return out->size > UINT32_MAX ? -EINVAL : 0;
}

uint64_t
ctl_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
ctl_futex_wait(_Atomic uint32_t *word, uint32_t val, uint32_t timeout_ms)
{
	struct timespec ts = {
	        .tv_sec = timeout_ms / 1000,
	        .tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
	};

	/* Not FUTEX_PRIVATE: the word is in memory shared between processes. */
	if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, &ts, NULL, 0) == 0)
		return 0;
	return -errno; /* EAGAIN: the bell moved; ETIMEDOUT; EINTR */
}

void
ctl_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- blob byte rings ---- */

void
ctl_bring_init(struct msw_ctl_ring *r, uint64_t ring_region_off, uint64_t data_region_off,
               uint32_t cap)
{
	r->cap = cap;
	r->mask = cap - 1;
	r->rec_size = MSW_CTL_BLOB_ALIGN;
	r->geo_rsv_ = 0;
	r->data_off = data_region_off - ring_region_off;
	r->prod_tail = 0;
	r->cons_head = 0;
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->head, 0, memory_order_release);
}

uint32_t
ctl_bring_plan(const struct msw_ctl_ring *r, uint32_t head, const uint32_t *lens, unsigned int n)
{
	uint32_t pos = head;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t need;
		uint32_t at;

		if (lens[i] > r->cap)
			return UINT32_MAX;
		need = ctl_blob_need(lens[i]);
		if (need > r->cap)
			return UINT32_MAX;
		at = pos & r->mask;
		/* A blob is contiguous: pad to the start of the area if it would wrap. */
		if (at + need > r->cap)
			pos += r->cap - at;
		pos += need;
	}
	return pos - head;
}

static struct msw_ctl_blob_hdr *
ctl_bring_hdr_at(const struct msw_ctl_ring *r, uint32_t pos)
{
	return (struct msw_ctl_blob_hdr *)((uint8_t *)r + r->data_off + (pos & r->mask));
}

void
ctl_bring_put(struct msw_ctl_ring *r, const uint8_t *base, uint32_t *head, uint32_t gen,
              uint16_t cls, const void *data, uint32_t len, struct msw_ctl_blob_ref *ref)
{
	uint32_t need = ctl_blob_need(len);
	uint32_t at = *head & r->mask;
	struct msw_ctl_blob_hdr *bh;

	if (at + need > r->cap) {
		uint32_t pad = r->cap - at; /* multiple of MSW_CTL_BLOB_ALIGN, so >= a header */

		bh = ctl_bring_hdr_at(r, *head);
		*bh = (struct msw_ctl_blob_hdr){.end = *head + pad, .flags = MSW_CTL_BLOB_F_PAD};
		*head += pad;
	}
	bh = ctl_bring_hdr_at(r, *head);
	*bh = (struct msw_ctl_blob_hdr){.len = len, .gen = gen, .end = *head + need, .cls = cls};
	if (len != 0)
		memcpy(bh + 1, data, len);
	*ref = (struct msw_ctl_blob_ref){
	        .off = (uint32_t)((const uint8_t *)(bh + 1) - base),
	        .len = len,
	        .gen = gen,
	        .cls = cls,
	};
	*head += need;
}

bool
ctl_bring_end_valid(struct msw_ctl_ring *r, uint32_t end)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t used = head - tail;

	return used <= r->cap && end - tail != 0 && end - tail <= used;
}

const void *
ctl_bring_resolve(struct msw_ctl_ring *r, const uint8_t *base, const struct msw_ctl_blob_ref *ref)
{
	const uint8_t *area = (const uint8_t *)r + r->data_off;
	uint64_t area_off = (uint64_t)(area - base);
	const struct msw_ctl_blob_hdr *bh;
	uint64_t rel;

	if (ref->gen == 0 || ref->off < area_off + sizeof(*bh))
		return NULL;
	rel = ref->off - area_off; /* offset of the data inside the area */
	if (rel % MSW_CTL_BLOB_ALIGN != 0 || rel + ref->len > r->cap)
		return NULL;
	bh = (const struct msw_ctl_blob_hdr *)(area + rel) - 1;
	if (bh->gen != ref->gen || bh->len != ref->len || (bh->flags & MSW_CTL_BLOB_F_PAD) != 0)
		return NULL;
	/* The blob must still be in flight, i.e. end in (tail, head]: not released, not reused. */
	if (!ctl_bring_end_valid(r, bh->end) ||
	    (bh->end & r->mask) != ((rel - sizeof(*bh) + ctl_blob_need(ref->len)) & r->mask))
		return NULL;
	return area + rel;
}
