// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp_basic.c - UDP datagrams between a hotsock socket and a kernel peer in
 * the other namespace: addressing, connected and unconnected sockets,
 * peek, truncation, sizes, the scatter/gather and batch calls, stats.
 */
#include "hsk_test.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define UDP_MAX4 65507
#define UDP_MAX6 65527

static size_t udp_max(int family)
{
	return family == AF_INET ? UDP_MAX4 : UDP_MAX6;
}

/* Receive one datagram (waiting at most 2 s) and compare it with @want. */
static void recv_expect(int fd, const void *want, size_t len)
{
	char buf[2048];
	ssize_t n;

	cr_assert_leq(len, sizeof(buf));
	tst_settimeout(fd, 2.0);
	n = hsk_recv(fd, buf, sizeof(buf), 0);
	cr_assert_eq(n, (ssize_t)len, "hsk_recv: %zd (%s), expected %zu", n,
		     n < 0 ? strerror(errno) : "length", len);
	cr_assert(!memcmp(buf, want, len), "payload differs");
}

/* The peer receives one datagram (at most 2 s) equal to @want, from us. */
static void peer_expect(struct tst_pair *p, const void *want, size_t len)
{
	static char buf[70000];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	n = tst_kernel_recv(p->peer, buf, sizeof(buf), 2000, &from, &fromlen);
	cr_assert_eq(n, (ssize_t)len, "peer received %zd (%s), expected %zu", n,
		     n < 0 ? strerror(errno) : "length", len);
	cr_assert(!memcmp(buf, want, len), "payload differs");
	tst_assert_addr(&from, fromlen, p->family, TST_LOCAL, TST_PORT_LOCAL);
}

static void stats_of(int fd, struct hsk_stats *st)
{
	cr_assert_ok(hsk_stats(fd, st, sizeof(*st)));
}

FAMILY_TEST(udp, socket_reports_expected_backend)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	tst_assert_backend(fd);
}

FAMILY_TEST(udp, sendto_on_unconnected_socket_reaches_peer)
{
	struct tst_pair p;
	const char msg[] = "sendto unconnected";

	tst_pair_open(&p, family, false, false);
	cr_assert_eq(hsk_sendto(p.fd, msg, sizeof(msg), 0,
				(struct sockaddr *)&p.remote, p.len),
		     (ssize_t)sizeof(msg), "hsk_sendto: %s", strerror(errno));
	peer_expect(&p, msg, sizeof(msg));
}

FAMILY_TEST(udp, recvfrom_gets_payload_and_source_address)
{
	struct tst_pair p;
	const char msg[] = "recvfrom payload";
	struct sockaddr_storage src;
	socklen_t srclen = sizeof(src);
	char buf[64];
	ssize_t n;

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	memset(&src, 0xff, sizeof(src));
	n = hsk_recvfrom(p.fd, buf, sizeof(buf), 0, (struct sockaddr *)&src,
			 &srclen);
	cr_assert_eq(n, (ssize_t)sizeof(msg), "hsk_recvfrom: %zd (%s)", n,
		     strerror(errno));
	cr_assert(!memcmp(buf, msg, sizeof(msg)));
	tst_assert_addr(&src, srclen, family, TST_PEER, TST_PORT_PEER);
}

FAMILY_TEST(udp, send_on_connected_socket_reaches_peer)
{
	struct tst_pair p;
	const char msg[] = "connected send";

	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_send(p.fd, msg, sizeof(msg), 0), (ssize_t)sizeof(msg),
		     "hsk_send: %s", strerror(errno));
	peer_expect(&p, msg, sizeof(msg));
}

FAMILY_TEST(udp, connected_socket_ignores_other_sources)
{
	struct tst_pair p;
	const char intruder[] = "from another port";
	const char msg[] = "from the connected peer";
	char buf[64];
	int other;

	tst_pair_open(&p, family, true, false);
	other = tst_peer_udp(family, TST_PORT_PEER2);
	tst_kernel_sendto(other, intruder, sizeof(intruder), &p.local, p.len);
	tst_sleep_ms(50);
	tst_peer_send(&p, msg, sizeof(msg));
	recv_expect(p.fd, msg, sizeof(msg));
	cr_assert_fail_errno(hsk_recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
	close(other);
}

FAMILY_TEST(udp, send_without_destination_on_unconnected_fails_edestaddrreq)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_send(fd, "x", 1, 0), EDESTADDRREQ);
}

