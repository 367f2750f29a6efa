/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel server: the data-plane side of the shared-memory control channel
 * (docs/ctl-abi.md). The data plane creates the region, then its control lcore calls
 * ctl_server_poll() from its housekeeping loop; handlers registered per message type run
 * inside that call.
 *
 * Thread-safety: a struct ctl_server and everything reached from it is owned by the single
 * thread that calls ctl_server_poll() (the control lcore). Nothing here blocks: posting a
 * reply or event never waits (full -> dropped and counted); the only syscalls are a futex
 * wake when a client sleeps and a rate-limited kill(pid, 0) liveness probe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctl/ctl_types.h"

struct ctl_server;
struct ctl_server_req;

struct ctl_server_params {
	const char *instance; /* NULL: $MSW_INSTANCE or "default" */
	uint32_t n_slots;     /* MSW_CTL_SLOTS_MIN..MSW_CTL_SLOTS_MAX */
	uint32_t ring_cap;    /* records per ring, power of two, 8..65536 */
	uint32_t blob_c2d;    /* bytes per slot, client -> dp, power of two >= 4096 */
	uint32_t blob_d2c;    /* bytes per slot, dp -> client, power of two >= 4096 */
	uint32_t blob_budget[MSW_CTL_BLOB_CLASS_MAX]; /* per slot and class, 0 = blob_d2c */
	uint32_t max_objects;                         /* ownership registry capacity */
	uint32_t liveness_ms;                         /* period of the dead-client check */
};

/* Defaults: 16 slots, 256 records, 64 KiB / 256 KiB blobs, history 1/2 and report 1/4 of d2c. */
void ctl_server_params_default(struct ctl_server_params *p);

/*
 * Creates (or adopts) the region "/msw.<instance>" and starts a new generation. If a region with
 * the same ABI and geometry exists (previous data plane), live clients keep their slots and
 * learn the new generation; dead clients' slots are reclaimed. Otherwise the old region is
 * marked down and replaced. Holds an exclusive flock() on the region for its lifetime, so a
 * second data plane of the same instance fails with EBUSY.
 * Returns NULL with errno: EINVAL (params), EBUSY (another data plane), or a shm/mmap errno.
 */
struct ctl_server *ctl_server_create(const struct ctl_server_params *p);
/*
 * 1 if a data plane currently serves instance (it holds the region's lock), 0 if not, or a
 * negative errno (-EINVAL for a bad name). For a clear refusal before any other start-up work.
 */
int ctl_server_instance_busy(const char *instance);

/*
 * Marks the region down and wakes every client. unlink: remove the name too (final shutdown);
 * otherwise the region stays so that clients keep their slots across a data-plane restart.
 * Accepts NULL.
 */
void ctl_server_destroy(struct ctl_server *s, bool unlink);

/*
 * A command handler. Runs inside ctl_server_poll(). Returns the reply status (0 or -errno);
 * the library posts the reply with the payload the handler left in ctl_server_req_reply_buf()
 * unless the handler already called ctl_server_reply().
 */
typedef int ctl_server_handler(struct ctl_server_req *req, void *arg);

/* Registers the handler for a command type; -EINVAL for event types or channel types. */
int ctl_server_register(struct ctl_server *s, uint16_t type, ctl_server_handler *fn, void *arg);

/*
 * Serves up to max_cmds commands over all slots (round robin), notices claims, detaches and
 * dead clients, refreshes blob budgets and the heartbeat. Never blocks. Returns the number of
 * commands served.
 */
unsigned int ctl_server_poll(struct ctl_server *s, unsigned int max_cmds);

/*
 * For a control thread with nothing else to do: sleeps on the data-plane doorbell until a client
 * rings it or timeout_ms passes. Returns 0 (woken / work pending) or -ETIMEDOUT.
 */
int ctl_server_wait(struct ctl_server *s, uint32_t timeout_ms);

/* ---- inside a handler ---- */

struct ctl_server *ctl_server_req_server(const struct ctl_server_req *req);
uint32_t ctl_server_req_slot(const struct ctl_server_req *req);
const struct msw_ctl_hdr *ctl_server_req_hdr(const struct ctl_server_req *req);
/* The payload (a private copy; len bytes, zero-filled up to MSW_CTL_PAYLOAD_MAX). */
const void *ctl_server_req_payload(const struct ctl_server_req *req, uint32_t *len);
/* The client's identity (slot name). */
const char *ctl_server_req_client(const struct ctl_server_req *req);
bool ctl_server_req_is_replay(const struct ctl_server_req *req);

