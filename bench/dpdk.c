// SPDX-License-Identifier: BSD-3-Clause
/*
 * The dpdk workload: hotsock's dpdk backend and a bare rte_eth loop
 * (rte_raw.c) on the same vdev, side by side in one run. No kernel and
 * no veth: the EAL arguments and the memory (RTE_RAW_MEM) are the same
 * for both, and so is the vdev:
 *
 *   net_null  AF_PACKET raw frames. net_null makes a frame for every mbuf
 *             it is asked for and frees every mbuf it is given, at once:
 *             each side's own cost per frame, nothing else.
 *     receive  raw: rte_eth_rx_burst + rte_pktmbuf_free_bulk;
 *              hotsock: hsk_recv_zc on an AF_PACKET socket (ETH_P_ALL)
 *              + hsk_buf_release
 *     send     raw: rte_pktmbuf_alloc_bulk, the frame copied in,
 *              rte_eth_tx_burst; hotsock: hsk_buf_alloc, the frame
 *              copied in, hsk_send_zc on the AF_PACKET socket
 *   net_ring  64-byte UDP (--size). A net_ring port made alone is a loop:
 *             what it sends, it receives. Each round fills the ring with
 *             ROUND frames, then drains it; only the drain is timed (the
 *             fill alone is timed apart and shown). hotsock fills it with
 *             its own sender (hsk_buf_alloc + hsk_send_zc, UDP to a group
 *             the receiving socket joined, IP_MULTICAST_LOOP off, so that
 *             every datagram crosses the ring once); raw with
 *             rte_eth_tx_burst of the same frame, built once. The drain:
 *     receive  raw: rte_eth_rx_burst + free (nothing parsed);
 *              hotsock: hsk_recv_zc + hsk_buf_release (parsing, checksums
 *              and demultiplexing included), and hsk_recvmmsg (the copy
 *              API)
 *
 * A fill is bounded (a ring holds 1023 frames; ROUND is 512) and so is
 * every drain: the drain must get every frame the fill queued, a short
 * count is an error. Timing the drain alone keeps the sender's cost
 * (hotsock's builds headers and checksums, raw's copies a frame) out of
 * the receive figures, and the two receivers get the same frames in the
 * same place: the ring.
 *
 * The EAL runs once per process and hotsock's port stays with its
 * process: every contender, raw or hotsock, runs each rep in a child of
 * its own, which hands its figures back through a pipe; the reps are
 * interleaved. The same loops serve the instruction counts (insns.c:
 * dk_open(), dk_fill(), dk_move()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>

#include "bench.h"
#include "hotsock.h"
#ifdef HSK_BENCH_DPDK
#include "rte_raw.h"
#endif

#define DK_PORT 24000
#define GROUP4 "239.1.2.3"
#define GROUP6 "ff15::1:2:3"
#define PORT_IP4 TOPO_IP4_LOCAL
#define PORT_IP6 TOPO_IP6_LOCAL
#define STALL_CALLS 10000 /* empty calls in a row: the rest is lost */

enum dk_vdev { DK_NULL, DK_RING };
enum dk_how { DK_RAW, DK_HSK_ZC, DK_HSK_MMSG };

struct dk_contender {
	const char *name, *key;
	int tx;
	enum dk_vdev vdev;
	enum dk_how how;
	const char *backend; /* net_null, net_ring (raw); dpdk:null, ... */
};

static const struct dk_contender dk_all[] = {
	{ "raw rte_eth", "raw_rte", 0, DK_NULL, DK_RAW, "net_null" },
	{ "hotsock packet zc", "hsk_packet_zc", 0, DK_NULL, DK_HSK_ZC,
	  "dpdk:null" },
	{ "raw rte_eth", "raw_rte", 1, DK_NULL, DK_RAW, "net_null" },
	{ "hotsock packet zc", "hsk_packet_zc", 1, DK_NULL, DK_HSK_ZC,
	  "dpdk:null" },
	{ "raw rte_eth", "raw_rte", 0, DK_RING, DK_RAW, "net_ring" },
	{ "hotsock hsk_recv_zc", "hsk_recv_zc", 0, DK_RING, DK_HSK_ZC,
	  "dpdk:ring" },
	{ "hotsock hsk_recvmmsg", "hsk_recvmmsg", 0, DK_RING, DK_HSK_MMSG,
	  "dpdk:ring" },
};

