// SPDX-License-Identifier: BSD-3-Clause
/*
 * hotsock-bench - UDP receive rate of hotsock, of the raw engine beneath
 * it and of the kernel, side by side, over a veth pair between two private
 * network namespaces.
 *
 * A traffic source in the peer namespace blasts UDP datagrams at a
 * receiver in the local namespace:
 *
 *   xsk     an AF_XDP socket on hsk1, TX only, sending one prebuilt and
 *           checksummed Ethernet/IP/UDP frame as fast as its ring takes it
 *           (the default when it works; else the bench says why and falls
 *           back to kernel)
 *   kernel  a kernel UDP socket and sendmmsg(2), --batch per call
 *
 * Each contender receives for --duration seconds; the contenders take
 * turns, rep after rep, in one process run, so that they share the same
 * machine state. Each one's sockets, and with them any XDP program on
 * hsk0, are gone before the next one starts:
 *
 *   hotsock hsk_recvfrom   one datagram per call
 *   hotsock hsk_recvmmsg   --batch datagrams per call
 *   hotsock hsk_recv_zc    --batch lent buffers per call, given back
 *   raw xsk                libxdp's own program and an XSK on hsk0, its
 *                          rings read with libxdp's helpers, poll(2) when
 *                          idle: frames counted, nothing parsed
 *   raw rte_eth            rte_eth_rx_burst on hotsock on dpdk's vdev
 * (net_af_xdp over hsk0)
 *                          (rte_raw.c), busy polling: frames counted,
 *                          nothing parsed; with dpdk among the backends
 *   kernel  recvfrom       recvfrom(2)
 *   kernel  recvmmsg       recvmmsg(2), --batch per call
 *
 * The hotsock receivers run once per backend of --backend; by default on
 * kernel and af_xdp when af_xdp can serve on hsk0, else on the backend
 * hotsock picks (HOTSOCK_BACKEND, default auto).
 *
 * veth hands a frame over inside the sender's transmit call, and by
 * default the receive half of the kernel's work (XDP program and XSK copy,
 * or the IP/UDP stack) runs there too, on the sender's CPU. With --napi
 * thread (the default) hsk0 gets GRO and a threaded NAPI instance, whose
 * thread is pinned to the receiver's CPU: the receiver's CPU then pays for
 * all of receiving, and the sender's only sends.
 *
 * The table shows datagrams received per second (median and min-max over
 * the reps), the receiver's ns per datagram, what the source sent per
 * second over the same window, and which side was the bottleneck: the
 * sender when the receiver got at least 95% of what was sent and the
 * source was seldom held back (under 10% of its send calls cut short by a
 * refused frame), else the receiver. Before the runs, the xsk source is
 * timed for a second against an XDP program on hsk0 that drops every
 * frame: what it can send when the receiver costs next to nothing.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF) for the namespaces
 * and XDP. Every receive has a timeout, the whole run has a watchdog, and
 * the topology (anonymous namespaces) goes away on exit, SIGINT included.
 *
 * Exit status: 0 ok, 1 failure (including interruption), 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sock_diag.h>

#include "bench.h"
#include "hotsock.h"
#ifdef HSK_BENCH_XSK
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "xsk_raw.h"
#endif
#ifdef HSK_BENCH_DPDK
#include "rte_raw.h"
#endif

#define PORT_BASE 20000
#define RX_TIMEOUT 0.2		 /* s: bounds every receive call */
#define FIRST_PACKET_TIMEOUT 2.0 /* s: for the first datagram of a run */
#define PROBE_PORT (PORT_BASE - 1)
#define SOURCE_START_TIMEOUT 3.0 /* s: for the xsk source's socket */
#define SENDER_BOUND 0.95 /* rx/sent from which the sender is the limit */
/* The share of the source's send calls cut short (the receive side
 * refused frames) from which the receiver is the limit, whatever rx/sent
 * says: a refused frame ends the call, so the source is paced by the
 * receiver and loses few frames. */
#define HELD_BOUND 0.10
#define CALIBRATION 1.0 /* s: the xsk source against XDP_DROP */

enum how {
	HSK_RECVFROM,
	HSK_RECVMMSG,
	HSK_RECV_ZC,
	HSK_PACKET_ZC,
	RAW_XSK,
	RAW_RTE,
	KERN_RECVFROM,
	KERN_RECVMMSG
};

static const struct contender hotsock_contenders[] = {
	{ "hotsock hsk_recvfrom", "hsk_recvfrom", HSK_RECVFROM, 1, 1, NULL },
	{ "hotsock hsk_recvmmsg", "hsk_recvmmsg", HSK_RECVMMSG, 1, 0, NULL },
	{ "hotsock hsk_recv_zc", "hsk_recv_zc", HSK_RECV_ZC, 1, 0, NULL },
	/* AF_PACKET raw frames, no parsing: on af_xdp through the XSK
	 * (packet_exclusive), on kernel a TPACKET_V3 ring. */
	{ "hotsock packet zc", "hsk_packet_zc", HSK_PACKET_ZC, 1, 0, NULL },
};

static const struct contender raw_contender = { .name = "raw xsk",
						.key = "raw_xsk",
						.how = RAW_XSK };

/* The raw engine beneath dpdk: rte_eth_rx_burst on the vdev hotsock on
 * dpdk gets (net_af_xdp over hsk0), frames counted, nothing parsed
 * (rte_raw.c), in a child as hotsock on dpdk is. */
static const struct contender rte_contender = { .name = "raw rte_eth",
						.key = "raw_rte",
						.how = RAW_RTE };

static const struct contender kernel_contenders[] = {
	{ "kernel recvfrom", "recvfrom", KERN_RECVFROM, 0, 1, NULL },
	{ "kernel recvmmsg", "recvmmsg", KERN_RECVMMSG, 0, 0, NULL },
};

/* Every contender, for the instruction counts to find by key. */
static const struct contender_list all_contenders[] = {
	{ hotsock_contenders, ARRAY_SIZE(hotsock_contenders) },
	{ &raw_contender, 1 },
	{ kernel_contenders, ARRAY_SIZE(kernel_contenders) },
};

#define MAX_CONTENDERS                                       \
	(MAX_BACKENDS * ARRAY_SIZE(hotsock_contenders) + 2 + \
	 ARRAY_SIZE(kernel_contenders))

enum source_kind { SRC_KERNEL, SRC_XSK };

static const char *const source_names[] = { "kernel", "xsk" };

static struct contender contenders[MAX_CONTENDERS];
static unsigned int n_contenders;

