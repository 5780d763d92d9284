// SPDX-License-Identifier: BSD-3-Clause
/*
 * The BSD calls: choose a backend at hsk_socket(), then dispatch each call
 * to it, waiting by the socket's mode (blocking, non-blocking, timeout).
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsk_priv.h"

static _Atomic uint32_t next_sock_id = 1;

/* ---- deadlines and waiting ---------------------------------------- */

static void deadline_after(struct hsk_deadline *d, double seconds)
{
	double whole = floor(seconds);

	d->forever = false;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += (time_t)whole;
	d->at.tv_nsec += (long)((seconds - whole) * 1e9);
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left for poll(2), rounded up so a wait never ends early. */
int hsk_deadline_ms(const struct hsk_deadline *d)
{
	struct timespec now;
	long long ns;

	if (d->forever)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(d->at.tv_sec - now.tv_sec) * 1000000000LL +
	     (d->at.tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	if (ns >= (long long)INT_MAX * 1000000LL)
		return INT_MAX;
	return (int)((ns + 999999) / 1000000);
}

int hsk_wait_fd(int fd, short events, const struct hsk_deadline *d)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ms, r;

	for (;;) {
		ms = hsk_deadline_ms(d);
		r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0)
			return -1;
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

static int sock_wait(struct hsk_sock *s, short events,
		     const struct hsk_deadline *d)
{
	if (s->be->ctl->wait)
		return s->be->ctl->wait(s, events, d);
	return hsk_wait_fd(s->fd, events, d);
}

/*
 * busy_poll_us for a socket the core waits for on its descriptor: the
 * tries themselves spin, as a program does around a non-blocking receive
 * with SO_BUSY_POLL, so that a datagram arriving meanwhile costs one
 * system call and no wake-up. A backend with its own ->wait spins there.
 */
static unsigned int spin_us(const struct hsk_sock *s)
{
	return s->be->ctl->wait ? 0 : s->busy_poll_us;
}

/* Whether to try again at once rather than wait: while the spin that
 * started at @start lasts and the call's deadline has not passed. */
static bool spinning(const struct hsk_sock *s, const struct timespec *start,
		     const struct hsk_deadline *d)
{
	struct timespec now;

	if (hsk_deadline_ms(d) == 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000000000LL +
		       (now.tv_nsec - start->tv_nsec) <
	       (long long)spin_us(s) * 1000;
}

/*
 * Blocking mode with the library waiting: what a kernel socket would do,
 * read only once a try found nothing (the hot path pays nothing). Returns
 * -1 with EAGAIN when a user's O_NONBLOCK says not to wait; else sets @d
 * by SO_RCVTIMEO or SO_SNDTIMEO and returns 0.
 */
static int blocking_rules(struct hsk_sock *s, short events,
			  struct hsk_deadline *d)
{
	int fl = fcntl(s->fd, F_GETFL);
	struct timeval tv;
	socklen_t tl = sizeof(tv);

	if (fl >= 0 && (fl & O_NONBLOCK)) {
		errno = EAGAIN;
		return -1;
	}
	if (!getsockopt(s->fd, SOL_SOCKET,
			events & POLLIN ? SO_RCVTIMEO : SO_SNDTIMEO, &tv,
			&tl) &&
	    (tv.tv_sec || tv.tv_usec))
		deadline_after(d, tv.tv_sec + tv.tv_usec / 1e6);
	return 0;
}

/* hsk_run_op() with an explicit timeout (hsk_sendall's remainder). */
static ssize_t run_op_for(struct hsk_sock *s, double timeout, short events,
			  int flags, bool kernel_waits, hsk_attempt_fn try,
			  void *arg)
{
	struct hsk_deadline d = { .forever = true };
	int expired_errno = ETIMEDOUT;
	bool spin = spin_us(s);
	struct timespec spin_start;
	ssize_t r;

	if ((flags & MSG_DONTWAIT) || timeout == 0)
		return try(s, arg, flags | MSG_DONTWAIT);
	/* The kernel's own semantics, recvmmsg(2) waiting for all its
	 * datagrams included: no spin (its SO_BUSY_POLL is the kernel's). */
	if (timeout < 0 && kernel_waits)
		return try(s, arg, flags);
	if (timeout > 0)
		deadline_after(&d, timeout);
	r = try(s, arg, flags | MSG_DONTWAIT);
	if (r >= 0 || errno != EAGAIN)
		return r;
	if (timeout < 0) {
		if (blocking_rules(s, events, &d))
			return -1;
		expired_errno = EAGAIN;
	}
	if (spin)
		clock_gettime(CLOCK_MONOTONIC, &spin_start);
	for (;;) {
		spin = spin && spinning(s, &spin_start, &d);
		if (!spin && sock_wait(s, events, &d)) {
			if (errno == ETIMEDOUT)
				errno = expired_errno;
			return -1;
		}
		r = try(s, arg, flags | MSG_DONTWAIT);
		if (r >= 0 || errno != EAGAIN)
			return r;
	}
}

ssize_t hsk_run_op(struct hsk_sock *s, short events, int flags,
		   bool kernel_waits, hsk_attempt_fn try, void *arg)
{
	double timeout =
		atomic_load_explicit(&s->timeout, memory_order_relaxed);

	return run_op_for(s, timeout, events, flags, kernel_waits, try, arg);
}

/* ---- creating and closing ------------------------------------------ */

static bool fast_path_candidate(int domain, int type, int protocol)
{
	if (domain == AF_INET || domain == AF_INET6)
		return type == SOCK_DGRAM &&
		       (protocol == 0 || protocol == IPPROTO_UDP);
	return domain == AF_PACKET && (type == SOCK_RAW || type == SOCK_DGRAM);
}

/*
 * The backend a new socket gets. "auto" gives UDP the AF_XDP fast path
 * where it is built (a socket whose interface cannot run it becomes a
 * kernel socket when it binds, saying why at info level) and AF_PACKET
 * the kernel's ring, which shares frames with the kernel at no cost. A
 * fast backend asked for but not built falls back to the kernel, loudly,
 * or fails in strict mode.
 */
static const struct hsk_backend *
choose_backend(const struct hsk_config *c, int domain, int type, int protocol)
{
	static _Atomic bool warned;
	const struct hsk_backend *kernel = domain == AF_PACKET ?
						   &hsk_kernel_packet_backend :
						   &hsk_kernel_udp_backend;

	if (!fast_path_candidate(domain, type, protocol))
		return &hsk_kernel_plain_backend;
	if (!strcmp(c->backend, "kernel"))
		return kernel;
#ifdef HSK_HAVE_DPDK
	/* Never by "auto": DPDK takes the port away from the kernel. */
	if (!strcmp(c->backend, "dpdk"))
		return &hsk_dpdk_backend;
#endif
#ifdef HSK_HAVE_AF_XDP
	if (!strcmp(c->backend, "af_xdp") ||
	    (!strcmp(c->backend, "auto") && domain != AF_PACKET))
		return &hsk_af_xdp_backend;
#endif
	if (!strcmp(c->backend, "auto"))
		return kernel;
	if (c->strict) {
		hsk_log(HSK_LOG_ERR,
			"backend %s is not built into this library (strict mode: no fallback)",
			c->backend);
		errno = ENOTSUP;
		return NULL;
	}
	if (!atomic_exchange(&warned, true))
		hsk_log(HSK_LOG_WARN,
			"backend %s is not built into this library: using kernel",
			c->backend);
	return kernel;
}

/* Python's rule: non-blocking and timeout mode run on O_NONBLOCK. */
static int apply_blocking(int fd, double timeout)
{
	int fl = fcntl(fd, F_GETFL);
	int want;

	if (fl < 0)
		return -1;
	want = timeout >= 0 ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return want == fl ? 0 : fcntl(fd, F_SETFL, want);
}

static void sock_free(struct hsk_sock *s)
{
	hsk_loans_fini(&s->loans);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Wraps descriptor @fd (already open, or -1 for the backend to open). */
static struct hsk_sock *sock_new(const struct hsk_config *c,
				 const struct hsk_backend *be, int fd,
				 int domain, int type, int protocol,
				 double timeout)
{
	struct hsk_sock *s = calloc(1, sizeof(*s));
	int err;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->domain = domain;
	s->type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	s->cloexec = type & SOCK_CLOEXEC;
	s->protocol = protocol;
	s->be = be;
	s->id = atomic_fetch_add(&next_sock_id, 1);
	s->buf_size = c->zc_buf_size;
	s->packet_ring_size = c->packet_ring_size;
	s->busy_poll_us = c->busy_poll_us;
	s->loans.cap = c->zc_max_held;
	atomic_init(&s->timeout, timeout);
	pthread_mutex_init(&s->lock, NULL);
	if (be->ctl->open && be->ctl->open(s))
		goto fail;
	if (apply_blocking(s->fd, timeout) || hsk_sock_install(s)) {
		err = errno;
		if (be->ctl->close)
			be->ctl->close(s);
		errno = err;
		goto fail;
	}
	return s;
fail:
	err = errno;
	sock_free(s);
	errno = err;
	return NULL;
}

HSK_EXPORT int hsk_socket(int domain, int type, int protocol)
{
	int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	double timeout = hsk_default_timeout();
	const struct hsk_backend *be;
	struct hsk_config c;
	struct hsk_sock *s;
	int fd = -1, err;

	if (hsk_config_get(&c))
		return -1;
	be = choose_backend(&c, domain, base_type, protocol);
	if (!be)
		return -1;
	if (type & SOCK_NONBLOCK)
		timeout = 0.0;
	if (!be->ctl->open) {
		fd = socket(domain, type, protocol);
		if (fd < 0)
			return -1;
	}
	s = sock_new(&c, be, fd, domain, type, protocol, timeout);
	if (!s) {
		err = errno;
		if (fd >= 0)
			close(fd);
		errno = err;
		return -1;
	}
	return s->fd;
}

HSK_EXPORT int hsk_close(int fd)
{
	struct hsk_sock *s = hsk_sock_remove(fd);
	int r;

	if (!s)
		return close(fd);
	if (s->be->ctl->close)
		s->be->ctl->close(s);
	r = close(s->fd);
	sock_free(s);
	return r;
}

/* ---- addresses and options ----------------------------------------- */

HSK_EXPORT int hsk_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (s && s->be->ctl->bind)
		return s->be->ctl->bind(s, addr, len);
	return bind(fd, addr, len);
}

HSK_EXPORT int hsk_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	double timeout;
	struct hsk_deadline d;
	int err = 0;
	socklen_t el = sizeof(err);

	if (!s)
		return connect(fd, addr, len);
	if (s->be->ctl->connect)
		return s->be->ctl->connect(s, addr, len);
	timeout = atomic_load(&s->timeout);
	if (connect(fd, addr, len) == 0)
		return 0;
	/* Timeout mode: the descriptor is O_NONBLOCK, so a stream connect
	 * is in progress; wait for it as Python does. */
	if (errno != EINPROGRESS || timeout <= 0)
		return -1;
	deadline_after(&d, timeout);
	if (hsk_wait_fd(fd, POLLOUT, &d))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

HSK_EXPORT int hsk_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

struct accept_args {
	struct sockaddr *addr;
	socklen_t *len;
};

static ssize_t try_accept(struct hsk_sock *s, void *arg, int flags)
{
	struct accept_args *a = arg;

	(void)flags;
	return accept(s->fd, a->addr, a->len);
}

HSK_EXPORT int hsk_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct hsk_sock *s = hsk_sock_get(fd), *n;
	struct accept_args a = { addr, len };
	struct hsk_config c;
	int nfd, err;

	if (!s)
		return accept(fd, addr, len);
	/* In timeout mode the descriptor is O_NONBLOCK: the attempt never
	 * blocks; in blocking mode the kernel waits. */
	nfd = (int)hsk_run_op(s, POLLIN, 0, true, try_accept, &a);
	if (nfd < 0)
		return -1;
	if (hsk_config_get(&c))
		goto fail;
	n = sock_new(&c, &hsk_kernel_plain_backend, nfd, s->domain, s->type,
		     s->protocol, hsk_default_timeout());
	if (!n)
		goto fail;
	return nfd;
fail:
	err = errno;
	close(nfd);
	errno = err;
	return -1;
}

HSK_EXPORT int hsk_shutdown(int fd, int how)
{
	return shutdown(fd, how);
}

HSK_EXPORT int hsk_getsockopt(int fd, int level, int name, void *val,
			      socklen_t *len)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (s && s->be->ctl->getsockopt)
		return s->be->ctl->getsockopt(s, level, name, val, len);
	return getsockopt(fd, level, name, val, len);
}

HSK_EXPORT int hsk_setsockopt(int fd, int level, int name, const void *val,
			      socklen_t len)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (s && s->be->ctl->setsockopt)
		return s->be->ctl->setsockopt(s, level, name, val, len);
	return setsockopt(fd, level, name, val, len);
}

