// SPDX-License-Identifier: BSD-3-Clause
/*
 * hsk_test.c - shared helpers of the Criterion suites.
 */
#include "hsk_test.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct hsk_topo tst_topo;

/* The PMD the harness sets up: HSK_TEST_DPDK_PMD, net_af_packet when
 * unset. */
static bool tap_wanted(void)
{
	const char *pmd = getenv("HSK_TEST_DPDK_PMD");

	return pmd && !strcmp(pmd, "net_tap");
}

/*
 * net_tap's interface and hsk0 joined as two ends of a wire: tc redirects
 * whatever enters one out of the other, so neither kernel stack sees the
 * frames. A bridge would not do: it keeps the MAC of each of its ports,
 * which is the PMD's for the tap, for itself. The tap is made here,
 * before the PMD opens it by name, so that the redirects can name it; the
 * PMD gets hsk0's MAC and the suites find the port's link in tst_topo.
 */
/* A classic BPF "accept": unlike u32, it reads nothing of the frame,
 * so frames too short for a key (a 17-byte one) match too. */
#define ACCEPT_ALL "bpf bytecode '1,6 0 0 4294967295,'"

static void wire_tap_to_hsk0(char *args, size_t len)
{
	const unsigned char *m = tst_topo.mac_local;
	int err;

	err = topo_run_local(
		&tst_topo,
		"ip tuntap add dev %s mode tap multi_queue && "
		"echo 1 >/proc/sys/net/ipv6/conf/%s/disable_ipv6 && "
		"tc qdisc add dev %s ingress && "
		"tc filter add dev %s parent ffff: protocol all " ACCEPT_ALL
		" action mirred egress redirect dev %s && "
		"tc qdisc add dev %s ingress && "
		"tc filter add dev %s parent ffff: protocol all " ACCEPT_ALL
		" action mirred egress redirect dev %s",
		TST_TAP_IF, TST_TAP_IF, tst_topo.if_local, tst_topo.if_local,
		TST_TAP_IF, TST_TAP_IF, TST_TAP_IF, tst_topo.if_local);
	cr_assert_eq(err, 0, "wiring %s to %s: status %d", TST_TAP_IF,
		     tst_topo.if_local, err);
	snprintf(args, len,
		 "--vdev=net_tap0,iface=%s,"
		 "mac=%02x:%02x:%02x:%02x:%02x:%02x",
		 TST_TAP_IF, m[0], m[1], m[2], m[3], m[4], m[5]);
	snprintf(tst_topo.if_local, sizeof(tst_topo.if_local), "%s",
		 TST_TAP_IF);
	tst_topo.ifindex_local = (int)if_nametoindex(TST_TAP_IF);
	cr_assert_gt(tst_topo.ifindex_local, 0, "%s: %s", TST_TAP_IF,
		     strerror(errno));
}

/*
 * On the dpdk backend hotsock owns hsk0 through a vdev: net_af_packet over
 * it by default, net_tap wired to it with HSK_TEST_DPDK_PMD=net_tap, or
 * whatever HOTSOCK_DPDK_ARGS names. The kernel gives up its addresses
 * there so that only hotsock answers for them.
 */
