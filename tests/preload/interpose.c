// SPDX-License-Identifier: BSD-3-Clause
/*
 * Each libc call the preload stands in front of, as an unmodified program
 * makes it: this suite runs under libhotsock-preload.so and never calls
 * hotsock itself. Its UDP sockets are hotsock's (the counters say which
 * path carried each datagram); its peers, pipes and TCP sockets are the
 * kernel's, untouched.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preload_test.h"

#define PORT TST_PORT_LOCAL
#define PEER_PORT TST_PORT_PEER
#define MSG 100

static const char *backend(void)
{
	const char *b = tst_expected_backend();

	return b ? b : "af_xdp";
}

/* A hotsock socket bound to PORT and a kernel peer bound to PEER_PORT. */
struct pair {
	int fd, peer;
};

static struct pair pair_open(int family)
{
	struct pair p = { .fd = pt_udp_bound(family, PORT),
			  .peer = pt_peer_udp(family, PEER_PORT) };

	return p;
}

/* Connects the hotsock socket to its peer. */
static void pair_connect(struct pair *p, int family)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, PEER_PORT, &ss);

	cr_assert_ok(connect(p->fd, (struct sockaddr *)&ss, len));
}

/* Receives one datagram of @len bytes on the peer, within 5 s. */
static void peer_expect(struct pair *p, size_t len)
{
	char buf[2048];
	ssize_t n =
		tst_kernel_recv(p->peer, buf, sizeof(buf), 5000, NULL, NULL);

	cr_assert_eq(n, (ssize_t)len, "peer received %zd (%s)", n,
		     n < 0 ? strerror(errno) : "bytes");
}

/* Waits for @fd with poll(2) itself (through the preload). */
static void wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 5000), 1, "poll: nothing in 5 s");
}

/* ---- sockets -------------------------------------------------------- */

PRELOAD_TEST(socket, udp_goes_to_hotsock)
{
	int fd = pt_udp_bound(AF_INET, PORT);

	pt_assert_backend(fd, backend());
	close(fd);
}

PRELOAD_TEST(socket, tcp_stays_with_the_kernel)
{
	int u = pt_udp_bound(AF_INET, PORT);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	char line[1024];

	cr_assert_geq(t, 0);
	cr_assert_not(pt_stat_line(t, line, sizeof(line)),
		      "a TCP socket was taken: %s", line);
	cr_assert_ok(listen(t, 1));
	close(t);
	close(u);
}

PRELOAD_TEST(socket, sock_nonblock_gives_eagain_and_can_be_cleared)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(AF_INET, TST_LOCAL, PORT, &ss);
	int peer = pt_peer_udp(AF_INET, PEER_PORT);
	char buf[64];

	cr_assert_ok(bind(fd, (struct sockaddr *)&ss, len));
	cr_assert_fail_errno(recv(fd, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_ok(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK));
	pt_peer_send(peer, AF_INET, PORT, MSG, 1);
	cr_assert_eq(recv(fd, buf, sizeof(buf), 0), sizeof(buf));
	close(fd);
	close(peer);
}

/* ---- receiving and sending ------------------------------------------ */

static void recvfrom_takes_the_fast_path(int family);

PRELOAD_TEST(recv4, recvfrom_takes_the_fast_path)
{
	recvfrom_takes_the_fast_path(AF_INET);
}

PRELOAD_TEST(recv6, recvfrom_takes_the_fast_path)
{
	recvfrom_takes_the_fast_path(AF_INET6);
}

