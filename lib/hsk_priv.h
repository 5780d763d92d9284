/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interfaces of libhotsock: socket state, the backend ops tables,
 * configuration and logging. Nothing here is exported (hidden visibility,
 * lib/libhotsock.map).
 */
#ifndef HSK_PRIV_H
#define HSK_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "hotsock.h"

#define HSK_EXPORT __attribute__((visibility("default")))

struct hsk_sock;

/* When a wait gives up: never, or at a CLOCK_MONOTONIC instant. */
struct hsk_deadline {
	bool forever;
	struct timespec at;
};

/*
 * Control operations of a backend. An entry left NULL means "what the
 * kernel socket does": the core then calls the system call on the
 * descriptor itself. All receive and send entries are called without
 * waiting (as with MSG_DONTWAIT); the core waits with ->wait between tries.
 */
struct hsk_ctl_ops {
	/* Make the socket's private state; the descriptor already exists. */
	int (*open)(struct hsk_sock *s);
	void (*close)(struct hsk_sock *s);
	int (*bind)(struct hsk_sock *s, const struct sockaddr *a, socklen_t l);
	int (*connect)(struct hsk_sock *s, const struct sockaddr *a,
		       socklen_t l);
	int (*setsockopt)(struct hsk_sock *s, int level, int name,
			  const void *val, socklen_t len);
	int (*getsockopt)(struct hsk_sock *s, int level, int name, void *val,
			  socklen_t *len);
	/* NULL: the descriptor's own (a placeholder may not know it). */
	int (*getsockname)(struct hsk_sock *s, struct sockaddr *a,
			   socklen_t *l);
	ssize_t (*recvmsg)(struct hsk_sock *s, struct msghdr *m, int flags);
	int (*recvmmsg)(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
			int flags);
	ssize_t (*sendmsg)(struct hsk_sock *s, const struct msghdr *m,
			   int flags);
	/* Optional batch of ->sendmsg: may send fewer than @n. */
	int (*sendmmsg)(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
			int flags);
	/*
	 * Readiness for hsk_poll(): the events a receive or send would find
	 * now, counting what the library holds in user space. NULL: the
	 * descriptor's own readiness is the truth.
	 */
	short (*pending)(struct hsk_sock *s, short events);
	/* Receive drops the kernel counted for this socket so far. */
	uint64_t (*kernel_drops)(struct hsk_sock *s);
	/*
	 * Descriptors besides the socket's own that signal its readiness
	 * (rings, wake-up events), for hsk_poll(): fills up to @max with
	 * POLLIN entries and returns how many.
	 */
	int (*extra_fds)(struct hsk_sock *s, int *fds, int max);
	/* Wait for @events or the deadline; NULL: hsk_wait_fd(). */
	int (*wait)(struct hsk_sock *s, short events,
		    const struct hsk_deadline *d);
};

/*
 * Burst operations of the zero-copy API: one indirect call per burst.
 * The core keeps the loans (ownership checks, the cap) and calls these
 * with the socket's lock held; each buffer travels with a cookie, the
 * backend's own name for it (a slot index, a ring frame, a UMEM address).
 */
struct hsk_burst_ops {
	/* Fill up to @n buffers without waiting; 0 when none, -1 on error. */
	int (*rx_burst)(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
			unsigned int n);
	void (*rx_release)(struct hsk_sock *s, const uint64_t *cookie,
			   unsigned int n);
	int (*tx_alloc)(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
			unsigned int n);
	void (*tx_free)(struct hsk_sock *s, const uint64_t *cookie,
			unsigned int n);
	/* Send without waiting; returns how many left (their buffers are
	 * the backend's again), or -1 with errno when none did. */
	int (*tx_burst)(struct hsk_sock *s, const struct hsk_buf *b,
			const uint64_t *cookie, unsigned int n,
			const struct sockaddr *dst, socklen_t dstlen,
			int flags);
};

struct hsk_backend {
	const char *name;
	const struct hsk_ctl_ops *ctl;
	const struct hsk_burst_ops *burst;
};

/*
 * Receive flags a fast path serves itself; with any other the kernel
 * answers (EOPNOTSUPP for MSG_OOB, the error queue, ...). MSG_NOSIGNAL
 * means nothing on receive: the kernel ignores it, so do we.
 */
#define HSK_FAST_RECV_FLAGS \
	(MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_NOSIGNAL)

/* Counters are per socket and only ever incremented: relaxed atomics. */
typedef _Atomic uint64_t hsk_counter;

struct hsk_sock_stats {
	hsk_counter rx_packets, rx_bytes, tx_packets, tx_bytes;
	hsk_counter rx_fast_path, rx_kernel_path, tx_fast_path, tx_kernel_path;
	hsk_counter rx_truncated, rx_drop_kernel, rx_drop_malformed;
	hsk_counter rx_drop_checksum, rx_drop_no_buffer, tx_errors;
};