#define N_DK ARRAY_SIZE(dk_all)

static const char *const vdev_names[] = { "net_null", "net_ring" };

/* The ratios the table and the goals take: each hotsock contender's
 * against the raw loop of its vdev and direction. */
static int raw_of(const struct dk_contender *c)
{
	for (unsigned int i = 0; i < N_DK; i++)
		if (dk_all[i].how == DK_RAW && dk_all[i].tx == c->tx &&
		    dk_all[i].vdev == c->vdev)
			return (int)i;
	return -1;
}

/* The frames' length: Ethernet, IP and UDP headers, --size bytes. */
static uint32_t frame_len(const struct config *cfg)
{
	return (uint32_t)(ETH_HLEN_ + (cfg->family == 6 ? 40 : 20) + 8 +
			  cfg->size);
}

/* The vdev, net_null's frames as long as the UDP frames. */
static void vdev_args(enum dk_vdev vdev, const struct config *cfg, char *buf,
		      size_t len)
{
	if (vdev == DK_NULL)
		snprintf(buf, len, "net_null0,size=%u", frame_len(cfg));
	else
		snprintf(buf, len, "net_ring0,nodeaction=r0:0:CREATE");
}

#ifdef HSK_BENCH_DPDK

struct dk_loop {
	const struct dk_contender *c;
	unsigned int batch;
	size_t size; /* UDP payload bytes */
	int fd;	     /* hotsock: the receiving or sending socket */
	int src;     /* hotsock on net_ring: the filling socket */
	struct sockaddr_storage group;
	socklen_t group_len;
	unsigned char frame[ETH_HLEN_ + MTU]; /* raw fill, frame sends */
	uint32_t frame_len;
	struct hsk_buf bufs[BATCH_MAX];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	unsigned char *slots; /* hsk_recvmmsg: batch x slot */
	uint64_t bad;	      /* frames of the wrong length */
};

/*
 * The frame both sides send: UDP from the port's address to the group
 * (what hotsock's own sender builds, checksums included), also the raw
 * frame of the net_null loops.
 */
static uint32_t group_frame(unsigned char *f, int family, size_t size)
{
	static const unsigned char port_mac[6] = { 0x02, 0, 0xc6, 0x12, 0, 1 };
	struct hsk_topo ends;

	memset(&ends, 0, sizeof(ends));
	inet_pton(AF_INET, PORT_IP4, &ends.ip4_local);
	inet_pton(AF_INET, GROUP4, &ends.ip4_peer);
	inet_pton(AF_INET6, PORT_IP6, &ends.ip6_local);
	inet_pton(AF_INET6, GROUP6, &ends.ip6_peer);
	memcpy(ends.mac_local, port_mac, 6);
	/* The group's MAC, from its low bits (RFC 1112, RFC 2464). */
	if (family == 6) {
		ends.mac_peer[0] = ends.mac_peer[1] = 0x33;
		memcpy(ends.mac_peer + 2, &ends.ip6_peer.s6_addr[12], 4);
	} else {
		const unsigned char *g = (const void *)&ends.ip4_peer;

		ends.mac_peer[0] = 0x01;
		ends.mac_peer[2] = 0x5e;
		ends.mac_peer[3] = g[1] & 0x7f;
		ends.mac_peer[4] = g[2];
		ends.mac_peer[5] = g[3];
	}
	return build_frame(f, &ends, family, 0, DK_PORT + 1, DK_PORT, size);
}

static int set_opt(int fd, int level, int name, int v)
{
	return hsk_setsockopt(fd, level, name, &v, sizeof(v));
}

/* @ip (NULL: the any address) and @port as a sockaddr of @family 4 or 6.
 * Return: its length. */
static socklen_t sock_addr(struct sockaddr_storage *ss, int family,
			   const char *ip, int port)
{
	struct sockaddr_in6 *a6 = (void *)ss;
	struct sockaddr_in *a4 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (ip)
			inet_pton(AF_INET6, ip, &a6->sin6_addr);
		return sizeof(*a6);
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	if (ip)
		inet_pton(AF_INET, ip, &a4->sin_addr);
	return sizeof(*a4);
}

