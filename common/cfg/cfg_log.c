/* SPDX-License-Identifier: BSD-3-Clause */
/* Applies the log group of a configuration to common/log. */
#include "cfg/cfg.h"
#include "log/log.h"

/* log.level stores a word index; both lists run error..debug. */
_Static_assert((int)CFG_LOG_LEVEL_ERROR == (int)LOG_LEVEL_ERROR &&
                       (int)CFG_LOG_LEVEL_WARNING == (int)LOG_LEVEL_WARNING &&
                       (int)CFG_LOG_LEVEL_NOTICE == (int)LOG_LEVEL_NOTICE &&
                       (int)CFG_LOG_LEVEL_INFO == (int)LOG_LEVEL_INFO &&
                       (int)CFG_LOG_LEVEL_DEBUG == (int)LOG_LEVEL_DEBUG,
               "cfg log.level words must follow enum log_level");

int
cfg_log_apply(const struct msw_cfg *cfg, char *err, size_t errsz)
{
	const struct log_settings s = {
	        .level = (enum log_level)cfg->log.level,
	        .rules = (const char *const *)cfg->log.types.v,
	        .n_rules = cfg->log.types.n,
	        .timestamps = cfg->log.timestamps,
	};

	return log_configure(&s, err, errsz);
}