static void recvfrom_takes_the_fast_path(int family)
{
	struct pair p = pair_open(family);
	struct sockaddr_storage from;
	socklen_t fromlen;
	char buf[2048], want[MSG];

	for (unsigned int i = 0; i < 10; i++) {
		pt_peer_send(p.peer, family, PORT, MSG, i);
		fromlen = sizeof(from);
		cr_assert_eq(recvfrom(p.fd, buf, sizeof(buf), 0,
				      (struct sockaddr *)&from, &fromlen),
			     MSG);
		tst_fill(want, MSG, i);
		cr_assert_arr_eq(buf, want, MSG);
		tst_assert_addr(&from, fromlen, family, TST_PEER, PEER_PORT);
	}
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 10);
	cr_assert_eq(pt_stat(p.fd, "rx_kernel_path"), 0);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(send, sendto_takes_the_fast_path_to_a_known_neighbour)
{
	struct pair p = pair_open(AF_INET);
	struct sockaddr_storage to;
	socklen_t tolen = tst_addr(AF_INET, TST_PEER, PEER_PORT, &to);
	char buf[MSG];

	/* The peer's datagram teaches the kernel its neighbour. */
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 0);
	cr_assert_eq(recv(p.fd, buf, sizeof(buf), 0), MSG);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(sendto(p.fd, buf, MSG, 0, (struct sockaddr *)&to,
				    tolen),
			     MSG);
		peer_expect(&p, MSG);
	}
	cr_assert_eq(pt_stat(p.fd, "tx_packets"), 10);
	cr_assert_gt(pt_stat(p.fd, "tx_fast_path"), 0);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(send, read_and_write_work_on_a_connected_socket)
{
	struct pair p = pair_open(AF_INET);
	char buf[2048];

	pair_connect(&p, AF_INET);
	cr_assert_eq(write(p.fd, "ping", 4), 4);
	peer_expect(&p, 4);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 3);
	cr_assert_eq(read(p.fd, buf, sizeof(buf)), MSG);
	cr_assert_eq(pt_stat(p.fd, "rx_packets"), 1);
	cr_assert_eq(pt_stat(p.fd, "tx_packets"), 1);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(send, readv_and_writev_scatter_and_gather)
{
	struct pair p = pair_open(AF_INET);
	char a[30], b[70], want[MSG];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	pair_connect(&p, AF_INET);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 5);
	cr_assert_eq(readv(p.fd, iov, 2), MSG);
	tst_fill(want, MSG, 5);
	cr_assert_arr_eq(a, want, sizeof(a));
	cr_assert_arr_eq(b, want + sizeof(a), sizeof(b));
	cr_assert_eq(writev(p.fd, iov, 2), MSG);
	peer_expect(&p, MSG);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(send, recvmmsg_and_sendmmsg_move_batches)
{
	struct pair p = pair_open(AF_INET);
	char bufs[4][MSG];
	struct iovec iov[4];
	struct mmsghdr v[4];

	pair_connect(&p, AF_INET);
	for (int i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ bufs[i], MSG };
		v[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
						      .msg_iovlen = 1 } };
		pt_peer_send(p.peer, AF_INET, PORT, MSG, (unsigned int)i);
	}
	wait_in(p.fd);
	tst_sleep_ms(50); /* all four in */
	cr_assert_eq(recvmmsg(p.fd, v, 4, MSG_DONTWAIT, NULL), 4);
	cr_assert_eq(sendmmsg(p.fd, v, 4, 0), 4);
	for (int i = 0; i < 4; i++)
		peer_expect(&p, MSG);
	cr_assert_eq(pt_stat(p.fd, "rx_packets"), 4);
	cr_assert_eq(pt_stat(p.fd, "tx_packets"), 4);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(send, getsockname_and_setsockopt_answer_as_the_kernel)
{
	int fd = pt_udp_bound(AF_INET, PORT), v = 1 << 20, got = 0;
	socklen_t gl = sizeof(got);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	cr_assert_ok(getsockname(fd, (struct sockaddr *)&ss, &len));
	tst_assert_addr(&ss, len, AF_INET, TST_LOCAL, PORT);
	cr_assert_ok(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	cr_assert_ok(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl));
	cr_assert_geq(got, v); /* the kernel doubles it */
	len = sizeof(ss);
	cr_assert_fail_errno(getpeername(fd, (struct sockaddr *)&ss, &len),
			     ENOTCONN);
	close(fd);
}

PRELOAD_TEST(recv, a_packet_socket_receives_the_peers_frames)
{
	struct sockaddr_ll ll, to, from;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, NULL),
		  tolen = tst_ll_addr(&to, TST_PEER, TST_ETHERTYPE,
				      tst_topo.mac_local),
		  fromlen = sizeof(from);
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(TST_ETHERTYPE)), peer;
	char msg[MSG], buf[2048];

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_ok(bind(fd, (struct sockaddr *)&ll, len));
	cr_assert_ok(topo_enter_peer(&tst_topo));
	peer = (int)syscall(SYS_socket, AF_PACKET, SOCK_DGRAM,
			    htons(TST_ETHERTYPE));
	cr_assert_ok(topo_enter_local(&tst_topo));
	cr_assert_geq(peer, 0);
	tst_fill(msg, sizeof(msg), 4);
	cr_assert_eq(sendto(peer, msg, sizeof(msg), 0, (struct sockaddr *)&to,
			    tolen),
		     sizeof(msg));
	wait_in(fd);
	cr_assert_eq(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			      &fromlen),
		     MSG);
	cr_assert_arr_eq(buf, msg, MSG);
	cr_assert_eq(from.sll_ifindex, tst_topo.ifindex_local);
	pt_assert_backend(fd, backend());
	cr_assert_eq(pt_stat(fd, "rx_packets"), 1);
	close(peer);
	close(fd);
}