static void dpdk_takes_hsk0(void)
{
	const char *b = tst_expected_backend();
	char args[128];
	int err;

	if (!b || strcmp(b, "dpdk"))
		return;
	err = topo_run_local(&tst_topo,
			     "ip addr flush dev %s && "
			     "echo 1 >/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			     tst_topo.if_local, tst_topo.if_local);
	cr_assert_eq(err, 0, "taking hsk0 from the kernel: status %d", err);
	if (tap_wanted())
		wire_tap_to_hsk0(args, sizeof(args));
	else /* Rings deep enough for the suites' bursts (1000 frames). */
		snprintf(args, sizeof(args),
			 "--vdev=net_af_packet0,iface=%s,framecnt=2048",
			 tst_topo.if_local);
	setenv("HOTSOCK_DPDK_ARGS", args, 0);
	setenv("HOTSOCK_DPDK_IP", TOPO_IP4_LOCAL "/24", 0);
	setenv("HOTSOCK_DPDK_IP6", TOPO_IP6_LOCAL "/64", 0);
}

void tst_topo_init(void)
{
	int err = topo_setup(&tst_topo);

	if (err == -EPERM)
		cr_skip_test("needs root: network namespaces");
	cr_assert_eq(err, 0, "topo_setup: %s", strerror(-err));
	dpdk_takes_hsk0();
}

void tst_topo_fini(void)
{
	topo_teardown(&tst_topo);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double tst_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double tst_realtime(void)
{
	return clock_s(CLOCK_REALTIME);
}

void tst_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void tst_fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((seed + i * 7) & 0xff);
}

const char *tst_expected_backend(void)
{
	const char *b = getenv("HOTSOCK_BACKEND");

	if (!b || !*b || !strcmp(b, "auto"))
		return NULL;
	return b;
}

void tst_assert_backend(int fd)
{
	const char *want = tst_expected_backend();
	const char *got = hsk_backend_name(fd);

	cr_assert_not_null(got, "hsk_backend_name(%d): %s", fd,
			   strerror(errno));
	if (want) {
		cr_assert_str_eq(got, want, "backend %s, expected %s", got,
				 want);
	} else {
		cr_assert(!strcmp(got, "kernel") || !strcmp(got, "af_xdp") ||
				  !strcmp(got, "dpdk"),
			  "unknown backend name %s", got);
	}
}

void tst_skip_where_fragments_cannot_arrive(int family)
{
	const char *b = tst_expected_backend();
	const char *args = getenv("HOTSOCK_DPDK_ARGS");

	if (family == AF_INET && b && !strcmp(b, "dpdk") && args &&
	    strstr(args, "net_af_packet"))
		cr_skip_test("net_af_packet: the kernel reassembles IPv4 for "
			     "the PMD, which drops frames above one mbuf");
}

void tst_skip_where_the_kernel_cannot_see_the_port_receive(void)
{
	const char *b = tst_expected_backend();

	if (b && !strcmp(b, "dpdk") && tap_wanted())
		cr_skip_test("net_tap: the port's frames leave the kernel "
			     "through the tap, none arrives on it");
}

socklen_t tst_addr(int family, enum tst_side side, uint16_t port,
		   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr = side == TST_LOCAL ? tst_topo.ip4_local :
						   tst_topo.ip4_peer;
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	in6->sin6_addr = side == TST_LOCAL ? tst_topo.ip6_local :
					     tst_topo.ip6_peer;
	return sizeof(*in6);
}

uint16_t tst_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

void tst_assert_addr(const struct sockaddr_storage *got, socklen_t len,
		     int family, enum tst_side side, uint16_t port)
{
	struct sockaddr_storage want;
	socklen_t wlen = tst_addr(family, side, port, &want);
	char a[INET6_ADDRSTRLEN] = "?", b[INET6_ADDRSTRLEN] = "?";

	cr_assert_eq(len, wlen, "address length %u, expected %u", (unsigned)len,
		     (unsigned)wlen);
	cr_assert_eq(got->ss_family, family, "address family %d, expected %d",
		     got->ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *g = (const void *)got;
		const struct sockaddr_in *w = (const void *)&want;

		inet_ntop(AF_INET, &g->sin_addr, a, sizeof(a));
		inet_ntop(AF_INET, &w->sin_addr, b, sizeof(b));
		cr_assert_eq(g->sin_addr.s_addr, w->sin_addr.s_addr,
			     "address %s, expected %s", a, b);
	} else {
		const struct sockaddr_in6 *g = (const void *)got;
		const struct sockaddr_in6 *w = (const void *)&want;

		inet_ntop(AF_INET6, &g->sin6_addr, a, sizeof(a));
		inet_ntop(AF_INET6, &w->sin6_addr, b, sizeof(b));
		cr_assert(!memcmp(&g->sin6_addr, &w->sin6_addr, 16),
			  "address %s, expected %s", a, b);
	}
	cr_assert_eq(tst_addr_port(got), port, "port %u, expected %u",
		     tst_addr_port(got), port);
}

int tst_udp(int family)
{
	int fd = hsk_socket(family, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket(%d, SOCK_DGRAM): %s", family,
		      strerror(errno));
	tst_assert_backend(fd);
	return fd;
}

int tst_udp_bound(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, port, &ss);
	int fd = tst_udp(family);

	cr_assert_eq(hsk_bind(fd, (struct sockaddr *)&ss, len), 0,
		     "hsk_bind: %s", strerror(errno));
	return fd;
}

int tst_peer_udp(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, port, &ss);
	int fd = topo_peer_socket(&tst_topo, family, SOCK_DGRAM | SOCK_CLOEXEC,
				  0);

	cr_assert_geq(fd, 0, "peer socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0, "peer bind: %s",
		     strerror(errno));
	return fd;
}

void tst_pair_open(struct tst_pair *p, int family, bool connect_fd,
		   bool connect_peer)
{
	memset(p, 0, sizeof(*p));
	p->fd = p->peer = -1;
	p->family = family;
	p->len = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &p->local);
	tst_addr(family, TST_PEER, TST_PORT_PEER, &p->remote);
	p->fd = tst_udp_bound(family, TST_PORT_LOCAL);
	p->peer = tst_peer_udp(family, TST_PORT_PEER);
	if (connect_fd)
		cr_assert_eq(hsk_connect(p->fd, (struct sockaddr *)&p->remote,
					 p->len),
			     0, "hsk_connect: %s", strerror(errno));
	if (connect_peer)
		cr_assert_eq(connect(p->peer, (struct sockaddr *)&p->local,
				     p->len),
			     0, "peer connect: %s", strerror(errno));
}

