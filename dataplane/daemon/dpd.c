/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctl/ctl_server.h"
#include "daemon/dpd.h"
#include "log/log.h"
#include "switch/sw.h"
#include "worker/wk.h"

LOG_TYPE_DEFINE(dpd_log, "msw.dp")

#define DPD_CTRS_MAX MSW_CTL_CTRS_MAX

enum dpd_phase {
	DPD_RUN = 0,
	DPD_CLOSING, /* workers close their connections */
	DPD_STOPPED, /* workers leave their loops */
};

static volatile sig_atomic_t dpd_stop_flag, dpd_reload_flag;

void
dpd_request_stop(void)
{
	dpd_stop_flag = 1;
}

void
dpd_request_reload(void)
{
	dpd_reload_flag = 1;
}

static const char *const dpd_cnt_names[DPD_CNT_MAX] = {
#define DPD_CNT_NAME(sym, name, doc) #name,
        DPD_CNT_LIST(DPD_CNT_NAME)
#undef DPD_CNT_NAME
};

struct dpd_worker {
	struct wk *w;
	struct rte_mempool *pool, *big_pool;
	unsigned int lcore_id;
	bool is_main;
	struct dpd *d;
};

struct dpd {
	struct msw_cfg *cfg;
	char *cfg_path;
	char instance[32];
	struct port port;
	bool port_open;
	struct wk_set set;
	struct dpd_worker wks[SW_LCORES_MAX];
	uint32_t n_workers;
	bool main_is_worker;
	struct sw_engine *eng;
	struct ctl_server *ctl;
	_Atomic uint64_t *ctl_row;
	uint32_t n_names, wk_names;
	char names_buf[DPD_CTRS_MAX][32];
	const char *names[DPD_CTRS_MAX];
	uint64_t cnt[DPD_CNT_MAX];
	_Atomic int phase;
	bool draining;
	uint32_t dial_rr;
	uint64_t next_drain_check;
	char authority[64];
};

struct sw_engine *
dpd_engine(struct dpd *d)
{
	return d->eng;
}

struct ctl_server *
dpd_ctl(struct dpd *d)
{
	return d->ctl;
}

void
dpd_cnt_add(struct dpd *d, enum dpd_cnt id, uint64_t n)
{
	__atomic_store_n(&d->cnt[id], __atomic_load_n(&d->cnt[id], __ATOMIC_RELAXED) + n,
	                 __ATOMIC_RELAXED);
}

bool
dpd_draining(const struct dpd *d)
{
	return d->draining;
}

uint32_t
dpd_next_dial_lcore(struct dpd *d)
{
	/* Active legs are spread over the workers; each dials from its own stack. */
	return d->dial_rr++ % d->n_workers;
}

uint32_t
dpd_counter_count(const struct dpd *d)
{
	return d->n_names;
}

const char *
dpd_counter_name(const struct dpd *d, uint32_t i)
{
	return i < d->n_names ? d->names[i] : NULL;
}

uint32_t
dpd_rows(const struct dpd *d)
{
	return d->n_workers + 1;
}

uint64_t
dpd_counter_row(const struct dpd *d, uint32_t row, uint32_t i)
{
	_Atomic uint64_t *r;

	if (row > d->n_workers || i >= d->n_names)
		return 0;
	r = ctl_server_counters_row(d->ctl, row);
	return r != NULL ? atomic_load_explicit(&r[i], memory_order_relaxed) : 0;
}

uint64_t
dpd_counter_total(const struct dpd *d, uint32_t i)
{
	uint64_t t = 0;

	for (uint32_t r = 0; r <= d->n_workers; r++)
		t += dpd_counter_row(d, r, i);
	return t;
}

/* ---- setup ---- */

static int dpd_fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * ctl.blob_bytes over the slots: the largest power of two per slot toward the client
 * (history copies and reports travel there), a quarter of it toward the data plane.
 */
static void
dpd_ctl_params(const struct msw_cfg *cfg, struct ctl_server_params *p)
{
	uint64_t per_slot = cfg->ctl.blob_bytes / p->n_slots;
	uint32_t d2c = 4096;

	while ((uint64_t)d2c * 2 <= per_slot && d2c < (1u << 30))
		d2c *= 2;
	p->blob_d2c = d2c;
	p->blob_c2d = d2c / 4 >= 4096 ? d2c / 4 : 4096;
	p->blob_budget[MSW_CTL_BLOB_HISTORY] = d2c / 2;
	p->blob_budget[MSW_CTL_BLOB_REPORT] = d2c / 4;
	p->max_objects = cfg->ctl.max_objects;
}

