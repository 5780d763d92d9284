/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath.h - what the fast path suites (AF_XDP, DPDK) check alike:
 * malformed frames from the peer are dropped, and a sustained run of
 * datagrams arrives whole.
 */
#ifndef HSK_TEST_FASTPATH_H
#define HSK_TEST_FASTPATH_H

#include <stddef.h>
#include <stdint.h>

#include "hsk_test.h"
#include "ref_csum.h"

enum tst_damage {
	TST_GOOD,
	TST_IP_LENGTH_BEYOND_FRAME,
	TST_UDP_LENGTH_BEYOND_IP,
	TST_BAD_UDP_CHECKSUM,
	TST_BAD_IP_CHECKSUM,
	TST_IHL_BELOW_FIVE,
	TST_TRUNCATED_UDP_HEADER,
};

/* An IPv4 UDP frame from the peer to the local socket carrying @payload,
 * damaged as told; returns its length. */
size_t tst_ip4_frame(uint8_t *f, enum tst_damage dmg, const char *payload);

/* Which drop counter of the socket a damaged frame must raise. */
enum tst_counted {
	TST_NOT_COUNTED, /* the kernel drops it, before the socket */
	TST_COUNTED_MALFORMED,
	TST_COUNTED_CHECKSUM,
};

/*
 * The peer sends a frame damaged as @dmg, then a good datagram: only the
 * good one may arrive, and the drop is counted as @counted says.
 */
void tst_damaged_is_dropped(enum tst_damage dmg, enum tst_counted counted);

/*
 * A receive that blocks leaves the CPU to whoever fills the port (the
 * kernel's NAPI work, on veth): a thread blocked in hsk_recv() for half a
 * second, until the peer's datagram, spends less than half of that on the
 * CPU. Half the wall time is a bound no scheduling noise reaches either
 * way: a spinning wait burns all of it.
 */
void tst_blocking_receive_sleeps(void);

/*
 * A receive that blocks sleeps on descriptors the kernel wakes when a
 * frame reaches the port's queues, not in naps that look at the queues
 * at least once a millisecond: a thread blocked in hsk_recv() for half a
 * second wakes (voluntary context switches) fewer times than once per
 * 2 ms. A wait that naps wakes some 500 times; one that sleeps on its
 * queues, only for the frames that come and its own bounded sleeps (10
 * ms on dpdk).
 */
void tst_blocking_receive_sleeps_on_its_queues(void);

#define TST_RUN_COUNT 1000000u

/*
 * The peer sends TST_RUN_COUNT numbered datagrams to @p's socket, which
 * receives them with hsk_recv_zc(): none may be lost, duplicated or
 * corrupted.
 */
void tst_run_arrives_whole(struct tst_pair *p);

#endif /* HSK_TEST_FASTPATH_H */