/* @fd into the group @g, by the membership option of @g's family (the
 * dpdk backend takes these two, not MCAST_JOIN_GROUP). */
static int join_group(int fd, const struct sockaddr_storage *g)
{
	int v6 = g->ss_family == AF_INET6;
	union {
		struct ip_mreqn v4;
		struct ipv6_mreq v6;
	} mr;

	memset(&mr, 0, sizeof(mr));
	if (v6)
		mr.v6.ipv6mr_multiaddr =
			((const struct sockaddr_in6 *)g)->sin6_addr;
	else
		mr.v4.imr_multiaddr = ((const struct sockaddr_in *)g)->sin_addr;
	return hsk_setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
			      v6 ? IPV6_JOIN_GROUP : IP_ADD_MEMBERSHIP, &mr,
			      v6 ? sizeof(mr.v6) : sizeof(mr.v4));
}

/* hotsock's sockets: AF_PACKET on net_null; on net_ring a member of the
 * group and the socket that fills the ring. */
static int open_hotsock(struct dk_loop *l, int family, const char *vdev)
{
	int domain = family == 6 ? AF_INET6 : AF_INET, rcvbuf = 4 << 20;
	struct sockaddr_storage ss;
	char args[160];

	snprintf(args, sizeof(args), "--vdev=%s %s", vdev, RTE_RAW_MEM);
	{
		HSK_OPTS(o, .backend = "dpdk", .strict = 1, .dpdk_args = args,
			 .dpdk_ip = l->c->vdev == DK_RING ? PORT_IP4 "/24" :
							    NULL,
			 .dpdk_ip6 = l->c->vdev == DK_RING ? PORT_IP6 "/64" :
							     NULL);

		if (hsk_init(&o) < 0)
			return -1;
	}
	if (l->c->vdev == DK_NULL) {
		struct sockaddr_ll ll = { .sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_ALL) };

		l->fd = hsk_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		if (l->fd < 0 ||
		    hsk_bind(l->fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
			return -1;
		return hsk_settimeout(l->fd, 0);
	}
	l->group_len = sock_addr(&l->group, family,
				 family == 6 ? GROUP6 : GROUP4, DK_PORT);
	sock_addr(&ss, family, NULL, DK_PORT);
	l->fd = hsk_socket(domain, SOCK_DGRAM, 0);
	l->src = hsk_socket(domain, SOCK_DGRAM, 0);
	if (l->fd < 0 || l->src < 0)
		return -1;
	/* Room for a whole round in the receiving socket's buffer. */
	(void)hsk_setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			     sizeof(rcvbuf));
	if (hsk_bind(l->fd, (struct sockaddr *)&ss, l->group_len) < 0 ||
	    join_group(l->fd, &l->group) < 0 ||
	    set_opt(l->src, family == 6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    family == 6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP,
		    0) < 0)
		return -1;
	/* Bound to the port's address: each send takes the direct path. */
	sock_addr(&ss, family, family == 6 ? PORT_IP6 : PORT_IP4, DK_PORT + 1);
	if (hsk_bind(l->src, (struct sockaddr *)&ss, l->group_len) < 0 ||
	    hsk_settimeout(l->fd, 0) < 0 || hsk_settimeout(l->src, 0) < 0)
		return -1;
	return 0;
}