struct run {
	int ok;
	char err[128];
	uint64_t rx, tx; /* datagrams in the measured window */
	uint64_t drops;	 /* dropped at the receiver's queue, same window */
	int have_drops;
	uint64_t fast, slow;	/* hotsock: fast path, kernel path (window) */
	uint64_t kicks, stalls; /* xsk source: sendto()s, cut short */
	double secs;
	double rx_pps, tx_pps;
};

struct result {
	char backend[16];
	struct run *runs; /* [reps] */
};

struct sender {
	enum source_kind kind;
	struct hsk_topo *topo;
	int fd; /* kernel: a connected UDP socket of the peer namespace */
	size_t size;
	unsigned int batch;
	int cpu;
	double rate; /* xsk: datagrams per second, or 0: as fast as it can */
	/* xsk: the frame, built by the main thread */
	unsigned char frame[ETH_HLEN_ + MTU];
	uint32_t frame_len;
	atomic_int ready; /* xsk: 1 sending, -1 failed (err, what) */
	atomic_int stop;
	atomic_uint_least64_t sent;
	atomic_uint_least64_t kicks, stalls; /* xsk: see xsk_raw_tx_stats() */
	int err;
	const char *what;
};

static void *kernel_sender_main(void *arg)
{
	struct sender *s = arg;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	unsigned char *payload;
	unsigned int i;

	pin_self(s->cpu);
	payload = malloc(s->size ? s->size : 1);
	if (!payload) {
		s->err = ENOMEM;
		return NULL;
	}
	memset(payload, 0xa5, s->size ? s->size : 1);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < s->batch; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = s->size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) &&
	       !g_stop) {
		int n = sendmmsg(s->fd, msgs, s->batch, 0);

		/* A short count or ENOBUFS: a datagram was refused (veth
		 * drops when hsk0's ring is full), the source held back. */
		atomic_fetch_add_explicit(&s->kicks, 1, memory_order_relaxed);
		if ((n >= 0 && (unsigned int)n < s->batch) ||
		    (n < 0 && (errno == EAGAIN || errno == ENOBUFS)))
			atomic_fetch_add_explicit(&s->stalls, 1,
						  memory_order_relaxed);
		if (n > 0) {
			atomic_fetch_add_explicit(&s->sent, (unsigned int)n,
						  memory_order_relaxed);
			continue;
		}
		/* Full queues and ICMP errors are part of blasting. */
		if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS ||
		    errno == ECONNREFUSED)
			continue;
		s->err = errno;
		s->what = "sendmmsg";
		break;
	}
	free(payload);
	return NULL;
}

#ifdef HSK_BENCH_XSK
/*
 * The xsk source: this thread moves itself into the peer namespace (a
 * thread's namespace is its own), opens a TX-only XSK on hsk1 there and
 * sends the prebuilt frame until told to stop.
 */
static void *xsk_sender_main(void *arg)
{
	struct sender *s = arg;
	struct xsk_raw *x;
	double t0;
	int err;

	pin_self(s->cpu);
	err = topo_enter_peer(s->topo);
	if (err < 0) {
		s->err = -err;
		s->what = "setns to the peer namespace";
		atomic_store(&s->ready, -1);
		return NULL;
	}
	x = xsk_raw_open(s->topo->if_peer, false);
	if (!x) {
		s->err = errno;
		s->what = "xsk source: cannot open an XSK on hsk1";
		atomic_store(&s->ready, -1);
		return NULL;
	}
	xsk_raw_tx_prepare(x, s->frame, s->frame_len);
	atomic_store(&s->ready, 1);
	t0 = now();
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) &&
	       !g_stop) {
		unsigned int n, max = UINT_MAX;
		uint64_t kicks, stalls;

		if (s->rate > 0) {
			/* Paced: no more than the schedule allows so far. */
			double due = (now() - t0) * s->rate -
				     (double)atomic_load_explicit(
					     &s->sent, memory_order_relaxed);

			if (due < 1)
				continue;
			max = due < 32 ? (unsigned int)due : 32;
		}
		n = xsk_raw_tx_burst(x, s->frame_len, max);

		if (n)
			atomic_fetch_add_explicit(&s->sent, n,
						  memory_order_relaxed);
		xsk_raw_tx_stats(x, &kicks, &stalls);
		atomic_store_explicit(&s->kicks, kicks, memory_order_relaxed);
		atomic_store_explicit(&s->stalls, stalls, memory_order_relaxed);
	}
	xsk_raw_close(x);
	return NULL;
}
#endif

struct receiver {
	const struct contender *c;
	int fd;
	size_t size;
	unsigned int batch;
	unsigned char *bufs; /* batch x slot */
	size_t slot;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct hsk_buf zc[BATCH_MAX];
#ifdef HSK_BENCH_XSK
	struct xsk_raw *xsk; /* raw xsk */
#endif
	int rte;	    /* raw rte_eth: its port is open */
	uint32_t frame_len; /* raw: the source's frames' length */
	uint64_t bad;	    /* datagrams of the wrong length */
	unsigned int sink;
};

static void init_receiver(struct receiver *r, const struct contender *c,
			  const struct config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->fd = -1;
	r->size = cfg->size;
	r->batch = contender_batch(c, cfg);
}

/*
 * One receive call of the contender's kind. Return: datagrams received
 * (>= 1), or -1 with errno.
 */
