// SPDX-License-Identifier: BSD-3-Clause
/*
 * zerocopy.c - the zero-copy burst API: lending, giving back, the cap on
 * held buffers, and what a buffer carries.
 */
#include "hsk_test.h"

#include <net/ethernet.h>
#include <unistd.h>

/* Configure before any socket exists; 0 leaves a setting alone. */
static void zc_init(unsigned int max_held, unsigned int buf_size)
{
	HSK_OPTS(o, .zc_max_held = max_held, .zc_buf_size = buf_size);

	cr_assert_ok(hsk_init(&o));
}

/* Payload @i of a numbered series. */
static void numbered(char *buf, size_t sz, int i)
{
	snprintf(buf, sz, "datagram %d", i);
}

/* Borrow exactly @want buffers into @bufs, in as few calls as it takes. */
static void recv_zc_exactly(int fd, struct hsk_buf *bufs, unsigned int want)
{
	unsigned int got = 0;
	int n, calls;

	for (calls = 0; calls < (int)want && got < want; calls++) {
		n = hsk_recv_zc(fd, bufs + got, want - got, 0);
		cr_assert_geq(n, 1, "hsk_recv_zc: %d (%s)", n, strerror(errno));
		got += (unsigned int)n;
	}
	cr_assert_eq(got, want);
}

static void assert_numbered(const struct hsk_buf *b, int i)
{
	char want[32];

	numbered(want, sizeof(want), i);
	cr_assert_eq(b->len, strlen(want) + 1, "datagram %d: len %u", i,
		     b->len);
	cr_assert_str_eq((const char *)b->data, want);
}

FAMILY_TEST(zerocopy, recv_zc_lends_payload_source_and_timestamp)
{
	struct tst_pair p;
	struct hsk_buf b[8];
	char msg[100];
	double before, after, ts;

	tst_fill(msg, sizeof(msg), 30);
	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 2.0);
	before = tst_realtime();
	tst_peer_send(&p, msg, sizeof(msg));
	cr_assert_eq(hsk_recv_zc(p.fd, b, 8, 0), 1, "hsk_recv_zc: %s",
		     strerror(errno));
	after = tst_realtime();
	cr_assert_eq(b[0].len, sizeof(msg));
	cr_assert_eq(b[0].orig_len, sizeof(msg));
	cr_assert_eq(b[0].flags & HSK_BUF_TRUNC, 0);
	cr_assert(!memcmp(b[0].data, msg, sizeof(msg)));
	tst_assert_addr((struct sockaddr_storage *)&b[0].addr, b[0].addrlen,
			family, TST_PEER, TST_PORT_PEER);
	ts = (double)b[0].ts_ns / 1e9;
	cr_assert(ts >= before - 0.5 && ts <= after + 0.5,
		  "ts %.6f outside [%.6f, %.6f]", ts, before, after);
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
}

FAMILY_TEST(zerocopy, holding_the_cap_gives_enobufs_and_loses_nothing)
{
	enum { CAP = 4, N = 6 };
	struct tst_pair p;
	struct hsk_buf held[CAP], rest[N];
	char msg[32];
	int i;

	zc_init(CAP, 0);
	tst_pair_open(&p, family, false, false);
	for (i = 0; i < N; i++) {
		numbered(msg, sizeof(msg), i);
		tst_peer_send(&p, msg, strlen(msg) + 1);
	}
	tst_settimeout(p.fd, 2.0);
	recv_zc_exactly(p.fd, held, CAP);
	for (i = 0; i < CAP; i++)
		assert_numbered(&held[i], i);

	/* Data is queued, but no buffer may be lent. */
	cr_assert_fail_errno(hsk_recv_zc(p.fd, rest, 1, 0), ENOBUFS);

	cr_assert_ok(hsk_buf_release(p.fd, held, CAP));
	recv_zc_exactly(p.fd, rest, N - CAP);
	for (i = CAP; i < N; i++)
		assert_numbered(&rest[i - CAP], i);
	cr_assert_ok(hsk_buf_release(p.fd, rest, N - CAP));
}

FAMILY_TEST(zerocopy, recv_zc_lends_no_more_than_the_cap)
{
	enum { CAP = 4, N = 6 };
	struct tst_pair p;
	struct hsk_buf b[16];
	char msg[32];
	int i, n;

	zc_init(CAP, 0);
	tst_pair_open(&p, family, false, false);
	for (i = 0; i < N; i++) {
		numbered(msg, sizeof(msg), i);
		tst_peer_send(&p, msg, strlen(msg) + 1);
	}
	tst_sleep_ms(100);
	tst_settimeout(p.fd, 2.0);
	n = hsk_recv_zc(p.fd, b, 16, 0);
	cr_assert(n >= 1 && n <= CAP, "hsk_recv_zc lent %d (cap %d): %s", n,
		  CAP, strerror(errno));
	for (i = 0; i < n; i++)
		assert_numbered(&b[i], i);
}