void tst_pair_close(struct tst_pair *p)
{
	if (p->fd >= 0)
		hsk_close(p->fd);
	if (p->peer >= 0)
		close(p->peer);
	p->fd = p->peer = -1;
}

void tst_kernel_sendto(int fd, const void *buf, size_t len,
		       const struct sockaddr_storage *to, socklen_t tolen)
{
	ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)to, tolen);

	cr_assert_eq(n, (ssize_t)len, "kernel sendto %zu bytes: %zd (%s)", len,
		     n, strerror(errno));
}

void tst_peer_send(struct tst_pair *p, const void *buf, size_t len)
{
	tst_kernel_sendto(p->peer, buf, len, &p->local, p->len);
}

ssize_t tst_kernel_recv(int fd, void *buf, size_t len, int timeout_ms,
			struct sockaddr_storage *from, socklen_t *fromlen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -1;
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (from) {
		*fromlen = sizeof(*from);
		return recvfrom(fd, buf, len, MSG_DONTWAIT,
				(struct sockaddr *)from, fromlen);
	}
	return recv(fd, buf, len, MSG_DONTWAIT);
}

bool tst_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

void tst_settimeout(int fd, double seconds)
{
	cr_assert_eq(hsk_settimeout(fd, seconds), 0, "hsk_settimeout(%g): %s",
		     seconds, strerror(errno));
}

void tst_poll_mixes_with_a_pipe(int fd, void (*arrive)(void *arg), void *arg)
{
	struct pollfd pfd[2];
	int pipefd[2], n;
	char buf[1];

	cr_assert_ok(pipe(pipefd));
	pfd[0] = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = fd, .events = POLLIN };

	cr_assert_eq(write(pipefd[1], "p", 1), 1);
	n = hsk_poll(pfd, 2, 2000);
	cr_assert_eq(n, 1, "hsk_poll: %d (%s)", n, strerror(errno));
	cr_assert(pfd[0].revents & POLLIN);
	cr_assert_eq(pfd[1].revents, 0);

	/* Drain the pipe: now only @fd can end the wait. */
	cr_assert_eq(read(pipefd[0], buf, 1), 1);
	arrive(arg);
	n = hsk_poll(pfd, 2, 2000);
	cr_assert_eq(n, 1, "hsk_poll: %d (%s)", n, strerror(errno));
	cr_assert_eq(pfd[0].revents, 0);
	cr_assert(pfd[1].revents & POLLIN);

	cr_assert_eq(write(pipefd[1], "p", 1), 1);
	cr_assert_eq(hsk_poll(pfd, 2, 0), 2);
	cr_assert(pfd[0].revents & POLLIN);
	cr_assert(pfd[1].revents & POLLIN);
	close(pipefd[0]);
	close(pipefd[1]);
}

struct cmsghdr *tst_cmsg_find(struct msghdr *msg, int level, int type)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == level && c->cmsg_type == type)
			return c;
	}
	return NULL;
}

socklen_t tst_ll_addr(struct sockaddr_ll *ll, enum tst_side side,
		      uint16_t ethertype, const unsigned char *dst_mac)
{
	memset(ll, 0, sizeof(*ll));
	ll->sll_family = AF_PACKET;
	ll->sll_protocol = htons(ethertype);
	ll->sll_ifindex = side == TST_LOCAL ? tst_topo.ifindex_local :
					      tst_topo.ifindex_peer;
	if (dst_mac) {
		ll->sll_halen = ETH_ALEN;
		memcpy(ll->sll_addr, dst_mac, ETH_ALEN);
	}
	return sizeof(*ll);
}

int tst_peer_packet(int type, uint16_t ethertype)
{
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_PEER, ethertype, NULL);
	int fd = topo_peer_socket(&tst_topo, AF_PACKET, type | SOCK_CLOEXEC,
				  htons(ethertype));

	cr_assert_geq(fd, 0, "peer packet socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ll, len), 0,
		     "peer packet bind: %s", strerror(errno));
	return fd;
}

size_t tst_eth_frame(void *frame, const unsigned char *dst,
		     const unsigned char *src, uint16_t ethertype,
		     const void *payload, size_t len)
{
	struct ether_header *eh = frame;

	memcpy(eh->ether_dhost, dst, ETH_ALEN);
	memcpy(eh->ether_shost, src, ETH_ALEN);
	eh->ether_type = htons(ethertype);
	memcpy((unsigned char *)frame + sizeof(*eh), payload, len);
	return sizeof(*eh) + len;
}