/* ---- poll and select ------------------------------------------------- */

PRELOAD_TEST(wait, poll_reports_a_fast_path_datagram)
{
	struct pair p = pair_open(AF_INET);
	char buf[2048];

	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	wait_in(p.fd);
	cr_assert_eq(recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT), MSG);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 1);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(wait, poll_mixes_hotsock_and_a_pipe)
{
	struct pair p = pair_open(AF_INET);
	struct pollfd fds[2];
	int pipefd[2];

	cr_assert_ok(pipe(pipefd));
	fds[0] = (struct pollfd){ .fd = p.fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	cr_assert_eq(poll(fds, 2, 0), 0);
	cr_assert_eq(write(pipefd[1], "x", 1), 1);
	cr_assert_eq(poll(fds, 2, 5000), 1);
	cr_assert_eq(fds[1].revents, POLLIN);
	cr_assert_eq(fds[0].revents, 0);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	tst_sleep_ms(50);
	cr_assert_eq(poll(fds, 2, 5000), 2);
	cr_assert_eq(fds[0].revents, POLLIN);
	close(pipefd[0]);
	close(pipefd[1]);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(wait, ppoll_reports_a_fast_path_datagram)
{
	struct pair p = pair_open(AF_INET);
	struct pollfd fd = { .fd = p.fd, .events = POLLIN };
	struct timespec ts = { 5, 0 };
	sigset_t mask;

	sigemptyset(&mask);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	cr_assert_eq(ppoll(&fd, 1, &ts, &mask), 1);
	cr_assert_eq(fd.revents, POLLIN);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(wait, select_reports_a_fast_path_datagram)
{
	struct pair p = pair_open(AF_INET);
	struct timeval tv = { 5, 0 };
	fd_set r, w;

	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p.fd, &r);
	FD_SET(p.fd, &w);
	cr_assert_eq(select(p.fd + 1, &r, &w, NULL, &tv), 2);
	cr_assert(FD_ISSET(p.fd, &r));
	cr_assert(FD_ISSET(p.fd, &w));
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(wait, select_times_out_when_nothing_arrives)
{
	int fd = pt_udp_bound(AF_INET, PORT);
	struct timeval tv = { 0, 100000 };
	fd_set r;

	FD_ZERO(&r);
	FD_SET(fd, &r);
	cr_assert_eq(select(fd + 1, &r, NULL, NULL, &tv), 0);
	cr_assert_not(FD_ISSET(fd, &r));
	cr_assert_eq(tv.tv_sec, 0);
	cr_assert_eq(tv.tv_usec, 0);
	close(fd);
}

PRELOAD_TEST(wait, pselect_reports_a_fast_path_datagram)
{
	struct pair p = pair_open(AF_INET);
	struct timespec ts = { 5, 0 };
	sigset_t mask;
	fd_set r;

	sigemptyset(&mask);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	FD_ZERO(&r);
	FD_SET(p.fd, &r);
	cr_assert_eq(pselect(p.fd + 1, &r, NULL, NULL, &ts, &mask), 1);
	cr_assert(FD_ISSET(p.fd, &r));
	close(p.fd);
	close(p.peer);
}

/* ---- epoll ------------------------------------------------------------ */

static int epoll_with(int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	cr_assert_geq(ep, 0);
	cr_assert_ok(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	return ep;
}

PRELOAD_TEST(epoll, level_triggered_repeats_until_read)
{
	struct pair p = pair_open(AF_INET);
	int ep = epoll_with(p.fd, EPOLLIN, 42);
	struct epoll_event ev[4];
	char buf[2048];

	cr_assert_eq(epoll_wait(ep, ev, 4, 0), 0);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	cr_assert_eq(epoll_wait(ep, ev, 4, 5000), 1);
	cr_assert_eq(ev[0].data.u64, 42);
	cr_assert_eq(ev[0].events, EPOLLIN);
	cr_assert_eq(epoll_wait(ep, ev, 4, 0), 1);
	cr_assert_eq(recv(p.fd, buf, sizeof(buf), 0), MSG);
	cr_assert_eq(epoll_wait(ep, ev, 4, 0), 0);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 1);
	close(ep);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(epoll, edge_triggered_reports_an_arrival_once)
{
	struct pair p = pair_open(AF_INET);
	int ep = epoll_with(p.fd, EPOLLIN | EPOLLET, 7);
	struct epoll_event ev[4];
	char buf[2048];

	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	cr_assert_eq(epoll_wait(ep, ev, 4, 5000), 1);
	cr_assert_eq(ev[0].data.u64, 7);
	cr_assert_eq(epoll_wait(ep, ev, 4, 100), 0, "reported twice");
	/* Drained to EAGAIN, as edge-triggered programs do: the next
	 * datagram is a new edge. */
	cr_assert_eq(recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT), MSG);
	cr_assert_fail_errno(recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 2);
	cr_assert_eq(epoll_wait(ep, ev, 4, 5000), 1);
	cr_assert_eq(ev[0].events & EPOLLIN, EPOLLIN);
	close(ep);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(epoll, oneshot_reports_once_until_rearmed)
{
	struct pair p = pair_open(AF_INET);
	int ep = epoll_with(p.fd, EPOLLIN | EPOLLONESHOT, 9);
	struct epoll_event ev[4],
		mod = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 10 };

	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	cr_assert_eq(epoll_wait(ep, ev, 4, 5000), 1);
	cr_assert_eq(ev[0].data.u64, 9);
	cr_assert_eq(epoll_wait(ep, ev, 4, 100), 0, "one-shot fired twice");
	cr_assert_ok(epoll_ctl(ep, EPOLL_CTL_MOD, p.fd, &mod));
	cr_assert_eq(epoll_wait(ep, ev, 4, 5000), 1);
	cr_assert_eq(ev[0].data.u64, 10);
	close(ep);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(epoll, wait_times_out_when_nothing_arrives)
{
	int fd = pt_udp_bound(AF_INET, PORT);
	int ep = epoll_with(fd, EPOLLIN, 1);
	struct epoll_event ev[2];
	double t0 = tst_now();

	cr_assert_eq(epoll_wait(ep, ev, 2, 150), 0);
	cr_assert_geq(tst_now() - t0, 0.14, "returned before its timeout");
	close(ep);
	close(fd);
}

PRELOAD_TEST(epoll, mixes_hotsock_and_a_pipe_and_reports_writability)
{
	struct pair p = pair_open(AF_INET);
	int ep = epoll_with(p.fd, EPOLLIN, 1), pipefd[2], n;
	struct epoll_event ev[4], pe = { .events = EPOLLIN, .data.u64 = 2 };
	struct epoll_event out = { .events = EPOLLIN | EPOLLOUT,
				   .data.u64 = 3 };
	bool seen[4] = { false };

	cr_assert_ok(pipe(pipefd));
	cr_assert_ok(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &pe));
	cr_assert_eq(write(pipefd[1], "x", 1), 1);
	pt_peer_send(p.peer, AF_INET, PORT, MSG, 1);
	wait_in(p.fd);
	n = epoll_wait(ep, ev, 4, 5000);
	cr_assert_eq(n, 2);
	for (int i = 0; i < n; i++)
		seen[ev[i].data.u64] = true;
	cr_assert(seen[1] && seen[2]);
	cr_assert_ok(epoll_ctl(ep, EPOLL_CTL_MOD, p.fd, &out));
	n = epoll_wait(ep, ev, 4, 5000);
	cr_assert_eq(n, 2);
	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 == 3)
			cr_assert_eq(ev[i].events, EPOLLIN | EPOLLOUT);
	cr_assert_ok(epoll_ctl(ep, EPOLL_CTL_DEL, p.fd, NULL));
	cr_assert_eq(epoll_wait(ep, ev, 4, 0), 1);
	cr_assert_eq(ev[0].data.u64, 2);
	close(pipefd[0]);
	close(pipefd[1]);
	close(ep);
	close(p.fd);
	close(p.peer);
}

/* ---- descriptors ------------------------------------------------------ */

/* The peer sends and @fd receives it on the fast path of its socket. */
static void receives_on(int fd, int peer, unsigned int seed)
{
	char buf[2048];

	pt_peer_send(peer, AF_INET, PORT, MSG, seed);
	wait_in(fd);
	cr_assert_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), MSG,
		     "recv on %d: %s", fd, strerror(errno));
}

