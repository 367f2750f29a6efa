/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel ABI: the shared-memory region through which the control plane, mswctl and
 * tests program the data plane (docs/ctl-abi.md is the prose version of this file).
 *
 * The region is a POSIX shared-memory object "/msw.<instance>" (instance from MSW_INSTANCE,
 * default "default"), created by the data plane. It needs no hugepages and no DPDK
 * multi-process support, so every process can restart alone.
 *
 *   offset 0                     struct msw_ctl_region_hdr   (512 B)
 *   hdr.off_counters             struct msw_ctl_counters     (per-lcore data-plane counters)
 *   hdr.off_slots + i*slot_stride struct msw_ctl_slot + cmd records + evt records
 *   hdr.off_blob + i*(c2d+d2c)   slot i's client->dp blob area, then its dp->client blob area
 *
 * Every field below has a pinned offset (static_assert). Bump MSW_CTL_ABI_VERSION on any
 * incompatible change; compatible changes follow "Versioning" in docs/ctl-abi.md.
 */
#pragma once

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msw/msw_ctl_ring.h"

#define MSW_CTL_ABI_VERSION 1u
#define MSW_CTL_MAGIC       0x01314c544357534dull /* "MSWCTL1\1" little-endian */

#define MSW_CTL_INSTANCE_ENV     "MSW_INSTANCE"
#define MSW_CTL_INSTANCE_DEFAULT "default"
#define MSW_CTL_INSTANCE_MAX     31u /* [A-Za-z0-9._-]{1,31} */
#define MSW_CTL_SHM_PREFIX       "/msw."

#define MSW_CTL_SLOTS_MIN   8u
#define MSW_CTL_SLOTS_MAX   64u
#define MSW_CTL_REC_SIZE    256u /* every ring record, header included */
#define MSW_CTL_CLIENT_NAME 32u  /* client identity, NUL-padded */
#define MSW_CTL_CNT_SLOTS   32u  /* room for the counters in msw_ctl_counters.def */
#define MSW_CTL_BLOB_ALIGN  16u
#define MSW_CTL_CONF_ID_MAX 64u /* CONF_ID = 1..64 of [A-Za-z0-9._-] */
#define MSW_CTL_SESSION_MAX 48u /* local MSRP session-id (RFC 4975 §9 session-id) */
#define MSW_CTL_OBJ_KEY_MAX 128u
#define MSW_CTL_MSGID_MAX   32u /* MSRP Message-ID (RFC 4975 §9 ident, 4..32) */

/* ---- counters and drop reasons (msw_ctl_counters.def) ---- */
enum msw_ctl_cnt {
#define MSW_CTL_CNT(sym, name, doc) MSW_CTL_CNT_##sym,
#include "msw/msw_ctl_counters.def"
#undef MSW_CTL_CNT
	MSW_CTL_CNT_MAX
};
static_assert(MSW_CTL_CNT_MAX <= MSW_CTL_CNT_SLOTS, "ABI: grow MSW_CTL_CNT_SLOTS with a bump");

/* ---- region header ---- */

enum msw_ctl_dp_state {
	MSW_CTL_DP_DOWN = 0,     /* no data plane, or it is (re)initialising */
	MSW_CTL_DP_UP = 1,       /* serving commands */
	MSW_CTL_DP_DRAINING = 2, /* serving, but refusing new conferences/legs */
};

/* Byte budgets inside a slot's dp->client blob area, per use. */
enum msw_ctl_blob_class {
	MSW_CTL_BLOB_CTL = 0,     /* paths, identities, URIs, list pages: control data */
	MSW_CTL_BLOB_HISTORY = 1, /* message copies */
	MSW_CTL_BLOB_REPORT = 2,  /* final-report details */
	MSW_CTL_BLOB_CLASS_MAX = 4,
};

/*
 * Thread-safety: the fields up to blob_budget are immutable once magic is published (written by
 * the creating data plane before the release store of magic). generation, dp_pid, state,
 * heartbeat_ns, started_ns and cnt[] are written only by the data plane (release / relaxed
 * single writer). dp_bell/dp_waiters form the data plane's doorbell: any client increments
 * dp_bell, only the data plane sets dp_waiters.
 */
