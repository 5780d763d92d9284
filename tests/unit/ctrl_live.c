// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/unit/ctrl_live.c - lib/net/ctrl against a real kernel.
 *
 * In the test topology (tests/support/topology.h) the kernel gives up the
 * local veth end, hsk0: its addresses go and IPv6 is disabled on it, as a
 * DPDK port is taken from it. A control plane with hsk0's MAC and
 * addresses then owns them, driven from a raw AF_PACKET socket on hsk0:
 * it transmits with send() and a thread feeds it every received frame and
 * ticks it, answering with port unreachable the UDP datagrams it passes
 * (no socket is bound here), as a port-owning backend does. The peer
 * namespace keeps a plain kernel that pings, resolves and sends to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctrl.h"
#include "topology.h"

#define PORT_PEER 40001
#define PORT_CLOSED 9

static struct hsk_topo topo;
static struct {
	int fd; /* AF_PACKET on hsk0 */
	struct hsk_ctrl *ctrl;
	pthread_mutex_t lock; /* the control plane is not thread-safe */
	pthread_t thread;
	bool running;
	atomic_bool stop;
} live = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int xmit(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	return send(live.fd, frame, len, 0) == (ssize_t)len ? 0 : -1;
}

static void input(const uint8_t *f, size_t len)
{
	struct hsk_net_udp udp;

	if (hsk_ctrl_input(live.ctrl, f, len, now_ns()) != HSK_CTRL_PASS)
		return;
	/* veth: the kernel peer may leave the UDP checksum to offload */
	if (hsk_net_parse_udp(f, (uint32_t)len, HSK_NET_CSUM_LOCAL, &udp) ==
	    HSK_NET_UDP)
		hsk_ctrl_port_unreachable(live.ctrl, f, len);
}

/* The poll loop of a backend: every frame in, timers every 10 ms. */
static void *run(void *arg)
{
	struct pollfd pfd = { .fd = live.fd, .events = POLLIN };
	uint8_t f[2048];

	(void)arg;
	while (!atomic_load(&live.stop)) {
		int ready = poll(&pfd, 1, 10);

		pthread_mutex_lock(&live.lock);
		for (int i = 0; ready > 0 && i < 64; i++) {
			ssize_t n = recv(live.fd, f, sizeof(f), MSG_DONTWAIT);

			if (n < 0)
				break;
			input(f, (size_t)n);
		}
		hsk_ctrl_tick(live.ctrl, now_ns());
		pthread_mutex_unlock(&live.lock);
	}
	return NULL;
}

static int packet_socket(void)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = topo.ifindex_local,
	};
	int one = 1;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	cr_assert_geq(fd, 0, "AF_PACKET: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ll, sizeof(ll)), 0,
		     "bind hsk0: %s", strerror(errno));
	/* what we send is not news to us */
	cr_assert_eq(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
				sizeof(one)),
		     0, "PACKET_IGNORE_OUTGOING: %s", strerror(errno));
	return fd;
}

