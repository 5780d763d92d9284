// SPDX-License-Identifier: BSD-3-Clause
/*
 * What the AF_XDP fast path promises beyond the conformance suite: traffic
 * goes through it (the counters say so), traffic it does not claim still
 * reaches the kernel, what it cannot handle arrives through the kernel,
 * and malformed frames are counted and dropped, never delivered.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "fastpath.h"

static void stats_of(int fd, struct hsk_stats *st)
{
	cr_assert_ok(hsk_stats(fd, st, sizeof(*st)));
}

/* Receives exactly @len bytes on @fd (timeout mode asserted). */
static void recv_exactly(int fd, size_t len)
{
	char buf[65536];
	ssize_t r = hsk_recv(fd, buf, sizeof(buf), 0);

	cr_assert_eq(r, (ssize_t)len, "hsk_recv: %zd (%s)", r,
		     r < 0 ? strerror(errno) : "length");
}

FAMILY_TEST(xdp, datagrams_from_the_peer_take_the_fast_path)
{
	struct tst_pair p;
	struct hsk_stats st;
	char msg[64];

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 5.0);
	for (int i = 0; i < 10; i++) {
		tst_fill(msg, sizeof(msg), (unsigned int)i);
		tst_peer_send(&p, msg, sizeof(msg));
		recv_exactly(p.fd, sizeof(msg));
	}
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_fast_path, 10, "rx_fast_path %llu",
		     (unsigned long long)st.rx_fast_path);
	cr_assert_eq(st.rx_kernel_path, 0);
	tst_pair_close(&p);
}

FAMILY_TEST(xdp, sends_to_a_known_neighbour_take_the_fast_path)
{
	struct tst_pair p;
	struct hsk_stats st;
	char msg[64], buf[128];

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 5.0);
	/* The peer's first datagram makes the kernel learn its address. */
	tst_peer_send(&p, "hello", 5);
	recv_exactly(p.fd, 5);
	for (int i = 0; i < 10; i++) {
		tst_fill(msg, sizeof(msg), (unsigned int)i);
		cr_assert_eq(hsk_sendto(p.fd, msg, sizeof(msg), 0,
					(struct sockaddr *)&p.remote, p.len),
			     (ssize_t)sizeof(msg));
		cr_assert_eq(tst_kernel_recv(p.peer, buf, sizeof(buf), 2000,
					     NULL, NULL),
			     (ssize_t)sizeof(msg));
		tst_fill(buf + sizeof(msg), sizeof(msg), (unsigned int)i);
		cr_assert_arr_eq(buf, buf + sizeof(msg), sizeof(msg));
	}
	stats_of(p.fd, &st);
	cr_assert_geq(st.tx_fast_path, 9, "tx_fast_path %llu",
		      (unsigned long long)st.tx_fast_path);
	tst_pair_close(&p);
}

/* Far more than the rings hold: completions must come back to a socket
 * that never receives. */
FAMILY_TEST(xdp, a_socket_that_only_sends_keeps_sending)
{
	enum { N = 10000, BATCH = 32 };
	struct tst_pair p;
	struct hsk_stats st;
	struct mmsghdr mm[BATCH];
	struct iovec iov = { "x", 1 };
	int rcvbuf = 16 << 20, got = 0, sent = 0;
	char buf[16];

	tst_pair_open(&p, family, true, false);
	tst_settimeout(p.fd, 5.0);
	cr_assert_ok(setsockopt(p.peer, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)));
	/* Let the kernel learn the peer, so the fast path can send. */
	tst_peer_send(&p, "hi", 2);
	recv_exactly(p.fd, 2);
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < N) {
		int k = hsk_sendmmsg(p.fd, mm, BATCH, 0);

		cr_assert_gt(k, 0, "after %d: %s", sent, strerror(errno));
		sent += k;
		/* Stay within what the peer's buffer holds. */
		while (sent - got > 4096 &&
		       tst_kernel_recv(p.peer, buf, sizeof(buf), 2000, NULL,
				       NULL) == 1)
			got++;
	}
	while (got < sent && tst_kernel_recv(p.peer, buf, sizeof(buf), 2000,
					     NULL, NULL) == 1)
		got++;
	cr_assert_eq(got, sent, "the peer got %d of %d", got, sent);
	stats_of(p.fd, &st);
	cr_assert_geq(st.tx_fast_path, (uint64_t)N);
	tst_pair_close(&p);
}

