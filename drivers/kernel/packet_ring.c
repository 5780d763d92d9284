// SPDX-License-Identifier: BSD-3-Clause
/*
 * AF_PACKET on the kernel backend: every frame arrives in a TPACKET_V3
 * ring mapped at socket creation. The zero-copy API lends frames straight
 * out of the ring; the copy API copies out of it and fills what recvmsg(2)
 * on a packet socket fills (sockaddr_ll, MSG_TRUNC, timestamps,
 * PACKET_AUXDATA). Sending uses the kernel backend's slab and sendmmsg(2).
 *
 * A V3 ring is a sequence of blocks. The kernel fills a block, then hands
 * it over (status TP_STATUS_USER) when it is full or after the retire
 * timeout; the reader gives it back (TP_STATUS_KERNEL) once every frame
 * in it is read and none is still lent. Blocks may go back out of order:
 * the kernel only ever waits for the next one in sequence.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "kernel.h"

/* Kernel hands a partly filled block over after this many ms: the bound
 * on a lone frame's delay. */
#define RETIRE_TIMEOUT_MS 1
#define FRAME_SIZE 2048u

struct packet_ring {
	struct kernel_bufs bufs; /* first: the shared transmit helpers */
	unsigned char *map;
	size_t map_len;
	uint32_t block_size;
	uint32_t nblocks;
	uint32_t cur;		   /* block being read */
	bool reading;		   /* cur is ours, frames left in it */
	uint32_t left;		   /* frames of cur not yet read */
	struct tpacket3_hdr *next; /* next frame of cur */
	uint32_t *held;		   /* frames lent, per block */
	bool *owed;		   /* read to the end, awaiting loans */
	uint64_t drops;		   /* PACKET_STATISTICS, accumulated */
	struct tpacket_stats_v3 unreported; /* read for hsk_stats(), not yet
					     * for the caller's getsockopt */
};

static struct tpacket_block_desc *block(struct packet_ring *pr, uint32_t i)
{
	return (struct tpacket_block_desc *)(pr->map +
					     (size_t)i * pr->block_size);
}