FAMILY_TEST(zerocopy, recv_zc_and_recv_deliver_in_order)
{
	struct tst_pair p;
	struct hsk_buf b[1];
	char msg[32], buf[32];

	tst_pair_open(&p, family, false, false);
	numbered(msg, sizeof(msg), 0);
	tst_peer_send(&p, msg, strlen(msg) + 1);
	numbered(msg, sizeof(msg), 1);
	tst_peer_send(&p, msg, strlen(msg) + 1);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, b, 1, 0), 1);
	assert_numbered(&b[0], 0);
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0),
		     (ssize_t)strlen(msg) + 1);
	cr_assert_str_eq(buf, msg);
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
}

/*
 * A zero-copy buffer holds 2048 bytes by default on every backend (a
 * kernel slot of zc_buf_size, a UMEM frame): a longer datagram arrives
 * cut, marked, with its true length.
 */
FAMILY_TEST(zerocopy, recv_zc_marks_a_datagram_longer_than_the_buffer)
{
	struct tst_pair p;
	struct hsk_buf b[1];
	char msg[3000];

	tst_skip_where_fragments_cannot_arrive(family);
	tst_fill(msg, sizeof(msg), 31);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, b, 1, 0), 1, "hsk_recv_zc: %s",
		     strerror(errno));
	cr_assert(b[0].flags & HSK_BUF_TRUNC, "flags 0x%x", b[0].flags);
	cr_assert_eq(b[0].orig_len, sizeof(msg));
	cr_assert(b[0].len > 0 && b[0].len <= 2048, "len %u", b[0].len);
	cr_assert(!memcmp(b[0].data, msg, b[0].len));
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
}

/* zc_buf_size is the kernel backend's slot size; the fast paths lend
 * frames of their own size. */
FAMILY_TEST(zerocopy, zc_buf_size_sets_the_kernel_backend_buffer_size)
{
	const char *b = tst_expected_backend();
	struct tst_pair p;
	struct hsk_buf buf[1];
	char msg[1000];

	if (b && strcmp(b, "kernel"))
		cr_skip_test("zc_buf_size is the kernel backend's");
	zc_init(0, 256);
	tst_fill(msg, sizeof(msg), 31);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, msg, sizeof(msg));
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, buf, 1, 0), 1, "hsk_recv_zc: %s",
		     strerror(errno));
	cr_assert(buf[0].flags & HSK_BUF_TRUNC, "flags 0x%x", buf[0].flags);
	cr_assert_eq(buf[0].orig_len, sizeof(msg));
	cr_assert_eq(buf[0].len, 256);
	cr_assert(!memcmp(buf[0].data, msg, buf[0].len));
	cr_assert_ok(hsk_buf_release(p.fd, buf, 1));
}

FAMILY_TEST(zerocopy, buf_alloc_gives_capacity_after_the_headroom)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];

	cr_assert_eq(hsk_buf_alloc(fd, b, 1), 1, "hsk_buf_alloc: %s",
		     strerror(errno));
	cr_assert_eq(b[0].len, 0);
	/* Default buffers are 2048 bytes, headroom included. */
	cr_assert_geq(b[0].capacity, 1024u);
	cr_assert_leq(b[0].capacity + HSK_BUF_HEADROOM, 2048u);
	memset(b[0].data, 0x5a, b[0].capacity);
	cr_assert_ok(hsk_buf_release(fd, b, 1));
}

FAMILY_TEST(zerocopy, send_zc_sends_the_payloads_to_the_peer)
{
	struct tst_pair p;
	struct hsk_buf b[2];
	char buf[2048];
	int i;

	tst_pair_open(&p, family, false, false);
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 2), 2, "hsk_buf_alloc: %s",
		     strerror(errno));
	for (i = 0; i < 2; i++) {
		numbered(b[i].data, b[i].capacity, i);
		b[i].len = (uint32_t)strlen(b[i].data) + 1;
	}
	cr_assert_eq(hsk_send_zc(p.fd, b, 2, (struct sockaddr *)&p.remote,
				 p.len, 0),
		     2, "hsk_send_zc: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		char want[32];
		struct sockaddr_storage from;
		socklen_t fromlen;

		numbered(want, sizeof(want), i);
		cr_assert_eq(tst_kernel_recv(p.peer, buf, sizeof(buf), 2000,
					     &from, &fromlen),
			     (ssize_t)strlen(want) + 1);
		cr_assert_str_eq(buf, want);
		tst_assert_addr(&from, fromlen, family, TST_LOCAL,
				TST_PORT_LOCAL);
	}
}