struct msw_ctl_region_hdr {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t hdr_size;
	uint64_t region_size;
	_Atomic uint64_t generation; /* new random non-zero value at each data-plane start */
	_Atomic uint32_t dp_pid;
	_Atomic uint32_t state; /* enum msw_ctl_dp_state */
	uint32_t n_slots;
	uint32_t ring_cap;      /* records per ring, power of two */
	uint32_t rec_size;      /* MSW_CTL_REC_SIZE */
	uint32_t blob_c2d_size; /* per slot, power of two */
	uint32_t blob_d2c_size; /* per slot, power of two */
	uint32_t hdr_rsv0;
	uint64_t off_counters;
	uint64_t off_slots;
	uint64_t slot_stride;
	uint64_t off_blob;
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC of the last ctl_server_poll() */
	_Atomic uint64_t started_ns;   /* CLOCK_REALTIME of this generation's start */
	char instance[MSW_CTL_INSTANCE_MAX + 1];
	uint32_t blob_budget[MSW_CTL_BLOB_CLASS_MAX]; /* bytes in flight per slot and class */
	uint8_t hdr_pad0_[32];
	/* line 3: data-plane doorbell */
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint32_t dp_bell;
	_Atomic uint32_t dp_waiters;
	uint8_t hdr_pad1_[MSW_CTL_CACHE_LINE - 8];
	/* lines 4..7: channel-wide counters */
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint64_t cnt[MSW_CTL_CNT_SLOTS];
};

static_assert(offsetof(struct msw_ctl_region_hdr, magic) == 0, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, abi_version) == 8, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, hdr_size) == 12, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, region_size) == 16, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, generation) == 24, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, dp_pid) == 32, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, state) == 36, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, n_slots) == 40, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, ring_cap) == 44, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, rec_size) == 48, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, blob_c2d_size) == 52, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, blob_d2c_size) == 56, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, off_counters) == 64, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, off_slots) == 72, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, slot_stride) == 80, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, off_blob) == 88, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, heartbeat_ns) == 96, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, started_ns) == 104, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, instance) == 112, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, blob_budget) == 144, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, dp_bell) == 192, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, dp_waiters) == 196, "ABI");
static_assert(offsetof(struct msw_ctl_region_hdr, cnt) == 256, "ABI");
static_assert(sizeof(struct msw_ctl_region_hdr) == 512, "ABI: region header is 512 bytes");

/* ---- counters block: per-lcore data-plane counters ---- */

#define MSW_CTL_CTRS_LCORES_MAX 64u
#define MSW_CTL_CTRS_MAX        256u
#define MSW_CTL_CTRS_NAME       32u

/*
 * Generic layout; the names come from the data plane's counter X-macro. The data plane writes
 * names[] and then n_counters/n_lcores (release) at start; each lcore writes only its own row
 * of val[] with relaxed single-writer stores; readers sum the rows (house style 22).
 * layout_seq is bumped (release) after every change of names/n_counters so a reader that
 * cached the names knows to reload them.
 */
struct msw_ctl_counters {
	_Atomic uint32_t n_lcores;
	_Atomic uint32_t n_counters;
	_Atomic uint32_t layout_seq;
	uint32_t ctrs_rsv0;
	uint8_t ctrs_pad_[MSW_CTL_CACHE_LINE - 16];
	char names[MSW_CTL_CTRS_MAX][MSW_CTL_CTRS_NAME];
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint64_t val[MSW_CTL_CTRS_LCORES_MAX][MSW_CTL_CTRS_MAX];
};

static_assert(offsetof(struct msw_ctl_counters, n_lcores) == 0, "ABI");
static_assert(offsetof(struct msw_ctl_counters, n_counters) == 4, "ABI");
static_assert(offsetof(struct msw_ctl_counters, layout_seq) == 8, "ABI");
static_assert(offsetof(struct msw_ctl_counters, names) == 64, "ABI");
static_assert(offsetof(struct msw_ctl_counters, val) == 64 + 256 * 32, "ABI");
static_assert(sizeof(struct msw_ctl_counters) == 64 + 256 * 32 + 64 * 256 * 8, "ABI");

/* ---- slots ---- */

enum msw_ctl_slot_state {
	MSW_CTL_SLOT_FREE = 0,       /* owner_pid == 0, rings empty */
	MSW_CTL_SLOT_CLAIMING = 1,   /* a client won the owner_pid CAS and fills name/claimed_gen */
	MSW_CTL_SLOT_CLAIMED = 2,    /* usable */
	MSW_CTL_SLOT_RELEASING = 3,  /* clean detach: the data plane will reset and free it */
	MSW_CTL_SLOT_RECLAIMING = 4, /* the data plane is resetting it */
};

