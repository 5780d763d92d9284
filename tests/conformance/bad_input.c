// SPDX-License-Identifier: BSD-3-Clause
/*
 * bad_input.c - every misuse fails with the errno a kernel socket gives
 * for the same call (each one checked against raw kernel syscalls).
 */
#include "hsk_test.h"

#include <math.h>
#include <poll.h>
#include <unistd.h>

/* The longest address length the kernel still rejects as too short. */
static socklen_t short_len(int family)
{
	/* IPv6 accepts the 24 bytes of RFC 2133's struct sockaddr_in6. */
	return family == AF_INET ? sizeof(struct sockaddr_in) - 1 : 23;
}

static void make_pipe(int p[2])
{
	cr_assert_ok(pipe(p));
}

/* A datagram from the peer is queued on the pair's hotsock socket. */
static void queue_one(struct tst_pair *p)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	tst_peer_send(p, "queued", 7);
	cr_assert_eq(hsk_poll(&pfd, 1, 2000), 1, "nothing arrived");
}

Test(bad_input, send_on_descriptor_minus_one_fails_with_ebadf)
{
	cr_assert_fail_errno(hsk_send(-1, "x", 1, 0), EBADF);
}

Test(bad_input, recv_on_descriptor_minus_one_fails_with_ebadf)
{
	char buf[4];

	cr_assert_fail_errno(hsk_recv(-1, buf, sizeof(buf), MSG_DONTWAIT),
			     EBADF);
}

Test(bad_input, send_on_a_pipe_fails_with_enotsock)
{
	int p[2];

	make_pipe(p);
	cr_assert_fail_errno(hsk_send(p[1], "x", 1, 0), ENOTSOCK);
}

Test(bad_input, recv_on_a_pipe_fails_with_enotsock)
{
	int p[2];
	char buf[4];

	make_pipe(p);
	cr_assert_fail_errno(hsk_recv(p[0], buf, sizeof(buf), MSG_DONTWAIT),
			     ENOTSOCK);
}

Test(bad_input, bind_on_a_pipe_fails_with_enotsock)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	int p[2];

	make_pipe(p);
	cr_assert_fail_errno(hsk_bind(p[0], (struct sockaddr *)&in, sizeof(in)),
			     ENOTSOCK);
}

Test(bad_input, getsockopt_on_a_pipe_fails_with_enotsock)
{
	int p[2], v;
	socklen_t len = sizeof(v);

	make_pipe(p);
	cr_assert_fail_errno(
		hsk_getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
}

Test(bad_input, recvmmsg_on_a_pipe_fails_with_enotsock)
{
	char buf[4];
	struct iovec iov = { buf, sizeof(buf) };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	int p[2];

	make_pipe(p);
	cr_assert_fail_errno(hsk_recvmmsg(p[0], &mm, 1, MSG_DONTWAIT, NULL),
			     ENOTSOCK);
}

Test(bad_input, poll_with_null_fds_fails_with_efault)
{
	cr_assert_fail_errno(hsk_poll(NULL, 1, 0), EFAULT);
}

FAMILY_TEST(bad_input, send_on_a_closed_socket_fails_with_ebadf)
{
	struct tst_pair p;

	tst_pair_open(&p, family, true, false);
	cr_assert_ok(hsk_close(p.fd));
	cr_assert_fail_errno(hsk_send(p.fd, "x", 1, 0), EBADF);
	p.fd = -1;
}

FAMILY_TEST(bad_input, bind_to_an_address_of_another_family_fails_eafnosupport)
{
	int fd = tst_udp(family);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(AF_INET6, TST_LOCAL, TST_PORT_LOCAL, &ss);

	/* Long enough for either family, but of the other one. */
	ss.ss_family = family == AF_INET ? AF_INET6 : AF_INET;
	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss, len),
			     EAFNOSUPPORT);
}

NET_TEST(bad_input4, sendto_an_ipv6_address_fails_with_eafnosupport)
{
	int fd = tst_udp_bound(AF_INET, TST_PORT_LOCAL);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(AF_INET6, TST_PEER, TST_PORT_PEER, &ss);

	cr_assert_fail_errno(hsk_sendto(fd, "x", 1, 0, (struct sockaddr *)&ss,
					len),
			     EAFNOSUPPORT);
}

NET_TEST(bad_input6, sendto_a_packet_address_fails_with_einval)
{
	int fd = tst_udp_bound(AF_INET6, TST_PORT_LOCAL);
	struct sockaddr_ll ll;
	socklen_t len =
		tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, tst_topo.mac_peer);

	cr_assert_fail_errno(
		hsk_sendto(fd, "x", 1, 0, (struct sockaddr *)&ll, len), EINVAL);
}

FAMILY_TEST(bad_input, bind_with_a_short_address_fails_with_einval)
{
	int fd = tst_udp(family);
	struct sockaddr_storage ss;

	tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &ss);
	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss,
				      short_len(family)),
			     EINVAL);
}

FAMILY_TEST(bad_input, sendto_with_a_short_address_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;

	tst_addr(family, TST_PEER, TST_PORT_PEER, &ss);
	cr_assert_fail_errno(hsk_sendto(fd, "x", 1, 0, (struct sockaddr *)&ss,
					short_len(family)),
			     EINVAL);
}

