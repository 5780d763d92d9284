// SPDX-License-Identifier: BSD-3-Clause
/*
 * The transmit workload: the contenders send UDP datagrams from hsk0 as
 * fast as they can; in the peer namespace a raw XSK on hsk1 (libxdp's
 * program takes every frame) counts what arrives. Contenders:
 *
 *   hotsock hsk_sendto     one datagram per call
 *   hotsock hsk_sendmmsg   --batch datagrams per call
 *   hotsock hsk_send_zc    --batch lent buffers (hsk_buf_alloc), filled
 *                          and sent
 *   hotsock packet zc      AF_PACKET raw frames: the UDP contenders'
 *                          datagram as a whole frame, prebuilt, copied into
 *                          --batch lent buffers and sent (hsk_send_zc) on
 *                          a SOCK_RAW socket bound to hsk0
 *   hotsock packet mmsg    the same frames, --batch per hsk_sendmmsg
 *   raw xsk                the bare libxdp TX ring on hsk0 queue 0, one
 *                          prebuilt frame (xsk_raw.c)
 *   raw rte_eth            rte_eth_tx_burst on dpdk's vdev (net_af_xdp
 *                          over hsk0), the prebuilt frame copied into
 *                          each mbuf (rte_raw.c): with dpdk among the
 *                          backends
 *   kernel sendto          sendto(2)
 *   kernel sendmmsg        sendmmsg(2), --batch per call
 *   kernel packet mmsg     the raw frames, sendmmsg(2) on a plain
 *                          AF_PACKET SOCK_RAW socket bound to hsk0
 *
 * the hotsock ones once per backend (dpdk in a child of its own, as in
 * the receive workload: the counter lives in memory it shares; the
 * peer's first frame is a neighbour request, from which hotsock learns
 * hsk1, as the counter answers none). Every send is non-blocking
 * (MSG_DONTWAIT): a call refused for lack of room (EAGAIN, ENOBUFS) is
 * counted and the loop goes on. hsk1's receive work runs in a NAPI
 * thread pinned to the counter's CPU (unless --napi inline), so the
 * sender's CPU pays for sending only. Every figure is what arrived at the
 * counter, per second, with what the contender handed over in the same
 * window: a counter that got less than 95% of it was the bottleneck (or
 * veth's ring dropped).
 */
#include <errno.h>
#include <poll.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hotsock.h"
#ifdef HSK_BENCH_XSK
#include "xsk_raw.h"
#endif
#ifdef HSK_BENCH_DPDK
#include "rte_raw.h"
#endif

#define TX_PORT 22000
#define TX_SRC_PORT 22999
#define TX_WARMUP 0.2		  /* s */
#define COUNTER_START_TIMEOUT 3.0 /* s */
#define SOLICIT_TRIES 3		  /* dpdk: warm-ups, each after a request */
#define DELIVERED_BOUND 0.95 /* counted / sent from which the sender bounds */

enum tx_how {
	TX_HSK_SENDTO,
	TX_HSK_SENDMMSG,
	TX_HSK_SEND_ZC,
	TX_RAW_XSK,
	TX_RAW_RTE,
	TX_KERN_SENDTO,
	TX_KERN_SENDMMSG,
	/* AF_PACKET raw frames */
	TX_HSK_PACKET_ZC,
	TX_HSK_PACKET_MMSG,
	TX_KERN_PACKET_MMSG
};

static const struct contender hsk_tx[] = {
	{ "hotsock hsk_sendto", "hsk_sendto", TX_HSK_SENDTO, 1, 1, NULL },
	{ "hotsock hsk_sendmmsg", "hsk_sendmmsg", TX_HSK_SENDMMSG, 1, 0, NULL },
	{ "hotsock hsk_send_zc", "hsk_send_zc", TX_HSK_SEND_ZC, 1, 0, NULL },
	{ "hotsock packet zc", "hsk_packet_zc", TX_HSK_PACKET_ZC, 1, 0, NULL },
	{ "hotsock packet mmsg", "hsk_packet_mmsg", TX_HSK_PACKET_MMSG, 1, 0,
	  NULL },
};