HSK_EXPORT int hsk_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (s && s->be->ctl->getsockname)
		return s->be->ctl->getsockname(s, addr, len);
	return getsockname(fd, addr, len);
}

HSK_EXPORT int hsk_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getpeername(fd, addr, len);
}

/* ---- receiving ----------------------------------------------------- */

static void count_rx(struct hsk_sock *s, const struct msghdr *m, ssize_t r,
		     int flags)
{
	if (r < 0 || (flags & MSG_PEEK))
		return;
	hsk_count_rx(&s->stats, 1, (uint64_t)r, !!(m->msg_flags & MSG_TRUNC));
}

static ssize_t try_recvmsg(struct hsk_sock *s, void *arg, int flags)
{
	struct msghdr *m = arg;
	ssize_t r;

	if (s->be->ctl->recvmsg)
		return s->be->ctl->recvmsg(s, m, flags);
	r = recvmsg(s->fd, m, flags);
	if (r >= 0 && !(flags & MSG_PEEK))
		hsk_count(&s->stats.rx_kernel_path, 1);
	return r;
}

/*
 * MSG_WAITALL on a stream in timeout mode: the descriptor is O_NONBLOCK,
 * so one recvmsg(2) returns what is queued. Gather until the buffer is
 * full, the peer shuts down or the timeout ends; a timeout after some
 * data returns that data, as SO_RCVTIMEO does.
 */
