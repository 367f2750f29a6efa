/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Helpers of the DPDK benches that drive msw programs as children over net_memif
 * (msw-bench-dataplane, msw-bench-tcp): logging, options, EAL start, child processes with
 * their logs, DPDK runtime directory clean-up, JSON lines, mbuf chains, and the hot-plugged
 * memif client port. prog is the program name that prefixes messages ("msw-bench-tcp").
 *
 * Thread-safety: none needed; the benches call these from their one (main) thread.
 */

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port/port.h"

/* Monotonic wall clock in seconds. */
double bench_wall(void);

/* Writes s as a JSON string (RFC 8259 §7: quotes, backslashes, control bytes escaped). */
void bench_json_str(FILE *f, const char *s);

/* "prog: message" and a newline on stderr (stdout carries only JSON lines). */
void bench_log(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first failure of a case in err (cap bytes); later ones are dropped. */
void bench_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* {"bench":bench,"case":name,key:msg} on stdout, flushed (a skipped or failed case). */
void bench_print_status(const char *bench, const char *name, const char *key, const char *msg);

/* Ends a result line on stdout: ,"error":err when err is not empty, then "}", flushed. */
void bench_json_end(const char *err);

/* Set by SIGINT and SIGTERM once bench_signals_init() ran: finish the case, run no more. */
extern volatile sig_atomic_t bench_stop;
/* Installs the handlers that set bench_stop, and ignores SIGPIPE (a peer may close first). */
void bench_signals_init(void);

/* Parses s as a number in lo..hi into *out (what names the option). Returns 0 or -1. */
int bench_parse_double(const char *prog, const char *s, double lo, double hi, double *out,
                       const char *what);

/*
 * The build tree the children are taken from: root (MSW_BUILD_ROOT) when set, else the parent
 * of this program's directory (<build>/bench/). give names the options that would replace
 * it, for the error. Returns 0 or -1 (reason on stderr).
 */
int bench_build_root(const char *prog, const char *root, char *out, size_t cap, const char *give);

/* Creates /run/msw (the memif sockets) and a fresh directory from tmpl into tmp. 0 or -1. */
int bench_dirs_init(const char *prog, const char *tmpl, char *tmp, size_t cap);

/*
 * Starts our EAL on cpu without hugepages, PCI or telemetry (512 MiB), its file prefix
 * "<file_prefix>-<pid>", then stores the parent of its runtime directory in runtime_base.
 * Returns 0 or -1 (reason on stderr).
 */
int bench_eal_init(const char *prog, char *argv0, unsigned int cpu, const char *file_prefix,
                   char *runtime_base, size_t cap);

/* A pool of n default-size mbufs on our socket; NULL with the reason on stderr. */
struct rte_mempool *bench_pool_create(const char *prog, const char *name, unsigned int n);

/* A child program whose stdout and stderr go to a log file. */
struct bench_child {
	pid_t pid;       /* 0 once reaped */
	int exit_status; /* after it ended: exit code, or 128 + signal */
	char log[PATH_MAX];
};

/*
 * Starts argv[0] with stdin from /dev/null and stdout/stderr to c->log, with the CPU
 * affinity cpus (the parent's EAL pinned itself; the child's EAL pins its own threads), dying
 * with the parent (PR_SET_PDEATHSIG), none of our descriptors (memif sockets) inherited.
 * Returns 0 or -1 (reason on stderr).
 */
int bench_child_start(struct bench_child *c, char *const argv[], const cpu_set_t *cpus);
/*
 * Waits until the child has created path (its memif socket), timeout_s at most. Returns 0, or
 * -1 with "<what> did not come up: <last log line>" in err when it exited, the time ran out
 * or bench_stop was set.
 */
int bench_child_wait_file(struct bench_child *c, const char *path, double timeout_s,
                          const char *what, char *err, size_t errlen);
/* True while it runs; reaps it (exit_status) once it has ended. */
bool bench_child_alive(struct bench_child *c);
/* SIGTERM, then up to timeout_s for an orderly exit (SIGKILL after). Returns the exit status. */
int bench_child_stop(struct bench_child *c, double timeout_s);

/* Command line of a child msw program serving a memif socket (msw-tcp-echo). */
struct bench_child_args {
	char vdev[200];
	char file_prefix[96];
	char *argv[40];
	int argc;  /* argv[argc] is NULL */
	bool full; /* an argument did not fit: the line is cut, do not start it */
};

/*
 * prog with the EAL options of a child: lcores cpus, mem_mb MiB without hugepages, no PCI, no
 * telemetry, net_memif0 as the server of socket sock, DPDK file prefix prefix; then "--" to
 * start the program's own options.
 */
void bench_child_args_init(struct bench_child_args *a, const char *prog, const char *cpus,
                           const char *mem_mb, const char *sock, const char *prefix);
/* Appends the arguments up to a NULL; each string must live until the child has started. */
void bench_child_args_add(struct bench_child_args *a, ...) __attribute__((sentinel));

/* The last lines (up to 12) of a log on stderr, each prefixed. */
void bench_log_tail(const char *prog, const char *path);
/* The last non-empty line of a log (for an "error" field); "(no output)" if none. */
void bench_log_last(const char *path, char *out, size_t cap);

/* Removes a directory tree (best effort). */
void bench_rm_tree(const char *path);
/* The parent of our EAL's runtime directory, where every file prefix has its own. */
void bench_runtime_base(char *out, size_t cap);
/* Removes the DPDK runtime directory of file prefix under base (a child's leftovers). */
void bench_rm_runtime_dir(const char *base, const char *prefix);

/* n bytes from p as an mbuf chain of full segments. NULL when the pool ran out. */
struct rte_mbuf *bench_mbuf_chain(struct rte_mempool *pool, const uint8_t *p, uint32_t n);

/* Our end of a child's memif socket. */
struct bench_memif {
	struct port port;
	char dev[32];
	bool open;
};

/*
 * Hot-plugs net_memif<k>,role=client,socket=sock,socket-abstract=no (k from *dev_seq, so
 * every device of the process gets its own name) with nb_queues queue pairs of 2^log2_ring
 * slots (the client sets the ring size; 0 = the PMD's default 2^10) and waits until
 * its link is up. A memif server accepts a client only once its port is started, which comes
 * after the socket file appears, and a refused client does not retry: a new client is plugged
 * each second until the link is up, timeout_s in all, or until alive(arg) says the child has
 * gone. Returns 0, or -1 with a reason in err.
 */
int bench_memif_attach(struct bench_memif *mi, const char *sock, uint32_t *dev_seq,
                       struct rte_mempool *pool, uint16_t nb_queues, uint8_t log2_ring,
                       const struct port_impair *imp, double timeout_s, bool (*alive)(void *arg),
                       void *arg, char *err, size_t errlen);
/* Closes and unplugs the port (after the child has stopped: see bench_tcp.c). */
void bench_memif_detach(struct bench_memif *mi);
