// SPDX-License-Identifier: BSD-3-Clause
/*
 * config.c - hsk_init() option validation and the configuration it sets.
 * No network: these run unprivileged.
 */
#include "hsk_test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* A caller built against a newer header: one field more at the end. */
struct opts_newer {
	struct hsk_opts o;
	uint64_t future;
};

Test(config, init_with_null_opts_uses_environment)
{
	cr_assert_ok(hsk_init(NULL));
}

Test(config, init_accepts_valid_options)
{
	HSK_OPTS(o, .backend = "kernel", .strict = 1, .log_level = 1,
		 .zc_max_held = 8, .zc_buf_size = 4096,
		 .packet_ring_size = 1 << 20);

	cr_assert_ok(hsk_init(&o));
}

Test(config, init_with_size_zero_fails_with_einval)
{
	HSK_OPTS(o, .backend = "kernel");

	o.sz = 0;
	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_size_below_first_field_fails_with_einval)
{
	HSK_OPTS(o, .backend = "kernel");

	o.sz = sizeof(o.sz) - 1;
	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_unknown_nonzero_trailing_bytes_fails_with_einval)
{
	struct opts_newer n;

	memset(&n, 0, sizeof(n));
	n.o.sz = sizeof(n);
	n.future = 1;
	cr_assert_fail_errno(hsk_init(&n.o), EINVAL);
}

Test(config, init_with_zero_trailing_bytes_succeeds)
{
	struct opts_newer n;

	memset(&n, 0, sizeof(n));
	n.o.sz = sizeof(n);
	n.o.backend = "kernel";
	cr_assert_ok(hsk_init(&n.o));
}

Test(config, init_reads_no_field_past_the_size_given)
{
	/* An older caller: zc_buf_size lies past its size, and is garbage. */
	HSK_OPTS(o, .backend = "kernel", .zc_buf_size = 1);

	o.sz = offsetof(struct hsk_opts, zc_max_held);
	cr_assert_ok(hsk_init(&o));
}

Test(config, init_with_unknown_backend_fails_with_einval)
{
	HSK_OPTS(o, .backend = "no_such_backend");

	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_empty_backend_name_fails_with_einval)
{
	HSK_OPTS(o, .backend = "");

	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_zc_buf_size_below_256_fails_with_einval)
{
	HSK_OPTS(o, .zc_buf_size = 255);

	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_zc_buf_size_above_65536_fails_with_einval)
{
	HSK_OPTS(o, .zc_buf_size = 65537);

	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_accepts_zc_buf_size_bounds)
{
	HSK_OPTS(lo, .zc_buf_size = 256);
	HSK_OPTS(hi, .zc_buf_size = 65536);

	cr_assert_ok(hsk_init(&lo));
	cr_assert_ok(hsk_init(&hi));
}

Test(config, init_with_log_level_above_4_fails_with_einval)
{
	HSK_OPTS(o, .log_level = 5);

	cr_assert_fail_errno(hsk_init(&o), EINVAL);
}

Test(config, init_with_bad_backend_variable_fails_with_einval)
{
	cr_assert_ok(setenv("HOTSOCK_BACKEND", "no_such_backend", 1));
	cr_assert_fail_errno(hsk_init(NULL), EINVAL);
}

Test(config, init_with_bad_zc_buf_size_variable_fails_with_einval)
{
	cr_assert_ok(setenv("HOTSOCK_ZC_BUF_SIZE", "100", 1));
	cr_assert_fail_errno(hsk_init(NULL), EINVAL);
}

Test(config, socket_with_bad_backend_variable_fails_with_einval)
{
	/* No hsk_init(): the first hsk_socket() configures itself. */
	cr_assert_ok(setenv("HOTSOCK_BACKEND", "no_such_backend", 1));
	cr_assert_fail_errno(hsk_socket(AF_INET, SOCK_DGRAM, 0), EINVAL);
}

Test(config, kernel_backend_chosen_in_code_serves_udp)
{
	HSK_OPTS(o, .backend = "kernel", .strict = 1);
	int fd;

	cr_assert_ok(hsk_init(&o));
	fd = hsk_socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_str_eq(hsk_backend_name(fd), "kernel");
	cr_assert_ok(hsk_close(fd));
}

Test(config, options_apply_to_sockets_created_afterwards)
{
	HSK_OPTS(o, .backend = "kernel", .zc_max_held = 2);
	struct hsk_buf bufs[4];
	int fd;

	cr_assert_ok(hsk_init(&o));
	fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	/* The cap lends fewer than asked, then none. */
	cr_assert_eq(hsk_buf_alloc(fd, bufs, 4), 2, "hsk_buf_alloc: %s",
		     strerror(errno));
	cr_assert_fail_errno(hsk_buf_alloc(fd, bufs + 2, 1), ENOBUFS);
	cr_assert_ok(hsk_buf_release(fd, bufs, 2));
	cr_assert_ok(hsk_close(fd));
}

