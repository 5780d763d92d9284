// SPDX-License-Identifier: BSD-3-Clause
/*
 * The next-hop resolver against a real kernel: two namespaces joined by a
 * veth pair (tests/support/topology.h), neighbours learnt by kernel
 * sends, and changes made with ip(8) while the resolver holds answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "neigh.h"
#include "topology.h"

static struct hsk_topo topo;
static struct hsk_neigh *nb;

static void fini(void)
{
	hsk_neigh_free(nb);
	nb = NULL;
	topo_teardown(&topo);
}

TestSuite(neigh, .fini = fini, .timeout = 30);

static void setup(void)
{
	int err = topo_setup(&topo);

	if (err == -EPERM)
		cr_skip_test("network namespaces need root (CAP_SYS_ADMIN)");
	cr_assert_eq(err, 0, "topo_setup: %s", strerror(-err));
	nb = hsk_neigh_new();
	cr_assert_not_null(nb, "hsk_neigh_new: %s", strerror(errno));
}

static void in4(const char *s, struct in_addr *a)
{
	cr_assert_eq(inet_pton(AF_INET, s, a), 1, "bad address %s", s);
}

static void in6(const char *s, struct in6_addr *a)
{
	cr_assert_eq(inet_pton(AF_INET6, s, a), 1, "bad address %s", s);
}

static enum hsk_nexthop_kind resolve4(const char *dst, int ifindex,
				      struct hsk_nexthop *nh)
{
	struct in_addr a;

	in4(dst, &a);
	return hsk_neigh_resolve(nb, AF_INET, &a, 0, ifindex, nh);
}

static enum hsk_nexthop_kind resolve6(const char *dst, int ifindex,
				      struct hsk_nexthop *nh)
{
	struct in6_addr a;

	in6(dst, &a);
	return hsk_neigh_resolve(nb, AF_INET6, &a, 0, ifindex, nh);
}

/* A kernel UDP datagram from the local namespace: the kernel resolves. */
static void kernel_send(int family, const void *dst, uint32_t scope_id)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(9);
		memcpy(&s4->sin_addr, dst, sizeof(s4->sin_addr));
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(9);
		s6->sin6_scope_id = scope_id;
		memcpy(&s6->sin6_addr, dst, sizeof(s6->sin6_addr));
		len = sizeof(*s6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len), 1,
		     "sendto: %s", strerror(errno));
	close(fd);
}

/* Send through the kernel, then ask until the resolver sees the answer. */
static enum hsk_nexthop_kind learn(int family, const void *dst,
				   uint32_t scope_id, struct hsk_nexthop *nh)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	enum hsk_nexthop_kind kind;
	int i;

	kernel_send(family, dst, scope_id);
	for (i = 0; i < 300; i++) {
		kind = hsk_neigh_resolve(nb, family, dst, scope_id, 0, nh);
		if (kind == HSK_NH_OK)
			break;
		nanosleep(&nap, NULL);
	}
	return kind;
}

static void assert_mac(const uint8_t *got, const uint8_t *want)
{
	cr_assert_arr_eq(got, want, 6,
			 "MAC %02x:%02x:%02x:%02x:%02x:%02x, "
			 "want %02x:%02x:%02x:%02x:%02x:%02x",
			 got[0], got[1], got[2], got[3], got[4], got[5],
			 want[0], want[1], want[2], want[3], want[4], want[5]);
}

Test(neigh, ipv4_peer_resolves_after_kernel_send)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, topo.mac_peer);
	cr_expect_eq(nh.mtu, 1500);
	cr_expect_eq(nh.src.v4.s_addr, topo.ip4_local.s_addr);
}

Test(neigh, ipv6_peer_resolves_after_kernel_send)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET6, &topo.ip6_peer, 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, topo.mac_peer);
	cr_expect_eq(nh.mtu, 1500);
	cr_expect_arr_eq(&nh.src.v6, &topo.ip6_local, 16);
}