#define WAITALL_MAX_IOV 64

static ssize_t recv_waitall(struct hsk_sock *s, struct msghdr *m, int flags,
			    double timeout)
{
	struct iovec iov[WAITALL_MAX_IOV];
	struct msghdr cur = *m;
	struct hsk_deadline d;
	size_t got = 0;
	ssize_t r;

	if (m->msg_iovlen)
		memcpy(iov, m->msg_iov, m->msg_iovlen * sizeof(*iov));
	cur.msg_iov = iov;
	deadline_after(&d, timeout);
	flags = (flags & ~MSG_WAITALL) | MSG_DONTWAIT;
	for (;;) {
		r = recvmsg(s->fd, &cur, flags);
		if (r > 0) {
			got += (size_t)r;
			while (cur.msg_iovlen &&
			       (size_t)r >= cur.msg_iov->iov_len) {
				r -= (ssize_t)cur.msg_iov->iov_len;
				cur.msg_iov++;
				cur.msg_iovlen--;
			}
			if (!cur.msg_iovlen)
				break;
			cur.msg_iov->iov_base =
				(char *)cur.msg_iov->iov_base + r;
			cur.msg_iov->iov_len -= (size_t)r;
			continue;
		}
		if (r == 0 || errno != EAGAIN || hsk_wait_fd(s->fd, POLLIN, &d))
			break;
	}
	m->msg_flags = cur.msg_flags;
	if (got) {
		hsk_count(&s->stats.rx_kernel_path, 1);
		return (ssize_t)got;
	}
	return r;
}

