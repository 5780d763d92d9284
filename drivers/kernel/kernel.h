/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the kernel backend's UDP and AF_PACKET flavours: transmit
 * buffers from a slab, sent with sendmmsg(2). Each flavour's private state
 * starts with struct kernel_bufs.
 */
#ifndef HSK_DRIVERS_KERNEL_H
#define HSK_DRIVERS_KERNEL_H

#include "hsk_priv.h"

struct kernel_bufs {
	struct hsk_slab slab; /* zc_max_held slots of zc_buf_size bytes */
};

/* Makes the slab on first use; 0 or -1 with ENOMEM. Caller locks. */
int kernel_bufs_ready(struct hsk_sock *s);
void kernel_bufs_fini(struct hsk_sock *s);

int kernel_tx_alloc(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
		    unsigned int n);
/* Gives slots back to the slab: transmit buffers, and UDP's received. */
void kernel_bufs_put(struct hsk_sock *s, const uint64_t *cookie,
		     unsigned int n);
int kernel_tx_burst(struct hsk_sock *s, const struct hsk_buf *b,
		    const uint64_t *cookie, unsigned int n,
		    const struct sockaddr *dst, socklen_t dstlen, int flags);
/* Drops the kernel counted on the socket (SO_MEMINFO). */
uint64_t kernel_meminfo_drops(struct hsk_sock *s);

#endif
