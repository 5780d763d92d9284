/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hotsock.h - the socket API you already know, over kernel, AF_XDP and DPDK.
 *
 * Every BSD call keeps its signature with an hsk_ prefix and works on the
 * descriptor hsk_socket() returns. That descriptor is a real kernel socket
 * (on the fast paths: the "shadow" socket bound to the same address), so it
 * can be handed to poll(2), epoll(7) and select(2) as it is.
 *
 * Errors follow the kernel: -1 and errno, with the errno a kernel socket
 * would give for the same call. A descriptor that hsk_socket() did not
 * create is handed to the kernel unchanged, so the kernel answers for it
 * (EBADF for a closed descriptor, ENOTSOCK for a file).
 *
 * Timeouts follow Python's socket module: each socket is in blocking mode
 * (HSK_TIMEOUT_NONE), non-blocking mode (0.0) or timeout mode (> 0). In
 * timeout mode a call that runs out of time fails with ETIMEDOUT; in
 * non-blocking mode a call that would block fails with EAGAIN. In blocking
 * mode the kernel's own rules apply: SO_RCVTIMEO/SO_SNDTIMEO and an
 * O_NONBLOCK set with fcntl(2) behave as on any kernel socket.
 *
 * Thread safety: every call may be made from any thread. Two threads may
 * receive on one socket at once; each datagram goes to one of them.
 */
#ifndef HOTSOCK_H
#define HOTSOCK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <linux/if_packet.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by <sys/socket.h> only under _GNU_SOURCE, which callers of the
 * mmsg calls define; declared here so the header stands on its own. */
struct mmsghdr;
struct timespec;

#define HSK_VERSION_MAJOR 0
#define HSK_VERSION_MINOR 1

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

/**
 * struct hsk_opts - library configuration, the code twin of HOTSOCK_*.
 *
 * Declare it with HSK_OPTS() so that .sz is set: the struct grows at its end
 * and the library reads only the fields the caller's size covers. A field
 * left zero means "take it from the environment, else the default":
 *
 *   backend          HOTSOCK_BACKEND        "auto" (default), "kernel",
 *                                           "af_xdp", "dpdk"
 *   strict           HOTSOCK_STRICT         1: a socket that cannot get the
 *                                           backend asked for fails instead
 *                                           of falling back; -1: never strict
 *   log_level        HOTSOCK_LOG_LEVEL      0 silent, 1 errors, 2 warnings
 *                                           (default), 3 info, 4 debug
 *   zc_max_held      HOTSOCK_ZC_MAX_HELD    buffers a caller may hold per
 *                                           socket (default 256)
 *   zc_buf_size      HOTSOCK_ZC_BUF_SIZE    bytes per zero-copy buffer of the
 *                                           kernel backend, 256..65536
 *                                           (default 2048); the fast paths
 *                                           lend their own frames (2048-byte
 *                                           UMEM frames on af_xdp)
 *   packet_ring_size HOTSOCK_PACKET_RING_SIZE  bytes of TPACKET_V3 ring per
 *                                           AF_PACKET socket, 256 KiB..1 GiB
 *                                           (default 4 MiB)
 *   iface            HOTSOCK_IFACE          interface of the fast path for
 *                                           sockets bound to the wildcard
 *                                           address (default: the only
 *                                           non-loopback interface that is up)
 *   queues           HOTSOCK_QUEUES         receive queues to serve, from 0
 *                                           (default: all of the interface's)
 *   ring_size        HOTSOCK_RING_SIZE      AF_XDP ring entries, a power of
 *                                           two 64..16384 (default 2048)
 *   busy_poll_us     HOTSOCK_BUSY_POLL      spin this long before sleeping in
 *                                           a wait, and set SO_BUSY_POLL /
 *                                           SO_PREFER_BUSY_POLL (default 0)
 *   packet_exclusive HOTSOCK_PACKET_EXCLUSIVE  1: an AF_PACKET socket on
 *                                           af_xdp takes its frames through
 *                                           the XSK, away from the kernel and
 *                                           its other sockets (a dedicated
 *                                           capture interface); -1 or unset:
 *                                           the kernel keeps every frame and
 *                                           the socket receives its copies,
 *                                           sending through the XSK
 *   xdp_zerocopy     HOTSOCK_XDP_ZEROCOPY   1: AF_XDP in zero-copy mode or
 *                                           not at all; -1 (or "0"): copy
 *                                           mode; unset: the driver's best
 *   dpdk_args        HOTSOCK_DPDK_ARGS      EAL arguments, space-separated
 *                                           (e.g. "--vdev=net_tap0"); what
 *                                           they leave out is defaulted:
 *                                           memory, --no-pci, a per-process
 *                                           --file-prefix (docs/design.md)
 *   dpdk_ip          HOTSOCK_DPDK_IP        the DPDK port's IPv4 address and
 *                                           prefix, "198.18.0.1/24" (default:
 *                                           none, no IPv4 on the port)
 *   dpdk_gw          HOTSOCK_DPDK_GW        its IPv4 default gateway (none)
 *   dpdk_ip6         HOTSOCK_DPDK_IP6       its IPv6 address and prefix,
 *                                           "2001:2::1/64" (none)
 *   dpdk_gw6         HOTSOCK_DPDK_GW6       its IPv6 default gateway (none)
 */