/*
 * Thread-safety:
 *  - owner_pid: claimed by a client with CAS 0 -> pid; set back to 0 only by the data plane
 *    (release) after it reset the slot, so a FREE slot always has empty rings.
 *  - state, name, claimed_gen, claimed_ns: written by the owning client between its CAS and
 *    the release store of state = CLAIMED; by the data plane during RECLAIMING.
 *  - epoch: data plane only; bumped at every reclaim so it can tell claims apart.
 *  - evt_bell/evt_waiters: the client's doorbell (data plane increments evt_bell, client sets
 *    evt_waiters).
 *  - cnt[]: data plane only (relaxed single writer).
 *  - cmd: producer = client, consumer = data plane. evt: producer = data plane, consumer =
 *    client. blob_c2d: producer = client, consumer = data plane. blob_d2c: producer = data
 *    plane, consumer = client. (Blob rings use head/tail/cap/mask/data_off with byte units.)
 */
struct msw_ctl_slot {
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint32_t owner_pid;
	_Atomic uint32_t state; /* enum msw_ctl_slot_state */
	_Atomic uint32_t epoch;
	uint32_t slot_rsv0;
	uint64_t claimed_gen; /* generation the client saw when it claimed or last resynced */
	uint64_t claimed_ns;  /* CLOCK_REALTIME of the claim */
	char name[MSW_CTL_CLIENT_NAME];
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint32_t evt_bell;
	_Atomic uint32_t evt_waiters;
	alignas(MSW_CTL_CACHE_LINE) _Atomic uint64_t cnt[MSW_CTL_CNT_SLOTS];
	struct msw_ctl_ring cmd;
	struct msw_ctl_ring evt;
	struct msw_ctl_ring blob_c2d;
	struct msw_ctl_ring blob_d2c;
	/* cmd records, then evt records, follow (cmd.data_off / evt.data_off) */
};

static_assert(offsetof(struct msw_ctl_slot, owner_pid) == 0, "ABI");
static_assert(offsetof(struct msw_ctl_slot, state) == 4, "ABI");
static_assert(offsetof(struct msw_ctl_slot, epoch) == 8, "ABI");
static_assert(offsetof(struct msw_ctl_slot, claimed_gen) == 16, "ABI");
static_assert(offsetof(struct msw_ctl_slot, claimed_ns) == 24, "ABI");
static_assert(offsetof(struct msw_ctl_slot, name) == 32, "ABI");
static_assert(offsetof(struct msw_ctl_slot, evt_bell) == 64, "ABI");
static_assert(offsetof(struct msw_ctl_slot, evt_waiters) == 68, "ABI");
static_assert(offsetof(struct msw_ctl_slot, cnt) == 128, "ABI");
static_assert(offsetof(struct msw_ctl_slot, cmd) == 384, "ABI");
static_assert(offsetof(struct msw_ctl_slot, evt) == 576, "ABI");
static_assert(offsetof(struct msw_ctl_slot, blob_c2d) == 768, "ABI");
static_assert(offsetof(struct msw_ctl_slot, blob_d2c) == 960, "ABI");
static_assert(sizeof(struct msw_ctl_slot) == 1152, "ABI: slot control block");

/* ---- records ---- */

#define MSW_CTL_MOD_CHAN      0u
#define MSW_CTL_MOD_CONF      1u
#define MSW_CTL_MOD_EVT       2u
#define MSW_CTL_TYPE(mod, id) ((uint16_t)(((mod) << 8) | (id)))

enum msw_ctl_type {
#define MSW_CTL_MSG_DEF(sym, mod, id, dir, req, rep, doc)                                          \
	MSW_CTL_##sym = MSW_CTL_TYPE(MSW_CTL_MOD_##mod, id),
#include "msw/msw_ctl_msgs.def"
#undef MSW_CTL_MSG_DEF
};

enum msw_ctl_hdr_flags {
	MSW_CTL_F_REPLY = 0x01,  /* reply to the command with the same seq */
	MSW_CTL_F_BLOB = 0x02,   /* blob_end is valid: the record uses blobs up to it */
	MSW_CTL_F_REPLAY = 0x04, /* command replayed during resync */
};

/*
 * Every record starts with this header. seq: chosen by the client (incrementing), echoed in the
 * reply; events carry the data plane's per-slot event sequence. status: replies only, 0 or
 * -errno. gen: commands carry the generation the client is synchronised with (the data plane
 * answers -ESTALE if it differs); replies and events carry the data plane's generation.
 * blob_end: with MSW_CTL_F_BLOB, the blob-ring position just after the last blob this record
 * references; the consumer releases the blob ring up to it when done with the record.
 */