FAMILY_TEST(udp, connect_af_unspec_dissolves_the_association)
{
	struct tst_pair p;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	tst_pair_open(&p, family, true, false);
	cr_assert_ok(hsk_getpeername(p.fd, (struct sockaddr *)&ss, &len));
	cr_assert_ok(hsk_connect(p.fd, &unspec, sizeof(unspec)));
	len = sizeof(ss);
	cr_assert_fail_errno(
		hsk_getpeername(p.fd, (struct sockaddr *)&ss, &len), ENOTCONN);
	cr_assert_fail_errno(hsk_send(p.fd, "x", 1, 0), EDESTADDRREQ);
}

FAMILY_TEST(udp, getsockname_returns_the_bound_address)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	cr_assert_ok(hsk_getsockname(fd, (struct sockaddr *)&ss, &len));
	tst_assert_addr(&ss, len, family, TST_LOCAL, TST_PORT_LOCAL);
}

FAMILY_TEST(udp, bind_to_port_zero_assigns_a_reachable_port)
{
	int fd = tst_udp_bound(family, 0);
	int peer = tst_peer_udp(family, TST_PORT_PEER);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port;
	const char msg[] = "to the ephemeral port";

	cr_assert_ok(hsk_getsockname(fd, (struct sockaddr *)&ss, &len));
	port = tst_addr_port(&ss);
	cr_assert_neq(port, 0);
	tst_assert_addr(&ss, len, family, TST_LOCAL, port);
	tst_kernel_sendto(peer, msg, sizeof(msg), &ss, len);
	recv_expect(fd, msg, sizeof(msg));
}

FAMILY_TEST(udp, getpeername_returns_the_connected_peer)
{
	struct tst_pair p;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	tst_pair_open(&p, family, true, false);
	cr_assert_ok(hsk_getpeername(p.fd, (struct sockaddr *)&ss, &len));
	tst_assert_addr(&ss, len, family, TST_PEER, TST_PORT_PEER);
}

FAMILY_TEST(udp, getpeername_on_unconnected_socket_fails_with_enotconn)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	cr_assert_fail_errno(hsk_getpeername(fd, (struct sockaddr *)&ss, &len),
			     ENOTCONN);
}

FAMILY_TEST(udp, peek_returns_the_same_datagram_again)
{
	struct tst_pair p;
	const char first[] = "first", second[] = "second";
	char buf[32];

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, first, sizeof(first));
	tst_peer_send(&p, second, sizeof(second));
	tst_settimeout(p.fd, 2.0);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_PEEK),
		     (ssize_t)sizeof(first), "peek: %s", strerror(errno));
	cr_assert_str_eq(buf, first);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_PEEK),
		     (ssize_t)sizeof(first));
	cr_assert_str_eq(buf, first);
	recv_expect(p.fd, first, sizeof(first));
	recv_expect(p.fd, second, sizeof(second));
}

FAMILY_TEST(udp, recv_with_msg_trunc_returns_the_full_length)
{
	struct tst_pair p;
	char msg[100], buf[10];

	tst_fill(msg, sizeof(msg), 1);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_TRUNC),
		     (ssize_t)sizeof(msg), "hsk_recv(MSG_TRUNC): %s",
		     strerror(errno));
	cr_assert(!memcmp(buf, msg, sizeof(buf)));
}

FAMILY_TEST(udp, recvmsg_sets_msg_trunc_when_the_datagram_is_cut)
{
	struct tst_pair p;
	char msg[100], buf[10];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	tst_fill(msg, sizeof(msg), 2);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recvmsg(p.fd, &mh, 0), (ssize_t)sizeof(buf),
		     "hsk_recvmsg: %s", strerror(errno));
	cr_assert(mh.msg_flags & MSG_TRUNC, "msg_flags 0x%x", mh.msg_flags);
	cr_assert(!memcmp(buf, msg, sizeof(buf)));
}

FAMILY_TEST(udp, recvmsg_of_a_whole_datagram_clears_msg_flags)
{
	struct tst_pair p;
	char msg[20], buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	tst_fill(msg, sizeof(msg), 3);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	mh.msg_flags = MSG_TRUNC | MSG_CTRUNC;
	cr_assert_eq(hsk_recvmsg(p.fd, &mh, 0), (ssize_t)sizeof(msg),
		     "hsk_recvmsg: %s", strerror(errno));
	cr_assert_eq(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC), 0,
		     "msg_flags 0x%x", mh.msg_flags);
}

