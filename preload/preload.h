/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of libhotsock-preload.so: the libc functions it stands in
 * front of, and the rule that keeps the library's own calls out of it.
 *
 * The preload carries its own copy of libhotsock, linked in statically
 * and hidden, so its libc calls (socket, poll, recvmsg on a shadow
 * socket...) land on the wrappers too. A thread-local depth counts the
 * calls into that copy: while it is non-zero every wrapper is libc, so
 * the library, and whatever it calls (libxdp, libbpf, DPDK's drivers),
 * sees the system as it is.
 */
#ifndef HSKP_PRELOAD_H
#define HSKP_PRELOAD_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "hsk_priv.h"

struct hskp_libc {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*close)(int);
	int (*shutdown)(int, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			struct timespec *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			   const sigset_t *);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
};

extern struct hskp_libc hskp_real;
void hskp_resolve(void);

/* The libc function @fn, resolved on first use if the constructor has not
 * run yet (another library's constructor may open sockets before ours). */
#define LIBC(fn) \
	(*(hskp_real.fn ? hskp_real.fn : (hskp_resolve(), hskp_real.fn)))

extern __thread int hskp_depth __attribute__((tls_model("initial-exec")));

/* Runs @expr inside the library's copy: its own calls go to libc. */
#define IN_LIB(expr)                               \
	({                                         \
		hskp_depth++;                      \
		__typeof__(expr) _hskp_r = (expr); \
		hskp_depth--;                      \
		_hskp_r;                           \
	})

/* The hotsock socket behind @fd, or NULL: a call to hand to libc. */
static inline struct hsk_sock *hskp_sock(int fd)
{
	return hskp_depth ? NULL : hsk_sock_get(fd);
}

/*
 * A socket whose readiness lives partly in user space: ->pending is the
 * truth for POLLIN, the descriptor only for the rest.
 */
static inline struct hsk_sock *hskp_user_state(int fd)
{
	struct hsk_sock *s = hskp_sock(fd);

	return s && s->be->ctl->pending ? s : NULL;
}

/* Held while sockets are closed, duplicated or listed (preload.c). */
void hskp_table_lock(void);
void hskp_table_unlock(void);

/* wait.c: the epoll sets' view of a socket that is gone, or of a set. */
void hskp_epoll_forget_sock(struct hsk_sock *s);
void hskp_epoll_forget_set(int epfd);

/* stat.c */
/* One line of counters for @fd: "fd=3 backend=af_xdp ...\n". */
int hskp_stat_line(char *buf, size_t len, int fd, struct hsk_sock *s);
/* Serve hotsock-stat for this process (idempotent; after fork: again). */
void hskp_stat_start(void);
void hskp_stat_after_fork(void);
/* Appends @fd's line to $HOTSOCK_STAT_FILE, when set (the socket closes). */
void hskp_stat_at_close(int fd, struct hsk_sock *s);
void hskp_stat_at_exit(void);

#endif /* HSKP_PRELOAD_H */