HSK_EXPORT ssize_t hsk_recvmsg(int fd, struct msghdr *m, int flags)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	double timeout;
	ssize_t r;

	if (!s)
		return recvmsg(fd, m, flags);
	timeout = atomic_load(&s->timeout);
	if ((flags & MSG_WAITALL) && !(flags & (MSG_PEEK | MSG_DONTWAIT)) &&
	    s->type == SOCK_STREAM && timeout > 0 && m &&
	    m->msg_iovlen <= WAITALL_MAX_IOV &&
	    (m->msg_iov || !m->msg_iovlen)) {
		r = recv_waitall(s, m, flags, timeout);
		count_rx(s, m, r, flags);
		return r;
	}
	r = hsk_run_op(s, POLLIN, flags, !s->be->ctl->recvmsg, try_recvmsg, m);
	count_rx(s, m, r, flags);
	return r;
}

HSK_EXPORT ssize_t hsk_recvfrom(int fd, void *buf, size_t len, int flags,
				struct sockaddr *src, socklen_t *srclen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (!hsk_sock_get(fd))
		return recvfrom(fd, buf, len, flags, src, srclen);
	if (src) {
		if (!srclen) {
			errno = EFAULT;
			return -1;
		}
		if ((int)*srclen < 0) {
			errno = EINVAL;
			return -1;
		}
		m.msg_name = src;
		m.msg_namelen = *srclen;
	}
	r = hsk_recvmsg(fd, &m, flags);
	if (r >= 0 && src)
		*srclen = m.msg_namelen;
	return r;
}