FAMILY_TEST(udp, recv_dontwait_with_nothing_queued_fails_with_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[8];

	cr_assert_lt(hsk_gettimeout(fd), 0.0, "starts in blocking mode");
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
}

FAMILY_TEST(udp, empty_datagram_from_peer_is_received_as_zero_bytes)
{
	struct tst_pair p;
	struct sockaddr_storage src;
	socklen_t srclen = sizeof(src);
	char buf[16];

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, "", 0);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recvfrom(p.fd, buf, sizeof(buf), 0,
				  (struct sockaddr *)&src, &srclen),
		     0, "hsk_recvfrom: %s", strerror(errno));
	tst_assert_addr(&src, srclen, family, TST_PEER, TST_PORT_PEER);
	cr_assert_fail_errno(hsk_recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
}

FAMILY_TEST(udp, empty_datagram_to_peer_arrives_as_zero_bytes)
{
	struct tst_pair p;
	char buf[1];

	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_send(p.fd, buf, 0, 0), 0, "hsk_send: %s",
		     strerror(errno));
	peer_expect(&p, buf, 0);
}

FAMILY_TEST(udp, largest_datagram_is_sent_whole)
{
	struct tst_pair p;
	size_t max = udp_max(family);
	char *msg = malloc(max);

	cr_assert_not_null(msg);
	tst_fill(msg, max, 4);
	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_send(p.fd, msg, max, 0), (ssize_t)max,
		     "hsk_send(%zu): %s", max, strerror(errno));
	peer_expect(&p, msg, max);
	free(msg);
}

FAMILY_TEST(udp, largest_datagram_is_received_whole)
{
	struct tst_pair p;
	size_t max = udp_max(family);
	char *msg, *buf;
	ssize_t n;

	tst_skip_where_fragments_cannot_arrive(family);
	msg = malloc(max);
	buf = malloc(max + 100);
	cr_assert(msg && buf);
	tst_fill(msg, max, 5);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, max);
	tst_settimeout(p.fd, 2.0);
	n = hsk_recv(p.fd, buf, max + 100, 0);
	cr_assert_eq(n, (ssize_t)max, "hsk_recv: %zd (%s)", n, strerror(errno));
	cr_assert(!memcmp(buf, msg, max));
	free(msg);
	free(buf);
}

FAMILY_TEST(udp, datagram_one_byte_over_the_maximum_fails_with_emsgsize)
{
	struct tst_pair p;
	size_t len = udp_max(family) + 1;
	char *msg = calloc(1, len);

	cr_assert_not_null(msg);
	tst_pair_open(&p, family, true, false);
	cr_assert_fail_errno(hsk_send(p.fd, msg, len, 0), EMSGSIZE);
	free(msg);
}

