/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "bench_dpdk_util.h"

double
bench_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void
bench_log(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
bench_fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

void
bench_print_status(const char *bench, const char *name, const char *key, const char *msg)
{
	printf("{\"bench\":\"%s\",\"case\":", bench);
	bench_json_str(stdout, name);
	printf(",\"%s\":", key);
	bench_json_str(stdout, msg);
	printf("}\n");
	fflush(stdout);
}

void
bench_json_end(const char *err)
{
	if (err[0] != '\0') {
		printf(",\"error\":");
		bench_json_str(stdout, err);
	}
	printf("}\n");
	fflush(stdout);
}

volatile sig_atomic_t bench_stop;

static void
bench_on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

void
bench_signals_init(void)
{
	signal(SIGINT, bench_on_signal);
	signal(SIGTERM, bench_on_signal);
	signal(SIGPIPE, SIG_IGN);
}

int
bench_parse_double(const char *prog, const char *s, double lo, double hi, double *out,
                   const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		bench_log(prog, "%s: '%s' is not a number in %g..%g", what, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
bench_build_root(const char *prog, const char *root, char *out, size_t cap, const char *give)
{
	char self[PATH_MAX];
	ssize_t n;

	if (root != NULL && *root != '\0') {
		snprintf(out, cap, "%s", root);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		bench_log(prog, "cannot find the build tree: set MSW_BUILD_ROOT or give %s", give);
		return -1;
	}
	self[n] = '\0';
	snprintf(out, cap, "%s/..", dirname(self));
	return 0;
}

int
bench_dirs_init(const char *prog, const char *tmpl, char *tmp, size_t cap)
{
	if (mkdir("/run/msw", 0755) != 0 && errno != EEXIST) {
		bench_log(prog, "/run/msw: %s", strerror(errno));
		return -1;
	}
	snprintf(tmp, cap, "%s", tmpl);
	if (mkdtemp(tmp) == NULL) {
		bench_log(prog, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
bench_eal_init(const char *prog, char *argv0, unsigned int cpu, const char *file_prefix,
               char *runtime_base, size_t cap)
{
	static char cpu_arg[16], prefix_arg[64];
	char *eargv[] = {argv0, "-l",       cpu_arg,          "--no-huge", "-m",
	                 "512", "--no-pci", "--no-telemetry", prefix_arg,  NULL};

	snprintf(cpu_arg, sizeof(cpu_arg), "%u", cpu);
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s-%d", file_prefix, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eargv) - 1, eargv) < 0) {
		bench_log(prog, "EAL init failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	bench_runtime_base(runtime_base, cap);
	return 0;
}

struct rte_mempool *
bench_pool_create(const char *prog, const char *name, unsigned int n)
{
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
	        name, n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());

	if (pool == NULL)
		bench_log(prog, "mempool of %u mbufs: %s", n, rte_strerror(rte_errno));
	return pool;
}

int
bench_child_start(struct bench_child *c, char *const argv[], const cpu_set_t *cpus)
{
	pid_t parent = getpid();
	int fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", c->log, strerror(errno));
		return -1;
	}
	c->exit_status = 0;
	c->pid = fork();
	if (c->pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		c->pid = 0;
		close(fd);
		return -1;
	}
	if (c->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		/* The child must not outlive a bench that crashed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		sched_setaffinity(0, sizeof(*cpus), cpus);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		/* Our memif sockets and memfds must not stay open in the child. */
		close_range(3, ~0u, 0);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	return 0;
}

int
bench_child_wait_file(struct bench_child *c, const char *path, double timeout_s, const char *what,
                      char *err, size_t errlen)
{
	double deadline = bench_wall() + timeout_s;
	struct stat sb;

	while (stat(path, &sb) != 0) {
		if (!bench_child_alive(c) || bench_wall() > deadline || bench_stop) {
			char last[256];

			bench_log_last(c->log, last, sizeof(last));
			snprintf(err, errlen, "%s did not come up: %s", what, last);
			return -1;
		}
		usleep(20000);
	}
	return 0;
}

void
bench_child_args_init(struct bench_child_args *a, const char *prog, const char *cpus,
                      const char *mem_mb, const char *sock, const char *prefix)
{
	snprintf(a->vdev, sizeof(a->vdev),
	         "--vdev=net_memif0,role=server,socket=%s,socket-abstract=no", sock);
	snprintf(a->file_prefix, sizeof(a->file_prefix), "--file-prefix=%s", prefix);
	a->argc = 0;
	a->full = false;
	a->argv[0] = NULL;
	bench_child_args_add(a, prog, "-l", cpus, "--no-huge", "-m", mem_mb, "--no-pci",
	                     "--no-telemetry", a->vdev, a->file_prefix, "--", NULL);
}

void
bench_child_args_add(struct bench_child_args *a, ...)
{
	const int max = (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1;
	const char *arg;
	va_list ap;

	va_start(ap, a);
	while ((arg = va_arg(ap, const char *)) != NULL) {
		if (a->argc == max)
			a->full = true;
		else
			a->argv[a->argc++] = (char *)arg; /* exec*() takes char *const[] */
	}
	va_end(ap);
	a->argv[a->argc] = NULL;
}

bool
bench_child_alive(struct bench_child *c)
{
	int st;

	if (c->pid <= 0)
		return false;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		c->pid = 0;
		return false;
	}
	return true;
}

int
bench_child_stop(struct bench_child *c, double timeout_s)
{
	double deadline = bench_wall() + timeout_s;

	if (c->pid <= 0)
		return c->exit_status;
	kill(c->pid, SIGTERM);
	while (bench_child_alive(c)) {
		if (bench_wall() > deadline) {
			fprintf(stderr, "%s did not exit %.0f s after SIGTERM: killed\n", c->log,
			        timeout_s);
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			c->pid = 0;
			c->exit_status = 128 + SIGKILL;
			break;
		}
		usleep(10000);
	}
	return c->exit_status;
}

void
bench_log_tail(const char *prog, const char *path)
{
	FILE *f = fopen(path, "r");
	char lines[12][256];
	unsigned int n = 0;

	if (f == NULL)
		return;
	while (fgets(lines[n % 12], sizeof(lines[0]), f) != NULL)
		n++;
	fclose(f);
	fprintf(stderr, "%s: last lines of %s:\n", prog, path);
	for (unsigned int i = n > 12 ? n - 12 : 0; i < n; i++)
		fprintf(stderr, "  | %s", lines[i % 12]);
}

void
bench_log_last(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[256];

	snprintf(out, cap, "(no output)");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t l = strcspn(line, "\r\n");

		line[l] = '\0';
		if (l > 0)
			snprintf(out, cap, "%s", line);
	}
	fclose(f);
}

static int
bench_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
bench_rm_tree(const char *path)
{
	nftw(path, bench_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void
bench_runtime_base(char *out, size_t cap)
{
	char own[PATH_MAX];

	snprintf(own, sizeof(own), "%s", rte_eal_get_runtime_dir());
	snprintf(out, cap, "%s", dirname(own));
}

void
bench_rm_runtime_dir(const char *base, const char *prefix)
{
	char path[PATH_MAX + 80];

	if (base[0] == '\0' || prefix[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s", base, prefix);
	bench_rm_tree(path);
}

struct rte_mbuf *
bench_mbuf_chain(struct rte_mempool *pool, const uint8_t *p, uint32_t n)
{
	struct rte_mbuf *head = NULL, *tail = NULL;

	while (n > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t k;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		k = rte_pktmbuf_tailroom(m);
		if (k > n)
			k = n;
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), p, k);
		m->data_len = (uint16_t)k;
		m->pkt_len = k;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		tail = m;
		p += k;
		n -= k;
	}
	return head;
}

int
bench_memif_attach(struct bench_memif *mi, const char *sock, uint32_t *dev_seq,
                   struct rte_mempool *pool, uint16_t nb_queues, uint8_t log2_ring,
                   const struct port_impair *imp, double timeout_s, bool (*alive)(void *arg),
                   void *arg, char *err, size_t errlen)
{
	double deadline = bench_wall() + timeout_s;
	char devargs[256], perr[256];
	struct port_desc pd;

	if (nb_queues == 0 || nb_queues > PORT_MAX_QUEUES) {
		snprintf(err, errlen, "memif client: %u queues", nb_queues);
		return -1;
	}
	for (;;) {
		double attempt_end = bench_wall() + 1.0;
		bool up = false;

		snprintf(mi->dev, sizeof(mi->dev), "net_memif%u", (*dev_seq)++);
		snprintf(devargs, sizeof(devargs), "%s,role=client,socket=%s,socket-abstract=no",
		         mi->dev, sock);
		if (log2_ring != 0)
			snprintf(devargs + strlen(devargs), sizeof(devargs) - strlen(devargs),
			         ",rsize=%u", log2_ring);
		memset(&pd, 0, sizeof(pd));
		pd.name = mi->dev;
		pd.devargs = devargs;
		pd.nb_queues = nb_queues;
		for (uint16_t q = 0; q < nb_queues; q++)
			pd.pools[q] = pool;
		if (imp != NULL) {
			pd.rx_impair = *imp;
			pd.tx_impair = *imp;
		}
		pd.seed = 1;
		if (port_open(&mi->port, &pd, perr, sizeof(perr)) != 0) {
			snprintf(err, errlen, "memif client: %s", perr);
			return -1;
		}
		mi->open = true;
		while (!up && bench_wall() < attempt_end) {
			struct rte_eth_link link;

			memset(&link, 0, sizeof(link));
			up = rte_eth_link_get_nowait(mi->port.port_id, &link) == 0 &&
			     link.link_status == RTE_ETH_LINK_UP;
			if (!up)
				usleep(1000);
		}
		if (up)
			return 0;
		bench_memif_detach(mi);
		if (bench_wall() > deadline || (alive != NULL && !alive(arg))) {
			snprintf(err, errlen, "memif: no link to %s within %.0f s", sock,
			         timeout_s);
			return -1;
		}
	}
}

void
bench_memif_detach(struct bench_memif *mi)
{
	if (!mi->open)
		return;
	port_close(&mi->port);
	rte_eal_hotplug_remove("vdev", mi->dev);
	mi->open = false;
}
