// SPDX-License-Identifier: BSD-3-Clause
/*
 * The DPDK backend at exit: the process that started the EAL closes its
 * ports, so that net_af_xdp's XDP program leaves hsk0 with it, and a
 * child that inherited them through fork() leaves them to their owner.
 *
 * Its own suite: the processes here end through exit(), whose handlers are
 * what is tested, and under LeakSanitizer that ends in a leak check which
 * does not hold for them (meson.build turns it off): a fork of a process
 * with threads cannot see the references on their stacks, and libxdp
 * 1.3.1 keeps 80 bytes of each UMEM that DPDK 22.11's net_af_xdp never
 * frees on close.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsk_test.h"

/* net_af_xdp attaches an XDP program to hsk0, which outlives a process
 * that does not close the port. */
static void use_net_af_xdp(void)
{
	setenv("HOTSOCK_DPDK_ARGS", "--vdev=net_af_xdp0,iface=" TOPO_IF_LOCAL,
	       1);
}

static pid_t fork_child(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	return pid;
}

static bool xdp_attached(void)
{
	int st = topo_run_local(&tst_topo, "ip link show dev %s | grep -q xdp",
				TOPO_IF_LOCAL);

	cr_assert(st == 0 || st == 1, "ip link show: status %d", st);
	return st == 0;
}

static void wait_exit_ok(pid_t pid, const char *const why[])
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	cr_assert(WIFEXITED(status), "the child ended with status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "the child: %s",
		     why[WEXITSTATUS(status) < 3 ? WEXITSTATUS(status) : 0]);
}

NET_TEST(dpdk, a_net_af_xdp_port_leaves_no_xdp_program_after_exit)
{
	static const char *const why[] = { "?", "no port", "no program" };
	pid_t pid;

	use_net_af_xdp();
	pid = fork_child();
	if (pid == 0) {
		if (hsk_socket(AF_INET, SOCK_DGRAM, 0) < 0)
			exit(1);
		exit(xdp_attached() ? 0 : 2);
	}
	wait_exit_ok(pid, why);
	cr_assert_not(xdp_attached(), "an XDP program stayed on %s",
		      TOPO_IF_LOCAL);
}

/* The port belongs to the process that started the EAL: a child that
 * inherited it through fork() and exits leaves it running. */
NET_TEST(dpdk, a_forked_child_s_exit_leaves_the_parent_s_port_running)
{
	static const char *const why[] = { "?", "?", "?" };
	struct tst_pair p;
	char buf[16];
	ssize_t n;
	pid_t pid;

	use_net_af_xdp();
	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	pid = fork_child();
	if (pid == 0)
		exit(0);
	wait_exit_ok(pid, why);
	cr_assert(xdp_attached(), "the child took the program off %s",
		  TOPO_IF_LOCAL);
	tst_peer_send(&p, "still here", 10);
	n = hsk_recv(p.fd, buf, sizeof(buf), 0);
	cr_assert_eq(n, 10, "hsk_recv: %zd (%s)", n, strerror(errno));
	tst_pair_close(&p);
}
