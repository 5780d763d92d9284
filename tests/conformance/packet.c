// SPDX-License-Identifier: BSD-3-Clause
/*
 * packet.c - AF_PACKET raw and cooked sockets on hsk0, with a kernel packet
 * socket on hsk1 as the peer.
 *
 * The library receives through a TPACKET_V3 ring whose blocks retire after
 * a short timeout: frames may show up a few milliseconds after they were
 * sent, so every receive waits with a timeout.
 */
#include "hsk_test.h"

#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#define OTHER_ETHERTYPE 0x88B6

static const unsigned char mac_other[ETH_ALEN] = { 0x02, 0x00, 0xc6,
						   0x12, 0x00, 0x99 };
static const unsigned char mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff,
						   0xff, 0xff, 0xff };
static const unsigned char mac_mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e,
						   0x01, 0x02, 0x03 };

/* A hotsock packet socket of @type bound to hsk0, in timeout mode (2 s). */
static int hsk_packet(int type, uint16_t ethertype)
{
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, ethertype, NULL);
	int fd = hsk_socket(AF_PACKET, type, htons(ethertype));

	cr_assert_geq(fd, 0, "hsk_socket(AF_PACKET): %s", strerror(errno));
	tst_assert_backend(fd);
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ll, len));
	tst_settimeout(fd, 2.0);
	return fd;
}

/* A kernel packet socket in the local namespace, bound like hsk_packet. */
static int kernel_packet(int type, uint16_t ethertype)
{
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, ethertype, NULL);
	int fd = socket(AF_PACKET, type | SOCK_CLOEXEC, htons(ethertype));

	cr_assert_geq(fd, 0, "socket(AF_PACKET): %s", strerror(errno));
	cr_assert_ok(bind(fd, (struct sockaddr *)&ll, len));
	return fd;
}

/* The peer sends a frame to @dst of @ethertype; return the frame length. */
static size_t peer_send_frame(int peer, const unsigned char *dst,
			      uint16_t ethertype, const void *payload,
			      size_t len, unsigned char *frame)
{
	size_t flen = tst_eth_frame(frame, dst, tst_topo.mac_peer, ethertype,
				    payload, len);
	ssize_t n = send(peer, frame, flen, 0);

	cr_assert_eq(n, (ssize_t)flen, "peer send: %zd (%s)", n,
		     strerror(errno));
	return flen;
}

/* Receive one frame on a hotsock socket; assert it equals @want. */
static void recv_frame_expect(int fd, const void *want, size_t len,
			      struct sockaddr_ll *from)
{
	unsigned char buf[2048];
	socklen_t fromlen = sizeof(*from);
	ssize_t n;

	n = hsk_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)from,
			 &fromlen);
	cr_assert_eq(n, (ssize_t)len, "hsk_recvfrom: %zd (%s), expected %zu", n,
		     n < 0 ? strerror(errno) : "length", len);
	cr_assert(!memcmp(buf, want, len), "frame differs");
	/* The kernel rounds the length up to a whole struct sockaddr_ll. */
	cr_assert_eq(fromlen, sizeof(struct sockaddr_ll), "address length %u",
		     (unsigned)fromlen);
}

/* Send a frame to @dst and return the packet type the hotsock socket saw. */
static int pkttype_of_frame_to(const unsigned char *dst)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128];
	struct sockaddr_ll from;
	size_t flen;

	flen = peer_send_frame(peer, dst, TST_ETHERTYPE, "pkttype", 8, frame);
	recv_frame_expect(fd, frame, flen, &from);
	return from.sll_pkttype;
}

/*
 * Whether hsk0 counts a promiscuous user. SIOCGIFFLAGS shows only the
 * promiscuity set by hand (ip link set promisc on), not the count that
 * PACKET_MR_PROMISC raises: ask ip(8) for that.
 */
static bool promiscuous(void)
{
	int st = topo_run_local(&tst_topo,
				"ip -d link show %s | grep -q 'promiscuity 0'",
				tst_topo.if_local);

	cr_assert(st == 0 || st == 1, "ip link show: status %d", st);
	return st == 1;
}

NET_TEST(packet, raw_and_cooked_sockets_report_expected_backend)
{
	tst_assert_backend(hsk_packet(SOCK_RAW, TST_ETHERTYPE));
	tst_assert_backend(hsk_packet(SOCK_DGRAM, TST_ETHERTYPE));
}