static const struct contender other_tx[] = {
	{ "raw xsk", "raw_xsk", TX_RAW_XSK, 0, 0, NULL },
	{ "kernel sendto", "sendto", TX_KERN_SENDTO, 0, 1, NULL },
	{ "kernel sendmmsg", "sendmmsg", TX_KERN_SENDMMSG, 0, 0, NULL },
	{ "kernel packet mmsg", "packet_sendmmsg", TX_KERN_PACKET_MMSG, 0, 0,
	  NULL },
};

/* Does @how send AF_PACKET raw frames (else UDP datagrams)? */
static int packet_how(int how)
{
	return how == TX_HSK_PACKET_ZC || how == TX_HSK_PACKET_MMSG ||
	       how == TX_KERN_PACKET_MMSG;
}

/* The raw engine beneath dpdk: rte_eth_tx_burst on the vdev hotsock on
 * dpdk gets (net_af_xdp over hsk0), the frame copied into each mbuf
 * (rte_raw.c), in a child as hotsock on dpdk is. */
static const struct contender rte_tx = {
	"raw rte_eth", "raw_rte", TX_RAW_RTE, 0, 0, NULL
};

/* Every contender, for the instruction counts to find by key. */
static const struct contender_list all_tx[] = {
	{ hsk_tx, ARRAY_SIZE(hsk_tx) },
	{ other_tx, ARRAY_SIZE(other_tx) },
};

#define TX_MAX (MAX_BACKENDS * ARRAY_SIZE(hsk_tx) + 1 + ARRAY_SIZE(other_tx))

struct tx_run {
	int ok;
	char err[128];
	uint64_t sent, counted, refused; /* refused: ENOBUFS/EAGAIN calls */
	uint64_t calls;
	uint64_t fast, slow; /* hotsock: sent by its fast, kernel path */
	double secs;
};

/*
 * The peer's counter: a thread in the peer namespace. A dpdk contender's
 * child, forked meanwhile, reads the count in shared memory. The XSK is
 * held here, on the stack of the thread that forks, not on the counter's
 * own stack alone: the child has no counter thread, and its leak check at
 * exit() would otherwise find libxdp's objects unreferenced.
 */
struct counter {
	struct hsk_topo *topo;
	int cpu;
	uint32_t frame_len; /* the senders' frames; others are not counted */
	atomic_int ready;   /* 1 counting, -1 failed */
	atomic_int stop;
	atomic_uint_least64_t *count; /* shared with the dpdk children */
	int err;
#ifdef HSK_BENCH_XSK
	struct xsk_raw *xsk;
#endif
};

static void *counter_main(void *arg)
{
	struct counter *k = arg;
#ifdef HSK_BENCH_XSK
	pin_self(k->cpu);
	if (topo_enter_peer(k->topo) < 0) {
		k->err = errno;
		atomic_store(&k->ready, -1);
		return NULL;
	}
	k->xsk = xsk_raw_open(k->topo->if_peer, true);
	if (!k->xsk) {
		k->err = errno;
		atomic_store(&k->ready, -1);
		return NULL;
	}
	atomic_store(&k->ready, 1);
	while (!atomic_load_explicit(&k->stop, memory_order_relaxed) &&
	       !g_stop) {
		unsigned int n = xsk_raw_rx_burst(k->xsk, k->frame_len);

		if (n) {
			atomic_fetch_add_explicit(k->count, n,
						  memory_order_relaxed);
		} else {
			struct pollfd p = { xsk_raw_fd(k->xsk), POLLIN, 0 };

			(void)poll(&p, 1, 100);
		}
	}
	xsk_raw_close(k->xsk);
#else
	k->err = ENOTSUP;
	atomic_store(&k->ready, -1);
#endif
	return NULL;
}

struct txer {
	const struct contender *c;
	int fd;
	unsigned int batch;
	size_t size;
	unsigned char *payload;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov;
	struct hsk_buf bufs[BATCH_MAX];
	unsigned int held; /* zc: lent and not yet sent */
#ifdef HSK_BENCH_XSK
	struct xsk_raw *xsk;
#endif
	int rte; /* raw rte_eth: its port is open */
	unsigned char frame[ETH_HLEN_ + MTU]; /* raw: prebuilt */
	uint32_t frame_len;
	/* What each batched send carries: the payload to @to (UDP), or the
	 * whole frame with @to NULL (AF_PACKET: the socket's binding says
	 * where). */
	void *msg;
	uint32_t msg_len;
	struct sockaddr *to;
	socklen_t tolen;
};