static int receive(struct receiver *r)
{
	unsigned int i, ok;
	ssize_t len;
	int n;

	switch ((enum how)r->c->how) {
	case HSK_RECVFROM:
	case KERN_RECVFROM: {
		struct sockaddr_storage src;
		socklen_t srclen = sizeof(src);

		if (r->c->how == HSK_RECVFROM)
			len = hsk_recvfrom(r->fd, r->bufs, r->slot, 0,
					   (struct sockaddr *)&src, &srclen);
		else
			len = recvfrom(r->fd, r->bufs, r->slot, 0,
				       (struct sockaddr *)&src, &srclen);
		if (len < 0)
			return -1;
		if ((size_t)len != r->size)
			r->bad++;
		return 1;
	}
	case HSK_RECVMMSG:
	case KERN_RECVMMSG:
		for (i = 0; i < r->batch; i++)
			r->msgs[i].msg_hdr.msg_flags = 0;
		if (r->c->how == HSK_RECVMMSG)
			n = hsk_recvmmsg(r->fd, r->msgs, r->batch,
					 MSG_WAITFORONE, NULL);
		else
			n = recvmmsg(r->fd, r->msgs, r->batch, MSG_WAITFORONE,
				     NULL);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		for (i = 0; i < (unsigned int)n; i++)
			if (r->msgs[i].msg_len != r->size)
				r->bad++;
		return n;
	case HSK_RECV_ZC:
	case HSK_PACKET_ZC:
		n = hsk_recv_zc(r->fd, r->zc, r->batch, 0);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		ok = 0;
		for (i = 0; i < (unsigned int)n; i++) {
			/* A packet socket sees every frame of the link (ND,
			 * MLD): only the source's count. */
			if (r->zc[i].len != r->size ||
			    (r->zc[i].flags & HSK_BUF_TRUNC)) {
				if (r->c->how == HSK_RECV_ZC)
					r->bad++;
				continue;
			}
			ok++;
			if (r->size)
				r->sink += ((unsigned char *)r->zc[i].data)[0];
		}
		if (hsk_buf_release(r->fd, r->zc, (unsigned int)n) < 0)
			return -1;
		if (r->c->how == HSK_PACKET_ZC && !ok)
			errno = EAGAIN;
		return r->c->how == HSK_PACKET_ZC ? (int)ok : n;
	case RAW_XSK:
#ifdef HSK_BENCH_XSK
		n = (int)xsk_raw_rx_burst(r->xsk, r->frame_len);
		if (!n) {
			/* Idle: sleep until the ring has frames, bounded. */
			struct pollfd p = { xsk_raw_fd(r->xsk), POLLIN, 0 };

			if (poll(&p, 1, (int)(RX_TIMEOUT * 1000)) < 0)
				return -1;
			n = (int)xsk_raw_rx_burst(r->xsk, r->frame_len);
		}
		if (!n)
			errno = EAGAIN;
		return n;
#else
		break;
#endif
	case RAW_RTE:
#ifdef HSK_BENCH_DPDK
		n = (int)rte_raw_rx(r->batch, r->frame_len);
		if (!n)
			errno = EAGAIN;
		return n;
#else
		break;
#endif
	}
	errno = EINVAL;
	return -1;
}

/*
 * Datagrams dropped on their way to the receiver's queue (socket buffer,
 * or the XSK's receive ring, full), so far: 0 and *ok = 0 when unknown.
 * hotsock: also the datagrams of its fast and kernel paths.
 */