FAMILY_TEST(zerocopy, send_zc_of_a_full_buffer_reaches_the_peer)
{
	struct tst_pair p;
	struct hsk_buf b[1];
	static char buf[4096];
	uint32_t cap;

	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 1), 1);
	cap = b[0].capacity;
	cr_assert_leq(cap, sizeof(buf) / 2);
	tst_fill(b[0].data, cap, 32);
	b[0].len = cap;
	cr_assert_eq(hsk_send_zc(p.fd, b, 1, NULL, 0, 0), 1,
		     "hsk_send_zc on a connected socket: %s", strerror(errno));
	cr_assert_eq(tst_kernel_recv(p.peer, buf, sizeof(buf), 2000, NULL,
				     NULL),
		     (ssize_t)cap);
	tst_fill(buf + sizeof(buf) / 2, cap, 32);
	cr_assert(!memcmp(buf, buf + sizeof(buf) / 2, cap));
}

FAMILY_TEST(zerocopy, send_zc_gives_the_buffers_back)
{
	struct tst_pair p;
	struct hsk_buf b[2];
	int i;

	zc_init(2, 0);
	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 2), 2);
	for (i = 0; i < 2; i++)
		b[i].len = 1;
	cr_assert_eq(hsk_send_zc(p.fd, b, 2, NULL, 0, 0), 2, "hsk_send_zc: %s",
		     strerror(errno));
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 2), 2,
		     "sent buffers were not given back: %s", strerror(errno));
	cr_assert_ok(hsk_buf_release(p.fd, b, 2));
}

FAMILY_TEST(zerocopy, buf_alloc_beyond_the_cap_fails_with_enobufs)
{
	int fd;
	struct hsk_buf b[3];

	zc_init(2, 0);
	fd = tst_udp_bound(family, TST_PORT_LOCAL);
	cr_assert_eq(hsk_buf_alloc(fd, b, 2), 2);
	cr_assert_fail_errno(hsk_buf_alloc(fd, b + 2, 1), ENOBUFS);
	cr_assert_ok(hsk_buf_release(fd, b, 2));
}

FAMILY_TEST(zerocopy, cap_counts_received_and_transmit_buffers_together)
{
	struct tst_pair p;
	struct hsk_buf rx[1], tx[2];

	zc_init(2, 0);
	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, "held", 5);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, rx, 1, 0), 1);
	cr_assert_eq(hsk_buf_alloc(p.fd, tx, 2), 1,
		     "one received + two transmit buffers exceed a cap of 2");
	cr_assert_ok(hsk_buf_release(p.fd, tx, 1));
	cr_assert_ok(hsk_buf_release(p.fd, rx, 1));
}

FAMILY_TEST(zerocopy, releasing_a_buffer_twice_fails_with_einval)
{
	struct tst_pair p;
	struct hsk_buf b[1], copy;

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, "twice", 6);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, b, 1, 0), 1);
	copy = b[0];
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
	cr_assert_fail_errno(hsk_buf_release(p.fd, &copy, 1), EINVAL);
}

FAMILY_TEST(zerocopy, releasing_a_foreign_buffer_fails_with_einval)
{
	int a = tst_udp_bound(family, TST_PORT_LOCAL);
	int b = tst_udp_bound(family, TST_PORT_PEER);
	struct hsk_buf buf[1], forged;

	cr_assert_eq(hsk_buf_alloc(a, buf, 1), 1);
	cr_assert_fail_errno(hsk_buf_release(b, buf, 1), EINVAL);
	memset(&forged, 0, sizeof(forged));
	cr_assert_fail_errno(hsk_buf_release(a, &forged, 1), EINVAL);
	cr_assert_ok(hsk_buf_release(a, buf, 1));
}

FAMILY_TEST(zerocopy, release_gives_back_all_or_none)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[2];

	cr_assert_eq(hsk_buf_alloc(fd, b, 1), 1);
	memset(&b[1], 0, sizeof(b[1]));
	cr_assert_fail_errno(hsk_buf_release(fd, b, 2), EINVAL);
	/* The good one was not given back by the failed call. */
	cr_assert_ok(hsk_buf_release(fd, b, 1));
}