struct hsk_opts {
	size_t sz;
	const char *backend;
	int strict;
	int log_level;
	unsigned int zc_max_held;
	unsigned int zc_buf_size;
	size_t packet_ring_size;
	const char *iface;
	unsigned int queues;
	unsigned int ring_size;
	unsigned int busy_poll_us;
	int packet_exclusive;
	int xdp_zerocopy;
	const char *dpdk_args;
	const char *dpdk_ip;
	const char *dpdk_gw;
	const char *dpdk_ip6;
	const char *dpdk_gw6;
};

#define HSK_OPTS(name, ...) \
	struct hsk_opts name = { .sz = sizeof(struct hsk_opts), __VA_ARGS__ }

/**
 * hsk_init() - configure the library from code.
 * @opts: options declared with HSK_OPTS(), or NULL for the environment only.
 *
 * Optional: the first hsk_socket() configures from the environment when
 * hsk_init() was never called. Settings apply to sockets created afterwards.
 *
 * Return: 0, or -1 with errno:
 *   EINVAL  @opts->sz is smaller than the first field, a field past the
 *           size this library knows is non-zero, a value is out of range,
 *           or the backend name is unknown (also for HOTSOCK_* variables).
 */
int hsk_init(const struct hsk_opts *opts);

/* ------------------------------------------------------------------ */
/* BSD socket calls                                                   */
/* ------------------------------------------------------------------ */

/**
 * hsk_socket() - create a socket, as socket(2).
 *
 * AF_INET/AF_INET6 SOCK_DGRAM (UDP) and AF_PACKET SOCK_RAW/SOCK_DGRAM
 * sockets take the configured backend; any other family or type (TCP,
 * AF_UNIX, ...) is a plain kernel socket that the other hsk_ calls,
 * timeouts included, still serve. SOCK_NONBLOCK puts the socket in
 * non-blocking mode; SOCK_CLOEXEC is honoured. Otherwise the socket starts
 * with the default timeout (hsk_setdefaulttimeout()).
 *
 * An AF_PACKET socket receives through a TPACKET_V3 ring mapped at
 * creation: read it with the hsk_recv* calls or hsk_recv_zc(), not with
 * read(2) on the descriptor.
 *
 * Return: a descriptor, or -1 with errno:
 *   EAFNOSUPPORT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EINVAL, EPERM, EACCES,
 *   EMFILE, ENFILE, ENOBUFS, ENOMEM  as socket(2);
 *   ENOTSUP  strict mode, and the backend asked for cannot serve it (the
 *            reason is logged);
 *   EINVAL   the configuration (hsk_init() or HOTSOCK_*) is invalid.
 */
