// SPDX-License-Identifier: BSD-3-Clause
/*
 * libhotsock-preload.so: the libc socket calls of an unmodified program,
 * routed to hotsock for UDP and AF_PACKET sockets and to libc for
 * everything else.
 *
 * A descriptor is hotsock's when the library's table knows its number;
 * any other descriptor (files, pipes, TCP, AF_UNIX) costs one lookup and
 * goes to libc as it came. Waiting calls are in wait.c, the counters'
 * server in stat.c.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"

struct hskp_libc hskp_real;
__thread int hskp_depth __attribute__((tls_model("initial-exec")));

static pid_t hskp_pid;

void hskp_resolve(void)
{
#define RESOLVE(fn) hskp_real.fn = dlsym(RTLD_NEXT, #fn)
	RESOLVE(socket);
	RESOLVE(bind);
	RESOLVE(connect);
	RESOLVE(close);
	RESOLVE(shutdown);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(sendmmsg);
	RESOLVE(recv);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(recvmmsg);
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(readv);
	RESOLVE(writev);
	RESOLVE(getsockopt);
	RESOLVE(setsockopt);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(ioctl);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(poll);
	RESOLVE(ppoll);
	RESOLVE(select);
	RESOLVE(pselect);
	RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait);
	RESOLVE(epoll_pwait);
	RESOLVE(execve);
	RESOLVE(execv);
	RESOLVE(execvp);
	RESOLVE(execvpe);
	RESOLVE(fexecve);
#undef RESOLVE
	if (!hskp_real.fcntl64)
		hskp_real.fcntl64 = hskp_real.fcntl;
}

/* ---- the socket table: closing, duplicating, listing ---------------- */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

void hskp_table_lock(void)
{
	pthread_mutex_lock(&table_lock);
}

void hskp_table_unlock(void)
{
	pthread_mutex_unlock(&table_lock);
}

/*
 * Numbers made by dup(2) and friends for a hotsock socket: the table maps
 * them to the socket as well, and the socket's own number (s->fd) is
 * whichever of them is still open. Few programs make any: a short array.
 */
struct alias {
	int fd;
	struct hsk_sock *s;
};

static struct alias *aliases;
static size_t naliases, aliases_cap;

static int alias_add(int fd, struct hsk_sock *s)
{
	if (naliases == aliases_cap) {
		size_t cap = aliases_cap ? aliases_cap * 2 : 8;
		struct alias *a = realloc(aliases, cap * sizeof(*a));

		if (!a)
			return -1;
		aliases = a;
		aliases_cap = cap;
	}
	aliases[naliases++] = (struct alias){ fd, s };
	return 0;
}

/* Index of the first alias of @s (any number when @fd < 0), or -1. */
static ssize_t alias_find(int fd, struct hsk_sock *s)
{
	for (size_t i = 0; i < naliases; i++)
		if (aliases[i].s == s && (fd < 0 || aliases[i].fd == fd))
			return (ssize_t)i;
	return -1;
}

static void alias_drop(size_t i)
{
	aliases[i] = aliases[--naliases];
}

/*
 * Forgets number @fd of @s; returns true when it was the socket's last,
 * which the caller then closes with hsk_close(). Otherwise the socket
 * lives on under another number and only @fd is closed.
 */
static bool forget_number(int fd, struct hsk_sock *s)
{
	ssize_t i = alias_find(fd, s);

	if (i < 0 && fd == s->fd)
		i = alias_find(-1, s);
	if (i < 0)
		return true;
	if (fd == s->fd)
		s->fd = aliases[i].fd; /* the socket keeps an open number */
	alias_drop((size_t)i);
	hsk_sock_remove(fd);
	return false;
}

static int close_sock(int fd, struct hsk_sock *s)
{
	int r;

	if (!forget_number(fd, s))
		return LIBC(close)(fd);
	hskp_stat_at_close(fd, s);
	hskp_epoll_forget_sock(s);
	r = IN_LIB(hsk_close(fd));
	return r;
}

HSK_EXPORT int close(int fd)
{
	struct hsk_sock *s;
	int r;

	if (hskp_depth)
		return LIBC(close)(fd);
	hskp_table_lock();
	s = hsk_sock_get(fd);
	if (s) {
		r = close_sock(fd, s);
		hskp_table_unlock();
		return r;
	}
	hskp_table_unlock();
	hskp_epoll_forget_set(fd);
	return LIBC(close)(fd);
}

/* @nfd, a fresh duplicate of @fd, becomes another number of its socket. */
static int adopt_dup(int fd, int nfd)
{
	struct hsk_sock *s;
	int err;

	if (nfd < 0)
		return nfd;
	hskp_table_lock();
	s = hsk_sock_get(fd);
	if (s && (alias_add(nfd, s) || hsk_sock_install_at(nfd, s))) {
		err = errno;
		hskp_table_unlock();
		LIBC(close)(nfd);
		errno = err;
		return -1;
	}
	hskp_table_unlock();
	return nfd;
}