static uint64_t receiver_drops(const struct receiver *r, int *ok,
			       uint64_t *fast, uint64_t *slow)
{
	*ok = 0;
	*fast = *slow = 0;
	if (r->c->hotsock) {
		struct hsk_stats st;

		if (hsk_stats(r->fd, &st, sizeof(st)) < 0)
			return 0;
		*ok = 1;
		*fast = st.rx_fast_path;
		*slow = st.rx_kernel_path;
		return st.rx_drop_kernel + st.rx_drop_no_buffer +
		       st.rx_drop_malformed + st.rx_drop_checksum;
	}
#ifdef HSK_BENCH_XSK
	if (r->c->how == RAW_XSK) {
		*ok = 1;
		return xsk_raw_rx_dropped(r->xsk);
	}
#endif
	if (r->c->how == RAW_RTE)
		return 0;
	{
		uint32_t mem[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mem);

		if (getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
		    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
			return 0;
		*ok = 1;
		return mem[SK_MEMINFO_DROPS];
	}
}

static int open_receiver(struct receiver *r, const struct hsk_topo *t,
			 const struct config *cfg, int port, char *backend,
			 size_t backend_len)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rcvbuf = 4 << 20;
	unsigned int i;

	fill_addr(t, cfg->family, 1, port, &ss, &sslen);
	snprintf(backend, backend_len, "%s",
		 r->c->how == RAW_XSK ? "libxdp" :
		 r->c->how == RAW_RTE ? "rte_eth" :
		 !r->c->hotsock	      ? "-" :
		 r->c->backend	      ? r->c->backend :
					"?");
	r->frame_len = (uint32_t)(ETH_HLEN_ + (cfg->family == 6 ? 40 : 20) + 8 +
				  r->size);
	if (r->c->how == RAW_RTE) {
#ifdef HSK_BENCH_DPDK
		char err[160], vdev[128];

		child_vdev(vdev, sizeof(vdev));
		if (rte_raw_open(vdev, err, sizeof(err)) < 0) {
			fprintf(stderr, "hotsock-bench: %s\n", err);
			errno = ENODEV;
			return -1;
		}
		r->rte = 1;
		return 0;
#else
		errno = ENOTSUP;
		return -1;
#endif
	} else if (r->c->how == RAW_XSK) {
#ifdef HSK_BENCH_XSK
		/* Every frame of hsk0's queue 0, through libxdp's program. */
		r->xsk = xsk_raw_open(t->if_local, true);
		if (!r->xsk)
			return -1;
		return 0;
#else
		errno = ENOTSUP;
		return -1;
#endif
	} else if (r->c->hotsock && r->c->backend) {
		/* Strict: a backend that cannot serve fails, visibly. */
		HSK_OPTS(o, .backend = r->c->backend, .strict = 1,
			 .packet_exclusive = r->c->how == HSK_PACKET_ZC);

		if (hsk_init(&o) < 0)
			return -1;
	}
	if (r->c->how == HSK_PACKET_ZC) {
		struct sockaddr_ll ll = { .sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_ALL),
					  .sll_ifindex = t->ifindex_local };

		r->fd = hsk_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		if (r->fd < 0 ||
		    hsk_bind(r->fd, (struct sockaddr *)&ll, sizeof(ll)) < 0 ||
		    hsk_settimeout(r->fd, RX_TIMEOUT) < 0)
			return -1;
		/* Whole frames: Ethernet, IP and UDP headers too. */
		r->size += ETH_HLEN_ + (cfg->family == 6 ? 40 : 20) + 8;
		snprintf(backend, backend_len, "%s",
			 hsk_backend_name(r->fd) ? hsk_backend_name(r->fd) :
						   "?");
	} else if (r->c->hotsock) {
		r->fd = hsk_socket(domain, SOCK_DGRAM, 0);
		if (r->fd < 0)
			return -1;
		/* The same socket buffer as the kernel contenders. */
		(void)hsk_setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				     sizeof(rcvbuf));
		if (hsk_bind(r->fd, (struct sockaddr *)&ss, sslen) < 0 ||
		    hsk_settimeout(r->fd, RX_TIMEOUT) < 0)
			return -1;
		snprintf(backend, backend_len, "%s",
			 hsk_backend_name(r->fd) ? hsk_backend_name(r->fd) :
						   "?");
	} else {
		struct timeval tv = { 0, (suseconds_t)(RX_TIMEOUT * 1e6) };

		r->fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->fd < 0)
			return -1;
		(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
		if (bind(r->fd, (struct sockaddr *)&ss, sslen) < 0 ||
		    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
			       sizeof(tv)) < 0)
			return -1;
		snprintf(backend, backend_len, "-");
	}

	r->slot = r->size + 64; /* room to see a datagram that is too long */
	r->bufs = malloc(r->slot * r->batch);
	if (!r->bufs)
		return -1;
	memset(r->msgs, 0, sizeof(r->msgs));
	for (i = 0; i < r->batch; i++) {
		r->iov[i].iov_base = r->bufs + i * r->slot;
		r->iov[i].iov_len = r->slot;
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void close_receiver(struct receiver *r)
{
#ifdef HSK_BENCH_XSK
	xsk_raw_close(r->xsk);
	r->xsk = NULL;
#endif
#ifdef HSK_BENCH_DPDK
	if (r->rte)
		rte_raw_close();
	r->rte = 0;
#endif
	if (r->fd >= 0) {
		if (r->c->hotsock)
			hsk_close(r->fd);
		else
			close(r->fd);
	}
	r->fd = -1;
	free(r->bufs);
	r->bufs = NULL;
}

static int open_kernel_sender(struct sender *s, struct hsk_topo *t,
			      const struct config *cfg, int port)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct timeval tv = { 0, 100000 };
	struct sockaddr_storage ss;
	socklen_t sslen;

	s->fd = topo_peer_socket(t, domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	fill_addr(t, cfg->family, 1, port, &ss, &sslen);
	/* A send never blocks for long, so the thread sees its stop flag. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&ss, sslen) < 0)
		return -1;
	return 0;
}

/*
 * Start the source's thread, sending to @port; for xsk, wait (bounded)
 * until its XSK is open. Return: 0, or -1 with errno and *what set; the
 * thread, when started, is stopped by stop_sender() either way.
 */
static int start_sender(struct sender *s, enum source_kind kind,
			struct hsk_topo *t, const struct config *cfg, int port,
			int cpu, double rate, pthread_t *th, int *started,
			const char **what)
{
	void *(*fn)(void *) = kernel_sender_main;
	double deadline;
	int err;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->topo = t;
	s->fd = -1;
	s->size = cfg->size;
	s->batch = cfg->batch;
	s->cpu = cpu;
	s->rate = rate;
	atomic_init(&s->ready, 0);
	atomic_init(&s->stop, 0);
	atomic_init(&s->sent, 0);
	atomic_init(&s->kicks, 0);
	atomic_init(&s->stalls, 0);
	*started = 0;
	if (kind == SRC_KERNEL) {
		*what = "sender";
		if (open_kernel_sender(s, t, cfg, port) < 0)
			return -1;
	} else {
#ifdef HSK_BENCH_XSK
		s->frame_len = build_frame(s->frame, t, cfg->family, 1,
					   XSK_SRC_PORT, port, cfg->size);
		fn = xsk_sender_main;
#else
		*what = "xsk source (built without libxdp)";
		errno = ENOTSUP;
		return -1;
#endif
	}
	err = start_thread(th, fn, s);
	if (err) {
		*what = "pthread_create";
		errno = err;
		return -1;
	}
	*started = 1;
	if (kind == SRC_KERNEL)
		return 0;
	deadline = now() + SOURCE_START_TIMEOUT;
	while (!atomic_load(&s->ready) && !g_stop && now() < deadline) {
		struct timespec nap = { 0, 1000 * 1000 };

		nanosleep(&nap, NULL);
	}
	if (atomic_load(&s->ready) > 0)
		return 0;
	if (atomic_load(&s->ready) < 0) {
		*what = s->what;
		errno = s->err;
	} else {
		*what = "xsk source";
		errno = g_stop ? EINTR : ETIMEDOUT;
	}
	return -1;
}

/* Stop and join the source; return its error (errno value) or 0. */
static int stop_sender(struct sender *s, pthread_t th, int started)
{
	if (started) {
		atomic_store(&s->stop, 1);
		pthread_join(th, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return s->err;
}

static void fail(struct run *run, const char *what)
{
	snprintf(run->err, sizeof(run->err), "%s: %s", what, strerror(errno));
	run->ok = 0;
}

/* On dpdk's EAL, which runs once per process: hotsock on dpdk, raw
 * rte_eth. */
static int in_child(const struct contender *c)
{
	return dpdk_backend(c->backend) || c->how == RAW_RTE;
}

/* One contender, one rep. */
static void run_one(const struct contender *c, struct hsk_topo *t,
		    const struct config *cfg, enum source_kind source, int port,
		    int rx_cpu, int tx_cpu, char *backend, size_t backend_len,
		    struct run *run)
{
	struct receiver r;
	struct sender s;
	uint64_t rx = 0, tx0, tx1, drops0 = 0, drops1, fast0, slow0, fast1,
		 slow1, kicks0, stalls0;
	double t0, t1, deadline;
	const char *what = "sender";
	pthread_t th;
	int started = 0, have_drops, err;
	unsigned int iter = 0;
	int n;

	memset(run, 0, sizeof(*run));
	run->ok = 1;
	init_receiver(&r, c, cfg);
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	memset(&th, 0, sizeof(th));

	pin_self(rx_cpu);
	if (open_receiver(&r, t, cfg, port, backend, backend_len) < 0) {
		fail(run, "receiver");
		goto out;
	}
	if (start_sender(&s, source, t, cfg, port, tx_cpu, 0, &th, &started,
			 &what) < 0) {
		fail(run, what);
		goto out;
	}

	/* Wait for the first datagram, then measure a whole window. */
	deadline = now() + FIRST_PACKET_TIMEOUT;
	for (;;) {
		n = receive(&r);
		if (n > 0)
			break;
		if (g_stop || now() > deadline) {
			errno = g_stop ? EINTR : ETIMEDOUT;
			fail(run, "first datagram");
			goto out;
		}
		if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
	}
	/*
	 * Warm up, so that the window starts with the queues as full as
	 * they will be at its end: what was queued before it is not
	 * counted as received in it.
	 */
	deadline = now() + (cfg->duration < 1 ? cfg->duration / 5 : 0.2);
	while (!g_stop && now() < deadline) {
		n = receive(&r);
		if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
	}
	drops0 = receiver_drops(&r, &have_drops, &fast0, &slow0);
	t0 = now();
	tx0 = atomic_load(&s.sent);
	kicks0 = atomic_load(&s.kicks);
	stalls0 = atomic_load(&s.stalls);
	deadline = t0 + cfg->duration;
	t1 = t0;
	while (!g_stop) {
		n = receive(&r);
		if (n > 0) {
			rx += (unsigned int)n;
			/* Read the clock every 16 calls, not every call. */
			if ((++iter & 15) != 0)
				continue;
		} else if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
			   errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
		t1 = now();
		if (t1 >= deadline)
			break;
	}
	tx1 = atomic_load(&s.sent);
	run->kicks = atomic_load(&s.kicks) - kicks0;
	run->stalls = atomic_load(&s.stalls) - stalls0;
	drops1 = receiver_drops(&r, &have_drops, &fast1, &slow1);
	if (g_stop) {
		errno = EINTR;
		fail(run, "interrupted");
		goto out;
	}
	run->rx = rx;
	run->tx = tx1 - tx0;
	run->secs = t1 - t0;
	run->rx_pps = rx / run->secs;
	run->tx_pps = run->tx / run->secs;
	run->have_drops = have_drops;
	run->drops = have_drops ? drops1 - drops0 : 0;
	run->fast = fast1 - fast0;
	run->slow = slow1 - slow0;
	if (r.bad) {
		snprintf(run->err, sizeof(run->err),
			 "%llu datagrams of the wrong length",
			 (unsigned long long)r.bad);
		run->ok = 0;
	} else if (!rx) {
		snprintf(run->err, sizeof(run->err), "nothing received");
		run->ok = 0;
	}
out:
	err = stop_sender(&s, th, started);
	if (err && run->ok) {
		errno = err;
		fail(run, s.what ? s.what : "sender");
	}
	close_receiver(&r);
#ifdef HSK_BENCH_XSK
	/* The next contender starts on a bare hsk0 (dpdk's port stays until
	 * its process ends: run_contender() waits for that one). */
	if (!in_child(c) && wait_xdp_detached(t->ifindex_local) < 0 &&
	    run->ok) {
		snprintf(run->err, sizeof(run->err),
			 "an XDP program stayed on %s %.0f s after close",
			 t->if_local, DETACH_TIMEOUT);
		run->ok = 0;
	}
#endif
}

struct dpdk_msg {
	struct run run;
	char backend[16];
};

struct dpdk_args {
	const struct contender *c;
	struct hsk_topo *t;
	const struct config *cfg;
	enum source_kind source;
	int port;
};

static void run_one_dpdk(void *arg, void *out)
{
	const struct dpdk_args *a = arg;
	struct dpdk_msg *msg = out;

	run_one(a->c, a->t, a->cfg, a->source, a->port, a->cfg->rx_cpu,
		a->cfg->tx_cpu, msg->backend, sizeof(msg->backend), &msg->run);
}

/* A contender on dpdk's EAL runs in a child of its own
 * (run_dpdk_child()), the others here. */
static void run_contender(const struct contender *c, struct hsk_topo *t,
			  const struct config *cfg, enum source_kind source,
			  int port, char *backend, size_t backend_len,
			  struct run *run)
{
	struct dpdk_args a = { c, t, cfg, source, port };
	struct dpdk_child o = { t, cfg->duration + DPDK_CHILD_SLACK, -1 };
	struct dpdk_msg msg;

	if (!in_child(c)) {
		run_one(c, t, cfg, source, port, cfg->rx_cpu, cfg->tx_cpu,
			backend, backend_len, run);
		return;
	}
	memset(run, 0, sizeof(*run));
	memset(&msg, 0, sizeof(msg));
	if (run_dpdk_child(&o, run_one_dpdk, &a, &msg, sizeof(msg), run->err,
			   sizeof(run->err)) < 0) {
		run->ok = 0;
		return;
	}
	*run = msg.run;
	snprintf(backend, backend_len, "%s", msg.backend);
}

struct summary {
	int ok;
	double med, min, max, tx_med, ratio_med; /* ratio: rx / sent */
	double drops_med;			 /* per second; < 0: unknown */
	double held_med; /* share of the source's calls cut short; < 0: ? */
};

static const char *bottleneck(const struct summary *s)
{
	return s->ratio_med >= SENDER_BOUND && s->held_med < HELD_BOUND ?
		       "sender" :
		       "receiver";
}

static void summarize(const struct result *res, unsigned int reps,
		      struct summary *sum)
{
	double rx[reps], tx[reps], ratio[reps], drops[reps], held[reps];
	unsigned int i, n = 0, nd = 0, nh = 0;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < reps; i++) {
		const struct run *r = &res->runs[i];

		if (!r->ok)
			return;
		rx[n] = r->rx_pps;
		tx[n] = r->tx_pps;
		ratio[n] = r->tx ? (double)r->rx / r->tx : 0;
		if (r->have_drops)
			drops[nd++] = r->drops / r->secs;
		if (r->kicks)
			held[nh++] = (double)r->stalls / r->kicks;
		n++;
	}
	sum->ok = 1;
	{
		struct spread sp = spread_of(rx, n);

		sum->min = sp.min;
		sum->max = sp.max;
		sum->med = sp.med;
	}
	sum->tx_med = median(tx, n);
	sum->ratio_med = median(ratio, n);
	sum->drops_med = nd == n ? median(drops, nd) : -1;
	sum->held_med = nh == n ? median(held, nh) : -1;
}

static void print_table(const struct config *cfg, struct result *res)
{
	unsigned int c, i;

	printf("\n%-20s %-7s %12s %23s %7s %11s %7s %6s %10s %s\n", "contender",
	       "backend", "rx pps (med)", "(min - max)", "ns/pkt", "sent pps",
	       "rx/sent", "held", "drops/s", "bottleneck");
	for (c = 0; c < n_contenders; c++) {
		struct summary s;
		char range[48], drops[24], held[16];

		summarize(&res[c], cfg->reps, &s);
		if (!s.ok) {
			for (i = 0; i < cfg->reps; i++)
				if (!res[c].runs[i].ok)
					break;
			printf("%-20s %-7s FAILED: %s\n", contenders[c].name,
			       res[c].backend, res[c].runs[i].err);
			continue;
		}
		snprintf(range, sizeof(range), "(%.0f - %.0f)", s.min, s.max);
		if (s.drops_med >= 0)
			snprintf(drops, sizeof(drops), "%.0f", s.drops_med);
		else
			snprintf(drops, sizeof(drops), "?");
		if (s.held_med >= 0)
			snprintf(held, sizeof(held), "%.0f%%",
				 100 * s.held_med);
		else
			snprintf(held, sizeof(held), "?");
		printf("%-20s %-7s %12.0f %23s %7.0f %11.0f %6.1f%% %6s %10s "
		       "%s\n",
		       contenders[c].name, res[c].backend, s.med, range,
		       1e9 / s.med, s.tx_med, 100.0 * s.ratio_med, held, drops,
		       bottleneck(&s));
	}
	printf("\nrx pps: datagrams received per second; ns/pkt: 1e9 / rx pps;"
	       "\nsent pps: what the source sent in the same window (after a "
	       "warm-up);\nrx/sent: median over the reps of received / sent;"
	       "\nheld: median share of the source's send calls cut short by "
	       "a refused frame\n(the receive side pushed back);\n"
	       "drops/s: dropped at the receiver's queue (socket buffer, "
	       "XSK ring; hotsock:\nwhat hsk_stats() counts), median;\n"
	       "bottleneck: sender when rx/sent >= %.0f%% and held < %.0f%%, "
	       "else receiver.\n",
	       100 * SENDER_BOUND, 100 * HELD_BOUND);
}

static void write_json(FILE *f, const struct config *cfg,
		       const struct result *res, enum source_kind source,
		       int napi_thread, double capacity)
{
	unsigned int c, i;

	fprintf(f,
		"{\"config\": {\"family\": %d, \"size\": %zu, "
		"\"duration\": %g, \"reps\": %u, \"batch\": %u, "
		"\"source\": \"%s\", \"napi\": \"%s\", \"rx_cpu\": %d, "
		"\"tx_cpu\": %d, \"sender_bound\": %.2f, "
		"\"held_bound\": %.2f},\n",
		cfg->family, cfg->size, cfg->duration, cfg->reps, cfg->batch,
		source_names[source], napi_thread ? "thread" : "inline",
		cfg->rx_cpu, cfg->tx_cpu, SENDER_BOUND, HELD_BOUND);
	if (capacity > 0)
		fprintf(f, "  \"source_into_xdp_drop_pps\": %.0f,\n", capacity);
	fprintf(f, "  \"results\": [\n");
	for (c = 0; c < n_contenders; c++) {
		struct summary s;

		summarize(&res[c], cfg->reps, &s);
		fprintf(f, "    {\"contender\": \"%s\", \"backend\": \"%s\", ",
			contenders[c].name, res[c].backend);
		fprintf(f, "\"ok\": %s, ", s.ok ? "true" : "false");
		if (s.ok)
			fprintf(f,
				"\"rx_pps_median\": %.0f, \"rx_pps_min\": %.0f, "
				"\"rx_pps_max\": %.0f, \"ns_per_packet\": %.1f, "
				"\"tx_pps_median\": %.0f, "
				"\"rx_over_tx_median\": %.4f, "
				"\"bottleneck\": \"%s\", ",
				s.med, s.min, s.max, 1e9 / s.med, s.tx_med,
				s.ratio_med, bottleneck(&s));
		if (s.ok && s.drops_med >= 0)
			fprintf(f, "\"drops_per_s_median\": %.0f, ",
				s.drops_med);
		if (s.ok && s.held_med >= 0)
			fprintf(f, "\"source_held_back_median\": %.4f, ",
				s.held_med);
		fprintf(f, "\"runs\": [");
		for (i = 0; i < cfg->reps; i++) {
			const struct run *r = &res[c].runs[i];

			json_run_open(f, !i, r->ok);
			if (!r->ok) {
				json_error(f, r->err);
				continue;
			}
			if (r->have_drops)
				fprintf(f, ", \"rx_drops\": %llu",
					(unsigned long long)r->drops);
			if (r->kicks)
				fprintf(f,
					", \"source_kicks\": %llu, "
					"\"source_held_back\": %llu",
					(unsigned long long)r->kicks,
					(unsigned long long)r->stalls);
			if (contenders[c].hotsock)
				fprintf(f,
					", \"rx_fast_path\": %llu, "
					"\"rx_kernel_path\": %llu",
					(unsigned long long)r->fast,
					(unsigned long long)r->slow);
			fprintf(f,
				", \"rx_packets\": %llu, "
				"\"tx_packets\": %llu, "
				"\"seconds\": %.6f, \"rx_pps\": %.0f, "
				"\"tx_pps\": %.0f}",
				(unsigned long long)r->rx,
				(unsigned long long)r->tx, r->secs, r->rx_pps,
				r->tx_pps);
		}
		fprintf(f, "]}%s\n", c + 1 < n_contenders ? "," : "");
	}
	fprintf(f, "  ]}");
}

/*
 * The hotsock contenders once per backend, raw xsk (right after the
 * af_xdp ones, when there are), then the kernel ones.
 */
static void make_contenders(const struct config *cfg, int have_raw)
{
	unsigned int b, i, nb = cfg->n_backends ? cfg->n_backends : 1;
	int raw_done = !have_raw;

	n_contenders = 0;
	for (b = 0; b < nb; b++) {
		const char *backend = cfg->n_backends ? cfg->backends[b] : NULL;

		for (i = 0; i < ARRAY_SIZE(hotsock_contenders); i++)
			add_contender(cfg, &hotsock_contenders[i], backend,
				      contenders, &n_contenders);
#ifdef HSK_BENCH_DPDK
		if (dpdk_backend(backend))
			add_contender(cfg, &rte_contender, NULL, contenders,
				      &n_contenders);
#endif
		if (!raw_done && backend && !strcmp(backend, "af_xdp")) {
			add_contender(cfg, &raw_contender, NULL, contenders,
				      &n_contenders);
			raw_done = 1;
		}
	}
	if (!raw_done)
		add_contender(cfg, &raw_contender, NULL, contenders,
			      &n_contenders);
	for (i = 0; i < ARRAY_SIZE(kernel_contenders); i++)
		add_contender(cfg, &kernel_contenders[i], NULL, contenders,
			      &n_contenders);
}

/*
 * Can af_xdp serve a UDP socket on hsk0? One strict socket, bound and
 * closed; the library is then configured from the environment again.
 * Return: 1 yes, 0 no (*why says why).
 */
int probe_af_xdp(struct hsk_topo *t, const struct config *cfg, char *why,
		 size_t why_len)
{
	HSK_OPTS(o, .backend = "af_xdp", .strict = 1);
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *name;
	int fd = -1, ok = 0;

	fill_addr(t, cfg->family, 1, PROBE_PORT, &ss, &sslen);
	if (hsk_init(&o) < 0) {
		snprintf(why, why_len, "hsk_init: %s", strerror(errno));
	} else if ((fd = hsk_socket(domain, SOCK_DGRAM, 0)) < 0) {
		snprintf(why, why_len, "hsk_socket: %s", strerror(errno));
	} else if (hsk_bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		snprintf(why, why_len, "hsk_bind: %s", strerror(errno));
	} else if (!(name = hsk_backend_name(fd)) || strcmp(name, "af_xdp")) {
		snprintf(why, why_len, "the socket is on %s",
			 name ? name : "?");
	} else {
		ok = 1;
	}
	if (fd >= 0)
		hsk_close(fd);
	(void)hsk_init(NULL);
#ifdef HSK_BENCH_XSK
	if (wait_xdp_detached(t->ifindex_local) < 0 && ok) {
		snprintf(why, why_len,
			 "its XDP program stayed on %s after close",
			 t->if_local);
		ok = 0;
	}
#endif
	return ok;
}

/*
 * Does the xsk source work here? It sends at a kernel socket on hsk0,
 * which must get a datagram of the right length from the right address
 * and port (the kernel checks the checksums) within a second.
 * Return: 1 yes, 0 no (*why says why).
 */
static int probe_xsk_source(struct hsk_topo *t, const struct config *cfg,
			    int cpu, char *why, size_t why_len)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct timeval tv = { 0, 100000 };
	struct sockaddr_storage ss, src, want;
	socklen_t sslen, srclen, wantlen;
	unsigned char buf[MTU];
	const char *what = "";
	double deadline;
	struct sender s;
	pthread_t th;
	int fd, started = 0, ok = 0, err;
	ssize_t n;

	memset(&th, 0, sizeof(th));
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	fill_addr(t, cfg->family, 1, PROBE_PORT, &ss, &sslen);
	fill_addr(t, cfg->family, 0, XSK_SRC_PORT, &want, &wantlen);
	fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(why, why_len, "probe socket: %s", strerror(errno));
		goto out;
	}
	if (start_sender(&s, SRC_XSK, t, cfg, PROBE_PORT, cpu, 0, &th, &started,
			 &what) < 0) {
		snprintf(why, why_len, "%s: %s", what, strerror(errno));
		goto out;
	}
	deadline = now() + 1.0;
	while (!ok && !g_stop && now() < deadline) {
		srclen = sizeof(src);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src,
			     &srclen);
		ok = n == (ssize_t)cfg->size && srclen == wantlen &&
		     !memcmp(&src, &want, wantlen);
	}
	if (!ok)
		snprintf(why, why_len,
			 "no datagram from it reached a kernel socket on %s "
			 "in 1 s",
			 t->if_local);
out:
	err = stop_sender(&s, th, started);
	if (err && ok) {
		snprintf(why, why_len, "%s: %s", s.what, strerror(err));
		ok = 0;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

#ifdef HSK_BENCH_XSK

/*
 * What the xsk source can send: one second against an XDP program on hsk0
 * that drops every frame, the cheapest receiver there is. Return: pps, or
 * 0 with *why; *held: the share of its kicks cut short meanwhile.
 */
static double calibrate_source(struct hsk_topo *t, const struct config *cfg,
			       int cpu, double *held, char *why, size_t why_len)
{
	/* r0 = XDP_DROP; exit */
	static const struct bpf_insn drop[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint64_t tx0, k0, s0, k1, s1;
	const char *what = "";
	double pps = 0, t0, t1;
	struct sender s;
	pthread_t th;
	int fd, started = 0, err;

	*held = 0;
	memset(&th, 0, sizeof(th));
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "hsk_bench_drop", "GPL", drop,
			   ARRAY_SIZE(drop), NULL);
	if (fd < 0) {
		snprintf(why, why_len, "loading XDP_DROP: %s", strerror(-fd));
		return 0;
	}
	err = bpf_xdp_attach(t->ifindex_local, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		snprintf(why, why_len, "attaching XDP_DROP to %s: %s",
			 t->if_local, strerror(-err));
		close(fd);
		return 0;
	}
	if (start_sender(&s, SRC_XSK, t, cfg, PROBE_PORT, cpu, 0, &th, &started,
			 &what) < 0) {
		snprintf(why, why_len, "%s: %s", what, strerror(errno));
	} else {
		struct timespec warm = { 0, 200 * 1000 * 1000 };
		struct timespec window = {
			(time_t)CALIBRATION,
			(long)((CALIBRATION - (time_t)CALIBRATION) * 1e9)
		};

		nanosleep(&warm, NULL);
		t0 = now();
		tx0 = atomic_load(&s.sent);
		k0 = atomic_load(&s.kicks);
		s0 = atomic_load(&s.stalls);
		nanosleep(&window, NULL);
		t1 = now();
		pps = (atomic_load(&s.sent) - tx0) / (t1 - t0);
		k1 = atomic_load(&s.kicks);
		s1 = atomic_load(&s.stalls);
		*held = k1 > k0 ? (double)(s1 - s0) / (k1 - k0) : 0;
		if (g_stop) {
			snprintf(why, why_len, "interrupted");
			pps = 0;
		}
	}
	err = stop_sender(&s, th, started);
	if (err && pps > 0) {
		snprintf(why, why_len, "%s: %s", s.what, strerror(err));
		pps = 0;
	}
	bpf_xdp_detach(t->ifindex_local, XDP_FLAGS_DRV_MODE, NULL);
	close(fd);
	if (wait_xdp_detached(t->ifindex_local) < 0 && pps > 0) {
		snprintf(why, why_len, "XDP_DROP stayed on %s", t->if_local);
		pps = 0;
	}
	return pps;
}
#endif

#ifdef HSK_BENCH_XSK
/* The xsk source on its own, paced at @rate (0: as fast as it can). */
struct source {
	struct sender s;
	pthread_t th;
	int started;
};

struct source *source_start(struct hsk_topo *t, const struct config *cfg,
			    int port, double rate, const char **what)
{
	struct source *src = calloc(1, sizeof(*src));

	if (!src) {
		*what = "calloc";
		return NULL;
	}
	if (start_sender(&src->s, SRC_XSK, t, cfg, port, cfg->tx_cpu, rate,
			 &src->th, &src->started, what) < 0) {
		int err = errno;

		source_stop(src);
		errno = err;
		return NULL;
	}
	return src;
}

uint64_t source_sent(struct source *src)
{
	return atomic_load(&src->s.sent);
}

int source_stop(struct source *src)
{
	int err = stop_sender(&src->s, src->th, src->started);

	free(src);
	return err;
}
#endif

/* One contender's receiver, by key, for the instruction counts. */
struct rx_handle {
	struct contender c;
	struct receiver r;
};

struct receiver *rx_open(const char *key, const char *backend,
			 struct hsk_topo *t, const struct config *cfg, int port,
			 char *backend_out, size_t backend_len)
{
	struct contender c;
	struct rx_handle *h;

	if (find_contender(all_contenders, ARRAY_SIZE(all_contenders), key,
			   backend, &c) < 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->c = c;
	init_receiver(&h->r, &h->c, cfg);
	if (open_receiver(&h->r, t, cfg, port, backend_out, backend_len) < 0) {
		int err = errno;

		rx_close(&h->r);
		errno = err;
		return NULL;
	}
	return &h->r;
}

int rx_once(struct receiver *r)
{
	int n = receive(r);

	if (n >= 0 && r->bad) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

void rx_close(struct receiver *r)
{
	if (!r)
		return;
	close_receiver(r);
	free(container_of(r, struct rx_handle, r));
}

/* Rows of the pps plot: median and spread per contender that ran. */
static void plot_receive(const struct config *cfg, const struct result *res)
{
	struct plot_row rows[MAX_CONTENDERS];
	unsigned int c, n = 0;

	for (c = 0; c < n_contenders; c++) {
		struct summary s;

		summarize(&res[c], cfg->reps, &s);
		if (s.ok)
			rows[n++] = (struct plot_row){
				{ NULL, contenders[c].name, res[c].backend },
				{ s.med, s.min, s.max }
			};
	}
	plot_bars(cfg, "receive-pps.png",
		  "UDP receive rate (median, min-max over the reps)",
		  "datagrams per second", rows, n, 0);
}

int workload_receive(struct hsk_topo *t, struct config *cfg, FILE *json)
{
	struct result res[MAX_CONTENDERS];
	struct napi_setup napi = { -1, 0, 0 };
	double capacity = 0, cap_held = 0, t_start = now();
	char why[160], cap_why[160] = "";
	enum source_kind source;
	unsigned int c, rep;
	int status = 0, port = PORT_BASE, have_raw = 0;

#ifdef HSK_BENCH_XSK
	have_raw = 1;
#endif
	/* Watchdog for the probes; the runs get their own below. */
	alarm(30);
	if (!cfg->napi_inline &&
	    setup_napi(t, 0, cfg->rx_cpu, &napi, why, sizeof(why)) < 0) {
		printf("napi: cannot move %s's receive work off the sender's "
		       "CPU (%s);\n      it runs inline, in the sender's "
		       "transmit calls\n",
		       t->if_local, why);
		napi.pid = -1;
	}
	/* The source: xsk when it works (or when asked: then it must). */
	if (cfg->source == SRC_KERNEL) {
		source = SRC_KERNEL;
	} else if (probe_xsk_source(t, cfg, cfg->tx_cpu, why, sizeof(why))) {
		source = SRC_XSK;
	} else if (cfg->source == SRC_XSK) {
		fprintf(stderr,
			"hotsock-bench: the xsk source does not work: "
			"%s\n",
			why);
		napi_inline(t, &napi);
		return 1;
	} else {
		source = SRC_KERNEL;
		printf("source: xsk does not work here (%s); falling back to "
		       "kernel\n",
		       why);
	}
#ifdef HSK_BENCH_XSK
	if (source == SRC_XSK)
		capacity = calibrate_source(t, cfg, cfg->tx_cpu, &cap_held,
					    cap_why, sizeof(cap_why));
#endif
	alarm(0);
	make_contenders(cfg, have_raw);
	if (g_stop || !n_contenders) {
		napi_inline(t, &napi);
		return g_stop ? 1 : 0;
	}
	memset(res, 0, sizeof(res));
	for (c = 0; c < n_contenders; c++) {
		res[c].runs = calloc(cfg->reps, sizeof(struct run));
		if (!res[c].runs) {
			perror("hotsock-bench: calloc");
			while (c--)
				free(res[c].runs);
			napi_inline(t, &napi);
			return 1;
		}
		snprintf(res[c].backend, sizeof(res[c].backend), "?");
	}

	/* Watchdog: a run that overstays its time is stopped. */
	alarm((unsigned int)(cfg->reps * n_contenders *
			     (cfg->duration + FIRST_PACKET_TIMEOUT +
			      SOURCE_START_TIMEOUT + DETACH_TIMEOUT + 1)) +
	      30);

	printf("\n== receive: UDP/IPv%d, %zu-byte payloads, %s -> %s over "
	       "veth (%s -> %s)\n",
	       cfg->family, cfg->size,
	       cfg->family == 6 ? TOPO_IP6_PEER : TOPO_IP4_PEER,
	       cfg->family == 6 ? TOPO_IP6_LOCAL : TOPO_IP4_LOCAL, t->if_peer,
	       t->if_local);
	if (source == SRC_XSK) {
		printf("source: xsk, an AF_XDP socket on %s (TX only), one "
		       "prebuilt %zu-byte frame;\n",
		       t->if_peer,
		       ETH_HLEN_ + (cfg->family == 6 ? 40 : 20) + 8 +
			       cfg->size);
		if (capacity > 0)
			printf("        it sends %.0f pps into an XDP_DROP "
			       "program on %s (%.0f s; held back\n"
			       "        in %.1f%% of its kicks)\n",
			       capacity, t->if_local, CALIBRATION,
			       100 * cap_held);
		else
			printf("        its rate into XDP_DROP is unknown "
			       "(%s)\n",
			       cap_why);
	} else {
		printf("source: kernel, one thread, sendmmsg x%u;\n",
		       cfg->batch);
	}
	printf("receivers: batch %u; %u rep(s) x %g s per contender, "
	       "interleaved\n",
	       cfg->batch, cfg->reps, cfg->duration);
	if (napi.pid > 0)
		printf("napi: %s's receive work (XDP, or GRO and the UDP "
		       "stack) in thread napi/%s-%u,\n      %s\n",
		       t->if_local, t->if_local, napi.id,
		       cfg->rx_cpu >= 0 ? "pinned to the receiver's CPU" :
					  "not pinned");
	else
		printf("napi: %s's receive work runs inline, on the sender's "
		       "CPU, in its transmit calls\n",
		       t->if_local);
	fflush(stdout);

	for (rep = 0; rep < cfg->reps && !g_stop; rep++) {
		for (c = 0; c < n_contenders && !g_stop; c++) {
			struct run *run = &res[c].runs[rep];

			progress("receive: rep %u/%u %s %s", rep + 1, cfg->reps,
				 contenders[c].name,
				 contenders[c].backend ? contenders[c].backend :
							 "");
			run_contender(&contenders[c], t, cfg, source, port++,
				      res[c].backend, sizeof(res[c].backend),
				      run);
			if (run->ok)
				progress("receive: rep %u/%u %s %s: %.0f pps "
					 "(sent %.0f pps)",
					 rep + 1, cfg->reps, contenders[c].name,
					 res[c].backend, run->rx_pps,
					 run->tx_pps);
			else
				progress("receive: rep %u/%u %s %s FAILED: %s",
					 rep + 1, cfg->reps, contenders[c].name,
					 res[c].backend, run->err);
			if (!run->ok)
				status = 1;
			if (napi.pid > 0 && !napi_thread_alive(t, &napi)) {
				fprintf(stderr,
					"hotsock-bench: napi/%s-%u is "
					"gone\n",
					t->if_local, napi.id);
				napi.pid = -1;
			}
		}
	}
	progress_done();
	alarm(0);
	if (!g_stop) {
		print_table(cfg, res);
		printf("(%.0f s)\n", now() - t_start);
		if (json)
			write_json(json, cfg, res, source, napi.pid > 0,
				   capacity);
		if (cfg->plot_dir)
			plot_receive(cfg, res);
	}
	napi_inline(t, &napi);
	for (c = 0; c < n_contenders; c++)
		free(res[c].runs);
	return g_stop ? 1 : status;
}
