// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp_timeouts.c - blocking, non-blocking and timeout modes on the wire,
 * and the kernel's own rules (SO_RCVTIMEO, O_NONBLOCK) in blocking mode.
 *
 * Timings are asserted with wide windows: the machines are shared.
 */
#include "hsk_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

/* A call that should wait about 0.2 s took this long: accept 0.15..2 s. */
#define assert_about_200ms(el) \
	cr_assert((el) >= 0.15 && (el) < 2.0, "took %.3f s", (el))

struct delayed_send {
	struct tst_pair *p;
	int delay_ms;
	const char *msg;
};

static void *delayed_send_thread(void *arg)
{
	struct delayed_send *d = arg;

	tst_sleep_ms(d->delay_ms);
	/* No Criterion assertion off the test's thread: just send. */
	if (sendto(d->p->peer, d->msg, strlen(d->msg) + 1, 0,
		   (struct sockaddr *)&d->p->local, d->p->len) < 0)
		perror("delayed send");
	return NULL;
}

static void start_delayed_send(pthread_t *th, struct delayed_send *d)
{
	cr_assert_eq(pthread_create(th, NULL, delayed_send_thread, d), 0);
}

FAMILY_TEST(timeouts, recv_times_out_with_etimedout_after_timeout)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	double t0;

	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, recvmsg_times_out_with_etimedout_after_timeout)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	double t0;

	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recvmsg(fd, &mh, 0), ETIMEDOUT);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, recvmmsg_times_out_with_etimedout_after_timeout)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	double t0;

	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recvmmsg(fd, &mm, 1, 0, NULL), ETIMEDOUT);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, recv_in_nonblocking_mode_fails_with_eagain_at_once)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	double t0;

	tst_settimeout(fd, 0.0);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_lt(tst_now() - t0, 1.0);
}

FAMILY_TEST(timeouts, recvmmsg_in_nonblocking_mode_fails_with_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };

	tst_settimeout(fd, 0.0);
	cr_assert_fail_errno(hsk_recvmmsg(fd, &mm, 1, 0, NULL), EAGAIN);
}

FAMILY_TEST(timeouts, setblocking_false_makes_recv_fail_with_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];

	cr_assert_ok(hsk_setblocking(fd, 0));
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
}

FAMILY_TEST(timeouts, dontwait_in_timeout_mode_fails_with_eagain_at_once)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	double t0;

	tst_settimeout(fd, 5.0);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
	cr_assert_lt(tst_now() - t0, 1.0);
}

FAMILY_TEST(timeouts, blocking_recv_is_woken_by_data_from_another_thread)
{
	struct tst_pair p;
	struct delayed_send d = { &p, 200, "wake up" };
	pthread_t th;
	char buf[16];
	double t0, el;
	ssize_t n;

	tst_pair_open(&p, family, false, false);
	cr_assert_lt(hsk_gettimeout(p.fd), 0.0, "in blocking mode");
	t0 = tst_now();
	start_delayed_send(&th, &d);
	n = hsk_recv(p.fd, buf, sizeof(buf), 0);
	el = tst_now() - t0;
	pthread_join(th, NULL);
	cr_assert_eq(n, 8, "hsk_recv: %zd (%s)", n, strerror(errno));
	cr_assert_str_eq(buf, "wake up");
	cr_assert_geq(el, 0.15, "returned after %.3f s, before the send", el);
}

FAMILY_TEST(timeouts, timeout_mode_recv_gets_data_that_arrives_in_time)
{
	struct tst_pair p;
	struct delayed_send d = { &p, 200, "in time" };
	pthread_t th;
	char buf[16];
	ssize_t n;

	tst_pair_open(&p, family, false, false);
	tst_settimeout(p.fd, 5.0);
	start_delayed_send(&th, &d);
	n = hsk_recv(p.fd, buf, sizeof(buf), 0);
	pthread_join(th, NULL);
	cr_assert_eq(n, 8, "hsk_recv: %zd (%s)", n, strerror(errno));
	cr_assert_str_eq(buf, "in time");
}

