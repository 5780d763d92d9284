// SPDX-License-Identifier: BSD-3-Clause
/*
 * timeout.c - the Python-socket timeout bookkeeping: modes, defaults, the
 * O_NONBLOCK flag that goes with them. No network: these run unprivileged.
 */
#include "hsk_test.h"

#include <fcntl.h>
#include <math.h>
#include <sys/un.h>
#include <unistd.h>

static int udp(void)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	return fd;
}

static bool o_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	cr_assert_geq(fl, 0, "F_GETFL: %s", strerror(errno));
	return fl & O_NONBLOCK;
}

Test(timeout, new_socket_is_in_blocking_mode)
{
	int fd = udp();

	cr_assert_lt(hsk_gettimeout(fd), 0.0);
	cr_assert_eq(hsk_getblocking(fd), 1);
	cr_assert_not(o_nonblock(fd));
}

Test(timeout, settimeout_then_gettimeout_returns_it)
{
	int fd = udp();

	cr_assert_ok(hsk_settimeout(fd, 0.25));
	cr_assert_float_eq(hsk_gettimeout(fd), 0.25, 1e-9);
}

Test(timeout, settimeout_zero_is_nonblocking_mode)
{
	int fd = udp();

	cr_assert_ok(hsk_settimeout(fd, 0.0));
	cr_assert_eq(hsk_gettimeout(fd), 0.0);
	cr_assert_eq(hsk_getblocking(fd), 0);
	cr_assert(o_nonblock(fd));
}

Test(timeout, timeout_mode_counts_as_blocking_and_sets_o_nonblock)
{
	int fd = udp();

	cr_assert_ok(hsk_settimeout(fd, 1.5));
	cr_assert_eq(hsk_getblocking(fd), 1);
	cr_assert(o_nonblock(fd));
}

Test(timeout, negative_timeout_is_blocking_and_clears_o_nonblock)
{
	int fd = udp();

	cr_assert_ok(hsk_settimeout(fd, 0.0));
	cr_assert(o_nonblock(fd));
	cr_assert_ok(hsk_settimeout(fd, -5.0));
	cr_assert_lt(hsk_gettimeout(fd), 0.0);
	cr_assert_eq(hsk_getblocking(fd), 1);
	cr_assert_not(o_nonblock(fd));
}

Test(timeout, setblocking_round_trips)
{
	int fd = udp();

	cr_assert_ok(hsk_setblocking(fd, 0));
	cr_assert_eq(hsk_getblocking(fd), 0);
	cr_assert_eq(hsk_gettimeout(fd), 0.0);
	cr_assert_ok(hsk_setblocking(fd, 1));
	cr_assert_eq(hsk_getblocking(fd), 1);
	cr_assert_lt(hsk_gettimeout(fd), 0.0);
}

Test(timeout, settimeout_nan_fails_with_einval_and_keeps_mode)
{
	int fd = udp();

	cr_assert_ok(hsk_settimeout(fd, 0.5));
	cr_assert_fail_errno(hsk_settimeout(fd, NAN), EINVAL);
	cr_assert_float_eq(hsk_gettimeout(fd), 0.5, 1e-9);
}

Test(timeout, settimeout_too_large_fails_with_einval)
{
	int fd = udp();

	cr_assert_fail_errno(hsk_settimeout(fd, 1e300), EINVAL);
	cr_assert_fail_errno(hsk_settimeout(fd, INFINITY), EINVAL);
}

Test(timeout, settimeout_on_foreign_descriptor_fails_with_ebadf)
{
	int p[2];

	cr_assert_ok(pipe(p));
	cr_assert_fail_errno(hsk_settimeout(p[0], 1.0), EBADF);
	cr_assert_fail_errno(hsk_settimeout(-1, 1.0), EBADF);
}

Test(timeout, gettimeout_on_foreign_descriptor_is_nan_with_ebadf)
{
	int p[2];
	double t;

	cr_assert_ok(pipe(p));
	errno = 0;
	t = hsk_gettimeout(p[0]);
	cr_assert(isnan(t), "hsk_gettimeout gave %g", t);
	cr_assert_eq(errno, EBADF);
}

Test(timeout, blocking_calls_on_foreign_descriptor_fail_with_ebadf)
{
	int p[2];

	cr_assert_ok(pipe(p));
	cr_assert_fail_errno(hsk_setblocking(p[0], 0), EBADF);
	cr_assert_fail_errno(hsk_getblocking(p[0]), EBADF);
}

Test(timeout, closed_socket_is_no_longer_a_hotsock_descriptor)
{
	int fd = udp();

	cr_assert_ok(hsk_close(fd));
	cr_assert_fail_errno(hsk_settimeout(fd, 1.0), EBADF);
}

Test(timeout, default_timeout_is_blocking_initially)
{
	cr_assert_lt(hsk_getdefaulttimeout(), 0.0);
}

Test(timeout, default_timeout_applies_to_new_sockets)
{
	int fd;

	cr_assert_ok(hsk_setdefaulttimeout(0.75));
	cr_assert_float_eq(hsk_getdefaulttimeout(), 0.75, 1e-9);
	fd = udp();
	cr_assert_float_eq(hsk_gettimeout(fd), 0.75, 1e-9);
	cr_assert(o_nonblock(fd));
}

Test(timeout, default_timeout_leaves_existing_sockets_alone)
{
	int fd = udp();

	cr_assert_ok(hsk_setdefaulttimeout(0.0));
	cr_assert_lt(hsk_gettimeout(fd), 0.0);
	cr_assert_not(o_nonblock(fd));
}

Test(timeout, setdefaulttimeout_nan_fails_with_einval)
{
	cr_assert_ok(hsk_setdefaulttimeout(2.0));
	cr_assert_fail_errno(hsk_setdefaulttimeout(NAN), EINVAL);
	cr_assert_float_eq(hsk_getdefaulttimeout(), 2.0, 1e-9);
}

Test(timeout, sock_nonblock_starts_nonblocking_whatever_the_default)
{
	int fd;

	cr_assert_ok(hsk_setdefaulttimeout(0.75));
	fd = hsk_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_eq(hsk_gettimeout(fd), 0.0);
	cr_assert_eq(hsk_getblocking(fd), 0);
}

/* AF_UNIX is a plain kernel socket, and the timeouts still serve it. */
Test(timeout, unix_socket_recv_times_out_with_etimedout)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = hsk_socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[8];
	double t0, el;

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	/* An abstract name, unique to this process. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "hsk-test-%d",
		 (int)getpid());
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&sun,
			      offsetof(struct sockaddr_un, sun_path) + 1 +
				      strlen(sun.sun_path + 1)));
	cr_assert_ok(hsk_settimeout(fd, 0.2));
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "timed out after %.3f s", el);
}