static int
dpd_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The ethdev of a port entry: an existing one ("net_<name>" from eal.args) or hot-plugged. */
static int
dpd_port_open(struct dpd *d, const struct cfg_port *cp, char *err, size_t errlen)
{
	static const char *const drv[] = {"pci", "tap", "memif", "ring", "null"};
	struct port_desc pd;
	char name[RTE_ETH_NAME_MAX_LEN], devargs[512], mac[32] = "";
	char perr[256];
	uint16_t pid;
	const char *dn = drv[cp->driver < RTE_DIM(drv) ? cp->driver : 0];

	memset(&pd, 0, sizeof(pd));
	if (cp->mac.set)
		snprintf(mac, sizeof(mac), ",mac=%02x:%02x:%02x:%02x:%02x:%02x", cp->mac.bytes[0],
		         cp->mac.bytes[1], cp->mac.bytes[2], cp->mac.bytes[3], cp->mac.bytes[4],
		         cp->mac.bytes[5]);
	if (cp->driver == CFG_PORT_DRIVER_PCI) {
		snprintf(name, sizeof(name), "%s", cp->pci);
		devargs[0] = '\0';
	} else {
		/* "tap0" -> net_tap0 (what eal.args' --vdev=net_tap0 creates), else net_tap_<name>.
		 */
		if (strncmp(cp->name, dn, strlen(dn)) == 0)
			snprintf(name, sizeof(name), "net_%s", cp->name);
		else
			snprintf(name, sizeof(name), "net_%s_%s", dn, cp->name);
		switch (cp->driver) {
		case CFG_PORT_DRIVER_TAP:
			snprintf(devargs, sizeof(devargs), "%s,iface=%s%s", name, cp->iface, mac);
			break;
		case CFG_PORT_DRIVER_MEMIF:
			snprintf(devargs, sizeof(devargs),
			         "%s,role=%s,socket=%s,socket-abstract=no%s", name,
			         cp->memif_role == CFG_MEMIF_ROLE_CLIENT ? "client" : "server",
			         cp->memif_socket, mac);
			break;
		default:
			snprintf(devargs, sizeof(devargs), "%s", name);
			break;
		}
	}
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0 && devargs[0] == '\0')
		return dpd_fail(err, errlen,
		                "%s:%u: dataplane.ports.%s: no ethdev %s (is it bound to a DPDK "
		                "driver and allowed by eal.args?)",
		                d->cfg->source, cp->line, cp->name, name);
	pd.name = name;
	pd.devargs = devargs[0] != '\0' ? devargs : NULL;
	pd.nb_queues = (uint16_t)d->n_workers;
	pd.rss = cp->rss;
	for (uint32_t i = 0; i < d->n_workers; i++)
		pd.pools[i] = d->wks[i].pool;
	pd.seed = (uint64_t)rte_rdtsc();
	if (port_open(&d->port, &pd, perr, sizeof(perr)) != 0)
		return dpd_fail(err, errlen, "%s:%u: dataplane.ports.%s: %s", d->cfg->source,
		                cp->line, cp->name, perr);
	d->port_open = true;
	return 0;
}

static int
dpd_counters_setup(struct dpd *d, char *err, size_t errlen)
{
	uint32_t n = wk_counter_names(d->names, d->names_buf, DPD_CTRS_MAX);

	d->wk_names = n;
	for (uint32_t i = 0; i < DPD_CNT_MAX; i++) {
		if (n < DPD_CTRS_MAX) {
			snprintf(d->names_buf[n], 32, "ctl_%s", dpd_cnt_names[i]);
			d->names[n] = d->names_buf[n];
		}
		n++;
	}
	if (n > DPD_CTRS_MAX)
		return dpd_fail(err, errlen, "%u counters, the shm block holds %u", n,
		                DPD_CTRS_MAX);
	d->n_names = n;
	/* One row per worker plus the control thread's. */
	if (ctl_server_counters_define(d->ctl, d->names, n, d->n_workers + 1) != 0)
		return dpd_fail(err, errlen, "counters block refused the layout");
	d->ctl_row = ctl_server_counters_row(d->ctl, d->n_workers);
	return 0;
}

