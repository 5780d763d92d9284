/* SPDX-License-Identifier: BSD-3-Clause */
/* Bare rte_eth bursts on a net_null vdev: the floor beneath dpdk. */
#ifndef HSK_BENCH_RTE_RAW_H
#define HSK_BENCH_RTE_RAW_H

#include <stddef.h>
#include <stdint.h>

/* EAL (--no-huge, --no-pci, a private --file-prefix) and net_null0 as
 * port 0. Return: 0, or -1 with *err. Once per process. */
int rte_raw_open(char *err, size_t err_len);
void rte_raw_close(void);
/* One burst of at most @batch (<= BATCH_MAX): mbufs received and freed,
 * or allocated, sized @len and sent. Return: how many. */
unsigned int rte_raw_rx(unsigned int batch);
unsigned int rte_raw_tx(unsigned int batch, uint32_t len);

/* The port's packet counters: reset, and sent (@tx) or received since. */
void rte_raw_stats_reset(void);
uint64_t rte_raw_stats(int tx);

#endif