struct dk_loop *dk_open(int tx, const char *key, const char *backend,
			const struct config *cfg, char *err, size_t err_len)
{
	const struct dk_contender *c = NULL;
	struct dk_loop *l;
	char vdev[96];
	unsigned int i;

	for (i = 0; i < N_DK && !c; i++)
		if (dk_all[i].tx == tx && !strcmp(dk_all[i].key, key) &&
		    !strcmp(dk_all[i].backend, backend))
			c = &dk_all[i];
	l = c ? calloc(1, sizeof(*l)) : NULL;
	if (!l) {
		snprintf(err, err_len, "%s",
			 c ? strerror(errno) : "no such dpdk contender");
		return NULL;
	}
	l->c = c;
	l->fd = l->src = -1;
	l->batch = cfg->batch;
	l->size = cfg->size;
	l->frame_len = group_frame(l->frame, cfg->family, cfg->size);
	vdev_args(c->vdev, cfg, vdev, sizeof(vdev));
	if (c->how == DK_RAW) {
		if (rte_raw_open(vdev, err, err_len) < 0) {
			free(l);
			return NULL;
		}
		return l;
	}
	if (c->how == DK_HSK_MMSG) {
		/* Room to see a datagram that is too long. */
		l->slots = malloc((l->size + 64) * l->batch);
		if (!l->slots)
			goto fail;
		for (i = 0; i < l->batch; i++) {
			l->iov[i].iov_base = l->slots + i * (l->size + 64);
			l->iov[i].iov_len = l->size + 64;
			l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
			l->msgs[i].msg_hdr.msg_iovlen = 1;
		}
	}
	if (open_hotsock(l, cfg->family, vdev) < 0)
		goto fail;
	return l;
fail:
	snprintf(err, err_len, "hotsock on %s: %s", vdev, strerror(errno));
	dk_close(l);
	return NULL;
}

void dk_close(struct dk_loop *l)
{
	if (!l)
		return;
	if (l->c->how == DK_RAW)
		rte_raw_close();
	/* hotsock's port stays with the process, which ends next. */
	if (l->fd >= 0)
		hsk_close(l->fd);
	if (l->src >= 0)
		hsk_close(l->src);
	free(l->slots);
	free(l);
}

/* hotsock: @k transmit buffers, each given the frame (AF_PACKET) or the
 * payload (UDP), sent; those it did not take go back. Return: sent. */
static unsigned int hsk_send_round(struct dk_loop *l, int fd, unsigned int k,
				   int *err)
{
	int n = hsk_buf_alloc(fd, l->bufs, k), sent;
	int udp = l->c->vdev == DK_RING;

	if (n < 0) {
		if (errno != ENOBUFS && errno != EAGAIN)
			*err = errno;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (udp)
			memset(l->bufs[i].data, 0xa5, l->size);
		else
			memcpy(l->bufs[i].data, l->frame, l->frame_len);
		l->bufs[i].len = udp ? (uint32_t)l->size : l->frame_len;
	}
	sent = hsk_send_zc(fd, l->bufs, (unsigned int)n,
			   udp ? (struct sockaddr *)&l->group : NULL,
			   udp ? l->group_len : 0, 0);
	if (sent < 0) {
		if (errno != EAGAIN && errno != ENOBUFS)
			*err = errno;
		sent = 0;
	}
	if (sent < n &&
	    hsk_buf_release(fd, l->bufs + sent, (unsigned int)(n - sent)) < 0)
		*err = errno;
	return (unsigned int)sent;
}

unsigned int dk_fill(struct dk_loop *l, unsigned int n, int *err)
{
	unsigned int done = 0, k, got;

	/* net_null always has frames, and sends are what is measured. */
	if (l->c->vdev == DK_NULL || l->c->tx)
		return n;
	while (done < n && !*err) {
		k = n - done < l->batch ? n - done : l->batch;
		got = l->c->how == DK_RAW ?
			      rte_raw_tx(k, l->frame, l->frame_len) :
			      hsk_send_round(l, l->src, k, err);
		done += got;
		if (got < k) /* the ring is full */
			break;
	}
	return done;
}

/* One call of the contender's loop, at most @k frames. Return: frames
 * received or sent, 0 when none (EAGAIN), or -1 with errno. */
