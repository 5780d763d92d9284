// SPDX-License-Identifier: BSD-3-Clause
/*
 * tcp_passthrough.c - TCP is a plain kernel socket, served through the same
 * hsk_ calls (timeouts included), between the local and the peer namespace.
 */
#include "hsk_test.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define TCP_PORT 40020

/*
 * TCP stays with the kernel on every backend. Under dpdk the kernel has
 * no address on the test link (the port is hotsock's), so a TCP
 * conversation across it cannot happen, as on any DPDK host: those tests
 * skip there, and say why.
 */
static void tcp_link_init(void)
{
	const char *b = tst_expected_backend();

	if (b && !strcmp(b, "dpdk"))
		cr_skip_test("dpdk owns the link: the kernel's TCP has no "
			     "address there");
	tst_topo_init();
}

#define LINK_TEST(name) FAMILY_TEST_INIT(tcp, name, tcp_link_init)

/* A hotsock TCP socket listening on the local address. */
static int local_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TCP_PORT, &ss);
	int fd = hsk_socket(family, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket(SOCK_STREAM): %s", strerror(errno));
	cr_assert_ok(hsk_bind(fd, (struct sockaddr *)&ss, len));
	cr_assert_ok(hsk_listen(fd, 8));
	return fd;
}

/* A kernel TCP socket in the peer namespace, connected to the listener. */
static int peer_client(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, TCP_PORT, &ss);
	int fd = topo_peer_socket(&tst_topo, family, SOCK_STREAM | SOCK_CLOEXEC,
				  0);

	cr_assert_geq(fd, 0, "peer socket: %s", strerror(errno));
	cr_assert_ok(connect(fd, (struct sockaddr *)&ss, len));
	return fd;
}

/* A kernel TCP listener in the peer namespace. */
static int peer_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, TCP_PORT, &ss);
	int fd = topo_peer_socket(&tst_topo, family, SOCK_STREAM | SOCK_CLOEXEC,
				  0);

	cr_assert_geq(fd, 0, "peer socket: %s", strerror(errno));
	cr_assert_ok(bind(fd, (struct sockaddr *)&ss, len));
	cr_assert_ok(listen(fd, 8));
	return fd;
}

/* Accept on the local listener (within 2 s); return the hotsock socket. */
static int local_accept(int lfd, struct sockaddr_storage *from,
			socklen_t *fromlen)
{
	int fd;

	tst_settimeout(lfd, 2.0);
	fd = hsk_accept(lfd, (struct sockaddr *)from, fromlen);
	cr_assert_geq(fd, 0, "hsk_accept: %s", strerror(errno));
	return fd;
}

/* A connection: hotsock end @fd (accepted locally), kernel end @peer. */
static void connection(int family, int *fd, int *peer)
{
	int lfd = local_listener(family);

	*peer = peer_client(family);
	*fd = local_accept(lfd, NULL, NULL);
	hsk_close(lfd);
}

/* Read a whole stream of tst_fill(seed) bytes on a kernel socket. */
struct reader {
	int fd;
	size_t want, got;
	unsigned int seed;
	bool ok;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	unsigned char *buf = malloc(65536), *ref = malloc(65536);
	ssize_t n;

	r->ok = buf && ref;
	while (r->ok && r->got < r->want) {
		n = recv(r->fd, buf, 65536, 0);
		if (n <= 0)
			break;
		/* The pattern at stream offset got. */
		tst_fill(ref, (size_t)n, r->seed + (unsigned)(r->got * 7));
		if (memcmp(buf, ref, (size_t)n))
			r->ok = false;
		r->got += (size_t)n;
	}
	free(buf);
	free(ref);
	return NULL;
}

/* Send @len pattern bytes with hsk_sendall() while a thread reads them. */
static void sendall_and_check(int fd, int peer, size_t len)
{
	struct reader r = { .fd = peer, .want = len, .seed = 3 };
	unsigned char *msg = malloc(len);
	pthread_t th;
	ssize_t n;

	cr_assert_not_null(msg);
	tst_fill(msg, len, 3);
	cr_assert_eq(pthread_create(&th, NULL, reader_thread, &r), 0);
	n = hsk_sendall(fd, msg, len, 0);
	pthread_join(th, NULL);
	cr_assert_eq(n, (ssize_t)len, "hsk_sendall: %zd (%s)", n,
		     strerror(errno));
	cr_assert_eq(r.got, len, "peer read %zu of %zu", r.got, len);
	cr_assert(r.ok, "peer read different bytes");
	free(msg);
}

LINK_TEST(listen_accept_and_sendall_between_local_and_peer)
{
	int fd, peer;

	connection(family, &fd, &peer);
	sendall_and_check(fd, peer, 1 << 20);
}

LINK_TEST(sendall_in_timeout_mode_sends_everything)
{
	int fd, peer;

	connection(family, &fd, &peer);
	tst_settimeout(fd, 10.0);
	sendall_and_check(fd, peer, 4 << 20);
}

