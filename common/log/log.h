/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Named log types and levels (house style 21, after DPDK rte_log and OVS vlog).
 *
 * Every subsystem defines its type once with LOG_TYPE_DEFINE(var, "msw.dp.tcp"); the type
 * registers itself before main() runs. The effective level of a type is the global level
 * unless a rule ("msw.dp.*" -> debug, fnmatch(3) glob) matches its name; the last matching
 * rule wins, so operators write general rules first and exceptions after them.
 *
 * LOG() checks the level before any argument is evaluated or formatted: a disabled
 * message costs one relaxed load and one compare. Each enabled message is formatted into a
 * stack buffer and written with a single write(2), so lines from concurrent threads or
 * processes sharing the descriptor never interleave.
 *
 * The data plane logs only at init and teardown, plus LOG_RL() warnings on slow paths.
 *
 * Thread-safety: all functions may be called from any thread. The type registry and the
 * rule set are guarded by one internal mutex (slow path only); LOG()'s level check reads
 * struct log_type.level with a relaxed atomic load.
 *
 * No DPDK dependency: the data plane redirects DPDK's own log into log_emit() itself.
 */

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ordered by severity: a type logs a message when msg_level <= type level. */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_COUNT
};

#define LOG_LEVEL_DEFAULT LOG_LEVEL_NOTICE
#define LOG_TYPE_NAME_CAP 64   /* longest type name or rule pattern, NUL included */
#define LOG_RULES_MAX     64   /* per-type rules kept at once */
#define LOG_LINE_CAP      2048 /* one formatted line, newline included; longer lines are cut */

/*
 * One named log type. Define it with LOG_TYPE_DEFINE; never write the fields.
 * Thread-safety: name is immutable; level is written under the registry lock and read
 * lock-free (relaxed); next is written once at registration under the lock.
 */
struct log_type {
	const char *name;
	_Atomic int level;     /* effective enum log_level */
	bool registered;       /* guarded by the registry lock */
	struct log_type *next; /* registry list, guarded by the registry lock */
};

/*
 * Defines `struct log_type var` named `type_name` and registers it from a constructor, so
 * rules applied later (or earlier) reach it. Use at file scope, once per type.
 */
#define LOG_TYPE_DEFINE(var, type_name)                                                            \
	extern struct log_type var; /* other files of the module may declare it too */             \
	struct log_type var = {.name = (type_name), .level = LOG_LEVEL_DEFAULT};                   \
	__attribute__((constructor)) static void log_type_ctor_##var(void)                         \
	{                                                                                          \
		log_type_register(&var);                                                           \
	}

/* Adds t to the registry (idempotent) and gives it its effective level. */
void log_type_register(struct log_type *t);

/* Returns the registered type called name, or NULL. */
struct log_type *log_type_lookup(const char *name);

/*
 * Calls fn for every registered type, in registration order, under the registry lock:
 * fn must not call log functions other than log_enabled() and log_emit().
 */
void log_type_foreach(void (*fn)(const struct log_type *t, void *arg), void *arg);

/* "error".."debug" (case-insensitive) -> level. Returns 0 or -EINVAL. */
int log_level_parse(const char *word, enum log_level *out);

/* Lower-case level word ("warning"), or "?" when out of range. */
const char *log_level_name(enum log_level level);

/*
 * Parses one per-type rule "PATTERN:LEVEL" (e.g. "msw.dp.*:debug"). The pattern is a
 * non-empty fnmatch(3) glob of letters, digits and "._-*?[]" shorter than LOG_TYPE_NAME_CAP.
 * Returns 0, or -EINVAL with the reason (no key, no position) in err.
 */
int log_rule_parse(const char *rule, char *pattern, size_t pattern_cap, enum log_level *level,
                   char *err, size_t errsz);

/* Settings applied together by log_configure(), e.g. from the config file. */
struct log_settings {
	enum log_level level;     /* global level */
	const char *const *rules; /* "PATTERN:LEVEL", applied in order, last match wins */
	size_t n_rules;
	bool timestamps; /* prefix each line with an ISO 8601 UTC time */
};

/*
 * Replaces the global level, the rule set and the timestamp flag at once and recomputes
 * every registered type. Nothing changes when a rule is invalid or there are more than
 * LOG_RULES_MAX of them: returns -EINVAL (or -E2BIG) with "rule N: reason" in err.
 */
int log_configure(const struct log_settings *s, char *err, size_t errsz);

/* Sets the global level; rules stay in force. */
void log_set_level(enum log_level level);

/* Appends one rule (pattern glob -> level). Returns 0, -EINVAL (bad pattern) or -E2BIG. */
int log_set_type_level(const char *pattern, enum log_level level);

/* Current global level. */
enum log_level log_get_level(void);

/* Lines go to fd (not closed by log); fd < 0 restores stderr. */
void log_set_output(int fd);

void log_set_timestamps(bool on);

static inline bool
log_enabled(const struct log_type *t, enum log_level level)
{
	return (int)level <= atomic_load_explicit(&t->level, memory_order_relaxed);
}

/*
 * Formats and writes one line "TIMESTAMP LEVEL type: message\n" (TIMESTAMP only when
 * enabled). Control characters in the message become spaces so one call is one line.
 * Does not check the level: use LOG().
 */
void log_emit(const struct log_type *t, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* LOG(my_type, WARNING, "port %s down", name): arguments are evaluated only when enabled. */
#define LOG(type, LEVEL, ...)                                                                      \
	do {                                                                                       \
		if (log_enabled(&(type), LOG_LEVEL_##LEVEL))                                       \
			log_emit(&(type), LOG_LEVEL_##LEVEL, __VA_ARGS__);                         \
	} while (0)

/*
 * Rate limit for repeated slow-path messages (OVS vlog_rate_limit): at most `burst`
 * messages per `interval_ns` window; the first message of a later window reports how many
 * were dropped. Thread-safety: internally locked; share one per call site.
 */
struct log_ratelimit {
	pthread_mutex_t lock;
	uint64_t interval_ns;
	uint32_t burst;
	uint64_t window_start_ns; /* guarded by lock */
	uint32_t in_window;       /* guarded by lock */
	uint32_t suppressed;      /* guarded by lock: dropped since the last allowed message */
	bool started;             /* guarded by lock */
};

#define LOG_RATELIMIT_INIT(burst_, interval_ms_)                                                   \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER,                                                 \
		.interval_ns = (uint64_t)(interval_ms_)*1000000u, .burst = (burst_),               \
	}

/*
 * Decides whether a message at now_ns may be written. When it may, *suppressed gets the
 * number dropped since the previous allowed one (and the count restarts).
 */
bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns, uint32_t *suppressed);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t log_now_ns(void);

/* LOG() through a struct log_ratelimit (pointer); the level is checked first. */
#define LOG_RL(type, LEVEL, rl, ...)                                                               \
	do {                                                                                       \
		uint32_t log_rl_dropped_;                                                          \
		if (log_enabled(&(type), LOG_LEVEL_##LEVEL) &&                                     \
		    log_ratelimit_allow((rl), log_now_ns(), &log_rl_dropped_)) {                   \
			if (log_rl_dropped_ > 0)                                                   \
				log_emit(&(type), LOG_LEVEL_##LEVEL,                               \
				         "%" PRIu32 " messages suppressed by rate limit",          \
				         log_rl_dropped_);                                         \
			log_emit(&(type), LOG_LEVEL_##LEVEL, __VA_ARGS__);                         \
		}                                                                                  \
	} while (0)