static int move_once(struct dk_loop *l, unsigned int k)
{
	int n, err = 0;

	if (l->c->how == DK_RAW)
		return (int)(l->c->tx ? rte_raw_tx(k, l->frame, l->frame_len) :
					rte_raw_rx(k, 0));
	if (l->c->tx) {
		n = (int)hsk_send_round(l, l->fd, k, &err);
		errno = err;
		return err ? -1 : n;
	}
	if (l->c->how == DK_HSK_MMSG) {
		n = hsk_recvmmsg(l->fd, l->msgs, k, 0, NULL);
		for (int i = 0; i < n; i++)
			l->bad += l->msgs[i].msg_len != l->size;
	} else {
		uint32_t want = l->c->vdev == DK_RING ? (uint32_t)l->size :
							l->frame_len;

		n = hsk_recv_zc(l->fd, l->bufs, k, 0);
		for (int i = 0; i < n; i++)
			l->bad += l->bufs[i].len != want ||
				  (l->bufs[i].flags & HSK_BUF_TRUNC);
		if (n > 0 && hsk_buf_release(l->fd, l->bufs, (unsigned int)n))
			return -1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n;
}

unsigned int dk_move(struct dk_loop *l, unsigned int n, int *err)
{
	unsigned int got = 0, idle = 0;

	while (got < n && idle < STALL_CALLS && !*err) {
		unsigned int k = n - got < l->batch ? n - got : l->batch;
		int r = move_once(l, k);

		if (r < 0) {
			*err = errno;
		} else if (!r) {
			idle++;
		} else {
			got += (unsigned int)r;
			idle = 0;
		}
	}
	if (!*err && l->bad)
		*err = EBADMSG;
	return got;
}

/* Frames hotsock pulled from the port and dropped (the socket's queue
 * full), so far. */
static uint64_t dk_dropped(const struct dk_loop *l)
{
	struct hsk_stats st;

	if (l->c->how == DK_RAW || hsk_stats(l->fd, &st, sizeof(st)) < 0)
		return 0;
	return st.rx_drop_kernel + st.rx_drop_no_buffer;
}

void dk_port_reset(void)
{
	rte_raw_stats_reset();
}

uint64_t dk_port_count(const struct dk_loop *l)
{
	return rte_raw_stats(l->c->tx);
}

#endif /* HSK_BENCH_DPDK */

/* --------------------------------------------------------------------
 * The workload: a child per contender and rep.
 */

struct dk_run {
	int ok;
	char err[128];
	uint64_t moved;	  /* frames received or sent in the timed calls */
	uint64_t filled;  /* net_ring: frames the fills queued */
	uint64_t counted; /* the port's own counter over the same rounds */
	uint64_t dropped; /* hotsock: pulled from the port, then dropped */
	uint64_t rounds;
	double secs, fill_secs;
};

#ifdef HSK_BENCH_DPDK
static void child_run(const struct dk_contender *c, const struct config *cfg,
		      struct dk_run *run)
{
	struct dk_loop *l;
	double end, t0, t1, t2;
	uint64_t drops0;
	unsigned int q, m;
	int err = 0;

	l = dk_open(c->tx, c->key, c->backend, cfg, run->err, sizeof(run->err));
	if (!l)
		return;
	/* A round first, untimed: lazily made state, the pool's caches. */
	q = dk_fill(l, DK_ROUND, &err);
	m = err ? 0 : dk_move(l, q, &err);
	if (err || m < q || !q) {
		snprintf(run->err, sizeof(run->err), "warm-up: %u of %u: %s", m,
			 q, err ? strerror(err) : "frames lost");
		dk_close(l);
		return;
	}
	drops0 = dk_dropped(l);
	dk_port_reset();
	end = now() + cfg->duration;
	while (!g_stop && now() < end) {
		t0 = now();
		q = dk_fill(l, DK_ROUND, &err);
		t1 = now();
		m = err ? 0 : dk_move(l, q, &err);
		t2 = now();
		run->fill_secs += t1 - t0;
		run->secs += t2 - t1;
		run->filled += q;
		run->moved += m;
		run->rounds++;
		if (err || m < q || !q) {
			snprintf(run->err, sizeof(run->err),
				 "round %llu: %u of %u: %s",
				 (unsigned long long)run->rounds, m, q,
				 err ? strerror(err) : "frames lost");
			dk_close(l);
			return;
		}
	}
	run->counted = dk_port_count(l);
	run->dropped = dk_dropped(l) - drops0;
	dk_close(l);
	/* Sent frames the port never saw would be counted as moved. */
	if (c->tx && run->counted < run->moved) {
		snprintf(run->err, sizeof(run->err),
			 "the port sent %llu of %llu",
			 (unsigned long long)run->counted,
			 (unsigned long long)run->moved);
		return;
	}
	if (g_stop) {
		snprintf(run->err, sizeof(run->err), "interrupted");
		return;
	}
	run->ok = 1;
}
#endif

struct dk_args {
	const struct dk_contender *c;
	const struct config *cfg;
};

static void child_main(void *arg, void *out)
{
	const struct dk_args *a = arg;
	struct dk_run *run = out;

	memset(run, 0, sizeof(*run));
#ifdef HSK_BENCH_DPDK
	child_run(a->c, a->cfg, run);
#else
	(void)a;
#endif
}

/* One contender, one rep, in a child on its vdev: its figures come back
 * within -d plus DPDK_CHILD_SLACK, or it is killed. */
static void run_contender(const struct dk_contender *c,
			  const struct config *cfg, struct dk_run *run)
{
	struct dpdk_child o = { NULL, cfg->duration + DPDK_CHILD_SLACK,
				cfg->rx_cpu };
	struct dk_args a = { c, cfg };
	struct dk_run msg;

	memset(run, 0, sizeof(*run));
	if (run_dpdk_child(&o, child_main, &a, &msg, sizeof(msg), run->err,
			   sizeof(run->err)) == 0)
		*run = msg;
}

struct dk_summary {
	int ok;
	struct spread pps;
	double ns, fill_ns, dropped; /* medians; dropped per moved frame */
};

static void summarize(const struct dk_run *runs, unsigned int reps,
		      struct dk_summary *s)
{
	double pps[reps], ns[reps], fill[reps], drop[reps];
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < reps; i++) {
		const struct dk_run *r = &runs[i];

		if (!r->ok || !r->moved || r->secs <= 0)
			return;
		pps[i] = r->moved / r->secs;
		ns[i] = 1e9 * r->secs / r->moved;
		fill[i] = r->filled ? 1e9 * r->fill_secs / r->filled : 0;
		drop[i] = (double)r->dropped / r->moved;
	}
	s->ok = 1;
	s->pps = spread_of(pps, reps);
	s->ns = median(ns, reps);
	s->fill_ns = median(fill, reps);
	s->dropped = median(drop, reps);
}

