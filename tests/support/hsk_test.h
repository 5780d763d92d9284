/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsk_test.h - shared helpers of the Criterion suites.
 *
 * Every networked test runs in its own process (Criterion forks one per
 * test) with its own pair of namespaces (topology.h), so fixed ports and
 * fixed addresses never collide between tests running in parallel.
 */
#ifndef HSK_TEST_H
#define HSK_TEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "hotsock.h"
#include "topology.h"

/* Upper bound of one test, in seconds: a hang fails, it does not stall. */
#define TST_TIMEOUT 30.0

#define TST_PORT_LOCAL 40000
#define TST_PORT_PEER 40001
#define TST_PORT_PEER2 40002

/* A custom ethertype for AF_PACKET tests (IEEE local experimental 1). */
#define TST_ETHERTYPE 0x88B5

extern struct hsk_topo tst_topo;

/* Fixture: build the namespaces, or skip when not privileged. */
void tst_topo_init(void);
void tst_topo_fini(void);

/* A test that needs the topology. */
#define NET_TEST(suite, name, ...) \
	NET_TEST_INIT(suite, name, tst_topo_init, ##__VA_ARGS__)

/* A test whose fixture does more than tst_topo_init() (which it calls). */
#define NET_TEST_INIT(suite, name, init_fn, ...)                  \
	Test(suite, name, .init = init_fn, .fini = tst_topo_fini, \
	     .timeout = TST_TIMEOUT, ##__VA_ARGS__)

/*
 * FAMILY_TEST(udp, name) { ... uses `family` ... } defines the test twice,
 * as udp4/name (AF_INET) and udp6/name (AF_INET6), with one body.
 */
#define FAMILY_TEST(suite, name, ...) \
	FAMILY_TEST_INIT(suite, name, tst_topo_init, ##__VA_ARGS__)

#define FAMILY_TEST_INIT(suite, name, init_fn, ...)           \
	static void suite##_##name##_body(int family);        \
	NET_TEST_INIT(suite##4, name, init_fn, ##__VA_ARGS__) \
	{                                                     \
		suite##_##name##_body(AF_INET);               \
	}                                                     \
	NET_TEST_INIT(suite##6, name, init_fn, ##__VA_ARGS__) \
	{                                                     \
		suite##_##name##_body(AF_INET6);              \
	}                                                     \
	static void suite##_##name##_body(int family)

/* Assert that a call failed with -1 and the given errno. */
#define cr_assert_fail_errno(call, err)                                   \
	do {                                                              \
		errno = 0;                                                \
		long _r = (long)(call);                                   \
		int _e = errno;                                           \
		cr_assert_eq(_r, -1, "%s returned %ld, expected -1 (%s)", \
			     #call, _r, strerrorname_np(err));            \
		cr_assert_eq(_e, (err), "%s: errno %s (%d), expected %s", \
			     #call, strerrorname_np(_e), _e,              \
			     strerrorname_np(err));                       \
	} while (0)

/* Assert that a call returned 0. */
#define cr_assert_ok(call)                                            \
	do {                                                          \
		errno = 0;                                            \
		long _r = (long)(call);                               \
		cr_assert_eq(_r, 0, "%s returned %ld: %s", #call, _r, \
			     strerror(errno));                        \
	} while (0)

/* Clocks, in seconds. */
double tst_now(void); /* CLOCK_MONOTONIC */
double tst_realtime(void); /* CLOCK_REALTIME */
void tst_sleep_ms(int ms);

/* A recognisable payload: byte i is (seed + i * 7) & 0xff. */
void tst_fill(void *buf, size_t len, unsigned int seed);

/* The expected backend: $HOTSOCK_BACKEND, NULL when unset or "auto". */
const char *tst_expected_backend(void);
/* Assert hsk_backend_name(fd) is the expected backend (or a known one). */
void tst_assert_backend(int fd);
/*
 * Skips a test that needs an IPv4 datagram above the MTU to arrive, where
 * the backend's device cannot deliver one: DPDK's net_af_packet reads
 * through a packet socket the kernel reassembles fragments for
 * (PACKET_FANOUT_FLAG_DEFRAG), and drops a frame longer than one mbuf.
 * net_tap reads whole frames, fragments included, and is not skipped.
 */
void tst_skip_where_fragments_cannot_arrive(int family);

/*
 * Skips a comparison with a kernel packet socket on the port's interface,
 * where the kernel never sees a frame arrive there: net_tap's interface
 * is the device's far side, what the PMD receives the kernel sends.
 */
void tst_skip_where_the_kernel_cannot_see_the_port_receive(void);

/* With HSK_TEST_DPDK_PMD=net_tap the dpdk port is net_tap's interface of
 * this name, wired to hsk0; tst_topo's local link then names it. */
#define TST_TAP_IF "hsktap0"

/* The local (hsk0) or peer (hsk1) address of @family with @port. */
enum tst_side { TST_LOCAL, TST_PEER };
socklen_t tst_addr(int family, enum tst_side side, uint16_t port,
		   struct sockaddr_storage *ss);
uint16_t tst_addr_port(const struct sockaddr_storage *ss);
/* Assert that @got is @family's address of @side, port @port. */
void tst_assert_addr(const struct sockaddr_storage *got, socklen_t len,
		     int family, enum tst_side side, uint16_t port);

/* A hotsock UDP socket of @family (backend asserted), not bound. */
int tst_udp(int family);
/* ... bound to the local address and @port (0: ephemeral). */
int tst_udp_bound(int family, uint16_t port);
/* A kernel UDP socket in the peer namespace bound to the peer address. */
int tst_peer_udp(int family, uint16_t port);

/*
 * A hotsock UDP socket bound to TST_PORT_LOCAL and a kernel peer bound to
 * TST_PORT_PEER; each connected to the other when asked.
 */
struct tst_pair {
	int family;
	int fd; /* hotsock, local namespace */
	int peer; /* kernel, peer namespace */
	struct sockaddr_storage local, remote; /* fd's and peer's addresses */
	socklen_t len;
};
void tst_pair_open(struct tst_pair *p, int family, bool connect_fd,
		   bool connect_peer);
void tst_pair_close(struct tst_pair *p);

/* The peer sends @len bytes to the hotsock socket's address (asserted). */
void tst_peer_send(struct tst_pair *p, const void *buf, size_t len);
/* Any kernel socket sends to @to (asserted). */
void tst_kernel_sendto(int fd, const void *buf, size_t len,
		       const struct sockaddr_storage *to, socklen_t tolen);
/*
 * Receive on a kernel socket, waiting at most @timeout_ms.
 * Return: the length, or -1 with errno (EAGAIN on timeout).
 */
ssize_t tst_kernel_recv(int fd, void *buf, size_t len, int timeout_ms,
			struct sockaddr_storage *from, socklen_t *fromlen);

/* Wait at most @timeout_ms for @fd (any kind) to be readable. */
bool tst_wait_readable(int fd, int timeout_ms);

/* Put a hotsock socket in timeout mode (asserted). */
void tst_settimeout(int fd, double seconds);

/*
 * hsk_poll() on a pipe and on @fd, a hotsock socket with nothing to read:
 * either alone ends the wait and is the one reported, and both are
 * reported together (asserted). @arrive(@arg) makes @fd readable.
 */
void tst_poll_mixes_with_a_pipe(int fd, void (*arrive)(void *arg), void *arg);

/* Find a control message; NULL when absent. */
struct cmsghdr *tst_cmsg_find(struct msghdr *msg, int level, int type);

/* A kernel AF_PACKET socket in the peer namespace bound to hsk1. */
int tst_peer_packet(int type, uint16_t ethertype);
/* Build an Ethernet frame; return its length. */
size_t tst_eth_frame(void *frame, const unsigned char *dst,
		     const unsigned char *src, uint16_t ethertype,
		     const void *payload, size_t len);
/* A struct sockaddr_ll for hsk0 (local) or hsk1 (peer). */
socklen_t tst_ll_addr(struct sockaddr_ll *ll, enum tst_side side,
		      uint16_t ethertype, const unsigned char *dst_mac);

#endif /* HSK_TEST_H */