static void init_txer(struct txer *s, const struct contender *c,
		      const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->fd = -1;
	s->size = cfg->size;
	s->batch = contender_batch(c, cfg);
}

/* One send call of the contender's kind: datagrams handed over, or -1. */
static int send_once(struct txer *s)
{
	unsigned int i;
	int n;

	switch ((enum tx_how)s->c->how) {
	case TX_HSK_SENDTO:
		return hsk_sendto(s->fd, s->payload, s->size, MSG_DONTWAIT,
				  (struct sockaddr *)&s->dst, s->dstlen) < 0 ?
			       -1 :
			       1;
	case TX_KERN_SENDTO:
		return sendto(s->fd, s->payload, s->size, MSG_DONTWAIT,
			      (struct sockaddr *)&s->dst, s->dstlen) < 0 ?
			       -1 :
			       1;
	case TX_HSK_SENDMMSG:
	case TX_HSK_PACKET_MMSG:
		return hsk_sendmmsg(s->fd, s->msgs, s->batch, MSG_DONTWAIT);
	case TX_KERN_SENDMMSG:
	case TX_KERN_PACKET_MMSG:
		return sendmmsg(s->fd, s->msgs, s->batch, MSG_DONTWAIT);
	case TX_HSK_SEND_ZC:
	case TX_HSK_PACKET_ZC:
		if (s->held < s->batch) {
			n = hsk_buf_alloc(s->fd, s->bufs + s->held,
					  s->batch - s->held);
			if (n < 0)
				return -1;
			for (i = s->held; i < s->held + (unsigned int)n; i++) {
				memcpy(s->bufs[i].data, s->msg, s->msg_len);
				s->bufs[i].len = s->msg_len;
			}
			s->held += (unsigned int)n;
		}
		n = hsk_send_zc(s->fd, s->bufs, s->held, s->to, s->tolen,
				MSG_DONTWAIT);
		if (n > 0) {
			/* What was not sent moves to the front. */
			memmove(s->bufs, s->bufs + n,
				(s->held - (unsigned int)n) *
					sizeof(s->bufs[0]));
			s->held -= (unsigned int)n;
		}
		return n;
	case TX_RAW_XSK:
#ifdef HSK_BENCH_XSK
		return (int)xsk_raw_tx_burst(s->xsk, s->frame_len, s->batch);
#else
		break;
#endif
	case TX_RAW_RTE:
#ifdef HSK_BENCH_DPDK
		return (int)rte_raw_tx(s->batch, s->frame, s->frame_len);
#else
		break;
#endif
	}
	errno = ENOTSUP;
	return -1;
}