FAMILY_TEST(udp, sendmsg_gathers_iovecs_into_one_datagram)
{
	struct tst_pair p;
	char a[] = "gather-", b[] = "these-", c[] = "parts";
	struct iovec iov[3] = { { a, strlen(a) },
				{ b, strlen(b) },
				{ c, strlen(c) + 1 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
	const char want[] = "gather-these-parts";

	tst_pair_open(&p, family, false, false);
	mh.msg_name = &p.remote;
	mh.msg_namelen = p.len;
	cr_assert_eq(hsk_sendmsg(p.fd, &mh, 0), (ssize_t)sizeof(want),
		     "hsk_sendmsg: %s", strerror(errno));
	peer_expect(&p, want, sizeof(want));
}

FAMILY_TEST(udp, recvmsg_scatters_into_iovecs_and_fills_the_source)
{
	struct tst_pair p;
	char msg[30], a[10], b[10], c[20];
	struct iovec iov[3] = { { a, sizeof(a) },
				{ b, sizeof(b) },
				{ c, sizeof(c) } };
	struct sockaddr_storage src;
	struct msghdr mh = { .msg_name = &src,
			     .msg_namelen = sizeof(src),
			     .msg_iov = iov,
			     .msg_iovlen = 3 };

	tst_fill(msg, sizeof(msg), 6);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recvmsg(p.fd, &mh, 0), (ssize_t)sizeof(msg),
		     "hsk_recvmsg: %s", strerror(errno));
	cr_assert(!memcmp(a, msg, 10));
	cr_assert(!memcmp(b, msg + 10, 10));
	cr_assert(!memcmp(c, msg + 20, 10));
	tst_assert_addr(&src, mh.msg_namelen, family, TST_PEER, TST_PORT_PEER);
	cr_assert_eq(mh.msg_flags & MSG_TRUNC, 0);
}

FAMILY_TEST(udp, sendmmsg_sends_each_message_as_a_datagram)
{
	struct tst_pair p;
	char m0[] = "one", m1[] = "two two", m2[] = "three three three";
	struct iovec iov[3] = { { m0, sizeof(m0) },
				{ m1, sizeof(m1) },
				{ m2, sizeof(m2) } };
	struct mmsghdr mm[3];
	int i;

	tst_pair_open(&p, family, true, false);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	cr_assert_eq(hsk_sendmmsg(p.fd, mm, 3, 0), 3, "hsk_sendmmsg: %s",
		     strerror(errno));
	for (i = 0; i < 3; i++)
		cr_assert_eq(mm[i].msg_len, iov[i].iov_len, "msg_len[%d]", i);
	peer_expect(&p, m0, sizeof(m0));
	peer_expect(&p, m1, sizeof(m1));
	peer_expect(&p, m2, sizeof(m2));
}

FAMILY_TEST(udp, sendmmsg_sends_each_message_to_its_own_address)
{
	enum { N = 6 };
	struct tst_pair p;
	struct sockaddr_storage to[2];
	socklen_t tolen[2];
	struct iovec iov[N];
	struct mmsghdr mm[N];
	char msg[N][16], buf[64];
	int peer[2], i;

	tst_pair_open(&p, family, false, false);
	peer[0] = p.peer;
	peer[1] = tst_peer_udp(family, TST_PORT_PEER2);
	tolen[0] = tst_addr(family, TST_PEER, TST_PORT_PEER, &to[0]);
	tolen[1] = tst_addr(family, TST_PEER, TST_PORT_PEER2, &to[1]);
	/* The peer speaks first: its neighbour entry exists, as in a
	 * conversation, so a fast path can take every message. */
	tst_peer_send(&p, "hi", 2);
	recv_expect(p.fd, "hi", 2);
	memset(mm, 0, sizeof(mm));
	/* Two messages to one, one to the other, and back: a destination
	 * carried over from the message before would show. */
	for (i = 0; i < N; i++) {
		int d = i % 3 == 2;

		snprintf(msg[i], sizeof(msg[i]), "message %d", i);
		iov[i] = (struct iovec){ msg[i], strlen(msg[i]) };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &to[d];
		mm[i].msg_hdr.msg_namelen = tolen[d];
	}
	cr_assert_eq(hsk_sendmmsg(p.fd, mm, N, 0), N, "hsk_sendmmsg: %s",
		     strerror(errno));
	for (i = 0; i < N; i++) {
		int d = i % 3 == 2;
		ssize_t r = tst_kernel_recv(peer[d], buf, sizeof(buf), 2000,
					    NULL, NULL);

		cr_assert_eq(r, (ssize_t)strlen(msg[i]), "message %d: %zd", i,
			     r);
		cr_assert_arr_eq(buf, msg[i], (size_t)r, "message %d", i);
	}
	close(peer[1]);
}

FAMILY_TEST(udp, recv_with_msg_nosignal_receives_as_without)
{
	struct tst_pair p;
	const char msg[] = "no signal on receive";
	char buf[64];

	/* sockperf passes it; the kernel ignores it on receive. */
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_NOSIGNAL),
		     (ssize_t)sizeof(msg), "hsk_recv: %s", strerror(errno));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
}

FAMILY_TEST(udp, recvmmsg_receives_every_queued_datagram)
{
	enum { N = 5, VLEN = 8 };
	struct tst_pair p;
	char bufs[VLEN][64], msg[N][40];
	struct iovec iov[VLEN];
	struct sockaddr_storage src[VLEN];
	struct mmsghdr mm[VLEN];
	int got = 0, calls, i, n;

	tst_pair_open(&p, family, false, false);
	for (i = 0; i < N; i++) {
		tst_fill(msg[i], sizeof(msg[i]), 10 + i);
		tst_peer_send(&p, msg[i], 20 + i);
	}
	tst_settimeout(p.fd, 2.0);
	for (calls = 0; calls < N && got < N; calls++) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < VLEN; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &src[i];
			mm[i].msg_hdr.msg_namelen = sizeof(src[i]);
		}
		n = hsk_recvmmsg(p.fd, mm, VLEN, 0, NULL);
		cr_assert_geq(n, 1, "hsk_recvmmsg: %d (%s)", n,
			      strerror(errno));
		cr_assert_leq(got + n, N, "more datagrams than were sent");
		for (i = 0; i < n; i++, got++) {
			cr_assert_eq(mm[i].msg_len, 20u + got, "msg_len");
			cr_assert(!memcmp(bufs[i], msg[got], 20 + got),
				  "datagram %d differs", got);
			tst_assert_addr(&src[i], mm[i].msg_hdr.msg_namelen,
					family, TST_PEER, TST_PORT_PEER);
		}
	}
	cr_assert_eq(got, N);
}