FAMILY_TEST(zerocopy, send_zc_with_len_above_capacity_fails_with_einval)
{
	struct tst_pair p;
	struct hsk_buf b[1];

	tst_pair_open(&p, family, true, false);
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 1), 1);
	b[0].len = b[0].capacity + 1;
	cr_assert_fail_errno(hsk_send_zc(p.fd, b, 1, NULL, 0, 0), EINVAL);
	/* Still the caller's. */
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
}

FAMILY_TEST(zerocopy, send_zc_of_a_received_buffer_fails_with_einval)
{
	struct tst_pair p;
	struct hsk_buf b[1];

	tst_pair_open(&p, family, true, false);
	tst_peer_send(&p, "echo me", 8);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, b, 1, 0), 1);
	cr_assert_fail_errno(hsk_send_zc(p.fd, b, 1, NULL, 0, 0), EINVAL);
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
}

FAMILY_TEST(zerocopy, recv_zc_with_null_bufs_fails_with_efault)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_fail_errno(hsk_recv_zc(fd, NULL, 4, MSG_DONTWAIT), EFAULT);
}

FAMILY_TEST(zerocopy, recv_zc_of_zero_buffers_returns_zero)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];

	cr_assert_eq(hsk_recv_zc(fd, b, 0, 0), 0);
}

FAMILY_TEST(zerocopy, recv_zc_with_unknown_flags_fails_with_einval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];

	cr_assert_fail_errno(hsk_recv_zc(fd, b, 1, MSG_PEEK | MSG_DONTWAIT),
			     EINVAL);
}

FAMILY_TEST(zerocopy, recv_zc_dontwait_with_nothing_queued_fails_with_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];

	cr_assert_fail_errno(hsk_recv_zc(fd, b, 1, MSG_DONTWAIT), EAGAIN);
}

FAMILY_TEST(zerocopy, recv_zc_in_nonblocking_mode_fails_with_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];

	tst_settimeout(fd, 0.0);
	cr_assert_fail_errno(hsk_recv_zc(fd, b, 1, 0), EAGAIN);
}

FAMILY_TEST(zerocopy, recv_zc_times_out_with_etimedout)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct hsk_buf b[1];
	double t0, el;

	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv_zc(fd, b, 1, 0), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "took %.3f s", el);
}

FAMILY_TEST(zerocopy, stats_count_zero_copy_traffic)
{
	struct tst_pair p;
	struct hsk_buf b[1];
	struct hsk_stats st;

	tst_pair_open(&p, family, true, false);
	tst_peer_send(&p, "in", 3);
	tst_settimeout(p.fd, 2.0);
	cr_assert_eq(hsk_recv_zc(p.fd, b, 1, 0), 1);
	cr_assert_ok(hsk_buf_release(p.fd, b, 1));
	cr_assert_eq(hsk_buf_alloc(p.fd, b, 1), 1);
	memcpy(b[0].data, "out!", 5);
	b[0].len = 5;
	cr_assert_eq(hsk_send_zc(p.fd, b, 1, NULL, 0, 0), 1);
	cr_assert_ok(hsk_stats(p.fd, &st, sizeof(st)));
	cr_assert_eq(st.rx_packets, 1);
	cr_assert_eq(st.rx_bytes, 3);
	cr_assert_eq(st.tx_packets, 1);
	cr_assert_eq(st.tx_bytes, 5);
}

NET_TEST(zerocopy, recv_zc_on_a_tcp_socket_fails_with_eopnotsupp)
{
	int fd = hsk_socket(AF_INET, SOCK_STREAM, 0);
	struct hsk_buf b[1];

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_fail_errno(hsk_recv_zc(fd, b, 1, MSG_DONTWAIT), EOPNOTSUPP);
}

NET_TEST(zerocopy, recv_zc_on_a_foreign_descriptor_fails_with_ebadf)
{
	struct hsk_buf b[1];
	int p[2];

	cr_assert_ok(pipe(p));
	cr_assert_fail_errno(hsk_recv_zc(p[0], b, 1, MSG_DONTWAIT), EBADF);
}

/* An AF_PACKET raw hotsock socket bound to hsk0, timeout mode. */
static int packet_socket(void)
{
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, NULL);
	int fd = hsk_socket(AF_PACKET, SOCK_RAW, htons(TST_ETHERTYPE));

	cr_assert_geq(fd, 0, "hsk_socket(AF_PACKET): %s", strerror(errno));
	tst_assert_backend(fd);
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ll, len));
	tst_settimeout(fd, 2.0);
	return fd;
}