static int open_txer(struct txer *s, struct hsk_topo *t,
		     const struct config *cfg, int port, char *backend,
		     size_t backend_len)
{
	int packet = packet_how(s->c->how), sndbuf = 4 << 20;
	int domain = packet ? AF_PACKET : cfg->family == 6 ? AF_INET6 : AF_INET;
	int type = packet ? SOCK_RAW : SOCK_DGRAM;
	/*
	 * A packet socket bound to hsk0 and to the frames' ethertype: af_xdp
	 * takes a packet socket onto its XSK once it is bound to a link and
	 * an ethertype, and the kernel's own socket is bound alike.
	 */
	uint16_t ethertype = htons(cfg->family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = ethertype,
				  .sll_ifindex = t->ifindex_local };
	struct sockaddr_storage src;
	struct sockaddr *local;
	socklen_t srclen, local_len;
	unsigned int i;

	fill_addr(t, cfg->family, 0, port, &s->dst, &s->dstlen);
	fill_addr(t, cfg->family, 1, TX_SRC_PORT, &src, &srclen);
	local = packet ? (struct sockaddr *)&ll : (struct sockaddr *)&src;
	local_len = packet ? sizeof(ll) : srclen;
	s->payload = malloc(s->size ? s->size : 1);
	if (!s->payload)
		return -1;
	memset(s->payload, 0xa5, s->size ? s->size : 1);
	/* The frame the UDP contenders' datagram makes: the raw senders
	 * send it as it is, so the counter counts both alike. */
	s->frame_len = build_frame(s->frame, t, cfg->family, 0, TX_SRC_PORT,
				   port, cfg->size);
	if (packet) {
		s->msg = s->frame;
		s->msg_len = s->frame_len;
	} else {
		s->msg = s->payload;
		s->msg_len = (uint32_t)s->size;
		s->to = (struct sockaddr *)&s->dst;
		s->tolen = s->dstlen;
	}
	s->iov.iov_base = s->msg;
	s->iov.iov_len = s->msg_len;
	memset(s->msgs, 0, sizeof(s->msgs));
	for (i = 0; i < s->batch; i++) {
		s->msgs[i].msg_hdr.msg_name = s->to;
		s->msgs[i].msg_hdr.msg_namelen = s->tolen;
		s->msgs[i].msg_hdr.msg_iov = &s->iov;
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (s->c->how == TX_RAW_RTE) {
#ifdef HSK_BENCH_DPDK
		char err[160], vdev[128];

		snprintf(backend, backend_len, "rte_eth");
		child_vdev(vdev, sizeof(vdev));
		if (rte_raw_open(vdev, err, sizeof(err)) < 0) {
			fprintf(stderr, "hotsock-bench: %s\n", err);
			errno = ENODEV;
			return -1;
		}
		s->rte = 1;
		return 0;
#else
		errno = ENOTSUP;
		return -1;
#endif
	}
	if (s->c->how == TX_RAW_XSK) {
#ifdef HSK_BENCH_XSK
		snprintf(backend, backend_len, "libxdp");
		s->xsk = xsk_raw_open(t->if_local, false);
		if (!s->xsk)
			return -1;
		xsk_raw_tx_prepare(s->xsk, s->frame, s->frame_len);
		return 0;
#else
		errno = ENOTSUP;
		return -1;
#endif
	}
	if (s->c->hotsock) {
		HSK_OPTS(o, .backend = s->c->backend, .strict = 1);
		const char *name;

		if (s->c->backend && hsk_init(&o) < 0)
			return -1;
		s->fd = hsk_socket(domain, type, packet ? ethertype : 0);
		if (s->fd < 0)
			return -1;
		(void)hsk_setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				     sizeof(sndbuf));
		if (hsk_bind(s->fd, local, local_len) < 0 ||
		    hsk_settimeout(s->fd, 0.1) < 0)
			return -1;
		name = hsk_backend_name(s->fd);
		snprintf(backend, backend_len, "%s", name ? name : "?");
		return 0;
	}
	snprintf(backend, backend_len, "-");
	s->fd = socket(domain, type | SOCK_CLOEXEC, packet ? ethertype : 0);
	if (s->fd < 0)
		return -1;
	(void)setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return bind(s->fd, local, local_len);
}

static void close_txer(struct txer *s)
{
#ifdef HSK_BENCH_XSK
	xsk_raw_close(s->xsk);
	s->xsk = NULL;
#endif
#ifdef HSK_BENCH_DPDK
	if (s->rte)
		rte_raw_close();
	s->rte = 0;
#endif
	if (s->fd >= 0) {
		if (s->c->hotsock) {
			if (s->held)
				hsk_buf_release(s->fd, s->bufs, s->held);
			hsk_close(s->fd);
		} else {
			close(s->fd);
		}
	}
	s->fd = -1;
	free(s->payload);
	s->payload = NULL;
}

/* hotsock: what its fast and its kernel path sent so far (hsk_stats());
 * the others: nothing. */
static void tx_paths(const struct txer *s, uint64_t *fast, uint64_t *slow)
{
	struct hsk_stats st;

	*fast = *slow = 0;
	if (!s->c->hotsock || hsk_stats(s->fd, &st, sizeof(st)) < 0)
		return;
	*fast = st.tx_fast_path;
	*slow = st.tx_kernel_path;
}

static void tx_fail(struct tx_run *run, const char *what)
{
	snprintf(run->err, sizeof(run->err), "%s: %s", what, strerror(errno));
	run->ok = 0;
}

