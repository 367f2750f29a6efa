/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/cl_conn.h"

#define CL_CONN_READS_PER_WAKEUP 32 /* then yield to the loop (SIP, stdin, timers) */

/* Thread-safety: owned by the su_root thread that created it. */
struct cl_conn {
	su_root_t *root;
	const struct cl_conn_ops *ops;
	void *ctx;
	struct in_addr ip;
	int lfd; /* listener, -1 once closed */
	int lreg;
	su_wait_t lwait;
	int fd; /* the connection, -1 until connected */
	int reg;
	su_wait_t wait;
	bool connecting;
	bool connected;
	bool closed;
	uint8_t *out;
	size_t out_off; /* first unwritten byte */
	size_t out_len; /* end of queued bytes */
	size_t out_cap;
};

static void
cl_conn_unregister(su_root_t *root, int *reg, su_wait_t *w, int *fd)
{
	/* Deregister before close: an epoll port removes the fd from its set. */
	if (*reg > 0)
		su_root_deregister(root, *reg);
	*reg = 0;
	if (*fd >= 0) {
		su_wait_destroy(w);
		close(*fd);
	}
	*fd = -1;
}

static void
cl_conn_close_listener(struct cl_conn *c)
{
	cl_conn_unregister(c->root, &c->lreg, &c->lwait, &c->lfd);
}

/* The connection is gone: report once, keep the object until the owner destroys it. */
static void
cl_conn_fail(struct cl_conn *c, int err, const char *what)
{
	if (c->closed)
		return;
	c->closed = true;
	cl_conn_unregister(c->root, &c->reg, &c->wait, &c->fd);
	cl_conn_close_listener(c);
	c->ops->closed(c->ctx, err, what);
}

static void
cl_conn_want_out(struct cl_conn *c, bool on)
{
	int ev = SU_WAIT_IN | (on ? SU_WAIT_OUT : 0);

	if (c->reg > 0)
		su_root_eventmask(c->root, c->reg, c->fd, ev);
}

static void
cl_conn_flush(struct cl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			cl_conn_want_out(c, true);
			return;
		}
		if (n < 0) {
			cl_conn_fail(c, errno, "send");
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	cl_conn_want_out(c, false);
	c->ops->drained(c->ctx);
}

static void
cl_conn_readable(struct cl_conn *c)
{
	for (int i = 0; i < CL_CONN_READS_PER_WAKEUP && !c->closed; i++) {
		size_t cap;
		uint8_t *dst = c->ops->rx_space(c->ctx, &cap);
		ssize_t n;

		if (cap == 0) {
			cl_conn_fail(c, ENOBUFS, "receive buffer full");
			return;
		}
		n = recv(c->fd, dst, cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			cl_conn_fail(c, errno, "recv");
			return;
		}
		if (n == 0) {
			cl_conn_fail(c, 0, "closed by the peer");
			return;
		}
		if (c->ops->rx_commit(c->ctx, (size_t)n) != 0) {
			cl_conn_fail(c, EPROTO, "MSRP error");
			return;
		}
	}
}

static int
cl_conn_on_data(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct cl_conn *c = (struct cl_conn *)arg;
	int ev = su_wait_events(w, c->fd);

	(void)magic;
	if (c->connecting) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (!(ev & (SU_WAIT_CONNECT | SU_WAIT_ERR | SU_WAIT_HUP)))
			return 0;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err != 0) {
			cl_conn_fail(c, err, "connect");
			return 0;
		}
		c->connecting = false;
		c->connected = true;
		cl_conn_want_out(c, c->out_len > 0);
		c->ops->connected(c->ctx);
		if (!c->closed && c->out_len > c->out_off)
			cl_conn_flush(c);
		return 0;
	}
	if (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR))
		cl_conn_readable(c);
	if (!c->closed && (ev & SU_WAIT_OUT))
		cl_conn_flush(c);
	return 0;
}

static int
cl_conn_register(struct cl_conn *c, int events)
{
	int one = 1;

	/* MSRP frames are small and request/response: no Nagle delay (RFC 4975 §7.1.1 ack). */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (su_wait_create(&c->wait, c->fd, events) != 0)
		return -errno;
	c->reg = su_root_register(c->root, &c->wait, cl_conn_on_data, (su_wakeup_arg_t *)c, 0);
	return c->reg > 0 ? 0 : -EIO;
}

