/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel client: the side used by the control plane, mswctl and tests
 * (docs/ctl-abi.md). A client attaches to the region of an instance, claims one slot with a CAS
 * of its PID, sends commands with sequence numbers and waits for their replies on a futex
 * doorbell (no busy polling), receives events, notices a data-plane restart through the
 * generation and runs the resync protocol.
 *
 * Thread-safety: a struct ctl_client is used by one thread at a time (it is the single producer
 * of its command ring and the single consumer of its event ring). Several clients may live in
 * one process, each with its own slot.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctl/ctl_types.h"

struct ctl_client;

/*
 * Attaches to "/msw.<instance>" (instance NULL: $MSW_INSTANCE or "default") and claims a free
 * slot under identity name (1..31 bytes; objects are owned by identity, so a restarted client
 * uses the same name to get its objects back through ctl_client_resync()).
 * Returns NULL with errno: ENOENT (no data plane ever created the region), EPROTO (other ABI
 * version), EBUSY (no free slot), EADDRINUSE (a live client already uses this name), EINVAL.
 * Works while the data plane is down: commands queue until it is up.
 */
struct ctl_client *ctl_client_attach(const char *instance, const char *name);

/* Releases the slot (the data plane resets it; objects stay with the identity). Accepts NULL. */
void ctl_client_detach(struct ctl_client *c);

uint32_t ctl_client_slot(const struct ctl_client *c);

/* Generation this client is synchronised with (commands carry it). */
uint64_t ctl_client_generation(const struct ctl_client *c);

/* true if the data plane's current generation differs: the client must ctl_client_resync(). */
bool ctl_client_gen_changed(const struct ctl_client *c);

/* true if the data plane is up (or draining) and its PID is alive. */
bool ctl_client_dp_alive(const struct ctl_client *c);

/* Waits until the data plane is up (or draining). 0 or -ETIMEDOUT. */
int ctl_client_wait_dp(struct ctl_client *c, uint32_t timeout_ms);

struct msw_ctl_region_hdr *ctl_client_region(const struct ctl_client *c);

/*
 * Sends one command without waiting. blobs go to the slot's client->dp blob area and their
 * references into the payload. Returns 0 and sets *seq (may be NULL), or -EAGAIN (command ring
 * full), -ENOBUFS (blob area full), -EMSGSIZE, -EINVAL, -ENOTCONN (slot lost).
 */
int ctl_client_send(struct ctl_client *c, uint16_t type, uint8_t ver, const void *payload,
                    uint32_t len, const struct ctl_blob_src *blobs, unsigned int n_blobs,
                    uint32_t *seq);

/*
 * Receives the next reply or event (copied into *m). Waits up to timeout_ms on the doorbell
 * (0 = do not wait). The blobs of the previously received message are released first, so a
 * message's blobs stay readable (ctl_client_blob) until the next receive or call.
 * Returns 0, -ETIMEDOUT, -EPIPE (data plane down or dead), -ENOTCONN, -EBADMSG (ring corrupt).
 */
int ctl_client_recv(struct ctl_client *c, struct ctl_msg *m, uint32_t timeout_ms);

/*
 * For a waker thread of an event loop (the one call allowed from a thread other than the
 * client's own): sleeps on the slot's doorbell until an event or reply record is waiting or
 * timeout_ms pass, without receiving anything. It reads only the doorbell and the event
 * ring's indices, so the owning thread keeps calling ctl_client_recv() meanwhile; the loop
 * wakes when this returns 0 and drains with ctl_client_recv(c, m, 0). Returns 0 (something
 * to receive, or the data plane rang: it does when it comes up) or -ETIMEDOUT.
 */
int ctl_client_wait_event(struct ctl_client *c, uint32_t timeout_ms);

/*
 * Resolves a blob referenced by the last received message. Returns its length and sets *data,
 * or -EINVAL.
 */
int ctl_client_blob(struct ctl_client *c, const struct msw_ctl_blob_ref *ref, const void **data);

/* Events received while a call waits for its reply go here (valid during the callback only). */
typedef void ctl_client_event_fn(struct ctl_client *c, const struct ctl_msg *m, void *arg);
void ctl_client_set_event_cb(struct ctl_client *c, ctl_client_event_fn *fn, void *arg);

/*
 * Sends a command and waits for its reply (matched by sequence number). Returns the reply's
 * status (0 or the data plane's -errno, e.g. -ESTALE after a data-plane restart), or a local
 * error: -ETIMEDOUT, -EPIPE, -EAGAIN... reply may be NULL.
 */
int ctl_client_call(struct ctl_client *c, uint16_t type, uint8_t ver, const void *payload,
                    uint32_t len, const struct ctl_blob_src *blobs, unsigned int n_blobs,
                    struct ctl_msg *reply, uint32_t timeout_ms);

struct ctl_client_resync_ops {
	/* An object the data plane holds for this identity (may be NULL). */
	void (*held)(struct ctl_client *c, const struct msw_ctl_obj_entry *e, void *arg);
	/* Re-send every object the client owns (their commands carry MSW_CTL_F_REPLAY). */
	int (*replay)(struct ctl_client *c, void *arg);
};

/*
 * Resync protocol (docs/ctl-abi.md): adopt the current generation, RESYNC_BEGIN, page through
 * OBJ_LIST (mine) calling ops->held, ops->replay, RESYNC_END(flags). Objects of other
 * identities are untouched. Returns 0 and fills *out (may be NULL), or a negative errno
 * (-ESTALE: the data plane restarted again meanwhile; start over).
 */
int ctl_client_resync(struct ctl_client *c, const struct ctl_client_resync_ops *ops, void *arg,
                      uint32_t flags, uint32_t timeout_ms, struct msw_ctl_resync_end_r *out);

struct ctl_client_stats {
	uint64_t stale_replies;  /* replies nobody waited for any more (timed-out calls) */
	uint64_t events_ignored; /* events received by a call with no event callback */
};
void ctl_client_get_stats(const struct ctl_client *c, struct ctl_client_stats *st);

/* Sum over lcores of data-plane counter name. 0 and *val, or -ENOENT. */
int ctl_client_counter(const struct ctl_client *c, const char *name, uint64_t *val);