FAMILY_TEST(udp, sendall_sends_one_datagram)
{
	struct tst_pair p;
	char msg[1000];

	tst_fill(msg, sizeof(msg), 7);
	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_sendall(p.fd, msg, sizeof(msg), 0),
		     (ssize_t)sizeof(msg), "hsk_sendall: %s", strerror(errno));
	peer_expect(&p, msg, sizeof(msg));
	/* One datagram, not several. */
	cr_assert_lt(tst_kernel_recv(p.peer, msg, sizeof(msg), 100, NULL, NULL),
		     0);
}

FAMILY_TEST(udp, recv_after_close_fails_with_ebadf)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[8];

	cr_assert_ok(hsk_close(fd));
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EBADF);
}

FAMILY_TEST(udp, stats_count_received_datagrams_and_bytes)
{
	struct tst_pair p;
	struct hsk_stats st;
	char msg[30];
	int i;

	tst_fill(msg, sizeof(msg), 8);
	tst_pair_open(&p, family, false, false);
	for (i = 1; i <= 3; i++)
		tst_peer_send(&p, msg, 10 * i);
	for (i = 1; i <= 3; i++)
		recv_expect(p.fd, msg, 10 * i);
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_packets, 3);
	cr_assert_eq(st.rx_bytes, 60);
	cr_assert_eq(st.rx_fast_path + st.rx_kernel_path, 3,
		     "fast %lu + kernel %lu", (unsigned long)st.rx_fast_path,
		     (unsigned long)st.rx_kernel_path);
	if (!strcmp(hsk_backend_name(p.fd), "kernel"))
		cr_assert_eq(st.rx_kernel_path, 3);
	/* dpdk owns the port: the kernel has nothing to deliver. */
	if (!strcmp(hsk_backend_name(p.fd), "dpdk"))
		cr_assert_eq(st.rx_fast_path, 3);
	cr_assert_eq(st.rx_truncated, 0);
}

FAMILY_TEST(udp, stats_count_sent_datagrams_and_bytes)
{
	struct tst_pair p;
	struct hsk_stats st;
	char msg[200];

	tst_fill(msg, sizeof(msg), 9);
	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_send(p.fd, msg, 100, 0), 100);
	cr_assert_eq(hsk_send(p.fd, msg, 200, 0), 200);
	peer_expect(&p, msg, 100);
	peer_expect(&p, msg, 200);
	stats_of(p.fd, &st);
	cr_assert_eq(st.tx_packets, 2);
	cr_assert_eq(st.tx_bytes, 300);
	cr_assert_eq(st.tx_fast_path + st.tx_kernel_path, 2);
	if (!strcmp(hsk_backend_name(p.fd), "kernel"))
		cr_assert_eq(st.tx_kernel_path, 2);
	if (!strcmp(hsk_backend_name(p.fd), "dpdk"))
		cr_assert_eq(st.tx_fast_path, 2);
	cr_assert_eq(st.tx_errors, 0);
}

FAMILY_TEST(udp, stats_count_truncated_deliveries)
{
	struct tst_pair p;
	struct hsk_stats st;
	char msg[100], buf[10];

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_truncated, 1);
	cr_assert_eq(st.rx_packets, 1);
}

FAMILY_TEST(udp, stats_count_failed_sends)
{
	struct tst_pair p;
	struct hsk_stats st;
	size_t len = udp_max(family) + 1;
	char *msg = calloc(1, len);

	cr_assert_not_null(msg);
	tst_pair_open(&p, family, true, false);
	cr_assert_fail_errno(hsk_send(p.fd, msg, len, 0), EMSGSIZE);
	stats_of(p.fd, &st);
	cr_assert_eq(st.tx_errors, 1);
	cr_assert_eq(st.tx_packets, 0);
	free(msg);
}