/* Send for a while; return 0, or -1 with errno (a real error). */
static int send_for(struct txer *s, double secs, struct tx_run *run)
{
	double deadline = now() + secs;
	unsigned int iter = 0;
	int n;

	while (!g_stop) {
		n = send_once(s);
		if (run)
			run->calls++;
		if (n > 0) {
			if (run)
				run->sent += (unsigned int)n;
		} else if (n < 0 && errno != EAGAIN && errno != ENOBUFS &&
			   errno != EINTR && errno != ETIMEDOUT &&
			   errno != ECONNREFUSED) {
			return -1;
		} else if (run) {
			run->refused++;
		}
		if ((++iter & 15) == 0 && now() >= deadline)
			break;
	}
	return 0;
}

/* On dpdk's EAL, which runs once per process: hotsock on dpdk, raw
 * rte_eth. */
static int tx_in_child(const struct contender *c)
{
	return dpdk_backend(c->backend) || c->how == TX_RAW_RTE;
}

static void tx_run_one(const struct contender *c, struct hsk_topo *t,
		       const struct config *cfg, struct counter *k, int port,
		       char *backend, size_t backend_len, struct tx_run *run)
{
	struct txer s;
	unsigned int tries = 0;
	uint64_t c0, fast0, slow0;
	double t0;

	memset(run, 0, sizeof(*run));
	run->ok = 1;
	init_txer(&s, c, cfg);
	pin_self(cfg->rx_cpu);
	if (open_txer(&s, t, cfg, port, backend, backend_len) < 0) {
		tx_fail(run, "sender");
		goto out;
	}
	/*
	 * hotsock on dpdk resolves hsk1 itself, and the counter answers no
	 * request: hsk1 asks first, and is learnt from its request; again
	 * (a few times) while the warm-up reaches nothing.
	 */
	do {
		c0 = atomic_load(k->count);
		if (dpdk_backend(c->backend) &&
		    peer_solicit(t, cfg->family) < 0) {
			tx_fail(run, "neighbour request from the peer");
			goto out;
		}
		if (send_for(&s, TX_WARMUP, NULL) < 0) {
			tx_fail(run, c->name);
			goto out;
		}
		/* What the warm-up sent lands before the window opens. */
		usleep(20000);
	} while (dpdk_backend(c->backend) && atomic_load(k->count) == c0 &&
		 ++tries < SOLICIT_TRIES && !g_stop);
	tx_paths(&s, &fast0, &slow0);
	c0 = atomic_load(k->count);
	t0 = now();
	if (send_for(&s, cfg->duration, run) < 0) {
		tx_fail(run, c->name);
		goto out;
	}
	run->secs = now() - t0;
	tx_paths(&s, &run->fast, &run->slow);
	run->fast -= fast0;
	run->slow -= slow0;
	/* What is still in flight to the counter lands within a moment. */
	usleep(20000);
	run->counted = atomic_load(k->count) - c0;
	if (g_stop) {
		errno = EINTR;
		tx_fail(run, "interrupted");
	} else if (!run->sent) {
		snprintf(run->err, sizeof(run->err),
			 "nothing sent in %.1f s: all %llu calls refused",
			 run->secs, (unsigned long long)run->calls);
		run->ok = 0;
	}
out:
	close_txer(&s);
	/* The next contender starts on a bare hsk0 (dpdk's port stays until
	 * its child ends: run_dpdk_child() sees to it). */
	if (!tx_in_child(c) && wait_xdp_detached(t->ifindex_local) < 0 &&
	    run->ok) {
		snprintf(run->err, sizeof(run->err),
			 "an XDP program stayed on %s", t->if_local);
		run->ok = 0;
	}
}

struct tx_msg {
	struct tx_run run;
	char backend[16];
};

struct tx_args {
	const struct contender *c;
	struct hsk_topo *t;
	const struct config *cfg;
	struct counter *k;
	int port;
};

static void tx_run_child(void *arg, void *out)
{
	const struct tx_args *a = arg;
	struct tx_msg *msg = out;

	tx_run_one(a->c, a->t, a->cfg, a->k, a->port, msg->backend,
		   sizeof(msg->backend), &msg->run);
}

/* A contender on dpdk's EAL runs in a child of its own
 * (run_dpdk_child()), which reads the counter in shared memory; the
 * others here. */