NET_TEST(packet, raw_socket_receives_the_peer_frame_whole)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[100], frame[128];
	struct sockaddr_ll from;
	size_t flen;

	tst_fill(payload, sizeof(payload), 20);
	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			       sizeof(payload), frame);
	recv_frame_expect(fd, frame, flen, &from);
}

NET_TEST(packet, raw_receive_fills_sockaddr_ll_as_the_kernel)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128];
	struct sockaddr_ll from;
	size_t flen;

	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE,
			       "address", 8, frame);
	recv_frame_expect(fd, frame, flen, &from);
	cr_assert_eq(from.sll_family, AF_PACKET);
	cr_assert_eq(from.sll_ifindex, tst_topo.ifindex_local);
	cr_assert_eq(from.sll_protocol, htons(TST_ETHERTYPE));
	cr_assert_eq(from.sll_pkttype, PACKET_HOST);
	cr_assert_eq(from.sll_hatype, ARPHRD_ETHER);
	cr_assert_eq(from.sll_halen, ETH_ALEN);
	cr_assert(!memcmp(from.sll_addr, tst_topo.mac_peer, ETH_ALEN),
		  "sll_addr is not the peer's MAC");
}

NET_TEST(packet, raw_receive_address_matches_a_kernel_socket_on_the_link)
{
	int fd, k, peer;
	unsigned char frame[128], buf[256];
	struct sockaddr_ll from, kfrom;
	socklen_t kfromlen = sizeof(kfrom);
	size_t flen;

	tst_skip_where_the_kernel_cannot_see_the_port_receive();
	fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	k = kernel_packet(SOCK_RAW, TST_ETHERTYPE);
	peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE,
			       "address", 8, frame);
	recv_frame_expect(fd, frame, flen, &from);
	cr_assert(tst_wait_readable(k, 2000));
	cr_assert_eq(recvfrom(k, buf, sizeof(buf), MSG_DONTWAIT,
			      (struct sockaddr *)&kfrom, &kfromlen),
		     (ssize_t)flen);
	cr_assert(!memcmp(&from, &kfrom, kfromlen),
		  "sockaddr_ll differs from the kernel's");
}

NET_TEST(packet, frame_to_another_host_is_packet_otherhost)
{
	cr_assert_eq(pkttype_of_frame_to(mac_other), PACKET_OTHERHOST);
}

NET_TEST(packet, broadcast_frame_is_packet_broadcast)
{
	cr_assert_eq(pkttype_of_frame_to(mac_bcast), PACKET_BROADCAST);
}

NET_TEST(packet, multicast_frame_is_packet_multicast)
{
	cr_assert_eq(pkttype_of_frame_to(mac_mcast), PACKET_MULTICAST);
}

NET_TEST(packet, cooked_receive_strips_the_ethernet_header)
{
	int fd = hsk_packet(SOCK_DGRAM, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[64], frame[128], buf[256];
	struct sockaddr_ll from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	tst_fill(payload, sizeof(payload), 21);
	peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			sizeof(payload), frame);
	n = hsk_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			 &fromlen);
	cr_assert_eq(n, (ssize_t)sizeof(payload), "hsk_recvfrom: %zd (%s)", n,
		     strerror(errno));
	cr_assert(!memcmp(buf, payload, sizeof(payload)));
	cr_assert_eq(from.sll_protocol, htons(TST_ETHERTYPE));
	cr_assert_eq(from.sll_ifindex, tst_topo.ifindex_local);
	cr_assert_eq(from.sll_halen, ETH_ALEN);
	cr_assert(!memcmp(from.sll_addr, tst_topo.mac_peer, ETH_ALEN),
		  "sll_addr is not the peer's MAC");
}

NET_TEST(packet, raw_send_reaches_the_peer_raw_socket)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[80], frame[128], buf[256];
	size_t flen;

	tst_fill(payload, sizeof(payload), 22);
	flen = tst_eth_frame(frame, tst_topo.mac_peer, tst_topo.mac_local,
			     TST_ETHERTYPE, payload, sizeof(payload));
	cr_assert_eq(hsk_send(fd, frame, flen, 0), (ssize_t)flen,
		     "hsk_send: %s", strerror(errno));
	cr_assert_eq(tst_kernel_recv(peer, buf, sizeof(buf), 2000, NULL, NULL),
		     (ssize_t)flen);
	cr_assert(!memcmp(buf, frame, flen));
}