FAMILY_TEST(xdp, a_kernel_socket_on_another_port_still_receives)
{
	struct tst_pair p;
	struct sockaddr_storage other;
	socklen_t len = tst_addr(family, TST_LOCAL, TST_PORT_LOCAL + 10,
				 &other);
	int k = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char buf[64];

	tst_pair_open(&p, family, false, false);
	cr_assert_geq(k, 0);
	cr_assert_ok(bind(k, (struct sockaddr *)&other, len));
	tst_kernel_sendto(p.peer, "kernel", 6, &other, len);
	cr_assert_eq(tst_kernel_recv(k, buf, sizeof(buf), 2000, NULL, NULL), 6);
	close(k);
	tst_pair_close(&p);
}

NET_TEST(xdp4, ping_to_the_local_address_is_answered)
{
	struct tst_pair p;

	tst_pair_open(&p, AF_INET, false, false);
	cr_assert_eq(topo_run_peer(&tst_topo, "ping -c 1 -W 2 %s >/dev/null",
				   TOPO_IP4_LOCAL),
		     0);
	tst_pair_close(&p);
}

NET_TEST(xdp6, ping_to_the_local_address_is_answered)
{
	struct tst_pair p;

	tst_pair_open(&p, AF_INET6, false, false);
	cr_assert_eq(topo_run_peer(&tst_topo,
				   "ping -6 -c 1 -W 2 %s >/dev/null",
				   TOPO_IP6_LOCAL),
		     0);
	tst_pair_close(&p);
}

FAMILY_TEST(xdp, a_fragmented_datagram_arrives_whole_by_the_kernel)
{
	static char msg[4000], buf[8000];
	struct tst_pair p;
	struct hsk_stats st;

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_fill(msg, sizeof(msg), 42);
	tst_peer_send(&p, msg, sizeof(msg));
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_kernel_path, 1);
	tst_pair_close(&p);
}

