/* SPDX-License-Identifier: BSD-3-Clause */
/* Bare rte_eth bursts on a vdev: the floor beneath dpdk. */
#ifndef HSK_BENCH_RTE_RAW_H
#define HSK_BENCH_RTE_RAW_H

#include <stddef.h>
#include <stdint.h>

/* The EAL's memory, the same for the raw loops and for hotsock's dpdk
 * backend when they are compared (dpdk.c). */
#define RTE_RAW_MEM "--no-huge -m 256"

/* EAL (RTE_RAW_MEM, --no-pci, a private --file-prefix) and @vdev ("name,
 * args", as --vdev takes it) as port 0. Return: 0, or -1 with *err. Once
 * per process. */
int rte_raw_open(const char *vdev, char *err, size_t err_len);
void rte_raw_close(void);
/*
 * One burst of at most @batch (<= BATCH_MAX): mbufs received and freed
 * (counted: those of @len bytes, or every one when @len is 0); or
 * allocated, given @frame's @len bytes (@frame NULL: the length only)
 * and sent, what the port refuses freed. Return: how many.
 */
unsigned int rte_raw_rx(unsigned int batch, uint32_t len);
unsigned int rte_raw_tx(unsigned int batch, const void *frame, uint32_t len);

/* Port 0's packet counters, whoever started it (these loops or hotsock):
 * reset, and sent (@tx) or received since. */
void rte_raw_stats_reset(void);
uint64_t rte_raw_stats(int tx);

#endif