NET_TEST(packet, cooked_send_with_sockaddr_ll_reaches_the_peer)
{
	int fd = hsk_packet(SOCK_DGRAM, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[80], buf[256];
	struct sockaddr_ll dst;
	socklen_t dlen =
		tst_ll_addr(&dst, TST_LOCAL, TST_ETHERTYPE, tst_topo.mac_peer);
	struct ether_header *eh = (struct ether_header *)buf;

	tst_fill(payload, sizeof(payload), 23);
	cr_assert_eq(hsk_sendto(fd, payload, sizeof(payload), 0,
				(struct sockaddr *)&dst, dlen),
		     (ssize_t)sizeof(payload), "hsk_sendto: %s",
		     strerror(errno));
	cr_assert_eq(tst_kernel_recv(peer, buf, sizeof(buf), 2000, NULL, NULL),
		     (ssize_t)(sizeof(*eh) + sizeof(payload)));
	cr_assert(!memcmp(eh->ether_dhost, tst_topo.mac_peer, ETH_ALEN));
	cr_assert(!memcmp(eh->ether_shost, tst_topo.mac_local, ETH_ALEN));
	cr_assert_eq(eh->ether_type, htons(TST_ETHERTYPE));
	cr_assert(!memcmp(buf + sizeof(*eh), payload, sizeof(payload)));
}

NET_TEST(packet, promiscuous_membership_is_added_and_dropped)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	struct packet_mreq mr = { .mr_ifindex = tst_topo.ifindex_local,
				  .mr_type = PACKET_MR_PROMISC };

	cr_assert_not(promiscuous());
	cr_assert_ok(hsk_setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
				    sizeof(mr)));
	cr_assert(promiscuous(), "hsk0 is not promiscuous");
	cr_assert_ok(hsk_setsockopt(fd, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr,
				    sizeof(mr)));
	cr_assert_not(promiscuous(), "hsk0 is still promiscuous");
}

NET_TEST(packet, recvmsg_sets_msg_trunc_on_a_frame_larger_than_the_buffer)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[200], frame[256], buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	tst_fill(payload, sizeof(payload), 24);
	peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			sizeof(payload), frame);
	cr_assert_eq(hsk_recvmsg(fd, &mh, 0), (ssize_t)sizeof(buf),
		     "hsk_recvmsg: %s", strerror(errno));
	cr_assert(mh.msg_flags & MSG_TRUNC, "msg_flags 0x%x", mh.msg_flags);
	cr_assert(!memcmp(buf, frame, sizeof(buf)));
}

NET_TEST(packet, recv_with_msg_trunc_returns_the_frame_length)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[200], frame[256], buf[16];
	size_t flen;

	tst_fill(payload, sizeof(payload), 25);
	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			       sizeof(payload), frame);
	cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), MSG_TRUNC), (ssize_t)flen,
		     "hsk_recv(MSG_TRUNC): %s", strerror(errno));
	cr_assert(!memcmp(buf, frame, sizeof(buf)));
}

NET_TEST(packet, bound_protocol_filters_other_ethertypes)
{
	int fd = hsk_packet(SOCK_RAW, OTHER_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128], other[128], buf[128];
	struct sockaddr_ll from;
	size_t flen;

	peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "not me", 7,
			frame);
	flen = peer_send_frame(peer, tst_topo.mac_local, OTHER_ETHERTYPE, "me",
			       3, other);
	recv_frame_expect(fd, other, flen, &from);
	cr_assert_eq(from.sll_protocol, htons(OTHER_ETHERTYPE));
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
}

NET_TEST(packet, eth_p_all_socket_sees_a_peer_udp_datagram)
{
	int fd = hsk_packet(SOCK_RAW, ETH_P_ALL);
	int peer = tst_peer_udp(AF_INET, TST_PORT_PEER);
	struct sockaddr_storage dst;
	socklen_t dlen = tst_addr(AF_INET, TST_LOCAL, TST_PORT_LOCAL, &dst);
	const char marker[] = "seen by ETH_P_ALL";
	unsigned char buf[2048];
	struct sockaddr_ll from;
	socklen_t fromlen;
	bool found = false;
	ssize_t n, i;
	int frames;

	tst_kernel_sendto(peer, marker, sizeof(marker), &dst, dlen);
	/* ARP and the like come too: look at a bounded number of frames. */
	for (frames = 0; frames < 50 && !found; frames++) {
		fromlen = sizeof(from);
		n = hsk_recvfrom(fd, buf, sizeof(buf), 0,
				 (struct sockaddr *)&from, &fromlen);
		cr_assert_geq(n, 0, "hsk_recvfrom: %s", strerror(errno));
		if (from.sll_protocol != htons(ETH_P_IP))
			continue;
		for (i = 0; i + (ssize_t)sizeof(marker) <= n; i++) {
			if (!memcmp(buf + i, marker, sizeof(marker)))
				found = true;
		}
	}
	cr_assert(found, "the UDP datagram's frame never showed up");
	cr_assert_eq(from.sll_pkttype, PACKET_HOST);
	cr_assert_eq(((struct ether_header *)buf)->ether_type, htons(ETH_P_IP));
}