LINK_TEST(accept_returns_the_peer_address)
{
	int lfd = local_listener(family);
	int peer = peer_client(family);
	struct sockaddr_storage from, want;
	socklen_t fromlen = sizeof(from), wlen = sizeof(want);

	local_accept(lfd, &from, &fromlen);
	/* The peer's ephemeral port, as the peer itself sees it. */
	cr_assert_ok(getsockname(peer, (struct sockaddr *)&want, &wlen));
	tst_assert_addr(&from, fromlen, family, TST_PEER, tst_addr_port(&want));
}

LINK_TEST(accepted_socket_has_the_default_timeout)
{
	int lfd = local_listener(family);
	int fd;

	peer_client(family);
	cr_assert_ok(hsk_setdefaulttimeout(3.0));
	fd = local_accept(lfd, NULL, NULL);
	cr_assert_float_eq(hsk_gettimeout(fd), 3.0, 1e-9);
	cr_assert_str_eq(hsk_backend_name(fd), "kernel");
}

FAMILY_TEST(tcp, stream_sockets_use_the_kernel)
{
	int fd = hsk_socket(family, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "hsk_socket: %s", strerror(errno));
	cr_assert_str_eq(hsk_backend_name(fd), "kernel");
}

LINK_TEST(connect_to_a_peer_listener_and_exchange)
{
	int lfd = peer_listener(family);
	int fd = hsk_socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, TCP_PORT, &ss);
	char buf[16];
	int pfd;

	cr_assert_geq(fd, 0);
	cr_assert_ok(hsk_connect(fd, (struct sockaddr *)&ss, len));
	pfd = accept(lfd, NULL, NULL);
	cr_assert_geq(pfd, 0, "peer accept: %s", strerror(errno));
	cr_assert_eq(hsk_send(fd, "ping", 5, 0), 5);
	cr_assert_eq(tst_kernel_recv(pfd, buf, sizeof(buf), 2000, NULL, NULL),
		     5);
	cr_assert_str_eq(buf, "ping");
	cr_assert_eq(send(pfd, "pong", 5, 0), 5);
	tst_settimeout(fd, 2.0);
	cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), 0), 5);
	cr_assert_str_eq(buf, "pong");
}

LINK_TEST(connect_in_timeout_mode_completes)
{
	int lfd = peer_listener(family);
	int fd = hsk_socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss, peer;
	socklen_t len = tst_addr(family, TST_PEER, TCP_PORT, &ss);
	socklen_t plen = sizeof(peer);

	cr_assert_geq(fd, 0);
	tst_settimeout(fd, 2.0);
	cr_assert_ok(hsk_connect(fd, (struct sockaddr *)&ss, len));
	cr_assert_ok(hsk_getpeername(fd, (struct sockaddr *)&peer, &plen));
	tst_assert_addr(&peer, plen, family, TST_PEER, TCP_PORT);
	close(lfd);
}

LINK_TEST(connect_to_a_closed_port_fails_with_econnrefused)
{
	int fd = hsk_socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, TCP_PORT, &ss);

	cr_assert_geq(fd, 0);
	cr_assert_fail_errno(hsk_connect(fd, (struct sockaddr *)&ss, len),
			     ECONNREFUSED);
}

LINK_TEST(recv_waitall_gathers_the_whole_message)
{
	int fd, peer, i;
	char msg[300], buf[300];

	connection(family, &fd, &peer);
	tst_fill(msg, sizeof(msg), 40);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(send(peer, msg + 100 * i, 100, 0), 100);
		tst_sleep_ms(50);
	}
	cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), MSG_WAITALL),
		     (ssize_t)sizeof(buf), "hsk_recv(MSG_WAITALL): %s",
		     strerror(errno));
	cr_assert(!memcmp(buf, msg, sizeof(msg)));
}

LINK_TEST(shutdown_wr_gives_the_peer_end_of_file)
{
	int fd, peer;
	char buf[8];

	connection(family, &fd, &peer);
	cr_assert_ok(hsk_shutdown(fd, SHUT_WR));
	cr_assert_eq(tst_kernel_recv(peer, buf, sizeof(buf), 2000, NULL, NULL),
		     0);
}

LINK_TEST(recv_returns_zero_on_orderly_shutdown_by_the_peer)
{
	int fd, peer;
	char buf[8];

	connection(family, &fd, &peer);
	cr_assert_ok(shutdown(peer, SHUT_WR));
	tst_settimeout(fd, 2.0);
	cr_assert_eq(hsk_recv(fd, buf, sizeof(buf), 0), 0);
}

LINK_TEST(getsockname_and_getpeername_of_an_accepted_socket)
{
	int fd, peer;
	struct sockaddr_storage ss, want;
	socklen_t len = sizeof(ss), wlen = sizeof(want);

	connection(family, &fd, &peer);
	cr_assert_ok(hsk_getsockname(fd, (struct sockaddr *)&ss, &len));
	tst_assert_addr(&ss, len, family, TST_LOCAL, TCP_PORT);
	len = sizeof(ss);
	cr_assert_ok(hsk_getpeername(fd, (struct sockaddr *)&ss, &len));
	cr_assert_ok(getsockname(peer, (struct sockaddr *)&want, &wlen));
	tst_assert_addr(&ss, len, family, TST_PEER, tst_addr_port(&want));
}