struct msw_ctl_hdr {
	uint16_t type; /* enum msw_ctl_type */
	uint8_t ver;   /* payload version, MSW_CTL_VER_<type> */
	uint8_t flags; /* enum msw_ctl_hdr_flags */
	uint32_t seq;
	uint32_t len; /* payload bytes after the header, <= MSW_CTL_PAYLOAD_MAX */
	int32_t status;
	uint64_t gen;
	uint32_t blob_end;
	uint32_t hdr_rsv; /* zero */
};

static_assert(offsetof(struct msw_ctl_hdr, type) == 0, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, ver) == 2, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, flags) == 3, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, seq) == 4, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, len) == 8, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, status) == 12, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, gen) == 16, "ABI");
static_assert(offsetof(struct msw_ctl_hdr, blob_end) == 24, "ABI");
static_assert(sizeof(struct msw_ctl_hdr) == 32, "ABI: record header");

#define MSW_CTL_PAYLOAD_MAX (MSW_CTL_REC_SIZE - sizeof(struct msw_ctl_hdr))

struct msw_ctl_rec {
	struct msw_ctl_hdr hdr;
	uint8_t payload[MSW_CTL_PAYLOAD_MAX];
};
static_assert(sizeof(struct msw_ctl_rec) == MSW_CTL_REC_SIZE, "ABI: record size");

/*
 * Reference to variable-length bytes in a blob area of the same region. off is the region
 * offset of the first data byte; the 16-byte struct msw_ctl_blob_hdr precedes it and must carry
 * the same len and gen, which lets a reader reject a stale or forged reference. gen == 0 means
 * "no blob".
 */
struct msw_ctl_blob_ref {
	uint32_t off;
	uint32_t len;
	uint32_t gen;
	uint16_t cls; /* enum msw_ctl_blob_class */
	uint16_t ref_rsv;
};
static_assert(sizeof(struct msw_ctl_blob_ref) == 16, "ABI");
static_assert(offsetof(struct msw_ctl_blob_ref, gen) == 8, "ABI");

#define MSW_CTL_BLOB_F_PAD 0x1 /* filler up to the end of the area; skip to position end */

struct msw_ctl_blob_hdr {
	uint32_t len;
	uint32_t gen;
	uint32_t end; /* free-running ring position just after this blob (incl. padding) */
	uint16_t cls;
	uint16_t flags;
};
static_assert(sizeof(struct msw_ctl_blob_hdr) == 16, "ABI");
static_assert(sizeof(struct msw_ctl_blob_hdr) == MSW_CTL_BLOB_ALIGN, "ABI");

/* ---- payloads ---- */