HSK_EXPORT int dup(int fd)
{
	if (!hskp_sock(fd))
		return LIBC(dup)(fd);
	return adopt_dup(fd, LIBC(dup)(fd));
}

/* dup2(2) and dup3(2) close @nfd first: so does the table. */
static void release_target(int fd, int nfd)
{
	struct hsk_sock *s;

	if (fd == nfd || hskp_depth)
		return;
	hskp_table_lock();
	s = hsk_sock_get(nfd);
	if (s && !forget_number(nfd, s)) {
		hskp_table_unlock();
		return;
	}
	if (s) {
		hskp_stat_at_close(nfd, s);
		hskp_epoll_forget_sock(s);
		/* The number is taken again at once by dup2(2): closing it
		 * first leaves a moment where another thread may get it, the
		 * price of tearing the fast path down. */
		IN_LIB(hsk_close(nfd));
	}
	hskp_table_unlock();
}

HSK_EXPORT int dup2(int fd, int nfd)
{
	bool ours = hskp_sock(fd) != NULL;

	release_target(fd, nfd);
	if (!ours || fd == nfd)
		return LIBC(dup2)(fd, nfd);
	return adopt_dup(fd, LIBC(dup2)(fd, nfd));
}

HSK_EXPORT int dup3(int fd, int nfd, int flags)
{
	bool ours = hskp_sock(fd) != NULL;

	if (fd != nfd)
		release_target(fd, nfd);
	if (!ours || fd == nfd)
		return LIBC(dup3)(fd, nfd, flags);
	return adopt_dup(fd, LIBC(dup3)(fd, nfd, flags));
}

/* ---- creating, addresses, options ----------------------------------- */

static bool routed(int domain, int type, int protocol)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain == AF_INET || domain == AF_INET6)
		return type == SOCK_DGRAM &&
		       (protocol == 0 || protocol == IPPROTO_UDP);
	return domain == AF_PACKET && (type == SOCK_RAW || type == SOCK_DGRAM);
}

HSK_EXPORT int socket(int domain, int type, int protocol)
{
	int fd, fl;

	if (hskp_depth || !routed(domain, type, protocol))
		return LIBC(socket)(domain, type, protocol);
	/*
	 * SOCK_NONBLOCK becomes O_NONBLOCK on the descriptor, not hotsock's
	 * non-blocking mode: in blocking mode hotsock follows O_NONBLOCK as
	 * the program later sets and clears it with fcntl(2) or FIONBIO.
	 */
	fd = IN_LIB(hsk_socket(domain, type & ~SOCK_NONBLOCK, protocol));
	if (fd < 0)
		return -1;
	if (type & SOCK_NONBLOCK) {
		fl = LIBC(fcntl)(fd, F_GETFL);
		if (fl < 0 || LIBC(fcntl)(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
	}
	hskp_stat_start();
	return fd;
}

HSK_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!hskp_sock(fd))
		return LIBC(bind)(fd, addr, len);
	return IN_LIB(hsk_bind(fd, addr, len));
}

HSK_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!hskp_sock(fd))
		return LIBC(connect)(fd, addr, len);
	return IN_LIB(hsk_connect(fd, addr, len));
}

HSK_EXPORT int shutdown(int fd, int how)
{
	if (!hskp_sock(fd))
		return LIBC(shutdown)(fd, how);
	return IN_LIB(hsk_shutdown(fd, how));
}

HSK_EXPORT int getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len)
{
	if (!hskp_sock(fd))
		return LIBC(getsockopt)(fd, level, name, val, len);
	return IN_LIB(hsk_getsockopt(fd, level, name, val, len));
}

/* What a hotsock socket is underneath: a kernel socket, whose calls are
 * the system calls on its descriptor. @teardown: its backend's state goes
 * (the process owns it), else it is left as it is (a parent's). */
static void to_plain(struct hsk_sock *s, bool teardown)
{
	if (teardown && s->be->ctl->close)
		IN_LIB((s->be->ctl->close(s), 0));
	s->be = &hsk_kernel_plain_backend;
	s->priv = NULL;
}

/*
 * A program that maps a packet ring of its own (libpcap) wants the
 * kernel's packet socket itself: hotsock's ring, if any, comes down first,
 * unmapped and released, so that the program's PACKET_VERSION and ring are
 * the kernel's to accept. The socket stays in the table as a plain one.
 */
static bool wants_own_ring(const struct hsk_sock *s, int level, int name)
{
	return s->domain == AF_PACKET && level == SOL_PACKET &&
	       (name == PACKET_VERSION || name == PACKET_RX_RING ||
		name == PACKET_TX_RING);
}