int hsk_socket(int domain, int type, int protocol);

/**
 * hsk_close() - close a socket, as close(2).
 *
 * Buffers still lent by the zero-copy calls become invalid.
 *
 * Return: 0, or -1 with errno:
 *   EBADF  @fd is not an open descriptor.
 *   EINTR, EIO  as close(2).
 */
int hsk_close(int fd);

/**
 * hsk_bind() - bind a local address, as bind(2).
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EFAULT   @addr is NULL or unreadable with a non-zero @addrlen.
 *   EINVAL   @addrlen is too short for the family, or already bound.
 *   EAFNOSUPPORT  the address family does not match the socket.
 *   EADDRINUSE, EADDRNOTAVAIL, EACCES, ENODEV  as bind(2).
 */
int hsk_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);

/**
 * hsk_connect() - set the default peer, as connect(2).
 *
 * For UDP this filters received datagrams to the peer and lets hsk_send()
 * omit the address; AF_UNSPEC dissolves the association. For a stream
 * socket in timeout mode, the connection must complete in time.
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK, EFAULT, EINVAL, EAFNOSUPPORT  as hsk_bind().
 *   ENETUNREACH, EHOSTUNREACH, ECONNREFUSED, EADDRNOTAVAIL, EISCONN,
 *   EALREADY, EINPROGRESS  as connect(2).
 *   ETIMEDOUT  timeout mode, and the connection did not complete in time.
 *   EOPNOTSUPP  AF_PACKET sockets.
 */
int hsk_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/**
 * hsk_listen() - listen on a stream socket, as listen(2).
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EOPNOTSUPP  datagram and packet sockets.
 *   EADDRINUSE  as listen(2).
 */
int hsk_listen(int fd, int backlog);

/**
 * hsk_accept() - accept a connection, as accept(2).
 *
 * The new socket is a hotsock descriptor with the default timeout.
 *
 * Return: a descriptor, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EOPNOTSUPP  datagram and packet sockets.
 *   EINVAL   not listening, or *@addrlen is negative.
 *   EFAULT   @addr or @addrlen unwritable.
 *   EAGAIN   non-blocking mode and no connection is pending.
 *   ETIMEDOUT  timeout mode and none arrived in time.
 *   EMFILE, ENFILE, ENOBUFS, ENOMEM, EINTR, ECONNABORTED  as accept(2).
 */
int hsk_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);

/**
 * hsk_shutdown() - shut down part of a connection, as shutdown(2).
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EINVAL   @how is not SHUT_RD, SHUT_WR or SHUT_RDWR.
 *   ENOTCONN  the socket is not connected.
 */
int hsk_shutdown(int fd, int how);

/**
 * hsk_send(), hsk_sendto(), hsk_sendmsg() - send, as send(2) and friends.
 *
 * In non-blocking mode (or with MSG_DONTWAIT) a full send buffer gives
 * EAGAIN; in timeout mode the send waits at most the timeout.
 *
 * Return: bytes sent, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EFAULT   a NULL or unreadable buffer with a non-zero length, or an
 *            unreadable address or message header.
 *   EINVAL   @addrlen too short for the family, or a bad cmsg.
 *   EAFNOSUPPORT  destination of another family.
 *   EDESTADDRREQ  no destination and not connected.
 *   EISCONN  a destination given on a connected stream socket.
 *   EMSGSIZE  the datagram exceeds the protocol's maximum or the MTU
 *            (AF_PACKET).
 *   EOPNOTSUPP  a flag the protocol does not support (MSG_OOB on UDP).
 *   EACCES   broadcast destination without SO_BROADCAST.
 *   EAGAIN   would block in non-blocking mode or with MSG_DONTWAIT.
 *   ETIMEDOUT  timeout mode and no room in time.
 *   ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ENOBUFS, ENOMEM, EPIPE,
 *   EINTR, ENXIO, ENETDOWN  as send(2).
 */