/* The goal the issue sets for the delivered rate on net_ring. */
#define RING_GOAL 0.90

static void print_table(const struct config *cfg, struct dk_run **res,
			const int *ran)
{
	struct dk_summary s[N_DK];
	unsigned int i;

	for (i = 0; i < N_DK; i++)
		if (ran[i])
			summarize(res[i], cfg->reps, &s[i]);
	printf("\n%-8s %-7s %-20s %12s %23s %7s %6s %9s %8s\n", "vdev", "loop",
	       "contender", "pps (med)", "(min - max)", "ns/pkt", "x raw",
	       "fill ns", "dropped");
	for (i = 0; i < N_DK; i++) {
		const struct dk_contender *c = &dk_all[i];
		int raw = raw_of(c);
		char range[48], ratio[16], fill[16];

		if (!ran[i])
			continue;
		if (!s[i].ok) {
			unsigned int k;

			for (k = 0; k < cfg->reps && res[i][k].ok; k++)
				;
			printf("%-8s %-7s %-20s FAILED: %s\n",
			       vdev_names[c->vdev], c->tx ? "send" : "receive",
			       c->name,
			       k < cfg->reps ? res[i][k].err : "nothing moved");
			continue;
		}
		snprintf(range, sizeof(range), "(%.0f - %.0f)", s[i].pps.min,
			 s[i].pps.max);
		if (c->how != DK_RAW && raw >= 0 && ran[raw] && s[raw].ok)
			snprintf(ratio, sizeof(ratio), "%.2f",
				 s[i].ns / s[raw].ns);
		else
			snprintf(ratio, sizeof(ratio), "-");
		if (c->vdev == DK_RING)
			snprintf(fill, sizeof(fill), "%.1f", s[i].fill_ns);
		else
			snprintf(fill, sizeof(fill), "-");
		printf("%-8s %-7s %-20s %12.0f %23s %7.1f %6s %9s %7.1f%%\n",
		       vdev_names[c->vdev], c->tx ? "send" : "receive", c->name,
		       s[i].pps.med, range, s[i].ns, ratio, fill,
		       100 * s[i].dropped);
	}
	printf("\npps: frames received or sent per second of the timed calls "
	       "(net_ring: the\ndrains), median and min-max over the reps; "
	       "ns/pkt: their time per frame,\nmedian; x raw: that over the "
	       "raw loop's on the same vdev; fill ns: net_ring,\nthe fill's "
	       "time per frame (hotsock: hsk_send_zc to the group; raw: "
	       "frame\ncopies and rte_eth_tx_burst), not in pps; dropped: "
	       "frames hotsock pulled\nfrom the port and dropped (its socket's "
	       "queue full), per frame delivered.\n");
	for (i = 0; i < N_DK; i++) {
		int raw = raw_of(&dk_all[i]);
		double v;

		if (dk_all[i].vdev != DK_RING || dk_all[i].how != DK_HSK_ZC)
			continue;
		if (!ran[i] || raw < 0 || !ran[raw] || !s[i].ok || !s[raw].ok) {
			printf("goal (issue 5), net_ring: hotsock >= %.0f%% of "
			       "raw: not measured\n",
			       100 * RING_GOAL);
			continue;
		}
		v = s[i].pps.med / s[raw].pps.med;
		printf("goal (issue 5), net_ring: hotsock hsk_recv_zc delivers "
		       "%.2f of raw (goal >= %.2f) %s\n",
		       v, RING_GOAL, v >= RING_GOAL ? "met" : "MISSED");
	}
}