NET_TEST(packet, getsockname_returns_the_bound_link_as_the_kernel)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int k = kernel_packet(SOCK_RAW, TST_ETHERTYPE);
	struct sockaddr_ll got, want;
	socklen_t glen = sizeof(got), wlen = sizeof(want);

	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	cr_assert_ok(hsk_getsockname(fd, (struct sockaddr *)&got, &glen));
	cr_assert_ok(getsockname(k, (struct sockaddr *)&want, &wlen));
	cr_assert_eq(glen, wlen);
	cr_assert_eq(got.sll_ifindex, tst_topo.ifindex_local);
	cr_assert_eq(got.sll_protocol, htons(TST_ETHERTYPE));
	cr_assert(!memcmp(&got, &want, wlen), "differs from the kernel's");
}

NET_TEST(packet, connect_fails_with_eopnotsupp)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	struct sockaddr_ll ll;
	socklen_t len =
		tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, tst_topo.mac_peer);

	cr_assert_fail_errno(hsk_connect(fd, (struct sockaddr *)&ll, len),
			     EOPNOTSUPP);
}

NET_TEST(packet, listen_fails_with_eopnotsupp)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);

	cr_assert_fail_errno(hsk_listen(fd, 1), EOPNOTSUPP);
}

NET_TEST(packet, recv_times_out_with_etimedout)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char buf[64];
	double t0, el;

	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "took %.3f s", el);
}

NET_TEST(packet, dontwait_on_an_empty_ring_fails_with_eagain)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char buf[64];

	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
}

NET_TEST(packet, peek_returns_the_same_frame_again)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128], buf[128];
	struct sockaddr_ll from;
	size_t flen;

	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "peek",
			       5, frame);
	cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), MSG_PEEK), (ssize_t)flen,
		     "peek: %s", strerror(errno));
	cr_assert(!memcmp(buf, frame, flen));
	recv_frame_expect(fd, frame, flen, &from);
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
}

NET_TEST(packet, poll_reports_pollin_when_a_frame_arrives)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char frame[128];

	cr_assert_eq(hsk_poll(&pfd, 1, 0), 0, "readable before any frame");
	peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "poll", 5,
			frame);
	cr_assert_eq(hsk_poll(&pfd, 1, 2000), 1);
	cr_assert(pfd.revents & POLLIN);
}

NET_TEST(packet, pollin_stays_while_frames_remain_in_the_ring)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char frame[128], buf[128];
	int i;

	for (i = 0; i < 3; i++)
		peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "ring",
				5, frame);
	tst_sleep_ms(200); /* the block holding them retires */
	for (i = 0; i < 3; i++) {
		cr_assert_eq(hsk_poll(&pfd, 1, 0), 1,
			     "not readable with %d frames left", 3 - i);
		cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 19,
			     "frame %d: %s", i, strerror(errno));
	}
	cr_assert_eq(hsk_poll(&pfd, 1, 0), 0, "readable when drained");
}

NET_TEST(packet, two_sockets_each_receive_a_copy)
{
	int a = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int b = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128];
	struct sockaddr_ll from;
	size_t flen;

	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE,
			       "copies", 7, frame);
	recv_frame_expect(a, frame, flen, &from);
	recv_frame_expect(b, frame, flen, &from);
}

NET_TEST(packet, stats_count_frames_received_and_sent)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128], out[128];
	struct sockaddr_ll from;
	struct hsk_stats st;
	size_t f1, f2, olen;

	f1 = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "one", 4,
			     frame);
	recv_frame_expect(fd, frame, f1, &from);
	f2 = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "two two",
			     8, frame);
	recv_frame_expect(fd, frame, f2, &from);
	olen = tst_eth_frame(out, tst_topo.mac_peer, tst_topo.mac_local,
			     TST_ETHERTYPE, "out", 4);
	cr_assert_eq(hsk_send(fd, out, olen, 0), (ssize_t)olen);

	cr_assert_ok(hsk_stats(fd, &st, sizeof(st)));
	cr_assert_eq(st.rx_packets, 2);
	cr_assert_eq(st.rx_bytes, f1 + f2);
	cr_assert_eq(st.tx_packets, 1);
	cr_assert_eq(st.tx_bytes, olen);
	cr_assert_eq(st.rx_fast_path + st.rx_kernel_path, 2);
	/* dpdk owns the port: every frame came through it. */
	if (!strcmp(hsk_backend_name(fd), "dpdk"))
		cr_assert_eq(st.rx_fast_path, 2);
}