static inline void hsk_count(hsk_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/*
 * A call's datagrams, counted once per call: each add is an atomic
 * read-modify-write, which per datagram would cost a burst more cycles
 * than the rest of its books.
 */
static inline void hsk_count_rx(struct hsk_sock_stats *st, uint64_t packets,
				uint64_t bytes, uint64_t truncated)
{
	hsk_count(&st->rx_packets, packets);
	hsk_count(&st->rx_bytes, bytes);
	if (truncated)
		hsk_count(&st->rx_truncated, truncated);
}

static inline void hsk_count_tx(struct hsk_sock_stats *st, uint64_t packets,
				uint64_t bytes)
{
	hsk_count(&st->tx_packets, packets);
	hsk_count(&st->tx_bytes, bytes);
}

/*
 * Buffers lent to the caller, at most cap at once. Each lent hsk_buf names
 * its entry (priv[2]) so that a release is checked before it is trusted.
 */
struct hsk_loan {
	uint64_t cookie;
	uint32_t gen; /* bumped per loan: stale tags do not match */
	uint8_t kind; /* enum hsk_buf_kind, 0 when free */
};

enum hsk_buf_kind { HSK_BUF_RX = 1, HSK_BUF_TX = 2 };

struct hsk_loans {
	struct hsk_loan *tab;
	uint32_t *free_list;
	uint32_t nfree;
	uint32_t cap;
};

/* Fixed-size slots in one mapping, handed out by index (lib/zc.c). */
struct hsk_slab {
	unsigned char *base;
	size_t map_len;
	uint32_t slot_size;
	uint32_t nslots;
	uint32_t nfree;
	uint32_t *free_list; /* stack of free slot indices */
};

struct hsk_sock {
	int fd;
	int domain, type, protocol; /* as socket(2); type without flags */
	int cloexec;		    /* SOCK_CLOEXEC asked at creation */
	uint32_t id;		    /* tags lent buffers with their socket */
	const struct hsk_backend *be;
	_Atomic double timeout; /* < 0 blocking, 0 non-blocking */
	pthread_mutex_t lock;	/* loans and backend receive state */
	struct hsk_loans loans;
	unsigned int buf_size;
	size_t packet_ring_size;
	unsigned int busy_poll_us; /* the configuration's, at creation */
	struct hsk_sock_stats stats;
	void *priv; /* the backend's */
};

/* lib/fdtable.c: descriptor number -> socket state. */
struct hsk_sock *hsk_sock_get(int fd);
int hsk_sock_install(struct hsk_sock *s);
/* Another number for the same socket (a dup(2) of its descriptor). */
int hsk_sock_install_at(int fd, struct hsk_sock *s);
struct hsk_sock *hsk_sock_remove(int fd);
/* Calls @fn for every number in the table; the caller keeps the table
 * still (no socket closes meanwhile). */
void hsk_sock_foreach(void (*fn)(int fd, struct hsk_sock *s, void *arg),
		      void *arg);

/* lib/config.c */
struct hsk_config {
	const char *backend; /* "auto", "kernel", "af_xdp", "dpdk" */
	bool strict;
	int log_level;
	unsigned int zc_max_held;
	unsigned int zc_buf_size;
	size_t packet_ring_size;
	char iface[16];	     /* "" when not set */
	unsigned int queues; /* 0: all */
	unsigned int ring_size;
	unsigned int busy_poll_us;
	bool packet_exclusive;
	int xdp_zerocopy; /* 1 force zero-copy, -1 force copy, 0 auto */
	char dpdk_args[512]; /* "" when not set */
	/* The DPDK port's addresses; a zero prefix: none of that family. */
	struct in_addr dpdk_ip4, dpdk_gw4;
	uint8_t dpdk_prefix4;
	struct in6_addr dpdk_ip6, dpdk_gw6;
	uint8_t dpdk_prefix6;
};

int hsk_config_get(struct hsk_config *out);
double hsk_default_timeout(void);
int hsk_timeout_valid(double seconds);

enum { HSK_LOG_ERR = 1, HSK_LOG_WARN, HSK_LOG_INFO, HSK_LOG_DEBUG };
void hsk_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* lib/socket.c: waiting by the socket's mode. */

/*
 * Wait until @fd shows @events or the deadline passes. Returns 0 when
 * ready, -1 with ETIMEDOUT or EINTR otherwise.
 */
int hsk_wait_fd(int fd, short events, const struct hsk_deadline *d);
/* Milliseconds left for poll(2), rounded up; -1 for a forever deadline. */
int hsk_deadline_ms(const struct hsk_deadline *d);

/* lib/poll.c: hsk_poll() with the signal mask of ppoll(2) (NULL: none). */
int hsk_poll_sigmask(struct pollfd *fds, nfds_t nfds, int timeout,
		     const sigset_t *sigmask);

/*
 * One try of an operation, never blocking: >= 0 on success, or -1 with
 * errno (EAGAIN when it would block).
 */
typedef ssize_t (*hsk_attempt_fn)(struct hsk_sock *s, void *arg, int flags);

/*
 * Runs @try by the socket's mode. @kernel_waits: the attempt is a system
 * call on the descriptor, so in blocking mode the kernel may wait itself,
 * by its own rules (SO_RCVTIMEO, O_NONBLOCK). Otherwise the library waits
 * and applies those same rules.
 */
ssize_t hsk_run_op(struct hsk_sock *s, short events, int flags,
		   bool kernel_waits, hsk_attempt_fn try, void *arg);

/* lib/zc.c */
int hsk_loans_init(struct hsk_loans *l, uint32_t cap);
void hsk_loans_fini(struct hsk_loans *l);

int hsk_slab_init(struct hsk_slab *sl, uint32_t nslots, uint32_t slot_size);
void hsk_slab_fini(struct hsk_slab *sl);
/* Pops up to @n free slots into @idx; returns how many. Caller locks. */
unsigned int hsk_slab_get(struct hsk_slab *sl, uint32_t *idx, unsigned int n);
void hsk_slab_put(struct hsk_slab *sl, uint32_t idx);
static inline void *hsk_slab_ptr(const struct hsk_slab *sl, uint32_t idx)
{
	return sl->base + (size_t)idx * sl->slot_size;
}

/* lib/cmsg.c: control messages as the kernel's put_cmsg() writes them. */
struct hsk_cmsg_writer {
	struct msghdr *m;
	size_t used;
};

void hsk_put_cmsg(struct hsk_cmsg_writer *w, int level, int type,
		  const void *data, size_t len);
/* Sets msg_controllen to what was written. */
void hsk_cmsg_done(struct hsk_cmsg_writer *w);

/* An integer option of @fd, 0 when it has none. */
int hsk_opt_int(int fd, int level, int name);

/*
 * The receive options the kernel answers with control messages, which a
 * backend receiving in user space mirrors from its kernel socket after
 * every option change.
 */
enum {
	HSK_RX_TIMESTAMPNS = 1 << 0,
	HSK_RX_TIMESTAMP = 1 << 1,
	HSK_RX_OVFL = 1 << 2,
	HSK_RX_PKTINFO = 1 << 3,
	HSK_RX_TTL = 1 << 4,
	HSK_RX_TOS = 1 << 5,
	HSK_RX_AUXDATA = 1 << 6,
};

/* The HSK_RX_* options set on @fd: a UDP socket of @family, or a packet
 * socket when @packet. */
unsigned int hsk_rx_options(int fd, int family, bool packet);

struct hsk_net_udp;

/* What a backend knows of a datagram it delivers, besides its data. */
struct hsk_rx_meta {
	uint64_t ts_ns;
	uint32_t drops; /* the socket's so far, for SO_RXQ_OVFL */
	int ifindex;
	const struct hsk_net_udp *pkt; /* UDP; NULL on a packet socket */
	uint32_t off, len; /* packet socket: its data in the frame */
};

/* The control messages udp_recvmsg() or packet_recvmsg() would give for
 * @rx with the HSK_RX_* options @want, in their order. */
void hsk_put_rx_cmsgs(struct msghdr *m, unsigned int want,
		      const struct hsk_rx_meta *rx);

/* The source address recvfrom() gives for @pkt, received on @ifindex;
 * returns its length. */
socklen_t hsk_udp_sockaddr(const struct hsk_net_udp *pkt, int ifindex,
			   void *out);
/* The same for a frame of @len bytes on a packet socket, received on
 * @ifindex whose own address is @mac. */
socklen_t hsk_ll_sockaddr(const uint8_t *frame, uint32_t len, int ifindex,
			  const uint8_t *mac, void *out);

/* Copies @len bytes into @m's iovecs: bytes copied, or -1 with EFAULT for
 * a NULL base with a non-zero length. */
ssize_t hsk_copy_to_iov(const struct msghdr *m, const void *src, size_t len);

/*
 * One recvmmsg(2), without waiting, into up to HSK_RECV_BUFS_MAX buffers
 * whose .data the caller set, @cap bytes each; fills the rest of each
 * hsk_buf (lengths, HSK_BUF_TRUNC, source, timestamp: the kernel's
 * SO_TIMESTAMPNS when @kernel_ts and it gave one, else now). Returns how
 * many, 0 when nothing is queued, or -1 with errno.
 */
#define HSK_RECV_BUFS_MAX 64
int hsk_recvmmsg_bufs(int fd, struct hsk_buf *b, unsigned int n, uint32_t cap,
		      bool kernel_ts);

/* Timestamps as the API gives them: ns since the epoch. */
static inline uint64_t hsk_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

/* Backends compiled in (drivers/). */
extern const struct hsk_backend hsk_kernel_plain_backend; /* TCP, ... */
extern const struct hsk_backend hsk_kernel_udp_backend;
extern const struct hsk_backend hsk_kernel_packet_backend;
#ifdef HSK_HAVE_AF_XDP
extern const struct hsk_backend hsk_af_xdp_backend;
#endif
#ifdef HSK_HAVE_DPDK
extern const struct hsk_backend hsk_dpdk_backend; /* UDP and AF_PACKET */
#endif

#endif /* HSK_PRIV_H */