Test(config, socket_descriptor_is_a_kernel_socket)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	int type = 0;
	socklen_t len = sizeof(type);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_ok(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
	cr_assert_eq(type, SOCK_DGRAM);
	cr_assert_ok(hsk_close(fd));
}

Test(config, socket_with_unknown_domain_fails_with_eafnosupport)
{
	cr_assert_fail_errno(hsk_socket(12345, SOCK_DGRAM, 0), EAFNOSUPPORT);
}

Test(config, socket_with_unknown_type_fails_with_einval)
{
	cr_assert_fail_errno(hsk_socket(AF_INET, 12345, 0), EINVAL);
}

Test(config, socket_with_wrong_protocol_fails_with_eprotonosupport)
{
	cr_assert_fail_errno(hsk_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP),
			     EPROTONOSUPPORT);
}

Test(config, socket_cloexec_is_honoured)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int plain = hsk_socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_geq(plain, 0, "hsk_socket: %s", strerror(errno));
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_not(fcntl(plain, F_GETFD) & FD_CLOEXEC);
	hsk_close(fd);
	hsk_close(plain);
}

Test(config, close_of_minus_one_fails_with_ebadf)
{
	cr_assert_fail_errno(hsk_close(-1), EBADF);
}

Test(config, close_twice_fails_with_ebadf)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_ok(hsk_close(fd));
	cr_assert_fail_errno(hsk_close(fd), EBADF);
}

Test(config, close_of_foreign_descriptor_closes_it)
{
	int p[2];

	cr_assert_ok(pipe(p));
	cr_assert_ok(hsk_close(p[0]));
	cr_assert_fail_errno(fcntl(p[0], F_GETFD), EBADF);
	close(p[1]);
}

Test(config, backend_name_of_foreign_descriptor_is_null_with_ebadf)
{
	int p[2];

	cr_assert_ok(pipe(p));
	errno = 0;
	cr_assert_null(hsk_backend_name(p[0]));
	cr_assert_eq(errno, EBADF);
	errno = 0;
	cr_assert_null(hsk_backend_name(-1));
	cr_assert_eq(errno, EBADF);
}

Test(config, stats_of_new_socket_are_zero)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	struct hsk_stats st;
	static const struct hsk_stats zero;

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	memset(&st, 0xa5, sizeof(st));
	cr_assert_ok(hsk_stats(fd, &st, sizeof(st)));
	cr_assert(!memcmp(&st, &zero, sizeof(st)));
	hsk_close(fd);
}

Test(config, stats_fill_only_the_size_given)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	struct hsk_stats st;
	unsigned char *raw = (unsigned char *)&st;
	size_t i;

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	memset(&st, 0xa5, sizeof(st));
	cr_assert_ok(hsk_stats(fd, &st, sizeof(uint64_t)));
	cr_assert_eq(st.rx_packets, 0);
	for (i = sizeof(uint64_t); i < sizeof(st); i++)
		cr_assert_eq(raw[i], 0xa5, "byte %zu past the size written", i);
	hsk_close(fd);
}

Test(config, stats_with_null_fails_with_efault)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_fail_errno(hsk_stats(fd, NULL, sizeof(struct hsk_stats)),
			     EFAULT);
	hsk_close(fd);
}

Test(config, stats_with_size_below_one_counter_fails_with_einval)
{
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	struct hsk_stats st;

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_fail_errno(hsk_stats(fd, &st, sizeof(uint64_t) - 1), EINVAL);
	hsk_close(fd);
}

Test(config, stats_of_foreign_descriptor_fail_with_ebadf)
{
	struct hsk_stats st;
	int p[2];

	cr_assert_ok(pipe(p));
	cr_assert_fail_errno(hsk_stats(p[0], &st, sizeof(st)), EBADF);
}

Test(config, stats_for_a_newer_caller_zero_the_unknown_fields)
{
	struct {
		struct hsk_stats st;
		unsigned char future[16];
	} big;
	int fd = hsk_socket(AF_INET, SOCK_DGRAM, 0);
	size_t i;

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	memset(&big, 0xa5, sizeof(big));
	cr_assert_ok(hsk_stats(fd, &big.st, sizeof(big)));
	cr_assert_eq(big.st.rx_packets, 0);
	cr_assert_eq(big.st.tx_errors, 0);
	for (i = 0; i < sizeof(big.future); i++)
		cr_assert_eq(big.future[i], 0, "byte %zu past the struct",
			     i);
	hsk_close(fd);
}
