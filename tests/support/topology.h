/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * topology.h - two private network namespaces joined by a veth pair.
 *
 *   local ns (the calling thread)          peer ns
 *   hsk0 198.18.0.1/24 2001:2::1/64  <-->  hsk1 198.18.0.2/24 2001:2::2/64
 *
 * Both namespaces are anonymous: topo_setup() unshare()s the calling
 * thread into a fresh one (local), unshare()s again (peer), keeps a
 * descriptor of each and returns the thread to the local one. Nothing is
 * named in /run/netns, so nothing leaks when a test crashes: the
 * namespaces, and the veth pair with them, vanish with the process.
 *
 * Threads created after topo_setup() start in the local namespace.
 * Addresses come only from the benchmarking ranges 198.18.0.0/15 and
 * 2001:2::/48.
 */
#ifndef HSK_TOPOLOGY_H
#define HSK_TOPOLOGY_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TOPO_IF_LOCAL "hsk0"
#define TOPO_IF_PEER "hsk1"
#define TOPO_IP4_LOCAL "198.18.0.1"
#define TOPO_IP4_PEER "198.18.0.2"
#define TOPO_IP4_BROADCAST "198.18.0.255"
#define TOPO_IP6_LOCAL "2001:2::1"
#define TOPO_IP6_PEER "2001:2::2"

struct hsk_topo {
	int ns_local, ns_peer; /* open fds of the two net namespaces */
	char if_local[16], if_peer[16]; /* veth ends: "hsk0", "hsk1" */
	int ifindex_local, ifindex_peer;
	struct in_addr ip4_local, ip4_peer; /* 198.18.0.1, 198.18.0.2 /24 */
	struct in6_addr ip6_local, ip6_peer; /* 2001:2::1, 2001:2::2 /64 */
	unsigned char mac_local[6], mac_peer[6];
	/* private: the namespace the thread was in before topo_setup() */
	int ns_orig;
	unsigned int magic;
};

/*
 * topo_setup() - build the topology; the calling thread ends in the local
 * namespace.
 *
 * Return: 0, or -errno (-EPERM when not privileged). On failure the thread
 * is back in its original namespace and topo_teardown() is a no-op.
 */
int topo_setup(struct hsk_topo *t);

/*
 * topo_teardown() - return the calling thread to its original namespace
 * and drop the namespace descriptors. Safe to call twice, after a failed
 * topo_setup(), or on a zero-initialised struct.
 */
void topo_teardown(struct hsk_topo *t);

/* setns() the calling thread into the peer or the local namespace. */
int topo_enter_peer(struct hsk_topo *t);
int topo_enter_local(struct hsk_topo *t);

/*
 * topo_peer_socket() - a kernel socket created in the peer namespace; the
 * calling thread is in the local namespace afterwards.
 *
 * Return: a descriptor, or -1 with errno.
 */
int topo_peer_socket(struct hsk_topo *t, int domain, int type, int protocol);

/*
 * topo_run_peer(), topo_run_local() - run a shell command inside a
 * namespace.
 *
 * Return: its exit status, 128 + signal when killed, or -errno when it
 * could not be run.
 */
int topo_run_peer(struct hsk_topo *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int topo_run_local(struct hsk_topo *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* HSK_TOPOLOGY_H */