static void
dpd_publish_ctl(struct dpd *d)
{
	uint64_t confs = 0, legs = 0;

	if (d->eng != NULL)
		sw_engine_objects(d->eng, &confs, &legs);
	__atomic_store_n(&d->cnt[DPD_CNT_G_CONFERENCES], confs, __ATOMIC_RELAXED);
	__atomic_store_n(&d->cnt[DPD_CNT_G_LEGS], legs, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < DPD_CNT_MAX && d->ctl_row != NULL; i++)
		atomic_store_explicit(&d->ctl_row[d->wk_names + i],
		                      __atomic_load_n(&d->cnt[i], __ATOMIC_RELAXED),
		                      memory_order_relaxed);
}

struct dpd *
dpd_create(struct msw_cfg *cfg, const char *cfg_path, const char *instance, char *err,
           size_t errlen)
{
	const struct cfg_port *cp = &cfg->dataplane.ports.v[0];
	struct ctl_server_params cpar;
	struct sw_params sp;
	unsigned int lcore;
	uint32_t n_lcores = rte_lcore_count();
	struct dpd *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		dpd_fail(err, errlen, "out of memory");
		cfg_free(cfg);
		return NULL;
	}
	d->cfg = cfg;
	d->cfg_path = cfg_path != NULL ? strdup(cfg_path) : NULL;
	snprintf(d->instance, sizeof(d->instance), "%s", instance);
	d->n_workers = cfg->dataplane.workers;
	if (cfg->dataplane.ports.n != 1) {
		dpd_fail(err, errlen,
		         "%s:%u: dataplane.ports: %u ports given; this data plane drives exactly "
		         "one",
		         cfg->source, cfg->dataplane.ports.v[cfg->dataplane.ports.n > 1].line,
		         cfg->dataplane.ports.n);
		goto fail;
	}
	if (d->n_workers > SW_LCORES_MAX) {
		dpd_fail(err, errlen, "%s: dataplane.workers: at most %u", cfg->source,
		         SW_LCORES_MAX);
		goto fail;
	}
	if (d->n_workers > 1 && cp->rss && cp->queues < d->n_workers) {
		dpd_fail(err, errlen,
		         "%s:%u: dataplane.ports.%s: %u workers with rss need queues >= %u (one "
		         "per worker)",
		         cfg->source, cp->line, cp->name, d->n_workers, d->n_workers);
		goto fail;
	}
	if (n_lcores < d->n_workers) {
		dpd_fail(err, errlen, "%s: eal.lcores '%s' has %u CPUs for %u workers", cfg->source,
		         cfg->eal.lcores, n_lcores, d->n_workers);
		goto fail;
	}
	/* Spare CPU: the main lcore only controls; otherwise it is also worker 0. */
	d->main_is_worker = n_lcores == d->n_workers;
	lcore = rte_get_main_lcore();
	for (uint32_t i = 0; i < d->n_workers; i++) {
		char pname[RTE_MEMPOOL_NAMESIZE];
		struct dpd_worker *dw = &d->wks[i];

		if (i == 0 && d->main_is_worker) {
			dw->lcore_id = lcore;
			dw->is_main = true;
		} else {
			lcore = rte_get_next_lcore(lcore, 1, 0);
			dw->lcore_id = lcore;
		}
		dw->d = d;
		snprintf(pname, sizeof(pname), "dp_pool_%u", i);
		dw->pool = rte_pktmbuf_pool_create(pname, cfg->tcp.mbufs_per_lcore, 256, 0,
		                                   RTE_MBUF_DEFAULT_BUF_SIZE,
		                                   (int)rte_lcore_to_socket_id(dw->lcore_id));
		snprintf(pname, sizeof(pname), "dp_big_%u", i);
		/* Large buffers for long frames: a sixteenth of the packet buffers' count. */
		dw->big_pool = rte_pktmbuf_pool_create(pname, cfg->tcp.mbufs_per_lcore / 16, 32, 0,
		                                       WK_BIG_BUF_BYTES + RTE_PKTMBUF_HEADROOM,
		                                       (int)rte_lcore_to_socket_id(dw->lcore_id));
		if (dw->pool == NULL || dw->big_pool == NULL) {
			dpd_fail(err, errlen, "%s: tcp.mbufs_per_lcore: pools of %u mbufs: %s",
			         cfg->source, cfg->tcp.mbufs_per_lcore, rte_strerror(rte_errno));
			goto fail;
		}
	}
	if (dpd_port_open(d, cp, err, errlen) != 0)
		goto fail;

	ctl_server_params_default(&cpar);
	cpar.instance = d->instance;
	dpd_ctl_params(cfg, &cpar);
	d->ctl = ctl_server_create(&cpar);
	if (d->ctl == NULL) {
		dpd_fail(err, errlen, "control channel /msw.%s: %s", d->instance,
		         errno == EBUSY ? "another data plane serves this instance"
		                        : strerror(errno));
		goto fail;
	}
	if (dpd_counters_setup(d, err, errlen) != 0)
		goto fail;

	d->set.direct = dpd_evt_forward;
	d->set.direct_arg = d;
	for (uint32_t i = 0; i < d->n_workers; i++) {
		struct wk_params wp;

		memset(&wp, 0, sizeof(wp));
		wp.id = i;
		wp.q = &d->port.q[i];
		wp.n_workers = d->n_workers;
		/* Without RSS the workers steer flows among themselves (docs/dataplane.md). */
		wp.handoff = d->n_workers > 1 && !d->port.rss;
		wp.rss_port = d->port.rss ? &d->port : NULL;
		wp.pool = d->wks[i].pool;
		wp.big_pool = d->wks[i].big_pool;
		net_params_default(&wp.net);
		wp.net.mac = d->port.mac;
		wp.net.ip = ntohl(cp->ipv4.addr.s_addr);
		wp.net.prefix_len = cp->ipv4.len;
		wp.net.gateway = ntohl(cp->gateway.s_addr);
		wp.net.socket_id = (int)rte_lcore_to_socket_id(d->wks[i].lcore_id);
		tcp_params_default(&wp.tcp);
		wp.tcp.max_conns = cfg->tcp.max_conns_per_lcore;
		wp.tcp.syn_backlog = cfg->tcp.syn_backlog;
		wp.tcp.sndbuf_bytes = cfg->tcp.sndbuf_bytes;
		wp.tcp.rto_min_ms = cfg->tcp.rto_min_ms;
		wp.tcp.time_wait_ms = cfg->tcp.time_wait_ms;
		wp.tcp.mbuf_reserve = cfg->tcp.mbufs_per_lcore / 16;
		wp.tcp.socket_id = wp.net.socket_id;
		wp.msrp_port = (uint16_t)cfg->dataplane.msrp_port;
		wp.max_conns = cfg->engine.max_conns_per_lcore;
		wp.slow_timeout_ms = cfg->engine.slow_timeout_ms;
		wp.close_grace_ms = 5000;
		wp.copy_max = 256;
		wp.max_chunk_bytes = cfg->msrp.max_chunk_bytes;
		wp.evt_ring_size = 8192;
		wp.idle_sleep_us = cfg->dataplane.idle_sleep_us;
		wp.ctr_row = ctl_server_counters_row(d->ctl, i);
		d->wks[i].w = wk_create(&wp, &d->set);
		if (d->wks[i].w == NULL) {
			dpd_fail(err, errlen, "worker %u: %s", i, strerror(errno));
			goto fail;
		}
	}

	sw_params_default(&sp);
	snprintf(d->authority, sizeof(d->authority), "%s:%u", inet_ntoa(cp->ipv4.addr),
	         cfg->dataplane.msrp_port);
	sp.local_authority = d->authority;
	sp.n_lcores = d->n_workers;
	sp.max_legs = cfg->engine.max_legs;
	sp.max_conf_legs = cfg->engine.max_conference_legs;
	sp.max_conns = cfg->engine.max_conns_per_lcore;
	sp.max_msgs = cfg->engine.max_messages_per_lcore;
	sp.max_tx = cfg->engine.max_transactions_per_lcore;
	sp.max_xfer = cfg->engine.max_transactions_per_lcore;
	sp.rechunk_bytes = cfg->msrp.rechunk_bytes;
	sp.max_header_bytes = cfg->msrp.max_header_bytes;
	sp.max_chunk_bytes = cfg->msrp.max_chunk_bytes;
	sp.max_msg_bytes = cfg->engine.max_message_bytes;
	sp.tx_timeout_ms = cfg->msrp.transaction_timeout_ms;
	sp.final_report_timeout_ms = cfg->msrp.final_report_timeout_ms;
	sp.final_report_max_bytes = cfg->msrp.final_report_max_bytes;
	sp.slow_policy = cfg->engine.slow_policy == CFG_SLOW_POLICY_DISCONNECT ? SW_SLOW_DISCONNECT
	                                                                       : SW_SLOW_DROP;
	urcu_qsbr_register_thread();
	d->eng = sw_engine_create(&sp, &wk_transport_ops, &d->set, &wk_buf_ops, &d->set,
	                          &wk_event_ops, &d->set);
	if (d->eng == NULL) {
		dpd_fail(err, errlen, "switch engine: %s (check the engine.* limits)",
		         strerror(errno));
		goto fail;
	}
	for (uint32_t i = 0; i < d->n_workers; i++)
		wk_attach(d->wks[i].w, sw_engine_lcore(d->eng, i));
	if (dpd_ctl_register(d, d->ctl) != 0) {
		dpd_fail(err, errlen, "control handlers: registration failed");
		goto fail;
	}
	if (dpd_telemetry_register(d) != 0)
		LOG(dpd_log, WARNING, "telemetry endpoints /msw/* not registered");
	LOG(dpd_log, NOTICE,
	    "instance %s: MSRP on msrp://%s;tcp, %u worker(s)%s, port %s, generation %lu",
	    d->instance, d->authority, d->n_workers,
	    d->main_is_worker ? " (main lcore also controls)" : "", cp->name,
	    (unsigned long)ctl_server_generation(d->ctl));
	return d;