static int
cl_conn_on_accept(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct cl_conn *c = (struct cl_conn *)arg;
	int fd;

	(void)magic;
	(void)w;
	fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return 0; /* EAGAIN, or the client gave up: keep listening */
	/* One session, one connection: the listener has done its job. */
	cl_conn_close_listener(c);
	c->fd = fd;
	if (cl_conn_register(c, SU_WAIT_IN) != 0) {
		cl_conn_fail(c, EIO, "su_root_register");
		return 0;
	}
	c->connected = true;
	c->ops->connected(c->ctx);
	if (!c->closed && c->out_len > c->out_off)
		cl_conn_flush(c);
	return 0;
}

struct cl_conn *
cl_conn_listen(su_root_t *root, struct in_addr ip, const struct cl_conn_ops *ops, void *ctx,
               uint16_t *port)
{
	struct cl_conn *c = calloc(1, sizeof(*c));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip};
	socklen_t sl = sizeof(sa);
	int err;

	if (c == NULL)
		return NULL;
	c->root = root;
	c->ops = ops;
	c->ctx = ctx;
	c->ip = ip;
	c->fd = -1;
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(c->lfd, 1) != 0 || getsockname(c->lfd, (struct sockaddr *)&sa, &sl) != 0)
		goto fail;
	*port = ntohs(sa.sin_port);
	return c;
fail:
	err = errno;
	if (c->lfd >= 0)
		close(c->lfd);
	free(c);
	errno = err;
	return NULL;
}

int
cl_conn_accept(struct cl_conn *c)
{
	if (c->lfd < 0)
		return -EBADF;
	if (su_wait_create(&c->lwait, c->lfd, SU_WAIT_ACCEPT) != 0)
		return -errno;
	c->lreg = su_root_register(c->root, &c->lwait, cl_conn_on_accept, (su_wakeup_arg_t *)c, 0);
	return c->lreg > 0 ? 0 : -EIO;
}

int
cl_conn_connect(struct cl_conn *c, struct in_addr to, uint16_t port)
{
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = c->ip};
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr = to, .sin_port = htons(port)};
	int rc;

	cl_conn_close_listener(c);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	/* From the address our a=path names, so the peer sees the path it was given. */
	if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		rc = -errno;
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	rc = connect(c->fd, (struct sockaddr *)&peer, sizeof(peer));
	if (rc != 0 && errno != EINPROGRESS) {
		rc = -errno;
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	c->connecting = true;
	rc = cl_conn_register(c, SU_WAIT_CONNECT | SU_WAIT_IN);
	if (rc != 0) {
		close(c->fd);
		c->fd = -1;
	}
	return rc;
}

int
cl_conn_send(struct cl_conn *c, const uint8_t *p, size_t len)
{
	if (c->closed)
		return -ENOTCONN;
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	/*
	 * Nothing queued: write through, so what we send goes out before anything the loop
	 * does next (a success REPORT before the BYE that ends the session).
	 */
	if (c->connected && c->out_len == 0) {
		while (len > 0) {
			ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				cl_conn_fail(c, errno, "send");
				return -EPIPE;
			}
			p += n;
			len -= (size_t)n;
		}
		if (len == 0)
			return 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t used = c->out_len - c->out_off, cap = c->out_cap != 0 ? c->out_cap : 65536;
		uint8_t *b;

		while (cap < used + len)
			cap *= 2;
		b = malloc(cap);
		if (b == NULL)
			return -ENOMEM;
		if (used > 0)
			memcpy(b, c->out + c->out_off, used);
		free(c->out);
		c->out = b;
		c->out_cap = cap;
		c->out_off = 0;
		c->out_len = used;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	if (c->connected)
		cl_conn_want_out(c, true);
	return 0;
}

size_t
cl_conn_pending(const struct cl_conn *c)
{
	return c->out_len - c->out_off;
}

void
cl_conn_destroy(struct cl_conn *c)
{
	if (c == NULL)
		return;
	cl_conn_unregister(c->root, &c->reg, &c->wait, &c->fd);
	cl_conn_close_listener(c);
	free(c->out);
	free(c);
}