ssize_t hsk_send(int fd, const void *buf, size_t len, int flags);
ssize_t hsk_sendto(int fd, const void *buf, size_t len, int flags,
		   const struct sockaddr *dst, socklen_t dstlen);
ssize_t hsk_sendmsg(int fd, const struct msghdr *msg, int flags);

/**
 * hsk_sendmmsg() - send several datagrams, as sendmmsg(2).
 *
 * Return: the number of messages sent (each msg_len set), or -1 with the
 * errno of hsk_sendmsg() when the first one fails.
 */
int hsk_sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags);

/**
 * hsk_recv(), hsk_recvfrom(), hsk_recvmsg() - receive, as recv(2).
 *
 * MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT and MSG_WAITALL (streams) behave as on
 * a kernel socket; MSG_TRUNC is set in msg_flags when a datagram was cut.
 * Ancillary data (SO_TIMESTAMP, SO_TIMESTAMPNS, IP_PKTINFO,
 * IPV6_RECVPKTINFO, SO_RXQ_OVFL, PACKET_AUXDATA) is filled as the kernel
 * fills it when the option is on.
 *
 * Return: the datagram's length (bytes copied, or its full length with
 * MSG_TRUNC), 0 for an empty datagram or an orderly stream shutdown, or -1
 * with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EFAULT   a NULL or unwritable buffer with a non-zero length.
 *   EINVAL   flags the protocol rejects (an AF_PACKET socket rejects
 *            any but MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC, MSG_ERRQUEUE).
 *   EAGAIN   would block in non-blocking mode, with MSG_DONTWAIT, or when
 *            SO_RCVTIMEO expires in blocking mode.
 *   ETIMEDOUT  timeout mode and nothing arrived in time.
 *   ECONNREFUSED  a connected UDP socket's peer answered ICMP unreachable.
 *   ENOTCONN, EINTR, ENOMEM  as recv(2).
 */
ssize_t hsk_recv(int fd, void *buf, size_t len, int flags);
ssize_t hsk_recvfrom(int fd, void *buf, size_t len, int flags,
		     struct sockaddr *src, socklen_t *srclen);
ssize_t hsk_recvmsg(int fd, struct msghdr *msg, int flags);

/**
 * hsk_recvmmsg() - receive several datagrams, as recvmmsg(2).
 *
 * In timeout mode the socket's timeout bounds the wait for the first
 * datagram and @timeout (as in recvmmsg(2)) the rest.
 *
 * Return: the number of messages received, or -1 with the errno of
 * hsk_recvmsg() when none was.
 */
int hsk_recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
		 struct timespec *timeout);

/**
 * hsk_getsockopt(), hsk_setsockopt() - socket options, as getsockopt(2).
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EFAULT   @optval or @optlen unreadable or unwritable.
 *   EINVAL   @optlen wrong for the option, or a bad value.
 *   ENOPROTOOPT  unknown option at that level.
 *   EADDRINUSE, EADDRNOTAVAIL, ENODEV  multicast membership errors.
 */
int hsk_getsockopt(int fd, int level, int optname, void *optval,
		   socklen_t *optlen);
int hsk_setsockopt(int fd, int level, int optname, const void *optval,
		   socklen_t optlen);

/**
 * hsk_getsockname(), hsk_getpeername() - addresses, as getsockname(2).
 *
 * Return: 0, or -1 with errno:
 *   EBADF, ENOTSOCK  @fd is not an open socket.
 *   EFAULT   @addr or @addrlen unwritable.
 *   EINVAL   *@addrlen is negative.
 *   ENOTCONN  hsk_getpeername() on an unconnected socket.
 */
int hsk_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
int hsk_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen);