static void write_json(FILE *f, const struct config *cfg, struct dk_run **res,
		       const int *ran)
{
	char vdev[2][96];
	unsigned int i, k, n = 0;

	vdev_args(DK_NULL, cfg, vdev[0], sizeof(vdev[0]));
	vdev_args(DK_RING, cfg, vdev[1], sizeof(vdev[1]));
	fprintf(f,
		"{\"config\": {\"family\": %d, \"size\": %zu, "
		"\"frame\": %u, \"duration\": %g, \"reps\": %u, "
		"\"batch\": %u, \"round\": %u, \"net_null\": \"%s\", "
		"\"net_ring\": \"%s\"},\n  \"results\": [",
		cfg->family, cfg->size, frame_len(cfg), cfg->duration,
		cfg->reps, cfg->batch, DK_ROUND, vdev[0], vdev[1]);
	for (i = 0; i < N_DK; i++) {
		const struct dk_contender *c = &dk_all[i];
		struct dk_summary s;

		if (!ran[i])
			continue;
		summarize(res[i], cfg->reps, &s);
		fprintf(f,
			"%s\n    {\"vdev\": \"%s\", \"loop\": \"%s\", "
			"\"contender\": \"%s\", \"backend\": \"%s\", "
			"\"ok\": %s",
			n++ ? "," : "", vdev_names[c->vdev],
			c->tx ? "send" : "receive", c->name,
			c->how == DK_RAW ? "-" : "dpdk",
			s.ok ? "true" : "false");
		if (s.ok)
			fprintf(f,
				", \"pps_median\": %.0f, \"pps_min\": %.0f, "
				"\"pps_max\": %.0f, \"ns_per_packet\": %.2f, "
				"\"dropped_per_packet\": %.4f",
				s.pps.med, s.pps.min, s.pps.max, s.ns,
				s.dropped);
		if (s.ok && c->vdev == DK_RING)
			fprintf(f, ", \"fill_ns_per_packet\": %.2f", s.fill_ns);
		fprintf(f, ", \"runs\": [");
		for (k = 0; k < cfg->reps; k++) {
			const struct dk_run *r = &res[i][k];

			json_run_open(f, !k, r->ok);
			if (!r->ok) {
				json_error(f, r->err);
				continue;
			}
			if (c->vdev == DK_RING)
				fprintf(f,
					", \"filled\": %llu, "
					"\"fill_seconds\": %.6f",
					(unsigned long long)r->filled,
					r->fill_secs);
			fprintf(f,
				", \"packets\": %llu, "
				"\"port_packets\": %llu, "
				"\"dropped\": %llu, \"rounds\": %llu, "
				"\"seconds\": %.6f}",
				(unsigned long long)r->moved,
				(unsigned long long)r->counted,
				(unsigned long long)r->dropped,
				(unsigned long long)r->rounds, r->secs);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]}");
}

