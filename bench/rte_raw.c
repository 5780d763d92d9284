// SPDX-License-Identifier: BSD-3-Clause
/*
 * The raw engine beneath the dpdk backend: a bare rte_eth_rx_burst /
 * rte_eth_tx_burst loop on a vdev (net_null, which makes or frees mbufs,
 * a net_ring loop, or net_af_xdp on hsk0). No parsing, no
 * demultiplexing: the floor hotsock's cost is measured against, as raw
 * xsk is on af_xdp. The EAL runs once per process: this runs in a child
 * of its own (the dpdk workload's, the receive and transmit workloads',
 * or the instruction counts').
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench.h"
#include "rte_raw.h"

#define RING 512
#define MBUFS 4095

static struct rte_mempool *pool;

int rte_raw_open(const char *vdev, char *err, size_t err_len)
{
	struct rte_eth_conf conf;
	char prefix[48], dev[96], mem[] = RTE_RAW_MEM, *save = NULL;
	char *argv[16] = { "hotsock-bench" };
	int argc = 1, rc;

	for (char *tok = strtok_r(mem, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	/* --in-memory cannot go with --no-huge on DPDK 22.11: a prefix of
	 * our own keeps runs apart instead. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=hsk-bench-%d",
		 (int)getpid());
	snprintf(dev, sizeof(dev), "--vdev=%s", vdev);
	argv[argc++] = "--no-pci";
	argv[argc++] = prefix;
	argv[argc++] = dev;
	argv[argc++] = "--log-level=*:error";
	/* As hotsock's EAL: no telemetry thread. */
	argv[argc++] = "--no-telemetry";
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, err_len, "rte_eal_init: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	/* Packed: net_af_xdp's UMEM, sized as if the mbufs lay back to
	 * back, then covers all of them (the dpdk backend's port.c says
	 * more). */
	pool = rte_mempool_create(
		"bench", MBUFS,
		sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 256,
		sizeof(struct rte_pktmbuf_pool_private), rte_pktmbuf_pool_init,
		NULL, rte_pktmbuf_init, NULL, (int)rte_socket_id(),
		RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	memset(&conf, 0, sizeof(conf));
	if (!pool || rte_eth_dev_count_avail() < 1) {
		snprintf(err, err_len, "no mbuf pool or no %s port", vdev);
		return -1;
	}
	rc = rte_eth_dev_configure(0, 1, 1, &conf);
	if (!rc)
		rc = rte_eth_rx_queue_setup(
			0, 0, RING, (unsigned int)rte_eth_dev_socket_id(0),
			NULL, pool);
	if (!rc)
		rc = rte_eth_tx_queue_setup(
			0, 0, RING, (unsigned int)rte_eth_dev_socket_id(0),
			NULL);
	if (!rc)
		rc = rte_eth_dev_start(0);
	if (rc) {
		snprintf(err, err_len, "%s: %s", vdev, strerror(-rc));
		return -1;
	}
	return 0;
}

void rte_raw_close(void)
{
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_eal_cleanup();
}

unsigned int rte_raw_rx(unsigned int batch, uint32_t len)
{
	struct rte_mbuf *m[BATCH_MAX];
	uint16_t n = rte_eth_rx_burst(0, 0, m, (uint16_t)batch);
	unsigned int ok = n;

	if (len)
		for (unsigned int i = 0; i < n; i++)
			ok -= m[i]->pkt_len != len;
	rte_pktmbuf_free_bulk(m, n);
	return ok;
}

unsigned int rte_raw_tx(unsigned int batch, const void *frame, uint32_t len)
{
	struct rte_mbuf *m[BATCH_MAX];
	uint16_t n;

	if (rte_pktmbuf_alloc_bulk(pool, m, batch))
		return 0;
	for (unsigned int i = 0; i < batch; i++) {
		if (frame)
			memcpy(rte_pktmbuf_mtod(m[i], void *), frame, len);
		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
	}
	n = rte_eth_tx_burst(0, 0, m, (uint16_t)batch);
	if (n < batch)
		rte_pktmbuf_free_bulk(m + n, batch - n);
	return n;
}

void rte_raw_stats_reset(void)
{
	rte_eth_stats_reset(0);
}

uint64_t rte_raw_stats(int tx)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(0, &st))
		return 0;
	return tx ? st.opackets : st.ipackets;
}