LINK_TEST(accept_times_out_with_etimedout)
{
	int lfd = local_listener(family);
	double t0, el;

	tst_settimeout(lfd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_accept(lfd, NULL, NULL), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "took %.3f s", el);
}

LINK_TEST(accept_in_nonblocking_mode_fails_with_eagain)
{
	int lfd = local_listener(family);

	tst_settimeout(lfd, 0.0);
	cr_assert_fail_errno(hsk_accept(lfd, NULL, NULL), EAGAIN);
}

LINK_TEST(recv_in_timeout_mode_times_out_with_etimedout)
{
	int fd, peer;
	char buf[8];
	double t0, el;

	connection(family, &fd, &peer);
	tst_settimeout(fd, 0.2);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_recv(fd, buf, sizeof(buf), 0), ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.15 && el < 2.0, "took %.3f s", el);
}

/* The peer sends @parts chunks of @chunk bytes, @gap_ms apart. */
struct trickle_writer {
	int fd;
	const char *buf;
	size_t chunk;
	int parts, gap_ms;
};

static void *trickle_writer_thread(void *arg)
{
	struct trickle_writer *w = arg;

	for (int i = 0; i < w->parts; i++) {
		tst_sleep_ms(w->gap_ms);
		if (send(w->fd, w->buf + w->chunk * (size_t)i, w->chunk,
			 MSG_NOSIGNAL) < 0)
			break;
	}
	return NULL;
}

LINK_TEST(recv_waitall_in_timeout_mode_waits_for_the_whole_message)
{
	int fd, peer;
	char msg[300], buf[300];
	struct trickle_writer w = {
		.buf = msg, .chunk = 100, .parts = 3, .gap_ms = 150
	};
	pthread_t th;
	ssize_t n;

	connection(family, &fd, &peer);
	tst_fill(msg, sizeof(msg), 41);
	w.fd = peer;
	tst_settimeout(fd, 5.0);
	cr_assert_eq(pthread_create(&th, NULL, trickle_writer_thread, &w), 0);
	n = hsk_recv(fd, buf, sizeof(buf), MSG_WAITALL);
	pthread_join(th, NULL);
	cr_assert_eq(n, (ssize_t)sizeof(buf), "hsk_recv(MSG_WAITALL): %zd (%s)",
		     n, n < 0 ? strerror(errno) : "bytes");
	cr_assert(!memcmp(buf, msg, sizeof(msg)));
}

/* The peer reads @chunk bytes every @gap_ms, for at most @max_ms. */
struct slow_reader {
	int fd;
	size_t chunk;
	int gap_ms, max_ms;
};

static void *slow_reader_thread(void *arg)
{
	struct slow_reader *r = arg;
	char *buf = malloc(r->chunk);
	double end = tst_now() + r->max_ms / 1000.0;

	while (buf && tst_now() < end) {
		if (recv(r->fd, buf, r->chunk, MSG_DONTWAIT) == 0)
			break;
		tst_sleep_ms(r->gap_ms);
	}
	free(buf);
	return NULL;
}

LINK_TEST(sendall_timeout_bounds_the_whole_call)
{
	int fd, peer;
	size_t len = 64u << 20;
	char *msg = calloc(1, len);
	struct slow_reader r = { .chunk = 16384, .gap_ms = 20, .max_ms = 8000 };
	pthread_t th;
	double t0, el;
	ssize_t n;

	cr_assert_not_null(msg);
	connection(family, &fd, &peer);
	r.fd = peer;
	/* The reader keeps each send making progress: only a deadline for
	 * the whole call stops this sendall in time. */
	cr_assert_eq(pthread_create(&th, NULL, slow_reader_thread, &r), 0);
	tst_settimeout(fd, 0.5);
	t0 = tst_now();
	errno = 0;
	n = hsk_sendall(fd, msg, len, MSG_NOSIGNAL);
	el = tst_now() - t0;
	cr_assert_eq(n, -1, "hsk_sendall sent everything: %zd", n);
	cr_assert_eq(errno, ETIMEDOUT, "errno %s", strerrorname_np(errno));
	cr_assert(el >= 0.4 && el < 3.0, "took %.3f s", el);
	shutdown(peer, SHUT_RDWR);
	pthread_join(th, NULL);
	free(msg);
}

LINK_TEST(connect_in_timeout_mode_to_a_silent_host_fails_etimedout)
{
	int fd = hsk_socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, TCP_PORT, &ss);
	double t0, el;

	/* Nobody answers ARP or ND for .3 on the veth link. */
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
			htonl(ntohl(tst_topo.ip4_peer.s_addr) + 1);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr[15] = 3;
	cr_assert_geq(fd, 0);
	tst_settimeout(fd, 0.3);
	t0 = tst_now();
	cr_assert_fail_errno(hsk_connect(fd, (struct sockaddr *)&ss, len),
			     ETIMEDOUT);
	el = tst_now() - t0;
	cr_assert(el >= 0.25 && el < 2.0, "took %.3f s", el);
}