static void hand_back(struct hsk_sock *s)
{
	struct tpacket_req3 none = { 0 };

	hskp_table_lock();
	if (s->be != &hsk_kernel_plain_backend) {
		to_plain(s, true);
		(void)LIBC(setsockopt)(s->fd, SOL_PACKET, PACKET_RX_RING, &none,
				       sizeof(none));
	}
	hskp_table_unlock();
}

HSK_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			  socklen_t len)
{
	struct hsk_sock *s = hskp_sock(fd);

	if (!s)
		return LIBC(setsockopt)(fd, level, name, val, len);
	if (wants_own_ring(s, level, name))
		hand_back(s);
	return IN_LIB(hsk_setsockopt(fd, level, name, val, len));
}

HSK_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!hskp_sock(fd))
		return LIBC(getsockname)(fd, addr, len);
	return IN_LIB(hsk_getsockname(fd, addr, len));
}

HSK_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!hskp_sock(fd))
		return LIBC(getpeername)(fd, addr, len);
	return IN_LIB(hsk_getpeername(fd, addr, len));
}

/* ---- sending and receiving ------------------------------------------ */

HSK_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (!hskp_sock(fd))
		return LIBC(send)(fd, buf, len, flags);
	return IN_LIB(hsk_send(fd, buf, len, flags));
}

HSK_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *dst, socklen_t dstlen)
{
	if (!hskp_sock(fd))
		return LIBC(sendto)(fd, buf, len, flags, dst, dstlen);
	return IN_LIB(hsk_sendto(fd, buf, len, flags, dst, dstlen));
}

HSK_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	if (!hskp_sock(fd))
		return LIBC(sendmsg)(fd, m, flags);
	return IN_LIB(hsk_sendmsg(fd, m, flags));
}

HSK_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	if (!hskp_sock(fd))
		return LIBC(sendmmsg)(fd, v, n, flags);
	return IN_LIB(hsk_sendmmsg(fd, v, n, flags));
}

/*
 * MSG_NOSIGNAL means nothing to a receive and the kernel ignores it there
 * (sockperf passes it); hotsock's fast path would take it for a flag it
 * must leave to the kernel, so it is dropped here.
 */
static int recv_flags(int flags)
{
	return flags & ~MSG_NOSIGNAL;
}

HSK_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (!hskp_sock(fd))
		return LIBC(recv)(fd, buf, len, flags);
	return IN_LIB(hsk_recv(fd, buf, len, recv_flags(flags)));
}

HSK_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			    struct sockaddr *src, socklen_t *srclen)
{
	if (!hskp_sock(fd))
		return LIBC(recvfrom)(fd, buf, len, flags, src, srclen);
	return IN_LIB(
		hsk_recvfrom(fd, buf, len, recv_flags(flags), src, srclen));
}

HSK_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	if (!hskp_sock(fd))
		return LIBC(recvmsg)(fd, m, flags);
	return IN_LIB(hsk_recvmsg(fd, m, recv_flags(flags)));
}

HSK_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
			struct timespec *timeout)
{
	if (!hskp_sock(fd))
		return LIBC(recvmmsg)(fd, v, n, flags, timeout);
	return IN_LIB(hsk_recvmmsg(fd, v, n, recv_flags(flags), timeout));
}

HSK_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	if (!hskp_sock(fd))
		return LIBC(read)(fd, buf, len);
	return IN_LIB(hsk_recv(fd, buf, len, 0));
}

HSK_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	if (!hskp_sock(fd))
		return LIBC(write)(fd, buf, len);
	return IN_LIB(hsk_send(fd, buf, len, 0));
}

/* readv(2) and writev(2) as one message; false (EINVAL) for a negative
 * count, as the kernel answers. */
static bool iov_message(struct msghdr *m, const struct iovec *iov, int n)
{
	if (n < 0) {
		errno = EINVAL;
		return false;
	}
	*m = (struct msghdr){ .msg_iov = (struct iovec *)iov,
			      .msg_iovlen = (size_t)n };
	return true;
}

HSK_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	struct msghdr m;

	if (!hskp_sock(fd))
		return LIBC(readv)(fd, iov, n);
	if (!iov_message(&m, iov, n))
		return -1;
	return IN_LIB(hsk_recvmsg(fd, &m, 0));
}

HSK_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	struct msghdr m;

	if (!hskp_sock(fd))
		return LIBC(writev)(fd, iov, n);
	if (!iov_message(&m, iov, n))
		return -1;
	return IN_LIB(hsk_sendmsg(fd, &m, 0));
}

/* ---- fcntl and ioctl ------------------------------------------------- */