/**
 * hsk_poll() - wait for readiness, as poll(2).
 *
 * @fds may mix hotsock descriptors and any other descriptor. A hotsock
 * socket is readable when a receive call would not block, counting data
 * the library already holds in user space (rings, batches).
 *
 * Return: the number of entries with non-zero revents, 0 on timeout, or -1
 * with errno:
 *   EFAULT   @fds NULL or unreadable with a non-zero @nfds.
 *   EINVAL   @nfds exceeds RLIMIT_NOFILE.
 *   EINTR, ENOMEM  as poll(2).
 */
int hsk_poll(struct pollfd *fds, nfds_t nfds, int timeout);

/* ------------------------------------------------------------------ */
/* Python-socket conveniences                                         */
/* ------------------------------------------------------------------ */

/* Blocking mode, as Python's None. Any negative value means the same. */
#define HSK_TIMEOUT_NONE (-1.0)

/**
 * hsk_settimeout() - choose blocking, non-blocking or timeout mode.
 * @seconds: negative for blocking, 0.0 for non-blocking, positive for a
 *           timeout that bounds each call as a whole.
 *
 * As in Python, non-blocking and timeout mode set O_NONBLOCK on the
 * descriptor and blocking mode clears it.
 *
 * Return: 0, or -1 with errno:
 *   EBADF   @fd is not a hotsock descriptor.
 *   EINVAL  @seconds is NaN or too large to represent.
 */
int hsk_settimeout(int fd, double seconds);

/**
 * hsk_gettimeout() - the timeout of @fd.
 *
 * Return: a negative value (HSK_TIMEOUT_NONE) in blocking mode, 0.0 in
 * non-blocking mode, the timeout otherwise; or NaN with errno EBADF when
 * @fd is not a hotsock descriptor.
 */
double hsk_gettimeout(int fd);

/**
 * hsk_setblocking() - hsk_settimeout(fd, flag ? HSK_TIMEOUT_NONE : 0.0).
 *
 * Return: 0, or -1 with errno EBADF when @fd is not a hotsock descriptor.
 */
int hsk_setblocking(int fd, int flag);

/**
 * hsk_getblocking() - 1 unless @fd is in non-blocking mode, as Python
 * (a socket in timeout mode counts as blocking).
 *
 * Return: 1 or 0, or -1 with errno EBADF when @fd is not a hotsock
 * descriptor.
 */
int hsk_getblocking(int fd);

/**
 * hsk_setdefaulttimeout() - the timeout new sockets start with.
 * @seconds: as hsk_settimeout(); negative for blocking (the default).
 *
 * Return: 0, or -1 with errno EINVAL when @seconds is NaN or too large.
 */
int hsk_setdefaulttimeout(double seconds);

/** hsk_getdefaulttimeout() - the timeout new sockets start with. */
double hsk_getdefaulttimeout(void);

/**
 * hsk_sendall() - send a whole buffer.
 *
 * On a stream socket, sends until all of @buf is gone; in timeout mode the
 * timeout bounds the whole call, as in Python 3.5 and later. On a datagram
 * or packet socket, one hsk_send().
 *
 * Return: @len, or -1 with the errno of hsk_send() (how much of a stream
 * was sent is then unknown, as in Python).
 */
ssize_t hsk_sendall(int fd, const void *buf, size_t len, int flags);

/**
 * hsk_backend_name() - the path this socket really uses.
 *
 * Return: "kernel", "af_xdp" or "dpdk"; or NULL with errno EBADF when @fd
 * is not a hotsock descriptor.
 */
const char *hsk_backend_name(int fd);

/**
 * struct hsk_stats - per-socket counters, monotonic from creation.
 *
 * The caller passes its own sizeof to hsk_stats(): fields are only ever
 * added at the end, and a caller built against an older header gets the
 * fields it knows.
 */