FAMILY_TEST(xdp, a_datagram_above_the_mtu_leaves_whole_by_the_kernel)
{
	static char msg[4000], buf[8000];
	struct tst_pair p;
	struct hsk_stats st;

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_peer_send(&p, "hello", 5);
	recv_exactly(p.fd, 5);
	tst_fill(msg, sizeof(msg), 7);
	cr_assert_eq(hsk_sendto(p.fd, msg, sizeof(msg), 0,
				(struct sockaddr *)&p.remote, p.len),
		     (ssize_t)sizeof(msg));
	cr_assert_eq(tst_kernel_recv(p.peer, buf, sizeof(buf), 2000, NULL,
				     NULL),
		     (ssize_t)sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	stats_of(p.fd, &st);
	cr_assert_eq(st.tx_kernel_path, 1);
	tst_pair_close(&p);
}

/* ---- malformed frames, sent raw by the peer ------------------------- */

NET_TEST(xdp4, ip_length_beyond_the_frame_is_counted_and_dropped)
{
	tst_damaged_is_dropped(TST_IP_LENGTH_BEYOND_FRAME, TST_COUNTED_MALFORMED);
}

NET_TEST(xdp4, udp_length_beyond_the_ip_payload_is_counted_and_dropped)
{
	tst_damaged_is_dropped(TST_UDP_LENGTH_BEYOND_IP, TST_COUNTED_MALFORMED);
}

NET_TEST(xdp4, a_bad_udp_checksum_is_counted_and_dropped)
{
	tst_damaged_is_dropped(TST_BAD_UDP_CHECKSUM, TST_COUNTED_CHECKSUM);
}

NET_TEST(xdp4, a_bad_ip_header_checksum_is_counted_and_dropped)
{
	tst_damaged_is_dropped(TST_BAD_IP_CHECKSUM, TST_COUNTED_CHECKSUM);
}

/* The program passes these to the kernel, which drops them itself. */
NET_TEST(xdp4, an_ihl_below_five_never_reaches_the_socket)
{
	tst_damaged_is_dropped(TST_IHL_BELOW_FIVE, TST_NOT_COUNTED);
}

NET_TEST(xdp4, a_truncated_udp_header_never_reaches_the_socket)
{
	tst_damaged_is_dropped(TST_TRUNCATED_UDP_HEADER, TST_NOT_COUNTED);
}

/* An IPv6 datagram behind a hop-by-hop header: the program leaves it to
 * the kernel, which delivers it through the shadow socket. */
NET_TEST(xdp6, a_datagram_behind_an_extension_header_arrives_by_the_kernel)
{
	static const char msg[] = "extension";
	const size_t plen = sizeof(msg), ulen = 8 + plen;
	uint8_t f[256] = { 0 }, *ip = f + 14, *hbh = ip + 40, *udp = hbh + 8;
	struct tst_pair p;
	struct hsk_stats st;
	uint32_t sum = 0;
	uint16_t c;
	char buf[64];
	int raw;

	tst_pair_open(&p, AF_INET6, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_peer_send(&p, "hello", 5);
	recv_exactly(p.fd, 5);
	memcpy(f, tst_topo.mac_local, 6);
	memcpy(f + 6, tst_topo.mac_peer, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((8 + ulen) >> 8);
	ip[5] = (uint8_t)(8 + ulen);
	ip[6] = 0; /* hop-by-hop options */
	ip[7] = 64;
	memcpy(ip + 8, &tst_topo.ip6_peer, 16);
	memcpy(ip + 24, &tst_topo.ip6_local, 16);
	hbh[0] = IPPROTO_UDP;
	hbh[1] = 0;    /* 8 bytes */
	hbh[2] = 1;    /* PadN */
	hbh[3] = 4;
	udp[0] = TST_PORT_PEER >> 8;
	udp[1] = TST_PORT_PEER & 0xff;
	udp[2] = TST_PORT_LOCAL >> 8;
	udp[3] = TST_PORT_LOCAL & 0xff;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, msg, plen);
	for (int i = 8; i < 40; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += (uint32_t)ulen + IPPROTO_UDP;
	c = ref_csum(ref_sum(sum, udp, ulen));
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	raw = tst_peer_packet(SOCK_RAW, ETHERTYPE_IPV6);
	cr_assert_eq(send(raw, f, 14 + 40 + 8 + ulen, 0),
		     (ssize_t)(14 + 40 + 8 + ulen));
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0), (ssize_t)plen);
	cr_assert_str_eq(buf, msg);
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_kernel_path, 1);
	close(raw);
	tst_pair_close(&p);
}

/* ---- a sustained run ------------------------------------------------- */

Test(xdp4, a_million_datagrams_arrive_none_lost_duplicated_or_corrupted,
     .init = tst_topo_init, .fini = tst_topo_fini, .timeout = 240.0)
{
	struct tst_pair p;

	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_run_arrives_whole(&p);
	tst_pair_close(&p);
}

/* ---- lifecycle ------------------------------------------------------- */

NET_TEST(xdp4, a_program_left_by_a_dead_process_does_not_block_the_next)
{
	struct tst_pair p;
	pid_t child = fork();
	int status;

	cr_assert_geq(child, 0);
	if (!child) {
		/* Attach, then die without a chance to clean up. */
		int fd = tst_udp_bound(AF_INET, TST_PORT_LOCAL + 1);

		(void)fd;
		kill(getpid(), SIGKILL);
		_exit(1); /* not reached */
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFSIGNALED(status));
	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_peer_send(&p, "after", 5);
	recv_exactly(p.fd, 5);
	tst_pair_close(&p);
}

NET_TEST(xdp4, the_program_leaves_with_the_last_socket)
{
	struct tst_pair p;

	tst_pair_open(&p, AF_INET, false, false);
	cr_assert_eq(topo_run_local(&tst_topo,
				    "ip link show %s | grep -q ' xdp'",
				    TOPO_IF_LOCAL),
		     0, "no XDP program while a socket is open");
	tst_pair_close(&p);
	cr_assert_neq(topo_run_local(&tst_topo,
				     "ip link show %s | grep -q ' xdp'",
				     TOPO_IF_LOCAL),
		      0, "the XDP program stayed after the last close");
}