static void plot(const struct config *cfg, struct dk_run **res, const int *ran)
{
	struct plot_row rows[N_DK];
	unsigned int i, n = 0;

	for (i = 0; i < N_DK; i++) {
		const struct dk_contender *c = &dk_all[i];
		struct dk_summary s;

		if (!ran[i])
			continue;
		summarize(res[i], cfg->reps, &s);
		if (s.ok)
			rows[n++] = (struct plot_row){
				{ c->tx ? "send:" : "recv:", c->name,
				  vdev_names[c->vdev] },
				s.pps
			};
	}
	/* Raw on net_ring is ten times anything else: a log scale. */
	plot_bars(cfg, "dpdk-pps.png",
		  "dpdk: hotsock and raw rte_eth on the same vdev (median, "
		  "min-max)",
		  "frames per second (log scale)", rows, n, 1);
}

int workload_dpdk(struct config *cfg, FILE *json)
{
	struct dk_run *res[N_DK];
	int ran[N_DK], status = 0;
	unsigned int i, rep, n = 0;
	double t_start = now();

	printf("\n== dpdk: hotsock's dpdk backend and a bare rte_eth loop on "
	       "the same vdev,\n   each in a process of its own; batch %u, "
	       "%u rep(s) x %g s, interleaved\n",
	       cfg->batch, cfg->reps, cfg->duration);
#ifndef HSK_BENCH_DPDK
	printf("   not measured: built without DPDK (libdpdk)\n");
	(void)json;
	return 0;
#endif
	printf("   net_null: AF_PACKET raw frames of %u bytes; net_ring: "
	       "UDP/IPv%d, %zu-byte\n   payloads, rounds of %u frames "
	       "(fill, then the timed drain)\n",
	       frame_len(cfg), cfg->family, cfg->size, DK_ROUND);
	memset(ran, 0, sizeof(ran));
	memset(res, 0, sizeof(res));
	for (i = 0; i < N_DK; i++) {
		if (!wanted(cfg, dk_all[i].key))
			continue;
		res[i] = calloc(cfg->reps, sizeof(struct dk_run));
		if (!res[i]) {
			perror("hotsock-bench: calloc");
			status = 1;
			goto out;
		}
		ran[i] = 1;
		n++;
	}
	if (!n)
		goto out;
	alarm((unsigned int)(cfg->reps * n *
			     (cfg->duration + DPDK_CHILD_SLACK)) +
	      30);
	for (rep = 0; rep < cfg->reps && !g_stop; rep++) {
		for (i = 0; i < N_DK && !g_stop; i++) {
			const struct dk_contender *c = &dk_all[i];
			struct dk_run *r = &res[i][rep];

			if (!ran[i])
				continue;
			progress("dpdk: rep %u/%u %s %s (%s)", rep + 1,
				 cfg->reps, c->tx ? "send" : "receive", c->name,
				 vdev_names[c->vdev]);
			run_contender(c, cfg, r);
			if (r->ok)
				progress("dpdk: rep %u/%u %s %s (%s): %.0f pps",
					 rep + 1, cfg->reps,
					 c->tx ? "send" : "receive", c->name,
					 vdev_names[c->vdev],
					 r->moved / r->secs);
			else
				progress("dpdk: rep %u/%u %s %s (%s) FAILED: "
					 "%s",
					 rep + 1, cfg->reps,
					 c->tx ? "send" : "receive", c->name,
					 vdev_names[c->vdev], r->err);
			if (!r->ok)
				status = 1;
		}
	}
	progress_done();
	alarm(0);
	if (!g_stop) {
		print_table(cfg, res, ran);
		printf("(%.0f s)\n", now() - t_start);
		if (json)
			write_json(json, cfg, res, ran);
		if (cfg->plot_dir)
			plot(cfg, res, ran);
	}
out:
	for (i = 0; i < N_DK; i++)
		free(res[i]);
	return g_stop ? 1 : status;
}
