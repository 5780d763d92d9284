// SPDX-License-Identifier: BSD-3-Clause
/*
 * The raw engine beneath hotsock's af_xdp backend, for the benchmark: an
 * XSK driven with libxdp's ring helpers and nothing else. As a sink it
 * counts frames (libxdp's own program redirects every frame of queue 0);
 * as a generator it sends one prebuilt frame as fast as the rings take
 * it. No parsing, no demultiplexing, no copies: the floor hotsock's cost
 * is measured against.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "xsk_raw.h"

#define FRAMES 4096u
#define FRAME_SIZE 2048u
#define RING 2048u
#define BATCH 64u
/* Descriptors the kernel takes per sendto() in copy mode, at most
 * (MAX_PER_SOCKET_BUDGET, the default of XDP_MAX_TX_SKB_BUDGET). */
#define TX_BUDGET 32u
/* A queue whose last XSK closed a moment ago stays bound until the
 * kernel's deferred release has run: EBUSY, for a while. */
#define BUSY_RETRIES 400
#define BUSY_RETRY_US 5000

struct xsk_raw {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	void *area;
	int fd;
	bool receives;		/* the first RING frames feed the fill ring */
	uint32_t outstanding;	/* TX frames not completed */
	uint64_t kicks, stalls; /* sendto()s; those the kernel cut short */
};

struct xsk_raw *xsk_raw_open(const char *ifname, bool rx)
{
	struct xsk_umem_config ucfg = { .fill_size = RING,
					.comp_size = RING,
					.frame_size = FRAME_SIZE };
	struct xsk_socket_config scfg = {
		.rx_size = RING,
		.tx_size = RING,
		/* TX only: no program; RX: libxdp's, every frame to us. */
		.libxdp_flags = rx ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	struct xsk_raw *x = calloc(1, sizeof(*x));
	uint32_t idx;
	int err;

	if (!x)
		return NULL;
	x->area = mmap(NULL, (size_t)FRAMES * FRAME_SIZE,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	err = xsk_umem__create(&x->umem, x->area, (size_t)FRAMES * FRAME_SIZE,
			       &x->fq, &x->cq, &ucfg);
	if (err)
		goto fail;
	for (int tries = 0;; tries++) {
		err = xsk_socket__create(&x->xsk, ifname, 0, x->umem,
					 rx ? &x->rx : NULL, &x->tx, &scfg);
		if (err != -EBUSY || tries == BUSY_RETRIES)
			break;
		usleep(BUSY_RETRY_US);
	}
	if (err)
		goto fail;
	x->fd = xsk_socket__fd(x->xsk);
	x->receives = rx;
	if (rx) {
		/* The first half of the frames feed the fill ring. */
		if (xsk_ring_prod__reserve(&x->fq, RING, &idx) != RING) {
			err = -ENOSPC;
			goto fail;
		}
		for (uint32_t i = 0; i < RING; i++)
			*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
				(uint64_t)i * FRAME_SIZE;
		xsk_ring_prod__submit(&x->fq, RING);
	}
	return x;
fail:
	xsk_raw_close(x);
	errno = err < 0 ? -err : EIO;
	return NULL;
}

void xsk_raw_close(struct xsk_raw *x)
{
	if (!x)
		return;
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area && x->area != MAP_FAILED)
		munmap(x->area, (size_t)FRAMES * FRAME_SIZE);
	free(x);
}

int xsk_raw_fd(const struct xsk_raw *x)
{
	return x->fd;
}

unsigned int xsk_raw_rx_burst(struct xsk_raw *x, uint32_t len)
{
	uint32_t idx_rx, idx_fq, counted = 0;
	uint32_t n = xsk_ring_cons__peek(&x->rx, BATCH, &idx_rx);

	if (!n) {
		/* Asleep with an empty ring: the kernel wants a nudge. */
		if (xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	/* Each frame read goes straight back to the fill ring. */
	while (xsk_ring_prod__reserve(&x->fq, n, &idx_fq) != n)
		;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&x->rx, idx_rx + i);

		*xsk_ring_prod__fill_addr(&x->fq, idx_fq + i) = d->addr;
		counted += !len || d->len == len;
	}
	xsk_ring_prod__submit(&x->fq, n);
	xsk_ring_cons__release(&x->rx, n);
	return counted;
}

uint64_t xsk_raw_rx_dropped(const struct xsk_raw *x)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
		return 0;
	return st.rx_dropped + st.rx_ring_full;
}

void xsk_raw_tx_prepare(struct xsk_raw *x, const void *frame, uint32_t len)
{
	/* Every frame of the UMEM holds the same datagram. */
	for (uint32_t i = 0; i < FRAMES; i++)
		memcpy((char *)x->area + (size_t)i * FRAME_SIZE, frame, len);
}

int xsk_raw_tx_one(struct xsk_raw *x, const void *frame, uint32_t len)
{
	uint64_t addr = (uint64_t)(FRAMES - 1) * FRAME_SIZE;
	uint32_t idx;
	int tries;

	if (x->outstanding || len > FRAME_SIZE ||
	    xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1) {
		errno = EBUSY;
		return -1;
	}
	memcpy((char *)x->area + addr, frame, len);
	xsk_ring_prod__tx_desc(&x->tx, idx)->addr = addr;
	xsk_ring_prod__tx_desc(&x->tx, idx)->len = len;
	xsk_ring_prod__tx_desc(&x->tx, idx)->options = 0;
	xsk_ring_prod__submit(&x->tx, 1);
	for (tries = 0; tries < 100; tries++) {
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		if (xsk_ring_cons__peek(&x->cq, 1, &idx) == 1) {
			xsk_ring_cons__release(&x->cq, 1);
			return 0;
		}
		usleep(1000);
	}
	/* Still on the ring: the next sends account for it. */
	x->outstanding = 1;
	errno = ETIMEDOUT;
	return -1;
}

unsigned int xsk_raw_tx_burst(struct xsk_raw *x, uint32_t len, unsigned int max)
{
	uint32_t idx = 0, done, n, cons, pending, taken;

	done = xsk_ring_cons__peek(&x->cq, RING, &idx);
	xsk_ring_cons__release(&x->cq, done);
	x->outstanding -= done;
	n = RING - x->outstanding < BATCH ? RING - x->outstanding : BATCH;
	if (n > max)
		n = max;
	if (n)
		n = xsk_ring_prod__reserve(&x->tx, n, &idx);
	for (uint32_t i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);

		/* With receiving on, only the frames the fill ring never
		 * lends: at most RING outstanding, as many as there are. */
		d->addr = x->receives ?
				  (uint64_t)(RING + (idx + i) % RING) *
					  FRAME_SIZE :
				  (uint64_t)((idx + i) % FRAMES) * FRAME_SIZE;
		d->len = len;
		d->options = 0;
	}
	xsk_ring_prod__submit(&x->tx, n);
	x->outstanding += n;
	/* Copy mode transmits inside this call. */
	if (xsk_ring_prod__needs_wakeup(&x->tx)) {
		cons = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
		pending = *x->tx.producer - cons;
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		taken = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE) -
			cons;
		/* Fewer than it could: the device refused a frame. */
		x->kicks++;
		if (taken < (pending < TX_BUDGET ? pending : TX_BUDGET))
			x->stalls++;
	}
	return n;
}

void xsk_raw_tx_stats(const struct xsk_raw *x, uint64_t *kicks,
		      uint64_t *stalls)
{
	*kicks = x->kicks;
	*stalls = x->stalls;
}
