/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * daemon: the msw-dataplane process (docs/dataplane.md). Turns a config snapshot into EAL
 * arguments, ports, per-worker mempools and workers (dataplane/worker), the conference
 * switch engine (dataplane/switch) and the control-channel server (common/ctl), then runs
 * the control loop: control commands, events from the workers to the control plane,
 * counters, drain, SIGHUP reload, telemetry.
 *
 * Threads: the main lcore is the control thread. When eal.lcores has no CPU beyond the
 * workers, the main lcore is also worker 0 and runs the control step every few iterations
 * of its loop; other workers run on their own lcores. Every thread that touches the engine
 * is a registered liburcu QSBR reader.
 *
 * Thread-safety: struct dpd is owned by the control thread; workers read only `phase`
 * (atomic) and their own struct wk.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"

/* Counters of the control thread: DPD_CNT(symbol, name, description); row after the workers. */
#define DPD_CNT_LIST(X)                                                                            \
	X(CMDS, cmds, "control commands applied (conference and leg)")                             \
	X(CMDS_FAILED, cmds_failed, "control commands refused (their -errno went back)")           \
	X(EVT_POSTED, evt_posted, "events posted to control-plane slots")                          \
	X(EVT_NO_OWNER, evt_no_owner, "events dropped: nobody owns the leg or conference")         \
	X(EVT_POST_FAILED, evt_post_failed, "events dropped: slot ring or blob budget full")       \
	X(RELOADS, reloads, "SIGHUP reloads applied")                                              \
	X(RELOAD_FAILED, reload_failed,                                                            \
	  "SIGHUP reloads refused (invalid file, running config kept)")                            \
	X(RESYNC_DELETED, resync_deleted,                                                          \
	  "objects deleted because their owner did not replay them")                               \
	X(G_CONFERENCES, g_conferences, "gauge: conferences in the engine")                        \
	X(G_LEGS, g_legs, "gauge: legs in the engine")

enum dpd_cnt {
#define DPD_CNT_ENUM(sym, name, doc) DPD_CNT_##sym,
	DPD_CNT_LIST(DPD_CNT_ENUM)
#undef DPD_CNT_ENUM
	        DPD_CNT_MAX
};

/*
 * Builds the EAL argument vector from the config: argv0, eal.args, -l eal.lcores, the
 * hugepage mode (auto: --in-memory when the host has free hugepages, else --no-huge) and
 * --file-prefix=msw-<instance> so two instances never share DPDK runtime files. The strings
 * are allocated; free with dpd_eal_argv_free(). Returns argc or -ENOMEM.
 */
int dpd_eal_argv(const struct msw_cfg *cfg, const char *argv0, const char *instance, char ***argv);
void dpd_eal_argv_free(int argc, char **argv);

struct dpd;

/*
 * Sets everything up after rte_eal_init(): ports, pools, workers, engine, control channel.
 * Takes cfg over (freed by dpd_destroy(), replaced on SIGHUP); cfg_path is kept for SIGHUP. On
 * failure returns NULL and writes a reason into err (with the config file:line when a setting is at
 * fault).
 */
struct dpd *dpd_create(struct msw_cfg *cfg, const char *cfg_path, const char *instance, char *err,
                       size_t errlen);
/* Runs until dpd_request_stop() or the end of a drain. Returns the exit status. */
int dpd_run(struct dpd *d);
/* Async-signal-safe: SIGINT/SIGTERM -> stop, SIGHUP -> reload. */
void dpd_request_stop(void);
void dpd_request_reload(void);
/* Closes the connections, marks the channel down (kept for the clients), frees. */
void dpd_destroy(struct dpd *d);

/* ---- control-channel handlers (dpd_ctl.c) ---- */
struct ctl_server;
struct sw_engine;
struct wk_evt;
int dpd_ctl_register(struct dpd *d, struct ctl_server *s);
/* Posts one worker event to the slot that owns its leg (or conference). */
void dpd_evt_forward(void *arg, const struct wk_evt *ev);
struct sw_engine *dpd_engine(struct dpd *d);
/* Posts every event the workers (and the control thread itself) have queued, now. */
void dpd_flush_events(struct dpd *d);
void dpd_cnt_add(struct dpd *d, enum dpd_cnt id, uint64_t n);
bool dpd_draining(const struct dpd *d);
uint32_t dpd_next_dial_lcore(struct dpd *d);
struct ctl_server *dpd_ctl(struct dpd *d);

/* ---- telemetry (dpd_telemetry.c): /msw/stats, /msw/lcore ---- */
int dpd_telemetry_register(struct dpd *d);
/* Sum over rows of counter i, for telemetry and tests. */
uint64_t dpd_counter_total(const struct dpd *d, uint32_t i);
uint32_t dpd_counter_count(const struct dpd *d);
const char *dpd_counter_name(const struct dpd *d, uint32_t i);
uint32_t dpd_rows(const struct dpd *d);
uint64_t dpd_counter_row(const struct dpd *d, uint32_t row, uint32_t i);