Test(neigh, ipv6_link_local_peer_resolves_in_its_scope)
{
	const uint8_t *m = topo.mac_peer;
	struct hsk_nexthop nh;
	struct in6_addr ll;

	setup();
	/* The peer's EUI-64 link-local address. */
	memset(&ll, 0, sizeof(ll));
	ll.s6_addr[0] = 0xfe;
	ll.s6_addr[1] = 0x80;
	ll.s6_addr[8] = m[0] ^ 0x02;
	ll.s6_addr[9] = m[1];
	ll.s6_addr[10] = m[2];
	ll.s6_addr[11] = 0xff;
	ll.s6_addr[12] = 0xfe;
	memcpy(&ll.s6_addr[13], m + 3, 3);
	cr_assert_eq(learn(AF_INET6, &ll, topo.ifindex_local, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, topo.mac_peer);
}

Test(neigh, never_contacted_address_is_unresolved)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("198.18.0.7", 0, &nh), HSK_NH_UNRESOLVED);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
}

Test(neigh, local_ipv4_address_is_local)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4(TOPO_IP4_LOCAL, 0, &nh), HSK_NH_LOCAL);
}

Test(neigh, local_ipv6_address_is_local)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve6(TOPO_IP6_LOCAL, 0, &nh), HSK_NH_LOCAL);
}

Test(neigh, unrouted_address_is_unreachable)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_UNREACHABLE);
}

/* A unicast lookup is not forced through the interface asked about. */
Test(neigh, unrouted_address_is_unreachable_from_an_interface)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("198.19.5.5", topo.ifindex_local, &nh),
		     HSK_NH_UNREACHABLE);
}

Test(neigh, unrouted_ipv6_address_is_unreachable)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve6("2001:2:5::5", 0, &nh), HSK_NH_UNREACHABLE);
}

/* The kernel answers a blackhole lookup with EINVAL, not with a route. */
Test(neigh, blackhole_route_is_unreachable)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(topo_run_local(&topo,
				    "ip route add blackhole 198.19.0.0/16"),
		     0);
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_UNREACHABLE);
}

Test(neigh, route_through_another_interface_is_other_if)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	/* Index 1 is the namespace's loopback. */
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 1, &nh), HSK_NH_OTHER_IF);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
}

Test(neigh, ipv4_multicast_maps_to_01_00_5e)
{
	static const uint8_t want[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("239.1.2.3", topo.ifindex_local, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, want);
	cr_expect_eq(nh.mtu, 1500);
	cr_expect_eq(nh.src.v4.s_addr, topo.ip4_local.s_addr);
}

Test(neigh, ipv4_multicast_mac_keeps_low_23_bits)
{
	static const uint8_t want[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("239.129.2.3", topo.ifindex_local, &nh),
		     HSK_NH_OK);
	assert_mac(nh.mac, want);
}

Test(neigh, ipv6_multicast_maps_to_33_33)
{
	static const uint8_t want[6] = { 0x33, 0x33, 0x00, 0x02, 0x00, 0x03 };
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve6("ff0e::1:2:3", topo.ifindex_local, &nh),
		     HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, want);
}

/* As a kernel send: no multicast interface, no route, no way out. */
Test(neigh, ipv4_multicast_without_interface_or_route_is_unreachable)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("239.1.2.3", 0, &nh), HSK_NH_UNREACHABLE);
}

Test(neigh, subnet_broadcast_maps_to_all_ones)
{
	static const uint8_t want[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4(TOPO_IP4_BROADCAST, 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, want);
}

Test(neigh, limited_broadcast_maps_to_all_ones)
{
	static const uint8_t want[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("255.255.255.255", topo.ifindex_local, &nh),
		     HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, want);
}

/* Well within the cache's 1 s lifetime: only the notification can tell. */
Test(neigh, neighbour_delete_invalidates_the_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo, "ip neigh del %s dev %s",
				    TOPO_IP4_PEER, TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 0, &nh), HSK_NH_UNRESOLVED);
}

Test(neigh, neighbour_flush_invalidates_the_ipv6_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET6, &topo.ip6_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(resolve6(TOPO_IP6_PEER, 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo, "ip -6 neigh flush dev %s",
				    TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(resolve6(TOPO_IP6_PEER, 0, &nh), HSK_NH_UNRESOLVED);
}

Test(neigh, neighbour_failed_invalidates_the_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo,
				    "ip neigh change %s dev %s nud failed",
				    TOPO_IP4_PEER, TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 0, &nh), HSK_NH_UNRESOLVED);
}