FAMILY_TEST(udp, rebinding_a_bound_socket_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TST_PORT_PEER, &ss);

	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss, len), EINVAL);
}

FAMILY_TEST(udp, bind_to_a_port_in_use_fails_with_eaddrinuse)
{
	int fd = tst_udp(family);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &ss);

	tst_udp_bound(family, TST_PORT_LOCAL);
	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss, len),
			     EADDRINUSE);
}

FAMILY_TEST(udp, bind_to_a_foreign_address_fails_with_eaddrnotavail)
{
	int fd = tst_udp(family);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &ss);

	if (family == AF_INET)
		inet_pton(AF_INET, "198.18.0.9",
			  &((struct sockaddr_in *)&ss)->sin_addr);
	else
		inet_pton(AF_INET6, "2001:2::9",
			  &((struct sockaddr_in6 *)&ss)->sin6_addr);
	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss, len),
			     EADDRNOTAVAIL);
}

FAMILY_TEST(udp, connected_recv_reports_econnrefused_after_port_unreachable)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage closed;
	socklen_t len = tst_addr(family, TST_PEER, TST_PORT_PEER2, &closed);
	char buf[8];

	/* Nothing listens on the peer's port: it answers ICMP unreachable. */
	cr_assert_ok(hsk_connect(fd, (struct sockaddr *)&closed, len));
	cr_assert_eq(hsk_send(fd, "x", 1, 0), 1, "hsk_send: %s",
		     strerror(errno));
	tst_settimeout(fd, 2.0);
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ECONNREFUSED);
}

NET_TEST(udp4, broadcast_without_so_broadcast_fails_with_eacces)
{
	int fd = tst_udp_bound(AF_INET, TST_PORT_LOCAL);
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(TST_PORT_PEER) };

	inet_pton(AF_INET, TOPO_IP4_BROADCAST, &dst.sin_addr);
	cr_assert_fail_errno(hsk_sendto(fd, "x", 1, 0, (struct sockaddr *)&dst,
					sizeof(dst)),
			     EACCES);
}

NET_TEST(udp4, broadcast_with_so_broadcast_reaches_the_peer)
{
	int fd = tst_udp_bound(AF_INET, TST_PORT_LOCAL);
	int peer = topo_peer_socket(&tst_topo, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(TST_PORT_PEER),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr_in dst = any;
	struct sockaddr_storage from;
	socklen_t fromlen;
	const char msg[] = "to everyone on hsk0";
	char buf[64];
	int one = 1;

	cr_assert_geq(peer, 0);
	cr_assert_ok(bind(peer, (struct sockaddr *)&any, sizeof(any)));
	inet_pton(AF_INET, TOPO_IP4_BROADCAST, &dst.sin_addr);
	cr_assert_ok(hsk_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one,
				    sizeof(one)));
	cr_assert_eq(hsk_sendto(fd, msg, sizeof(msg), 0,
				(struct sockaddr *)&dst, sizeof(dst)),
		     (ssize_t)sizeof(msg), "hsk_sendto: %s", strerror(errno));
	cr_assert_eq(tst_kernel_recv(peer, buf, sizeof(buf), 2000, &from,
				     &fromlen),
		     (ssize_t)sizeof(msg));
	cr_assert_str_eq(buf, msg);
	tst_assert_addr(&from, fromlen, AF_INET, TST_LOCAL, TST_PORT_LOCAL);
}

FAMILY_TEST(udp, sendmmsg_stops_at_the_first_failure_and_counts_what_went)
{
	struct tst_pair p;
	size_t big = udp_max(family) + 1;
	char small[] = "goes out", *huge = calloc(1, big);
	struct iovec iov[2] = { { small, sizeof(small) }, { huge, big } };
	struct mmsghdr mm[2];
	char buf[16];
	int i;

	cr_assert_not_null(huge);
	tst_pair_open(&p, family, true, false);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	cr_assert_eq(hsk_sendmmsg(p.fd, mm, 2, 0), 1, "hsk_sendmmsg: %s",
		     strerror(errno));
	cr_assert_eq(mm[0].msg_len, sizeof(small));
	peer_expect(&p, small, sizeof(small));
	cr_assert_lt(tst_kernel_recv(p.peer, buf, sizeof(buf), 100, NULL, NULL),
		     0, "a second datagram went out");
	free(huge);
}