struct hsk_stats {
	uint64_t rx_packets;	 /* datagrams or frames delivered */
	uint64_t rx_bytes;	 /* their payload bytes */
	uint64_t tx_packets;	 /* datagrams or frames sent */
	uint64_t tx_bytes;	 /* their payload bytes */
	uint64_t rx_fast_path;	 /* delivered by the fast path */
	uint64_t rx_kernel_path; /* delivered by the kernel socket */
	uint64_t tx_fast_path;	 /* sent by the fast path */
	uint64_t tx_kernel_path; /* sent by the kernel socket */
	uint64_t rx_truncated;	 /* delivered cut to the buffer given */
	/* Receive buffer full (SO_RCVBUF, or the TPACKET_V3 ring): drops
	 * counted by the kernel (SO_MEMINFO, PACKET_STATISTICS) or by a fast
	 * path's queue, which honours the same limit; on af_xdp also the
	 * port's XSK rings (XDP_STATISTICS), shared by its sockets. */
	uint64_t rx_drop_kernel;
	uint64_t rx_drop_malformed; /* bad lengths or headers */
	uint64_t rx_drop_checksum;  /* bad UDP or IP checksum */
	uint64_t rx_drop_no_buffer; /* fast path out of receive buffers */
	uint64_t tx_errors;	    /* sends that failed */
};

/**
 * hsk_stats() - read the counters of a socket.
 * @st: the counters this library knows, then zeros up to @sz: a caller
 *      built against a newer header reads 0 for counters this library
 *      does not keep.
 * @sz: sizeof(*@st) as the caller knows it.
 *
 * Return: 0, or -1 with errno:
 *   EBADF   @fd is not a hotsock descriptor.
 *   EFAULT  @st is NULL.
 *   EINVAL  @sz is smaller than one counter.
 */
int hsk_stats(int fd, struct hsk_stats *st, size_t sz);

/* ------------------------------------------------------------------ */
/* Zero-copy burst API                                                */
/* ------------------------------------------------------------------ */

/*
 * Buffer ownership
 *
 * A struct hsk_buf describes memory that belongs to the library: a slot of
 * the socket's buffer area on the kernel backend (UDP), a frame of the
 * TPACKET_V3 ring (AF_PACKET receive), a UMEM frame (AF_XDP) or an mbuf
 * (DPDK). The caller owns the struct hsk_buf array; the library owns what
 * .data points to, and lends it:
 *
 *  - hsk_recv_zc() and hsk_buf_alloc() lend buffers. From then on the
 *    caller may read (and, for transmit buffers, write) .data until it
 *    gives the buffer back. It must not write received data.
 *  - hsk_buf_release() gives lent buffers back; hsk_send_zc() gives back
 *    each buffer it sends. A buffer given back must not be touched again.
 *  - Buffers are lent per socket and must be given back to that socket.
 *    hsk_close() ends every loan: .data then dangles.
 *  - A caller may hold at most zc_max_held buffers per socket (receive and
 *    transmit together; HOTSOCK_ZC_MAX_HELD, default 256). A call that
 *    would exceed the cap lends fewer; one that can lend none because of
 *    the cap fails with ENOBUFS, and nothing is lost: received data stays
 *    queued until buffers come back. This bound is what keeps the fast
 *    paths' fill rings from starving.
 *  - While a caller holds frames of a TPACKET_V3 block, the kernel cannot
 *    reuse that block: holding many frames for long makes the kernel drop
 *    (counted in rx_drop_kernel).
 */

/* struct hsk_buf.flags */
#define HSK_BUF_TRUNC 0x1u /* received datagram longer than the buffer */

/* Bytes reserved in front of a transmit buffer's .data for headers. */
#define HSK_BUF_HEADROOM 128u

