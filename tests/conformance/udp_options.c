// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp_options.c - socket options and the ancillary data they turn on,
 * checked against what a kernel socket does.
 */
#include "hsk_test.h"

#include <net/if.h>
#include <unistd.h>

static int kernel_udp(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	return fd;
}

static int get_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	cr_assert_ok(hsk_getsockopt(fd, level, name, &v, &len));
	cr_assert_eq(len, sizeof(v));
	return v;
}

static void set_int(int fd, int level, int name, int v)
{
	cr_assert_eq(hsk_setsockopt(fd, level, name, &v, sizeof(v)), 0,
		     "hsk_setsockopt(%d, %d, %d): %s", level, name, v,
		     strerror(errno));
}

/*
 * The peer sends @msg; receive it with recvmsg() and a control buffer.
 * Return the datagram's length.
 */
static ssize_t recv_with_control(struct tst_pair *p, const char *msg,
				 struct msghdr *mh, void *control,
				 size_t controllen)
{
	static char buf[256];
	static struct iovec iov;
	ssize_t n;

	if (msg)
		tst_peer_send(p, msg, strlen(msg) + 1);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	mh->msg_control = control;
	mh->msg_controllen = controllen;
	tst_settimeout(p->fd, 2.0);
	n = hsk_recvmsg(p->fd, mh, 0);
	cr_assert_geq(n, 0, "hsk_recvmsg: %s", strerror(errno));
	if (msg)
		cr_assert_str_eq(buf, msg);
	return n;
}

FAMILY_TEST(sockopt, so_rcvbuf_reads_back_as_on_a_kernel_socket)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int k = kernel_udp(family);
	int want;

	set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536);
	cr_assert_ok(setsockopt(k, SOL_SOCKET, SO_RCVBUF, &(int){ 65536 },
				sizeof(int)));
	want = get_int(k, SOL_SOCKET, SO_RCVBUF);
	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_RCVBUF), want);
	close(k);
}

FAMILY_TEST(sockopt, so_type_domain_and_protocol_describe_the_socket)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_DOMAIN), family);
	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
}

FAMILY_TEST(sockopt, so_error_reads_zero_on_a_fresh_socket)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_ERROR), 0);
}

FAMILY_TEST(sockopt, so_reuseaddr_reads_back_what_was_set)
{
	int fd = tst_udp(family);

	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	cr_assert_neq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 0);
	cr_assert_eq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
}

FAMILY_TEST(sockopt, so_rcvtimeo_reads_back_what_was_set)
{
	int fd = tst_udp(family);
	struct timeval tv = { 1, 500000 }, got = { 0, 0 };
	socklen_t len = sizeof(got);

	cr_assert_ok(
		hsk_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	cr_assert_ok(hsk_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	cr_assert_eq(len, sizeof(got));
	cr_assert_eq(got.tv_sec, 1);
	cr_assert_eq(got.tv_usec, 500000);
}

FAMILY_TEST(sockopt, so_bindtodevice_reads_back_the_interface)
{
	int fd = tst_udp(family);
	char name[IFNAMSIZ] = "";
	socklen_t len = sizeof(name);

	cr_assert_ok(hsk_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
				    tst_topo.if_local,
				    strlen(tst_topo.if_local) + 1));
	cr_assert_ok(
		hsk_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len));
	cr_assert_str_eq(name, tst_topo.if_local);
}

FAMILY_TEST(sockopt, no_ancillary_data_when_no_option_is_on)
{
	struct tst_pair p;
	struct msghdr mh;
	char control[256];

	tst_pair_open(&p, family, false, false);
	recv_with_control(&p, "plain", &mh, control, sizeof(control));
	cr_assert_eq(mh.msg_controllen, 0, "msg_controllen %zu",
		     (size_t)mh.msg_controllen);
	cr_assert_eq(mh.msg_flags & MSG_CTRUNC, 0);
}

