// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp_multicast.c - joining and leaving groups on the hotsock socket, with
 * a kernel peer sending to the group (and receiving from us).
 */
#include "hsk_test.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <unistd.h>

#define GROUP4 "239.1.2.3"
#define GROUP6 "ff15::1:2:3"
#define MC_PORT 40010

/* The group's address with MC_PORT. */
static socklen_t group_addr(int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(MC_PORT);
		inet_pton(AF_INET, GROUP4, &in->sin_addr);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(MC_PORT);
	inet_pton(AF_INET6, GROUP6, &in6->sin6_addr);
	return sizeof(*in6);
}

/* The wildcard address with MC_PORT. */
static socklen_t any_addr(int family, struct sockaddr_storage *ss)
{
	socklen_t len = group_addr(family, ss);

	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_any;
	return len;
}

/* Join (@join) or leave the group on @ifindex: the setsockopt result. */
static int membership(int fd, int family, int ifindex, bool join, bool hotsock)
{
	if (family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };
		int opt = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;

		inet_pton(AF_INET, GROUP4, &mr.imr_multiaddr);
		return hotsock ?
			       hsk_setsockopt(fd, IPPROTO_IP, opt, &mr,
					      sizeof(mr)) :
			       setsockopt(fd, IPPROTO_IP, opt, &mr, sizeof(mr));
	}
	struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned)ifindex };
	int opt = join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP;

	inet_pton(AF_INET6, GROUP6, &mr.ipv6mr_multiaddr);
	return hotsock ?
		       hsk_setsockopt(fd, IPPROTO_IPV6, opt, &mr, sizeof(mr)) :
		       setsockopt(fd, IPPROTO_IPV6, opt, &mr, sizeof(mr));
}

/* Choose the interface multicast leaves by. */
static int multicast_if(int fd, int family, int ifindex, bool hotsock)
{
	if (family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		return hotsock ? hsk_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
						&mr, sizeof(mr)) :
				 setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
					    &mr, sizeof(mr));
	}
	return hotsock ? hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					&ifindex, sizeof(ifindex)) :
			 setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
				    &ifindex, sizeof(ifindex));
}

/* A hotsock socket bound to the wildcard address and MC_PORT. */
static int local_receiver(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(family, &ss);
	int fd = tst_udp(family);
	int one = 1;

	cr_assert_ok(hsk_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				    sizeof(one)));
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ss, len));
	return fd;
}

/* A kernel socket in the peer namespace that sends out of hsk1. */
static int peer_sender(int family)
{
	int fd = tst_peer_udp(family, TST_PORT_PEER);

	cr_assert_ok(multicast_if(fd, family, tst_topo.ifindex_peer, false));
	return fd;
}

static void peer_send_to_group(int fd, int family, const char *msg)
{
	struct sockaddr_storage g;
	socklen_t len = group_addr(family, &g);

	tst_kernel_sendto(fd, msg, strlen(msg) + 1, &g, len);
}

/* Receive @msg on @fd within 2 s, from the peer. */
static void recv_expect_from_peer(int fd, int family, const char *msg)
{
	struct sockaddr_storage src;
	socklen_t srclen = sizeof(src);
	char buf[64];
	ssize_t n;

	tst_settimeout(fd, 2.0);
	n = hsk_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src,
			 &srclen);
	cr_assert_eq(n, (ssize_t)strlen(msg) + 1, "hsk_recvfrom: %zd (%s)", n,
		     strerror(errno));
	cr_assert_str_eq(buf, msg);
	tst_assert_addr(&src, srclen, family, TST_PEER, TST_PORT_PEER);
}

/* Wait (at most 2 s) until a frame carrying @marker is seen on @cap. */
static bool frame_seen(int cap, const char *marker)
{
	unsigned char frame[2048];
	double deadline = tst_now() + 2.0;
	size_t mlen = strlen(marker);
	ssize_t n, i;

	while (tst_now() < deadline) {
		if (!tst_wait_readable(cap, 100))
			continue;
		n = recv(cap, frame, sizeof(frame), MSG_DONTWAIT);
		for (i = 0; n > 0 && i + (ssize_t)mlen <= n; i++) {
			if (!memcmp(frame + i, marker, mlen))
				return true;
		}
	}
	return false;
}

FAMILY_TEST(multicast, joined_group_receives_datagram_from_peer)
{
	int fd = local_receiver(family);
	int peer = peer_sender(family);

	cr_assert_ok(
		membership(fd, family, tst_topo.ifindex_local, true, true));
	peer_send_to_group(peer, family, "to the group");
	recv_expect_from_peer(fd, family, "to the group");
}

