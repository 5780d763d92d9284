// SPDX-License-Identifier: BSD-3-Clause
/*
 * poll.c - hsk_poll() readiness, alone and mixed with other descriptors.
 */
#include "hsk_test.h"

#include <poll.h>
#include <unistd.h>

/* Poll @fd alone for @events; return revents (0 on timeout). */
static short poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = hsk_poll(&pfd, 1, timeout_ms);

	cr_assert_geq(n, 0, "hsk_poll: %s", strerror(errno));
	cr_assert_eq(n, pfd.revents ? 1 : 0, "return %d, revents 0x%x", n,
		     pfd.revents);
	return pfd.revents;
}

FAMILY_TEST(poll, pollin_is_reported_after_the_peer_sends)
{
	struct tst_pair p;

	tst_pair_open(&p, family, false, false);
	cr_assert_eq(poll_one(p.fd, POLLIN, 0), 0, "readable before any send");
	tst_peer_send(&p, "ready", 6);
	cr_assert(poll_one(p.fd, POLLIN, 2000) & POLLIN);
}

FAMILY_TEST(poll, timeout_zero_returns_zero_when_idle)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0x7 };

	cr_assert_eq(hsk_poll(&pfd, 1, 0), 0);
	cr_assert_eq(pfd.revents, 0);
}

FAMILY_TEST(poll, times_out_after_its_timeout)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	double t0 = tst_now(), el;

	cr_assert_eq(poll_one(fd, POLLIN, 200), 0);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "took %.3f s", el);
}

FAMILY_TEST(poll, pollout_is_reported_on_an_idle_socket)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert(poll_one(fd, POLLOUT, 0) & POLLOUT);
}

static void peer_sends(void *pair)
{
	tst_peer_send(pair, "both", 5);
}

FAMILY_TEST(poll, mixes_hotsock_and_pipe_descriptors)
{
	struct tst_pair p;

	tst_pair_open(&p, family, false, false);
	tst_poll_mixes_with_a_pipe(p.fd, peer_sends, &p);
}

FAMILY_TEST(poll, pollin_stays_while_datagrams_remain_queued)
{
	struct tst_pair p;
	char buf[16];
	int i;

	tst_pair_open(&p, family, false, false);
	for (i = 0; i < 3; i++)
		tst_peer_send(&p, "queued", 7);
	tst_sleep_ms(100); /* all three cross the veth */
	for (i = 0; i < 3; i++) {
		cr_assert(poll_one(p.fd, POLLIN, 0) & POLLIN,
			  "not readable with %d datagrams left", 3 - i);
		cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT), 7,
			     "datagram %d: %s", i, strerror(errno));
	}
	cr_assert_eq(poll_one(p.fd, POLLIN, 0), 0, "readable when drained");
}

FAMILY_TEST(poll, pollin_stays_after_a_peek)
{
	struct tst_pair p;
	char buf[16];

	tst_pair_open(&p, family, false, false);
	tst_peer_send(&p, "peeked", 7);
	cr_assert(poll_one(p.fd, POLLIN, 2000) & POLLIN);
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT),
		     7);
	cr_assert(poll_one(p.fd, POLLIN, 0) & POLLIN);
}

FAMILY_TEST(poll, negative_descriptors_are_ignored)
{
	struct tst_pair p;
	struct pollfd pfd[2];

	tst_pair_open(&p, family, false, false);
	pfd[0] = (struct pollfd){ .fd = -1, .events = POLLIN, .revents = 0x7 };
	pfd[1] = (struct pollfd){ .fd = p.fd, .events = POLLIN };
	tst_peer_send(&p, "x", 2);
	cr_assert_eq(hsk_poll(pfd, 2, 2000), 1);
	cr_assert_eq(pfd[0].revents, 0);
	cr_assert(pfd[1].revents & POLLIN);
}

FAMILY_TEST(poll, closed_descriptor_reports_pollnval)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);

	cr_assert_ok(hsk_close(fd));
	cr_assert_eq(poll_one(fd, POLLIN, 0), POLLNVAL);
}
