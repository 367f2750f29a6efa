/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry endpoints of the data plane (usertools/dpdk-telemetry.py, socket under the
 * EAL runtime directory):
 *   /msw/stats        every counter summed over the lcores (the same names as mswctl stats)
 *   /msw/lcore,N      the row of worker N (N = workers: the control thread's row)
 *   /msw/info         instance facts
 * Thread-safety: callbacks run on the telemetry thread and only read the shm counter rows
 * (single-writer relaxed values), never engine tables.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "daemon/dpd.h"

static struct dpd *dpd_tel;

static int
dpd_tel_stats(const char *cmd, const char *params, struct rte_tel_data *t)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(t);
	for (uint32_t i = 0; i < dpd_counter_count(dpd_tel); i++)
		rte_tel_data_add_dict_u64(t, dpd_counter_name(dpd_tel, i),
		                          dpd_counter_total(dpd_tel, i));
	return 0;
}

static int
dpd_tel_lcore(const char *cmd, const char *params, struct rte_tel_data *t)
{
	char *end;
	unsigned long row;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -1;
	row = strtoul(params, &end, 10);
	if (*end != '\0' || row >= dpd_rows(dpd_tel))
		return -1;
	rte_tel_data_start_dict(t);
	for (uint32_t i = 0; i < dpd_counter_count(dpd_tel); i++)
		rte_tel_data_add_dict_u64(t, dpd_counter_name(dpd_tel, i),
		                          dpd_counter_row(dpd_tel, (uint32_t)row, i));
	return 0;
}

static int
dpd_tel_info(const char *cmd, const char *params, struct rte_tel_data *t)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_u64(t, "rows", dpd_rows(dpd_tel));
	rte_tel_data_add_dict_u64(t, "counters", dpd_counter_count(dpd_tel));
	rte_tel_data_add_dict_u64(t, "draining", dpd_draining(dpd_tel));
	return 0;
}

int
dpd_telemetry_register(struct dpd *d)
{
	dpd_tel = d;
	if (rte_telemetry_register_cmd("/msw/stats", dpd_tel_stats,
	                               "Every data-plane counter summed over lcores") != 0 ||
	    rte_telemetry_register_cmd("/msw/lcore", dpd_tel_lcore,
	                               "Counters of one lcore row. Parameters: int row") != 0 ||
	    rte_telemetry_register_cmd("/msw/info", dpd_tel_info, "Data-plane facts") != 0)
		return -1;
	return 0;
}