fail:
	dpd_destroy(d);
	return NULL;
}

/* ---- run ---- */

static uint64_t
dpd_legs(struct dpd *d)
{
	uint64_t confs, legs;

	sw_engine_objects(d->eng, &confs, &legs);
	return legs;
}

/* SIGHUP: load and validate the file; apply what can change at run time. */
static void
dpd_reload(struct dpd *d)
{
	struct msw_cfg *nc;
	char err[CFG_ERR_CAP];
	int rc;

	if (d->cfg_path == NULL) {
		LOG(dpd_log, WARNING, "SIGHUP: running on the embedded default, nothing to reload");
		return;
	}
	rc = cfg_load(d->cfg_path, &nc, err, sizeof(err));
	if (rc != 0) {
		dpd_cnt_add(d, DPD_CNT_RELOAD_FAILED, 1);
		LOG(dpd_log, ERROR, "SIGHUP: %s; the running configuration stays", err);
		return;
	}
	if (cfg_log_apply(nc, err, sizeof(err)) != 0)
		LOG(dpd_log, WARNING, "SIGHUP: log settings: %s", err);
	for (uint32_t i = 0; i < d->n_workers; i++)
		wk_set_idle_sleep(d->wks[i].w, nc->dataplane.idle_sleep_us);
	/* The rest is sized at start (pools, tables, ports): say so instead of ignoring it. */
	if (nc->dataplane.workers != d->cfg->dataplane.workers ||
	    nc->dataplane.msrp_port != d->cfg->dataplane.msrp_port ||
	    nc->dataplane.ports.n != d->cfg->dataplane.ports.n ||
	    memcmp(&nc->tcp, &d->cfg->tcp, sizeof(nc->tcp)) != 0 ||
	    memcmp(&nc->engine, &d->cfg->engine, sizeof(nc->engine)) != 0 ||
	    memcmp(&nc->msrp, &d->cfg->msrp, sizeof(nc->msrp)) != 0 ||
	    strcmp(nc->eal.lcores, d->cfg->eal.lcores) != 0)
		LOG(dpd_log, WARNING,
		    "SIGHUP: %s: dataplane/eal/tcp/engine/msrp changes take effect at the next "
		    "start",
		    d->cfg_path);
	dpd_cnt_add(d, DPD_CNT_RELOADS, 1);
	LOG(dpd_log, NOTICE, "SIGHUP: %s reloaded (log levels, idle sleep applied)", d->cfg_path);
	cfg_free(d->cfg);
	d->cfg = nc;
}

