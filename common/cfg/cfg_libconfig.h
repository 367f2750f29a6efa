/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Helpers for other readers of libconfig files in the project's syntax (msw-gen scenarios),
 * so their errors read like the appliance's config errors (docs/config.md).
 * Thread-safety: pure functions.
 */
#include <libconfig.h>

/* "an integer", "a string", "a group" ... for "expected X, got <this>" messages. */
const char *cfg_lc_type_name(const config_setting_t *s);
