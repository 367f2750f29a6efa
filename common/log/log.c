/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

struct log_rule {
	char pattern[LOG_TYPE_NAME_CAP];
	enum log_level level;
};

/* Thread-safety: everything below is guarded by log_lock except the two atomics. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_type *log_types_head;
static struct log_type **log_types_tail = &log_types_head;
static enum log_level log_global_level = LOG_LEVEL_DEFAULT;
static struct log_rule log_rules[LOG_RULES_MAX];
static size_t log_n_rules;
static _Atomic int log_out_fd = STDERR_FILENO;
static _Atomic bool log_timestamps = true;

static const char *const log_level_words[LOG_LEVEL_COUNT] = {
        [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
        [LOG_LEVEL_INFO] = "info",   [LOG_LEVEL_DEBUG] = "debug",
};

/* Fixed-width tags keep the type column aligned in the output. */
static const char *const log_level_tags[LOG_LEVEL_COUNT] = {
        [LOG_LEVEL_ERROR] = "ERROR  ",  [LOG_LEVEL_WARNING] = "WARNING",
        [LOG_LEVEL_NOTICE] = "NOTICE ", [LOG_LEVEL_INFO] = "INFO   ",
        [LOG_LEVEL_DEBUG] = "DEBUG  ",
};

const char *
log_level_name(enum log_level level)
{
	if ((unsigned int)level >= LOG_LEVEL_COUNT)
		return "?";
	return log_level_words[level];
}