NET_TEST(packet, packet_auxdata_reports_the_frame_length)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[256], payload[150], buf[64], control[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct tpacket_auxdata aux;
	struct cmsghdr *c;
	int one = 1;
	size_t flen;

	cr_assert_ok(hsk_setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one,
				    sizeof(one)));
	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			       sizeof(payload), frame);
	cr_assert_eq(hsk_recvmsg(fd, &mh, 0), (ssize_t)sizeof(buf),
		     "hsk_recvmsg: %s", strerror(errno));
	c = tst_cmsg_find(&mh, SOL_PACKET, PACKET_AUXDATA);
	cr_assert_not_null(c, "no PACKET_AUXDATA");
	memcpy(&aux, CMSG_DATA(c), sizeof(aux));
	cr_assert_eq(aux.tp_len, flen);
	cr_assert_eq(aux.tp_snaplen, flen);
}

NET_TEST(packet, raw_frame_over_the_mtu_fails_with_emsgsize)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	static unsigned char frame[1515]; /* MTU 1500 + 14 + 1 */

	tst_eth_frame(frame, tst_topo.mac_peer, tst_topo.mac_local,
		      TST_ETHERTYPE, "", 0);
	cr_assert_fail_errno(hsk_send(fd, frame, sizeof(frame), 0), EMSGSIZE);
	cr_assert_eq(hsk_send(fd, frame, sizeof(frame) - 1, 0),
		     (ssize_t)sizeof(frame) - 1, "an MTU-sized frame: %s",
		     strerror(errno));
}

NET_TEST(packet, raw_socket_receives_an_mtu_sized_frame_whole)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	static unsigned char payload[1500], frame[1514], buf[2048];
	ssize_t n;
	size_t flen;

	tst_fill(payload, sizeof(payload), 26);
	flen = peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, payload,
			       sizeof(payload), frame);
	n = hsk_recv(fd, buf, sizeof(buf), 0);
	cr_assert_eq(n, (ssize_t)flen, "hsk_recv: %zd (%s)", n,
		     strerror(errno));
	cr_assert(!memcmp(buf, frame, flen));
}

NET_TEST(packet, many_frames_arrive_in_order_across_ring_blocks)
{
	enum { N = 1000 };
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	static unsigned char payload[1000], frame[1100], buf[2048];
	struct hsk_stats st;
	uint32_t seq;
	ssize_t n;
	int i;

	tst_fill(payload, sizeof(payload), 27);
	for (i = 0; i < N; i++) {
		seq = (uint32_t)i;
		memcpy(payload, &seq, sizeof(seq));
		peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE,
				payload, sizeof(payload), frame);
	}
	for (i = 0; i < N; i++) {
		n = hsk_recv(fd, buf, sizeof(buf), 0);
		cr_assert_eq(n, ETH_HLEN + (ssize_t)sizeof(payload),
			     "frame %d: %zd (%s)", i, n, strerror(errno));
		memcpy(&seq, buf + ETH_HLEN, sizeof(seq));
		cr_assert_eq(seq, (uint32_t)i, "frame %d carries %u", i, seq);
	}
	cr_assert_ok(hsk_stats(fd, &st, sizeof(st)));
	cr_assert_eq(st.rx_packets, N);
	cr_assert_eq(st.rx_drop_kernel, 0);
}

NET_TEST(packet, so_timestampns_gives_the_frame_timestamp)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char frame[128], buf[128], control[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	struct timespec ts;
	double before, after, t;
	int one = 1;

	cr_assert_ok(hsk_setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				    sizeof(one)));
	before = tst_realtime();
	peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE, "stamp", 6,
			frame);
	cr_assert_eq(hsk_recvmsg(fd, &mh, 0), ETH_HLEN + 6, "hsk_recvmsg: %s",
		     strerror(errno));
	after = tst_realtime();
	c = tst_cmsg_find(&mh, SOL_SOCKET, SCM_TIMESTAMPNS);
	cr_assert_not_null(c, "no SCM_TIMESTAMPNS");
	memcpy(&ts, CMSG_DATA(c), sizeof(ts));
	t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	cr_assert(t >= before - 0.5 && t <= after + 0.5,
		  "timestamp %.6f outside [%.6f, %.6f]", t, before, after);
}