NET_TEST(zerocopy, packet_recv_zc_lends_frames_from_the_ring)
{
	int fd = packet_socket();
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[64], frame[128];
	struct hsk_buf b[4];
	double before, after, ts;
	size_t flen;

	tst_fill(payload, sizeof(payload), 33);
	flen = tst_eth_frame(frame, tst_topo.mac_local, tst_topo.mac_peer,
			     TST_ETHERTYPE, payload, sizeof(payload));
	before = tst_realtime();
	cr_assert_eq(send(peer, frame, flen, 0), (ssize_t)flen);
	cr_assert_eq(hsk_recv_zc(fd, b, 4, 0), 1, "hsk_recv_zc: %s",
		     strerror(errno));
	after = tst_realtime();
	cr_assert_eq(b[0].len, flen);
	cr_assert_eq(b[0].orig_len, flen);
	cr_assert(!memcmp(b[0].data, frame, flen));
	cr_assert_eq(b[0].addr.ll.sll_family, AF_PACKET);
	cr_assert_eq(b[0].addr.ll.sll_ifindex, tst_topo.ifindex_local);
	cr_assert_eq(b[0].addr.ll.sll_protocol, htons(TST_ETHERTYPE));
	cr_assert_eq(b[0].addr.ll.sll_pkttype, PACKET_HOST);
	cr_assert_eq(b[0].addr.ll.sll_halen, ETH_ALEN);
	cr_assert(!memcmp(b[0].addr.ll.sll_addr, tst_topo.mac_peer, ETH_ALEN));
	/* As recvfrom() fills it: a whole struct sockaddr_ll. */
	cr_assert_eq(b[0].addrlen, sizeof(struct sockaddr_ll));
	ts = (double)b[0].ts_ns / 1e9;
	cr_assert(ts >= before - 0.5 && ts <= after + 0.5,
		  "ts %.6f outside [%.6f, %.6f]", ts, before, after);
	cr_assert_ok(hsk_buf_release(fd, b, 1));
}

NET_TEST(zerocopy, packet_frames_held_past_the_cap_are_not_lost)
{
	enum { CAP = 2, N = 3 };
	int fd, peer, i;
	unsigned char frame[128];
	size_t flen;
	struct hsk_buf held[CAP], rest[1];
	char msg[32];

	zc_init(CAP, 0);
	fd = packet_socket();
	peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	for (i = 0; i < N; i++) {
		numbered(msg, sizeof(msg), i);
		flen = tst_eth_frame(frame, tst_topo.mac_local,
				     tst_topo.mac_peer, TST_ETHERTYPE, msg,
				     strlen(msg) + 1);
		cr_assert_eq(send(peer, frame, flen, 0), (ssize_t)flen);
	}
	recv_zc_exactly(fd, held, CAP);
	cr_assert_fail_errno(hsk_recv_zc(fd, rest, 1, 0), ENOBUFS);
	cr_assert_ok(hsk_buf_release(fd, held, CAP));
	cr_assert_eq(hsk_recv_zc(fd, rest, 1, 0), 1, "hsk_recv_zc: %s",
		     strerror(errno));
	numbered(msg, sizeof(msg), N - 1);
	cr_assert_str_eq((char *)rest[0].data + ETH_HLEN, msg);
	cr_assert_ok(hsk_buf_release(fd, rest, 1));
}

NET_TEST(zerocopy, packet_send_zc_on_a_bound_raw_socket_reaches_the_peer)
{
	int fd = packet_socket();
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	unsigned char payload[64], buf[256];
	struct hsk_buf b[1];
	size_t flen;

	tst_fill(payload, sizeof(payload), 34);
	cr_assert_eq(hsk_buf_alloc(fd, b, 1), 1, "hsk_buf_alloc: %s",
		     strerror(errno));
	flen = tst_eth_frame(b[0].data, tst_topo.mac_peer, tst_topo.mac_local,
			     TST_ETHERTYPE, payload, sizeof(payload));
	b[0].len = (uint32_t)flen;
	memcpy(buf + 128, b[0].data, flen);
	cr_assert_eq(hsk_send_zc(fd, b, 1, NULL, 0, 0), 1, "hsk_send_zc: %s",
		     strerror(errno));
	cr_assert_eq(tst_kernel_recv(peer, buf, 128, 2000, NULL, NULL),
		     (ssize_t)flen);
	cr_assert(!memcmp(buf, buf + 128, flen));
}