FAMILY_TEST(sockopt, so_timestampns_gives_a_timestamp_close_to_now)
{
	struct tst_pair p;
	struct msghdr mh;
	struct cmsghdr *c;
	struct timespec ts;
	char control[256];
	double before, after, t;

	tst_pair_open(&p, family, false, false);
	set_int(p.fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	before = tst_realtime();
	recv_with_control(&p, "stamped", &mh, control, sizeof(control));
	after = tst_realtime();
	c = tst_cmsg_find(&mh, SOL_SOCKET, SCM_TIMESTAMPNS);
	cr_assert_not_null(c, "no SCM_TIMESTAMPNS");
	cr_assert_eq(c->cmsg_len, CMSG_LEN(sizeof(ts)));
	memcpy(&ts, CMSG_DATA(c), sizeof(ts));
	t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	cr_assert(t >= before - 0.5 && t <= after + 0.5,
		  "timestamp %.6f outside [%.6f, %.6f]", t, before, after);
}

FAMILY_TEST(sockopt, so_timestamp_gives_a_timeval_close_to_now)
{
	struct tst_pair p;
	struct msghdr mh;
	struct cmsghdr *c;
	struct timeval tv;
	char control[256];
	double before, after, t;

	tst_pair_open(&p, family, false, false);
	set_int(p.fd, SOL_SOCKET, SO_TIMESTAMP, 1);
	before = tst_realtime();
	recv_with_control(&p, "stamped", &mh, control, sizeof(control));
	after = tst_realtime();
	c = tst_cmsg_find(&mh, SOL_SOCKET, SCM_TIMESTAMP);
	cr_assert_not_null(c, "no SCM_TIMESTAMP");
	cr_assert_eq(c->cmsg_len, CMSG_LEN(sizeof(tv)));
	memcpy(&tv, CMSG_DATA(c), sizeof(tv));
	t = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	cr_assert(t >= before - 0.5 && t <= after + 0.5,
		  "timestamp %.6f outside [%.6f, %.6f]", t, before, after);
}

FAMILY_TEST(sockopt, control_buffer_too_small_sets_msg_ctrunc)
{
	struct tst_pair p;
	struct msghdr mh;
	/* Room for the header and 4 bytes: a timespec does not fit. */
	char control[CMSG_LEN(4)];

	tst_pair_open(&p, family, false, false);
	set_int(p.fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	recv_with_control(&p, "cut", &mh, control, sizeof(control));
	cr_assert(mh.msg_flags & MSG_CTRUNC, "msg_flags 0x%x", mh.msg_flags);
}

FAMILY_TEST(sockopt, pktinfo_reports_destination_address_and_ifindex)
{
	struct tst_pair p;
	struct msghdr mh;
	struct cmsghdr *c;
	char control[256];

	tst_pair_open(&p, family, false, false);
	if (family == AF_INET)
		set_int(p.fd, IPPROTO_IP, IP_PKTINFO, 1);
	else
		set_int(p.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	recv_with_control(&p, "where to", &mh, control, sizeof(control));
	if (family == AF_INET) {
		struct in_pktinfo pi;

		c = tst_cmsg_find(&mh, IPPROTO_IP, IP_PKTINFO);
		cr_assert_not_null(c, "no IP_PKTINFO");
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		cr_assert_eq(pi.ipi_ifindex, tst_topo.ifindex_local);
		cr_assert_eq(pi.ipi_addr.s_addr, tst_topo.ip4_local.s_addr);
		cr_assert_eq(pi.ipi_spec_dst.s_addr, tst_topo.ip4_local.s_addr);
	} else {
		struct in6_pktinfo pi;

		c = tst_cmsg_find(&mh, IPPROTO_IPV6, IPV6_PKTINFO);
		cr_assert_not_null(c, "no IPV6_PKTINFO");
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		cr_assert_eq((int)pi.ipi6_ifindex, tst_topo.ifindex_local);
		cr_assert(!memcmp(&pi.ipi6_addr, &tst_topo.ip6_local, 16));
	}
}

/*
 * Overflow the receive buffer: the peer sends @n datagrams to a socket
 * whose SO_RCVBUF is the smallest the kernel allows, after one datagram
 * it has received. Return how many of the @n were queued (drained with
 * MSG_DONTWAIT); the kernel dropped the rest.
 */
static int overflow(struct tst_pair *p, int n)
{
	char msg[1000], buf[1000];
	int i, got = 0;

	tst_fill(msg, sizeof(msg), 42);
	/* A conversation first, as on any network: the peer learns our link
	 * address while we are inside a call (a backend that owns its port
	 * answers ARP and neighbour solicitations only from there). */
	tst_settimeout(p->fd, 5.0);
	tst_peer_send(p, "hi", 2);
	cr_assert_eq(hsk_recv(p->fd, buf, sizeof(buf), 0), 2, "opening: %s",
		     strerror(errno));
	set_int(p->fd, SOL_SOCKET, SO_RCVBUF, 1);
	for (i = 0; i < n; i++)
		tst_peer_send(p, msg, sizeof(msg));
	tst_sleep_ms(200); /* let the last ones cross the veth */
	for (i = 0; i < n; i++) {
		if (hsk_recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
		got++;
	}
	cr_assert_eq(errno, EAGAIN, "draining: %s", strerror(errno));
	cr_assert_lt(got, n, "the receive buffer never overflowed");
	cr_assert_gt(got, 0, "nothing was queued");
	return got;
}

FAMILY_TEST(sockopt, so_rxq_ovfl_reports_the_kernel_drop_count)
{
	enum { N = 64 };
	struct tst_pair p;
	struct msghdr mh;
	struct cmsghdr *c;
	char control[256];
	uint32_t drops;
	int got;

	tst_pair_open(&p, family, false, false);
	set_int(p.fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	got = overflow(&p, N);
	/* The next datagram queued carries the count of drops so far. */
	recv_with_control(&p, "after the flood", &mh, control, sizeof(control));
	c = tst_cmsg_find(&mh, SOL_SOCKET, SO_RXQ_OVFL);
	cr_assert_not_null(c, "no SO_RXQ_OVFL control message");
	cr_assert_eq(c->cmsg_len, CMSG_LEN(sizeof(drops)));
	memcpy(&drops, CMSG_DATA(c), sizeof(drops));
	cr_assert_eq(drops, (uint32_t)(N - got), "drops %u, expected %d", drops,
		     N - got);
}

FAMILY_TEST(sockopt, stats_count_kernel_drops)
{
	enum { N = 64 };
	struct tst_pair p;
	struct hsk_stats st;
	int got;

	tst_pair_open(&p, family, false, false);
	got = overflow(&p, N);
	cr_assert_ok(hsk_stats(p.fd, &st, sizeof(st)));
	cr_assert_eq(st.rx_packets, (uint64_t)got + 1); /* + the opening */
	cr_assert_eq(st.rx_drop_kernel, (uint64_t)(N - got),
		     "rx_drop_kernel %lu, expected %d",
		     (unsigned long)st.rx_drop_kernel, N - got);
}

FAMILY_TEST(sockopt, hop_limit_set_on_the_socket_reaches_the_peer)
{
	struct tst_pair p;
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	char control[256], buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	int hops = 0, level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;

	tst_pair_open(&p, family, true, false);
	if (family == AF_INET) {
		set_int(p.fd, level, IP_TTL, 7);
		cr_assert_ok(setsockopt(p.peer, level, IP_RECVTTL, &(int){ 1 },
					sizeof(int)));
	} else {
		set_int(p.fd, level, IPV6_UNICAST_HOPS, 7);
		cr_assert_ok(setsockopt(p.peer, level, IPV6_RECVHOPLIMIT,
					&(int){ 1 }, sizeof(int)));
	}
	cr_assert_eq(hsk_send(p.fd, "hops", 5, 0), 5);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control;
	mh.msg_controllen = sizeof(control);
	cr_assert(tst_wait_readable(p.peer, 2000), "peer saw nothing");
	cr_assert_eq(recvmsg(p.peer, &mh, MSG_DONTWAIT), 5);
	c = tst_cmsg_find(&mh, level,
			  family == AF_INET ? IP_TTL : IPV6_HOPLIMIT);
	cr_assert_not_null(c, "peer got no hop limit");
	memcpy(&hops, CMSG_DATA(c), sizeof(hops));
	cr_assert_eq(hops, 7);
}

FAMILY_TEST(sockopt, traffic_class_set_on_the_socket_reaches_the_peer)
{
	struct tst_pair p;
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	char control[256], buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int tclass = 0;

	tst_pair_open(&p, family, true, false);
	if (family == AF_INET) {
		set_int(p.fd, level, IP_TOS, 0x28);
		cr_assert_ok(setsockopt(p.peer, level, IP_RECVTOS, &(int){ 1 },
					sizeof(int)));
	} else {
		set_int(p.fd, level, IPV6_TCLASS, 0x28);
		cr_assert_ok(setsockopt(p.peer, level, IPV6_RECVTCLASS,
					&(int){ 1 }, sizeof(int)));
	}
	cr_assert_eq(hsk_send(p.fd, "tos", 4, 0), 4);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control;
	mh.msg_controllen = sizeof(control);
	cr_assert(tst_wait_readable(p.peer, 2000), "peer saw nothing");
	cr_assert_eq(recvmsg(p.peer, &mh, MSG_DONTWAIT), 4);
	if (family == AF_INET) {
		c = tst_cmsg_find(&mh, level, IP_TOS);
		cr_assert_not_null(c, "peer got no TOS");
		tclass = *(unsigned char *)CMSG_DATA(c);
	} else {
		c = tst_cmsg_find(&mh, level, IPV6_TCLASS);
		cr_assert_not_null(c, "peer got no traffic class");
		memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
	}
	cr_assert_eq(tclass, 0x28);
}