/*
 * Overflow a small ring: the peer sends @n frames of 1000 bytes that the
 * socket does not read. Return how many could be read afterwards.
 */
static int overflow_ring(int fd, int n)
{
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	static unsigned char payload[1000], frame[1100], buf[2048];
	int i, got = 0;

	tst_fill(payload, sizeof(payload), 28);
	for (i = 0; i < n; i++)
		peer_send_frame(peer, tst_topo.mac_local, TST_ETHERTYPE,
				payload, sizeof(payload), frame);
	tst_sleep_ms(200); /* the last block retires */
	for (i = 0; i < n; i++) {
		if (hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
		got++;
	}
	cr_assert_eq(errno, EAGAIN, "draining: %s", strerror(errno));
	cr_assert_lt(got, n, "the ring never overflowed");
	cr_assert_gt(got, 0, "nothing was received");
	close(peer);
	return got;
}

/* The smallest ring the library builds: 256 KiB, four 64 KiB blocks. */
static int small_ring_socket(void)
{
	HSK_OPTS(o, .packet_ring_size = 256 << 10);

	cr_assert_ok(hsk_init(&o));
	return hsk_packet(SOCK_RAW, TST_ETHERTYPE);
}

NET_TEST(packet, stats_count_frames_a_full_ring_dropped)
{
	enum { N = 600 };
	int fd = small_ring_socket();
	struct hsk_stats st;
	int got = overflow_ring(fd, N);

	cr_assert_ok(hsk_stats(fd, &st, sizeof(st)));
	cr_assert_eq(st.rx_packets, (uint64_t)got);
	cr_assert_eq(st.rx_drop_kernel, (uint64_t)(N - got),
		     "rx_drop_kernel %lu, expected %d",
		     (unsigned long)st.rx_drop_kernel, N - got);
}

NET_TEST(packet, packet_statistics_still_report_drops_after_hsk_stats)
{
	enum { N = 600 };
	int fd = small_ring_socket();
	struct tpacket_stats_v3 ps;
	socklen_t len = sizeof(ps);
	struct hsk_stats st;
	int got = overflow_ring(fd, N);

	/* The library's own bookkeeping must not eat the caller's view. */
	cr_assert_ok(hsk_stats(fd, &st, sizeof(st)));
	memset(&ps, 0, sizeof(ps));
	cr_assert_ok(
		hsk_getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ps, &len));
	cr_assert_eq(ps.tp_drops, (unsigned)(N - got),
		     "tp_drops %u, expected %d", ps.tp_drops, N - got);
	cr_assert_eq(ps.tp_packets, (unsigned)N, "tp_packets %u, expected %d",
		     ps.tp_packets, N);
}

static void peer_sends_a_frame(void *peer)
{
	unsigned char frame[128];

	peer_send_frame(*(int *)peer, tst_topo.mac_local, TST_ETHERTYPE, "both",
			5, frame);
}

NET_TEST(packet, poll_mixes_a_packet_socket_and_a_pipe)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);

	tst_poll_mixes_with_a_pipe(fd, peer_sends_a_frame, &peer);
}

struct delayed_frame {
	int peer;
	unsigned char frame[64];
	size_t len;
};

static void *delayed_frame_thread(void *arg)
{
	struct delayed_frame *d = arg;

	tst_sleep_ms(200);
	if (send(d->peer, d->frame, d->len, 0) < 0)
		perror("delayed frame");
	return NULL;
}

NET_TEST(packet, poll_without_timeout_wakes_when_a_frame_arrives)
{
	int fd = hsk_packet(SOCK_RAW, TST_ETHERTYPE);
	struct delayed_frame d;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	pthread_t th;
	int n;

	d.peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	d.len = tst_eth_frame(d.frame, tst_topo.mac_local, tst_topo.mac_peer,
			      TST_ETHERTYPE, "late", 5);
	cr_assert_eq(pthread_create(&th, NULL, delayed_frame_thread, &d), 0);
	n = hsk_poll(&pfd, 1, -1);
	pthread_join(th, NULL);
	cr_assert_eq(n, 1, "hsk_poll: %d (%s)", n, strerror(errno));
	cr_assert(pfd.revents & POLLIN);
}
