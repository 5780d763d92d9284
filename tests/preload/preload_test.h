/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * preload_test.h - helpers of the suites that run under
 * libhotsock-preload.so: the process calls libc only, and learns what
 * hotsock did from its own counters, as hotsock-stat reads them.
 */
#ifndef HSKP_TEST_H
#define HSKP_TEST_H

#include "hsk_test.h"

/*
 * Fixture of a test under the preload: the preload stays with this process
 * (LD_PRELOAD moves to HSKP_PRELOAD, so the commands that build the
 * namespaces run without it), then the namespaces are built.
 */
void pt_init(void);
#define PRELOAD_TEST(suite, name)                                 \
	Test(suite, name, .init = pt_init, .fini = tst_topo_fini, \
	     .timeout = TST_TIMEOUT)

/* A kernel UDP socket in the peer namespace, bound to the peer address
 * and @port: made by the system call itself, so the preload leaves it to
 * the kernel. */
int pt_peer_udp(int family, uint16_t port);

/* A UDP socket through libc (so through the preload) bound to the local
 * address and @port. */
int pt_udp_bound(int family, uint16_t port);

/* The peer sends @len bytes of pattern @seed to the local @port. */
void pt_peer_send(int peer, int family, uint16_t port, size_t len,
		  unsigned int seed);

/*
 * This process's counters line for @fd, as hotsock-stat prints it, into
 * @line; false when the preload lists no such socket.
 */
bool pt_stat_line(int fd, char *line, size_t len);
/* One counter (or "backend=" compares) of @fd's line; asserts it exists. */
unsigned long long pt_stat(int fd, const char *key);
/* Asserts that @fd is a hotsock socket on the backend of the run. */
void pt_assert_backend(int fd, const char *backend);

#endif /* HSKP_TEST_H */