PRELOAD_TEST(fd, dup_refers_to_the_same_socket_after_the_original_closes)
{
	struct pair p = pair_open(AF_INET);
	int d = dup(p.fd);

	cr_assert_geq(d, 0);
	receives_on(d, p.peer, 1);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 1);
	cr_assert_ok(close(p.fd));
	receives_on(d, p.peer, 2);
	cr_assert_eq(pt_stat(d, "rx_fast_path"), 2);
	pt_assert_backend(d, backend());
	cr_assert_ok(close(d));
	close(p.peer);
}

PRELOAD_TEST(fd, dup2_dup3_and_f_dupfd_refer_to_the_same_socket)
{
	struct pair p = pair_open(AF_INET);
	int a = dup2(p.fd, 50), b = dup3(p.fd, 51, O_CLOEXEC),
	    c = fcntl(p.fd, F_DUPFD_CLOEXEC, 60);

	cr_assert_eq(a, 50);
	cr_assert_eq(b, 51);
	cr_assert_geq(c, 60);
	receives_on(a, p.peer, 1);
	receives_on(b, p.peer, 2);
	receives_on(c, p.peer, 3);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 3);
	cr_assert_eq(fcntl(b, F_GETFD), FD_CLOEXEC);
	close(a);
	close(b);
	close(c);
	receives_on(p.fd, p.peer, 4);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(fd, o_nonblock_from_fcntl_gives_eagain)
{
	int fd = pt_udp_bound(AF_INET, PORT);
	char buf[64];

	cr_assert_ok(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	cr_assert_fail_errno(recv(fd, buf, sizeof(buf), 0), EAGAIN);
	close(fd);
}

PRELOAD_TEST(fd, fionbio_gives_eagain_and_fionread_the_next_datagram)
{
	struct pair p = pair_open(AF_INET);
	int on = 1, avail = -1;
	char buf[2048];

	cr_assert_ok(ioctl(p.fd, FIONBIO, &on));
	cr_assert_fail_errno(recv(p.fd, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_ok(ioctl(p.fd, FIONREAD, &avail));
	cr_assert_eq(avail, 0);
	pt_peer_send(p.peer, AF_INET, PORT, 321, 1);
	pt_peer_send(p.peer, AF_INET, PORT, 17, 2);
	wait_in(p.fd);
	cr_assert_ok(ioctl(p.fd, FIONREAD, &avail));
	cr_assert_eq(avail, 321);
	cr_assert_eq(recv(p.fd, buf, sizeof(buf), 0), 321);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 1);
	close(p.fd);
	close(p.peer);
}

/* ---- fork and exec ---------------------------------------------------- */

PRELOAD_TEST(
	process,
	a_forked_child_sends_through_the_kernel_and_the_parent_keeps_the_fast_path)
{
	struct pair p = pair_open(AF_INET);
	int status;
	pid_t pid;

	pair_connect(&p, AF_INET);
	receives_on(p.fd, p.peer, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(send(p.fd, "child", 5, 0) == 5 ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	peer_expect(&p, 5);
	receives_on(p.fd, p.peer, 2);
	cr_assert_eq(pt_stat(p.fd, "rx_fast_path"), 2);
	close(p.fd);
	close(p.peer);
}

PRELOAD_TEST(process, exec_leaves_a_plain_kernel_socket)
{
	const char *helper = getenv("HSKP_EXEC_HELPER");
	int peer = pt_peer_udp(AF_INET, PEER_PORT), status;
	char port[16], buf[64];
	ssize_t n;
	pid_t pid;

	cr_assert_not_null(helper, "HSKP_EXEC_HELPER is not set");
	snprintf(port, sizeof(port), "%d", PEER_PORT);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setenv("LD_PRELOAD", getenv("HSKP_PRELOAD"), 1);
		execl(helper, helper, TOPO_IP4_PEER, port, (char *)NULL);
		_exit(127);
	}
	/* The helper says "fast" from its own fast-path socket, execs
	 * itself, and says "kernel" from the same descriptor: the peer
	 * answers each, and the new image must receive the answer. */
	for (int i = 0; i < 2; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);

		n = tst_kernel_recv(peer, buf, sizeof(buf), 10000, &from, &fl);
		cr_assert_gt(n, 0, "helper step %d: %s", i, strerror(errno));
		tst_kernel_sendto(peer, buf, (size_t)n, &from, fl);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "helper killed");
	cr_assert_eq(WEXITSTATUS(status), 0, "helper failed: %d",
		     WEXITSTATUS(status));
	close(peer);
}