HSK_EXPORT ssize_t hsk_recv(int fd, void *buf, size_t len, int flags)
{
	return hsk_recvfrom(fd, buf, len, flags, NULL, NULL);
}

struct mmsg_args {
	struct mmsghdr *v;
	unsigned int n;
	struct timespec *timeout;
};

static ssize_t try_recvmmsg(struct hsk_sock *s, void *arg, int flags)
{
	struct mmsg_args *a = arg;
	int r;

	if (s->be->ctl->recvmmsg)
		return s->be->ctl->recvmmsg(s, a->v, a->n, flags);
	r = recvmmsg(s->fd, a->v, a->n, flags, a->timeout);
	if (r > 0 && !(flags & MSG_PEEK))
		hsk_count(&s->stats.rx_kernel_path, (uint64_t)r);
	return r;
}

HSK_EXPORT int hsk_recvmmsg(int fd, struct mmsghdr *v, unsigned int n,
			    int flags, struct timespec *timeout)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	struct mmsg_args a = { v, n, timeout };
	int r;

	if (!s)
		return recvmmsg(fd, v, n, flags, timeout);
	r = (int)hsk_run_op(s, POLLIN, flags, !s->be->ctl->recvmmsg,
			    try_recvmmsg, &a);
	if (r > 0 && !(flags & MSG_PEEK)) {
		uint64_t bytes = 0, truncated = 0;

		for (int i = 0; i < r; i++) {
			bytes += v[i].msg_len;
			truncated += !!(v[i].msg_hdr.msg_flags & MSG_TRUNC);
		}
		hsk_count_rx(&s->stats, (uint64_t)r, bytes, truncated);
	}
	return r;
}

/* ---- sending ------------------------------------------------------- */

static void count_tx(struct hsk_sock *s, ssize_t r)
{
	if (r >= 0)
		hsk_count_tx(&s->stats, 1, (uint64_t)r);
	else if (errno != EAGAIN && errno != ETIMEDOUT) {
		hsk_count(&s->stats.tx_errors, 1);
	}
}

static ssize_t try_sendmsg(struct hsk_sock *s, void *arg, int flags)
{
	ssize_t r;

	if (s->be->ctl->sendmsg)
		return s->be->ctl->sendmsg(s, arg, flags);
	r = sendmsg(s->fd, arg, flags);
	if (r >= 0)
		hsk_count(&s->stats.tx_kernel_path, 1);
	return r;
}

HSK_EXPORT ssize_t hsk_sendmsg(int fd, const struct msghdr *m, int flags)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	ssize_t r;

	if (!s)
		return sendmsg(fd, m, flags);
	r = hsk_run_op(s, POLLOUT, flags, !s->be->ctl->sendmsg, try_sendmsg,
		       (void *)m);
	count_tx(s, r);
	return r;
}

HSK_EXPORT ssize_t hsk_sendto(int fd, const void *buf, size_t len, int flags,
			      const struct sockaddr *dst, socklen_t dstlen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = {
		.msg_name = (void *)dst,
		.msg_namelen = dst ? dstlen : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	/* sendto(2) ignores the length of a NULL address; so does this. */
	if (!hsk_sock_get(fd))
		return sendto(fd, buf, len, flags, dst, dstlen);
	return hsk_sendmsg(fd, &m, flags);
}

HSK_EXPORT ssize_t hsk_send(int fd, const void *buf, size_t len, int flags)
{
	return hsk_sendto(fd, buf, len, flags, NULL, 0);
}

static ssize_t try_sendmmsg(struct hsk_sock *s, void *arg, int flags)
{
	struct mmsg_args *a = arg;
	unsigned int i;
	ssize_t r = 0;
	int k;

	if (!s->be->ctl->sendmsg) {
		k = sendmmsg(s->fd, a->v, a->n, flags);
		if (k > 0)
			hsk_count(&s->stats.tx_kernel_path, (uint64_t)k);
		return k;
	}
	if (!a->v && a->n) {
		errno = EFAULT;
		return -1;
	}
	if (s->be->ctl->sendmmsg)
		return s->be->ctl->sendmmsg(s, a->v, a->n, flags);
	/* As sendmmsg(2): stop at the first failure, report it only when
	 * nothing was sent. Later messages never wait. */
	for (i = 0; i < a->n; i++) {
		r = s->be->ctl->sendmsg(s, &a->v[i].msg_hdr,
					i ? flags | MSG_DONTWAIT : flags);
		if (r < 0)
			break;
		a->v[i].msg_len = (unsigned int)r;
	}
	return i ? (ssize_t)i : r;
}

HSK_EXPORT int hsk_sendmmsg(int fd, struct mmsghdr *v, unsigned int n,
			    int flags)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	struct mmsg_args a = { v, n, NULL };
	uint64_t bytes = 0;
	int r;

	if (!s)
		return sendmmsg(fd, v, n, flags);
	r = (int)hsk_run_op(s, POLLOUT, flags, !s->be->ctl->sendmsg,
			    try_sendmmsg, &a);
	if (r < 0) {
		count_tx(s, r);
		return r;
	}
	for (int i = 0; i < r; i++)
		bytes += v[i].msg_len;
	hsk_count_tx(&s->stats, (uint64_t)r, bytes);
	return r;
}