void
dpd_flush_events(struct dpd *d)
{
	for (uint32_t i = 0; i < d->n_workers; i++)
		wk_evt_drain(d->wks[i].w, dpd_evt_forward, d, UINT32_MAX);
}

/* The control step: commands, events, counters, drain and signals. Returns work done. */
static unsigned int
dpd_control_step(struct dpd *d)
{
	unsigned int work = ctl_server_poll(d->ctl, 64);
	struct msw_ctl_region_hdr *h = ctl_server_region(d->ctl);
	bool draining;

	for (uint32_t i = 0; i < d->n_workers; i++)
		work += wk_evt_drain(d->wks[i].w, dpd_evt_forward, d, 1024);
	dpd_publish_ctl(d);
	draining = atomic_load_explicit(&h->state, memory_order_acquire) == MSW_CTL_DP_DRAINING;
	if (draining != d->draining) {
		d->draining = draining;
		LOG(dpd_log, NOTICE, "%s",
		    draining ? "draining: no new conferences or legs; exit "
		               "when the last leg is gone"
		             : "drain cancelled");
	}
	if (d->draining) {
		uint64_t now = rte_get_tsc_cycles();

		if (now >= d->next_drain_check) {
			d->next_drain_check = now + rte_get_tsc_hz() / 10;
			if (!dpd_stop_flag && dpd_legs(d) == 0) {
				LOG(dpd_log, NOTICE, "drained: no leg left, stopping");
				dpd_stop_flag = 1;
			}
		}
	}
	if (dpd_reload_flag) {
		dpd_reload_flag = 0;
		dpd_reload(d);
	}
	return work;
}