static void setup(void)
{
	struct hsk_ctrl_cfg cfg = { .mtu = 1500, .xmit = xmit };
	int err = topo_setup(&topo);

	if (err == -EPERM)
		cr_skip_test("network namespaces need root (CAP_SYS_ADMIN)");
	cr_assert_eq(err, 0, "topo_setup: %s", strerror(-err));
	err = topo_run_local(&topo,
			     "ip addr flush dev %s && "
			     "echo 1 >/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			     topo.if_local, topo.if_local);
	cr_assert_eq(err, 0, "taking hsk0 from the kernel: status %d", err);
	/* whatever the peer knew of hsk0, it learns again from us */
	cr_assert_eq(
		topo_run_peer(&topo, "ip neigh flush dev %s", topo.if_peer), 0);
	live.fd = packet_socket();
	memcpy(cfg.mac, topo.mac_local, 6);
	cfg.ip4 = topo.ip4_local;
	cfg.prefix4 = 24;
	cfg.ip6 = topo.ip6_local;
	cfg.prefix6 = 64;
	live.ctrl = hsk_ctrl_new(&cfg);
	cr_assert_not_null(live.ctrl, "hsk_ctrl_new: %s", strerror(errno));
	cr_assert_eq(pthread_create(&live.thread, NULL, run, NULL), 0);
	live.running = true;
}

static void teardown(void)
{
	if (live.running) {
		atomic_store(&live.stop, true);
		pthread_join(live.thread, NULL);
	}
	hsk_ctrl_free(live.ctrl);
	if (live.fd >= 0)
		close(live.fd);
	topo_teardown(&topo);
}

#define LIVE_TEST(suite, name) \
	Test(suite, name, .init = setup, .fini = teardown, .timeout = 30)

static const char *local_ip(int family)
{
	return family == AF_INET ? TOPO_IP4_LOCAL : TOPO_IP6_LOCAL;
}

static int ping(int family, int count)
{
	return topo_run_peer(&topo,
			     "ping -%d -c %d -i 0.2 -W 2 -q %s >/dev/null",
			     family == AF_INET ? 4 : 6, count,
			     local_ip(family));
}

static struct hsk_ctrl_stats stats(void)
{
	struct hsk_ctrl_stats st;

	pthread_mutex_lock(&live.lock);
	hsk_ctrl_stats(live.ctrl, &st);
	pthread_mutex_unlock(&live.lock);
	return st;
}

static socklen_t sockaddr_of(int family, bool local, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = local ? topo.ip4_local : topo.ip4_peer;
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	a->sin6_addr = local ? topo.ip6_local : topo.ip6_peer;
	return sizeof(*a);
}

/* A kernel UDP socket in the peer namespace, bound to the peer address. */
static int peer_udp(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(family, false, PORT_PEER, &ss);
	int fd = topo_peer_socket(&topo, family, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "peer socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0, "bind: %s",
		     strerror(errno));
	return fd;
}

static void pings_are_answered(int family)
{
	cr_assert_eq(ping(family, 3), 0, "ping -%d %s failed",
		     family == AF_INET ? 4 : 6, local_ip(family));
	cr_assert_geq(stats().echo_replies, 3);
}

LIVE_TEST(ctrl_live4, peer_pings_hotsock)
{
	pings_are_answered(AF_INET);
}

LIVE_TEST(ctrl_live6, peer_pings_hotsock)
{
	pings_are_answered(AF_INET6);
}

LIVE_TEST(ctrl_live6, peer_pinging_all_nodes_hears_hotsock)
{
	/* for a second, not a count: the peer answers itself at once */
	int status = topo_run_peer(&topo,
				   "ping -6 -i 0.2 -w 1 ff02::1%%%s >/dev/null",
				   topo.if_peer);

	cr_assert_eq(status, 0, "ping -6 ff02::1: status %d", status);
	cr_assert_geq(stats().echo_replies, 3);
}

static void peer_learns_our_mac(int family)
{
	const uint8_t *m = topo.mac_local;
	int status;

	cr_assert_eq(ping(family, 1), 0);
	status =
		topo_run_peer(&topo,
			      "ip neigh show %s dev %s | "
			      "grep -qi 'lladdr %02x:%02x:%02x:%02x:%02x:%02x'",
			      local_ip(family), topo.if_peer, m[0], m[1], m[2],
			      m[3], m[4], m[5]);
	cr_assert_eq(status, 0, "the peer's neighbour table has no entry");
	cr_assert_geq(family == AF_INET ? stats().arp_out : stats().nd_out, 1,
		      "learnt from someone else");
}

LIVE_TEST(ctrl_live4, peer_learns_hotsock_mac)
{
	peer_learns_our_mac(AF_INET);
}

LIVE_TEST(ctrl_live6, peer_learns_hotsock_mac)
{
	peer_learns_our_mac(AF_INET6);
}

/*
 * The peer believes hsk0's address is elsewhere (a stale entry, as after
 * a port changed hands); the announcement (gratuitous ARP, unsolicited
 * NA with the override flag) puts it right without a question asked.
 */
static void announce_corrects_the_peer(int family)
{
	const uint8_t *m = topo.mac_local;
	int status = topo_run_peer(
		&topo,
		"ip neigh replace %s lladdr 02:00:5e:00:00:99 nud stale dev %s",
		local_ip(family), topo.if_peer);

	cr_assert_eq(status, 0, "ip neigh replace: status %d", status);
	pthread_mutex_lock(&live.lock);
	hsk_ctrl_announce(live.ctrl, now_ns());
	pthread_mutex_unlock(&live.lock);
	for (int i = 0; i < 50; i++) {
		status = topo_run_peer(
			&topo,
			"ip neigh show %s dev %s | "
			"grep -qi 'lladdr %02x:%02x:%02x:%02x:%02x:%02x'",
			local_ip(family), topo.if_peer, m[0], m[1], m[2], m[3],
			m[4], m[5]);
		if (!status)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(status, 0, "the peer still has the old MAC");
}

LIVE_TEST(ctrl_live4, announce_corrects_the_peers_stale_entry)
{
	announce_corrects_the_peer(AF_INET);
}

LIVE_TEST(ctrl_live6, announce_corrects_the_peers_stale_entry)
{
	announce_corrects_the_peer(AF_INET6);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) > 0;
}

/*
 * A datagram to the peer, held while the peer is asked for its MAC, goes
 * out when it answers; the peer's kernel socket receives it.
 */
static void next_hop_resolves_the_peer(int family)
{
	static const char payload[] = "hotsock:held";
	struct hsk_net_flow flow = {
		.family = (uint8_t)family,
		.ttl = 64,
		.sport = htons(PORT_CLOSED),
		.dport = htons(PORT_PEER),
	};
	uint8_t buf[256], mac[6], *frame;
	union hsk_net_addr dst;
	char got[64];
	int fd = peer_udp(family);
	size_t hdr;
	int r;

	memcpy(flow.src_mac, topo.mac_local, 6);
	if (family == AF_INET) {
		flow.src.v4 = topo.ip4_local;
		flow.dst.v4 = topo.ip4_peer;
	} else {
		flow.src.v6 = topo.ip6_local;
		flow.dst.v6 = topo.ip6_peer;
	}
	dst = flow.dst;
	hdr = hsk_net_udp_hdr_len(&flow);
	memcpy(buf + hdr, payload, sizeof(payload));
	frame = hsk_net_build_udp(&flow, buf + hdr, sizeof(payload));

	pthread_mutex_lock(&live.lock);
	r = hsk_ctrl_next_hop(live.ctrl, family, &dst, mac, frame,
			      hdr + sizeof(payload), now_ns());
	pthread_mutex_unlock(&live.lock);
	cr_assert_eq(r, 1, "hsk_ctrl_next_hop: %d (%s)", r, strerror(errno));

	cr_assert(readable(fd, 5000), "the held datagram did not arrive");
	cr_assert_eq(recv(fd, got, sizeof(got), 0), (ssize_t)sizeof(payload));
	cr_assert_str_eq(got, payload);

	pthread_mutex_lock(&live.lock);
	r = hsk_ctrl_next_hop(live.ctrl, family, &dst, mac, NULL, 0, now_ns());
	pthread_mutex_unlock(&live.lock);
	cr_assert_eq(r, 0);
	cr_assert_arr_eq(mac, topo.mac_peer, 6);
	cr_assert_eq(stats().held_sent, 1);
	close(fd);
}

LIVE_TEST(ctrl_live4, next_hop_resolves_the_peer_and_sends_the_held_frame)
{
	next_hop_resolves_the_peer(AF_INET);
}

LIVE_TEST(ctrl_live6, next_hop_resolves_the_peer_and_sends_the_held_frame)
{
	next_hop_resolves_the_peer(AF_INET6);
}

static void connected_peer_gets_econnrefused(int family)
{
	struct sockaddr_storage to;
	socklen_t len = sockaddr_of(family, true, PORT_CLOSED, &to);
	int fd = peer_udp(family);
	char c;

	cr_assert_eq(connect(fd, (struct sockaddr *)&to, len), 0);
	cr_assert_eq(send(fd, "x", 1, 0), 1, "send: %s", strerror(errno));
	cr_assert(readable(fd, 5000), "no error came back");
	errno = 0;
	cr_assert_eq(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	cr_assert_eq(errno, ECONNREFUSED, "errno %s", strerror(errno));
	cr_assert_eq(stats().unreachables_sent, 1);
	close(fd);
}

LIVE_TEST(ctrl_live4, connected_peer_socket_gets_econnrefused)
{
	connected_peer_gets_econnrefused(AF_INET);
}

LIVE_TEST(ctrl_live6, connected_peer_socket_gets_econnrefused)
{
	connected_peer_gets_econnrefused(AF_INET6);
}

struct capture {
	const char *filter;
	int status;
	atomic_bool done;
};

static void *run_tcpdump(void *arg)
{
	struct capture *c = arg;

	c->status = topo_run_peer(
		&topo,
		"timeout 8 tcpdump -i %s -n -c 1 -w /dev/null '%s' 2>/dev/null",
		topo.if_peer, c->filter);
	atomic_store(&c->done, true);
	return NULL;
}

/*
 * Joins and leaves until tcpdump in the peer namespace has seen the join's
 * report (each first join sends one), so its start-up time does not
 * matter. @filter matches the report of @group, record CHANGE_TO_EXCLUDE.
 */
static void join_is_on_the_wire(int family, const char *group,
				const char *filter)
{
	struct capture c = { .filter = filter };
	union hsk_net_addr g;
	pthread_t th;

	cr_assert_eq(inet_pton(family, group, &g), 1);
	cr_assert_eq(pthread_create(&th, NULL, run_tcpdump, &c), 0);
	for (int i = 0; i < 70 && !atomic_load(&c.done); i++) {
		pthread_mutex_lock(&live.lock);
		cr_assert_eq(hsk_ctrl_join(live.ctrl, family, &g, now_ns()), 0);
		cr_assert_eq(hsk_ctrl_leave(live.ctrl, family, &g, now_ns()),
			     0);
		pthread_mutex_unlock(&live.lock);
		usleep(100 * 1000);
	}
	pthread_join(th, NULL);
	cr_assert_eq(c.status, 0, "tcpdump saw no report (status %d)",
		     c.status);
}

LIVE_TEST(ctrl_live4, join_sends_an_igmpv3_report)
{
	/* 224.0.0.22, TTL 1, Router Alert, IGMPv3 report, first record
	 * TO_EX 239.1.2.3 */
	join_is_on_the_wire(
		AF_INET, "239.1.2.3",
		"ip dst 224.0.0.22 and ip[8] == 1 and ip[20] == 0x94 and "
		"igmp[0] == 0x22 and igmp[8] == 4 and "
		"igmp[12:4] == 0xef010203");
}

LIVE_TEST(ctrl_live6, join_sends_an_mldv2_report)
{
	/* ff02::16, hop limit 1, hop-by-hop with Router Alert, ICMPv6 143,
	 * first record TO_EX ff15::1:2 */
	join_is_on_the_wire(
		AF_INET6, "ff15::1:2",
		"ip6 dst ff02::16 and ip6[7] == 1 and ip6[6] == 0 and "
		"ip6[40] == 58 and ip6[42] == 5 and ip6[48] == 143 and "
		"ip6[56] == 4 and ip6[60:4] == 0xff150000 and "
		"ip6[72:4] == 0x00010002");
}

/*
 * A Linux bridge in the peer namespace, hsk1 its port, queries the link
 * (IGMPv3 and MLDv2, every two seconds): our answer is a report of
 * current state, MODE_IS_EXCLUDE, for the group we joined.
 */
static void querier_is_answered(int family, const char *group,
				const char *filter)
{
	struct capture c = { .filter = filter };
	union hsk_net_addr g;
	pthread_t th;
	int status;

	cr_assert_eq(inet_pton(family, group, &g), 1);
	pthread_mutex_lock(&live.lock);
	cr_assert_eq(hsk_ctrl_join(live.ctrl, family, &g, now_ns()), 0);
	pthread_mutex_unlock(&live.lock);
	cr_assert_eq(pthread_create(&th, NULL, run_tcpdump, &c), 0);
	status = topo_run_peer(
		&topo,
		"ip link add br0 type bridge mcast_snooping 1 "
		"mcast_querier 1 mcast_igmp_version 3 mcast_mld_version 2 "
		"mcast_startup_query_interval 100 mcast_query_interval 200 "
		"mcast_query_response_interval 100 && "
		"ip link set %s master br0 && ip link set br0 up",
		topo.if_peer);
	cr_assert_eq(status, 0, "bridge: status %d", status);
	pthread_join(th, NULL);
	cr_assert_eq(c.status, 0, "tcpdump saw no answer (status %d)",
		     c.status);
}

LIVE_TEST(ctrl_live4, bridge_querier_is_answered)
{
	querier_is_answered(AF_INET, "239.1.2.3",
			    "ip dst 224.0.0.22 and igmp[0] == 0x22 and "
			    "igmp[8] == 2 and igmp[12:4] == 0xef010203");
}

LIVE_TEST(ctrl_live6, bridge_querier_is_answered)
{
	/* the solicited-node groups of the address and of the link-local
	 * one are the first two records, ours the third */
	querier_is_answered(AF_INET6, "ff15::1:2",
			    "ip6 dst ff02::16 and ip6[48] == 143 and "
			    "ip6[55] == 3 and ip6[96] == 2 and "
			    "ip6[100:4] == 0xff150000 and "
			    "ip6[112:4] == 0x00010002");
}