/*
 * O_NONBLOCK needs nothing: it lives on the descriptor, where hotsock
 * reads it before it waits. A duplicate must join the table.
 */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && hskp_sock(fd))
		return adopt_dup(fd, real(fd, cmd, arg));
	return real(fd, cmd, arg);
}

/* <fcntl.h> names fcntl64 when off_t is 64-bit: the plain name is
 * exported under its own label. */
HSK_EXPORT int hskp_fcntl(int fd, int cmd, ...) __asm__("fcntl");

HSK_EXPORT int hskp_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(&LIBC(fcntl), fd, cmd, arg);
}

HSK_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(&LIBC(fcntl64), fd, cmd, arg);
}

/*
 * FIONREAD (SIOCINQ) counts the next datagram's bytes, as the kernel
 * does for UDP and packet sockets; a fast path holds that datagram in
 * user space, so the answer comes from a peek at it.
 */
static int fionread(int fd, int *out)
{
	ssize_t r = IN_LIB(
		hsk_recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT));

	if (r < 0 && errno != EAGAIN)
		return -1;
	*out = r < 0 ? 0 : (int)r;
	return 0;
}

HSK_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == FIONREAD && hskp_user_state(fd)) {
		if (!arg) {
			errno = EFAULT;
			return -1;
		}
		return fionread(fd, arg);
	}
	return LIBC(ioctl)(fd, req, arg);
}

/* ---- fork and exec --------------------------------------------------- */

/*
 * A fast path's rings, frames and maps are shared with the process that
 * made them. A second process driving them would corrupt them, so a child
 * of fork(2) turns its copies into what they are underneath, kernel
 * sockets, leaving the parent's state untouched; an exec(2) tears the
 * fast path down, as the new image starts afresh.
 */
static void demote(int fd, struct hsk_sock *s, void *teardown)
{
	(void)fd;
	if (strcmp(s->be->name, "kernel"))
		to_plain(s, teardown);
}

static void before_fork(void)
{
	hskp_table_lock();
}

static void after_fork_parent(void)
{
	hskp_table_unlock();
}

static void after_fork_child(void)
{
	HSK_OPTS(kernel_only, .backend = "kernel");

	hskp_pid = getpid();
	hsk_sock_foreach(demote, NULL);
	/* New sockets too: the ports this process sees are its parent's. */
	IN_LIB(hsk_init(&kernel_only));
	hskp_table_unlock();
	hskp_stat_after_fork();
}

/* Not in a vfork(2) child, which shares (and must not touch) our memory. */
static void before_exec(void)
{
	if (hskp_depth || getpid() != hskp_pid)
		return;
	hskp_table_lock();
	hsk_sock_foreach(demote, (void *)1);
	hskp_table_unlock();
}

HSK_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec();
	return LIBC(execve)(path, argv, envp);
}

HSK_EXPORT int execv(const char *path, char *const argv[])
{
	before_exec();
	return LIBC(execv)(path, argv);
}

HSK_EXPORT int execvp(const char *file, char *const argv[])
{
	before_exec();
	return LIBC(execvp)(file, argv);
}

HSK_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	before_exec();
	return LIBC(execvpe)(file, argv, envp);
}

HSK_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	before_exec();
	return LIBC(fexecve)(fd, argv, envp);
}

/* The execl family: the variadic list as an argv array. */
#define COLLECT_ARGS(argv, arg0, last, extra)                    \
	size_t n_ = 1;                                           \
	va_list ap_;                                             \
	va_start(ap_, arg0);                                     \
	while (va_arg(ap_, char *))                              \
		n_++;                                            \
	va_end(ap_);                                             \
	char *argv[n_ + 1];                                      \
	argv[0] = (char *)(arg0);                                \
	va_start(ap_, arg0);                                     \
	for (size_t i_ = 1; i_ <= n_; i_++)                      \
		argv[i_] = i_ < n_ ? va_arg(ap_, char *) : NULL; \
	if (extra) {                                             \
		(void)va_arg(ap_, char *);                       \
		last = va_arg(ap_, char *const *);               \
	}                                                        \
	va_end(ap_)

HSK_EXPORT int execl(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;

	COLLECT_ARGS(argv, arg, envp, false);
	(void)envp;
	return execv(path, argv);
}

HSK_EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *const *envp = NULL;

	COLLECT_ARGS(argv, arg, envp, false);
	(void)envp;
	return execvp(file, argv);
}

HSK_EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;

	COLLECT_ARGS(argv, arg, envp, true);
	return execve(path, argv, envp);
}

__attribute__((constructor)) static void preload_init(void)
{
	hskp_resolve();
	hskp_pid = getpid();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

__attribute__((destructor)) static void preload_fini(void)
{
	hskp_stat_at_exit();
}