FAMILY_TEST(bad_input, connect_with_a_short_address_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;

	tst_addr(family, TST_PEER, TST_PORT_PEER, &ss);
	cr_assert_fail_errno(hsk_connect(fd, (struct sockaddr *)&ss,
					 short_len(family)),
			     EINVAL);
}

FAMILY_TEST(bad_input, bind_to_a_null_address_fails_with_efault)
{
	int fd = tst_udp(family);

	cr_assert_fail_errno(hsk_bind(fd, NULL, sizeof(struct sockaddr_in6)),
			     EFAULT);
}

FAMILY_TEST(bad_input, send_of_a_null_buffer_fails_with_efault)
{
	struct tst_pair p;

	tst_pair_open(&p, family, true, false);
	cr_assert_fail_errno(hsk_send(p.fd, NULL, 10, 0), EFAULT);
}

FAMILY_TEST(bad_input, recv_into_a_null_buffer_fails_with_efault)
{
	struct tst_pair p;

	tst_pair_open(&p, family, false, false);
	queue_one(&p);
	cr_assert_fail_errno(hsk_recv(p.fd, NULL, 10, MSG_DONTWAIT), EFAULT);
}

NET_TEST(bad_input4, send_with_msg_oob_fails_with_eopnotsupp)
{
	struct tst_pair p;

	tst_pair_open(&p, AF_INET, true, false);
	cr_assert_fail_errno(hsk_send(p.fd, "x", 1, MSG_OOB), EOPNOTSUPP);
}

/* udpv6_sendmsg() does not look at MSG_OOB: the datagram goes out. */
NET_TEST(bad_input6, send_with_msg_oob_sends_as_the_kernel_does)
{
	struct tst_pair p;
	char buf[4];

	tst_pair_open(&p, AF_INET6, true, false);
	cr_assert_eq(hsk_send(p.fd, "x", 2, MSG_OOB), 2, "hsk_send: %s",
		     strerror(errno));
	cr_assert_eq(
		tst_kernel_recv(p.peer, buf, sizeof(buf), 2000, NULL, NULL), 2);
}

FAMILY_TEST(bad_input, setsockopt_so_rcvbuf_with_optlen_1_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int v = 65536;

	cr_assert_fail_errno(hsk_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, 1),
			     EINVAL);
}

FAMILY_TEST(bad_input, setsockopt_of_an_unknown_option_fails_enoprotoopt)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int v = 1;

	cr_assert_fail_errno(hsk_setsockopt(fd, SOL_SOCKET, 9999, &v,
					    sizeof(v)),
			     ENOPROTOOPT);
}

FAMILY_TEST(bad_input, getsockopt_of_an_unknown_option_fails_enoprotoopt)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int v;
	socklen_t len = sizeof(v);

	cr_assert_fail_errno(hsk_getsockopt(fd, SOL_SOCKET, 9999, &v, &len),
			     ENOPROTOOPT);
}

FAMILY_TEST(bad_input, setsockopt_at_an_unknown_level_fails_enoprotoopt)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	int v = 1;

	cr_assert_fail_errno(hsk_setsockopt(fd, 12345, 1, &v, sizeof(v)),
			     ENOPROTOOPT);
}

FAMILY_TEST(bad_input, listen_on_udp_fails_with_eopnotsupp)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_listen(fd, 1), EOPNOTSUPP);
}

FAMILY_TEST(bad_input, accept_on_udp_fails_with_eopnotsupp)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_accept(fd, NULL, NULL), EOPNOTSUPP);
}

FAMILY_TEST(bad_input, shutdown_with_a_bad_how_fails_with_einval)
{
	struct tst_pair p;

	tst_pair_open(&p, family, true, false);
	cr_assert_fail_errno(hsk_shutdown(p.fd, 7), EINVAL);
}

FAMILY_TEST(bad_input, shutdown_of_an_unconnected_socket_fails_enotconn)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_shutdown(fd, SHUT_RDWR), ENOTCONN);
}

FAMILY_TEST(bad_input, getsockname_with_a_negative_length_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)-1;

	cr_assert_fail_errno(hsk_getsockname(fd, (struct sockaddr *)&ss, &len),
			     EINVAL);
}

FAMILY_TEST(bad_input, getsockname_with_a_null_length_fails_with_efault)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;

	cr_assert_fail_errno(hsk_getsockname(fd, (struct sockaddr *)&ss, NULL),
			     EFAULT);
}

FAMILY_TEST(bad_input, recvmsg_with_a_null_header_fails_with_efault)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_recvmsg(fd, NULL, MSG_DONTWAIT), EFAULT);
}

FAMILY_TEST(bad_input, sendmsg_with_a_null_header_fails_with_efault)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_sendmsg(fd, NULL, 0), EFAULT);
}

FAMILY_TEST(bad_input, settimeout_nan_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_settimeout(fd, NAN), EINVAL);
}

FAMILY_TEST(bad_input, stats_into_null_fails_with_efault)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_stats(fd, NULL, sizeof(struct hsk_stats)),
			     EFAULT);
}