static void tx_contender(const struct contender *c, struct hsk_topo *t,
			 const struct config *cfg, struct counter *k, int port,
			 char *backend, size_t backend_len, struct tx_run *run)
{
	struct tx_args a = { c, t, cfg, k, port };
	struct dpdk_child o = { t, cfg->duration + DPDK_CHILD_SLACK, -1 };
	struct tx_msg msg;

	if (!tx_in_child(c)) {
		tx_run_one(c, t, cfg, k, port, backend, backend_len, run);
		return;
	}
	memset(run, 0, sizeof(*run));
	memset(&msg, 0, sizeof(msg));
	if (run_dpdk_child(&o, tx_run_child, &a, &msg, sizeof(msg), run->err,
			   sizeof(run->err)) < 0)
		return;
	*run = msg.run;
	snprintf(backend, backend_len, "%s", msg.backend);
}

static unsigned int make_tx(const struct config *cfg, struct contender *out)
{
	unsigned int n = 0, b, i, nb = cfg->n_backends ? cfg->n_backends : 1;

	for (b = 0; b < nb; b++) {
		const char *be = cfg->n_backends ? cfg->backends[b] : NULL;

		for (i = 0; i < ARRAY_SIZE(hsk_tx); i++)
			add_contender(cfg, &hsk_tx[i], be, out, &n);
#ifdef HSK_BENCH_DPDK
		if (dpdk_backend(be))
			add_contender(cfg, &rte_tx, NULL, out, &n);
#endif
	}
	for (i = 0; i < ARRAY_SIZE(other_tx); i++) {
#ifndef HSK_BENCH_XSK
		if (other_tx[i].how == TX_RAW_XSK)
			continue;
#endif
		add_contender(cfg, &other_tx[i], NULL, out, &n);
	}
	return n;
}

/* One contender's sender, by key, for the instruction counts. */
struct tx_handle {
	struct contender c;
	struct txer s;
};