/* Whether hotsock's program is on hsk0 now. */
static bool program_attached(void)
{
	int st = topo_run_local(&tst_topo, "ip link show %s | grep -q ' xdp'",
				TOPO_IF_LOCAL);

	cr_assert(st == 0 || st == 1, "ip link show: status %d", st);
	return st == 0;
}

/* A packet socket of hsk0 for every ethertype, sharing its frames with
 * the kernel (no HOTSOCK_PACKET_EXCLUSIVE here). */
static int shared_packet_socket(void)
{
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, ETH_P_ALL, NULL);
	int fd = hsk_socket(AF_PACKET, SOCK_RAW, 0);

	cr_assert_geq(fd, 0, "hsk_socket(AF_PACKET): %s", strerror(errno));
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ll, len));
	cr_assert_str_eq(hsk_backend_name(fd), "af_xdp");
	return fd;
}

NET_TEST(xdp4, a_shared_packet_socket_alone_leaves_no_program_attached)
{
	int fd = shared_packet_socket();

	cr_assert_not(program_attached(),
		      "a program on %s with only a shared packet socket",
		      TOPO_IF_LOCAL);
	hsk_close(fd);
}

NET_TEST(xdp4, a_udp_socket_next_to_a_shared_packet_socket_takes_the_fast_path)
{
	int fd = shared_packet_socket();
	struct hsk_stats st;
	struct tst_pair p;

	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	cr_assert(program_attached(), "no program while a UDP socket is open");
	tst_peer_send(&p, "fast", 4);
	recv_exactly(p.fd, 4);
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_fast_path, 1, "rx_fast_path %llu",
		     (unsigned long long)st.rx_fast_path);
	tst_pair_close(&p);
	cr_assert_not(program_attached(),
		      "the program stayed after the UDP socket closed");
	hsk_close(fd);
}

NET_TEST(xdp4, a_socket_opened_after_the_last_closed_takes_the_fast_path)
{
	struct tst_pair p;
	struct hsk_stats st;

	for (int round = 0; round < 5; round++) {
		tst_pair_open(&p, AF_INET, false, false);
		tst_settimeout(p.fd, 5.0);
		tst_peer_send(&p, "again", 5);
		recv_exactly(p.fd, 5);
		stats_of(p.fd, &st);
		cr_assert_eq(st.rx_fast_path, 1, "round %d", round);
		tst_pair_close(&p);
	}
}

NET_TEST(xdp4, a_blocking_receive_sleeps_until_its_datagram_comes)
{
	tst_blocking_receive_sleeps();
}

NET_TEST(xdp4, a_blocking_receive_sleeps_on_its_queues_not_in_naps)
{
	tst_blocking_receive_sleeps_on_its_queues();
}

/* ---- settings -------------------------------------------------------- */

NET_TEST(xdp4, busy_polling_receives_like_sleeping)
{
	HSK_OPTS(o, .busy_poll_us = 200);
	struct tst_pair p;
	struct hsk_stats st;

	cr_assert_ok(hsk_init(&o));
	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	for (int i = 0; i < 5; i++) {
		tst_peer_send(&p, "spin", 4);
		recv_exactly(p.fd, 4);
	}
	stats_of(p.fd, &st);
	cr_assert_eq(st.rx_fast_path, 5);
	tst_pair_close(&p);
}

NET_TEST(xdp4, copy_mode_can_be_forced)
{
	HSK_OPTS(o, .xdp_zerocopy = -1);
	struct tst_pair p;

	cr_assert_ok(hsk_init(&o));
	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	tst_peer_send(&p, "copy", 4);
	recv_exactly(p.fd, 4);
	tst_pair_close(&p);
}

/* veth has no zero-copy AF_XDP: forcing it must fail loudly in strict
 * mode, not quietly copy. */
NET_TEST(xdp4, forcing_zero_copy_where_the_driver_lacks_it_fails_in_strict)
{
	HSK_OPTS(o, .xdp_zerocopy = 1, .strict = 1);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(AF_INET, TST_LOCAL, TST_PORT_LOCAL, &ss);
	int fd;

	cr_assert_ok(hsk_init(&o));
	fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_fail_errno(hsk_bind(fd, (struct sockaddr *)&ss, len),
			     ENOTSUP);
	hsk_close(fd);
}