FAMILY_TEST(udp, getsockname_into_a_short_buffer_reports_the_full_length)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct sockaddr_storage ss, want;
	socklen_t wlen = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &want);
	socklen_t len = 4;

	memset(&ss, 0xee, sizeof(ss));
	cr_assert_ok(hsk_getsockname(fd, (struct sockaddr *)&ss, &len));
	cr_assert_eq(len, wlen, "length %u, expected %u", (unsigned)len,
		     (unsigned)wlen);
	cr_assert(!memcmp(&ss, &want, 4), "the first 4 bytes differ");
	cr_assert_eq(((unsigned char *)&ss)[4], 0xee, "wrote past 4 bytes");
}

FAMILY_TEST(udp, recvfrom_into_a_short_address_buffer_reports_the_full_length)
{
	struct tst_pair p;
	struct sockaddr_storage src, want;
	socklen_t wlen = tst_addr(family, TST_PEER, TST_PORT_PEER, &want);
	socklen_t srclen = 4;
	char buf[16];

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, "short", 6);
	tst_settimeout(p.fd, 2.0);
	memset(&src, 0xee, sizeof(src));
	cr_assert_eq(hsk_recvfrom(p.fd, buf, sizeof(buf), 0,
				  (struct sockaddr *)&src, &srclen),
		     6, "hsk_recvfrom: %s", strerror(errno));
	cr_assert_eq(srclen, wlen, "length %u, expected %u", (unsigned)srclen,
		     (unsigned)wlen);
	cr_assert(!memcmp(&src, &want, 4), "the first 4 bytes differ");
	cr_assert_eq(((unsigned char *)&src)[4], 0xee, "wrote past 4 bytes");
}

FAMILY_TEST(udp, sock_nonblock_socket_recv_fails_with_eagain)
{
	int fd = hsk_socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL, &ss);
	char buf[8];

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	tst_assert_backend(fd);
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ss, len));
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
}

FAMILY_TEST(udp, hundred_datagrams_arrive_whole_and_in_order)
{
	enum { N = 100 };
	struct tst_pair p;
	char msg[200], buf[256];
	ssize_t n;
	int i;

	tst_pair_open(&p, family, false, false);
	for (i = 0; i < N; i++) {
		tst_fill(msg, sizeof(msg), (unsigned int)i);
		tst_peer_send(&p, msg, 100 + (size_t)i);
	}
	tst_settimeout(p.fd, 2.0);
	for (i = 0; i < N; i++) {
		n = hsk_recv(p.fd, buf, sizeof(buf), 0);
		cr_assert_eq(n, 100 + i, "datagram %d: %zd (%s)", i, n,
			     strerror(errno));
		tst_fill(msg, sizeof(msg), (unsigned int)i);
		cr_assert(!memcmp(buf, msg, (size_t)n), "datagram %d", i);
	}
}

/* Two threads receive on one socket: each datagram goes to one of them. */
struct receiver {
	int fd;
	int count;
	unsigned char seen[256];
	int duplicates, errors;
};

static void *receiver_thread(void *arg)
{
	struct receiver *r = arg;
	unsigned char buf[16];
	ssize_t n;

	for (;;) {
		n = hsk_recv(r->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != ETIMEDOUT)
				r->errors++;
			return NULL;
		}
		if (n != 1) {
			r->errors++;
			continue;
		}
		if (r->seen[buf[0]]++)
			r->duplicates++;
		r->count++;
	}
}

FAMILY_TEST(udp, two_threads_receiving_get_each_datagram_once)
{
	enum { N = 200 };
	struct tst_pair p;
	struct receiver r[2];
	pthread_t th[2];
	unsigned char id;
	int i;

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 1.0);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].fd = p.fd;
		cr_assert_eq(pthread_create(&th[i], NULL, receiver_thread,
					    &r[i]),
			     0);
	}
	for (i = 0; i < N; i++) {
		id = (unsigned char)i;
		tst_peer_send(&p, &id, 1);
		if (i % 20 == 19)
			tst_sleep_ms(5); /* stay within the receive buffer */
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(r[0].errors + r[1].errors, 0);
	cr_assert_eq(r[0].duplicates + r[1].duplicates, 0);
	for (i = 0; i < N; i++)
		cr_assert_eq(r[0].seen[i] + r[1].seen[i], 1,
			     "datagram %d received %d times", i,
			     r[0].seen[i] + r[1].seen[i]);
	cr_assert_eq(r[0].count + r[1].count, N);
}