/* Closing phase of one worker: close its connections, poll until they are gone. */
static void
dpd_worker_close(struct dpd_worker *dw, uint64_t deadline)
{
	wk_close_all(dw->w);
	while (wk_conns_open(dw->w) > 0 && rte_get_tsc_cycles() < deadline)
		wk_poll(dw->w);
	wk_publish(dw->w);
}

static int
dpd_worker_main(void *arg)
{
	struct dpd_worker *dw = arg;
	struct dpd *d = dw->d;

	urcu_qsbr_register_thread();
	wk_thread_enter(dw->w);
	while (atomic_load_explicit(&d->phase, memory_order_acquire) == DPD_RUN)
		wk_idle(dw->w, wk_poll(dw->w));
	dpd_worker_close(dw, rte_get_tsc_cycles() + rte_get_tsc_hz() * 2);
	while (atomic_load_explicit(&d->phase, memory_order_acquire) != DPD_STOPPED)
		rte_pause();
	urcu_qsbr_unregister_thread();
	return 0;
}

int
dpd_run(struct dpd *d)
{
	struct dpd_worker *w0 = d->main_is_worker ? &d->wks[0] : NULL;
	uint32_t iter = 0;

	for (uint32_t i = 0; i < d->n_workers; i++)
		if (!d->wks[i].is_main &&
		    rte_eal_remote_launch(dpd_worker_main, &d->wks[i], d->wks[i].lcore_id) != 0) {
			LOG(dpd_log, ERROR, "cannot launch worker %u on lcore %u", i,
			    d->wks[i].lcore_id);
			dpd_stop_flag = 1;
		}
	if (w0 != NULL)
		wk_thread_enter(w0->w);
	while (!dpd_stop_flag) {
		if (w0 != NULL) {
			unsigned int got = wk_poll(w0->w);

			/* Control work every 16 iterations, and on every idle one. */
			if (got == 0 || ++iter % 16 == 0)
				got += dpd_control_step(d);
			wk_idle(w0->w, got);
		} else if (dpd_control_step(d) == 0) {
			/* Dedicated control lcore: sleep on the doorbell, offline for RCU. */
			urcu_qsbr_thread_offline();
			ctl_server_wait(d->ctl, 1);
			urcu_qsbr_thread_online();
		}
	}
	LOG(dpd_log, NOTICE, "stopping: closing connections");
	atomic_store_explicit(&d->phase, DPD_CLOSING, memory_order_release);
	if (w0 != NULL)
		dpd_worker_close(w0, rte_get_tsc_cycles() + rte_get_tsc_hz() * 2);
	/* Let the workers' last events and counters reach the channel. */
	for (int i = 0; i < 200; i++) {
		bool busy = false;

		dpd_control_step(d);
		for (uint32_t k = 0; k < d->n_workers; k++)
			busy |= wk_conns_open(d->wks[k].w) > 0;
		if (!busy)
			break;
		usleep(10000);
	}
	atomic_store_explicit(&d->phase, DPD_STOPPED, memory_order_release);
	rte_eal_mp_wait_lcore();
	dpd_control_step(d);
	return 0;
}

void
dpd_destroy(struct dpd *d)
{
	if (d == NULL)
		return;
	/* The channel goes down first: clients stop sending while the engine goes away. */
	ctl_server_destroy(d->ctl, false);
	sw_engine_destroy(d->eng);
	for (uint32_t i = 0; i < d->n_workers; i++)
		wk_destroy(d->wks[i].w);
	if (d->port_open)
		port_close(&d->port);
	for (uint32_t i = 0; i < d->n_workers; i++) {
		rte_mempool_free(d->wks[i].pool);
		rte_mempool_free(d->wks[i].big_pool);
	}
	if (d->eng != NULL)
		urcu_qsbr_unregister_thread();
	cfg_free(d->cfg); /* dpd_create() took the snapshot over */
	free(d->cfg_path);
	free(d);
}
