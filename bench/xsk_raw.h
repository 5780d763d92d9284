/* SPDX-License-Identifier: BSD-3-Clause */
/* A bare XSK on queue 0 of an interface: the benchmark's raw engine. */
#ifndef HSK_BENCH_XSK_RAW_H
#define HSK_BENCH_XSK_RAW_H

#include <stdbool.h>
#include <stdint.h>

struct xsk_raw;

/* @rx: also receive, with libxdp's program taking every frame of queue 0
 * (ARP included: the interface is the benchmark's alone meanwhile). NULL
 * with errno when the XSK cannot be made. */
struct xsk_raw *xsk_raw_open(const char *ifname, bool rx);
void xsk_raw_close(struct xsk_raw *x);
int xsk_raw_fd(const struct xsk_raw *x);

/* Frames received and handed straight back to the fill ring: how many
 * were @len bytes long (any length: 0). The link carries the kernel's own
 * frames too (IPv6 neighbour discovery, MLD): the length tells the
 * source's apart without reading a byte of the frame. */
unsigned int xsk_raw_rx_burst(struct xsk_raw *x, uint32_t len);
/* Frames the kernel dropped on their way to this socket (receive ring
 * full, or no fill-ring frame), from XDP_STATISTICS; 0 when unknown. */
uint64_t xsk_raw_rx_dropped(const struct xsk_raw *x);

/* Sends @frame once, before any other send, and waits (bounded) until the
 * kernel has taken it. Return: 0, or -1 with errno. */
int xsk_raw_tx_one(struct xsk_raw *x, const void *frame, uint32_t len);

/* Writes @frame into every UMEM frame, once, before sending. An XSK that
 * also receives sends from the frames its fill ring never lends, so
 * what it receives never goes out as what it sends. */
void xsk_raw_tx_prepare(struct xsk_raw *x, const void *frame, uint32_t len);
/* Queues up to one batch (at most @max) of the prepared frame and kicks
 * the kernel; returns how many were queued. */
unsigned int xsk_raw_tx_burst(struct xsk_raw *x, uint32_t len,
			      unsigned int max);
/* sendto() kicks so far, and those after which the kernel had taken fewer
 * descriptors than it could: the device refused a frame (dropped it, as
 * veth does when its peer's ring is full, or had its queue stopped). */
void xsk_raw_tx_stats(const struct xsk_raw *x, uint64_t *kicks,
		      uint64_t *stalls);

#endif