HSK_EXPORT ssize_t hsk_sendall(int fd, const void *buf, size_t len, int flags)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	double timeout, left_s;
	struct hsk_deadline d;
	ssize_t r;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
		return hsk_send(fd, buf, len, flags);
	timeout = atomic_load(&s->timeout);
	if (timeout > 0)
		deadline_after(&d, timeout);
	while (iov.iov_len) {
		left_s = timeout;
		if (timeout > 0) {
			/* The timeout bounds the whole call (Python >= 3.5):
			 * each send gets what is left of it. */
			int ms = hsk_deadline_ms(&d);

			if (ms == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			left_s = ms / 1000.0;
		}
		r = run_op_for(s, left_s, POLLOUT, flags, !s->be->ctl->sendmsg,
			       try_sendmsg, &m);
		count_tx(s, r);
		if (r < 0)
			return -1;
		iov.iov_base = (char *)iov.iov_base + r;
		iov.iov_len -= (size_t)r;
	}
	return (ssize_t)len;
}

/* ---- Python conveniences and introspection -------------------------- */

HSK_EXPORT int hsk_settimeout(int fd, double seconds)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (!hsk_timeout_valid(seconds)) {
		errno = EINVAL;
		return -1;
	}
	if (seconds < 0)
		seconds = HSK_TIMEOUT_NONE;
	if (apply_blocking(fd, seconds))
		return -1;
	atomic_store(&s->timeout, seconds);
	return 0;
}

HSK_EXPORT double hsk_gettimeout(int fd)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (!s) {
		errno = EBADF;
		return NAN;
	}
	return atomic_load(&s->timeout);
}

HSK_EXPORT int hsk_setblocking(int fd, int flag)
{
	return hsk_settimeout(fd, flag ? HSK_TIMEOUT_NONE : 0.0);
}

HSK_EXPORT int hsk_getblocking(int fd)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (!s) {
		errno = EBADF;
		return -1;
	}
	return atomic_load(&s->timeout) != 0.0;
}

HSK_EXPORT const char *hsk_backend_name(int fd)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (!s) {
		errno = EBADF;
		return NULL;
	}
	return s->be->name;
}

HSK_EXPORT int hsk_stats(int fd, struct hsk_stats *st, size_t sz)
{
	struct hsk_sock *s = hsk_sock_get(fd);
	const hsk_counter *src;
	struct hsk_stats all;
	uint64_t *dst;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (!st) {
		errno = EFAULT;
		return -1;
	}
	if (sz < sizeof(uint64_t)) {
		errno = EINVAL;
		return -1;
	}
	_Static_assert(
		sizeof(struct hsk_sock_stats) / sizeof(hsk_counter) ==
			sizeof(struct hsk_stats) / sizeof(uint64_t),
		"hsk_stats and hsk_sock_stats must list the same counters");
	src = &s->stats.rx_packets;
	dst = &all.rx_packets;
	for (size_t i = 0; i < sizeof(all) / sizeof(uint64_t); i++)
		dst[i] = atomic_load_explicit(&src[i], memory_order_relaxed);
	if (s->be->ctl->kernel_drops)
		all.rx_drop_kernel += s->be->ctl->kernel_drops(s);
	memset(st, 0, sz);
	memcpy(st, &all, sz < sizeof(all) ? sz : sizeof(all));
	return 0;
}