FAMILY_TEST(timeouts, so_rcvtimeo_in_blocking_mode_gives_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct timeval tv = { 0, 200000 };
	char buf[16];
	double t0;

	cr_assert_lt(hsk_gettimeout(fd), 0.0, "in blocking mode");
	cr_assert_ok(
		hsk_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, fcntl_o_nonblock_in_blocking_mode_gives_eagain)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	char buf[16];
	int fl = fcntl(fd, F_GETFL);

	cr_assert_lt(hsk_gettimeout(fd), 0.0, "in blocking mode");
	cr_assert_ok(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
}

FAMILY_TEST(timeouts, timeout_mode_returns_queued_data_at_once)
{
	struct tst_pair p;
	struct pollfd pfd = { .events = POLLIN };
	char buf[16];
	double t0;

	tst_pair_open(&p, family, false, false);
	pfd.fd = p.fd;
	tst_peer_send(&p, "queued", 7);
	cr_assert_eq(hsk_poll(&pfd, 1, 2000), 1, "never arrived");
	tst_settimeout(p.fd, 10.0);
	t0 = tst_now();
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0), 7);
	cr_assert_lt(tst_now() - t0, 1.0);
	cr_assert_str_eq(buf, "queued");
}

FAMILY_TEST(timeouts, send_in_timeout_mode_reaches_the_peer)
{
	struct tst_pair p;
	char buf[16];

	tst_pair_open(&p, family, true, false);
	tst_settimeout(p.fd, 0.5);
	cr_assert_eq(hsk_send(p.fd, "timed", 6, 0), 6, "hsk_send: %s",
		     strerror(errno));
	cr_assert_eq(
		tst_kernel_recv(p.peer, buf, sizeof(buf), 2000, NULL, NULL), 6);
	cr_assert_str_eq(buf, "timed");
}

FAMILY_TEST(timeouts, timeout_mode_wins_over_so_rcvtimeo)
{
	int fd = tst_udp_bound(family, TST_PORT_LOCAL);
	struct timeval tv = { 10, 0 };
	char buf[16];
	double t0;

	cr_assert_ok(
		hsk_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, fcntl_o_nonblock_in_blocking_mode_returns_queued_data)
{
	struct tst_pair p;
	struct pollfd pfd = { .events = POLLIN };
	char buf[16];

	tst_pair_open(&p, family, false, false);
	pfd.fd = p.fd;
	cr_assert_ok(fcntl(p.fd, F_SETFL, fcntl(p.fd, F_GETFL) | O_NONBLOCK));
	tst_peer_send(&p, "queued", 7);
	cr_assert_eq(hsk_poll(&pfd, 1, 2000), 1, "never arrived");
	cr_assert_eq(hsk_recv(p.fd, buf, sizeof(buf), 0), 7, "hsk_recv: %s",
		     strerror(errno));
	cr_assert_str_eq(buf, "queued");
}

/* busy_poll_us for the sockets made from now on. */
static void busy_poll(unsigned int us)
{
	HSK_OPTS(o, .busy_poll_us = us);

	cr_assert_ok(hsk_init(&o));
}

FAMILY_TEST(timeouts, busy_polling_recv_times_out_with_etimedout)
{
	int fd;
	char buf[16];
	double t0;

	busy_poll(50000);
	fd = tst_udp_bound(family, TST_PORT_LOCAL);
	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, busy_polling_spin_ends_at_the_timeout)
{
	int fd;
	char buf[16];
	double t0, el;

	busy_poll(1000000);
	fd = tst_udp_bound(family, TST_PORT_LOCAL);
	tst_settimeout(fd, 0.05);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert_lt(el, 0.5, "spun %.3f s past a 0.05 s timeout", el);
}

FAMILY_TEST(timeouts, busy_polling_recv_gets_data_that_arrives_while_spinning)
{
	struct tst_pair p;
	struct delayed_send d = { &p, 100, "spun" };
	pthread_t th;
	char buf[16];
	ssize_t n;

	busy_poll(1000000);
	tst_pair_open(&p, family, false, false);
	start_delayed_send(&th, &d);
	n = hsk_recv(p.fd, buf, sizeof(buf), 0);
	pthread_join(th, NULL);
	cr_assert_eq(n, 5, "hsk_recv: %zd (%s)", n, strerror(errno));
	cr_assert_str_eq(buf, "spun");
}

FAMILY_TEST(timeouts, busy_polling_blocking_recv_honours_so_rcvtimeo)
{
	struct timeval tv = { 0, 200000 };
	int fd;
	char buf[16];
	double t0;

	busy_poll(50000);
	fd = tst_udp_bound(family, TST_PORT_LOCAL);
	cr_assert_ok(
		hsk_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	assert_about_200ms(tst_now() - t0);
}

FAMILY_TEST(timeouts, busy_polling_blocking_recv_with_o_nonblock_does_not_spin)
{
	int fd;
	char buf[16];
	double t0, el;

	busy_poll(1000000);
	fd = tst_udp_bound(family, TST_PORT_LOCAL);
	cr_assert_ok(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	el = tst_now() - t0;
	cr_assert_lt(el, 0.5, "took %.3f s", el);
}
