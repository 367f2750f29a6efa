/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * msw-gen's DPDK engine (gen_dpdk.c): our TCP stack over net_memif. Only in builds with DPDK;
 * msw_gen_main.c hands it to gen_run() through gen_opts.dpdk_io.
 */

struct gen_io_ops;

extern const struct gen_io_ops gen_io_dpdk;