FAMILY_TEST(multicast, left_group_receives_nothing_more)
{
	int fd = local_receiver(family);
	int peer = peer_sender(family);
	char buf[64];
	int cap;

	/* A kernel capture on hsk0 proves the datagram did arrive. */
	cap = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	cr_assert_geq(cap, 0, "capture socket: %s", strerror(errno));

	cr_assert_ok(
		membership(fd, family, tst_topo.ifindex_local, true, true));
	peer_send_to_group(peer, family, "while joined");
	recv_expect_from_peer(fd, family, "while joined");

	cr_assert_ok(
		membership(fd, family, tst_topo.ifindex_local, false, true));
	peer_send_to_group(peer, family, "after leaving");
	cr_assert(frame_seen(cap, "after leaving"),
		  "the datagram never reached hsk0");
	tst_settimeout(fd, 0.5);
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	close(cap);
}

FAMILY_TEST(multicast, joining_twice_fails_with_eaddrinuse)
{
	int fd = local_receiver(family);

	cr_assert_ok(
		membership(fd, family, tst_topo.ifindex_local, true, true));
	cr_assert_fail_errno(membership(fd, family, tst_topo.ifindex_local,
					true, true),
			     EADDRINUSE);
}

FAMILY_TEST(multicast, leaving_a_group_not_joined_fails_with_eaddrnotavail)
{
	int fd = local_receiver(family);

	cr_assert_fail_errno(membership(fd, family, tst_topo.ifindex_local,
					false, true),
			     EADDRNOTAVAIL);
}

FAMILY_TEST(multicast, send_to_group_reaches_a_member_peer)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int peer = topo_peer_socket(&tst_topo, family, SOCK_DGRAM, 0);
	struct sockaddr_storage any, g, from;
	socklen_t len = any_addr(family, &any), fromlen;
	char buf[64];
	const char msg[] = "from hotsock to the group";

	cr_assert_geq(peer, 0);
	cr_assert_ok(bind(peer, (struct sockaddr *)&any, len));
	cr_assert_ok(
		membership(peer, family, tst_topo.ifindex_peer, true, false));
	cr_assert_ok(multicast_if(fd, family, tst_topo.ifindex_local, true));
	group_addr(family, &g);
	cr_assert_eq(hsk_sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&g,
				len),
		     (ssize_t)sizeof(msg), "hsk_sendto: %s", strerror(errno));
	cr_assert_eq(tst_kernel_recv(peer, buf, sizeof(buf), 2000, &from,
				     &fromlen),
		     (ssize_t)sizeof(msg));
	cr_assert_str_eq(buf, msg);
	tst_assert_addr(&from, fromlen, family, TST_LOCAL, TST_PORT_LOCAL);
}

FAMILY_TEST(multicast, looped_back_datagram_reaches_a_local_member)
{
	int rx = local_receiver(family);
	int tx = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage g, src;
	socklen_t len = group_addr(family, &g), srclen = sizeof(src);
	char buf[64];
	const char msg[] = "looped back";

	cr_assert_ok(
		membership(rx, family, tst_topo.ifindex_local, true, true));
	cr_assert_ok(multicast_if(tx, family, tst_topo.ifindex_local, true));
	cr_assert_eq(hsk_sendto(tx, msg, sizeof(msg), 0, (struct sockaddr *)&g,
				len),
		     (ssize_t)sizeof(msg), "hsk_sendto: %s", strerror(errno));
	tst_settimeout(rx, 2.0);
	cr_assert_eq(hsk_recvfrom(rx, buf, sizeof(buf), 0,
				  (struct sockaddr *)&src, &srclen),
		     (ssize_t)sizeof(msg), "hsk_recvfrom: %s", strerror(errno));
	cr_assert_str_eq(buf, msg);
	tst_assert_addr(&src, srclen, family, TST_LOCAL, TST_PORT_LOCAL);
}

FAMILY_TEST(multicast, multicast_hops_read_back_what_was_set)
{
	int fd = tst_udp(family);
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_MULTICAST_TTL : IPV6_MULTICAST_HOPS;
	int v = 0;
	socklen_t len = sizeof(v);

	cr_assert_ok(hsk_getsockopt(fd, level, opt, &v, &len));
	cr_assert_eq(v, 1, "default multicast hops %d", v);
	v = 5;
	cr_assert_ok(hsk_setsockopt(fd, level, opt, &v, sizeof(v)));
	v = 0;
	len = sizeof(v);
	cr_assert_ok(hsk_getsockopt(fd, level, opt, &v, &len));
	cr_assert_eq(v, 5);
}