#define MSW_CTL_ASSERT_PAYLOAD(s)                                                                  \
	static_assert(sizeof(struct s) <= MSW_CTL_PAYLOAD_MAX, "ABI: " #s " fits a record");       \
	static_assert(sizeof(struct s) % 8 == 0, "ABI: " #s " has explicit tail padding")

struct msw_ctl_conf_id {
	char id[MSW_CTL_CONF_ID_MAX]; /* [A-Za-z0-9._-], not NUL-terminated */
	uint8_t len;                  /* 1..64 */
	uint8_t conf_id_pad[7];
};
static_assert(sizeof(struct msw_ctl_conf_id) == 72, "ABI");

struct msw_ctl_leg_key {
	struct msw_ctl_conf_id conf;
	char session_id[MSW_CTL_SESSION_MAX]; /* local MSRP session-id, not NUL-terminated */
	uint8_t session_id_len;               /* 1..48 */
	uint8_t leg_key_pad[7];
};
static_assert(offsetof(struct msw_ctl_leg_key, session_id) == 72, "ABI");
static_assert(sizeof(struct msw_ctl_leg_key) == 128, "ABI");

struct msw_ctl_addr {
	uint16_t family; /* 0 = none, AF_INET, AF_INET6 */
	uint16_t port;   /* host byte order */
	uint32_t addr_rsv;
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};
static_assert(sizeof(struct msw_ctl_addr) == 24, "ABI");

/* PING (v1) and its reply: echoed unchanged. */
#define MSW_CTL_VER_PING 1
struct msw_ctl_ping {
	uint64_t t_ns;
	uint64_t cookie;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_ping);

/* RESYNC_BEGIN reply (v1). */
#define MSW_CTL_VER_RESYNC_BEGIN 1
struct msw_ctl_resync_begin_r {
	uint32_t held; /* objects of this identity the data plane holds, now owned by the slot */
	uint32_t rb_rsv;
	uint64_t generation;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_resync_begin_r);

enum msw_ctl_obj_kind {
	MSW_CTL_OBJ_ANY = 0,
	MSW_CTL_OBJ_CONF = 1, /* key: conference id */
	MSW_CTL_OBJ_LEG = 2,  /* key: "<conference id>/<session-id>" */
};

enum msw_ctl_obj_filter {
	MSW_CTL_OBJ_ALL = 0,  /* every object */
	MSW_CTL_OBJ_MINE = 1, /* objects whose owner identity is the caller's */
};

/* OBJ_LIST (v1): one page of the registry as a blob of struct msw_ctl_obj_entry. */
#define MSW_CTL_VER_OBJ_LIST 1
struct msw_ctl_obj_list {
	uint32_t cursor; /* 0 to start; next_cursor of the previous page after */
	uint16_t filter; /* enum msw_ctl_obj_filter */
	uint16_t kind;   /* enum msw_ctl_obj_kind, 0 = any */
	uint32_t max;    /* entries per page, 0 = as many as fit */
	uint32_t ol_rsv;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_obj_list);

#define MSW_CTL_CURSOR_END UINT32_MAX

struct msw_ctl_obj_list_r {
	uint32_t count;
	uint32_t next_cursor; /* MSW_CTL_CURSOR_END when there is no more */
	struct msw_ctl_blob_ref entries;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_obj_list_r);

#define MSW_CTL_OBJ_F_ORPHAN 0x1 /* the owner's slot is gone; the identity may resync it */

struct msw_ctl_obj_entry {
	uint16_t kind;
	uint16_t key_len;
	uint16_t owner_slot; /* UINT16_MAX when orphaned */
	uint16_t flags;      /* MSW_CTL_OBJ_F_* */
	char owner[MSW_CTL_CLIENT_NAME];
	char key[MSW_CTL_OBJ_KEY_MAX];
};
static_assert(sizeof(struct msw_ctl_obj_entry) == 168, "ABI");

/* RESYNC_END (v1). */
#define MSW_CTL_VER_RESYNC_END         1
#define MSW_CTL_RESYNC_KEEP_UNREPLAYED 0x1 /* adopt, do not delete, what was not replayed */
struct msw_ctl_resync_end {
	uint32_t flags;
	uint32_t re_rsv;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_resync_end);

struct msw_ctl_resync_end_r {
	uint32_t confirmed; /* held objects the client replayed */
	uint32_t deleted;   /* held objects not replayed, deleted */
	uint32_t kept;      /* held objects not replayed, kept (KEEP_UNREPLAYED) */
	uint32_t re_r_rsv;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_resync_end_r);

/* STATS reply (v1): blob of n pairs {slot value, region value}, in msw_ctl_counters.def order. */
#define MSW_CTL_VER_STATS 1
struct msw_ctl_stats_r {
	uint32_t n;
	uint32_t state; /* enum msw_ctl_dp_state */
	struct msw_ctl_blob_ref values;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_stats_r);

/* DRAIN (v1). */
#define MSW_CTL_VER_DRAIN 1
struct msw_ctl_drain {
	uint32_t draining; /* 1: refuse new conferences/legs; 0: back to up */
	uint32_t dr_rsv;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_drain);

enum msw_ctl_cpim_policy {
	MSW_CTL_CPIM_WRAP = 0,     /* wrap plain messages in CPIM (RFC 3862) */
	MSW_CTL_CPIM_REQUIRED = 1, /* refuse non-CPIM messages */
	MSW_CTL_CPIM_OFF = 2,      /* pass bodies unchanged */
};

/* CONF_CREATE (v1). */
/*
 * v2 appends uri: the conference URI (the focus's IM Session Identity, CPIM To of group
 * messages and the URI a CPIM To must name for the whole conference); empty = derived
 * "sip:<id>@<data-plane host>". A v1 payload (88 bytes) is still accepted.
 */
#define MSW_CTL_VER_CONF_CREATE 2
struct msw_ctl_conf_create {
	struct msw_ctl_conf_id conf;
	uint32_t max_legs;
	uint32_t max_size;   /* largest message in bytes, 0 = data-plane default */
	uint8_t cpim_policy; /* enum msw_ctl_cpim_policy */
	uint8_t flags;       /* MSW_CTL_CONF_F_* (0 from clients that predate them) */
	uint8_t cc_pad[6];
	struct msw_ctl_blob_ref uri; /* v2: conference URI, class CTL; len 0 = derived */
};
#define MSW_CTL_CONF_CREATE_V1_LEN 88u
/*
 * Report each message's settlement: when every recipient answered (or failed) every chunk of
 * it, the data plane posts EV_MSG_DONE again with MSW_CTL_MSG_F_SETTLED. Large message mode
 * (OMA 4.2.1, LMM-07/08) tears the session down then; other conferences do not pay for it.
 */
#define MSW_CTL_CONF_F_SETTLED 0x1
/* Every message of the conference goes to the control plane as EV_HISTORY (conversation
 * history of the whole conference, OMA SIMPLE IM 5.8). */
#define MSW_CTL_CONF_F_HISTORY 0x2
/*
 * The conference forbids anonymity (policy "anonymity allowed" = no): a LEG_ADD with
 * anonymous = 1 is refused -EPERM. Absent (0, also from older clients) = allowed.
 */
#define MSW_CTL_CONF_F_NO_ANONYMOUS 0x4
/*
 * Large message mode (OMA SIMPLE IM 4.2.1, LMM-07): each participant sends at most one
 * message in this conference; a SEND that starts a second Message-ID is refused 403 and
 * not forwarded.
 */
#define MSW_CTL_CONF_F_ONE_MESSAGE 0x8
#define MSW_CTL_CONF_F_ALL                                                                         \
	(MSW_CTL_CONF_F_SETTLED | MSW_CTL_CONF_F_HISTORY | MSW_CTL_CONF_F_NO_ANONYMOUS |           \
	 MSW_CTL_CONF_F_ONE_MESSAGE)
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_conf_create);
static_assert(offsetof(struct msw_ctl_conf_create, max_legs) == 72, "ABI");
static_assert(offsetof(struct msw_ctl_conf_create, flags) == 81, "ABI");
static_assert(offsetof(struct msw_ctl_conf_create, uri) == MSW_CTL_CONF_CREATE_V1_LEN, "ABI");

/* CONF_DEL (v1). */
#define MSW_CTL_VER_CONF_DEL 1
struct msw_ctl_conf_del {
	struct msw_ctl_conf_id conf;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_conf_del);

/* CONF_LIST / LEG_LIST (v1): pages like OBJ_LIST; conf is used by LEG_LIST only. */
#define MSW_CTL_VER_LIST 1
struct msw_ctl_list {
	struct msw_ctl_conf_id conf;
	uint32_t cursor;
	uint32_t max;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_list);

struct msw_ctl_list_r {
	uint32_t count;
	uint32_t next_cursor;
	struct msw_ctl_blob_ref entries; /* format defined with the conference engine */
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_list_r);

enum msw_ctl_setup {
	MSW_CTL_SETUP_PASSIVE = 0, /* RFC 6135 a=setup:passive: we listen */
	MSW_CTL_SETUP_ACTIVE = 1,  /* a=setup:active: we connect to .connect */
};

/*
 * CONF_LIST entries (v1): the reply's blob is an array of count struct msw_ctl_conf_entry.
 * Paging: cursor = number of conferences already returned (the table's iteration order is
 * stable while no conference is created or deleted; a concurrent change may repeat or skip
 * one entry of a listing, never corrupt it).
 */
struct msw_ctl_conf_entry {
	struct msw_ctl_conf_id conf;
	uint32_t max_legs;
	uint32_t n_legs;   /* current members */
	uint64_t max_size; /* largest message in bytes (the default applied when created with 0) */
	uint8_t cpim_policy;
	uint8_t flags; /* MSW_CTL_CONF_F_* it was created with */
	uint8_t ce_pad[6];
};
static_assert(offsetof(struct msw_ctl_conf_entry, flags) == 89, "ABI");
static_assert(sizeof(struct msw_ctl_conf_entry) == 96, "ABI");

enum msw_ctl_leg_state {
	MSW_CTL_LEG_WAITING = 0, /* no connection bound yet */
	MSW_CTL_LEG_BOUND = 1,   /* an MSRP connection carries the session */
	MSW_CTL_LEG_CLOSED = 2,  /* its connection closed; the leg stays until LEG_DEL */
};

/*
 * LEG_LIST entries (v1): the reply's blob holds count variable-size records, each a struct
 * msw_ctl_leg_entry followed by its texts (not NUL-terminated) in this order: session-id,
 * local URI, path (SP-separated URIs), identity, alias, accept-types, accept-wrapped-types;
 * then zero padding to rec_len, a multiple of 8. Paging: cursor = members already returned.
 */
struct msw_ctl_leg_entry {
	uint16_t rec_len;
	uint8_t state;     /* enum msw_ctl_leg_state */
	uint8_t setup;     /* enum msw_ctl_setup */
	uint8_t anonymous; /* 1: identity hidden from the others */
	uint8_t direction; /* enum msw_ctl_direction */
	uint8_t flags;     /* MSW_CTL_LEG_F_* */
	uint8_t le_pad[1];
	uint32_t lcore; /* owner lcore when bound, UINT32_MAX otherwise */
	uint32_t le_rsv;
	uint64_t max_size; /* 0 = none */
	uint16_t session_id_len;
	uint16_t local_uri_len;
	uint16_t path_len;
	uint16_t identity_len;
	uint16_t alias_len;
	uint16_t accept_types_len;
	uint16_t accept_wrapped_types_len; /* text after accept-types (0 = none given) */
	uint16_t le_rsv2;
};
static_assert(offsetof(struct msw_ctl_leg_entry, direction) == 5, "ABI");
static_assert(offsetof(struct msw_ctl_leg_entry, accept_wrapped_types_len) == 36, "ABI");
static_assert(sizeof(struct msw_ctl_leg_entry) == 40, "ABI");

/*
 * The participant's SDP direction attribute, from its own view (RFC 4566 §6): SENDONLY = it
 * only sends (the switch sends it no copies), RECVONLY = it only receives (its SENDs with a
 * body are refused 403, RFC 4975 §10: the action is not allowed in this session).
 */
enum msw_ctl_direction {
	MSW_CTL_DIR_SENDRECV = 0,
	MSW_CTL_DIR_SENDONLY = 1,
	MSW_CTL_DIR_RECVONLY = 2,
};

/* LEG_ADD flags (msw_ctl_leg_add.flags). */
#define MSW_CTL_LEG_F_HISTORY 0x1 /* this participant's messages go out as EV_HISTORY */
#define MSW_CTL_LEG_F_ALL     MSW_CTL_LEG_F_HISTORY

/*
 * LEG_ADD. Blobs are in the slot's client->dp area, class CTL.
 * v2 (same 224 bytes, former la_pad): direction and flags; the accept_types blob may hold a
 * second line, "<accept-types>\n<accept-wrapped-types>" (the two SDP attribute values, RFC
 * 4975 §8.6: the media types a recipient takes inside message/cpim). A v1 payload has zeros
 * there (send and receive, no history) and one line (wrapped types not checked).
 */
#define MSW_CTL_VER_LEG_ADD 2
struct msw_ctl_leg_add {
	struct msw_ctl_leg_key leg;
	uint32_t max_size;
	uint8_t setup;     /* enum msw_ctl_setup */
	uint8_t anonymous; /* 1: hide the identity from other participants */
	uint8_t direction; /* v2: enum msw_ctl_direction */
	uint8_t flags;     /* v2: MSW_CTL_LEG_F_* */
	struct msw_ctl_addr connect;
	struct msw_ctl_blob_ref path;     /* remote To-Path: space-separated MSRP URIs */
	struct msw_ctl_blob_ref identity; /* SIP URI */
	struct msw_ctl_blob_ref alias;    /* display alias, UTF-8 */
	/* space-separated media types (RFC 4975 §8.6); v2: LF, then accept-wrapped-types */
	struct msw_ctl_blob_ref accept_types;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_leg_add);
static_assert(offsetof(struct msw_ctl_leg_add, direction) == 134, "ABI");
static_assert(offsetof(struct msw_ctl_leg_add, flags) == 135, "ABI");
static_assert(offsetof(struct msw_ctl_leg_add, connect) == 136, "ABI");
static_assert(offsetof(struct msw_ctl_leg_add, path) == 160, "ABI");
static_assert(offsetof(struct msw_ctl_leg_add, accept_types) == 208, "ABI");
static_assert(sizeof(struct msw_ctl_leg_add) == 224, "ABI");

struct msw_ctl_leg_add_r {
	struct msw_ctl_blob_ref local_uri; /* our MSRP URI for a=path, dp->client area */
	uint64_t leg_handle;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_leg_add_r);

/* LEG_SET (v1). */
#define MSW_CTL_VER_LEG_SET     1
#define MSW_CTL_LEG_SET_PATH    0x1
#define MSW_CTL_LEG_SET_CONNECT 0x2
/*
 * The leg stops being the connecting side: a dial-out offered a=setup:actpass and the answer
 * said active (RFC 6135 §4), so the participant connects and binds; only valid while the leg
 * has not connected yet (-EBUSY otherwise).
 */
#define MSW_CTL_LEG_SET_PASSIVE 0x4
struct msw_ctl_leg_set {
	struct msw_ctl_leg_key leg;
	uint32_t what; /* MSW_CTL_LEG_SET_* */
	uint32_t ls_rsv;
	struct msw_ctl_addr connect;
	struct msw_ctl_blob_ref path;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_leg_set);

/* LEG_DEL (v1). */
#define MSW_CTL_VER_LEG_DEL 1
struct msw_ctl_leg_del {
	struct msw_ctl_leg_key leg;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_leg_del);

/* EV_LEG_BOUND / EV_LEG_CLOSED (v1). */
#define MSW_CTL_VER_EV_LEG 1
struct msw_ctl_ev_leg {
	struct msw_ctl_leg_key leg;
	int32_t error; /* 0 or -errno of the cause */
	/*
	 * EV_LEG_CLOSED: why (dataplane/switch/sw.h SW_CLOSE_REASON_LIST, docs/ctl-abi.md):
	 * 0 DELETED (LEG_DEL / CONF_DEL), 1 CONN_CLOSED (its connection closed), 2 PROTOCOL
	 * (the peer broke MSRP framing), 3 SLOW (slow-recipient policy disconnect).
	 * EV_LEG_BOUND: 0.
	 */
	uint32_t reason;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_ev_leg);

/* EV_MSG_DONE / EV_HISTORY (v2). */
#define MSW_CTL_MSG_F_SETTLED 0x1 /* every recipient is done with it (MSW_CTL_CONF_F_SETTLED) */
#define MSW_CTL_VER_EV_MSG    2   /* v2: chunk_offset (EV_HISTORY) */
struct msw_ctl_ev_msg {
	struct msw_ctl_leg_key leg; /* sender */
	char message_id[MSW_CTL_MSGID_MAX];
	uint64_t msg_len;
	/*
	 * EV_MSG_DONE: MSW_CTL_MSG_F_* (0 = the last chunk arrived from the sender).
	 * EV_HISTORY: the continuation flag of these bytes as an ASCII char ('$' last, '+' more
	 * follow, '#' aborted; RFC 4975 §7.1).
	 */
	uint32_t msg_flags;
	uint32_t em_rsv;
	struct msw_ctl_blob_ref body;         /* EV_HISTORY: message bytes, class HISTORY */
	struct msw_ctl_blob_ref content_type; /* EV_HISTORY: class HISTORY */
	/*
	 * EV_HISTORY (v2): 0-based position of body's first byte in the message (Byte-Range
	 * start - 1, RFC 4975 §7.1.1), so a history store can place chunks that arrive in
	 * pieces or out of order; 0 in EV_MSG_DONE.
	 */
	uint64_t chunk_offset;
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_ev_msg);

/* EV_FINAL_REPORT (v1). */
#define MSW_CTL_VER_EV_REPORT 1
struct msw_ctl_ev_report {
	struct msw_ctl_leg_key leg; /* sender */
	char message_id[MSW_CTL_MSGID_MAX];
	uint32_t recipients;
	uint32_t delivered;
	uint32_t failed;
	uint32_t status;                /* aggregated MSRP status code (RFC 4975 §7.1.2) */
	struct msw_ctl_blob_ref detail; /* per-recipient statuses, class REPORT */
};
MSW_CTL_ASSERT_PAYLOAD(msw_ctl_ev_report);

/* ---- helpers shared by both sides ---- */

static inline struct msw_ctl_slot *
msw_ctl_region_slot(const struct msw_ctl_region_hdr *h, uint32_t i)
{
	return (struct msw_ctl_slot *)((uint8_t *)h + h->off_slots + (size_t)i * h->slot_stride);
}

static inline struct msw_ctl_counters *
msw_ctl_region_counters(const struct msw_ctl_region_hdr *h)
{
	return (struct msw_ctl_counters *)((uint8_t *)h + h->off_counters);
}

/* Region offset of slot i's client->dp blob area; its dp->client area follows it. */
static inline uint64_t
msw_ctl_region_blob_off(const struct msw_ctl_region_hdr *h, uint32_t i)
{
	return h->off_blob + (uint64_t)i * ((uint64_t)h->blob_c2d_size + h->blob_d2c_size);
}

/* Single-writer counter add (house style 22): load + store, no locked RMW. */
static inline void
msw_ctl_cnt_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* true if s[0..len) is a valid CONF_ID: 1..64 of [A-Za-z0-9._-]. */
static inline bool
msw_ctl_conf_id_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MSW_CTL_CONF_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}