int
log_level_parse(const char *word, enum log_level *out)
{
	for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
		if (strcasecmp(word, log_level_words[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Caller holds log_lock. */
static enum log_level
log_effective_level(const char *name)
{
	enum log_level level = log_global_level;

	for (size_t i = 0; i < log_n_rules; i++)
		if (fnmatch(log_rules[i].pattern, name, 0) == 0)
			level = log_rules[i].level;
	return level;
}

/* Caller holds log_lock. */
static void
log_recompute_all(void)
{
	for (struct log_type *t = log_types_head; t != NULL; t = t->next)
		atomic_store_explicit(&t->level, (int)log_effective_level(t->name),
		                      memory_order_relaxed);
}

void
log_type_register(struct log_type *t)
{
	pthread_mutex_lock(&log_lock);
	if (!t->registered) {
		t->registered = true;
		t->next = NULL;
		*log_types_tail = t;
		log_types_tail = &t->next;
	}
	atomic_store_explicit(&t->level, (int)log_effective_level(t->name), memory_order_relaxed);
	pthread_mutex_unlock(&log_lock);
}

struct log_type *
log_type_lookup(const char *name)
{
	struct log_type *t;

	pthread_mutex_lock(&log_lock);
	for (t = log_types_head; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			break;
	pthread_mutex_unlock(&log_lock);
	return t;
}

void
log_type_foreach(void (*fn)(const struct log_type *t, void *arg), void *arg)
{
	pthread_mutex_lock(&log_lock);
	for (struct log_type *t = log_types_head; t != NULL; t = t->next)
		fn(t, arg);
	pthread_mutex_unlock(&log_lock);
}

static int
log_pattern_check(const char *p, size_t len, char *err, size_t errsz)
{
	if (len == 0) {
		snprintf(err, errsz, "empty log type pattern");
		return -EINVAL;
	}
	if (len >= LOG_TYPE_NAME_CAP) {
		snprintf(err, errsz, "log type pattern longer than %d characters",
		         LOG_TYPE_NAME_CAP - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && strchr("._-*?[]", c) == NULL) {
			snprintf(err, errsz, "invalid character '%c' in log type pattern", c);
			return -EINVAL;
		}
	}
	return 0;
}

int
log_rule_parse(const char *rule, char *pattern, size_t pattern_cap, enum log_level *level,
               char *err, size_t errsz)
{
	const char *colon = strrchr(rule, ':');
	size_t plen;
	int rc;

	if (colon == NULL) {
		snprintf(err, errsz, "expected TYPE:LEVEL, e.g. \"msw.dp.*:debug\"");
		return -EINVAL;
	}
	plen = (size_t)(colon - rule);
	rc = log_pattern_check(rule, plen, err, errsz);
	if (rc < 0)
		return rc;
	if (log_level_parse(colon + 1, level) < 0) {
		snprintf(err, errsz,
		         "unknown log level \"%s\" (expected error, warning, notice, info or "
		         "debug)",
		         colon + 1);
		return -EINVAL;
	}
	if (plen >= pattern_cap) {
		snprintf(err, errsz, "log type pattern too long");
		return -EINVAL;
	}
	memcpy(pattern, rule, plen);
	pattern[plen] = '\0';
	return 0;
}

int
log_configure(const struct log_settings *s, char *err, size_t errsz)
{
	struct log_rule rules[LOG_RULES_MAX];
	char why[128];

	if ((unsigned int)s->level >= LOG_LEVEL_COUNT) {
		snprintf(err, errsz, "invalid global log level %d", (int)s->level);
		return -EINVAL;
	}
	if (s->n_rules > LOG_RULES_MAX) {
		snprintf(err, errsz, "%zu log type rules, at most %d", s->n_rules, LOG_RULES_MAX);
		return -E2BIG;
	}
	/* Parse everything first: a bad rule leaves the running configuration untouched. */
	for (size_t i = 0; i < s->n_rules; i++) {
		if (log_rule_parse(s->rules[i], rules[i].pattern, sizeof(rules[i].pattern),
		                   &rules[i].level, why, sizeof(why)) < 0) {
			snprintf(err, errsz, "rule %zu \"%s\": %s", i, s->rules[i], why);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&log_lock);
	log_global_level = s->level;
	memcpy(log_rules, rules, s->n_rules * sizeof(rules[0]));
	log_n_rules = s->n_rules;
	atomic_store_explicit(&log_timestamps, s->timestamps, memory_order_relaxed);
	log_recompute_all();
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_set_level(enum log_level level)
{
	if ((unsigned int)level >= LOG_LEVEL_COUNT)
		return;
	pthread_mutex_lock(&log_lock);
	log_global_level = level;
	log_recompute_all();
	pthread_mutex_unlock(&log_lock);
}

enum log_level
log_get_level(void)
{
	enum log_level level;

	pthread_mutex_lock(&log_lock);
	level = log_global_level;
	pthread_mutex_unlock(&log_lock);
	return level;
}

int
log_set_type_level(const char *pattern, enum log_level level)
{
	char why[128];
	int rc;

	if ((unsigned int)level >= LOG_LEVEL_COUNT)
		return -EINVAL;
	rc = log_pattern_check(pattern, strlen(pattern), why, sizeof(why));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&log_lock);
	if (log_n_rules == LOG_RULES_MAX) {
		pthread_mutex_unlock(&log_lock);
		return -E2BIG;
	}
	snprintf(log_rules[log_n_rules].pattern, LOG_TYPE_NAME_CAP, "%s", pattern);
	log_rules[log_n_rules].level = level;
	log_n_rules++;
	log_recompute_all();
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_set_output(int fd)
{
	atomic_store_explicit(&log_out_fd, fd < 0 ? STDERR_FILENO : fd, memory_order_relaxed);
}

void
log_set_timestamps(bool on)
{
	atomic_store_explicit(&log_timestamps, on, memory_order_relaxed);
}

uint64_t
log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns, uint32_t *suppressed)
{
	bool allow;

	*suppressed = 0;
	pthread_mutex_lock(&rl->lock);
	if (!rl->started || now_ns - rl->window_start_ns >= rl->interval_ns) {
		rl->started = true;
		rl->window_start_ns = now_ns;
		rl->in_window = 0;
	}
	allow = rl->in_window < rl->burst;
	if (allow) {
		rl->in_window++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else if (rl->suppressed < UINT32_MAX) {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&rl->lock);
	return allow;
}

static size_t
log_format_time(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	n += (size_t)snprintf(buf + n, cap - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	return n < cap ? n : cap - 1;
}

void
log_emit(const struct log_type *t, enum log_level level, const char *fmt, ...)
{
	static const char cut[] = "...";
	char line[LOG_LINE_CAP];
	size_t n = 0, msg_start;
	va_list ap;
	int r;
	int fd = atomic_load_explicit(&log_out_fd, memory_order_relaxed);
	int saved_errno = errno; /* callers log strerror(errno) and then still test errno */

	if ((unsigned int)level >= LOG_LEVEL_COUNT)
		level = LOG_LEVEL_ERROR;
	if (atomic_load_explicit(&log_timestamps, memory_order_relaxed))
		n = log_format_time(line, sizeof(line));
	r = snprintf(line + n, sizeof(line) - n, "%s %s: ", log_level_tags[level], t->name);
	n += r > 0 ? (size_t)r : 0;
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	msg_start = n;

	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap); /* keep room for '\n' */
	va_end(ap);
	if (r < 0)
		r = 0;
	if ((size_t)r >= sizeof(line) - n - 1) {
		n = sizeof(line) - 1;
		memcpy(line + n - (sizeof(cut) - 1), cut, sizeof(cut) - 1);
	} else {
		n += (size_t)r;
	}
	/* Messages relayed from other loggers (DPDK) end in their own newline: drop it. */
	while (n > msg_start && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* A message must not forge extra log lines (or terminal escapes) in the output. */
	for (size_t i = msg_start; i < n; i++)
		if (iscntrl((unsigned char)line[i]))
			line[i] = ' ';
	line[n++] = '\n';

	/* One write per line: O_APPEND or pipe writers see whole lines. */
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, line + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* nowhere to report a failing log sink */
		}
		off += (size_t)w;
	}
	errno = saved_errno;
}