/*
 * Resolves a client->dp blob referenced by the command. Returns its length and sets *data, or
 * -EINVAL for a bad reference. Valid until the handler returns (copy what you keep).
 */
int ctl_server_req_blob(const struct ctl_server_req *req, const struct msw_ctl_blob_ref *ref,
                        const void **data);

/* Reply payload buffer (MSW_CTL_PAYLOAD_MAX bytes); set the length with ..._reply_len(). */
void *ctl_server_req_reply_buf(struct ctl_server_req *req);
void ctl_server_req_reply_len(struct ctl_server_req *req, uint32_t len);

/*
 * Posts the reply now, with blobs (all or nothing; if they do not fit the budget the reply is
 * posted with status -ENOBUFS and no blobs). At most once per request. Returns the status
 * actually sent.
 */
int ctl_server_reply(struct ctl_server_req *req, int status, const void *payload, uint32_t len,
                     const struct ctl_blob_src *blobs, unsigned int n_blobs);

/* ---- events ---- */

/*
 * Posts an event to a slot, with its blobs, all or nothing. Never blocks: returns 0, or
 * -ENOTCONN (slot not claimed), -ENOBUFS (ring full or blob budget/space exhausted), -EINVAL;
 * every failure is counted as a drop reason (msw_ctl_counters.def).
 */
int ctl_server_evt_post(struct ctl_server *s, uint32_t slot, uint16_t type, uint8_t ver,
                        const void *payload, uint32_t len, const struct ctl_blob_src *blobs,
                        unsigned int n_blobs);

/* ---- ownership registry (resync) ---- */

/*
 * Records that the requesting client owns (kind, key). Returns 0 if created, 1 if this identity
 * already held it and the request is a resync replay (the object is confirmed; do not create it
 * again), -EEXIST if it exists otherwise, -ENOSPC if the registry is full, -EINVAL.
 */
int ctl_server_obj_add(struct ctl_server_req *req, uint16_t kind, const void *key, uint16_t key_len,
                       uint64_t user);

/* Forgets (kind, key). Returns 0 or -ENOENT. */
int ctl_server_obj_del(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len);

struct ctl_server_obj {
	uint16_t owner_slot; /* UINT16_MAX if orphaned */
	char owner[MSW_CTL_CLIENT_NAME];
	uint64_t user;
};

/* Returns 0 and fills out (may be NULL), or -ENOENT. */
int ctl_server_obj_lookup(struct ctl_server *s, uint16_t kind, const void *key, uint16_t key_len,
                          struct ctl_server_obj *out);

/* Number of objects of kind (0 = any) owned by identity owner (NULL = any). */
uint32_t ctl_server_obj_count(struct ctl_server *s, uint16_t kind, const char *owner);

/*
 * Called at RESYNC_END for each object the owner did not replay, before the registry forgets
 * it: the engine deletes the real object (conference, leg).
 */
typedef void ctl_server_obj_del_fn(struct ctl_server *s, uint16_t kind, const void *key,
                                   uint16_t key_len, uint64_t user, void *arg);
void ctl_server_set_obj_del(struct ctl_server *s, uint16_t kind, ctl_server_obj_del_fn *fn,
                            void *arg);

/* ---- introspection ---- */

uint64_t ctl_server_generation(const struct ctl_server *s);
struct msw_ctl_region_hdr *ctl_server_region(const struct ctl_server *s);
uint32_t ctl_server_n_slots(const struct ctl_server *s);
/* true if the slot is claimed and the server has seen the claim. */
bool ctl_server_slot_active(const struct ctl_server *s, uint32_t slot);
uint64_t ctl_server_cnt(const struct ctl_server *s, enum msw_ctl_cnt id);
uint64_t ctl_server_slot_cnt(const struct ctl_server *s, uint32_t slot, enum msw_ctl_cnt id);
/* Bytes of blob class cls the slot's client has not released yet. */
uint32_t ctl_server_slot_blob_inflight(const struct ctl_server *s, uint32_t slot, uint16_t cls);

/*
 * Publishes the data plane's counter names (from its X-macro) for n_lcores lcores. Returns 0 or
 * -EINVAL (too many, name too long). Then each lcore writes its row (ctl_server_counters_row).
 */
int ctl_server_counters_define(struct ctl_server *s, const char *const *names, uint32_t n,
                               uint32_t n_lcores);
_Atomic uint64_t *ctl_server_counters_row(struct ctl_server *s, uint32_t lcore);