/**
 * struct hsk_buf - one lent buffer.
 * @data:     payload (received) or where to write it (transmit).
 * @len:      payload bytes; set it before hsk_send_zc().
 * @capacity: bytes writable at @data (transmit), or @len (receive).
 * @orig_len: received: the datagram's or frame's full length (> @len when
 *            HSK_BUF_TRUNC is set).
 * @flags:    HSK_BUF_* flags.
 * @ts_ns:    received: nanoseconds since the epoch (CLOCK_REALTIME): the
 *            kernel's timestamp on the kernel backend when SO_TIMESTAMPNS
 *            is on or the socket is AF_PACKET (ring), else the time the
 *            library pulled the batch (always, on af_xdp).
 * @addr:     received: the source address, as recvfrom() fills it.
 * @addrlen:  its length.
 * @priv:     the library's; do not touch.
 */
struct hsk_buf {
	void *data;
	uint32_t len;
	uint32_t capacity;
	uint32_t orig_len;
	uint32_t flags;
	uint64_t ts_ns;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_ll ll;
	} addr;
	socklen_t addrlen;
	uint32_t priv[3];
};

/**
 * hsk_recv_zc() - borrow up to @n received buffers.
 * @flags: 0 or MSG_DONTWAIT.
 *
 * Waits, by the socket's mode, for at least one datagram or frame, then
 * lends what is there up to @n and the cap.
 *
 * Return: the number lent (>= 1), 0 when @n is 0, or -1 with errno:
 *   EBADF    @fd is not a hotsock descriptor.
 *   EFAULT   @bufs is NULL with a non-zero @n.
 *   EINVAL   unknown @flags.
 *   EOPNOTSUPP  not a UDP or AF_PACKET socket.
 *   ENOBUFS  the caller already holds zc_max_held buffers.
 *   ENOMEM   the buffer area could not be allocated.
 *   EAGAIN, ETIMEDOUT, and the errors of hsk_recv().
 */
int hsk_recv_zc(int fd, struct hsk_buf *bufs, unsigned int n, int flags);

/**
 * hsk_buf_release() - give back buffers lent by hsk_recv_zc() or
 * hsk_buf_alloc().
 *
 * Buffers are checked before any is released: all or none go back.
 *
 * Return: 0, or -1 with errno:
 *   EBADF   @fd is not a hotsock descriptor.
 *   EFAULT  @bufs is NULL with a non-zero @n.
 *   EINVAL  a buffer is not currently lent by this socket.
 */
int hsk_buf_release(int fd, struct hsk_buf *bufs, unsigned int n);

/**
 * hsk_buf_alloc() - borrow up to @n transmit buffers.
 *
 * Each has HSK_BUF_HEADROOM bytes reserved in front of .data and
 * .capacity bytes writable at .data; .len starts at 0.
 *
 * Return: the number lent, or -1 with errno:
 *   EBADF, EFAULT, EOPNOTSUPP, ENOMEM  as hsk_recv_zc().
 *   ENOBUFS  the caller already holds zc_max_held buffers.
 */
int hsk_buf_alloc(int fd, struct hsk_buf *bufs, unsigned int n);

/**
 * hsk_send_zc() - send lent transmit buffers, one datagram or frame each.
 * @dst:    destination, or NULL on a connected (or bound AF_PACKET raw)
 *          socket.
 * @flags:  0 or MSG_DONTWAIT.
 *
 * Each buffer sent is given back; the rest stay the caller's.
 *
 * Return: the number sent (a prefix of @bufs), or -1 with errno when none
 * was:
 *   EBADF, EFAULT, EOPNOTSUPP  as hsk_recv_zc().
 *   EINVAL   a buffer not lent by hsk_buf_alloc() of this socket, or a
 *            .len above its .capacity.
 *   and the errors of hsk_sendto().
 */
int hsk_send_zc(int fd, struct hsk_buf *bufs, unsigned int n,
		const struct sockaddr *dst, socklen_t dstlen, int flags);

#ifdef __cplusplus
}
#endif

#endif /* HOTSOCK_H */