struct txer *tx_open(const char *key, const char *backend, struct hsk_topo *t,
		     const struct config *cfg, int port, char *backend_out,
		     size_t backend_len)
{
	struct contender c;
	struct tx_handle *h;

	if (find_contender(all_tx, ARRAY_SIZE(all_tx), key, backend, &c) < 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->c = c;
	init_txer(&h->s, &h->c, cfg);
	if (open_txer(&h->s, t, cfg, port, backend_out, backend_len) < 0) {
		int err = errno;

		tx_close(&h->s);
		errno = err;
		return NULL;
	}
	return &h->s;
}

int tx_once(struct txer *s, unsigned int max)
{
	unsigned int batch = s->batch;
	int n;

	/* No more than @max: the counted loop sends an exact number. */
	if (max < s->batch)
		s->batch = max;
	n = send_once(s);
	s->batch = batch;
	return n;
}

void tx_close(struct txer *s)
{
	if (!s)
		return;
	close_txer(s);
	free(container_of(s, struct tx_handle, s));
}

static int start_counter(struct counter *k, atomic_uint_least64_t *count,
			 struct hsk_topo *t, int cpu, uint32_t frame_len,
			 pthread_t *th)
{
	double deadline = now() + COUNTER_START_TIMEOUT;
	int err;

	memset(k, 0, sizeof(*k));
	k->topo = t;
	k->cpu = cpu;
	k->frame_len = frame_len;
	atomic_init(&k->ready, 0);
	atomic_init(&k->stop, 0);
	k->count = count;
	atomic_init(count, 0);
	err = start_thread(th, counter_main, k);
	if (err) {
		errno = err;
		return -1;
	}
	while (!atomic_load(&k->ready) && now() < deadline && !g_stop)
		usleep(1000);
	if (atomic_load(&k->ready) > 0)
		return 0;
	atomic_store(&k->stop, 1);
	pthread_join(*th, NULL);
	errno = k->err ? k->err : ETIMEDOUT;
	return -1;
}

int workload_transmit(struct hsk_topo *t, struct config *cfg, FILE *json)
{
	struct contender cs[TX_MAX];
	char backend[TX_MAX][16], why[160];
	struct napi_setup napi = { -1, 0, 1 };
	unsigned int n = make_tx(cfg, cs), c, rep;
	struct plot_row rows[TX_MAX];
	struct tx_run *runs;
	atomic_uint_least64_t *count;
	struct counter k;
	pthread_t th;
	int status = 0, port = TX_PORT;
	unsigned int nr = 0;
	double t_start = now();
	/* Every sender's frame: the counter counts frames of this length. */
	uint32_t frame_len =
		(uint32_t)(ETH_HLEN_ + (cfg->family == 6 ? 40 : 20) + 8 +
			   cfg->size);

	runs = calloc((size_t)n * cfg->reps, sizeof(*runs));
	/* Shared: a contender's child reads the count as it goes. */
	count = mmap(NULL, sizeof(*count), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!runs || count == MAP_FAILED) {
		free(runs);
		if (count != MAP_FAILED)
			munmap(count, sizeof(*count));
		return 1;
	}
	if (!cfg->napi_inline &&
	    setup_napi(t, 1, cfg->tx_cpu, &napi, why, sizeof(why)) < 0) {
		printf("napi: %s's receive work stays inline (%s)\n",
		       t->if_peer, why);
		napi.pid = -1;
	}
	if (start_counter(&k, count, t, cfg->tx_cpu, frame_len, &th) < 0) {
		fprintf(stderr,
			"hotsock-bench: transmit: no counter on %s: %s\n",
			t->if_peer, strerror(errno));
		napi_inline(t, &napi);
		free(runs);
		munmap(count, sizeof(*count));
		return 1;
	}
	printf("\n== transmit: UDP/IPv%d, %zu-byte payloads, %s -> %s "
	       "(packet: the same datagram\n   as a %u-byte AF_PACKET raw "
	       "frame); a raw XSK on %s counts;\n   %u rep(s) x %g s per "
	       "contender, interleaved; batch %u; %s's receive work %s\n",
	       cfg->family, cfg->size,
	       cfg->family == 6 ? TOPO_IP6_LOCAL : TOPO_IP4_LOCAL,
	       cfg->family == 6 ? TOPO_IP6_PEER : TOPO_IP4_PEER, frame_len,
	       t->if_peer, cfg->reps, cfg->duration, cfg->batch, t->if_peer,
	       napi.pid > 0 ? "in a NAPI thread on the counter's CPU" :
			      "inline, on the sender's CPU");
	alarm((unsigned int)(cfg->reps * n * (cfg->duration + 5)) + 30);
	for (c = 0; c < n; c++)
		snprintf(backend[c], sizeof(backend[c]), "?");
	for (rep = 0; rep < cfg->reps && !g_stop; rep++)
		for (c = 0; c < n && !g_stop; c++) {
			struct tx_run *r = &runs[c * cfg->reps + rep];

			progress("transmit: rep %u/%u %s %s", rep + 1,
				 cfg->reps, cs[c].name,
				 cs[c].backend ? cs[c].backend : "");
			tx_contender(&cs[c], t, cfg, &k, port++, backend[c],
				     sizeof(backend[c]), r);
			if (!r->ok) {
				status = 1;
				progress("transmit: %s %s FAILED: %s",
					 cs[c].name, backend[c], r->err);
			}
		}
	progress_done();
	alarm(0);
	atomic_store(&k.stop, 1);
	pthread_join(th, NULL);
	munmap(count, sizeof(*count));
	napi_inline(t, &napi);
	if (g_stop) {
		free(runs);
		return 1;
	}

	printf("\n%-20s %-7s %12s %23s %7s %11s %8s %7s %s\n", "contender",
	       "backend", "pps (med)", "(min - max)", "ns/pkt", "sent pps",
	       "cnt/sent", "refused", "bottleneck");
	if (json)
		fprintf(json,
			"{\"config\": {\"family\": %d, \"size\": %zu, "
			"\"duration\": %g, \"reps\": %u, \"batch\": %u, "
			"\"counter\": \"raw xsk on the peer\", \"napi\": "
			"\"%s\"},\n   \"results\": [",
			cfg->family, cfg->size, cfg->duration, cfg->reps,
			cfg->batch, napi.id ? "thread" : "inline");
	for (c = 0; c < n; c++) {
		double pps[cfg->reps], sent[cfg->reps], ratio[cfg->reps],
			refused[cfg->reps];
		struct spread p, sp, ra, rf;
		unsigned int kk = 0;
		const char *bn;

		for (rep = 0; rep < cfg->reps; rep++) {
			struct tx_run *r = &runs[c * cfg->reps + rep];

			if (!r->ok)
				continue;
			pps[kk] = r->counted / r->secs;
			sent[kk] = r->sent / r->secs;
			ratio[kk] = (double)r->counted / r->sent;
			refused[kk] = r->calls ? (double)r->refused / r->calls :
						 0;
			kk++;
		}
		if (json)
			fprintf(json,
				"%s\n    {\"contender\": \"%s\", \"backend\": "
				"\"%s\", \"ok\": %s",
				c ? "," : "", cs[c].name, backend[c],
				kk == cfg->reps ? "true" : "false");
		if (kk < cfg->reps) {
			for (rep = 0; rep < cfg->reps; rep++)
				if (!runs[c * cfg->reps + rep].ok)
					break;
			printf("%-20s %-7s FAILED: %s\n", cs[c].name,
			       backend[c], runs[c * cfg->reps + rep].err);
			if (json)
				json_error(json, runs[c * cfg->reps + rep].err);
			continue;
		}
		p = spread_of(pps, kk);
		sp = spread_of(sent, kk);
		ra = spread_of(ratio, kk);
		rf = spread_of(refused, kk);
		bn = ra.med >= DELIVERED_BOUND ? "sender" : "receiver";
		{
			char range[48];

			snprintf(range, sizeof(range), "(%.0f - %.0f)", p.min,
				 p.max);
			printf("%-20s %-7s %12.0f %23s %7.0f %11.0f %7.1f%% "
			       "%6.0f%% %s\n",
			       cs[c].name, backend[c], p.med, range,
			       1e9 / p.med, sp.med, 100 * ra.med, 100 * rf.med,
			       bn);
		}
		if (json) {
			fprintf(json,
				", \"pps_median\": %.0f, \"pps_min\": %.0f, "
				"\"pps_max\": %.0f, \"sent_pps_median\": %.0f, "
				"\"counted_over_sent_median\": %.4f, "
				"\"refused_calls_median\": %.4f, "
				"\"bottleneck\": \"%s\", \"runs\": [",
				p.med, p.min, p.max, sp.med, ra.med, rf.med,
				bn);
			for (rep = 0; rep < cfg->reps; rep++) {
				struct tx_run *r = &runs[c * cfg->reps + rep];

				fprintf(json,
					"%s{\"sent\": %llu, \"counted\": %llu, "
					"\"calls\": %llu, \"refused\": %llu, "
					"\"seconds\": %.6f",
					rep ? ", " : "",
					(unsigned long long)r->sent,
					(unsigned long long)r->counted,
					(unsigned long long)r->calls,
					(unsigned long long)r->refused,
					r->secs);
				if (cs[c].hotsock)
					fprintf(json,
						", \"tx_fast_path\": %llu, "
						"\"tx_kernel_path\": %llu",
						(unsigned long long)r->fast,
						(unsigned long long)r->slow);
				fprintf(json, "}");
			}
			fprintf(json, "]}");
		}
		rows[nr++] =
			(struct plot_row){ { NULL, cs[c].name, backend[c] },
					   p };
	}
	if (json)
		fprintf(json, "\n  ]}");
	printf("\npps: datagrams (packet: frames) counted at the peer per "
	       "second; sent pps:\nhanded over by the contender; cnt/sent: "
	       "counted / sent (median); refused:\nshare of send calls that "
	       "took nothing (ENOBUFS, EAGAIN); bottleneck: sender\nwhen "
	       "cnt/sent >= %.0f%%\n(%.0f s)\n",
	       100 * DELIVERED_BOUND, now() - t_start);
	if (cfg->plot_dir)
		plot_bars(cfg, "transmit-pps.png",
			  "Transmit rate counted at the peer, UDP and "
			  "AF_PACKET raw frames (median, min-max over the "
			  "reps)",
			  "datagrams (frames) per second", rows, nr, 0);
	free(runs);
	return status;
}
