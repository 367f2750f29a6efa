/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * msw-gen setup "sip" (gen_sip.c): the legs' dialogs with the conference focus
 * (msw-controlplane) on a sofia-sip nua user agent in a thread of its own. Only in builds with
 * sofia-sip; msw_gen_main.c hands it to gen_run() through gen_opts.sip.
 */

struct gen_sip_ops;

extern const struct gen_sip_ops gen_sip_ops;