Test(neigh, route_through_gateway_uses_the_gateway_mac)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo, "ip route add 198.19.0.0/16 via %s",
				    TOPO_IP4_PEER),
		     0);
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.ifindex, topo.ifindex_local);
	assert_mac(nh.mac, topo.mac_peer);
}

Test(neigh, route_add_invalidates_an_unreachable_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_UNREACHABLE);
	cr_assert_eq(topo_run_local(&topo, "ip route add 198.19.0.0/16 via %s",
				    TOPO_IP4_PEER),
		     0);
	/* The gateway was never contacted. */
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_UNRESOLVED);
}

Test(neigh, route_delete_invalidates_the_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo, "ip route add 198.19.0.0/16 via %s",
				    TOPO_IP4_PEER),
		     0);
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_OK);
	cr_assert_eq(topo_run_local(&topo, "ip route del 198.19.0.0/16"), 0);
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_UNREACHABLE);
}

Test(neigh, address_removal_invalidates_the_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(resolve4(TOPO_IP4_LOCAL, 0, &nh), HSK_NH_LOCAL);
	cr_assert_eq(topo_run_local(&topo, "ip addr del %s/24 dev %s",
				    TOPO_IP4_LOCAL, TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(resolve4(TOPO_IP4_LOCAL, 0, &nh), HSK_NH_UNREACHABLE);
}

Test(neigh, mtu_is_the_link_mtu)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(topo_run_local(&topo, "ip link set %s mtu 1400",
				    TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.mtu, 1400);
}

Test(neigh, link_mtu_change_invalidates_the_answer)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(nh.mtu, 1500);
	cr_assert_eq(topo_run_local(&topo, "ip link set %s mtu 1400",
				    TOPO_IF_LOCAL),
		     0);
	cr_assert_eq(resolve4(TOPO_IP4_PEER, 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.mtu, 1400);
}

Test(neigh, route_mtu_overrides_the_link_mtu)
{
	struct hsk_nexthop nh;

	setup();
	cr_assert_eq(learn(AF_INET, &topo.ip4_peer, 0, &nh), HSK_NH_OK);
	cr_assert_eq(
		topo_run_local(&topo,
			       "ip route add 198.19.0.0/16 via %s mtu 1300",
			       TOPO_IP4_PEER),
		0);
	cr_assert_eq(resolve4("198.19.5.5", 0, &nh), HSK_NH_OK);
	cr_expect_eq(nh.mtu, 1300);
}

#define THREADS 4
#define ROUNDS 200

static void *resolve_many(void *arg)
{
	struct hsk_nexthop nh;
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		if (hsk_neigh_resolve(nb, AF_INET, &topo.ip4_peer, 0, 0, &nh) !=
			    HSK_NH_OK ||
		    memcmp(nh.mac, topo.mac_peer, 6))
			bad++;
		if (resolve4(TOPO_IP4_LOCAL, 0, &nh) != HSK_NH_LOCAL)
			bad++;
	}
	return (void *)bad;
}

/* One resolver shared by threads, while notifications keep arriving. */
Test(neigh, concurrent_callers_get_consistent_answers)
{
	const uint8_t *m = topo.mac_peer;
	pthread_t th[THREADS];
	void *bad;
	int i;

	setup();
	/* A permanent entry: the churn below must not change the answer. */
	cr_assert_eq(topo_run_local(&topo,
				    "ip neigh replace %s dev %s nud permanent "
				    "lladdr %02x:%02x:%02x:%02x:%02x:%02x",
				    TOPO_IP4_PEER, TOPO_IF_LOCAL, m[0], m[1],
				    m[2], m[3], m[4], m[5]),
		     0);
	for (i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, resolve_many, NULL),
			     0);
	cr_expect_eq(topo_run_local(&topo,
				    "for i in 1 2 3 4 5 6 7 8; do "
				    "ip route add 198.19.$i.0/24 via %s; done",
				    TOPO_IP4_PEER),
		     0);
	for (i = 0; i < THREADS; i++) {
		cr_assert_eq(pthread_join(th[i], &bad), 0);
		cr_expect_eq((long)bad, 0, "thread %d: %ld wrong answers", i,
			     (long)bad);
	}
}
