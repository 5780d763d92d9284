// SPDX-License-Identifier: BSD-3-Clause
/*
 * The kernel backend: the descriptor is the kernel socket and the system
 * calls do the work. What it adds is the zero-copy API for UDP: buffers
 * from a per-socket slab, filled by one recvmmsg(2) per burst and sent by
 * one sendmmsg(2) per burst.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>

#include "kernel.h"

int kernel_bufs_ready(struct hsk_sock *s)
{
	struct kernel_bufs *kb = s->priv;

	if (!kb) {
		kb = calloc(1, sizeof(*kb));
		if (!kb) {
			errno = ENOMEM;
			return -1;
		}
		s->priv = kb;
	}
	if (kb->slab.base)
		return 0;
	return hsk_slab_init(&kb->slab, s->loans.cap, s->buf_size);
}

void kernel_bufs_fini(struct hsk_sock *s)
{
	struct kernel_bufs *kb = s->priv;

	if (kb)
		hsk_slab_fini(&kb->slab);
}

static uint32_t tx_capacity(const struct hsk_slab *sl)
{
	return sl->slot_size - HSK_BUF_HEADROOM;
}

int kernel_tx_alloc(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
		    unsigned int n)
{
	struct hsk_slab *sl;
	uint32_t idx[64];
	unsigned int k;

	if (kernel_bufs_ready(s))
		return -1;
	sl = &((struct kernel_bufs *)s->priv)->slab;
	k = hsk_slab_get(sl, idx, n < 64 ? n : 64);
	for (unsigned int i = 0; i < k; i++) {
		memset(&b[i], 0, offsetof(struct hsk_buf, priv));
		b[i].data = (char *)hsk_slab_ptr(sl, idx[i]) + HSK_BUF_HEADROOM;
		b[i].capacity = tx_capacity(sl);
		cookie[i] = idx[i];
	}
	return (int)k;
}

void kernel_bufs_put(struct hsk_sock *s, const uint64_t *cookie, unsigned int n)
{
	struct hsk_slab *sl = &((struct kernel_bufs *)s->priv)->slab;

	for (unsigned int i = 0; i < n; i++)
		hsk_slab_put(sl, (uint32_t)cookie[i]);
}

int kernel_tx_burst(struct hsk_sock *s, const struct hsk_buf *b,
		    const uint64_t *cookie, unsigned int n,
		    const struct sockaddr *dst, socklen_t dstlen, int flags)
{
	struct hsk_slab *sl = &((struct kernel_bufs *)s->priv)->slab;
	struct mmsghdr mm[64];
	struct iovec iov[64];
	int r;

	if (n > 64)
		n = 64;
	for (unsigned int i = 0; i < n; i++) {
		/* The slot is the truth, not the caller's .capacity. */
		if (b[i].len > tx_capacity(sl)) {
			n = i;
			break;
		}
		iov[i].iov_base = b[i].data;
		iov[i].iov_len = b[i].len;
		mm[i].msg_hdr = (struct msghdr){
			.msg_name = (void *)dst,
			.msg_namelen = dst ? dstlen : 0,
			.msg_iov = &iov[i],
			.msg_iovlen = 1,
		};
	}
	if (!n) {
		errno = EINVAL;
		return -1;
	}
	r = sendmmsg(s->fd, mm, n, flags | MSG_DONTWAIT);
	if (r > 0) {
		kernel_bufs_put(s, cookie, (unsigned int)r);
		hsk_count(&s->stats.tx_kernel_path, (uint64_t)r);
	}
	return r;
}

uint64_t kernel_meminfo_drops(struct hsk_sock *s)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static int udp_rx_burst(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
			unsigned int n)
{
	struct hsk_slab *sl;
	uint32_t idx[HSK_RECV_BUFS_MAX];
	unsigned int k;
	int r;

	if (kernel_bufs_ready(s))
		return -1;
	sl = &((struct kernel_bufs *)s->priv)->slab;
	k = hsk_slab_get(sl, idx,
			 n < HSK_RECV_BUFS_MAX ? n : HSK_RECV_BUFS_MAX);
	for (unsigned int i = 0; i < k; i++) {
		b[i].data = hsk_slab_ptr(sl, idx[i]);
		cookie[i] = idx[i];
	}
	/* The kernel's timestamps when the caller turned them on. */
	r = hsk_recvmmsg_bufs(s->fd, b, k, sl->slot_size, true);
	for (unsigned int i = r > 0 ? (unsigned int)r : 0; i < k; i++)
		hsk_slab_put(sl, idx[i]);
	if (r > 0)
		hsk_count(&s->stats.rx_kernel_path, (uint64_t)r);
	return r;
}

static void udp_close(struct hsk_sock *s)
{
	kernel_bufs_fini(s);
	free(s->priv);
	s->priv = NULL;
}

static const struct hsk_ctl_ops plain_ctl = {
	.kernel_drops = kernel_meminfo_drops,
};

static const struct hsk_ctl_ops udp_ctl = {
	.close = udp_close,
	.kernel_drops = kernel_meminfo_drops,
};

static const struct hsk_burst_ops udp_burst = {
	.rx_burst = udp_rx_burst,
	.rx_release = kernel_bufs_put,
	.tx_alloc = kernel_tx_alloc,
	.tx_free = kernel_bufs_put,
	.tx_burst = kernel_tx_burst,
};

const struct hsk_backend hsk_kernel_plain_backend = {
	.name = "kernel",
	.ctl = &plain_ctl,
};

const struct hsk_backend hsk_kernel_udp_backend = {
	.name = "kernel",
	.ctl = &udp_ctl,
	.burst = &udp_burst,
};