static void give_back(struct packet_ring *pr, uint32_t i)
{
	/* Release: our reads of the block happen before the kernel may
	 * write it again. */
	__atomic_store_n(&block(pr, i)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
}

/* The next unread frame, or NULL. Caller locks. */
static struct tpacket3_hdr *ring_peek(struct packet_ring *pr)
{
	struct tpacket_block_desc *bd;

	while (!pr->reading) {
		/* Still ours only because the caller holds frames of it:
		 * nothing new until the kernel can move past it. */
		if (pr->owed[pr->cur])
			return NULL;
		bd = block(pr, pr->cur);
		/* Acquire: the block's frames are visible once its status
		 * says it is ours. */
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			return NULL;
		pr->left = bd->hdr.bh1.num_pkts;
		if (!pr->left) {
			give_back(pr, pr->cur);
			pr->cur = (pr->cur + 1) % pr->nblocks;
			continue;
		}
		pr->next =
			(struct tpacket3_hdr *)((unsigned char *)bd +
						bd->hdr.bh1.offset_to_first_pkt);
		pr->reading = true;
	}
	return pr->next;
}

/* Consumes the frame ring_peek() returned. Caller locks. */
static void ring_advance(struct packet_ring *pr)
{
	if (--pr->left) {
		pr->next = (struct tpacket3_hdr *)((unsigned char *)pr->next +
						   pr->next->tp_next_offset);
		return;
	}
	if (pr->held[pr->cur])
		pr->owed[pr->cur] = true;
	else
		give_back(pr, pr->cur);
	pr->reading = false;
	pr->cur = (pr->cur + 1) % pr->nblocks;
}

static const struct sockaddr_ll *frame_sll(const struct tpacket3_hdr *f)
{
	return (const struct sockaddr_ll *)((const unsigned char *)f +
					    TPACKET_ALIGN(sizeof(*f)));
}

static const unsigned char *frame_data(const struct tpacket3_hdr *f)
{
	/* For SOCK_DGRAM the kernel puts tp_mac at the network header. */
	return (const unsigned char *)f + f->tp_mac;
}

/* The address as packet_recvmsg() reports it: sll_addr past halen zero. */
static void frame_addr(const struct tpacket3_hdr *f, struct sockaddr_ll *out)
{
	const struct sockaddr_ll *sll = frame_sll(f);
	unsigned int halen = sll->sll_halen;

	if (halen > sizeof(out->sll_addr))
		halen = sizeof(out->sll_addr);
	memcpy(out, sll, offsetof(struct sockaddr_ll, sll_addr));
	memset(out->sll_addr, 0, sizeof(out->sll_addr));
	memcpy(out->sll_addr, sll->sll_addr, halen);
	out->sll_family = AF_PACKET;
}

static int packet_open(struct hsk_sock *s)
{
	struct packet_ring *pr = calloc(1, sizeof(*pr));
	struct tpacket_req3 req = { 0 };
	int version = TPACKET_V3, err;
	int fd = -1;

	if (!pr) {
		errno = ENOMEM;
		return -1;
	}
	/* Protocol 0 until the ring exists: nothing may queue outside it. */
	fd = socket(AF_PACKET, s->type | (s->cloexec ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0)
		goto fail;
	pr->block_size = s->packet_ring_size >= (1u << 20) ? 256u << 10 :
							     64u << 10;
	pr->nblocks = (uint32_t)(s->packet_ring_size / pr->block_size);
	req.tp_block_size = pr->block_size;
	req.tp_block_nr = pr->nblocks;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = pr->block_size / FRAME_SIZE * pr->nblocks;
	req.tp_retire_blk_tov = RETIRE_TIMEOUT_MS;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		goto fail;
	pr->map_len = (size_t)pr->block_size * pr->nblocks;
	pr->map = mmap(NULL, pr->map_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, 0);
	if (pr->map == MAP_FAILED) {
		pr->map = NULL;
		goto fail;
	}
	pr->held = calloc(pr->nblocks, sizeof(*pr->held));
	pr->owed = calloc(pr->nblocks, sizeof(*pr->owed));
	if (!pr->held || !pr->owed) {
		errno = ENOMEM;
		goto fail;
	}
	if (s->protocol) {
		/* What socket(2) with a protocol does: listen on every
		 * interface until bound. */
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_protocol =
						   (uint16_t)s->protocol };

		if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
			goto fail;
	}
	s->fd = fd;
	s->priv = pr;
	return 0;
fail:
	err = errno;
	if (pr->map)
		munmap(pr->map, pr->map_len);
	free(pr->held);
	free(pr->owed);
	free(pr);
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

static void packet_close(struct hsk_sock *s)
{
	struct packet_ring *pr = s->priv;

	kernel_bufs_fini(s);
	munmap(pr->map, pr->map_len);
	free(pr->held);
	free(pr->owed);
	free(pr);
	s->priv = NULL;
}

static int packet_bind(struct hsk_sock *s, const struct sockaddr *addr,
		       socklen_t len)
{
	struct sockaddr_ll sll;

	/* The kernel's checks, in its order. */
	if (len > sizeof(struct sockaddr_storage)) {
		errno = EINVAL;
		return -1;
	}
	if (len && !addr) {
		errno = EFAULT;
		return -1;
	}
	if (len < sizeof(sll) || addr->sa_family != AF_PACKET) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&sll, addr, sizeof(sll));
	/* Protocol 0 means the socket's, which the kernel never saw. */
	if (!sll.sll_protocol)
		sll.sll_protocol = (uint16_t)s->protocol;
	return bind(s->fd, (struct sockaddr *)&sll, sizeof(sll));
}

/* The control messages packet_recvmsg() would give, in its order. */
static void frame_cmsgs(struct hsk_sock *s, const struct tpacket3_hdr *f,
			struct msghdr *m)
{
	struct hsk_cmsg_writer w = { .m = m };

	if (hsk_opt_int(s->fd, SOL_SOCKET, SO_TIMESTAMPNS)) {
		struct timespec ts = { f->tp_sec, f->tp_nsec };

		hsk_put_cmsg(&w, SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof(ts));
	} else if (hsk_opt_int(s->fd, SOL_SOCKET, SO_TIMESTAMP)) {
		struct timeval tv = { f->tp_sec, f->tp_nsec / 1000 };

		hsk_put_cmsg(&w, SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof(tv));
	}
	if (hsk_opt_int(s->fd, SOL_PACKET, PACKET_AUXDATA)) {
		struct tpacket_auxdata aux = {
			.tp_status =
				TP_STATUS_USER |
				(f->tp_status & (TP_STATUS_VLAN_VALID |
						 TP_STATUS_VLAN_TPID_VALID |
						 TP_STATUS_CSUMNOTREADY |
						 TP_STATUS_CSUM_VALID)),
			.tp_len = f->tp_len,
			.tp_snaplen = f->tp_snaplen,
			.tp_mac = 0,
			.tp_net = (uint16_t)(f->tp_net - f->tp_mac),
			.tp_vlan_tci = (uint16_t)f->hv1.tp_vlan_tci,
			.tp_vlan_tpid = (uint16_t)f->hv1.tp_vlan_tpid,
		};

		hsk_put_cmsg(&w, SOL_PACKET, PACKET_AUXDATA, &aux, sizeof(aux));
	}
	hsk_cmsg_done(&w);
}

#define PACKET_RECV_FLAGS \
	(MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_ERRQUEUE)

/* One frame into @m; caller locks. */
static ssize_t recv_one(struct hsk_sock *s, struct msghdr *m, int flags)
{
	struct packet_ring *pr = s->priv;
	struct tpacket3_hdr *f = ring_peek(pr);
	struct sockaddr_ll sll;
	ssize_t copied;

	if (!f) {
		errno = EAGAIN;
		return -1;
	}
	if (m->msg_iovlen && !m->msg_iov) {
		errno = EFAULT;
		return -1;
	}
	m->msg_flags = 0;
	copied = hsk_copy_to_iov(m, frame_data(f), f->tp_snaplen);
	if (copied >= 0) {
		if (m->msg_name) {
			socklen_t n = m->msg_namelen < sizeof(sll) ?
					      m->msg_namelen :
					      sizeof(sll);

			frame_addr(f, &sll);
			memcpy(m->msg_name, &sll, n);
			m->msg_namelen = sizeof(sll);
		}
		if (m->msg_control && m->msg_controllen)
			frame_cmsgs(s, f, m);
		else
			m->msg_controllen = 0;
		/* tp_snaplen < tp_len when the frame outgrew a block. */
		if ((size_t)copied < f->tp_len)
			m->msg_flags |= MSG_TRUNC;
		if (flags & MSG_TRUNC)
			copied = f->tp_len;
	}
	/* As the kernel: a frame that faulted is consumed, not kept. */
	if (!(flags & MSG_PEEK)) {
		ring_advance(pr);
		if (copied >= 0)
			hsk_count(&s->stats.rx_kernel_path, 1);
	}
	return copied;
}

static ssize_t packet_recvmsg(struct hsk_sock *s, struct msghdr *m, int flags)
{
	ssize_t r;

	if (flags & ~PACKET_RECV_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	if (flags & MSG_ERRQUEUE)
		return recvmsg(s->fd, m, flags);
	if (!m) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	r = recv_one(s, m, flags);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int packet_recvmmsg(struct hsk_sock *s, struct mmsghdr *v,
			   unsigned int n, int flags)
{
	unsigned int i;
	ssize_t r = 0;

	if (flags & ~(PACKET_RECV_FLAGS | MSG_WAITFORONE)) {
		errno = EINVAL;
		return -1;
	}
	if (!v && n) {
		errno = EFAULT;
		return -1;
	}
	flags &= ~MSG_WAITFORONE;
	if (flags & MSG_ERRQUEUE)
		return recvmmsg(s->fd, v, n, flags, NULL);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < n; i++) {
		r = recv_one(s, &v[i].msg_hdr, flags);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	pthread_mutex_unlock(&s->lock);
	return i ? (int)i : -1;
}

static short packet_pending(struct hsk_sock *s, short events)
{
	bool ready;

	if (!(events & POLLIN))
		return 0;
	pthread_mutex_lock(&s->lock);
	ready = ring_peek(s->priv) != NULL;
	pthread_mutex_unlock(&s->lock);
	return ready ? (events & (POLLIN | POLLRDNORM)) : 0;
}

/*
 * Waits for a frame. The descriptor reads as ready while the block the
 * kernel handed over last is still ours, which may only mean the caller
 * holds frames of it: then poll in short steps instead of spinning.
 */
static int packet_wait(struct hsk_sock *s, short events,
		       const struct hsk_deadline *d)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	bool stale = false;
	int ms, r;

	if (!(events & POLLIN))
		return hsk_wait_fd(s->fd, events, d);
	for (;;) {
		if (packet_pending(s, POLLIN))
			return 0;
		ms = hsk_deadline_ms(d);
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (stale && (ms < 0 || ms > RETIRE_TIMEOUT_MS))
			ms = RETIRE_TIMEOUT_MS;
		r = poll(&p, 1, ms);
		if (r < 0)
			return -1;
		stale = r > 0;
	}
}

/*
 * The kernel resets PACKET_STATISTICS on each read. hsk_stats() reads it
 * too, so what it reads is kept for the caller's own next getsockopt:
 * both see every drop. Caller locks.
 */
static void fold_kernel_stats(struct hsk_sock *s)
{
	struct packet_ring *pr = s->priv;
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return;
	pr->drops += st.tp_drops;
	pr->unreported.tp_packets += st.tp_packets;
	pr->unreported.tp_drops += st.tp_drops;
	pr->unreported.tp_freeze_q_cnt += st.tp_freeze_q_cnt;
}

static uint64_t packet_drops(struct hsk_sock *s)
{
	struct packet_ring *pr = s->priv;
	uint64_t total;

	pthread_mutex_lock(&s->lock);
	fold_kernel_stats(s);
	total = pr->drops;
	pthread_mutex_unlock(&s->lock);
	return total;
}

static int packet_getsockopt(struct hsk_sock *s, int level, int name, void *val,
			     socklen_t *len)
{
	struct packet_ring *pr = s->priv;
	struct tpacket_stats_v3 st;
	socklen_t n;

	if (level != SOL_PACKET || name != PACKET_STATISTICS || !len ||
	    (int)*len < 0)
		return getsockopt(s->fd, level, name, val, len);
	pthread_mutex_lock(&s->lock);
	fold_kernel_stats(s);
	st = pr->unreported;
	memset(&pr->unreported, 0, sizeof(pr->unreported));
	pthread_mutex_unlock(&s->lock);
	n = *len < sizeof(st) ? *len : sizeof(st);
	if (n && !val) {
		errno = EFAULT;
		return -1;
	}
	if (n)
		memcpy(val, &st, n);
	*len = n;
	return 0;
}

static int packet_rx_burst(struct hsk_sock *s, struct hsk_buf *b,
			   uint64_t *cookie, unsigned int n)
{
	struct packet_ring *pr = s->priv;
	struct tpacket3_hdr *f;
	unsigned int i;

	for (i = 0; i < n && (f = ring_peek(pr)); i++) {
		b[i].data = (void *)frame_data(f);
		b[i].len = f->tp_snaplen;
		b[i].capacity = f->tp_snaplen;
		b[i].orig_len = f->tp_len;
		b[i].flags = f->tp_snaplen < f->tp_len ? HSK_BUF_TRUNC : 0;
		b[i].ts_ns = (uint64_t)f->tp_sec * 1000000000ull + f->tp_nsec;
		frame_addr(f, &b[i].addr.ll);
		b[i].addrlen = sizeof(struct sockaddr_ll);
		cookie[i] = pr->cur;
		pr->held[pr->cur]++;
		ring_advance(pr);
	}
	hsk_count(&s->stats.rx_kernel_path, i);
	return (int)i;
}

static void packet_rx_release(struct hsk_sock *s, const uint64_t *cookie,
			      unsigned int n)
{
	struct packet_ring *pr = s->priv;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t blk = (uint32_t)cookie[i];

		/* The last loan of a block read to its end frees it. */
		if (!--pr->held[blk] && pr->owed[blk]) {
			pr->owed[blk] = false;
			give_back(pr, blk);
		}
	}
}

static const struct hsk_ctl_ops packet_ctl = {
	.open = packet_open,
	.close = packet_close,
	.bind = packet_bind,
	.getsockopt = packet_getsockopt,
	.recvmsg = packet_recvmsg,
	.recvmmsg = packet_recvmmsg,
	.pending = packet_pending,
	.kernel_drops = packet_drops,
	.wait = packet_wait,
};

static const struct hsk_burst_ops packet_burst = {
	.rx_burst = packet_rx_burst,
	.rx_release = packet_rx_release,
	.tx_alloc = kernel_tx_alloc,
	.tx_free = kernel_bufs_put,
	.tx_burst = kernel_tx_burst,
};

const struct hsk_backend hsk_kernel_packet_backend = {
	.name = "kernel",
	.ctl = &packet_ctl,
	.burst = &packet_burst,
};
